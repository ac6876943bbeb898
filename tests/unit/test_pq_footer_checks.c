/*
 * test_pq_footer_checks.c - files the reader used to accept and turn into
 * silently wrong values (findings F2, F3, F4 and F8 of the hostile-input
 * audit), each made from a file of our writer by editing its bytes:
 *
 *   - a footer row count that the row groups do not add up to (a row group
 *     dropped from the list, or listed twice), and row counts that overflow;
 *   - a MAP key made OPTIONAL (every entry then reads as a NULL key), and a
 *     label MAP whose value column is INT64;
 *   - a TimestampType without its unit (a required field), or with a unit
 *     the reader does not know;
 *   - a DOUBLE column declared FLOAT (PLAIN data and dictionary pages then
 *     have bytes left over after their values);
 *   - a column chunk with a second copy of its last data page after the
 *     chunk's values, read whole and in row ranges.
 *
 * Each case asserts the status and that the one-line message names what is
 * wrong; the unedited file reads, so the edit is what is refused.
 *
 * The edits walk the Thrift compact protocol with the small parser below,
 * not with the reader's, so that the test does not trust the code it tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/parquet.h"
#include "ocpagg/pq_writer.h"
#include "pq_testwrite.h"
#include "testlib.h"

#define NROWS 64

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

/* ---- a whole file in memory ----------------------------------------- */

struct fbuf {
    uint8_t *d;
    size_t n;
};

static int load(const char *path, struct fbuf *b)
{
    FILE *fp = fopen(path, "rb");
    long size;

    b->d = NULL;
    b->n = 0;
    if (fp == NULL)
        return -1;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    b->d = malloc((size_t)size + 1);
    if (b->d == NULL || fread(b->d, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        return -1;
    }
    fclose(fp);
    b->n = (size_t)size;
    return 0;
}

static int save(const char *path, const struct fbuf *b)
{
    FILE *fp = fopen(path, "wb");
    size_t w;

    if (fp == NULL)
        return -1;
    w = fwrite(b->d, 1, b->n, fp);
    return fclose(fp) == 0 && w == b->n ? 0 : -1;
}

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the footer starts. */
static size_t footer_at(const struct fbuf *b)
{
    return b->n - 8 - rd_le32(b->d + b->n - 8);
}

/* Replaces del bytes at off with ins[0..nins) (footer_at no longer holds
 * until fix_footer_len). */
static void splice(struct fbuf *b, size_t off, size_t del, const uint8_t *ins, size_t nins)
{
    uint8_t *nd = malloc(b->n - del + nins + 1);

    memcpy(nd, b->d, off);
    memcpy(nd + off, ins, nins);
    memcpy(nd + off + nins, b->d + off + del, b->n - off - del);
    free(b->d);
    b->d = nd;
    b->n = b->n - del + nins;
}

/* Rewrites the footer length after the footer, which starts at start. */
static void fix_footer_len(struct fbuf *b, size_t start)
{
    uint32_t len = (uint32_t)(b->n - 8 - start);
    b->d[b->n - 8] = (uint8_t)len;
    b->d[b->n - 7] = (uint8_t)(len >> 8);
    b->d[b->n - 6] = (uint8_t)(len >> 16);
    b->d[b->n - 5] = (uint8_t)(len >> 24);
}

/* ---- the Thrift compact protocol, just enough to find fields --------- */

enum {
    TC_STOP = 0,
    TC_TRUE,
    TC_FALSE,
    TC_BYTE,
    TC_I16,
    TC_I32,
    TC_I64,
    TC_DOUBLE,
    TC_BINARY,
    TC_LIST,
    TC_SET,
    TC_MAP,
    TC_STRUCT
};

struct tc {
    const uint8_t *b;
    size_t n, p;
};

static uint64_t tc_varint(struct tc *t)
{
    uint64_t v = 0;
    int shift = 0;

    while (t->p < t->n && shift < 64) {
        uint8_t c = t->b[t->p++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0)
            break;
        shift += 7;
    }
    return v;
}

static void tc_skip(struct tc *t, int type);

static void tc_skip_struct(struct tc *t)
{
    for (;;) {
        uint8_t h = t->b[t->p++];
        if (h == 0)
            return;
        if ((h >> 4) == 0)
            tc_varint(t); /* long form: the id as a zigzag i16 */
        tc_skip(t, h & 0x0f);
    }
}

/* A list header: the element count and type. */
static uint64_t tc_list(struct tc *t, int *etype)
{
    uint8_t h = t->b[t->p++];
    *etype = h & 0x0f;
    return (h >> 4) == 15 ? tc_varint(t) : (uint64_t)(h >> 4);
}

static void tc_skip(struct tc *t, int type)
{
    switch (type) {
    case TC_TRUE:
    case TC_FALSE: break; /* a field's bool lives in its header */
    case TC_BYTE: t->p++; break;
    case TC_I16:
    case TC_I32:
    case TC_I64: tc_varint(t); break;
    case TC_DOUBLE: t->p += 8; break;
    case TC_BINARY: t->p += (size_t)tc_varint(t); break;
    case TC_LIST:
    case TC_SET: {
        int et;
        uint64_t n = tc_list(t, &et), i;
        for (i = 0; i < n; i++)
            tc_skip(t, et);
        break;
    }
    case TC_STRUCT: tc_skip_struct(t); break;
    default: t->p = t->n; break; /* (maps do not occur in the footer) */
    }
}

/* Finds field id of the struct whose fields start at t->p: returns 1 with
 * t->p at its value (and *hdr at its header), or 0 at the struct's end.
 * Fields before it are skipped, so ids must be looked up in rising order
 * (the order our writer writes them). */
static int tc_find(struct tc *t, int id, int *type, size_t *hdr)
{
    int last = 0;

    for (;;) {
        size_t at = t->p;
        uint8_t h = t->b[t->p++];
        int fid;
        if (h == 0) {
            t->p = at; /* stay on the stop byte */
            return 0;
        }
        if ((h >> 4) != 0) {
            fid = last + (h >> 4);
        } else {
            uint64_t z = tc_varint(t);
            fid = (int)((z >> 1) ^ (~(z & 1) + 1));
        }
        last = fid;
        if (fid == id) {
            *type = h & 0x0f;
            if (hdr != NULL)
                *hdr = at;
            return 1;
        }
        tc_skip(t, h & 0x0f);
    }
}

static struct tc footer_tc(const struct fbuf *b)
{
    struct tc t = {b->d, b->n - 8, footer_at(b)};
    return t;
}

/* Zigzag varint of v into out; returns its length. */
static size_t put_zigzag(int64_t v, uint8_t out[10])
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;

    do {
        out[n] = (uint8_t)(z & 0x7f);
        z >>= 7;
        if (z != 0)
            out[n] |= 0x80;
        n++;
    } while (z != 0);
    return n;
}

