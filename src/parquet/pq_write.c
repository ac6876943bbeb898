/*
 * pq_write.c - the Parquet writer's life cycle: checking the schema and
 * options, the temporary file, cutting row groups, the footer, and the
 * final rename.
 */
#include "ocpagg/parquet.h"
#include "pq_write_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The public codec values must be the Thrift ones the metadata stores. */
_Static_assert((int)PQ_WRITE_SNAPPY == (int)PQ_CODEC_SNAPPY, "codec ids");
_Static_assert((int)PQ_WRITE_GZIP == (int)PQ_CODEC_GZIP, "codec ids");
_Static_assert((int)PQ_WRITE_ZSTD == (int)PQ_CODEC_ZSTD, "codec ids");

#define PQ_MAX_PAGE_BYTES ((size_t)1 << 30)
#define PQ_MAX_DICT_BYTES ((size_t)1 << 30)

void pq_write_options_init(struct pq_write_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->codec = PQ_WRITE_UNCOMPRESSED;
    opt->page_version = 1;
    opt->row_group_rows = (uint64_t)1 << 20;
    opt->page_bytes = (size_t)1 << 20;
    opt->dict_max_bytes = (size_t)1 << 20;
    opt->dictionary = 1;
}

int pq_write_codec_parse(const char *name, enum pq_write_codec *out, struct ocp_error *err)
{
    /* The codecs the writer offers, named by pq_codec_name (any case);
     * "none" is the short form of UNCOMPRESSED. */
    static const enum pq_write_codec offered[] = {PQ_WRITE_UNCOMPRESSED, PQ_WRITE_SNAPPY,
                                                  PQ_WRITE_GZIP, PQ_WRITE_ZSTD};
    size_t i;

    if (strcasecmp(name, "none") == 0) {
        *out = PQ_WRITE_UNCOMPRESSED;
        return OCP_OK;
    }
    for (i = 0; i < sizeof offered / sizeof offered[0]; i++) {
        if (strcasecmp(name, pq_codec_name((enum pq_codec)offered[i])) == 0) {
            *out = offered[i];
            return OCP_OK;
        }
    }
    return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                         "unknown Parquet codec '%s' (none, snappy, gzip, zstd)", name);
}

static void free_writer(struct pq_writer *w)
{
    size_t i;

    if (w == NULL)
        return;
    if (w->f != NULL)
        fclose(w->f);
    for (i = 0; i < w->nleaves; i++)
        pq_leaf_release(&w->leaves[i]);
    free(w->leaves);
    for (i = 0; i < w->ncols; i++)
        free(w->cols[i].name);
    free(w->cols);
    for (i = 0; i < w->opt.nkv; i++) {
        free((char *)w->kv[i].key);
        free((char *)w->kv[i].value);
    }
    free(w->kv);
    pq_buf_release(&w->rg_meta);
    pq_buf_release(&w->scratch);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

static int check_options(const struct pq_write_options *o, const char *path, struct ocp_error *err)
{
    if (o->page_version != 1 && o->page_version != 2)
        return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL,
                             "page version must be 1 or 2, not %d", o->page_version);
    if (o->codec != PQ_WRITE_UNCOMPRESSED && o->codec != PQ_WRITE_SNAPPY &&
        o->codec != PQ_WRITE_GZIP && o->codec != PQ_WRITE_ZSTD)
        return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL, "unsupported codec %d",
                             (int)o->codec);
    if (o->row_group_rows == 0 || o->page_bytes == 0 || o->page_bytes > PQ_MAX_PAGE_BYTES ||
        o->dict_max_bytes > PQ_MAX_DICT_BYTES)
        return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL,
                             "row group rows must be > 0, page size in "
                             "1..1 GiB and dictionary size at most 1 GiB");
    return OCP_OK;
}

