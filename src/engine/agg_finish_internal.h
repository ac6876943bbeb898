/*
 * agg_finish_internal.h - what the finish's files share (internal to
 * src/engine): agg_finish.c (capacity, pod and unallocated rows, the
 * run), agg_finish_labels.c (prepared label sets, merged label texts and
 * their lasting cache), agg_finish_storage.c (storage rows).
 */
#ifndef OCPAGG_AGG_FINISH_INTERNAL_H
#define OCPAGG_AGG_FINISH_INTERNAL_H

#include "engine/agg_internal.h"
#include "ocpagg/text.h"

#include <stdlib.h>
#include <string.h>

#define GIB_INV 0x1p-30

struct day_node_key {
    int32_t day;
    uint32_t node;
};
struct cap_sums {
    struct xsum cpu, mem;
    double cpu_h, mem_gbh; /* the report's hours, once the sums are done */
};

struct merged_key {
    uint32_t node_labels, ns_labels, own_labels, own2_labels;
};
struct merged_val {
    uint32_t id; /* in the finish pool */
};

struct final_pod_key {
    int32_t day;
    uint32_t ns, node, labels; /* labels in the finish pool */
};
/* A final group names the partial's pod entry that made it; only the
 * rare group that two entries make (their merged label texts are equal)
 * has its value copied, into the cache's `joined`.  So the day's map
 * takes 32 bytes a group instead of 240 (key and a copy of the sums). */
#define FINAL_ALONE UINT32_MAX
struct final_pod_val {
    uint32_t entry;  /* the first pod entry of the group */
    uint32_t joined; /* its index in joined[], or FINAL_ALONE */
};

struct unalloc_val {
    struct xsum usage_cpu, request_cpu, eff_cpu, usage_mem, request_mem, eff_mem;
    double cap_cores, cap_mem_bytes;
    uint32_t resource_id, flags;
};

struct span_val {
    uint32_t start, count;
};

struct pv_node_key {
    int32_t day;
    uint32_t pv, node;
};
struct day_pv_key {
    int32_t day;
    uint32_t pv;
};
struct count_val {
    int64_t count;
};

struct final_sto_key {
    int32_t day;
    uint32_t ns, node, resource_id, pvc, pv, storageclass, csi, labels;
};

struct set_key {
    uint32_t id, zero;
};

/* A canonical label set ready for merging: its pairs in key order, each
 * with its JSON text "key":"value" already quoted (and as it reads in a
 * CSV field), so a merged text and its CSV field are built by picking
 * entries, never quoting again. */
struct prep_entry {
    const char *key;
    const char *text;
    const char *ctext; /* text inside a CSV field: each '"' doubled */
    uint64_t kpre;     /* the key's first 8 bytes, big-endian, zero-padded */
    uint32_t klen, tlen, ctlen;
    uint32_t eid; /* the entry's id: equal texts, equal ids (cache epool) */
};
struct prep_set {
    const struct prep_entry *e;
    uint32_t n;
};
struct set_val {
    struct prep_set *set;
};

/* What the finish keeps from one day to the next when days are finished
 * through a day index (agg_finish_day): prepared label sets and merged
 * label texts (a cache past FINISH_CACHE_BYTES of texts starts afresh at
 * the next batch of days, agg_day_index_trim, so a month's distinct
 * texts are not all held).  One cache serves one day at a time; days
 * finished in parallel take separate caches from the index
 * (agg_day_index_take_cache).  Rows from a finish through an index point
 * into its cache's texts, which stay until the trim, the index's renewal
 * or its end: copying them into each day's table was some 30 MB of fresh
 * pages a day on a 3.6 M-row set.  agg_finish_days (no index) copies
 * them into its table, its cache ending with the call. */
#define FINISH_CACHE_BYTES ((size_t)16 << 20)

/* One pod group on its way into emit_pods' day map: its entry, the
 * label quadruple and the final key, with their hashes (worked out a few
 * groups ahead so the slots they probe can be loaded in advance). */
struct emit_item {
    struct merged_key mk;
    struct final_pod_key fk;
    size_t e;
    uint32_t mh, fh;
};

