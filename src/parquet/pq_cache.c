/* pq_cache.c - what pq_table_read keeps between calls on one file, and
 * hands on to the next file of a dataset (pq_file_take_cache): a lasting
 * dictionary per string column (so ids stay the same from row group to
 * row group and from file to file, and consumers map each distinct string
 * once, not once per file), the MAP label texts likewise, the ids of a MAP
 * column's row group (decoded once when the row group is read in several
 * chunks), and the scratch buffers. */
#include "pq_read_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A string cache holding more than string_cache_bytes (default below)
 * starts afresh (new serial) at the next call, so a column of distinct
 * strings cannot grow without bound. */
#define STRCACHE_DEFAULT_BYTES ((uint64_t)128 << 20)

struct pq_readcache {
    pthread_mutex_t lock;
    uint64_t max_bytes; /* per column, strings plus 16 bytes each */
    struct pq_scratch s;
    int ncols;
    struct pq_strcache **str; /* per leaf, NULL until used */
    struct pq_mapcache **map; /* per MAP key leaf */
};

int pq_readcache_create(struct pq_file *f)
{
    struct pq_readcache *c = calloc(1, sizeof *c);

    if (c == NULL)
        return OCP_ERR_OSERR;
    c->ncols = f->ncols;
    c->max_bytes = f->opt.string_cache_bytes ? f->opt.string_cache_bytes : STRCACHE_DEFAULT_BYTES;
    c->str = calloc((size_t)(f->ncols > 0 ? f->ncols : 1), sizeof *c->str);
    c->map = calloc((size_t)(f->ncols > 0 ? f->ncols : 1), sizeof *c->map);
    if (c->str == NULL || c->map == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->str);
        free(c->map);
        free(c);
        return OCP_ERR_OSERR;
    }
    f->cache = c;
    return OCP_OK;
}

static void strcache_free(struct pq_strcache *sc)
{
    if (sc == NULL)
        return;
    ocp_arena_release(&sc->arena);
    free(sc->remap);
    free(sc->next);
    free(sc);
}

static void mapcache_free(struct pq_mapcache *mc)
{
    if (mc == NULL)
        return;
    ocp_arena_release(&mc->arena);
    strcache_free(mc->keys);
    strcache_free(mc->vals);
    free(mc->rg_ids);
    free(mc);
}

