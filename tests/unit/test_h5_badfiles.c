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

#include "batchbuild.h"
#include "ocpagg/h5.h"
#include "testlib.h"

static struct bb_store store;

static int write_good(const char *path)
{
    static const int64_t ts[2] = {0, 3600000000};
    static const char *s[2] = {"a", "b"};
    static const double v[2] = {1, 2};
    struct ocp_batch b;
    struct h5_writer *w = NULL;
    struct ocp_error err;
    int c, rc;

    memset(&b, 0, sizeof b);
    b.table = OCP_TABLE_POD;
    b.nrows = 2;
    for (c = 0; c < POD_NCOLS; c++) {
        const struct ocp_colspec *cs = &ocp_table_spec(OCP_TABLE_POD)->cols[c];
        if (cs->kind == OCP_KIND_TIME)
            b.col[c] = bb_times(&store, ts, 2);
        else if (cs->kind == OCP_KIND_NUMBER)
            b.col[c] = bb_numbers(&store, v, 2);
        else
            b.col[c] = bb_strings(&store, s, 2);
    }
    rc = h5_writer_create(path, &w, &err);
    if (rc == OCP_OK)
        rc = h5_writer_begin_table(w, OCP_TABLE_POD, 0, &err);
    if (rc == OCP_OK)
        rc = h5_writer_append(w, &b, &err);
    if (rc == OCP_OK)
        rc = h5_writer_end_table(w, &err);
    if (w != NULL && h5_writer_close(w, &err) != OCP_OK)
        rc = OCP_ERR_IOERR;
    return rc;
}

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

static int make(const char *missing, const char *wrong)
{
    if (write_good(missing) != OCP_OK || drop_column(missing) != 0)
        return -1;
    if (write_good(wrong) != OCP_OK || retype_column(wrong) != 0)
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
    if (argc == 3) {
        int rc = make(argv[1], argv[2]);
        bb_release(&store);
        return rc == 0 ? 0 : 1;
    }
    snprintf(a, sizeof a, "missing_col_%ld.h5", (long)getpid());
    snprintf(b, sizeof b, "wrong_type_%ld.h5", (long)getpid());
    CHECK_INT(make(a, b), 0);
    check_open(a, "pod_usage_cpu_core_seconds");
    check_open(b, "namespace");
    unlink(a);
    unlink(b);
    bb_release(&store);
    return TEST_SUMMARY();
}
