/* agg_add.c - adding a batch's rows to a partial (agg_partial_add): the
 * batch's string and label ids mapped into the partial's pool through
 * lazy dictionary maps; pod rows resolved a few rows ahead, found through
 * a per-pod memo of their last group, summed exactly, with capacity taken
 * per (node, interval) and volume nodes logged for a batched insert.  The
 * pod loop is the program's hot loop and keeps its per-row helpers inline
 * in this one translation unit; the small label and storage tables are
 * agg_add_tables.c. */
#include "engine/agg_add_internal.h"
#include "ocpagg/mem.h"
#include "ocpagg/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepares the lazy map of a string column's dictionary into the pool.
 * A dictionary with the serial of the last one is the same dictionary,
 * perhaps grown (a Parquet file's lasting dictionary: entries are only
 * appended), so the ids mapped so far stay and only new entries start
 * unmapped. */
static int dict_map_prepare(struct dict_map *m, const struct ocp_strdict *d)
{
    uint32_t keep;

    if (d == NULL)
        return OCP_OK;
    if (m->ids != NULL && m->serial == d->serial && m->count == d->count)
        return OCP_OK;
    keep = m->ids != NULL && m->serial == d->serial && d->count > m->count ? m->count : 0;
    if (m->cap < d->count || m->ids == NULL) {
        size_t ncap = (size_t)m->cap * 2;
        uint32_t *ids;
        if (ncap < (size_t)d->count + 1)
            ncap = (size_t)d->count + 1;
        ids = realloc(m->ids, ncap * sizeof *ids);
        if (ids == NULL)
            return OCP_ERR_OSERR;
        m->ids = ids;
        m->cap = (uint32_t)(ncap - 1 < UINT32_MAX ? ncap - 1 : UINT32_MAX);
    }
    memset(m->ids + keep, 0xff, (size_t)(d->count - keep) * sizeof *m->ids);
    m->serial = d->serial;
    m->count = d->count;
    return OCP_OK;
}

static int prepare_maps(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err)
{
    const struct ocp_tablespec *spec = ocp_table_spec(b->table);
    int c;

    for (c = 0; c < spec->ncols; c++) {
        const struct ocp_column *col = &b->col[c];
        if (spec->cols[c].kind != OCP_KIND_STRING && spec->cols[c].kind != OCP_KIND_LABELS)
            continue;
        if (!col->present || col->str.ids == NULL)
            continue;
        if (col->str.dict == NULL)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, spec->cols[c].name,
                                 "string column without a dictionary");
        if (dict_map_prepare(&p->maps[b->table][c], col->str.dict) != OCP_OK)
            return agg_oom(err);
    }
    return OCP_OK;
}

/* PostgreSQL's greatest(): the larger non-NULL value, NULL when both are. */
static inline double greatest(double a, double b)
{
    if (isnan(a))
        return b;
    if (isnan(b))
        return a;
    return a > b ? a : b;
}

int agg_add_range_error(const struct agg_partial *p, const struct ocp_batch *b, size_t r,
                        int32_t day, uint32_t ns, uint32_t node, struct ocp_error *err)
{
    const struct ocp_tablespec *spec = ocp_table_spec(b->table);
    const char *ns_s = pool_str(&p->pool, ns), *node_s = pool_str(&p->pool, node);
    char date[11], where[300];
    int c;

    txt_format_date(day, date);
    if (node_s != NULL && node_s[0] != '\0')
        snprintf(where, sizeof where, "day %s, node '%.100s', namespace '%.100s'", date, node_s,
                 ns_s != NULL ? ns_s : "");
    else
        snprintf(where, sizeof where, "day %s, namespace '%.100s'", date, ns_s != NULL ? ns_s : "");
    for (c = 0; c < spec->ncols; c++) {
        double v;
        if (spec->cols[c].kind != OCP_KIND_NUMBER || !b->col[c].present || b->col[c].num == NULL)
            continue;
        v = b->col[c].num[r];
        if (isinf(v))
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, spec->cols[c].name,
                                 "infinite value (%s); numbers must be finite or NULL", where);
        if (fabs(v) >= 0x1p90)
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, spec->cols[c].name,
                                 "value %.6g is 2^90 (1.2e27) or more, beyond the "
                                 "exactly summed range (%s)",
                                 v, where);
    }
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1,
                         b->table == OCP_TABLE_POD ? "pod usage" : "storage usage",
                         "a sum exceeds 2^95 (4.0e28), the exactly summed range (%s)", where);
}

