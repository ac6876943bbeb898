/* rpt_table.c - report rows: storage, order, number formatting. */
#include "ocpagg/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

const char *const rpt_column_names[] = {
    "uuid", "report_period_id", "cluster_id", "cluster_alias", "data_source",
    "usage_start", "usage_end", "namespace", "node", "resource_id",
    "pod_labels", "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours",
    "pod_effective_usage_cpu_core_hours", "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours", "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours", "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours", "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours", "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours", "persistentvolumeclaim",
    "persistentvolume", "storageclass", "volume_labels", "all_labels",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months", "source_uuid",
    "infrastructure_usage_cost", "csi_volume_handle", "cost_category_id",
    NULL};

const char rpt_infra_cost_text[] =
    "{\"cpu\": 0.000000000, \"memory\": 0.000000000, \"storage\": 0.000000000}";

void rpt_table_init(struct rpt_table *t)
{
    memset(t, 0, sizeof *t);
    ocp_arena_init(&t->strings, 0);
}

void rpt_table_release(struct rpt_table *t)
{
    free(t->rows);
    ocp_arena_release(&t->strings);
    memset(t, 0, sizeof *t);
}

struct rpt_row *rpt_table_add(struct rpt_table *t)
{
    struct rpt_row *r;
    int i;

    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        struct rpt_row *nr = realloc(t->rows, ncap * sizeof *nr);
        if (nr == NULL)
            return NULL;
        t->rows = nr;
        t->cap = ncap;
    }
    r = &t->rows[t->count++];
    memset(r, 0, sizeof *r);
    for (i = 0; i < RPT_NUM_COUNT; i++)
        r->num[i] = NAN;
    return r;
}

int rpt_table_reserve(struct rpt_table *t, size_t n)
{
    struct rpt_row *nr;

    if (n <= t->cap)
        return OCP_OK;
    nr = realloc(t->rows, n * sizeof *nr);
    if (nr == NULL)
        return OCP_ERR_OSERR;
    t->rows = nr;
    t->cap = n;
    return OCP_OK;
}

