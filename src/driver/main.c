/* main.c - the ocpagg MPI job: command line, phases, exit codes.
 *
 * main() is the list of phases: config and plan (rank 0 reads, everyone
 * receives), read + aggregate (every rank, OpenMP threads), exchange
 * (groups move to the rank that owns their day), finish (every rank
 * finishes its days, rank 0 streams them into the report), write (rank 0
 * writes the summary and commits the report).  Each phase ends with the
 * same agreement step (step()): all ranks learn whether every rank
 * succeeded, else which rank failed first, with what code and message,
 * and all exit with that code.  Inside a phase, alerts and status headers
 * (transport.c) keep every rank in step, so a failure never leaves a rank
 * waiting and nothing is left on disk.  The phases share struct run
 * (run.h); the checks before the heavy work are in checks.c, the lines
 * that tell the user how the job ended in messages.c. */
#include <errno.h>
#include <mpi.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/aws_step.h"
#include "driver/checks.h"
#include "driver/claim.h"
#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/fault.h"
#include "driver/finish.h"
#include "driver/messages.h"
#include "driver/options.h"
#include "driver/output.h"
#include "driver/roles.h"
#include "driver/run.h"
#include "driver/runtime.h"
#include "driver/summary.h"
#include "driver/transport.h"
#include "ocpagg/text.h"

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t continued = 0;

static void on_signal(int sig)
{
    stop_requested = sig;
}

static void on_continue(int sig)
{
    (void)sig;
    continued = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* SIGCONT is how a launcher starts ending a job (transport.h): the
     * next poll looks for peers that have died.  It must not break the
     * system call it lands in. */
    sa.sa_handler = on_continue;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCONT, &sa, NULL);
}

/* Finish settings and constant columns from the config; the arrays are
 * freed with free_finish_settings. */
static int build_finish_settings(const struct cfg *cfg, struct agg_finish_settings *fs,
                                 struct rpt_meta *meta, struct ocp_error *err)
{
    struct agg_cost_category *cats = calloc(cfg->n_cost_categories + 1, sizeof *cats);
    struct agg_node_role *roles = calloc(cfg->n_node_roles + 1, sizeof *roles);
    size_t i;

    memset(fs, 0, sizeof *fs);
    if (cats == NULL || roles == NULL) {
        free(cats);
        free(roles);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    for (i = 0; i < cfg->n_cost_categories; i++) {
        cats[i].pattern = cfg->cost_categories[i].pattern;
        cats[i].id = cfg->cost_categories[i].id;
    }
    for (i = 0; i < cfg->n_node_roles; i++) {
        roles[i].node = cfg->node_roles[i].node;
        roles[i].role = cfg->node_roles[i].role;
    }
    fs->cost_categories = cats;
    fs->n_cost_categories = cfg->n_cost_categories;
    fs->node_roles = roles;
    fs->n_node_roles = cfg->n_node_roles;
    txt_parse_uuid(cfg->source_uuid, strlen(cfg->source_uuid), fs->source_uuid);
    meta->report_period_id = cfg->report_period_id;
    meta->cluster_id = cfg->cluster_id;
    meta->cluster_alias = cfg->cluster_alias;
    meta->source_uuid = cfg->source_uuid;
    return OCP_OK;
}

static void free_finish_settings(struct agg_finish_settings *fs)
{
    free((void *)fs->cost_categories);
    free((void *)fs->node_roles);
    memset(fs, 0, sizeof *fs);
}

/* The report is aborted before any MPI_Abort, so no temporary report
 * outlives the job and the database rolls back. */
static void abort_stream(void *ctx)
{
    struct run *r = ctx;
    if (out_is_open(&r->dest))
        out_abort(&r->dest, "ocpagg: the job stopped");
    aws_step_abort(&r->aws);
}

/* The agreement step after every phase: this rank's error (if its own)
 * is printed here, then all ranks agree.  Returns the job's status. */
static int step(struct run *r, int rc, struct ocp_error *err)
{
    int sig = (int)stop_requested;
    /* This rank's own signal wins over having heard of another's stop. */
    if (rc == TP_PEER && sig != 0)
        rc = OCP_ERR_INTERRUPTED;
    if (rc == OCP_ERR_INTERRUPTED && err->code != OCP_ERR_INTERRUPTED)
        ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL, "stopped by signal %d", sig);
    if (rc != OCP_OK && rc != TP_PEER && rc != OCP_ERR_INTERRUPTED)
        print_error(r->rank, r->nranks, err);
    /* An interruption that says where it happened (opening a FIFO config,
     * say) is worth its own line; the plain "stopped by signal" is told
     * by the verdict. */
    if (rc == OCP_ERR_INTERRUPTED && strncmp(err->message, "stopped by signal", 17) != 0)
        print_error(r->rank, r->nranks, err);
    if (rc != OCP_OK && rc != TP_PEER)
        tp_alert(&r->tp, rc, err->message);
    return tp_agree(&r->tp, rc, err, rc == OCP_ERR_INTERRUPTED ? sig : 0, &r->verdict);
}

