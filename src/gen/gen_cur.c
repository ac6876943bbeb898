/*
 * gen_cur.c - an AWS Cost and Usage Report (CUR) that matches the
 * synthetic cluster of gen_model.c (issue 14), as raw rows in Koku's
 * column layout (struct aws_raw_row).  Deterministic per seed.
 *
 * Per day of the configuration:
 *   - EC2: one hourly BoxUsage row per node, resource id = the node's
 *     resource_id; node 0 mod 7 == 3 is covered by a Savings Plan
 *     (SavingsPlanCoveredUsage with an effective cost, plus one daily
 *     SavingsPlanNegation row), node mod 7 == 5 is Reserved
 *     (DiscountedUsage at 0 plus a daily RIFee row);
 *   - EBS: one hourly VolumeUsage row per distinct CSI handle with the
 *     rate of gp3 and a disk size >= the PVC (so the hourly cost and rate
 *     give the size, SEMANTICS-AWS §4); in-tree volumes get an EBS row
 *     whose id ends with the PV name (matched, never attributed: TRAP-6);
 *   - data transfer: one daily In and one daily Out row per node (Out
 *     also as a regional row with an operation), product AmazonEC2;
 *   - with cur_hours_per_row = k > 1 the hourly lines cover k hours each
 *     (amounts and costs times k), so the CUR shrinks against the OCP
 *     rows; an EBS line's cost/rate then gives k times the disk size
 *     (§4), which only moves cost between K1 and K2;
 *   - RDS: one database per 4 application namespaces, tagged
 *     openshift_project; one tagged with the generic app=svc-N; one whose
 *     ARN ends with a node id (compute-like, §6.2);
 *   - S3: a bucket tagged openshift_cluster = the cluster id, one tagged
 *     openshift_node, one with environment=prod;
 *   - untagged orphans: an instance and a volume matching nothing, a
 *     Tax line without resource id, a Marketplace row.
 * Costs are multiples of small binary fractions times rates, so the
 * numbers are not all round.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen/gen_internal.h"
#include "ocpagg/aws.h"
#include "ocpagg/gen.h"
#include "ocpagg/text.h"

enum { H_CUR = 301 };

struct cur_ctx {
    const struct gen_model *m;
    int (*emit)(void *, const struct aws_raw_row *, struct ocp_error *);
    void *ectx;
    int64_t rows;
    struct aws_raw_row r;
};

static void set(struct aws_raw_row *r, int col, const char *v)
{
    r->str[col] = v;
    r->len[col] = v ? strlen(v) : 0;
}

/* Fills the columns every row shares. */
static void base(struct aws_raw_row *r, int64_t us)
{
    int k;
    memset(r, 0, sizeof *r);
    r->start_us = us;
    set(r, AWS_PAYERACCOUNTID, "999999999999");
    set(r, AWS_USAGEACCOUNTID, "123456789012");
    set(r, AWS_LEGALENTITY, "Amazon Web Services, Inc.");
    set(r, AWS_LINEITEMDESCRIPTION, "");
    set(r, AWS_BILLINGENTITY, "AWS");
    set(r, AWS_AVAILABILITYZONE, "us-east-1a");
    set(r, AWS_LINEITEMTYPE, "Usage");
    set(r, AWS_OPERATION, "");
    set(r, AWS_OPERATINGSYSTEM, "");
    set(r, AWS_INSTANCETYPE, "");
    set(r, AWS_REGION, "us-east-1");
    set(r, AWS_RESOURCETAGS, "{}");
    set(r, AWS_COSTCATEGORY, "{}");
    set(r, AWS_CURRENCYCODE, "USD");
    set(r, AWS_PRODUCTNAME, "");
    for (k = 0; k < AWS_NNUM; k++)
        r->num[k] = 0;
}

static int put(struct cur_ctx *c, struct ocp_error *err)
{
    c->rows++;
    return c->emit(c->ectx, &c->r, err);
}

static const char *dstr(const struct gen_dict *g, uint32_t id, char *buf, size_t cap)
{
    size_t l;
    const char *s = ocp_strdict_get(&g->d, id, &l);
    if (l >= cap)
        l = cap - 1;
    memcpy(buf, s, l);
    buf[l] = '\0';
    return buf;
}

