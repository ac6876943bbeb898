/*
 * report.h - the rows of the daily summary and the writers for them.
 *
 * agg_finish() produces a struct rpt_table: every output row with its
 * strings and numbers, already sorted in report order.  The writers turn
 * it into a file: CSV (PostgreSQL COPY ... CSV HEADER compatible) or
 * Parquet, through the report stream below (rpt_stream.c, rpt_csv.c,
 * rpt_parquet.c).  Every writer writes to a temporary name in the target
 * folder and renames on success (rpt_atomic_*, rpt_file.c), so a failure
 * never leaves a half-written report and never touches an earlier one.
 * Ownership: struct rpt_table is caller storage (rpt_table_init/_release);
 * it owns its rows and the strings they point to.
 */
#ifndef OCPAGG_REPORT_H
#define OCPAGG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ocpagg/arena.h"
#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The numeric columns, in report order; NaN is SQL NULL. */
enum rpt_num {
    RPT_POD_USAGE_CPU_HOURS,
    RPT_POD_REQUEST_CPU_HOURS,
    RPT_POD_EFFECTIVE_CPU_HOURS,
    RPT_POD_LIMIT_CPU_HOURS,
    RPT_POD_USAGE_MEM_GBH,
    RPT_POD_REQUEST_MEM_GBH,
    RPT_POD_EFFECTIVE_MEM_GBH,
    RPT_POD_LIMIT_MEM_GBH,
    RPT_NODE_CAP_CPU_CORES,
    RPT_NODE_CAP_CPU_HOURS,
    RPT_NODE_CAP_MEM_GB,
    RPT_NODE_CAP_MEM_GBH,
    RPT_CLUSTER_CAP_CPU_HOURS,
    RPT_CLUSTER_CAP_MEM_GBH,
    RPT_PVC_CAP_GB,
    RPT_PVC_CAP_GB_MONTHS,
    RPT_VOLUME_REQUEST_GB_MONTHS,
    RPT_PVC_USAGE_GB_MONTHS,
    RPT_NUM_COUNT
};

enum rpt_source { RPT_SOURCE_POD = 0, RPT_SOURCE_STORAGE = 1 };

/* One report row.  String pointers are NULL for SQL NULL. */
struct rpt_row {
    char uuid[37];
    int32_t usage_day; /* days since 1970-01-01; usage_end equals it */
    enum rpt_source source;
    const char *namespace_;
    const char *node;
    const char *resource_id;
    const char *pod_labels;
    const char *pvc;
    const char *pv;
    const char *storageclass;
    const char *volume_labels;
    const char *all_labels;
    const char *csi_volume_handle;
    double num[RPT_NUM_COUNT];
    int has_infra_cost; /* print the constant infrastructure_usage_cost */
    int has_cost_category;
    int64_t cost_category_id;
    /* Optional, for the CSV: all_labels already as a quoted CSV field
     * ('"' doubled) of all_labels_csv_len bytes, made once per distinct
     * text by the finish; NULL: rpt_csv_rows quotes all_labels itself. */
    const char *all_labels_csv;
    size_t all_labels_csv_len;
};

/* Constant columns from the settings. */
struct rpt_meta {
    int64_t report_period_id;
    const char *cluster_id;
    const char *cluster_alias;
    const char *source_uuid;
};

struct rpt_table {
    struct rpt_row *rows;
    size_t count, cap;
    struct ocp_arena strings; /* storage of the rows' strings */
    /* Working room of rpt_table_sort, kept with the table so that a table
     * sorted day after day reuses pages it has touched already. */
    unsigned char *sort_room;
    size_t sort_room_cap;
};

/* The column names in report order (NULL-terminated list). */
extern const char *const rpt_column_names[];
/* The name of numeric column n (one of rpt_column_names). */
const char *rpt_num_column_name(enum rpt_num n);
/* The constant infrastructure_usage_cost text of pod and storage rows. */
extern const char rpt_infra_cost_text[];