/* The status of a rank that saw a stop: its own signal or a peer's. */
static int stopped(struct ocp_error *err)
{
    if (stop_requested)
        return ocp_error_set(err, OCP_ERR_INTERRUPTED, NULL, -1, NULL, "stopped by signal %d",
                             (int)stop_requested);
    return TP_PEER;
}

/* Config: rank 0 parses and validates, everyone receives. */
static int phase_config(struct run *r, struct ocp_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0, i;
    int rc = OCP_OK;

    if (r->rank == 0) {
        /* A signal that came before the open (a FIFO config would block
         * there) stops the job here; one during the open is EINTR, 75. */
        rc = stop_requested ? stopped(err) : OCP_OK;
        if (rc == OCP_OK)
            rc = cfg_load_file(&r->cfg, r->opt.config, err);
        for (i = 0; rc == OCP_OK && i < (size_t)r->opt.n; i++)
            rc = cfg_set(&r->cfg, r->opt.keys[i], r->opt.values[i], err);
        if (rc == OCP_OK)
            rc = cfg_validate(&r->cfg, err);
        if (rc == OCP_OK && cfg_serialize(&r->cfg, &buf, &len) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    rc = tp_bcast(&r->tp, &buf, &len, rc, 0, err);
    if (rc == OCP_OK && r->rank != 0)
        rc = cfg_deserialize(&r->cfg, buf, len, err);
    free(buf);
    /* Many keys are deduplicated by sorting, not pairwise. */
    if (rc == OCP_OK && lbl_keys_add_many(&r->keys, (const char *const *)r->cfg.tag_keys,
                                          r->cfg.n_tag_keys) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory adding %zu tag keys",
                           r->cfg.n_tag_keys);
    r->nthreads = r->cfg.threads > 0 ? r->cfg.threads : omp_get_max_threads();
    /* threads: 0 takes OpenMP's number (OMP_NUM_THREADS), which the key's
     * own bound did not see. */
    if (rc == OCP_OK && r->nthreads > CFG_THREADS_MAX)
        rc = ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                           "key 'threads': 0 takes OpenMP's %d threads (OMP_NUM_THREADS), more "
                           "than %d",
                           r->nthreads, CFG_THREADS_MAX);
    if (rc == OCP_OK)
        rc = check_threads(r->nthreads, err);
    if (rc == OCP_OK)
        out_encoding_of(&r->cfg, &r->enc);
    if (rc == OCP_OK && r->opt.verbose)
        fprintf(stderr, "ocpagg: rank %d: malloc: %s\n", r->rank, runtime_heap_note());
    return rc;
}

/* Plan: rank 0 reads metadata and checks the outputs, everyone receives
 * the chunk list and takes its share. */
static int phase_plan(struct run *r, struct ocp_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char warning[OCP_ERROR_PATH_MAX + 128] = "";
    int rc = OCP_OK, bcast_ok;

    r->t_mark = now_seconds();
    if (r->rank == 0) {
        if (!r->opt.quiet)
            fprintf(stderr, "ocpagg: planning %s input %s on %d rank(s)\n",
                    r->cfg.input_format == CFG_INPUT_HDF5 ? "HDF5" : "Parquet", r->cfg.input_path,
                    r->nranks);
        if (r->enc.postgres)
            rc = check_postgres(r, err);
        if (rc == OCP_OK)
            rc = plan_build(&r->cfg, &r->plan, warning, sizeof warning, err);
        if (rc == OCP_OK)
            rc = check_outputs(r, err);
        if (rc == OCP_OK && warning[0] != '\0' && !r->opt.quiet)
            fprintf(stderr, "ocpagg: warning: %s\n", warning);
        if (rc == OCP_OK && plan_serialize(&r->plan, &buf, &len) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    rc = tp_bcast(&r->tp, &buf, &len, rc, 0, err);
    bcast_ok = rc == OCP_OK;
    /* Every rank has the plan: from here on all of them poll, so the
     * watchdog (--stall-seconds) covers the rest of the job, the input
     * check included.  Rank 0's planning before it, a long read of
     * footers without a poll, is not covered. */
    if (bcast_ok)
        tp_arm(&r->tp);
    if (rc == OCP_OK && r->rank != 0 && plan_deserialize(&r->plan, buf, len) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "the plan from rank 0 does not read back");
    free(buf);
    if (r->enc.postgres) {
        /* Every rank encodes with the report period of each month. */
        buf = NULL;
        len = 0;
        if (r->rank == 0 && rc == OCP_OK) {
            buf = malloc(sizeof r->enc.periods);
            if (buf == NULL)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            else {
                memcpy(buf, &r->enc.periods, sizeof r->enc.periods);
                len = sizeof r->enc.periods;
            }
        }
        rc = tp_bcast(&r->tp, &buf, &len, rc, 0, err);
        if (rc == OCP_OK && len != sizeof r->enc.periods)
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "the report periods from rank 0 do not read back");
        if (rc == OCP_OK && r->rank != 0)
            memcpy(&r->enc.periods, buf, sizeof r->enc.periods);
        free(buf);
    }
    /* Every rank cuts the same windows from the same plan. */
    if (rc == OCP_OK &&
        plan_windows(&r->plan, r->cfg.window_rows, r->nranks, &r->windows, &r->nwindows) != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    /* The broadcast either reached every rank or failed on all of them;
     * in the first case all take part in the input check. */
    if (bcast_ok)
        rc = input_check(&r->tp, &r->plan, r->rank, rc, err);
    if (rc == OCP_OK)
        rc = fault_at("plan", err);
    r->sum.t_plan = now_seconds() - r->t_mark;
    return rc;
}

/* Read and aggregate this rank's share of the current window. */
static int phase_read(struct run *r, struct ocp_error *err)
{
    const struct plan_window *w = &r->windows[r->window];
    struct rank_result res;
    int rc;

    if (r->rank == 0 && !r->opt.quiet && r->window == 0)
        fprintf(stderr,
                "ocpagg: %lld input rows in %zu chunks from %zu file(s)"
                "%s; %d rank(s) x %d thread(s)\n",
                (long long)r->plan.total_rows, r->plan.nchunks, r->plan.nfiles,
                r->plan.pruned_row_groups > 0 ? " (some row groups pruned by date)" : "", r->nranks,
                r->nthreads);
    if (r->rank == 0 && !r->opt.quiet && r->nwindows > 1) {
        char a[16], b[16];
        txt_format_date(w->first_day, a);
        txt_format_date(w->last_day, b);
        fprintf(stderr, "ocpagg: window %zu of %zu: days %s to %s, %lld input rows\n",
                r->window + 1, r->nwindows, a, b, (long long)w->rows);
    }
    /* Which days of the window ranks share (from the plan: the same on
     * every rank), before the chunks are shared out by day. */
    {
        int32_t *wd = NULL;
        size_t nwd = 0;
        int lrc;
        exchange_days_release(&r->days);
        lrc = plan_window_days(&r->plan, w, &wd, &nwd);
        if (lrc == OCP_OK)
            lrc = exchange_days_init(&r->days, wd, nwd, r->nranks, r->enc.split_days);
        free(wd);
        if (lrc != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    if (claim_board_window(r->board, &r->plan, w, &r->days, r->sweep) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    memset(&r->job, 0, sizeof r->job);
    r->job.cfg = &r->cfg;
    r->job.plan = &r->plan;
    r->job.rank = r->rank;
    r->job.nranks = r->nranks;
    r->job.quiet = r->opt.quiet;
    r->job.stop = &stop_requested;
    r->job.tp = &r->tp;
    r->job.settings.start_day = r->cfg.has_start_date ? r->cfg.start_date : INT32_MIN;
    r->job.settings.end_day = r->cfg.has_end_date ? r->cfg.end_date : INT32_MAX;
    r->job.settings.enabled = &r->keys;
    r->job.settings.strict = r->cfg.strict;
    r->job.settings.track_volume_nodes = r->plan.table_present[OCP_TABLE_STORAGE];
    /* Every row must lie on the day its row group's statistics give: the
     * plan trusted them (windows, which rank reads a chunk), so a file
     * whose statistics lie is refused however many ranks and windows
     * read it. */
    r->job.check_day = 1;
    r->t_mark = now_seconds();
    memset(&res, 0, sizeof res);
    r->partial = r->spare; /* taken over by execute_chunks */
    r->spare = NULL;
    rc = execute_chunks(&r->job, r->board, &r->partial, &res, err);
    r->res.rows += res.rows;
    r->res.chunks += res.chunks;
    r->res.chunks_stolen += res.chunks_stolen;
    r->res.read_seconds += res.read_seconds;
    r->res.merge_seconds += res.merge_seconds;
    r->res.threads = res.threads;
    /* What the readers freed stays with the process, as the finish's
     * buffers do between windows: on the project's VMs a page given back
     * returns to the host within seconds and costs 1-4 ns a byte to fault
     * in again (docs/running.md, "Windows of days"). */
    if (rc == OCP_OK && r->opt.verbose)
        fprintf(stderr,
                "ocpagg: rank %d: %lld rows in %ld chunk(s) (%ld from other ranks' "
                "lists) read and aggregated in %.2f s on %d thread(s); threads merged "
                "in %.2f s\n",
                r->rank, (long long)res.rows, res.chunks, res.chunks_stolen, res.read_seconds,
                res.threads, res.merge_seconds);
    if (rc == OCP_OK && res.bad_label_where[0] != '\0' && !r->opt.quiet) {
        struct agg_stats st;
        agg_partial_stats(r->partial, &st);
        fprintf(stderr,
                "ocpagg: rank %d: warning: %lld row(s) with malformed label text "
                "read as empty labels, first in %s\n",
                r->rank, (long long)st.bad_label_rows, res.bad_label_where);
    }
    r->sum.t_read += now_seconds() - r->t_mark;
    return rc;
}

/* The finish settings, once for all windows. */
static int phase_prepare(struct run *r, struct ocp_error *err)
{
    int rc = build_finish_settings(&r->cfg, &r->fs, &r->meta, err);
    /* Collective: every rank gets here (the plan phase agreed); the first
     * failure keeps its message. */
    int brc = claim_board_create(MPI_COMM_WORLD, r->plan.nchunks, r->cfg.steal_chunks, &r->board,
                                 rc == OCP_OK ? err : NULL);
    return rc != OCP_OK ? rc : brc;
}

/* Figures for the summary, after the last window. */
static int phase_figures(struct run *r, struct ocp_error *err)
{
    return summary_gather_read(&r->tp, &r->res, &r->stats, &r->sum, &r->figures, err);
}

/* Groups move to the rank that owns their day. */
static int phase_exchange(struct run *r, struct ocp_error *err)
{
    int rc = OCP_OK;
    r->t_mark = now_seconds();
    if (r->rank == 0 && !r->opt.quiet)
        fprintf(stderr, "ocpagg: read+aggregate done in %.2f s%s\n", r->sum.t_read,
                r->nranks > 1 ? "; exchanging groups by day between ranks" : "");
    if (r->nranks > 1) {
        /* Without the days from the plan, the ranks tell each other theirs. */
        if (!r->days.known && r->enc.split_days)
            rc = exchange_days_gather(&r->days, r->partial, &r->tp, r->enc.split_days, err);
        if (rc == OCP_OK) {
            r->moving_groups += exchange_count_moving(r->partial, &r->days, r->rank);
            rc = exchange_shuffle_by_day(r->partial, &r->days, &r->tp, &r->moved_bytes, err);
        }
    } else if (tp_poll(&r->tp))
        rc = stopped(err);
    if (rc == OCP_OK && r->nranks == 1)
        rc = fault_at("exchange", err);
    r->sum.t_reduce += now_seconds() - r->t_mark;
    return rc;
}

/* Every rank finishes its days; rank 0 streams them into the report
 * (under temporary names until the write phase commits it). */
static int phase_finish(struct run *r, struct ocp_error *err)
{
    int rc = OCP_OK;

    r->t_mark = now_seconds();
    if (r->rank == 0 && r->window == 0) {
        if (!r->opt.quiet)
            fprintf(stderr,
                    "ocpagg: finishing (labels, capacity, storage, unallocated) "
                    "on %d rank(s) x %d thread(s), writing %s\n",
                    r->nranks, r->nthreads,
                    r->enc.postgres ? "into PostgreSQL" : r->cfg.output_path);
        rc = out_open(&r->dest, &r->cfg, &r->enc, &r->meta, &r->pgo, err);
    }
    /* A rank 0 that could not open the report still takes part: its
     * failure reaches the others through the alert and the headers. */
    if (rc != OCP_OK)
        tp_alert(&r->tp, rc, err->message);
    rc = finish_days(r->partial, &r->days, &r->fs, &r->meta, &r->enc, r->nthreads, rc,
                     r->rank == 0 ? &r->dest : NULL, r->opt.quiet ? 0.0 : r->cfg.progress_seconds,
                     &r->tp, r->cfg.aws_source_uuid != NULL ? &r->aws_rows : NULL, &r->fmem,
                     &r->fres, err);
    if (rc == OCP_OK && r->opt.verbose)
        fprintf(stderr,
                "ocpagg: rank %d: %lld day(s) finished in %.2f s busy so far; %lld late "
                "hand-off(s)\n",
                r->rank, (long long)r->fres.days, r->fres.busy_seconds,
                (long long)r->fres.late_handoffs);
    r->sum.t_finish += now_seconds() - r->t_mark;
    /* What this window said about each node's role (rank 0 holds every
     * rank's node facts after the exchange). */
    if (rc == OCP_OK && r->rank == 0 && r->nwindows > 1 && r->partial != NULL) {
        if (r->roles == NULL && (r->roles = roles_log_create()) == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        if (rc == OCP_OK && roles_log_window(r->roles, r->partial, &r->fs, r->window) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "out of memory logging node roles");
    }
    /* The window's groups are done: keep their counts; the partial's
     * memory serves the next window (execute_chunks empties it). */
    {
        struct agg_stats st;
        int64_t pod = 0, sto = 0;
        int i;
        if (r->partial != NULL) {
            agg_partial_stats(r->partial, &st);
            for (i = 0; i < OCP_TABLE_COUNT; i++)
                r->stats.rows_read[i] += st.rows_read[i];
            r->stats.rows_out_of_range += st.rows_out_of_range;
            r->stats.rows_no_node += st.rows_no_node;
            r->stats.bad_label_rows += st.bad_label_rows;
            exchange_count_owned(r->partial, r->rank, r->nranks, &pod, &sto);
            r->owned[0] += pod;
            r->owned[1] += sto;
        }
        r->spare = r->partial;
        r->partial = NULL;
    }
    return rc;
}

/* After the last window: did every window give each node the role it
 * has over the whole run?  If not, the report written so far is wrong:
 * it is thrown away and the run is done again in one window. */
static int phase_roles(struct run *r, struct ocp_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = OCP_OK;

    r->redo = 0;
    if (r->nwindows <= 1)
        return OCP_OK;
    if (r->rank == 0) {
        buf = malloc(1);
        if (buf == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        else {
            buf[0] = (unsigned char)roles_log_differs(r->roles, &r->fs, r->redo_reason,
                                                      sizeof r->redo_reason);
            len = 1;
        }
    }
    rc = tp_bcast(&r->tp, &buf, &len, rc, 0, err);
    if (rc == OCP_OK && len != 1)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "bad roles verdict");
    if (rc == OCP_OK)
        r->redo = buf[0] != 0;
    free(buf);
    roles_log_destroy(r->roles);
    r->roles = NULL;
    if (rc != OCP_OK || !r->redo)
        return rc;
    if (r->rank == 0) {
        if (!r->opt.quiet)
            fprintf(stderr, "ocpagg: %s; doing the run again in one window\n", r->redo_reason);
        out_abort(&r->dest, "ocpagg: node roles differ between windows; redoing the run");
        out_release(&r->dest);
    }
    /* Everything the windows added up starts again. */
    free(r->windows);
    r->windows = malloc(sizeof *r->windows);
    if (r->windows == NULL) {
        r->nwindows = 0;
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    r->windows[0].first_day = INT32_MIN;
    r->windows[0].last_day = INT32_MAX;
    r->windows[0].rows = r->plan.total_rows;
    r->nwindows = 1;
    r->sum.windows_redone = 1;
    memset(&r->stats, 0, sizeof r->stats);
    memset(&r->owned, 0, sizeof r->owned);
    memset(&r->fres, 0, sizeof r->fres);
    r->res.rows = 0;
    r->res.read_seconds = 0;
    r->res.merge_seconds = 0;
    r->moving_groups = 0;
    r->moved_bytes = 0;
    r->aws_rows.len = 0;
    return OCP_OK;
}

/* OCP on AWS: after the finish, before the summary and the commit, so
 * the summary carries its counters (docs/aws.md). */
static int phase_aws(struct run *r, struct ocp_error *err)
{
    int rc;
    if (r->cfg.aws_source_uuid == NULL)
        return OCP_OK;
    if (r->rank == 0 && !r->opt.quiet)
        fprintf(stderr, "ocpagg: attributing the AWS CUR (%s) to the cluster\n", r->cfg.aws_table);
    rc = aws_step(&r->tp, &r->cfg, &r->aws_rows, OCP_OK,
                  r->rank == 0 && r->enc.postgres ? &r->dest : NULL, &r->aws, err);
    rpt_buf_release(&r->aws_rows);
    r->sum.aws_json = r->aws.counters_json;
    r->sum.t_aws = r->aws.seconds;
    if (rc == OCP_OK && r->rank == 0 && !r->opt.quiet)
        fprintf(stderr,
                "ocpagg: AWS step: %lld CUR rows, %lld report rows in %.2f s "
                "(%.0f CUR rows/s); AWS report: %s\n",
                (long long)r->aws.cur_rows, (long long)r->aws.report_rows, r->aws.seconds,
                r->aws.seconds > 0 ? (double)r->aws.cur_rows / r->aws.seconds : 0.0,
                r->aws.output_path != NULL ? r->aws.output_path : PG_AWS_TABLE);
    return rc;
}

/* Rank 0 writes the summary and commits the report; an earlier report
 * stays untouched until the commit. */
static int phase_write(struct run *r, struct ocp_error *err)
{
    int64_t counts[6], sent[4], expected;
    struct rpt_atomic summary;
    int rc;

    counts[0] = r->owned[0];
    counts[1] = r->owned[1];
    sent[0] = r->moving_groups;
    sent[1] = (int64_t)r->moved_bytes;
    sent[2] = (int64_t)(r->fres.busy_seconds * 1e6);
    sent[3] = r->fres.days;
    counts[2] = r->fres.pod_rows;
    counts[3] = r->fres.unallocated_rows;
    counts[4] = r->fres.storage_rows;
    counts[5] = r->fres.direct_bytes;
    memset(&summary, 0, sizeof summary);
    summary.fd = -1;
    rc = summary_gather_finish(&r->tp, counts, sent, &r->sum, r->figures, err);
    if (r->rank != 0 || rc != OCP_OK)
        return rc;
    r->t_mark = now_seconds();
    r->config_json = cfg_to_json(&r->cfg);
    r->sum.status = "ok";
    r->sum.config_json = r->config_json;
    r->sum.report_path = r->cfg.output_path;
    r->sum.report_writers = r->enc.postgres ? 0 : (r->fres.shared ? r->nranks : 1);
    r->sum.windows = (int64_t)r->nwindows;
    r->sum.nranks = r->nranks;
    r->sum.threads = r->res.threads;
    r->sum.total_rows = r->plan.total_rows;
    r->sum.pruned_row_groups = r->plan.pruned_row_groups;
    r->sum.per_rank = r->figures;
    r->sum.t_write = 0.0;
    r->sum.t_total = now_seconds() - r->t_begin;
    expected = r->sum.out_pod_rows + r->sum.out_unallocated_rows + r->sum.out_storage_rows;
    rc = fault_at("summary", err);
    if (rc == OCP_OK && stop_requested)
        rc = stopped(err);
    /* The database's COPY ends first so the summary can give its counts;
     * its transaction stays open until the commit below. */
    if (rc == OCP_OK)
        rc = out_end(&r->dest, expected, err);
    if (rc == OCP_OK && r->enc.postgres) {
        r->sum.has_postgres = 1;
        r->sum.pg_server_version = r->pgt.server_version;
        r->sum.pg_deleted_rows = r->dest.deleted;
        r->sum.pg_copied_rows = r->dest.copied;
        r->sum.pg_partitions_created = r->dest.partitions.created;
        r->sum.pg_rows_moved = r->dest.partitions.moved;
        r->sum.report_path = r->pgo.table != NULL ? r->pgo.table : PG_DEFAULT_TABLE;
        if (r->cfg.aws_source_uuid != NULL) {
            r->sum.has_aws_postgres = 1;
            r->sum.pg_aws_deleted_rows = r->dest.aws_deleted;
            r->sum.pg_aws_copied_rows = r->dest.aws_copied;
            r->sum.pg_aws_partitions_created = r->dest.aws_partitions.created;
            r->sum.pg_aws_rows_moved = r->dest.aws_partitions.moved;
        }
    }
    if (rc == OCP_OK)
        rc = summary_prepare(&r->sum, r->cfg.summary_path, &summary, err);
    if (rc == OCP_OK) {
        /* The report first, then its summary: a report that cannot be
         * put in place leaves the earlier report and summary as they
         * were. */
        rc = fault_at("commit", err);
        if (rc == OCP_OK)
            rc = out_commit(&r->dest, expected, err);
        if (rc != OCP_OK) {
            rpt_atomic_abort(&summary);
        } else {
            /* The AWS report appears right after the OCP report it was
             * attributed from. */
            rc = aws_step_commit(&r->aws, err);
            if (rc == OCP_OK)
                rc = rpt_atomic_commit(&summary, err);
            else
                rpt_atomic_abort(&summary);
            /* The report is new: an earlier summary would describe
             * another run (report and summary go together). */
            if (rc != OCP_OK)
                unlink(r->cfg.summary_path);
        }
    } else {
        aws_step_abort(&r->aws);
        out_abort(&r->dest, rc == OCP_ERR_INTERRUPTED ? "ocpagg: stopped by a signal"
                                                      : "ocpagg: the run failed");
    }
    out_release(&r->dest);
    return rc;
}

int main(int argc, char **argv)
{
    static struct run run = {.claims = {-1, -1, -1}};
    struct run *r = &run;
    struct ocp_error err;
    char msg[512] = "";
    int provided = MPI_THREAD_SINGLE, rc;

    runtime_before_init(argv);
    /* SERIALIZED: with input.hdf5_driver mpio, MPI-IO reads come from
     * whichever thread holds the HDF5 lock, one at a time. */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &r->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &r->nranks);
    r->t_begin = now_seconds();
    ocp_error_clear(&err);
    cfg_init(&r->cfg);
    lbl_keys_init(&r->keys);
    install_signals();
    /* The master thread makes every MPI call while the others read;
     * that needs FUNNELED, the same answer on every rank. */
    if (provided < MPI_THREAD_FUNNELED) {
        if (r->rank == 0)
            fprintf(stderr, "ocpagg: this MPI does not support MPI_THREAD_FUNNELED\n");
        cfg_release(&r->cfg);
        runtime_finalize();
        return OCP_ERR_SOFTWARE;
    }
    rc = options_parse(argc, argv, &r->opt, msg, sizeof msg);
    if (rc == OCP_OK)
        rc = fault_init(r->rank, &err);
    if (rc == OCP_OK && tp_init(&r->tp, MPI_COMM_WORLD, &stop_requested, &continued,
                                r->opt.stall_seconds) != OCP_OK)
        rc = OCP_ERR_OSERR;
    r->tp.cleanup = abort_stream;
    r->tp.cleanup_ctx = r;
    if (rc != OCP_OK) {
        /* Every rank sees the same command line and environment. */
        if (r->rank == 0)
            fprintf(stderr, "ocpagg: %s\n%s", msg[0] ? msg : err.message, "Try 'ocpagg --help'.\n");
        goto done;
    }
    if (r->opt.help || r->opt.version) {
        if (r->rank == 0) {
            if (r->opt.help)
                fputs(options_usage, stdout);
            else
                printf("ocpagg %s\n", OCPAGG_VERSION);
        }
        goto done;
    }

    if ((rc = step(r, phase_config(r, &err), &err)) != OCP_OK)
        goto done;
    if ((rc = step(r, phase_plan(r, &err), &err)) != OCP_OK)
        goto done;
    if ((rc = step(r, phase_prepare(r, &err), &err)) != OCP_OK)
        goto done;
    /* One window of days after the other (one window unless the input is
     * large and its row groups say their days). */
    do {
        for (r->window = 0; r->window < r->nwindows; r->window++) {
            if ((rc = step(r, phase_read(r, &err), &err)) != OCP_OK)
                goto done;
            if ((rc = step(r, phase_exchange(r, &err), &err)) != OCP_OK)
                goto done;
            if ((rc = step(r, phase_finish(r, &err), &err)) != OCP_OK)
                goto done;
        }
        if ((rc = step(r, phase_roles(r, &err), &err)) != OCP_OK)
            goto done;
        r->sweep++;
    } while (r->redo);
    agg_partial_destroy(r->spare);
    r->spare = NULL;
    if ((rc = step(r, phase_figures(r, &err), &err)) != OCP_OK)
        goto done;
    if ((rc = step(r, phase_aws(r, &err), &err)) != OCP_OK)
        goto done;
    if ((rc = step(r, phase_write(r, &err), &err)) != OCP_OK)
        goto done;
    if (r->rank == 0 && !r->opt.quiet)
        print_done(r);

done:
    print_verdict(r);
    aws_step_abort(&r->aws);
    if (out_is_open(&r->dest)) {
        out_abort(&r->dest, "ocpagg: the job stopped");
        out_release(&r->dest);
    }
    if (r->tp.alert_sreq != NULL)
        tp_finalize(&r->tp);
    free(r->config_json);
    rpt_buf_release(&r->aws_rows);
    aws_step_result_release(&r->aws);
    /* The board's window is freed collectively only by a job that ends
     * well: a failed job's peers may never get here. */
    claim_board_destroy(r->board, rc == OCP_OK);
    finish_mem_destroy(r->fmem);
    exchange_days_release(&r->days);
    free(r->windows);
    roles_log_destroy(r->roles);
    free(r->figures);
    free(r->pg_ids);
    free_finish_settings(&r->fs);
    agg_partial_destroy(r->partial);
    agg_partial_destroy(r->spare);
    plan_release(&r->plan);
    lbl_keys_release(&r->keys);
    cfg_release(&r->cfg);
    options_release(&r->opt);
    for (size_t i = 0; i < sizeof r->claims / sizeof r->claims[0]; i++)
        rpt_output_unclaim(&r->claims[i]);
    runtime_finalize();
    return rc;
}
