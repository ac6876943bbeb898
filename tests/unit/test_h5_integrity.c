/* test_h5_integrity.c - HDF5 input whose rows were never written or whose
 * link tables are damaged is a data error, not fill values to aggregate or
 * a missing table; datasets written completely pass whatever their layout.
 *
 * - A pod table whose columns were all grown with H5Dset_extent to 2^32
 *   rows (chunks never written read back as fill values), a chunk missing
 *   in the middle, a contiguous column or dictionary never written:
 *   OCP_ERR_DATA naming the file, the column and the rows.
 * - A corrupt root group (a B-tree child pointer or its local heap's data
 *   address overwritten): OCP_ERR_DATA "cannot read the file's tables",
 *   not OCP_ERR_NOINPUT "no table".  A table that is definitely absent,
 *   also under a path through a missing group or a dataset, stays
 *   OCP_ERR_NOINPUT.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5_testutil.h"
#include "ocpagg/h5.h"
#include "testlib.h"

static char dir[256];
static const char *const POD = "openshift_pod_usage_line_items";

static void path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* Expects the pod table of `path` to be refused as OCP_ERR_DATA naming
 * the file and `column`, with `text` in the message. */
static void expect_refused(const char *path, const char *column, const char *text)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;

    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK(t == NULL);
    CHECK_STR(err.file, path);
    CHECK_STR(err.column, column);
    if (strstr(err.message, text) == NULL)
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.message, text);
    CHECK(strstr(err.message, text) != NULL);
    CHECK(strstr(err.message, "were never written") != NULL);
    h5_table_close(t);
    h5_file_close(f);
}

/* Expects the pod table to open with `nrows` rows and read back. */
static void expect_readable(const char *path, int64_t nrows)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;

    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_OK);
    if (err.message[0] != '\0')
        fprintf(stderr, "%s: %s\n", err.column, err.message);
    if (t != NULL) {
        struct ocp_arena a;
        struct ocp_batch b;
        CHECK_INT(h5_table_num_rows(t), nrows);
        ocp_arena_init(&a, 0);
        CHECK_INT(h5_table_read(t, 0, nrows, &a, &b, &err), OCP_OK);
        if (nrows == 10) {
            CHECK_DBL(b.col[POD_USAGE_CPU].num[9], 13.5, 0);
            CHECK_INT(b.col[POD_INTERVAL_START].ts[9], INT64_C(1761955200000009));
            CHECK_INT(b.col[POD_NAMESPACE].str.ids[9], 1);
        }
        ocp_arena_release(&a);
    }
    h5_table_close(t);
    h5_file_close(f);
}

/* Grows every dataset of the pod group (columns only, not dictionaries)
 * to `rows` rows without writing them, as the audit's file did. */
static int extend_all(const char *path, hsize_t rows)
{
    const struct ocp_tablespec *spec = ocp_table_spec(OCP_TABLE_POD);
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = fid >= 0 ? H5Gopen2(fid, POD, H5P_DEFAULT) : -1;
    int i, rc = g >= 0 ? 0 : -1;

    for (i = 0; rc == 0 && i < spec->ncols; i++) {
        hid_t d = H5Dopen2(g, spec->cols[i].name, H5P_DEFAULT);
        if (d < 0 || H5Dset_extent(d, &rows) < 0)
            rc = -1;
        if (d >= 0)
            H5Dclose(d);
    }
    if (g >= 0)
        H5Gclose(g);
    if (fid >= 0)
        H5Fclose(fid);
    return rc;
}

/* Replaces dataset `name` (below the pod group) by a 1-D float64 dataset
 * of 10 rows made with `dcpl`; writes the rows in [from, to) only. */
static int replace_dataset(const char *path, const char *name, hid_t dcpl, hsize_t from, hsize_t to)
{
    static const double v[10] = {0, 1.5, 3, 4.5, 6, 7.5, 9, 10.5, 12, 13.5};
    hsize_t n = 10, cnt = to - from;
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = fid >= 0 ? H5Gopen2(fid, POD, H5P_DEFAULT) : -1;
    hid_t space = H5Screate_simple(1, &n, NULL), mspace = H5Screate_simple(1, &cnt, NULL);
    hid_t d = -1;
    int rc = -1;

    if (g >= 0 && H5Ldelete(g, name, H5P_DEFAULT) >= 0)
        d = H5Dcreate2(g, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d >= 0 &&
        (cnt == 0 || (H5Sselect_hyperslab(space, H5S_SELECT_SET, &from, NULL, &cnt, NULL) >= 0 &&
                      H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, v + from) >= 0)))
        rc = 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(mspace);
    H5Sclose(space);
    if (g >= 0)
        H5Gclose(g);
    if (fid >= 0)
        H5Fclose(fid);
    return rc;
}

static hid_t chunked_dcpl(hsize_t chunk, int compress)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (compress) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    return dcpl;
}

/* F6: every column claims 2^32 rows; only the first 3 chunks of 4 rows
 * (10 rows) were ever written.  Refused at once, naming the first column
 * and its first unwritten rows (the 4th chunk). */
