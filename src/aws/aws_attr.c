/*
 * aws_attr.c - the attribution of SEMANTICS-AWS §2-§6: matching daily rows
 * to the OCP summary rows by resource id and by tag, the five kinds, the
 * markup, the grouping into report rows, uuids and order.
 *
 * Every Σ is exact (xsum); every split is computed in double in the order
 * the contract writes it; the report is sorted, so it depends on nothing
 * but the merged partial, the OCP rows and the settings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_attr_internal.h"
#include "ocpagg/labels.h"
#include "ocpagg/text.h"

/* ---- emitting attribution rows into groups ---- */

static int emit(struct ctx *x, const struct drow *d, enum aws_kind kind,
                const struct attr *a, struct ocp_error *err)
{
    char *tags = NULL;
    size_t idx;
    int added, k, rc;
    struct group *g;
    double cost[AWS_NCOST];

    /* §5.9: M = L ∪ T (T wins), or T alone for K5; NULL when L is NULL. */
    if (a->tags_only || a->labels != NULL) {
        size_t ti;
        int tadded;
        unsigned char only = (unsigned char)a->tags_only;
        k_begin(&x->k, 'T', 0);
        k_add(&x->k, &only, 1);
        if (!a->tags_only)
            k_str(&x->k, a->labels, strlen(a->labels));
        k_add(&x->k, d->s[AWS_RESOURCETAGS], strlen(d->s[AWS_RESOURCETAGS]));
        if (x->tcache.n >= x->tcap) { /* room first: every key has a value */
            size_t nc = x->tcap ? x->tcap * 2 : 256;
            char **nv = realloc(x->tvals, nc * sizeof *nv);
            if (nv == NULL)
                return oom(err);
            x->tvals = nv;
            x->tcap = nc;
        }
        if (x->k.bad || aws_map_put(&x->tcache, x->k.b.data, x->k.b.len, &ti, &tadded) != OCP_OK)
            return oom(err);
        if (!tadded) {
            tags = x->tvals[ti];
            goto tags_done;
        }
        x->tvals[ti] = NULL;
        lbl_set_clear(&x->tmp);
        if (!a->tags_only) {
            rc = lbl_parse(a->labels, strlen(a->labels), &x->tmp, err);
            if (rc != OCP_OK)
                return rc == OCP_ERR_DATA
                           ? ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "labels",
                                           "malformed OCP label text in the summary")
                           : oom(err);
        }
        if (lbl_merge(&x->tmp, &d->T) != OCP_OK)
            return oom(err);
        lbl_filter(&x->tmp, &x->e_out);
        tags = lbl_canonical(&x->tmp, NULL);
        if (tags == NULL)
            return oom(err);
        x->tvals[ti] = tags;
    }
