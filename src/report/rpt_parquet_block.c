/*
 * rpt_parquet_block.c - the day block of a Parquet report: a day's rows
 * encoded into a compact self-contained block (rpt_pq_encode) on the rank
 * that owns the day, and decoded back into rows on rank 0.  Its own file
 * because the byte layout is one idea, apart from the Parquet file the
 * decoded rows go into (rpt_parquet.c).
 *
 * Block layout (all integers little-endian; a block is untrusted input and
 * every length is checked against its size):
 *   "RPQ1", u64 row count, then per row:
 *   uuid: 37 bytes (NUL-terminated within them); i32 usage_day;
 *   u8 flags (1 storage, 2 infrastructure cost, 4 cost category);
 *   i32 cost_category_id; u32 mask of non-NULL numbers, then 8 bytes per
 *   non-NULL number (IEEE bits); 10 strings, each u8 0 (NULL) or 1 and
 *   the bytes with a terminating NUL.
 */
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define PQ_MAGIC "RPQ1"
#define PQ_HEAD 12
/* The smallest encoded row: uuid, day, flags, category, mask, 10 tags. */
#define MIN_ROW (37 + 4 + 1 + 4 + 4 + 10)
#define NSTR 10

enum { F_STORAGE = 1, F_INFRA = 2, F_CATEGORY = 4 };

const char *rpt_pq_row_str(const struct rpt_row *r, int which)
{
    switch (which) {
    case RPT_S_NAMESPACE: return r->namespace_;
    case RPT_S_NODE: return r->node;
    case RPT_S_RESOURCE: return r->resource_id;
    case RPT_S_POD_LABELS: return r->pod_labels;
    case RPT_S_PVC: return r->pvc;
    case RPT_S_PV: return r->pv;
    case RPT_S_SC: return r->storageclass;
    case RPT_S_VOL_LABELS: return r->volume_labels;
    case RPT_S_ALL_LABELS: return r->all_labels;
    default: return r->csi_volume_handle;
    }
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

int rpt_pq_encode(const struct rpt_table *t, size_t from, size_t to, const struct rpt_meta *meta,
                  struct rpt_buf *out, struct ocp_error *err)
{
    unsigned char head[PQ_HEAD];
    size_t r;

    if (meta->report_period_id < INT32_MIN || meta->report_period_id > INT32_MAX)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "report_period_id",
                             "%lld does not fit the INT column", (long long)meta->report_period_id);
    memcpy(head, PQ_MAGIC, 4);
    put_u64(head + 4, (uint64_t)(to - from));
    if (rpt_buf_append(out, head, sizeof head) != 0)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    for (r = from; r < to; r++) {
        const struct rpt_row *row = &t->rows[r];
        unsigned char fixed[37 + 4 + 1 + 4 + 4], *p;
        uint32_t mask = 0;
        size_t room = sizeof fixed + 8 * RPT_NUM_COUNT, start;
        int k;

        if (row->has_cost_category &&
            (row->cost_category_id < INT32_MIN || row->cost_category_id > INT32_MAX))
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "cost_category_id",
                                 "%lld does not fit the INT column",
                                 (long long)row->cost_category_id);
        for (k = 0; k < NSTR; k++) {
            const char *s = rpt_pq_row_str(row, k);
            room += 1 + (s != NULL ? strlen(s) + 1 : 0);
        }
        start = out->len;
        if (rpt_buf_append(out, NULL, room) != 0)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        p = (unsigned char *)out->data + start;
        memcpy(p, row->uuid, 36);
        p[36] = '\0';
        p += 37;
        put_u32(p, (uint32_t)row->usage_day);
        p[4] = (unsigned char)((row->source == RPT_SOURCE_STORAGE ? F_STORAGE : 0) |
                               (row->has_infra_cost ? F_INFRA : 0) |
                               (row->has_cost_category ? F_CATEGORY : 0));
        put_u32(p + 5, (uint32_t)(int32_t)(row->has_cost_category ? row->cost_category_id : 0));
        for (k = 0; k < RPT_NUM_COUNT; k++)
            if (!isnan(row->num[k]))
                mask |= (uint32_t)1 << k;
        put_u32(p + 9, mask);
        p += 13;
        for (k = 0; k < RPT_NUM_COUNT; k++) {
            uint64_t bits;
            if (!(mask & ((uint32_t)1 << k)))
                continue;
            memcpy(&bits, &row->num[k], 8);
            put_u64(p, bits);
            p += 8;
        }
        for (k = 0; k < NSTR; k++) {
            const char *s = rpt_pq_row_str(row, k);
            if (s == NULL) {
                *p++ = 0;
            } else {
                size_t n = strlen(s) + 1;
                *p++ = 1;
                memcpy(p, s, n);
                p += n;
            }
        }
        out->len = (size_t)((char *)p - out->data);
    }
    return OCP_OK;
}

