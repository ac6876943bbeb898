/* execute.c - one rank's read + aggregate phase, spread over OpenMP
 * threads.
 *
 * Each thread takes chunks dynamically, decodes each into its own arena
 * and adds it to its own partial, so threads share nothing while reading.
 * HDF5 is not thread-safe here, so HDF5 reads are serialized; decoding
 * Parquet and aggregating run in parallel.  At the end the thread partials
 * are merged; the result does not depend on which thread read what. */
#include "driver/claim.h"
#include "driver/driver.h"
#include "driver/fault.h"
#include "driver/transport.h"

#include <hdf5.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/h5.h"
#include "ocpagg/parquet.h"
#include "ocpagg/text.h"

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (int64_t)ru.ru_maxrss * 1024;
}

/* HDF5 state shared by the threads of a rank (used under a lock). */
struct h5_state {
    struct h5_file *file;
    struct h5_table *tables[OCP_TABLE_COUNT];
    hid_t fapl, dxpl; /* MPI-IO lists (input.hdf5_driver), else H5P_DEFAULT */
};

/* input.hdf5_driver mpio*: every rank opens the file on its own
 * (MPI_COMM_SELF) through MPI-IO; its reads are its row ranges.  The
 * ranks read different chunks at different times, so a transfer can only
 * be collective within the rank's own communicator: "mpio-collective"
 * lets MPI-IO's collective path (two-phase buffering, ROMIO/OMPIO hints
 * such as cb_buffer_size) shape each rank's reads. */
static int h5_mpio_lists(struct h5_state *s, const struct cfg *cfg, struct ocp_error *err)
{
    int provided = MPI_THREAD_SINGLE;

    s->fapl = s->dxpl = H5P_DEFAULT;
    if (cfg->hdf5_driver == CFG_H5_POSIX)
        return OCP_OK;
    /* The threads take turns at HDF5, but not only the main thread. */
    MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_SERIALIZED && cfg->threads != 1)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "input.hdf5_driver %s with threads other than 1 "
                             "needs MPI_THREAD_SERIALIZED, which this MPI does "
                             "not provide",
                             cfg->hdf5_driver == CFG_H5_MPIO ? "mpio" : "mpio-collective");
    s->fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (s->fapl < 0 || H5Pset_fapl_mpio(s->fapl, MPI_COMM_SELF, MPI_INFO_NULL) < 0)
        return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                             "cannot set up HDF5's MPI-IO driver (input.hdf5_driver)");
    if (cfg->hdf5_driver == CFG_H5_MPIO_COLLECTIVE) {
        s->dxpl = H5Pcreate(H5P_DATASET_XFER);
        if (s->dxpl < 0 || H5Pset_dxpl_mpio(s->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
            return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                                 "cannot ask HDF5 for collective MPI-IO transfers");
    }
    return OCP_OK;
}

static int h5_state_open(struct h5_state *s, const struct job *job, struct ocp_error *err)
{
    int t, rc;
    memset(s, 0, sizeof *s);
    rc = h5_mpio_lists(s, job->cfg, err);
    if (rc == OCP_OK)
        rc = h5_file_open(job->plan->files[0], s->fapl, &s->file, err);
    if (rc != OCP_OK)
        return rc;
    h5_file_set_dxpl(s->file, s->dxpl);
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        if (!job->plan->table_present[t])
            continue;
        rc = h5_table_open(s->file, (enum ocp_table)t, job->cfg->tables[t], &s->tables[t], err);
        if (rc != OCP_OK)
            return rc;
    }
    return OCP_OK;
}

static void h5_state_close(struct h5_state *s)
{
    int t;
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        h5_table_close(s->tables[t]);
    h5_file_close(s->file);
    if (s->dxpl > 0 && s->dxpl != H5P_DEFAULT)
        H5Pclose(s->dxpl);
    if (s->fapl > 0 && s->fapl != H5P_DEFAULT)
        H5Pclose(s->fapl);
}

