/*
 * pg.h - the report written into Koku's PostgreSQL table
 * (<schema>.reporting_ocpusagelineitem_daily_summary), atomically and
 * idempotently.
 *
 * The database output has the same shape as the file outputs of report.h:
 * any rank encodes a day's sorted rpt_table into a block of bytes
 * (pg_encode_block: the COPY ... (FORMAT csv) text of the 37 columns the
 * table has), blocks go to rank 0 in day order, and rank 0 streams them
 * into one transaction (struct pg_writer).  The sequence on rank 0 is
 *
 *     pg_options_from_cfg(&cfg, &o);
 *     pg_preflight(&o, &target, stderr, &err);     before the heavy work
 *     ... broadcast target.periods to the encoding ranks ...
 *     pg_prepare_partitions(&o, &target, &parts, &err);
 *     pg_writer_begin(&w, &o, &target.periods, &err);
 *     pg_writer_write(w, block, len, &err);         per block, in day order
 *     pg_writer_end_copy(w, report_rows, &err);     counts known now
 *     pg_writer_commit(w, report_rows, &err);       or pg_writer_abort()
 *     pg_writer_counts(w, &deleted, &copied);
 *     pg_writer_destroy(w);
 *
 * Nothing outside the partition step changes the database before COMMIT:
 * the DELETE of the configured range and the COPY run in one transaction,
 * so any failure (or pg_writer_abort) leaves the old rows exactly as they
 * were.  Every status is an enum ocp_status: OCP_ERR_CONFIG (78) for a
 * configuration that cannot work against this database, OCP_ERR_CANTCREAT
 * (73) when the table cannot be written (connection, privileges),
 * OCP_ERR_IOERR (74) for a failure while writing (SQLSTATE, message, COPY
 * line = report row, column), OCP_ERR_DATA (65) for a value the column
 * cannot hold.  Messages never contain the conninfo.
 *
 * No MPI, no OpenMP here; libpq only.
 */
#ifndef OCPAGG_PG_H
#define OCPAGG_PG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ocpagg/config.h"
#include "ocpagg/error.h"
#include "ocpagg/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Koku's table name, the default of output.postgres.table. */
#define PG_DEFAULT_TABLE "reporting_ocpusagelineitem_daily_summary"
/* The lock_timeout default (seconds) of the data and partition
 * transactions: long enough to wait out Koku's cost distribution of the
 * same source, short enough that a stuck lock ends the job. */
#define PG_DEFAULT_LOCK_TIMEOUT 300.0
/* The report columns Koku's table has (all but csi_volume_handle). */
#define PG_COLUMN_COUNT 37
/* Months one run may cover (report_period_id: auto). */
#define PG_MONTHS_MAX 120

/* The COPY column list, in block order (NULL-terminated). */
extern const char *const pg_column_names[];

/* What the module needs from the configuration.  Strings are borrowed;
 * they must outlive every call that takes the options. */
struct pg_options {
    const char *conninfo;        /* NULL or "" = libpq's PG* environment,
                                    service file and .pgpass */
    const char *schema;          /* required, e.g. "org1234567" */
    const char *table;           /* NULL = PG_DEFAULT_TABLE */
    int create_partitions;       /* create missing monthly partitions */
    double lock_timeout_seconds; /* 0 = wait forever */
    int report_period_auto;      /* look the period up per month */
    int64_t report_period_id;    /* used when not auto */
    const char *cluster_id;
    const char *cluster_alias;
    const char *source_uuid;
    int32_t start_date, end_date;     /* days since 1970-01-01, inclusive */
    const int64_t *cost_category_ids; /* the configured ids (duplicates ok) */
    size_t n_cost_category_ids;
};

/* The report period of each month of the range: plain data without
 * pointers, so rank 0 can broadcast it as bytes (MPI_BYTE,
 * sizeof(struct pg_periods)). */
struct pg_periods {
    int32_t start_date, end_date; /* the configured range, inclusive */
    int32_t n;                    /* months in use */
    struct pg_period {
        int32_t first_day, last_day; /* the month cut to the range */
        int64_t id;                  /* its report_period_id */
    } month[PG_MONTHS_MAX];
};

/* What pre-flight found. */
struct pg_target {
    struct pg_periods periods;
    char server_version[64];    /* server_version, e.g. "15.18 (Debian ...)" */
    int server_version_num;     /* e.g. 150018 */
    int32_t missing_partitions; /* months without their partition */
    int can_create_partitions;  /* the role owns the table */
};

/* Fills o from a validated config (output.format postgres).  Borrows c's
 * strings; cost-category ids go to ids[0..cap) (the caller's array, sized
 * c->n_cost_categories).  OCP_ERR_CONFIG when a required key is missing. */
int pg_options_from_cfg(const struct cfg *c, struct pg_options *o, int64_t *ids, size_t cap,
                        struct ocp_error *err);

