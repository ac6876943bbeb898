/*
 * cfg_core.c - defaults, release, command-line overrides and validation.
 */
#include "cfg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

void cfg_init(struct cfg *c)
{
    struct cfg_where w = {"config", "input.tables"};

    memset(c, 0, sizeof *c);
    c->report_period_id = 1;
    c->input_format = CFG_INPUT_HDF5;
    c->threads = 0;
    c->chunk_rows = 131072;
    c->window_rows = CFG_WINDOW_ROWS_DEFAULT;
    c->output_format = CFG_OUTPUT_CSV;
    c->progress_seconds = 5.0;
    c->verify_crc = 1;
    c->steal_chunks = 1;
    c->output_shared_write = 1;
    c->optional_tables = CFG_OPTIONAL_TABLES_DEFAULT;
    cfg_pg_init(c);
    cfg_aws_init(c);
    /* A failed copy leaves the slot NULL; cfg_validate reports it. */
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        (void)cfg_reset_key(c, (enum cfg_key)(CK_TABLE_FIRST + t), &w, NULL);
}

void cfg_release(struct cfg *c)
{
    free(c->cluster_id);
    free(c->cluster_alias);
    free(c->source_uuid);
    free(c->input_path);
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        free(c->tables[t]);
    for (size_t i = 0; i < c->n_tag_keys; i++)
        free(c->tag_keys[i]);
    free(c->tag_keys);
    for (size_t i = 0; i < c->n_cost_categories; i++)
        free(c->cost_categories[i].pattern);
    free(c->cost_categories);
    for (size_t i = 0; i < c->n_node_roles; i++) {
        free(c->node_roles[i].node);
        free(c->node_roles[i].role);
    }
    free(c->node_roles);
    free(c->output_path);
    free(c->summary_path);
    free(c->source_name);
    cfg_pg_release(c);
    cfg_aws_release(c);
    memset(c, 0, sizeof *c);
}

char *cfg_default_summary(const char *output_path)
{
    static const char suffix[] = ".summary.json";
    size_t len = strlen(output_path), base, stem;
    char *out;

    /* "out/report/" names the folder "out/report" (partitioned output). */
    while (len > 1 && output_path[len - 1] == '/')
        len--;
    base = len;
    while (base > 0 && output_path[base - 1] != '/')
        base--;
    /* The extension is the last dot of the file name, unless that dot
     * starts the name (".hidden" has none). */
    stem = len;
    for (size_t i = len; i > base + 1; i--) {
        if (output_path[i - 1] == '.') {
            stem = i - 1;
            break;
        }
    }
    out = malloc(stem + sizeof suffix);
    if (out == NULL)
        return NULL;
    memcpy(out, output_path, stem);
    memcpy(out + stem, suffix, sizeof suffix);
    return out;
}

int cfg_derive(struct cfg *c, struct ocp_error *err)
{
    struct cfg_where w = {c->source_name ? c->source_name : "config", ""};

    if (c->cluster_alias == NULL && c->cluster_id != NULL) {
        c->cluster_alias = cfg_strndup(c->cluster_id, strlen(c->cluster_id));
        if (c->cluster_alias == NULL)
            return cfg_oom(err, &w);
    }
    if (c->summary_path == NULL && c->output_path != NULL && c->output_path[0] != '\0') {
        c->summary_path = cfg_default_summary(c->output_path);
        if (c->summary_path == NULL)
            return cfg_oom(err, &w);
        c->summary_derived = 1;
    }
    return OCP_OK;
}

int cfg_set(struct cfg *c, const char *key, const char *value, struct ocp_error *err)
{
    struct cfg_where w = {"command line", key};
    enum cfg_key k = CK_NONE;
    const char *s = key;
    size_t vlen, bad;
    int rc;

    /* Walk the dotted path one section at a time, so "input.tables.x"
     * and "output.path" resolve like the nested YAML keys do. */
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot != NULL ? (size_t)(dot - s) : strlen(s);
        if (k != CK_NONE && cfg_key_shape(k) != CS_SECTION)
            return cfg_fail(err, &w, "unknown key");
        k = cfg_key_find(k, s, n);
        if (k == CK_NONE)
            return cfg_fail(err, &w, "unknown key");
        if (dot == NULL)
            break;
        s = dot + 1;
    }
    if (value == NULL)
        value = "";
    vlen = strlen(value);
    /* What the config file holds is UTF-8 (libyaml checks it); so must
     * what the command line sets, or it would reach the report. */
    bad = txt_utf8_invalid_at(value, vlen);
    if (bad < vlen)
        return cfg_fail(err, &w, "is not UTF-8 text (byte %zu)", bad);
    rc = cfg_apply_text(c, k, value, vlen, &w, err);
    if (rc == OCP_OK)
        rc = cfg_derive(c, err);
    return rc;
}

/* Fails for an unset or empty required string. */
static int require(const char *v, const struct cfg *c, const char *path, struct ocp_error *err)
{
    struct cfg_where w = {c->source_name ? c->source_name : "config", path};
    if (v == NULL || v[0] == '\0')
        return cfg_fail(err, &w, "required value missing");
    return OCP_OK;
}

