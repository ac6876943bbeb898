/*
 * cfg_yaml.c - reading the YAML config file with libyaml's document API.
 *
 * The walk is driven by the key table, not by the document: each mapping
 * is checked against the keys its section may hold, so the depth of the
 * walk is bounded by the schema (three levels) whatever anchors and
 * aliases the document uses.
 */
#include "cfg_internal.h"
#include "ocpagg/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A config file is a page of text; anything bigger is a mistake. */
#define CFG_FILE_MAX (4u << 20)
/* ${A:-${B:-...}} nesting deeper than this is refused. */
#define CFG_EXPAND_DEPTH 8
#define CFG_PATH_MAX 600
/* Nesting no config needs; libyaml's scanner is quadratic in the depth of
 * flow collections (100 000 '[' took over a minute), so deeper text is
 * refused by a token pre-pass before the document is built. */
#define CFG_NEST_MAX 64

struct walk {
    yaml_document_t *doc;
    struct cfg *c;
    const char *src;
    struct ocp_error *err;
};

static int is_name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int is_name_char(char ch)
{
    return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

/* Finds the '}' that closes a ${ whose body starts at s, allowing nested
 * ${...} in a default; NULL when there is none. */
static const char *closing_brace(const char *s, const char *end)
{
    int depth = 0;
    for (; s < end; s++) {
        if (s[0] == '$' && s + 1 < end && s[1] == '{') {
            depth++;
            s++;
        } else if (s[0] == '}') {
            if (depth == 0)
                return s;
            depth--;
        }
    }
    return NULL;
}

/* Appends s[0..len) to out with ${VAR} and ${VAR:-default} replaced.  As
 * in the shell, :- also applies when VAR is set but empty; an unset VAR
 * without a default is an error naming the key. */
static int expand(struct cfg_buf *out, const char *s, size_t len, int depth,
                  const struct cfg_where *w, struct ocp_error *err)
{
    const char *p = s, *end = s + len;
    char name[256];

    if (depth > CFG_EXPAND_DEPTH)
        return cfg_fail(err, w, "${...} nested too deeply");
    while (p < end) {
        const char *dollar = NULL, *close, *body, *q;
        size_t nlen = 0;
        const char *val;

        for (q = p; q + 1 < end; q++) {
            if (q[0] == '$' && q[1] == '{') {
                dollar = q;
                break;
            }
        }
        if (dollar == NULL) {
            cfg_buf_append(out, p, (size_t)(end - p));
            break;
        }
        cfg_buf_append(out, p, (size_t)(dollar - p));
        body = dollar + 2;
        close = closing_brace(body, end);
        if (close == NULL)
            return cfg_fail(err, w, "'${' without a closing '}'");
        for (q = body; q < close && is_name_char(*q); q++)
            ;
        nlen = (size_t)(q - body);
        if (nlen == 0 || !is_name_start(body[0]) || nlen >= sizeof name ||
            (q != close && !(close - q >= 2 && q[0] == ':' && q[1] == '-')))
            return cfg_fail(err, w,
                            "bad reference '%.*s': expected ${NAME} or "
                            "${NAME:-default}",
                            (int)(close - dollar + 1 > 80 ? 80 : close - dollar + 1), dollar);
        memcpy(name, body, nlen);
        name[nlen] = '\0';
        val = getenv(name);
        if (q == close) {
            if (val == NULL)
                return cfg_fail(err, w,
                                "environment variable %s is not set (write "
                                "${%s:-default} to give a default)",
                                name, name);
            cfg_buf_append(out, val, strlen(val));
        } else if (val != NULL && val[0] != '\0') {
            cfg_buf_append(out, val, strlen(val));
        } else {
            int rc = expand(out, q + 2, (size_t)(close - q - 2), depth + 1, w, err);
            if (rc != OCP_OK)
                return rc;
        }
        p = close + 1;
    }
    return OCP_OK;
}

/* The scalar's text after expansion, NUL-terminated and malloc'd in
 * *text; *is_null when it means "no value" (empty, or plain ~ / null). */
static int scalar_text(struct walk *wk, yaml_node_t *node, const struct cfg_where *w, char **text,
                       size_t *len, int *is_null)
{
    const char *v = (const char *)node->data.scalar.value;
    size_t vlen = node->data.scalar.length, at;
    struct cfg_buf b;
    int rc;

    *text = NULL;
    *len = 0;
    *is_null = 0;
    if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        ((vlen == 1 && v[0] == '~') ||
         (vlen == 4 &&
          (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 || memcmp(v, "NULL", 4) == 0)))) {
        *is_null = 1;
        return OCP_OK;
    }
    cfg_buf_init(&b);
    rc = expand(&b, v, vlen, 0, w, wk->err);
    if (rc == OCP_OK)
        cfg_buf_append(&b, "", 1);
    if (rc == OCP_OK && !b.ok)
        rc = cfg_oom(wk->err, w);
    if (rc != OCP_OK) {
        cfg_buf_release(&b);
        return rc;
    }
    *text = (char *)b.data;
    *len = b.len - 1;
    *is_null = *len == 0;
    /* libyaml checked the file's bytes; a ${VAR} can bring in others,
     * which would reach the report (and Parquet strings must be UTF-8). */
    at = txt_utf8_invalid_at(*text, *len);
    if (at < *len) {
        free(*text);
        *text = NULL;
        return cfg_fail(wk->err, w, "is not UTF-8 text after ${...} (byte %zu)", at);
    }
    return OCP_OK;
}

