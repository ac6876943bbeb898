/*
 * mem.h - hints to the memory system about big, randomly used blocks.
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

/* Asks for transparent huge pages under the whole 2 MiB pieces of the
 * n bytes at p (from malloc, realloc or mmap).  A hash table or an array
 * of tens of MB probed at random otherwise misses the TLB on nearly every
 * probe and takes a page fault per 4 KiB when first touched; Linux with
 * THP set to "madvise" (a common default) gives huge pages only where
 * asked.  Blocks under 2 MiB are left alone. */
void ocp_mem_advise_huge(void *p, size_t n);

/* ocp_mem_advise_huge for a whole mapping of the caller's own (p from
 * mmap or mremap, n its length): asks for huge pages over all of it.
 * Advising only its whole 2 MiB pieces would split the mapping in the
 * kernel's eyes, and mremap refuses to move a split range (EFAULT). */
void ocp_mem_advise_huge_mapping(void *p, size_t n);

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
