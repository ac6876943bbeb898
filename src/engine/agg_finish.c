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
struct set_val {
    struct lbl_set *set;
};

struct finisher {
    const struct agg_partial *p;
    const struct agg_finish_settings *settings;
    struct agg_pool fpool;          /* merged label texts */
    struct hmap sets;               /* p->pool id -> parsed canonical set */
    struct hmap dn_caps;            /* (day, node) -> capacity sums */
    struct hmap day_caps;           /* (day, 0) -> cluster capacity sums */
    struct hmap merged;             /* label triple -> finish pool id */
    struct lbl_set work;
    struct rpt_table *out;
    int overflow; /* a sum left the exact range */
    const char **text; /* finish pool id -> label text in the table */
    size_t ntext;
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

/* The parsed set of a canonical label id of the partial's pool; NULL when
 * memory ran out (canonical texts are our own JSON objects, so parsing
 * fails only for want of memory), never an empty set in its place. */
static const struct lbl_set *set_of(struct finisher *f, uint32_t id)
{
    static const struct lbl_set empty = {0};
    struct set_key k = {id, 0};
    struct set_val *v;
    size_t e;
    int created;

    if (id == POOL_NULL)
        return &empty;
    /* Keyed by id rather than an array over the whole pool: a day's
     * finish touches only that day's label ids. */
    e = hmap_upsert(&f->sets, &k, &created);
    if (e == SIZE_MAX)
        return NULL;
    v = hmap_value(&f->sets, e);
    if (v->set == NULL) {
        struct lbl_set *s = malloc(sizeof *s);
        if (s == NULL)
            return NULL;
        lbl_set_init(s);
        if (lbl_parse(pool_str(&f->p->pool, id), pool_len(&f->p->pool, id), s,
                      NULL) != OCP_OK) {
            lbl_set_release(s);
            free(s);
            return NULL;
        }
        v->set = s;
    }
    return v->set;
}

/* The finish-pool id of node ∪ namespace ∪ a ∪ b (later wins). */
static int merged_labels(struct finisher *f, uint32_t node_l, uint32_t ns_l,
                         uint32_t a, uint32_t b, uint32_t *out,
                         struct ocp_error *err)
{
    struct merged_key k = {node_l, ns_l, a, b};
    const uint32_t parts[4] = {node_l, ns_l, a, b};
    struct merged_val *v;
    char *text;
    size_t len, e;
    int created, i;

