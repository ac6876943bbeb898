/* pq_column.c - decoding a column chunk, or a row range of it: locating
 * and reading the chunk's bytes, walking its pages, and placing each
 * page's entries into the output buffers. */
#include "pq_read_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* First guess at a page header's size when reading page by page. */
#define HEADER_GUESS 1024
/* Largest page header we accept (statistics can make them big). */
#define HEADER_MAX ((size_t)64 << 20)
/* Largest number of entries decoded in one call (2^28: 2 GiB of doubles);
 * bigger flat row groups are read in row ranges (the job's chunk_rows is
 * capped at the same number); a bigger nested chunk is refused with
 * OCP_ERR_UNSUPPORTED naming file, row group and column. */
#define MAX_ENTRIES ((int64_t)1 << 28)

void pq_scratch_release(struct pq_scratch *s)
{
    free(s->raw);
    free(s->page);
    free(s->u32);
    free(s->u16);
    free(s->i64);
    free(s->views);
    free(s->tmp);
    free(s->tdef);
    free(s->trep);
    memset(s, 0, sizeof *s);
}

int pq_scratch_grow(void **buf, size_t *cap, size_t need)
{
    size_t ncap;

    if (*cap >= need && *buf != NULL)
        return OCP_OK;
    ncap = *cap * 2;
    if (ncap < need)
        ncap = need;
    if (ncap < 4096)
        ncap = 4096;
    free(*buf);
    *buf = malloc(ncap);
    if (*buf == NULL) {
        *cap = 0;
        return OCP_ERR_OSERR;
    }
    *cap = ncap;
    return OCP_OK;
}

/* Where the chunk's bytes are: all in s->raw (whole), or read page by
 * page through s->raw as a window. */
struct src {
    int whole;
    int64_t start, len; /* chunk bytes in the file */
    int64_t win_pos;    /* window mode: chunk offset of s->raw */
    size_t win_len;
};

static int read_header(struct pq_cr *c, struct src *src, int64_t pos, struct pq_page_header *h)
{
    int64_t left = src->len - pos;
    size_t want;
    int rc;

    if (src->whole) {
        rc = pq_page_header_decode(c->s->raw + pos, (size_t)left, h, c->err);
        if (rc == 1)
            return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_DATA,
                           "page header at chunk offset %lld runs past the "
                           "end of the column chunk",
                           (long long)pos);
    } else {
        want = left < HEADER_GUESS ? (size_t)left : HEADER_GUESS;
        for (;;) {
            rc = pq_scratch_grow((void **)&c->s->raw, &c->s->raw_cap, want);
            if (rc != OCP_OK)
                return pq_fail(c->f, c->rg, c->col, c->err, rc, "out of memory");
            rc = pq_pread_full(c->f, c->s->raw, want, src->start + pos, c->err);
            if (rc != OCP_OK)
                break;
            src->win_pos = pos;
            src->win_len = want;
            rc = pq_page_header_decode(c->s->raw, want, h, c->err);
            if (rc != 1)
                break;
            if ((int64_t)want >= left || want >= HEADER_MAX)
                return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_DATA,
                               "page header at chunk offset %lld runs past "
                               "the end of the column chunk",
                               (long long)pos);
            want *= 8;
            if ((int64_t)want > left)
                want = (size_t)left;
        }
    }
    if (rc != OCP_OK) {
        ocp_error_context(c->err, c->f->path, c->rg, c->ci->path);
        return rc;
    }
    if ((int64_t)h->header_len + h->compressed_size > left)
        return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_DATA,
                       "page of %d bytes at chunk offset %lld runs past the "
                       "end of the column chunk (%lld bytes)",
                       (int)h->compressed_size, (long long)pos, (long long)src->len);
    return OCP_OK;
}

