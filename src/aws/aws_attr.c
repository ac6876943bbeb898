/*
 * aws_attr.c - the attribution of SEMANTICS-AWS §2-§6, row by row and day
 * by day: a daily row's values (§2), its matching by resource id and by
 * tag (§3), the disk capacity (§4) and the kind it takes (the kinds'
 * rules are aws_attr_kinds.c's), the rows that drop out (§5.8); and the
 * driver: the prepared, read-only context and one day's attribution.
 *
 * Every Σ is exact (xsum); the report is sorted, so it depends on nothing
 * but the merged partial, the OCP rows and the settings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_attr_internal.h"
#include "ocpagg/labels.h"
#include "ocpagg/text.h"

/* ---- per daily row ---- */

static int contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle), i, j;
    for (i = 0; s[i] != '\0'; i++) {
        for (j = 0; j < n; j++) {
            char c = s[i + j];
            if (c == '\0')
                return 0;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
        }
        if (j == n)
            return 1;
    }
    return 0;
}

static int drow_load(struct ctx *x, size_t i, struct drow *d, struct ocp_error *err)
{
    const struct aws_partial *p = x->p;
    const struct aws_daily *dy = &p->daily[i];
    const char *type;
    double U, B, S;
    int f, rc;
    d->day = dy->day;
    for (f = 0; f < AWS_KEY_STRINGS; f++) {
        size_t l;
        const char *s = aws_daily_str(p, i, f, &l);
        d->s[f] = malloc(l + 1);
        if (d->s[f] == NULL)
            return oom(err);
        memcpy(d->s[f], s, l);
        d->s[f][l] = '\0';
    }
    d->rid = empty_null(d->s[AWS_RESOURCEID]);
    if (strcmp(d->s[AWS_BILLINGENTITY], "AWS Marketplace") == 0)
        d->product_code =
            nonempty(dy->productname) ? dy->productname : empty_null(d->s[AWS_PRODUCTCODE]);
    else
        d->product_code = empty_null(d->s[AWS_PRODUCTCODE]);
    d->usage_account_id = d->s[AWS_USAGEACCOUNTID];
    d->availability_zone = empty_null(d->s[AWS_AVAILABILITYZONE]);
    d->product_family = empty_null(d->s[AWS_PRODUCTFAMILY]);
    d->instance_type = empty_null(d->s[AWS_INSTANCETYPE]);
    d->region = empty_null(d->s[AWS_REGION]);
    d->unit = empty_null(d->s[AWS_PRICINGUNIT]);
    d->currency = empty_null(dy->currency);
    d->direction = NULL;
    if (strcmp(d->s[AWS_PRODUCTCODE], "AmazonEC2") == 0 &&
        strcmp(d->s[AWS_PRODUCTFAMILY], "Data Transfer") == 0) {
        const char *ut = d->s[AWS_USAGETYPE], *op = d->s[AWS_OPERATION];
        if (contains_ci(ut, "in-bytes"))
            d->direction = "IN";
        else if (contains_ci(ut, "out-bytes"))
            d->direction = "OUT";
        else if (contains_ci(ut, "regional-bytes") && contains_ci(op, "-in"))
            d->direction = "IN";
        else if (contains_ci(ut, "regional-bytes") && contains_ci(op, "-out"))
            d->direction = "OUT";
    }
    U = xsum_value(&dy->sum[AWS_SUM_U]);
    B = xsum_value(&dy->sum[AWS_SUM_B]);
    S = xsum_value(&dy->sum[AWS_SUM_S]);
    d->Q = xsum_value(&dy->sum[AWS_SUM_Q]);
    type = d->s[AWS_LINEITEMTYPE];
    d->Cu = strcmp(type, "SavingsPlanCoveredUsage") == 0 ? 0.0 : U;
    d->Cb = strcmp(type, "SavingsPlanCoveredUsage") == 0 ? 0.0 : B;
    d->Cs = S;
    d->Ca = (strcmp(type, "Tax") == 0 || strcmp(type, "Usage") == 0) ? U : S;
    /* The key holds canonical text, which always parses. */
    rc = lbl_parse(d->s[AWS_RESOURCETAGS], strlen(d->s[AWS_RESOURCETAGS]), &d->tags, err);
    if (rc == OCP_OK)
        rc = lbl_set_copy(&d->T, &d->tags);
    if (rc != OCP_OK)
        return rc == OCP_ERR_DATA ? ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                                  "canonical tag text did not parse")
                                  : oom(err);
    lbl_filter(&d->T, &x->e_t);
    return OCP_OK;
}

