/*
 * pq_delta.c - DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and
 * DELTA_BYTE_ARRAY decoding, and the DELTA_BINARY_PACKED encoder.
 *
 * All arithmetic on values and deltas is unsigned so it wraps in two's
 * complement as the spec requires; int32 columns decode through int64 and
 * their low 32 bits are the values.
 */
#include "pq_encoding.h"

#include <stdlib.h>
#include <string.h>

/* Block sizes beyond this are rejected: no writer uses them and the
 * arithmetic below then never overflows. */
#define PQ_DELTA_MAX_BLOCK ((uint64_t)1 << 31)
/* DELTA_BYTE_ARRAY values rebuilt by one call may not exceed this. */
#define PQ_DELTA_MAX_EXPANSION ((size_t)1 << 31)

static int read_uleb64(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t b;
        if (p >= end)
            return OCP_ERR_DATA;
        b = *p++;
        if (shift == 63 && (b & 0x7eu) != 0)
            return OCP_ERR_DATA; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7fu) << shift;
        if ((b & 0x80u) == 0) {
            *out = v;
            *pp = p;
            return OCP_OK;
        }
    }
    return OCP_ERR_DATA;
}

static uint64_t unzigzag(uint64_t u)
{
    return (u >> 1) ^ (0u - (u & 1u));
}

/* Where decoded values go: int64 values, or non-negative int32 lengths
 * stored as uint32 (into a plain array or into pq_bytes.len). */
enum delta_sink { SINK_INT64, SINK_LEN32, SINK_BYTES_LEN };

struct delta_out {
    enum delta_sink kind;
    int64_t *i64;
    uint32_t *u32;
    struct pq_bytes *bytes;
};

/* Unpacks the 8 values of one group of bw (0..64) bits from the avail
 * bytes present (missing bytes read as zero). */
static void unpack8_u64(const uint8_t *in, size_t avail, int bw, uint64_t *v)
{
    uint64_t w[9] = {0};
    uint8_t tmp[72];
    const uint64_t mask = bw == 64 ? ~(uint64_t)0 : (((uint64_t)1 << bw) - 1u);
    size_t nb = avail < (size_t)bw ? avail : (size_t)bw;

    if (bw == 0) {
        memset(v, 0, 8 * sizeof *v);
        return;
    }
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, in, nb);
    for (int k = 0; k < 9; k++) {
        uint64_t x = 0;
        for (int j = 7; j >= 0; j--)
            x = (x << 8) | tmp[k * 8 + j];
        w[k] = x;
    }
    for (int i = 0; i < 8; i++) {
        int off = i * bw, wi = off >> 6, s = off & 63;
        uint64_t x = w[wi] >> s;
        if (s != 0 && s + bw > 64)
            x |= w[wi + 1] << (64 - s);
        v[i] = x & mask;
    }
}

/* Stores value number idx; lengths must be non-negative int32. */
static int sink_put(const struct delta_out *o, size_t idx, uint64_t value)
{
    int32_t l;
    switch (o->kind) {
    case SINK_INT64: o->i64[idx] = (int64_t)value; return OCP_OK;
    case SINK_LEN32:
    case SINK_BYTES_LEN:
        l = (int32_t)(uint32_t)value;
        if (l < 0)
            return OCP_ERR_DATA;
        if (o->kind == SINK_LEN32) {
            o->u32[idx] = (uint32_t)l;
        } else {
            o->bytes[idx].ptr = NULL;
            o->bytes[idx].len = (uint32_t)l;
        }
        return OCP_OK;
    }
    return OCP_ERR_SOFTWARE;
}

/*
 * Decodes a DELTA_BINARY_PACKED stream whose value count must be at least
 * n; stores the first n values and skips the rest, so *consumed always
 * points past the whole stream.
 */
