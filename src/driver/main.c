/* main.c - the ocpagg MPI job: command line, phases, exit codes.
 *
 * Phases: config (rank 0 parses, everyone receives) -> plan (rank 0 reads
 * metadata, everyone receives the chunk list) -> read + aggregate (every
 * rank, OpenMP threads) -> reduce (binomial tree to rank 0) -> finish and
 * write (rank 0).  After each phase all ranks agree on a status with one
 * collective, so a failure anywhere ends the job everywhere with the same
 * exit code and never leaves a rank waiting. */
#include <errno.h>
#include <getopt.h>
#include <mpi.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/finish.h"
#include "driver/summary.h"
#include "ocpagg/text.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    stop_requested = sig;
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
}

static const char usage_text[] =
    "Usage: mpirun -np N ocpagg [--config FILE] [options]\n"
    "\n"
    "Builds the OpenShift daily usage summary (Koku's\n"
    "reporting_ocpusagelineitem_daily_summary) from usage line items.\n"
    "\n"
    "Options (each overrides the config key named in brackets):\n"
    "  -c, --config FILE        config file (default config/ocpagg.yaml)\n"
    "  -i, --input PATH         HDF5 file or Parquet root directory [input.path]\n"
    "      --input-format F     hdf5 or parquet [input.format]\n"
    "  -o, --output PATH        report file [output.path]\n"
    "      --format F           report format: csv or parquet [output.format]\n"
    "      --start YYYY-MM-DD   first day of the run [start_date]\n"
    "      --end YYYY-MM-DD     last day of the run [end_date]\n"
    "  -t, --threads N          OpenMP threads per rank [threads]\n"
    "      --chunk-rows N       rows per chunk [chunk_rows]\n"
    "      --strict             malformed label text is an error [strict]\n"
    "      --set KEY=VALUE      override any config key, e.g. --set cluster_id=c1\n"
    "  -q, --quiet              no progress or summary lines\n"
    "  -v, --verbose            more detail on stderr\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version\n"
    "\n"
    "Exit codes: 0 ok, 64 usage, 65 bad input data, 66 missing input,\n"
    "69 unsupported input feature, 70 internal error, 71 system error,\n"
    "73 cannot create output, 74 I/O error, 75 stopped by a signal,\n"
    "78 bad configuration.\n";

struct options {
    const char *config;
    char **keys, **values;
    int n;
    int quiet, verbose, help, version;
};

static int add_override(struct options *o, const char *key, const char *value)
{
    char **k = realloc(o->keys, (size_t)(o->n + 1) * sizeof *k);
    char **v;
    if (k == NULL)
        return -1;
    o->keys = k;
    v = realloc(o->values, (size_t)(o->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    o->values = v;
    o->keys[o->n] = strdup(key);
    o->values[o->n] = strdup(value);
    o->n++;
    return 0;
}

static void free_options(struct options *o)
{
    int i;
    for (i = 0; i < o->n; i++) {
        free(o->keys[i]);
        free(o->values[i]);
    }
    free(o->keys);
    free(o->values);
}

/* Returns OCP_OK, or OCP_ERR_USAGE with a message in msg. */
static int parse_args(int argc, char **argv, struct options *o, char *msg,
                      size_t msize)
{
    enum { OPT_FORMAT = 256, OPT_INPUT_FORMAT, OPT_START, OPT_END,
           OPT_CHUNK, OPT_STRICT, OPT_SET };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"start", required_argument, NULL, OPT_START},
        {"end", required_argument, NULL, OPT_END},
        {"threads", required_argument, NULL, 't'},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"set", required_argument, NULL, OPT_SET},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int c, bad = 0;

    memset(o, 0, sizeof *o);
    o->config = "config/ocpagg.yaml";
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:i:o:t:qvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'i': bad |= add_override(o, "input.path", optarg); break;
        case OPT_INPUT_FORMAT: bad |= add_override(o, "input.format", optarg); break;
        case 'o': bad |= add_override(o, "output.path", optarg); break;
        case OPT_FORMAT: bad |= add_override(o, "output.format", optarg); break;
        case OPT_START: bad |= add_override(o, "start_date", optarg); break;
        case OPT_END: bad |= add_override(o, "end_date", optarg); break;
        case 't': bad |= add_override(o, "threads", optarg); break;
        case OPT_CHUNK: bad |= add_override(o, "chunk_rows", optarg); break;
        case OPT_STRICT: bad |= add_override(o, "strict", "true"); break;
        case OPT_SET: {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg) {
                snprintf(msg, msize, "--set needs KEY=VALUE, got '%s'", optarg);
                return OCP_ERR_USAGE;
            }
            *eq = '\0';
            bad |= add_override(o, optarg, eq + 1);
            *eq = '=';
            break;
        }
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': o->help = 1; break;
        case 'V': o->version = 1; break;
        default:
            if (optopt != 0)
                snprintf(msg, msize, "option -%c is unknown or lacks its value", optopt);
            else
                snprintf(msg, msize, "option '%s' is unknown or lacks its value",
                         argv[optind - 1]);
            return OCP_ERR_USAGE;
        }
    }
    if (optind < argc) {
        snprintf(msg, msize, "unexpected argument '%s'", argv[optind]);
        return OCP_ERR_USAGE;
    }
    if (bad) {
        snprintf(msg, msize, "out of memory");
        return OCP_ERR_OSERR;
    }
    return OCP_OK;
}

