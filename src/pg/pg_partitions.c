/* pg_partitions.c - the months of the range and their partitions: which
 * months a run covers, which of them have no partition yet, and making
 * those, each in a short transaction of its own, the way Koku does.  Its
 * own file because, unlike pre-flight (pg_preflight.c), which only reads,
 * this changes the database before the data transaction. */
#include "pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

/* The partition name of the month that starts at first: <table>_YYYY_MM. */
static void partition_name(const char *table, int32_t first, char *buf, size_t size)
{
    char d[11];
    txt_format_date(first, d);
    snprintf(buf, size, "%s_%.4s_%.2s", table, d, d + 5);
}

/* The months of the range, each cut to the range. */
int pgi_plan_months(const struct pg_options *o, struct pg_periods *p, struct ocp_error *err)
{
    int32_t day = o->start_date;
    memset(p, 0, sizeof *p);
    p->start_date = o->start_date;
    p->end_date = o->end_date;
    if (o->end_date < o->start_date)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "key 'end_date': before start_date");
    while (day <= o->end_date) {
        int32_t next = pgi_next_month(day);
        if (p->n == PG_MONTHS_MAX)
            return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                                 "key 'end_date': the range covers more than "
                                 "%d months",
                                 PG_MONTHS_MAX);
        p->month[p->n].first_day = day;
        p->month[p->n].last_day = next - 1 < o->end_date ? next - 1 : o->end_date;
        p->month[p->n].id = o->report_period_id;
        p->n++;
        day = next;
    }
    if (!o->report_period_auto && p->n > 1) {
        char s[11], e[11];
        txt_format_date(o->start_date, s);
        txt_format_date(o->end_date, e);
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL,
                             "key 'end_date': %s..%s spans %d months, but a "
                             "report period covers one; run one month at a "
                             "time or set output.postgres.report_period_id: "
                             "auto",
                             s, e, (int)p->n);
    }
    return OCP_OK;
}

/* Whether the table of oid has a partition called name: *exists 1 or 0.
 * OCP_ERR_CANTCREAT (err filled) when the catalog query fails. */
static int partition_exists(PGconn *conn, const char *oid, const char *name, int *exists,
                            struct ocp_error *err)
{
    const char *params[2] = {oid, name};
    PGresult *res =
        pgi_execp(conn,
                  "SELECT 1 FROM pg_inherits i JOIN pg_class c ON "
                  "c.oid = i.inhrelid WHERE i.inhparent = $1::oid AND "
                  "c.relname = $2",
                  2, params, OCP_ERR_CANTCREAT, "looking for the monthly partition", err);
    if (res == NULL)
        return OCP_ERR_CANTCREAT;
    *exists = PQntuples(res) > 0;
    PQclear(res);
    return OCP_OK;
}

/* Counts the months of p without their partition. */
int pgi_count_missing_partitions(PGconn *conn, const char *oid, const char *table,
                                 const struct pg_periods *p, int32_t *n, struct ocp_error *err)
{
    *n = 0;
    for (int32_t m = 0; m < p->n; m++) {
        char name[400];
        int exists, rc;
        partition_name(table, pgi_month_start(p->month[m].first_day), name, sizeof name);
        if ((rc = partition_exists(conn, oid, name, &exists, err)) != OCP_OK)
            return rc;
        if (!exists)
            (*n)++;
    }
    return OCP_OK;
}

/* One month's partition, in its own transaction. */
static int create_partition(PGconn *conn, const struct pg_options *o, const char *oid,
                            int32_t first, int has_ptables, const char *cols,
                            struct pg_partition_result *r, struct ocp_error *err)
{
    const char *table = pgi_table(o);
    char name[400], from[11], to[11], sql[4096], timeout[48];
    char *qparent = pgi_qname(conn, o->schema, table), *qpart = NULL, *qdef = NULL;
    PGresult *res = NULL;
    int rc = OCP_ERR_CANTCREAT;
    int64_t in_default = 0;

