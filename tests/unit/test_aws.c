/*
 * test_aws.c - the OCP-on-AWS attribution (src/aws) on the worked example
 * of SEMANTICS-AWS.md §7 / Appendix, every output value asserted, plus
 * merging, byte images, bad input and the counters.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/aws.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"
#include "testlib.h"

#define DAY0 20376 /* 2025-10-15 */
static const char SRC[] = "00000000-0000-0000-0000-0000000000a1";

/* ---- the OCP summary of the example ---- */

static struct rpt_row *ocp_row(struct rpt_table *t, int32_t day, enum rpt_source src,
                               const char *ns, const char *node, const char *rid,
                               const char *pod_labels)
{
    struct rpt_row *r = rpt_table_add(t);
    r->usage_day = day;
    r->source = src;
    r->namespace_ = ns;
    r->node = node;
    r->resource_id = rid;
    r->pod_labels = pod_labels;
    return r;
}

static void pod(struct rpt_table *t, int32_t day, const char *ns, const char *node,
                const char *rid, const char *labels, double eff_cpu, double eff_mem,
                double cap_cpu, double cap_mem)
{
    struct rpt_row *r = ocp_row(t, day, RPT_SOURCE_POD, ns, node, rid, labels);
    r->num[RPT_POD_EFFECTIVE_CPU_HOURS] = eff_cpu;
    r->num[RPT_POD_EFFECTIVE_MEM_GBH] = eff_mem;
    r->num[RPT_NODE_CAP_CPU_HOURS] = cap_cpu;
    r->num[RPT_NODE_CAP_MEM_GBH] = cap_mem;
}

static void storage(struct rpt_table *t, int32_t day, const char *ns, const char *node,
                    const char *rid, const char *vlabels, const char *pvc, const char *pv,
                    const char *sc, const char *csi, double gb)
{
    struct rpt_row *r = ocp_row(t, day, RPT_SOURCE_STORAGE, ns, node, rid, NULL);
    r->volume_labels = vlabels;
    r->pvc = pvc;
    r->pv = pv;
    r->storageclass = sc;
    r->csi_volume_handle = csi;
    r->num[RPT_PVC_CAP_GB] = gb;
}

static void example_ocp(struct rpt_table *t)
{
    rpt_table_init(t);
    pod(t, DAY0, "web", "ip-1", "i-0a", "{\"app\":\"web\"}", 48, 100, 96, 384);
    pod(t, DAY0, "db", "ip-1", "i-0a", "{}", 24, 100, 96, 384);
    pod(t, DAY0, "Worker unallocated", "ip-1", "i-0a", NULL, 24, 184, 96, 384);
    storage(t, DAY0, "db", "ip-1", "i-0a", "{}", "data", "pv1", "gp3", "vol-0b", 80);
}

/* ---- raw CUR rows ---- */

struct cur {
    const char *rid, *pc, *fam, *unit, *ut, *tags, *type, *op, *billing, *pname;
    double qty, cost, rate, blended, sp;
};

static void raw_from(const struct cur *c, int64_t us, struct aws_raw_row *r)
{
    int k;
    memset(r, 0, sizeof *r);
    r->start_us = us;
#define S(col, v)                                                              \
    do {                                                                       \
        r->str[col] = (v);                                                     \
        r->len[col] = (v) ? strlen(v) : 0;                                     \
    } while (0)
    S(AWS_RESOURCEID, c->rid);
    S(AWS_USAGEACCOUNTID, "111");
    S(AWS_AVAILABILITYZONE, "us-east-1a");
    S(AWS_PRODUCTCODE, c->pc);
    S(AWS_PRODUCTNAME, c->pname ? c->pname : "");
    S(AWS_BILLINGENTITY, c->billing ? c->billing : "AWS");
    S(AWS_PRODUCTFAMILY, c->fam);
    S(AWS_INSTANCETYPE, "");
    S(AWS_REGION, "us-east-1");
    S(AWS_PRICINGUNIT, c->unit);
    S(AWS_USAGETYPE, c->ut);
    S(AWS_OPERATION, c->op ? c->op : "");
    S(AWS_LINEITEMTYPE, c->type ? c->type : "Usage");
    S(AWS_CURRENCYCODE, "USD");
    S(AWS_RESOURCETAGS, c->tags);
    S(AWS_COSTCATEGORY, "{}");
    S(AWS_PAYERACCOUNTID, "payer");
    S(AWS_LEGALENTITY, "AWS");
    S(AWS_LINEITEMDESCRIPTION, "");
    S(AWS_OPERATINGSYSTEM, "");
#undef S
    for (k = 0; k < AWS_NNUM; k++)
        r->num[k] = 0;
    r->num[AWS_USAGEAMOUNT] = c->qty;
    r->num[AWS_UNBLENDEDCOST] = c->cost;
    r->num[AWS_UNBLENDEDRATE] = c->rate;
    r->num[AWS_BLENDEDCOST] = c->blended;
    r->num[AWS_SPEFFECTIVECOST] = c->sp;
}

