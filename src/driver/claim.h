/*
 * claim.h - chunks handed out at run time among the ranks of one node
 * (driver only).
 *
 * plan_share gives every rank a list of chunks, balanced by rows and
 * placed by day so that little moves in the exchange.  Rows are not time:
 * the cores of one machine do not run at one speed (a virtual machine's
 * cores drift apart by a third and back within minutes, turbo differs by
 * core), and a rank on a slow core kept the others waiting at the end of
 * every window.  So each rank reads its own list front to back, and a
 * rank whose list is done takes chunks its node's other ranks have not
 * started, from the back of their lists (the ones they would have read
 * last).  Each list is ordered so that its back holds the chunks whose
 * groups move in the exchange anyway (a split day's, or another rank's
 * day's): taking those costs the exchange nothing.  A chunk of the
 * victim's own day is taken only while the victim has at least two
 * others still free (claim.c, STEAL_OWN_MIN), and the first of a run (one
 * table's chunks of one day) only while it has six, or fewer as it has
 * been slower than the thief (STEAL_FIRST_MIN):
 * such a theft costs the thief the run's group inserts and the exchange
 * their trip back, more than the victim's last few chunks would take it
 * to read.  The report does not depend on who read what: sums are exact,
 * every other merge is order-free, and the exchange sends every group to
 * the rank of its day wherever it was read.
 *
 * A chunk is claimed once: one 32-bit word per chunk in memory the node's
 * ranks share (an MPI shared-memory window), taken by compare-and-swap
 * from the sweep's "free" value to its "taken" value, so no message and
 * no MPI call is involved while reading.  Ranks of other nodes are never
 * taken from (their chunks' words are not shared with this node).
 *
 * Ownership: claim_board_create / claim_board_destroy.
 */
#ifndef OCPAGG_DRIVER_CLAIM_H
#define OCPAGG_DRIVER_CLAIM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/driver.h"
#include "ocpagg/error.h"

struct exchange_days;
struct claim_board;

/* Collective over comm: a board for a plan of nchunks chunks.  With steal
 * 0 (or one rank on this node) every rank reads exactly its own list, as
 * plan_share gives it.  OCP_ERR_OSERR when out of memory. */
int claim_board_create(MPI_Comm comm, size_t nchunks, int steal, struct claim_board **out,
                       struct ocp_error *err);

/* Frees b (NULL is fine).  collective: also frees the shared window,
 * which every rank of comm must then do; a job that failed passes 0 and
 * leaves the window to MPI_Finalize (a peer may never get here). */
void claim_board_destroy(struct claim_board *b, int collective);

/* Starts window w: every local rank's list from one plan_share (the same
 * on every rank).  sweep counts the passes over the windows (0, then 1 when
 * the roles' rerun reads them again).  Not thread-safe; call it before
 * any claim of the window.  OCP_ERR_OSERR when out of memory. */
int claim_board_window(struct claim_board *b, const struct plan *p, const struct plan_window *w,
                       const struct exchange_days *days, unsigned sweep);

/* Thread-safe.  The next chunk this rank reads (an index into the plan's
 * chunks) in *chunk: its own list's next, else another local rank's last
 * unclaimed one (*stolen 1).  Returns 0 when nothing is left to claim. */
int claim_next(struct claim_board *b, size_t *chunk, int *stolen);

/* The rows of this rank's own list of the window. */
int64_t claim_own_rows(const struct claim_board *b);

/* Whether any local rank's list of the window holds a chunk (this rank
 * may read one). */
int claim_any(const struct claim_board *b);

#endif
