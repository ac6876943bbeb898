/* agg_finish.c - from a merged partial to the sorted report rows.
 *
 * Order of work (SEMANTICS.md): capacity per (day, node) and per day from
 * the (node, interval_start) maxima; pod groups re-keyed by their merged
 * labels (node ∪ namespace ∪ pod); unallocated rows per (day, node);
 * storage rows per volume node; then cost categories, uuids and the sort.
 * Sums stay exact (struct xsum) until a row is written, so re-grouping
 * does not depend on the order groups are visited in. */
#include "engine/agg_internal.h"
#include "ocpagg/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GIB_INV 0x1p-30

struct day_node_key {
    int32_t day;
    uint32_t node;
};
struct cap_sums {
    struct xsum cpu, mem;
    double cpu_h, mem_gbh; /* the report's hours, once the sums are done */
};

struct merged_key {
    uint32_t node_labels, ns_labels, own_labels, own2_labels;
};
struct merged_val {
    uint32_t id; /* in the finish pool */
};

struct final_pod_key {
    int32_t day;
    uint32_t ns, node, labels; /* labels in the finish pool */
};

struct unalloc_val {
    struct xsum usage_cpu, request_cpu, eff_cpu, usage_mem, request_mem, eff_mem;
    double cap_cores, cap_mem_bytes;
    uint32_t resource_id, flags;
};

struct pod_of_day_key {
    int32_t day;
    uint32_t ns, pod;
};
struct span_val {
    uint32_t start, count;
};

struct pv_node_key {
    int32_t day;
    uint32_t pv, node;
};
struct day_pv_key {
    int32_t day;
    uint32_t pv;
};
struct count_val {
    int64_t count;
};

struct final_sto_key {
    int32_t day;
    uint32_t ns, node, resource_id, pvc, pv, storageclass, csi, labels;
};

struct set_key {
    uint32_t id, zero;
};

/* A canonical label set ready for merging: its pairs in key order, each
 * with its JSON text "key":"value" already quoted, so a merged text is
 * built by picking entries, never quoting again. */
struct prep_entry {
    const char *key;
    const char *text;
    uint32_t klen, tlen;
};
struct prep_set {
    const struct prep_entry *e;
    uint32_t n;
};
struct set_val {
    struct prep_set *set;
};

/* What the finish keeps from one day to the next when days are finished
 * through a day index (agg_finish_day): prepared label sets and merged
 * label texts (a cache past FINISH_CACHE_BYTES of texts starts afresh at
 * the next day, so a month's distinct texts are not all held).  One cache
 * serves one day at a time; days finished in parallel take separate
 * caches from the index (agg_day_index_take_cache).  Rows never point
 * into a cache: each table gets its own copies. */
#define FINISH_CACHE_BYTES ((size_t)64 << 20)

/* One pod group on its way into emit_pods' day map: its entry, the
 * label quadruple and the final key, with their hashes (worked out a few
 * groups ahead so the slots they probe can be loaded in advance). */
struct emit_item {
    struct merged_key mk;
    struct final_pod_key fk;
    size_t e;
    uint32_t mh, fh;
};

struct agg_finish_cache {
    struct agg_finish_cache *next;  /* the index's list of caches */
    struct agg_pool fpool;          /* merged label texts */
    struct hmap sets;               /* p->pool id -> prepared set */
    struct hmap merged;             /* label quadruple -> finish pool id */
    struct lbl_set work;
    struct ocp_arena prep;          /* prepared sets */
    struct hmap pod_final;          /* emit_pods' groups of the day */
    struct emit_item *items;        /* emit_pods' scratch, items_cap long */
    size_t items_cap;
    char *mbuf;                     /* a merged text being built */
    size_t mcap;
};

struct finisher {
    const struct agg_partial *p;
    const struct agg_finish_settings *settings;
    struct agg_finish_cache *c;     /* labels (lasting with an index) */
    const char **text;              /* finish pool id -> copy in the table */
    const char **csv;               /* ... and its quoted CSV field */
    size_t *csv_len;
    size_t ntext;
    struct hmap dn_caps;            /* (day, node) -> capacity sums */
    struct hmap day_caps;           /* (day, 0) -> cluster capacity sums */
    struct rpt_table *out;
    int overflow; /* a sum left the exact range */
    agg_day_filter keep; /* NULL: every day */
    void *keep_ctx;
    const struct agg_day_index *ix; /* non-NULL: only ix_day, through it */
    int32_t ix_day;
    const char *cost_ns; /* the last namespace given a cost category */
    int cost_has;
    int64_t cost_id;
};

static inline int wanted(const struct finisher *f, int32_t day)
{
    return f->keep == NULL || f->keep(day, f->keep_ctx);
}

/* The entries of a table to look at: with a day index only that day's
 * (*list names them), else all of them (*list NULL, filtered by wanted). */
static size_t entries_of(const struct finisher *f, int table,
                         const struct hmap *m, const size_t **list)
{
    if (f->ix != NULL)
        return agg_day_index_entries(f->ix, table, f->ix_day, list);
    *list = NULL;
    return m->count;
}

