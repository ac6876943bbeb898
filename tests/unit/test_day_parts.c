/*
 * test_day_parts.c - a day finished in parts (agg_finish_day_part: ranks
 * sharing a day) gives, part after part, the text of the whole day; each
 * namespace's rows lie in one part, storage rows in the last, and the
 * parts are about even.
 */
#include "ocpagg/agg.h"
#include "ocpagg/gen.h"
#include "ocpagg/labels.h"
#include "ocpagg/report.h"

#include "batchbuild.h"
#include "testlib.h"

static struct lbl_keys keys;
static const struct rpt_meta meta = {3, "c", "C", "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"};

static int s_begin(void *ctx, enum ocp_table t, struct ocp_error *err)
{
    (void)ctx;
    (void)t;
    (void)err;
    return OCP_OK;
}

static int s_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    return agg_partial_add(ctx, b, err);
}

static int s_end(void *ctx, enum ocp_table t, int64_t rows, struct ocp_error *err)
{
    (void)ctx;
    (void)t;
    (void)rows;
    (void)err;
    return OCP_OK;
}

static int same_ns(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Finishes every day of p whole and in 2..6 parts and compares. */
static void check_parts(struct agg_partial *p, int check_even)
{
    struct agg_finish_settings fs;
    struct agg_day_index *ix = NULL;
    int32_t *days = NULL;
    size_t ndays = 0, d;

    memset(&fs, 0, sizeof fs);
    fs.source_uuid[0] = 7;
    CHECK_INT(agg_partial_days(p, &days, &ndays), OCP_OK);
    CHECK(ndays > 0);
    CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
    for (d = 0; d < ndays && ix != NULL; d++) {
        struct rpt_table whole;
        struct rpt_buf wtext = {0};
        size_t i, run, max_run = 0;
        int nparts;

        rpt_table_init(&whole);
        CHECK_INT(agg_finish_day(p, ix, &fs, days[d], &whole, NULL), OCP_OK);
        CHECK_INT(rpt_csv_rows(&whole, &meta, 0, whole.count, &wtext), OCP_OK);
        /* The largest namespace's pod rows: no cut can split them. */
        for (i = 0, run = 0; i < whole.count; i++) {
            run = i > 0 && same_ns(whole.rows[i].namespace_, whole.rows[i - 1].namespace_) &&
                          whole.rows[i].source == whole.rows[i - 1].source
                      ? run + 1
                      : 1;
            if (run > max_run)
                max_run = run;
        }
        for (nparts = 2; nparts <= 6; nparts++) {
            struct rpt_buf text = {0};
            const char *last_ns = NULL;
            int part, have_last = 0;
            size_t rows = 0;

            for (part = 0; part < nparts; part++) {
                struct rpt_table t;
                rpt_table_init(&t);
                CHECK_INT(agg_finish_day_part(p, ix, &fs, days[d], part, nparts, &t, NULL), OCP_OK);
                CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &text), OCP_OK);
                rows += t.count;
                for (i = 0; i < t.count; i++) {
                    const struct rpt_row *r = &t.rows[i];
                    /* Storage rows only in the last part. */
                    if (r->source != RPT_SOURCE_POD)
                        CHECK_INT(part, nparts - 1);
                    /* A namespace's pod rows in one part: the first pod
                     * row of a part starts a namespace. */
                    if (i == 0 && r->source == RPT_SOURCE_POD && have_last)
                        CHECK(!same_ns(r->namespace_, last_ns));
                }
                for (i = t.count; i-- > 0;)
                    if (t.rows[i].source == RPT_SOURCE_POD) {
                        last_ns = t.rows[i].namespace_;
                        have_last = 1;
                        break;
                    }
                /* About even: within one namespace's rows of the share. */
                if (check_even)
                    CHECK(t.count <= whole.count / (size_t)nparts + max_run + 1);
                rpt_table_release(&t);
            }
            CHECK_INT(rows, whole.count);
            CHECK_INT(text.len, wtext.len);
            CHECK(text.len == wtext.len && memcmp(text.data, wtext.data, text.len) == 0);
            rpt_buf_release(&text);
        }
        rpt_buf_release(&wtext);
        rpt_table_release(&whole);
    }
    agg_day_index_destroy(ix);
    free(days);
}

