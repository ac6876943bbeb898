/*
 * liveness.h - which peers of this rank, on its own host, have ended
 * (driver only).
 *
 * Why: a rank that dies without a word (SIGKILL, the OOM killer, a crash)
 * never answers the next agreement, and MPI gives its peers no error for
 * it: they wait.  Open MPI's mpirun then sends the survivors SIGCONT, a
 * second later SIGTERM and a second later SIGKILL.  SIGCONT comes only
 * from a launcher ending a job or from someone continuing a stopped
 * process, so on SIGCONT each rank looks whether a peer that shares its
 * process space (same boot, same PID namespace) is gone; then the job is
 * lost, and the rank cleans up and leaves at once instead of two seconds
 * later.  Peers on other hosts cannot be looked at: those ranks leave
 * shortly after the SIGTERM instead (transport.h).
 *
 * Ownership: live_init fills a struct live whose arrays live_release
 * frees.
 */
#ifndef OCPAGG_DRIVER_LIVENESS_H
#define OCPAGG_DRIVER_LIVENESS_H

#include <mpi.h>
#include <stdint.h>

struct live {
    int rank, nranks;
    int32_t *pid;         /* each rank's process id */
    unsigned char *local; /* 1 where that rank's pid means a process here */
};

/* Collective over comm: learns every rank's pid and which ranks share
 * this rank's process space.  A rank that cannot tell its own process
 * space counts no peer as local (it never judges a pid of another
 * space).  Returns 0, or -1 when memory or MPI fails (nothing to
 * release then). */
int live_init(struct live *l, MPI_Comm comm);

/* The lowest rank among the local peers whose process has ended (no
 * such process, or a zombie), or -1 when every local peer still runs. */
int live_first_gone(const struct live *l);

/* Whether rank r has ended: 1 ended, 0 still runs, -1 cannot be told
 * (not in this process space). */
int live_rank_gone(const struct live *l, int r);

/* Frees the arrays; the struct may be released twice. */
void live_release(struct live *l);

#endif
