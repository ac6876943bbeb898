/*
 * cfg_serial.c - the flat byte form rank 0 broadcasts to the other ranks.
 *
 * Layout: the 8-byte magic "OCPCFG\1\n", then every field in struct order.
 * Integers are 8 bytes little-endian (so the form does not depend on the
 * host), doubles are their IEEE bits as such an integer, strings are a
 * length (-1 for NULL) followed by the bytes, lists a count followed by
 * the items.  The reader trusts none of it: every length is checked
 * against what is left before anything is allocated.
 */
#include "cfg_internal.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char magic[8] = {'O', 'C', 'P', 'C', 'F', 'G', 2, '\n'};

static void put_u64(struct cfg_buf *b, uint64_t v)
{
    unsigned char bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(v >> (8 * i));
    cfg_buf_append(b, bytes, 8);
}

static void put_i64(struct cfg_buf *b, int64_t v)
{
    put_u64(b, (uint64_t)v);
}

static void put_str(struct cfg_buf *b, const char *s)
{
    if (s == NULL) {
        put_i64(b, -1);
        return;
    }
    size_t n = strlen(s);
    put_u64(b, (uint64_t)n);
    cfg_buf_append(b, s, n);
}

int cfg_serialize(const struct cfg *c, unsigned char **buf, size_t *len)
{
    struct cfg_buf b;
    uint64_t bits;

    cfg_buf_init(&b);
    cfg_buf_append(&b, magic, sizeof magic);
    put_str(&b, c->cluster_id);
    put_str(&b, c->cluster_alias);
    put_str(&b, c->source_uuid);
    put_i64(&b, c->report_period_id);
    put_i64(&b, c->has_start_date);
    put_i64(&b, c->has_end_date);
    put_i64(&b, c->start_date);
    put_i64(&b, c->end_date);
    put_i64(&b, (int64_t)c->input_format);
    put_str(&b, c->input_path);
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        put_str(&b, c->tables[t]);
    put_u64(&b, (uint64_t)c->optional_tables);
    put_i64(&b, c->verify_crc);
    put_i64(&b, (int64_t)c->hdf5_driver);
    put_u64(&b, (uint64_t)c->n_tag_keys);
    for (size_t i = 0; i < c->n_tag_keys; i++)
        put_str(&b, c->tag_keys[i]);
    put_u64(&b, (uint64_t)c->n_cost_categories);
    for (size_t i = 0; i < c->n_cost_categories; i++) {
        put_str(&b, c->cost_categories[i].pattern);
        put_i64(&b, c->cost_categories[i].id);
    }
    put_u64(&b, (uint64_t)c->n_node_roles);
    for (size_t i = 0; i < c->n_node_roles; i++) {
        put_str(&b, c->node_roles[i].node);
        put_str(&b, c->node_roles[i].role);
    }
    put_i64(&b, c->threads);
    put_i64(&b, c->chunk_rows);
    put_i64(&b, c->window_rows);
    put_i64(&b, c->strict);
    put_i64(&b, c->steal_chunks);
    put_str(&b, c->output_path);
    put_i64(&b, (int64_t)c->output_format);
    put_str(&b, c->summary_path);
    put_i64(&b, c->output_partitioned);
    put_i64(&b, c->output_shared_write);
    memcpy(&bits, &c->progress_seconds, sizeof bits);
    put_u64(&b, bits);
    put_str(&b, c->source_name);
    /* output.postgres */
    put_str(&b, c->pg_conninfo);
    put_str(&b, c->pg_schema);
    put_str(&b, c->pg_table);
    put_i64(&b, c->pg_create_partitions);
    memcpy(&bits, &c->pg_lock_timeout_seconds, sizeof bits);
    put_u64(&b, bits);
    put_i64(&b, c->pg_report_period_auto);
    put_i64(&b, c->pg_has_report_period_id);
    put_i64(&b, c->pg_report_period_id);
    /* OCP on AWS */
    put_str(&b, c->aws_table);
    put_str(&b, c->aws_source_uuid);
    put_i64(&b, c->aws_has_bill_id);
    put_i64(&b, c->aws_bill_id);
    memcpy(&bits, &c->aws_markup_percent, sizeof bits);
    put_u64(&b, bits);
    put_str(&b, c->aws_tag_keys);
    put_i64(&b, c->aws_distribution_memory);
    put_str(&b, c->aws_account_aliases);
    put_str(&b, c->aws_output);
    if (!b.ok) {
        cfg_buf_release(&b);
        return OCP_ERR_OSERR;
    }
    *buf = b.data;
    *len = b.len;
    return OCP_OK;
}

