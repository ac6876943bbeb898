/*
 * test_agg_rows.c - the layout and shortcuts behind add_pods: maps whose
 * entries are whole cache lines (hmap_init_lines) stay aligned and intact
 * as they grow, and the capacity maxima gathered per interval (cap_acc)
 * give the caps table a row-by-row add would: the same entries in the
 * same order with the same values, for interleaved nodes and intervals,
 * NULL and empty nodes, NaN, and equal maxima of either sign; the node
 * facts remembered per node slot.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchbuild.h"
#include "engine/agg_internal.h"
#include "ocpagg/agg.h"
#include "ocpagg/labels.h"
#include "testlib.h"

#define HOUR_US INT64_C(3600000000)

static struct lbl_keys keys;

static void test_lines_map(void)
{
    struct hmap m;
    struct pod_key k;
    size_t i, e, n = 60000; /* 15 MB of entries: realloc moves them */
    int created;

    hmap_init_lines(&m, sizeof(struct pod_key), sizeof(struct pod_val));
    CHECK(m.entry_size % 64 == 0);
    CHECK(m.entry_size >= m.val_off + sizeof(struct pod_val));
    memset(&k, 0, sizeof k);
    for (i = 0; i < n; i++) {
        k.day = (int32_t)(i % 31);
        k.ns = (uint32_t)i;
        e = hmap_upsert(&m, &k, &created);
        CHECK(e == i && created);
        CHECK(((uintptr_t)m.entries & 63) == 0);
        ((struct pod_val *)hmap_value(&m, e))->resource_id = (uint32_t)(i * 3);
        if (i == n / 2)
            CHECK_INT(hmap_reserve(&m, n + n / 3), 0);
    }
    CHECK(((uintptr_t)m.entries & 63) == 0);
    for (i = 0; i < n; i++) {
        k.day = (int32_t)(i % 31);
        k.ns = (uint32_t)i;
        e = hmap_find(&m, &k);
        CHECK(e == i);
        if (e == i)
            CHECK(((struct pod_val *)hmap_value(&m, e))->resource_id == (uint32_t)(i * 3));
        CHECK(((uintptr_t)hmap_entry(&m, i) & 63) == 0);
    }
    hmap_release(&m);
}

/* A map of 48-byte entries grown to 3 M entries (144 MB), by doubling
 * and by hmap_reserve to sizes that are no power of two: from 1 MiB on
 * the entry array is a mapping of its own that grows by mremap, and
 * neither its address nor its length is a multiple of 2 MiB.  Every
 * entry is found again with its value; cleared, the map fills again in
 * the memory it has. */
static void test_mapped_growth(void)
{
    struct hmap m;
    struct {
        uint64_t a, b;
    } k;
    size_t i, e, n = 3000000, cap;
    int created, bad = 0;

    hmap_init(&m, sizeof k, 24);
    CHECK_INT((long long)m.entry_size, 48);
    memset(&k, 0, sizeof k);
    for (i = 0; i < n; i++) {
        k.a = i;
        k.b = i * 7919u;
        e = hmap_upsert(&m, &k, &created);
        if (e != i || !created) {
            bad++;
            break;
        }
        *(uint64_t *)hmap_value(&m, e) = i ^ 0x5a5a5a5au;
        if (i == 40000)
            CHECK_INT(hmap_reserve(&m, 65536 + 3 * 4096 + 17), 0);
        if (i == 700001)
            CHECK_INT(hmap_reserve(&m, 1500007), 0);
    }
    CHECK_INT(bad, 0);
    CHECK(m.mapped > 0);
    for (i = 0; i < n; i++) {
        k.a = i;
        k.b = i * 7919u;
        e = hmap_find(&m, &k);
        if (e != i || *(const uint64_t *)hmap_value(&m, e) != (i ^ 0x5a5a5a5au))
            bad++;
    }
    CHECK_INT(bad, 0);
    cap = m.cap;
    hmap_clear(&m);
    for (i = 0; i < 1000; i++) {
        k.a = i + n;
        k.b = 1;
        e = hmap_upsert(&m, &k, &created);
        CHECK(e == i && created);
    }
    CHECK_INT((long long)m.cap, (long long)cap);
    hmap_release(&m);
    CHECK(m.block == NULL && m.mapped == 0);
}

/* ---- capacity: against a row-by-row model ------------------------------ */

#define NROW 4000
#define NNODE 7

struct ref_cap {
    const char *node; /* NULL for the NULL node */
    int64_t ts;
    double cpu, mem;
    int has_cpu, has_mem;
};