static const struct cur example_cur[] = {
    {"i-0a", "AmazonEC2", "Compute Instance", "Hrs", "BoxUsage:m5.xlarge", "{}", 0, 0, 0, 0,
     1.0, 1.0, 1.0, 1.0, 0},
    {"vol-0b", "AmazonEC2", "Storage", "GB-Mo", "EBS:VolumeUsage.gp3", "{}", 0, 0, 0, 0,
     100.0 / 744, 1.0 / 3, 2.48, 1.0 / 3, 0},
    {"i-0a", "AmazonEC2", "Data Transfer", "GB", "DataTransfer-Out-Bytes", "{}", 0, 0, 0, 0,
     10.0 / 24, 0.0375, 0.09, 0.0375, 0},
    {"arn:aws:rds:us-east-1:111:db:x", "AmazonRDS", "Database Instance", "Hrs",
     "InstanceUsage:db.m5", "{\"app\": \"web\"}", 0, 0, 0, 0, 1.0, 5.0 / 24, 5.0 / 24, 5.0 / 24, 0},
    {"bkt", "AmazonS3", "Storage", "GB-Mo", "TimedStorage-ByteHrs",
     "{\"openshift_cluster\": \"c1\"}", 0, 0, 0, 0, 1.0, 0.125, 0.023, 0.125, 0},
    {"i-0zz", "AmazonEC2", "Compute Instance", "Hrs", "BoxUsage:t3.small", "{}", 0, 0, 0, 0,
     1.0, 1.0, 1.0, 1.0, 0},
};
#define NCUR (sizeof example_cur / sizeof example_cur[0])

/* Adds the example's 24 x 6 raw rows; rows whose (hour*6+i) % parts ==
 * part only, so a split over partials can be tested. */
static void example_rows(struct aws_partial *p, int part, int parts)
{
    int h;
    size_t i;
    for (h = 0; h < 24; h++)
        for (i = 0; i < NCUR; i++) {
            struct aws_raw_row r;
            struct ocp_error e;
            if ((int)((size_t)h * NCUR + i) % parts != part)
                continue;
            raw_from(&example_cur[i], ((int64_t)DAY0 * 24 + h) * 3600000000ll, &r);
            CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
        }
}

static const char *const example_keys[] = {"app"};

static void example_settings(struct aws_settings *s, const struct aws_alias *alias)
{
    memset(s, 0, sizeof *s);
    s->cluster_id = "c1";
    s->cluster_alias = "C1";
    s->source_uuid = SRC;
    s->report_period_id = 3;
    s->bill_id = 7;
    s->has_bill_id = 1;
    s->aws_keys = example_keys;
    s->n_aws_keys = 1;
    s->ocp_keys = example_keys;
    s->n_ocp_keys = 1;
    s->markup_percent = 10;
    s->aliases = alias;
    s->n_aliases = 1;
}

struct expect {
    const char *ns, *source, *node, *rid;
    double unblended, usage, data_out;
    const char *direction, *tags, *pvc;
};

