/*
 * aws_partial.c - raw CUR rows reduced to the daily rows of SEMANTICS-AWS
 * §1.3 and the per-(resource, day) maxima of §4; merge and byte images.
 *
 * Sums are exact (xsum), maxima are by bytes or numeric, so a partial is
 * the same whatever order rows and partials arrive in.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_internal.h"
#include "ocpagg/labels.h"
#include "ocpagg/text.h"

const char *const aws_str_column_names[AWS_NSTR] = {"lineitem_resourceid",
                                                    "bill_payeraccountid",
                                                    "lineitem_usageaccountid",
                                                    "lineitem_legalentity",
                                                    "lineitem_lineitemdescription",
                                                    "bill_billingentity",
                                                    "lineitem_productcode",
                                                    "lineitem_availabilityzone",
                                                    "lineitem_lineitemtype",
                                                    "lineitem_usagetype",
                                                    "lineitem_operation",
                                                    "product_productfamily",
                                                    "product_operatingsystem",
                                                    "product_instancetype",
                                                    "product_region",
                                                    "pricing_unit",
                                                    "resourcetags",
                                                    "costcategory",
                                                    "lineitem_currencycode",
                                                    "product_productname"};

const char *const aws_num_column_names[AWS_NNUM] = {
    "lineitem_usageamount", "lineitem_unblendedcost", "lineitem_unblendedrate",
    "lineitem_blendedcost", "savingsplan_savingsplaneffectivecost"};

/* ---- the byte map ---- */

uint64_t aws_hash_bytes(const void *data, size_t len)
{
    /* 0 marks an empty slot of the map. */
    return txt_hash(data, len) | 1u;
}

void aws_map_init(struct aws_map *m)
{
    memset(m, 0, sizeof *m);
}

void aws_map_release(struct aws_map *m)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->klen);
    free(m->hash);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

long aws_map_find(const struct aws_map *m, const void *key, size_t len)
{
    uint64_t h;
    size_t i;
    if (m->cap == 0)
        return -1;
    h = aws_hash_bytes(key, len);
    for (i = (size_t)h & (m->cap - 1); m->hash[i] != 0; i = (i + 1) & (m->cap - 1)) {
        uint32_t ix = m->slot[i];
        if (m->hash[i] == h && m->klen[ix] == len &&
            (len == 0 || memcmp(m->keys[ix], key, len) == 0))
            return (long)ix;
    }
    return -1;
}

static int map_grow(struct aws_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64, i, j;
    uint64_t *nh = calloc(ncap, sizeof *nh);
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (nh == NULL || ns == NULL) {
        free(nh);
        free(ns);
        return OCP_ERR_OSERR;
    }
    for (i = 0; i < m->cap; i++) {
        if (m->hash[i] == 0)
            continue;
        for (j = (size_t)m->hash[i] & (ncap - 1); nh[j] != 0; j = (j + 1) & (ncap - 1))
            ;
        nh[j] = m->hash[i];
        ns[j] = m->slot[i];
    }
    free(m->hash);
    free(m->slot);
    m->hash = nh;
    m->slot = ns;
    m->cap = ncap;
    return OCP_OK;
}

int aws_map_put(struct aws_map *m, const void *key, size_t len, size_t *idx, int *added)
{
    uint64_t h;
    size_t i;
    char *copy;
    if (m->n >= UINT32_MAX - 1)
        return OCP_ERR_OSERR;
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != OCP_OK)
        return OCP_ERR_OSERR;
    h = aws_hash_bytes(key, len);
    for (i = (size_t)h & (m->cap - 1); m->hash[i] != 0; i = (i + 1) & (m->cap - 1)) {
        uint32_t ix = m->slot[i];
        if (m->hash[i] == h && m->klen[ix] == len &&
            (len == 0 || memcmp(m->keys[ix], key, len) == 0)) {
            *idx = ix;
            if (added)
                *added = 0;
            return OCP_OK;
        }
    }
    if (m->n == m->kcap) {
        size_t nk = m->kcap ? m->kcap * 2 : 64;
        char **k = realloc(m->keys, nk * sizeof *k);
        uint32_t *l;
        if (k == NULL)
            return OCP_ERR_OSERR;
        m->keys = k;
        l = realloc(m->klen, nk * sizeof *l);
        if (l == NULL)
            return OCP_ERR_OSERR;
        m->klen = l;
        m->kcap = nk;
    }
    copy = malloc(len + 1);
    if (copy == NULL)
        return OCP_ERR_OSERR;
    if (len)
        memcpy(copy, key, len);
    copy[len] = '\0';
    m->keys[m->n] = copy;
    m->klen[m->n] = (uint32_t)len;
    m->hash[i] = h;
    m->slot[i] = (uint32_t)m->n;
    *idx = m->n++;
    if (added)
        *added = 1;
    return OCP_OK;
}

