/* agg_merge.c - merging partials, directly or through a byte buffer.
 *
 * Both paths translate the source's string ids into the destination's
 * pool and then merge entry by entry with the per-table merge functions;
 * zero-filled new entries are the identity of every merge, so an entry
 * created by the merge simply takes the source value. */
#include "engine/agg_internal.h"
#include "ocpagg/mem.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAP_PODS,
    MAP_CAPS,
    MAP_NODE_LABELS,
    MAP_NS_LABELS,
    MAP_NODES,
    MAP_VNODES,
    MAP_STORAGE,
    MAP_COUNT
};

/* Offsets of the string-id fields of each map's entries (key, then value
 * at key_size). */
struct map_fields {
    size_t n;
    size_t off[10];
};

/* The largest key + value of any table (a storage entry is about 130
 * bytes, a pod entry about 240). */
#define MAX_ENTRY_SIZE 512

static struct hmap *map_of(struct agg_partial *p, int which)
{
    switch (which) {
    case MAP_PODS: return &p->pods;
    case MAP_CAPS: return &p->caps;
    case MAP_NODE_LABELS: return &p->node_labels;
    case MAP_NS_LABELS: return &p->ns_labels;
    case MAP_NODES: return &p->nodes;
    case MAP_VNODES: return &p->vnodes;
    default: return &p->storage;
    }
}

static void fields_of(int which, struct map_fields *f)
{
    size_t i;
    memset(f, 0, sizeof *f);
    switch (which) {
    case MAP_PODS:
        f->n = 4;
        f->off[0] = offsetof(struct pod_key, ns);
        f->off[1] = offsetof(struct pod_key, node);
        f->off[2] = offsetof(struct pod_key, labels);
        f->off[3] = HMAP_VAL_OFF(sizeof(struct pod_key)) + offsetof(struct pod_val, resource_id);
        break;
    case MAP_CAPS:
        f->n = 1;
        f->off[0] = offsetof(struct cap_key, node);
        break;
    case MAP_NODE_LABELS:
    case MAP_NS_LABELS:
        f->n = 2;
        f->off[0] = offsetof(struct lab_key, id);
        f->off[1] = HMAP_VAL_OFF(sizeof(struct lab_key)) + offsetof(struct lab_val, labels);
        break;
    case MAP_NODES:
        f->n = 2;
        f->off[0] = offsetof(struct node_key, node);
        f->off[1] = HMAP_VAL_OFF(sizeof(struct node_key)) + offsetof(struct node_val, role);
        break;
    case MAP_VNODES:
        f->n = 4;
        f->off[0] = offsetof(struct vn_key, ns);
        f->off[1] = offsetof(struct vn_key, pod);
        f->off[2] = offsetof(struct vn_key, node);
        f->off[3] = offsetof(struct vn_key, resource_id);
        break;
    default:
        f->n = 8;
        for (i = 0; i < 8; i++)
            f->off[i] = offsetof(struct sto_key, ns) + 4 * i;
        break;
    }
}

/* Merges one source entry (already in destination ids) into dst. */
static int merge_entry(struct agg_partial *dst, int which, const unsigned char *entry,
                       uint32_t hash)
{
    struct hmap *m = map_of(dst, which);
    int created;
    size_t e = hmap_upsert_hashed(m, entry, hash, &created);
    const void *sv = entry + m->val_off;
    void *dv;

    if (e == SIZE_MAX)
        return OCP_ERR_OSERR;
    dv = hmap_value(m, e);
    switch (which) {
    case MAP_PODS:
        if (agg_merge_pod_val(&dst->pool, dv, sv))
            return OCP_ERR_DATA;
        break;
    case MAP_CAPS: agg_merge_cap_val(dv, sv); break;
    case MAP_NODE_LABELS:
    case MAP_NS_LABELS: agg_merge_lab_val(&dst->pool, dv, sv); break;
    case MAP_NODES: agg_merge_node_val(&dst->pool, dv, sv); break;
    case MAP_VNODES: break;
    default:
        if (agg_merge_sto_val(dv, sv))
            return OCP_ERR_DATA;
        break;
    }
    return OCP_OK;
}

static int merge_error(struct ocp_error *err, int rc)
{
    if (rc == OCP_ERR_DATA)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "a sum exceeds 2^95 (4.0e28), the exactly summed "
                             "range, when partials were merged");
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* Rewrites the string fields of an entry copy through `xlate`. */
static int translate(unsigned char *entry, const struct map_fields *f, const uint32_t *xlate,
                     uint32_t nids)
{
    size_t i;
    for (i = 0; i < f->n; i++) {
        uint32_t id;
        memcpy(&id, entry + f->off[i], 4);
        if (id >= nids)
            return -1;
        id = xlate[id];
        memcpy(entry + f->off[i], &id, 4);
    }
    return 0;
}

