/* pg_preflight.c - everything that can be checked about the target table
 * before the heavy work, without changing anything.  The monthly
 * partitions, which do change the database, are pg_partitions.c.
 *
 * Pre-flight reads only the catalogs and Koku's report-period and
 * cost-category tables.  The foreign keys of Koku's table are DEFERRABLE
 * INITIALLY DEFERRED, so a wrong report_period_id or cost_category_id
 * would otherwise fail only at COMMIT, after all the work. */
#include "pg_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

static const enum pgi_kind col_kinds[PG_COLUMN_COUNT] = {
    K_UUID, K_INT, K_TEXT, K_TEXT, K_TEXT, K_DATE, K_DATE, K_TEXT, K_TEXT, K_TEXT,
    K_JSON, K_NUM, K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,
    K_NUM,  K_NUM, K_NUM,  K_NUM,  K_NUM,  K_TEXT, K_TEXT, K_TEXT, K_JSON, K_JSON,
    K_NUM,  K_NUM, K_NUM,  K_NUM,  K_UUID, K_JSON, K_INT};

static int kind_accepts(enum pgi_kind k, const char *typname)
{
    static const char *const ok[][4] = {
        [K_UUID] = {"uuid", "text", "varchar", NULL},
        [K_TEXT] = {"varchar", "text", "bpchar", NULL},
        [K_DATE] = {"date", "timestamp", "timestamptz", NULL},
        [K_JSON] = {"jsonb", "json", "text", NULL},
        [K_NUM] = {"numeric", "float8", NULL, NULL},
        [K_INT] = {"int4", "int8", "numeric", NULL},
    };
    for (int i = 0; i < 4 && ok[k][i] != NULL; i++)
        if (strcmp(ok[k][i], typname) == 0)
            return 1;
    return 0;
}

static const char *kind_name(enum pgi_kind k)
{
    static const char *const names[] = {"uuid",  "varchar/text", "date",
                                        "jsonb", "numeric",      "integer"};
    return names[k];
}

/* Characters (UTF-8 code points) in s, as varchar(n) counts them. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void pgi_problem(struct pgi_checks *ck, int code, const char *fmt, ...)
{
    char line[OCP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ck->report != NULL)
        fprintf(ck->report, "ocpagg: postgres pre-flight: %s\n", line);
    if (ck->count == 0)
        ocp_error_set(ck->err, code, NULL, -1, NULL, "%s", line);
    if (code == OCP_ERR_CONFIG)
        ck->config = 1;
    ck->count++;
}

int pgi_finish_checks(struct pgi_checks *ck)
{
    if (ck->count == 0)
        return OCP_OK;
    if (ck->err != NULL && ck->count > 1) {
        size_t n = strlen(ck->err->message);
        snprintf(ck->err->message + n, sizeof ck->err->message - n,
                 " (and %d more pre-flight problem%s)", ck->count - 1, ck->count > 2 ? "s" : "");
    }
    if (ck->err != NULL)
        ck->err->code = ck->config ? OCP_ERR_CONFIG : OCP_ERR_CANTCREAT;
    return ck->config ? OCP_ERR_CONFIG : OCP_ERR_CANTCREAT;
}

/* Runs a one-row, one-column query; the value (malloc'd) or NULL when
 * there is no row or the value is NULL.  *failed is set on an error. */
static char *query_value(PGconn *conn, const char *sql, int n, const char *const *params,
                         int *failed, struct ocp_error *err)
{
    PGresult *res = pgi_execp(conn, sql, n, params, OCP_ERR_CANTCREAT, "pre-flight query", err);
    char *v = NULL;
    if (res == NULL) {
        *failed = 1;
        return NULL;
    }
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
        const char *s = PQgetvalue(res, 0, 0);
        v = malloc(strlen(s) + 1);
        if (v != NULL)
            strcpy(v, s);
        else
            *failed = 1;
    }
    PQclear(res);
    return v;
}

/* Whether the relation named by the SQL literal `lit` exists: 1 yes, 0 no,
 * -1 when the query failed (reported as a problem of the run). */
int pgi_relation_exists(PGconn *conn, const char *lit, struct pgi_checks *ck)
{
    char sql[1024], *exists;
    int failed = 0, found;

    snprintf(sql, sizeof sql, "SELECT to_regclass(%s)::text", lit);
    exists = query_value(conn, sql, 0, NULL, &failed, &ck->scratch);
    found = exists != NULL;
    free(exists);
    if (failed) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        return -1;
    }
    return found;
}

