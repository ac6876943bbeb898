/*
 * test_pq_read.c - conformance of the Parquet reader on the files of
 * parquet-testing (tests/data/parquet-testing, skipped when absent): every
 * flat or MAP file of its INDEX.md reads to the values of its *_expect.csv
 * or to values checked by hand (row counts, first and last rows, sums and
 * invariants between columns), row ranges equal full reads, and
 * statistics decode as expected.  MAPs, LISTs and CRCs are in
 * test_pq_nested.c.
 */
#include "test_pq_util.h"

/* ---- files with an *_expect.csv ------------------------------------ */

/* Splits one CSV line (quotes allowed, no embedded newlines) into
 * fields; returns the count. */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line, *o;

    while (n < max) {
        int quoted = *p == '"';
        fields[n++] = o = p + quoted;
        if (quoted) {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *o++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *o++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                *o++ = *p++;
        }
        if (*p == ',') {
            *o = '\0';
            p++;
            continue;
        }
        *o = '\0';
        break;
    }
    return n;
}

static void check_expect_csv(const char *name, const char *csv)
{
    struct pq_file *f = open_file(name);
    FILE *fp;
    char line[65536], *fields[128];
    int ncols, j, bad = 0;
    int64_t row = 0;
    struct pq_colvalues *v;

    if (f == NULL)
        return;
    fp = fopen(path_of(csv), "r");
    CHECK(fp != NULL);
    if (fp == NULL) {
        pq_file_close(f);
        return;
    }
    ncols = pq_file_num_columns(f);
    v = calloc((size_t)ncols, sizeof *v);
    CHECK_INT(pq_file_num_row_groups(f), 1);
    for (j = 0; j < ncols; j++) {
        struct ocp_error err;
        CHECK_INT(pq_column_read(f, 0, j, 0, -1, &arena, &v[j], &err), OCP_OK);
    }
    if (fgets(line, sizeof line, fp) == NULL) /* header */
        CHECK(0);
    while (fgets(line, sizeof line, fp) != NULL && bad < 5) {
        int n = csv_split(line, fields, 128);
        CHECK_INT(n, ncols);
        if (n != ncols || row >= v[0].nrows) {
            bad++;
            break;
        }
        for (j = 0; j < ncols; j++) {
            const char *e = fields[j];
            int ok;
            if (is_null(f, &v[j], row))
                ok = e[0] == '\0';
            else if (v[j].type == PQ_BYTE_ARRAY)
                ok = strcmp(sval(&v[j], row), e) == 0;
            else
                ok = e[0] != '\0' && strtoll(e, NULL, 10) == ival(&v[j], row);
            if (!ok) {
                fprintf(stderr, "%s row %lld col %d: expected '%s'\n", name, (long long)row, j, e);
                bad++;
            }
        }
        row++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(row, v[0].nrows);
    fclose(fp);
    free(v);
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_expect_csv(void)
{
    check_expect_csv("delta_binary_packed.parquet", "delta_binary_packed_expect.csv");
    check_expect_csv("delta_byte_array.parquet", "delta_byte_array_expect.csv");
    check_expect_csv("delta_encoding_optional_column.parquet",
                     "delta_encoding_optional_column_expect.csv");
    check_expect_csv("delta_encoding_required_column.parquet",
                     "delta_encoding_required_column_expect.csv");
}

/* ---- the alltypes family ------------------------------------------- */

/* 2009-01-01 00:00:00 UTC in seconds. */
#define T2009 INT64_C(1230768000)

static void check_alltypes(const char *name, int n, const int *ids, const int64_t *ts_sec)
{
    struct pq_file *f = open_file(name);
    struct pq_colvalues id, b, ti, bi, fl, db, st, ds, ts;
    int i;

    if (f == NULL)
        return;
    CHECK_INT(pq_file_num_rows(f), n);
    if (read_col(f, 0, "id", &id) || read_col(f, 0, "bool_col", &b) ||
        read_col(f, 0, "tinyint_col", &ti) || read_col(f, 0, "bigint_col", &bi) ||
        read_col(f, 0, "float_col", &fl) || read_col(f, 0, "double_col", &db) ||
        read_col(f, 0, "string_col", &st) || read_col(f, 0, "date_string_col", &ds) ||
        read_col(f, 0, "timestamp_col", &ts)) {
        pq_file_close(f);
        return;
    }
    CHECK_INT(id.nrows, n);
    for (i = 0; i < n && i < id.nrows; i++) {
        int k = ids[i] % 2;
        int64_t us;
        char want[16];
        CHECK_INT(ival(&id, i), ids[i]);
        CHECK_INT(((const uint8_t *)b.values)[i], !k);
        CHECK_INT(ival(&ti, i), k);
        CHECK_INT(ival(&bi, i), 10 * k);
        CHECK_DBL(dval(&fl, i), k ? 1.1f : 0.0f, 0);
        CHECK_DBL(dval(&db, i), 10.1 * k, 0);
        snprintf(want, sizeof want, "%d", k);
        CHECK_STR(sval(&st, i), want);
        CHECK_INT(pq_int96_to_us((const uint8_t *)ts.values + 12 * i, &us), 0);
        CHECK_INT(us, ts_sec[i] * 1000000);
    }
    /* The date text agrees with the timestamp: row 0 of alltypes_plain is
     * 03/01/09. */
    if (ids[0] == 4)
        CHECK_STR(sval(&ds, 0), "03/01/09");
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_alltypes(void)
{
    /* 2009-03-01, 04-01, 02-01, 01-01: days 59, 90, 31, 0 after T2009;
     * odd ids are one minute later. */
    static const int ids[8] = {4, 5, 6, 7, 2, 3, 0, 1};
    static const int64_t ts[8] = {T2009 + 59 * 86400,
                                  T2009 + 59 * 86400 + 60,
                                  T2009 + 90 * 86400,
                                  T2009 + 90 * 86400 + 60,
                                  T2009 + 31 * 86400,
                                  T2009 + 31 * 86400 + 60,
                                  T2009,
                                  T2009 + 60};
    check_alltypes("alltypes_plain.parquet", 8, ids, ts);
    check_alltypes("alltypes_plain.snappy.parquet", 2, ids + 2, ts + 2);
    check_alltypes("alltypes_dictionary.parquet", 2, ids + 6, ts + 6);
}

/* alltypes_tiny_pages: 7,300 rows in many small pages; columns follow id
 * (tinyint = id % 10, bigint = 10 * tinyint, ...), and the _plain twin
 * holds the same ids.  Row ranges skip pages. */
static void check_tiny_pages(const char *name, int64_t *idsum, int32_t *first)
{
    struct pq_file *f = open_file(name);
    struct pq_colvalues id, ti, bi, db, st, b, part;
    struct ocp_error err;
    int64_t i, sum = 0;
    int bad = 0;

    if (f == NULL)
        return;
    CHECK_INT(pq_file_num_rows(f), 7300);
    if (read_col(f, 0, "id", &id) || read_col(f, 0, "tinyint_col", &ti) ||
        read_col(f, 0, "bigint_col", &bi) || read_col(f, 0, "double_col", &db) ||
        read_col(f, 0, "string_col", &st) || read_col(f, 0, "bool_col", &b)) {
        pq_file_close(f);
        return;
    }
    CHECK_INT(id.nrows, 7300);
    for (i = 0; i < id.nrows; i++) {
        int64_t x = ival(&id, i), k = x % 10;
        char want[8];
        sum += x;
        snprintf(want, sizeof want, "%d", (int)k);
        if (ival(&ti, i) != k || ival(&bi, i) != 10 * k || dval(&db, i) != 10.1 * (double)k ||
            strcmp(sval(&st, i), want) || ((const uint8_t *)b.values)[i] != (x % 2 == 0))
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(sum, 7299 * 7300 / 2);
    *idsum = sum;
    *first = (int32_t)ival(&id, 0);
    /* Row ranges equal the same rows of the full read, read with one
     * pread per chunk and (whole_chunk_bytes 1) page by page. */
    {
        static const int64_t ranges[][2] = {{3001, 777}, {0, 1}, {0, 7300}, {7299, 1}, {100, 4000}};
        int pass;
        for (pass = 0; pass < 2; pass++) {
            struct pq_file *g;
            size_t r;
            whole_chunk_bytes = pass ? 1 : 0;
            g = open_file(name);
            for (r = 0; g != NULL && r < sizeof ranges / sizeof ranges[0]; r++) {
                struct pq_colvalues ps, pd;
                ocp_error_clear(&err);
                CHECK_INT(pq_column_read(g, 0, pq_column_find(g, "id"), ranges[r][0], ranges[r][1],
                                         &arena, &part, &err),
                          OCP_OK);
                CHECK_INT(pq_column_read(g, 0, pq_column_find(g, "string_col"), ranges[r][0],
                                         ranges[r][1], &arena, &ps, &err),
                          OCP_OK);
                CHECK_INT(pq_column_read(g, 0, pq_column_find(g, "double_col"), ranges[r][0],
                                         ranges[r][1], &arena, &pd, &err),
                          OCP_OK);
                CHECK_INT(part.nrows, ranges[r][1]);
                for (i = 0, bad = 0; i < part.nrows; i++) {
                    int64_t at = ranges[r][0] + i;
                    bad += ival(&part, i) != ival(&id, at);
                    bad += dval(&pd, i) != dval(&db, at);
                    bad += strcmp(sval(&ps, i), want_str(&st, at)) != 0;
                }
                CHECK_INT(bad, 0);
            }
            pq_file_close(g);
        }
        whole_chunk_bytes = 0;
    }
    CHECK_INT(pq_column_read(f, 0, pq_column_find(f, "string_col"), 7299, 1, &arena, &part, &err),
              OCP_OK);
    CHECK_STR(sval(&part, 0), sval(&st, 7299));
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_tiny_pages(void)
{
    int64_t s1 = 0, s2 = 0;
    int32_t f1 = -1, f2 = -2;
    check_tiny_pages("alltypes_tiny_pages.parquet", &s1, &f1);
    check_tiny_pages("alltypes_tiny_pages_plain.parquet", &s2, &f2);
    CHECK_INT(s1, s2);
    CHECK_INT(f1, 122);
    CHECK_INT(f2, 122);
}

/* ---- numbers of many shapes ---------------------------------------- */

static void test_decimals(void)
{
    static const char *files[] = {
        "int32_decimal.parquet", "int64_decimal.parquet", "fixed_length_decimal.parquet",
        "fixed_length_decimal_legacy.parquet", "byte_array_decimal.parquet"};
    size_t k;

    /* Each holds 1.00, 2.00, ... 24.00 with scale 2. */
    for (k = 0; k < sizeof files / sizeof files[0]; k++) {
        struct pq_file *f = open_file(files[k]);
        struct pq_colvalues v;
        const struct pq_colinfo *c;
        int64_t i;
        int bad = 0;
        if (f == NULL)
            continue;
        c = pq_file_column(f, 0);
        CHECK_INT(c->logical, PQ_LT_DECIMAL);
        CHECK_INT(c->scale, 2);
        if (read_col(f, 0, "value", &v) == OCP_OK) {
            CHECK_INT(v.nrows, 24);
            for (i = 0; i < v.nrows; i++) {
                double d;
                if (c->type == PQ_INT32 || c->type == PQ_INT64) {
                    d = (double)ival(&v, i) / 100.0;
                } else if (c->type == PQ_BYTE_ARRAY) {
                    size_t len;
                    const char *s = ocp_strdict_get(v.dict, v.ids[i], &len);
                    d = pq_decimal_to_double((const uint8_t *)s, len, 2);
                } else {
                    d = pq_decimal_to_double((const uint8_t *)v.values + (size_t)c->type_length * i,
                                             (size_t)c->type_length, 2);
                }
                bad += fabs(d - (double)(i + 1)) > 1e-9;
            }
            CHECK_INT(bad, 0);
        }
        pq_file_close(f);
        ocp_arena_reset(&arena);
    }
}

static void test_float16(void)
{
    struct pq_file *f = open_file("float16_nonzeros_and_nans.parquet");
    struct pq_colvalues v;
    struct pq_colstats st;
    static const double want[8] = {0, 1, -2, NAN, 0, -1, -0.0, 2};
    int i;

    if (f != NULL && read_col(f, 0, "x", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 8);
        CHECK(is_null(f, &v, 0));
        for (i = 1; i < 8; i++) {
            CHECK(!is_null(f, &v, i));
            if (isnan(want[i]))
                CHECK(isnan(dval(&v, i)));
            else
                CHECK_DBL(dval(&v, i), want[i], 0);
        }
        CHECK(signbit(dval(&v, 6)));
        CHECK_INT(pq_column_stats(f, 0, 0, &st, NULL), OCP_OK);
        CHECK(st.has_min && st.has_max && st.kind == 'd');
        CHECK_DBL(st.min_d, -2, 0);
        CHECK_DBL(st.max_d, 2, 0);
    }
    pq_file_close(f);
    f = open_file("float16_zeros_and_nans.parquet");
    if (f != NULL && read_col(f, 0, "x", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 3);
        CHECK(is_null(f, &v, 0));
        CHECK_DBL(dval(&v, 1), 0, 0);
        CHECK(isnan(dval(&v, 2)));
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_nan_stats(void)
{
    struct pq_file *f = open_file("nan_in_stats.parquet");
    struct pq_colvalues v;
    struct pq_colstats st;

    if (f != NULL && read_col(f, 0, "x", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 2);
        CHECK_DBL(dval(&v, 0), 1, 0);
        CHECK(isnan(dval(&v, 1)));
        /* The max bound is NaN and so ignored; the min is 1. */
        CHECK_INT(pq_column_stats(f, 0, 0, &st, NULL), OCP_OK);
        CHECK(st.has_min);
        CHECK_DBL(st.min_d, 1, 0);
        CHECK(!st.has_max);
    }
    pq_file_close(f);
    f = open_file("single_nan.parquet");
    if (f != NULL && read_col(f, 0, "mycol", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 1);
        CHECK(is_null(f, &v, 0));
        CHECK_INT(pq_column_stats(f, 0, 0, &st, NULL), OCP_OK);
        CHECK(!st.has_min && !st.has_max);
        CHECK_INT(st.null_count, 1);
    }
    pq_file_close(f);
    f = open_file("floating_orders_nan_count.parquet");
    if (f != NULL) {
        static const char *cols[] = {"float_ieee754", "double_typedef", "float16_ieee754"};
        size_t k;
        /* Five row groups of ten: the second has 4 NaNs among -2..3, the
         * third only NaNs (so no bounds at all). */
        CHECK_INT(pq_file_num_row_groups(f), 5);
        for (k = 0; k < 3; k++) {
            int c = pq_column_find(f, cols[k]), i, rg, nans = 0;
            CHECK(c >= 0);
            for (rg = 0; c >= 0 && rg < pq_file_num_row_groups(f); rg++) {
                if (read_col(f, rg, cols[k], &v) != OCP_OK)
                    continue;
                CHECK_INT(v.nrows, 10);
                for (i = 0; i < 10; i++)
                    nans += isnan(dval(&v, i));
                CHECK_INT(pq_column_stats(f, rg, c, &st, NULL), OCP_OK);
                CHECK(!st.has_min || !isnan(st.min_d));
                CHECK(!st.has_max || !isnan(st.max_d));
                if (rg == 0)
                    CHECK_DBL(dval(&v, 0), -2, 0);
                if (rg == 2)
                    CHECK(!st.has_min && !st.has_max);
                if (rg == 1 && k == 0) {
                    CHECK(st.has_min && st.has_max);
                    CHECK_DBL(st.min_d, -2, 0);
                    CHECK_DBL(st.max_d, 3, 0);
                }
            }
            CHECK_INT(nans, 14);
        }
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_int96(void)
{
    struct pq_file *f = open_file("int96_from_spark.parquet");
    struct pq_colvalues v;
    /* pyarrow / Spark: 2024-01-01 20:34:56.123456, 2024-01-01 01:00:00,
     * 9999-12-31 03:00:00, 2024-12-30 23:00:00, NULL, and a value far
     * below the int64 microsecond range, which saturates. */
    static const int64_t want[6] = {INT64_C(1704141296123456),
                                    INT64_C(1704070800000000),
                                    INT64_C(253402225200000000),
                                    INT64_C(1735599600000000),
                                    0,
                                    INT64_MIN + 1};
    int i;

    if (f != NULL && read_col(f, 0, "a", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 6);
        for (i = 0; i < 6; i++) {
            int64_t us;
            int sat = pq_int96_to_us((const uint8_t *)v.values + 12 * i, &us);
            if (i == 4) {
                CHECK(is_null(f, &v, i));
                continue;
            }
            CHECK_INT(sat, i == 5);
            CHECK_INT(us, want[i]);
        }
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_bss(void)
{
    struct pq_file *f = open_file("byte_stream_split.zstd.parquet");
    struct pq_colvalues a, b;
    static const char *pairs[][2] = {
        {"float16_plain", "float16_byte_stream_split"}, {"float_plain", "float_byte_stream_split"},
        {"double_plain", "double_byte_stream_split"},   {"int32_plain", "int32_byte_stream_split"},
        {"int64_plain", "int64_byte_stream_split"},     {"flba5_plain", "flba5_byte_stream_split"},
        {"decimal_plain", "decimal_byte_stream_split"}};
    size_t k;

    if (f != NULL && read_col(f, 0, "f32", &a) == OCP_OK && read_col(f, 0, "f64", &b) == OCP_OK) {
        CHECK_INT(a.nrows, 300);
        CHECK_DBL(dval(&a, 0), 1.7640524f, 0);
        CHECK_DBL(dval(&a, 299), 0.37005588f, 0);
        CHECK_DBL(dval(&b, 0), -1.3065268517353166, 0);
        CHECK_DBL(dval(&b, 299), -0.17858909208732915, 0);
    }
    pq_file_close(f);
    /* The extended file holds each column twice, PLAIN and split: they
     * must agree byte for byte. */
    f = open_file("byte_stream_split_extended.gzip.parquet");
    for (k = 0; f != NULL && k < sizeof pairs / sizeof pairs[0]; k++) {
        const struct pq_colinfo *c;
        size_t w;
        if (pq_column_find(f, pairs[k][0]) < 0)
            continue;
        if (read_col(f, 0, pairs[k][0], &a) || read_col(f, 0, pairs[k][1], &b))
            continue;
        c = pq_file_column(f, a.column);
        w = c->type == PQ_FIXED_LEN_BYTE_ARRAY             ? (size_t)c->type_length
            : (c->type == PQ_INT32 || c->type == PQ_FLOAT) ? 4
                                                           : 8;
        CHECK_INT(a.nrows, 200);
        CHECK_INT(b.nrows, 200);
        CHECK(memcmp(a.values, b.values, w * 200) == 0);
    }
    if (f != NULL && read_col(f, 0, "int32_byte_stream_split", &a) == OCP_OK)
        CHECK_INT(ival(&a, 0), 24191);
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

/* ---- codecs and pages ---------------------------------------------- */

static void check_lz4_small(const char *name)
{
    struct pq_file *f = open_file(name);
    struct pq_colvalues c0, c1, v11;
    static const int64_t t[4] = {1593604800, 1593604800, 1593604801, 1593604801};
    static const double d[4] = {42.0, 7.7, 42.125, 7.7};
    int i;

    if (f != NULL && read_col(f, 0, "c0", &c0) == OCP_OK && read_col(f, 0, "c1", &c1) == OCP_OK &&
        read_col(f, 0, "v11", &v11) == OCP_OK) {
        CHECK_INT(c0.nrows, 4);
        for (i = 0; i < 4; i++) {
            CHECK_INT(ival(&c0, i), t[i]);
            CHECK_STR(sval(&c1, i), i % 2 ? "def" : "abc");
            CHECK_DBL(dval(&v11, i), d[i], 0);
        }
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void check_uuid_file(const char *name)
{
    struct pq_file *f = open_file(name);
    struct pq_colvalues a;

    if (f != NULL && read_col(f, 0, "a", &a) == OCP_OK) {
        CHECK_INT(a.nrows, 10000);
        CHECK_STR(sval(&a, 0), "c7ce6bef-d5b0-4863-b199-8ea8c7fb117b");
        CHECK_STR(sval(&a, 9999), "85440778-460a-41ac-aa2e-ac3ee41696bf");
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_codecs(void)
{
    struct pq_file *f;
    struct pq_colvalues v;
    int64_t i, sum = 0;

    check_lz4_small("hadoop_lz4_compressed.parquet");
    check_lz4_small("non_hadoop_lz4_compressed.parquet");
    check_lz4_small("lz4_raw_compressed.parquet");
    check_uuid_file("hadoop_lz4_compressed_larger.parquet");
    check_uuid_file("lz4_raw_compressed_larger.parquet");
    f = open_file("concatenated_gzip_members.parquet");
    if (f != NULL && read_col(f, 0, "long_col", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 513);
        for (i = 0; i < v.nrows; i++)
            sum += ival(&v, i) == i + 1;
        CHECK_INT(sum, 513);
    }
    pq_file_close(f);
    f = open_file("delta_length_byte_array.parquet");
    if (f != NULL && read_col(f, 0, "FRUIT", &v) == OCP_OK) {
        int bad = 0;
        CHECK_INT(v.nrows, 1000);
        for (i = 0; i < v.nrows; i++) {
            char want[64];
            snprintf(want, sizeof want, "apple_banana_mango%lld", (long long)(i * i));
            bad += strcmp(sval(&v, i), want) != 0;
        }
        CHECK_INT(bad, 0);
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_pages(void)
{
    struct pq_file *f;
    struct pq_colvalues v;
    int64_t i, n;

    /* A v2 page with an empty values section (one NULL). */
    f = open_file("datapage_v2_empty_datapage.snappy.parquet");
    if (f != NULL && read_col(f, 0, "value", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 1);
        CHECK_INT(v.null_count, 1);
    }
    pq_file_close(f);
    /* ZSTD that decompresses to nothing: ten NULLs. */
    f = open_file("page_v2_empty_compressed.parquet");
    if (f != NULL && read_col(f, 0, "integer_column", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 10);
        CHECK_INT(v.null_count, 10);
    }
    pq_file_close(f);
    /* RLE booleans in v2 pages: 68 values, 6 NULLs. */
    f = open_file("rle_boolean_encoding.parquet");
    if (f != NULL && read_col(f, 0, "datatype_boolean", &v) == OCP_OK) {
        const uint8_t *b = v.values;
        CHECK_INT(v.nrows, 68);
        CHECK_INT(v.null_count, 6);
        CHECK_INT(b[0], 1);
        CHECK_INT(b[1], 0);
        CHECK(is_null(f, &v, 2));
        CHECK_INT(b[3], 1);
    }
    pq_file_close(f);
    /* More than 32,767 pages in one chunk. */
    f = open_file("overflow_i16_page_cnt.parquet");
    if (f != NULL && read_col(f, 0, "inc", &v) == OCP_OK) {
        const uint8_t *b = v.values;
        CHECK_INT(v.nrows, 40000);
        for (i = 0, n = 0; i < v.nrows; i++)
            n += b[i];
        CHECK_INT(n, 0);
    }
    pq_file_close(f);
    /* Whole pages of NULLs. */
    f = open_file("int32_with_null_pages.parquet");
    if (f != NULL && read_col(f, 0, "int32_field", &v) == OCP_OK) {
        struct pq_colstats st;
        int64_t mn = INT64_MAX, mx = INT64_MIN;
        CHECK_INT(v.nrows, 1000);
        CHECK_INT(v.null_count, 275);
        for (i = 0; i < v.nrows; i++) {
            if (is_null(f, &v, i))
                continue;
            mn = ival(&v, i) < mn ? ival(&v, i) : mn;
            mx = ival(&v, i) > mx ? ival(&v, i) : mx;
        }
        CHECK_INT(pq_column_stats(f, 0, 0, &st, NULL), OCP_OK);
        CHECK_INT(st.min_i, mn);
        CHECK_INT(st.max_i, mx);
        CHECK_INT(st.null_count, 275);
    }
    pq_file_close(f);
    /* dictionary_page_offset 0 without a dictionary page. */
    f = open_file("dict-page-offset-zero.parquet");
    if (f != NULL && read_col(f, 0, "l_partkey", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 39);
        for (i = 0, n = 0; i < v.nrows; i++)
            n += ival(&v, i) == 1552;
        CHECK_INT(n, 39);
    }
    pq_file_close(f);
    /* FLBA(4) with NULLs: big-endian integers up to 1000. */
    f = open_file("fixed_length_byte_array.parquet");
    if (f != NULL && read_col(f, 0, "flba_field", &v) == OCP_OK) {
        const uint8_t *p = v.values;
        CHECK_INT(v.nrows, 1000);
        CHECK_INT(v.null_count, 105);
        CHECK_INT(p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3], 1000);
    }
    pq_file_close(f);
    /* Zero rows. */
    f = open_file("column_chunk_key_value_metadata.parquet");
    if (f != NULL) {
        CHECK_INT(pq_file_num_rows(f), 0);
        if (pq_file_num_row_groups(f) > 0 && read_col(f, 0, "column1", &v) == OCP_OK)
            CHECK_INT(v.nrows, 0);
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

/* ---- strings, binary, statistics ----------------------------------- */

static void test_strings(void)
{
    struct pq_file *f;
    struct pq_colvalues v;
    struct pq_colstats st;
    int64_t i;

    f = open_file("binary.parquet");
    if (f != NULL && read_col(f, 0, "foo", &v) == OCP_OK) {
        int bad = 0;
        CHECK_INT(v.nrows, 12);
        for (i = 0; i < 12; i++) {
            size_t len;
            const char *s = ocp_strdict_get(v.dict, v.ids[i], &len);
            bad += len != 1 || (uint8_t)s[0] != i;
        }
        CHECK_INT(bad, 0);
    }
    pq_file_close(f);
    f = open_file("unknown-logical-type.parquet");
    if (f != NULL && read_col(f, 0, "column with unknown type", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 3);
        CHECK_STR(sval(&v, 0), "unknown string 1");
        CHECK_STR(sval(&v, 2), "unknown string 3");
    }
    pq_file_close(f);
    f = open_file("binary_truncated_min_max.parquet");
    if (f != NULL && read_col(f, 0, "utf8_full_truncation", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 12);
        CHECK_STR(sval(&v, 0), "Blart Versenwald III");
        CHECK_STR(sval(&v, 11), "Kevin Bacon");
        CHECK_INT(pq_column_stats(f, 0, 0, &st, NULL), OCP_OK);
        CHECK(st.has_min && st.has_max && st.kind == 0);
    }
    pq_file_close(f);
    f = open_file("data_index_bloom_encoding_stats.parquet");
    if (f != NULL && read_col(f, 0, "String", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 14);
        CHECK_STR(sval(&v, 0), "Hello");
        CHECK_STR(sval(&v, 13), "dog");
    }
    pq_file_close(f);
    /* Two row groups of the same three rows. */
    f = open_file("sort_columns.parquet");
    if (f != NULL) {
        int rg;
        CHECK_INT(pq_file_num_row_groups(f), 2);
        for (rg = 0; rg < pq_file_num_row_groups(f); rg++) {
            struct pq_colvalues a, b;
            if (read_col(f, rg, "a", &a) || read_col(f, rg, "b", &b))
                continue;
            CHECK(is_null(f, &a, 0));
            CHECK_INT(ival(&a, 1), 2);
            CHECK_INT(ival(&a, 2), 1);
            CHECK_STR(sval(&b, 0), "a");
            CHECK_STR(sval(&b, 2), "c");
        }
    }
    pq_file_close(f);
    /* Nothing but NULLs in an optional struct. */
    f = open_file("nulls.snappy.parquet");
    if (f != NULL && read_col(f, 0, "b_struct.b_c_int", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 8);
        CHECK_INT(v.null_count, 8);
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

int main(void)
{
    if (!pq_test_setup())
        return TEST_SUMMARY();
    RUN(test_expect_csv);
    RUN(test_alltypes);
    RUN(test_tiny_pages);
    RUN(test_decimals);
    RUN(test_float16);
    RUN(test_nan_stats);
    RUN(test_int96);
    RUN(test_bss);
    RUN(test_codecs);
    RUN(test_pages);
    RUN(test_strings);
    ocp_arena_release(&arena);
    return TEST_SUMMARY();
}
