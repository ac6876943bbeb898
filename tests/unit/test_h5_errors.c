/* test_h5_errors.c - HDF5 input that is missing, truncated, incomplete or
 * ill-typed gives the documented status and names the culprit; numbers
 * stored as integers or float32 are converted. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void test_missing_file(void)
{
    struct h5_file *f = (struct h5_file *)1;
    struct ocp_error err;
    char path[300];

    path_in_dir(path, sizeof path, "nope.h5");
    ocp_error_clear(&err);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_ERR_NOINPUT);
    CHECK(f == NULL);
    CHECK_STR(err.file, path);
    CHECK_INT(err.code, OCP_ERR_NOINPUT);
    /* A directory is not an input file either. */
    CHECK_INT(h5_file_open(dir, H5P_DEFAULT, &f, &err), OCP_ERR_NOINPUT);
}

static void test_not_hdf5(void)
{
    struct h5_file *f = NULL;
    struct ocp_error err;
    char path[300];
    FILE *fp;

    path_in_dir(path, sizeof path, "text.h5");
    fp = fopen(path, "w");
    fputs("interval_start,namespace\n", fp);
    fclose(fp);
    ocp_error_clear(&err);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_ERR_DATA);
    CHECK_STR(err.file, path);
    CHECK(strstr(err.message, "not an HDF5 file") != NULL);
    fp = fopen(path, "w"); /* empty */
    fclose(fp);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_ERR_DATA);
    unlink(path);
}

static void test_missing_table_and_column(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];

    path_in_dir(path, sizeof path, "nopod.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, POD_POD), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    if (f == NULL)
        return;
    ocp_error_clear(&err);
    CHECK_INT(h5_table_open(f, OCP_TABLE_POD, POD, &t, &err), OCP_ERR_DATA);
    CHECK(t == NULL);
    CHECK_STR(err.file, path);
    CHECK_STR(err.column, "pod");
    ocp_error_clear(&err);
    CHECK_INT(h5_table_open(f, OCP_TABLE_STORAGE, "openshift_storage_usage_line_items", &t, &err),
              OCP_ERR_NOINPUT);
    CHECK(strstr(err.message, "openshift_storage_usage_line_items") != NULL);
    h5_file_close(f);

    /* Missing optional columns are fine and read as absent. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, POD_EFF_CPU), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    CHECK_INT(h5_table_open(f, OCP_TABLE_POD, POD, &t, &err), OCP_OK);
    if (t != NULL) {
        struct ocp_arena a;
        struct ocp_batch b;
        ocp_arena_init(&a, 0);
        CHECK_INT(h5_table_read(t, 2, 3, &a, &b, &err), OCP_OK);
        CHECK_INT(b.col[POD_EFF_CPU].present, 0);
        CHECK(b.col[POD_EFF_CPU].num == NULL);
        CHECK_INT(b.col[POD_EFF_MEM].present, 1);
        CHECK_DBL(b.col[POD_EFF_MEM].num[2], 6.0, 0);
        CHECK_INT(b.col[POD_INTERVAL_START].ts[0], INT64_C(1761955200000002));
        ocp_arena_release(&a);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

/* Replaces dataset `name` of the pod group with one of `type` holding
 * 10 values from buf. */
static void replace_column2(const char *path, const char *name, hid_t type, hid_t mtype,
                            const void *buf, hsize_t n)
{
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(fid, POD, H5P_DEFAULT);
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t d;

    H5Ldelete(g, name, H5P_DEFAULT);
    d = H5Dcreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    H5Sclose(space);
    H5Gclose(g);
    H5Fclose(fid);
}

/* Same, with the memory type equal to the file type. */
static void replace_column(const char *path, const char *name, hid_t type, const void *buf,
                           hsize_t n)
{
    replace_column2(path, name, type, type, buf, n);
}

static void test_wrong_types(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    hid_t str = H5Tcopy(H5T_C_S1);
    char text[10][4];
    double dbl[10];
    int i;

    for (i = 0; i < 10; i++) {
        snprintf(text[i], sizeof text[i], "x%d", i);
        dbl[i] = i;
    }
    H5Tset_size(str, 4);
    path_in_dir(path, sizeof path, "types.h5");

    /* A string where a number belongs. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "pod_usage_cpu_core_seconds", str, text, 10);
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.file, path);
    CHECK_STR(err.column, "pod_usage_cpu_core_seconds");
    CHECK(strstr(err.message, "string") != NULL);
    h5_table_close(t);
    h5_file_close(f);

    /* Doubles where dictionary codes belong. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "namespace", H5T_NATIVE_DOUBLE, dbl, 10);
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "namespace");
    h5_table_close(t);
    h5_file_close(f);

    /* Floats where timestamps belong. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "interval_start", H5T_NATIVE_DOUBLE, dbl, 10);
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "interval_start");
    h5_table_close(t);
    h5_file_close(f);

    /* A column of another length. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "pod_limit_cpu_core_seconds", H5T_NATIVE_DOUBLE, dbl, 9);
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "pod_limit_cpu_core_seconds");
    h5_table_close(t);
    h5_file_close(f);

    /* A string column without its dictionary group. */
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    {
        hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t g = H5Gopen2(fid, POD, H5P_DEFAULT);
        H5Ldelete(g, "node.dict", H5P_DEFAULT);
        H5Gclose(g);
        H5Fclose(fid);
    }
    ocp_error_clear(&err);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "node");
    h5_table_close(t);
    h5_file_close(f);
    H5Tclose(str);
    unlink(path);
}

