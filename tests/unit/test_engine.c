/*
 * test_engine.c - the engine's pieces: exact sums, day ranges, capacity
 * max-then-sum across chunks, gigabyte-months by month length, merge
 * associativity of the serialized form.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchbuild.h"
#include "engine/xsum.h"
#include "ocpagg/agg.h"
#include "ocpagg/labels.h"
#include "ocpagg/text.h"
#include "testlib.h"

#define N NAN
#define G 1073741824.0

static struct lbl_keys keys;

/* Sums in any order give the same bits; a naive double sum does not. */
static void test_xsum_order(void)
{
    double v[1000];
    struct xsum a, b, c;
    double naive_fwd = 0, naive_bwd = 0;
    unsigned s = 12345;
    int i;

    for (i = 0; i < 1000; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (double)(s % 100000) / 7.0 * ((s & 1) ? 1e9 : 1e-3);
    }
    xsum_init(&a);
    xsum_init(&b);
    xsum_init(&c);
    for (i = 0; i < 1000; i++) {
        xsum_add(&a, v[i]);
        naive_fwd += v[i];
    }
    for (i = 999; i >= 0; i--) {
        xsum_add(&b, v[i]);
        naive_bwd += v[i];
    }
    {
        struct xsum part;
        xsum_init(&part);
        for (i = 0; i < 500; i++)
            xsum_add(&part, v[i]);
        for (i = 500; i < 1000; i++)
            xsum_add(&c, v[i]);
        xsum_merge(&c, &part);
    }
    CHECK(xsum_value(&a) == xsum_value(&b));
    CHECK(xsum_value(&a) == xsum_value(&c));
    CHECK_DBL(xsum_value(&a), naive_fwd, fabs(naive_fwd) * 1e-12);
    (void)naive_bwd;
    /* NULL (NaN) is skipped; negatives and fractions are exact. */
    xsum_init(&a);
    xsum_add(&a, N);
    xsum_add(&a, -1.25);
    xsum_add(&a, 0.5);
    CHECK(xsum_value(&a) == -0.75);
    /* Byte-seconds past 2^64 stay exact; inputs of 2^90 and more, and
     * infinities, are refused; a sum past 2^95 says so instead of
     * wrapping. */
    xsum_init(&a);
    for (i = 0; i < 3; i++)
        CHECK_INT(xsum_add(&a, 0x1p61), 0);
    CHECK(xsum_value(&a) == 3 * 0x1p61);
    CHECK_INT(xsum_add(&a, 0x1p64), 0);
    CHECK(xsum_value(&a) == 3 * 0x1p61 + 0x1p64);
    xsum_init(&b);
    CHECK_INT(xsum_add(&b, 0x1p90), 1);
    xsum_init(&b);
    CHECK_INT(xsum_add(&b, -0x1p90), 1);
    xsum_init(&b);
    CHECK_INT(xsum_add(&b, INFINITY), 1);
    CHECK_INT(xsum_add(&b, -INFINITY), 1);
    xsum_init(&b);
    for (i = 0; i < 31; i++)
        CHECK_INT(xsum_add(&b, 0x1.fffffffffffffp89), 0);
    CHECK_INT(xsum_add(&b, 0x1.fffffffffffffp89), 0);
    CHECK_INT(xsum_add(&b, 0x1.fffffffffffffp89), 1);
    xsum_init(&b);
    for (i = 0; i < 32; i++)
        CHECK_INT(xsum_add(&b, -0x1.fffffffffffffp89), 0);
    CHECK_INT(xsum_add(&b, -0x1.fffffffffffffp89), 1);
    /* Fractions are exact: 0.1 reads back as 0.1, not to 2^-32. */
    xsum_init(&a);
    for (i = 0; i < 8; i++)
        xsum_add(&a, 0.125);
    CHECK(xsum_value(&a) == 1.0);
    xsum_init(&a);
    xsum_add(&a, 0.1);
    CHECK(xsum_value(&a) == 0.1);
    xsum_init(&a);
    xsum_add(&a, 1e-6);
    xsum_add(&a, 1e20);
    xsum_add(&a, -1e20);
    CHECK(xsum_value(&a) == 1e-6);
}

static struct agg_partial *partial(int32_t start, int32_t end)
{
    struct agg_partial *p = bb_partial(&keys, start, end, 1);
    CHECK(p != NULL);
    return p;
}

static int finish(struct agg_partial *p, struct rpt_table *t)
{
    struct agg_finish_settings fs;
    memset(&fs, 0, sizeof fs);
    rpt_table_init(t);
    return agg_finish(p, &fs, t, NULL);
}

static const struct rpt_row *find_row(const struct rpt_table *t, int32_t day, const char *ns,
                                      const char *node)
{
    size_t i;
    for (i = 0; i < t->count; i++) {
        const struct rpt_row *r = &t->rows[i];
        if (r->usage_day == day && r->namespace_ && strcmp(r->namespace_, ns) == 0 &&
            ((node == NULL && r->node == NULL) || (node && r->node && strcmp(r->node, node) == 0)))
            return r;
    }
    return NULL;
}

/* One hour of a node split over two chunks counts its capacity once: the
 * max per (node, hour) comes before the sum over hours. */
static void test_capacity_split_hour(void)
{
    struct bb_store st = {{0}, 0};
    const int64_t ts[4] = {0, 0, 3600000000, 3600000000};
    const char *ns[4] = {"a", "b", "a", "b"};
    const char *node[4] = {"n", "n", "n", "n"};
    const double one[4] = {1, 1, 1, 1};
    const double cap[4] = {3600, 7200, 7200, 7200};
    struct ocp_batch b, h1, h2;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX), *q = partial(INT32_MIN, INT32_MAX);
    struct rpt_table t;
    const struct rpt_row *r;
    int32_t day0 = 0;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 4;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 4);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 4);
    b.col[POD_NODE] = bb_strings(&st, node, 4);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, one, 4);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cap, 4);
    b.col[POD_CAP_MEM_SEC] = bb_numbers(&st, cap, 4);
    h1 = bb_slice(&b, 0, 1);
    h2 = bb_slice(&b, 1, 4);
    CHECK_INT(agg_partial_add(p, &h1, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(q, &h2, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge(p, q, NULL), OCP_OK);
    CHECK_INT(finish(p, &t), OCP_OK);
    r = find_row(&t, day0, "a", "n");
    CHECK(r != NULL);
    if (r) {
        /* max(3600, 7200) at hour 0 + 7200 at hour 1 = 14400 s = 4 h. */
        CHECK_DBL(r->num[RPT_NODE_CAP_CPU_HOURS], 4.0, 0);
        CHECK_DBL(r->num[RPT_CLUSTER_CAP_CPU_HOURS], 4.0, 0);
        CHECK_DBL(r->num[RPT_NODE_CAP_MEM_GBH], 4.0 / G, 1e-24);
        CHECK(isnan(r->num[RPT_NODE_CAP_CPU_CORES])); /* no cores column */
        CHECK_DBL(r->num[RPT_POD_USAGE_CPU_HOURS], 2.0 / 3600.0, 0);
    }
    rpt_table_release(&t);
    agg_partial_destroy(p);
    agg_partial_destroy(q);
    bb_release(&st);
}

/* start_date/end_date are inclusive UTC days; rows outside are counted. */
static void test_day_range(void)
{
    struct bb_store st = {{0}, 0};
    const int64_t day = INT64_C(86400000000);
    const int64_t ts[4] = {9 * day + day - 1, 10 * day, 11 * day + day - 1, 12 * day};
    const char *ns[4] = {"a", "a", "a", "a"};
    const char *node[4] = {"n", "n", "n", "n"};
    const double one[4] = {3600, 3600, 3600, 3600};
    struct ocp_batch b;
    struct agg_partial *p = partial(10, 11);
    struct agg_stats s;
    struct rpt_table t;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 4;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 4);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 4);
    b.col[POD_NODE] = bb_strings(&st, node, 4);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, one, 4);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    agg_partial_stats(p, &s);
    CHECK_INT(s.rows_out_of_range, 2);
    CHECK_INT(s.rows_read[OCP_TABLE_POD], 4);
    CHECK_INT(s.pod_groups, 2);
    CHECK_INT(finish(p, &t), OCP_OK);
    CHECK(find_row(&t, 10, "a", "n") != NULL);
    CHECK(find_row(&t, 11, "a", "n") != NULL);
    CHECK(find_row(&t, 9, "a", "n") == NULL);
    rpt_table_release(&t);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* A row on a day no date text spells (past 9999-12-31 or before
 * 0001-01-01: say microseconds read as milliseconds) is a data error
 * naming interval_start, in an open run and in a run of dates alike, for
 * pod, storage and label rows; 9999-12-31 itself is a day. */
