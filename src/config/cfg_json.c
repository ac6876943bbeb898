/*
 * cfg_json.c - the config as JSON for the run summary.
 *
 * The object mirrors the YAML file key for key, so the summary says what
 * ran in the same words the user configures it with, and the text can be
 * fed back as a config file (JSON is YAML).
 */
#include "cfg_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/pg.h"
#include "ocpagg/text.h"

/* A JSON string; text that is not UTF-8 (only possible through ${VAR})
 * has its high bytes replaced by '?' rather than failing the summary. */
static json_t *jstr(const char *s)
{
    json_t *j;
    char *copy;

    if (s == NULL)
        return json_null();
    j = json_string(s);
    if (j != NULL)
        return j;
    copy = cfg_strndup(s, strlen(s));
    if (copy == NULL)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *jdate(int has, int32_t days)
{
    char text[11];
    if (!has)
        return json_null();
    txt_format_date(days, text);
    return json_string(text);
}

/* json_object_set_new steals the value even on failure, so a NULL value
 * (out of memory) just marks the whole build as failed. */
static void put(json_t *obj, const char *key, json_t *value, int *ok)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        *ok = 0;
}

static void push(json_t *arr, json_t *value, int *ok)
{
    if (value == NULL || json_array_append_new(arr, value) != 0)
        *ok = 0;
}

char *cfg_to_json(const struct cfg *c)
{
    json_t *root = json_object(), *input = json_object(), *tables = json_object(),
           *tags = json_array(), *costs = json_array(), *roles = json_object(),
           *output = json_object();
    char *text = NULL;
    int ok = root && input && tables && tags && costs && roles && output;

    if (!ok) {
        json_decref(root);
        json_decref(input);
        json_decref(tables);
        json_decref(tags);
        json_decref(costs);
        json_decref(roles);
        json_decref(output);
        return NULL;
    }
    put(root, "cluster_id", jstr(c->cluster_id), &ok);
    put(root, "cluster_alias", jstr(c->cluster_alias), &ok);
    put(root, "source_uuid", jstr(c->source_uuid), &ok);
    put(root, "report_period_id", json_integer(c->report_period_id), &ok);
    put(root, "start_date", jdate(c->has_start_date, c->start_date), &ok);
    put(root, "end_date", jdate(c->has_end_date, c->end_date), &ok);

    put(input, "format", json_string(cfg_input_format_name(c->input_format)), &ok);
    put(input, "path", jstr(c->input_path), &ok);
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        put(tables, ocp_table_spec((enum ocp_table)t)->short_name, jstr(c->tables[t]), &ok);
    put(input, "tables", tables, &ok);
    {
        json_t *opt = json_array();
        if (opt == NULL)
            ok = 0;
        for (int t = 0; opt != NULL && t < OCP_TABLE_COUNT; t++)
            if (c->optional_tables & (1u << t))
                push(opt, json_string(ocp_table_spec((enum ocp_table)t)->short_name), &ok);
        put(input, "optional_tables", opt, &ok);
    }
    put(input, "verify_crc", json_boolean(c->verify_crc), &ok);
    /* Only when set, so that summaries of POSIX runs stay as they were. */
    if (c->hdf5_driver != CFG_H5_POSIX)
        put(input, "hdf5_driver",
            json_string(c->hdf5_driver == CFG_H5_MPIO ? "mpio" : "mpio-collective"), &ok);
    put(root, "input", input, &ok);

    for (size_t i = 0; i < c->n_tag_keys; i++)
        push(tags, jstr(c->tag_keys[i]), &ok);
    put(root, "enabled_tag_keys", tags, &ok);
    for (size_t i = 0; i < c->n_cost_categories; i++) {
        json_t *item = json_object();
        if (item != NULL) {
            put(item, "pattern", jstr(c->cost_categories[i].pattern), &ok);
            put(item, "id", json_integer(c->cost_categories[i].id), &ok);
        }
        push(costs, item, &ok);
    }
    put(root, "cost_categories", costs, &ok);
    for (size_t i = 0; i < c->n_node_roles; i++)
        if (c->node_roles[i].node != NULL)
            put(roles, c->node_roles[i].node, jstr(c->node_roles[i].role), &ok);
    put(root, "node_roles", roles, &ok);

    put(root, "threads", json_integer(c->threads), &ok);
    put(root, "chunk_rows", json_integer(c->chunk_rows), &ok);
    /* Only when not the default, so existing summaries stay as they were. */
    if (c->window_rows != CFG_WINDOW_ROWS_DEFAULT)
        put(root, "window_rows", json_integer(c->window_rows), &ok);
    put(root, "strict", json_boolean(c->strict), &ok);
    /* Only when not the default, so existing summaries stay as they were. */
    if (!c->steal_chunks)
        put(root, "steal_chunks", json_false(), &ok);
    put(output, "path", jstr(c->output_path), &ok);
    put(output, "format", json_string(cfg_output_format_name(c->output_format)), &ok);
    put(output, "summary", jstr(c->summary_path), &ok);
    put(output, "partitioned", json_boolean(c->output_partitioned), &ok);
    /* Only where it applies, so Parquet and database summaries stay as they were. */
    if (c->output_format == CFG_OUTPUT_CSV)
        put(output, "shared_write", json_boolean(c->output_shared_write), &ok);
    if (c->output_format == CFG_OUTPUT_POSTGRES) {
        /* output.postgres; the conninfo only when it holds no password
         * (cfg_validate refuses one, but the summary may describe a
         * config that failed validation). */
        json_t *pg = json_object();
        if (pg != NULL) {
            put(pg, "conninfo",
                c->pg_conninfo == NULL                              ? json_null()
                : pg_check_conninfo(c->pg_conninfo, NULL) == OCP_OK ? jstr(c->pg_conninfo)
                                                                    : json_string("(hidden)"),
                &ok);
            put(pg, "schema", jstr(c->pg_schema), &ok);
            put(pg, "table", jstr(c->pg_table ? c->pg_table : PG_DEFAULT_TABLE), &ok);
            put(pg, "create_partitions", json_boolean(c->pg_create_partitions), &ok);
            put(pg, "lock_timeout_seconds", json_real(c->pg_lock_timeout_seconds), &ok);
            put(pg, "report_period_id",
                c->pg_report_period_auto     ? json_string("auto")
                : c->pg_has_report_period_id ? json_integer(c->pg_report_period_id)
                                             : json_null(),
                &ok);
        }
        put(output, "postgres", pg, &ok);
    }
    put(root, "output", output, &ok);
    put(root, "progress_seconds", json_real(c->progress_seconds), &ok);
    if (c->aws_source_uuid != NULL) {
        /* OCP on AWS (cfg_aws.c), only when the step runs. */
        json_t *aws = json_object();
        if (aws == NULL)
            ok = 0;
        else {
            put(aws, "table", jstr(c->aws_table), &ok);
            put(aws, "source_uuid", jstr(c->aws_source_uuid), &ok);
            put(aws, "bill_id", c->aws_has_bill_id ? json_integer(c->aws_bill_id) : json_null(),
                &ok);
            put(aws, "markup_percent", json_real(c->aws_markup_percent), &ok);
            put(aws, "enabled_tag_keys", jstr(c->aws_tag_keys), &ok);
            put(aws, "distribution", json_string(c->aws_distribution_memory ? "memory" : "cpu"),
                &ok);
            put(aws, "account_aliases", jstr(c->aws_account_aliases), &ok);
            put(aws, "output", jstr(c->aws_output), &ok);
        }
        put(root, "aws", aws, &ok);
    }

    if (ok)
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    return text;
}
