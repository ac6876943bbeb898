/* rpt_stream.c - the report stream: day blocks in, one report out.
 *
 * The owners of the days encode them (rpt_encode_block); rank 0 feeds the
 * blocks in order to one stream.  A CSV block is a 12-byte header ("RPC1"
 * and the row count, so rank 0 can count rows without parsing the text)
 * followed by the rows' CSV lines; rank 0 writes the text with large
 * write(2) calls into the temporary file of an rpt_atomic.  Parquet blocks
 * are handled by rpt_parquet.c.  Nothing appears under the final name
 * before rpt_stream_commit. */
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CSV_MAGIC "RPC1"
#define CSV_HEAD 12
/* Text is gathered up to this much before a write(2). */
#define CSV_FLUSH ((size_t)8 << 20)

enum { ST_OPEN, ST_COMMITTED, ST_ABORTED };

struct rpt_stream {
    enum rpt_format format;
    int state;
    int failed; /* a write failed: only abort remains */
    int shared; /* CSV days written by the ranks (rpt_part) */
    int64_t rows, bytes, files;
    struct rpt_atomic csv;  /* CSV */
    struct rpt_buf pending; /* CSV text not yet written */
    struct rpt_pq_sink *pq; /* Parquet */
};

static void put_u64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Rows [from, to) of t as a CSV block. */
static int encode_csv(const struct rpt_table *t, const struct rpt_meta *meta, size_t from,
                      size_t to, struct rpt_buf *out, struct ocp_error *err)
{
    unsigned char head[CSV_HEAD];

    memcpy(head, CSV_MAGIC, 4);
    put_u64(head + 4, (uint64_t)(to - from));
    if (rpt_buf_append(out, head, sizeof head) != 0 ||
        rpt_csv_rows(t, meta, from, to, out) != OCP_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    return OCP_OK;
}

static int encode_range(enum rpt_format format, const struct rpt_table *t,
                        const struct rpt_meta *meta, size_t from, size_t to, struct rpt_buf *out,
                        struct ocp_error *err)
{
    switch (format) {
    case RPT_FORMAT_CSV: return encode_csv(t, meta, from, to, out, err);
    case RPT_FORMAT_PARQUET:
    case RPT_FORMAT_PARQUET_PARTITIONED: return rpt_pq_encode(t, from, to, meta, out, err);
    }
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "unknown report format %d",
                         (int)format);
}

int rpt_encode_block(enum rpt_format format, const struct rpt_table *t, const struct rpt_meta *meta,
                     struct rpt_buf *out, struct ocp_error *err)
{
    return encode_range(format, t, meta, 0, t->count, out, err);
}

int rpt_stream_open(struct rpt_stream **out, enum rpt_format format, const char *path,
                    const struct rpt_meta *meta, struct ocp_error *err)
{
    struct rpt_stream *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (s == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    s->format = format;
    s->csv.fd = -1;
    switch (format) {
    case RPT_FORMAT_CSV: {
        struct rpt_buf head = {0};
        rc = rpt_atomic_open(&s->csv, path, err);
        if (rc == OCP_OK && rpt_csv_header(&head) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        if (rc == OCP_OK && rpt_buf_append(&s->pending, head.data, head.len) != 0)
            rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        rpt_buf_release(&head);
        break;
    }
    case RPT_FORMAT_PARQUET:
    case RPT_FORMAT_PARQUET_PARTITIONED:
        rc = rpt_pq_open(&s->pq, path, format == RPT_FORMAT_PARQUET_PARTITIONED, meta, err);
        break;
    default:
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, path, -1, NULL, "unknown report format %d",
                           (int)format);
        break;
    }
    if (rc != OCP_OK) {
        rpt_stream_destroy(s);
        return rc;
    }
    if (format != RPT_FORMAT_PARQUET_PARTITIONED)
        s->files = 1;
    *out = s;
    return OCP_OK;
}

static int csv_flush(struct rpt_stream *s, struct ocp_error *err)
{
    int rc = rpt_atomic_write(&s->csv, s->pending.data, s->pending.len, err);
    s->bytes += (int64_t)s->pending.len;
    s->pending.len = 0;
    return rc;
}

int rpt_csv_block_text(const unsigned char *block, size_t len, size_t *text_len, int64_t *rows,
                       struct ocp_error *err)
{
    uint64_t r;

    if (len < CSV_HEAD || memcmp(block, CSV_MAGIC, 4) != 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "not a CSV report block (%zu bytes)", len);
    r = get_u64(block + 4);
    if (r > (uint64_t)INT64_MAX)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "CSV report block with %llu rows", (unsigned long long)r);
    *text_len = len - CSV_HEAD;
    *rows = (int64_t)r;
    return OCP_OK;
}

