/* agg_finish_labels.c - label sets for the finish: canonical label sets
 * prepared once (each pair's JSON text quoted and given an entry id),
 * node ∪ namespace ∪ pod (or volume) sets merged by picking entries (their
 * texts kept by agg_finish_texts.c), and the cache that keeps sets and
 * merged texts from one day to the next. */
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

/* The entry's text t[0..n) as it reads inside a CSV field, each '"'
 * doubled (as rpt_csv.c would): merged texts' CSV fields are made of
 * these; -1 when out of memory. */
static int csv_text(struct agg_finish_cache *c, const char *t, size_t n, struct prep_entry *pe)
{
    size_t quotes = 0, i, q = 0;
    char *d;

    for (i = 0; i < n; i++)
        quotes += t[i] == '"';
    if (n + quotes > UINT32_MAX || (d = ocp_arena_alloc(&c->prep, n + quotes + 1)) == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        d[q++] = t[i];
        if (t[i] == '"')
            d[q++] = '"';
    }
    d[q] = '\0';
    pe->ctext = d;
    pe->ctlen = (uint32_t)q;
    return 0;
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
    struct set_memo *memo;
    struct prep_set *ps;
    struct prep_entry *pe;
    size_t e, i;
    int created;

    if (id == POOL_NULL)
        return &empty;
    /* Node and namespace sets come again group after group: the memo
     * answers them without a probe of the map. */
    memo = &c->set_memo[(id * 0x9e3779b1u) >> (32 - SET_MEMO_BITS)];
    if (memo->set != NULL && memo->id == id)
        return memo->set;
    /* Keyed by id rather than an array over the whole pool: a day's
     * finish touches only that day's label ids. */
    e = hmap_upsert(&c->sets, &k, &created);
    if (e == SIZE_MAX)
        return NULL;
    v = hmap_value(&c->sets, e);
    if (v->set != NULL) {
        memo->id = id;
        memo->set = v->set;
        return v->set;
    }
    if (lbl_parse(pool_str(&f->p->pool, id), pool_len(&f->p->pool, id), &c->work, NULL) != OCP_OK)
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
        pe[i].eid = pool_intern(&c->epool, t, kq + 1 + vq);
        if (pe[i].eid == POOL_NULL || csv_text(c, t, kq + 1 + vq, &pe[i]) != 0)
            return NULL;
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
    memo->id = id;
    memo->set = ps;
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
/* Room for n more entries in the cache's merge scratch (pick and seq,
 * from c->npick on); -1 when out of memory. */
static int pick_room(struct agg_finish_cache *c, size_t n)
{
    size_t ncap;
    const struct prep_entry **np2;
    uint32_t *ns;

    if (c->npick + n <= c->pick_cap)
        return 0;
    ncap = c->pick_cap ? c->pick_cap : 64;
    while (ncap < c->npick + n)
        ncap *= 2;
    np2 = realloc(c->pick, ncap * sizeof *np2);
    if (np2 == NULL)
        return -1;
    c->pick = np2;
    ns = realloc(c->seq, ncap * sizeof *ns);
    if (ns == NULL)
        return -1;
    c->seq = ns;
    c->pick_cap = ncap;
    return 0;
}

/* Merges the sets of k in key order (a later set's equal key wins) onto
 * the scratch at c->npick; returns how many entries, or -1 when out of
 * memory. */
static long merge_entries(struct finisher *f, const struct merged_key *k)
{
    struct agg_finish_cache *c = f->c;
    const uint32_t parts[4] = {k->node_labels, k->ns_labels, k->own_labels, k->own2_labels};
    const struct prep_set *ps[4];
    uint32_t at[4] = {0, 0, 0, 0};
    size_t need = 0, np = c->npick;
    int i;

    for (i = 0; i < 4; i++) {
        if ((ps[i] = set_of(f, parts[i])) == NULL)
            return -1;
        need += ps[i]->n;
    }
    if (pick_room(c, need) != 0)
        return -1;
    for (;;) {
        const struct prep_entry *best = NULL;
        unsigned same = 0; /* the sets whose head has best's key */
        for (i = 0; i < 4; i++) {
            const struct prep_entry *x;
            int o;
            if (at[i] >= ps[i]->n)
                continue;
            x = &ps[i]->e[at[i]];
            /* A later set's equal key wins: take it and skip the others. */
            o = best == NULL ? -1 : key_order(x, best);
            if (o < 0)
                same = 0;
            if (o <= 0) {
                best = x;
                same |= 1u << i;
            }
        }
        if (best == NULL)
            break;
        for (i = 0; i < 4; i++)
            at[i] += (same >> i) & 1u;
        c->pick[np] = best;
        c->seq[np++] = best->eid;
    }
    return (long)(np - c->npick);
}

/* The merged map's entry of k (hash h), in *e: 1 when it already has its
 * text (*out set), 0 when the text is still to be made, -1 when out of
 * memory. */
static int merged_entry(struct agg_finish_cache *c, const struct merged_key *k, uint32_t h,
                        size_t *e, uint32_t *out)
{
    const struct merged_val *v;
    int created;

    *e = hmap_upsert_hashed(&c->merged, k, h, &created);
    if (*e == SIZE_MAX)
        return -1;
    v = hmap_value(&c->merged, *e);
    if (!created && v->id != POOL_NULL) {
        *out = v->id;
        return 1;
    }
    return 0;
}

int agg_fin_merged_labels_hashed(struct finisher *f, const struct merged_key *k, uint32_t h,
                                 uint32_t *out, struct ocp_error *err)
{
    struct agg_finish_cache *c = f->c;
    struct merged_val *v;
    uint32_t id;
    size_t e;
    long n;
    int rc, known = merged_entry(c, k, h, &e, out);

    if (known != 0)
        return known > 0 ? OCP_OK : oom(err);
    /* The merged set's entries in key order: the text is found by their
     * ids, and built from them only when new. */
    c->npick = 0;
    if ((n = merge_entries(f, k)) < 0)
        return oom(err);
    rc = agg_fin_texts_intern(&c->texts, c->pick, c->seq, (uint32_t)n, &id, err);
    if (rc != OCP_OK)
        return rc;
    v = hmap_value(&c->merged, e);
    v->id = id;
    *out = id;
    return OCP_OK;
}

void agg_fin_merge_prefetch(struct finisher *f, const struct merged_key *k, uint32_t h)
{
    struct set_key sk = {k->own_labels, 0};

    hmap_prefetch(&f->c->merged, h);
    /* The own set is seldom the memo's: load its slot in the sets map. */
    if (k->own_labels != POOL_NULL)
        hmap_prefetch(&f->c->sets, hmap_hash(&sk, sizeof sk));
}

int agg_fin_merge_begin(struct finisher *f, const struct merged_key *k, uint32_t h, uint32_t *out,
                        struct ocp_error *err)
{
    struct agg_finish_cache *c = f->c;
    struct merge_job *j;
    size_t e, from = c->npick;
    long n;
    int known = merged_entry(c, k, h, &e, out);

    if (known != 0)
        return known > 0 ? OCP_OK : oom(err);
    if (c->njobs == c->jobs_cap) {
        size_t ncap = c->jobs_cap ? c->jobs_cap * 2 : 256;
        struct merge_job *nj = realloc(c->jobs, ncap * sizeof *nj);
        if (nj == NULL)
            return oom(err);
        c->jobs = nj;
        c->jobs_cap = ncap;
    }
    if ((n = merge_entries(f, k)) < 0)
        return oom(err);
    c->npick += (size_t)n;
    j = &c->jobs[c->njobs++];
    j->out = out;
    j->e = e;
    j->from = from;
    j->n = (uint32_t)n;
    j->h = agg_fin_texts_hash(c->seq + from, j->n);
    *out = POOL_NULL;
    return OCP_OK;
}

int agg_fin_merge_end(struct finisher *f, struct ocp_error *err)
{
    struct agg_finish_cache *c = f->c;
    size_t i;
    int rc = OCP_OK;

    /* Room for every new text first, so the slots prefetched a few jobs
     * ahead are where those jobs will look. */
    if (agg_fin_texts_reserve(&c->texts, c->njobs) != 0)
        rc = oom(err);
    for (i = 0; i < c->njobs && rc == OCP_OK; i++) {
        const struct merge_job *j = &c->jobs[i];
        uint32_t id;
        if (i + MERGE_AHEAD < c->njobs)
            agg_fin_texts_prefetch(&c->texts, c->jobs[i + MERGE_AHEAD].h, 0);
        if (i + MERGE_AHEAD / 2 < c->njobs)
            agg_fin_texts_prefetch(&c->texts, c->jobs[i + MERGE_AHEAD / 2].h, 1);
        if (i + MERGE_AHEAD / 4 < c->njobs)
            agg_fin_texts_prefetch(&c->texts, c->jobs[i + MERGE_AHEAD / 4].h, 2);
        rc = agg_fin_texts_intern_hashed(&c->texts, c->pick + j->from, c->seq + j->from, j->n, j->h,
                                         &id, err);
        if (rc == OCP_OK) {
            ((struct merged_val *)hmap_value(&c->merged, j->e))->id = id;
            *j->out = id;
        }
    }
    c->njobs = 0;
    c->npick = 0;
    return rc;
}

int agg_fin_merged_labels(struct finisher *f, uint32_t node_l, uint32_t ns_l, uint32_t a,
                          uint32_t b, uint32_t *out, struct ocp_error *err)
{
    struct merged_key k = {node_l, ns_l, a, b};
    return agg_fin_merged_labels_hashed(f, &k, hmap_hash(&k, sizeof k), out, err);
}

void agg_fin_cache_init(struct agg_finish_cache *c)
{
    memset(c, 0, sizeof *c);
    agg_fin_texts_init(&c->texts);
    pool_init(&c->epool);
    lbl_set_init(&c->work);
    hmap_init(&c->merged, sizeof(struct merged_key), sizeof(struct merged_val));
    hmap_init(&c->sets, sizeof(struct set_key), sizeof(struct set_val));
    hmap_init(&c->pod_final, sizeof(struct final_pod_key), sizeof(struct final_pod_val));
    ocp_arena_init(&c->prep, (size_t)1 << 20);
}

void agg_fin_cache_release(struct agg_finish_cache *c)
{
    hmap_release(&c->sets);
    ocp_arena_release(&c->prep);
    agg_fin_texts_release(&c->texts);
    pool_release(&c->epool);
    lbl_set_release(&c->work);
    hmap_release(&c->merged);
    hmap_release(&c->pod_final);
    free(c->joined);
    free(c->items);
    free(c->pick);
    free(c->seq);
    free(c->jobs);
}

void agg_finish_cache_trim(struct agg_finish_cache *c)
{
    if (c->texts.text_bytes > FINISH_CACHE_BYTES) {
        /* Too many texts kept: forget them (the sets stay). */
        agg_fin_texts_clear(&c->texts);
        hmap_clear(&c->merged);
    }
}

void agg_finish_cache_forget(struct agg_finish_cache *c)
{
    /* Sets, texts and entries are keyed by the old partial's pool ids;
     * every table and arena keeps its room for the next partial's. */
    agg_fin_texts_clear(&c->texts);
    pool_clear(&c->epool);
    hmap_clear(&c->sets);
    memset(c->set_memo, 0, sizeof c->set_memo);
    hmap_clear(&c->merged);
    lbl_set_clear(&c->work);
    ocp_arena_rewind(&c->prep);
    hmap_clear(&c->pod_final);
    c->npick = 0;
    c->njobs = 0;
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
