/*
 * agg_internal.h - the tables inside a partial (internal to src/engine).
 *
 * Every key is a struct of 32-bit fields without padding, so keys hash and
 * compare as bytes.  String fields are ids in the partial's pool.
 */
#ifndef OCPAGG_AGG_INTERNAL_H
#define OCPAGG_AGG_INTERNAL_H

#include "engine/hmap.h"
#include "engine/pool.h"
#include "engine/xsum.h"
#include "ocpagg/agg.h"

/* The eight pod sums, in report order. */
enum pod_sum {
    PS_USAGE_CPU,
    PS_REQUEST_CPU,
    PS_EFFECTIVE_CPU,
    PS_LIMIT_CPU,
    PS_USAGE_MEM,
    PS_REQUEST_MEM,
    PS_EFFECTIVE_MEM,
    PS_LIMIT_MEM,
    PS_COUNT
};

#define HAS_A 1u
#define HAS_B 2u

struct pod_key {
    int32_t day;
    uint32_t ns, node, labels; /* labels: canonical filtered pod labels */
};
/* A pod group's value.  The eight exact sums are kept limb by limb
 * (w[j][k]: limb j of sum k), so that one row's eight adds can be done
 * as one vector operation per limb (agg_sums.c); the other fields come
 * first and the padding puts the sums on a cache line of their own in
 * the table's 256-byte entries (key 16 + 48 + 192). */
struct pod_val {
    double cap_cores, cap_mem_bytes; /* valid per flags HAS_A / HAS_B */
    uint32_t resource_id;            /* max by bytes */
    uint32_t flags;
    uint64_t pad[3]; /* zero */
    uint64_t w[3][PS_COUNT];
};

/* Sum k of v. */
static inline struct xsum pod_sum(const struct pod_val *v, int k)
{
    struct xsum x;
    x.w[0] = v->w[0][k];
    x.w[1] = v->w[1][k];
    x.w[2] = v->w[2][k];
    return x;
}

/* Sets sum k of v to x. */
static inline void pod_sum_set(struct pod_val *v, int k, const struct xsum *x)
{
    v->w[0][k] = x->w[0];
    v->w[1][k] = x->w[1];
    v->w[2][k] = x->w[2];
}

/* Adds sum k of v to dst; returns 1 when dst left the range. */
static inline int pod_sum_merge_into(struct xsum *dst, const struct pod_val *v, int k)
{
    return xsum_add_limbs(dst, v->w[0][k], v->w[1][k], v->w[2][k]);
}

/* Adds one row's eight values (in enum pod_sum order; NaN is NULL) to
 * v's sums, with AVX-512 where the CPU has it (OCPAGG_NO_AVX512 forces
 * the plain code; both give the same bits).  Returns non-zero as
 * xsum_add does for any of the eight. */
int agg_pod_sums_add(struct pod_val *v, double u_cpu, double r_cpu, double e_cpu, double l_cpu,
                     double u_mem, double r_mem, double e_mem, double l_mem);

/* Adds src's eight sums to dst's; returns 1 when one left the range. */
int agg_pod_sums_merge(struct pod_val *dst, const struct pod_val *src);

/* The two ways of agg_pod_sums_add, for the tests (the vector one only
 * where agg_pod_sums_vector_ok()). */
int agg_pod_sums_add_plain(struct pod_val *v, const double x[PS_COUNT]);
int agg_pod_sums_add_vector(struct pod_val *v, const double x[PS_COUNT]);
int agg_pod_sums_vector_ok(void);

struct cap_key {
    uint32_t node, zero;
    int64_t ts;
};
struct cap_val {
    double cpu_sec, mem_sec; /* valid per flags HAS_A / HAS_B */
    uint32_t flags;
};

/* Node labels keyed by (day, node), namespace labels by (day, namespace). */
struct lab_key {
    int32_t day;
    uint32_t id;
};
struct lab_val {
    int64_t ts;
    uint32_t labels; /* canonical filtered text */
    uint32_t set;
};

