/* finish_shared.c - the finish's walk when every rank writes its own days.
 *
 * A CSV file from several ranks (output.shared_write, on by default):
 * when every rank can open rank 0's temporary file (finish_open_shared),
 * each writes the text of its own days at its offset, which travels down
 * the day order as a note, so rank 0 neither receives nor copies the
 * other ranks' text.  With one thread a rank streams a day: its rows are
 * encoded a slice at a time and their whole pages go to the part's
 * writer thread as they are (encode_streamed).  finish.c decides which
 * walk a run takes. */
#include "driver/driver.h"
#include "driver/fault.h"
#include "driver/finish_internal.h"
#include "ocpagg/mem.h"

#include <stdlib.h>
#include <string.h>

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
int finish_walk_shared(struct walk *w, int rc, struct rpt_part *part, int64_t base, int64_t *end,
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
        finish_progress(w, gi);
        /* This day's offset: from the previous day's owner, unless that
         * is this rank, whose day (if it waits) goes first. */
        need_note = gi > 0 && w->order[gi - 1].owner != t->rank;
        from = need_note ? w->order[gi - 1].owner : -1;
        if (w->pend && !need_note)
            rc = pend_end(w, part, rc, err);
        off = w->next_off;
        rc = finish_next_block(w, rc, err);
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
int finish_open_shared(struct tp *t, struct out_dest *dest, const char *report,
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
