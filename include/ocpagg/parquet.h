/*
 * parquet.h - reading Parquet files: footer, schema, column chunks, row
 * group statistics, MAP<string,string> columns as JSON label text, and the
 * adapter that decodes the line-item tables into struct ocp_batch.
 *
 * A file is opened once (pq_file_open reads and checks the footer); then
 * any leaf column of any row group, or a row range inside a row group, is
 * decoded into buffers taken from a caller's arena.  BYTE_ARRAY columns are
 * always delivered dictionary-coded (ids into one struct ocp_strdict per
 * call), so consumers work on small integers instead of strings.
 *
 * Ownership: struct pq_file is a heap object (pq_file_open / pq_file_close).
 * Strings and structs returned by the accessors belong to the file and live
 * until pq_file_close.  Decoded data belongs to the arena the caller passed
 * and lives until that arena is reset or released.
 *
 * Threads: several threads may read from one file at once, each with its
 * own arena.  pq_table_read keeps per-file state between calls (string
 * dictionaries, scratch buffers) under a lock that a second thread does
 * not wait for: it reads without that state.  Nothing here keeps global
 * state.
 *
 * The enumerations (pq_type, pq_converted_type, ...) are those of
 * src/parquet/pq_format.h; in-tree users have src/ on their include path.
 */
#ifndef OCPAGG_PARQUET_H
#define OCPAGG_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "parquet/pq_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Opening a file                                                      */
/* ------------------------------------------------------------------ */

struct pq_open_options {
    int check_crc;           /* 1: verify the CRC of every page that has one */
    size_t max_footer_bytes; /* largest footer accepted; 0 = 256 MiB */
    /* A row range of a column chunk up to this size is read with one
     * pread of the whole chunk; bigger chunks are read page by page,
     * skipping pages outside the range unread.  0 = 4 MiB. */
    size_t whole_chunk_bytes;
    /* pq_table_read keeps each string column's distinct values from call
     * to call (stable ids); a column holding more than this many bytes
     * starts afresh at the next call.  0 = 128 MiB. */
    size_t string_cache_bytes;
};

/* Fills options with the defaults (CRCs checked where a page has one,
 * 256 MiB footer cap, 4 MiB whole-chunk reads).  A CRC mismatch is
 * OCP_ERR_DATA naming file, row group and column. */
void pq_open_options_init(struct pq_open_options *opt);

struct pq_file;

/* Opens path and decodes its footer.  opt may be NULL for the defaults.
 * A missing file gives OCP_ERR_NOINPUT; a file that is not Parquet, is
 * truncated or has a corrupt footer gives OCP_ERR_DATA; an encrypted file
 * OCP_ERR_UNSUPPORTED.  Every error names the file. */
int pq_file_open(const char *path, const struct pq_open_options *opt, struct pq_file **out,
                 struct ocp_error *err);

/* Closes the file and frees everything it owns; NULL is allowed. */
void pq_file_close(struct pq_file *f);

/* Hands what pq_table_read keeps between calls on `from` over to `to`:
 * the lasting dictionary of each string column (and MAP column) whose
 * leaf has the same dotted path and physical type in `to`, and the
 * scratch buffers.  Reading a dataset file after file then keeps a
 * string's id from one file to the next, so a consumer maps each
 * distinct string once per dataset instead of once per file, and the
 * usual order of a column (hour after hour, day after day) is predicted
 * from the first row of the next file on.  `from` stays readable (with
 * empty caches).  Neither file may be in use by another thread.  Never
 * fails: what cannot be matched simply starts afresh. */
void pq_file_take_cache(struct pq_file *to, struct pq_file *from);

/* The path the file was opened with. */
const char *pq_file_path(const struct pq_file *f);

/* Rows in the file (the footer's num_rows). */
int64_t pq_file_num_rows(const struct pq_file *f);

/* Number of row groups. */
int pq_file_num_row_groups(const struct pq_file *f);

/* Rows in row group rg, or -1 when rg is out of range. */
int64_t pq_row_group_num_rows(const struct pq_file *f, int rg);

/* The footer's created_by string, or NULL. */
const char *pq_file_created_by(const struct pq_file *f);

/* The footer's format version. */
int pq_file_version(const struct pq_file *f);

