/* rpt_csv.c - the report as CSV for PostgreSQL COPY ... CSV HEADER.
 *
 * NULL is an unquoted empty field; every non-NULL string is quoted, so an
 * empty string ("") stays distinguishable from NULL.  Rows are formatted
 * into memory buffers, so the days' owners format their blocks in
 * parallel; rpt_stream.c writes them (and holds rpt_write_csv). */
#include "ocpagg/report.h"
#include "ocpagg/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rpt_buf_release(struct rpt_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int reserve(struct rpt_buf *b, size_t extra)
{
    if (b->len + extra > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 65536;
        char *nd;
        while (ncap < b->len + extra)
            ncap *= 2;
        nd = realloc(b->data, ncap);
        if (nd == NULL)
            return -1;
        b->data = nd;
        b->cap = ncap;
    }
    return 0;
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

static size_t str_room(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; *s; s++)
        n += *s == '"' ? 2 : 1;
    return n + 2;
}

static void add_str(struct rpt_buf *b, const char *s)
{
    const char *q;
    if (s == NULL)
        return;
    add_c(b, '"');
    while ((q = strchr(s, '"')) != NULL) {
        add(b, s, (size_t)(q - s) + 1);
        add_c(b, '"');
        s = q + 1;
    }
    add(b, s, strlen(s));
    add_c(b, '"');
}

/* The last value printed in each numeric column and its text: capacity
 * columns repeat across all rows of a node and day, so most of them are
 * copied instead of formatted again. */
struct num_cache {
    double value[RPT_NUM_COUNT];
    char text[RPT_NUM_COUNT][40];
    size_t len[RPT_NUM_COUNT];
};

static void add_num(struct rpt_buf *b, struct num_cache *c, int col, double v)
{
    if (isnan(v))
        return;
    if (c->len[col] == 0 || memcmp(&c->value[col], &v, sizeof v) != 0) {
        c->len[col] = rpt_format_double(v, c->text[col]);
        c->value[col] = v;
    }
    add(b, c->text[col], c->len[col]);
}

int rpt_csv_header(struct rpt_buf *out)
{
    size_t i;
    for (i = 0; rpt_column_names[i] != NULL; i++) {
        size_t n = strlen(rpt_column_names[i]);
        if (reserve(out, n + 2) != 0)
            return OCP_ERR_OSERR;
        if (i > 0)
            add_c(out, ',');
        add(out, rpt_column_names[i], n);
    }
    if (reserve(out, 1) != 0)
        return OCP_ERR_OSERR;
    add_c(out, '\n');
    return OCP_OK;
}

int rpt_csv_rows(const struct rpt_table *t, const struct rpt_meta *meta,
                 size_t from, size_t to, struct rpt_buf *out)
{
    char head[64], day[11];
    size_t cluster_room = str_room(meta->cluster_id) + str_room(meta->cluster_alias) +
                          str_room(meta->source_uuid) + 2 * strlen(rpt_infra_cost_text) + 2;
    size_t r, head_len;
    struct num_cache cache;
    int i;

    memset(&cache, 0, sizeof cache);
    head_len = (size_t)snprintf(head, sizeof head, ",%" PRId64 ",", meta->report_period_id);
    for (r = from; r < to; r++) {
        const struct rpt_row *row = &t->rows[r];
        size_t room = 128 + cluster_room + head_len + 32 * RPT_NUM_COUNT +
                      str_room(row->namespace_) + str_room(row->node) +
                      str_room(row->resource_id) + str_room(row->pod_labels) +
                      str_room(row->pvc) + str_room(row->pv) +
                      str_room(row->storageclass) + str_room(row->volume_labels) +
                      str_room(row->all_labels) + str_room(row->csi_volume_handle);
        if (reserve(out, room) != 0)
            return OCP_ERR_OSERR;
        txt_format_date(row->usage_day, day);
        add(out, row->uuid, 36);
        add(out, head, head_len);
        add_str(out, meta->cluster_id);
        add_c(out, ',');
        add_str(out, meta->cluster_alias);
        if (row->source == RPT_SOURCE_POD)
            add(out, ",Pod,", 5);
        else
            add(out, ",Storage,", 9);
        add(out, day, 10);
        add_c(out, ',');
        add(out, day, 10);
        add_c(out, ',');
        add_str(out, row->namespace_);
        add_c(out, ',');
        add_str(out, row->node);
        add_c(out, ',');
        add_str(out, row->resource_id);
        add_c(out, ',');
        add_str(out, row->pod_labels);
        for (i = RPT_POD_USAGE_CPU_HOURS; i <= RPT_CLUSTER_CAP_MEM_GBH; i++) {
            add_c(out, ',');
            add_num(out, &cache, i, row->num[i]);
        }
        add_c(out, ',');
        add_str(out, row->pvc);
        add_c(out, ',');
        add_str(out, row->pv);
        add_c(out, ',');
        add_str(out, row->storageclass);
        add_c(out, ',');
        add_str(out, row->volume_labels);
        add_c(out, ',');
        add_str(out, row->all_labels);
        for (i = RPT_PVC_CAP_GB; i <= RPT_PVC_USAGE_GB_MONTHS; i++) {
            add_c(out, ',');
            add_num(out, &cache, i, row->num[i]);
        }
        add_c(out, ',');
        add_str(out, meta->source_uuid);
        add_c(out, ',');
        if (row->has_infra_cost)
            add_str(out, rpt_infra_cost_text);
        add_c(out, ',');
        add_str(out, row->csi_volume_handle);
        add_c(out, ',');
        if (row->has_cost_category)
            out->len += (size_t)snprintf(out->data + out->len, 24, "%" PRId64,
                                         row->cost_category_id);
        add_c(out, '\n');
    }
    return OCP_OK;
}
