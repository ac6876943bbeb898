/*
 * sink_parquet.c - the gen_sink that writes Koku's Parquet layout:
 * <output>/<table>/source=<uuid>/year=YYYY/month=MM/<table>_<day>_<n>.parquet.
 *
 * Rows go to one file per UTC day of interval_start (and a new file every
 * --rows-per-file rows), so every table is several files.  Columns keep
 * the batch's representation where Parquet has one: strings are written
 * straight from the generator's dictionary ids, numbers as DOUBLE.
 * interval_start is TIMESTAMP(MICROS, UTC) or Koku's text
 * "2025-11-01 00:00:00 +0000 UTC"; labels are the generator's text or a
 * MAP<string,string> holding the parsed label set (malformed text, which
 * the job reads as the empty set, becomes an empty map).
 */
#include "sink_parquet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ocpagg/labels.h"
#include "ocpagg/report.h" /* rpt_mkdir_p */
#include "ocpagg/text.h"

/* A growable string dictionary whose serial never changes, so the
 * writer's id cache survives its growth. */
struct grow_dict {
    struct ocp_strdict d;
    uint64_t *off;
    char *data;
    size_t off_cap, data_cap, data_len;
};

/* Label text dictionary entry i -> pairs [ent[i], ent[i+1]) of keys/vals. */
struct label_map {
    const struct ocp_strdict *src;
    uint64_t serial;
    uint32_t parsed; /* entries of src parsed so far */
    uint64_t *ent;   /* parsed + 1 */
    size_t ent_cap;
    struct grow_dict keys, vals; /* pair e is key e, value e */
    uint64_t *row_off;           /* per batch: nrows + 1 */
    uint32_t *ids;               /* per batch: pair ids (same for keys and vals) */
    size_t row_cap, ids_cap;
};

struct pq_sink {
    const struct ocpgen_options *o;
    const struct ocpgen_pq_options *p;
    enum ocp_table table;
    const struct ocp_tablespec *spec;
    struct pq_writer *w;
    int32_t day; /* of the open file */
    uint64_t file_rows;
    unsigned seq;
    char **written; /* files renamed into place, removed on failure */
    size_t nwritten, written_cap;
    /* interval_start as text, per batch */
    struct grow_dict ts;
    uint32_t *ts_ids;
    size_t ts_cap;
    struct label_map maps[OCP_MAX_COLUMNS];
    struct lbl_set set;
};

void ocpgen_pq_options_default(struct ocpgen_pq_options *p)
{
    memset(p, 0, sizeof *p);
    p->codec = PQ_WRITE_SNAPPY;
    p->page_version = 1;
    p->row_group_rows = 131072;
}

const char *ocpgen_pq_usage(void)
{
    return "Parquet output (--format parquet; --output is a directory):\n"
           "  --parquet-codec C        none, snappy (default), gzip, zstd\n"
           "  --parquet-page-version N 1 (default) or 2\n"
           "  --labels FORM            json (label text, default) or map\n"
           "                           (MAP<string,string>)\n"
           "  --interval-start FORM    timestamp (TIMESTAMP(MICROS,UTC), default)\n"
           "                           or text (\"2025-11-01 00:00:00 +0000 UTC\")\n"
           "  --rows-per-file N        also start a new file every N rows\n"
           "                           (default 0: one file per day)\n"
           "  --row-group-rows N       rows per row group (default 131072)\n"
           "  --source-uuid UUID       the source=<uuid> folder (default: from\n"
           "                           the seed)\n"
           "  --page-crc yes|no        a CRC32 in every page header (default no)\n";
}

int ocpgen_pq_is_flag(const char *flag)
{
    static const char *const flags[] = {
        "--parquet-codec", "--parquet-page-version", "--labels",      "--interval-start",
        "--rows-per-file", "--row-group-rows",       "--source-uuid", "--page-crc"};
    size_t i;

    for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(flag, flags[i]) == 0)
            return 1;
    return 0;
}

static int parse_count(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long u;

    if (v == NULL || *v == '\0' || *v == '-')
        return -1;
    errno = 0;
    u = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = u;
    return 0;
}