/* Replaces the integer value at t-position off (a varint) with v. */
static void set_int_at(struct fbuf *b, size_t off, int64_t v)
{
    struct tc t = {b->d, b->n, off};
    uint8_t enc[10];
    size_t fs = footer_at(b), n;

    tc_varint(&t);
    n = put_zigzag(v, enc);
    splice(b, off, t.p - off, enc, n);
    fix_footer_len(b, fs);
}

/* Offset of FileMetaData field id's value (0 when absent). */
static size_t meta_field(const struct fbuf *b, int id)
{
    struct tc t = footer_tc(b);
    int type;

    return tc_find(&t, id, &type, NULL) ? t.p : 0;
}

/* Offsets of the elements of the list at off: elem[i] .. elem[i + 1]
 * (n + 1 entries); returns n, and *hdr_len the list header's size. */
static size_t list_elems(const struct fbuf *b, size_t off, size_t *elem, size_t max,
                         size_t *hdr_len)
{
    struct tc t = {b->d, b->n, off};
    int et;
    size_t n = (size_t)tc_list(&t, &et), i;

    *hdr_len = t.p - off;
    for (i = 0; i < n && i < max; i++) {
        elem[i] = t.p;
        tc_skip(&t, et);
    }
    elem[i] = t.p;
    return n;
}

/* Sets the count of the list at off (both small: one header byte). */
static void set_list_count(struct fbuf *b, size_t off, size_t n)
{
    b->d[off] = (uint8_t)((n << 4) | (b->d[off] & 0x0f));
}

