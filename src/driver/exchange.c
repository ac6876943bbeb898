/* exchange.c - the shuffle of groups by day, over the transport. */
#include "driver/exchange.h"

#include <stdlib.h>
#include <string.h>

#include "driver/fault.h"

#define TAG_SHUFFLE 11

int exchange_day_owner(int32_t day, int nranks)
{
    int m = (int)(day % nranks);
    return m < 0 ? m + nranks : m;
}

int exchange_day_part(int32_t day, int rank, int nranks)
{
    return (rank - exchange_day_owner(day, nranks) + nranks) % nranks;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int exchange_days_init(struct exchange_days *d, const int32_t *days, size_t ndays, int nranks,
                       int split_ok)
{
    int32_t *u;
    size_t *count, q, i, n;
    int r;

    memset(d, 0, sizeof *d);
    d->nranks = nranks;
    d->known = ndays > 0;
    if (!split_ok || nranks < 2 || ndays == 0)
        return OCP_OK;
    count = calloc((size_t)nranks, sizeof *count);
    u = malloc(ndays * sizeof *u);
    d->split = malloc(ndays * sizeof *d->split);
    if (count == NULL || u == NULL || d->split == NULL) {
        free(count);
        free(u);
        exchange_days_release(d);
        return OCP_ERR_OSERR;
    }
    /* The distinct days in order. */
    memcpy(u, days, ndays * sizeof *u);
    qsort(u, ndays, sizeof *u, cmp_i32);
    for (i = 0, n = 0; i < ndays; i++)
        if (n == 0 || u[n - 1] != u[i])
            u[n++] = u[i];
    for (i = 0; i < n; i++)
        count[exchange_day_owner(u[i], nranks)]++;
    /* A rank's last days beyond the even share are split, from the end
     * (consecutive days leave ndays mod nranks of them). */
    q = n / (size_t)nranks;
    for (i = n; i-- > 0;) {
        r = exchange_day_owner(u[i], nranks);
        if (count[r] > q) {
            count[r]--;
            d->split[d->nsplit++] = u[i];
        }
    }
    free(count);
    free(u);
    for (i = 0; i < d->nsplit / 2; i++) { /* found backwards: sorted again */
        int32_t x = d->split[i];
        d->split[i] = d->split[d->nsplit - 1 - i];
        d->split[d->nsplit - 1 - i] = x;
    }
    return OCP_OK;
}

int exchange_days_gather(struct exchange_days *d, const struct agg_partial *p, struct tp *t,
                         int split_ok, struct ocp_error *err)
{
    int32_t *mine = NULL, *all = NULL;
    int *counts = NULL, rc = OCP_OK;
    size_t n = 0, total = 0;

    if (agg_partial_days(p, &mine, &n) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory listing the days");
    rc = tp_allgather_i32(t, mine, n, rc, &all, &counts, &total, err);
    if (rc == OCP_OK) {
        exchange_days_release(d);
        if (exchange_days_init(d, all, total, t->nranks, split_ok) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        tp_failed(t, rc, err);
        /* Every rank splits the same days, or none goes on. */
        if (tp_any(t, rc != OCP_OK) && rc == OCP_OK)
            rc = TP_PEER;
    }
    free(mine);
    free(all);
    free(counts);
    return rc;
}

void exchange_days_release(struct exchange_days *d)
{
    free(d->split);
    d->split = NULL;
    d->nsplit = 0;
}

int exchange_day_split(const struct exchange_days *d, int32_t day)
{
    size_t lo = 0, hi = d->nsplit;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->split[mid] == day)
            return 1;
        if (d->split[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

struct owner_ctx {
    const struct exchange_days *d;
    int rank, nranks;
};

/* The whole days c->rank finishes. */
static int keep_whole(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_owner(day, c->nranks) == c->rank && !exchange_day_split(c->d, day);
}

static int keep_split(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_split(c->d, day);
}

/* The first round's message: c->rank's whole days and the split days. */
static int keep_first(int32_t day, void *ctx)
{
    return keep_whole(day, ctx) || keep_split(day, ctx);
}

static int keep_owned(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_owner(day, c->nranks) == c->rank;
}

/* The split days whose storage rows (their last part's) c->rank
 * finishes. */
static int keep_split_storage(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_split(c->d, day) &&
           exchange_day_part(day, c->rank, c->nranks) == c->nranks - 1;
}

/* Days this rank does not finish whole: their groups leave. */
static int keep_leaving(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_owner(day, c->nranks) != c->rank || exchange_day_split(c->d, day);
}

int64_t exchange_count_moving(const struct agg_partial *p, const struct exchange_days *d, int rank)
{
    struct owner_ctx ctx;
    int64_t pod = 0, sto = 0;
    ctx.d = d;
    ctx.rank = rank;
    ctx.nranks = d->nranks;
    agg_partial_count_days(p, keep_leaving, &ctx, &pod, &sto);
    return pod + sto;
}

void exchange_count_owned(const struct agg_partial *p, int rank, int nranks, int64_t *pod_groups,
                          int64_t *storage_groups)
{
    struct owner_ctx ctx;
    ctx.d = NULL;
    ctx.rank = rank;
    ctx.nranks = nranks;
    agg_partial_count_days(p, keep_owned, &ctx, pod_groups, storage_groups);
}

/* Before a round: this rank's failure so far, or a stop signal or a
 * peer's failure heard of since. */
static int round_check(struct tp *t, int rc, struct ocp_error *err)
{
    if (rc == OCP_OK && tp_poll(t))
        rc = t->signal != NULL && *t->signal
                 ? ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL, "stopped by signal %d",
                                 (int)*t->signal)
                 : TP_PEER;
    return rc;
}

/* A round: sbuf to `to`, and what `from` sent merged into mine.  A rank
 * that failed (rc) still takes part (its header says so and no data
 * moves); *leave tells every rank alike whether any failed, and then
 * they all leave after this round. */
static int round_swap(struct tp *t, struct agg_partial *mine, const unsigned char *sbuf,
                      size_t slen, int rc, int to, int from, uint64_t *bytes_sent, int *leave,
                      struct ocp_error *err)
{
    unsigned char *rbuf = NULL;
    size_t rlen = 0;
    int lrc = tp_swap(t, sbuf, slen, rc, to, &rbuf, &rlen, from, TAG_SHUFFLE, err);

    if (lrc == OCP_OK)
        *bytes_sent += slen;
    if (rc == OCP_OK && lrc == OCP_OK)
        lrc = agg_partial_merge_serialized(mine, rbuf, rlen, err);
    free(rbuf);
    if (rc == OCP_OK)
        rc = lrc;
    if (rc != OCP_OK && rc != TP_PEER)
        tp_alert(t, rc, err != NULL ? err->message : "");
    *leave = tp_any(t, rc != OCP_OK);
    if (*leave && rc == OCP_OK)
        rc = TP_PEER;
    return rc;
}

int exchange_shuffle_by_day(struct agg_partial *mine, const struct exchange_days *d, struct tp *t,
                            uint64_t *bytes_sent, struct ocp_error *err)
{
    struct owner_ctx ctx;
    unsigned char *split_buf = NULL;
    size_t split_len = 0;
    int k, phase, leave, rc = OCP_OK;
    /* With 3 ranks or more, split days need rounds of their own. */
    int phases = d->nsplit > 0 && t->nranks > 2 ? 2 : 1;

    ctx.d = d;
    ctx.nranks = t->nranks;
    /* Round k: send to rank + k, receive from rank - k; every pair meets
     * once.  What arrives is merged into `mine`, whose groups of other
     * ranks' days stay behind unused: the finish step asks only for its
     * own.  Whole days go to their owner only, so nothing received is
     * ever sent on.  Split days go to every rank, and merged groups sent
     * on would count twice: the first round, before anything arrived,
     * carries them with the whole days; with more ranks, a second phase
     * (rounds 2 ..) sends the rest of the peers the split days' groups
     * serialized once before that first round.  The split days' volume
     * nodes follow in rounds of their own (below). */
    for (phase = 0; phase < phases; phase++) {
        for (k = phase == 0 ? 1 : 2; k < t->nranks; k++) {
            int to = (t->rank + k) % t->nranks, from = (t->rank - k + t->nranks) % t->nranks;
            unsigned char *sbuf = NULL;
            size_t slen = 0;

            if (rc == OCP_OK && k == 1)
                rc = fault_at("exchange", err);
            if (rc == OCP_OK && k == 1 && d->nsplit > 0)
                rc = fault_at("split", err);
            rc = round_check(t, rc, err);
            ctx.rank = to;
            if (rc == OCP_OK && phases == 2 && k == 1) {
                struct agg_part_filter f = {.keep = keep_split, .ctx = &ctx, .dayless = 1};
                rc = agg_partial_serialize_filtered(mine, &f, &split_buf, &split_len, err);
            }
            if (rc == OCP_OK && phase == 0) {
                /* Volume nodes go with the whole days only: a split
                 * day's are wanted only where its storage rows are
                 * finished, and there only for the pods with storage
                 * rows, known once all its groups arrived (below). */
                struct agg_part_filter f = {.keep = k == 1 ? keep_first : keep_whole,
                                            .keep_vn = keep_whole,
                                            .ctx = &ctx,
                                            .dayless = 1};
                rc = agg_partial_serialize_filtered(mine, &f, &sbuf, &slen, err);
            }
            rc = round_swap(t, mine, phase == 0 ? sbuf : split_buf, phase == 0 ? slen : split_len,
                            rc, to, from, bytes_sent, &leave, err);
            free(sbuf);
            if (leave) {
                free(split_buf);
                return rc;
            }
        }
    }
    free(split_buf);
    /* Now every rank holds every storage group of the split days: each
     * sends the rank that finishes a split day's storage rows the volume
     * nodes of the pods those rows name (on 16 M rows, about a thousand of
     * the day's 94 k; all of them were sent to every rank, their pod
     * names interned there, a third of the exchange). */
    for (k = 1; d->nsplit > 0 && k < t->nranks; k++) {
        int to = (t->rank + k) % t->nranks, from = (t->rank - k + t->nranks) % t->nranks;
        unsigned char *sbuf = NULL;
        size_t slen = 0;

        if (rc == OCP_OK && k == 1)
            rc = fault_at("vnodes", err);
        rc = round_check(t, rc, err);
        ctx.rank = to;
        if (rc == OCP_OK) {
            struct agg_part_filter f = {
                .keep_vn = keep_split_storage, .ctx = &ctx, .vn_storage_only = 1};
            rc = agg_partial_serialize_filtered(mine, &f, &sbuf, &slen, err);
        }
        rc = round_swap(t, mine, sbuf, slen, rc, to, from, bytes_sent, &leave, err);
        free(sbuf);
        if (leave)
            return rc;
    }
    return rc;
}
