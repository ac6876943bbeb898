/*
 * cfg_keys.c - the known config keys and the setters that turn one value's
 * text into struct cfg fields.
 *
 * Type and range checks live here, at the point a value is set, so the
 * message can name the key path exactly as the user wrote it (including
 * list indices).  cfg_validate repeats the range checks for configs that
 * were built another way.
 *
 * A list key is only cleared here, or split from its comma-separated
 * command-line form; its items are added and checked in cfg_lists.c.  The
 * helpers every config source shares (messages, value parsers, the byte
 * buffer) live here too.
 */
#include "cfg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

struct cfg_keyinfo {
    enum cfg_key parent;
    const char *name; /* NULL for the table keys: ocp_table_spec names them */
    enum cfg_shape shape;
};

static const struct cfg_keyinfo keys[CK_COUNT] = {
    [CK_CLUSTER_ID] = {CK_NONE, "cluster_id", CS_SCALAR},
    [CK_CLUSTER_ALIAS] = {CK_NONE, "cluster_alias", CS_SCALAR},
    [CK_SOURCE_UUID] = {CK_NONE, "source_uuid", CS_SCALAR},
    [CK_REPORT_PERIOD_ID] = {CK_NONE, "report_period_id", CS_SCALAR},
    [CK_START_DATE] = {CK_NONE, "start_date", CS_SCALAR},
    [CK_END_DATE] = {CK_NONE, "end_date", CS_SCALAR},
    [CK_INPUT] = {CK_NONE, "input", CS_SECTION},
    [CK_INPUT_FORMAT] = {CK_INPUT, "format", CS_SCALAR},
    [CK_INPUT_PATH] = {CK_INPUT, "path", CS_SCALAR},
    [CK_INPUT_TABLES] = {CK_INPUT, "tables", CS_SECTION},
    [CK_TABLE_FIRST + OCP_TABLE_POD] = {CK_INPUT_TABLES, NULL, CS_SCALAR},
    [CK_TABLE_FIRST + OCP_TABLE_STORAGE] = {CK_INPUT_TABLES, NULL, CS_SCALAR},
    [CK_TABLE_FIRST + OCP_TABLE_NODE_LABELS] = {CK_INPUT_TABLES, NULL, CS_SCALAR},
    [CK_TABLE_FIRST + OCP_TABLE_NAMESPACE_LABELS] = {CK_INPUT_TABLES, NULL, CS_SCALAR},
    [CK_TAG_KEYS] = {CK_NONE, "enabled_tag_keys", CS_LIST},
    [CK_COST_CATEGORIES] = {CK_NONE, "cost_categories", CS_LIST},
    [CK_NODE_ROLES] = {CK_NONE, "node_roles", CS_MAP},
    [CK_THREADS] = {CK_NONE, "threads", CS_SCALAR},
    [CK_CHUNK_ROWS] = {CK_NONE, "chunk_rows", CS_SCALAR},
    [CK_WINDOW_ROWS] = {CK_NONE, "window_rows", CS_SCALAR},
    [CK_STRICT] = {CK_NONE, "strict", CS_SCALAR},
    [CK_STEAL_CHUNKS] = {CK_NONE, "steal_chunks", CS_SCALAR},
    [CK_OUTPUT] = {CK_NONE, "output", CS_SECTION},
    [CK_OUTPUT_PATH] = {CK_OUTPUT, "path", CS_SCALAR},
    [CK_OUTPUT_FORMAT] = {CK_OUTPUT, "format", CS_SCALAR},
    [CK_OUTPUT_SUMMARY] = {CK_OUTPUT, "summary", CS_SCALAR},
    [CK_OUTPUT_PARTITIONED] = {CK_OUTPUT, "partitioned", CS_SCALAR},
    [CK_OUTPUT_SHARED_WRITE] = {CK_OUTPUT, "shared_write", CS_SCALAR},
    [CK_PROGRESS_SECONDS] = {CK_NONE, "progress_seconds", CS_SCALAR},
    [CK_INPUT_OPTIONAL_TABLES] = {CK_INPUT, "optional_tables", CS_LIST},
    [CK_INPUT_VERIFY_CRC] = {CK_INPUT, "verify_crc", CS_SCALAR},
    [CK_INPUT_HDF5_DRIVER] = {CK_INPUT, "hdf5_driver", CS_SCALAR},
    [CK_OUTPUT_POSTGRES] = {CK_OUTPUT, "postgres", CS_SECTION},
    [CK_PG_CONNINFO] = {CK_OUTPUT_POSTGRES, "conninfo", CS_SCALAR},
    [CK_PG_SCHEMA] = {CK_OUTPUT_POSTGRES, "schema", CS_SCALAR},
    [CK_PG_TABLE] = {CK_OUTPUT_POSTGRES, "table", CS_SCALAR},
    [CK_PG_CREATE_PARTITIONS] = {CK_OUTPUT_POSTGRES, "create_partitions", CS_SCALAR},
    [CK_PG_LOCK_TIMEOUT] = {CK_OUTPUT_POSTGRES, "lock_timeout_seconds", CS_SCALAR},
    [CK_PG_REPORT_PERIOD_ID] = {CK_OUTPUT_POSTGRES, "report_period_id", CS_SCALAR},
    /* OCP on AWS (cfg_aws.c) */
    [CK_AWS_TABLE] = {CK_INPUT_TABLES, "aws_line_items", CS_SCALAR},
    [CK_AWS] = {CK_NONE, "aws", CS_SECTION},
    [CK_AWS_SOURCE_UUID] = {CK_AWS, "source_uuid", CS_SCALAR},
    [CK_AWS_BILL_ID] = {CK_AWS, "bill_id", CS_SCALAR},
    [CK_AWS_MARKUP] = {CK_AWS, "markup_percent", CS_SCALAR},
    [CK_AWS_TAG_KEYS] = {CK_AWS, "enabled_tag_keys", CS_SCALAR},
    [CK_AWS_DISTRIBUTION] = {CK_AWS, "distribution", CS_SCALAR},
    [CK_AWS_ALIASES] = {CK_AWS, "account_aliases", CS_SCALAR},
    [CK_AWS_OUTPUT] = {CK_AWS, "output", CS_SCALAR},
};

