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
 * nor copies the other ranks' text.  Where some rank cannot open the file
 * (no shared file system) the job quietly takes the path above. */
#include "driver/finish.h"
#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/fault.h"
#include "ocpagg/aws.h"
#include "ocpagg/mem.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BLOCK 21
#define TAG_OFFSET 22
#define TAG_SHARE 23

/* Rows of a streamed day encoded between two looks at the day's offset
 * note and two hand-overs to the part's thread (~3.5 MB of text). */
#define STREAM_ROWS 4096
/* The least room of a streamed day's text buffer. */
#define STREAM_ROOM ((size_t)64 << 20)
/* Text of a streamed day held back this long (its offset came late)
 * counts as a late hand-off (encode_streamed). */
#define STREAM_LATE ((size_t)16 << 20)
/* Text of a streamed day written this far into its buffer makes room
 * at the buffer's front (encode_streamed), looked for every STREAM_LOOK
 * rows. */
#define STREAM_COMPACT ((size_t)4 << 20)
#define STREAM_LOOK 512

/* A day, or a part of a day that every rank shares (struct
 * exchange_days), with the rank that finishes it. */
struct unit {
    int32_t day;
    int32_t part, nparts; /* 0 of 1: the whole day */
    int32_t owner;
};

/* Finishes one day or part and encodes it (unless encode is 0: the walk
 * streams the rows, see encode_streamed). */
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

/* A batch of up to nthreads of this rank's days (or parts), finished in
 * parallel. */
struct batch {
    struct rpt_table *table; /* per slot: the rows of its day, reused */
    struct rpt_buf *block;
    struct rpt_buf *aws; /* per day: the rows for the AWS step, or NULL */
    struct finish_result *res;
    struct ocp_error *err;
    int *status;
    size_t first, count; /* indexes into the rank's day list */
    int encode;          /* 0: the rows stay in table for encode_streamed */
};

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

/* What one rank's walk over the days needs. */
struct walk {
    const struct agg_partial *mine;
    const struct agg_day_index *ix;
    const struct agg_finish_settings *fs;
    const struct rpt_meta *meta;
    const struct out_encoding *enc;
    struct tp *t;
    int nthreads;
    const struct unit *days;  /* this rank's days and parts, in order */
    size_t ndays, next;       /* next: the first day not yet in a batch */
    const struct unit *order; /* every day and part with its owner, in order */
    size_t total;
    struct batch b;
    size_t taken; /* blocks of the current batch already used */
    struct rpt_buf *aws_rows;
    struct finish_result *res;
    double started, last_progress, progress_seconds;
    int stream; /* shared, one day a batch: encode_streamed */
    /* Streamed days alternate between the batch's block and spare (they
     * change places once a day is encoded, next_buffer), so that a day
     * is encoded while the day before is still being written from the
     * other; mark: the part's mark (rpt_part_mark) after the last write
     * from the block, spare_mark from the spare. */
    struct rpt_buf *spare;
    uint64_t mark, spare_mark;
    /* walk_shared: where the next day starts, the offset notes sent, and
     * a streamed day encoded before its offset came (pend_gi, its text in
     * the spare), which waits there while the rank goes on with its next
     * day. */
    int64_t next_off;
    struct tp_note *notes, lone;
    size_t nn;
    int pend;
    size_t pend_gi;
};

static void progress(struct walk *w, size_t gi)
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

/* The block of this rank's next own day: finishes the next batch when
 * the current one is used up (nothing when rc is a failure). */
static int next_block(struct walk *w, int rc, struct ocp_error *err)
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
        progress(w, gi);
        if (d->owner != t->rank) {
            if (t->rank == 0)
                rc = tp_recv_write(t, rc, d->owner, TAG_BLOCK, write_block, dest, err);
            continue;
        }
        rc = next_block(w, rc, err);
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

/* Places the unwritten text of a streamed day, text->data[from, len),
 * for the file position `at` of its first byte (rpt_part_pad): moves it
 * to the buffer's front, less than a page in, so that the part can write
 * its whole pages where they lie.  *pos: where it starts now.
 * OCP_ERR_OSERR when out of memory. */
static int place_text(struct rpt_buf *text, size_t from, int64_t at, size_t *pos,
                      struct ocp_error *err)
{
    size_t rest = text->len - from, pad;

