/*
 * test_perf_paths.c - the shortcuts of the fast paths give the plain
 * answer: the engine's per-pod memo (pods that change node, labels or
 * namespace, NULL pods, one name in two namespaces), dictionaries that
 * grow under one serial (Parquet's lasting dictionaries), the finish's
 * label caches kept across days (day index against agg_finish), the sort
 * on ranked strings, CSV fields written twice, and volume nodes logged
 * and added to their table after the batch (a log flushed mid-batch).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchbuild.h"
#include "ocpagg/agg.h"
#include "ocpagg/labels.h"
#include "ocpagg/report.h"
#include "testlib.h"

#define NPOD 3000
#define NSTO 120
#define DAY_US INT64_C(86400000000)
#define HOUR_US INT64_C(3600000000)

static struct lbl_keys keys;

/* ---- a dictionary that only grows (like a Parquet file's) ----------- */

struct tdict {
    struct ocp_strdict d;
    uint64_t off[NPOD * 2 + 2];
    char data[NPOD * 160];
};

static uint32_t tdict_id(struct tdict *t, const char *s)
{
    uint32_t i;
    size_t l = strlen(s);
    for (i = 0; i < t->d.count; i++)
        if (t->off[i + 1] - t->off[i] == l && memcmp(t->data + t->off[i], s, l) == 0)
            return i;
    memcpy(t->data + t->off[t->d.count], s, l);
    t->off[t->d.count + 1] = t->off[t->d.count] + l;
    return t->d.count++;
}

static void tdict_init(struct tdict *t)
{
    memset(t, 0, sizeof *t);
    t->d.offsets = t->off;
    t->d.data = t->data;
    t->d.serial = ocp_strdict_next_serial();
}

/* ---- the rows ---------------------------------------------------------- */

static char s_ns[NPOD][16], s_node[NPOD][16], s_pod[NPOD][16], s_rid[NPOD][16], s_role[NPOD][16],
    s_lab[NPOD][96];
static const char *c_ns[NPOD], *c_node[NPOD], *c_pod[NPOD], *c_rid[NPOD], *c_role[NPOD],
    *c_lab[NPOD];
static int64_t c_ts[NPOD];
static double c_num[12][NPOD];

static void gen_pods(void)
{
    int i, k;
    unsigned s = 7;
    for (i = 0; i < NPOD; i++) {
        int day = i / 1000, hour = (i % 1000) / 100, p = i % 100;
        int node = p % 10 == 7 ? (p + hour) % 5 : p % 5; /* some pods move */
        c_ts[i] = (int64_t)(20000 + day) * DAY_US + hour * HOUR_US;
        snprintf(s_ns[i], 16, "%s", p % 17 == 3 ? "b-ns" : (p % 3 ? "app-1" : "openshift-x"));
        snprintf(s_node[i], 16, "node%d", node);
        snprintf(s_pod[i], 16, "p%d", p % 17 == 3 ? p - 1 : p); /* one name, two namespaces */
        snprintf(s_rid[i], 16, "r%d", node);
        snprintf(s_role[i], 16, "%s", node == 0 ? "master" : "");
        if (p % 13 == 0)
            s_lab[i][0] = '\0';
        else if (p % 29 == 0)
            snprintf(s_lab[i], 96, "{\"app\": web"); /* malformed */
        else if (p % 11 == 0)
            snprintf(s_lab[i], 96, "label_app:a%d|label_tier:t\"%d", p % 4, hour % 2);
        else
            snprintf(s_lab[i], 96, "{\"app\":\"a%d\",\"environment\":\"e\\\"%d\",\"x\":\"y\"}",
                     p % 4 + (p % 5 == 0 ? day : 0), p % 3);
        c_ns[i] = s_ns[i];
        c_node[i] = p % 31 == 30 ? NULL : s_node[i];
        c_pod[i] = p % 23 == 22 ? NULL : s_pod[i];
        c_rid[i] = s_rid[i];
        c_role[i] = node == 0 ? s_role[i] : NULL;
        c_lab[i] = p % 37 == 36 ? NULL : s_lab[i];
        for (k = 0; k < 12; k++) {
            s = s * 1103515245u + 12345u;
            c_num[k][i] = (s >> 8) % 7 == 0 ? NAN : (double)((s >> 4) % 100000) / 3.0;
        }
    }
}

/* A pod batch of rows idx[0..n) with string columns from the dictionaries
 * d[0..5] (ids appended as needed). */