static int check_schema(const struct pq_schema_desc *s, const char *path, struct ocp_error *err)
{
    size_t i, j;

    if (s == NULL || s->ncols == 0 || s->cols == NULL)
        return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL,
                             "a Parquet schema needs at least one column");
    for (i = 0; i < s->ncols; i++) {
        const struct pq_column_desc *c = &s->cols[i];
        if (c->name == NULL || c->name[0] == '\0')
            return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL, "column %zu has no name", i);
        if (c->type < PQ_WT_BOOLEAN || c->type > PQ_WT_MAP)
            return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, c->name, "unknown column type %d",
                                 (int)c->type);
        for (j = 0; j < i; j++)
            if (strcmp(s->cols[j].name, c->name) == 0)
                return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, c->name,
                                     "duplicate column name");
    }
    return OCP_OK;
}

static int use_dict(const struct pq_write_options *o, const struct pq_column_desc *c)
{
    if (!o->dictionary || c->dict == PQ_DICT_OFF || c->type == PQ_WT_BOOLEAN)
        return 0;
    if (c->dict == PQ_DICT_ON)
        return 1;
    return c->type == PQ_WT_STRING || c->type == PQ_WT_MAP;
}

static enum pq_type physical(enum pq_wtype t)
{
    switch (t) {
    case PQ_WT_BOOLEAN: return PQ_BOOLEAN;
    case PQ_WT_INT32:
    case PQ_WT_DATE: return PQ_INT32;
    case PQ_WT_INT64:
    case PQ_WT_TIMESTAMP_MILLIS:
    case PQ_WT_TIMESTAMP_MICROS: return PQ_INT64;
    case PQ_WT_DOUBLE: return PQ_DOUBLE;
    default: return PQ_BYTE_ARRAY;
    }
}

static int build_columns(struct pq_writer *w, const struct pq_schema_desc *s)
{
    size_t i;
    int rc = OCP_OK;

    w->cols = calloc(s->ncols, sizeof *w->cols);
    w->leaves = calloc(s->ncols * 2, sizeof *w->leaves);
    if (w->cols == NULL || w->leaves == NULL)
        return OCP_ERR_OSERR;
    w->ncols = s->ncols;
    for (i = 0; i < s->ncols && rc == OCP_OK; i++) {
        const struct pq_column_desc *c = &s->cols[i];
        struct pq_wcol *wc = &w->cols[i];
        int dict = use_dict(&w->opt, c);
        int opt = c->optional ? 1 : 0;

        wc->name = strdup(c->name);
        if (wc->name == NULL)
            return OCP_ERR_OSERR;
        wc->type = c->type;
        wc->optional = opt;
        wc->utc = c->utc ? 1 : 0;
        wc->json = c->json ? 1 : 0;
        wc->leaf = w->nleaves;
        if (c->type == PQ_WT_MAP) {
            const char *kp[3] = {c->name, "key_value", "key"};
            const char *vp[3] = {c->name, "key_value", "value"};
            rc = pq_leaf_init(&w->leaves[w->nleaves++], kp, 3, PQ_BYTE_ARRAY, opt + 1, 1, dict,
                              w->opt.dict_max_bytes, w->opt.page_statistics);
            if (rc == OCP_OK)
                rc = pq_leaf_init(&w->leaves[w->nleaves++], vp, 3, PQ_BYTE_ARRAY, opt + 2, 1, dict,
                                  w->opt.dict_max_bytes, w->opt.page_statistics);
        } else {
            const char *p[1] = {c->name};
            rc = pq_leaf_init(&w->leaves[w->nleaves++], p, 1, physical(c->type), opt, 0, dict,
                              w->opt.dict_max_bytes, w->opt.page_statistics);
        }
    }
    return rc;
}

static int copy_kv(struct pq_writer *w, const struct pq_write_options *o)
{
    size_t i;

    w->opt.kv = NULL;
    w->opt.nkv = 0;
    if (o->nkv == 0)
        return OCP_OK;
    w->kv = calloc(o->nkv, sizeof *w->kv);
    if (w->kv == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < o->nkv; i++) {
        w->kv[i].key = strdup(o->kv[i].key ? o->kv[i].key : "");
        w->kv[i].value = strdup(o->kv[i].value ? o->kv[i].value : "");
        w->opt.nkv = i + 1;
        if (w->kv[i].key == NULL || w->kv[i].value == NULL)
            return OCP_ERR_OSERR;
    }
    w->opt.kv = w->kv;
    return OCP_OK;
}

