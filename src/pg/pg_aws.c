/* pg_aws.c - the OCP-on-AWS rows (issue 14) in Koku's
 * reporting_ocpawscostlineitem_project_daily_summary_p, in the OCP
 * writer's transaction.
 *
 * Nothing here talks to the server on its own terms: the table checks
 * are pgi_check_table (pg_preflight.c), the partitions
 * pg_prepare_partitions, the DELETE and COPY run through the writer's
 * transaction (pgi_writer_exec / pgi_writer_copy_begin / pg_writer_write),
 * so a failure anywhere rolls back the OCP rows and the AWS rows
 * together.  What is AWS-specific is the column list (aws_column_names,
 * the order aws_encode_csv writes), the column kinds, the rerun scope and
 * the foreign keys this table has that the OCP table has not (the AWS
 * bill, the account aliases). */
#include "pg_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/aws.h"
#include "ocpagg/text.h"

/* The kinds of aws_column_names, in that order (checked at run time
 * against the names' count, so the two lists cannot drift apart). */
static const enum pgi_kind aws_kinds[] = {
    K_UUID, /* uuid */
    K_INT,  /* report_period_id */
    K_TEXT, K_TEXT, K_TEXT, K_TEXT, K_TEXT, K_TEXT, K_TEXT, K_TEXT,
    K_TEXT,                 /* cluster_id .. resource_id */
    K_DATE, K_DATE,         /* usage_start, usage_end */
    K_TEXT, K_TEXT, K_TEXT, /* product_code, product_family, instance_type */
    K_INT,                  /* cost_entry_bill_id */
    K_TEXT,                 /* usage_account_id */
    K_INT,                  /* account_alias_id */
    K_TEXT, K_TEXT, K_TEXT, /* availability_zone, region, unit */
    K_NUM,  K_NUM,  K_NUM,  /* usage_amount, data in, data out */
    K_TEXT, K_TEXT,         /* data_transfer_direction, currency_code */
    K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM,  K_NUM, /* costs */
    K_JSON, K_JSON, K_JSON, /* pod_labels, tags, aws_cost_category */
    K_INT,                  /* cost_category_id */
    K_UUID,                 /* source_uuid */
};

static int aws_ncols(void)
{
    int n = 0;
    while (aws_column_names[n] != NULL)
        n++;
    return n;
}

/* o with the AWS table as its table. */
static struct pg_options aws_options(const struct pg_options *o)
{
    struct pg_options a = *o;
    a.table = PG_AWS_TABLE;
    return a;
}

int pg_aws_preflight(const struct pg_options *o, const struct pg_periods *periods, int has_bill,
                     int64_t bill_id, const int64_t *alias_ids, size_t n_alias_ids, FILE *report,
                     struct ocp_error *err)
{
    struct pg_options a = aws_options(o);
    const struct pgi_table_spec spec = {PG_AWS_TABLE, aws_column_names, aws_kinds, aws_ncols(),
                                        PG_AWS_TABLE};
    struct pgi_checks ck;
    PGconn *conn = NULL;
    int32_t missing = 0;
    int owner = 0, rc;

    memset(&ck, 0, sizeof ck);
    ck.report = report;
    ck.err = err;
    if (spec.ncols != (int)(sizeof aws_kinds / sizeof aws_kinds[0]))
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "pg_aws.c: %d AWS columns but %d kinds", spec.ncols,
                             (int)(sizeof aws_kinds / sizeof aws_kinds[0]));
    if (has_bill && periods->n > 1) {
        /* Koku has one bill per AWS source and month, and so one
         * cost_entry_bill_id per month's rows; the setting is one id. */
        pgi_problem(&ck, OCP_ERR_CONFIG,
                    "key 'aws.bill_id': one month's bill, but the range spans "
                    "%d months; run one month at a time (or leave aws.bill_id "
                    "unset: cost_entry_bill_id NULL)",
                    (int)periods->n);
        return pgi_finish_checks(&ck);
    }
    if ((rc = pgi_connect(&a, &conn, &ck.scratch)) != OCP_OK) {
        if (report != NULL)
            fprintf(report, "ocpagg: postgres pre-flight: %s\n", ck.scratch.message);
        if (err != NULL)
            *err = ck.scratch;
        return rc;
    }
    if (pgi_check_table(conn, &a, &spec, periods, &ck, &missing, &owner)) {
        if (has_bill)
            pgi_check_ids(conn, o->schema, "reporting_awscostentrybill", "aws.bill_id", &bill_id, 1,
                          &ck);
        pgi_check_ids(conn, o->schema, "reporting_awsaccountalias", "aws.account_aliases",
                      alias_ids, n_alias_ids, &ck);
    }
    PQfinish(conn);
    return pgi_finish_checks(&ck);
}

