/*
 * test_pq_write.c - the Parquet writer: Thrift compact encoding byte by
 * byte, the temporary file and its rename, error paths, schema and
 * metadata as our reader sees them.  Value round trips are in
 * test_pq_write_rt.c.
 */
#include <errno.h>
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

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int bytes_equal(const struct pq_buf *b, const uint8_t *want, size_t n)
{
    size_t i;
    if (b->len != n) {
        fprintf(stderr, "length %zu, expected %zu\n", b->len, n);
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (b->data[i] != want[i]) {
            fprintf(stderr, "byte %zu is 0x%02x, expected 0x%02x\n", i, b->data[i], want[i]);
            return 0;
        }
    }
    return 1;
}

static void test_thrift_bytes(void)
{
    struct pq_buf b = {0};
    struct pq_tw t;
    static const uint8_t want[] = {
        0x15, 0x0A,                   /* field 1 i32 5: delta 1, type 5; zigzag 10 */
        0x26, 0x01,                   /* field 3 i64 -1: delta 2, type 6; zigzag 1 */
        0x08, 0x28, 0x02, 'a',  'b',  /* field 20 binary: long form, zigzag 40 */
        0x11,                         /* field 21 bool true: delta 1, type 1 */
        0x19, 0x35, 0x02, 0x04, 0x05, /* field 22 list<i32> [1, 2, -3] */
        0x1C,                         /* field 23 struct */
        0x15, 0xD8, 0x04,             /* field 1 i32 300: zigzag 600 = 0x258 */
        0x12,                         /* field 2 bool false: type 2 */
        0x00,                         /* end of inner struct */
        0x19, 0xF8, 0x14,             /* field 24 list<binary> of 20: long header */
    };
    int i;

    pq_tw_init(&t, &b);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, 5);
    pq_tw_field_i64(&t, 3, -1);
    pq_tw_field_string(&t, 20, "ab");
    pq_tw_field_bool(&t, 21, 1);
    pq_tw_field_list(&t, 22, PQ_TT_I32, 3);
    pq_tw_i32(&t, 1);
    pq_tw_i32(&t, 2);
    pq_tw_i32(&t, -3);
    pq_tw_field_struct(&t, 23);
    pq_tw_field_i32(&t, 1, 300);
    pq_tw_field_bool(&t, 2, 0);
    pq_tw_end(&t);
    pq_tw_field_list(&t, 24, PQ_TT_BINARY, 20);
    CHECK_INT(t.status, OCP_OK);
    CHECK(bytes_equal(&b, want, sizeof want));
    for (i = 0; i < 20; i++)
        pq_tw_binary(&t, "", 0);
    pq_tw_end(&t);
    CHECK_INT(t.status, OCP_OK);
    CHECK_INT(b.len, sizeof want + 20 + 1);
    CHECK_INT(b.data[b.len - 1], 0);
    /* Ending more structs than were begun is a software error. */
    pq_tw_end(&t);
    CHECK_INT(t.status, OCP_ERR_SOFTWARE);
    pq_buf_release(&b);
}

static void test_stats_bytes(void)
{
    struct pq_buf b = {0};
    struct pq_tw t;
    struct pq_wstats s;
    static const uint8_t want[] = {
        0x1C,            /* field 1 struct */
        0x36, 0x06,      /* field 3 null_count 3 */
        0x28, 0x01, 'z', /* field 5 max_value "z" */
        0x18, 0x01, 'a', /* field 6 min_value "a" */
        0x00, 0x00,
    };

    memset(&s, 0, sizeof s);
    s.null_count = 3;
    s.has_minmax = 1;
    pq_buf_append(&s.min, "a", 1);
    pq_buf_append(&s.max, "z", 1);
    pq_tw_init(&t, &b);
    pq_tw_begin(&t);
    pq_tw_field_stats(&t, 1, &s);
    pq_tw_end(&t);
    CHECK_INT(t.status, OCP_OK);
    CHECK(bytes_equal(&b, want, sizeof want));
    pq_buf_release(&b);
    pq_buf_release(&s.min);
    pq_buf_release(&s.max);
}

static const struct pq_column_desc small_cols[] = {
    {"id", PQ_WT_INT64, 0, 0, 0, PQ_DICT_AUTO},
    {"name", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO},
};

