/* mem.c - memory hints, and memory given back (see mem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE in <sys/mman.h> */
#include "ocpagg/mem.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* madvise(advice) on the whole units (pages, huge pages) inside the n
 * bytes at p: madvise wants page-aligned bounds, and the bytes around
 * them (an allocator's header, a neighbour's data) are not the caller's
 * to advise on.  A failure only means no effect. */
#if defined(MADV_HUGEPAGE) || defined(MADV_DONTNEED)
static void advise_inside(void *p, size_t n, uintptr_t unit, int advice)
{
    uintptr_t a = ((uintptr_t)p + unit - 1) & ~(unit - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(unit - 1);

    if (p != NULL && b > a)
        (void)madvise((void *)a, (size_t)(b - a), advice);
}
#endif

void ocp_mem_advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    /* Only whole huge pages can be huge. */
    advise_inside(p, n, HUGE_PAGE, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_advise_huge_mapping(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (p != NULL && n > 0)
        (void)madvise(p, n, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_discard(void *p, size_t n)
{
#ifdef MADV_DONTNEED
    long ps = sysconf(_SC_PAGESIZE);

    advise_inside(p, n, ps > 0 ? (uintptr_t)ps : 4096, MADV_DONTNEED);
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_trim(void)
{
#ifdef __GLIBC__
    (void)malloc_trim(0);
#endif
}
