/* arena.c - bump allocation in large blocks, released per chunk. */
#include "ocpagg/arena.h"
#include "ocpagg/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ocp_arena_block {
    struct ocp_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t align_; /* forces the payload below to be aligned */
};

void ocp_arena_init(struct ocp_arena *arena, size_t block_size)
{
    memset(arena, 0, sizeof *arena);
    arena->block_size = block_size ? block_size : ((size_t)1 << 20);
}

static void free_chain(struct ocp_arena_block *b)
{
    while (b != NULL) {
        struct ocp_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void ocp_arena_release(struct ocp_arena *arena)
{
    free_chain(arena->head);
    free_chain(arena->spare);
    arena->head = NULL;
    arena->spare = NULL;
    arena->bytes_in_use = 0;
    arena->bytes_reserved = 0;
}

static unsigned char *block_payload(struct ocp_arena_block *b)
{
    return (unsigned char *)(b + 1);
}

void *ocp_arena_alloc(struct ocp_arena *arena, size_t size)
{
    struct ocp_arena_block *b = arena->head;
    size_t aligned = (size + 15u) & ~(size_t)15u;
    void *p;

    if (aligned < size)
        return NULL;
    if (aligned == 0)
        aligned = 16;
    if (b == NULL || b->size - b->used < aligned) {
        size_t want = aligned > arena->block_size ? aligned : arena->block_size;
        if (want > SIZE_MAX - sizeof *b)
            return NULL;
        if (arena->spare != NULL && arena->spare->size >= aligned) {
            /* A rewound block, pages and all (counted as reserved). */
            b = arena->spare;
            arena->spare = b->next;
            want = b->size;
            arena->bytes_reserved -= want;
        } else {
            b = malloc(sizeof *b + want);
            if (b == NULL)
                return NULL;
            /* Lasting arenas (string caches) are probed at random (mem.h). */
            ocp_mem_advise_huge(b, sizeof *b + want);
            b->size = want;
        }
        b->used = 0;
        /* A block made for one oversized request goes behind the current
         * one so the current block's free tail stays usable. */
        if (arena->head != NULL && want > arena->block_size &&
            arena->head->size - arena->head->used >= 16) {
            b->next = arena->head->next;
            arena->head->next = b;
        } else {
            b->next = arena->head;
            arena->head = b;
        }
        arena->bytes_reserved += want;
    }
    p = block_payload(b) + b->used;
    b->used += aligned;
    arena->bytes_in_use += aligned;
    return p;
}

void *ocp_arena_calloc(struct ocp_arena *arena, size_t n, size_t size)
{
    void *p;
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    p = ocp_arena_alloc(arena, n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void ocp_arena_rewind(struct ocp_arena *arena)
{
    while (arena->head != NULL) {
        struct ocp_arena_block *b = arena->head;
        arena->head = b->next;
        b->used = 0;
        b->next = arena->spare;
        arena->spare = b;
    }
    arena->bytes_in_use = 0;
}

void ocp_arena_reset(struct ocp_arena *arena)
{
    struct ocp_arena_block *b;
    size_t total = 0;

    /* Rewound blocks join the rest (reset is for arenas refilled alike). */
    while (arena->spare != NULL) {
        b = arena->spare;
        arena->spare = b->next;
        b->next = arena->head;
        arena->head = b;
    }
    b = arena->head;
    if (b == NULL)
        return;
    if (b->next == NULL) {
        b->used = 0;
        arena->bytes_in_use = 0;
        return;
    }
    /* Several blocks: replace them by one block as large as all of them,
     * so the next chunk of the same size fits without fresh allocations
     * (large mallocs are fresh mmaps whose pages the kernel must zero). */
    while (b != NULL) {
        struct ocp_arena_block *next = b->next;
        total += b->size;
        free(b);
        b = next;
    }
    arena->head = NULL;
    arena->bytes_in_use = 0;
    arena->bytes_reserved = 0;
    b = malloc(sizeof *b + total);
    if (b == NULL)
        return; /* the next allocation starts afresh */
    ocp_mem_advise_huge(b, sizeof *b + total);
    b->next = NULL;
    b->size = total;
    b->used = 0;
    arena->head = b;
    arena->bytes_reserved = total;
}