void rpt_table_init(struct rpt_table *t);
void rpt_table_release(struct rpt_table *t);
/* Empties t for reuse: no rows, no strings, its memory kept (a table that
 * serves day after day fills pages it has already touched). */
void rpt_table_clear(struct rpt_table *t);

/* Appends a zeroed row (numbers NaN) and returns it; NULL when out of memory. */
struct rpt_row *rpt_table_add(struct rpt_table *t);

/* Makes room for n rows in all (rpt_table_add then does not move rows
 * until more are added); OCP_ERR_OSERR when out of memory. */
int rpt_table_reserve(struct rpt_table *t, size_t n);

/* Copies s[0..len) into the table's storage; NULL in, NULL out. */
const char *rpt_table_strdup(struct rpt_table *t, const char *s, size_t len);

/* Counts the rows of each kind: pod rows, unallocated rows (data_source Pod
 * without the infrastructure cost constant) and storage rows; adds to the
 * counters. */
void rpt_table_count_kinds(const struct rpt_table *t, int64_t *pod, int64_t *unallocated,
                           int64_t *storage);

/* Sorts rows in report order: usage_start, data_source, namespace, node,
 * labels, then the remaining key columns (resource_id, pvc, pv,
 * storageclass, csi_volume_handle); NULL sorts first. */
void rpt_table_sort(struct rpt_table *t);

/* Formats a double so it reads back to the same bits (shortest of %.15g,
 * %.16g, %.17g that round-trips); returns the length.  out >= 32 bytes. */
size_t rpt_format_double(double v, char *out);

/* A growable text buffer (caller storage; rpt_buf_release frees). */
struct rpt_buf {
    char *data;
    size_t len, cap;
    /* Bytes from data known to be faulted in (rpt_csv_rows populates
     * ahead of its rows, ocp_mem_populate_ahead); code that swaps data
     * sets it to 0.  Only a hint: it never changes a byte. */
    size_t populated;
    /* When set, called before the memory moves or is freed (by
     * rpt_buf_reserve or rpt_buf_release): another thread may be reading
     * it (rpt_part_stream_inplace), and this waits until it is done. */
    void (*before_move)(void *ctx);
    void *move_ctx;
};

void rpt_buf_release(struct rpt_buf *b);

/* Makes room for `extra` more bytes (the capacity doubles; an empty
 * buffer is allocated afresh, not copied); 0, or -1 when out of memory
 * (the bytes in b kept).  The CSV and the database COPY encoders share
 * it. */
int rpt_buf_reserve(struct rpt_buf *b, size_t extra);

/* Appends len bytes of data (or, with data NULL, len bytes left for the
 * caller to fill); 0, or -1 when out of memory (b unchanged).  Inline:
 * keys are built a few bytes at a time with it. */
