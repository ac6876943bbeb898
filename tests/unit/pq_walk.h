/*
 * pq_walk.h - reads everything a Parquet file holds through the public
 * reader API and checks what comes back, for the fuzz target
 * (fuzz/pq_fuzz.c) and its regression test (test_pq_fuzz_regress.c).
 *
 * pqw_walk opens a file, walks the schema, and for every row group reads
 * every column's metadata and statistics, every column whole and as a row
 * range with pq_column_read, every MAP as label text with
 * pq_map_read_json, and every line-item table pq_table_check accepts with
 * pq_table_read.  A failing read does not stop the walk: the file stays
 * usable, and the other columns still get exercised.  Every buffer handed
 * back is read to its end, so a buffer shorter than its count shows up
 * under AddressSanitizer, and the values are checked against the
 * invariants parquet.h promises (levels within their maximum, ids inside
 * their dictionary, row counts as asked).
 *
 * The walk returns OCP_OK or the first reader error, or PQW_BROKEN when the
 * reader broke a promise (an error without a message, an id outside its
 * dictionary, ...); why then says what.  Everything here is static so
 * that the header can be included by one translation unit of each user.
 */
#ifndef OCPAGG_PQ_WALK_H
#define OCPAGG_PQ_WALK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "ocpagg/parquet.h"

/* The walk's own status for "the reader broke a promise". */
#define PQW_BROKEN (-1)

/* Column chunks whose footer claims more than this many uncompressed bytes
 * are not decoded: legitimate files can hold such chunks (parquet-testing's
 * large_string_map.brotli.parquet inflates to 2 GiB), and decoding them
 * would exceed the fuzzer's memory limit without finding anything. */
#define PQW_MAX_CHUNK_BYTES ((int64_t)256 << 20)

struct pqw_result {
    int first_rc;         /* first reader error, OCP_OK when none */
    struct ocp_error err; /* that error */
    char why[256];        /* PQW_BROKEN: the broken promise */
    long reads_ok;        /* successful column / map / table reads */
    long reads_failed;    /* reads that ended in a clean error */
};

/* Every byte read from the reader's buffers is folded in here, so that
 * the compiler cannot drop the reads. */
static volatile uint64_t pqw_sink;

static int pqw_broken(struct pqw_result *res, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int pqw_broken(struct pqw_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->why, sizeof res->why, fmt, ap);
    va_end(ap);
    return PQW_BROKEN;
}

static void pqw_touch(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0;
    size_t i;

    for (i = 0; i < n; i++)
        h = h * 31u + b[i];
    pqw_sink += h;
}

/* Notes a reader status: a clean error must carry a known code and a
 * message.  Returns PQW_BROKEN when it does not, else OCP_OK. */
static int pqw_status(struct pqw_result *res, int rc, const struct ocp_error *err, const char *what)
{
    if (rc == OCP_OK) {
        res->reads_ok++;
        return OCP_OK;
    }
    res->reads_failed++;
    if (rc != err->code)
        return pqw_broken(res, "%s returned %d but recorded code %d", what, rc, err->code);
    if (err->message[0] == '\0')
        return pqw_broken(res, "%s failed (%d) without a message", what, rc);
    if (rc != OCP_ERR_DATA && rc != OCP_ERR_UNSUPPORTED && rc != OCP_ERR_IOERR &&
        rc != OCP_ERR_OSERR)
        return pqw_broken(res, "%s failed with unexpected code %d: %s", what, rc, err->message);
    if (res->first_rc == OCP_OK) {
        res->first_rc = rc;
        res->err = *err;
    }
    return OCP_OK;
}

/* Checks a dictionary's offsets and reads its bytes. */
static int pqw_dict(struct pqw_result *res, const struct ocp_strdict *d, const char *what)
{
    uint32_t i;

    if (d == NULL)
        return pqw_broken(res, "%s: no dictionary", what);
    if (d->count > 0 && (d->offsets == NULL || d->data == NULL))
        return pqw_broken(res, "%s: dictionary of %u entries without data", what, d->count);
    if (d->count == 0)
        return OCP_OK;
    if (d->offsets[0] != 0)
        return pqw_broken(res, "%s: dictionary starts at offset %llu", what,
                          (unsigned long long)d->offsets[0]);
    for (i = 0; i < d->count; i++)
        if (d->offsets[i + 1] < d->offsets[i])
            return pqw_broken(res, "%s: dictionary offsets go backwards at %u", what, i);
    pqw_touch(d->data, (size_t)d->offsets[d->count]);
    return OCP_OK;
}