int agg_add_day_error(int64_t ts, struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start",
                         "timestamp %lld us lies outside the years 0001 to 9999 (a wrong "
                         "time unit?)",
                         (long long)ts);
}

int agg_add_no_interval(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start", "column is missing");
}

/* The pod column's pool id names a memo (struct pod_memo, indexed by pool
 * id): the pod's last group and volume node.  A pod's rows repeat hour
 * after hour with the same namespace, node, labels and resource id, so a
 * row usually finds its group entry there (one compare, no hash) and adds
 * no volume node; any difference falls back to the tables.  Memos hold
 * entry indexes, which never move (entries are only appended). */
static int memo_reserve(struct agg_partial *p, uint32_t n)
{
    struct pod_memo *m;
    uint32_t ncap;

    if (n <= p->memo_cap)
        return OCP_OK;
    ncap = p->memo_cap ? p->memo_cap : 1024;
    while (ncap < n)
        ncap = ncap > UINT32_MAX / 2 ? n : ncap * 2;
    m = realloc(p->memo, (size_t)ncap * sizeof *m);
    if (m == NULL)
        return OCP_ERR_OSERR;
    ocp_mem_advise_huge(m, (size_t)ncap * sizeof *m); /* a pod's memo: at random */
    agg_memo_forget(m, p->memo_cap, ncap);
    p->memo = m;
    p->memo_cap = ncap;
    return OCP_OK;
}

/* Room for n cap_acc slots, all not live. */
static int cap_acc_reserve(struct agg_partial *p, uint32_t n)
{
    struct cap_acc *a;
    uint32_t *l;

    if (n <= p->cap_acc_cap)
        return OCP_OK;
    a = realloc(p->cap_acc, (size_t)n * sizeof *a);
    if (a == NULL)
        return OCP_ERR_OSERR;
    p->cap_acc = a;
    l = realloc(p->cap_live, (size_t)n * sizeof *l);
    if (l == NULL)
        return OCP_ERR_OSERR;
    p->cap_live = l;
    memset(a + p->cap_acc_cap, 0, (size_t)(n - p->cap_acc_cap) * sizeof *a);
    p->cap_acc_cap = n;
    return OCP_OK;
}

/* Moves the nlive live cap_acc slots, all of interval ts, into caps, in
 * the order they were first seen (so caps entries are created in the
 * order of their first rows, as when each row went to caps).  A maximum
 * of maxima is the maximum, and an equal value never replaces the one
 * kept, as row by row. */
/* Keys hashed and their slots loaded this many entries ahead by the
 * flushes below: each upsert of a new interval's node or a day's volume
 * node probes a random slot, which waited for memory (three quarters of
 * cap_flush's and vn_flush's samples). */
#define FLUSH_AHEAD 8

static inline void cap_key_of(struct cap_key *ck, const struct cap_acc *a, int64_t ts)
{
    ck->node = a->node;
    ck->zero = 0;
    ck->ts = ts;
}

static int cap_flush(struct agg_partial *p, int64_t ts, uint32_t nlive)
{
    uint32_t i, hash[FLUSH_AHEAD];
    int created;

    for (i = 0; i < nlive && i < FLUSH_AHEAD; i++) {
        struct cap_key ck;
        cap_key_of(&ck, &p->cap_acc[p->cap_live[i]], ts);
        hash[i] = hmap_hash(&ck, sizeof ck);
        hmap_prefetch(&p->caps, hash[i]);
    }
    for (i = 0; i < nlive; i++) {
        struct cap_acc *a = &p->cap_acc[p->cap_live[i]];
        struct cap_key ck;
        struct cap_val src;
        uint32_t h = hash[i % FLUSH_AHEAD];
        size_t e;
        if (i + FLUSH_AHEAD < nlive) {
            struct cap_key ahead;
            uint32_t ha;
            cap_key_of(&ahead, &p->cap_acc[p->cap_live[i + FLUSH_AHEAD]], ts);
            ha = hmap_hash(&ahead, sizeof ahead);
            hash[i % FLUSH_AHEAD] = ha;
            hmap_prefetch(&p->caps, ha);
        }
        cap_key_of(&ck, a, ts);
        e = hmap_upsert_hashed(&p->caps, &ck, h, &created);
        if (e == SIZE_MAX)
            return OCP_ERR_OSERR;
        src.cpu_sec = a->cpu_sec;
        src.mem_sec = a->mem_sec;
        src.flags = a->flags;
        agg_merge_cap_val(hmap_value(&p->caps, e), &src);
        a->live = 0;
    }
    return OCP_OK;
}

