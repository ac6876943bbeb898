/* pq_values.c - decoding the values section of a data page in every
 * encoding (PLAIN, dictionary indices, RLE booleans, DELTA_*,
 * BYTE_STREAM_SPLIT) into dense slots, and spreading them over the
 * entries that are not NULL. */
#include "pq_read_internal.h"

#include <stdint.h>
#include <string.h>

/* Values are decoded in batches of this many through fixed scratch, so
 * no scratch grows with a page's (untrusted) value count. */
#define BATCH 4096

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int intern(struct pq_cr *c, const uint8_t *p, size_t len, uint32_t *id)
{
    int rc = c->sc != NULL ? pq_strcache_intern(c->sc, p, len, id)
                           : pq_dictbuild_intern(c->db, p, len, id);
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc,
                          rc == OCP_ERR_OSERR ? "out of memory" : "too many distinct strings");
    return OCP_OK;
}

/* PLAIN values skip .. skip + m of the page into dst. */
static int plain_values(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                        uint8_t *dst)
{
    size_t i;
    int rc;

    switch (c->ci->type) {
    case PQ_BOOLEAN:
        if ((skip + m + 7) / 8 > len)
            return pq_cr_fail(c, OCP_ERR_DATA, "PLAIN booleans end early");
        for (i = 0; i < m; i++)
            dst[i] = (uint8_t)((p[(skip + i) >> 3] >> ((skip + i) & 7)) & 1);
        return OCP_OK;
    case PQ_BYTE_ARRAY: {
        uint32_t *ids = (uint32_t *)(void *)dst;
        const uint8_t *end = p + len;
        for (i = 0; i < skip; i++) {
            uint32_t l;
            if (end - p < 4 || (size_t)(end - p - 4) < (l = le32(p)))
                return pq_cr_fail(c, OCP_ERR_DATA, "PLAIN byte arrays end early");
            p += 4 + (size_t)l;
        }
        for (i = 0; i < m; i++) {
            uint32_t l;
            if (end - p < 4)
                return pq_cr_fail(c, OCP_ERR_DATA, "PLAIN byte arrays end early (%zu of %zu)", i,
                                  m);
            l = le32(p);
            p += 4;
            if ((size_t)(end - p) < l)
                return pq_cr_fail(c, OCP_ERR_DATA, "byte array of %u bytes runs past the page", l);
            if ((rc = intern(c, p, l, &ids[i])) != OCP_OK)
                return rc;
            p += l;
        }
        return OCP_OK;
    }
    default:
        if (c->slot == 0 || skip + m > len / c->slot)
            return pq_cr_fail(c, OCP_ERR_DATA,
                              "PLAIN values end early: %zu values of %zu bytes in "
                              "%zu bytes",
                              skip + m, c->slot, len);
        memcpy(dst, p + skip * c->slot, m * c->slot);
        return OCP_OK;
    }
}

/* Copies dictionary entries idx[0..k) into dst slots. */
static void gather(const struct pq_cr *c, const uint32_t *idx, size_t k, uint8_t *dst)
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

static int dict_values_map(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                           uint8_t *dst, int map_ids);

static int dict_values(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                       uint8_t *dst)
{
    return dict_values_map(c, p, len, skip, m, dst, 1);
}

/* dict_values; for string ids, map_ids 0 leaves the page's indices
 * unmapped (the caller maps them, c->remap, while spreading them). */
static int dict_values_map(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                           uint8_t *dst, int map_ids)
{
    struct pq_rle_decoder d;
    size_t done = 0;
    int rc, bw;

    if (!c->have_dict)
        return pq_cr_fail(c, OCP_ERR_DATA, "dictionary-encoded page without a dictionary page");
    if (len < 1)
        return pq_cr_fail(c, OCP_ERR_DATA, "dictionary indices are missing");
    bw = p[0];
    if (bw > 32 || pq_rle_init(&d, p + 1, len - 1, bw) != OCP_OK)
        return pq_cr_fail(c, OCP_ERR_DATA, "dictionary index bit width %d", bw);
    if (skip > 0) {
        rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap, BATCH * sizeof(uint32_t));
        if (rc != OCP_OK)
            return pq_cr_fail(c, rc, "out of memory");
        while (done < skip) {
            size_t k = skip - done < BATCH ? skip - done : BATCH;
            rc = pq_rle_get(&d, c->s->u32, k, c->err);
            if (rc != OCP_OK)
                return pq_cr_ctx(c, rc);
            done += k;
        }
        done = 0;
    }
    if (c->ci->type == PQ_BYTE_ARRAY) {
        uint32_t *ids = (uint32_t *)(void *)dst;
        rc = pq_rle_get_bounded(&d, ids, m, c->dict_n, c->err);
        if (rc != OCP_OK)
            return pq_cr_ctx(c, rc);
        if (c->remap != NULL && map_ids) {
            /* Page indices to the file's lasting ids. */
            const uint32_t *map = c->remap;
            size_t i;
            for (i = 0; i < m; i++)
                ids[i] = map[ids[i]];
        }
        return OCP_OK;
    }
    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap, BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    while (done < m) {
        size_t k = m - done < BATCH ? m - done : BATCH;
        rc = pq_rle_get_bounded(&d, c->s->u32, k, c->dict_n, c->err);
        if (rc != OCP_OK)
            return pq_cr_ctx(c, rc);
        gather(c, c->s->u32, k, dst + done * c->slot);
        done += k;
    }
    return OCP_OK;
}

