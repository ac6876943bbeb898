/* agg_partial.c - reading chunks into a partial. */
#include "engine/agg_internal.h"
#include "ocpagg/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char apiserver_namespace[] = "openshift-kube-apiserver";

int agg_partial_create(const struct agg_settings *settings,
                       struct agg_partial **out, struct ocp_error *err)
{
    struct agg_partial *p = calloc(1, sizeof *p);

    *out = NULL;
    if (p == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory");
    p->settings = *settings;
    pool_init(&p->pool);
    pool_init(&p->raw_labels);
    hmap_init(&p->pods, sizeof(struct pod_key), sizeof(struct pod_val));
    hmap_init(&p->caps, sizeof(struct cap_key), sizeof(struct cap_val));
    hmap_init(&p->node_labels, sizeof(struct lab_key), sizeof(struct lab_val));
    hmap_init(&p->ns_labels, sizeof(struct lab_key), sizeof(struct lab_val));
    hmap_init(&p->nodes, sizeof(struct node_key), sizeof(struct node_val));
    hmap_init(&p->vnodes, sizeof(struct vn_key), 0);
    hmap_init(&p->chunk_vnodes, sizeof(struct vn_key), 0);
    hmap_init(&p->storage, sizeof(struct sto_key), sizeof(struct sto_val));
    lbl_set_init(&p->scratch);
    p->apiserver_ns = pool_intern(&p->pool, apiserver_namespace,
                                  sizeof apiserver_namespace - 1);
    if (p->apiserver_ns == POOL_NULL) {
        agg_partial_destroy(p);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory");
    }
    *out = p;
    return OCP_OK;
}

void agg_partial_destroy(struct agg_partial *p)
{
    int t, c;

    if (p == NULL)
        return;
    pool_release(&p->pool);
    pool_release(&p->raw_labels);
    free(p->raw_canon);
    free(p->raw_flags);
    hmap_release(&p->pods);
    hmap_release(&p->caps);
    hmap_release(&p->node_labels);
    hmap_release(&p->ns_labels);
    hmap_release(&p->nodes);
    hmap_release(&p->vnodes);
    hmap_release(&p->chunk_vnodes);
    hmap_release(&p->storage);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        for (c = 0; c < OCP_MAX_COLUMNS; c++)
            free(p->maps[t][c].ids);
    lbl_set_release(&p->scratch);
    free(p);
}

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

int agg_resolve_label(struct agg_partial *p, const char *text, size_t len,
                      uint32_t *canon, uint8_t *flags, struct ocp_error *err)
{
    uint32_t raw = pool_intern(&p->raw_labels, text, len);
    const struct lbl_pair *role;
    uint8_t f = 0;
    char *canonical;
    size_t clen;
    uint32_t cid;
    int rc;

    if (raw == POOL_NULL)
        return pool_fail_error(&p->raw_labels, err, "labels");
    if (raw < p->raw_resolved) {
        *canon = p->raw_canon[raw];
        *flags = p->raw_flags[raw];
        return OCP_OK;
    }
    if (raw >= p->raw_cap) {
        uint32_t ncap = p->raw_cap ? p->raw_cap * 2 : 1024;
        uint32_t *nc;
        uint8_t *nf;
        while (ncap <= raw)
            ncap *= 2;
        nc = realloc(p->raw_canon, ncap * sizeof *nc);
        if (nc == NULL)
            return oom(err);
        p->raw_canon = nc;
        nf = realloc(p->raw_flags, ncap * sizeof *nf);
        if (nf == NULL)
            return oom(err);
        p->raw_flags = nf;
        p->raw_cap = ncap;
    }
    rc = lbl_parse(text, len, &p->scratch, NULL);
    if (rc == OCP_ERR_OSERR)
        return oom(err); /* never read as "malformed, empty set" */
    if (rc != OCP_OK) {
        f |= LBL_BAD;
        lbl_set_clear(&p->scratch);
    }
    role = lbl_set_get(&p->scratch, "node_role_kubernetes_io", 23);
    if (role != NULL && role->vlen == 5 && memcmp(role->value, "infra", 5) == 0)
        f |= LBL_INFRA;
    lbl_filter(&p->scratch, p->settings.enabled);
    canonical = lbl_canonical(&p->scratch, &clen);
    if (canonical == NULL)
        return oom(err);
    cid = pool_intern(&p->pool, canonical, clen);
    free(canonical);
    if (cid == POOL_NULL)
        return pool_fail_error(&p->pool, err, "labels");
    /* Raw ids are dense and new ones arrive in order, so the resolved
     * prefix grows by exactly this id. */
    p->raw_canon[raw] = cid;
    p->raw_flags[raw] = f;
    p->raw_resolved = raw + 1;
    *canon = cid;
    *flags = f;
    return OCP_OK;
}

/* Prepares the lazy map of a string column's dictionary into the pool. */
static int dict_map_prepare(struct dict_map *m, const struct ocp_strdict *d)
{
    if (d == NULL)
        return OCP_OK;
    if (m->ids != NULL && m->serial == d->serial && m->count == d->count)
        return OCP_OK;
    if (m->count < d->count || m->ids == NULL) {
        uint32_t *ids = realloc(m->ids, ((size_t)d->count + 1) * sizeof *ids);
        if (ids == NULL)
            return OCP_ERR_OSERR;
        m->ids = ids;
    }
    memset(m->ids, 0xff, (size_t)d->count * sizeof *m->ids);
    m->serial = d->serial;
    m->count = d->count;
    return OCP_OK;
}

/* The pool id of row r's string (POOL_NULL for NULL or absent). */
static inline uint32_t str_at(struct agg_partial *p, struct dict_map *m,
                              const struct ocp_column *c, size_t r)
{
    uint32_t id, pid;
    size_t len;
    const char *s;

    if (!c->present || c->str.ids == NULL)
        return POOL_NULL;
    id = c->str.ids[r];
    if (id == OCP_NULL_ID || id >= m->count)
        return POOL_NULL;
    pid = m->ids[id];
    if (pid != DICT_UNMAPPED)
        return pid;
    s = ocp_strdict_get(c->str.dict, id, &len);
    pid = pool_intern(&p->pool, s, len);
    if (pid == POOL_NULL) {
        /* Out of memory or a full pool: the batch fails when its loop
         * ends (intern_failed), so this row's NULL never reaches a
         * report; the id stays unmapped. */
        p->intern_failed = 1;
        return POOL_NULL;
    }
    m->ids[id] = pid;
    return pid;
}

/* The canonical label id of row r's label text; counts bad texts. */
static inline int label_at(struct agg_partial *p, struct dict_map *m,
                           const struct ocp_column *c, size_t r,
                           const char *column, uint32_t *canon,
                           uint8_t *flags, struct ocp_error *err)
{
    uint32_t id, pid;
    size_t len;
    const char *s;
    int rc;

    *flags = 0;
    if (!c->present || c->str.ids == NULL ||
        (id = c->str.ids[r]) == OCP_NULL_ID || id >= m->count) {
        return agg_resolve_label(p, "", 0, canon, flags, err);
    }
    pid = m->ids[id];
    if (pid == DICT_UNMAPPED) {
        s = ocp_strdict_get(c->str.dict, id, &len);
        rc = agg_resolve_label(p, s, len, &pid, flags, err);
        if (rc != OCP_OK)
            return rc;
        /* Keep the flags with the id: the top bits are free because pool
         * ids stay far below 2^29. */
        m->ids[id] = pid | ((uint32_t)*flags << 29);
        pid = m->ids[id];
    }
    *canon = pid & 0x1fffffffu;
    *flags = (uint8_t)(pid >> 29);
    if (*flags & LBL_BAD) {
        p->stats.bad_label_rows++;
        if (p->settings.strict) {
            s = ocp_strdict_get(c->str.dict, id, &len);
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, column,
                                 "malformed label text '%.*s'",
                                 (int)(len > 80 ? 80 : len), s);
        }
    }
    return OCP_OK;
}