/* The Appendix's result table, in report order. */
static const struct expect example_expect[] = {
    {"Network unattributed", "Pod", "ip-1", "i-0a", 0.9, 10, 10, "OUT", "{}", NULL},
    {"Worker unallocated", "Pod", "ip-1", "i-0a", 6, 8, 0, NULL, NULL, NULL},
    {"db", "Pod", "ip-1", "bkt", 1, 8, 0, NULL, "{}", NULL},
    {"db", "Pod", "ip-1", "i-0a", 6, 8, 0, NULL, "{}", NULL},
    {"web", "Pod", "ip-1", "arn:aws:rds:us-east-1:111:db:x", 5, 24, 0, NULL,
     "{\"app\":\"web\"}", NULL},
    {"web", "Pod", "ip-1", "bkt", 1, 8, 0, NULL, "{\"app\":\"web\"}", NULL},
    {"web", "Pod", "ip-1", "i-0a", 12, 8, 0, NULL, "{\"app\":\"web\"}", NULL},
    {"Storage unattributed", "Storage", NULL, "vol-0b", 1.6, NAN, 0, NULL, NULL, "data"},
    {"db", "Storage", "ip-1", "bkt", 1, 8, 0, NULL, "{}", "data"},
    {"db", "Storage", "ip-1", "vol-0b", 6.4, 100.0 / 31, 0, NULL, "{}", "data"},
};

#define CHECK_NSTR(a, b)                                                       \
    do {                                                                       \
        if ((b) == NULL)                                                       \
            CHECK((a) == NULL);                                                \
        else                                                                   \
            CHECK_STR(a, b);                                                   \
    } while (0)

static void check_example(const struct aws_table *t)
{
    size_t i;
    CHECK_INT(t->count, 10);
    if (t->count != 10)
        return;
    for (i = 0; i < t->count; i++) {
        const struct aws_row *r = &t->rows[i];
        const struct expect *x = &example_expect[i];
        int storage_unattr = strcmp(x->ns, "Storage unattributed") == 0;
        int network = x->direction != NULL;
        fprintf(stderr, "   row %zu: %s/%s %s\n", i, x->ns, x->source, x->rid);
        CHECK_INT(r->day, DAY0);
        CHECK_NSTR(r->namespace_, x->ns);
        CHECK_STR(r->source == RPT_SOURCE_POD ? "Pod" : "Storage", x->source);
        CHECK_NSTR(r->node, x->node);
        CHECK_NSTR(r->resource_id, x->rid);
        CHECK_DBL(r->cost[AWS_COST_UNBLENDED], x->unblended, 1e-12);
        CHECK_DBL(r->cost[AWS_COST_MARKUP], x->unblended * 0.1, 1e-12);
        CHECK_DBL(r->cost[AWS_COST_BLENDED], x->unblended, 1e-12);
        CHECK_DBL(r->cost[AWS_COST_MARKUP_BLENDED], x->unblended * 0.1, 1e-12);
        CHECK_DBL(r->cost[AWS_COST_SAVINGSPLAN], 0, 0);
        CHECK_DBL(r->cost[AWS_COST_MARKUP_SAVINGSPLAN], 0, 0);
        CHECK_DBL(r->cost[AWS_COST_AMORTIZED], x->unblended, 1e-12);
        CHECK_DBL(r->cost[AWS_COST_MARKUP_AMORTIZED], x->unblended * 0.1, 1e-12);
        if (isnan(x->usage))
            CHECK(isnan(r->usage_amount));
        else
            CHECK_DBL(r->usage_amount, x->usage, 1e-12);
        CHECK_DBL(r->data_in, 0, 0);
        CHECK_DBL(r->data_out, x->data_out, 1e-12);
        CHECK_NSTR(r->direction, x->direction);
        CHECK_NSTR(r->tags, x->tags);
        CHECK_NSTR(r->pvc, x->pvc);
        CHECK_NSTR(r->pv, x->pvc ? "pv1" : NULL);
        CHECK_NSTR(r->storageclass, x->pvc ? "gp3" : NULL);
        CHECK_NSTR(r->aws_cost_category, storage_unattr || network ? NULL : "{}");
        CHECK_INT(r->has_cost_category, 0);
        CHECK_INT(r->has_alias, 1);
        CHECK_INT(r->account_alias_id, 42);
        CHECK_STR(r->usage_account_id, "111");
        CHECK_STR(r->currency_code, "USD");
        CHECK_STR(r->region, "us-east-1");
        CHECK_STR(r->availability_zone, "us-east-1a");
        CHECK(r->instance_type == NULL);
        CHECK_STR(r->product_code, strncmp(x->rid, "arn", 3) == 0 ? "AmazonRDS"
                                   : strcmp(x->rid, "bkt") == 0   ? "AmazonS3"
                                                                  : "AmazonEC2");
        CHECK_INT(strlen(r->uuid), 36);
        CHECK(r->uuid[14] == '5'); /* version 5 */
    }
}