static void drow_free(struct drow *d)
{
    int f;
    for (f = 0; f < AWS_KEY_STRINGS; f++)
        free(d->s[f]);
    lbl_set_release(&d->tags);
    lbl_set_release(&d->T);
}

static void drop(struct ctx *x, enum aws_drop why, const struct drow *d, struct xsum *acc)
{
    x->c->dropped[why]++;
    (void)xsum_add(&acc[why], d->Cu);
}

static int attribute_one(struct ctx *x, size_t i, struct xsum *acc, struct ocp_error *err)
{
    struct drow d;
    size_t rlen, *gp = NULL, ng = 0, t;
    int rc = OCP_OK, made = 0;
    int res = 0;

    memset(&d, 0, sizeof d);
    lbl_set_init(&d.tags);
    lbl_set_init(&d.T);
    rc = drow_load(x, i, &d, err);
    if (rc != OCP_OK)
        goto out;
    (void)xsum_add(&acc[AWS_NDROP + 0], d.Cu);
    rlen = d.rid ? strlen(d.rid) : 0;
    if (d.rid != NULL)
        res = aws_set_suffix(&x->nodeids, d.rid, rlen) ||
              aws_set_suffix(&x->pvnames, d.rid, rlen) || aws_set_suffix(&x->handles, d.rid, rlen);
    if (res) {
        x->c->resource_matched++;
        (void)xsum_add(&acc[AWS_NDROP + 1], d.Cu);
        if (d.direction != NULL) {
            int64_t h = aws_attr_longest(x, 'N', d.day, &x->nodeids, d.rid, rlen);
            if (h < 0) {
                drop(x, AWS_DROP_NETWORK_NO_NODE, &d, acc);
            } else {
                rc = aws_attr_network(x, &d, h, err);
                x->c->kind_rows[AWS_K_NETWORK]++;
            }
            goto out;
        }
        {
            int64_t hv = aws_attr_longest(x, 'V', d.day, &x->handles, d.rid, rlen);
            double cap = NAN;
            if (hv >= 0) {
                struct key *k = &x->k;
                long ci;
                k->b.len = 0;
                k_u32(k, (uint32_t)d.day);
                k_add(k, d.rid, rlen);
                ci = k->bad ? -1 : aws_map_find(&x->p->cmap, k->b.data, k->b.len);
                if (ci >= 0) {
                    const struct aws_capacity *c = &x->p->caps[ci];
                    if (c->rmax > 0) {
                        double H = 24.0 * (double)txt_days_in_month(d.day);
                        double q = round(c->cmax / (c->rmax / H));
                        if (q >= 1 && isfinite(q))
                            cap = q;
                    } else {
                        x->c->capacity_rate_zero++;
                    }
                }
            }
            if (!isnan(cap)) {
                int m0 = 0;
                rc = aws_attr_storage(x, &d, hv, cap, &m0, err);
                if (rc == OCP_OK && m0 == 0)
                    drop(x, AWS_DROP_STORAGE_NO_PVC, &d, acc);
                else if (rc == OCP_OK)
                    x->c->kind_rows[AWS_K_STORAGE]++;
                goto out;
            }
        }
        {
            int64_t h = aws_attr_longest(x, 'N', d.day, &x->nodeids, d.rid, rlen);
            if (h < 0) {
                drop(x, AWS_DROP_COMPUTE_NO_NODE, &d, acc);
                goto out;
            }
            rc = aws_attr_compute(x, &d, h, &made, err);
            x->c->kind_rows[AWS_K_COMPUTE]++;
        }
        goto out;
    }
    /* Tag matching (§3.3): G(r) over the unfiltered tags. */
    gp = malloc((d.tags.count + 1) * sizeof *gp);
    if (gp == NULL) {
        rc = oom(err);
        goto out;
    }
    for (t = 0; t < d.tags.count; t++) {
        const struct lbl_pair *pr = &d.tags.pairs[t];
        int in = 0;
        if (pr->klen == 17 && memcmp(pr->key, "openshift_cluster", 17) == 0)
            in = peq(pr, x->s->cluster_id) || peq(pr, x->s->cluster_alias);
        else if (pr->klen == 14 && memcmp(pr->key, "openshift_node", 14) == 0)
            in = aws_map_find(&x->tagnodes, pr->value, pr->vlen) >= 0;
        else if (pr->klen == 17 && memcmp(pr->key, "openshift_project", 17) == 0)
            in = aws_map_find(&x->tagns, pr->value, pr->vlen) >= 0;
        if (!in)
            in = lbl_keys_contains(&x->e_generic, pr->key, pr->klen);
        if (in)
            gp[ng++] = t;
    }
    if (ng == 0) {
        x->c->unmatched++;
        (void)xsum_add(&acc[AWS_NDROP + 3], d.Cu);
        goto out;
    }
    x->c->tag_matched++;
    (void)xsum_add(&acc[AWS_NDROP + 2], d.Cu);
    rc = aws_attr_tag(x, &d, gp, ng, &made, err);
    if (rc == OCP_OK && made == 0)
        drop(x, AWS_DROP_TAG_NO_ROWS, &d, acc);
    else if (rc == OCP_OK)
        x->c->kind_rows[AWS_K_TAG]++;
out:
    free(gp);
    drow_free(&d);
    return rc;
}

