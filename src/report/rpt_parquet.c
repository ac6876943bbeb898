/*
 * rpt_parquet.c - the report as Parquet, typed like Koku's Trino table
 * reporting_ocpusagelineitem_daily_summary: the Parquet half of the report
 * stream, from decoded rows to the committed file or tree.  The day block
 * the rows arrive in, and its layout, are rpt_parquet_block.c's.
 *
 * Rank 0 decodes the blocks, a chunk of rows at a time, and hands them to
 * the Parquet writer as column arrays whose strings point into the block
 * (no copies).  The writer cuts pages and row groups by its own counters,
 * value by value, so the file does not depend on how the rows were cut
 * into blocks: streaming day blocks gives the same bytes as writing the
 * whole table at once.
 *
 * Single file: written as "<path>.tmp.<host>.<pid>", renamed over path on
 * commit.  Partitioned: the whole tree is built under
 * "<path>.tmp.<host>.<pid>/" (one file per day in
 * source=/year=/month=/day=), every folder is fsync'ed, and the tree is
 * swapped with the old one by one renameat2(RENAME_EXCHANGE) (two renames
 * where the file system lacks it); the old tree is removed afterwards.  A
 * failure before the swap removes the new tree and leaves the old report
 * exactly as it was.
 */
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocpagg/pq_writer.h"
#include "ocpagg/text.h"

/* Rows decoded and handed to the writer at a time. */
#define BLOCK_ROWS 8192

/* Column order is rpt_column_names; the kinds below follow it. */
enum col_kind { K_UUID, K_PERIOD, K_CONST, K_SOURCE, K_DATE, K_STR, K_NUM, K_INFRA, K_CATEGORY };

struct rcol {
    enum col_kind kind;
    int which; /* K_STR: field index; K_NUM: enum rpt_num; K_CONST: 0..2 */
};

static const struct rcol rcols[] = {
    {K_UUID, 0},
    {K_PERIOD, 0},
    {K_CONST, 0},
    {K_CONST, 1},
    {K_SOURCE, 0},
    {K_DATE, 0},
    {K_DATE, 1},
    {K_STR, RPT_S_NAMESPACE},
    {K_STR, RPT_S_NODE},
    {K_STR, RPT_S_RESOURCE},
    {K_STR, RPT_S_POD_LABELS},
    {K_NUM, RPT_POD_USAGE_CPU_HOURS},
    {K_NUM, RPT_POD_REQUEST_CPU_HOURS},
    {K_NUM, RPT_POD_EFFECTIVE_CPU_HOURS},
    {K_NUM, RPT_POD_LIMIT_CPU_HOURS},
    {K_NUM, RPT_POD_USAGE_MEM_GBH},
    {K_NUM, RPT_POD_REQUEST_MEM_GBH},
    {K_NUM, RPT_POD_EFFECTIVE_MEM_GBH},
    {K_NUM, RPT_POD_LIMIT_MEM_GBH},
    {K_NUM, RPT_NODE_CAP_CPU_CORES},
    {K_NUM, RPT_NODE_CAP_CPU_HOURS},
    {K_NUM, RPT_NODE_CAP_MEM_GB},
    {K_NUM, RPT_NODE_CAP_MEM_GBH},
    {K_NUM, RPT_CLUSTER_CAP_CPU_HOURS},
    {K_NUM, RPT_CLUSTER_CAP_MEM_GBH},
    {K_STR, RPT_S_PVC},
    {K_STR, RPT_S_PV},
    {K_STR, RPT_S_SC},
    {K_STR, RPT_S_VOL_LABELS},
    {K_STR, RPT_S_ALL_LABELS},
    {K_NUM, RPT_PVC_CAP_GB},
    {K_NUM, RPT_PVC_CAP_GB_MONTHS},
    {K_NUM, RPT_VOLUME_REQUEST_GB_MONTHS},
    {K_NUM, RPT_PVC_USAGE_GB_MONTHS},
    {K_CONST, 2},
    {K_INFRA, 0},
    {K_STR, RPT_S_CSI},
    {K_CATEGORY, 0},
};
#define NRCOLS (sizeof rcols / sizeof rcols[0])

/* Column buffers for one block of rows. */
struct block {
    const char **str[NRCOLS];
    double *num[NRCOLS];
    int32_t *i32[NRCOLS];
    uint8_t *valid[NRCOLS];
};

static void block_free(struct block *b)
{
    size_t c;
    for (c = 0; c < NRCOLS; c++) {
        free(b->str[c]);
        free(b->num[c]);
        free(b->i32[c]);
        free(b->valid[c]);
    }
}

