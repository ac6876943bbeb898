/*
 * test_pg_encode.c - the PostgreSQL output without a server: the COPY
 * text pg_encode_block makes, its refusals, the conninfo check and the
 * output.postgres config keys.  (test_pg.c does the rest against a real
 * PostgreSQL.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/config.h"
#include "ocpagg/pg.h"
#include "ocpagg/report.h"
#include "test_pg_rows.h"
#include "testlib.h"

static const struct rpt_meta meta = {7, TP_CLUSTER, TP_ALIAS, TP_SOURCE};

/* Splits one CSV line into fields (quoted fields unquoted, NULL for an
 * unquoted empty field); returns the count.  Fields point into buf. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            *w = '\0';
        } else {
            char *s = p;
            while (*p != ',' && *p != '\n' && *p != '\0')
                p++;
            f[n++] = p == s ? NULL : s;
        }
        if (*p == ',') {
            *p++ = '\0';
            continue;
        }
        *p = '\0';
        return n;
    }
}

static void terminate(struct rpt_buf *b)
{
    char *nd = realloc(b->data, b->len + 1);
    if (nd == NULL)
        abort();
    b->data = nd;
    b->cap = b->len + 1;
    b->data[b->len] = '\0';
}

static int col(const char *name)
{
    for (int i = 0; pg_column_names[i] != NULL; i++)
        if (strcmp(pg_column_names[i], name) == 0)
            return i;
    return -1;
}

static void test_columns(void)
{
    int n = 0, report = 0, missing = 0;
    while (pg_column_names[n] != NULL)
        n++;
    CHECK_INT(n, PG_COLUMN_COUNT);
    /* Every report column but csi_volume_handle, in report order. */
    for (int i = 0; rpt_column_names[i] != NULL; i++) {
        if (strcmp(rpt_column_names[i], "csi_volume_handle") == 0) {
            missing++;
            continue;
        }
        CHECK_STR(pg_column_names[report], rpt_column_names[i]);
        report++;
    }
    CHECK_INT(report, PG_COLUMN_COUNT);
    CHECK_INT(missing, 1);
    CHECK_INT(col("csi_volume_handle"), -1);
}

/* The block against the report's own CSV for the same rows: the same
 * fields except csi_volume_handle dropped and all_labels {} for NULL. */
static void test_block_matches_csv(void)
{
    struct rpt_table t;
    struct rpt_buf pg = {0}, csv = {0};
    struct ocp_error err;
    char *pl, *cl, *psave = NULL, *csave = NULL;
    size_t rows = 0;
    int unalloc = 0;

    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, tp_day("2025-11-01"), tp_day("2025-11-02"), 10, 0), 0);
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &pg, &err), OCP_OK);
    CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &csv), OCP_OK);
    /* Terminate both for strtok_r. */
    terminate(&pg);
    terminate(&csv);
    pl = strtok_r(pg.data, "\n", &psave);
    cl = strtok_r(csv.data, "\n", &csave);
    while (pl != NULL && cl != NULL) {
        char *pf[64], *cf[64];
        int np = split_csv(pl, pf, 64), nc = split_csv(cl, cf, 64), j = 0;
        CHECK_INT(np, PG_COLUMN_COUNT);
        CHECK_INT(nc, PG_COLUMN_COUNT + 1);
        for (int i = 0; i < nc && np == PG_COLUMN_COUNT; i++) {
            const char *name = rpt_column_names[i];
            if (strcmp(name, "csi_volume_handle") == 0)
                continue;
            if (strcmp(name, "all_labels") == 0 && cf[i] == NULL) {
                CHECK_STR(pf[j], "{}");
                unalloc++;
            } else if (cf[i] == NULL) {
                CHECK(pf[j] == NULL);
            } else {
                CHECK_STR(pf[j], cf[i]);
            }
            j++;
        }
        rows++;
        pl = strtok_r(NULL, "\n", &psave);
        cl = strtok_r(NULL, "\n", &csave);
    }
    CHECK(pl == NULL && cl == NULL);
    CHECK_INT(rows, t.count);
    CHECK_INT(unalloc, 2 * 2); /* kind 2: rows 2 and 6 of each day */
    rpt_buf_release(&pg);
    rpt_buf_release(&csv);
    rpt_table_release(&t);
}