static const char *shape_word(yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static int is_null_node(yaml_node_t *node)
{
    const char *v;
    size_t n;
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)node->data.scalar.value;
    n = node->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 &&
            (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 || memcmp(v, "NULL", 4) == 0));
}

/* Mapping keys are plain text and never expanded. */
static int key_text(yaml_node_t *key, const struct cfg_where *w, struct ocp_error *err,
                    const char **text, size_t *len)
{
    if (key == NULL || key->type != YAML_SCALAR_NODE)
        return cfg_fail(err, w, "a key must be text, not %s", key ? shape_word(key) : "nothing");
    *text = (const char *)key->data.scalar.value;
    *len = key->data.scalar.length;
    return OCP_OK;
}

/* Fails when the mapping holds pair i's key earlier too. */
static int check_duplicate(struct walk *wk, yaml_node_t *map, yaml_node_pair_t *pair,
                           const struct cfg_where *w)
{
    yaml_node_t *k = yaml_document_get_node(wk->doc, pair->key);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        yaml_node_t *o = yaml_document_get_node(wk->doc, p->key);
        if (o != NULL && o->type == YAML_SCALAR_NODE &&
            o->data.scalar.length == k->data.scalar.length &&
            memcmp(o->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0)
            return cfg_fail(wk->err, w, "given twice");
    }
    return OCP_OK;
}

static void join(char *buf, const char *parent, const char *name, size_t len)
{
    cfg_pathf(buf, CFG_PATH_MAX, "%s%s%.*s", parent, parent[0] ? "." : "",
              (int)(len > 300 ? 300 : len), name);
}

static int walk_scalar(struct walk *wk, enum cfg_key key, yaml_node_t *node,
                       const struct cfg_where *w)
{
    char *text;
    size_t len;
    int is_null, rc;

    if (node->type != YAML_SCALAR_NODE)
        return cfg_fail(wk->err, w, "expected a single value, got %s", shape_word(node));
    rc = scalar_text(wk, node, w, &text, &len, &is_null);
    if (rc != OCP_OK)
        return rc;
    rc = is_null ? cfg_reset_key(wk->c, key, w, wk->err)
                 : cfg_apply_text(wk->c, key, text, len, w, wk->err);
    free(text);
    return rc;
}

static int walk_tags(struct walk *wk, yaml_node_t *seq, const char *path)
{
    char ipath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, ipath};
    size_t i = 0;
    int rc = OCP_OK;

    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         rc == OCP_OK && it < seq->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = yaml_document_get_node(wk->doc, *it);
        char *text;
        size_t len;
        int is_null;

        cfg_pathf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (item == NULL || item->type != YAML_SCALAR_NODE)
            return cfg_fail(wk->err, &w, "expected a tag key, got %s",
                            item ? shape_word(item) : "nothing");
        rc = scalar_text(wk, item, &w, &text, &len, &is_null);
        if (rc == OCP_OK)
            rc = cfg_add_tag(wk->c, text ? text : "", len, &w, wk->err);
        free(text);
    }
    if (rc == OCP_OK) {
        struct cfg_where lw = {wk->src, path};
        rc = cfg_dedupe_tags(wk->c, &lw, wk->err);
    }
    return rc;
}

