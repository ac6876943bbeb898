/*
 * arena.h - a bump allocator for data decoded from one chunk.
 *
 * Readers allocate every buffer of a decoded chunk from an arena the caller
 * owns; the caller resets it before the next chunk, so a chunk's memory is
 * released in one step and peak memory is set by the chunk size.
 * Ownership: struct ocp_arena is caller storage (ocp_arena_init/_release).
 */
#ifndef OCPAGG_ARENA_H
#define OCPAGG_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ocp_arena_block;

struct ocp_arena {
    struct ocp_arena_block *head;  /* newest block; older ones follow */
    struct ocp_arena_block *spare; /* emptied blocks (ocp_arena_rewind) */
    size_t block_size;             /* default size of a new block */
    size_t bytes_in_use;           /* sum of live allocations, for stats */
    size_t bytes_reserved;         /* sum of block sizes */
};

/* Prepares an empty arena whose blocks are at least block_size bytes
 * (0 picks 1 MiB). */
void ocp_arena_init(struct ocp_arena *arena, size_t block_size);

/* Frees every block. */
void ocp_arena_release(struct ocp_arena *arena);

/* Returns size bytes aligned to 16, or NULL when memory is exhausted.
 * The memory lives until the next reset or release. */
void *ocp_arena_alloc(struct ocp_arena *arena, size_t size);

/* Like ocp_arena_alloc, but zero-filled; NULL on overflow of n * size. */
void *ocp_arena_calloc(struct ocp_arena *arena, size_t n, size_t size);

/* Forgets every allocation but keeps the largest block for reuse. */
void ocp_arena_reset(struct ocp_arena *arena);

/* Forgets every allocation but keeps every block as it is, to be filled
 * again in turn before any new block is made.  For an arena that lasts
 * (a cache emptied now and then): ocp_arena_reset would free its blocks
 * and take one block as large as all of them, whose fresh pages the
 * process touches again while the freed ones stay with the heap. */
void ocp_arena_rewind(struct ocp_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