/* Entries of one table merged ahead of the one being merged: each is
 * copied, translated and hashed MERGE_RING entries early, when the slot
 * its upsert probes starts loading, and its entry in dst starts loading
 * MERGE_RING / 2 entries early.  The destination is a large table read
 * at random: without this every merge waits for memory twice. */
#define MERGE_RING 16

/* Merges count entries of esize bytes at src (another partial's table,
 * or a received buffer) into dst's table `which`, their string ids
 * translated through xlate; ring has room for MERGE_RING entries of
 * MAX_ENTRY_SIZE.  Returns OCP_OK, -1 when an entry names a string id
 * outside xlate, or merge_entry's failure. */
static int merge_run(struct agg_partial *dst, int which, const unsigned char *src, size_t count,
                     size_t esize, const uint32_t *xlate, uint32_t nids, unsigned char *ring)
{
    struct hmap *m = map_of(dst, which);
    struct map_fields f;
    uint32_t h[MERGE_RING];
    size_t e, a;
    int rc;

    fields_of(which, &f);
    for (a = 0, e = 0; e < count; e++) {
        unsigned char *cur;
        /* Keep MERGE_RING entries translated ahead of e. */
        for (; a < count && a < e + MERGE_RING; a++) {
            unsigned char *slot = ring + (a % MERGE_RING) * MAX_ENTRY_SIZE;
            memcpy(slot, src + a * esize, esize);
            if (translate(slot, &f, xlate, nids) != 0)
                return -1;
            h[a % MERGE_RING] = hmap_hash(slot, m->key_size);
            hmap_prefetch(m, h[a % MERGE_RING]);
        }
        if (e + MERGE_RING / 2 < a)
            hmap_prefetch_entry(m, h[(e + MERGE_RING / 2) % MERGE_RING]);
        cur = ring + (e % MERGE_RING) * MAX_ENTRY_SIZE;
        rc = merge_entry(dst, which, cur, h[e % MERGE_RING]);
        if (rc != OCP_OK)
            return rc;
    }
    return OCP_OK;
}

static void merge_stats(struct agg_stats *dst, const struct agg_stats *src)
{
    int t;
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        dst->rows_read[t] += src->rows_read[t];
    dst->rows_out_of_range += src->rows_out_of_range;
    dst->rows_no_node += src->rows_no_node;
    dst->bad_label_rows += src->bad_label_rows;
}

static int merge_maps(struct agg_partial *dst, struct agg_partial *src, const uint32_t *xlate,
                      uint32_t nids, struct ocp_error *err)
{
    /* Entry copies live in allocated storage, which takes the type of
     * what is stored in it, so reading them through struct pointers is
     * well defined (a char array would not be). */
    unsigned char *ring = malloc((size_t)MERGE_RING * MAX_ENTRY_SIZE);
    int which, rc = OCP_OK;

    if (ring == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    for (which = 0; which < MAP_COUNT && rc == OCP_OK; which++) {
        struct hmap *m = map_of(src, which);
        if (m->entry_size > MAX_ENTRY_SIZE) {
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "table entry larger than expected");
            break;
        }
        rc = merge_run(dst, which, m->entries, m->count, m->entry_size, xlate, nids, ring);
        if (rc == -1)
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "partial refers to an unknown string");
        else if (rc != OCP_OK)
            rc = merge_error(err, rc);
    }
    free(ring);
    return rc;
}

int agg_partial_merge(struct agg_partial *dst, const struct agg_partial *src, struct ocp_error *err)
{
    uint32_t *xlate = malloc(((size_t)src->pool.count + 1) * sizeof *xlate);
    uint32_t id;
    int rc;

    if (xlate == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    xlate[0] = POOL_NULL;
    for (id = 1; id < src->pool.count; id++) {
        xlate[id] = pool_intern(&dst->pool, pool_str(&src->pool, id), pool_len(&src->pool, id));
        if (xlate[id] == POOL_NULL) {
            free(xlate);
            return pool_fail_error(&dst->pool, err, NULL);
        }
    }
    /* merge_maps only reads src; the cast spares a second walker. */
    rc = merge_maps(dst, (struct agg_partial *)src, xlate, src->pool.count ? src->pool.count : 1,
                    err);
    if (rc == OCP_OK)
        merge_stats(&dst->stats, &src->stats);
    free(xlate);
    return rc;
}

/* ---- serialization ---------------------------------------------------- */

static const char magic[8] = {'O', 'C', 'P', 'A', 'G', 'G', '1', 0};

struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
};

