/* exchange.h - moving groups to the rank that owns their day (driver only). */
#ifndef OCPAGG_DRIVER_EXCHANGE_H
#define OCPAGG_DRIVER_EXCHANGE_H

#include <stdint.h>

#include "driver/transport.h"
#include "ocpagg/agg.h"

/* Who finishes which day.  A day belongs to rank day mod nranks
 * (exchange_day_owner), except that the days a rank would hold beyond an
 * even share (days / nranks) are split: every rank holds all groups of a
 * split day and finishes one part of it (agg_finish_day_part), part k on
 * rank (day + k) mod nranks.  So 7 days on 2 ranks are 3 days and half a
 * day each, not 4 and 3.  The days are the plan's (each window's) or,
 * where the plan cannot tell, those the ranks read (exchange_days_gather);
 * days are split only where a day may reach the report in several blocks
 * (split_ok: a CSV file, no AWS step); the same on every rank.
 * Ownership: exchange_days_init / exchange_days_release. */
struct exchange_days {
    int nranks;
    int32_t *split; /* sorted */
    size_t nsplit;
    int known; /* set up from a list of days (which may split none) */
};

/* Sets d up for the days listed, in any order and with repeats (the
 * plan's chunks' days of a window; none: no split day).  OCP_ERR_OSERR
 * when out of memory. */
int exchange_days_init(struct exchange_days *d, const int32_t *days, size_t ndays, int nranks,
                       int split_ok);
void exchange_days_release(struct exchange_days *d);

/* Collective, after reading, where the plan could not list the days (no
 * per-chunk days: HDF5, or Parquet without interval_start statistics):
 * sets d up for the days any rank's partial holds.  Returns this rank's
 * status, TP_PEER when another rank failed here. */
int exchange_days_gather(struct exchange_days *d, const struct agg_partial *p, struct tp *t,
                         int split_ok, struct ocp_error *err);

/* Whether every rank finishes a part of day. */
int exchange_day_split(const struct exchange_days *d, int32_t day);

/* Collective.  Sends every rank the groups of the days it finishes, whole
 * or in part, from this rank's partial and merges what the others send
 * into `mine`, which then holds all groups of this rank's days (and,
 * unused, the groups of other days it read itself).  The split days'
 * groups go with the first round's; with 3 ranks or more, to the other
 * peers in rounds of their own after the whole days (one serialized part,
 * made before the first round and alive through those rounds).  The
 * split days' volume nodes go last, in rounds of their own, only to the
 * rank that finishes each one's storage rows and only for the pods with
 * storage rows.  Each other round's serialized part is freed before the
 * next, so the exchange adds little memory.  After
 * every round all ranks check whether any failed, so a failure anywhere
 * ends the shuffle on every rank after the same round.  Returns this
 * rank's status: its own failure, TP_PEER when another rank failed or
 * stopped, OCP_ERR_INTERRUPTED on its own stop signal.  *bytes_sent grows
 * by the serialized bytes this rank sent. */
int exchange_shuffle_by_day(struct agg_partial *mine, const struct exchange_days *d, struct tp *t,
                            uint64_t *bytes_sent, struct ocp_error *err);

/* Groups this rank's partial holds of days it does not finish whole: what
 * the shuffle will send (for the run summary and bench/model.py). */
int64_t exchange_count_moving(const struct agg_partial *p, const struct exchange_days *d, int rank);

/* The pod and storage groups of the days this rank owns (day mod nranks
 * == rank, split or not, so that each group counts on one rank). */
void exchange_count_owned(const struct agg_partial *p, int rank, int nranks, int64_t *pod_groups,
                          int64_t *storage_groups);

/* The rank that owns a day (day mod nranks; see struct exchange_days). */
int exchange_day_owner(int32_t day, int nranks);

/* The part of split day `day` that `rank` finishes: part k is rank
 * (owner + k) mod nranks's, so the last part (the one with the storage
 * rows) is the rank before the owner's. */
int exchange_day_part(int32_t day, int rank, int nranks);

#endif