static int prepare_maps(struct agg_partial *p, const struct ocp_batch *b,
                        struct ocp_error *err)
{
    const struct ocp_tablespec *spec = ocp_table_spec(b->table);
    int c;

    for (c = 0; c < spec->ncols; c++) {
        const struct ocp_column *col = &b->col[c];
        if (spec->cols[c].kind != OCP_KIND_STRING &&
            spec->cols[c].kind != OCP_KIND_LABELS)
            continue;
        if (!col->present || col->str.ids == NULL)
            continue;
        if (col->str.dict == NULL)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1,
                                 spec->cols[c].name,
                                 "string column without a dictionary");
        if (dict_map_prepare(&p->maps[b->table][c], col->str.dict) != OCP_OK)
            return oom(err);
    }
    return OCP_OK;
}

static inline double num_at(const struct ocp_column *c, size_t r)
{
    return c->present && c->num != NULL ? c->num[r] : NAN;
}

/* PostgreSQL's greatest(): the larger non-NULL value, NULL when both are. */
static inline double greatest(double a, double b)
{
    if (isnan(a))
        return b;
    if (isnan(b))
        return a;
    return a > b ? a : b;
}

/* Why row r of a batch could not be added: the first numeric column
 * holding an infinity or a value of 2^90 or more, else a sum that left
 * the exact range.  Names the column, the day and the node or namespace.
 * Cold: runs once, when the job is failing anyway. */
