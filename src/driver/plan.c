/* plan.c - cutting the input into chunk ranges balanced by rows.
 *
 * Rank 0 reads only metadata (Parquet footers, HDF5 dataset shapes) and
 * emits chunks of at most about chunk_rows rows: an HDF5 table is cut into
 * row ranges, a Parquet row group is one chunk or, when large, several
 * row ranges.  Row groups whose interval_start statistics lie wholly
 * outside the run's days are skipped. */
#include "driver/driver.h"
#include "driver/exchange.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocpagg/h5.h"
#include "ocpagg/parquet.h"

void plan_release(struct plan *p)
{
    size_t i;
    for (i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

static int add_chunk(struct plan *p, size_t *cap, int table, int file, int rg, int32_t day,
                     int64_t start, int64_t n)
{
    struct plan_chunk *c;
    if (p->nchunks == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct plan_chunk *nc = realloc(p->chunks, ncap * sizeof *nc);
        if (nc == NULL)
            return OCP_ERR_OSERR;
        p->chunks = nc;
        *cap = ncap;
    }
    c = &p->chunks[p->nchunks++];
    memset(c, 0, sizeof *c);
    c->table = table;
    c->file = file;
    c->row_group = rg;
    c->day = day;
    c->row_start = start;
    c->nrows = n;
    p->total_rows += n;
    p->table_rows[table] += n;
    return OCP_OK;
}

/* Cuts [0, rows) into pieces of about chunk_rows (never below half). */
static int add_range(struct plan *p, size_t *cap, int table, int file, int rg, int32_t day,
                     int64_t rows, int64_t chunk_rows)
{
    int64_t pieces = (rows + chunk_rows - 1) / chunk_rows, i;
    if (pieces < 1)
        pieces = 1;
    for (i = 0; i < pieces; i++) {
        int64_t a = rows * i / pieces, b = rows * (i + 1) / pieces;
        if (b > a && add_chunk(p, cap, table, file, rg, day, a, b - a) != OCP_OK)
            return OCP_ERR_OSERR;
    }
    return OCP_OK;
}

static char *join_path(const char *base, const char *rel)
{
    size_t lb = strlen(base), lr = strlen(rel);
    char *s;
    if (rel[0] == '/')
        return strdup(rel);
    s = malloc(lb + lr + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, base, lb);
    s[lb] = '/';
    memcpy(s + lb + 1, rel, lr + 1);
    return s;
}

/* The table problems found while planning: every configured table that is
 * missing (and not optional) or unreadable is collected, so one run names
 * all of them instead of the first. */
struct table_problems {
    int n, code;
    struct ocp_error first;
    char names[160];
    char details[OCP_ERROR_MSG_MAX];
};

static void problem_add(struct table_problems *tp, int t, const struct ocp_error *e)
{
    const char *name = ocp_table_spec((enum ocp_table)t)->short_name;
    char line[OCP_ERROR_PATH_MAX + OCP_ERROR_MSG_MAX];
    size_t used;

    /* Any other code (74 I/O, 65 data) wins over 66 (missing). */
    if (tp->n == 0 || (tp->code == OCP_ERR_NOINPUT && e->code != tp->code))
        tp->code = e->code;
    if (tp->n == 0)
        tp->first = *e;
    used = strlen(tp->names);
    snprintf(tp->names + used, sizeof tp->names - used, "%s%s", tp->n > 0 ? ", " : "", name);
    ocp_error_format(e, line, sizeof line);
    used = strlen(tp->details);
    snprintf(tp->details + used, sizeof tp->details - used, "%s%s", tp->n > 0 ? "; " : "", line);
    tp->n++;
}

static int problems_report(const struct table_problems *tp, struct ocp_error *err)
{
    if (tp->n == 0)
        return OCP_OK;
    if (tp->n == 1) {
        if (err != NULL)
            *err = tp->first;
        return tp->first.code;
    }
    return ocp_error_set(err, tp->code, NULL, -1, NULL, "%d input tables cannot be read (%s): %s",
                         tp->n, tp->names, tp->details);
}

/* A missing table that input.optional_tables allows: one warning line
 * that names every such table. */
static void warn_missing(char *warning, size_t wsize, const char *where, const char *what)
{
    size_t used = strlen(warning);
    snprintf(warning + used, wsize - used, "%s%s: %s; read as empty", used > 0 ? "; " : "", where,
             what);
}

/* The message for a table that must exist but does not. */
static void missing_error(struct ocp_error *e, int code, const char *where, int t, const char *what)
{
    const char *name = ocp_table_spec((enum ocp_table)t)->short_name;
    if (t == OCP_TABLE_POD)
        ocp_error_set(e, code, where, -1, NULL, "%s (input.tables.%s)", what, name);
    else
        ocp_error_set(e, code, where, -1, NULL,
                      "%s (input.tables.%s; list %s in input.optional_tables "
                      "if it may be absent)",
                      what, name, name);
}

static int plan_hdf5(const struct cfg *cfg, struct plan *p, char *warning, size_t wsize,
                     struct ocp_error *err)
{
    struct h5_file *f = NULL;
    struct table_problems tp;
    size_t cap = 0;
    int t, rc;

    memset(&tp, 0, sizeof tp);

    rc = h5_file_open(cfg->input_path, H5P_DEFAULT, &f, err);
    if (rc != OCP_OK)
        return rc;
    p->files = calloc(1, sizeof *p->files);
    if (p->files == NULL || (p->files[0] = strdup(cfg->input_path)) == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto cleanup;
    }
    p->nfiles = 1;
    /* Every table's presence first, so all missing ones are named. */
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        const char *group = cfg->tables[t];
        if (group == NULL || group[0] == '\0' || h5_table_exists(f, group))
            continue;
        if (t != OCP_TABLE_POD && (cfg->optional_tables & (1u << t))) {
            char what[300];
            snprintf(what, sizeof what, "no table '%.200s'", group);
            warn_missing(warning, wsize, cfg->input_path, what);
        } else {
            struct ocp_error e;
            char what[300];
            ocp_error_clear(&e);
            snprintf(what, sizeof what, "no table '%.200s' in the file", group);
            missing_error(&e, OCP_ERR_NOINPUT, cfg->input_path, t, what);
            problem_add(&tp, t, &e);
        }
    }
    if ((rc = problems_report(&tp, err)) != OCP_OK)
        goto cleanup;
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        struct h5_table *tab = NULL;
        const char *group = cfg->tables[t];
        if (group == NULL || group[0] == '\0' || !h5_table_exists(f, group))
            continue;
        rc = h5_table_open(f, (enum ocp_table)t, group, &tab, err);
        if (rc != OCP_OK)
            goto cleanup;
        p->table_present[t] = 1;
        rc = add_range(p, &cap, t, 0, -1, INT32_MIN, h5_table_num_rows(tab), cfg->chunk_rows);
        h5_table_close(tab);
        if (rc != OCP_OK) {
            rc = ocp_error_set(err, rc, NULL, -1, NULL, "out of memory");
            goto cleanup;
        }
    }
cleanup:
    h5_file_close(f);
    return rc;
}