static const char *key_name(enum cfg_key k)
{
    if (k >= CK_TABLE_FIRST && k <= CK_TABLE_LAST)
        return ocp_table_spec((enum ocp_table)(k - CK_TABLE_FIRST))->short_name;
    return keys[k].name;
}

enum cfg_key cfg_key_find(enum cfg_key parent, const char *name, size_t len)
{
    for (int k = 0; k < CK_COUNT; k++) {
        const char *n = key_name((enum cfg_key)k);
        if (keys[k].parent == parent && strlen(n) == len && memcmp(n, name, len) == 0)
            return (enum cfg_key)k;
    }
    return CK_NONE;
}

enum cfg_shape cfg_key_shape(enum cfg_key key)
{
    return keys[key].shape;
}

void cfg_key_path(enum cfg_key key, char *buf, size_t size)
{
    const char *parts[4];
    int n = 0;
    size_t used = 0;

    for (enum cfg_key k = key; k != CK_NONE && n < 4; k = keys[k].parent)
        parts[n++] = key_name(k);
    if (size == 0)
        return;
    buf[0] = '\0';
    while (n-- > 0 && used < size) {
        int w = snprintf(buf + used, size - used, "%s%s", used > 0 ? "." : "", parts[n]);
        used = w < 0 ? size : used + (size_t)w;
    }
}

char *cfg_strndup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d == NULL)
        return NULL;
    if (len > 0)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

