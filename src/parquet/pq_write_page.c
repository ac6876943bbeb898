/*
 * pq_write_page.c - turning a leaf column's buffered page into bytes: the
 * levels (RLE / bit-packed hybrid), the values (PLAIN, or a bit width and
 * hybrid-coded dictionary indices), compression, and the Thrift page
 * header, for DATA_PAGE (v1), DATA_PAGE_V2 and the DICTIONARY_PAGE.
 */
#include "pq_write_internal.h"

#include <string.h>

#include "pq_codec.h"

/* Pages hold at most this many level entries, so the int32 counts of the
 * page header fit whatever the page byte size, and readers that decode a
 * page at once get bounded pages even for 1-bit dictionary indices. */
#define PQ_PAGE_MAX_ENTRIES (1u << 20)

static int put_u32le(struct pq_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return pq_buf_append(b, x, 4);
}

/* Appends n hybrid-encoded levels; with a 4-byte length in front for v1
 * pages. */
static int encode_levels(struct pq_leaf *l, struct pq_buf *out, const uint32_t *lv, int max_level,
                         int prefixed)
{
    size_t at = out->len;
    int rc;

    if (prefixed) {
        rc = put_u32le(out, 0);
        if (rc != OCP_OK)
            return rc;
    }
    rc = pq_rle_encode(out, lv, l->nlevels, pq_bit_width((uint32_t)max_level));
    if (rc != OCP_OK)
        return rc;
    if (prefixed) {
        size_t n = out->len - at - 4;
        if (n > INT32_MAX)
            return OCP_ERR_DATA;
        out->data[at] = (uint8_t)n;
        out->data[at + 1] = (uint8_t)(n >> 8);
        out->data[at + 2] = (uint8_t)(n >> 16);
        out->data[at + 3] = (uint8_t)(n >> 24);
    }
    return OCP_OK;
}

static int dict_bit_width(const struct pq_leaf *l)
{
    /* At least one bit: a width of 0 is legal but some readers trip on
     * it. */
    int w = pq_bit_width(l->nentries > 0 ? l->nentries - 1 : 0);
    return w < 1 ? 1 : w;
}

/* Appends the page's values section to out. */
static int encode_values(struct pq_leaf *l, struct pq_buf *out, int *encoding)
{
    int rc;

    if (l->nidx > 0) {
        uint8_t w = (uint8_t)dict_bit_width(l);
        *encoding = PQ_ENC_RLE_DICTIONARY;
        rc = pq_buf_append(out, &w, 1);
        if (rc == OCP_OK)
            rc = pq_rle_encode(out, l->idx, l->nidx, w);
        return rc;
    }
    *encoding = PQ_ENC_PLAIN;
    return l->plain.len > 0 ? pq_buf_append(out, l->plain.data, l->plain.len) : OCP_OK;
}

static int fits_i32(size_t n)
{
    return n <= (size_t)INT32_MAX;
}

int pq_leaf_maybe_flush(struct pq_leaf *l, const struct pq_write_ctx *c, struct ocp_error *err)
{
    size_t est = l->plain.len + l->nlevels / 4;

    if (l->nidx > 0)
        est += l->nidx * (size_t)dict_bit_width(l) / 8;
    if (est >= c->opt->page_bytes || l->nlevels >= PQ_PAGE_MAX_ENTRIES)
        return pq_leaf_flush_page(l, c, err);
    return OCP_OK;
}

/* Compresses src into out (replacing its contents); UNCOMPRESSED copies. */
static int compress(const struct pq_write_ctx *c, enum pq_codec codec, const struct pq_buf *src,
                    struct pq_buf *out, struct ocp_error *err)
{
    if (codec == PQ_CODEC_UNCOMPRESSED) {
        out->len = 0;
        return src->len > 0 ? pq_buf_append(out, src->data, src->len) : OCP_OK;
    }
    return pq_compress(codec, c->opt->codec_level, src->data, src->len, out, err);
}

