/* finish.c - finishing the days a rank owns and streaming them to rank 0.
 *
 * After the shuffle every rank holds all groups of its days and of the
 * split days (struct exchange_days), of which it finishes one part.  The
 * report is sorted by day first, so it is the day blocks in day order, a
 * split day's parts in part order: below, "day" is either.  Rank 0
 * walks the days in order: its own days it finishes (labels, capacity,
 * storage, unallocated, uuids, sort) and encodes, a batch of one day per
 * thread at a time; the other ranks' days arrive as those ranks finish
 * them, each rank sending its blocks in its own day order.  So ranks
 * finish in parallel, no rank needs all groups, and no rank holds more
 * than one batch of encoded days: memory stays bounded by the groups, not
 * by the report.  The block format is the report module's business.
 *
 * A CSV file from several ranks is written by all of them instead
 * (output.shared_write, on by default): when every rank can open rank 0's
 * temporary file, each writes the text of its own days at its offset,
 * which travels down the day order as a note, so rank 0 neither receives
 * nor copies the other ranks' text (that walk is finish_shared.c's).
 * Where some rank cannot open the file (no shared file system) the job
 * quietly takes the path above. */
#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/fault.h"
#include "driver/finish_internal.h"
#include "ocpagg/aws.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finishes one day or part and encodes it (unless encode is 0: the walk
 * streams the rows, see encode_streamed in finish_shared.c). */
static int finish_one_day(const struct agg_partial *p, const struct agg_day_index *ix,
                          const struct agg_finish_settings *fs, const struct rpt_meta *meta,
                          const struct out_encoding *enc, const struct unit *u, int encode,
                          struct rpt_table *tb, struct rpt_buf *block, struct rpt_buf *aws,
                          struct finish_result *res, struct ocp_error *err)
{
    int rc;

    /* The day index lets a day's finish walk only its own groups.  The
     * table is the thread's, emptied: its pages serve every day. */
    rpt_table_clear(tb);
    rc = agg_finish_day_part(p, ix, fs, u->day, u->part, u->nparts, tb, err);
    if (rc == OCP_OK) {
        rpt_table_count_kinds(tb, &res->pod_rows, &res->unallocated_rows, &res->storage_rows);
        if (encode)
            rc = out_encode(enc, tb, meta, block, err);
    }
    /* The AWS step (aws_step.c) attributes on these rows later. */
    if (rc == OCP_OK && aws != NULL && aws_ocp_encode(tb, aws) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                           "out of memory keeping the rows for the AWS step");
    return rc;
}

/* What a rank's finish keeps from one window to the next (finish.h). */
struct finish_mem {
    struct batch b;            /* per thread: a day's table and text */
    int nthreads, aws;         /* what b was made for */
    struct agg_day_index *ix;  /* the day lists and label caches */
    struct rpt_part_room room; /* the direct writes' buffer */
    struct rpt_buf spare;      /* a streamed day's second text buffer */
};

static void mem_free_batch(struct finish_mem *m)
{
    struct batch *b = &m->b;
    int i;

    for (i = 0; i < m->nthreads; i++) {
        rpt_table_release(&b->table[i]);
        rpt_buf_release(&b->block[i]);
        if (b->aws != NULL)
            rpt_buf_release(&b->aws[i]);
    }
    free(b->table);
    free(b->block);
    free(b->aws);
    free(b->res);
    free(b->err);
    free(b->status);
    memset(b, 0, sizeof *b);
    m->nthreads = 0;
}

void finish_mem_destroy(struct finish_mem *m)
{
    if (m == NULL)
        return;
    mem_free_batch(m);
    agg_day_index_destroy(m->ix);
    rpt_part_room_release(&m->room);
    rpt_buf_release(&m->spare);
    free(m);
}

/* The finish memory for nthreads threads (with AWS buffers or not): made
 * for the first window, or again when that changed.  OCP_ERR_OSERR when
 * out of memory (*mem is then NULL). */