static int block_alloc(struct block *b)
{
    size_t c;

    memset(b, 0, sizeof *b);
    for (c = 0; c < NRCOLS; c++) {
        switch (rcols[c].kind) {
        case K_NUM:
            b->num[c] = malloc(BLOCK_ROWS * sizeof(double));
            if (b->num[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        case K_PERIOD:
        case K_DATE:
        case K_CATEGORY:
            b->i32[c] = malloc(BLOCK_ROWS * sizeof(int32_t));
            b->valid[c] = malloc(BLOCK_ROWS);
            if (b->i32[c] == NULL || b->valid[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        default:
            b->str[c] = malloc(BLOCK_ROWS * sizeof(const char *));
            if (b->str[c] == NULL)
                return OCP_ERR_OSERR;
            break;
        }
    }
    return OCP_OK;
}

static void schema_of(struct pq_column_desc *cols)
{
    size_t c;

    for (c = 0; c < NRCOLS; c++) {
        memset(&cols[c], 0, sizeof cols[c]);
        cols[c].name = rpt_column_names[c];
        cols[c].optional = 1;
        switch (rcols[c].kind) {
        case K_NUM: cols[c].type = PQ_WT_DOUBLE; break;
        case K_PERIOD:
        case K_CATEGORY: cols[c].type = PQ_WT_INT32; break;
        case K_DATE: cols[c].type = PQ_WT_DATE; break;
        default:
            cols[c].type = PQ_WT_STRING;
            /* One distinct uuid per row: a dictionary would only be
             * abandoned again. */
            cols[c].dict = rcols[c].kind == K_UUID ? PQ_DICT_OFF : PQ_DICT_AUTO;
            break;
        }
    }
}

/* Fills the block from rows [from, from + n) and writes it. */
static int write_block(struct pq_writer *w, struct block *b, const struct rpt_table *t,
                       const struct rpt_meta *meta, size_t from, size_t n, struct ocp_error *err)
{
    struct pq_column_data cd[NRCOLS];
    const char *consts[3] = {meta->cluster_id, meta->cluster_alias, meta->source_uuid};
    size_t c, i;

    memset(cd, 0, sizeof cd);
    for (i = 0; i < n; i++) {
        const struct rpt_row *r = &t->rows[from + i];
        for (c = 0; c < NRCOLS; c++) {
            switch (rcols[c].kind) {
            case K_UUID: b->str[c][i] = r->uuid; break;
            case K_PERIOD:
                b->i32[c][i] = (int32_t)meta->report_period_id;
                b->valid[c][i] = 1;
                break;
            case K_CONST: b->str[c][i] = consts[rcols[c].which]; break;
            case K_SOURCE: b->str[c][i] = r->source == RPT_SOURCE_POD ? "Pod" : "Storage"; break;
            case K_DATE:
                b->i32[c][i] = r->usage_day;
                b->valid[c][i] = 1;
                break;
            case K_STR: b->str[c][i] = rpt_pq_row_str(r, rcols[c].which); break;
            case K_NUM: b->num[c][i] = r->num[rcols[c].which]; break;
            case K_INFRA: b->str[c][i] = r->has_infra_cost ? rpt_infra_cost_text : NULL; break;
            case K_CATEGORY:
                if (r->has_cost_category &&
                    (r->cost_category_id < INT32_MIN || r->cost_category_id > INT32_MAX))
                    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "cost_category_id",
                                         "%lld does not fit the INT column",
                                         (long long)r->cost_category_id);
                b->i32[c][i] = (int32_t)r->cost_category_id;
                b->valid[c][i] = (uint8_t)(r->has_cost_category != 0);
                break;
            }
        }
    }
    for (c = 0; c < NRCOLS; c++) {
        cd[c].str.cstr = b->str[c];
        cd[c].f64 = b->num[c];
        cd[c].sentinel_nulls = 1; /* NaN is NULL */
        cd[c].i32 = b->i32[c];
        cd[c].valid = b->valid[c];
    }
    return pq_writer_write_batch(w, cd, n, err);
}

/* ---- the sink -------------------------------------------------------- */

/* Errors name the report (the message names the temporary file). */
static void name_report(struct ocp_error *err, const char *path)
{
    if (err != NULL)
        snprintf(err->file, sizeof err->file, "%s", path);
}

struct rpt_pq_sink {
    char *path; /* the final file or folder */
    char *tmp;  /* "<path>.tmp.<host>.<pid>" */
    int partitioned;
    int tmp_made;         /* partitioned: the temporary tree exists */
    struct rpt_meta meta; /* strings below */
    char *meta_str[3];
    struct pq_writer *w; /* the open file */
    char *w_path;        /* its final name */
    int have_day;
    int32_t day; /* partitioned: the open file's day */
    struct block cols;
    struct rpt_row *rows; /* one decoded chunk */
    char **dirs;          /* partitioned: folders made under tmp */
    size_t ndirs, capdirs;
    int64_t bytes, files;
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void sink_free(struct rpt_pq_sink *s)
{
    size_t i;
    int k;

    block_free(&s->cols);
    free(s->rows);
    for (i = 0; i < s->ndirs; i++)
        free(s->dirs[i]);
    free(s->dirs);
    for (k = 0; k < 3; k++)
        free(s->meta_str[k]);
    free(s->w_path);
    free(s->path);
    free(s->tmp);
    free(s);
}

void rpt_pq_abort(struct rpt_pq_sink *s)
{
    if (s == NULL)
        return;
    pq_writer_abort(s->w);
    s->w = NULL;
    if (s->tmp != NULL) {
        if (s->partitioned) {
            if (s->tmp_made)
                rpt_remove_tree(s->tmp);
        } else {
            unlink(s->tmp);
        }
    }
    sink_free(s);
}

static int open_writer(struct rpt_pq_sink *s, const char *file, struct ocp_error *err)
{
    struct pq_column_desc cols[NRCOLS];
    struct pq_schema_desc schema = {NRCOLS, cols};
    struct pq_write_options opt;
    struct pq_kv kv[1] = {{"ocpagg.table", "reporting_ocpusagelineitem_daily_summary"}};

    schema_of(cols);
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_SNAPPY;
    opt.row_group_rows = 131072;
    opt.kv = kv;
    opt.nkv = 1;
    free(s->w_path);
    s->w_path = strdup(file);
    if (s->w_path == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, file, -1, NULL, "out of memory");
    return pq_writer_create(file, &schema, &opt, &s->w, err);
}

/* Closes the open file (the writer fsyncs it and renames it from its own
 * temporary name) and counts it. */
static int close_writer(struct rpt_pq_sink *s, struct ocp_error *err)
{
    struct stat st;
    int rc;

    if (s->w == NULL)
        return OCP_OK;
    rc = pq_writer_close(s->w, err);
    s->w = NULL;
    if (rc != OCP_OK)
        return rc;
    if (stat(s->w_path, &st) == 0)
        s->bytes += (int64_t)st.st_size;
    s->files++;
    return OCP_OK;
}

int rpt_pq_open(struct rpt_pq_sink **out, const char *path, int partitioned,
                const struct rpt_meta *meta, struct ocp_error *err)
{
    struct rpt_pq_sink *s;
    struct stat st;
    int rc;

    *out = NULL;
    if (meta->report_period_id < INT32_MIN || meta->report_period_id > INT32_MAX)
        return ocp_error_set(err, OCP_ERR_DATA, path, -1, "report_period_id",
                             "%lld does not fit the INT column", (long long)meta->report_period_id);
    if (lstat(path, &st) == 0 && (partitioned ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
        return ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                             partitioned ? "exists and is not a folder; not replacing it"
                                         : "is not a regular file; not replacing it");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    s->partitioned = partitioned;
    s->path = strdup(path);
    s->tmp = rpt_temp_name(path);
    s->meta = *meta;
    s->meta_str[0] = dup_or_null(meta->cluster_id);
    s->meta_str[1] = dup_or_null(meta->cluster_alias);
    s->meta_str[2] = dup_or_null(meta->source_uuid);
    s->meta.cluster_id = s->meta_str[0];
    s->meta.cluster_alias = s->meta_str[1];
    s->meta.source_uuid = s->meta_str[2];
    s->rows = malloc(BLOCK_ROWS * sizeof *s->rows);
    rc = block_alloc(&s->cols);
    if (rc != OCP_OK || s->path == NULL || s->tmp == NULL || s->rows == NULL ||
        (meta->cluster_id != NULL && s->meta_str[0] == NULL) ||
        (meta->cluster_alias != NULL && s->meta_str[1] == NULL) ||
        (meta->source_uuid != NULL && s->meta_str[2] == NULL)) {
        sink_free(s);
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    }
    rpt_remove_stale_temps(path);
    if (partitioned) {
        /* An existing tree of our name is a dead run's that had our PID
         * (PIDs are reused); this process has no other stream there. */
        int made = mkdir(s->tmp, 0777) == 0;
        if (!made && errno == EEXIST && rpt_remove_tree(s->tmp) == 0)
            made = mkdir(s->tmp, 0777) == 0;
        if (!made) {
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                               "cannot create the folder %s: %s", s->tmp, strerror(errno));
            sink_free(s);
            return rc;
        }
        s->tmp_made = 1;
    } else {
        rc = open_writer(s, s->tmp, err);
        if (rc != OCP_OK) {
            name_report(err, path);
            rpt_pq_abort(s);
            return rc;
        }
    }
    *out = s;
    return OCP_OK;
}

/* Makes one folder under the temporary tree, remembering it for fsync. */
static int make_dir(struct rpt_pq_sink *s, const char *dir, struct ocp_error *err)
{
    char *copy;

    if (mkdir(dir, 0777) != 0) {
        if (errno == EEXIST)
            return OCP_OK;
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                             "cannot create the folder %s: %s", dir, strerror(errno));
    }
    if (s->ndirs == s->capdirs) {
        size_t ncap = s->capdirs ? s->capdirs * 2 : 16;
        char **nd = realloc(s->dirs, ncap * sizeof *nd);
        if (nd == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, s->path, -1, NULL, "out of memory");
        s->dirs = nd;
        s->capdirs = ncap;
    }
    copy = strdup(dir);
    if (copy == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, s->path, -1, NULL, "out of memory");
    s->dirs[s->ndirs++] = copy;
    return OCP_OK;
}

/* Partitioned: closes the previous day's file and opens day's. */
static int start_day(struct rpt_pq_sink *s, int32_t day, struct ocp_error *err)
{
    char date[11], dir[OCP_ERROR_PATH_MAX], file[OCP_ERROR_PATH_MAX + 64];
    const char *levels[4] = {"/source=", "/year=", "/month=", "/day="};
    size_t at;
    int n, i, rc;

    /* One file per day: a day seen again would overwrite its file. */
    if (s->have_day && day <= s->day)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, s->path, -1, NULL,
                             "report rows are not sorted by usage_start");
    rc = close_writer(s, err);
    if (rc != OCP_OK)
        return rc;
    s->have_day = 1;
    s->day = day;
    txt_format_date(day, date);
    n = snprintf(dir, sizeof dir, "%s", s->tmp);
    for (i = 0; i < 4 && n >= 0 && (size_t)n < sizeof dir; i++) {
        at = (size_t)n;
        switch (i) {
        case 0:
            n += snprintf(dir + at, sizeof dir - at, "%s%s", levels[i],
                          s->meta.source_uuid ? s->meta.source_uuid : "unknown");
            break;
        case 1: n += snprintf(dir + at, sizeof dir - at, "%s%.4s", levels[i], date); break;
        case 2: n += snprintf(dir + at, sizeof dir - at, "%s%.2s", levels[i], date + 5); break;
        default: n += snprintf(dir + at, sizeof dir - at, "%s%.2s", levels[i], date + 8); break;
        }
        if (n < 0 || (size_t)n >= sizeof dir)
            break;
        rc = make_dir(s, dir, err);
        if (rc != OCP_OK)
            return rc;
    }
    if (n < 0 || (size_t)n >= sizeof dir)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL, "output path too long");
    snprintf(file, sizeof file, "%s/ocpagg_summary_%s.parquet", dir, date);
    return open_writer(s, file, err);
}

int rpt_pq_write(struct rpt_pq_sink *s, const unsigned char *block, size_t len, int64_t *rows,
                 struct ocp_error *err)
{
    struct rpt_pq_cursor c = {NULL, 0, 0, 0};
    int rc = rpt_pq_cursor_start(&c, block, len, err);

    while (rc == OCP_OK && c.left > 0) {
        struct rpt_table view;
        size_t n = 0, from;

        while (rc == OCP_OK && n < BLOCK_ROWS && c.left > 0)
            if ((rc = rpt_pq_decode_row(&c, &s->rows[n], err)) == OCP_OK)
                n++;
        if (rc != OCP_OK)
            break;
        memset(&view, 0, sizeof view);
        view.rows = s->rows;
        view.count = n;
        /* Runs of one day go to that day's file (one file when single). */
        for (from = 0; from < n && rc == OCP_OK;) {
            size_t to = from + 1;
            if (s->partitioned) {
                while (to < n && s->rows[to].usage_day == s->rows[from].usage_day)
                    to++;
                if (!s->have_day || s->rows[from].usage_day != s->day)
                    rc = start_day(s, s->rows[from].usage_day, err);
            } else {
                to = n;
            }
            if (rc == OCP_OK)
                rc = write_block(s->w, &s->cols, &view, &s->meta, from, to - from, err);
            if (rc == OCP_OK && rows != NULL)
                *rows += (int64_t)(to - from);
            from = to;
        }
    }
    if (rc == OCP_OK && c.pos != c.len)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "%zu stray bytes after a report block", c.len - c.pos);
    if (rc != OCP_OK)
        name_report(err, s->path);
    return rc;
}

