/*
 * pq_write_internal.h - pieces of the Parquet writer shared by its source
 * files: the Thrift compact protocol encoder (pq_thrift_write.c), and the
 * leaf column state that buffers one column chunk (pq_write_column.c).
 */
#ifndef OCPAGG_PQ_WRITE_INTERNAL_H
#define OCPAGG_PQ_WRITE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ocpagg/error.h"
#include "ocpagg/pq_writer.h"
#include "pq_encoding.h"
#include "pq_format.h"

/* ---- Thrift compact protocol encoder -------------------------------- */

/* Compact protocol type ids. */
enum pq_ttype {
    PQ_TT_BOOL_TRUE = 1,
    PQ_TT_BOOL_FALSE = 2,
    PQ_TT_BYTE = 3,
    PQ_TT_I16 = 4,
    PQ_TT_I32 = 5,
    PQ_TT_I64 = 6,
    PQ_TT_DOUBLE = 7,
    PQ_TT_BINARY = 8,
    PQ_TT_LIST = 9,
    PQ_TT_SET = 10,
    PQ_TT_MAP = 11,
    PQ_TT_STRUCT = 12
};

#define PQ_TW_MAX_DEPTH 16

/* Appends compact-protocol bytes to a pq_buf.  Errors are sticky: the
 * first failure is kept in status and later calls do nothing, so a whole
 * structure is written and checked once at the end. */
struct pq_tw {
    struct pq_buf *out;
    int16_t last_fid[PQ_TW_MAX_DEPTH];
    int depth;
    int status;
};

void pq_tw_init(struct pq_tw *t, struct pq_buf *out);
/* Opens a struct without a field header (top level or list element). */
void pq_tw_begin(struct pq_tw *t);
/* Writes the stop byte and closes the innermost struct. */
void pq_tw_end(struct pq_tw *t);
void pq_tw_field_i32(struct pq_tw *t, int16_t fid, int32_t v);
void pq_tw_field_i64(struct pq_tw *t, int16_t fid, int64_t v);
void pq_tw_field_bool(struct pq_tw *t, int16_t fid, int v);
void pq_tw_field_binary(struct pq_tw *t, int16_t fid, const void *p, size_t n);
void pq_tw_field_string(struct pq_tw *t, int16_t fid, const char *s);
/* Field header of a struct field, then opens it (close with pq_tw_end). */
void pq_tw_field_struct(struct pq_tw *t, int16_t fid);
/* Field header of a list field with its element type and count. */
void pq_tw_field_list(struct pq_tw *t, int16_t fid, enum pq_ttype elem, size_t count);
/* List header without a field (for lists assembled piecewise). */
void pq_tw_list_header(struct pq_tw *t, enum pq_ttype elem, size_t count);
/* List elements. */
void pq_tw_i32(struct pq_tw *t, int32_t v);
void pq_tw_binary(struct pq_tw *t, const void *p, size_t n);
/* Appends raw, already encoded bytes (e.g. list elements built earlier). */
void pq_tw_raw(struct pq_tw *t, const void *p, size_t n);

/* ---- Statistics ----------------------------------------------------- */

/* Min/max as PLAIN value bytes (no length prefix for byte arrays). */
struct pq_wstats {
    int64_t null_count;
    int has_minmax;
    struct pq_buf min;
    struct pq_buf max;
};

/* Writes a Statistics struct as field fid of the current struct. */
void pq_tw_field_stats(struct pq_tw *t, int16_t fid, const struct pq_wstats *s);

/* ---- One leaf column of a row group -------------------------------- */

struct pq_wdict_entry {
    uint64_t hash;
    uint32_t offset; /* of the value bytes in dict_plain */
    uint32_t len;
};

/* The state of one leaf column: the chunk being built in memory. */
struct pq_leaf {
    /* fixed by the schema */
    char *path[3]; /* path in schema; npath elements */
    int npath;
    char *dotted; /* "a.b.c" for error messages */
    enum pq_type ptype;
    int max_def, max_rep;
    int use_dict;      /* dictionary allowed for this column */
    size_t dict_max;   /* dictionary size limit (PLAIN bytes) */
    int page_stats_on; /* statistics in page headers */

    /* the current page */
    uint32_t *def, *rep; /* levels of the page's entries */
    size_t nlevels, levels_cap;
    size_t page_rows;    /* rows begun in this page */
    size_t page_nulls;   /* entries with def < max_def */
    struct pq_buf plain; /* PLAIN values (also booleans bit-packed) */
    uint32_t *idx;       /* dictionary indices */
    size_t nidx, idx_cap;
    size_t bool_count; /* booleans packed into plain */
    struct pq_wstats page_stats;

    /* the dictionary of the chunk */
    int dict_mode;            /* 1 while values go to the dictionary */
    int dict_pages;           /* data pages written with the dictionary */
    struct pq_buf dict_plain; /* PLAIN encoded dictionary page body */
    struct pq_wdict_entry *entries;
    uint32_t nentries, entries_cap;
    uint32_t *slots; /* open addressing: entry index + 1 */
    uint32_t nslots;
    /* cache "input dictionary id -> our index" for dictionary-coded input */
    const struct ocp_strdict *cache_dict;
    uint64_t cache_serial;
    uint32_t *cache;
    uint32_t cache_len;

