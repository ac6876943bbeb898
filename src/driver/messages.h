/* messages.h - the lines the job prints for the user about how it ended
 * (driver only). */
#ifndef OCPAGG_DRIVER_MESSAGES_H
#define OCPAGG_DRIVER_MESSAGES_H

#include "ocpagg/error.h"

struct run;

/* This rank's own failure on stderr, "ocpagg: [rank N: ]STATUS: text". */
void print_error(int rank, int nranks, const struct ocp_error *err);

/* Rank 0, a job that ended well: the rows, rates, phase times, peak
 * memory and where the report and the summary are, on stderr. */
void print_done(const struct run *r);

/* Rank 0's last word on a failed job: which rank, which signal or error
 * (nothing on other ranks or when the job succeeded). */
void print_verdict(const struct run *r);

#endif
