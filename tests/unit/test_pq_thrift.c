/*
 * test_pq_thrift.c - the bounded Thrift compact-protocol reader and the
 * footer decoder: hand-made bytes for every wire type, unknown fields of
 * every kind skipped, nesting and count caps, truncation anywhere, page
 * headers, and schemas whose logical types, levels and MAP shapes are
 * checked against values worked out from parquet.thrift by hand.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/parquet.h"
#include "parquet/pq_read_internal.h"
#include "parquet/pq_thrift.h"
#include "parquet/pq_write_internal.h"
#include "testlib.h"

static void test_primitives(void)
{
    /* field 1 i32 -3 (zigzag 5); field 3 (delta 2) i64 300 (zigzag 600 =
     * d8 04); field 20 (long form, zigzag 40) binary "ab"; field 21 bool
     * true; stop. */
    static const uint8_t b[] = {0x15, 0x05, 0x26, 0xd8, 0x04, 0x08,
                                0x28, 0x02, 'a',  'b',  0x11, 0x00};
    struct pq_tr t;
    int16_t last = 0, id;
    int type;
    int64_t v;
    int32_t v32;
    const uint8_t *p;
    uint32_t len;

    pq_tr_init(&t, b, sizeof b);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    CHECK_INT(id, 1);
    CHECK_INT(type, PQ_TC_I32);
    CHECK(pq_tr_int32(&t, type, &v32));
    CHECK_INT(v32, -3);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    CHECK_INT(id, 3);
    CHECK(pq_tr_int(&t, type, &v));
    CHECK_INT(v, 300);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    CHECK_INT(id, 20);
    CHECK(pq_tr_binary(&t, type, &p, &len));
    CHECK_INT(len, 2);
    CHECK(memcmp(p, "ab", 2) == 0);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    CHECK_INT(id, 21);
    CHECK_INT(pq_tr_bool(&t, type), 1);
    CHECK(!pq_tr_field(&t, &last, &id, &type));
    CHECK(!t.bad);
    CHECK_INT(pq_tr_left(&t), 0);
}

static void test_skip_everything(void)
{
    /* One field of each type, nested ones included, then field 2 i32 7
     * which must still be found:
     *   1 byte 0x7f; 2 (delta 1) i16; double; list<bool> of 2; set<i32>;
     *   map<binary,struct{}> of 1; struct{ list<struct{i64}> }; i32. */
    static const uint8_t b[] = {0x13, 0x7f,                                     /* id 1 byte */
                                0x14, 0x04,                                     /* id 2 i16 */
                                0x17, 1,    2,    3,    4,    5,    6,    7, 8, /* id 3 double */
                                0x19, 0x21, 0x01, 0x02,             /* id 4 list<bool> [t, f] */
                                0x1a, 0x15, 0x02,                   /* id 5 set<i32> {1} */
                                0x1b, 0x01, 0x8c, 0x01, 'k',  0x00, /* id 6 map<binary,struct> */
                                0x1c, 0x19, 0x1c, 0x16, 0x02, 0x00, 0x00, /* id 7 struct */
                                0x15, 0x0e,                               /* id 8 i32 7 */
                                0x00};
    struct pq_tr t;
    int16_t last = 0, id;
    int type, n = 0;
    int32_t v = 0;

    pq_tr_init(&t, b, sizeof b);
    while (pq_tr_field(&t, &last, &id, &type)) {
        n++;
        if (id == 8)
            CHECK(pq_tr_int32(&t, type, &v));
        else
            pq_tr_skip(&t, type);
    }
    CHECK(!t.bad);
    CHECK_INT(n, 8);
    CHECK_INT(v, 7);
    CHECK_INT(pq_tr_left(&t), 0);
}

