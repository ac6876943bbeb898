/*
 * mem.h - hints to the memory system about big, randomly used blocks,
 * and whether huge pages pay on this machine.
 *
 * Nothing here allocates, frees or changes bytes, and every function may
 * do nothing (another OS, the kernel declines): results never depend on
 * them.
 */
#ifndef OCPAGG_MEM_H
#define OCPAGG_MEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether a free huge page of this machine is soon handed back to the
 * hypervisor, given the kernel's free page reporting order
 * (/sys/module/page_reporting/parameters/page_reporting_order: blocks of
 * 2^order free pages go back to the host a few seconds after they were
 * freed; negative when no device reports) and the order of a huge page
 * (log2 of hpage_pmd_size over the base page size).  Where reporting
 * takes blocks no larger than a huge page, nearly every huge page a
 * process faults in is such a block, and the host backs it again on the
 * first touch (0.1-1.3 GB/s measured on the project's VMs), while base
 * pages come from the smaller free blocks the kernel never reports
 * (2-3 GB/s, or 0.4 GB/s where each fault traps to the host:
 * ocp_mem_huge_pays).  0 when either order is unknown (negative). */
int ocp_mem_reported_huge(long reporting_order, long huge_order);

/* ocp_mem_reported_huge for this machine, read from sysfs; *reporting
 * (when not NULL) receives page_reporting_order, -1 when the kernel has
 * none or no device reports.  0 where it cannot tell (not Linux). */
int ocp_mem_huge_pages_cold(long *reporting);

/* 4 KiB page faults slower than this (bytes per second) make huge pages
 * pay even where they come cold: a fault that traps to the hypervisor
 * (a guest whose page tables the host shadows) cost 10 us a page (0.39
 * GB/s) on a project VM, where fresh huge pages came at 0.8-1.3 GB/s
 * cold and 15 GB/s warm, and 17 M rows at 2x1 took 2.9 s with huge pages
 * against 3.7-3.9 s without; on VMs whose base pages fault at 2-3 GB/s,
 * cold huge pages (0.1-0.7 GB/s) lost (bench/results, sessions 19, 27). */
#define OCP_MEM_SLOW_FAULTS 1e9

/* How fast this process faults in fresh base pages, in bytes per
 * second: 64 pages of a private mapping (no huge pages), touched one by
 * one in two halves, the faster half counting (a half the scheduler
 * interrupted would make faults look slow).  Well under a millisecond;
 * 0 where it cannot tell (not Linux, mapping refused). */
double ocp_mem_base_fault_rate(void);

/* The base page fault rate OCPAGG_FAULT_RATE holds (bytes per second:
 * a number and nothing after it, positive, below 1e15), or 0 when it
 * holds none: the rate ocp_mem_huge_pages_wanted takes from there. */
double ocp_mem_fault_rate_env(void);

/* Whether huge pages pay, given whether fresh ones come cold
 * (ocp_mem_reported_huge) and the base page fault rate
 * (ocp_mem_base_fault_rate; 0 for unknown): always where they come
 * warm, and where they come cold only when base pages fault slower than
 * OCP_MEM_SLOW_FAULTS. */
int ocp_mem_huge_pays(int cold, double base_rate);

/* Whether a process of this project should ask for huge pages at all
 * (the glibc heap tunable, the hints below): OCPAGG_HUGE_PAGES=1 asks
 * anyway, 0 never asks, anything else (or unset) asks as
 * ocp_mem_huge_pays says for this machine.  Where huge pages come cold
 * (ocp_mem_huge_pages_cold) the base page fault rate is taken from
 * OCPAGG_FAULT_RATE (bytes per second) when that holds a number, else
 * measured (ocp_mem_base_fault_rate) and put there, so that a process
 * that starts itself again (driver/runtime.c) decides as it did, and a
 * user can fix the answer.  When the answer is 0 and why is not NULL,
 * why (cap bytes, NUL-terminated) receives the reason in a few words
 * for a --verbose line; it is left alone otherwise.  One decision for
 * every program (ocpagg, ocpagg-aws). */
int ocp_mem_huge_pages_wanted(char *why, size_t cap);

/* Turns the huge-page hints below on (the default) or off for the whole
 * process: off where fresh huge pages cost more to fault in than they
 * save (ocp_mem_huge_pages_cold).  Call before other threads start. */
void ocp_mem_hint_huge(int on);

/* Asks for transparent huge pages under the whole 2 MiB pieces of the
 * n bytes at p (from malloc, realloc or mmap).  A hash table or an array
 * of tens of MB probed at random otherwise misses the TLB on nearly every
 * probe and takes a page fault per 4 KiB when first touched; Linux with
 * THP set to "madvise" (a common default) gives huge pages only where
 * asked.  Blocks under 2 MiB are left alone, and nothing is asked
 * while the hints are off (ocp_mem_hint_huge). */
void ocp_mem_advise_huge(void *p, size_t n);

/* ocp_mem_advise_huge for a whole mapping of the caller's own (p from
 * mmap or mremap, n its length): asks for huge pages over all of it.
 * Advising only its whole 2 MiB pieces would split the mapping in the
 * kernel's eyes, and mremap refuses to move a split range (EFAULT). */
void ocp_mem_advise_huge_mapping(void *p, size_t n);

/* The stretch ocp_mem_populate_ahead faults in at a time. */
#define OCP_MEM_POPULATE_STEP ((size_t)2 << 20)

/* Faults in the pages of the n bytes at p (inside one writable mapping
 * of the caller's, from malloc, calloc or mmap) in one system call
 * (MADV_POPULATE_WRITE), for memory the caller is about to write: on the
 * project's VMs a fault per 4 KiB page makes first writes cost about
 * half as much again (450 MB written fresh: 256-343 ms, populated 2 MiB
 * at a time and then written: 173-190 ms).  The bytes do not change
 * (a page not yet there comes zeroed, as the first write would find it),
 * but populated pages count in the resident size, so only memory soon
 * written qualifies.  Nothing happens where the kernel lacks it. */
void ocp_mem_populate(void *p, size_t n);

/* ocp_mem_populate for an array filled from its start: given that its
 * first *done bytes are populated (or written) and that it now reaches
 * upto bytes, populates on to the next multiple of
 * OCP_MEM_POPULATE_STEP past upto (at most cap, the array's size) and
 * records that in *done.  Called as the array grows, it makes one system
 * call per step of growth instead of 512 page faults. */
void ocp_mem_populate_ahead(void *base, size_t *done, size_t upto, size_t cap);

/* Starts loading every cache line that holds a byte of the n bytes at p,
 * each once: for an object the code will need a little later, whose
 * lines (a hash entry, a report row, a label text) are not next to the
 * ones in use.  Only a hint (it never faults); n 0 loads nothing. */
static inline void ocp_mem_prefetch(const void *p, size_t n)
{
#if defined(__GNUC__)
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + n;

    for (; a < end; a += 64)
        __builtin_prefetch((const void *)a);
#else
    (void)p;
    (void)n;
#endif
}

#ifdef __cplusplus
}
#endif

#endif