/* Specific texts: NaN is an empty field, never NaN; the number is the
 * shortest round-trip text; the report period comes from the month. */
static void test_values(void)
{
    struct rpt_table t;
    struct rpt_buf b = {0};
    struct ocp_error err;
    struct pg_periods p;
    char *f[64];
    struct rpt_row *r;

    rpt_table_init(&t);
    r = rpt_table_add(&t);
    snprintf(r->uuid, sizeof r->uuid, "%s", "00000000-0000-4000-8000-000000000001");
    r->usage_day = tp_day("2025-12-03");
    r->source = RPT_SOURCE_POD;
    r->namespace_ = tp_dup(&t, "ns");
    r->num[RPT_POD_USAGE_CPU_HOURS] = 0.1 + 0.2;
    r->num[RPT_POD_REQUEST_CPU_HOURS] = 1.5e-07;
    r->num[RPT_NODE_CAP_CPU_CORES] = -0.0;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.month[0].first_day = tp_day("2025-11-20");
    p.month[0].last_day = tp_day("2025-11-30");
    p.month[0].id = 11;
    p.month[1].first_day = tp_day("2025-12-01");
    p.month[1].last_day = tp_day("2025-12-05");
    p.month[1].id = 12;
    CHECK_INT(pg_encode_block(&t, &meta, &p, &b, &err), OCP_OK);
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    b.data[b.len - 1] = '\0';
    CHECK(strstr(b.data, "NaN") == NULL && strstr(b.data, "nan") == NULL);
    CHECK_INT(split_csv(b.data, f, 64), PG_COLUMN_COUNT);
    CHECK_STR(f[col("report_period_id")], "12");
    CHECK_STR(f[col("usage_start")], "2025-12-03");
    CHECK_STR(f[col("usage_end")], "2025-12-03");
    CHECK_STR(f[col("data_source")], "Pod");
    CHECK_STR(f[col("pod_usage_cpu_core_hours")], "0.30000000000000004");
    CHECK_STR(f[col("pod_request_cpu_core_hours")], "1.5e-07");
    CHECK(f[col("pod_limit_cpu_core_hours")] == NULL);
    CHECK(f[col("pod_labels")] == NULL);
    CHECK_STR(f[col("all_labels")], "{}");
    CHECK(f[col("infrastructure_usage_cost")] == NULL);
    CHECK(f[col("cost_category_id")] == NULL);
    CHECK_STR(f[col("source_uuid")], TP_SOURCE);
    CHECK_STR(f[col("cluster_alias")], TP_ALIAS);

    /* Without periods the meta's id. */
    b.len = 0;
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_OK);
    b.data[b.len - 1] = '\0';
    CHECK_INT(split_csv(b.data, f, 64), PG_COLUMN_COUNT);
    CHECK_STR(f[col("report_period_id")], "7");

    /* A day outside the periods: the DELETE would not cover it. */
    b.len = 0;
    p.month[1].last_day = tp_day("2025-12-02");
    CHECK_INT(pg_encode_block(&t, &meta, &p, &b, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "usage_start");
    CHECK(strstr(err.message, "2025-12-03") != NULL);
    CHECK_INT(b.len, 0);
    rpt_buf_release(&b);
    rpt_table_release(&t);
}

/* Values the table cannot hold: named by day, row, uuid and column; the
 * buffer is left as it was. */