static int range_error(const struct agg_partial *p, const struct ocp_batch *b,
                       size_t r, int32_t day, uint32_t ns, uint32_t node,
                       struct ocp_error *err)
{
    const struct ocp_tablespec *spec = ocp_table_spec(b->table);
    const char *ns_s = pool_str(&p->pool, ns), *node_s = pool_str(&p->pool, node);
    char date[11], where[300];
    int c;

    txt_format_date(day, date);
    if (node_s != NULL && node_s[0] != '\0')
        snprintf(where, sizeof where, "day %s, node '%.100s', namespace '%.100s'",
                 date, node_s, ns_s != NULL ? ns_s : "");
    else
        snprintf(where, sizeof where, "day %s, namespace '%.100s'", date,
                 ns_s != NULL ? ns_s : "");
    for (c = 0; c < spec->ncols; c++) {
        double v;
        if (spec->cols[c].kind != OCP_KIND_NUMBER || !b->col[c].present ||
            b->col[c].num == NULL)
            continue;
        v = b->col[c].num[r];
        if (isinf(v))
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, spec->cols[c].name,
                                 "infinite value (%s); numbers must be finite or NULL",
                                 where);
        if (fabs(v) >= 0x1p90)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, spec->cols[c].name,
                                 "value %.6g is 2^90 (1.2e27) or more, beyond the "
                                 "exactly summed range (%s)", v, where);
    }
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1,
                         b->table == OCP_TABLE_POD ? "pod usage" : "storage usage",
                         "a sum exceeds 2^95 (4.0e28), the exactly summed range (%s)",
                         where);
}

static inline int in_run(const struct agg_partial *p, int64_t ts,
                         int32_t *day)
{
    if (ts == OCP_TS_NULL)
        return 0;
    *day = agg_day_of(ts);
    return *day >= p->settings.start_day && *day <= p->settings.end_day;
}

/* Prefetching: rows are visited in file order but their groups are spread
 * over large tables, so the slot and then the entry of the row PREFETCH
 * rows ahead are requested early, using only dictionary ids that are
 * already mapped (no side effects). */
#define PREFETCH 8
#define RING 16

static inline uint32_t peek_id(const struct dict_map *m,
                               const struct ocp_column *c, size_t r)
{
    uint32_t id;
    if (!c->present || c->str.ids == NULL)
        return POOL_NULL;
    id = c->str.ids[r];
    if (id == OCP_NULL_ID || id >= m->count)
        return POOL_NULL;
    return m->ids[id];
}

/* What the look-ahead computed for a row: the keys and their hashes, so
 * the row's own upserts need not hash again. */
struct ahead {
    struct pod_key key;
    struct vn_key vk;
    uint32_t hpod, hvn;
    int valid;
};