    /* Moved up (from 0), the text needs up to a page more room. */
    if (from < RPT_PART_ALIGN && rpt_buf_reserve(text, RPT_PART_ALIGN) != 0)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory encoding the report");
    pad = rpt_part_pad(text->data, at);
    if (pad != from)
        memmove(text->data + pad, text->data + from, rest);
    text->len = pad + rest;
    *pos = pad;
    return OCP_OK;
}

/* The end of the day at gi in the day order, one of this rank's, once
 * its offset `off` is known: tells the next day's owner where that day
 * starts (rank 0 after the last day: where the text ends), then writes
 * the rest of the day's text, buf->data[pos, len) (plain text from
 * `gone` on for a streamed day, placed for off + gone when `placed`; a
 * whole CSV block otherwise), and takes the part's mark for the buffer
 * into *mark.  Sets w->next_off (0 after a failure); returns the day's
 * status.  The notes follow the day order whatever the statuses, so a
 * failed rank (which sends its failure instead of offsets) never leaves
 * a partner waiting. */
static int day_end(struct walk *w, struct rpt_part *part, int rc, size_t gi, int64_t off,
                   struct rpt_buf *buf, size_t gone, size_t pos, int placed, uint64_t *mark,
                   struct ocp_error *err)
{
    struct tp *t = w->t;
    const char *text = buf->data + pos;
    size_t left = buf->len - pos, n = 0, taken;
    int64_t day_rows = 0;
    int to, lrc;

    if (rc == OCP_OK && !w->stream) {
        rc = rpt_csv_block_text((const unsigned char *)text, left, &n, &day_rows, err);
        text += left - n;
        left = n;
    }
    n = gone + left;
    if (rc == OCP_OK && n > (size_t)(INT64_MAX - off))
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "report offset overflow");
    tp_failed(t, rc, err);
    w->next_off = rc == OCP_OK ? off + (int64_t)n : 0;
    /* The next day's owner (or rank 0 after the last day) learns where to
     * write before this day is written. */
    to = gi + 1 < w->total ? w->order[gi + 1].owner : 0;
    if (to != t->rank) {
        /* Without memory for notes each one is waited for at once. */
        struct tp_note *nt = w->notes != NULL ? &w->notes[w->nn++] : &w->lone;
        lrc = tp_note_send(t, nt, w->next_off, rc, to, TAG_OFFSET, err);
        if (lrc == OCP_OK && w->notes == NULL)
            lrc = tp_note_done(t, nt, err);
        if (rc == OCP_OK && lrc != OCP_OK) {
            rc = lrc;
            tp_failed(t, rc, err);
        }
    }
    if (rc == OCP_OK)
        rc = fault_at("write", err);
    if (rc == OCP_OK)
        rc = tp_stop_status(t, err);
    /* A streamed day's rest is written from where it lies, placed for
     * its offset first if that came late (place_text). */
    if (rc == OCP_OK && w->stream && !placed && rpt_part_inplace_ok(part)) {
        if ((rc = place_text(buf, 0, off + (int64_t)gone, &pos, err)) == OCP_OK) {
            placed = 1;
            text = buf->data + pos;
        }
    }
    if (rc == OCP_OK)
        rc = placed ? rpt_part_stream_inplace(part, text, left, off + (int64_t)gone, 1, &taken, err)
                    : rpt_part_stream(part, text, left, off + (int64_t)gone, 1, &taken, err);
    *mark = rpt_part_mark(part);
    tp_failed(t, rc, err);
    return rc;
}

/* The waiting day (w->pend): receives its offset, waiting for it if need
 * be, and ends it (day_end).  Returns the status. */
static int pend_end(struct walk *w, struct rpt_part *part, int rc, struct ocp_error *err)
{
    int64_t off = 0;
    int lrc = tp_note_recv(w->t, &off, rc, w->order[w->pend_gi - 1].owner, TAG_OFFSET, err);

    if (rc == OCP_OK && lrc != OCP_OK)
        rc = lrc;
    w->pend = 0;
    w->res->late_handoffs++;
    return day_end(w, part, rc, w->pend_gi, off, w->spare, 0, 0, 0, &w->spare_mark, err);
}

/* A streamed day is encoded: its buffer (written from, or waiting for
 * its offset) becomes the spare, and the spare, with the day before's,
 * the block the next day is encoded into. */
