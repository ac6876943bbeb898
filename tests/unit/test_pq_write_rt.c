/*
 * test_pq_write_rt.c - round trips through our reader: every column type
 * the writer makes, REQUIRED and OPTIONAL, each string input form, MAPs
 * (NULL map, empty map, NULL values), PLAIN and dictionary encoding with
 * and without fallback, data pages v1 and v2, every codec, several pages
 * and row groups per file, batches that straddle row groups, page CRCs and
 * page statistics.  Every value read back is compared with the value
 * written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/parquet.h"
#include "ocpagg/pq_writer.h"
#include "testlib.h"

#define N 777

enum {
    C_B,
    C_I32,
    C_I32O,
    C_I64,
    C_D,
    C_DREQ,
    C_S,
    C_SIDS,
    C_SOFF,
    C_TUS,
    C_TMS,
    C_DAY,
    C_M,
    C_MIDS,
    NCOLS
};

static const struct pq_column_desc cols[NCOLS] = {
    {"b", PQ_WT_BOOLEAN, 1, 0, 0, PQ_DICT_AUTO},
    {"i32", PQ_WT_INT32, 0, 0, 0, PQ_DICT_AUTO},
    {"i32o", PQ_WT_INT32, 1, 0, 0, PQ_DICT_ON},
    {"i64", PQ_WT_INT64, 1, 0, 0, PQ_DICT_ON},
    {"d", PQ_WT_DOUBLE, 1, 0, 0, PQ_DICT_AUTO},
    {"d_req", PQ_WT_DOUBLE, 0, 0, 0, PQ_DICT_ON},
    {"s", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO},
    {"s_ids", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO},
    {"s_off", PQ_WT_STRING, 0, 0, 0, PQ_DICT_AUTO},
    {"tus", PQ_WT_TIMESTAMP_MICROS, 1, 1, 0, PQ_DICT_AUTO},
    {"tms", PQ_WT_TIMESTAMP_MILLIS, 0, 0, 0, PQ_DICT_AUTO},
    {"day", PQ_WT_DATE, 1, 0, 0, PQ_DICT_AUTO},
    {"m", PQ_WT_MAP, 1, 0, 0, PQ_DICT_AUTO},
    {"m_ids", PQ_WT_MAP, 0, 0, 0, PQ_DICT_AUTO},
};

static const char *words[8] = {
    "alpha", "beta", "gamma", "delta",
    "",      "zeta", "eta",   "theta, a longer text that makes the dictionary grow"};

/* The data, built once. */
static uint8_t b_val[N], b_valid[N], day_valid[N], m_valid[N];
static int32_t i32[N], i32o[N], day[N];
static uint8_t i32o_valid[N];
static int64_t i64[N], tus[N], tms[N];
static double d[N], dreq[N];
static char sbuf[N][16];
static const char *s[N];
static uint32_t sids_a[N], sids_b[N];
static uint64_t soff[N + 1];
static char sdata[N * 16];
static uint64_t moff[N + 1], mids_off[N + 1];
static const char *mkeys[4 * N], *mvals[4 * N];
static char mvbuf[4 * N][16];
static uint32_t mk_ids[3 * N], mv_ids[3 * N];

/* Two dictionaries holding the same words in opposite order, so the two
 * batches that use them code the same strings with different ids. */
static uint64_t dict_a_off[9], dict_b_off[9], kdict_off[4];
static char dict_a_data[256], dict_b_data[256], kdict_data[8];
static struct ocp_strdict dict_a, dict_b, kdict;

static void make_dict(struct ocp_strdict *dd, uint64_t *off, char *data, const char *const *w,
                      uint32_t n, int reverse)
{
    uint32_t i;
    size_t at = 0;
    for (i = 0; i < n; i++) {
        const char *x = w[reverse ? n - 1 - i : i];
        off[i] = at;
        memcpy(data + at, x, strlen(x));
        at += strlen(x);
    }
    off[n] = at;
    dd->count = n;
    dd->offsets = off;
    dd->data = data;
    dd->serial = ocp_strdict_next_serial();
}

