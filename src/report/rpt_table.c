/* rpt_table.c - report rows: storage, order, number formatting. */
#include "ocpagg/mem.h"
#include "ocpagg/report.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rpt_column_names[] = {"uuid",
                                        "report_period_id",
                                        "cluster_id",
                                        "cluster_alias",
                                        "data_source",
                                        "usage_start",
                                        "usage_end",
                                        "namespace",
                                        "node",
                                        "resource_id",
                                        "pod_labels",
                                        "pod_usage_cpu_core_hours",
                                        "pod_request_cpu_core_hours",
                                        "pod_effective_usage_cpu_core_hours",
                                        "pod_limit_cpu_core_hours",
                                        "pod_usage_memory_gigabyte_hours",
                                        "pod_request_memory_gigabyte_hours",
                                        "pod_effective_usage_memory_gigabyte_hours",
                                        "pod_limit_memory_gigabyte_hours",
                                        "node_capacity_cpu_cores",
                                        "node_capacity_cpu_core_hours",
                                        "node_capacity_memory_gigabytes",
                                        "node_capacity_memory_gigabyte_hours",
                                        "cluster_capacity_cpu_core_hours",
                                        "cluster_capacity_memory_gigabyte_hours",
                                        "persistentvolumeclaim",
                                        "persistentvolume",
                                        "storageclass",
                                        "volume_labels",
                                        "all_labels",
                                        "persistentvolumeclaim_capacity_gigabyte",
                                        "persistentvolumeclaim_capacity_gigabyte_months",
                                        "volume_request_storage_gigabyte_months",
                                        "persistentvolumeclaim_usage_gigabyte_months",
                                        "source_uuid",
                                        "infrastructure_usage_cost",
                                        "csi_volume_handle",
                                        "cost_category_id",
                                        NULL};

/* The numeric columns lie in two runs of rpt_column_names: the pod, node
 * and cluster figures from pod_usage_cpu_core_hours, the volume figures
 * from persistentvolumeclaim_capacity_gigabyte. */
#define RPT_NUM_FIRST_COLUMN 11
#define RPT_NUM_VOLUME_COLUMN 30

const char *rpt_num_column_name(enum rpt_num n)
{
    return rpt_column_names[n < RPT_PVC_CAP_GB ? RPT_NUM_FIRST_COLUMN + (int)n
                                               : RPT_NUM_VOLUME_COLUMN + (int)(n - RPT_PVC_CAP_GB)];
}

const char rpt_infra_cost_text[] =
    "{\"cpu\": 0.000000000, \"memory\": 0.000000000, \"storage\": 0.000000000}";

void rpt_table_init(struct rpt_table *t)
{
    memset(t, 0, sizeof *t);
    ocp_arena_init(&t->strings, 0);
}

void rpt_table_clear(struct rpt_table *t)
{
    t->count = 0;
    ocp_arena_reset(&t->strings);
}

void rpt_table_release(struct rpt_table *t)
{
    free(t->rows);
    free(t->sort_room);
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
        /* The sort moves rows at random (mem.h). */
        ocp_mem_advise_huge(nr, ncap * sizeof *nr);
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
    ocp_mem_advise_huge(nr, n * sizeof *nr);
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

void rpt_table_count_kinds(const struct rpt_table *t, int64_t *pod, int64_t *unallocated,
                           int64_t *storage)
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

/* The report order (qsort): day, source, namespace, node, then the rest. */
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
    return cmp_rest(a, b);
}

/* The sort's leading key is integers: namespace and node as ranks of
 * their strings among the table's distinct ones (ranked once), so strings
 * are compared only between rows of the same (day, source, namespace,
 * node).  Distinct string pointers and their ranks (open addressing on the
 * pointer value). */
struct rank_set {
    const char **keys; /* slot -> pointer (NULL slot: empty; NULL string
                          is handled outside) */
    uint32_t *rank;    /* slot -> rank */
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
    for (i = (size_t)h & r->mask; r->keys[i] != NULL && r->keys[i] != p; i = (i + 1) & r->mask)
        ;
    return i;
}

