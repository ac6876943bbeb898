/*
 * batch.h - the column batch that input readers hand to the engine.
 *
 * Whatever the file format, a reader decodes one chunk of one table into a
 * struct ocp_batch: one column per column of the table's schema below, in
 * schema order, with a common representation per kind:
 *
 *   OCP_KIND_TIME    int64 microseconds since 1970-01-01 UTC, OCP_TS_NULL
 *                    for NULL;
 *   OCP_KIND_NUMBER  double, NaN for NULL;
 *   OCP_KIND_STRING  dictionary ids into an ocp_strdict, OCP_NULL_ID for
 *                    NULL, so the engine works on small integers;
 *   OCP_KIND_LABELS  like STRING; each dictionary entry is label text
 *                    (JSON object or Koku's "label_a:b|..." text; Parquet MAP
 *                    columns are turned into JSON text by the reader).
 *
 * Optional columns a file lacks have present == 0 and NULL data.  All
 * buffers belong to the reader or the arena it was given; the batch only
 * borrows them.
 */
#ifndef OCPAGG_BATCH_H
#define OCPAGG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OCP_NULL_ID UINT32_MAX
#define OCP_TS_NULL INT64_MIN
#define OCP_US_PER_DAY INT64_C(86400000000)

/* An immutable list of strings addressed by id.  serial is unique within
 * the process for each distinct dictionary (see ocp_strdict_next_serial),
 * so consumers can cache "dictionary id -> my id" maps between chunks that
 * share a dictionary. */
struct ocp_strdict {
    uint32_t count;
    const uint64_t *offsets; /* count + 1; entry i = data[offsets[i], offsets[i+1]) */
    const char *data;
    uint64_t serial;
};

/* Returns a new process-unique dictionary serial (thread-safe). */
uint64_t ocp_strdict_next_serial(void);

/* A dictionary-coded string column. */
struct ocp_strcol {
    const uint32_t *ids;
    const struct ocp_strdict *dict;
};

enum ocp_kind { OCP_KIND_TIME = 1, OCP_KIND_NUMBER, OCP_KIND_STRING, OCP_KIND_LABELS };

struct ocp_column {
    int present;           /* 0 when the input has no such column */
    const int64_t *ts;     /* OCP_KIND_TIME */
    const double *num;     /* OCP_KIND_NUMBER */
    struct ocp_strcol str; /* OCP_KIND_STRING and OCP_KIND_LABELS */
};

enum ocp_table {
    OCP_TABLE_POD = 0,
    OCP_TABLE_STORAGE,
    OCP_TABLE_NODE_LABELS,
    OCP_TABLE_NAMESPACE_LABELS,
    OCP_TABLE_COUNT
};

/* Columns of openshift_pod_usage_line_items, in schema order. */
enum ocp_pod_col {
    POD_INTERVAL_START,
    POD_NAMESPACE,
    POD_NODE,
    POD_POD,
    POD_RESOURCE_ID,
    POD_NODE_ROLE,
    POD_USAGE_CPU, /* pod_usage_cpu_core_seconds */
    POD_REQUEST_CPU,
    POD_LIMIT_CPU,
    POD_USAGE_MEM, /* pod_usage_memory_byte_seconds */
    POD_REQUEST_MEM,
    POD_LIMIT_MEM,
    POD_EFF_CPU, /* pod_effective_usage_cpu_core_seconds */
    POD_EFF_MEM,
    POD_CAP_CPU_CORES, /* node_capacity_cpu_cores */
    POD_CAP_CPU_SEC,   /* node_capacity_cpu_core_seconds */
    POD_CAP_MEM_BYTES, /* node_capacity_memory_bytes */
    POD_CAP_MEM_SEC,   /* node_capacity_memory_byte_seconds */
    POD_LABELS,
    POD_NCOLS
};

/* Columns of openshift_storage_usage_line_items, in schema order. */
enum ocp_storage_col {
    STO_INTERVAL_START,
    STO_NAMESPACE,
    STO_POD,
    STO_PVC,
    STO_PV,
    STO_STORAGECLASS,
    STO_CSI_HANDLE,
    STO_CAP_BYTES,    /* persistentvolumeclaim_capacity_bytes */
    STO_CAP_BYTE_SEC, /* persistentvolumeclaim_capacity_byte_seconds */
    STO_REQUEST_BYTE_SEC,
    STO_USAGE_BYTE_SEC,
    STO_PV_LABELS,
    STO_PVC_LABELS,
    STO_NCOLS
};

/* Columns of the node and namespace label tables. */
enum ocp_node_labels_col { NL_INTERVAL_START, NL_NODE, NL_LABELS, NL_NCOLS };
enum ocp_ns_labels_col { NSL_INTERVAL_START, NSL_NAMESPACE, NSL_LABELS, NSL_NCOLS };

#define OCP_MAX_COLUMNS 20

/* One column of a table schema: Koku's column name, its kind, and whether
 * a file must have it. */
struct ocp_colspec {
    const char *name;
    enum ocp_kind kind;
    int required;
};

/* A table's name as Koku spells it and its columns. */
struct ocp_tablespec {
    const char *name;       /* e.g. "openshift_pod_usage_line_items" */
    const char *short_name; /* e.g. "pod_usage", used in config keys */
    int ncols;
    const struct ocp_colspec *cols;
};

/* The schema of a table. */
const struct ocp_tablespec *ocp_table_spec(enum ocp_table table);

/* A decoded chunk of one table. */
struct ocp_batch {
    enum ocp_table table;
    size_t nrows;
    struct ocp_column col[OCP_MAX_COLUMNS];
};

/* Returns the string with id `id` of a dictionary and its length. */
static inline const char *ocp_strdict_get(const struct ocp_strdict *d, uint32_t id, size_t *len)
{
    *len = (size_t)(d->offsets[id + 1] - d->offsets[id]);
    return d->data + d->offsets[id];
}

#ifdef __cplusplus
}
#endif
#endif
