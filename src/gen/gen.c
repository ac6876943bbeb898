/* gen.c - configuration, dictionaries and the block loop of the generator. */
#include "ocpagg/gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

void gen_config_default(struct gen_config *c)
{
    memset(c, 0, sizeof *c);
    c->nodes = 4;
    c->pods_per_node = 10;
    c->days = 3;
    c->start_day = 20393; /* 2025-11-01 */
    c->seed = 1;
    c->label_cardinality = 8;
    c->namespaces = 18;
    c->block_rows = 65536;
}

int gen_config_check(const struct gen_config *c, struct ocp_error *err)
{
    uint64_t slots = (uint64_t)c->nodes * c->pods_per_node;

    if (c->nodes < 1 || c->nodes > 1000000)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "nodes must be between 1 and 1000000");
    if (c->pods_per_node < 1 || c->pods_per_node > 100000)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "pods per node must be between 1 and 100000");
    if (c->days < 1 || c->days > 3660)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL, "days must be between 1 and 3660");
    if (c->namespaces < 6 || c->namespaces > 1000000)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "namespaces must be between 6 and 1000000");
    if (c->label_cardinality < 1 || c->label_cardinality > 100000)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "label cardinality must be between 1 and 100000");
    if (c->block_rows < 1 || c->block_rows > (1u << 24))
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "block rows must be between 1 and 2^24");
    if (c->node_memory_gib > (1u << 20))
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "node memory must be at most 2^20 GiB");
    if (c->cur_hours_per_row > 24 || (c->cur_hours_per_row > 0 && 24 % c->cur_hours_per_row != 0))
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "CUR hours per row must divide 24");
    if (c->start_day < -700000 || c->start_day > 2900000)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL, "start date out of range");
    /* Pod names are one per slot and generation, so the pod dictionary and
     * every table stay far below 2^32 entries with this bound. */
    if (slots * 24u * c->days > (UINT64_C(1) << 31) ||
        (uint64_t)c->namespaces * 24u * c->days > (UINT64_C(1) << 31))
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "more than 2^31 rows per table requested");
    return OCP_OK;
}

/* Storage sources per hour; see gen.h. */
static int64_t volumes_per_hour(const struct gen_config *c)
{
    int64_t v = 2;
    if (c->pods_per_node >= 2)
        v += c->nodes;
    if (c->pods_per_node >= 3)
        v += c->nodes < 3 ? c->nodes : 3;
    return v;
}

int64_t gen_expected_rows(const struct gen_config *c, enum ocp_table table)
{
    int64_t hours = (int64_t)c->days * 24;
    switch (table) {
    case OCP_TABLE_POD: return (int64_t)c->nodes * c->pods_per_node * hours;
    case OCP_TABLE_STORAGE: return volumes_per_hour(c) * hours;
    case OCP_TABLE_NODE_LABELS: return (int64_t)c->nodes * hours;
    case OCP_TABLE_NAMESPACE_LABELS: return (int64_t)c->namespaces * hours;
    default: return 0;
    }
}

void gen_dict_init(struct gen_dict *g)
{
    memset(g, 0, sizeof *g);
}

void gen_dict_release(struct gen_dict *g)
{
    free(g->offsets);
    free(g->data);
    memset(g, 0, sizeof *g);
}

uint32_t gen_dict_add(struct gen_dict *g, const char *s, size_t len)
{
    uint32_t n = g->d.count;

    if (g->oom)
        return OCP_NULL_ID;
    if ((size_t)n + 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        uint64_t *o = realloc(g->offsets, cap * sizeof *o);
        if (o == NULL)
            goto oom;
        if (g->cap == 0)
            o[0] = 0;
        g->offsets = o;
        g->cap = cap;
    }
    if (len + 1 > g->datacap - g->len) {
        size_t cap = g->datacap ? g->datacap : 1024;
        char *d;
        while (len + 1 > cap - g->len)
            cap *= 2;
        d = realloc(g->data, cap);
        if (d == NULL)
            goto oom;
        g->data = d;
        g->datacap = cap;
    }
    memcpy(g->data + g->len, s, len);
    g->len += len;
    g->data[g->len] = '\0'; /* keeps the data printable while debugging */
    g->offsets[n + 1] = g->len;
    g->d.count = n + 1;
    /* Keep the published view current: the model reads names back while
     * it is still adding entries. */
    g->d.offsets = g->offsets;
    g->d.data = g->data;
    return n;
oom:
    g->oom = 1;
    return OCP_NULL_ID;
}

