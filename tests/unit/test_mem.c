/* test_mem.c - whether huge pages pay (ocpagg/mem.h): the decision from
 * the free page reporting order and the huge page order, the machine's
 * own reading, the base page fault speed, the environment's say (OCPAGG_HUGE_PAGES,
 * OCPAGG_FAULT_RATE), and that the hints ask for nothing once
 * turned off (the kernel's VmFlags of the mapping, "hg" for MADV_HUGEPAGE). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ocpagg/mem.h"
#include "testlib.h"

static void test_decision(void)
{
    /* Reporting 2 MiB blocks (order 9) with 2 MiB huge pages: every free
     * huge page is reported, so fresh ones come from the host. */
    CHECK_INT(ocp_mem_reported_huge(9, 9), 1);
    /* Smaller reported blocks: a free huge page is one of them too. */
    CHECK_INT(ocp_mem_reported_huge(0, 9), 1);
    CHECK_INT(ocp_mem_reported_huge(5, 9), 1);
    /* 8 MiB blocks (order 11): a huge page can come from a free block
     * smaller than that, which stays with the guest. */
    CHECK_INT(ocp_mem_reported_huge(11, 9), 0);
    CHECK_INT(ocp_mem_reported_huge(10, 9), 0);
    /* 64 KiB base pages: huge pages of 512 MiB are order 13. */
    CHECK_INT(ocp_mem_reported_huge(13, 13), 1);
    CHECK_INT(ocp_mem_reported_huge(14, 13), 0);
    /* No reporting device, or huge pages of unknown size. */
    CHECK_INT(ocp_mem_reported_huge(-1, 9), 0);
    CHECK_INT(ocp_mem_reported_huge(9, -1), 0);
    CHECK_INT(ocp_mem_reported_huge(9, 0), 0);
}

/* A sysfs number, or -1 when absent or not a number. */
static long sysfs_number(const char *path)
{
    unsigned long v;
    FILE *f = fopen(path, "r");
    int got;

    if (f == NULL)
        return -1;
    got = fscanf(f, "%lu", &v);
    fclose(f);
    return got == 1 && v < (1ul << 40) ? (long)v : -1;
}

