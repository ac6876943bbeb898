/* test_config.c - the YAML config: values, defaults, ${VAR} expansion,
 * errors that name the key, overrides, the broadcast form and JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/config.h"
#include "testlib.h"

/* Days since 1970-01-01, computed with Python's datetime. */
#define D_2025_10_01 20362
#define D_2025_11_01 20393
#define D_2025_11_30 20422

static const char full_yaml[] = "cluster_id: my-cluster\n"
                                "cluster_alias: My Cluster\n"
                                "source_uuid: 6E4FF1A0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                                "report_period_id: 7\n"
                                "start_date: 2025-11-01\n"
                                "end_date: 2025-11-30\n"
                                "input:\n"
                                "  format: parquet\n"
                                "  path: /data/koku\n"
                                "  tables:\n"
                                "    pod_usage: pods\n"
                                "    storage_usage: /abs/storage\n"
                                "enabled_tag_keys: [app, environment, app]\n"
                                "cost_categories:\n"
                                "  - {pattern: \"openshift-%\", id: 1}\n"
                                "  - pattern: kube-_\n"
                                "    id: -2\n"
                                "node_roles:\n"
                                "  master-0: master\n"
                                "  ip-10-0-1-2.ec2.internal: Infra\n"
                                "threads: 3\n"
                                "chunk_rows: 4096\n"
                                "strict: yes\n"
                                "output:\n"
                                "  path: out/x.parquet\n"
                                "  format: parquet\n"
                                "  summary: out/sum.json\n"
                                "  partitioned: true\n"
                                "progress_seconds: 2.5\n";

static const char minimal_yaml[] = "cluster_id: c1\n"
                                   "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                                   "input: {path: sample/ocp.h5}\n"
                                   "output: {path: out/report.csv}\n";

/* Loads text into a fresh config, then validates; returns the first
 * failing status and leaves the formatted message in msg. */
static int load_validate(struct cfg *c, const char *yaml, char *msg, size_t size)
{
    struct ocp_error err;
    int rc;

    ocp_error_clear(&err);
    cfg_init(c);
    rc = cfg_load_string(c, yaml, strlen(yaml), "config.yaml", &err);
    if (rc == OCP_OK)
        rc = cfg_validate(c, &err);
    ocp_error_format(&err, msg, size);
    return rc;
}

/* Expects yaml (plus validation) to fail with OCP_ERR_CONFIG and exactly
 * the message want. */
static void expect_error(const char *yaml, const char *want)
{
    struct cfg c;
    char msg[1024];
    int rc = load_validate(&c, yaml, msg, sizeof msg);

    CHECK_INT(rc, OCP_ERR_CONFIG);
    CHECK_STR(msg, want);
    cfg_release(&c);
}

static void test_full_file(void)
{
    struct cfg c;
    char msg[1024];

    CHECK_INT(load_validate(&c, full_yaml, msg, sizeof msg), OCP_OK);
    CHECK_STR(c.cluster_id, "my-cluster");
    CHECK_STR(c.cluster_alias, "My Cluster");
    CHECK_STR(c.source_uuid, "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11");
    CHECK_INT(c.report_period_id, 7);
    CHECK_INT(c.has_start_date, 1);
    CHECK_INT(c.start_date, D_2025_11_01);
    CHECK_INT(c.has_end_date, 1);
    CHECK_INT(c.end_date, D_2025_11_30);
    CHECK_INT(c.input_format, CFG_INPUT_PARQUET);
    CHECK_STR(c.input_path, "/data/koku");
    CHECK_STR(c.tables[OCP_TABLE_POD], "pods");
    CHECK_STR(c.tables[OCP_TABLE_STORAGE], "/abs/storage");
    CHECK_STR(c.tables[OCP_TABLE_NODE_LABELS], "openshift_node_labels_line_items");
    CHECK_STR(c.tables[OCP_TABLE_NAMESPACE_LABELS], "openshift_namespace_labels_line_items");
    /* The repeated "app" is kept once. */
    CHECK_INT(c.n_tag_keys, 2);
    CHECK_STR(c.tag_keys[0], "app");
    CHECK_STR(c.tag_keys[1], "environment");
    CHECK_INT(c.n_cost_categories, 2);
    CHECK_STR(c.cost_categories[0].pattern, "openshift-%");
    CHECK_INT(c.cost_categories[0].id, 1);
    CHECK_STR(c.cost_categories[1].pattern, "kube-_");
    CHECK_INT(c.cost_categories[1].id, -2);
    CHECK_INT(c.n_node_roles, 2);
    CHECK_STR(c.node_roles[0].node, "master-0");
    CHECK_STR(c.node_roles[0].role, "master");
    CHECK_STR(c.node_roles[1].node, "ip-10-0-1-2.ec2.internal");
    CHECK_STR(c.node_roles[1].role, "infra");
    CHECK_INT(c.threads, 3);
    CHECK_INT(c.chunk_rows, 4096);
    CHECK_INT(c.strict, 1);
    CHECK_STR(c.output_path, "out/x.parquet");
    CHECK_INT(c.output_format, CFG_OUTPUT_PARQUET);
    CHECK_STR(c.summary_path, "out/sum.json");
    CHECK_INT(c.output_partitioned, 1);
    CHECK_DBL(c.progress_seconds, 2.5, 0);
    CHECK_STR(c.source_name, "config.yaml");
    cfg_release(&c);
}

