/* checks.c - the checks before any heavy work: the outputs, the database
 * and the threads.  Each turns a failure the run would meet late (or that
 * would end it without a word) into an early one with its message, and
 * none changes anything; they are apart from main.c's phases, which call
 * them. */
#include "driver/checks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/run.h"
#include "ocpagg/aws.h"

/* The output paths against each other, the inputs and what is there. */
static int check_paths(struct run *r, struct ocp_error *err)
{
    struct rpt_output_spec spec;
    const char **inputs = malloc((r->plan.nfiles + 2) * sizeof *inputs);
    char aws_mark[128];
    size_t i;
    int rc;

    if (inputs == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    inputs[0] = r->cfg.input_path;
    for (i = 0; i < r->plan.nfiles; i++)
        inputs[i + 1] = r->plan.files[i];
    /* The config file is read by this run like its data: no output may
     * take its place (-o config.yaml would write the report over it). */
    inputs[r->plan.nfiles + 1] = r->opt.config;
    memset(&spec, 0, sizeof spec);
    if (r->enc.postgres) {
        /* The report goes to the database; the summary is the only file. */
        spec.report_path = r->cfg.summary_path;
        spec.report_key = "output.summary";
    } else {
        spec.report_path = r->cfg.output_path;
        spec.report_key = "output.path";
        spec.summary_path = r->cfg.summary_path;
        spec.summary_key = "output.summary";
        if (r->cfg.summary_derived) {
            spec.summary_derived_from = "output.path";
            spec.summary_mark = RPT_SUMMARY_MARK;
        }
    }
    spec.partitioned = r->cfg.output_format == CFG_OUTPUT_PARQUET && r->cfg.output_partitioned;
    spec.inputs = inputs;
    spec.ninputs = r->plan.nfiles + 2;
    rc = rpt_output_check(&spec, err);
    if (rc == OCP_OK && r->cfg.aws_source_uuid != NULL) {
        /* The OCP-on-AWS report is an output too: checked against the
         * inputs, the summary and the OCP report like they are against
         * each other. */
        char *aws = cfg_aws_output_path(&r->cfg);
        if (aws == NULL && r->enc.postgres && r->cfg.aws_output == NULL) {
            /* postgres without aws.output: the AWS rows go to the table
             * only, no file to check. */
            free(inputs);
            return rc;
        }
        if (aws == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        if (rc == OCP_OK) {
            size_t n = strlen(aws);
            spec.report_path = aws;
            spec.report_key = "aws.output";
            spec.partitioned = 0;
            spec.summary_path = r->cfg.summary_path;
            spec.summary_key = "output.summary";
            /* Its default name comes from output.path: an existing file
             * there must be an earlier AWS report (Parquet's magic, or
             * the CSV header's first columns). */
            if (r->cfg.aws_output == NULL) {
                snprintf(aws_mark, sizeof aws_mark, "%s,%s,", aws_column_names[0],
                         aws_column_names[1]);
                spec.report_derived_from = "output.path";
                spec.report_mark =
                    n > 8 && strcmp(aws + n - 8, ".parquet") == 0 ? "PAR1" : aws_mark;
            }
            rc = rpt_output_check(&spec, err);
            spec.report_derived_from = spec.report_mark = NULL;
            spec.summary_derived_from = spec.summary_mark = NULL;
        }
        if (rc == OCP_OK && !r->enc.postgres) {
            int partitioned =
                r->cfg.output_format == CFG_OUTPUT_PARQUET && r->cfg.output_partitioned;
            spec.report_path = partitioned ? r->cfg.output_path : aws;
            spec.report_key = partitioned ? "output.path" : "aws.output";
            spec.partitioned = partitioned;
            spec.summary_path = partitioned ? aws : r->cfg.output_path;
            spec.summary_key = partitioned ? "aws.output" : "output.path";
            rc = rpt_output_check(&spec, err);
        }
        free(aws);
    }
    free(inputs);
    return rc;
}

/* Rank 0: the outputs must be this run's own before any heavy work, and
 * no other run on this host may be writing them (a report with another
 * run's summary otherwise).  Claimed once every check passed. */
int check_outputs(struct run *r, struct ocp_error *err)
{
    int rc = check_paths(r, err);
    char *aws = NULL;

    if (rc == OCP_OK && r->enc.postgres)
        rc = rpt_output_claim(r->cfg.summary_path, "output.summary", &r->claims[1], err);
    if (rc == OCP_OK && !r->enc.postgres) {
        rc = rpt_output_claim(r->cfg.output_path, "output.path", &r->claims[0], err);
        if (rc == OCP_OK)
            rc = rpt_output_claim(r->cfg.summary_path, "output.summary", &r->claims[1], err);
    }
    if (rc == OCP_OK && r->cfg.aws_source_uuid != NULL &&
        (!r->enc.postgres || r->cfg.aws_output != NULL)) {
        if ((aws = cfg_aws_output_path(&r->cfg)) == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        else
            rc = rpt_output_claim(aws, "aws.output", &r->claims[2], err);
        free(aws);
    }
    return rc;
}

/* Rank 0, postgres with the AWS step: the AWS table's pre-flight, with
 * the configured bill and account alias ids (deferred foreign keys). */
static int pg_aws_check(struct run *r, struct ocp_error *err)
{
    char **pairs = NULL;
    size_t npairs = 0, i;
    int64_t *ids;
    int rc;

    if (cfg_aws_split(r->cfg.aws_account_aliases, &pairs, &npairs) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    ids = calloc(npairs + 1, sizeof *ids);
    if (ids == NULL) {
        cfg_aws_split_free(pairs, npairs);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    for (i = 0; i < npairs; i++) {
        const char *eq = strchr(pairs[i], '='); /* cfg_aws.c checked the form */
        ids[i] = eq != NULL ? strtoll(eq + 1, NULL, 10) : 0;
    }
    rc = pg_aws_preflight(&r->pgo, &r->pgt.periods, r->cfg.aws_has_bill_id, r->cfg.aws_bill_id, ids,
                          npairs, stderr, err);
    free(ids);
    cfg_aws_split_free(pairs, npairs);
    return rc;
}

/* Rank 0, postgres: the pre-flight against the database, changing
 * nothing, before any heavy work (each problem on its own line). */
int check_postgres(struct run *r, struct ocp_error *err)
{
    int rc;

    r->pg_ids = calloc(r->cfg.n_cost_categories + 1, sizeof *r->pg_ids);
    if (r->pg_ids == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    rc = pg_options_from_cfg(&r->cfg, &r->pgo, r->pg_ids, r->cfg.n_cost_categories, err);
    if (rc == OCP_OK)
        rc = pg_preflight(&r->pgo, &r->pgt, stderr, err);
    if (rc == OCP_OK && r->cfg.aws_source_uuid != NULL)
        rc = pg_aws_check(r, err);
    if (rc == OCP_OK)
        r->enc.periods = r->pgt.periods;
    return rc;
}

static void *idle_thread(void *arg)
{
    return arg;
}

/* libgomp ends the process with exit 1 when it cannot create a thread;
 * starting (and joining) as many threads up front, with the stack size
 * OpenMP will use, turns that into a memory error (71) we can report. */
int check_threads(int nthreads, struct ocp_error *err)
{
    pthread_t *th;
    pthread_attr_t attr;
    const char *ss = getenv("OMP_STACKSIZE");
    int i, started = 0, rc = OCP_OK;

    if (nthreads <= 1)
        return OCP_OK;
    th = calloc((size_t)nthreads, sizeof *th);
    if (th == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    pthread_attr_init(&attr);
    if (ss != NULL) {
        char *end;
        double v = strtod(ss, &end);
        size_t mul = 1024; /* OpenMP's default unit is KiB */
        if (*end == 'B' || *end == 'b')
            mul = 1;
        else if (*end == 'M' || *end == 'm')
            mul = (size_t)1 << 20;
        else if (*end == 'G' || *end == 'g')
            mul = (size_t)1 << 30;
        if (v > 0)
            pthread_attr_setstacksize(&attr, (size_t)(v * (double)mul));
    }
    for (i = 1; i < nthreads; i++) {
        int e = pthread_create(&th[i], &attr, idle_thread, NULL);
        if (e != 0) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                               "cannot start %d threads (%s); lower the key 'threads' or "
                               "OMP_NUM_THREADS",
                               nthreads, strerror(e));
            break;
        }
        started = i;
    }
    for (i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    pthread_attr_destroy(&attr);
    free(th);
    return rc;
}