static void test_example(void)
{
    struct rpt_table ocp;
    struct aws_partial *p = NULL;
    struct aws_settings s;
    struct aws_alias alias = {"111", 42};
    struct aws_table t;
    struct aws_counters c;
    struct ocp_error e;
    size_t i, j;
    double total = 0;

    example_ocp(&ocp);
    CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 0, &e), OCP_OK);
    example_rows(p, 0, 1);
    CHECK_INT(aws_partial_daily_rows(p), 6);
    example_settings(&s, &alias);
    aws_table_init(&t);
    CHECK_INT(aws_attribute(p, &ocp, &s, &t, &c, &e), OCP_OK);
    check_example(&t);
    for (i = 0; i < t.count; i++)
        total += t.rows[i].cost[AWS_COST_UNBLENDED];
    CHECK_DBL(total, 40.9, 1e-9);
    for (i = 0; i < t.count; i++)
        for (j = i + 1; j < t.count; j++)
            CHECK(strcmp(t.rows[i].uuid, t.rows[j].uuid) != 0);
    /* Counters. */
    CHECK_INT(c.read.rows_read, 144);
    CHECK_INT(c.daily_rows, 6);
    CHECK_DBL(c.daily_unblended, 64.9, 1e-9);
    CHECK_INT(c.resource_matched, 3);
    CHECK_DBL(c.resource_matched_unblended, 32.9, 1e-9);
    CHECK_INT(c.tag_matched, 2);
    CHECK_DBL(c.tag_matched_unblended, 8, 1e-9);
    CHECK_INT(c.unmatched, 1);
    CHECK_DBL(c.unmatched_unblended, 24, 1e-9);
    CHECK_INT(c.kind_rows[AWS_K_COMPUTE], 1);
    CHECK_INT(c.kind_out[AWS_K_COMPUTE], 3);
    CHECK_INT(c.kind_rows[AWS_K_STORAGE], 1);
    CHECK_INT(c.kind_out[AWS_K_STORAGE], 1);
    CHECK_INT(c.kind_out[AWS_K_UNATTRIBUTED], 1);
    CHECK_INT(c.kind_rows[AWS_K_NETWORK], 1);
    CHECK_INT(c.kind_rows[AWS_K_TAG], 2);
    CHECK_INT(c.kind_out[AWS_K_TAG], 4);
    CHECK_DBL(c.kind_unblended[AWS_K_COMPUTE], 24, 1e-9);
    CHECK_DBL(c.kind_unblended[AWS_K_STORAGE], 6.4, 1e-9);
    CHECK_DBL(c.kind_unblended[AWS_K_UNATTRIBUTED], 1.6, 1e-9);
    CHECK_DBL(c.kind_unblended[AWS_K_TAG], 8, 1e-9);
    CHECK_DBL(c.kind_unblended[AWS_K_NETWORK], 0.9, 1e-9);
    for (i = 0; i < AWS_NDROP; i++)
        CHECK_INT(c.dropped[i], 0);
    CHECK_INT(c.output_rows, 10);
    aws_table_release(&t);
    aws_partial_free(p);
    rpt_table_release(&ocp);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *d;
    long n;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    d = malloc((size_t)n + 1);
    if (d != NULL && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    if (d) {
        d[n] = 0;
        *len = (size_t)n;
    }
    return d;
}

/* The same CSV for one partial, for 3 partials merged in memory, and for
 * 4 partials merged through byte images in another order. */
