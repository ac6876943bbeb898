/*
 * error.h - the error record every fallible ocpagg function fills.
 *
 * Functions return an enum ocp_status (0 on success) and, when given a
 * non-NULL struct ocp_error, describe the failure there: which file, row
 * group and column it concerns and a one-line message.  The status values
 * are sysexits-style so the driver can exit with them directly.
 */
#ifndef OCPAGG_ERROR_H
#define OCPAGG_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes; the non-zero ones double as process exit codes. */
enum ocp_status {
    OCP_OK = 0,
    OCP_ERR_USAGE = 64,       /* bad command line */
    OCP_ERR_DATA = 65,        /* corrupt, truncated or ill-typed input */
    OCP_ERR_NOINPUT = 66,     /* an input file or table is missing */
    OCP_ERR_SOFTWARE = 70,    /* an internal invariant failed */
    OCP_ERR_OSERR = 71,       /* out of memory or another OS failure */
    OCP_ERR_CANTCREAT = 73,   /* the output cannot be created */
    OCP_ERR_IOERR = 74,       /* reading or writing failed */
    OCP_ERR_CONFIG = 78,      /* bad configuration */
    OCP_ERR_UNSUPPORTED = 69, /* valid input using a feature we do not read */
    OCP_ERR_INTERRUPTED = 75  /* stopped by a signal before finishing */
};

#define OCP_ERROR_MSG_MAX 512
#define OCP_ERROR_PATH_MAX 1024

/* Where and why something failed.  row_group is -1 and column is empty
 * when they do not apply. */
struct ocp_error {
    int code;
    int64_t row_group;
    char file[OCP_ERROR_PATH_MAX];
    char column[128];
    char message[OCP_ERROR_MSG_MAX];
};

/* Clears an error record to "no error". */
void ocp_error_clear(struct ocp_error *err);

/* Records an error (when err is non-NULL) and returns code, so callers can
 * write `return ocp_error_set(err, OCP_ERR_DATA, ...)`.  file and column may
 * be NULL; row_group is -1 when not applicable. */
int ocp_error_set(struct ocp_error *err, int code, const char *file, int64_t row_group,
                  const char *column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Fills in file / row group / column on an error that lacks them, so an
 * outer layer can add context without overwriting what an inner one said. */
void ocp_error_context(struct ocp_error *err, const char *file, int64_t row_group,
                       const char *column);

/* Replaces the control bytes of the NUL-terminated s: a newline, carriage
 * return or tab with a space, any other (below 0x20, and 0x7f) with '?',
 * so that text quoted from a file, a server, the environment or the
 * command line keeps a message on one line.  ocp_error_set does this to
 * what it records. */
void ocp_error_oneline(char *s);

/* Formats the error as one line: "file: row group N: column C: message". */
void ocp_error_format(const struct ocp_error *err, char *buf, size_t size);

/* A short name for a status code ("data error", "config error", ...). */
const char *ocp_status_name(int code);

#ifdef __cplusplus
}
#endif
#endif
