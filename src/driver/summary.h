/* summary.h - the JSON run summary (driver only). */
#ifndef OCPAGG_DRIVER_SUMMARY_H
#define OCPAGG_DRIVER_SUMMARY_H

#include <stdint.h>

#include "ocpagg/agg.h"
#include "ocpagg/error.h"

struct rank_figures {
    int64_t rows;
    int64_t chunks, chunks_stolen; /* read; of them from another rank's list */
    double read_seconds, merge_seconds;
    int64_t peak_rss;
    int64_t exchange_groups, exchange_bytes; /* sent in the shuffle */
    double finish_busy_seconds;              /* finishing and encoding its own days */
    int64_t finish_days;
};

struct run_summary {
    const char *status;
    const char *config_json;
    const char *report_path;
    int report_writers;          /* ranks that wrote the report's bytes (0: not a file) */
    int64_t report_direct_bytes; /* of a CSV report, written with O_DIRECT */
    int64_t windows;             /* windows of days the report was made in */
    int windows_redone;          /* node roles differed between windows: redone in one */
    /* output.format postgres: what the database step did. */
    int has_postgres;
    const char *pg_server_version;
    int64_t pg_deleted_rows, pg_copied_rows, pg_rows_moved;
    int32_t pg_partitions_created;
    /* The OCP-on-AWS table in the same transaction (has_aws_postgres). */
    int has_aws_postgres;
    int64_t pg_aws_deleted_rows, pg_aws_copied_rows, pg_aws_rows_moved;
    int32_t pg_aws_partitions_created;
    int nranks, threads;
    struct agg_stats stats;
    int64_t total_rows, pruned_row_groups;
    int64_t out_pod_rows, out_unallocated_rows, out_storage_rows;
    double t_plan, t_read, t_reduce, t_finish, t_write, t_total;
    const struct rank_figures *per_rank;
    /* OCP on AWS (aws_step.c): the counters as JSON text and the step's
     * seconds; NULL when the step did not run. */
    const char *aws_json;
    double t_aws;
};

struct tp;
struct rank_result;

/* Collective after the last window's finish: rank 0 gets every rank's
 * figures (sum->per_rank, malloc'd into *figures) and the summed input
 * counters in sum->stats (st: this rank's counters over all windows).
 * Returns OCP_OK or OCP_ERR_OSERR (rank 0 out of memory). */
int summary_gather_read(struct tp *t, const struct rank_result *res, const struct agg_stats *st,
                        struct run_summary *sum, struct rank_figures **figures,
                        struct ocp_error *err);

/* Collective after the finish: rank 0 gets the owned group counts, the
 * output row counts and the report bytes written with O_DIRECT (counts:
 * pod groups, storage groups, pod, unallocated and storage rows, direct
 * bytes; summed), every rank's peak memory and what each sent in the
 * shuffle and in its finish (sent: groups, bytes, microseconds spent
 * finishing its own days, their number). */
int summary_gather_finish(struct tp *t, const int64_t counts[6], const int64_t sent[4],
                          struct run_summary *sum, struct rank_figures *figures,
                          struct ocp_error *err);

/* Writes the summary as indented JSON into a temporary beside path
 * (rpt_atomic_open into caller storage *a), not yet under its name: the
 * caller puts it in place with rpt_atomic_commit once the report it
 * describes is committed, or drops it with rpt_atomic_abort, so a failed
 * commit leaves an earlier summary as it was.  On failure *a is already
 * released. */
int summary_prepare(const struct run_summary *s, const char *path, struct rpt_atomic *a,
                    struct ocp_error *err);

#endif