static int delta_decode(const uint8_t *data, size_t len, size_t n, const struct delta_out *o,
                        size_t *consumed, struct ocp_error *err)
{
    const uint8_t *p = data, *end = data + len;
    uint64_t block_size, mb_count, mb_size, total, first_zz, remaining, cur;
    size_t idx = 0;

    if (read_uleb64(&p, end, &block_size) != OCP_OK || read_uleb64(&p, end, &mb_count) != OCP_OK ||
        read_uleb64(&p, end, &total) != OCP_OK || read_uleb64(&p, end, &first_zz) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "DELTA_BINARY_PACKED: truncated header");
    if (block_size == 0 || block_size % 128u != 0 || block_size > PQ_DELTA_MAX_BLOCK ||
        mb_count == 0 || block_size % mb_count != 0 || (block_size / mb_count) % 32u != 0)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "DELTA_BINARY_PACKED: invalid block size %llu with %llu miniblocks",
                             (unsigned long long)block_size, (unsigned long long)mb_count);
    mb_size = block_size / mb_count;
    if (total < n)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "DELTA_BINARY_PACKED: stream holds %llu values, %zu expected",
                             (unsigned long long)total, n);
    cur = unzigzag(first_zz);
    if (total > 0) {
        if (n > 0) {
            if (sink_put(o, 0, cur) != OCP_OK)
                goto bad_length;
            idx = 1;
        }
        remaining = total - 1u;
    } else {
        remaining = 0;
    }

    while (remaining > 0) {
        uint64_t min_zz, min_delta;
        const uint8_t *widths;
        if (read_uleb64(&p, end, &min_zz) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "DELTA_BINARY_PACKED: truncated block header");
        min_delta = unzigzag(min_zz);
        if ((uint64_t)(end - p) < mb_count)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "DELTA_BINARY_PACKED: truncated miniblock bit widths");
        widths = p;
        p += mb_count;
        /* Bit widths of miniblocks past the last value may be anything and
         * have no data, so only the used ones are read. */
        for (uint64_t m = 0; m < mb_count && remaining > 0; m++) {
            int bw = widths[m];
            uint64_t cnt = remaining < mb_size ? remaining : mb_size;
            size_t avail = (size_t)(end - p);
            uint64_t full, need;
            if (bw > 64)
                return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                     "DELTA_BINARY_PACKED: miniblock bit width %d exceeds 64", bw);
            full = mb_size / 8u * (uint64_t)bw;
            need = (cnt * (uint64_t)bw + 7u) / 8u;
            if (full > avail) {
                /* The last miniblock should be padded to full size, but a
                 * stream that stops once its values are complete is
                 * accepted. */
                if (cnt == mb_size || need > avail)
                    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                         "DELTA_BINARY_PACKED: truncated miniblock");
                full = avail;
            }
            if (idx < n) {
                const uint8_t *q = p;
                size_t qleft = (size_t)full;
                for (uint64_t g = 0; g < cnt && idx < n; g += 8u) {
                    uint64_t v[8];
                    uint64_t k = cnt - g < 8u ? cnt - g : 8u;
                    unpack8_u64(q, qleft, bw, v);
                    for (uint64_t j = 0; j < k && idx < n; j++) {
                        cur += min_delta + v[j];
                        if (sink_put(o, idx, cur) != OCP_OK)
                            goto bad_length;
                        idx++;
                    }
                    q += qleft < (size_t)bw ? qleft : (size_t)bw;
                    qleft -= qleft < (size_t)bw ? qleft : (size_t)bw;
                }
            }
            p += full;
            remaining -= cnt;
        }
    }
    if (consumed != NULL)
        *consumed = (size_t)(p - data);
    return OCP_OK;

bad_length:
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                         "DELTA_BINARY_PACKED: negative or oversized length at value %zu", idx);
}

int pq_delta_binary_decode(const uint8_t *data, size_t len, size_t n, int64_t *out,
                           size_t *consumed, struct ocp_error *err)
{
    struct delta_out o = {SINK_INT64, out, NULL, NULL};
    return delta_decode(data, len, n, &o, consumed, err);
}

int pq_delta_length_decode(const uint8_t *data, size_t len, size_t n, struct pq_bytes *out,
                           size_t *consumed, struct ocp_error *err)
{
    struct delta_out o = {SINK_BYTES_LEN, NULL, NULL, out};
    size_t used = 0, pos;
    int rc = delta_decode(data, len, n, &o, &used, err);
    if (rc != OCP_OK)
        return rc;
    pos = used;
    for (size_t i = 0; i < n; i++) {
        if (out[i].len > len - pos)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "DELTA_LENGTH_BYTE_ARRAY: value %zu of %u bytes overruns the page",
                                 i, (unsigned)out[i].len);
        out[i].ptr = data + pos;
        pos += out[i].len;
    }
    if (consumed != NULL)
        *consumed = pos;
    return OCP_OK;
}

