/* pg_encode.c - a day's rows as the COPY ... (FORMAT csv) text of the 37
 * columns Koku's table has.
 *
 * The text follows the CSV report (same quoting: NULL is an unquoted
 * empty field, every string quoted; numbers as rpt_format_double's
 * shortest round-trip text), minus csi_volume_handle, with all_labels {}
 * where the report has NULL, and with every value checked against what
 * the column accepts, so a bad value is named here (day, row, uuid,
 * column) instead of surfacing as a COPY error at the end of the stream. */
#include "ocpagg/pg.h"
#include "ocpagg/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pg_column_names[] = {"uuid",
                                       "report_period_id",
                                       "cluster_id",
                                       "cluster_alias",
                                       "data_source",
                                       "usage_start",
                                       "usage_end",
                                       "namespace",
                                       "node",
                                       "resource_id",
                                       "pod_labels",
                                       "pod_usage_cpu_core_hours",
                                       "pod_request_cpu_core_hours",
                                       "pod_effective_usage_cpu_core_hours",
                                       "pod_limit_cpu_core_hours",
                                       "pod_usage_memory_gigabyte_hours",
                                       "pod_request_memory_gigabyte_hours",
                                       "pod_effective_usage_memory_gigabyte_hours",
                                       "pod_limit_memory_gigabyte_hours",
                                       "node_capacity_cpu_cores",
                                       "node_capacity_cpu_core_hours",
                                       "node_capacity_memory_gigabytes",
                                       "node_capacity_memory_gigabyte_hours",
                                       "cluster_capacity_cpu_core_hours",
                                       "cluster_capacity_memory_gigabyte_hours",
                                       "persistentvolumeclaim",
                                       "persistentvolume",
                                       "storageclass",
                                       "volume_labels",
                                       "all_labels",
                                       "persistentvolumeclaim_capacity_gigabyte",
                                       "persistentvolumeclaim_capacity_gigabyte_months",
                                       "volume_request_storage_gigabyte_months",
                                       "persistentvolumeclaim_usage_gigabyte_months",
                                       "source_uuid",
                                       "infrastructure_usage_cost",
                                       "cost_category_id",
                                       NULL};

/* Length of the valid UTF-8 prefix of s (strlen(s) when all of it is
 * valid): what PostgreSQL's UTF8 verifier accepts, i.e. no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_prefix(const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *p = s;

    for (;;) {
        unsigned c = *p;
        if (c == 0)
            return (size_t)(p - s);
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if ((p[1] & 0xC0) != 0x80)
                break;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
                break;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
                break;
            p += 4;
        } else {
            break;
        }
    }
    return (size_t)(p - s);
}

/* 1 when JSON text holds the escape \u0000, which jsonb rejects.  A
 * backslash escapes the next character, so "\\u0000" (an escaped
 * backslash followed by the letters u0000) is fine. */
static int json_has_nul_escape(const char *s)
{
    const char *p = s;
    while ((p = strchr(p, '\\')) != NULL) {
        if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && p[4] == '0' && p[5] == '0')
            return 1;
        if (p[1] == '\0')
            return 0;
        p += 2;
    }
    return 0;
}

/* A failure names the day, the row within the block, its uuid and the
 * column, so the user can find it in the CSV report of the same run. */
static int row_fail(struct ocp_error *err, const struct rpt_row *row, size_t index,
                    const char *column, const char *what)
{
    char day[11];
    txt_format_date(row->usage_day, day);
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, column,
                         "day %s, row %zu of the day (uuid %.36s): %s", day, index + 1, row->uuid,
                         what);
}