/* A daily row's key, for processing in key order. */
struct dkey {
    const char *key;
    size_t len, idx;
};

static int cmp_dkey(const void *a, const void *b)
{
    const struct dkey *x = a, *y = b;
    size_t l = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, l);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* ---- prepared context and per-day attribution ----
 * The prepared part (settings' key sets, the match sets, the OCP indexes,
 * the daily rows grouped by day) is read-only once built, so several
 * threads may attribute different days at once, each with its own worker
 * state (groups, buffers, caches). */
struct aws_prepared {
    struct ctx x;       /* shared, read-only after aws_prepare */
    struct dkey *order; /* daily rows sorted by key (day first) */
    size_t norder;
    int32_t *days;     /* distinct days, ascending */
    size_t *day_first; /* index into order of each day's first row */
    size_t ndays;
};

static void ctx_release_shared(struct ctx *x)
{
    size_t i;
    rpt_buf_release(&x->k.b);
    aws_ix_release(&x->ix);
    aws_set_release(&x->nodeids);
    aws_set_release(&x->pvnames);
    aws_set_release(&x->handles);
    aws_map_release(&x->tagnodes);
    aws_map_release(&x->tagns);
    lbl_keys_release(&x->e_out);
    lbl_keys_release(&x->e_t);
    lbl_keys_release(&x->e_generic);
    lbl_keys_release(&x->e_lab);
    lbl_set_release(&x->tmp);
    for (i = 0; i < x->lcache.n; i++)
        lbl_set_release(&x->lvals[i]);
    free(x->lvals);
    aws_map_release(&x->lcache);
}

void aws_prepared_free(struct aws_prepared *a)
{
    if (a == NULL)
        return;
    ctx_release_shared(&a->x);
    free(a->order);
    free(a->days);
    free(a->day_first);
    free(a);
}

int aws_prepare(const struct aws_partial *p, const struct rpt_table *ocp,
                const struct aws_settings *s, struct aws_prepared **out, struct ocp_error *err)
{
    return aws_prepare_shared(p, ocp, NULL, 0, s, out, err);
}

int aws_prepare_shared(const struct aws_partial *p, const struct rpt_table *ocp,
                       const unsigned char *match, size_t match_len, const struct aws_settings *s,
                       struct aws_prepared **out, struct ocp_error *err)
{
    struct aws_prepared *a;
    struct ctx *x;
    size_t i;
    int rc = OCP_OK;
    uint8_t ns[16];
    static const char *const special_keys[] = {"openshift_cluster", "openshift_node",
                                               "openshift_project"};

