/*
 * sink_parquet.h - ocpgen's Parquet output: the four tables in Koku's
 * layout <output>/<table>/source=<uuid>/year=YYYY/month=MM/<files>.parquet.
 */
#ifndef OCPGEN_SINK_PARQUET_H
#define OCPGEN_SINK_PARQUET_H

#include <stdint.h>

#include "ocpagg/pq_writer.h"
#include "ocpgen.h"

/* The Parquet-only flags. */
struct ocpgen_pq_options {
    enum pq_write_codec codec; /* --parquet-codec, default snappy */
    int page_version;          /* --parquet-page-version 1|2, default 1 */
    int labels_map;            /* --labels map|json, default json text */
    int ts_text;               /* --interval-start text|timestamp */
    uint64_t rows_per_file;    /* --rows-per-file N, 0: one file per day */
    uint64_t row_group_rows;   /* --row-group-rows N */
    char source_uuid[37];      /* --source-uuid, default from the seed */
    int page_crc;              /* --page-crc yes|no, default no */
};

/* Fills the defaults. */
void ocpgen_pq_options_default(struct ocpgen_pq_options *p);

/* Consumes one Parquet flag.  Returns 1 when flag is a Parquet flag and
 * value is good, 0 when flag is not a Parquet flag, OCP_ERR_USAGE for a
 * bad value.  Every Parquet flag takes a value. */
int ocpgen_pq_parse_flag(struct ocpgen_pq_options *p, const char *flag, const char *value);

/* 1 if flag is one of the Parquet flags above. */
int ocpgen_pq_is_flag(const char *flag);

/* The usage lines of the Parquet flags. */
const char *ocpgen_pq_usage(void);

/* Writes the four tables under o->output (a directory).  Files written
 * before a failure are removed. */
int ocpgen_write_parquet_with(const struct ocpgen_options *o, const struct ocpgen_pq_options *p,
                              int64_t rows[OCP_TABLE_COUNT], struct ocp_error *err);

#endif
