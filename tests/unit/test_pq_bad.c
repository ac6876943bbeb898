/*
 * test_pq_bad.c - the Parquet reader on broken input: every file of
 * parquet-testing's bad_data/ and nation.dict-malformed.parquet ends in a
 * clear error naming the file (never a crash, hang or leak under ASan and
 * UBSan); every file of data/ decodes completely with CRC checking on
 * (except the two whose CRCs are wrong on purpose); and small files with
 * each byte flipped or the tail cut off fail cleanly or read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/parquet.h"
#include "testlib.h"

static char root[1024];

/* Reads every column of every row group (MAPs also as label text), and
 * every table-adapter view; returns the first error. */
static int read_all(const char *path, int crc, int skip_huge, struct ocp_error *err)
{
    struct pq_open_options opt;
    struct pq_file *f = NULL;
    struct ocp_arena arena;
    int rc, rg, c;

    pq_open_options_init(&opt);
    opt.check_crc = crc;
    ocp_error_clear(err);
    rc = pq_file_open(path, &opt, &f, err);
    if (rc != OCP_OK)
        return rc;
    ocp_arena_init(&arena, 0);
    for (rg = 0; rg < pq_file_num_row_groups(f) && rc == OCP_OK; rg++) {
        for (c = 0; c < pq_file_num_columns(f) && rc == OCP_OK; c++) {
            const struct pq_colinfo *ci = pq_file_column(f, c);
            struct pq_colvalues v;
            struct pq_colstats st;
            if (skip_huge && ci->type == PQ_BYTE_ARRAY && ci->shape == PQ_SHAPE_MAP_KEY)
                continue;
            rc = pq_column_read(f, rg, c, 0, -1, &arena, &v, err);
            if (rc == OCP_OK && ci->shape == PQ_SHAPE_MAP_KEY) {
                struct ocp_strcol m;
                int r2 = pq_map_read_json(f, rg, c, 0, -1, &arena, &m, err);
                /* A MAP of non-scalars is merely unsupported. */
                if (r2 != OCP_OK && r2 != OCP_ERR_UNSUPPORTED)
                    rc = r2;
            }
            if (rc == OCP_OK)
                rc = pq_column_stats(f, rg, c, &st, err);
            ocp_arena_reset(&arena);
        }
    }
    ocp_arena_release(&arena);
    pq_file_close(f);
    return rc;
}