static int write_out(struct pq_writer *w, const void *p, size_t n, struct ocp_error *err)
{
    if (n > 0 && fwrite(p, 1, n, w->f) != n)
        return ocp_error_set(err, OCP_ERR_IOERR, w->path, -1, NULL, "cannot write %s: %s",
                             w->tmp_path, strerror(errno));
    w->offset += (int64_t)n;
    return OCP_OK;
}

int pq_writer_create(const char *path, const struct pq_schema_desc *schema,
                     const struct pq_write_options *opt, struct pq_writer **out,
                     struct ocp_error *err)
{
    struct pq_write_options defaults;
    struct pq_writer *w = NULL;
    size_t n;
    int rc;

    *out = NULL;
    if (opt == NULL) {
        pq_write_options_init(&defaults);
        opt = &defaults;
    }
    rc = check_options(opt, path, err);
    if (rc == OCP_OK)
        rc = check_schema(schema, path, err);
    if (rc != OCP_OK)
        return rc;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    w->opt = *opt;
    w->opt.kv = NULL; /* the copies come with copy_kv */
    w->opt.nkv = 0;
    n = strlen(path) + 32;
    w->path = strdup(path);
    w->tmp_path = malloc(n);
    if (w->path == NULL || w->tmp_path == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        goto fail;
    }
    snprintf(w->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    rc = copy_kv(w, opt);
    if (rc == OCP_OK)
        rc = build_columns(w, schema);
    if (rc != OCP_OK) {
        rc = ocp_error_set(err, rc, path, -1, NULL, "out of memory");
        goto fail;
    }
    w->f = fopen(w->tmp_path, "wb");
    if (w->f == NULL) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "cannot create %s: %s",
                           w->tmp_path, strerror(errno));
        goto fail;
    }
    rc = write_out(w, "PAR1", 4, err);
    if (rc != OCP_OK)
        goto fail;
    *out = w;
    return OCP_OK;

fail:
    pq_writer_abort(w);
    return rc;
}

/* Writes the open row group's chunks and records its metadata. */
static int finish_row_group(struct pq_writer *w, struct ocp_error *err)
{
    struct pq_write_ctx c = {&w->opt, w->path, (int64_t)w->nrow_groups};
    struct pq_tw t;
    int64_t rg_start = w->offset, total_unc = 0, total_comp = 0;
    size_t i;
    int rc = OCP_OK;

    if (w->rg_rows == 0)
        return OCP_OK;
    pq_tw_init(&t, &w->rg_meta);
    pq_tw_begin(&t);
    pq_tw_field_list(&t, 1, PQ_TT_STRUCT, w->nleaves);
    for (i = 0; i < w->nleaves && rc == OCP_OK; i++) {
        struct pq_leaf *l = &w->leaves[i];
        int64_t dict_unc = 0, chunk_start, dict_off = -1, data_off;

        rc = pq_leaf_flush_page(l, &c, err);
        if (rc == OCP_OK)
            rc = pq_leaf_finish_stats(l);
        if (rc == OCP_OK)
            rc = pq_leaf_dict_page(l, &c, &w->scratch, &dict_unc, err);
        if (rc != OCP_OK)
            break;
        chunk_start = w->offset;
        if (w->scratch.len > 0) {
            dict_off = w->offset;
            rc = write_out(w, w->scratch.data, w->scratch.len, err);
        }
        data_off = w->offset;
        if (rc == OCP_OK)
            rc = write_out(w, l->pages.data, l->pages.len, err);
        if (rc != OCP_OK)
            return rc; /* write_out's message has the cause (strerror) */
        pq_meta_column_chunk(&t, l, w->opt.codec, chunk_start, dict_off, data_off,
                             dict_unc + l->uncompressed_bytes, w->offset - chunk_start);
        total_unc += dict_unc + l->uncompressed_bytes;
        total_comp += w->offset - chunk_start;
        pq_leaf_reset_chunk(l);
    }
    if (rc != OCP_OK)
        return ocp_error_set(err, rc, w->path, c.row_group, NULL, "cannot write the row group");
    pq_tw_field_i64(&t, 2, total_unc);
    pq_tw_field_i64(&t, 3, (int64_t)w->rg_rows);
    pq_tw_field_i64(&t, 5, rg_start);
    pq_tw_field_i64(&t, 6, total_comp);
    pq_tw_end(&t);
    if (t.status != OCP_OK)
        return ocp_error_set(err, t.status, w->path, c.row_group, NULL, "out of memory");
    w->nrow_groups++;
    w->rg_rows = 0;
    return OCP_OK;
}

