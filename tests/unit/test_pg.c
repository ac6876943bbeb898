/*
 * test_pg.c - the PostgreSQL output against a real PostgreSQL 15 with
 * Koku's table (tests/scripts/t_pg.sh starts it and loads koku-ddl.sql
 * and koku-fixture.sql into the template database koku_tmpl).
 *
 * Environment: OCPAGG_PGHOST (socket directory) and OCPAGG_PGPORT name
 * the server; without them the test exits 77 (skipped).  OCPAGG_PG_SCRAM
 * = "role:password" names a role that must log in with scram-sha-256.
 * Every test works in a database of its own, copied from koku_tmpl.
 */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocpagg/pg.h"
#include "ocpagg/report.h"
#include "test_pg_rows.h"
#include "testlib.h"

#define TABLE "org1234567.reporting_ocpusagelineitem_daily_summary"

static const char *host, *port;
static PGconn *admin;

static void die(const char *what, PGconn *c)
{
    fprintf(stderr, "fatal: %s: %s\n", what, c ? PQerrorMessage(c) : "");
    exit(1);
}

static void conninfo_for(const char *db, const char *user, char *buf, size_t size)
{
    snprintf(buf, size, "host=%s port=%s user=%s dbname=%s", host, port, user, db);
}

static PGconn *connect_db(const char *db)
{
    char ci[600];
    PGconn *c;
    conninfo_for(db, "postgres", ci, sizeof ci);
    c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK)
        die("connect", c);
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "fatal: %s\n", sql);
        die("exec", c);
    }
    PQclear(r);
}

/* The first value of a query as text (static storage). */
static const char *q1(PGconn *c, const char *sql)
{
    static char out[4096];
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "fatal: %s\n", sql);
        die("query", c);
    }
    snprintf(out, sizeof out, "%s",
             PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "(null)");
    PQclear(r);
    return out;
}

static long q1l(PGconn *c, const char *sql)
{
    return strtol(q1(c, sql), NULL, 10);
}