static void test_huge_extent(void)
{
    char path[300];

    path_in_dir(path, sizeof path, "huge.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    CHECK_INT(extend_all(path, (hsize_t)1 << 32), 0);
    expect_refused(path, "interval_start", "rows 12-15 were never written (3 of the 1073741824");
    unlink(path);
}

/* A chunk missing between written ones, a contiguous column and a
 * dictionary never written. */
static void test_unwritten_parts(void)
{
    char path[300];
    hid_t dcpl;

    path_in_dir(path, sizeof path, "holes.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 0, -1), OCP_OK);
    dcpl = chunked_dcpl(4, 1);
    /* Rows 0-3 and 8-9 written, the chunk of rows 4-7 never. */
    CHECK_INT(replace_dataset(path, "pod_limit_cpu_core_seconds", dcpl, 0, 4), 0);
    {
        hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d =
            H5Dopen2(fid, "openshift_pod_usage_line_items/pod_limit_cpu_core_seconds", H5P_DEFAULT);
        hid_t fs = H5Dget_space(d);
        hsize_t from = 8, cnt = 2;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        double v[2] = {12, 13.5};
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, &from, NULL, &cnt, NULL);
        CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v) >= 0);
        H5Sclose(ms);
        H5Sclose(fs);
        H5Dclose(d);
        H5Fclose(fid);
    }
    H5Pclose(dcpl);
    expect_refused(path, "pod_limit_cpu_core_seconds",
                   "rows 4-7 were never written (2 of the 3 chunks its 10 rows need are stored)");

    /* A contiguous column created and never written. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 0, -1), OCP_OK);
    CHECK_INT(replace_dataset(path, "pod_usage_memory_byte_seconds", H5P_DEFAULT, 0, 0), 0);
    expect_refused(path, "pod_usage_memory_byte_seconds",
                   "rows 0-9 were never written (no storage allocated)");

    /* A dictionary's data never written (offsets frame it). */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 0, -1), OCP_OK);
    {
        hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hsize_t n = 8;
        hid_t sp = H5Screate_simple(1, &n, NULL), d;
        CHECK(H5Ldelete(fid, "openshift_pod_usage_line_items/namespace.dict/data", H5P_DEFAULT) >=
              0);
        d = H5Dcreate2(fid, "openshift_pod_usage_line_items/namespace.dict/data", H5T_STD_U8LE, sp,
                       H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(d >= 0);
        H5Dclose(d);
        H5Sclose(sp);
        H5Fclose(fid);
    }
    expect_refused(path, "namespace", "rows 0-7 of dictionary \"data\" were never written");
    unlink(path);
}

/* Whatever the layout, a dataset written completely is read: chunked with
 * a partial last chunk (compressed or not, one chunk larger than the
 * table), contiguous, compact, chunks allocated early with a fill value,
 * a dataset shrunk after writing, and tables of zero rows. */
static void test_complete_layouts(void)
{
    char path[300];
    hsize_t shrink = 10;
    double fill = -1;
    hid_t dcpl;

    path_in_dir(path, sizeof path, "good.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    expect_readable(path, 10);
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 0, -1), OCP_OK);
    expect_readable(path, 10);
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, H5_DEFAULT_CHUNK_ROWS, 1, -1), OCP_OK);
    expect_readable(path, 10);

    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 3, 1, -1), OCP_OK);
    CHECK_INT(replace_dataset(path, "pod_usage_cpu_core_seconds", H5P_DEFAULT, 0, 10), 0);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(dcpl, H5D_COMPACT);
    CHECK_INT(replace_dataset(path, "pod_request_cpu_core_seconds", dcpl, 0, 10), 0);
    H5Pclose(dcpl);
    dcpl = chunked_dcpl(4, 0);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill);
    CHECK_INT(replace_dataset(path, "pod_limit_cpu_core_seconds", dcpl, 0, 10), 0);
    H5Pclose(dcpl);
    dcpl = chunked_dcpl(4, 1);
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill);
    CHECK_INT(replace_dataset(path, "pod_usage_memory_byte_seconds", dcpl, 0, 10), 0);
    H5Pclose(dcpl);
    expect_readable(path, 10);

    /* Written at 10 rows, grown to 16 and shrunk back to 10: the chunk
     * added for rows 12-15 is dropped again. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    CHECK_INT(extend_all(path, 16), 0);
    CHECK_INT(extend_all(path, shrink), 0);
    expect_readable(path, 10);

    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 0, 4, 1, -1), OCP_OK);
    expect_readable(path, 0);
    unlink(path);
}

/* Reads the root group's B-tree and local heap addresses from a version 0
 * superblock (what HDF5 writes by default): the root symbol table entry's
 * scratch pad at bytes 80 and 88 when addresses take 8 bytes.  Checks the
 * "TREE" and "HEAP" signatures there, so the test corrupts what it means
 * to or fails. */
