/* rpt_internal.h - what the report stream (rpt_stream.c) needs from the
 * Parquet side (rpt_parquet.c, rpt_parquet_block.c).  Internal to
 * src/report. */
#ifndef OCPAGG_RPT_INTERNAL_H
#define OCPAGG_RPT_INTERNAL_H

#include "ocpagg/report.h"

/* ---- the day block (rpt_parquet_block.c) ---- */

/* The string fields of a row, in the order a block stores them; the
 * Parquet columns (rpt_parquet.c) name them by the same numbers. */
enum {
    RPT_S_NAMESPACE,
    RPT_S_NODE,
    RPT_S_RESOURCE,
    RPT_S_POD_LABELS,
    RPT_S_PVC,
    RPT_S_PV,
    RPT_S_SC,
    RPT_S_VOL_LABELS,
    RPT_S_ALL_LABELS,
    RPT_S_CSI
};

/* The string field which (RPT_S_*) of r, or NULL. */
const char *rpt_pq_row_str(const struct rpt_row *r, int which);

/* Appends the binary block of rows [from, to) of t. */
int rpt_pq_encode(const struct rpt_table *t, size_t from, size_t to, const struct rpt_meta *meta,
                  struct rpt_buf *out, struct ocp_error *err);

/* A block being decoded: the next row starts at pos. */
struct rpt_pq_cursor {
    const unsigned char *data;
    size_t len, pos;
    uint64_t left; /* rows not yet decoded */
};

/* Checks the header of the block [block, block + len) and points c at
 * its first row.  The block is not copied: it must outlive c and the
 * rows decoded from it. */
int rpt_pq_cursor_start(struct rpt_pq_cursor *c, const unsigned char *block, size_t len,
                        struct ocp_error *err);

/* Decodes the next row into r (strings point into the block); a
 * truncated or corrupt block is OCP_ERR_SOFTWARE.  Only while c->left > 0:
 * the count is the caller's to check. */
int rpt_pq_decode_row(struct rpt_pq_cursor *c, struct rpt_row *r, struct ocp_error *err);

/* ---- the sink (rpt_parquet.c) ---- */

/* The Parquet half of a stream: one file or a partitioned tree. */
struct rpt_pq_sink;

/* Starts a single file (partitioned == 0) or a tree at path. */
int rpt_pq_open(struct rpt_pq_sink **out, const char *path, int partitioned,
                const struct rpt_meta *meta, struct ocp_error *err);

/* Decodes a block and appends its rows; adds them to *rows. */
int rpt_pq_write(struct rpt_pq_sink *s, const unsigned char *block, size_t len, int64_t *rows,
                 struct ocp_error *err);

/* Finishes, syncs and moves the output into place; adds to *bytes and
 * *files.  Frees s in every case (aborting on failure). */
int rpt_pq_commit(struct rpt_pq_sink *s, int64_t *bytes, int64_t *files, struct ocp_error *err);

/* Removes everything s created and frees it.  NULL is a no-op. */
void rpt_pq_abort(struct rpt_pq_sink *s);

/* Writes all n bytes to fd: at off with pwrite, or at the file position
 * when off < 0; retries on EINTR.  Returns 0, or the errno (ENOSPC for a
 * write that made no progress).  The one write loop of the report files
 * (rpt_file.c, rpt_part.c). */
int rpt_write_fully(int fd, const void *data, size_t n, int64_t off);

#endif
