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

/* Sends every rank the groups of its days (day mod nranks == rank) from
 * this rank's partial and merges what the others send into `mine`, which
 * then holds all groups of this rank's days (and, unused, the groups of
 * other days it read itself).  Each round's serialized part is freed
 * before the next, so the exchange adds little memory. */
int exchange_shuffle_by_day(struct agg_partial *mine, MPI_Comm comm,
                            struct ocp_error *err);

/* The pod and storage groups of the days this rank owns. */
void exchange_count_owned(const struct agg_partial *p, int rank, int nranks,
                          int64_t *pod_groups, int64_t *storage_groups);

/* The rank that owns a day in the shuffle. */
int exchange_day_owner(int32_t day, int nranks);