static int root_stab(const char *path, long *btree, long *heap)
{
    unsigned char sb[96], sig[4];
    uint64_t a = 0, h = 0;
    FILE *fp = fopen(path, "rb");
    int i, rc = -1;

    if (fp == NULL)
        return -1;
    if (fread(sb, 1, sizeof sb, fp) == sizeof sb && memcmp(sb, "\211HDF\r\n\032\n", 8) == 0 &&
        sb[8] == 0 && sb[13] == 8) {
        for (i = 7; i >= 0; i--) {
            a = a << 8 | sb[80 + i];
            h = h << 8 | sb[88 + i];
        }
        *btree = (long)a;
        *heap = (long)h;
        rc = fseek(fp, *btree, SEEK_SET) == 0 && fread(sig, 1, 4, fp) == 4 &&
                     memcmp(sig, "TREE", 4) == 0 && fseek(fp, *heap, SEEK_SET) == 0 &&
                     fread(sig, 1, 4, fp) == 4 && memcmp(sig, "HEAP", 4) == 0
                 ? 0
                 : -1;
    }
    fclose(fp);
    return rc;
}

/* XORs the byte at `at` with 0x8A (turning an address far past the end of
 * the file, as the audit's 3 flipped bytes did). */
static int flip(const char *path, long at)
{
    FILE *fp = fopen(path, "r+b");
    int c, rc = -1;

    if (fp == NULL)
        return -1;
    if (fseek(fp, at, SEEK_SET) == 0 && (c = fgetc(fp)) != EOF && fseek(fp, at, SEEK_SET) == 0 &&
        fputc(c ^ 0x8A, fp) != EOF)
        rc = 0;
    if (fclose(fp) != 0)
        rc = -1;
    return rc;
}

/* F9: the root group's B-tree points past the end of the file.  Every
 * lookup fails; the file open reports it. */
static void test_corrupt_root_btree(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    long btree = 0, heap = 0;

    path_in_dir(path, sizeof path, "tree.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    CHECK_INT(root_stab(path, &btree, &heap), 0);
    /* Node: "TREE", type, level, entries (2), siblings (2 x 8), key 0 (8),
     * then child 0's address at +32; its 5th byte is flipped. */
    CHECK_INT(flip(path, btree + 36), 0);
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.file, path);
    CHECK(strstr(err.message, "cannot read the file's tables (corrupt HDF5?)") != NULL);
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

/* F9: the root group's local heap (its link names) lies past the end of
 * the file.  Counting the links still works, so the file opens, but no
 * name can be looked up: the table is "unknown", not absent. */
static void test_corrupt_root_heap(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    long btree = 0, heap = 0;

    path_in_dir(path, sizeof path, "heap.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    CHECK_INT(root_stab(path, &btree, &heap), 0);
    /* Heap: "HEAP", version, 3 reserved, data size (8), free list (8),
     * then the data segment's address at +24; its 5th byte is flipped. */
    CHECK_INT(flip(path, heap + 28), 0);
    ocp_error_clear(&err);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    if (f != NULL) {
        CHECK_INT(h5_table_exists(f, POD), -1);
        CHECK_INT(h5_table_exists(f, "openshift_storage_usage_line_items"), -1);
        ocp_error_clear(&err);
        CHECK_INT(h5_table_open(f, OCP_TABLE_POD, POD, &t, &err), OCP_ERR_DATA);
        CHECK(t == NULL);
        CHECK_STR(err.file, path);
        CHECK(strstr(err.message, "cannot read the file's tables (corrupt HDF5?)") != NULL);
        CHECK(strstr(err.message, POD) != NULL);
        ocp_error_clear(&err);
        CHECK_INT(
            h5_table_open(f, OCP_TABLE_STORAGE, "openshift_storage_usage_line_items", &t, &err),
            OCP_ERR_DATA);
        h5_table_close(t);
        h5_file_close(f);
    }
    unlink(path);
}

/* A table that is definitely absent stays OCP_ERR_NOINPUT, also under a
 * path through a group that does not exist or through a dataset (where
 * H5Lexists itself fails); a path to the table works. */
static void test_absent_paths(void)
{
    static const char *const absent[] = {"openshift_storage_usage_line_items", "nosuch/table",
                                         "openshift_pod_usage_line_items/interval_start/x"};
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    size_t i;

    path_in_dir(path, sizeof path, "absent.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 4, 1, -1), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    if (f == NULL)
        return;
    for (i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        CHECK_INT(h5_table_exists(f, absent[i]), 0);
        ocp_error_clear(&err);
        CHECK_INT(h5_table_open(f, OCP_TABLE_STORAGE, absent[i], &t, &err), OCP_ERR_NOINPUT);
        CHECK(strstr(err.message, absent[i]) != NULL);
    }
    CHECK_INT(h5_table_exists(f, "/openshift_pod_usage_line_items"), 1);
    CHECK_INT(h5_table_open(f, OCP_TABLE_POD, "/openshift_pod_usage_line_items", &t, &err), OCP_OK);
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (tl_tmpdir_make(dir, sizeof dir, getenv("TMPDIR"), "test_h5i.XXXXXX") != 0)
        return 1;
    RUN(test_huge_extent);
    RUN(test_unwritten_parts);
    RUN(test_complete_layouts);
    RUN(test_corrupt_root_btree);
    RUN(test_corrupt_root_heap);
    RUN(test_absent_paths);
    rmdir(dir);
    return TEST_SUMMARY();
}