static void test_rename_and_abort(void)
{
    struct pq_schema_desc schema = {2, small_cols};
    struct pq_writer *w = NULL;
    struct ocp_error err;
    int64_t ids[3] = {1, 2, 3};
    const char *names[3] = {"a", NULL, "c"};
    struct pq_column_data cols[2];
    char tmp[600];
    const char *path = tmp_path("rename.parquet");

    memset(cols, 0, sizeof cols);
    cols[0].i64 = ids;
    cols[1].str.cstr = names;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());

    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(path, &schema, NULL, &w, &err), OCP_OK);
    CHECK_INT(pq_writer_write_batch(w, cols, 3, &err), OCP_OK);
    CHECK(exists(tmp));
    CHECK(!exists(path));
    CHECK_INT(pq_writer_rows(w), 3);
    CHECK_INT(pq_writer_close(w, &err), OCP_OK);
    CHECK(!exists(tmp));
    CHECK(exists(path));

    /* Abort leaves nothing, not even the earlier file's temp name. */
    path = tmp_path("aborted.parquet");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK_INT(pq_writer_create(path, &schema, NULL, &w, &err), OCP_OK);
    CHECK_INT(pq_writer_write_batch(w, cols, 3, &err), OCP_OK);
    pq_writer_abort(w);
    CHECK(!exists(tmp));
    CHECK(!exists(path));

    /* A NULL in a REQUIRED column fails the batch, and close then fails
     * and cleans up. */
    path = tmp_path("failed.parquet");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    {
        const char *bad[3] = {"x", "y", "z"};
        uint8_t valid[3] = {1, 0, 1};
        struct pq_column_desc req[1] = {{"s", PQ_WT_STRING, 0, 0, 0, PQ_DICT_AUTO}};
        struct pq_schema_desc rs = {1, req};
        struct pq_column_data c1;
        memset(&c1, 0, sizeof c1);
        c1.str.cstr = bad;
        c1.valid = valid;
        CHECK_INT(pq_writer_create(path, &rs, NULL, &w, &err), OCP_OK);
        CHECK_INT(pq_writer_write_batch(w, &c1, 3, &err), OCP_ERR_DATA);
        CHECK_STR(err.column, "s");
        CHECK(pq_writer_close(w, &err) != OCP_OK);
        CHECK(!exists(tmp));
        CHECK(!exists(path));
    }

    /* A directory that does not exist cannot be created. */
    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(tmp_path("no/such/dir/x.parquet"), &schema, NULL, &w, &err),
              OCP_ERR_CANTCREAT);
    CHECK(w == NULL);
}

static void test_bad_schema_and_options(void)
{
    struct pq_column_desc dup[2] = {{"a", PQ_WT_INT32, 0, 0, 0, PQ_DICT_AUTO},
                                    {"a", PQ_WT_INT64, 0, 0, 0, PQ_DICT_AUTO}};
    struct pq_schema_desc s = {2, dup};
    struct pq_write_options o;
    struct pq_writer *w = NULL;
    struct ocp_error err;
    enum pq_write_codec codec = PQ_WRITE_UNCOMPRESSED;

    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(tmp_path("dup.parquet"), &s, NULL, &w, &err), OCP_ERR_CONFIG);
    CHECK_STR(err.column, "a");
    s.ncols = 1;
    pq_write_options_init(&o);
    o.page_version = 3;
    CHECK_INT(pq_writer_create(tmp_path("v3.parquet"), &s, &o, &w, &err), OCP_ERR_CONFIG);
    CHECK(!exists(tmp_path("v3.parquet")));

    CHECK_INT(pq_write_codec_parse("ZSTD", &codec, &err), OCP_OK);
    CHECK_INT(codec, PQ_WRITE_ZSTD);
    CHECK_INT(pq_write_codec_parse("none", &codec, &err), OCP_OK);
    CHECK_INT(codec, PQ_WRITE_UNCOMPRESSED);
    CHECK_INT(pq_write_codec_parse("lzo", &codec, &err), OCP_ERR_CONFIG);
}

/* The footer as our reader decodes it: schema annotations, key/value
 * metadata, created_by, statistics. */
