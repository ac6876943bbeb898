/* finish.h - the split finish and the streamed CSV (driver only). */
#ifndef OCPAGG_DRIVER_FINISH_H
#define OCPAGG_DRIVER_FINISH_H

#include <mpi.h>
#include <stdint.h>

#include "ocpagg/agg.h"
#include "ocpagg/report.h"

struct day_block;

/* The formatted day blocks a rank owns (caller storage). */
struct day_block_list {
    struct day_block *blocks;
    size_t count;
};

struct finish_result {
    int64_t pod_rows, unallocated_rows, storage_rows;
};

/* Finishes the days of `mine` (already holding only this rank's days) on
 * nthreads threads, each taking the days (day / nranks) mod nthreads ==
 * thread, and formats one CSV block per day. */
int finish_days(const struct agg_partial *mine, const struct agg_settings *s,
                const struct agg_finish_settings *fs,
                const struct rpt_meta *meta, int nranks, int nthreads,
                struct day_block_list *out, struct finish_result *res,
                struct ocp_error *err);

void day_block_list_release(struct day_block_list *l);

/* Collective: rank 0 writes header and every rank's day blocks in day
 * order to a temporary file, then renames it to path.  Returns the write
 * status on rank 0 (OCP_OK elsewhere). */
int write_days_csv(struct day_block_list *mine, const char *path,
                   MPI_Comm comm, struct ocp_error *err);

#endif
