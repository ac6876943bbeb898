/* transport.c - status-carrying, chunked transfers between ranks; alerts,
 * heartbeats and the agreement step.  See transport.h for the protocol. */
#include "driver/transport.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/fault.h"
#include "ocpagg/mem.h"

/* Open MPI 4.1 counts are int: payloads move in pieces of at most 1 GiB. */
#define PIECE ((size_t)1 << 30)
#define TAG_ALERT 32001
#define TAG_HB 32002

/* The header of every message. */
struct head {
    uint64_t len;
    int32_t status;
    int32_t rank;
};

/* A receive buffer of n bytes (malloc), or NULL when the test-only fault
 * injection says so.  A large one is filled once, front to
 * back, by MPI's copy: on huge pages it faults 2 MiB at a time.  On 4 KiB
 * pages the faults of a 32 MB shuffle message cost more than its copy
 * (0.15 of 0.2 s at 2 ranks on 16 M rows, on this kind of VM). */
static void *alloc_bytes(uint64_t n, int *injected)
{
    void *b;

    *injected = fault_recv_alloc();
    if (*injected || n > SIZE_MAX - 1)
        return NULL;
    b = malloc(n ? (size_t)n : 1);
    if (b != NULL)
        ocp_mem_advise_huge(b, (size_t)n);
    return b;
}

#define INJECTED(flag) ((flag) ? " (injected by OCPAGG_FAULT)" : "")

static void nap(void)
{
    struct timespec ts = {0, 1000000}; /* 1 ms: cheap on an oversubscribed node */
    nanosleep(&ts, NULL);
}

int tp_init(struct tp *t, MPI_Comm comm, volatile sig_atomic_t *signal,
            volatile sig_atomic_t *woken, double stall_seconds)
{
    int i;
    memset(t, 0, sizeof *t);
    t->comm = comm;
    MPI_Comm_rank(comm, &t->rank);
    MPI_Comm_size(comm, &t->nranks);
    /* A collective: a rank that cannot take part would leave the others
     * waiting, so it ends the job (a few bytes of memory at start-up). */
    if (live_init(&t->live, comm) != 0) {
        fprintf(stderr, "ocpagg: rank %d: out of memory starting the job\n", t->rank);
        MPI_Abort(comm, OCP_ERR_OSERR);
        _exit(OCP_ERR_OSERR);
    }
    t->signal = signal;
    t->woken = woken;
    t->stall_seconds = stall_seconds > 0 ? stall_seconds : 0;
    t->hb_interval = t->stall_seconds / 8 < 0.25 ? t->stall_seconds / 8 : 0.25;
    t->hb_req = MPI_REQUEST_NULL;
    t->alert_rreq = MPI_REQUEST_NULL;
    t->alert_sreq = malloc((size_t)t->nranks * sizeof *t->alert_sreq);
    if (t->alert_sreq == NULL) {
        live_release(&t->live);
        return OCP_ERR_OSERR;
    }
    for (i = 0; i < t->nranks; i++)
        t->alert_sreq[i] = MPI_REQUEST_NULL;
    if (t->nranks > 1 && MPI_Irecv(&t->alert_in, (int)sizeof t->alert_in, MPI_BYTE, MPI_ANY_SOURCE,
                                   TAG_ALERT, comm, &t->alert_rreq) != MPI_SUCCESS)
        return OCP_ERR_SOFTWARE;
    return OCP_OK;
}

void tp_arm(struct tp *t)
{
    if (t->stall_seconds > 0 && t->nranks > 1) {
        t->armed = 1;
        t->last_heard = now_seconds();
        t->last_poll = t->last_heard;
        t->last_hb_sent = 0;
    }
}

void tp_abort(struct tp *t, int code)
{
    if (t->cleanup != NULL)
        t->cleanup(t->cleanup_ctx);
    fflush(stderr);
    MPI_Abort(t->comm, code);
    _exit(code); /* MPI_Abort does not return; this keeps the promise */
}

