/* pq_map.c - assembling a MAP column (key and value leaves with their
 * levels) into one JSON object text per row, dictionary-coded: rows with
 * the same entries share one text, found by hashing the entries' ids. */
#include "ocpagg/text.h"
#include "pq_read_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable malloc'd text buffer. */
struct tbuf {
    char *p;
    size_t len, cap;
};

static int tb_reserve(struct tbuf *b, size_t extra)
{
    size_t ncap;
    char *np;

    if (b->cap - b->len >= extra)
        return OCP_OK;
    ncap = b->cap ? b->cap * 2 : 256;
    while (ncap - b->len < extra)
        ncap *= 2;
    np = realloc(b->p, ncap);
    if (np == NULL)
        return OCP_ERR_OSERR;
    b->p = np;
    b->cap = ncap;
    return OCP_OK;
}

static int tb_add(struct tbuf *b, const void *s, size_t n)
{
    if (tb_reserve(b, n) != OCP_OK)
        return OCP_ERR_OSERR;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return OCP_OK;
}

static int tb_quote(struct tbuf *b, const char *s, size_t n)
{
    size_t need;

    /* An escaped byte takes at most 6 bytes (\u00XX), plus the quotes. */
    if (n > (SIZE_MAX - 3) / 6 || tb_reserve(b, 6 * n + 3) != OCP_OK)
        return OCP_ERR_OSERR;
    need = txt_json_quote(s, n, b->p + b->len, b->cap - b->len);
    if (need > b->cap - b->len)
        return OCP_ERR_SOFTWARE;
    b->len += need;
    return OCP_OK;
}

static int64_t rd_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}
static int32_t rd_i32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Appends the scalar at slot i of leaf values v as JSON; as_key quotes
 * numbers too, since JSON keys are strings. */
static int add_scalar(struct tbuf *b, const struct pq_colinfo *ci, const struct pq_colvalues *v,
                      int64_t i, int as_key)
{
    char num[64];
    int n = 0;
    const uint8_t *vals = v->values;

    switch (ci->type) {
    case PQ_BYTE_ARRAY: {
        size_t len;
        const char *s = ocp_strdict_get(v->dict, v->ids[i], &len);
        return tb_quote(b, s, len);
    }
    case PQ_INT32:
        if (ci->logical == PQ_LT_INTEGER && !ci->int_signed)
            n = snprintf(num, sizeof num, "%u", (unsigned)rd_i32(vals + 4 * i));
        else
            n = snprintf(num, sizeof num, "%d", (int)rd_i32(vals + 4 * i));
        break;
    case PQ_INT64:
        if (ci->logical == PQ_LT_INTEGER && !ci->int_signed)
            n = snprintf(num, sizeof num, "%llu", (unsigned long long)rd_i64(vals + 8 * i));
        else
            n = snprintf(num, sizeof num, "%lld", (long long)rd_i64(vals + 8 * i));
        break;
    case PQ_BOOLEAN: n = snprintf(num, sizeof num, "%s", vals[i] ? "true" : "false"); break;
    case PQ_FLOAT:
    case PQ_DOUBLE: {
        double d;
        if (ci->type == PQ_FLOAT) {
            float fl;
            memcpy(&fl, vals + 4 * i, 4);
            d = fl;
        } else {
            memcpy(&d, vals + 8 * i, 8);
        }
        if (!isfinite(d))
            n = snprintf(num, sizeof num, "null");
        else
            n = snprintf(num, sizeof num, "%.17g", d);
        break;
    }
    default: return OCP_ERR_UNSUPPORTED;
    }
    if (n < 0)
        return OCP_ERR_SOFTWARE;
    if (as_key)
        return tb_quote(b, num, (size_t)n);
    return tb_add(b, num, (size_t)n);
}

static int scalar_ok(enum pq_type t)
{
    return t == PQ_BYTE_ARRAY || t == PQ_INT32 || t == PQ_INT64 || t == PQ_BOOLEAN ||
           t == PQ_FLOAT || t == PQ_DOUBLE;
}

