/* runtime.c - the process's settings around MPI_Init and MPI_Finalize. */
#include "driver/runtime.h"

#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ocpagg/mem.h"
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

/* Where transparent huge pages come only to memory that asks for them
 * (THP "madvise", a common default), glibc's heap does not ask: every
 * string pool, dictionary, partial table below 1 MiB and finish buffer
 * below the mmap threshold takes a 4 KiB page fault per page and a TLB
 * miss on nearly every random probe.  On some of this project's 2-core
 * VMs a 4 KiB fault cost some 10 us, and the tunable glibc.malloc.hugetlb=1
 * (glibc 2.35 on: malloc advises huge pages for its heap and its mapped
 * chunks) cut a 17 M-row run at 1 rank from 5.3 to 4.5 s, 56 k minor
 * faults to 10 k, for the same peak RSS.  glibc reads tunables only at
 * start-up, from the environment, so the process starts itself again
 * with the tunable added, before MPI_Init (the process keeps its pid, so
 * launchers see nothing).  Not when huge pages are not wanted
 * (ocp_mem_huge_pages_wanted), when the user set the tunable (either way), when
 * THP is not in "madvise" mode (never, or always: nothing to gain),
 * under valgrind (its tools would not follow the exec) or in sanitizer
 * builds (their malloc is not glibc's).  An exec that fails leaves the
 * process as it was. */
static char heap_note[256];

static void huge_page_heap(char **argv, int wanted)
{
#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) &&                  \
    !defined(__SANITIZE_THREAD__)
    const char *tun = getenv("GLIBC_TUNABLES"), *pre = getenv("LD_PRELOAD"), *set;
    static const char add[] = "glibc.malloc.hugetlb=1";
    char mode[128] = "", *val, *old = NULL, *nl, self[4096];
    ssize_t len;
    size_t n;
    FILE *f;

    if (tun != NULL && tun[0] == '\0')
        tun = NULL;
    if (tun != NULL && (set = strstr(tun, "glibc.malloc.hugetlb=")) != NULL) {
        /* Ours after the exec, or the user's; with the base page fault
         * speed that decided it, where it was measured (mem.h). */
        double rate = ocp_mem_fault_rate_env();
        char speed[48] = "";
        if (rate > 0)
            snprintf(speed, sizeof speed, "; 4 KiB faults at %.2f GB/s", rate / 1e9);
        snprintf(heap_note, sizeof heap_note, "huge pages %s (GLIBC_TUNABLES %.*s%s)",
                 set[21] == '0' ? "not asked for" : "asked for", (int)strcspn(set, ":"), set,
                 speed);
        return;
    }
    if (!wanted)
        return; /* heap_note says why */
    if ((pre != NULL && strstr(pre, "vgpreload") != NULL) || argv == NULL || argv[0] == NULL) {
        snprintf(heap_note, sizeof heap_note, "4 KiB pages (under valgrind)");
        return;
    }
    if ((f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r")) != NULL) {
        if (fgets(mode, sizeof mode, f) == NULL)
            mode[0] = '\0';
        fclose(f);
    }
    if (strstr(mode, "[madvise]") == NULL) {
        if ((nl = strchr(mode, '\n')) != NULL)
            *nl = '\0';
        snprintf(heap_note, sizeof heap_note, "as the kernel gives (transparent huge pages: %.64s)",
                 mode[0] ? mode : "unknown");
        return;
    }
    /* The binary by its own path, not /proc/self/exe: the process keeps
     * its name ("ocpagg", not "exe") for ps, pgrep and the tests. */
    if ((len = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0 ||
        (size_t)len >= sizeof self - 1) {
        snprintf(heap_note, sizeof heap_note, "4 KiB pages (cannot find the program's path)");
        return;
    }
    self[len] = '\0';
    n = (tun != NULL ? strlen(tun) + 1 : 0) + sizeof add;
    if ((val = malloc(n)) == NULL || (tun != NULL && (old = strdup(tun)) == NULL)) {
        free(val);
        return;
    }
    snprintf(val, n, "%s%s%s", tun != NULL ? tun : "", tun != NULL ? ":" : "", add);
    if (setenv("GLIBC_TUNABLES", val, 1) == 0) {
        execv(self, argv);
        /* Still here: the same process, as it was. */
        snprintf(heap_note, sizeof heap_note, "4 KiB pages (starting again failed: %s)",
                 strerror(errno));
        if (old != NULL)
            setenv("GLIBC_TUNABLES", old, 1);
        else
            unsetenv("GLIBC_TUNABLES");
    }
    free(val);
    free(old);
#else
    (void)argv;
    if (wanted) /* else heap_note says why not */
        snprintf(heap_note, sizeof heap_note, "the sanitizer's or the platform's malloc");
#endif
}

const char *runtime_heap_note(void)
{
    return heap_note[0] ? heap_note : "unknown";
}

void runtime_before_init(char **argv)
{
    /* Not where the kernel hands free huge pages back to the hypervisor
     * within seconds and base pages fault fast: on a project VM
     * (page_reporting_order 9, 4 KiB faults at 2-3 GB/s) 17 M rows at 2x1
     * took 5.0-7.1 s with huge pages against 2.5-2.9 s without (session
     * 19); on one whose 4 KiB faults trap to the host (0.4 GB/s), 2.4-2.6 s
     * with them against 3.3-3.8 s (session 27; bench/results).  heap_note
     * says why not. */
    int wanted = ocp_mem_huge_pages_wanted(heap_note, sizeof heap_note);

    ocp_mem_hint_huge(wanted);
    huge_page_heap(argv, wanted);
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