/* The stored bytes of the page whose header was just read at pos. */
static int read_body(struct pq_cr *c, struct src *src, int64_t pos, const struct pq_page_header *h,
                     const uint8_t **body)
{
    size_t need = h->header_len + (size_t)h->compressed_size;
    int rc;

    if (src->whole) {
        *body = c->s->raw + pos + h->header_len;
        return OCP_OK;
    }
    if (src->win_pos != pos || src->win_len < need) {
        rc = pq_scratch_grow((void **)&c->s->raw, &c->s->raw_cap, need);
        if (rc != OCP_OK)
            return pq_fail(c->f, c->rg, c->col, c->err, rc, "out of memory");
        rc = pq_pread_full(c->f, c->s->raw, need, src->start + pos, c->err);
        if (rc != OCP_OK) {
            ocp_error_context(c->err, c->f->path, c->rg, c->ci->path);
            return rc;
        }
        src->win_pos = pos;
        src->win_len = need;
    }
    *body = c->s->raw + h->header_len;
    return OCP_OK;
}

static int is_data(const struct pq_page_header *h)
{
    return h->type == PQ_PAGE_DATA || h->type == PQ_PAGE_DATA_V2;
}

/* Sums the level entries of the data pages from chunk offset pos to the
 * end of the chunk, which may hold at most room of them.  The walk goes on
 * after the footer's count is reached: a data page past the chunk's values
 * (a page written twice) would otherwise never be seen, and its rows be
 * lost without a word.  Stopping at the first surplus page also bounds the
 * sum. */
static int count_entries(struct pq_cr *c, struct src *src, int64_t pos, int64_t room,
                         int64_t *total)
{
    struct pq_page_header h;
    int64_t sum = 0;
    int rc;

    while (pos < src->len) {
        if ((rc = read_header(c, src, pos, &h)) != OCP_OK)
            return rc;
        if (is_data(&h)) {
            if (h.num_values < 0)
                return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_DATA,
                               "data page with a negative value count");
            sum += h.num_values;
            if (sum > room)
                return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_DATA,
                               "data page at chunk offset %lld holds values past the chunk "
                               "metadata's %lld",
                               (long long)pos, (long long)c->cm->num_values);
        }
        pos += (int64_t)h.header_len + h.compressed_size;
    }
    *total = sum;
    return OCP_OK;
}

static int chunk_range(const struct pq_file *f, int rg, int col, const struct pq_chunkmeta *cm,
                       struct src *src, struct ocp_error *err)
{
    int64_t start = cm->data_page_offset;

    /* Offset 0 is the magic number, so a dictionary offset below 4 means
     * "no dictionary page" (some writers store 0). */
    if (cm->dictionary_page_offset >= 4 && cm->dictionary_page_offset < start)
        start = cm->dictionary_page_offset;
    if (start < 4 || start >= f->file_size || cm->total_compressed > f->file_size - start ||
        cm->total_compressed <= 0)
        return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                       "column chunk (offset %lld, %lld bytes) lies outside "
                       "the file (%lld bytes)",
                       (long long)start, (long long)cm->total_compressed, (long long)f->file_size);
    src->start = start;
    src->len = cm->total_compressed;
    return OCP_OK;
}

/* Index of the entry where row `row` starts (nent when row == rows). */
static int64_t row_start(const int16_t *rep, int64_t nent, int64_t row)
{
    int64_t i, seen = -1;

    for (i = 0; i < nent; i++) {
        if (rep[i] == 0 && ++seen == row)
            return i;
    }
    return nent;
}

/* An empty row range: valid empty buffers (and an empty dictionary). */
static int read_empty(struct pq_cr *c, struct pq_colvalues *out)
{
    struct pq_dictbuild db;
    struct ocp_strdict *d;

    out->column = c->col;
    out->type = c->ci->type;
    out->type_length = c->ci->type_length;
    if (c->ci->type == PQ_BYTE_ARRAY) {
        if (pq_dictbuild_init(&db, c->arena, 16, 256) != OCP_OK ||
            pq_dictbuild_finish(&db, &d) != OCP_OK ||
            (out->ids = ocp_arena_alloc(c->arena, 16)) == NULL)
            return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_OSERR, "out of memory");
        out->dict = d;
    } else if ((out->values = ocp_arena_alloc(c->arena, 16)) == NULL) {
        return pq_fail(c->f, c->rg, c->col, c->err, OCP_ERR_OSERR, "out of memory");
    }
    return OCP_OK;
}

