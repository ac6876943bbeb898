/*
 * pq_write_column.c - one leaf column of the Parquet writer: levels and
 * values of the current page, the chunk's dictionary, statistics, and the
 * encoding of finished pages into the chunk buffer.
 *
 * A chunk starts dictionary encoded (when the column allows it).  When the
 * dictionary would pass its size limit, the current page's indices are
 * turned back into PLAIN values and the rest of the chunk is PLAIN; the
 * pages already written keep referring to the dictionary, which is written
 * in front of them when the row group ends.
 */
#include "ocpagg/text.h"
#include "pq_write_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pq_codec.h"

#define PQ_DICT_FULL UINT32_MAX

int pq_leaf_init(struct pq_leaf *l, const char *const *path, int npath, enum pq_type ptype,
                 int max_def, int max_rep, int use_dict, size_t dict_max, int page_stats_on)
{
    size_t total = 0;
    int i;

    memset(l, 0, sizeof *l);
    l->npath = npath;
    l->ptype = ptype;
    l->max_def = max_def;
    l->max_rep = max_rep;
    l->use_dict = use_dict && ptype != PQ_BOOLEAN;
    l->dict_mode = l->use_dict;
    l->dict_max = dict_max;
    l->page_stats_on = page_stats_on;
    for (i = 0; i < npath; i++) {
        l->path[i] = strdup(path[i]);
        if (l->path[i] == NULL)
            return OCP_ERR_OSERR;
        total += strlen(path[i]) + 1;
    }
    l->dotted = malloc(total + 1);
    if (l->dotted == NULL)
        return OCP_ERR_OSERR;
    l->dotted[0] = '\0';
    for (i = 0; i < npath; i++) {
        if (i > 0)
            strcat(l->dotted, ".");
        strcat(l->dotted, path[i]);
    }
    return OCP_OK;
}

void pq_leaf_release(struct pq_leaf *l)
{
    int i;

    for (i = 0; i < 3; i++)
        free(l->path[i]);
    free(l->dotted);
    free(l->def);
    free(l->rep);
    free(l->idx);
    free(l->entries);
    free(l->slots);
    free(l->cache);
    pq_buf_release(&l->plain);
    pq_buf_release(&l->dict_plain);
    pq_buf_release(&l->pages);
    pq_buf_release(&l->body);
    pq_buf_release(&l->comp);
    pq_buf_release(&l->header);
    pq_buf_release(&l->levels);
    pq_buf_release(&l->stats.min);
    pq_buf_release(&l->stats.max);
    pq_buf_release(&l->page_stats.min);
    pq_buf_release(&l->page_stats.max);
    memset(l, 0, sizeof *l);
}

/* ---- statistics ----------------------------------------------------- */