static inline size_t entry_at(const size_t *list, size_t j)
{
    return list != NULL ? list[j] : j;
}

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
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

/* Byte order of keys, shorter first on a common prefix (lbl_set's). */
static int key_order(const struct prep_entry *a, const struct prep_entry *b)
{
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n > 0 ? memcmp(a->key, b->key, n) : 0;
    if (c != 0)
        return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen ? 1 : 0;
}

/* The finish-pool id of node ∪ namespace ∪ a ∪ b (later wins): the
 * sets' entries merged in key order into compact JSON, as lbl_canonical
 * writes the merged set. */
/* merged_labels of the quadruple k, whose hmap_hash is h. */
static int merged_labels_hashed(struct finisher *f, const struct merged_key *k,
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

static int merged_labels(struct finisher *f, uint32_t node_l, uint32_t ns_l,
                         uint32_t a, uint32_t b, uint32_t *out,
                         struct ocp_error *err)
{
    struct merged_key k = {node_l, ns_l, a, b};
    return merged_labels_hashed(f, &k, hmap_hash(&k, sizeof k), out, err);
}

static uint32_t labels_of_day(const struct hmap *m, int32_t day, uint32_t id)
{
    struct lab_key k;
    size_t e;
    k.day = day;
    k.id = id;
    e = hmap_find(m, &k);
    if (e == SIZE_MAX)
        return POOL_NULL;
    return ((const struct lab_val *)hmap_value(m, e))->labels;
}

/* Max id of the cost categories whose pattern matches ns. */
static int cost_category(struct finisher *f, const char *ns, size_t len,
                         int64_t *id)
{
    size_t i;
    int found = 0;
    if (ns == NULL)
        return 0;
    for (i = 0; i < f->settings->n_cost_categories; i++) {
        const struct agg_cost_category *c = &f->settings->cost_categories[i];
        if (txt_like(c->pattern, strlen(c->pattern), ns, len) &&
            (!found || c->id > *id)) {
            *id = c->id;
            found = 1;
        }
    }
    return found;
}

static void set_cost_category(struct finisher *f, struct rpt_row *row,
                              const char *ns)
{
    /* Rows point into the partial's pool, so one namespace is one pointer:
     * remember the last answer instead of matching every pattern again. */
    if (ns == NULL || ns != f->cost_ns) {
        f->cost_has = cost_category(f, ns, ns ? strlen(ns) : 0, &f->cost_id);
        f->cost_ns = ns;
    }
    row->has_cost_category = f->cost_has;
    row->cost_category_id = f->cost_id;
}

/* The uuid of a row: SHA-1 (version 5) of source_uuid and the row's key
 * fields, each after 0x1f, NULL as a lone 0x00.  Built on the stack (a
 * heap buffer only for keys longer than it). */
/* known: lengths of namespace, node, all_labels and resource_id when the
 * caller has them (pool strings), else NULL. */
static int set_uuid(struct finisher *f, struct rpt_row *r, const size_t *known)
{
    char stack[2048], *name = stack, day[11];
    const char *fields[11];
    size_t lens[11], need = 0, used = 0, i;

    txt_format_date(r->usage_day, day);
    fields[0] = r->source == RPT_SOURCE_POD ? "Pod" : "Storage";
    fields[1] = day;
    fields[2] = r->namespace_;
    fields[3] = r->node;
    fields[4] = r->all_labels;
    fields[5] = r->resource_id;
    fields[6] = r->pvc;
    fields[7] = r->pv;
    fields[8] = r->storageclass;
    fields[9] = r->csi_volume_handle;
    fields[10] = r->has_infra_cost ? "" : NULL; /* unallocated vs not */
    for (i = 0; i < 11; i++) {
        if (known != NULL && i >= 2 && i <= 5)
            lens[i] = fields[i] != NULL ? known[i - 2] : 0;
        else
            lens[i] = fields[i] != NULL ? strlen(fields[i]) : 0;
        need += 2 + lens[i];
    }
    if (need > sizeof stack) {
        name = malloc(need);
        if (name == NULL)
            return -1;
    }
    for (i = 0; i < 11; i++) {
        name[used++] = 0x1f;
        if (fields[i] == NULL) {
            name[used++] = 0;
            continue;
        }
        memcpy(name + used, fields[i], lens[i]);
        used += lens[i];
    }
    txt_uuid_v5(f->settings->source_uuid, name, used, r->uuid);
    if (name != stack)
        free(name);
    return 0;
}

/* A string of the partial, borrowed: the partial outlives the table. */
static const char *str_of(const struct finisher *f, uint32_t id)
{
    return pool_str(&f->p->pool, id);
}

/* A merged label text for the rows: one copy per distinct text in the
 * table, followed by its quoted CSV field (rpt_row.all_labels_csv). */
static const char *label_text(struct finisher *f, uint32_t id)
{
    struct agg_finish_cache *c = f->c;

    if (id >= f->ntext) {
        size_t n = f->ntext ? f->ntext : 256;
        const char **nt, **nc;
        size_t *nl;
        while (n <= id)
            n *= 2;
        nt = realloc(f->text, n * sizeof *nt);
        if (nt == NULL)
            return NULL;
        f->text = nt;
        nc = realloc(f->csv, n * sizeof *nc);
        if (nc == NULL)
            return NULL;
        f->csv = nc;
        nl = realloc(f->csv_len, n * sizeof *nl);
        if (nl == NULL)
            return NULL;
        f->csv_len = nl;
        memset(nt + f->ntext, 0, (n - f->ntext) * sizeof *nt);
        memset(nc + f->ntext, 0, (n - f->ntext) * sizeof *nc);
        f->ntext = n;
    }
    if (f->text[id] == NULL) {
        size_t len = pool_len(&c->fpool, id), i, q;
        const char *s = pool_str(&c->fpool, id);
        char *p = ocp_arena_alloc(&f->out->strings, len + 1 + 2 * len + 3), *d;
        if (p == NULL)
            return NULL;
        memcpy(p, s, len);
        p[len] = '\0';
        /* The CSV field: quoted, each '"' doubled (as rpt_csv.c would). */
        d = p + len + 1;
        q = 0;
        d[q++] = '"';
        for (i = 0; i < len; i++) {
            d[q++] = s[i];
            if (s[i] == '"')
                d[q++] = '"';
        }
        d[q++] = '"';
        d[q] = '\0';
        f->csv[id] = d;
        f->csv_len[id] = q;
        f->text[id] = p;
    }
    return f->text[id];
}

/* Gives row its label text's quoted CSV field (after label_text). */
static void label_csv(const struct finisher *f, uint32_t id, struct rpt_row *row)
{
    if (id < f->ntext && f->csv[id] != NULL) {
        row->all_labels_csv = f->csv[id];
        row->all_labels_csv_len = f->csv_len[id];
    }
}

static int build_capacity(struct finisher *f, struct ocp_error *err)
{
    const struct hmap *caps = &f->p->caps;
    const size_t *list;
    size_t e, j, n = entries_of(f, AGG_IX_CAPS, caps, &list);
    int created;

    for (j = 0; j < n; j++) {
        const struct cap_key *k = hmap_entry(caps, e = entry_at(list, j));
        const struct cap_val *v = hmap_value(caps, e);
        struct day_node_key dk;
        struct cap_sums *s;
        size_t i;

        dk.day = agg_day_of(k->ts);
        if (!wanted(f, dk.day))
            continue;
        dk.node = k->node;
        i = hmap_upsert(&f->dn_caps, &dk, &created);
        if (i == SIZE_MAX)
            return oom(err);
        s = hmap_value(&f->dn_caps, i);
        if (v->flags & HAS_A)
            f->overflow |= xsum_add(&s->cpu, v->cpu_sec);
        if (v->flags & HAS_B)
            f->overflow |= xsum_add(&s->mem, v->mem_sec);
        dk.node = 0;
        i = hmap_upsert(&f->day_caps, &dk, &created);
        if (i == SIZE_MAX)
            return oom(err);
        s = hmap_value(&f->day_caps, i);
        if (v->flags & HAS_A)
            f->overflow |= xsum_add(&s->cpu, v->cpu_sec);
        if (v->flags & HAS_B)
            f->overflow |= xsum_add(&s->mem, v->mem_sec);
    }
    return OCP_OK;
}

/* Rounds every capacity sum once into the report's hours. */
static void finish_capacity(struct hmap *m)
{
    size_t e;
    for (e = 0; e < m->count; e++) {
        struct cap_sums *s = hmap_value(m, e);
        s->cpu_h = xsum_value(&s->cpu) / 3600.0;
        s->mem_gbh = xsum_value(&s->mem) / 3600.0 * GIB_INV;
    }
}

/* The capacity hours of (day, node), and of the cluster on day; the last
 * (day, node) asked is remembered, as rows come node by node. */
struct cap_memo {
    int32_t day;
    uint32_t node;
    int valid;
    double cpu_h, mem_gbh, ccpu_h, cmem_gbh;
};

static const struct cap_memo *capacity_of(struct finisher *f, struct cap_memo *m,
                                          int32_t day, uint32_t node)
{
    struct day_node_key k;
    size_t e;

    if (m->valid && m->day == day && m->node == node)
        return m;
    k.day = day;
    k.node = node;
    e = hmap_find(&f->dn_caps, &k);
    /* A node without capacity rows gets 0 (0.0 / 3600 as a sum would). */
    m->cpu_h = m->mem_gbh = 0.0 / 3600.0;
    m->mem_gbh *= GIB_INV;
    if (e != SIZE_MAX) {
        const struct cap_sums *s = hmap_value(&f->dn_caps, e);
        m->cpu_h = s->cpu_h;
        m->mem_gbh = s->mem_gbh;
    }
    if (!m->valid || m->day != day) {
        k.node = 0;
        e = hmap_find(&f->day_caps, &k);
        m->ccpu_h = 0.0 / 3600.0;
        m->cmem_gbh = 0.0 / 3600.0 * GIB_INV;
        if (e != SIZE_MAX) {
            const struct cap_sums *s = hmap_value(&f->day_caps, e);
            m->ccpu_h = s->cpu_h;
            m->cmem_gbh = s->mem_gbh;
        }
    }
    m->day = day;
    m->node = node;
    m->valid = 1;
    return m;
}

static void fill_capacity(struct finisher *f, struct cap_memo *m,
                          struct rpt_row *row, int32_t day, uint32_t node,
                          uint32_t flags, double cap_cores, double cap_mem_bytes)
{
    const struct cap_memo *c = capacity_of(f, m, day, node);
    row->num[RPT_NODE_CAP_CPU_CORES] = (flags & HAS_A) ? cap_cores : NAN;
    row->num[RPT_NODE_CAP_MEM_GB] =
        (flags & HAS_B) ? cap_mem_bytes * GIB_INV : NAN;
    row->num[RPT_NODE_CAP_CPU_HOURS] = c->cpu_h;
    row->num[RPT_NODE_CAP_MEM_GBH] = c->mem_gbh;
    row->num[RPT_CLUSTER_CAP_CPU_HOURS] = c->ccpu_h;
    row->num[RPT_CLUSTER_CAP_MEM_GBH] = c->cmem_gbh;
}

#define EMIT_AHEAD 8

static int emit_pods(struct finisher *f, struct ocp_error *err)
{
    const struct agg_partial *p = f->p;
    /* The day's merged groups, in the cache's lasting map: its memory
     * is reused day after day instead of being faulted in afresh. */
    struct hmap *final = &f->c->pod_final;
    size_t e;
    int created, rc = OCP_OK;

    const size_t *list;
    size_t j, nw = 0, n = entries_of(f, AGG_IX_PODS, &p->pods, &list);
    struct emit_item *items;

    struct cap_memo cm;
    struct {
        int valid;
        int32_t day;
        uint32_t node, ns, node_l, ns_l;
    } lm;

    memset(&cm, 0, sizeof cm);
    memset(&lm, 0, sizeof lm);
    hmap_clear(final);
    /* As many groups as the day has (merged labels seldom join two). */
    if (hmap_reserve(final, n) != 0 || rpt_table_reserve(f->out, f->out->count + n) != 0) {
        rc = oom(err);
        goto cleanup;
    }
    if (n > f->c->items_cap) {
        struct emit_item *ni = realloc(f->c->items, n * sizeof *ni);
        if (ni == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        f->c->items = ni;
        f->c->items_cap = n;
    }
    items = f->c->items;
    /* Three passes, so each lookup's slot is loaded EMIT_AHEAD groups
     * before it is probed: the label quadruples, their merged texts, the
     * day's groups. */
    for (j = 0; j < n; j++) {
        const struct pod_key *k = hmap_entry(&p->pods, e = entry_at(list, j));
        struct emit_item *it = &items[nw];

        if (!wanted(f, k->day))
            continue;
        /* Groups come node by node: look a node's or namespace's labels
         * up again only when it changes. */
        if (!lm.valid || k->day != lm.day || k->node != lm.node) {
            lm.node = k->node;
            lm.node_l = labels_of_day(&p->node_labels, k->day, k->node);
        }
        if (!lm.valid || k->day != lm.day || k->ns != lm.ns) {
            lm.ns = k->ns;
            lm.ns_l = labels_of_day(&p->ns_labels, k->day, k->ns);
        }
        lm.day = k->day;
        lm.valid = 1;
        it->e = e;
        it->mk.node_labels = lm.node_l;
        it->mk.ns_labels = lm.ns_l;
        it->mk.own_labels = k->labels;
        it->mk.own2_labels = POOL_NULL;
        it->mh = hmap_hash(&it->mk, sizeof it->mk);
        it->fk.day = k->day;
        it->fk.ns = k->ns;
        it->fk.node = k->node;
        nw++;
    }
    for (j = 0; j < nw; j++) {
        struct emit_item *it = &items[j];
        if (j + EMIT_AHEAD < nw)
            hmap_prefetch(&f->c->merged, items[j + EMIT_AHEAD].mh);
        rc = merged_labels_hashed(f, &it->mk, it->mh, &it->fk.labels, err);
        if (rc != OCP_OK)
            goto cleanup;
        it->fh = hmap_hash(&it->fk, sizeof it->fk);
    }
    for (j = 0; j < nw; j++) {
        const struct emit_item *it = &items[j];
        const struct pod_val *v = hmap_value(&p->pods, it->e);
        size_t i;

        if (j + EMIT_AHEAD < nw)
            hmap_prefetch(final, items[j + EMIT_AHEAD].fh);
        i = hmap_upsert_hashed(final, &it->fk, it->fh, &created);
        if (i == SIZE_MAX) {
            rc = oom(err);
            goto cleanup;
        }
        /* Merging into a new (zero) entry gives the group's value as it
         * is: copy it. */
        if (created)
            memcpy(hmap_value(final, i), v, sizeof *v);
        else
            f->overflow |= agg_merge_pod_val(&p->pool, hmap_value(final, i), v);
    }
    for (e = 0; e < final->count; e++) {
        const struct final_pod_key *k = hmap_entry(final, e);
        const struct pod_val *v = hmap_value(final, e);
        struct rpt_row *row = rpt_table_add(f->out);
        int s;

        if (row == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->usage_day = k->day;
        row->source = RPT_SOURCE_POD;
        row->namespace_ = str_of(f, k->ns);
        row->node = str_of(f, k->node);
        row->resource_id = str_of(f, v->resource_id);
        row->pod_labels = label_text(f, k->labels);
        if (row->pod_labels == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->all_labels = row->pod_labels;
        label_csv(f, k->labels, row);
        for (s = 0; s < PS_COUNT; s++) {
            double sum = xsum_value(&v->sum[s]) / 3600.0;
            row->num[RPT_POD_USAGE_CPU_HOURS + s] =
                s >= PS_USAGE_MEM ? sum * GIB_INV : sum;
        }
        fill_capacity(f, &cm, row, k->day, k->node, v->flags, v->cap_cores,
                      v->cap_mem_bytes);
        row->has_infra_cost = 1;
        set_cost_category(f, row, row->namespace_);
        {
            const size_t known[4] = {pool_len(&p->pool, k->ns), pool_len(&p->pool, k->node),
                                     pool_len(&f->c->fpool, k->labels),
                                     pool_len(&p->pool, v->resource_id)};
            s = set_uuid(f, row, known);
        }
        if (s != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
cleanup:
    return rc;
}

/* The role of a node: settings, else node_role, else Koku's rule. */
static const char *role_of(struct finisher *f, uint32_t node)
{
    const struct agg_partial *p = f->p;
    const char *name = pool_str(&p->pool, node);
    struct node_key nk;
    size_t i, e;

    for (i = 0; i < f->settings->n_node_roles; i++)
        if (strcmp(f->settings->node_roles[i].node, name) == 0)
            return f->settings->node_roles[i].role;
    nk.node = node;
    nk.zero = 0;
    e = hmap_find(&p->nodes, &nk);
    if (e != SIZE_MAX) {
        const struct node_val *v = hmap_value(&p->nodes, e);
        if (v->role != POOL_NULL)
            return pool_str(&p->pool, v->role);
        if (v->flags & NODE_APISERVER)
            return "master";
        if (v->flags & NODE_INFRA_LABEL)
            return "infra";
    }
    return "worker";
}

static int emit_unallocated(struct finisher *f, struct ocp_error *err)
{
    const struct agg_partial *p = f->p;
    struct hmap per_node;
    size_t e;
    int created, rc = OCP_OK;

    const size_t *list;
    size_t j, n = entries_of(f, AGG_IX_PODS, &p->pods, &list);

    struct cap_memo cm;

    memset(&cm, 0, sizeof cm);
    hmap_init(&per_node, sizeof(struct day_node_key), sizeof(struct unalloc_val));
    for (j = 0; j < n; j++) {
        const struct pod_key *k = hmap_entry(&p->pods, e = entry_at(list, j));
        const struct pod_val *v = hmap_value(&p->pods, e);
        struct day_node_key dk;
        struct unalloc_val *u;
        size_t i;

        if (!wanted(f, k->day))
            continue;
        dk.day = k->day;
        dk.node = k->node;
        i = hmap_upsert(&per_node, &dk, &created);
        if (i == SIZE_MAX) {
            rc = oom(err);
            goto cleanup;
        }
        u = hmap_value(&per_node, i);
        f->overflow |= xsum_merge(&u->usage_cpu, &v->sum[PS_USAGE_CPU]);
        f->overflow |= xsum_merge(&u->request_cpu, &v->sum[PS_REQUEST_CPU]);
        f->overflow |= xsum_merge(&u->eff_cpu, &v->sum[PS_EFFECTIVE_CPU]);
        f->overflow |= xsum_merge(&u->usage_mem, &v->sum[PS_USAGE_MEM]);
        f->overflow |= xsum_merge(&u->request_mem, &v->sum[PS_REQUEST_MEM]);
        f->overflow |= xsum_merge(&u->eff_mem, &v->sum[PS_EFFECTIVE_MEM]);
        if (v->flags & HAS_A)
            max_into(&u->cap_cores, &u->flags, HAS_A, v->cap_cores);
        if (v->flags & HAS_B)
            max_into(&u->cap_mem_bytes, &u->flags, HAS_B, v->cap_mem_bytes);
        if (pool_cmp(&p->pool, v->resource_id, u->resource_id) > 0)
            u->resource_id = v->resource_id;
    }
    for (e = 0; e < per_node.count; e++) {
        const struct day_node_key *k = hmap_entry(&per_node, e);
        const struct unalloc_val *u = hmap_value(&per_node, e);
        const char *role = role_of(f, k->node);
        const char *ns;
        struct rpt_row *row;
        double cpu_h, mem_gbh;

        if (strcmp(role, "master") == 0 || strcmp(role, "infra") == 0)
            ns = "Platform unallocated";
        else if (strcmp(role, "worker") == 0)
            ns = "Worker unallocated";
        else
            continue;
        row = rpt_table_add(f->out);
        if (row == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->usage_day = k->day;
        row->source = RPT_SOURCE_POD;
        row->namespace_ = ns; /* a string literal */
        row->node = str_of(f, k->node);
        row->resource_id = str_of(f, u->resource_id);
        fill_capacity(f, &cm, row, k->day, k->node, u->flags, u->cap_cores,
                      u->cap_mem_bytes);
        cpu_h = row->num[RPT_NODE_CAP_CPU_HOURS];
        mem_gbh = row->num[RPT_NODE_CAP_MEM_GBH];
        row->num[RPT_POD_USAGE_CPU_HOURS] = cpu_h - xsum_value(&u->usage_cpu) / 3600.0;
        row->num[RPT_POD_REQUEST_CPU_HOURS] = cpu_h - xsum_value(&u->request_cpu) / 3600.0;
        row->num[RPT_POD_EFFECTIVE_CPU_HOURS] = cpu_h - xsum_value(&u->eff_cpu) / 3600.0;
        row->num[RPT_POD_USAGE_MEM_GBH] =
            mem_gbh - xsum_value(&u->usage_mem) / 3600.0 * GIB_INV;
        row->num[RPT_POD_REQUEST_MEM_GBH] =
            mem_gbh - xsum_value(&u->request_mem) / 3600.0 * GIB_INV;
        row->num[RPT_POD_EFFECTIVE_MEM_GBH] =
            mem_gbh - xsum_value(&u->eff_mem) / 3600.0 * GIB_INV;
        row->has_infra_cost = 0;
        set_cost_category(f, row, row->namespace_);
        if (set_uuid(f, row, NULL) != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
cleanup:
    hmap_release(&per_node);
    return rc;
}

static int cmp_vn(const void *a, const void *b)
{
    const struct vn_key *x = a, *y = b;
    return memcmp(x, y, offsetof(struct vn_key, node)) < 0
               ? -1
               : (memcmp(x, y, offsetof(struct vn_key, node)) > 0 ? 1 : 0);
}

struct sto_out_val {
    struct xsum cap_byte_sec, request_byte_sec, usage_byte_sec;
    double cap_bytes;
    uint32_t flags;
    int64_t nodes; /* N */
};

static int emit_storage(struct finisher *f, struct ocp_error *err)
{
    const struct agg_partial *p = f->p;
    struct vn_key *vns = NULL;
    struct hmap spans, pv_nodes, pv_counts, final;
    size_t e, nvn = p->vnodes.count;
    const size_t *slist;
    size_t sj, sn = entries_of(f, AGG_IX_STORAGE, &p->storage, &slist);
    int created, rc = OCP_OK;

    hmap_init(&spans, sizeof(struct pod_of_day_key), sizeof(struct span_val));
    hmap_init(&pv_nodes, sizeof(struct pv_node_key), 0);
    hmap_init(&pv_counts, sizeof(struct day_pv_key), sizeof(struct count_val));
    hmap_init(&final, sizeof(struct final_sto_key), sizeof(struct sto_out_val));
    if (p->storage.count == 0)
        goto cleanup;

    /* Volume nodes grouped by (day, namespace, pod). */
    vns = malloc((nvn ? nvn : 1) * sizeof *vns);
    if (vns == NULL) {
        rc = oom(err);
        goto cleanup;
    }
    {
        /* Only pods that have storage rows matter: keep their volume
         * nodes (a few) rather than sorting every pod's. */
        const size_t *list;
        size_t kept = 0, j, n = entries_of(f, AGG_IX_VNODES, &p->vnodes, &list);
        struct hmap want;
        hmap_init(&want, sizeof(struct pod_of_day_key), 0);
        for (sj = 0; sj < sn; sj++) {
            const struct sto_key *k = hmap_entry(&p->storage, entry_at(slist, sj));
            struct pod_of_day_key pk = {k->day, k->ns, k->pod};
            if (wanted(f, k->day) && hmap_upsert(&want, &pk, &created) == SIZE_MAX) {
                hmap_release(&want);
                rc = oom(err);
                goto cleanup;
            }
        }
        for (j = 0; j < n; j++) {
            const struct vn_key *vk = hmap_entry(&p->vnodes, entry_at(list, j));
            struct pod_of_day_key pk;
            if (!wanted(f, vk->day))
                continue;
            pk.day = vk->day;
            pk.ns = vk->ns;
            pk.pod = vk->pod;
            if (hmap_find(&want, &pk) != SIZE_MAX)
                vns[kept++] = *vk;
        }
        hmap_release(&want);
        nvn = kept;
    }
    qsort(vns, nvn, sizeof *vns, cmp_vn);
    for (e = 0; e < nvn; e++) {
        struct pod_of_day_key k = {vns[e].day, vns[e].ns, vns[e].pod};
        size_t i = hmap_upsert(&spans, &k, &created);
        struct span_val *s;
        if (i == SIZE_MAX) {
            rc = oom(err);
            goto cleanup;
        }
        s = hmap_value(&spans, i);
        if (created)
            s->start = (uint32_t)e;
        s->count++;
    }

    /* node_count(day, pv): distinct nodes over all rows of that pv. */
    for (sj = 0; sj < sn; sj++) {
        const struct sto_key *k = hmap_entry(&p->storage, entry_at(slist, sj));
        struct pod_of_day_key pk = {k->day, k->ns, k->pod};
        size_t si = hmap_find(&spans, &pk), j;
        const struct span_val *s;
        if (si == SIZE_MAX || !wanted(f, k->day))
            continue;
        s = hmap_value(&spans, si);
        for (j = s->start; j < s->start + s->count; j++) {
            struct pv_node_key nk = {k->day, k->pv, vns[j].node};
            if (hmap_upsert(&pv_nodes, &nk, &created) == SIZE_MAX) {
                rc = oom(err);
                goto cleanup;
            }
            if (created) {
                struct day_pv_key ck = {k->day, k->pv};
                size_t ci = hmap_upsert(&pv_counts, &ck, &created);
                if (ci == SIZE_MAX) {
                    rc = oom(err);
                    goto cleanup;
                }
                ((struct count_val *)hmap_value(&pv_counts, ci))->count++;
            }
        }
    }

    /* One output group per storage group and volume node. */
    for (sj = 0; sj < sn; sj++) {
        const struct sto_key *k = hmap_entry(&p->storage, e = entry_at(slist, sj));
        const struct sto_val *v = hmap_value(&p->storage, e);
        struct pod_of_day_key pk = {k->day, k->ns, k->pod};
        struct day_pv_key ck = {k->day, k->pv};
        size_t si = hmap_find(&spans, &pk), ci = hmap_find(&pv_counts, &ck);
        int64_t n = ci == SIZE_MAX ? 1 : ((struct count_val *)hmap_value(&pv_counts, ci))->count;
        size_t j, start = 0, count = 1;
        int has_nodes = si != SIZE_MAX;

        if (!wanted(f, k->day))
            continue;
        if (has_nodes) {
            const struct span_val *s = hmap_value(&spans, si);
            start = s->start;
            count = s->count;
        }
        for (j = start; j < start + count; j++) {
            struct final_sto_key fk;
            struct sto_out_val *o;
            size_t i;
            uint32_t node = has_nodes ? vns[j].node : POOL_NULL;

            memset(&fk, 0, sizeof fk);
            fk.day = k->day;
            fk.ns = k->ns;
            fk.node = node;
            fk.resource_id = has_nodes ? vns[j].resource_id : POOL_NULL;
            fk.pvc = k->pvc;
            fk.pv = k->pv;
            fk.storageclass = k->storageclass;
            fk.csi = k->csi;
            rc = merged_labels(f,
                               node == POOL_NULL ? POOL_NULL
                                                 : labels_of_day(&p->node_labels, k->day, node),
                               labels_of_day(&p->ns_labels, k->day, k->ns),
                               k->pv_labels, k->pvc_labels, &fk.labels, err);
            if (rc != OCP_OK)
                goto cleanup;
            i = hmap_upsert(&final, &fk, &created);
            if (i == SIZE_MAX) {
                rc = oom(err);
                goto cleanup;
            }
            o = hmap_value(&final, i);
            f->overflow |= xsum_merge(&o->cap_byte_sec, &v->cap_byte_sec);
            f->overflow |= xsum_merge(&o->request_byte_sec, &v->request_byte_sec);
            f->overflow |= xsum_merge(&o->usage_byte_sec, &v->usage_byte_sec);
            if (v->flags & HAS_A)
                max_into(&o->cap_bytes, &o->flags, HAS_A, v->cap_bytes);
            o->nodes = n;
        }
    }

    for (e = 0; e < final.count; e++) {
        const struct final_sto_key *k = hmap_entry(&final, e);
        const struct sto_out_val *o = hmap_value(&final, e);
        struct rpt_row *row = rpt_table_add(f->out);
        double month_sec = 86400.0 * txt_days_in_month(k->day);

        if (row == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->usage_day = k->day;
        row->source = RPT_SOURCE_STORAGE;
        row->namespace_ = str_of(f, k->ns);
        row->node = str_of(f, k->node);
        row->resource_id = str_of(f, k->resource_id);
        row->pvc = str_of(f, k->pvc);
        row->pv = str_of(f, k->pv);
        row->storageclass = str_of(f, k->storageclass);
        row->csi_volume_handle = str_of(f, k->csi);
        row->volume_labels = label_text(f, k->labels);
        if (row->volume_labels == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->all_labels = row->volume_labels;
        label_csv(f, k->labels, row);
        row->num[RPT_PVC_CAP_GB] = (o->flags & HAS_A) ? o->cap_bytes * GIB_INV : NAN;
        row->num[RPT_PVC_CAP_GB_MONTHS] =
            xsum_value(&o->cap_byte_sec) / month_sec * GIB_INV;
        row->num[RPT_VOLUME_REQUEST_GB_MONTHS] =
            xsum_value(&o->request_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->num[RPT_PVC_USAGE_GB_MONTHS] =
            xsum_value(&o->usage_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->has_infra_cost = 1;
        set_cost_category(f, row, row->namespace_);
        if (set_uuid(f, row, NULL) != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
cleanup:
    free(vns);
    hmap_release(&spans);
    hmap_release(&pv_nodes);
    hmap_release(&pv_counts);
    hmap_release(&final);
    return rc;
}

int agg_finish(const struct agg_partial *p,
               const struct agg_finish_settings *settings,
               struct rpt_table *out, struct ocp_error *err)
{
    return agg_finish_days(p, settings, NULL, NULL, out, err);
}

static void cache_init(struct agg_finish_cache *c)
{
    memset(c, 0, sizeof *c);
    pool_init(&c->fpool);
    lbl_set_init(&c->work);
    hmap_init(&c->merged, sizeof(struct merged_key), sizeof(struct merged_val));
    hmap_init(&c->sets, sizeof(struct set_key), sizeof(struct set_val));
    hmap_init(&c->pod_final, sizeof(struct final_pod_key), sizeof(struct pod_val));
    ocp_arena_init(&c->prep, (size_t)1 << 20);
}

static void cache_release(struct agg_finish_cache *c)
{
    hmap_release(&c->sets);
    ocp_arena_release(&c->prep);
    free(c->mbuf);
    pool_release(&c->fpool);
    lbl_set_release(&c->work);
    hmap_release(&c->merged);
    hmap_release(&c->pod_final);
    free(c->items);
}

struct agg_finish_cache *agg_finish_cache_create(void)
{
    struct agg_finish_cache *c = malloc(sizeof *c);
    if (c != NULL)
        cache_init(c);
    return c;
}

void agg_finish_cache_destroy(struct agg_finish_cache *c)
{
    if (c == NULL)
        return;
    cache_release(c);
    free(c);
}

/* The finish of the days f selects (keep filter or day index). */
static int finish_run(struct finisher *f, struct ocp_error *err)
{
    int rc;

    hmap_init(&f->dn_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    hmap_init(&f->day_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    rc = build_capacity(f, err);
    if (rc == OCP_OK) {
        finish_capacity(&f->dn_caps);
        finish_capacity(&f->day_caps);
        rc = emit_pods(f, err);
    }
    if (rc == OCP_OK)
        rc = emit_unallocated(f, err);
    if (rc == OCP_OK)
        rc = emit_storage(f, err);
    if (rc == OCP_OK && f->overflow)
        rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                           "a sum exceeds 2^95 (4.0e28), the exactly summed range, "
                           "when pod groups of one day were combined");
    if (rc == OCP_OK)
        rpt_table_sort(f->out);
    hmap_release(&f->dn_caps);
    hmap_release(&f->day_caps);
    free(f->text);
    free(f->csv);
    free(f->csv_len);
    return rc;
}

int agg_finish_days(const struct agg_partial *p,
                    const struct agg_finish_settings *settings,
                    agg_day_filter keep, void *ctx, struct rpt_table *out,
                    struct ocp_error *err)
{
    struct finisher f;
    struct agg_finish_cache c;
    int rc;

    memset(&f, 0, sizeof f);
    cache_init(&c);
    f.keep = keep;
    f.keep_ctx = ctx;
    f.p = p;
    f.settings = settings;
    f.out = out;
    f.c = &c;
    rc = finish_run(&f, err);
    cache_release(&c);
    return rc;
}

int agg_finish_day(const struct agg_partial *p, const struct agg_day_index *ix,
                   const struct agg_finish_settings *settings, int32_t day,
                   struct rpt_table *out, struct ocp_error *err)
{
    struct finisher f;
    int rc;

    memset(&f, 0, sizeof f);
    f.ix = ix;
    f.ix_day = day;
    f.p = p;
    f.settings = settings;
    f.out = out;
    f.c = agg_day_index_take_cache(ix);
    if (f.c == NULL)
        return oom(err);
    if (f.c->fpool.bytes_len > FINISH_CACHE_BYTES) {
        /* Too many texts kept: forget them (the sets stay). */
        pool_release(&f.c->fpool);
        pool_init(&f.c->fpool);
        hmap_clear(&f.c->merged);
    }
    rc = finish_run(&f, err);
    agg_day_index_put_cache(ix, f.c);
    return rc;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

int agg_partial_days(const struct agg_partial *p, int32_t **days, size_t *n)
{
    /* Days with output: those of pod groups and of storage groups. */
    size_t cap = 64, count = 0, e, i;
    int32_t *d = malloc(cap * sizeof *d);
    const struct hmap *maps[2];

    maps[0] = &p->pods;
    maps[1] = &p->storage;
    if (d == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < 2; i++) {
        int32_t last = INT32_MIN;
        for (e = 0; e < maps[i]->count; e++) {
            int32_t day;
            memcpy(&day, hmap_entry(maps[i], e), sizeof day);
            if (day == last)
                continue; /* entries cluster by day; duplicates go below */
            last = day;
            if (count == cap) {
                int32_t *nd = realloc(d, cap * 2 * sizeof *nd);
                if (nd == NULL) {
                    free(d);
                    return OCP_ERR_OSERR;
                }
                d = nd;
                cap *= 2;
            }
            d[count++] = day;
        }
    }
    qsort(d, count, sizeof *d, cmp_day);
    for (e = 0, i = 0; e < count; e++)
        if (i == 0 || d[i - 1] != d[e])
            d[i++] = d[e];
    *days = d;
    *n = i;
    return OCP_OK;
}
