/*
 * test_report.c - number formatting and CSV quoting of the report.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/report.h"
#include "testlib.h"

/* The definition rpt_format_double must match: the shortest of %.15g,
 * %.16g and %.17g that reads back to the same double. */
static size_t reference(double v, char *out)
{
    int prec, n = 0;
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return (size_t)n;
}

static void test_matches_reference(void)
{
    uint64_t s = 88172645463325252ull;
    long differ = 0, not_round_trip = 0, checked = 0;
    char a[48], b[48];
    long i;

    for (i = 0; i < 400000; i++) {
        double v;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if (i % 4 == 0) {
            memcpy(&v, &s, sizeof v); /* any bit pattern */
            if (!isfinite(v) || v == 0)
                continue;
        } else if (i % 4 == 1) {
            v = (double)(s % 100000000) / 3600.0; /* core-hours */
        } else if (i % 4 == 2) {
            v = (double)(s % 100000000000ull) / 3600.0 * 0x1p-30; /* GB-hours */
        } else {
            v = ((double)(int64_t)(s % 2000000) - 1000000) / 7.0; /* negatives */
        }
        if (v == (double)(int64_t)v && fabs(v) < 1e15)
            continue; /* integers take their own path, checked below */
        rpt_format_double(v, a);
        reference(v, b);
        checked++;
        if (strcmp(a, b) != 0 && differ++ < 5)
            fprintf(stderr, "differs: %s vs %s\n", a, b);
        if (strtod(a, NULL) != v)
            not_round_trip++;
    }
    CHECK(checked > 300000);
    CHECK_INT(differ, 0);
    CHECK_INT(not_round_trip, 0);
}

/* The edges of the shortest-digits printer: powers of two (where the gap
 * below is half the gap above), the neighbours of 2^53 and of powers of
 * ten, the largest and smallest normals, subnormals, and two million
 * random bit patterns, all against the printf/strtod definition. */
static int sig_digits(const char *t)
{
    int n = 0, lead = 1;
    for (; *t && *t != 'e'; t++) {
        if (*t < '0' || *t > '9')
            continue;
        if (lead && *t == '0')
            continue;
        lead = 0;
        n++;
    }
    /* trailing zeros of a whole number are not significant */
    return n;
}

/* Equal to the printf definition, except at an exact power of two: there
 * the gap below is half the gap above, the nearest decimal of a length
 * can fall outside the rounding interval while a farther one is inside,
 * and the shortest text is shorter than %.{15,16,17}g finds (it must
 * still read back, with fewer digits). */
static int same_as_reference(double v)
{
    /* a: the 32 bytes rpt_format_double may write (report.h), so that a
     * write past them fails under ASan. */
    char a[32], b[48];
    int e;
    rpt_format_double(v, a);
    reference(v, b);
    if (v == 0)
        strcpy(b, "0");
    if (strtod(a, NULL) != v && v != 0) {
        fprintf(stderr, "does not read back: %a printed %s\n", v, a);
        return 0;
    }
    if (strcmp(a, b) == 0)
        return 1;
    if (frexp(fabs(v), &e) == 0.5 && sig_digits(a) < sig_digits(b))
        return 1;
    fprintf(stderr, "differs for %a: %s vs %s\n", v, a, b);
    return 0;
}

static void test_edges(void)
{
    uint64_t s = 0x2545f4914f6cdd1dull;
    long bad = 0, i;
    int e, k;

    for (e = -1074; e <= 1023; e++) {
        double p2 = ldexp(1.0, e);
        bad += !same_as_reference(p2);
        bad += !same_as_reference(nextafter(p2, 0));
        bad += !same_as_reference(nextafter(p2, INFINITY));
        bad += !same_as_reference(-p2);
    }
    for (k = -307; k <= 308; k++) {
        double p10 = pow(10.0, k);
        bad += !same_as_reference(p10);
        bad += !same_as_reference(nextafter(p10, 0));
        bad += !same_as_reference(nextafter(p10, INFINITY));
    }
    for (i = -3; i <= 3; i++)
        bad += !same_as_reference(0x1p53 + (double)i * 2.0);
    bad += !same_as_reference(DBL_MAX);
    bad += !same_as_reference(DBL_MIN);
    bad += !same_as_reference(4.9406564584124654e-324);
    bad += !same_as_reference(1e15 + 0.5);
    bad += !same_as_reference(999999999999999.9);
    bad += !same_as_reference(9007199254740993.0);
    for (i = 0; i < 2000000; i++) {
        double v;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        memcpy(&v, &s, sizeof v);
        if (!isfinite(v))
            continue;
        if (!same_as_reference(v) && ++bad > 10)
            break;
    }
    CHECK_INT(bad, 0);
}