static void test_refusals(void)
{
    struct rpt_table t;
    struct rpt_buf b = {0};
    struct ocp_error err;
    struct rpt_row *r;
    size_t before;

    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, tp_day("2025-11-05"), tp_day("2025-11-05"), 4, 0), 0);
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_OK);
    before = b.len;
    r = &t.rows[2];

    r->namespace_ = tp_dup(&t, "bad\xff"
                               "byte");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "namespace");
    CHECK(strstr(err.message, "2025-11-05") != NULL);
    CHECK(strstr(err.message, "row 3") != NULL);
    CHECK(strstr(err.message, r->uuid) != NULL);
    CHECK(strstr(err.message, "UTF-8") != NULL);
    CHECK_INT(b.len, before);
    /* Overlong and surrogate forms are invalid too. */
    r->namespace_ = tp_dup(&t, "\xc0\xaf");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    r->namespace_ = tp_dup(&t, "\xed\xa0\x80");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    r->namespace_ = tp_dup(&t, "ok \xf0\x9f\x98\x80 \xe2\x82\xac");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_OK);

    r = &t.rows[0];
    r->pod_labels = tp_dup(&t, "{\"a\": \"x\\u0000y\"}");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "pod_labels");
    CHECK(strstr(err.message, "u0000") != NULL);
    /* An escaped backslash before u0000 is plain text. */
    r->pod_labels = tp_dup(&t, "{\"a\": \"x\\\\u0000y\"}");
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_OK);

    before = b.len;
    r->num[RPT_NODE_CAP_MEM_GB] = INFINITY;
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "node_capacity_memory_gigabytes");
    r->num[RPT_NODE_CAP_MEM_GB] = -1e18;
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    CHECK(strstr(err.message, "numeric(33,15)") != NULL);
    r->num[RPT_NODE_CAP_MEM_GB] = 9.99e17;
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_OK);

    r->has_cost_category = 1;
    r->cost_category_id = INT64_C(3000000000);
    CHECK_INT(pg_encode_block(&t, &meta, NULL, &b, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "cost_category_id");
    r->cost_category_id = 2;
    {
        struct rpt_meta m = meta;
        m.report_period_id = INT64_C(1) << 40;
        CHECK_INT(pg_encode_block(&t, &m, NULL, &b, &err), OCP_ERR_DATA);
        CHECK_STR(err.column, "report_period_id");
        m.report_period_id = 7;
        m.cluster_alias = "x\x80";
        CHECK_INT(pg_encode_block(&t, &m, NULL, &b, &err), OCP_ERR_DATA);
        CHECK_STR(err.column, "cluster_alias");
    }
    rpt_buf_release(&b);
    rpt_table_release(&t);
}

static void test_conninfo(void)
{
    struct ocp_error err;
    CHECK_INT(pg_check_conninfo(NULL, &err), OCP_OK);
    CHECK_INT(pg_check_conninfo("", &err), OCP_OK);
    CHECK_INT(pg_check_conninfo("host=/tmp port=5499 dbname=koku", &err), OCP_OK);
    CHECK_INT(pg_check_conninfo("service=koku", &err), OCP_OK);
    CHECK_INT(pg_check_conninfo("postgresql://koku@db:5432/koku", &err), OCP_OK);
    CHECK_INT(pg_check_conninfo("host=db password=hunter2", &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "password") != NULL);
    CHECK(strstr(err.message, "hunter2") == NULL);
    CHECK_INT(pg_check_conninfo("postgresql://koku:hunter2@db/koku", &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "hunter2") == NULL);
    CHECK_INT(pg_check_conninfo("host=db hunter2", &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "hunter2") == NULL);
    CHECK_INT(pg_check_conninfo("host=db bogus_option=1", &err), OCP_ERR_CONFIG);
}

static const char head[] = "cluster_id: sample-cluster\n"
                           "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                           "input: {path: /data}\n"
                           "cost_categories:\n  - {pattern: 'openshift-%', id: 1}\n"
                           "  - {pattern: 'kube-%', id: 2}\n";

static int load(struct cfg *c, const char *rest, struct ocp_error *err)
{
    char yaml[2048];
    int rc;
    snprintf(yaml, sizeof yaml, "%s%s", head, rest);
    cfg_init(c);
    rc = cfg_load_string(c, yaml, strlen(yaml), "config.yaml", err);
    if (rc == OCP_OK)
        rc = cfg_validate(c, err);
    return rc;
}