static void test_day_text_range(void)
{
    const int64_t day = INT64_C(86400000000);
    const int64_t last = (int64_t)TXT_DAY_MAX * day, first = (int64_t)TXT_DAY_MIN * day;
    const int64_t bad[4] = {last + day, first - 1, INT64_MAX, INT64_MIN + 1};
    const char *ns[1] = {"a"}, *node[1] = {"n"}, *lab[1] = {"{}"};
    const double one[1] = {3600};
    int run, k, table;

    for (run = 0; run < 2; run++) {
        for (k = 0; k < 4; k++) {
            for (table = 0; table < 3; table++) {
                struct bb_store st = {{0}, 0};
                struct agg_partial *p = run == 0 ? partial(INT32_MIN, INT32_MAX) : partial(10, 11);
                struct ocp_batch b;
                struct ocp_error err;
                const int64_t ts[1] = {bad[k]};

                memset(&b, 0, sizeof b);
                b.nrows = 1;
                if (table == 0) {
                    b.table = OCP_TABLE_POD;
                    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 1);
                    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 1);
                    b.col[POD_NODE] = bb_strings(&st, node, 1);
                    b.col[POD_USAGE_CPU] = bb_numbers(&st, one, 1);
                } else if (table == 1) {
                    b.table = OCP_TABLE_STORAGE;
                    b.col[STO_INTERVAL_START] = bb_times(&st, ts, 1);
                    b.col[STO_NAMESPACE] = bb_strings(&st, ns, 1);
                    b.col[STO_POD] = bb_strings(&st, node, 1);
                    b.col[STO_USAGE_BYTE_SEC] = bb_numbers(&st, one, 1);
                } else {
                    b.table = OCP_TABLE_NODE_LABELS;
                    b.col[NL_INTERVAL_START] = bb_times(&st, ts, 1);
                    b.col[NL_NODE] = bb_strings(&st, node, 1);
                    b.col[NL_LABELS] = bb_strings(&st, lab, 1);
                }
                ocp_error_clear(&err);
                CHECK_INT(agg_partial_add(p, &b, &err), OCP_ERR_DATA);
                CHECK_STR(err.column, "interval_start");
                CHECK(strstr(err.message, "outside the years 0001 to 9999") != NULL);
                agg_partial_destroy(p);
                bb_release(&st);
            }
        }
    }
    {
        /* The last day a text spells is a day like any other. */
        struct bb_store st = {{0}, 0};
        struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
        struct ocp_batch b;
        struct rpt_table t;
        const int64_t ts[1] = {last + day - 1};
        char text[11];

        memset(&b, 0, sizeof b);
        b.table = OCP_TABLE_POD;
        b.nrows = 1;
        b.col[POD_INTERVAL_START] = bb_times(&st, ts, 1);
        b.col[POD_NAMESPACE] = bb_strings(&st, ns, 1);
        b.col[POD_NODE] = bb_strings(&st, node, 1);
        b.col[POD_USAGE_CPU] = bb_numbers(&st, one, 1);
        CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
        CHECK_INT(finish(p, &t), OCP_OK);
        CHECK(find_row(&t, TXT_DAY_MAX, "a", "n") != NULL);
        txt_format_date(TXT_DAY_MAX, text);
        CHECK_STR(text, "9999-12-31");
        txt_format_date(TXT_DAY_MIN, text);
        CHECK_STR(text, "0001-01-01");
        rpt_table_release(&t);
        agg_partial_destroy(p);
        bb_release(&st);
    }
}

/* Gigabyte-months divide by the real length of the month. */
static void test_storage_month_length(void)
{
    struct bb_store st = {{0}, 0};
    int32_t feb24, jul25;
    int64_t ts[2];
    const char *ns[2] = {"s", "s"};
    const char *pod[2] = {"p", "p"};
    const char *pvc[2] = {"c", "c"};
    const char *pv[2] = {"v", "v"};
    const double bsec[2] = {G * 86400.0, G * 86400.0};
    struct ocp_batch b;
    struct agg_partial *p;
    struct rpt_table t;
    const struct rpt_row *r;

    CHECK_INT(txt_parse_date("2024-02-10", 10, &feb24), 0);
    CHECK_INT(txt_parse_date("2025-07-10", 10, &jul25), 0);
    ts[0] = (int64_t)feb24 * INT64_C(86400000000);
    ts[1] = (int64_t)jul25 * INT64_C(86400000000);
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_STORAGE;
    b.nrows = 2;
    b.col[STO_INTERVAL_START] = bb_times(&st, ts, 2);
    b.col[STO_NAMESPACE] = bb_strings(&st, ns, 2);
    b.col[STO_POD] = bb_strings(&st, pod, 2);
    b.col[STO_PVC] = bb_strings(&st, pvc, 2);
    b.col[STO_PV] = bb_strings(&st, pv, 2);
    b.col[STO_CAP_BYTE_SEC] = bb_numbers(&st, bsec, 2);
    b.col[STO_REQUEST_BYTE_SEC] = bb_numbers(&st, bsec, 2);
    b.col[STO_USAGE_BYTE_SEC] = bb_numbers(&st, bsec, 2);
    p = partial(INT32_MIN, INT32_MAX);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    CHECK_INT(finish(p, &t), OCP_OK);
    r = find_row(&t, feb24, "s", NULL);
    CHECK(r != NULL);
    if (r) {
        CHECK_DBL(r->num[RPT_PVC_CAP_GB_MONTHS], 1.0 / 29.0, 1e-15); /* leap February */
        CHECK_DBL(r->num[RPT_VOLUME_REQUEST_GB_MONTHS], 1.0 / 29.0, 1e-15);
        CHECK(r->node == NULL && r->resource_id == NULL);
        CHECK(isnan(r->num[RPT_PVC_CAP_GB]));
        CHECK(isnan(r->num[RPT_POD_USAGE_CPU_HOURS]));
    }
    r = find_row(&t, jul25, "s", NULL);
    CHECK(r != NULL);
    if (r)
        CHECK_DBL(r->num[RPT_PVC_USAGE_GB_MONTHS], 1.0 / 31.0, 1e-15);
    rpt_table_release(&t);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* Node role from settings wins over data; another role gets no row. */
static void test_roles(void)
{
    struct bb_store st = {{0}, 0};
    const int64_t ts[3] = {0, 0, 0};
    const char *ns[3] = {"x", "x", "x"};
    const char *node[3] = {"a", "b", "c"};
    const char *role[3] = {"worker", "gpu", ""};
    const double cap[3] = {3600, 3600, 3600};
    struct agg_node_role roles[1] = {{"a", "infra"}};
    struct agg_finish_settings fs;
    struct ocp_batch b;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct rpt_table t;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 3;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 3);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 3);
    b.col[POD_NODE] = bb_strings(&st, node, 3);
    b.col[POD_NODE_ROLE] = bb_strings(&st, role, 3);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cap, 3);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    memset(&fs, 0, sizeof fs);
    fs.node_roles = roles;
    fs.n_node_roles = 1;
    rpt_table_init(&t);
    CHECK_INT(agg_finish(p, &fs, &t, NULL), OCP_OK);
    CHECK(find_row(&t, 0, "Platform unallocated", "a") != NULL);
    CHECK(find_row(&t, 0, "Worker unallocated", "a") == NULL);
    CHECK(find_row(&t, 0, "Platform unallocated", "b") == NULL); /* "gpu" */
    CHECK(find_row(&t, 0, "Worker unallocated", "b") == NULL);
    CHECK(find_row(&t, 0, "Worker unallocated", "c") != NULL); /* empty role → rule */
    rpt_table_release(&t);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* Sums past 2^64 are exact; an infinity, a value of 2^90 or more and a
 * sum past 2^95 are data errors naming the column, day and node, never a
 * wrong number. */
