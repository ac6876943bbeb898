/* finish_internal.h - what the two walks of the finish share (driver only).
 *
 * finish.c finishes a rank's days in batches and, when rank 0 writes
 * every byte, walks the days sending (or receiving) their blocks;
 * finish_shared.c is the other walk, where every rank writes its own days
 * into the CSV file at offsets that travel down the day order. */
#ifndef OCPAGG_DRIVER_FINISH_INTERNAL_H
#define OCPAGG_DRIVER_FINISH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "driver/finish.h"

/* Message tags of the finish: a day's block for rank 0, an offset note. */
#define TAG_BLOCK 21
#define TAG_OFFSET 22

/* A day, or a part of a day that every rank shares (struct
 * exchange_days), with the rank that finishes it. */
struct unit {
    int32_t day;
    int32_t part, nparts; /* 0 of 1: the whole day */
    int32_t owner;
};

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

/* Rank 0's progress line, at most every progress_seconds (gi: days of
 * the order already in the report). */
void finish_progress(struct walk *w, size_t gi);

/* The block of this rank's next own day: finishes the next batch when
 * the current one is used up (nothing when rc is a failure).  Returns
 * the status. */
int finish_next_block(struct walk *w, int rc, struct ocp_error *err);

/* Every rank writes its own days into the shared report file (the part
 * opened by finish_open_shared), from base on; on rank 0, *end receives
 * the end of the text.  Returns this rank's status. */
int finish_walk_shared(struct walk *w, int rc, struct rpt_part *part, int64_t base, int64_t *end,
                       struct ocp_error *err);

/* Whether every rank can write its own days into rank 0's file
 * (collective; *shared says which way it goes, *base where the days
 * start).  Returns this rank's status. */
int finish_open_shared(struct tp *t, struct out_dest *dest, const char *report,
                       struct rpt_part *part, struct rpt_part_room *room, int64_t *base,
                       int *shared, struct ocp_error *err);

#endif
