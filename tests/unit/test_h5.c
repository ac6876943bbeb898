/* test_h5.c - HDF5 layout round trips: every kind with NULLs, ranges across
 * chunk boundaries, dictionary deduplication, type conversion on read. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/h5.h"
#include "testlib.h"

static char dir[256];

static void path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* A dictionary over a static list of strings. */
struct tdict {
    struct ocp_strdict d;
    uint64_t off[16];
    char data[512];
};

static void tdict_make(struct tdict *t, const char *const *s, int n)
{
    int i;
    size_t at = 0;
    t->off[0] = 0;
    for (i = 0; i < n; i++) {
        size_t len = strlen(s[i]);
        memcpy(t->data + at, s[i], len);
        at += len;
        t->off[i + 1] = at;
    }
    t->d.count = (uint32_t)n;
    t->d.offsets = t->off;
    t->d.data = t->data;
    t->d.serial = ocp_strdict_next_serial();
}

static const char *const dict_a[] = {"ns-a", "ns-b", ""};
static const char *const dict_b[] = {"ns-c", "ns-b"};
static const char *const lab_a[] = {"{\"app\":\"web\"}", "label_app:db|label_tier:x", "{}"};

/* The value row r of the hand-made pod table has in each kind.  Every
 * kind gets NULLs: rows divisible by 7 (time), 5 (numbers), 3 (strings). */
static int64_t exp_ts(int64_t r)
{
    return r % 7 == 0 ? OCP_TS_NULL : INT64_C(1761955200000000) + r * INT64_C(3600000000);
}
static double exp_num(int64_t r, int col)
{
    return r % 5 == 0 ? NAN : (double)r * 0.25 + col;
}
/* Namespace: rows < 1500 come from batch 1 (dict_a), later from dict_b. */
static const char *exp_ns(int64_t r)
{
    if (r % 3 == 0)
        return NULL;
    return r < 1500 ? dict_a[r % 3 == 1 ? 0 : 1] : dict_b[r % 2];
}
static const char *exp_label(int64_t r)
{
    return r % 3 == 0 ? NULL : lab_a[r % 4 == 3 ? 2 : r % 2];
}

/* Fills rows [from, from+n) of a pod batch. */
static void fill_pod(struct ocp_batch *b, int64_t from, size_t n, int64_t *ts, double num[][3000],
                     uint32_t *ns, uint32_t *lab, const struct tdict *nsd, const struct tdict *ld,
                     int skip_pod)
{
    const struct ocp_tablespec *spec = ocp_table_spec(OCP_TABLE_POD);
    size_t i;
    int c;

    memset(b, 0, sizeof *b);
    b->table = OCP_TABLE_POD;
    b->nrows = n;
    for (i = 0; i < n; i++) {
        int64_t r = from + (int64_t)i;
        ts[i] = exp_ts(r);
        for (c = 0; c < POD_NCOLS; c++)
            num[c][i] = exp_num(r, c);
        if (r % 3 == 0) {
            ns[i] = OCP_NULL_ID;
        } else if (r < 1500) {
            ns[i] = r % 3 == 1 ? 0 : 1;
        } else {
            ns[i] = (uint32_t)(r % 2);
        }
        lab[i] = r % 3 == 0 ? OCP_NULL_ID : r % 4 == 3 ? 2 : (uint32_t)(r % 2);
    }
    for (c = 0; c < spec->ncols; c++) {
        struct ocp_column *col = &b->col[c];
        col->present = 1;
        switch (spec->cols[c].kind) {
        case OCP_KIND_TIME: col->ts = ts; break;
        case OCP_KIND_NUMBER: col->num = num[c]; break;
        case OCP_KIND_STRING:
            col->str.ids = ns;
            col->str.dict = &nsd->d;
            break;
        case OCP_KIND_LABELS:
            col->str.ids = lab;
            col->str.dict = &ld->d;
            break;
        }
    }
    if (skip_pod)
        b->col[POD_POD].present = 0;
    /* An optional column left out entirely. */
    b->col[POD_NODE_ROLE].present = 0;
}

static int64_t ts_buf[3000];
static double num_buf[POD_NCOLS][3000];
static uint32_t ns_buf[3000], lab_buf[3000];

/* Writes 2500 pod rows in two batches (1500 with dict_a, 1000 with dict_b)
 * with `chunk` rows per HDF5 chunk. */
static int write_pod_file(const char *path, uint32_t chunk, int compress, int skip_pod)
{
    struct h5_writer *w;
    struct ocp_batch b;
    struct tdict da, db, la;
    struct ocp_error err;
    int rc;

    tdict_make(&da, dict_a, 3);
    tdict_make(&db, dict_b, 2);
    tdict_make(&la, lab_a, 3);
    rc = h5_writer_create(path, &w, &err);
    if (rc != OCP_OK)
        return rc;
    CHECK_INT(h5_writer_set_chunk_rows(w, chunk), OCP_OK);
    rc = h5_writer_begin_table(w, OCP_TABLE_POD, compress, &err);
    fill_pod(&b, 0, 1500, ts_buf, num_buf, ns_buf, lab_buf, &da, &la, skip_pod);
    if (rc == OCP_OK)
        rc = h5_writer_append(w, &b, &err);
    fill_pod(&b, 1500, 1000, ts_buf, num_buf, ns_buf, lab_buf, &db, &la, skip_pod);
    if (rc == OCP_OK)
        rc = h5_writer_append(w, &b, &err);
    if (rc == OCP_OK)
        rc = h5_writer_end_table(w, &err);
    if (rc == OCP_OK)
        rc = h5_writer_close(w, &err);
    else
        h5_writer_close(w, NULL);
    return rc;
}