int pq_delta_byte_array_decode(const uint8_t *data, size_t len, size_t n, struct ocp_arena *arena,
                               struct pq_bytes *out, size_t *consumed, struct ocp_error *err)
{
    struct delta_out o = {SINK_LEN32, NULL, NULL, NULL};
    size_t used1 = 0, used2 = 0, copy = 0;
    uint32_t prev_len = 0;
    uint8_t *store = NULL;
    int rc;

    if (n > SIZE_MAX / sizeof(uint32_t))
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "DELTA_BYTE_ARRAY: too many values");
    o.u32 = ocp_arena_alloc(arena, n * sizeof(uint32_t));
    if (o.u32 == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "DELTA_BYTE_ARRAY: out of memory");
    rc = delta_decode(data, len, n, &o, &used1, err);
    if (rc != OCP_OK)
        return rc;
    rc = pq_delta_length_decode(data + used1, len - used1, n, out, &used2, err);
    if (rc != OCP_OK)
        return rc;

    /* First pass: validate prefixes and size the storage.  A value that is
     * only a prefix of the previous one, or only a suffix, is a view and
     * needs no copy. */
    for (size_t i = 0; i < n; i++) {
        uint32_t pre = o.u32[i], suf = out[i].len;
        if (pre > prev_len)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "DELTA_BYTE_ARRAY: prefix of %u bytes at value %zu exceeds "
                                 "the previous value's %u bytes",
                                 (unsigned)pre, i, (unsigned)prev_len);
        if (suf > UINT32_MAX - pre)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "DELTA_BYTE_ARRAY: value %zu is too long", i);
        if (pre > 0 && suf > 0) {
            copy += (size_t)pre + suf;
            if (copy > PQ_DELTA_MAX_EXPANSION)
                return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                     "DELTA_BYTE_ARRAY: values expand beyond %zu bytes",
                                     PQ_DELTA_MAX_EXPANSION);
        }
        prev_len = pre + suf;
    }
    if (copy > 0) {
        store = ocp_arena_alloc(arena, copy);
        if (store == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                                 "DELTA_BYTE_ARRAY: out of memory for %zu bytes", copy);
    }
    /* Second pass: rebuild each value from the previous one. */
    {
        const uint8_t *prev = NULL;
        for (size_t i = 0; i < n; i++) {
            uint32_t pre = o.u32[i], suf = out[i].len;
            if (pre == 0) {
                /* out[i] already views the suffix */
            } else if (suf == 0) {
                out[i].ptr = prev;
                out[i].len = pre;
            } else {
                memcpy(store, prev, pre);
                memcpy(store + pre, out[i].ptr, suf);
                out[i].ptr = store;
                out[i].len = pre + suf;
                store += (size_t)pre + suf;
            }
            prev = out[i].ptr;
        }
    }
    if (consumed != NULL)
        *consumed = used1 + used2;
    return OCP_OK;
}

/* ---- encoder ------------------------------------------------------------ */

static uint64_t zigzag(uint64_t v)
{
    return (v << 1) ^ (0u - (v >> 63));
}

static int width64(uint64_t v)
{
    int w = 0;
    while (v != 0) {
        w++;
        v >>= 1;
    }
    return w;
}

/* Appends w bits of x, least significant first; *nbits (< 8) bits are
 * pending in *acc.  The caller reserved room. */
static void put_bits(struct pq_buf *b, uint64_t *acc, int *nbits, uint64_t x, int w)
{
    int total;
    if (w == 0)
        return;
    *acc |= x << *nbits;
    total = *nbits + w;
    if (total >= 64) {
        for (int k = 0; k < 8; k++)
            b->data[b->len++] = (uint8_t)(*acc >> (8 * k));
        *acc = *nbits == 0 ? 0u : x >> (64 - *nbits);
        total -= 64;
    }
    while (total >= 8) {
        b->data[b->len++] = (uint8_t)*acc;
        *acc >>= 8;
        total -= 8;
    }
    *nbits = total;
}

