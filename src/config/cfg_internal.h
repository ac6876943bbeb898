/*
 * cfg_internal.h - what the config sources share: the table of known keys,
 * the setters that turn one value's text into struct cfg fields, and a
 * growable byte buffer.
 *
 * Both the YAML loader and cfg_set go through these setters, so a value
 * means the same whether it came from the file or the command line.
 */
#ifndef OCPAGG_CFG_INTERNAL_H
#define OCPAGG_CFG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/config.h"

/* Every key the file may hold, sections included. */
enum cfg_key {
    CK_NONE = -1,
    CK_CLUSTER_ID = 0,
    CK_CLUSTER_ALIAS,
    CK_SOURCE_UUID,
    CK_REPORT_PERIOD_ID,
    CK_START_DATE,
    CK_END_DATE,
    CK_INPUT,
    CK_INPUT_FORMAT,
    CK_INPUT_PATH,
    CK_INPUT_TABLES,
    CK_TABLE_FIRST, /* one key per enum ocp_table, in that order */
    CK_TABLE_LAST = CK_TABLE_FIRST + OCP_TABLE_COUNT - 1,
    CK_TAG_KEYS,
    CK_COST_CATEGORIES,
    CK_NODE_ROLES,
    CK_THREADS,
    CK_CHUNK_ROWS,
    CK_STRICT,
    CK_OUTPUT,
    CK_OUTPUT_PATH,
    CK_OUTPUT_FORMAT,
    CK_OUTPUT_SUMMARY,
    CK_OUTPUT_PARTITIONED,
    CK_PROGRESS_SECONDS,
    CK_INPUT_OPTIONAL_TABLES,
    CK_INPUT_VERIFY_CRC,
    CK_INPUT_HDF5_DRIVER,
    CK_OUTPUT_SHARED_WRITE,
    CK_WINDOW_ROWS,
    CK_STEAL_CHUNKS,
    /* output.postgres (cfg_pg.c) */
    CK_OUTPUT_POSTGRES,
    CK_PG_CONNINFO,
    CK_PG_SCHEMA,
    CK_PG_TABLE,
    CK_PG_CREATE_PARTITIONS,
    CK_PG_LOCK_TIMEOUT,
    CK_PG_REPORT_PERIOD_ID,
    /* OCP on AWS (cfg_aws.c): CK_AWS_TABLE .. CK_AWS_OUTPUT, in order */
    CK_AWS_TABLE,
    CK_AWS,
    CK_AWS_SOURCE_UUID,
    CK_AWS_BILL_ID,
    CK_AWS_MARKUP,
    CK_AWS_TAG_KEYS,
    CK_AWS_DISTRIBUTION,
    CK_AWS_ALIASES,
    CK_AWS_OUTPUT,
    CK_COUNT
};

/* What a key's value looks like in YAML. */
enum cfg_shape {
    CS_SCALAR,  /* one value */
    CS_SECTION, /* a mapping of further keys (input, output, input.tables) */
    CS_LIST,    /* a sequence (enabled_tag_keys, cost_categories) */
    CS_MAP      /* a mapping of free names to values (node_roles) */
};

/* Limits on numeric keys, shared by the setters and cfg_validate
 * (CFG_THREADS_MAX is in config.h: the driver bounds OpenMP's default). */
#define CFG_CHUNK_ROWS_MIN 1024
/* 2^28: the most entries the Parquet reader decodes in one call
 * (pq_column.c MAX_ENTRIES); a larger chunk could never be read. */
#define CFG_CHUNK_ROWS_MAX INT64_C(268435456)
#define CFG_PROGRESS_MAX 86400.0
/* input.optional_tables when the file does not say: [storage_usage]. */
#define CFG_OPTIONAL_TABLES_DEFAULT (1u << OCP_TABLE_STORAGE)

/* Where a value comes from, for messages: the file name (or "command
 * line") and the key path. */
struct cfg_where {
    const char *src;
    const char *path;
};

/* The key named name[0..len) inside parent (CK_NONE for the top level),
 * or CK_NONE when there is none. */
enum cfg_key cfg_key_find(enum cfg_key parent, const char *name, size_t len);

/* The shape of a key. */
enum cfg_shape cfg_key_shape(enum cfg_key key);

/* Writes the dotted path of key ("input.tables.pod_usage") to buf. */
void cfg_key_path(enum cfg_key key, char *buf, size_t size);

/* Sets a scalar key from its text, or a list key from its comma-separated
 * command-line form.  Empty text resets the key to its default. */
int cfg_apply_text(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                   const struct cfg_where *w, struct ocp_error *err);

/* Resets a key (scalar or list) to its default. */
int cfg_reset_key(struct cfg *c, enum cfg_key key, const struct cfg_where *w,
                  struct ocp_error *err);