static void next_buffer(struct walk *w)
{
    struct rpt_buf tb = w->b.block[0];
    uint64_t tm = w->mark;

    w->b.block[0] = *w->spare;
    *w->spare = tb;
    w->mark = w->spare_mark;
    w->spare_mark = tm;
}

/* A streamed day (one thread, shared file): the finished rows of the
 * current block are encoded a slice at a time into the block (plain
 * text, no block header), and as soon as the day's offset is known (it
 * is, or its note arrived meanwhile) the text is placed for it
 * (place_text) and its whole pages go to the part's thread as they are,
 * no copy made, so the day is mostly on its way to the disk when its
 * encoding ends.  A day whose offset is known from the start is placed
 * before its first slice; one whose note comes late is moved once.
 * *need_note: the note from `from` is still to be received; cleared when
 * it was received here, into *off.  On return the block holds the day's
 * text from *gone on at *pos (*placed: placed for *off + *gone), to be
 * written at *off + *gone; the bytes before *pos are the part's until its
 * thread is done. */
static int encode_streamed(struct walk *w, struct rpt_part *part, int rc, int from, int *need_note,
                           int64_t *off, size_t *gone, size_t *pos, int *placed,
                           struct ocp_error *err)
{
    const struct rpt_table *tb = &w->b.table[w->taken];
    struct rpt_buf *text = &w->b.block[w->taken];
    double t0 = now_seconds();
    size_t a, b, c, e, taken;
    int fn, noted, inplace = rpt_part_inplace_ok(part);

    *gone = 0;
    *pos = 0;
    *placed = 0;
    /* The pages of the day before the last may still be on their way out
     * of this buffer (the last day's are in the other). */
    if (rc == OCP_OK)
        rc = rpt_part_wait_mark(part, w->mark, err);
    text->len = 0;
    text->before_move = inplace ? rpt_part_wait_cb : NULL;
    text->move_ctx = part;
    /* Room for a day at once, so the block never grows by doubling
     * through the heap (which keeps what it frees); as large a buffer
     * is mapped on its own and costs only the pages the slices touch. */
    if (rc == OCP_OK && text->cap < STREAM_ROOM) {
        if (rpt_buf_reserve(text, STREAM_ROOM) != 0)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory encoding the report");
        else /* filled in order: 2 MiB a fault, again after each window */
            ocp_mem_advise_huge(text->data, text->cap);
    }
    if (rc == OCP_OK && inplace && !*need_note &&
        (rc = place_text(text, 0, *off, pos, err)) == OCP_OK)
        *placed = 1;
    if (rc != OCP_OK)
        return rc;
    for (a = 0; a < tb->count && rc == OCP_OK; a = b) {
        b = tb->count - a < STREAM_ROWS ? tb->count : a + STREAM_ROWS;
        /* The pages written are free again once the thread is done with
         * them: the unwritten rest (less than a page, unless the thread
         * fell behind) moves back to the front, so a streamed day keeps
         * to a few slices of memory, not the day's (80 MB a day on the
         * 16 M-row bench set, fresh pages for the rank to fault in). */
        /* (Once the thread is done with the pages below *pos: the
         * slices encoded next may overwrite them.  Its piece in flight
         * is not waited for while the buffer has room: the encoding
         * would stall for it.) */
        /* The slice goes in pieces of STREAM_LOOK rows, with a look
         * between them: the thread is hardly ever idle right when a
         * slice has gone to it, and looking only then let the buffer
         * fill to its end (53 of 64 MB on the 16 M-row set, in both
         * buffers: 100 MB of fresh pages a rank); a millisecond later it
         * is, most of the time. */
        for (c = a; c < b && rc == OCP_OK; c = e) {
            e = b - c < STREAM_LOOK ? b : c + STREAM_LOOK;
            if (*placed && *pos >= STREAM_COMPACT &&
                (rpt_part_idle(part) || text->cap - text->len < STREAM_COMPACT) &&
                (rc = rpt_part_wait(part, err)) == OCP_OK)
                rc = place_text(text, *pos, *off + (int64_t)*gone, pos, err);
            if (rc == OCP_OK && rpt_csv_rows(tb, w->meta, c, e, text) != OCP_OK)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                                   "out of memory encoding the report");
        }
        if (rc != OCP_OK)
            break;
        if (b == tb->count)
            break; /* the rest goes with the day's final write */
        /* The day before waiting for its offset goes first: this one's
         * offset comes after it. */
        if (w->pend) {
            if (rc == OCP_OK && tp_note_ready(w->t, w->order[w->pend_gi - 1].owner, TAG_OFFSET))
                rc = pend_end(w, part, rc, err);
            if (w->pend || rc != OCP_OK)
                continue;
        }
        /* (OCPAGG_FAULT=note:R:slow leaves the note waiting until the
         * day piled up, then takes it, as a late one would come: the
         * tests' way to a late day moved in place; note:R:defer never
         * takes it here, so that every such day waits for its offset
         * after its encoding, see walk_shared.) */
        fn = *need_note ? fault_note(text->len >= STREAM_LATE) : 0;
        noted = 0;
        if (*need_note && fn != 1 && (fn == 2 || tp_note_ready(w->t, from, TAG_OFFSET))) {
            rc = tp_note_recv(w->t, off, rc, from, TAG_OFFSET, err);
            *need_note = 0;
            noted = 1;
        }
        if (rc == OCP_OK && !*need_note)
            rc = tp_stop_status(w->t, err);
        if (rc == OCP_OK && noted && text->len >= STREAM_LATE)
            w->res->late_handoffs++;
        if (rc == OCP_OK && noted && inplace) {
            /* The offset came late: the day so far moves once, by less
             * than a page, and is written from where it lies. */
            if ((rc = place_text(text, 0, *off, pos, err)) == OCP_OK)
                *placed = 1;
        }
        if (rc == OCP_OK && *placed) {
            rc = rpt_part_stream_inplace(part, text->data + *pos, text->len - *pos,
                                         *off + (int64_t)*gone, 0, &taken, err);
            if (rc == OCP_OK) {
                *pos += taken;
                *gone += taken;
            }
        } else if (rc == OCP_OK && !*need_note) {
            /* No direct writes: through the page cache, slice by slice. */
            rc =
                rpt_part_stream(part, text->data, text->len, *off + (int64_t)*gone, 0, &taken, err);
            if (rc == OCP_OK && taken > 0) {
                memmove(text->data, text->data + taken, text->len - taken);
                text->len -= taken;
                *gone += taken;
            }
        }
    }
    tp_failed(w->t, rc, err);
    w->res->busy_seconds += now_seconds() - t0;
    return rc;
}