/* Checks an id column of n entries against its dictionary; null[i] (may
 * be NULL) says which entries must be OCP_NULL_ID. */
static int pqw_ids(struct pqw_result *res, const uint32_t *ids, const struct ocp_strdict *d,
                   int64_t n, const unsigned char *null, const char *what)
{
    int64_t i;
    int rc;

    if ((rc = pqw_dict(res, d, what)) != OCP_OK)
        return rc;
    if (n > 0 && ids == NULL)
        return pqw_broken(res, "%s: %lld entries without ids", what, (long long)n);
    for (i = 0; i < n; i++) {
        if (ids[i] == OCP_NULL_ID) {
            if (null != NULL && !null[i])
                return pqw_broken(res, "%s: entry %lld is NULL but defined", what, (long long)i);
            continue;
        }
        if (null != NULL && null[i])
            return pqw_broken(res, "%s: entry %lld is undefined but has id %u", what, (long long)i,
                              ids[i]);
        if (ids[i] >= d->count)
            return pqw_broken(res,
                              "%s: id %u of entry %lld outside a "
                              "dictionary of %u",
                              what, ids[i], (long long)i, d->count);
    }
    return OCP_OK;
}

static size_t pqw_slot(const struct pq_colvalues *v)
{
    switch (v->type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return v->type_length > 0 ? (size_t)v->type_length : 0;
    default: return 0;
    }
}

/* Checks the decoded values of one column read of want rows. */
static int pqw_values(struct pqw_result *res, const struct pq_colinfo *ci,
                      const struct pq_colvalues *v, int64_t want, struct ocp_arena *arena)
{
    unsigned char *null = NULL;
    int64_t i, nulls = 0;

    if (v->nrows != want)
        return pqw_broken(res, "%s: %lld rows read, %lld asked", ci->path, (long long)v->nrows,
                          (long long)want);
    if (v->nlevels < v->nrows || (ci->max_rep == 0 && v->nlevels != v->nrows))
        return pqw_broken(res, "%s: %lld level entries for %lld rows", ci->path,
                          (long long)v->nlevels, (long long)v->nrows);
    if (v->type != ci->type)
        return pqw_broken(res, "%s: values of another type", ci->path);
    if (v->nlevels > 0) {
        null = ocp_arena_calloc(arena, (size_t)v->nlevels, 1);
        if (null == NULL)
            return OCP_OK; /* out of memory: nothing to check against */
    }
    if (ci->max_def > 0 && v->nlevels > 0 && v->def == NULL)
        return pqw_broken(res, "%s: no definition levels", ci->path);
    if (ci->max_rep > 0 && v->nlevels > 0 && v->rep == NULL)
        return pqw_broken(res, "%s: no repetition levels", ci->path);
    for (i = 0; i < v->nlevels; i++) {
        if (v->def != NULL) {
            if (v->def[i] < 0 || v->def[i] > ci->max_def)
                return pqw_broken(res,
                                  "%s: definition level %d at %lld, "
                                  "max %d",
                                  ci->path, v->def[i], (long long)i, ci->max_def);
            if (v->def[i] < ci->max_def) {
                null[i] = 1;
                nulls++;
            }
        }
        if (v->rep != NULL) {
            if (v->rep[i] < 0 || v->rep[i] > ci->max_rep)
                return pqw_broken(res,
                                  "%s: repetition level %d at %lld, "
                                  "max %d",
                                  ci->path, v->rep[i], (long long)i, ci->max_rep);
            if (i == 0 && v->rep[i] != 0)
                return pqw_broken(res, "%s: first entry continues a row", ci->path);
        }
    }
    if (nulls != v->null_count)
        return pqw_broken(res, "%s: null_count %lld, counted %lld", ci->path,
                          (long long)v->null_count, (long long)nulls);
    if (ci->type == PQ_BYTE_ARRAY)
        return pqw_ids(res, v->ids, v->dict, v->nlevels, null, ci->path);
    if (v->nlevels > 0 && v->values == NULL)
        return pqw_broken(res, "%s: no values", ci->path);
    if (v->nlevels > 0)
        pqw_touch(v->values, (size_t)v->nlevels * pqw_slot(v));
    if (v->type == PQ_BOOLEAN)
        for (i = 0; i < v->nlevels; i++)
            if (((const uint8_t *)v->values)[i] > 1)
                return pqw_broken(res, "%s: boolean %u at %lld", ci->path,
                                  ((const uint8_t *)v->values)[i], (long long)i);
    return OCP_OK;
}

