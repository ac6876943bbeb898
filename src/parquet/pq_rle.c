/*
 * pq_rle.c - the RLE / bit-packed hybrid (decoder and encoder), the
 * deprecated BIT_PACKED levels, and the growable byte buffer the encoders
 * write into.
 *
 * The hybrid decoder is on the hot path of every dictionary-encoded column,
 * so bit-packed groups are unpacked by routines specialised per bit width
 * (the width is a compile-time constant inside each switch case, so the
 * shifts and masks fold into immediates) and RLE runs are plain fills.
 */
#include "pq_encoding.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define PQ_INLINE static inline __attribute__((always_inline))
#else
#define PQ_INLINE static inline
#endif

/* The spec limits every run to 2^31 - 1 values, so counts fit an int32. */
#define PQ_MAX_RUN 0x7fffffffu

int pq_bit_width(uint32_t max_value)
{
    int w = 0;
    while (max_value != 0) {
        w++;
        max_value >>= 1;
    }
    return w;
}

/* Loads 8 little-endian bytes; the host may be either endianness. */
PQ_INLINE uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/*
 * Unpacks one group of 8 values of bw bits (bw bytes of input) when at
 * least bw + 8 bytes are readable from in: every value is then inside one
 * unaligned 8-byte load, because a value starts at most 7 bits into its
 * first byte and spans at most 32 + 7 bits.
 */
PQ_INLINE void unpack8_fast(const uint8_t *in, uint32_t *out, const int bw)
{
    const uint64_t mask = ((uint64_t)1 << bw) - 1u;
    for (int i = 0; i < 8; i++) {
        const int off = i * bw;
        out[i] = (uint32_t)((load_le64(in + (off >> 3)) >> (off & 7)) & mask);
    }
}

/* Unpacks one group from only the avail (<= bw) bytes that exist; the
 * missing bytes read as zero. */
PQ_INLINE void unpack8_tail(const uint8_t *in, size_t avail, uint32_t *out, const int bw)
{
    uint8_t tmp[48] = {0};
    memcpy(tmp, in, avail < (size_t)bw ? avail : (size_t)bw);
    unpack8_fast(tmp, out, bw);
}

/* Unpacks `groups` whole groups; in..end must hold groups * bw bytes
 * (the last one may be short, see unpack8_tail). */
PQ_INLINE void unpack_groups_w(const uint8_t *in, const uint8_t *end, uint32_t *out, size_t groups,
                               const int bw)
{
    while (groups > 0 && (size_t)(end - in) >= (size_t)bw + 8u) {
        unpack8_fast(in, out, bw);
        in += bw;
        out += 8;
        groups--;
    }
    while (groups > 0) {
        unpack8_tail(in, (size_t)(end - in), out, bw);
        in += (size_t)(end - in) < (size_t)bw ? (size_t)(end - in) : (size_t)bw;
        out += 8;
        groups--;
    }
}

#define PQ_UNPACK_CASE(W)                                                                          \
    case W: unpack_groups_w(in, end, out, groups, W); break;

