/* finish.c - finishing the days a rank owns and streaming them to rank 0.
 *
 * After the shuffle every rank holds all groups of its days.  The report
 * is sorted by day first, so it is the day blocks in day order.  Rank 0
 * walks the days in order: its own days it finishes (labels, capacity,
 * storage, unallocated, uuids, sort) and encodes, a batch of one day per
 * thread at a time; the other ranks' days arrive as those ranks finish
 * them, each rank sending its blocks in its own day order.  So ranks
 * finish in parallel, no rank needs all groups, and no rank holds more
 * than one batch of encoded days: memory stays bounded by the groups, not
 * by the report.  The block format is the report module's business. */
#include "driver/finish.h"
#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/fault.h"
#include "ocpagg/aws.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BLOCK 21

/* Finishes and encodes one day. */
static int finish_one_day(const struct agg_partial *p,
                          const struct agg_day_index *ix,
                          const struct agg_finish_settings *fs,
                          const struct rpt_meta *meta, const struct out_encoding *enc,
                          int32_t day, struct rpt_buf *block, struct rpt_buf *aws,
                          struct finish_result *res, struct ocp_error *err)
{
    struct rpt_table tb;
    int rc;

    /* The day index lets a day's finish walk only its own groups. */
    rpt_table_init(&tb);
    rc = agg_finish_day(p, ix, fs, day, &tb, err);
    if (rc == OCP_OK) {
        rpt_table_count_kinds(&tb, &res->pod_rows, &res->unallocated_rows,
                              &res->storage_rows);
        rc = out_encode(enc, &tb, meta, block, err);
    }
    /* The AWS step (aws_step.c) attributes on these rows later. */
    if (rc == OCP_OK && aws != NULL && aws_ocp_encode(&tb, aws) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                           "out of memory keeping the rows for the AWS step");
    rpt_table_release(&tb);
    return rc;
}

/* A batch of up to nthreads of this rank's days, finished in parallel. */
struct batch {
    struct rpt_buf *block;
    struct rpt_buf *aws; /* per day: the rows for the AWS step, or NULL */
    struct finish_result *res;
    struct ocp_error *err;
    int *status;
    size_t first, count; /* indexes into the rank's day list */
};

static int run_batch(const struct agg_partial *p, const struct agg_day_index *ix,
                     const struct agg_finish_settings *fs,
                     const struct rpt_meta *meta, const struct out_encoding *enc,
                     const int32_t *days, struct batch *b, int nthreads,
                     struct rpt_buf *aws_rows, struct finish_result *res,
                     struct ocp_error *err)
{
    int i, rc = OCP_OK;

    for (i = 0; i < (int)b->count; i++) {
        b->block[i].len = 0;
        if (b->aws != NULL)
            b->aws[i].len = 0;
        memset(&b->res[i], 0, sizeof b->res[i]);
        ocp_error_clear(&b->err[i]);
    }
#pragma omp parallel for num_threads(nthreads) schedule(static, 1)
    for (i = 0; i < (int)b->count; i++)
        b->status[i] = finish_one_day(p, ix, fs, meta, enc, days[b->first + (size_t)i],
                                      &b->block[i], b->aws != NULL ? &b->aws[i] : NULL,
                                      &b->res[i], &b->err[i]);
    for (i = 0; i < (int)b->count; i++) {
        res->pod_rows += b->res[i].pod_rows;
        res->unallocated_rows += b->res[i].unallocated_rows;
        res->storage_rows += b->res[i].storage_rows;
        if (b->status[i] == OCP_OK && aws_rows != NULL && b->aws[i].len > 0) {
            struct rpt_buf *o = aws_rows;
            if (o->len + b->aws[i].len > o->cap) {
                size_t nc = o->cap ? o->cap : 65536;
                char *nd;
                while (nc < o->len + b->aws[i].len)
                    nc *= 2;
                nd = realloc(o->data, nc);
                if (nd == NULL) {
                    b->status[i] = ocp_error_set(&b->err[i], OCP_ERR_OSERR, NULL, -1, NULL,
                                                 "out of memory keeping rows for the AWS step");
                } else {
                    o->data = nd;
                    o->cap = nc;
                }
            }
            if (b->status[i] == OCP_OK) {
                memcpy(o->data + o->len, b->aws[i].data, b->aws[i].len);
                o->len += b->aws[i].len;
            }
        }
        if (b->status[i] != OCP_OK && rc == OCP_OK) {
            rc = b->status[i];
            if (err != NULL)
                *err = b->err[i];
        }
    }
    return rc;
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

/* This rank's status after a poll: its own signal, a peer's alert, or ok. */
static int stop_status(struct tp *t, struct ocp_error *err)
{
    if (!tp_poll(t))
        return OCP_OK;
    if (t->signal != NULL && *t->signal)
        return ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL,
                             "stopped by signal %d", (int)*t->signal);
    return TP_PEER;
}

