/* pq_page.c - decoding one page: decompression, CRC, repetition and
 * definition levels, and the values of every encoding into dense slots
 * that are then spread over the non-NULL entries. */
#include "pq_codec.h"
#include "pq_read_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Values are decoded in batches of this many through fixed scratch, so
 * no scratch grows with a page's (untrusted) value count. */
#define BATCH 4096

size_t pq_slot_size(const struct pq_colinfo *c)
{
    switch (c->type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: return 4;
    case PQ_INT64: return 8;
    case PQ_INT96: return 12;
    case PQ_FLOAT: return 4;
    case PQ_DOUBLE: return 8;
    case PQ_BYTE_ARRAY: return 4;
    case PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)c->type_length;
    }
    return 0;
}

static int cfail(struct pq_cr *c, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int cfail(struct pq_cr *c, int code, const char *fmt, ...)
{
    char msg[OCP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pq_fail(c->f, c->rg, c->col, c->err, code, "%s", msg);
}

/* Adds file / row group / column to an error a helper described. */
static int cctx(struct pq_cr *c, int rc)
{
    ocp_error_context(c->err, c->f->path, c->rg, c->ci->path);
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int check_crc(struct pq_cr *c, const struct pq_page_header *h,
                     const uint8_t *body)
{
    if (!c->f->opt.check_crc || !h->has_crc)
        return OCP_OK;
    if (pq_crc32(body, (size_t)h->compressed_size) != h->crc)
        return cfail(c, OCP_ERR_DATA, "page CRC mismatch (corrupt page)");
    return OCP_OK;
}

/* Turns stored bytes into uncompressed ones: src itself for
 * UNCOMPRESSED, else the scratch page buffer.  An empty result never
 * reaches the codec. */
static int inflate(struct pq_cr *c, const uint8_t *src, size_t srclen,
                   size_t dstlen, const uint8_t **out, size_t *outlen)
{
    int rc;

    if (c->cm->codec == PQ_CODEC_UNCOMPRESSED) {
        *out = src;
        *outlen = srclen;
        return OCP_OK;
    }
    if (dstlen == 0) {
        *out = src;
        *outlen = 0;
        return OCP_OK;
    }
    if ((int64_t)dstlen > PQ_MAX_PAGE_BYTES)
        return cfail(c, OCP_ERR_DATA, "page of %zu bytes exceeds the limit",
                     dstlen);
    rc = pq_scratch_grow((void **)&c->s->page, &c->s->page_cap, dstlen);
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory for a page of %zu bytes", dstlen);
    rc = pq_decompress(c->cm->codec, src, srclen, c->s->page, dstlen, c->err);
    if (rc != OCP_OK)
        return cctx(c, rc);
    *out = c->s->page;
    *outlen = dstlen;
    return OCP_OK;
}

/* ---- levels -------------------------------------------------------- */

/* Narrows k levels to int16, counting those equal to maxl and tracking
 * the largest.  The inner loop has a fixed trip count so the compiler
 * vectorizes it even at -O2. */
static uint32_t narrow_levels(const uint32_t *in, int16_t *out, size_t k,
                              uint32_t maxl, uint32_t *largest)
{
    uint32_t cnt = 0, mx = *largest;
    size_t i = 0;
    int j;

    for (; i + 32 <= k; i += 32) {
        uint32_t c = 0, m = 0;
        for (j = 0; j < 32; j++) {
            uint32_t v = in[i + (size_t)j];
            out[i + (size_t)j] = (int16_t)v;
            c += v == maxl;
            m = v > m ? v : m;
        }
        cnt += c;
        mx = m > mx ? m : mx;
    }
    for (; i < k; i++) {
        uint32_t v = in[i];
        out[i] = (int16_t)v;
        cnt += v == maxl;
        mx = v > mx ? v : mx;
    }
    *largest = mx;
    return cnt;
}

/* Decodes n hybrid-RLE levels of at most maxl into out; *nmax counts
 * those equal to maxl. */
static int levels_rle(struct pq_cr *c, const uint8_t *p, size_t len,
                      int maxl, size_t n, int16_t *out, size_t *nmax)
{
    struct pq_rle_decoder d;
    size_t done = 0, cnt = 0;
    uint32_t largest = 0, *buf;
    int rc;

    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap,
                         BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    buf = c->s->u32;
    if (pq_rle_init(&d, p, len, pq_bit_width((uint32_t)maxl)) != OCP_OK)
        return cfail(c, OCP_ERR_DATA, "bad level bit width");
    while (done < n) {
        size_t k = n - done < BATCH ? n - done : BATCH;
        rc = pq_rle_get(&d, buf, k, c->err);
        if (rc != OCP_OK)
            return cctx(c, rc);
        cnt += narrow_levels(buf, out + done, k, (uint32_t)maxl, &largest);
        done += k;
    }
    if (largest > (uint32_t)maxl)
        return cfail(c, OCP_ERR_DATA, "a level exceeds the maximum %d", maxl);
    *nmax = cnt;
    return OCP_OK;
}

/* A v1 level section (RLE with a 4-byte length, or BIT_PACKED) at
 * p[0..len); *used gets the bytes it took. */
static int levels_v1(struct pq_cr *c, int enc, const uint8_t *p, size_t len,
                     int maxl, size_t n, int16_t *out, size_t *nmax,
                     size_t *used)
{
    if (enc == PQ_ENC_RLE) {
        uint32_t l;
        if (len < 4)
            return cfail(c, OCP_ERR_DATA, "level section ends early");
        l = le32(p);
        if (l > len - 4)
            return cfail(c, OCP_ERR_DATA,
                         "level length %u exceeds the page (%zu bytes left)",
                         l, len - 4);
        *used = 4 + (size_t)l;
        return levels_rle(c, p + 4, l, maxl, n, out, nmax);
    }
    if (enc == PQ_ENC_BIT_PACKED) {
        size_t i, cnt = 0;
        uint16_t bad = 0;
        int rc;
        int bw = pq_bit_width((uint32_t)maxl);
        /* n levels of bw bits take ceil(n * bw / 8) bytes, so a count
         * larger than the section can hold is rejected before the
         * scratch grows. */
        if (n > (len * 8) / (size_t)(bw ? bw : 1) + 8)
            return cfail(c, OCP_ERR_DATA, "BIT_PACKED levels end early");
        rc = pq_scratch_grow((void **)&c->s->u16, &c->s->u16_cap,
                             (n ? n : 1) * sizeof(uint16_t));
        if (rc != OCP_OK)
            return cfail(c, rc, "out of memory");
        rc = pq_bitpacked_levels(p, len, bw, n, c->s->u16, used, c->err);
        if (rc != OCP_OK)
            return cctx(c, rc);
        for (i = 0; i < n; i++) {
            uint16_t v = c->s->u16[i];
            bad |= v > (uint16_t)maxl;
            out[i] = (int16_t)v;
            cnt += v == (uint16_t)maxl;
        }
        if (bad)
            return cfail(c, OCP_ERR_DATA, "a level exceeds the maximum %d",
                         maxl);
        *nmax = cnt;
        return OCP_OK;
    }
    return cfail(c, OCP_ERR_UNSUPPORTED, "level encoding %s is not supported",
                 pq_encoding_name(enc));
}

/* ---- values -------------------------------------------------------- */

static int intern(struct pq_cr *c, const uint8_t *p, size_t len, uint32_t *id)
{
    int rc = pq_dictbuild_intern(c->db, p, len, id);
    if (rc != OCP_OK)
        return cfail(c, rc, "too many distinct strings");
    return OCP_OK;
}

/* PLAIN values skip .. skip + m of the page into dst. */
static int plain_values(struct pq_cr *c, const uint8_t *p, size_t len,
                        size_t skip, size_t m, uint8_t *dst)
{
    size_t i;
    int rc;

    switch (c->ci->type) {
    case PQ_BOOLEAN:
        if ((skip + m + 7) / 8 > len)
            return cfail(c, OCP_ERR_DATA, "PLAIN booleans end early");
        for (i = 0; i < m; i++)
            dst[i] = (uint8_t)((p[(skip + i) >> 3] >> ((skip + i) & 7)) & 1);
        return OCP_OK;
    case PQ_BYTE_ARRAY: {
        uint32_t *ids = (uint32_t *)(void *)dst;
        const uint8_t *end = p + len;
        for (i = 0; i < skip; i++) {
            uint32_t l;
            if (end - p < 4 || (size_t)(end - p - 4) < (l = le32(p)))
                return cfail(c, OCP_ERR_DATA, "PLAIN byte arrays end early");
            p += 4 + (size_t)l;
        }
        for (i = 0; i < m; i++) {
            uint32_t l;
            if (end - p < 4)
                return cfail(c, OCP_ERR_DATA,
                             "PLAIN byte arrays end early (%zu of %zu)", i, m);
            l = le32(p);
            p += 4;
            if ((size_t)(end - p) < l)
                return cfail(c, OCP_ERR_DATA,
                             "byte array of %u bytes runs past the page", l);
            if ((rc = intern(c, p, l, &ids[i])) != OCP_OK)
                return rc;
            p += l;
        }
        return OCP_OK;
    }
    default:
        if (c->slot == 0 || skip + m > len / c->slot)
            return cfail(c, OCP_ERR_DATA,
                         "PLAIN values end early: %zu values of %zu bytes in "
                         "%zu bytes", skip + m, c->slot, len);
        memcpy(dst, p + skip * c->slot, m * c->slot);
        return OCP_OK;
    }
}

/* Copies dictionary entries idx[0..k) into dst slots. */
static void gather(const struct pq_cr *c, const uint32_t *idx, size_t k,
                   uint8_t *dst)
{
    const uint8_t *dv = c->dict_vals;
    size_t i, w = c->slot;

    switch (w) {
    case 1:
        for (i = 0; i < k; i++)
            dst[i] = dv[idx[i]];
        break;
    case 4:
        for (i = 0; i < k; i++)
            memcpy(dst + 4 * i, dv + 4 * (size_t)idx[i], 4);
        break;
    case 8:
        for (i = 0; i < k; i++)
            memcpy(dst + 8 * i, dv + 8 * (size_t)idx[i], 8);
        break;
    default:
        for (i = 0; i < k; i++)
            memcpy(dst + w * i, dv + w * (size_t)idx[i], w);
        break;
    }
}

static int dict_values(struct pq_cr *c, const uint8_t *p, size_t len,
                       size_t skip, size_t m, uint8_t *dst)
{
    struct pq_rle_decoder d;
    size_t done = 0;
    int rc, bw;

    if (!c->have_dict)
        return cfail(c, OCP_ERR_DATA,
                     "dictionary-encoded page without a dictionary page");
    if (len < 1)
        return cfail(c, OCP_ERR_DATA, "dictionary indices are missing");
    bw = p[0];
    if (bw > 32 || pq_rle_init(&d, p + 1, len - 1, bw) != OCP_OK)
        return cfail(c, OCP_ERR_DATA, "dictionary index bit width %d", bw);
    if (skip > 0) {
        rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap,
                             BATCH * sizeof(uint32_t));
        if (rc != OCP_OK)
            return cfail(c, rc, "out of memory");
        while (done < skip) {
            size_t k = skip - done < BATCH ? skip - done : BATCH;
            rc = pq_rle_get(&d, c->s->u32, k, c->err);
            if (rc != OCP_OK)
                return cctx(c, rc);
            done += k;
        }
        done = 0;
    }
    if (c->ci->type == PQ_BYTE_ARRAY) {
        rc = pq_rle_get_bounded(&d, (uint32_t *)(void *)dst, m, c->dict_n,
                                c->err);
        return rc == OCP_OK ? OCP_OK : cctx(c, rc);
    }
    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap,
                         BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    while (done < m) {
        size_t k = m - done < BATCH ? m - done : BATCH;
        rc = pq_rle_get_bounded(&d, c->s->u32, k, c->dict_n, c->err);
        if (rc != OCP_OK)
            return cctx(c, rc);
        gather(c, c->s->u32, k, dst + done * c->slot);
        done += k;
    }
    return OCP_OK;
}

static int rle_bool_values(struct pq_cr *c, const uint8_t *p, size_t len,
                           size_t m, uint8_t *dst)
{
    struct pq_rle_decoder d;
    size_t done = 0, i;
    uint32_t l;
    int rc;

    if (len < 4)
        return cfail(c, OCP_ERR_DATA, "RLE booleans lack their length");
    l = le32(p);
    if (l > len - 4)
        return cfail(c, OCP_ERR_DATA, "RLE boolean length exceeds the page");
    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap,
                         BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    pq_rle_init(&d, p + 4, l, 1);
    while (done < m) {
        size_t k = m - done < BATCH ? m - done : BATCH;
        rc = pq_rle_get(&d, c->s->u32, k, c->err);
        if (rc != OCP_OK)
            return cctx(c, rc);
        for (i = 0; i < k; i++)
            dst[done + i] = (uint8_t)(c->s->u32[i] & 1);
        done += k;
    }
    return OCP_OK;
}

static int delta_int_values(struct pq_cr *c, const uint8_t *p, size_t len,
                            size_t m, uint8_t *dst)
{
    size_t used, i;
    int rc;

    if (c->ci->type == PQ_INT64) {
        rc = pq_delta_binary_decode(p, len, m, (int64_t *)(void *)dst, &used,
                                    c->err);
        return rc == OCP_OK ? OCP_OK : cctx(c, rc);
    }
    rc = pq_scratch_grow((void **)&c->s->i64, &c->s->i64_cap,
                         (m ? m : 1) * sizeof(int64_t));
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    rc = pq_delta_binary_decode(p, len, m, c->s->i64, &used, c->err);
    if (rc != OCP_OK)
        return cctx(c, rc);
    for (i = 0; i < m; i++) {
        int32_t v = (int32_t)(uint32_t)(uint64_t)c->s->i64[i];
        memcpy(dst + 4 * i, &v, 4);
    }
    return OCP_OK;
}

static int delta_bytes_values(struct pq_cr *c, int enc, const uint8_t *p,
                              size_t len, size_t m, uint8_t *dst)
{
    struct pq_bytes *v;
    size_t used, i;
    int rc;

    rc = pq_scratch_grow((void **)&c->s->views, &c->s->views_cap,
                         (m ? m : 1) * sizeof(struct pq_bytes));
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    v = c->s->views;
    if (enc == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY)
        rc = pq_delta_length_decode(p, len, m, v, &used, c->err);
    else
        rc = pq_delta_byte_array_decode(p, len, m, c->arena, v, &used, c->err);
    if (rc != OCP_OK)
        return cctx(c, rc);
    if (c->ci->type == PQ_BYTE_ARRAY) {
        uint32_t *ids = (uint32_t *)(void *)dst;
        for (i = 0; i < m; i++)
            if ((rc = intern(c, v[i].ptr, v[i].len, &ids[i])) != OCP_OK)
                return rc;
        return OCP_OK;
    }
    for (i = 0; i < m; i++) {
        if (v[i].len != c->slot)
            return cfail(c, OCP_ERR_DATA,
                         "fixed-length value of %u bytes, expected %zu",
                         v[i].len, c->slot);
        memcpy(dst + i * c->slot, v[i].ptr, c->slot);
    }
    return OCP_OK;
}

/* Decodes m non-NULL values of encoding enc into dst[0 .. m slots). */
static int decode_all(struct pq_cr *c, int enc, const uint8_t *p, size_t len,
                      size_t m, uint8_t *dst)
{
    enum pq_type t = c->ci->type;
    int rc;

    if (m == 0)
        return OCP_OK;
    switch (enc) {
    case PQ_ENC_PLAIN:
        return plain_values(c, p, len, 0, m, dst);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        return dict_values(c, p, len, 0, m, dst);
    case PQ_ENC_RLE:
        if (t == PQ_BOOLEAN)
            return rle_bool_values(c, p, len, m, dst);
        break;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (t == PQ_INT32 || t == PQ_INT64)
            return delta_int_values(c, p, len, m, dst);
        break;
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (t == PQ_BYTE_ARRAY)
            return delta_bytes_values(c, enc, p, len, m, dst);
        break;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (t == PQ_BYTE_ARRAY || t == PQ_FIXED_LEN_BYTE_ARRAY)
            return delta_bytes_values(c, enc, p, len, m, dst);
        break;
    case PQ_ENC_BYTE_STREAM_SPLIT:
        if (t == PQ_INT32 || t == PQ_INT64 || t == PQ_FLOAT ||
            t == PQ_DOUBLE || t == PQ_FIXED_LEN_BYTE_ARRAY) {
            rc = pq_bss_decode(p, len, m, c->slot, dst, c->err);
            return rc == OCP_OK ? OCP_OK : cctx(c, rc);
        }
        break;
    default:
        return cfail(c, OCP_ERR_UNSUPPORTED, "encoding %d is not supported",
                     enc);
    }
    return cfail(c, OCP_ERR_DATA, "encoding %s is not valid for %s",
                 pq_encoding_name(enc), pq_type_name(t));
}

/* Decodes the non-NULL values skip .. skip + m of a page into dst.  PLAIN
 * and dictionary pages skip cheaply; the other encodings decode the
 * skipped values too (into scratch) since their streams cannot seek. */
static int decode_values(struct pq_cr *c, int enc, const uint8_t *p,
                         size_t len, size_t skip, size_t m, uint8_t *dst)
{
    int rc;

    if (skip == 0)
        return decode_all(c, enc, p, len, m, dst);
    if (m == 0)
        return OCP_OK;
    if (enc == PQ_ENC_PLAIN)
        return plain_values(c, p, len, skip, m, dst);
    if (enc == PQ_ENC_PLAIN_DICTIONARY || enc == PQ_ENC_RLE_DICTIONARY)
        return dict_values(c, p, len, skip, m, dst);
    if (skip > SIZE_MAX / 2 / (c->slot ? c->slot : 1))
        return cfail(c, OCP_ERR_DATA, "page too large");
    rc = pq_scratch_grow((void **)&c->s->tmp, &c->s->tmp_cap,
                         (skip + m) * c->slot + 16);
    if (rc != OCP_OK)
        return cfail(c, rc, "out of memory");
    rc = decode_all(c, enc, p, len, skip + m, c->s->tmp);
    if (rc == OCP_OK)
        memcpy(dst, c->s->tmp + skip * c->slot, m * c->slot);
    return rc;
}

/* Spreads the m dense slots at the front of vals over the nv entries
 * whose definition level is maxd, back to front so it works in place;
 * other entries get zero bytes (OCP_NULL_ID for string ids). */
static void expand(uint8_t *vals, size_t w, int ids, const int16_t *def,
                   int16_t maxd, size_t nv, size_t m)
{
    size_t i = nv, j = m;

    if (ids) {
        uint32_t *v = (uint32_t *)(void *)vals;
        while (i > j) {
            i--;
            v[i] = def[i] == maxd ? v[--j] : OCP_NULL_ID;
        }
        return;
    }
    switch (w) {
    case 8:
        while (i > j) {
            i--;
            if (def[i] == maxd)
                memcpy(vals + 8 * i, vals + 8 * --j, 8);
            else
                memset(vals + 8 * i, 0, 8);
        }
        break;
    case 4:
        while (i > j) {
            i--;
            if (def[i] == maxd)
                memcpy(vals + 4 * i, vals + 4 * --j, 4);
            else
                memset(vals + 4 * i, 0, 4);
        }
        break;
    default:
        while (i > j) {
            i--;
            if (def[i] == maxd)
                memmove(vals + w * i, vals + w * --j, w);
            else
                memset(vals + w * i, 0, w);
        }
        break;
    }
}

/* ---- pages --------------------------------------------------------- */

int pq_page_dict(struct pq_cr *c, const struct pq_page_header *h,
                 const uint8_t *body)
{
    const uint8_t *p;
    size_t len, n, i;
    int rc;

    if (c->have_dict)
        return cfail(c, OCP_ERR_DATA, "a second dictionary page");
    if (!h->has_dict)
        return cfail(c, OCP_ERR_DATA, "dictionary page without its header");
    if (h->num_values < 0)
        return cfail(c, OCP_ERR_DATA,
                     "dictionary page with a negative value count (%d)",
                     (int)h->num_values);
    if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return cfail(c, OCP_ERR_UNSUPPORTED,
                     "dictionary page encoding %s is not supported",
                     pq_encoding_name(h->encoding));
    if ((rc = check_crc(c, h, body)) != OCP_OK)
        return rc;
    rc = inflate(c, body, (size_t)h->compressed_size,
                 (size_t)h->uncompressed_size, &p, &len);
    if (rc != OCP_OK)
        return rc;
    n = (size_t)h->num_values;
    if (c->ci->type == PQ_BYTE_ARRAY) {
        const uint8_t *end = p + len;
        if (n > len / 4)
            return cfail(c, OCP_ERR_DATA,
                         "dictionary of %zu strings cannot fit %zu bytes", n,
                         len);
        if (c->db->count != 0)
            return cfail(c, OCP_ERR_DATA, "dictionary page after data");
        for (i = 0; i < n; i++) {
            uint32_t l, id;
            if (end - p < 4)
                return cfail(c, OCP_ERR_DATA, "dictionary page ends early");
            l = le32(p);
            p += 4;
            if ((size_t)(end - p) < l)
                return cfail(c, OCP_ERR_DATA,
                             "dictionary string of %u bytes runs past the "
                             "page", l);
            if ((rc = pq_dictbuild_push(c->db, p, l, &id)) != OCP_OK)
                return cfail(c, rc, "out of memory");
            p += l;
        }
    } else {
        uint8_t *dv;
        if (c->ci->type == PQ_BOOLEAN ? (n + 7) / 8 > len
                                      : (c->slot == 0 || n > len / c->slot))
            return cfail(c, OCP_ERR_DATA,
                         "dictionary of %zu values cannot fit %zu bytes", n,
                         len);
        dv = ocp_arena_alloc(c->arena, n * c->slot + 1);
        if (dv == NULL)
            return cfail(c, OCP_ERR_OSERR, "out of memory");
        if (c->ci->type == PQ_BOOLEAN) {
            for (i = 0; i < n; i++)
                dv[i] = (uint8_t)((p[i >> 3] >> (i & 7)) & 1);
        } else if (n > 0) {
            memcpy(dv, p, n * c->slot);
        }
        c->dict_vals = dv;
    }
    c->dict_n = (uint32_t)n;
    c->have_dict = 1;
    return OCP_OK;
}

int pq_page_data(struct pq_cr *c, const struct pq_page_header *h,
                 const uint8_t *body, size_t w0, size_t w1,
                 struct pq_dest *d, int64_t *nulls)
{
    const struct pq_colinfo *ci = c->ci;
    size_t nv, m, used, len, vlen, skip = 0, i;
    const uint8_t *p, *vals;
    int16_t *defs = d->def, maxd = (int16_t)ci->max_def;
    int rc, window;

    if (h->num_values < 0)
        return cfail(c, OCP_ERR_DATA, "data page with a negative value count");
    nv = (size_t)h->num_values;
    m = nv;
    window = w0 != 0 || w1 != nv;
    if (w0 > w1 || w1 > nv || (window && ci->max_rep > 0))
        return cfail(c, OCP_ERR_SOFTWARE, "bad page window %zu..%zu of %zu",
                     w0, w1, nv);
    if (window && ci->max_def > 0) {
        /* The levels of the whole page go to scratch: the values to skip
         * are the non-NULL entries before the window. */
        rc = pq_scratch_grow((void **)&c->s->tdef, &c->s->tdef_cap,
                             (nv ? nv : 1) * sizeof(int16_t));
        if (rc != OCP_OK)
            return cfail(c, rc, "out of memory");
        defs = c->s->tdef;
    }
    if ((rc = check_crc(c, h, body)) != OCP_OK)
        return rc;
    if (h->type == PQ_PAGE_DATA) {
        if (!h->has_data)
            return cfail(c, OCP_ERR_DATA, "data page without its header");
        rc = inflate(c, body, (size_t)h->compressed_size,
                     (size_t)h->uncompressed_size, &p, &len);
        if (rc != OCP_OK)
            return rc;
        if (ci->max_rep > 0) {
            size_t dummy;
            rc = levels_v1(c, h->rep_encoding, p, len, ci->max_rep, nv,
                           d->rep, &dummy, &used);
            if (rc != OCP_OK)
                return rc;
            p += used;
            len -= used;
        }
        if (ci->max_def > 0) {
            rc = levels_v1(c, h->def_encoding, p, len, ci->max_def, nv,
                           defs, &m, &used);
            if (rc != OCP_OK)
                return rc;
            p += used;
            len -= used;
        }
        vals = p;
        vlen = len;
    } else {
        size_t rl, dl, stored;
        int64_t ulen;
        if (!h->has_data_v2)
            return cfail(c, OCP_ERR_DATA, "data page v2 without its header");
        if (h->rep_len < 0 || h->def_len < 0 ||
            (int64_t)h->rep_len + h->def_len > h->compressed_size)
            return cfail(c, OCP_ERR_DATA,
                         "level lengths %d + %d exceed the page (%d bytes)",
                         (int)h->rep_len, (int)h->def_len,
                         (int)h->compressed_size);
        rl = (size_t)h->rep_len;
        dl = (size_t)h->def_len;
        if (ci->max_rep > 0) {
            size_t dummy;
            rc = levels_rle(c, body, rl, ci->max_rep, nv, d->rep, &dummy);
            if (rc != OCP_OK)
                return rc;
        }
        if (ci->max_def > 0) {
            rc = levels_rle(c, body + rl, dl, ci->max_def, nv, defs, &m);
            if (rc != OCP_OK)
                return rc;
        } else if (h->num_nulls != 0) {
            return cfail(c, OCP_ERR_DATA,
                         "%d NULLs in a column that cannot hold NULLs",
                         (int)h->num_nulls);
        }
        stored = (size_t)h->compressed_size - rl - dl;
        ulen = (int64_t)h->uncompressed_size - (int64_t)rl - (int64_t)dl;
        if (ulen < 0)
            return cfail(c, OCP_ERR_DATA,
                         "uncompressed size smaller than the levels");
        if (!h->is_compressed) {
            vals = body + rl + dl;
            vlen = stored;
        } else {
            rc = inflate(c, body + rl + dl, stored, (size_t)ulen, &vals,
                         &vlen);
            if (rc != OCP_OK)
                return rc;
        }
    }
    if (ci->max_rep > 0 && nv > 0 && d->rep[0] != 0 &&
        (c->entries_seen == 0 || h->type == PQ_PAGE_DATA_V2))
        return cfail(c, OCP_ERR_DATA,
                     "a page starts with repetition level %d instead of 0",
                     (int)d->rep[0]);
    if (window) {
        /* Only entries w0 .. w1 are wanted: skip the values before. */
        if (ci->max_def > 0) {
            for (i = 0; i < w0; i++)
                skip += defs[i] == maxd;
            for (i = w0, m = 0; i < w1; i++)
                m += defs[i] == maxd;
            memcpy(d->def, defs + w0, (w1 - w0) * sizeof(int16_t));
        } else {
            skip = w0;
            m = w1 - w0;
        }
    }
    rc = decode_values(c, h->encoding, vals, vlen, skip, m, d->vals);
    if (rc != OCP_OK)
        return rc;
    if (m < w1 - w0)
        expand(d->vals, c->slot, ci->type == PQ_BYTE_ARRAY, d->def, maxd,
               w1 - w0, m);
    *nulls = (int64_t)(w1 - w0 - m);
    c->entries_seen += (int64_t)nv;
    return OCP_OK;
}