/* A fresh database copied from the template. */
static void newdb(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    exec_ok(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE koku_tmpl", name);
    exec_ok(admin, sql);
}

static char ci_buf[8][600];

static struct pg_options opts_for(const char *db, int slot, const char *start, const char *end)
{
    static const int64_t ids[] = {1, 2, 3};
    struct pg_options o;
    memset(&o, 0, sizeof o);
    conninfo_for(db, "postgres", ci_buf[slot], sizeof ci_buf[slot]);
    o.conninfo = ci_buf[slot];
    o.schema = "org1234567";
    o.create_partitions = 1;
    o.lock_timeout_seconds = 30;
    o.report_period_id = 1;
    o.cluster_id = TP_CLUSTER;
    o.cluster_alias = TP_ALIAS;
    o.source_uuid = TP_SOURCE;
    o.start_date = tp_day(start);
    o.end_date = tp_day(end);
    o.cost_category_ids = ids;
    o.n_cost_category_ids = 3;
    return o;
}

static struct rpt_meta meta_for(int64_t period)
{
    struct rpt_meta m = {period, TP_CLUSTER, TP_ALIAS, TP_SOURCE};
    return m;
}

/* A view of the rows of one day [from, to) (the encoder reads rows only). */
static struct rpt_table view(const struct rpt_table *t, size_t from, size_t to)
{
    struct rpt_table v;
    memset(&v, 0, sizeof v);
    v.rows = t->rows + from;
    v.count = to - from;
    return v;
}

/* Writes t day by day as the driver will: one block per day. */
static int write_days(struct pg_writer *w, const struct rpt_table *t, const struct pg_periods *p,
                      struct ocp_error *err)
{
    struct rpt_meta m = meta_for(1);
    size_t from = 0;
    int rc = OCP_OK;
    while (from < t->count && rc == OCP_OK) {
        size_t to = from;
        struct rpt_buf b = {0};
        struct rpt_table v;
        while (to < t->count && t->rows[to].usage_day == t->rows[from].usage_day)
            to++;
        v = view(t, from, to);
        rc = pg_encode_block(&v, &m, p, &b, err);
        if (rc == OCP_OK)
            rc = pg_writer_write(w, (const unsigned char *)b.data, b.len, err);
        rpt_buf_release(&b);
        from = to;
    }
    return rc;
}

/* Pre-flight, partitions, one transaction: the whole database output. */
static int load(const struct pg_options *o, const struct rpt_table *t, int64_t *deleted,
                int64_t *copied, struct ocp_error *err)
{
    struct pg_target tg;
    struct pg_partition_result pr;
    struct pg_writer *w = NULL;
    int rc;

    if ((rc = pg_preflight(o, &tg, stderr, err)) != OCP_OK)
        return rc;
    if ((rc = pg_prepare_partitions(o, &pr, err)) != OCP_OK)
        return rc;
    if ((rc = pg_writer_begin(&w, o, &tg.periods, err)) != OCP_OK)
        return rc;
    rc = write_days(w, t, &tg.periods, err);
    if (rc == OCP_OK)
        rc = pg_writer_commit(w, (int64_t)t->count, err);
    else
        pg_writer_abort(w, "test: write failed");
    pg_writer_counts(w, deleted, copied);
    pg_writer_destroy(w);
    return rc;
}

static const char md5_all[] = "SELECT md5(string_agg(t::text, '|' ORDER BY usage_start, uuid)) "
                              "FROM " TABLE " t";

/* ---- Fresh load: every column equals the CSV report ---- */

static const char *col_kind(const char *name)
{
    static const char *const json[] = {"pod_labels", "volume_labels", "all_labels",
                                       "infrastructure_usage_cost", NULL};
    if (strcmp(name, "uuid") == 0 || strcmp(name, "source_uuid") == 0)
        return "uuid";
    if (strcmp(name, "usage_start") == 0 || strcmp(name, "usage_end") == 0)
        return "date";
    if (strcmp(name, "report_period_id") == 0 || strcmp(name, "cost_category_id") == 0)
        return "int";
    for (int i = 0; json[i]; i++)
        if (strcmp(name, json[i]) == 0)
            return "jsonb";
    if (strstr(name, "hours") || strstr(name, "gigabyte") || strstr(name, "cores") ||
        strstr(name, "months"))
        return "num";
    return "text";
}

static void test_fresh_load(void)
{
    struct rpt_table t;
    struct rpt_buf csv = {0};
    struct ocp_error err = {0};
    struct pg_options o = opts_for("t_fresh", 0, "2025-11-01", "2025-11-03");
    int64_t deleted = -2, copied = -2;
    PGconn *c;
    PGresult *r;
    char sql[8192];
    size_t used;

    newdb("t_fresh");
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 12, 0), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    if (err.message[0])
        fprintf(stderr, "  (%s)\n", err.message);
    CHECK_INT(deleted, 0);
    CHECK_INT(copied, 36);

    /* The report's own CSV (38 columns) into a text staging table. */
    c = connect_db("t_fresh");
    used = (size_t)snprintf(sql, sizeof sql, "CREATE TEMP TABLE csv (");
    for (int i = 0; rpt_column_names[i]; i++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, "%s%s text", i ? ", " : "",
                                 rpt_column_names[i]);
    snprintf(sql + used, sizeof sql - used, ")");
    exec_ok(c, sql);
    CHECK_INT(
        rpt_csv_rows(&t, &(struct rpt_meta){1, TP_CLUSTER, TP_ALIAS, TP_SOURCE}, 0, t.count, &csv),
        OCP_OK);
    r = PQexec(c, "COPY csv FROM STDIN (FORMAT csv)");
    CHECK_INT(PQresultStatus(r), PGRES_COPY_IN);
    PQclear(r);
    CHECK_INT(PQputCopyData(c, csv.data, (int)csv.len), 1);
    CHECK_INT(PQputCopyEnd(c, NULL), 1);
    r = PQgetResult(c);
    CHECK_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    CHECK_INT(q1l(c, "SELECT count(*) FROM csv"), 36);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 36);
    CHECK_INT(q1l(c, "SELECT count(*) FROM csv c FULL JOIN " TABLE
                     " t ON t.uuid = c.uuid::uuid WHERE t.uuid IS NULL OR "
                     "c.uuid IS NULL"),
              0);
    /* Column by column: numbers rounded to 15 decimals, labels as jsonb,
     * all_labels {} where the CSV has NULL. */
    for (int i = 0; pg_column_names[i]; i++) {
        const char *n = pg_column_names[i], *k = col_kind(n);
        char expr[256];
        long bad;
        if (strcmp(n, "all_labels") == 0)
            snprintf(expr, sizeof expr, "coalesce(c.%s, '{}')::jsonb", n);
        else if (strcmp(k, "num") == 0)
            snprintf(expr, sizeof expr, "round(c.%s::numeric, 15)", n);
        else if (strcmp(k, "text") == 0)
            snprintf(expr, sizeof expr, "c.%s", n);
        else
            snprintf(expr, sizeof expr, "c.%s::%s", n, strcmp(k, "int") == 0 ? "integer" : k);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM csv c JOIN " TABLE
                 " t ON t.uuid = c.uuid::uuid WHERE %s IS DISTINCT FROM t.%s",
                 expr, n);
        bad = q1l(c, sql);
        if (bad != 0)
            fprintf(stderr, "  column %s: %ld rows differ\n", n, bad);
        CHECK_INT(bad, 0);
    }
    /* The same for non-NULL counts, so NULL = NULL cannot hide a loss. */
    CHECK_INT(q1l(c, "SELECT count(pod_labels) FROM " TABLE), 18);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE namespace = 'Platform unallocated' AND "
                     "all_labels = '{}'::jsonb AND pod_labels IS NULL"),
              9);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE all_labels IS NULL"), 0);
    CHECK_STR(q1(c, "SELECT pod_labels->>'tier' FROM " TABLE " WHERE pod_labels ? 'tier' LIMIT 1"),
              "t\"q");
    CHECK_STR(
        q1(c, "SELECT pod_labels->>'umlaut' FROM " TABLE " WHERE pod_labels ? 'umlaut' LIMIT 1"),
        "\xc3\xa4");
    CHECK_INT(
        q1l(c, "SELECT count(*) FROM " TABLE " WHERE namespace = 'team \"quoted\", with comma'"),
        6);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE namespace = 'Projekt-\xc3\x9c"
                     "bersicht'"),
              6);
    /* Exact decimal text: 0.1+0.2 (0.30000000000000004) rounds to 15
     * places; 1.5e-07 arrives in exponent form. */
    CHECK_STR(q1(c, "SELECT pod_usage_cpu_core_hours::text FROM " TABLE " WHERE uuid = '"
                    "00004fa9-0000-4000-8000-000000000000'"),
              "0.300000000000000");
    CHECK_STR(q1(c, "SELECT pod_request_cpu_core_hours::text FROM " TABLE " WHERE uuid = '"
                    "00004fa9-0000-4000-8000-000000000000'"),
              "0.000000150000000");
    CHECK_STR(q1(c, "SELECT coalesce(pod_limit_cpu_core_hours::text, 'NULL') "
                    "FROM " TABLE " WHERE uuid = '"
                    "00004fa9-0000-4000-8000-000000000000'"),
              "NULL");
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE
                     " WHERE 'NaN'::numeric IN (pod_usage_cpu_core_hours, "
                     "node_capacity_cpu_cores, persistentvolumeclaim_capacity_gigabyte)"),
              0);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE data_source = 'Storage'"
                     " AND persistentvolumeclaim = 'data-pvc' AND "
                     "volume_labels->>'backup' = 'yes' AND all_labels = volume_labels"),
              9);
    CHECK_INT(q1l(c, "SELECT count(*) FROM "
                     "org1234567.reporting_ocpusagelineitem_daily_summary_2025_11"),
              36);
    CHECK_INT(q1l(c, "SELECT count(DISTINCT cost_category_id) FROM " TABLE), 3);
    PQfinish(c);
    rpt_buf_release(&csv);
    rpt_table_release(&t);
}