#define PQ_DELTA_BLOCK 128u
#define PQ_DELTA_MINIBLOCKS 4u
#define PQ_DELTA_MB_SIZE (PQ_DELTA_BLOCK / PQ_DELTA_MINIBLOCKS)

/* Encodes either v64 or v32 (the other is NULL).  For int32 data the deltas
 * wrap in 32 bits, so no miniblock is wider than 32 bits, as the spec
 * requires of INT32 columns. */
static int delta_encode(struct pq_buf *out, const int64_t *v64, const int32_t *v32, size_t n)
{
    size_t i = 1;
    uint64_t prev;
    int rc = pq_buf_reserve(out, 40);
    if (rc != OCP_OK)
        return rc;
    prev = n == 0 ? 0u : v64 != NULL ? (uint64_t)v64[0] : (uint64_t)(int64_t)v32[0];
    pq_buf_put_uleb(out, PQ_DELTA_BLOCK);
    pq_buf_put_uleb(out, PQ_DELTA_MINIBLOCKS);
    pq_buf_put_uleb(out, (uint64_t)n);
    pq_buf_put_uleb(out, zigzag(prev));
    while (i < n) {
        uint64_t d[PQ_DELTA_BLOCK];
        size_t cnt = n - i < PQ_DELTA_BLOCK ? n - i : PQ_DELTA_BLOCK;
        size_t used_mb = (cnt + PQ_DELTA_MB_SIZE - 1u) / PQ_DELTA_MB_SIZE;
        int64_t min = INT64_MAX;
        int w[PQ_DELTA_MINIBLOCKS] = {0};
        uint64_t acc = 0;
        int nbits = 0;
        for (size_t k = 0; k < cnt; k++) {
            int64_t delta;
            if (v64 != NULL) {
                uint64_t cur = (uint64_t)v64[i + k];
                delta = (int64_t)(cur - prev);
                prev = cur;
            } else {
                uint32_t cur = (uint32_t)v32[i + k];
                delta = (int64_t)(int32_t)(cur - (uint32_t)prev);
                prev = cur;
            }
            d[k] = (uint64_t)delta;
            if (delta < min)
                min = delta;
        }
        for (size_t k = 0; k < cnt; k++) {
            d[k] -= (uint64_t)min;
            if (v64 == NULL)
                d[k] &= 0xffffffffu;
        }
        for (size_t m = 0; m < used_mb; m++) {
            uint64_t any = 0;
            for (size_t k = m * PQ_DELTA_MB_SIZE; k < cnt && k < (m + 1u) * PQ_DELTA_MB_SIZE; k++)
                any |= d[k];
            w[m] = width64(any);
        }
        rc = pq_buf_reserve(out, 10u + PQ_DELTA_MINIBLOCKS +
                                     PQ_DELTA_MINIBLOCKS * PQ_DELTA_MB_SIZE * 8u);
        if (rc != OCP_OK)
            return rc;
        pq_buf_put_uleb(out, zigzag((uint64_t)min));
        for (size_t m = 0; m < PQ_DELTA_MINIBLOCKS; m++)
            out->data[out->len++] = (uint8_t)w[m];
        /* Used miniblocks are packed LSB first and zero padded to full size;
         * a miniblock's bit count is a multiple of 8, so nothing is left
         * pending between miniblocks. */
        for (size_t m = 0; m < used_mb; m++)
            for (size_t k = m * PQ_DELTA_MB_SIZE; k < (m + 1u) * PQ_DELTA_MB_SIZE; k++)
                put_bits(out, &acc, &nbits, k < cnt ? d[k] : 0u, w[m]);
        i += cnt;
    }
    return OCP_OK;
}

int pq_delta_binary_encode(struct pq_buf *out, const int64_t *values, size_t n)
{
    return delta_encode(out, values, NULL, n);
}

int pq_delta_binary_encode_int32(struct pq_buf *out, const int32_t *values, size_t n)
{
    return delta_encode(out, NULL, values, n);
}