/* Records a failure of this rank and tells the others at once. */
static void failed_here(struct tp *t, int rc, const struct ocp_error *err)
{
    if (rc != OCP_OK && rc != TP_PEER)
        tp_alert(t, rc, err != NULL ? err->message : "");
}

int finish_days(const struct agg_partial *mine, const struct agg_finish_settings *fs,
                const struct rpt_meta *meta, const struct out_encoding *enc, int nthreads,
                int status, struct out_dest *dest, double progress_seconds,
                struct tp *t, struct rpt_buf *aws_rows, struct finish_result *res,
                struct ocp_error *err)
{
    double started = now_seconds(), last_progress = started;
    int rank = t->rank, size = t->nranks, r, rc = status, mycount = 0;
    int32_t *days = NULL, *alldays = NULL;
    size_t ndays = 0, next = 0, total = 0, gi, i;
    int *counts = NULL, *displs = NULL;
    struct day_owner *order = NULL;
    struct agg_day_index *ix = NULL;
    struct batch b;
    size_t taken = 0; /* blocks of the current batch already written/sent */
    MPI_Request rq;

    memset(&b, 0, sizeof b);
    if (nthreads < 1)
        nthreads = 1;
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
    b.block = calloc((size_t)nthreads, sizeof *b.block);
    b.res = calloc((size_t)nthreads, sizeof *b.res);
    b.err = calloc((size_t)nthreads, sizeof *b.err);
    b.status = calloc((size_t)nthreads, sizeof *b.status);
    if (aws_rows != NULL)
        b.aws = calloc((size_t)nthreads, sizeof *b.aws);
    /* A rank that failed before the finish walks the protocol with no
     * days of its own. */
    if (rc == OCP_OK && (counts == NULL || displs == NULL || b.block == NULL ||
                         b.res == NULL || b.err == NULL || b.status == NULL ||
                         (aws_rows != NULL && b.aws == NULL)))
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (rc == OCP_OK && (rc = agg_partial_days(mine, &days, &ndays)) != OCP_OK)
        rc = ocp_error_set(err, rc, NULL, -1, NULL, "out of memory listing the days");
    if (rc == OCP_OK)
        rc = agg_day_index_create(mine, &ix, err);
    if (rc == OCP_OK) {
        /* Only this rank's days; the partial may hold groups of others'
         * days it read itself (they were sent to their owners). */
        for (i = 0, next = 0; i < ndays; i++)
            if (exchange_day_owner(days[i], size) == rank)
                days[next++] = days[i];
        ndays = next;
        next = 0;
        mycount = (int)ndays;
    }