tags_done:
    for (k = 0; k < 4; k++) {
        cost[2 * k] = a->x[k];
        cost[2 * k + 1] = a->x[k] * x->m;
    }
    k_begin(&x->gk, 'G', d->day);
    {
        unsigned char src = (unsigned char)a->source;
        k_add(&x->gk, &src, 1);
    }
    k_nstr(&x->gk, a->ns);
    k_nstr(&x->gk, a->node);
    k_nstr(&x->gk, a->pvc);
    k_nstr(&x->gk, a->pv);
    k_nstr(&x->gk, a->sc);
    k_nstr(&x->gk, a->rid);
    k_nstr(&x->gk, d->product_code);
    k_nstr(&x->gk, d->product_family);
    k_nstr(&x->gk, d->instance_type);
    k_nstr(&x->gk, d->usage_account_id);
    k_nstr(&x->gk, d->availability_zone);
    k_nstr(&x->gk, d->region);
    k_nstr(&x->gk, d->unit);
    k_nstr(&x->gk, kind == AWS_K_NETWORK ? d->direction : NULL);
    k_nstr(&x->gk, d->currency);
    k_nstr(&x->gk, tags);
    k_nstr(&x->gk, a->aws_cc);
    {
        unsigned char f = (unsigned char)(a->has_cc != 0);
        uint64_t v = (uint64_t)a->cc;
        k_add(&x->gk, &f, 1);
        k_u32(&x->gk, (uint32_t)(a->has_cc ? v : 0));
        k_u32(&x->gk, (uint32_t)(a->has_cc ? v >> 32 : 0));
    }
    if (x->gk.bad || aws_map_put(&x->gmap, x->gk.b.data, x->gk.b.len, &idx, &added) != OCP_OK)
        return oom(err);
    if (added) {
        if (idx >= x->gcap) {
            size_t nc = x->gcap ? x->gcap * 2 : 256;
            struct group *ng = realloc(x->groups, nc * sizeof *ng);
            if (ng == NULL)
                return oom(err);
            x->groups = ng;
            x->gcap = nc;
        }
        memset(&x->groups[idx], 0, sizeof x->groups[idx]);
    }
    g = &x->groups[idx];
    rc = 0;
    if (!isnan(a->usage)) {
        const char *dir = kind == AWS_K_NETWORK ? d->direction : NULL;
        rc |= xsum_add(&g->usage, a->usage);
        g->n_usage++;
        if (dir != NULL && strcmp(dir, "IN") == 0)
            rc |= xsum_add(&g->din, a->usage);
        if (dir != NULL && strcmp(dir, "OUT") == 0)
            rc |= xsum_add(&g->dout, a->usage);
    }
    for (k = 0; k < AWS_NCOST; k++) {
        if (isnan(cost[k]))
            continue;
        rc |= xsum_add(&g->cost[k], cost[k]);
        g->n_cost[k]++;
    }
    if (!isnan(cost[AWS_COST_UNBLENDED]))
        rc |= xsum_add(&x->kind_u[kind], cost[AWS_COST_UNBLENDED]);
    if (rc)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "an attributed AWS cost is infinite or beyond 2^90");
    x->c->kind_out[kind]++;
    return OCP_OK;
}

/* ---- the kinds ---- */

static void attr_base(struct attr *a, const struct drow *d)
{
    memset(a, 0, sizeof *a);
    a->rid = d->rid;
    a->aws_cc = d->s[AWS_COSTCATEGORY];
}

static const char *pvc_of(const struct rpt_row *r)
{
    return r->pvc != NULL ? r->pvc : "";
}

#define ROWOF(p) (*(const struct rpt_row *const *)(p))

static int cmp_k1(const void *a, const void *b)
{
    const struct rpt_row *x = ROWOF(a), *y = ROWOF(b);
    int c = scmp(x->namespace_, y->namespace_);
    if (c == 0)
        c = scmp(x->pv, y->pv);
    if (c == 0)
        c = strcmp(pvc_of(x), pvc_of(y));
    return c;
}

static int cmp_pv(const void *a, const void *b)
{
    const struct rpt_row *x = ROWOF(a), *y = ROWOF(b);
    return scmp(x->pv, y->pv);
}

static int cmp_k3(const void *a, const void *b)
{
    const struct rpt_row *x = ROWOF(a), *y = ROWOF(b);
    int c = scmp(x->namespace_, y->namespace_);
    return c ? c : scmp(x->pod_labels, y->pod_labels);
}

static int cmp_k4(const void *a, const void *b)
{
    const struct rpt_row *x = ROWOF(a), *y = ROWOF(b);
    int c = scmp(x->namespace_, y->namespace_);
    return c ? c : (int)x->source - (int)y->source;
}

static void max_cc(const struct rpt_row *r, struct attr *a)
{
    if (r->has_cost_category && (!a->has_cc || r->cost_category_id > a->cc)) {
        a->has_cc = 1;
        a->cc = r->cost_category_id;
    }
}