/* What one thread keeps between chunks. */
struct worker {
    struct agg_partial *partial;
    struct ocp_arena arena;
    /* The Parquet file last read of each table.  A table's next file
     * takes over its string caches (pq_file_take_cache), so they are kept
     * per table: handed from a pod file to a storage file and back, the
     * pod columns' caches did not survive, and every pod name was mapped
     * to the engine's pool again after each switch of table. */
    struct pq_file *pq[OCP_TABLE_COUNT];
    int pq_index[OCP_TABLE_COUNT];
    int64_t bad_before;
};

static int read_chunk(const struct job *job, struct worker *w, struct h5_state *h5,
                      const struct plan_chunk *c, struct ocp_batch *batch, struct ocp_error *err)
{
    const char *path = job->plan->files[c->file];
    int rc;

    if (job->cfg->input_format == CFG_INPUT_HDF5) {
#pragma omp critical(ocpagg_hdf5)
        rc = h5_table_read(h5->tables[c->table], c->row_start, c->nrows, &w->arena, batch, err);
        return rc;
    }
    if (w->pq[c->table] == NULL || w->pq_index[c->table] != c->file) {
        struct pq_open_options opt;
        struct pq_file *next = NULL;
        pq_open_options_init(&opt);
        opt.check_crc = job->cfg->verify_crc; /* input.verify_crc */
        rc = pq_file_open(path, &opt, &next, err);
        /* The last file's string ids go on into this one: the engine's
         * id maps stay valid and each pod name is mapped once. */
        if (rc == OCP_OK)
            pq_file_take_cache(next, w->pq[c->table]);
        pq_file_close(w->pq[c->table]);
        w->pq[c->table] = next;
        if (rc != OCP_OK)
            return rc;
        w->pq_index[c->table] = c->file;
    }
    return pq_table_read(w->pq[c->table], (enum ocp_table)c->table, c->row_group, c->row_start,
                         c->nrows, &w->arena, batch, err);
}

/* The master thread's check between chunks: tells the peers of this
 * rank's failure and learns of theirs (or of a stop signal).  Returns 1
 * when the rank should stop reading. */
static int master_check(const struct job *job, const int *failed, const int *rc,
                        const struct ocp_error *err)
{
    int f, code = OCP_OK;
    char text[OCP_ERROR_MSG_MAX];

    text[0] = '\0';
#pragma omp critical(ocpagg_error)
    {
        f = *failed;
        if (f) {
            code = *rc;
            if (err != NULL)
                snprintf(text, sizeof text, "%s", err->message);
        }
    }
    if (f)
        tp_alert(job->tp, code, text);
    return tp_poll(job->tp) || f;
}

/* A chunk is planned by the day its row group's statistics give (with
 * windows of days, it is read in that day's window); a row on another day
 * would be finished with the wrong window (its day twice in the report),
 * so it is a data error, never a silently split day, and so in every run,
 * not only those with windows.  NULL timestamps are the aggregation's
 * business (counted, dropped). */
static int check_chunk_day(const struct ocp_batch *b, int32_t day, struct ocp_error *err)
{
    const int64_t *ts = b->col[0].present ? b->col[0].ts : NULL;
    int64_t lo, hi;
    size_t i;

    /* INT32_MIN: no day known (HDF5), and no product to form from it. */
    if (ts == NULL || day == INT32_MIN)
        return OCP_OK;
    lo = (int64_t)day * OCP_US_PER_DAY;
    hi = lo + OCP_US_PER_DAY;
    for (i = 0; i < b->nrows; i++) {
        if (ts[i] != OCP_TS_NULL && (ts[i] < lo || ts[i] >= hi)) {
            char d[16];
            txt_format_date(day, d);
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "interval_start",
                                 "row %zu lies outside %s, the one day the row group's "
                                 "statistics give",
                                 i, d);
        }
    }
    return OCP_OK;
}

/* A thread's failure: the rank's first one is kept (rc, *err), and every
 * thread is told to stop taking chunks. */
static void keep_failure(int lrc, const struct ocp_error *local, int *failed, int *rc,
                         struct ocp_error *err, int *halt)
{
#pragma omp critical(ocpagg_error)
    {
        if (!*failed) {
            *failed = 1;
            *rc = lrc;
            if (err != NULL)
                *err = *local;
        }
    }
#pragma omp atomic write
    *halt = 1;
}

