/* mem.c - memory hints (see mem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE in <sys/mman.h> */
#include "ocpagg/mem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

void ocp_mem_advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);

    /* madvise wants page-aligned bounds, and only whole huge pages can
     * be huge; a failure only means no hint. */
    if (p != NULL && b > a)
        (void)madvise((void *)a, (size_t)(b - a), MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}