/* Checks early that the report's directory takes a new file, so a job
 * does not read for minutes and then fail to write. */
static int check_output_writable(const char *path, struct ocp_error *err)
{
    size_t len = strlen(path);
    char *probe = malloc(len + 48);
    FILE *f;
    int rc = OCP_OK;

    if (probe == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    snprintf(probe, len + 48, "%s.probe.%ld", path, (long)getpid());
    f = fopen(probe, "w");
    if (f == NULL)
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                           "cannot create the report: %s", strerror(errno));
    else {
        fclose(f);
        unlink(probe);
    }
    free(probe);
    return rc;
}

static void print_error(int rank, int nranks, const struct ocp_error *err)
{
    char line[2048];
    ocp_error_format(err, line, sizeof line);
    if (nranks > 1)
        fprintf(stderr, "ocpagg: rank %d: %s: %s\n", rank,
                ocp_status_name(err->code), line);
    else
        fprintf(stderr, "ocpagg: %s: %s\n", ocp_status_name(err->code), line);
}

/* All ranks learn the worst status and which rank had it. */
static int agree(int code, int rank, int *who)
{
    int in[2] = {code, rank}, out[2];
    MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD);
    if (who != NULL)
        *who = out[1];
    return out[0];
}

static int load_config(const struct options *o, struct cfg *cfg,
                       struct ocp_error *err)
{
    int rc, i;
    rc = cfg_load_file(cfg, o->config, err);
    for (i = 0; rc == OCP_OK && i < o->n; i++)
        rc = cfg_set(cfg, o->keys[i], o->values[i], err);
    if (rc == OCP_OK)
        rc = cfg_validate(cfg, err);
    if (rc == OCP_OK)
        rc = check_output_writable(cfg->output_path, err);
    return rc;
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

int main(int argc, char **argv)
{
    struct options opt;
    struct cfg cfg;
    struct plan plan;
    struct ocp_error err;
    struct lbl_keys keys;
    struct job job;
    struct rank_result res;
    struct agg_partial *partial = NULL;
    struct rpt_table table;
    struct run_summary sum;
    struct rank_figures mine, *figures = NULL;
    struct agg_finish_settings fs;
    struct rpt_meta meta;
    unsigned char *buf = NULL;
    size_t len = 0, *mychunks = NULL, nmychunks = 0;
    int rank, nranks, provided, rc, who = 0;
    char msg[512] = "", warning[OCP_ERROR_PATH_MAX + 128] = "";
    char *config_json = NULL;
    double t_begin, t_mark;

    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    t_begin = now_seconds();
    ocp_error_clear(&err);
    cfg_init(&cfg);
    memset(&plan, 0, sizeof plan);
    memset(&res, 0, sizeof res);
    memset(&sum, 0, sizeof sum);
    rpt_table_init(&table);
    lbl_keys_init(&keys);
    memset(&fs, 0, sizeof fs);
    memset(&meta, 0, sizeof meta);
    install_signals();

    rc = parse_args(argc, argv, &opt, msg, sizeof msg);
    if (rc != OCP_OK) {
        if (rank == 0)
            fprintf(stderr, "ocpagg: %s\n%s", msg, "Try 'ocpagg --help'.\n");
        goto done;
    }
    if (opt.help || opt.version) {
        if (rank == 0) {
            if (opt.help)
                fputs(usage_text, stdout);
            else
                printf("ocpagg %s\n", OCPAGG_VERSION);
        }
        goto done;
    }

    /* Config: rank 0 parses and validates, everyone receives. */
    if (rank == 0) {
        rc = load_config(&opt, &cfg, &err);
        if (rc != OCP_OK)
            print_error(0, 1, &err);
        else if (cfg_serialize(&cfg, &buf, &len) != 0)
            rc = OCP_ERR_OSERR;
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != OCP_OK)
        goto done;
    if (exchange_bcast(&buf, &len, 0, MPI_COMM_WORLD) != 0 ||
        (rank != 0 && cfg_deserialize(&cfg, buf, len, &err) != OCP_OK))
        rc = OCP_ERR_SOFTWARE;
    free(buf);
    buf = NULL;
    if ((rc = agree(rc, rank, &who)) != OCP_OK)
        goto done;
    if (lbl_keys_add_many(&keys, (const char *const *)cfg.tag_keys,
                          cfg.n_tag_keys) != OCP_OK)
        rc = OCP_ERR_OSERR;
    if ((rc = agree(rc, rank, &who)) != OCP_OK)
        goto done;

    /* Plan: rank 0 reads metadata, everyone receives the chunk list. */
    t_mark = now_seconds();
    if (rank == 0) {
        if (!opt.quiet)
            fprintf(stderr, "ocpagg: planning %s input %s on %d rank(s)\n",
                    cfg.input_format == CFG_INPUT_HDF5 ? "HDF5" : "Parquet",
                    cfg.input_path, nranks);
        rc = plan_build(&cfg, &plan, warning, sizeof warning, &err);
        if (rc != OCP_OK)
            print_error(0, 1, &err);
        else {
            if (warning[0] != '\0' && !opt.quiet)
                fprintf(stderr, "ocpagg: warning: %s\n", warning);
            if (plan_serialize(&plan, &buf, &len) != OCP_OK)
                rc = OCP_ERR_OSERR;
        }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != OCP_OK)
        goto done;
    if (exchange_bcast(&buf, &len, 0, MPI_COMM_WORLD) != 0 ||
        (rank != 0 && plan_deserialize(&plan, buf, len) != OCP_OK))
        rc = OCP_ERR_SOFTWARE;
    free(buf);
    buf = NULL;
    if ((rc = agree(rc, rank, &who)) != OCP_OK)
        goto done;
    sum.t_plan = now_seconds() - t_mark;
    if (rank == 0 && !opt.quiet)
        fprintf(stderr,
                "ocpagg: %lld input rows in %zu chunks from %zu file(s)"
                "%s; %d rank(s) x %d thread(s)\n",
                (long long)plan.total_rows, plan.nchunks, plan.nfiles,
                plan.pruned_row_groups > 0 ? " (some row groups pruned by date)" : "",
                nranks, cfg.threads > 0 ? cfg.threads : omp_get_max_threads());

    /* Read and aggregate this rank's share. */
    memset(&job, 0, sizeof job);
    job.cfg = &cfg;
    job.plan = &plan;
    job.rank = rank;
    job.nranks = nranks;
    job.quiet = opt.quiet;
    job.stop = &stop_requested;
    job.settings.start_day = cfg.has_start_date ? cfg.start_date : INT32_MIN;
    job.settings.end_day = cfg.has_end_date ? cfg.end_date : INT32_MAX;
    job.settings.enabled = &keys;
    job.settings.strict = cfg.strict;
    job.settings.track_volume_nodes = plan.table_present[OCP_TABLE_STORAGE];
    if (plan_share(&plan, rank, nranks, &mychunks, &nmychunks) != OCP_OK)
        MPI_Abort(MPI_COMM_WORLD, OCP_ERR_OSERR);
    t_mark = now_seconds();
    rc = execute_chunks(&job, mychunks, nmychunks, &partial, &res, &err);
    if (rc != OCP_OK && rc != OCP_ERR_INTERRUPTED)
        print_error(rank, nranks, &err);
    if (rc == OCP_OK && opt.verbose)
        fprintf(stderr,
                "ocpagg: rank %d: %lld rows in %zu chunk(s) read and aggregated in "
                "%.2f s on %d thread(s); threads merged in %.2f s\n",
                rank, (long long)res.rows, nmychunks, res.read_seconds,
                res.threads, res.merge_seconds);
    if (rc == OCP_OK && res.bad_label_where[0] != '\0' && !opt.quiet) {
        struct agg_stats st;
        agg_partial_stats(partial, &st);
        fprintf(stderr,
                "ocpagg: rank %d: warning: %lld row(s) with malformed label text "
                "read as empty labels, first in %s\n",
                rank, (long long)st.bad_label_rows, res.bad_label_where);
    }
    if ((rc = agree(rc, rank, &who)) != OCP_OK)
        goto done;
    sum.t_read = now_seconds() - t_mark;

    /* Per-rank figures go to rank 0 for the summary. */
    mine.rows = res.rows;
    mine.read_seconds = res.read_seconds;
    mine.merge_seconds = res.merge_seconds;
    mine.peak_rss = peak_rss_bytes();
    if (rank == 0) {
        figures = calloc((size_t)nranks, sizeof *figures);
        if (figures == NULL)
            rc = OCP_ERR_OSERR;
    }
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, figures, (int)sizeof mine,
               MPI_BYTE, 0, MPI_COMM_WORLD);

