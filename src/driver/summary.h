/* summary.h - the JSON run summary (driver only). */
#ifndef OCPAGG_DRIVER_SUMMARY_H
#define OCPAGG_DRIVER_SUMMARY_H

#include <stdint.h>

#include "ocpagg/agg.h"
#include "ocpagg/error.h"

struct rank_figures {
    int64_t rows;
    double read_seconds, merge_seconds;
    int64_t peak_rss;
};

struct run_summary {
    const char *status;
    const char *config_json;
    const char *report_path;
    int nranks, threads;
    struct agg_stats stats;
    int64_t total_rows, pruned_row_groups;
    int64_t out_pod_rows, out_unallocated_rows, out_storage_rows;
    double t_plan, t_read, t_reduce, t_finish, t_write, t_total;
    const struct rank_figures *per_rank;
};

/* Writes the summary as indented JSON to path (temp file + rename). */
int summary_write(const struct run_summary *s, const char *path,
                  struct ocp_error *err);

#endif
