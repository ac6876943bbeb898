/* pq_table.c - the job's input adapter: maps the columns of a line-item
 * table onto a file's leaves, checks their types, converts them into the
 * representation of struct ocp_batch, and gives interval_start bounds from
 * the statistics for pruning. */
#include "ocpagg/text.h"
#include "pq_read_internal.h"

#include <math.h>
#include <string.h>

/* Text: a BYTE_ARRAY that is not a DECIMAL (flat columns, and a label
 * MAP's key and value). */
static int is_text(const struct pq_colinfo *c)
{
    return c->type == PQ_BYTE_ARRAY && c->logical != PQ_LT_DECIMAL;
}

/* Why a leaf cannot serve as a column of a kind, or NULL when it can. */
static const char *unusable(const struct pq_colinfo *c, enum ocp_kind kind)
{
    if (kind == OCP_KIND_LABELS && (c->shape == PQ_SHAPE_MAP_KEY || c->shape == PQ_SHAPE_MAP_VALUE))
        return NULL;
    if (c->shape != PQ_SHAPE_FLAT)
        return "nested";
    if (c->logical == PQ_LT_UNKNOWN)
        return NULL; /* always NULL: fits every kind */
    switch (kind) {
    case OCP_KIND_TIME:
        if (c->type == PQ_INT96 || c->type == PQ_BYTE_ARRAY)
            return NULL;
        if (c->type == PQ_INT64 && c->logical == PQ_LT_TIMESTAMP)
            return NULL;
        if (c->type == PQ_INT32 && c->logical == PQ_LT_DATE)
            return NULL;
        return "is not a timestamp, date or text";
    case OCP_KIND_NUMBER:
        if (c->type == PQ_DOUBLE || c->type == PQ_FLOAT || c->type == PQ_INT32 ||
            c->type == PQ_INT64)
            return NULL;
        if ((c->type == PQ_FIXED_LEN_BYTE_ARRAY || c->type == PQ_BYTE_ARRAY) &&
            c->logical == PQ_LT_DECIMAL)
            return NULL;
        if (c->type == PQ_FIXED_LEN_BYTE_ARRAY && c->logical == PQ_LT_FLOAT16 &&
            c->type_length == 2)
            return NULL;
        return "is not numeric";
    case OCP_KIND_STRING:
    case OCP_KIND_LABELS:
        if (is_text(c))
            return NULL;
        return kind == OCP_KIND_LABELS ? "is not text or a MAP" : "is not text";
    }
    return "has an unknown kind";
}

/* The key or value leaf of a label MAP that is not text, or NULL.  Labels
 * are text to text; the MAP reader would turn numbers into JSON numbers,
 * which no label of a line-item file is, so such a column is as wrong as a
 * flat label column that is not text. */
static const struct pq_colinfo *map_not_text(const struct pq_file *f, const struct pq_colinfo *c)
{
    const struct pq_colinfo *k = &f->cols[c->map_key];

    if (!is_text(k))
        return k;
    if (c->map_value >= 0 && !is_text(&f->cols[c->map_value]))
        return &f->cols[c->map_value];
    return NULL;
}

/* Finds the leaf of every column of the table: idx[j] = leaf or -1. */
static int resolve(struct pq_file *f, enum ocp_table table, const struct ocp_tablespec **tsp,
                   int idx[OCP_MAX_COLUMNS], struct ocp_error *err)
{
    const struct ocp_tablespec *ts = ocp_table_spec(table);
    int j;

    if (ts == NULL || ts->ncols > OCP_MAX_COLUMNS)
        return pq_fail(f, -1, -1, err, OCP_ERR_SOFTWARE, "unknown table %d", (int)table);
    for (j = 0; j < ts->ncols; j++) {
        const struct ocp_colspec *cs = &ts->cols[j];
        const char *why;
        int i = pq_column_find(f, cs->name);
        idx[j] = i;
        if (i < 0) {
            if (cs->required)
                return ocp_error_set(err, OCP_ERR_DATA, f->path, -1, cs->name,
                                     "required column '%s' of %s is missing", cs->name, ts->name);
            continue;
        }
        if (cs->kind == OCP_KIND_LABELS &&
            (f->cols[i].shape == PQ_SHAPE_MAP_KEY || f->cols[i].shape == PQ_SHAPE_MAP_VALUE)) {
            const struct pq_colinfo *bad = map_not_text(f, &f->cols[i]);
            if (bad != NULL)
                return ocp_error_set(err, OCP_ERR_DATA, f->path, -1, cs->name,
                                     "column '%s' is a MAP whose %s %s is %s, not text", cs->name,
                                     bad->shape == PQ_SHAPE_MAP_KEY ? "key" : "value", bad->path,
                                     pq_type_name(bad->type));
        }
        why = unusable(&f->cols[i], cs->kind);
        if (why != NULL) {
            int nested = strcmp(why, "nested") == 0;
            return ocp_error_set(err, nested ? OCP_ERR_UNSUPPORTED : OCP_ERR_DATA, f->path, -1,
                                 cs->name, "column '%s' (%s %s) %s", cs->name,
                                 pq_type_name(f->cols[i].type), f->cols[i].path,
                                 nested ? "is a LIST or nested column, which is not supported "
                                          "here"
                                        : why);
        }
    }
    *tsp = ts;
    return OCP_OK;
}