static int mem_get(struct finish_mem **mem, int nthreads, int aws, struct ocp_error *err)
{
    struct finish_mem *m = *mem;
    struct batch *b;
    int i;

    if (m != NULL && m->nthreads == nthreads && m->aws == aws)
        return OCP_OK;
    if (m == NULL && (m = calloc(1, sizeof *m)) == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    *mem = m;
    mem_free_batch(m);
    b = &m->b;
    b->table = calloc((size_t)nthreads, sizeof *b->table);
    b->block = calloc((size_t)nthreads, sizeof *b->block);
    b->res = calloc((size_t)nthreads, sizeof *b->res);
    b->err = calloc((size_t)nthreads, sizeof *b->err);
    b->status = calloc((size_t)nthreads, sizeof *b->status);
    if (aws)
        b->aws = calloc((size_t)nthreads, sizeof *b->aws);
    if (b->table == NULL || b->block == NULL || b->res == NULL || b->err == NULL ||
        b->status == NULL || (aws && b->aws == NULL)) {
        finish_mem_destroy(m); /* nthreads is 0: only the arrays are freed */
        *mem = NULL;
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    for (i = 0; i < nthreads; i++)
        rpt_table_init(&b->table[i]);
    m->nthreads = nthreads;
    m->aws = aws;
    return OCP_OK;
}

static int run_batch(const struct agg_partial *p, const struct agg_day_index *ix,
                     const struct agg_finish_settings *fs, const struct rpt_meta *meta,
                     const struct out_encoding *enc, const struct unit *days, struct batch *b,
                     int nthreads, struct rpt_buf *aws_rows, struct finish_result *res,
                     struct ocp_error *err)
{
    double t0 = now_seconds();
    int i, rc = OCP_OK;

    /* The last batch's rows are encoded: the label texts they borrowed
     * may go (agg.h). */
    agg_day_index_trim(ix);
    for (i = 0; i < (int)b->count; i++) {
        b->block[i].len = 0;
        if (b->aws != NULL)
            b->aws[i].len = 0;
        memset(&b->res[i], 0, sizeof b->res[i]);
        ocp_error_clear(&b->err[i]);
    }
#pragma omp parallel for num_threads(nthreads) schedule(static, 1)
    for (i = 0; i < (int)b->count; i++)
        b->status[i] = finish_one_day(p, ix, fs, meta, enc, &days[b->first + (size_t)i], b->encode,
                                      &b->table[i], &b->block[i],
                                      b->aws != NULL ? &b->aws[i] : NULL, &b->res[i], &b->err[i]);
    for (i = 0; i < (int)b->count; i++) {
        res->pod_rows += b->res[i].pod_rows;
        res->unallocated_rows += b->res[i].unallocated_rows;
        res->storage_rows += b->res[i].storage_rows;
        if (b->status[i] == OCP_OK && aws_rows != NULL && b->aws[i].len > 0 &&
            rpt_buf_append(aws_rows, b->aws[i].data, b->aws[i].len) != 0)
            b->status[i] = ocp_error_set(&b->err[i], OCP_ERR_OSERR, NULL, -1, NULL,
                                         "out of memory keeping rows for the AWS step");
        if (b->status[i] != OCP_OK && rc == OCP_OK) {
            rc = b->status[i];
            if (err != NULL)
                *err = b->err[i];
        }
    }
    /* Time at work, not waiting: the summary shows how evenly the days
     * were shared (whole days and parts of split days). */
    res->busy_seconds += now_seconds() - t0;
    res->days += (int64_t)b->count;
    return rc;
}

static int cmp_unit(const void *a, const void *b)
{
    const struct unit *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->part > y->part) - (x->part < y->part);
}

/* (finish_internal.h) */
void finish_progress(struct walk *w, size_t gi)
{
    if (w->t->rank != 0 || w->progress_seconds <= 0 ||
        now_seconds() - w->last_progress < w->progress_seconds)
        return;
    w->last_progress = now_seconds();
    fprintf(stderr,
            "ocpagg: finish+write %3.0f%%: %zu of %zu days in the report "
            "after %.1f s\n",
            100.0 * (double)gi / (double)w->total, gi, w->total, w->last_progress - w->started);
}

/* (finish_internal.h) */
int finish_next_block(struct walk *w, int rc, struct ocp_error *err)
{
    if (w->taken == w->b.count) {
        w->b.first = w->next;
        w->b.count =
            w->ndays - w->next < (size_t)w->nthreads ? w->ndays - w->next : (size_t)w->nthreads;
        w->next += w->b.count;
        w->taken = 0;
        if (rc == OCP_OK)
            rc = tp_stop_status(w->t, err);
        if (rc == OCP_OK) {
            rc = run_batch(w->mine, w->ix, w->fs, w->meta, w->enc, w->days, &w->b, w->nthreads,
                           w->aws_rows, w->res, err);
            if (rc == OCP_OK && w->b.first > 0)
                rc = fault_at("finish", err);
            tp_failed(w->t, rc, err);
        }
    }
    return rc;
}

/* Writes a block another rank sent (tp_recv_write), where the "write"
 * fault can strike. */
static int write_block(void *dest, const unsigned char *blk, size_t len, struct ocp_error *err)
{
    int rc = fault_at("write", err);
    return rc == OCP_OK ? out_write(dest, blk, len, err) : rc;
}

/* Rank 0 walks every day in order, writing its own blocks and receiving
 * the others'; the other ranks walk their own days and send.  Once a rank
 * has failed or been told to stop, it still walks the rest but sends (or,
 * on rank 0, expects) failure headers only. */
static int walk_streamed(struct walk *w, int rc, struct out_dest *dest, struct ocp_error *err)
{
    struct tp *t = w->t;
    size_t gi;

    for (gi = 0; gi < w->total; gi++) {
        const struct unit *d = &w->order[gi];
        finish_progress(w, gi);
        if (d->owner != t->rank) {
            if (t->rank == 0)
                rc = tp_recv_write(t, rc, d->owner, TAG_BLOCK, write_block, dest, err);
            continue;
        }
        rc = finish_next_block(w, rc, err);
        if (t->rank == 0) {
            const struct rpt_buf *blk = &w->b.block[w->taken];
            if (rc == OCP_OK)
                rc = fault_at("write", err);
            if (rc == OCP_OK)
                rc = tp_stop_status(t, err);
            if (rc == OCP_OK)
                rc = out_write(dest, (const unsigned char *)blk->data, blk->len, err);
            tp_failed(t, rc, err);
        } else {
            int lrc = rc == OCP_OK ? fault_at("write", err) : OCP_OK;
            if (lrc != OCP_OK) {
                rc = lrc;
                tp_failed(t, rc, err);
            }
            lrc = tp_send(t, w->b.block[w->taken].data, w->b.block[w->taken].len, rc, 0, TAG_BLOCK,
                          err);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc; /* rank 0 refused: it failed or stopped */
        }
        w->taken++;
    }
    return rc;
}

int finish_days(const struct agg_partial *mine, const struct exchange_days *split,
                const struct agg_finish_settings *fs, const struct rpt_meta *meta,
                const struct out_encoding *enc, int nthreads, int status, struct out_dest *dest,
                double progress_seconds, struct tp *t, struct rpt_buf *aws_rows,
                struct finish_mem **mem, struct finish_result *res, struct ocp_error *err)
{
    int rank = t->rank, size = t->nranks, r, rc = status, shared = 0;
    int32_t *days = NULL, *pairs = NULL, *allpairs = NULL;
    size_t ndays = 0, next = 0, total = 0, gi, i;
    int *counts = NULL;
    struct unit *mydays = NULL, *order = NULL;
    const struct agg_day_index *ix = NULL;
    struct walk w;
    struct rpt_part part;
    int64_t base = 0, end = 0;

    memset(&w, 0, sizeof w);
    memset(&part, 0, sizeof part);
    part.fd = -1;
    part.dfd = -1;
    if (nthreads < 1)
        nthreads = 1;
    /* A rank that failed before the finish walks the protocol with no
     * days of its own. */
    if (rc == OCP_OK)
        rc = mem_get(mem, nthreads, aws_rows != NULL, err);
    if (rc == OCP_OK)
        w.b = (*mem)->b; /* its tables and buffers serve every window */
    if (rc == OCP_OK && (rc = agg_partial_days(mine, &days, &ndays)) != OCP_OK)
        rc = ocp_error_set(err, rc, NULL, -1, NULL, "out of memory listing the days");
    if (rc == OCP_OK) {
        /* From the second window on, lists and caches reuse their pages. */
        if ((*mem)->ix != NULL)
            rc = agg_day_index_renew((*mem)->ix, mine, err);
        else
            rc = agg_day_index_create(mine, &(*mem)->ix, err);
        ix = (*mem)->ix;
    }
    if (rc == OCP_OK) {
        mydays = malloc((ndays + 1) * sizeof *mydays);
        pairs = malloc((2 * ndays + 1) * sizeof *pairs);
        if (mydays == NULL || pairs == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    if (rc == OCP_OK) {
        /* Only this rank's days and parts (part k of a split day is rank
         * (day + k) mod size's); the partial may hold groups of others'
         * days it read itself (they were sent to their owners). */
        for (i = 0, next = 0; i < ndays; i++) {
            struct unit *u = &mydays[next];
            u->day = days[i];
            u->owner = rank;
            if (exchange_day_split(split, days[i])) {
                u->nparts = size;
                u->part = exchange_day_part(days[i], rank, size);
            } else if (exchange_day_owner(days[i], size) == rank) {
                u->nparts = 1;
                u->part = 0;
            } else {
                continue;
            }
            pairs[2 * next] = u->day;
            pairs[2 * next + 1] = u->part;
            next++;
        }
        ndays = next;
    }

    /* Everyone learns every day's owner (a few numbers per day); a rank
     * that failed so far sends none, and the gather agrees on it. */
    rc = tp_allgather_i32(t, pairs, 2 * ndays, rc, &allpairs, &counts, &total, err);
    total /= 2;
    if (rc == OCP_OK && (order = malloc((total + 1) * sizeof *order)) == NULL)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    tp_failed(t, rc, err);
    if (tp_any(t, rc != OCP_OK)) {
        if (rc == OCP_OK)
            rc = TP_PEER;
        goto cleanup;
    }
    for (r = 0, gi = 0; r < size; r++)
        for (i = 0; i < (size_t)counts[r] / 2; i++, gi++) {
            order[gi].day = allpairs[2 * gi];
            order[gi].part = allpairs[2 * gi + 1];
            order[gi].nparts = exchange_day_split(split, order[gi].day) ? size : 1;
            order[gi].owner = r;
        }
    qsort(order, total, sizeof *order, cmp_unit);

    /* One rank too: the part writes whole pages straight to the disk. */
    if (enc->shared_write && !enc->postgres) {
        rc = finish_open_shared(t, dest, enc->report_path, &part,
                                *mem != NULL ? &(*mem)->room : NULL, &base, &shared, err);
        if (rc != OCP_OK)
            goto cleanup;
    }

    w.mine = mine;
    w.ix = ix;
    w.fs = fs;
    w.meta = meta;
    w.enc = enc;
    w.t = t;
    w.nthreads = nthreads;
    w.days = mydays;
    w.ndays = ndays;
    w.order = order;
    w.total = total;
    w.aws_rows = aws_rows;
    w.res = res;
    w.started = w.last_progress = now_seconds();
    w.progress_seconds = progress_seconds;
    res->shared = shared;
    /* One thread finishes one day at a time: its rows can be encoded
     * and written in slices (a batch of several days is encoded by its
     * threads at once). */
    w.stream = shared && nthreads == 1;
    w.b.encode = !w.stream;
    w.spare = *mem != NULL ? &(*mem)->spare : NULL;
    if (shared) {
        int lrc;
        rc = finish_walk_shared(&w, rc, &part, base, &end, err);
        lrc = rpt_part_close(&part, err);
        /* The part is gone: its thread read the blocks for the last time. */
        w.b.block[0].before_move = NULL;
        if (w.spare != NULL)
            w.spare->before_move = NULL;
        res->direct_bytes += part.direct_bytes;
        if (rc == OCP_OK && lrc != OCP_OK) {
            rc = lrc;
            tp_failed(t, rc, err);
        }
        /* Every part is written and closed before rank 0 looks at the
         * file (the last day's note left before that day was written). */
        if (tp_any(t, rc != OCP_OK) && rc == OCP_OK)
            rc = TP_PEER;
        if (rank == 0 && rc == OCP_OK) {
            rc = rpt_stream_shared_end(dest->stream, end, err);
            tp_failed(t, rc, err);
        }
    } else {
        rc = walk_streamed(&w, rc, dest, err);
    }
    /* A rank with a single batch meets the finish fault here. */
    if (rc == OCP_OK && ndays > 0 && ndays <= (size_t)nthreads) {
        rc = fault_at("finish", err);
        tp_failed(t, rc, err);
    }
    if (rc == OCP_OK)
        rc = tp_stop_status(t, err);

cleanup:
    rpt_part_release(&part);
    free(days);
    free(mydays);
    free(pairs);
    free(allpairs);
    free(order);
    free(counts);
    return rc;
}
