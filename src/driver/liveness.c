/* liveness.c - which local peers have ended; see liveness.h. */
#include "driver/liveness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* What one rank tells the others: its pid and its process space.  Two
 * ranks share a process space when the kernel's boot id and the PID
 * namespace (device and inode of /proc/self/ns/pid) agree: a hostname
 * would not do (containers share names, and one host's network
 * namespaces share one process space). */
struct live_card {
    char boot[40];
    uint64_t ns_dev, ns_ino;
    int32_t pid;
    int32_t known; /* 0: this rank could not tell its process space */
};

static void my_card(struct live_card *c)
{
    struct stat st;
    FILE *f;
    size_t n = 0;

    memset(c, 0, sizeof *c);
    c->pid = (int32_t)getpid();
    if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
        n = fread(c->boot, 1, sizeof c->boot - 1, f);
        fclose(f);
    }
    if (n < 32 || stat("/proc/self/ns/pid", &st) != 0)
        return;
    c->ns_dev = (uint64_t)st.st_dev;
    c->ns_ino = (uint64_t)st.st_ino;
    c->known = 1;
}

int live_init(struct live *l, MPI_Comm comm)
{
    struct live_card mine, *all;
    int r;

    memset(l, 0, sizeof *l);
    MPI_Comm_rank(comm, &l->rank);
    MPI_Comm_size(comm, &l->nranks);
    my_card(&mine);
    all = malloc((size_t)l->nranks * sizeof *all);
    l->pid = malloc((size_t)l->nranks * sizeof *l->pid);
    l->local = calloc((size_t)l->nranks, 1);
    if (all == NULL || l->pid == NULL || l->local == NULL ||
        MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, comm) !=
            MPI_SUCCESS) {
        free(all);
        live_release(l);
        return -1;
    }
    for (r = 0; r < l->nranks; r++) {
        l->pid[r] = all[r].pid;
        l->local[r] = mine.known && all[r].known && all[r].pid > 0 &&
                      memcmp(all[r].boot, mine.boot, sizeof mine.boot) == 0 &&
                      all[r].ns_dev == mine.ns_dev && all[r].ns_ino == mine.ns_ino;
    }
    free(all);
    return 0;
}

/* 1 when process pid has ended: the kernel knows no such process, or it
 * is a zombie its parent has not reaped yet.  A process this rank may not
 * signal (EPERM) still runs. */
static int gone(int32_t pid)
{
    char path[64], buf[512], *rp;
    FILE *f;
    size_t n;

    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return errno == ENOENT;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ...": comm may hold anything, so the state follows
     * the last parenthesis. */
    if ((rp = strrchr(buf, ')')) == NULL || rp[1] != ' ')
        return 0;
    return rp[2] == 'Z' || rp[2] == 'X';
}

int live_rank_gone(const struct live *l, int r)
{
    if (l->local == NULL || r < 0 || r >= l->nranks || !l->local[r])
        return -1;
    return gone(l->pid[r]);
}

int live_first_gone(const struct live *l)
{
    int r;

    for (r = 0; r < l->nranks; r++)
        if (r != l->rank && live_rank_gone(l, r) == 1)
            return r;
    return -1;
}

void live_release(struct live *l)
{
    free(l->pid);
    free(l->local);
    l->pid = NULL;
    l->local = NULL;
}
