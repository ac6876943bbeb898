/* aws_step.h - the OCP-on-AWS step of the job (issue 14; driver only). */
#ifndef OCPAGG_DRIVER_AWS_STEP_H
#define OCPAGG_DRIVER_AWS_STEP_H

#include "driver/output.h"
#include "driver/transport.h"
#include "ocpagg/config.h"
#include "ocpagg/report.h"

struct aws_step_result {
    char *counters_json;   /* rank 0: malloc'd counters (aws_counters_json) */
    char *output_path;     /* rank 0: the report's final name */
    char *pending_path;    /* rank 0: written here, renamed to output_path
                              by aws_step_commit after the OCP commit */
    struct aws_sink *sink; /* rank 0, during the step: the report being
                              written (aborted by aws_step_abort) */
    int64_t cur_rows, report_rows;
    double seconds;
};

/* Collective, after the OCP finish.  rows: this rank's finished OCP rows
 * (aws_ocp_encode form: the rows of the days this rank owns).  The ranks
 * agree on the run days and the match sets, read their shares of the CUR
 * files (file i to rank i mod nranks), send each rank the daily rows of
 * its days, attribute their own days (src/aws) and send them to rank 0 in
 * day order; rank 0 writes the report under a temporary name (committed
 * with the OCP report by aws_step_commit).  status is this rank's
 * status on entry; failures travel in the transport's headers.  db (rank
 * 0 with output.format postgres, else NULL) is the open OCP destination:
 * the AWS rows then go into Koku's table in its transaction (out_aws_*),
 * and to a file only when aws.output is set.  Returns this rank's status
 * (TP_PEER when another rank failed). */
int aws_step(struct tp *t, const struct cfg *cfg, const struct rpt_buf *rows, int status,
             struct out_dest *db, struct aws_step_result *res, struct ocp_error *err);

/* Rank 0, after the OCP report committed: renames the AWS report into
 * place (and syncs its folder), so both reports appear together. */
int aws_step_commit(struct aws_step_result *res, struct ocp_error *err);

/* Removes a pending AWS report that was not committed. */
void aws_step_abort(struct aws_step_result *res);

void aws_step_result_release(struct aws_step_result *res);

#endif
