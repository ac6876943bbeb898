/*
 * driver.h - the MPI job's internal pieces (src/driver only).
 *
 * main.c parses the command line and runs the phases over struct run
 * (run.h); checks.c holds the checks before any heavy work and
 * messages.c the lines that tell the user how the job ended; plan.c turns
 * the input into chunk ranges (rank 0); execute.c reads and aggregates a
 * rank's chunks with OpenMP threads; exchange.c moves configs, plans and
 * partials between ranks; summary.c writes the JSON run summary.
 */
#ifndef OCPAGG_DRIVER_H
#define OCPAGG_DRIVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ocpagg/agg.h"
#include "ocpagg/config.h"
#include "ocpagg/error.h"

/* One unit of reading: rows [row_start, row_start + nrows) of a table in
 * one file (and row group, for Parquet; -1 for HDF5). */
struct plan_chunk {
    int32_t table;
    int32_t file;
    int32_t row_group;
    int32_t day; /* the one UTC day of all its rows, or INT32_MIN */
    int64_t row_start;
    int64_t nrows;
};

/* A window of days: [first_day, last_day], or everything (INT32_MIN,
 * INT32_MAX), chunks of unknown day included. */
struct plan_window {
    int32_t first_day, last_day;
    int64_t rows;
};

struct plan {
    char **files; /* input files; HDF5 has exactly one */
    size_t nfiles;
    struct plan_chunk *chunks;
    size_t nchunks;
    int64_t total_rows;
    int64_t pruned_row_groups;
    int64_t table_rows[OCP_TABLE_COUNT];
    int table_present[OCP_TABLE_COUNT];
};

void plan_release(struct plan *p);

/* Rank 0: lists and checks the inputs and cuts them into chunks. */
int plan_build(const struct cfg *cfg, struct plan *out, char *warning, size_t warning_size,
               struct ocp_error *err);

/* Who reads which chunk of window w: a malloc'd array of the plan's
 * nchunks ranks out of nranks (-1 for chunks outside w), balanced by rows;
 * the same answer on every rank.  When every
 * chunk lies within one day, a chunk goes to the rank that will finish its
 * day (exchange_day_owner) while that rank is under its share of the
 * rows, and the rest (and the chunks of a split day, which every rank
 * needs whole) to the least loaded rank, so little moves between ranks
 * afterwards; otherwise ranks get contiguous runs of chunks. */
struct exchange_days;
int plan_share(const struct plan *p, int nranks, const struct plan_window *w,
               const struct exchange_days *split, int **owners);

/* The days of window w's chunks (one per chunk, in chunk order) as a
 * malloc'd list for struct exchange_days; none (*days NULL, *count 0)
 * when some chunk's rows are not known to lie within one day.
 * OCP_ERR_OSERR: no memory. */
int plan_window_days(const struct plan *p, const struct plan_window *w, int32_t **days,
                     size_t *count);

/* The windows of days the job works through one after the other: each
 * window's chunks are read, exchanged, finished and written before the
 * next window is read, so memory holds the groups of one window only.
 * Windows are runs of whole days holding about window_rows * nranks input
 * rows each, in day order.  Only when every chunk lies within one known
 * day (Parquet with interval_start statistics); otherwise, or with
 * window_rows 0, one window covers everything.  *out is malloc'd. */
int plan_windows(const struct plan *p, int64_t window_rows, int nranks, struct plan_window **out,
                 size_t *count);

int plan_serialize(const struct plan *p, unsigned char **buf, size_t *len);
int plan_deserialize(struct plan *p, const unsigned char *buf, size_t len);

struct tp;

/* Collective, right after the plan: rank 0 fingerprints every input file
 * (size, first 4 KiB and last 64 KiB) and the others compare theirs; a
 * rank that sees a different or no file fails (65 or 66), naming it.  rc
 * is this rank's status so far; every rank must call it. */
int input_check(struct tp *tp, const struct plan *p, int rank, int rc, struct ocp_error *err);

/* Options and state of the job that execute.c needs. */
struct job {
    const struct cfg *cfg;
    const struct plan *plan;
    struct agg_settings settings;
    int rank, nranks;
    int quiet;
    volatile sig_atomic_t *stop; /* set by signal handlers (the signal) */
    struct tp *tp;               /* alerts and stop checks between chunks */
    int check_day;               /* every row must lie on its chunk's day */
    double t_start;
};

/* Per-rank results of the read phase. */
struct rank_result {
    int64_t rows;         /* input rows read by this rank */
    long chunks;          /* chunks read by this rank */
    long chunks_stolen;   /* of them, taken from another rank's list */
    double read_seconds;  /* read + aggregate */
    double merge_seconds; /* merging thread partials */
    int threads;
    char bad_label_where[OCP_ERROR_PATH_MAX + 64]; /* first file/row group */
};

/* Reads and aggregates the chunks the board hands this rank (claim.h: its
 * own list of the window, then what the node's other ranks have not
 * started) with the configured threads into one partial.  The master thread checks for peers'
 * alerts and stop signals between chunks (tp_poll) and alerts the peers of this rank's own failure,
 * so every rank stops reading within a chunk of any rank's failure.  A partial in *out on entry
 * (the last window's, emptied here with agg_partial_reset) is reused for the first thread, so its
 * memory serves again; it is taken over either way (destroyed on
 * failure).
 * Returns OCP_OK, this rank's failure, OCP_ERR_INTERRUPTED on
 * its own signal, or TP_PEER when a peer failed or stopped. */
struct claim_board;
int execute_chunks(const struct job *job, struct claim_board *board, struct agg_partial **out,
                   struct rank_result *res, struct ocp_error *err);

/* Wall-clock seconds. */
double now_seconds(void);

/* Peak resident set of this process in bytes. */
int64_t peak_rss_bytes(void);

#endif