static int walk_optional_tables(struct walk *wk, yaml_node_t *seq, const char *path)
{
    char ipath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, ipath};
    size_t i = 0;
    int rc = OCP_OK;

    /* The list replaces the default: [] makes every table required. */
    wk->c->optional_tables = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         rc == OCP_OK && it < seq->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = yaml_document_get_node(wk->doc, *it);
        char *text;
        size_t len;
        int is_null;

        cfg_pathf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (item == NULL || item->type != YAML_SCALAR_NODE)
            return cfg_fail(wk->err, &w, "expected a table name, got %s",
                            item ? shape_word(item) : "nothing");
        rc = scalar_text(wk, item, &w, &text, &len, &is_null);
        if (rc == OCP_OK)
            rc = cfg_add_optional_table(wk->c, text ? text : "", len, &w, wk->err);
        free(text);
    }
    return rc;
}

/* One {pattern: ..., id: ...} item of cost_categories. */
static int walk_cost_item(struct walk *wk, yaml_node_t *map, const char *ipath)
{
    char kpath[CFG_PATH_MAX], ppath[CFG_PATH_MAX], idpath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, kpath}, pw = {wk->src, ppath}, iw = {wk->src, idpath};
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    int have[2] = {0, 0}, seen[2] = {0, 0};
    int rc = OCP_OK;

    cfg_pathf(ppath, sizeof ppath, "%s.pattern", ipath);
    cfg_pathf(idpath, sizeof idpath, "%s.id", ipath);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         rc == OCP_OK && p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(wk->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(wk->doc, p->value);
        const char *name = "";
        size_t nlen = 0;
        int which, is_null;

        cfg_pathf(kpath, sizeof kpath, "%s", ipath);
        if ((rc = key_text(k, &w, wk->err, &name, &nlen)) != OCP_OK)
            break;
        join(kpath, ipath, name, nlen);
        if (nlen == 7 && memcmp(name, "pattern", 7) == 0)
            which = 0;
        else if (nlen == 2 && memcmp(name, "id", 2) == 0)
            which = 1;
        else {
            rc = cfg_fail(wk->err, &w, "unknown key");
            break;
        }
        if (seen[which]) {
            rc = cfg_fail(wk->err, &w, "given twice");
            break;
        }
        seen[which] = 1;
        if (v == NULL || v->type != YAML_SCALAR_NODE) {
            rc = cfg_fail(wk->err, &w, "expected a single value, got %s",
                          v ? shape_word(v) : "nothing");
            break;
        }
        rc = scalar_text(wk, v, &w, &text[which], &len[which], &is_null);
        have[which] = rc == OCP_OK && !is_null;
    }
    if (rc == OCP_OK && !have[0])
        rc = cfg_fail(wk->err, &pw, "required value missing");
    if (rc == OCP_OK && !have[1])
        rc = cfg_fail(wk->err, &iw, "required value missing");
    if (rc == OCP_OK)
        rc = cfg_add_cost_category(wk->c, text[0], len[0], text[1], len[1], &pw, &iw, wk->err);
    free(text[0]);
    free(text[1]);
    return rc;
}

static int walk_costs(struct walk *wk, yaml_node_t *seq, const char *path)
{
    char ipath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, ipath};
    size_t i = 0;
    int rc = OCP_OK;

    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         rc == OCP_OK && it < seq->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = yaml_document_get_node(wk->doc, *it);
        cfg_pathf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (item == NULL || item->type != YAML_MAPPING_NODE)
            return cfg_fail(wk->err, &w,
                            "expected a mapping {pattern: ..., id: ...}, "
                            "got %s",
                            item ? shape_word(item) : "nothing");
        rc = walk_cost_item(wk, item, ipath);
    }
    return rc;
}

static int walk_roles(struct walk *wk, yaml_node_t *map, const char *path)
{
    char npath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, npath};
    int rc = OCP_OK;

    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         rc == OCP_OK && p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(wk->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(wk->doc, p->value);
        const char *node = "";
        size_t nlen = 0, rlen = 0;
        char *role;
        int is_null;

        cfg_pathf(npath, sizeof npath, "%s", path);
        if ((rc = key_text(k, &w, wk->err, &node, &nlen)) != OCP_OK)
            break;
        /* `~: master` or `null: master` is YAML's null, not a node name
         * (Kubernetes names have no such spelling). */
        if (is_null_node(k))
            return cfg_fail(wk->err, &w, "expected a node name, got null ('%.*s')", (int)nlen,
                            node);
        join(npath, path, node, nlen);
        if (v == NULL || v->type != YAML_SCALAR_NODE)
            return cfg_fail(wk->err, &w, "expected a role, got %s", v ? shape_word(v) : "nothing");
        rc = scalar_text(wk, v, &w, &role, &rlen, &is_null);
        if (rc == OCP_OK)
            rc = cfg_add_node_role(wk->c, node, nlen, role ? role : "", rlen, &w, wk->err);
        free(role);
    }
    return rc;
}