static void build_data(void)
{
    static const char *const keys[4] = {"app", "tier", "x", "zone"};
    static const char *const abc[3] = {"a", "b", "c"};
    size_t r, e = 0, e2 = 0, at = 0;

    make_dict(&dict_a, dict_a_off, dict_a_data, words, 8, 0);
    make_dict(&dict_b, dict_b_off, dict_b_data, words, 8, 1);
    make_dict(&kdict, kdict_off, kdict_data, abc, 3, 0);
    for (r = 0; r < N; r++) {
        b_valid[r] = r % 7 != 0;
        b_val[r] = r % 3 == 0;
        i32[r] = (int32_t)(r * 7919 % 1000) - 500;
        i32o_valid[r] = r % 4 != 1;
        i32o[r] = (int32_t)(r % 9) - 4;
        i64[r] = r % 11 == 0 ? INT64_MIN : (int64_t)(r % 50) * 1000000000000 - 7;
        d[r] = r % 13 == 0 ? NAN : (double)r * 0.25 - 3.5;
        dreq[r] = (double)(r % 5) * 1.5;
        snprintf(sbuf[r], sizeof sbuf[r], "s%zu", r < 400 ? r % 13 : r);
        s[r] = r % 5 == 0 ? NULL : sbuf[r];
        sids_a[r] = r % 10 == 3 ? OCP_NULL_ID : (uint32_t)(r % 8);
        sids_b[r] = r % 10 == 3 ? OCP_NULL_ID : (uint32_t)(7 - r % 8);
        soff[r] = at;
        at += (size_t)sprintf(sdata + at, "row-%zu", r);
        tus[r] = 1761955200000000 + (int64_t)r * 3600000000;
        tms[r] = 1761955200000 + (int64_t)r * 3600000 - (int64_t)r;
        day_valid[r] = r % 9 != 8;
        day[r] = 20393 + (int32_t)(r / 24);
        m_valid[r] = r % 6 != 0;
        moff[r] = e;
        if (r % 6 >= 2) {
            size_t j;
            for (j = 0; j < r % 4 + 1; j++, e++) {
                mkeys[e] = keys[j];
                snprintf(mvbuf[e], sizeof mvbuf[e], "v%zu_%zu", r % 17, j);
                mvals[e] = j == 2 ? NULL : mvbuf[e];
            }
        }
        mids_off[r] = e2;
        {
            size_t j;
            for (j = 0; j < r % 3; j++, e2++) {
                mk_ids[e2] = (uint32_t)j;
                mv_ids[e2] = (r + j) % 5 == 0 ? OCP_NULL_ID : (uint32_t)((r + j) % 8);
            }
        }
    }
    soff[N] = at;
    moff[N] = e;
    mids_off[N] = e2;
}

/* Column data for rows [start, ...); batch 1 codes s_ids with dict_b. */
static void fill(struct pq_column_data *c, size_t start, int batch)
{
    memset(c, 0, NCOLS * sizeof *c);
    c[C_B].b = b_val + start;
    c[C_B].valid = b_valid + start;
    c[C_I32].i32 = i32 + start;
    c[C_I32O].i32 = i32o + start;
    c[C_I32O].valid = i32o_valid + start;
    c[C_I64].i64 = i64 + start;
    c[C_I64].sentinel_nulls = 1;
    c[C_D].f64 = d + start;
    c[C_D].sentinel_nulls = 1;
    c[C_DREQ].f64 = dreq + start;
    c[C_S].str.cstr = s + start;
    c[C_SIDS].str.ids = (batch == 1 ? sids_b : sids_a) + start;
    c[C_SIDS].str.dict = batch == 1 ? &dict_b : &dict_a;
    c[C_SOFF].str.offsets = soff + start;
    c[C_SOFF].str.data = sdata;
    c[C_TUS].i64 = tus + start;
    c[C_TUS].valid = b_valid + start;
    c[C_TMS].i64 = tms + start;
    c[C_DAY].i32 = day + start;
    c[C_DAY].valid = day_valid + start;
    c[C_M].map_offsets = moff + start;
    c[C_M].valid = m_valid + start;
    c[C_M].keys.cstr = mkeys;
    c[C_M].values.cstr = mvals;
    c[C_MIDS].map_offsets = mids_off + start;
    c[C_MIDS].keys.ids = mk_ids;
    c[C_MIDS].keys.dict = &kdict;
    c[C_MIDS].values.ids = mv_ids;
    c[C_MIDS].values.dict = &dict_a;
}