/* Checks a conninfo string without connecting: it must parse (libpq
 * keyword=value or URI) and hold no password.  NULL or "" is fine.
 * OCP_ERR_CONFIG naming output.postgres.conninfo; the text itself is never
 * repeated in the message. */
int pg_check_conninfo(const char *conninfo, struct ocp_error *err);

/* Appends the COPY ... (FORMAT csv) text of t's rows (the columns of
 * pg_column_names, no header) to out.  report_period_id comes from
 * periods (the row's month) when periods is non-NULL, else from
 * meta->report_period_id.  all_labels NULL is sent as {} (what Koku
 * stores on unallocated rows); NaN is NULL, never 'NaN'.  A value the
 * table cannot hold is OCP_ERR_DATA naming the day, row, uuid and column:
 * invalid UTF-8, \u0000 in a jsonb column, an infinite or |x| >= 1e18
 * number, an id outside int32, a row outside the periods' range.  On
 * failure out->len is restored.  Thread-safe (no shared state). */
int pg_encode_block(const struct rpt_table *t, const struct rpt_meta *meta,
                    const struct pg_periods *periods, struct rpt_buf *out, struct ocp_error *err);

/* Rank 0, before the heavy work; changes nothing in the database.
 * Connects (client_encoding UTF8) and checks: the table exists, is
 * RANGE-partitioned on usage_start and has the 37 columns with
 * compatible types; SELECT, INSERT and DELETE privileges; the report
 * period exists and belongs to this cluster, source and month (or, with
 * report_period_auto, one per month is found); the cost-category ids
 * exist.  Each problem is one line on `report` (when non-NULL); err holds
 * the first.  Returns OCP_ERR_CONFIG (78) when any problem is a
 * configuration mismatch, else OCP_ERR_CANTCREAT (73) (cannot connect,
 * missing privileges, read-only server).  On success *out has the
 * resolved periods and the server version. */
int pg_preflight(const struct pg_options *o, struct pg_target *out, FILE *report,
                 struct ocp_error *err);

/* What pg_prepare_partitions did. */
struct pg_partition_result {
    int32_t created; /* partitions created */
    int64_t moved;   /* rows moved out of the default partition */
    int skipped;     /* missing but not created (not the owner, or
                        create_partitions off): rows go to the default
                        partition, which is valid */
};

/* Creates the missing monthly partitions <table>_YYYY_MM of the range
 * the way Koku does (a row in <schema>.partitioned_tables whose trigger
 * runs CREATE TABLE ... PARTITION OF; plain CREATE TABLE ... PARTITION OF
 * when that table does not exist).  Each month in a short transaction of
 * its own, never inside the data transaction.  When the default partition
 * already holds rows of the month, the partition is created detached, the
 * rows moved (DELETE ... RETURNING) and the partition attached, in one
 * transaction.  OCP_ERR_CANTCREAT when a partition cannot be made. */
int pg_prepare_partitions(const struct pg_options *o, struct pg_partition_result *res,
                          struct ocp_error *err);

/* The data transaction.  Ownership: pg_writer_begin creates,
 * pg_writer_commit or pg_writer_abort ends it, pg_writer_destroy frees
 * (after either; it aborts if neither happened). */
struct pg_writer;

/* Connects, BEGIN (READ COMMITTED), SET LOCAL lock_timeout, takes
 * pg_advisory_xact_lock(hashtext(source_uuid)) (the key Koku's cost
 * distribution uses, so runs of one source serialise), runs Koku's DELETE
 * for every month of periods (usage_start in the month cut to the range,
 * that month's report_period_id, infrastructure_raw_cost NULL or 0) and
 * starts COPY ... FROM STDIN (FORMAT csv).  On failure everything is
 * rolled back and *out is NULL. */
int pg_writer_begin(struct pg_writer **out, const struct pg_options *o,
                    const struct pg_periods *periods, struct ocp_error *err);

/* Sends the next block (blocks of pg_encode_block, in report order).
 * Small blocks are gathered and sent in large pieces. */
int pg_writer_write(struct pg_writer *w, const unsigned char *block, size_t len,
                    struct ocp_error *err);

/* Ends the COPY and checks the copied count against expected_rows (the
 * report's row count); the transaction stays open, so the caller can put
 * the counts into the run summary (pg_writer_counts) before
 * pg_writer_commit, and still pg_writer_abort when that fails.  On
 * failure the transaction is rolled back: OCP_ERR_IOERR naming SQLSTATE,
 * message, COPY line = report row and column; OCP_ERR_SOFTWARE for a
 * count mismatch. */
int pg_writer_end_copy(struct pg_writer *w, int64_t expected_rows, struct ocp_error *err);

