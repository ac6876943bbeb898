/* pq_file.c - opening a Parquet file: magic bytes, footer, schema; the
 * accessors of the public header; chunk metadata and statistics. */
#include "pq_read_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PQ_DEFAULT_MAX_FOOTER ((size_t)256 << 20)
#define PQ_DEFAULT_WHOLE_CHUNK ((size_t)4 << 20)

void pq_open_options_init(struct pq_open_options *opt)
{
    memset(opt, 0, sizeof *opt);
    /* Checking costs one crc32 pass over each page that carries a CRC
     * (most writers, ours included, write none); a flipped byte otherwise
     * changes the report silently. */
    opt->check_crc = 1;
    opt->max_footer_bytes = PQ_DEFAULT_MAX_FOOTER;
    opt->whole_chunk_bytes = PQ_DEFAULT_WHOLE_CHUNK;
}

int pq_fail(const struct pq_file *f, int rg, int col, struct ocp_error *err, int code,
            const char *fmt, ...)
{
    char msg[OCP_ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ocp_error_set(err, code, f ? f->path : NULL, rg,
                         (f && col >= 0 && col < f->ncols) ? f->cols[col].path : NULL, "%s", msg);
}

int pq_pread_full(const struct pq_file *f, uint8_t *dst, size_t len, int64_t off,
                  struct ocp_error *err)
{
    while (len > 0) {
        ssize_t n =
            pread(f->fd, dst, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return pq_fail(f, -1, -1, err, OCP_ERR_IOERR, "read failed: %s", strerror(errno));
        }
        if (n == 0)
            return pq_fail(f, -1, -1, err, OCP_ERR_DATA, "file ends early (truncated?)");
        dst += n;
        len -= (size_t)n;
        off += n;
    }
    return OCP_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A column chunk's bytes in the file, for the overlap check. */
struct span {
    int64_t start, end; /* [start, end) */
    int rg, col;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    /* Ties in file order, so that the error names the later entry. */
    if (x->rg != y->rg)
        return x->rg < y->rg ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Two column chunks never share bytes: each page belongs to one chunk.  A
 * row group listed twice (with the file's row count raised to match) would
 * otherwise read the same rows twice.  Chunks whose range is not sane are
 * left to chunk_range (pq_column.c), which refuses them when read; the
 * start is computed the same way. */
static int check_overlap(struct pq_file *f, struct ocp_error *err)
{
    struct span *sp;
    size_t n = 0, i;
    int r, c;

    if ((int64_t)f->nrg * f->ncols < 2)
        return OCP_OK;
    /* As many as the footer holds chunks, each of which took more bytes
     * there than a span takes here; freed below. */
    sp = malloc((size_t)f->nrg * (size_t)f->ncols * sizeof *sp);
    if (sp == NULL)
        return pq_fail(f, -1, -1, err, OCP_ERR_OSERR, "out of memory");
    for (r = 0; r < f->nrg; r++) {
        for (c = 0; c < f->ncols; c++) {
            const struct pq_chunkmeta *m = &f->rgs[r].cols[c];
            int64_t start = m->data_page_offset;
            if (m->dictionary_page_offset >= 4 && m->dictionary_page_offset < start)
                start = m->dictionary_page_offset;
            if (start < 4 || start >= f->file_size || m->total_compressed <= 0 ||
                m->total_compressed > f->file_size - start)
                continue;
            sp[n++] = (struct span){start, start + m->total_compressed, r, c};
        }
    }
    qsort(sp, n, sizeof *sp, span_cmp);
    for (i = 1; i < n; i++) {
        if (sp[i].start < sp[i - 1].end) {
            int rc = pq_fail(f, sp[i].rg, sp[i].col, err, OCP_ERR_DATA,
                             "corrupt footer: column chunk bytes %lld..%lld overlap row "
                             "group %d's chunk of %s",
                             (long long)sp[i].start, (long long)sp[i].end, sp[i - 1].rg,
                             f->cols[sp[i - 1].col].path);
            free(sp);
            return rc;
        }
    }
    free(sp);
    return OCP_OK;
}

/* Checks what the readers rely on: one chunk per leaf with matching
 * types, sane counts, the row groups adding up to the file's row count,
 * no two chunks on the same bytes. */
static int validate(struct pq_file *f, struct ocp_error *err)
{
    int64_t total = 0;
    int r, c;

    if (f->num_rows < 0)
        return pq_fail(f, -1, -1, err, OCP_ERR_DATA, "corrupt footer: negative row count");
    for (r = 0; r < f->nrg; r++) {
        const struct pq_rowgroup *rg = &f->rgs[r];
        if (rg->num_rows < 0)
            return pq_fail(f, r, -1, err, OCP_ERR_DATA, "corrupt footer: negative row count");
        /* Readers iterate row groups, so a row group missing from the
         * list (or listed twice) would silently lose (or double) rows;
         * the file's count is the only witness.  Both are non-negative,
         * so the sum overflows only past INT64_MAX. */
        if (rg->num_rows > INT64_MAX - total)
            return pq_fail(f, r, -1, err, OCP_ERR_DATA,
                           "corrupt footer: the row groups' row counts overflow");
        total += rg->num_rows;
        if (rg->ncols != f->ncols)
            return pq_fail(f, r, -1, err, OCP_ERR_DATA,
                           "corrupt footer: %d column chunks for %d columns", rg->ncols, f->ncols);
        for (c = 0; c < rg->ncols; c++) {
            const struct pq_chunkmeta *m = &rg->cols[c];
            if (m->encrypted)
                return pq_fail(f, r, c, err, OCP_ERR_UNSUPPORTED,
                               "encrypted column chunks are not supported");
            if (!m->has_meta)
                return pq_fail(f, r, c, err, OCP_ERR_DATA,
                               "corrupt footer: column chunk has no metadata");
            if (m->has_file_path)
                return pq_fail(f, r, c, err, OCP_ERR_UNSUPPORTED,
                               "column data in another file is not supported");
            if (m->type != f->cols[c].type)
                return pq_fail(f, r, c, err, OCP_ERR_DATA,
                               "corrupt footer: chunk type %s differs from "
                               "schema type %s",
                               pq_type_name(m->type), pq_type_name(f->cols[c].type));
            if (m->num_values < 0 || m->total_compressed < 0)
                return pq_fail(f, r, c, err, OCP_ERR_DATA,
                               "corrupt footer: negative size or count");
        }
    }
    /* Old parquet-rs (0.3, parquet-testing's repeated_no_annotation)
     * wrote 0 there whatever the row groups held: no count to check
     * against, and nothing of the row groups is lost by reading them. */
    if (total != f->num_rows && f->num_rows != 0)
        return pq_fail(f, -1, -1, err, OCP_ERR_DATA,
                       "corrupt footer: %lld rows in row groups, the footer says %lld",
                       (long long)total, (long long)f->num_rows);
    return check_overlap(f, err);
}

int pq_file_open(const char *path, const struct pq_open_options *opt, struct pq_file **out,
                 struct ocp_error *err)
{
    struct pq_file *f = NULL;
    struct stat st;
    uint8_t head[4], tail[8];
    uint32_t flen;
    int rc;

    *out = NULL;
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    f->fd = -1;
    ocp_arena_init(&f->meta, 0);
    if (opt != NULL)
        f->opt = *opt;
    else
        pq_open_options_init(&f->opt);
    if (f->opt.max_footer_bytes == 0)
        f->opt.max_footer_bytes = PQ_DEFAULT_MAX_FOOTER;
    if (f->opt.whole_chunk_bytes == 0)
        f->opt.whole_chunk_bytes = PQ_DEFAULT_WHOLE_CHUNK;
    f->path = strdup(path);
    if (f->path == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        goto fail;
    }
    /* O_NONBLOCK: a FIFO named *.parquet must not hang the open; it is
     * refused just below.  Regular files ignore the flag. */
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f->fd < 0) {
        int e0 = errno;
        rc = ocp_error_set(err, pq_errno_status(e0), path, -1, NULL, "cannot open: %s",
                           strerror(e0));
        goto fail;
    }
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ocp_error_set(err, OCP_ERR_NOINPUT, path, -1, NULL, "not a regular file");
        goto fail;
    }
    f->file_size = (int64_t)st.st_size;
    if (f->file_size < 12) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_DATA, "not a Parquet file: only %lld bytes",
                     (long long)f->file_size);
        goto fail;
    }
    if ((rc = pq_pread_full(f, head, 4, 0, err)) != OCP_OK ||
        (rc = pq_pread_full(f, tail, 8, f->file_size - 8, err)) != OCP_OK)
        goto fail;
    if (memcmp(tail + 4, "PARE", 4) == 0) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_UNSUPPORTED,
                     "encrypted Parquet files are not supported");
        goto fail;
    }
    if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_DATA, "not a Parquet file (no PAR1 magic)");
        goto fail;
    }
    flen = le32(tail);
    if ((int64_t)flen > f->file_size - 12 || flen == 0) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_DATA,
                     "corrupt or truncated file: footer length %u, file size "
                     "%lld",
                     flen, (long long)f->file_size);
        goto fail;
    }
    if (flen > f->opt.max_footer_bytes) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_DATA, "footer of %u bytes exceeds the limit of %zu",
                     flen, f->opt.max_footer_bytes);
        goto fail;
    }
    f->footer_len = flen;
    f->footer = malloc(flen);
    if (f->footer == NULL) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_OSERR, "out of memory");
        goto fail;
    }
    rc = pq_pread_full(f, f->footer, flen, f->file_size - 8 - (int64_t)flen, err);
    if (rc != OCP_OK)
        goto fail;
    if ((rc = pq_meta_decode(f, f->footer, flen, err)) != OCP_OK)
        goto fail;
    if (f->has_encryption) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_UNSUPPORTED,
                     "encrypted Parquet files are not supported");
        goto fail;
    }
    if ((rc = pq_schema_build(f, err)) != OCP_OK || (rc = validate(f, err)) != OCP_OK)
        goto fail;
    if (pq_readcache_create(f) != OCP_OK) {
        rc = pq_fail(f, -1, -1, err, OCP_ERR_OSERR, "out of memory");
        goto fail;
    }
    *out = f;
    return OCP_OK;