static inline void prefetch_slot_entry(const struct hmap *m, uint32_t h)
{
    uint64_t sl;
    if (m->slots == NULL)
        return;
    sl = m->slots[h & m->mask];
    if (sl != 0 && (uint32_t)(sl >> 32) == h)
        __builtin_prefetch(m->entries + ((size_t)(uint32_t)sl - 1) * m->entry_size);
}

static inline void look_ahead(struct agg_partial *p, const struct ocp_batch *b,
                              size_t r, struct ahead *ring)
{
    struct dict_map *maps = p->maps[OCP_TABLE_POD];
    const struct ocp_column *col = b->col;
    struct ahead *a = &ring[r % RING];
    struct pod_key key;
    uint32_t ns, node, lab, pod, rid;

    a->valid = 0;
    if (r >= b->nrows || col[POD_INTERVAL_START].ts[r] == OCP_TS_NULL)
        return;
    ns = peek_id(&maps[POD_NAMESPACE], &col[POD_NAMESPACE], r);
    node = peek_id(&maps[POD_NODE], &col[POD_NODE], r);
    lab = peek_id(&maps[POD_LABELS], &col[POD_LABELS], r);
    if (ns == DICT_UNMAPPED || node == DICT_UNMAPPED || lab == DICT_UNMAPPED ||
        node == POOL_NULL)
        return;
    if (!(col[POD_LABELS].present && col[POD_LABELS].str.ids != NULL &&
          col[POD_LABELS].str.ids[r] != OCP_NULL_ID))
        return;
    key.day = agg_day_of(col[POD_INTERVAL_START].ts[r]);
    key.ns = ns;
    key.node = node;
    key.labels = lab & 0x1fffffffu;
    a->key = key;
    a->hpod = hmap_hash(&key, sizeof key);
    hmap_prefetch(&p->pods, a->hpod);
    a->hvn = 0;
    if (p->settings.track_volume_nodes) {
        struct vn_key vk;
        pod = peek_id(&maps[POD_POD], &col[POD_POD], r);
        rid = peek_id(&maps[POD_RESOURCE_ID], &col[POD_RESOURCE_ID], r);
        if (pod != DICT_UNMAPPED && rid != DICT_UNMAPPED) {
            vk.day = key.day;
            vk.ns = ns;
            vk.pod = pod;
            vk.node = node;
            vk.resource_id = rid;
            a->vk = vk;
            a->hvn = hmap_hash(&vk, sizeof vk);
            hmap_prefetch(&p->chunk_vnodes, a->hvn);
        }
    }
    a->valid = 1;
}

static int add_pods(struct agg_partial *p, const struct ocp_batch *b,
                    struct ocp_error *err)
{
    struct dict_map *maps = p->maps[OCP_TABLE_POD];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[POD_INTERVAL_START].ts;
    struct pod_key last_key;
    struct cap_key last_cap;
    struct vn_key last_vn;
    size_t last_index = SIZE_MAX, last_cap_index = SIZE_MAX;
    uint32_t last_node = POOL_NULL, last_role = POOL_NULL;
    int have_vn = 0, overflow = 0;
    size_t r;
    int created, rc;