/* A column of NaN as long as the batch, for absent numeric columns. */
static const double *nan_column(struct agg_partial *p, size_t n)
{
    if (n > p->nan_len) {
        size_t i, ncap = n < 4096 ? 4096 : n;
        double *d = realloc(p->nan_buf, ncap * sizeof *d);
        if (d == NULL)
            return NULL;
        for (i = 0; i < ncap; i++)
            d[i] = NAN;
        p->nan_buf = d;
        p->nan_len = ncap;
    }
    return p->nan_buf;
}

static inline const double *num_col(const struct ocp_column *c, const double *nans)
{
    return c->present && c->num != NULL ? c->num : nans;
}

static inline const uint32_t *id_col(const struct ocp_column *c)
{
    return c->present ? c->str.ids : NULL;
}

/* pool_id_of for the pod table's node column, whose map keeps a flag
 * with each id (NODE_EMPTY_BIT): *no_node says whether the node is NULL or
 * empty, which would otherwise read the pool's record of each new node of
 * a row (a cache miss every few rows: nodes interleave). */
#define NODE_EMPTY_BIT 0x80000000u
static inline uint32_t node_id_of(struct agg_partial *p, struct dict_map *m,
                                  const struct ocp_column *c, uint32_t id, int *no_node)
{
    uint32_t pid;
    size_t len;
    const char *s;

    *no_node = 1;
    if (id == OCP_NULL_ID || id >= m->count)
        return POOL_NULL;
    pid = m->ids[id];
    if (pid == DICT_UNMAPPED) {
        s = ocp_strdict_get(c->str.dict, id, &len);
        pid = pool_intern(&p->pool, s, len);
        if (pid == POOL_NULL) {
            p->intern_failed = 1;
            return POOL_NULL;
        }
        /* Pool ids stay below 2^29 (POOL_MAX_IDS): the top bit is free
         * and a flagged id is never DICT_UNMAPPED. */
        m->ids[id] = pid | (len == 0 ? NODE_EMPTY_BIT : 0);
        pid = m->ids[id];
    }
    *no_node = (pid & NODE_EMPTY_BIT) != 0;
    return pid & ~NODE_EMPTY_BIT;
}

/* add_pods takes each row through three steps, a few rows apart, so that
 * the memory a row needs is on its way while earlier rows are added:
 *   - RESOLVE_AHEAD rows ahead, resolve_row: the row's day and strings as
 *     pool ids (new strings are interned there, in row order and in the
 *     order the add itself used to, so pool ids are the same), and its
 *     memo's line starts loading;
 *   - PREFETCH rows ahead, look_ahead: the memo names the group entry (its
 *     lines are loaded), or else the slot its upsert probes;
 *   - the add (capacities go to cap_acc, in cache, see cap_flush; volume
 *     nodes to a log added after the batch, see vn_flush).
 * The column buffers are prefetched COL_AHEAD rows ahead.
 * Resolving ahead matters on a file's first rows: dictionary ids map to
 * pool ids on first use, and a look-ahead reading only mapped ids could
 * prefetch nothing for exactly the rows that create groups and volume
 * nodes (each pod's first row of the day). */
#define PREFETCH 8
#define RESOLVE_AHEAD (2 * PREFETCH)
#define RING 32 /* resolved rows kept: a power of two above RESOLVE_AHEAD */
/* The pod and label columns' id maps are read MAP_AHEAD rows before
 * resolve_row reads them: consecutive rows take consecutive ids, but the
 * hardware's stream prefetchers are busy with the columns, and these two
 * loads were half of resolve_row's time. */
#define MAP_AHEAD 32
#ifndef COL_AHEAD
#define COL_AHEAD 256
#endif
#ifndef COL_LOCALITY
#define COL_LOCALITY 3
#endif

enum { RS_SKIP, RS_NO_NODE, RS_ROW, RS_ERROR };

/* One row as resolve_row leaves it for the add. */
struct resolved {
    int32_t day;
    uint32_t node, ns, pod, labels, rid, role;
    uint32_t cap_slot; /* the node's cap_acc slot */
    int state;         /* RS_*; RS_SKIP rows are counted already */
    int rc;            /* RS_ERROR: the error (err is filled) */
};

