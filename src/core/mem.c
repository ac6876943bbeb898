/* mem.c - memory hints (see mem.h). */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE in <sys/mman.h> */
#include "ocpagg/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
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

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double ocp_mem_base_fault_rate(void)
{
#if defined(__linux__) && defined(MAP_ANONYMOUS)
    enum { PAGES = 64 };
    long page = sysconf(_SC_PAGESIZE);
    double best = 0;
    int half;
    unsigned char *p;

    if (page <= 0)
        return 0;
    p = mmap(NULL, (size_t)page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    if (p == MAP_FAILED)
        return 0;
#ifdef MADV_NOHUGEPAGE
    (void)madvise(p, (size_t)page * PAGES, MADV_NOHUGEPAGE); /* THP "always" */
#endif
    for (half = 0; half < 2; half++) {
        volatile unsigned char *q = p + (size_t)half * (PAGES / 2) * (size_t)page;
        double t0 = now_seconds(), dt;
        size_t i;
        for (i = 0; i < PAGES / 2; i++)
            q[i * (size_t)page] = 1;
        dt = now_seconds() - t0;
        if (dt > 0 && (double)(PAGES / 2) * (double)page / dt > best)
            best = (double)(PAGES / 2) * (double)page / dt;
    }
    munmap(p, (size_t)page * PAGES);
    return best;
#else
    return 0;
#endif
}

int ocp_mem_huge_pays(int cold, double base_rate)
{
    return !cold || (base_rate > 0 && base_rate < OCP_MEM_SLOW_FAULTS);
}

double ocp_mem_fault_rate_env(void)
{
    const char *v = getenv("OCPAGG_FAULT_RATE");
    char *end;
    double r;

    if (v == NULL || v[0] == '\0')
        return 0;
    r = strtod(v, &end);
    return end != v && *end == '\0' && r > 0 && r < 1e15 ? r : 0;
}

/* The base page fault rate: OCPAGG_FAULT_RATE's, else measured and
 * recorded there. */
static double fault_rate(void)
{
    char text[32];
    double r = ocp_mem_fault_rate_env();

    if (r > 0)
        return r;
    r = ocp_mem_base_fault_rate();
    if (r > 0) {
        snprintf(text, sizeof text, "%.0f", r);
        (void)setenv("OCPAGG_FAULT_RATE", text, 1);
    }
    return r;
}

int ocp_mem_huge_pages_wanted(char *why, size_t cap)
{
    const char *force = getenv("OCPAGG_HUGE_PAGES");
    long order = -1;
    double rate;

    if (force != NULL && strcmp(force, "1") == 0)
        return 1;
    if (force != NULL && strcmp(force, "0") == 0) {
        if (why != NULL && cap > 0)
            snprintf(why, cap, "4 KiB pages (OCPAGG_HUGE_PAGES=0)");
        return 0;
    }
    if (!ocp_mem_huge_pages_cold(&order))
        return 1;
    rate = fault_rate();
    if (ocp_mem_huge_pays(1, rate))
        return 1;
    if (why != NULL && cap > 0) {
        char speed[48] = "4 KiB fault speed unknown";
        if (rate > 0)
            snprintf(speed, sizeof speed, "4 KiB faults at %.2f GB/s", rate / 1e9);
        snprintf(why, cap,
                 "4 KiB pages (free huge pages go back to the hypervisor: "
                 "page_reporting_order %ld; %s; OCPAGG_HUGE_PAGES=1 asks anyway)",
                 order, speed);
    }
    return 0;
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
