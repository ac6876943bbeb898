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

static void pod(struct rpt_table *t, int32_t day, const char *ns, const char *node, const char *rid,
                const char *labels, double eff_cpu, double eff_mem, double cap_cpu, double cap_mem)
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
#define S(col, v)                                                                                  \
    do {                                                                                           \
        r->str[col] = (v);                                                                         \
        r->len[col] = (v) ? strlen(v) : 0;                                                         \
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
    {"i-0a", "AmazonEC2", "Compute Instance", "Hrs", "BoxUsage:m5.xlarge", "{}", 0, 0, 0, 0, 1.0,
     1.0, 1.0, 1.0, 0},
    {"vol-0b", "AmazonEC2", "Storage", "GB-Mo", "EBS:VolumeUsage.gp3", "{}", 0, 0, 0, 0,
     100.0 / 744, 1.0 / 3, 2.48, 1.0 / 3, 0},
    {"i-0a", "AmazonEC2", "Data Transfer", "GB", "DataTransfer-Out-Bytes", "{}", 0, 0, 0, 0,
     10.0 / 24, 0.0375, 0.09, 0.0375, 0},
    {"arn:aws:rds:us-east-1:111:db:x", "AmazonRDS", "Database Instance", "Hrs",
     "InstanceUsage:db.m5", "{\"app\": \"web\"}", 0, 0, 0, 0, 1.0, 5.0 / 24, 5.0 / 24, 5.0 / 24, 0},
    {"bkt", "AmazonS3", "Storage", "GB-Mo", "TimedStorage-ByteHrs",
     "{\"openshift_cluster\": \"c1\"}", 0, 0, 0, 0, 1.0, 0.125, 0.023, 0.125, 0},
    {"i-0zz", "AmazonEC2", "Compute Instance", "Hrs", "BoxUsage:t3.small", "{}", 0, 0, 0, 0, 1.0,
     1.0, 1.0, 1.0, 0},
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
    {"web", "Pod", "ip-1", "arn:aws:rds:us-east-1:111:db:x", 5, 24, 0, NULL, "{\"app\":\"web\"}",
     NULL},
    {"web", "Pod", "ip-1", "bkt", 1, 8, 0, NULL, "{\"app\":\"web\"}", NULL},
    {"web", "Pod", "ip-1", "i-0a", 12, 8, 0, NULL, "{\"app\":\"web\"}", NULL},
    {"Storage unattributed", "Storage", NULL, "vol-0b", 1.6, NAN, 0, NULL, NULL, "data"},
    {"db", "Storage", "ip-1", "bkt", 1, 8, 0, NULL, "{}", "data"},
    {"db", "Storage", "ip-1", "vol-0b", 6.4, 100.0 / 31, 0, NULL, "{}", "data"},
};