static int one_row(struct cur_ctx *c, int64_t us, const char *rid, const char *pc, const char *fam,
                   const char *unit, const char *ut, const char *type, const char *tags, double qty,
                   double cost, double rate, double sp, struct ocp_error *err)
{
    struct aws_raw_row *r = &c->r;
    base(r, us);
    set(r, AWS_RESOURCEID, rid);
    set(r, AWS_PRODUCTCODE, pc);
    set(r, AWS_PRODUCTFAMILY, fam);
    set(r, AWS_PRICINGUNIT, unit);
    set(r, AWS_USAGETYPE, ut);
    if (type)
        set(r, AWS_LINEITEMTYPE, type);
    if (tags)
        set(r, AWS_RESOURCETAGS, tags);
    r->num[AWS_USAGEAMOUNT] = qty;
    r->num[AWS_UNBLENDEDCOST] = cost;
    r->num[AWS_UNBLENDEDRATE] = rate;
    r->num[AWS_BLENDEDCOST] = cost * 0.96875;
    r->num[AWS_SPEFFECTIVECOST] = sp;
    return put(c, err);
}

static int day_rows(struct cur_ctx *c, uint32_t d, const char *cluster_id, struct ocp_error *err)
{
    const struct gen_model *m = c->m;
    int32_t day = m->cfg.start_day + (int32_t)d;
    int64_t day_us = (int64_t)day * 86400000000ll;
    double H = 24.0 * (double)txt_days_in_month(day);
    char rid[256], name[128], tags[512], ns[128];
    /* k hours per line (cur_hours_per_row): the day's amounts and costs
     * stay the same, the lines are fewer. */
    uint32_t k = m->cfg.cur_hours_per_row > 1 ? m->cfg.cur_hours_per_row : 1;
    double kd = (double)k;
    uint32_t i, h;
    int rc;

    /* EC2 per node, hourly. */
    for (i = 0; i < m->nnodes; i++) {
        const struct gen_node *n = &m->nodes[i];
        double rate =
            0.048 * n->cores * (1.0 + (double)(gen_hash(m->cfg.seed, H_CUR, i, 1) % 8) / 64.0);
        const char *type = i % 7 == 3   ? "SavingsPlanCoveredUsage"
                           : i % 7 == 5 ? "DiscountedUsage"
                                        : "Usage";
        char itype[32];
        snprintf(itype, sizeof itype, "m5.%uxlarge", (unsigned)(n->cores / 4.0 + 0.5));
        dstr(&m->rid, n->rid, rid, sizeof rid);
        if (rid[0] == '\0')
            continue;
        for (h = 0; h < 24; h += k) {
            double cost = i % 7 == 5 ? 0.0 : rate * kd;
            char ut[48];
            snprintf(ut, sizeof ut, "BoxUsage:%s", itype);
            rc = one_row(c, day_us + (int64_t)h * 3600000000ll, rid, "AmazonEC2",
                         "Compute Instance", "Hrs", ut, type, NULL, kd, cost, rate,
                         i % 7 == 3 ? rate * 0.71875 * kd : 0.0, err);
            if (rc != OCP_OK)
                return rc;
        }
        if (i % 7 == 3) {
            rc = one_row(c, day_us, rid, "AmazonEC2", "Compute Instance", "Hrs", "BoxUsage",
                         "SavingsPlanNegation", NULL, 0.0, -24 * rate, 0.0, 0.0, err);
            if (rc != OCP_OK)
                return rc;
        }
        if (i % 7 == 5) {
            rc = one_row(c, day_us, rid, "AmazonEC2", "Compute Instance", "Hrs", "HeavyUsage",
                         "RIFee", NULL, 24.0, 24 * rate * 0.625, 0.0, 0.0, err);
            if (rc != OCP_OK)
                return rc;
        }
        /* Data transfer: daily, in and out (and a regional out). */
        rc = one_row(c, day_us, rid, "AmazonEC2", "Data Transfer", "GB",
                     "USE1-DataTransfer-In-Bytes", NULL, NULL,
                     (double)(gen_hash(m->cfg.seed, H_CUR, i, d * 4 + 2) % 4096) / 64.0, 0.0, 0.0,
                     0.0, err);
        if (rc == OCP_OK) {
            double gb = (double)(gen_hash(m->cfg.seed, H_CUR, i, d * 4 + 3) % 4096) / 32.0;
            rc = one_row(c, day_us, rid, "AmazonEC2", "Data Transfer", "GB",
                         "USE1-DataTransfer-Out-Bytes", NULL, NULL, gb, gb * 0.09, 0.09, 0.0, err);
        }
        if (rc == OCP_OK && i % 2 == 0) {
            base(&c->r, day_us);
            set(&c->r, AWS_RESOURCEID, rid);
            set(&c->r, AWS_PRODUCTCODE, "AmazonEC2");
            set(&c->r, AWS_PRODUCTFAMILY, "Data Transfer");
            set(&c->r, AWS_PRICINGUNIT, "GB");
            set(&c->r, AWS_USAGETYPE, "USE1-DataTransfer-Regional-Bytes");
            set(&c->r, AWS_OPERATION, "InterZone-Out");
            c->r.num[AWS_USAGEAMOUNT] = 3.25;
            c->r.num[AWS_UNBLENDEDCOST] = 0.0325;
            c->r.num[AWS_BLENDEDCOST] = 0.0325;
            c->r.num[AWS_UNBLENDEDRATE] = 0.01;
            rc = put(c, err);
        }
        if (rc != OCP_OK)
            return rc;
    }
    /* EBS per distinct CSI handle, hourly; in-tree volumes by PV name. */
    for (i = 0; i < m->nvol; i++) {
        const struct gen_volume *v = &m->vols[i];
        double gib = ceil(v->bytes / 1073741824.0), size, rate = 0.08, cost;
        if (i > 0 && m->vols[i - 1].pv == v->pv)
            continue; /* a shared volume: one disk */
        size = gib + (double)((gen_hash(m->cfg.seed, H_CUR, 1000 + i, 0) % 3) * 10);
        cost = size * rate / H;
        if (v->csi != OCP_NULL_ID) {
            dstr(&m->csi, v->csi, rid, sizeof rid);
        } else {
            dstr(&m->pv, v->pv, name, sizeof name);
            snprintf(rid, sizeof rid, "arn:aws:ec2:us-east-1:123456789012:volume/%s", name);
        }
        for (h = 0; h < 24; h += k) {
            rc = one_row(c, day_us + (int64_t)h * 3600000000ll, rid, "AmazonEC2", "Storage",
                         "GB-Mo", "EBS:VolumeUsage.gp3", NULL, NULL, size * kd / H, cost * kd, rate,
                         0.0, err);
            if (rc != OCP_OK)
                return rc;
        }
    }
    /* RDS and S3 with openshift_* and generic tags. */
    for (i = 0; i < m->napp; i += 4) {
        dstr(&m->ns, m->app_ns[i], ns, sizeof ns);
        snprintf(rid, sizeof rid, "arn:aws:rds:us-east-1:123456789012:db:db-%u", i);
        snprintf(tags, sizeof tags, "{\"openshift_project\": \"%s\", \"team\": \"t%u\"}", ns,
                 i % 3);
        rc = one_row(c, day_us, rid, "AmazonRDS", "Database Instance", "Hrs",
                     "InstanceUsage:db.m5.large", NULL, tags, 24.0, 24 * 0.171, 0.171, 0.0, err);
        if (rc != OCP_OK)
            return rc;
    }
    snprintf(tags, sizeof tags, "{\"app\": \"svc-%u\"}",
             (unsigned)(m->cfg.seed % m->cfg.label_cardinality));
    rc = one_row(c, day_us, "arn:aws:rds:us-east-1:123456789012:db:generic", "AmazonRDS",
                 "Database Instance", "Hrs", "InstanceUsage:db.t3.medium", NULL, tags, 24.0,
                 24 * 0.068, 0.068, 0.0, err);
    if (rc == OCP_OK && m->nnodes > 1) {
        dstr(&m->rid, m->nodes[m->nnodes - 1].rid, name, sizeof name);
        snprintf(rid, sizeof rid, "arn:aws:rds:us-east-1:123456789012:db:%s", name);
        rc = one_row(c, day_us, rid, "AmazonRDS", "Database Instance", "Hrs",
                     "InstanceUsage:db.r5.large", NULL, NULL, 24.0, 24 * 0.25, 0.25, 0.0, err);
    }
    if (rc == OCP_OK) {
        snprintf(tags, sizeof tags, "{\"openshift_cluster\": \"%s\"}", cluster_id);
        rc = one_row(c, day_us, "cluster-bucket", "AmazonS3", "Storage", "GB-Mo",
                     "TimedStorage-ByteHrs", NULL, tags, 512.0 / 31, 11.776 / 31, 0.023, 0.0, err);
    }
    if (rc == OCP_OK) {
        dstr(&m->node, m->nodes[0].name, name, sizeof name);
        snprintf(tags, sizeof tags, "{\"openshift_node\": \"%s\"}", name);
        rc = one_row(c, day_us, "node-bucket", "AmazonS3", "Storage", "GB-Mo",
                     "TimedStorage-ByteHrs", NULL, tags, 64.0 / 31, 1.472 / 31, 0.023, 0.0, err);
    }
    if (rc == OCP_OK)
        rc =
            one_row(c, day_us, "env-bucket", "AmazonS3", "Storage", "GB-Mo", "TimedStorage-ByteHrs",
                    NULL, "{\"environment\": \"prod\"}", 100.0 / 31, 2.3 / 31, 0.023, 0.0, err);
    /* Orphans. */
    for (h = 0; h < 24 && rc == OCP_OK; h += k)
        rc = one_row(c, day_us + (int64_t)h * 3600000000ll, "i-0ffffffffffffffff", "AmazonEC2",
                     "Compute Instance", "Hrs", "BoxUsage:t3.small", NULL, NULL, kd, 0.0208 * kd,
                     0.0208, 0.0, err);
    if (rc == OCP_OK)
        rc = one_row(c, day_us, "vol-0ffffffffffffffff", "AmazonEC2", "Storage", "GB-Mo",
                     "EBS:VolumeUsage.gp2", NULL, NULL, 8.0 / 31, 0.8 / 31, 0.1, 0.0, err);
    if (rc == OCP_OK)
        rc = one_row(c, day_us, "", "AmazonEC2", "", "", "", "Tax", NULL, 0.0, 1.25, 0.0, 0.0, err);
    if (rc == OCP_OK) {
        base(&c->r, day_us);
        set(&c->r, AWS_RESOURCEID, "mp-subscription");
        set(&c->r, AWS_BILLINGENTITY, "AWS Marketplace");
        set(&c->r, AWS_PRODUCTCODE, "prod-abc123");
        set(&c->r, AWS_PRODUCTNAME, "Some Marketplace Product");
        set(&c->r, AWS_RESOURCETAGS, "{\"openshift_project\": \"no-such-namespace\"}");
        c->r.num[AWS_UNBLENDEDCOST] = 4.5;
        c->r.num[AWS_BLENDEDCOST] = 4.5;
        rc = put(c, err);
    }
    return rc;
}

int gen_cur(const struct gen_config *cfg, const char *cluster_id,
            int (*emit)(void *ctx, const struct aws_raw_row *r, struct ocp_error *err), void *ctx,
            int64_t *rows, struct ocp_error *err)
{
    struct gen_model m;
    struct cur_ctx c;
    uint32_t d;
    int rc = gen_config_check(cfg, err);
    if (rc != OCP_OK)
        return rc;
    rc = gen_model_init(&m, cfg, err);
    if (rc != OCP_OK)
        return rc;
    memset(&c, 0, sizeof c);
    c.m = &m;
    c.emit = emit;
    c.ectx = ctx;
    for (d = 0; d < cfg->days && rc == OCP_OK; d++)
        rc = day_rows(&c, d, cluster_id, err);
    if (rows)
        *rows = c.rows;
    gen_model_release(&m);
    return rc;
}
