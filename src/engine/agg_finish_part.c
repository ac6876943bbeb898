/* agg_finish_part.c - a day's report rows cut into parts that follow each
 * other in the report, so that several ranks can finish one day.
 *
 * The report sorts a day's rows by source (pod rows before storage rows),
 * then namespace, node and the columns after (rpt_table_sort).  A cut
 * between two namespaces of the pod rows therefore leaves every part a
 * run of the day's sorted rows, and the storage rows go with the last
 * part.  Each namespace weighs its pod groups of the day (about one row
 * each), the two unallocated namespaces half the day's nodes with
 * capacity each, the storage rows their groups; part k takes the
 * namespaces whose middle lies in the k-th of nparts equal shares of the
 * whole weight.  Only the day's groups decide, so every rank that holds
 * them cuts the day alike and the parts' texts, one after the other, are
 * the day's text.
 */
#include "engine/agg_finish_internal.h"

#include <stdlib.h>
#include <string.h>

enum { CUT_POOL, CUT_PLATFORM, CUT_WORKER };

struct cut_item {
    const char *ns; /* NULL: the NULL namespace, first in the report */
    int64_t weight;
    size_t e; /* the namespace's f->ns_part entry (CUT_POOL) */
    int kind;
    int32_t part;
};

/* The report's namespace order (rpt_table_sort): NULL first, then bytes. */
static int cmp_ns(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_item(const void *a, const void *b)
{
    const struct cut_item *x = a, *y = b;
    int c = cmp_ns(x->ns, y->ns);
    /* Equal names (a namespace called like an unallocated one) get one
     * part below; kind only makes the order total. */
    return c != 0 ? c : (x->kind > y->kind) - (x->kind < y->kind);
}

int agg_fin_cut(struct finisher *f, struct ocp_error *err)
{
    const struct agg_partial *p = f->p;
    const size_t *list, *slist;
    size_t j, ni = 0, n = entries_of(f, AGG_IX_PODS, &p->pods, &list);
    size_t sn = entries_of(f, AGG_IX_STORAGE, &p->storage, &slist);
    size_t at = SIZE_MAX;
    uint32_t last = POOL_NULL;
    struct cut_item *items;
    int64_t total = (int64_t)sn, before = 0;
    int created;

    /* Pod groups per namespace (they come node by node, so a namespace
     * repeats often but not in a row). */
    for (j = 0; j < n; j++) {
        const struct pod_key *k = hmap_entry(&p->pods, entry_at(list, j));
        if (at == SIZE_MAX || k->ns != last) {
            struct ns_part_key key;
            key.ns = k->ns;
            key.zero = 0;
            at = hmap_upsert(&f->ns_part, &key, &created);
            if (at == SIZE_MAX)
                return oom(err);
            last = k->ns;
        }
        ((struct ns_part_val *)hmap_value(&f->ns_part, at))->weight++;
    }
    items = malloc((f->ns_part.count + 2) * sizeof *items);
    if (items == NULL)
        return oom(err);
    for (j = 0; j < f->ns_part.count; j++, ni++) {
        const struct ns_part_key *k = hmap_entry(&f->ns_part, j);
        items[ni].ns = str_of(f, k->ns);
        items[ni].weight = ((const struct ns_part_val *)hmap_value(&f->ns_part, j))->weight;
        items[ni].e = j;
        items[ni].kind = CUT_POOL;
    }
    items[ni].ns = "Platform unallocated";
    items[ni].weight = (int64_t)(f->dn_caps.count / 2);
    items[ni].kind = CUT_PLATFORM;
    items[ni + 1].ns = "Worker unallocated";
    items[ni + 1].weight = (int64_t)(f->dn_caps.count - f->dn_caps.count / 2);
    items[ni + 1].kind = CUT_WORKER;
    ni += 2;
    qsort(items, ni, sizeof *items, cmp_item);
    for (j = 0; j < ni; j++)
        total += items[j].weight;
    for (j = 0; j < ni; j++) {
        /* The part of the item's middle, 2 * before + weight halves. */
        int64_t mid2 = 2 * before + items[j].weight;
        int32_t part = total > 0 ? (int32_t)(mid2 * f->nparts / (2 * total)) : 0;
        if (part > f->nparts - 1)
            part = f->nparts - 1;
        if (j > 0 && (part < items[j - 1].part || cmp_ns(items[j - 1].ns, items[j].ns) == 0))
            part = items[j - 1].part;
        items[j].part = part;
        before += items[j].weight;
        if (items[j].kind == CUT_PLATFORM)
            f->platform_part = part;
        else if (items[j].kind == CUT_WORKER)
            f->worker_part = part;
        else
            ((struct ns_part_val *)hmap_value(&f->ns_part, items[j].e))->part = part;
    }
    free(items);
    return OCP_OK;
}