static void pod_batch(struct ocp_batch *b, const int *idx, size_t n, struct tdict *d, uint32_t *ids,
                      int64_t *ts, double *num)
{
    const char **cols[6] = {c_ns, c_node, c_pod, c_rid, c_role, c_lab};
    static const int where[6] = {POD_NAMESPACE,   POD_NODE,      POD_POD,
                                 POD_RESOURCE_ID, POD_NODE_ROLE, POD_LABELS};
    static const int nums[12] = {POD_USAGE_CPU,   POD_REQUEST_CPU,   POD_LIMIT_CPU,
                                 POD_USAGE_MEM,   POD_REQUEST_MEM,   POD_LIMIT_MEM,
                                 POD_EFF_CPU,     POD_EFF_MEM,       POD_CAP_CPU_CORES,
                                 POD_CAP_CPU_SEC, POD_CAP_MEM_BYTES, POD_CAP_MEM_SEC};
    size_t r;
    int c, k;

    memset(b, 0, sizeof *b);
    b->table = OCP_TABLE_POD;
    b->nrows = n;
    for (r = 0; r < n; r++)
        ts[r] = c_ts[idx[r]];
    b->col[POD_INTERVAL_START].present = 1;
    b->col[POD_INTERVAL_START].ts = ts;
    for (c = 0; c < 6; c++) {
        uint32_t *col = ids + (size_t)c * n;
        for (r = 0; r < n; r++)
            col[r] = cols[c][idx[r]] == NULL ? OCP_NULL_ID : tdict_id(&d[c], cols[c][idx[r]]);
        b->col[where[c]].present = 1;
        b->col[where[c]].str.ids = col;
        b->col[where[c]].str.dict = &d[c].d;
    }
    for (k = 0; k < 12; k++) {
        double *col = num + (size_t)k * n;
        for (r = 0; r < n; r++)
            col[r] = c_num[k][idx[r]];
        b->col[nums[k]].present = 1;
        b->col[nums[k]].num = col;
    }
}