    /* Rows come clustered (a node's pods within an hour, a pod's hours),
     * so remembering the last key of each table skips most lookups. */
    memset(&last_key, 0, sizeof last_key);
    memset(&last_cap, 0, sizeof last_cap);
    memset(&last_vn, 0, sizeof last_vn);
    if (ts == NULL)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start",
                             "column is missing");
    struct ahead ring[RING];
    memset(ring, 0, sizeof ring);
    for (r = 0; r < PREFETCH && r < b->nrows; r++)
        look_ahead(p, b, r, ring);
    for (r = 0; r < b->nrows; r++) {
        struct pod_key key;
        struct cap_key ck;
        struct cap_val *cv;
        struct pod_val *pv;
        uint32_t node, rid, canon;
        uint8_t lflags;
        double usage_cpu, request_cpu, eff_cpu, usage_mem, request_mem,
            eff_mem;
        size_t e;
        int32_t day;

        look_ahead(p, b, r + PREFETCH, ring);
        {
            const struct ahead *a = &ring[(r + PREFETCH / 2) % RING];
            if (r + PREFETCH / 2 < b->nrows && a->valid) {
                prefetch_slot_entry(&p->pods, a->hpod);
                if (a->hvn != 0)
                    prefetch_slot_entry(&p->chunk_vnodes, a->hvn);
            }
        }
        if (!in_run(p, ts[r], &day)) {
            p->stats.rows_out_of_range++;
            continue;
        }
        node = str_at(p, &maps[POD_NODE], &col[POD_NODE], r);

        /* Capacity counts every node value, the empty and NULL one too. */
        ck.node = node;
        ck.zero = 0;
        ck.ts = ts[r];
        if (last_cap_index != SIZE_MAX && ck.node == last_cap.node &&
            ck.ts == last_cap.ts) {
            e = last_cap_index;
        } else {
            e = hmap_upsert(&p->caps, &ck, &created);
            if (e == SIZE_MAX)
                return oom(err);
            last_cap = ck;
            last_cap_index = e;
        }
        cv = hmap_value(&p->caps, e);
        overflow |= max_into(&cv->cpu_sec, &cv->flags, HAS_A,
                             num_at(&col[POD_CAP_CPU_SEC], r));
        overflow |= max_into(&cv->mem_sec, &cv->flags, HAS_B,
                             num_at(&col[POD_CAP_MEM_SEC], r));
        if (__builtin_expect(overflow, 0))
            return range_error(p, b, r, day,
                               str_at(p, &maps[POD_NAMESPACE], &col[POD_NAMESPACE], r),
                               node, err);

        if (node == POOL_NULL || pool_len(&p->pool, node) == 0) {
            p->stats.rows_no_node++;
            continue;
        }
        rc = label_at(p, &maps[POD_LABELS], &col[POD_LABELS], r, "pod_labels",
                      &canon, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        key.day = day;
        key.ns = str_at(p, &maps[POD_NAMESPACE], &col[POD_NAMESPACE], r);
        key.node = node;
        key.labels = canon;
        if (last_index != SIZE_MAX && memcmp(&key, &last_key, sizeof key) == 0) {
            e = last_index;
        } else {
            const struct ahead *a = &ring[r % RING];
            e = a->valid && memcmp(&a->key, &key, sizeof key) == 0
                    ? hmap_upsert_hashed(&p->pods, &key, a->hpod, &created)
                    : hmap_upsert(&p->pods, &key, &created);
            if (e == SIZE_MAX)
                return oom(err);
            last_key = key;
            last_index = e;
        }
        pv = hmap_value(&p->pods, e);
        usage_cpu = num_at(&col[POD_USAGE_CPU], r);
        request_cpu = num_at(&col[POD_REQUEST_CPU], r);
        usage_mem = num_at(&col[POD_USAGE_MEM], r);
        request_mem = num_at(&col[POD_REQUEST_MEM], r);
        eff_cpu = num_at(&col[POD_EFF_CPU], r);
        if (isnan(eff_cpu))
            eff_cpu = greatest(usage_cpu, request_cpu);
        eff_mem = num_at(&col[POD_EFF_MEM], r);
        if (isnan(eff_mem))
            eff_mem = greatest(usage_mem, request_mem);
        overflow |= xsum_add(&pv->sum[PS_USAGE_CPU], usage_cpu);
        overflow |= xsum_add(&pv->sum[PS_REQUEST_CPU], request_cpu);
        overflow |= xsum_add(&pv->sum[PS_EFFECTIVE_CPU], eff_cpu);
        overflow |= xsum_add(&pv->sum[PS_LIMIT_CPU], num_at(&col[POD_LIMIT_CPU], r));
        overflow |= xsum_add(&pv->sum[PS_USAGE_MEM], usage_mem);
        overflow |= xsum_add(&pv->sum[PS_REQUEST_MEM], request_mem);
        overflow |= xsum_add(&pv->sum[PS_EFFECTIVE_MEM], eff_mem);
        overflow |= xsum_add(&pv->sum[PS_LIMIT_MEM], num_at(&col[POD_LIMIT_MEM], r));
        overflow |= max_into(&pv->cap_cores, &pv->flags, HAS_A,
                             num_at(&col[POD_CAP_CPU_CORES], r));
        overflow |= max_into(&pv->cap_mem_bytes, &pv->flags, HAS_B,
                             num_at(&col[POD_CAP_MEM_BYTES], r));
        if (__builtin_expect(overflow, 0))
            return range_error(p, b, r, day, key.ns, node, err);
        rid = str_at(p, &maps[POD_RESOURCE_ID], &col[POD_RESOURCE_ID], r);
        if (rid != pv->resource_id && pool_cmp(&p->pool, rid, pv->resource_id) > 0)
            pv->resource_id = rid;

        /* Node facts for roles; a repeat of the last node and role adds
         * nothing unless the namespace is the API server's. */
        {
            struct node_key nk;
            struct node_val *nv;
            uint32_t role = str_at(p, &maps[POD_NODE_ROLE], &col[POD_NODE_ROLE], r);
            if (node == last_node && role == last_role && key.ns != p->apiserver_ns)
                goto node_done;
            last_node = node;
            last_role = role;
            nk.node = node;
            nk.zero = 0;
            e = hmap_upsert(&p->nodes, &nk, &created);
            if (e == SIZE_MAX)
                return oom(err);
            nv = hmap_value(&p->nodes, e);
            if (role != POOL_NULL && pool_len(&p->pool, role) > 0 &&
                role != nv->role && pool_cmp(&p->pool, role, nv->role) > 0)
                nv->role = role;
            if (key.ns == p->apiserver_ns)
                nv->flags |= NODE_APISERVER;
        }
    node_done:
        if (p->settings.track_volume_nodes) {
            struct vn_key vk;
            vk.day = day;
            vk.ns = key.ns;
            vk.pod = str_at(p, &maps[POD_POD], &col[POD_POD], r);
            vk.node = node;
            vk.resource_id = rid;
            if (!have_vn || memcmp(&vk, &last_vn, sizeof vk) != 0) {
                const struct ahead *a = &ring[r % RING];
                size_t ve = a->valid && a->hvn != 0 && memcmp(&a->vk, &vk, sizeof vk) == 0
                                ? hmap_upsert_hashed(&p->chunk_vnodes, &vk, a->hvn, &created)
                                : hmap_upsert(&p->chunk_vnodes, &vk, &created);
                if (ve == SIZE_MAX)
                    return oom(err);
                last_vn = vk;
                have_vn = 1;
            }
        }
    }
    /* A pod appears in many rows of a chunk: its volume nodes were
     * collected in a small table that stays in cache, and only the
     * distinct ones reach the partial's large table. */
    for (r = 0; r < p->chunk_vnodes.count; r++)
        if (hmap_upsert(&p->vnodes, hmap_entry(&p->chunk_vnodes, r), &created) == SIZE_MAX)
            return oom(err);
    hmap_clear(&p->chunk_vnodes);
    return p->intern_failed ? pool_fail_error(&p->pool, err, "pod usage") : OCP_OK;
}