/* The pod batch's columns and resolve_row's running state. */
struct pod_cols {
    const struct ocp_column *col;
    const int64_t *ts;
    const uint32_t *ns_ids, *node_ids, *pod_ids, *rid_ids, *role_ids, *lab_ids;
    struct dict_map *m_ns, *m_node, *m_pod, *m_rid, *m_role, *m_lab;
    int64_t last_ts; /* rows come interval by interval: cache the day */
    int32_t last_day;
    uint32_t null_slot; /* the cap_acc slot of the NULL node */
};

/* Starts loading the map entry of the id at ids[q] (ids may be NULL). */
static inline void map_prefetch(const struct dict_map *m, const uint32_t *ids, size_t q)
{
    if (ids != NULL && ids[q] < m->count)
        __builtin_prefetch(&m->ids[ids[q]]);
}

/* Resolves row q into *o (see above).  An error is kept in o (RS_ERROR)
 * and returned when the add reaches the row, so rows before it are added
 * first, as when rows were resolved by the add. */
static void resolve_row(struct agg_partial *p, struct pod_cols *c, size_t q, struct resolved *o,
                        struct ocp_error *err)
{
    int64_t t = c->ts[q];
    uint32_t lid;
    uint8_t lflags;
    int rc, no_node = 1;

    o->state = RS_SKIP;
    if (t == OCP_TS_NULL) {
        p->stats.rows_out_of_range++;
        return;
    }
    if (t != c->last_ts) {
        c->last_ts = t;
        c->last_day = agg_day_of(t);
    }
    o->day = c->last_day;
    if (o->day < p->settings.start_day || o->day > p->settings.end_day) {
        if (o->day < TXT_DAY_MIN || o->day > TXT_DAY_MAX) {
            rc = agg_add_day_error(t, err);
            goto fail;
        }
        p->stats.rows_out_of_range++;
        return;
    }
    o->node = POOL_NULL;
    o->cap_slot = c->null_slot;
    if (c->node_ids != NULL) {
        uint32_t nid = c->node_ids[q];
        o->node = node_id_of(p, c->m_node, &c->col[POD_NODE], nid, &no_node);
        if (nid != OCP_NULL_ID && nid < c->m_node->count)
            o->cap_slot = nid;
    }
    if (no_node) {
        o->state = RS_NO_NODE;
        return;
    }

    /* Labels: the canonical id and flags, cached with the map. */
    lid = c->lab_ids != NULL ? c->lab_ids[q] : OCP_NULL_ID;
    if (lid != OCP_NULL_ID && lid < c->m_lab->count && c->m_lab->ids[lid] != DICT_UNMAPPED) {
        uint32_t v = c->m_lab->ids[lid];
        o->labels = v & 0x1fffffffu;
        lflags = (uint8_t)(v >> 29);
        if (__builtin_expect(lflags & LBL_BAD, 0)) {
            rc = label_at(p, c->m_lab, &c->col[POD_LABELS], q, "pod_labels", &o->labels, &lflags,
                          err);
            if (rc != OCP_OK)
                goto fail;
        }
    } else {
        rc = label_at(p, c->m_lab, &c->col[POD_LABELS], q, "pod_labels", &o->labels, &lflags, err);
        if (rc != OCP_OK)
            goto fail;
    }
    o->ns = c->ns_ids != NULL ? pool_id_of(p, c->m_ns, &c->col[POD_NAMESPACE], c->ns_ids[q])
                              : POOL_NULL;
    o->pod =
        c->pod_ids != NULL ? pool_id_of(p, c->m_pod, &c->col[POD_POD], c->pod_ids[q]) : POOL_NULL;
    /* Without room for its memo the row is added through the tables. */
    if (o->pod < p->memo_cap || memo_reserve(p, o->pod + 1) == OCP_OK)
        __builtin_prefetch(&p->memo[o->pod]);
    o->rid = c->rid_ids != NULL ? pool_id_of(p, c->m_rid, &c->col[POD_RESOURCE_ID], c->rid_ids[q])
                                : POOL_NULL;
    o->role = c->role_ids != NULL ? pool_id_of(p, c->m_role, &c->col[POD_NODE_ROLE], c->role_ids[q])
                                  : POOL_NULL;
    o->state = RS_ROW;
    return;
fail:
    o->state = RS_ERROR;
    o->rc = rc;
}