/* Storage, node and namespace label rows (one batch each). */
static void side_tables(struct agg_partial *p)
{
    static const char *sns[NSTO], *spod[NSTO], *spvc[NSTO], *spv[NSTO], *nnode[30], *nlab[30],
        *nsns[9], *nslab[9];
    static char b1[NSTO][16], b2[NSTO][16], b3[NSTO][16];
    static int64_t sts[NSTO], nts[30], nsts[9];
    static double sb[NSTO];
    struct tdict *d = calloc(6, sizeof *d);
    struct ocp_batch b;
    uint32_t *ids = calloc(6 * NSTO, sizeof *ids);
    int i, c;

    for (c = 0; c < 6; c++)
        tdict_init(&d[c]);
    for (i = 0; i < NSTO; i++) {
        int day = i / 40, p = (i % 40) * 2 + 1; /* odd pods, incl. moving ones */
        sts[i] = (int64_t)(20000 + day) * DAY_US + (i % 3) * HOUR_US;
        sns[i] = p % 17 == 3 ? "b-ns" : (p % 3 ? "app-1" : "openshift-x");
        snprintf(b1[i], 16, "p%d", p % 17 == 3 ? p - 1 : p);
        snprintf(b2[i], 16, "c%d", p);
        snprintf(b3[i], 16, "v%d", p % 7);
        spod[i] = b1[i];
        spvc[i] = b2[i];
        spv[i] = b3[i];
        sb[i] = 1e9 * (i + 1);
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_STORAGE;
    b.nrows = NSTO;
    b.col[STO_INTERVAL_START].present = 1;
    b.col[STO_INTERVAL_START].ts = sts;
    {
        const char **cols[4] = {sns, spod, spvc, spv};
        static const int where[4] = {STO_NAMESPACE, STO_POD, STO_PVC, STO_PV};
        for (c = 0; c < 4; c++) {
            for (i = 0; i < NSTO; i++)
                ids[c * NSTO + i] = tdict_id(&d[c], cols[c][i]);
            b.col[where[c]].present = 1;
            b.col[where[c]].str.ids = ids + c * NSTO;
            b.col[where[c]].str.dict = &d[c].d;
        }
    }
    b.col[STO_CAP_BYTE_SEC].present = b.col[STO_REQUEST_BYTE_SEC].present =
        b.col[STO_USAGE_BYTE_SEC].present = 1;
    b.col[STO_CAP_BYTE_SEC].num = b.col[STO_REQUEST_BYTE_SEC].num = b.col[STO_USAGE_BYTE_SEC].num =
        sb;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);

    for (c = 0; c < 6; c++)
        tdict_init(&d[c]);
    for (i = 0; i < 30; i++) {
        static char nb[30][16];
        snprintf(nb[i], 16, "node%d", i % 5);
        nnode[i] = nb[i];
        nts[i] = (int64_t)(20000 + i / 10) * DAY_US + (i % 2) * HOUR_US;
        nlab[i] = i % 4 == 0
                      ? "{\"app\":\"node-app\",\"zone\":\"z\\u00e9\",\"tier\":\"n\"}"
                      : (i % 4 == 1 ? "label_node_role_kubernetes_io:infra|label_environment:n"
                                    : "{\"environment\":\"prod\"}");
        ids[i] = tdict_id(&d[0], nnode[i]);
        ids[30 + i] = tdict_id(&d[1], nlab[i]);
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_NODE_LABELS;
    b.nrows = 30;
    b.col[NL_INTERVAL_START].present = 1;
    b.col[NL_INTERVAL_START].ts = nts;
    b.col[NL_NODE].present = b.col[NL_LABELS].present = 1;
    b.col[NL_NODE].str.ids = ids;
    b.col[NL_NODE].str.dict = &d[0].d;
    b.col[NL_LABELS].str.ids = ids + 30;
    b.col[NL_LABELS].str.dict = &d[1].d;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);

    for (c = 0; c < 6; c++)
        tdict_init(&d[c]);
    for (i = 0; i < 9; i++) {
        nsns[i] = i % 3 == 0 ? "app-1" : (i % 3 == 1 ? "b-ns" : "openshift-x");
        nsts[i] = (int64_t)(20000 + i / 3) * DAY_US;
        nslab[i] = i % 2 ? "{\"environment\":\"ns-env\",\"app\":\"ns\"}" : "{\"tier\":\"t\"}";
        ids[i] = tdict_id(&d[0], nsns[i]);
        ids[9 + i] = tdict_id(&d[1], nslab[i]);
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_NAMESPACE_LABELS;
    b.nrows = 9;
    b.col[NSL_INTERVAL_START].present = 1;
    b.col[NSL_INTERVAL_START].ts = nsts;
    b.col[NSL_NAMESPACE].present = b.col[NSL_LABELS].present = 1;
    b.col[NSL_NAMESPACE].str.ids = ids;
    b.col[NSL_NAMESPACE].str.dict = &d[0].d;
    b.col[NSL_LABELS].str.ids = ids + 9;
    b.col[NSL_LABELS].str.dict = &d[1].d;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    free(ids);
    free(d);
}

static struct agg_partial *new_partial(void)
{
    struct agg_partial *p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);
    CHECK(p != NULL);
    return p;
}

/* The report of p as CSV text, day by day through a day index (lasting
 * label caches) or all at once; malloc'd. */
static char *report_text(struct agg_partial *p, int by_day)
{
    struct agg_finish_settings fs;
    struct rpt_meta meta = {3, "c", "C \"q\"", "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"};
    struct rpt_buf out = {0};
    struct rpt_table t;
    char *text;

    memset(&fs, 0, sizeof fs);
    fs.source_uuid[0] = 1;
    if (by_day) {
        struct agg_day_index *ix = NULL;
        int32_t *days = NULL;
        size_t n = 0, i;
        CHECK_INT(agg_partial_days(p, &days, &n), OCP_OK);
        CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
        /* Days out of order and one twice: caches must not care. */
        for (i = n; i-- > 0;) {
            rpt_table_init(&t);
            CHECK_INT(agg_finish_day(p, ix, &fs, days[i], &t, NULL), OCP_OK);
            rpt_table_release(&t);
        }
        for (i = 0; i < n; i++) {
            rpt_table_init(&t);
            CHECK_INT(agg_finish_day(p, ix, &fs, days[i], &t, NULL), OCP_OK);
            CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &out), OCP_OK);
            rpt_table_release(&t);
        }
        agg_day_index_destroy(ix);
        free(days);
    } else {
        rpt_table_init(&t);
        CHECK_INT(agg_finish(p, &fs, &t, NULL), OCP_OK);
        CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &out), OCP_OK);
        rpt_table_release(&t);
    }
    text = malloc(out.len + 1);
    memcpy(text, out.data, out.len);
    text[out.len] = '\0';
    rpt_buf_release(&out);
    return text;
}

/* In order in one batch; backwards in batches of 7 with fresh
 * dictionaries; in two batches sharing one dictionary that grows between
 * them (same serial): the same report, through either finish. */