fail:
    pq_file_close(f);
    return rc;
}

void pq_file_close(struct pq_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    pq_readcache_free(f->cache);
    ocp_arena_release(&f->meta);
    free(f->footer);
    free(f->path);
    free(f);
}

const char *pq_file_path(const struct pq_file *f)
{
    return f->path;
}
int64_t pq_file_num_rows(const struct pq_file *f)
{
    return f->num_rows;
}
int pq_file_num_row_groups(const struct pq_file *f)
{
    return f->nrg;
}
const char *pq_file_created_by(const struct pq_file *f)
{
    return f->created_by;
}
int pq_file_version(const struct pq_file *f)
{
    return f->version;
}
size_t pq_file_kv_count(const struct pq_file *f)
{
    return f->nkv;
}
int pq_file_num_columns(const struct pq_file *f)
{
    return f->ncols;
}

int64_t pq_row_group_num_rows(const struct pq_file *f, int rg)
{
    if (rg < 0 || rg >= f->nrg)
        return -1;
    return f->rgs[rg].num_rows;
}

int pq_file_kv(const struct pq_file *f, size_t i, const char **key, const char **value)
{
    if (i >= f->nkv)
        return OCP_ERR_USAGE;
    *key = f->kv_keys[i];
    *value = f->kv_values[i];
    return OCP_OK;
}