static void check_columns(PGconn *conn, const char *oid, const char *qt, const struct pg_options *o,
                          const struct pgi_table_spec *spec, struct pgi_checks *ck)
{
    const char *params[1] = {oid};
    PGresult *res =
        pgi_execp(conn,
                  "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, "
                  "       a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '' "
                  "  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                  " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
                  1, params, OCP_ERR_CANTCREAT, "reading the table's columns", &ck->scratch);
    char missing[400];
    size_t used = 0;
    int nmissing = 0;

    if (res == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        return;
    }
    missing[0] = '\0';
    for (int c = 0; c < spec->ncols; c++) {
        int found = -1;
        for (int r = 0; r < PQntuples(res); r++)
            if (strcmp(PQgetvalue(res, r, 0), spec->cols[c]) == 0)
                found = r;
        if (found < 0) {
            int w = snprintf(missing + used, sizeof missing - used, "%s%s", nmissing ? ", " : "",
                             spec->cols[c]);
            if (w > 0 && (size_t)w < sizeof missing - used)
                used += (size_t)w;
            nmissing++;
            continue;
        }
        if (!kind_accepts(spec->kinds[c], PQgetvalue(res, found, 1)))
            pgi_problem(ck, OCP_ERR_CONFIG, "%s: column %s has type %s, expected %s", qt,
                        spec->cols[c], PQgetvalue(res, found, 1), kind_name(spec->kinds[c]));
        /* The constant strings must fit their varchar(n). */
        if (strcmp(PQgetvalue(res, found, 1), "varchar") == 0) {
            long typmod = strtol(PQgetvalue(res, found, 2), NULL, 10);
            const char *v = strcmp(spec->cols[c], "cluster_id") == 0      ? o->cluster_id
                            : strcmp(spec->cols[c], "cluster_alias") == 0 ? o->cluster_alias
                                                                          : NULL;
            if (v != NULL && typmod > 4 && (long)utf8_chars(v) > typmod - 4)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "%s: the configured %s is longer than the column's "
                            "%ld characters",
                            qt, spec->cols[c], typmod - 4);
        }
    }
    if (nmissing > 0)
        pgi_problem(ck, OCP_ERR_CONFIG,
                    "%s lacks %d of the report's columns: %s (is it Koku's "
                    "%s?)",
                    qt, nmissing, missing, spec->koku_name);
    /* A NOT NULL column the COPY does not fill and that has no default
     * would reject every row. */
    for (int r = 0; r < PQntuples(res); r++) {
        int ours = 0;
        for (int c = 0; c < spec->ncols; c++)
            if (strcmp(PQgetvalue(res, r, 0), spec->cols[c]) == 0)
                ours = 1;
        if (!ours && strcmp(PQgetvalue(res, r, 3), "t") == 0 &&
            strcmp(PQgetvalue(res, r, 4), "f") == 0)
            pgi_problem(ck, OCP_ERR_CONFIG,
                        "%s: column %s is NOT NULL without a default, and the "
                        "report has no value for it",
                        qt, PQgetvalue(res, r, 0));
    }
    PQclear(res);
}

/* The report period(s): exist, and belong to this cluster, source and
 * month. */
static void check_periods(PGconn *conn, const struct pg_options *o, struct pg_periods *p,
                          struct pgi_checks *ck)
{
    char *rp = pgi_qname(conn, o->schema, "reporting_ocpusagereportperiod");
    char *lit = rp ? pgi_literal(conn, rp) : NULL;
    char sql[1024];
    int found;

