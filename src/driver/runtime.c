/* runtime.c - the process's settings around MPI_Init and MPI_Finalize. */
#include "driver/runtime.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ocpagg/sockets.h"

/* Open MPI prefers UCX where it is installed, and UCX's start-up probes
 * every network device (about 0.2 s of a 0.45 s start here).  Ranks that
 * all share one node talk through shared memory only, so there ob1 (with
 * its shared-memory transport) is the default, unless the user chose a
 * PML.  One node: mpirun says all ranks are local, srun says one node, or
 * no launcher at all (a singleton).  Every rank decides the same way. */
static void prefer_shared_memory(void)
{
    const char *ws = getenv("OMPI_COMM_WORLD_SIZE");
    const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const char *sn = getenv("SLURM_STEP_NUM_NODES");
    int one_node;

    if (getenv("OMPI_MCA_pml") != NULL)
        return;
    if (ws != NULL)
        one_node = ls != NULL && strcmp(ws, ls) == 0;
    else if (sn != NULL)
        one_node = strcmp(sn, "1") == 0;
    else
        one_node = getenv("PMIX_RANK") == NULL && getenv("PMI_RANK") == NULL;
    if (one_node)
        setenv("OMPI_MCA_pml", "ob1", 0);
}

/* glibc returns freed blocks of 128 KiB and more to the kernel at once,
 * so the finish's per-day tables, buffers and caches came back as fresh
 * pages every day and every window: about 300 k page faults (~1 s of
 * system time) on 17 M input rows at 1 rank.  Blocks below 32 MiB (the
 * largest mmap threshold glibc takes) now come from the heap, which keeps
 * what is freed for the next day: about a third fewer faults for some
 * 25 MB more resident memory.  Larger blocks (day buffers) are still
 * mapped and unmapped; hash tables' entry arrays map themselves from
 * 1 MiB on (engine/hmap.c). */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

void runtime_before_init(void)
{
    keep_freed_memory();
    prefer_shared_memory();
}

void runtime_finalize(void)
{
    /* The PMIx client's loopback socket to the launcher: MPI_Finalize's
     * fence otherwise waits out a delayed acknowledgement (sockets.h).
     * Every rank does it; a socket left as it was costs only the wait. */
    (void)ocp_sock_nodelay_loopback();
    MPI_Finalize();
}