static void test_memo_and_grown_dictionaries(void)
{
    static int idx[NPOD];
    uint32_t *ids = malloc(6 * NPOD * sizeof *ids);
    int64_t *ts = malloc(NPOD * sizeof *ts);
    double *num = malloc(12 * NPOD * sizeof *num);
    struct tdict *d = malloc(6 * sizeof *d);
    struct agg_partial *a = new_partial(), *b = new_partial(), *c = new_partial();
    struct ocp_batch bt;
    char *ta, *ta2, *tb, *tc;
    int i, k;

    for (i = 0; i < NPOD; i++)
        idx[i] = i;
    for (k = 0; k < 6; k++)
        tdict_init(&d[k]);
    pod_batch(&bt, idx, NPOD, d, ids, ts, num);
    CHECK_INT(agg_partial_add(a, &bt, NULL), OCP_OK);
    side_tables(a);

    for (i = 0; i < NPOD; i++)
        idx[i] = NPOD - 1 - i;
    for (i = 0; i < NPOD; i += 7) {
        size_t n = NPOD - i < 7 ? (size_t)(NPOD - i) : 7;
        for (k = 0; k < 6; k++)
            tdict_init(&d[k]);
        pod_batch(&bt, idx + i, n, d, ids, ts, num);
        CHECK_INT(agg_partial_add(b, &bt, NULL), OCP_OK);
    }
    side_tables(b);

    for (k = 0; k < 6; k++)
        tdict_init(&d[k]);
    for (i = 0; i < NPOD; i++)
        idx[i] = (i * 7) % NPOD; /* 7 and 3000 are coprime */
    pod_batch(&bt, idx, NPOD / 2, d, ids, ts, num);
    CHECK_INT(agg_partial_add(c, &bt, NULL), OCP_OK);
    pod_batch(&bt, idx + NPOD / 2, NPOD - NPOD / 2, d, ids, ts, num);
    CHECK_INT(agg_partial_add(c, &bt, NULL), OCP_OK);
    side_tables(c);

    ta = report_text(a, 1);
    ta2 = report_text(a, 0);
    tb = report_text(b, 1);
    tc = report_text(c, 0);
    CHECK(strlen(ta) > 10000);
    CHECK(strcmp(ta, ta2) == 0);
    CHECK(strcmp(ta, tb) == 0);
    CHECK(strcmp(ta, tc) == 0);
    CHECK(strstr(ta, ",Storage,") != NULL);
    CHECK(strstr(ta, "Platform unallocated") != NULL);
    free(ta);
    free(ta2);
    free(tb);
    free(tc);
    agg_partial_destroy(a);
    agg_partial_destroy(b);
    agg_partial_destroy(c);
    free(ids);
    free(ts);
    free(num);
    free(d);
}

/* ---- sort ------------------------------------------------------------ */

static int ref_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int ref_cmp(const struct rpt_row *a, const struct rpt_row *b)
{
    const char *const *fa[] = {&a->namespace_,   &a->node, &a->all_labels,   &a->resource_id,
                               &a->pvc,          &a->pv,   &a->storageclass, &a->csi_volume_handle,
                               &a->volume_labels};
    const char *const *fb[] = {&b->namespace_,   &b->node, &b->all_labels,   &b->resource_id,
                               &b->pvc,          &b->pv,   &b->storageclass, &b->csi_volume_handle,
                               &b->volume_labels};
    int c;
    size_t i;
    if (a->usage_day != b->usage_day)
        return a->usage_day < b->usage_day ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    for (i = 0; i < 9; i++)
        if ((c = ref_str(*fa[i], *fb[i])) != 0)
            return c;
    return strcmp(a->uuid, b->uuid);
}

/* Strings from small sets, equal texts at different addresses, NULLs:
 * the sort on ranks orders rows as comparing the strings would. */