/* One merged label text of a cache, by text id (from 1; POOL_NULL is
 * none): the text, the ids of the entries it was built of (equal texts
 * are equal entry lists, so texts are found by their lists without
 * building or hashing the text), its quoted CSV field ('"' doubled), made
 * with it and kept for all the days the text is, and its copy in the
 * table being finished (text, NUL, CSV field, NUL) when stamp is the
 * cache's stamp. */
struct fin_text {
    const char *text;
    const uint32_t *seq;
    const char *csv;
    const char *table;
    uint32_t len, nseq, csv_len, stamp;
};

/* The merged texts of a cache: records by id, a hash table over their
 * entry lists, the bytes in an arena (no text ever moves). */
struct fin_texts {
    struct ocp_arena mem;
    struct fin_text *t;  /* [0] unused */
    uint32_t count, cap; /* ids in use (with 0), room */
    uint64_t *slots;     /* 0 empty, else list hash << 32 | id */
    uint32_t mask;       /* slots - 1 (slots a power of two, or none) */
    size_t text_bytes;   /* for FINISH_CACHE_BYTES */
};

/* A merge begun (agg_fin_merge_begin) whose text is still to be found:
 * its entries at pick/seq[from, from + n), their list hash h, the merged
 * map entry e and where the text id goes. */
struct merge_job {
    uint32_t *out;
    size_t e, from;
    uint32_t n, h;
};
/* Jobs ahead whose text slots are prefetched (their records half as far
 * ahead, their entry lists a quarter). */
#define MERGE_AHEAD 8
/* Merges begun before emit_pods ends them (bounding the scratch). */
#define MERGE_BATCH 4096

/* The last prepared set seen in a memo slot (slot by id's hash). */
#define SET_MEMO_BITS 8
struct set_memo {
    uint32_t id;
    const struct prep_set *set; /* NULL: empty slot */
};

struct agg_finish_cache {
    struct agg_finish_cache *next; /* the index's list of caches */
    struct fin_texts texts;        /* merged label texts */
    struct agg_pool epool;         /* prepared entries' texts -> entry ids */
    struct hmap sets;              /* p->pool id -> prepared set */
    struct set_memo set_memo[1 << SET_MEMO_BITS];
    struct hmap merged; /* label quadruple -> text id */
    struct lbl_set work;
    struct ocp_arena prep;  /* prepared sets */
    struct hmap pod_final;  /* emit_pods' groups of the day */
    struct pod_val *joined; /* ... the values of those made of
                               several entries, njoined of
                               joined_cap */
    size_t njoined, joined_cap;
    struct emit_item *items; /* emit_pods' scratch, items_cap long */
    size_t items_cap;
    const struct prep_entry **pick; /* merges' entries, npick used of pick_cap */
    uint32_t *seq;                  /* ... and their ids */
    size_t npick, pick_cap;
    struct merge_job *jobs; /* merges begun, njobs of jobs_cap */
    size_t njobs, jobs_cap;
    uint32_t stamp; /* the table being finished */
};

/* Entries of the finisher's cost category cache. */
#define AGG_FIN_COST_CACHE 64

/* Rows whose uuid is to be made, two at a time (agg_fin_queue_uuid):
 * their names, by row index (the table may move its rows meanwhile). */
struct uuid_queue {
    char name[2][2048];
    size_t len[2], row[2];
    int have; /* names waiting: 0 or 1 */
};

