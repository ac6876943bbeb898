/*
 * aws_out.c - the OCP-on-AWS report as CSV and Parquet, and the counters
 * as JSON.  Columns are Koku's model columns of
 * reporting_ocpawscostlineitem_project_daily_summary_p (SEMANTICS-AWS §6),
 * without normalized_usage_amount (never written by Koku's SQL).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_internal.h"
#include "ocpagg/pq_writer.h"
#include "ocpagg/text.h"

enum col {
    C_UUID,
    C_REPORT_PERIOD,
    C_CLUSTER_ID,
    C_CLUSTER_ALIAS,
    C_DATA_SOURCE,
    C_NAMESPACE,
    C_NODE,
    C_PVC,
    C_PV,
    C_SC,
    C_RESOURCE_ID,
    C_USAGE_START,
    C_USAGE_END,
    C_PRODUCT_CODE,
    C_PRODUCT_FAMILY,
    C_INSTANCE_TYPE,
    C_BILL_ID,
    C_ACCOUNT_ID,
    C_ALIAS_ID,
    C_AZ,
    C_REGION,
    C_UNIT,
    C_USAGE_AMOUNT,
    C_DATA_IN,
    C_DATA_OUT,
    C_DIRECTION,
    C_CURRENCY,
    C_COST0,
    C_POD_LABELS = C_COST0 + AWS_NCOST,
    C_TAGS,
    C_AWS_CC,
    C_COST_CATEGORY,
    C_SOURCE_UUID,
    C_NCOLS
};

const char *const aws_column_names[] = {"uuid",
                                        "report_period_id",
                                        "cluster_id",
                                        "cluster_alias",
                                        "data_source",
                                        "namespace",
                                        "node",
                                        "persistentvolumeclaim",
                                        "persistentvolume",
                                        "storageclass",
                                        "resource_id",
                                        "usage_start",
                                        "usage_end",
                                        "product_code",
                                        "product_family",
                                        "instance_type",
                                        "cost_entry_bill_id",
                                        "usage_account_id",
                                        "account_alias_id",
                                        "availability_zone",
                                        "region",
                                        "unit",
                                        "usage_amount",
                                        "infrastructure_data_in_gigabytes",
                                        "infrastructure_data_out_gigabytes",
                                        "data_transfer_direction",
                                        "currency_code",
                                        "unblended_cost",
                                        "markup_cost",
                                        "blended_cost",
                                        "markup_cost_blended",
                                        "savingsplan_effective_cost",
                                        "markup_cost_savingsplan",
                                        "calculated_amortized_cost",
                                        "markup_cost_amortized",
                                        "pod_labels",
                                        "tags",
                                        "aws_cost_category",
                                        "cost_category_id",
                                        "source_uuid",
                                        NULL};

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* The string value of column c of row r (NULL for SQL NULL), for string
 * columns only. */
static const char *str_col(const struct aws_table *t, const struct aws_row *r, int c)
{
    switch (c) {
    case C_UUID: return r->uuid;
    case C_CLUSTER_ID: return t->cluster_id;
    case C_CLUSTER_ALIAS: return t->cluster_alias;
    case C_DATA_SOURCE: return r->source == RPT_SOURCE_POD ? "Pod" : "Storage";
    case C_NAMESPACE: return r->namespace_;
    case C_NODE: return r->node;
    case C_PVC: return r->pvc;
    case C_PV: return r->pv;
    case C_SC: return r->storageclass;
    case C_RESOURCE_ID: return r->resource_id;
    case C_PRODUCT_CODE: return r->product_code;
    case C_PRODUCT_FAMILY: return r->product_family;
    case C_INSTANCE_TYPE: return r->instance_type;
    case C_ACCOUNT_ID: return r->usage_account_id;
    case C_AZ: return r->availability_zone;
    case C_REGION: return r->region;
    case C_UNIT: return r->unit;
    case C_DIRECTION: return r->direction;
    case C_CURRENCY: return r->currency_code;
    case C_POD_LABELS: return r->tags;
    case C_TAGS: return r->tags;
    case C_AWS_CC: return r->aws_cost_category;
    case C_SOURCE_UUID: return t->source_uuid;
    default: return NULL;
    }
}