static int cmp_ptr_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Slots of a rank set over n pointers (a power of two above 2n + 1). */
static size_t rank_slots(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    return cap;
}

/* Bytes of room rank_build needs for n pointers. */
static size_t rank_room(size_t n)
{
    return rank_slots(n) * (sizeof(const char *) + sizeof(uint32_t)) +
           (n + 1) * sizeof(const char *);
}

/* Ranks the distinct non-NULL strings among n pointers; NULL ranks 0,
 * strings from 1 in byte order (equal strings share a rank).  The set
 * lives in room (rank_room(n) bytes, pointer-aligned). */
static void rank_build(struct rank_set *r, const char *const *ptrs, size_t n, unsigned char *room)
{
    size_t cap = rank_slots(n), i, k;
    uint32_t rank = 0;

    memset(r, 0, sizeof *r);
    r->keys = (const char **)(void *)room;
    r->distinct = r->keys + cap;
    r->rank = (uint32_t *)(void *)(r->distinct + n + 1);
    memset(r->keys, 0, cap * sizeof *r->keys);
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
}

static uint32_t rank_of(const struct rank_set *r, const char *p)
{
    return p == NULL ? 0 : r->rank[ptr_slot(r, p)];
}

/* Bits needed for values 0 .. v. */
static unsigned bits_for(uint64_t v)
{
    unsigned b = 0;
    while (b < 64 && (v >> b) != 0)
        b++;
    return b;
}

/* A row's leading key packed into one integer, and its index: sorted by
 * key with a radix sort (two passes over 11-bit digits cover a day's
 * table), rows of equal key by cmp_rest. */
struct key_rec {
    uint64_t key;
    uint32_t idx;
};

/* A row of one leading key on its way through its group's sort, with the
 * first 16 bytes of all_labels as two big-endian numbers, zero-padded
 * (which orders as strcmp does, no string holding a NUL): most pairs are
 * decided by them without touching the rows. */
struct group_rec {
    uint64_t p0, p1;
    uint32_t idx;
    uint32_t has; /* all_labels is not NULL */
};

static uint64_t load_be64(const unsigned char *b)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = (v << 8) | b[i];
    return v;
}

static void group_rec_of(const struct rpt_row *rows, uint32_t idx, struct group_rec *g)
{
    const char *s = rows[idx].all_labels;
    unsigned char b[16];
    size_t i = 0;

    memset(b, 0, sizeof b);
    if (s != NULL)
        for (; i < sizeof b && s[i] != '\0'; i++)
            b[i] = (unsigned char)s[i];
    g->p0 = load_be64(b);
    g->p1 = load_be64(b + 8);
    g->idx = idx;
    g->has = s != NULL;
}

static int cmp_group(const struct group_rec *a, const struct group_rec *b,
                     const struct rpt_row *rows)
{
    if (a->has && b->has) {
        if (a->p0 != b->p0)
            return a->p0 < b->p0 ? -1 : 1;
        if (a->p1 != b->p1)
            return a->p1 < b->p1 ? -1 : 1;
    }
    return cmp_rest(&rows[a->idx], &rows[b->idx]);
}

static int cmp_group_q(const void *pa, const void *pb, void *ctx)
{
    return cmp_group(pa, pb, ctx);
}

/* Sorts a group's n records: by insertion when small (most groups are a
 * few rows of one namespace on one node), else by qsort_r. */
static void sort_group(struct group_rec *g, size_t n, const struct rpt_row *rows)
{
    size_t i, j;

    if (n > 16) {
        qsort_r(g, n, sizeof *g, cmp_group_q, (void *)(uintptr_t)rows);
        return;
    }
    for (i = 1; i < n; i++) {
        struct group_rec x = g[i];
        for (j = i; j > 0 && cmp_group(&x, &g[j - 1], rows) < 0; j--)
            g[j] = g[j - 1];
        g[j] = x;
    }
}