/* Lists every table's files before opening any, so every table that is
 * missing or unreadable is named in one error. */
static int list_tables(const struct cfg *cfg, char **paths[OCP_TABLE_COUNT],
                       size_t counts[OCP_TABLE_COUNT], int present[OCP_TABLE_COUNT], char *warning,
                       size_t wsize, struct ocp_error *err)
{
    struct table_problems tp;
    int t, rc;

    memset(&tp, 0, sizeof tp);
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        paths[t] = NULL;
        counts[t] = 0;
        present[t] = 0;
    }
    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        const char *rel = cfg->tables[t];
        struct ocp_error e;
        struct stat st;
        char *dir;

        if (rel == NULL || rel[0] == '\0')
            continue;
        dir = join_path(cfg->input_path, rel);
        if (dir == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        ocp_error_clear(&e);
        /* Only a table that does not exist may be optional; one that
         * exists but cannot be read is always an error. */
        if (stat(dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
            if (t != OCP_TABLE_POD && (cfg->optional_tables & (1u << t))) {
                warn_missing(warning, wsize, dir, "no such table directory");
            } else {
                missing_error(&e, OCP_ERR_NOINPUT, dir, t, "no such table directory");
                problem_add(&tp, t, &e);
            }
            free(dir);
            continue;
        }
        rc = pq_dataset_list(dir, &paths[t], &counts[t], &e);
        if (rc == OCP_OK && counts[t] == 0 && t == OCP_TABLE_POD) {
            ocp_error_set(&e, OCP_ERR_NOINPUT, dir, -1, NULL, "no *.parquet files for table %s",
                          ocp_table_spec((enum ocp_table)t)->name);
            rc = OCP_ERR_NOINPUT;
        }
        free(dir);
        if (rc == OCP_ERR_OSERR) {
            *err = e;
            return rc;
        }
        if (rc != OCP_OK)
            problem_add(&tp, t, &e);
        else
            present[t] = 1;
    }
    return problems_report(&tp, err);
}

