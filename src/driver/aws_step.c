/* aws_step.c - the OCP-on-AWS step (issue 14) after the OCP finish.
 *
 * Design (docs/aws.md): a day's attribution needs that day's OCP summary
 * rows, that day's daily CUR rows and the run-wide match sets (§1.4,
 * small).  After the OCP finish every rank holds the summary rows of its
 * own days (exchange_day_owner), so the attribution runs there:
 *   1. every rank sends rank 0 its first and last day and the match sets
 *      of its rows; rank 0 sends every rank the run days and all sets;
 *   2. every rank reads its share of the CUR files into an exact,
 *      mergeable partial (src/aws) and sends each rank the daily rows of
 *      that rank's days (an all-to-all of byte images; the reading
 *      counters go to rank 0 only, so they count once);
 *   3. every rank attributes its days (a batch of one day per thread at a
 *      time) and sends each day's rows and counters to rank 0 as a block;
 *      rank 0 takes the blocks in day order and hands them to the AWS
 *      sink (aws_sink_*), the one place that writes the report.
 * The result is the same for any number of ranks, threads or file order:
 * sums are exact, maxima order-free, a day's rows sorted, the days and
 * counters taken in day order. */
#include "driver/aws_step.h"
#include "driver/aws_sink.h"

#include <unistd.h>

#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/fault.h"
#include <errno.h>

#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/aws.h"

#define TAG_AWS_SETS 31
#define TAG_AWS_PARTIAL 32
#define TAG_AWS_BLOCK 33

int aws_step_commit(struct aws_step_result *res, struct ocp_error *err)
{
    char *dir, *slash;
    if (res->pending_path == NULL)
        return OCP_OK;
    if (rename(res->pending_path, res->output_path) != 0) {
        int e = errno;
        aws_step_abort(res);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, res->output_path, -1, NULL,
                             "cannot rename the AWS report into place: %s", strerror(e));
    }
    free(res->pending_path);
    res->pending_path = NULL;
    dir = strdup(res->output_path);
    if (dir != NULL) {
        slash = strrchr(dir, '/');
        if (slash == NULL)
            strcpy(dir, ".");
        else if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        (void)rpt_fsync_dir(dir);
        free(dir);
    }
    return OCP_OK;
}

void aws_step_abort(struct aws_step_result *res)
{
    if (res->sink != NULL)
        aws_sink_abort(res->sink);
    if (res->pending_path != NULL) {
        unlink(res->pending_path);
        free(res->pending_path);
        res->pending_path = NULL;
    }
}

void aws_step_result_release(struct aws_step_result *res)
{
    aws_step_abort(res);
    aws_sink_free(res->sink);
    free(res->counters_json);
    free(res->output_path);
    memset(res, 0, sizeof *res);
}

static char *cur_path(const struct cfg *cfg)
{
    const char *tb = cfg->aws_table, *in = cfg->input_path ? cfg->input_path : ".";
    size_t n;
    char *p;
    if (tb[0] == '/')
        return strdup(tb);
    n = strlen(in) + strlen(tb) + 2;
    p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", in, tb);
    return p;
}

