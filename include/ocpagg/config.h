/*
 * config.h - the run configuration: what to read, how to aggregate it and
 * where to write the report.
 *
 * The configuration is a YAML file (see docs/config.md for every key).
 * The usual sequence on rank 0 is
 *
 *     cfg_init(&c);
 *     cfg_load_file(&c, path, &err);       file values over the defaults
 *     cfg_set(&c, "threads", "4", &err);   command-line overrides
 *     cfg_validate(&c, &err);              required keys, ranges, dates
 *     cfg_serialize(&c, &buf, &len);       broadcast to the other ranks
 *
 * and on the other ranks cfg_init + cfg_deserialize.  Every failure is
 * OCP_ERR_CONFIG (or OCP_ERR_OSERR when memory runs out) with a one-line
 * message that names the file and the key path, e.g.
 * "config.yaml: key 'cost_categories[2].id': expected an integer".
 *
 * Ownership: struct cfg is caller storage (cfg_init/cfg_release); every
 * string and array in it is heap memory owned by the struct.  After a
 * failed load, set or deserialize the struct may hold a partial
 * configuration; it must still be released.  No function keeps global
 * state, so separate structs may be used from separate threads.
 */
#ifndef OCPAGG_CONFIG_H
#define OCPAGG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cfg_input_format { CFG_INPUT_HDF5 = 0, CFG_INPUT_PARQUET = 1 };
/* input.hdf5_driver: how HDF5 input is read (docs/running.md). */
enum cfg_hdf5_driver {
    CFG_H5_POSIX = 0,          /* "posix": HDF5's default (sec2) driver */
    CFG_H5_MPIO = 1,           /* "mpio": MPI-IO, independent transfers */
    CFG_H5_MPIO_COLLECTIVE = 2 /* "mpio-collective": MPI-IO, collective */
};
enum cfg_output_format {
    CFG_OUTPUT_CSV = 0,
    CFG_OUTPUT_PARQUET = 1,
    CFG_OUTPUT_POSTGRES = 2 /* Koku's table; output.postgres.*, docs/postgres.md */
};

/* One cost category: namespaces matching the SQL LIKE pattern get the id. */
struct cfg_cost_category {
    char *pattern;
    int64_t id;
};

/* A role the configuration assigns to a node; it wins over the data. */
struct cfg_node_role {
    char *node;
    char *role; /* "master", "infra" or "worker" */
};

/* Default window_rows: input rows per rank whose days are finished and
 * written before the next days are read (12 Mi rows, about 450 MiB of
 * groups per rank on Koku-shaped data). */
#define CFG_WINDOW_ROWS_DEFAULT INT64_C(12582912)

/* The most threads a rank runs: the bound of `threads` and of OpenMP's
 * default that `threads: 0` takes. */
#define CFG_THREADS_MAX 4096

struct cfg {
    char *cluster_id, *cluster_alias, *source_uuid;
    int64_t report_period_id;
    int has_start_date, has_end_date;
    int32_t start_date, end_date; /* days since 1970-01-01, inclusive */
    enum cfg_input_format input_format;
    char *input_path;
    char *tables[OCP_TABLE_COUNT]; /* indexed by enum ocp_table */
    /* Bit (1u << t) set: table t may be missing (read as empty with a
     * warning).  Every other configured table must exist; pod_usage can
     * never be optional.  Default: storage_usage only. */
    unsigned optional_tables;
    int verify_crc;                   /* 1 (default): check every Parquet page CRC present */
    enum cfg_hdf5_driver hdf5_driver; /* default CFG_H5_POSIX */
    char **tag_keys;
    size_t n_tag_keys;
    struct cfg_cost_category *cost_categories;
    size_t n_cost_categories;
    struct cfg_node_role *node_roles;
    size_t n_node_roles;
    /* Room of the three lists above (cfg_lists.c grows them by doubling;
     * 0 or any value up to the room is safe, never more). */
    size_t tag_keys_cap, cost_categories_cap, node_roles_cap;
    int threads; /* per rank, at most CFG_THREADS_MAX; 0 = the OpenMP default */
    int64_t chunk_rows;
    int64_t window_rows; /* input rows per rank in one window of days; 0: one window */
    int strict;
    int steal_chunks; /* 1 (default): ranks of a node take each other's unread chunks */
    char *output_path;
    enum cfg_output_format output_format;
    char *summary_path;
    int summary_derived; /* 1: summary_path came from output_path (not serialized) */
    int output_partitioned;
    int output_shared_write; /* 1 (default): CSV days written by their ranks */
    double progress_seconds; /* 0 = no progress lines */
    char *source_name;       /* the file it came from, for messages */
    /* output.postgres.* (output.format postgres; docs/postgres.md) */
    char *pg_conninfo;              /* NULL = libpq's PG* environment, service
                                       file and .pgpass; never holds a password */
    char *pg_schema, *pg_table;     /* table NULL = Koku's name */
    int pg_create_partitions;       /* default 1 */
    double pg_lock_timeout_seconds; /* default 300; 0 = wait forever */
    int pg_report_period_auto;      /* report_period_id: auto */
    int pg_has_report_period_id;
    int64_t pg_report_period_id; /* else the top-level report_period_id */
    /* OCP on AWS (issue 14, src/config/cfg_aws.c, docs/aws.md); the AWS
     * step runs iff aws_source_uuid is set. */
    char *aws_table;       /* input.tables.aws_line_items, under input.path */
    char *aws_source_uuid; /* aws.source_uuid */
    int aws_has_bill_id;
    int64_t aws_bill_id;         /* aws.bill_id */
    double aws_markup_percent;   /* aws.markup_percent, default 0 */
    char *aws_tag_keys;          /* aws.enabled_tag_keys, "a,b" or NULL */
    int aws_distribution_memory; /* aws.distribution: 0 cpu, 1 memory */
    char *aws_account_aliases;   /* aws.account_aliases, "acct=id,..." or NULL */
    char *aws_output;            /* aws.output or NULL (derived) */
};