/* K1 + K2 (§5.2, §5.3).  *made receives the number of rows. */
static int do_storage(struct ctx *x, const struct drow *d, int64_t h, double cap,
                      int *made, struct ocp_error *err)
{
    size_t n, i, j, m = 0;
    int rc = aws_attr_collect(x, h, &n), k;
    struct xsum tsum;
    int t_any = 0;
    const char *mpvc = NULL, *mpv = NULL, *msc = NULL;
    *made = 0;
    if (rc != OCP_OK)
        return oom(err);
    for (i = 0; i < n; i++) {
        const struct rpt_row *r = x->buf[i];
        if (r->pv != NULL && scmp(r->namespace_, AWS_NS_STORAGE) != 0)
            x->buf[m++] = x->buf[i];
    }
    n = m;
    qsort(x->buf, n, sizeof *x->buf, cmp_k1);
    for (i = 0; i < n; i = j) {
        struct attr a;
        double G = NAN;
        const char *lab = NULL, *pvc = pvc_of(x->buf[i]);
        attr_base(&a, d);
        a.source = RPT_SOURCE_STORAGE;
        for (j = i; j < n && cmp_k1(&x->buf[i], &x->buf[j]) == 0; j++) {
            const struct rpt_row *r = x->buf[j];
            double g = r->num[RPT_PVC_CAP_GB];
            if (!isnan(g) && (isnan(G) || g > G))
                G = g;
            a.node = smax(a.node, r->node);
            a.sc = smax(a.sc, r->storageclass);
            lab = smax(lab, r->volume_labels);
            max_cc(r, &a);
            mpvc = smax(mpvc, r->pvc);
            mpv = smax(mpv, r->pv);
            msc = smax(msc, r->storageclass);
        }
        a.pvc = pvc;
        a.pv = x->buf[i]->pv;
        if (pvc[0] == '\0') {
            a.ns = AWS_NS_STORAGE;
            a.usage = NAN;
            a.labels = NULL;
            a.has_cc = 0;
            a.aws_cc = NULL;
        } else {
            a.ns = x->buf[i]->namespace_;
            a.usage = d->Q;
            a.labels = lab;
        }
        {
            const double xs[4] = {d->Cu, d->Cb, d->Cs, d->Ca};
            for (k = 0; k < 4; k++)
                a.x[k] = isnan(G) ? NAN : (G / cap) * xs[k];
        }
        rc = emit(x, d, AWS_K_STORAGE, &a, err);
        if (rc != OCP_OK)
            return rc;
        (*made)++;
    }
    /* K2: T = Σ over distinct PVs of their max capacity, this day. */
    qsort(x->buf, n, sizeof *x->buf, cmp_pv);
    xsum_init(&tsum);
    for (i = 0; i < n; i = j) {
        double G = NAN;
        for (j = i; j < n && cmp_pv(&x->buf[i], &x->buf[j]) == 0; j++) {
            double g = x->buf[j]->num[RPT_PVC_CAP_GB];
            if (!isnan(g) && (isnan(G) || g > G))
                G = g;
        }
        if (!isnan(G)) {
            if (xsum_add(&tsum, G))
                return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                     "PVC capacities beyond 2^90");
            t_any = 1;
        }
    }
    if (t_any) {
        double T = xsum_value(&tsum);
        if (cap - T != 0) {
            struct attr a;
            const double xs[4] = {d->Cu, d->Cb, d->Cs, d->Ca};
            attr_base(&a, d);
            a.source = RPT_SOURCE_STORAGE;
            a.ns = AWS_NS_STORAGE;
            a.pvc = mpvc;
            a.pv = mpv;
            a.sc = msc;
            a.usage = NAN;
            a.aws_cc = NULL;
            for (k = 0; k < 4; k++)
                a.x[k] = (((cap - T) / cap) * xs[k]) / 1.0;
            rc = emit(x, d, AWS_K_UNATTRIBUTED, &a, err);
            if (rc != OCP_OK)
                return rc;
            (*made)++;
        }
    }
    return OCP_OK;
}

