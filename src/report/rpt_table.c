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

void rpt_table_sort(struct rpt_table *t)
{
    if (t->count > 1)
        qsort(t->rows, t->count, sizeof *t->rows, cmp_rows);
}