int cfg_fail(struct ocp_error *err, const struct cfg_where *w, const char *fmt, ...)
{
    char msg[OCP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ocp_error_set(err, OCP_ERR_CONFIG, w->src, -1, NULL, "key '%s': %s", w->path, msg);
}

void cfg_pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

int cfg_oom(struct ocp_error *err, const struct cfg_where *w)
{
    return ocp_error_set(err, OCP_ERR_OSERR, w->src, -1, NULL,
                         "out of memory while reading the config");
}

const char *cfg_input_format_name(enum cfg_input_format f)
{
    return f == CFG_INPUT_PARQUET ? "parquet" : "hdf5";
}

const char *cfg_output_format_name(enum cfg_output_format f)
{
    return f == CFG_OUTPUT_PARQUET ? "parquet" : f == CFG_OUTPUT_POSTGRES ? "postgres" : "csv";
}

/* Blanks around a number are tolerated (they can come from ${VAR}). */
void cfg_trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int cfg_text_is(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    if (len != wl)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (tolower((unsigned char)s[i]) != word[i])
            return 0;
    return 1;
}

/* Decimal integer with an optional sign; 0 on success. */
int cfg_parse_int64(const char *s, size_t len, int64_t *out)
{
    uint64_t mag = 0;
    size_t i = 0;
    int neg = 0;

    cfg_trim(&s, &len);
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return -1;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (mag > (UINT64_C(9223372036854775808) - d) / 10)
            return -1;
        mag = mag * 10 + d;
    }
    if (!neg && mag > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

/* A finite decimal number; 0 on success.  Hex, inf and nan are refused. */
int cfg_parse_double(const char *s, size_t len, double *out)
{
    char buf[64];
    char *end;

    cfg_trim(&s, &len);
    if (len == 0 || len >= sizeof buf)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (strchr("0123456789+-.eE", s[i]) == NULL)
            return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (end != buf + len || errno == ERANGE || !isfinite(*out))
        return -1;
    return 0;
}

/* YAML 1.1's booleans, which are what people write; 0 on success. */
int cfg_parse_bool(const char *s, size_t len, int *out)
{
    cfg_trim(&s, &len);
    if (cfg_text_is(s, len, "true") || cfg_text_is(s, len, "yes") || cfg_text_is(s, len, "on") ||
        cfg_text_is(s, len, "1")) {
        *out = 1;
        return 0;
    }
    if (cfg_text_is(s, len, "false") || cfg_text_is(s, len, "no") || cfg_text_is(s, len, "off") ||
        cfg_text_is(s, len, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Replaces *slot by a copy of s[0..len). */
int cfg_set_string(char **slot, const char *s, size_t len, const struct cfg_where *w,
                   struct ocp_error *err)
{
    char *d = cfg_strndup(s, len);
    if (d == NULL)
        return cfg_oom(err, w);
    free(*slot);
    *slot = d;
    return OCP_OK;
}

/* The int range check shared by threads, chunk_rows and the like. */
static int set_ranged(int64_t *out, const char *s, size_t len, int64_t lo, int64_t hi,
                      const struct cfg_where *w, struct ocp_error *err)
{
    int64_t v;
    if (cfg_parse_int64(s, len, &v) != 0)
        return cfg_fail(err, w, "expected an integer, got '%.*s'", (int)(len > 60 ? 60 : len), s);
    if (v < lo || v > hi)
        return cfg_fail(err, w, "must be between %lld and %lld, got %lld", (long long)lo,
                        (long long)hi, (long long)v);
    *out = v;
    return OCP_OK;
}

static int set_date(int *has, int32_t *days, const char *s, size_t len, const struct cfg_where *w,
                    struct ocp_error *err)
{
    int32_t d;
    cfg_trim(&s, &len);
    if (txt_parse_date(s, len, &d) != 0)
        return cfg_fail(err, w, "expected a date YYYY-MM-DD, got '%.*s'",
                        (int)(len > 60 ? 60 : len), s);
    *has = 1;
    *days = d;
    return OCP_OK;
}

/* Summary path and alias that were derived follow the key they came
 * from; an explicit value stays.  A value equal to what would have been
 * derived counts as derived. */
static void forget_derived_alias(struct cfg *c)
{
    if (c->cluster_alias != NULL && c->cluster_id != NULL &&
        strcmp(c->cluster_alias, c->cluster_id) == 0) {
        free(c->cluster_alias);
        c->cluster_alias = NULL;
    }
}

static void forget_derived_summary(struct cfg *c)
{
    char *old;
    if (c->summary_path == NULL || c->output_path == NULL)
        return;
    old = cfg_default_summary(c->output_path);
    if (old != NULL && strcmp(old, c->summary_path) == 0) {
        free(c->summary_path);
        c->summary_path = NULL;
    }
    free(old);
}

static void clear_tags(struct cfg *c)
{
    for (size_t i = 0; i < c->n_tag_keys; i++)
        free(c->tag_keys[i]);
    free(c->tag_keys);
    c->tag_keys = NULL;
    c->n_tag_keys = 0;
    c->tag_keys_cap = 0;
}

static void clear_cost_categories(struct cfg *c)
{
    for (size_t i = 0; i < c->n_cost_categories; i++)
        free(c->cost_categories[i].pattern);
    free(c->cost_categories);
    c->cost_categories = NULL;
    c->n_cost_categories = 0;
    c->cost_categories_cap = 0;
}

static void clear_node_roles(struct cfg *c)
{
    for (size_t i = 0; i < c->n_node_roles; i++) {
        free(c->node_roles[i].node);
        free(c->node_roles[i].role);
    }
    free(c->node_roles);
    c->node_roles = NULL;
    c->n_node_roles = 0;
    c->node_roles_cap = 0;
}

int cfg_reset_key(struct cfg *c, enum cfg_key key, const struct cfg_where *w, struct ocp_error *err)
{
    switch (key) {
    case CK_CLUSTER_ID:
        forget_derived_alias(c);
        free(c->cluster_id);
        c->cluster_id = NULL;
        break;
    case CK_CLUSTER_ALIAS:
        free(c->cluster_alias);
        c->cluster_alias = NULL;
        break;
    case CK_SOURCE_UUID:
        free(c->source_uuid);
        c->source_uuid = NULL;
        break;
    case CK_REPORT_PERIOD_ID: c->report_period_id = 1; break;
    case CK_START_DATE:
        c->has_start_date = 0;
        c->start_date = 0;
        break;
    case CK_END_DATE:
        c->has_end_date = 0;
        c->end_date = 0;
        break;
    case CK_INPUT_FORMAT: c->input_format = CFG_INPUT_HDF5; break;
    case CK_INPUT_PATH:
        free(c->input_path);
        c->input_path = NULL;
        break;
    case CK_TAG_KEYS: clear_tags(c); break;
    case CK_COST_CATEGORIES: clear_cost_categories(c); break;
    case CK_NODE_ROLES: clear_node_roles(c); break;
    case CK_THREADS: c->threads = 0; break;
    case CK_CHUNK_ROWS: c->chunk_rows = 131072; break;
    case CK_WINDOW_ROWS: c->window_rows = CFG_WINDOW_ROWS_DEFAULT; break;
    case CK_STRICT: c->strict = 0; break;
    case CK_STEAL_CHUNKS: c->steal_chunks = 1; break;
    case CK_OUTPUT_PATH:
        forget_derived_summary(c);
        free(c->output_path);
        c->output_path = NULL;
        break;
    case CK_OUTPUT_FORMAT: c->output_format = CFG_OUTPUT_CSV; break;
    case CK_OUTPUT_SUMMARY:
        free(c->summary_path);
        c->summary_path = NULL;
        break;
    case CK_OUTPUT_PARTITIONED: c->output_partitioned = 0; break;
    case CK_OUTPUT_SHARED_WRITE: c->output_shared_write = 1; break;
    case CK_PROGRESS_SECONDS: c->progress_seconds = 5.0; break;
    case CK_INPUT_OPTIONAL_TABLES:
        /* SEMANTICS.md: the storage table is optional, the label tables
         * are not (a missing one would silently drop every label). */
        c->optional_tables = CFG_OPTIONAL_TABLES_DEFAULT;
        break;
    case CK_INPUT_VERIFY_CRC: c->verify_crc = 1; break;
    case CK_INPUT_HDF5_DRIVER: c->hdf5_driver = CFG_H5_POSIX; break;
    default:
        if (key >= CK_OUTPUT_POSTGRES && key <= CK_PG_REPORT_PERIOD_ID)
            return cfg_pg_reset(c, key, w, err);
        if (key >= CK_AWS_TABLE && key <= CK_AWS_OUTPUT)
            return cfg_aws_reset(c, key, w, err);
        if (key >= CK_TABLE_FIRST && key <= CK_TABLE_LAST) {
            const char *n = ocp_table_spec((enum ocp_table)(key - CK_TABLE_FIRST))->name;
            return cfg_set_string(&c->tables[key - CK_TABLE_FIRST], n, strlen(n), w, err);
        }
        /* Sections have no value of their own; resetting one resets
         * nothing, which is what an empty `input:` means. */
        break;
    }
    return OCP_OK;
}

/* Splits comma-separated text into trimmed items.  Returns 1 for an item,
 * 0 at the end; an empty item ("a,,b", "a,") is returned too (*ilen 0) so
 * the caller can refuse it as the file form does. */
static int next_item(const char **s, const char *end, const char **item, size_t *ilen, int *more)
{
    const char *comma;
    const char *stop;

    if (*s >= end && !*more)
        return 0;
    comma = memchr(*s, ',', (size_t)(end - *s));
    stop = comma != NULL ? comma : end;
    *item = *s;
    *ilen = (size_t)(stop - *s);
    *s = comma != NULL ? comma + 1 : end;
    *more = comma != NULL;
    cfg_trim(item, ilen);
    return 1;
}

/* The command-line form of the list keys: "a,b", "pat=1,pat2=2",
 * "node=role,...".  Items are named by index (or node) in messages. */
static int apply_list_text(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                           const struct cfg_where *w, struct ocp_error *err)
{
    const char *s = text, *end = text + len, *item;
    size_t ilen, index = 0;
    char path[600];
    struct cfg_where iw = {w->src, path};
    int rc = OCP_OK, more = 1;

    if (key == CK_TAG_KEYS)
        clear_tags(c);
    else if (key == CK_COST_CATEGORIES)
        clear_cost_categories(c);
    else if (key == CK_INPUT_OPTIONAL_TABLES)
        c->optional_tables = 0;
    else
        clear_node_roles(c);
    while (rc == OCP_OK && next_item(&s, end, &item, &ilen, &more)) {
        const char *eq = NULL;
        for (size_t i = 0; i < ilen; i++)
            if (item[i] == '=')
                eq = item + i;
        if (ilen == 0) {
            /* "app,,env": the file form refuses an empty item, so the
             * command line does too rather than dropping it. */
            cfg_pathf(path, sizeof path, "%s[%zu]", w->path, index);
            rc = cfg_fail(err, &iw, "empty item in the comma-separated list");
        } else if (key == CK_INPUT_OPTIONAL_TABLES) {
            cfg_pathf(path, sizeof path, "%s[%zu]", w->path, index);
            rc = cfg_add_optional_table(c, item, ilen, &iw, err);
        } else if (key == CK_TAG_KEYS) {
            cfg_pathf(path, sizeof path, "%s[%zu]", w->path, index);
            rc = cfg_add_tag(c, item, ilen, &iw, err);
        } else if (eq == NULL) {
            cfg_pathf(path, sizeof path, "%s[%zu]", w->path, index);
            rc = cfg_fail(err, &iw, "expected %s, got '%.*s'",
                          key == CK_COST_CATEGORIES ? "pattern=id" : "node=role",
                          (int)(ilen > 60 ? 60 : ilen), item);
        } else if (key == CK_COST_CATEGORIES) {
            char ppath[600];
            struct cfg_where pw = {w->src, ppath};
            size_t plen = (size_t)(eq - item);
            while (plen > 0 && isspace((unsigned char)item[plen - 1]))
                plen--;
            cfg_pathf(ppath, sizeof ppath, "%s[%zu].pattern", w->path, index);
            cfg_pathf(path, sizeof path, "%s[%zu].id", w->path, index);
            rc = cfg_add_cost_category(c, item, plen, eq + 1, (size_t)(item + ilen - (eq + 1)), &pw,
                                       &iw, err);
        } else {
            const char *role = eq + 1;
            size_t nlen = (size_t)(eq - item);
            size_t rlen = (size_t)(item + ilen - role);
            cfg_trim(&role, &rlen);
            cfg_trim(&item, &nlen);
            cfg_pathf(path, sizeof path, "%s.%.*s", w->path, (int)(nlen > 300 ? 300 : nlen), item);
            rc = cfg_add_node_role(c, item, nlen, role, rlen, &iw, err);
        }
        index++;
    }
    if (rc == OCP_OK && key == CK_TAG_KEYS)
        rc = cfg_dedupe_tags(c, w, err);
    return rc;
}

int cfg_apply_text(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                   const struct cfg_where *w, struct ocp_error *err)
{
    int64_t v = 0;
    int rc;

    if (keys[key].shape == CS_SECTION)
        return cfg_fail(err, w, "is a section; set one of its keys instead");
    if (len == 0)
        return cfg_reset_key(c, key, w, err);
    if (keys[key].shape != CS_SCALAR)
        return apply_list_text(c, key, text, len, w, err);

    switch (key) {
    case CK_CLUSTER_ID:
        forget_derived_alias(c);
        return cfg_set_string(&c->cluster_id, text, len, w, err);
    case CK_CLUSTER_ALIAS: return cfg_set_string(&c->cluster_alias, text, len, w, err);
    case CK_SOURCE_UUID: {
        uint8_t bytes[16];
        char norm[37];
        cfg_trim(&text, &len);
        if (txt_parse_uuid(text, len, bytes) != 0 || len != 36)
            return cfg_fail(err, w,
                            "expected a UUID like "
                            "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        /* Lower-case, as Koku stores it, so the report never depends on
         * how the config spelled it. */
        for (size_t i = 0; i < 36; i++)
            norm[i] = (char)tolower((unsigned char)text[i]);
        norm[36] = '\0';
        return cfg_set_string(&c->source_uuid, norm, 36, w, err);
    }
    case CK_REPORT_PERIOD_ID:
        /* Koku's reporting_ocpusagereportperiod.id: a serial, 1 on. */
        return set_ranged(&c->report_period_id, text, len, 1, INT32_MAX, w, err);
    case CK_START_DATE: return set_date(&c->has_start_date, &c->start_date, text, len, w, err);
    case CK_END_DATE: return set_date(&c->has_end_date, &c->end_date, text, len, w, err);
    case CK_INPUT_FORMAT:
        cfg_trim(&text, &len);
        if (cfg_text_is(text, len, "hdf5"))
            c->input_format = CFG_INPUT_HDF5;
        else if (cfg_text_is(text, len, "parquet"))
            c->input_format = CFG_INPUT_PARQUET;
        else
            return cfg_fail(err, w, "expected hdf5 or parquet, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        return OCP_OK;
    case CK_INPUT_PATH: return cfg_set_string(&c->input_path, text, len, w, err);
    case CK_THREADS:
        rc = set_ranged(&v, text, len, 0, CFG_THREADS_MAX, w, err);
        if (rc == OCP_OK)
            c->threads = (int)v;
        return rc;
    case CK_CHUNK_ROWS:
        return set_ranged(&c->chunk_rows, text, len, CFG_CHUNK_ROWS_MIN, CFG_CHUNK_ROWS_MAX, w,
                          err);
    case CK_WINDOW_ROWS: return set_ranged(&c->window_rows, text, len, 0, INT64_MAX / 1024, w, err);
    case CK_STRICT:
    case CK_STEAL_CHUNKS:
    case CK_INPUT_VERIFY_CRC:
    case CK_OUTPUT_SHARED_WRITE:
    case CK_OUTPUT_PARTITIONED: {
        int b;
        if (cfg_parse_bool(text, len, &b) != 0)
            return cfg_fail(err, w, "expected true or false, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        if (key == CK_STRICT)
            c->strict = b;
        else if (key == CK_STEAL_CHUNKS)
            c->steal_chunks = b;
        else if (key == CK_INPUT_VERIFY_CRC)
            c->verify_crc = b;
        else if (key == CK_OUTPUT_SHARED_WRITE)
            c->output_shared_write = b;
        else
            c->output_partitioned = b;
        return OCP_OK;
    }
    case CK_OUTPUT_PATH:
        forget_derived_summary(c);
        return cfg_set_string(&c->output_path, text, len, w, err);
    case CK_INPUT_HDF5_DRIVER:
        cfg_trim(&text, &len);
        if (cfg_text_is(text, len, "posix"))
            c->hdf5_driver = CFG_H5_POSIX;
        else if (cfg_text_is(text, len, "mpio"))
            c->hdf5_driver = CFG_H5_MPIO;
        else if (cfg_text_is(text, len, "mpio-collective"))
            c->hdf5_driver = CFG_H5_MPIO_COLLECTIVE;
        else
            return cfg_fail(err, w, "expected posix, mpio or mpio-collective, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        return OCP_OK;
    case CK_OUTPUT_FORMAT:
        cfg_trim(&text, &len);
        if (cfg_text_is(text, len, "csv"))
            c->output_format = CFG_OUTPUT_CSV;
        else if (cfg_text_is(text, len, "parquet"))
            c->output_format = CFG_OUTPUT_PARQUET;
        else if (cfg_text_is(text, len, "postgres"))
            c->output_format = CFG_OUTPUT_POSTGRES;
        else
            return cfg_fail(err, w, "expected csv, parquet or postgres, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        return OCP_OK;
    case CK_OUTPUT_SUMMARY: return cfg_set_string(&c->summary_path, text, len, w, err);
    case CK_PROGRESS_SECONDS: {
        double d;
        if (cfg_parse_double(text, len, &d) != 0)
            return cfg_fail(err, w, "expected a number of seconds, got '%.*s'",
                            (int)(len > 60 ? 60 : len), text);
        if (d < 0 || d > CFG_PROGRESS_MAX)
            return cfg_fail(err, w, "must be between 0 and %g, got %g", CFG_PROGRESS_MAX, d);
        c->progress_seconds = d;
        return OCP_OK;
    }
    default:
        if (key >= CK_OUTPUT_POSTGRES && key <= CK_PG_REPORT_PERIOD_ID)
            return cfg_pg_apply(c, key, text, len, w, err);
        if (key >= CK_AWS_TABLE && key <= CK_AWS_OUTPUT)
            return cfg_aws_apply(c, key, text, len, w, err);
        if (key >= CK_TABLE_FIRST && key <= CK_TABLE_LAST)
            return cfg_set_string(&c->tables[key - CK_TABLE_FIRST], text, len, w, err);
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->src, -1, NULL, "key '%s': no setter",
                             w->path);
    }
}

void cfg_buf_init(struct cfg_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->ok = 1;
}

void cfg_buf_append(struct cfg_buf *b, const void *p, size_t n)
{
    if (!b->ok || n == 0)
        return;
    if (n > SIZE_MAX / 2 - b->len) {
        b->ok = 0;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        unsigned char *d;
        while (cap < b->len + n)
            cap *= 2;
        d = realloc(b->data, cap);
        if (d == NULL) {
            b->ok = 0;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void cfg_buf_release(struct cfg_buf *b)
{
    free(b->data);
    cfg_buf_init(b);
}
