/*
 * aws_block.c - report rows and day counters as bytes, so the rank that
 * attributes a day can hand its rows to the rank that writes (the job's
 * AWS step: days are attributed on their owner ranks, written by rank 0).
 *
 * Image: "AWB1", the counters (every field as u64, doubles as their bits,
 * in struct order), a u8 form, then either (form 1) the rows as the CSV
 * text of aws_csv_append (so the owner ranks format the report's text in
 * parallel and the writer only copies it) or (form 0) u64 row count, per
 * row: uuid (36 bytes), day (u32),
 * source (u8), flags (u8: 1 cost category, 2 alias), cost category id and
 * alias id (u64), the 11 numbers (u64 bits), then the 17 strings as u32
 * (length + 1, 0 for NULL) + bytes.  Little endian.  A double's bits go
 * through unchanged, so a decoded row prints exactly as the encoded one.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/aws_internal.h"

const char **aws_row_str(struct aws_row *r, int i)
{
    const char **f[AWS_ROW_NSTR] = {&r->namespace_,
                                    &r->node,
                                    &r->pvc,
                                    &r->pv,
                                    &r->storageclass,
                                    &r->resource_id,
                                    &r->product_code,
                                    &r->product_family,
                                    &r->instance_type,
                                    &r->usage_account_id,
                                    &r->availability_zone,
                                    &r->region,
                                    &r->unit,
                                    &r->direction,
                                    &r->currency_code,
                                    &r->tags,
                                    &r->aws_cost_category};
    return f[i];
}

static double *row_num(struct aws_row *r, int i)
{
    if (i == 0)
        return &r->usage_amount;
    if (i == 1)
        return &r->data_in;
    if (i == 2)
        return &r->data_out;
    return &r->cost[i - 3];
}

#define NNUM (3 + AWS_NCOST)

static void put64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The counters as a flat list of 64-bit words (struct order). */
#define NCW (4 + 8 + 3 * AWS_NKIND + 2 * AWS_NDROP + 2)

static void counters_words(const struct aws_counters *c, uint64_t *w)
{
    size_t n = 0;
    int k;
    w[n++] = (uint64_t)c->read.rows_read;
    w[n++] = (uint64_t)c->read.rows_null_date;
    w[n++] = (uint64_t)c->read.rows_outside;
    w[n++] = (uint64_t)c->read.bad_tags;
    w[n++] = (uint64_t)c->daily_rows;
    w[n++] = aws_dbits(c->daily_unblended);
    w[n++] = (uint64_t)c->resource_matched;
    w[n++] = aws_dbits(c->resource_matched_unblended);
    w[n++] = (uint64_t)c->tag_matched;
    w[n++] = aws_dbits(c->tag_matched_unblended);
    w[n++] = (uint64_t)c->unmatched;
    w[n++] = aws_dbits(c->unmatched_unblended);
    for (k = 0; k < AWS_NKIND; k++) {
        w[n++] = (uint64_t)c->kind_rows[k];
        w[n++] = (uint64_t)c->kind_out[k];
        w[n++] = aws_dbits(c->kind_unblended[k]);
    }
    for (k = 0; k < AWS_NDROP; k++) {
        w[n++] = (uint64_t)c->dropped[k];
        w[n++] = aws_dbits(c->dropped_unblended[k]);
    }
    w[n++] = (uint64_t)c->capacity_rate_zero;
    w[n++] = (uint64_t)c->output_rows;
}

static void words_counters(const uint64_t *w, struct aws_counters *c)
{
    size_t n = 0;
    int k;
    c->read.rows_read = (int64_t)w[n++];
    c->read.rows_null_date = (int64_t)w[n++];
    c->read.rows_outside = (int64_t)w[n++];
    c->read.bad_tags = (int64_t)w[n++];
    c->daily_rows = (int64_t)w[n++];
    c->daily_unblended = aws_bitsd(w[n++]);
    c->resource_matched = (int64_t)w[n++];
    c->resource_matched_unblended = aws_bitsd(w[n++]);
    c->tag_matched = (int64_t)w[n++];
    c->tag_matched_unblended = aws_bitsd(w[n++]);
    c->unmatched = (int64_t)w[n++];
    c->unmatched_unblended = aws_bitsd(w[n++]);
    for (k = 0; k < AWS_NKIND; k++) {
        c->kind_rows[k] = (int64_t)w[n++];
        c->kind_out[k] = (int64_t)w[n++];
        c->kind_unblended[k] = aws_bitsd(w[n++]);
    }
    for (k = 0; k < AWS_NDROP; k++) {
        c->dropped[k] = (int64_t)w[n++];
        c->dropped_unblended[k] = aws_bitsd(w[n++]);
    }
    c->capacity_rate_zero = (int64_t)w[n++];
    c->output_rows = (int64_t)w[n++];
}

#define FIXED (36 + 4 + 1 + 1 + 8 + 8 + 8 * NNUM)

int aws_block_encode(const struct aws_table *t, const struct aws_counters *c, int csv,
                     struct rpt_buf *out)
{
    uint64_t w[NCW];
    size_t need = 4 + 8 * NCW + 1 + 8, i, at;
    int k;
    unsigned char *p;

