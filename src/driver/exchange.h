/* exchange.h - moving groups to the rank that owns their day (driver only). */
#ifndef OCPAGG_DRIVER_EXCHANGE_H
#define OCPAGG_DRIVER_EXCHANGE_H

#include <stdint.h>

#include "driver/transport.h"
#include "ocpagg/agg.h"

/* Collective.  Sends every rank the groups of its days (day mod nranks ==
 * rank) from this rank's partial and merges what the others send into
 * `mine`, which then holds all groups of this rank's days (and, unused,
 * the groups of other days it read itself).  Each round's serialized part
 * is freed before the next, so the exchange adds little memory.  After
 * every round all ranks check whether any failed, so a failure anywhere
 * ends the shuffle on every rank after the same round.  Returns this
 * rank's status: its own failure, TP_PEER when another rank failed or
 * stopped, OCP_ERR_INTERRUPTED on its own stop signal. */
int exchange_shuffle_by_day(struct agg_partial *mine, struct tp *t,
                            struct ocp_error *err);

/* The pod and storage groups of the days this rank owns. */
void exchange_count_owned(const struct agg_partial *p, int rank, int nranks,
                          int64_t *pod_groups, int64_t *storage_groups);

/* The rank that owns a day in the shuffle. */
int exchange_day_owner(int32_t day, int nranks);

#endif