int ocpgen_pq_parse_flag(struct ocpgen_pq_options *p, const char *flag, const char *value)
{
    uint8_t uuid[16];

    if (strcmp(flag, "--parquet-codec") == 0) {
        if (value == NULL || pq_write_codec_parse(value, &p->codec, NULL) != OCP_OK)
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--parquet-page-version") == 0) {
        if (value == NULL || (strcmp(value, "1") != 0 && strcmp(value, "2") != 0))
            return OCP_ERR_USAGE;
        p->page_version = value[0] - '0';
    } else if (strcmp(flag, "--labels") == 0) {
        if (value != NULL && strcasecmp(value, "map") == 0)
            p->labels_map = 1;
        else if (value != NULL && strcasecmp(value, "json") == 0)
            p->labels_map = 0;
        else
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--interval-start") == 0) {
        if (value != NULL && strcasecmp(value, "text") == 0)
            p->ts_text = 1;
        else if (value != NULL && strcasecmp(value, "timestamp") == 0)
            p->ts_text = 0;
        else
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--rows-per-file") == 0) {
        if (parse_count(value, &p->rows_per_file) != 0)
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--row-group-rows") == 0) {
        if (parse_count(value, &p->row_group_rows) != 0 || p->row_group_rows == 0)
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--page-crc") == 0) {
        if (value != NULL && strcasecmp(value, "yes") == 0)
            p->page_crc = 1;
        else if (value != NULL && strcasecmp(value, "no") == 0)
            p->page_crc = 0;
        else
            return OCP_ERR_USAGE;
    } else if (strcmp(flag, "--source-uuid") == 0) {
        size_t i;
        if (value == NULL || txt_parse_uuid(value, strlen(value), uuid) != 0)
            return OCP_ERR_USAGE;
        for (i = 0; i < 36; i++)
            p->source_uuid[i] =
                (char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] - 'A' + 'a' : value[i]);
        p->source_uuid[36] = '\0';
    } else {
        return 0;
    }
    return 1;
}

/* ---- small helpers -------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return OCP_OK;
    while (n < need)
        n *= 2;
    q = realloc(*p, n * elem);
    if (q == NULL)
        return OCP_ERR_OSERR;
    *p = q;
    *cap = n;
    return OCP_OK;
}

static int gd_add(struct grow_dict *g, const char *s, size_t len)
{
    if (g->d.serial == 0)
        g->d.serial = ocp_strdict_next_serial();
    if (grow((void **)&g->off, &g->off_cap, (size_t)g->d.count + 2, sizeof *g->off) != OCP_OK ||
        grow((void **)&g->data, &g->data_cap, g->data_len + len + 1, 1) != OCP_OK)
        return OCP_ERR_OSERR;
    g->off[g->d.count] = g->data_len;
    memcpy(g->data + g->data_len, s, len);
    g->data_len += len;
    g->d.count++;
    g->off[g->d.count] = g->data_len;
    g->d.offsets = g->off;
    g->d.data = g->data;
    return OCP_OK;
}

static void gd_release(struct grow_dict *g)
{
    free(g->off);
    free(g->data);
    memset(g, 0, sizeof *g);
}

static int32_t day_of(int64_t us)
{
    int64_t d = us / OCP_US_PER_DAY;
    if (us % OCP_US_PER_DAY < 0)
        d--;
    return (int32_t)d;
}

/* ---- files ---------------------------------------------------------- */

static int close_file(struct pq_sink *s, struct ocp_error *err)
{
    int rc;

    if (s->w == NULL)
        return OCP_OK;
    rc = pq_writer_close(s->w, err);
    s->w = NULL;
    return rc;
}

static int open_file(struct pq_sink *s, const struct ocp_batch *b, int32_t day,
                     struct ocp_error *err)
{
    struct pq_column_desc cols[OCP_MAX_COLUMNS];
    struct pq_schema_desc schema = {0, cols};
    struct pq_write_options opt;
    struct pq_kv kv[1] = {{"ocpgen.table", s->spec->name}};
    char date[11], dir[OCP_ERROR_PATH_MAX], path[OCP_ERROR_PATH_MAX + 64];
    int i, n, rc;