static int add_mem(const double *v, size_t n, const char *column_kind, struct ocp_error *err,
                   double *sum_out)
{
    struct bb_store st = {{0}, 0};
    int64_t ts[40];
    const char *ns[40], *node[40];
    struct ocp_batch b;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct rpt_table t;
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        ts[i] = 86400000000LL * 20000;
        ns[i] = "ns-a";
        node[i] = "node-1";
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = n;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, n);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, n);
    b.col[POD_NODE] = bb_strings(&st, node, n);
    if (strcmp(column_kind, "capacity") == 0)
        b.col[POD_CAP_MEM_BYTES] = bb_numbers(&st, v, n);
    else
        b.col[POD_USAGE_MEM] = bb_numbers(&st, v, n);
    ocp_error_clear(err);
    rc = agg_partial_add(p, &b, err);
    if (rc == OCP_OK && sum_out != NULL) {
        CHECK_INT(finish(p, &t), OCP_OK);
        for (i = 0; i < t.count; i++)
            if (t.rows[i].namespace_ != NULL && strcmp(t.rows[i].namespace_, "ns-a") == 0)
                *sum_out = t.rows[i].num[RPT_POD_USAGE_MEM_GBH];
        rpt_table_release(&t);
    }
    agg_partial_destroy(p);
    bb_release(&st);
    return rc;
}

static void test_overflow_is_error(void)
{
    struct ocp_error err;
    double big[40], sum = 0;
    size_t i;

    /* 3 x 4e18 byte-seconds passed the old 2^63 limit; now exact. */
    for (i = 0; i < 3; i++)
        big[i] = 4e18;
    CHECK_INT(add_mem(big, 3, "usage", &err, &sum), OCP_OK);
    CHECK(sum == 1.2e19 / 3600.0 / 1073741824.0);
    /* A value of 2^90 or more names the column, day and node. */
    big[0] = 0x1p90;
    CHECK_INT(add_mem(big, 1, "usage", &err, NULL), OCP_ERR_DATA);
    CHECK_STR(err.column, "pod_usage_memory_byte_seconds");
    CHECK(strstr(err.message, "2^90") != NULL);
    CHECK(strstr(err.message, "2024-10-04") != NULL);
    CHECK(strstr(err.message, "node-1") != NULL);
    CHECK(strstr(err.message, "ns-a") != NULL);
    /* Infinity in a sum or in a maximum is an error, never "inf". */
    big[0] = INFINITY;
    CHECK_INT(add_mem(big, 1, "usage", &err, NULL), OCP_ERR_DATA);
    CHECK(strstr(err.message, "infinite") != NULL);
    big[0] = -INFINITY;
    CHECK_INT(add_mem(big, 1, "capacity", &err, NULL), OCP_ERR_DATA);
    CHECK_STR(err.column, "node_capacity_memory_bytes");
    /* 33 values just under 2^90 pass 2^95: the sum says so. */
    for (i = 0; i < 33; i++)
        big[i] = 0x1.fffffffffffffp89;
    CHECK_INT(add_mem(big, 32, "usage", &err, NULL), OCP_OK);
    CHECK_INT(add_mem(big, 33, "usage", &err, NULL), OCP_ERR_DATA);
    CHECK(strstr(err.message, "2^95") != NULL);
}

static void test_format_double(void)
{
    char buf[40];
    rpt_format_double(0.1, buf);
    CHECK_STR(buf, "0.1");
    rpt_format_double(1.0 / 3.0, buf);
    CHECK(strtod(buf, NULL) == 1.0 / 3.0);
    rpt_format_double(-0.0, buf);
    CHECK_STR(buf, "0");
    rpt_format_double(1e300, buf);
    CHECK_STR(buf, "1e+300");
}

/* The CSV field of s: quoted, each '"' doubled. */
static void csv_quote(const char *s, char *out)
{
    *out++ = '"';
    for (; *s; s++) {
        *out++ = *s;
        if (*s == '"')
            *out++ = '"';
    }
    *out++ = '"';
    *out = '\0';
}

/* Checks every row's label CSV field against quoting its text; returns
 * the all_labels of the row of pod `rid` on day, or NULL. */
static const char *labels_of(const struct rpt_table *t, int32_t day, const char *rid)
{
    const char *found = NULL;
    size_t i;
    for (i = 0; i < t->count; i++) {
        const struct rpt_row *r = &t->rows[i];
        char q[512];
        if (r->all_labels != NULL && r->all_labels_csv != NULL && strlen(r->all_labels) < 200) {
            csv_quote(r->all_labels, q);
            CHECK_INT((long long)r->all_labels_csv_len, (long long)strlen(q));
            CHECK(memcmp(r->all_labels_csv, q, r->all_labels_csv_len) == 0);
        }
        if (r->usage_day == day && r->resource_id != NULL && strcmp(r->resource_id, rid) == 0)
            found = r->all_labels;
    }
    return found;
}

/* Merged labels (node, then namespace, then pod; the later key wins)
 * with quotes and backslashes in values, finished day by day through one
 * index (its cache lasting from day to day) and all at once: the same
 * texts, each row's CSV field its text quoted, and the text of a pod
 * whose node labels changed under an overridden key the same on both
 * days. */
static void same_rows(const struct rpt_table *t1, const struct rpt_table *t2);