/* Offset of the value of field id in schema element `name` (0: none). */
static size_t schema_field(const struct fbuf *b, const char *name, int id)
{
    size_t elem[64], hl, n, i;
    size_t at = meta_field(b, 2);

    n = list_elems(b, at, elem, 63, &hl);
    for (i = 0; i < n && i < 63; i++) {
        struct tc t = {b->d, b->n, elem[i]};
        size_t len;
        int type;
        /* The name is field 4; the type (1) and repetition (3) precede it. */
        if (!tc_find(&t, 4, &type, NULL))
            continue;
        len = (size_t)tc_varint(&t);
        if (len == strlen(name) && memcmp(b->d + t.p, name, len) == 0) {
            t.p = elem[i];
            if (tc_find(&t, id, &type, NULL))
                return t.p;
        }
    }
    return 0;
}

/* Offset of ColumnMetaData field id of row group rg, leaf col (0: none). */
static size_t chunk_field(const struct fbuf *b, int rg, int col, int id)
{
    size_t rgs[16], cols[16], hl;
    struct tc t;
    int type;

    if ((int)list_elems(b, meta_field(b, 4), rgs, 15, &hl) <= rg)
        return 0;
    t = (struct tc){b->d, b->n, rgs[rg]};
    if (!tc_find(&t, 1, &type, NULL))
        return 0;
    if ((int)list_elems(b, t.p, cols, 15, &hl) <= col)
        return 0;
    t.p = cols[col];
    if (!tc_find(&t, 3, &type, NULL) || !tc_find(&t, id, &type, NULL))
        return 0;
    return t.p;
}

/* ---- writing the files --------------------------------------------- */

static int64_t xs[NROWS];
static double ds[NROWS];
static uint8_t valid[NROWS];

/* One or two columns "x" (INT64) / "d" (DOUBLE, "n" optional DOUBLE with
 * NULLs), NROWS rows. */
static int write_file(const char *path, const struct pq_column_desc *cols, size_t ncols,
                      const struct pq_write_options *opt)
{
    struct pq_column_data data[3];
    struct pq_schema_desc schema = {ncols, cols};
    size_t k;
    int i;

    for (i = 0; i < NROWS; i++) {
        xs[i] = INT64_C(1000) * i;
        ds[i] = 0.25 * i + 1.0;
        valid[i] = i % 5 != 3;
    }
    memset(data, 0, sizeof data);
    for (k = 0; k < ncols; k++) {
        if (cols[k].type == PQ_WT_INT64)
            data[k].i64 = xs;
        else
            data[k].f64 = ds;
        if (cols[k].optional)
            data[k].valid = valid;
    }
    return pqt_write_file(path, &schema, opt, data, NROWS);
}

/* A namespace_labels table whose labels are MAP<string,string>. */
static int write_labels(const char *path, int dict)
{
    static const char *ns[NROWS], *keys[2 * NROWS], *vals[2 * NROWS];
    static int64_t ts[NROWS];
    static uint64_t moff[NROWS + 1];
    struct pq_column_desc cols[3];
    struct pq_column_data data[3];
    struct pq_write_options opt;
    struct pq_schema_desc schema = {3, cols};
    int i;

    for (i = 0; i < NROWS; i++) {
        ns[i] = i % 2 ? "project-a" : "project-b";
        ts[i] = INT64_C(1761955200000000) + (int64_t)(i % 24) * INT64_C(3600000000);
        keys[2 * i] = "team";
        vals[2 * i] = i % 3 ? "red" : "blue";
        keys[2 * i + 1] = "tier";
        vals[2 * i + 1] = "gold";
        moff[i] = 2 * (uint64_t)i;
    }
    moff[NROWS] = 2 * NROWS;
    memset(cols, 0, sizeof cols);
    memset(data, 0, sizeof data);
    cols[0] = (struct pq_column_desc){"namespace", PQ_WT_STRING, 1, 0, 0, PQ_DICT_AUTO};
    data[0].str.cstr = ns;
    cols[1] =
        (struct pq_column_desc){"interval_start", PQ_WT_TIMESTAMP_MICROS, 0, 1, 0, PQ_DICT_OFF};
    data[1].i64 = ts;
    cols[2] = (struct pq_column_desc){
        "namespace_labels", PQ_WT_MAP, 1, 0, 0, dict ? PQ_DICT_ON : PQ_DICT_OFF};
    data[2].map_offsets = moff;
    data[2].keys.cstr = keys;
    data[2].values.cstr = vals;
    pq_write_options_init(&opt);
    opt.dictionary = dict;
    return pqt_write_file(path, &schema, &opt, data, NROWS);
}