static int check_str(struct ocp_error *err, const struct rpt_row *row, size_t index,
                     const char *column, const char *s, int is_json)
{
    size_t ok;
    char what[96];

    if (s == NULL)
        return OCP_OK;
    ok = utf8_valid_prefix(s);
    if (s[ok] != '\0') {
        snprintf(what, sizeof what, "invalid UTF-8 at byte %zu (0x%02x); PostgreSQL rejects it", ok,
                 (unsigned)(unsigned char)s[ok]);
        return row_fail(err, row, index, column, what);
    }
    if (is_json && json_has_nul_escape(s))
        return row_fail(err, row, index, column, "\\u0000 in JSON text; jsonb rejects it");
    return OCP_OK;
}

/* Appenders assume room was reserved for the whole row beforehand. */
static void add(struct rpt_buf *b, const char *s, size_t n)
{
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void add_c(struct rpt_buf *b, char c)
{
    b->data[b->len++] = c;
}

/* The last value of each numeric column and its text: capacity columns
 * repeat across the rows of a node and day, so most are copied, not
 * formatted again. */
struct num_cache {
    double value[RPT_NUM_COUNT];
    char text[RPT_NUM_COUNT][40];
    size_t len[RPT_NUM_COUNT];
};

/* numeric(33,15) holds |x| < 1e18 (18 integer digits). */
#define PG_NUMERIC_LIMIT 1e18

static int add_num(struct rpt_buf *b, struct num_cache *c, int col, double v,
                   const struct rpt_row *row, size_t index, struct ocp_error *err)
{
    if (isnan(v))
        return OCP_OK; /* the report's NULL */
    if (c->len[col] == 0 || memcmp(&c->value[col], &v, sizeof v) != 0) {
        if (!(fabs(v) < PG_NUMERIC_LIMIT)) {
            char what[96];
            snprintf(what, sizeof what, "%g does not fit numeric(33,15) (|x| < 1e18)", v);
            return row_fail(err, row, index, rpt_num_column_name((enum rpt_num)col), what);
        }
        c->len[col] = rpt_format_double(v, c->text[col]);
        c->value[col] = v;
    }
    add(b, c->text[col], c->len[col]);
    return OCP_OK;
}

/* The report period of a day: the month's when periods are given. */
static int period_of(const struct pg_periods *p, int32_t day, int64_t *id)
{
    for (int32_t i = 0; i < p->n && i < PG_MONTHS_MAX; i++)
        if (day >= p->month[i].first_day && day <= p->month[i].last_day) {
            *id = p->month[i].id;
            return 0;
        }
    return -1;
}

int pg_encode_block(const struct rpt_table *t, const struct rpt_meta *meta,
                    const struct pg_periods *periods, struct rpt_buf *out, struct ocp_error *err)
{
    static const char *const json_cols[] = {"pod_labels", "volume_labels", "all_labels"};
    size_t start_len = out->len, meta_room, r;
    struct num_cache cache;
    int64_t cur_period = INT64_MIN;
    char period_text[24];
    size_t period_len = 0;
    int rc = OCP_OK;

    memset(&cache, 0, sizeof cache);
    /* The constant columns are checked once per block. */
    if (meta->cluster_id == NULL || meta->source_uuid == NULL)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_encode_block: cluster_id and source_uuid "
                             "are required");
    {
        const char *names[] = {"cluster_id", "cluster_alias", "source_uuid"};
        const char *vals[] = {meta->cluster_id, meta->cluster_alias, meta->source_uuid};
        for (int i = 0; i < 3; i++)
            if (vals[i] != NULL && vals[i][utf8_valid_prefix(vals[i])] != '\0')
                return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, names[i],
                                     "invalid UTF-8 in the configured value");
    }
    meta_room = rpt_csv_field_room(meta->cluster_id) + rpt_csv_field_room(meta->cluster_alias) +
                rpt_csv_field_room(meta->source_uuid) + strlen(rpt_infra_cost_text) + 2;

    for (r = 0; r < t->count; r++) {
        const struct rpt_row *row = &t->rows[r];
        const char *json_vals[3] = {row->pod_labels, row->volume_labels, row->all_labels};
        int64_t period = meta->report_period_id;
        char num[24];
        size_t room;
        int i;

        if (periods != NULL && period_of(periods, row->usage_day, &period)) {
            rc = row_fail(err, row, r, "usage_start",
                          "the day lies outside the configured "
                          "start_date..end_date, which the DELETE covers");
            break;
        }
        if (period != cur_period) {
            if (period < INT32_MIN || period > INT32_MAX) {
                rc =
                    row_fail(err, row, r, "report_period_id", "outside the integer column's range");
                break;
            }
            period_len = (size_t)snprintf(period_text, sizeof period_text, ",%" PRId64 ",", period);
            cur_period = period;
        }
        if (row->has_cost_category &&
            (row->cost_category_id < INT32_MIN || row->cost_category_id > INT32_MAX)) {
            rc = row_fail(err, row, r, "cost_category_id", "outside the integer column's range");
            break;
        }
        if ((rc = check_str(err, row, r, "namespace", row->namespace_, 0)) ||
            (rc = check_str(err, row, r, "node", row->node, 0)) ||
            (rc = check_str(err, row, r, "resource_id", row->resource_id, 0)) ||
            (rc = check_str(err, row, r, "persistentvolumeclaim", row->pvc, 0)) ||
            (rc = check_str(err, row, r, "persistentvolume", row->pv, 0)) ||
            (rc = check_str(err, row, r, "storageclass", row->storageclass, 0)))
            break;
        for (i = 0; i < 3 && rc == OCP_OK; i++)
            rc = check_str(err, row, r, json_cols[i], json_vals[i], 1);
        if (rc != OCP_OK)
            break;

        room = 128 + meta_room + period_len + 32 * RPT_NUM_COUNT + rpt_csv_row_key_room(row) +
               rpt_csv_field_room(row->pod_labels) + rpt_csv_field_room(row->pvc) +
               rpt_csv_field_room(row->pv) + rpt_csv_field_room(row->storageclass) +
               rpt_csv_field_room(row->volume_labels) + rpt_csv_field_room(row->all_labels);
        if (rpt_buf_reserve(out, room) != 0) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory encoding the COPY block");
            break;
        }
        add(out, row->uuid, 36);
        add(out, period_text, period_len);
        rpt_csv_add_field(out, meta->cluster_id);
        add_c(out, ',');
        rpt_csv_add_field(out, meta->cluster_alias);
        rpt_csv_add_row_key(out, row);
        rpt_csv_add_field(out, row->pod_labels);
        for (i = RPT_POD_USAGE_CPU_HOURS; i <= RPT_CLUSTER_CAP_MEM_GBH; i++) {
            add_c(out, ',');
            if ((rc = add_num(out, &cache, i, row->num[i], row, r, err)))
                break;
        }
        if (rc != OCP_OK)
            break;
        rpt_csv_add_volume_key(out, row);
        rpt_csv_add_field(out, row->volume_labels);
        add_c(out, ',');
        /* Koku stores COALESCE(pod_labels,'{}') || COALESCE(volume_labels,
         * '{}'), which is {} where the report has NULL (unallocated). */
        if (row->all_labels != NULL)
            rpt_csv_add_field(out, row->all_labels);
        else
            add(out, "\"{}\"", 4);
        for (i = RPT_PVC_CAP_GB; i <= RPT_PVC_USAGE_GB_MONTHS; i++) {
            add_c(out, ',');
            if ((rc = add_num(out, &cache, i, row->num[i], row, r, err)))
                break;
        }
        if (rc != OCP_OK)
            break;
        add_c(out, ',');
        rpt_csv_add_field(out, meta->source_uuid);
        add_c(out, ',');
        if (row->has_infra_cost)
            rpt_csv_add_field(out, rpt_infra_cost_text);
        add_c(out, ',');
        if (row->has_cost_category) {
            int n = snprintf(num, sizeof num, "%" PRId64, row->cost_category_id);
            add(out, num, (size_t)n);
        }
        add_c(out, '\n');
    }
    if (rc != OCP_OK)
        out->len = start_len;
    return rc;
}
