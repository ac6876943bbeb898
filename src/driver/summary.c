/* summary.c - the JSON run summary written beside the report. */
#include "driver/summary.h"
#include "ocpagg/pg.h"

#include <errno.h>
#include <jansson.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/transport.h"
#include "ocpagg/batch.h"

int summary_gather_read(struct tp *t, const struct rank_result *res, const struct agg_stats *st,
                        struct run_summary *sum, struct rank_figures **figures,
                        struct ocp_error *err)
{
    struct rank_figures mine;
    int64_t in[OCP_TABLE_COUNT + 3], out[OCP_TABLE_COUNT + 3];
    MPI_Request rq;
    int i, rc = OCP_OK;

    memset(&mine, 0, sizeof mine);
    mine.rows = res->rows;
    mine.chunks = res->chunks;
    mine.chunks_stolen = res->chunks_stolen;
    mine.read_seconds = res->read_seconds;
    mine.merge_seconds = res->merge_seconds;
    mine.peak_rss = peak_rss_bytes();
    *figures = NULL;
    if (t->rank == 0) {
        *figures = calloc((size_t)t->nranks, sizeof **figures);
        if (*figures == NULL) {
            /* A few bytes per rank: without them the collective cannot
             * go on, and nothing is on disk yet. */
            ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            fprintf(stderr, "ocpagg: rank 0: out of memory gathering the figures\n");
            tp_abort(t, OCP_ERR_OSERR);
        }
    }
    if (MPI_Igather(&mine, (int)sizeof mine, MPI_BYTE, *figures, (int)sizeof mine, MPI_BYTE, 0,
                    t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    /* Counters are summed separately: the split finish moves groups, not
     * counters. */
    for (i = 0; i < OCP_TABLE_COUNT; i++)
        in[i] = st->rows_read[i];
    in[OCP_TABLE_COUNT] = st->rows_out_of_range;
    in[OCP_TABLE_COUNT + 1] = st->rows_no_node;
    in[OCP_TABLE_COUNT + 2] = st->bad_label_rows;
    if (MPI_Ireduce(in, out, OCP_TABLE_COUNT + 3, MPI_INT64_T, MPI_SUM, 0, t->comm, &rq) !=
            MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    memset(&sum->stats, 0, sizeof sum->stats);
    if (t->rank == 0) {
        for (i = 0; i < OCP_TABLE_COUNT; i++)
            sum->stats.rows_read[i] = out[i];
        sum->stats.rows_out_of_range = out[OCP_TABLE_COUNT];
        sum->stats.rows_no_node = out[OCP_TABLE_COUNT + 1];
        sum->stats.bad_label_rows = out[OCP_TABLE_COUNT + 2];
    }
    sum->per_rank = *figures;
    return rc;
}

int summary_gather_finish(struct tp *t, const int64_t counts[6], const int64_t sent[4],
                          struct run_summary *sum, struct rank_figures *figures,
                          struct ocp_error *err)
{
    int64_t in[6], out[6], mine[5], *all = NULL;
    MPI_Request rq;
    int r, rc = OCP_OK;

    for (r = 0; r < 6; r++)
        in[r] = counts[r];
    if (MPI_Ireduce(in, out, 6, MPI_INT64_T, MPI_SUM, 0, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    /* Peak memory is known only now: the finish allocates too. */
    if (t->rank == 0) {
        all = calloc((size_t)t->nranks * 5, sizeof *all);
        if (all == NULL) {
            ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            fprintf(stderr, "ocpagg: rank 0: out of memory gathering the figures\n");
            tp_abort(t, OCP_ERR_OSERR); /* the cleanup hook aborts the report */
        }
    }
    mine[0] = peak_rss_bytes();
    mine[1] = sent[0];
    mine[2] = sent[1];
    mine[3] = sent[2]; /* microseconds */
    mine[4] = sent[3];
    if (MPI_Igather(mine, 5, MPI_INT64_T, all, 5, MPI_INT64_T, 0, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    if (t->rank == 0) {
        sum->stats.pod_groups = out[0];
        sum->stats.storage_groups = out[1];
        sum->out_pod_rows = out[2];
        sum->out_unallocated_rows = out[3];
        sum->out_storage_rows = out[4];
        sum->report_direct_bytes = out[5];
        for (r = 0; all != NULL && figures != NULL && r < t->nranks; r++) {
            figures[r].peak_rss = all[5 * r];
            figures[r].exchange_groups = all[5 * r + 1];
            figures[r].exchange_bytes = all[5 * r + 2];
            figures[r].finish_busy_seconds = (double)all[5 * r + 3] / 1e6;
            figures[r].finish_days = all[5 * r + 4];
        }
    }
    free(all);
    return rc;
}

int summary_prepare(const struct run_summary *s, const char *path, struct rpt_atomic *a,
                    struct ocp_error *err)
{
    json_t *root = json_object(), *rows = json_object(), *phases = json_object();
    json_t *ranks = json_array(), *cfg = NULL, *out_rows = json_object();
    json_t *exch;
    char *text = NULL;
    int64_t xg = 0, xb = 0;
    int t, rc = OCP_OK;

    if (s->config_json != NULL)
        cfg = json_loads(s->config_json, 0, NULL);
    json_object_set_new(root, "ocpagg_version", json_string(OCPAGG_VERSION));
    json_object_set_new(root, "status", json_string(s->status));
    json_object_set_new(root, "config", cfg ? cfg : json_null());
    json_object_set_new(root, "ranks", json_integer(s->nranks));
    json_object_set_new(root, "threads_per_rank", json_integer(s->threads));
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        json_object_set_new(rows, ocp_table_spec((enum ocp_table)t)->name,
                            json_integer(s->stats.rows_read[t]));
    json_object_set_new(root, "rows_read", rows);
    json_object_set_new(root, "rows_excluded_out_of_range",
                        json_integer(s->stats.rows_out_of_range));
    json_object_set_new(root, "rows_excluded_no_node", json_integer(s->stats.rows_no_node));
    json_object_set_new(root, "bad_label_rows", json_integer(s->stats.bad_label_rows));
    json_object_set_new(root, "pruned_row_groups", json_integer(s->pruned_row_groups));
    json_object_set_new(root, "pod_groups", json_integer(s->stats.pod_groups));
    json_object_set_new(root, "storage_groups", json_integer(s->stats.storage_groups));
    json_object_set_new(out_rows, "pod", json_integer(s->out_pod_rows));
    json_object_set_new(out_rows, "unallocated", json_integer(s->out_unallocated_rows));
    json_object_set_new(out_rows, "storage", json_integer(s->out_storage_rows));
    json_object_set_new(
        out_rows, "total",
        json_integer(s->out_pod_rows + s->out_unallocated_rows + s->out_storage_rows));
    json_object_set_new(root, "output_rows", out_rows);
    json_object_set_new(phases, "plan", json_real(s->t_plan));
    json_object_set_new(phases, "read_aggregate", json_real(s->t_read));
    json_object_set_new(phases, "exchange", json_real(s->t_reduce));
    json_object_set_new(phases, "finish", json_real(s->t_finish));
    json_object_set_new(phases, "write", json_real(s->t_write));
    if (s->aws_json != NULL) {
        json_t *aws = json_loads(s->aws_json, 0, NULL);
        json_object_set_new(phases, "aws", json_real(s->t_aws));
        json_object_set_new(root, "aws", aws ? aws : json_null());
    }
    json_object_set_new(phases, "total", json_real(s->t_total));
    json_object_set_new(root, "seconds", phases);
    json_object_set_new(root, "input_rows_per_second",
                        json_real(s->t_total > 0 ? (double)s->total_rows / s->t_total : 0.0));
    for (t = 0; t < s->nranks; t++) {
        json_t *r = json_object();
        json_object_set_new(r, "rank", json_integer(t));
        json_object_set_new(r, "rows", json_integer(s->per_rank[t].rows));
        json_object_set_new(r, "chunks", json_integer(s->per_rank[t].chunks));
        json_object_set_new(r, "chunks_stolen", json_integer(s->per_rank[t].chunks_stolen));
        json_object_set_new(r, "read_seconds", json_real(s->per_rank[t].read_seconds));
        json_object_set_new(r, "merge_seconds", json_real(s->per_rank[t].merge_seconds));
        json_object_set_new(r, "peak_rss_bytes", json_integer(s->per_rank[t].peak_rss));
        json_object_set_new(r, "exchange_groups_sent",
                            json_integer(s->per_rank[t].exchange_groups));
        json_object_set_new(r, "exchange_bytes_sent", json_integer(s->per_rank[t].exchange_bytes));
        json_object_set_new(r, "finish_days", json_integer(s->per_rank[t].finish_days));
        json_object_set_new(r, "finish_busy_seconds",
                            json_real(s->per_rank[t].finish_busy_seconds));
        xg += s->per_rank[t].exchange_groups;
        xb += s->per_rank[t].exchange_bytes;
        json_array_append_new(ranks, r);
    }
    /* What moved between ranks in the shuffle, for bench/model.py. */
    exch = json_object();
    json_object_set_new(exch, "groups_sent", json_integer(xg));
    json_object_set_new(exch, "bytes_sent", json_integer(xb));
    json_object_set_new(root, "exchange", exch);
    json_object_set_new(root, "per_rank", ranks);
    json_object_set_new(root, "report", json_string(s->report_path));
    json_object_set_new(root, "windows", json_integer(s->windows));
    if (s->windows_redone)
        json_object_set_new(root, "windows_redone", json_true());
    if (s->report_writers > 0) {
        json_object_set_new(root, "report_writers", json_integer(s->report_writers));
        /* How much of a CSV report went to the disk with O_DIRECT. */
        json_object_set_new(root, "report_direct_bytes", json_integer(s->report_direct_bytes));
    }
    if (s->has_postgres) {
        /* Counts and the server version only: never the conninfo. */
        json_t *pg = json_object();
        json_object_set_new(pg, "server_version", json_string(s->pg_server_version));
        json_object_set_new(pg, "deleted_rows", json_integer(s->pg_deleted_rows));
        json_object_set_new(pg, "copied_rows", json_integer(s->pg_copied_rows));
        json_object_set_new(pg, "partitions_created", json_integer(s->pg_partitions_created));
        json_object_set_new(pg, "rows_moved_from_default", json_integer(s->pg_rows_moved));
        if (s->has_aws_postgres) {
            /* The OCP-on-AWS table, committed with the OCP rows. */
            json_t *aws = json_object();
            json_object_set_new(aws, "table", json_string(PG_AWS_TABLE));
            json_object_set_new(aws, "deleted_rows", json_integer(s->pg_aws_deleted_rows));
            json_object_set_new(aws, "copied_rows", json_integer(s->pg_aws_copied_rows));
            json_object_set_new(aws, "partitions_created",
                                json_integer(s->pg_aws_partitions_created));
            json_object_set_new(aws, "rows_moved_from_default", json_integer(s->pg_aws_rows_moved));
            json_object_set_new(pg, "aws", aws);
        }
        json_object_set_new(root, "postgres", pg);
    }

    /* The one atomic-file helper: temporary now; fsync, rename and the
     * folder's fsync at the caller's rpt_atomic_commit. */
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        goto cleanup;
    }
    rc = rpt_atomic_open(a, path, err);
    if (rc == OCP_OK && (rc = rpt_atomic_write(a, text, strlen(text), err)) != OCP_OK)
        rpt_atomic_abort(a);
cleanup:
    free(text);
    json_decref(root);
    return rc;
}
