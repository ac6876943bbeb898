/* agg_finish_texts.c - the merged label texts of a finish cache: found by
 * the ids of the prepared entries they are built of (a merge that meets a
 * known list neither builds nor hashes its text), kept in an arena so no
 * text moves, each with its quoted CSV field (built alongside from the
 * entries' quoted forms, never quoted byte by byte), and copied once into
 * each table that uses it. */
#include "engine/agg_finish_internal.h"

/* Texts longer than this are refused, so a CSV field (each '"' doubled,
 * two quotes around) still has a 32-bit length. */
#define TEXT_MAX ((uint32_t)INT32_MAX - 2u)

void agg_fin_texts_init(struct fin_texts *s)
{
    memset(s, 0, sizeof *s);
    ocp_arena_init(&s->mem, (size_t)1 << 20);
    s->count = 1; /* id 0 is POOL_NULL */
}

void agg_fin_texts_release(struct fin_texts *s)
{
    ocp_arena_release(&s->mem);
    free(s->t);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

void agg_fin_texts_clear(struct fin_texts *s)
{
    ocp_arena_rewind(&s->mem); /* its blocks as they are: no fresh pages */
    if (s->slots != NULL)
        memset(s->slots, 0, ((size_t)s->mask + 1) * sizeof *s->slots);
    s->count = 1;
    s->text_bytes = 0;
}

uint32_t agg_fin_texts_hash(const uint32_t *seq, uint32_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    uint32_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ seq[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h >> 32);
}

/* Doubles the hash table (or makes its first 1024 slots); -1 when out of
 * memory (the old table stays). */
static int grow_slots(struct fin_texts *s)
{
    size_t n = s->slots == NULL ? 1024 : ((size_t)s->mask + 1) * 2, i;
    uint64_t *ns;

    if (n > ((size_t)1 << 31))
        return -1;
    ns = calloc(n, sizeof *ns);
    if (ns == NULL)
        return -1;
    if (s->slots != NULL) {
        for (i = 0; i <= s->mask; i++) {
            size_t j;
            if (s->slots[i] == 0)
                continue;
            for (j = (size_t)(s->slots[i] >> 32) & (n - 1); ns[j] != 0; j = (j + 1) & (n - 1))
                ;
            ns[j] = s->slots[i];
        }
        free(s->slots);
    }
    s->slots = ns;
    s->mask = (uint32_t)(n - 1);
    return 0;
}

/* Adds the text of pick[0..n) (entry ids seq) as id s->count, with hash
 * h, into slot at. */
static int add_text(struct fin_texts *s, const struct prep_entry *const *pick, const uint32_t *seq,
                    uint32_t n, uint32_t h, size_t at, uint32_t *id, struct ocp_error *err)
{
    struct fin_text *t;
    size_t len = 2, clen = 4, o = 0;
    uint32_t i, *sq = NULL;
    char *p, *q;

    for (i = 0; i < n; i++) {
        len += (size_t)pick[i]->tlen + (i > 0);
        clen += (size_t)pick[i]->ctlen + (i > 0);
    }
    if (len > TEXT_MAX)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "a merged label text is longer than %u bytes", (unsigned)TEXT_MAX);
    if (s->count >= POOL_MAX_IDS)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "more than %u distinct merged label texts in a day",
                             (unsigned)POOL_MAX_IDS);
    if (s->count >= s->cap) {
        uint32_t ncap = s->cap ? s->cap * 2 : 1024;
        struct fin_text *nt = realloc(s->t, (size_t)ncap * sizeof *nt);
        if (nt == NULL)
            return oom(err);
        s->t = nt;
        s->cap = ncap;
    }
    p = ocp_arena_alloc(&s->mem, len + 1);
    q = ocp_arena_alloc(&s->mem, clen + 1);
    if (p == NULL || q == NULL ||
        (n > 0 && (sq = ocp_arena_alloc(&s->mem, n * sizeof *sq)) == NULL))
        return oom(err);
    p[o++] = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            p[o++] = ',';
        memcpy(p + o, pick[i]->text, pick[i]->tlen);
        o += pick[i]->tlen;
    }
    p[o++] = '}';
    p[o] = '\0';
    /* The CSV field: the same entries as they read quoted ('{', ',' and
     * '}' have no '"' to double). */
    o = 0;
    q[o++] = '"';
    q[o++] = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            q[o++] = ',';
        memcpy(q + o, pick[i]->ctext, pick[i]->ctlen);
        o += pick[i]->ctlen;
    }
    q[o++] = '}';
    q[o++] = '"';
    q[o] = '\0';
    if (n > 0)
        memcpy(sq, seq, n * sizeof *sq);
    t = &s->t[s->count];
    memset(t, 0, sizeof *t);
    t->text = p;
    t->csv = q;
    t->csv_len = (uint32_t)clen; /* at most 2 * TEXT_MAX + 2 */
    t->seq = sq;
    t->len = (uint32_t)len;
    t->nseq = n;
    s->slots[at] = (uint64_t)h << 32 | s->count;
    s->text_bytes += len + 1;
    *id = s->count++;
    return OCP_OK;
}

