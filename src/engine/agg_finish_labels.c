/* agg_finish_labels.c - label texts for the finish: canonical label sets
 * prepared once (each pair's JSON text quoted), merged node ∪ namespace
 * ∪ pod (or volume) texts built by picking entries, the table's copies
 * with their quoted CSV fields, and the cache that keeps sets and merged
 * texts from one day to the next. */
#include "engine/agg_finish_internal.h"

/* A key's first 8 bytes as a big-endian number, zero-padded: numbers
 * that differ order the keys as key_order does. */
static uint64_t key_prefix(const char *k, size_t n)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < 8; i++)
        v = (v << 8) | (i < n ? (unsigned char)k[i] : 0u);
    return v;
}

/* The prepared set of a canonical label id of the partial's pool; NULL
 * when memory ran out (canonical texts are our own JSON objects, so
 * parsing fails only for want of memory), never an empty set instead. */
static const struct prep_set *set_of(struct finisher *f, uint32_t id)
{
    static const struct prep_set empty = {NULL, 0};
    struct agg_finish_cache *c = f->c;
    struct set_key k = {id, 0};
    struct set_val *v;
    struct prep_set *ps;
    struct prep_entry *pe;
    size_t e, i;
    int created;

    if (id == POOL_NULL)
        return &empty;
    /* Keyed by id rather than an array over the whole pool: a day's
     * finish touches only that day's label ids. */
    e = hmap_upsert(&c->sets, &k, &created);
    if (e == SIZE_MAX)
        return NULL;
    v = hmap_value(&c->sets, e);
    if (v->set != NULL)
        return v->set;
    if (lbl_parse(pool_str(&f->p->pool, id), pool_len(&f->p->pool, id), &c->work,
                  NULL) != OCP_OK)
        return NULL;
    ps = ocp_arena_alloc(&c->prep, sizeof *ps);
    pe = ocp_arena_alloc(&c->prep, (c->work.count ? c->work.count : 1) * sizeof *pe);
    if (ps == NULL || pe == NULL)
        return NULL;
    for (i = 0; i < c->work.count; i++) {
        const struct lbl_pair *p = &c->work.pairs[i];
        size_t kq = txt_json_quote(p->key, p->klen, NULL, 0);
        size_t vq = txt_json_quote(p->value, p->vlen, NULL, 0);
        char *key = ocp_arena_alloc(&c->prep, p->klen + 1);
        char *t = ocp_arena_alloc(&c->prep, kq + 1 + vq + 1);
        if (key == NULL || t == NULL || p->klen > UINT32_MAX || kq + 1 + vq > UINT32_MAX)
            return NULL;
        memcpy(key, p->key, p->klen);
        key[p->klen] = '\0';
        txt_json_quote(p->key, p->klen, t, kq + 1);
        t[kq] = ':';
        txt_json_quote(p->value, p->vlen, t + kq + 1, vq + 1);
        pe[i].key = key;
        pe[i].kpre = key_prefix(key, p->klen);
        pe[i].klen = (uint32_t)p->klen;
        pe[i].text = t;
        pe[i].tlen = (uint32_t)(kq + 1 + vq);
    }
    ps->e = pe;
    ps->n = (uint32_t)c->work.count;
    v = hmap_value(&c->sets, e);
    v->set = ps;
    return ps;
}

/* Byte order of keys, shorter first on a common prefix (lbl_set's).
 * The prefixes decide most pairs: where they differ, the first differing
 * byte (or the end of the shorter key, padded with 0 below any byte
 * that follows in the longer one) lies in them; where they are equal,
 * the first min(klen, 8) bytes are, and only the bytes after 8 remain. */
static inline int key_order(const struct prep_entry *a, const struct prep_entry *b)
{
    size_t n;
    int c;

    if (a->kpre != b->kpre)
        return a->kpre < b->kpre ? -1 : 1;
    n = a->klen < b->klen ? a->klen : b->klen;
    if (n > 8 && (c = memcmp(a->key + 8, b->key + 8, n - 8)) != 0)
        return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen ? 1 : 0;
}

