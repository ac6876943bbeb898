/*
 * test_pq_table.c - the Parquet input adapter on Koku-shaped files written
 * with our writer: column matching, type checks, every conversion into
 * struct ocp_batch (timestamps of each kind, numbers from each type, NULLs,
 * string dictionaries, MAP and text labels), row ranges that cross page
 * and row-group boundaries, statistics for pruning, and dataset listing.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocpagg/parquet.h"
#include "ocpagg/pq_writer.h"
#include "parquet/pq_write_internal.h"
#include "testlib.h"

#define NROWS 2500
#define RG_ROWS 1000
/* 2025-11-01 00:00:00 UTC */
#define BASE_US INT64_C(1761955200000000)
#define HOUR_US INT64_C(3600000000)

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* The generated values of row i. */
static int64_t row_ts(int i)
{
    return BASE_US + (int64_t)(i / 10) * HOUR_US;
}
static int ns_null(int i)
{
    return i % 13 == 5;
}
static int usage_null(int i)
{
    return i % 17 == 0;
}
static int map_null(int i)
{
    return i % 9 == 0;
}
static int map_empty(int i)
{
    return i % 11 == 0 && !map_null(i);
}

static char names[3][NROWS][32];
static const char *ns_c[NROWS], *node_c[NROWS], *pod_c[NROWS];
static const char *ts_text[NROWS];
static char ts_buf[NROWS][40];
static const char *label_text[NROWS];
static char label_buf[NROWS][64];
static int64_t ts_us[NROWS], ts_ms[NROWS];
static double usage[NROWS], ones[NROWS], caps[NROWS];
static int64_t limit_i64[NROWS];
static int32_t mem_i32[NROWS];
static uint8_t usage_valid[NROWS];
static uint64_t moff[NROWS + 1];
static const char *mkeys[2 * NROWS], *mvals[2 * NROWS];
static char mval_buf[2 * NROWS][8];

static void gen(void)
{
    int i, k = 0;

    for (i = 0; i < NROWS; i++) {
        int h = i / 10;
        snprintf(names[0][i], 32, "ns%d", i % 7);
        snprintf(names[1][i], 32, "node%d", i % 3);
        /* Few pods first, many later: with a small dictionary limit the
         * pod chunk of row group 1 starts with a dictionary and falls back
         * to PLAIN pages. */
        snprintf(names[2][i], 32, "pod%d", i < 1500 ? i % 50 : i % 400);
        ns_c[i] = ns_null(i) ? NULL : names[0][i];
        node_c[i] = names[1][i];
        pod_c[i] = names[2][i];
        snprintf(ts_buf[i], sizeof ts_buf[i], "2025-11-%02d %02d:00:00 +0000 UTC", 1 + h / 24,
                 h % 24);
        ts_text[i] = ts_buf[i];
        ts_us[i] = row_ts(i);
        ts_ms[i] = row_ts(i) / 1000;
        usage[i] = i * 0.5;
        usage_valid[i] = !usage_null(i);
        ones[i] = 1.0;
        caps[i] = 4.0 + i % 3;
        limit_i64[i] = i;
        mem_i32[i] = 2 * i;
        moff[i] = (uint64_t)k;
        if (!map_null(i) && !map_empty(i)) {
            snprintf(mval_buf[k], 8, "a%d", i % 4);
            mkeys[k] = "app";
            mvals[k] = mval_buf[k];
            k++;
            snprintf(mval_buf[k], 8, "t%d", i % 2);
            mkeys[k] = "tier";
            mvals[k] = i % 5 == 0 ? NULL : mval_buf[k];
            k++;
        }
        if (map_null(i))
            label_text[i] = NULL;
        else if (map_empty(i))
            label_text[i] = "";
        else {
            snprintf(label_buf[i], sizeof label_buf[i], "label_app:a%d|label_tier:t%d", i % 4,
                     i % 2);
            label_text[i] = label_buf[i];
        }
    }
    moff[NROWS] = (uint64_t)k;
}

/* The JSON text pq_table_read should give for a MAP row. */
static void want_json(int i, char *buf, size_t size)
{
    if (map_empty(i))
        snprintf(buf, size, "{}");
    else if (i % 5 == 0)
        snprintf(buf, size, "{\"app\":\"a%d\",\"tier\":null}", i % 4);
    else
        snprintf(buf, size, "{\"app\":\"a%d\",\"tier\":\"t%d\"}", i % 4, i % 2);
}

