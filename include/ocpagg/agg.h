/*
 * agg.h - the aggregation engine: partial tables, merging, finishing.
 *
 * A struct agg_partial holds everything one thread (or, after merging, one
 * rank) has learnt from the chunks it read: pod groups keyed by (day,
 * namespace, node, pod label set) with exact sums and maxima, node
 * capacity per (node, interval_start), the latest node and namespace label
 * set per day, node roles, storage groups and the volume nodes storage
 * rows need.  Every part merges associatively and commutatively, so the
 * finished report does not depend on which partial saw which rows.
 *
 * The engine has no MPI or OpenMP inside: one partial per thread; the
 * driver merges thread partials and ships serialized partials between
 * ranks.  Strings are interned per partial; what crosses a partial
 * boundary (agg_partial_serialize) carries the strings themselves.
 * Ownership: agg_partial_create/_destroy.
 */
#ifndef OCPAGG_AGG_H
#define OCPAGG_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "ocpagg/labels.h"
#include "ocpagg/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What every partial needs to know before it reads rows. */
struct agg_settings {
    int32_t start_day;              /* inclusive; INT32_MIN for open */
    int32_t end_day;                /* inclusive; INT32_MAX for open */
    const struct lbl_keys *enabled; /* enabled tag keys (borrowed) */
    int strict;                     /* malformed label text is an error */
    int track_volume_nodes;         /* keep (day, namespace, pod) -> node for storage */
};

/* Counters for the run summary; all sums over the rows a partial saw. */
struct agg_stats {
    int64_t rows_read[OCP_TABLE_COUNT];
    int64_t rows_out_of_range; /* interval_start NULL or outside the run */
    int64_t rows_no_node;      /* pod rows with NULL or empty node */
    int64_t bad_label_rows;    /* rows with malformed label text */
    int64_t pod_groups;
    int64_t storage_groups;
    int64_t capacity_entries;
    int64_t distinct_label_texts;
    int64_t bytes;   /* memory held by the tables */
    int64_t strings; /* distinct strings held */
};

struct agg_partial;

/* Creates an empty partial; settings are copied (enabled keys borrowed). */
int agg_partial_create(const struct agg_settings *settings, struct agg_partial **out,
                       struct ocp_error *err);

/* Frees a partial and everything it holds. */
void agg_partial_destroy(struct agg_partial *p);

/* Empties a partial for another run of rows (the next window of days)
 * under new settings (copied; enabled keys borrowed), keeping the memory
 * of its tables, strings and caches, so refilling it faults in no new
 * pages and rehashes nothing up to the sizes it had.  Afterwards it
 * aggregates as a partial just created with these settings: the same
 * groups, sums, counters and strings (its strings are forgotten, so a
 * day index over it forgets its label caches at agg_day_index_renew).
 * OCP_ERR_OSERR only when a string the partial always holds cannot be
 * interned; p must then be destroyed. */
int agg_partial_reset(struct agg_partial *p, const struct agg_settings *settings,
                      struct ocp_error *err);

/* Adds the rows of one decoded chunk of any table.  With strict settings a
 * malformed label text is OCP_ERR_DATA naming the column; the caller adds
 * file and row group. */
int agg_partial_add(struct agg_partial *p, const struct ocp_batch *batch, struct ocp_error *err);

/* Merges src into dst (src is left unchanged). */
int agg_partial_merge(struct agg_partial *dst, const struct agg_partial *src,
                      struct ocp_error *err);

/* Serializes a partial into a malloc'd buffer (strings included), for
 * sending to another rank. */
int agg_partial_serialize(const struct agg_partial *p, unsigned char **buf, size_t *len,
                          struct ocp_error *err);

/* Decides whether a day's groups go into a serialized part. */
typedef int (*agg_day_filter)(int32_t day, void *ctx);

/* Serializes only the groups of the days `keep` accepts, plus the tables
 * that have no day (node facts), so a partial can be split by day and the
 * days finished in parallel; counters are left out (they would count once
 * per part).  keep == NULL serializes everything, counters included. */
int agg_partial_serialize_days(const struct agg_partial *p, agg_day_filter keep, void *ctx,
                               unsigned char **buf, size_t *len, struct ocp_error *err);

/* What agg_partial_serialize_filtered puts in.  Volume nodes (the node
 * each pod ran on, a day) are read only by the storage rows of their
 * day, so they have a filter of their own: a day that several ranks
 * finish (its parts) needs them only where its storage rows are
 * finished, and there only for the pods that have storage rows. */
struct agg_part_filter {
    agg_day_filter keep;    /* days of every table but the volume nodes; NULL: none */
    agg_day_filter keep_vn; /* days of the volume nodes; NULL: none */
    void *ctx;              /* passed to both */
    int dayless;            /* the tables without a day (node facts) too */
    int vn_storage_only;    /* volume nodes only of pods with a storage group that day */
};

/* agg_partial_serialize_days with the part f describes (counters left
 * out); f == NULL serializes everything, counters included
 * (agg_partial_serialize). */
int agg_partial_serialize_filtered(const struct agg_partial *p, const struct agg_part_filter *f,
                                   unsigned char **buf, size_t *len, struct ocp_error *err);

/* Merges a serialized partial into dst; a malformed buffer is
 * OCP_ERR_SOFTWARE. */
int agg_partial_merge_serialized(struct agg_partial *dst, const unsigned char *buf, size_t len,
                                 struct ocp_error *err);

/* Counters and sizes. */
void agg_partial_stats(const struct agg_partial *p, struct agg_stats *out);