const struct pq_colinfo *pq_file_column(const struct pq_file *f, int i)
{
    if (i < 0 || i >= f->ncols)
        return NULL;
    return &f->cols[i];
}

int pq_chunk_info(const struct pq_file *f, int rg, int col, struct pq_chunkinfo *out,
                  struct ocp_error *err)
{
    const struct pq_chunkmeta *m;

    if (rg < 0 || rg >= f->nrg || col < 0 || col >= f->ncols)
        return pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "row group %d / column %d out of range", rg,
                       col);
    m = &f->rgs[rg].cols[col];
    memset(out, 0, sizeof *out);
    out->codec = m->codec;
    out->encodings = m->encodings;
    out->num_values = m->num_values;
    out->compressed_size = m->total_compressed;
    out->uncompressed_size = m->total_uncompressed;
    out->data_page_offset = m->data_page_offset;
    out->dictionary_page_offset = m->dictionary_page_offset;
    out->has_stats = m->has_stats;
    return OCP_OK;
}

/* ---- statistics ---------------------------------------------------- */

static int64_t rd_le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* Decodes one bound; returns 0 when it cannot be used (wrong size, NaN). */
static int decode_bound(const struct pq_colinfo *c, const uint8_t *p, size_t len, char *kind,
                        int64_t *iv, double *dv)
{
    switch (c->type) {
    case PQ_INT32: {
        int32_t v;
        if (len != 4)
            return 0;
        v = (int32_t)le32(p);
        if (c->logical == PQ_LT_DECIMAL) {
            *kind = 'd';
            *dv = v / pow(10.0, c->scale);
        } else if (c->logical == PQ_LT_INTEGER && !c->int_signed) {
            *kind = 'i';
            *iv = (int64_t)(uint32_t)v;
        } else {
            *kind = 'i';
            *iv = v;
        }
        return 1;
    }
    case PQ_INT64: {
        int64_t v;
        if (len != 8)
            return 0;
        v = rd_le64(p);
        if (c->logical == PQ_LT_DECIMAL) {
            *kind = 'd';
            *dv = (double)v / pow(10.0, c->scale);
        } else if (c->logical == PQ_LT_INTEGER && !c->int_signed && v < 0) {
            *kind = 'd';
            *dv = (double)(uint64_t)v;
        } else {
            *kind = 'i';
            *iv = v;
        }
        return 1;
    }
    case PQ_FLOAT: {
        uint32_t u;
        float v;
        if (len != 4)
            return 0;
        u = le32(p);
        memcpy(&v, &u, 4);
        if (isnan(v))
            return 0;
        *kind = 'd';
        *dv = v;
        return 1;
    }
    case PQ_DOUBLE: {
        int64_t u;
        double v;
        if (len != 8)
            return 0;
        u = rd_le64(p);
        memcpy(&v, &u, 8);
        if (isnan(v))
            return 0;
        *kind = 'd';
        *dv = v;
        return 1;
    }
    case PQ_FIXED_LEN_BYTE_ARRAY:
    case PQ_BYTE_ARRAY:
        if (c->logical == PQ_LT_FLOAT16 && len == 2) {
            double v = pq_float16_to_double((uint16_t)(p[0] | p[1] << 8));
            if (isnan(v))
                return 0;
            *kind = 'd';
            *dv = v;
            return 1;
        }
        if (c->logical == PQ_LT_DECIMAL && len > 0) {
            *kind = 'd';
            *dv = pq_decimal_to_double(p, len, c->scale);
            return 1;
        }
        *kind = 0;
        return 1;
    default: *kind = 0; return 1;
    }
}