static int csv_write(struct rpt_stream *s, const unsigned char *block, size_t len,
                     struct ocp_error *err)
{
    const char *text = (const char *)block + CSV_HEAD;
    size_t n;
    int64_t rows;
    int rc = rpt_csv_block_text(block, len, &n, &rows, err);

    if (rc != OCP_OK) {
        ocp_error_context(err, s->csv.path, -1, NULL);
        return rc;
    }
    s->rows += rows;
    /* Flush first when this block would overflow the buffer or goes
     * straight to the file: the text must stay in block order. */
    if (s->pending.len > 0 && (s->pending.len + n > CSV_FLUSH || n >= CSV_FLUSH / 2))
        rc = csv_flush(s, err);
    if (rc != OCP_OK)
        return rc;
    if (n >= CSV_FLUSH / 2) {
        /* Large blocks go straight to the file, no copy. */
        rc = rpt_atomic_write(&s->csv, text, n, err);
        s->bytes += (int64_t)n;
        return rc;
    }
    if (rpt_buf_append(&s->pending, text, n) != 0)
        return ocp_error_set(err, OCP_ERR_OSERR, s->csv.path, -1, NULL, "out of memory");
    return OCP_OK;
}

int rpt_stream_write(struct rpt_stream *s, const unsigned char *block, size_t len,
                     struct ocp_error *err)
{
    int rc;

    if (s->state != ST_OPEN)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "writing to a finished report stream");
    if (s->failed)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "writing to a report stream after a failure");
    if (s->shared)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "writing blocks to a shared report stream");
    if (s->format == RPT_FORMAT_CSV)
        rc = csv_write(s, block, len, err);
    else
        rc = rpt_pq_write(s->pq, block, len, &s->rows, err);
    if (rc != OCP_OK)
        s->failed = 1;
    return rc;
}

int rpt_stream_commit(struct rpt_stream *s, struct ocp_error *err)
{
    int rc;

    if (s->state != ST_OPEN)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "committing a finished report stream");
    if (s->failed) {
        /* Part of the rows are missing: never publish that. */
        rpt_stream_abort(s);
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "committing a report stream after a failed write");
    }
    if (s->format == RPT_FORMAT_CSV) {
        rc = csv_flush(s, err);
        if (rc == OCP_OK)
            rc = rpt_atomic_commit(&s->csv, err);
        else
            rpt_atomic_abort(&s->csv);
    } else {
        int64_t bytes = 0, files = 0;
        rc = rpt_pq_commit(s->pq, &bytes, &files, err);
        s->pq = NULL;
        s->bytes = bytes;
        s->files = files;
    }
    rpt_buf_release(&s->pending);
    s->state = rc == OCP_OK ? ST_COMMITTED : ST_ABORTED;
    return rc;
}

int rpt_stream_share(struct rpt_stream *s, struct rpt_share *sh, struct ocp_error *err)
{
    struct stat st;
    int rc;

    memset(sh, 0, sizeof *sh);
    if (s->format != RPT_FORMAT_CSV || s->state != ST_OPEN || s->failed)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "only an open CSV report can be shared");
    rc = csv_flush(s, err);
    if (rc != OCP_OK) {
        s->failed = 1;
        return rc;
    }
    if (fstat(s->csv.fd, &st) != 0)
        return ocp_error_set(err, OCP_ERR_IOERR, s->csv.path, -1, NULL, "cannot stat %s: %s",
                             s->csv.tmp, strerror(errno));
    sh->tmp = strdup(s->csv.tmp);
    if (sh->tmp == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, s->csv.path, -1, NULL, "out of memory");
    sh->offset = s->bytes;
    sh->ino = (uint64_t)st.st_ino;
    s->shared = 1;
    return OCP_OK;
}