static void test_metadata(void)
{
    static const struct pq_column_desc cols[] = {
        {"ts_us_utc", PQ_WT_TIMESTAMP_MICROS, 0, 1, 0, PQ_DICT_AUTO},
        {"ts_ms_local", PQ_WT_TIMESTAMP_MILLIS, 1, 0, 0, PQ_DICT_AUTO},
        {"day", PQ_WT_DATE, 1, 0, 0, PQ_DICT_AUTO},
        {"labels", PQ_WT_MAP, 1, 0, 0, PQ_DICT_AUTO},
        {"doc", PQ_WT_STRING, 1, 0, 1, PQ_DICT_AUTO},
        {"x", PQ_WT_DOUBLE, 1, 0, 0, PQ_DICT_AUTO},
    };
    struct pq_schema_desc schema = {6, cols};
    struct pq_kv kv[2] = {{"origin", "test"}, {"empty", ""}};
    struct pq_write_options o;
    struct pq_writer *w = NULL;
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct pq_column_data d[6];
    int64_t us[3] = {1761955200000000, 1761958800000000, 1761962400000000};
    int64_t ms[3] = {1761955200000, INT64_MIN, 1761962400000};
    int32_t days[3] = {20393, 20394, 20393};
    uint64_t moff[4] = {0, 1, 1, 1};
    const char *keys[1] = {"app"}, *vals[1] = {"web"};
    uint8_t mvalid[3] = {1, 1, 0};
    const char *docs[3] = {"{}", "{\"a\":1}", NULL};
    double x[3] = {0.0, -2.5, 0.0};
    const struct pq_colinfo *ci;
    struct pq_colstats st;
    const char *k, *v;
    char desc[64];
    const char *path = tmp_path("meta.parquet");
    int i;

    memset(d, 0, sizeof d);
    d[0].i64 = us;
    d[1].i64 = ms;
    d[1].sentinel_nulls = 1;
    d[2].i32 = days;
    d[3].map_offsets = moff;
    d[3].keys.cstr = keys;
    d[3].values.cstr = vals;
    d[3].valid = mvalid;
    d[4].str.cstr = docs;
    d[5].f64 = x;
    pq_write_options_init(&o);
    o.kv = kv;
    o.nkv = 2;
    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(path, &schema, &o, &w, &err), OCP_OK);
    CHECK_INT(pq_writer_write_batch(w, d, 3, &err), OCP_OK);
    CHECK_INT(pq_writer_close(w, &err), OCP_OK);

    if (pq_file_open(path, NULL, &f, &err) != OCP_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        CHECK(0);
        return;
    }
    CHECK_INT(pq_file_num_rows(f), 3);
    CHECK_INT(pq_file_num_row_groups(f), 1);
    CHECK_STR(pq_file_created_by(f), "ocpagg " OCPAGG_VERSION);
    CHECK_INT(pq_file_kv_count(f), 2);
    CHECK_INT(pq_file_kv(f, 0, &k, &v), OCP_OK);
    CHECK_STR(k, "origin");
    CHECK_STR(v, "test");
    CHECK_INT(pq_file_kv(f, 1, &k, &v), OCP_OK);
    CHECK_STR(k, "empty");
    CHECK_STR(v, "");
    CHECK_INT(pq_file_num_columns(f), 7); /* the MAP has two leaves */

    ci = pq_file_column(f, 0);
    CHECK_STR(ci->path, "ts_us_utc");
    CHECK_INT(ci->type, PQ_INT64);
    CHECK_INT(ci->repetition, PQ_REQUIRED);
    CHECK_INT(ci->logical, PQ_LT_TIMESTAMP);
    CHECK_INT(ci->converted, PQ_CT_TIMESTAMP_MICROS);
    CHECK_INT(ci->time_unit, PQ_UNIT_MICROS);
    CHECK_INT(ci->utc, 1);
    CHECK_INT(ci->max_def, 0);
    ci = pq_file_column(f, 1);
    CHECK_INT(ci->logical, PQ_LT_TIMESTAMP);
    CHECK_INT(ci->converted, PQ_CT_TIMESTAMP_MILLIS);
    CHECK_INT(ci->time_unit, PQ_UNIT_MILLIS);
    CHECK_INT(ci->utc, 0);
    CHECK_INT(ci->max_def, 1);
    ci = pq_file_column(f, 2);
    CHECK_INT(ci->type, PQ_INT32);
    CHECK_INT(ci->logical, PQ_LT_DATE);
    CHECK_INT(ci->converted, PQ_CT_DATE);
    ci = pq_file_column(f, 3);
    CHECK_STR(ci->path, "labels.key_value.key");
    CHECK_INT(ci->shape, PQ_SHAPE_MAP_KEY);
    CHECK_INT(ci->max_def, 2);
    CHECK_INT(ci->max_rep, 1);
    CHECK_INT(ci->map_def, 1);
    ci = pq_file_column(f, 4);
    CHECK_STR(ci->path, "labels.key_value.value");
    CHECK_INT(ci->shape, PQ_SHAPE_MAP_VALUE);
    CHECK_INT(ci->max_def, 3);
    ci = pq_file_column(f, 5);
    CHECK_INT(ci->logical, PQ_LT_JSON);
    CHECK_INT(ci->converted, PQ_CT_JSON);
    pq_logical_describe(pq_file_column(f, 0), desc, sizeof desc);
    CHECK_STR(desc, "TIMESTAMP(MICROS,UTC)");

    /* Statistics: the timestamps' bounds and the NULL counts. */
    CHECK_INT(pq_column_stats(f, 0, 0, &st, &err), OCP_OK);
    CHECK_INT(st.has_min && st.has_max, 1);
    CHECK_INT(st.kind, 'i');
    CHECK_INT(st.min_i, 1761955200000000);
    CHECK_INT(st.max_i, 1761962400000000);
    CHECK_INT(st.null_count, 0);
    CHECK_INT(pq_column_stats(f, 0, 1, &st, &err), OCP_OK);
    CHECK_INT(st.null_count, 1);
    CHECK_INT(st.min_i, 1761955200000);
    CHECK_INT(st.max_i, 1761962400000);
    CHECK_INT(pq_column_stats(f, 0, 2, &st, &err), OCP_OK);
    CHECK_INT(st.min_i, 20393);
    CHECK_INT(st.max_i, 20394);
    /* key leaf: rows 2 (NULL map) and 1 (empty map) have no key */
    CHECK_INT(pq_column_stats(f, 0, 3, &st, &err), OCP_OK);
    CHECK_INT(st.null_count, 2);
    CHECK_INT(st.min_len, 3);
    CHECK(st.min_len == 3 && memcmp(st.min, "app", 3) == 0);
    CHECK_INT(pq_column_stats(f, 0, 5, &st, &err), OCP_OK);
    CHECK_INT(st.null_count, 1);
    /* '"' sorts before '}', so the longer text is the minimum. */
    CHECK(st.min_len == 7 && memcmp(st.min, "{\"a\":1}", 7) == 0);
    CHECK(st.max_len == 2 && memcmp(st.max, "{}", 2) == 0);
    /* A zero bound of a double is stored as -0.0 (min) and +0.0 (max). */
    CHECK_INT(pq_column_stats(f, 0, 6, &st, &err), OCP_OK);
    CHECK_DBL(st.min_d, -2.5, 0);
    CHECK_DBL(st.max_d, 0.0, 0);
    CHECK(!signbit(st.max_d));
    for (i = 0; i < 7; i++) {
        struct pq_chunkinfo info;
        CHECK_INT(pq_chunk_info(f, 0, i, &info, &err), OCP_OK);
        CHECK_INT(info.codec, PQ_CODEC_UNCOMPRESSED);
        CHECK_INT(info.has_stats, 1);
    }
    pq_file_close(f);
}