static void test_merge_identical(void)
{
    struct rpt_table ocp;
    struct aws_settings s;
    struct aws_alias alias = {"111", 42};
    struct ocp_error e;
    char path[3][64];
    char *text[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    int v, k;

    example_ocp(&ocp);
    example_settings(&s, &alias);
    for (v = 0; v < 3; v++) {
        struct aws_partial *p = NULL, *q = NULL;
        struct aws_table t;
        struct aws_counters c;
        snprintf(path[v], sizeof path[v], "/tmp/test_aws_%d_%d.csv", (int)getpid(), v);
        CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 0, &e), OCP_OK);
        if (v == 0) {
            example_rows(p, 0, 1);
        } else if (v == 1) {
            for (k = 2; k >= 0; k--) {
                CHECK_INT(aws_partial_create(&q, DAY0, DAY0, 0, &e), OCP_OK);
                example_rows(q, k, 3);
                CHECK_INT(aws_partial_merge(p, q, &e), OCP_OK);
                aws_partial_free(q);
            }
        } else {
            int order[4] = {3, 1, 0, 2};
            for (k = 0; k < 4; k++) {
                struct rpt_buf b = {0};
                CHECK_INT(aws_partial_create(&q, DAY0, DAY0, 0, &e), OCP_OK);
                example_rows(q, order[k], 4);
                CHECK_INT(aws_partial_serialize(q, &b, &e), OCP_OK);
                CHECK_INT(aws_partial_merge_bytes(p, (unsigned char *)b.data, b.len, &e), OCP_OK);
                if (k == 0) { /* a truncated image is an error, not a crash */
                    struct aws_partial *z = NULL;
                    CHECK_INT(aws_partial_create(&z, DAY0, DAY0, 0, &e), OCP_OK);
                    CHECK_INT(aws_partial_merge_bytes(z, (unsigned char *)b.data, b.len - 3, &e),
                              OCP_ERR_SOFTWARE);
                    aws_partial_free(z);
                }
                rpt_buf_release(&b);
                aws_partial_free(q);
            }
        }
        aws_table_init(&t);
        CHECK_INT(aws_attribute(p, &ocp, &s, &t, &c, &e), OCP_OK);
        CHECK_INT(c.read.rows_read, 144);
        if (v == 2)
            check_example(&t);
        CHECK_INT(aws_write_csv(&t, path[v], &e), OCP_OK);
        text[v] = slurp(path[v], &len[v]);
        CHECK(text[v] != NULL);
        aws_table_release(&t);
        aws_partial_free(p);
    }
    CHECK(len[0] > 0 && len[0] == len[1] && len[0] == len[2]);
    if (text[0] && text[1] && text[2]) {
        CHECK(memcmp(text[0], text[1], len[0]) == 0);
        CHECK(memcmp(text[0], text[2], len[0]) == 0);
        /* a spot check of the CSV form */
        CHECK(strstr(text[0], "\"Storage unattributed\",,\"data\",\"pv1\",\"gp3\",\"vol-0b\","
                              "2025-10-15,2025-10-15,\"AmazonEC2\",\"Storage\",,7,\"111\",42,") !=
              NULL);
    }
    for (v = 0; v < 3; v++) {
        free(text[v]);
        unlink(path[v]);
    }
    rpt_table_release(&ocp);
}

/* NULL dates, days outside the run, malformed tags (counted; strict is an
 * error), and a disk whose rate is 0 (no capacity: DEV-5). */