/* A read cursor; bad is set by the first read that does not fit and
 * makes every later read return zero. */
struct reader {
    const unsigned char *p;
    size_t len, pos;
    int bad, oom;
};

static uint64_t get_u64(struct reader *r)
{
    uint64_t v = 0;
    if (r->bad || r->len - r->pos < 8) {
        r->bad = 1;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += 8;
    return v;
}

static int64_t get_i64(struct reader *r)
{
    uint64_t u = get_u64(r);
    int64_t v;
    memcpy(&v, &u, sizeof v); /* two's complement, without UB */
    return v;
}

/* An int64 that must lie in [lo, hi]. */
static int64_t get_ranged(struct reader *r, int64_t lo, int64_t hi)
{
    int64_t v = get_i64(r);
    if (v < lo || v > hi) {
        r->bad = 1;
        return lo;
    }
    return v;
}

static char *get_str(struct reader *r)
{
    int64_t n = get_i64(r);
    char *s;

    if (r->bad || n == -1)
        return NULL;
    if (n < 0 || (uint64_t)n > r->len - r->pos || memchr(r->p + r->pos, '\0', (size_t)n) != NULL) {
        r->bad = 1;
        return NULL;
    }
    s = cfg_strndup((const char *)r->p + r->pos, (size_t)n);
    if (s == NULL)
        r->oom = r->bad = 1;
    r->pos += (size_t)n;
    return s;
}

/* A list item's string, which may not be NULL. */
static char *get_item(struct reader *r)
{
    char *s = get_str(r);
    if (s == NULL)
        r->bad = 1;
    return s;
}

/* A list count, capped by what is left: each item takes at least
 * min_item bytes, so a damaged count cannot ask for a huge array. */
static size_t get_count(struct reader *r, size_t min_item)
{
    uint64_t n = get_u64(r);
    if (r->bad || n > (r->len - r->pos) / min_item) {
        r->bad = 1;
        return 0;
    }
    return (size_t)n;
}

static void read_all(struct reader *r, struct cfg *c)
{
    uint64_t bits;

    if (r->len < sizeof magic || memcmp(r->p, magic, sizeof magic) != 0) {
        r->bad = 1;
        return;
    }
    r->pos = sizeof magic;
    c->cluster_id = get_str(r);
    c->cluster_alias = get_str(r);
    c->source_uuid = get_str(r);
    c->report_period_id = get_i64(r);
    c->has_start_date = (int)get_ranged(r, 0, 1);
    c->has_end_date = (int)get_ranged(r, 0, 1);
    c->start_date = (int32_t)get_ranged(r, INT32_MIN, INT32_MAX);
    c->end_date = (int32_t)get_ranged(r, INT32_MIN, INT32_MAX);
    c->input_format = (enum cfg_input_format)get_ranged(r, 0, 1);
    c->input_path = get_str(r);
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        c->tables[t] = get_str(r);
    c->optional_tables = (unsigned)get_ranged(r, 0, (INT64_C(1) << OCP_TABLE_COUNT) - 2);
    c->verify_crc = (int)get_ranged(r, 0, 1);
    c->hdf5_driver = (enum cfg_hdf5_driver)get_ranged(r, 0, CFG_H5_MPIO_COLLECTIVE);
    c->n_tag_keys = get_count(r, 8);
    if (c->n_tag_keys > 0) {
        c->tag_keys = calloc(c->n_tag_keys, sizeof *c->tag_keys);
        if (c->tag_keys == NULL) {
            c->n_tag_keys = 0;
            r->oom = r->bad = 1;
        }
        c->tag_keys_cap = c->n_tag_keys;
        for (size_t i = 0; i < c->n_tag_keys; i++)
            c->tag_keys[i] = get_item(r);
    }
    c->n_cost_categories = get_count(r, 16);
    if (c->n_cost_categories > 0) {
        c->cost_categories = calloc(c->n_cost_categories, sizeof *c->cost_categories);
        if (c->cost_categories == NULL) {
            c->n_cost_categories = 0;
            r->oom = r->bad = 1;
        }
        c->cost_categories_cap = c->n_cost_categories;
        for (size_t i = 0; i < c->n_cost_categories; i++) {
            c->cost_categories[i].pattern = get_item(r);
            c->cost_categories[i].id = get_i64(r);
        }
    }
    c->n_node_roles = get_count(r, 16);
    if (c->n_node_roles > 0) {
        c->node_roles = calloc(c->n_node_roles, sizeof *c->node_roles);
        if (c->node_roles == NULL) {
            c->n_node_roles = 0;
            r->oom = r->bad = 1;
        }
        c->node_roles_cap = c->n_node_roles;
        for (size_t i = 0; i < c->n_node_roles; i++) {
            c->node_roles[i].node = get_item(r);
            c->node_roles[i].role = get_item(r);
        }
    }
    c->threads = (int)get_ranged(r, 0, CFG_THREADS_MAX);
    c->chunk_rows = get_i64(r);
    c->window_rows = get_ranged(r, 0, INT64_MAX / 1024);
    c->strict = (int)get_ranged(r, 0, 1);
    c->steal_chunks = (int)get_ranged(r, 0, 1);
    c->output_path = get_str(r);
    c->output_format = (enum cfg_output_format)get_ranged(r, 0, 2);
    c->summary_path = get_str(r);
    c->output_partitioned = (int)get_ranged(r, 0, 1);
    c->output_shared_write = (int)get_ranged(r, 0, 1);
    bits = get_u64(r);
    memcpy(&c->progress_seconds, &bits, sizeof bits);
    c->source_name = get_str(r);
    /* output.postgres */
    c->pg_conninfo = get_str(r);
    c->pg_schema = get_str(r);
    c->pg_table = get_str(r);
    c->pg_create_partitions = (int)get_ranged(r, 0, 1);
    bits = get_u64(r);
    memcpy(&c->pg_lock_timeout_seconds, &bits, sizeof bits);
    c->pg_report_period_auto = (int)get_ranged(r, 0, 1);
    c->pg_has_report_period_id = (int)get_ranged(r, 0, 1);
    c->pg_report_period_id = get_i64(r);
    /* OCP on AWS */
    c->aws_table = get_str(r);
    c->aws_source_uuid = get_str(r);
    c->aws_has_bill_id = (int)get_ranged(r, 0, 1);
    c->aws_bill_id = get_i64(r);
    bits = get_u64(r);
    memcpy(&c->aws_markup_percent, &bits, sizeof bits);
    c->aws_tag_keys = get_str(r);
    c->aws_distribution_memory = (int)get_ranged(r, 0, 1);
    c->aws_account_aliases = get_str(r);
    c->aws_output = get_str(r);
    if (r->pos != r->len)
        r->bad = 1;
}

int cfg_deserialize(struct cfg *c, const unsigned char *buf, size_t len, struct ocp_error *err)
{
    struct reader r = {buf, len, 0, 0, 0};
    struct cfg tmp;

    /* Fill a fresh struct and swap it in only when the whole buffer read
     * cleanly, so c is never left half replaced. */
    memset(&tmp, 0, sizeof tmp);
    read_all(&r, &tmp);
    if (r.bad) {
        cfg_release(&tmp);
        if (r.oom)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                                 "out of memory reading the broadcast config");
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "the broadcast config is damaged (%zu bytes)", len);
    }
    cfg_release(c);
    *c = tmp;
    return OCP_OK;
}
