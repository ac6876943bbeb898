/* agg_finish.c - from a merged partial to the sorted report rows.
 *
 * Order of work (SEMANTICS.md): capacity per (day, node) and per day from
 * the (node, interval_start) maxima; pod groups re-keyed by their merged
 * labels (node ∪ namespace ∪ pod); unallocated rows per (day, node);
 * storage rows per volume node; then cost categories, uuids and the sort.
 * Sums stay exact (struct xsum) until a row is written, so re-grouping
 * does not depend on the order groups are visited in. */
#include "engine/agg_finish_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint32_t agg_fin_labels_of_day(const struct hmap *m, int32_t day, uint32_t id)
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
static int cost_category(struct finisher *f, const char *ns, size_t len, int64_t *id)
{
    size_t i;
    int found = 0;
    if (ns == NULL)
        return 0;
    for (i = 0; i < f->settings->n_cost_categories; i++) {
        const struct agg_cost_category *c = &f->settings->cost_categories[i];
        if (txt_like(c->pattern, strlen(c->pattern), ns, len) && (!found || c->id > *id)) {
            *id = c->id;
            found = 1;
        }
    }
    return found;
}

void agg_fin_set_cost_category(struct finisher *f, struct rpt_row *row, const char *ns)
{
    /* Rows point into the partial's pool, so one namespace is one pointer:
     * remember the answers instead of matching every pattern again. */
    size_t k = (size_t)((uint64_t)(uintptr_t)ns * 0x9e3779b97f4a7c15ull >> 32) % AGG_FIN_COST_CACHE;

    if (ns == NULL) {
        row->has_cost_category = 0;
        row->cost_category_id = 0;
        return;
    }
    if (f->cost[k].ns != ns) {
        f->cost[k].id = 0;
        f->cost[k].has = cost_category(f, ns, strlen(ns), &f->cost[k].id);
        f->cost[k].ns = ns;
    }
    row->has_cost_category = f->cost[k].has;
    row->cost_category_id = f->cost[k].id;
}

/* The uuid name of a row: its key fields, each after 0x1f, NULL as a
 * lone 0x00.  Written to name (room for cap bytes), or to a heap buffer
 * (*heap, the caller frees it) for keys longer than that; returns the
 * length, or SIZE_MAX when out of memory.  known: lengths of namespace,
 * node, all_labels and resource_id when the caller has them (pool
 * strings), else NULL. */