void tp_alert(struct tp *t, int code, const char *text)
{
    int r;
    if (t->alert_sent || t->nranks < 2)
        return;
    t->alert_sent = 1;
    memset(&t->alert_out, 0, sizeof t->alert_out);
    t->alert_out.kind = code == OCP_ERR_INTERRUPTED ? TP_ALERT_SIGNAL : TP_ALERT_FAILED;
    t->alert_out.rank = t->rank;
    t->alert_out.code = code;
    t->alert_out.signal = t->signal != NULL ? (int32_t)*t->signal : 0;
    snprintf(t->alert_out.text, sizeof t->alert_out.text, "%s", text ? text : "");
    for (r = 0; r < t->nranks; r++)
        if (r != t->rank)
            MPI_Isend(&t->alert_out, (int)sizeof t->alert_out, MPI_BYTE, r, TAG_ALERT, t->comm,
                      &t->alert_sreq[r]);
}

/* How long a rank that leaves waits for rank 0 (of its own host) to have
 * left first. */
#define TP_LEAVE_AFTER_RANK0 2.0

/* Leaves the job now, without the agreement, after the cleanup (rank 0's
 * temporary report).  The launcher ends the rest of the job and gives its
 * own exit code.  Rank 0 goes first: Open MPI's mpirun sends SIGKILL as
 * soon as a second rank of a dying job ends (each rank's end cuts its
 * waits short), which would catch rank 0 before its next poll with its
 * temporary report still on disk.  So another rank waits (a bounded
 * time) until a rank 0 of its process space has ended; one elsewhere it
 * cannot see, and does not wait for. */
static void leave(struct tp *t, const char *why)
{
    if (!t->signal_cleaned && t->cleanup != NULL)
        t->cleanup(t->cleanup_ctx);
    t->signal_cleaned = 1;
    if (why != NULL)
        fprintf(stderr, "ocpagg: rank %d: %s\n", t->rank, why);
    fflush(stderr);
    if (t->rank != 0) {
        double until = now_seconds() + TP_LEAVE_AFTER_RANK0;
        while (live_rank_gone(&t->live, 0) == 0 && now_seconds() < until)
            nap();
    }
    _exit(OCP_ERR_INTERRUPTED);
}

/* After a SIGCONT: a local peer that has ended means the launcher is
 * ending the job (liveness.h).  Which rank died first cannot be told
 * here (a peer that saw it may have left already), and the launcher
 * names it; rank 0 says why the job ends without a report. */
static void check_peers(struct tp *t)
{
    if (live_first_gone(&t->live) < 0)
        return;
    leave(t, t->rank == 0 ? "a rank of this job has ended without a word (killed or crashed; "
                            "the launcher names it); leaving the job, no report written"
                          : NULL);
}

/* A peer said it stopped the job for a stall: leave now (after cleanup),
 * since the stalled rank cannot take part in any agreement.  The peer
 * printed why; one line for the job, not one per rank. */
static void on_stall(struct tp *t)
{
    tp_abort(t, OCP_ERR_INTERRUPTED);
}