/* The settings from the config; the arrays are malloc'd into *keys etc. */
static int settings(const struct cfg *cfg, struct aws_settings *s, char ***aws_keys, size_t *naws,
                    char ***pairs, size_t *npairs, struct aws_alias **aliases,
                    struct ocp_error *err)
{
    size_t i;
    memset(s, 0, sizeof *s);
    s->cluster_id = cfg->cluster_id;
    s->cluster_alias = cfg->cluster_alias ? cfg->cluster_alias : cfg->cluster_id;
    s->source_uuid = cfg->aws_source_uuid;
    s->report_period_id = cfg->report_period_id;
    s->has_bill_id = cfg->aws_has_bill_id;
    s->bill_id = cfg->aws_bill_id;
    s->markup_percent = cfg->aws_markup_percent;
    s->distribution_memory = cfg->aws_distribution_memory;
    s->ocp_keys = (const char *const *)cfg->tag_keys;
    s->n_ocp_keys = cfg->n_tag_keys;
    if (cfg_aws_split(cfg->aws_tag_keys, aws_keys, naws) != OCP_OK ||
        cfg_aws_split(cfg->aws_account_aliases, pairs, npairs) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    s->aws_keys = (const char *const *)*aws_keys;
    s->n_aws_keys = *naws;
    *aliases = calloc(*npairs + 1, sizeof **aliases);
    if (*aliases == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    for (i = 0; i < *npairs; i++) {
        char *eq = strchr((*pairs)[i], '=');
        char *v;
        if (eq == NULL) /* cfg_aws.c checked the form */
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, "aws.account_aliases",
                                 "item without '='");
        *eq = '\0';
        v = eq + 1;
        while (*v == ' ')
            v++;
        {
            size_t kl = strlen((*pairs)[i]);
            while (kl > 0 && (*pairs)[i][kl - 1] == ' ')
                (*pairs)[i][--kl] = '\0';
        }
        (*aliases)[i].account_id = (*pairs)[i];
        (*aliases)[i].alias_id = strtoll(v, NULL, 10);
    }
    s->aliases = *aliases;
    s->n_aliases = *npairs;
    return OCP_OK;
}

/* ---- the step ---- */

static int oom(struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
}

/* rc, or lrc when rc is still OCP_OK. */
static int first(int rc, int lrc)
{
    return rc == OCP_OK ? lrc : rc;
}

struct owner_ctx {
    int rank, nranks;
};

static int owned_by(int32_t day, void *ctx)
{
    const struct owner_ctx *o = ctx;
    return exchange_day_owner(day, o->nranks) == o->rank;
}

/* Step 1: the run days and the run-wide match sets, on every rank.  Each
 * rank sends rank 0 its rows' first and last day and its match sets (of
 * the configured days; without dates every row counts); rank 0 sends back
 * the window and all sets.  *sets is malloc'd. */
static int window_and_sets(struct tp *t, const struct cfg *cfg, const struct rpt_table *ocp, int rc,
                           int32_t win[2], unsigned char **sets, size_t *nsets,
                           struct ocp_error *err)
{
    struct rpt_buf b = {0};
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    size_t i;
    int r;

    *sets = NULL;
    *nsets = 0;
    for (i = 0; i < ocp->count; i++) {
        if (ocp->rows[i].usage_day < lo)
            lo = ocp->rows[i].usage_day;
        if (ocp->rows[i].usage_day > hi)
            hi = ocp->rows[i].usage_day;
    }
    if (rc == OCP_OK && rpt_buf_reserve(&b, 8) != OCP_OK)
        rc = oom(err);
    if (rc == OCP_OK) {
        memcpy(b.data, &lo, 4);
        memcpy(b.data + 4, &hi, 4);
        b.len = 8;
        /* One rank holds every row: its own sets are the run's. */
        if (t->nranks > 1 &&
            aws_match_encode(ocp, cfg->has_start_date ? cfg->start_date : INT32_MIN,
                             cfg->has_end_date ? cfg->end_date : INT32_MAX, &b) != OCP_OK)
            rc = oom(err);
    }
    if (t->rank == 0) {
        /* Rank 0's own part first, then the others' in rank order: the
         * sets are the same whatever the order. */
        for (r = 1; r < t->nranks; r++) {
            unsigned char *m = NULL;
            size_t len = 0;
            int lrc = tp_recv(t, &m, &len, rc, r, TAG_AWS_SETS, err);
            if (rc == OCP_OK && lrc == OCP_OK && len < 8)
                lrc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "bad AWS match sets");
            if (rc == OCP_OK && lrc == OCP_OK) {
                int32_t l, h;
                memcpy(&l, m, 4);
                memcpy(&h, m + 4, 4);
                lo = l < lo ? l : lo;
                hi = h > hi ? h : hi;
                if (rpt_buf_reserve(&b, len - 8) != OCP_OK)
                    lrc = oom(err);
                else {
                    memcpy(b.data + b.len, m + 8, len - 8);
                    b.len += len - 8;
                }
            }
            free(m);
            rc = first(rc, lrc);
        }
        if (rc == OCP_OK) {
            win[0] = cfg->has_start_date ? cfg->start_date : lo;
            win[1] = cfg->has_end_date ? cfg->end_date : hi;
            if (win[0] > win[1]) { /* no OCP rows: an empty window */
                win[0] = 0;
                win[1] = -1;
            }
            memcpy(b.data, win, 8);
        }
    } else {
        rc = first(rc, tp_send(t, b.data, b.len, rc, 0, TAG_AWS_SETS, err));
        rpt_buf_release(&b);
    }
    {
        unsigned char *d = (unsigned char *)b.data;
        size_t len = b.len;
        int lrc = tp_bcast(t, &d, &len, rc, 0, err);
        rc = first(rc, lrc);
        if (rc == OCP_OK && len < 8)
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "bad AWS run window");
        if (rc == OCP_OK) {
            memcpy(win, d, 8);
            *nsets = len - 8;
            *sets = malloc(*nsets + 1);
            if (*sets == NULL)
                rc = oom(err);
            else
                memcpy(*sets, d + 8, *nsets);
        }
        if (t->rank != 0)
            free(d);
        else
            rpt_buf_release(&b);
    }
    return rc;
}