static inline int rpt_buf_append(struct rpt_buf *b, const void *data, size_t len)
{
    if (len > b->cap - b->len && rpt_buf_reserve(b, len) != 0)
        return -1;
    if (len > 0 && data != NULL)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* Room a CSV field of s may take quoted (0 for NULL, the empty field). */
size_t rpt_csv_field_room(const char *s);

/* Appends s as a quoted CSV field, doubling every '"'; NULL appends
 * nothing (SQL NULL).  Room must have been reserved. */
void rpt_csv_add_field(struct rpt_buf *b, const char *s);

/* Room rpt_csv_add_row_key may take for row. */
size_t rpt_csv_row_key_room(const struct rpt_row *row);

/* Appends the row's fields from data_source to resource_id, each after a
 * comma and the last with the comma after it: ",Pod,<day>,<day>,
 * <namespace>,<node>,<resource_id>," (the CSV report and the database's
 * COPY text share them).  Room must have been reserved. */
void rpt_csv_add_row_key(struct rpt_buf *b, const struct rpt_row *row);

/* Appends ",<pvc>,<pv>,<storageclass>," (the fields after the numbers,
 * shared like rpt_csv_add_row_key).  Room must have been reserved:
 * 4 bytes and the three fields' rpt_csv_field_room. */
void rpt_csv_add_volume_key(struct rpt_buf *b, const struct rpt_row *row);

/* Appends the CSV header line. */
int rpt_csv_header(struct rpt_buf *out);

/* Appends rows [from, to) as CSV lines; OCP_ERR_OSERR when out of memory. */
int rpt_csv_rows(const struct rpt_table *t, const struct rpt_meta *meta, size_t from, size_t to,
                 struct rpt_buf *out);

/* Writes the table as CSV with a header to path (through the report
 * stream: temporary file, fsync, rename). */
int rpt_write_csv(const struct rpt_table *t, const struct rpt_meta *meta, const char *path,
                  struct ocp_error *err);

/* Writes the table as Parquet with the columns and types of Koku's Trino
 * table reporting_ocpusagelineitem_daily_summary: strings (labels as JSON
 * text) as STRING, usage_start / usage_end as DATE, numbers as DOUBLE,
 * report_period_id and cost_category_id as INT32; SNAPPY, dictionary
 * encoded strings.  partitioned == 0: one file at path.  partitioned == 1:
 * path is a folder that receives
 * source=<uuid>/year=YYYY/month=MM/day=DD/ocpagg_summary_YYYY-MM-DD.parquet
 * (the partition values live in the folder names only, as Hive does); the
 * folder is replaced as a whole (see the report stream).
 * On failure every file and folder this call wrote is removed and an
 * earlier report is untouched.  A report_period_id or cost_category_id
 * outside the int32 range is OCP_ERR_DATA. */
int rpt_write_parquet(const struct rpt_table *t, const struct rpt_meta *meta, const char *path,
                      int partitioned, struct ocp_error *err);

/* ---- Whole files written atomically ----
 *
 * Every writer of a whole output file (the CSV and Parquet reports, the run
 * summary) goes through one helper: write to "<path>.tmp.<host>.<pid>" in
 * the target's folder, fsync, rename over path, fsync the folder.  So a
 * reader sees the old file or the complete new one, never a partial one,
 * and a crash leaves only a temporary whose name says which run made it.
 * A path that exists and is not a regular file (a device, FIFO, socket,
 * folder or symbolic link) is never replaced: OCP_ERR_CANTCREAT.
 * Ownership: struct rpt_atomic is caller storage; rpt_atomic_commit or
 * rpt_atomic_abort releases it (both are safe on a zeroed or failed one). */
struct rpt_atomic {
    char *path;    /* the final name (copy) */
    char *tmp;     /* the temporary name */
    int fd;        /* -1 when closed */
    int64_t bytes; /* bytes written so far */
};

/* Creates the temporary file for path (after removing stale temporaries of
 * dead runs, see rpt_remove_stale_temps).  OCP_ERR_CANTCREAT when it cannot
 * be created or path is not a regular file; OCP_ERR_OSERR out of memory. */
int rpt_atomic_open(struct rpt_atomic *a, const char *path, struct ocp_error *err);

/* Appends len bytes (write(2), retried on short writes and EINTR).
 * OCP_ERR_IOERR with strerror (e.g. "No space left on device"). */
int rpt_atomic_write(struct rpt_atomic *a, const void *data, size_t len, struct ocp_error *err);

/* fsync, close, rename over path, fsync the folder; on failure the
 * temporary is removed and an existing file at path is untouched.  Always
 * releases a. */
int rpt_atomic_commit(struct rpt_atomic *a, struct ocp_error *err);

/* Closes and removes the temporary; releases a. */
void rpt_atomic_abort(struct rpt_atomic *a);

/* The whole cycle for a file held in memory (e.g. the run summary). */
int rpt_atomic_write_file(const char *path, const void *data, size_t len, struct ocp_error *err);

/* "<path>.tmp.<host>.<pid>" (malloc'ed; NULL when out of memory).  The
 * host is gethostname() with '/' replaced, so the name stays in the
 * target's folder. */
char *rpt_temp_name(const char *path);

/* Removes "<path>.tmp.<host>.<pid>[...]" files and folders that a run on
 * this host left behind and whose PID is no longer alive.  Temporaries of
 * live processes, of this process and of other hosts are kept (their runs
 * may still be working, and a PID means nothing on another host).
 * Best effort: returns the number removed. */
int rpt_remove_stale_temps(const char *path);

/* mkdir -p: creates path and its missing parents (mode 0777 & ~umask).
 * Returns 0, or -1 with errno set. */
int rpt_mkdir_p(const char *path);

/* fsyncs a folder itself, so renames and new entries in it are durable.
 * Returns 0, or -1 with errno set. */
int rpt_fsync_dir(const char *path);

/* rm -rf that does not follow symbolic links.  Returns 0, or -1 with errno
 * set (removal goes on past a failure). */
int rpt_remove_tree(const char *path);

/* ---- The report stream: one finish path for every output format ----
 *
 * Every rank finishes its own days into sorted rpt_tables.  The owning
 * rank (any thread) turns a day's table into an opaque *block* with
 * rpt_encode_block; blocks travel to rank 0, which hands them, in day
 * order, to one rpt_stream that writes the output.  The block layout is
 * private to the format: CSV text lines for CSV, a self-contained binary
 * row encoding for Parquet (decoded on rank 0 into the writer's row
 * groups).  Neither side needs all groups or all rows on one rank.
 * A CSV block is a 12-byte header ("RPC1", u64 row count) and the rows'
 * CSV lines; a Parquet block is described in rpt_parquet_block.c.  Blocks are
 * checked on arrival (a corrupt one is OCP_ERR_SOFTWARE, never a crash).
 *
 * Nothing is visible under the final name before rpt_stream_commit:
 * CSV and single-file Parquet go to "<path>.tmp.<host>.<pid>" in the same
 * folder and are fsync'ed and renamed; a partitioned Parquet report is
 * built as a whole new tree beside the old one and swapped in with
 * directory renames only when every file is written and synced, the old
 * tree removed after the swap (so the folder is replaced as a whole: days
 * the new run does not write are gone).  rpt_stream_abort removes
 * everything this stream created (files and directories) and leaves an
 * earlier report exactly as it was.  The stream is used by one thread.
 * Ownership: rpt_stream_open creates, rpt_stream_commit or
 * rpt_stream_abort ends it, rpt_stream_destroy frees (after either). */
enum rpt_format {
    RPT_FORMAT_CSV = 0,
    RPT_FORMAT_PARQUET = 1,            /* one file at path */
    RPT_FORMAT_PARQUET_PARTITIONED = 2 /* Hive tree under folder path */
};

/* Appends the block of a sorted table (normally one day) to out.  Safe to
 * call from several threads on different tables.  OCP_ERR_OSERR when out
 * of memory, OCP_ERR_DATA when a value cannot be written in this format
 * (an id outside int32 for Parquet), naming the column. */
int rpt_encode_block(enum rpt_format format, const struct rpt_table *t, const struct rpt_meta *meta,
                     struct rpt_buf *out, struct ocp_error *err);

struct rpt_stream;

/* Rank 0: starts writing a report of this format to path (temporary names
 * only).  Removes stale temporaries of dead runs on this host (by PID and
 * host in the name), never another live run's.  OCP_ERR_CANTCREAT when the
 * output cannot be created. */
int rpt_stream_open(struct rpt_stream **out, enum rpt_format format, const char *path,
                    const struct rpt_meta *meta, struct ocp_error *err);

/* Writes the next block (blocks arrive in report order; for a partitioned
 * report a day that goes back is OCP_ERR_SOFTWARE, as it would overwrite a
 * day's file).  I/O errors are OCP_ERR_IOERR with strerror; after any
 * failure only rpt_stream_abort / rpt_stream_destroy remain. */
int rpt_stream_write(struct rpt_stream *s, const unsigned char *block, size_t len,
                     struct ocp_error *err);

/* Finishes the output, syncs it and makes it appear under its name
 * atomically (rename / directory swap).  On failure the stream is aborted
 * and the earlier report, if any, is untouched. */
int rpt_stream_commit(struct rpt_stream *s, struct ocp_error *err);

/* Removes everything the stream created; the earlier report stays. */
void rpt_stream_abort(struct rpt_stream *s);

/* Frees the stream (after commit or abort; aborts if neither happened). */
void rpt_stream_destroy(struct rpt_stream *s);

/* Rows and bytes written so far and the number of report files (for the
 * run summary).  Rows count as they are written; bytes are the CSV text
 * written, or the Parquet files' sizes once they are closed (final after
 * commit); files is 1 for CSV and single Parquet, the day files for a
 * partitioned report. */
void rpt_stream_counts(const struct rpt_stream *s, int64_t *rows, int64_t *bytes, int64_t *files);

/* ---- A CSV report written by several processes at once ----
 *
 * Why: copying the report text into the page cache is a large part of the
 * finish, and with one writer it is serial.  When every rank can open
 * rank 0's temporary file (one file system), each rank writes the text of
 * its own days at their offsets: rank 0 shares the stream
 * (rpt_stream_share), every rank opens a part (rpt_part_open) and writes
 * its days with rpt_part_stream (the driver streams a day as it encodes
 * it; rpt_part_write takes a whole day block) at offsets handed down the
 * day order, closes (rpt_part_close syncs), and rank 0 tells the stream
 * where the text ends (rpt_stream_shared_end) before rpt_stream_commit, which still
 * fsyncs and renames.  Ownership: struct rpt_share and struct rpt_part are
 * caller storage; *_release frees what they hold.  CSV only. */
struct rpt_share {
    char *tmp;      /* the temporary file every rank opens */
    int64_t offset; /* where the first day's text starts (after the header) */
    uint64_t ino;   /* its inode number, checked by the other ranks */
};

/* Rank 0: writes what the stream holds (the header) and hands out its
 * temporary file.  From then on rpt_stream_write is refused until
 * rpt_stream_unshare.  OCP_ERR_SOFTWARE for a non-CSV stream, OCP_ERR_IOERR
 * when the header cannot be written. */
int rpt_stream_share(struct rpt_stream *s, struct rpt_share *sh, struct ocp_error *err);

/* Rank 0: back to rank 0 writing every block (some rank could not open
 * the shared file); the stream continues after the header. */
void rpt_stream_unshare(struct rpt_stream *s);

/* Rank 0, after every part was written and closed: the text ends at
 * `end`.  OCP_ERR_SOFTWARE when the file is not exactly that long (a
 * writer went astray).  rpt_stream_counts then gives the bytes but not
 * the rows, which the ranks counted. */
int rpt_stream_shared_end(struct rpt_stream *s, int64_t end, struct ocp_error *err);

/* Frees what a share holds. */
void rpt_share_release(struct rpt_share *sh);

struct rpt_writer;

/* The buffer of a part's direct writes, lent to the part by its caller
 * so that it outlives the part: the next window's part reuses the pages
 * the last one touched instead of the kernel zeroing fresh ones.
 * Ownership: zeroed caller storage; rpt_part_room_release frees it (not
 * while a part it was lent to is open). */
struct rpt_part_room {
    void *buf;
    size_t cap;
};

/* Frees a room's buffer. */
void rpt_part_room_release(struct rpt_part_room *room);

struct rpt_part {
    int fd;                     /* -1 when closed */
    int dfd;                    /* the same file opened O_DIRECT, or -1 */
    struct rpt_writer *writer;  /* the thread writing through dfd (rpt_part.c) */
    char *path;                 /* the report's name, for messages */
    char *tmp;                  /* the shared temporary file */
    int64_t direct_bytes;       /* bytes written through dfd (summary, tests; known
                                   after rpt_part_close) */
    struct rpt_part_room *room; /* lent buffer, or NULL (the part's own) */
};

/* Any rank: opens the shared temporary file for writing at offsets.  It
 * must be a regular file with inode sh->ino that is exactly sh->offset
 * long (so it is rank 0's file, seen through the same or a shared file
 * system, and nobody has written days yet).  OCP_ERR_CANTCREAT when it
 * cannot be opened or is not that file; the caller then falls back to
 * rank 0 writing.  path: the report's final name (messages).  room
 * (NULL: none) lends the direct writes' buffer (struct rpt_part_room);
 * the part gives it back, possibly grown, when it closes. */
int rpt_part_open(struct rpt_part *p, const struct rpt_share *sh, const char *path,
                  struct rpt_part_room *room, struct ocp_error *err);

/* The length of a CSV block's text and its row count (a block is what
 * rpt_encode_block made).  OCP_ERR_SOFTWARE for a block that is not CSV. */
int rpt_csv_block_text(const unsigned char *block, size_t len, size_t *text_len, int64_t *rows,
                       struct ocp_error *err);

/* Writes a CSV block's text at offset (pwrite).  Where the file system
 * takes O_DIRECT, the whole 4 KiB pages inside the block go straight to
 * the disk through an aligned buffer (copying into the page cache is the
 * slow part of writing a report here, and the fsync then has little
 * left to do), written by the part's own thread while the caller goes on
 * (one block in flight; the block itself may be reused at once); the
 * partial pages at either end, which a neighbouring day's writer shares,
 * go through the page cache.  A file system that refuses direct writes
 * gets plain writes.  OCP_ERR_IOERR with strerror on failure (ENOSPC
 * included): a failure of the block in flight is reported by the next
 * call or by rpt_part_close. */
int rpt_part_write(struct rpt_part *p, const unsigned char *block, size_t len, int64_t offset,
                   struct ocp_error *err);

/* Writes a day's CSV text while it is still being encoded: text[0, len)
 * is what the caller holds of the day, to go at file position offset.
 * Without final, the whole pages in it (and the bytes before the first,
 * which only the day's first call has) go to the part's thread when it is
 * free and they make a piece worth a write, never waiting for it; *taken
 * says how many leading bytes went (0 or up to a page boundary): the
 * caller drops them and calls again with the rest at offset + *taken.
 * With final, text is the rest of the day and all of it goes, as
 * rpt_part_write does; a final call on a whole day is rpt_part_write.
 * The caller's buffer is read during the call only.  OCP_ERR_IOERR as
 * for rpt_part_write. */
int rpt_part_stream(struct rpt_part *p, const char *text, size_t len, int64_t offset, int final,
                    size_t *taken, struct ocp_error *err);

/* The page size direct writes align to (covers 512- and 4096-byte
 * sectors); rpt_part_pad is always less. */
#define RPT_PART_ALIGN ((size_t)4096)

/* Whether the part writes whole pages straight from the caller's memory
 * (rpt_part_stream_inplace): its direct-IO twin is open. */
int rpt_part_inplace_ok(const struct rpt_part *p);

/* The bytes to leave free at mem so that a text placed right after them,
 * going to file position offset, has its whole pages on pages of memory
 * (less than a page). */
size_t rpt_part_pad(const void *mem, int64_t offset);

/* rpt_part_stream without the copy into the aligned buffer: the whole
 * pages of text[0, len) are written straight from the caller's memory by
 * the part's thread, the bytes around them through the page cache.  text
 * must be placed for offset (text = mem + rpt_part_pad(mem, offset)), else
 * this is rpt_part_stream.  Without final, the whole pages go when the
 * thread is free and they make a piece worth a write (*taken: how many
 * leading bytes went, 0 or up to a page boundary); with final all of it
 * goes.  The caller leaves the bytes taken untouched until the thread is
 * done with them (rpt_part_wait returned, or the part is closed): a text
 * buffer that is growing must wait before it moves (rpt_part_wait_cb as
 * its before_move).  Errors as for rpt_part_stream. */
int rpt_part_stream_inplace(struct rpt_part *p, const char *text, size_t len, int64_t offset,
                            int final, size_t *taken, struct ocp_error *err);

/* Waits until the part's thread is done with its job; OCP_ERR_IOERR when
 * a write failed. */
int rpt_part_wait(struct rpt_part *p, struct ocp_error *err);

/* A mark of the writes handed to the part's thread so far: after
 * rpt_part_wait_mark with it, the thread is done with the memory of every
 * rpt_part_stream_inplace call made before it was taken, whatever was
 * handed over since.  0 without a thread. */
uint64_t rpt_part_mark(const struct rpt_part *p);

/* Waits until the part's thread is done with the writes up to mark
 * (rpt_part_mark), not those handed over after it: a rank that encodes
 * into two buffers in turn waits only for the one it reuses.
 * OCP_ERR_IOERR when a write failed. */
int rpt_part_wait_mark(struct rpt_part *p, uint64_t mark, struct ocp_error *err);

/* Whether the part's thread has no write in hand (rpt_part_wait would
 * not wait). */
int rpt_part_idle(const struct rpt_part *p);

/* rpt_part_wait for a struct rpt_buf's before_move (ctx: the part); a
 * failure is reported by the part's next write or close. */
void rpt_part_wait_cb(void *ctx);

/* Waits for the block in flight, syncs (fdatasync) and closes the part.
 * OCP_ERR_IOERR on failure. */
int rpt_part_close(struct rpt_part *p, struct ocp_error *err);

/* Closes without syncing (after a failure) and frees the names. */
void rpt_part_release(struct rpt_part *p);

/* ---- Output paths checked before the heavy work ---- */
struct rpt_output_spec {
    const char *report_path, *report_key;   /* key: "output.path" */
    const char *summary_path, *summary_key; /* key: "output.summary" */
    int partitioned;                        /* report_path is a folder */
    const char *const *inputs;              /* input files and folders */
    size_t ninputs;
    /* Outputs whose name the user did not write (derived from another
     * key, named here): an existing non-empty file there is replaced only
     * when it begins with the mark, the first bytes ocpagg writes into
     * such a file.  NULL: the name was given, the file is the user's to
     * replace. */
    const char *report_derived_from, *report_mark;
    const char *summary_derived_from, *summary_mark;
};

/* The first bytes of every run summary ocpagg writes (the mark for a
 * derived summary name). */
#define RPT_SUMMARY_MARK "{\n  \"ocpagg_version\":"

/* Checks that the report and summary can be this run's own outputs: each
 * is a regular file (a folder for a partitioned report) or absent, in an
 * existing writable directory; they are distinct from each other and from
 * every input file, and not inside any input folder (compared by device
 * and inode after resolving symlinks, not by name).  A device, FIFO or
 * socket, or a clash, is OCP_ERR_CONFIG naming the key; a directory that
 * cannot be written is OCP_ERR_CANTCREAT.  Changes nothing on disk.
 * Also refused (OCP_ERR_CONFIG): a last path component that is a symbolic
 * link (links in the folders above are followed; docs/config.md), a
 * partitioned report folder that holds an input, a summary inside the
 * report folder, an existing partitioned report folder that holds
 * anything but what a partitioned report writes (it is replaced as a
 * whole: `source=…/year=…/month=…/day=…/ocpagg_summary_….parquet`, and
 * nothing else), and an existing file under a derived name that does
 * not begin with its mark (the spec's *_derived_from).  summary_path may
 * be NULL; a missing input is skipped (the planner reports it). */
int rpt_output_check(const struct rpt_output_spec *spec, struct ocp_error *err);

/* Claims output `path` (named by config key `key`) for this process, so
 * that a second run on this host writing the same output fails up front
 * (OCP_ERR_CANTCREAT, "another ocpagg run on this host is writing …")
 * instead of mixing its report with this run's summary.  The claim is an
 * abstract Unix socket (no file), held until rpt_output_unclaim or the
 * process's end; *fd is -1 where none could be taken for another reason
 * than a holder (then the run goes on unclaimed).  Not seen: runs on
 * other hosts or in other network namespaces. */
int rpt_output_claim(const char *path, const char *key, int *fd, struct ocp_error *err);

/* Gives a claim up; *fd becomes -1.  Safe on -1. */
void rpt_output_unclaim(int *fd);

#ifdef __cplusplus
}
#endif
#endif