static void test_sort(void)
{
    static const char *vocab[] = {NULL, "", "a", "ab", "b", "\xc3\xa9", "a\"b", "zz"};
    static char copies[8][8][8];
    struct rpt_table t;
    unsigned s = 99;
    int round, i, bad = 0;

    for (round = 0; round < 20; round++) {
        int n = round == 0 ? 1 : 50 * round;
        rpt_table_init(&t);
        for (i = 0; i < n; i++) {
            struct rpt_row *r = rpt_table_add(&t);
            const char **f[6];
            int k;
            f[0] = &r->namespace_;
            f[1] = &r->node;
            f[2] = &r->all_labels;
            f[3] = &r->resource_id;
            f[4] = &r->pvc;
            f[5] = &r->volume_labels;
            r->usage_day = (int32_t)(s % 3);
            r->source = (s >> 3) % 2 ? RPT_SOURCE_POD : RPT_SOURCE_STORAGE;
            for (k = 0; k < 6; k++) {
                unsigned v;
                s = s * 1103515245u + 12345u;
                v = (s >> 16) % 8;
                /* One text, several addresses. */
                if (vocab[v] != NULL && (s >> 8) % 2) {
                    strcpy(copies[v][k], vocab[v]);
                    *f[k] = copies[v][k];
                } else {
                    *f[k] = vocab[v];
                }
            }
            snprintf(r->uuid, sizeof r->uuid, "%08x", (unsigned)i * 2654435761u);
        }
        rpt_table_sort(&t);
        CHECK_INT(t.count, n);
        for (i = 1; i < (int)t.count; i++)
            bad += ref_cmp(&t.rows[i - 1], &t.rows[i]) > 0;
        rpt_table_release(&t);
    }
    CHECK_INT(bad, 0);
}

/* Label texts that share their first 15, 16 or 17 bytes, end inside or
 * right after 16 bytes, or carry bytes above 0x7f there, in groups of one
 * (day, source, namespace, node) both small and large: the group sort
 * (16-byte prefixes, then the rows) orders as comparing the strings. */
static void test_sort_long_labels(void)
{
    static const char *vocab[] = {NULL,
                                  "",
                                  "0123456789abcde",
                                  "0123456789abcdef",
                                  "0123456789abcdeg",
                                  "0123456789abcdef0",
                                  "0123456789abcdef\xc3\xa9",
                                  "0123456789abcde\xff",
                                  "{\"app\":\"svc-1\"}",
                                  "{\"app\":\"svc-10\"}",
                                  "{\"app\":\"svc-100000\",\"x\":1}",
                                  "{\"app\":\"svc-100000\",\"x\":2}",
                                  "{\"app\":\"svc-1000\xc3\xa9"};
    const size_t nv = sizeof vocab / sizeof vocab[0];
    static char copies[13][32];
    struct rpt_table t;
    unsigned s = 7;
    int round, i, bad = 0;

    for (i = 1; i < (int)nv; i++)
        strcpy(copies[i], vocab[i]);
    for (round = 0; round < 12; round++) {
        int n = 10 + 40 * round;
        rpt_table_init(&t);
        for (i = 0; i < n; i++) {
            struct rpt_row *r = rpt_table_add(&t);
            unsigned v;
            s = s * 1103515245u + 12345u;
            v = (s >> 16) % (unsigned)nv;
            r->usage_day = 20000;
            r->source = RPT_SOURCE_POD;
            r->namespace_ = round % 2 ? "ns" : ((s >> 8) % 2 ? "a" : "b");
            r->node = "node";
            /* One text, two addresses. */
            r->all_labels = vocab[v] != NULL && (s >> 4) % 2 ? copies[v] : vocab[v];
            r->pod_labels = r->all_labels;
            r->resource_id = (s >> 12) % 3 ? "r1" : "r0";
            snprintf(r->uuid, sizeof r->uuid, "%08x", (unsigned)i * 2654435761u);
        }
        rpt_table_sort(&t);
        CHECK_INT(t.count, n);
        for (i = 1; i < (int)t.count; i++)
            bad += ref_cmp(&t.rows[i - 1], &t.rows[i]) > 0;
        rpt_table_release(&t);
    }
    CHECK_INT(bad, 0);
}

/* all_labels written as a copy of pod_labels or volume_labels, or on its
 * own when it is another string. */
static void test_csv_repeated(void)
{
    struct rpt_meta meta = {1, "c", "a", "u"};
    struct rpt_table t;
    struct rpt_buf out = {0};
    struct rpt_row *r;
    const char *lab = "{\"a\":\"x\\\"y\"}";
    char other[32];

    strcpy(other, lab);
    rpt_table_init(&t);
    r = rpt_table_add(&t);
    r->source = RPT_SOURCE_POD;
    r->pod_labels = lab;
    r->all_labels = lab;
    r = rpt_table_add(&t);
    r->source = RPT_SOURCE_STORAGE;
    r->volume_labels = lab;
    r->all_labels = lab;
    r = rpt_table_add(&t);
    r->source = RPT_SOURCE_POD;
    r->pod_labels = lab;
    r->all_labels = other;
    for (r = t.rows; r < t.rows + t.count; r++)
        memset(r->uuid, 'u', 36); /* 36 characters, as uuids have */
    CHECK_INT(rpt_csv_rows(&t, &meta, 0, 3, &out), OCP_OK);
    {
        const char *q = "\"{\"\"a\"\":\"\"x\\\"\"y\"\"}\"";
        const char *p = out.data;
        int n = 0;
        size_t ql = strlen(q);
        out.data[out.len - 1] = '\0';
        while ((p = strstr(p, q)) != NULL) {
            n++;
            p += ql;
        }
        CHECK_INT(n, 6);
        if (n != 6)
            fprintf(stderr, "%s\n", out.data);
    }
    rpt_buf_release(&out);
    rpt_table_release(&t);
}

