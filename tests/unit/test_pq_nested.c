/*
 * test_pq_nested.c - conformance of the Parquet reader on parquet-testing
 * (skipped when absent), part two: MAP columns as JSON label text (the
 * standard, legacy and Presto shapes; NULL versus empty maps), LIST and
 * other nested columns read with their levels and refused as MAPs,
 * projecting flat columns around them, a MAP with 1 GiB keys, and page
 * CRCs checked on request.
 */
#include "test_pq_util.h"

static void check_checksum_file(const char *name, int corrupt)
{
    struct pq_file *f = open_opt(name, 1);
    struct pq_colvalues v;
    struct ocp_error err;
    int c, rc = OCP_OK;

    if (f == NULL)
        return;
    for (c = 0; c < pq_file_num_columns(f) && rc == OCP_OK; c++) {
        ocp_error_clear(&err);
        rc = pq_column_read(f, 0, c, 0, -1, &arena, &v, &err);
    }
    if (corrupt) {
        CHECK_INT(rc, OCP_ERR_DATA);
        CHECK(strstr(err.message, "CRC") != NULL);
        CHECK_STR(err.file, path_of(name));
    } else {
        CHECK_INT(rc, OCP_OK);
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

static void test_checksums(void)
{
    static const char *v1[] = {"datapage_v1-uncompressed-checksum.parquet",
                               "datapage_v1-snappy-compressed-checksum.parquet"};
    static const char *dict[] = {"plain-dict-uncompressed-checksum.parquet",
                                 "rle-dict-snappy-checksum.parquet"};
    size_t k;

    check_checksum_file("datapage_v1-corrupt-checksum.parquet", 1);
    check_checksum_file("rle-dict-uncompressed-corrupt-checksum.parquet", 1);
    for (k = 0; k < 2; k++) {
        struct pq_file *f;
        struct pq_colvalues a, b;
        check_checksum_file(v1[k], 0);
        check_checksum_file(dict[k], 0);
        /* 5,120 rows; the values are byte patterns: a starts with bytes
         * 00 01 02 03, b with "defg". */
        f = open_opt(v1[k], 1);
        if (f != NULL && read_col(f, 0, "a", &a) == OCP_OK && read_col(f, 0, "b", &b) == OCP_OK) {
            CHECK_INT(a.nrows, 5120);
            CHECK_INT(ival(&a, 0), 0x03020100);
            CHECK_INT(ival(&a, 5119), 0x01020304);
            CHECK_INT(ival(&b, 0), 0x67666564);
        }
        pq_file_close(f);
        f = open_opt(dict[k], 1);
        if (f != NULL && read_col(f, 0, "long_field", &a) == OCP_OK &&
            read_col(f, 0, "binary_field", &b) == OCP_OK) {
            int64_t i, bad = 0;
            CHECK_INT(a.nrows, 1000);
            for (i = 0; i < 1000; i++)
                bad += ival(&a, i) != 0 || b.ids[i] != b.ids[0];
            CHECK_INT(bad, 0);
            CHECK_INT(strlen(sval(&b, 0)), 36);
            CHECK(b.dict_encoded);
        }
        pq_file_close(f);
        ocp_arena_reset(&arena);
    }
    /* Without checking, the corrupt file still reads (checking is
     * opt-in). */
    {
        struct pq_file *f = open_file("datapage_v1-corrupt-checksum.parquet");
        struct pq_colvalues a;
        if (f != NULL)
            CHECK_INT(read_col(f, 0, "a", &a), OCP_OK);
        pq_file_close(f);
    }
}

/* ---- MAPs and LISTs ------------------------------------------------ */

static const char *map_row(const struct ocp_strcol *m, int64_t i)
{
    static char buf[256];
    size_t len;
    const char *s;

    if (m->ids[i] == OCP_NULL_ID)
        return "NULL";
    s = ocp_strdict_get(m->dict, m->ids[i], &len);
    if (len >= sizeof buf)
        return "(long)";
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static int read_map(struct pq_file *f, const char *name, struct ocp_strcol *m)
{
    struct ocp_error err;
    int rc;

    ocp_error_clear(&err);
    rc = pq_map_read_json(f, 0, pq_column_find(f, name), 0, -1, &arena, m, &err);
    if (rc != OCP_OK)
        fprintf(stderr, "%s: %s\n", name, err.message);
    return rc;
}

static void test_maps(void)
{
    struct pq_file *f;
    struct ocp_strcol m;
    struct pq_colvalues v;
    struct ocp_error err;

    /* Presto: MAP_KEY_VALUE group, optional key. */
    f = open_file("incorrect_map_schema.parquet");
    if (f != NULL && read_map(f, "my_map", &m) == OCP_OK)
        CHECK_STR(map_row(&m, 0), "{\"parent\":\"another\",\"name\":\"report\"}");
    pq_file_close(f);
    /* Impala's legacy map<string,int>: NULL and empty maps differ. */
    f = open_file("nullable.impala.parquet");
    if (f != NULL && read_map(f, "int_map", &m) == OCP_OK) {
        CHECK_STR(map_row(&m, 0), "{\"k1\":1,\"k2\":100}");
        CHECK_STR(map_row(&m, 1), "{\"k1\":2,\"k2\":null}");
        CHECK_STR(map_row(&m, 2), "{}");
        CHECK_STR(map_row(&m, 4), "{}");
        CHECK_STR(map_row(&m, 5), "NULL");
        CHECK_STR(map_row(&m, 6), "{\"k1\":null,\"k3\":null}");
        /* Rows with equal maps share a dictionary entry. */
        CHECK_INT(m.ids[2], m.ids[3]);
    }
    /* Projecting around the LISTs: id is flat. */
    if (f != NULL && read_col(f, 0, "id", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 7);
        CHECK_INT(ival(&v, 6), 7);
    }
    /* A LIST is not a MAP. */
    if (f != NULL) {
        ocp_error_clear(&err);
        CHECK_INT(pq_map_read_json(f, 0, pq_column_find(f, "int_array"), 0, -1, &arena, &m, &err),
                  OCP_ERR_UNSUPPORTED);
        CHECK(strstr(err.message, "int_array") != NULL);
    }
    pq_file_close(f);
    f = open_file("nonnullable.impala.parquet");
    if (f != NULL && read_map(f, "Int_Map", &m) == OCP_OK)
        CHECK_STR(map_row(&m, 0), "{\"k1\":-1}");
    pq_file_close(f);
    /* A MAP whose values are all NULL, and one without a value field. */
    f = open_file("map_no_value.parquet");
    if (f != NULL && read_map(f, "my_map", &m) == OCP_OK) {
        CHECK_STR(map_row(&m, 0), "{\"1\":null,\"2\":null,\"3\":null}");
        CHECK_STR(map_row(&m, 2), "{\"7\":null,\"8\":null,\"9\":null}");
    }
    if (f != NULL && read_map(f, "my_map_no_v", &m) == OCP_OK)
        CHECK_STR(map_row(&m, 1), "{\"4\":null,\"5\":null,\"6\":null}");
    pq_file_close(f);
    /* MAP<string, MAP<int,bool>>: the outer value is not a scalar. */
    f = open_file("nested_maps.snappy.parquet");
    if (f != NULL) {
        ocp_error_clear(&err);
        CHECK_INT(pq_map_read_json(f, 0, pq_column_find(f, "a"), 0, -1, &arena, &m, &err),
                  OCP_ERR_UNSUPPORTED);
        CHECK_STR(err.column, "a.key_value.key");
        if (read_col(f, 0, "b", &v) == OCP_OK) {
            CHECK_INT(v.nrows, 6);
            CHECK_INT(ival(&v, 5), 1);
        }
        if (read_col(f, 0, "c", &v) == OCP_OK)
            CHECK_DBL(dval(&v, 0), 1.0, 0);
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
}

/* MAP<string,int32> whose two keys are 1 GiB strings: read the levels
 * and values without building label text (that would need several more
 * GiB). */
static void test_large_map(void)
{
    struct pq_file *f = open_file("large_string_map.brotli.parquet");
    struct pq_colvalues k, v;

    if (f != NULL && read_col(f, 0, "arr.key_value.value", &v) == OCP_OK) {
        CHECK_INT(v.nrows, 2);
        CHECK_INT(v.nlevels, 2);
        CHECK_INT(ival(&v, 0), 1);
        CHECK_INT(ival(&v, 1), 1);
    }
    if (f != NULL && getenv("OCPAGG_SKIP_HUGE") == NULL &&
        read_col(f, 0, "arr.key_value.key", &k) == OCP_OK) {
        size_t len;
        const char *s = ocp_strdict_get(k.dict, k.ids[1], &len);
        CHECK_INT(k.nrows, 2);
        CHECK(len >= ((size_t)1 << 30) - 16);
        CHECK(s[0] == 'a' && s[len - 1] == 'a');
    }
    pq_file_close(f);
    ocp_arena_reset(&arena);
    ocp_arena_release(&arena);
    ocp_arena_init(&arena, 0);
}

static void test_lists(void)
{
    static const struct {
        const char *file, *list, *flat;
        int64_t rows;
    } cases[] = {
        {"datapage_v2.snappy.parquet", "e", "a", 5},
        {"list_columns.parquet", "int64_list", NULL, 3},
        {"nested_lists.snappy.parquet", "a", "b", 3},
        {"old_list_structure.parquet", "a", NULL, 1},
        {"repeated_primitive_no_list.parquet", "Int32_list", NULL, 4},
        {"repeated_no_annotation.parquet", "phoneNumbers", "id", 6},
        {"null_list.parquet", "emptylist", NULL, 1},
    };
    size_t k;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct pq_file *f = open_file(cases[k].file);
        struct pq_colvalues v;
        struct ocp_strcol m;
        struct ocp_error err;
        int col;
        if (f == NULL)
            continue;
        col = pq_column_find(f, cases[k].list);
        CHECK(col >= 0);
        /* The list leaf reads with its levels: one rep == 0 per row. */
        if (col >= 0) {
            int64_t i, rows = 0;
            ocp_error_clear(&err);
            CHECK_INT(pq_column_read(f, 0, col, 0, -1, &arena, &v, &err), OCP_OK);
            CHECK_INT(v.nrows, cases[k].rows);
            CHECK(v.rep != NULL);
            for (i = 0; v.rep && i < v.nlevels; i++)
                rows += v.rep[i] == 0;
            CHECK_INT(rows, cases[k].rows);
            ocp_error_clear(&err);
            CHECK_INT(pq_map_read_json(f, 0, col, 0, -1, &arena, &m, &err), OCP_ERR_UNSUPPORTED);
            CHECK_STR(err.file, path_of(cases[k].file));
        }
        if (cases[k].flat != NULL) {
            CHECK_INT(read_col(f, 0, cases[k].flat, &v), OCP_OK);
            CHECK_INT(v.nrows, cases[k].rows);
        }
        pq_file_close(f);
        ocp_arena_reset(&arena);
    }
    /* Values of list rows: list_columns row 0 is [1, 2, 3]; datapage_v2
     * row 0 of e is [1, 2, 3] and row 1 is empty. */
    {
        struct pq_file *f = open_file("list_columns.parquet");
        struct pq_colvalues v;
        if (f != NULL && read_col(f, 0, "int64_list", &v) == OCP_OK) {
            CHECK(v.nlevels >= 5);
            CHECK_INT(ival(&v, 0), 1);
            CHECK_INT(ival(&v, 2), 3);
            CHECK_INT(v.rep[3], 0);
        }
        pq_file_close(f);
        f = open_file("datapage_v2.snappy.parquet");
        if (f != NULL && read_col(f, 0, "e", &v) == OCP_OK) {
            CHECK_INT(ival(&v, 0), 1);
            CHECK_INT(ival(&v, 2), 3);
            CHECK_INT(v.rep[3], 0);
            CHECK(v.def[3] < pq_file_column(f, v.column)->max_def);
        }
        /* Row range of a nested column: rows 3..4 are [1 2 3] and [1 2]. */
        if (f != NULL) {
            struct ocp_error err;
            CHECK_INT(pq_column_read(f, 0, pq_column_find(f, "e"), 3, 2, &arena, &v, &err), OCP_OK);
            CHECK_INT(v.nrows, 2);
            CHECK_INT(v.nlevels, 5);
            CHECK_INT(ival(&v, 3), 1);
            CHECK_INT(ival(&v, 4), 2);
        }
        pq_file_close(f);
        ocp_arena_reset(&arena);
    }
}

int main(void)
{
    if (!pq_test_setup())
        return TEST_SUMMARY();
    RUN(test_checksums);
    RUN(test_maps);
    RUN(test_lists);
    RUN(test_large_map);
    ocp_arena_release(&arena);
    return TEST_SUMMARY();
}