/* Dispatches to a copy of unpack_groups_w specialised for bw. */
static void unpack_groups(const uint8_t *in, const uint8_t *end, uint32_t *out, size_t groups,
                          int bw)
{
    switch (bw) {
    case 0:
        memset(out, 0, groups * 8u * sizeof *out);
        break;
        PQ_UNPACK_CASE(1)
        PQ_UNPACK_CASE(2)
        PQ_UNPACK_CASE(3)
        PQ_UNPACK_CASE(4)
        PQ_UNPACK_CASE(5)
        PQ_UNPACK_CASE(6)
        PQ_UNPACK_CASE(7)
        PQ_UNPACK_CASE(8)
        PQ_UNPACK_CASE(9)
        PQ_UNPACK_CASE(10)
        PQ_UNPACK_CASE(11)
        PQ_UNPACK_CASE(12)
        PQ_UNPACK_CASE(13)
        PQ_UNPACK_CASE(14)
        PQ_UNPACK_CASE(15)
        PQ_UNPACK_CASE(16)
        PQ_UNPACK_CASE(17)
        PQ_UNPACK_CASE(18)
        PQ_UNPACK_CASE(19)
        PQ_UNPACK_CASE(20)
        PQ_UNPACK_CASE(21)
        PQ_UNPACK_CASE(22)
        PQ_UNPACK_CASE(23)
        PQ_UNPACK_CASE(24)
        PQ_UNPACK_CASE(25)
        PQ_UNPACK_CASE(26)
        PQ_UNPACK_CASE(27)
        PQ_UNPACK_CASE(28)
        PQ_UNPACK_CASE(29)
        PQ_UNPACK_CASE(30)
        PQ_UNPACK_CASE(31)
    default: /* 32: the values are the little-endian words themselves */
        for (size_t i = 0; i < groups * 8u; i++) {
            if ((size_t)(end - in) >= 4u + i * 4u) {
                uint32_t v;
                memcpy(&v, in + i * 4u, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                v = __builtin_bswap32(v);
#endif
                out[i] = v;
            } else {
                /* Only reachable for a truncated final run; those values
                 * are never handed out (see read_header). */
                out[i] = 0;
            }
        }
        break;
    }
}

int pq_rle_init(struct pq_rle_decoder *d, const uint8_t *data, size_t len, int bit_width)
{
    memset(d, 0, sizeof *d);
    d->p = data;
    d->end = data + len;
    d->bit_width = bit_width;
    if (bit_width < 0 || bit_width > 32)
        return OCP_ERR_DATA;
    return OCP_OK;
}

/* Reads a ULEB128 number of at most 32 bits. */
static int read_uleb32(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p >= end)
            return OCP_ERR_DATA;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7fu) << shift;
        if ((b & 0x80u) == 0) {
            if (v > UINT32_MAX)
                return OCP_ERR_DATA;
            *out = (uint32_t)v;
            *pp = p;
            return OCP_OK;
        }
    }
    return OCP_ERR_DATA;
}

/*
 * Reads the next run header.  A bit-packed run whose groups are not all
 * present is cut down to the values whose bits are present (some writers
 * end a page with a short last group); asking for more values than that is
 * then reported by the caller as a truncated stream.
 */
static int read_header(struct pq_rle_decoder *d, struct ocp_error *err)
{
    uint32_t h;
    const int bw = d->bit_width;
    if (read_uleb32(&d->p, d->end, &h) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "RLE/bit-packed data: bad or truncated run header");
    if (h & 1u) {
        uint32_t groups = h >> 1;
        size_t avail = (size_t)(d->end - d->p);
        if (groups > PQ_MAX_RUN / 8u)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "RLE/bit-packed data: bit-packed run of %u groups is out of range",
                                 (unsigned)groups);
        if (groups == 0)
            return OCP_OK; /* harmless: the header itself was consumed */
        if (bw == 0) {
            d->rle_left = groups * 8u;
            d->rle_value = 0;
            return OCP_OK;
        }
        if ((uint64_t)groups * (uint64_t)bw > avail) {
            uint64_t values = (uint64_t)avail * 8u / (uint64_t)bw;
            if (values == 0)
                return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                     "RLE/bit-packed data: bit-packed run of %u groups at width %d "
                                     "but only %zu bytes remain",
                                     (unsigned)groups, bw, avail);
            d->packed_left = (uint32_t)values;
        } else {
            d->packed_left = groups * 8u;
        }
        return OCP_OK;
    }
    {
        uint32_t count = h >> 1;
        size_t nbytes = ((size_t)bw + 7u) / 8u;
        uint32_t v = 0;
        if ((size_t)(d->end - d->p) < nbytes)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "RLE/bit-packed data: truncated RLE run value");
        for (size_t i = 0; i < nbytes; i++)
            v |= (uint32_t)d->p[i] << (8u * i);
        d->p += nbytes;
        if (bw < 32 && (v >> bw) != 0)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "RLE/bit-packed data: run value %u does not fit %d bits",
                                 (unsigned)v, bw);
        d->rle_left = count;
        d->rle_value = v;
        return OCP_OK;
    }
}