/* Merged labels: node, then namespace, then pod, a later set winning a
 * key; keys in byte order; quoting kept. */
static void test_merge_order(void)
{
    struct tdict *d = calloc(4, sizeof *d);
    struct agg_partial *p = new_partial();
    struct agg_finish_settings fs;
    struct rpt_table t;
    struct ocp_batch b;
    int64_t ts[3] = {20000 * DAY_US, 20000 * DAY_US, 20000 * DAY_US};
    uint32_t ids[12];
    size_t i;
    static const char *want[3] = {
        "{\"a\":\"0\",\"app\":\"P\",\"b\":\"1\",\"c\":\"2\",\"x\":\"q\\\"\\u0001\"}",
        "{\"app\":\"S\",\"b\":\"1\",\"c\":\"2\"}", "{\"app\":\"N\",\"b\":\"1\"}"};
    int found[3] = {0, 0, 0};

    for (i = 0; i < 4; i++)
        tdict_init(&d[i]);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_NODE_LABELS;
    b.nrows = 2;
    ids[0] = tdict_id(&d[0], "n1");
    ids[1] = tdict_id(&d[0], "n2");
    ids[2] = ids[3] = tdict_id(&d[1], "{\"app\":\"N\",\"b\":\"1\",\"zz\":\"off\"}");
    b.col[NL_INTERVAL_START].present = b.col[NL_NODE].present = b.col[NL_LABELS].present = 1;
    b.col[NL_INTERVAL_START].ts = ts;
    b.col[NL_NODE].str.ids = ids;
    b.col[NL_NODE].str.dict = &d[0].d;
    b.col[NL_LABELS].str.ids = ids + 2;
    b.col[NL_LABELS].str.dict = &d[1].d;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    for (i = 0; i < 4; i++)
        tdict_init(&d[i]);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_NAMESPACE_LABELS;
    b.nrows = 1;
    ids[0] = tdict_id(&d[0], "ns");
    ids[1] = tdict_id(&d[1], "label_app:S|label_c:2");
    b.col[NSL_INTERVAL_START].present = b.col[NSL_NAMESPACE].present = b.col[NSL_LABELS].present =
        1;
    b.col[NSL_INTERVAL_START].ts = ts;
    b.col[NSL_NAMESPACE].str.ids = ids;
    b.col[NSL_NAMESPACE].str.dict = &d[0].d;
    b.col[NSL_LABELS].str.ids = ids + 1;
    b.col[NSL_LABELS].str.dict = &d[1].d;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    /* Pods: on n1 in ns with its own labels (app wins over S and N); on
     * n1 in ns without labels; on n2 in another namespace. */
    for (i = 0; i < 4; i++)
        tdict_init(&d[i]);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 3;
    ids[0] = tdict_id(&d[0], "ns");
    ids[1] = tdict_id(&d[0], "ns");
    ids[2] = tdict_id(&d[0], "other");
    ids[3] = tdict_id(&d[1], "n1");
    ids[4] = tdict_id(&d[1], "n1");
    ids[5] = tdict_id(&d[1], "n2");
    ids[6] = tdict_id(&d[2], "p1");
    ids[7] = tdict_id(&d[2], "p2");
    ids[8] = tdict_id(&d[2], "p3");
    ids[9] = tdict_id(&d[3], "{\"app\":\"P\",\"a\":\"0\",\"x\":\"q\\\"\\u0001\"}");
    ids[10] = OCP_NULL_ID;
    ids[11] = OCP_NULL_ID;
    b.col[POD_INTERVAL_START].present = 1;
    b.col[POD_INTERVAL_START].ts = ts;
    b.col[POD_NAMESPACE].present = b.col[POD_NODE].present = b.col[POD_POD].present =
        b.col[POD_LABELS].present = 1;
    b.col[POD_NAMESPACE].str.ids = ids;
    b.col[POD_NAMESPACE].str.dict = &d[0].d;
    b.col[POD_NODE].str.ids = ids + 3;
    b.col[POD_NODE].str.dict = &d[1].d;
    b.col[POD_POD].str.ids = ids + 6;
    b.col[POD_POD].str.dict = &d[2].d;
    b.col[POD_LABELS].str.ids = ids + 9;
    b.col[POD_LABELS].str.dict = &d[3].d;
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    memset(&fs, 0, sizeof fs);
    rpt_table_init(&t);
    CHECK_INT(agg_finish(p, &fs, &t, NULL), OCP_OK);
    for (i = 0; i < t.count; i++) {
        int k;
        if (!t.rows[i].has_infra_cost)
            continue;
        for (k = 0; k < 3; k++)
            if (t.rows[i].all_labels && strcmp(t.rows[i].all_labels, want[k]) == 0)
                found[k]++;
    }
    CHECK_INT(found[0], 1);
    CHECK_INT(found[1], 1);
    CHECK_INT(found[2], 1);
    rpt_table_release(&t);
    agg_partial_destroy(p);
    free(d);
}