int agg_fin_texts_reserve(struct fin_texts *s, size_t n)
{
    /* Kept at most half full. */
    while (((size_t)s->count + n) * 2 > (s->slots == NULL ? 0 : (size_t)s->mask + 1))
        if (grow_slots(s) != 0)
            return -1;
    return 0;
}

void agg_fin_texts_prefetch(const struct fin_texts *s, uint32_t h, int stage)
{
    uint64_t sl;

    if (s->slots == NULL)
        return;
    if (stage == 0) {
        __builtin_prefetch(&s->slots[h & s->mask]);
        return;
    }
    /* The first slot (loaded by stage 0) names a text with this hash:
     * load its record (stage 1), then its entry list (stage 2). */
    sl = s->slots[h & s->mask];
    if (sl == 0 || (uint32_t)(sl >> 32) != h)
        return;
    if (stage == 1)
        __builtin_prefetch(&s->t[(uint32_t)sl]);
    else if (s->t[(uint32_t)sl].seq != NULL)
        __builtin_prefetch(s->t[(uint32_t)sl].seq);
}

int agg_fin_texts_intern(struct fin_texts *s, const struct prep_entry *const *pick,
                         const uint32_t *seq, uint32_t n, uint32_t *id, struct ocp_error *err)
{
    return agg_fin_texts_intern_hashed(s, pick, seq, n, agg_fin_texts_hash(seq, n), id, err);
}

int agg_fin_texts_intern_hashed(struct fin_texts *s, const struct prep_entry *const *pick,
                                const uint32_t *seq, uint32_t n, uint32_t h, uint32_t *id,
                                struct ocp_error *err)
{
    size_t i;

    if (agg_fin_texts_reserve(s, 1) != 0)
        return oom(err);
    for (i = h & s->mask; s->slots[i] != 0; i = (i + 1) & s->mask) {
        const struct fin_text *t;
        if ((uint32_t)(s->slots[i] >> 32) != h)
            continue;
        t = &s->t[(uint32_t)s->slots[i]];
        if (t->nseq == n && (n == 0 || memcmp(t->seq, seq, n * sizeof *seq) == 0)) {
            *id = (uint32_t)s->slots[i];
            return OCP_OK;
        }
    }
    return add_text(s, pick, seq, n, h, i, id, err);
}

const char *agg_fin_label_text(struct finisher *f, uint32_t id)
{
    struct agg_finish_cache *c = f->c;
    struct fin_text *t;

    if (id == POOL_NULL || id >= c->texts.count)
        return NULL; /* never: ids come from agg_fin_texts_intern */
    t = &c->texts.t[id];
    if (f->ix != NULL)
        return t->text; /* the index's cache outlives the table */
    if (t->stamp != c->stamp) {
        /* The table's own copy: text, NUL, CSV field, NUL, copied whole
         * (a row must not point into the cache, which another day may
         * clear while the table is still written). */
        char *p = ocp_arena_alloc(&f->out->strings, (size_t)t->len + 1 + t->csv_len + 1);
        if (p == NULL)
            return NULL;
        memcpy(p, t->text, (size_t)t->len + 1);
        memcpy(p + t->len + 1, t->csv, (size_t)t->csv_len + 1);
        t->table = p;
        t->stamp = c->stamp;
    }
    return t->table;
}

/* The most of a label text loaded ahead (a typical merged set is 200 to
 * 300 bytes). */
#define LABEL_PREFETCH 256

void agg_fin_label_prefetch(const struct finisher *f, uint32_t id)
{
    const struct agg_finish_cache *c = f->c;
    const struct fin_text *t;

    if (id == POOL_NULL || id >= c->texts.count)
        return;
    t = &c->texts.t[id];
    /* The cache's text, which a table's own copy (no index) is made of. */
    ocp_mem_prefetch(t->text, t->len < LABEL_PREFETCH ? (size_t)t->len + 1 : LABEL_PREFETCH);
}

void agg_fin_label_csv(const struct finisher *f, uint32_t id, struct rpt_row *row)
{
    const struct agg_finish_cache *c = f->c;
    const struct fin_text *t;

    if (id == POOL_NULL || id >= c->texts.count)
        return;
    t = &c->texts.t[id];
    if (f->ix != NULL) {
        row->all_labels_csv = t->csv;
        row->all_labels_csv_len = t->csv_len;
    } else if (t->stamp == c->stamp) {
        row->all_labels_csv = t->table + t->len + 1;
        row->all_labels_csv_len = t->csv_len;
    }
}

void agg_fin_cache_new_table(struct agg_finish_cache *c)
{
    /* Merges a failed finish left begun are forgotten. */
    c->njobs = 0;
    c->npick = 0;
    if (++c->stamp == 0) {
        /* After 2^32 tables: no text may look copied to this one. */
        uint32_t i;
        for (i = 0; i < c->texts.count; i++)
            c->texts.t[i].stamp = 0;
        c->stamp = 1;
    }
}