static double num_col(const struct aws_row *r, int c)
{
    if (c == C_USAGE_AMOUNT)
        return r->usage_amount;
    if (c == C_DATA_IN)
        return r->data_in;
    if (c == C_DATA_OUT)
        return r->data_out;
    return r->cost[c - C_COST0];
}

static int is_num(int c)
{
    return c == C_USAGE_AMOUNT || c == C_DATA_IN || c == C_DATA_OUT ||
           (c >= C_COST0 && c < C_COST0 + AWS_NCOST);
}

/* Integer columns: *has = 0 for NULL. */
static int64_t int_col(const struct aws_table *t, const struct aws_row *r, int c, int *has)
{
    *has = 1;
    switch (c) {
    case C_REPORT_PERIOD: return t->report_period_id;
    case C_BILL_ID: *has = t->has_bill_id; return t->bill_id;
    case C_ALIAS_ID: *has = r->has_alias; return r->account_alias_id;
    case C_COST_CATEGORY: *has = r->has_cost_category; return r->cost_category_id;
    default: *has = 0; return 0;
    }
}

static int is_int(int c)
{
    return c == C_REPORT_PERIOD || c == C_BILL_ID || c == C_ALIAS_ID || c == C_COST_CATEGORY;
}

/* v in decimal (what "%" PRId64 prints) into out; returns the length. */
static size_t format_i64(int64_t v, char *out)
{
    char t[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, k;
    do {
        t[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    if (v < 0)
        t[n++] = '-';
    for (k = 0; k < n; k++)
        out[k] = t[n - 1 - k];
    return n;
}

/* Room one row may take: every string field quoted at most twice its
 * length (rpt_csv_field_room), the rest formatted numbers. */
static size_t row_room(const struct aws_table *t, const struct aws_row *r)
{
    size_t n = 1 + (size_t)C_NCOLS * 40;
    int c;
    for (c = 0; c < C_NCOLS; c++)
        if (!is_num(c) && !is_int(c) && c != C_USAGE_START && c != C_USAGE_END)
            n += rpt_csv_field_room(str_col(t, r, c));
    return n;
}

int aws_encode_csv(const struct aws_table *t, size_t from, size_t to, int header,
                   struct rpt_buf *out, struct ocp_error *err)
{
    size_t start = out->len, i;
    int c;
    if (header) {
        size_t n = 0;
        for (c = 0; c < C_NCOLS; c++)
            n += strlen(aws_column_names[c]) + 1;
        if (rpt_buf_reserve(out, n + 1) != 0)
            return oom(err);
        for (c = 0; c < C_NCOLS; c++) {
            size_t l = strlen(aws_column_names[c]);
            if (c)
                out->data[out->len++] = ',';
            memcpy(out->data + out->len, aws_column_names[c], l);
            out->len += l;
        }
        out->data[out->len++] = '\n';
    }
    if (to > t->count)
        to = t->count;
    for (i = from; i < to; i++) {
        const struct aws_row *r = &t->rows[i];
        if (rpt_buf_reserve(out, row_room(t, r)) != 0) {
            out->len = start;
            return oom(err);
        }
        for (c = 0; c < C_NCOLS; c++) {
            char *d;
            if (c)
                out->data[out->len++] = ',';
            d = out->data + out->len;
            if (c == C_USAGE_START || c == C_USAGE_END) {
                txt_format_date(r->day, d);
                out->len += strlen(d);
            } else if (is_num(c)) {
                /* NaN is NULL (COPY's empty unquoted field), never 'NaN',
                 * which a numeric column would take. */
                double v = num_col(r, c);
                if (!isnan(v))
                    out->len += rpt_format_double(v, d);
            } else if (is_int(c)) {
                int has;
                int64_t v = int_col(t, r, c, &has);
                if (has)
                    out->len += format_i64(v, d);
            } else {
                /* Strings always quoted, so '' stays '' and only NULL is
                 * the empty unquoted field, as COPY (FORMAT csv) reads. */
                rpt_csv_add_field(out, str_col(t, r, c));
            }
        }
        out->data[out->len++] = '\n';
    }
    return OCP_OK;
}

int aws_csv_append(const struct aws_table *t, int header, struct rpt_buf *out)
{
    /* One CSV encoder for files, day blocks and the database's COPY. */
    return aws_encode_csv(t, 0, t->count, header, out, NULL);
}

int aws_write_csv(const struct aws_table *t, const char *path, struct ocp_error *err)
{
    struct rpt_buf b = {0};
    struct rpt_atomic a;
    int rc = aws_encode_csv(t, 0, t->count, 1, &b, err);
    if (rc != OCP_OK) {
        rpt_buf_release(&b);
        return rc;
    }
    rc = rpt_atomic_open(&a, path, err);
    if (rc == OCP_OK)
        rc = rpt_atomic_write(&a, b.data, b.len, err);
    if (rc == OCP_OK)
        rc = rpt_atomic_commit(&a, err);
    else
        rpt_atomic_abort(&a);
    rpt_buf_release(&b);
    return rc;
}

static void pq_schema(struct pq_column_desc desc[C_NCOLS])
{
    int c;
    memset(desc, 0, C_NCOLS * sizeof *desc);
    for (c = 0; c < C_NCOLS; c++) {
        desc[c].name = aws_column_names[c];
        desc[c].optional = 1;
        desc[c].type = is_num(c)                                  ? PQ_WT_DOUBLE
                       : is_int(c)                                ? PQ_WT_INT64
                       : (c == C_USAGE_START || c == C_USAGE_END) ? PQ_WT_DATE
                                                                  : PQ_WT_STRING;
    }
}

int aws_parquet_create(const char *path, struct pq_writer **w, struct ocp_error *err)
{
    struct pq_column_desc desc[C_NCOLS];
    struct pq_schema_desc schema = {C_NCOLS, desc};
    struct pq_write_options opt;
    static const struct pq_kv kv[] = {
        {"ocpagg.table", "reporting_ocpawscostlineitem_project_daily_summary_p"}};
    pq_schema(desc);
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_SNAPPY;
    opt.kv = kv;
    opt.nkv = 1;
    return pq_writer_create(path, &schema, &opt, w, err);
}

int aws_parquet_append(struct pq_writer *w, const struct aws_table *t, struct ocp_error *err)
{
    struct pq_column_desc desc[C_NCOLS];
    struct pq_column_data cols[C_NCOLS];
    const char **sv = NULL;
    double *dv = NULL;
    int64_t *iv = NULL;
    int32_t *days = NULL;
    uint8_t *valid = NULL;
    size_t n = t->count ? t->count : 1, i;
    int c, rc;

    if (t->count == 0)
        return OCP_OK;
    pq_schema(desc);
    memset(cols, 0, sizeof cols);
    sv = calloc(n * C_NCOLS, sizeof *sv);
    dv = calloc(n * C_NCOLS, sizeof *dv);
    iv = calloc(n * C_NCOLS, sizeof *iv);
    valid = calloc(n * C_NCOLS, 1);
    days = calloc(n, sizeof *days);
    if (sv == NULL || dv == NULL || iv == NULL || valid == NULL || days == NULL) {
        rc = oom(err);
        goto out;
    }
    for (i = 0; i < t->count; i++)
        days[i] = t->rows[i].day;
    for (c = 0; c < C_NCOLS; c++) {
        size_t o = (size_t)c * n;
        if (desc[c].type == PQ_WT_DATE) {
            cols[c].i32 = days;
        } else if (desc[c].type == PQ_WT_DOUBLE) {
            for (i = 0; i < t->count; i++)
                dv[o + i] = num_col(&t->rows[i], c);
            cols[c].f64 = dv + o;
            cols[c].sentinel_nulls = 1;
        } else if (desc[c].type == PQ_WT_INT64) {
            for (i = 0; i < t->count; i++) {
                int has;
                iv[o + i] = int_col(t, &t->rows[i], c, &has);
                valid[o + i] = (uint8_t)has;
            }
            cols[c].i64 = iv + o;
            cols[c].valid = valid + o;
        } else {
            for (i = 0; i < t->count; i++)
                sv[o + i] = str_col(t, &t->rows[i], c);
            cols[c].str.cstr = sv + o;
        }
    }
    rc = pq_writer_write_batch(w, cols, t->count, err);
out:
    free(sv);
    free(dv);
    free(iv);
    free(valid);
    free(days);
    return rc;
}

int aws_write_parquet(const struct aws_table *t, const char *path, struct ocp_error *err)
{
    struct pq_writer *w = NULL;
    int rc = aws_parquet_create(path, &w, err);
    if (rc != OCP_OK)
        return rc;
    rc = aws_parquet_append(w, t, err);
    if (rc != OCP_OK) {
        pq_writer_abort(w);
        return rc;
    }
    return pq_writer_close(w, err);
}

/* Appends len bytes, or marks *bad when out of memory. */
static void j_add(struct rpt_buf *b, const char *s, size_t len, int *bad)
{
    if (*bad || rpt_buf_reserve(b, len) != 0) {
        *bad = 1;
        return;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
}

static void j_i(struct rpt_buf *b, int *bad, const char *k, int64_t v, int comma)
{
    char tmp[128];
    int n = snprintf(tmp, sizeof tmp, "%s\"%s\":%" PRId64, comma ? "," : "", k, v);
    j_add(b, tmp, (size_t)n, bad);
}

static void j_d(struct rpt_buf *b, int *bad, const char *k, double v)
{
    char tmp[192], num[40]; /* a key of up to 120 bytes and a number */
    int n;
    rpt_format_double(v, num);
    n = snprintf(tmp, sizeof tmp, ",\"%s\":%s", k, num);
    j_add(b, tmp, (size_t)n, bad);
}

int aws_counters_json(const struct aws_counters *c, struct rpt_buf *out)
{
    static const char *const kinds[AWS_NKIND] = {"storage", "unattributed_storage", "compute",
                                                 "tag", "network"};
    static const char *const drops[AWS_NDROP] = {"network_no_node", "compute_no_node",
                                                 "storage_no_pvc", "tag_no_rows"};
    size_t start = out->len;
    int k, bad = 0;
    char key[96];
    j_add(out, "{", 1, &bad);
    j_i(out, &bad, "rows_read", c->read.rows_read, 0);
    j_i(out, &bad, "rows_dropped_null_date", c->read.rows_null_date, 1);
    j_i(out, &bad, "rows_outside_run", c->read.rows_outside, 1);
    j_i(out, &bad, "bad_tags", c->read.bad_tags, 1);
    j_i(out, &bad, "daily_rows", c->daily_rows, 1);
    j_d(out, &bad, "daily_unblended", c->daily_unblended);
    j_i(out, &bad, "resource_matched", c->resource_matched, 1);
    j_d(out, &bad, "resource_matched_unblended", c->resource_matched_unblended);
    j_i(out, &bad, "tag_matched", c->tag_matched, 1);
    j_d(out, &bad, "tag_matched_unblended", c->tag_matched_unblended);
    j_i(out, &bad, "unmatched", c->unmatched, 1);
    j_d(out, &bad, "unmatched_unblended", c->unmatched_unblended);
    for (k = 0; k < AWS_NKIND; k++) {
        snprintf(key, sizeof key, "attributed_%s_rows", kinds[k]);
        j_i(out, &bad, key, c->kind_rows[k], 1);
        snprintf(key, sizeof key, "attributed_%s_out", kinds[k]);
        j_i(out, &bad, key, c->kind_out[k], 1);
        snprintf(key, sizeof key, "attributed_%s_unblended", kinds[k]);
        j_d(out, &bad, key, c->kind_unblended[k]);
    }
    for (k = 0; k < AWS_NDROP; k++) {
        snprintf(key, sizeof key, "dropped_%s", drops[k]);
        j_i(out, &bad, key, c->dropped[k], 1);
        snprintf(key, sizeof key, "dropped_%s_unblended", drops[k]);
        j_d(out, &bad, key, c->dropped_unblended[k]);
    }
    j_i(out, &bad, "capacity_rate_zero", c->capacity_rate_zero, 1);
    j_i(out, &bad, "output_rows", c->output_rows, 1);
    j_add(out, "}", 1, &bad);
    if (bad) {
        out->len = start;
        return OCP_ERR_OSERR;
    }
    return OCP_OK;
}