static void test_bounds(void)
{
    struct pq_tr t;
    int16_t last = 0, id;
    int type, elem;
    uint32_t n;
    uint8_t deep[200];
    size_t i;
    /* A list header claiming 1,000,000 i32 elements in 3 bytes. */
    static const uint8_t biglist[] = {0x19, 0xf5, 0xc0, 0x84, 0x3d, 0x00};
    /* A binary claiming 100 bytes with 2 left. */
    static const uint8_t bigbin[] = {0x18, 0x64, 'a', 'b'};
    /* A varint of 11 bytes. */
    static const uint8_t longvar[] = {0x16, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    /* An unknown wire type 13. */
    static const uint8_t badtype[] = {0x1d, 0x00};

    pq_tr_init(&t, biglist, sizeof biglist);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    CHECK(!pq_tr_list(&t, type, &elem, &n));
    CHECK(t.bad);
    CHECK_INT(n, 0);

    last = 0;
    pq_tr_init(&t, bigbin, sizeof bigbin);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    pq_tr_skip(&t, type);
    CHECK(t.bad && t.truncated);

    last = 0;
    pq_tr_init(&t, longvar, sizeof longvar);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    pq_tr_skip(&t, type);
    CHECK(t.bad);

    last = 0;
    pq_tr_init(&t, badtype, sizeof badtype);
    CHECK(!pq_tr_field(&t, &last, &id, &type));
    CHECK(t.bad);

    /* Structs nested 199 deep: skipping stops at the depth cap, no stack
     * overflow. */
    for (i = 0; i < sizeof deep - 1; i++)
        deep[i] = 0x1c;
    deep[sizeof deep - 1] = 0;
    last = 0;
    pq_tr_init(&t, deep, sizeof deep);
    CHECK(pq_tr_field(&t, &last, &id, &type));
    pq_tr_skip(&t, type);
    CHECK(t.bad);
    CHECK(strstr(t.why, "deep") != NULL);
}

static void test_page_header(void)
{
    /* type 0 (DATA_PAGE), sizes 100 / 50, crc -1, data page header
     * {num_values 10, encoding PLAIN_DICTIONARY 2, def RLE 3, rep
     * BIT_PACKED 4, statistics {max "z"}}, then an unknown field 9. */
    static const uint8_t b[] = {0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x64, 0x15, 0x01,
                                0x1c, 0x15, 0x14, 0x15, 0x04, 0x15, 0x06, 0x15, 0x08,
                                0x1c, 0x18, 0x01, 'z',  0x00, 0x00, 0x45, 0x02, 0x00};
    struct pq_page_header h;
    struct ocp_error err;
    size_t k;

    CHECK_INT(pq_page_header_decode(b, sizeof b, &h, &err), OCP_OK);
    CHECK_INT(h.type, PQ_PAGE_DATA);
    CHECK_INT(h.uncompressed_size, 100);
    CHECK_INT(h.compressed_size, 50);
    CHECK(h.has_crc);
    CHECK_INT(h.crc, 0xffffffffu);
    CHECK(h.has_data);
    CHECK_INT(h.num_values, 10);
    CHECK_INT(h.encoding, PQ_ENC_PLAIN_DICTIONARY);
    CHECK_INT(h.def_encoding, PQ_ENC_RLE);
    CHECK_INT(h.rep_encoding, PQ_ENC_BIT_PACKED);
    CHECK_INT(h.header_len, sizeof b);
    /* Every strict prefix is "need more bytes", never an error or a
     * crash. */
    for (k = 0; k < sizeof b; k++)
        CHECK_INT(pq_page_header_decode(b, k, &h, &err), 1);
}

/* ---- footers made with the writer's Thrift encoder ------------------ */

static void el(struct pq_tw *t, const char *name, int type, int rep, int nchildren, int converted)
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
}

