/* rpt_table.c - report rows: storage, order, number formatting. */
#include "ocpagg/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

const char *const rpt_column_names[] = {
    "uuid", "report_period_id", "cluster_id", "cluster_alias", "data_source",
    "usage_start", "usage_end", "namespace", "node", "resource_id",
    "pod_labels", "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours",
    "pod_effective_usage_cpu_core_hours", "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours", "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours", "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours", "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours", "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours", "persistentvolumeclaim",
    "persistentvolume", "storageclass", "volume_labels", "all_labels",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months", "source_uuid",
    "infrastructure_usage_cost", "csi_volume_handle", "cost_category_id",
    NULL};

const char rpt_infra_cost_text[] =
    "{\"cpu\": 0.000000000, \"memory\": 0.000000000, \"storage\": 0.000000000}";

void rpt_table_init(struct rpt_table *t)
{
    memset(t, 0, sizeof *t);
    ocp_arena_init(&t->strings, 0);
}

void rpt_table_release(struct rpt_table *t)
{
    free(t->rows);
    ocp_arena_release(&t->strings);
    memset(t, 0, sizeof *t);
}

struct rpt_row *rpt_table_add(struct rpt_table *t)
{
    struct rpt_row *r;
    int i;

    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        struct rpt_row *nr = realloc(t->rows, ncap * sizeof *nr);
        if (nr == NULL)
            return NULL;
        t->rows = nr;
        t->cap = ncap;
    }
    r = &t->rows[t->count++];
    memset(r, 0, sizeof *r);
    for (i = 0; i < RPT_NUM_COUNT; i++)
        r->num[i] = NAN;
    return r;
}

