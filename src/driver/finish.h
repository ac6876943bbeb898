/* finish.h - the one finish path of every output format (driver only). */
#ifndef OCPAGG_DRIVER_FINISH_H
#define OCPAGG_DRIVER_FINISH_H

#include <stdint.h>

#include "driver/exchange.h"
#include "driver/output.h"
#include "driver/transport.h"
#include "ocpagg/agg.h"
#include "ocpagg/report.h"

/* What one rank's finish keeps from window to window: every thread's
 * table and text buffer, the day index with its caches, the direct
 * writes' buffer.  Each window's finish fills the same buffers and day
 * index, so none is allocated again or rehashed (some 80-100 MB a window
 * and rank on the bench month), and their pages stay resident between
 * windows (faulting them in again cost more than the 50-65 MB of peak
 * they add: docs/running.md).  Ownership: a pointer the caller
 * sets to NULL before the first window; finish_days makes it,
 * finish_mem_destroy frees it. */
struct finish_mem;

struct finish_result {
    int64_t pod_rows, unallocated_rows, storage_rows;
    int shared;            /* 1: every rank wrote its own days into the CSV file */
    int64_t direct_bytes;  /* of them, written with O_DIRECT (all windows) */
    double busy_seconds;   /* finishing and encoding this rank's own days */
    int64_t days;          /* of them (all windows) */
    int64_t late_handoffs; /* streamed days whose offset came once 16 MiB
                              of their text had piled up, or after their
                              encoding (they waited while the rank went
                              on): handed to the writer as they lay (all
                              windows) */
};

/* Collective.  `mine` holds all groups of this rank's days (after the
 * shuffle).  Every rank finishes its days, nthreads days at a time (one
 * day per thread), and its part of each day `split` names (every rank
 * holds those whole; part k is rank (day + k) mod nranks's, and the parts
 * follow each other in the report), encodes each day's table as a block (`enc`) and
 * sends it with a status header to rank 0, which hands the blocks in day
 * order to `dest` (rank 0 only; NULL elsewhere).  status is this rank's
 * status on entry (rank 0: whether the destination opened); a failed rank still
 * walks the protocol, finishing nothing.  Nothing is committed
 * here: the driver commits after all ranks agree.  A failure on any rank
 * (or a stop request) reaches the others through an alert; from then on
 * every rank sends failure headers instead of finishing its remaining
 * days, so all ranks leave together.  Rank 0 prints a progress line every
 * progress_seconds (0: none).  Returns this rank's status (rank 0
 * includes writing): its own failure, TP_PEER when it stopped for another
 * rank, OCP_ERR_INTERRUPTED on its own signal.  aws_rows (NULL: no AWS
 * step) receives this rank's finished rows in aws_ocp_encode form.
 * With several ranks, a CSV file and enc->shared_write, every rank writes
 * its own days into rank 0's temporary file when all of them can open it
 * (res->shared); rank 0 then only checks the length before the commit.
 * *mem: what the last window's finish kept (struct finish_mem). */
int finish_days(const struct agg_partial *mine, const struct exchange_days *split,
                const struct agg_finish_settings *fs, const struct rpt_meta *meta,
                const struct out_encoding *enc, int nthreads, int status, struct out_dest *dest,
                double progress_seconds, struct tp *t, struct rpt_buf *aws_rows,
                struct finish_mem **mem, struct finish_result *res, struct ocp_error *err);

/* Frees what finish_days kept (NULL: nothing). */
void finish_mem_destroy(struct finish_mem *m);

#endif
