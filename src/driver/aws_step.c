/* aws_step.c - the OCP-on-AWS step (issue 14) after the OCP finish.
 *
 * Design (docs/aws.md): the CUR is about 1 row per 100 OCP rows, so the
 * attribution runs on rank 0 over the merged daily rows; the reading is
 * spread: every rank reads its share of the CUR files into an exact,
 * mergeable partial (src/aws) and sends its byte image, and every rank
 * sends the columns of its finished OCP summary rows that the attribution
 * needs.  The run days are the configured start/end dates, else the days
 * of the OCP summary (rank 0 tells the others before they read).  The
 * result is the same for any number of ranks, threads or file order (exact
 * sums, sorted output). */
#include "driver/aws_step.h"

#include <unistd.h>

#include <errno.h>
#include "driver/driver.h"
#include "driver/fault.h"

#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/aws.h"

#define TAG_AWS_ROWS 31
#define TAG_AWS_PARTIAL 32

int aws_step_commit(struct aws_step_result *res, struct ocp_error *err)
{
    char *dir, *slash;
    if (res->pending_path == NULL)
        return OCP_OK;
    if (rename(res->pending_path, res->output_path) != 0) {
        int e = errno;
        aws_step_abort(res);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, res->output_path, -1, NULL,
                             "cannot rename the AWS report into place: %s", strerror(e));
    }
    free(res->pending_path);
    res->pending_path = NULL;
    dir = strdup(res->output_path);
    if (dir != NULL) {
        slash = strrchr(dir, '/');
        if (slash == NULL)
            strcpy(dir, ".");
        else if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        (void)rpt_fsync_dir(dir);
        free(dir);
    }
    return OCP_OK;
}

void aws_step_abort(struct aws_step_result *res)
{
    if (res->pending_path != NULL) {
        unlink(res->pending_path);
        free(res->pending_path);
        res->pending_path = NULL;
    }
}

void aws_step_result_release(struct aws_step_result *res)
{
    aws_step_abort(res);
    free(res->counters_json);
    free(res->output_path);
    memset(res, 0, sizeof *res);
}

static char *cur_path(const struct cfg *cfg)
{
    const char *tb = cfg->aws_table, *in = cfg->input_path ? cfg->input_path : ".";
    size_t n;
    char *p;
    if (tb[0] == '/')
        return strdup(tb);
    n = strlen(in) + strlen(tb) + 2;
    p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", in, tb);
    return p;
}

/* The settings from the config; the arrays are malloc'd into *keys etc. */
static int settings(const struct cfg *cfg, struct aws_settings *s, char ***aws_keys,
                    size_t *naws, char ***pairs, size_t *npairs, struct aws_alias **aliases,
                    struct ocp_error *err)
{
    size_t i;
    memset(s, 0, sizeof *s);
    s->cluster_id = cfg->cluster_id;
    s->cluster_alias = cfg->cluster_alias ? cfg->cluster_alias : cfg->cluster_id;
    s->source_uuid = cfg->aws_source_uuid;
    s->report_period_id = cfg->report_period_id;
    s->has_bill_id = cfg->aws_has_bill_id;
    s->bill_id = cfg->aws_bill_id;
    s->markup_percent = cfg->aws_markup_percent;
    s->distribution_memory = cfg->aws_distribution_memory;
    s->ocp_keys = (const char *const *)cfg->tag_keys;
    s->n_ocp_keys = cfg->n_tag_keys;
    if (cfg_aws_split(cfg->aws_tag_keys, aws_keys, naws) != OCP_OK ||
        cfg_aws_split(cfg->aws_account_aliases, pairs, npairs) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    s->aws_keys = (const char *const *)*aws_keys;
    s->n_aws_keys = *naws;
    *aliases = calloc(*npairs + 1, sizeof **aliases);
    if (*aliases == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    for (i = 0; i < *npairs; i++) {
        char *eq = strchr((*pairs)[i], '=');
        char *v;
        if (eq == NULL) /* cfg_aws.c checked the form */
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, "aws.account_aliases",
                                 "item without '='");
        *eq = '\0';
        v = eq + 1;
        while (*v == ' ')
            v++;
        {
            size_t kl = strlen((*pairs)[i]);
            while (kl > 0 && (*pairs)[i][kl - 1] == ' ')
                (*pairs)[i][--kl] = '\0';
        }
        (*aliases)[i].account_id = (*pairs)[i];
        (*aliases)[i].alias_id = strtoll(v, NULL, 10);
    }
    s->aliases = *aliases;
    s->n_aliases = *npairs;
    return OCP_OK;
}

/* The attribution with its days on nthreads threads of rank 0: the same
 * result as aws_attribute (the day tables are appended and the counters
 * added in day order). */
static int attribute_days(const struct aws_partial *p, const struct rpt_table *ocp,
                          const struct aws_settings *s, int nthreads, struct aws_table *out,
                          struct aws_counters *c, struct ocp_error *err)
{
    struct aws_prepared *a = NULL;
    const int32_t *days;
    struct aws_table *tb = NULL;
    struct aws_counters *dc = NULL;
    struct ocp_error *de = NULL;
    int *st = NULL, rc, i, n;