/* K3 (§5.4). */
static int do_compute(struct ctx *x, const struct drow *d, int64_t h, int *made,
                      struct ocp_error *err)
{
    size_t n, i, j, ngroups = 0;
    int rc = aws_attr_collect(x, h, &n), k;
    int eff = x->s->distribution_memory ? RPT_POD_EFFECTIVE_MEM_GBH : RPT_POD_EFFECTIVE_CPU_HOURS;
    int capc = x->s->distribution_memory ? RPT_NODE_CAP_MEM_GBH : RPT_NODE_CAP_CPU_HOURS;
    *made = 0;
    if (rc != OCP_OK)
        return oom(err);
    qsort(x->buf, n, sizeof *x->buf, cmp_k3);
    for (i = 0; i < n; i = j) {
        for (j = i; j < n && cmp_k3(&x->buf[i], &x->buf[j]) == 0; j++)
            ;
        ngroups++;
    }
    for (i = 0; i < n; i = j) {
        struct attr a;
        struct xsum P;
        int p_any = 0;
        double N = NAN, Pv;
        xsum_init(&P);
        attr_base(&a, d);
        a.source = RPT_SOURCE_POD;
        for (j = i; j < n && cmp_k3(&x->buf[i], &x->buf[j]) == 0; j++) {
            const struct rpt_row *r = x->buf[j];
            double e = r->num[eff], c = r->num[capc];
            if (!isnan(e)) {
                if (xsum_add(&P, e))
                    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                         "effective usage beyond 2^90");
                p_any = 1;
            }
            if (!isnan(c) && (isnan(N) || c > N))
                N = c;
            a.node = smax(a.node, r->node);
            max_cc(r, &a);
        }
        Pv = p_any ? xsum_value(&P) : NAN;
        a.ns = x->buf[i]->namespace_;
        a.labels = x->buf[i]->pod_labels;
        a.usage = d->Q / (double)ngroups;
        {
            const double xs[4] = {d->Cu, d->Cb, d->Cs, d->Ca};
            for (k = 0; k < 4; k++)
                a.x[k] = (isnan(N) || N == 0 || isnan(Pv)) ? NAN : (Pv / N) * xs[k];
        }
        rc = emit(x, d, AWS_K_COMPUTE, &a, err);
        if (rc != OCP_OK)
            return rc;
        (*made)++;
    }
    return OCP_OK;
}

/* K5 (§5.6). */
static int do_network(struct ctx *x, const struct drow *d, int64_t h, struct ocp_error *err)
{
    struct attr a;
    size_t n, i;
    if (aws_attr_collect(x, h, &n) != OCP_OK)
        return oom(err);
    attr_base(&a, d);
    a.source = RPT_SOURCE_POD;
    a.ns = AWS_NS_NETWORK;
    for (i = 0; i < n; i++)
        a.node = smax(a.node, x->buf[i]->node);
    a.tags_only = 1;
    a.aws_cc = NULL;
    a.usage = d->Q;
    a.x[0] = d->Cu;
    a.x[1] = d->Cb;
    a.x[2] = d->Cs;
    a.x[3] = d->Ca;
    return emit(x, d, AWS_K_NETWORK, &a, err);
}

static int add_list(struct ctx *x, int64_t h, size_t *n)
{
    for (; h >= 0; h = x->ix.e[h].next) {
        uint32_t row = x->ix.e[h].row;
        if (x->stamp[row] == x->stamp_now)
            continue;
        x->stamp[row] = x->stamp_now;
        if (aws_attr_grow_buf(x, *n + 1) != OCP_OK)
            return OCP_ERR_OSERR;
        x->buf[(*n)++] = &x->ocp->rows[row];
    }
    return OCP_OK;
}

static const struct lbl_pair *tget(const struct lbl_set *s, const char *k)
{
    return lbl_set_get(s, k, strlen(k));
}

static int peq(const struct lbl_pair *p, const char *v)
{
    return p != NULL && v != NULL && p->vlen == strlen(v) && memcmp(p->value, v, p->vlen) == 0;
}

