/*
 * aws_attr_report.c - the attribution's report side: an aws_table (made,
 * released, days appended), the markup factor, and a day's groups turned
 * into report rows (their keys decoded, uuids, account aliases) in the
 * report's order.  The groups are filled by the matching (aws_attr.c) and
 * the kinds' rules (aws_attr_kinds.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_attr_internal.h"
#include "ocpagg/text.h"

void aws_table_init(struct aws_table *t)
{
    memset(t, 0, sizeof *t);
    ocp_arena_init(&t->strings, 1 << 16);
}

void aws_table_release(struct aws_table *t)
{
    size_t i;
    free(t->rows);
    ocp_arena_release(&t->strings);
    for (i = 0; i < t->nmore; i++)
        ocp_arena_release(&t->more[i]);
    free(t->more);
    free(t->cluster_id);
    free(t->cluster_alias);
    free(t->source_uuid);
    memset(t, 0, sizeof *t);
}

double aws_markup_factor(double markup_percent)
{
    /* percent / 100 at 9 places = percent at 7 places, in units of 1e-9. */
    double units = round(markup_percent * 1e7);
    return units / 1e9;
}

struct kr {
    const char *p, *end;
};

static int kr_nstr(struct aws_table *t, struct kr *r, const char **out)
{
    uint32_t l;
    char *d;
    if (*r->p++ == 0) {
        *out = NULL;
        return OCP_OK;
    }
    l = (uint32_t)(unsigned char)r->p[0] | (uint32_t)(unsigned char)r->p[1] << 8 |
        (uint32_t)(unsigned char)r->p[2] << 16 | (uint32_t)(unsigned char)r->p[3] << 24;
    r->p += 4;
    d = ocp_arena_alloc(&t->strings, (size_t)l + 1);
    if (d == NULL)
        return OCP_ERR_OSERR;
    memcpy(d, r->p, l);
    d[l] = '\0';
    r->p += l;
    *out = d;
    return OCP_OK;
}

static int cmp_out(const void *a, const void *b)
{
    const struct aws_row *x = a, *y = b;
    int c;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->source != y->source)
        return (int)x->source - (int)y->source;
    if ((c = scmp(x->namespace_, y->namespace_)) != 0)
        return c;
    if ((c = scmp(x->node, y->node)) != 0)
        return c;
    if ((c = scmp(x->resource_id, y->resource_id)) != 0)
        return c;
    if ((c = scmp(x->product_code, y->product_code)) != 0)
        return c;
    if ((c = scmp(x->product_family, y->product_family)) != 0)
        return c;
    if ((c = scmp(x->instance_type, y->instance_type)) != 0)
        return c;
    if ((c = scmp(x->usage_account_id, y->usage_account_id)) != 0)
        return c;
    if ((c = scmp(x->availability_zone, y->availability_zone)) != 0)
        return c;
    if ((c = scmp(x->region, y->region)) != 0)
        return c;
    if ((c = scmp(x->unit, y->unit)) != 0)
        return c;
    if ((c = scmp(x->direction, y->direction)) != 0)
        return c;
    if ((c = scmp(x->currency_code, y->currency_code)) != 0)
        return c;
    if ((c = scmp(x->tags, y->tags)) != 0)
        return c;
    if ((c = scmp(x->aws_cost_category, y->aws_cost_category)) != 0)
        return c;
    if (x->has_cost_category != y->has_cost_category)
        return x->has_cost_category - y->has_cost_category;
    if (x->cost_category_id != y->cost_category_id)
        return x->cost_category_id < y->cost_category_id ? -1 : 1;
    if ((c = scmp(x->pvc, y->pvc)) != 0)
        return c;
    if ((c = scmp(x->pv, y->pv)) != 0)
        return c;
    return scmp(x->storageclass, y->storageclass);
}

int aws_attr_table_run(struct aws_table *t, const struct aws_settings *s, struct ocp_error *err)
{
    t->cluster_id = s->cluster_id ? strdup(s->cluster_id) : NULL;
    t->cluster_alias = s->cluster_alias ? strdup(s->cluster_alias) : NULL;
    t->source_uuid = strdup(s->source_uuid);
    t->report_period_id = s->report_period_id;
    t->bill_id = s->bill_id;
    t->has_bill_id = s->has_bill_id;
    return t->source_uuid == NULL ? oom(err) : OCP_OK;
}

