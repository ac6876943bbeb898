/* pg_writer.c - the one data transaction: advisory lock, Koku's DELETE of
 * the configured range, COPY of the report, count check, COMMIT.
 *
 * Koku's own rerun deletes and inserts in separate autocommitted
 * statements; here both are one transaction, so readers see either the
 * old rows or the new ones, and a failure at any point (ROLLBACK, or the
 * connection dropping, which makes the server roll back) leaves the old
 * rows.  The advisory lock on hashtext(source_uuid) is the key Koku's cost
 * distribution takes, so two runs of one source (or a run and Koku's cost
 * model) take turns instead of interleaving.  READ COMMITTED matters: the
 * DELETE takes its snapshot after the lock is granted, so a run that
 * waited sees, and deletes, the rows of the run it waited for. */
#include "pg_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

/* Blocks are gathered to this size before PQputCopyData. */
#define STAGE_BYTES (1u << 20)

/* COPYING: COPY open.  COPIED: COPY ended and counted, transaction open.
 * DONE: committed.  FAILED: rolled back (or the connection is gone). */
enum wstate { W_COPYING, W_COPIED, W_DONE, W_FAILED };

struct pg_writer {
    PGconn *conn;
    enum wstate state;
    int64_t deleted, copied; /* the table's (the first COPY's) */
    int first_ended;         /* the first COPY was ended by a later
                                statement (pgi_writer_exec/copy_begin);
                                its count waits for pg_writer_end_copy */
    char *stage;
    size_t staged;
};

static int lost(struct pg_writer *w, struct ocp_error *err, const char *when)
{
    char msg[300];
    size_t n;
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(w->conn));
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    w->state = W_FAILED;
    return ocp_error_set(err, OCP_ERR_IOERR, NULL, -1, NULL,
                         "connection to PostgreSQL lost %s: %s; nothing was "
                         "committed, the table is unchanged",
                         when, msg);
}

/* Ends a transaction that failed; the first error stays in err. */
static void rollback(struct pg_writer *w)
{
    PGresult *res;
    if (PQstatus(w->conn) != CONNECTION_OK)
        return;
    /* Drain whatever the failed command left behind. */
    while ((res = PQgetResult(w->conn)) != NULL)
        PQclear(res);
    PQclear(PQexec(w->conn, "ROLLBACK"));
}

