/* test_arena.c - the bump allocator: rewinding a lasting arena reuses its
 * blocks, in the order they were filled, before any new block is made;
 * reset still leaves one block as large as all of them. */
#include <string.h>

#include "ocpagg/arena.h"
#include "testlib.h"

enum { NALLOC = 40, ALLOC = 1000 };

/* Fills a with NALLOC allocations of ALLOC bytes (about ten 4 KiB
 * blocks), each written whole, their addresses in at. */
static void fill(struct ocp_arena *a, unsigned char **at)
{
    int i;
    for (i = 0; i < NALLOC; i++) {
        at[i] = ocp_arena_alloc(a, ALLOC);
        CHECK(at[i] != NULL);
        if (at[i] != NULL)
            memset(at[i], i, ALLOC);
    }
}

static void test_rewind(void)
{
    struct ocp_arena a;
    unsigned char *first[NALLOC], *again[NALLOC], *big;
    size_t reserved;
    int i;

    ocp_arena_init(&a, 4096);
    fill(&a, first);
    reserved = a.bytes_reserved;
    CHECK(reserved >= (size_t)NALLOC * ALLOC && reserved < (size_t)2 * NALLOC * ALLOC);
    ocp_arena_rewind(&a);
    CHECK_INT((long long)a.bytes_in_use, 0);
    CHECK_INT((long long)a.bytes_reserved, (long long)reserved);
    /* The same requests land where they did: the blocks are reused in
     * the order they were filled, and none is added. */
    fill(&a, again);
    for (i = 0; i < NALLOC; i++)
        CHECK(again[i] == first[i]);
    CHECK_INT((long long)a.bytes_reserved, (long long)reserved);
    CHECK_INT((long long)a.bytes_in_use, (long long)NALLOC * 1008); /* 16-aligned */
    /* A request larger than any block gets a block of its own. */
    ocp_arena_rewind(&a);
    big = ocp_arena_alloc(&a, 3 * 4096);
    CHECK(big != NULL);
    if (big != NULL)
        memset(big, 0xab, 3 * 4096);
    CHECK_INT((long long)a.bytes_reserved, (long long)(reserved + 3 * 4096));
    /* ... and the rewound ones still serve the small ones after it. */
    fill(&a, again);
    CHECK_INT((long long)a.bytes_reserved, (long long)(reserved + 3 * 4096));
    for (i = 0; i < NALLOC; i++)
        CHECK(again[i] != NULL && again[i][0] == (unsigned char)i &&
              again[i][ALLOC - 1] == (unsigned char)i);
    /* Reset after a rewind: one block as large as all of them. */
    ocp_arena_rewind(&a);
    ocp_arena_reset(&a);
    CHECK_INT((long long)a.bytes_reserved, (long long)(reserved + 3 * 4096));
    fill(&a, again);
    CHECK_INT((long long)a.bytes_reserved, (long long)(reserved + 3 * 4096));
    for (i = 1; i < NALLOC; i++)
        CHECK(again[i] == again[i - 1] + 1008); /* one block: side by side */
    ocp_arena_release(&a);
    CHECK(a.head == NULL && a.spare == NULL);
    CHECK_INT((long long)a.bytes_reserved, 0);
}

int main(void)
{
    RUN(test_rewind);
    return TEST_SUMMARY();
}
