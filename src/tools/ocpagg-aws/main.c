/*
 * ocpagg-aws - the OCP-on-AWS step (issue 14, src/aws) run on its own,
 * after an OCP run: reads ocpagg's OCP daily summary report (Parquet) and
 * the AWS CUR, and writes the OCP-on-AWS report (CSV and/or Parquet) and
 * its counters.  Until the driver runs the step itself it is also the way
 * the tests and the bench drive the module.
 *
 *   ocpagg-aws --ocp REPORT.parquet --cur DIR --settings FILE.json
 *              --start YYYY-MM-DD --end YYYY-MM-DD
 *              [--csv OUT.csv] [--parquet OUT.parquet] [--counters OUT.json]
 *              [--parts K] [--strict] [--quiet]
 *
 * --parts K reads the CUR files as K shares (as K ranks would: file i goes
 * to share i mod K), each into its own partial, and merges their byte
 * images in reverse order: the output must not change (tests).
 * Settings JSON: cluster_id, cluster_alias, source_uuid (the AWS source),
 * report_period_id, bill_id, enabled_tag_keys (E_ocp),
 * aws_enabled_tag_keys (E_aws), markup_percent, distribution
 * ("cpu"|"memory"), account_aliases {account id: integer}.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocpagg/aws.h"
#include "ocpagg/mem.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(int rc, const struct ocp_error *e)
{
    char msg[2048];
    ocp_error_format(e, msg, sizeof msg);
    fprintf(stderr, "ocpagg-aws: %s\n", msg);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: ocpagg-aws --ocp REPORT.parquet --cur DIR --settings FILE.json "
                    "--start YYYY-MM-DD --end YYYY-MM-DD [--csv OUT] [--parquet OUT] "
                    "[--counters OUT.json] [--parts K] [--strict] [--quiet]\n");
    return OCP_ERR_USAGE;
}

/* The strings of JSON array a into *out (calloc'd, NULL when a is not an
 * array); -1 when out of memory. */
static int keys_of(json_t *a, const char ***out, size_t *n)
{
    const char **k;
    size_t i;
    *n = 0;
    *out = NULL;
    if (!json_is_array(a))
        return 0;
    k = calloc(json_array_size(a) + 1, sizeof *k);
    if (k == NULL)
        return -1;
    for (i = 0; i < json_array_size(a); i++)
        if (json_is_string(json_array_get(a, i)))
            k[(*n)++] = json_string_value(json_array_get(a, i));
    *out = k;
    return 0;
}