int pg_writer_begin(struct pg_writer **out, const struct pg_options *o,
                    const struct pg_periods *periods, struct ocp_error *err)
{
    struct pg_writer *w;
    char sql[4096], timeout[64], *q = NULL, *cols = NULL;
    PGresult *res = NULL;
    size_t cl = 0;
    int rc;

    *out = NULL;
    if (periods == NULL || periods->n < 1 || periods->n > PG_MONTHS_MAX)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_writer_begin: no report periods (run "
                             "pg_preflight first)");
    w = calloc(1, sizeof *w);
    if (w == NULL || (w->stage = malloc(STAGE_BYTES)) == NULL) {
        free(w);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    w->copied = -1;
    w->state = W_FAILED;
    if ((rc = pgi_connect(o, &w->conn, err)) != OCP_OK) {
        free(w->stage);
        free(w);
        return rc;
    }
    q = pgi_qname(w->conn, o->schema, pgi_table(o));
    for (int i = 0; pg_column_names[i] != NULL; i++)
        cl += strlen(pg_column_names[i]) + 2;
    cols = malloc(cl + 1);
    if (q == NULL || cols == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto fail;
    }
    cols[0] = '\0';
    for (int i = 0; pg_column_names[i] != NULL; i++) {
        if (i > 0)
            strcat(cols, ", ");
        strcat(cols, pg_column_names[i]);
    }

    rc = OCP_ERR_IOERR;
    if ((res = pgi_exec(w->conn, "BEGIN ISOLATION LEVEL READ COMMITTED", OCP_ERR_IOERR, "BEGIN",
                        err)) == NULL)
        goto fail;
    PQclear(res);
    snprintf(timeout, sizeof timeout, "SET LOCAL lock_timeout = '%.0fms'",
             o->lock_timeout_seconds * 1000.0);
    if ((res = pgi_exec(w->conn, timeout, OCP_ERR_IOERR, "SET lock_timeout", err)) == NULL)
        goto fail_tx;
    PQclear(res);
    {
        const char *params[1] = {o->source_uuid};
        res = pgi_execp(w->conn, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, params,
                        OCP_ERR_IOERR,
                        "taking the source's advisory lock (another run of "
                        "this source, or Koku's cost model, holds it)",
                        err);
        if (res == NULL)
            goto fail_tx;
        PQclear(res);
    }
    /* Koku's delete_all_except_infrastructure_raw_cost_from_daily_summary,
     * for every month of the range with that month's report period. */
    snprintf(sql, sizeof sql,
             "DELETE FROM %s WHERE usage_start >= $1::date AND "
             "usage_start <= $2::date AND report_period_id = $3::int8 AND "
             "(infrastructure_raw_cost IS NULL OR infrastructure_raw_cost = 0)",
             q);
    w->deleted = 0;
    for (int32_t m = 0; m < periods->n; m++) {
        char from[11], to[11], id[24];
        const char *params[3] = {from, to, id};
        txt_format_date(periods->month[m].first_day, from);
        txt_format_date(periods->month[m].last_day, to);
        snprintf(id, sizeof id, "%" PRId64, periods->month[m].id);
        if ((res = pgi_execp(w->conn, sql, 3, params, OCP_ERR_IOERR, "DELETE of the range", err)) ==
            NULL)
            goto fail_tx;
        w->deleted += strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN (FORMAT csv)", q, cols);
    res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        pgi_fail(err, OCP_ERR_IOERR, w->conn, res, "starting COPY");
        PQclear(res);
        res = NULL;
        goto fail_tx;
    }
    PQclear(res);
    w->state = W_COPYING;
    free(q);
    free(cols);
    *out = w;
    return OCP_OK;

fail_tx:
    rollback(w);
fail:
    free(q);
    free(cols);
    PQfinish(w->conn);
    free(w->stage);
    free(w);
    return rc;
}

/* Sends data in pieces libpq's int length can take. */
static int send_data(struct pg_writer *w, const char *p, size_t len, struct ocp_error *err)
{
    while (len > 0) {
        size_t n = len > (size_t)(64u << 20) ? (size_t)(64u << 20) : len;
        if (PQputCopyData(w->conn, p, (int)n) != 1)
            return lost(w, err, "during COPY");
        p += n;
        len -= n;
    }
    return OCP_OK;
}

int pg_writer_write(struct pg_writer *w, const unsigned char *block, size_t len,
                    struct ocp_error *err)
{
    const char *p = (const char *)block;
    int rc;

    if (w == NULL || w->state != W_COPYING)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_writer_write: the COPY is not open");
    if (w->staged + len <= STAGE_BYTES) {
        memcpy(w->stage + w->staged, p, len);
        w->staged += len;
        if (w->staged < STAGE_BYTES)
            return OCP_OK;
        len = 0;
    }
    if (w->staged > 0) {
        if ((rc = send_data(w, w->stage, w->staged, err)) != OCP_OK)
            return rc;
        w->staged = 0;
    }
    if (len >= STAGE_BYTES / 2)
        return send_data(w, p, len, err);
    memcpy(w->stage, p, len);
    w->staged = len;
    return OCP_OK;
}

static const char first_failed[] = "COPY into the table failed, rolled back";

/* Ends the open COPY (the table's or a later one): the staged bytes
 * go out, the server's count goes to *rows, the transaction stays open
 * (W_COPIED).  On failure it is rolled back. */
static int finish_copy(struct pg_writer *w, int64_t *rows, const char *what, struct ocp_error *err)
{
    PGresult *res;
    int rc;

    if (w->staged > 0) {
        if ((rc = send_data(w, w->stage, w->staged, err)) != OCP_OK)
            return rc;
        w->staged = 0;
    }
    if (PQputCopyEnd(w->conn, NULL) != 1)
        return lost(w, err, "ending the COPY");
    res = PQgetResult(w->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pgi_fail(err, OCP_ERR_IOERR, w->conn, res, what);
        PQclear(res);
        w->state = W_FAILED;
        rollback(w);
        return OCP_ERR_IOERR;
    }
    *rows = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    while ((res = PQgetResult(w->conn)) != NULL)
        PQclear(res);
    w->state = W_COPIED;
    return OCP_OK;
}

/* COPY took another number of rows than the report has: the transaction
 * is rolled back and the writer fails. */
static int rows_differ(struct pg_writer *w, int64_t expected_rows, struct ocp_error *err)
{
    w->state = W_FAILED;
    rollback(w);
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                         "COPY took %" PRId64 " rows but the report has %" PRId64
                         "; rolled back, the table is unchanged",
                         w->copied, expected_rows);
}

int pg_writer_end_copy(struct pg_writer *w, int64_t expected_rows, struct ocp_error *err)
{
    int rc;

    if (w != NULL && w->first_ended && w->state == W_COPIED) {
        /* Ended already, when the AWS table's statements began. */
    } else if (w == NULL || w->state != W_COPYING || w->first_ended) {
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_writer_end_copy: the COPY is not open");
    } else if ((rc = finish_copy(w, &w->copied, first_failed, err)) != OCP_OK) {
        return rc;
    }
    if (w->copied != expected_rows)
        return rows_differ(w, expected_rows, err);
    return OCP_OK;
}

/* Before another statement in the transaction: the table's COPY, when
 * still open, ends (its count is checked later by pg_writer_end_copy). */