/* ---- Rerun: the same rows; other rows untouched ---- */

static void test_rerun(void)
{
    struct rpt_table t;
    struct ocp_error err = {0};
    struct pg_options o = opts_for("t_rerun", 0, "2025-11-01", "2025-11-10");
    int64_t deleted, copied;
    char m1[64], k1[64];
    const char *keep = "SELECT md5(string_agg(t::text, '|' ORDER BY uuid)) FROM " TABLE
                       " t WHERE namespace LIKE 'keep-%'";
    PGconn *c;

    newdb("t_rerun");
    c = connect_db("t_rerun");
    exec_ok(c, "INSERT INTO org1234567.reporting_ocpusagereportperiod (id, "
               "cluster_id, report_period_start, report_period_end, "
               "provider_id) VALUES (2, 'other-cluster', '2025-11-01', "
               "'2025-12-01', '" TP_SOURCE "')");
    /* Must survive: another report period in the range, the same period
     * outside the range, an OCP-on-cloud row (non-zero raw cost).  Must
     * go: stale rows of the range (raw cost 0 or NULL). */
    exec_ok(c, "INSERT INTO " TABLE " (uuid, usage_start, usage_end, "
               "report_period_id, infrastructure_raw_cost, namespace, "
               "source_uuid) VALUES "
               "(gen_random_uuid(), '2025-11-03', '2025-11-03', 2, NULL, "
               "'keep-other-period', '" TP_SOURCE "'),"
               "(gen_random_uuid(), '2025-11-20', '2025-11-20', 1, NULL, "
               "'keep-outside-range', '" TP_SOURCE "'),"
               "(gen_random_uuid(), '2025-10-31', '2025-10-31', 1, 0, "
               "'keep-day-before', '" TP_SOURCE "'),"
               "(gen_random_uuid(), '2025-11-04', '2025-11-04', 1, 5.25, "
               "'keep-ocp-on-cloud', '" TP_SOURCE "'),"
               "(gen_random_uuid(), '2025-11-10', '2025-11-10', 1, 0, "
               "'stale-zero', '" TP_SOURCE "'),"
               "(gen_random_uuid(), '2025-11-01', '2025-11-01', 1, NULL, "
               "'stale-null', '" TP_SOURCE "')");
    snprintf(k1, sizeof k1, "%s", q1(c, keep));

    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 8, 1), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(deleted, 2);
    CHECK_INT(copied, 80);
    snprintf(m1, sizeof m1, "%s", q1(c, md5_all));
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 80 + 4);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE namespace LIKE 'stale-%'"), 0);
    CHECK_STR(q1(c, keep), k1);

    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(deleted, 80);
    CHECK_INT(copied, 80);
    CHECK_STR(q1(c, md5_all), m1);
    CHECK_STR(q1(c, keep), k1);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 84);

    /* A day that lost its data loses its rows: the DELETE covers the
     * configured range, not the days that have rows. */
    {
        struct rpt_table fewer;
        rpt_table_init(&fewer);
        CHECK_INT(tp_build(&fewer, o.start_date, o.end_date - 1, 8, 1), 0);
        CHECK_INT(load(&o, &fewer, &deleted, &copied, &err), OCP_OK);
        CHECK_INT(deleted, 80);
        CHECK_INT(copied, 72);
        CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE usage_start = '2025-11-10'"), 0);
        CHECK_STR(q1(c, keep), k1);
        rpt_table_release(&fewer);
    }
    /* No data at all in the range: the range is emptied of this
     * source's summary rows, the others stay. */
    {
        struct rpt_table none;
        rpt_table_init(&none);
        CHECK_INT(load(&o, &none, &deleted, &copied, &err), OCP_OK);
        CHECK_INT(deleted, 72);
        CHECK_INT(copied, 0);
        CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 4);
        CHECK_STR(q1(c, keep), k1);
        rpt_table_release(&none);
    }
    PQfinish(c);
    rpt_table_release(&t);
}

/* ---- Failures leave the table as it was ---- */