/* Reads rows [off, off + n) of column c; n < 0 means to the end. */
static int pqw_read_column(struct pqw_result *res, const struct pq_file *f, int rg, int c,
                           int64_t off, int64_t n, struct ocp_arena *arena)
{
    const struct pq_colinfo *ci = pq_file_column(f, c);
    struct pq_colvalues v;
    struct ocp_error err;
    int64_t want = n >= 0 ? n : pq_row_group_num_rows(f, rg) - off;
    int rc;

    ocp_error_clear(&err);
    rc = pq_column_read(f, rg, c, off, n, arena, &v, &err);
    if (rc != OCP_OK)
        return pqw_status(res, rc, &err, "pq_column_read");
    res->reads_ok++;
    return pqw_values(res, ci, &v, want, arena);
}

static int pqw_read_map(struct pqw_result *res, const struct pq_file *f, int rg, int c,
                        struct ocp_arena *arena)
{
    const struct pq_colinfo *ci = pq_file_column(f, c);
    struct ocp_strcol m;
    struct ocp_error err;
    int64_t n = pq_row_group_num_rows(f, rg);
    uint32_t i;
    int rc;

    ocp_error_clear(&err);
    rc = pq_map_read_json(f, rg, c, 0, -1, arena, &m, &err);
    if (rc != OCP_OK)
        return pqw_status(res, rc, &err, "pq_map_read_json");
    res->reads_ok++;
    if ((rc = pqw_ids(res, m.ids, m.dict, n, NULL, ci->path)) != OCP_OK)
        return rc;
    /* Every label text is a JSON object. */
    for (i = 0; i < m.dict->count; i++) {
        size_t len;
        const char *s = ocp_strdict_get(m.dict, i, &len);
        if (len < 2 || s[0] != '{' || s[len - 1] != '}')
            return pqw_broken(res, "%s: label text %u is not a JSON object", ci->path, i);
    }
    return OCP_OK;
}

/* Reads the whole row group rg as each line-item table the file passes
 * pq_table_check for. */
static int pqw_read_tables(struct pqw_result *res, struct pq_file *f, int rg,
                           struct ocp_arena *arena)
{
    int t, k, rc;
    int64_t n = pq_row_group_num_rows(f, rg);

    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        const struct ocp_tablespec *spec = ocp_table_spec((enum ocp_table)t);
        struct ocp_batch b;
        struct ocp_error err;

        ocp_error_clear(&err);
        if (pq_table_check(f, (enum ocp_table)t, &err) != OCP_OK)
            continue;
        rc = pq_table_read(f, (enum ocp_table)t, rg, 0, n, arena, &b, &err);
        if (rc != OCP_OK) {
            if ((rc = pqw_status(res, rc, &err, "pq_table_read")) != OCP_OK)
                return rc;
            ocp_arena_reset(arena);
            continue;
        }
        res->reads_ok++;
        if ((int64_t)b.nrows != n)
            return pqw_broken(res, "table %s: %zu rows, %lld asked", spec->name, b.nrows,
                              (long long)n);
        for (k = 0; k < spec->ncols; k++) {
            const struct ocp_column *oc = &b.col[k];
            if (!oc->present) {
                if (spec->cols[k].required)
                    return pqw_broken(res,
                                      "table %s: required column %s "
                                      "absent",
                                      spec->name, spec->cols[k].name);
                continue;
            }
            switch (spec->cols[k].kind) {
            case OCP_KIND_TIME: pqw_touch(oc->ts, (size_t)n * sizeof *oc->ts); break;
            case OCP_KIND_NUMBER: pqw_touch(oc->num, (size_t)n * sizeof *oc->num); break;
            default:
                rc = pqw_ids(res, oc->str.ids, oc->str.dict, n, NULL, spec->cols[k].name);
                if (rc != OCP_OK)
                    return rc;
            }
        }
        ocp_arena_reset(arena);
    }
    return OCP_OK;
}

/* Metadata, statistics and reads of one column chunk. */
static int pqw_chunk(struct pqw_result *res, struct pq_file *f, int rg, int c,
                     struct ocp_arena *arena)
{
    const struct pq_colinfo *ci = pq_file_column(f, c);
    struct pq_chunkinfo info;
    struct pq_colstats st;
    struct ocp_error err;
    int64_t n = pq_row_group_num_rows(f, rg);
    int rc;

