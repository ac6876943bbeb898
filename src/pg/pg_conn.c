/* pg_conn.c - connecting, the conninfo check, quoting and server errors.
 *
 * The conninfo may come from the config (after ${VAR} expansion), so it
 * is never repeated in a message: a password would be printed with it.
 * Passwords are refused in it altogether (they belong in .pgpass or the
 * service file, which libpq reads itself). */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

const char *pgi_table(const struct pg_options *o)
{
    return o->table != NULL && o->table[0] != '\0' ? o->table : PG_DEFAULT_TABLE;
}

int pg_check_conninfo(const char *conninfo, struct ocp_error *err)
{
    PQconninfoOption *opts, *opt;
    char *errmsg = NULL;
    int has_password = 0;

    if (conninfo == NULL || conninfo[0] == '\0')
        return OCP_OK;
    opts = PQconninfoParse(conninfo, &errmsg);
    if (opts == NULL) {
        /* libpq's message may quote a piece of the string (which could be
         * a secret), so only its absence of memory is told apart. */
        int oom = errmsg == NULL;
        PQfreemem(errmsg);
        if (oom)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                                 "out of memory parsing "
                                 "output.postgres.conninfo");
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "key 'output.postgres.conninfo': not a valid "
                             "libpq connection string (keyword=value ... or "
                             "postgresql:// URI); the text is not repeated "
                             "here since it may hold secrets");
    }
    for (opt = opts; opt->keyword != NULL; opt++)
        if (strcmp(opt->keyword, "password") == 0 && opt->val != NULL && opt->val[0] != '\0')
            has_password = 1;
    PQconninfoFree(opts);
    if (has_password)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "key 'output.postgres.conninfo': holds a "
                             "password; put it in ~/.pgpass (or the file "
                             "PGPASSFILE / passfile= names) or the service "
                             "file instead");
    return OCP_OK;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int pgi_connect(const struct pg_options *o, PGconn **out, struct ocp_error *err)
{
    /* The session runs in UTC (set below) so that report periods, stored
     * as timestamptz at UTC midnight, compare with plain dates.
     * The conninfo goes in as dbname with expand_dbname, so it may be
     * keyword=value text or a URI; what it leaves unset comes from the
     * PG* environment, the service file and .pgpass.  Later keywords win
     * over the expanded conninfo, so client_encoding is always UTF8 (jsonb
     * and the UTF-8 checks assume it). */
    const char *keys[] = {"dbname", "client_encoding", "fallback_application_name", NULL};
    const char *vals[] = {o->conninfo != NULL ? o->conninfo : "", "UTF8", "ocpagg", NULL};
    PGconn *conn;
    int rc;

    *out = NULL;
    if ((rc = pg_check_conninfo(o->conninfo, err)) != OCP_OK)
        return rc;
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                             "out of memory connecting to PostgreSQL");
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[400];
        size_t n;
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (msg[i] == '\n')
                msg[i] = ' ';
        PQfinish(conn);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, NULL, -1, NULL,
                             "cannot connect to PostgreSQL: %s", msg);
    }
    {
        const char *enc = PQparameterStatus(conn, "client_encoding");
        if (enc == NULL || strcmp(enc, "UTF8") != 0) {
            PQfinish(conn);
            return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                                 "key 'output.postgres.conninfo': the "
                                 "connection must use client_encoding UTF8");
        }
    }
    {
        PGresult *res = PQexec(conn, "SET TimeZone = 'UTC'");
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            rc = pgi_fail(err, OCP_ERR_CANTCREAT, conn, res, "setting the session time zone");
        PQclear(res);
        if (!ok) {
            PQfinish(conn);
            return rc;
        }
    }
    /* Server notices (CREATE TABLE IF NOT EXISTS "already exists,
     * skipping" and the like) are not the user's concern. */
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    *out = conn;
    return OCP_OK;
}

char *pgi_qname(PGconn *conn, const char *schema, const char *name)
{
    char *s = PQescapeIdentifier(conn, schema, strlen(schema));
    char *t = PQescapeIdentifier(conn, name, strlen(name));
    char *q = NULL;
    if (s != NULL && t != NULL) {
        size_t n = strlen(s) + strlen(t) + 2;
        q = malloc(n);
        if (q != NULL)
            snprintf(q, n, "%s.%s", s, t);
    }
    PQfreemem(s);
    PQfreemem(t);
    return q;
}

char *pgi_literal(PGconn *conn, const char *s)
{
    char *l = PQescapeLiteral(conn, s, strlen(s));
    char *c = NULL;
    if (l != NULL) {
        size_t n = strlen(l) + 1;
        c = malloc(n);
        if (c != NULL)
            memcpy(c, l, n);
    }
    PQfreemem(l);
    return c;
}

