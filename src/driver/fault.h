/*
 * fault.h - test-only fault injection (driver only).
 *
 * OCPAGG_FAULT=PHASE:RANK:KIND makes rank RANK fail at PHASE as KIND, so
 * the tests can prove that every failure ends every rank promptly, with
 * the documented exit code and without leftovers.  A comma-separated
 * list sets faults on several ranks (one per rank), e.g. a rank whose days
 * wait for their offsets while another fails.  It is meant for tests
 * only (docs/running.md); unset, it costs one getenv at start-up.
 *   PHASE: plan, read (after the rank's first chunk, or when its reading
 *          ends if the other ranks took all its chunks), merge, exchange
 *          (inside the shuffle, first round), finish (inside the finish,
 *          after the first batch of days), write (rank 0: writing a block;
 *          others: sending one), summary, recv (a transport receive fails
 *          to allocate; KIND is ignored), aws (after reading the rank's
 *          share of the CUR, when the AWS step runs), share (the rank
 *          cannot open the shared CSV report: not a failure, rank 0 then
 *          writes every byte; KIND is ignored), awspg (rank 0,
 *          output.format postgres: after the AWS rows' COPY ended, before
 *          the commit), awsday (inside the AWS step's day walk, after the
 *          rank's first batch of days: blocks have gone out and rank 0 has
 *          written some), split (inside the shuffle, before the first
 *          round, which carries the split days' groups; only where days
 *          are split, see struct exchange_days), note (KIND slow: the
 *          rank takes a streamed day's offset note once 16 MiB of the
 *          day's text piled up, not before, waiting for it then, as when
 *          it comes late; KIND defer: never while the day is encoded, so
 *          that every day that needs a note waits for it after its
 *          encoding while the rank goes on; neither is a failure),
 *          vnodes (inside the shuffle, before the first of the rounds
 *          that carry the split days' volume nodes, after every group
 *          round; only where days are split).
 *   KIND:  data (65), alloc (71), write (74), kill (SIGKILL to itself),
 *          term (SIGTERM to itself), stop (SIGSTOP to itself), slow (not
 *          a failure: fault_delay sleeps; for the tests of steal_chunks),
 *          defer (phase note only, above).
 * A malformed value is a usage error (64), so a typo never passes a test.
 */
#ifndef OCPAGG_DRIVER_FAULT_H
#define OCPAGG_DRIVER_FAULT_H

#include "ocpagg/error.h"

/* Reads OCPAGG_FAULT for this rank; OCP_ERR_USAGE when malformed. */
int fault_init(int rank, struct ocp_error *err);

/* Kind slow: sleeps 30 ms each time any thread of the rank calls it at
 * PHASE (read: after every chunk, a rank on a slow core).  Thread-safe. */
void fault_delay(const char *phase);

/* At PHASE: OCP_OK, or the injected status with err filled.  Signal kinds
 * raise the signal and return OCP_OK (the signal does the rest).  Fires
 * once per run. */
int fault_at(const char *phase, struct ocp_error *err);

/* Phase note, for a streamed day whose offset note is still to come.
 * Kind slow: 1, leave it waiting (the day's text has not piled up to the
 * late threshold); 2, take it now, waiting for it if need be.  Kind
 * defer: always 1, so that the day waits for its note after its encoding
 * while the rank goes on with its next day (walk_shared).  0 without
 * either: take it when it is there. */
int fault_note(int piled_up);

/* 1 when this rank should act as if it could not open the shared CSV
 * report (phase share; KIND is ignored): the job falls back to rank 0
 * writing every byte, which is not a failure. */
int fault_share_refused(void);

/* 1 when this transport receive should fail to allocate (phase recv). */
int fault_recv_alloc(void);

#endif