static int rle_bool_values(struct pq_cr *c, const uint8_t *p, size_t len, size_t m, uint8_t *dst)
{
    struct pq_rle_decoder d;
    size_t done = 0, i;
    uint32_t l;
    int rc;

    if (len < 4)
        return pq_cr_fail(c, OCP_ERR_DATA, "RLE booleans lack their length");
    l = le32(p);
    if (l > len - 4)
        return pq_cr_fail(c, OCP_ERR_DATA, "RLE boolean length exceeds the page");
    rc = pq_scratch_grow((void **)&c->s->u32, &c->s->u32_cap, BATCH * sizeof(uint32_t));
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    pq_rle_init(&d, p + 4, l, 1);
    while (done < m) {
        size_t k = m - done < BATCH ? m - done : BATCH;
        rc = pq_rle_get(&d, c->s->u32, k, c->err);
        if (rc != OCP_OK)
            return pq_cr_ctx(c, rc);
        for (i = 0; i < k; i++)
            dst[done + i] = (uint8_t)(c->s->u32[i] & 1);
        done += k;
    }
    return OCP_OK;
}

static int delta_int_values(struct pq_cr *c, const uint8_t *p, size_t len, size_t m, uint8_t *dst)
{
    size_t used, i;
    int rc;

    if (c->ci->type == PQ_INT64) {
        rc = pq_delta_binary_decode(p, len, m, (int64_t *)(void *)dst, &used, c->err);
        return rc == OCP_OK ? OCP_OK : pq_cr_ctx(c, rc);
    }
    rc = pq_scratch_grow((void **)&c->s->i64, &c->s->i64_cap, (m ? m : 1) * sizeof(int64_t));
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    rc = pq_delta_binary_decode(p, len, m, c->s->i64, &used, c->err);
    if (rc != OCP_OK)
        return pq_cr_ctx(c, rc);
    for (i = 0; i < m; i++) {
        int32_t v = (int32_t)(uint32_t)(uint64_t)c->s->i64[i];
        memcpy(dst + 4 * i, &v, 4);
    }
    return OCP_OK;
}

static int delta_bytes_values(struct pq_cr *c, int enc, const uint8_t *p, size_t len, size_t m,
                              uint8_t *dst)
{
    struct pq_bytes *v;
    size_t used, i;
    int rc;

    rc = pq_scratch_grow((void **)&c->s->views, &c->s->views_cap,
                         (m ? m : 1) * sizeof(struct pq_bytes));
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    v = c->s->views;
    if (enc == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY)
        rc = pq_delta_length_decode(p, len, m, v, &used, c->err);
    else
        rc = pq_delta_byte_array_decode(p, len, m, c->arena, v, &used, c->err);
    if (rc != OCP_OK)
        return pq_cr_ctx(c, rc);
    if (c->ci->type == PQ_BYTE_ARRAY) {
        uint32_t *ids = (uint32_t *)(void *)dst;
        for (i = 0; i < m; i++)
            if ((rc = intern(c, v[i].ptr, v[i].len, &ids[i])) != OCP_OK)
                return rc;
        return OCP_OK;
    }
    for (i = 0; i < m; i++) {
        if (v[i].len != c->slot)
            return pq_cr_fail(c, OCP_ERR_DATA, "fixed-length value of %u bytes, expected %zu",
                              v[i].len, c->slot);
        memcpy(dst + i * c->slot, v[i].ptr, c->slot);
    }
    return OCP_OK;
}