const char *rpt_table_strdup(struct rpt_table *t, const char *s, size_t len)
{
    char *p;
    if (s == NULL)
        return NULL;
    p = ocp_arena_alloc(&t->strings, len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void rpt_table_count_kinds(const struct rpt_table *t, int64_t *pod,
                           int64_t *unallocated, int64_t *storage)
{
    size_t i;
    for (i = 0; i < t->count; i++) {
        const struct rpt_row *r = &t->rows[i];
        if (r->source == RPT_SOURCE_STORAGE)
            (*storage)++;
        else if (r->has_infra_cost)
            (*pod)++;
        else
            (*unallocated)++;
    }
}

/* NULL first, then byte order (strcmp compares as unsigned char). */
static int cmp_str(const char *a, const char *b)
{
    if (a == b)
        return 0;
    if (a == NULL)
        return -1;
    if (b == NULL)
        return 1;
    return strcmp(a, b);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct rpt_row *a = pa, *b = pb;
    int c;

    if (a->usage_day != b->usage_day)
        return a->usage_day < b->usage_day ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1; /* "Pod" < "Storage" */
    if ((c = cmp_str(a->namespace_, b->namespace_)) != 0)
        return c;
    if ((c = cmp_str(a->node, b->node)) != 0)
        return c;
    if ((c = cmp_str(a->all_labels, b->all_labels)) != 0)
        return c;
    if ((c = cmp_str(a->resource_id, b->resource_id)) != 0)
        return c;
    if ((c = cmp_str(a->pvc, b->pvc)) != 0)
        return c;
    if ((c = cmp_str(a->pv, b->pv)) != 0)
        return c;
    if ((c = cmp_str(a->storageclass, b->storageclass)) != 0)
        return c;
    if ((c = cmp_str(a->csi_volume_handle, b->csi_volume_handle)) != 0)
        return c;
    if ((c = cmp_str(a->volume_labels, b->volume_labels)) != 0)
        return c;
    return strcmp(a->uuid, b->uuid);
}

void rpt_table_sort(struct rpt_table *t)
{
    if (t->count > 1)
        qsort(t->rows, t->count, sizeof *t->rows, cmp_rows);
}

/* Writes digits d[0..n) with decimal exponent x (value d.ddd × 10^x) the
 * way printf's %.{prec}g would: fixed when -4 <= x < prec, scientific
 * otherwise, trailing zeros dropped. */
static size_t format_g(int negative, const char *d, int n, int x, int prec,
                       char *out)
{
    size_t o = 0;
    int i;

    while (n > 1 && d[n - 1] == '0')
        n--;
    if (negative)
        out[o++] = '-';
    if (x < -4 || x >= prec) {
        int ax = x < 0 ? -x : x;
        out[o++] = d[0];
        if (n > 1) {
            out[o++] = '.';
            for (i = 1; i < n; i++)
                out[o++] = d[i];
        }
        out[o++] = 'e';
        out[o++] = x < 0 ? '-' : '+';
        if (ax >= 100)
            out[o++] = (char)('0' + ax / 100);
        out[o++] = (char)('0' + ax / 10 % 10);
        out[o++] = (char)('0' + ax % 10);
        out[o] = '\0';
        return o;
    }
    if (x < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (i = -1; i > x; i--)
            out[o++] = '0';
        for (i = 0; i < n; i++)
            out[o++] = d[i];
    } else {
        for (i = 0; i <= x; i++)
            out[o++] = i < n ? d[i] : '0';
        if (n > x + 1) {
            out[o++] = '.';
            for (i = x + 1; i < n; i++)
                out[o++] = d[i];
        }
    }
    out[o] = '\0';
    return o;
}

/* Does the decimal d[0..n) × 10^(x - n + 1) read back as v?  Small cases
 * are decided exactly in double arithmetic (an integer below 2^53 times or
 * divided by an exact power of ten up to 10^22 is correctly rounded);
 * others go through strtod. */
static int reads_back(double v, int negative, const char *d, int n, int x,
                      const char *text)
{
    static const double pow10[23] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t mant = 0;
    int i, k = x - n + 1;

    for (i = 0; i < n; i++)
        mant = mant * 10 + (uint64_t)(d[i] - '0');
    if (mant <= ((uint64_t)1 << 53) && k >= -22 && k <= 22) {
        double r = (double)mant;
        r = k >= 0 ? r * pow10[k] : r / pow10[-k];
        return (negative ? -r : r) == v;
    }
    return strtod(text, NULL) == v;
}

size_t rpt_format_double(double v, char *out)
{
    char sci[48], digits[18], cand[18];
    int negative, x, prec, i;
    const char *p;

    if (v == 0.0) {
        /* Negative zero prints as 0 so equal sums print equally. */
        memcpy(out, "0", 2);
        return 1;
    }
    /* Whole numbers are common (capacities, zero sums): print them
     * without the printf machinery. */
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
        char tmp[24];
        int64_t xv = (int64_t)v;
        uint64_t u = xv < 0 ? (uint64_t)(-xv) : (uint64_t)xv;
        size_t len = 0, k = 0;
        do {
            tmp[len++] = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (xv < 0)
            out[k++] = '-';
        while (len > 0)
            out[k++] = tmp[--len];
        out[k] = '\0';
        return k;
    }
    if (!isfinite(v))
        return (size_t)snprintf(out, 32, "%g", v);
    /* One conversion gives the 17 correctly rounded significant digits;
     * the 15- and 16-digit candidates are rounded from them and kept when
     * they read back to v, so the result is what the shortest of %.15g,
     * %.16g and %.17g that round-trips would print, at a third of the
     * cost. */
    snprintf(sci, sizeof sci, "%.16e", v);
    p = sci;
    negative = *p == '-';
    if (negative)
        p++;
    digits[0] = *p++;
    p++; /* the decimal point */
    for (i = 1; i < 17; i++)
        digits[i] = *p++;
    x = atoi(p + 1);
    for (prec = 15; prec <= 16; prec++) {
        int cx = x, carry, tie = digits[prec] == '5';
        char text[40];

        for (i = prec + 1; i < 17; i++)
            tie = tie && digits[i] == '0';
        if (tie) {
            /* The 17 digits end in exactly 5: rounding them again could
             * differ from rounding v itself, so ask printf. */
            snprintf(text, sizeof text, "%.*g", prec, v);
            if (strtod(text, NULL) == v) {
                size_t n = strlen(text);
                memcpy(out, text, n + 1);
                return n;
            }
            continue;
        }
        memcpy(cand, digits, (size_t)prec);
        carry = digits[prec] >= '5';
        for (i = prec - 1; carry && i >= 0; i--) {
            if (cand[i] == '9') {
                cand[i] = '0';
            } else {
                cand[i]++;
                carry = 0;
            }
        }
        if (carry) {
            /* 9.99… rounded up to 10.0…: one more decimal place. */
            memmove(cand + 1, cand, (size_t)prec - 1);
            cand[0] = '1';
            cx++;
        }
        format_g(negative, cand, prec, cx, prec, text);
        if (reads_back(v, negative, cand, prec, cx, text)) {
            size_t n = strlen(text);
            memcpy(out, text, n + 1);
            return n;
        }
    }
    return format_g(negative, digits, 17, x, 17, out);
}
