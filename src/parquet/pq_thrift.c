/* pq_thrift.c - bounded Thrift compact protocol reader (see pq_thrift.h). */
#include "pq_thrift.h"

#include <string.h>

void pq_tr_init(struct pq_tr *t, const uint8_t *p, size_t len)
{
    memset(t, 0, sizeof *t);
    t->p = p;
    t->end = p + len;
}

void pq_tr_fail(struct pq_tr *t, const char *why)
{
    if (!t->bad) {
        t->bad = 1;
        t->why = why;
    }
    t->p = t->end;
}

static void fail_short(struct pq_tr *t)
{
    if (!t->bad)
        t->truncated = 1;
    pq_tr_fail(t, "thrift data ends early");
}

static uint8_t read_byte(struct pq_tr *t)
{
    if (t->p >= t->end) {
        fail_short(t);
        return 0;
    }
    return *t->p++;
}

uint64_t pq_tr_varint(struct pq_tr *t)
{
    uint64_t v = 0;
    int shift = 0;

    for (;;) {
        uint8_t b;
        if (t->p >= t->end) {
            fail_short(t);
            return 0;
        }
        b = *t->p++;
        if (shift == 63 && (b & 0x7e) != 0) {
            pq_tr_fail(t, "thrift varint overflows 64 bits");
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return v;
        shift += 7;
        if (shift > 63) {
            pq_tr_fail(t, "thrift varint longer than 10 bytes");
            return 0;
        }
    }
}

static int64_t zigzag(uint64_t u)
{
    /* (u >> 1) ^ -(u & 1) without signed overflow. */
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

int pq_tr_field(struct pq_tr *t, int16_t *last, int16_t *id, int *type)
{
    uint8_t b;
    int delta;

    if (t->bad)
        return 0;
    b = read_byte(t);
    if (t->bad || b == PQ_TC_STOP)
        return 0;
    *type = b & 0x0f;
    delta = b >> 4;
    if (delta != 0) {
        int next = *last + delta;
        if (next > INT16_MAX) {
            pq_tr_fail(t, "thrift field id overflows");
            return 0;
        }
        *id = (int16_t)next;
    } else {
        int64_t v = zigzag(pq_tr_varint(t));
        if (v < INT16_MIN || v > INT16_MAX) {
            pq_tr_fail(t, "thrift field id out of range");
            return 0;
        }
        *id = (int16_t)v;
    }
    if (*type == PQ_TC_STOP || *type > PQ_TC_STRUCT) {
        pq_tr_fail(t, "thrift field has an unknown type");
        return 0;
    }
    *last = *id;
    return !t->bad;
}

/* Skips one value; in_coll says whether it is a list/set/map element,
 * where booleans take a byte instead of living in the type nibble. */
static void skip_value(struct pq_tr *t, int type, int in_coll)
{
    switch (type) {
    case PQ_TC_TRUE:
    case PQ_TC_FALSE:
        if (in_coll)
            (void)read_byte(t);
        break;
    case PQ_TC_BYTE: (void)read_byte(t); break;
    case PQ_TC_I16:
    case PQ_TC_I32:
    case PQ_TC_I64: (void)pq_tr_varint(t); break;
    case PQ_TC_DOUBLE:
        if (pq_tr_left(t) < 8)
            fail_short(t);
        else
            t->p += 8;
        break;
    case PQ_TC_BINARY: {
        uint64_t n = pq_tr_varint(t);
        if (n > pq_tr_left(t))
            fail_short(t);
        else
            t->p += n;
        break;
    }
    case PQ_TC_LIST:
    case PQ_TC_SET: {
        int elem;
        uint32_t n, i;
        if (!pq_tr_list(t, type, &elem, &n))
            break;
        if (!pq_tr_enter(t))
            break;
        for (i = 0; i < n && !t->bad; i++)
            skip_value(t, elem, 1);
        pq_tr_leave(t);
        break;
    }
    case PQ_TC_MAP: {
        uint64_t n = pq_tr_varint(t), i;
        int kt, vt;
        uint8_t kv;
        if (n == 0 || t->bad)
            break;
        if (n > pq_tr_left(t)) {
            fail_short(t);
            break;
        }
        kv = read_byte(t);
        kt = kv >> 4;
        vt = kv & 0x0f;
        if (kt == PQ_TC_STOP || kt > PQ_TC_STRUCT || vt == PQ_TC_STOP || vt > PQ_TC_STRUCT) {
            pq_tr_fail(t, "thrift map has an unknown element type");
            break;
        }
        if (!pq_tr_enter(t))
            break;
        for (i = 0; i < n && !t->bad; i++) {
            skip_value(t, kt, 1);
            skip_value(t, vt, 1);
        }
        pq_tr_leave(t);
        break;
    }
    case PQ_TC_STRUCT:
        if (!pq_tr_enter(t))
            break;
        pq_tr_skip_struct_rest(t);
        pq_tr_leave(t);
        break;
    default: pq_tr_fail(t, "thrift value has an unknown type"); break;
    }
}

void pq_tr_skip(struct pq_tr *t, int type)
{
    skip_value(t, type, 0);
}

void pq_tr_skip_struct_rest(struct pq_tr *t)
{
    int16_t last = 0, id;
    int type;

    while (pq_tr_field(t, &last, &id, &type))
        skip_value(t, type, 0);
}

int pq_tr_int(struct pq_tr *t, int type, int64_t *v)
{
    switch (type) {
    case PQ_TC_BYTE: *v = (int8_t)read_byte(t); return !t->bad;
    case PQ_TC_I16:
    case PQ_TC_I32:
    case PQ_TC_I64: *v = zigzag(pq_tr_varint(t)); return !t->bad;
    default:
        skip_value(t, type, 0);
        *v = 0;
        return 0;
    }
}

int pq_tr_int32(struct pq_tr *t, int type, int32_t *v)
{
    int64_t w;
    if (!pq_tr_int(t, type, &w) || w < INT32_MIN || w > INT32_MAX) {
        *v = 0;
        return 0;
    }
    *v = (int32_t)w;
    return 1;
}

int pq_tr_bool(struct pq_tr *t, int type)
{
    if (type == PQ_TC_TRUE)
        return 1;
    if (type == PQ_TC_FALSE)
        return 0;
    skip_value(t, type, 0);
    return -1;
}

int pq_tr_binary(struct pq_tr *t, int type, const uint8_t **p, uint32_t *len)
{
    uint64_t n;

    *p = NULL;
    *len = 0;
    if (type != PQ_TC_BINARY) {
        skip_value(t, type, 0);
        return 0;
    }
    n = pq_tr_varint(t);
    if (t->bad)
        return 0;
    if (n > pq_tr_left(t) || n > UINT32_MAX) {
        fail_short(t);
        return 0;
    }
    *p = t->p;
    *len = (uint32_t)n;
    t->p += n;
    return 1;
}

int pq_tr_list(struct pq_tr *t, int type, int *elem, uint32_t *count)
{
    uint8_t b;
    uint64_t n;

    *elem = 0;
    *count = 0;
    if (type != PQ_TC_LIST && type != PQ_TC_SET) {
        skip_value(t, type, 0);
        return 0;
    }
    b = read_byte(t);
    if (t->bad)
        return 0;
    *elem = b & 0x0f;
    n = b >> 4;
    if (n == 15)
        n = pq_tr_varint(t);
    if (t->bad)
        return 0;
    if (*elem == PQ_TC_STOP || *elem > PQ_TC_STRUCT) {
        pq_tr_fail(t, "thrift list has an unknown element type");
        return 0;
    }
    /* Every element takes at least one byte, except booleans packed in
     * nothing, which the compact protocol never does inside lists. */
    if (n > pq_tr_left(t)) {
        fail_short(t);
        return 0;
    }
    *count = (uint32_t)n;
    return 1;
}

int pq_tr_enter(struct pq_tr *t)
{
    if (t->depth >= PQ_TR_MAX_DEPTH) {
        pq_tr_fail(t, "thrift structures nested too deeply");
        return 0;
    }
    t->depth++;
    return 1;
}

void pq_tr_leave(struct pq_tr *t)
{
    if (t->depth > 0)
        t->depth--;
}
