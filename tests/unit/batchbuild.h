/*
 * batchbuild.h - building struct ocp_batch columns by hand in tests.
 *
 * bb_strings() turns an array of C strings (NULL for SQL NULL) into a
 * dictionary-coded column; the storage lives in a struct bb_store the test
 * releases at the end.
 */
#ifndef OCPAGG_TEST_BATCHBUILD_H
#define OCPAGG_TEST_BATCHBUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/agg.h"
#include "ocpagg/batch.h"

#define BB_MAX 64

struct bb_store {
    void *blocks[BB_MAX * 8];
    int n;
};

static inline void *bb_keep(struct bb_store *st, void *p)
{
    st->blocks[st->n++] = p;
    return p;
}

static inline void bb_release(struct bb_store *st)
{
    int i;
    for (i = 0; i < st->n; i++)
        free(st->blocks[i]);
    st->n = 0;
}

/* A dictionary-coded column of n strings; identical strings share an id. */
static inline struct ocp_column bb_strings(struct bb_store *st, const char *const *v, size_t n)
{
    struct ocp_column c;
    struct ocp_strdict *d = bb_keep(st, calloc(1, sizeof *d));
    uint32_t *ids = bb_keep(st, calloc(n + 1, sizeof *ids));
    uint64_t *off = bb_keep(st, calloc(n + 2, sizeof *off));
    size_t total = 0, i, j;
    char *data;

    for (i = 0; i < n; i++)
        total += v[i] ? strlen(v[i]) : 0;
    data = bb_keep(st, calloc(total + 1, 1));
    d->count = 0;
    off[0] = 0;
    for (i = 0; i < n; i++) {
        if (v[i] == NULL) {
            ids[i] = OCP_NULL_ID;
            continue;
        }
        for (j = 0; j < d->count; j++) {
            size_t l = (size_t)(off[j + 1] - off[j]);
            if (l == strlen(v[i]) && memcmp(data + off[j], v[i], l) == 0)
                break;
        }
        if (j == d->count) {
            size_t l = strlen(v[i]);
            memcpy(data + off[j], v[i], l);
            off[j + 1] = off[j] + l;
            d->count++;
        }
        ids[i] = (uint32_t)j;
    }
    d->offsets = off;
    d->data = data;
    d->serial = ocp_strdict_next_serial();
    memset(&c, 0, sizeof c);
    c.present = 1;
    c.str.ids = ids;
    c.str.dict = d;
    return c;
}

static inline struct ocp_column bb_numbers(struct bb_store *st, const double *v, size_t n)
{
    struct ocp_column c;
    double *copy = bb_keep(st, malloc((n + 1) * sizeof *copy));
    memcpy(copy, v, n * sizeof *copy);
    memset(&c, 0, sizeof c);
    c.present = 1;
    c.num = copy;
    return c;
}

static inline struct ocp_column bb_times(struct bb_store *st, const int64_t *v, size_t n)
{
    struct ocp_column c;
    int64_t *copy = bb_keep(st, malloc((n + 1) * sizeof *copy));
    memcpy(copy, v, n * sizeof *copy);
    memset(&c, 0, sizeof c);
    c.present = 1;
    c.ts = copy;
    return c;
}

/* Rows [from, to) of a batch, sharing its buffers (dictionaries too). */
static inline struct ocp_batch bb_slice(const struct ocp_batch *b, size_t from, size_t to)
{
    struct ocp_batch s = *b;
    int c;
    s.nrows = to - from;
    for (c = 0; c < OCP_MAX_COLUMNS; c++) {
        if (!s.col[c].present)
            continue;
        if (s.col[c].ts)
            s.col[c].ts += from;
        if (s.col[c].num)
            s.col[c].num += from;
        if (s.col[c].str.ids)
            s.col[c].str.ids += from;
    }
    return s;
}

/* A partial for days [start, end] (INT32_MIN, INT32_MAX: every day)
 * with the enabled keys `keys`, tracking volume nodes when track; NULL
 * when it cannot be made (the caller's check then fails). */
static inline struct agg_partial *bb_partial(const struct lbl_keys *keys, int32_t start,
                                             int32_t end, int track)
{
    struct agg_settings s;
    struct agg_partial *p = NULL;

    memset(&s, 0, sizeof s);
    s.start_day = start;
    s.end_day = end;
    s.enabled = keys;
    s.track_volume_nodes = track;
    if (agg_partial_create(&s, &p, NULL) != OCP_OK)
        return NULL;
    return p;
}

#endif