/* Every rank writes its own days into the shared report file.  A day's
 * offset is the previous day's offset plus its length, so it travels down
 * the day order as a note from the previous day's owner (sent before that
 * owner writes, so writing overlaps the next owner's work); the last
 * day's owner tells rank 0 where the text ends (day_end).  A streamed day
 * whose note has not come when its encoding ends waits in its buffer
 * while the rank finishes and encodes its next day in the other, looking
 * for the note between slices: one day at most waits, and the notes are
 * still taken and sent in the day order.  On rank 0, *end receives the
 * end of the text. */
static int walk_shared(struct walk *w, int rc, struct rpt_part *part, int64_t base, int64_t *end,
                       struct ocp_error *err)
{
    struct tp *t = w->t;
    size_t gi;
    int lrc;

    w->next_off = base;
    w->nn = 0;
    w->pend = 0;
    w->notes = calloc(w->ndays + 1, sizeof *w->notes);
    if (w->notes == NULL && rc == OCP_OK) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        tp_failed(t, rc, err);
    }
    for (gi = 0; gi < w->total; gi++) {
        const struct unit *d = &w->order[gi];
        int64_t off;
        size_t gone = 0, pos = 0;
        int need_note, placed = 0, from;

        if (d->owner != t->rank)
            continue;
        progress(w, gi);
        /* This day's offset: from the previous day's owner, unless that
         * is this rank, whose day (if it waits) goes first. */
        need_note = gi > 0 && w->order[gi - 1].owner != t->rank;
        from = need_note ? w->order[gi - 1].owner : -1;
        if (w->pend && !need_note)
            rc = pend_end(w, part, rc, err);
        off = w->next_off;
        rc = next_block(w, rc, err);
        if (w->stream)
            rc = encode_streamed(w, part, rc, from, &need_note, &off, &gone, &pos, &placed, err);
        /* The day that waits goes first, now at the latest. */
        if (w->pend)
            rc = pend_end(w, part, rc, err);
        if (need_note && w->stream && w->spare != NULL && rc == OCP_OK &&
            (fault_note(1) == 1 || !tp_note_ready(t, from, TAG_OFFSET))) {
            /* Its offset has not come: the day waits in its block while
             * the rank goes on (encode_streamed looks for the note). */
            w->pend = 1;
            w->pend_gi = gi;
            next_buffer(w);
            w->taken++;
            continue;
        }
        if (need_note) {
            lrc = tp_note_recv(t, &off, rc, from, TAG_OFFSET, err);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc;
        }
        rc = day_end(w, part, rc, gi, off, &w->b.block[w->taken], gone, pos, placed, &w->mark, err);
        if (w->stream && w->spare != NULL)
            next_buffer(w);
        w->taken++;
    }
    if (w->pend)
        rc = pend_end(w, part, rc, err);
    if (t->rank == 0) {
        *end = w->next_off;
        if (w->total > 0 && w->order[w->total - 1].owner != 0) {
            lrc = tp_note_recv(t, end, rc, w->order[w->total - 1].owner, TAG_OFFSET, err);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc;
        }
    }
    for (gi = 0; gi < w->nn; gi++) {
        lrc = tp_note_done(t, &w->notes[gi], err);
        if (rc == OCP_OK && lrc != OCP_OK)
            rc = lrc;
    }
    free(w->notes);
    w->notes = NULL;
    return rc;
}