/* The JSON text our reader makes of a map row (NULL for a NULL map). */
static const char *expected_json(int col, size_t r, char *buf, size_t cap)
{
    size_t at = 0;
    uint64_t k, b, e;

    if (col == C_M && !m_valid[r])
        return NULL;
    b = col == C_M ? moff[r] : mids_off[r];
    e = col == C_M ? moff[r + 1] : mids_off[r + 1];
    at += (size_t)snprintf(buf + at, cap - at, "{");
    for (k = b; k < e; k++) {
        const char *key, *val;
        size_t klen;
        if (col == C_M) {
            key = mkeys[k];
            klen = strlen(key);
            val = mvals[k];
        } else {
            key = ocp_strdict_get(&kdict, mk_ids[k], &klen);
            val = mv_ids[k] == OCP_NULL_ID ? NULL : words[mv_ids[k]];
        }
        at += (size_t)snprintf(buf + at, cap - at, "%s\"%.*s\":", k > b ? "," : "", (int)klen, key);
        if (val == NULL)
            at += (size_t)snprintf(buf + at, cap - at, "null");
        else
            at += (size_t)snprintf(buf + at, cap - at, "\"%s\"", val);
    }
    snprintf(buf + at, cap - at, "}");
    return buf;
}

static int str_eq(const struct ocp_strdict *dd, uint32_t id, const char *want, size_t wlen)
{
    size_t len;
    const char *p;
    if (id == OCP_NULL_ID || id >= dd->count)
        return 0;
    p = ocp_strdict_get(dd, id, &len);
    return len == wlen && memcmp(p, want, len) == 0;
}

/* Compares one flat leaf of one row group (rows first .. first+n-1). */
static int check_flat(int col, const struct pq_colvalues *v, size_t first)
{
    size_t i;
    int bad = 0;

    for (i = 0; i < (size_t)v->nrows && bad < 3; i++) {
        size_t r = first + i;
        int isnull = 0, ok = 1;
        int16_t def = v->def ? v->def[i] : 1;
        switch (col) {
        case C_B:
            isnull = !b_valid[r];
            ok = isnull || ((const uint8_t *)v->values)[i] == b_val[r];
            break;
        case C_I32: ok = ((const int32_t *)v->values)[i] == i32[r]; break;
        /* A NULL entry holds zero bytes, a DOUBLE's a NaN (pq_colvalues). */
        case C_I32O:
            isnull = !i32o_valid[r];
            ok = ((const int32_t *)v->values)[i] == (isnull ? 0 : i32o[r]);
            break;
        case C_I64:
            isnull = i64[r] == INT64_MIN;
            ok = ((const int64_t *)v->values)[i] == (isnull ? 0 : i64[r]);
            break;
        case C_D:
            isnull = isnan(d[r]);
            ok = isnull ? isnan(((const double *)v->values)[i])
                        : ((const double *)v->values)[i] == d[r];
            break;
        case C_DREQ: ok = ((const double *)v->values)[i] == dreq[r]; break;
        case C_S:
            isnull = s[r] == NULL;
            ok = isnull || str_eq(v->dict, v->ids[i], s[r], strlen(s[r]));
            break;
        case C_SIDS:
            isnull = sids_a[r] == OCP_NULL_ID;
            ok = isnull || str_eq(v->dict, v->ids[i], words[sids_a[r]], strlen(words[sids_a[r]]));
            break;
        case C_SOFF:
            ok = str_eq(v->dict, v->ids[i], sdata + soff[r], (size_t)(soff[r + 1] - soff[r]));
            break;
        case C_TUS:
            isnull = !b_valid[r];
            ok = isnull || ((const int64_t *)v->values)[i] == tus[r];
            break;
        case C_TMS: ok = ((const int64_t *)v->values)[i] == tms[r]; break;
        case C_DAY:
            isnull = !day_valid[r];
            ok = isnull || ((const int32_t *)v->values)[i] == day[r];
            break;
        default: break;
        }
        if (isnull && (def != 0 || (v->ids != NULL && v->ids[i] != OCP_NULL_ID)))
            ok = 0;
        if (!isnull && v->def != NULL && def != 1)
            ok = 0;
        if (!ok) {
            fprintf(stderr, "column %s row %zu differs\n", cols[col].name, r);
            bad++;
        }
    }
    return bad == 0;
}