/* Appends the identity of entry e (key slot, value flag and slot) to the
 * row signature. */
static int add_sig(struct tbuf *sig, const struct pq_colvalues *v, size_t slot, int64_t e,
                   int present)
{
    uint8_t flag = (uint8_t)present;
    if (tb_add(sig, &flag, 1) != OCP_OK)
        return OCP_ERR_OSERR;
    if (!present)
        return OCP_OK;
    if (v->ids != NULL)
        return tb_add(sig, &v->ids[e], 4);
    return tb_add(sig, (const uint8_t *)v->values + (size_t)e * slot, slot);
}

int pq_map_read_json(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                     struct ocp_arena *arena, struct ocp_strcol *out, struct ocp_error *err)
{
    struct pq_scratch s;
    int rc;

    memset(&s, 0, sizeof s);
    rc = pq_map_read_json_cached(f, rg, col, row_offset, nrows, arena, &s, NULL, out, err);
    pq_scratch_release(&s);
    return rc;
}

/* The rows [row_offset, +nrows) of the MAP into ids (caller storage) with
 * texts in *sigs / *texts (one text per signature, same ids). */
static int map_rows(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                    struct ocp_arena *arena, struct pq_scratch *sp, struct pq_mapcache *mc,
                    struct pq_dictbuild *sigs, struct pq_dictbuild *texts, uint32_t *ids,
                    int64_t *rows_out, struct ocp_error *err);

int pq_map_read_json_cached(const struct pq_file *f, int rg, int col, int64_t row_offset,
                            int64_t nrows, struct ocp_arena *arena, struct pq_scratch *sp,
                            struct pq_mapcache *mc, struct ocp_strcol *out, struct ocp_error *err)
{
    struct pq_dictbuild sigs, texts;
    const struct pq_colinfo *ci;
    struct ocp_strdict *d;
    uint32_t *ids;
    int64_t rgrows, n = 0;
    int rc;

    memset(out, 0, sizeof *out);
    ci = pq_file_column(f, col);
    if (ci == NULL)
        return pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "no column %d", col);
    if (mc == NULL) {
        if (rg < 0 || rg >= f->nrg)
            return pq_fail(f, rg, col, err, OCP_ERR_USAGE, "no row group %d", rg);
        rgrows = f->rgs[rg].num_rows;
        if (nrows < 0)
            nrows = rgrows - row_offset;
        ids = ocp_arena_alloc(arena, (size_t)(nrows > 0 ? nrows : 0) * sizeof(uint32_t) + 16);
        if (ids == NULL || pq_dictbuild_init(&sigs, arena, 256, 4096) != OCP_OK ||
            pq_dictbuild_init(&texts, arena, 256, 16384) != OCP_OK)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        rc = map_rows(f, rg, col, row_offset, nrows, arena, sp, NULL, &sigs, &texts, ids, &n, err);
        if (rc != OCP_OK)
            return rc;
        if (pq_dictbuild_finish(&texts, &d) != OCP_OK)
            return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
        out->ids = ids;
        out->dict = d;
        return OCP_OK;
    }
    /* Cached: texts last over the calls; a part of a row group comes from
     * the row group decoded once. */
    if (rg < 0 || rg >= f->nrg)
        return pq_fail(f, rg, col, err, OCP_ERR_USAGE, "no row group %d", rg);
    rgrows = f->rgs[rg].num_rows;
    if (nrows < 0)
        nrows = rgrows - row_offset;
    if (row_offset < 0 || nrows < 0 || row_offset > rgrows || nrows > rgrows - row_offset)
        return pq_fail(f, rg, col, err, OCP_ERR_USAGE,
                       "rows %lld..+%lld outside the row group's %lld rows", (long long)row_offset,
                       (long long)nrows, (long long)rgrows);
    ids = ocp_arena_alloc(arena, (size_t)nrows * sizeof(uint32_t) + 16);
    if (ids == NULL)
        return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
    if (nrows == rgrows || nrows == 0) {
        if (nrows > 0) {
            rc =
                map_rows(f, rg, col, 0, rgrows, arena, sp, mc, &mc->sigs, &mc->texts, ids, &n, err);
            if (rc != OCP_OK) {
                mc->rg = -1;
                return rc;
            }
        }
    } else {
        if (mc->rg != rg) {
            uint32_t *all = realloc(mc->rg_ids, (size_t)rgrows * sizeof *all + 16);
            mc->rg = -1;
            if (all == NULL)
                return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
            mc->rg_ids = all;
            rc =
                map_rows(f, rg, col, 0, rgrows, arena, sp, mc, &mc->sigs, &mc->texts, all, &n, err);
            if (rc != OCP_OK)
                return rc;
            mc->rg = rg;
            mc->rg_rows = rgrows;
        }
        memcpy(ids, mc->rg_ids + row_offset, (size_t)nrows * sizeof *ids);
    }
    d = ocp_arena_alloc(arena, sizeof *d);
    if (d == NULL)
        return pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
    d->count = mc->texts.count;
    d->offsets = mc->texts.offsets;
    d->data = mc->texts.data;
    d->serial = mc->serial;
    out->ids = ids;
    out->dict = d;
    return OCP_OK;
}

