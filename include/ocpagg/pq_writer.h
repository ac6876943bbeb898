/*
 * pq_writer.h - writing Parquet files: flat schemas of BOOLEAN, INT32,
 * INT64, DOUBLE, STRING, TIMESTAMP, DATE columns plus MAP<string,string>
 * columns in the standard three-level shape.
 *
 * The caller describes the schema once and then hands the writer
 * column-oriented batches of rows; the writer cuts them into pages and row
 * groups by the configured sizes.  Strings may arrive as NUL-terminated
 * pointers, as Arrow-style offsets into one buffer, or dictionary-coded
 * (ids into a struct ocp_strdict, as in struct ocp_batch): a dictionary-coded
 * column is mapped to the file's dictionary once per distinct id, not
 * hashed again per row.
 *
 * The file is written to "<path>.tmp.<pid>" and renamed to <path> only when
 * pq_writer_close succeeds; a failure or pq_writer_abort removes the
 * temporary file, so no partial file is ever left under either name.
 *
 * Ownership: struct pq_writer is a heap object (pq_writer_create, released
 * by pq_writer_close or pq_writer_abort).  The schema and option strings are
 * copied at create; batch data is only read during the call.
 * The writer keeps no global state; one writer must not be used by two
 * threads at once, distinct writers may.
 */
#ifndef OCPAGG_PQ_WRITER_H
#define OCPAGG_PQ_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Column types.  TIMESTAMP values are int64 counts of the column's unit
 * since 1970-01-01; DATE values are int32 days since 1970-01-01. */
enum pq_wtype {
    PQ_WT_BOOLEAN = 1,
    PQ_WT_INT32,
    PQ_WT_INT64,
    PQ_WT_DOUBLE,
    PQ_WT_STRING,           /* BYTE_ARRAY annotated STRING (UTF8) */
    PQ_WT_TIMESTAMP_MILLIS, /* INT64 TIMESTAMP(MILLIS) */
    PQ_WT_TIMESTAMP_MICROS, /* INT64 TIMESTAMP(MICROS) */
    PQ_WT_DATE,             /* INT32 DATE */
    PQ_WT_MAP               /* MAP<string, string>, values may be NULL */
};

/* Whether a column is dictionary encoded.  AUTO means yes for strings (and
 * map keys and values), no for the other types; booleans are always
 * PLAIN. */
enum pq_dict_mode { PQ_DICT_AUTO = 0, PQ_DICT_ON, PQ_DICT_OFF };

/* Compression codecs the writer offers (values are parquet.thrift's). */
enum pq_write_codec {
    PQ_WRITE_UNCOMPRESSED = 0,
    PQ_WRITE_SNAPPY = 1,
    PQ_WRITE_GZIP = 2,
    PQ_WRITE_ZSTD = 6
};

/* One column of the schema. */
struct pq_column_desc {
    const char *name;
    enum pq_wtype type;
    int optional; /* 1: NULLs allowed; 0: REQUIRED */
    int utc;      /* TIMESTAMP: isAdjustedToUTC */
    int json;     /* STRING: annotate as JSON instead of STRING */
    enum pq_dict_mode dict;
};

struct pq_schema_desc {
    size_t ncols;
    const struct pq_column_desc *cols;
};

/* A key/value pair for the file's key_value_metadata. */
struct pq_kv {
    const char *key;
    const char *value;
};

struct pq_write_options {
    enum pq_write_codec codec;
    int codec_level;         /* 0: the codec's default */
    int page_version;        /* 1 (DATA_PAGE) or 2 (DATA_PAGE_V2) */
    uint64_t row_group_rows; /* rows per row group */
    size_t page_bytes;       /* target uncompressed size of a data page */
    size_t dict_max_bytes;   /* a column chunk's dictionary grows to at most
                                this many PLAIN bytes, then falls back to
                                PLAIN for the rest of the chunk */
    int dictionary;          /* 0: no dictionary encoding at all */
    int page_statistics;     /* 1: statistics in data page headers too */
    int page_crc;            /* 1: CRC32 of every page in its header */
    const struct pq_kv *kv;  /* key_value_metadata, copied at create */
    size_t nkv;
};