int execute_chunks(const struct job *job, struct claim_board *board, struct agg_partial **out,
                   struct rank_result *res, struct ocp_error *err)
{
    struct h5_state h5;
    struct worker *workers = NULL;
    int nthreads = job->cfg->threads > 0 ? job->cfg->threads : omp_get_max_threads();
    /* failed: a thread's chunk failed (rc/err set under ocpagg_error);
     * halt: every thread should skip its remaining chunks.  Both are
     * shared between threads and read/written atomically. */
    int failed = 0, halt = 0;
    int rc = OCP_OK, t, k;
    int64_t rows_done = 0;
    /* threads_out: threads other than the master that left the loop. */
    long chunks_done = 0, chunks_stolen = 0, threads_out = 0;
    double t0 = now_seconds(), last_progress = t0;
    int64_t my_rows = claim_own_rows(board);
    struct agg_partial *spare = *out;

    *out = NULL;
    memset(&h5, 0, sizeof h5);
    if (job->cfg->input_format == CFG_INPUT_HDF5 && claim_any(board)) {
        rc = h5_state_open(&h5, job, err);
        if (rc != OCP_OK)
            goto cleanup;
    }
    if (nthreads < 1)
        nthreads = 1;
    workers = calloc((size_t)nthreads, sizeof *workers);
    if (workers == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto cleanup;
    }
    for (t = 0; t < nthreads; t++) {
        if (t == 0 && spare != NULL) {
            workers[0].partial = spare;
            spare = NULL;
            rc = agg_partial_reset(workers[0].partial, &job->settings, err);
        } else
            rc = agg_partial_create(&job->settings, &workers[t].partial, err);
        if (rc != OCP_OK)
            goto cleanup;
        ocp_arena_init(&workers[t].arena, (size_t)8 << 20);
        for (k = 0; k < OCP_TABLE_COUNT; k++)
            workers[t].pq_index[k] = -1;
    }

#pragma omp parallel num_threads(nthreads)
    {
        struct worker *w = &workers[omp_get_thread_num()];
        struct ocp_error local;
        struct ocp_batch batch;
        int master = omp_get_thread_num() == 0, first = 1;

        ocp_error_clear(&local);
        /* Chunks as the board hands them out: this rank's own list, then
         * what its node's other ranks have not started (claim.h). */
        for (;;) {
            const struct plan_chunk *c;
            size_t ci;
            int lrc, h, stolen;
            struct agg_stats st;

#pragma omp atomic read
            h = halt;
            if (h || !claim_next(board, &ci, &stolen))
                break;
            c = &job->plan->chunks[ci];
            if (stolen) {
#pragma omp atomic
                chunks_stolen++;
            }
            ocp_arena_reset(&w->arena);
            memset(&batch, 0, sizeof batch);
            lrc = read_chunk(job, w, &h5, c, &batch, &local);
            if (lrc == OCP_OK && job->check_day)
                lrc = check_chunk_day(&batch, c->day, &local);
            if (lrc == OCP_OK)
                lrc = agg_partial_add(w->partial, &batch, &local);
            /* The test faults (fault.h): once, at the master's first
             * chunk; kind slow after every chunk of every thread. */
            if (lrc == OCP_OK && master && first) {
                first = 0;
                lrc = fault_at("read", &local);
            }
            fault_delay("read");
            if (lrc != OCP_OK) {
                ocp_error_context(&local, job->plan->files[c->file], c->row_group, NULL);
                if (c->row_group < 0) {
                    /* HDF5 has no row groups: say which rows instead. */
                    size_t ml = strlen(local.message);
                    snprintf(local.message + ml, sizeof local.message - ml, " (%s rows %lld-%lld)",
                             ocp_table_spec((enum ocp_table)c->table)->name,
                             (long long)c->row_start, (long long)(c->row_start + c->nrows - 1));
                }
                keep_failure(lrc, &local, &failed, &rc, err, &halt);
                break;
            }
            agg_partial_stats(w->partial, &st);
            if (st.bad_label_rows > w->bad_before) {
#pragma omp critical(ocpagg_badlabel)
                if (res->bad_label_where[0] == '\0') {
                    if (c->row_group >= 0)
                        snprintf(res->bad_label_where, sizeof res->bad_label_where,
                                 "%s row group %d", job->plan->files[c->file], (int)c->row_group);
                    else
                        snprintf(res->bad_label_where, sizeof res->bad_label_where,
                                 "%s (%s rows %lld-%lld)", job->plan->files[c->file],
                                 ocp_table_spec((enum ocp_table)c->table)->name,
                                 (long long)c->row_start, (long long)(c->row_start + c->nrows - 1));
                }
                w->bad_before = st.bad_label_rows;
            }
#pragma omp atomic
            rows_done += c->nrows;
#pragma omp atomic
            chunks_done++;
            if (master) {
                if (master_check(job, &failed, &rc, err)) {
#pragma omp atomic write
                    halt = 1;
                }
                if (job->rank == 0 && !job->quiet && job->cfg->progress_seconds > 0) {
                    double now = now_seconds();
                    if (now - last_progress >= job->cfg->progress_seconds) {
                        int64_t done;
#pragma omp atomic read
                        done = rows_done;
                        last_progress = now;
                        fprintf(stderr,
                                "ocpagg: read+aggregate %3.0f%% of rank 0's %lld rows, "
                                "%.2f M rows/s on this rank (~%.2f M rows/s job)\n",
                                my_rows > done ? 100.0 * (double)done / (double)my_rows : 100.0,
                                (long long)my_rows, (double)done / (now - t0) / 1e6,
                                (double)done * job->nranks / (now - t0) / 1e6);
                    }
                }
            }
        }
        /* A rank whose chunks the others took before it started still
         * meets its test fault (fault.h) in this phase. */
        if (master && first) {
            int lrc = fault_at("read", &local);
            if (lrc != OCP_OK)
                keep_failure(lrc, &local, &failed, &rc, err, &halt);
        }
        /* The master thread keeps checking while the others finish their
         * last chunks, so a peer's failure or a signal is seen promptly. */
        if (!master) {
#pragma omp atomic
            threads_out++;
        } else {
            for (;;) {
                long d;
#pragma omp atomic read
                d = threads_out;
                if (d >= (long)omp_get_num_threads() - 1)
                    break;
                if (master_check(job, &failed, &rc, err)) {
#pragma omp atomic write
                    halt = 1;
                }
                {
                    struct timespec ts = {0, 2000000};
                    nanosleep(&ts, NULL);
                }
            }
        }
    }
    res->read_seconds = now_seconds() - t0;
    res->rows = rows_done;
    res->chunks = chunks_done;
    res->chunks_stolen = chunks_stolen;
    res->threads = nthreads;
    if (failed)
        tp_alert(job->tp, rc, err != NULL ? err->message : "");
    if (rc != OCP_OK)
        goto cleanup;
    if (tp_poll(job->tp)) {
        rc = *job->stop ? ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL,
                                        "stopped by signal %d", (int)*job->stop)
                        : TP_PEER;
        goto cleanup;
    }
    t0 = now_seconds();
    for (t = 1; t < nthreads; t++) {
        rc = agg_partial_merge(workers[0].partial, workers[t].partial, err);
        if (rc == OCP_OK && tp_poll(job->tp))
            rc = *job->stop ? ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL,
                                            "stopped by signal %d", (int)*job->stop)
                            : TP_PEER;
        if (rc != OCP_OK)
            goto cleanup;
    }
    rc = fault_at("merge", err);
    if (rc != OCP_OK)
        goto cleanup;
    res->merge_seconds = now_seconds() - t0;
    *out = workers[0].partial;
    workers[0].partial = NULL;
cleanup:
    agg_partial_destroy(spare); /* not taken: failed before the workers */
    if (rc != OCP_OK && rc != TP_PEER)
        tp_alert(job->tp, rc, err != NULL ? err->message : "");
    if (workers != NULL) {
        for (t = 0; t < nthreads; t++) {
            agg_partial_destroy(workers[t].partial);
            ocp_arena_release(&workers[t].arena);
            for (k = 0; k < OCP_TABLE_COUNT; k++)
                pq_file_close(workers[t].pq[k]);
        }
        free(workers);
    }
    h5_state_close(&h5);
    return rc;
}