static void test_defaults(void)
{
    struct cfg c;
    char msg[1024];

    cfg_init(&c);
    CHECK(c.cluster_id == NULL && c.source_uuid == NULL);
    CHECK_INT(c.report_period_id, 1);
    CHECK_INT(c.threads, 0);
    CHECK_INT(c.chunk_rows, 131072);
    CHECK_DBL(c.progress_seconds, 5.0, 0);
    CHECK_STR(c.tables[OCP_TABLE_POD], "openshift_pod_usage_line_items");
    cfg_release(&c);

    CHECK_INT(load_validate(&c, minimal_yaml, msg, sizeof msg), OCP_OK);
    CHECK_STR(c.cluster_alias, "c1");
    CHECK_INT(c.has_start_date, 0);
    CHECK_INT(c.has_end_date, 0);
    CHECK_INT(c.input_format, CFG_INPUT_HDF5);
    CHECK_STR(c.input_path, "sample/ocp.h5");
    CHECK_STR(c.tables[OCP_TABLE_STORAGE], "openshift_storage_usage_line_items");
    CHECK_INT(c.n_tag_keys, 0);
    CHECK_INT(c.n_cost_categories, 0);
    CHECK_INT(c.n_node_roles, 0);
    CHECK_INT(c.strict, 0);
    CHECK_INT(c.output_format, CFG_OUTPUT_CSV);
    CHECK_STR(c.summary_path, "out/report.summary.json");
    CHECK_INT(c.output_partitioned, 0);
    cfg_release(&c);

    /* null and empty values mean "the default". */
    CHECK_INT(load_validate(&c,
                            "cluster_id: c1\n"
                            "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                            "input: {path: a.h5}\noutput: {path: o.csv}\n"
                            "threads: ~\nchunk_rows:\nstart_date: null\n"
                            "enabled_tag_keys:\ncost_categories: ~\n"
                            "progress_seconds: ''\n",
                            msg, sizeof msg),
              OCP_OK);
    CHECK_INT(c.threads, 0);
    CHECK_INT(c.chunk_rows, 131072);
    CHECK_INT(c.has_start_date, 0);
    CHECK_DBL(c.progress_seconds, 5.0, 0);
    cfg_release(&c);

    /* Anchors and aliases; a quoted number is still a number. */
    CHECK_INT(load_validate(&c,
                            "cluster_id: &id c1\ncluster_alias: *id\n"
                            "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                            "input: {path: a.h5}\noutput: {path: o.csv}\n"
                            "enabled_tag_keys: &tags [x, y]\n"
                            "threads: \"2\"\n",
                            msg, sizeof msg),
              OCP_OK);
    CHECK_STR(c.cluster_alias, "c1");
    CHECK_INT(c.n_tag_keys, 2);
    CHECK_INT(c.threads, 2);
    cfg_release(&c);
}

static void test_env(void)
{
    struct cfg c;
    char msg[1024];

    setenv("OCPCFG_T_IN", "/data/in.h5", 1);
    setenv("OCPCFG_T_THREADS", " 6 ", 1);
    setenv("OCPCFG_T_EMPTY", "", 1);
    unsetenv("OCPCFG_T_UNSET");
    unsetenv("OCPCFG_T_UNSET2");
    CHECK_INT(load_validate(&c,
                            "cluster_id: ${OCPCFG_T_UNSET:-dflt}-x\n"
                            "cluster_alias: \"a${OCPCFG_T_EMPTY}b${OCPCFG_T_EMPTY:-e}\"\n"
                            "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                            "input:\n  path: ${OCPCFG_T_IN:-sample/ocp.h5}\n"
                            "output: {path: '${OCPCFG_T_UNSET:-${OCPCFG_T_UNSET2:-o}}/$HOME.csv'}\n"
                            "threads: ${OCPCFG_T_THREADS}\n"
                            "start_date: ${OCPCFG_T_UNSET:-}\n"
                            "enabled_tag_keys: [\"${OCPCFG_T_UNSET:-app}\"]\n",
                            msg, sizeof msg),
              OCP_OK);
    CHECK_STR(c.cluster_id, "dflt-x");
    /* ${VAR} of an empty VAR is empty; :- also covers empty, as in sh. */
    CHECK_STR(c.cluster_alias, "abe");
    CHECK_STR(c.input_path, "/data/in.h5");
    /* A '$' without '{' is literal. */
    CHECK_STR(c.output_path, "o/$HOME.csv");
    CHECK_STR(c.summary_path, "o/$HOME.summary.json");
    CHECK_INT(c.threads, 6);
    CHECK_INT(c.has_start_date, 0);
    CHECK_INT(c.n_tag_keys, 1);
    CHECK_STR(c.tag_keys[0], "app");
    cfg_release(&c);

    expect_error("cluster_id: c1\ninput:\n  path: ${OCPCFG_T_UNSET}/x\n",
                 "config.yaml: key 'input.path': environment variable "
                 "OCPCFG_T_UNSET is not set (write ${OCPCFG_T_UNSET:-default} "
                 "to give a default)");
    expect_error("cluster_id: ${OCPCFG_T_IN\n",
                 "config.yaml: key 'cluster_id': '${' without a closing '}'");
    expect_error("cluster_id: ${1X}\n", "config.yaml: key 'cluster_id': bad reference '${1X}': "
                                        "expected ${NAME} or ${NAME:-default}");
    expect_error("cluster_id: ${X=1}\n", "config.yaml: key 'cluster_id': bad reference '${X=1}': "
                                         "expected ${NAME} or ${NAME:-default}");
    /* The file is UTF-8 (libyaml); what a ${VAR} brings in must be too. */
    setenv("OCPCFG_T_BAD",
           "c\xff\xfe"
           "1",
           1);
    expect_error("cluster_id: x${OCPCFG_T_BAD}\n",
                 "config.yaml: key 'cluster_id': is not UTF-8 text after ${...} (byte 2)");
    /* ...and a newline it brings in leaves the message on one line. */
    setenv("OCPCFG_T_BAD", "1\n2", 1);
    expect_error("threads: ${OCPCFG_T_BAD}\n",
                 "config.yaml: key 'threads': expected an integer, got '1 2'");
    unsetenv("OCPCFG_T_BAD");
}

