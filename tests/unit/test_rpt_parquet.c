/*
 * test_rpt_parquet.c - the report as Parquet: read back through our reader
 * and printed the way rpt_write_csv prints, it equals the CSV report line
 * for line; the column types are Koku's; the partitioned form puts each day
 * into its source=/year=/month=/day= folder; failures leave no files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/parquet.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"
#include "testlib.h"

static char dir[256];

static void build(struct rpt_table *t, int nrows)
{
    static const char *const ns[4] = {"ns-a", "ns \"quoted\", comma", "", "Worker unallocated"};
    int i, k;

    rpt_table_init(t);
    for (i = 0; i < nrows; i++) {
        struct rpt_row *r = rpt_table_add(t);
        snprintf(r->uuid, sizeof r->uuid, "00000000-0000-5000-8000-%012d", i);
        r->usage_day = 20393 + i / 40; /* 2025-11-01 onwards, 40 rows a day */
        r->source = i % 3 == 2 ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
        r->namespace_ = rpt_table_strdup(t, ns[i % 4], strlen(ns[i % 4]));
        r->node = i % 5 ? rpt_table_strdup(t, "node-1", 6) : NULL;
        r->resource_id = i % 2 ? rpt_table_strdup(t, "i-0abc", 6) : NULL;
        r->pod_labels = rpt_table_strdup(t, "{\"app\":\"web\"}", 13);
        r->all_labels = i % 6 ? r->pod_labels : rpt_table_strdup(t, "{}", 2);
        r->pvc = r->source == RPT_SOURCE_STORAGE ? rpt_table_strdup(t, "pvc-1", 5) : NULL;
        r->csi_volume_handle = i % 7 == 0 ? rpt_table_strdup(t, "vol-1", 5) : NULL;
        for (k = 0; k < RPT_NUM_COUNT; k++)
            r->num[k] = (i + k) % 4 ? (double)i * 0.1 + k / 3.0 : NAN;
        r->num[0] = i == 3 ? -0.0 : r->num[0];
        r->has_infra_cost = i % 2;
        r->has_cost_category = i % 7 == 0;
        r->cost_category_id = i % 10;
    }
}