static int check_map(const struct pq_file *f, int rg, int leaf, int col, size_t first,
                     struct ocp_arena *a)
{
    struct ocp_strcol sc;
    struct ocp_error err;
    int64_t n = pq_row_group_num_rows(f, rg), i;
    char want[256];
    int bad = 0;

    ocp_error_clear(&err);
    if (pq_map_read_json(f, rg, leaf, 0, -1, a, &sc, &err) != OCP_OK) {
        fprintf(stderr, "map read: %s\n", err.message);
        return 0;
    }
    for (i = 0; i < n && bad < 3; i++) {
        size_t r = first + (size_t)i;
        const char *w = expected_json(col, r, want, sizeof want);
        int ok = w == NULL ? sc.ids[i] == OCP_NULL_ID : str_eq(sc.dict, sc.ids[i], w, strlen(w));
        if (!ok) {
            size_t len = 0;
            const char *got =
                sc.ids[i] == OCP_NULL_ID ? "NULL" : ocp_strdict_get(sc.dict, sc.ids[i], &len);
            fprintf(stderr, "map %s row %zu: got %.*s, want %s\n", cols[col].name, r,
                    (int)(len ? len : strlen(got)), got, w ? w : "NULL");
            bad++;
        }
    }
    return bad == 0;
}

struct variant {
    enum pq_write_codec codec;
    int version, dictionary;
    size_t dict_max;
    int page_stats, crc;
};

static void round_trip(const struct variant *vr, const char *path)
{
    struct pq_schema_desc schema = {NCOLS, cols};
    struct pq_write_options o;
    struct pq_open_options oo;
    struct pq_column_data c[NCOLS];
    struct pq_writer *w = NULL;
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct ocp_arena arena;
    size_t first = 0;
    int rg, col, nrg, saw_dict = 0, saw_plain_s_off = 0;

    pq_write_options_init(&o);
    o.codec = vr->codec;
    o.page_version = vr->version;
    o.dictionary = vr->dictionary;
    o.dict_max_bytes = vr->dict_max;
    o.page_statistics = vr->page_stats;
    o.page_crc = vr->crc;
    o.page_bytes = 256;
    o.row_group_rows = 250;
    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(path, &schema, &o, &w, &err), OCP_OK);
    if (w == NULL)
        return;
    fill(c, 0, 0);
    CHECK_INT(pq_writer_write_batch(w, c, 100, &err), OCP_OK);
    fill(c, 100, 1);
    CHECK_INT(pq_writer_write_batch(w, c, 333, &err), OCP_OK);
    fill(c, 433, 0);
    CHECK_INT(pq_writer_write_batch(w, c, N - 433, &err), OCP_OK);
    CHECK_INT(pq_writer_close(w, &err), OCP_OK);

    pq_open_options_init(&oo);
    oo.check_crc = 1;
    if (pq_file_open(path, &oo, &f, &err) != OCP_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        CHECK(0);
        return;
    }
    nrg = pq_file_num_row_groups(f);
    CHECK_INT(nrg, 4); /* 250 + 250 + 250 + 27 */
    CHECK_INT(pq_file_num_rows(f), N);
    CHECK_INT(pq_file_num_columns(f), NCOLS + 2);
    ocp_arena_init(&arena, 0);
    for (rg = 0; rg < nrg; rg++) {
        int leaf = 0;
        for (col = 0; col < NCOLS; col++, leaf++) {
            struct pq_colvalues v;
            struct pq_chunkinfo ci;
            ocp_arena_reset(&arena);
            CHECK_INT(pq_chunk_info(f, rg, leaf, &ci, &err), OCP_OK);
            CHECK_INT(ci.codec, (int)vr->codec);
            if (ci.encodings & (1u << PQ_ENC_RLE_DICTIONARY))
                saw_dict = 1;
            if (col == C_SOFF && (ci.encodings & (1u << PQ_ENC_PLAIN)))
                saw_plain_s_off = 1;
            if (col == C_M || col == C_MIDS) {
                CHECK(check_map(f, rg, leaf, col, first, &arena));
                leaf++; /* the value leaf */
                continue;
            }
            if (pq_column_read(f, rg, leaf, 0, -1, &arena, &v, &err) != OCP_OK) {
                fprintf(stderr, "read %s: %s\n", cols[col].name, err.message);
                CHECK(0);
                continue;
            }
            CHECK_INT(v.nrows, pq_row_group_num_rows(f, rg));
            CHECK(check_flat(col, &v, first));
        }
        first += (size_t)pq_row_group_num_rows(f, rg);
    }
    CHECK_INT(first, N);
    CHECK_INT(saw_dict, vr->dictionary);
    /* s_off holds a distinct string per row: with a small dictionary it
     * falls back to PLAIN. */
    if (vr->dictionary && vr->dict_max < 1000)
        CHECK(saw_plain_s_off);
    ocp_arena_release(&arena);
    pq_file_close(f);
    remove(path);
}

