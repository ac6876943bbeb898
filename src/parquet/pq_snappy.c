/*
 * pq_snappy.c - the snappy decoder for Parquet pages.
 *
 * Why our own: snappy-compressed columns of doubles (the usage and
 * capacity columns of every Koku file) decode as a tag every 4-10 bytes,
 * and Debian's libsnappy calls libc memmove through the PLT for each one;
 * on this project's bench set that is a fifth of the whole job.  This
 * decoder moves whole 16-byte blocks instead (the page buffer has room:
 * the fast loop runs only while 64 output and 66 input bytes remain) and
 * falls back to a byte-careful step near either end.  libsnappy still
 * compresses for the writer, and the unit tests compare this decoder with
 * it on valid and corrupted streams.
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
static int careful_step(const uint8_t **ipp, const uint8_t *ie, uint8_t **opp,
                        uint8_t *op0, uint8_t *oe)
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

int pq_snappy_decode(const uint8_t *src, size_t srclen, uint8_t *dst,
                     size_t dstlen, size_t *declared)
{
    const uint8_t *ip = src, *ie = src + srclen;
    uint8_t *op = dst, *oe = dst + dstlen;
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
    while (ip < ie) {
        /* Whole 16-byte moves while both ends are at least 64 bytes
         * away; lengths and offsets are still checked where they could
         * reach outside what was written. */
        while (ie - ip >= 66 && oe - op >= 64) {
            uint32_t tag = *ip++;
            size_t len, off;
            const uint8_t *s;

            if ((tag & 3) == 0) {
                len = (tag >> 2) + 1;
                if (len <= 16) {
                    cp16(op, ip);
                } else if (len <= 60) {
                    cp16(op, ip);
                    cp16(op + 16, ip + 16);
                    cp16(op + 32, ip + 32);
                    cp16(op + 48, ip + 48);
                } else {
                    ip--; /* a long literal: the careful step */
                    break;
                }
                op += len;
                ip += len;
                continue;
            }
            copy_parse(tag, &ip, &len, &off); /* 66 bytes of room */
            if (off - 1 >= (size_t)(op - dst)) /* 0, or before the start */
                return PQ_SNAPPY_CORRUPT;
            s = op - off;
            /* Each block reads only bytes written before it. */
            if (off >= 16) {
                cp16(op, s);
                if (len > 16) {
                    cp16(op + 16, s + 16);
                    if (len > 32) {
                        cp16(op + 32, s + 32);
                        cp16(op + 48, s + 48);
                    }
                }
            } else if (off >= 8) {
                size_t i;
                cp8(op, s);
                cp8(op + 8, s + 8);
                for (i = 16; i < len; i += 8)
                    cp8(op + i, s + i);
            } else {
                size_t i;
                for (i = 0; i < len; i++)
                    op[i] = s[i];
            }
            op += len;
        }
        if (ip >= ie)
            break;
        if (careful_step(&ip, ie, &op, dst, oe) != 0)
            return PQ_SNAPPY_CORRUPT;
    }
    return op == oe ? 0 : PQ_SNAPPY_CORRUPT;
}
