/*
 * aws_read.c - CUR Parquet files read column by column with our reader
 * and handed to the partial row by row, and the column helpers (find,
 * numbers, times, strings) that the summary reader aws_ocp.c shares.
 *
 * Its own file because only this part of the partial knows Parquet: the
 * partial itself takes raw rows from anywhere (aws_partial_add).
 */
#include <math.h>
#include <stdlib.h>

#include "aws/aws_internal.h"
#include "ocpagg/parquet.h"
#include "ocpagg/text.h"

static const char time_column[] = "lineitem_usagestartdate";

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* The leaf index of a top-level column, or -1 when absent. */
int aws_pq_find_col(struct pq_file *f, const char *name)
{
    int i = pq_column_find(f, name);
    const struct pq_colinfo *c;
    if (i < 0)
        return -1;
    c = pq_file_column(f, i);
    /* pq_column_find also answers dotted paths; accept only the field. */
    if (c == NULL)
        return -1;
    return i;
}

static int is_null(const struct pq_colvalues *v, const struct pq_colinfo *c, int64_t i)
{
    return v->def != NULL && v->def[i] < c->max_def;
}

int aws_pq_read_numbers(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                        double *out, double null_value, struct ocp_error *err)
{
    const struct pq_colinfo *c = pq_file_column(f, col);
    struct pq_colvalues v;
    int64_t i;
    int rc;
    if (c->shape != PQ_SHAPE_FLAT)
        return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                             "a CUR number column must be flat");
    rc = pq_column_read(f, rg, col, 0, nrows, a, &v, err);
    if (rc != OCP_OK)
        return rc;
    for (i = 0; i < nrows; i++) {
        double x = null_value;
        if (!is_null(&v, c, i)) {
            switch (c->type) {
            case PQ_DOUBLE: x = ((const double *)v.values)[i]; break;
            case PQ_FLOAT: x = (double)((const float *)v.values)[i]; break;
            case PQ_INT32:
                x = c->logical == PQ_LT_DECIMAL || c->converted == PQ_CT_DECIMAL
                        ? (double)((const int32_t *)v.values)[i] / pow(10.0, c->scale)
                        : (double)((const int32_t *)v.values)[i];
                break;
            case PQ_INT64:
                x = c->logical == PQ_LT_DECIMAL || c->converted == PQ_CT_DECIMAL
                        ? (double)((const int64_t *)v.values)[i] / pow(10.0, c->scale)
                        : (double)((const int64_t *)v.values)[i];
                break;
            case PQ_FIXED_LEN_BYTE_ARRAY:
                if (c->logical == PQ_LT_DECIMAL || c->converted == PQ_CT_DECIMAL) {
                    x = pq_decimal_to_double((const uint8_t *)v.values +
                                                 (size_t)i * (size_t)c->type_length,
                                             (size_t)c->type_length, c->scale);
                    break;
                }
                /* fall through */
            default:
                return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                                     "unusable type %s for a CUR number", pq_type_name(c->type));
            }
        }
        /* CUR: NULL and unparsable read as 0 (safe_float); the summary
         * keeps NULL as NaN. */
        out[i] = isnan(x) ? null_value : x;
    }
    return OCP_OK;
}

int aws_pq_read_times(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                      int64_t *us, uint8_t *null, struct ocp_error *err)
{
    const struct pq_colinfo *c = pq_file_column(f, col);
    struct pq_colvalues v;
    int64_t i;
    int rc;
    if (c->shape != PQ_SHAPE_FLAT)
        return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                             "the CUR time column must be flat");
    rc = pq_column_read(f, rg, col, 0, nrows, a, &v, err);
    if (rc != OCP_OK)
        return rc;
    for (i = 0; i < nrows; i++) {
        null[i] = (uint8_t)is_null(&v, c, i);
        us[i] = 0;
        if (null[i])
            continue;
        switch (c->type) {
        case PQ_INT64: {
            enum pq_time_unit u = c->time_unit;
            if (c->logical != PQ_LT_TIMESTAMP) {
                if (c->converted == PQ_CT_TIMESTAMP_MILLIS)
                    u = PQ_UNIT_MILLIS;
                else if (c->converted == PQ_CT_TIMESTAMP_MICROS)
                    u = PQ_UNIT_MICROS;
                else
                    goto bad;
            }
            pq_timestamp_to_us(((const int64_t *)v.values)[i], u, &us[i]);
            break;
        }
        case PQ_INT96: pq_int96_to_us((const uint8_t *)v.values + 12 * (size_t)i, &us[i]); break;
        case PQ_INT32:
            if (c->logical != PQ_LT_DATE && c->converted != PQ_CT_DATE)
                goto bad;
            us[i] = (int64_t)((const int32_t *)v.values)[i] * 86400000000ll;
            break;
        case PQ_BYTE_ARRAY: {
            size_t l;
            const char *s;
            if (v.ids[i] == OCP_NULL_ID) {
                null[i] = 1;
                break;
            }
            s = ocp_strdict_get(v.dict, v.ids[i], &l);
            if (l == 0) { /* an empty text is no date: NaT, dropped */
                null[i] = 1;
                break;
            }
            if (txt_parse_timestamp(s, l, &us[i]) != 0)
                return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                                     "row %lld: unparsable time '%.*s'", (long long)i,
                                     (int)(l > 40 ? 40 : l), s);
            break;
        }
        default: goto bad;
        }
    }
    return OCP_OK;