/* NULL map vs empty map, at the level of the key leaf's levels. */
static void test_map_levels(const char *path)
{
    static const struct pq_column_desc mc[1] = {{"m", PQ_WT_MAP, 1, 0, 0, PQ_DICT_AUTO}};
    struct pq_schema_desc schema = {1, mc};
    uint64_t off[4] = {0, 0, 0, 2};
    uint8_t valid[3] = {0, 1, 1};
    const char *k[2] = {"a", "b"}, *v[2] = {"1", NULL};
    struct pq_column_data c;
    struct pq_writer *w = NULL;
    struct pq_file *f = NULL;
    struct pq_colvalues kv, vv;
    struct ocp_error err;
    struct ocp_arena a;

    memset(&c, 0, sizeof c);
    c.map_offsets = off;
    c.valid = valid;
    c.keys.cstr = k;
    c.values.cstr = v;
    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(path, &schema, NULL, &w, &err), OCP_OK);
    CHECK_INT(pq_writer_write_batch(w, &c, 3, &err), OCP_OK);
    CHECK_INT(pq_writer_close(w, &err), OCP_OK);
    if (pq_file_open(path, NULL, &f, &err) != OCP_OK) {
        CHECK(0);
        return;
    }
    ocp_arena_init(&a, 0);
    if (pq_column_read(f, 0, 0, 0, -1, &a, &kv, &err) == OCP_OK &&
        pq_column_read(f, 0, 1, 0, -1, &a, &vv, &err) == OCP_OK) {
        /* rows: NULL map, empty map, {a:1, b:NULL} */
        CHECK_INT(kv.nrows, 3);
        CHECK_INT(kv.nlevels, 4);
        CHECK_INT(kv.def[0], 0);
        CHECK_INT(kv.def[1], 1);
        CHECK_INT(kv.def[2], 2);
        CHECK_INT(kv.def[3], 2);
        CHECK_INT(kv.rep[2], 0);
        CHECK_INT(kv.rep[3], 1);
        CHECK_INT(vv.def[2], 3);
        CHECK_INT(vv.def[3], 2);
        CHECK(str_eq(kv.dict, kv.ids[3], "b", 1));
        CHECK(str_eq(vv.dict, vv.ids[2], "1", 1));
        CHECK_INT(vv.ids[3], OCP_NULL_ID);
    } else {
        fprintf(stderr, "read: %s\n", err.message);
        CHECK(0);
    }
    ocp_arena_release(&a);
    pq_file_close(f);
    remove(path);
}

int main(void)
{
    static const enum pq_write_codec codecs[4] = {PQ_WRITE_UNCOMPRESSED, PQ_WRITE_SNAPPY,
                                                  PQ_WRITE_GZIP, PQ_WRITE_ZSTD};
    const char *base = getenv("OCPAGG_BUILD");
    char path[512];
    int ci, ver, dict, small;

    build_data();
    snprintf(path, sizeof path, "%s/test_pq_write_rt.%ld.parquet", base ? base : "/tmp",
             (long)getpid());
    for (ci = 0; ci < 4; ci++)
        for (ver = 1; ver <= 2; ver++)
            for (dict = 0; dict <= 1; dict++)
                for (small = 0; small <= dict; small++) {
                    struct variant v = {codecs[ci],     ver,
                                        dict,           small ? 60 : (size_t)1 << 20,
                                        (ci + ver) % 2, (ci + dict) % 2};
                    fprintf(stderr, "-- codec %d, page v%d, dictionary %d%s\n", (int)v.codec, ver,
                            dict, small ? " (small)" : "");
                    round_trip(&v, path);
                }
    test_map_levels(path);
    return TEST_SUMMARY();
}