void rpt_stream_unshare(struct rpt_stream *s)
{
    s->shared = 0;
}

int rpt_stream_shared_end(struct rpt_stream *s, int64_t end, struct ocp_error *err)
{
    struct stat st;

    if (!s->shared || s->state != ST_OPEN)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "ending a report stream that is not shared");
    /* Every byte up to end was written by some rank, and nothing beyond:
     * the length is the one check that covers a part gone astray. */
    if (fstat(s->csv.fd, &st) != 0 || (int64_t)st.st_size != end) {
        s->failed = 1;
        return ocp_error_set(err, OCP_ERR_SOFTWARE, s->csv.path, -1, NULL,
                             "the report written by the ranks is %lld bytes, expected %lld",
                             (long long)st.st_size, (long long)end);
    }
    /* The stream's own file offset stays after the header; nothing is
     * written through it any more, commit only syncs and renames. */
    s->csv.bytes = end;
    s->bytes = end;
    s->shared = 0;
    return OCP_OK;
}

void rpt_share_release(struct rpt_share *sh)
{
    free(sh->tmp);
    sh->tmp = NULL;
}

void rpt_stream_abort(struct rpt_stream *s)
{
    if (s == NULL || s->state != ST_OPEN)
        return;
    rpt_atomic_abort(&s->csv);
    rpt_pq_abort(s->pq);
    s->pq = NULL;
    rpt_buf_release(&s->pending);
    s->state = ST_ABORTED;
}

void rpt_stream_destroy(struct rpt_stream *s)
{
    if (s == NULL)
        return;
    rpt_stream_abort(s);
    free(s);
}

void rpt_stream_counts(const struct rpt_stream *s, int64_t *rows, int64_t *bytes, int64_t *files)
{
    if (rows != NULL)
        *rows = s->rows;
    if (bytes != NULL)
        *bytes = s->bytes;
    if (files != NULL)
        *files = s->files;
}

/* The one-shot writers: the table in blocks through one stream. */
static int write_table(enum rpt_format format, const struct rpt_table *t,
                       const struct rpt_meta *meta, const char *path, size_t chunk,
                       struct ocp_error *err)
{
    struct rpt_stream *s = NULL;
    struct rpt_buf block = {0};
    size_t from = 0;
    int rc = rpt_stream_open(&s, format, path, meta, err);

    while (rc == OCP_OK && from < t->count) {
        size_t to = t->count - from < chunk ? t->count : from + chunk;
        block.len = 0;
        rc = encode_range(format, t, meta, from, to, &block, err);
        if (rc == OCP_OK)
            rc = rpt_stream_write(s, (const unsigned char *)block.data, block.len, err);
        from = to;
    }
    if (rc == OCP_OK)
        rc = rpt_stream_commit(s, err);
    rpt_stream_destroy(s);
    rpt_buf_release(&block);
    if (rc != OCP_OK)
        ocp_error_context(err, path, -1, NULL);
    return rc;
}

int rpt_write_csv(const struct rpt_table *t, const struct rpt_meta *meta, const char *path,
                  struct ocp_error *err)
{
    return write_table(RPT_FORMAT_CSV, t, meta, path, 4096, err);
}

int rpt_write_parquet(const struct rpt_table *t, const struct rpt_meta *meta, const char *path,
                      int partitioned, struct ocp_error *err)
{
    return write_table(partitioned ? RPT_FORMAT_PARQUET_PARTITIONED : RPT_FORMAT_PARQUET, t, meta,
                       path, 65536, err);
}