/* Prefetches what the add of resolved row o (at interval ts) will touch:
 * its group entry through the memo, else the group's slot (volume nodes
 * go to a log, see vn_flush). */
static inline void look_ahead(const struct agg_partial *p, const struct resolved *o)
{
    const struct pod_memo *qm;
    struct pod_key key;

    if (o->state != RS_ROW && o->state != RS_NO_NODE)
        return;
    if (o->state != RS_ROW || o->pod >= p->memo_cap)
        return;
    qm = &p->memo[o->pod];
    /* A pod's group rarely changes within a day: the entry of the memo's
     * group on the row's day is the one the add will compare. */
    if (qm->entry != UINT32_MAX && qm->day == o->day) {
        hmap_prefetch_at(&p->pods, qm->entry);
    } else {
        key.day = o->day;
        key.ns = o->ns;
        key.node = o->node;
        key.labels = o->labels;
        hmap_prefetch(&p->pods, hmap_hash(&key, sizeof key));
    }
}

/* Volume nodes (which node each pod ran on, a day) are met once per pod
 * and day, in row order, and each went straight into the vnodes table: a
 * probe of a random slot of a table of a few MB per pod and day, waiting
 * for memory (a fifth of add_pods on 16 M rows at 2 ranks).  They are
 * logged instead and added in batches in the order of their home slots,
 * so the probes walk the table forwards (vn_flush).  The table ends up
 * with the same set of keys; only the order of its entries differs, which
 * nothing depends on (the finish sorts what it takes from it). */
#define VN_LOG_MAX 65536u
/* Buckets of vn_flush's counting sort by home slot. */
#define VN_BUCKET_BITS 12

/* Adds the logged volume nodes to p->vnodes, in the order of their home
 * slots, and empties the log. */
static int vn_flush(struct agg_partial *p, struct ocp_error *err)
{
    uint32_t count[1u << VN_BUCKET_BITS];
    size_t i, n = p->vn_log_n;
    uint64_t mask;
    unsigned shift = 0;
    int created;

    if (n == 0)
        return OCP_OK;
    /* The home slots of a table sized for its entries, not of its slot
     * array as it is: a partial reused for another window keeps its
     * larger slot array (agg_partial_reset), and must add its entries in
     * the order a fresh one does (the same bytes when serialized). */
    mask = hmap_slots_for(p->vnodes.count) - 1;
    while ((mask >> shift) >= (1u << VN_BUCKET_BITS))
        shift++;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++)
        count[(p->vn_log[i].hash & mask) >> shift]++;
    {
        uint32_t at = 0, c;
        for (i = 0; i < (1u << VN_BUCKET_BITS); i++) {
            c = count[i];
            count[i] = at;
            at += c;
        }
    }
    for (i = 0; i < n; i++)
        p->vn_order[count[(p->vn_log[i].hash & mask) >> shift]++] = (uint32_t)i;
    p->vn_log_n = 0;
    for (i = 0; i < n && i < FLUSH_AHEAD; i++)
        hmap_prefetch(&p->vnodes, p->vn_log[p->vn_order[i]].hash);
    for (i = 0; i < n; i++) {
        const struct vn_rec *v = &p->vn_log[p->vn_order[i]];
        if (i + FLUSH_AHEAD < n)
            hmap_prefetch(&p->vnodes, p->vn_log[p->vn_order[i + FLUSH_AHEAD]].hash);
        if (hmap_upsert_hashed(&p->vnodes, &v->key, v->hash, &created) == SIZE_MAX)
            return agg_oom(err);
    }
    return OCP_OK;
}

/* Logs volume node *k for vn_flush (flushing a full log first). */
static int vn_log_add(struct agg_partial *p, const struct vn_key *k)
{
    struct vn_rec *v;

    if (p->vn_log == NULL) {
        p->vn_log = malloc(VN_LOG_MAX * sizeof *p->vn_log);
        p->vn_order = malloc(VN_LOG_MAX * sizeof *p->vn_order);
        if (p->vn_log == NULL || p->vn_order == NULL)
            return OCP_ERR_OSERR;
    }
    if (p->vn_log_n == VN_LOG_MAX && vn_flush(p, NULL) != OCP_OK)
        return OCP_ERR_OSERR;
    v = &p->vn_log[p->vn_log_n++];
    v->key = *k;
    v->hash = hmap_hash(k, sizeof *k);
    return OCP_OK;
}