static void test_bad_data(void)
{
    static const char *files[] = {
        "bad_data/PARQUET-1481.parquet",
        "bad_data/ARROW-RS-GH-6229-DICTHEADER.parquet",
        "bad_data/ARROW-RS-GH-6229-LEVELS.parquet",
        "bad_data/ARROW-GH-41321.parquet",
        "bad_data/ARROW-GH-41317.parquet",
        "bad_data/ARROW-GH-45185.parquet",
        "bad_data/ARROW-GH-47662.parquet",
        "data/nation.dict-malformed.parquet",
    };
    size_t k;
    char path[2048];

    for (k = 0; k < sizeof files / sizeof files[0]; k++) {
        struct ocp_error err;
        int rc;
        snprintf(path, sizeof path, "%s/%s", root, files[k]);
        rc = read_all(path, 0, 0, &err);
        fprintf(stderr, "  %s -> %d: %s\n", files[k], rc, err.message);
        CHECK(rc != OCP_OK);
        CHECK(rc == OCP_ERR_DATA || rc == OCP_ERR_UNSUPPORTED);
        CHECK_STR(err.file, path);
        CHECK(err.message[0] != '\0');
    }
    /* ARROW-GH-43605 is listed among the bad files, but its dictionary
     * indices with bit width 0 are valid per the spec (every index is 0);
     * pyarrow and parquet-java read it too: 21,186 zeros. */
    {
        struct pq_file *f = NULL;
        struct ocp_arena arena;
        struct pq_colvalues v;
        struct ocp_error err;
        int64_t i, nz = 0;
        snprintf(path, sizeof path, "%s/bad_data/ARROW-GH-43605.parquet", root);
        ocp_arena_init(&arena, 0);
        CHECK_INT(pq_file_open(path, NULL, &f, &err), OCP_OK);
        if (f != NULL && pq_column_read(f, 0, 0, 0, -1, &arena, &v, &err) == OCP_OK) {
            CHECK_INT(v.nrows, 21186);
            for (i = 0; i < v.nrows; i++)
                nz += ((const int32_t *)v.values)[i] != 0;
            CHECK_INT(nz, 0);
        }
        pq_file_close(f);
        ocp_arena_release(&arena);
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_all_data(void)
{
    char d[2048], path[4096];
    DIR *dp;
    struct dirent *e;
    int n = 0;

    snprintf(d, sizeof d, "%s/data", root);
    dp = opendir(d);
    CHECK(dp != NULL);
    if (dp == NULL)
        return;
    while ((e = readdir(dp)) != NULL) {
        struct ocp_error err;
        int rc, want = OCP_OK;
        if (!ends_with(e->d_name, ".parquet"))
            continue;
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        if (strstr(e->d_name, "corrupt-checksum") != NULL ||
            strcmp(e->d_name, "nation.dict-malformed.parquet") == 0)
            want = OCP_ERR_DATA;
        rc = read_all(path, 1, strstr(e->d_name, "large_string_map") != NULL, &err);
        if (rc != want)
            fprintf(stderr, "  %s -> %d (%s)\n", e->d_name, rc, err.message);
        CHECK_INT(rc, want);
        n++;
    }
    closedir(dp);
    CHECK(n >= 60);
}

static int write_bytes(const char *path, const uint8_t *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    size_t w;
    if (fp == NULL)
        return -1;
    w = fwrite(p, 1, n, fp);
    return fclose(fp) == 0 && w == n ? 0 : -1;
}

/* Flips every byte of a small file in turn (and cuts it at every
 * length): whatever happens must be a status, not a crash. */
static void mutate(const char *name, const char *tmp)
{
    char path[2048];
    FILE *fp;
    uint8_t *buf;
    long size;
    size_t i;
    int errors = 0, oks = 0;

    snprintf(path, sizeof path, "%s/data/%s", root, name);
    fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (fp == NULL)
        return;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)size);
    if (buf == NULL || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        CHECK(0);
        fclose(fp);
        free(buf);
        return;
    }
    fclose(fp);
    for (i = 0; i < (size_t)size; i++) {
        struct ocp_error err;
        int rc;
        buf[i] ^= 0x5a;
        if (write_bytes(tmp, buf, (size_t)size) == 0) {
            rc = read_all(tmp, i % 2, 0, &err);
            if (rc == OCP_OK)
                oks++;
            else if (rc == OCP_ERR_DATA || rc == OCP_ERR_UNSUPPORTED)
                errors++;
            else
                fprintf(stderr, "  %s byte %zu: status %d %s\n", name, i, rc, err.message);
        }
        buf[i] ^= 0x5a;
    }
    for (i = 0; i < (size_t)size; i += 7) {
        struct ocp_error err;
        if (write_bytes(tmp, buf, i) == 0)
            CHECK(read_all(tmp, 0, 0, &err) == OCP_ERR_DATA);
    }
    fprintf(stderr, "  %s: %d flips read, %d failed cleanly\n", name, oks, errors);
    CHECK_INT(oks + errors, size);
    free(buf);
}

static void test_mutations(void)
{
    char tmp[] = "/tmp/test_pq_bad.XXXXXX";
    int fd = mkstemp(tmp);

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    mutate("alltypes_plain.parquet", tmp);
    mutate("datapage_v2.snappy.parquet", tmp);
    mutate("nullable.impala.parquet", tmp);
    mutate("incorrect_map_schema.parquet", tmp);
    mutate("delta_encoding_optional_column.parquet", tmp);
    mutate("rle_boolean_encoding.parquet", tmp);
    unlink(tmp);
}

int main(void)
{
    const char *shared = getenv("OCPAGG_TEST_DATA");
    char probe[2048];

    if (shared == NULL) {
        SKIP("OCPAGG_TEST_DATA is not set");
        return TEST_SUMMARY();
    }
    snprintf(root, sizeof root, "%s/parquet-testing", shared);
    snprintf(probe, sizeof probe, "%s/bad_data", root);
    if (access(probe, R_OK) != 0) {
        SKIP("parquet-testing is absent");
        return TEST_SUMMARY();
    }
    RUN(test_bad_data);
    RUN(test_all_data);
    RUN(test_mutations);
    return TEST_SUMMARY();
}