    memset(c, 0, sizeof *c);
    rc = aws_prepare(p, ocp, s, &a, err);
    if (rc != OCP_OK)
        return rc;
    n = (int)aws_prepared_days(a, &days);
    tb = calloc((size_t)n + 1, sizeof *tb);
    dc = calloc((size_t)n + 1, sizeof *dc);
    de = calloc((size_t)n + 1, sizeof *de);
    st = calloc((size_t)n + 1, sizeof *st);
    if (tb == NULL || dc == NULL || de == NULL || st == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        n = 0;
    }
    for (i = 0; i < n; i++)
        aws_table_init(&tb[i]);
#pragma omp parallel for num_threads(nthreads < 1 ? 1 : nthreads) schedule(dynamic, 1)
    for (i = 0; i < n; i++)
        st[i] = aws_attribute_day(a, (size_t)i, &tb[i], &dc[i], &de[i]);
    for (i = 0; i < n; i++) {
        if (rc == OCP_OK && st[i] != OCP_OK) {
            rc = st[i];
            *err = de[i];
        }
        if (rc == OCP_OK) {
            aws_counters_add(c, &dc[i]);
            if (aws_table_append_move(out, &tb[i]) != OCP_OK)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
        aws_table_release(&tb[i]);
    }
    if (rc == OCP_OK && out->source_uuid == NULL) { /* no daily rows at all */
        out->source_uuid = strdup(s->source_uuid);
        out->cluster_id = s->cluster_id ? strdup(s->cluster_id) : NULL;
        out->cluster_alias = s->cluster_alias ? strdup(s->cluster_alias) : NULL;
        out->report_period_id = s->report_period_id;
        out->bill_id = s->bill_id;
        out->has_bill_id = s->has_bill_id;
        if (out->source_uuid == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    aws_partial_counts(p, &c->read);
    free(tb);
    free(dc);
    free(de);
    free(st);
    aws_prepared_free(a);
    return rc;
}

/* postgres: the rows into Koku's table in the OCP rows' transaction, as
 * COPY text in pieces; each month's rows carry that month's report
 * period (the one the OCP rows of the month have). */
static int write_db(struct aws_table *tb, struct out_dest *db, const char *source_uuid,
                    struct ocp_error *err)
{
    struct rpt_buf b = {0};
    size_t i = 0, j;
    int rc = out_aws_begin(db, source_uuid, err);
    while (rc == OCP_OK && i < tb->count) {
        int64_t id = out_aws_period(db, tb->rows[i].day);
        if (id < 0) {
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "an AWS row's day is outside the report periods");
            break;
        }
        for (j = i; j < tb->count && j - i < 8192 && out_aws_period(db, tb->rows[j].day) == id;)
            j++;
        tb->report_period_id = id;
        b.len = 0;
        rc = aws_encode_csv(tb, i, j, 0, &b, err);
        if (rc == OCP_OK)
            rc = out_aws_write(db, (const unsigned char *)b.data, b.len, err);
        i = j;
    }
    if (rc == OCP_OK)
        rc = out_aws_end(db, (int64_t)tb->count, err);
    rpt_buf_release(&b);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

int aws_step(struct tp *t, const struct cfg *cfg, const struct rpt_buf *rows, int status,
             struct out_dest *db, struct aws_step_result *res, struct ocp_error *err)
{
    double t0 = now_seconds();
    int rank = t->rank, size = t->nranks, r, rc = status;
    struct rpt_table ocp;
    struct aws_partial *p = NULL;
    unsigned char *wbuf = NULL;
    size_t wlen = 0;
    int32_t win[2] = {0, -1};
    char *cur = NULL;

    double tm[6] = {0};
    memset(res, 0, sizeof *res);
    rpt_table_init(&ocp);

    /* 1. The OCP rows to rank 0. */
    if (rank == 0) {
        if (rc == OCP_OK && rows->len > 0)
            rc = aws_ocp_decode((const unsigned char *)rows->data, rows->len, &ocp, err);
        for (r = 1; r < size; r++) {
            unsigned char *b = NULL;
            size_t len = 0;
            int lrc = tp_recv(t, &b, &len, rc, r, TAG_AWS_ROWS, err);
            if (rc == OCP_OK && lrc == OCP_OK)
                lrc = aws_ocp_decode(b, len, &ocp, err);
            free(b);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc;
        }
        /* 2. The run days. */
        if (rc == OCP_OK) {
            size_t i;
            win[0] = INT32_MAX;
            win[1] = INT32_MIN;
            for (i = 0; i < ocp.count; i++) {
                if (ocp.rows[i].usage_day < win[0])
                    win[0] = ocp.rows[i].usage_day;
                if (ocp.rows[i].usage_day > win[1])
                    win[1] = ocp.rows[i].usage_day;
            }
            if (cfg->has_start_date)
                win[0] = cfg->start_date;
            if (cfg->has_end_date)
                win[1] = cfg->end_date;
            if (win[0] > win[1]) { /* no OCP rows: an empty window */
                win[0] = 0;
                win[1] = -1;
            }
            wlen = sizeof win;
            wbuf = malloc(wlen);
            if (wbuf == NULL)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            else
                memcpy(wbuf, win, wlen);
        }
    } else {
        int lrc = tp_send(t, rows->data, rows->len, rc, 0, TAG_AWS_ROWS, err);
        if (rc == OCP_OK && lrc != OCP_OK)
            rc = lrc;
    }
    {
        int lrc = tp_bcast(t, &wbuf, &wlen, rc, 0, err);
        if (rc == OCP_OK && lrc != OCP_OK)
            rc = lrc;
        if (rc == OCP_OK && wlen != sizeof win)
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "bad AWS run window");
        if (rc == OCP_OK)
            memcpy(win, wbuf, sizeof win);
        free(wbuf);
    }

    tm[0] = now_seconds();
    /* 3. Every rank reads its share of the CUR; rank 0 merges. */
    if (rc == OCP_OK) {
        cur = cur_path(cfg);
        if (cur == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    if (rc == OCP_OK)
        rc = aws_partial_create(&p, win[0], win[1], cfg->strict, err);
    if (rc == OCP_OK)
        rc = aws_partial_read_dataset(p, cur, rank, size, err);
    if (rc == OCP_OK)
        rc = fault_at("aws", err);
    tm[1] = now_seconds();
    if (rank == 0) {
        for (r = 1; r < size; r++) {
            unsigned char *b = NULL;
            size_t len = 0;
            int lrc = tp_recv(t, &b, &len, rc, r, TAG_AWS_PARTIAL, err);
            if (rc == OCP_OK && lrc == OCP_OK)
                lrc = aws_partial_merge_bytes(p, b, len, err);
            free(b);
            if (rc == OCP_OK && lrc != OCP_OK)
                rc = lrc;
        }
    } else {
        struct rpt_buf b = {0};
        int lrc;
        if (rc == OCP_OK)
            rc = aws_partial_serialize(p, &b, err);
        lrc = tp_send(t, b.data, b.len, rc, 0, TAG_AWS_PARTIAL, err);
        if (rc == OCP_OK && lrc != OCP_OK)
            rc = lrc;
        rpt_buf_release(&b);
    }

    tm[2] = now_seconds();
    /* 4. Rank 0 attributes and writes. */
    if (rank == 0 && rc == OCP_OK) {
        struct aws_settings s;
        struct aws_table tb;
        struct aws_counters c;
        char **keys = NULL, **pairs = NULL;
        size_t nkeys = 0, npairs = 0;
        struct aws_alias *aliases = NULL;
        struct rpt_buf js = {0};
        aws_table_init(&tb);
        rc = settings(cfg, &s, &keys, &nkeys, &pairs, &npairs, &aliases, err);
        if (rc == OCP_OK && out_aws_to_db(db) && db->periods->n > 0)
            s.report_period_id = db->periods->month[0].id; /* as the OCP rows */
        if (rc == OCP_OK)
            rc = attribute_days(p, &ocp, &s, cfg->threads > 0 ? cfg->threads
                                                                : omp_get_max_threads(),
                                &tb, &c, err);
        tm[3] = now_seconds();
        if (rc == OCP_OK && (!out_aws_to_db(db) || cfg->aws_output != NULL)) {
            /* Written under a temporary name of the final one (so the
             * next run cleans it up if this one dies), renamed only when
             * the OCP report commits. */
            res->output_path = cfg_aws_output_path(cfg);
            res->pending_path =
                res->output_path != NULL ? rpt_temp_name(res->output_path) : NULL;
            if (res->output_path == NULL || res->pending_path == NULL)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
        if (rc == OCP_OK && res->output_path != NULL)
            rpt_remove_stale_temps(res->output_path);
        if (rc == OCP_OK && res->pending_path != NULL)
            rc = ends_with(res->output_path, ".parquet")
                     ? aws_write_parquet(&tb, res->pending_path, err)
                     : aws_write_csv(&tb, res->pending_path, err);
        /* After the file, since it restamps each month's period. */
        if (rc == OCP_OK && out_aws_to_db(db))
            rc = write_db(&tb, db, cfg->aws_source_uuid, err);
        /* Tests: a failure or signal once both tables' rows are sent. */
        if (rc == OCP_OK && out_aws_to_db(db))
            rc = fault_at("awspg", err);
        if (rc != OCP_OK)
            aws_step_abort(res);
        tm[4] = now_seconds();
        if (rc == OCP_OK && getenv("OCPAGG_AWS_TIMING") != NULL)
            fprintf(stderr, "ocpagg: AWS step: OCP rows to rank 0 %.2f s, CUR read %.2f s, "
                            "partials merged %.2f s, attribution %.2f s, write %.2f s\n",
                    tm[0] - t0, tm[1] - tm[0], tm[2] - tm[1], tm[3] - tm[2], tm[4] - tm[3]);
        if (rc == OCP_OK) {
            res->cur_rows = c.read.rows_read;
            res->report_rows = (int64_t)tb.count;
            if (aws_counters_json(&c, &js) != OCP_OK ||
                (res->counters_json = malloc(js.len + 1)) == NULL)
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            else {
                memcpy(res->counters_json, js.data, js.len);
                res->counters_json[js.len] = '\0';
            }
        }
        rpt_buf_release(&js);
        aws_table_release(&tb);
        cfg_aws_split_free(keys, nkeys);
        cfg_aws_split_free(pairs, npairs);
        free(aliases);
    }
    free(cur);
    aws_partial_free(p);
    rpt_table_release(&ocp);
    res->seconds = now_seconds() - t0;
    return rc;
}
