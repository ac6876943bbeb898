/* finish.h - the day-by-day finish streamed into the CSV (driver only). */
#ifndef OCPAGG_DRIVER_FINISH_H
#define OCPAGG_DRIVER_FINISH_H

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

#include "ocpagg/agg.h"
#include "ocpagg/report.h"

struct finish_result {
    int64_t pod_rows, unallocated_rows, storage_rows;
};

/* Collective.  `mine` holds this rank's days (after the shuffle).  Every
 * rank finishes its days, nthreads days at a time, and rank 0 writes the
 * header and all days' rows in day order to a temporary file that is
 * renamed to path once every rank succeeded.  A stop request turns the
 * remaining days into an OCP_ERR_INTERRUPTED status.  Rank 0 prints a
 * progress line every progress_seconds (0: none).  Returns this rank's
 * own status (rank 0 includes writing); the report is renamed into place
 * only when every rank succeeded. */
int finish_stream_csv(const struct agg_partial *mine,
                      const struct agg_finish_settings *fs,
                      const struct rpt_meta *meta, int nthreads,
                      const char *path, volatile sig_atomic_t *stop,
                      double progress_seconds, MPI_Comm comm,
                      struct finish_result *res, struct ocp_error *err);

#endif