static const char head[] = "cluster_id: c1\n"
                           "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                           "input: {path: a.h5}\n"
                           "output: {path: o.csv}\n";

/* head followed by extra lines. */
static void expect_error_after_head(const char *extra, const char *want)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s%s", head, extra);
    expect_error(yaml, want);
}

static void test_errors(void)
{
    expect_error_after_head("colour: blue\n", "config.yaml: key 'colour': unknown key");
    expect_error_after_head("output:\n  path: o.csv\n  colour: blue\n",
                            "config.yaml: key 'output': given twice");
    expect_error("input:\n  tables:\n    pods: x\n",
                 "config.yaml: key 'input.tables.pods': unknown key");
    expect_error("output: {path: o.csv, colour: blue}\n",
                 "config.yaml: key 'output.colour': unknown key");
    expect_error("cost_categories:\n  - {pattern: a, id: 1}\n"
                 "  - {pattern: b, id: 2}\n  - {pattern: c, id: x3}\n",
                 "config.yaml: key 'cost_categories[2].id': expected an "
                 "integer, got 'x3'");
    expect_error("cost_categories:\n  - {pattern: a, id: 1, name: n}\n",
                 "config.yaml: key 'cost_categories[0].name': unknown key");
    expect_error("cost_categories:\n  - {pattern: a}\n",
                 "config.yaml: key 'cost_categories[0].id': required value "
                 "missing");
    expect_error("cost_categories:\n  - {id: 4}\n",
                 "config.yaml: key 'cost_categories[0].pattern': required "
                 "value missing");
    expect_error("cost_categories: {pattern: a, id: 1}\n",
                 "config.yaml: key 'cost_categories': expected a list, got a "
                 "mapping");
    expect_error("cost_categories: [a]\n",
                 "config.yaml: key 'cost_categories[0]': expected a mapping "
                 "{pattern: ..., id: ...}, got a single value");
    expect_error("threads: [1, 2]\n", "config.yaml: key 'threads': expected a single value, got a "
                                      "list");
    expect_error("threads: 2.5\n", "config.yaml: key 'threads': expected an integer, got '2.5'");
    expect_error("threads: -1\n", "config.yaml: key 'threads': must be between 0 and 4096, got "
                                  "-1");
    expect_error("chunk_rows: 1023\n", "config.yaml: key 'chunk_rows': must be between 1024 and "
                                       "268435456, got 1023");
    expect_error("chunk_rows: 268435457\n",
                 "config.yaml: key 'chunk_rows': must be between 1024 and "
                 "268435456, got 268435457");
    expect_error("report_period_id: 9223372036854775808\n",
                 "config.yaml: key 'report_period_id': expected an integer, "
                 "got '9223372036854775808'");
    expect_error("report_period_id: -3\n",
                 "config.yaml: key 'report_period_id': must be between 1 and 2147483647, got -3");
    expect_error("report_period_id: 0\n",
                 "config.yaml: key 'report_period_id': must be between 1 and 2147483647, got 0");
    expect_error("report_period_id: 2147483648\n",
                 "config.yaml: key 'report_period_id': must be between 1 and 2147483647, got "
                 "2147483648");
    expect_error("node_roles: {~: master}\n",
                 "config.yaml: key 'node_roles': expected a node name, got null ('~')");
    expect_error("node_roles:\n  n1: master\n  null: infra\n",
                 "config.yaml: key 'node_roles': expected a node name, got null ('null')");
    expect_error("strict: maybe\n", "config.yaml: key 'strict': expected true or false, got "
                                    "'maybe'");
    expect_error("progress_seconds: -1\n",
                 "config.yaml: key 'progress_seconds': must be between 0 and "
                 "86400, got -1");
    expect_error("progress_seconds: nan\n",
                 "config.yaml: key 'progress_seconds': expected a number of "
                 "seconds, got 'nan'");
    expect_error("start_date: 2025-02-29\n",
                 "config.yaml: key 'start_date': expected a date YYYY-MM-DD, "
                 "got '2025-02-29'");
    expect_error("end_date: 2025/11/30\n",
                 "config.yaml: key 'end_date': expected a date YYYY-MM-DD, got "
                 "'2025/11/30'");
    expect_error_after_head("start_date: 2025-11-01\nend_date: 2025-10-01\n",
                            "config.yaml: key 'end_date': 2025-10-01 is before "
                            "start_date 2025-11-01");
    expect_error("source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b1\n",
                 "config.yaml: key 'source_uuid': expected a UUID like "
                 "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11, got "
                 "'6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b1'");
    expect_error("source_uuid: 6e4ff1a0x4d2b-4a1e-9c6e-0a3c2e7f1b11\n",
                 "config.yaml: key 'source_uuid': expected a UUID like "
                 "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11, got "
                 "'6e4ff1a0x4d2b-4a1e-9c6e-0a3c2e7f1b11'");
    expect_error("node_roles:\n  n1: worker\n  n2: boss\n",
                 "config.yaml: key 'node_roles.n2': expected master, infra or "
                 "worker, got 'boss'");
    expect_error("node_roles: [n1]\n", "config.yaml: key 'node_roles': expected a mapping of node: "
                                       "role, got a list");
    expect_error("input: {format: orc}\n",
                 "config.yaml: key 'input.format': expected hdf5 or parquet, "
                 "got 'orc'");
    expect_error("input: sample.h5\n", "config.yaml: key 'input': expected a mapping, got a single "
                                       "value");
    expect_error("output: {format: json}\n",
                 "config.yaml: key 'output.format': expected csv, parquet or "
                 "postgres, got 'json'");
    expect_error("enabled_tag_keys: [app, [x]]\n",
                 "config.yaml: key 'enabled_tag_keys[1]': expected a tag key, "
                 "got a list");
    expect_error("enabled_tag_keys: [app, '']\n",
                 "config.yaml: key 'enabled_tag_keys[1]': a tag key must not be "
                 "empty");
    expect_error("threads: 1\nthreads: 2\n", "config.yaml: key 'threads': given twice");
    /* Missing required values surface in cfg_validate. */
    expect_error("source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n",
                 "config.yaml: key 'cluster_id': required value missing");
    expect_error("cluster_id: ''\n", "config.yaml: key 'cluster_id': required value missing");
    expect_error("cluster_id: c\n", "config.yaml: key 'source_uuid': required value missing");
    expect_error("cluster_id: c\n"
                 "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                 "input: {path: a.h5}\n",
                 "config.yaml: key 'output.path': required value missing");
    expect_error("cluster_id: c\n"
                 "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                 "input: {path: a.h5}\n"
                 "output: {path: o.csv, partitioned: true}\n",
                 "config.yaml: key 'output.partitioned': needs output.format "
                 "parquet");
    /* Document-level problems. */
    expect_error("cluster_id: [a\n", "config.yaml: line 2, column 1: YAML syntax error: did not "
                                     "find expected ',' or ']' while parsing a flow sequence");
    expect_error("- a\n- b\n", "config.yaml: expected a mapping of keys at the top level, "
                               "got a list");
    expect_error("cluster_id: a\n---\ncluster_id: b\n",
                 "config.yaml: more than one YAML document; expected one");
    expect_error("? [a]\n: b\n", "config.yaml: key '(top level)': a key must be text, not a "
                                 "list");
}