static void test_finish_labels(void)
{
    struct bb_store st = {{0}, 0};
    const int64_t ts[4] = {0, 0, 86400000000, 86400000000};
    const char *ns[4] = {"x", "x", "x", "x"};
    const char *node[4] = {"n", "n", "n", "n"};
    const char *rid[4] = {"r1", "r2", "r1", "r2"};
    const char *pod[4] = {"p1", "p2", "p1", "p2"};
    const char *plab[4] = {"{\"app\":\"a\\\"q\",\"tier\":\"b\\\\c\"}", "{\"tier\":\"t\"}",
                           "{\"app\":\"a\\\"q\",\"tier\":\"b\\\\c\"}", "{\"tier\":\"t\"}"};
    const double one[4] = {1, 1, 1, 1};
    const int64_t nts[2] = {0, 86400000000};
    const char *nnode[2] = {"n", "n"};
    const char *nlab[2] = {"{\"app\":\"node\",\"env\":\"prod\"}",
                           "{\"app\":\"other\",\"env\":\"prod\"}"};
    struct ocp_batch b, nb;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct agg_day_index *ix = NULL;
    struct agg_finish_settings fs;
    struct rpt_table all, d0, d1;
    const char *want1 = "{\"app\":\"a\\\"q\",\"env\":\"prod\",\"tier\":\"b\\\\c\"}";

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 4;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 4);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 4);
    b.col[POD_NODE] = bb_strings(&st, node, 4);
    b.col[POD_POD] = bb_strings(&st, pod, 4);
    b.col[POD_RESOURCE_ID] = bb_strings(&st, rid, 4);
    b.col[POD_LABELS] = bb_strings(&st, plab, 4);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, one, 4);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, one, 4);
    memset(&nb, 0, sizeof nb);
    nb.table = OCP_TABLE_NODE_LABELS;
    nb.nrows = 2;
    nb.col[NL_INTERVAL_START] = bb_times(&st, nts, 2);
    nb.col[NL_NODE] = bb_strings(&st, nnode, 2);
    nb.col[NL_LABELS] = bb_strings(&st, nlab, 2);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &nb, NULL), OCP_OK);
    CHECK_INT(finish(p, &all), OCP_OK);
    CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
    memset(&fs, 0, sizeof fs);
    rpt_table_init(&d0);
    rpt_table_init(&d1);
    CHECK_INT(agg_finish_day(p, ix, &fs, 0, &d0, NULL), OCP_OK);
    CHECK_INT(agg_finish_day(p, ix, &fs, 1, &d1, NULL), OCP_OK);
    /* d0's rows borrow the index's label texts (agg.h): day 1's finish
     * through the same cache and a trim of caches within their bound
     * leave them as they were (texts and CSV fields, labels_of). */
    agg_day_index_trim(ix);
    CHECK(labels_of(&all, 0, "r1") != NULL && strcmp(labels_of(&all, 0, "r1"), want1) == 0);
    CHECK(labels_of(&all, 1, "r1") != NULL && strcmp(labels_of(&all, 1, "r1"), want1) == 0);
    CHECK(labels_of(&d0, 0, "r1") != NULL && strcmp(labels_of(&d0, 0, "r1"), want1) == 0);
    CHECK(labels_of(&d1, 1, "r1") != NULL && strcmp(labels_of(&d1, 1, "r1"), want1) == 0);
    CHECK(labels_of(&d0, 0, "r2") != NULL &&
          strcmp(labels_of(&d0, 0, "r2"), "{\"app\":\"node\",\"env\":\"prod\",\"tier\":\"t\"}") ==
              0);
    CHECK(labels_of(&d1, 1, "r2") != NULL &&
          strcmp(labels_of(&d1, 1, "r2"), "{\"app\":\"other\",\"env\":\"prod\",\"tier\":\"t\"}") ==
              0);
    CHECK_INT((long long)all.count, (long long)(d0.count + d1.count));
    rpt_table_release(&all);
    rpt_table_release(&d0);
    rpt_table_release(&d1);
    agg_day_index_destroy(ix);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* Pod groups whose merged labels come out equal are one report row: p1
 * has its own app=a on a node labelled app=a, p2 only the node's, so
 * both merge to {"app":"a"} (two partial groups, one final group, the
 * emit_pods path that copies a group's value before merging the next
 * into it); p3 stays a row of its own.  The sums are the exact sums of
 * both groups' rows, the resource id the greater, and a second finish of
 * the same day (through the same cache) and agg_finish give the same rows:
 * the partial's groups were not changed by the merge. */
static void test_joined_groups(void)
{
    struct bb_store st = {{0}, 0};
    const int64_t ts[5] = {0, 3600000000, 0, 3600000000, 0};
    const char *ns[5] = {"x", "x", "x", "x", "x"};
    const char *node[5] = {"n", "n", "n", "n", "n"};
    const char *pod[5] = {"p1", "p1", "p2", "p2", "p3"};
    const char *rid[5] = {"r1", "r1", "r2", "r2", "r3"};
    const char *plab[5] = {"{\"app\":\"a\"}", "{\"app\":\"a\"}", "{}", "{}", "{\"env\":\"e\"}"};
    const double use[5] = {1.5, 0.25, 2.25, 0.125, 7.0};
    const double cap[5] = {4, 4, 4, 4, 4};
    const int64_t nts[1] = {0};
    const char *nnode[1] = {"n"}, *nlab[1] = {"{\"app\":\"a\"}"};
    struct ocp_batch b, nb;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct agg_day_index *ix = NULL;
    struct agg_finish_settings fs;
    struct rpt_table all, d0, again;
    int pass;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 5;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, 5);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, 5);
    b.col[POD_NODE] = bb_strings(&st, node, 5);
    b.col[POD_POD] = bb_strings(&st, pod, 5);
    b.col[POD_RESOURCE_ID] = bb_strings(&st, rid, 5);
    b.col[POD_LABELS] = bb_strings(&st, plab, 5);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, use, 5);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cap, 5);
    memset(&nb, 0, sizeof nb);
    nb.table = OCP_TABLE_NODE_LABELS;
    nb.nrows = 1;
    nb.col[NL_INTERVAL_START] = bb_times(&st, nts, 1);
    nb.col[NL_NODE] = bb_strings(&st, nnode, 1);
    nb.col[NL_LABELS] = bb_strings(&st, nlab, 1);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &nb, NULL), OCP_OK);
    {
        struct agg_stats sts;
        agg_partial_stats(p, &sts);
        CHECK_INT((long long)sts.pod_groups, 3); /* p1, p2, p3: own labels differ */
    }
    CHECK_INT(finish(p, &all), OCP_OK);
    CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
    memset(&fs, 0, sizeof fs);
    rpt_table_init(&d0);
    rpt_table_init(&again);
    CHECK_INT(agg_finish_day(p, ix, &fs, 0, &d0, NULL), OCP_OK);
    CHECK_INT(agg_finish_day(p, ix, &fs, 0, &again, NULL), OCP_OK);
    for (pass = 0; pass < 3; pass++) {
        const struct rpt_table *t = pass == 0 ? &all : pass == 1 ? &d0 : &again;
        const struct rpt_row *joined = NULL, *own = NULL;
        size_t i, pods = 0;
        for (i = 0; i < t->count; i++) {
            const struct rpt_row *r = &t->rows[i];
            /* (The node's unallocated rows are pod rows too.) */
            if (r->source != RPT_SOURCE_POD || r->namespace_ == NULL ||
                strcmp(r->namespace_, "x") != 0)
                continue;
            pods++;
            if (r->all_labels != NULL && strcmp(r->all_labels, "{\"app\":\"a\"}") == 0)
                joined = r;
            else if (r->all_labels != NULL &&
                     strcmp(r->all_labels, "{\"app\":\"a\",\"env\":\"e\"}") == 0)
                own = r;
        }
        CHECK_INT((long long)pods, 2);
        CHECK(joined != NULL && own != NULL);
        if (joined == NULL || own == NULL)
            continue;
        CHECK(joined->num[RPT_POD_USAGE_CPU_HOURS] == (1.5 + 0.25 + 2.25 + 0.125) / 3600.0);
        CHECK(joined->resource_id != NULL && strcmp(joined->resource_id, "r2") == 0);
        CHECK(own->num[RPT_POD_USAGE_CPU_HOURS] == 7.0 / 3600.0);
        CHECK(own->resource_id != NULL && strcmp(own->resource_id, "r3") == 0);
    }
    same_rows(&d0, &again);
    rpt_table_release(&all);
    rpt_table_release(&d0);
    rpt_table_release(&again);
    agg_day_index_destroy(ix);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* One window's worth of rows: pods (many, so the tables grow past their
 * first sizes), node and namespace labels, storage, all on days
 * day0 and day0 + 1, with names that depend on `tag`. */