int pq_chunk_read(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                  struct ocp_arena *arena, struct pq_scratch *s, struct pq_colvalues *out,
                  struct ocp_error *err)
{
    return pq_chunk_read_cached(f, rg, col, row_offset, nrows, arena, s, NULL, out, err);
}

int pq_chunk_read_cached(const struct pq_file *f, int rg, int col, int64_t row_offset,
                         int64_t nrows, struct ocp_arena *arena, struct pq_scratch *s,
                         struct pq_strcache *sc, struct pq_colvalues *out, struct ocp_error *err)
{
    struct pq_cr c;
    struct pq_dictbuild db;
    struct src src;
    struct pq_page_header h;
    struct pq_dest dst;
    const struct pq_colinfo *ci;
    int64_t rgrows, cap = 0, pos = 0, before = 0, seen = 0, want_hi, i, extra;
    int64_t null_count = 0;
    int flat, rc, all_read;
    uint8_t *vals;
    int16_t *def = NULL, *rep = NULL;

    memset(out, 0, sizeof *out);
    if (rg < 0 || rg >= f->nrg || col < 0 || col >= f->ncols)
        return pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "row group %d / column %d out of range", rg,
                       col);
    ci = &f->cols[col];
    rgrows = f->rgs[rg].num_rows;
    if (nrows < 0)
        nrows = rgrows - row_offset;
    if (row_offset < 0 || row_offset > rgrows || nrows < 0 || nrows > rgrows - row_offset)
        return pq_fail(f, rg, col, err, OCP_ERR_USAGE,
                       "rows %lld..+%lld outside the row group's %lld rows", (long long)row_offset,
                       (long long)nrows, (long long)rgrows);
    memset(&c, 0, sizeof c);
    c.f = f;
    c.rg = rg;
    c.col = col;
    c.ci = ci;
    c.cm = &f->rgs[rg].cols[col];
    c.arena = arena;
    c.s = s;
    c.err = err;
    c.slot = pq_slot_size(ci);
    if (ci->type == PQ_DOUBLE) {
        const double nan = NAN;
        memcpy(&c.null_fill, &nan, sizeof nan);
    }
    flat = ci->max_rep == 0;
    want_hi = row_offset + nrows;
    if (flat && c.cm->num_values != rgrows)
        return pq_fail(f, rg, col, err, OCP_ERR_DATA, "column chunk has %lld values for %lld rows",
                       (long long)c.cm->num_values, (long long)rgrows);
    memset(&src, 0, sizeof src);
    src.win_pos = -1;
    if (ci->type != PQ_BYTE_ARRAY)
        sc = NULL;
    if (nrows == 0 && flat && sc == NULL)
        return read_empty(&c, out);
    if (nrows == 0 && flat) {
        out->column = col;
        out->type = ci->type;
        out->type_length = ci->type_length;
        out->dict = pq_strcache_view(sc, arena);
        out->ids = ocp_arena_alloc(arena, 16);
        if (out->dict == NULL || out->ids == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        return OCP_OK;
    }
    if ((rc = chunk_range(f, rg, col, c.cm, &src, err)) != OCP_OK)
        return rc;
    src.whole = !flat || (row_offset == 0 && nrows == rgrows) ||
                src.len <= (int64_t)f->opt.whole_chunk_bytes;
    if (src.whole) {
        rc = pq_scratch_grow((void **)&s->raw, &s->raw_cap, (size_t)src.len);
        if (rc != OCP_OK)
            return pq_fail(f, rg, col, err, rc, "out of memory");
        rc = pq_pread_full(f, s->raw, (size_t)src.len, src.start, err);
        if (rc != OCP_OK) {
            ocp_error_context(err, f->path, rg, ci->path);
            return rc;
        }
    }
    if (src.whole) {
        /* The page headers must back the footer's count before anything
         * that size is allocated. */
        if ((rc = count_entries(&c, &src, 0, c.cm->num_values, &cap)) != OCP_OK)
            return rc;
        if (cap != c.cm->num_values)
            return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                           "pages hold %lld values, the chunk metadata says "
                           "%lld",
                           (long long)cap, (long long)c.cm->num_values);
    }
    if (flat)
        cap = nrows;
    /* A flat read never asks for more (the job's chunk_rows is capped at
     * the same 2^28).  A nested chunk is decoded whole, and its entry
     * count, though backed by the page headers, is not bounded by the
     * file's size (an RLE run of empty lists costs a few bytes), so a
     * chunk above the cap is valid input this reader cannot take in one
     * piece: say so, and how to avoid it, rather than allocate blindly. */
    if (cap > MAX_ENTRIES)
        return pq_fail(f, rg, col, err, flat ? OCP_ERR_USAGE : OCP_ERR_UNSUPPORTED,
                       "%s column chunk holds %lld entries; at most %lld are "
                       "decoded at once%s",
                       flat ? "a read of the" : "the nested", (long long)cap,
                       (long long)MAX_ENTRIES,
                       flat ? "" : " (write this file with smaller row groups)");
    if (sc != NULL) {
        c.db = &sc->db;
        c.sc = sc;
    } else if (ci->type == PQ_BYTE_ARRAY) {
        if (pq_dictbuild_init(&db, arena, 1024, 16384) != OCP_OK)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        c.db = &db;
    }
    vals = ocp_arena_alloc(arena, (size_t)cap * c.slot + 16 + PQ_VALS_PAD);
    if (vals != NULL)
        vals += PQ_VALS_PAD;
    /* The footer says the chunk has no NULLs: PLAIN pages can be
     * decompressed in place (pq_page.c checks every page anyway). */
    c.direct = flat && vals != NULL &&
               (ci->max_def == 0 ||
                (c.cm->has_stats && c.cm->stats.has_null_count && c.cm->stats.null_count == 0));
    if (ci->max_def > 0)
        def = ocp_arena_alloc(arena, (size_t)cap * sizeof(int16_t) + 16);
    if (ci->max_rep > 0)
        rep = ocp_arena_alloc(arena, (size_t)cap * sizeof(int16_t) + 16);
    if (vals == NULL || (ci->max_def > 0 && def == NULL) || (ci->max_rep > 0 && rep == NULL))
        return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory for %lld values",
                       (long long)cap);

    while (pos < src.len && seen < c.cm->num_values && !(flat && before >= want_hi)) {
        const uint8_t *body;
        int64_t nulls;

        if ((rc = read_header(&c, &src, pos, &h)) != OCP_OK)
            return rc;
        if (h.type == PQ_PAGE_DICTIONARY) {
            if (seen > 0)
                return pq_fail(f, rg, col, err, OCP_ERR_DATA, "dictionary page after data pages");
            if ((rc = read_body(&c, &src, pos, &h, &body)) != OCP_OK ||
                (rc = pq_page_dict(&c, &h, body)) != OCP_OK)
                return rc;
        } else if (is_data(&h)) {
            int64_t nv = h.num_values;
            if (nv < 0 || nv > c.cm->num_values - seen)
                return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                               "data pages hold more values than the chunk "
                               "metadata's %lld",
                               (long long)c.cm->num_values);
            if (!flat) {
                dst.vals = vals + (size_t)seen * c.slot;
                dst.def = def ? def + seen : NULL;
                dst.rep = rep + seen;
                if ((rc = read_body(&c, &src, pos, &h, &body)) != OCP_OK ||
                    (rc = pq_page_data(&c, &h, body, 0, (size_t)nv, &dst, &nulls)) != OCP_OK)
                    return rc;
            } else if (nv > 0 && before + nv > row_offset) {
                int64_t lo = before, hi = before + nv;
                if ((rc = read_body(&c, &src, pos, &h, &body)) != OCP_OK)
                    return rc;
                {
                    int64_t from = lo < row_offset ? row_offset : lo;
                    int64_t to = hi > want_hi ? want_hi : hi;
                    dst.vals = vals + (size_t)(from - row_offset) * c.slot;
                    dst.def = def ? def + (from - row_offset) : NULL;
                    dst.rep = NULL;
                    rc = pq_page_data(&c, &h, body, (size_t)(from - lo), (size_t)(to - lo), &dst,
                                      &nulls);
                    null_count += nulls;
                }
                if (rc != OCP_OK)
                    return rc;
            }
            before += nv;
            seen += nv;
        }
        pos += (int64_t)h.header_len + h.compressed_size;
    }
    all_read = pos >= src.len || seen >= c.cm->num_values;
    if (flat && before < want_hi)
        return pq_fail(f, rg, col, err, OCP_ERR_DATA, "column chunk ends after %lld of %lld rows",
                       (long long)before, (long long)rgrows);
    /* A windowed read was not walked whole by count_entries: the read
     * that ends the chunk walks what follows its last page, which in a
     * sound chunk is nothing. */
    if (!src.whole && want_hi == rgrows && pos < src.len &&
        (rc = count_entries(&c, &src, pos, c.cm->num_values - seen, &extra)) != OCP_OK)
        return rc;
    if (all_read && seen != c.cm->num_values)
        return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                       "pages hold %lld values, the chunk metadata says %lld", (long long)seen,
                       (long long)c.cm->num_values);

    out->nrows = nrows;
    out->nlevels = nrows;
    if (!flat) {
        int64_t e0, e1, rows = 0;
        for (i = 0; i < cap; i++)
            rows += rep[i] == 0;
        if (rows != rgrows)
            return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                           "repetition levels give %lld rows, the row group "
                           "has %lld",
                           (long long)rows, (long long)rgrows);
        /* The whole row group (a chunk's usual read) needs no search:
         * its rows were counted above. */
        if (row_offset == 0 && nrows == rgrows) {
            e0 = 0;
            e1 = cap;
        } else {
            e0 = row_start(rep, cap, row_offset);
            e1 = row_start(rep + e0, cap - e0, nrows) + e0;
        }
        vals += (size_t)e0 * c.slot;
        if (def)
            def += e0;
        rep += e0;
        out->nlevels = e1 - e0;
    }
    out->null_count = null_count;
    if (def != NULL && !flat) {
        int64_t nn = 0;
        int16_t maxd = (int16_t)ci->max_def;
        for (i = 0; i < out->nlevels; i++)
            nn += def[i] == maxd;
        out->null_count = out->nlevels - nn;
    }
    out->def = def;
    out->rep = rep;
    if (ci->type == PQ_BYTE_ARRAY) {
        struct ocp_strdict *d;
        if (sc != NULL) {
            if ((d = pq_strcache_view(sc, arena)) == NULL)
                return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        } else if (pq_dictbuild_finish(&db, &d) != OCP_OK)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        out->ids = (const uint32_t *)(const void *)vals;
        out->dict = d;
    } else {
        out->values = vals;
    }
    out->dict_encoded = c.have_dict;
    out->column = col;
    out->type = ci->type;
    out->type_length = ci->type_length;
    return OCP_OK;
}

int pq_column_read(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                   struct ocp_arena *arena, struct pq_colvalues *out, struct ocp_error *err)
{
    struct pq_scratch s;
    int rc;

    memset(&s, 0, sizeof s);
    rc = pq_chunk_read(f, rg, col, row_offset, nrows, arena, &s, out, err);
    pq_scratch_release(&s);
    return rc;
}