/* ---- volume nodes logged and added after the batch ----------------- */

/* A dictionary of n distinct strings "<prefix><i>" (id i), built
 * directly: bb_strings finds duplicates pairwise, too slow for 70,000. */
struct gdict {
    struct ocp_strdict d;
    uint64_t *off;
    char *data;
};

static void gdict_make(struct gdict *g, const char *prefix, uint32_t n)
{
    uint32_t i;
    g->off = malloc(((size_t)n + 1) * sizeof *g->off);
    g->data = malloc((size_t)n * 16);
    g->off[0] = 0;
    for (i = 0; i < n; i++) {
        int l = snprintf(g->data + g->off[i], 16, "%s%u", prefix, i);
        g->off[i + 1] = g->off[i] + (uint64_t)l;
    }
    g->d.count = n;
    g->d.offsets = g->off;
    g->d.data = g->data;
    g->d.serial = ocp_strdict_next_serial();
}

static void gdict_free(struct gdict *g)
{
    free(g->off);
    free(g->data);
}

/* A column of ids into g's strings. */
static void gdict_column(struct ocp_column *c, const uint32_t *ids, const struct gdict *g)
{
    c->present = 1;
    c->str.ids = ids;
    c->str.dict = &g->d;
}

/* More new pods in one batch than add_pods logs volume nodes for before
 * it adds them to the table (VN_LOG_MAX, 65 536), so the log is flushed
 * in the middle of the batch and at its end: the storage rows (one per
 * node each volume's pod ran on) are those of the same rows added in
 * small batches, and each names its pod's node. */