/* ---- reading them --------------------------------------------------- */

static int open_file(const char *path, size_t whole_chunk_bytes, struct pq_file **f,
                     struct ocp_error *err)
{
    struct pq_open_options opt;

    pq_open_options_init(&opt);
    if (whole_chunk_bytes)
        opt.whole_chunk_bytes = whole_chunk_bytes;
    ocp_error_clear(err);
    *f = NULL;
    return pq_file_open(path, &opt, f, err);
}

/* Reads rows [off, off + n) (n < 0: all) of every column. */
static int read_cols(const char *path, size_t whole_chunk_bytes, int64_t off, int64_t n,
                     struct ocp_error *err)
{
    struct pq_file *f;
    struct ocp_arena arena;
    int rc, rg, c;

    rc = open_file(path, whole_chunk_bytes, &f, err);
    ocp_arena_init(&arena, 0);
    for (rg = 0; rc == OCP_OK && rg < pq_file_num_row_groups(f); rg++) {
        for (c = 0; rc == OCP_OK && c < pq_file_num_columns(f); c++) {
            struct pq_colvalues v;
            rc = pq_column_read(f, rg, c, off, n, &arena, &v, err);
        }
    }
    pq_file_close(f);
    ocp_arena_release(&arena);
    return rc;
}

/* Checks and reads the whole namespace_labels table. */
static int read_labels(const char *path, struct ocp_error *err)
{
    struct pq_file *f;
    struct ocp_arena arena;
    struct ocp_batch bt;
    int rc;

    ocp_arena_init(&arena, 0);
    rc = open_file(path, 0, &f, err);
    if (rc == OCP_OK)
        rc = pq_table_check(f, OCP_TABLE_NAMESPACE_LABELS, err);
    if (rc == OCP_OK)
        rc = pq_table_read(f, OCP_TABLE_NAMESPACE_LABELS, 0, 0, NROWS, &arena, &bt, err);
    pq_file_close(f);
    ocp_arena_release(&arena);
    return rc;
}

static int has(const char *s, const char *part)
{
    if (strstr(s, part) != NULL)
        return 1;
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", s, part);
    return 0;
}

static int names_file(const struct ocp_error *err, const char *name)
{
    return err->file[0] != '\0' && strstr(err->file, name) != NULL;
}

/* ---- F2: row counts ------------------------------------------------- */

