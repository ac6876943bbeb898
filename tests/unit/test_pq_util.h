/*
 * test_pq_util.h - helpers of the Parquet conformance tests (test_pq_read.c
 * and test_pq_nested.c): opening files of parquet-testing, reading a leaf
 * column and taking its values apart.
 */
#ifndef OCPAGG_TEST_PQ_UTIL_H
#define OCPAGG_TEST_PQ_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/parquet.h"
#include "testlib.h"

static char dir[1024];
static struct ocp_arena arena;

static inline const char *path_of(const char *name)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static size_t whole_chunk_bytes; /* 0: the default */

static inline struct pq_file *open_opt(const char *name, int crc)
{
    struct pq_open_options opt;
    struct pq_file *f = NULL;
    struct ocp_error err;

    pq_open_options_init(&opt);
    opt.check_crc = crc;
    if (whole_chunk_bytes)
        opt.whole_chunk_bytes = whole_chunk_bytes;
    ocp_error_clear(&err);
    if (pq_file_open(path_of(name), &opt, &f, &err) != OCP_OK) {
        fprintf(stderr, "%s: open failed: %s\n", name, err.message);
        CHECK(0);
        return NULL;
    }
    return f;
}

static inline struct pq_file *open_file(const char *name)
{
    return open_opt(name, 0);
}

/* Reads a whole leaf column (all row groups concatenated is not needed:
 * the test files that matter have one row group unless said). */
static inline int read_col(struct pq_file *f, int rg, const char *name, struct pq_colvalues *v)
{
    struct ocp_error err;
    int col = pq_column_find(f, name), rc;

    if (col < 0) {
        fprintf(stderr, "no column %s\n", name);
        CHECK(0);
        return -1;
    }
    ocp_error_clear(&err);
    rc = pq_column_read(f, rg, col, 0, -1, &arena, v, &err);
    if (rc != OCP_OK) {
        fprintf(stderr, "%s: read failed: %s\n", name, err.message);
        CHECK_INT(rc, OCP_OK);
    }
    return rc;
}

static inline int is_null(const struct pq_file *f, const struct pq_colvalues *v, int64_t i)
{
    const struct pq_colinfo *c = pq_file_column(f, v->column);
    return v->def != NULL && v->def[i] != c->max_def;
}

static inline int64_t ival(const struct pq_colvalues *v, int64_t i)
{
    if (v->type == PQ_INT32) {
        int32_t x;
        memcpy(&x, (const uint8_t *)v->values + 4 * i, 4);
        return x;
    }
    {
        int64_t x;
        memcpy(&x, (const uint8_t *)v->values + 8 * i, 8);
        return x;
    }
}

static inline double dval(const struct pq_colvalues *v, int64_t i)
{
    if (v->type == PQ_FLOAT) {
        float x;
        memcpy(&x, (const uint8_t *)v->values + 4 * i, 4);
        return x;
    }
    if (v->type == PQ_DOUBLE) {
        double x;
        memcpy(&x, (const uint8_t *)v->values + 8 * i, 8);
        return x;
    }
    if (v->type == PQ_FIXED_LEN_BYTE_ARRAY && v->type_length == 2) {
        const uint8_t *p = (const uint8_t *)v->values + 2 * i;
        return pq_float16_to_double((uint16_t)(p[0] | p[1] << 8));
    }
    return (double)ival(v, i);
}

/* The string of row i (NUL-terminated copy in a static buffer). */
static inline const char *sval(const struct pq_colvalues *v, int64_t i)
{
    static char buf[4096];
    size_t len;
    const char *s;

    if (v->ids[i] == OCP_NULL_ID)
        return "(null)";
    s = ocp_strdict_get(v->dict, v->ids[i], &len);
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* Like sval, into a second buffer (to compare two strings). */
static inline const char *want_str(const struct pq_colvalues *v, int64_t i)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", sval(v, i));
    return buf;
}

/* Points dir at parquet-testing/data; returns 0 (after a SKIP) when
 * the files are not there. */
static inline int pq_test_setup(void)
{
    const char *shared = getenv("OCPAGG_TEST_DATA");

    if (shared == NULL) {
        SKIP("OCPAGG_TEST_DATA is not set");
        return 0;
    }
    snprintf(dir, sizeof dir, "%s/parquet-testing/data", shared);
    if (access(path_of("alltypes_plain.parquet"), R_OK) != 0) {
        SKIP("parquet-testing is absent");
        return 0;
    }
    ocp_arena_init(&arena, 0);
    return 1;
}

#endif
