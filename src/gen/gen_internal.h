/*
 * gen_internal.h - the synthetic cluster model shared by gen*.c.
 */
#ifndef OCPAGG_GEN_INTERNAL_H
#define OCPAGG_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "ocpagg/gen.h"

#define GEN_US_PER_HOUR INT64_C(3600000000)

/* splitmix64's finalizer: a cheap, well-mixed 64-bit hash. */
static inline uint64_t gen_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* A hash of the seed and up to three coordinates; every random choice of
 * the model is such a pure function, so any row can be made in any order
 * and the output does not depend on the block size. */
static inline uint64_t gen_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return gen_mix(seed ^ gen_mix(a * UINT64_C(0x9e3779b97f4a7c15) ^
                                  gen_mix(b * UINT64_C(0xc2b2ae3d27d4eb4f) ^
                                          c * UINT64_C(0x165667b19e3779f9))));
}

/* A growable dictionary that becomes an immutable struct ocp_strdict. */
struct gen_dict {
    struct ocp_strdict d;
    uint64_t *offsets;
    size_t cap;
    char *data;
    size_t len, datacap;
    int oom;
};

void gen_dict_init(struct gen_dict *g);
void gen_dict_release(struct gen_dict *g);
/* Adds a string and returns its id (ids are dense from 0).  On allocation
 * failure sets g->oom and returns OCP_NULL_ID. */
uint32_t gen_dict_add(struct gen_dict *g, const char *s, size_t len);
uint32_t gen_dict_addf(struct gen_dict *g, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Publishes the entries in g->d and gives it a fresh serial. */
void gen_dict_seal(struct gen_dict *g);

enum gen_role { GEN_MASTER, GEN_INFRA, GEN_WORKER };

struct gen_node {
    enum gen_role role;
    uint32_t name;      /* id in node dict */
    uint32_t rid;       /* id in rid dict */
    uint32_t role_text; /* id in role dict or OCP_NULL_ID */
    double cores, mem;  /* capacity */
    int effective;      /* reports effective usage */
    uint32_t labels[4]; /* node label variants: base, tier 0..2 */
};

enum gen_slot_kind { SLOT_PLATFORM, SLOT_APP, SLOT_STATEFUL, SLOT_CACHE, SLOT_VM };

struct gen_slot {
    uint8_t kind;
    uint8_t moves;                    /* may run on another node on some days */
    uint8_t churns;                   /* may be replaced by a new pod mid-day */
    uint32_t home;                    /* node index */
    uint32_t ns;                      /* id in ns dict */
    uint32_t pod_base;                /* id in pod dict of generation 0 */
    uint32_t label;                   /* id in plabel dict or OCP_NULL_ID */
    double req_cpu, lim_cpu, use_cpu; /* cores; lim NaN = none */
    double req_mem, lim_mem, use_mem; /* bytes */
};

/* A PVC row source of the storage table. */
struct gen_volume {
    uint32_t slot;                      /* UINT32_MAX for a PVC whose pod never runs */
    uint32_t ns, pod, pvc, pv, sc, csi; /* csi may be OCP_NULL_ID */
    uint32_t pv_labels, pvc_labels;     /* may be OCP_NULL_ID */
    double bytes;
};

struct gen_model {
    struct gen_config cfg;
    uint32_t nnodes, nslots, nns, napp, nvol;
    struct gen_node *nodes;
    struct gen_slot *slots;
    struct gen_volume *vols;
    uint32_t *ns_labels;            /* nns * 4 variants, ids in nslabel dict */
    uint32_t *app_ns;               /* ids of the application namespaces */
    uint32_t *day_gen;              /* nslots * days: pod generation at 00:00 */
    uint8_t *day_split;             /* nslots * days: hour a new pod takes over, 24 none */
    uint32_t empty_node, empty_rid; /* ids of "" */
    uint32_t plabel_empty, plabel_braces, bad_first, bad_count;
    uint32_t nlabel_empty, nslabel_empty, nslabel_braces;
    struct gen_dict ns, node, pod, rid, role, plabel;
    struct gen_dict pvc, pv, sc, csi, vlabel, nlabel, nslabel;
};

/* Builds the model for a checked configuration. */
int gen_model_init(struct gen_model *m, const struct gen_config *cfg, struct ocp_error *err);
void gen_model_release(struct gen_model *m);

/* Column buffers for one block of a table. */
struct gen_block {
    struct ocp_batch b;
    int64_t *ts;
    double *num[OCP_MAX_COLUMNS];
    uint32_t *ids[OCP_MAX_COLUMNS];
};

/* Fills rows [row, row + n) of a table (rows in the order of the closed
 * form: day, hour, then the table's entity) into blk, setting b.nrows. */
void gen_fill(const struct gen_model *m, enum ocp_table table, int64_t row, size_t n,
              struct gen_block *blk);

#endif