int pq_table_check(struct pq_file *f, enum ocp_table table, struct ocp_error *err)
{
    const struct ocp_tablespec *ts;
    int idx[OCP_MAX_COLUMNS];

    return resolve(f, table, &ts, idx, err);
}

/* ---- time ---------------------------------------------------------- */

static int64_t days_to_us(int64_t days)
{
    if (days > INT64_MAX / OCP_US_PER_DAY - 1)
        return INT64_MAX;
    if (days < INT64_MIN / OCP_US_PER_DAY + 1)
        return INT64_MIN + 1;
    return days * OCP_US_PER_DAY;
}

static int to_time(const struct pq_file *f, int rg, int col, const struct pq_colvalues *v,
                   struct ocp_arena *arena, const int64_t **out, struct ocp_error *err)
{
    const struct pq_colinfo *c = &f->cols[col];
    int64_t n = v->nrows, i;
    int16_t maxd = (int16_t)c->max_def;
    const int16_t *def = v->null_count > 0 ? v->def : NULL;
    int64_t *ts;

    if (c->logical == PQ_LT_UNKNOWN || v->null_count == n) {
        ts = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (ts == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        for (i = 0; i < n; i++)
            ts[i] = OCP_TS_NULL;
        *out = ts;
        return OCP_OK;
    }
    switch (c->type) {
    case PQ_INT64:
        /* Converted in place: the buffer is ours, in the arena. */
        ts = pq_values_mut(v);
        if (c->time_unit == PQ_UNIT_MILLIS || c->time_unit == PQ_UNIT_NANOS) {
            for (i = 0; i < n; i++)
                pq_timestamp_to_us(ts[i], c->time_unit, &ts[i]);
        } else {
            for (i = 0; i < n; i++)
                if (ts[i] == OCP_TS_NULL)
                    ts[i] = INT64_MIN + 1;
        }
        break;
    case PQ_INT32: {
        const uint8_t *p = v->values;
        ts = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (ts == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        for (i = 0; i < n; i++) {
            int32_t d;
            memcpy(&d, p + 4 * i, 4);
            ts[i] = days_to_us(d);
        }
        break;
    }
    case PQ_INT96: {
        const uint8_t *p = v->values;
        ts = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (ts == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        for (i = 0; i < n; i++)
            pq_int96_to_us(p + 12 * i, &ts[i]);
        break;
    }
    case PQ_BYTE_ARRAY: {
        /* Each distinct string is parsed once; a bad one is an error only
         * when a row of the range uses it. */
        const struct ocp_strdict *d = v->dict;
        int64_t *parsed = ocp_arena_alloc(arena, (size_t)d->count * 8 + 16);
        ts = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (ts == NULL || parsed == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        for (i = 0; i < (int64_t)d->count; i++) {
            size_t len, k;
            const char *s = ocp_strdict_get(d, (uint32_t)i, &len);
            for (k = 0; k < len && (s[k] == ' ' || s[k] == '\t'); k++)
                ;
            if (k == len)
                parsed[i] = OCP_TS_NULL;
            else if (txt_parse_timestamp(s, len, &parsed[i]) != 0)
                parsed[i] = INT64_MIN + 1; /* marks "unparseable" */
            else if (parsed[i] == OCP_TS_NULL || parsed[i] == INT64_MIN + 1)
                parsed[i] = INT64_MIN + 2;
        }
        for (i = 0; i < n; i++) {
            uint32_t id = v->ids[i];
            if (id == OCP_NULL_ID) {
                ts[i] = OCP_TS_NULL;
                continue;
            }
            ts[i] = parsed[id];
            if (ts[i] == INT64_MIN + 1) {
                size_t len;
                const char *s = ocp_strdict_get(d, id, &len);
                return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                               "row %lld: cannot read '%.*s' as a timestamp", (long long)i,
                               (int)(len > 64 ? 64 : len), s);
            }
        }
        *out = ts;
        return OCP_OK;
    }
    default: return pq_fail(f, rg, col, err, OCP_ERR_DATA, "column is not a timestamp");
    }
    if (def != NULL)
        for (i = 0; i < n; i++)
            if (def[i] != maxd)
                ts[i] = OCP_TS_NULL;
    *out = ts;
    return OCP_OK;
}

/* ---- numbers ------------------------------------------------------- */

static int to_number(const struct pq_file *f, int rg, int col, const struct pq_colvalues *v,
                     struct ocp_arena *arena, const double **out, struct ocp_error *err)
{
    const struct pq_colinfo *c = &f->cols[col];
    int64_t n = v->nrows, i;
    int16_t maxd = (int16_t)c->max_def;
    const int16_t *def = v->null_count > 0 ? v->def : NULL;
    const uint8_t *p = v->values;
    double *d, div = 1.0;
    int is_dec = c->logical == PQ_LT_DECIMAL;

    if (is_dec && c->scale != 0)
        div = pow(10.0, c->scale);
    if (c->logical == PQ_LT_UNKNOWN || v->null_count == n) {
        d = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (d == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        for (i = 0; i < n; i++)
            d[i] = NAN;
        *out = d;
        return OCP_OK;
    }
    if (c->type == PQ_DOUBLE) {
        d = pq_values_mut(v);
    } else if (c->type == PQ_INT64) {
        /* In place too: each int64 slot becomes a double slot. */
        d = pq_values_mut(v);
        if (is_dec) {
            for (i = 0; i < n; i++) {
                int64_t x;
                double y;
                memcpy(&x, p + 8 * i, 8);
                y = (double)x / div;
                memcpy(&d[i], &y, 8);
            }
        } else if (c->logical == PQ_LT_INTEGER && !c->int_signed) {
            for (i = 0; i < n; i++) {
                uint64_t x;
                double y;
                memcpy(&x, p + 8 * i, 8);
                y = (double)x;
                memcpy(&d[i], &y, 8);
            }
        } else {
            for (i = 0; i < n; i++) {
                int64_t x;
                double y;
                memcpy(&x, p + 8 * i, 8);
                y = (double)x;
                memcpy(&d[i], &y, 8);
            }
        }
    } else {
        d = ocp_arena_alloc(arena, (size_t)n * 8 + 16);
        if (d == NULL)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        switch (c->type) {
        case PQ_FLOAT:
            for (i = 0; i < n; i++) {
                float x;
                memcpy(&x, p + 4 * i, 4);
                d[i] = x;
            }
            break;
        case PQ_INT32:
            if (c->logical == PQ_LT_INTEGER && !c->int_signed) {
                for (i = 0; i < n; i++) {
                    uint32_t x;
                    memcpy(&x, p + 4 * i, 4);
                    d[i] = x;
                }
            } else {
                for (i = 0; i < n; i++) {
                    int32_t x;
                    memcpy(&x, p + 4 * i, 4);
                    d[i] = x;
                }
                if (is_dec)
                    for (i = 0; i < n; i++)
                        d[i] /= div;
            }
            break;
        case PQ_FIXED_LEN_BYTE_ARRAY: {
            size_t w = (size_t)c->type_length;
            if (c->logical == PQ_LT_FLOAT16) {
                for (i = 0; i < n; i++)
                    d[i] = pq_float16_to_double((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            } else {
                for (i = 0; i < n; i++)
                    d[i] = pq_decimal_to_double(p + w * (size_t)i, w, c->scale);
            }
            break;
        }
        case PQ_BYTE_ARRAY: {
            /* DECIMAL as byte arrays: convert each distinct value once. */
            const struct ocp_strdict *sd = v->dict;
            double *dv = ocp_arena_alloc(arena, (size_t)sd->count * 8 + 16);
            if (dv == NULL)
                return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
            for (i = 0; i < (int64_t)sd->count; i++) {
                size_t len;
                const char *s = ocp_strdict_get(sd, (uint32_t)i, &len);
                dv[i] = pq_decimal_to_double((const uint8_t *)s, len, c->scale);
            }
            for (i = 0; i < n; i++)
                d[i] = v->ids[i] == OCP_NULL_ID ? NAN : dv[v->ids[i]];
            break;
        }
        default: return pq_fail(f, rg, col, err, OCP_ERR_DATA, "column is not numeric");
        }
    }
    /* A DOUBLE column's NULL entries hold NaN already (pq_colvalues). */
    if (def != NULL && c->type != PQ_DOUBLE)
        for (i = 0; i < n; i++)
            d[i] = def[i] == maxd ? d[i] : NAN; /* branch-free */
    *out = d;
    return OCP_OK;
}

/* ---- strings ------------------------------------------------------- */

/* Every text value must be UTF-8: the report is UTF-8 (CSV) or Parquet
 * STRING, and DuckDB refuses a Parquet report holding other bytes.  The
 * check runs once per distinct value (the column's dictionary, whether the
 * file stored the values PLAIN or dictionary-coded), so its cost follows
 * the number of distinct strings, not rows. */
static int check_utf8(const struct pq_file *f, int rg, int col, const struct ocp_strdict *d,
                      uint32_t from, struct ocp_error *err)
{
    for (uint32_t i = from; d != NULL && i < d->count; i++) {
        size_t len, bad;
        const char *s = ocp_strdict_get(d, i, &len);
        size_t show;
        if ((bad = txt_utf8_invalid_at(s, len)) >= len)
            continue;
        /* Quote the valid start of the value, cut at a character. */
        show = bad > 40 ? 40 : bad;
        while (show > 0 && show < bad && ((unsigned char)s[show] & 0xC0) == 0x80)
            show--;
        return pq_fail(f, rg, col, err, OCP_ERR_DATA,
                       "a value is not valid UTF-8 (byte 0x%02X at offset %zu "
                       "of the value starting \"%.*s\")",
                       (unsigned)(unsigned char)s[bad], bad, (int)show, s);
    }
    return OCP_OK;
}

static int all_null_strings(const struct pq_file *f, int rg, int col, int64_t n,
                            struct ocp_arena *arena, struct ocp_strcol *out, struct ocp_error *err)
{
    struct pq_dictbuild b;
    struct ocp_strdict *d;
    uint32_t *ids = ocp_arena_alloc(arena, (size_t)n * 4 + 16);
    int64_t i;

    if (ids == NULL || pq_dictbuild_init(&b, arena, 16, 256) != OCP_OK ||
        pq_dictbuild_finish(&b, &d) != OCP_OK)
        return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
    for (i = 0; i < n; i++)
        ids[i] = OCP_NULL_ID;
    out->ids = ids;
    out->dict = d;
    return OCP_OK;
}

int pq_table_read(struct pq_file *f, enum ocp_table table, int rg, int64_t row_offset,
                  int64_t nrows, struct ocp_arena *arena, struct ocp_batch *out,
                  struct ocp_error *err)
{
    const struct ocp_tablespec *ts;
    int idx[OCP_MAX_COLUMNS];
    struct pq_scratch local, *s = &local;
    struct pq_readcache *cache;
    int j, rc;

    memset(out, 0, sizeof *out);
    memset(&local, 0, sizeof local);
    if ((rc = resolve(f, table, &ts, idx, err)) != OCP_OK)
        return rc;
    if (rg < 0 || rg >= f->nrg || row_offset < 0 || nrows < 0 || row_offset > f->rgs[rg].num_rows ||
        nrows > f->rgs[rg].num_rows - row_offset)
        return pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "rows %lld..+%lld are outside row group %d",
                       (long long)row_offset, (long long)nrows, rg);
    out->table = table;
    out->nrows = (size_t)nrows;
    /* The file's cache (pq_cache.c) keeps string ids stable from call to
     * call; without it (another thread holds it) every call has its own
     * dictionaries. */
    cache = pq_readcache_take(f);
    if (cache != NULL)
        s = pq_readcache_scratch(cache);
    for (j = 0; j < ts->ncols && rc == OCP_OK; j++) {
        struct ocp_column *oc = &out->col[j];
        const struct pq_colinfo *c;
        struct pq_colvalues v;
        struct pq_strcache *sc = NULL;
        int col = idx[j];

        if (col < 0)
            continue;
        c = &f->cols[col];
        oc->present = 1;
        if (c->shape == PQ_SHAPE_MAP_KEY || c->shape == PQ_SHAPE_MAP_VALUE) {
            struct pq_mapcache *mc = cache != NULL ? pq_readcache_map(cache, c->map_key) : NULL;
            rc =
                pq_map_read_json_cached(f, rg, col, row_offset, nrows, arena, s, mc, &oc->str, err);
            if (rc == OCP_OK)
                rc = check_utf8(f, rg, col, oc->str.dict, mc != NULL ? mc->utf8_ok : 0, err);
            if (rc == OCP_OK && mc != NULL)
                mc->utf8_ok = oc->str.dict->count;
            continue;
        }
        if (c->logical == PQ_LT_UNKNOWN &&
            (ts->cols[j].kind == OCP_KIND_STRING || ts->cols[j].kind == OCP_KIND_LABELS)) {
            rc = all_null_strings(f, rg, col, nrows, arena, &oc->str, err);
            continue;
        }
        if (cache != NULL && c->type == PQ_BYTE_ARRAY)
            sc = pq_readcache_str(cache, col);
        rc = pq_chunk_read_cached(f, rg, col, row_offset, nrows, arena, s, sc, &v, err);
        if (rc != OCP_OK)
            break;
        switch (ts->cols[j].kind) {
        case OCP_KIND_TIME: rc = to_time(f, rg, col, &v, arena, &oc->ts, err); break;
        case OCP_KIND_NUMBER: rc = to_number(f, rg, col, &v, arena, &oc->num, err); break;
        case OCP_KIND_STRING:
        case OCP_KIND_LABELS:
            oc->str.ids = v.ids;
            oc->str.dict = v.dict;
            /* A lasting dictionary's older entries were checked before. */
            rc = check_utf8(f, rg, col, v.dict, sc != NULL ? sc->utf8_ok : 0, err);
            if (rc == OCP_OK && sc != NULL)
                sc->utf8_ok = v.dict->count;
            break;
        }
    }
    pq_readcache_put(cache);
    pq_scratch_release(&local);
    return rc;
}

/* ---- statistics for pruning ---------------------------------------- */

int pq_table_time_range(struct pq_file *f, int rg, int64_t *min_us, int64_t *max_us, int *known,
                        struct ocp_error *err)
{
    struct pq_colstats st;
    const struct pq_colinfo *c;
    int col, rc;

    *known = 0;
    *min_us = INT64_MIN;
    *max_us = INT64_MAX;
    col = pq_column_find(f, "interval_start");
    if (col < 0)
        return OCP_OK;
    c = &f->cols[col];
    if (c->shape != PQ_SHAPE_FLAT)
        return OCP_OK;
    if ((rc = pq_column_stats(f, rg, col, &st, err)) != OCP_OK)
        return rc;
    if (!st.has_min || !st.has_max)
        return OCP_OK;
    if (c->type == PQ_INT64 && c->logical == PQ_LT_TIMESTAMP && st.kind == 'i') {
        pq_timestamp_to_us(st.min_i, c->time_unit, min_us);
        pq_timestamp_to_us(st.max_i, c->time_unit, max_us);
        *known = 1;
    } else if (c->type == PQ_INT32 && c->logical == PQ_LT_DATE && st.kind == 'i') {
        *min_us = days_to_us(st.min_i);
        *max_us = days_to_us(st.max_i + 1) - 1;
        *known = 1;
    } else if (c->type == PQ_BYTE_ARRAY && st.min_len >= 10 && st.max_len >= 10) {
        int32_t d0, d1;
        if (txt_parse_date((const char *)st.min, 10, &d0) == 0 &&
            txt_parse_date((const char *)st.max, 10, &d1) == 0) {
            *min_us = days_to_us((int64_t)d0 - 1);
            *max_us = days_to_us((int64_t)d1 + 2) - 1;
            *known = 1;
        }
    }
    if (*known && *min_us > *max_us) {
        *known = 0;
        *min_us = INT64_MIN;
        *max_us = INT64_MAX;
    }
    return OCP_OK;
}