static void watchdog(struct tp *t)
{
    double now = now_seconds();
    int pred = (t->rank + t->nranks - 1) % t->nranks;
    int flag = 1;

    /* This rank itself was away (busy without polling, or stopped and
     * continued): the predecessor gets a fresh window, or a rank woken
     * by mpirun's SIGCONT would blame its neighbour. */
    if (now - t->last_poll > t->stall_seconds / 2)
        t->last_heard = now;
    t->last_poll = now;
    while (flag) {
        MPI_Status st;
        MPI_Iprobe(pred, TAG_HB, t->comm, &flag, &st);
        if (flag) {
            MPI_Recv(&t->hb_in, 1, MPI_INT32_T, pred, TAG_HB, t->comm, MPI_STATUS_IGNORE);
            t->hb_received++;
            t->last_heard = now;
        }
    }
    if (now - t->last_hb_sent >= t->hb_interval) {
        int done = 1;
        if (t->hb_req != MPI_REQUEST_NULL)
            MPI_Test(&t->hb_req, &done, MPI_STATUS_IGNORE);
        if (done) {
            t->hb_out = t->rank;
            MPI_Isend(&t->hb_out, 1, MPI_INT32_T, (t->rank + 1) % t->nranks, TAG_HB, t->comm,
                      &t->hb_req);
            t->hb_sent++;
            t->last_hb_sent = now;
        }
    }
    if (now - t->last_heard > t->stall_seconds) {
        struct tp_alert a;
        int r;
        memset(&a, 0, sizeof a);
        a.kind = TP_ALERT_STALL;
        a.rank = t->rank;
        a.code = OCP_ERR_INTERRUPTED;
        snprintf(a.text, sizeof a.text,
                 "watchdog: rank %d made no progress for %.0f s (stopped or hung; "
                 "--stall-seconds)",
                 pred, t->stall_seconds);
        fprintf(stderr, "ocpagg: rank %d: %s; ending the job\n", t->rank, a.text);
        /* Everyone else cleans up and aborts too; rank 0's temporary
         * report goes first, so give it a moment before aborting here. */
        if (!t->alert_sent) {
            t->alert_sent = 1;
            t->alert_out = a;
            for (r = 0; r < t->nranks; r++)
                if (r != t->rank)
                    MPI_Isend(&t->alert_out, (int)sizeof t->alert_out, MPI_BYTE, r, TAG_ALERT,
                              t->comm, &t->alert_sreq[r]);
        }
        if (t->rank != 0) {
            double until = now_seconds() + 1.0;
            while (now_seconds() < until) {
                int f = 0;
                if (t->alert_rreq != MPI_REQUEST_NULL)
                    MPI_Test(&t->alert_rreq, &f, MPI_STATUS_IGNORE);
                nap();
            }
        }
        tp_abort(t, OCP_ERR_INTERRUPTED);
    }
}

int tp_poll(struct tp *t)
{
    int done = 0;

    if (t->nranks < 2) {
        if (t->signal != NULL && *t->signal != 0 && !t->signal_cleaned) {
            t->signal_cleaned = 1;
            if (t->cleanup != NULL)
                t->cleanup(t->cleanup_ctx);
        }
        return t->signal != NULL && *t->signal != 0;
    }
    if (t->woken != NULL && *t->woken) {
        *t->woken = 0;
        check_peers(t);
    }
    if (t->armed)
        watchdog(t);
    while (t->alert_rreq != MPI_REQUEST_NULL) {
        MPI_Test(&t->alert_rreq, &done, MPI_STATUS_IGNORE);
        if (!done)
            break;
        t->alerts_received++;
        if (t->alert_in.kind == TP_ALERT_SIGNAL && t->peer_signal_at == 0) {
            t->peer_signal_at = now_seconds();
            t->peer_signal_rank = (int)t->alert_in.rank;
            t->peer_signal = (int)t->alert_in.signal;
        }
        if (t->alert_in.kind == TP_ALERT_STALL)
            on_stall(t);
        if (!t->peer_stop) {
            t->peer_stop = 1;
            t->first = t->alert_in;
        }
        MPI_Irecv(&t->alert_in, (int)sizeof t->alert_in, MPI_BYTE, MPI_ANY_SOURCE, TAG_ALERT,
                  t->comm, &t->alert_rreq);
    }
    if (t->signal != NULL && *t->signal != 0 && !t->signal_cleaned) {
        /* A signal always ends the job without a report, and mpirun
         * follows its SIGTERM with SIGKILL a second later: remove the
         * temporary report now rather than at the end. */
        t->signal_cleaned = 1;
        t->signal_at = now_seconds();
        if (t->cleanup != NULL)
            t->cleanup(t->cleanup_ctx);
    }
    if (t->signal != NULL && *t->signal != 0 && !t->alert_sent) {
        char text[64];
        snprintf(text, sizeof text, "stopped by signal %d", (int)*t->signal);
        tp_alert(t, OCP_ERR_INTERRUPTED, text);
    }
    return t->peer_stop || (t->signal != NULL && *t->signal != 0);
}