    txt_format_date(day, date);
    n = snprintf(dir, sizeof dir, "%s/%s/source=%s/year=%.4s/month=%.2s", s->o->output,
                 s->spec->name, s->p->source_uuid, date, date + 5);
    if (n < 0 || (size_t)n >= sizeof dir)
        return ocp_error_set(err, OCP_ERR_USAGE, s->o->output, -1, NULL, "output path too long");
    if (rpt_mkdir_p(dir) != 0)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, dir, -1, NULL, "cannot create the folder: %s",
                             strerror(errno));
    snprintf(path, sizeof path, "%s/%s_%s_%u.parquet", dir, s->spec->short_name, date, s->seq++);
    for (i = 0; i < s->spec->ncols; i++) {
        const struct ocp_colspec *cs = &s->spec->cols[i];
        struct pq_column_desc *c = &cols[schema.ncols];
        if (!b->col[i].present)
            continue;
        memset(c, 0, sizeof *c);
        c->name = cs->name;
        c->optional = 1;
        switch (cs->kind) {
        case OCP_KIND_TIME:
            c->type = s->p->ts_text ? PQ_WT_STRING : PQ_WT_TIMESTAMP_MICROS;
            c->utc = 1;
            break;
        case OCP_KIND_NUMBER: c->type = PQ_WT_DOUBLE; break;
        case OCP_KIND_STRING: c->type = PQ_WT_STRING; break;
        case OCP_KIND_LABELS: c->type = s->p->labels_map ? PQ_WT_MAP : PQ_WT_STRING; break;
        }
        schema.ncols++;
    }
    pq_write_options_init(&opt);
    opt.codec = s->p->codec;
    opt.page_version = s->p->page_version;
    opt.page_crc = s->p->page_crc;
    opt.row_group_rows = s->p->row_group_rows;
    opt.kv = kv;
    opt.nkv = 1;
    rc = pq_writer_create(path, &schema, &opt, &s->w, err);
    if (rc != OCP_OK)
        return rc;
    rc = grow((void **)&s->written, &s->written_cap, s->nwritten + 1, sizeof *s->written);
    if (rc == OCP_OK && (s->written[s->nwritten] = strdup(path)) != NULL)
        s->nwritten++;
    s->day = day;
    s->file_rows = 0;
    return OCP_OK;
}

/* ---- column conversion ---------------------------------------------- */

/* Koku's text form of every interval_start of the batch, as ids into a
 * per-batch dictionary (hourly data repeats each value many times). */
static int ts_texts(struct pq_sink *s, const int64_t *ts, size_t n)
{
    int64_t prev = OCP_TS_NULL;
    size_t r;
    char buf[64];

    s->ts.d.count = 0;
    s->ts.data_len = 0;
    s->ts.d.serial = ocp_strdict_next_serial(); /* new content, new serial */
    if (grow((void **)&s->ts_ids, &s->ts_cap, n, sizeof *s->ts_ids) != OCP_OK)
        return OCP_ERR_OSERR;
    for (r = 0; r < n; r++) {
        int64_t us = ts[r], sec;
        char date[11];
        if (us == OCP_TS_NULL) {
            s->ts_ids[r] = OCP_NULL_ID;
            continue;
        }
        if (us != prev || s->ts.d.count == 0) {
            int32_t day = day_of(us);
            txt_format_date(day, date);
            sec = (us - (int64_t)day * OCP_US_PER_DAY) / 1000000;
            snprintf(buf, sizeof buf, "%s %02d:%02d:%02d +0000 UTC", date, (int)(sec / 3600),
                     (int)(sec / 60 % 60), (int)(sec % 60));
            if (gd_add(&s->ts, buf, strlen(buf)) != OCP_OK)
                return OCP_ERR_OSERR;
            prev = us;
        }
        s->ts_ids[r] = s->ts.d.count - 1;
    }
    return OCP_OK;
}

/* Parses the label dictionary's entries not seen yet into key/value
 * pairs. */