static void test_failures(void)
{
    struct rpt_table t;
    struct ocp_error err = {0};
    struct pg_options o = opts_for("t_fail", 0, "2025-11-01", "2025-11-04");
    struct pg_target tg;
    struct pg_writer *w;
    int64_t deleted, copied;
    char m0[64], pid[32];
    PGconn *c;

    newdb("t_fail");
    c = connect_db("t_fail");
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 6, 2), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    snprintf(m0, sizeof m0, "%s", q1(c, md5_all));
    CHECK_INT(pg_preflight(&o, &tg, stderr, &err), OCP_OK);

    /* A value the server rejects in the middle of the stream: named by
     * SQLSTATE, report row and column. */
    {
        struct rpt_table day1 = view(&t, 0, 6), rest = view(&t, 6, t.count);
        struct rpt_buf b = {0};
        struct rpt_meta m = meta_for(1);
        const char bad[] = "00000000-0000-4000-8000-00000000beef,1,\"sample-cluster\",,Pod,"
                           "2025-11-02,2025-11-02,\"ns\",\"node\",,\"{bad json\",,,,,,,,,,,,,"
                           ",,,,,,\"{}\",,,,," TP_SOURCE ",,\n";
        CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
        CHECK_INT(pg_encode_block(&day1, &m, &tg.periods, &b, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (unsigned char *)b.data, b.len, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (const unsigned char *)bad, strlen(bad), &err), OCP_OK);
        b.len = 0;
        CHECK_INT(pg_encode_block(&rest, &m, &tg.periods, &b, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (unsigned char *)b.data, b.len, &err), OCP_OK);
        CHECK_INT(pg_writer_commit(w, 25, &err), OCP_ERR_IOERR);
        fprintf(stderr, "  bad value: %s\n", err.message);
        CHECK(strstr(err.message, "SQLSTATE 22P02") != NULL);
        CHECK(strstr(err.message, "report row 7") != NULL);
        CHECK_STR(err.column, "pod_labels");
        pg_writer_counts(w, &deleted, &copied);
        CHECK_INT(copied, -1);
        pg_writer_destroy(w);
        rpt_buf_release(&b);
        CHECK_STR(q1(c, md5_all), m0);
    }
    /* An abort (a rank's error, a signal) mid-stream. */
    {
        struct rpt_table day1 = view(&t, 0, 6);
        struct rpt_buf b = {0};
        struct rpt_meta m = meta_for(1);
        CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
        pg_writer_counts(w, &deleted, &copied);
        CHECK_INT(deleted, 24); /* deleted inside the transaction */
        CHECK_INT(pg_encode_block(&day1, &m, &tg.periods, &b, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (unsigned char *)b.data, b.len, &err), OCP_OK);
        /* Meanwhile other sessions still see the old rows. */
        CHECK_STR(q1(c, md5_all), m0);
        pg_writer_abort(w, "ocpagg: rank 1 failed");
        CHECK_INT(pg_writer_commit(w, 6, &err), OCP_ERR_SOFTWARE);
        pg_writer_destroy(w);
        rpt_buf_release(&b);
        CHECK_STR(q1(c, md5_all), m0);
    }
    /* The counts after the COPY, before COMMIT (for the run summary);
     * a failure after that (the summary cannot be written) still rolls
     * back. */
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    CHECK_INT(write_days(w, &t, &tg.periods, &err), OCP_OK);
    pg_writer_counts(w, &deleted, &copied);
    CHECK_INT(copied, -1);
    CHECK_INT(pg_writer_end_copy(w, 24, &err), OCP_OK);
    pg_writer_counts(w, &deleted, &copied);
    CHECK_INT(deleted, 24);
    CHECK_INT(copied, 24);
    CHECK_INT(pg_writer_write(w, (const unsigned char *)"x", 1, &err), OCP_ERR_SOFTWARE);
    pg_writer_abort(w, "test: the summary could not be written");
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    CHECK_INT(write_days(w, &t, &tg.periods, &err), OCP_OK);
    CHECK_INT(pg_writer_end_copy(w, 24, &err), OCP_OK);
    CHECK_INT(pg_writer_commit(w, 24, &err), OCP_OK);
    pg_writer_counts(w, &deleted, &copied);
    CHECK_INT(copied, 24);
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    /* Freed without commit or abort; and after end_copy. */
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    CHECK_INT(write_days(w, &t, &tg.periods, &err), OCP_OK);
    CHECK_INT(pg_writer_end_copy(w, 24, &err), OCP_OK);
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    /* The copied count differs from the report's. */
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    CHECK_INT(write_days(w, &t, &tg.periods, &err), OCP_OK);
    CHECK_INT(pg_writer_commit(w, 25, &err), OCP_ERR_SOFTWARE);
    CHECK(strstr(err.message, "24") != NULL);
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    /* A foreign key that fails only at COMMIT (deferred). */
    {
        struct rpt_table one = view(&t, 0, 1);
        struct rpt_buf b = {0};
        struct rpt_meta m = meta_for(1);
        t.rows[0].has_cost_category = 1;
        t.rows[0].cost_category_id = 99;
        CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
        CHECK_INT(pg_encode_block(&one, &m, &tg.periods, &b, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (unsigned char *)b.data, b.len, &err), OCP_OK);
        CHECK_INT(pg_writer_commit(w, 1, &err), OCP_ERR_IOERR);
        fprintf(stderr, "  fk: %s\n", err.message);
        CHECK(strstr(err.message, "SQLSTATE 23503") != NULL);
        CHECK(strstr(err.message, "COMMIT") != NULL);
        pg_writer_destroy(w);
        rpt_buf_release(&b);
        t.rows[0].cost_category_id = 1;
        CHECK_STR(q1(c, md5_all), m0);
    }
    /* The connection dies mid-COPY (server restart, network). */
    CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
    CHECK_INT(write_days(w, &t, &tg.periods, &err), OCP_OK);
    snprintf(pid, sizeof pid, "%s",
             q1(c, "SELECT pid FROM pg_stat_activity WHERE datname = "
                   "'t_fail' AND application_name = 'ocpagg'"));
    {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
        CHECK_STR(q1(c, sql), "t");
    }
    usleep(200000);
    CHECK_INT(pg_writer_commit(w, 24, &err), OCP_ERR_IOERR);
    fprintf(stderr, "  lost: %s\n", err.message);
    CHECK(strstr(err.message, "unchanged") != NULL || strstr(err.message, "terminat") != NULL);
    pg_writer_destroy(w);
    CHECK_STR(q1(c, md5_all), m0);
    /* The connection dies during COMMIT: the outcome is unknown to the
     * client, which must say so (and that a rerun is safe).  A deferred
     * constraint trigger makes COMMIT slow enough to be caught. */
    exec_ok(c, "CREATE FUNCTION org1234567.slow_commit() RETURNS trigger "
               "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN "
               "NULL; END $$");
    exec_ok(c, "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON " TABLE
               " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN "
               "(NEW.namespace = 'slow-commit') EXECUTE FUNCTION "
               "org1234567.slow_commit()");
    {
        struct rpt_table one = view(&t, 0, 1);
        struct rpt_buf b = {0};
        struct rpt_meta m = meta_for(1);
        const char *saved = t.rows[0].namespace_;
        pid_t killer;
        int status = 0;
        t.rows[0].namespace_ = "slow-commit";
        CHECK_INT(pg_writer_begin(&w, &o, &tg.periods, &err), OCP_OK);
        CHECK_INT(pg_encode_block(&one, &m, &tg.periods, &b, &err), OCP_OK);
        CHECK_INT(pg_writer_write(w, (unsigned char *)b.data, b.len, &err), OCP_OK);
        fflush(NULL);
        killer = fork();
        if (killer == 0) {
            /* Its own connection: the parent's must not be shared. */
            PGconn *k;
            char ci[600];
            usleep(1000000);
            conninfo_for("t_fail", "postgres", ci, sizeof ci);
            k = PQconnectdb(ci);
            PQclear(PQexec(k, "SELECT pg_terminate_backend(pid) FROM "
                              "pg_stat_activity WHERE datname = 't_fail' "
                              "AND application_name = 'ocpagg'"));
            PQfinish(k);
            _exit(0);
        }
        CHECK_INT(pg_writer_commit(w, 1, &err), OCP_ERR_IOERR);
        fprintf(stderr, "  commit lost: %s\n", err.message);
        CHECK(strstr(err.message, "during COMMIT") != NULL);
        CHECK(strstr(err.message, "unknown") != NULL);
        CHECK(strstr(err.message, "rerun") != NULL);
        CHECK_INT(waitpid(killer, &status, 0), killer);
        pg_writer_destroy(w);
        rpt_buf_release(&b);
        t.rows[0].namespace_ = saved;
        /* Here the server had not committed yet. */
        CHECK_STR(q1(c, md5_all), m0);
    }
    exec_ok(c, "DROP TRIGGER slow_commit ON " TABLE);
    /* After all that, a normal run still works and gives the same rows. */
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(deleted, 24);
    CHECK_STR(q1(c, md5_all), m0);
    PQfinish(c);
    rpt_table_release(&t);
}