static int add_pod_rows(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err);

/* A batch of pod rows, then its volume nodes into the table.  A batch
 * that fails leaves its logged volume nodes out (the job stops). */
static int add_pods(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err)
{
    int rc = add_pod_rows(p, b, err);

    if (rc == OCP_OK)
        return vn_flush(p, err);
    p->vn_log_n = 0;
    return rc;
}

static int add_pod_rows(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err)
{
    struct dict_map *maps = p->maps[OCP_TABLE_POD];
    const struct ocp_column *col = b->col;
    const int64_t *ts = col[POD_INTERVAL_START].ts;
    const double *nans = nan_column(p, b->nrows);
    const double *u_cpu, *r_cpu, *l_cpu, *u_mem, *r_mem, *l_mem, *e_cpu, *e_mem, *cap_cores,
        *cap_cpu_sec, *cap_mem, *cap_mem_sec;
    const int track = p->settings.track_volume_nodes;
    const uint32_t apiserver = p->apiserver_ns;
    struct resolved ring[RING];
    const double *nums[13];
    const uint32_t *idcols[6];
    int nnum, nids;
    struct pod_cols c;
    int64_t acc_ts = OCP_TS_NULL; /* the interval of the live cap_acc */
    uint32_t nlive = 0;
    uint32_t last_node = POOL_NULL, last_role = POOL_NULL;
    int overflow = 0, stop = 0;
    size_t r, q, n = b->nrows;
    int created;

    if (ts == NULL)
        return agg_add_no_interval(err);
    if (nans == NULL)
        return agg_oom(err);
    memset(&c, 0, sizeof c);
    c.col = col;
    c.ts = ts;
    c.ns_ids = id_col(&col[POD_NAMESPACE]);
    c.node_ids = id_col(&col[POD_NODE]);
    c.pod_ids = id_col(&col[POD_POD]);
    c.rid_ids = id_col(&col[POD_RESOURCE_ID]);
    c.role_ids = id_col(&col[POD_NODE_ROLE]);
    c.lab_ids = id_col(&col[POD_LABELS]);
    c.m_ns = &maps[POD_NAMESPACE];
    c.m_node = &maps[POD_NODE];
    c.m_pod = &maps[POD_POD];
    c.m_rid = &maps[POD_RESOURCE_ID];
    c.m_role = &maps[POD_NODE_ROLE];
    c.m_lab = &maps[POD_LABELS];
    c.last_ts = OCP_TS_NULL; /* never a row's: NULL rows stop before */
    c.null_slot = c.node_ids != NULL ? c.m_node->count : 0;
    if (cap_acc_reserve(p, c.null_slot + 1) != OCP_OK)
        return agg_oom(err);
    for (r = 0; r <= c.null_slot; r++)
        p->cap_acc[r].role_seen = 0; /* slots are this batch's dictionary ids */
    if (c.pod_ids != NULL && col[POD_POD].str.dict != NULL &&
        memo_reserve(p, p->pool.count + col[POD_POD].str.dict->count + 1) != OCP_OK)
        return agg_oom(err);
    u_cpu = num_col(&col[POD_USAGE_CPU], nans);
    r_cpu = num_col(&col[POD_REQUEST_CPU], nans);
    l_cpu = num_col(&col[POD_LIMIT_CPU], nans);
    u_mem = num_col(&col[POD_USAGE_MEM], nans);
    r_mem = num_col(&col[POD_REQUEST_MEM], nans);
    l_mem = num_col(&col[POD_LIMIT_MEM], nans);
    e_cpu = num_col(&col[POD_EFF_CPU], nans);
    e_mem = num_col(&col[POD_EFF_MEM], nans);
    cap_cores = num_col(&col[POD_CAP_CPU_CORES], nans);
    cap_cpu_sec = num_col(&col[POD_CAP_CPU_SEC], nans);
    cap_mem = num_col(&col[POD_CAP_MEM_BYTES], nans);
    cap_mem_sec = num_col(&col[POD_CAP_MEM_SEC], nans);
    nnum = 0;
    {
        const double *all[13];
        const uint32_t *ids[6] = {c.ns_ids,  c.node_ids, c.pod_ids,
                                  c.rid_ids, c.role_ids, c.lab_ids};
        int k;
        all[0] = u_cpu;
        all[1] = r_cpu;
        all[2] = l_cpu;
        all[3] = u_mem;
        all[4] = r_mem;
        all[5] = l_mem;
        all[6] = e_cpu;
        all[7] = e_mem;
        all[8] = cap_cores;
        all[9] = cap_cpu_sec;
        all[10] = cap_mem;
        all[11] = cap_mem_sec;
        all[12] = (const double *)(const void *)ts;
        for (k = 0; k < 13; k++)
            if (all[k] != nans)
                nums[nnum++] = all[k];
        nids = 0;
        for (k = 0; k < 6; k++)
            if (ids[k] != NULL)
                idcols[nids++] = ids[k];
    }

    /* q: the next row to resolve.  Rows stop being resolved after an
     * error (stop), which the add returns when it gets there. */
    for (q = 0; q < n && q < RESOLVE_AHEAD && !stop; q++) {
        resolve_row(p, &c, q, &ring[q % RING], err);
        stop = ring[q % RING].state == RS_ERROR;
    }
    for (r = 0; r < q && r < PREFETCH; r++)
        look_ahead(p, &ring[r % RING]);

    for (r = 0; r < n; r++) {
        const struct resolved *o = &ring[r % RING];
        struct pod_key key;
        struct cap_acc *ca;
        struct pod_val *pv;
        struct pod_memo *mo = NULL;
        uint32_t node, rid, pod;
        double uc, rc_, um, rm, ec, em;
        size_t e;
        int32_t day;

        /* The column buffers were written by the decoder long before
         * and left the near caches: load them COL_AHEAD rows ahead, a line
         * of each double column every 8 rows, of each id column every 16. */
        if ((r & 7) == 0 && r + COL_AHEAD < n) {
            size_t a = r + COL_AHEAD;
            int k;
            for (k = 0; k < nnum; k++)
                __builtin_prefetch(nums[k] + a, 0, COL_LOCALITY);
            if ((r & 15) == 0)
                for (k = 0; k < nids; k++)
                    __builtin_prefetch(idcols[k] + a, 0, COL_LOCALITY);
        }
        if (q + MAP_AHEAD < n) {
            map_prefetch(c.m_pod, c.pod_ids, q + MAP_AHEAD);
            map_prefetch(c.m_lab, c.lab_ids, q + MAP_AHEAD);
        }
        if (q < n && !stop) {
            resolve_row(p, &c, q, &ring[q % RING], err);
            stop = ring[q % RING].state == RS_ERROR;
            q++;
        }
        if (r + PREFETCH < q)
            look_ahead(p, &ring[(r + PREFETCH) % RING]);
        if (o->state == RS_SKIP)
            continue;
        if (__builtin_expect(o->state == RS_ERROR, 0))
            return o->rc;
        day = o->day;
        node = o->node;

        /* Capacity counts every node value, the empty and NULL one too,
         * per (node, interval): the maxima gather in cap_acc while the
         * interval lasts. */
        if (ts[r] != acc_ts) {
            if (cap_flush(p, acc_ts, nlive) != OCP_OK)
                return agg_oom(err);
            nlive = 0;
            acc_ts = ts[r];
        }
        ca = &p->cap_acc[o->cap_slot];
        if (!ca->live) {
            ca->live = 1;
            ca->flags = 0;
            ca->node = node;
            p->cap_live[nlive++] = o->cap_slot;
        }
        overflow |= max_into(&ca->cpu_sec, &ca->flags, HAS_A, cap_cpu_sec[r]);
        overflow |= max_into(&ca->mem_sec, &ca->flags, HAS_B, cap_mem_sec[r]);
        if (__builtin_expect(overflow, 0))
            return agg_add_range_error(p, b, r, day, str_at(p, c.m_ns, &col[POD_NAMESPACE], r),
                                       node, err);
        if (o->state == RS_NO_NODE) {
            p->stats.rows_no_node++;
            continue;
        }

        key.day = day;
        key.ns = o->ns;
        key.node = node;
        key.labels = o->labels;
        pod = o->pod;
        if (pod < p->memo_cap)
            mo = &p->memo[pod];
        if (mo != NULL && mo->entry != UINT32_MAX &&
            hmap_key_eq(hmap_entry(&p->pods, mo->entry), (const unsigned char *)&key, sizeof key)) {
            e = mo->entry;
        } else {
            e = hmap_upsert(&p->pods, &key, &created);
            if (e == SIZE_MAX)
                return agg_oom(err);
            if (mo != NULL && e < UINT32_MAX) {
                mo->entry = (uint32_t)e;
                mo->day = day;
            }
        }
        pv = hmap_value(&p->pods, e);
        uc = u_cpu[r];
        rc_ = r_cpu[r];
        um = u_mem[r];
        rm = r_mem[r];
        ec = e_cpu[r];
        if (isnan(ec))
            ec = greatest(uc, rc_);
        em = e_mem[r];
        if (isnan(em))
            em = greatest(um, rm);
        overflow |= agg_pod_sums_add(pv, uc, rc_, ec, l_cpu[r], um, rm, em, l_mem[r]);
        overflow |= max_into(&pv->cap_cores, &pv->flags, HAS_A, cap_cores[r]);
        overflow |= max_into(&pv->cap_mem_bytes, &pv->flags, HAS_B, cap_mem[r]);
        if (__builtin_expect(overflow, 0))
            return agg_add_range_error(p, b, r, day, key.ns, node, err);
        rid = o->rid;
        if (rid != pv->resource_id && pool_cmp(&p->pool, rid, pv->resource_id) > 0)
            pv->resource_id = rid;

        /* Node facts for roles; a repeat of a node and role recorded
         * already adds nothing unless the namespace is the API server's
         * (the last node's, or any node's in this batch through its
         * cap_acc slot: nodes interleave). */
        if ((node != last_node || o->role != last_role || key.ns == apiserver) &&
            (p->cap_acc[o->cap_slot].role_seen != o->role + 1 || key.ns == apiserver)) {
            struct node_key nk;
            struct node_val *nv;
            uint32_t role = o->role;
            size_t ne;
            last_node = node;
            last_role = role;
            p->cap_acc[o->cap_slot].role_seen = role + 1;
            nk.node = node;
            nk.zero = 0;
            ne = hmap_upsert(&p->nodes, &nk, &created);
            if (ne == SIZE_MAX)
                return agg_oom(err);
            nv = hmap_value(&p->nodes, ne);
            if (role != POOL_NULL && pool_len(&p->pool, role) > 0 && role != nv->role &&
                pool_cmp(&p->pool, role, nv->role) > 0)
                nv->role = role;
            if (key.ns == apiserver)
                nv->flags |= NODE_APISERVER;
        }
        if (track) {
            /* The pod's volume node, unless its memo has it already: the
             * same group (so the same day, namespace and node) and
             * resource id.  Another group of the same volume node only
             * repeats an upsert. */
            if (mo == NULL || mo->vn_entry != e || mo->vn_rid != rid) {
                struct vn_key vk;
                vk.day = day;
                vk.ns = key.ns;
                vk.pod = pod;
                vk.node = node;
                vk.resource_id = rid;
                if (vn_log_add(p, &vk) != OCP_OK)
                    return agg_oom(err);
                if (mo != NULL && e < UINT32_MAX) {
                    mo->vn_entry = (uint32_t)e;
                    mo->vn_rid = rid;
                }
            }
        }
    }
    if (cap_flush(p, acc_ts, nlive) != OCP_OK)
        return agg_oom(err);
    return p->intern_failed ? pool_fail_error(&p->pool, err, "pod usage") : OCP_OK;
}

int agg_partial_add(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err)
{
    int rc;

    if (b->table < 0 || b->table >= OCP_TABLE_COUNT)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "unknown table %d",
                             (int)b->table);
    rc = prepare_maps(p, b, err);
    if (rc != OCP_OK)
        return rc;
    p->stats.rows_read[b->table] += (int64_t)b->nrows;
    switch (b->table) {
    case OCP_TABLE_POD: return add_pods(p, b, err);
    case OCP_TABLE_STORAGE: return agg_add_storage(p, b, err);
    case OCP_TABLE_NODE_LABELS:
        return agg_add_label_rows(p, b, &p->node_labels, NL_NODE, NL_LABELS, "node_labels", 1, err);
    case OCP_TABLE_NAMESPACE_LABELS:
        return agg_add_label_rows(p, b, &p->ns_labels, NSL_NAMESPACE, NSL_LABELS,
                                  "namespace_labels", 0, err);
    default: return OCP_ERR_SOFTWARE;
    }
}