static void test_machine(void)
{
    long order = -2;
    long want = sysfs_number("/sys/module/page_reporting/parameters/page_reporting_order");
    long pmd = sysfs_number("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    long page = sysconf(_SC_PAGESIZE), huge = -1, k;
    int cold = ocp_mem_huge_pages_cold(&order);

    /* Until a device registers, the kernel reads 4294967295 (-1). */
    if (want > 63)
        want = -1;
    CHECK_INT(order, want);
    for (k = 0; pmd > 0 && page > 0 && k < 40; k++)
        if ((page << k) == pmd)
            huge = k;
    CHECK_INT(cold, ocp_mem_reported_huge(want, huge));
    CHECK_INT(ocp_mem_huge_pages_cold(NULL), cold);
    fprintf(stderr, "page_reporting_order %ld, huge page order %ld: huge pages %s\n", order, huge,
            cold ? "come cold" : "pay");
}

/* Huge pages pay where they come warm, and where they come cold only
 * when base pages fault slower than OCP_MEM_SLOW_FAULTS (1 GB/s). */
static void test_pays(void)
{
    CHECK_INT(ocp_mem_huge_pays(0, 0), 1);
    CHECK_INT(ocp_mem_huge_pays(0, 3e9), 1);
    CHECK_INT(ocp_mem_huge_pays(1, 0.39e9), 1); /* a shadow-paged guest: 10 us a fault */
    CHECK_INT(ocp_mem_huge_pays(1, 0.99e9), 1);
    CHECK_INT(ocp_mem_huge_pays(1, 1e9), 0);
    CHECK_INT(ocp_mem_huge_pays(1, 2.5e9), 0); /* session 19's VM */
    CHECK_INT(ocp_mem_huge_pays(1, 0), 0);     /* unknown: the cold answer stands */
    CHECK_INT(ocp_mem_huge_pays(1, -1), 0);
}

/* The probe gives a believable speed: between 1 MB/s (4 ms a page) and
 * 10 TB/s. */
static void test_rate(void)
{
    double r = ocp_mem_base_fault_rate();
#ifdef __linux__
    CHECK(r > 1e6 && r < 1e13);
#endif
    fprintf(stderr, "4 KiB page faults at %.2f GB/s\n", r / 1e9);
}

/* The one decision both programs take: the environment first, then the
 * machine; the reason only when the answer is no. */
static void test_wanted(void)
{
    char why[300], expect[64];
    long order = -1;
    int cold = ocp_mem_huge_pages_cold(&order);
    const char *auto_values[] = {NULL, "", "2", "yes", "auto"};
    const char *bad_rates[] = {"", "abc", "-5", "0", "1e3x"};
    const char *v;
    size_t i;

    snprintf(expect, sizeof expect, "page_reporting_order %ld;", order);
    setenv("OCPAGG_HUGE_PAGES", "1", 1);
    strcpy(why, "untouched");
    CHECK_INT(ocp_mem_huge_pages_wanted(why, sizeof why), 1);
    CHECK_STR(why, "untouched");

    setenv("OCPAGG_HUGE_PAGES", "0", 1);
    CHECK_INT(ocp_mem_huge_pages_wanted(why, sizeof why), 0);
    CHECK(strstr(why, "OCPAGG_HUGE_PAGES=0") != NULL);
    CHECK_INT(ocp_mem_huge_pages_wanted(NULL, 0), 0);
    /* A short buffer is cut, still terminated. */
    CHECK_INT(ocp_mem_huge_pages_wanted(why, 5), 0);
    CHECK_INT((long)strlen(why), 4);

    for (i = 0; i < sizeof auto_values / sizeof *auto_values; i++) {
        if (auto_values[i] == NULL)
            unsetenv("OCPAGG_HUGE_PAGES");
        else
            setenv("OCPAGG_HUGE_PAGES", auto_values[i], 1);
        /* Fast base page faults: huge pages only where they come warm. */
        setenv("OCPAGG_FAULT_RATE", "2500000000", 1);
        strcpy(why, "untouched");
        CHECK_INT(ocp_mem_huge_pages_wanted(why, sizeof why), !cold);
        if (cold) {
            CHECK(strstr(why, expect) != NULL);
            CHECK(strstr(why, "4 KiB faults at 2.50 GB/s;") != NULL);
        } else {
            CHECK_STR(why, "untouched");
        }
        /* Slow ones (a fault trapping to the host): always. */
        setenv("OCPAGG_FAULT_RATE", "390000000", 1);
        strcpy(why, "untouched");
        CHECK_INT(ocp_mem_huge_pages_wanted(why, sizeof why), 1);
        CHECK_STR(why, "untouched");
    }

    /* What the environment's rate reads as (the bad ones: none). */
    setenv("OCPAGG_FAULT_RATE", "390000000", 1);
    CHECK(ocp_mem_fault_rate_env() == 390000000.0);
    setenv("OCPAGG_FAULT_RATE", "2.5e9", 1);
    CHECK(ocp_mem_fault_rate_env() == 2.5e9);
    for (i = 0; i < sizeof bad_rates / sizeof *bad_rates; i++) {
        setenv("OCPAGG_FAULT_RATE", bad_rates[i], 1);
        CHECK(ocp_mem_fault_rate_env() == 0);
    }
    setenv("OCPAGG_FAULT_RATE", "1e15", 1);
    CHECK(ocp_mem_fault_rate_env() == 0);
    unsetenv("OCPAGG_FAULT_RATE");
    CHECK(ocp_mem_fault_rate_env() == 0);

    /* No usable rate in the environment: where huge pages come cold, the
     * machine is measured, the rate recorded there for a restart, and
     * the answer is the one that rate gives. */
    for (i = 0; i <= sizeof bad_rates / sizeof *bad_rates; i++) {
        if (i == sizeof bad_rates / sizeof *bad_rates)
            unsetenv("OCPAGG_FAULT_RATE");
        else
            setenv("OCPAGG_FAULT_RATE", bad_rates[i], 1);
        unsetenv("OCPAGG_HUGE_PAGES");
        strcpy(why, "untouched");
        if (!cold) {
            CHECK_INT(ocp_mem_huge_pages_wanted(why, sizeof why), 1);
            continue;
        }
        {
            int got = ocp_mem_huge_pages_wanted(why, sizeof why);
            double r;
            v = getenv("OCPAGG_FAULT_RATE");
            CHECK(v != NULL);
            if (v == NULL)
                continue;
            r = strtod(v, NULL);
            CHECK(r > 1e6 && r < 1e13);
            CHECK_INT(got, ocp_mem_huge_pays(1, r));
            CHECK_INT(strcmp(why, "untouched") != 0, !got);
        }
    }
    unsetenv("OCPAGG_FAULT_RATE");
    unsetenv("OCPAGG_HUGE_PAGES");
}

/* Whether the mapping that holds p says "hg" (MADV_HUGEPAGE) in its
 * VmFlags; -1 when the mapping is not found. */
static int advised_huge(const void *p)
{
    char line[512];
    unsigned long lo, hi, at = (unsigned long)p;
    int in = 0, hg = -1;
    FILE *f = fopen("/proc/self/smaps", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = at >= lo && at < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            hg = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return hg;
}

static void test_hints_off(void)
{
    size_t len = (size_t)8 << 20;
    void *on = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *off = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* A mapping between them, so the kernel cannot merge the two. */
    void *gap = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    CHECK(on != MAP_FAILED && off != MAP_FAILED && gap != MAP_FAILED);
    if (on == MAP_FAILED || off == MAP_FAILED || gap == MAP_FAILED)
        return;
    ocp_mem_hint_huge(1);
    ocp_mem_advise_huge_mapping(on, len);
    if (advised_huge(on) != 1) {
        SKIP("this kernel takes no MADV_HUGEPAGE (no transparent huge pages)");
    } else {
        ocp_mem_hint_huge(0);
        ocp_mem_advise_huge_mapping(off, len);
        ocp_mem_advise_huge(off, len);
        CHECK_INT(advised_huge(off), 0);
        CHECK_INT(advised_huge(on), 1);
        /* On again: the same calls ask. */
        ocp_mem_hint_huge(1);
        ocp_mem_advise_huge(off, len);
        CHECK_INT(advised_huge((char *)off + len / 2), 1);
    }
    munmap(on, len);
    munmap(off, len);
    munmap(gap, 4096);
}

/* Populating ahead: how far *done moves (to the next step past upto,
 * capped at cap, never back), and that no byte changes. */
static void test_populate_ahead(void)
{
    const size_t step = OCP_MEM_POPULATE_STEP, cap = 2 * step + step / 2;
    unsigned char *b = calloc(1, cap);
    size_t done = 0, i, bad = 0;

    CHECK(b != NULL);
    if (b == NULL)
        return;
    for (i = 0; i < step / 2; i++)
        b[i] = (unsigned char)(i * 7 + 1);
    ocp_mem_populate_ahead(b, &done, 100, cap);
    CHECK(done == step);
    ocp_mem_populate_ahead(b, &done, step, cap); /* reached, not passed */
    CHECK(done == step);
    ocp_mem_populate_ahead(b, &done, step + 1, cap);
    CHECK(done == 2 * step);
    ocp_mem_populate_ahead(b, &done, 2 * step + 1, cap); /* capped */
    CHECK(done == cap);
    ocp_mem_populate_ahead(b, &done, 10, cap); /* never back */
    CHECK(done == cap);
    for (i = 0; i < cap; i++)
        bad += b[i] != (i < step / 2 ? (unsigned char)(i * 7 + 1) : 0);
    CHECK(bad == 0);
    ocp_mem_populate(b + 3, 1); /* a byte inside a page: its page */
    ocp_mem_populate(NULL, 0);
    CHECK(b[3] == (unsigned char)(3 * 7 + 1));
    free(b);
}

int main(void)
{
    RUN(test_decision);
    RUN(test_machine);
    RUN(test_pays);
    RUN(test_rate);
    RUN(test_wanted);
    RUN(test_hints_off);
    RUN(test_populate_ahead);
    return TEST_SUMMARY();
}