    e = hmap_upsert(&f->merged, &k, &created);
    if (e == SIZE_MAX)
        return oom(err);
    v = hmap_value(&f->merged, e);
    if (!created) {
        *out = v->id;
        return OCP_OK;
    }
    lbl_set_clear(&f->work);
    for (i = 0; i < 4; i++) {
        const struct lbl_set *s = set_of(f, parts[i]);
        if (s == NULL || lbl_merge(&f->work, s) != OCP_OK)
            return oom(err);
    }
    text = lbl_canonical(&f->work, &len);
    if (text == NULL)
        return oom(err);
    v = hmap_value(&f->merged, e);
    v->id = pool_intern(&f->fpool, text, len);
    free(text);
    if (v->id == POOL_NULL)
        return oom(err);
    *out = v->id;
    return OCP_OK;
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

/* Appends one key field to the uuid name: 0x1f separates, 0x00 marks NULL. */
static size_t name_add(char *buf, size_t used, size_t cap, const char *s)
{
    size_t l;
    if (used < cap)
        buf[used++] = 0x1f;
    if (s == NULL) {
        if (used < cap)
            buf[used++] = 0;
        return used;
    }
    l = strlen(s);
    if (l > cap - used)
        l = cap - used;
    memcpy(buf + used, s, l);
    return used + l;
}

static int set_uuid(struct finisher *f, struct rpt_row *r)
{
    char day[11];
    size_t cap = 64, used = 0;
    char *name;
    const char *fields[11];
    size_t i, need = 64;

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
    for (i = 0; i < 11; i++)
        need += 2 + (fields[i] ? strlen(fields[i]) : 0);
    cap = need;
    name = malloc(cap);
    if (name == NULL)
        return -1;
    for (i = 0; i < 11; i++)
        used = name_add(name, used, cap, fields[i]);
    txt_uuid_v5(f->settings->source_uuid, name, used, r->uuid);
    free(name);
    return 0;
}

/* A string of the partial, borrowed: the partial outlives the table. */
static const char *str_of(const struct finisher *f, uint32_t id)
{
    return pool_str(&f->p->pool, id);
}

/* A merged label text, copied into the table once per distinct text
 * (the finish pool dies with the finisher). */
static const char *label_text(struct finisher *f, uint32_t id)
{
    if (id >= f->ntext) {
        size_t n = f->ntext ? f->ntext : 256;
        const char **nt;
        while (n <= id)
            n *= 2;
        nt = realloc(f->text, n * sizeof *nt);
        if (nt == NULL)
            return NULL;
        memset(nt + f->ntext, 0, (n - f->ntext) * sizeof *nt);
        f->text = nt;
        f->ntext = n;
    }
    if (f->text[id] == NULL)
        f->text[id] = rpt_table_strdup(f->out, pool_str(&f->fpool, id),
                                       pool_len(&f->fpool, id));
    return f->text[id];
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

static void capacity_of(struct finisher *f, int32_t day, uint32_t node,
                        double *cpu_sec, double *mem_sec, double *cl_cpu_sec,
                        double *cl_mem_sec)
{
    struct day_node_key k;
    size_t e;

    k.day = day;
    k.node = node;
    e = hmap_find(&f->dn_caps, &k);
    *cpu_sec = *mem_sec = 0.0;
    if (e != SIZE_MAX) {
        const struct cap_sums *s = hmap_value(&f->dn_caps, e);
        *cpu_sec = xsum_value(&s->cpu);
        *mem_sec = xsum_value(&s->mem);
    }
    k.node = 0;
    e = hmap_find(&f->day_caps, &k);
    *cl_cpu_sec = *cl_mem_sec = 0.0;
    if (e != SIZE_MAX) {
        const struct cap_sums *s = hmap_value(&f->day_caps, e);
        *cl_cpu_sec = xsum_value(&s->cpu);
        *cl_mem_sec = xsum_value(&s->mem);
    }
}

static void fill_capacity(struct finisher *f, struct rpt_row *row,
                          int32_t day, uint32_t node, uint32_t flags,
                          double cap_cores, double cap_mem_bytes)
{
    double cpu, mem, ccpu, cmem;
    capacity_of(f, day, node, &cpu, &mem, &ccpu, &cmem);
    row->num[RPT_NODE_CAP_CPU_CORES] = (flags & HAS_A) ? cap_cores : NAN;
    row->num[RPT_NODE_CAP_MEM_GB] =
        (flags & HAS_B) ? cap_mem_bytes * GIB_INV : NAN;
    row->num[RPT_NODE_CAP_CPU_HOURS] = cpu / 3600.0;
    row->num[RPT_NODE_CAP_MEM_GBH] = mem / 3600.0 * GIB_INV;
    row->num[RPT_CLUSTER_CAP_CPU_HOURS] = ccpu / 3600.0;
    row->num[RPT_CLUSTER_CAP_MEM_GBH] = cmem / 3600.0 * GIB_INV;
}

static int emit_pods(struct finisher *f, struct ocp_error *err)
{
    const struct agg_partial *p = f->p;
    struct hmap final;
    size_t e;
    int created, rc = OCP_OK;

    const size_t *list;
    size_t j, n = entries_of(f, AGG_IX_PODS, &p->pods, &list);

    hmap_init(&final, sizeof(struct final_pod_key), sizeof(struct pod_val));
    for (j = 0; j < n; j++) {
        const struct pod_key *k = hmap_entry(&p->pods, e = entry_at(list, j));
        const struct pod_val *v = hmap_value(&p->pods, e);
        struct final_pod_key fk;
        size_t i;

        if (!wanted(f, k->day))
            continue;
        fk.day = k->day;
        fk.ns = k->ns;
        fk.node = k->node;
        rc = merged_labels(f, labels_of_day(&p->node_labels, k->day, k->node),
                           labels_of_day(&p->ns_labels, k->day, k->ns),
                           k->labels, POOL_NULL, &fk.labels, err);
        if (rc != OCP_OK)
            goto cleanup;
        i = hmap_upsert(&final, &fk, &created);
        if (i == SIZE_MAX) {
            rc = oom(err);
            goto cleanup;
        }
        f->overflow |= agg_merge_pod_val(&p->pool, hmap_value(&final, i), v);
    }
    for (e = 0; e < final.count; e++) {
        const struct final_pod_key *k = hmap_entry(&final, e);
        const struct pod_val *v = hmap_value(&final, e);
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
        for (s = 0; s < PS_COUNT; s++) {
            double sum = xsum_value(&v->sum[s]) / 3600.0;
            row->num[RPT_POD_USAGE_CPU_HOURS + s] =
                s >= PS_USAGE_MEM ? sum * GIB_INV : sum;
        }
        fill_capacity(f, row, k->day, k->node, v->flags, v->cap_cores,
                      v->cap_mem_bytes);
        row->has_infra_cost = 1;
        set_cost_category(f, row, row->namespace_);
        if (set_uuid(f, row) != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
cleanup:
    hmap_release(&final);
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
        fill_capacity(f, row, k->day, k->node, u->flags, u->cap_cores,
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
        if (set_uuid(f, row) != 0) {
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
        const size_t *list;
        size_t kept = 0, j, n = entries_of(f, AGG_IX_VNODES, &p->vnodes, &list);
        for (j = 0; j < n; j++) {
            const struct vn_key *vk = hmap_entry(&p->vnodes, entry_at(list, j));
            if (wanted(f, vk->day))
                vns[kept++] = *vk;
        }
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
        row->num[RPT_PVC_CAP_GB] = (o->flags & HAS_A) ? o->cap_bytes * GIB_INV : NAN;
        row->num[RPT_PVC_CAP_GB_MONTHS] =
            xsum_value(&o->cap_byte_sec) / month_sec * GIB_INV;
        row->num[RPT_VOLUME_REQUEST_GB_MONTHS] =
            xsum_value(&o->request_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->num[RPT_PVC_USAGE_GB_MONTHS] =
            xsum_value(&o->usage_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->has_infra_cost = 1;
        set_cost_category(f, row, row->namespace_);
        if (set_uuid(f, row) != 0) {
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

/* The finish of the days f selects (keep filter or day index). */
static int finish_run(struct finisher *f, struct ocp_error *err)
{
    size_t e;
    int rc;

    pool_init(&f->fpool);
    lbl_set_init(&f->work);
    hmap_init(&f->dn_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    hmap_init(&f->day_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    hmap_init(&f->merged, sizeof(struct merged_key), sizeof(struct merged_val));
    hmap_init(&f->sets, sizeof(struct set_key), sizeof(struct set_val));
    rc = build_capacity(f, err);
    if (rc == OCP_OK)
        rc = emit_pods(f, err);
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
    for (e = 0; e < f->sets.count; e++) {
        struct set_val *v = hmap_value(&f->sets, e);
        if (v->set != NULL) {
            lbl_set_release(v->set);
            free(v->set);
        }
    }
    hmap_release(&f->sets);
    pool_release(&f->fpool);
    free(f->text);
    lbl_set_release(&f->work);
    hmap_release(&f->dn_caps);
    hmap_release(&f->day_caps);
    hmap_release(&f->merged);
    return rc;
}

int agg_finish_days(const struct agg_partial *p,
                    const struct agg_finish_settings *settings,
                    agg_day_filter keep, void *ctx, struct rpt_table *out,
                    struct ocp_error *err)
{
    struct finisher f;

    memset(&f, 0, sizeof f);
    f.keep = keep;
    f.keep_ctx = ctx;
    f.p = p;
    f.settings = settings;
    f.out = out;
    return finish_run(&f, err);
}

int agg_finish_day(const struct agg_partial *p, const struct agg_day_index *ix,
                   const struct agg_finish_settings *settings, int32_t day,
                   struct rpt_table *out, struct ocp_error *err)
{
    struct finisher f;

    memset(&f, 0, sizeof f);
    f.ix = ix;
    f.ix_day = day;
    f.p = p;
    f.settings = settings;
    f.out = out;
    return finish_run(&f, err);
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