/* ---- Pre-flight ---- */

static int preflight_lines(const struct pg_options *o, struct pg_target *tg, struct ocp_error *err,
                           int *lines)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = pg_preflight(o, tg, f, err);
    fclose(f);
    *lines = 0;
    for (size_t i = 0; i < len; i++)
        *lines += text[i] == '\n';
    if (len > 0)
        fprintf(stderr, "%s", text);
    free(text);
    return rc;
}

static void test_preflight(void)
{
    struct pg_options o;
    struct pg_target tg;
    struct ocp_error err = {0};
    int lines;
    PGconn *c;
    static const int64_t bad_ids[] = {1, 9, 9, 12};

    newdb("t_pre");
    c = connect_db("t_pre");
    o = opts_for("t_pre", 0, "2025-11-01", "2025-11-30");
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_OK);
    CHECK_INT(lines, 0);
    CHECK(strncmp(tg.server_version, "15.", 3) == 0);
    CHECK(tg.server_version_num >= 150000 && tg.server_version_num < 160000);
    CHECK_INT(tg.periods.n, 1);
    CHECK_INT(tg.periods.month[0].id, 1);
    CHECK_INT(tg.missing_partitions, 0);
    CHECK_INT(tg.can_create_partitions, 1);

    o.report_period_id = 42;
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "report_period_id 42 does not exist") != NULL);
    CHECK_INT(lines, 1);
    /* The error record is optional. */
    CHECK_INT(pg_preflight(&o, &tg, NULL, NULL), OCP_ERR_CONFIG);
    o.report_period_id = 1;
    o.cluster_id = "another-cluster";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "belongs to cluster sample-cluster") != NULL);
    o.cluster_id = TP_CLUSTER;
    o.start_date = tp_day("2025-12-01");
    o.end_date = tp_day("2025-12-31");
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "month 2025-11") != NULL);

    o = opts_for("t_pre", 0, "2025-11-01", "2025-11-30");
    o.cost_category_ids = bad_ids;
    o.n_cost_category_ids = 4;
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "id 9, 12 not in") != NULL);
    CHECK_INT(lines, 1);

    /* auto: one period per month, each problem its own line. */
    o = opts_for("t_pre", 0, "2025-11-01", "2025-11-30");
    o.report_period_auto = 1;
    o.report_period_id = 0;
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_OK);
    CHECK_INT(tg.periods.month[0].id, 1);
    o.start_date = tp_day("2025-11-20");
    o.end_date = tp_day("2026-01-05");
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK_INT(lines, 2); /* Dec and Jan */
    CHECK(strstr(err.message, "month 2025-12") != NULL);
    CHECK(strstr(err.message, "and 1 more") != NULL);
    exec_ok(c, "INSERT INTO org1234567.reporting_ocpusagereportperiod (id, "
               "cluster_id, report_period_start, report_period_end, "
               "provider_id) VALUES (7, 'sample-cluster', '2025-12-01', "
               "'2026-01-01', '" TP_SOURCE "'), (8, 'sample-cluster', "
               "'2026-01-01', '2026-02-01', '" TP_SOURCE "')");
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_OK);
    CHECK_INT(tg.periods.n, 3);
    CHECK_INT(tg.periods.month[0].id, 1);
    CHECK_INT(tg.periods.month[0].first_day, tp_day("2025-11-20"));
    CHECK_INT(tg.periods.month[0].last_day, tp_day("2025-11-30"));
    CHECK_INT(tg.periods.month[1].id, 7);
    CHECK_INT(tg.periods.month[2].id, 8);
    CHECK_INT(tg.periods.month[2].last_day, tp_day("2026-01-05"));
    CHECK_INT(tg.missing_partitions, 1); /* 2026-01 */
    /* Without auto, several months are refused before connecting. */
    o.report_period_auto = 0;
    o.report_period_id = 1;
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "auto") != NULL);

    /* Wrong schema, table, a table lacking columns. */
    o = opts_for("t_pre", 0, "2025-11-01", "2025-11-30");
    o.schema = "org0000000";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "schema org0000000 does not exist") != NULL);
    o.schema = "org1234567";
    o.table = "no_such_table";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "does not exist") != NULL);
    exec_ok(c, "CREATE TABLE org1234567.slim (uuid uuid NOT NULL, usage_start "
               "date NOT NULL, usage_end date, pod_labels text, "
               "node_capacity_cpu_cores integer, must_fill text NOT NULL) "
               "PARTITION BY RANGE (usage_start)");
    o.table = "slim";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK_INT(lines, 3);
    CHECK(strstr(err.message, "node_capacity_cpu_cores has type int4") != NULL);
    exec_ok(c, "CREATE TABLE org1234567.flat (LIKE " TABLE ")");
    o.table = "flat";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "not a partitioned table") != NULL);
    CHECK_INT(lines, 1);

    /* A role that may read but not write: 73, naming the privileges. */
    exec_ok(c, "DO $$ BEGIN CREATE ROLE ocp_reader LOGIN; EXCEPTION WHEN "
               "duplicate_object THEN NULL; END $$");
    exec_ok(c, "GRANT USAGE ON SCHEMA org1234567 TO ocp_reader");
    exec_ok(c, "GRANT SELECT ON ALL TABLES IN SCHEMA org1234567 TO ocp_reader");
    o = opts_for("t_pre", 0, "2025-11-01", "2025-11-30");
    conninfo_for("t_pre", "ocp_reader", ci_buf[1], sizeof ci_buf[1]);
    o.conninfo = ci_buf[1];
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CANTCREAT);
    CHECK(strstr(err.message, "lacks INSERT, DELETE") != NULL);
    CHECK_INT(tg.can_create_partitions, 0);

    /* A password in the conninfo: 78 before connecting, not echoed. */
    o.conninfo = "host=/nonexistent dbname=x password=hunter2";
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "hunter2") == NULL);
    /* No server there: 73. */
    o.conninfo = "host=/nonexistent-dir port=1 dbname=x";
    CHECK_INT(pg_preflight(&o, &tg, NULL, NULL), OCP_ERR_CANTCREAT);
    CHECK_INT(preflight_lines(&o, &tg, &err, &lines), OCP_ERR_CANTCREAT);
    CHECK(strstr(err.message, "cannot connect") != NULL);
    PQfinish(c);
}