static char *parent_dir(const char *path)
{
    size_t n = strlen(path);
    char *d;

    while (n > 1 && path[n - 1] == '/')
        n--;
    while (n > 0 && path[n - 1] != '/')
        n--;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return strdup(".");
    d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* Puts the finished tree at s->path; the old tree, if any, is removed
 * after the swap.  On failure the old tree is where it was. */
static int swap_tree(struct rpt_pq_sink *s, struct ocp_error *err)
{
    struct stat st;
    size_t n;
    char *aside;

    if (lstat(s->path, &st) != 0) {
        if (errno != ENOENT)
            return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                                 "cannot inspect the report folder: %s", strerror(errno));
        if (rename(s->tmp, s->path) != 0)
            return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                                 "cannot rename %s into place: %s", s->tmp, strerror(errno));
        s->tmp_made = 0;
        return OCP_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                             "exists and is not a folder; not replacing it");
    /* One atomic step: the new tree under path, the old one under tmp. */
    if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->path, RENAME_EXCHANGE) == 0) {
        rpt_remove_tree(s->tmp); /* now the old tree; a leftover is stale */
        s->tmp_made = 0;
        return OCP_OK;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                             "cannot swap %s into place: %s", s->tmp, strerror(errno));
    /* No exchange on this file system: set the old tree aside under a
     * name the next run recognizes, then move the new one in. */
    n = strlen(s->tmp) + 5;
    aside = malloc(n);
    if (aside == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, s->path, -1, NULL, "out of memory");
    snprintf(aside, n, "%s.old", s->tmp);
    if (rename(s->path, aside) != 0) {
        int e = errno;
        free(aside);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                             "cannot set the old report aside: %s", strerror(e));
    }
    if (rename(s->tmp, s->path) != 0) {
        int e = errno;
        if (rename(aside, s->path) != 0)
            e = errno;
        free(aside);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                             "cannot rename %s into place: %s", s->tmp, strerror(e));
    }
    s->tmp_made = 0;
    rpt_remove_tree(aside);
    free(aside);
    return OCP_OK;
}