/* This rank has its own stop signal and some peer has not answered for
 * TP_STOP_GRACE seconds: most likely it died and the launcher is ending
 * the job.  Rank 0 says so, for every rank. */
static void give_up(struct tp *t)
{
    char why[200];

    if (t->signal != NULL && *t->signal != 0)
        snprintf(why, sizeof why,
                 "stopped by signal %d; not every rank answered within %.1f s, leaving without "
                 "them",
                 (int)*t->signal, TP_STOP_GRACE);
    else
        snprintf(why, sizeof why,
                 "rank %d stopped by signal %d; not every rank answered within %.1f s, leaving "
                 "without them",
                 t->peer_signal_rank, t->peer_signal, TP_STOP_GRACE);
    leave(t, t->rank == 0 ? why : NULL);
}

/* Whether this rank has waited out its grace after a stop signal. */
static int grace_over(const struct tp *t, double now)
{
    return (t->signal_at > 0 && now - t->signal_at > TP_STOP_GRACE) ||
           (t->peer_signal_at > 0 && now - t->peer_signal_at > TP_STOP_GRACE);
}

int tp_wait(struct tp *t, MPI_Request *req)
{
    int done = 0;
    unsigned spins = 0;
    double last = now_seconds();
    /* MPI makes progress only inside MPI calls, so the loop keeps testing
     * (as MPI_Wait would) and yields the core between tests, which matters
     * when ranks outnumber cores; alerts and the watchdog are checked
     * every few milliseconds. */
    for (;;) {
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return OCP_ERR_SOFTWARE;
        if (done)
            return OCP_OK;
        if ((++spins & 255u) == 0) {
            double now = now_seconds();
            if (now - last >= 0.005) {
                last = now;
                tp_poll(t);
                if (grace_over(t, now))
                    give_up(t);
            }
        }
        sched_yield();
    }
}

/* Waits for two requests (a send and a receive of one step). */
static int wait2(struct tp *t, MPI_Request *a, MPI_Request *b)
{
    int rc = tp_wait(t, a);
    int rc2 = tp_wait(t, b);
    return rc != OCP_OK ? rc : rc2;
}

static int mpi_failed(struct ocp_error *err, const char *what, int peer)
{
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "MPI failed %s rank %d", what,
                         peer);
}

int tp_send(struct tp *t, const void *buf, size_t len, int status, int to, int tag,
            struct ocp_error *err)
{
    struct head h;
    int32_t ack = OCP_OK;
    MPI_Request rq;
    size_t off;