static int cmp_values(enum pq_type t, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    switch (t) {
    case PQ_INT32: {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    case PQ_INT64: {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case PQ_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case PQ_BOOLEAN: return (a[0] > b[0]) - (a[0] < b[0]);
    default: {
        /* Byte arrays compare as unsigned bytes, then by length. */
        size_t n = alen < blen ? alen : blen;
        int c = n > 0 ? memcmp(a, b, n) : 0;
        if (c != 0)
            return c < 0 ? -1 : 1;
        return (alen > blen) - (alen < blen);
    }
    }
}

static int set_buf(struct pq_buf *b, const void *p, size_t n)
{
    b->len = 0;
    return pq_buf_append(b, p, n);
}

static int stats_update(struct pq_wstats *s, enum pq_type t, const void *p, size_t n)
{
    int rc = OCP_OK;

    if (t == PQ_DOUBLE) {
        double d;
        memcpy(&d, p, 8);
        if (isnan(d))
            return OCP_OK; /* NaN has no place in an order */
    }
    if (!s->has_minmax) {
        rc = set_buf(&s->min, p, n);
        if (rc == OCP_OK)
            rc = set_buf(&s->max, p, n);
        s->has_minmax = rc == OCP_OK;
        return rc;
    }
    if (cmp_values(t, p, n, s->min.data, s->min.len) < 0)
        rc = set_buf(&s->min, p, n);
    else if (cmp_values(t, p, n, s->max.data, s->max.len) > 0)
        rc = set_buf(&s->max, p, n);
    return rc;
}

static void stats_reset(struct pq_wstats *s)
{
    s->null_count = 0;
    s->has_minmax = 0;
    s->min.len = 0;
    s->max.len = 0;
}

/* Parquet asks writers to store a zero minimum as -0.0 and a zero maximum
 * as +0.0, so readers pruning with either sign keep the right pages. */
static void stats_fix_zero(struct pq_wstats *s, enum pq_type t)
{
    double d;

    if (t != PQ_DOUBLE || !s->has_minmax)
        return;
    memcpy(&d, s->min.data, 8);
    if (d == 0.0) {
        d = -0.0;
        memcpy(s->min.data, &d, 8);
    }
    memcpy(&d, s->max.data, 8);
    if (d == 0.0) {
        d = 0.0;
        memcpy(s->max.data, &d, 8);
    }
}

int pq_leaf_finish_stats(struct pq_leaf *l)
{
    uint32_t i;
    int rc = OCP_OK;

    if (l->ptype == PQ_BYTE_ARRAY) {
        for (i = 0; i < l->nentries && rc == OCP_OK; i++)
            rc = stats_update(&l->stats, l->ptype, l->dict_plain.data + l->entries[i].offset,
                              l->entries[i].len);
    }
    stats_fix_zero(&l->stats, l->ptype);
    return rc;
}

/* ---- levels and dictionary ---------------------------------------- */

static int push_levels(struct pq_leaf *l, uint32_t def, uint32_t rep)
{
    if (l->nlevels == l->levels_cap) {
        size_t cap = l->levels_cap ? l->levels_cap * 2 : 1024;
        if (l->max_def > 0) {
            uint32_t *d = realloc(l->def, cap * sizeof *d);
            if (d == NULL)
                return OCP_ERR_OSERR;
            l->def = d;
        }
        if (l->max_rep > 0) {
            uint32_t *r = realloc(l->rep, cap * sizeof *r);
            if (r == NULL)
                return OCP_ERR_OSERR;
            l->rep = r;
        }
        l->levels_cap = cap;
    }
    if (l->max_def > 0)
        l->def[l->nlevels] = def;
    if (l->max_rep > 0)
        l->rep[l->nlevels] = rep;
    l->nlevels++;
    return OCP_OK;
}

static int push_idx(struct pq_leaf *l, uint32_t ix)
{
    if (l->nidx == l->idx_cap) {
        size_t cap = l->idx_cap ? l->idx_cap * 2 : 1024;
        uint32_t *p = realloc(l->idx, cap * sizeof *p);
        if (p == NULL)
            return OCP_ERR_OSERR;
        l->idx = p;
        l->idx_cap = cap;
    }
    l->idx[l->nidx++] = ix;
    return OCP_OK;
}

static int grow_slots(struct pq_leaf *l)
{
    uint32_t n = l->nslots ? l->nslots * 2 : 256;
    uint32_t *s, i;

    if (n == 0 || n > (UINT32_MAX >> 1))
        return OCP_ERR_OSERR;
    s = calloc(n, sizeof *s);
    if (s == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < l->nentries; i++) {
        uint32_t pos = (uint32_t)l->entries[i].hash & (n - 1);
        while (s[pos] != 0)
            pos = (pos + 1) & (n - 1);
        s[pos] = i + 1;
    }
    free(l->slots);
    l->slots = s;
    l->nslots = n;
    return OCP_OK;
}

/* Finds or adds a value; *ix gets its index, or PQ_DICT_FULL when adding
 * it would pass the dictionary's size limit. */
static int dict_find(struct pq_leaf *l, const void *p, size_t n, uint32_t *ix)
{
    uint64_t h = txt_hash(p, n);
    size_t prefix = l->ptype == PQ_BYTE_ARRAY ? 4 : 0;
    uint32_t pos, e;
    int rc;

    if (l->nslots == 0 || (uint64_t)l->nentries * 2 >= l->nslots) {
        rc = grow_slots(l);
        if (rc != OCP_OK)
            return rc;
    }
    pos = (uint32_t)h & (l->nslots - 1);
    while ((e = l->slots[pos]) != 0) {
        const struct pq_wdict_entry *en = &l->entries[e - 1];
        if (en->hash == h && en->len == n &&
            (n == 0 || memcmp(l->dict_plain.data + en->offset, p, n) == 0)) {
            *ix = e - 1;
            return OCP_OK;
        }
        pos = (pos + 1) & (l->nslots - 1);
    }
    if (l->dict_plain.len + prefix + n > l->dict_max || l->nentries >= PQ_DICT_FULL - 1) {
        *ix = PQ_DICT_FULL;
        return OCP_OK;
    }
    if (l->nentries == l->entries_cap) {
        uint32_t cap = l->entries_cap ? l->entries_cap * 2 : 256;
        struct pq_wdict_entry *ne = realloc(l->entries, cap * sizeof *ne);
        if (ne == NULL)
            return OCP_ERR_OSERR;
        l->entries = ne;
        l->entries_cap = cap;
    }
    if (prefix) {
        uint8_t len4[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        rc = pq_buf_append(&l->dict_plain, len4, 4);
        if (rc != OCP_OK)
            return rc;
    }
    l->entries[l->nentries].hash = h;
    l->entries[l->nentries].offset = (uint32_t)l->dict_plain.len;
    l->entries[l->nentries].len = (uint32_t)n;
    rc = pq_buf_append(&l->dict_plain, p, n);
    if (rc != OCP_OK)
        return rc;
    l->slots[pos] = l->nentries + 1;
    *ix = l->nentries++;
    return OCP_OK;
}

static int append_plain(struct pq_leaf *l, const void *p, size_t n)
{
    if (l->ptype == PQ_BYTE_ARRAY) {
        uint8_t len4[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        int rc = pq_buf_append(&l->plain, len4, 4);
        if (rc != OCP_OK)
            return rc;
    }
    return pq_buf_append(&l->plain, p, n);
}

/* Leaves dictionary encoding for the rest of the chunk: the page's indices
 * become PLAIN values, so the page stays in one encoding. */
static int fall_back(struct pq_leaf *l)
{
    size_t i;
    int rc = OCP_OK;

    l->plain.len = 0;
    for (i = 0; i < l->nidx && rc == OCP_OK; i++) {
        const struct pq_wdict_entry *en = &l->entries[l->idx[i]];
        rc = append_plain(l, l->dict_plain.data + en->offset, en->len);
    }
    l->nidx = 0;
    l->dict_mode = 0;
    return rc;
}

/* ---- putting values ------------------------------------------------- */

int pq_leaf_put_null(struct pq_leaf *l, uint32_t def, uint32_t rep)
{
    l->page_nulls++;
    l->stats.null_count++;
    l->page_stats.null_count++;
    return push_levels(l, def, rep);
}

static int put_value(struct pq_leaf *l, const void *p, size_t n, uint32_t rep)
{
    int rc = push_levels(l, (uint32_t)l->max_def, rep);

    if (rc != OCP_OK)
        return rc;
    if (l->dict_mode) {
        uint32_t ix;
        rc = dict_find(l, p, n, &ix);
        if (rc != OCP_OK)
            return rc;
        if (ix != PQ_DICT_FULL)
            return push_idx(l, ix);
        rc = fall_back(l);
        if (rc != OCP_OK)
            return rc;
    }
    return append_plain(l, p, n);
}

int pq_leaf_put_fixed(struct pq_leaf *l, const void *v, uint32_t rep)
{
    size_t n = l->ptype == PQ_INT32 ? 4 : 8;
    int rc = put_value(l, v, n, rep);

    if (rc == OCP_OK)
        rc = stats_update(&l->stats, l->ptype, v, n);
    if (rc == OCP_OK && l->page_stats_on)
        rc = stats_update(&l->page_stats, l->ptype, v, n);
    return rc;
}

int pq_leaf_put_bool(struct pq_leaf *l, int v, uint32_t rep)
{
    uint8_t b = v ? 1 : 0;
    int rc = push_levels(l, (uint32_t)l->max_def, rep);

    if (rc == OCP_OK && l->bool_count % 8 == 0) {
        uint8_t zero = 0;
        rc = pq_buf_append(&l->plain, &zero, 1);
    }
    if (rc != OCP_OK)
        return rc;
    if (b)
        l->plain.data[l->plain.len - 1] |= (uint8_t)(1u << (l->bool_count % 8));
    l->bool_count++;
    rc = stats_update(&l->stats, PQ_BOOLEAN, &b, 1);
    if (rc == OCP_OK && l->page_stats_on)
        rc = stats_update(&l->page_stats, PQ_BOOLEAN, &b, 1);
    return rc;
}

int pq_leaf_put_bytes(struct pq_leaf *l, const void *p, size_t len, uint32_t rep)
{
    int rc;

    if (len > INT32_MAX)
        return OCP_ERR_DATA;
    rc = put_value(l, p, len, rep);
    /* While dictionary encoded, the chunk's min and max come from the
     * dictionary at the end, which saves a comparison per row. */
    if (rc == OCP_OK && !l->dict_mode)
        rc = stats_update(&l->stats, PQ_BYTE_ARRAY, p, len);
    if (rc == OCP_OK && l->page_stats_on)
        rc = stats_update(&l->page_stats, PQ_BYTE_ARRAY, p, len);
    return rc;
}

int pq_leaf_put_dict_id(struct pq_leaf *l, const struct ocp_strdict *d, uint32_t id, uint32_t rep)
{
    size_t len;
    const char *s;
    uint32_t ix;
    int rc;

    if (id >= d->count)
        return OCP_ERR_DATA;
    s = ocp_strdict_get(d, id, &len);
    if (!l->dict_mode)
        return pq_leaf_put_bytes(l, s, len, rep);
    if (l->cache_dict != d || l->cache_serial != d->serial || l->cache_len < d->count) {
        if (l->cache_len < d->count) {
            uint32_t *c = realloc(l->cache, (size_t)d->count * sizeof *c);
            if (c == NULL)
                return OCP_ERR_OSERR;
            l->cache = c;
            l->cache_len = d->count;
        }
        memset(l->cache, 0xff, (size_t)l->cache_len * sizeof *l->cache);
        l->cache_dict = d;
        l->cache_serial = d->serial;
    }
    ix = l->cache[id];
    if (ix == UINT32_MAX) {
        rc = pq_leaf_put_bytes(l, s, len, rep);
        if (rc == OCP_OK && l->dict_mode)
            l->cache[id] = l->idx[l->nidx - 1];
        return rc;
    }
    rc = push_levels(l, (uint32_t)l->max_def, rep);
    if (rc == OCP_OK)
        rc = push_idx(l, ix);
    if (rc == OCP_OK && l->page_stats_on)
        rc = stats_update(&l->page_stats, PQ_BYTE_ARRAY, s, len);
    return rc;
}

void pq_leaf_reset_chunk(struct pq_leaf *l)
{
    l->pages.len = 0;
    l->num_values = 0;
    l->uncompressed_bytes = 0;
    l->used_plain = 0;
    l->dict_pages = 0;
    l->dict_mode = l->use_dict;
    l->dict_plain.len = 0;
    l->nentries = 0;
    if (l->slots != NULL)
        memset(l->slots, 0, (size_t)l->nslots * sizeof *l->slots);
    /* Our indices restart, so cached input ids are void. */
    l->cache_dict = NULL;
    l->cache_serial = 0;
    stats_reset(&l->stats);
    stats_reset(&l->page_stats);
}
