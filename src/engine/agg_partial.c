/* agg_partial.c - a partial's life (create, reset for the next window,
 * destroy), its label texts resolved to canonical ids, the merges of its
 * values and its counts.  Adding a batch's rows is agg_add.c. */
#include "engine/agg_internal.h"
#include "ocpagg/text.h"

#include <stdlib.h>
#include <string.h>

static const char apiserver_namespace[] = "openshift-kube-apiserver";

/* The run's days, within the days a report can spell: a row outside
 * those then takes the slow path, where it is refused (agg_add_day_error). */
static void clamp_days(struct agg_settings *s)
{
    if (s->start_day < TXT_DAY_MIN)
        s->start_day = TXT_DAY_MIN;
    if (s->end_day > TXT_DAY_MAX)
        s->end_day = TXT_DAY_MAX;
}

int agg_partial_create(const struct agg_settings *settings, struct agg_partial **out,
                       struct ocp_error *err)
{
    struct agg_partial *p = calloc(1, sizeof *p);

    *out = NULL;
    if (p == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    p->settings = *settings;
    clamp_days(&p->settings);
    pool_init(&p->pool);
    pool_init(&p->raw_labels);
    hmap_init_lines(&p->pods, sizeof(struct pod_key), sizeof(struct pod_val));
    hmap_init(&p->caps, sizeof(struct cap_key), sizeof(struct cap_val));
    hmap_init(&p->node_labels, sizeof(struct lab_key), sizeof(struct lab_val));
    hmap_init(&p->ns_labels, sizeof(struct lab_key), sizeof(struct lab_val));
    hmap_init(&p->nodes, sizeof(struct node_key), sizeof(struct node_val));
    hmap_init(&p->vnodes, sizeof(struct vn_key), 0);
    hmap_init(&p->storage, sizeof(struct sto_key), sizeof(struct sto_val));
    lbl_set_init(&p->scratch);
    p->apiserver_ns = pool_intern(&p->pool, apiserver_namespace, sizeof apiserver_namespace - 1);
    if (p->apiserver_ns == POOL_NULL) {
        agg_partial_destroy(p);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
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
    free(p->vn_log);
    free(p->vn_order);
    free(p->memo);
    free(p->cap_acc);
    free(p->cap_live);
    free(p->nan_buf);
    hmap_release(&p->storage);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        for (c = 0; c < OCP_MAX_COLUMNS; c++)
            free(p->maps[t][c].ids);
    lbl_set_release(&p->scratch);
    free(p);
}

void agg_memo_forget(struct pod_memo *m, uint32_t from, uint32_t to)
{
    uint32_t i;
    for (i = from; i < to; i++) {
        m[i].entry = UINT32_MAX;
        m[i].day = 0;
        m[i].vn_entry = UINT32_MAX;
        m[i].vn_rid = 0;
    }
}

int agg_partial_reset(struct agg_partial *p, const struct agg_settings *settings,
                      struct ocp_error *err)
{
    int t, c;

    /* Strings last one window.  Kept for the next, they let it find its
     * names and the finish keep its label caches (keyed by pool ids), but
     * names churn (on the bench data a fifth of the pods are replaced
     * every day), so the pool, every array indexed by string id and the
     * finish's caches grew window after window, and with them the peak:
     * some 80 MiB per rank by the third window at 2x1.  Built
     * again, they cost each window's first days a little time (the month
     * at 2x1: finish about +0.1 s).  The memory stays for the next
     * window's strings. */
    pool_clear(&p->pool);
    pool_clear(&p->raw_labels);
    p->raw_resolved = 0;
    p->raw_empty = 0;
    p->pool_gen++;
    p->settings = *settings;
    clamp_days(&p->settings);
    hmap_clear(&p->pods);
    hmap_clear(&p->caps);
    hmap_clear(&p->node_labels);
    hmap_clear(&p->ns_labels);
    hmap_clear(&p->nodes);
    hmap_clear(&p->vnodes);
    p->vn_log_n = 0;
    hmap_clear(&p->storage);
    /* Memos and id maps name pool ids of the strings just forgotten. */
    agg_memo_forget(p->memo, 0, p->memo_cap);
    if (p->cap_acc_cap > 0)
        memset(p->cap_acc, 0, (size_t)p->cap_acc_cap * sizeof *p->cap_acc);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        for (c = 0; c < OCP_MAX_COLUMNS; c++) {
            /* count 0: the next dictionary is mapped afresh whatever its
             * serial (dict_map_prepare keeps nothing of an empty map). */
            p->maps[t][c].count = 0;
            p->maps[t][c].serial = 0;
        }
    memset(&p->stats, 0, sizeof p->stats);
    lbl_set_clear(&p->scratch);
    p->intern_failed = 0;
    p->apiserver_ns = pool_intern(&p->pool, apiserver_namespace, sizeof apiserver_namespace - 1);
    if (p->apiserver_ns == POOL_NULL)
        return agg_oom(err);
    return OCP_OK;
}

int agg_resolve_label(struct agg_partial *p, const char *text, size_t len, uint32_t *canon,
                      uint8_t *flags, struct ocp_error *err)
{
    uint32_t raw;
    const struct lbl_pair *role;
    uint8_t f = 0;
    char *canonical;
    size_t clen;
    uint32_t cid;
    int rc;

    /* A row without labels (NULL) has no dictionary id to keep its answer
     * with, so it comes here every time (5 % of the rows of the bench
     * sets): the empty text's answer is kept instead of interned again. */
    if (len == 0 && p->raw_empty != 0) {
        *canon = p->raw_canon[p->raw_empty - 1];
        *flags = p->raw_flags[p->raw_empty - 1];
        return OCP_OK;
    }
    raw = pool_intern(&p->raw_labels, text, len);
    if (raw == POOL_NULL)
        return pool_fail_error(&p->raw_labels, err, "labels");
    if (raw < p->raw_resolved) {
        if (len == 0)
            p->raw_empty = raw + 1;
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
            return agg_oom(err);
        p->raw_canon = nc;
        nf = realloc(p->raw_flags, ncap * sizeof *nf);
        if (nf == NULL)
            return agg_oom(err);
        p->raw_flags = nf;
        p->raw_cap = ncap;
    }
    rc = lbl_parse(text, len, &p->scratch, NULL);
    if (rc == OCP_ERR_OSERR)
        return agg_oom(err); /* never read as "malformed, empty set" */
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
        return agg_oom(err);
    cid = pool_intern(&p->pool, canonical, clen);
    free(canonical);
    if (cid == POOL_NULL)
        return pool_fail_error(&p->pool, err, "labels");
    /* Raw ids are dense and new ones arrive in order, so the resolved
     * prefix grows by exactly this id. */
    p->raw_canon[raw] = cid;
    p->raw_flags[raw] = f;
    p->raw_resolved = raw + 1;
    if (len == 0)
        p->raw_empty = raw + 1;
    *canon = cid;
    *flags = f;
    return OCP_OK;
}

int agg_merge_pod_val(const struct agg_pool *pool, struct pod_val *dst, const struct pod_val *src)
{
    int overflow = agg_pod_sums_merge(dst, src);
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

void agg_merge_lab_val(const struct agg_pool *pool, struct lab_val *dst, const struct lab_val *src)
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
    out->strings = p->pool.count > 0 ? (int64_t)p->pool.count - 1 : 0;
    out->bytes =
        (int64_t)(hmap_bytes(&p->pods) + hmap_bytes(&p->caps) + hmap_bytes(&p->node_labels) +
                  hmap_bytes(&p->ns_labels) + hmap_bytes(&p->nodes) + hmap_bytes(&p->vnodes) +
                  hmap_bytes(&p->storage) + p->pool.bytes_cap + p->raw_labels.bytes_cap);
}

void agg_partial_count_days(const struct agg_partial *p, agg_day_filter keep, void *ctx,
                            int64_t *pod_groups, int64_t *storage_groups)
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