#define NODE_APISERVER 1u
#define NODE_INFRA_LABEL 2u
struct node_key {
    uint32_t node;
    uint32_t zero; /* keeps keys 8-byte sized for the word-wise compare */
};
struct node_val {
    uint32_t role; /* max non-empty node_role */
    uint32_t flags;
};

struct vn_key {
    int32_t day;
    uint32_t ns, pod, node, resource_id;
};

/* A pod on a day: the storage rows' key into the volume nodes (the
 * finish's, and the exchange's choice of which to send). */
struct pod_of_day_key {
    int32_t day;
    uint32_t ns, pod;
};

/* A volume node met by add_pods, with its hash, waiting in the partial's
 * log for the table (see vn_flush in agg_add.c). */
struct vn_rec {
    struct vn_key key;
    uint32_t hash;
};

struct sto_key {
    int32_t day;
    uint32_t ns, pod, pvc, pv, storageclass, csi, pv_labels, pvc_labels;
};
struct sto_val {
    struct xsum cap_byte_sec, request_byte_sec, usage_byte_sec;
    double cap_bytes; /* valid with HAS_A */
    uint32_t flags;
};

/* A cached "dictionary id -> pool id" map for one column of a batch. */
struct dict_map {
    uint64_t serial;
    uint32_t count, cap;
    uint32_t *ids; /* DICT_UNMAPPED until first use */
};
#define DICT_UNMAPPED UINT32_MAX

/* What add_pods remembers per pod (indexed by the pod's pool id).  Sixteen
 * bytes, four to a line: a row reads its pod's memo at random, and the
 * group's key is read from the entry itself, which the row loads anyway. */
struct pod_memo {
    uint32_t entry;    /* the last group of the pod's rows in pods;
                          UINT32_MAX none */
    int32_t day;       /* that group's day (for the look-ahead, which
                          does not wait for the entry) */
    uint32_t vn_entry; /* the group whose (day, namespace, node) went into
                          the volume node last recorded; UINT32_MAX none */
    uint32_t vn_rid;   /* and that volume node's resource id */
};

/* One node's capacity maxima over a run of rows of one interval, before
 * they go into caps (add_pods, agg_add.c): indexed by the node's id in
 * the batch's dictionary, a few kilobytes that stay in cache, where caps
 * itself is read at random whenever the node of a row changes. */
struct cap_acc {
    double cpu_sec, mem_sec; /* valid per flags HAS_A / HAS_B */
    uint32_t flags;
    uint32_t node;      /* pool id */
    uint32_t live;      /* holds rows not yet in caps */
    uint32_t role_seen; /* this batch: the node role last recorded in
                           nodes for the node, plus one; 0 none */
};

/* What a distinct raw label text resolves to. */
#define LBL_BAD 1u
#define LBL_INFRA 2u

struct agg_partial {
    struct agg_settings settings;
    struct agg_pool pool;       /* every string */
    struct agg_pool raw_labels; /* distinct raw label texts */
    uint32_t *raw_canon;        /* raw label id -> canonical pool id */
    uint8_t *raw_flags;         /* raw label id -> LBL_* */
    uint32_t raw_resolved, raw_cap;
    uint32_t raw_empty; /* raw id of the empty text + 1 once
                           resolved (NULL labels), else 0 */
    struct hmap pods, caps, node_labels, ns_labels, nodes, vnodes, storage;
    struct pod_memo *memo; /* pod pool id -> its last group and volume
                              node (agg_add.c) */
    uint32_t memo_cap;
    struct cap_acc *cap_acc; /* node dictionary id (or the NULL slot) ->
                                its maxima of the current interval */
    uint32_t *cap_live;      /* the live cap_acc slots, first-seen first */
    uint32_t cap_acc_cap;
    struct vn_rec *vn_log; /* volume nodes of the batch not yet in
                              vnodes (empty outside add_pods) */
    uint32_t *vn_order;    /* vn_flush's permutation of the log */
    size_t vn_log_n;
    double *nan_buf; /* NaN, for absent numeric columns */
    size_t nan_len;
    struct dict_map maps[OCP_TABLE_COUNT][OCP_MAX_COLUMNS];
    uint32_t apiserver_ns; /* pool id of "openshift-kube-apiserver" */
    struct agg_stats stats;
    struct lbl_set scratch; /* reused while parsing labels */
    int intern_failed;      /* a string could not be interned (pool) */
    uint32_t pool_gen;      /* counts the clears of pool (and of
                               raw_labels) at each reset: ids of one
                               generation name the same strings */
};

