/*
 * test_pq_fuzz_regress.c - replays the inputs the fuzzer (fuzz/pq_fuzz.c)
 * found through the same walk (pq_walk.h): every file in tests/data/fuzz/
 * must read completely or end in a clean error (a data or unsupported
 * code with a message naming the file), with every promise of parquet.h
 * kept, and without a crash, leak or undefined behaviour when built with
 * -DOCPAGG_ASAN=ON -DOCPAGG_UBSAN=ON.  A file whose name contains ".ok."
 * must read without any error.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_walk.h"
#include "testlib.h"

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay(const char *dir, const char *name)
{
    char path[2048];
    struct pqw_result res;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    rc = pqw_walk(path, NULL, &res);
    if (rc == PQW_BROKEN)
        fprintf(stderr, "%s: %s\n", name, res.why);
    CHECK(rc != PQW_BROKEN);
    if (strstr(name, ".ok.") != NULL) {
        CHECK_INT(rc, OCP_OK);
        CHECK_INT(res.reads_failed, 0);
    } else {
        CHECK(rc == OCP_OK || rc == OCP_ERR_DATA || rc == OCP_ERR_UNSUPPORTED);
    }
    if (rc != OCP_OK && rc != PQW_BROKEN) {
        char msg[2048];
        ocp_error_format(&res.err, msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", name, msg);
        CHECK_STR(res.err.file, path);
    }
}

static void test_replay(void)
{
    const char *data = getenv("OCPAGG_TEST_DATA");
    char dir[1024];
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "%s/fuzz", data != NULL ? data : "tests/data");
    d = opendir(dir);
    if (d == NULL) {
        SKIP("no tests/data/fuzz directory");
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".parquet") == NULL)
            continue;
        if (n == cap) {
            char **grown;
            cap = cap ? cap * 2 : 16;
            grown = realloc(names, cap * sizeof *names);
            CHECK(grown != NULL);
            if (grown == NULL)
                break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        CHECK(names[n] != NULL);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    if (n == 0)
        SKIP("tests/data/fuzz holds no .parquet file");
    /* A fixed order, so that a failure reads the same on every machine. */
    if (n > 0)
        qsort(names, n, sizeof *names, name_cmp);
    for (i = 0; i < n; i++) {
        replay(dir, names[i]);
        free(names[i]);
    }
    free(names);
}

int main(void)
{
    RUN(test_replay);
    return TEST_SUMMARY();
}
