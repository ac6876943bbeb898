/* rpt_csv.c - the report as CSV for PostgreSQL COPY ... CSV HEADER.
 *
 * NULL is an unquoted empty field; every non-NULL string is quoted, so an
 * empty string ("") stays distinguishable from NULL.  Rows are formatted
 * into memory buffers, so the days' owners format their blocks in
 * parallel; rpt_stream.c writes them (and holds rpt_write_csv). */
#include "ocpagg/mem.h"
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
    if (b->before_move != NULL && b->data != NULL)
        b->before_move(b->move_ctx);
    free(b->data);
    memset(b, 0, sizeof *b);
}

int rpt_buf_reserve(struct rpt_buf *b, size_t extra)
{
    if (b->len + extra > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 65536;
        char *nd;
        while (ncap < b->len + extra)
            ncap *= 2;
        if (b->before_move != NULL && b->data != NULL)
            b->before_move(b->move_ctx);
        if (b->len == 0) {
            /* Nothing to keep: realloc would copy the old block whole
             * (tens of MB for a day's text buffer) into fresh pages. */
            free(b->data);
            b->data = NULL;
            b->cap = 0;
            nd = malloc(ncap);
        } else {
            nd = realloc(b->data, ncap);
        }
        if (nd == NULL)
            return -1;
        b->data = nd;
        b->cap = ncap;
        b->populated = b->len; /* what a copy wrote; a fresh block has none */
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

/* Room for a quoted field of n bytes: every byte doubled at worst. */
static size_t room_n(const char *s, size_t n)
{
    return s == NULL ? 0 : 2 * n + 2;
}

size_t rpt_csv_field_room(const char *s)
{
    return s == NULL ? 0 : room_n(s, strlen(s));
}

/* A quoted field of n bytes, doubling each '"' (a field without one is
 * copied whole).  Room was reserved beforehand. */
static void add_str_n(struct rpt_buf *b, const char *s, size_t n)
{
    char *d;
    const char *end;

    if (s == NULL)
        return;
    d = b->data + b->len;
    *d++ = '"';
    if (memchr(s, '"', n) == NULL) {
        memcpy(d, s, n);
        d += n;
    } else {
        for (end = s + n; s < end; s++) {
            *d++ = *s;
            if (*s == '"')
                *d++ = '"';
        }
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
}

void rpt_csv_add_field(struct rpt_buf *b, const char *s)
{
    if (s != NULL)
        add_str_n(b, s, strlen(s));
}

/* The field just written at [from, to) again (rows repeat their label
 * text: all_labels is pod_labels or volume_labels). */
static void add_again(struct rpt_buf *b, size_t from, size_t to)
{
    memcpy(b->data + b->len, b->data + from, to - from);
    b->len += to - from;
}

/* The last value printed in each numeric column and where its text is in
 * the output: capacity columns repeat across all rows of a node and day,
 * so most of them are copied from the previous row instead of formatted
 * again.  A new value is formatted straight into the output. */
struct num_cache {
    double value[RPT_NUM_COUNT];
    size_t off[RPT_NUM_COUNT];
    size_t len[RPT_NUM_COUNT];
};

/* Besides the previous row's value, each column keeps the texts of the
 * values it printed lately in a small table by value: requests and
 * limits come in a few sizes and recur, not in consecutive rows, and a
 * node's capacity recurs as the rows go back and forth between nodes (on
 * the 16 M set 44 % of the numbers repeat the previous row and another
 * 25 % of them are found here: about 37 % fewer numbers to format).  A
 * column whose values do not recur (usage) stops looking after a while. */
#define SET_BITS 7
#define SET_SIZE (1u << SET_BITS)
/* Lookups of a column after which it must have found this many. */
#define SET_PROBE 256u
#define SET_PROBE_HITS 16u

/* A value's text: 32 bytes so a copy has one constant length (the row's
 * room has 32 for each number); the last byte holds the text's length
 * (at most 25; 0: the slot is empty). */
struct num_slot {
    uint64_t bits;
    char text[32];
};

struct num_set {
    struct num_slot slot[RPT_NUM_COUNT][SET_SIZE];
    uint32_t tries[RPT_NUM_COUNT], hits[RPT_NUM_COUNT];
    unsigned char off[RPT_NUM_COUNT]; /* 1: the column no longer looks */
};

/* The slot of a value's bits (Fibonacci hashing: the top bits of the
 * product mix all of them). */
static size_t set_index(uint64_t bits)
{
    return (size_t)((bits * 0x9E3779B97F4A7C15ull) >> (64 - SET_BITS));
}

static void add_num(struct rpt_buf *b, struct num_cache *c, struct num_set *s, int col, double v)
{
    struct num_slot *sl = NULL;
    uint64_t bits;

    if (isnan(v))
        return;
    if (c->len[col] != 0 && memcmp(&c->value[col], &v, sizeof v) == 0) {
        /* 32 bytes, a copy of constant length: the row's room has 32 for
         * each number (and a text is at most 25 long); the source, a
         * whole row back, never overlaps it.  len moves by the text's. */
        memcpy(b->data + b->len, b->data + c->off[col], 32);
        b->len += c->len[col];
        return;
    }
    c->off[col] = b->len;
    c->value[col] = v;
    if (s != NULL && !s->off[col]) {
        memcpy(&bits, &v, sizeof bits);
        sl = &s->slot[col][set_index(bits)];
        if (sl->text[31] != 0 && sl->bits == bits) {
            memcpy(b->data + b->len, sl->text, 32);
            c->len[col] = (size_t)(unsigned char)sl->text[31];
            b->len += c->len[col];
            s->hits[col]++;
            return;
        }
        if (++s->tries[col] == SET_PROBE && s->hits[col] < SET_PROBE_HITS)
            s->off[col] = 1;
    }
    c->len[col] = rpt_format_double(v, b->data + b->len);
    if (sl != NULL) {
        sl->bits = bits;
        memcpy(sl->text, b->data + b->len, 32);
        sl->text[31] = (char)c->len[col];
    }
    b->len += c->len[col];
}

/* Rows ahead of the one being written whose label text is loaded: sorted
 * rows take their label texts from all over the partial's memory, and
 * the copy of each one waited for it (the largest part of the encoding's
 * time). */
#define LABEL_AHEAD 8
/* The most lines of a label text loaded ahead (a longer text's rest
 * follows the hardware's own prefetching). */
#define LABEL_LINES 8

/* Asks for the first lines of a row's label text (pre-quoted, or plain). */
static void prefetch_labels(const struct rpt_row *row)
{
    const char *s = row->all_labels_csv;
    size_t n = row->all_labels_csv_len;

    if (s == NULL) {
        s = row->all_labels;
        n = 256; /* unknown without a strlen: a typical length */
    }
    if (s == NULL)
        return;
    ocp_mem_prefetch(s, n < 64 * LABEL_LINES ? n : 64 * LABEL_LINES);
}

/* The most rpt_csv_rows reserves ahead of the rows it writes. */
#define GUESS_MAX ((size_t)1 << 30)

/* About how long a row's line is (its strings, quoted, and typical
 * numbers; the constant fields apart): to size a block's buffer. */
static size_t line_estimate(const struct rpt_row *row)
{
    size_t n = 256;
    n += row->namespace_ ? strlen(row->namespace_) : 0;
    n += row->node ? strlen(row->node) : 0;
    n += row->resource_id ? strlen(row->resource_id) : 0;
    if (row->all_labels_csv != NULL)
        n += 2 * row->all_labels_csv_len;
    else
        n += 2 * (row->all_labels ? strlen(row->all_labels) : 0);
    return n;
}

size_t rpt_csv_row_key_room(const struct rpt_row *row)
{
    return 48 + rpt_csv_field_room(row->namespace_) + rpt_csv_field_room(row->node) +
           rpt_csv_field_room(row->resource_id);
}

/* A field and the comma after it. */
static void add_field_c(struct rpt_buf *b, const char *s)
{
    rpt_csv_add_field(b, s);
    add_c(b, ',');
}

void rpt_csv_add_row_key(struct rpt_buf *b, const struct rpt_row *row)
{
    char day[11];

    txt_format_date(row->usage_day, day);
    if (row->source == RPT_SOURCE_POD)
        add(b, ",Pod,", 5);
    else
        add(b, ",Storage,", 9);
    add(b, day, 10);
    add_c(b, ',');
    add(b, day, 10);
    add_c(b, ',');
    add_field_c(b, row->namespace_);
    add_field_c(b, row->node);
    add_field_c(b, row->resource_id);
}

void rpt_csv_add_volume_key(struct rpt_buf *b, const struct rpt_row *row)
{
    add_c(b, ',');
    add_field_c(b, row->pvc);
    add_field_c(b, row->pv);
    add_field_c(b, row->storageclass);
}

/* The text of a row from after its uuid to its pod_labels field: the
 * constant head (",period,cluster,alias") and the row's key fields
 * (rpt_csv_add_row_key).  Replaces what pre held; 0, or -1 when out of
 * memory. */
static int make_prefix(struct rpt_buf *pre, const struct rpt_buf *head, const struct rpt_row *row)
{
    pre->len = 0;
    if (rpt_buf_reserve(pre, head->len + rpt_csv_row_key_room(row)) != 0)
        return -1;
    add(pre, head->data, head->len);
    rpt_csv_add_row_key(pre, row);
    return 0;
}

int rpt_csv_header(struct rpt_buf *out)
{
    size_t i;
    for (i = 0; rpt_column_names[i] != NULL; i++) {
        size_t n = strlen(rpt_column_names[i]);
        if (rpt_buf_reserve(out, n + 2) != 0)
            return OCP_ERR_OSERR;
        if (i > 0)
            add_c(out, ',');
        add(out, rpt_column_names[i], n);
    }
    if (rpt_buf_reserve(out, 1) != 0)
        return OCP_ERR_OSERR;
    add_c(out, '\n');
    return OCP_OK;
}

int rpt_csv_rows(const struct rpt_table *t, const struct rpt_meta *meta, size_t from, size_t to,
                 struct rpt_buf *out)
{
    char cc_text[24];
    size_t cc_len = 0;
    int64_t cc_id = 0;
    /* The row's text from after the uuid to its pod_labels: the same
     * for all rows of a (day, source, namespace, node, resource_id),
     * which sorted rows come in runs of, so it is made once per run and
     * copied whole (one copy instead of a dozen small ones). */
    const char *pre_ns = NULL, *pre_node = NULL, *pre_rid = NULL;
    int32_t pre_day = 0;
    enum rpt_source pre_src = RPT_SOURCE_POD;
    struct rpt_buf head = {0}, tail = {0}, pre = {0};
    size_t r;
    struct num_cache cache;
    /* Without memory for it the numbers are only formatted more often. */
    struct num_set *set = malloc(sizeof *set);
    int i, rc = OCP_OK;

    /* The constant fields, quoted once: ",period,"cluster","alias"" after
     * the uuid, and the source uuid with the infrastructure cost text. */
    if (rpt_buf_reserve(&head, 64 + rpt_csv_field_room(meta->cluster_id) +
                                   rpt_csv_field_room(meta->cluster_alias)) != 0 ||
        rpt_buf_reserve(&tail, 8 + rpt_csv_field_room(meta->source_uuid) +
                                   rpt_csv_field_room(rpt_infra_cost_text)) != 0) {
        rc = OCP_ERR_OSERR;
        goto done;
    }
    head.len = (size_t)snprintf(head.data, 32, ",%" PRId64 ",", meta->report_period_id);
    add_field_c(&head, meta->cluster_id);
    rpt_csv_add_field(&head, meta->cluster_alias);
    add_field_c(&tail, meta->source_uuid);
    /* Room for the whole block at once, guessed from a few rows, so a
     * large day does not grow the buffer by doubling (each time copying
     * and faulting in what was written).  Only a guess: capped, and when
     * it cannot be had the rows grow the buffer as they go (the check
     * per row stays), so a poor guess never fails the encoding. */
    if (to > from) {
        size_t probe = to - from < 64 ? to - from : 64, guess = 0;
        for (r = from; r < from + probe; r++)
            guess += line_estimate(&t->rows[r]);
        guess = guess / probe * (to - from);
        guess += guess / 8 + head.len * (to - from);
        if (guess > GUESS_MAX)
            guess = GUESS_MAX;
        (void)rpt_buf_reserve(out, guess);
        /* The block's pages, fresh the first time a buffer this large
         * is filled, faulted in a step at a time (mem.h). */
        ocp_mem_populate_ahead(out->data, &out->populated, out->len + guess, out->cap);
    }
    {
        size_t no_cost = tail.len;
        rpt_csv_add_field(&tail, rpt_infra_cost_text);
        /* tail[0, no_cost) without the cost, tail[0, len) with it */
        memset(&cache, 0, sizeof cache);
        if (set != NULL)
            memset(set, 0, sizeof *set);
        for (r = from; r < to; r++) {
            const struct rpt_row *row = &t->rows[r];
            if (r + LABEL_AHEAD < to)
                prefetch_labels(&t->rows[r + LABEL_AHEAD]);
            /* Each string's length once: for the room and the copy. */
            /* A label field given pre-quoted (all_labels_csv) is copied
             * for each of pod_labels, volume_labels, all_labels it is. */
            const char *lq = row->all_labels_csv;
            int pl_q = lq != NULL && row->pod_labels == row->all_labels,
                vl_q = lq != NULL && row->volume_labels == row->all_labels;
            size_t l_pl = row->pod_labels && !pl_q ? strlen(row->pod_labels) : 0,
                   l_vl = row->volume_labels && !vl_q ? strlen(row->volume_labels) : 0;
            size_t room;
            /* The strings are the partial's, one pointer per text: a
             * run ends where a pointer (or the day or source) changes. */
            if (r == from || row->namespace_ != pre_ns || row->node != pre_node ||
                row->resource_id != pre_rid || row->usage_day != pre_day ||
                row->source != pre_src) {
                if (make_prefix(&pre, &head, row) != 0) {
                    rc = OCP_ERR_OSERR;
                    goto done;
                }
                pre_ns = row->namespace_;
                pre_node = row->node;
                pre_rid = row->resource_id;
                pre_day = row->usage_day;
                pre_src = row->source;
            }
            room = 128 + pre.len + tail.len + 32 * RPT_NUM_COUNT + room_n(row->pod_labels, l_pl) +
                   rpt_csv_field_room(row->pvc) + rpt_csv_field_room(row->pv) +
                   rpt_csv_field_room(row->storageclass) + room_n(row->volume_labels, l_vl) +
                   (lq != NULL ? 3 * row->all_labels_csv_len
                    : row->all_labels == row->pod_labels || row->all_labels == row->volume_labels
                        ? 0
                        : rpt_csv_field_room(row->all_labels)) +
                   rpt_csv_field_room(row->csi_volume_handle);
            size_t pl0, pl1, vl0, vl1;
            if (rpt_buf_reserve(out, room) != 0) {
                rc = OCP_ERR_OSERR;
                goto done;
            }
            add(out, row->uuid, 36);
            add(out, pre.data, pre.len);
            pl0 = out->len;
            if (pl_q)
                add(out, lq, row->all_labels_csv_len);
            else
                add_str_n(out, row->pod_labels, l_pl);
            pl1 = out->len;
            for (i = RPT_POD_USAGE_CPU_HOURS; i <= RPT_CLUSTER_CAP_MEM_GBH; i++) {
                add_c(out, ',');
                add_num(out, &cache, set, i, row->num[i]);
            }
            rpt_csv_add_volume_key(out, row);
            vl0 = out->len;
            if (vl_q)
                add(out, lq, row->all_labels_csv_len);
            else
                add_str_n(out, row->volume_labels, l_vl);
            vl1 = out->len;
            add_c(out, ',');
            if (lq != NULL && row->all_labels != NULL)
                add(out, lq, row->all_labels_csv_len);
            else if (row->all_labels != NULL && row->all_labels == row->pod_labels)
                add_again(out, pl0, pl1);
            else if (row->all_labels != NULL && row->all_labels == row->volume_labels)
                add_again(out, vl0, vl1);
            else
                rpt_csv_add_field(out, row->all_labels);
            for (i = RPT_PVC_CAP_GB; i <= RPT_PVC_USAGE_GB_MONTHS; i++) {
                add_c(out, ',');
                add_num(out, &cache, set, i, row->num[i]);
            }
            add_c(out, ',');
            add(out, tail.data, row->has_infra_cost ? tail.len : no_cost);
            add_c(out, ',');
            add_field_c(out, row->csi_volume_handle);
            if (row->has_cost_category) {
                /* Rows of a namespace share their category: print it
                 * again only when it changes. */
                if (cc_len == 0 || row->cost_category_id != cc_id) {
                    cc_len = (size_t)snprintf(cc_text, sizeof cc_text, "%" PRId64,
                                              row->cost_category_id);
                    cc_id = row->cost_category_id;
                }
                add(out, cc_text, cc_len);
            }
            add_c(out, '\n');
        }
    }
done:
    free(set);
    rpt_buf_release(&pre);
    rpt_buf_release(&head);
    rpt_buf_release(&tail);
    return rc;
}