static void test_file(void)
{
    struct cfg c;
    struct ocp_error err;
    char msg[1024], path[256];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/test_config_%ld.yaml", (long)getpid());
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(minimal_yaml, f);
    fclose(f);
    cfg_init(&c);
    CHECK_INT(cfg_load_file(&c, path, &err), OCP_OK);
    CHECK_STR(c.source_name, path);
    CHECK_STR(c.cluster_id, "c1");
    cfg_release(&c);
    remove(path);

    cfg_init(&c);
    ocp_error_clear(&err);
    CHECK_INT(cfg_load_file(&c, "/nonexistent/ocpagg.yaml", &err), OCP_ERR_CONFIG);
    ocp_error_format(&err, msg, sizeof msg);
    CHECK_STR(msg, "/nonexistent/ocpagg.yaml: cannot open the config file: "
                   "No such file or directory");
    cfg_release(&c);
}

static void expect_set_error(struct cfg *c, const char *key, const char *value, const char *want)
{
    struct ocp_error err;
    char msg[1024];

    ocp_error_clear(&err);
    CHECK_INT(cfg_set(c, key, value, &err), OCP_ERR_CONFIG);
    ocp_error_format(&err, msg, sizeof msg);
    CHECK_STR(msg, want);
}

static void test_set(void)
{
    struct cfg c;
    struct ocp_error err;
    char msg[1024];

    CHECK_INT(load_validate(&c, minimal_yaml, msg, sizeof msg), OCP_OK);
    CHECK_INT(cfg_set(&c, "threads", "8", &err), OCP_OK);
    CHECK_INT(c.threads, 8);
    /* Not UTF-8: refused, naming the key; the value stays. */
    CHECK_INT(cfg_set(&c, "cluster_id",
                      "a\xff"
                      "b",
                      &err),
              OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "is not UTF-8 text (byte 1)") != NULL);
    CHECK_STR(c.cluster_id, "c1");
    CHECK_INT(cfg_set(&c, "chunk_rows", "65536", &err), OCP_OK);
    CHECK_INT(c.chunk_rows, 65536);
    CHECK_INT(cfg_set(&c, "start_date", "2025-10-01", &err), OCP_OK);
    CHECK_INT(c.has_start_date, 1);
    CHECK_INT(c.start_date, D_2025_10_01);
    CHECK_INT(cfg_set(&c, "end_date", "2025-11-30", &err), OCP_OK);
    CHECK_INT(c.end_date, D_2025_11_30);
    CHECK_INT(cfg_set(&c, "start_date", "", &err), OCP_OK);
    CHECK_INT(c.has_start_date, 0);
    CHECK_INT(cfg_set(&c, "input.format", "parquet", &err), OCP_OK);
    CHECK_INT(c.input_format, CFG_INPUT_PARQUET);
    CHECK_INT(cfg_set(&c, "input.path", "/data", &err), OCP_OK);
    CHECK_STR(c.input_path, "/data");
    CHECK_INT(cfg_set(&c, "input.tables.node_labels", "nl", &err), OCP_OK);
    CHECK_STR(c.tables[OCP_TABLE_NODE_LABELS], "nl");
    CHECK_INT(cfg_set(&c, "strict", "true", &err), OCP_OK);
    CHECK_INT(c.strict, 1);
    CHECK_INT(cfg_set(&c, "progress_seconds", "0", &err), OCP_OK);
    CHECK_DBL(c.progress_seconds, 0.0, 0);

    /* Derived values follow their source; explicit ones stay. */
    CHECK_INT(cfg_set(&c, "output.path", "res/r.v1.csv", &err), OCP_OK);
    CHECK_STR(c.summary_path, "res/r.v1.summary.json");
    CHECK_INT(cfg_set(&c, "output.path", "res.d/parts/", &err), OCP_OK);
    CHECK_STR(c.summary_path, "res.d/parts.summary.json");
    CHECK_INT(cfg_set(&c, "output.path", ".hidden", &err), OCP_OK);
    CHECK_STR(c.summary_path, ".hidden.summary.json");
    CHECK_INT(cfg_set(&c, "output.summary", "s.json", &err), OCP_OK);
    CHECK_INT(cfg_set(&c, "output.path", "o.csv", &err), OCP_OK);
    CHECK_STR(c.summary_path, "s.json");
    CHECK_INT(cfg_set(&c, "cluster_id", "c2", &err), OCP_OK);
    CHECK_STR(c.cluster_alias, "c2");
    CHECK_INT(cfg_set(&c, "cluster_alias", "Nice", &err), OCP_OK);
    CHECK_INT(cfg_set(&c, "cluster_id", "c3", &err), OCP_OK);
    CHECK_STR(c.cluster_id, "c3");
    CHECK_STR(c.cluster_alias, "Nice");

    /* Lists take comma-separated text and replace the old list. */
    CHECK_INT(cfg_set(&c, "enabled_tag_keys", "app, tier, app,env", &err), OCP_OK);
    CHECK_INT(c.n_tag_keys, 3);
    CHECK_STR(c.tag_keys[1], "tier");
    CHECK_STR(c.tag_keys[2], "env");
    CHECK_INT(cfg_set(&c, "cost_categories", "openshift-%=1, kube-_ = 22", &err), OCP_OK);
    CHECK_INT(c.n_cost_categories, 2);
    CHECK_STR(c.cost_categories[1].pattern, "kube-_");
    CHECK_INT(c.cost_categories[1].id, 22);
    CHECK_INT(cfg_set(&c, "node_roles", "m0=master,w1=worker", &err), OCP_OK);
    CHECK_INT(c.n_node_roles, 2);
    CHECK_STR(c.node_roles[1].node, "w1");
    CHECK_STR(c.node_roles[1].role, "worker");
    CHECK_INT(cfg_set(&c, "node_roles", "", &err), OCP_OK);
    CHECK_INT(c.n_node_roles, 0);
    CHECK_INT(cfg_validate(&c, &err), OCP_OK);

    expect_set_error(&c, "threads", "-3",
                     "command line: key 'threads': must be between 0 and "
                     "4096, got -3");
    expect_set_error(&c, "threads", "many",
                     "command line: key 'threads': expected an integer, got "
                     "'many'");
    expect_set_error(&c, "output.colour", "x", "command line: key 'output.colour': unknown key");
    expect_set_error(&c, "threads.x", "1", "command line: key 'threads.x': unknown key");
    expect_set_error(&c, "input", "x",
                     "command line: key 'input': is a section; set one of its "
                     "keys instead");
    expect_set_error(&c, "end_date", "30.11.2025",
                     "command line: key 'end_date': expected a date "
                     "YYYY-MM-DD, got '30.11.2025'");
    expect_set_error(&c, "cost_categories", "a=1,b",
                     "command line: key 'cost_categories[1]': expected "
                     "pattern=id, got 'b'");
    expect_set_error(&c, "cost_categories", "a=x",
                     "command line: key 'cost_categories[0].id': expected an "
                     "integer, got 'x'");
    expect_set_error(&c, "node_roles", "n=boss",
                     "command line: key 'node_roles.n': expected master, infra "
                     "or worker, got 'boss'");
    expect_set_error(&c, "node_roles", "n=master,n=infra",
                     "command line: key 'node_roles.n': node given twice");
    /* A failed override leaves the earlier value. */
    CHECK_INT(c.threads, 8);

    /* An override can break a rule only validation sees. */
    CHECK_INT(cfg_set(&c, "start_date", "2025-12-01", &err), OCP_OK);
    ocp_error_clear(&err);
    CHECK_INT(cfg_validate(&c, &err), OCP_ERR_CONFIG);
    ocp_error_format(&err, msg, sizeof msg);
    CHECK_STR(msg, "config.yaml: key 'end_date': 2025-11-30 is before "
                   "start_date 2025-12-01");
    cfg_release(&c);
}