    h.len = status == OCP_OK ? (uint64_t)len : 0;
    h.status = status;
    h.rank = t->rank;
    if (MPI_Isend(&h, (int)sizeof h, MPI_BYTE, to, tag, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return mpi_failed(err, "sending to", to);
    if (status != OCP_OK)
        return status;
    if (MPI_Irecv(&ack, 1, MPI_INT32_T, to, tag, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return mpi_failed(err, "receiving from", to);
    if (ack != OCP_OK)
        return TP_PEER;
    for (off = 0; off < len; off += PIECE) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        if (MPI_Isend((const unsigned char *)buf + off, (int)n, MPI_BYTE, to, tag, t->comm, &rq) !=
                MPI_SUCCESS ||
            tp_wait(t, &rq) != OCP_OK)
            return mpi_failed(err, "sending to", to);
    }
    return OCP_OK;
}

int tp_stop_status(struct tp *t, struct ocp_error *err)
{
    if (!tp_poll(t))
        return OCP_OK;
    if (t->signal != NULL && *t->signal)
        return ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL, "stopped by signal %d",
                             (int)*t->signal);
    return TP_PEER;
}

void tp_failed(struct tp *t, int rc, const struct ocp_error *err)
{
    if (rc != OCP_OK && rc != TP_PEER)
        tp_alert(t, rc, err != NULL ? err->message : "");
}

int tp_note_send(struct tp *t, struct tp_note *n, int64_t value, int status, int to, int tag,
                 struct ocp_error *err)
{
    n->msg.value = status == OCP_OK ? value : 0;
    n->msg.status = status;
    n->msg.rank = t->rank;
    n->active = 0;
    if (MPI_Isend(&n->msg, (int)sizeof n->msg, MPI_BYTE, to, tag, t->comm, &n->rq) != MPI_SUCCESS)
        return mpi_failed(err, "sending to", to);
    n->active = 1;
    return OCP_OK;
}

int tp_note_done(struct tp *t, struct tp_note *n, struct ocp_error *err)
{
    if (!n->active)
        return OCP_OK;
    n->active = 0;
    if (tp_wait(t, &n->rq) != OCP_OK)
        return mpi_failed(err, "sending to", -1);
    return OCP_OK;
}

int tp_note_recv(struct tp *t, int64_t *value, int my_status, int from, int tag,
                 struct ocp_error *err)
{
    struct tp_note n;
    MPI_Request rq;

    *value = 0;
    if (MPI_Irecv(&n.msg, (int)sizeof n.msg, MPI_BYTE, from, tag, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return mpi_failed(err, "receiving from", from);
    if (my_status != OCP_OK)
        return my_status;
    if (n.msg.status != OCP_OK)
        return TP_PEER;
    *value = n.msg.value;
    return OCP_OK;
}

int tp_note_ready(struct tp *t, int from, int tag)
{
    int flag = 0;

    if (MPI_Iprobe(from, tag, t->comm, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return 0;
    return flag != 0;
}

int tp_recv(struct tp *t, unsigned char **buf, size_t *len, int my_status, int from, int tag,
            struct ocp_error *err)
{
    struct head h;
    int32_t ack;
    MPI_Request rq;
    unsigned char *b = NULL;
    size_t off;
    int rc = my_status;

    *buf = NULL;
    *len = 0;
    if (MPI_Irecv(&h, (int)sizeof h, MPI_BYTE, from, tag, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return mpi_failed(err, "receiving from", from);
    if (h.status != OCP_OK)
        return my_status != OCP_OK ? my_status : TP_PEER;
    if (rc == OCP_OK) {
        int inj;
        b = alloc_bytes(h.len, &inj);
        if (b == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory receiving %llu bytes from rank %d%s",
                               (unsigned long long)h.len, from, INJECTED(inj));
    }
    ack = rc == OCP_OK ? OCP_OK : (int32_t)rc;
    if (MPI_Isend(&ack, 1, MPI_INT32_T, from, tag, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK) {
        free(b);
        return mpi_failed(err, "sending to", from);
    }
    if (rc != OCP_OK)
        return rc;
    for (off = 0; off < h.len; off += PIECE) {
        size_t n = (size_t)h.len - off < PIECE ? (size_t)h.len - off : PIECE;
        if (MPI_Irecv(b + off, (int)n, MPI_BYTE, from, tag, t->comm, &rq) != MPI_SUCCESS ||
            tp_wait(t, &rq) != OCP_OK) {
            free(b);
            return mpi_failed(err, "receiving from", from);
        }
    }
    *buf = b;
    *len = (size_t)h.len;
    return OCP_OK;
}

int tp_recv_write(struct tp *t, int status, int from, int tag, tp_write_fn write, void *ctx,
                  struct ocp_error *err)
{
    unsigned char *blk = NULL;
    size_t len = 0;
    int rc = status, lrc = tp_recv(t, &blk, &len, rc, from, tag, err);

    if (rc == OCP_OK && lrc == OCP_OK)
        lrc = tp_stop_status(t, err);
    if (rc == OCP_OK && lrc == OCP_OK)
        lrc = write(ctx, blk, len, err);
    free(blk);
    if (rc == OCP_OK && lrc != OCP_OK) {
        rc = lrc;
        tp_failed(t, rc, err);
    }
    if (rc == OCP_OK)
        rc = tp_stop_status(t, err);
    return rc;
}

int tp_swap(struct tp *t, const unsigned char *sbuf, size_t slen, int status, int to,
            unsigned char **rbuf, size_t *rlen, int from, int tag, struct ocp_error *err)
{
    struct head hs, hr;
    int32_t ack_out, ack_in = OCP_OK;
    MPI_Request rs, rr;
    unsigned char *b = NULL;
    size_t off, total;
    int rc = status, send_data, recv_data;

    *rbuf = NULL;
    *rlen = 0;
    hs.len = status == OCP_OK ? (uint64_t)slen : 0;
    hs.status = status;
    hs.rank = t->rank;
    if (MPI_Isend(&hs, (int)sizeof hs, MPI_BYTE, to, tag, t->comm, &rs) != MPI_SUCCESS ||
        MPI_Irecv(&hr, (int)sizeof hr, MPI_BYTE, from, tag, t->comm, &rr) != MPI_SUCCESS ||
        wait2(t, &rs, &rr) != OCP_OK)
        return mpi_failed(err, "exchanging with", to);
    /* The answer to `from`: take its data only when both sides are fine. */
    if (rc == OCP_OK && hr.status == OCP_OK) {
        int inj;
        if ((b = alloc_bytes(hr.len, &inj)) == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory receiving %llu bytes from rank %d%s",
                               (unsigned long long)hr.len, from, INJECTED(inj));
    }
    ack_out = rc == OCP_OK && hr.status == OCP_OK ? OCP_OK : OCP_ERR_SOFTWARE;
    if (MPI_Isend(&ack_out, 1, MPI_INT32_T, from, tag + 1, t->comm, &rs) != MPI_SUCCESS ||
        MPI_Irecv(&ack_in, 1, MPI_INT32_T, to, tag + 1, t->comm, &rr) != MPI_SUCCESS ||
        wait2(t, &rs, &rr) != OCP_OK) {
        free(b);
        return mpi_failed(err, "exchanging with", to);
    }
    send_data = status == OCP_OK && ack_in == OCP_OK;
    recv_data = ack_out == OCP_OK;
    total = send_data ? slen : 0;
    if (recv_data && (size_t)hr.len > total)
        total = (size_t)hr.len;
    for (off = 0; off < total; off += PIECE) {
        size_t sn = send_data && off < slen ? (slen - off < PIECE ? slen - off : PIECE) : 0;
        size_t rn = recv_data && off < hr.len
                        ? ((size_t)hr.len - off < PIECE ? (size_t)hr.len - off : PIECE)
                        : 0;
        rs = rr = MPI_REQUEST_NULL;
        if ((sn > 0 &&
             MPI_Isend(sbuf + off, (int)sn, MPI_BYTE, to, tag + 2, t->comm, &rs) != MPI_SUCCESS) ||
            (rn > 0 &&
             MPI_Irecv(b + off, (int)rn, MPI_BYTE, from, tag + 2, t->comm, &rr) != MPI_SUCCESS) ||
            wait2(t, &rs, &rr) != OCP_OK) {
            free(b);
            return mpi_failed(err, "exchanging with", to);
        }
    }
    if (rc != OCP_OK)
        return rc;
    if (hr.status != OCP_OK || ack_in != OCP_OK) {
        free(b);
        return TP_PEER;
    }
    *rbuf = b;
    *rlen = (size_t)hr.len;
    return OCP_OK;
}

int tp_any(struct tp *t, int flag)
{
    int in = flag != 0, out = 0;
    MPI_Request rq;
    if (MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_LOR, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return 1;
    return out;
}

int tp_allgather_i32(struct tp *t, const int32_t *mine, size_t n, int status, int32_t **all,
                     int **counts, size_t *total, struct ocp_error *err)
{
    int *cnt = calloc((size_t)t->nranks, sizeof *cnt);
    int *displs = calloc((size_t)t->nranks, sizeof *displs);
    int32_t *buf = NULL;
    int mycount, r, rc = status;
    size_t sum = 0, at;
    MPI_Request rq;

    *all = NULL;
    *counts = NULL;
    *total = 0;
    if (rc == OCP_OK && (cnt == NULL || displs == NULL))
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (rc == OCP_OK && n > (size_t)INT_MAX / (size_t)t->nranks)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "%zu values to gather from each rank", n);
    mycount = rc == OCP_OK ? (int)n : 0;
    /* Every rank's count, whatever its status; without room for them the
     * collective cannot go on. */
    if (cnt == NULL ||
        MPI_Iallgather(&mycount, 1, MPI_INT, cnt, 1, MPI_INT, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    for (r = 0; r < t->nranks; r++)
        sum += (size_t)cnt[r];
    if (displs != NULL)
        for (r = 0, at = 0; r < t->nranks; r++) {
            displs[r] = (int)at;
            at += (size_t)cnt[r];
        }
    /* Displacements are ints: the values of all ranks must fit one. */
    if (rc == OCP_OK && sum > (size_t)INT_MAX)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "%zu values to gather, more than an MPI count holds", sum);
    buf = rc == OCP_OK ? malloc((sum + 1) * sizeof *buf) : NULL;
    if (rc == OCP_OK && buf == NULL)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory gathering %zu values",
                           sum);
    tp_failed(t, rc, err);
    /* Every rank has room for all values, or none gathers them. */
    if (tp_any(t, rc != OCP_OK)) {
        free(buf);
        free(cnt);
        free(displs);
        return rc == OCP_OK ? TP_PEER : rc;
    }
    if (MPI_Iallgatherv(mine, mycount, MPI_INT32_T, buf, cnt, displs, MPI_INT32_T, t->comm, &rq) !=
            MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    free(displs);
    *all = buf;
    *counts = cnt;
    *total = sum;
    return OCP_OK;
}

int tp_bcast(struct tp *t, unsigned char **buf, size_t *len, int status, int root,
             struct ocp_error *err)
{
    struct head h;
    MPI_Request rq;
    size_t off;
    int rc = OCP_OK;

    h.len = t->rank == root && status == OCP_OK ? (uint64_t)*len : 0;
    h.status = t->rank == root ? status : OCP_OK;
    h.rank = root;
    if (MPI_Ibcast(&h, (int)sizeof h, MPI_BYTE, root, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        return mpi_failed(err, "broadcasting from", root);
    if (h.status != OCP_OK)
        return t->rank == root ? status : TP_PEER;
    if (t->rank != root) {
        int inj;
        if ((*buf = alloc_bytes(h.len, &inj)) == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory receiving %llu bytes from rank %d%s",
                               (unsigned long long)h.len, root, INJECTED(inj));
        *len = (size_t)h.len;
    }
    /* Everyone must have room before the data moves. */
    if (tp_any(t, rc != OCP_OK)) {
        if (t->rank != root) {
            free(*buf);
            *buf = NULL;
        }
        return rc != OCP_OK ? rc : TP_PEER;
    }
    for (off = 0; off < h.len; off += PIECE) {
        size_t n = (size_t)h.len - off < PIECE ? (size_t)h.len - off : PIECE;
        if (MPI_Ibcast(*buf + off, (int)n, MPI_BYTE, root, t->comm, &rq) != MPI_SUCCESS ||
            tp_wait(t, &rq) != OCP_OK)
            return mpi_failed(err, "broadcasting from", root);
    }
    return OCP_OK;
}

int tp_agree(struct tp *t, int rc, const struct ocp_error *err, int signal, struct tp_verdict *v)
{
    /* Class 0: failed on its own; 1: stopped for a peer; 2: fine.  MINLOC
     * picks the lowest class, then the lowest rank. */
    int in[2], out[2];
    MPI_Request rq;
    struct {
        int32_t code, signal;
        char text[sizeof v->text];
    } msg;
    const char *own_text = NULL;

    tp_poll(t);
    /* A rank that alerted the others failed on its own, even when a
     * later step saw only the echo of its failure (TP_PEER). */
    if (rc == TP_PEER && t->alert_sent && t->alert_out.kind != TP_ALERT_STALL) {
        rc = t->alert_out.code;
        err = NULL;
        signal = t->alert_out.signal;
        own_text = t->alert_out.text;
    }
    in[0] = rc == OCP_OK ? 2 : (rc == TP_PEER ? 1 : 0);
    in[1] = t->rank;
    if (MPI_Iallreduce(in, out, 1, MPI_2INT, MPI_MINLOC, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    memset(v, 0, sizeof *v);
    v->rank = -1;
    if (out[0] == 2)
        return v->code = OCP_OK;
    memset(&msg, 0, sizeof msg);
    if (t->rank == out[1]) {
        if (rc == TP_PEER) {
            /* Nobody failed on its own: the alert's sender is gone or
             * never got here.  Say what this rank knows. */
            msg.code = t->first.code != 0 ? t->first.code : OCP_ERR_SOFTWARE;
            msg.signal = t->first.signal;
            snprintf(msg.text, sizeof msg.text, "rank %d: %s", (int)t->first.rank, t->first.text);
        } else {
            msg.code = rc;
            msg.signal = signal;
            if (err != NULL && err->code != 0)
                ocp_error_format(err, msg.text, sizeof msg.text);
            else if (own_text != NULL && own_text[0] != '\0')
                snprintf(msg.text, sizeof msg.text, "%s", own_text);
            else if (signal != 0)
                snprintf(msg.text, sizeof msg.text, "stopped by signal %d", signal);
            else
                snprintf(msg.text, sizeof msg.text, "%s", ocp_status_name(rc));
        }
    }
    if (MPI_Ibcast(&msg, (int)sizeof msg, MPI_BYTE, out[1], t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    v->code = msg.code;
    v->rank = out[1];
    v->signal = msg.signal;
    memcpy(v->text, msg.text, sizeof v->text);
    v->text[sizeof v->text - 1] = '\0';
    return v->code;
}

void tp_finalize(struct tp *t)
{
    int32_t mine[2], *all = NULL;
    int r, expected = 0;
    int64_t hb_expected = 0;

    if (t->nranks < 2) {
        free(t->alert_sreq);
        t->alert_sreq = NULL;
        live_release(&t->live);
        return;
    }
    /* How many alerts and heartbeats each rank sent; the heartbeat counts
     * fit int32 for any job shorter than a few years. */
    mine[0] = t->alert_sent;
    mine[1] = (int32_t)t->hb_sent;
    all = malloc((size_t)t->nranks * sizeof mine);
    if (all == NULL)
        tp_abort(t, OCP_ERR_OSERR);
    MPI_Allgather(mine, 2, MPI_INT32_T, all, 2, MPI_INT32_T, t->comm);
    for (r = 0; r < t->nranks; r++)
        if (r != t->rank)
            expected += all[2 * r];
    hb_expected = all[2 * ((t->rank + t->nranks - 1) % t->nranks) + 1];
    free(all);
    while (t->alerts_received < expected) {
        MPI_Wait(&t->alert_rreq, MPI_STATUS_IGNORE);
        t->alerts_received++;
        if (t->alerts_received < expected)
            MPI_Irecv(&t->alert_in, (int)sizeof t->alert_in, MPI_BYTE, MPI_ANY_SOURCE, TAG_ALERT,
                      t->comm, &t->alert_rreq);
    }
    if (t->alert_rreq != MPI_REQUEST_NULL) {
        MPI_Cancel(&t->alert_rreq);
        MPI_Wait(&t->alert_rreq, MPI_STATUS_IGNORE);
    }
    while (t->hb_received < hb_expected) {
        MPI_Recv(&t->hb_in, 1, MPI_INT32_T, (t->rank + t->nranks - 1) % t->nranks, TAG_HB, t->comm,
                 MPI_STATUS_IGNORE);
        t->hb_received++;
    }
    if (t->hb_req != MPI_REQUEST_NULL)
        MPI_Wait(&t->hb_req, MPI_STATUS_IGNORE);
    MPI_Waitall(t->nranks, t->alert_sreq, MPI_STATUSES_IGNORE);
    free(t->alert_sreq);
    t->alert_sreq = NULL;
    live_release(&t->live);
}
