/* exchange.h - MPI transport of byte buffers and partials (driver only). */
#ifndef OCPAGG_DRIVER_EXCHANGE_H
#define OCPAGG_DRIVER_EXCHANGE_H

#include <mpi.h>
#include <stddef.h>

#include "ocpagg/agg.h"

/* Broadcasts a buffer of any size from root; other ranks get a malloc'd
 * copy.  Returns 0 or -1. */
int exchange_bcast(unsigned char **buf, size_t *len, int root, MPI_Comm comm);

/* Reduces every rank's partial into rank 0's along a binomial tree.  On
 * rank 0, `mine` holds the global result afterwards. */
int exchange_reduce(struct agg_partial *mine, MPI_Comm comm,
                    struct ocp_error *err);

#endif