/* Prints a CSV field of one leaf's value in row i as rpt_write_csv does. */
static size_t field(char *out, size_t cap, const struct pq_colinfo *ci,
                    const struct pq_colvalues *v, int64_t i)
{
    char tmp[64];

    if (v->def != NULL && v->def[i] == 0)
        return 0;
    switch (v->type) {
    case PQ_DOUBLE: {
        size_t n = rpt_format_double(((const double *)v->values)[i], tmp);
        return (size_t)snprintf(out, cap, "%.*s", (int)n, tmp);
    }
    case PQ_INT32:
        if (ci->logical == PQ_LT_DATE) {
            txt_format_date(((const int32_t *)v->values)[i], tmp);
            return (size_t)snprintf(out, cap, "%s", tmp);
        }
        return (size_t)snprintf(out, cap, "%d", ((const int32_t *)v->values)[i]);
    default: {
        size_t len, at = 0, k;
        const char *s = ocp_strdict_get(v->dict, v->ids[i], &len);
        /* uuid and data_source are printed bare, like the CSV writer. */
        if (strcmp(ci->name, "uuid") == 0 || strcmp(ci->name, "data_source") == 0)
            return (size_t)snprintf(out, cap, "%.*s", (int)len, s);
        out[at++] = '"';
        for (k = 0; k < len && at + 3 < cap; k++) {
            if (s[k] == '"')
                out[at++] = '"';
            out[at++] = s[k];
        }
        out[at++] = '"';
        return at;
    }
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Appends the CSV text of every row of a Parquet report file to out. */
static int print_parquet(const char *path, char *out, size_t cap, size_t *at)
{
    struct pq_file *f = NULL;
    struct ocp_error err;
    struct ocp_arena a;
    struct pq_colvalues v[64];
    int rg, c, nc;
    int64_t i;

    ocp_error_clear(&err);
    if (pq_file_open(path, NULL, &f, &err) != OCP_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.message);
        return -1;
    }
    nc = pq_file_num_columns(f);
    ocp_arena_init(&a, 0);
    for (rg = 0; rg < pq_file_num_row_groups(f); rg++) {
        ocp_arena_reset(&a);
        for (c = 0; c < nc && c < 64; c++)
            if (pq_column_read(f, rg, c, 0, -1, &a, &v[c], &err) != OCP_OK) {
                fprintf(stderr, "read: %s\n", err.message);
                pq_file_close(f);
                ocp_arena_release(&a);
                return -1;
            }
        for (i = 0; i < pq_row_group_num_rows(f, rg); i++) {
            for (c = 0; c < nc; c++) {
                if (c > 0)
                    out[(*at)++] = ',';
                *at += field(out + *at, cap - *at, pq_file_column(f, c), &v[c], i);
            }
            out[(*at)++] = '\n';
        }
    }
    out[*at] = '\0';
    ocp_arena_release(&a);
    pq_file_close(f);
    return 0;
}

static const struct rpt_meta meta = {3, "cl-1", "Cluster \"One\"",
                                     "2f1c6d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f"};

static void test_equals_csv(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char csv[512], pq[512];
    char *want, *got = malloc(1 << 20);
    size_t at = 0;
    const char *nl;
    int c;

    build(&t, 130);
    snprintf(csv, sizeof csv, "%s/r.csv", dir);
    snprintf(pq, sizeof pq, "%s/r.parquet", dir);
    ocp_error_clear(&err);
    CHECK_INT(rpt_write_csv(&t, &meta, csv, &err), OCP_OK);
    CHECK_INT(rpt_write_parquet(&t, &meta, pq, 0, &err), OCP_OK);
    want = slurp(csv);
    CHECK(want != NULL && got != NULL);
    if (want == NULL || got == NULL)
        goto done;
    /* The header line is the column names; skip it in the comparison. */
    nl = strchr(want, '\n');
    for (c = 0; rpt_column_names[c] != NULL; c++)
        at += (size_t)sprintf(got + at, "%s%s", c ? "," : "", rpt_column_names[c]);
    got[at++] = '\n';
    CHECK(strncmp(want, got, (size_t)(nl - want + 1)) == 0);
    CHECK_INT(print_parquet(pq, got, 1 << 20, &at), 0);
    CHECK_STR(got, want);

    /* Koku's types. */
    {
        struct pq_file *f = NULL;
        if (pq_file_open(pq, NULL, &f, &err) == OCP_OK) {
            const struct pq_colinfo *ci;
            CHECK_INT(pq_file_num_columns(f), 38);
            ci = pq_file_column(f, 1);
            CHECK_STR(ci->name, "report_period_id");
            CHECK_INT(ci->type, PQ_INT32);
            ci = pq_file_column(f, 5);
            CHECK_STR(ci->name, "usage_start");
            CHECK_INT(ci->logical, PQ_LT_DATE);
            ci = pq_file_column(f, 11);
            CHECK_STR(ci->name, "pod_usage_cpu_core_hours");
            CHECK_INT(ci->type, PQ_DOUBLE);
            ci = pq_file_column(f, 29);
            CHECK_STR(ci->name, "all_labels");
            CHECK_INT(ci->logical, PQ_LT_STRING);
            ci = pq_file_column(f, 37);
            CHECK_STR(ci->name, "cost_category_id");
            CHECK_INT(ci->type, PQ_INT32);
            pq_file_close(f);
        } else {
            CHECK(0);
        }
    }
done:
    free(want);
    free(got);
    rpt_table_release(&t);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_partitioned(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char root[512], path[1024], csv[512];
    char *want, *got = malloc(1 << 20);
    size_t at = 0;
    int d;

    build(&t, 130); /* days 2025-11-01 .. 2025-11-04 */
    snprintf(root, sizeof root, "%s/parts", dir);
    snprintf(csv, sizeof csv, "%s/p.csv", dir);
    ocp_error_clear(&err);
    CHECK_INT(rpt_write_parquet(&t, &meta, root, 1, &err), OCP_OK);
    CHECK_INT(rpt_write_csv(&t, &meta, csv, &err), OCP_OK);
    for (d = 1; d <= 4; d++) {
        snprintf(path, sizeof path,
                 "%s/source=%s/year=2025/month=11/day=%02d/"
                 "ocpagg_summary_2025-11-%02d.parquet",
                 root, meta.source_uuid, d, d);
        CHECK(exists(path));
        CHECK_INT(print_parquet(path, got, 1 << 20, &at), 0);
    }
    want = slurp(csv);
    CHECK(want != NULL);
    if (want != NULL)
        CHECK_STR(got, strchr(want, '\n') + 1);
    free(want);
    free(got);

    /* Rows out of day order would overwrite a day's file: refused, and
     * the files this call wrote are gone. */
    t.rows[100].usage_day = 20393;
    snprintf(root, sizeof root, "%s/bad", dir);
    CHECK_INT(rpt_write_parquet(&t, &meta, root, 1, &err), OCP_ERR_SOFTWARE);
    snprintf(path, sizeof path,
             "%s/source=%s/year=2025/month=11/day=01/ocpagg_summary_2025-11-01.parquet", root,
             meta.source_uuid);
    CHECK(!exists(path));
    rpt_table_release(&t);
}

static void test_errors(void)
{
    struct rpt_table t;
    struct rpt_meta m = meta;
    struct ocp_error err;
    char pq[512];

    build(&t, 10);
    snprintf(pq, sizeof pq, "%s/e.parquet", dir);
    ocp_error_clear(&err);
    m.report_period_id = (int64_t)1 << 40;
    CHECK_INT(rpt_write_parquet(&t, &m, pq, 0, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "report_period_id");
    CHECK(!exists(pq));
    t.rows[7].cost_category_id = -((int64_t)1 << 35);
    CHECK_INT(rpt_write_parquet(&t, &meta, pq, 0, &err), OCP_ERR_DATA);
    CHECK(!exists(pq));
    rpt_table_release(&t);
}

int main(void)
{
    if (tl_tmpdir_make(dir, sizeof dir, getenv("OCPAGG_BUILD"), "rptpq-XXXXXX") != 0)
        return 1;
    RUN(test_equals_csv);
    RUN(test_partitioned);
    RUN(test_errors);
    tl_tmpdir_remove(dir);
    return TEST_SUMMARY();
}