#define VN_PODS 70000u
#define VN_NODES 50u
#define VN_STO 140u
static void test_volume_node_log(void)
{
    struct gdict dns, dnode, dpod, drid, dpvc, dpv;
    uint32_t *ns = malloc(VN_PODS * sizeof *ns), *node = malloc(VN_PODS * sizeof *node),
             *pod = malloc(VN_PODS * sizeof *pod), *rid = malloc(VN_PODS * sizeof *rid);
    int64_t *ts = malloc(VN_PODS * sizeof *ts);
    double *num = malloc(VN_PODS * sizeof *num);
    uint32_t sns[VN_STO], spod[VN_STO], spvc[VN_STO], spv[VN_STO];
    int64_t sts[VN_STO];
    double sb[VN_STO];
    struct agg_partial *one = new_partial(), *many = new_partial();
    struct ocp_batch b;
    char *t1, *t2, *at, line[64];
    uint32_t i, from, nsto = 0;
    int k;

    gdict_make(&dns, "ns", 5);
    gdict_make(&dnode, "n", VN_NODES);
    gdict_make(&dpod, "q", VN_PODS);
    gdict_make(&drid, "r", VN_NODES);
    gdict_make(&dpvc, "c", VN_STO);
    gdict_make(&dpv, "v", VN_STO);
    for (i = 0; i < VN_PODS; i++) {
        ns[i] = i % 5;
        node[i] = i % VN_NODES;
        pod[i] = i;
        rid[i] = i % VN_NODES;
        ts[i] = (int64_t)20000 * DAY_US + (int64_t)(i % 3) * HOUR_US;
        num[i] = (double)(i % 1000) / 8.0;
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = VN_PODS;
    b.col[POD_INTERVAL_START].present = 1;
    b.col[POD_INTERVAL_START].ts = ts;
    gdict_column(&b.col[POD_NAMESPACE], ns, &dns);
    gdict_column(&b.col[POD_NODE], node, &dnode);
    gdict_column(&b.col[POD_POD], pod, &dpod);
    gdict_column(&b.col[POD_RESOURCE_ID], rid, &drid);
    for (k = POD_USAGE_CPU; k <= POD_CAP_MEM_SEC; k++) {
        b.col[k].present = 1;
        b.col[k].num = num;
    }
    CHECK_INT(agg_partial_add(one, &b, NULL), OCP_OK);
    for (from = 0; from < VN_PODS; from += 997) {
        struct ocp_batch s = bb_slice(&b, from, VN_PODS - from < 997 ? VN_PODS : from + 997);
        CHECK_INT(agg_partial_add(many, &s, NULL), OCP_OK);
    }
    /* Volumes of every 500th pod, from the first to the last. */
    for (i = 0; i < VN_PODS; i += 500) {
        sns[nsto] = i % 5;
        spod[nsto] = i;
        spvc[nsto] = nsto;
        spv[nsto] = nsto;
        sts[nsto] = (int64_t)20000 * DAY_US;
        sb[nsto] = 1e9;
        nsto++;
    }
    CHECK_INT(nsto, VN_STO);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_STORAGE;
    b.nrows = VN_STO;
    b.col[STO_INTERVAL_START].present = 1;
    b.col[STO_INTERVAL_START].ts = sts;
    gdict_column(&b.col[STO_NAMESPACE], sns, &dns);
    gdict_column(&b.col[STO_POD], spod, &dpod);
    gdict_column(&b.col[STO_PVC], spvc, &dpvc);
    gdict_column(&b.col[STO_PV], spv, &dpv);
    b.col[STO_CAP_BYTE_SEC].present = b.col[STO_REQUEST_BYTE_SEC].present =
        b.col[STO_USAGE_BYTE_SEC].present = 1;
    b.col[STO_CAP_BYTE_SEC].num = b.col[STO_REQUEST_BYTE_SEC].num = b.col[STO_USAGE_BYTE_SEC].num =
        sb;
    CHECK_INT(agg_partial_add(one, &b, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(many, &b, NULL), OCP_OK);

    t1 = report_text(one, 0);
    t2 = report_text(many, 1);
    CHECK(strcmp(t1, t2) == 0);
    /* One storage row per volume, on its pod's node: pod q<i> ran on
     * node n<i % 50> (its storage row names the node after the
     * namespace). */
    for (i = 0, at = t1; (at = strstr(at, ",Storage,")) != NULL; at++)
        i++;
    CHECK_INT(i, VN_STO);
    for (i = 0; i < VN_PODS; i += 500) {
        char want[64], *start, *end;
        snprintf(line, sizeof line, ",\"c%u\",\"v%u\",", i / 500, i / 500);
        snprintf(want, sizeof want, ",Storage,%s,%s,\"ns%u\",\"n%u\",", "2024-10-04", "2024-10-04",
                 i % 5, i % VN_NODES);
        at = strstr(t1, line);
        CHECK(at != NULL);
        if (at == NULL)
            continue;
        for (start = at; start > t1 && start[-1] != '\n'; start--)
            ;
        end = strchr(at, '\n');
        CHECK(end != NULL && strstr(start, want) != NULL && strstr(start, want) < end);
    }
    free(t1);
    free(t2);
    agg_partial_destroy(one);
    agg_partial_destroy(many);
    gdict_free(&dns);
    gdict_free(&dnode);
    gdict_free(&dpod);
    gdict_free(&drid);
    gdict_free(&dpvc);
    gdict_free(&dpv);
    free(ns);
    free(node);
    free(pod);
    free(rid);
    free(ts);
    free(num);
}

int main(void)
{
    static const char *enabled[] = {"app", "environment", "tier", "zone", "x", "a", "b", "c"};
    lbl_keys_init(&keys);
    CHECK_INT(lbl_keys_add_many(&keys, enabled, 8), OCP_OK);
    gen_pods();
    RUN(test_memo_and_grown_dictionaries);
    RUN(test_merge_order);
    RUN(test_sort);
    RUN(test_sort_long_labels);
    RUN(test_csv_repeated);
    RUN(test_volume_node_log);
    lbl_keys_release(&keys);
    return TEST_SUMMARY();
}
