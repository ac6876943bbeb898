/* output.h - where the report goes: a file (CSV, Parquet, partitioned
 * Parquet) through the report stream, or Koku's PostgreSQL table through
 * the pg writer (driver only).
 *
 * The finish path does not care which: every rank encodes its days with
 * out_encode (any thread), rank 0 hands the blocks in day order to
 * out_write, and the write phase commits (or aborts) once all ranks
 * agree.  Ownership: struct out_dest is caller storage, zeroed;
 * out_open fills it, out_commit/out_abort end it, out_release frees. */
#ifndef OCPAGG_DRIVER_OUTPUT_H
#define OCPAGG_DRIVER_OUTPUT_H

#include <stdint.h>

#include "ocpagg/config.h"
#include "ocpagg/pg.h"
#include "ocpagg/report.h"

/* How a day's rows become a block: the same on every rank. */
struct out_encoding {
    int postgres;              /* 1: COPY text for the database */
    enum rpt_format format;    /* file formats */
    struct pg_periods periods; /* postgres: report period per month */
    const char *report_path;   /* the file's name (messages); borrowed */
    int shared_write;          /* CSV file and output.shared_write: with
                                  several ranks each writes its own days
                                  (finish_shared.c), when all can open the file */
    int split_days;            /* a day may reach the report in several
                                  blocks, so ranks may share one (struct
                                  exchange_days): a CSV file, no AWS step */
};

/* The encoding the config asks for (periods filled later for postgres). */
void out_encoding_of(const struct cfg *cfg, struct out_encoding *enc);

/* Encodes a finished, sorted day table (thread-safe). */
int out_encode(const struct out_encoding *enc, const struct rpt_table *t,
               const struct rpt_meta *meta, struct rpt_buf *out, struct ocp_error *err);

/* Rank 0's destination. */
struct out_dest {
    struct rpt_stream *stream;
    struct pg_writer *pg;
    struct pg_partition_result partitions;
    int64_t deleted, copied;
    /* postgres: what the OCP-on-AWS rows need (out_aws_*) */
    const struct pg_options *pgo;
    const struct pg_periods *periods;
    struct pg_partition_result aws_partitions;
    int64_t aws_deleted, aws_copied;
};

/* Opens the destination (rank 0): the report stream, or for postgres the
 * partitions (the AWS table's too when aws.source_uuid is set) and then
 * the data transaction (lock, DELETE, COPY).  pgo and enc must outlive
 * the destination. */
int out_open(struct out_dest *d, const struct cfg *cfg, const struct out_encoding *enc,
             const struct rpt_meta *meta, const struct pg_options *pgo, struct ocp_error *err);

/* ---- The OCP-on-AWS rows into Koku's table (postgres; rank 0) ----
 * Called after the last OCP block and before out_end: out_aws_begin ends
 * the OCP COPY (counted; checked by out_end), deletes this run's AWS rows
 * and opens the AWS table's COPY in the same transaction; out_aws_write
 * takes blocks of COPY text (aws_encode_csv without header), in day
 * order; out_aws_end checks the count.  Any failure rolls back both
 * tables; out_abort does too. */

/* Whether the AWS rows go into the database (postgres output). */
static inline int out_aws_to_db(const struct out_dest *d)
{
    return d != NULL && d->pg != NULL;
}

/* The report period id of day's month (the AWS rows carry it), or -1
 * when the day is outside the configured range. */
int64_t out_aws_period(const struct out_dest *d, int32_t day);

int out_aws_begin(struct out_dest *d, const char *aws_source_uuid, struct ocp_error *err);
int out_aws_write(struct out_dest *d, const unsigned char *block, size_t len,
                  struct ocp_error *err);
int out_aws_end(struct out_dest *d, int64_t expected_rows, struct ocp_error *err);

/* Writes the next block. */
int out_write(struct out_dest *d, const unsigned char *block, size_t len, struct ocp_error *err);

/* Ends the data before the summary is written: for postgres the COPY
 * ends and the copied count is checked against expected_rows (the
 * transaction stays open); nothing for files. */
int out_end(struct out_dest *d, int64_t expected_rows, struct ocp_error *err);

/* Makes the report visible: rename / tree swap, or COMMIT. */
int out_commit(struct out_dest *d, int64_t expected_rows, struct ocp_error *err);

/* Throws the report away: temporaries removed, or ROLLBACK; an earlier
 * report (or the table's rows) stays as it was. */
void out_abort(struct out_dest *d, const char *reason);

/* Frees what out_open made (aborting when neither commit nor abort ran). */
void out_release(struct out_dest *d);

/* Whether a destination is open. */
static inline int out_is_open(const struct out_dest *d)
{
    return d->stream != NULL || d->pg != NULL;
}

#endif
