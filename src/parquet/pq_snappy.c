/*
 * pq_snappy.c - the snappy decoder for Parquet pages.
 *
 * Why our own: snappy-compressed columns of doubles (the usage and
 * capacity columns of every Koku file) decode as a tag every 4-10 bytes,
 * and Debian's libsnappy calls libc memmove through the PLT for each one;
 * on this project's bench set that is a fifth of the whole job.  This
 * decoder moves one 16-byte block per element, or a 64-byte span in four
 * for the few longer ones (no room past dst is needed: the fast loop
 * runs only while 64 output and 66 input bytes remain), decides literal
 * or copy through a tag table and masks rather than branches (the two
 * alternate unpredictably on pages of doubles), and falls back to a
 * byte-careful step near either end.
 * libsnappy still compresses for the writer, and the unit tests compare
 * this decoder with it on valid and corrupted streams.
 *
 * Format (github.com/google/snappy, format_description.txt): a varint of
 * the uncompressed length, then elements whose tag's low two bits say
 * literal (length in the tag, or in 1-4 following bytes), or copy with a
 * 1-, 2- or 4-byte offset back into the output.
 */
#include "pq_codec.h"

#include <string.h>

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void cp8(uint8_t *d, const uint8_t *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    memcpy(d, &v, 8);
}

static inline void cp16(uint8_t *d, const uint8_t *s)
{
    uint8_t v[16];
    memcpy(v, s, 16);
    memcpy(d, v, 16);
}

#define PQ_LIKELY(x) __builtin_expect(!!(x), 1)
#define PQ_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Per tag byte, what the fast loop needs without branching on the
 * element kind: in bits 0-6 the length (up to 60 for a literal, 64 for
 * a copy); TAG_SLOW (bit 7) for the elements it leaves to careful_step,
 * literals whose length follows in 1-4 bytes and copies with a 4-byte
 * offset (libsnappy writes these only for offsets of 64 KiB or more);
 * and from bit 8 the part of the offset the tag gives: a 1-byte-offset
 * copy's bits 8-10, 0 for a 2-byte one, and for a literal 1, an offset
 * that passes the offset check once a byte is written. */
#define TAG_SLOW 0x80u
#define TAG_LEN(e) ((e)&0x7f)
#define TAG_ENTRY(t)                                                                               \
    ((t) % 4 == 0   ? ((t) >= 60 * 4 ? TAG_SLOW : ((t) / 4 + 1u) | 1u << 8)                        \
     : (t) % 4 == 1 ? (4u + (t) / 4 % 8) | ((t) / 32 * 256u) << 8                                  \
     : (t) % 4 == 2 ? (t) / 4 + 1u                                                                 \
                    : TAG_SLOW)
#define TAG_4(t) TAG_ENTRY(t), TAG_ENTRY((t) + 1), TAG_ENTRY((t) + 2), TAG_ENTRY((t) + 3)
#define TAG_16(t) TAG_4(t), TAG_4((t) + 4), TAG_4((t) + 8), TAG_4((t) + 12)
#define TAG_64(t) TAG_16(t), TAG_16((t) + 16), TAG_16((t) + 32), TAG_16((t) + 48)
static const uint32_t tag_tab[256] = {TAG_64(0u), TAG_64(64u), TAG_64(128u), TAG_64(192u)};

/* The offset bytes after a tag of each kind, out of a 4-byte load. */
static const uint32_t word_mask[4] = {0, 0xff, 0xffff, 0xffffffff};

/* A copy whose source overlaps what it writes (off < len, both
 * checked), with 64 bytes of room at op.  It fills all 64 bytes, the
 * ones past len to be written again by later elements, so that nothing
 * counts to len; each block reads only bytes written before it. */
