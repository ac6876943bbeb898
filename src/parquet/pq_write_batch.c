/*
 * pq_write_batch.c - turning the caller's column arrays into levels and
 * values of the writer's leaf columns, row by row.
 *
 * A flat column has definition level 1 for a value and 0 for NULL (no
 * levels when REQUIRED).  A MAP column follows the three-level shape
 * "optional group m (MAP) { repeated group key_value { required key;
 * optional value } }": per row, a NULL map is one entry at definition
 * level 0, an empty map one entry at level 1, and a map of n pairs n
 * entries with repetition level 0 for the first and 1 for the others (all
 * levels one lower when the map is REQUIRED).
 */
#include "pq_write_internal.h"

#include <math.h>
#include <string.h>

enum str_form { STR_BAD = 0, STR_IDS, STR_OFFSETS, STR_CSTR };

static enum str_form strings_form(const struct pq_strings *s)
{
    int n = (s->ids != NULL || s->dict != NULL) + (s->offsets != NULL || s->data != NULL) +
            (s->cstr != NULL);

    if (n != 1)
        return STR_BAD;
    if (s->ids != NULL && s->dict != NULL)
        return STR_IDS;
    if (s->offsets != NULL && s->data != NULL)
        return STR_OFFSETS;
    return s->cstr != NULL ? STR_CSTR : STR_BAD;
}

static int str_is_null(const struct pq_strings *s, enum str_form f, size_t i)
{
    if (f == STR_IDS)
        return s->ids[i] == OCP_NULL_ID;
    if (f == STR_CSTR)
        return s->cstr[i] == NULL;
    return 0;
}

static int put_str(struct pq_leaf *l, const struct pq_strings *s, enum str_form f, size_t i,
                   uint32_t rep)
{
    if (f == STR_IDS)
        return pq_leaf_put_dict_id(l, s->dict, s->ids[i], rep);
    if (f == STR_OFFSETS) {
        if (s->offsets[i + 1] < s->offsets[i])
            return OCP_ERR_DATA;
        return pq_leaf_put_bytes(l, s->data + s->offsets[i],
                                 (size_t)(s->offsets[i + 1] - s->offsets[i]), rep);
    }
    return pq_leaf_put_bytes(l, s->cstr[i], strlen(s->cstr[i]), rep);
}

static int missing(const struct pq_writer *w, const struct pq_wcol *c, struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, (int64_t)w->nrow_groups, c->name,
                         "no values of the column's type were given");
}

static int row_is_null(const struct pq_wcol *c, const struct pq_column_data *d, enum str_form f,
                       size_t r)
{
    if (d->valid != NULL && d->valid[r] == 0)
        return 1;
    switch (c->type) {
    case PQ_WT_INT64:
    case PQ_WT_TIMESTAMP_MILLIS:
    case PQ_WT_TIMESTAMP_MICROS: return d->sentinel_nulls && d->i64[r] == INT64_MIN;
    case PQ_WT_DOUBLE: return d->sentinel_nulls && isnan(d->f64[r]);
    case PQ_WT_STRING: return str_is_null(&d->str, f, r);
    default: return 0;
    }
}

static int write_flat(struct pq_writer *w, const struct pq_wcol *c, const struct pq_column_data *d,
                      size_t start, size_t n, struct ocp_error *err)
{
    struct pq_write_ctx ctx = {&w->opt, w->path, (int64_t)w->nrow_groups};
    struct pq_leaf *l = &w->leaves[c->leaf];
    enum str_form f = STR_BAD;
    size_t r;
    int rc = OCP_OK;

    switch (c->type) {
    case PQ_WT_BOOLEAN:
        if (d->b == NULL)
            return missing(w, c, err);
        break;
    case PQ_WT_INT32:
    case PQ_WT_DATE:
        if (d->i32 == NULL)
            return missing(w, c, err);
        break;
    case PQ_WT_INT64:
    case PQ_WT_TIMESTAMP_MILLIS:
    case PQ_WT_TIMESTAMP_MICROS:
        if (d->i64 == NULL)
            return missing(w, c, err);
        break;
    case PQ_WT_DOUBLE:
        if (d->f64 == NULL)
            return missing(w, c, err);
        break;
    default:
        f = strings_form(&d->str);
        if (f == STR_BAD)
            return missing(w, c, err);
        break;
    }
    for (r = start; r < start + n && rc == OCP_OK; r++) {
        pq_leaf_row(l);
        if (row_is_null(c, d, f, r)) {
            if (!c->optional)
                return ocp_error_set(err, OCP_ERR_DATA, w->path, (int64_t)w->nrow_groups, c->name,
                                     "NULL in a required column (row %zu of "
                                     "the batch)",
                                     r);
            rc = pq_leaf_put_null(l, 0, 0);
        } else {
            switch (c->type) {
            case PQ_WT_BOOLEAN: rc = pq_leaf_put_bool(l, d->b[r] != 0, 0); break;
            case PQ_WT_INT32:
            case PQ_WT_DATE: rc = pq_leaf_put_fixed(l, &d->i32[r], 0); break;
            case PQ_WT_INT64:
            case PQ_WT_TIMESTAMP_MILLIS:
            case PQ_WT_TIMESTAMP_MICROS: rc = pq_leaf_put_fixed(l, &d->i64[r], 0); break;
            case PQ_WT_DOUBLE: rc = pq_leaf_put_fixed(l, &d->f64[r], 0); break;
            default: rc = put_str(l, &d->str, f, r, 0); break;
            }
        }
        if (rc == OCP_OK)
            rc = pq_leaf_maybe_flush(l, &ctx, err);
        else
            rc = ocp_error_set(err, rc, w->path, (int64_t)w->nrow_groups, c->name,
                               "bad value or out of memory at row "
                               "%zu of the batch",
                               r);
    }
    return rc;
}