static size_t uuid_name(struct finisher *f, const struct rpt_row *r, const size_t *known,
                        char *name, size_t cap, char **heap)
{
    const char *fields[11];
    size_t lens[11], need = 0, used = 0, i;

    *heap = NULL;
    /* A finish is mostly one day: its text is made once. */
    if (!f->uuid_day_valid || f->uuid_day != r->usage_day) {
        txt_format_date(r->usage_day, f->uuid_day_text);
        f->uuid_day = r->usage_day;
        f->uuid_day_valid = 1;
    }
    fields[0] = r->source == RPT_SOURCE_POD ? "Pod" : "Storage";
    fields[1] = f->uuid_day_text;
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
    if (need > cap) {
        name = *heap = malloc(need);
        if (name == NULL)
            return SIZE_MAX;
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
    return used;
}

/* The uuid of a row: SHA-1 (version 5) of source_uuid and the row's
 * uuid_name, built on the stack (a heap buffer only for keys longer
 * than it). */
int agg_fin_set_uuid(struct finisher *f, struct rpt_row *r, const size_t *known)
{
    char stack[2048], *heap;
    size_t len = uuid_name(f, r, known, stack, sizeof stack, &heap);

    if (len == SIZE_MAX)
        return -1;
    txt_uuid_v5(f->settings->source_uuid, heap != NULL ? heap : stack, len, r->uuid);
    free(heap);
    return 0;
}

int agg_fin_queue_uuid(struct finisher *f, size_t row, const size_t *known)
{
    struct uuid_queue *q = &f->uq;
    struct rpt_row *rows = f->out->rows;
    char *heap;
    size_t len = uuid_name(f, &rows[row], known, q->name[q->have], sizeof q->name[0], &heap);

    if (len == SIZE_MAX)
        return -1;
    if (heap != NULL) {
        /* Too long for the queue: on its own. */
        txt_uuid_v5(f->settings->source_uuid, heap, len, rows[row].uuid);
        free(heap);
        return 0;
    }
    q->len[q->have] = len;
    q->row[q->have] = row;
    if (!q->have) {
        q->have = 1;
        return 0;
    }
    txt_uuid_v5_pair(f->settings->source_uuid, q->name[0], q->len[0], rows[q->row[0]].uuid,
                     q->name[1], len, rows[row].uuid);
    q->have = 0;
    return 0;
}

void agg_fin_flush_uuid(struct finisher *f)
{
    struct uuid_queue *q = &f->uq;

    if (q->have)
        txt_uuid_v5(f->settings->source_uuid, q->name[0], q->len[0], f->out->rows[q->row[0]].uuid);
    q->have = 0;
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

static const struct cap_memo *capacity_of(struct finisher *f, struct cap_memo *m, int32_t day,
                                          uint32_t node)
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

static void fill_capacity(struct finisher *f, struct cap_memo *m, struct rpt_row *row, int32_t day,
                          uint32_t node, uint32_t flags, double cap_cores, double cap_mem_bytes)
{
    const struct cap_memo *c = capacity_of(f, m, day, node);
    row->num[RPT_NODE_CAP_CPU_CORES] = (flags & HAS_A) ? cap_cores : NAN;
    row->num[RPT_NODE_CAP_MEM_GB] = (flags & HAS_B) ? cap_mem_bytes * GIB_INV : NAN;
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
    struct agg_finish_cache *c = f->c;
    size_t e;
    int created, rc = OCP_OK;

    const size_t *list, *slist;
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
    c->njoined = 0;
    /* As many groups as the day has (merged labels seldom join two); the
     * table also gets room for the unallocated rows (about one per node
     * with capacity) and the storage rows (about one per storage group)
     * that follow, so adding them does not move the whole day's rows. */
    if (hmap_reserve(final, n) != 0 ||
        rpt_table_reserve(f->out, f->out->count + n + f->dn_caps.count +
                                      entries_of(f, AGG_IX_STORAGE, &p->storage, &slist)) != 0) {
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
    /* Passes, so each lookup's slot is loaded some groups before it is
     * probed: the label quadruples, their merges (the new texts' lookups
     * batched in agg_fin_merge_end), the day's groups. */
    for (j = 0; j < n; j++) {
        const struct pod_key *k = hmap_entry(&p->pods, e = entry_at(list, j));
        struct emit_item *it = &items[nw];

        /* A day's groups lie among the other days' in the table. */
        if (j + EMIT_AHEAD < n)
            __builtin_prefetch(hmap_entry(&p->pods, entry_at(list, j + EMIT_AHEAD)));

        if (!wanted(f, k->day) || !agg_fin_in_part(f, k->ns))
            continue;
        /* Groups come node by node: look a node's or namespace's labels
         * up again only when it changes. */
        if (!lm.valid || k->day != lm.day || k->node != lm.node) {
            lm.node = k->node;
            lm.node_l = agg_fin_labels_of_day(&p->node_labels, k->day, k->node);
        }
        if (!lm.valid || k->day != lm.day || k->ns != lm.ns) {
            lm.ns = k->ns;
            lm.ns_l = agg_fin_labels_of_day(&p->ns_labels, k->day, k->ns);
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
            agg_fin_merge_prefetch(f, &items[j + EMIT_AHEAD].mk, items[j + EMIT_AHEAD].mh);
        rc = agg_fin_merge_begin(f, &it->mk, it->mh, &it->fk.labels, err);
        /* In batches, so the begun merges' entries stay few. */
        if (rc == OCP_OK && f->c->njobs >= MERGE_BATCH)
            rc = agg_fin_merge_end(f, err);
        if (rc != OCP_OK)
            goto cleanup;
    }
    rc = agg_fin_merge_end(f, err);
    if (rc != OCP_OK)
        goto cleanup;
    for (j = 0; j < nw; j++)
        items[j].fh = hmap_hash(&items[j].fk, sizeof items[j].fk);
    for (j = 0; j < nw; j++) {
        const struct emit_item *it = &items[j];
        struct final_pod_val *fv;
        size_t i;

        if (j + EMIT_AHEAD < nw)
            hmap_prefetch(final, items[j + EMIT_AHEAD].fh);
        i = hmap_upsert_hashed(final, &it->fk, it->fh, &created);
        if (i == SIZE_MAX) {
            rc = oom(err);
            goto cleanup;
        }
        fv = hmap_value(final, i);
        if (created) {
            fv->entry = (uint32_t)it->e; /* entries number below 2^32 (hmap) */
            fv->joined = FINAL_ALONE;
            continue;
        }
        /* A second entry of the group: from now on the group's value is
         * a copy of the first's, the others merged into it in item
         * order. */
        if (fv->joined == FINAL_ALONE) {
            if (c->njoined == c->joined_cap) {
                size_t ncap = c->joined_cap ? 2 * c->joined_cap : 64;
                struct pod_val *nj = realloc(c->joined, ncap * sizeof *nj);
                if (nj == NULL) {
                    rc = oom(err);
                    goto cleanup;
                }
                c->joined = nj;
                c->joined_cap = ncap;
            }
            memcpy(&c->joined[c->njoined], hmap_value(&p->pods, fv->entry), sizeof *c->joined);
            fv->joined = (uint32_t)c->njoined++;
        }
        f->overflow |=
            agg_merge_pod_val(&p->pool, &c->joined[fv->joined], hmap_value(&p->pods, it->e));
    }
    for (e = 0; e < final->count; e++) {
        const struct final_pod_key *k = hmap_entry(final, e);
        const struct final_pod_val *fv = hmap_value(final, e);
        const struct pod_val *v =
            fv->joined != FINAL_ALONE ? &c->joined[fv->joined] : hmap_value(&p->pods, fv->entry);
        struct rpt_row *row = rpt_table_add(f->out);
        int s;

        /* The groups' values lie among the other days' in the table,
         * their label texts all over the cache's memory (the uuid's name
         * copies the text: a miss per row). */
        if (e + EMIT_AHEAD < final->count) {
            hmap_prefetch_at(
                &p->pods, ((const struct final_pod_val *)hmap_value(final, e + EMIT_AHEAD))->entry);
            agg_fin_label_prefetch(
                f, ((const struct final_pod_key *)hmap_entry(final, e + EMIT_AHEAD))->labels);
        }

        if (row == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->usage_day = k->day;
        row->source = RPT_SOURCE_POD;
        row->namespace_ = str_of(f, k->ns);
        row->node = str_of(f, k->node);
        row->resource_id = str_of(f, v->resource_id);
        row->pod_labels = agg_fin_label_text(f, k->labels);
        if (row->pod_labels == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->all_labels = row->pod_labels;
        agg_fin_label_csv(f, k->labels, row);
        for (s = 0; s < PS_COUNT; s++) {
            struct xsum x = pod_sum(v, s);
            double sum = xsum_value(&x) / 3600.0;
            row->num[RPT_POD_USAGE_CPU_HOURS + s] = s >= PS_USAGE_MEM ? sum * GIB_INV : sum;
        }
        fill_capacity(f, &cm, row, k->day, k->node, v->flags, v->cap_cores, v->cap_mem_bytes);
        row->has_infra_cost = 1;
        agg_fin_set_cost_category(f, row, row->namespace_);
        {
            const size_t known[4] = {pool_len(&p->pool, k->ns), pool_len(&p->pool, k->node),
                                     agg_fin_text_len(&f->c->texts, k->labels),
                                     pool_len(&p->pool, v->resource_id)};
            s = agg_fin_queue_uuid(f, (size_t)(row - f->out->rows), known);
        }
        if (s != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
    agg_fin_flush_uuid(f);
cleanup:
    return rc;
}

/* The role of a node: settings, else node_role, else Koku's rule. */
static const char *role_of(struct finisher *f, uint32_t node)
{
    const struct agg_partial *p = f->p;
    struct node_key nk;
    struct agg_node_info info;
    size_t e;

    nk.node = node;
    nk.zero = 0;
    e = hmap_find(&p->nodes, &nk);
    if (e != SIZE_MAX)
        agg_node_info_of(p, hmap_value(&p->nodes, e), &info);
    /* The one rule (agg_roles.c), which the driver also applies across
     * windows of days. */
    return agg_node_role(f->settings, pool_str(&p->pool, node), e != SIZE_MAX ? &info : NULL);
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

    /* A part of the day without either unallocated namespace needs no
     * node totals. */
    if (f->nparts > 1 && f->platform_part != f->part && f->worker_part != f->part)
        return OCP_OK;
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
        f->overflow |= pod_sum_merge_into(&u->usage_cpu, v, PS_USAGE_CPU);
        f->overflow |= pod_sum_merge_into(&u->request_cpu, v, PS_REQUEST_CPU);
        f->overflow |= pod_sum_merge_into(&u->eff_cpu, v, PS_EFFECTIVE_CPU);
        f->overflow |= pod_sum_merge_into(&u->usage_mem, v, PS_USAGE_MEM);
        f->overflow |= pod_sum_merge_into(&u->request_mem, v, PS_REQUEST_MEM);
        f->overflow |= pod_sum_merge_into(&u->eff_mem, v, PS_EFFECTIVE_MEM);
        if (v->flags & HAS_A)
            max_into(&u->cap_cores, &u->flags, HAS_A, v->cap_cores);
        if (v->flags & HAS_B)
            max_into(&u->cap_mem_bytes, &u->flags, HAS_B, v->cap_mem_bytes);
        if (pool_cmp(&p->pool, v->resource_id, u->resource_id) > 0)
            u->resource_id = v->resource_id;
    }
    /* Room for every node's row at once (emit_pods made room for most). */
    if (rpt_table_reserve(f->out, f->out->count + per_node.count) != 0) {
        rc = oom(err);
        goto cleanup;
    }
    for (e = 0; e < per_node.count; e++) {
        const struct day_node_key *k = hmap_entry(&per_node, e);
        const struct unalloc_val *u = hmap_value(&per_node, e);
        const char *role = role_of(f, k->node);
        const char *ns;
        struct rpt_row *row;
        double cpu_h, mem_gbh;

        int part;

        if (strcmp(role, "master") == 0 || strcmp(role, "infra") == 0) {
            ns = "Platform unallocated";
            part = f->platform_part;
        } else if (strcmp(role, "worker") == 0) {
            ns = "Worker unallocated";
            part = f->worker_part;
        } else {
            continue;
        }
        if (f->nparts > 1 && part != f->part)
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
        fill_capacity(f, &cm, row, k->day, k->node, u->flags, u->cap_cores, u->cap_mem_bytes);
        cpu_h = row->num[RPT_NODE_CAP_CPU_HOURS];
        mem_gbh = row->num[RPT_NODE_CAP_MEM_GBH];
        row->num[RPT_POD_USAGE_CPU_HOURS] = cpu_h - xsum_value(&u->usage_cpu) / 3600.0;
        row->num[RPT_POD_REQUEST_CPU_HOURS] = cpu_h - xsum_value(&u->request_cpu) / 3600.0;
        row->num[RPT_POD_EFFECTIVE_CPU_HOURS] = cpu_h - xsum_value(&u->eff_cpu) / 3600.0;
        row->num[RPT_POD_USAGE_MEM_GBH] = mem_gbh - xsum_value(&u->usage_mem) / 3600.0 * GIB_INV;
        row->num[RPT_POD_REQUEST_MEM_GBH] =
            mem_gbh - xsum_value(&u->request_mem) / 3600.0 * GIB_INV;
        row->num[RPT_POD_EFFECTIVE_MEM_GBH] = mem_gbh - xsum_value(&u->eff_mem) / 3600.0 * GIB_INV;
        row->has_infra_cost = 0;
        agg_fin_set_cost_category(f, row, row->namespace_);
        if (agg_fin_set_uuid(f, row, NULL) != 0) {
            rc = oom(err);
            goto cleanup;
        }
    }
cleanup:
    hmap_release(&per_node);
    return rc;
}

int agg_finish(const struct agg_partial *p, const struct agg_finish_settings *settings,
               struct rpt_table *out, struct ocp_error *err)
{
    return agg_finish_days(p, settings, NULL, NULL, out, err);
}

/* The finish of the days f selects (keep filter or day index). */
static int finish_run(struct finisher *f, struct ocp_error *err)
{
    int rc;

    agg_fin_cache_new_table(f->c);
    hmap_init(&f->dn_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    hmap_init(&f->day_caps, sizeof(struct day_node_key), sizeof(struct cap_sums));
    hmap_init(&f->ns_part, sizeof(struct ns_part_key), sizeof(struct ns_part_val));
    f->memo_in = -1;
    rc = build_capacity(f, err);
    if (rc == OCP_OK) {
        finish_capacity(&f->dn_caps);
        finish_capacity(&f->day_caps);
        if (f->nparts > 1)
            rc = agg_fin_cut(f, err);
    }
    if (rc == OCP_OK)
        rc = emit_pods(f, err);
    if (rc == OCP_OK)
        rc = emit_unallocated(f, err);
    /* Storage rows follow every pod row of the day: the last part's. */
    if (rc == OCP_OK && (f->nparts <= 1 || f->part == f->nparts - 1))
        rc = agg_fin_emit_storage(f, err);
    if (rc == OCP_OK && f->overflow)
        rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                           "a sum exceeds 2^95 (4.0e28), the exactly summed range, "
                           "when pod groups of one day were combined");
    if (rc == OCP_OK)
        rpt_table_sort(f->out);
    hmap_release(&f->dn_caps);
    hmap_release(&f->day_caps);
    hmap_release(&f->ns_part);
    return rc;
}

int agg_finish_days(const struct agg_partial *p, const struct agg_finish_settings *settings,
                    agg_day_filter keep, void *ctx, struct rpt_table *out, struct ocp_error *err)
{
    struct finisher f;
    struct agg_finish_cache c;
    int rc;

    memset(&f, 0, sizeof f);
    agg_fin_cache_init(&c);
    f.keep = keep;
    f.keep_ctx = ctx;
    f.p = p;
    f.settings = settings;
    f.out = out;
    f.c = &c;
    rc = finish_run(&f, err);
    agg_fin_cache_release(&c);
    return rc;
}

int agg_finish_day(const struct agg_partial *p, const struct agg_day_index *ix,
                   const struct agg_finish_settings *settings, int32_t day, struct rpt_table *out,
                   struct ocp_error *err)
{
    return agg_finish_day_part(p, ix, settings, day, 0, 1, out, err);
}

int agg_finish_day_part(const struct agg_partial *p, const struct agg_day_index *ix,
                        const struct agg_finish_settings *settings, int32_t day, int part,
                        int nparts, struct rpt_table *out, struct ocp_error *err)
{
    struct finisher f;
    int rc;

    if (nparts < 1 || part < 0 || part >= nparts)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "part %d of %d of a day", part,
                             nparts);
    memset(&f, 0, sizeof f);
    f.part = part;
    f.nparts = nparts;
    f.ix = ix;
    f.ix_day = day;
    f.p = p;
    f.settings = settings;
    f.out = out;
    f.c = agg_day_index_take_cache(ix);
    if (f.c == NULL)
        return oom(err);
    /* Texts past FINISH_CACHE_BYTES are forgotten by agg_day_index_trim,
     * between batches: rows of days finished earlier may point here. */
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
