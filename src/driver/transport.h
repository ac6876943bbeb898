/*
 * transport.h - every rank-to-rank transfer of the job, and the agreement
 * step after each phase (driver only).
 *
 * Why one transport: a rank that fails must still take part in each step
 * of a protocol, or its partners wait for it forever.  So every message
 * starts with a header that carries a status; a failed rank sends a
 * failure header instead of data, and a receiver that cannot take the
 * data (no memory, its own failure) answers with a failure acknowledgement
 * before any data moves.  Both sides then leave the step together and the
 * next agreement tells every rank which rank failed first and why.
 * Payloads have any size: they travel in pieces whose counts fit an int.
 *
 * While a rank works or waits it polls (tp_poll): a peer's failure or stop
 * request arrives as an "alert" (one small message to every rank), so all
 * ranks leave a long phase within a poll interval instead of at its end.
 * With a stall limit (--stall-seconds) every rank also sends a heartbeat
 * to its ring successor; a rank whose predecessor stays silent that long
 * ends the job (exit 75), naming the silent rank.
 *
 * All MPI calls are made by the thread that initialized MPI
 * (MPI_THREAD_FUNNELED).
 */
#ifndef OCPAGG_DRIVER_TRANSPORT_H
#define OCPAGG_DRIVER_TRANSPORT_H

#include <mpi.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/liveness.h"
#include "ocpagg/error.h"

/* How long a rank that has its own stop signal waits for the others'
 * answers before it leaves without them (exit 75).  The peers that live
 * answer within a poll interval; one that died without a word never does,
 * and the launcher's SIGKILL would come a second after its SIGTERM (Open
 * MPI) or much later (Slurm's KillWait). */
#define TP_STOP_GRACE 0.5

/* Status of a rank that stopped because a peer failed or asked to stop.
 * Never an exit code: the agreement replaces it with the peer's code. */
#define TP_PEER 1

/* What an alert says. */
enum tp_alert_kind { TP_ALERT_FAILED = 1, TP_ALERT_SIGNAL = 2, TP_ALERT_STALL = 3 };

struct tp_alert {
    int32_t kind, rank, code, signal;
    char text[384];
};

/* The outcome of an agreement: the same on every rank. */
struct tp_verdict {
    int code;   /* OCP_OK or the exit code of the first failure */
    int rank;   /* the rank that failed first (-1 when ok) */
    int signal; /* the signal that stopped it, or 0 */
    char text[OCP_ERROR_MSG_MAX + OCP_ERROR_PATH_MAX + 200]; /* its error */
};

struct tp {
    MPI_Comm comm;
    int rank, nranks;
    volatile sig_atomic_t *signal;     /* set by the signal handlers */
    volatile sig_atomic_t *woken;      /* set by the SIGCONT handler */
    double signal_at;                  /* when this rank first saw its signal */
    double peer_signal_at;             /* when it first heard of a peer's */
    int peer_signal_rank, peer_signal; /* which peer, which signal */
    struct live live;                  /* which peers share this host */
    /* alerts */
    MPI_Request alert_rreq;
    struct tp_alert alert_in, alert_out, first;
    MPI_Request *alert_sreq; /* one per peer */
    int alert_sent, alerts_received, peer_stop;
    /* watchdog */
    double stall_seconds, hb_interval, last_hb_sent, last_heard, last_poll;
    int armed;
    int64_t hb_sent, hb_received;
    int32_t hb_out, hb_in;
    MPI_Request hb_req;
    /* run before MPI_Abort and on this rank's first stop signal (rank 0
     * removes its temporary report) */
    int signal_cleaned;
    void (*cleanup)(void *);
    void *cleanup_ctx;
};

/* Collective: sets up the transport on comm, learns which peers share
 * this host (liveness.h) and posts the alert receive.  signal points to
 * the flag the stop signals' handlers set (the signal number), woken to
 * the one SIGCONT's handler sets.  stall_seconds 0 turns the watchdog
 * off. */
int tp_init(struct tp *t, MPI_Comm comm, volatile sig_atomic_t *signal,
            volatile sig_atomic_t *woken, double stall_seconds);

/* Starts the watchdog (after the plan, whose length depends on rank 0's
 * metadata reads and is not guarded). */
void tp_arm(struct tp *t);

/* Collective, at the very end of a job that was not aborted: receives the
 * alerts and heartbeats still in flight and frees the requests, so that
 * MPI_Finalize finds nothing pending. */
void tp_finalize(struct tp *t);

/* Checks for alerts, a stop signal and the watchdog, and sends a due
 * heartbeat.  Returns 1 when this rank should stop its current work
 * (its own signal or a peer's alert).  Cheap; call between units of work. */
int tp_poll(struct tp *t);

/* This rank's status after a poll: OCP_ERR_INTERRUPTED (err filled) on
 * its own stop signal, TP_PEER when a peer failed or asked to stop, else
 * OCP_OK.  For the walks of the finish and the AWS step. */
int tp_stop_status(struct tp *t, struct ocp_error *err);

/* Records a failure of this rank (rc neither OK nor TP_PEER) and tells
 * the others at once (tp_alert with err's message). */
void tp_failed(struct tp *t, int rc, const struct ocp_error *err);