static void test_number_conversion(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    int32_t i32[10];
    int64_t i64[10], ms[10];
    float f32[10];
    int i;

    for (i = 0; i < 10; i++) {
        i32[i] = -5 + i;
        i64[i] = INT64_C(1) << 40 | i;
        f32[i] = i == 3 ? NAN : (float)i * 0.5f;
        ms[i] = INT64_C(1761955200000) + i * 1000;
    }
    path_in_dir(path, sizeof path, "conv.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "pod_usage_cpu_core_seconds", H5T_STD_I32LE, i32, 10);
    replace_column2(path, "pod_usage_memory_byte_seconds", H5T_STD_I64BE, H5T_NATIVE_INT64, i64,
                    10);
    replace_column(path, "pod_request_cpu_core_seconds", H5T_IEEE_F32LE, f32, 10);
    replace_column(path, "interval_start", H5T_STD_I64LE, ms, 10);
    {
        /* Milliseconds, declared through the units attribute. */
        hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d = H5Dopen2(fid, "openshift_pod_usage_line_items/interval_start", H5P_DEFAULT);
        hid_t type = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
        H5Tset_size(type, 2);
        a = H5Acreate2(d, "units", type, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, type, "ms");
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(type);
        H5Dclose(d);
        H5Fclose(fid);
    }
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_OK);
    if (t != NULL) {
        struct ocp_arena a;
        struct ocp_batch b;
        ocp_arena_init(&a, 0);
        CHECK_INT(h5_table_read(t, 0, 10, &a, &b, &err), OCP_OK);
        CHECK_DBL(b.col[POD_USAGE_CPU].num[0], -5.0, 0);
        CHECK_DBL(b.col[POD_USAGE_CPU].num[9], 4.0, 0);
        CHECK_DBL(b.col[POD_USAGE_MEM].num[7], 1099511627783.0, 0);
        CHECK_DBL(b.col[POD_REQUEST_CPU].num[5], 2.5, 0);
        CHECK(isnan(b.col[POD_REQUEST_CPU].num[3]));
        CHECK_INT(b.col[POD_INTERVAL_START].ts[4], INT64_C(1761955204000000));
        ocp_arena_release(&a);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

static void test_bad_code(void)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    char path[300];
    uint32_t codes[10] = {0, 1, 2, 3, 0, 1, 99, 3, 0xFFFFFFFFu, 1};

    path_in_dir(path, sizeof path, "code.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    replace_column(path, "pod", H5T_STD_U32LE, codes, 10);
    CHECK_INT(h5tu_open_pod(path, &f, &t, &err), OCP_OK);
    if (t != NULL) {
        struct ocp_arena a;
        struct ocp_batch b;
        ocp_arena_init(&a, 0);
        /* Rows before the bad code read fine; the bad one is named. */
        CHECK_INT(h5_table_read(t, 0, 6, &a, &b, &err), OCP_OK);
        CHECK_INT(h5_table_read(t, 7, 3, &a, &b, &err), OCP_OK);
        CHECK_INT(b.col[POD_POD].str.ids[1], OCP_NULL_ID);
        ocp_error_clear(&err);
        CHECK_INT(h5_table_read(t, 4, 4, &a, &b, &err), OCP_ERR_DATA);
        CHECK_STR(err.column, "pod");
        CHECK(strstr(err.message, "row 6") != NULL);
        ocp_arena_release(&a);
    }
    h5_table_close(t);
    h5_file_close(f);
    unlink(path);
}

/* Copies src to dst keeping only the first `keep` bytes. */
static int copy_prefix(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[4096];
    long left = keep;
    int rc = 0;

    if (in == NULL || out == NULL)
        rc = -1;
    while (rc == 0 && left > 0) {
        size_t want = left < (long)sizeof buf ? (size_t)left : sizeof buf;
        size_t got = fread(buf, 1, want, in);
        if (got == 0)
            break;
        fwrite(buf, 1, got, out);
        left -= (long)got;
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    return rc;
}

/* A file cut anywhere gives OCP_ERR_DATA naming it, from h5_file_open or
 * at the latest from h5_table_open / h5_table_read; never a crash. */
static void test_truncated(void)
{
    char path[300], cut[300];
    struct stat st;
    long sizes[6];
    int i;

    path_in_dir(path, sizeof path, "full.h5");
    path_in_dir(cut, sizeof cut, "cut.h5");
    CHECK_INT(h5tu_write_table(path, OCP_TABLE_POD, 10, 0, 1, -1), OCP_OK);
    if (stat(path, &st) != 0) {
        CHECK(0);
        return;
    }
    sizes[0] = 8;
    sizes[1] = 100;
    sizes[2] = 1000;
    sizes[3] = (long)st.st_size / 2;
    sizes[4] = (long)st.st_size - 100;
    sizes[5] = (long)st.st_size - 1;
    for (i = 0; i < 6; i++) {
        struct h5_file *f = NULL;
        struct h5_table *t = NULL;
        struct ocp_error err;
        int rc;

        CHECK_INT(copy_prefix(path, cut, sizes[i]), 0);
        ocp_error_clear(&err);
        rc = h5tu_open_pod(cut, &f, &t, &err);
        if (rc == OCP_OK) {
            struct ocp_arena a;
            struct ocp_batch b;
            ocp_arena_init(&a, 0);
            rc = h5_table_read(t, 0, 10, &a, &b, &err);
            ocp_arena_release(&a);
        }
        if (rc != OCP_ERR_DATA)
            fprintf(stderr, "cut at %ld: status %d\n", sizes[i], rc);
        CHECK_INT(rc, OCP_ERR_DATA);
        CHECK_STR(err.file, cut);
        h5_table_close(t);
        h5_file_close(f);
    }
    unlink(cut);
    unlink(path);
}

int main(void)
{
    if (tl_tmpdir_make(dir, sizeof dir, getenv("TMPDIR"), "test_h5e.XXXXXX") != 0)
        return 1;
    RUN(test_missing_file);
    RUN(test_not_hdf5);
    RUN(test_missing_table_and_column);
    RUN(test_wrong_types);
    RUN(test_number_conversion);
    RUN(test_bad_code);
    RUN(test_truncated);
    rmdir(dir);
    return TEST_SUMMARY();
}