/* Decodes m non-NULL values of encoding enc into dst[0 .. m slots). */
static int decode_all(struct pq_cr *c, int enc, const uint8_t *p, size_t len, size_t m,
                      uint8_t *dst)
{
    enum pq_type t = c->ci->type;
    int rc;

    if (m == 0)
        return OCP_OK;
    switch (enc) {
    case PQ_ENC_PLAIN: return plain_values(c, p, len, 0, m, dst);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: return dict_values(c, p, len, 0, m, dst);
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
        if (t == PQ_INT32 || t == PQ_INT64 || t == PQ_FLOAT || t == PQ_DOUBLE ||
            t == PQ_FIXED_LEN_BYTE_ARRAY) {
            rc = pq_bss_decode(p, len, m, c->slot, dst, c->err);
            return rc == OCP_OK ? OCP_OK : pq_cr_ctx(c, rc);
        }
        break;
    default:
        return pq_cr_fail(c, pq_encoding_status(enc),
                          pq_encoding_status(enc) == OCP_ERR_DATA
                              ? "corrupt page header: encoding id %d does not exist"
                              : "encoding %d is not supported",
                          enc);
    }
    return pq_cr_fail(c, OCP_ERR_DATA, "encoding %s is not valid for %s", pq_encoding_name(enc),
                      pq_type_name(t));
}

/* PLAIN and dictionary pages skip cheaply; the other encodings decode the
 * skipped values too (into scratch) since their streams cannot seek. */
int pq_values_decode(struct pq_cr *c, int enc, const uint8_t *p, size_t len, size_t skip, size_t m,
                     uint8_t *dst)
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
        return pq_cr_fail(c, OCP_ERR_DATA, "page too large");
    rc = pq_scratch_grow((void **)&c->s->tmp, &c->s->tmp_cap, (skip + m) * c->slot + 16);
    if (rc != OCP_OK)
        return pq_cr_fail(c, rc, "out of memory");
    rc = decode_all(c, enc, p, len, skip + m, c->s->tmp);
    if (rc == OCP_OK)
        memcpy(dst, c->s->tmp + skip * c->slot, m * c->slot);
    return rc;
}

/* Fixed-width PLAIN values skip .. skip + m of a page straight to their
 * entries: one forward pass from the page instead of a copy of the dense
 * values and a second pass spreading them (pq_values_expand). */
int pq_values_plain_spread(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                           const int16_t *def, int16_t maxd, size_t nv, uint8_t *dst)
{
    size_t i, j = 0, w = c->slot;
    const uint64_t fill = c->null_fill;

    if (m == 0) { /* nothing decoded, nothing checked (as before) */
        if (w == 8 && fill != 0)
            for (i = 0; i < nv; i++)
                memcpy(dst + 8 * i, &fill, 8);
        else
            memset(dst, 0, nv * w);
        return OCP_OK;
    }
    if (w == 0 || skip + m > len / w)
        return pq_cr_fail(c, OCP_ERR_DATA,
                          "PLAIN values end early: %zu values of %zu bytes in "
                          "%zu bytes",
                          skip + m, w, len);
    p += skip * w;
    /* The index read is clamped to the last value, so a NULL entry after
     * the last value reads inside the page; its bytes are then dropped.
     * Each entry takes a value exactly when its level is maxd, and m
     * counts those entries, so j never passes m. */
    if (w == 8) {
        i = 0;
        if (maxd == 1) {
            /* Eight entries at a time while all eight hold a value (the
             * usual case: NULLs are few or come in runs): one copy. */
            const uint64_t ones = 0x0001000100010001ull;
            for (; i + 8 <= nv && j + 8 <= m;) {
                uint64_t a, b;
                memcpy(&a, def + i, 8);
                memcpy(&b, def + i + 4, 8);
                if (a == ones && b == ones) {
                    memcpy(dst + 8 * i, p + 8 * j, 64);
                    i += 8;
                    j += 8;
                    continue;
                }
                for (size_t stop = i + 8; i < stop; i++) {
                    size_t t = def[i] == maxd;
                    uint64_t x;
                    uint64_t keep = (uint64_t)0 - (uint64_t)t;
                    memcpy(&x, p + 8 * j, 8);        /* j < m: j + 8 <= m above */
                    x = (x & keep) | (fill & ~keep); /* masks, not a branch */
                    memcpy(dst + 8 * i, &x, 8);
                    j += t;
                }
            }
        }
        for (; i < nv; i++) {
            size_t t = def[i] == maxd, k = j < m ? j : m - 1;
            uint64_t x, keep = (uint64_t)0 - (uint64_t)t;
            memcpy(&x, p + 8 * k, 8);
            x = (x & keep) | (fill & ~keep);
            memcpy(dst + 8 * i, &x, 8);
            j += t;
        }
    } else if (w == 4) {
        for (i = 0; i < nv; i++) {
            size_t t = def[i] == maxd, k = j < m ? j : m - 1;
            uint32_t x;
            memcpy(&x, p + 4 * k, 4);
            x &= (uint32_t)0 - (uint32_t)t;
            memcpy(dst + 4 * i, &x, 4);
            j += t;
        }
    } else {
        for (i = 0; i < nv; i++) {
            if (def[i] == maxd && j < m)
                memcpy(dst + w * i, p + w * j++, w);
            else
                memset(dst + w * i, 0, w);
        }
    }
    return OCP_OK;
}

