/* mem.c - memory hints (see mem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE in <sys/mman.h> */
#include "ocpagg/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* Set once by the driver before threads start (ocp_mem_hint_huge). */
static int hint_huge = 1;

int ocp_mem_reported_huge(long reporting_order, long huge_order)
{
    return reporting_order >= 0 && huge_order > 0 && reporting_order <= huge_order;
}

/* The first line of a sysfs file as a number, or -1 (absent, not a
 * number, or out of range). */
static long read_number(const char *path)
{
    char line[64], *end;
    unsigned long v;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return -1;
    if (fgets(line, sizeof line, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    v = strtoul(line, &end, 10);
    if (end == line || v > (1ul << 40))
        return -1;
    return (long)v;
}

int ocp_mem_huge_pages_cold(long *reporting)
{
    long order = -1, huge = -1;

#if defined(__linux__)
    long pmd, page;
    /* 4294967295 (an unsigned -1) until a reporting device registers. */
    order = read_number("/sys/module/page_reporting/parameters/page_reporting_order");
    if (order > 63)
        order = -1;
    pmd = read_number("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    page = sysconf(_SC_PAGESIZE);
    if (pmd > 0 && page > 0 && pmd >= page) {
        for (huge = 0; (page << huge) < pmd && huge < 40; huge++)
            ;
        if ((page << huge) != pmd)
            huge = -1; /* not a power-of-two multiple: unknown */
    }
#endif
    if (reporting != NULL)
        *reporting = order;
    return ocp_mem_reported_huge(order, huge);
}

int ocp_mem_huge_pages_wanted(char *why, size_t cap)
{
    const char *force = getenv("OCPAGG_HUGE_PAGES");
    long order = -1;

    if (force != NULL && strcmp(force, "1") == 0)
        return 1;
    if (force != NULL && strcmp(force, "0") == 0) {
        if (why != NULL && cap > 0)
            snprintf(why, cap, "4 KiB pages (OCPAGG_HUGE_PAGES=0)");
        return 0;
    }
    if (ocp_mem_huge_pages_cold(&order)) {
        if (why != NULL && cap > 0)
            snprintf(why, cap,
                     "4 KiB pages (free huge pages go back to the hypervisor: "
                     "page_reporting_order %ld; OCPAGG_HUGE_PAGES=1 asks anyway)",
                     order);
        return 0;
    }
    return 1;
}

void ocp_mem_hint_huge(int on)
{
    hint_huge = on != 0;
}

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
    if (hint_huge)
        advise_inside(p, n, HUGE_PAGE, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_advise_huge_mapping(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (hint_huge && p != NULL && n > 0)
        (void)madvise(p, n, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_populate(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

    /* The pages holding the bytes: each is in the caller's mapping. */
    if (p != NULL && n > 0 && page > 0) {
        uintptr_t a = (uintptr_t)p & ~(page - 1);
        uintptr_t b = ((uintptr_t)p + n + page - 1) & ~(page - 1);
        (void)madvise((void *)a, (size_t)(b - a), MADV_POPULATE_WRITE);
    }
#else
    (void)p;
    (void)n;
#endif
}

void ocp_mem_populate_ahead(void *base, size_t *done, size_t upto, size_t cap)
{
    size_t end;

    if (upto <= *done || *done >= cap)
        return;
    end = (upto / OCP_MEM_POPULATE_STEP + 1) * OCP_MEM_POPULATE_STEP;
    if (end > cap)
        end = cap;
    ocp_mem_populate((unsigned char *)base + *done, end - *done);
    *done = end;
}
