/* aws_sink.c - rank 0's writer of the OCP-on-AWS report (issue 14).
 *
 * The AWS step (aws_step.c) hands the sink each run day's rows in day
 * order: rank 0's own days as tables or CSV text, the other ranks' days
 * as blocks (aws_block_encode).  The sink adds the days' counters in that
 * order and writes each day as it comes, under a temporary name of the
 * report's final one (renamed by aws_step_commit once the OCP report
 * commits), so rank 0 never holds the whole report.  aws_sink_day is the
 * one place the report's rows are written: into the file, and with
 * output.format postgres into Koku's AWS table in the OCP rows'
 * transaction (COPY text from the day's rows, each month's rows stamped
 * with that month's report period).
 */
#include "driver/aws_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/fault.h"
#include "ocpagg/pq_writer.h"

struct aws_sink {
    int parquet;         /* else CSV */
    int file;            /* a file is written (else the database only) */
    struct out_dest *db; /* postgres: the OCP destination, else NULL */
    int64_t db_rows;     /* rows sent to the database */
    struct rpt_buf text; /* COPY / CSV text of one day */
    int open, aborted;
    struct rpt_atomic csv; /* CSV: the pending file */
    struct pq_writer *pq;  /* Parquet: the pending file */
    const struct aws_settings *s;
    struct aws_table day;  /* Parquet: one day's rows, decoded */
    struct aws_counters c; /* added in day order */
};

int aws_sink_is_parquet(const char *path)
{
    size_t n = strlen(path), m = strlen(".parquet");
    return n >= m && strcmp(path + n - m, ".parquet") == 0;
}

/* The day table's constant columns, from the settings. */
static int day_constants(struct aws_table *t, const struct aws_settings *s)
{
    t->source_uuid = strdup(s->source_uuid);
    t->cluster_id = s->cluster_id ? strdup(s->cluster_id) : NULL;
    t->cluster_alias = s->cluster_alias ? strdup(s->cluster_alias) : NULL;
    t->report_period_id = s->report_period_id;
    t->bill_id = s->bill_id;
    t->has_bill_id = s->has_bill_id;
    return t->source_uuid == NULL || (s->cluster_id != NULL && t->cluster_id == NULL) ||
                   (s->cluster_alias != NULL && t->cluster_alias == NULL)
               ? OCP_ERR_OSERR
               : OCP_OK;
}

/* The CSV report goes straight into its pending name: that name is
 * already a temporary one (removed by aws_step_abort, or by the next run
 * when this one dies), while a temporary of it would outlive a killed
 * rank 0.  So the rpt_atomic's temporary is the pending file itself:
 * rpt_atomic_write writes it, rpt_atomic_commit syncs and closes it (its
 * rename is onto itself), rpt_atomic_abort removes it. */
static int open_pending(struct rpt_atomic *a, const char *pending, struct ocp_error *err)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    a->path = strdup(pending);
    a->tmp = strdup(pending);
    if (a->path == NULL || a->tmp == NULL) {
        free(a->path);
        free(a->tmp);
        memset(a, 0, sizeof *a);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    a->fd = open(pending, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (a->fd < 0) {
        int e = errno;
        free(a->path);
        free(a->tmp);
        memset(a, 0, sizeof *a);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, pending, -1, "aws.output",
                             "cannot create the AWS report: %s", strerror(e));
    }
    return OCP_OK;
}