/* Number of key/value metadata entries of the footer. */
size_t pq_file_kv_count(const struct pq_file *f);

/* Entry i of the footer's key/value metadata; value may be NULL.  Returns
 * OCP_OK or OCP_ERR_USAGE when i is out of range. */
int pq_file_kv(const struct pq_file *f, size_t i, const char **key, const char **value);

/* ------------------------------------------------------------------ */
/* Schema                                                              */
/* ------------------------------------------------------------------ */

/* Where a leaf column sits in the schema tree. */
enum pq_shape {
    PQ_SHAPE_FLAT = 0,  /* no repeated ancestor: one value or NULL per row */
    PQ_SHAPE_MAP_KEY,   /* key leaf of a MAP (standard, legacy or Presto) */
    PQ_SHAPE_MAP_VALUE, /* value leaf of such a MAP */
    PQ_SHAPE_NESTED     /* inside a LIST or another repeated group */
};

/* One leaf column.  Logical details come from the LogicalType union when
 * the file has one, else from the converted type. */
struct pq_colinfo {
    const char *path;  /* dotted path, e.g. "pod_labels.key_value.key" */
    const char *name;  /* the leaf's own name */
    const char *top;   /* name of its top-level field */
    enum pq_type type; /* physical type */
    int type_length;   /* FIXED_LEN_BYTE_ARRAY width, else 0 */
    enum pq_repetition repetition;
    enum pq_converted_type converted; /* PQ_CT_NONE when absent */
    enum pq_logical_kind logical;     /* PQ_LT_NONE when absent */
    enum pq_time_unit time_unit;      /* TIMESTAMP / TIME unit */
    int utc;                          /* TIMESTAMP / TIME: isAdjustedToUTC */
    int scale, precision;             /* DECIMAL */
    int int_bits, int_signed;         /* INTEGER (8..64), also from INT_* / UINT_* */
    int max_def, max_rep;             /* maximum definition / repetition level */
    enum pq_shape shape;
    /* For PQ_SHAPE_MAP_KEY / _VALUE: */
    const char *map_path;   /* the MAP group's dotted path */
    int map_key, map_value; /* leaf indexes of key and value (-1: none) */
    int map_def;            /* definition level of the MAP group itself:
                               def < map_def is a NULL map, def == map_def
                               an empty one, def > map_def an entry */
};

/* Number of leaf columns. */
int pq_file_num_columns(const struct pq_file *f);

/* Leaf column i, or NULL when out of range. */
const struct pq_colinfo *pq_file_column(const struct pq_file *f, int i);

/* Finds a column by name: first a leaf whose dotted path equals name, then
 * a MAP group path (giving its key leaf), then a top-level field name
 * (giving its first leaf), each tried exactly and then ignoring ASCII case.
 * Returns the leaf index or -1. */
int pq_column_find(const struct pq_file *f, const char *name);

/* A physical type's name as parquet.thrift spells it ("INT64"). */
const char *pq_type_name(enum pq_type t);

/* An encoding's name ("RLE_DICTIONARY"), "UNKNOWN" otherwise. */
const char *pq_encoding_name(int encoding);

/* The codec's name as parquet.thrift spells it ("SNAPPY"), "UNKNOWN" for
 * an id outside the format; the one table of codec names (the reader's
 * messages, ocpagg-inspect and the writer's codec_parse use it). */
const char *pq_codec_name(enum pq_codec codec);

/* A short logical-type description of a leaf into buf, e.g.
 * "TIMESTAMP(MICROS,UTC)", "DECIMAL(10,2)", "STRING", "" when none. */