/* Node or namespace label rows: keep the latest set per (day, id). */
static int add_label_rows(struct agg_partial *p, const struct ocp_batch *b,
                          struct hmap *table, int id_col, int labels_col,
                          const char *labels_name, int is_node,
                          struct ocp_error *err)
{
    struct dict_map *maps = p->maps[b->table];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[0].ts;
    size_t r;
    int created, rc;

    if (ts == NULL)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start",
                             "column is missing");
    for (r = 0; r < b->nrows; r++) {
        struct lab_key key;
        struct lab_val *v;
        uint32_t canon;
        uint8_t lflags;
        size_t e;
        int32_t day;

        if (!in_run(p, ts[r], &day)) {
            p->stats.rows_out_of_range++;
            continue;
        }
        key.day = day;
        key.id = str_at(p, &maps[id_col], &col[id_col], r);
        rc = label_at(p, &maps[labels_col], &col[labels_col], r, labels_name,
                      &canon, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        e = hmap_upsert(table, &key, &created);
        if (e == SIZE_MAX)
            return oom(err);
        v = hmap_value(table, e);
        if (!v->set || ts[r] > v->ts ||
            (ts[r] == v->ts && pool_cmp(&p->pool, canon, v->labels) > 0)) {
            v->ts = ts[r];
            v->labels = canon;
            v->set = 1;
        }
        if (is_node && (lflags & LBL_INFRA)) {
            struct node_key nk;
            nk.node = key.id;
            nk.zero = 0;
            e = hmap_upsert(&p->nodes, &nk, &created);
            if (e == SIZE_MAX)
                return oom(err);
            ((struct node_val *)hmap_value(&p->nodes, e))->flags |= NODE_INFRA_LABEL;
        }
    }
    return OCP_OK;
}