void pq_readcache_free(struct pq_readcache *c)
{
    int i;

    if (c == NULL)
        return;
    for (i = 0; i < c->ncols; i++) {
        strcache_free(c->str[i]);
        mapcache_free(c->map[i]);
    }
    free(c->str);
    free(c->map);
    pq_scratch_release(&c->s);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

struct pq_readcache *pq_readcache_take(const struct pq_file *f)
{
    if (f->cache == NULL || pthread_mutex_trylock(&f->cache->lock) != 0)
        return NULL;
    return f->cache;
}

void pq_readcache_put(struct pq_readcache *c)
{
    if (c != NULL)
        pthread_mutex_unlock(&c->lock);
}

struct pq_scratch *pq_readcache_scratch(struct pq_readcache *c)
{
    return &c->s;
}

/* The leaf of f with path and physical type as leaf j of g; -1 none. */
static int same_leaf(const struct pq_file *f, const struct pq_file *g, int j)
{
    int i;

    for (i = 0; i < f->ncols; i++)
        if (f->cols[i].type == g->cols[j].type && strcmp(f->cols[i].path, g->cols[j].path) == 0)
            return i;
    return -1;
}

void pq_file_take_cache(struct pq_file *to, struct pq_file *from)
{
    struct pq_readcache *t, *fc;
    struct pq_scratch s;
    int j;

    if (to == NULL || from == NULL || to == from)
        return;
    t = to->cache;
    fc = from->cache;
    if (t == NULL || fc == NULL)
        return;
    for (j = 0; j < from->ncols && j < fc->ncols; j++) {
        int i = same_leaf(to, from, j);

        if (i < 0 || i >= t->ncols)
            continue;
        if (fc->str[j] != NULL && t->str[i] == NULL) {
            t->str[i] = fc->str[j];
            fc->str[j] = NULL;
        }
        if (fc->map[j] != NULL && t->map[i] == NULL && to->cols[i].shape == PQ_SHAPE_MAP_KEY) {
            t->map[i] = fc->map[j];
            fc->map[j] = NULL;
            /* Its row group ids were from's. */
            t->map[i]->rg = -1;
        }
    }
    /* Scratch buffers too: their pages are faulted in already. */
    s = t->s;
    t->s = fc->s;
    fc->s = s;
}

/* (Re)starts sc empty with a fresh serial. */
static int strcache_start(struct pq_strcache *sc)
{
    ocp_arena_release(&sc->arena);
    ocp_arena_init(&sc->arena, 0);
    sc->serial = ocp_strdict_next_serial();
    sc->last = UINT32_MAX;
    sc->utf8_ok = 0;
    if (sc->next != NULL)
        memset(sc->next, 0xff, (size_t)sc->next_cap * sizeof *sc->next);
    return pq_dictbuild_init(&sc->db, &sc->arena, 1024, 16384);
}

/* What a cache of n strings of `bytes` bytes holds, about. */
static uint64_t held(uint64_t bytes, uint64_t n)
{
    return bytes + 16 * n;
}

static struct pq_strcache *strcache_prepare(struct pq_strcache **slot, uint64_t max_bytes)
{
    struct pq_strcache *sc = *slot;

    if (sc == NULL) {
        sc = calloc(1, sizeof *sc);
        if (sc == NULL)
            return NULL;
        ocp_arena_init(&sc->arena, 0);
        if (strcache_start(sc) != OCP_OK) {
            strcache_free(sc);
            return NULL;
        }
        *slot = sc;
        return sc;
    }
    if (held(sc->db.data_len, sc->db.count) > max_bytes) {
        if (strcache_start(sc) != OCP_OK) {
            strcache_free(sc);
            *slot = NULL;
            return NULL;
        }
    }
    return sc;
}

struct pq_strcache *pq_readcache_str(struct pq_readcache *c, int col)
{
    if (col < 0 || col >= c->ncols)
        return NULL;
    return strcache_prepare(&c->str[col], c->max_bytes);
}

static int mapcache_start(struct pq_mapcache *mc)
{
    ocp_arena_release(&mc->arena);
    ocp_arena_init(&mc->arena, 0);
    mc->serial = ocp_strdict_next_serial();
    mc->utf8_ok = 0;
    if (pq_dictbuild_init(&mc->sigs, &mc->arena, 256, 4096) != OCP_OK ||
        pq_dictbuild_init(&mc->texts, &mc->arena, 256, 16384) != OCP_OK)
        return OCP_ERR_OSERR;
    return OCP_OK;
}

struct pq_mapcache *pq_readcache_map(struct pq_readcache *c, int key_col)
{
    struct pq_mapcache *mc;

    if (key_col < 0 || key_col >= c->ncols)
        return NULL;
    mc = c->map[key_col];
    if (mc == NULL) {
        mc = calloc(1, sizeof *mc);
        if (mc == NULL)
            return NULL;
        ocp_arena_init(&mc->arena, 0);
        mc->rg = -1;
        if (mapcache_start(mc) != OCP_OK) {
            mapcache_free(mc);
            return NULL;
        }
        c->map[key_col] = mc;
    } else if (held(mc->texts.data_len + mc->sigs.data_len, mc->sigs.count) > c->max_bytes ||
               mc->sigs.count != mc->texts.count) {
        /* Row group ids refer to the old texts: forget them too. */
        mc->rg = -1;
        if (mapcache_start(mc) != OCP_OK) {
            c->map[key_col] = NULL;
            mapcache_free(mc);
            return NULL;
        }
    }
    if (strcache_prepare(&mc->keys, c->max_bytes) == NULL ||
        strcache_prepare(&mc->vals, c->max_bytes) == NULL)
        return NULL;
    /* Signatures are made of key and value ids: when either dictionary
     * started afresh, so must the signatures and texts. */
    if (mc->keys->serial != mc->key_serial || mc->vals->serial != mc->val_serial) {
        mc->rg = -1;
        if (mapcache_start(mc) != OCP_OK) {
            c->map[key_col] = NULL;
            mapcache_free(mc);
            return NULL;
        }
        mc->key_serial = mc->keys->serial;
        mc->val_serial = mc->vals->serial;
    }
    return mc;
}

/* Is entry g of sc the string s? */
static inline int entry_is(const struct pq_dictbuild *b, uint32_t g, const void *s, size_t len)
{
    uint64_t off = b->offsets[g];
    return b->offsets[g + 1] - off == len && pq_bytes_eq(b->data + off, s, len);
}

/* Makes next[] of sc hold index i (new entries: no guess). */
static int next_reserve(struct pq_strcache *sc, uint32_t i)
{
    uint32_t ncap = sc->next_cap ? sc->next_cap : 1024, j;
    uint32_t *nn;

    if (i < sc->next_cap)
        return OCP_OK;
    while (ncap <= i) {
        if (ncap > UINT32_MAX / 2)
            return OCP_ERR_OSERR;
        ncap *= 2;
    }
    nn = realloc(sc->next, (size_t)ncap * sizeof *nn);
    if (nn == NULL)
        return OCP_ERR_OSERR;
    for (j = sc->next_cap; j < ncap; j++)
        nn[j] = UINT32_MAX;
    sc->next = nn;
    sc->next_cap = ncap;
    return OCP_OK;
}

int pq_strcache_intern(struct pq_strcache *sc, const void *s, size_t len, uint32_t *id)
{
    const struct pq_dictbuild *b = &sc->db;
    uint32_t last = sc->last, g = UINT32_MAX, count = b->count;
    int rc;

    /* Columns repeat in the same order hour after hour (a node's pods, a
     * row group's dictionary page), so the string that followed the last
     * one the previous time usually follows it again: one compare instead
     * of a hash probe.  next[] remembers those successors. */
    if (last < sc->next_cap) {
        g = sc->next[last];
        if (g < count && entry_is(b, g, s, len)) {
            /* Hits walk the dictionary in its order: load ahead. */
            __builtin_prefetch(b->data + b->offsets[g] + 384);
            __builtin_prefetch(b->offsets + g + 16);
            __builtin_prefetch(sc->next + g + 32);
            *id = g;
            sc->last = g;
            return OCP_OK;
        }
    }
    rc = pq_dictbuild_intern(&sc->db, s, len, id);
    if (rc != OCP_OK)
        return rc;
    if (last != UINT32_MAX) {
        if ((rc = next_reserve(sc, last)) != OCP_OK)
            return rc;
        sc->next[last] = *id;
    }
    /* A new string has no successor yet.  Pods come and go in place: a
     * new pod name most often takes the place of the one that used to
     * follow the last string (g, absent this time), so guess the one that
     * followed g.  (Measured on 16m-json: about 100 k of the 230 k rows
     * after a new string per rank hit so; guessing g itself hits none.) */
    if (*id >= count && g < sc->next_cap && sc->next[g] < count) {
        uint32_t after = sc->next[g];
        if ((rc = next_reserve(sc, *id)) != OCP_OK)
            return rc;
        sc->next[*id] = after;
    }
    sc->last = *id;
    return OCP_OK;
}

struct ocp_strdict *pq_strcache_view(struct pq_strcache *sc, struct ocp_arena *arena)
{
    struct ocp_strdict *d = ocp_arena_alloc(arena, sizeof *d);

    if (d == NULL)
        return NULL;
    d->count = sc->db.count;
    d->offsets = sc->db.offsets;
    d->data = sc->db.data;
    d->serial = sc->serial;
    return d;
}