/* ---- partial ---- */

int aws_partial_create(struct aws_partial **out, int32_t day_first, int32_t day_last, int strict,
                       struct ocp_error *err)
{
    struct aws_partial *p = calloc(1, sizeof *p);
    *out = NULL;
    if (p == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    p->day_first = day_first;
    p->day_last = day_last;
    p->strict = strict;
    aws_map_init(&p->dmap);
    aws_map_init(&p->cmap);
    aws_map_init(&p->tcache);
    *out = p;
    return OCP_OK;
}

void aws_partial_free(struct aws_partial *p)
{
    size_t i;
    if (p == NULL)
        return;
    for (i = 0; i < p->dmap.n; i++) {
        free(p->daily[i].currency);
        free(p->daily[i].productname);
    }
    free(p->daily);
    free(p->caps);
    for (i = 0; i < p->tcache.n; i++)
        free(p->tcanon[i]);
    free(p->tcanon);
    free(p->tbad);
    aws_map_release(&p->tcache);
    aws_map_release(&p->dmap);
    aws_map_release(&p->cmap);
    rpt_buf_release(&p->key);
    free(p);
}

void aws_partial_counts(const struct aws_partial *p, struct aws_read_counts *out)
{
    *out = p->counts;
}

size_t aws_partial_daily_rows(const struct aws_partial *p)
{
    return p->dmap.n;
}

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* Keys and images are built in a struct rpt_buf. */
static int kb_add(struct rpt_buf *b, const void *s, size_t len)
{
    return rpt_buf_append(b, s, len) == 0 ? OCP_OK : OCP_ERR_OSERR;
}

static int kb_u32(struct rpt_buf *b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return kb_add(b, t, 4);
}

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Max by bytes of a malloc'd string and s[0..len): replaces *cur when s is
 * greater. */
static int str_max(char **cur, const char *s, size_t len)
{
    size_t cl;
    int c;
    char *n;
    if (*cur != NULL) {
        cl = strlen(*cur);
        c = memcmp(*cur, s, cl < len ? cl : len);
        if (c > 0 || (c == 0 && cl >= len))
            return OCP_OK;
    }
    n = malloc(len + 1);
    if (n == NULL)
        return OCP_ERR_OSERR;
    if (len)
        memcpy(n, s, len);
    n[len] = '\0';
    free(*cur);
    *cur = n;
    return OCP_OK;
}

/* Finds or creates the daily row of a fully built key (day + strings). */
static int daily_slot(struct aws_partial *p, const char *key, size_t klen, size_t *idx,
                      struct ocp_error *err)
{
    int added;
    if (aws_map_put(&p->dmap, key, klen, idx, &added) != OCP_OK)
        return oom(err);
    if (added) {
        struct aws_daily *d;
        size_t off = 4;
        int f, k;
        if (*idx >= p->dcap) {
            size_t nc = p->dcap ? p->dcap * 2 : 64;
            struct aws_daily *nd = realloc(p->daily, nc * sizeof *nd);
            if (nd == NULL)
                return oom(err);
            p->daily = nd;
            p->dcap = nc;
        }
        d = &p->daily[*idx];
        memset(d, 0, sizeof *d);
        d->day = (int32_t)rd_u32((const unsigned char *)key);
        for (f = 0; f < AWS_KEY_STRINGS; f++) {
            uint32_t l = rd_u32((const unsigned char *)key + off);
            d->off[f] = (uint32_t)(off + 4);
            d->len[f] = l;
            off += 4 + l;
        }
        for (k = 0; k < 4; k++)
            xsum_init(&d->sum[k]);
        if (str_max(&d->currency, "", 0) != OCP_OK || str_max(&d->productname, "", 0) != OCP_OK)
            return oom(err);
    }
    return OCP_OK;
}

static int cap_slot(struct aws_partial *p, int32_t day, const char *rid, size_t len, size_t *idx,
                    int *added, struct ocp_error *err)
{
    struct rpt_buf *b = &p->key;
    int rc;

    b->len = 0;
    rc = kb_u32(b, (uint32_t)day);
    if (rc == OCP_OK)
        rc = kb_add(b, rid, len);
    if (rc == OCP_OK)
        rc = aws_map_put(&p->cmap, b->data, b->len, idx, added);
    if (rc != OCP_OK)
        return oom(err);
    if (*added) {
        if (*idx >= p->ccap) {
            size_t nc = p->ccap ? p->ccap * 2 : 64;
            struct aws_capacity *n = realloc(p->caps, nc * sizeof *n);
            if (n == NULL)
                return oom(err);
            p->caps = n;
            p->ccap = nc;
        }
    }
    return OCP_OK;
}

static int floor_div(int64_t a, int64_t b, int64_t *q)
{
    int64_t r = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        r--;
    *q = r;
    return 0;
}

/* Canonical text of tag JSON; malformed counted (or an error when strict). */
static int canon_tags(struct aws_partial *p, const char *s, size_t len, const char *col,
                      const char **out, size_t *olen, struct ocp_error *err)
{
    struct lbl_set set;
    struct ocp_error e;
    size_t ix;
    int rc, added, bad = 0;
    char *canon;
    if (p->tcache.n >= p->tcap) { /* room first: every key has a value */
        size_t nc = p->tcap ? p->tcap * 2 : 64;
        char **nt = realloc(p->tcanon, nc * sizeof *nt);
        uint8_t *nb;
        if (nt == NULL)
            return oom(err);
        p->tcanon = nt;
        nb = realloc(p->tbad, nc);
        if (nb == NULL)
            return oom(err);
        p->tbad = nb;
        p->tcap = nc;
    }
    if (aws_map_put(&p->tcache, s ? s : "", s ? len : 0, &ix, &added) != OCP_OK)
        return oom(err);
    if (!added) {
        if (p->tbad[ix])
            p->counts.bad_tags++;
        *out = p->tcanon[ix];
        *olen = strlen(p->tcanon[ix]);
        return OCP_OK;
    }
    p->tcanon[ix] = NULL;
    p->tbad[ix] = 0;
    lbl_set_init(&set);
    ocp_error_clear(&e);
    rc = lbl_parse(s ? s : "", s ? len : 0, &set, &e);
    if (rc == OCP_ERR_DATA) {
        if (p->strict) {
            lbl_set_release(&set);
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, col, "malformed tag text: %s",
                                 e.message);
        }
        p->counts.bad_tags++;
        bad = 1;
        lbl_set_clear(&set);
    } else if (rc != OCP_OK) {
        lbl_set_release(&set);
        return oom(err);
    }
    canon = lbl_canonical(&set, olen);
    lbl_set_release(&set);
    if (canon == NULL)
        return oom(err);
    p->tcanon[ix] = canon;
    p->tbad[ix] = (uint8_t)bad;
    *out = canon;
    return OCP_OK;
}

