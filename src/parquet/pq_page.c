/* pq_page.c - decoding one page: CRC, decompression, repetition and
 * definition levels, dictionary pages; the values themselves are decoded
 * by pq_values.c. */
#include "pq_codec.h"
#include "pq_read_internal.h"

#include <pthread.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int pq_cr_fail(struct pq_cr *c, int code, const char *fmt, ...)
{
    char msg[OCP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pq_fail(c->f, c->rg, c->col, c->err, code, "%s", msg);
}

int pq_cr_ctx(struct pq_cr *c, int rc)
{
    ocp_error_context(c->err, c->f->path, c->rg, c->ci->path);
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int check_crc(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body)
{
    if (!c->f->opt.check_crc || !h->has_crc)
        return OCP_OK;
    if (pq_crc32(body, (size_t)h->compressed_size) != h->crc)
        return pq_cr_fail(c, OCP_ERR_DATA, "page CRC mismatch (corrupt page)");
    return OCP_OK;
}

/* Turns stored bytes into uncompressed ones: src itself for
 * UNCOMPRESSED, else the scratch page buffer.  An empty result never
 * reaches the codec. */
static int inflate(struct pq_cr *c, const uint8_t *src, size_t srclen, size_t dstlen,
                   const uint8_t **out, size_t *outlen)
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
        return pq_cr_fail(c, OCP_ERR_DATA, "page of %zu bytes exceeds the limit", dstlen);
    rc = pq_scratch_grow((void **)&c->s->page, &c->s->page_cap, dstlen);
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory for a page of %zu bytes", dstlen);
    rc = pq_decompress(c->cm->codec, src, srclen, c->s->page, dstlen, c->err);
    if (rc != OCP_OK)
        return pq_cr_ctx(c, rc);
    *out = c->s->page;
    *outlen = dstlen;
    return OCP_OK;
}

/* ---- levels -------------------------------------------------------- */

/* Narrows k levels to int16, counting those equal to maxl and tracking
 * the largest.  The inner loop has a fixed trip count so the compiler
 * vectorizes it even at -O2. */
static uint32_t narrow_levels(const uint32_t *in, int16_t *out, size_t k, uint32_t maxl,
                              uint32_t *largest)
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

/* The common page without NULLs: its levels are one RLE run of at least
 * n copies of one value.  Fills out and returns 1 when p starts with such
 * a run of a value <= maxl, else 0 (the general decoder takes over). */
static int levels_one_run(const uint8_t *p, size_t len, int maxl, size_t n, int16_t *out,
                          size_t *nmax)
{
    uint32_t h = 0, v = 0;
    size_t i = 0, nb = ((size_t)pq_bit_width((uint32_t)maxl) + 7) / 8, k;
    int shift = 0;

    for (;;) {
        if (i >= len || shift > 28)
            return 0;
        h |= (uint32_t)(p[i] & 0x7f) << shift;
        if ((p[i++] & 0x80) == 0)
            break;
        shift += 7;
    }
    if ((h & 1) != 0 || (h >> 1) < n || len - i < nb)
        return 0;
    for (k = 0; k < nb; k++)
        v |= (uint32_t)p[i + k] << (8 * k);
    if (v > (uint32_t)maxl)
        return 0;
    for (k = 0; k < n; k++)
        out[k] = (int16_t)v;
    *nmax = v == (uint32_t)maxl ? n : 0;
    return 1;
}

/* Eight 0/1 levels per byte value, least significant bit first, and
 * the count of ones per byte value (__builtin_popcount is a libgcc call
 * on a baseline x86-64 build). */
static int16_t bits_table[256][8];
static uint8_t bits_ones[256];
static pthread_once_t bits_once = PTHREAD_ONCE_INIT;

static void bits_init(void)
{
    int b, j;
    for (b = 0; b < 256; b++) {
        for (j = 0; j < 8; j++) {
            bits_table[b][j] = (int16_t)((b >> j) & 1);
            bits_ones[b] = (uint8_t)(bits_ones[b] + ((b >> j) & 1));
        }
    }
}

/* Levels of bit width 1 (a flat optional column): n of them decoded
 * straight to out, eight per bit-packed byte, with *nmax the count of
 * ones.  Returns 1 when the stream is well formed for n levels, else 0
 * and the general decoder takes over (and reports what is wrong). */
static int levels_bw1(const uint8_t *p, size_t len, size_t n, int16_t *out, size_t *nmax)
{
    const uint8_t *end = p + len;
    size_t done = 0, ones = 0;

    pthread_once(&bits_once, bits_init);
    while (done < n) {
        uint32_t h = 0;
        int shift = 0;
        for (;;) {
            if (p >= end || shift > 28)
                return 0;
            h |= (uint32_t)(*p & 0x7f) << shift;
            if ((*p++ & 0x80) == 0)
                break;
            shift += 7;
        }
        if (h & 1u) {
            size_t groups = h >> 1, g, take;
            /* (The general decoder refuses runs past 2^31 values.) */
            if (groups == 0 || groups > (size_t)(end - p) || groups > 0x7fffffffu / 8u)
                return 0;
            take = (n - done + 7) / 8;
            if (take > groups)
                take = groups;
            /* Whole groups while eight levels fit, then the last part. */
            for (g = 0; g < take && done + 8 <= n; g++) {
                memcpy(out + done, bits_table[p[g]], sizeof bits_table[0]);
                ones += bits_ones[p[g]];
                done += 8;
            }
            if (g < take) {
                size_t j;
                for (j = 0; done < n; j++, done++) {
                    out[done] = bits_table[p[g]][j];
                    ones += (size_t)out[done];
                }
            }
            p += groups;
        } else {
            size_t count = h >> 1, k;
            uint8_t v;
            if (count == 0 || p >= end || *p > 1)
                return 0;
            v = *p++;
            k = count < n - done ? count : n - done;
            for (size_t j = 0; j < k; j++)
                out[done + j] = (int16_t)v;
            ones += v ? k : 0;
            done += k;
        }
    }
    *nmax = ones;
    return 1;
}

/* Decodes n hybrid-RLE levels of at most maxl into out; *nmax counts
 * those equal to maxl. */
static int levels_rle(struct pq_cr *c, const uint8_t *p, size_t len, int maxl, size_t n,
                      int16_t *out, size_t *nmax)
{
    struct pq_rle_decoder d;
    size_t done = 0, cnt = 0;
    uint32_t largest = 0, *buf;
    int rc;

    if (levels_one_run(p, len, maxl, n, out, nmax))
        return OCP_OK;
    if (maxl == 1 && levels_bw1(p, len, n, out, nmax))
        return OCP_OK;

    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap, BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    buf = c->s->u32;
    if (pq_rle_init(&d, p, len, pq_bit_width((uint32_t)maxl)) != OCP_OK)
        return pq_cr_fail(c, OCP_ERR_DATA, "bad level bit width");
    while (done < n) {
        size_t k = n - done < BATCH ? n - done : BATCH;
        rc = pq_rle_get(&d, buf, k, c->err);
        if (rc != OCP_OK)
            return pq_cr_ctx(c, rc);
        cnt += narrow_levels(buf, out + done, k, (uint32_t)maxl, &largest);
        done += k;
    }
    if (largest > (uint32_t)maxl)
        return pq_cr_fail(c, OCP_ERR_DATA, "a level exceeds the maximum %d", maxl);
    *nmax = cnt;
    return OCP_OK;
}

/* A v1 level section (RLE with a 4-byte length, or BIT_PACKED) at
 * p[0..len); *used gets the bytes it took. */
static int levels_v1(struct pq_cr *c, int enc, const uint8_t *p, size_t len, int maxl, size_t n,
                     int16_t *out, size_t *nmax, size_t *used)
{
    if (enc == PQ_ENC_RLE) {
        uint32_t l;
        if (len < 4)
            return pq_cr_fail(c, OCP_ERR_DATA, "level section ends early");
        l = le32(p);
        if (l > len - 4)
            return pq_cr_fail(c, OCP_ERR_DATA, "level length %u exceeds the page (%zu bytes left)",
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
            return pq_cr_fail(c, OCP_ERR_DATA, "BIT_PACKED levels end early");
        rc = pq_scratch_grow((void **)&c->s->u16, &c->s->u16_cap, (n ? n : 1) * sizeof(uint16_t));
        if (rc != OCP_OK)
            return pq_cr_fail(c, rc, "out of memory");
        rc = pq_bitpacked_levels(p, len, bw, n, c->s->u16, used, c->err);
        if (rc != OCP_OK)
            return pq_cr_ctx(c, rc);
        for (i = 0; i < n; i++) {
            uint16_t v = c->s->u16[i];
            bad |= v > (uint16_t)maxl;
            out[i] = (int16_t)v;
            cnt += v == (uint16_t)maxl;
        }
        if (bad)
            return pq_cr_fail(c, OCP_ERR_DATA, "a level exceeds the maximum %d", maxl);
        *nmax = cnt;
        return OCP_OK;
    }
    if (pq_encoding_status(enc) == OCP_ERR_DATA)
        return pq_cr_fail(c, OCP_ERR_DATA,
                          "corrupt page header: level encoding id %d does not "
                          "exist",
                          enc);
    return pq_cr_fail(c, OCP_ERR_UNSUPPORTED, "level encoding %s is not supported",
                      pq_encoding_name(enc));
}

/* ---- pages --------------------------------------------------------- */

int pq_page_dict(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body)
{
    const uint8_t *p;
    size_t len, n, i;
    int rc;

    if (c->have_dict)
        return pq_cr_fail(c, OCP_ERR_DATA, "a second dictionary page");
    if (!h->has_dict)
        return pq_cr_fail(c, OCP_ERR_DATA, "dictionary page without its header");
    if (h->num_values < 0)
        return pq_cr_fail(c, OCP_ERR_DATA, "dictionary page with a negative value count (%d)",
                          (int)h->num_values);
    if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY &&
        pq_encoding_status(h->encoding) == OCP_ERR_DATA)
        return pq_cr_fail(c, OCP_ERR_DATA, "corrupt page header: encoding id %d does not exist",
                          h->encoding);
    if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return pq_cr_fail(c, OCP_ERR_UNSUPPORTED, "dictionary page encoding %s is not supported",
                          pq_encoding_name(h->encoding));
    if ((rc = check_crc(c, h, body)) != OCP_OK)
        return rc;
    rc = inflate(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size, &p, &len);
    if (rc != OCP_OK)
        return rc;
    n = (size_t)h->num_values;
    if (c->ci->type == PQ_BYTE_ARRAY) {
        const uint8_t *end = p + len;
        if (n > len / 4)
            return pq_cr_fail(c, OCP_ERR_DATA, "dictionary of %zu strings cannot fit %zu bytes", n,
                              len);
        if (c->sc == NULL && c->db->count != 0)
            return pq_cr_fail(c, OCP_ERR_DATA, "dictionary page after data");
        if (c->sc != NULL && n > c->sc->remap_cap) {
            /* The page's entries map into the file's lasting dictionary. */
            uint32_t *nr = realloc(c->sc->remap, (n ? n : 1) * sizeof *nr);
            if (nr == NULL)
                return pq_cr_fail(c, OCP_ERR_OSERR, "out of memory");
            c->sc->remap = nr;
            c->sc->remap_cap = (uint32_t)n;
        }
        for (i = 0; i < n; i++) {
            uint32_t l, id;
            if (end - p < 4)
                return pq_cr_fail(c, OCP_ERR_DATA, "dictionary page ends early");
            l = le32(p);
            p += 4;
            if ((size_t)(end - p) < l)
                return pq_cr_fail(c, OCP_ERR_DATA,
                                  "dictionary string of %u bytes runs past the "
                                  "page",
                                  l);
            if (c->sc != NULL) {
                if ((rc = pq_strcache_intern(c->sc, p, l, &id)) != OCP_OK)
                    return pq_cr_fail(
                        c, rc, rc == OCP_ERR_OSERR ? "out of memory" : "too many distinct strings");
                c->sc->remap[i] = id;
            } else if ((rc = pq_dictbuild_push(c->db, p, l, &id)) != OCP_OK) {
                return pq_cr_fail(c, rc, "out of memory");
            }
            p += l;
        }
        if (c->sc != NULL)
            c->remap = c->sc->remap;
    } else {
        uint8_t *dv;
        if (c->ci->type == PQ_BOOLEAN ? (n + 7) / 8 > len : (c->slot == 0 || n > len / c->slot))
            return pq_cr_fail(c, OCP_ERR_DATA, "dictionary of %zu values cannot fit %zu bytes", n,
                              len);
        /* As for a PLAIN data page (pq_page_data): leftover bytes mean the
         * values are wider than the schema says. */
        if (c->ci->type != PQ_BOOLEAN && len != n * c->slot)
            return pq_cr_fail(c, OCP_ERR_DATA,
                              "dictionary page has %zu bytes past its %zu values of %zu bytes",
                              len - n * c->slot, n, c->slot);
        dv = ocp_arena_alloc(c->arena, n * c->slot + 1);
        if (dv == NULL)
            return pq_cr_fail(c, OCP_ERR_OSERR, "out of memory");
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

/* ---- PLAIN pages decompressed in place ------------------------------
 *
 * A compressed v1 page of fixed-width PLAIN values without NULLs holds
 * its levels, then nv values: uncompressed_size = L + nv * slot.  When the
 * chunk's statistics say it has no NULLs, L is known before decompressing,
 * so the page is decompressed to dst - L and its values land where they
 * belong; the L bytes below dst (the previous page's last values, or the
 * padding in front of the buffer, PQ_VALS_PAD) are saved and put back.
 * Anything unexpected falls back to the general path, which starts over
 * from the stored bytes. */
static int direct_ok(const struct pq_cr *c, const struct pq_page_header *h, const struct pq_dest *d,
                     int window)
{
    const struct pq_colinfo *ci = c->ci;
    int64_t lv;

    if (window || !c->direct || h->encoding != PQ_ENC_PLAIN ||
        c->cm->codec == PQ_CODEC_UNCOMPRESSED || ci->max_rep > 0 ||
        (c->slot != 4 && c->slot != 8) || ci->type == PQ_BOOLEAN || h->num_values <= 0 ||
        d->vals == NULL)
        return 0;
    lv = (int64_t)h->uncompressed_size - (int64_t)h->num_values * (int64_t)c->slot;
    return lv >= 0 && lv <= PQ_VALS_PAD;
}

static int plain_direct(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body,
                        struct pq_dest *d, int *done)
{
    const struct pq_colinfo *ci = c->ci;
    size_t nv = (size_t)h->num_values, lv, used = 0, m = nv;
    uint8_t saved[PQ_VALS_PAD], *base;
    int rc;

    *done = 0;
    lv = (size_t)h->uncompressed_size - nv * c->slot;
    base = d->vals - lv;
    memcpy(saved, base, lv);
    rc = pq_decompress(c->cm->codec, body, (size_t)h->compressed_size, base,
                       (size_t)h->uncompressed_size, c->err);
    if (rc != OCP_OK) {
        memcpy(base, saved, lv);
        return pq_cr_ctx(c, rc);
    }
    if (ci->max_def > 0) {
        rc = levels_v1(c, h->def_encoding, base, lv, ci->max_def, nv, d->def, &m, &used);
        if (rc != OCP_OK || used != lv || m != nv) {
            /* Not the page the statistics promised: start over. */
            memcpy(base, saved, lv);
            return OCP_OK;
        }
    } else if (lv != 0) {
        memcpy(base, saved, lv);
        return OCP_OK;
    }
    memcpy(base, saved, lv);
    *done = 1;
    return OCP_OK;
}

int pq_page_data(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body, size_t w0,
                 size_t w1, struct pq_dest *d, int64_t *nulls)
{
    const struct pq_colinfo *ci = c->ci;
    size_t nv, m, used, len, vlen, skip = 0, i;
    const uint8_t *p, *vals;
    int16_t *defs = d->def, maxd = (int16_t)ci->max_def;
    int rc, window;

    if (h->num_values < 0)
        return pq_cr_fail(c, OCP_ERR_DATA, "data page with a negative value count");
    nv = (size_t)h->num_values;
    m = nv;
    window = w0 != 0 || w1 != nv;
    if (w0 > w1 || w1 > nv || (window && ci->max_rep > 0))
        return pq_cr_fail(c, OCP_ERR_SOFTWARE, "bad page window %zu..%zu of %zu", w0, w1, nv);
    if (window && ci->max_def > 0) {
        /* The levels of the whole page go to scratch: the values to skip
         * are the non-NULL entries before the window. */
        rc =
            pq_scratch_grow((void **)&c->s->tdef, &c->s->tdef_cap, (nv ? nv : 1) * sizeof(int16_t));
        if (rc != OCP_OK)
            return pq_cr_fail(c, rc, "out of memory");
        defs = c->s->tdef;
    }
    if ((rc = check_crc(c, h, body)) != OCP_OK)
        return rc;
    if (h->type == PQ_PAGE_DATA && h->has_data && direct_ok(c, h, d, window)) {
        int done;
        rc = plain_direct(c, h, body, d, &done);
        if (rc != OCP_OK || done) {
            if (rc == OCP_OK) {
                *nulls = 0;
                c->entries_seen += (int64_t)nv;
            }
            return rc;
        }
    }
    if (h->type == PQ_PAGE_DATA) {
        if (!h->has_data)
            return pq_cr_fail(c, OCP_ERR_DATA, "data page without its header");
        rc = inflate(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size, &p, &len);
        if (rc != OCP_OK)
            return rc;
        if (ci->max_rep > 0) {
            size_t dummy;
            rc = levels_v1(c, h->rep_encoding, p, len, ci->max_rep, nv, d->rep, &dummy, &used);
            if (rc != OCP_OK)
                return rc;
            p += used;
            len -= used;
        }
        if (ci->max_def > 0) {
            rc = levels_v1(c, h->def_encoding, p, len, ci->max_def, nv, defs, &m, &used);
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
            return pq_cr_fail(c, OCP_ERR_DATA, "data page v2 without its header");
        if (h->rep_len < 0 || h->def_len < 0 ||
            (int64_t)h->rep_len + h->def_len > h->compressed_size)
            return pq_cr_fail(c, OCP_ERR_DATA, "level lengths %d + %d exceed the page (%d bytes)",
                              (int)h->rep_len, (int)h->def_len, (int)h->compressed_size);
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
            return pq_cr_fail(c, OCP_ERR_DATA, "%d NULLs in a column that cannot hold NULLs",
                              (int)h->num_nulls);
        }
        stored = (size_t)h->compressed_size - rl - dl;
        ulen = (int64_t)h->uncompressed_size - (int64_t)rl - (int64_t)dl;
        if (ulen < 0)
            return pq_cr_fail(c, OCP_ERR_DATA, "uncompressed size smaller than the levels");
        if (!h->is_compressed) {
            vals = body + rl + dl;
            vlen = stored;
        } else {
            rc = inflate(c, body + rl + dl, stored, (size_t)ulen, &vals, &vlen);
            if (rc != OCP_OK)
                return rc;
        }
    }
    if (ci->max_rep > 0 && nv > 0 && d->rep[0] != 0 &&
        (c->entries_seen == 0 || h->type == PQ_PAGE_DATA_V2))
        return pq_cr_fail(c, OCP_ERR_DATA, "a page starts with repetition level %d instead of 0",
                          (int)d->rep[0]);
    if (h->encoding == PQ_ENC_PLAIN && ci->type != PQ_BOOLEAN && ci->type != PQ_BYTE_ARRAY &&
        vlen / c->slot >= m && vlen != m * c->slot)
        /* m fixed-width values take exactly m slots.  Bytes left over mean
         * the page is not what the schema says (a DOUBLE column declared
         * FLOAT reads half its bytes as floats and would drop the rest);
         * a short page is reported where its values are read. */
        return pq_cr_fail(c, OCP_ERR_DATA, "page has %zu bytes past its %zu values of %zu bytes",
                          vlen - m * c->slot, m, c->slot);
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
    if (m < w1 - w0 && h->encoding == PQ_ENC_PLAIN && ci->type != PQ_BOOLEAN &&
        ci->type != PQ_BYTE_ARRAY) {
        /* Fixed-width values with NULLs: one pass to their entries. */
        rc = pq_values_plain_spread(c, vals, vlen, skip, m, d->def, maxd, w1 - w0, d->vals);
        if (rc != OCP_OK)
            return rc;
        *nulls = (int64_t)(w1 - w0 - m);
        c->entries_seen += (int64_t)nv;
        return OCP_OK;
    }
    if (m < w1 - w0 && ci->type == PQ_BYTE_ARRAY &&
        (h->encoding == PQ_ENC_PLAIN_DICTIONARY || h->encoding == PQ_ENC_RLE_DICTIONARY)) {
        /* String ids with NULLs: decoded, mapped and spread at once. */
        rc = pq_values_dict_ids_spread(c, vals, vlen, skip, m, d->def, maxd, w1 - w0, d->vals);
        if (rc != OCP_OK)
            return rc;
        *nulls = (int64_t)(w1 - w0 - m);
        c->entries_seen += (int64_t)nv;
        return OCP_OK;
    }
    rc = pq_values_decode(c, h->encoding, vals, vlen, skip, m, d->vals);
    if (rc != OCP_OK)
        return rc;
    if (m < w1 - w0)
        pq_values_expand(d->vals, c->slot, ci->type == PQ_BYTE_ARRAY, c->null_fill, d->def, maxd,
                         w1 - w0, m);
    *nulls = (int64_t)(w1 - w0 - m);
    c->entries_seen += (int64_t)nv;
    return OCP_OK;
}