/* Copies s into buf as one line of at most size-1 bytes. */
static void one_line(char *buf, size_t size, const char *s)
{
    size_t n = 0;
    if (size == 0)
        return;
    for (; s != NULL && *s && n + 1 < size; s++)
        buf[n++] = (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s;
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
}

int pgi_fail(struct ocp_error *err, int code, PGconn *conn, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    char msg[220], det[120], where[96], column[64];
    const char *p;

    column[0] = where[0] = det[0] = '\0';
    if (primary != NULL)
        one_line(msg, sizeof msg, primary);
    else if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
        one_line(msg, sizeof msg, PQresultErrorMessage(res));
    else
        one_line(msg, sizeof msg, conn ? PQerrorMessage(conn) : "no result");
    if (detail != NULL)
        one_line(det, sizeof det, detail);
    /* COPY's context is "COPY <table>, line N, column C: "value"" (or
     * "line N: "text"" for a whole-row error); line N of the stream is
     * row N of the report, since the COPY has no header line. */
    /* The COPY line may follow other context lines (a jsonb error puts
     * "JSON data, line 1: ..." first). */
    if (context != NULL && strncmp(context, "COPY ", 5) != 0) {
        const char *c = strstr(context, "\nCOPY ");
        context = c != NULL ? c + 1 : NULL;
    }
    /* A terminated session or lost connection is not about a row. */
    if (state != NULL && (strncmp(state, "57", 2) == 0 || strncmp(state, "08", 2) == 0))
        context = NULL;
    if (context != NULL && (p = strstr(context, ", line ")) != NULL) {
        long line = strtol(p + 7, NULL, 10);
        const char *c = strstr(p, ", column ");
        if (c != NULL) {
            size_t n = strcspn(c + 9, ":\n");
            if (n >= sizeof column)
                n = sizeof column - 1;
            memcpy(column, c + 9, n);
            column[n] = '\0';
        }
        snprintf(where, sizeof where, "report row %ld (COPY line %ld)%s%s", line, line,
                 column[0] ? ", column " : "", column);
    }
    return ocp_error_set(err, code, NULL, -1, column[0] ? column : NULL,
                         "%s: SQLSTATE %s: %s%s%s%s%s%s", what, state ? state : "none", msg,
                         where[0] ? " at " : "", where, det[0] ? " (" : "", det, det[0] ? ")" : "");
}

/* res when its statement succeeded; else the failure in err, res
 * cleared, NULL. */
static PGresult *succeeded(PGconn *conn, PGresult *res, int code, const char *what,
                           struct ocp_error *err)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    pgi_fail(err, code, conn, res, what);
    PQclear(res);
    return NULL;
}

PGresult *pgi_execp(PGconn *conn, const char *sql, int n, const char *const *params, int code,
                    const char *what, struct ocp_error *err)
{
    return succeeded(conn, PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0), code, what,
                     err);
}

/* PQexec, not PQexecParams with no parameters: callers may send several
 * statements in one string. */
PGresult *pgi_exec(PGconn *conn, const char *sql, int code, const char *what, struct ocp_error *err)
{
    return succeeded(conn, PQexec(conn, sql), code, what, err);
}

int32_t pgi_month_start(int32_t day)
{
    char text[11];
    int32_t d;
    txt_format_date(day, text);
    text[8] = '0';
    text[9] = '1';
    if (txt_parse_date(text, 10, &d) != 0)
        return day;
    return d;
}

int32_t pgi_next_month(int32_t day)
{
    int32_t first = pgi_month_start(day);
    return first + txt_days_in_month(first);
}

int pg_options_from_cfg(const struct cfg *c, struct pg_options *o, int64_t *ids, size_t cap,
                        struct ocp_error *err)
{
    memset(o, 0, sizeof *o);
    if (c->output_format != CFG_OUTPUT_POSTGRES)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_options_from_cfg: output.format is not "
                             "postgres");
    if (c->pg_schema == NULL || c->pg_schema[0] == '\0')
        return ocp_error_set(err, OCP_ERR_CONFIG, c->source_name, -1, NULL,
                             "key 'output.postgres.schema': required value "
                             "missing");
    if (!c->has_start_date || !c->has_end_date)
        return ocp_error_set(err, OCP_ERR_CONFIG, c->source_name, -1, NULL,
                             "key '%s': required with output.format postgres "
                             "(the DELETE covers exactly this range)",
                             c->has_start_date ? "end_date" : "start_date");
    if (cap < c->n_cost_categories)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_options_from_cfg: id array too small");
    o->conninfo = c->pg_conninfo;
    o->schema = c->pg_schema;
    o->table = c->pg_table;
    o->create_partitions = c->pg_create_partitions;
    o->lock_timeout_seconds = c->pg_lock_timeout_seconds;
    o->report_period_auto = c->pg_report_period_auto;
    o->report_period_id = c->pg_has_report_period_id ? c->pg_report_period_id : c->report_period_id;
    o->cluster_id = c->cluster_id;
    o->cluster_alias = c->cluster_alias;
    o->source_uuid = c->source_uuid;
    o->start_date = c->start_date;
    o->end_date = c->end_date;
    for (size_t i = 0; i < c->n_cost_categories; i++)
        ids[i] = c->cost_categories[i].id;
    o->cost_category_ids = ids;
    o->n_cost_category_ids = c->n_cost_categories;
    return OCP_OK;
}
