/*
 * h5_testutil.h - the small HDF5 table the h5 unit tests write before they
 * damage, retype or read it (test_h5_errors.c, test_h5_integrity.c,
 * test_h5_badfiles.c), and opening its pod table again.
 *
 * h5tu_write_table() fills every column of a table from the same three
 * arrays: row i has the time 1761955200000000 + i, the number i * 1.5 and
 * the string "s<i % 4>" from one static dictionary "s0".."s3".
 */
#ifndef OCPAGG_TEST_H5_TESTUTIL_H
#define OCPAGG_TEST_H5_TESTUTIL_H

#include <stdint.h>
#include <string.h>

#include "ocpagg/batch.h"
#include "ocpagg/h5.h"

#define H5TU_MAX_ROWS 10

/* Writes `nrows` (at most H5TU_MAX_ROWS) rows of `table` to a new HDF5
 * file at `path`: every column present but `drop` (-1: none), in chunks
 * of `chunk_rows` (0: the writer's default), shuffle + deflate when
 * `compress`.  The writer's close ends the table.  Returns the first
 * failing status, OCP_OK when all went well. */
static inline int h5tu_write_table(const char *path, enum ocp_table table, int nrows,
                                   uint32_t chunk_rows, int compress, int drop)
{
    static const uint64_t off[5] = {0, 2, 4, 6, 8};
    static const struct ocp_strdict dict = {4, off, "s0s1s2s3", 0};
    const struct ocp_tablespec *spec = ocp_table_spec(table);
    int64_t ts[H5TU_MAX_ROWS];
    double num[H5TU_MAX_ROWS];
    uint32_t ids[H5TU_MAX_ROWS];
    struct ocp_batch b;
    struct h5_writer *w = NULL;
    struct ocp_error err;
    int i, rc;

    if (nrows < 0 || nrows > H5TU_MAX_ROWS)
        return OCP_ERR_SOFTWARE;
    for (i = 0; i < H5TU_MAX_ROWS; i++) {
        ts[i] = INT64_C(1761955200000000) + i;
        num[i] = i * 1.5;
        ids[i] = (uint32_t)(i % 4);
    }
    memset(&b, 0, sizeof b);
    b.table = table;
    b.nrows = (size_t)nrows;
    for (i = 0; i < spec->ncols; i++) {
        b.col[i].present = i != drop;
        b.col[i].ts = ts;
        b.col[i].num = num;
        b.col[i].str.ids = ids;
        b.col[i].str.dict = &dict;
    }
    rc = h5_writer_create(path, &w, &err);
    if (rc == OCP_OK && chunk_rows != 0)
        rc = h5_writer_set_chunk_rows(w, chunk_rows);
    if (rc == OCP_OK)
        rc = h5_writer_begin_table(w, table, compress, &err);
    if (rc == OCP_OK)
        rc = h5_writer_append(w, &b, &err);
    if (w != NULL) {
        int rc2 = h5_writer_close(w, &err);
        if (rc == OCP_OK)
            rc = rc2;
    }
    return rc;
}

/* Opens `path` and its pod table; *t is NULL unless both opened.  Returns
 * the first failing status.  The caller closes *t and *f. */
static inline int h5tu_open_pod(const char *path, struct h5_file **f, struct h5_table **t,
                                struct ocp_error *err)
{
    int rc = h5_file_open(path, H5P_DEFAULT, f, err);
    *t = NULL;
    if (rc != OCP_OK)
        return rc;
    return h5_table_open(*f, OCP_TABLE_POD, "openshift_pod_usage_line_items", t, err);
}

#endif
