/*
 * rpt_parquet.c - the report as Parquet, typed like Koku's Trino table
 * reporting_ocpusagelineitem_daily_summary.
 *
 * Rows are handed to the Parquet writer in blocks of column arrays (the
 * string columns as pointers into the table, no copies).  In the
 * partitioned form, rows are already sorted by usage_start, so each day is
 * one run of rows and one file.
 */
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocpagg/pq_writer.h"
#include "ocpagg/text.h"

#define BLOCK_ROWS 65536

/* Column order is rpt_column_names; the kinds below follow it. */
enum col_kind { K_UUID, K_PERIOD, K_CONST, K_SOURCE, K_DATE, K_STR, K_NUM,
                K_INFRA, K_CATEGORY };

struct rcol {
    enum col_kind kind;
    int which; /* K_STR: field index; K_NUM: enum rpt_num; K_CONST: 0..2 */
};

enum { S_NAMESPACE, S_NODE, S_RESOURCE, S_POD_LABELS, S_PVC, S_PV, S_SC,
       S_VOL_LABELS, S_ALL_LABELS, S_CSI };

static const struct rcol rcols[] = {
    {K_UUID, 0},          {K_PERIOD, 0},
    {K_CONST, 0},         {K_CONST, 1},
    {K_SOURCE, 0},        {K_DATE, 0},
    {K_DATE, 1},          {K_STR, S_NAMESPACE},
    {K_STR, S_NODE},      {K_STR, S_RESOURCE},
    {K_STR, S_POD_LABELS}, {K_NUM, RPT_POD_USAGE_CPU_HOURS},
    {K_NUM, RPT_POD_REQUEST_CPU_HOURS}, {K_NUM, RPT_POD_EFFECTIVE_CPU_HOURS},
    {K_NUM, RPT_POD_LIMIT_CPU_HOURS},   {K_NUM, RPT_POD_USAGE_MEM_GBH},
    {K_NUM, RPT_POD_REQUEST_MEM_GBH},   {K_NUM, RPT_POD_EFFECTIVE_MEM_GBH},
    {K_NUM, RPT_POD_LIMIT_MEM_GBH},     {K_NUM, RPT_NODE_CAP_CPU_CORES},
    {K_NUM, RPT_NODE_CAP_CPU_HOURS},    {K_NUM, RPT_NODE_CAP_MEM_GB},
    {K_NUM, RPT_NODE_CAP_MEM_GBH},      {K_NUM, RPT_CLUSTER_CAP_CPU_HOURS},
    {K_NUM, RPT_CLUSTER_CAP_MEM_GBH},   {K_STR, S_PVC},
    {K_STR, S_PV},        {K_STR, S_SC},
    {K_STR, S_VOL_LABELS}, {K_STR, S_ALL_LABELS},
    {K_NUM, RPT_PVC_CAP_GB},            {K_NUM, RPT_PVC_CAP_GB_MONTHS},
    {K_NUM, RPT_VOLUME_REQUEST_GB_MONTHS}, {K_NUM, RPT_PVC_USAGE_GB_MONTHS},
    {K_CONST, 2},         {K_INFRA, 0},
    {K_STR, S_CSI},       {K_CATEGORY, 0},
};
#define NRCOLS (sizeof rcols / sizeof rcols[0])

static const char *row_str(const struct rpt_row *r, int which)
{
    switch (which) {
    case S_NAMESPACE: return r->namespace_;
    case S_NODE: return r->node;
    case S_RESOURCE: return r->resource_id;
    case S_POD_LABELS: return r->pod_labels;
    case S_PVC: return r->pvc;
    case S_PV: return r->pv;
    case S_SC: return r->storageclass;
    case S_VOL_LABELS: return r->volume_labels;
    case S_ALL_LABELS: return r->all_labels;
    default: return r->csi_volume_handle;
    }
}

/* Column buffers for one block of rows. */
struct block {
    const char **str[NRCOLS];
    double *num[NRCOLS];
    int32_t *i32[NRCOLS];
    uint8_t *valid[NRCOLS];
};

static void block_free(struct block *b)
{
    size_t c;
    for (c = 0; c < NRCOLS; c++) {
        free(b->str[c]);
        free(b->num[c]);
        free(b->i32[c]);
        free(b->valid[c]);
    }
}