struct finisher {
    const struct agg_partial *p;
    const struct agg_finish_settings *settings;
    struct agg_finish_cache *c; /* labels (lasting with an index) */
    struct hmap dn_caps;        /* (day, node) -> capacity sums */
    struct hmap day_caps;       /* (day, 0) -> cluster capacity sums */
    struct rpt_table *out;
    int overflow;        /* a sum left the exact range */
    agg_day_filter keep; /* NULL: every day */
    void *keep_ctx;
    const struct agg_day_index *ix; /* non-NULL: only ix_day, through it */
    int32_t ix_day;
    int uuid_day_valid; /* uuid_day_text is the date of uuid_day */
    int32_t uuid_day;
    char uuid_day_text[11];
    struct uuid_queue uq; /* a pod row waiting for its uuid */
    /* Cost categories of recent namespaces, by the namespace's pool
     * pointer (a finish's rows come node by node, so its namespaces
     * alternate); ns NULL: an empty entry. */
    struct {
        const char *ns;
        int has;
        int64_t id;
    } cost[AGG_FIN_COST_CACHE];
    /* One part of the day (agg_finish_day_part), when nparts > 1: the
     * pod rows whose namespace's part (ns_part: partial pool id ->
     * struct ns_part_val) is `part`, the unallocated rows whose
     * namespace's part is (platform_part, worker_part) and, in the last
     * part, the storage rows. */
    int part, nparts;
    struct hmap ns_part;
    int platform_part, worker_part;
    uint32_t memo_ns; /* the last namespace asked of in_part, and its answer */
    int memo_in;
};

struct ns_part_key {
    uint32_t ns, zero;
};
struct ns_part_val {
    int64_t weight; /* the day's pod groups of the namespace */
    int32_t part;
};

/* agg_finish_part.c */

/* Cuts f's day (f->ix, f->ix_day; its capacity already built) into
 * f->nparts parts, filling f->ns_part and the unallocated namespaces'
 * parts (see agg_finish_day_part). */
int agg_fin_cut(struct finisher *f, struct ocp_error *err);

/* Whether pod rows of namespace ns (a partial pool id) are in f's part. */
static inline int agg_fin_in_part(struct finisher *f, uint32_t ns)
{
    struct ns_part_key k;
    size_t e;

    if (f->nparts <= 1)
        return 1;
    if (ns == f->memo_ns && f->memo_in >= 0)
        return f->memo_in;
    k.ns = ns;
    k.zero = 0;
    e = hmap_find(&f->ns_part, &k);
    f->memo_ns = ns;
    f->memo_in =
        e != SIZE_MAX && ((const struct ns_part_val *)hmap_value(&f->ns_part, e))->part == f->part;
    return f->memo_in;
}

static inline int wanted(const struct finisher *f, int32_t day)
{
    return f->keep == NULL || f->keep(day, f->keep_ctx);
}

/* The entries of a table to look at: with a day index only that day's
 * (*list names them), else all of them (*list NULL, filtered by wanted). */
static inline size_t entries_of(const struct finisher *f, int table, const struct hmap *m,
                                const size_t **list)
{
    if (f->ix != NULL)
        return agg_day_index_entries(f->ix, table, f->ix_day, list);
    *list = NULL;
    return m->count;
}

static inline size_t entry_at(const size_t *list, size_t j)
{
    return list != NULL ? list[j] : j;
}

static inline int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* A string of the partial, borrowed: the partial outlives the table. */
static inline const char *str_of(const struct finisher *f, uint32_t id)
{
    return pool_str(&f->p->pool, id);
}

/* agg_finish_labels.c */

/* The finish-pool id of node ∪ namespace ∪ a ∪ b (later wins): the
 * sets' entries merged in key order into compact JSON, as lbl_canonical
 * writes the merged set. */
int agg_fin_merged_labels(struct finisher *f, uint32_t node_l, uint32_t ns_l, uint32_t a,
                          uint32_t b, uint32_t *out, struct ocp_error *err);
/* agg_fin_merged_labels of the quadruple k, whose hmap_hash is h. */
int agg_fin_merged_labels_hashed(struct finisher *f, const struct merged_key *k, uint32_t h,
                                 uint32_t *out, struct ocp_error *err);
/* The same in two steps, for many quadruples at once: begin gives *out a
 * known text's id at once, else merges the sets and leaves *out to
 * agg_fin_merge_end, which finds all the begun merges' texts (each text
 * slot loaded a few merges ahead of its lookup).  *out must stay in place
 * until then. */
int agg_fin_merge_begin(struct finisher *f, const struct merged_key *k, uint32_t h, uint32_t *out,
                        struct ocp_error *err);