const char *rpt_table_strdup(struct rpt_table *t, const char *s, size_t len)
{
    char *p;
    if (s == NULL)
        return NULL;
    p = ocp_arena_alloc(&t->strings, len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void rpt_table_count_kinds(const struct rpt_table *t, int64_t *pod,
                           int64_t *unallocated, int64_t *storage)
{
    size_t i;
    for (i = 0; i < t->count; i++) {
        const struct rpt_row *r = &t->rows[i];
        if (r->source == RPT_SOURCE_STORAGE)
            (*storage)++;
        else if (r->has_infra_cost)
            (*pod)++;
        else
            (*unallocated)++;
    }
}

/* NULL first, then byte order (strcmp compares as unsigned char). */
static int cmp_str(const char *a, const char *b)
{
    if (a == b)
        return 0;
    if (a == NULL)
        return -1;
    if (b == NULL)
        return 1;
    return strcmp(a, b);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct rpt_row *a = pa, *b = pb;
    int c;

    if (a->usage_day != b->usage_day)
        return a->usage_day < b->usage_day ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1; /* "Pod" < "Storage" */
    if ((c = cmp_str(a->namespace_, b->namespace_)) != 0)
        return c;
    if ((c = cmp_str(a->node, b->node)) != 0)
        return c;
    if ((c = cmp_str(a->all_labels, b->all_labels)) != 0)
        return c;
    if ((c = cmp_str(a->resource_id, b->resource_id)) != 0)
        return c;
    if ((c = cmp_str(a->pvc, b->pvc)) != 0)
        return c;
    if ((c = cmp_str(a->pv, b->pv)) != 0)
        return c;
    if ((c = cmp_str(a->storageclass, b->storageclass)) != 0)
        return c;
    if ((c = cmp_str(a->csi_volume_handle, b->csi_volume_handle)) != 0)
        return c;
    if ((c = cmp_str(a->volume_labels, b->volume_labels)) != 0)
        return c;
    return strcmp(a->uuid, b->uuid);
}

/* The columns after node, in order (cmp_rows from all_labels on). */
static int cmp_rest(const struct rpt_row *a, const struct rpt_row *b)
{
    int c;

    if ((c = cmp_str(a->all_labels, b->all_labels)) != 0)
        return c;
    if ((c = cmp_str(a->resource_id, b->resource_id)) != 0)
        return c;
    if ((c = cmp_str(a->pvc, b->pvc)) != 0)
        return c;
    if ((c = cmp_str(a->pv, b->pv)) != 0)
        return c;
    if ((c = cmp_str(a->storageclass, b->storageclass)) != 0)
        return c;
    if ((c = cmp_str(a->csi_volume_handle, b->csi_volume_handle)) != 0)
        return c;
    if ((c = cmp_str(a->volume_labels, b->volume_labels)) != 0)
        return c;
    return strcmp(a->uuid, b->uuid);
}

/* A row's leading sort key as integers: namespace and node as ranks of
 * their strings among the table's distinct ones (ranked once), so most
 * comparisons are integer compares and strings are compared only between
 * rows of the same (day, source, namespace, node). */
struct sort_rec {
    int32_t day;
    uint32_t src, ns, node;
    uint32_t idx;
};

static int cmp_rec(const void *pa, const void *pb, void *ctx)
{
    const struct sort_rec *a = pa, *b = pb;
    const struct rpt_row *rows = ctx;

    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->ns != b->ns)
        return a->ns < b->ns ? -1 : 1;
    if (a->node != b->node)
        return a->node < b->node ? -1 : 1;
    return cmp_rest(&rows[a->idx], &rows[b->idx]);
}

/* Distinct string pointers and their ranks (open addressing on the
 * pointer value). */
struct rank_set {
    const char **keys;   /* slot -> pointer (NULL slot: empty; NULL string
                            is handled outside) */
    uint32_t *rank;      /* slot -> rank */
    size_t mask;
    const char **distinct;
    size_t ndistinct;
};

static size_t ptr_slot(const struct rank_set *r, const char *p)
{
    uintptr_t h = (uintptr_t)p;
    size_t i;
    h ^= h >> 17;
    h *= (uintptr_t)0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    for (i = (size_t)h & r->mask; r->keys[i] != NULL && r->keys[i] != p;
         i = (i + 1) & r->mask)
        ;
    return i;
}

static int cmp_ptr_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Ranks the distinct non-NULL strings among n pointers; NULL ranks 0,
 * strings from 1 in byte order (equal strings share a rank). */
static int rank_build(struct rank_set *r, const char *const *ptrs, size_t n)
{
    size_t cap = 16, i, k;
    uint32_t rank = 0;

    while (cap < 2 * n + 2)
        cap *= 2;
    memset(r, 0, sizeof *r);
    r->keys = calloc(cap, sizeof *r->keys);
    r->rank = malloc(cap * sizeof *r->rank);
    r->distinct = malloc((n + 1) * sizeof *r->distinct);
    if (r->keys == NULL || r->rank == NULL || r->distinct == NULL)
        return -1;
    r->mask = cap - 1;
    for (i = 0; i < n; i++) {
        size_t sl;
        if (ptrs[i] == NULL)
            continue;
        sl = ptr_slot(r, ptrs[i]);
        if (r->keys[sl] == NULL) {
            r->keys[sl] = ptrs[i];
            r->distinct[r->ndistinct++] = ptrs[i];
        }
    }
    qsort(r->distinct, r->ndistinct, sizeof *r->distinct, cmp_ptr_str);
    for (k = 0; k < r->ndistinct; k++) {
        if (k == 0 || strcmp(r->distinct[k - 1], r->distinct[k]) != 0)
            rank++;
        r->rank[ptr_slot(r, r->distinct[k])] = rank;
    }
    return 0;
}

static uint32_t rank_of(const struct rank_set *r, const char *p)
{
    return p == NULL ? 0 : r->rank[ptr_slot(r, p)];
}

static void rank_free(struct rank_set *r)
{
    free(r->keys);
    free(r->rank);
    free(r->distinct);
}

void rpt_table_sort(struct rpt_table *t)
{
    struct rank_set ns, node;
    struct sort_rec *rec = NULL;
    struct rpt_row *sorted = NULL;
    const char **ptrs = NULL;
    size_t i, n = t->count;

    if (n <= 1)
        return;
    memset(&ns, 0, sizeof ns);
    memset(&node, 0, sizeof node);
    ptrs = malloc(n * sizeof *ptrs);
    rec = malloc(n * sizeof *rec);
    sorted = malloc(n * sizeof *sorted);
    if (ptrs == NULL || rec == NULL || sorted == NULL)
        goto plain;
    for (i = 0; i < n; i++)
        ptrs[i] = t->rows[i].namespace_;
    if (rank_build(&ns, ptrs, n) != 0)
        goto plain;
    for (i = 0; i < n; i++)
        ptrs[i] = t->rows[i].node;
    if (rank_build(&node, ptrs, n) != 0)
        goto plain;
    for (i = 0; i < n; i++) {
        const struct rpt_row *r = &t->rows[i];
        rec[i].day = r->usage_day;
        rec[i].src = (uint32_t)r->source;
        rec[i].ns = rank_of(&ns, r->namespace_);
        rec[i].node = rank_of(&node, r->node);
        rec[i].idx = (uint32_t)i;
    }
    if (n > UINT32_MAX)
        goto plain;
    qsort_r(rec, n, sizeof *rec, cmp_rec, t->rows);
    for (i = 0; i < n; i++)
        sorted[i] = t->rows[rec[i].idx];
    free(t->rows);
    t->rows = sorted;
    t->cap = n;
    sorted = NULL;
    goto done;
plain:
    /* Out of memory for the keys: the plain sort gives the same order. */
    qsort(t->rows, n, sizeof *t->rows, cmp_rows);
done:
    rank_free(&ns);
    rank_free(&node);
    free(ptrs);
    free(rec);
    free(sorted);
}