static int walk_section(struct walk *wk, enum cfg_key section, yaml_node_t *map, const char *path)
{
    char kpath[CFG_PATH_MAX];
    struct cfg_where w = {wk->src, kpath};
    int rc = OCP_OK;

    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         rc == OCP_OK && p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(wk->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(wk->doc, p->value);
        const char *name = "";
        size_t nlen = 0;
        enum cfg_key key;

        cfg_pathf(kpath, sizeof kpath, "%s", path[0] ? path : "(top level)");
        if ((rc = key_text(k, &w, wk->err, &name, &nlen)) != OCP_OK)
            break;
        join(kpath, path, name, nlen);
        if ((rc = check_duplicate(wk, map, p, &w)) != OCP_OK)
            break;
        key = cfg_key_find(section, name, nlen);
        if (key == CK_NONE)
            return cfg_fail(wk->err, &w, "unknown key");
        if (v == NULL)
            return cfg_fail(wk->err, &w, "missing value");
        switch (cfg_key_shape(key)) {
        case CS_SCALAR: rc = walk_scalar(wk, key, v, &w); break;
        case CS_SECTION:
            if (v->type == YAML_MAPPING_NODE)
                rc = walk_section(wk, key, v, kpath);
            else if (!is_null_node(v))
                rc = cfg_fail(wk->err, &w, "expected a mapping, got %s", shape_word(v));
            break;
        case CS_LIST:
            if (is_null_node(v)) {
                rc = cfg_reset_key(wk->c, key, &w, wk->err);
            } else if (v->type != YAML_SEQUENCE_NODE) {
                rc = cfg_fail(wk->err, &w, "expected a list, got %s", shape_word(v));
            } else {
                rc = cfg_reset_key(wk->c, key, &w, wk->err);
                if (rc == OCP_OK)
                    rc = key == CK_TAG_KEYS                ? walk_tags(wk, v, kpath)
                         : key == CK_INPUT_OPTIONAL_TABLES ? walk_optional_tables(wk, v, kpath)
                                                           : walk_costs(wk, v, kpath);
            }
            break;
        case CS_MAP:
            if (is_null_node(v)) {
                rc = cfg_reset_key(wk->c, key, &w, wk->err);
            } else if (v->type != YAML_MAPPING_NODE) {
                rc = cfg_fail(wk->err, &w, "expected a mapping of node: role, got %s",
                              shape_word(v));
            } else {
                rc = cfg_reset_key(wk->c, key, &w, wk->err);
                if (rc == OCP_OK)
                    rc = walk_roles(wk, v, kpath);
            }
            break;
        }
    }
    return rc;
}

static int yaml_failure(const yaml_parser_t *parser, const char *src, struct ocp_error *err)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return ocp_error_set(err, OCP_ERR_OSERR, src, -1, NULL,
                             "out of memory while parsing the YAML");
    return ocp_error_set(err, OCP_ERR_CONFIG, src, -1, NULL,
                         "line %zu, column %zu: YAML syntax error: %s%s%s",
                         parser->problem_mark.line + 1, parser->problem_mark.column + 1,
                         parser->problem ? parser->problem : "unknown problem",
                         parser->context ? " " : "", parser->context ? parser->context : "");
}

/* Scans the tokens once and fails as soon as collections nest deeper than
 * CFG_NEST_MAX, which stops before the scanner's cost grows.  Syntax
 * errors are left to the real parse, which reports them the usual way. */
