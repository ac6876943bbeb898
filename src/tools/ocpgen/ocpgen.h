/*
 * ocpgen.h - options of the ocpgen tool and its output formats.
 */
#ifndef OCPGEN_H
#define OCPGEN_H

#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "ocpagg/gen.h"

struct ocpgen_pq_options; /* sink_parquet.h */

struct ocpgen_options {
    struct gen_config gen;
    const char *output;
    const char *format; /* "hdf5"; further formats register in main.c */
    int no_compress;
    int quiet;
    const struct ocpgen_pq_options *parquet; /* --format parquet flags */
    /* AWS CUR (issue 14, sink_cur.c): written when aws_cur is set. */
    const char *aws_cur;        /* --aws-cur DIR */
    const char *aws_cluster_id; /* --aws-cluster-id, default test-cluster */
    int64_t aws_rows_per_file;  /* --aws-rows-per-file, default 1000000 */
    int aws_only;               /* --aws-only: skip the OCP tables */
};

/* Writes the CUR matching o->gen under o->aws_cur (cur_NNNNN.parquet);
 * *rows receives the row count. */
int ocpgen_write_cur(const struct ocpgen_options *o, int64_t *rows, struct ocp_error *err);

/* Writes the four tables into one HDF5 file: output.tmp, renamed to output
 * on success and removed on failure. */
int ocpgen_write_hdf5(const struct ocpgen_options *o, int64_t rows[OCP_TABLE_COUNT],
                      struct ocp_error *err);

/* Writes the four tables in Koku's Parquet layout under output (a folder),
 * with the flags in o->parquet (sink_parquet.c). */
int ocpgen_write_parquet(const struct ocpgen_options *o, int64_t rows[OCP_TABLE_COUNT],
                         struct ocp_error *err);

#endif