/* LSD radix sort of n records on key bits [0, nbits) (stable), through
 * tmp of n records; the sorted records end in *out (rec or tmp). */
static void radix_sort(struct key_rec *rec, struct key_rec *tmp, size_t n, unsigned nbits,
                       struct key_rec **out)
{
    enum { DIGIT = 11, BUCKETS = 1 << DIGIT };
    size_t count[BUCKETS]; /* 16 KiB of stack */
    struct key_rec *src = rec, *dst = tmp, *sw;
    unsigned shift;
    size_t i;

    for (shift = 0; shift < nbits; shift += DIGIT) {
        size_t sum = 0;
        memset(count, 0, sizeof count);
        for (i = 0; i < n; i++)
            count[(src[i].key >> shift) & (BUCKETS - 1)]++;
        for (i = 0; i < BUCKETS; i++) {
            size_t c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & (BUCKETS - 1)]++] = src[i];
        sw = src;
        src = dst;
        dst = sw;
    }
    *out = src;
}

/* Rows ahead whose all_labels text is loaded before its record is made. */
#define SORT_TEXT_AHEAD 16

/* Rows of a cycle whose loading starts before they are moved. */
#define PERMUTE_AHEAD 4

/* Puts rows in the order of ord (ord[k] = the row to be k-th) by
 * following cycles, one row in flight: no second copy of the table.
 * The rows of a cycle are all over the table, so each move waited for
 * memory: a second walker runs PERMUTE_AHEAD rows ahead on the same
 * cycle (its ord entries are not yet consumed) and starts loading them.
 * ord is destroyed. */
static void permute_rows(struct rpt_row *rows, uint32_t *ord, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        struct rpt_row hold;
        size_t at, next, ahead;
        int d;
        if (ord[k] == k || ord[k] == UINT32_MAX)
            continue;
        hold = rows[k];
        at = k;
        ahead = ord[k];
        for (d = 0; d < PERMUTE_AHEAD && ahead != k; d++) {
            ocp_mem_prefetch(&rows[ahead], sizeof rows[ahead]);
            ahead = ord[ahead];
        }
        for (;;) {
            next = ord[at];
            ord[at] = UINT32_MAX;
            if (next == k) {
                rows[at] = hold;
                break;
            }
            if (ahead != k) {
                ocp_mem_prefetch(&rows[ahead], sizeof rows[ahead]);
                ahead = ord[ahead];
            }
            rows[at] = rows[next];
            at = next;
        }
    }
}

/* The sort's working room for n rows, in t->sort_room (grown, never
 * shrunk; its pages stay touched for the next day): the string pointers
 * (later the order), the key records and their radix buffer, then the two
 * rank sets, whose room the group records take over once the keys are
 * built.  NULL when out of memory. */
_Static_assert(sizeof(struct group_rec) <= 32, "group records fit in the rank sets' room");

static unsigned char *sort_room(struct rpt_table *t, size_t n, size_t *rank_bytes)
{
    size_t rb = (rank_room(n) + 7) & ~(size_t)7, need;

    /* The group records (all rows' and one group's, 2 n of them) fit in
     * the rank sets' room: 2 rank_room(n) > 2 * 32 n bytes. */
    need = n * (sizeof(const char *) + 2 * sizeof(struct key_rec)) + 2 * rb;
    *rank_bytes = rb;
    if (need > t->sort_room_cap) {
        size_t cap = need + need / 4;
        unsigned char *room = malloc(cap);
        if (room == NULL)
            return NULL;
        free(t->sort_room);
        t->sort_room = room;
        t->sort_room_cap = cap;
    }
    return t->sort_room;
}

