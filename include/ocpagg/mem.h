/*
 * mem.h - hints to the memory system about big, randomly used blocks.
 *
 * Hints only: nothing here allocates, frees or changes a byte, and every
 * function may do nothing (another OS, the kernel declines).  Results
 * never depend on them.
 */
#ifndef OCPAGG_MEM_H
#define OCPAGG_MEM_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif

#endif
