/*
 * aws_internal.h - shared helpers of src/aws: a byte-string map and the
 * partial's layout.
 */
#ifndef OCPAGG_AWS_INTERNAL_H
#define OCPAGG_AWS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/xsum.h"
#include "ocpagg/aws.h"

/* A map from byte strings to dense indexes 0..n-1 (insertion order).  It
 * owns copies of its keys.  Open addressing, power-of-two capacity. */
struct aws_map {
    uint64_t *hash; /* per slot; 0 = empty (hashes are forced non-zero) */
    uint32_t *slot; /* per slot: index */
    size_t cap;
    size_t n;
    char **keys; /* per index */
    uint32_t *klen;
    size_t kcap;
};

void aws_map_init(struct aws_map *m);
void aws_map_release(struct aws_map *m);
/* Finds key; returns its index or -1. */
long aws_map_find(const struct aws_map *m, const void *key, size_t len);
/* Finds or adds key; *idx receives the index, *added 1 when new.  Returns
 * OCP_OK or OCP_ERR_OSERR. */
int aws_map_put(struct aws_map *m, const void *key, size_t len, size_t *idx, int *added);

/* A daily row (§1.3): its key (day, then the 18 strings as u32 length +
 * bytes; tags as canonical text) and its accumulators. */
struct aws_daily {
    int32_t day;
    uint32_t off[AWS_KEY_STRINGS], len[AWS_KEY_STRINGS]; /* into the key */
    struct xsum sum[4];                                  /* U, B, S, Q */
    char *currency;                                      /* max by bytes (malloc'd, never NULL) */
    char *productname;
};

enum { AWS_SUM_U, AWS_SUM_B, AWS_SUM_S, AWS_SUM_Q };

/* Per (rid, day): maxima of cost and rate over the raw rows (§4). */
struct aws_capacity {
    double cmax, rmax;
};

struct aws_partial {
    int32_t day_first, day_last;
    int strict;
    struct aws_read_counts counts;
    struct aws_map dmap; /* daily key -> index into daily */
    struct aws_daily *daily;
    size_t dcap;
    struct aws_map cmap; /* day(4) + rid -> index into caps */
    struct aws_capacity *caps;
    size_t ccap;
    /* raw tag text -> canonical text (and whether it was malformed): CUR
     * rows repeat a few tag texts, and parsing each row's showed up. */
    struct aws_map tcache;
    char **tcanon;
    uint8_t *tbad;
    size_t tcap;
    struct rpt_buf key; /* the row's key being built, reused */
};

/* The key text of string field f of daily row d (not NUL-terminated). */
static inline const char *aws_daily_str(const struct aws_partial *p, size_t i, int f, size_t *len)
{
    const struct aws_daily *d = &p->daily[i];
    *len = d->len[f];
    return p->dmap.keys[i] + d->off[f];
}

uint64_t aws_hash_bytes(const void *data, size_t len);

/* Parquet column helpers shared by the CUR and summary readers
 * (aws_read.c).  NULL numbers read as 0 (aws_pq_read_numbers). */
struct pq_file;
struct ocp_arena;
struct ocp_strcol;
int aws_pq_find_col(struct pq_file *f, const char *name);
int aws_pq_read_numbers(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                        double *out, double null_value, struct ocp_error *err);
int aws_pq_read_times(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                      int64_t *us, uint8_t *null, struct ocp_error *err);
int aws_pq_read_strings(struct pq_file *f, int rg, int col, int64_t nrows, struct ocp_arena *a,
                        struct ocp_strcol *out, struct ocp_error *err);

/* A row's text fields, in the one order that the group keys
 * (aws_attr_report.c) and the row blocks (aws_block.c) both use. */
#define AWS_ROW_NSTR 17

/* The address of text field i (0 .. AWS_ROW_NSTR - 1) of r. */
const char **aws_row_str(struct aws_row *r, int i);

/* A double's bits and back (byte images carry numbers exactly). */
static inline uint64_t aws_dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static inline double aws_bitsd(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

#endif
