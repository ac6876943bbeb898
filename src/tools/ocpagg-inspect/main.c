/*
 * ocpagg-inspect - shows what is inside a Parquet file: the schema (names,
 * physical and logical types, repetition, levels), the row groups with
 * each column chunk's codec, encodings, sizes and statistics, and with
 * --rows the rows themselves as CSV.
 *
 *   ocpagg-inspect FILE [--rows [N]] [--columns a,b] [--crc]
 *
 * Exit status: 0, or the sysexits-style code of the first error.
 */
#include "ocpagg/parquet.h"
#include "ocpagg/text.h"

#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: ocpagg-inspect FILE [--rows [N]] [--columns a,b] [--crc]\n"
                 "  --rows [N]     print the first N rows (all without N) as CSV\n"
                 "  --columns a,b  only these columns in the CSV (names or paths)\n"
                 "  --crc          verify page checksums while reading rows\n");
}

static const char *rep_name(enum pq_repetition r)
{
    return r == PQ_REQUIRED ? "required" : r == PQ_OPTIONAL ? "optional" : "repeated";
}

static const char *shape_name(enum pq_shape s)
{
    switch (s) {
    case PQ_SHAPE_FLAT: return "";
    case PQ_SHAPE_MAP_KEY: return " [map key]";
    case PQ_SHAPE_MAP_VALUE: return " [map value]";
    default: return " [nested]";
    }
}

static void print_schema(const struct pq_file *f)
{
    int i, n = pq_file_num_columns(f);
    size_t k;

    printf("file: %s\n", pq_file_path(f));
    printf("created_by: %s\n", pq_file_created_by(f) ? pq_file_created_by(f) : "(none)");
    printf("version: %d  rows: %lld  row groups: %d  columns: %d\n", pq_file_version(f),
           (long long)pq_file_num_rows(f), pq_file_num_row_groups(f), n);
    if (pq_file_kv_count(f) > 0) {
        printf("key/value metadata:\n");
        for (k = 0; k < pq_file_kv_count(f); k++) {
            const char *key, *val;
            pq_file_kv(f, k, &key, &val);
            printf("  %s = %.*s%s\n", key, 160, val ? val : "(null)",
                   val && strlen(val) > 160 ? "..." : "");
        }
    }
    printf("schema:\n");
    for (i = 0; i < n; i++) {
        const struct pq_colinfo *c = pq_file_column(f, i);
        char lt[64];
        pq_logical_describe(c, lt, sizeof lt);
        printf("  [%d] %s: %s", i, c->path, pq_type_name(c->type));
        if (c->type == PQ_FIXED_LEN_BYTE_ARRAY)
            printf("(%d)", c->type_length);
        if (lt[0])
            printf(" %s", lt);
        printf(" %s def=%d rep=%d%s\n", rep_name(c->repetition), c->max_def, c->max_rep,
               shape_name(c->shape));
    }
}

static void print_row_groups(const struct pq_file *f)
{
    int r, i, n = pq_file_num_columns(f);

    for (r = 0; r < pq_file_num_row_groups(f); r++) {
        printf("row group %d: %lld rows\n", r, (long long)pq_row_group_num_rows(f, r));
        for (i = 0; i < n; i++) {
            struct pq_chunkinfo ci;
            struct pq_colstats st;
            char mn[96], mx[96];
            int e, first = 1;
            const struct pq_colinfo *c = pq_file_column(f, i);
            if (pq_chunk_info(f, r, i, &ci, NULL) != OCP_OK)
                continue;
            printf("  [%d] %s: %s ", i, c->path, pq_codec_name(ci.codec));
            for (e = 0; e < 32; e++) {
                if (ci.encodings & (1u << e)) {
                    printf("%s%s", first ? "" : ",", pq_encoding_name(e));
                    first = 0;
                }
            }
            printf(" values=%lld bytes=%lld/%lld", (long long)ci.num_values,
                   (long long)ci.compressed_size, (long long)ci.uncompressed_size);
            if (pq_column_stats(f, r, i, &st, NULL) == OCP_OK) {
                if (st.has_null_count)
                    printf(" nulls=%lld", (long long)st.null_count);
                if (st.has_min || st.has_max) {
                    inspect_format_bound(c, &st, 0, mn, sizeof mn);
                    inspect_format_bound(c, &st, 1, mx, sizeof mx);
                    printf(" min=%s max=%s%s", mn, mx, st.deprecated ? " (deprecated stats)" : "");
                }
            }
            printf("\n");
        }
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL, *columns = NULL;
    long long rows = -2; /* -2: no rows; -1: all */
    struct pq_open_options opt;
    struct pq_file *f = NULL;
    struct ocp_error err;
    int i, rc;

    pq_open_options_init(&opt);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0) {
            rows = -1;
            if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
                rows = strtoll(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--columns") == 0 && i + 1 < argc) {
            columns = argv[++i];
        } else if (strcmp(argv[i], "--crc") == 0) {
            opt.check_crc = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || path != NULL) {
            usage(stderr);
            return OCP_ERR_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        usage(stderr);
        return OCP_ERR_USAGE;
    }
    ocp_error_clear(&err);
    rc = pq_file_open(path, &opt, &f, &err);
    if (rc == OCP_OK) {
        if (rows == -2) {
            print_schema(f);
            print_row_groups(f);
        } else {
            rc = inspect_print_rows(f, columns, rows, &err);
        }
    }
    fflush(stdout);
    if (rc != OCP_OK) {
        char line[OCP_ERROR_MSG_MAX + OCP_ERROR_PATH_MAX + 256];
        ocp_error_format(&err, line, sizeof line);
        fprintf(stderr, "ocpagg-inspect: %s: %s\n", ocp_status_name(rc), line);
    }
    pq_file_close(f);
    return rc;
}