static int end_first(struct pg_writer *w, struct ocp_error *err)
{
    int rc;
    if (w == NULL || w->state == W_FAILED || w->state == W_DONE)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "the data transaction is not open");
    if (w->state == W_COPYING) {
        if (w->first_ended)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "a later COPY is still open");
        if ((rc = finish_copy(w, &w->copied, first_failed, err)) != OCP_OK)
            return rc;
        w->first_ended = 1;
    }
    return OCP_OK;
}

int pgi_writer_exec(struct pg_writer *w, const char *sql, int n, const char *const *params,
                    const char *what, int64_t *rows, struct ocp_error *err)
{
    PGresult *res;
    int rc = end_first(w, err);
    if (rc != OCP_OK)
        return rc;
    res = pgi_execp(w->conn, sql, n, params, OCP_ERR_IOERR, what, err);
    if (res == NULL) {
        w->state = W_FAILED;
        rollback(w);
        return OCP_ERR_IOERR;
    }
    if (rows != NULL)
        *rows = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return OCP_OK;
}

int pgi_writer_copy_begin(struct pg_writer *w, const char *copy_sql, struct ocp_error *err)
{
    PGresult *res;
    int rc = end_first(w, err);
    if (rc != OCP_OK)
        return rc;
    res = PQexec(w->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        pgi_fail(err, OCP_ERR_IOERR, w->conn, res, "starting COPY");
        PQclear(res);
        w->state = W_FAILED;
        rollback(w);
        return OCP_ERR_IOERR;
    }
    PQclear(res);
    w->state = W_COPYING;
    return OCP_OK;
}

int pgi_writer_copy_end(struct pg_writer *w, int64_t *rows, const char *what, struct ocp_error *err)
{
    if (w == NULL || w->state != W_COPYING || !w->first_ended)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pgi_writer_copy_end: no later COPY is open");
    return finish_copy(w, rows, what, err);
}

PGconn *pgi_writer_conn(struct pg_writer *w)
{
    return w->conn;
}

int pg_writer_commit(struct pg_writer *w, int64_t expected_rows, struct ocp_error *err)
{
    PGresult *res;
    int rc;

    if (w != NULL && w->state == W_COPYING && !w->first_ended &&
        (rc = pg_writer_end_copy(w, expected_rows, err)) != OCP_OK)
        return rc;
    if (w == NULL || w->state != W_COPIED)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_writer_commit: no open COPY or transaction");
    if (w->copied != expected_rows)
        return rows_differ(w, expected_rows, err);
    res = PQexec(w->conn, "COMMIT");
    w->state = W_FAILED;
    if (PQstatus(w->conn) != CONNECTION_OK) {
        PQclear(res);
        return ocp_error_set(err, OCP_ERR_IOERR, NULL, -1, NULL,
                             "connection to PostgreSQL lost during COMMIT: "
                             "the outcome is unknown (the new rows are either "
                             "all there or not at all); rerunning the same "
                             "range is safe");
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        /* A deferred foreign key fails here; the server has rolled back. */
        pgi_fail(err, OCP_ERR_IOERR, w->conn, res,
                 "COMMIT failed, rolled back, the table is unchanged");
        PQclear(res);
        return OCP_ERR_IOERR;
    }
    if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        rc = ocp_error_set(err, OCP_ERR_IOERR, NULL, -1, NULL,
                           "COMMIT answered '%s': the transaction was "
                           "rolled back, the table is unchanged",
                           PQcmdStatus(res));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    w->state = W_DONE;
    return OCP_OK;
}

void pg_writer_abort(struct pg_writer *w, const char *reason)
{
    if (w == NULL)
        return;
    if (w->state == W_COPYING && PQstatus(w->conn) == CONNECTION_OK) {
        /* CopyFail makes the server end the COPY with an error; the
         * transaction is then aborted and ROLLBACK ends it. */
        if (PQputCopyEnd(w->conn, reason != NULL ? reason : "ocpagg aborted the run") == 1)
            rollback(w);
    } else if (w->state == W_COPIED)
        rollback(w);
    w->staged = 0;
    if (w->state == W_COPYING || w->state == W_COPIED)
        w->state = W_FAILED;
}

void pg_writer_counts(const struct pg_writer *w, int64_t *deleted, int64_t *copied)
{
    if (deleted != NULL)
        *deleted = w != NULL ? w->deleted : 0;
    if (copied != NULL)
        *copied = w != NULL && (w->state == W_DONE || w->state == W_COPIED) ? w->copied : -1;
}

void pg_writer_destroy(struct pg_writer *w)
{
    if (w == NULL)
        return;
    if (w->state == W_COPYING || w->state == W_COPIED)
        pg_writer_abort(w, "ocpagg: the writer was freed before COMMIT");
    PQfinish(w->conn);
    free(w->stage);
    free(w);
}