enum variant {
    V_MICROS_MAP,   /* TIMESTAMP(MICROS), MAP labels, v1 pages, snappy */
    V_TEXT_TIME,    /* text interval_start and text labels, v2, zstd */
    V_MILLIS_PLAIN, /* TIMESTAMP(MILLIS), no dictionaries, gzip */
    V_NO_POD,       /* the required column "pod" is missing */
    V_FALLBACK      /* dictionaries overflow into PLAIN pages; the file is
                       read page by page */
};

static int write_file(const char *path, enum variant v)
{
    struct pq_column_desc cols[19];
    struct pq_column_data data[19];
    struct pq_write_options opt;
    struct pq_writer *w = NULL;
    struct ocp_error err;
    int n = 0, rc;
    static const char *num_names[] = {
        "pod_request_cpu_core_seconds",  "pod_request_memory_byte_seconds",
        "pod_limit_memory_byte_seconds", "node_capacity_cpu_core_seconds",
        "node_capacity_memory_bytes",    "node_capacity_memory_byte_seconds"};
    size_t k;

    memset(cols, 0, sizeof cols);
    memset(data, 0, sizeof data);
    pq_write_options_init(&opt);
    opt.row_group_rows = RG_ROWS;
    opt.page_bytes = 1024;
    opt.codec = v == V_TEXT_TIME      ? PQ_WRITE_ZSTD
                : v == V_MILLIS_PLAIN ? PQ_WRITE_GZIP
                                      : PQ_WRITE_SNAPPY;
    opt.page_version = v == V_TEXT_TIME ? 2 : 1;
    opt.dictionary = v != V_MILLIS_PLAIN;
    if (v == V_FALLBACK) {
        opt.dict_max_bytes = 1000;
        opt.page_bytes = 256;
    }

    /* Columns in a different order than the schema, with other names
     * interleaved, to show matching is by name. */
    cols[n] = (struct pq_column_desc){"source", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
    data[n].str.cstr = pod_c;
    n++;
    cols[n] = (struct pq_column_desc){"namespace", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
    data[n].str.cstr = ns_c;
    n++;
    if (v == V_TEXT_TIME) {
        cols[n] = (struct pq_column_desc){"interval_start", PQ_WT_STRING, 0, 0, 0, PQ_DICT_AUTO};
        data[n].str.cstr = ts_text;
    } else if (v == V_MILLIS_PLAIN) {
        cols[n] = (struct pq_column_desc){"interval_start", PQ_WT_TIMESTAMP_MILLIS, 0, 1, 0,
                                          PQ_DICT_AUTO};
        data[n].i64 = ts_ms;
    } else {
        cols[n] = (struct pq_column_desc){"interval_start", PQ_WT_TIMESTAMP_MICROS, 0, 1, 0,
                                          PQ_DICT_AUTO};
        data[n].i64 = ts_us;
    }
    n++;
    cols[n] = (struct pq_column_desc){"Node", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
    data[n].str.cstr = node_c;
    n++;
    if (v != V_NO_POD) {
        cols[n] = (struct pq_column_desc){"pod", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
        data[n].str.cstr = pod_c;
        n++;
    }
    cols[n] =
        (struct pq_column_desc){"pod_usage_cpu_core_seconds", PQ_WT_DOUBLE, 1, 0, 0, PQ_DICT_OFF};
    data[n].f64 = usage;
    data[n].valid = usage_valid;
    n++;
    cols[n] =
        (struct pq_column_desc){"pod_limit_cpu_core_seconds", PQ_WT_INT64, 0, 0, 0, PQ_DICT_AUTO};
    data[n].i64 = limit_i64;
    n++;
    cols[n] = (struct pq_column_desc){
        "pod_usage_memory_byte_seconds", PQ_WT_INT32, 0, 0, 0, PQ_DICT_AUTO};
    data[n].i32 = mem_i32;
    n++;
    for (k = 0; k < sizeof num_names / sizeof num_names[0]; k++) {
        cols[n] = (struct pq_column_desc){
            num_names[k], PQ_WT_DOUBLE, 1, 0, 0, k == 0 ? PQ_DICT_ON : PQ_DICT_AUTO};
        data[n].f64 = k >= 3 ? caps : ones;
        n++;
    }
    cols[n] =
        (struct pq_column_desc){"node_capacity_cpu_cores", PQ_WT_DOUBLE, 1, 0, 0, PQ_DICT_AUTO};
    data[n].f64 = caps;
    n++;
    if (v == V_TEXT_TIME) {
        cols[n] = (struct pq_column_desc){"pod_labels", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
        data[n].str.cstr = label_text;
    } else {
        cols[n] = (struct pq_column_desc){"pod_labels", PQ_WT_MAP, 1, 0, 0, PQ_DICT_AUTO};
        data[n].map_offsets = moff;
        data[n].keys.cstr = mkeys;
        data[n].values.cstr = mvals;
        data[n].valid = NULL;
    }
    n++;
    {
        static uint8_t mvalid[NROWS];
        int i;
        for (i = 0; i < NROWS; i++)
            mvalid[i] = !map_null(i);
        if (v != V_TEXT_TIME)
            data[n - 1].valid = mvalid;
    }
    {
        struct pq_schema_desc schema = {(size_t)n, cols};
        ocp_error_clear(&err);
        rc = pq_writer_create(path, &schema, &opt, &w, &err);
        /* Two batches, so a batch boundary falls inside a row group. */
        if (rc == OCP_OK)
            rc = pq_writer_write_batch(w, data, 1234, &err);
        if (rc == OCP_OK) {
            struct pq_column_data d2[19];
            int j;
            memcpy(d2, data, sizeof d2);
            for (j = 0; j < n; j++) {
                if (d2[j].str.cstr)
                    d2[j].str.cstr += 1234;
                if (d2[j].f64)
                    d2[j].f64 += 1234;
                if (d2[j].i64)
                    d2[j].i64 += 1234;
                if (d2[j].i32)
                    d2[j].i32 += 1234;
                if (d2[j].valid)
                    d2[j].valid += 1234;
                if (d2[j].map_offsets)
                    d2[j].map_offsets += 1234;
            }
            rc = pq_writer_write_batch(w, d2, NROWS - 1234, &err);
        }
        if (rc == OCP_OK)
            rc = pq_writer_close(w, &err);
        else
            pq_writer_abort(w);
    }
    if (rc != OCP_OK)
        fprintf(stderr, "writer: %s\n", err.message);
    return rc;
}

static int str_is(const struct ocp_strcol *c, size_t r, const char *want)
{
    size_t len;
    const char *s;

    if (c->ids[r] == OCP_NULL_ID)
        return want == NULL;
    if (want == NULL || c->ids[r] >= c->dict->count)
        return 0;
    s = ocp_strdict_get(c->dict, c->ids[r], &len);
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Reads rows [first, first + n) of the file through pq_table_read, in the
 * row groups they fall in, and compares every column with the generator. */
static void check_range(struct pq_file *f, enum variant v, int first, int n)
{
    struct ocp_arena arena;
    struct ocp_error err;
    int bad = 0;

    ocp_arena_init(&arena, 0);
    while (n > 0) {
        int rg = first / RG_ROWS, off = first % RG_ROWS;
        int take = RG_ROWS - off < n ? RG_ROWS - off : n;
        struct ocp_batch b;
        int rc, r;

        ocp_error_clear(&err);
        rc = pq_table_read(f, OCP_TABLE_POD, rg, off, take, &arena, &b, &err);
        CHECK_INT(rc, OCP_OK);
        if (rc != OCP_OK) {
            fprintf(stderr, "read: %s\n", err.message);
            break;
        }
        CHECK_INT(b.nrows, take);
        CHECK(!b.col[POD_RESOURCE_ID].present);
        CHECK(!b.col[POD_NODE_ROLE].present);
        CHECK(!b.col[POD_EFF_CPU].present);
        CHECK(b.col[POD_LABELS].present);
        for (r = 0; r < take && bad < 10; r++) {
            int i = first + r;
            char json[64];
            double u = b.col[POD_USAGE_CPU].num[r];
            int ok = 1;
            ok &= b.col[POD_INTERVAL_START].ts[r] == row_ts(i);
            ok &= str_is(&b.col[POD_NAMESPACE].str, (size_t)r, ns_c[i]);
            ok &= str_is(&b.col[POD_NODE].str, (size_t)r, node_c[i]);
            ok &= str_is(&b.col[POD_POD].str, (size_t)r, pod_c[i]);
            ok &= usage_null(i) ? isnan(u) : u == i * 0.5;
            ok &= b.col[POD_LIMIT_CPU].num[r] == (double)i;
            ok &= b.col[POD_USAGE_MEM].num[r] == 2.0 * i;
            ok &= b.col[POD_REQUEST_CPU].num[r] == 1.0;
            ok &= b.col[POD_CAP_MEM_SEC].num[r] == 4.0 + i % 3;
            ok &= b.col[POD_CAP_CPU_CORES].num[r] == 4.0 + i % 3;
            if (v == V_TEXT_TIME) {
                ok &= str_is(&b.col[POD_LABELS].str, (size_t)r, label_text[i]);
            } else if (map_null(i)) {
                ok &= b.col[POD_LABELS].str.ids[r] == OCP_NULL_ID;
            } else {
                want_json(i, json, sizeof json);
                ok &= str_is(&b.col[POD_LABELS].str, (size_t)r, json);
            }
            if (!ok) {
                fprintf(stderr, "variant %d row %d differs\n", (int)v, i);
                bad++;
            }
        }
        CHECK_INT(bad, 0);
        /* Dictionaries of distinct columns have distinct serials. */
        CHECK(b.col[POD_NODE].str.dict->serial != b.col[POD_POD].str.dict->serial);
        first += take;
        n -= take;
        ocp_arena_reset(&arena);
    }
    ocp_arena_release(&arena);
}

static void test_variant(enum variant v, const char *name)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    const char *path = tmp_path(name);
    int64_t lo, hi;
    int known, rc;

    if (write_file(path, v) != OCP_OK) {
        CHECK(0);
        return;
    }
    ocp_error_clear(&err);
    {
        struct pq_open_options opt;
        pq_open_options_init(&opt);
        if (v == V_FALLBACK)
            opt.whole_chunk_bytes = 1;
        rc = pq_file_open(path, &opt, &f, &err);
    }
    CHECK_INT(rc, OCP_OK);
    if (rc != OCP_OK)
        return;
    CHECK_INT(pq_file_num_rows(f), NROWS);
    if (v == V_FALLBACK) {
        /* The pod column really mixes dictionary and PLAIN pages. */
        struct pq_chunkinfo ci;
        CHECK_INT(pq_chunk_info(f, 1, pq_column_find(f, "pod"), &ci, &err), OCP_OK);
        CHECK(ci.encodings & (1u << PQ_ENC_PLAIN));
        CHECK(ci.encodings & ((1u << PQ_ENC_RLE_DICTIONARY) | (1u << PQ_ENC_PLAIN_DICTIONARY)));
    }
    CHECK_INT(pq_file_num_row_groups(f), 3);
    CHECK_INT(pq_row_group_num_rows(f, 2), 500);
    CHECK_INT(pq_table_check(f, OCP_TABLE_POD, &err), OCP_OK);
    /* Whole row groups, then ranges crossing pages and row groups. */
    check_range(f, v, 0, NROWS);
    check_range(f, v, 333, 1400);
    check_range(f, v, 999, 2);
    check_range(f, v, 2499, 1);
    /* interval_start statistics of row group 1 (rows 1000..1999). */
    rc = pq_table_time_range(f, 1, &lo, &hi, &known, &err);
    CHECK_INT(rc, OCP_OK);
    CHECK_INT(known, 1);
    if (v == V_TEXT_TIME) {
        /* Text bounds only promise the date, widened by a day. */
        CHECK(lo <= row_ts(1000) && lo >= row_ts(1000) - 2 * OCP_US_PER_DAY);
        CHECK(hi >= row_ts(1999) && hi <= row_ts(1999) + 3 * OCP_US_PER_DAY);
    } else {
        CHECK_INT(lo, row_ts(1000));
        CHECK_INT(hi, row_ts(1999));
    }
    /* Out-of-range requests are usage errors, not crashes. */
    {
        struct ocp_arena a;
        struct ocp_batch b;
        ocp_arena_init(&a, 0);
        CHECK_INT(pq_table_read(f, OCP_TABLE_POD, 3, 0, 1, &a, &b, &err), OCP_ERR_USAGE);
        CHECK_INT(pq_table_read(f, OCP_TABLE_POD, 2, 400, 101, &a, &b, &err), OCP_ERR_USAGE);
        CHECK_INT(pq_table_read(f, OCP_TABLE_POD, 2, 500, 0, &a, &b, &err), OCP_OK);
        ocp_arena_release(&a);
    }
    pq_file_close(f);
}

/* Rows [first, first + n) of the file whose strings or numbers differ
 * from the generator (no CHECKs: threads call it). */
static int bad_rows(struct pq_file *f, int first, int n)
{
    struct ocp_arena arena;
    struct ocp_error err;
    int bad = 0;

    ocp_arena_init(&arena, 0);
    while (n > 0) {
        int rg = first / RG_ROWS, off = first % RG_ROWS;
        int take = RG_ROWS - off < n ? RG_ROWS - off : n;
        struct ocp_batch b;
        int r;

        if (pq_table_read(f, OCP_TABLE_POD, rg, off, take, &arena, &b, &err) != OCP_OK)
            return n + bad;
        for (r = 0; r < take; r++) {
            int i = first + r;
            bad += !str_is(&b.col[POD_NAMESPACE].str, (size_t)r, ns_c[i]) ||
                   !str_is(&b.col[POD_NODE].str, (size_t)r, node_c[i]) ||
                   !str_is(&b.col[POD_POD].str, (size_t)r, pod_c[i]) ||
                   b.col[POD_LIMIT_CPU].num[r] != (double)i;
        }
        first += take;
        n -= take;
        ocp_arena_reset(&arena);
    }
    ocp_arena_release(&arena);
    return bad;
}

/* The string dictionaries pq_table_read hands out last over the calls on
 * one file: one serial per column, grown by appending, so a string keeps
 * its id from row group to row group (the engine maps it once); with a
 * tiny cache limit every call starts afresh and the strings are right. */
static void test_lasting_dictionaries(enum variant v, const char *name)
{
    static const int cols[] = {POD_NAMESPACE, POD_NODE, POD_POD, POD_LABELS};
    const char *path = tmp_path(name);
    struct pq_open_options opt;
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct ocp_arena a[3];
    struct ocp_batch b[3];
    int rg, k, limit;

    if (write_file(path, v) != OCP_OK) {
        CHECK(0);
        return;
    }
    for (limit = 0; limit < 2; limit++) {
        pq_open_options_init(&opt);
        if (v == V_FALLBACK)
            opt.whole_chunk_bytes = 1;
        if (limit)
            opt.string_cache_bytes = 1;
        CHECK_INT(pq_file_open(path, &opt, &f, &err), OCP_OK);
        if (f == NULL)
            return;
        for (rg = 0; rg < 3; rg++) {
            ocp_arena_init(&a[rg], 0);
            CHECK_INT(pq_table_read(f, OCP_TABLE_POD, rg, 0, pq_row_group_num_rows(f, rg), &a[rg],
                                    &b[rg], &err),
                      OCP_OK);
        }
        for (k = 0; k < 4; k++) {
            const struct ocp_strdict *d0 = b[0].col[cols[k]].str.dict;
            const struct ocp_strdict *d2 = b[2].col[cols[k]].str.dict;
            uint32_t i;
            if (!b[0].col[cols[k]].present || d0 == NULL || d2 == NULL)
                continue;
            if (limit) {
                CHECK(d0->serial != d2->serial);
                continue;
            }
            CHECK(d0->serial == b[1].col[cols[k]].str.dict->serial);
            CHECK(d0->serial == d2->serial);
            CHECK(d2->count >= d0->count);
            /* The first view still reads (the third call did not free it),
             * and the grown dictionary starts with the same strings. */
            for (i = 0; i < d0->count; i++) {
                size_t l0, l2;
                const char *s0 = ocp_strdict_get(d0, i, &l0);
                const char *s2 = ocp_strdict_get(d2, i, &l2);
                CHECK(l0 == l2 && memcmp(s0, s2, l0) == 0);
            }
        }
        /* A pod name seen in row groups 0 and 2 has one id. */
        if (!limit && v == V_MICROS_MAP) {
            CHECK_STR(pod_c[0], pod_c[2000 + 0] /* pod0 */);
            CHECK_INT(b[0].col[POD_POD].str.ids[0], b[2].col[POD_POD].str.ids[0]);
        }
        for (rg = 0; rg < 3; rg++)
            ocp_arena_release(&a[rg]);
        CHECK_INT(bad_rows(f, 0, NROWS), 0);
        CHECK_INT(bad_rows(f, 777, 1500), 0);
        pq_file_close(f);
    }
}

/* pq_file_take_cache: the next file of a dataset goes on with the last
 * file's dictionaries (same serial, same ids for the same strings), both
 * files still read right, and a file of another layout takes over only
 * the leaves it shares. */
static void test_cache_handover(enum variant va, enum variant vb, const char *na, const char *nb)
{
    static const int cols[] = {POD_NAMESPACE, POD_NODE, POD_POD, POD_LABELS};
    char pa[512], pb[512];
    struct pq_file *a = NULL, *b = NULL;
    struct ocp_error err;
    struct ocp_arena ar[2];
    struct ocp_batch ba, bb;
    int k;

    snprintf(pa, sizeof pa, "%s", tmp_path(na));
    snprintf(pb, sizeof pb, "%s", tmp_path(nb));
    if (write_file(pa, va) != OCP_OK || write_file(pb, vb) != OCP_OK) {
        CHECK(0);
        return;
    }
    CHECK_INT(pq_file_open(pa, NULL, &a, &err), OCP_OK);
    CHECK_INT(pq_file_open(pb, NULL, &b, &err), OCP_OK);
    if (a == NULL || b == NULL) {
        pq_file_close(a);
        pq_file_close(b);
        return;
    }
    ocp_arena_init(&ar[0], 0);
    ocp_arena_init(&ar[1], 0);
    CHECK_INT(pq_table_read(a, OCP_TABLE_POD, 0, 0, pq_row_group_num_rows(a, 0), &ar[0], &ba, &err),
              OCP_OK);
    pq_file_take_cache(b, a);
    CHECK_INT(pq_table_read(b, OCP_TABLE_POD, 2, 0, pq_row_group_num_rows(b, 2), &ar[1], &bb, &err),
              OCP_OK);
    for (k = 0; k < 4; k++) {
        const struct ocp_strdict *d0 = ba.col[cols[k]].str.dict, *d1 = bb.col[cols[k]].str.dict;
        uint32_t i;
        if (!ba.col[cols[k]].present || !bb.col[cols[k]].present || d0 == NULL || d1 == NULL)
            continue;
        if (va != vb && cols[k] == POD_LABELS)
            continue; /* MAP in one file, JSON text in the other */
        /* The same dictionary, grown: a string keeps its id. */
        CHECK(d0->serial == d1->serial);
        CHECK(d1->count >= d0->count);
        for (i = 0; i < d0->count; i++) {
            size_t l0, l1;
            const char *s0 = ocp_strdict_get(d0, i, &l0);
            const char *s1 = ocp_strdict_get(d1, i, &l1);
            CHECK(l0 == l1 && memcmp(s0, s1, l0) == 0);
        }
    }
    /* pod0 is the first pod of row groups 0 and 2: one id in both files. */
    CHECK_INT(ba.col[POD_POD].str.ids[0], bb.col[POD_POD].str.ids[0]);
    ocp_arena_release(&ar[0]);
    ocp_arena_release(&ar[1]);
    /* Both files still give the right rows (a with fresh caches). */
    CHECK_INT(bad_rows(a, 0, NROWS), 0);
    CHECK_INT(bad_rows(b, 0, NROWS), 0);
    CHECK_INT(bad_rows(b, 777, 1500), 0);
    pq_file_take_cache(b, b); /* no-op */
    pq_file_take_cache(b, NULL);
    CHECK_INT(bad_rows(b, 10, 100), 0);
    pq_file_close(a);
    pq_file_close(b);
}

struct reader_arg {
    struct pq_file *f;
    int bad;
};

static void *reader(void *p)
{
    struct reader_arg *a = p;
    int k;
    for (k = 0; k < 20; k++)
        a->bad += bad_rows(a->f, (k * 137) % 900, 1500);
    return NULL;
}

/* Two threads reading one file at once: one holds the file's lasting
 * dictionaries, the other reads without them; both get right rows. */
static void test_two_threads(void)
{
    const char *path = tmp_path("threads.parquet");
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct reader_arg args[2];
    pthread_t t[2];
    int i;

    if (write_file(path, V_FALLBACK) != OCP_OK) {
        CHECK(0);
        return;
    }
    CHECK_INT(pq_file_open(path, NULL, &f, &err), OCP_OK);
    if (f == NULL)
        return;
    for (i = 0; i < 2; i++) {
        args[i].f = f;
        args[i].bad = 0;
        CHECK_INT(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(args[i].bad, 0);
    }
    pq_file_close(f);
}

static void test_missing_required(void)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    const char *path = tmp_path("nopod.parquet");
    struct ocp_arena a;
    struct ocp_batch b;

    if (write_file(path, V_NO_POD) != OCP_OK) {
        CHECK(0);
        return;
    }
    CHECK_INT(pq_file_open(path, NULL, &f, &err), OCP_OK);
    if (f == NULL)
        return;
    ocp_error_clear(&err);
    CHECK_INT(pq_table_check(f, OCP_TABLE_POD, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "pod");
    CHECK_STR(err.file, path);
    ocp_arena_init(&a, 0);
    CHECK_INT(pq_table_read(f, OCP_TABLE_POD, 0, 0, 10, &a, &b, &err), OCP_ERR_DATA);
    ocp_arena_release(&a);
    /* The same file is a fine node-labels table?  No: node_labels is
     * missing, and that is named too. */
    ocp_error_clear(&err);
    CHECK_INT(pq_table_check(f, OCP_TABLE_NODE_LABELS, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "node_labels");
    pq_file_close(f);
}

/* One schema element of a hand-made footer. */
static void schema_el(struct pq_tw *t, const char *name, int type, int rep, int nchildren,
                      int converted)
{
    pq_tw_begin(t);
    if (type >= 0)
        pq_tw_field_i32(t, 1, type);
    if (rep >= 0)
        pq_tw_field_i32(t, 3, rep);
    pq_tw_field_string(t, 4, name);
    if (nchildren >= 0)
        pq_tw_field_i32(t, 5, nchildren);
    if (converted >= 0)
        pq_tw_field_i32(t, 6, converted);
    pq_tw_end(t);
}

/* A file without row groups whose interval_start is a LIST of
 * timestamps (and node_labels a bare repeated string): the adapter must
 * refuse it as unsupported, naming the column. */
static void test_nested_columns(void)
{
    struct pq_buf b = {0};
    struct pq_tw t;
    struct pq_file *f = NULL;
    struct ocp_error err;
    const char *path = tmp_path("nested.parquet");
    FILE *fp;
    uint8_t len[4];

    pq_tw_init(&t, &b);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, 1);
    pq_tw_field_list(&t, 2, PQ_TT_STRUCT, 7);
    schema_el(&t, "schema", -1, -1, 4, -1);
    schema_el(&t, "interval_start", -1, PQ_OPTIONAL, 1, PQ_CT_LIST);
    schema_el(&t, "list", -1, PQ_REPEATED, 1, -1);
    schema_el(&t, "element", PQ_INT64, PQ_OPTIONAL, -1, PQ_CT_TIMESTAMP_MICROS);
    schema_el(&t, "namespace", PQ_BYTE_ARRAY, PQ_OPTIONAL, -1, PQ_CT_UTF8);
    schema_el(&t, "node", PQ_BYTE_ARRAY, PQ_OPTIONAL, -1, PQ_CT_UTF8);
    schema_el(&t, "node_labels", PQ_BYTE_ARRAY, PQ_REPEATED, -1, PQ_CT_UTF8);
    pq_tw_field_i64(&t, 3, 0);
    pq_tw_field_list(&t, 4, PQ_TT_STRUCT, 0);
    pq_tw_end(&t);
    CHECK_INT(t.status, OCP_OK);
    len[0] = (uint8_t)b.len;
    len[1] = (uint8_t)(b.len >> 8);
    len[2] = len[3] = 0;
    fp = fopen(path, "wb");
    if (fp != NULL) {
        fwrite("PAR1", 1, 4, fp);
        fwrite(b.data, 1, b.len, fp);
        fwrite(len, 1, 4, fp);
        fwrite("PAR1", 1, 4, fp);
        fclose(fp);
    }
    pq_buf_release(&b);
    ocp_error_clear(&err);
    CHECK_INT(pq_file_open(path, NULL, &f, &err), OCP_OK);
    if (f == NULL) {
        fprintf(stderr, "open: %s\n", err.message);
        return;
    }
    CHECK_INT(pq_file_num_columns(f), 4);
    CHECK_INT(pq_file_column(f, 0)->shape, PQ_SHAPE_NESTED);
    CHECK_INT(pq_file_column(f, 0)->max_def, 3);
    CHECK_INT(pq_file_column(f, 0)->max_rep, 1);
    CHECK_STR(pq_file_column(f, 0)->path, "interval_start.list.element");
    ocp_error_clear(&err);
    CHECK_INT(pq_table_check(f, OCP_TABLE_NODE_LABELS, &err), OCP_ERR_UNSUPPORTED);
    CHECK_STR(err.column, "interval_start");
    CHECK_STR(err.file, path);
    CHECK(strstr(err.message, "LIST") != NULL);
    pq_file_close(f);
}

static void touch(const char *rel)
{
    FILE *fp = fopen(tmp_path(rel), "w");
    if (fp != NULL)
        fclose(fp);
}

static void test_dataset_list(void)
{
    char **paths = NULL;
    size_t n = 0;
    struct ocp_error err;
    char want[512];

    mkdir(tmp_path("ds"), 0755);
    mkdir(tmp_path("ds/source=abc"), 0755);
    mkdir(tmp_path("ds/source=abc/year=2025"), 0755);
    mkdir(tmp_path("ds/source=abc/year=2025/month=11"), 0755);
    mkdir(tmp_path("ds/.hidden"), 0755);
    mkdir(tmp_path("ds/_temporary"), 0755);
    touch("ds/source=abc/year=2025/month=11/b.parquet");
    touch("ds/source=abc/year=2025/month=11/a.parquet");
    touch("ds/source=abc/year=2025/month=11/_SUCCESS");
    touch("ds/source=abc/year=2025/month=11/.a.parquet.crc");
    touch("ds/source=abc/year=2025/month=11/x.parquet.crc");
    touch("ds/source=abc/notes.txt");
    touch("ds/.hidden/c.parquet");
    touch("ds/_temporary/d.parquet");
    touch("ds/z.parquet");
    CHECK_INT(pq_dataset_list(tmp_path("ds"), &paths, &n, &err), OCP_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        snprintf(want, sizeof want, "%s/source=abc/year=2025/month=11/a.parquet", tmp_path("ds"));
        CHECK_STR(paths[0], want);
        snprintf(want, sizeof want, "%s/source=abc/year=2025/month=11/b.parquet", tmp_path("ds"));
        CHECK_STR(paths[1], want);
        snprintf(want, sizeof want, "%s/z.parquet", tmp_path("ds"));
        CHECK_STR(paths[2], want);
    }
    pq_dataset_free(paths, n);
    ocp_error_clear(&err);
    CHECK_INT(pq_dataset_list(tmp_path("nope"), &paths, &n, &err), OCP_ERR_NOINPUT);
    CHECK_STR(err.file, tmp_path("nope"));
    CHECK_INT(n, 0);
}

static void test_open_errors(void)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    FILE *fp;

    ocp_error_clear(&err);
    CHECK_INT(pq_file_open(tmp_path("missing.parquet"), NULL, &f, &err), OCP_ERR_NOINPUT);
    CHECK(f == NULL);
    CHECK_STR(err.file, tmp_path("missing.parquet"));
    fp = fopen(tmp_path("text.parquet"), "w");
    if (fp != NULL) {
        fputs("this is not a parquet file at all, just text\n", fp);
        fclose(fp);
    }
    ocp_error_clear(&err);
    CHECK_INT(pq_file_open(tmp_path("text.parquet"), NULL, &f, &err), OCP_ERR_DATA);
    CHECK_STR(err.file, tmp_path("text.parquet"));
    fp = fopen(tmp_path("tiny.parquet"), "w");
    if (fp != NULL) {
        fputs("PAR1", fp);
        fclose(fp);
    }
    CHECK_INT(pq_file_open(tmp_path("tiny.parquet"), NULL, &f, &err), OCP_ERR_DATA);
}

int main(void)
{
    if (tl_tmpdir_make(tmpdir, sizeof tmpdir, NULL, "test_pq_table.XXXXXX") != 0)
        return 1;
    gen();
    RUN(test_open_errors);
    test_variant(V_MICROS_MAP, "micros_map.parquet");
    test_variant(V_TEXT_TIME, "text_time.parquet");
    test_variant(V_MILLIS_PLAIN, "millis_plain.parquet");
    test_variant(V_FALLBACK, "fallback.parquet");
    test_lasting_dictionaries(V_MICROS_MAP, "lasting_map.parquet");
    test_lasting_dictionaries(V_TEXT_TIME, "lasting_text.parquet");
    test_lasting_dictionaries(V_FALLBACK, "lasting_fallback.parquet");
    test_cache_handover(V_MICROS_MAP, V_MICROS_MAP, "hand_a.parquet", "hand_b.parquet");
    test_cache_handover(V_FALLBACK, V_FALLBACK, "hand_fa.parquet", "hand_fb.parquet");
    test_cache_handover(V_MICROS_MAP, V_TEXT_TIME, "hand_m.parquet", "hand_t.parquet");
    RUN(test_two_threads);
    RUN(test_missing_required);
    RUN(test_nested_columns);
    RUN(test_dataset_list);
    tl_tmpdir_remove(tmpdir);
    return TEST_SUMMARY();
}
