/* aws_sink.h - rank 0's writer of the OCP-on-AWS report (driver only;
 * see aws_sink.c). */
#ifndef OCPAGG_DRIVER_AWS_SINK_H
#define OCPAGG_DRIVER_AWS_SINK_H

#include <stddef.h>

#include "driver/aws_step.h"
#include "driver/output.h"
#include "ocpagg/aws.h"
#include "ocpagg/config.h"

struct aws_sink;

/* 1 when the report at path is Parquet (the name ends ".parquet"), else
 * it is CSV; every rank encodes its days in that form. */
int aws_sink_is_parquet(const char *path);

/* Starts the report: sets res->output_path and res->pending_path (the
 * temporary it is written under) and opens it; *out is the sink (free it
 * with aws_sink_free, also after a failure).  s is read until the sink is
 * freed.  db (output.format postgres: rank 0's open OCP destination, else
 * NULL): the rows also go into Koku's AWS table in the OCP transaction
 * (out_aws_*), each month's with that month's report period, and a file
 * is written only when aws.output is set (the days then arrive as rows).
 * OCP_ERR_OSERR, OCP_ERR_CANTCREAT, the database's errors. */
int aws_sink_open(struct aws_sink **out, const struct cfg *cfg, const struct aws_settings *s,
                  struct out_dest *db, struct aws_step_result *res, struct ocp_error *err);

/* One run day, in day order: its counters and its rows, as a table (a
 * Parquet report) or as CSV text (csv set; a CSV report).  Writes them. */
int aws_sink_day(struct aws_sink *k, const struct aws_table *day, const struct aws_counters *c,
                 const char *csv, size_t csv_len, struct ocp_error *err);

/* One run day as a block from aws_block_encode (decoded, then
 * aws_sink_day).  A corrupt block is OCP_ERR_SOFTWARE. */
int aws_sink_write(struct aws_sink *k, const unsigned char *blk, size_t len, struct ocp_error *err);

/* After the last day: completes the report under res->pending_path and
 * fills res's counters (with the run's reading counts) and row counts. */
int aws_sink_close(struct aws_sink *k, const struct aws_read_counts *read,
                   struct aws_step_result *res, struct ocp_error *err);

/* Closes and removes the report being written; safe twice, and while
 * the step runs (the cleanup hook calls it through aws_step_abort). */
void aws_sink_abort(struct aws_sink *k);

/* Aborts (if still open) and frees; NULL is allowed. */
void aws_sink_free(struct aws_sink *k);

#endif
