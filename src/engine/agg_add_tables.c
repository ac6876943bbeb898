/* agg_add_tables.c - adding a batch of the small tables' rows to a
 * partial: node and namespace label rows (the latest label set per day
 * and node or namespace) and storage rows (summed exactly per volume
 * group and day).  Apart from agg_add.c so the pod rows' hot loop keeps a
 * translation unit of its own; these loops share only its per-row string
 * and label lookups and its error messages (agg_add_internal.h). */
#include "engine/agg_add_internal.h"
#include "ocpagg/text.h"

#include <math.h>

static inline double num_at(const struct ocp_column *c, size_t r)
{
    return c->present && c->num != NULL ? c->num[r] : NAN;
}

/* The day of a row at ts when it lies in the run (returns 1); otherwise
 * (NULL or out of the run) the row is counted out of range and 0
 * returned; -1 (err filled) when no date text spells its day. */
static inline int row_day(struct agg_partial *p, int64_t ts, int32_t *day, struct ocp_error *err)
{
    if (ts != OCP_TS_NULL) {
        *day = agg_day_of(ts);
        if (*day >= p->settings.start_day && *day <= p->settings.end_day)
            return 1;
        if (*day < TXT_DAY_MIN || *day > TXT_DAY_MAX) {
            agg_add_day_error(ts, err);
            return -1;
        }
    }
    p->stats.rows_out_of_range++;
    return 0;
}

int agg_add_label_rows(struct agg_partial *p, const struct ocp_batch *b, struct hmap *table,
                       int id_col, int labels_col, const char *labels_name, int is_node,
                       struct ocp_error *err)
{
    struct dict_map *maps = p->maps[b->table];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[0].ts;
    size_t r;
    int created, rc;

    if (ts == NULL)
        return agg_add_no_interval(err);
    for (r = 0; r < b->nrows; r++) {
        struct lab_key key;
        struct lab_val *v;
        uint32_t canon;
        uint8_t lflags;
        size_t e;
        int32_t day;

        if ((rc = row_day(p, ts[r], &day, err)) <= 0) {
            if (rc < 0)
                return OCP_ERR_DATA;
            continue;
        }
        key.day = day;
        key.id = str_at(p, &maps[id_col], &col[id_col], r);
        rc = label_at(p, &maps[labels_col], &col[labels_col], r, labels_name, &canon, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        e = hmap_upsert(table, &key, &created);
        if (e == SIZE_MAX)
            return agg_oom(err);
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
                return agg_oom(err);
            ((struct node_val *)hmap_value(&p->nodes, e))->flags |= NODE_INFRA_LABEL;
        }
    }
    return OCP_OK;
}

int agg_add_storage(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err)
{
    struct dict_map *maps = p->maps[OCP_TABLE_STORAGE];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[STO_INTERVAL_START].ts;
    size_t r;
    int created, rc, overflow = 0;

    if (ts == NULL)
        return agg_add_no_interval(err);
    for (r = 0; r < b->nrows; r++) {
        struct sto_key key;
        struct sto_val *v;
        uint8_t lflags;
        size_t e;
        int32_t day;

        if ((rc = row_day(p, ts[r], &day, err)) <= 0) {
            if (rc < 0)
                return OCP_ERR_DATA;
            continue;
        }
        key.day = day;
        key.ns = str_at(p, &maps[STO_NAMESPACE], &col[STO_NAMESPACE], r);
        key.pod = str_at(p, &maps[STO_POD], &col[STO_POD], r);
        key.pvc = str_at(p, &maps[STO_PVC], &col[STO_PVC], r);
        key.pv = str_at(p, &maps[STO_PV], &col[STO_PV], r);
        key.storageclass = str_at(p, &maps[STO_STORAGECLASS], &col[STO_STORAGECLASS], r);
        key.csi = str_at(p, &maps[STO_CSI_HANDLE], &col[STO_CSI_HANDLE], r);
        rc = label_at(p, &maps[STO_PV_LABELS], &col[STO_PV_LABELS], r, "persistentvolume_labels",
                      &key.pv_labels, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        rc = label_at(p, &maps[STO_PVC_LABELS], &col[STO_PVC_LABELS], r,
                      "persistentvolumeclaim_labels", &key.pvc_labels, &lflags, err);
        if (rc != OCP_OK)
            return rc;
        e = hmap_upsert(&p->storage, &key, &created);
        if (e == SIZE_MAX)
            return agg_oom(err);
        v = hmap_value(&p->storage, e);
        overflow |= xsum_add(&v->cap_byte_sec, num_at(&col[STO_CAP_BYTE_SEC], r));
        overflow |= xsum_add(&v->request_byte_sec, num_at(&col[STO_REQUEST_BYTE_SEC], r));
        overflow |= xsum_add(&v->usage_byte_sec, num_at(&col[STO_USAGE_BYTE_SEC], r));
        overflow |= max_into(&v->cap_bytes, &v->flags, HAS_A, num_at(&col[STO_CAP_BYTES], r));
        if (__builtin_expect(overflow, 0))
            return agg_add_range_error(p, b, r, day, key.ns, POOL_NULL, err);
    }
    return p->intern_failed ? pool_fail_error(&p->pool, err, "storage") : OCP_OK;
}