struct win_batches {
    struct ocp_batch pod, nl, nsl, sto;
};

#define WIN_ROWS 3000

static void win_build(struct bb_store *st, int32_t day0, const char *tag, struct win_batches *w)
{
    static char names[4][WIN_ROWS][32];
    static const char *ns[WIN_ROWS], *node[WIN_ROWS], *pod[WIN_ROWS], *lab[WIN_ROWS];
    static int64_t ts[WIN_ROWS];
    static double v[WIN_ROWS];
    const char *nlab[2] = {"{\"app\":\"n\",\"env\":\"e\"}", "{\"app\":\"m\"}"};
    const char *nnode[2], *sns[2], *spod[2], *spvc[2] = {"c1", "c2"};
    int64_t nts[2];
    double sv[2] = {G, 2 * G};
    size_t i;

    for (i = 0; i < WIN_ROWS; i++) {
        snprintf(names[0][i], 32, "%s-ns%zu", tag, i % 7);
        snprintf(names[1][i], 32, "%s-node%zu", tag, i % 5);
        snprintf(names[2][i], 32, "%s-pod%zu", tag, i % 1100);
        snprintf(names[3][i], 32, "{\"app\":\"%s%zu\"}", tag, i % 1500);
        ns[i] = names[0][i];
        node[i] = i % 97 == 0 ? NULL : names[1][i];
        pod[i] = names[2][i];
        lab[i] = names[3][i];
        ts[i] = ((int64_t)day0 + (int64_t)(i % 2)) * 86400000000 + (int64_t)(i % 24) * 3600000000;
        v[i] = (double)(i % 17) * 0.25;
    }
    memset(w, 0, sizeof *w);
    w->pod.table = OCP_TABLE_POD;
    w->pod.nrows = WIN_ROWS;
    w->pod.col[POD_INTERVAL_START] = bb_times(st, ts, WIN_ROWS);
    w->pod.col[POD_NAMESPACE] = bb_strings(st, ns, WIN_ROWS);
    w->pod.col[POD_NODE] = bb_strings(st, node, WIN_ROWS);
    w->pod.col[POD_POD] = bb_strings(st, pod, WIN_ROWS);
    w->pod.col[POD_RESOURCE_ID] = bb_strings(st, pod, WIN_ROWS);
    w->pod.col[POD_LABELS] = bb_strings(st, lab, WIN_ROWS);
    w->pod.col[POD_USAGE_CPU] = bb_numbers(st, v, WIN_ROWS);
    w->pod.col[POD_REQUEST_MEM] = bb_numbers(st, v, WIN_ROWS);
    w->pod.col[POD_CAP_CPU_SEC] = bb_numbers(st, v, WIN_ROWS);
    nnode[0] = nnode[1] = names[1][1];
    nts[0] = (int64_t)day0 * 86400000000;
    nts[1] = nts[0] + 86400000000;
    w->nl.table = OCP_TABLE_NODE_LABELS;
    w->nl.nrows = 2;
    w->nl.col[NL_INTERVAL_START] = bb_times(st, nts, 2);
    w->nl.col[NL_NODE] = bb_strings(st, nnode, 2);
    w->nl.col[NL_LABELS] = bb_strings(st, nlab, 2);
    sns[0] = sns[1] = names[0][2];
    w->nsl.table = OCP_TABLE_NAMESPACE_LABELS;
    w->nsl.nrows = 2;
    w->nsl.col[NSL_INTERVAL_START] = bb_times(st, nts, 2);
    w->nsl.col[NSL_NAMESPACE] = bb_strings(st, sns, 2);
    w->nsl.col[NSL_LABELS] = bb_strings(st, nlab, 2);
    spod[0] = spod[1] = names[2][2];
    w->sto.table = OCP_TABLE_STORAGE;
    w->sto.nrows = 2;
    w->sto.col[STO_INTERVAL_START] = bb_times(st, nts, 2);
    w->sto.col[STO_NAMESPACE] = bb_strings(st, sns, 2);
    w->sto.col[STO_POD] = bb_strings(st, spod, 2);
    w->sto.col[STO_PVC] = bb_strings(st, spvc, 2);
    w->sto.col[STO_CAP_BYTES] = bb_numbers(st, sv, 2);
    w->sto.col[STO_CAP_BYTE_SEC] = bb_numbers(st, sv, 2);
}

static void win_add(struct agg_partial *p, const struct win_batches *w)
{
    CHECK_INT(agg_partial_add(p, &w->pod, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &w->nl, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &w->nsl, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &w->sto, NULL), OCP_OK);
}

/* A reset partial aggregates exactly like a new one: the same serialized
 * bytes (strings, entries in order, counters) and the same report rows,
 * also for batches whose dictionaries it saw before the reset (same
 * serial and size: the id maps must not survive) and under settings of
 * another day range. */
/* Two finished tables have the same rows (and some). */
static void same_rows(const struct rpt_table *t1, const struct rpt_table *t2)
{
    size_t i;

    CHECK(t1->count > 0);
    CHECK_INT((long long)t1->count, (long long)t2->count);
    for (i = 0; i < t1->count && i < t2->count; i++) {
        const struct rpt_row *x = &t1->rows[i], *y = &t2->rows[i];
        CHECK(x->usage_day == y->usage_day && x->source == y->source);
        CHECK(strcmp(x->uuid, y->uuid) == 0);
        CHECK((x->namespace_ == NULL) == (y->namespace_ == NULL) &&
              (x->namespace_ == NULL || strcmp(x->namespace_, y->namespace_) == 0));
        CHECK((x->all_labels == NULL) == (y->all_labels == NULL) &&
              (x->all_labels == NULL || strcmp(x->all_labels, y->all_labels) == 0));
        CHECK(memcmp(x->num, y->num, sizeof x->num) == 0);
    }
}

static uint64_t message_ids(const unsigned char *b, size_t len);

static int every_day(int32_t day, void *ctx)
{
    (void)day;
    (void)ctx;
    return 1;
}

/* Two partials counted the same rows and groups. */
static void same_stats(const struct agg_partial *x, const struct agg_partial *y)
{
    struct agg_stats a, b;
    int t;

    agg_partial_stats(x, &a);
    agg_partial_stats(y, &b);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        CHECK_INT((long long)a.rows_read[t], (long long)b.rows_read[t]);
    CHECK_INT((long long)a.rows_out_of_range, (long long)b.rows_out_of_range);
    CHECK_INT((long long)a.rows_no_node, (long long)b.rows_no_node);
    CHECK_INT((long long)a.bad_label_rows, (long long)b.bad_label_rows);
    CHECK_INT((long long)a.pod_groups, (long long)b.pod_groups);
    CHECK_INT((long long)a.storage_groups, (long long)b.storage_groups);
    CHECK_INT((long long)a.capacity_entries, (long long)b.capacity_entries);
}

