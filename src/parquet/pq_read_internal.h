/*
 * pq_read_internal.h - pieces of the Parquet reader shared by its source
 * files: the decoded footer (struct pq_file), page headers, and the
 * column chunk decoder the table adapter and the MAP assembler call.
 */
#ifndef OCPAGG_PQ_READ_INTERNAL_H
#define OCPAGG_PQ_READ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ocpagg/arena.h"
#include "ocpagg/error.h"
#include "ocpagg/parquet.h"
#include "pq_encoding.h"
#include "pq_format.h"

struct pq_strcache;

/* Deepest schema tree and thrift nesting we accept. */
#define PQ_MAX_SCHEMA_DEPTH 64
/* Largest page (compressed or not) we accept. */
#define PQ_MAX_PAGE_BYTES ((int64_t)INT32_MAX)

/* Statistics as stored: byte views into the footer. */
struct pq_rawstats {
    const uint8_t *min, *max, *min_value, *max_value;
    uint32_t min_len, max_len, min_value_len, max_value_len;
    int has_min, has_max, has_min_value, has_max_value;
    int has_null_count, has_distinct_count;
    int64_t null_count, distinct_count;
};

/* One column chunk of a row group as the footer describes it. */
struct pq_chunkmeta {
    int has_meta;
    int has_file_path; /* data in another file: unsupported */
    int encrypted;
    enum pq_type type;
    uint32_t encodings;
    enum pq_codec codec;
    int64_t num_values;
    int64_t total_uncompressed;
    int64_t total_compressed;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 when absent */
    int64_t index_page_offset;      /* -1 when absent */
    int has_stats;
    struct pq_rawstats stats;
};

struct pq_rowgroup {
    int64_t num_rows;
    int64_t total_byte_size;
    int ncols;
    struct pq_chunkmeta *cols;
};

/* A SchemaElement as stored. */
struct pq_schema_el {
    const char *name;
    int has_type;
    enum pq_type type;
    int type_length;
    int has_repetition;
    enum pq_repetition repetition;
    int num_children; /* -1 when absent */
    enum pq_converted_type converted;
    int scale, precision;
    enum pq_logical_kind logical;
    enum pq_time_unit unit;
    int unit_state; /* TIMESTAMP / TIME: PQ_UNIT_STATE_* below */
    int utc;
    int lt_scale, lt_precision;
    int int_bits, int_signed;
};

/* What a TimestampType / TimeType said of its unit (a required field). */
enum { PQ_UNIT_STATE_ABSENT = 0, PQ_UNIT_STATE_KNOWN, PQ_UNIT_STATE_UNKNOWN };

struct pq_readcache;

struct pq_file {
    char *path;
    int fd;
    int64_t file_size;
    struct pq_open_options opt;
    struct ocp_arena meta; /* every metadata allocation below */
    uint8_t *footer;
    size_t footer_len;
    int version;
    int64_t num_rows;
    const char *created_by;
    size_t nkv;
    const char **kv_keys, **kv_values;
    int nschema;
    struct pq_schema_el *schema;
    int ncols;
    struct pq_colinfo *cols;
    int nrg;
    struct pq_rowgroup *rgs;
    int has_encryption;
    /* State pq_table_read keeps between calls (pq_cache.c): stable string
     * ids per column, reused scratch, a MAP column's row group.  Created
     * with the file, taken under a lock, so a struct pq_file still serves
     * several threads (a thread that finds it taken reads without it). */
    struct pq_readcache *cache;
};

/* ---- footer (pq_meta.c) -------------------------------------------- */

/* Decodes a FileMetaData thrift struct into f (schema elements, row
 * groups, key/value metadata); strings are copied into f->meta. */
int pq_meta_decode(struct pq_file *f, const uint8_t *p, size_t len, struct ocp_error *err);

/* Builds f->cols from f->schema: paths, levels, MAP detection. */
int pq_schema_build(struct pq_file *f, struct ocp_error *err);

/* ---- page headers (pq_meta.c) -------------------------------------- */

struct pq_page_header {
    enum pq_page_type type;
    int32_t uncompressed_size;
    int32_t compressed_size;
    int has_crc;
    uint32_t crc;
    int has_data, has_data_v2, has_dict;
    /* data page v1 / v2 / dictionary (num_values shared) */
    int32_t num_values;
    int32_t num_nulls; /* v2 */
    int32_t num_rows;  /* v2 */
    int encoding;
    int def_encoding, rep_encoding; /* v1 */
    int32_t def_len, rep_len;       /* v2 */
    int is_compressed;              /* v2, default 1 */
    size_t header_len;              /* bytes the header took */
};