    *out = NULL;
    if (s->source_uuid == NULL)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, "aws.source_uuid", "missing");
    if (txt_parse_uuid(s->source_uuid, strlen(s->source_uuid), ns) != 0)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, "aws.source_uuid", "not a UUID: '%s'",
                             s->source_uuid);
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return oom(err);
    x = &a->x;
    x->p = p;
    x->ocp = ocp;
    x->s = s;
    x->m = aws_markup_factor(s->markup_percent);
    lbl_keys_init(&x->e_out);
    lbl_keys_init(&x->e_t);
    lbl_keys_init(&x->e_generic);
    lbl_keys_init(&x->e_lab);
    lbl_set_init(&x->tmp);
    /* E_out = E_aws ∪ E_ocp ∪ {vm_kubevirt_io_name}; T keys = E_aws ∪
     * openshift_*; generic keys = E_aws ∩ E_ocp. */
    if (lbl_keys_add_many(&x->e_out, s->aws_keys, s->n_aws_keys) != OCP_OK ||
        lbl_keys_add_many(&x->e_out, s->ocp_keys, s->n_ocp_keys) != OCP_OK ||
        lbl_keys_add(&x->e_out, "vm_kubevirt_io_name", 19) != OCP_OK ||
        lbl_keys_add_many(&x->e_t, s->aws_keys, s->n_aws_keys) != OCP_OK ||
        lbl_keys_add_many(&x->e_t, special_keys, 3) != OCP_OK) {
        rc = oom(err);
        goto out;
    }
    for (i = 0; i < s->n_aws_keys && rc == OCP_OK; i++) {
        size_t j;
        for (j = 0; j < s->n_ocp_keys; j++)
            if (strcmp(s->aws_keys[i], s->ocp_keys[j]) == 0 &&
                lbl_keys_add(&x->e_generic, s->aws_keys[i], strlen(s->aws_keys[i])) != OCP_OK)
                rc = oom(err);
    }
    if (rc == OCP_OK && (lbl_keys_add_many(&x->e_lab, (const char *const *)x->e_generic.keys,
                                           x->e_generic.count) != OCP_OK ||
                         lbl_keys_add_many(&x->e_lab, special_keys, 3) != OCP_OK))
        rc = oom(err);
    if (rc == OCP_OK)
        rc = aws_attr_build_ocp(x, err);
    if (rc == OCP_OK && match != NULL)
        rc = aws_attr_match_add_images(x, match, match_len, err);
    if (rc != OCP_OK)
        goto out;
    /* Daily rows in key order (the day leads the key): the result does not
     * depend on the order (exact sums), but the work is reproducible. */
    a->norder = p->dmap.n;
    a->order = malloc((a->norder ? a->norder : 1) * sizeof *a->order);
    a->days = malloc((a->norder ? a->norder : 1) * sizeof *a->days);
    a->day_first = malloc((a->norder + 1) * sizeof *a->day_first);
    if (a->order == NULL || a->days == NULL || a->day_first == NULL) {
        rc = oom(err);
        goto out;
    }
    for (i = 0; i < a->norder; i++) {
        a->order[i].key = p->dmap.keys[i];
        a->order[i].len = p->dmap.klen[i];
        a->order[i].idx = i;
    }
    qsort(a->order, a->norder, sizeof *a->order, cmp_dkey);
    for (i = 0; i < a->norder; i++) {
        int32_t d = p->daily[a->order[i].idx].day;
        if (a->ndays == 0 || a->days[a->ndays - 1] != d) {
            a->days[a->ndays] = d;
            a->day_first[a->ndays++] = i;
        }
    }
    a->day_first[a->ndays] = a->norder;
out:
    if (rc != OCP_OK) {
        aws_prepared_free(a);
        return rc;
    }
    *out = a;
    return OCP_OK;
}

size_t aws_prepared_days(const struct aws_prepared *a, const int32_t **days)
{
    *days = a->days;
    return a->ndays;
}

int aws_attribute_day(const struct aws_prepared *a, size_t day_index, struct aws_table *out,
                      struct aws_counters *c, struct ocp_error *err)
{
    struct ctx x;
    struct xsum acc[AWS_NDROP + 4];
    size_t i;
    int rc = OCP_OK, k;