/* A file without rows is still a valid Parquet file: no row groups. */
static void test_empty_file(void)
{
    struct pq_schema_desc schema = {2, small_cols};
    struct pq_writer *w = NULL;
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct pq_column_data cols[2];
    const char *path = tmp_path("empty.parquet");

    memset(cols, 0, sizeof cols);
    ocp_error_clear(&err);
    CHECK_INT(pq_writer_create(path, &schema, NULL, &w, &err), OCP_OK);
    CHECK_INT(pq_writer_write_batch(w, cols, 0, &err), OCP_OK);
    CHECK_INT(pq_writer_flush_row_group(w, &err), OCP_OK);
    CHECK_INT(pq_writer_close(w, &err), OCP_OK);
    CHECK_INT(pq_file_open(path, NULL, &f, &err), OCP_OK);
    if (f != NULL) {
        CHECK_INT(pq_file_num_rows(f), 0);
        CHECK_INT(pq_file_num_row_groups(f), 0);
        CHECK_INT(pq_file_num_columns(f), 2);
        pq_file_close(f);
    }
}

int main(void)
{
    if (tl_tmpdir_make(tmpdir, sizeof tmpdir, getenv("OCPAGG_BUILD"), "pqw-XXXXXX") != 0)
        return 1;
    RUN(test_thrift_bytes);
    RUN(test_stats_bytes);
    RUN(test_rename_and_abort);
    RUN(test_bad_schema_and_options);
    RUN(test_metadata);
    RUN(test_empty_file);
    tl_tmpdir_remove(tmpdir);
    return TEST_SUMMARY();
}
