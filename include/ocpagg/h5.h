/*
 * h5.h - the HDF5 input layout: a reader for the four line-item tables and
 * the writer ocpgen and the tests use.  The layout is described in
 * docs/hdf5-layout.md: one group per table named by Koku's table name, one
 * 1-D dataset per column, TIME as int64 microseconds, NUMBER as float64,
 * STRING and LABELS dictionary-coded (uint32 codes plus a "<col>.dict"
 * group holding "offsets" and "data").
 *
 * Thread safety: Debian's parallel HDF5 is built without its thread-safe
 * option, so callers must serialize every h5_ call (and every other HDF5
 * call in the process); distinct objects do not make it safe.  Apart from
 * that the module keeps no mutable globals.  h5_file_open and
 * h5_writer_create switch off HDF5's automatic error printing on the
 * calling thread's default error stack (an idempotent setting), because
 * every failure is reported through struct ocp_error instead.
 *
 * The core never calls MPI: a parallel caller passes its own file access
 * property list (e.g. an MPI-IO fapl) to h5_file_open and, if it wants
 * collective transfers, its own transfer list to h5_file_set_dxpl.
 *
 * Ownership: h5_file, h5_table and h5_writer are heap objects made by
 * *_open / *_create and freed by the matching *_close, which must be called
 * exactly once even after an error.  A table must be closed before its
 * file.
 */
#ifndef OCPAGG_H5_H
#define OCPAGG_H5_H

#include <hdf5.h>
#include <stdint.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout version written to (and accepted from) the attribute
 * "ocpagg_layout_version" of each table group. */
#define H5_LAYOUT_VERSION 1

/* Rows per HDF5 chunk the writer uses unless told otherwise. */
#define H5_DEFAULT_CHUNK_ROWS 65536

struct h5_file;
struct h5_table;
struct h5_writer;

/* Opens an HDF5 file read-only with the given file access property list
 * (H5P_DEFAULT for plain POSIX I/O).  A missing file gives
 * OCP_ERR_NOINPUT; a file that is not HDF5, is truncated or whose root
 * group cannot be read gives OCP_ERR_DATA; both name the file. */
int h5_file_open(const char *path, hid_t fapl, struct h5_file **out, struct ocp_error *err);

/* The data transfer property list of the row reads (h5_table_read), e.g.
 * an MPI-IO list asking for collective transfers; H5P_DEFAULT until set.
 * The caller keeps it open while the file is read and closes it after. */
void h5_file_set_dxpl(struct h5_file *f, hid_t dxpl);

/* Closes the file; NULL is allowed. */
void h5_file_close(struct h5_file *f);

/* Returns 1 when the file has a group (or another object) at the path
 * `group`, 0 when it definitely has none, and -1 when the lookup fails
 * (damaged link tables: a corrupt file).  A caller that tests the result
 * as a boolean treats such a file as having the table, and h5_table_open
 * then reports the damage as OCP_ERR_DATA. */
int h5_table_exists(struct h5_file *f, const char *group);

/* Opens the table group `group` (usually ocp_table_spec(table)->name) and
 * checks it: every required column of the schema exists with the right
 * class, all columns are 1-D of equal length, and the string dictionaries
 * are well formed; they are read once here, each with its own
 * ocp_strdict_next_serial().  A group that is definitely absent gives
 * OCP_ERR_NOINPUT; one whose lookup fails (a corrupt file), a missing
 * required column, a wrong type or a column whose rows are not all stored
 * (storage never allocated, chunks missing: rows HDF5 would read as fill
 * values) OCP_ERR_DATA naming the file and column.  Columns not in the
 * schema are ignored. */
int h5_table_open(struct h5_file *f, enum ocp_table table, const char *group, struct h5_table **out,
                  struct ocp_error *err);

/* The number of rows of the table. */
int64_t h5_table_num_rows(const struct h5_table *t);

/* Reads rows [start, start + nrows) into out: every schema column in
 * schema order, optional columns the file lacks with present == 0.  Column
 * buffers come from `arena`; dictionaries belong to the table and stay
 * valid until h5_table_close.  String codes are checked against their
 * dictionary (a code out of range gives OCP_ERR_DATA).  A range outside
 * the table gives OCP_ERR_SOFTWARE. */
int h5_table_read(struct h5_table *t, int64_t start, int64_t nrows, struct ocp_arena *arena,
                  struct ocp_batch *out, struct ocp_error *err);

/* Closes the table; NULL is allowed. */
void h5_table_close(struct h5_table *t);

/* Creates (truncating) an HDF5 file at path_tmp for writing.  The caller
 * renames it to its final name after h5_writer_close succeeded, and
 * removes it after a failure. */
int h5_writer_create(const char *path_tmp, struct h5_writer **out, struct ocp_error *err);

/* Sets the rows per chunk of tables begun afterwards (default
 * H5_DEFAULT_CHUNK_ROWS); used by tests to cross chunk boundaries cheaply.
 * Returns OCP_ERR_USAGE for 0 or a value above 2^24. */
int h5_writer_set_chunk_rows(struct h5_writer *w, uint32_t rows);

/* Starts the group of `table`; compress != 0 enables shuffle + deflate
 * level 1 on every dataset.  Only one table is open at a time. */
int h5_writer_begin_table(struct h5_writer *w, enum ocp_table table, int compress,
                          struct ocp_error *err);

/* Appends the rows of b (b->table must be the open table).  The columns
 * present in the first batch decide which datasets the table gets; a later
 * batch lacking one of them writes NULLs there, and a later batch with a
 * column the first lacked is an error (OCP_ERR_SOFTWARE).  String and
 * label columns arrive as (ids, dict); the writer keeps one global
 * dictionary per column, deduplicating strings by hash, and remaps ids.
 * The batch is only read during the call. */
int h5_writer_append(struct h5_writer *w, const struct ocp_batch *b, struct ocp_error *err);

/* Flushes the open table's buffered rows and writes its dictionaries. */
int h5_writer_end_table(struct h5_writer *w, struct ocp_error *err);

/* Ends an open table, flushes and closes the file, and frees w, also when
 * it fails (then the file content is undefined). */
int h5_writer_close(struct h5_writer *w, struct ocp_error *err);

#ifdef __cplusplus
}
#endif
#endif
