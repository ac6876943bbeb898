/*
 * mkseeds.c - writes the small line-item files of fuzz/seeds/ that
 * ocpgen does not make: the table adapter's other time and number types
 * (TIMESTAMP(MILLIS), local TIMESTAMP(MICROS), DATE, INT32 and INT64
 * numbers), NULLs in optional columns, NULL and empty MAPs and NULL map
 * values, Koku's "label_a:b|..." text, page CRCs and page statistics,
 * tiny pages and several row groups.  Seeds that already pass
 * pq_table_check let the fuzzer reach the adapter's conversions without
 * first having to guess a dozen column names.
 *
 *   fuzz/out/mkseeds DIR     (fuzz/build.sh builds it)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ocpagg/error.h"
#include "ocpagg/pq_writer.h"

#define NROWS 30

static const char *nodes[] = {"node-a", "node-b", "node-c"};
static const char *namespaces[] = {"openshift-monitoring", "shop", "kube-system"};
static const char *podlabels[] = {"{\"app\":\"web\",\"tier\":\"front\"}",
                                  "label_app:db|label_tier:back", "", "{}"};

/* Fills the buffers every file uses: one valid byte per row (every fifth
 * row NULL), hours from 2025-11-01, and string columns cycling through
 * the lists above. */
struct rows {
    uint8_t valid[NROWS];
    int64_t us[NROWS], ms[NROWS];
    int32_t days[NROWS], i32[NROWS];
    int64_t i64[NROWS];
    double f64[NROWS];
    const char *node[NROWS], *ns[NROWS], *label[NROWS];
    uint64_t map_off[NROWS + 1];
    const char *keys[2 * NROWS], *values[2 * NROWS];
};

static void fill(struct rows *r)
{
    const int64_t start_us = INT64_C(1761955200000000); /* 2025-11-01 UTC */
    size_t i, e = 0;

    for (i = 0; i < NROWS; i++) {
        r->valid[i] = i % 5 != 4;
        r->us[i] = start_us + (int64_t)i * INT64_C(3600000000);
        r->ms[i] = r->us[i] / 1000;
        r->days[i] = 20393 + (int32_t)(i / 24);
        r->i32[i] = (int32_t)(i * 7) - 50;
        r->i64[i] = (int64_t)i * INT64_C(1000000007);
        r->f64[i] = (double)i * 0.25;
        r->node[i] = nodes[i % 3];
        r->ns[i] = namespaces[i % 3];
        r->label[i] = podlabels[i % 4];
        /* Row i % 3 == 0: two entries, the second with a NULL value;
         * == 1: an empty map; == 2: one entry.  valid[] makes some NULL. */
        r->map_off[i] = e;
        if (i % 3 == 0) {
            r->keys[e] = "app";
            r->values[e++] = "web";
            r->keys[e] = "team";
            r->values[e++] = NULL;
        } else if (i % 3 == 2) {
            r->keys[e] = "zone";
            r->values[e++] = i % 2 ? "eu" : "us";
        }
    }
    r->map_off[NROWS] = e;
}

static int write_file(const char *dir, const char *name, const struct pq_column_desc *cols,
                      size_t ncols, const struct pq_column_data *data,
                      const struct pq_write_options *opt)
{
    struct pq_schema_desc schema = {ncols, cols};
    struct pq_writer *w = NULL;
    struct ocp_error err;
    char path[1024];
    int rc;

    ocp_error_clear(&err);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rc = pq_writer_create(path, &schema, opt, &w, &err);
    if (rc == OCP_OK)
        rc = pq_writer_write_batch(w, data, NROWS, &err);
    if (rc == OCP_OK)
        rc = pq_writer_close(w, &err);
    else
        pq_writer_abort(w);
    if (rc != OCP_OK) {
        char msg[2048];
        ocp_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "mkseeds: %s\n", msg);
    }
    return rc;
}

/* Node labels: millisecond UTC timestamps with NULLs, PLAIN node names,
 * a MAP with NULL and empty maps; v2 pages, GZIP, two row groups. */
static int node_labels(const char *dir, const struct rows *r)
{
    static const struct pq_column_desc cols[] = {
        {"interval_start", PQ_WT_TIMESTAMP_MILLIS, 1, 1, 0, PQ_DICT_AUTO},
        {"node", PQ_WT_STRING, 0, 0, 0, PQ_DICT_OFF},
        {"node_labels", PQ_WT_MAP, 1, 0, 0, PQ_DICT_AUTO},
    };
    struct pq_column_data d[3];
    struct pq_write_options opt;

    memset(d, 0, sizeof d);
    d[0].valid = r->valid;
    d[0].i64 = r->ms;
    d[1].str.cstr = r->node;
    d[2].valid = r->valid;
    d[2].map_offsets = r->map_off;
    d[2].keys.cstr = r->keys;
    d[2].values.cstr = r->values;
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_GZIP;
    opt.page_version = 2;
    opt.row_group_rows = 16;
    opt.page_bytes = 64;
    return write_file(dir, "nl_millis_map_v2_gzip.parquet", cols, 3, d, &opt);
}