/* The finish-pool id of the quadruple k (node ∪ namespace ∪ a ∪ b, later
 * wins), whose hmap_hash is h: the sets' entries merged in key order into
 * compact JSON, as lbl_canonical writes the merged set; built once and
 * kept in the cache. */
int agg_fin_merged_labels_hashed(struct finisher *f, const struct merged_key *k,
                                uint32_t h, uint32_t *out, struct ocp_error *err)
{
    struct agg_finish_cache *c = f->c;
    const uint32_t parts[4] = {k->node_labels, k->ns_labels, k->own_labels,
                               k->own2_labels};
    const struct prep_set *ps[4];
    uint32_t at[4] = {0, 0, 0, 0};
    struct merged_val *v;
    size_t len = 0, need = 2, e;
    int created, i, first = 1;

    e = hmap_upsert_hashed(&c->merged, k, h, &created);
    if (e == SIZE_MAX)
        return oom(err);
    v = hmap_value(&c->merged, e);
    if (!created && v->id != POOL_NULL) {
        *out = v->id;
        return OCP_OK;
    }
    for (i = 0; i < 4; i++) {
        uint32_t j;
        if ((ps[i] = set_of(f, parts[i])) == NULL)
            return oom(err);
        for (j = 0; j < ps[i]->n; j++)
            need += (size_t)ps[i]->e[j].tlen + 1;
    }
    if (need > c->mcap) {
        size_t ncap = c->mcap ? c->mcap : 1024;
        char *nb;
        while (ncap < need)
            ncap *= 2;
        nb = realloc(c->mbuf, ncap);
        if (nb == NULL)
            return oom(err);
        c->mbuf = nb;
        c->mcap = ncap;
    }
    c->mbuf[len++] = '{';
    for (;;) {
        const struct prep_entry *best = NULL;
        for (i = 0; i < 4; i++) {
            const struct prep_entry *x;
            if (at[i] >= ps[i]->n)
                continue;
            x = &ps[i]->e[at[i]];
            /* A later set's equal key wins: take it and skip the others. */
            if (best == NULL || key_order(x, best) <= 0)
                best = x;
        }
        if (best == NULL)
            break;
        for (i = 0; i < 4; i++)
            if (at[i] < ps[i]->n && key_order(&ps[i]->e[at[i]], best) == 0)
                at[i]++;
        if (!first)
            c->mbuf[len++] = ',';
        first = 0;
        memcpy(c->mbuf + len, best->text, best->tlen);
        len += best->tlen;
    }
    c->mbuf[len++] = '}';
    v = hmap_value(&c->merged, e);
    v->id = pool_intern(&c->fpool, c->mbuf, len);
    if (v->id == POOL_NULL)
        return oom(err);
    *out = v->id;
    return OCP_OK;
}

int agg_fin_merged_labels(struct finisher *f, uint32_t node_l, uint32_t ns_l,
                         uint32_t a, uint32_t b, uint32_t *out,
                         struct ocp_error *err)
{
    struct merged_key k = {node_l, ns_l, a, b};
    return agg_fin_merged_labels_hashed(f, &k, hmap_hash(&k, sizeof k), out, err);
}

/* The slot of fpool text id, the slots growing to cover it; NULL when
 * out of memory. */
static struct text_slot *text_slot_of(struct agg_finish_cache *c, uint32_t id)
{
    if (id >= c->nslots) {
        size_t n = c->nslots ? c->nslots : 256;
        struct text_slot *ns;
        while (n <= id)
            n *= 2;
        ns = realloc(c->slots, n * sizeof *ns);
        if (ns == NULL)
            return NULL;
        memset(ns + c->nslots, 0, (n - c->nslots) * sizeof *ns);
        c->slots = ns;
        c->nslots = n;
    }
    return &c->slots[id];
}

/* Makes s's quoted CSV field, made once per text for all the days the
 * cache keeps it: '"' around it, each '"' inside doubled (as rpt_csv.c
 * would); -1 when out of memory. */