/* Step 2: every rank's share of the CUR files, then each rank's days to
 * that rank (round k: send to rank + k, receive from rank - k).  *mine
 * receives the daily rows of this rank's days; the reading counters go
 * only into rank 0's, so there they are the run's. */
static int read_and_share(struct tp *t, const struct cfg *cfg, int rc, const int32_t win[2],
                          struct aws_partial **mine, double *t_read, struct ocp_error *err)
{
    struct aws_partial *p = NULL;
    struct owner_ctx own;
    struct rpt_buf b = {0};
    char *cur = NULL;
    int k;

    *mine = NULL;
    own.nranks = t->nranks;
    if (rc == OCP_OK && (cur = cur_path(cfg)) == NULL)
        rc = oom(err);
    if (rc == OCP_OK)
        rc = aws_partial_create(&p, win[0], win[1], cfg->strict, err);
    if (rc == OCP_OK)
        rc = aws_partial_create(mine, win[0], win[1], cfg->strict, err);
    if (rc == OCP_OK)
        rc = aws_partial_read_dataset(p, cur, t->rank, t->nranks, err);
    if (rc == OCP_OK)
        rc = fault_at("aws", err);
    tp_failed(t, rc, err);
    *t_read = now_seconds();
    /* This rank's own days first (with its counters on rank 0). */
    if (rc == OCP_OK) {
        own.rank = t->rank;
        if (aws_partial_serialize_days(p, owned_by, &own, t->rank == 0, &b, err) != OCP_OK)
            rc = oom(err);
        else
            rc = aws_partial_merge_bytes(*mine, (const unsigned char *)b.data, b.len, err);
    }
    for (k = 1; k < t->nranks; k++) {
        int to = (t->rank + k) % t->nranks, from = (t->rank - k + t->nranks) % t->nranks;
        unsigned char *rb = NULL;
        size_t rlen = 0;
        int lrc;
        b.len = 0;
        if (rc == OCP_OK)
            rc = tp_stop_status(t, err);
        if (rc == OCP_OK) {
            own.rank = to;
            rc = aws_partial_serialize_days(p, owned_by, &own, to == 0, &b, err);
        }
        lrc = tp_swap(t, (const unsigned char *)b.data, b.len, rc, to, &rb, &rlen, from,
                      TAG_AWS_PARTIAL, err);
        if (rc == OCP_OK && lrc == OCP_OK)
            lrc = aws_partial_merge_bytes(*mine, rb, rlen, err);
        free(rb);
        rc = first(rc, lrc);
        tp_failed(t, rc, err);
    }
    rpt_buf_release(&b);
    aws_partial_free(p);
    free(cur);
    return rc;
}

/* A batch of this rank's days, attributed on threads and encoded. */
struct batch {
    struct rpt_buf *block; /* per day of the batch */
    struct aws_table *tb;  /* per day: the rows, when kept (not encoded) */
    struct aws_counters *c;
    int keep; /* rank 0, Parquet: hand the tables to the sink */
    struct ocp_error *err;
    int *status;
    size_t first, count; /* into the rank's window days */
};