static void put(struct wbuf *w, const void *data, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 65536;
        unsigned char *np;
        while (ncap < w->len + n)
            ncap *= 2;
        np = realloc(w->p, ncap);
        if (np == NULL) {
            w->failed = 1;
            return;
        }
        w->p = np;
        w->cap = ncap;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

/* Room for exactly n bytes at once: a serialized partial is tens of MB,
 * and growing it by doubling copied it into fresh pages again and again
 * (a tenth of a rank's page faults on 16 M rows at 2 ranks).  It is
 * written front to back once: on huge pages, 2 MiB a fault (4 KiB faults
 * were most of a 32 MB part's serializing time). */
static void reserve(struct wbuf *w, size_t n)
{
    if (w->failed || n <= w->cap)
        return;
    free(w->p);
    w->p = malloc(n);
    if (w->p != NULL)
        ocp_mem_advise_huge(w->p, n);
    w->len = 0;
    w->cap = w->p != NULL ? n : 0;
    w->failed = w->p == NULL;
}

static void put_u64(struct wbuf *w, uint64_t v)
{
    put(w, &v, sizeof v);
}

/* The day an entry belongs to, or INT32_MIN for tables without days. */
static int32_t entry_day(int which, const unsigned char *entry)
{
    int32_t day;
    int64_t ts;
    switch (which) {
    case MAP_NODES: return INT32_MIN;
    case MAP_CAPS: memcpy(&ts, entry + offsetof(struct cap_key, ts), 8); return agg_day_of(ts);
    default:
        /* Every other key starts with its int32 day. */
        memcpy(&day, entry, 4);
        return day;
    }
}

/* The kept entries of a day-filtered serialization, and the strings they
 * name under new, dense ids (the receiver interns every string sent, so
 * a part sends only its own: a rank's pool holds every pod name of all
 * the days it read, the groups for one peer name a fraction of them). */
struct kept {
    size_t *idx[MAP_COUNT]; /* per map, the kept entry indexes */
    size_t n[MAP_COUNT];
    uint32_t *newid; /* pool id -> id sent (0: not sent, or NULL) */
    uint32_t *order; /* id sent -> pool id, [1, nids) */
    uint32_t nids;
};

static void kept_release(struct kept *k)
{
    int which;
    for (which = 0; which < MAP_COUNT; which++)
        free(k->idx[which]);
    free(k->newid);
    free(k->order);
}

/* The node facts' filter: the table without a day goes in whole. */
static int every_day(int32_t day, void *ctx)
{
    (void)day;
    (void)ctx;
    return 1;
}

/* The day filter of map `which` under f (NULL: none of its entries; a
 * map f takes nothing of is not even looked at, so the volume nodes' own
 * message skips the pod groups). */
static agg_day_filter map_filter(const struct agg_part_filter *f, int which)
{
    if (which == MAP_NODES)
        return f->dayless ? every_day : NULL;
    return which == MAP_VNODES ? f->keep_vn : f->keep;
}

/* Fills `pods` with the (day, namespace, pod) of p's storage groups on
 * the days f->keep_vn takes.  -1 when out of memory. */
static int storage_pods(const struct agg_partial *p, const struct agg_part_filter *f,
                        struct hmap *pods)
{
    size_t e;
    int created;

    for (e = 0; e < p->storage.count; e++) {
        const struct sto_key *sk = hmap_entry(&p->storage, e);
        struct pod_of_day_key pd;
        if (f->keep_vn == NULL || !f->keep_vn(sk->day, f->ctx))
            continue;
        pd.day = sk->day;
        pd.ns = sk->ns;
        pd.pod = sk->pod;
        if (hmap_upsert(pods, &pd, &created) == SIZE_MAX)
            return -1;
    }
    return 0;
}

/* Fills k for the entries f takes.  -1 when out of memory. */
static int kept_collect(const struct agg_partial *p, const struct agg_part_filter *f,
                        struct kept *k)
{
    uint32_t count = p->pool.count ? p->pool.count : 1;
    struct hmap with_storage;
    int which, rc = 0;

    memset(k, 0, sizeof *k);
    hmap_init(&with_storage, sizeof(struct pod_of_day_key), 0);
    k->newid = calloc(count, sizeof *k->newid);
    k->order = malloc((size_t)count * sizeof *k->order);
    if (k->newid == NULL || k->order == NULL ||
        (f->vn_storage_only && storage_pods(p, f, &with_storage) != 0)) {
        hmap_release(&with_storage);
        return -1;
    }
    k->nids = 1; /* id 0 is NULL on both sides */
    for (which = 0; which < MAP_COUNT && rc == 0; which++) {
        const struct hmap *m = map_of((struct agg_partial *)p, which);
        agg_day_filter keep = map_filter(f, which);
        struct map_fields fl;
        size_t e, i;
        if (keep == NULL)
            continue;
        fields_of(which, &fl);
        k->idx[which] = malloc((m->count ? m->count : 1) * sizeof *k->idx[which]);
        if (k->idx[which] == NULL) {
            rc = -1;
            break;
        }
        for (e = 0; e < m->count; e++) {
            const unsigned char *entry = hmap_entry(m, e);
            if (!keep(entry_day(which, entry), f->ctx))
                continue;
            if (which == MAP_VNODES && f->vn_storage_only) {
                const struct vn_key *vk = (const struct vn_key *)(const void *)entry;
                struct pod_of_day_key pd;
                pd.day = vk->day;
                pd.ns = vk->ns;
                pd.pod = vk->pod;
                if (hmap_find(&with_storage, &pd) == SIZE_MAX)
                    continue;
            }
            k->idx[which][k->n[which]++] = e;
            for (i = 0; i < fl.n; i++) {
                uint32_t id;
                memcpy(&id, entry + fl.off[i], 4);
                /* An id outside the pool is refused when the entry is
                 * translated (serialize_days). */
                if (id != POOL_NULL && id < count && k->newid[id] == 0) {
                    k->newid[id] = k->nids;
                    k->order[k->nids++] = id;
                }
            }
        }
    }
    hmap_release(&with_storage);
    return rc;
}

int agg_partial_serialize_filtered(const struct agg_partial *p, const struct agg_part_filter *f,
                                   unsigned char **buf, size_t *len, struct ocp_error *err)
{
    struct wbuf w = {0};
    size_t total = sizeof magic + (OCP_TABLE_COUNT + 3 + 1) * 8;
    struct kept k;
    unsigned char *tmp = NULL;
    uint32_t id;
    int which, t, rc = OCP_OK;

    memset(&k, 0, sizeof k);
    if (f != NULL && (kept_collect(p, f, &k) != 0 || (tmp = malloc(MAX_ENTRY_SIZE)) == NULL)) {
        kept_release(&k);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    {
        /* What follows, byte for byte. */
        uint32_t nids = f == NULL ? (p->pool.count ? p->pool.count : 1) : k.nids;
        for (id = 1; id < nids; id++)
            total += 4 + pool_len(&p->pool, f == NULL ? id : k.order[id]);
        for (which = 0; which < MAP_COUNT; which++) {
            const struct hmap *m = map_of((struct agg_partial *)p, which);
            total += 16 + (f == NULL ? m->count : k.n[which]) * m->entry_size;
        }
        reserve(&w, total);
    }
    put(&w, magic, sizeof magic);
    /* Counters travel only with whole partials; a day split would count
     * them once per part. */
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        put_u64(&w, f ? 0 : (uint64_t)p->stats.rows_read[t]);
    put_u64(&w, f ? 0 : (uint64_t)p->stats.rows_out_of_range);
    put_u64(&w, f ? 0 : (uint64_t)p->stats.rows_no_node);
    put_u64(&w, f ? 0 : (uint64_t)p->stats.bad_label_rows);
    if (f == NULL) {
        put_u64(&w, p->pool.count ? p->pool.count : 1);
        for (id = 1; id < p->pool.count; id++) {
            uint32_t l = pool_len(&p->pool, id);
            put(&w, &l, 4);
            put(&w, pool_str(&p->pool, id), l);
        }
    } else {
        put_u64(&w, k.nids);
        for (id = 1; id < k.nids; id++) {
            uint32_t l = pool_len(&p->pool, k.order[id]);
            put(&w, &l, 4);
            put(&w, pool_str(&p->pool, k.order[id]), l);
        }
    }
    for (which = 0; which < MAP_COUNT; which++) {
        const struct hmap *m = map_of((struct agg_partial *)p, which);
        struct map_fields fl;
        size_t e;
        if (f == NULL) {
            put_u64(&w, m->count);
            put_u64(&w, m->entry_size);
            if (m->count > 0)
                put(&w, m->entries, m->count * m->entry_size);
            continue;
        }
        put_u64(&w, k.n[which]);
        put_u64(&w, m->entry_size);
        fields_of(which, &fl);
        if (m->entry_size > MAX_ENTRY_SIZE) {
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "table entry larger than expected");
            break;
        }
        for (e = 0; e < k.n[which]; e++) {
            memcpy(tmp, hmap_entry(m, k.idx[which][e]), m->entry_size);
            if (translate(tmp, &fl, k.newid, p->pool.count ? p->pool.count : 1) != 0) {
                rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                   "partial refers to an unknown string");
                break;
            }
            put(&w, tmp, m->entry_size);
        }
        if (rc != OCP_OK)
            break;
    }
    free(tmp);
    kept_release(&k);
    assert(rc != OCP_OK || w.failed || w.len == total); /* reserved exactly */
    if (rc == OCP_OK && w.failed)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (rc != OCP_OK) {
        free(w.p);
        return rc;
    }
    *buf = w.p;
    *len = w.len;
    return OCP_OK;
}