/* Ends the COPY as pg_writer_end_copy does unless that was done, checks
 * the copied count against expected_rows (the report's row count),
 * COMMITs.  On failure the transaction is rolled
 * back (OCP_ERR_IOERR naming SQLSTATE, message, COPY line = report row and
 * column; OCP_ERR_SOFTWARE for a count mismatch).  A connection lost
 * during COMMIT is OCP_ERR_IOERR saying that the outcome is unknown and a
 * rerun is safe. */
int pg_writer_commit(struct pg_writer *w, int64_t expected_rows, struct ocp_error *err);

/* Ends the COPY with an error carrying reason (or, after
 * pg_writer_end_copy, the open transaction) and rolls back; the table is
 * as before.  Safe after a failed write or commit (does nothing then). */
void pg_writer_abort(struct pg_writer *w, const char *reason);

/* Rows deleted by the DELETE and rows copied (copied is known after a
 * successful pg_writer_end_copy or commit; -1 before). */
void pg_writer_counts(const struct pg_writer *w, int64_t *deleted, int64_t *copied);

/* Frees the writer and closes its connection (aborting first when the
 * transaction is still open). */
void pg_writer_destroy(struct pg_writer *w);

/* ---- The OCP-on-AWS table (issue 14; pg_aws.c) ----
 *
 * When the AWS step runs with output.format postgres, its rows go into
 * Koku's <schema>.reporting_ocpawscostlineitem_project_daily_summary_p in
 * the SAME transaction as the OCP rows: rank 0, after the OCP blocks are
 * sent,
 *
 *     pg_aws_begin(w, &o, &periods, aws_source_uuid, &deleted, &err);
 *     pg_writer_write(w, block, len, &err);   COPY text of aws_encode_csv
 *     pg_aws_end(w, aws_rows, &copied, &err);
 *
 * then pg_writer_end_copy / pg_writer_commit for the OCP table as before.
 * pg_aws_begin ends the OCP COPY (its count is still checked by
 * pg_writer_end_copy), DELETEs this run's AWS rows and starts the second
 * COPY; any failure, pg_writer_abort or a lost connection rolls back both
 * tables.  Pre-flight (pg_aws_preflight) and the monthly partitions
 * (pg_aws_prepare_partitions) come before, like the OCP table's. */

/* Koku's OCP-on-AWS project table. */
#define PG_AWS_TABLE "reporting_ocpawscostlineitem_project_daily_summary_p"

/* Rank 0, before the heavy work, after pg_preflight (periods = its
 * resolved periods); changes nothing.  Checks the AWS table as
 * pg_preflight checks the OCP one (exists, RANGE-partitioned on
 * usage_start, the columns of aws_column_names with compatible types,
 * SELECT/INSERT/DELETE, partitions or a default partition), and that the
 * configured bill (when has_bill) exists in reporting_awscostentrybill
 * and the account alias ids in reporting_awsaccountalias (their foreign
 * keys are deferred, so they would fail only at COMMIT); a bill with a
 * range of more than one month is refused (one bill per month).  One line per
 * problem on `report`; OCP_ERR_CONFIG (78) naming the table or column,
 * else OCP_ERR_CANTCREAT (73). */
int pg_aws_preflight(const struct pg_options *o, const struct pg_periods *periods, int has_bill,
                     int64_t bill_id, const int64_t *alias_ids, size_t n_alias_ids, FILE *report,
                     struct ocp_error *err);

/* Creates the AWS table's missing monthly partitions of o's range,
 * exactly as pg_prepare_partitions does for the OCP table (each in its
 * own short transaction, before the data transaction). */
int pg_aws_prepare_partitions(const struct pg_options *o, struct pg_partition_result *res,
                              struct ocp_error *err);

/* In w's open transaction (its OCP COPY sent): ends that COPY, deletes
 * this run's earlier AWS rows -- for each month of periods, usage_start
 * in the month cut to the range, report_period_id = that month's period
 * and source_uuid = aws_source_uuid (Koku's rerun scope, docs/postgres.md)
 * -- and starts COPY of the aws_column_names columns FROM STDIN (FORMAT
 * csv).  *deleted = rows deleted.  On failure the transaction is rolled
 * back (OCP_ERR_IOERR). */
int pg_aws_begin(struct pg_writer *w, const struct pg_options *o, const struct pg_periods *periods,
                 const char *aws_source_uuid, int64_t *deleted, struct ocp_error *err);

/* Ends the AWS COPY and checks its count against expected_rows (the AWS
 * report's rows); *copied = rows the server took.  The transaction stays
 * open for the OCP count check and COMMIT.  On failure rolled back:
 * OCP_ERR_IOERR (SQLSTATE, message, COPY line = AWS report row, column),
 * OCP_ERR_SOFTWARE for a count mismatch. */
int pg_aws_end(struct pg_writer *w, int64_t expected_rows, int64_t *copied, struct ocp_error *err);

#ifdef __cplusplus
}
#endif
#endif