/* ---- Partitions ---- */

static void test_partitions(void)
{
    struct pg_options o;
    struct pg_partition_result pr;
    struct pg_target tg;
    struct ocp_error err = {0};
    struct rpt_table t;
    int64_t deleted, copied;
    PGconn *c;
    const char *jan = "org1234567.reporting_ocpusagelineitem_daily_summary_2026_01";

    newdb("t_part");
    c = connect_db("t_part");
    exec_ok(c, "INSERT INTO org1234567.reporting_ocpusagereportperiod (id, "
               "cluster_id, report_period_start, report_period_end, "
               "provider_id) VALUES (3, 'sample-cluster', '2026-01-01', "
               "'2026-02-01', '" TP_SOURCE "'), (4, 'sample-cluster', "
               "'2026-02-01', '2026-03-01', '" TP_SOURCE "')");
    /* Rows that already went to the default partition (no January
     * partition yet), as Koku's own writes would. */
    exec_ok(c, "INSERT INTO " TABLE " (uuid, usage_start, usage_end, "
               "report_period_id, namespace, infrastructure_raw_cost) "
               "SELECT gen_random_uuid(), d, d, 3, 'early', 7 FROM "
               "generate_series('2026-01-10'::date, '2026-01-14', '1 day') d");
    CHECK_INT(q1l(c, "SELECT count(*) FROM "
                     "org1234567.reporting_ocpusagelineitem_daily_summary_default"),
              5);
    o = opts_for("t_part", 0, "2026-01-01", "2026-02-03");
    o.report_period_auto = 1;
    CHECK_INT(pg_preflight(&o, &tg, stderr, &err), OCP_OK);
    CHECK_INT(tg.missing_partitions, 2);
    CHECK_INT(pg_prepare_partitions(&o, &pr, &err), OCP_OK);
    if (err.message[0])
        fprintf(stderr, "  (%s)\n", err.message);
    CHECK_INT(pr.created, 2);
    CHECK_INT(pr.moved, 5);
    CHECK_INT(pr.skipped, 0);
    CHECK_STR(q1(c, "SELECT pg_get_expr(c.relpartbound, c.oid) || ' of ' || "
                    "i.inhparent::regclass::text FROM pg_class c JOIN "
                    "pg_inherits i ON i.inhrelid = c.oid WHERE c.relname = "
                    "'reporting_ocpusagelineitem_daily_summary_2026_01'"),
              "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01') of "
              "org1234567.reporting_ocpusagelineitem_daily_summary");
    CHECK_STR(q1(c, "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class "
                    "c WHERE c.relname = "
                    "'reporting_ocpusagelineitem_daily_summary_2026_02'"),
              "FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')");
    CHECK_STR(q1(c, "SELECT partition_parameters::text || ' ' || "
                    "partition_of_table_name || ' ' || partition_type || ' ' "
                    "|| partition_col || ' ' || active || ' ' || schema_name "
                    "FROM org1234567.partitioned_tables WHERE table_name = "
                    "'reporting_ocpusagelineitem_daily_summary_2026_01'"),
              "{\"to\": \"2026-02-01\", \"from\": \"2026-01-01\", "
              "\"default\": false} reporting_ocpusagelineitem_daily_summary "
              "range usage_start true org1234567");
    CHECK_INT(q1l(c, "SELECT count(*) FROM org1234567.partitioned_tables "
                     "WHERE table_name LIKE '%2026_02'"),
              1);
    CHECK_INT(q1l(c, "SELECT count(*) FROM "
                     "org1234567.reporting_ocpusagelineitem_daily_summary_default"),
              0);
    {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE namespace = 'early'", jan);
        CHECK_INT(q1l(c, sql), 5);
    }
    /* The attached partition got the parent's 13 indexes (PK + 12). */
    CHECK_INT(q1l(c, "SELECT count(*) FROM pg_index WHERE indrelid = "
                     "'org1234567.reporting_ocpusagelineitem_daily_summary_2026_01'::regclass"),
              q1l(c, "SELECT count(*) FROM pg_index WHERE indrelid = "
                     "'org1234567.reporting_ocpusagelineitem_daily_summary_2025_11'::regclass"));
    /* Nothing left to do the second time. */
    CHECK_INT(pg_prepare_partitions(&o, &pr, &err), OCP_OK);
    CHECK_INT(pr.created, 0);
    /* A load over both months: each month its period; the OCP-on-cloud
     * rows (raw cost 7) survive the DELETE. */
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 4, 3), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(copied, 34 * 4);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE report_period_id = 3"), 31 * 4 + 5);
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE " WHERE report_period_id = 4"), 3 * 4);
    CHECK_INT(q1l(c, "SELECT count(*) FROM "
                     "org1234567.reporting_ocpusagelineitem_daily_summary_2026_02"),
              12);
    /* create_partitions off: rows land in the default partition. */
    o = opts_for("t_part", 0, "2026-03-01", "2026-03-02");
    exec_ok(c, "INSERT INTO org1234567.reporting_ocpusagereportperiod (id, "
               "cluster_id, report_period_start, report_period_end, "
               "provider_id) VALUES (5, 'sample-cluster', '2026-03-01', "
               "'2026-04-01', '" TP_SOURCE "')");
    o.report_period_id = 5;
    o.create_partitions = 0;
    CHECK_INT(pg_prepare_partitions(&o, &pr, &err), OCP_OK);
    CHECK_INT(pr.created, 0);
    CHECK_INT(pr.skipped, 1);
    rpt_table_release(&t);
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 4, 3), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(q1l(c, "SELECT count(*) FROM "
                     "org1234567.reporting_ocpusagelineitem_daily_summary_default"),
              8);
    /* Without a default partition either, pre-flight refuses (73). */
    exec_ok(c, "ALTER TABLE " TABLE " DETACH PARTITION "
               "org1234567.reporting_ocpusagelineitem_daily_summary_default");
    {
        int lines = 0;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK_INT(pg_preflight(&o, &tg, f, &err), OCP_ERR_CANTCREAT);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        free(text);
        CHECK_INT(lines, 1);
        CHECK(strstr(err.message, "no default partition") != NULL);
    }
    rpt_table_release(&t);
    PQfinish(c);
}