/* Settings the finish step needs beyond the partial. */
struct agg_cost_category {
    const char *pattern;
    int64_t id;
};
struct agg_node_role {
    const char *node;
    const char *role; /* "master", "infra" or "worker" */
};
struct agg_finish_settings {
    const struct agg_cost_category *cost_categories;
    size_t n_cost_categories;
    const struct agg_node_role *node_roles;
    size_t n_node_roles;
    uint8_t source_uuid[16]; /* namespace of the row uuids */
};

/* What a partial's rows say about one node, for its role (SEMANTICS.md
 * "Node role"): the largest non-empty node_role (NULL when none), whether
 * openshift-kube-apiserver ran on it, whether one of its node label sets
 * has node_role_kubernetes_io = infra.  The role is a property of the
 * node over the whole run, so a job that finishes some days before it
 * has read others compares these across its windows (driver). */
struct agg_node_info {
    const char *role; /* borrowed from the partial; NULL: none */
    size_t role_len;
    int apiserver;
    int infra_label;
};

/* Calls fn(name, len, info, ctx) for every node p knows; stops at and
 * returns fn's first non-zero result (0 when all returned 0). */
int agg_partial_nodes(const struct agg_partial *p,
                      int (*fn)(const char *name, size_t len, const struct agg_node_info *info,
                                void *ctx),
                      void *ctx);

/* The role the finish gives a node: the settings' role, else info->role,
 * else master (apiserver), infra (label), worker.  info may be NULL (a
 * node the rows never named). */
const char *agg_node_role(const struct agg_finish_settings *s, const char *name,
                          const struct agg_node_info *info);

/* Turns a fully merged partial into the sorted report rows: applies node
 * and namespace labels, capacities, cluster capacity, cost categories,
 * storage rows and unallocated rows (SEMANTICS.md).  The rows borrow the
 * partial's strings, so p must outlive out. */
int agg_finish(const struct agg_partial *p, const struct agg_finish_settings *settings,
               struct rpt_table *out, struct ocp_error *err);

/* Like agg_finish, but only for the days `keep` accepts (node facts and
 * capacities of other days are not needed for them), so days can be
 * finished one batch at a time in bounded memory. */
int agg_finish_days(const struct agg_partial *p, const struct agg_finish_settings *settings,
                    agg_day_filter keep, void *ctx, struct rpt_table *out, struct ocp_error *err);

/* An index of a partial's groups by day, so each day can be finished
 * without walking the other days' groups.  Built once after the partial
 * is complete (it must not change afterwards); read-only, so threads may
 * share it.  Ownership: agg_day_index_create / agg_day_index_destroy. */
struct agg_day_index;

int agg_day_index_create(const struct agg_partial *p, struct agg_day_index **out,
                         struct ocp_error *err);
void agg_day_index_destroy(struct agg_day_index *ix);

/* Makes ix the index of p (the next window's partial, say) as
 * agg_day_index_create would, but keeps the memory of its lists and of
 * its finish caches, so the next window's finish reuses pages already in
 * place.  What the caches hold (prepared label sets, merged label
 * texts), keyed by p's string ids, is forgotten unless p is the partial
 * ix served with the same strings (not reset since: agg_partial_reset
 * forgets them).  No finish may be using ix.
 * OCP_ERR_OSERR when out of memory; ix then lists no days, and may be
 * renewed again or destroyed. */
int agg_day_index_renew(struct agg_day_index *ix, const struct agg_partial *p,
                        struct ocp_error *err);

/* Forgets the merged label texts of the index's finish caches that
 * outgrew their bound (64 MiB of texts each; their memory stays for the
 * next texts), so a month's distinct texts are not all held.  The rows
 * of every finish through ix so far must no longer be read, and no
 * finish may be running: call it between batches of days.  (The caches
 * are the index's only mutable part, like the finishes' use of them.) */
void agg_day_index_trim(const struct agg_day_index *ix);

/* agg_finish_days for the one day `day`, walking only its groups through
 * the index built from the same partial.  Gives the same rows.  The rows
 * borrow the partial's strings and the index's label texts: they stay
 * valid until agg_day_index_trim, agg_day_index_renew or
 * agg_day_index_destroy. */
int agg_finish_day(const struct agg_partial *p, const struct agg_day_index *ix,
                   const struct agg_finish_settings *settings, int32_t day, struct rpt_table *out,
                   struct ocp_error *err);

/* agg_finish_day for part `part` (0 .. nparts - 1) of the day's rows, so
 * that several ranks can share a day: the day's sorted rows are cut into
 * nparts runs that follow each other, between namespaces of the pod rows
 * (a namespace's rows stay in one part; the storage rows, which follow
 * every pod row, are in the last part), of about equal numbers of rows
 * (agg_finish_part.c).  The cut depends only on the day's groups, so the
 * parts from holders of the same groups, encoded one after the other in
 * part order, give the text of agg_finish_day's rows.  A part may be
 * empty; nparts 1 is agg_finish_day. */
int agg_finish_day_part(const struct agg_partial *p, const struct agg_day_index *ix,
                        const struct agg_finish_settings *settings, int32_t day, int part,
                        int nparts, struct rpt_table *out, struct ocp_error *err);

/* Counts the pod and storage groups of the days `keep` accepts. */
void agg_partial_count_days(const struct agg_partial *p, agg_day_filter keep, void *ctx,
                            int64_t *pod_groups, int64_t *storage_groups);

/* The sorted distinct days that have report rows (pod or storage groups);
 * *days is malloc'd.  OCP_ERR_OSERR when out of memory. */
int agg_partial_days(const struct agg_partial *p, int32_t **days, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
