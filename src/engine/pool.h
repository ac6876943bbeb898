/*
 * pool.h - string interning for the engine (internal).
 *
 * Every string the engine keeps (namespaces, nodes, label texts, ...) is
 * stored once per pool and named by a small integer id, so group keys are
 * fixed-size integers.  Id 0 is reserved for SQL NULL; the empty string is
 * an ordinary id.  Ids are private to one pool: whatever crosses threads
 * or ranks carries the strings (see agg_serialize.c).
 * Ownership: struct agg_pool is caller storage (pool_init/pool_release).
 */
#ifndef OCPAGG_ENGINE_POOL_H
#define OCPAGG_ENGINE_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_NULL 0u
/* Ids stay below 2^29: callers keep three flag bits above an id (see
 * label_at in agg_add_internal.h).  Past that many distinct strings a pool
 * refuses new ones and says so with `full`. */
#define POOL_MAX_IDS (1u << 29)

/* Where one string lives; one 16-byte record so a lookup touches one
 * cache line for it. */
struct pool_meta {
    uint64_t offset; /* in bytes */
    uint32_t length;
    uint32_t hash;
};

struct agg_pool {
    char *bytes; /* all strings, each followed by a NUL */
    size_t bytes_len, bytes_cap;
    struct pool_meta *meta; /* id -> string; [0] is the NULL id */
    uint32_t count;         /* ids in use, including the NULL id */
    uint32_t cap;
    uint64_t *slots; /* open addressing: 0 empty, else hash << 32 | id */
    uint32_t mask;
    int full; /* a new string was refused: POOL_MAX_IDS reached */
};

void pool_init(struct agg_pool *p);
void pool_release(struct agg_pool *p);
/* Forgets every string but keeps the memory, so the pool fills again
 * without growing (ids restart as in a new pool). */
void pool_clear(struct agg_pool *p);

/* Returns the id of s[0..len), adding it when new.  POOL_NULL for a
 * non-NULL s is a failure: `full` is then set when the pool holds
 * POOL_MAX_IDS strings (or a string is 4 GiB or longer), else memory ran
 * out; pool_fail_error describes either. */
uint32_t pool_intern(struct agg_pool *p, const char *s, size_t len);

static inline const char *pool_str(const struct agg_pool *p, uint32_t id)
{
    return id == POOL_NULL ? NULL : p->bytes + p->meta[id].offset;
}

static inline uint32_t pool_len(const struct agg_pool *p, uint32_t id)
{
    return id == POOL_NULL ? 0 : p->meta[id].length;
}

/* Fills err for a pool_intern failure (71 out of memory, or 65 naming the
 * limit when the pool is full) and returns the code. */
struct ocp_error;
int pool_fail_error(const struct agg_pool *p, struct ocp_error *err, const char *what);

/* Byte-order comparison of two ids' strings; NULL sorts first. */
int pool_cmp(const struct agg_pool *p, uint32_t a, uint32_t b);

/* A 32-bit hash of bytes for the pool's table (txt_hash's top half). */
uint32_t pool_hash(const char *s, size_t len);

#endif