#define CHECK_NSTR(a, b)                                                                           \
    do {                                                                                           \
        if ((b) == NULL)                                                                           \
            CHECK((a) == NULL);                                                                    \
        else                                                                                       \
            CHECK_STR(a, b);                                                                       \
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
    /* The COPY text (aws_encode_csv, what the database output streams):
     * NULL is the empty unquoted field, '' the quoted empty string, NaN
     * NULL; a row range without header; the header only when asked. */
    {
        struct rpt_buf b = {0};
        const char *node = t.rows[0].node;
        double cost = t.rows[0].cost[AWS_COST_BLENDED];
        t.rows[0].node = "";
        t.rows[0].cost[AWS_COST_BLENDED] = NAN;
        CHECK_INT(aws_encode_csv(&t, 0, 1, 0, &b, &e), OCP_OK);
        CHECK_INT(rpt_buf_reserve(&b, 1), 0);
        b.data[b.len] = '\0'; /* for strstr, not part of the text */
        CHECK(b.len > 0 && b.data[b.len - 1] == '\n' &&
              memchr(b.data, '\n', b.len) == b.data + b.len - 1);
        CHECK(b.data[0] == '"');
        CHECK(strstr(b.data, ",\"Pod\",\"Network unattributed\",\"\",,,,\"i-0a\","
                             "2025-10-15,2025-10-15,") != NULL);
        /* unblended (the exact sum of 24 x 0.0375), markup, NaN blended */
        CHECK(strstr(b.data, ",\"USD\",0.8999999999999999,0.09,,0.09,") != NULL);
        b.len = 0;
        CHECK_INT(aws_encode_csv(&t, 0, t.count, 1, &b, &e), OCP_OK);
        CHECK(b.len > 22 && strncmp(b.data, "uuid,report_period_id,", 22) == 0);
        t.rows[0].node = node;
        t.rows[0].cost[AWS_COST_BLENDED] = cost;
        rpt_buf_release(&b);
    }
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
        CHECK(strstr(text[0],
                     "\"Storage unattributed\",,\"data\",\"pv1\",\"gp3\",\"vol-0b\","
                     "2025-10-15,2025-10-15,\"AmazonEC2\",\"Storage\",,7,\"111\",42,") != NULL);
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
        if (r->resource_id == NULL || strcmp(r->resource_id, "i-0a") != 0 || r->direction != NULL)
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

/* ---- the POC scenarios (SEMANTICS-AWS §11), Koku's rule per namespace ----
 * Each is one day (2025-10-15, H = 744) of OCP summary rows and CUR rows
 * built from the scenario's description; the expectations are the
 * contract's "Koku rule" column (per namespace, not only totals). */

struct sc {
    struct rpt_table ocp;
    struct aws_partial *p;
    struct aws_settings s;
    struct aws_table t;
    struct aws_counters c;
    const char *eaws[4], *eocp[4];
};

static void sc_begin(struct sc *x)
{
    struct ocp_error e;
    memset(x, 0, sizeof *x);
    rpt_table_init(&x->ocp);
    CHECK_INT(aws_partial_create(&x->p, DAY0, DAY0, 0, &e), OCP_OK);
    x->s.cluster_id = "test-cluster-001";
    x->s.cluster_alias = "Test Cluster";
    x->s.source_uuid = SRC;
    x->s.report_period_id = 1;
    x->eocp[0] = "app";
    x->s.ocp_keys = x->eocp;
    x->s.n_ocp_keys = 1;
    x->s.aws_keys = x->eaws;
    x->s.n_aws_keys = 0;
    aws_table_init(&x->t);
}

/* An EC2 compute line item of rid (usage 1 h, nothing else set). */
static void sc_compute(struct cur *c, const char *rid, const char *ut)
{
    memset(c, 0, sizeof *c);
    c->rid = rid;
    c->pc = "AmazonEC2";
    c->fam = "Compute Instance";
    c->unit = "Hrs";
    c->ut = ut;
    c->tags = "{}";
    c->qty = 1;
}

/* One CUR line item at hour h, as given. */
static void sc_cur(struct sc *x, int h, const struct cur *c)
{
    struct aws_raw_row r;
    struct ocp_error e;
    raw_from(c, ((int64_t)DAY0 * 24 + h) * 3600000000ll, &r);
    CHECK_INT(aws_partial_add(x->p, &r, &e), OCP_OK);
}

/* One CUR line item (hour h) of cost c, rate r. */
static void sc_line(struct sc *x, int h, const char *rid, const char *pc, const char *fam,
                    const char *ut, const char *type, const char *tags, double cost, double rate,
                    double sp)
{
    struct cur c;
    struct aws_raw_row r;
    struct ocp_error e;
    memset(&c, 0, sizeof c);
    c.rid = rid;
    c.pc = pc;
    c.fam = fam;
    c.unit = "Hrs";
    c.ut = ut;
    c.type = type;
    c.tags = tags ? tags : "{}";
    c.qty = 1;
    c.cost = cost;
    c.rate = rate;
    c.blended = cost;
    c.sp = sp;
    raw_from(&c, ((int64_t)DAY0 * 24 + h) * 3600000000ll, &r);
    CHECK_INT(aws_partial_add(x->p, &r, &e), OCP_OK);
}

/* An instance for 24 hours at `hourly`. */
static void sc_ec2(struct sc *x, const char *rid, const char *tags, double hourly)
{
    int h;
    for (h = 0; h < 24; h++)
        sc_line(x, h, rid, "AmazonEC2", "Compute Instance", "BoxUsage:m5.large", NULL, tags, hourly,
                hourly, 0);
}

/* An EBS volume of size GB for 24 hours costing `daily` (rate per GB-Mo
 * such that §4 gives the size back). */
static void sc_ebs(struct sc *x, const char *rid, const char *tags, double size, double daily)
{
    int h;
    double hourly = daily / 24, rate = hourly * 744 / size;
    for (h = 0; h < 24; h++)
        sc_line(x, h, rid, "AmazonEC2", "Storage", "EBS:VolumeUsage.gp3", NULL, tags, hourly, rate,
                0);
}

static void sc_run(struct sc *x)
{
    struct ocp_error e;
    CHECK_INT(aws_attribute(x->p, &x->ocp, &x->s, &x->t, &x->c, &e), OCP_OK);
}

/* Σ unblended (or the cost column k) of the rows of a namespace (NULL:
 * all) and data source (-1: both). */
static double sc_sum(const struct sc *x, const char *ns, int source, int k)
{
    double s = 0;
    size_t i;
    for (i = 0; i < x->t.count; i++) {
        const struct aws_row *r = &x->t.rows[i];
        if (ns != NULL && (r->namespace_ == NULL || strcmp(r->namespace_, ns) != 0))
            continue;
        if (source >= 0 && (int)r->source != source)
            continue;
        if (!isnan(r->cost[k]))
            s += r->cost[k];
    }
    return s;
}
#define NS(x, ns) sc_sum(x, ns, -1, AWS_COST_UNBLENDED)

static void sc_end(struct sc *x)
{
    aws_table_release(&x->t);
    aws_partial_free(x->p);
    rpt_table_release(&x->ocp);
}

/* A 4-core worker (96 core-hours) with rid and unallocated rest. */
static void sc_node(struct sc *x, const char *node, const char *rid, const char *const *ns,
                    const double *eff, const char *const *labels, int n)
{
    double used = 0;
    int i;
    for (i = 0; i < n; i++) {
        pod(&x->ocp, DAY0, ns[i], node, rid, labels ? labels[i] : "{}", eff[i], 0, 96, 384);
        used += eff[i];
    }
    pod(&x->ocp, DAY0, "Worker unallocated", node, rid, NULL, 96 - used, 0, 96, 384);
}

static void test_poc_scenarios(void)
{
    struct sc x;

    /* 01: EC2 id = node resource_id; backend uses 3/4 of the node. */
    sc_begin(&x);
    {
        const char *ns[] = {"backend", "backend"};
        const char *lb[] = {"{\"app\":\"api\"}", "{\"app\":\"api\"}"};
        const double eff[] = {48, 24};
        sc_node(&x, "n1", "i-0001", ns, eff, lb, 2);
    }
    sc_ec2(&x, "i-0001", NULL, 0.67);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 16.08, 1e-9);
    CHECK_DBL(NS(&x, "backend"), 16.08 * 0.75, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 16.08 * 0.25, 1e-9);
    sc_end(&x);

    /* 02: no id match; openshift_cluster + openshift_node tags. */
    sc_begin(&x);
    {
        const char *ns[] = {"frontend"};
        const double eff[] = {24};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    sc_ec2(&x, "i-9999",
           "{\"openshift_cluster\": \"test-cluster-001\", \"openshift_node\": \"n1\"}", 0.192);
    sc_run(&x);
    CHECK_DBL(NS(&x, "frontend"), 4.608, 1e-9);
    CHECK_DBL(NS(&x, NULL), 4.608, 1e-9);
    CHECK_INT(x.c.tag_matched, 1);
    sc_end(&x);

    /* 03: two namespaces share a node, 1/4 each, unallocated 1/2. */
    sc_begin(&x);
    {
        const char *ns[] = {"ns-a", "ns-b"};
        const double eff[] = {24, 24};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 2);
    }
    sc_ec2(&x, "i-0001", NULL, 0.384);
    sc_run(&x);
    CHECK_DBL(NS(&x, "ns-a"), 9.216 / 4, 1e-9);
    CHECK_DBL(NS(&x, "ns-b"), 9.216 / 4, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 9.216 / 2, 1e-9);
    sc_end(&x);

    /* 04: only EC2 in the manifest: no network rows. */
    sc_begin(&x);
    {
        const char *ns[] = {"app"};
        const double eff[] = {48};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    sc_ec2(&x, "i-0001", NULL, 0.0832);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 1.9968, 1e-9);
    CHECK_DBL(NS(&x, "Network unattributed"), 0, 0);
    sc_end(&x);

    /* 05: CSI handle = EBS id, 100 GiB PVC on a 100 GB disk: EBS 1.92 all
     * to database/Storage, no remainder; EC2 split with unallocated. */
    sc_begin(&x);
    {
        const char *ns[] = {"database"};
        const double eff[] = {48};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    storage(&x.ocp, DAY0, "database", "n1", "i-0001", "{}", "db-data", "pv-1", "gp3", "vol-0001",
            100);
    sc_ec2(&x, "i-0001", NULL, 0.192);
    sc_ebs(&x, "vol-0001", NULL, 100, 1.92);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 6.528, 1e-9);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_STORAGE, AWS_COST_UNBLENDED), 1.92, 1e-9);
    CHECK_DBL(NS(&x, "Storage unattributed"), 0, 0);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_POD, AWS_COST_UNBLENDED), 4.608 / 2, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 4.608 / 2, 1e-9);
    sc_end(&x);

    /* 06: two clusters, each EC2 tagged openshift_cluster with its own
     * cluster id (the ids match no node: tag matching).  ocpagg
     * summarises one cluster per run, so the scenario is two runs over
     * the same CUR: each gives 4.08 to its own namespace and leaves the
     * other cluster's instance unmatched (counted, not attributed). */
    {
        static const char *const cl[2] = {"prod-cluster", "staging-cluster"};
        static const char *const al[2] = {"Production", "Staging"};
        static const char *const nsn[2] = {"prod-app", "staging-app"};
        static const char *const node[2] = {"ip-10-0-6-100.ec2.internal",
                                            "ip-10-0-6-200.ec2.internal"};
        static const char *const nrid[2] = {"i-prod0001", "i-staging0001"};
        /* 8 and 4 cores; effective = max(usage, request) = 6 and 3 cores */
        static const double cap[2] = {192, 96}, eff[2] = {144, 72};
        int k;
        for (k = 0; k < 2; k++) {
            sc_begin(&x);
            x.s.cluster_id = cl[k];
            x.s.cluster_alias = al[k];
            pod(&x.ocp, DAY0, nsn[k], node[k], nrid[k], "{}", eff[k], 0, cap[k], 1);
            pod(&x.ocp, DAY0, "Worker unallocated", node[k], nrid[k], NULL, cap[k] - eff[k], 0,
                cap[k], 1);
            sc_ec2(&x, "i-06a",
                   "{\"openshift_cluster\": \"prod-cluster\", "
                   "\"environment\": \"production\"}",
                   0.170);
            sc_ec2(&x, "i-06b",
                   "{\"openshift_cluster\": \"staging-cluster\", "
                   "\"environment\": \"staging\"}",
                   0.170);
            sc_run(&x);
            CHECK_DBL(NS(&x, nsn[k]), 4.08, 1e-9);
            CHECK_DBL(NS(&x, nsn[1 - k]), 0, 0);
            CHECK_DBL(NS(&x, "Worker unallocated"), 0, 0); /* tag rows skip Specials */
            CHECK_DBL(NS(&x, NULL), 4.08, 1e-9);
            CHECK_INT(x.c.tag_matched, 1);
            CHECK_INT(x.c.unmatched, 1);
            CHECK_DBL(x.c.unmatched_unblended, 4.08, 1e-9);
            sc_end(&x);
        }
    }

    /* 07: one id match, one tag match (cluster + node tags), one orphan:
     * the tagged instance goes to every namespace of the day (OR). */
    sc_begin(&x);
    {
        const char *ns[] = {"app-with-id", "app-with-tag", "other"};
        const double eff[] = {24, 24, 24};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 3);
    }
    sc_ec2(&x, "i-0001", NULL, 0.2);
    sc_ec2(&x, "i-0002",
           "{\"openshift_cluster\": \"test-cluster-001\", \"openshift_node\": \"n1\"}", 0.3);
    sc_ec2(&x, "i-0003", NULL, 0.5);
    sc_run(&x);
    CHECK_DBL(NS(&x, "app-with-tag"), 4.8 / 4 + 7.2 / 3, 1e-9);
    CHECK_DBL(NS(&x, "other"), 4.8 / 4 + 7.2 / 3, 1e-9);
    CHECK_DBL(NS(&x, NULL), 12.0, 1e-9);
    CHECK_INT(x.c.unmatched, 1);
    CHECK_DBL(x.c.unmatched_unblended, 12.0, 1e-9);
    sc_end(&x);

    /* 08: idle pod (usage 0, request 2 cores → effective 48 h) next to an
     * active one (6 cores of 16): idle 2/16, unallocated 8/16. */
    sc_begin(&x);
    pod(&x.ocp, DAY0, "active-app", "n1", "i-0001", "{}", 144, 0, 384, 1);
    pod(&x.ocp, DAY0, "idle-app", "n1", "i-0001", "{}", 48, 0, 384, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "n1", "i-0001", NULL, 192, 0, 384, 1);
    sc_ec2(&x, "i-0001", NULL, 0.252);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 6.048, 1e-9);
    CHECK_DBL(NS(&x, "idle-app"), 6.048 * 2 / 16, 1e-9);
    CHECK_DBL(NS(&x, "active-app"), 6.048 * 6 / 16, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 6.048 * 8 / 16, 1e-9);
    sc_end(&x);

    /* 09: all four cost columns (and their markups) populated: an 8-core
     * node, prod-api effective 6 cores, prod-worker 2 (= request): 75 /
     * 25, unallocated 0 (a row of zeros, never NULL).  Blended and the
     * Savings Plan effective cost differ from unblended so each column is
     * told apart; amortized = unblended for a Usage line (§2); m = 0.1. */
    sc_begin(&x);
    x.s.markup_percent = 10;
    pod(&x.ocp, DAY0, "prod-api", "ip-10-0-9-100.ec2.internal", "i-0009", "{}", 144, 0, 192, 1);
    pod(&x.ocp, DAY0, "prod-worker", "ip-10-0-9-100.ec2.internal", "i-0009", "{}", 48, 0, 192, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "ip-10-0-9-100.ec2.internal", "i-0009", NULL, 0, 0, 192,
        1);
    {
        struct cur c;
        int h;
        sc_compute(&c, "i-0009", "BoxUsage:m5.4xlarge");
        c.cost = 0.768;
        c.rate = 0.768;
        c.blended = 0.7;
        c.sp = 0.6;
        for (h = 0; h < 24; h++)
            sc_cur(&x, h, &c);
    }
    sc_run(&x);
    {
        static const struct {
            const char *ns;
            double share;
        } want[] = {{"prod-api", 0.75}, {"prod-worker", 0.25}, {"Worker unallocated", 0}};
        /* per day: unblended 18.432, blended 16.8, savings plan 14.4,
         * amortized = unblended 18.432 */
        static const double day[AWS_NCOST] = {18.432, 1.8432, 16.8,   1.68,
                                              14.4,   1.44,   18.432, 1.8432};
        size_t i, n;
        int k;
        for (i = 0; i < 3; i++)
            for (k = 0; k < AWS_NCOST; k++)
                CHECK_DBL(sc_sum(&x, want[i].ns, -1, k), day[k] * want[i].share, 1e-9);
        /* no NULL cost on any row */
        for (i = 0, n = 0; i < x.t.count; i++)
            for (k = 0; k < AWS_NCOST; k++)
                n += isnan(x.t.rows[i].cost[k]) != 0;
        CHECK_INT((long)n, 0);
        CHECK_INT((long)x.t.count, 3);
    }
    CHECK_DBL(NS(&x, NULL), 18.432, 1e-9);
    sc_end(&x);

    /* 10: two CSI-matched EBS volumes (PVC = disk: all to database/Storage,
     * no remainder) and two orphaned volumes (no PV, no matching tag):
     * absent from the report, counted as unmatched with their 24.00. */
    sc_begin(&x);
    pod(&x.ocp, DAY0, "database", "ip-10-0-10-100.ec2.internal", "i-test0010", "{}", 72, 0, 96, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "ip-10-0-10-100.ec2.internal", "i-test0010", NULL, 24,
        0, 96, 1);
    storage(&x.ocp, DAY0, "database", "ip-10-0-10-100.ec2.internal", "i-test0010", "{}",
            "postgres-data-pvc", "postgres-data", "gp3", "vol-matched-001", 100);
    storage(&x.ocp, DAY0, "database", "ip-10-0-10-100.ec2.internal", "i-test0010", "{}",
            "postgres-logs-pvc", "postgres-logs", "gp3", "vol-matched-002", 50);
    sc_ec2(&x, "i-test0010", NULL, 0.170);
    sc_ebs(&x, "vol-matched-001", "{\"purpose\": \"postgres-data\", \"namespace\": \"database\"}",
           100, 8.0);
    sc_ebs(&x, "vol-matched-002", "{\"purpose\": \"postgres-logs\", \"namespace\": \"database\"}",
           50, 4.0);
    sc_ebs(&x, "vol-orphaned-001", "{\"purpose\": \"detached-volume\"}", 200, 16.0);
    sc_ebs(&x, "vol-orphaned-002", "{\"purpose\": \"deleted-pv\"}", 100, 8.0);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 16.08, 1e-9);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_STORAGE, AWS_COST_UNBLENDED), 12.0, 1e-9);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_POD, AWS_COST_UNBLENDED), 4.08 * 0.75, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 4.08 * 0.25, 1e-9);
    CHECK_DBL(NS(&x, "Storage unattributed"), 0, 0);
    CHECK_INT(x.c.resource_matched, 3);
    CHECK_INT(x.c.unmatched, 2);
    CHECK_DBL(x.c.unmatched_unblended, 24.0, 1e-9);
    CHECK_DBL(x.c.daily_unblended, 40.08, 1e-9);
    sc_end(&x);

    /* 11: named "corrupted" but its manifest is clean: an 8-core node,
     * good-app effective 6 cores: 3/4 of 4.608 (the POC expects all of
     * it), 1/4 to Worker unallocated.  Its note's cases are added here:
     * a pod label with non-ASCII text (kept as is in tags/pod_labels), a
     * line of the instance with malformed tags (counted, read as {}, still
     * resource-matched) and one with a NULL date (dropped, counted). */
    sc_begin(&x);
    pod(&x.ocp, DAY0, "good-app", "ip-10-0-11-100.ec2.internal", "i-0011",
        "{\"app\":\"g\u00f6\u00f6d-\u2713\"}", 144, 0, 192, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "ip-10-0-11-100.ec2.internal", "i-0011", NULL, 48, 0,
        192, 1);
    sc_ec2(&x, "i-0011", NULL, 0.192);
    {
        struct cur c;
        struct aws_raw_row r;
        struct ocp_error e;
        sc_compute(&c, "i-0011", "BoxUsage:m5.xlarge");
        c.tags = "{\"openshift_project\": ";
        sc_cur(&x, 3, &c); /* cost 0: changes no sum */
        c.tags = "{}";
        c.cost = c.blended = 99;
        raw_from(&c, (int64_t)DAY0 * 86400000000ll, &r);
        r.start_null = 1;
        CHECK_INT(aws_partial_add(x.p, &r, &e), OCP_OK);
    }
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 4.608, 1e-9);
    CHECK_DBL(NS(&x, "good-app"), 4.608 * 0.75, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 4.608 * 0.25, 1e-9);
    CHECK_INT(x.c.read.bad_tags, 1);
    CHECK_INT(x.c.read.rows_null_date, 1);
    {
        size_t i;
        int found = 0;
        for (i = 0; i < x.t.count; i++)
            if (x.t.rows[i].tags != NULL && strstr(x.t.rows[i].tags, "\u2713") != NULL)
                found = 1;
        CHECK(found);
    }
    sc_end(&x);

    /* 12: fractional cores: 7-core node, shares /7 with unallocated. */
    sc_begin(&x);
    pod(&x.ocp, DAY0, "p1", "n1", "i-0001", "{}", 2.333333 * 24, 0, 168, 1);
    pod(&x.ocp, DAY0, "p2", "n1", "i-0001", "{}", 3.141592 * 24, 0, 168, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "n1", "i-0001", NULL, 168 - 5.474925 * 24, 0, 168, 1);
    sc_ec2(&x, "i-0001", NULL, 0.34);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 8.16, 1e-9);
    CHECK_DBL(NS(&x, "p1"), 8.16 * 2.333333 / 7, 1e-9);
    CHECK_DBL(NS(&x, "p2"), 8.16 * 3.141592 / 7, 1e-9);
    sc_end(&x);

    /* 13: EC2 + data transfer out on the same instance. */
    sc_begin(&x);
    {
        const char *ns[] = {"backend"};
        const double eff[] = {48};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    sc_ec2(&x, "i-0001", NULL, 0.0832);
    sc_line(&x, 0, "i-0001", "AmazonEC2", "Data Transfer", "USE1-DataTransfer-Out-Bytes", NULL,
            NULL, 4.5, 0.09, 0);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 6.4968, 1e-9);
    CHECK_DBL(NS(&x, "Network unattributed"), 4.5, 1e-9);
    CHECK_DBL(NS(&x, "backend"), 1.9968 / 2, 1e-9);
    sc_end(&x);

    /* 14: SavingsPlanCoveredUsage at SP 0.035/h: unblended 0,
     * savings plan and amortized 0.84, split with unallocated. */
    sc_begin(&x);
    {
        const char *ns[] = {"sp-app"};
        const double eff[] = {48};
        int h;
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
        for (h = 0; h < 24; h++)
            sc_line(&x, h, "i-0001", "AmazonEC2", "Compute Instance", "BoxUsage:m5.large",
                    "SavingsPlanCoveredUsage", NULL, 0.096, 0.096, 0.035);
    }
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 0, 1e-12);
    CHECK_DBL(sc_sum(&x, NULL, -1, AWS_COST_SAVINGSPLAN), 0.84, 1e-9);
    CHECK_DBL(sc_sum(&x, NULL, -1, AWS_COST_AMORTIZED), 0.84, 1e-9);
    CHECK_DBL(sc_sum(&x, "sp-app", -1, AWS_COST_AMORTIZED), 0.42, 1e-9);
    CHECK_DBL(sc_sum(&x, NULL, -1, AWS_COST_BLENDED), 0, 1e-12);
    sc_end(&x);

    /* 15: an RDS ARN ending with a node id is split like compute; a second
     * RDS tagged openshift_node goes to the node's namespaces. */
    sc_begin(&x);
    {
        const char *ns[] = {"database"};
        const double eff[] = {72};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    sc_line(&x, 0, "arn:aws:rds:us-east-1:1:db:i-0001", "AmazonRDS", "Database Instance",
            "InstanceUsage", NULL, NULL, 8.0, 8.0, 0);
    sc_line(&x, 0, "arn:aws:rds:us-east-1:1:db:other", "AmazonRDS", "Database Instance",
            "InstanceUsage", NULL, "{\"openshift_node\": \"n1\"}", 4.024, 4.024, 0);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 12.024, 1e-9);
    CHECK_DBL(NS(&x, "database"), 6 + 4.024, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 2, 1e-9);
    sc_end(&x);

    /* 16: S3 buckets tagged openshift_project go to their project; a
     * cluster tag that is not this cluster matches nothing; effective
     * usage above capacity gives a negative unallocated share. */
    sc_begin(&x);
    pod(&x.ocp, DAY0, "data-lake", "n1", "i-0001", "{}", 2.3 * 24, 0, 48, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "n1", "i-0001", NULL, 48 - 2.3 * 24, 0, 48, 1);
    pod(&x.ocp, DAY0, "analytics", "n2", "i-0002", "{}", 24, 0, 48, 1);
    pod(&x.ocp, DAY0, "Worker unallocated", "n2", "i-0002", NULL, 24, 0, 48, 1);
    sc_line(&x, 0, "bucket-1", "AmazonS3", "Storage", "TimedStorage-ByteHrs", NULL,
            "{\"openshift_project\": \"data-lake\", \"openshift_cluster\": \"someone-else\"}", 5.0,
            0.023, 0);
    sc_line(&x, 0, "bucket-2", "AmazonS3", "Storage", "TimedStorage-ByteHrs", NULL,
            "{\"openshift_project\": \"analytics\"}", 3.0, 0.023, 0);
    sc_ec2(&x, "i-0001", NULL, 0.1);
    sc_run(&x);
    CHECK_DBL(sc_sum(&x, "data-lake", -1, AWS_COST_UNBLENDED), 5.0 + 2.4 * 2.3 / 2, 1e-9);
    CHECK_DBL(NS(&x, "analytics"), 3.0, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 2.4 * (2 - 2.3) / 2, 1e-9);
    CHECK(NS(&x, "Worker unallocated") < 0);
    sc_end(&x);

    /* 17: DiscountedUsage at $0 next to on-demand. */
    sc_begin(&x);
    {
        const char *ns[] = {"ri-app"};
        const double eff[] = {96};
        int h;
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
        sc_node(&x, "n2", "i-0002", ns, eff, NULL, 1);
        for (h = 0; h < 24; h++)
            sc_line(&x, h, "i-0002", "AmazonEC2", "Compute Instance", "BoxUsage:m5.large",
                    "DiscountedUsage", NULL, 0, 0.096, 0);
    }
    sc_ec2(&x, "i-0001", NULL, 0.0416);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 0.9984, 1e-9);
    CHECK_DBL(NS(&x, "ri-app"), 0.9984, 1e-9);
    sc_end(&x);

    /* 18: one EBS volume (100 GB, CSI handle shared-disk-001) used by two
     * clusters, PVCs of 40 and 30 GB (OPEN-3; docs/aws.md "Choices").
     * ocpagg summarises one cluster per run and keeps k = 1 with T =
     * this cluster's PVC capacity, so each run gives its own PVC its share
     * (as Koku does) and the rest of the disk to Storage unattributed:
     * alpha 0.6 D, bravo 0.7 D, where Koku gives each (100 - 70) / 100 / 2
     * = 0.15 D.  Together the two runs attribute the disk twice (2 D):
     * overstated by 0.45 D in alpha's run and 0.55 D in bravo's.  The EC2
     * of each node (ids = the nodes' resource ids) is resource-matched
     * and split by CPU; the other cluster's instance stays unmatched. */
    {
        static const char *const cl[2] = {"cluster-alpha", "cluster-bravo"};
        static const char *const al[2] = {"ClusterAlpha", "ClusterBravo"};
        static const char *const nsn[2] = {"project-alpha", "project-bravo"};
        static const char *const node[2] = {"node-alpha-01", "node-bravo-01"};
        static const char *const nrid[2] = {"i-alpha-node", "i-bravo-node"};
        static const char *const pvc[2] = {"pvc-alpha", "pvc-bravo"};
        static const char *const pv[2] = {"shared-storage-alpha", "shared-storage-bravo"};
        static const double gb[2] = {40, 30};
        /* $0.383 per GB-month, 100 GB, one October day */
        const double d = 100 * 0.383 * 24 / 744;
        const double koku_rest = d * (100 - 70) / 100 / 2;
        int k;
        for (k = 0; k < 2; k++) {
            double ours_rest = d * (100 - gb[k]) / 100;
            sc_begin(&x);
            x.s.cluster_id = cl[k];
            x.s.cluster_alias = al[k];
            /* 2 cores = 48 core-hours; effective max(1.5, 1) = 1.5 cores */
            pod(&x.ocp, DAY0, nsn[k], node[k], nrid[k], "{}", 36, 0, 48, 1);
            pod(&x.ocp, DAY0, "Worker unallocated", node[k], nrid[k], NULL, 12, 0, 48, 1);
            storage(&x.ocp, DAY0, nsn[k], node[k], nrid[k], "{}", pvc[k], pv[k], "gp3",
                    "shared-disk-001", gb[k]);
            sc_ec2(&x, "i-alpha-node",
                   "{\"openshift_cluster\": \"cluster-alpha\", "
                   "\"openshift_node\": \"node-alpha-01\"}",
                   0.0416);
            sc_ec2(&x, "i-bravo-node",
                   "{\"openshift_cluster\": \"cluster-bravo\", "
                   "\"openshift_node\": \"node-bravo-01\"}",
                   0.0416);
            sc_ebs(&x, "shared-disk-001",
                   "{\"openshift_cluster\": \"cluster-alpha\", "
                   "\"storage_tier\": \"shared\"}",
                   100, d);
            sc_run(&x);
            CHECK_DBL(sc_sum(&x, nsn[k], RPT_SOURCE_POD, AWS_COST_UNBLENDED), 0.9984 * 0.75, 1e-9);
            CHECK_DBL(NS(&x, "Worker unallocated"), 0.9984 * 0.25, 1e-9);
            /* the PVC's share: as Koku */
            CHECK_DBL(sc_sum(&x, nsn[k], RPT_SOURCE_STORAGE, AWS_COST_UNBLENDED), d * gb[k] / 100,
                      1e-9);
            /* the remainder: this cluster's only (Koku: koku_rest) */
            CHECK_DBL(NS(&x, "Storage unattributed"), ours_rest, 1e-9);
            CHECK_DBL(NS(&x, "Storage unattributed") - koku_rest, k == 0 ? 0.45 * d : 0.55 * d,
                      1e-9);
            CHECK_DBL(NS(&x, nsn[1 - k]), 0, 0);
            CHECK_DBL(NS(&x, NULL), 0.9984 + d, 1e-9);
            CHECK_INT(x.c.unmatched, 1);
            CHECK_DBL(x.c.unmatched_unblended, 0.9984, 1e-9);
            sc_end(&x);
        }
    }

    /* 19: EBS without CSI tagged openshift_cluster (and openshift_project
     * on one): split evenly over both namespaces (OR, TRAP-5), no Storage
     * unattributed. */
    sc_begin(&x);
    {
        const char *ns[] = {"web", "api"};
        const double eff[] = {24, 24};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 2);
    }
    sc_ebs(&x, "vol-a", "{\"openshift_cluster\": \"test-cluster-001\"}", 50, 1.0);
    sc_ebs(&x, "vol-b",
           "{\"openshift_cluster\": \"test-cluster-001\", \"openshift_project\": \"web\"}", 50,
           2.0);
    sc_run(&x);
    CHECK_DBL(NS(&x, "web"), 1.5, 1e-9);
    CHECK_DBL(NS(&x, "api"), 1.5, 1e-9);
    CHECK_DBL(NS(&x, "Storage unattributed"), 0, 0);
    sc_end(&x);

    /* 20: openshift_cluster = the alias. */
    sc_begin(&x);
    {
        const char *ns[] = {"app-prod"};
        const double eff[] = {24};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    sc_ec2(&x, "i-7777", "{\"openshift_cluster\": \"Test Cluster\"}", 0.1);
    sc_run(&x);
    CHECK_DBL(NS(&x, "app-prod"), 2.4, 1e-9);
    sc_end(&x);

    /* 21: EBS tagged app/tier + cluster tag, a PV with labels: split over
     * database/Pod and database/Storage; EC2 half to unallocated. */
    sc_begin(&x);
    x.eaws[0] = "app";
    x.s.n_aws_keys = 1;
    {
        const char *ns[] = {"database"};
        const double eff[] = {48};
        const char *lb[] = {"{\"app\":\"postgres\"}"};
        sc_node(&x, "n1", "i-0001", ns, eff, lb, 1);
    }
    storage(&x.ocp, DAY0, "database", "n1", "i-0001", "{\"app\":\"postgres\"}", "pg-data", "pv-pg",
            "gp2", NULL, 20);
    sc_ebs(&x, "vol-pg",
           "{\"app\": \"postgres\", \"tier\": \"db\", "
           "\"openshift_cluster\": \"test-cluster-001\"}",
           20, 0.72);
    sc_ec2(&x, "i-0001", NULL, 0.1);
    sc_run(&x);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_STORAGE, AWS_COST_UNBLENDED), 0.36, 1e-9);
    CHECK_DBL(sc_sum(&x, "database", RPT_SOURCE_POD, AWS_COST_UNBLENDED), 0.36 + 1.2, 1e-9);
    CHECK_DBL(NS(&x, "Worker unallocated"), 1.2, 1e-9);
    CHECK_DBL(NS(&x, NULL), 3.12, 1e-9);
    sc_end(&x);

    /* 22: EBS id ends with the PV name, no CSI handle: resource-matched,
     * never a capacity nor a node: dropped (TRAP-6), counted. */
    sc_begin(&x);
    {
        const char *ns[] = {"app"};
        const double eff[] = {48};
        sc_node(&x, "n1", "i-0001", ns, eff, NULL, 1);
    }
    storage(&x.ocp, DAY0, "app", "n1", "i-0001", "{}", "data", "pvc-1234", "gp2", NULL, 10);
    sc_ec2(&x, "i-0001", NULL, 0.05);
    sc_ebs(&x, "arn:aws:ec2:us-east-1:1:volume/pvc-1234", NULL, 10, 1.92);
    sc_run(&x);
    CHECK_DBL(NS(&x, NULL), 1.20, 1e-9);
    CHECK_INT(x.c.dropped[AWS_DROP_COMPUTE_NO_NODE], 1);
    CHECK_DBL(x.c.dropped_unblended[AWS_DROP_COMPUTE_NO_NODE], 1.92, 1e-9);
    sc_end(&x);

    /* 23: only generic tags: frontend gets it when a key is enabled for
     * both AWS and OCP, else nothing. */
    {
        int enabled;
        for (enabled = 0; enabled < 2; enabled++) {
            sc_begin(&x);
            if (enabled) {
                x.eaws[0] = "app";
                x.s.n_aws_keys = 1;
            }
            {
                const char *ns[] = {"frontend", "backend"};
                const double eff[] = {24, 24};
                const char *lb[] = {"{\"app\":\"web\",\"tier\":\"fe\"}", "{\"app\":\"api\"}"};
                sc_node(&x, "n1", "i-0001", ns, eff, lb, 2);
            }
            sc_ec2(&x, "i-5555", "{\"app\": \"web\", \"tier\": \"fe\", \"environment\": \"prod\"}",
                   0.2);
            sc_run(&x);
            CHECK_DBL(NS(&x, "frontend"), enabled ? 4.8 : 0, 1e-9);
            CHECK_DBL(NS(&x, NULL), enabled ? 4.8 : 0, 1e-9);
            CHECK_INT(x.c.unmatched, enabled ? 0 : 1);
            sc_end(&x);
        }
    }
}

