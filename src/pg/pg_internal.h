/*
 * pg_internal.h - what the PostgreSQL output's files share: connecting,
 * quoting names, running a statement and turning a server error into an
 * ocp_error.
 */
#ifndef OCPAGG_PG_INTERNAL_H
#define OCPAGG_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdio.h>

#include "ocpagg/pg.h"

/* The table name in use (o->table or Koku's). */
const char *pgi_table(const struct pg_options *o);

/* Connects with o->conninfo (libpq's environment when empty), with
 * client_encoding UTF8, TimeZone UTC and application_name ocpagg.  A
 * conninfo with a password is OCP_ERR_CONFIG; a failed connection
 * OCP_ERR_CANTCREAT with libpq's message (which never holds a password,
 * since none may be configured). */
int pgi_connect(const struct pg_options *o, PGconn **out, struct ocp_error *err);

/* "schema"."name" quoted for SQL, malloc'd; NULL when out of memory. */
char *pgi_qname(PGconn *conn, const char *schema, const char *name);

/* A literal quoted for SQL, malloc'd; NULL when out of memory. */
char *pgi_literal(PGconn *conn, const char *s);

/* Records a failed statement: "<what>: SQLSTATE xxxxx: message (detail;
 * hint; context)".  When the error context names a COPY line and column
 * (COPY t, line N, column c), the message says "report row N" and the
 * column goes to err->column.  Returns code. */
int pgi_fail(struct ocp_error *err, int code, PGconn *conn, const PGresult *res, const char *what);

/* Runs sql (no parameters) and expects a command or tuples result;
 * returns the result (caller PQclear's) or NULL after recording the
 * failure with code. */
PGresult *pgi_exec(PGconn *conn, const char *sql, int code, const char *what,
                   struct ocp_error *err);

/* Like pgi_exec with text parameters. */
PGresult *pgi_execp(PGconn *conn, const char *sql, int n, const char *const *params, int code,
                    const char *what, struct ocp_error *err);

/* ---- Pre-flight pieces shared by the tables (pg_preflight.c) ---- */

/* The type families a column may have: what COPY's text for the report
 * column reads into without loss. */
enum pgi_kind { K_UUID, K_TEXT, K_DATE, K_JSON, K_NUM, K_INT };

/* A table the job writes: its name, the columns the COPY names with
 * their kinds, and Koku's name for it (for messages). */
struct pgi_table_spec {
    const char *table;
    const char *const *cols;
    const enum pgi_kind *kinds;
    int ncols;
    const char *koku_name;
};

/* Collects problems: each one line on the report stream, the first in
 * err; the status is 78 when any was a configuration problem, else 73. */
struct pgi_checks {
    FILE *report;
    struct ocp_error *err;
    int count, config;
    struct ocp_error scratch; /* a failed query's message, before it
                                 becomes a problem line */
};

/* Records one problem (code OCP_ERR_CONFIG or OCP_ERR_CANTCREAT). */
void pgi_problem(struct pgi_checks *ck, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* OCP_OK when no problem was recorded, else 78 or 73 (err says the first
 * and how many more). */
int pgi_finish_checks(struct pgi_checks *ck);

/* Whether the relation named by the SQL literal `lit` exists: 1 yes, 0 no,
 * -1 when the query failed (recorded as a problem). */
int pgi_relation_exists(PGconn *conn, const char *lit, struct pgi_checks *ck);

/* The configured ids[0..n) (duplicates fine) must exist as id in
 * <schema>.<table>, which a deferred foreign key points at (else it fails
 * only at COMMIT): one problem naming `what` (the config key) and the
 * missing ids, or the missing table. */
void pgi_check_ids(PGconn *conn, const char *schema, const char *table, const char *what,
                   const int64_t *ids, size_t n, struct pgi_checks *ck);

/* The checks of one target table, changing nothing: it exists (else the
 * schema or the table is named), SELECT/INSERT/DELETE privileges, RANGE
 * partitioned on usage_start, spec's columns present with compatible
 * types (constant strings fit their varchar), no NOT NULL column without
 * a default outside spec's, and the months of periods either have their
 * partition or can get one (or rows can go to the default partition).
 * Problems go to ck.  Returns 1 when the table exists (so later checks
 * make sense), else 0.  *missing: months without their partition;
 * *can_create: the role owns the table. */
int pgi_check_table(PGconn *conn, const struct pg_options *o, const struct pgi_table_spec *spec,
                    const struct pg_periods *periods, struct pgi_checks *ck, int32_t *missing,
                    int *can_create);

/* ---- The months of the range and their partitions (pg_partitions.c) ---- */

/* The months of o's start_date..end_date into p, each cut to the range,
 * each with o->report_period_id.  OCP_ERR_CONFIG when end_date is before
 * start_date, the range covers more than PG_MONTHS_MAX months, or it spans
 * more than one month with a fixed report_period_id. */
int pgi_plan_months(const struct pg_options *o, struct pg_periods *p, struct ocp_error *err);

/* *n = the months of p that have no partition <table>_YYYY_MM of the
 * table whose oid (as text) is oid.  OCP_ERR_CANTCREAT when a query
 * failed. */
int pgi_count_missing_partitions(PGconn *conn, const char *oid, const char *table,
                                 const struct pg_periods *p, int32_t *n, struct ocp_error *err);

/* ---- More than one table in the data transaction (pg_writer.c) ----
 * The writer's own table is COPYed first; a later table (pg_aws.c) runs
 * its statements in the same transaction.  The first of these calls ends
 * the table's COPY (one COPY at a time per connection); its count is kept
 * and checked by pg_writer_end_copy as before.  Any failure rolls the
 * whole transaction back (both tables unchanged); pg_writer_abort and
 * pg_writer_destroy handle a later COPY like the first. */

/* Runs one statement with text parameters in the transaction; *rows
 * (when non-NULL) gets its row count.  OCP_ERR_IOERR naming `what`. */
int pgi_writer_exec(struct pg_writer *w, const char *sql, int n, const char *const *params,
                    const char *what, int64_t *rows, struct ocp_error *err);

/* Starts another COPY ... FROM STDIN; pg_writer_write feeds it. */
int pgi_writer_copy_begin(struct pg_writer *w, const char *copy_sql, struct ocp_error *err);

/* Ends that COPY; *rows = the rows the server took.  A failure is
 * recorded as "<what>: SQLSTATE ...". */
int pgi_writer_copy_end(struct pg_writer *w, int64_t *rows, const char *what,
                        struct ocp_error *err);

/* The writer's connection (for quoting names). */
PGconn *pgi_writer_conn(struct pg_writer *w);

/* The first day of the month of day, and of the next month. */
int32_t pgi_month_start(int32_t day);
int32_t pgi_next_month(int32_t day);

#endif