/* Fills options with the defaults: uncompressed, v1 pages, 1 Mi rows per
 * row group, 1 MiB pages, 1 MiB dictionaries, dictionaries on, chunk
 * statistics only, no CRC, no key/value metadata. */
void pq_write_options_init(struct pq_write_options *opt);

/* Parses a codec name ("none", "uncompressed", "snappy", "gzip", "zstd",
 * case-insensitive); returns OCP_OK or OCP_ERR_CONFIG. */
int pq_write_codec_parse(const char *name, enum pq_write_codec *out, struct ocp_error *err);

/* Strings in one of three forms (exactly one set):
 *   ids + dict:      dictionary-coded, OCP_NULL_ID is NULL;
 *   offsets + data:  value i is data[offsets[i], offsets[i+1]);
 *   cstr:            NUL-terminated, a NULL pointer is NULL.
 * Indices are rows for a STRING column and entries for map keys/values. */
struct pq_strings {
    const uint32_t *ids;
    const struct ocp_strdict *dict;
    const uint64_t *offsets;
    const char *data;
    const char *const *cstr;
};

/* The values of one column for nrows rows, row 0 first.  A row is NULL
 * when valid is set and valid[row] == 0, or by the sentinels below. */
struct pq_column_data {
    const uint8_t *valid;  /* optional, one byte per row */
    int sentinel_nulls;    /* 1: NaN doubles and INT64_MIN (OCP_TS_NULL)
                              int64 values are NULL */
    const uint8_t *b;      /* BOOLEAN, 0 or 1 */
    const int32_t *i32;    /* INT32, DATE */
    const int64_t *i64;    /* INT64, TIMESTAMP_* */
    const double *f64;     /* DOUBLE */
    struct pq_strings str; /* STRING */
    /* MAP: row r holds entries map_offsets[r] .. map_offsets[r+1]-1 of
     * keys/values (a NULL row's range is ignored; an empty range is an
     * empty map).  Keys must not be NULL; values may be. */
    const uint64_t *map_offsets;
    struct pq_strings keys;
    struct pq_strings values;
};

struct pq_writer;

/* Starts writing a file at path (through "<path>.tmp.<pid>").  Column
 * names must be unique and non-empty.  opt may be NULL for the defaults.
 * Returns OCP_OK, OCP_ERR_CONFIG (bad schema or options), OCP_ERR_CANTCREAT
 * or OCP_ERR_OSERR. */
int pq_writer_create(const char *path, const struct pq_schema_desc *schema,
                     const struct pq_write_options *opt, struct pq_writer **out,
                     struct ocp_error *err);

/* Appends nrows rows; cols has one entry per schema column.  A NULL in a
 * REQUIRED column is OCP_ERR_DATA.  After any failure the writer only
 * accepts pq_writer_abort (pq_writer_close also cleans up and fails). */
int pq_writer_write_batch(struct pq_writer *w, const struct pq_column_data *cols, size_t nrows,
                          struct ocp_error *err);

/* Ends the current row group early (no-op when it is empty), e.g. to keep
 * one day per row group. */
int pq_writer_flush_row_group(struct pq_writer *w, struct ocp_error *err);

/* Rows written so far. */
uint64_t pq_writer_rows(const struct pq_writer *w);

/* Writes the footer, renames the file into place and frees the writer.
 * On failure the temporary file is removed.  The writer is freed in every
 * case. */
int pq_writer_close(struct pq_writer *w, struct ocp_error *err);

/* Frees the writer and removes the temporary file.  NULL is a no-op. */
void pq_writer_abort(struct pq_writer *w);

#ifdef __cplusplus
}
#endif
#endif
