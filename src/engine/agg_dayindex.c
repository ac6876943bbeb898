/*
 * agg_dayindex.c - the entries of a partial's tables grouped by day.
 *
 * Finishing a month day by day would otherwise walk every capacity, pod,
 * storage and volume-node entry once per day (days x groups).  The index
 * lists each table's entries day by day once (a counting sort), so
 * finishing a day touches only that day's entries: the finish costs time
 * in proportion to the report, not to days x groups.
 */
#include "engine/agg_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The finish caches an index lends out (see agg_internal.h): `idle`
 * holds those not in use; `all` every one made, for destroy. */
struct cache_list {
    pthread_mutex_t lock;
    struct agg_finish_cache **idle, **all;
    size_t nidle, nall, cap;
};

struct agg_day_index {
    int32_t *days; /* sorted, distinct */
    size_t ndays;
    size_t *list[AGG_IX_COUNT]; /* entry indexes, day by day */
    size_t *off[AGG_IX_COUNT];  /* ndays + 1 offsets into list */
    struct cache_list *caches;  /* mutable behind the const index */
    /* Room of the arrays above and of the build's scratch, kept when the
     * index is renewed for the next window (agg_day_index_renew). */
    size_t days_cap, list_cap[AGG_IX_COUNT], off_cap[AGG_IX_COUNT];
    uint32_t *slot; /* scratch: each entry's day slot */
    size_t *fill;   /* scratch: next free place per day */
    size_t slot_cap, fill_cap;
    /* The partial the caches serve and its pool's generation then: the
     * caches hold on while both stay the same. */
    const struct agg_partial *for_p;
    uint32_t for_gen;
};

struct agg_finish_cache *agg_day_index_take_cache(const struct agg_day_index *ix)
{
    struct cache_list *l = ix->caches;
    struct agg_finish_cache *c = NULL;

    pthread_mutex_lock(&l->lock);
    if (l->nidle > 0) {
        c = l->idle[--l->nidle];
    } else {
        if (l->nall == l->cap) {
            size_t ncap = l->cap ? l->cap * 2 : 8;
            struct agg_finish_cache **na = realloc(l->all, ncap * sizeof *na);
            struct agg_finish_cache **ni;
            if (na != NULL)
                l->all = na;
            ni = na != NULL ? realloc(l->idle, ncap * sizeof *ni) : NULL;
            if (ni != NULL) {
                l->idle = ni;
                l->cap = ncap;
            }
        }
        if (l->nall < l->cap && (c = agg_finish_cache_create()) != NULL)
            l->all[l->nall++] = c;
    }
    pthread_mutex_unlock(&l->lock);
    return c;
}

void agg_day_index_trim(const struct agg_day_index *ix)
{
    size_t i;

    if (ix == NULL || ix->caches == NULL)
        return;
    for (i = 0; i < ix->caches->nall; i++)
        agg_finish_cache_trim(ix->caches->all[i]);
}

void agg_day_index_put_cache(const struct agg_day_index *ix, struct agg_finish_cache *c)
{
    struct cache_list *l = ix->caches;

    if (c == NULL)
        return;
    pthread_mutex_lock(&l->lock);
    l->idle[l->nidle++] = c; /* idle has room for every cache made */
    pthread_mutex_unlock(&l->lock);
}

static const struct hmap *table_of(const struct agg_partial *p, int t)
{
    switch (t) {
    case AGG_IX_CAPS: return &p->caps;
    case AGG_IX_PODS: return &p->pods;
    case AGG_IX_STORAGE: return &p->storage;
    default: return &p->vnodes;
    }
}