/* String ids of a dictionary page with NULLs: the indices decoded to the
 * front of dst, then spread back to front over the nv entries, each
 * mapped to the file's lasting id (c->remap) on the way: one pass instead
 * of a mapping pass and a spreading pass. */
int pq_values_dict_ids_spread(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                              const int16_t *def, int16_t maxd, size_t nv, uint8_t *dst)
{
    uint32_t *v = (uint32_t *)(void *)dst;
    const uint32_t *map = c->remap;
    size_t i = nv, j = m;
    int rc;

    if (m > 0) {
        rc = dict_values_map(c, p, len, skip, m, dst, 0);
        if (rc != OCP_OK)
            return rc;
    }
    if (map == NULL) {
        pq_values_expand(dst, sizeof(uint32_t), 1, 0, def, maxd, nv, m);
        return OCP_OK;
    }
    if (m == 0) {
        for (i = 0; i < nv; i++)
            v[i] = OCP_NULL_ID;
        return OCP_OK;
    }
    /* Indices are below the dictionary's size (checked while decoding),
     * which remap covers.  The read is clamped to the decoded indices
     * [0, m) so a NULL entry never maps an undecoded slot; its id is
     * dropped anyway. */
    if ((nv - m) * 8 < nv) {
        /* Few NULLs: a branch per entry predicts well (as in
         * pq_values_expand). */
        while (i > j) {
            i--;
            v[i] = def[i] == maxd ? map[v[--j]] : OCP_NULL_ID;
        }
    } else {
        while (i > j) {
            size_t t, k;
            uint32_t x;
            i--;
            t = def[i] == maxd;
            j -= t;
            k = j < m ? j : m - 1;
            x = map[v[k]];
            {
                uint32_t keep = (uint32_t)0 - (uint32_t)t;
                v[i] = (x & keep) | (OCP_NULL_ID & ~keep);
            }
        }
    }
    for (i = 0; i < j; i++)
        v[i] = map[v[i]];
    return OCP_OK;
}

/* Back to front, so it works in place. */
void pq_values_expand(uint8_t *vals, size_t w, int ids, uint64_t fill, const int16_t *def,
                      int16_t maxd, size_t nv, size_t m)
{
    size_t i = nv, j = m;

    /* Few NULLs: a branch per entry predicts well.  Many: branch-free,
     * since NULLs then come in no pattern. */
    if ((nv - m) * 8 < nv) {
        if (ids) {
            uint32_t *v = (uint32_t *)(void *)vals;
            while (i > j) {
                i--;
                v[i] = def[i] == maxd ? v[--j] : OCP_NULL_ID;
            }
            return;
        }
        /* Fixed widths go to the switch below: 8 and 4 bytes take its
         * branch-free loops (a memmove call per value cost more than the
         * rare mispredicted NULL), other widths its branching one. */
    } else if (ids) {
        uint32_t *v = (uint32_t *)(void *)vals;
        while (i > j) {
            size_t t;
            uint32_t x;
            i--;
            t = def[i] == maxd;
            j -= t;
            x = v[j]; /* j <= i: inside the buffer either way */
            v[i] = t ? x : OCP_NULL_ID;
        }
        return;
    }
    switch (w) {
    case 8:
        while (i > j) {
            size_t t;
            uint64_t x;
            i--;
            t = def[i] == maxd;
            j -= t;
            memcpy(&x, vals + 8 * j, 8);
            x = t ? x : fill;
            memcpy(vals + 8 * i, &x, 8);
        }
        break;
    case 4:
        while (i > j) {
            size_t t;
            uint32_t x;
            i--;
            t = def[i] == maxd;
            j -= t;
            memcpy(&x, vals + 4 * j, 4);
            x = t ? x : 0;
            memcpy(vals + 4 * i, &x, 4);
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