int aws_partial_add(struct aws_partial *p, const struct aws_raw_row *r, struct ocp_error *err)
{
    int64_t dq;
    int32_t day;
    struct rpt_buf *b = &p->key; /* the daily key, then (cap_slot) the capacity's */
    const char *tags = NULL, *cc = NULL;
    size_t tlen = 0, clen = 0, idx;
    int f, rc = OCP_OK, added, k;
    double num[AWS_NNUM];
    struct aws_daily *d;

    p->counts.rows_read++;
    if (r->start_null) {
        p->counts.rows_null_date++;
        return OCP_OK;
    }
    floor_div(r->start_us, 86400000000ll, &dq);
    if (dq < p->day_first || dq > p->day_last) {
        p->counts.rows_outside++;
        return OCP_OK;
    }
    day = (int32_t)dq;
    for (k = 0; k < AWS_NNUM; k++)
        num[k] = isnan(r->num[k]) ? 0.0 : r->num[k];
    rc = canon_tags(p, r->str[AWS_RESOURCETAGS], r->len[AWS_RESOURCETAGS], "resourcetags", &tags,
                    &tlen, err);
    if (rc == OCP_OK)
        rc = canon_tags(p, r->str[AWS_COSTCATEGORY], r->len[AWS_COSTCATEGORY], "costcategory", &cc,
                        &clen, err);
    if (rc != OCP_OK)
        goto out;
    b->len = 0;
    rc = kb_u32(b, (uint32_t)day);
    for (f = 0; f < AWS_KEY_STRINGS && rc == OCP_OK; f++) {
        const char *s = r->str[f];
        size_t l = s ? r->len[f] : 0;
        if (f == AWS_RESOURCETAGS) {
            s = tags;
            l = tlen;
        } else if (f == AWS_COSTCATEGORY) {
            s = cc;
            l = clen;
        }
        if (l > UINT32_MAX / 2) {
            rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, aws_str_column_names[f],
                               "string too long");
            goto out;
        }
        rc = kb_u32(b, (uint32_t)l);
        if (rc == OCP_OK)
            rc = kb_add(b, s, l);
    }
    if (rc != OCP_OK) {
        rc = oom(err);
        goto out;
    }
    rc = daily_slot(p, b->data, b->len, &idx, err);
    if (rc != OCP_OK)
        goto out;
    d = &p->daily[idx];
    if (xsum_add(&d->sum[AWS_SUM_U], num[AWS_UNBLENDEDCOST]) ||
        xsum_add(&d->sum[AWS_SUM_B], num[AWS_BLENDEDCOST]) ||
        xsum_add(&d->sum[AWS_SUM_S], num[AWS_SPEFFECTIVECOST]) ||
        xsum_add(&d->sum[AWS_SUM_Q], num[AWS_USAGEAMOUNT])) {
        rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                           "a CUR cost or usage is infinite or beyond 2^90");
        goto out;
    }
    if (str_max(&d->currency, r->str[AWS_CURRENCYCODE] ? r->str[AWS_CURRENCYCODE] : "",
                r->str[AWS_CURRENCYCODE] ? r->len[AWS_CURRENCYCODE] : 0) != OCP_OK ||
        str_max(&d->productname, r->str[AWS_PRODUCTNAME] ? r->str[AWS_PRODUCTNAME] : "",
                r->str[AWS_PRODUCTNAME] ? r->len[AWS_PRODUCTNAME] : 0) != OCP_OK) {
        rc = oom(err);
        goto out;
    }
    /* Capacity maxima per (rid, day), over every line item type (§4). */
    if (r->str[AWS_RESOURCEID] != NULL && r->len[AWS_RESOURCEID] > 0) {
        rc = cap_slot(p, day, r->str[AWS_RESOURCEID], r->len[AWS_RESOURCEID], &idx, &added, err);
        if (rc != OCP_OK)
            goto out;
        if (added) {
            p->caps[idx].cmax = num[AWS_UNBLENDEDCOST];
            p->caps[idx].rmax = num[AWS_UNBLENDEDRATE];
        } else {
            if (num[AWS_UNBLENDEDCOST] > p->caps[idx].cmax)
                p->caps[idx].cmax = num[AWS_UNBLENDEDCOST];
            if (num[AWS_UNBLENDEDRATE] > p->caps[idx].rmax)
                p->caps[idx].rmax = num[AWS_UNBLENDEDRATE];
        }
    }