int pq_rle_get(struct pq_rle_decoder *d, uint32_t *out, size_t n, struct ocp_error *err)
{
    size_t i = 0;
    const int bw = d->bit_width;

    if (bw < 0 || bw > 32)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "RLE/bit-packed data: bit width %d is out of range", bw);
    while (i < n) {
        size_t want = n - i;
        if (d->buf_pos < d->buf_len) {
            size_t k = (size_t)(d->buf_len - d->buf_pos);
            if (k > want)
                k = want;
            memcpy(out + i, d->buf + d->buf_pos, k * sizeof *out);
            d->buf_pos += (int)k;
            i += k;
        } else if (d->rle_left > 0) {
            size_t k = d->rle_left < want ? d->rle_left : want;
            uint32_t v = d->rle_value;
            uint32_t *o = out + i;
            for (size_t j = 0; j < k; j++)
                o[j] = v;
            d->rle_left -= (uint32_t)k;
            i += k;
        } else if (d->packed_left > 0) {
            size_t groups = d->packed_left / 8u;
            if (groups > want / 8u)
                groups = want / 8u;
            if (groups > 0) {
                unpack_groups(d->p, d->end, out + i, groups, bw);
                d->p += groups * (size_t)bw;
                d->packed_left -= (uint32_t)(groups * 8u);
                i += groups * 8u;
            } else {
                /* Fewer than 8 values wanted, or a short last group: go
                 * through the buffer. */
                size_t avail = (size_t)(d->end - d->p);
                size_t take = avail < (size_t)bw ? avail : (size_t)bw;
                unpack_groups(d->p, d->end, d->buf, 1, bw);
                d->p += take;
                d->buf_pos = 0;
                d->buf_len = d->packed_left < 8u ? (int)d->packed_left : 8;
                d->packed_left -= (uint32_t)d->buf_len;
            }
        } else if (d->p >= d->end) {
            if (bw == 0) {
                /* Width 0 carries no information: a writer may leave the
                 * stream empty and every value is 0. */
                memset(out + i, 0, want * sizeof *out);
                return OCP_OK;
            }
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                                 "RLE/bit-packed data: stream ends after %zu of %zu values", i, n);
        } else {
            int rc = read_header(d, err);
            if (rc != OCP_OK)
                return rc;
        }
    }
    return OCP_OK;
}

int pq_rle_get_bounded(struct pq_rle_decoder *d, uint32_t *out, size_t n, uint32_t bound,
                       struct ocp_error *err)
{
    int rc = pq_rle_get(d, out, n, err);
    if (rc != OCP_OK)
        return rc;
    /* A branch-free OR over the whole batch vectorises; the offending index
     * is only searched for when something is out of range. */
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= (uint32_t)(out[i] >= bound);
    if (bad) {
        for (size_t i = 0; i < n; i++)
            if (out[i] >= bound)
                return ocp_error_set(
                    err, OCP_ERR_DATA, NULL, -1, NULL,
                    "dictionary index %u is out of range (dictionary has %u entries)",
                    (unsigned)out[i], (unsigned)bound);
    }
    return OCP_OK;
}

int pq_bitpacked_levels(const uint8_t *data, size_t len, int bit_width, size_t n, uint16_t *out,
                        size_t *consumed, struct ocp_error *err)
{
    size_t bytes;
    uint32_t acc = 0, mask;
    int nbits = 0;
    const uint8_t *p = data;

    if (bit_width < 0 || bit_width > 16)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "BIT_PACKED levels: bit width %d is out of range", bit_width);
    if (n > SIZE_MAX / 16u)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "BIT_PACKED levels: too many values");
    bytes = (n * (size_t)bit_width + 7u) / 8u;
    if (bytes > len)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "BIT_PACKED levels: %zu values of %d bits need %zu bytes, %zu remain",
                             n, bit_width, bytes, len);
    mask = ((uint32_t)1 << bit_width) - 1u;
    /* Most significant bit first: shift bytes in at the bottom and take
     * each value from the top of what is buffered. */
    for (size_t i = 0; i < n; i++) {
        while (nbits < bit_width) {
            acc = (acc << 8) | *p++;
            nbits += 8;
        }
        nbits -= bit_width;
        out[i] = (uint16_t)((acc >> nbits) & mask);
        acc &= ((uint32_t)1 << nbits) - 1u;
    }
    if (consumed != NULL)
        *consumed = bytes;
    return OCP_OK;
}