static int map_parse(struct pq_sink *s, struct label_map *m, const struct ocp_strdict *d)
{
    if (m->src != d || m->serial != d->serial) {
        gd_release(&m->keys);
        gd_release(&m->vals);
        m->src = d;
        m->serial = d->serial;
        m->parsed = 0;
    }
    if (grow((void **)&m->ent, &m->ent_cap, (size_t)d->count + 1, sizeof *m->ent) != OCP_OK)
        return OCP_ERR_OSERR;
    m->ent[0] = 0;
    for (; m->parsed < d->count; m->parsed++) {
        size_t len, k;
        const char *t = ocp_strdict_get(d, m->parsed, &len);
        /* Malformed text is the empty set for the job too. */
        if (lbl_parse(t, len, &s->set, NULL) != OCP_OK)
            lbl_set_clear(&s->set);
        for (k = 0; k < s->set.count; k++) {
            const struct lbl_pair *pp = &s->set.pairs[k];
            if (gd_add(&m->keys, pp->key, pp->klen) != OCP_OK ||
                gd_add(&m->vals, pp->value, pp->vlen) != OCP_OK)
                return OCP_ERR_OSERR;
        }
        m->ent[m->parsed + 1] = m->keys.d.count;
    }
    return OCP_OK;
}

/* Per-row pair ranges of a batch's label column. */
static int map_rows(struct pq_sink *s, struct label_map *m, const struct ocp_strcol *sc, size_t n,
                    uint8_t *valid)
{
    size_t r, total = 0;
    int rc = map_parse(s, m, sc->dict);

    if (rc != OCP_OK)
        return rc;
    if (grow((void **)&m->row_off, &m->row_cap, n + 1, sizeof *m->row_off) != OCP_OK)
        return OCP_ERR_OSERR;
    for (r = 0; r < n; r++) {
        uint32_t id = sc->ids[r];
        m->row_off[r] = total;
        valid[r] = id != OCP_NULL_ID;
        if (id != OCP_NULL_ID && id < sc->dict->count)
            total += (size_t)(m->ent[id + 1] - m->ent[id]);
    }
    m->row_off[n] = total;
    if (grow((void **)&m->ids, &m->ids_cap, total + 1, sizeof *m->ids) != OCP_OK)
        return OCP_ERR_OSERR;
    total = 0;
    for (r = 0; r < n; r++) {
        uint32_t id = sc->ids[r];
        uint64_t e;
        if (id == OCP_NULL_ID || id >= sc->dict->count)
            continue;
        for (e = m->ent[id]; e < m->ent[id + 1]; e++)
            m->ids[total++] = (uint32_t)e;
    }
    return OCP_OK;
}

/* Writes rows [from, from + n) of b to the open file. */
static int write_rows(struct pq_sink *s, const struct ocp_batch *b, uint8_t *const *valid,
                      size_t from, size_t n, struct ocp_error *err)
{
    struct pq_column_data cd[OCP_MAX_COLUMNS];
    size_t nc = 0;
    int i;

    memset(cd, 0, sizeof cd);
    for (i = 0; i < s->spec->ncols; i++) {
        const struct ocp_column *c = &b->col[i];
        struct pq_column_data *d = &cd[nc];
        if (!c->present)
            continue;
        nc++;
        d->sentinel_nulls = 1;
        switch (s->spec->cols[i].kind) {
        case OCP_KIND_TIME:
            if (s->p->ts_text) {
                d->str.ids = s->ts_ids + from;
                d->str.dict = &s->ts.d;
            } else {
                d->i64 = c->ts + from;
            }
            break;
        case OCP_KIND_NUMBER: d->f64 = c->num + from; break;
        case OCP_KIND_STRING:
            d->str.ids = c->str.ids + from;
            d->str.dict = c->str.dict;
            break;
        case OCP_KIND_LABELS:
            if (s->p->labels_map) {
                struct label_map *m = &s->maps[i];
                d->map_offsets = m->row_off + from;
                d->valid = valid[i] + from;
                d->keys.ids = m->ids;
                d->keys.dict = &m->keys.d;
                d->values.ids = m->ids;
                d->values.dict = &m->vals.d;
            } else {
                d->str.ids = c->str.ids + from;
                d->str.dict = c->str.dict;
            }
            break;
        }
    }
    return pq_writer_write_batch(s->w, cd, n, err);
}

/* ---- the sink ------------------------------------------------------- */

static int s_begin(void *ctx, enum ocp_table table, struct ocp_error *err)
{
    struct pq_sink *s = ctx;
    (void)err;
    s->table = table;
    s->spec = ocp_table_spec(table);
    s->seq = 0;
    return OCP_OK;
}

