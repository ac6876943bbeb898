/* mem.c - memory hints (see mem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE in <sys/mman.h> */
#include "ocpagg/mem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* madvise(advice) on the whole units (pages, huge pages) inside the n
 * bytes at p: madvise wants page-aligned bounds, and the bytes around
 * them (an allocator's header, a neighbour's data) are not the caller's
 * to advise on.  A failure only means no effect. */
#ifdef MADV_HUGEPAGE
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