static int32_t day_of_entry(const struct hmap *m, int t, size_t e)
{
    int32_t day;
    if (t == AGG_IX_CAPS)
        return agg_day_of(((const struct cap_key *)hmap_entry(m, e))->ts);
    /* Pod, storage and volume-node keys start with the day. */
    memcpy(&day, hmap_entry(m, e), sizeof day);
    return day;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* The slot of day in the sorted distinct days (it is always there). */
static size_t slot_of(const struct agg_day_index *ix, int32_t day)
{
    size_t lo = 0, hi = ix->ndays;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->days[mid] <= day)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void agg_day_index_destroy(struct agg_day_index *ix)
{
    int t;
    if (ix == NULL)
        return;
    if (ix->caches != NULL) {
        size_t i;
        for (i = 0; i < ix->caches->nall; i++)
            agg_finish_cache_destroy(ix->caches->all[i]);
        free(ix->caches->all);
        free(ix->caches->idle);
        pthread_mutex_destroy(&ix->caches->lock);
        free(ix->caches);
    }
    for (t = 0; t < AGG_IX_COUNT; t++) {
        free(ix->list[t]);
        free(ix->off[t]);
    }
    free(ix->days);
    free(ix->slot);
    free(ix->fill);
    free(ix);
}

/* An array `a` of at least n elements of size bytes (never fewer than
 * one): a itself when its *cap suffices, else a new one (a is freed:
 * nothing in it is kept); NULL when out of memory (*cap is then 0). */
static void *reserve(void *a, size_t *cap, size_t n, size_t size)
{
    void *na;

    if (n == 0)
        n = 1;
    if (a != NULL && *cap >= n)
        return a;
    free(a);
    *cap = 0;
    if (n > SIZE_MAX / size || (na = malloc(n * size)) == NULL)
        return NULL;
    *cap = n;
    return na;
}

/* Lists p's entries day by day in ix's arrays (grown when too small);
 * -1 when out of memory. */
static int build(struct agg_day_index *ix, const struct agg_partial *p)
{
    size_t total = 0, e, n, d;
    int t;

    ix->ndays = 0;
    for (t = 0; t < AGG_IX_COUNT; t++)
        total += table_of(p, t)->count;
    if ((ix->days = reserve(ix->days, &ix->days_cap, total, sizeof *ix->days)) == NULL)
        return -1;
    /* Distinct days of every table: entries cluster by day, so skipping
     * repeats of the previous one keeps the sort short. */
    for (t = 0, n = 0; t < AGG_IX_COUNT; t++) {
        const struct hmap *m = table_of(p, t);
        int32_t last = 0;
        for (e = 0; e < m->count; e++) {
            int32_t day = day_of_entry(m, t, e);
            if (e > 0 && day == last)
                continue;
            ix->days[n++] = last = day;
        }
    }
    qsort(ix->days, n, sizeof *ix->days, cmp_i32);
    for (e = 0, d = 0; e < n; e++)
        if (d == 0 || ix->days[d - 1] != ix->days[e])
            ix->days[d++] = ix->days[e];
    if ((ix->fill = reserve(ix->fill, &ix->fill_cap, d, sizeof *ix->fill)) == NULL)
        return -1;
    ix->ndays = d;
    for (t = 0; t < AGG_IX_COUNT; t++) {
        const struct hmap *m = table_of(p, t);
        uint32_t *sl;
        int32_t last = 0;
        size_t last_slot = 0;
        ix->off[t] = reserve(ix->off[t], &ix->off_cap[t], ix->ndays + 1, sizeof *ix->off[t]);
        ix->list[t] = reserve(ix->list[t], &ix->list_cap[t], m->count, sizeof *ix->list[t]);
        ix->slot = reserve(ix->slot, &ix->slot_cap, m->count, sizeof *ix->slot);
        if (ix->off[t] == NULL || ix->list[t] == NULL || ix->slot == NULL) {
            ix->ndays = 0; /* no lists to find days in */
            return -1;
        }
        memset(ix->off[t], 0, (ix->ndays + 1) * sizeof *ix->off[t]);
        /* Each entry's day slot once (entries cluster by day, so mostly
         * the previous one's): the second pass reads these instead of the
         * entries again. */
        sl = ix->slot;
        for (e = 0; e < m->count; e++) {
            int32_t day = day_of_entry(m, t, e);
            if (e == 0 || day != last) {
                last = day;
                last_slot = slot_of(ix, day);
            }
            sl[e] = (uint32_t)last_slot; /* < ndays, at most 2^32 int32 days */
            ix->off[t][last_slot + 1]++;
        }
        for (d = 0; d < ix->ndays; d++)
            ix->off[t][d + 1] += ix->off[t][d];
        memcpy(ix->fill, ix->off[t], ix->ndays * sizeof *ix->fill);
        for (e = 0; e < m->count; e++)
            ix->list[t][ix->fill[sl[e]]++] = e;
    }
    return 0;
}

int agg_day_index_create(const struct agg_partial *p, struct agg_day_index **out,
                         struct ocp_error *err)
{
    struct agg_day_index *ix = calloc(1, sizeof *ix);

    *out = NULL;
    if (ix == NULL)
        goto oom;
    ix->caches = calloc(1, sizeof *ix->caches);
    if (ix->caches == NULL)
        goto oom;
    if (pthread_mutex_init(&ix->caches->lock, NULL) != 0) {
        free(ix->caches);
        ix->caches = NULL;
        goto oom;
    }
    if (build(ix, p) != 0)
        goto oom;
    ix->for_p = p;
    ix->for_gen = p->pool_gen;
    *out = ix;
    return OCP_OK;
oom:
    agg_day_index_destroy(ix);
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

int agg_day_index_renew(struct agg_day_index *ix, const struct agg_partial *p,
                        struct ocp_error *err)
{
    size_t i;

    /* Every cache is idle between finishes.  What each holds is keyed by
     * pool ids: still good only for the same strings (a reset clears
     * them). */
    if (p != ix->for_p || p->pool_gen != ix->for_gen)
        for (i = 0; i < ix->caches->nall; i++)
            agg_finish_cache_forget(ix->caches->all[i]);
    ix->for_p = p;
    ix->for_gen = p->pool_gen;
    if (build(ix, p) != 0)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    return OCP_OK;
}

size_t agg_day_index_entries(const struct agg_day_index *ix, int table, int32_t day,
                             const size_t **list)
{
    size_t s;
    if (ix->ndays == 0 || day < ix->days[0] || day > ix->days[ix->ndays - 1]) {
        *list = NULL;
        return 0;
    }
    s = slot_of(ix, day);
    if (ix->days[s] != day) {
        *list = NULL;
        return 0;
    }
    *list = ix->list[table] + ix->off[table][s];
    return ix->off[table][s + 1] - ix->off[table][s];
}
