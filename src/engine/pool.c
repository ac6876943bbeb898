/* pool.c - interning strings to small ids. */
#include "engine/pool.h"
#include "ocpagg/error.h"
#include "ocpagg/mem.h"
#include "ocpagg/text.h"

#include <stdlib.h>
#include <string.h>

void pool_init(struct agg_pool *p)
{
    memset(p, 0, sizeof *p);
}

void pool_release(struct agg_pool *p)
{
    free(p->bytes);
    free(p->meta);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

void pool_clear(struct agg_pool *p)
{
    if (p->count > 0)
        p->count = 1; /* the NULL id, meta[0], stays */
    p->bytes_len = 0;
    p->full = 0;
    if (p->slots != NULL)
        memset(p->slots, 0, ((size_t)p->mask + 1) * sizeof *p->slots);
}

uint32_t pool_hash(const char *s, size_t len)
{
    return (uint32_t)(txt_hash(s, len) >> 32);
}

static int pool_grow_table(struct agg_pool *p)
{
    /* The table stays at most twice the id limit (2^30 slots). */
    uint32_t ncap = p->mask ? (p->mask + 1) * 2 : 1024;
    uint64_t *slots = calloc(ncap, sizeof *slots);
    uint32_t j;

    if (slots == NULL)
        return -1;
    /* Strings are looked up and compared at random (mem.h). */
    ocp_mem_advise_huge(slots, (size_t)ncap * sizeof *slots);
    for (j = 0; p->slots != NULL && j <= p->mask; j++) {
        uint64_t sl = p->slots[j];
        uint32_t i;
        if (sl == 0)
            continue;
        i = (uint32_t)(sl >> 32) & (ncap - 1);
        while (slots[i] != 0)
            i = (i + 1) & (ncap - 1);
        slots[i] = sl;
    }
    free(p->slots);
    p->slots = slots;
    p->mask = ncap - 1;
    return 0;
}

static int pool_grow_ids(struct agg_pool *p)
{
    uint32_t ncap = p->cap ? (p->cap < POOL_MAX_IDS / 2 ? p->cap * 2 : POOL_MAX_IDS) : 1024;
    struct pool_meta *m = realloc(p->meta, (size_t)ncap * sizeof *m);

    if (m == NULL)
        return -1;
    ocp_mem_advise_huge(m, (size_t)ncap * sizeof *m);
    p->meta = m;
    p->cap = ncap;
    if (p->count == 0) {
        memset(&p->meta[0], 0, sizeof p->meta[0]);
        p->count = 1;
    }
    return 0;
}

/* The slot holding s, or the empty slot where it would go. */
static inline uint32_t pool_probe(const struct agg_pool *p, const char *s, size_t len, uint32_t h,
                                  uint32_t *id)
{
    uint32_t i;
    for (i = h & p->mask; p->slots[i] != 0; i = (i + 1) & p->mask) {
        uint64_t sl = p->slots[i];
        uint32_t cand = (uint32_t)sl;
        if ((uint32_t)(sl >> 32) == h && p->meta[cand].length == len &&
            memcmp(p->bytes + p->meta[cand].offset, s, len) == 0) {
            *id = cand;
            return i;
        }
    }
    *id = POOL_NULL;
    return i;
}

uint32_t pool_intern(struct agg_pool *p, const char *s, size_t len)
{
    uint32_t h, i, id;

    if (s == NULL)
        return POOL_NULL;
    if (p->count == 0 && pool_grow_ids(p) != 0)
        return POOL_NULL;
    if (((uint64_t)p->count + 1) * 2 > (uint64_t)p->mask + 1 && p->count < POOL_MAX_IDS &&
        pool_grow_table(p) != 0)
        return POOL_NULL;
    h = pool_hash(s, len);
    i = pool_probe(p, s, len, h, &id);
    if (id != POOL_NULL)
        return id;
    if (p->count >= POOL_MAX_IDS || len > UINT32_MAX - 1) {
        p->full = 1;
        return POOL_NULL;
    }
    if (p->count == p->cap && pool_grow_ids(p) != 0)
        return POOL_NULL;
    if (p->bytes_len + len + 1 > p->bytes_cap) {
        size_t ncap = p->bytes_cap ? p->bytes_cap * 2 : 65536;
        char *nb;
        while (ncap < p->bytes_len + len + 1)
            ncap *= 2;
        nb = realloc(p->bytes, ncap);
        if (nb == NULL)
            return POOL_NULL;
        ocp_mem_advise_huge(nb, ncap);
        p->bytes = nb;
        p->bytes_cap = ncap;
    }
    id = p->count++;
    p->meta[id].offset = p->bytes_len;
    p->meta[id].length = (uint32_t)len;
    p->meta[id].hash = h;
    if (len > 0)
        memcpy(p->bytes + p->bytes_len, s, len);
    p->bytes[p->bytes_len + len] = '\0';
    p->bytes_len += len + 1;
    p->slots[i] = ((uint64_t)h << 32) | id;
    return id;
}

int pool_fail_error(const struct agg_pool *p, struct ocp_error *err, const char *what)
{
    if (p->full)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, what,
                             "more than %u distinct strings (or one of 4 GiB "
                             "or more) in one rank's partial",
                             (unsigned)POOL_MAX_IDS - 1);
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, what, "out of memory");
}

int pool_cmp(const struct agg_pool *p, uint32_t a, uint32_t b)
{
    uint32_t la, lb;
    int c;

    if (a == b)
        return 0;
    if (a == POOL_NULL)
        return -1;
    if (b == POOL_NULL)
        return 1;
    la = p->meta[a].length;
    lb = p->meta[b].length;
    c = memcmp(p->bytes + p->meta[a].offset, p->bytes + p->meta[b].offset, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : (la > lb ? 1 : 0);
}