    /* Counters are summed separately: the split finish below moves groups,
     * not counters. */
    {
        struct agg_stats st;
        int64_t in[OCP_TABLE_COUNT + 3], outv[OCP_TABLE_COUNT + 3];
        int t;
        agg_partial_stats(partial, &st);
        for (t = 0; t < OCP_TABLE_COUNT; t++)
            in[t] = st.rows_read[t];
        in[OCP_TABLE_COUNT] = st.rows_out_of_range;
        in[OCP_TABLE_COUNT + 1] = st.rows_no_node;
        in[OCP_TABLE_COUNT + 2] = st.bad_label_rows;
        MPI_Reduce(in, outv, OCP_TABLE_COUNT + 3, MPI_INT64_T, MPI_SUM, 0,
                   MPI_COMM_WORLD);
        memset(&sum.stats, 0, sizeof sum.stats);
        for (t = 0; t < OCP_TABLE_COUNT; t++)
            sum.stats.rows_read[t] = outv[t];
        sum.stats.rows_out_of_range = outv[OCP_TABLE_COUNT];
        sum.stats.rows_no_node = outv[OCP_TABLE_COUNT + 1];
        sum.stats.bad_label_rows = outv[OCP_TABLE_COUNT + 2];
    }
    rc = build_finish_settings(&cfg, &fs, &meta, &err);
    if (rc != OCP_OK)
        print_error(rank, nranks, &err);
    if ((rc = agree(rc, rank, &who)) != OCP_OK)
        goto done;

