/*
 * test_pg_rows.h - a small hand-built report for the PostgreSQL tests:
 * pod rows with labels, unallocated rows (no labels, all_labels NULL in
 * the report), storage rows with volume labels, NULL numbers, quotes,
 * commas and non-ASCII text, cost categories, numbers with more than 15
 * decimals and in exponent form.
 */
#ifndef OCPAGG_TEST_PG_ROWS_H
#define OCPAGG_TEST_PG_ROWS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ocpagg/report.h"
#include "ocpagg/text.h"

/* The fixture's cluster, source and report period (koku-fixture.sql). */
#define TP_CLUSTER "sample-cluster"
#define TP_ALIAS "Sample Cluster"
#define TP_SOURCE "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"

static const char *tp_dup(struct rpt_table *t, const char *s)
{
    return s ? rpt_table_strdup(t, s, strlen(s)) : NULL;
}

/* Appends rows_per_day rows for each day in [first, last] (days since
 * 1970-01-01), sorted by day.  seed varies the numbers so two builds can
 * differ. */
static int tp_build(struct rpt_table *t, int32_t first, int32_t last, int rows_per_day, int seed)
{
    static const char *const ns[] = {"openshift-monitoring", "kube-system", "app-a",
                                     "team \"quoted\", with comma", "Projekt-Übersicht"};
    for (int32_t d = first; d <= last; d++) {
        for (int i = 0; i < rows_per_day; i++) {
            struct rpt_row *r = rpt_table_add(t);
            int kind = i % 4; /* 0,1 pod; 2 unallocated; 3 storage */
            if (r == NULL)
                return -1;
            snprintf(r->uuid, sizeof r->uuid, "%08x-%04x-4000-8000-%012x", (unsigned)d, (unsigned)i,
                     (unsigned)(seed * 7919 + i));
            r->usage_day = d;
            r->source = kind == 3 ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
            r->namespace_ = tp_dup(t, kind == 2 ? "Platform unallocated" : ns[i % 5]);
            r->node = tp_dup(t, i % 3 == 0 ? "node-0" : "node-1");
            r->resource_id = tp_dup(t, i % 3 == 0 ? "i-000a" : "i-000b");
            if (kind == 0 || kind == 1) {
                char labels[160];
                snprintf(labels, sizeof labels,
                         "{\"app\": \"web-%d\", \"tier\": \"t\\\"q\", "
                         "\"umlaut\": \"\xc3\xa4\"}",
                         i);
                r->pod_labels = tp_dup(t, labels);
                r->all_labels = r->pod_labels;
                r->has_infra_cost = 1;
            } else if (kind == 3) {
                r->pvc = tp_dup(t, "data-pvc");
                r->pv = tp_dup(t, "pvc-1234");
                r->storageclass = tp_dup(t, "gp3");
                r->volume_labels = tp_dup(t, "{\"backup\": \"yes\"}");
                r->all_labels = r->volume_labels;
                r->csi_volume_handle = tp_dup(t, "vol-0abc");
                r->has_infra_cost = 1;
            }
            /* kind 2: unallocated, no labels, all_labels NULL */
            for (int k = 0; k < RPT_NUM_COUNT; k++) {
                double v;
                switch ((k + i + seed) % 6) {
                case 0: v = 0.1 + 0.2; break;         /* 17 digits */
                case 1: v = 1.5e-07 * (i + 1); break; /* exponent */
                case 2: v = 123456789.123456789 + d; break;
                case 3: v = NAN; break;               /* NULL */
                case 4: v = 1e17 + 2048.0 * i; break; /* big */
                default: v = (double)(i + seed) / 3.0; break;
                }
                if (kind == 3 && k < RPT_PVC_CAP_GB)
                    v = NAN;
                if (kind != 3 && k >= RPT_PVC_CAP_GB)
                    v = NAN;
                r->num[k] = v;
            }
            if (i % 5 < 3) {
                r->has_cost_category = 1;
                r->cost_category_id = 1 + i % 3;
            }
        }
    }
    return 0;
}

static int32_t tp_day(const char *ymd)
{
    int32_t d = 0;
    txt_parse_date(ymd, strlen(ymd), &d);
    return d;
}

#endif