static int add_storage(struct agg_partial *p, const struct ocp_batch *b,
                       struct ocp_error *err)
{
    struct dict_map *maps = p->maps[OCP_TABLE_STORAGE];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[STO_INTERVAL_START].ts;
    size_t r;
    int created, rc, overflow = 0;

    if (ts == NULL)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start",
                             "column is missing");
    for (r = 0; r < b->nrows; r++) {
        struct sto_key key;
        struct sto_val *v;
        uint8_t lflags;
        size_t e;
        int32_t day;

        if (!in_run(p, ts[r], &day)) {
            p->stats.rows_out_of_range++;
            continue;
        }
        key.day = day;
        key.ns = str_at(p, &maps[STO_NAMESPACE], &col[STO_NAMESPACE], r);
        key.pod = str_at(p, &maps[STO_POD], &col[STO_POD], r);
        key.pvc = str_at(p, &maps[STO_PVC], &col[STO_PVC], r);
        key.pv = str_at(p, &maps[STO_PV], &col[STO_PV], r);
        key.storageclass = str_at(p, &maps[STO_STORAGECLASS], &col[STO_STORAGECLASS], r);
        key.csi = str_at(p, &maps[STO_CSI_HANDLE], &col[STO_CSI_HANDLE], r);
        rc = label_at(p, &maps[STO_PV_LABELS], &col[STO_PV_LABELS], r,
                      "persistentvolume_labels", &key.pv_labels, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        rc = label_at(p, &maps[STO_PVC_LABELS], &col[STO_PVC_LABELS], r,
                      "persistentvolumeclaim_labels", &key.pvc_labels, &lflags,
                      err);
        if (rc != OCP_OK)
            return rc;
        e = hmap_upsert(&p->storage, &key, &created);
        if (e == SIZE_MAX)
            return oom(err);
        v = hmap_value(&p->storage, e);
        overflow |= xsum_add(&v->cap_byte_sec, num_at(&col[STO_CAP_BYTE_SEC], r));
        overflow |= xsum_add(&v->request_byte_sec, num_at(&col[STO_REQUEST_BYTE_SEC], r));
        overflow |= xsum_add(&v->usage_byte_sec, num_at(&col[STO_USAGE_BYTE_SEC], r));
        overflow |= max_into(&v->cap_bytes, &v->flags, HAS_A,
                             num_at(&col[STO_CAP_BYTES], r));
        if (__builtin_expect(overflow, 0))
            return range_error(p, b, r, day, key.ns, POOL_NULL, err);
    }
    return p->intern_failed ? pool_fail_error(&p->pool, err, "storage") : OCP_OK;
}

int agg_partial_add(struct agg_partial *p, const struct ocp_batch *b,
                    struct ocp_error *err)
{
    int rc;

    if (b->table < 0 || b->table >= OCP_TABLE_COUNT)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "unknown table %d", (int)b->table);
    rc = prepare_maps(p, b, err);
    if (rc != OCP_OK)
        return rc;
    p->stats.rows_read[b->table] += (int64_t)b->nrows;
    switch (b->table) {
    case OCP_TABLE_POD:
        return add_pods(p, b, err);
    case OCP_TABLE_STORAGE:
        return add_storage(p, b, err);
    case OCP_TABLE_NODE_LABELS:
        return add_label_rows(p, b, &p->node_labels, NL_NODE, NL_LABELS,
                              "node_labels", 1, err);
    case OCP_TABLE_NAMESPACE_LABELS:
        return add_label_rows(p, b, &p->ns_labels, NSL_NAMESPACE, NSL_LABELS,
                              "namespace_labels", 0, err);
    default:
        return OCP_ERR_SOFTWARE;
    }
}