    if (cfg.output_format == CFG_OUTPUT_CSV) {
        /* Groups move to the rank that owns their day; every rank
         * finishes and formats its days; rank 0 streams the blocks into
         * the report in day order. */
        struct finish_result fres = {0, 0, 0};
        int64_t counts[5], totals[5];
        int nthreads = cfg.threads > 0 ? cfg.threads : omp_get_max_threads();

        t_mark = now_seconds();
        if (rank == 0 && !opt.quiet)
            fprintf(stderr, "ocpagg: read+aggregate done in %.2f s%s\n", sum.t_read,
                    nranks > 1 ? "; exchanging groups by day between ranks" : "");
        /* One rank owns every day already: no copy. */
        if (nranks > 1) {
            rc = exchange_shuffle_by_day(partial, MPI_COMM_WORLD, &err);
            if (rc != OCP_OK)
                print_error(rank, nranks, &err);
        }
        if ((rc = agree(rc, rank, &who)) != OCP_OK)
            goto done;
        sum.t_reduce = now_seconds() - t_mark;

        t_mark = now_seconds();
        if (rank == 0 && !opt.quiet)
            fprintf(stderr, "ocpagg: finishing (labels, capacity, storage, unallocated) "
                            "on %d rank(s) x %d thread(s), writing %s\n",
                    nranks, nthreads, cfg.output_path);
        rc = finish_stream_csv(partial, &fs, &meta, nthreads, cfg.output_path,
                               &stop_requested, opt.quiet ? 0.0 : cfg.progress_seconds,
                               MPI_COMM_WORLD, &fres, &err);
        if (rc != OCP_OK && rc != OCP_ERR_INTERRUPTED)
            print_error(rank, nranks, &err);
        exchange_count_owned(partial, rank, nranks, &counts[0], &counts[1]);
        counts[2] = fres.pod_rows;
        counts[3] = fres.unallocated_rows;
        counts[4] = fres.storage_rows;
        MPI_Reduce(counts, totals, 5, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
        if ((rc = agree(rc, rank, &who)) != OCP_OK)
            goto done;
        /* Finishing and writing overlap now; both count as finish. */
        sum.t_finish = now_seconds() - t_mark;
        sum.t_write = 0.0;
        if (rank == 0) {
            sum.stats.pod_groups = totals[0];
            sum.stats.storage_groups = totals[1];
            sum.out_pod_rows = totals[2];
            sum.out_unallocated_rows = totals[3];
            sum.out_storage_rows = totals[4];
        }
    } else {
        /* Parquet: reduce everything to rank 0, which finishes and writes. */
        t_mark = now_seconds();
        rc = exchange_reduce(partial, MPI_COMM_WORLD, &err);
        if (rc != OCP_OK)
            print_error(rank, nranks, &err);
        if ((rc = agree(rc, rank, &who)) != OCP_OK)
            goto done;
        sum.t_reduce = now_seconds() - t_mark;
        if (rank == 0) {
            struct agg_stats st;
            t_mark = now_seconds();
            rc = agg_finish(partial, &fs, &table, &err);
            sum.t_finish = now_seconds() - t_mark;
            if (rc == OCP_OK && stop_requested)
                rc = OCP_ERR_INTERRUPTED;
            t_mark = now_seconds();
            if (rc == OCP_OK)
                rc = rpt_write_parquet(&table, &meta, cfg.output_path,
                                       cfg.output_partitioned, &err);
            sum.t_write = now_seconds() - t_mark;
            agg_partial_stats(partial, &st);
            sum.stats.pod_groups = st.pod_groups;
            sum.stats.storage_groups = st.storage_groups;
            rpt_table_count_kinds(&table, &sum.out_pod_rows,
                                  &sum.out_unallocated_rows, &sum.out_storage_rows);
        }
    }

    /* Peak memory is known only now: the finish step allocates too. */
    {
        int64_t rss = peak_rss_bytes();
        int64_t *all = rank == 0 ? calloc((size_t)nranks, sizeof *all) : NULL;
        int r;
        MPI_Gather(&rss, 1, MPI_INT64_T, all, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
        for (r = 0; all != NULL && figures != NULL && r < nranks; r++)
            figures[r].peak_rss = all[r];
        free(all);
    }

    if (rank == 0) {
        if (rc == OCP_OK) {
            config_json = cfg_to_json(&cfg);
            sum.status = "ok";
            sum.config_json = config_json;
            sum.report_path = cfg.output_path;
            sum.nranks = nranks;
            sum.threads = res.threads;
            sum.total_rows = plan.total_rows;
            sum.pruned_row_groups = plan.pruned_row_groups;
            sum.per_rank = figures;
            sum.t_total = now_seconds() - t_begin;
            rc = summary_write(&sum, cfg.summary_path, &err);
            if (rc != OCP_OK)
                unlink(cfg.output_path); /* report and summary go together */
        }
        if (rc != OCP_OK && rc != OCP_ERR_INTERRUPTED)
            print_error(0, 1, &err);
        else if (rc == OCP_OK && !opt.quiet) {
            int64_t peak = 0;
            int r;
            for (r = 0; r < nranks; r++)
                if (figures[r].peak_rss > peak)
                    peak = figures[r].peak_rss;
            fprintf(stderr,
                    "ocpagg: done in %.2f s: %lld input rows (%.2f M rows/s), "
                    "%lld bad label rows, %lld report rows "
                    "(%lld pod, %lld unallocated, %lld storage)\n"
                    "ocpagg: phases: plan %.2f s, read+aggregate %.2f s, exchange %.2f s, "
                    "finish %.2f s, write %.2f s; peak RSS per rank %.1f MiB\n"
                    "ocpagg: report: %s\nocpagg: summary: %s\n",
                    sum.t_total, (long long)plan.total_rows,
                    sum.t_total > 0 ? (double)plan.total_rows / sum.t_total / 1e6 : 0.0,
                    (long long)sum.stats.bad_label_rows,
                    (long long)(sum.out_pod_rows + sum.out_unallocated_rows +
                                sum.out_storage_rows),
                    (long long)sum.out_pod_rows, (long long)sum.out_unallocated_rows,
                    (long long)sum.out_storage_rows, sum.t_plan, sum.t_read,
                    sum.t_reduce, sum.t_finish, sum.t_write,
                    (double)peak / 1048576.0, cfg.output_path, cfg.summary_path);
        }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);

done:
    if (rc == OCP_ERR_INTERRUPTED && rank == 0)
        fprintf(stderr, "ocpagg: stopped by signal %d before the report was "
                        "written; no report left behind\n", (int)stop_requested);
    else if (rc != OCP_OK && rank == 0 && who != 0)
        fprintf(stderr, "ocpagg: job stopped because rank %d failed (%s); "
                        "no report written\n", who, ocp_status_name(rc));
    free(config_json);
    free(mychunks);
    free(figures);
    free_finish_settings(&fs);
    agg_partial_destroy(partial);
    rpt_table_release(&table);
    plan_release(&plan);
    lbl_keys_release(&keys);
    cfg_release(&cfg);
    free_options(&opt);
    MPI_Finalize();
    return rc;
}