static int batch_alloc(struct batch *b, int nthreads, int keep)
{
    int i;
    memset(b, 0, sizeof *b);
    b->block = calloc((size_t)nthreads, sizeof *b->block);
    b->tb = calloc((size_t)nthreads, sizeof *b->tb);
    b->c = calloc((size_t)nthreads, sizeof *b->c);
    b->err = calloc((size_t)nthreads, sizeof *b->err);
    b->status = calloc((size_t)nthreads, sizeof *b->status);
    b->keep = keep;
    if (b->block == NULL || b->tb == NULL || b->c == NULL || b->err == NULL || b->status == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < nthreads; i++)
        aws_table_init(&b->tb[i]);
    return OCP_OK;
}

static void batch_free(struct batch *b, int nthreads)
{
    int i;
    for (i = 0; b->block != NULL && i < nthreads; i++)
        rpt_buf_release(&b->block[i]);
    for (i = 0; b->tb != NULL && i < nthreads; i++)
        aws_table_release(&b->tb[i]);
    free(b->block);
    free(b->tb);
    free(b->c);
    free(b->err);
    free(b->status);
    memset(b, 0, sizeof *b);
}

/* Rank 0: a finished batch of its own days, handed to the sink in order. */
struct pending {
    struct batch *b;
    struct aws_sink *sink;
    int csv, rc;
    struct ocp_error err;
};

static int sink_batch_item(struct aws_sink *sink, struct batch *b, size_t i, int csv,
                           struct ocp_error *err)
{
    if (!csv)
        return aws_sink_day(sink, &b->tb[i], &b->c[i], NULL, 0, err);
    return aws_sink_write(sink, (const unsigned char *)b->block[i].data, b->block[i].len, err);
}

/* Writes a day block another rank sent (tp_recv_write). */
static int sink_block(void *sink, const unsigned char *blk, size_t len, struct ocp_error *err)
{
    return aws_sink_write(sink, blk, len, err);
}

static void write_pending(struct pending *w)
{
    size_t i;
    w->rc = OCP_OK;
    for (i = 0; i < w->b->count && w->rc == OCP_OK; i++)
        w->rc = sink_batch_item(w->sink, w->b, i, w->csv, &w->err);
}

/* Attributes the batch's days on nthreads threads; with w, one thread
 * first hands the previous batch to the sink (then joins the days), so
 * writing overlaps the attribution when one rank holds every day. */
static int run_batch(const struct aws_prepared *a, const int32_t *days, struct batch *b,
                     int nthreads, int csv, struct pending *w, struct ocp_error *err)
{
    const int32_t *adays;
    size_t nadays = aws_prepared_days(a, &adays);
    int i, rc = OCP_OK;

#pragma omp parallel num_threads(nthreads)
    {
#pragma omp single nowait
        if (w != NULL)
            write_pending(w);
#pragma omp for schedule(dynamic, 1)
        for (i = 0; i < (int)b->count; i++) {
            int32_t day = days[b->first + (size_t)i];
            struct aws_table *tb = &b->tb[i];
            struct aws_counters *c = &b->c[i];
            size_t lo = 0, hi = nadays;
            /* The day's index among the prepared days (those with daily
             * rows); a day without any gives an empty block. */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (adays[mid] < day)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            aws_table_release(tb);
            aws_table_init(tb);
            memset(c, 0, sizeof *c);
            b->block[i].len = 0;
            ocp_error_clear(&b->err[i]);
            b->status[i] = lo < nadays && adays[lo] == day
                               ? aws_attribute_day(a, lo, tb, c, &b->err[i])
                               : OCP_OK;
            /* Rank 0's own Parquet days go to the sink as they are; every
             * other day travels (or, as CSV, is formatted here) as a block. */
            if (b->keep && !csv)
                continue;
            if (b->status[i] == OCP_OK && aws_block_encode(tb, c, csv, &b->block[i]) != OCP_OK)
                b->status[i] = oom(&b->err[i]);
            aws_table_release(tb);
            aws_table_init(tb);
        }
    }
    if (w != NULL && w->rc != OCP_OK) {
        rc = w->rc;
        *err = w->err;
    }
    for (i = 0; i < (int)b->count; i++)
        if (b->status[i] != OCP_OK && rc == OCP_OK) {
            rc = b->status[i];
            *err = b->err[i];
        }
    return rc;
}