int aws_attr_rows(struct ctx *x, struct aws_table *out, struct ocp_error *err)
{
    uint8_t ns[16];
    size_t i, a;
    if (txt_parse_uuid(x->s->source_uuid, strlen(x->s->source_uuid), ns) != 0)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, "aws.source_uuid", "not a UUID: '%s'",
                             x->s->source_uuid);
    out->rows = calloc(x->gmap.n ? x->gmap.n : 1, sizeof *out->rows);
    if (out->rows == NULL)
        return oom(err);
    out->cap = x->gmap.n;
    for (i = 0; i < x->gmap.n; i++) {
        struct aws_row *r = &out->rows[i];
        const struct group *g = &x->groups[i];
        struct kr kr = {x->gmap.keys[i], x->gmap.keys[i] + x->gmap.klen[i]};
        int f, k;
        uint32_t lo, hi;
        kr.p += 1;
        memcpy(&lo, kr.p, 4); /* little endian hosts only, as the key writer */
        r->day =
            (int32_t)((uint32_t)(unsigned char)kr.p[0] | (uint32_t)(unsigned char)kr.p[1] << 8 |
                      (uint32_t)(unsigned char)kr.p[2] << 16 |
                      (uint32_t)(unsigned char)kr.p[3] << 24);
        kr.p += 4;
        r->source = (enum rpt_source)(unsigned char)*kr.p++;
        for (f = 0; f < AWS_ROW_NSTR; f++)
            if (kr_nstr(out, &kr, aws_row_str(r, f)) != OCP_OK)
                return oom(err);
        r->has_cost_category = *kr.p++ != 0;
        lo = (uint32_t)(unsigned char)kr.p[0] | (uint32_t)(unsigned char)kr.p[1] << 8 |
             (uint32_t)(unsigned char)kr.p[2] << 16 | (uint32_t)(unsigned char)kr.p[3] << 24;
        hi = (uint32_t)(unsigned char)kr.p[4] | (uint32_t)(unsigned char)kr.p[5] << 8 |
             (uint32_t)(unsigned char)kr.p[6] << 16 | (uint32_t)(unsigned char)kr.p[7] << 24;
        r->cost_category_id = (int64_t)((uint64_t)hi << 32 | lo);
        txt_uuid_v5(ns, x->gmap.keys[i], x->gmap.klen[i], r->uuid);
        r->usage_amount = g->n_usage ? xsum_value(&g->usage) : NAN;
        r->data_in = xsum_value(&g->din);
        r->data_out = xsum_value(&g->dout);
        for (k = 0; k < AWS_NCOST; k++)
            r->cost[k] = g->n_cost[k] ? xsum_value(&g->cost[k]) : NAN;
        r->has_alias = 0;
        for (a = 0; a < x->s->n_aliases; a++)
            if (r->usage_account_id != NULL &&
                strcmp(x->s->aliases[a].account_id, r->usage_account_id) == 0) {
                r->has_alias = 1;
                r->account_alias_id = x->s->aliases[a].alias_id;
                break;
            }
    }
    out->count = x->gmap.n;
    qsort(out->rows, out->count, sizeof *out->rows, cmp_out);
    return aws_attr_table_run(out, x->s, err);
}

int aws_table_append_move(struct aws_table *dst, struct aws_table *src)
{
    struct ocp_arena *na;
    if (dst->count + src->count > dst->cap) {
        size_t nc = dst->cap ? dst->cap : 1024;
        struct aws_row *nr;
        while (nc < dst->count + src->count)
            nc *= 2;
        nr = realloc(dst->rows, nc * sizeof *nr);
        if (nr == NULL)
            return OCP_ERR_OSERR;
        dst->rows = nr;
        dst->cap = nc;
    }
    na = realloc(dst->more, (dst->nmore + 1) * sizeof *na);
    if (na == NULL)
        return OCP_ERR_OSERR;
    dst->more = na;
    if (src->count)
        memcpy(dst->rows + dst->count, src->rows, src->count * sizeof *src->rows);
    dst->count += src->count;
    /* The rows' strings live in src's arena, which dst now owns. */
    dst->more[dst->nmore++] = src->strings;
    ocp_arena_init(&src->strings, 1 << 16);
    if (dst->source_uuid == NULL) {
        dst->cluster_id = src->cluster_id;
        dst->cluster_alias = src->cluster_alias;
        dst->source_uuid = src->source_uuid;
        dst->report_period_id = src->report_period_id;
        dst->bill_id = src->bill_id;
        dst->has_bill_id = src->has_bill_id;
        src->cluster_id = src->cluster_alias = src->source_uuid = NULL;
    }
    aws_table_release(src);
    aws_table_init(src);
    return OCP_OK;
}