/* Days attributed on their owner "ranks" (as the job's AWS step does):
 * 4 days, 3 ranks; each rank holds the OCP rows of its days (day mod 3)
 * and reads a third of the CUR rows of every day; the daily rows go to
 * the days' owners (aws_partial_serialize_days, the reading counters only
 * to rank 0), each rank prepares with every rank's match sets
 * (aws_match_encode, aws_prepare_shared), attributes its days and encodes
 * them as blocks (CSV text and rows); "rank 0" takes the blocks in day
 * order.  The CSV bytes and the counters equal one aws_attribute over
 * everything.  The PV is on day 0's rows only, so the other days match
 * its disk only through the run-wide sets. */
#define NDAYS 4
#define NRANKS 3

static int owned(int32_t day, void *ctx)
{
    return day % NRANKS == *(const int *)ctx;
}

static void add_days(struct aws_partial *p, int part, int parts)
{
    int d, h;
    size_t i;
    for (d = 0; d < NDAYS; d++)
        for (h = 0; h < 24; h++)
            for (i = 0; i < NCUR; i++) {
                struct aws_raw_row r;
                struct ocp_error e;
                if ((int)((size_t)(d * 24 + h) * NCUR + i) % parts != part)
                    continue;
                raw_from(&example_cur[i], ((int64_t)(DAY0 + d) * 24 + h) * 3600000000ll, &r);
                CHECK_INT(aws_partial_add(p, &r, &e), OCP_OK);
            }
}

