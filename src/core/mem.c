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

void ocp_mem_discard(void *p, size_t n)
{
#ifdef MADV_DONTNEED
    uintptr_t page = 4096, a, b;
    long ps = sysconf(_SC_PAGESIZE);

    if (ps > 0)
        page = (uintptr_t)ps;
    a = ((uintptr_t)p + page - 1) & ~(page - 1);
    b = ((uintptr_t)p + n) & ~(page - 1);
    /* Only whole pages: the bytes around them (an allocator's header, a
     * neighbour's data) keep theirs.  A failure leaves the bytes. */
    if (p != NULL && b > a)
        (void)madvise((void *)a, (size_t)(b - a), MADV_DONTNEED);
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