static void test_special_values(void)
{
    char buf[48];
    rpt_format_double(0.1, buf);
    CHECK_STR(buf, "0.1");
    rpt_format_double(-0.0, buf);
    CHECK_STR(buf, "0");
    rpt_format_double(42.0, buf);
    CHECK_STR(buf, "42");
    rpt_format_double(-7.0, buf);
    CHECK_STR(buf, "-7");
    rpt_format_double(1e-5, buf);
    CHECK_STR(buf, "1e-05");
    rpt_format_double(1.5e300, buf);
    CHECK_STR(buf, "1.5e+300");
    rpt_format_double(123456.789, buf);
    CHECK_STR(buf, "123456.789");
    rpt_format_double(9.9999999999999999e22, buf); /* rounds up a digit */
    CHECK(strtod(buf, NULL) == 9.9999999999999999e22);
    rpt_format_double(1.0 / 3.0, buf);
    CHECK_STR(buf, "0.3333333333333333");
}

/* CSV: NULL is empty and unquoted, strings are quoted with doubled quotes. */
static void test_csv_quoting(void)
{
    struct rpt_table t;
    struct rpt_meta meta = {5, "c\"1", "", "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"};
    struct rpt_buf out = {0};
    struct rpt_row *r;

    rpt_table_init(&t);
    r = rpt_table_add(&t);
    CHECK(r != NULL);
    memcpy(r->uuid, "00000000-0000-5000-8000-000000000000", 37);
    r->usage_day = 20393; /* 2025-11-01 */
    r->source = RPT_SOURCE_POD;
    r->namespace_ = "ns,\"x\"";
    r->node = NULL;
    r->pod_labels = "{}";
    r->num[RPT_POD_USAGE_CPU_HOURS] = 0.5;
    r->has_cost_category = 1;
    r->cost_category_id = 3;
    CHECK_INT(rpt_csv_rows(&t, &meta, 0, 1, &out), OCP_OK);
    CHECK(out.len > 0);
    if (out.len > 0) {
        CHECK(strstr(out.data, ",\"c\"\"1\",\"\",Pod,2025-11-01,2025-11-01,"
                               "\"ns,\"\"x\"\"\",,,\"{}\",0.5,,") != NULL);
        CHECK(out.data[out.len - 1] == '\n');
        CHECK(strstr(out.data, ",3\n") != NULL);
    }
    rpt_buf_release(&out);
    rpt_table_release(&t);
}

/* The encoding's shortcuts (a value recurring in its column, the text
 * before pod_labels shared by a run of rows, label texts loaded ahead)
 * change nothing: the rows written in one call are the rows written one
 * call each (a call of one row takes none of them).  The rows go back and
 * forth between namespaces (two of them the same text at two addresses),
 * nodes, days and sources; one column's values never recur for longer
 * than its table looks, then recur. */