static int plan_parquet(const struct cfg *cfg, struct plan *p, char *warning, size_t wsize,
                        struct ocp_error *err)
{
    char **tpaths[OCP_TABLE_COUNT];
    size_t tcounts[OCP_TABLE_COUNT];
    int present[OCP_TABLE_COUNT];
    size_t cap = 0, fcap = 0;
    struct pq_open_options opt;
    int t, rc = OCP_OK;

    pq_open_options_init(&opt);
    opt.check_crc = cfg->verify_crc;
    rc = list_tables(cfg, tpaths, tcounts, present, warning, wsize, err);
    for (t = 0; t < OCP_TABLE_COUNT && rc == OCP_OK; t++) {
        char **paths = tpaths[t];
        size_t n = tcounts[t], i;

        if (!present[t])
            continue;
        p->table_present[t] = 1;
        for (i = 0; i < n && rc == OCP_OK; i++) {
            struct pq_file *f = NULL;
            int rg, nrg, fi;

            rc = pq_file_open(paths[i], &opt, &f, err);
            if (rc == OCP_OK)
                rc = pq_table_check(f, (enum ocp_table)t, err);
            if (rc != OCP_OK) {
                ocp_error_context(err, paths[i], -1, NULL);
                pq_file_close(f);
                break;
            }
            if (p->nfiles == fcap) {
                size_t nc = fcap ? fcap * 2 : 64;
                char **nf = realloc(p->files, nc * sizeof *nf);
                if (nf == NULL) {
                    pq_file_close(f);
                    rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
                    break;
                }
                p->files = nf;
                fcap = nc;
            }
            fi = (int)p->nfiles;
            p->files[p->nfiles++] = paths[i];
            paths[i] = NULL;
            nrg = pq_file_num_row_groups(f);
            for (rg = 0; rg < nrg && rc == OCP_OK; rg++) {
                int64_t lo, hi;
                int known = 0;
                int32_t day = INT32_MIN;
                int64_t rows = pq_row_group_num_rows(f, rg);
                if (rows <= 0)
                    continue;
                if (pq_table_time_range(f, rg, &lo, &hi, &known, NULL) == OCP_OK && known) {
                    int64_t dlo = lo / OCP_US_PER_DAY - (lo % OCP_US_PER_DAY < 0);
                    int64_t dhi = hi / OCP_US_PER_DAY - (hi % OCP_US_PER_DAY < 0);
                    if (dlo == dhi && dlo > INT32_MIN && dlo <= INT32_MAX)
                        day = (int32_t)dlo;
                    int64_t first = (int64_t)cfg->start_date * OCP_US_PER_DAY;
                    int64_t last = ((int64_t)cfg->end_date + 1) * OCP_US_PER_DAY;
                    if ((cfg->has_end_date && lo >= last) || (cfg->has_start_date && hi < first)) {
                        p->pruned_row_groups++;
                        continue;
                    }
                }
                rc = add_range(p, &cap, t, fi, rg, day, rows, cfg->chunk_rows);
                if (rc != OCP_OK)
                    rc = ocp_error_set(err, rc, NULL, -1, NULL, "out of memory");
            }
            pq_file_close(f);
        }
    }
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        pq_dataset_free(tpaths[t], tcounts[t]);
    return rc;
}

int plan_build(const struct cfg *cfg, struct plan *out, char *warning, size_t warning_size,
               struct ocp_error *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    warning[0] = '\0';
    if (cfg->input_format == CFG_INPUT_HDF5)
        rc = plan_hdf5(cfg, out, warning, warning_size, err);
    else
        rc = plan_parquet(cfg, out, warning, warning_size, err);
    if (rc != OCP_OK)
        plan_release(out);
    return rc;
}

static int in_window(const struct plan_chunk *c, const struct plan_window *w)
{
    if (w->first_day == INT32_MIN && w->last_day == INT32_MAX)
        return 1;
    return c->day != INT32_MIN && c->day >= w->first_day && c->day <= w->last_day;
}