int agg_partial_serialize_days(const struct agg_partial *p, agg_day_filter keep, void *ctx,
                               unsigned char **buf, size_t *len, struct ocp_error *err)
{
    struct agg_part_filter f;

    if (keep == NULL)
        return agg_partial_serialize_filtered(p, NULL, buf, len, err);
    memset(&f, 0, sizeof f);
    f.keep = keep;
    f.keep_vn = keep;
    f.ctx = ctx;
    f.dayless = 1;
    return agg_partial_serialize_filtered(p, &f, buf, len, err);
}

int agg_partial_serialize(const struct agg_partial *p, unsigned char **buf, size_t *len,
                          struct ocp_error *err)
{
    return agg_partial_serialize_days(p, NULL, NULL, buf, len, err);
}

struct rbuf {
    const unsigned char *p;
    size_t left;
};

static int take(struct rbuf *r, void *out, size_t n)
{
    if (n > r->left)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

int agg_partial_merge_serialized(struct agg_partial *dst, const unsigned char *buf, size_t len,
                                 struct ocp_error *err)
{
    struct rbuf r = {buf, len};
    struct agg_stats st;
    uint32_t *xlate = NULL;
    uint64_t nids, v;
    char m8[8];
    uint32_t id;
    int which, t, rc = OCP_OK;
    unsigned char *tmp = NULL; /* allocated: see merge_maps */

    memset(&st, 0, sizeof st);
    if (take(&r, m8, 8) != 0 || memcmp(m8, magic, 8) != 0)
        goto corrupt;
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        if (take(&r, &v, 8) != 0)
            goto corrupt;
        st.rows_read[t] = (int64_t)v;
    }
    if (take(&r, &v, 8) != 0)
        goto corrupt;
    st.rows_out_of_range = (int64_t)v;
    if (take(&r, &v, 8) != 0)
        goto corrupt;
    st.rows_no_node = (int64_t)v;
    if (take(&r, &v, 8) != 0)
        goto corrupt;
    st.bad_label_rows = (int64_t)v;
    if (take(&r, &nids, 8) != 0 || nids == 0 || nids > r.left / 4 + 1 || nids > POOL_MAX_IDS)
        goto corrupt;
    xlate = malloc((size_t)nids * sizeof *xlate);
    tmp = malloc((size_t)MERGE_RING * MAX_ENTRY_SIZE);
    if (xlate == NULL || tmp == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto cleanup;
    }
    xlate[0] = POOL_NULL;
    for (id = 1; id < nids; id++) {
        uint32_t l;
        if (take(&r, &l, 4) != 0 || l > r.left)
            goto corrupt;
        xlate[id] = pool_intern(&dst->pool, (const char *)r.p, l);
        if (xlate[id] == POOL_NULL) {
            rc = pool_fail_error(&dst->pool, err, NULL);
            goto cleanup;
        }
        r.p += l;
        r.left -= l;
    }
    for (which = 0; which < MAP_COUNT; which++) {
        struct hmap *m = map_of(dst, which);
        uint64_t count, esize;
        if (take(&r, &count, 8) != 0 || take(&r, &esize, 8) != 0 || esize != m->entry_size ||
            esize > MAX_ENTRY_SIZE || count > r.left / esize)
            goto corrupt;
        rc = merge_run(dst, which, r.p, (size_t)count, (size_t)esize, xlate, (uint32_t)nids, tmp);
        if (rc == -1)
            goto corrupt;
        if (rc != OCP_OK) {
            rc = merge_error(err, rc);
            goto cleanup;
        }
        r.p += count * esize;
        r.left -= count * esize;
    }
    if (r.left != 0)
        goto corrupt;
    merge_stats(&dst->stats, &st);
    goto cleanup;
corrupt:
    rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                       "malformed partial received from another rank");
cleanup:
    free(xlate);
    free(tmp);
    return rc;
}