int pg_aws_prepare_partitions(const struct pg_options *o, struct pg_partition_result *res,
                              struct ocp_error *err)
{
    struct pg_options a = aws_options(o);
    return pg_prepare_partitions(&a, res, err);
}

int pg_aws_begin(struct pg_writer *w, const struct pg_options *o, const struct pg_periods *periods,
                 const char *aws_source_uuid, int64_t *deleted, struct ocp_error *err)
{
    char *q = pgi_qname(pgi_writer_conn(w), o->schema, PG_AWS_TABLE);
    char *sql = NULL;
    size_t cap = 1024;
    int rc = OCP_OK;

    *deleted = 0;
    for (int i = 0; aws_column_names[i] != NULL; i++)
        cap += strlen(aws_column_names[i]) + 2;
    if (q == NULL || (sql = malloc(cap)) == NULL) {
        free(q);
        pg_writer_abort(w, "ocpagg: out of memory");
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    /* Koku reruns OCP on AWS per (AWS source, OCP cluster, month):
     * delete_line_item_daily_summary_entries_for_date_range_raw with the
     * OCP report period (one cluster and month), or, in its newer task
     * flow, with the AWS bill (one source and month, every cluster).  One
     * ocpagg run is one cluster and one AWS source, so both conditions
     * together are its scope: other clusters' rows of this source and
     * other sources' rows of this cluster stay. */
    snprintf(sql, cap,
             "DELETE FROM %s WHERE usage_start >= $1::date AND "
             "usage_start <= $2::date AND report_period_id = $3::int8 AND "
             "source_uuid = $4::uuid",
             q);
    for (int32_t m = 0; m < periods->n && rc == OCP_OK; m++) {
        char from[11], to[11], id[24];
        const char *params[4] = {from, to, id, aws_source_uuid};
        int64_t n = 0;
        txt_format_date(periods->month[m].first_day, from);
        txt_format_date(periods->month[m].last_day, to);
        snprintf(id, sizeof id, "%" PRId64, periods->month[m].id);
        rc = pgi_writer_exec(w, sql, 4, params, "DELETE of the range from the AWS table", &n, err);
        *deleted += n;
    }
    if (rc == OCP_OK) {
        size_t used = (size_t)snprintf(sql, cap, "COPY %s (", q);
        for (int i = 0; aws_column_names[i] != NULL; i++)
            used += (size_t)snprintf(sql + used, cap - used, "%s%s", i ? ", " : "",
                                     aws_column_names[i]);
        snprintf(sql + used, cap - used, ") FROM STDIN (FORMAT csv)");
        rc = pgi_writer_copy_begin(w, sql, err);
    }
    free(q);
    free(sql);
    return rc;
}

int pg_aws_end(struct pg_writer *w, int64_t expected_rows, int64_t *copied, struct ocp_error *err)
{
    int rc = pgi_writer_copy_end(w, copied,
                                 "COPY into " PG_AWS_TABLE " failed, both tables "
                                 "rolled back (the row is the AWS report's)",
                                 err);
    if (rc != OCP_OK)
        return rc;
    if (*copied != expected_rows) {
        pg_writer_abort(w, NULL);
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "COPY into %s took %" PRId64 " rows but the AWS "
                             "report has %" PRId64 "; rolled back, both "
                             "tables are unchanged",
                             PG_AWS_TABLE, *copied, expected_rows);
    }
    return OCP_OK;
}