    partition_name(table, first, name, sizeof name);
    txt_format_date(first, from);
    txt_format_date(pgi_next_month(first), to);
    qpart = pgi_qname(conn, o->schema, name);
    if (qparent == NULL || qpart == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto out;
    }
    /* The partition DDL takes an AccessExclusiveLock on the parent and
     * the default partition; wait for it no longer than the data
     * transaction would. */
    snprintf(timeout, sizeof timeout, "SET LOCAL lock_timeout = '%.0fms'",
             o->lock_timeout_seconds * 1000.0);
    if ((res = pgi_exec(conn, "BEGIN", OCP_ERR_CANTCREAT, "partition BEGIN", err)) == NULL)
        goto out;
    PQclear(res);
    if ((res = pgi_exec(conn, timeout, OCP_ERR_CANTCREAT, "partition lock_timeout", err)) == NULL)
        goto rollback;
    PQclear(res);
    /* Is it there by now (another run may have made it)? */
    {
        int exists;
        res = NULL;
        if (partition_exists(conn, oid, name, &exists, err) != OCP_OK)
            goto rollback;
        if (exists) {
            res = pgi_exec(conn, "COMMIT", OCP_ERR_CANTCREAT, "partition COMMIT", err);
            rc = res ? OCP_OK : OCP_ERR_CANTCREAT;
            goto out;
        }
    }
    /* The default partition and its rows of this month. */
    {
        const char *params[1] = {oid};
        res = pgi_execp(conn,
                        "SELECT quote_ident(n.nspname) || '.' || "
                        "quote_ident(c.relname) FROM pg_inherits i "
                        "JOIN pg_class c ON c.oid = i.inhrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE i.inhparent = $1::oid AND "
                        "pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'",
                        1, params, OCP_ERR_CANTCREAT, "looking for the default partition", err);
        if (res == NULL)
            goto rollback;
        if (PQntuples(res) > 0) {
            qdef = malloc(strlen(PQgetvalue(res, 0, 0)) + 1);
            if (qdef == NULL) {
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
                goto rollback;
            }
            strcpy(qdef, PQgetvalue(res, 0, 0));
        }
        PQclear(res);
        res = NULL;
    }
    if (qdef != NULL) {
        const char *params[2] = {from, to};
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM %s WHERE usage_start >= $1::date AND "
                 "usage_start < $2::date",
                 qdef);
        if ((res = pgi_execp(conn, sql, 2, params, OCP_ERR_CANTCREAT,
                             "counting default-partition rows", err)) == NULL)
            goto rollback;
        in_default = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        res = NULL;
    }
    if (in_default > 0) {
        /* Koku's way when the default partition holds rows of the month:
         * the table alone, the rows moved, then attached. */
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING "
                 "CONSTRAINTS)",
                 qpart, qparent);
        if ((res = pgi_exec(conn, sql, OCP_ERR_CANTCREAT, "creating the partition", err)) == NULL)
            goto rollback;
        PQclear(res);
        {
            const char *params[2] = {from, to};
            size_t bigsize = strlen(cols) * 3 + strlen(qdef) + strlen(qpart) + 512;
            char *big = malloc(bigsize);
            if (big == NULL) {
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
                goto rollback;
            }
            snprintf(big, bigsize,
                     "WITH moved AS (DELETE FROM %s WHERE usage_start >= "
                     "$1::date AND usage_start < $2::date RETURNING %s) "
                     "INSERT INTO %s (%s) SELECT %s FROM moved",
                     qdef, cols, qpart, cols, cols);
            res = pgi_execp(conn, big, 2, params, OCP_ERR_CANTCREAT,
                            "moving default-partition rows", err);
            free(big);
            if (res == NULL)
                goto rollback;
            r->moved += strtoll(PQcmdTuples(res), NULL, 10);
            PQclear(res);
        }
        snprintf(sql, sizeof sql,
                 "ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM ('%s') "
                 "TO ('%s')",
                 qparent, qpart, from, to);
        if ((res = pgi_exec(conn, sql, OCP_ERR_CANTCREAT, "attaching the partition", err)) == NULL)
            goto rollback;
        PQclear(res);
    }
    if (has_ptables) {
        /* Koku creates partitions by adding their row here; its trigger
         * runs CREATE TABLE IF NOT EXISTS ... PARTITION OF (a no-op when
         * the table was made above). */
        char *pt = pgi_qname(conn, o->schema, "partitioned_tables");
        const char *params[5] = {o->schema, name, table, from, to};
        if (pt == NULL) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            goto rollback;
        }
        snprintf(sql, sizeof sql,
                 "INSERT INTO %s (schema_name, table_name, "
                 "partition_of_table_name, partition_type, partition_col, "
                 "partition_parameters, active) SELECT $1, $2, $3, 'range', "
                 "'usage_start', jsonb_build_object('default', false, "
                 "'from', $4::text, 'to', $5::text), true WHERE NOT EXISTS "
                 "(SELECT 1 FROM %s WHERE schema_name = $1 AND "
                 "table_name = $2)",
                 pt, pt);
        free(pt);
        if ((res = pgi_execp(conn, sql, 5, params, OCP_ERR_CANTCREAT,
                             "adding the partitioned_tables row", err)) == NULL)
            goto rollback;
        PQclear(res);
    }
    /* Without the tracking table, or when its row existed already but the
     * table did not, the plain statement (a no-op when made above). */
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM "
             "('%s') TO ('%s')",
             qpart, qparent, from, to);
    if ((res = pgi_exec(conn, sql, OCP_ERR_CANTCREAT, "creating the partition", err)) == NULL)
        goto rollback;
    PQclear(res);
    if ((res = pgi_exec(conn, "COMMIT", OCP_ERR_CANTCREAT, "partition COMMIT", err)) == NULL)
        goto out;
    if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, NULL, -1, NULL,
                           "creating partition %s: the transaction was "
                           "rolled back",
                           name);
        goto out;
    }
    r->created++;
    rc = OCP_OK;
    goto out;
rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
    if (err != NULL && rc == OCP_ERR_CANTCREAT) {
        char msg[OCP_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        snprintf(err->message, sizeof err->message, "partition %.100s: %.380s", name, msg);
    }
out:
    PQclear(res);
    free(qparent);
    free(qpart);
    free(qdef);
    return rc;
}

int pg_prepare_partitions(const struct pg_options *o, struct pg_partition_result *r,
                          struct ocp_error *err)
{
    struct pg_periods p;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    char *oid = NULL, *cols = NULL;
    int has_ptables = 0, owner = 0, rc;
    int32_t missing = 0;

    memset(r, 0, sizeof *r);
    if ((rc = pgi_plan_months(o, &p, err)) != OCP_OK)
        return rc;
    if ((rc = pgi_connect(o, &conn, err)) != OCP_OK)
        return rc;
    {
        const char *params[3] = {o->schema, pgi_table(o), "partitioned_tables"};
        res = pgi_execp(conn,
                        "SELECT c.oid::text, pg_has_role(c.relowner, 'USAGE'), "
                        "EXISTS (SELECT 1 FROM pg_class t WHERE t.relnamespace = "
                        "c.relnamespace AND t.relname = $3), "
                        "(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY "
                        "a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND "
                        "a.attnum > 0 AND NOT a.attisdropped) "
                        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = $1 AND c.relname = $2",
                        3, params, OCP_ERR_CANTCREAT, "reading the table", err);
    }
    if (res == NULL) {
        rc = OCP_ERR_CANTCREAT;
        goto done;
    }
    if (PQntuples(res) == 0) {
        rc = ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL, "table %s.%s does not exist",
                           o->schema, pgi_table(o));
        goto done;
    }
    oid = malloc(strlen(PQgetvalue(res, 0, 0)) + 1);
    cols = malloc(strlen(PQgetvalue(res, 0, 3)) + 1);
    if (oid == NULL || cols == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto done;
    }
    strcpy(oid, PQgetvalue(res, 0, 0));
    strcpy(cols, PQgetvalue(res, 0, 3));
    owner = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    has_ptables = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    if ((rc = pgi_count_missing_partitions(conn, oid, pgi_table(o), &p, &missing, err)) != OCP_OK)
        goto done;
    if (missing == 0)
        goto done;
    if (!o->create_partitions || !owner) {
        /* Rows of those months land in the default partition, which is
         * valid; Koku moves them when it creates the partition. */
        r->skipped = 1;
        goto done;
    }
    for (int32_t m = 0; m < p.n && rc == OCP_OK; m++)
        rc = create_partition(conn, o, oid, pgi_month_start(p.month[m].first_day), has_ptables,
                              cols, r, err);
done:
    PQclear(res);
    free(oid);
    free(cols);
    PQfinish(conn);
    return rc;
}
