/* agg_finish_storage.c - the finish's storage rows: each storage group
 * once per node its pod ran on that day (the volume nodes), with request
 * and usage divided by the number of nodes the volume was seen on. */
#include "engine/agg_finish_internal.h"

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

int agg_fin_emit_storage(struct finisher *f, struct ocp_error *err)
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
            rc = agg_fin_merged_labels(f,
                                       node == POOL_NULL
                                           ? POOL_NULL
                                           : agg_fin_labels_of_day(&p->node_labels, k->day, node),
                                       agg_fin_labels_of_day(&p->ns_labels, k->day, k->ns),
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

    if (rpt_table_reserve(f->out, f->out->count + final.count) != 0) {
        rc = oom(err);
        goto cleanup;
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
        row->volume_labels = agg_fin_label_text(f, k->labels);
        if (row->volume_labels == NULL) {
            rc = oom(err);
            goto cleanup;
        }
        row->all_labels = row->volume_labels;
        agg_fin_label_csv(f, k->labels, row);
        row->num[RPT_PVC_CAP_GB] = (o->flags & HAS_A) ? o->cap_bytes * GIB_INV : NAN;
        row->num[RPT_PVC_CAP_GB_MONTHS] = xsum_value(&o->cap_byte_sec) / month_sec * GIB_INV;
        row->num[RPT_VOLUME_REQUEST_GB_MONTHS] =
            xsum_value(&o->request_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->num[RPT_PVC_USAGE_GB_MONTHS] =
            xsum_value(&o->usage_byte_sec) / (double)o->nodes / month_sec * GIB_INV;
        row->has_infra_cost = 1;
        agg_fin_set_cost_category(f, row, row->namespace_);
        if (agg_fin_set_uuid(f, row, NULL) != 0) {
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