/* The OCP-on-AWS report's path: aws.output, else output.path with
 * ".csv"/".parquet" replaced by ".aws.csv"/".aws.parquet" (".aws.csv"
 * appended otherwise; CSV for partitioned Parquet and PostgreSQL output).
 * A .parquet name means Parquet.  malloc'd; NULL when out of memory or no
 * output path. */
char *cfg_aws_output_path(const struct cfg *c);

/* Splits a comma-separated config value (aws.enabled_tag_keys,
 * aws.account_aliases) into n trimmed malloc'd items; NULL text gives
 * none.  OCP_OK or OCP_ERR_OSERR.  Free with cfg_aws_split_free. */
int cfg_aws_split(const char *text, char ***items, size_t *n);
void cfg_aws_split_free(char **items, size_t n);

/* Fills c with the defaults of docs/config.md: Koku's table names,
 * everything else unset, empty, zero or the documented value.  Should
 * memory run out here, a table name stays NULL and cfg_validate reports
 * it, since a void function has no other way to say so. */
void cfg_init(struct cfg *c);

/* Frees everything c owns and leaves it as after cfg_init minus the
 * defaults (all pointers NULL), so releasing twice is harmless. */
void cfg_release(struct cfg *c);

/* Reads the YAML file at path over the values already in c and records
 * path as c->source_name.  A file that cannot be read is OCP_ERR_CONFIG
 * naming the path. */
int cfg_load_file(struct cfg *c, const char *path, struct ocp_error *err);

/* Like cfg_load_file for yaml[0..len); name stands for the file in
 * messages (NULL reads as "config"). */
int cfg_load_string(struct cfg *c, const char *yaml, size_t len, const char *name,
                    struct ocp_error *err);

/* Overrides one key by its dotted path ("threads", "output.path",
 * "input.tables.pod_usage", ...) with its value as text, as a command-line
 * flag gives it.  List keys take comma-separated text: enabled_tag_keys
 * "app,tier", cost_categories "openshift-%=1,kube-%=2", node_roles
 * "master-0=master,infra-1=infra"; an empty value clears a list or an
 * optional date.  No ${VAR} expansion (the shell did that). */
int cfg_set(struct cfg *c, const char *key, const char *value, struct ocp_error *err);

/* Checks what the keys cannot check one by one: required values present,
 * ranges, start_date <= end_date, enums in range.  The derived values
 * (cluster_alias from cluster_id, summary path from output.path) are
 * filled by the loads and cfg_set, so a validated config has them. */
int cfg_validate(const struct cfg *c, struct ocp_error *err);

/* Flattens c into a malloc'd byte buffer (*buf, *len) that
 * cfg_deserialize reads back on another rank.  Returns OCP_OK or
 * OCP_ERR_OSERR. */
int cfg_serialize(const struct cfg *c, unsigned char **buf, size_t *len);

/* Replaces the contents of c (which must be initialised) by the config in
 * buf[0..len).  Every length in the buffer is checked against what is
 * left; a damaged buffer is OCP_ERR_CONFIG. */
int cfg_deserialize(struct cfg *c, const unsigned char *buf, size_t len, struct ocp_error *err);

/* The config as a compact JSON object with the same key structure as the
 * YAML file (dates as "YYYY-MM-DD" or null), malloc'd; NULL when out of
 * memory.  The text is itself a valid config file. */
char *cfg_to_json(const struct cfg *c);

#ifdef __cplusplus
}
#endif
#endif
