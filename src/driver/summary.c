/* summary.c - the JSON run summary written beside the report. */
#include "driver/summary.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/batch.h"

int summary_write(const struct run_summary *s, const char *path,
                  struct ocp_error *err)
{
    json_t *root = json_object(), *rows = json_object(), *phases = json_object();
    json_t *ranks = json_array(), *cfg = NULL, *out_rows = json_object();
    char *tmp = NULL;
    int t, rc = OCP_OK;
    size_t plen = strlen(path);

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
    json_object_set_new(root, "rows_excluded_no_node",
                        json_integer(s->stats.rows_no_node));
    json_object_set_new(root, "bad_label_rows", json_integer(s->stats.bad_label_rows));
    json_object_set_new(root, "pruned_row_groups", json_integer(s->pruned_row_groups));
    json_object_set_new(root, "pod_groups", json_integer(s->stats.pod_groups));
    json_object_set_new(root, "storage_groups", json_integer(s->stats.storage_groups));
    json_object_set_new(out_rows, "pod", json_integer(s->out_pod_rows));
    json_object_set_new(out_rows, "unallocated", json_integer(s->out_unallocated_rows));
    json_object_set_new(out_rows, "storage", json_integer(s->out_storage_rows));
    json_object_set_new(out_rows, "total", json_integer(s->out_pod_rows +
                                                        s->out_unallocated_rows +
                                                        s->out_storage_rows));
    json_object_set_new(root, "output_rows", out_rows);
    json_object_set_new(phases, "plan", json_real(s->t_plan));
    json_object_set_new(phases, "read_aggregate", json_real(s->t_read));
    json_object_set_new(phases, "exchange", json_real(s->t_reduce));
    json_object_set_new(phases, "finish", json_real(s->t_finish));
    json_object_set_new(phases, "write", json_real(s->t_write));
    json_object_set_new(phases, "total", json_real(s->t_total));
    json_object_set_new(root, "seconds", phases);
    json_object_set_new(root, "input_rows_per_second",
                        json_real(s->t_total > 0 ? (double)s->total_rows / s->t_total : 0.0));
    for (t = 0; t < s->nranks; t++) {
        json_t *r = json_object();
        json_object_set_new(r, "rank", json_integer(t));
        json_object_set_new(r, "rows", json_integer(s->per_rank[t].rows));
        json_object_set_new(r, "read_seconds", json_real(s->per_rank[t].read_seconds));
        json_object_set_new(r, "merge_seconds", json_real(s->per_rank[t].merge_seconds));
        json_object_set_new(r, "peak_rss_bytes", json_integer(s->per_rank[t].peak_rss));
        json_array_append_new(ranks, r);
    }
    json_object_set_new(root, "per_rank", ranks);
    json_object_set_new(root, "report", json_string(s->report_path));

    tmp = malloc(plen + 32);
    if (tmp == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        goto cleanup;
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        unlink(tmp);
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                           "cannot write the run summary: %s", strerror(errno));
        goto cleanup;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                           "cannot rename the run summary into place: %s",
                           strerror(errno));
    }
cleanup:
    free(tmp);
    json_decref(root);
    return rc;
}