void rpt_table_sort(struct rpt_table *t)
{
    struct rank_set ns, node;
    struct key_rec *rec, *tmp, *sorted;
    struct group_rec *grp, *all;
    size_t gmax, rb;
    uint32_t *ord;
    const char **ptrs;
    unsigned char *room;
    size_t i, j, n = t->count;
    int32_t dmin, dmax;
    unsigned bns, bnode, bday, nbits;

    if (n <= 1)
        return;
    if (n >= UINT32_MAX || n > SIZE_MAX / 128 || (room = sort_room(t, n, &rb)) == NULL)
        goto plain;
    ptrs = (const char **)(void *)room;
    rec = (struct key_rec *)(void *)(ptrs + n);
    tmp = rec + n;
    for (i = 0; i < n; i++)
        ptrs[i] = t->rows[i].namespace_;
    rank_build(&ns, ptrs, n, (unsigned char *)(tmp + n));
    for (i = 0; i < n; i++)
        ptrs[i] = t->rows[i].node;
    rank_build(&node, ptrs, n, (unsigned char *)(tmp + n) + rb);
    dmin = dmax = t->rows[0].usage_day;
    for (i = 1; i < n; i++) {
        if (t->rows[i].usage_day < dmin)
            dmin = t->rows[i].usage_day;
        if (t->rows[i].usage_day > dmax)
            dmax = t->rows[i].usage_day;
    }
    /* Ranks run 0 .. ndistinct, sources are 0 and 1. */
    bns = bits_for(ns.ndistinct);
    bnode = bits_for(node.ndistinct);
    bday = bits_for((uint64_t)((int64_t)dmax - dmin));
    nbits = bday + 1 + bns + bnode;
    if (nbits > 64)
        goto plain;
    for (i = 0; i < n; i++) {
        const struct rpt_row *r = &t->rows[i];
        uint64_t k = (uint64_t)((int64_t)r->usage_day - dmin);
        k = (k << 1) | (uint64_t)(r->source != RPT_SOURCE_POD); /* "Pod" < "Storage" */
        k = (k << bns) | rank_of(&ns, r->namespace_);
        k = (k << bnode) | rank_of(&node, r->node);
        rec[i].key = k;
        rec[i].idx = (uint32_t)i;
    }
    radix_sort(rec, tmp, n, nbits, &sorted);
    /* Rows of one (day, source, namespace, node) in the order of the
     * columns after them. */
    for (i = 0, gmax = 1; i < n; i = j) {
        for (j = i + 1; j < n && sorted[j].key == sorted[i].key; j++)
            ;
        if (j - i > gmax)
            gmax = j - i;
    }
    /* The records of all rows in one pass in row order, so a group
     * gathers them from this compact array rather than from rows
     * scattered over the table. */
    all = (struct group_rec *)(void *)(tmp + n); /* the rank sets are done */
    grp = all + n;
    for (i = 0; i < n && gmax > 1; i++) {
        /* The texts are interned, shared by many rows and not in row
         * order: each first load missed the caches (a quarter of the
         * sort's time on 16 M rows).  Load them some rows ahead. */
        if (i + SORT_TEXT_AHEAD < n && t->rows[i + SORT_TEXT_AHEAD].all_labels != NULL)
            __builtin_prefetch(t->rows[i + SORT_TEXT_AHEAD].all_labels, 0, 3);
        group_rec_of(t->rows, (uint32_t)i, &all[i]);
    }
    for (i = 0; i < n && gmax > 1; i = j) {
        size_t k;
        for (j = i + 1; j < n && sorted[j].key == sorted[i].key; j++)
            ;
        if (j - i == 1)
            continue;
        for (k = i; k < j; k++)
            grp[k - i] = all[sorted[k].idx];
        sort_group(grp, j - i, t->rows);
        for (k = i; k < j; k++)
            sorted[k].idx = grp[k - i].idx;
    }
    /* The rank arrays are free again: reuse ptrs' room for the order. */
    ord = (uint32_t *)(void *)ptrs;
    for (i = 0; i < n; i++)
        ord[i] = sorted[i].idx;
    permute_rows(t->rows, ord, n);
    return;
plain:
    /* Out of memory for the keys: the plain sort gives the same order. */
    qsort(t->rows, n, sizeof *t->rows, cmp_rows);
}