int pq_column_stats(const struct pq_file *f, int rg, int col, struct pq_colstats *out,
                    struct ocp_error *err)
{
    const struct pq_chunkmeta *m;
    const struct pq_rawstats *s;
    const struct pq_colinfo *c;
    char kmin = 0, kmax = 0;

    memset(out, 0, sizeof *out);
    if (rg < 0 || rg >= f->nrg || col < 0 || col >= f->ncols)
        return pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "row group %d / column %d out of range", rg,
                       col);
    m = &f->rgs[rg].cols[col];
    c = &f->cols[col];
    if (!m->has_stats)
        return OCP_OK;
    s = &m->stats;
    out->has_null_count = s->has_null_count;
    out->null_count = s->null_count;
    out->has_distinct_count = s->has_distinct_count;
    out->distinct_count = s->distinct_count;
    if (s->has_min_value || s->has_max_value) {
        out->has_min = s->has_min_value;
        out->has_max = s->has_max_value;
        out->min = s->min_value;
        out->min_len = s->min_value_len;
        out->max = s->max_value;
        out->max_len = s->max_value_len;
    } else if (s->has_min || s->has_max) {
        out->has_min = s->has_min;
        out->has_max = s->has_max;
        out->min = s->min;
        out->min_len = s->min_len;
        out->max = s->max;
        out->max_len = s->max_len;
        out->deprecated = 1;
    }
    if (out->has_min && !decode_bound(c, out->min, out->min_len, &kmin, &out->min_i, &out->min_d))
        out->has_min = 0;
    if (out->has_max && !decode_bound(c, out->max, out->max_len, &kmax, &out->max_i, &out->max_d))
        out->has_max = 0;
    out->kind = out->has_min ? kmin : kmax;
    return OCP_OK;
}
