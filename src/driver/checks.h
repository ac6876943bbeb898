/* checks.h - what the job checks before any heavy work, so a run that
 * cannot end well fails early with its own message (driver only). */
#ifndef OCPAGG_DRIVER_CHECKS_H
#define OCPAGG_DRIVER_CHECKS_H

#include "ocpagg/error.h"

struct run;

/* Rank 0, after plan_build: the report, the summary and (with the AWS
 * step) the OCP-on-AWS report must be this run's own: none of them an
 * input or one another (rpt_output_check).  OCP_ERR_OSERR when out of
 * memory, else rpt_output_check's status. */
int check_outputs(struct run *r, struct ocp_error *err);

/* Rank 0, output.format postgres, before the plan: the pre-flight against
 * the database, changing nothing (each problem on its own line on
 * stderr), the AWS table's too when aws.source_uuid is set.  Fills
 * r->pg_ids, r->pgo, r->pgt and r->enc.periods. */
int check_postgres(struct run *r, struct ocp_error *err);

/* Every rank, before OpenMP starts its threads: starts and joins
 * nthreads - 1 threads with OMP_STACKSIZE's stack, so a process that
 * cannot have them fails with OCP_ERR_OSERR (71) and a message instead of
 * libgomp's exit 1. */
int check_threads(int nthreads, struct ocp_error *err);

#endif
