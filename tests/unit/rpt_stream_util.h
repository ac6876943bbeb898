/*
 * rpt_stream_util.h - helpers of the report stream tests: a small report
 * table over several days, streaming it day by day, printing a Parquet
 * report as the CSV writer would, and snapshots of files and trees.
 */
#ifndef OCPAGG_RPT_STREAM_UTIL_H
#define OCPAGG_RPT_STREAM_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/parquet.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"
#include "testlib.h"

static inline void rpt_buf_append_str(struct rpt_buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n - 1; /* keep the NUL after the text, not counted */
}

static const struct rpt_meta meta = {3, "cl-1", "Cluster \"One\"",
                                     "2f1c6d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f"};

/* nrows rows, rows_per_day rows a day from 2025-11-01, in report order. */
static inline void build(struct rpt_table *t, int nrows, int rows_per_day)
{
    static const char *const ns[4] = {"ns-a", "ns \"quoted\", comma", "", "Worker unallocated"};
    int i, k;

    rpt_table_init(t);
    for (i = 0; i < nrows; i++) {
        struct rpt_row *r = rpt_table_add(t);
        snprintf(r->uuid, sizeof r->uuid, "00000000-0000-5000-8000-%012d", i);
        r->usage_day = 20393 + i / rows_per_day;
        r->source = i % 3 == 2 ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
        r->namespace_ = rpt_table_strdup(t, ns[i % 4], strlen(ns[i % 4]));
        r->node = i % 5 ? rpt_table_strdup(t, "node-1", 6) : NULL;
        r->resource_id = i % 2 ? rpt_table_strdup(t, "i-0abc", 6) : NULL;
        r->pod_labels = rpt_table_strdup(t, "{\"app\":\"web\"}", 13);
        r->all_labels = i % 6 ? r->pod_labels : rpt_table_strdup(t, "{}", 2);
        r->pvc = r->source == RPT_SOURCE_STORAGE ? rpt_table_strdup(t, "pvc-1", 5) : NULL;
        r->pv = i % 4 == 1 ? rpt_table_strdup(t, "pv\nnewline", 10) : NULL;
        r->storageclass = i % 8 == 3 ? rpt_table_strdup(t, "gp3", 3) : NULL;
        r->volume_labels = i % 9 == 4 ? rpt_table_strdup(t, "{\"a\":\"\xc3\xa9\"}", 11) : NULL;
        r->csi_volume_handle = i % 7 == 0 ? rpt_table_strdup(t, "vol-1", 5) : NULL;
        for (k = 0; k < RPT_NUM_COUNT; k++)
            r->num[k] = (i + k) % 4 ? (double)i * 0.1 + k / 3.0 : NAN;
        r->num[0] = i == 3 ? -0.0 : r->num[0];
        r->num[1] = i == 5 ? 1e300 : r->num[1];
        r->has_infra_cost = i % 2;
        r->has_cost_category = i % 7 == 0;
        r->cost_category_id = i % 7 == 0 ? -(i % 10) : 0;
    }
}

/* A read-only view of rows [from, to) of t (encoding only reads rows). */
static inline struct rpt_table view(const struct rpt_table *t, size_t from, size_t to)
{
    struct rpt_table v = *t;
    v.rows = t->rows + from;
    v.count = to - from;
    v.cap = v.count;
    return v;
}

static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

static inline int spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static inline int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Entries of folder d whose names contain s. */
static inline int count_names(const char *d, const char *s)
{
    DIR *dd = opendir(d);
    struct dirent *de;
    int n = 0;

    while (dd != NULL && (de = readdir(dd)) != NULL)
        if (strstr(de->d_name, s) != NULL)
            n++;
    if (dd != NULL)
        closedir(dd);
    return n;
}

/* Streams t day by day (one block per day) into path; commit or abort. */
static inline int stream_days(enum rpt_format fmt, const struct rpt_table *t, const char *path,
                              int commit, int64_t *rows, int64_t *bytes, int64_t *files,
                              struct ocp_error *err)
{
    struct rpt_stream *s = NULL;
    struct rpt_buf block = {0};
    size_t from = 0;
    int rc = rpt_stream_open(&s, fmt, path, &meta, err);

    while (rc == OCP_OK && from < t->count) {
        size_t to = from + 1;
        struct rpt_table v;
        while (to < t->count && t->rows[to].usage_day == t->rows[from].usage_day)
            to++;
        v = view(t, from, to);
        block.len = 0;
        rc = rpt_encode_block(fmt, &v, &meta, &block, err);
        if (rc == OCP_OK)
            rc = rpt_stream_write(s, (const unsigned char *)block.data, block.len, err);
        from = to;
    }
    if (rc == OCP_OK && commit)
        rc = rpt_stream_commit(s, err);
    else
        rpt_stream_abort(s);
    if (s != NULL)
        rpt_stream_counts(s, rows, bytes, files);
    rpt_stream_destroy(s);
    rpt_buf_release(&block);
    return rc;
}

