/*
 * aws_attr_kinds.c - the five kinds of SEMANTICS-AWS §5: one matched daily
 * row split over its OCP rows by the kind's rule (storage K1 + K2, compute
 * K3, tag K4, network K5), each attribution row marked up, given its
 * labels/tags (§5.9) and summed into its report group.  The rules are their
 * own file because they are the contract's arithmetic; aws_attr.c decides
 * which rule a row takes and drives the days.
 *
 * Every Σ is exact (xsum); every split is computed in double in the order
 * the contract writes it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_attr_internal.h"
#include "ocpagg/labels.h"

/* ---- emitting attribution rows into groups ---- */

static int emit(struct ctx *x, const struct drow *d, enum aws_kind kind, const struct attr *a,
                struct ocp_error *err)
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
                return rc == OCP_ERR_DATA ? ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "labels",
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
int aws_attr_storage(struct ctx *x, const struct drow *d, int64_t h, double cap, int *made,
                     struct ocp_error *err)
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
int aws_attr_compute(struct ctx *x, const struct drow *d, int64_t h, int *made,
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
int aws_attr_network(struct ctx *x, const struct drow *d, int64_t h, struct ocp_error *err)
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

/* K4 (§5.5).  gpairs: G(r) as indexes into d->tags. */
int aws_attr_tag(struct ctx *x, const struct drow *d, const size_t *gp, size_t ng, int *made,
                 struct ocp_error *err)
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