static void test_row_counts(void)
{
    struct pq_column_desc cols[2] = {{"x", PQ_WT_INT64, 0, 0, 0, PQ_DICT_OFF},
                                     {"d", PQ_WT_DOUBLE, 0, 0, 0, PQ_DICT_OFF}};
    struct pq_write_options opt;
    const char *path = tmp_path("rows.parquet");
    struct ocp_error err;
    struct fbuf orig, b;
    size_t rgs[8], hl, n, at;
    uint8_t *copy;

    pq_write_options_init(&opt);
    opt.row_group_rows = NROWS / 2;
    CHECK_INT(write_file(path, cols, 2, &opt), OCP_OK);
    CHECK_INT(load(path, &orig), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);

    /* The footer's count raised by one. */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    set_int_at(&b, meta_field(&b, 3), NROWS + 1);
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "corrupt footer: 64 rows in row groups, the footer says 65"));
    CHECK(names_file(&err, "rows.parquet"));
    free(b.d);

    /* The second row group dropped from the list. */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    at = meta_field(&b, 4);
    n = list_elems(&b, at, rgs, 7, &hl);
    CHECK_INT(n, 2);
    {
        size_t fs = footer_at(&b);
        set_list_count(&b, at, 1);
        splice(&b, rgs[1], rgs[2] - rgs[1], NULL, 0);
        fix_footer_len(&b, fs);
    }
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "32 rows in row groups, the footer says 64"));
    free(b.d);

    /* No row groups at all (the list emptied, the count kept). */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    {
        size_t fs = footer_at(&b);
        set_list_count(&b, at, 0);
        splice(&b, rgs[0], rgs[2] - rgs[0], NULL, 0);
        fix_footer_len(&b, fs);
    }
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "0 rows in row groups, the footer says 64"));
    free(b.d);

    /* The first row group listed twice, the footer's count raised to
     * match: the same bytes would be read twice. */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    copy = malloc(rgs[1] - rgs[0]);
    memcpy(copy, orig.d + rgs[0], rgs[1] - rgs[0]);
    {
        size_t fs = footer_at(&b);
        set_list_count(&b, at, 3);
        splice(&b, rgs[1], 0, copy, rgs[1] - rgs[0]);
        fix_footer_len(&b, fs);
    }
    free(copy);
    set_int_at(&b, meta_field(&b, 3), NROWS + NROWS / 2);
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "corrupt footer: column chunk bytes"));
    CHECK(has(err.message, "overlap row group 0's chunk of x"));
    CHECK_INT(err.row_group, 1);
    CHECK_STR(err.column, "x");
    free(b.d);

    /* Row counts whose sum overflows int64. */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    {
        int r;
        for (r = 1; r >= 0; r--) {
            struct tc t;
            int type;
            list_elems(&b, meta_field(&b, 4), rgs, 7, &hl);
            t = (struct tc){b.d, b.n, rgs[r]};
            CHECK(tc_find(&t, 3, &type, NULL));
            set_int_at(&b, t.p, INT64_MAX - 1);
        }
    }
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "row counts overflow"));
    free(b.d);

    /* A footer count of 0 (old parquet-rs wrote that) is no evidence of a
     * lost row group: the file reads. */
    b = (struct fbuf){malloc(orig.n), orig.n};
    memcpy(b.d, orig.d, orig.n);
    set_int_at(&b, meta_field(&b, 3), 0);
    CHECK_INT(save(path, &b), 0);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);
    free(b.d);
    free(orig.d);
}

/* ---- F3: MAP keys and values --------------------------------------- */

static void test_map_types(void)
{
    const char *path = tmp_path("labels.parquet");
    struct ocp_error err;
    struct fbuf b;
    int dict;

    for (dict = 0; dict <= 1; dict++) {
        size_t at;

        CHECK_INT(write_labels(path, dict), OCP_OK);
        CHECK_INT(read_labels(path, &err), OCP_OK);
        CHECK_INT(load(path, &b), 0);
        /* key: REQUIRED (0) -> OPTIONAL (1), findings' fuzz_m00746. */
        at = schema_field(&b, "key", 3);
        CHECK(at > 0);
        CHECK_INT(b.d[at], 0);
        b.d[at] = 2;
        CHECK_INT(save(path, &b), 0);
        free(b.d);
        CHECK_INT(read_labels(path, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "MAP 'namespace_labels': row 0 has an entry with a NULL key"));
        CHECK(strncmp(err.column, "namespace_labels", 16) == 0);
        CHECK(names_file(&err, "labels.parquet"));

        /* value: BYTE_ARRAY (6) -> INT64 (2) in the schema and the chunk
         * metadata (which must agree). */
        CHECK_INT(write_labels(path, dict), OCP_OK);
        CHECK_INT(load(path, &b), 0);
        at = schema_field(&b, "value", 1);
        CHECK(at > 0);
        CHECK_INT(b.d[at], 12);
        b.d[at] = 4;
        at = chunk_field(&b, 0, 3, 1);
        CHECK(at > 0);
        CHECK_INT(b.d[at], 12);
        b.d[at] = 4;
        CHECK_INT(save(path, &b), 0);
        free(b.d);
        CHECK_INT(read_labels(path, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "MAP whose value namespace_labels.key_value.value is INT64"));
        CHECK_STR(err.column, "namespace_labels");
    }
}

/* ---- F4: the timestamp unit ----------------------------------------- */