out:
    return rc;
}

/* ---- merge ---- */

static int merge_daily(struct aws_partial *p, const char *key, size_t klen, const uint64_t w[4][3],
                       const char *cur, size_t curlen, const char *pn, size_t pnlen,
                       struct ocp_error *err)
{
    size_t idx;
    int k, rc = daily_slot(p, key, klen, &idx, err);
    struct aws_daily *d;
    if (rc != OCP_OK)
        return rc;
    d = &p->daily[idx];
    for (k = 0; k < 4; k++) {
        struct xsum o;
        o.w[0] = w[k][0];
        o.w[1] = w[k][1];
        o.w[2] = w[k][2];
        if (xsum_merge(&d->sum[k], &o))
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "a CUR sum left the exact range");
    }
    if (str_max(&d->currency, cur, curlen) != OCP_OK ||
        str_max(&d->productname, pn, pnlen) != OCP_OK)
        return oom(err);
    return OCP_OK;
}

static int merge_cap(struct aws_partial *p, const char *key, size_t klen, double cmax, double rmax,
                     struct ocp_error *err)
{
    size_t idx;
    int added;
    if (aws_map_put(&p->cmap, key, klen, &idx, &added) != OCP_OK)
        return oom(err);
    if (added) {
        if (idx >= p->ccap) {
            size_t nc = p->ccap ? p->ccap * 2 : 64;
            struct aws_capacity *n = realloc(p->caps, nc * sizeof *n);
            if (n == NULL)
                return oom(err);
            p->caps = n;
            p->ccap = nc;
        }
        p->caps[idx].cmax = cmax;
        p->caps[idx].rmax = rmax;
    } else {
        if (cmax > p->caps[idx].cmax)
            p->caps[idx].cmax = cmax;
        if (rmax > p->caps[idx].rmax)
            p->caps[idx].rmax = rmax;
    }
    return OCP_OK;
}