    if (rp == NULL || lit == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "out of memory");
        goto done;
    }
    if ((found = pgi_relation_exists(conn, lit, ck)) <= 0) {
        if (found == 0)
            pgi_problem(ck, OCP_ERR_CONFIG,
                        "%s does not exist, so the report period cannot be checked "
                        "(is %s a Koku tenant schema?)",
                        rp, o->schema);
        goto done;
    }
    for (int32_t m = 0; m < p->n; m++) {
        char first[11], idtext[24];
        PGresult *res;
        int32_t month = pgi_month_start(p->month[m].first_day);
        txt_format_date(month, first);
        if (o->report_period_auto) {
            const char *params[3] = {o->cluster_id, o->source_uuid, first};
            snprintf(sql, sizeof sql,
                     "SELECT id FROM %s WHERE cluster_id = $1 AND "
                     "provider_id::text = $2 AND "
                     "(report_period_start AT TIME ZONE 'UTC')::date = "
                     "$3::date ORDER BY id",
                     rp);
            res = pgi_execp(conn, sql, 3, params, OCP_ERR_CANTCREAT, "looking up the report period",
                            &ck->scratch);
            if (res == NULL) {
                pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
                goto done;
            }
            if (PQntuples(res) == 0)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "no report period in %s for cluster %s, source %s "
                            "and month %.7s (Koku creates it when it processes "
                            "the month's first upload)",
                            rp, o->cluster_id, o->source_uuid, first);
            else
                p->month[m].id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            PQclear(res);
            continue;
        }
        snprintf(idtext, sizeof idtext, "%" PRId64, o->report_period_id);
        {
            const char *params[1] = {idtext};
            snprintf(sql, sizeof sql,
                     "SELECT cluster_id, provider_id::text, "
                     "(report_period_start AT TIME ZONE 'UTC')::date::text "
                     "FROM %s WHERE id = $1::int8",
                     rp);
            res = pgi_execp(conn, sql, 1, params, OCP_ERR_CANTCREAT, "reading the report period",
                            &ck->scratch);
        }
        if (res == NULL) {
            pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
            goto done;
        }
        if (PQntuples(res) == 0) {
            pgi_problem(ck, OCP_ERR_CONFIG, "report_period_id %" PRId64 " does not exist in %s",
                        o->report_period_id, rp);
        } else {
            const char *cl = PQgetvalue(res, 0, 0), *pr = PQgetvalue(res, 0, 1),
                       *st = PQgetvalue(res, 0, 2);
            if (strcmp(cl, o->cluster_id) != 0)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "report_period_id %" PRId64 " belongs to cluster %s, "
                            "not %s",
                            o->report_period_id, cl, o->cluster_id);
            if (strcmp(pr, o->source_uuid) != 0)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "report_period_id %" PRId64 " belongs to source %s, "
                            "not %s",
                            o->report_period_id, pr, o->source_uuid);
            if (strncmp(st, first, 7) != 0)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "report_period_id %" PRId64 " is the month %.7s, but "
                            "the range starts in %.7s",
                            o->report_period_id, st, first);
        }
        PQclear(res);
    }
done:
    free(rp);
    free(lit);
}

void pgi_check_ids(PGconn *conn, const char *schema, const char *table, const char *what,
                   const int64_t *ids, size_t n, struct pgi_checks *ck)
{
    char *qt = pgi_qname(conn, schema, table);
    char *lit = qt ? pgi_literal(conn, qt) : NULL;
    char sql[1024], *arr = NULL;
    size_t cap, used = 0;
    int found;
    PGresult *res;

    if (n == 0)
        goto done;
    if (qt == NULL || lit == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "out of memory");
        goto done;
    }
    if ((found = pgi_relation_exists(conn, lit, ck)) <= 0) {
        if (found == 0)
            pgi_problem(ck, OCP_ERR_CONFIG, "%s does not exist, so %s cannot be checked", qt, what);
        goto done;
    }
    /* The ids as a text array literal {1,2,3}. */
    cap = 2 + 24 * n;
    arr = malloc(cap);
    if (arr == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "out of memory");
        goto done;
    }
    arr[used++] = '{';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(arr + used, cap - used, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(arr + used, cap - used, "}");
    {
        const char *params[1] = {arr};
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(x::text, ', ' ORDER BY x) FROM "
                 "(SELECT DISTINCT unnest($1::int8[]) AS x) ids "
                 "WHERE NOT EXISTS (SELECT 1 FROM %s c WHERE c.id = ids.x)",
                 qt);
        res = pgi_execp(conn, sql, 1, params, OCP_ERR_CANTCREAT, "checking the configured ids",
                        &ck->scratch);
    }
    if (res == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        goto done;
    }
    if (!PQgetisnull(res, 0, 0))
        pgi_problem(ck, OCP_ERR_CONFIG,
                    "%s: id %s not in %s (the foreign key would "
                    "fail at COMMIT)",
                    what, PQgetvalue(res, 0, 0), qt);
    PQclear(res);
done:
    free(arr);
    free(qt);
    free(lit);
}