/* Decodes a PageHeader from p[0..len).  Returns OCP_OK, OCP_ERR_DATA for
 * corrupt headers, or 1 when len is too short to hold the whole header
 * (the caller may read more and retry). */
int pq_page_header_decode(const uint8_t *p, size_t len, struct pq_page_header *h,
                          struct ocp_error *err);

/* ---- column chunks (pq_column.c) ----------------------------------- */

/* Adds file / row group / column context to err and returns code. */
int pq_fail(const struct pq_file *f, int rg, int col, struct ocp_error *err, int code,
            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Reads all bytes [off, off + len) of the file into dst. */
int pq_pread_full(const struct pq_file *f, uint8_t *dst, size_t len, int64_t off,
                  struct ocp_error *err);

/* ---- scratch buffers (pq_column.c) -------------------------------- */

/* malloc'd buffers reused between pages and between the columns of one
 * read, so decoding allocates per chunk at most, never per value.
 * Caller storage: zero it, free it with pq_scratch_release. */
struct pq_scratch {
    uint8_t *raw;
    size_t raw_cap; /* chunk or page bytes as stored */
    uint8_t *page;
    size_t page_cap; /* a decompressed page */
    uint32_t *u32;
    size_t u32_cap; /* levels, dictionary indices */
    uint16_t *u16;
    size_t u16_cap; /* BIT_PACKED levels */
    int64_t *i64;
    size_t i64_cap; /* DELTA_BINARY_PACKED values */
    struct pq_bytes *views;
    size_t views_cap; /* byte-array values */
    uint8_t *tmp;
    size_t tmp_cap; /* slots of a clipped page */
    int16_t *tdef;
    size_t tdef_cap; /* its levels */
    int16_t *trep;
    size_t trep_cap;
};

void pq_scratch_release(struct pq_scratch *s);

/* Makes *buf hold at least need bytes (contents not kept). */
int pq_scratch_grow(void **buf, size_t *cap, size_t need);

/* Decodes rows [row_offset, row_offset + nrows) of one leaf column
 * (nrows < 0: to the end of the row group) with the given scratch. */
int pq_chunk_read(const struct pq_file *f, int rg, int col, int64_t row_offset, int64_t nrows,
                  struct ocp_arena *arena, struct pq_scratch *s, struct pq_colvalues *out,
                  struct ocp_error *err);

/* pq_chunk_read with a BYTE_ARRAY column's strings kept in sc (NULL: as
 * pq_chunk_read): ids are the file's lasting ids of the column, and
 * out->dict is a view of sc's dictionary (serial sc's) that stays valid
 * until sc is reset (pq_readcache_str) or freed. */
int pq_chunk_read_cached(const struct pq_file *f, int rg, int col, int64_t row_offset,
                         int64_t nrows, struct ocp_arena *arena, struct pq_scratch *s,
                         struct pq_strcache *sc, struct pq_colvalues *out, struct ocp_error *err);

/* ---- pages (pq_page.c) -------------------------------------------- */

struct pq_dictbuild;
struct pq_strcache;

/* The state of decoding one column chunk. */
struct pq_cr {
    const struct pq_file *f;
    int rg, col;
    const struct pq_colinfo *ci;
    const struct pq_chunkmeta *cm;
    struct ocp_arena *arena;
    struct pq_scratch *s;
    struct ocp_error *err;
    size_t slot; /* bytes per value slot (4 for string ids) */
    int have_dict;
    uint32_t dict_n;          /* dictionary entries */
    const uint8_t *dict_vals; /* fixed-width types: dict_n slots */
    struct pq_dictbuild *db;  /* BYTE_ARRAY: the chunk's strings */
    struct pq_strcache *sc;   /* non-NULL: db is the file's lasting
                                 dictionary of this column (pq_cache.c);
                                 dictionary pages are mapped into it */
    const uint32_t *remap;    /* with sc: dictionary page index -> id */
    uint64_t null_fill;       /* an 8-byte NULL entry's bytes: a DOUBLE's
                                 quiet NaN (the table adapter's NULL, so it
                                 need not pass over the entries again),
                                 else zero */
    int direct;               /* PLAIN pages may be decompressed straight
                                 into place (no NULLs in the chunk, and
                                 PQ_VALS_PAD bytes before the values) */
    int64_t entries_seen;     /* level entries decoded before this page */
};

/* Bytes kept before a flat chunk's values buffer, so a PLAIN page can be
 * decompressed in place with its levels in front (pq_page.c). */
#define PQ_VALS_PAD 64

/* Where a data page's entries go: nv slots, levels. */
struct pq_dest {
    uint8_t *vals;
    int16_t *def; /* NULL when max_def == 0 */
    int16_t *rep; /* NULL when max_rep == 0 */
};

/* Bytes per slot of a leaf's values. */
size_t pq_slot_size(const struct pq_colinfo *c);

/* Records an error naming the file, row group and column of c. */
int pq_cr_fail(struct pq_cr *c, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Adds file / row group / column to an error a helper described; returns
 * rc. */
int pq_cr_ctx(struct pq_cr *c, int rc);

/* Decodes the non-NULL values skip .. skip + m of a page's values section
 * p[0..len) in encoding enc into dst (m slots). */
int pq_values_decode(struct pq_cr *c, int enc, const uint8_t *p, size_t len, size_t skip, size_t m,
                     uint8_t *dst);

/* Fixed-width (not BOOLEAN, not BYTE_ARRAY) PLAIN values skip .. skip + m
 * of p[0..len) spread over the nv entries of dst whose level in def is
 * maxd (m of them), NULL entries elsewhere (c->null_fill for 8-byte
 * values, else zero bytes): pq_values_decode and pq_values_expand in one
 * pass.  Same bounds and error as PLAIN decoding. */
int pq_values_plain_spread(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                           const int16_t *def, int16_t maxd, size_t nv, uint8_t *dst);

/* A dictionary page of string ids with NULLs (m values for nv entries):
 * decoded, spread over the entries whose level in def is maxd and mapped
 * to the lasting ids in one pass; pq_values_decode then
 * pq_values_expand, with the same checks and errors. */
int pq_values_dict_ids_spread(struct pq_cr *c, const uint8_t *p, size_t len, size_t skip, size_t m,
                              const int16_t *def, int16_t maxd, size_t nv, uint8_t *dst);

/* Spreads the m dense slots (w bytes each; ids: string ids) at the front
 * of vals over the nv entries whose definition level is maxd; the other
 * entries get fill if 8 bytes wide, else zero bytes (OCP_NULL_ID for
 * ids). */
void pq_values_expand(uint8_t *vals, size_t w, int ids, uint64_t fill, const int16_t *def,
                      int16_t maxd, size_t nv, size_t m);

/* Decodes a dictionary page whose stored bytes are body[0..compressed). */
int pq_page_dict(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body);

/* Decodes entries w0 .. w1 of a data page (v1 or v2) into d (w0 = 0,
 * w1 = h->num_values for the whole page; flat columns only otherwise);
 * *nulls gets the count of those entries below max_def. */
int pq_page_data(struct pq_cr *c, const struct pq_page_header *h, const uint8_t *body, size_t w0,
                 size_t w1, struct pq_dest *d, int64_t *nulls);

/* The values buffer pq_chunk_read filled, writable: it is arena memory
 * of the caller, which the table adapter converts in place (int64 to
 * microseconds or to double) instead of copying. */
static inline void *pq_values_mut(const struct pq_colvalues *v)
{
    return (void *)(uintptr_t)v->values;
}

/* ---- strings (pq_dict.c) ------------------------------------------- */

/* A growing dictionary of distinct strings, built in an arena. */
struct pq_dictbuild {
    struct ocp_arena *arena;
    uint32_t count, cap;
    uint64_t *offsets; /* cap + 1 */
    char *data;
    uint64_t data_len, data_cap;
    uint32_t *slots; /* open addressing: id + 1, 0 empty */
    uint32_t nslots; /* power of two, 0 before the first lookup */
    uint32_t hashed; /* entries [0, hashed) are in slots */
};

int pq_dictbuild_init(struct pq_dictbuild *b, struct ocp_arena *arena, uint32_t cap_hint,
                      uint64_t bytes_hint);
/* Appends s without looking for duplicates; *id gets its id. */
int pq_dictbuild_push(struct pq_dictbuild *b, const void *s, size_t len, uint32_t *id);
/* Returns the id of s, appending it when new. */
int pq_dictbuild_intern(struct pq_dictbuild *b, const void *s, size_t len, uint32_t *id);
/* Finishes into a struct ocp_strdict allocated in the arena. */
int pq_dictbuild_finish(struct pq_dictbuild *b, struct ocp_strdict **out);

/* Whether n bytes at a and b are equal, inline: the string caches compare
 * a pod name or so per input row, and a libc memcmp call through the PLT
 * costs more than the compare.  Loads stay within the n bytes (the last
 * word overlaps the one before it). */
static inline int pq_bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    uint64_t u, v;
    uint32_t s, t;
    size_t i;

    if (n >= 8) {
        for (i = 0; i + 8 < n; i += 8) {
            memcpy(&u, x + i, 8);
            memcpy(&v, y + i, 8);
            if (u != v)
                return 0;
        }
        memcpy(&u, x + n - 8, 8);
        memcpy(&v, y + n - 8, 8);
        return u == v;
    }
    if (n >= 4) {
        memcpy(&s, x, 4);
        memcpy(&t, y, 4);
        if (s != t)
            return 0;
        memcpy(&s, x + n - 4, 4);
        memcpy(&t, y + n - 4, 4);
        return s == t;
    }
    for (i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

/* ---- lasting per-file state of pq_table_read (pq_cache.c) --------- */

/* The strings of one BYTE_ARRAY leaf over the calls of pq_table_read on a
 * file: one growing dictionary, so a string keeps its id from row group to
 * row group and the engine maps each distinct string once per file.
 * Dictionary pages are mapped into it entry by entry (c->remap).  Its
 * memory is an arena of its own: old copies of the growing arrays stay, so
 * a view handed out earlier stays valid until the next reset. */
struct pq_strcache {
    struct ocp_arena arena;
    struct pq_dictbuild db;
    uint64_t serial; /* of every view (ocp_strdict) handed out */
    uint32_t last;   /* id of the last string found */
    uint32_t *next;  /* malloc'd: id -> the id that followed it
                        last time (a guess for the next value) */
    uint32_t next_cap;
    uint32_t utf8_ok; /* entries [0, utf8_ok) were checked */
    uint32_t *remap;  /* malloc'd: a dictionary page's ids */
    uint32_t remap_cap;
};

/* A MAP column's label texts over the calls (stable ids like above), and
 * the ids of the last row group decoded whole when a call wanted part of
 * it, so a row group split into chunks is decoded once. */
struct pq_mapcache {
    struct ocp_arena arena;
    struct pq_dictbuild sigs, texts;
    uint64_t serial;
    uint32_t utf8_ok;
    struct pq_strcache *keys, *vals;
    uint64_t key_serial, val_serial; /* of keys and vals when sigs began */
    int rg;                          /* row group of rg_ids, -1 none */
    int64_t rg_rows;
    uint32_t *rg_ids; /* malloc'd */
};

struct pq_readcache;

/* Creates / frees a file's cache (pq_file_open / pq_file_close). */
int pq_readcache_create(struct pq_file *f);
void pq_readcache_free(struct pq_readcache *c);

/* Takes the file's cache for one pq_table_read: NULL when another thread
 * holds it (the call then reads without it).  Give it back with
 * pq_readcache_put. */
struct pq_readcache *pq_readcache_take(const struct pq_file *f);
void pq_readcache_put(struct pq_readcache *c);

/* The cache's scratch, kept between calls. */
struct pq_scratch *pq_readcache_scratch(struct pq_readcache *c);

/* The string cache of leaf col (created on first use), prepared for one
 * more call: reset when it holds too much.  NULL when out of memory. */
struct pq_strcache *pq_readcache_str(struct pq_readcache *c, int col);

/* The MAP cache of the MAP whose key leaf is key_col; NULL when out of
 * memory. */
struct pq_mapcache *pq_readcache_map(struct pq_readcache *c, int key_col);

/* Interns s into sc (trying the id after the last one found first). */
int pq_strcache_intern(struct pq_strcache *sc, const void *s, size_t len, uint32_t *id);

/* A view of sc's dictionary as it is now, allocated in arena. */
struct ocp_strdict *pq_strcache_view(struct pq_strcache *sc, struct ocp_arena *arena);

/* pq_map_read_json through a MAP cache (NULL: without). */
int pq_map_read_json_cached(const struct pq_file *f, int rg, int col, int64_t row_offset,
                            int64_t nrows, struct ocp_arena *arena, struct pq_scratch *s,
                            struct pq_mapcache *mc, struct ocp_strcol *out, struct ocp_error *err);

/* The status for an encoding id a page uses that we do not decode: an
 * encoding parquet.thrift defines (GROUP_VAR_INT, BIT_PACKED values, ...)
 * is valid input we do not read, OCP_ERR_UNSUPPORTED; any other id is a
 * damaged header, OCP_ERR_DATA. */
static inline int pq_encoding_status(int enc)
{
    return enc >= 0 && enc <= PQ_ENC_BYTE_STREAM_SPLIT ? OCP_ERR_UNSUPPORTED : OCP_ERR_DATA;
}

#endif