static void add_counts(struct aws_read_counts *a, const struct aws_read_counts *b)
{
    a->rows_read += b->rows_read;
    a->rows_null_date += b->rows_null_date;
    a->rows_outside += b->rows_outside;
    a->bad_tags += b->bad_tags;
}

int aws_partial_merge(struct aws_partial *dst, const struct aws_partial *src, struct ocp_error *err)
{
    size_t i;
    int rc;
    if (dst->day_first != src->day_first || dst->day_last != src->day_last)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "AWS partials of different run days");
    for (i = 0; i < src->dmap.n; i++) {
        const struct aws_daily *d = &src->daily[i];
        uint64_t w[4][3];
        int k;
        for (k = 0; k < 4; k++)
            memcpy(w[k], d->sum[k].w, sizeof w[k]);
        rc = merge_daily(dst, src->dmap.keys[i], src->dmap.klen[i], (const uint64_t(*)[3])w,
                         d->currency, strlen(d->currency), d->productname, strlen(d->productname),
                         err);
        if (rc != OCP_OK)
            return rc;
    }
    for (i = 0; i < src->cmap.n; i++) {
        rc = merge_cap(dst, src->cmap.keys[i], src->cmap.klen[i], src->caps[i].cmax,
                       src->caps[i].rmax, err);
        if (rc != OCP_OK)
            return rc;
    }
    add_counts(&dst->counts, &src->counts);
    return OCP_OK;
}

/* ---- byte image ----
 * "AWP1", day_first, day_last (u32), 4 counters (u64), n daily (u64),
 * per daily: key (u32 len + bytes), 12 u64 limbs, currency, productname
 * (u32 len + bytes each); n caps (u64), per cap: key, cmax, rmax (u64
 * bits). */