    if (csv) {
        if (rpt_buf_reserve(out, 4 + 8 * NCW + 1) != 0)
            return OCP_ERR_OSERR;
        p = (unsigned char *)out->data + out->len;
        memcpy(p, "AWB1", 4);
        counters_words(c, w);
        for (k = 0; k < NCW; k++)
            put64(p + 4 + 8 * k, w[k]);
        p[4 + 8 * NCW] = 1;
        out->len += 4 + 8 * NCW + 1;
        return aws_csv_append(t, 0, out);
    }

    for (i = 0; i < t->count; i++) {
        struct aws_row *r = &t->rows[i];
        need += FIXED + 4 * AWS_ROW_NSTR;
        for (k = 0; k < AWS_ROW_NSTR; k++)
            if (*aws_row_str(r, k) != NULL)
                need += strlen(*aws_row_str(r, k));
    }
    if (rpt_buf_reserve(out, need) != OCP_OK)
        return OCP_ERR_OSERR;
    p = (unsigned char *)out->data + out->len;
    at = 0;
    memcpy(p, "AWB1", 4);
    at += 4;
    counters_words(c, w);
    for (k = 0; k < NCW; k++, at += 8)
        put64(p + at, w[k]);
    p[at++] = 0;
    put64(p + at, (uint64_t)t->count);
    at += 8;
    for (i = 0; i < t->count; i++) {
        struct aws_row *r = &t->rows[i];
        memcpy(p + at, r->uuid, 36);
        at += 36;
        put32(p + at, (uint32_t)r->day);
        at += 4;
        p[at++] = (unsigned char)r->source;
        p[at++] = (unsigned char)((r->has_cost_category ? 1 : 0) | (r->has_alias ? 2 : 0));
        put64(p + at, (uint64_t)r->cost_category_id);
        put64(p + at + 8, (uint64_t)r->account_alias_id);
        at += 16;
        for (k = 0; k < NNUM; k++, at += 8)
            put64(p + at, aws_dbits(*row_num(r, k)));
        for (k = 0; k < AWS_ROW_NSTR; k++) {
            const char *s = *aws_row_str(r, k);
            size_t l = s != NULL ? strlen(s) : 0;
            put32(p + at, s != NULL ? (uint32_t)l + 1 : 0);
            at += 4;
            if (l)
                memcpy(p + at, s, l);
            at += l;
        }
    }
    out->len += at;
    return OCP_OK;
}

int aws_block_decode(const unsigned char *data, size_t len, struct aws_table *t,
                     struct aws_counters *c, const char **csv, size_t *csv_len,
                     struct ocp_error *err)
{
    uint64_t w[NCW], n, i;
    size_t at = 0;
    int k;

    *csv = NULL;
    *csv_len = 0;
    if (len < 4 + 8 * NCW + 1 || memcmp(data, "AWB1", 4) != 0 || data[4 + 8 * NCW] > 1)
        goto bad;
    at = 4;
    for (k = 0; k < NCW; k++, at += 8)
        w[k] = get64(data + at);
    words_counters(w, c);
    if (data[at++] == 1) {
        *csv = (const char *)data + at;
        *csv_len = len - at;
        return OCP_OK;
    }
    if (len - at < 8)
        goto bad;
    n = get64(data + at);
    at += 8;
    /* Every row takes at least FIXED + 4 * AWS_ROW_NSTR bytes: bound n first. */
    if (n > (len - at) / (FIXED + 4 * AWS_ROW_NSTR))
        goto bad;
    if (t->count + n > t->cap) {
        size_t nc = t->cap ? t->cap : 1024;
        struct aws_row *nr;
        while (nc < t->count + n)
            nc *= 2;
        nr = realloc(t->rows, nc * sizeof *nr);
        if (nr == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        t->rows = nr;
        t->cap = nc;
    }
    for (i = 0; i < n; i++) {
        struct aws_row *r = &t->rows[t->count];
        memset(r, 0, sizeof *r);
        if (len - at < FIXED)
            goto bad;
        memcpy(r->uuid, data + at, 36);
        r->uuid[36] = '\0';
        at += 36;
        r->day = (int32_t)get32(data + at);
        at += 4;
        if (data[at] != RPT_SOURCE_POD && data[at] != RPT_SOURCE_STORAGE)
            goto bad;
        r->source = (enum rpt_source)data[at++];
        r->has_cost_category = (data[at] & 1) != 0;
        r->has_alias = (data[at++] & 2) != 0;
        r->cost_category_id = (int64_t)get64(data + at);
        r->account_alias_id = (int64_t)get64(data + at + 8);
        at += 16;
        for (k = 0; k < NNUM; k++, at += 8)
            *row_num(r, k) = aws_bitsd(get64(data + at));
        for (k = 0; k < AWS_ROW_NSTR; k++) {
            uint32_t l;
            char *d;
            if (len - at < 4)
                goto bad;
            l = get32(data + at);
            at += 4;
            if (l == 0) {
                *aws_row_str(r, k) = NULL;
                continue;
            }
            l--;
            if (len - at < l || memchr(data + at, 0, l) != NULL)
                goto bad;
            d = ocp_arena_alloc(&t->strings, (size_t)l + 1);
            if (d == NULL)
                return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            memcpy(d, data + at, l);
            d[l] = '\0';
            at += l;
            *aws_row_str(r, k) = d;
        }
        t->count++;
    }
    if (at != len)
        goto bad;
    return OCP_OK;
bad:
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "corrupt AWS row block");
}