static int check_depth(const char *yaml, size_t len, const char *src, struct ocp_error *err)
{
    yaml_parser_t parser;
    yaml_token_t tok;
    int depth = 0, rc = OCP_OK, done = 0;

    if (!yaml_parser_initialize(&parser))
        return ocp_error_set(err, OCP_ERR_OSERR, src, -1, NULL,
                             "out of memory while parsing the YAML");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    while (!done && rc == OCP_OK) {
        if (!yaml_parser_scan(&parser, &tok))
            break;
        switch (tok.type) {
        case YAML_FLOW_SEQUENCE_START_TOKEN:
        case YAML_FLOW_MAPPING_START_TOKEN:
        case YAML_BLOCK_SEQUENCE_START_TOKEN:
        case YAML_BLOCK_MAPPING_START_TOKEN:
            if (++depth > CFG_NEST_MAX)
                rc =
                    ocp_error_set(err, OCP_ERR_CONFIG, src, -1, NULL,
                                  "line %zu, column %zu: collections nested "
                                  "more than %d deep",
                                  tok.start_mark.line + 1, tok.start_mark.column + 1, CFG_NEST_MAX);
            break;
        case YAML_FLOW_SEQUENCE_END_TOKEN:
        case YAML_FLOW_MAPPING_END_TOKEN:
        case YAML_BLOCK_END_TOKEN: depth--; break;
        case YAML_STREAM_END_TOKEN: done = 1; break;
        default: break;
        }
        yaml_token_delete(&tok);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int cfg_load_string(struct cfg *c, const char *yaml, size_t len, const char *name,
                    struct ocp_error *err)
{
    const char *src = name ? name : "config";
    struct cfg_where top = {src, "(top level)"};
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_doc = 0, have_extra = 0, rc = OCP_OK;
    yaml_node_t *root;
    char *dup;

    dup = cfg_strndup(src, strlen(src));
    if (dup == NULL)
        return cfg_oom(err, &top);
    free(c->source_name);
    c->source_name = dup;
    src = top.src = c->source_name;

    if ((rc = check_depth(yaml, len, src, err)) != OCP_OK)
        return rc;
    if (!yaml_parser_initialize(&parser))
        return cfg_oom(err, &top);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_failure(&parser, src, err);
        goto done;
    }
    have_doc = 1;
    /* A second document would be silently ignored; say so instead. */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = yaml_failure(&parser, src, err);
        goto done;
    }
    have_extra = 1;
    if (yaml_document_get_root_node(&extra) != NULL) {
        rc = ocp_error_set(err, OCP_ERR_CONFIG, src, -1, NULL,
                           "more than one YAML document; expected one");
        goto done;
    }
    root = yaml_document_get_root_node(&doc);
    if (root != NULL && !is_null_node(root)) {
        struct walk wk = {&doc, c, src, err};
        if (root->type != YAML_MAPPING_NODE) {
            rc = ocp_error_set(err, OCP_ERR_CONFIG, src, -1, NULL,
                               "expected a mapping of keys at the top level, "
                               "got %s",
                               shape_word(root));
            goto done;
        }
        rc = walk_section(&wk, CK_NONE, root, "");
    }
    if (rc == OCP_OK)
        rc = cfg_derive(c, err);
done:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int cfg_load_file(struct cfg *c, const char *path, struct ocp_error *err)
{
    struct cfg_buf b;
    char chunk[8192];
    FILE *f;
    size_t n;
    int rc;

    f = fopen(path, "rb");
    /* A signal while a FIFO config waits for its writer is the run being
     * stopped, not a bad config. */
    if (f == NULL && errno == EINTR)
        return ocp_error_set(err, OCP_ERR_INTERRUPTED, path, -1, NULL,
                             "interrupted while opening the config file");
    if (f == NULL)
        return ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL, "cannot open the config file: %s",
                             strerror(errno));
    cfg_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        cfg_buf_append(&b, chunk, n);
        if (b.len > CFG_FILE_MAX)
            break;
    }
    if (ferror(f) && errno == EINTR) {
        rc = ocp_error_set(err, OCP_ERR_INTERRUPTED, path, -1, NULL,
                           "interrupted while reading the config file");
    } else if (ferror(f)) {
        rc = ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL, "cannot read the config file: %s",
                           strerror(errno));
    } else if (b.len > CFG_FILE_MAX) {
        rc = ocp_error_set(err, OCP_ERR_CONFIG, path, -1, NULL,
                           "the config file is larger than %u bytes", CFG_FILE_MAX);
    } else if (!b.ok) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL,
                           "out of memory reading the config file");
    } else {
        rc = cfg_load_string(c, b.len ? (const char *)b.data : "", b.len, path, err);
    }
    fclose(f);
    cfg_buf_release(&b);
    return rc;
}