/* Namespace labels: DATE days, dictionary names with NULLs, label text
 * in both forms annotated JSON; v1 pages with CRCs and page statistics,
 * uncompressed. */
static int namespace_labels(const char *dir, const struct rows *r)
{
    static const struct pq_column_desc cols[] = {
        {"interval_start", PQ_WT_DATE, 0, 0, 0, PQ_DICT_OFF},
        {"namespace", PQ_WT_STRING, 1, 0, 0, PQ_DICT_ON},
        {"namespace_labels", PQ_WT_STRING, 0, 0, 1, PQ_DICT_AUTO},
    };
    struct pq_column_data d[3];
    struct pq_write_options opt;

    memset(d, 0, sizeof d);
    d[0].i32 = r->days;
    d[1].valid = r->valid;
    d[1].str.cstr = r->ns;
    d[2].str.cstr = r->label;
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_UNCOMPRESSED;
    opt.page_version = 1;
    opt.row_group_rows = 16;
    opt.page_bytes = 96;
    opt.page_crc = 1;
    opt.page_statistics = 1;
    return write_file(dir, "nsl_date_text_crc.parquet", cols, 3, d, &opt);
}

/* Pod usage: local (not UTC) microsecond timestamps, numbers stored as
 * INT32, INT64 and optional DOUBLE; no dictionaries; ZSTD. */
static int pod_usage(const char *dir, const struct rows *r)
{
    static const char *numbers[] = {
        "pod_usage_cpu_core_seconds",      "pod_request_cpu_core_seconds",
        "pod_limit_cpu_core_seconds",      "pod_usage_memory_byte_seconds",
        "pod_request_memory_byte_seconds", "pod_limit_memory_byte_seconds",
        "node_capacity_cpu_cores",         "node_capacity_cpu_core_seconds",
        "node_capacity_memory_bytes",      "node_capacity_memory_byte_seconds"};
    struct pq_column_desc cols[15];
    struct pq_column_data d[15];
    struct pq_write_options opt;
    size_t k, n = 0;

    memset(cols, 0, sizeof cols);
    memset(d, 0, sizeof d);
    cols[n] =
        (struct pq_column_desc){"interval_start", PQ_WT_TIMESTAMP_MICROS, 0, 0, 0, PQ_DICT_OFF};
    d[n++].i64 = r->us;
    cols[n] = (struct pq_column_desc){"namespace", PQ_WT_STRING, 0, 0, 0, PQ_DICT_OFF};
    d[n++].str.cstr = r->ns;
    cols[n] = (struct pq_column_desc){"node", PQ_WT_STRING, 0, 0, 0, PQ_DICT_OFF};
    d[n++].str.cstr = r->node;
    cols[n] = (struct pq_column_desc){"pod", PQ_WT_STRING, 0, 0, 0, PQ_DICT_OFF};
    d[n++].str.cstr = r->node;
    for (k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
        enum pq_wtype t = k % 3 == 0 ? PQ_WT_INT32 : k % 3 == 1 ? PQ_WT_INT64 : PQ_WT_DOUBLE;
        cols[n] = (struct pq_column_desc){numbers[k], t, t == PQ_WT_DOUBLE, 0, 0, PQ_DICT_OFF};
        d[n].i32 = r->i32;
        d[n].i64 = r->i64;
        d[n].f64 = r->f64;
        if (t == PQ_WT_DOUBLE)
            d[n].valid = r->valid;
        n++;
    }
    cols[n] = (struct pq_column_desc){"pod_labels", PQ_WT_STRING, 0, 0, 0, PQ_DICT_OFF};
    d[n++].str.cstr = r->label;
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_ZSTD;
    opt.row_group_rows = 16;
    opt.page_bytes = 128;
    opt.dictionary = 0;
    return write_file(dir, "pod_local_ints_zstd.parquet", cols, n, d, &opt);
}

int main(int argc, char **argv)
{
    static struct rows r;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds DIR\n");
        return OCP_ERR_USAGE;
    }
    fill(&r);
    if ((rc = node_labels(argv[1], &r)) != OCP_OK ||
        (rc = namespace_labels(argv[1], &r)) != OCP_OK || (rc = pod_usage(argv[1], &r)) != OCP_OK)
        return rc;
    return OCP_OK;
}