int pq_leaf_flush_page(struct pq_leaf *l, const struct pq_write_ctx *c, struct ocp_error *err)
{
    int v2 = c->opt->page_version == 2;
    int encoding = PQ_ENC_PLAIN;
    size_t def_len = 0, rep_len = 0, uncompressed, compressed;
    int compressed_values = 0;
    struct pq_tw t;
    int rc;

    if (l->nlevels == 0)
        return OCP_OK;
    l->body.len = 0;
    l->levels.len = 0;

    /* Levels: repetition first, then definition, in both page versions;
     * v1 puts them (length-prefixed) into the compressed body, v2 keeps
     * them uncompressed in front of it. */
    {
        struct pq_buf *lv = v2 ? &l->levels : &l->body;
        size_t before;
        rc = OCP_OK;
        if (l->max_rep > 0) {
            before = lv->len;
            rc = encode_levels(l, lv, l->rep, l->max_rep, !v2);
            rep_len = lv->len - before;
        }
        if (rc == OCP_OK && l->max_def > 0) {
            before = lv->len;
            rc = encode_levels(l, lv, l->def, l->max_def, !v2);
            def_len = lv->len - before;
        }
        if (rc != OCP_OK)
            goto fail;
    }
    rc = encode_values(l, &l->body, &encoding);
    if (rc != OCP_OK)
        goto fail;

    /* An empty values section is never handed to a codec: some readers
     * cannot decompress an empty stream. */
    if (v2 && l->body.len == 0) {
        rc = compress(c, PQ_CODEC_UNCOMPRESSED, &l->body, &l->comp, err);
    } else {
        compressed_values = c->opt->codec != PQ_WRITE_UNCOMPRESSED;
        rc = compress(c, (enum pq_codec)c->opt->codec, &l->body, &l->comp, err);
    }
    if (rc != OCP_OK)
        goto fail;
    uncompressed = l->levels.len + l->body.len;
    /* The page as stored after its header: v2 levels, then the
     * (compressed) body; l->levels becomes that whole byte string. */
    if (l->comp.len > 0)
        rc = pq_buf_append(&l->levels, l->comp.data, l->comp.len);
    if (rc != OCP_OK)
        goto fail;
    compressed = l->levels.len;
    if (!fits_i32(uncompressed) || !fits_i32(compressed)) {
        rc = ocp_error_set(err, OCP_ERR_DATA, c->file, c->row_group, l->dotted,
                           "page larger than 2 GiB");
        goto fail;
    }

    l->header.len = 0;
    pq_tw_init(&t, &l->header);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, v2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA);
    pq_tw_field_i32(&t, 2, (int32_t)uncompressed);
    pq_tw_field_i32(&t, 3, (int32_t)compressed);
    if (c->opt->page_crc) /* over the page exactly as stored */
        pq_tw_field_i32(&t, 4, (int32_t)pq_crc32(l->levels.data, l->levels.len));
    if (!v2) {
        pq_tw_field_struct(&t, 5);
        pq_tw_field_i32(&t, 1, (int32_t)l->nlevels);
        pq_tw_field_i32(&t, 2, encoding);
        pq_tw_field_i32(&t, 3, PQ_ENC_RLE);
        pq_tw_field_i32(&t, 4, PQ_ENC_RLE);
        if (l->page_stats_on)
            pq_tw_field_stats(&t, 5, &l->page_stats);
        pq_tw_end(&t);
    } else {
        pq_tw_field_struct(&t, 8);
        pq_tw_field_i32(&t, 1, (int32_t)l->nlevels);
        pq_tw_field_i32(&t, 2, (int32_t)l->page_nulls);
        pq_tw_field_i32(&t, 3, (int32_t)l->page_rows);
        pq_tw_field_i32(&t, 4, encoding);
        pq_tw_field_i32(&t, 5, (int32_t)def_len);
        pq_tw_field_i32(&t, 6, (int32_t)rep_len);
        pq_tw_field_bool(&t, 7, compressed_values);
        if (l->page_stats_on)
            pq_tw_field_stats(&t, 8, &l->page_stats);
        pq_tw_end(&t);
    }
    pq_tw_end(&t);
    rc = t.status;
    if (rc == OCP_OK)
        rc = pq_buf_append(&l->pages, l->header.data, l->header.len);
    if (rc == OCP_OK && l->levels.len > 0)
        rc = pq_buf_append(&l->pages, l->levels.data, l->levels.len);
    if (rc != OCP_OK)
        goto fail;

    l->uncompressed_bytes += (int64_t)(l->header.len + uncompressed);
    l->num_values += (int64_t)l->nlevels;
    if (encoding == PQ_ENC_RLE_DICTIONARY)
        l->dict_pages++;
    else
        l->used_plain = 1;
    l->nlevels = 0;
    l->nidx = 0;
    l->plain.len = 0;
    l->bool_count = 0;
    l->page_rows = 0;
    l->page_nulls = 0;
    l->page_stats.null_count = 0;
    l->page_stats.has_minmax = 0;
    return OCP_OK;

fail:
    if (err != NULL && err->code == OCP_OK)
        ocp_error_set(err, rc, c->file, c->row_group, l->dotted, "cannot encode a data page");
    ocp_error_context(err, c->file, c->row_group, l->dotted);
    return rc;
}

int pq_leaf_dict_page(struct pq_leaf *l, const struct pq_write_ctx *c, struct pq_buf *out,
                      int64_t *uncompressed, struct ocp_error *err)
{
    struct pq_tw t;
    int rc;

    out->len = 0;
    *uncompressed = 0;
    if (l->dict_pages == 0)
        return OCP_OK;
    rc = compress(c, (enum pq_codec)c->opt->codec, &l->dict_plain, &l->comp, err);
    if (rc != OCP_OK)
        goto fail;
    if (!fits_i32(l->dict_plain.len) || !fits_i32(l->comp.len)) {
        rc = OCP_ERR_DATA;
        goto fail;
    }
    pq_tw_init(&t, out);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, PQ_PAGE_DICTIONARY);
    pq_tw_field_i32(&t, 2, (int32_t)l->dict_plain.len);
    pq_tw_field_i32(&t, 3, (int32_t)l->comp.len);
    if (c->opt->page_crc)
        pq_tw_field_i32(&t, 4, (int32_t)pq_crc32(l->comp.data, l->comp.len));
    pq_tw_field_struct(&t, 7);
    pq_tw_field_i32(&t, 1, (int32_t)l->nentries);
    pq_tw_field_i32(&t, 2, PQ_ENC_PLAIN);
    pq_tw_field_bool(&t, 3, 0);
    pq_tw_end(&t);
    pq_tw_end(&t);
    rc = t.status;
    *uncompressed = (int64_t)(out->len + l->dict_plain.len);
    if (rc == OCP_OK && l->comp.len > 0)
        rc = pq_buf_append(out, l->comp.data, l->comp.len);
    if (rc != OCP_OK)
        goto fail;
    return OCP_OK;

fail:
    if (err != NULL && err->code == OCP_OK)
        ocp_error_set(err, rc, c->file, c->row_group, l->dotted,
                      "cannot encode the dictionary page");
    return rc;
}