static int kb_u64(struct rpt_buf *b, uint64_t v)
{
    unsigned char t[8];
    int i;
    for (i = 0; i < 8; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    return kb_add(b, t, 8);
}

static uint64_t rd_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int kb_str(struct rpt_buf *b, const char *s, size_t len)
{
    int rc = kb_u32(b, (uint32_t)len);
    return rc == OCP_OK ? kb_add(b, s, len) : rc;
}

/* The image of the daily rows and capacities whose day keep accepts (all
 * when keep is NULL), with the reading counters or zeros. */
static int serialize(const struct aws_partial *p, int (*keep)(int32_t, void *), void *kctx,
                     int with_counts, struct rpt_buf *out, struct ocp_error *err)
{
    struct rpt_buf b = {0};
    size_t i, n = 0;
    int rc = kb_add(&b, "AWP1", 4), k, j;
    struct aws_read_counts c;
    if (with_counts)
        c = p->counts;
    else
        memset(&c, 0, sizeof c);
    rc |= kb_u32(&b, (uint32_t)p->day_first);
    rc |= kb_u32(&b, (uint32_t)p->day_last);
    rc |= kb_u64(&b, (uint64_t)c.rows_read);
    rc |= kb_u64(&b, (uint64_t)c.rows_null_date);
    rc |= kb_u64(&b, (uint64_t)c.rows_outside);
    rc |= kb_u64(&b, (uint64_t)c.bad_tags);
    for (i = 0; i < p->dmap.n; i++)
        n += keep == NULL || keep(p->daily[i].day, kctx);
    rc |= kb_u64(&b, (uint64_t)n);
    for (i = 0; i < p->dmap.n && rc == OCP_OK; i++) {
        const struct aws_daily *d = &p->daily[i];
        if (keep != NULL && !keep(d->day, kctx))
            continue;
        rc |= kb_str(&b, p->dmap.keys[i], p->dmap.klen[i]);
        for (k = 0; k < 4; k++)
            for (j = 0; j < 3; j++)
                rc |= kb_u64(&b, d->sum[k].w[j]);
        rc |= kb_str(&b, d->currency, strlen(d->currency));
        rc |= kb_str(&b, d->productname, strlen(d->productname));
    }
    /* A capacity key starts with its day (cap_slot). */
    for (i = 0, n = 0; i < p->cmap.n; i++)
        n += keep == NULL || keep((int32_t)rd_u32((const unsigned char *)p->cmap.keys[i]), kctx);
    rc |= kb_u64(&b, (uint64_t)n);
    for (i = 0; i < p->cmap.n && rc == OCP_OK; i++) {
        if (keep != NULL && !keep((int32_t)rd_u32((const unsigned char *)p->cmap.keys[i]), kctx))
            continue;
        rc |= kb_str(&b, p->cmap.keys[i], p->cmap.klen[i]);
        rc |= kb_u64(&b, aws_dbits(p->caps[i].cmax));
        rc |= kb_u64(&b, aws_dbits(p->caps[i].rmax));
    }
    if (rc != OCP_OK) {
        rpt_buf_release(&b);
        return oom(err);
    }
    rc = rpt_buf_append(out, b.data, b.len) == 0 ? OCP_OK : oom(err);
    rpt_buf_release(&b);
    return rc;
}

int aws_partial_serialize(const struct aws_partial *p, struct rpt_buf *out, struct ocp_error *err)
{
    return serialize(p, NULL, NULL, 1, out, err);
}

int aws_partial_serialize_days(const struct aws_partial *p, int (*keep)(int32_t day, void *ctx),
                               void *ctx, int with_counts, struct rpt_buf *out,
                               struct ocp_error *err)
{
    return serialize(p, keep, ctx, with_counts, out, err);
}

struct rd {
    const unsigned char *p;
    size_t len, at;
    int bad;
};

static const unsigned char *take(struct rd *r, size_t n)
{
    const unsigned char *q;
    if (r->bad || n > r->len - r->at) {
        r->bad = 1;
        return NULL;
    }
    q = r->p + r->at;
    r->at += n;
    return q;
}

static uint64_t take64(struct rd *r)
{
    const unsigned char *q = take(r, 8);
    return q ? rd_u64(q) : 0;
}

static const char *takestr(struct rd *r, size_t *len)
{
    const unsigned char *q = take(r, 4);
    if (q == NULL)
        return NULL;
    *len = rd_u32(q);
    return (const char *)take(r, *len);
}

/* Checks that a daily key is well formed (day + 18 length-prefixed strings
 * exactly filling it), so daily_slot can trust it. */
static int key_ok(const char *key, size_t klen)
{
    size_t off = 4;
    int f;
    if (klen < 4)
        return 0;
    for (f = 0; f < AWS_KEY_STRINGS; f++) {
        uint32_t l;
        if (klen - off < 4)
            return 0;
        l = rd_u32((const unsigned char *)key + off);
        if (l > klen - off - 4)
            return 0;
        off += 4 + l;
    }
    return off == klen;
}

int aws_partial_merge_bytes(struct aws_partial *p, const unsigned char *data, size_t len,
                            struct ocp_error *err)
{
    struct rd r = {data, len, 0, 0};
    struct aws_read_counts c;
    const unsigned char *h = take(&r, 12);
    uint64_t n, i;
    int rc;
    if (h == NULL || memcmp(h, "AWP1", 4) != 0 || (int32_t)rd_u32(h + 4) != p->day_first ||
        (int32_t)rd_u32(h + 8) != p->day_last)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "corrupt AWS partial image (header)");
    c.rows_read = (int64_t)take64(&r);
    c.rows_null_date = (int64_t)take64(&r);
    c.rows_outside = (int64_t)take64(&r);
    c.bad_tags = (int64_t)take64(&r);
    n = take64(&r);
    for (i = 0; i < n && !r.bad; i++) {
        size_t kl, cl, pl;
        uint64_t w[4][3];
        const char *key = takestr(&r, &kl), *cur, *pn;
        int k, j;
        for (k = 0; k < 4; k++)
            for (j = 0; j < 3; j++)
                w[k][j] = take64(&r);
        cur = takestr(&r, &cl);
        pn = takestr(&r, &pl);
        if (r.bad || !key_ok(key, kl) || memchr(cur, 0, cl) || memchr(pn, 0, pl))
            break;
        rc = merge_daily(p, key, kl, (const uint64_t(*)[3])w, cur, cl, pn, pl, err);
        if (rc != OCP_OK)
            return rc;
    }
    if (i < n || r.bad)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "corrupt AWS partial image (daily rows)");
    n = take64(&r);
    for (i = 0; i < n && !r.bad; i++) {
        size_t kl;
        const char *key = takestr(&r, &kl);
        double cm = aws_bitsd(take64(&r)), rm = aws_bitsd(take64(&r));
        if (r.bad || kl < 4)
            break;
        rc = merge_cap(p, key, kl, cm, rm, err);
        if (rc != OCP_OK)
            return rc;
    }
    if (i < n || r.bad || r.at != r.len)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "corrupt AWS partial image (capacities)");
    add_counts(&p->counts, &c);
    return OCP_OK;
}