    /* Everyone learns every day's owner (a few numbers per day); a rank
     * that failed so far says so in the check that follows. */
    if (counts == NULL || MPI_Iallgather(&mycount, 1, MPI_INT, counts, 1, MPI_INT,
                                         t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    for (r = 0; r < size; r++) {
        displs[r] = (int)total;
        total += (size_t)counts[r];
    }
    if (rc == OCP_OK) {
        alldays = malloc((total + 1) * sizeof *alldays);
        order = malloc((total + 1) * sizeof *order);
        if (alldays == NULL || order == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    failed_here(t, rc, err);
    if (tp_any(t, rc != OCP_OK)) {
        if (rc == OCP_OK)
            rc = TP_PEER;
        goto cleanup;
    }
    if (MPI_Iallgatherv(days, mycount, MPI_INT32_T, alldays, counts, displs,
                        MPI_INT32_T, t->comm, &rq) != MPI_SUCCESS ||
        tp_wait(t, &rq) != OCP_OK)
        tp_abort(t, OCP_ERR_SOFTWARE);
    for (r = 0, gi = 0; r < size; r++)
        for (i = 0; i < (size_t)counts[r]; i++, gi++) {
            order[gi].day = alldays[gi];
            order[gi].owner = r;
        }
    qsort(order, total, sizeof *order, cmp_day_owner);

    /* Rank 0 walks every day in order; the others walk their own.  Once a
     * rank has failed or been told to stop, it still walks the rest but
     * sends (or, on rank 0, expects) failure headers only. */
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
            if (rank == 0) {
                unsigned char *blk = NULL;
                size_t len = 0;
                int lrc = tp_recv(t, &blk, &len, rc, d->owner, TAG_BLOCK, err);
                if (rc == OCP_OK && lrc == OCP_OK)
                    lrc = fault_at("write", err);
                /* Checked right before writing: a signal aborts the
                 * stream inside tp_poll. */
                if (rc == OCP_OK && lrc == OCP_OK)
                    lrc = stop_status(t, err);
                if (rc == OCP_OK && lrc == OCP_OK)
                    lrc = out_write(dest, blk, len, err);
                free(blk);
                if (rc == OCP_OK && lrc != OCP_OK) {
                    rc = lrc;
                    failed_here(t, rc, err);
                }
                if (rc == OCP_OK)
                    rc = stop_status(t, err);
            }
            continue;
        }
        if (taken == b.count) {
            /* The next batch of this rank's days. */
            b.first = next;
            b.count = ndays - next < (size_t)nthreads ? ndays - next : (size_t)nthreads;
            next += b.count;
            taken = 0;
            if (rc == OCP_OK)
                rc = stop_status(t, err);
            if (rc == OCP_OK) {
                rc = run_batch(mine, ix, fs, meta, enc, days, &b, nthreads, aws_rows, res,
                               err);
                if (rc == OCP_OK && b.first > 0)
                    rc = fault_at("finish", err);
                failed_here(t, rc, err);
            }
        }
        if (rank == 0) {
            const struct rpt_buf *blk = &b.block[taken];
            if (rc == OCP_OK)
                rc = fault_at("write", err);
            if (rc == OCP_OK)
                rc = stop_status(t, err);
            if (rc == OCP_OK)
                rc = out_write(dest, (const unsigned char *)blk->data, blk->len, err);
            failed_here(t, rc, err);
        } else {
            int lrc = rc == OCP_OK ? fault_at("write", err) : OCP_OK;
            if (lrc != OCP_OK) {
                rc = lrc;
                failed_here(t, rc, err);
            }
            lrc = tp_send(t, b.block[taken].data, b.block[taken].len, rc, 0, TAG_BLOCK,
                          err);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc; /* rank 0 refused: it failed or stopped */
        }
        taken++;
    }
    /* A rank with a single batch meets the finish fault here. */
    if (rc == OCP_OK && ndays > 0 && ndays <= (size_t)nthreads) {
        rc = fault_at("finish", err);
        failed_here(t, rc, err);
    }
    if (rc == OCP_OK)
        rc = stop_status(t, err);

cleanup:
    if (b.block != NULL)
        for (i = 0; i < (size_t)nthreads; i++)
            rpt_buf_release(&b.block[i]);
    if (b.aws != NULL)
        for (i = 0; i < (size_t)nthreads; i++)
            rpt_buf_release(&b.aws[i]);
    free(b.aws);
    free(b.block);
    free(b.res);
    free(b.err);
    free(b.status);
    free(days);
    free(alldays);
    free(order);
    agg_day_index_destroy(ix);
    free(counts);
    free(displs);
    return rc;
}