/* A generated cluster: 18 namespaces, storage, infra and worker nodes,
 * labels; every day in 2..6 parts is the whole day. */
static void test_generated_days(void)
{
    struct gen_config c;
    struct agg_partial *p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);
    struct gen_sink s = {NULL, s_begin, s_write, s_end};
    struct ocp_error err;

    CHECK(p != NULL);
    if (p == NULL)
        return;
    gen_config_default(&c);
    c.nodes = 30;
    c.pods_per_node = 12;
    c.days = 2;
    c.namespaces = 18;
    c.block_rows = 4096;
    s.ctx = p;
    CHECK_INT(gen_all(&c, &s, NULL, &err), OCP_OK);
    check_parts(p, 1);
    agg_partial_destroy(p);
}

/* Namespaces that sort around the unallocated ones: NULL, upper case, one
 * named like an unallocated namespace, with infra and worker nodes; more
 * parts than namespaces (empty parts). */
static void test_edge_namespaces(void)
{
    enum { N = 8 };
    struct bb_store st = {{0}, 0};
    const int64_t ts[N] = {0, 0, 0, 0, 3600000000, 3600000000, 0, 0};
    const char *ns[N] = {NULL, "Platform unallocated", "A", "b", "b", "Zeta", "a", "Worker"};
    const char *node[N] = {"n1", "n1", "n2", "n2", "n1", "n3", "n3", "n2"};
    const char *role[N] = {"infra", "infra",  "worker", "worker",
                           "infra", "master", "master", "worker"};
    const char *pod[N] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};
    const double use[N] = {1, 2, 3, 4, 5, 6, 7, 8};
    const double cap[N] = {36000, 36000, 72000, 72000, 36000, 7200, 7200, 72000};
    struct ocp_batch b;
    struct agg_partial *p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);

    CHECK(p != NULL);
    if (p == NULL)
        return;
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = N;
    b.col[POD_INTERVAL_START] = bb_times(&st, ts, N);
    b.col[POD_NAMESPACE] = bb_strings(&st, ns, N);
    b.col[POD_NODE] = bb_strings(&st, node, N);
    b.col[POD_NODE_ROLE] = bb_strings(&st, role, N);
    b.col[POD_POD] = bb_strings(&st, pod, N);
    b.col[POD_USAGE_CPU] = bb_numbers(&st, use, N);
    b.col[POD_REQUEST_CPU] = bb_numbers(&st, use, N);
    b.col[POD_CAP_CPU_SEC] = bb_numbers(&st, cap, N);
    b.col[POD_CAP_MEM_SEC] = bb_numbers(&st, cap, N);
    CHECK_INT(agg_partial_add(p, &b, NULL), OCP_OK);
    check_parts(p, 0);
    agg_partial_destroy(p);
    bb_release(&st);
}

/* A part outside 0 .. nparts - 1 is the caller's error. */
static void test_bad_part(void)
{
    struct agg_partial *p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);
    struct agg_finish_settings fs;
    struct agg_day_index *ix = NULL;
    struct rpt_table t;
    struct ocp_error err;

    CHECK(p != NULL);
    if (p == NULL)
        return;
    memset(&fs, 0, sizeof fs);
    CHECK_INT(agg_day_index_create(p, &ix, NULL), OCP_OK);
    rpt_table_init(&t);
    CHECK_INT(agg_finish_day_part(p, ix, &fs, 0, 2, 2, &t, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(agg_finish_day_part(p, ix, &fs, 0, 0, 0, &t, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(agg_finish_day_part(p, ix, &fs, 0, -1, 3, &t, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(t.count, 0);
    rpt_table_release(&t);
    agg_day_index_destroy(ix);
    agg_partial_destroy(p);
}

int main(void)
{
    lbl_keys_init(&keys);
    lbl_keys_add(&keys, "app", 3);
    lbl_keys_add(&keys, "environment", 11);
    lbl_keys_add(&keys, "tier", 4);
    RUN(test_generated_days);
    RUN(test_edge_namespaces);
    RUN(test_bad_part);
    lbl_keys_release(&keys);
    return TEST_SUMMARY();
}
