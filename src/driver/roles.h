/* roles.h - node roles across windows of days (driver only).
 *
 * A node's role is a property of the node over the whole run (its largest
 * node_role, the apiserver and infra-label rules: SEMANTICS.md), but with
 * windows the days of the first window are finished before the later
 * days are read.  So rank 0 logs, per window, what the window's rows said
 * about each node and the role its days got; after the last window
 * roles_log_differs() merges the windows into the run's view and tells
 * whether any node's role in some window differs from its role over the
 * run.  Then the report written so far is wrong and the job redoes the
 * run in one window (main.c); on real clusters a node's role rarely
 * changes within a month, so that costs nothing in the common case.
 * Ownership: roles_log_create / roles_log_destroy. */
#ifndef OCPAGG_DRIVER_ROLES_H
#define OCPAGG_DRIVER_ROLES_H

#include <stddef.h>

#include "ocpagg/agg.h"

struct roles_log;

/* A new, empty log; NULL when out of memory. */
struct roles_log *roles_log_create(void);

void roles_log_destroy(struct roles_log *l);

/* Logs what p (one window's partial after the exchange, which holds every
 * rank's facts about the window's nodes) says about each node, and the
 * role the finish gives it.  OCP_ERR_OSERR when out of memory. */
int roles_log_window(struct roles_log *l, const struct agg_partial *p,
                     const struct agg_finish_settings *s, size_t window);

/* 1 when some node's role in a window differs from its role over the run
 * (msg then names the node, both roles and the window), else 0. */
int roles_log_differs(const struct roles_log *l, const struct agg_finish_settings *s, char *msg,
                      size_t msg_size);

#endif
