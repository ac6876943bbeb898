/* hmap.c - open addressing over an insertion-ordered entry array. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
#include "engine/hmap.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ocpagg/mem.h"

void hmap_init(struct hmap *m, size_t key_size, size_t value_size)
{
    memset(m, 0, sizeof *m);
    m->key_size = key_size;
    /* Values start and entries end 16-byte aligned, because values hold
     * 128-bit sums that the compiler may access with aligned loads. */
    m->val_off = HMAP_VAL_OFF(key_size);
    m->entry_size = (m->val_off + value_size + 15u) & ~(size_t)15u;
    m->align = 16;
}

void hmap_init_lines(struct hmap *m, size_t key_size, size_t value_size)
{
    hmap_init(m, key_size, value_size);
    m->align = 64;
    m->entry_size = (m->entry_size + 63u) & ~(size_t)63u;
}

/* Frees the entry array, mapped or from malloc. */
static void block_free(struct hmap *m)
{
    if (m->mapped > 0)
        munmap(m->block, m->mapped);
    else
        free(m->block);
    m->mapped = 0;
    m->populated = 0;
}

void hmap_release(struct hmap *m)
{
    block_free(m);
    free(m->slots);
    m->block = NULL;
    m->entries = NULL;
    m->slots = NULL;
    m->count = m->cap = 0;
    m->mask = 0;
}

void hmap_clear(struct hmap *m)
{
    m->count = 0;
    if (m->slots != NULL)
        memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
}

/* Slot arrays of this size and more are populated (ocp_mem_populate). */
#define POPULATE_MIN ((size_t)256 << 10)

static int hmap_rehash(struct hmap *m, size_t nslots)
{
    size_t bytes = nslots * sizeof(uint64_t), j;
    uint64_t *slots = malloc(bytes);

    if (slots == NULL)
        return -1;
    /* Probed at random: huge pages spare the TLB (mem.h). */
    ocp_mem_advise_huge(slots, bytes);
    /* Zeroed whole right away: a large array is faulted in at once
     * first rather than page by page by the zeroing (mem.h). */
    if (bytes >= POPULATE_MIN)
        ocp_mem_populate(slots, bytes);
    memset(slots, 0, bytes);
    for (j = 0; m->slots != NULL && j <= m->mask; j++) {
        uint64_t sl = m->slots[j];
        size_t i;
        if (sl == 0)
            continue;
        i = (uint32_t)(sl >> 32) & (nslots - 1);
        while (slots[i] != 0)
            i = (i + 1) & (nslots - 1);
        slots[i] = sl;
    }
    free(m->slots);
    m->slots = slots;
    m->mask = nslots - 1;
    return 0;
}

size_t hmap_find(const struct hmap *m, const void *key)
{
    uint32_t h;
    size_t i;

    if (m->slots == NULL)
        return SIZE_MAX;
    h = hmap_hash(key, m->key_size);
    for (i = h & m->mask; m->slots[i] != 0; i = (i + 1) & m->mask) {
        uint64_t sl = m->slots[i];
        size_t e = (size_t)(uint32_t)sl - 1;
        if ((uint32_t)(sl >> 32) == h &&
            hmap_key_eq(m->entries + e * m->entry_size, key, m->key_size))
            return e;
    }
    return SIZE_MAX;
}

/* Entry arrays of this size and more are mapped on their own, and grow
 * by moving their pages (mremap), not by copying them.  From the heap
 * (malloc's own threshold is raised to 32 MiB, driver/runtime.c), every
 * doubling up to there copied the table into fresh pages: a third of a
 * rank's page faults on a 3.6 M-row set were the pod table's growth. */
#define MAP_MIN ((size_t)1 << 20)

/* The entry array as a mapping of at least `bytes` (page-aligned, so
 * entries start at offset 0 whatever the alignment asked); -1 when out of
 * memory (the map is unchanged). */
