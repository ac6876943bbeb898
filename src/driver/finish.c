/* finish.c - finishing the days a rank owns and streaming the CSV.
 *
 * After the shuffle every rank holds all groups of its days.  The report
 * is sorted by day first, so it is the day blocks in day order.  Rank 0
 * writes the header and walks the days in order: its own days it finishes
 * (labels, capacity, storage, unallocated, uuids, sort) and formats, a
 * batch of one day per thread at a time; the other ranks' days arrive as
 * those ranks finish them, each rank sending its blocks in its own day
 * order.  So ranks finish in parallel, and no rank holds more than one
 * batch of formatted days: memory stays bounded by the groups, not by the
 * report. */
#include "driver/finish.h"
#include "driver/driver.h"
#include "driver/exchange.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIECE ((size_t)1 << 30)
#define TAG_BLOCK 21
/* A block size that says "this rank failed; no text follows". */
#define BLOCK_FAILED UINT64_MAX

/* Finishes and formats one day into text. */
static int finish_one_day(const struct agg_partial *p,
                          const struct agg_day_index *ix,
                          const struct agg_finish_settings *fs,
                          const struct rpt_meta *meta, int32_t day,
                          struct rpt_buf *text, struct finish_result *res,
                          struct ocp_error *err)
{
    struct rpt_table t;
    int rc;