static inline void overlap_copy(uint8_t *op, size_t off)
{
    const uint8_t *s = op - off;
    size_t i, d;

    if (off >= 16) {
        cp16(op, s);
        cp16(op + 16, s + 16);
        cp16(op + 32, s + 32);
        cp16(op + 48, s + 48);
        return;
    }
    if (off == 8) { /* INT64 runs: one load, no chain through memory */
        uint64_t v;
        memcpy(&v, s, 8);
        for (i = 0; i < 64; i += 8)
            memcpy(op + i, &v, 8);
        return;
    }
    /* Below 8, write one period at a time (8 bytes, right in the first
     * d) until the distance from s, a multiple of off, is 8 or more;
     * 9 to 15 start there. */
    for (i = 0, d = off; d < 8; i += d, d += d)
        cp8(op + i, s); /* s + d == op + i */
    /* Now 8-byte steps from d back, and the last 8 bytes once more
     * (i ends past 56, possibly below 64). */
    for (; i <= 56; i += 8)
        cp8(op + i, op + i - d);
    cp8(op + 56, op + 56 - d);
}

/* Bytes after the tag that a copy element of this tag takes. */
static inline size_t copy_extra(uint32_t tag)
{
    return (tag & 3) == 1 ? 1 : ((tag & 3) == 2 ? 2 : 4);
}

/* A copy element's length and offset from its tag and the copy_extra(tag)
 * bytes at *ipp (which the caller made sure are there); moves *ipp past
 * them. */
static inline void copy_parse(uint32_t tag, const uint8_t **ipp, size_t *len, size_t *off)
{
    const uint8_t *ip = *ipp;

    if ((tag & 3) == 1) {
        *len = 4 + ((tag >> 2) & 7);
        *off = ((size_t)(tag >> 5) << 8) | ip[0];
    } else if ((tag & 3) == 2) {
        *len = (tag >> 2) + 1;
        *off = ip[0] | ((size_t)ip[1] << 8);
    } else {
        *len = (tag >> 2) + 1;
        *off = ld32(ip);
    }
    *ipp = ip + copy_extra(tag);
}

/* One element with every bound checked; -1 when the stream is corrupt. */
static int careful_step(const uint8_t **ipp, const uint8_t *ie, uint8_t **opp, uint8_t *op0,
                        uint8_t *oe)
{
    const uint8_t *ip = *ipp;
    uint8_t *op = *opp;
    uint32_t tag = *ip++;
    size_t len, off, i;

    if ((tag & 3) == 0) {
        len = (tag >> 2) + 1;
        if (len > 60) {
            size_t nb = len - 60;
            uint32_t v = 0;
            if ((size_t)(ie - ip) < nb)
                return -1;
            for (i = 0; i < nb; i++)
                v |= (uint32_t)ip[i] << (8 * i);
            ip += nb;
            len = (size_t)v + 1;
            if (len == 0)
                return -1;
        }
        if ((size_t)(ie - ip) < len || (size_t)(oe - op) < len)
            return -1;
        memcpy(op, ip, len);
        op += len;
        ip += len;
    } else {
        if ((size_t)(ie - ip) < copy_extra(tag))
            return -1;
        copy_parse(tag, &ip, &len, &off);
        if (off == 0 || off > (size_t)(op - op0) || len > (size_t)(oe - op))
            return -1;
        /* Byte by byte: an offset below the length repeats a pattern. */
        for (i = 0; i < len; i++)
            op[i] = op[i - off];
        op += len;
    }
    *ipp = ip;
    *opp = op;
    return 0;
}

/* Elements from *ipp / *opp while at least 66 input and 64 output bytes
 * remain (ip < ip_lim, op < op_lim), so that none it takes (a literal of
 * up to 60 bytes after its tag, a copy of up to 64 after a tag and at
 * most 2 offset bytes) can reach either end, and every block move stays
 * inside [op, op + 64) and [ip, ip + 66).  Offsets are still checked
 * against what was written; op > dst on entry.  Stops before a long
 * literal or a 4-byte offset (careful_step's) or at the limits; -1 when
 * the stream is corrupt. */