uint32_t gen_dict_addf(struct gen_dict *g, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    return gen_dict_add(g, buf, (size_t)n);
}

void gen_dict_seal(struct gen_dict *g)
{
    static const uint64_t zero = 0;
    g->d.offsets = g->offsets != NULL ? g->offsets : &zero;
    g->d.data = g->data != NULL ? g->data : "";
    g->d.serial = ocp_strdict_next_serial();
}

static void block_release(struct gen_block *blk)
{
    int i;
    free(blk->ts);
    for (i = 0; i < OCP_MAX_COLUMNS; i++) {
        free(blk->num[i]);
        free(blk->ids[i]);
    }
    memset(blk, 0, sizeof *blk);
}

/* Allocates one buffer per column of the table for `rows` rows. */
static int block_init(struct gen_block *blk, enum ocp_table table, size_t rows)
{
    const struct ocp_tablespec *spec = ocp_table_spec(table);
    int i;

    memset(blk, 0, sizeof *blk);
    blk->b.table = table;
    for (i = 0; i < spec->ncols; i++) {
        enum ocp_kind k = spec->cols[i].kind;
        struct ocp_column *c = &blk->b.col[i];
        c->present = 1;
        if (k == OCP_KIND_TIME) {
            blk->ts = malloc(rows * sizeof *blk->ts);
            c->ts = blk->ts;
            if (blk->ts == NULL)
                goto oom;
        } else if (k == OCP_KIND_NUMBER) {
            blk->num[i] = malloc(rows * sizeof(double));
            c->num = blk->num[i];
            if (blk->num[i] == NULL)
                goto oom;
        } else {
            blk->ids[i] = malloc(rows * sizeof(uint32_t));
            c->str.ids = blk->ids[i];
            if (blk->ids[i] == NULL)
                goto oom;
        }
    }
    return OCP_OK;
oom:
    block_release(blk);
    return OCP_ERR_OSERR;
}

/* Runs one table through the sink with an already built model. */
static int run_table(const struct gen_model *m, enum ocp_table table, const struct gen_sink *sink,
                     int64_t *rows, struct ocp_error *err)
{
    struct gen_block blk;
    int64_t total = gen_expected_rows(&m->cfg, table), row = 0;
    size_t block = m->cfg.block_rows;
    int rc;

    if (rows != NULL)
        *rows = 0;
    if ((int64_t)block > total && total > 0)
        block = (size_t)total;
    if (block_init(&blk, table, block) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory for generator blocks");
    rc = sink->begin_table(sink->ctx, table, err);
    while (rc == OCP_OK && row < total) {
        size_t n = total - row < (int64_t)block ? (size_t)(total - row) : block;
        gen_fill(m, table, row, n, &blk);
        rc = sink->write(sink->ctx, &blk.b, err);
        row += (int64_t)n;
    }
    if (rc == OCP_OK)
        rc = sink->end_table(sink->ctx, table, row, err);
    if (rc == OCP_OK && rows != NULL)
        *rows = row;
    block_release(&blk);
    return rc;
}

int gen_table(const struct gen_config *c, enum ocp_table table, const struct gen_sink *sink,
              int64_t *rows, struct ocp_error *err)
{
    struct gen_model m;
    int rc;

    if (ocp_table_spec(table) == NULL)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL, "bad table");
    rc = gen_model_init(&m, c, err);
    if (rc != OCP_OK)
        return rc;
    rc = run_table(&m, table, sink, rows, err);
    gen_model_release(&m);
    return rc;
}

int gen_all(const struct gen_config *c, const struct gen_sink *sink, int64_t rows[OCP_TABLE_COUNT],
            struct ocp_error *err)
{
    struct gen_model m;
    int rc, t;

    rc = gen_model_init(&m, c, err);
    if (rc != OCP_OK)
        return rc;
    for (t = 0; rc == OCP_OK && t < OCP_TABLE_COUNT; t++)
        rc = run_table(&m, (enum ocp_table)t, sink, rows != NULL ? &rows[t] : NULL, err);
    gen_model_release(&m);
    return rc;
}
