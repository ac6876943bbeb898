/* run.h - everything one run of the job holds (driver only): main.c's
 * phases work on it, and so do the pre-checks (checks.c) and the lines
 * the job prints for the user (messages.c) that read it. */
#ifndef OCPAGG_DRIVER_RUN_H
#define OCPAGG_DRIVER_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "driver/aws_step.h"
#include "driver/driver.h"
#include "driver/exchange.h"
#include "driver/finish.h"
#include "driver/options.h"
#include "driver/output.h"
#include "driver/summary.h"
#include "driver/transport.h"
#include "ocpagg/agg.h"
#include "ocpagg/config.h"
#include "ocpagg/error.h"
#include "ocpagg/labels.h"
#include "ocpagg/pg.h"
#include "ocpagg/report.h"

struct claim_board;
struct roles_log;

/* Everything one run holds, so the phases are small functions. */
struct run {
    /* Rank 0's claims on its output files (rpt_output_claim), -1 when
     * none: the report, the summary, the AWS report. */
    int claims[3];
    int64_t moving_groups; /* groups this rank sent in the shuffle */
    uint64_t moved_bytes;  /* and their serialized bytes */
    /* Windows of days, worked through one after the other (plan_windows);
     * the counters below add up over the windows. */
    struct plan_window *windows;
    size_t nwindows, window;
    struct agg_stats stats;  /* this rank's input counters */
    int64_t owned[2];        /* pod and storage groups of its days */
    struct roles_log *roles; /* rank 0, several windows: node roles */
    int redo;                /* node roles differ: redo in one window */
    char redo_reason[OCP_ERROR_MSG_MAX];
    struct options opt;
    struct cfg cfg;
    struct plan plan;
    struct lbl_keys keys;
    struct tp tp;
    struct job job;
    struct rank_result res;
    struct agg_partial *partial;
    struct agg_partial *spare; /* the last window's partial, emptied and
                                  reused by the next (execute_chunks) */
    struct agg_finish_settings fs;
    struct rpt_meta meta;
    struct run_summary sum;
    struct rank_figures *figures;
    struct out_encoding enc; /* how days become blocks, on every rank */
    struct out_dest dest;    /* rank 0, from the finish to the commit */
    struct pg_options pgo;   /* postgres: rank 0 */
    struct pg_target pgt;
    int64_t *pg_ids;
    struct finish_result fres;
    struct finish_mem *fmem;   /* the finish's memory, kept across windows */
    struct claim_board *board; /* who reads which chunk (claim.h) */
    unsigned sweep;            /* passes over the windows (the roles' rerun) */
    struct exchange_days days; /* the current window's: who finishes what */
    int rank, nranks, nthreads;
    double t_begin, t_mark;
    char *config_json;
    struct tp_verdict verdict;
    /* OCP on AWS (aws_step.c): when aws.source_uuid is set */
    struct rpt_buf aws_rows; /* this rank's finished rows for it */
    struct aws_step_result aws;
};

#endif
