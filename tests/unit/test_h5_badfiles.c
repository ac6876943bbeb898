/*
 * test_h5_badfiles.c - HDF5 files with a missing column and a column of
 * the wrong type are refused with OCP_ERR_DATA naming the column.
 *
 * With two paths as arguments it only writes those two files, for
 * tests/scripts/t_errors.sh to run through the whole job.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "h5_testutil.h"
#include "ocpagg/h5.h"
#include "testlib.h"

/* Removes pod_usage_cpu_core_seconds from the pod table. */
static int drop_column(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    herr_t e;
    if (f < 0)
        return -1;
    e = H5Ldelete(f, "openshift_pod_usage_line_items/pod_usage_cpu_core_seconds", H5P_DEFAULT);
    H5Fclose(f);
    return e < 0 ? -1 : 0;
}

/* Replaces the namespace strings by a float column of the same length. */
static int retype_column(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), space, d;
    hsize_t n = 2;
    double v[2] = {1, 2};
    int rc = 0;
    if (f < 0)
        return -1;
    if (H5Ldelete(f, "openshift_pod_usage_line_items/namespace", H5P_DEFAULT) < 0)
        rc = -1;
    H5Ldelete(f, "openshift_pod_usage_line_items/namespace.dict", H5P_DEFAULT);
    space = H5Screate_simple(1, &n, NULL);
    d = H5Dcreate2(f, "openshift_pod_usage_line_items/namespace", H5T_IEEE_F64LE, space,
                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = -1;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
    return rc;
}

/* Both files start as a good, uncompressed pod table of two rows (the
 * length retype_column() writes). */
static int make(const char *missing, const char *wrong)
{
    if (h5tu_write_table(missing, OCP_TABLE_POD, 2, 0, 0, -1) != OCP_OK ||
        drop_column(missing) != 0)
        return -1;
    if (h5tu_write_table(wrong, OCP_TABLE_POD, 2, 0, 0, -1) != OCP_OK || retype_column(wrong) != 0)
        return -1;
    return 0;
}

static void check_open(const char *path, const char *column)
{
    struct h5_file *f = NULL;
    struct h5_table *t = NULL;
    struct ocp_error err;
    int rc;

    ocp_error_clear(&err);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    rc = h5_table_open(f, OCP_TABLE_POD, "openshift_pod_usage_line_items", &t, &err);
    CHECK_INT(rc, OCP_ERR_DATA);
    CHECK(strstr(err.column, column) != NULL || strstr(err.message, column) != NULL);
    CHECK(strstr(err.file, path) != NULL);
    h5_table_close(t);
    h5_file_close(f);
}

int main(int argc, char **argv)
{
    char a[64], b[64];
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc == 3)
        return make(argv[1], argv[2]) == 0 ? 0 : 1;
    snprintf(a, sizeof a, "missing_col_%ld.h5", (long)getpid());
    snprintf(b, sizeof b, "wrong_type_%ld.h5", (long)getpid());
    CHECK_INT(make(a, b), 0);
    check_open(a, "pod_usage_cpu_core_seconds");
    check_open(b, "namespace");
    unlink(a);
    unlink(b);
    return TEST_SUMMARY();
}