static int block_alloc(struct block *b)
{
    size_t c;

    memset(b, 0, sizeof *b);
    for (c = 0; c < NRCOLS; c++) {
        switch (rcols[c].kind) {
        case K_NUM:
            b->num[c] = malloc(BLOCK_ROWS * sizeof(double));
            if (b->num[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        case K_PERIOD:
        case K_DATE:
        case K_CATEGORY:
            b->i32[c] = malloc(BLOCK_ROWS * sizeof(int32_t));
            b->valid[c] = malloc(BLOCK_ROWS);
            if (b->i32[c] == NULL || b->valid[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        default:
            b->str[c] = malloc(BLOCK_ROWS * sizeof(const char *));
            if (b->str[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        }
    }
    return OCP_OK;
}

static void schema_of(struct pq_column_desc *cols)
{
    size_t c;

    for (c = 0; c < NRCOLS; c++) {
        memset(&cols[c], 0, sizeof cols[c]);
        cols[c].name = rpt_column_names[c];
        cols[c].optional = 1;
        switch (rcols[c].kind) {
        case K_NUM:
            cols[c].type = PQ_WT_DOUBLE;
            break;
        case K_PERIOD:
        case K_CATEGORY:
            cols[c].type = PQ_WT_INT32;
            break;
        case K_DATE:
            cols[c].type = PQ_WT_DATE;
            break;
        default:
            cols[c].type = PQ_WT_STRING;
            /* One distinct uuid per row: a dictionary would only be
             * abandoned again. */
            cols[c].dict = rcols[c].kind == K_UUID ? PQ_DICT_OFF : PQ_DICT_AUTO;
            break;
        }
    }
}

/* Fills the block from rows [from, from + n) and writes it. */
static int write_block(struct pq_writer *w, struct block *b,
                       const struct rpt_table *t, const struct rpt_meta *meta,
                       size_t from, size_t n, struct ocp_error *err)
{
    struct pq_column_data cd[NRCOLS];
    const char *consts[3] = {meta->cluster_id, meta->cluster_alias,
                             meta->source_uuid};
    size_t c, i;

    memset(cd, 0, sizeof cd);
    for (i = 0; i < n; i++) {
        const struct rpt_row *r = &t->rows[from + i];
        for (c = 0; c < NRCOLS; c++) {
            switch (rcols[c].kind) {
            case K_UUID: b->str[c][i] = r->uuid; break;
            case K_PERIOD:
                b->i32[c][i] = (int32_t)meta->report_period_id;
                b->valid[c][i] = 1;
                break;
            case K_CONST: b->str[c][i] = consts[rcols[c].which]; break;
            case K_SOURCE:
                b->str[c][i] = r->source == RPT_SOURCE_POD ? "Pod" : "Storage";
                break;
            case K_DATE:
                b->i32[c][i] = r->usage_day;
                b->valid[c][i] = 1;
                break;
            case K_STR: b->str[c][i] = row_str(r, rcols[c].which); break;
            case K_NUM: b->num[c][i] = r->num[rcols[c].which]; break;
            case K_INFRA:
                b->str[c][i] = r->has_infra_cost ? rpt_infra_cost_text : NULL;
                break;
            case K_CATEGORY:
                if (r->has_cost_category &&
                    (r->cost_category_id < INT32_MIN ||
                     r->cost_category_id > INT32_MAX))
                    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1,
                                         "cost_category_id",
                                         "%lld does not fit the INT column",
                                         (long long)r->cost_category_id);
                b->i32[c][i] = (int32_t)r->cost_category_id;
                b->valid[c][i] = (uint8_t)(r->has_cost_category != 0);
                break;
            }
        }
    }
    for (c = 0; c < NRCOLS; c++) {
        cd[c].str.cstr = b->str[c];
        cd[c].f64 = b->num[c];
        cd[c].sentinel_nulls = 1; /* NaN is NULL */
        cd[c].i32 = b->i32[c];
        cd[c].valid = b->valid[c];
    }
    return pq_writer_write_batch(w, cd, n, err);
}

/* Writes rows [from, to) into one file at path. */
static int write_file(const char *path, const struct rpt_table *t,
                      const struct rpt_meta *meta, struct block *b,
                      size_t from, size_t to, struct ocp_error *err)
{
    struct pq_column_desc cols[NRCOLS];
    struct pq_schema_desc schema = {NRCOLS, cols};
    struct pq_write_options opt;
    struct pq_kv kv[1] = {{"ocpagg.table",
                           "reporting_ocpusagelineitem_daily_summary"}};
    struct pq_writer *w = NULL;
    int rc;

    schema_of(cols);
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_SNAPPY;
    opt.row_group_rows = 131072;
    opt.kv = kv;
    opt.nkv = 1;
    rc = pq_writer_create(path, &schema, &opt, &w, err);
    while (rc == OCP_OK && from < to) {
        size_t n = to - from < BLOCK_ROWS ? to - from : BLOCK_ROWS;
        rc = write_block(w, b, t, meta, from, n, err);
        from += n;
    }
    if (rc == OCP_OK)
        return pq_writer_close(w, err);
    pq_writer_abort(w);
    ocp_error_context(err, path, -1, NULL);
    return rc;
}

static int mkdir_p(const char *path)
{
    return rpt_mkdir_p(path);
}

static int write_partitioned(const struct rpt_table *t,
                             const struct rpt_meta *meta, const char *root,
                             struct block *b, struct ocp_error *err)
{
    char **done = NULL;
    size_t ndone = 0, from = 0, i;
    int rc = OCP_OK;

    if (t->count > 0) {
        done = calloc(t->count, sizeof *done); /* at most one file per row */
        if (done == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, root, -1, NULL,
                                 "out of memory");
    }
    while (from < t->count && rc == OCP_OK) {
        int32_t day = t->rows[from].usage_day;
        size_t to = from + 1;
        char date[11], dir[OCP_ERROR_PATH_MAX], path[OCP_ERROR_PATH_MAX + 64];
        int n;

        while (to < t->count && t->rows[to].usage_day == day)
            to++;
        /* One file per day: a day seen again would overwrite its file. */
        if (to < t->count && t->rows[to].usage_day < day) {
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, root, -1, NULL,
                               "report rows are not sorted by usage_start");
            break;
        }
        txt_format_date(day, date);
        n = snprintf(dir, sizeof dir, "%s/source=%s/year=%.4s/month=%.2s/day=%.2s",
                     root, meta->source_uuid ? meta->source_uuid : "unknown",
                     date, date + 5, date + 8);
        if (n < 0 || (size_t)n >= sizeof dir) {
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, root, -1, NULL,
                               "output path too long");
            break;
        }
        if (mkdir_p(dir) != 0) {
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, dir, -1, NULL,
                               "cannot create the folder: %s", strerror(errno));
            break;
        }
        snprintf(path, sizeof path, "%s/ocpagg_summary_%s.parquet", dir, date);
        rc = write_file(path, t, meta, b, from, to, err);
        if (rc == OCP_OK && (done[ndone] = strdup(path)) != NULL)
            ndone++;
        from = to;
    }
    for (i = 0; i < ndone; i++) {
        if (rc != OCP_OK)
            remove(done[i]);
        free(done[i]);
    }
    free(done);
    return rc;
}

int rpt_write_parquet(const struct rpt_table *t, const struct rpt_meta *meta,
                      const char *path, int partitioned,
                      struct ocp_error *err)
{
    struct block b;
    int rc;

    if (meta->report_period_id < INT32_MIN || meta->report_period_id > INT32_MAX)
        return ocp_error_set(err, OCP_ERR_DATA, path, -1, "report_period_id",
                             "%lld does not fit the INT column",
                             (long long)meta->report_period_id);
    rc = block_alloc(&b);
    if (rc != OCP_OK) {
        block_free(&b);
        return ocp_error_set(err, rc, path, -1, NULL, "out of memory");
    }
    if (partitioned)
        rc = write_partitioned(t, meta, path, &b, err);
    else
        rc = write_file(path, t, meta, &b, 0, t->count, err);
    block_free(&b);
    return rc;
}

/* Stream side: not yet. */
int rpt_pq_encode(const struct rpt_table *t, size_t from, size_t to,
                  const struct rpt_meta *meta, struct rpt_buf *out,
                  struct ocp_error *err)
{
    (void)t; (void)from; (void)to; (void)meta; (void)out;
    return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                         "Parquet report stream not implemented yet");
}

int rpt_pq_open(struct rpt_pq_sink **out, const char *path, int partitioned,
                const struct rpt_meta *meta, struct ocp_error *err)
{
    (void)partitioned; (void)meta;
    *out = NULL;
    return ocp_error_set(err, OCP_ERR_UNSUPPORTED, path, -1, NULL,
                         "Parquet report stream not implemented yet");
}

int rpt_pq_write(struct rpt_pq_sink *s, const unsigned char *block,
                 size_t len, int64_t *rows, struct ocp_error *err)
{
    (void)s; (void)block; (void)len; (void)rows;
    return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                         "Parquet report stream not implemented yet");
}

int rpt_pq_commit(struct rpt_pq_sink *s, int64_t *bytes, int64_t *files,
                  struct ocp_error *err)
{
    (void)s; (void)bytes; (void)files;
    return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                         "Parquet report stream not implemented yet");
}

void rpt_pq_abort(struct rpt_pq_sink *s)
{
    (void)s;
}