static void test_partial_reset(void)
{
    struct bb_store st = {{0}, 0};
    struct win_batches a, b;
    struct agg_partial *reused = partial(0, 1), *fresh;
    unsigned char *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    struct agg_settings s;
    struct rpt_table t1, t2;
    struct agg_stats sa;

    win_build(&st, 0, "a", &a);
    win_build(&st, 2, "b", &b);
    win_add(reused, &a);
    agg_partial_stats(reused, &sa);
    CHECK(sa.pod_groups > 1000);
    memset(&s, 0, sizeof s);
    s.start_day = 1; /* another range: drops window a's day 0 rows */
    s.end_day = 3;
    s.enabled = &keys;
    s.track_volume_nodes = 1;
    CHECK_INT(agg_partial_reset(reused, &s, NULL), OCP_OK);
    agg_partial_stats(reused, &sa);
    CHECK_INT((long long)sa.pod_groups, 0);
    CHECK_INT((long long)sa.rows_read[OCP_TABLE_POD], 0);
    fresh = partial(1, 3);
    win_add(reused, &a); /* dictionaries seen just before the reset */
    win_add(reused, &b);
    win_add(fresh, &a);
    win_add(fresh, &b);
    /* The reset partial kept its strings, under other ids: the groups
     * are compared as the exchange sends them, with the strings they
     * name numbered by first use (the same length: the same groups and
     * strings; the volume nodes' order follows the ids), then finished. */
    CHECK_INT(agg_partial_serialize_days(reused, every_day, NULL, &b1, &l1, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_days(fresh, every_day, NULL, &b2, &l2, NULL), OCP_OK);
    CHECK(l1 > 100000);
    CHECK_INT((long long)l1, (long long)l2);
    CHECK(message_ids(b1, l1) == message_ids(b2, l2));
    same_stats(reused, fresh);
    CHECK_INT(finish(reused, &t1), OCP_OK);
    CHECK_INT(finish(fresh, &t2), OCP_OK);
    same_rows(&t1, &t2);
    rpt_table_release(&t1);
    rpt_table_release(&t2);
    free(b1);
    free(b2);
    agg_partial_destroy(reused);
    agg_partial_destroy(fresh);
    bb_release(&st);
}

/* One pod batch of n rows at the start of day 0, each using one CPU
 * core-second on a node of one core-second: row i in namespace ns[i] on
 * node node[i], pod and resource id rid[i], pod labels lab[i] (lab NULL:
 * no labels column; lab[i] NULL: no labels). */
static struct ocp_batch day0_batch(struct bb_store *st, size_t n, const char *const *ns,
                                   const char *const *node, const char *const *rid,
                                   const char *const *lab)
{
    int64_t *ts = bb_keep(st, calloc(n + 1, sizeof *ts));
    double *one = bb_keep(st, calloc(n + 1, sizeof *one));
    struct ocp_batch b;
    size_t i;

    for (i = 0; i < n; i++)
        one[i] = 1;
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = n;
    b.col[POD_INTERVAL_START] = bb_times(st, ts, n);
    b.col[POD_NAMESPACE] = bb_strings(st, ns, n);
    b.col[POD_NODE] = bb_strings(st, node, n);
    b.col[POD_POD] = bb_strings(st, rid, n);
    b.col[POD_RESOURCE_ID] = bb_strings(st, rid, n);
    if (lab != NULL)
        b.col[POD_LABELS] = bb_strings(st, lab, n);
    b.col[POD_USAGE_CPU] = bb_numbers(st, one, n);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(st, one, n);
    return b;
}

/* The pod_labels of the day-0 pod row of namespace "x" on node rid ("-"
 * for a row without labels), or NULL when there is no such row. */
static const char *pod_labels_of(const struct rpt_table *t, const char *rid)
{
    const struct rpt_row *r = find_row(t, 0, "x", rid);
    return r == NULL ? NULL : r->pod_labels != NULL ? r->pod_labels : "-";
}

/* Rows without labels (NULL) resolve through the kept answer for the
 * empty text: the same labels as an empty text, also after a reset that
 * dropped the strings (other enabled keys), when the label text first
 * seen afterwards takes the raw id the empty text had. */
static void test_null_labels(void)
{
    struct bb_store st = {{0}, 0};
    const char *rid_a[3] = {"r1", "r2", "r3"}, *lab_a[3] = {NULL, "{\"app\":\"a\"}", ""};
    const char *rid_b[3] = {"r3", "r1", "r2"}, *lab_b[3] = {"{\"app\":\"b\"}", NULL, NULL};
    const char *xs[3] = {"x", "x", "x"};
    /* Each row on a node of its own, so that each is a group of its own. */
    struct ocp_batch a = day0_batch(&st, 3, xs, rid_a, rid_a, lab_a), b;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct lbl_keys keys2;
    struct agg_settings s;
    struct rpt_table t;
    const char *l1, *l3;
    char want[256] = "";

    CHECK_INT(agg_partial_add(p, &a, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &a, NULL), OCP_OK); /* NULL rows again: the kept answer */
    CHECK_INT(finish(p, &t), OCP_OK);
    l1 = pod_labels_of(&t, "r1");
    l3 = pod_labels_of(&t, "r3");
    CHECK(l1 != NULL && l3 != NULL && strcmp(l1, l3) == 0 && strstr(l1, "app") == NULL);
    if (l1 != NULL)
        snprintf(want, sizeof want, "%s", l1);
    CHECK(pod_labels_of(&t, "r2") != NULL && strstr(pod_labels_of(&t, "r2"), "\"a\"") != NULL);
    rpt_table_release(&t);
    /* The same keys in another object: the pools start afresh. */
    lbl_keys_init(&keys2);
    lbl_keys_add(&keys2, "app", 3);
    lbl_keys_add(&keys2, "env", 3);
    lbl_keys_add(&keys2, "tier", 4);
    memset(&s, 0, sizeof s);
    s.start_day = INT32_MIN;
    s.end_day = INT32_MAX;
    s.enabled = &keys2;
    s.track_volume_nodes = 1;
    CHECK_INT(agg_partial_reset(p, &s, NULL), OCP_OK);
    b = day0_batch(&st, 3, xs, rid_b, rid_b, lab_b);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    CHECK_INT(finish(p, &t), OCP_OK);
    CHECK(pod_labels_of(&t, "r3") != NULL && strstr(pod_labels_of(&t, "r3"), "\"b\"") != NULL);
    CHECK(pod_labels_of(&t, "r1") != NULL && strcmp(pod_labels_of(&t, "r1"), want) == 0);
    CHECK(pod_labels_of(&t, "r2") != NULL && strcmp(pod_labels_of(&t, "r2"), want) == 0);
    rpt_table_release(&t);
    agg_partial_destroy(p);
    lbl_keys_release(&keys2);
    bb_release(&st);
}

/* Pod names that churn: each window's rows name pods (and resource ids)
 * no earlier window named.  Strings last one window: every window holds
 * its own names only, as many as the first (they do not pile up), a
 * reset leaves only the strings a partial always holds, and the last
 * window's rows finish as in a new partial. */
static void test_string_churn(void)
{
    enum { NPOD = 1500, NWIN = 4 };
    static char names[NWIN][NPOD][16];
    static const char *rid[NWIN][NPOD], *node[NPOD], *xs[NPOD];
    static char nodes[50][8];
    struct bb_store st = {{0}, 0};
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX), *fresh;
    struct agg_settings s;
    struct agg_stats sa;
    struct rpt_table t1, t2;
    int64_t held[NWIN];
    size_t i, w;

    for (i = 0; i < 50; i++)
        snprintf(nodes[i], sizeof nodes[i], "n%zu", i);
    for (i = 0; i < NPOD; i++) {
        node[i] = nodes[i % 50];
        xs[i] = "x";
        for (w = 0; w < NWIN; w++) {
            snprintf(names[w][i], sizeof names[w][i], "w%zu-p%zu", w, i);
            rid[w][i] = names[w][i];
        }
    }
    memset(&s, 0, sizeof s);
    s.start_day = INT32_MIN;
    s.end_day = INT32_MAX;
    s.enabled = &keys;
    s.track_volume_nodes = 1;
    for (w = 0; w < NWIN; w++) {
        struct ocp_batch b = day0_batch(&st, NPOD, xs, node, rid[w], NULL);
        CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
        agg_partial_stats(p, &sa);
        held[w] = sa.strings;
        /* Every pod is a string of its own (name and resource id alike):
         * this window's pods, not the earlier ones'. */
        CHECK(sa.strings >= NPOD && sa.strings < 2 * NPOD);
        CHECK_INT((long long)held[w], (long long)held[0]);
        /* The last window: the same rows as a new partial's. */
        if (w == NWIN - 1) {
            fresh = partial(INT32_MIN, INT32_MAX);
            CHECK_INT(agg_partial_add(fresh, &b, NULL), OCP_OK);
            CHECK_INT(finish(p, &t1), OCP_OK);
            CHECK_INT(finish(fresh, &t2), OCP_OK);
            CHECK(t1.count >= 50); /* a pod row per node at least */
            same_rows(&t1, &t2);
            rpt_table_release(&t1);
            rpt_table_release(&t2);
            agg_partial_destroy(fresh);
        }
        CHECK_INT(agg_partial_reset(p, &s, NULL), OCP_OK);
        agg_partial_stats(p, &sa);
        CHECK(sa.strings < 10);
    }
    agg_partial_destroy(p);
    bb_release(&st);
}