/* Opens a file made of the footer in b; returns it or NULL. */
static struct pq_file *open_footer(const struct pq_buf *b, const char *path, int verbose)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    uint8_t len[4];
    FILE *fp = fopen(path, "wb");

    if (fp == NULL)
        return NULL;
    len[0] = (uint8_t)b->len;
    len[1] = (uint8_t)(b->len >> 8);
    len[2] = (uint8_t)(b->len >> 16);
    len[3] = 0;
    fwrite("PAR1", 1, 4, fp);
    fwrite(b->data, 1, b->len, fp);
    fwrite(len, 1, 4, fp);
    fwrite("PAR1", 1, 4, fp);
    fclose(fp);
    ocp_error_clear(&err);
    if (pq_file_open(path, NULL, &f, &err) != OCP_OK) {
        if (verbose)
            fprintf(stderr, "open: %s\n", err.message);
        CHECK_INT(err.code, OCP_ERR_DATA);
        CHECK_STR(err.file, path);
    }
    return f;
}

static void test_logical_types(void)
{
    struct pq_buf b = {0};
    struct pq_tw t;
    struct pq_file *f;
    char path[] = "/tmp/test_pq_thrift.XXXXXX";
    int fd = mkstemp(path);
    const struct pq_colinfo *c;
    char desc[64];

    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    pq_tw_init(&t, &b);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, 2);
    pq_tw_field_list(&t, 2, PQ_TT_STRUCT, 13);
    el(&t, "root", -1, -1, 6, -1);
    pq_tw_end(&t);
    /* ts: INT64 TIMESTAMP(NANOS, isAdjustedToUTC=false) */
    el(&t, "ts", PQ_INT64, PQ_OPTIONAL, -1, -1);
    pq_tw_field_struct(&t, 10);
    pq_tw_field_struct(&t, 8);
    pq_tw_field_bool(&t, 1, 0);
    pq_tw_field_struct(&t, 2);
    pq_tw_field_struct(&t, 3);
    pq_tw_end(&t);
    pq_tw_end(&t);
    pq_tw_end(&t);
    pq_tw_end(&t);
    pq_tw_end(&t);
    /* dec: FLBA(5) DECIMAL(10,3) as a logical type, with an unknown
     * field 40 (a struct) in the element */
    el(&t, "dec", PQ_FIXED_LEN_BYTE_ARRAY, PQ_REQUIRED, -1, PQ_CT_DECIMAL);
    pq_tw_field_i32(&t, 2, 5);
    pq_tw_field_struct(&t, 10);
    pq_tw_field_struct(&t, 5);
    pq_tw_field_i32(&t, 1, 3);
    pq_tw_field_i32(&t, 2, 10);
    pq_tw_end(&t);
    pq_tw_end(&t);
    pq_tw_field_struct(&t, 40);
    pq_tw_field_string(&t, 1, "future");
    pq_tw_end(&t);
    pq_tw_end(&t);
    /* u8: INT32 with converted UINT_8 only */
    el(&t, "u8", PQ_INT32, PQ_OPTIONAL, -1, PQ_CT_UINT_8);
    pq_tw_end(&t);
    /* v: BYTE_ARRAY with logical type 16 (VARIANT, unknown to us) */
    el(&t, "v", PQ_BYTE_ARRAY, PQ_OPTIONAL, -1, -1);
    pq_tw_field_struct(&t, 10);
    pq_tw_field_struct(&t, 16);
    pq_tw_end(&t);
    pq_tw_end(&t);
    pq_tw_end(&t);
    /* m: legacy MAP_KEY_VALUE group, Presto-style optional key */
    el(&t, "m", -1, PQ_OPTIONAL, 1, PQ_CT_MAP);
    pq_tw_end(&t);
    el(&t, "map", -1, PQ_REPEATED, 2, PQ_CT_MAP_KEY_VALUE);
    pq_tw_end(&t);
    el(&t, "key", PQ_BYTE_ARRAY, PQ_OPTIONAL, -1, PQ_CT_UTF8);
    pq_tw_end(&t);
    el(&t, "value", PQ_BYTE_ARRAY, PQ_OPTIONAL, -1, PQ_CT_UTF8);
    pq_tw_end(&t);
    /* s: a struct of a list: s.l.list.element */
    el(&t, "s", -1, PQ_OPTIONAL, 1, -1);
    pq_tw_end(&t);
    el(&t, "l", -1, PQ_OPTIONAL, 1, PQ_CT_LIST);
    pq_tw_end(&t);
    el(&t, "list", -1, PQ_REPEATED, 1, -1);
    pq_tw_end(&t);
    el(&t, "element", PQ_INT32, PQ_REQUIRED, -1, -1);
    pq_tw_end(&t);
    pq_tw_field_i64(&t, 3, 0);
    pq_tw_field_list(&t, 4, PQ_TT_STRUCT, 0);
    /* An unknown top-level list of maps, skipped. */
    pq_tw_field_list(&t, 30, PQ_TT_I32, 2);
    pq_tw_i32(&t, 1);
    pq_tw_i32(&t, 2);
    pq_tw_field_string(&t, 6, "hand made");
    pq_tw_end(&t);
    CHECK_INT(t.status, OCP_OK);

    f = open_footer(&b, path, 1);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK_INT(pq_file_num_columns(f), 7);
        CHECK_INT(pq_file_version(f), 2);
        CHECK_STR(pq_file_created_by(f), "hand made");
        c = pq_file_column(f, 0);
        CHECK_INT(c->logical, PQ_LT_TIMESTAMP);
        CHECK_INT(c->time_unit, PQ_UNIT_NANOS);
        CHECK_INT(c->utc, 0);
        pq_logical_describe(c, desc, sizeof desc);
        CHECK_STR(desc, "TIMESTAMP(NANOS,local)");
        c = pq_file_column(f, 1);
        CHECK_INT(c->type_length, 5);
        CHECK_INT(c->scale, 3);
        CHECK_INT(c->precision, 10);
        CHECK_INT(c->max_def, 0);
        c = pq_file_column(f, 2);
        CHECK_INT(c->logical, PQ_LT_INTEGER);
        CHECK_INT(c->int_bits, 8);
        CHECK_INT(c->int_signed, 0);
        c = pq_file_column(f, 3);
        CHECK_INT(c->logical, PQ_LT_NONE);
        c = pq_file_column(f, 4);
        CHECK_STR(c->path, "m.map.key");
        CHECK_INT(c->shape, PQ_SHAPE_MAP_KEY);
        CHECK_INT(c->max_def, 3);
        CHECK_INT(c->max_rep, 1);
        CHECK_INT(c->map_def, 1);
        CHECK_INT(c->map_value, 5);
        CHECK_STR(c->map_path, "m");
        CHECK_INT(pq_column_find(f, "m"), 4);
        CHECK_INT(pq_column_find(f, "M"), 4);
        CHECK_INT(pq_file_column(f, 5)->shape, PQ_SHAPE_MAP_VALUE);
        c = pq_file_column(f, 6);
        CHECK_STR(c->path, "s.l.list.element");
        CHECK_STR(c->top, "s");
        CHECK_INT(c->shape, PQ_SHAPE_NESTED);
        CHECK_INT(c->max_def, 3);
        CHECK_INT(c->max_rep, 1);
        CHECK_INT(pq_column_find(f, "s"), 6);
        CHECK_INT(pq_column_find(f, "nope"), -1);
        pq_file_close(f);
    }
    /* Cut the footer anywhere: always a data error naming the file. */
    {
        size_t k;
        int bad = 0;
        for (k = 0; k < b.len; k++) {
            struct pq_buf cut = b;
            struct pq_file *g;
            struct ocp_error err;
            cut.len = k;
            g = open_footer(&cut, path, 0);
            if (g != NULL) {
                bad++;
                pq_file_close(g);
            }
            ocp_error_clear(&err);
        }
        CHECK_INT(bad, 0);
    }
    pq_buf_release(&b);
    unlink(path);
}

int main(void)
{
    RUN(test_primitives);
    RUN(test_skip_everything);
    RUN(test_bounds);
    RUN(test_page_header);
    RUN(test_logical_types);
    return TEST_SUMMARY();
}