static int make_csv(struct agg_finish_cache *c, struct text_slot *s,
                    const char *text, size_t len)
{
    size_t quotes = 0, i, q = 0;
    char *d;

    for (i = 0; i < len; i++)
        quotes += text[i] == '"';
    d = ocp_arena_alloc(&c->csvs, len + quotes + 3);
    if (d == NULL)
        return -1;
    d[q++] = '"';
    /* Without a branch per byte: a '"' after every byte, kept only after
     * a '"' (label texts are mostly quotes and short words). */
    for (i = 0; i < len; i++) {
        char ch = text[i];
        d[q] = ch;
        d[q + 1] = '"';
        q += 1 + (size_t)(ch == '"');
    }
    d[q++] = '"';
    d[q] = '\0';
    s->csv = d;
    s->csv_len = q;
    return 0;
}

const char *agg_fin_label_text(struct finisher *f, uint32_t id)
{
    struct agg_finish_cache *c = f->c;
    struct text_slot *s = text_slot_of(c, id);

    if (s == NULL)
        return NULL;
    if (s->stamp != c->stamp) {
        /* The table's own copy: text, NUL, CSV field, NUL, copied whole
         * (a row must not point into the cache, which another day may
         * clear while the table is still written). */
        size_t len = pool_len(&c->fpool, id);
        const char *text = pool_str(&c->fpool, id);
        char *p;
        if (s->csv == NULL && make_csv(c, s, text, len) != 0)
            return NULL;
        p = ocp_arena_alloc(&f->out->strings, len + 1 + s->csv_len + 1);
        if (p == NULL)
            return NULL;
        memcpy(p, text, len);
        p[len] = '\0';
        memcpy(p + len + 1, s->csv, s->csv_len + 1);
        s->table = p;
        s->stamp = c->stamp;
    }
    return s->table;
}

/* Gives row its label text's quoted CSV field (after agg_fin_label_text). */
void agg_fin_label_csv(const struct finisher *f, uint32_t id, struct rpt_row *row)
{
    const struct agg_finish_cache *c = f->c;

    if (id < c->nslots && c->slots[id].stamp == c->stamp) {
        row->all_labels_csv = c->slots[id].table + pool_len(&c->fpool, id) + 1;
        row->all_labels_csv_len = c->slots[id].csv_len;
    }
}

void agg_fin_cache_new_table(struct agg_finish_cache *c)
{
    if (++c->stamp == 0) {
        /* After 2^32 tables: no slot may look copied to this one. */
        size_t i;
        for (i = 0; i < c->nslots; i++)
            c->slots[i].stamp = 0;
        c->stamp = 1;
    }
}

void agg_fin_cache_forget_texts(struct agg_finish_cache *c)
{
    pool_release(&c->fpool);
    pool_init(&c->fpool);
    hmap_clear(&c->merged);
    ocp_arena_reset(&c->csvs);
    if (c->nslots > 0)
        memset(c->slots, 0, c->nslots * sizeof *c->slots);
}

void agg_fin_cache_init(struct agg_finish_cache *c)
{
    memset(c, 0, sizeof *c);
    pool_init(&c->fpool);
    lbl_set_init(&c->work);
    hmap_init(&c->merged, sizeof(struct merged_key), sizeof(struct merged_val));
    hmap_init(&c->sets, sizeof(struct set_key), sizeof(struct set_val));
    hmap_init(&c->pod_final, sizeof(struct final_pod_key), sizeof(struct pod_val));
    ocp_arena_init(&c->prep, (size_t)1 << 20);
    ocp_arena_init(&c->csvs, (size_t)1 << 20);
}

void agg_fin_cache_release(struct agg_finish_cache *c)
{
    hmap_release(&c->sets);
    ocp_arena_release(&c->prep);
    free(c->mbuf);
    pool_release(&c->fpool);
    lbl_set_release(&c->work);
    hmap_release(&c->merged);
    hmap_release(&c->pod_final);
    free(c->items);
    ocp_arena_release(&c->csvs);
    free(c->slots);
}

struct agg_finish_cache *agg_finish_cache_create(void)
{
    struct agg_finish_cache *c = malloc(sizeof *c);
    if (c != NULL)
        agg_fin_cache_init(c);
    return c;
}

void agg_finish_cache_destroy(struct agg_finish_cache *c)
{
    if (c == NULL)
        return;
    agg_fin_cache_release(c);
    free(c);
}