/* ---- scram-sha-256 through a service file and a password file ---- */

static void test_scram(void)
{
    const char *spec = getenv("OCPAGG_PG_SCRAM");
    char role[64], pw[64], dir[] = "/tmp/ocpagg-pgsvc.XXXXXX", path[256];
    char text[1024];
    struct pg_options o;
    struct pg_target tg;
    struct ocp_error err = {0};
    struct rpt_table t;
    int64_t deleted, copied;
    PGconn *c;
    FILE *f;
    const char *colon;

    if (spec == NULL || (colon = strchr(spec, ':')) == NULL) {
        SKIP("OCPAGG_PG_SCRAM not set");
        return;
    }
    snprintf(role, sizeof role, "%.*s", (int)(colon - spec), spec);
    snprintf(pw, sizeof pw, "%s", colon + 1);
    newdb("t_scram");
    c = connect_db("t_scram");
    snprintf(text, sizeof text, "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '%s'",
             role);
    CHECK_STR(q1(c, text), "SCRAM-SHA-256$");
    snprintf(text, sizeof text,
             "GRANT USAGE ON SCHEMA org1234567 TO %s; GRANT SELECT, INSERT, "
             "DELETE ON " TABLE " TO %s; GRANT SELECT ON "
             "org1234567.reporting_ocpusagereportperiod, "
             "org1234567.reporting_ocp_cost_category TO %s",
             role, role, role);
    exec_ok(c, text);

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/pgpass", dir);
    f = fopen(path, "w");
    fprintf(f, "*:*:t_scram:%s:%s\n", role, pw);
    fclose(f);
    chmod(path, 0600);
    snprintf(path, sizeof path, "%s/pg_service.conf", dir);
    f = fopen(path, "w");
    fprintf(f,
            "[ocpagg_test]\nhost=%s\nport=%s\ndbname=t_scram\nuser=%s\n"
            "passfile=%s/pgpass\n",
            host, port, role, dir);
    fclose(f);
    setenv("PGSERVICEFILE", path, 1);

    o = opts_for("t_scram", 0, "2025-11-01", "2025-11-02");
    o.conninfo = "service=ocpagg_test";
    CHECK_INT(pg_preflight(&o, &tg, stderr, &err), OCP_OK);
    if (err.message[0])
        fprintf(stderr, "  (%s)\n", err.message);
    CHECK_INT(tg.can_create_partitions, 0);
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 5, 4), 0);
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(copied, 10);
    /* The empty conninfo: libpq's own environment (PGSERVICE here). */
    setenv("PGSERVICE", "ocpagg_test", 1);
    o.conninfo = "";
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_INT(deleted, 10);
    unsetenv("PGSERVICE");
    /* Without the password file the server refuses: scram was needed. */
    snprintf(path, sizeof path, "%s/pgpass", dir);
    unlink(path);
    o.conninfo = "service=ocpagg_test";
    CHECK_INT(pg_preflight(&o, &tg, NULL, &err), OCP_ERR_CANTCREAT);
    CHECK(strstr(err.message, "password") != NULL);
    snprintf(path, sizeof path, "%s/pg_service.conf", dir);
    unlink(path);
    rmdir(dir);
    unsetenv("PGSERVICEFILE");
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 10);
    rpt_table_release(&t);
    PQfinish(c);
}