int pgi_check_table(PGconn *conn, const struct pg_options *o, const struct pgi_table_spec *spec,
                    const struct pg_periods *periods, struct pgi_checks *ck, int32_t *missing,
                    int *can_create)
{
    PGresult *res = NULL;
    const char *table = spec->table;
    char *qt = pgi_qname(conn, o->schema, table), *oid = NULL;
    int failed = 0, exists = 0;

    *missing = 0;
    *can_create = 0;
    if (qt == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "out of memory");
        return 0;
    }
    {
        const char *params[2] = {o->schema, table};
        res = pgi_execp(conn,
                        "SELECT c.oid::text, c.relkind::text, "
                        "has_schema_privilege(n.oid, 'USAGE'), "
                        "has_table_privilege(c.oid, 'SELECT'), "
                        "has_table_privilege(c.oid, 'INSERT'), "
                        "has_table_privilege(c.oid, 'DELETE'), "
                        "pg_has_role(c.relowner, 'USAGE') "
                        "FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = $1 AND "
                        "c.relname = $2",
                        2, params, OCP_ERR_CANTCREAT, "pre-flight query", &ck->scratch);
    }
    if (res == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        goto out;
    }
    if (PQntuples(res) == 0) {
        const char *params[1] = {o->schema};
        char *ns = query_value(conn,
                               "SELECT nspname FROM pg_namespace WHERE "
                               "nspname = $1",
                               1, params, &failed, &ck->scratch);
        if (ns == NULL && !failed)
            pgi_problem(ck, OCP_ERR_CONFIG,
                        "key 'output.postgres.schema': schema %s does not exist", o->schema);
        else
            pgi_problem(ck, OCP_ERR_CONFIG, "table %s does not exist", qt);
        free(ns);
        goto out;
    }
    oid = malloc(strlen(PQgetvalue(res, 0, 0)) + 1);
    if (oid == NULL) {
        pgi_problem(ck, OCP_ERR_CANTCREAT, "out of memory");
        goto out;
    }
    strcpy(oid, PQgetvalue(res, 0, 0));
    {
        char missing[64] = "";
        const char *privs[] = {"SELECT", "INSERT", "DELETE"};
        for (int i = 0; i < 3; i++)
            if (strcmp(PQgetvalue(res, 0, 3 + i), "t") != 0)
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                         missing[0] ? ", " : "", privs[i]);
        if (strcmp(PQgetvalue(res, 0, 2), "t") != 0)
            pgi_problem(ck, OCP_ERR_CANTCREAT, "the role %s lacks USAGE on schema %s", PQuser(conn),
                        o->schema);
        if (missing[0])
            pgi_problem(ck, OCP_ERR_CANTCREAT,
                        "the role %s lacks %s on %s (GRANT SELECT, INSERT, "
                        "DELETE ON %s TO %s)",
                        PQuser(conn), missing, qt, qt, PQuser(conn));
    }
    *can_create = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
    if (strcmp(PQgetvalue(res, 0, 1), "p") != 0) {
        pgi_problem(ck, OCP_ERR_CONFIG,
                    "%s is not a partitioned table (Koku's is PARTITION BY RANGE "
                    "(usage_start))",
                    qt);
    } else {
        const char *params[1] = {oid};
        PGresult *pk = pgi_execp(conn,
                                 "SELECT p.partstrat::text, p.partnatts, a.attname "
                                 "FROM pg_partitioned_table p LEFT JOIN pg_attribute a ON "
                                 "a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                                 "WHERE p.partrelid = $1::oid",
                                 1, params, OCP_ERR_CANTCREAT, "pre-flight query", &ck->scratch);
        if (pk == NULL) {
            pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        } else {
            if (PQntuples(pk) != 1 || strcmp(PQgetvalue(pk, 0, 0), "r") != 0 ||
                strcmp(PQgetvalue(pk, 0, 1), "1") != 0 ||
                strcmp(PQgetvalue(pk, 0, 2), "usage_start") != 0)
                pgi_problem(ck, OCP_ERR_CONFIG,
                            "%s is not partitioned by RANGE (usage_start) as "
                            "Koku's table is",
                            qt);
            PQclear(pk);
        }
    }
    PQclear(res);
    res = NULL;

    check_columns(conn, oid, qt, o, spec, ck);
    if (pgi_count_missing_partitions(conn, oid, table, periods, &*missing, &ck->scratch) != OCP_OK)
        pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
    else if (*missing > 0 && (!o->create_partitions || !*can_create)) {
        const char *why = !o->create_partitions ? "output.postgres.create_partitions is off"
                                                : "this role does not own the table";
        const char *params[1] = {oid};
        char *def = query_value(conn,
                                "SELECT c.relname FROM pg_inherits i JOIN "
                                "pg_class c ON c.oid = i.inhrelid WHERE "
                                "i.inhparent = $1::oid AND "
                                "pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'",
                                1, params, &failed, &ck->scratch);
        if (failed)
            pgi_problem(ck, OCP_ERR_CANTCREAT, "%s", ck->scratch.message);
        else if (def == NULL)
            /* Without a default partition those rows have nowhere to go;
             * the COPY would fail at the end of the stream. */
            pgi_problem(ck, OCP_ERR_CANTCREAT,
                        "%d month(s) of the range have no partition, %s, and %s "
                        "has no default partition",
                        (int)*missing, why, qt);
        else if (ck->report != NULL)
            fprintf(ck->report,
                    "ocpagg: postgres pre-flight: note: %d month(s) of the "
                    "range have no partition and %s; their rows go to the "
                    "default partition\n",
                    (int)*missing, why);
        free(def);
    }

    exists = 1;