int agg_merge_pod_val(const struct agg_pool *pool, struct pod_val *dst,
                      const struct pod_val *src)
{
    int i, overflow = 0;
    for (i = 0; i < PS_COUNT; i++)
        overflow |= xsum_merge(&dst->sum[i], &src->sum[i]);
    if (src->flags & HAS_A)
        max_into(&dst->cap_cores, &dst->flags, HAS_A, src->cap_cores);
    if (src->flags & HAS_B)
        max_into(&dst->cap_mem_bytes, &dst->flags, HAS_B, src->cap_mem_bytes);
    if (pool_cmp(pool, src->resource_id, dst->resource_id) > 0)
        dst->resource_id = src->resource_id;
    return overflow;
}

void agg_merge_cap_val(struct cap_val *dst, const struct cap_val *src)
{
    if (src->flags & HAS_A)
        max_into(&dst->cpu_sec, &dst->flags, HAS_A, src->cpu_sec);
    if (src->flags & HAS_B)
        max_into(&dst->mem_sec, &dst->flags, HAS_B, src->mem_sec);
}

void agg_merge_lab_val(const struct agg_pool *pool, struct lab_val *dst,
                       const struct lab_val *src)
{
    if (!src->set)
        return;
    if (!dst->set || src->ts > dst->ts ||
        (src->ts == dst->ts && pool_cmp(pool, src->labels, dst->labels) > 0)) {
        *dst = *src;
    }
}

void agg_merge_node_val(const struct agg_pool *pool, struct node_val *dst,
                        const struct node_val *src)
{
    if (pool_cmp(pool, src->role, dst->role) > 0)
        dst->role = src->role;
    dst->flags |= src->flags;
}

int agg_merge_sto_val(struct sto_val *dst, const struct sto_val *src)
{
    int overflow = xsum_merge(&dst->cap_byte_sec, &src->cap_byte_sec);
    overflow |= xsum_merge(&dst->request_byte_sec, &src->request_byte_sec);
    overflow |= xsum_merge(&dst->usage_byte_sec, &src->usage_byte_sec);
    if (src->flags & HAS_A)
        max_into(&dst->cap_bytes, &dst->flags, HAS_A, src->cap_bytes);
    return overflow;
}

void agg_partial_stats(const struct agg_partial *p, struct agg_stats *out)
{
    *out = p->stats;
    out->pod_groups = (int64_t)p->pods.count;
    out->storage_groups = (int64_t)p->storage.count;
    out->capacity_entries = (int64_t)p->caps.count;
    out->distinct_label_texts = (int64_t)p->raw_resolved;
    out->bytes = (int64_t)(hmap_bytes(&p->pods) + hmap_bytes(&p->caps) +
                           hmap_bytes(&p->node_labels) +
                           hmap_bytes(&p->ns_labels) + hmap_bytes(&p->nodes) +
                           hmap_bytes(&p->vnodes) + hmap_bytes(&p->storage) +
                           p->pool.bytes_cap + p->raw_labels.bytes_cap);
}

void agg_partial_count_days(const struct agg_partial *p, agg_day_filter keep,
                            void *ctx, int64_t *pod_groups,
                            int64_t *storage_groups)
{
    size_t e;
    *pod_groups = *storage_groups = 0;
    for (e = 0; e < p->pods.count; e++)
        if (keep(((const struct pod_key *)hmap_entry(&p->pods, e))->day, ctx))
            (*pod_groups)++;
    for (e = 0; e < p->storage.count; e++)
        if (keep(((const struct sto_key *)hmap_entry(&p->storage, e))->day, ctx))
            (*storage_groups)++;
}