/* The tables a day index covers. */
enum { AGG_IX_CAPS, AGG_IX_PODS, AGG_IX_STORAGE, AGG_IX_VNODES, AGG_IX_COUNT };

/* The entries of `table` (AGG_IX_*) on `day`: their count, and *list the
 * entry indexes (NULL when none). */
size_t agg_day_index_entries(const struct agg_day_index *ix, int table, int32_t day,
                             const size_t **list);

/* The finish's lasting label caches (agg_finish.c).  A day index keeps a
 * list of them: agg_finish_day takes one (creating it when every cache is
 * in use by another thread) and puts it back. */
struct agg_finish_cache;
struct agg_finish_cache *agg_finish_cache_create(void);
void agg_finish_cache_destroy(struct agg_finish_cache *c);
/* Empties a cache for another partial, keeping its memory. */
void agg_finish_cache_forget(struct agg_finish_cache *c);
/* Forgets the cache's merged label texts when they outgrew their bound
 * (agg_day_index_trim). */
void agg_finish_cache_trim(struct agg_finish_cache *c);
struct agg_finish_cache *agg_day_index_take_cache(const struct agg_day_index *ix);
void agg_day_index_put_cache(const struct agg_day_index *ix, struct agg_finish_cache *c);

/* Interns a raw label text and returns its canonical filtered pool id and
 * flags (parsing it the first time it is seen). */
int agg_resolve_label(struct agg_partial *p, const char *text, size_t len, uint32_t *canon,
                      uint8_t *flags, struct ocp_error *err);

/* OCP_ERR_OSERR with "out of memory" in err. */
static inline int agg_oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* Memos [from, to) name no group and no volume node (agg_partial.c; the
 * memo grows in agg_add.c). */
void agg_memo_forget(struct pod_memo *m, uint32_t from, uint32_t to);

/* Merge helpers shared by agg_partial.c and agg_merge.c. */
/* The sum merges return 1 when a sum left the exact range. */
int agg_merge_pod_val(const struct agg_pool *pool, struct pod_val *dst, const struct pod_val *src);
void agg_merge_cap_val(struct cap_val *dst, const struct cap_val *src);
void agg_merge_lab_val(const struct agg_pool *pool, struct lab_val *dst, const struct lab_val *src);
void agg_merge_node_val(const struct agg_pool *pool, struct node_val *dst,
                        const struct node_val *src);
int agg_merge_sto_val(struct sto_val *dst, const struct sto_val *src);

/* dst = max(dst, v) where bit in *flags says whether dst holds a value;
 * NaN (NULL) is skipped, as SQL max skips NULLs.  Returns 1 for an
 * infinity, which is never kept (the caller reports it as bad data). */
static inline int max_into(double *dst, uint32_t *flags, uint32_t bit, double v)
{
    if (isnan(v))
        return 0;
    if (isinf(v))
        return 1;
    if (!(*flags & bit) || v > *dst) {
        *dst = v;
        *flags |= bit;
    }
    return 0;
}

static inline int32_t agg_day_of(int64_t ts_us)
{
    int64_t d = ts_us / OCP_US_PER_DAY;
    if (ts_us % OCP_US_PER_DAY < 0)
        d -= 1;
    return (int32_t)d;
}

/* What a node entry says for its role (agg_node_role). */
static inline void agg_node_info_of(const struct agg_partial *p, const struct node_val *v,
                                    struct agg_node_info *info)
{
    info->role = v->role != POOL_NULL ? pool_str(&p->pool, v->role) : NULL;
    info->role_len = v->role != POOL_NULL ? pool_len(&p->pool, v->role) : 0;
    info->apiserver = (v->flags & NODE_APISERVER) != 0;
    info->infra_label = (v->flags & NODE_INFRA_LABEL) != 0;
}

#endif
