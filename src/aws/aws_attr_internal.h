/*
 * aws_attr_internal.h - what the attribution's files share: the context of
 * one attribution (struct ctx), the rows it makes, and the key buffer,
 * index and id sets it looks rows up in.  aws_attr_index.c holds the
 * index and the id sets, aws_attr_ocp.c the OCP side (the summary rows
 * indexed, the match sets), aws_attr.c the attribution row by row and
 * day by day, aws_attr_kinds.c the kinds' rules (§5) that fill the groups,
 * aws_attr_report.c the report rows made of its groups.
 */
#ifndef OCPAGG_AWS_ATTR_INTERNAL_H
#define OCPAGG_AWS_ATTR_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "aws/aws_internal.h"
#include "ocpagg/labels.h"

/* The namespaces of attribution rows that no OCP row backs. */
extern const char AWS_NS_WORKER[];
extern const char AWS_NS_PLATFORM[];
extern const char AWS_NS_STORAGE[];
extern const char AWS_NS_NETWORK[];

static inline int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

static inline int nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* NULL sorts before every value; strings by bytes. */
static inline int scmp(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* max of two nullable strings (NULL skipped). */
static inline const char *smax(const char *a, const char *b)
{
    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    return strcmp(a, b) >= 0 ? a : b;
}

static inline const char *empty_null(const char *s)
{
    return nonempty(s) ? s : NULL;
}

/* 1 when the pair p is there and its value is v (non-NULL), else 0. */
static inline int peq(const struct lbl_pair *p, const char *v)
{
    return p != NULL && v != NULL && p->vlen == strlen(v) && memcmp(p->value, v, p->vlen) == 0;
}

/* ---- a key built in a growable buffer ----
 * bad: an append ran out of memory; the key then finds and adds nothing. */
struct key {
    struct rpt_buf b;
    int bad;
};

static inline void k_add(struct key *k, const void *s, size_t len)
{
    if (!k->bad && rpt_buf_append(&k->b, s, len) != 0)
        k->bad = 1;
}

static inline void k_u32(struct key *k, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    k_add(k, t, 4);
}

static inline void k_str(struct key *k, const char *s, size_t len)
{
    k_u32(k, (uint32_t)len);
    k_add(k, s, len);
}

/* A nullable NUL-terminated string: flag byte, then length and bytes. */
static inline void k_nstr(struct key *k, const char *s)
{
    unsigned char f = s != NULL;
    k_add(k, &f, 1);
    if (s != NULL)
        k_str(k, s, strlen(s));
}

static inline void k_begin(struct key *k, char type, int32_t day)
{
    k->b.len = 0;
    k_add(k, &type, 1);
    k_u32(k, (uint32_t)day);
}

/* ---- an index: key -> list of OCP row numbers (aws_attr_index.c) ---- */
struct post {
    uint32_t row;
    int64_t next;
};

struct index {
    struct aws_map m;
    int64_t *head; /* per key index */
    size_t hcap;
    struct post *e;
    size_t n, cap;
};

/* Adds row under key k; OCP_ERR_OSERR when out of memory (or k->bad). */
int aws_ix_add(struct index *ix, const struct key *k, uint32_t row);
/* The head of k's posting list (follow .next), or -1. */
int64_t aws_ix_find(const struct index *ix, const struct key *k);
/* Frees what ix holds. */
void aws_ix_release(struct index *ix);

/* ---- a set of ids with the distinct lengths, for suffix tests ---- */
struct idset {
    struct aws_map m;
    size_t *lens; /* distinct lengths, descending */
    size_t nlens;
};

/* Adds id (len bytes) and records its length; OCP_ERR_OSERR when out of
 * memory. */
int aws_set_add(struct idset *s, const char *id, size_t len);
/* 1 when rid (rlen bytes) ends with some member (§3.1), else 0. */
int aws_set_suffix(const struct idset *s, const char *rid, size_t rlen);
/* Frees what s holds. */
void aws_set_release(struct idset *s);

/* ---- report groups ---- */
struct group {
    struct xsum usage, din, dout, cost[AWS_NCOST];
    int64_t n_usage, n_cost[AWS_NCOST];
};

/* One attribution row before grouping. */
struct attr {
    enum rpt_source source;
    const char *ns, *node, *pvc, *pv, *sc, *rid;
    const char *labels; /* L (text) or NULL */
    int tags_only;      /* K5: M = T */
    int has_cc;
    int64_t cc;
    const char *aws_cc; /* NULL or r's */
    double usage;
    double x[4]; /* unblended, blended, savingsplan, amortized */
};

/* The daily row's derived values (§2). */
struct drow {
    int32_t day;
    char *s[AWS_KEY_STRINGS]; /* NUL-terminated copies of the key strings */
    const char *rid;          /* NULL for '' */
    const char *product_code, *availability_zone, *product_family;
    const char *instance_type, *region, *unit, *currency, *direction;
    const char *usage_account_id;
    double Cu, Cb, Cs, Ca, Q;
    struct lbl_set tags; /* unfiltered resourcetags */
    struct lbl_set T;    /* filtered */
};

struct ctx {
    const struct aws_partial *p;
    const struct rpt_table *ocp;
    const struct aws_settings *s;
    struct aws_counters *c;
    double m;
    struct lbl_keys e_out, e_t, e_generic;
    struct idset nodeids, pvnames, handles;
    struct aws_map tagnodes, tagns;
    struct index ix;     /* all per-day OCP indexes, typed by key */
    struct aws_map gmap; /* report group key -> group */
    struct group *groups;
    size_t gcap;
    struct key k, gk;
    uint32_t *stamp;
    uint32_t stamp_now;
    const struct rpt_row **buf; /* row lists */
    size_t bufcap;
    struct xsum kind_u[AWS_NKIND];
    struct lbl_set tmp;
    struct lbl_keys e_lab; /* label keys worth indexing: generic ∪ openshift_* */
    /* Caches: the output tags per (L, r's tags) and the indexable pairs
     * per OCP label text, since both repeat across rows. */
    struct aws_map tcache;
    char **tvals;
    size_t tcap;
    struct aws_map lcache;
    struct lbl_set *lvals;
    size_t lcap;
};

/* ---- the OCP side (aws_attr_ocp.c) ---- */

/* Makes room for need row pointers in x->buf; OCP_ERR_OSERR when out of
 * memory. */
int aws_attr_grow_buf(struct ctx *x, size_t need);
/* Collects the rows of a posting list into x->buf; *n gets the count. */
int aws_attr_collect(struct ctx *x, int64_t h, size_t *n);
/* The rows of type t ('N' node rows, 'V' volume rows) of day whose id is
 * the longest suffix of rid (§5.1); -1 when none. */
int64_t aws_attr_longest(struct ctx *x, char t, int32_t day, const struct idset *lens,
                         const char *rid, size_t rlen);
/* Adds the members of concatenated aws_match_encode images to x's match
 * sets. */
int aws_attr_match_add_images(struct ctx *x, const unsigned char *d, size_t len,
                              struct ocp_error *err);
/* Indexes the OCP summary rows (by day, node, volume, labels) and makes
 * this rank's match sets. */
int aws_attr_build_ocp(struct ctx *x, struct ocp_error *err);

/* ---- the kinds (aws_attr_kinds.c) ----
 * Each splits the matched daily row d over the OCP rows of the posting
 * list h (or the index, for K4) by its rule, marks each part up and adds
 * it to its report group in x (and to x's counters).  OCP_ERR_DATA for a
 * sum beyond 2^90 or bad OCP label text, OCP_ERR_OSERR when out of
 * memory. */

/* K1 + K2 (§5.2, §5.3): d over the volume rows of h (not the storage
 * namespace's) per (namespace, PV, PVC) by capacity share of cap, then the
 * unattributed remainder of cap.  *made gets the number of rows made. */
int aws_attr_storage(struct ctx *x, const struct drow *d, int64_t h, double cap, int *made,
                     struct ocp_error *err);
/* K3 (§5.4): d over the node rows of h per (namespace, pod labels) by
 * effective usage over node capacity.  *made gets the number of rows
 * made. */
int aws_attr_compute(struct ctx *x, const struct drow *d, int64_t h, int *made,
                     struct ocp_error *err);
/* K5 (§5.6): all of d as one row of the network namespace, on the
 * greatest node of h's rows, tagged with d's tags alone. */
int aws_attr_network(struct ctx *x, const struct drow *d, int64_t h, struct ocp_error *err);
/* K4 (§5.5): d split evenly over the (namespace, source) groups of the
 * OCP rows its tags find: all the day's rows when the cluster tag names
 * this cluster, else those of its project and node tags and of the ng
 * pairs of G(r) (gp: indexes into d->tags).  *made gets the number of
 * rows made. */
int aws_attr_tag(struct ctx *x, const struct drow *d, const size_t *gp, size_t ng, int *made,
                 struct ocp_error *err);

/* ---- the report rows (aws_attr_report.c) ---- */

/* The report rows of x's groups (one a group), sorted as the report
 * wants them, with uuids, account aliases and the run's settings, into
 * out (empty, made with aws_table_init).  OCP_ERR_CONFIG for a bad
 * aws.source_uuid, OCP_ERR_OSERR when out of memory. */
int aws_attr_rows(struct ctx *x, struct aws_table *out, struct ocp_error *err);

/* The run's settings a table carries (cluster, source, period, bill),
 * copied from s into t (whose own are unset).  OCP_ERR_OSERR when out of
 * memory. */
int aws_attr_table_run(struct aws_table *t, const struct aws_settings *s, struct ocp_error *err);

#endif