/* ---- Two runs of one source at once ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child process: one run that holds its transaction open a while
 * before COMMIT.  Exit status: 0 ok; 10 + step on failure. */
static int child_run(const struct pg_options *o, const struct rpt_table *t, double hold,
                     double *waited, int64_t *deleted)
{
    struct pg_target tg;
    struct pg_writer *w;
    struct ocp_error err = {0};
    double t0;
    if (pg_preflight(o, &tg, stderr, &err) != OCP_OK)
        return 11;
    t0 = now();
    if (pg_writer_begin(&w, o, &tg.periods, &err) != OCP_OK) {
        fprintf(stderr, "child: %s\n", err.message);
        return 12;
    }
    *waited = now() - t0;
    pg_writer_counts(w, deleted, NULL);
    if (write_days(w, t, &tg.periods, &err) != OCP_OK)
        return 13;
    usleep((useconds_t)(hold * 1e6));
    if (pg_writer_commit(w, (int64_t)t->count, &err) != OCP_OK) {
        fprintf(stderr, "child: %s\n", err.message);
        return 14;
    }
    pg_writer_destroy(w);
    return 0;
}

static void test_concurrent(void)
{
    struct pg_options o = opts_for("t_conc", 0, "2025-11-01", "2025-11-05");
    struct rpt_table t;
    struct ocp_error err = {0};
    int64_t deleted, copied;
    int pipes[2][2];
    pid_t pid[2];
    char single[64];
    PGconn *c;

    newdb("t_conc");
    c = connect_db("t_conc");
    rpt_table_init(&t);
    CHECK_INT(tp_build(&t, o.start_date, o.end_date, 10, 5), 0);
    for (int k = 0; k < 2; k++) {
        CHECK_INT(pipe(pipes[k]), 0);
        fflush(NULL);
        pid[k] = fork();
        if (pid[k] == 0) {
            double waited = -1;
            int64_t del = -1;
            char line[64];
            int rc;
            if (k == 1)
                usleep(300000); /* start while the first holds the lock */
            rc = child_run(&o, &t, k == 0 ? 1.0 : 0.1, &waited, &del);
            snprintf(line, sizeof line, "%.3f %lld\n", waited, (long long)del);
            if (write(pipes[k][1], line, strlen(line)) < 0)
                rc = 20;
            _exit(rc);
        }
        close(pipes[k][1]);
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        char line[64] = "";
        double waited = -1;
        long long del = -1;
        ssize_t n;
        CHECK_INT(waitpid(pid[k], &status, 0), pid[k]);
        CHECK(WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), 0);
        n = read(pipes[k][0], line, sizeof line - 1);
        line[n > 0 ? n : 0] = '\0';
        close(pipes[k][0]);
        CHECK_INT(sscanf(line, "%lf %lld", &waited, &del), 2);
        fprintf(stderr, "  run %d: waited %.3f s for the lock, deleted %lld\n", k, waited, del);
        if (k == 1) {
            /* The second waited for the first's COMMIT and then deleted
             * all of its rows. */
            CHECK(waited > 0.4);
            CHECK_INT(del, 50);
        } else {
            CHECK(waited < 0.3);
            CHECK_INT(del, 0);
        }
    }
    CHECK_INT(q1l(c, "SELECT count(*) FROM " TABLE), 50);
    snprintf(single, sizeof single, "%s", q1(c, md5_all));
    CHECK_INT(load(&o, &t, &deleted, &copied, &err), OCP_OK);
    CHECK_STR(q1(c, md5_all), single);

    /* lock_timeout: a run that cannot get the lock in time fails with
     * 74 naming 55P03 and changes nothing. */
    {
        struct pg_target tg;
        struct pg_writer *a, *b;
        struct pg_options quick = o;
        double t0;
        quick.lock_timeout_seconds = 0.3;
        CHECK_INT(pg_preflight(&o, &tg, NULL, &err), OCP_OK);
        CHECK_INT(pg_writer_begin(&a, &o, &tg.periods, &err), OCP_OK);
        t0 = now();
        CHECK_INT(pg_writer_begin(&b, &quick, &tg.periods, &err), OCP_ERR_IOERR);
        CHECK(now() - t0 < 5.0);
        CHECK(strstr(err.message, "55P03") != NULL);
        CHECK(b == NULL);
        pg_writer_abort(a, "test: done");
        pg_writer_destroy(a);
        CHECK_STR(q1(c, md5_all), single);
    }
    rpt_table_release(&t);
    PQfinish(c);
}

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int main(void)
{
    char ci[600];

    host = getenv("OCPAGG_PGHOST");
    port = getenv("OCPAGG_PGPORT");
    if (host == NULL || port == NULL || host[0] == '\0') {
        printf("skipped: OCPAGG_PGHOST/OCPAGG_PGPORT not set "
               "(tests/scripts/t_pg.sh starts a server and sets them)\n");
        return 77;
    }
    snprintf(ci, sizeof ci, "host=%s port=%s user=postgres dbname=postgres", host, port);
    admin = PQconnectdb(ci);
    if (PQstatus(admin) != CONNECTION_OK)
        die("admin connection", admin);
    PQsetNoticeProcessor(admin, quiet_notice, NULL); /* DROP ... IF EXISTS */
    RUN(test_fresh_load);
    RUN(test_rerun);
    RUN(test_failures);
    RUN(test_preflight);
    RUN(test_partitions);
    RUN(test_scram);
    RUN(test_concurrent);
    PQfinish(admin);
    return TEST_SUMMARY();
}