int plan_window_days(const struct plan *p, const struct plan_window *w, int32_t **days,
                     size_t *count)
{
    int32_t *d = malloc((p->nchunks ? p->nchunks : 1) * sizeof *d);
    size_t i, n = 0;

    *days = NULL;
    *count = 0;
    if (d == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < p->nchunks; i++) {
        if (!in_window(&p->chunks[i], w))
            continue;
        if (p->chunks[i].day == INT32_MIN) {
            free(d);
            return OCP_OK;
        }
        d[n++] = p->chunks[i].day;
    }
    if (n == 0) {
        free(d);
        return OCP_OK;
    }
    *days = d;
    *count = n;
    return OCP_OK;
}

int plan_share(const struct plan *p, int nranks, const struct plan_window *w,
               const struct exchange_days *split, int **owners)
{
    int64_t *load = calloc((size_t)nranks, sizeof *load);
    int *owner = malloc((p->nchunks ? p->nchunks : 1) * sizeof *owner);
    int by_day = p->nchunks > 0;
    int64_t before = 0, total = 0, target;
    size_t i, k = 0;
    int r;

    *owners = NULL;
    if (load == NULL || owner == NULL) {
        free(load);
        free(owner);
        return OCP_ERR_OSERR;
    }
    for (i = 0; i < p->nchunks; i++) {
        if (!in_window(&p->chunks[i], w))
            continue;
        total += p->chunks[i].nrows;
        if (p->chunks[i].day == INT32_MIN)
            by_day = 0;
    }
    target = (total + nranks - 1) / nranks;
    for (i = 0; i < p->nchunks; i++) {
        const struct plan_chunk *c = &p->chunks[i];
        owner[i] = -1;
        if (!in_window(c, w))
            continue;
        if (by_day) {
            /* To the rank that finishes its day while that rank is under
             * its share of the rows; what is left over goes below, and so
             * do split days (every rank gets all their groups). */
            int o = exchange_day_owner(c->day, nranks);
            if (!exchange_day_split(split, c->day) && load[o] + c->nrows <= target) {
                owner[i] = o;
                load[o] += c->nrows;
            }
        } else {
            /* The rank whose share of the rows holds the chunk's first
             * row; contiguous shares keep each rank in few files. */
            owner[i] = total > 0 ? (int)((before * nranks) / total) : (int)(k % (size_t)nranks);
            before += c->nrows;
            k++;
        }
    }
    /* By day, the chunks over a rank's share go to the least loaded rank
     * (days do not divide evenly: 7 days on 2 ranks), so reading stays
     * balanced and only those chunks' groups move in the exchange. */
    for (i = 0; by_day && i < p->nchunks; i++) {
        int best = 0;
        if (!in_window(&p->chunks[i], w) || owner[i] >= 0)
            continue;
        for (r = 1; r < nranks; r++)
            if (load[r] < load[best])
                best = r;
        owner[i] = best;
        load[best] += p->chunks[i].nrows;
    }
    free(load);
    *owners = owner;
    return OCP_OK;
}

struct day_rows {
    int32_t day;
    int64_t rows;
};

static int cmp_day_rows(const void *a, const void *b)
{
    const struct day_rows *x = a, *y = b;
    return x->day < y->day ? -1 : (x->day > y->day ? 1 : 0);
}

int plan_windows(const struct plan *p, int64_t window_rows, int nranks, struct plan_window **out,
                 size_t *count)
{
    struct day_rows *d = NULL;
    struct plan_window *w = NULL;
    size_t i, n = 0, nw = 0, target_windows;
    int64_t budget, total = 0, acc = 0;

    *out = NULL;
    *count = 0;
    for (i = 0; i < p->nchunks; i++)
        if (p->chunks[i].day == INT32_MIN)
            break;
    budget = window_rows > 0 && window_rows <= INT64_MAX / (nranks > 0 ? nranks : 1)
                 ? window_rows * (nranks > 0 ? nranks : 1)
                 : 0;
    if (budget > 0 && p->nchunks > 0 && i == p->nchunks) {
        /* Rows per day, days in order. */
        d = malloc(p->nchunks * sizeof *d);
        if (d == NULL)
            return OCP_ERR_OSERR;
        for (i = 0; i < p->nchunks; i++) {
            d[i].day = p->chunks[i].day;
            d[i].rows = p->chunks[i].nrows;
        }
        qsort(d, p->nchunks, sizeof *d, cmp_day_rows);
        for (i = 0; i < p->nchunks; i++) {
            if (n > 0 && d[n - 1].day == d[i].day)
                d[n - 1].rows += d[i].rows;
            else
                d[n++] = d[i];
            total += d[i].rows;
        }
    }
    if (d == NULL || total <= budget) {
        free(d);
        w = malloc(sizeof *w);
        if (w == NULL)
            return OCP_ERR_OSERR;
        w->first_day = INT32_MIN;
        w->last_day = INT32_MAX;
        w->rows = p->total_rows;
        *out = w;
        *count = 1;
        return OCP_OK;
    }
    /* As few windows as the budget allows, of about equal rows (so the
     * last is not a lone day that leaves ranks idle): a window closes at
     * the day where it reaches its equal share. */
    target_windows = (size_t)((total + budget - 1) / budget);
    w = malloc((n + 1) * sizeof *w);
    if (w == NULL) {
        free(d);
        return OCP_ERR_OSERR;
    }
    w[0].first_day = d[0].day;
    w[0].rows = 0;
    for (i = 0; i < n; i++) {
        w[nw].rows += d[i].rows;
        w[nw].last_day = d[i].day;
        acc += d[i].rows;
        /* Close when this window reached its share of the rows, or the
         * next day would overflow the budget. */
        if (i + 1 < n &&
            ((double)acc >= (double)total * (double)(nw + 1) / (double)target_windows ||
             w[nw].rows + d[i + 1].rows > budget)) {
            nw++;
            w[nw].first_day = d[i + 1].day;
            w[nw].rows = 0;
        }
    }
    nw++;
    free(d);
    *out = w;
    *count = nw;
    return OCP_OK;
}