int aws_step(struct tp *t, const struct cfg *cfg, const struct rpt_buf *rows, int status,
             struct out_dest *db, struct aws_step_result *res, struct ocp_error *err)
{
    double t0 = now_seconds(), tm[5] = {0};
    int rank = t->rank, size = t->nranks, rc = status;
    int nthreads = cfg->threads > 0 ? cfg->threads : omp_get_max_threads();
    struct rpt_table ocp;
    struct aws_partial *mine = NULL;
    struct aws_prepared *a = NULL;
    struct aws_settings s;
    struct aws_sink *sink = NULL;
    int csv = 1;
    char **keys = NULL, **pairs = NULL;
    size_t nkeys = 0, npairs = 0, ndays = 0, next = 0, taken = 0;
    struct aws_alias *aliases = NULL;
    unsigned char *sets = NULL;
    size_t nsets = 0;
    int32_t win[2] = {0, -1}, d, *days = NULL;
    struct batch b, b2;

    memset(res, 0, sizeof *res);
    memset(&b, 0, sizeof b);
    memset(&b2, 0, sizeof b2);
    rpt_table_init(&ocp);
    if (nthreads < 1)
        nthreads = 1;

    /* This rank's own days' summary rows (the OCP finish kept them). */
    if (rc == OCP_OK && rows->len > 0)
        rc = aws_ocp_decode((const unsigned char *)rows->data, rows->len, &ocp, err);
    if (rc == OCP_OK)
        rc = settings(cfg, &s, &keys, &nkeys, &pairs, &npairs, &aliases, err);
    /* The file carries the first month's period, as the OCP rows do;
     * the database rows get each month's (aws_sink.c). */
    if (rc == OCP_OK && out_aws_to_db(db) && db->periods->n > 0)
        s.report_period_id = db->periods->month[0].id;
    tp_failed(t, rc, err);
    /* 1. The run days and the match sets. */
    rc = window_and_sets(t, cfg, &ocp, rc, win, &sets, &nsets, err);
    tm[0] = now_seconds();
    /* 2. The CUR, read in shares and sent to the days' owners. */
    rc = read_and_share(t, cfg, rc, win, &mine, &tm[1], err);
    tm[2] = now_seconds();
    /* 3. Attribution on the days' owners; rank 0 writes in day order. */
    if (rc == OCP_OK)
        rc = aws_prepare_shared(mine, &ocp, sets, nsets, &s, &a, err);
    if (rc == OCP_OK) {
        /* Every rank encodes its days in the report's form: CSV text for
         * a CSV file, rows for Parquet and for the database (whose rows
         * rank 0 stamps with each month's report period). */
        char *path = cfg_aws_output_path(cfg);
        if (cfg->output_format == CFG_OUTPUT_POSTGRES)
            csv = 0;
        else if (path == NULL)
            rc = oom(err);
        else
            csv = !aws_sink_is_parquet(path);
        free(path);
    }
    if (rc == OCP_OK && rank == 0) {
        rc = aws_sink_open(&sink, cfg, &s, out_aws_to_db(db) ? db : NULL, res, err);
        res->sink = sink;
    }
    if (rc == OCP_OK && win[1] >= win[0]) {
        size_t n = (size_t)((int64_t)win[1] - win[0] + 1);
        days = malloc((n / (size_t)size + 1) * sizeof *days);
        if (days == NULL || batch_alloc(&b, nthreads, rank == 0) != OCP_OK ||
            (size == 1 && batch_alloc(&b2, nthreads, 1) != OCP_OK))
            rc = oom(err);
        for (d = win[0]; rc == OCP_OK && d <= win[1]; d++) {
            if (exchange_day_owner(d, size) == rank)
                days[ndays++] = d;
            if (d == INT32_MAX)
                break;
        }
    }
    tp_failed(t, rc, err);
    if (size == 1) {
        /* One rank: batch k is attributed while batch k-1 is written. */
        struct batch *cur = &b, *prev = &b2, *sw;
        struct pending w;
        int have_prev = 0;
        while (rc == OCP_OK && next < ndays) {
            rc = tp_stop_status(t, err);
            cur->first = next;
            cur->count = ndays - next < (size_t)nthreads ? ndays - next : (size_t)nthreads;
            next += cur->count;
            w.b = prev;
            w.sink = sink;
            w.csv = csv;
            if (rc == OCP_OK)
                rc = run_batch(a, days, cur, nthreads, csv, have_prev ? &w : NULL, err);
            if (rc == OCP_OK && cur->first > 0)
                rc = fault_at("awsday", err);
            have_prev = 1;
            sw = cur;
            cur = prev;
            prev = sw;
        }
        if (rc == OCP_OK && have_prev) {
            w.b = prev;
            write_pending(&w);
            if (w.rc != OCP_OK) {
                rc = w.rc;
                *err = w.err;
            }
        }
    }
    /* With several ranks, every rank walks every run day (the window is
     * the same everywhere):
     * rank 0 takes each day's block from its owner, the others send their
     * own.  Once a rank failed or was told to stop, it still walks the
     * days but sends (or, on rank 0, expects) failure headers only. */
    for (d = win[0]; size > 1 && d <= win[1]; d++) {
        int owner = exchange_day_owner(d, size);
        if (owner != rank) {
            if (rank == 0)
                rc = tp_recv_write(t, rc, owner, TAG_AWS_BLOCK, sink_block, sink, err);
        } else {
            if (taken == b.count) {
                b.first = next;
                b.count = ndays - next < (size_t)nthreads ? ndays - next : (size_t)nthreads;
                next += b.count;
                taken = 0;
                if (rc == OCP_OK)
                    rc = tp_stop_status(t, err);
                if (rc == OCP_OK) {
                    rc = run_batch(a, days, &b, nthreads, csv, NULL, err);
                    /* Tests: a failure mid-way, after blocks went out. */
                    if (rc == OCP_OK && b.first > 0)
                        rc = fault_at("awsday", err);
                    tp_failed(t, rc, err);
                }
            }
            if (rank == 0) {
                if (rc == OCP_OK)
                    rc = tp_stop_status(t, err);
                if (rc == OCP_OK)
                    rc = sink_batch_item(sink, &b, taken, csv, err);
                tp_failed(t, rc, err);
            } else {
                int lrc =
                    tp_send(t, b.block != NULL ? b.block[taken].data : NULL,
                            b.block != NULL ? b.block[taken].len : 0, rc, 0, TAG_AWS_BLOCK, err);
                rc = first(rc, lrc); /* rank 0 refused: it failed or stopped */
            }
            taken++;
        }
        if (d == INT32_MAX)
            break;
    }
    /* A signal or a peer's stop after this rank's last day still counts. */
    if (rc == OCP_OK)
        rc = tp_stop_status(t, err);
    tm[3] = now_seconds();
    if (rc == OCP_OK && rank == 0) {
        struct aws_read_counts read;
        aws_partial_counts(mine, &read);
        rc = aws_sink_close(sink, &read, res, err);
    }
    if (rc != OCP_OK)
        aws_step_abort(res);
    aws_sink_free(sink); /* closed or aborted by now */
    res->sink = NULL;
    tm[4] = now_seconds();
    if (rc == OCP_OK && rank == 0 && getenv("OCPAGG_AWS_TIMING") != NULL)
        fprintf(stderr,
                "ocpagg: AWS step: window and match sets %.2f s, CUR read %.2f s, "
                "daily rows to their days' ranks %.2f s, attribution %.2f s, "
                "write %.2f s\n",
                tm[0] - t0, tm[1] - tm[0], tm[2] - tm[1], tm[3] - tm[2], tm[4] - tm[3]);
    batch_free(&b, nthreads);
    batch_free(&b2, nthreads);
    free(days);
    aws_prepared_free(a);
    aws_partial_free(mine);
    free(sets);
    cfg_aws_split_free(keys, nkeys);
    cfg_aws_split_free(pairs, npairs);
    free(aliases);
    rpt_table_release(&ocp);
    res->seconds = now_seconds() - t0;
    return rc;
}