void pq_logical_describe(const struct pq_colinfo *c, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Column chunk metadata and statistics                                */
/* ------------------------------------------------------------------ */

struct pq_chunkinfo {
    enum pq_codec codec;
    uint32_t encodings;      /* bit (1u << e) for each encoding e listed */
    int64_t num_values;      /* level entries in the chunk */
    int64_t compressed_size; /* bytes on disk, page headers included */
    int64_t uncompressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 when the footer gives none */
    int has_stats;
};

/* Metadata of the chunk of column col in row group rg. */
int pq_chunk_info(const struct pq_file *f, int rg, int col, struct pq_chunkinfo *out,
                  struct ocp_error *err);

/* Row-group statistics of one column chunk.  min_value / max_value are
 * preferred over the deprecated min / max (which are used only for
 * numeric types, whose deprecated order was right).  A NaN bound is
 * dropped (has_min / has_max = 0). */
struct pq_colstats {
    int has_null_count;
    int64_t null_count;
    int has_distinct_count;
    int64_t distinct_count;
    int has_min, has_max;
    const uint8_t *min, *max; /* PLAIN bytes, no length prefix */
    size_t min_len, max_len;
    int deprecated; /* 1 when the bounds came from min / max */
    /* Decoded bounds: kind 'i' for integer types (INT32, INT64, DATE,
     * TIMESTAMP as stored), 'd' for FLOAT, DOUBLE, FLOAT16 and DECIMAL,
     * 0 when the bytes are not decoded (strings, INT96, booleans). */
    char kind;
    int64_t min_i, max_i;
    double min_d, max_d;
};

/* Statistics of the chunk of column col in row group rg; all has_* are 0
 * when the file has none.  The byte pointers live as long as the file. */
int pq_column_stats(const struct pq_file *f, int rg, int col, struct pq_colstats *out,
                    struct ocp_error *err);

/* ------------------------------------------------------------------ */
/* Reading columns                                                     */
/* ------------------------------------------------------------------ */

/* The decoded values of one leaf column over a row range.  There is one
 * slot per level entry (for flat columns one per row); NULL entries hold
 * zero bytes (a DOUBLE's a quiet NaN), or OCP_NULL_ID in ids. */
struct pq_colvalues {
    int column; /* leaf index */
    enum pq_type type;
    int type_length;    /* FIXED_LEN_BYTE_ARRAY width */
    int64_t nrows;      /* rows covered */
    int64_t nlevels;    /* level entries (== nrows when flat) */
    int64_t null_count; /* entries with def < max_def */
    const int16_t *def; /* nlevels; NULL when max_def == 0 */
    const int16_t *rep; /* nlevels; NULL when max_rep == 0 */
    /* BOOLEAN uint8_t 0/1, INT32 int32_t, INT64 int64_t, INT96 12 bytes
     * (8 nanoseconds of day then 4 Julian day, little endian), FLOAT
     * float, DOUBLE double, FIXED_LEN_BYTE_ARRAY type_length bytes; NULL
     * for BYTE_ARRAY. */
    const void *values;
    /* BYTE_ARRAY: ids into dict.  A dictionary-encoded chunk keeps its
     * dictionary page as entries 0..n-1 (PLAIN fallback pages append new
     * strings); other chunks get a dictionary of their distinct values. */
    const uint32_t *ids;
    const struct ocp_strdict *dict;
    int dict_encoded; /* 1 when the chunk has a dictionary page */
};

/* Decodes rows [row_offset, row_offset + nrows) of column col in row group
 * rg; nrows < 0 means "to the end of the row group".  Pages wholly before
 * the range are skipped without decompression when the column is flat.
 * Every buffer comes from arena.  The dictionary's serial is fresh
 * (ocp_strdict_next_serial).  Corrupt data gives OCP_ERR_DATA naming file,
 * row group and column; an encoding or codec we cannot read
 * OCP_ERR_UNSUPPORTED. */
int pq_column_read(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                   struct ocp_arena *arena, struct pq_colvalues *out, struct ocp_error *err);

/* Reads the MAP column whose key (or value) leaf is col as one label text
 * per row: out->ids[r] is OCP_NULL_ID for a NULL map, else an id into
 * out->dict whose text is a JSON object ("{}" for an empty map; keys in
 * file order; string values quoted, numbers and booleans bare, NULL values
 * as null; entries with a NULL key dropped).  A column that is not a MAP
 * of scalars gives OCP_ERR_UNSUPPORTED naming it. */
int pq_map_read_json(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                     struct ocp_arena *arena, struct ocp_strcol *out, struct ocp_error *err);

/* ------------------------------------------------------------------ */
/* Value conversions                                                   */
/* ------------------------------------------------------------------ */

/* INT96 (8 bytes nanoseconds of day, 4 bytes Julian day, little endian)
 * to microseconds since 1970-01-01 UTC, rounding toward negative infinity.
 * Values outside the int64 microsecond range saturate to INT64_MIN + 1 /
 * INT64_MAX and return 1; 0 otherwise. */
int pq_int96_to_us(const uint8_t v[12], int64_t *us);

/* An INT64 timestamp of the given unit to microseconds (nanoseconds round
 * toward negative infinity); saturates like pq_int96_to_us, returning 1. */
int pq_timestamp_to_us(int64_t v, enum pq_time_unit unit, int64_t *us);

/* IEEE half precision bits (as stored, little endian) to double. */
double pq_float16_to_double(uint16_t h);

/* A big-endian two's complement unscaled DECIMAL of len bytes to double,
 * divided by 10^scale. */
double pq_decimal_to_double(const uint8_t *p, size_t len, int scale);

/* ------------------------------------------------------------------ */
/* The line-item tables (the job's input adapter)                      */
/* ------------------------------------------------------------------ */

/* Lists every *.parquet file under dir, recursively (hive key=value
 * folders allowed; names starting with '.' or '_', such as _SUCCESS, and
 * .crc files are ignored), sorted by path.  dir may also be one .parquet
 * file.  Links are followed.  A missing dir gives OCP_ERR_NOINPUT ("no
 * such table directory").  Any entry that cannot be followed (dangling
 * link, link loop, no permission, vanished mount) and any *.parquet entry
 * that is not a regular file or folder (FIFO, device, socket) is an error
 * naming it, with the status of pq_errno_status.  Free with
 * pq_dataset_free. */
int pq_dataset_list(const char *dir, char ***paths, size_t *count, struct ocp_error *err);

/* The status for an input that cannot be opened with errno e:
 * OCP_ERR_NOINPUT (66) when it is absent or not ours to read (ENOENT,
 * ENOTDIR, EACCES, EPERM, ELOOP, ENAMETOOLONG), OCP_ERR_IOERR (74) for
 * everything else (EIO, ESTALE, ENXIO, ...), which is the storage failing
 * rather than the input being wrong. */
int pq_errno_status(int e);

/* Frees a list from pq_dataset_list; NULL is allowed. */
void pq_dataset_free(char **paths, size_t count);

/* Checks that the file has every required column of ocp_table_spec(table)
 * with a usable type, and that present optional columns are usable too;
 * otherwise OCP_ERR_DATA naming file and column. */
int pq_table_check(struct pq_file *f, enum ocp_table table, struct ocp_error *err);

/* Min and max of interval_start in row group rg as microseconds, from the
 * chunk statistics (for pruning by day).  Sets *known = 0 and returns
 * OCP_OK when there are no usable statistics.  Bounds taken from text
 * timestamps are widened by a day on each side, since text order only
 * guarantees the date prefix. */
int pq_table_time_range(struct pq_file *f, int rg, int64_t *min_us, int64_t *max_us, int *known,
                        struct ocp_error *err);

/* Decodes rows [row_offset, row_offset + nrows) of row group rg into out,
 * one column per column of the table's schema: TIME from any timestamp
 * kind (INT64 milli/micro/nano, INT96, DATE, or text parsed once per
 * distinct string), NUMBER from DOUBLE/FLOAT/INT32/INT64/DECIMAL as double
 * (NULL as NaN), STRING as dictionary ids, LABELS from text or
 * MAP<string,string> (as JSON text), dictionary-coded.  A string column's
 * dictionary lasts from call to call on one file: the same serial, grown
 * by appending, so a string keeps its id across row groups and consumers
 * map each distinct string once per file (a call made while another
 * thread reads the file gets dictionaries of its own, fresh serials).
 * Column names match exactly, then ignoring ASCII case; optional columns
 * the file lacks get present = 0.  Everything is allocated from arena
 * except those dictionaries, which stay valid until the next
 * pq_table_read on the file or pq_file_close. */
int pq_table_read(struct pq_file *f, enum ocp_table table, int rg, int64_t row_offset,
                  int64_t nrows, struct ocp_arena *arena, struct ocp_batch *out,
                  struct ocp_error *err);

#ifdef __cplusplus
}
#endif
#endif