int main(int argc, char **argv)
{
    const char *ocp_path = NULL, *cur = NULL, *settings = NULL, *start = NULL, *end = NULL;
    const char *csv = NULL, *parquet = NULL, *counters = NULL;
    int parts = 1, strict = 0, quiet = 0, i, rc;
    int32_t d0, d1;
    json_t *js;
    json_error_t jerr;
    struct aws_settings s;
    struct aws_alias *aliases = NULL;
    const char **ocp_keys = NULL, **aws_keys = NULL;
    struct rpt_table ocp;
    struct aws_partial *p = NULL;
    struct aws_table t;
    struct aws_counters c;
    struct ocp_error e;
    double t0, t_read, t_attr, t_write;

    /* The same choice as ocpagg's: no huge-page hints for the report
     * tables and arenas where fresh huge pages come from the host. */
    ocp_mem_hint_huge(ocp_mem_huge_pages_wanted(NULL, 0));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL(flag, var)                                                                             \
    if (strcmp(a, flag) == 0) {                                                                    \
        if (i + 1 >= argc)                                                                         \
            return usage();                                                                        \
        var = argv[++i];                                                                           \
        continue;                                                                                  \
    }
        VAL("--ocp", ocp_path)
        VAL("--cur", cur)
        VAL("--settings", settings)
        VAL("--start", start)
        VAL("--end", end)
        VAL("--csv", csv)
        VAL("--parquet", parquet)
        VAL("--counters", counters)
#undef VAL
        if (strcmp(a, "--parts") == 0 && i + 1 < argc) {
            parts = atoi(argv[++i]);
            if (parts < 1 || parts > 1024)
                return usage();
        } else if (strcmp(a, "--strict") == 0) {
            strict = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else {
            return usage();
        }
    }
    if (!ocp_path || !cur || !settings || !start || !end ||
        txt_parse_date(start, strlen(start), &d0) != 0 ||
        txt_parse_date(end, strlen(end), &d1) != 0 || d1 < d0)
        return usage();
    js = json_load_file(settings, 0, &jerr);
    if (js == NULL) {
        fprintf(stderr, "ocpagg-aws: %s: %s\n", settings, jerr.text);
        return OCP_ERR_CONFIG;
    }
    /* From here every way out goes through done, so a failed run frees
     * what it took like a good one (ASan builds check). */
    memset(&s, 0, sizeof s);
    rpt_table_init(&ocp);
    aws_table_init(&t);
    ocp_error_clear(&e);
    s.cluster_id = json_string_value(json_object_get(js, "cluster_id"));
    s.cluster_alias = json_string_value(json_object_get(js, "cluster_alias"));
    s.source_uuid = json_string_value(json_object_get(js, "source_uuid"));
    s.report_period_id = json_integer_value(json_object_get(js, "report_period_id"));
    if (json_is_integer(json_object_get(js, "bill_id"))) {
        s.has_bill_id = 1;
        s.bill_id = json_integer_value(json_object_get(js, "bill_id"));
    }
    if (keys_of(json_object_get(js, "enabled_tag_keys"), &ocp_keys, &s.n_ocp_keys) != 0 ||
        keys_of(json_object_get(js, "aws_enabled_tag_keys"), &aws_keys, &s.n_aws_keys) != 0) {
        rc = ocp_error_set(&e, OCP_ERR_OSERR, settings, -1, NULL, "out of memory");
        goto failed;
    }
    s.ocp_keys = ocp_keys;
    s.aws_keys = aws_keys;
    s.markup_percent = json_number_value(json_object_get(js, "markup_percent"));
    {
        const char *dist = json_string_value(json_object_get(js, "distribution"));
        s.distribution_memory = dist != NULL && strcmp(dist, "cpu") != 0;
    }
    {
        json_t *al = json_object_get(js, "account_aliases");
        const char *k;
        json_t *v;
        if (json_is_object(al)) {
            aliases = calloc(json_object_size(al) + 1, sizeof *aliases);
            if (aliases == NULL) {
                rc = ocp_error_set(&e, OCP_ERR_OSERR, settings, -1, NULL, "out of memory");
                goto failed;
            }
            json_object_foreach(al, k, v)
            {
                aliases[s.n_aliases].account_id = k;
                aliases[s.n_aliases++].alias_id = json_integer_value(v);
            }
            s.aliases = aliases;
        }
    }
    if (!s.cluster_id || !s.source_uuid) {
        fprintf(stderr, "ocpagg-aws: settings need cluster_id and source_uuid\n");
        rc = OCP_ERR_CONFIG;
        goto done;
    }
    if (!s.cluster_alias)
        s.cluster_alias = s.cluster_id;

    t0 = now();
    rc = aws_ocp_read_parquet(ocp_path, &ocp, &e);
    if (rc != OCP_OK)
        goto failed;
    rc = aws_partial_create(&p, d0, d1, strict, &e);
    if (rc != OCP_OK)
        goto failed;
    for (i = parts - 1; i >= 0; i--) {
        struct aws_partial *q = NULL;
        struct rpt_buf b = {0};
        rc = aws_partial_create(&q, d0, d1, strict, &e);
        if (rc == OCP_OK)
            rc = aws_partial_read_dataset(q, cur, i, parts, &e);
        if (rc == OCP_OK)
            rc = aws_partial_serialize(q, &b, &e);
        if (rc == OCP_OK)
            rc = aws_partial_merge_bytes(p, (const unsigned char *)b.data, b.len, &e);
        rpt_buf_release(&b);
        aws_partial_free(q);
        if (rc != OCP_OK)
            goto failed;
    }
    t_read = now();
    rc = aws_attribute(p, &ocp, &s, &t, &c, &e);
    if (rc != OCP_OK)
        goto failed;
    t_attr = now();
    if (csv && (rc = aws_write_csv(&t, csv, &e)) != OCP_OK)
        goto failed;
    if (parquet && (rc = aws_write_parquet(&t, parquet, &e)) != OCP_OK)
        goto failed;
    if (counters) {
        struct rpt_buf b = {0};
        if (aws_counters_json(&c, &b) != OCP_OK)
            rc = ocp_error_set(&e, OCP_ERR_OSERR, counters, -1, NULL, "out of memory");
        else
            rc = rpt_atomic_write_file(counters, b.data, b.len, &e);
        rpt_buf_release(&b);
        if (rc != OCP_OK)
            goto failed;
    }
    t_write = now();
    if (!quiet)
        printf("ocp rows %zu, cur rows %lld, daily rows %lld, report rows %zu; "
               "read %.3f s, attribute %.3f s, write %.3f s (%.0f CUR rows/s overall)\n",
               ocp.count, (long long)c.read.rows_read, (long long)c.daily_rows, t.count,
               t_read - t0, t_attr - t_read, t_write - t_attr,
               (double)c.read.rows_read / (t_write - t0 > 0 ? t_write - t0 : 1e-9));
    rc = OCP_OK;
    goto done;
failed:
    rc = die(rc, &e);
done:
    aws_table_release(&t);
    aws_partial_free(p);
    rpt_table_release(&ocp);
    free(aliases);
    free(ocp_keys);
    free(aws_keys);
    json_decref(js);
    return rc;
}