static void test_timestamp_unit(void)
{
    const char *path = tmp_path("ts.parquet");
    struct ocp_error err;
    struct pq_file *f;
    struct fbuf b;
    struct tc t;
    size_t lt, hdr, fs;
    int type;

    CHECK_INT(write_labels(path, 1), OCP_OK);
    CHECK_INT(load(path, &b), 0);
    /* SchemaElement.logicalType (10) -> TIMESTAMP (8) -> unit (2). */
    lt = schema_field(&b, "interval_start", 10);
    CHECK(lt > 0);
    t = (struct tc){b.d, b.n, lt};
    CHECK(tc_find(&t, 8, &type, NULL));
    CHECK(tc_find(&t, 2, &type, &hdr));
    CHECK_INT(type, TC_STRUCT);
    tc_skip(&t, type);
    fs = footer_at(&b);
    {
        /* A unit union whose member is id 4, which no TimeUnit has. */
        struct fbuf u = {malloc(b.n), b.n};
        memcpy(u.d, b.d, b.n);
        CHECK_INT(u.d[hdr + 1], 0x2C); /* MICROS: field 2, a struct */
        u.d[hdr + 1] = 0x4C;
        CHECK_INT(save(path, &u), 0);
        free(u.d);
        CHECK_INT(open_file(path, 0, &f, &err), OCP_ERR_UNSUPPORTED);
        CHECK(has(err.message, "TIMESTAMP type has a time unit this reader does not know"));
        CHECK_STR(err.column, "interval_start");
        pq_file_close(f);
    }
    /* The unit removed (findings' fuzz_m00791): was read as MILLIS. */
    splice(&b, hdr, t.p - hdr, NULL, 0);
    fix_footer_len(&b, fs);
    CHECK_INT(save(path, &b), 0);
    free(b.d);
    CHECK_INT(open_file(path, 0, &f, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "corrupt footer: its TIMESTAMP type has no unit"));
    CHECK_STR(err.column, "interval_start");
    CHECK(names_file(&err, "ts.parquet"));
    pq_file_close(f);
}

/* ---- F8a: bytes past a PLAIN page's values -------------------------- */

/* Declares the DOUBLE leaves of path FLOAT (schema and chunk metadata),
 * as fuzz_m00467 did. */
static void double_to_float(const char *path, int ncols)
{
    struct fbuf b;
    int c;

    CHECK_INT(load(path, &b), 0);
    for (c = 0; c < ncols; c++) {
        size_t at = chunk_field(&b, 0, c, 1);
        CHECK(at > 0 && b.d[at] == 10); /* zigzag(DOUBLE = 5) */
        b.d[at] = 8;                    /* FLOAT = 4 */
    }
    {
        const char *names[2] = {"d", "n"};
        for (c = 0; c < ncols; c++) {
            size_t at = schema_field(&b, names[c], 1);
            CHECK(at > 0 && b.d[at] == 10);
            b.d[at] = 8;
        }
    }
    CHECK_INT(save(path, &b), 0);
    free(b.d);
}

static void test_plain_leftover(void)
{
    struct pq_column_desc req = {"d", PQ_WT_DOUBLE, 0, 0, 0, PQ_DICT_OFF};
    struct pq_column_desc opt_col = {"n", PQ_WT_DOUBLE, 1, 0, 0, PQ_DICT_OFF};
    struct pq_column_desc dict = {"d", PQ_WT_DOUBLE, 0, 0, 0, PQ_DICT_ON};
    const char *path = tmp_path("float.parquet");
    struct pq_write_options opt;
    struct ocp_error err;
    int v;

    for (v = 1; v <= 2; v++) {
        pq_write_options_init(&opt);
        opt.page_version = v;
        /* REQUIRED: 64 doubles read as floats leave 256 bytes over. */
        CHECK_INT(write_file(path, &req, 1, &opt), OCP_OK);
        CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);
        double_to_float(path, 1);
        CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "page has 256 bytes past its 64 values of 4 bytes"));
        CHECK_STR(err.column, "d");
        CHECK_INT(err.row_group, 0);
        /* A row range of the page decodes only part of it, and is refused
         * all the same. */
        CHECK_INT(read_cols(path, 0, 10, 5, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "bytes past its 64 values"));

        /* OPTIONAL with NULLs (every fifth row): 51 values. */
        CHECK_INT(write_file(path, &opt_col, 1, &opt), OCP_OK);
        CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);
        {
            struct fbuf b;
            size_t at;
            CHECK_INT(load(path, &b), 0);
            at = chunk_field(&b, 0, 0, 1);
            CHECK(at > 0 && b.d[at] == 10);
            b.d[at] = 8;
            at = schema_field(&b, "n", 1);
            CHECK(at > 0 && b.d[at] == 10);
            b.d[at] = 8;
            CHECK_INT(save(path, &b), 0);
            free(b.d);
        }
        CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "page has 204 bytes past its 51 values of 4 bytes"));
        CHECK_INT(read_cols(path, 0, 20, 30, &err), OCP_ERR_DATA);
        CHECK(has(err.message, "page has 204 bytes past its 51 values"));
    }

    /* A dictionary page of 64 doubles read as floats. */
    pq_write_options_init(&opt);
    CHECK_INT(write_file(path, &dict, 1, &opt), OCP_OK);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);
    double_to_float(path, 1);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "dictionary page has 256 bytes past its 64 values of 4 bytes"));
    CHECK_STR(err.column, "d");
}

