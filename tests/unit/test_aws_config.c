/*
 * test_aws_config.c - the OCP-on-AWS config keys (src/config/cfg_aws.c):
 * YAML and --set forms, defaults, bad values naming the key, the
 * serialized form the driver broadcasts, and the list splitter.
 */
#include <stdlib.h>
#include <string.h>

#include "ocpagg/config.h"
#include "testlib.h"

static const char base[] = "cluster_id: c1\n"
                           "source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11\n"
                           "output: {path: /tmp/out.csv}\n";

static void test_keys(void)
{
    struct cfg c, d;
    struct ocp_error e;
    unsigned char *buf = NULL;
    size_t len = 0;
    char y[1024];
    char *json;

    cfg_init(&c);
    CHECK_STR(c.aws_table, "aws_line_items");
    CHECK(c.aws_source_uuid == NULL);
    snprintf(y, sizeof y,
             "%saws:\n  source_uuid: 00000000-0000-0000-0000-0000000000a1\n  bill_id: 7\n"
             "  markup_percent: 12.5\n  enabled_tag_keys: \"app, team\"\n"
             "  distribution: memory\n  account_aliases: \"111=42, 222=7\"\n"
             "input:\n  format: parquet\n  path: /tmp/in\n  tables: {aws_line_items: cur}\n",
             base);
    CHECK_INT(cfg_load_string(&c, y, strlen(y), "t.yaml", &e), OCP_OK);
    CHECK_STR(c.aws_source_uuid, "00000000-0000-0000-0000-0000000000a1");
    CHECK_INT(c.aws_has_bill_id, 1);
    CHECK_INT(c.aws_bill_id, 7);
    CHECK_DBL(c.aws_markup_percent, 12.5, 0);
    CHECK_STR(c.aws_tag_keys, "app, team");
    CHECK_INT(c.aws_distribution_memory, 1);
    CHECK_STR(c.aws_account_aliases, "111=42, 222=7");
    CHECK_STR(c.aws_table, "cur");
    CHECK_INT(cfg_validate(&c, &e), OCP_OK);
    json = cfg_to_json(&c);
    CHECK(json != NULL && strstr(json, "\"aws\":{\"table\":\"cur\"") != NULL);
    free(json);
    CHECK_INT(cfg_serialize(&c, &buf, &len), OCP_OK);
    cfg_init(&d);
    CHECK_INT(cfg_deserialize(&d, buf, len, &e), OCP_OK);
    CHECK_STR(d.aws_source_uuid, c.aws_source_uuid);
    CHECK_STR(d.aws_tag_keys, "app, team");
    CHECK_STR(d.aws_account_aliases, "111=42, 222=7");
    CHECK_DBL(d.aws_markup_percent, 12.5, 0);
    CHECK_INT(d.aws_bill_id, 7);
    CHECK_INT(d.aws_distribution_memory, 1);
    CHECK_STR(d.aws_table, "cur");
    free(buf);
    cfg_release(&d);
    /* --set form and resets */
    CHECK_INT(cfg_set(&c, "aws.distribution", "cpu", &e), OCP_OK);
    CHECK_INT(c.aws_distribution_memory, 0);
    CHECK_INT(cfg_set(&c, "aws.bill_id", "", &e), OCP_OK);
    CHECK_INT(c.aws_has_bill_id, 0);
    /* bad values name the key */
    CHECK_INT(cfg_set(&c, "aws.distribution", "weighted", &e), OCP_ERR_CONFIG);
    CHECK(strstr(e.message, "cpu or memory") != NULL);
    CHECK_INT(cfg_set(&c, "aws.source_uuid", "nope", &e), OCP_ERR_CONFIG);
    CHECK_INT(cfg_set(&c, "aws.markup_percent", "ten", &e), OCP_ERR_CONFIG);
    CHECK_INT(cfg_set(&c, "aws.account_aliases", "111=x", &e), OCP_ERR_CONFIG);
    CHECK_INT(cfg_set(&c, "aws.enabled_tag_keys", "app,,team", &e), OCP_ERR_CONFIG);
    CHECK_INT(cfg_set(&c, "aws.bill_id", "7.5", &e), OCP_ERR_CONFIG);
    /* HDF5 input cannot carry the CUR */
    CHECK_INT(cfg_set(&c, "input.format", "hdf5", &e), OCP_OK);
    CHECK_INT(cfg_validate(&c, &e), OCP_ERR_CONFIG);
    cfg_release(&c);
}

static void test_split(void)
{
    char **items;
    size_t n;
    CHECK_INT(cfg_aws_split(" app , team,x ", &items, &n), OCP_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(items[0], "app");
        CHECK_STR(items[1], "team");
        CHECK_STR(items[2], "x");
    }
    cfg_aws_split_free(items, n);
    CHECK_INT(cfg_aws_split(NULL, &items, &n), OCP_OK);
    CHECK_INT(n, 0);
}

int main(void)
{
    RUN(test_keys);
    RUN(test_split);
    return TEST_SUMMARY();
}
