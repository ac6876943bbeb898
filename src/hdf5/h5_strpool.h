/*
 * h5_strpool.h - an append-only set of byte strings with dense ids, used by
 * the HDF5 writer to build one dictionary per string column.
 * Ownership: struct h5_strpool is caller storage (_init/_release).
 */
#ifndef OCPAGG_H5_STRPOOL_H
#define OCPAGG_H5_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct h5_strpool {
    uint32_t count;
    uint64_t *offsets; /* count + 1 entries */
    size_t offcap;
    char *data;
    size_t datacap;
    uint32_t *slots;  /* open addressing: id + 1, 0 = empty */
    uint64_t *hashes; /* hash of each id, so growing never rehashes bytes */
    size_t nslots;
};

/* Prepares an empty pool; returns -1 when out of memory. */
int h5_strpool_init(struct h5_strpool *p);

/* Frees the pool's memory. */
void h5_strpool_release(struct h5_strpool *p);

/* Finds s[0..len) or adds it; stores its id in *id.  Returns -1 when out of
 * memory or when the pool would exceed 2^32 - 2 strings. */
int h5_strpool_intern(struct h5_strpool *p, const char *s, size_t len, uint32_t *id);

#endif