int rpt_pq_commit(struct rpt_pq_sink *s, int64_t *bytes, int64_t *files, struct ocp_error *err)
{
    char *parent = NULL;
    size_t i;
    int rc = close_writer(s, err);

    if (rc == OCP_OK && !s->partitioned) {
        struct stat st;
        /* Checked again: the path may have become something else. */
        if (lstat(s->path, &st) == 0 && !S_ISREG(st.st_mode))
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                               "is not a regular file; not replacing it");
        else if (rename(s->tmp, s->path) != 0)
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, s->path, -1, NULL,
                               "cannot rename %s into place: %s", s->tmp, strerror(errno));
    } else if (rc == OCP_OK) {
        /* Every folder of the new tree, deepest first, then its root, so
         * the swap publishes a tree that is on disk entirely. */
        for (i = s->ndirs; i > 0 && rc == OCP_OK; i--)
            if (rpt_fsync_dir(s->dirs[i - 1]) != 0)
                rc =
                    ocp_error_set(err, OCP_ERR_IOERR, s->path, -1, NULL,
                                  "cannot sync the folder %s: %s", s->dirs[i - 1], strerror(errno));
        if (rc == OCP_OK && rpt_fsync_dir(s->tmp) != 0)
            rc = ocp_error_set(err, OCP_ERR_IOERR, s->path, -1, NULL,
                               "cannot sync the folder %s: %s", s->tmp, strerror(errno));
        if (rc == OCP_OK)
            rc = swap_tree(s, err);
    }
    if (rc != OCP_OK) {
        name_report(err, s->path);
        rpt_pq_abort(s);
        return rc;
    }
    /* The rename is durable once the parent folder is synced. */
    parent = parent_dir(s->path);
    if (parent == NULL)
        rc = ocp_error_set(err, OCP_ERR_OSERR, s->path, -1, NULL, "out of memory");
    else if (rpt_fsync_dir(parent) != 0)
        rc = ocp_error_set(err, OCP_ERR_IOERR, s->path, -1, NULL, "cannot sync the folder %s: %s",
                           parent, strerror(errno));
    free(parent);
    *bytes += s->bytes;
    *files += s->files;
    sink_free(s);
    return rc;
}