static int map_rows(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                    struct ocp_arena *arena, struct pq_scratch *sp, struct pq_mapcache *mc,
                    struct pq_dictbuild *sigs, struct pq_dictbuild *texts, uint32_t *ids,
                    int64_t *rows_out, struct ocp_error *err)
{
    struct pq_scratch *s = sp;
    struct pq_colvalues kv, vv;
    struct tbuf sig = {0}, txt = {0};
    const struct pq_colinfo *kc, *vc = NULL, *ci;
    int64_t r, e = 0;
    int rc, str_map;
    size_t kslot, vslot = 0;

    *rows_out = 0;
    ci = pq_file_column(f, col);
    if (ci == NULL) {
        rc = pq_fail(f, rg, -1, err, OCP_ERR_USAGE, "no column %d", col);
        goto done;
    }
    if (ci->shape != PQ_SHAPE_MAP_KEY && ci->shape != PQ_SHAPE_MAP_VALUE) {
        rc = pq_fail(f, rg, col, err, OCP_ERR_UNSUPPORTED,
                     "column '%s' is not a MAP of scalars (%s); reading it "
                     "as labels is not supported",
                     ci->top,
                     ci->shape == PQ_SHAPE_NESTED ? "a LIST or nested column" : "a flat column");
        goto done;
    }
    kc = &f->cols[ci->map_key];
    if (ci->map_value >= 0)
        vc = &f->cols[ci->map_value];
    if (!scalar_ok(kc->type) || (vc != NULL && !scalar_ok(vc->type))) {
        rc = pq_fail(f, rg, col, err, OCP_ERR_UNSUPPORTED,
                     "MAP '%s' has a key or value type we cannot turn into "
                     "label text",
                     ci->map_path);
        goto done;
    }
    rc = pq_chunk_read_cached(f, rg, ci->map_key, row_offset, nrows, arena, s,
                              mc != NULL ? mc->keys : NULL, &kv, err);
    if (rc != OCP_OK)
        goto done;
    if (vc != NULL) {
        rc = pq_chunk_read_cached(f, rg, ci->map_value, row_offset, nrows, arena, s,
                                  mc != NULL ? mc->vals : NULL, &vv, err);
        if (rc != OCP_OK)
            goto done;
        if (vv.nlevels != kv.nlevels ||
            memcmp(vv.rep, kv.rep, (size_t)kv.nlevels * sizeof(int16_t)) != 0) {
            rc = pq_fail(f, rg, col, err, OCP_ERR_DATA, "MAP '%s': keys and values do not line up",
                         ci->map_path);
            goto done;
        }
    }
    kslot = pq_slot_size(kc);
    if (vc != NULL)
        vslot = pq_slot_size(vc);
    str_map = kv.ids != NULL && (vc == NULL || vv.ids != NULL);
    for (r = 0; r < kv.nrows; r++) {
        int16_t d0;
        int64_t first = e;
        uint32_t sid, before;

        if (e >= kv.nlevels || kv.rep[e] != 0) {
            rc = pq_fail(f, rg, col, err, OCP_ERR_DATA, "MAP '%s': row %lld has no entries",
                         ci->map_path, (long long)(row_offset + r));
            goto done;
        }
        d0 = kv.def ? kv.def[e] : (int16_t)kc->max_def;
        if (d0 < ci->map_def) {
            ids[r] = OCP_NULL_ID;
            e++;
            continue;
        }
        sig.len = 0;
        if (d0 == ci->map_def) {
            e++;
        } else if (str_map) {
            /* MAP<string, string>: the entries' key and value ids as
             * words (a NULL value's id is OCP_NULL_ID). */
            do {
                uint32_t w[2];
                if (kv.def && kv.def[e] != kc->max_def)
                    goto null_key;
                w[0] = kv.ids[e];
                w[1] = vc != NULL ? vv.ids[e] : OCP_NULL_ID;
                if (tb_reserve(&sig, 8) != OCP_OK) {
                    rc = pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
                    goto done;
                }
                memcpy(sig.p + sig.len, w, 8);
                sig.len += 8;
                e++;
            } while (e < kv.nlevels && kv.rep[e] != 0);
        } else {
            do {
                int kp = !kv.def || kv.def[e] == kc->max_def;
                int vp = vc != NULL && (!vv.def || vv.def[e] == vc->max_def);
                if (!kp)
                    goto null_key;
                if (add_sig(&sig, &kv, kslot, e, 1) != OCP_OK ||
                    (vc != NULL && add_sig(&sig, &vv, vslot, e, vp) != OCP_OK)) {
                    rc = pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
                    goto done;
                }
                e++;
            } while (e < kv.nlevels && kv.rep[e] != 0);
        }
        before = sigs->count;
        if (pq_dictbuild_intern(sigs, sig.p, sig.len, &sid) != OCP_OK) {
            rc = pq_fail(f, rg, col, err, OCP_ERR_OSERR, "out of memory");
            goto done;
        }
        if (sigs->count != before) {
            /* A new set of entries: render its text once. */
            int64_t k;
            uint32_t tid;
            int nent = 0;
            txt.len = 0;
            rc = tb_add(&txt, "{", 1);
            for (k = first; rc == OCP_OK && k < e && d0 > ci->map_def; k++) {
                int vp = vc != NULL && (!vv.def || vv.def[k] == vc->max_def);
                if (nent++ > 0)
                    rc = tb_add(&txt, ",", 1);
                if (rc == OCP_OK)
                    rc = add_scalar(&txt, kc, &kv, k, 1);
                if (rc == OCP_OK)
                    rc = tb_add(&txt, ":", 1);
                if (rc == OCP_OK)
                    rc = vp ? add_scalar(&txt, vc, &vv, k, 0) : tb_add(&txt, "null", 4);
            }
            if (rc == OCP_OK)
                rc = tb_add(&txt, "}", 1);
            if (rc == OCP_OK)
                rc = pq_dictbuild_push(texts, txt.p, txt.len, &tid);
            if (rc != OCP_OK) {
                rc = pq_fail(f, rg, col, err, rc, "cannot build label text");
                goto done;
            }
        }
        ids[r] = sid;
    }
    *rows_out = kv.nrows;
    rc = OCP_OK;
    goto done;
null_key:
    /* Map keys are REQUIRED in the format; a writer that declares them
     * OPTIONAL (old Presto) is read, but an entry without its key has no
     * place in a JSON object, and dropping it would lose the label. */
    rc = pq_fail(f, rg, col, err, OCP_ERR_DATA, "MAP '%s': row %lld has an entry with a NULL key",
                 ci->map_path, (long long)(row_offset + r));
done:
    free(sig.p);
    free(txt.p);
    return rc;
}