int cfg_validate(const struct cfg *c, struct ocp_error *err)
{
    const char *src = c->source_name ? c->source_name : "config";
    struct cfg_where w = {src, ""};
    char path[600];
    uint8_t uuid[16];
    int rc;

    if ((rc = require(c->cluster_id, c, "cluster_id", err)) != OCP_OK ||
        (rc = require(c->cluster_alias, c, "cluster_alias", err)) != OCP_OK ||
        (rc = require(c->source_uuid, c, "source_uuid", err)) != OCP_OK ||
        (rc = require(c->input_path, c, "input.path", err)) != OCP_OK ||
        /* The database output has no file (only the summary). */
        (c->output_format != CFG_OUTPUT_POSTGRES &&
         (rc = require(c->output_path, c, "output.path", err)) != OCP_OK) ||
        (rc = require(c->summary_path, c, "output.summary", err)) != OCP_OK)
        return rc;
    for (int t = 0; t < OCP_TABLE_COUNT; t++) {
        cfg_key_path((enum cfg_key)(CK_TABLE_FIRST + t), path, sizeof path);
        if ((rc = require(c->tables[t], c, path, err)) != OCP_OK)
            return rc;
    }
    w.path = "input.optional_tables";
    if (c->optional_tables & (1u << OCP_TABLE_POD))
        return cfg_fail(err, &w, "pod_usage is always required");
    if (c->optional_tables >> OCP_TABLE_COUNT)
        return cfg_fail(err, &w, "unknown table");
    w.path = "source_uuid";
    if (txt_parse_uuid(c->source_uuid, strlen(c->source_uuid), uuid) != 0)
        return cfg_fail(err, &w, "expected a UUID, got '%.60s'", c->source_uuid);
    w.path = "end_date";
    if (c->has_start_date && c->has_end_date && c->end_date < c->start_date) {
        char s[11], e[11];
        txt_format_date(c->start_date, s);
        txt_format_date(c->end_date, e);
        return cfg_fail(err, &w, "%s is before start_date %s", e, s);
    }
    w.path = "input.format";
    if (c->input_format != CFG_INPUT_HDF5 && c->input_format != CFG_INPUT_PARQUET)
        return cfg_fail(err, &w, "expected hdf5 or parquet");
    w.path = "output.format";
    if (c->output_format != CFG_OUTPUT_CSV && c->output_format != CFG_OUTPUT_PARQUET &&
        c->output_format != CFG_OUTPUT_POSTGRES)
        return cfg_fail(err, &w, "expected csv, parquet or postgres");
    if ((rc = cfg_aws_validate(c, err)) != OCP_OK)
        return rc;
    if ((rc = cfg_pg_validate(c, err)) != OCP_OK)
        return rc;
    w.path = "output.partitioned";
    if (c->output_partitioned && c->output_format != CFG_OUTPUT_PARQUET)
        return cfg_fail(err, &w, "needs output.format parquet");
    w.path = "threads";
    if (c->threads < 0 || c->threads > CFG_THREADS_MAX)
        return cfg_fail(err, &w, "must be between 0 and %d, got %d", CFG_THREADS_MAX, c->threads);
    w.path = "chunk_rows";
    if (c->chunk_rows < CFG_CHUNK_ROWS_MIN || c->chunk_rows > CFG_CHUNK_ROWS_MAX)
        return cfg_fail(err, &w, "must be between %d and %lld, got %lld", CFG_CHUNK_ROWS_MIN,
                        (long long)CFG_CHUNK_ROWS_MAX, (long long)c->chunk_rows);
    w.path = "progress_seconds";
    /* Written so that NaN fails too. */
    if (!(c->progress_seconds >= 0 && c->progress_seconds <= CFG_PROGRESS_MAX))
        return cfg_fail(err, &w, "must be between 0 and %g", CFG_PROGRESS_MAX);
    w.path = path;
    for (size_t i = 0; i < c->n_tag_keys; i++) {
        cfg_pathf(path, sizeof path, "enabled_tag_keys[%zu]", i);
        if (c->tag_keys[i] == NULL || c->tag_keys[i][0] == '\0')
            return cfg_fail(err, &w, "a tag key must not be empty");
    }
    for (size_t i = 0; i < c->n_cost_categories; i++) {
        cfg_pathf(path, sizeof path, "cost_categories[%zu].pattern", i);
        if (c->cost_categories[i].pattern == NULL || c->cost_categories[i].pattern[0] == '\0')
            return cfg_fail(err, &w, "a pattern must not be empty");
    }
    for (size_t i = 0; i < c->n_node_roles; i++) {
        const char *r = c->node_roles[i].role;
        cfg_pathf(path, sizeof path, "node_roles[%zu]", i);
        if (c->node_roles[i].node == NULL || c->node_roles[i].node[0] == '\0')
            return cfg_fail(err, &w, "a node name must not be empty");
        cfg_pathf(path, sizeof path, "node_roles.%.300s", c->node_roles[i].node);
        if (r == NULL ||
            (strcmp(r, "master") != 0 && strcmp(r, "infra") != 0 && strcmp(r, "worker") != 0))
            return cfg_fail(err, &w, "expected master, infra or worker");
    }
    return OCP_OK;
}