/* Tells every peer that this rank failed (once; later calls do nothing). */
void tp_alert(struct tp *t, int code, const char *text);

/* Waits for a request while polling (so the watchdog runs).  A rank
 * that has a stop signal, its own or a peer's (an alert), and is still
 * waiting TP_STOP_GRACE seconds later cleans up and exits 75 without the
 * others: one of them cannot answer. */
int tp_wait(struct tp *t, MPI_Request *req);

/* Sends len bytes to `to` with this rank's status.  A non-OK status sends
 * only the header and returns that status.  Returns OCP_OK, or TP_PEER
 * when the receiver refused the data (it failed). */
int tp_send(struct tp *t, const void *buf, size_t len, int status, int to, int tag,
            struct ocp_error *err);

/* Receives one message from `from`.  my_status non-OK refuses the data
 * (and is returned).  Returns OCP_OK with *buf malloc'd, TP_PEER when the
 * sender sent a failure header, or OCP_ERR_OSERR when the buffer cannot
 * be allocated (the sender is told). */
int tp_recv(struct tp *t, unsigned char **buf, size_t *len, int my_status, int from, int tag,
            struct ocp_error *err);

/* A note: one number with the sender's status, sent without waiting for
 * the receiver (no handshake), so a rank can hand a small value down a
 * chain (the next day's offset in the report) and go on working.  The
 * note is caller storage that must stay untouched until tp_note_done.
 * Every note sent must be received by a matching tp_note_recv, whatever
 * the statuses: a failed rank still sends (its status) and receives. */
struct tp_note {
    struct {
        int64_t value;
        int32_t status, rank;
    } msg;
    MPI_Request rq;
    int active;
};

/* Posts note n (value, status) to `to`.  Returns OCP_OK, or
 * OCP_ERR_SOFTWARE when MPI fails. */
int tp_note_send(struct tp *t, struct tp_note *n, int64_t value, int status, int to, int tag,
                 struct ocp_error *err);

/* Waits (polling) until a posted note has left; nothing for an idle note. */
int tp_note_done(struct tp *t, struct tp_note *n, struct ocp_error *err);

/* Receives a note from `from`.  Returns OCP_OK with *value, my_status
 * when that is not OK, TP_PEER when the sender's status was a failure. */
int tp_note_recv(struct tp *t, int64_t *value, int my_status, int from, int tag,
                 struct ocp_error *err);

/* Whether a note from `from` has arrived (tp_note_recv would not wait);
 * 0 also when MPI cannot tell (the caller then waits in tp_note_recv). */
int tp_note_ready(struct tp *t, int from, int tag);

/* Where tp_recv_write hands a received block. */
typedef int (*tp_write_fn)(void *ctx, const unsigned char *buf, size_t len, struct ocp_error *err);

/* Rank 0's step of a streamed output: receives the next block from
 * `from` (tp_recv with status) and, unless this rank has failed or been
 * stopped, writes it with write(ctx, ...).  The stop is checked right
 * before the write, because a signal seen while receiving may already
 * have aborted the output (a write then fails as an internal error
 * instead of exit 75).  A failure of the receive or the write is told
 * to the peers (tp_failed).  Returns this rank's new status: status
 * when it was not OCP_OK, else the failure, TP_PEER, or a stop. */
int tp_recv_write(struct tp *t, int status, int from, int tag, tp_write_fn write, void *ctx,
                  struct ocp_error *err);

/* Sends to `to` while receiving from `from` (one step of a shuffle). */
int tp_swap(struct tp *t, const unsigned char *sbuf, size_t slen, int status, int to,
            unsigned char **rbuf, size_t *rlen, int from, int tag, struct ocp_error *err);

/* Broadcasts root's buffer (any size) with root's status; the others get
 * a malloc'd copy.  Returns OCP_OK, root's status as TP_PEER on the
 * others, or a failure to allocate anywhere (the payload then does not
 * move). */
int tp_bcast(struct tp *t, unsigned char **buf, size_t *len, int status, int root,
             struct ocp_error *err);

/* Collective: every rank learns whether all succeeded, else the first
 * failure (lowest rank among those that failed on their own, rather than
 * because a peer did), its code, signal and message.  rc is this rank's
 * status; err its error (may be NULL); signal the signal that stopped
 * this rank (0 if none).  Returns v->code. */
int tp_agree(struct tp *t, int rc, const struct ocp_error *err, int signal, struct tp_verdict *v);

/* Collective: the logical OR of flag over all ranks (a cheap step check). */
int tp_any(struct tp *t, int flag);

/* Collective: the n int32 values of every rank, in rank order, in a
 * malloc'd *all of *total values; (*counts)[r] (malloc'd, nranks) came
 * from rank r.  A rank whose status is not OCP_OK sends none.  Whether
 * every rank went on is agreed: OCP_OK everywhere, or this rank's failure
 * (status, or no memory), TP_PEER when another rank's; then *all and
 * *counts are NULL. */
int tp_allgather_i32(struct tp *t, const int32_t *mine, size_t n, int status, int32_t **all,
                     int **counts, size_t *total, struct ocp_error *err);

/* Last resort: runs the cleanup hook and calls MPI_Abort(code). */
void tp_abort(struct tp *t, int code) __attribute__((noreturn));

#endif