    memset(c, 0, sizeof *c);
    if (day_index >= a->ndays)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "no such AWS day");
    /* A worker: the shared, read-only parts by value, its own state zeroed. */
    x = a->x;
    x.c = c;
    memset(&x.gmap, 0, sizeof x.gmap);
    x.groups = NULL;
    x.gcap = 0;
    memset(&x.k, 0, sizeof x.k);
    memset(&x.gk, 0, sizeof x.gk);
    x.stamp = NULL;
    x.stamp_now = 0;
    x.buf = NULL;
    x.bufcap = 0;
    lbl_set_init(&x.tmp);
    memset(&x.tcache, 0, sizeof x.tcache);
    x.tvals = NULL;
    x.tcap = 0;
    for (k = 0; k < AWS_NDROP + 4; k++)
        xsum_init(&acc[k]);
    for (k = 0; k < AWS_NKIND; k++)
        xsum_init(&x.kind_u[k]);
    x.stamp = calloc(x.ocp->count ? x.ocp->count : 1, sizeof *x.stamp);
    if (x.stamp == NULL) {
        rc = oom(err);
        goto out;
    }
    for (i = a->day_first[day_index]; i < a->day_first[day_index + 1] && rc == OCP_OK; i++) {
        c->daily_rows++;
        rc = attribute_one(&x, a->order[i].idx, acc, err);
    }
    if (rc != OCP_OK)
        goto out;
    c->daily_unblended = xsum_value(&acc[AWS_NDROP + 0]);
    c->resource_matched_unblended = xsum_value(&acc[AWS_NDROP + 1]);
    c->tag_matched_unblended = xsum_value(&acc[AWS_NDROP + 2]);
    c->unmatched_unblended = xsum_value(&acc[AWS_NDROP + 3]);
    for (k = 0; k < AWS_NDROP; k++)
        c->dropped_unblended[k] = xsum_value(&acc[k]);
    for (k = 0; k < AWS_NKIND; k++)
        c->kind_unblended[k] = xsum_value(&x.kind_u[k]);
    rc = aws_attr_rows(&x, out, err);
    c->output_rows = (int64_t)out->count;
out:
    free(x.stamp);
    free(x.buf);
    rpt_buf_release(&x.k.b);
    rpt_buf_release(&x.gk.b);
    free(x.groups);
    aws_map_release(&x.gmap);
    lbl_set_release(&x.tmp);
    for (i = 0; i < x.tcache.n; i++)
        free(x.tvals[i]);
    free(x.tvals);
    aws_map_release(&x.tcache);
    return rc;
}

void aws_counters_add(struct aws_counters *dst, const struct aws_counters *src)
{
    int k;
    dst->daily_rows += src->daily_rows;
    dst->daily_unblended += src->daily_unblended;
    dst->resource_matched += src->resource_matched;
    dst->resource_matched_unblended += src->resource_matched_unblended;
    dst->tag_matched += src->tag_matched;
    dst->tag_matched_unblended += src->tag_matched_unblended;
    dst->unmatched += src->unmatched;
    dst->unmatched_unblended += src->unmatched_unblended;
    for (k = 0; k < AWS_NKIND; k++) {
        dst->kind_rows[k] += src->kind_rows[k];
        dst->kind_out[k] += src->kind_out[k];
        dst->kind_unblended[k] += src->kind_unblended[k];
    }
    for (k = 0; k < AWS_NDROP; k++) {
        dst->dropped[k] += src->dropped[k];
        dst->dropped_unblended[k] += src->dropped_unblended[k];
    }
    dst->capacity_rate_zero += src->capacity_rate_zero;
    dst->output_rows += src->output_rows;
}

int aws_attribute(const struct aws_partial *p, const struct rpt_table *ocp,
                  const struct aws_settings *s, struct aws_table *out, struct aws_counters *c,
                  struct ocp_error *err)
{
    struct aws_prepared *a = NULL;
    size_t d;
    int rc;

    memset(c, 0, sizeof *c);
    rc = aws_prepare(p, ocp, s, &a, err);
    for (d = 0; rc == OCP_OK && d < a->ndays; d++) {
        struct aws_table t;
        struct aws_counters dc;
        aws_table_init(&t);
        rc = aws_attribute_day(a, d, &t, &dc, err);
        if (rc == OCP_OK) {
            aws_counters_add(c, &dc);
            if (aws_table_append_move(out, &t) != OCP_OK)
                rc = oom(err);
        }
        aws_table_release(&t);
    }
    if (rc == OCP_OK && out->source_uuid == NULL) /* no daily rows at all */
        rc = aws_attr_table_run(out, s, err);
    c->read = p->counts;
    aws_prepared_free(a);
    return rc;
}