static int str_eq(const struct ocp_column *c, size_t i, const char *want)
{
    size_t len;
    const char *s;
    if (c->str.ids[i] == OCP_NULL_ID)
        return want == NULL;
    if (want == NULL)
        return 0;
    s = ocp_strdict_get(c->str.dict, c->str.ids[i], &len);
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Reads [start, start+n) and compares every present column with the
 * formulas; returns the number of mismatching cells. */
static int check_range(struct h5_table *t, int64_t start, int64_t n)
{
    struct ocp_arena arena;
    struct ocp_batch b;
    struct ocp_error err;
    int bad = 0, c;
    int64_t i;

    ocp_arena_init(&arena, 0);
    CHECK_INT(h5_table_read(t, start, n, &arena, &b, &err), OCP_OK);
    CHECK_INT(b.nrows, n);
    CHECK_INT(b.table, OCP_TABLE_POD);
    for (i = 0; i < n; i++) {
        int64_t r = start + i;
        if (b.col[POD_INTERVAL_START].ts[i] != exp_ts(r))
            bad++;
        for (c = POD_USAGE_CPU; c <= POD_CAP_MEM_SEC; c++) {
            double got = b.col[c].num[i], want = exp_num(r, c);
            if (isnan(want) ? !isnan(got) : got != want)
                bad++;
        }
        if (!str_eq(&b.col[POD_NAMESPACE], (size_t)i, exp_ns(r)))
            bad++;
        if (!str_eq(&b.col[POD_NODE], (size_t)i, exp_ns(r)))
            bad++;
        if (!str_eq(&b.col[POD_LABELS], (size_t)i, exp_label(r)))
            bad++;
    }
    ocp_arena_release(&arena);
    return bad;
}

static void round_trip(uint32_t chunk, int compress)
{
    char path[300];
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;

    path_in_dir(path, sizeof path, "rt.h5");
    CHECK_INT(write_pod_file(path, chunk, compress, 0), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    if (f == NULL)
        return;
    CHECK(h5_table_exists(f, "openshift_pod_usage_line_items"));
    CHECK(!h5_table_exists(f, "openshift_storage_usage_line_items"));
    CHECK(!h5_table_exists(f, ""));
    CHECK_INT(h5_table_open(f, OCP_TABLE_POD, "openshift_pod_usage_line_items", &t, &err), OCP_OK);
    if (t != NULL) {
        struct ocp_arena arena;
        struct ocp_batch b;
        CHECK_INT(h5_table_num_rows(t), 2500);
        CHECK_INT(check_range(t, 0, 2500), 0);
        CHECK_INT(check_range(t, 990, 20), 0);   /* crosses a chunk boundary */
        CHECK_INT(check_range(t, 1499, 2), 0);   /* crosses the batch seam */
        CHECK_INT(check_range(t, 2000, 500), 0); /* the last, partial chunk */
        CHECK_INT(check_range(t, 2499, 1), 0);
        CHECK_INT(check_range(t, 2500, 0), 0);
        ocp_arena_init(&arena, 0);
        CHECK_INT(h5_table_read(t, 0, 3, &arena, &b, &err), OCP_OK);
        /* The optional column the writer never got is absent, not NULL. */
        CHECK_INT(b.col[POD_NODE_ROLE].present, 0);
        CHECK_INT(b.col[POD_NAMESPACE].present, 1);
        /* One global dictionary per column: "ns-a", "ns-b" and "ns-c" once
         * each ("" was never used, so it is not stored). */
        CHECK_INT(b.col[POD_NAMESPACE].str.dict->count, 3);
        CHECK(b.col[POD_NAMESPACE].str.dict->serial != 0);
        CHECK(b.col[POD_NAMESPACE].str.dict != b.col[POD_NODE].str.dict);
        CHECK(b.col[POD_NAMESPACE].str.dict->serial != b.col[POD_NODE].str.dict->serial);
        CHECK_INT(b.col[POD_LABELS].str.dict->count, 3);
        CHECK_INT(h5_table_read(t, 2490, 11, &arena, &b, &err), OCP_ERR_SOFTWARE);
        CHECK_INT(h5_table_read(t, -1, 1, &arena, &b, &err), OCP_ERR_SOFTWARE);
        ocp_arena_release(&arena);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

static void test_round_trip_small_chunks(void)
{
    round_trip(1000, 1);
}
static void test_round_trip_uncompressed(void)
{
    round_trip(333, 0);
}
static void test_round_trip_default_chunk(void)
{
    round_trip(H5_DEFAULT_CHUNK_ROWS, 1);
}

/* 70000 node-label rows cross the default 65536-row chunk. */
static void test_default_chunk_boundary(void)
{
    static int64_t ts[70000];
    static uint32_t node[70000], lab[70000];
    static const char *const names[] = {"n0", "n1", "n2", "n3", "n4"};
    struct tdict nd;
    struct h5_writer *w = NULL;
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_batch b;
    struct ocp_arena arena;
    struct ocp_error err;
    char path[300];
    int i, bad = 0;

    path_in_dir(path, sizeof path, "nl.h5");
    tdict_make(&nd, names, 5);
    for (i = 0; i < 70000; i++) {
        ts[i] = (int64_t)i * 1000;
        node[i] = (uint32_t)(i % 5);
        lab[i] = i % 11 == 0 ? OCP_NULL_ID : (uint32_t)((i / 5) % 5);
    }
    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_NODE_LABELS;
    b.nrows = 70000;
    b.col[NL_INTERVAL_START].present = 1;
    b.col[NL_INTERVAL_START].ts = ts;
    b.col[NL_NODE].present = 1;
    b.col[NL_NODE].str.ids = node;
    b.col[NL_NODE].str.dict = &nd.d;
    b.col[NL_LABELS].present = 1;
    b.col[NL_LABELS].str.ids = lab;
    b.col[NL_LABELS].str.dict = &nd.d;
    CHECK_INT(h5_writer_create(path, &w, &err), OCP_OK);
    CHECK_INT(h5_writer_begin_table(w, OCP_TABLE_NODE_LABELS, 1, &err), OCP_OK);
    CHECK_INT(h5_writer_append(w, &b, &err), OCP_OK);
    /* A batch of the wrong table is refused. */
    b.table = OCP_TABLE_POD;
    CHECK_INT(h5_writer_append(w, &b, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(h5_writer_close(w, &err), OCP_OK); /* ends the open table */

    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    CHECK_INT(h5_table_open(f, OCP_TABLE_NODE_LABELS, "openshift_node_labels_line_items", &t, &err),
              OCP_OK);
    if (t != NULL) {
        CHECK_INT(h5_table_num_rows(t), 70000);
        ocp_arena_init(&arena, 0);
        CHECK_INT(h5_table_read(t, 65530, 4470, &arena, &b, &err), OCP_OK);
        for (i = 0; i < 4470; i++) {
            int r = 65530 + i;
            size_t len;
            const char *s;
            if (b.col[NL_INTERVAL_START].ts[i] != (int64_t)r * 1000)
                bad++;
            s = ocp_strdict_get(b.col[NL_NODE].str.dict, b.col[NL_NODE].str.ids[i], &len);
            if (len != 2 || s[1] != (char)('0' + r % 5))
                bad++;
            if (r % 11 == 0) {
                bad += b.col[NL_LABELS].str.ids[i] != OCP_NULL_ID;
            } else {
                s = ocp_strdict_get(b.col[NL_LABELS].str.dict, b.col[NL_LABELS].str.ids[i], &len);
                bad += s[1] != (char)('0' + (r / 5) % 5);
            }
        }
        CHECK_INT(bad, 0);
        ocp_arena_release(&arena);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

/* An empty table still has every column, with zero rows. */
static void test_empty_table(void)
{
    struct h5_writer *w = NULL;
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_batch b;
    struct ocp_arena arena;
    struct ocp_error err;
    char path[300];

    path_in_dir(path, sizeof path, "empty.h5");
    CHECK_INT(h5_writer_create(path, &w, &err), OCP_OK);
    CHECK_INT(h5_writer_begin_table(w, OCP_TABLE_STORAGE, 1, &err), OCP_OK);
    CHECK_INT(h5_writer_end_table(w, &err), OCP_OK);
    CHECK_INT(h5_writer_begin_table(w, OCP_TABLE_STORAGE, 1, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(h5_writer_close(w, &err), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    CHECK_INT(h5_table_open(f, OCP_TABLE_STORAGE, "openshift_storage_usage_line_items", &t, &err),
              OCP_OK);
    if (t != NULL) {
        ocp_arena_init(&arena, 0);
        CHECK_INT(h5_table_num_rows(t), 0);
        CHECK_INT(h5_table_read(t, 0, 0, &arena, &b, &err), OCP_OK);
        CHECK_INT(b.nrows, 0);
        CHECK_INT(b.col[STO_CSI_HANDLE].present, 1);
        CHECK_INT(b.col[STO_CSI_HANDLE].str.dict->count, 0);
        ocp_arena_release(&arena);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

int main(void)
{
    if (tl_tmpdir_make(dir, sizeof dir, getenv("TMPDIR"), "test_h5.XXXXXX") != 0)
        return 1;
    RUN(test_round_trip_small_chunks);
    RUN(test_round_trip_uncompressed);
    RUN(test_round_trip_default_chunk);
    RUN(test_default_chunk_boundary);
    RUN(test_empty_table);
    rmdir(dir);
    return TEST_SUMMARY();
}