/* Cost categories of many namespaces, met in alternation (more of them
 * than the finish remembers, so remembered answers are replaced): every
 * row's category is the highest id among the patterns its namespace
 * matches, none when none does. */
static void test_cost_categories(void)
{
    enum { NNS = 150, NROWS = 2 * NNS };
    static const struct agg_cost_category cats[3] = {{"ns-1%", 7}, {"ns-_", 3}, {"ns-1_", 9}};
    struct bb_store st = {{0}, 0};
    static char names[NNS][16];
    const char *ns[NROWS], *node[NROWS], *rid[NROWS];
    struct ocp_batch b;
    struct agg_partial *p = partial(INT32_MIN, INT32_MAX);
    struct agg_finish_settings fs;
    struct rpt_table t;
    size_t i, j, seen = 0;

    for (i = 0; i < NNS; i++)
        snprintf(names[i], sizeof names[i], "ns-%zu", i);
    for (i = 0; i < NROWS; i++) {
        ns[i] = names[(i * 37) % NNS]; /* no two neighbours alike */
        node[i] = i < NNS ? "n1" : "n2";
        rid[i] = names[i % NNS];
    }
    b = day0_batch(&st, NROWS, ns, node, rid, NULL);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    memset(&fs, 0, sizeof fs);
    fs.cost_categories = cats;
    fs.n_cost_categories = 3;
    rpt_table_init(&t);
    CHECK_INT(agg_finish(p, &fs, &t, NULL), OCP_OK);
    for (i = 0; i < t.count; i++) {
        const struct rpt_row *r = &t.rows[i];
        int has = 0;
        int64_t id = 0;
        if (r->source != RPT_SOURCE_POD || r->namespace_ == NULL ||
            strncmp(r->namespace_, "ns-", 3) != 0)
            continue;
        seen++;
        for (j = 0; j < 3; j++)
            if (txt_like(cats[j].pattern, strlen(cats[j].pattern), r->namespace_,
                         strlen(r->namespace_)) &&
                (!has || cats[j].id > id)) {
                has = 1;
                id = cats[j].id;
            }
        CHECK_INT(r->has_cost_category, has);
        if (has)
            CHECK_INT((long long)r->cost_category_id, (long long)id);
    }
    CHECK_INT((long long)seen, 2 * NNS); /* each namespace on both nodes */
    /* Spot checks of the rule itself. */
    for (i = 0; i < t.count; i++) {
        const struct rpt_row *r = &t.rows[i];
        if (r->namespace_ != NULL && strcmp(r->namespace_, "ns-12") == 0)
            CHECK(r->has_cost_category && r->cost_category_id == 9);
        if (r->namespace_ != NULL && strcmp(r->namespace_, "ns-5") == 0)
            CHECK(r->has_cost_category && r->cost_category_id == 3);
        if (r->namespace_ != NULL && strcmp(r->namespace_, "ns-100") == 0)
            CHECK(r->has_cost_category && r->cost_category_id == 7);
        if (r->namespace_ != NULL && strcmp(r->namespace_, "ns-42") == 0)
            CHECK(!r->has_cost_category);
    }
    rpt_table_release(&t);
    agg_partial_destroy(p);
    bb_release(&st);
}

static int even_day(int32_t day, void *ctx)
{
    (void)ctx;
    return day % 2 == 0;
}

static int odd_day(int32_t day, void *ctx)
{
    return !even_day(day, ctx);
}

/* The strings a message names (its count of string ids). */
static uint64_t message_ids(const unsigned char *b, size_t len)
{
    uint64_t v = 0;
    size_t at = 8 + 8 * ((size_t)OCP_TABLE_COUNT + 3);
    if (len >= at + 8)
        memcpy(&v, b + at, 8);
    return v;
}

/* The exchange's messages: the groups of some days, and only the strings
 * they name (a rank's pool holds those of every day it read).  Both
 * halves merged into an empty partial finish to the same rows. */