/* Appends one list item; w->path names the item. */
int cfg_add_tag(struct cfg *c, const char *text, size_t len, const struct cfg_where *w,
                struct ocp_error *err);
/* Marks one table (by its short name, e.g. "node_labels") optional; w->path
 * names the item. */
int cfg_add_optional_table(struct cfg *c, const char *text, size_t len, const struct cfg_where *w,
                           struct ocp_error *err);
/* Drops repeated tag keys, keeping the first of each, in O(n log n); the
 * list setters call it once the whole list is in. */
int cfg_dedupe_tags(struct cfg *c, const struct cfg_where *w, struct ocp_error *err);
int cfg_add_cost_category(struct cfg *c, const char *pattern, size_t plen, const char *id,
                          size_t idlen, const struct cfg_where *pattern_w,
                          const struct cfg_where *id_w, struct ocp_error *err);
int cfg_add_node_role(struct cfg *c, const char *node, size_t nlen, const char *role, size_t rlen,
                      const struct cfg_where *w, struct ocp_error *err);

/* Fills cluster_alias and summary_path from cluster_id and output.path
 * when they are unset. */
int cfg_derive(struct cfg *c, struct ocp_error *err);

/* The default summary path for an output path: the path without its
 * extension plus ".summary.json"; malloc'd, NULL when out of memory. */
char *cfg_default_summary(const char *output_path);

/* Name of an enum value, as the file spells it. */
const char *cfg_input_format_name(enum cfg_input_format f);
const char *cfg_output_format_name(enum cfg_output_format f);

/* A NUL-terminated malloc'd copy of s[0..len), NULL when out of memory. */
char *cfg_strndup(const char *s, size_t len);

/* Records a config error "key 'path': message" for w. */
int cfg_fail(struct ocp_error *err, const struct cfg_where *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* snprintf for key paths: a path cut short in a message is acceptable,
 * so truncation is not an error here. */
void cfg_pathf(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records "out of memory" for w's source. */
int cfg_oom(struct ocp_error *err, const struct cfg_where *w);

/* Value parsing shared by every key table (cfg_keys.c, cfg_pg.c,
 * cfg_aws.c), so all keys read text the same way. */
/* Drops blanks around s[0..len) (they can come from ${VAR}). */
void cfg_trim(const char **s, size_t *len);
/* s[0..len) equals the lower-case word, ignoring case. */
int cfg_text_is(const char *s, size_t len, const char *word);
/* Decimal integer with an optional sign, blanks around it allowed; 0 on
 * success, -1 otherwise. */
int cfg_parse_int64(const char *s, size_t len, int64_t *out);
/* A finite decimal number (no hex, inf or nan); 0 on success. */
int cfg_parse_double(const char *s, size_t len, double *out);
/* YAML 1.1's booleans (true/yes/on/1, false/no/off/0); 0 on success. */
int cfg_parse_bool(const char *s, size_t len, int *out);
/* Replaces *slot by a copy of s[0..len); OCP_ERR_OSERR naming the key. */
int cfg_set_string(char **slot, const char *s, size_t len, const struct cfg_where *w,
                   struct ocp_error *err);

/* output.postgres (cfg_pg.c): defaults, release, setters for the
 * CK_PG_* keys, the checks cfg_validate adds for output.format postgres,
 * and the serialized and JSON forms. */
#define CFG_PG_LOCK_TIMEOUT_MAX 86400.0
void cfg_pg_init(struct cfg *c);
void cfg_pg_release(struct cfg *c);
int cfg_pg_apply(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                 const struct cfg_where *w, struct ocp_error *err);
int cfg_pg_reset(struct cfg *c, enum cfg_key key, const struct cfg_where *w, struct ocp_error *err);
int cfg_pg_validate(const struct cfg *c, struct ocp_error *err);

/* OCP on AWS (cfg_aws.c): defaults, release, setters for CK_AWS_*, the
 * checks cfg_validate adds when aws.source_uuid is set. */
void cfg_aws_init(struct cfg *c);
void cfg_aws_release(struct cfg *c);
int cfg_aws_apply(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                  const struct cfg_where *w, struct ocp_error *err);
int cfg_aws_reset(struct cfg *c, enum cfg_key key, const struct cfg_where *w,
                  struct ocp_error *err);
int cfg_aws_validate(const struct cfg *c, struct ocp_error *err);

/* A growable byte buffer; ok drops to 0 once an allocation fails and
 * every later append is ignored, so callers check once at the end. */
struct cfg_buf {
    unsigned char *data;
    size_t len, cap;
    int ok;
};

void cfg_buf_init(struct cfg_buf *b);
void cfg_buf_append(struct cfg_buf *b, const void *p, size_t n);
void cfg_buf_release(struct cfg_buf *b);

#endif
