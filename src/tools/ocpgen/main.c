/* main.c - ocpgen: writes a synthetic month of OpenShift line items.
 *
 * Flags are parsed here into struct ocpgen_options; each output format is
 * one entry of `formats`, so another format (Parquet) is added by writing
 * its ocpgen_write_* function and listing it, plus any flags of its own. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocpagg/text.h"
#include "ocpgen.h"
#include "sink_parquet.h"

struct format {
    const char *name;
    int (*write)(const struct ocpgen_options *o, int64_t rows[OCP_TABLE_COUNT],
                 struct ocp_error *err);
};

static const struct format formats[] = {
    {"hdf5", ocpgen_write_hdf5},
    {"parquet", ocpgen_write_parquet},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ocpgen [options]\n"
            "Writes a deterministic synthetic month of the four OpenShift line-item\n"
            "tables (pod usage, storage usage, node labels, namespace labels).\n"
            "\n"
            "  --output PATH            output file (default sample/ocp.h5); written\n"
            "                           to PATH.tmp, then renamed\n"
            "  --format FMT             hdf5 (default) or parquet\n"
            "  --nodes N                nodes (default 4)\n"
            "  --pods-per-node N        pod slots per node (default 10)\n"
            "  --days N                 days (default 3)\n"
            "  --start YYYY-MM-DD       first day (default 2025-11-01)\n"
            "  --seed N                 random seed (default 1)\n"
            "  --label-cardinality N    distinct \"app\" label values (default 8)\n"
            "  --namespaces N           namespaces, at least 6 (default 18)\n"
            "  --bad-labels             add rare malformed label texts\n"
            "  --no-effective-usage     omit the effective-usage columns\n"
            "  --fine-usage             usage at full precision, some hours near idle\n"
            "  --block-rows N           rows per generated block (default 65536)\n"
            "  --node-memory-gib N      node memory: whole GiB in [N/2, N] (default:\n"
            "                           4 GiB per core, 16-128 GiB)\n"
            "  --no-compress            store datasets without shuffle+deflate\n"
            "  --aws-cur DIR            also write a matching AWS CUR (Koku's raw\n"
            "                           Parquet layout) as DIR/cur_NNNNN.parquet\n"
            "  --aws-cluster-id ID      openshift_cluster tag value (default\n"
            "                           test-cluster)\n"
            "  --aws-rows-per-file N    CUR rows per file (default 1000000)\n"
            "  --aws-only               write only the CUR\n"
            "  --aws-hours-per-row K    hourly CUR lines cover K hours each (a\n"
            "                           divisor of 24; default 1): about 2.1/K %% of\n"
            "                           the OCP rows at 100 pods per node\n"
            "  --quiet                  print nothing on success\n"
            "  --help                   this text\n"
            "\n"
            "Pod rows = nodes x pods-per-node x 24 x days.  Exit codes: 0 ok,\n"
            "64 bad usage, 73 cannot create the output, 74 write error.\n"
            "\n%s",
            ocpgen_pq_usage());
}

/* Parses an unsigned decimal into *out within [0, max]. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad_value(const char *flag, const char *v)
{
    fprintf(stderr, "ocpgen: bad value for %s: %s\n", flag, v ? v : "(none)");
    return OCP_ERR_USAGE;
}

/* Returns OCP_OK, OCP_ERR_USAGE, or -1 after --help. */
static int parse_args(int argc, char **argv, struct ocpgen_options *o, struct ocpgen_pq_options *pq)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char flag[64];
        const char *eq = strchr(a, '=');
        uint64_t u;

        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "ocpgen: unexpected argument %s (see --help)\n", a);
            return OCP_ERR_USAGE;
        }
        if (eq != NULL && (size_t)(eq - a) < sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = '\0';
            v = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
#define TAKE_VALUE()                                                                               \
    do {                                                                                           \
        if (v == NULL) {                                                                           \
            if (i + 1 >= argc)                                                                     \
                return bad_value(flag, NULL);                                                      \
            v = argv[++i];                                                                         \
        }                                                                                          \
    } while (0)
        if (strcmp(flag, "--help") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(flag, "--quiet") == 0) {
            o->quiet = 1;
        } else if (strcmp(flag, "--no-compress") == 0) {
            o->no_compress = 1;
        } else if (strcmp(flag, "--bad-labels") == 0) {
            o->gen.bad_labels = 1;
        } else if (strcmp(flag, "--fine-usage") == 0) {
            o->gen.fine_usage = 1;
        } else if (strcmp(flag, "--no-effective-usage") == 0) {
            o->gen.omit_effective = 1;
        } else if (strcmp(flag, "--aws-only") == 0) {
            o->aws_only = 1;
        } else if (strcmp(flag, "--aws-cur") == 0) {
            TAKE_VALUE();
            if (*v == '\0')
                return bad_value(flag, v);
            o->aws_cur = v;
        } else if (strcmp(flag, "--aws-cluster-id") == 0) {
            TAKE_VALUE();
            o->aws_cluster_id = v;
        } else if (strcmp(flag, "--aws-hours-per-row") == 0) {
            TAKE_VALUE();
            if (parse_u64(v, 24, &u) != 0 || u == 0 || 24 % u != 0)
                return bad_value(flag, v);
            o->gen.cur_hours_per_row = (uint32_t)u;
        } else if (strcmp(flag, "--aws-rows-per-file") == 0) {
            TAKE_VALUE();
            if (parse_u64(v, INT32_MAX, &u) != 0 || u == 0)
                return bad_value(flag, v);
            o->aws_rows_per_file = (int64_t)u;
        } else if (strcmp(flag, "--output") == 0) {
            TAKE_VALUE();
            if (*v == '\0')
                return bad_value(flag, v);
            o->output = v;
        } else if (strcmp(flag, "--format") == 0) {
            TAKE_VALUE();
            o->format = v;
        } else if (strcmp(flag, "--start") == 0) {
            int32_t day;
            TAKE_VALUE();
            if (txt_parse_date(v, strlen(v), &day) != 0)
                return bad_value(flag, v);
            o->gen.start_day = day;
        } else if (strcmp(flag, "--seed") == 0) {
            TAKE_VALUE();
            if (parse_u64(v, UINT64_MAX, &u) != 0)
                return bad_value(flag, v);
            o->gen.seed = u;
        } else if (ocpgen_pq_is_flag(flag)) {
            TAKE_VALUE();
            if (ocpgen_pq_parse_flag(pq, flag, v) != 1)
                return bad_value(flag, v);
        } else {
            static const char *const names[] = {
                "--nodes",      "--pods-per-node", "--days",           "--label-cardinality",
                "--namespaces", "--block-rows",    "--node-memory-gib"};
            uint32_t *fields[] = {&o->gen.nodes,          &o->gen.pods_per_node,
                                  &o->gen.days,           &o->gen.label_cardinality,
                                  &o->gen.namespaces,     &o->gen.block_rows,
                                  &o->gen.node_memory_gib};
            size_t k;
            for (k = 0; k < sizeof names / sizeof names[0]; k++)
                if (strcmp(flag, names[k]) == 0)
                    break;
            if (k == sizeof names / sizeof names[0]) {
                fprintf(stderr, "ocpgen: unknown option %s (see --help)\n", flag);
                return OCP_ERR_USAGE;
            }
            TAKE_VALUE();
            if (parse_u64(v, UINT32_MAX, &u) != 0)
                return bad_value(flag, v);
            *fields[k] = (uint32_t)u;
        }
#undef TAKE_VALUE
    }
    return OCP_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    struct ocpgen_options o;
    struct ocpgen_pq_options pq;
    struct ocp_error err;
    int64_t rows[OCP_TABLE_COUNT] = {0};
    const struct format *fmt = NULL;
    double t0 = 0;
    char msg[OCP_ERROR_MSG_MAX + OCP_ERROR_PATH_MAX + 256];
    size_t k;
    int rc, t;

    memset(&o, 0, sizeof o);
    gen_config_default(&o.gen);
    o.output = "sample/ocp.h5";
    o.format = "hdf5";
    ocpgen_pq_options_default(&pq);
    o.parquet = &pq;
    o.aws_cluster_id = "test-cluster";
    rc = parse_args(argc, argv, &o, &pq);
    if (rc < 0)
        return 0;
    if (rc != OCP_OK)
        return rc;
    for (k = 0; k < sizeof formats / sizeof formats[0]; k++)
        if (strcmp(formats[k].name, o.format) == 0)
            fmt = &formats[k];
    if (fmt == NULL) {
        fprintf(stderr,
                "ocpgen: unknown or unavailable format \"%s\" (this build "
                "writes: hdf5, parquet)\n",
                o.format);
        return OCP_ERR_USAGE;
    }
    ocp_error_clear(&err);
    rc = gen_config_check(&o.gen, &err);
    if (rc == OCP_OK) {
        t0 = now_seconds();
        if (!o.aws_only)
            rc = fmt->write(&o, rows, &err);
    }
    if (rc == OCP_OK && o.aws_cur != NULL) {
        int64_t cur_rows = 0;
        rc = ocpgen_write_cur(&o, &cur_rows, &err);
        if (rc == OCP_OK && !o.quiet)
            printf("%-40s %12" PRId64 " rows\n", "aws_line_items (CUR)", cur_rows);
    }
    if (rc != OCP_OK) {
        ocp_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "ocpgen: %s\n", msg);
        return rc;
    }
    if (!o.quiet) {
        int64_t total = 0;
        for (t = 0; t < OCP_TABLE_COUNT; t++) {
            printf("%-40s %12" PRId64 " rows\n", ocp_table_spec((enum ocp_table)t)->name, rows[t]);
            total += rows[t];
        }
        printf("wrote %s (%s, %" PRId64 " rows in %.2f s)\n", o.output, o.format, total,
               now_seconds() - t0);
    }
    return 0;
}