/* ---- growable buffer ---------------------------------------------------- */

int pq_buf_reserve(struct pq_buf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;
    if (extra > SIZE_MAX - b->len)
        return OCP_ERR_OSERR;
    need = b->len + extra;
    if (need <= b->cap)
        return OCP_OK;
    cap = b->cap < 256u ? 256u : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2u ? need : cap * 2u;
    p = realloc(b->data, cap);
    if (p == NULL)
        return OCP_ERR_OSERR;
    b->data = p;
    b->cap = cap;
    return OCP_OK;
}

void pq_buf_release(struct pq_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int pq_buf_append(struct pq_buf *b, const void *p, size_t n)
{
    int rc = pq_buf_reserve(b, n);
    if (rc != OCP_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return OCP_OK;
}

/* ---- hybrid encoder ----------------------------------------------------- */

/* Writes count (a multiple of 8 after zero padding) literal values as
 * bit-packed runs, splitting runs longer than the spec allows. */
static int put_literals(struct pq_buf *b, const uint32_t *v, size_t count, int bw)
{
    while (count > 0) {
        size_t take = count;
        size_t groups, bytes;
        uint64_t acc = 0;
        int nbits = 0;
        int rc;
        if (take > (PQ_MAX_RUN / 8u) * 8u)
            take = (PQ_MAX_RUN / 8u) * 8u;
        groups = (take + 7u) / 8u;
        bytes = groups * (size_t)bw;
        rc = pq_buf_reserve(b, 10u + bytes);
        if (rc != OCP_OK)
            return rc;
        pq_buf_put_uleb(b, ((uint64_t)groups << 1) | 1u);
        for (size_t i = 0; i < groups * 8u; i++) {
            uint64_t x = i < take ? v[i] : 0u;
            acc |= x << nbits;
            nbits += bw;
            while (nbits >= 8) {
                b->data[b->len++] = (uint8_t)acc;
                acc >>= 8;
                nbits -= 8;
            }
        }
        v += take;
        count -= take;
    }
    return OCP_OK;
}

static int put_repeat(struct pq_buf *b, uint32_t value, size_t count, int bw)
{
    size_t nbytes = ((size_t)bw + 7u) / 8u;
    while (count > 0) {
        size_t take = count > PQ_MAX_RUN ? PQ_MAX_RUN : count;
        int rc = pq_buf_reserve(b, 10u + nbytes);
        if (rc != OCP_OK)
            return rc;
        pq_buf_put_uleb(b, (uint64_t)take << 1);
        for (size_t i = 0; i < nbytes; i++)
            b->data[b->len++] = (uint8_t)(value >> (8u * i));
        count -= take;
    }
    return OCP_OK;
}

int pq_rle_encode(struct pq_buf *out, const uint32_t *values, size_t n, int bit_width)
{
    size_t i = 0, lit = 0; /* literals are values[i - lit, i) */
    int rc;

    if (bit_width < 0 || bit_width > 32)
        return OCP_ERR_SOFTWARE;
    if (bit_width < 32) {
        uint32_t over = 0;
        for (size_t k = 0; k < n; k++)
            over |= values[k] >> bit_width;
        if (over != 0)
            return OCP_ERR_SOFTWARE;
    }
    while (i < n) {
        size_t r = 1;
        while (i + r < n && values[i + r] == values[i])
            r++;
        if (r >= 8) {
            /* A bit-packed run holds whole groups, so pending literals are
             * first topped up to a multiple of 8 from this run. */
            size_t pad = (8u - lit % 8u) % 8u;
            if (pad > 0 && r - pad < 8u) {
                lit += r;
                i += r;
                continue;
            }
            lit += pad;
            i += pad;
            r -= pad;
            if (lit > 0) {
                rc = put_literals(out, values + i - lit, lit, bit_width);
                if (rc != OCP_OK)
                    return rc;
                lit = 0;
            }
            rc = put_repeat(out, values[i], r, bit_width);
            if (rc != OCP_OK)
                return rc;
            i += r;
        } else {
            lit += r;
            i += r;
        }
    }
    if (lit > 0)
        return put_literals(out, values + i - lit, lit, bit_width);
    return OCP_OK;
}
