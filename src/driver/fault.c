/* fault.c - test-only fault injection; see fault.h. */
#include "driver/fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    int active, fired;
    char phase[32];
    char kind[16];
} fault;

/* One PHASE:RANK:KIND of the list, [v, v + len); kept when RANK is this
 * rank's. */
static int fault_one(const char *v, size_t len, int rank, struct ocp_error *err)
{
    char spec[64], phase[32], kind[16];
    int r, n = 0;
    static const char *const phases[] = {
        "plan",  "read",  "merge",  "exchange", "finish", "write",  "summary", "recv", "aws",
        "share", "awspg", "awsday", "split",    "note",   "vnodes", "commit",  NULL};
    static const char *const kinds[] = {"data", "alloc", "write", "kill", "term",
                                        "stop", "slow",  "defer", NULL};
    int pi, ki;

    if (len >= sizeof spec)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "OCPAGG_FAULT '%.*s' is not PHASE:RANK:KIND", (int)len, v);
    memcpy(spec, v, len);
    spec[len] = '\0';
    if (sscanf(spec, "%31[a-z]:%d:%15[a-z]%n", phase, &r, kind, &n) != 3 || spec[n] != '\0')
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "OCPAGG_FAULT '%s' is not PHASE:RANK:KIND", spec);
    for (pi = 0; phases[pi] != NULL && strcmp(phases[pi], phase) != 0; pi++)
        ;
    for (ki = 0; kinds[ki] != NULL && strcmp(kinds[ki], kind) != 0; ki++)
        ;
    if (phases[pi] == NULL || kinds[ki] == NULL)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "OCPAGG_FAULT '%s': unknown phase or kind", spec);
    if (r != rank)
        return OCP_OK;
    if (fault.active)
        return ocp_error_set(err, OCP_ERR_USAGE, NULL, -1, NULL,
                             "OCPAGG_FAULT: two faults for rank %d", rank);
    fault.active = 1;
    memcpy(fault.phase, phase, sizeof phase);
    memcpy(fault.kind, kind, sizeof kind);
    return OCP_OK;
}

int fault_init(int rank, struct ocp_error *err)
{
    const char *v = getenv("OCPAGG_FAULT"), *comma;
    int rc = OCP_OK;

    memset(&fault, 0, sizeof fault);
    if (v == NULL || v[0] == '\0')
        return OCP_OK;
    /* A comma-separated list, at most one fault per rank. */
    for (; rc == OCP_OK; v = comma + 1) {
        comma = strchr(v, ',');
        if (comma == NULL)
            comma = v + strlen(v);
        rc = fault_one(v, (size_t)(comma - v), rank, err);
        if (*comma == '\0')
            break;
    }
    return rc;
}

int fault_at(const char *phase, struct ocp_error *err)
{
    if (!fault.active || fault.fired || strcmp(fault.phase, phase) != 0)
        return OCP_OK;
    if (strcmp(fault.kind, "slow") == 0)
        return OCP_OK; /* not a failure: fault_delay */
    fault.fired = 1;
    if (strcmp(fault.kind, "data") == 0)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "injected data error at %s (OCPAGG_FAULT)", phase);
    if (strcmp(fault.kind, "alloc") == 0)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory (injected at %s by OCPAGG_FAULT)", phase);
    if (strcmp(fault.kind, "write") == 0)
        return ocp_error_set(err, OCP_ERR_IOERR, NULL, -1, NULL,
                             "write failed (injected at %s by OCPAGG_FAULT)", phase);
    fflush(stderr);
    if (strcmp(fault.kind, "kill") == 0)
        raise(SIGKILL);
    else if (strcmp(fault.kind, "term") == 0)
        raise(SIGTERM);
    else if (strcmp(fault.kind, "stop") == 0)
        raise(SIGSTOP);
    return OCP_OK;
}

void fault_delay(const char *phase)
{
    struct timespec ts = {0, 30 * 1000 * 1000};

    if (fault.active && strcmp(fault.kind, "slow") == 0 && strcmp(fault.phase, phase) == 0)
        nanosleep(&ts, NULL);
}

int fault_note(int piled_up)
{
    if (!fault.active || strcmp(fault.phase, "note") != 0)
        return 0;
    if (strcmp(fault.kind, "defer") == 0)
        return 1;
    if (strcmp(fault.kind, "slow") != 0)
        return 0;
    return piled_up ? 2 : 1;
}

int fault_share_refused(void)
{
    if (!fault.active || fault.fired || strcmp(fault.phase, "share") != 0)
        return 0;
    fault.fired = 1;
    return 1;
}

int fault_recv_alloc(void)
{
    if (!fault.active || fault.fired || strcmp(fault.phase, "recv") != 0)
        return 0;
    fault.fired = 1;
    return 1;
}