int rpt_pq_cursor_start(struct rpt_pq_cursor *c, const unsigned char *block, size_t len,
                        struct ocp_error *err)
{
    if (len < PQ_HEAD || memcmp(block, PQ_MAGIC, 4) != 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "not a Parquet report block (%zu bytes)", len);
    c->data = block;
    c->len = len;
    c->pos = PQ_HEAD;
    c->left = get_u64(block + 4);
    /* The count is checked against the bytes before anything is sized by it. */
    if (c->left > (len - PQ_HEAD) / MIN_ROW)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "report block claims %llu rows in %zu bytes",
                             (unsigned long long)c->left, len);
    return OCP_OK;
}

static const char *take_str(struct rpt_pq_cursor *c, int *ok)
{
    const unsigned char *nul;
    const char *s;

    if (c->pos >= c->len) {
        *ok = 0;
        return NULL;
    }
    if (c->data[c->pos++] == 0)
        return NULL;
    nul = memchr(c->data + c->pos, 0, c->len - c->pos);
    if (nul == NULL) {
        *ok = 0;
        return NULL;
    }
    s = (const char *)c->data + c->pos;
    c->pos = (size_t)(nul - c->data) + 1;
    return s;
}

/* Decodes the next row into r (strings point into the block). */
int rpt_pq_decode_row(struct rpt_pq_cursor *c, struct rpt_row *r, struct ocp_error *err)
{
    const unsigned char *p;
    uint32_t mask;
    int k, ok = 1, flags;
    const char *strs[NSTR];

    if (c->len - c->pos < MIN_ROW - NSTR)
        goto bad;
    p = c->data + c->pos;
    if (memchr(p, 0, 37) == NULL)
        goto bad;
    memset(r, 0, sizeof *r);
    memcpy(r->uuid, p, 37);
    p += 37;
    r->usage_day = (int32_t)get_u32(p);
    flags = p[4];
    r->source = flags & F_STORAGE ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
    r->has_infra_cost = (flags & F_INFRA) != 0;
    r->has_cost_category = (flags & F_CATEGORY) != 0;
    r->cost_category_id = (int32_t)get_u32(p + 5);
    mask = get_u32(p + 9);
    if (mask >> RPT_NUM_COUNT)
        goto bad;
    c->pos += 37 + 13;
    for (k = 0; k < RPT_NUM_COUNT; k++) {
        uint64_t bits;
        if (!(mask & ((uint32_t)1 << k))) {
            r->num[k] = NAN;
            continue;
        }
        if (c->len - c->pos < 8)
            goto bad;
        bits = get_u64(c->data + c->pos);
        memcpy(&r->num[k], &bits, 8);
        c->pos += 8;
    }
    for (k = 0; k < NSTR; k++)
        strs[k] = take_str(c, &ok);
    if (!ok)
        goto bad;
    r->namespace_ = strs[RPT_S_NAMESPACE];
    r->node = strs[RPT_S_NODE];
    r->resource_id = strs[RPT_S_RESOURCE];
    r->pod_labels = strs[RPT_S_POD_LABELS];
    r->pvc = strs[RPT_S_PVC];
    r->pv = strs[RPT_S_PV];
    r->storageclass = strs[RPT_S_SC];
    r->volume_labels = strs[RPT_S_VOL_LABELS];
    r->all_labels = strs[RPT_S_ALL_LABELS];
    r->csi_volume_handle = strs[RPT_S_CSI];
    c->left--;
    return OCP_OK;
bad:
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                         "truncated or corrupt report block at byte %zu", c->pos);
}