static int s_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct pq_sink *s = ctx;
    uint8_t *valid[OCP_MAX_COLUMNS] = {0};
    const int64_t *ts = b->col[0].present ? b->col[0].ts : NULL;
    size_t r = 0, n = b->nrows;
    int i, rc = OCP_OK;

    /* interval_start is column 0 of every table. */
    if (s->p->ts_text && ts != NULL)
        rc = ts_texts(s, ts, n);
    for (i = 0; i < s->spec->ncols && rc == OCP_OK; i++) {
        if (s->p->labels_map && b->col[i].present && s->spec->cols[i].kind == OCP_KIND_LABELS) {
            valid[i] = malloc(n ? n : 1);
            rc = valid[i] == NULL ? OCP_ERR_OSERR
                                  : map_rows(s, &s->maps[i], &b->col[i].str, n, valid[i]);
        }
    }
    if (rc != OCP_OK)
        rc = ocp_error_set(err, rc, s->o->output, -1, NULL, "out of memory");
    while (r < n && rc == OCP_OK) {
        int32_t day = s->w != NULL ? s->day : 0;
        size_t e = r + 1, k;
        if (ts != NULL && ts[r] != OCP_TS_NULL)
            day = day_of(ts[r]);
        while (e < n && (ts == NULL || ts[e] == OCP_TS_NULL || day_of(ts[e]) == day))
            e++;
        if (s->w == NULL || day != s->day ||
            (s->p->rows_per_file > 0 && s->file_rows >= s->p->rows_per_file)) {
            rc = close_file(s, err);
            if (rc == OCP_OK)
                rc = open_file(s, b, day, err);
            if (rc != OCP_OK)
                break;
        }
        k = e - r;
        if (s->p->rows_per_file > 0 && s->file_rows + k > s->p->rows_per_file)
            k = (size_t)(s->p->rows_per_file - s->file_rows);
        rc = write_rows(s, b, valid, r, k, err);
        s->file_rows += k;
        r += k;
    }
    for (i = 0; i < OCP_MAX_COLUMNS; i++)
        free(valid[i]);
    return rc;
}

static int s_end(void *ctx, enum ocp_table table, int64_t rows, struct ocp_error *err)
{
    struct pq_sink *s = ctx;
    (void)table;
    (void)rows;
    return close_file(s, err);
}

int ocpgen_write_parquet_with(const struct ocpgen_options *o, const struct ocpgen_pq_options *p,
                              int64_t rows[OCP_TABLE_COUNT], struct ocp_error *err)
{
    struct ocpgen_pq_options popt = *p;
    struct pq_sink s;
    struct gen_sink sink = {&s, s_begin, s_write, s_end};
    size_t i;
    int rc;

    if (popt.source_uuid[0] == '\0') {
        /* A name-based UUID of the seed, so reruns land in one folder. */
        static const uint8_t ns[16] = {0x6f, 0x63, 0x70, 0x67, 0x65, 0x6e, 0x2d, 0x70,
                                       0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x2d, 0x31};
        char name[64];
        snprintf(name, sizeof name, "ocpgen seed %" PRIu64, o->gen.seed);
        txt_uuid_v5(ns, name, strlen(name), popt.source_uuid);
    }
    memset(&s, 0, sizeof s);
    s.o = o;
    s.p = &popt;
    lbl_set_init(&s.set);
    rc = gen_all(&o->gen, &sink, rows, err);
    if (s.w != NULL) {
        pq_writer_abort(s.w);
        s.w = NULL;
    }
    for (i = 0; i < s.nwritten; i++) {
        if (rc != OCP_OK)
            remove(s.written[i]);
        free(s.written[i]);
    }
    free(s.written);
    gd_release(&s.ts);
    free(s.ts_ids);
    for (i = 0; i < OCP_MAX_COLUMNS; i++) {
        gd_release(&s.maps[i].keys);
        gd_release(&s.maps[i].vals);
        free(s.maps[i].ent);
        free(s.maps[i].row_off);
        free(s.maps[i].ids);
    }
    lbl_set_release(&s.set);
    return rc;
}

int ocpgen_write_parquet(const struct ocpgen_options *o, int64_t rows[OCP_TABLE_COUNT],
                         struct ocp_error *err)
{
    struct ocpgen_pq_options defaults;

    if (o->parquet == NULL) {
        ocpgen_pq_options_default(&defaults);
        return ocpgen_write_parquet_with(o, &defaults, rows, err);
    }
    return ocpgen_write_parquet_with(o, o->parquet, rows, err);
}