static int fast_loop(const uint8_t **ipp, uint8_t **opp, const uint8_t *ip_lim,
                     const uint8_t *op_lim, const uint8_t *dst)
{
    const uint8_t *ip = *ipp;
    uint8_t *op = *opp;
    int rc = 0;

    while (ip < ip_lim && op < op_lim) {
        uint32_t tag = ip[0], e = tag_tab[tag];
        size_t len = TAG_LEN(e), off;
        /* Literal or copy is as good as random on these pages, so it is
         * decided with masks, not branches: cpm is all ones for a copy,
         * 0 for a literal. */
        size_t cpm = (size_t)((tag & 3) == 0) - 1;
        const uint8_t *s;

        if (PQ_UNLIKELY(e & TAG_SLOW))
            break;
        /* A literal reads no offset bytes (mask 0): its off is 1. */
        off = (e >> 8) | (ld32(ip + 1) & word_mask[tag & 3]);
        /* A copy's offset 0, or one before the start (op > dst, so a
         * literal passes). */
        if (PQ_UNLIKELY(off - 1 >= (size_t)(op - dst))) {
            rc = -1;
            break;
        }
        /* The next tag's place comes from the tag alone (a literal moves
         * 1 + its length, a copy 1 + 1 or 2 offset bytes), so the next
         * element need not wait for the table. */
        s = (const uint8_t *)(((uintptr_t)(ip + 1) & ~cpm) | ((uintptr_t)(op - off) & cpm));
        ip += 1 + ((tag & 3) | (((tag >> 2) + 1) & ~cpm));
        /* One compare: a literal's offset counts as unlimited. */
        if (PQ_LIKELY(len <= (off | ~cpm))) {
            /* No byte to copy is written by this element, so the block
             * is loaded before any of it is stored (bytes past len are
             * written again by later elements).  Most elements of these
             * pages are 16 bytes or shorter (literals of 1-3 bytes and
             * copies of 4-8 are the usual ones): one 16-byte move, and
             * 64 bytes only past that (a predictable branch; moving 64
             * every time cost some 4 % of the decoder in stores). */
            uint8_t v0[16], v1[16], v2[16], v3[16];
            memcpy(v0, s, 16);
            if (PQ_LIKELY(len <= 16)) {
                memcpy(op, v0, 16);
            } else {
                memcpy(v1, s + 16, 16);
                memcpy(v2, s + 32, 16);
                memcpy(v3, s + 48, 16);
                memcpy(op, v0, 16);
                memcpy(op + 16, v1, 16);
                memcpy(op + 32, v2, 16);
                memcpy(op + 48, v3, 16);
            }
        } else {
            overlap_copy(op, off);
        }
        op += len;
    }
    *ipp = ip;
    *opp = op;
    return rc;
}

int pq_snappy_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     size_t *declared)
{
    const uint8_t *ip = src, *ie = src + srclen, *ip_lim;
    uint8_t *op = dst, *oe = dst + dstlen, *op_lim;
    uint64_t ulen = 0;
    int sh = 0;

    *declared = 0;
    for (;;) {
        uint8_t b;
        if (ip >= ie || sh > 28)
            return PQ_SNAPPY_CORRUPT;
        b = *ip++;
        ulen |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80))
            break;
        sh += 7;
    }
    if (ulen > UINT32_MAX)
        return PQ_SNAPPY_CORRUPT;
    *declared = (size_t)ulen;
    if (ulen != dstlen)
        return PQ_SNAPPY_LENGTH;
    /* fast_loop's limits: 66 input and 64 output bytes left (never, when
     * a buffer is shorter than that). */
    ip_lim = srclen >= 66 ? ie - 65 : src;
    op_lim = dstlen >= 64 ? oe - 63 : dst;
    /* The first element goes to careful_step: a copy there is corrupt,
     * and past it fast_loop's offset check lets literals pass without a
     * test of their own. */
    while (ip < ie) {
        if (op > dst && fast_loop(&ip, &op, ip_lim, op_lim, dst) != 0)
            return PQ_SNAPPY_CORRUPT;
        if (ip >= ie)
            break;
        if (careful_step(&ip, ie, &op, dst, oe) != 0)
            return PQ_SNAPPY_CORRUPT;
    }
    return op == oe ? 0 : PQ_SNAPPY_CORRUPT;
}
