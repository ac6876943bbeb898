/* rpt_csv.c - the report as CSV for PostgreSQL COPY ... CSV HEADER.
 *
 * NULL is an unquoted empty field; every non-NULL string is quoted, so an
 * empty string ("") stays distinguishable from NULL. */
#include "ocpagg/report.h"
#include "ocpagg/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put_sep(FILE *f)
{
    putc_unlocked(',', f);
}

static void put_str(FILE *f, const char *s)
{
    const char *q;
    if (s == NULL)
        return;
    putc_unlocked('"', f);
    /* Copy runs without quotes in one call; double each quote. */
    while ((q = strchr(s, '"')) != NULL) {
        fwrite_unlocked(s, 1, (size_t)(q - s) + 1, f);
        putc_unlocked('"', f);
        s = q + 1;
    }
    fputs_unlocked(s, f);
    putc_unlocked('"', f);
}

static void put_num(FILE *f, double v)
{
    char buf[40];
    size_t n;
    if (isnan(v))
        return;
    n = rpt_format_double(v, buf);
    fwrite_unlocked(buf, 1, n, f);
}

static void put_row(FILE *f, const struct rpt_row *r,
                    const struct rpt_meta *meta)
{
    char day[11];
    int i;

    txt_format_date(r->usage_day, day);
    fputs(r->uuid, f);
    fprintf(f, ",%" PRId64 ",", meta->report_period_id);
    put_str(f, meta->cluster_id);
    put_sep(f);
    put_str(f, meta->cluster_alias);
    fputs(r->source == RPT_SOURCE_POD ? ",Pod," : ",Storage,", f);
    fprintf(f, "%s,%s,", day, day);
    put_str(f, r->namespace_);
    put_sep(f);
    put_str(f, r->node);
    put_sep(f);
    put_str(f, r->resource_id);
    put_sep(f);
    put_str(f, r->pod_labels);
    for (i = RPT_POD_USAGE_CPU_HOURS; i <= RPT_CLUSTER_CAP_MEM_GBH; i++) {
        put_sep(f);
        put_num(f, r->num[i]);
    }
    put_sep(f);
    put_str(f, r->pvc);
    put_sep(f);
    put_str(f, r->pv);
    put_sep(f);
    put_str(f, r->storageclass);
    put_sep(f);
    put_str(f, r->volume_labels);
    put_sep(f);
    put_str(f, r->all_labels);
    for (i = RPT_PVC_CAP_GB; i <= RPT_PVC_USAGE_GB_MONTHS; i++) {
        put_sep(f);
        put_num(f, r->num[i]);
    }
    put_sep(f);
    put_str(f, meta->source_uuid);
    put_sep(f);
    if (r->has_infra_cost)
        put_str(f, rpt_infra_cost_text);
    put_sep(f);
    put_str(f, r->csi_volume_handle);
    put_sep(f);
    if (r->has_cost_category)
        fprintf(f, "%" PRId64, r->cost_category_id);
    fputc('\n', f);
}

int rpt_write_csv(const struct rpt_table *t, const struct rpt_meta *meta,
                  const char *path, struct ocp_error *err)
{
    char *tmp = NULL;
    FILE *f = NULL;
    size_t i, plen = strlen(path);
    int rc = OCP_OK;

    tmp = malloc(plen + 32);
    if (tmp == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL,
                             "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                           "cannot create report: %s", strerror(errno));
        goto cleanup;
    }
    setvbuf(f, NULL, _IOFBF, (size_t)1 << 20);
    for (i = 0; rpt_column_names[i] != NULL; i++) {
        if (i > 0)
            put_sep(f);
        fputs(rpt_column_names[i], f);
    }
    fputc('\n', f);
    for (i = 0; i < t->count; i++)
        put_row(f, &t->rows[i], meta);
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = ocp_error_set(err, OCP_ERR_IOERR, path, -1, NULL,
                           "cannot write report: %s", strerror(errno));
        goto cleanup;
    }
    if (fclose(f) != 0) {
        f = NULL;
        rc = ocp_error_set(err, OCP_ERR_IOERR, path, -1, NULL,
                           "cannot write report: %s", strerror(errno));
        goto cleanup;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                           "cannot rename report into place: %s",
                           strerror(errno));
        goto cleanup;
    }
cleanup:
    if (f != NULL)
        fclose(f);
    if (rc != OCP_OK && tmp != NULL)
        unlink(tmp);
    free(tmp);
    return rc;
}