static void test_config(void)
{
    struct cfg c, d;
    struct ocp_error err;
    struct pg_options o;
    int64_t ids[4];
    unsigned char *buf = NULL;
    size_t len = 0;
    char *json;

    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-30\n"
                   "output:\n  format: postgres\n  summary: /tmp/s.json\n"
                   "  postgres:\n    conninfo: 'service=koku'\n"
                   "    schema: org1234567\n    lock_timeout_seconds: 30\n"
                   "    create_partitions: false\n",
                   &err),
              OCP_OK);
    CHECK_INT(c.output_format, CFG_OUTPUT_POSTGRES);
    CHECK_STR(c.pg_conninfo, "service=koku");
    CHECK_STR(c.pg_schema, "org1234567");
    CHECK(c.pg_table == NULL);
    CHECK_INT(c.pg_create_partitions, 0);
    CHECK_DBL(c.pg_lock_timeout_seconds, 30.0, 0);
    CHECK_INT(c.pg_report_period_auto, 0);
    CHECK_INT(pg_options_from_cfg(&c, &o, ids, 4, &err), OCP_OK);
    CHECK_INT(o.report_period_id, 1); /* the top-level default */
    CHECK_INT(o.n_cost_category_ids, 2);
    CHECK_INT(o.cost_category_ids[1], 2);
    CHECK_INT(o.start_date, tp_day("2025-11-01"));
    CHECK_INT(cfg_serialize(&c, &buf, &len), OCP_OK);
    cfg_init(&d);
    CHECK_INT(cfg_deserialize(&d, buf, len, &err), OCP_OK);
    CHECK_STR(d.pg_schema, "org1234567");
    CHECK_STR(d.pg_conninfo, "service=koku");
    CHECK_INT(d.pg_create_partitions, 0);
    CHECK_DBL(d.pg_lock_timeout_seconds, 30.0, 0);
    CHECK_INT(d.output_format, CFG_OUTPUT_POSTGRES);
    json = cfg_to_json(&c);
    CHECK(json != NULL && strstr(json, "\"postgres\":{\"conninfo\":\"service=koku\"") != NULL);
    free(json);
    free(buf);
    cfg_release(&d);
    cfg_release(&c);

    /* auto, an explicit id, several months with auto. */
    CHECK_INT(load(&c,
                   "start_date: 2025-10-15\nend_date: 2025-12-02\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s, report_period_id: auto}}\n",
                   &err),
              OCP_OK);
    CHECK_INT(c.pg_report_period_auto, 1);
    cfg_release(&c);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s, report_period_id: 42}}\n",
                   &err),
              OCP_OK);
    CHECK_INT(pg_options_from_cfg(&c, &o, ids, 4, &err), OCP_OK);
    CHECK_INT(o.report_period_id, 42);
    cfg_release(&c);

    /* Refusals, each 78 naming the key. */
    CHECK_INT(load(&c,
                   "start_date: 2025-10-15\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s}}\n",
                   &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "auto") != NULL);
    cfg_release(&c);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s}}\n",
                   &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "end_date") != NULL);
    cfg_release(&c);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json}\n",
                   &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "output.postgres.schema") != NULL);
    cfg_release(&c);
    setenv("OCPAGG_T_PGPW", "hunter2", 1);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json, postgres:"
                   " {schema: s, conninfo: 'host=db password=${OCPAGG_T_PGPW}'}}\n",
                   &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "password") != NULL);
    CHECK(strstr(err.message, "hunter2") == NULL);
    cfg_release(&c);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s, report_period_id: soon}}\n",
                   &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "output.postgres.report_period_id") != NULL);
    cfg_release(&c);
    CHECK_INT(load(&c,
                   "start_date: 2025-11-01\nend_date: 2025-11-02\n"
                   "output: {format: postgres, summary: s.json,"
                   " postgres: {schema: s, lock_timeout_seconds: -1}}\n",
                   &err),
              OCP_ERR_CONFIG);
    cfg_release(&c);
    /* cfg_set reaches the keys too. */
    cfg_init(&c);
    CHECK_INT(cfg_set(&c, "output.postgres.schema", "org9", &err), OCP_OK);
    CHECK_STR(c.pg_schema, "org9");
    CHECK_INT(cfg_set(&c, "output.postgres.conninfo", "password=x", &err), OCP_ERR_CONFIG);
    CHECK_INT(cfg_set(&c, "output.format", "postgres", &err), OCP_OK);
    CHECK_INT(c.output_format, CFG_OUTPUT_POSTGRES);
    cfg_release(&c);
}

int main(void)
{
    RUN(test_columns);
    RUN(test_block_matches_csv);
    RUN(test_values);
    RUN(test_refusals);
    RUN(test_conninfo);
    RUN(test_config);
    return TEST_SUMMARY();
}
