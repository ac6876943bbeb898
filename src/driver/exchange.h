/* exchange.h - MPI transport of byte buffers and partials (driver only). */
#ifndef OCPAGG_DRIVER_EXCHANGE_H
#define OCPAGG_DRIVER_EXCHANGE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "ocpagg/agg.h"

/* Broadcasts a buffer of any size from root; other ranks get a malloc'd
 * copy.  Returns 0 or -1. */
int exchange_bcast(unsigned char **buf, size_t *len, int root, MPI_Comm comm);

/* Reduces every rank's partial into rank 0's along a binomial tree.  On
 * rank 0, `mine` holds the global result afterwards. */
int exchange_reduce(struct agg_partial *mine, MPI_Comm comm,
                    struct ocp_error *err);

#endif

/* Redistributes the partials by day: afterwards each rank holds, in
 * *out, every group of the days it owns (day mod nranks == rank) from all
 * ranks, plus the node facts of every rank.  `mine` is left unchanged. */
int exchange_shuffle_by_day(const struct agg_partial *mine,
                            const struct agg_settings *settings,
                            MPI_Comm comm, struct agg_partial **out,
                            struct ocp_error *err);

/* The rank that owns a day in the shuffle. */
int exchange_day_owner(int32_t day, int nranks);