/* K4 (§5.5).  gpairs: G(r) as indexes into d->tags. */
static int do_tag(struct ctx *x, const struct drow *d, const size_t *gp, size_t ng,
                  int *made, struct ocp_error *err)
{
    const struct lbl_pair *tc = tget(&d->T, "openshift_cluster");
    const struct lbl_pair *tp = tget(&d->T, "openshift_project");
    const struct lbl_pair *tn = tget(&d->T, "openshift_node");
    size_t n = 0, i, j, ngroups = 0;
    int rc = OCP_OK, k;
    *made = 0;
    x->stamp_now++;
    if (peq(tc, x->s->cluster_alias) || peq(tc, x->s->cluster_id)) {
        k_begin(&x->k, 'A', d->day);
        rc = add_list(x, aws_ix_find(&x->ix, &x->k), &n);
    } else {
        if (tp != NULL) {
            k_begin(&x->k, 'P', d->day);
            k_add(&x->k, tp->value, tp->vlen);
            rc |= add_list(x, aws_ix_find(&x->ix, &x->k), &n);
        }
        if (tn != NULL) {
            k_begin(&x->k, 'O', d->day);
            k_add(&x->k, tn->value, tn->vlen);
            rc |= add_list(x, aws_ix_find(&x->ix, &x->k), &n);
        }
        for (i = 0; i < ng; i++) {
            const struct lbl_pair *pr = &d->tags.pairs[gp[i]];
            k_begin(&x->k, 'L', d->day);
            k_str(&x->k, pr->key, pr->klen);
            k_add(&x->k, pr->value, pr->vlen);
            rc |= add_list(x, aws_ix_find(&x->ix, &x->k), &n);
        }
    }
    if (rc != OCP_OK)
        return oom(err);
    qsort(x->buf, n, sizeof *x->buf, cmp_k4);
    for (i = 0; i < n; i = j) {
        for (j = i; j < n && cmp_k4(&x->buf[i], &x->buf[j]) == 0; j++)
            ;
        ngroups++;
    }
    for (i = 0; i < n; i = j) {
        struct attr a;
        const char *lab = NULL;
        double nk = (double)ngroups * 1.0; /* n * k, k = 1 (DEV-7) */
        attr_base(&a, d);
        a.source = x->buf[i]->source;
        a.ns = x->buf[i]->namespace_;
        for (j = i; j < n && cmp_k4(&x->buf[i], &x->buf[j]) == 0; j++) {
            const struct rpt_row *r = x->buf[j];
            a.node = smax(a.node, r->node);
            a.pvc = smax(a.pvc, empty_null(r->pvc));
            a.pv = smax(a.pv, empty_null(r->pv));
            a.sc = smax(a.sc, empty_null(r->storageclass));
            lab = smax(lab, a.source == RPT_SOURCE_POD ? r->pod_labels : r->volume_labels);
            max_cc(r, &a);
        }
        a.labels = lab;
        a.usage = d->Q / nk;
        {
            const double xs[4] = {d->Cu, d->Cb, d->Cs, d->Ca};
            for (k = 0; k < 4; k++)
                a.x[k] = xs[k] / nk;
        }
        rc = emit(x, d, AWS_K_TAG, &a, err);
        if (rc != OCP_OK)
            return rc;
        (*made)++;
    }
    return OCP_OK;
}

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
        d->product_code = nonempty(dy->productname) ? dy->productname
                                                    : empty_null(d->s[AWS_PRODUCTCODE]);
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
              aws_set_suffix(&x->pvnames, d.rid, rlen) ||
              aws_set_suffix(&x->handles, d.rid, rlen);
    if (res) {
        x->c->resource_matched++;
        (void)xsum_add(&acc[AWS_NDROP + 1], d.Cu);
        if (d.direction != NULL) {
            int64_t h = aws_attr_longest(x, 'N', d.day, &x->nodeids, d.rid, rlen);
            if (h < 0) {
                drop(x, AWS_DROP_NETWORK_NO_NODE, &d, acc);
            } else {
                rc = do_network(x, &d, h, err);
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
                rc = do_storage(x, &d, hv, cap, &m0, err);
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
            rc = do_compute(x, &d, h, &made, err);
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
    rc = do_tag(x, &d, gp, ng, &made, err);
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
    struct ctx x;               /* shared, read-only after aws_prepare */
    struct dkey *order;         /* daily rows sorted by key (day first) */
    size_t norder;
    int32_t *days;              /* distinct days, ascending */
    size_t *day_first;          /* index into order of each day's first row */
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
                const struct aws_settings *s, struct aws_prepared **out,
                struct ocp_error *err)
{
    return aws_prepare_shared(p, ocp, NULL, 0, s, out, err);
}

int aws_prepare_shared(const struct aws_partial *p, const struct rpt_table *ocp,
                       const unsigned char *match, size_t match_len,
                       const struct aws_settings *s, struct aws_prepared **out,
                       struct ocp_error *err)
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
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, "aws.source_uuid",
                             "not a UUID: '%s'", s->source_uuid);
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
    if (rc == OCP_OK &&
        (lbl_keys_add_many(&x->e_lab, (const char *const *)x->e_generic.keys,
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
                  const struct aws_settings *s, struct aws_table *out,
                  struct aws_counters *c, struct ocp_error *err)
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