static void test_bad_input(void)
{
    struct rpt_table ocp;
    struct aws_partial *p = NULL;
    struct aws_settings s;
    struct aws_alias alias = {"111", 42};
    struct aws_table t;
    struct aws_counters c;
    struct ocp_error e;
    struct aws_raw_row r;
    struct cur bad = example_cur[0];
    struct cur disk = example_cur[1];
    int h;

    example_ocp(&ocp);
    example_settings(&s, &alias);
    CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 0, &e), OCP_OK);
    raw_from(&example_cur[0], (int64_t)DAY0 * 86400000000ll, &r);
    r.start_null = 1;
    CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
    raw_from(&example_cur[0], (int64_t)(DAY0 + 1) * 86400000000ll, &r);
    CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
    bad.tags = "{\"app\": ";
    raw_from(&bad, (int64_t)DAY0 * 86400000000ll, &r);
    CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
    /* NaN numbers read as 0 */
    raw_from(&example_cur[0], (int64_t)DAY0 * 86400000000ll, &r);
    r.num[AWS_UNBLENDEDCOST] = NAN;
    CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
    disk.rate = 0;
    for (h = 0; h < 24; h++) {
        raw_from(&disk, ((int64_t)DAY0 * 24 + h) * 3600000000ll, &r);
        CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
    }
    aws_table_init(&t);
    CHECK_INT(aws_attribute(p, &ocp, &s, &t, &c, &e), OCP_OK);
    CHECK_INT(c.read.rows_read, 28);
    CHECK_INT(c.read.rows_null_date, 1);
    CHECK_INT(c.read.rows_outside, 1);
    CHECK_INT(c.read.bad_tags, 1);
    CHECK_INT(c.capacity_rate_zero, 1);
    /* the disk has no capacity, so it is compute with no node: dropped */
    CHECK_INT(c.dropped[AWS_DROP_COMPUTE_NO_NODE], 1);
    CHECK_DBL(c.dropped_unblended[AWS_DROP_COMPUTE_NO_NODE], 8, 1e-9);
    /* the EC2 row with bad tags ({}) and the NaN row share the key: 1+0 */
    CHECK_INT(c.kind_rows[AWS_K_COMPUTE], 1);
    CHECK_DBL(c.kind_unblended[AWS_K_COMPUTE], 1, 1e-12);
    aws_table_release(&t);
    aws_partial_free(p);

    CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 1, &e), OCP_OK);
    raw_from(&bad, (int64_t)DAY0 * 86400000000ll, &r);
    CHECK_INT(aws_partial_add(p, &r, &e), OCP_ERR_DATA);
    CHECK(strstr(e.column, "resourcetags") != NULL);
    aws_partial_free(p);

    /* a source uuid that is not a UUID */
    CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 0, &e), OCP_OK);
    example_rows(p, 0, 1);
    s.source_uuid = "nope";
    aws_table_init(&t);
    CHECK_INT(aws_attribute(p, &ocp, &s, &t, &c, &e), OCP_ERR_CONFIG);
    aws_table_release(&t);
    aws_partial_free(p);
    rpt_table_release(&ocp);
}

static void test_markup(void)
{
    CHECK_DBL(aws_markup_factor(10), 0.1, 0);
    CHECK_DBL(aws_markup_factor(0), 0, 0);
    CHECK_DBL(aws_markup_factor(12.3456789), 0.123456789, 0);
    CHECK_DBL(aws_markup_factor(12.34567895), 0.12345679, 1e-18);
}

/* Memory distribution: web 100/384, db 100/384, unallocated 184/384. */
static void test_memory(void)
{
    struct rpt_table ocp;
    struct aws_partial *p = NULL;
    struct aws_settings s;
    struct aws_alias alias = {"111", 42};
    struct aws_table t;
    struct aws_counters c;
    struct ocp_error e;
    size_t i;
    example_ocp(&ocp);
    example_settings(&s, &alias);
    s.distribution_memory = 1;
    CHECK_INT(aws_partial_create(&p, DAY0, DAY0, 0, &e), OCP_OK);
    example_rows(p, 0, 1);
    aws_table_init(&t);
    CHECK_INT(aws_attribute(p, &ocp, &s, &t, &c, &e), OCP_OK);
    for (i = 0; i < t.count; i++) {
        const struct aws_row *r = &t.rows[i];
        if (r->resource_id == NULL || strcmp(r->resource_id, "i-0a") != 0 ||
            r->direction != NULL)
            continue;
        if (strcmp(r->namespace_, "web") == 0 || strcmp(r->namespace_, "db") == 0)
            CHECK_DBL(r->cost[AWS_COST_UNBLENDED], (100.0 / 384) * 24, 0);
        else
            CHECK_DBL(r->cost[AWS_COST_UNBLENDED], (184.0 / 384) * 24, 0);
    }
    aws_table_release(&t);
    aws_partial_free(p);
    rpt_table_release(&ocp);
}

int main(void)
{
    RUN(test_example);
    RUN(test_merge_identical);
    RUN(test_bad_input);
    RUN(test_markup);
    RUN(test_memory);
    return TEST_SUMMARY();
}
