/*
 * gen.h - the synthetic data model behind ocpgen, independent of the file
 * format.
 *
 * The model produces a deterministic (per seed) cluster of nodes and pods
 * over a number of days and emits the four line-item tables hour by hour as
 * struct ocp_batch blocks, handed to a struct gen_sink that writes them in
 * some format (HDF5 today; Parquet can plug in the same way).
 *
 * Row counts are closed-form, so tests can check them by hand
 * (S = nodes * pods_per_node, D = days):
 *   pod usage         S * 24 * D
 *   storage usage     (nodes*[P >= 2] + min(nodes, 3)*[P >= 3] + 2) * 24 * D
 *   node labels       nodes * 24 * D
 *   namespace labels  namespaces * 24 * D
 * What the rows contain (roles, NULLs, label forms, PVCs) is described in
 * docs/hdf5-layout.md, section "Synthetic data".
 *
 * The model keeps no globals and uses its own PRNG, so it is reentrant;
 * generating one table does not depend on having generated the others.
 */
#ifndef OCPAGG_GEN_H
#define OCPAGG_GEN_H

#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to generate.  Fill with gen_config_default, then override. */
struct gen_config {
    uint32_t nodes;             /* default 4 */
    uint32_t pods_per_node;     /* pod slots per node, default 10 */
    uint32_t days;              /* default 3 */
    int32_t start_day;          /* days since 1970-01-01; default 2025-11-01 */
    uint64_t seed;              /* default 1 */
    uint32_t label_cardinality; /* distinct "app" label values, default 8 */
    uint32_t namespaces;        /* default 18, at least 6 */
    int bad_labels;             /* add rare malformed label texts */
    int omit_effective;         /* leave out the effective-usage columns */
    uint32_t block_rows;        /* rows per batch handed to the sink, default 65536 */
    int fine_usage;             /* usage at full double precision (not
                                 * rounded to 1/1024 core-second and 4 KiB),
                                 * and about one hour in eight nearly idle
                                 * (1e-4 of its usage): small non-dyadic
                                 * values that show any rounding of sums */
    uint32_t node_memory_gib;   /* 0 (default): 4 GiB per core, at most
                                 * 128 GiB; else every node gets a whole
                                 * number of GiB in [max/2, max], so 2048
                                 * makes 1-2 TiB nodes whose daily cluster
                                 * memory capacity in byte-seconds passes
                                 * 2^64 from about 150 nodes on */
    uint32_t cur_hours_per_row; /* the AWS CUR's hourly lines (EC2, EBS, an
                                 * orphan) cover this many hours each, with
                                 * the amounts and costs of those hours, so
                                 * a bench can set the CUR's size against
                                 * the OCP rows: 0 or 1 (default) hourly,
                                 * else a divisor of 24 */
};

/* Where batches go.  Every callback returns OCP_OK or an error code that
 * stops generation and is returned as is.  The batch and its dictionaries
 * belong to the generator: they are valid during `write` only, although
 * the dictionaries are the same objects (same serial) for every batch of a
 * table, so a sink can cache per-dictionary work across batches. */
struct gen_sink {
    void *ctx;
    int (*begin_table)(void *ctx, enum ocp_table table, struct ocp_error *err);
    int (*write)(void *ctx, const struct ocp_batch *b, struct ocp_error *err);
    int (*end_table)(void *ctx, enum ocp_table table, int64_t rows, struct ocp_error *err);
};

/* Fills c with the defaults (the built-in sample). */
void gen_config_default(struct gen_config *c);

/* Checks ranges (nodes >= 1, pods_per_node >= 1, 1 <= days <= 3660,
 * namespaces >= 6, label_cardinality >= 1, block_rows >= 1,
 * node_memory_gib <= 2^20, counts small enough for 2^31 rows per table);
 * OCP_ERR_USAGE naming the field. */
int gen_config_check(const struct gen_config *c, struct ocp_error *err);

/* The number of rows gen_table makes for `table` (the formulas above). */
int64_t gen_expected_rows(const struct gen_config *c, enum ocp_table table);

/* Generates one table: begin_table, write for every block, end_table.
 * *rows (optional) receives the number of rows written. */
int gen_table(const struct gen_config *c, enum ocp_table table, const struct gen_sink *sink,
              int64_t *rows, struct ocp_error *err);

/* Generates the four tables in order pod, storage, node labels, namespace
 * labels; rows (optional) receives the count of each. */
int gen_all(const struct gen_config *c, const struct gen_sink *sink, int64_t rows[OCP_TABLE_COUNT],
            struct ocp_error *err);

/* An AWS CUR matching the cluster of c (issue 14, src/gen/gen_cur.c):
 * raw rows in Koku's layout handed to emit one by one (the row and its
 * strings are valid during the call only).  cluster_id is the value of
 * the openshift_cluster tag of the cluster-wide bucket.  *rows (optional)
 * receives the number of rows.  Deterministic per seed. */
struct aws_raw_row;
int gen_cur(const struct gen_config *c, const char *cluster_id,
            int (*emit)(void *ctx, const struct aws_raw_row *r, struct ocp_error *err), void *ctx,
            int64_t *rows, struct ocp_error *err);

#ifdef __cplusplus
}
#endif
#endif