/* Prints a CSV field of one leaf's value in row i as rpt_write_csv does. */
static inline size_t field(char *out, size_t cap, const struct pq_colinfo *ci,
                           const struct pq_colvalues *v, int64_t i)
{
    char tmp[64];

    if (v->def != NULL && v->def[i] == 0)
        return 0;
    switch (v->type) {
    case PQ_DOUBLE: {
        size_t n = rpt_format_double(((const double *)v->values)[i], tmp);
        return (size_t)snprintf(out, cap, "%.*s", (int)n, tmp);
    }
    case PQ_INT32:
        if (ci->logical == PQ_LT_DATE) {
            txt_format_date(((const int32_t *)v->values)[i], tmp);
            return (size_t)snprintf(out, cap, "%s", tmp);
        }
        return (size_t)snprintf(out, cap, "%d", ((const int32_t *)v->values)[i]);
    default: {
        size_t len, at = 0, k;
        const char *s = ocp_strdict_get(v->dict, v->ids[i], &len);
        /* uuid and data_source are printed bare, like the CSV writer. */
        if (strcmp(ci->name, "uuid") == 0 || strcmp(ci->name, "data_source") == 0)
            return (size_t)snprintf(out, cap, "%.*s", (int)len, s);
        out[at++] = '"';
        for (k = 0; k < len && at + 3 < cap; k++) {
            if (s[k] == '"')
                out[at++] = '"';
            out[at++] = s[k];
        }
        out[at++] = '"';
        return at;
    }
    }
}

/* Appends the CSV text of every row of a Parquet report file to out. */
static inline int print_parquet(const char *path, char *out, size_t cap, size_t *at)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct ocp_arena a;
    struct pq_colvalues v[64];
    int rg, c, nc;
    int64_t i;

    ocp_error_clear(&err);
    if (pq_file_open(path, NULL, &f, &err) != OCP_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.message);
        return -1;
    }
    nc = pq_file_num_columns(f);
    ocp_arena_init(&a, 0);
    for (rg = 0; rg < pq_file_num_row_groups(f); rg++) {
        ocp_arena_reset(&a);
        for (c = 0; c < nc && c < 64; c++)
            if (pq_column_read(f, rg, c, 0, -1, &a, &v[c], &err) != OCP_OK) {
                fprintf(stderr, "read: %s\n", err.message);
                pq_file_close(f);
                ocp_arena_release(&a);
                return -1;
            }
        for (i = 0; i < pq_row_group_num_rows(f, rg); i++) {
            for (c = 0; c < nc; c++) {
                if (c > 0)
                    out[(*at)++] = ',';
                *at += field(out + *at, cap - *at, pq_file_column(f, c), &v[c], i);
            }
            out[(*at)++] = '\n';
        }
    }
    out[*at] = '\0';
    ocp_arena_release(&a);
    pq_file_close(f);
    return 0;
}

/* Appends "relative path, kind, size, content hash" lines of every entry
 * under root (sorted) to out: equal snapshots mean an identical tree. */
static inline int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static inline uint64_t fnv_file(const char *path)
{
    uint64_t h = 1469598103934665603ULL;
    FILE *f = fopen(path, "rb");
    int c;

    if (f == NULL)
        return 0;
    while ((c = getc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ULL;
    fclose(f);
    return h;
}

static inline void snapshot_rec(const char *root, const char *rel, struct rpt_buf *out)
{
    char full[2048], line[2300];
    char *names[512];
    size_t n = 0, i;
    struct dirent *de;
    struct stat st;
    DIR *d;

    snprintf(full, sizeof full, "%s%s", root, rel);
    if (lstat(full, &st) != 0) {
        snprintf(line, sizeof line, "%s missing\n", rel);
        rpt_buf_append_str(out, line);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(line, sizeof line, "%s file %lld %llx\n", rel, (long long)st.st_size,
                 (unsigned long long)fnv_file(full));
        rpt_buf_append_str(out, line);
        return;
    }
    snprintf(line, sizeof line, "%s dir\n", rel);
    rpt_buf_append_str(out, line);
    d = opendir(full);
    while (d != NULL && (de = readdir(d)) != NULL && n < 512)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[n++] = strdup(de->d_name);
    if (d != NULL)
        closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (i = 0; i < n; i++) {
        char sub[2048];
        /* A name too long for the buffer is said so, not cut short. */
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", rel, names[i]) >= sizeof sub)
            rpt_buf_append_str(out, "(a path too long to show)\n");
        else
            snapshot_rec(root, sub, out);
        free(names[i]);
    }
}

/* The snapshot as a malloc'ed string. */
static inline char *snapshot(const char *root)
{
    struct rpt_buf b = {0};
    snapshot_rec(root, "", &b);
    rpt_buf_append_str(&b, "");
    return b.data;
}

#endif