/* Whether every rank can write its own days into rank 0's file: rank 0
 * shares its stream, every rank opens the file and checks it is the same
 * one.  Collective, on ranks that all reached the finish fine; the answer
 * is the same on every rank.  A rank that cannot open the file is not a
 * failure (no shared file system): rank 0 then writes every byte.
 * Returns this rank's status; *shared says which way it goes. */
static int open_shared(struct tp *t, struct out_dest *dest, const char *report,
                       struct rpt_part *part, struct rpt_part_room *room, int64_t *base,
                       int *shared, struct ocp_error *err)
{
    struct rpt_share sh;
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = OCP_OK, cannot;
    struct ocp_error quiet;

    memset(&sh, 0, sizeof sh);
    *shared = 0;
    part->fd = -1;
    part->dfd = -1;
    if (t->rank == 0) {
        rc = rpt_stream_share(dest->stream, &sh, err);
        if (rc == OCP_OK) {
            size_t n = strlen(sh.tmp);
            len = 16 + n + 1;
            buf = malloc(len);
            if (buf == NULL) {
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            } else {
                memcpy(buf, &sh.offset, 8);
                memcpy(buf + 8, &sh.ino, 8);
                memcpy(buf + 16, sh.tmp, n + 1);
            }
        }
        rpt_share_release(&sh);
        tp_failed(t, rc, err);
    }
    {
        int lrc = tp_bcast(t, &buf, &len, rc, 0, err);
        if (rc == OCP_OK)
            rc = lrc;
    }
    if (rc == OCP_OK && (len < 17 || buf[len - 1] != '\0'))
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "bad report share message (%zu bytes)", len);
    if (rc == OCP_OK) {
        memcpy(&sh.offset, buf, 8);
        memcpy(&sh.ino, buf + 8, 8);
        sh.tmp = (char *)buf + 16;
        *base = sh.offset;
        /* Not seeing the file is an answer, not an error. */
        ocp_error_clear(&quiet);
        cannot = rpt_part_open(part, &sh, report, room, &quiet) != OCP_OK || fault_share_refused();
        sh.tmp = NULL;
    } else {
        cannot = 1;
    }
    free(buf);
    tp_failed(t, rc, err);
    /* Everyone has opened (or failed to) before anyone writes a day, so
     * the length check in rpt_part_open sees only the header. */
    if (tp_any(t, rc != OCP_OK)) {
        rpt_part_release(part);
        return rc == OCP_OK ? TP_PEER : rc;
    }
    if (tp_any(t, cannot)) {
        rpt_part_release(part);
        if (t->rank == 0)
            rpt_stream_unshare(dest->stream);
        return OCP_OK;
    }
    *shared = 1;
    return OCP_OK;
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
        rc = open_shared(t, dest, enc->report_path, &part, *mem != NULL ? &(*mem)->room : NULL,
                         &base, &shared, err);
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
        rc = walk_shared(&w, rc, &part, base, &end, err);
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