/* Field-by-field equality of two configs. */
static int cfg_equal(const struct cfg *a, const struct cfg *b)
{
#define SEQ(x, y) ((x) == NULL ? (y) == NULL : (y) != NULL && strcmp(x, y) == 0)
    if (!SEQ(a->cluster_id, b->cluster_id) || !SEQ(a->cluster_alias, b->cluster_alias) ||
        !SEQ(a->source_uuid, b->source_uuid) || a->report_period_id != b->report_period_id ||
        a->has_start_date != b->has_start_date || a->has_end_date != b->has_end_date ||
        a->start_date != b->start_date || a->end_date != b->end_date ||
        a->input_format != b->input_format || !SEQ(a->input_path, b->input_path) ||
        a->n_tag_keys != b->n_tag_keys || a->n_cost_categories != b->n_cost_categories ||
        a->n_node_roles != b->n_node_roles || a->threads != b->threads ||
        a->chunk_rows != b->chunk_rows || a->strict != b->strict ||
        !SEQ(a->output_path, b->output_path) || a->output_format != b->output_format ||
        !SEQ(a->summary_path, b->summary_path) || a->output_partitioned != b->output_partitioned ||
        a->progress_seconds != b->progress_seconds)
        return 0;
    for (int t = 0; t < OCP_TABLE_COUNT; t++)
        if (!SEQ(a->tables[t], b->tables[t]))
            return 0;
    for (size_t i = 0; i < a->n_tag_keys; i++)
        if (!SEQ(a->tag_keys[i], b->tag_keys[i]))
            return 0;
    for (size_t i = 0; i < a->n_cost_categories; i++)
        if (!SEQ(a->cost_categories[i].pattern, b->cost_categories[i].pattern) ||
            a->cost_categories[i].id != b->cost_categories[i].id)
            return 0;
    for (size_t i = 0; i < a->n_node_roles; i++)
        if (!SEQ(a->node_roles[i].node, b->node_roles[i].node) ||
            !SEQ(a->node_roles[i].role, b->node_roles[i].role))
            return 0;
    return 1;
#undef SEQ
}