out:
    PQclear(res);
    free(qt);
    free(oid);
    return exists;
}

int pg_preflight(const struct pg_options *o, struct pg_target *out, FILE *report,
                 struct ocp_error *err)
{
    struct pgi_checks ck;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    char *qt = NULL;
    const char *table = pgi_table(o);
    const struct pgi_table_spec ocp_spec = {table, pg_column_names, col_kinds, PG_COLUMN_COUNT,
                                            PG_DEFAULT_TABLE};
    int rc;

    memset(out, 0, sizeof *out);
    memset(&ck, 0, sizeof ck);
    ck.report = report;
    ck.err = err;
    if (o->schema == NULL || o->schema[0] == '\0') {
        pgi_problem(&ck, OCP_ERR_CONFIG, "key 'output.postgres.schema': required value missing");
        return pgi_finish_checks(&ck);
    }
    if (o->cluster_id == NULL || o->source_uuid == NULL) {
        pgi_problem(&ck, OCP_ERR_CONFIG, "cluster_id and source_uuid are required");
        return pgi_finish_checks(&ck);
    }
    if ((rc = pgi_plan_months(o, &out->periods, &ck.scratch)) != OCP_OK) {
        pgi_problem(&ck, rc, "%s", ck.scratch.message);
        return pgi_finish_checks(&ck);
    }
    if ((rc = pgi_connect(o, &conn, &ck.scratch)) != OCP_OK) {
        if (report != NULL)
            fprintf(report, "ocpagg: postgres pre-flight: %s\n", ck.scratch.message);
        if (err != NULL)
            *err = ck.scratch;
        return rc;
    }
    snprintf(out->server_version, sizeof out->server_version, "%s",
             PQparameterStatus(conn, "server_version") ? PQparameterStatus(conn, "server_version")
                                                       : "unknown");
    out->server_version_num = PQserverVersion(conn);

    qt = pgi_qname(conn, o->schema, table);
    if (qt == NULL) {
        pgi_problem(&ck, OCP_ERR_CANTCREAT, "out of memory");
        goto done;
    }
    res = pgi_exec(conn,
                   "SELECT pg_is_in_recovery(), "
                   "current_setting('default_transaction_read_only')",
                   OCP_ERR_CANTCREAT, "pre-flight query", &ck.scratch);
    if (res == NULL) {
        pgi_problem(&ck, OCP_ERR_CANTCREAT, "%s", ck.scratch.message);
        goto done;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0 || strcmp(PQgetvalue(res, 0, 1), "on") == 0)
        pgi_problem(&ck, OCP_ERR_CANTCREAT,
                    "the server is read-only (a standby, or "
                    "default_transaction_read_only is on)");
    PQclear(res);
    res = NULL;

    /* Koku's table, then what only it has: the report periods and
     * the cost categories its foreign keys point at. */
    if (pgi_check_table(conn, o, &ocp_spec, &out->periods, &ck, &out->missing_partitions,
                        &out->can_create_partitions) == 0)
        goto done;
    check_periods(conn, o, &out->periods, &ck);
    pgi_check_ids(conn, o->schema, "reporting_ocp_cost_category", "cost_categories",
                  o->cost_category_ids, o->n_cost_category_ids, &ck);

done:
    PQclear(res);
    free(qt);
    if (conn != NULL)
        PQfinish(conn);
    return pgi_finish_checks(&ck);
}