int pq_writer_write_batch(struct pq_writer *w, const struct pq_column_data *cols, size_t nrows,
                          struct ocp_error *err)
{
    size_t done = 0;
    int rc = OCP_OK;

    if (w->failed)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL, "writing after a failure");
    while (done < nrows && rc == OCP_OK) {
        uint64_t room = w->opt.row_group_rows - w->rg_rows;
        size_t n = nrows - done;
        if ((uint64_t)n > room)
            n = (size_t)room;
        rc = pq_write_rows(w, cols, done, n, err);
        if (rc != OCP_OK)
            break;
        done += n;
        w->rg_rows += n;
        w->total_rows += n;
        if (w->rg_rows >= w->opt.row_group_rows)
            rc = finish_row_group(w, err);
    }
    if (rc != OCP_OK)
        w->failed = 1;
    return rc;
}

int pq_writer_flush_row_group(struct pq_writer *w, struct ocp_error *err)
{
    int rc;

    if (w->failed)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL, "writing after a failure");
    rc = finish_row_group(w, err);
    if (rc != OCP_OK)
        w->failed = 1;
    return rc;
}

uint64_t pq_writer_rows(const struct pq_writer *w)
{
    return w->total_rows;
}

int pq_writer_close(struct pq_writer *w, struct ocp_error *err)
{
    uint8_t tail[8];
    uint32_t len;
    int rc;
    FILE *f;

    if (w->failed) {
        pq_writer_abort(w);
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "closing a writer after a failure");
    }
    rc = finish_row_group(w, err);
    if (rc != OCP_OK)
        goto fail;
    w->scratch.len = 0;
    rc =
        pq_meta_footer(&w->scratch, w->cols, w->ncols, w->nleaves, w->opt.page_version == 2 ? 2 : 1,
                       (int64_t)w->total_rows, w->nrow_groups, &w->rg_meta, w->opt.kv, w->opt.nkv);
    if (rc != OCP_OK || w->scratch.len > UINT32_MAX) {
        rc = ocp_error_set(err, rc != OCP_OK ? rc : OCP_ERR_DATA, w->path, -1, NULL,
                           "cannot serialize the footer");
        goto fail;
    }
    len = (uint32_t)w->scratch.len;
    tail[0] = (uint8_t)len;
    tail[1] = (uint8_t)(len >> 8);
    tail[2] = (uint8_t)(len >> 16);
    tail[3] = (uint8_t)(len >> 24);
    memcpy(tail + 4, "PAR1", 4);
    rc = write_out(w, w->scratch.data, w->scratch.len, err);
    if (rc == OCP_OK)
        rc = write_out(w, tail, 8, err);
    if (rc != OCP_OK)
        goto fail;
    f = w->f;
    w->f = NULL;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = ocp_error_set(err, OCP_ERR_IOERR, w->path, -1, NULL, "cannot write %s: %s",
                           w->tmp_path, strerror(errno));
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0) {
        rc = ocp_error_set(err, OCP_ERR_IOERR, w->path, -1, NULL, "cannot close %s: %s",
                           w->tmp_path, strerror(errno));
        goto fail;
    }
    if (rename(w->tmp_path, w->path) != 0) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, w->path, -1, NULL,
                           "cannot rename %s into place: %s", w->tmp_path, strerror(errno));
        goto fail;
    }
    free_writer(w);
    return OCP_OK;

fail:
    pq_writer_abort(w);
    return rc;
}

void pq_writer_abort(struct pq_writer *w)
{
    if (w == NULL)
        return;
    if (w->f != NULL) {
        fclose(w->f);
        w->f = NULL;
    }
    if (w->tmp_path != NULL)
        unlink(w->tmp_path);
    free_writer(w);
}
