/*
 * pg_internal.h - what the PostgreSQL output's files share: connecting,
 * quoting names, running a statement and turning a server error into an
 * ocp_error.
 */
#ifndef OCPAGG_PG_INTERNAL_H
#define OCPAGG_PG_INTERNAL_H

#include <libpq-fe.h>

#include "ocpagg/pg.h"

/* The table name in use (o->table or Koku's). */
const char *pgi_table(const struct pg_options *o);

/* Connects with o->conninfo (libpq's environment when empty), with
 * client_encoding UTF8, TimeZone UTC and application_name ocpagg.  A
 * conninfo with a password is OCP_ERR_CONFIG; a failed connection
 * OCP_ERR_CANTCREAT with libpq's message (which never holds a password,
 * since none may be configured). */
int pgi_connect(const struct pg_options *o, PGconn **out,
                struct ocp_error *err);

/* "schema"."name" quoted for SQL, malloc'd; NULL when out of memory. */
char *pgi_qname(PGconn *conn, const char *schema, const char *name);

/* A literal quoted for SQL, malloc'd; NULL when out of memory. */
char *pgi_literal(PGconn *conn, const char *s);

/* Records a failed statement: "<what>: SQLSTATE xxxxx: message (detail;
 * hint; context)".  When the error context names a COPY line and column
 * (COPY t, line N, column c), the message says "report row N" and the
 * column goes to err->column.  Returns code. */
int pgi_fail(struct ocp_error *err, int code, PGconn *conn,
             const PGresult *res, const char *what);

/* Runs sql (no parameters) and expects a command or tuples result;
 * returns the result (caller PQclear's) or NULL after recording the
 * failure with code. */
PGresult *pgi_exec(PGconn *conn, const char *sql, int code, const char *what,
                   struct ocp_error *err);

/* Like pgi_exec with text parameters. */
PGresult *pgi_execp(PGconn *conn, const char *sql, int n,
                    const char *const *params, int code, const char *what,
                    struct ocp_error *err);

/* The first day of the month of day, and of the next month. */
int32_t pgi_month_start(int32_t day);
int32_t pgi_next_month(int32_t day);

#endif
