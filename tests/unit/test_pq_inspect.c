/*
 * test_pq_inspect.c - the ocpagg-inspect tool as a user runs it: schema and
 * row-group listing, rows as CSV (column selection, MAPs as JSON, NULLs as
 * empty fields), and its exit codes (64 usage, 65 bad data, 66 missing
 * file).  Runs the binary from OCPAGG_BUILD on parquet-testing files;
 * skipped when either is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char tool[1024], data[1024];

/* Runs the tool with args; returns its exit status and up to cap bytes of
 * stdout in out. */
static int run(const char *args, char *out, size_t cap)
{
    char cmd[4096];
    FILE *p;
    size_t n;
    int st;

    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>/dev/null", data, tool, args);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_schema(void)
{
    static char out[65536];

    CHECK_INT(run("alltypes_plain.parquet", out, sizeof out), 0);
    CHECK(strstr(out, "rows: 8  row groups: 1  columns: 11") != NULL);
    CHECK(strstr(out, "[10] timestamp_col: INT96 optional def=1 rep=0") != NULL);
    CHECK(strstr(out, "[0] id: UNCOMPRESSED PLAIN,PLAIN_DICTIONARY,RLE values=8") != NULL);
    CHECK_INT(run("nullable.impala.parquet", out, sizeof out), 0);
    CHECK(strstr(out, "int_map.map.key: BYTE_ARRAY STRING required def=2 rep=1 [map key]") != NULL);
    CHECK(strstr(out, "int_array.list.element: INT32 optional def=3 rep=1 [nested]") != NULL);
    CHECK_INT(run("int32_decimal.parquet", out, sizeof out), 0);
    CHECK(strstr(out, "value: INT32 DECIMAL(4,2)") != NULL);
    CHECK(strstr(out, "min=1 max=24") != NULL);
}

static void test_rows(void)
{
    static char out[65536];

    CHECK_INT(run("alltypes_plain.parquet --rows 2 --columns id,float_col,timestamp_col", out,
                  sizeof out),
              0);
    CHECK_STR(out, "id,float_col,timestamp_col\n"
                   "4,0,2009-03-01 00:00:00\n"
                   "5,1.1,2009-03-01 00:01:00\n");
    CHECK_INT(run("nullable.impala.parquet --rows --columns id,int_map", out, sizeof out), 0);
    CHECK_STR(out, "id,int_map\n"
                   "1,\"{\"\"k1\"\":1,\"\"k2\"\":100}\"\n"
                   "2,\"{\"\"k1\"\":2,\"\"k2\"\":null}\"\n"
                   "3,{}\n4,{}\n5,{}\n6,\n"
                   "7,\"{\"\"k1\"\":null,\"\"k3\"\":null}\"\n");
    CHECK_INT(run("sort_columns.parquet --rows", out, sizeof out), 0);
    CHECK_STR(out, "a,b\n,a\n2,b\n1,c\n,a\n2,b\n1,c\n");
}

static void test_exit_codes(void)
{
    static char out[4096];

    CHECK_INT(run("", out, sizeof out), 64);
    CHECK_INT(run("alltypes_plain.parquet --bogus", out, sizeof out), 64);
    CHECK_INT(run("no-such-file.parquet", out, sizeof out), 66);
    CHECK_INT(run("../bad_data/PARQUET-1481.parquet", out, sizeof out), 65);
    CHECK_INT(run("nation.dict-malformed.parquet --rows", out, sizeof out), 65);
    CHECK_INT(run("datapage_v1-corrupt-checksum.parquet --rows --crc", out, sizeof out), 65);
    CHECK_INT(run("alltypes_plain.parquet --rows 1 --columns nope", out, sizeof out), 64);
}

int main(void)
{
    const char *build = getenv("OCPAGG_BUILD"), *shared = getenv("OCPAGG_TEST_DATA");

    if (build == NULL || shared == NULL) {
        SKIP("OCPAGG_BUILD or OCPAGG_TEST_DATA is not set");
        return TEST_SUMMARY();
    }
    snprintf(tool, sizeof tool, "%s/ocpagg-inspect", build);
    snprintf(data, sizeof data, "%s/parquet-testing/data", shared);
    if (access(tool, X_OK) != 0 || access(data, R_OK) != 0) {
        SKIP("ocpagg-inspect or parquet-testing is absent");
        return TEST_SUMMARY();
    }
    RUN(test_schema);
    RUN(test_rows);
    RUN(test_exit_codes);
    return TEST_SUMMARY();
}