bad:
    return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                         "unusable type %s for the CUR time column", pq_type_name(c->type));
}

int aws_pq_read_strings(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                        struct ocp_strcol *out, struct ocp_error *err)
{
    const struct pq_colinfo *c = pq_file_column(f, col);
    struct pq_colvalues v;
    int rc;
    if (c->shape == PQ_SHAPE_MAP_KEY || c->shape == PQ_SHAPE_MAP_VALUE)
        return pq_map_read_json(f, rg, col, 0, nrows, a, out, err);
    if (c->shape != PQ_SHAPE_FLAT || c->type != PQ_BYTE_ARRAY)
        return ocp_error_set(err, OCP_ERR_DATA, pq_file_path(f), rg, c->top,
                             "unusable type %s for a CUR string column", pq_type_name(c->type));
    rc = pq_column_read(f, rg, col, 0, nrows, a, &v, err);
    if (rc != OCP_OK)
        return rc;
    out->ids = v.ids;
    out->dict = v.dict;
    return OCP_OK;
}

int aws_partial_read_file(struct aws_partial *p, const char *path, struct ocp_error *err)
{
    struct pq_file *f = NULL;
    struct ocp_arena arena;
    int scol[AWS_NSTR], ncol[AWS_NNUM], tcol, rg, nrg, k, rc;

    rc = pq_file_open(path, NULL, &f, err);
    if (rc != OCP_OK)
        return rc;
    tcol = aws_pq_find_col(f, time_column);
    if (tcol < 0) {
        pq_file_close(f);
        return ocp_error_set(err, OCP_ERR_DATA, path, -1, time_column, "the CUR has no column %s",
                             time_column);
    }
    for (k = 0; k < AWS_NSTR; k++)
        scol[k] = aws_pq_find_col(f, aws_str_column_names[k]);
    for (k = 0; k < AWS_NNUM; k++)
        ncol[k] = aws_pq_find_col(f, aws_num_column_names[k]);
    ocp_arena_init(&arena, 1 << 20);
    nrg = pq_file_num_row_groups(f);
    for (rg = 0; rg < nrg && rc == OCP_OK; rg++) {
        int64_t n = pq_row_group_num_rows(f, rg), i;
        struct ocp_strcol sv[AWS_NSTR];
        double *nv[AWS_NNUM];
        int64_t *us;
        uint8_t *nul;
        if (n <= 0)
            continue;
        us = ocp_arena_alloc(&arena, (size_t)n * sizeof *us);
        nul = ocp_arena_alloc(&arena, (size_t)n);
        if (us == NULL || nul == NULL) {
            rc = oom(err);
            break;
        }
        rc = aws_pq_read_times(f, rg, tcol, n, &arena, us, nul, err);
        for (k = 0; k < AWS_NSTR && rc == OCP_OK; k++) {
            sv[k].ids = NULL;
            sv[k].dict = NULL;
            if (scol[k] >= 0)
                rc = aws_pq_read_strings(f, rg, scol[k], n, &arena, &sv[k], err);
        }
        for (k = 0; k < AWS_NNUM && rc == OCP_OK; k++) {
            nv[k] = NULL;
            if (ncol[k] < 0)
                continue;
            nv[k] = ocp_arena_alloc(&arena, (size_t)n * sizeof(double));
            if (nv[k] == NULL)
                rc = oom(err);
            else
                rc = aws_pq_read_numbers(f, rg, ncol[k], n, &arena, nv[k], 0.0, err);
        }
        for (i = 0; i < n && rc == OCP_OK; i++) {
            struct aws_raw_row r;
            r.start_null = nul[i];
            r.start_us = us[i];
            for (k = 0; k < AWS_NSTR; k++) {
                r.str[k] = NULL;
                r.len[k] = 0;
                if (sv[k].ids != NULL && sv[k].ids[i] != OCP_NULL_ID)
                    r.str[k] = ocp_strdict_get(sv[k].dict, sv[k].ids[i], &r.len[k]);
            }
            for (k = 0; k < AWS_NNUM; k++)
                r.num[k] = nv[k] ? nv[k][i] : 0.0;
            rc = aws_partial_add(p, &r, err);
            if (rc != OCP_OK)
                ocp_error_context(err, path, rg, NULL);
        }
        ocp_arena_reset(&arena);
    }
    ocp_arena_release(&arena);
    pq_file_close(f);
    return rc;
}

int aws_partial_read_dataset(struct aws_partial *p, const char *dir, int part, int parts,
                             struct ocp_error *err)
{
    char **paths = NULL;
    size_t n = 0, i;
    int rc;
    if (parts < 1 || part < 0 || part >= parts)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "bad CUR share %d of %d", part,
                             parts);
    rc = pq_dataset_list(dir, &paths, &n, err);
    if (rc != OCP_OK)
        return rc;
    for (i = (size_t)part; i < n && rc == OCP_OK; i += (size_t)parts)
        rc = aws_partial_read_file(p, paths[i], err);
    pq_dataset_free(paths, n);
    return rc;
}