static int same_node(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void ref_max(double *dst, int *has, double v)
{
    if (isnan(v))
        return;
    if (!*has || v > *dst) {
        *dst = v;
        *has = 1;
    }
}

static void test_caps_gathered(void)
{
    static const char *node_names[NNODE] = {"n0", "n1", "", NULL, "n4", "n5", "n6"};
    static const char *col_node[NROW], *col_ns[NROW], *col_pod[NROW];
    static char pods[NROW][16];
    static int64_t ts[NROW];
    static double cpu_sec[NROW], mem_sec[NROW], zero[NROW];
    static struct ref_cap ref[NROW];
    static const double vals[] = {NAN, 0.0, -0.0, 5.0, 5.0, 3.0, 7.5, -1.0};
    struct bb_store st;
    struct ocp_batch b;
    struct agg_partial *p = NULL;
    size_t nref = 0, i, j, cut;
    unsigned x = 12345;

    memset(&st, 0, sizeof st);
    for (i = 0; i < NROW; i++) {
        int node, hour;
        x = x * 1103515245u + 12345u;
        /* Runs of one interval, nodes interleaved within them; now and
         * then an interval comes back. */
        hour = (int)(i / 600) + ((x >> 9) % 11 == 0 ? 1 : 0);
        node = (int)((x >> 12) % NNODE);
        ts[i] = (int64_t)20000 * 24 * HOUR_US + hour * HOUR_US;
        col_node[i] = node_names[node];
        col_ns[i] = "ns";
        snprintf(pods[i], sizeof pods[i], "p%u", (unsigned)(i % 50));
        col_pod[i] = pods[i];
        cpu_sec[i] = vals[(x >> 16) % 8];
        mem_sec[i] = vals[(x >> 20) % 8] * 1e9;
        zero[i] = 1.0;
        for (j = 0; j < nref; j++)
            if (same_node(ref[j].node, col_node[i]) && ref[j].ts == ts[i])
                break;
        if (j == nref) {
            memset(&ref[nref], 0, sizeof ref[nref]);
            ref[nref].node = col_node[i];
            ref[nref].ts = ts[i];
            nref++;
        }
        ref_max(&ref[j].cpu, &ref[j].has_cpu, cpu_sec[i]);
        ref_max(&ref[j].mem, &ref[j].has_mem, mem_sec[i]);
    }

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = NROW;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, NROW);
    b.col[POD_NODE] = bb_strings(&st, col_node, NROW);
    b.col[POD_NAMESPACE] = bb_strings(&st, col_ns, NROW);
    b.col[POD_POD] = bb_strings(&st, col_pod, NROW);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cpu_sec, NROW);
    b.col[POD_CAP_MEM_SEC] = bb_numbers(&st, mem_sec, NROW);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, zero, NROW);

    p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);
    CHECK(p != NULL);
    /* In three batches: the maxima are flushed at each batch's end too. */
    cut = NROW / 3;
    {
        struct ocp_batch b1 = bb_slice(&b, 0, cut), b2 = bb_slice(&b, cut, 2 * cut + 7),
                         b3 = bb_slice(&b, 2 * cut + 7, NROW);
        CHECK_INT(agg_partial_add(p, &b1, NULL), OCP_OK);
        CHECK_INT(agg_partial_add(p, &b2, NULL), OCP_OK);
        CHECK_INT(agg_partial_add(p, &b3, NULL), OCP_OK);
    }
    CHECK(p->caps.count == nref);
    for (j = 0; j < nref && j < p->caps.count; j++) {
        const struct cap_key *k = hmap_entry(&p->caps, j);
        const struct cap_val *v = hmap_value(&p->caps, j);
        const char *name = pool_str(&p->pool, k->node);
        CHECK(same_node(name, ref[j].node));
        CHECK(k->ts == ref[j].ts);
        CHECK(((v->flags & HAS_A) != 0) == ref[j].has_cpu);
        CHECK(((v->flags & HAS_B) != 0) == ref[j].has_mem);
        if (ref[j].has_cpu)
            CHECK(same_double(v->cpu_sec, ref[j].cpu));
        if (ref[j].has_mem)
            CHECK(same_double(v->mem_sec, ref[j].mem));
    }
    agg_partial_destroy(p);
    bb_release(&st);
}