static int write_map_row(struct pq_writer *w, const struct pq_wcol *c,
                         const struct pq_column_data *d, enum str_form kf, enum str_form vf,
                         size_t r, struct ocp_error *err)
{
    struct pq_leaf *kl = &w->leaves[c->leaf], *vl = &w->leaves[c->leaf + 1];
    uint32_t base = (uint32_t)c->optional; /* level of a present map */
    uint64_t b, e, k;
    int rc = OCP_OK;

    pq_leaf_row(kl);
    pq_leaf_row(vl);
    if (d->valid != NULL && d->valid[r] == 0) {
        if (!c->optional)
            return ocp_error_set(err, OCP_ERR_DATA, w->path, (int64_t)w->nrow_groups, c->name,
                                 "NULL in a required column (row %zu of the "
                                 "batch)",
                                 r);
        rc = pq_leaf_put_null(kl, 0, 0);
        return rc == OCP_OK ? pq_leaf_put_null(vl, 0, 0) : rc;
    }
    b = d->map_offsets[r];
    e = d->map_offsets[r + 1];
    if (e < b)
        return ocp_error_set(err, OCP_ERR_DATA, w->path, (int64_t)w->nrow_groups, c->name,
                             "map offsets decrease at row %zu", r);
    if (b == e) {
        rc = pq_leaf_put_null(kl, base, 0);
        return rc == OCP_OK ? pq_leaf_put_null(vl, base, 0) : rc;
    }
    for (k = b; k < e && rc == OCP_OK; k++) {
        uint32_t rep = k == b ? 0 : 1;
        if (str_is_null(&d->keys, kf, (size_t)k))
            return ocp_error_set(err, OCP_ERR_DATA, w->path, (int64_t)w->nrow_groups, c->name,
                                 "NULL map key at row %zu", r);
        rc = put_str(kl, &d->keys, kf, (size_t)k, rep);
        if (rc != OCP_OK)
            break;
        if (str_is_null(&d->values, vf, (size_t)k))
            rc = pq_leaf_put_null(vl, base + 1, rep);
        else
            rc = put_str(vl, &d->values, vf, (size_t)k, rep);
    }
    return rc;
}

static int write_map(struct pq_writer *w, const struct pq_wcol *c, const struct pq_column_data *d,
                     size_t start, size_t n, struct ocp_error *err)
{
    struct pq_write_ctx ctx = {&w->opt, w->path, (int64_t)w->nrow_groups};
    enum str_form kf = strings_form(&d->keys), vf = strings_form(&d->values);
    size_t r;
    int rc = OCP_OK;

    if (d->map_offsets == NULL || kf == STR_BAD || vf == STR_BAD)
        return missing(w, c, err);
    for (r = start; r < start + n && rc == OCP_OK; r++) {
        rc = write_map_row(w, c, d, kf, vf, r, err);
        if (rc != OCP_OK) {
            if (err != NULL && err->code == OCP_OK)
                ocp_error_set(err, rc, w->path, (int64_t)w->nrow_groups, c->name,
                              "bad value or out of memory at row %zu", r);
            break;
        }
        /* Pages end between rows, so both leaves check after a row. */
        rc = pq_leaf_maybe_flush(&w->leaves[c->leaf], &ctx, err);
        if (rc == OCP_OK)
            rc = pq_leaf_maybe_flush(&w->leaves[c->leaf + 1], &ctx, err);
    }
    return rc;
}

int pq_write_rows(struct pq_writer *w, const struct pq_column_data *cols, size_t start, size_t n,
                  struct ocp_error *err)
{
    size_t i;
    int rc = OCP_OK;

    for (i = 0; i < w->ncols && rc == OCP_OK; i++) {
        const struct pq_wcol *c = &w->cols[i];
        if (c->type == PQ_WT_MAP)
            rc = write_map(w, c, &cols[i], start, n, err);
        else
            rc = write_flat(w, c, &cols[i], start, n, err);
    }
    return rc;
}
