/*
 * pq_thrift_write.c - the Thrift compact protocol encoder the Parquet
 * writer serializes page headers and the footer with.
 *
 * Only what parquet.thrift needs: i32/i64 (zigzag varints), bool fields
 * (folded into the field header), binary, nested structs and lists.  Field
 * ids are written as deltas from the previous field of the same struct
 * when they fit in four bits, as the protocol prescribes.
 */
#include "pq_write_internal.h"

#include <string.h>

void pq_tw_init(struct pq_tw *t, struct pq_buf *out)
{
    memset(t, 0, sizeof *t);
    t->out = out;
}

static void put_bytes(struct pq_tw *t, const void *p, size_t n)
{
    if (t->status != OCP_OK)
        return;
    t->status = pq_buf_append(t->out, p, n);
}

static void put_byte(struct pq_tw *t, uint8_t b)
{
    put_bytes(t, &b, 1);
}

static void put_varint(struct pq_tw *t, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    put_bytes(t, tmp, n);
}

static uint64_t zigzag64(int64_t v)
{
    /* Unsigned arithmetic keeps the shift defined for negative values. */
    uint64_t u = (uint64_t)v;
    return (u << 1) ^ (uint64_t)(0 - (u >> 63));
}

static void field_header(struct pq_tw *t, int16_t fid, enum pq_ttype type)
{
    int16_t last;
    int delta;

    if (t->depth <= 0) {
        if (t->status == OCP_OK)
            t->status = OCP_ERR_SOFTWARE;
        return;
    }
    last = t->last_fid[t->depth - 1];
    delta = fid - last;
    if (delta > 0 && delta <= 15) {
        put_byte(t, (uint8_t)((delta << 4) | (int)type));
    } else {
        put_byte(t, (uint8_t)type);
        put_varint(t, zigzag64(fid));
    }
    t->last_fid[t->depth - 1] = fid;
}

void pq_tw_begin(struct pq_tw *t)
{
    if (t->depth >= PQ_TW_MAX_DEPTH) {
        if (t->status == OCP_OK)
            t->status = OCP_ERR_SOFTWARE;
        return;
    }
    t->last_fid[t->depth++] = 0;
}

void pq_tw_end(struct pq_tw *t)
{
    if (t->depth <= 0) {
        if (t->status == OCP_OK)
            t->status = OCP_ERR_SOFTWARE;
        return;
    }
    put_byte(t, 0);
    t->depth--;
}

void pq_tw_field_i32(struct pq_tw *t, int16_t fid, int32_t v)
{
    field_header(t, fid, PQ_TT_I32);
    put_varint(t, zigzag64(v));
}

void pq_tw_field_i64(struct pq_tw *t, int16_t fid, int64_t v)
{
    field_header(t, fid, PQ_TT_I64);
    put_varint(t, zigzag64(v));
}

void pq_tw_field_bool(struct pq_tw *t, int16_t fid, int v)
{
    field_header(t, fid, v ? PQ_TT_BOOL_TRUE : PQ_TT_BOOL_FALSE);
}

void pq_tw_field_binary(struct pq_tw *t, int16_t fid, const void *p, size_t n)
{
    field_header(t, fid, PQ_TT_BINARY);
    pq_tw_binary(t, p, n);
}

void pq_tw_field_string(struct pq_tw *t, int16_t fid, const char *s)
{
    pq_tw_field_binary(t, fid, s, strlen(s));
}

void pq_tw_field_struct(struct pq_tw *t, int16_t fid)
{
    field_header(t, fid, PQ_TT_STRUCT);
    pq_tw_begin(t);
}

void pq_tw_list_header(struct pq_tw *t, enum pq_ttype elem, size_t count)
{
    if (count < 15) {
        put_byte(t, (uint8_t)((count << 4) | (size_t)elem));
    } else {
        put_byte(t, (uint8_t)(0xF0 | (int)elem));
        put_varint(t, count);
    }
}

void pq_tw_field_list(struct pq_tw *t, int16_t fid, enum pq_ttype elem, size_t count)
{
    field_header(t, fid, PQ_TT_LIST);
    pq_tw_list_header(t, elem, count);
}

void pq_tw_i32(struct pq_tw *t, int32_t v)
{
    put_varint(t, zigzag64(v));
}

void pq_tw_binary(struct pq_tw *t, const void *p, size_t n)
{
    put_varint(t, n);
    if (n > 0)
        put_bytes(t, p, n);
}

void pq_tw_raw(struct pq_tw *t, const void *p, size_t n)
{
    if (n > 0)
        put_bytes(t, p, n);
}

void pq_tw_field_stats(struct pq_tw *t, int16_t fid, const struct pq_wstats *s)
{
    /* Only the unambiguous fields: null_count, max_value, min_value.  The
     * deprecated min/max (1, 2) had an undefined sort order for byte
     * arrays, so modern readers ignore them for strings anyway. */
    pq_tw_field_struct(t, fid);
    pq_tw_field_i64(t, 3, s->null_count);
    if (s->has_minmax) {
        pq_tw_field_binary(t, 5, s->max.data, s->max.len);
        pq_tw_field_binary(t, 6, s->min.data, s->min.len);
    }
    pq_tw_end(t);
}