    /* the chunk */
    struct pq_buf pages;        /* serialized data pages (headers + bodies) */
    int64_t num_values;         /* level entries */
    int64_t uncompressed_bytes; /* of data pages, headers included */
    int used_plain;             /* some data page is PLAIN */
    struct pq_wstats stats;

    /* scratch, reused between pages */
    struct pq_buf body, comp, header, levels;
};

struct pq_write_ctx {
    const struct pq_write_options *opt;
    const char *file; /* for error messages */
    int64_t row_group;
};

int pq_leaf_init(struct pq_leaf *l, const char *const *path, int npath, enum pq_type ptype,
                 int max_def, int max_rep, int use_dict, size_t dict_max, int page_stats_on);
void pq_leaf_release(struct pq_leaf *l);

/* Appending entries: a NULL (or empty map) at definition level def, a
 * value at the leaf's maximum level; rep is the repetition level.  Return
 * OCP_OK, OCP_ERR_DATA (a bad id or length) or OCP_ERR_OSERR. */
int pq_leaf_put_null(struct pq_leaf *l, uint32_t def, uint32_t rep);
int pq_leaf_put_fixed(struct pq_leaf *l, const void *v, uint32_t rep);
int pq_leaf_put_bool(struct pq_leaf *l, int v, uint32_t rep);
int pq_leaf_put_bytes(struct pq_leaf *l, const void *p, size_t len, uint32_t rep);
int pq_leaf_put_dict_id(struct pq_leaf *l, const struct ocp_strdict *d, uint32_t id, uint32_t rep);
/* Counts a new row for the page; call before its first entry. */
static inline void pq_leaf_row(struct pq_leaf *l)
{
    l->page_rows++;
}

/* Ends the page when it has grown past the page size. */
int pq_leaf_maybe_flush(struct pq_leaf *l, const struct pq_write_ctx *c, struct ocp_error *err);
/* Ends the current page if it has entries. */
int pq_leaf_flush_page(struct pq_leaf *l, const struct pq_write_ctx *c, struct ocp_error *err);
/* Builds the dictionary page (when one is needed) into out, replacing its
 * contents; *dict_bytes_uncompressed gets its uncompressed size with
 * header.  out is left empty when the chunk has no dictionary. */
int pq_leaf_dict_page(struct pq_leaf *l, const struct pq_write_ctx *c, struct pq_buf *out,
                      int64_t *uncompressed, struct ocp_error *err);
/* Folds the dictionary's values into the chunk statistics (byte arrays
 * skip per-value comparisons while dictionary encoded); call once before
 * writing the chunk's metadata. */
int pq_leaf_finish_stats(struct pq_leaf *l);
/* Forgets the chunk (pages, dictionary, statistics) for the next row
 * group. */
void pq_leaf_reset_chunk(struct pq_leaf *l);

/* ---- metadata (pq_write_meta.c) ----------------------------------- */

/* A schema column as the writer keeps it. */
struct pq_wcol {
    char *name;
    enum pq_wtype type;
    int optional, utc, json;
    size_t leaf; /* its first leaf; a MAP has two (key, value) */
};

/* Appends one ColumnChunk struct (a list element) for leaf l. */
void pq_meta_column_chunk(struct pq_tw *t, const struct pq_leaf *l, enum pq_write_codec codec,
                          int64_t chunk_offset, int64_t dict_offset, int64_t data_offset,
                          int64_t uncompressed, int64_t compressed);

/* Serializes the FileMetaData into out; row_groups holds nrow_groups
 * RowGroup structs already serialized back to back. */
int pq_meta_footer(struct pq_buf *out, const struct pq_wcol *cols, size_t ncols, size_t nleaves,
                   int version, int64_t num_rows, size_t nrow_groups,
                   const struct pq_buf *row_groups, const struct pq_kv *kv, size_t nkv);

/* ---- the writer (pq_write.c, pq_write_batch.c) --------------------- */

struct pq_writer {
    char *path;
    char *tmp_path;
    FILE *f;
    int64_t offset;              /* bytes written to f */
    struct pq_write_options opt; /* kv points at kv below */
    struct pq_kv *kv;            /* copies */
    size_t ncols;
    struct pq_wcol *cols;
    size_t nleaves;
    struct pq_leaf *leaves;
    uint64_t rg_rows; /* rows in the open row group */
    uint64_t total_rows;
    size_t nrow_groups;
    struct pq_buf rg_meta; /* serialized RowGroup structs */
    struct pq_buf scratch;
    int failed;
};

/* Appends rows [start, start + n) of every column to the open row group. */
int pq_write_rows(struct pq_writer *w, const struct pq_column_data *cols, size_t start, size_t n,
                  struct ocp_error *err);

#endif