static void test_serialize(void)
{
    struct cfg a, b;
    struct ocp_error err;
    unsigned char *buf = NULL;
    size_t len = 0;
    char msg[1024];
    int damaged_ok = 1;

    CHECK_INT(load_validate(&a, full_yaml, msg, sizeof msg), OCP_OK);
    CHECK_INT(cfg_serialize(&a, &buf, &len), OCP_OK);
    cfg_init(&b);
    CHECK_INT(cfg_deserialize(&b, buf, len, &err), OCP_OK);
    CHECK(cfg_equal(&a, &b));
    CHECK_STR(b.source_name, "config.yaml");
    CHECK_INT(cfg_validate(&b, &err), OCP_OK);

    /* Every truncation and a flipped magic byte are refused, and b keeps
     * its earlier (good) contents. */
    for (size_t n = 0; n < len; n++)
        if (cfg_deserialize(&b, buf, n, &err) != OCP_ERR_CONFIG)
            damaged_ok = 0;
    CHECK(damaged_ok);
    buf[0] ^= 1;
    CHECK_INT(cfg_deserialize(&b, buf, len, &err), OCP_ERR_CONFIG);
    buf[0] ^= 1;
    /* A huge string length right after the magic. */
    memset(buf + 8, 0x7f, 8);
    CHECK_INT(cfg_deserialize(&b, buf, len, &err), OCP_ERR_CONFIG);
    CHECK(cfg_equal(&a, &b));
    free(buf);

    /* Any single flipped bit either reads as some config or is refused;
     * it never crashes (this is what ASan builds check). */
    CHECK_INT(cfg_serialize(&a, &buf, &len), OCP_OK);
    damaged_ok = 1;
    for (size_t n = 0; n < len; n++) {
        for (int bit = 0; bit < 8; bit += 3) {
            int rc;
            buf[n] ^= (unsigned char)(1u << bit);
            rc = cfg_deserialize(&b, buf, len, &err);
            if (rc != OCP_OK && rc != OCP_ERR_CONFIG)
                damaged_ok = 0;
            buf[n] ^= (unsigned char)(1u << bit);
        }
    }
    CHECK(damaged_ok);
    free(buf);
    cfg_release(&b);

    /* A config with NULLs and empty lists round-trips too. */
    cfg_release(&a);
    cfg_init(&a);
    CHECK_INT(cfg_serialize(&a, &buf, &len), OCP_OK);
    cfg_init(&b);
    CHECK_INT(cfg_deserialize(&b, buf, len, &err), OCP_OK);
    CHECK(cfg_equal(&a, &b));
    CHECK(b.cluster_id == NULL && b.source_name == NULL);
    free(buf);
    cfg_release(&a);
    cfg_release(&b);
}