    if (ci == NULL)
        return pqw_broken(res, "column %d of %d missing", c, pq_file_num_columns(f));
    ocp_error_clear(&err);
    rc = pq_chunk_info(f, rg, c, &info, &err);
    if (rc != OCP_OK)
        return pqw_status(res, rc, &err, "pq_chunk_info");
    ocp_error_clear(&err);
    rc = pq_column_stats(f, rg, c, &st, &err);
    if (rc != OCP_OK) {
        if ((rc = pqw_status(res, rc, &err, "pq_column_stats")) != OCP_OK)
            return rc;
    } else {
        if (st.has_min)
            pqw_touch(st.min, st.min_len);
        if (st.has_max)
            pqw_touch(st.max, st.max_len);
    }
    if (info.uncompressed_size > PQW_MAX_CHUNK_BYTES)
        return OCP_OK;
    rc = pqw_read_column(res, f, rg, c, 0, -1, arena);
    ocp_arena_reset(arena);
    /* A range in the middle skips pages and, for nested columns, cuts
     * at row starts. */
    if (rc == OCP_OK && n >= 3)
        rc = pqw_read_column(res, f, rg, c, n / 3, n / 3, arena);
    ocp_arena_reset(arena);
    if (rc == OCP_OK && ci->shape == PQ_SHAPE_MAP_KEY)
        rc = pqw_read_map(res, f, rg, c, arena);
    ocp_arena_reset(arena);
    return rc;
}

/* Walks the file at path as described at the top; opt may be NULL. */
static int pqw_walk(const char *path, const struct pq_open_options *opt, struct pqw_result *res)
{
    struct pq_file *f = NULL;
    struct ocp_arena arena;
    struct ocp_error err;
    int rc, rg, c, k;

    memset(res, 0, sizeof *res);
    ocp_error_clear(&res->err);
    ocp_error_clear(&err);
    rc = pq_file_open(path, opt, &f, &err);
    if (rc != OCP_OK) {
        if (f != NULL)
            return pqw_broken(res, "pq_file_open failed but returned a file");
        if ((rc = pqw_status(res, rc, &err, "pq_file_open")) != OCP_OK)
            return rc;
        return res->first_rc;
    }
    ocp_arena_init(&arena, 0);
    /* The header accessors, as ocpagg-inspect uses them. */
    pqw_touch(pq_file_path(f), strlen(pq_file_path(f)));
    if (pq_file_created_by(f) != NULL)
        pqw_touch(pq_file_created_by(f), strlen(pq_file_created_by(f)));
    for (k = 0; k < (int)pq_file_kv_count(f); k++) {
        const char *key, *value;
        if (pq_file_kv(f, (size_t)k, &key, &value) != OCP_OK) {
            rc = pqw_broken(res, "key/value entry %d of %zu missing", k, pq_file_kv_count(f));
            goto done;
        }
        pqw_touch(key, strlen(key));
        if (value != NULL)
            pqw_touch(value, strlen(value));
    }
    for (c = 0; c < pq_file_num_columns(f); c++) {
        const struct pq_colinfo *ci = pq_file_column(f, c);
        char buf[128];
        pqw_touch(ci->path, strlen(ci->path));
        pq_logical_describe(ci, buf, sizeof buf);
        if (pq_column_find(f, ci->path) < 0) {
            rc = pqw_broken(res, "pq_column_find cannot find '%s'", ci->path);
            goto done;
        }
    }
    for (rg = 0; rg < pq_file_num_row_groups(f); rg++) {
        int64_t lo = 0, hi = 0;
        int have = 0;
        if (pq_row_group_num_rows(f, rg) < 0) {
            rc = pqw_broken(res, "row group %d has a negative row count", rg);
            goto done;
        }
        for (c = 0; c < pq_file_num_columns(f); c++)
            if ((rc = pqw_chunk(res, f, rg, c, &arena)) != OCP_OK)
                goto done;
        if ((rc = pqw_read_tables(res, f, rg, &arena)) != OCP_OK)
            goto done;
        ocp_error_clear(&err);
        if (pq_table_check(f, OCP_TABLE_POD, &err) == OCP_OK) {
            rc = pq_table_time_range(f, rg, &lo, &hi, &have, &err);
            if (rc != OCP_OK && (rc = pqw_status(res, rc, &err, "pq_table_time_range")) != OCP_OK)
                goto done;
            if (rc == OCP_OK && have && lo > hi) {
                rc = pqw_broken(res, "row group %d: time range %lld > %lld", rg, (long long)lo,
                                (long long)hi);
                goto done;
            }
        }
    }
    rc = res->first_rc;
done:
    ocp_arena_release(&arena);
    pq_file_close(f);
    return rc;
}

#endif
