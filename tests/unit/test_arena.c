/* test_arena.c - the bump allocator: rewinding a lasting arena reuses its
 * blocks, in the order they were filled, before any new block is made;
 * reset still leaves one block as large as all of them; an idle arena
 * gives its pages back and keeps its blocks.  Also ocp_mem_discard, which
 * that rests on: only whole pages inside the bytes given are let go. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/mem.h"
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

/* Resident pages of this process (Linux /proc), -1 when unknown. */
static long resident_pages(void)
{
    long size = 0, res = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res;
}

/* The pages wholly inside the bytes read as zero afterwards and are no
 * longer resident; the bytes around them keep theirs. */
static void test_discard(void)
{
    long page = sysconf(_SC_PAGESIZE), before, after;
    size_t n = (size_t)16 << 20, i;
    unsigned char *buf = malloc(n), *a, *b;

    CHECK(buf != NULL && page > 0);
    if (buf == NULL || page <= 0)
        return;
    memset(buf, 0x5a, n);
    /* From 100 bytes in to 100 bytes before the end: the first and last
     * partial pages stay. */
    a = (unsigned char *)(((uintptr_t)buf + 100 + (uintptr_t)page - 1) & ~((uintptr_t)page - 1));
    b = (unsigned char *)(((uintptr_t)buf + n - 100) & ~((uintptr_t)page - 1));
    before = resident_pages();
    ocp_mem_discard(buf + 100, n - 200);
    after = resident_pages();
    if (before >= 0 && after >= 0) /* 16 MiB given back, less the ends */
        CHECK(before - after >= (long)((n >> 1) / (size_t)page));
    for (i = 0; i < n; i += 1021) {
        unsigned char want = buf + i >= a && buf + i < b ? 0 : 0x5a;
        if (buf[i] != want) {
            CHECK(buf[i] == want);
            break;
        }
    }
    CHECK(buf[0] == 0x5a && buf[99] == 0x5a && buf[n - 1] == 0x5a && buf[n - 100] == 0x5a);
    CHECK(a[0] == 0 && b[-1] == 0);
    /* The memory is still the caller's. */
    memset(buf, 1, n);
    CHECK(buf[n / 2] == 1);
    ocp_mem_discard(NULL, 4096); /* nothing */
    ocp_mem_discard(buf, 10);    /* no whole page: nothing */
    CHECK(buf[5] == 1);
    free(buf);
}

/* An idle arena: every allocation forgotten, the pages given back, the
 * blocks kept and filled again in turn. */
static void test_idle(void)
{
    enum { BIG = 256 << 10 };
    struct ocp_arena a;
    unsigned char *first[32], *again[32];
    size_t reserved;
    long before, after;
    int i;

    ocp_arena_init(&a, (size_t)2 << 20);
    for (i = 0; i < 32; i++) {
        first[i] = ocp_arena_alloc(&a, BIG); /* four blocks of 2 MiB */
        CHECK(first[i] != NULL);
        if (first[i] != NULL)
            memset(first[i], 0x77, BIG);
    }
    reserved = a.bytes_reserved;
    before = resident_pages();
    ocp_arena_idle(&a);
    after = resident_pages();
    CHECK_INT((long long)a.bytes_in_use, 0);
    CHECK_INT((long long)a.bytes_reserved, (long long)reserved);
    if (before >= 0 && after >= 0) /* most of 8 MiB */
        CHECK(before - after >= (long)((6 << 20) / sysconf(_SC_PAGESIZE)));
    /* A page inside the first allocation reads as zero now. */
    CHECK(first[1][BIG / 2] == 0);
    for (i = 0; i < 32; i++) {
        again[i] = ocp_arena_alloc(&a, BIG);
        CHECK(again[i] == first[i]);
    }
    CHECK_INT((long long)a.bytes_reserved, (long long)reserved);
    ocp_arena_release(&a);
}

int main(void)
{
    RUN(test_rewind);
    RUN(test_discard);
    RUN(test_idle);
    return TEST_SUMMARY();
}