static void test_json(void)
{
    struct cfg a, b;
    struct ocp_error err;
    char msg[1024];
    char *json;

    CHECK_INT(load_validate(&a, full_yaml, msg, sizeof msg), OCP_OK);
    json = cfg_to_json(&a);
    CHECK(json != NULL);
    if (json == NULL)
        return;
    CHECK_STR(json, "{\"cluster_id\":\"my-cluster\",\"cluster_alias\":\"My Cluster\","
                    "\"source_uuid\":\"6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\","
                    "\"report_period_id\":7,\"start_date\":\"2025-11-01\","
                    "\"end_date\":\"2025-11-30\",\"input\":{\"format\":\"parquet\","
                    "\"path\":\"/data/koku\",\"tables\":{\"pod_usage\":\"pods\","
                    "\"storage_usage\":\"/abs/storage\","
                    "\"node_labels\":\"openshift_node_labels_line_items\","
                    "\"namespace_labels\":\"openshift_namespace_labels_line_items\"},"
                    "\"optional_tables\":[\"storage_usage\"],\"verify_crc\":true},"
                    "\"enabled_tag_keys\":[\"app\",\"environment\"],"
                    "\"cost_categories\":[{\"pattern\":\"openshift-%\",\"id\":1},"
                    "{\"pattern\":\"kube-_\",\"id\":-2}],"
                    "\"node_roles\":{\"master-0\":\"master\","
                    "\"ip-10-0-1-2.ec2.internal\":\"infra\"},\"threads\":3,"
                    "\"chunk_rows\":4096,\"strict\":true,\"output\":{\"path\":"
                    "\"out/x.parquet\",\"format\":\"parquet\",\"summary\":"
                    "\"out/sum.json\",\"partitioned\":true},\"progress_seconds\":2.5}");

    /* JSON is YAML: the summary's config loads back to the same config. */
    cfg_init(&b);
    CHECK_INT(cfg_load_string(&b, json, strlen(json), "summary.json", &err), OCP_OK);
    CHECK(cfg_equal(&a, &b));
    free(json);
    cfg_release(&b);
    cfg_release(&a);

    /* Unset dates are null. */
    cfg_init(&a);
    json = cfg_to_json(&a);
    CHECK(json != NULL && strstr(json, "\"start_date\":null") != NULL);
    CHECK(json != NULL && strstr(json, "\"cluster_id\":null") != NULL);
    free(json);
    cfg_release(&a);
}

/* The shipped default config loads and validates (run from any cwd). */
static void test_shipped_configs(void)
{
    const char *data = getenv("OCPAGG_TEST_DATA");
    const char *names[] = {"ocpagg.yaml", "example-parquet.yaml"};
    char path[1024];
    struct cfg c;
    struct ocp_error err;

    if (data == NULL) {
        SKIP("OCPAGG_TEST_DATA not set");
        return;
    }
    unsetenv("OCPAGG_INPUT");
    unsetenv("OCPAGG_OUTPUT");
    unsetenv("OCPAGG_THREADS");
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/../../config/%s", data, names[i]);
        cfg_init(&c);
        ocp_error_clear(&err);
        CHECK_INT(cfg_load_file(&c, path, &err), OCP_OK);
        if (err.code)
            fprintf(stderr, "%s: %s\n", err.file, err.message);
        CHECK_INT(cfg_validate(&c, &err), OCP_OK);
        if (i == 0) {
            CHECK_STR(c.input_path, "sample/ocp.h5");
            CHECK_INT(c.input_format, CFG_INPUT_HDF5);
            CHECK_STR(c.output_path, "out/report.csv");
            CHECK_STR(c.summary_path, "out/report.summary.json");
            CHECK_INT(c.n_tag_keys, 3);
            CHECK(c.n_cost_categories >= 2);
        } else {
            CHECK_INT(c.input_format, CFG_INPUT_PARQUET);
            CHECK_INT(c.output_format, CFG_OUTPUT_PARQUET);
        }
        cfg_release(&c);
    }
}

/* Issue 11 item 5: the input keys for optional tables and CRC checks. */
static void test_input_keys(void)
{
    struct cfg c;
    struct ocp_error err;
    char msg[1024];

    /* Default: only the storage table optional, CRCs verified. */
    CHECK_INT(load_validate(&c, minimal_yaml, msg, sizeof msg), OCP_OK);
    CHECK_INT(c.optional_tables, 1u << OCP_TABLE_STORAGE);
    CHECK_INT(c.verify_crc, 1);
    cfg_release(&c);

    CHECK_INT(load_validate(&c,
                            "cluster_id: c1\n"
                            "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                            "input:\n  path: d\n  verify_crc: no\n"
                            "  optional_tables: [node_labels, namespace_labels, "
                            "node_labels]\n"
                            "output:\n  path: o.csv\n",
                            msg, sizeof msg),
              OCP_OK);
    CHECK_INT(c.verify_crc, 0);
    CHECK_INT(c.optional_tables,
              (1u << OCP_TABLE_NODE_LABELS) | (1u << OCP_TABLE_NAMESPACE_LABELS));
    {
        /* Both keys survive the broadcast and the JSON summary. */
        unsigned char *buf = NULL;
        size_t len = 0;
        struct cfg d;
        char *json = cfg_to_json(&c);
        CHECK(json != NULL && strstr(json, "\"optional_tables\":[\"node_labels"
                                           "\",\"namespace_labels\"],"
                                           "\"verify_crc\":false") != NULL);
        free(json);
        CHECK_INT(cfg_serialize(&c, &buf, &len), OCP_OK);
        cfg_init(&d);
        CHECK_INT(cfg_deserialize(&d, buf, len, &err), OCP_OK);
        CHECK_INT(d.verify_crc, 0);
        CHECK_INT(d.optional_tables, c.optional_tables);
        cfg_release(&d);
        free(buf);
    }
    CHECK_INT(cfg_set(&c, "input.optional_tables", "storage_usage", &err), OCP_OK);
    CHECK_INT(c.optional_tables, 1u << OCP_TABLE_STORAGE);
    CHECK_INT(cfg_set(&c, "input.verify_crc", "true", &err), OCP_OK);
    CHECK_INT(c.verify_crc, 1);
    /* output.shared_write: on by default, off by key, carried to the
     * other ranks and into a CSV run's summary. */
    CHECK_INT(c.output_shared_write, 1);
    CHECK_INT(cfg_set(&c, "output.shared_write", "false", &err), OCP_OK);
    CHECK_INT(c.output_shared_write, 0);
    {
        unsigned char *buf = NULL;
        size_t len = 0;
        struct cfg d;
        char *json = cfg_to_json(&c);
        CHECK(json != NULL && strstr(json, "\"shared_write\":false") != NULL);
        free(json);
        CHECK_INT(cfg_serialize(&c, &buf, &len), OCP_OK);
        cfg_init(&d);
        CHECK_INT(cfg_deserialize(&d, buf, len, &err), OCP_OK);
        CHECK_INT(d.output_shared_write, 0);
        cfg_release(&d);
        free(buf);
    }
    expect_set_error(&c, "output.shared_write", "maybe",
                     "command line: key 'output.shared_write': expected true or false, "
                     "got 'maybe'");
    expect_set_error(&c, "input.optional_tables", "pod_usage",
                     "command line: key 'input.optional_tables[0]': pod_usage "
                     "is always required");
    expect_set_error(&c, "input.optional_tables", "node_labels,,storage_usage",
                     "command line: key 'input.optional_tables[1]': empty item "
                     "in the comma-separated list");
    /* An empty list makes every table required; "~" is the default. */
    CHECK_INT(cfg_set(&c, "input.optional_tables", "", &err), OCP_OK);
    CHECK_INT(c.optional_tables, 1u << OCP_TABLE_STORAGE);
    cfg_release(&c);
    CHECK_INT(load_validate(&c,
                            "cluster_id: c1\n"
                            "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                            "input:\n  path: d\n  optional_tables: []\n"
                            "output:\n  path: o.csv\n",
                            msg, sizeof msg),
              OCP_OK);
    CHECK_INT(c.optional_tables, 0);
    cfg_release(&c);

    expect_error("input:\n  optional_tables: [node_lables]\n",
                 "config.yaml: key 'input.optional_tables[0]': expected "
                 "storage_usage, node_labels or namespace_labels, got "
                 "'node_lables'");
    expect_error("input:\n  optional_tables: [pod_usage]\n",
                 "config.yaml: key 'input.optional_tables[0]': pod_usage is "
                 "always required");
    expect_error("input:\n  optional_tables: node_labels\n",
                 "config.yaml: key 'input.optional_tables': expected a list, "
                 "got a single value");
    expect_error("input:\n  verify_crc: sometimes\n",
                 "config.yaml: key 'input.verify_crc': expected true or false, "
                 "got 'sometimes'");
}