/* Serialized form: counts, file names (length + bytes), then chunks. */
int plan_serialize(const struct plan *p, unsigned char **buf, size_t *len)
{
    size_t need = 8 * 4 + sizeof p->table_rows + sizeof p->table_present, i, off = 0;
    unsigned char *b;
    uint64_t v;

    for (i = 0; i < p->nfiles; i++)
        need += 8 + strlen(p->files[i]);
    need += p->nchunks * sizeof *p->chunks;
    b = malloc(need);
    if (b == NULL)
        return OCP_ERR_OSERR;
#define PUT(ptr, n) (memcpy(b + off, (ptr), (n)), off += (n))
    v = p->nfiles;
    PUT(&v, 8);
    v = p->nchunks;
    PUT(&v, 8);
    PUT(&p->total_rows, 8);
    PUT(&p->pruned_row_groups, 8);
    PUT(p->table_rows, sizeof p->table_rows);
    PUT(p->table_present, sizeof p->table_present);
    for (i = 0; i < p->nfiles; i++) {
        v = strlen(p->files[i]);
        PUT(&v, 8);
        PUT(p->files[i], (size_t)v);
    }
    if (p->nchunks > 0)
        PUT(p->chunks, p->nchunks * sizeof *p->chunks);
#undef PUT
    *buf = b;
    *len = off;
    return OCP_OK;
}

int plan_deserialize(struct plan *p, const unsigned char *b, size_t len)
{
    size_t off = 0, i;
    uint64_t nfiles, nchunks, l;

    memset(p, 0, sizeof *p);
#define GET(ptr, n)                                                                                \
    do {                                                                                           \
        if ((n) > len - off)                                                                       \
            goto corrupt;                                                                          \
        memcpy((ptr), b + off, (n));                                                               \
        off += (n);                                                                                \
    } while (0)
    GET(&nfiles, 8);
    GET(&nchunks, 8);
    GET(&p->total_rows, 8);
    GET(&p->pruned_row_groups, 8);
    GET(p->table_rows, sizeof p->table_rows);
    GET(p->table_present, sizeof p->table_present);
    if (nfiles > len || nchunks > len / sizeof *p->chunks)
        goto corrupt;
    p->files = calloc(nfiles ? nfiles : 1, sizeof *p->files);
    p->chunks = malloc((nchunks ? nchunks : 1) * sizeof *p->chunks);
    if (p->files == NULL || p->chunks == NULL)
        goto corrupt;
    for (i = 0; i < nfiles; i++) {
        GET(&l, 8);
        if (l > len - off)
            goto corrupt;
        p->files[i] = malloc(l + 1);
        if (p->files[i] == NULL)
            goto corrupt;
        p->nfiles = i + 1;
        memcpy(p->files[i], b + off, l);
        p->files[i][l] = '\0';
        off += l;
    }
    GET(p->chunks, nchunks * sizeof *p->chunks);
    p->nchunks = nchunks;
#undef GET
    return OCP_OK;
corrupt:
    plan_release(p);
    return OCP_ERR_SOFTWARE;
}