    rpt_table_init(&t);
    rc = agg_finish_day(p, ix, fs, day, &t, err);
    if (rc == OCP_OK) {
        rpt_table_count_kinds(&t, &res->pod_rows, &res->unallocated_rows,
                              &res->storage_rows);
        if (rpt_csv_rows(&t, meta, 0, t.count, text) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    rpt_table_release(&t);
    return rc;
}

/* A batch of up to nthreads of this rank's days, finished in parallel. */
struct batch {
    struct rpt_buf *text;
    int *status;
    size_t first, count; /* indexes into the rank's day list */
};

static int run_batch(const struct agg_partial *p,
                     const struct agg_day_index *ix,
                     const struct agg_finish_settings *fs,
                     const struct rpt_meta *meta, const int32_t *days,
                     struct batch *b, int nthreads, struct finish_result *res,
                     struct ocp_error *err)
{
    struct finish_result *tres = calloc((size_t)nthreads, sizeof *tres);
    struct ocp_error *terr = calloc((size_t)nthreads, sizeof *terr);
    int t, rc = OCP_OK;

    if (tres == NULL || terr == NULL) {
        free(tres);
        free(terr);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
#pragma omp parallel for num_threads(nthreads) schedule(static, 1)
    for (t = 0; t < (int)b->count; t++) {
        b->text[t].len = 0;
        b->status[t] = finish_one_day(p, ix, fs, meta, days[b->first + (size_t)t],
                                      &b->text[t], &tres[t], &terr[t]);
    }
    for (t = 0; t < (int)b->count; t++) {
        res->pod_rows += tres[t].pod_rows;
        res->unallocated_rows += tres[t].unallocated_rows;
        res->storage_rows += tres[t].storage_rows;
        if (b->status[t] != OCP_OK && rc == OCP_OK) {
            rc = b->status[t];
            if (err != NULL)
                *err = terr[t];
        }
    }
    free(tres);
    free(terr);
    return rc;
}

static void send_block(const struct rpt_buf *text, int failed, MPI_Comm comm)
{
    uint64_t size = failed ? BLOCK_FAILED : (uint64_t)text->len;
    size_t off;
    MPI_Send(&size, 1, MPI_UINT64_T, 0, TAG_BLOCK, comm);
    if (failed)
        return;
    for (off = 0; off < text->len; off += PIECE) {
        size_t n = text->len - off < PIECE ? text->len - off : PIECE;
        MPI_Send(text->data + off, (int)n, MPI_BYTE, 0, TAG_BLOCK, comm);
    }
}

/* Receives one block from `from` and writes it (unless writing failed).
 * Returns 1 when the sender reported a failure. */
static int recv_block(FILE *f, int from, char **buf, size_t *cap, int *write_rc,
                      MPI_Comm comm)
{
    uint64_t size;
    size_t off;
    MPI_Recv(&size, 1, MPI_UINT64_T, from, TAG_BLOCK, comm, MPI_STATUS_IGNORE);
    if (size == BLOCK_FAILED)
        return 1;
    if (*cap < PIECE && *cap < size) {
        size_t want = size < PIECE ? (size_t)size : PIECE;
        char *nb = realloc(*buf, want);
        if (nb == NULL)
            MPI_Abort(comm, OCP_ERR_OSERR);
        *buf = nb;
        *cap = want;
    }
    for (off = 0; off < size; off += PIECE) {
        size_t n = size - off < PIECE ? (size_t)size - off : PIECE;
        MPI_Recv(*buf, (int)n, MPI_BYTE, from, TAG_BLOCK, comm, MPI_STATUS_IGNORE);
        if (*write_rc == OCP_OK && f != NULL && fwrite(*buf, 1, n, f) != n)
            *write_rc = OCP_ERR_IOERR;
    }
    return 0;
}

struct day_owner {
    int32_t day;
    int32_t owner;
};

static int cmp_day_owner(const void *a, const void *b)
{
    const struct day_owner *x = a, *y = b;
    return x->day < y->day ? -1 : (x->day > y->day ? 1 : 0);
}

int finish_stream_csv(const struct agg_partial *mine,
                      const struct agg_finish_settings *fs,
                      const struct rpt_meta *meta, int nthreads,
                      const char *path, volatile sig_atomic_t *stop,
                      double progress_seconds, MPI_Comm comm,
                      struct finish_result *res, struct ocp_error *err)
{
    double started = now_seconds(), last_progress = started;
    int rank, size, r, rc = OCP_OK, write_rc = OCP_OK, remote_failed = 0;
    int32_t *days = NULL, *alldays = NULL;
    size_t ndays = 0, next = 0, total = 0, gi, i;
    int *counts = NULL, *displs = NULL, mycount;
    struct day_owner *order = NULL;
    struct agg_day_index *ix = NULL;
    struct batch b;
    size_t taken = 0; /* blocks of the current batch already written/sent */
    char *rbuf = NULL, *tmp = NULL;
    size_t rcap = 0;
    FILE *f = NULL;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(&b, 0, sizeof b);
    if (nthreads < 1)
        nthreads = 1;
    if (agg_partial_days(mine, &days, &ndays) != OCP_OK)
        MPI_Abort(comm, OCP_ERR_OSERR);
    /* Each day's finish walks only that day's groups. */
    if (agg_day_index_create(mine, &ix, err) != OCP_OK)
        MPI_Abort(comm, OCP_ERR_OSERR);
    /* Only this rank's days; the partial may hold groups of others' days
     * it read itself (they were sent to their owners). */
    for (i = 0, next = 0; i < ndays; i++)
        if (exchange_day_owner(days[i], size) == rank)
            days[next++] = days[i];
    ndays = next;
    next = 0;

    /* Everyone learns every day's owner (a few numbers per day). */
    mycount = (int)ndays;
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
    if (counts == NULL || displs == NULL)
        MPI_Abort(comm, OCP_ERR_OSERR);
    MPI_Allgather(&mycount, 1, MPI_INT, counts, 1, MPI_INT, comm);
    for (r = 0; r < size; r++) {
        displs[r] = (int)total;
        total += (size_t)counts[r];
    }
    alldays = malloc((total + 1) * sizeof *alldays);
    order = malloc((total + 1) * sizeof *order);
    b.text = calloc((size_t)nthreads, sizeof *b.text);
    b.status = calloc((size_t)nthreads, sizeof *b.status);
    if (alldays == NULL || order == NULL || b.text == NULL || b.status == NULL)
        MPI_Abort(comm, OCP_ERR_OSERR);
    MPI_Allgatherv(days, mycount, MPI_INT32_T, alldays, counts, displs,
                   MPI_INT32_T, comm);
    for (r = 0, gi = 0; r < size; r++)
        for (i = 0; i < (size_t)counts[r]; i++, gi++) {
            order[gi].day = alldays[gi];
            order[gi].owner = r;
        }
    qsort(order, total, sizeof *order, cmp_day_owner);

    if (rank == 0) {
        struct rpt_buf head = {0};
        size_t plen = strlen(path);
        tmp = malloc(plen + 32);
        if (tmp == NULL || rpt_csv_header(&head) != OCP_OK) {
            write_rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        } else {
            snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
            f = fopen(tmp, "w");
            if (f == NULL)
                write_rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                                         "cannot create report: %s", strerror(errno));
            else if (fwrite(head.data, 1, head.len, f) != head.len)
                write_rc = OCP_ERR_IOERR;
        }
        rpt_buf_release(&head);
    }

    /* Rank 0 walks every day in order; the others walk their own. */
    for (gi = 0; gi < total; gi++) {
        const struct day_owner *d = &order[gi];
        if (rank == 0 && progress_seconds > 0 &&
            now_seconds() - last_progress >= progress_seconds) {
            last_progress = now_seconds();
            fprintf(stderr, "ocpagg: finish+write %3.0f%%: %zu of %zu days in the report "
                            "after %.1f s\n", 100.0 * (double)gi / (double)total, gi,
                    total, last_progress - started);
        }
        if (d->owner != rank) {
            if (rank == 0 && recv_block(f, d->owner, &rbuf, &rcap, &write_rc, comm))
                remote_failed = d->owner + 1;
            continue;
        }
        if (taken == b.count) {
            /* Next batch of this rank's days; a failure or a stop request
             * turns the rest into failure markers so nobody waits. */
            b.first = next;
            b.count = ndays - next < (size_t)nthreads ? ndays - next : (size_t)nthreads;
            next += b.count;
            taken = 0;
            if (rc == OCP_OK && stop != NULL && *stop)
                rc = ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL,
                                   "stopped by a signal");
            if (rc == OCP_OK)
                rc = run_batch(mine, ix, fs, meta, days, &b, nthreads, res, err);
        }
        if (rank == 0) {
            const struct rpt_buf *t = &b.text[taken];
            if (rc == OCP_OK && write_rc == OCP_OK && f != NULL && t->len > 0 &&
                fwrite(t->data, 1, t->len, f) != t->len)
                write_rc = OCP_ERR_IOERR;
        } else {
            send_block(&b.text[taken], rc != OCP_OK, comm);
        }
        taken++;
    }

    if (rank == 0) {
        if (f != NULL) {
            if (write_rc == OCP_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
                write_rc = OCP_ERR_IOERR;
            if (fclose(f) != 0 && write_rc == OCP_OK)
                write_rc = OCP_ERR_IOERR;
        }
        if (write_rc == OCP_ERR_IOERR)
            ocp_error_set(err, OCP_ERR_IOERR, path, -1, NULL,
                          "cannot write report: %s", strerror(errno));
    }
    /* Everyone agrees before the report appears under its name; each rank
     * returns its own status, and the driver names the failing rank. */
    {
        int own = rc != OCP_OK ? rc : (rank == 0 ? write_rc : OCP_OK), worst;
        int local = own;
        if (local == OCP_OK && remote_failed)
            local = OCP_ERR_SOFTWARE;
        MPI_Allreduce(&local, &worst, 1, MPI_INT, MPI_MAX, comm);
        if (rank == 0) {
            if (worst == OCP_OK && tmp != NULL && rename(tmp, path) != 0)
                own = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                                    "cannot rename report into place: %s",
                                    strerror(errno));
            if ((worst != OCP_OK || own != OCP_OK) && tmp != NULL)
                unlink(tmp);
        }
        rc = own;
    }
    for (i = 0; i < (size_t)nthreads; i++)
        rpt_buf_release(&b.text[i]);
    free(b.text);
    free(b.status);
    free(rbuf);
    free(tmp);
    free(days);
    free(alldays);
    free(order);
    agg_day_index_destroy(ix);
    free(counts);
    free(displs);
    return rc;
}