static int entries_map(struct hmap *m, size_t ncap, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len;
    unsigned char *nb;

    if (bytes > SIZE_MAX - page)
        return -1;
    len = (bytes + page - 1) / page * page;
#ifdef MREMAP_MAYMOVE
    if (m->mapped > 0) {
        nb = mremap(m->block, m->mapped, len, MREMAP_MAYMOVE);
        if (nb == MAP_FAILED)
            return -1;
    } else
#endif
    {
        /* From malloc (or, without mremap, an older mapping): copied. */
        nb = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (nb == MAP_FAILED)
            return -1;
        if (m->count > 0)
            memcpy(nb, m->entries, m->count * m->entry_size);
        block_free(m);
        m->populated = m->count * m->entry_size;
    }
    /* The whole mapping, so it stays one piece for the next mremap. */
    ocp_mem_advise_huge_mapping(nb, len);
    m->block = nb;
    m->entries = nb;
    m->mapped = len;
    m->cap = ncap;
    return 0;
}

/* Resizes the entry array to ncap entries, keeping its start at an
 * `align` boundary: realloc gives 16 bytes, so the block has align - 16
 * bytes of slack and the entries move within it when realloc returns
 * another offset.  Large arrays are mapped (entries_map).  -1 when out
 * of memory (the map is unchanged). */
static int entries_resize(struct hmap *m, size_t ncap)
{
    size_t slack = m->align - 16;
    size_t old_off = m->block != NULL ? (size_t)(m->entries - m->block) : 0;
    size_t off;
    unsigned char *nb;

    if (ncap > (SIZE_MAX - slack) / m->entry_size)
        return -1;
    if (m->mapped > 0 || ncap * m->entry_size >= MAP_MIN)
        return entries_map(m, ncap, ncap * m->entry_size);
    nb = realloc(m->block, ncap * m->entry_size + slack);
    if (nb == NULL)
        return -1;
    ocp_mem_advise_huge(nb, ncap * m->entry_size + slack);
    off = (size_t)(-(uintptr_t)nb & (uintptr_t)(m->align - 1));
    if (off != old_off)
        memmove(nb + off, nb + old_off, m->count * m->entry_size);
    m->block = nb;
    m->entries = nb + off;
    m->cap = ncap;
    return 0;
}

size_t hmap_insert_slow(struct hmap *m, const void *key, uint32_t h, int *created)
{
    size_t i, e;

    *created = 0;
    if (m->slots == NULL || (m->count + 1) * 2 > m->mask + 1) {
        size_t nslots = m->slots == NULL ? 256 : (m->mask + 1) * 2;
        if (m->count >= UINT32_MAX - 1 || hmap_rehash(m, nslots) != 0)
            return SIZE_MAX;
    }
    for (i = h & m->mask; m->slots[i] != 0; i = (i + 1) & m->mask) {
        uint64_t sl = m->slots[i];
        e = (size_t)(uint32_t)sl - 1;
        if ((uint32_t)(sl >> 32) == h &&
            hmap_key_eq(m->entries + e * m->entry_size, key, m->key_size))
            return e;
    }
    if (m->count == m->cap && entries_resize(m, m->cap ? m->cap * 2 : 64) != 0)
        return SIZE_MAX;
    e = m->count++;
    /* Entries are appended: a mapped array's next stretch is faulted in
     * one call ahead of them (mem.h). */
    if (m->mapped > 0)
        ocp_mem_populate_ahead(m->block, &m->populated, m->count * m->entry_size, m->mapped);
    memset(m->entries + e * m->entry_size, 0, m->entry_size);
    memcpy(m->entries + e * m->entry_size, key, m->key_size);
    m->slots[i] = ((uint64_t)h << 32) | (uint64_t)(e + 1);
    *created = 1;
    return e;
}

size_t hmap_slots_for(size_t n)
{
    size_t nslots = 256;

    while ((n + 1) * 2 > nslots)
        nslots *= 2;
    return nslots;
}

int hmap_reserve(struct hmap *m, size_t n)
{
    size_t nslots = m->slots == NULL ? 256 : m->mask + 1;

    if (n >= UINT32_MAX - 1)
        return -1;
    if (hmap_slots_for(n) > nslots)
        nslots = hmap_slots_for(n);
    if ((m->slots == NULL || nslots != m->mask + 1) && hmap_rehash(m, nslots) != 0)
        return -1;
    if (n > m->cap && entries_resize(m, n) != 0)
        return -1;
    return 0;
}

size_t hmap_bytes(const struct hmap *m)
{
    return m->cap * m->entry_size + (m->slots ? (m->mask + 1) * sizeof(uint64_t) : 0);
}