/* Issue 11 item 11: the command line refuses the empty tag key the file
 * refuses; deep nesting and long key lists are fast. */
static void test_rough_edges(void)
{
    struct cfg c;
    struct ocp_error err;
    char msg[1024];
    size_t n = 262144, used = 0, cap = n * 16 + 64;
    char *yaml;

    CHECK_INT(load_validate(&c, minimal_yaml, msg, sizeof msg), OCP_OK);
    expect_set_error(&c, "enabled_tag_keys", "app,,env",
                     "command line: key 'enabled_tag_keys[1]': empty item in "
                     "the comma-separated list");
    expect_set_error(&c, "enabled_tag_keys", "app,",
                     "command line: key 'enabled_tag_keys[1]': empty item in "
                     "the comma-separated list");
    expect_set_error(&c, "cost_categories", "a=1,,b=2",
                     "command line: key 'cost_categories[1]': empty item in "
                     "the comma-separated list");
    CHECK_INT(cfg_set(&c, "enabled_tag_keys", "b,a,b,c,a", &err), OCP_OK);
    CHECK_INT(c.n_tag_keys, 3);
    CHECK_STR(c.tag_keys[0], "b");
    CHECK_STR(c.tag_keys[1], "a");
    CHECK_STR(c.tag_keys[2], "c");
    cfg_release(&c);

    /* 100 000 nested '[' took over a minute in libyaml's scanner. */
    {
        size_t depth = 100000;
        char *deep = malloc(2 * depth + 32);
        CHECK(deep != NULL);
        if (deep != NULL) {
            size_t k = (size_t)sprintf(deep, "enabled_tag_keys: ");
            memset(deep + k, '[', depth);
            memset(deep + k + depth, ']', depth);
            deep[k + 2 * depth] = '\n';
            deep[k + 2 * depth + 1] = '\0';
            expect_error(deep, "config.yaml: line 1, column 82: collections "
                               "nested more than 64 deep");
            free(deep);
        }
    }

    /* 262 144 keys (one repeated) load and keep the first of each. */
    yaml = malloc(cap);
    CHECK(yaml != NULL);
    if (yaml == NULL)
        return;
    used = (size_t)snprintf(yaml, cap, "enabled_tag_keys:\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(yaml + used, cap - used, "- k%zu\n",
                                 i == n - 1 ? (size_t)0 : (i * 7919) % n);
    cfg_init(&c);
    ocp_error_clear(&err);
    CHECK_INT(cfg_load_string(&c, yaml, used, "config.yaml", &err), OCP_OK);
    CHECK_INT(c.n_tag_keys, n - 1);
    CHECK_STR(c.tag_keys[0], "k0");
    CHECK_STR(c.tag_keys[1], "k7919");
    cfg_release(&c);
    free(yaml);
}

int main(void)
{
    RUN(test_full_file);
    RUN(test_defaults);
    RUN(test_env);
    RUN(test_errors);
    RUN(test_file);
    RUN(test_set);
    RUN(test_serialize);
    RUN(test_json);
    RUN(test_shipped_configs);
    RUN(test_input_keys);
    RUN(test_rough_edges);
    return TEST_SUMMARY();
}