int aws_sink_open(struct aws_sink **out, const struct cfg *cfg, const struct aws_settings *s,
                  struct out_dest *db, struct aws_step_result *res, struct ocp_error *err)
{
    struct aws_sink *k = calloc(1, sizeof *k);
    int rc = OCP_OK;
    *out = k;
    if (k == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    aws_table_init(&k->day);
    k->s = s;
    k->db = db;
    k->file = db == NULL || cfg->aws_output != NULL;
    if (db != NULL) {
        rc = out_aws_begin(db, cfg->aws_source_uuid, err);
        if (rc != OCP_OK)
            return rc;
    }
    if (!k->file) {
        k->open = 1;
        return OCP_OK;
    }
    res->output_path = cfg_aws_output_path(cfg);
    res->pending_path = res->output_path != NULL ? rpt_temp_name(res->output_path) : NULL;
    if (res->output_path == NULL || res->pending_path == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    rpt_remove_stale_temps(res->output_path);
    k->parquet = aws_sink_is_parquet(res->output_path);
    if (k->parquet) {
        rc = aws_parquet_create(res->pending_path, &k->pq, err);
    } else {
        struct aws_table none;
        struct rpt_buf h = {0};
        aws_table_init(&none);
        rc = open_pending(&k->csv, res->pending_path, err);
        if (rc == OCP_OK && aws_csv_append(&none, 1, &h) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        if (rc == OCP_OK)
            rc = rpt_atomic_write(&k->csv, h.data, h.len, err);
        if (rc != OCP_OK)
            rpt_atomic_abort(&k->csv);
        rpt_buf_release(&h);
        aws_table_release(&none);
    }
    k->open = rc == OCP_OK;
    return rc;
}

/* One day's rows (a table, or CSV text when csv is set) and counters, in
 * day order: the AWS report's rows go out here. */
int aws_sink_day(struct aws_sink *k, const struct aws_table *day, const struct aws_counters *dc,
                 const char *csv, size_t csv_len, struct ocp_error *err)
{
    if (!k->open || k->aborted)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "the AWS report was aborted");
    int rc = OCP_OK;

    aws_counters_add(&k->c, dc);
    if (csv != NULL) {
        if (k->parquet || !k->file || k->db != NULL)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "a CSV block where the AWS rows are wanted as rows");
        return csv_len > 0 ? rpt_atomic_write(&k->csv, csv, csv_len, err) : OCP_OK;
    }
    if (day->count == 0)
        return OCP_OK;
    if (k->file && k->parquet) {
        rc = aws_parquet_append(k->pq, day, err);
    } else if (k->file) {
        /* The database's days come as rows; the CSV file takes them as text. */
        k->text.len = 0;
        rc = aws_encode_csv(day, 0, day->count, 0, &k->text, err);
        if (rc == OCP_OK)
            rc = rpt_atomic_write(&k->csv, k->text.data, k->text.len, err);
    }
    if (rc == OCP_OK && k->db != NULL) {
        /* A day lies in one month: its rows carry that month's period. */
        struct aws_table stamped = *day;
        int64_t id = out_aws_period(k->db, day->rows[0].day);
        if (id < 0)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "an AWS row's day is outside the report periods");
        stamped.report_period_id = id;
        k->text.len = 0;
        rc = aws_encode_csv(&stamped, 0, day->count, 0, &k->text, err);
        if (rc == OCP_OK)
            rc = out_aws_write(k->db, (const unsigned char *)k->text.data, k->text.len, err);
        k->db_rows += (int64_t)day->count;
    }
    return rc;
}

/* A day's block from aws_block_encode (another rank's day, or rank 0's
 * own in CSV form). */
int aws_sink_write(struct aws_sink *k, const unsigned char *blk, size_t len, struct ocp_error *err)
{
    struct aws_counters dc;
    const char *csv;
    size_t csv_len;
    int rc;
    if (!k->open || k->aborted)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "the AWS report was aborted");
    aws_table_release(&k->day);
    aws_table_init(&k->day);
    rc = aws_block_decode(blk, len, &k->day, &dc, &csv, &csv_len, err);
    if (rc == OCP_OK && csv == NULL && k->day.count > 0 && day_constants(&k->day, k->s) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (rc == OCP_OK)
        rc = aws_sink_day(k, &k->day, &dc, csv, csv_len, err);
    return rc;
}

/* Closes and removes the pending file (safe twice; the cleanup hook may
 * call it while the step runs). */
void aws_sink_abort(struct aws_sink *k)
{
    /* The database's rows go with the OCP transaction's rollback. */
    if (k->open && !k->aborted && k->file) {
        if (k->parquet)
            pq_writer_abort(k->pq);
        else
            rpt_atomic_abort(&k->csv);
        k->pq = NULL;
    }
    k->aborted = 1;
}

/* After the last block: the report complete under its pending name, the
 * counters (with the run's reading counts) and row counts in res. */
int aws_sink_close(struct aws_sink *k, const struct aws_read_counts *read,
                   struct aws_step_result *res, struct ocp_error *err)
{
    struct rpt_buf js = {0};
    int rc = OCP_OK;
    if (!k->open || k->aborted)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "the AWS report was aborted");
    k->c.read = *read;
    if (k->file)
        rc = k->parquet ? pq_writer_close(k->pq, err) : rpt_atomic_commit(&k->csv, err);
    k->pq = NULL;
    k->open = 0; /* closed either way; a failed close removed the file */
    if (rc == OCP_OK && k->db != NULL)
        rc = out_aws_end(k->db, k->db_rows, err);
    /* Tests: a failure or signal once both tables' rows are sent. */
    if (rc == OCP_OK && k->db != NULL)
        rc = fault_at("awspg", err);
    if (rc == OCP_OK) {
        res->cur_rows = k->c.read.rows_read;
        res->report_rows = k->c.output_rows;
        if (aws_counters_json(&k->c, &js) != OCP_OK ||
            (res->counters_json = malloc(js.len + 1)) == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        else {
            memcpy(res->counters_json, js.data, js.len);
            res->counters_json[js.len] = '\0';
        }
    }
    rpt_buf_release(&js);
    return rc;
}

void aws_sink_free(struct aws_sink *k)
{
    if (k == NULL)
        return;
    aws_sink_abort(k);
    aws_table_release(&k->day);
    rpt_buf_release(&k->text);
    free(k);
}