/* An infinite capacity is still reported at its row, naming the column. */
static void test_caps_infinity(void)
{
    static const char *nodes[3] = {"a", "b", "a"}, *ns[3] = {"x", "x", "x"};
    int64_t ts[3] = {0, 0, 0};
    double cap[3] = {1.0, INFINITY, 2.0};
    struct bb_store st;
    struct ocp_batch b;
    struct agg_partial *p = NULL;
    struct ocp_error err;

    memset(&st, 0, sizeof st);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 3;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 3);
    b.col[POD_NODE] = bb_strings(&st, nodes, 3);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 3);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cap, 3);
    p = bb_partial(&keys, INT32_MIN, INT32_MAX, 0);
    CHECK(p != NULL);
    memset(&err, 0, sizeof err);
    CHECK_INT(agg_partial_add(p, &b, &err), OCP_ERR_DATA);
    CHECK(strstr(err.message, "infinite") != NULL);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* Node facts: a node and role seen before in the batch add nothing, but
 * the API server's namespace on any row marks its node, and a new
 * batch's dictionary (the same ids for other nodes) starts afresh. */
static const struct node_val *node_of(struct agg_partial *p, const char *name)
{
    struct node_key k;
    size_t e;
    uint32_t id = pool_intern(&p->pool, name, strlen(name));
    k.node = id;
    k.zero = 0;
    e = hmap_find(&p->nodes, &k);
    return e == SIZE_MAX ? NULL : hmap_value(&p->nodes, e);
}

/* Pod rows of n nodes, roles, namespaces and pods at times ts. */
static struct ocp_batch role_rows(struct bb_store *st, size_t n, const int64_t *ts,
                                  const char *const *nodes, const char *const *roles,
                                  const char *const *ns, const char *const *pods)
{
    struct ocp_batch b;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = n;
    b.col[POD_INTERVAL_START] = bb_times(st, ts, n);
    b.col[POD_NODE] = bb_strings(st, nodes, n);
    b.col[POD_NODE_ROLE] = bb_strings(st, roles, n);
    b.col[POD_NAMESPACE] = bb_strings(st, ns, n);
    b.col[POD_POD] = bb_strings(st, pods, n);
    return b;
}

static void test_node_facts(void)
{
    static const char *n1[6] = {"a", "b", "a", "b", "a", "b"},
                      *r1[6] = {"master", "worker", "master", "worker", "master", "infra"},
                      *s1[6] = {"x", "x", "x", "x", "openshift-kube-apiserver", "x"},
                      *n2[3] = {"c", "d", "c"}, *r2[3] = {"master", "worker", "master"},
                      *s2[3] = {"x", "x", "x"}, *pods[6] = {"p1", "p2", "p3", "p4", "p5", "p6"};
    int64_t ts[6] = {0, 0, 0, 0, 0, 0};
    struct bb_store st;
    struct ocp_batch b;
    struct agg_partial *p = NULL;
    const struct node_val *v;

    memset(&st, 0, sizeof st);
    p = bb_partial(&keys, INT32_MIN, INT32_MAX, 0);
    CHECK(p != NULL);
    b = role_rows(&st, 6, ts, n1, r1, s1, pods);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    b = role_rows(&st, 3, ts, n2, r2, s2, pods);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    CHECK(p->nodes.count == 4);
    v = node_of(p, "a");
    CHECK(v != NULL && v->role != POOL_NULL && strcmp(pool_str(&p->pool, v->role), "master") == 0);
    CHECK(v != NULL && (v->flags & NODE_APISERVER) != 0);
    v = node_of(p, "b");
    CHECK(v != NULL && v->role != POOL_NULL && strcmp(pool_str(&p->pool, v->role), "worker") == 0);
    CHECK(v != NULL && (v->flags & NODE_APISERVER) == 0);
    v = node_of(p, "c");
    CHECK(v != NULL && v->role != POOL_NULL && strcmp(pool_str(&p->pool, v->role), "master") == 0);
    v = node_of(p, "d");
    CHECK(v != NULL && v->role != POOL_NULL && strcmp(pool_str(&p->pool, v->role), "worker") == 0);
    agg_partial_destroy(p);
    bb_release(&st);
}

int main(void)
{
    static const char *enabled[] = {"app"};
    lbl_keys_init(&keys);
    CHECK_INT(lbl_keys_add_many(&keys, enabled, 1), OCP_OK);
    RUN(test_lines_map);
    RUN(test_mapped_growth);
    RUN(test_caps_gathered);
    RUN(test_caps_infinity);
    RUN(test_node_facts);
    lbl_keys_release(&keys);
    return TEST_SUMMARY();
}
