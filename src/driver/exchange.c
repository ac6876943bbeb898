/* exchange.c - the shuffle of groups by day, over the transport. */
#include "driver/exchange.h"

#include <stdlib.h>

#include "driver/fault.h"

#define TAG_SHUFFLE 11

int exchange_day_owner(int32_t day, int nranks)
{
    int m = (int)(day % nranks);
    return m < 0 ? m + nranks : m;
}

struct owner_ctx {
    int rank, nranks;
};

static int keep_owned(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_owner(day, c->nranks) == c->rank;
}

void exchange_count_owned(const struct agg_partial *p, int rank, int nranks,
                          int64_t *pod_groups, int64_t *storage_groups)
{
    struct owner_ctx ctx;
    ctx.rank = rank;
    ctx.nranks = nranks;
    agg_partial_count_days(p, keep_owned, &ctx, pod_groups, storage_groups);
}

int exchange_shuffle_by_day(struct agg_partial *mine, struct tp *t,
                            struct ocp_error *err)
{
    struct owner_ctx ctx;
    int k, rc = OCP_OK;

    ctx.nranks = t->nranks;
    /* Round k: send to rank + k, receive from rank - k; every pair meets
     * once and each message holds only groups of the receiver's days.
     * What arrives is merged into `mine`, whose groups of other ranks'
     * days stay behind unused: the finish step asks only for its own.
     * A rank that failed still takes part in the round (its header says
     * so and no data moves), then every rank leaves after that round. */
    for (k = 1; k < t->nranks; k++) {
        int to = (t->rank + k) % t->nranks, from = (t->rank - k + t->nranks) % t->nranks;
        unsigned char *sbuf = NULL, *rbuf = NULL;
        size_t slen = 0, rlen = 0;
        int lrc;

        if (rc == OCP_OK && k == 1)
            rc = fault_at("exchange", err);
        if (rc == OCP_OK && tp_poll(t))
            rc = t->signal != NULL && *t->signal
                     ? ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL,
                                     "stopped by signal %d", (int)*t->signal)
                     : TP_PEER;
        if (rc == OCP_OK) {
            ctx.rank = to;
            rc = agg_partial_serialize_days(mine, keep_owned, &ctx, &sbuf, &slen, err);
        }
        lrc = tp_swap(t, sbuf, slen, rc, to, &rbuf, &rlen, from, TAG_SHUFFLE, err);
        free(sbuf);
        if (rc == OCP_OK && lrc == OCP_OK)
            lrc = agg_partial_merge_serialized(mine, rbuf, rlen, err);
        free(rbuf);
        if (rc == OCP_OK)
            rc = lrc;
        if (rc != OCP_OK && rc != TP_PEER)
            tp_alert(t, rc, err != NULL ? err->message : "");
        if (tp_any(t, rc != OCP_OK)) {
            if (rc == OCP_OK)
                rc = TP_PEER;
            break;
        }
    }
    return rc;
}
