/*
 * sink_cur.c - ocpgen's AWS CUR output (issue 14): the rows of gen_cur()
 * as Parquet files in Koku's raw CUR layout (strings, DOUBLE numbers,
 * lineitem_usagestartdate as TIMESTAMP(ms, UTC)), rows_per_file rows per
 * file named cur_NNNNN.parquet under the output folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocpagg/arena.h"
#include "ocpagg/aws.h"
#include "ocpagg/pq_writer.h"
#include "ocpagg/report.h"
#include "ocpgen.h"

#define NCOL (1 + AWS_NSTR + AWS_NNUM)

struct cur_sink {
    const char *dir;
    int64_t rows_per_file;
    int files;
    size_t n, cap;
    int64_t *ms;
    const char **str[AWS_NSTR];
    double *num[AWS_NNUM];
    struct ocp_arena arena;
};

static int flush(struct cur_sink *s, struct ocp_error *err)
{
    struct pq_column_desc desc[NCOL];
    struct pq_schema_desc schema = {NCOL, desc};
    struct pq_column_data cols[NCOL];
    struct pq_write_options opt;
    struct pq_writer *w = NULL;
    char path[4096];
    int k, rc;
    if (s->n == 0)
        return OCP_OK;
    memset(desc, 0, sizeof desc);
    memset(cols, 0, sizeof cols);
    desc[0].name = "lineitem_usagestartdate";
    desc[0].type = PQ_WT_TIMESTAMP_MILLIS;
    desc[0].utc = 1;
    desc[0].optional = 1;
    cols[0].i64 = s->ms;
    cols[0].sentinel_nulls = 1;
    for (k = 0; k < AWS_NSTR; k++) {
        desc[1 + k].name = aws_str_column_names[k];
        desc[1 + k].type = PQ_WT_STRING;
        desc[1 + k].optional = 1;
        cols[1 + k].str.cstr = s->str[k];
    }
    for (k = 0; k < AWS_NNUM; k++) {
        desc[1 + AWS_NSTR + k].name = aws_num_column_names[k];
        desc[1 + AWS_NSTR + k].type = PQ_WT_DOUBLE;
        desc[1 + AWS_NSTR + k].optional = 1;
        cols[1 + AWS_NSTR + k].f64 = s->num[k];
    }
    snprintf(path, sizeof path, "%s/cur_%05d.parquet", s->dir, s->files++);
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_SNAPPY;
    rc = pq_writer_create(path, &schema, &opt, &w, err);
    if (rc != OCP_OK)
        return rc;
    rc = pq_writer_write_batch(w, cols, s->n, err);
    if (rc != OCP_OK) {
        pq_writer_abort(w);
        return rc;
    }
    rc = pq_writer_close(w, err);
    s->n = 0;
    ocp_arena_reset(&s->arena);
    return rc;
}

static int emit(void *ctx, const struct aws_raw_row *r, struct ocp_error *err)
{
    struct cur_sink *s = ctx;
    int k;
    if (s->n == s->cap) {
        int rc = flush(s, err);
        if (rc != OCP_OK)
            return rc;
    }
    s->ms[s->n] = r->start_null ? INT64_MIN : r->start_us / 1000;
    for (k = 0; k < AWS_NSTR; k++) {
        char *c = NULL;
        if (r->str[k] != NULL) {
            c = ocp_arena_alloc(&s->arena, r->len[k] + 1);
            if (c == NULL)
                return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            memcpy(c, r->str[k], r->len[k]);
            c[r->len[k]] = '\0';
        }
        s->str[k][s->n] = c;
    }
    for (k = 0; k < AWS_NNUM; k++)
        s->num[k][s->n] = r->num[k];
    s->n++;
    return OCP_OK;
}

int ocpgen_write_cur(const struct ocpgen_options *o, int64_t *rows, struct ocp_error *err)
{
    struct cur_sink s;
    int k, rc = OCP_OK;
    memset(&s, 0, sizeof s);
    s.dir = o->aws_cur;
    s.cap = (size_t)(o->aws_rows_per_file > 0 ? o->aws_rows_per_file : 1000000);
    if (rpt_mkdir_p(s.dir) != 0)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s.dir, -1, NULL, "cannot create: %s",
                             strerror(errno));
    ocp_arena_init(&s.arena, 1 << 20);
    s.ms = malloc(s.cap * sizeof *s.ms);
    if (s.ms == NULL)
        rc = OCP_ERR_OSERR;
    for (k = 0; k < AWS_NSTR && rc == OCP_OK; k++)
        if ((s.str[k] = malloc(s.cap * sizeof *s.str[k])) == NULL)
            rc = OCP_ERR_OSERR;
    for (k = 0; k < AWS_NNUM && rc == OCP_OK; k++)
        if ((s.num[k] = malloc(s.cap * sizeof *s.num[k])) == NULL)
            rc = OCP_ERR_OSERR;
    if (rc != OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (rc == OCP_OK)
        rc = gen_cur(&o->gen, o->aws_cluster_id, emit, &s, rows, err);
    if (rc == OCP_OK)
        rc = flush(&s, err);
    free(s.ms);
    for (k = 0; k < AWS_NSTR; k++)
        free(s.str[k]);
    for (k = 0; k < AWS_NNUM; k++)
        free(s.num[k]);
    ocp_arena_release(&s.arena);
    return rc;
}