static void test_csv_repeats(void)
{
    static const char *const nss[3] = {"ns-a", "ns-b", "ns-c\"q"};
    static const char *const nodes[4] = {"node-1", "node-2", "node-3", NULL};
    static const char *const labels[5] = {"{\"a\":\"1\"}", "{}", "{\"b\":\"x\\\"y\"}",
                                          "{\"long\":\"0123456789012345678901234567890123456789"
                                          "0123456789012345678901234567890123456789\"}",
                                          NULL};
    struct rpt_meta meta = {7, "cluster", "Alias", "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"};
    struct rpt_buf all = {0}, one = {0};
    struct rpt_table t;
    char ns_a2[8];
    size_t i, n = 5000;
    int c;

    memcpy(ns_a2, "ns-a", 5);
    rpt_table_init(&t);
    for (i = 0; i < n; i++) {
        struct rpt_row *r = rpt_table_add(&t);
        CHECK(r != NULL);
        if (r == NULL)
            break;
        snprintf(r->uuid, sizeof r->uuid, "%08zx-0000-5000-8000-000000000000", i);
        r->usage_day = 20393 + (int32_t)(i / 1700);
        r->source = (i / 300) % 4 == 3 ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
        r->namespace_ = (i / 7) % 5 == 4 ? ns_a2 : nss[(i / 7) % 3];
        r->node = nodes[(i / 3) % 4];
        r->resource_id = (i / 3) % 4 == 2 ? NULL : "i-123";
        r->pod_labels = labels[i % 5];
        r->all_labels = r->pod_labels;
        if (i % 2 == 0)
            r->volume_labels = labels[(i / 2) % 5];
        r->pvc = (i % 11) == 0 ? "pvc-1" : NULL;
        for (c = 0; c < RPT_NUM_COUNT; c++)
            r->num[c] = NAN;
        /* Never recurring, then recurring. */
        r->num[RPT_POD_USAGE_CPU_HOURS] =
            i < 3000 ? (double)i * 1.1 + 0.123 : (double)(i % 9) / 3.0;
        /* Recurring, never in consecutive rows. */
        r->num[RPT_POD_REQUEST_CPU_HOURS] = (double)(i % 5) * 0.96;
        r->num[RPT_POD_LIMIT_MEM_GBH] = (double)(i % 300) / 7.0;
        /* Recurring in runs. */
        r->num[RPT_NODE_CAP_CPU_CORES] = (double)((i / 3) % 4) * 8.0;
        if (i % 3 != 0)
            r->num[RPT_PVC_CAP_GB] = (double)(i % 13) * 0.1;
        r->num[RPT_PVC_USAGE_GB_MONTHS] = i % 2 ? -0.0 : 0.0;
        r->has_infra_cost = i % 4 != 1;
        r->has_cost_category = i % 6 == 0;
        r->cost_category_id = (int64_t)(i % 12);
    }
    CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &all), OCP_OK);
    for (i = 0; i < t.count; i++)
        CHECK_INT(rpt_csv_rows(&t, &meta, i, i + 1, &one), OCP_OK);
    CHECK(all.len == one.len);
    CHECK(all.len == one.len && memcmp(all.data, one.data, all.len) == 0);
    /* And a range that starts in the middle of a run. */
    all.len = one.len = 0;
    CHECK_INT(rpt_csv_rows(&t, &meta, 1001, 4003, &all), OCP_OK);
    for (i = 1001; i < 4003; i++)
        CHECK_INT(rpt_csv_rows(&t, &meta, i, i + 1, &one), OCP_OK);
    CHECK(all.len == one.len && memcmp(all.data, one.data, all.len) == 0);
    rpt_buf_release(&all);
    rpt_buf_release(&one);
    rpt_table_release(&t);
}

/* Each numeric column's name: the report's columns whose names carry a
 * unit (hours, cores, gigabytes, months), in enum order. */
static void test_num_column_names(void)
{
    int i, at = -1, units = 0;

    CHECK_STR(rpt_num_column_name(RPT_POD_USAGE_CPU_HOURS), "pod_usage_cpu_core_hours");
    CHECK_STR(rpt_num_column_name(RPT_CLUSTER_CAP_MEM_GBH),
              "cluster_capacity_memory_gigabyte_hours");
    CHECK_STR(rpt_num_column_name(RPT_PVC_CAP_GB), "persistentvolumeclaim_capacity_gigabyte");
    CHECK_STR(rpt_num_column_name(RPT_PVC_USAGE_GB_MONTHS),
              "persistentvolumeclaim_usage_gigabyte_months");
    for (i = 0; rpt_column_names[i] != NULL; i++) {
        const char *c = rpt_column_names[i];
        if (strstr(c, "_hours") || strstr(c, "_cores") || strstr(c, "_gigabyte")) {
            CHECK(units < RPT_NUM_COUNT);
            if (units < RPT_NUM_COUNT)
                CHECK_STR(rpt_num_column_name((enum rpt_num)units), c);
            CHECK(i > at);
            at = i;
            units++;
        }
    }
    CHECK_INT(units, RPT_NUM_COUNT);
}

int main(void)
{
    RUN(test_matches_reference);
    RUN(test_edges);
    RUN(test_special_values);
    RUN(test_csv_quoting);
    RUN(test_csv_repeats);
    RUN(test_num_column_names);
    return TEST_SUMMARY();
}
