/*
 * hmap.h - an open-addressing hash map of fixed-size keys (internal).
 *
 * Entries (key bytes followed by value bytes) live in one growing array in
 * insertion order, so a map can be walked, serialized and sorted without
 * chasing pointers; the slot table holds entry indexes.  Keys are compared
 * with memcmp, so key structs must be fully initialised (no padding
 * garbage).  Ownership: caller storage (hmap_init/hmap_release).
 */
#ifndef OCPAGG_ENGINE_HMAP_H
#define OCPAGG_ENGINE_HMAP_H

/* Where a value starts after a key of key_size bytes. */
#define HMAP_VAL_OFF(key_size) (((key_size) + 15u) & ~(size_t)15u)

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ocpagg/mem.h"

struct hmap {
    size_t key_size, val_off, entry_size; /* values start 16-aligned */
    size_t align;                         /* entries start at multiples of this */
    unsigned char *block;                 /* the allocation holding entries */
    size_t mapped;                        /* block's length when mapped (mmap), else 0 */
    size_t populated;                     /* bytes of a mapped block faulted in */
    unsigned char *entries;               /* in block, at an `align` boundary */
    size_t count, cap;
    /* Slots hold (hash << 32 | entry index + 1), 0 when empty: a probe
     * compares hashes without touching another array, and growing needs
     * no rehash of keys. */
    uint64_t *slots;
    size_t mask;
};

void hmap_init(struct hmap *m, size_t key_size, size_t value_size);
/* hmap_init for a map whose entries are read whole at random: each entry
 * is padded to whole 64-byte cache lines and starts on one, so a 232-byte
 * entry takes four lines instead of four or five. */
void hmap_init_lines(struct hmap *m, size_t key_size, size_t value_size);
void hmap_release(struct hmap *m);
void hmap_clear(struct hmap *m);

/* The hash of a key (multiply-rotate over 32-bit words). */
static inline uint32_t hmap_hash(const void *key, size_t key_size)
{
    const unsigned char *k = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ key_size;
    size_t i = 0;
    for (; i + 8 <= key_size; i += 8) {
        uint64_t w;
        memcpy(&w, k + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (; i + 4 <= key_size; i += 4) {
        uint32_t w;
        memcpy(&w, k + i, 4);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    h *= 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

/* Compares keys 8 bytes at a time (keys are multiples of 4 bytes). */
static inline int hmap_key_eq(const unsigned char *a, const unsigned char *b, size_t size)
{
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return 0;
    }
    for (; i < size; i += 4) {
        uint32_t x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        if (x != y)
            return 0;
    }
    return 1;
}

/* The insert path of hmap_upsert (growing, appending). */
size_t hmap_insert_slow(struct hmap *m, const void *key, uint32_t hash, int *created);

/* Finds the entry for key, whose hmap_hash is h (callers that hashed it
 * already for a prefetch pass it on), inserting a zero-filled value when absent
 * (*created set to 1).  Returns the entry index, or SIZE_MAX when out of
 * memory.  Entry pointers move when the map grows: use indexes.  The
 * lookup is inline because it runs once or more per input row. */
static inline size_t hmap_upsert_hashed(struct hmap *m, const void *key, uint32_t h, int *created)
{
    size_t i;

    *created = 0;
    if (m->slots != NULL) {
        uint64_t sl;
        for (i = h & m->mask; (sl = m->slots[i]) != 0; i = (i + 1) & m->mask) {
            size_t e = (size_t)(uint32_t)sl - 1;
            if ((uint32_t)(sl >> 32) == h &&
                hmap_key_eq(m->entries + e * m->entry_size, key, m->key_size))
                return e;
        }
    }
    return hmap_insert_slow(m, key, h, created);
}

/* hmap_upsert_hashed with the key's hash computed here. */
static inline size_t hmap_upsert(struct hmap *m, const void *key, int *created)
{
    return hmap_upsert_hashed(m, key, hmap_hash(key, m->key_size), created);
}

/* The slots hmap_reserve gives a new map for n entries: a power of two,
 * at least 256 and more than twice n. */
size_t hmap_slots_for(size_t n);

/* Makes room for n entries in all (no rehash or realloc until then);
 * -1 when out of memory (the map is unchanged). */
int hmap_reserve(struct hmap *m, size_t n);

/* Finds an entry; SIZE_MAX when absent. */
size_t hmap_find(const struct hmap *m, const void *key);

static inline void *hmap_entry(const struct hmap *m, size_t index)
{
    return m->entries + index * m->entry_size;
}

static inline void *hmap_value(const struct hmap *m, size_t index)
{
    return m->entries + index * m->entry_size + m->val_off;
}

/* Starts loading the slot a key hashes to (for batched lookups). */
static inline void hmap_prefetch(const struct hmap *m, uint32_t hash)
{
    if (m->slots != NULL)
        __builtin_prefetch(&m->slots[hash & m->mask]);
}

/* Starts loading every cache line of entry e (a pod entry is four whole
 * lines, see hmap_init_lines; other entries may straddle one more). */
static inline void hmap_prefetch_at(const struct hmap *m, size_t e)
{
    ocp_mem_prefetch(m->entries + e * m->entry_size, m->entry_size);
}

/* Starts loading the entry a key of hash h most likely is: the one named
 * by the slot h hashes to (which hmap_prefetch started loading a while
 * before), when that slot holds this hash.  Only a hint: nothing is
 * assumed of it. */
static inline void hmap_prefetch_entry(const struct hmap *m, uint32_t h)
{
    uint64_t sl;

    if (m->slots == NULL)
        return;
    sl = m->slots[h & m->mask];
    if (sl == 0 || (uint32_t)(sl >> 32) != h || (uint32_t)sl - 1 >= m->count)
        return;
    hmap_prefetch_at(m, (size_t)(uint32_t)sl - 1);
}

/* Bytes held, for memory statistics. */
size_t hmap_bytes(const struct hmap *m);

#endif