/* Loads what agg_fin_merge_begin of k (hash h) will look up first. */
void agg_fin_merge_prefetch(struct finisher *f, const struct merged_key *k, uint32_t h);
int agg_fin_merge_end(struct finisher *f, struct ocp_error *err);
/* Sets up / releases a cache held by the caller. */
void agg_fin_cache_init(struct agg_finish_cache *c);
void agg_fin_cache_release(struct agg_finish_cache *c);

/* agg_finish_texts.c */

void agg_fin_texts_init(struct fin_texts *s);
void agg_fin_texts_release(struct fin_texts *s);
/* Forgets every text (when they outgrow FINISH_CACHE_BYTES). */
void agg_fin_texts_clear(struct fin_texts *s);
/* The id of the merged text of entries pick[0..n) (ids seq[0..n)), kept
 * from now on when new: "{" the entries' texts joined by "," "}". */
int agg_fin_texts_intern(struct fin_texts *s, const struct prep_entry *const *pick,
                         const uint32_t *seq, uint32_t n, uint32_t *id, struct ocp_error *err);
/* The length of text id (a valid id). */
static inline size_t agg_fin_text_len(const struct fin_texts *s, uint32_t id)
{
    return s->t[id].len;
}
/* The hash of an entry list (what texts are found by). */
uint32_t agg_fin_texts_hash(const uint32_t *seq, uint32_t n);
/* Room for n more texts without the hash table growing; -1 when out of
 * memory. */
int agg_fin_texts_reserve(struct fin_texts *s, size_t n);
/* Loads what looking up a list with hash h will read: its first slot
 * (stage 0), the record that slot names (stage 1, after stage 0), that
 * record's entry list (stage 2, after stage 1). */
void agg_fin_texts_prefetch(const struct fin_texts *s, uint32_t h, int stage);
/* agg_fin_texts_intern with the list's hash h known. */
int agg_fin_texts_intern_hashed(struct fin_texts *s, const struct prep_entry *const *pick,
                                const uint32_t *seq, uint32_t n, uint32_t h, uint32_t *id,
                                struct ocp_error *err);
/* A merged label text for the rows: one copy per distinct text in the
 * table, followed by its quoted CSV field (made once per text while the
 * cache keeps it); NULL when out of memory. */
const char *agg_fin_label_text(struct finisher *f, uint32_t id);
/* Asks for the first lines of label text id (agg_fin_label_text's), to
 * be read a few rows later. */
void agg_fin_label_prefetch(const struct finisher *f, uint32_t id);
/* Gives row its label text's quoted CSV field (after agg_fin_label_text). */
void agg_fin_label_csv(const struct finisher *f, uint32_t id, struct rpt_row *row);
/* Starts a new table: no text counts as copied into it yet. */
void agg_fin_cache_new_table(struct agg_finish_cache *c);

/* agg_finish.c */

/* The labels an id (node or namespace) has on day: POOL_NULL for none. */
uint32_t agg_fin_labels_of_day(const struct hmap *m, int32_t day, uint32_t id);
/* The row's cost category (max id of the matching patterns), if any. */
void agg_fin_set_cost_category(struct finisher *f, struct rpt_row *row, const char *ns);
/* The row's uuid from its key fields; -1 when out of memory.  known:
 * lengths of namespace, node, all_labels and resource_id, or NULL. */
int agg_fin_set_uuid(struct finisher *f, struct rpt_row *r, const size_t *known);
/* The same for row `row` of f->out, queued: rows are hashed two at a
 * time (txt_uuid_v5_pair), so a row's uuid may be set only by the next
 * call or by agg_fin_flush_uuid, which the caller makes before the rows
 * are used.  0, or -1 when out of memory. */
int agg_fin_queue_uuid(struct finisher *f, size_t row, const size_t *known);
/* Sets the uuid of the row still queued, if any. */
void agg_fin_flush_uuid(struct finisher *f);

/* agg_finish_storage.c */

/* The day's storage rows: one per storage group and volume node. */
int agg_fin_emit_storage(struct finisher *f, struct ocp_error *err);

#endif