static void test_serialize_days(void)
{
    struct bb_store st = {{0}, 0};
    struct win_batches a, b;
    struct agg_partial *p = partial(0, 3), *q = partial(0, 3);
    unsigned char *all = NULL, *even = NULL, *odd = NULL;
    size_t la = 0, le = 0, lo = 0;
    struct rpt_table t1, t2;

    win_build(&st, 0, "a", &a);
    win_build(&st, 2, "b", &b);
    win_add(p, &a);
    win_add(p, &b);
    CHECK_INT(agg_partial_serialize(p, &all, &la, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_days(p, even_day, NULL, &even, &le, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_days(p, odd_day, NULL, &odd, &lo, NULL), OCP_OK);
    CHECK(message_ids(even, le) > 1 && message_ids(odd, lo) > 1);
    CHECK(message_ids(even, le) < message_ids(all, la));
    CHECK(message_ids(odd, lo) < message_ids(all, la));
    CHECK(le < la && lo < la);
    CHECK_INT(agg_partial_merge_serialized(q, odd, lo, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge_serialized(q, even, le, NULL), OCP_OK);
    CHECK_INT(finish(p, &t1), OCP_OK);
    CHECK_INT(finish(q, &t2), OCP_OK);
    same_rows(&t1, &t2);
    /* A message naming a string it does not carry is refused. */
    if (le > 8) {
        uint64_t one = 1;
        memcpy(even + 8 + 8 * ((size_t)OCP_TABLE_COUNT + 3), &one, 8);
        CHECK(agg_partial_merge_serialized(q, even, le, NULL) != OCP_OK);
    }
    rpt_table_release(&t1);
    rpt_table_release(&t2);
    free(all);
    free(even);
    free(odd);
    agg_partial_destroy(p);
    agg_partial_destroy(q);
    bb_release(&st);
}

/* Storage rows, and those without a node (no volume node known). */
static size_t storage_rows(const struct rpt_table *t, int without_node)
{
    size_t i, n = 0;
    for (i = 0; i < t->count; i++)
        n += t->rows[i].source == RPT_SOURCE_STORAGE && (!without_node || t->rows[i].node == NULL);
    return n;
}

/* The exchange's split days: their groups without volume nodes, and then
 * the volume nodes of the pods with storage rows only (a few strings, not
 * every pod's name).  Merged with the other days, they finish to the
 * whole partial's rows; without them storage rows lose their node. */
static void test_serialize_filtered(void)
{
    struct bb_store st = {{0}, 0};
    struct win_batches a, b;
    struct agg_partial *p = partial(0, 3), *q = partial(0, 3), *r = partial(0, 3);
    unsigned char *groups = NULL, *vn = NULL, *odd = NULL, *all_vn = NULL;
    size_t lg = 0, lv = 0, lo = 0, la = 0;
    struct agg_part_filter fg = {.keep = even_day, .dayless = 1};
    struct agg_part_filter fv = {.keep_vn = even_day, .vn_storage_only = 1};
    struct agg_part_filter fa = {.keep_vn = even_day};
    struct rpt_table t1, t2, t3;

    win_build(&st, 0, "a", &a);
    win_build(&st, 2, "b", &b);
    win_add(p, &a);
    win_add(p, &b);
    CHECK_INT(agg_partial_serialize_filtered(p, &fg, &groups, &lg, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_filtered(p, &fv, &vn, &lv, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_filtered(p, &fa, &all_vn, &la, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize_days(p, odd_day, NULL, &odd, &lo, NULL), OCP_OK);
    /* One pod has storage rows: its names, not the other 1 099 pods'. */
    CHECK(message_ids(vn, lv) > 1 && message_ids(vn, lv) < 40);
    CHECK(message_ids(all_vn, la) > 1000);
    CHECK(lv < la);
    CHECK_INT(agg_partial_merge_serialized(q, odd, lo, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge_serialized(q, groups, lg, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge_serialized(r, odd, lo, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge_serialized(r, groups, lg, NULL), OCP_OK);
    CHECK_INT(agg_partial_merge_serialized(q, vn, lv, NULL), OCP_OK);
    CHECK_INT(finish(p, &t1), OCP_OK);
    CHECK_INT(finish(q, &t2), OCP_OK);
    CHECK_INT(finish(r, &t3), OCP_OK);
    CHECK(storage_rows(&t1, 0) > storage_rows(&t1, 1));
    same_rows(&t1, &t2);
    CHECK(storage_rows(&t3, 1) > storage_rows(&t1, 1));
    rpt_table_release(&t1);
    rpt_table_release(&t2);
    rpt_table_release(&t3);
    free(groups);
    free(vn);
    free(all_vn);
    free(odd);
    agg_partial_destroy(p);
    agg_partial_destroy(q);
    agg_partial_destroy(r);
    bb_release(&st);
}

/* An index renewed for the next window's rows finishes every day as a
 * new index does: when the partial kept its strings over the reset (the
 * label caches, warm with the last window's texts, stay) and when it
 * dropped them (other enabled keys: the old pool ids now name other
 * strings, and the caches must be forgotten). */
static void day_index_renew(int other_keys)
{
    struct bb_store st = {{0}, 0};
    struct win_batches a, b;
    struct lbl_keys keys2;
    struct agg_partial *p = partial(0, 3), *fresh;
    struct agg_day_index *ix = NULL, *fx = NULL;
    struct agg_finish_settings fs;
    struct agg_settings s;
    struct rpt_table t1, t2;
    int32_t day;
    size_t i, na, nb;

    /* The same keys in another object: canonical ids must start afresh. */
    lbl_keys_init(&keys2);
    lbl_keys_add(&keys2, "app", 3);
    lbl_keys_add(&keys2, "env", 3);
    lbl_keys_add(&keys2, "tier", 4);
    fresh = bb_partial(other_keys ? &keys2 : &keys, 0, 3, 1);
    CHECK(fresh != NULL);
    win_build(&st, 0, "a", &a);
    win_build(&st, 2, "b", &b);
    memset(&fs, 0, sizeof fs);
    rpt_table_init(&t1);
    rpt_table_init(&t2);
    win_add(p, &a);
    CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
    for (day = 0; day < 2; day++) /* warms the caches with window a's texts */
        CHECK_INT(agg_finish_day(p, ix, &fs, day, &t1, NULL), OCP_OK);
    memset(&s, 0, sizeof s);
    s.start_day = 0;
    s.end_day = 3;
    s.enabled = other_keys ? &keys2 : &keys;
    s.track_volume_nodes = 1;
    CHECK_INT(agg_partial_reset(p, &s, NULL), OCP_OK);
    win_add(p, &b);
    win_add(fresh, &b);
    CHECK_INT(agg_day_index_renew(ix, p, NULL), OCP_OK);
    CHECK_INT(agg_day_index_create(fresh, &fx, NULL), OCP_OK);
    /* Window a's days are gone from the renewed index. */
    rpt_table_clear(&t1);
    CHECK_INT(agg_finish_day(p, ix, &fs, 0, &t1, NULL), OCP_OK);
    CHECK_INT((long long)t1.count, 0);
    for (day = 2; day < 4; day++) {
        rpt_table_clear(&t1);
        rpt_table_clear(&t2);
        CHECK_INT(agg_finish_day(p, ix, &fs, day, &t1, NULL), OCP_OK);
        CHECK_INT(agg_finish_day(fresh, fx, &fs, day, &t2, NULL), OCP_OK);
        same_rows(&t1, &t2);
        /* Window b's pod labels, none of window a's. */
        for (i = 0, nb = 0, na = 0; i < t1.count; i++) {
            const char *l = t1.rows[i].all_labels;
            nb += l != NULL && strstr(l, ":\"b") != NULL;
            na += l != NULL && strstr(l, ":\"a") != NULL;
        }
        CHECK(nb > 1000);
        CHECK_INT((long long)na, 0);
    }
    rpt_table_release(&t1);
    rpt_table_release(&t2);
    agg_day_index_destroy(ix);
    agg_day_index_destroy(fx);
    agg_partial_destroy(p);
    agg_partial_destroy(fresh);
    lbl_keys_release(&keys2);
    bb_release(&st);
}

static void test_day_index_renew(void)
{
    day_index_renew(0);
    day_index_renew(1);
}

int main(void)
{
    lbl_keys_init(&keys);
    lbl_keys_add(&keys, "app", 3);
    lbl_keys_add(&keys, "env", 3);
    lbl_keys_add(&keys, "tier", 4);
    RUN(test_xsum_order);
    RUN(test_capacity_split_hour);
    RUN(test_day_range);
    RUN(test_day_text_range);
    RUN(test_storage_month_length);
    RUN(test_roles);
    RUN(test_overflow_is_error);
    RUN(test_format_double);
    RUN(test_finish_labels);
    RUN(test_joined_groups);
    RUN(test_partial_reset);
    RUN(test_null_labels);
    RUN(test_string_churn);
    RUN(test_cost_categories);
    RUN(test_serialize_days);
    RUN(test_serialize_filtered);
    RUN(test_day_index_renew);
    lbl_keys_release(&keys);
    return TEST_SUMMARY();
}