static void days_ocp(struct rpt_table *t, int rank)
{
    int d;
    rpt_table_init(t);
    for (d = 0; d < NDAYS; d++) {
        if (rank >= 0 && (DAY0 + d) % NRANKS != rank)
            continue;
        pod(t, DAY0 + d, "web", "ip-1", "i-0a", "{\"app\":\"web\"}", 48, 100, 96, 384);
        pod(t, DAY0 + d, "db", "ip-1", "i-0a", "{}", 24, 100, 96, 384);
        if (d == 0)
            storage(t, DAY0, "db", "ip-1", "i-0a", "{}", "data", "pv1", "gp3", "vol-0b", 80);
    }
}

static void test_days_on_ranks(void)
{
    struct rpt_table all, ocp[NRANKS];
    struct aws_settings s;
    struct aws_alias alias = {"111", 42};
    struct aws_partial *p = NULL, *share[NRANKS], *mine[NRANKS];
    struct aws_prepared *a[NRANKS];
    struct rpt_buf ref = {0}, got = {0}, match = {0}, rj = {0}, gj = {0};
    struct rpt_buf blocks[NDAYS];
    struct aws_table t;
    struct aws_counters c, gc;
    struct ocp_error e;
    int r, q, d;

    example_settings(&s, &alias);
    /* The reference: everything in one process. */
    days_ocp(&all, -1);
    CHECK_INT(aws_partial_create(&p, DAY0, DAY0 + NDAYS - 1, 0, &e), OCP_OK);
    add_days(p, 0, 1);
    aws_table_init(&t);
    CHECK_INT(aws_attribute(p, &all, &s, &t, &c, &e), OCP_OK);
    CHECK_INT(aws_csv_append(&t, 1, &ref), OCP_OK);
    CHECK_INT(aws_counters_json(&c, &rj), OCP_OK);
    CHECK(t.count > 20);
    /* The disk of days 1-3 is matched (by the Volumes set, from day 0's
     * rows) and dropped for want of rows that day, not unmatched. */
    CHECK_INT(c.dropped[AWS_DROP_COMPUTE_NO_NODE], NDAYS - 1);
    CHECK_INT(c.unmatched, NDAYS);
    aws_table_release(&t);
    aws_partial_free(p);

    /* The ranks. */
    for (r = 0; r < NRANKS; r++) {
        days_ocp(&ocp[r], r);
        CHECK_INT(aws_match_encode(&ocp[r], INT32_MIN, INT32_MAX, &match), OCP_OK);
        CHECK_INT(aws_partial_create(&share[r], DAY0, DAY0 + NDAYS - 1, 0, &e), OCP_OK);
        add_days(share[r], (r + 1) % NRANKS, NRANKS);
    }
    for (r = 0; r < NRANKS; r++) {
        CHECK_INT(aws_partial_create(&mine[r], DAY0, DAY0 + NDAYS - 1, 0, &e), OCP_OK);
        for (q = 0; q < NRANKS; q++) {
            struct rpt_buf b = {0};
            CHECK_INT(aws_partial_serialize_days(share[q], owned, &r, r == 0, &b, &e), OCP_OK);
            CHECK_INT(aws_partial_merge_bytes(mine[r], (unsigned char *)b.data, b.len, &e), OCP_OK);
            rpt_buf_release(&b);
        }
        CHECK_INT(aws_prepare_shared(mine[r], &ocp[r], (unsigned char *)match.data, match.len, &s,
                                     &a[r], &e),
                  OCP_OK);
    }
    for (d = 0; d < NDAYS; d++) {
        const int32_t *days;
        size_t nd, i;
        struct aws_table dt;
        struct aws_counters dc;
        r = (DAY0 + d) % NRANKS;
        memset(&blocks[d], 0, sizeof blocks[d]);
        nd = aws_prepared_days(a[r], &days);
        for (i = 0; i < nd && days[i] != DAY0 + d; i++)
            ;
        CHECK(i < nd);
        if (i == nd)
            continue;
        aws_table_init(&dt);
        CHECK_INT(aws_attribute_day(a[r], i, &dt, &dc, &e), OCP_OK);
        CHECK_INT(aws_block_encode(&dt, &dc, d % 2, &blocks[d]), OCP_OK);
        aws_table_release(&dt);
    }
    /* "Rank 0": the blocks in day order. */
    memset(&gc, 0, sizeof gc);
    aws_table_init(&t);
    CHECK_INT(aws_csv_append(&t, 1, &got), OCP_OK);
    aws_table_release(&t);
    for (d = 0; d < NDAYS; d++) {
        struct aws_table dt;
        struct aws_counters dc;
        const char *csv;
        size_t n;
        aws_table_init(&dt);
        dt.cluster_id = strdup("c1");
        dt.cluster_alias = strdup("C1");
        dt.source_uuid = strdup(SRC);
        dt.report_period_id = 3;
        dt.bill_id = 7;
        dt.has_bill_id = 1;
        CHECK_INT(aws_block_decode((unsigned char *)blocks[d].data, blocks[d].len, &dt, &dc, &csv,
                                   &n, &e),
                  OCP_OK);
        CHECK((csv != NULL) == (d % 2 == 1));
        aws_counters_add(&gc, &dc);
        if (csv != NULL) {
            CHECK_INT(rpt_buf_reserve(&got, n), 0);
            memcpy(got.data + got.len, csv, n);
            got.len += n;
        } else {
            CHECK_INT(aws_csv_append(&dt, 0, &got), OCP_OK);
        }
        /* a truncated block is an error, not a crash */
        CHECK_INT(aws_block_decode((unsigned char *)blocks[d].data, blocks[d].len / 2, &dt, &dc,
                                   &csv, &n, &e) == OCP_OK &&
                      csv == NULL,
                  0);
        aws_table_release(&dt);
        rpt_buf_release(&blocks[d]);
    }
    aws_partial_counts(mine[0], &gc.read);
    CHECK_INT(aws_counters_json(&gc, &gj), OCP_OK);
    CHECK(got.len == ref.len && memcmp(got.data, ref.data, ref.len) == 0);
    CHECK(gj.len == rj.len && memcmp(gj.data, rj.data, rj.len) == 0);
    CHECK_INT(gc.read.rows_read, (int64_t)(NDAYS * 24 * NCUR));
    for (r = 0; r < NRANKS; r++) {
        aws_prepared_free(a[r]);
        aws_partial_free(mine[r]);
        aws_partial_free(share[r]);
        rpt_table_release(&ocp[r]);
    }
    rpt_table_release(&all);
    rpt_buf_release(&ref);
    rpt_buf_release(&got);
    rpt_buf_release(&match);
    rpt_buf_release(&rj);
    rpt_buf_release(&gj);
}

int main(void)
{
    RUN(test_example);
    RUN(test_merge_identical);
    RUN(test_days_on_ranks);
    RUN(test_bad_input);
    RUN(test_markup);
    RUN(test_memory);
    RUN(test_poc_scenarios);
    return TEST_SUMMARY();
}