/* ---- F8b: a data page past the chunk's values ----------------------- */

static void test_surplus_page(void)
{
    struct pq_column_desc col = {"x", PQ_WT_INT64, 0, 0, 0, PQ_DICT_OFF};
    const char *path = tmp_path("surplus.parquet");
    struct pq_write_options opt;
    struct ocp_error err;
    struct fbuf b;
    size_t pos = 4, last = 0, end, fs, at;
    int64_t total;
    int pages = 0;
    uint8_t *copy;

    pq_write_options_init(&opt);
    opt.page_bytes = 128; /* 16 values a page: four pages */
    CHECK_INT(write_file(path, &col, 1, &opt), OCP_OK);
    CHECK_INT(load(path, &b), 0);
    at = chunk_field(&b, 0, 0, 7);
    CHECK(at > 0);
    {
        struct tc t = {b.d, b.n, at};
        uint64_t z = tc_varint(&t);
        total = (int64_t)(z >> 1);
    }
    /* Walk the page headers: compressed_size is field 3. */
    end = 4 + (size_t)total;
    while (pos < end) {
        struct tc t = {b.d, b.n, pos};
        int type;
        uint64_t z;
        CHECK(tc_find(&t, 3, &type, NULL));
        z = tc_varint(&t);
        t.p = pos;
        tc_skip_struct(&t);
        last = pos;
        pos = t.p + (size_t)(z >> 1);
        pages++;
    }
    CHECK_INT(pos, end);
    CHECK_INT(pages, 4);
    /* A second copy of the last page after it, in the chunk's bytes. */
    fs = footer_at(&b);
    copy = malloc(end - last);
    memcpy(copy, b.d + last, end - last);
    splice(&b, end, 0, copy, end - last);
    fs += end - last;
    fix_footer_len(&b, fs);
    set_int_at(&b, chunk_field(&b, 0, 0, 7), total + (int64_t)(end - last));
    free(copy);
    CHECK_INT(save(path, &b), 0);
    free(b.d);

    /* Whole: the page headers are walked to the chunk's end. */
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "data page at chunk offset"));
    CHECK(has(err.message, "holds values past the chunk metadata's 64"));
    CHECK_STR(err.column, "x");
    CHECK_INT(err.row_group, 0);
    /* In row ranges through a window (whole_chunk_bytes 1): the ranges
     * before the last read as before; the one that ends the chunk walks
     * on past its last page. */
    CHECK_INT(read_cols(path, 1, 0, 32, &err), OCP_OK);
    CHECK_INT(read_cols(path, 1, 32, 32, &err), OCP_ERR_DATA);
    CHECK(has(err.message, "holds values past the chunk metadata's 64"));

    /* The file as written reads both ways. */
    CHECK_INT(write_file(path, &col, 1, &opt), OCP_OK);
    CHECK_INT(read_cols(path, 0, 0, -1, &err), OCP_OK);
    CHECK_INT(read_cols(path, 1, 0, 32, &err), OCP_OK);
    CHECK_INT(read_cols(path, 1, 32, 32, &err), OCP_OK);
}

int main(void)
{
    if (tl_tmpdir_make(tmpdir, sizeof tmpdir, NULL, "test_pq_footer_checks") != 0)
        return 1;
    RUN(test_row_counts);
    RUN(test_map_types);
    RUN(test_timestamp_unit);
    RUN(test_plain_leftover);
    RUN(test_surplus_page);
    tl_tmpdir_remove(tmpdir);
    return TEST_SUMMARY();
}
