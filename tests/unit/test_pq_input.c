/* test_pq_input.c - input integrity of the Parquet reader (issue 11 items
 * 6-8 and 11): page CRCs checked by default, text that is not UTF-8
 * refused with file/row group/column, table folders whose entries cannot
 * be opened refused by name, and encoding ids the format does not define
 * reported as damage (65) rather than as unsupported (69). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/batch.h"
#include "ocpagg/parquet.h"
#include "ocpagg/pq_writer.h"
#include "ocpagg/text.h"
#include "pq_testwrite.h"
#include "testlib.h"

#define NROWS 64

static char tmpdir[256];

/* ---- the UTF-8 check itself ------------------------------------------ */

static void test_utf8(void)
{
    static const struct {
        const char *s;
        size_t len, want; /* want == len: valid */
    } cases[] = {
        {"", 0, 0},
        {"openshift-monitoring", 20, 20},
        {"caf\xC3\xA9", 5, 5},                /* é */
        {"\xE2\x82\xAC", 3, 3},               /* € */
        {"\xF0\x9F\x98\x80", 4, 4},           /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 4, 4},           /* U+10FFFF */
        {"abc\xFF", 4, 3},                    /* never a lead byte */
        {"\x80", 1, 0},                       /* lone continuation */
        {"\xC0\xAF", 2, 0},                   /* overlong '/' */
        {"\xC1\xBF", 2, 0},                   /* overlong */
        {"\xE0\x80\xAF", 3, 0},               /* overlong 3-byte */
        {"\xED\xA0\x80", 3, 0},               /* surrogate U+D800 */
        {"\xF0\x80\x80\xAF", 4, 0},           /* overlong 4-byte */
        {"\xF4\x90\x80\x80", 4, 0},           /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},           /* lead byte F5 */
        {"ab\xC3", 3, 2},                     /* cut short */
        {"ab\xE2\x82", 4, 2},                 /* cut short */
        {"0123456789abcdef\xC3\x28", 18, 16}, /* bad continuation after
                                                 the 8-byte ASCII path */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = txt_utf8_invalid_at(cases[i].s, cases[i].len);
        if (got != cases[i].want)
            fprintf(stderr, "case %zu\n", i);
        CHECK_INT(got, cases[i].want);
    }
}

/* ---- a namespace_labels file ----------------------------------------- */

struct nsfile {
    int dict;                  /* dictionary pages for the strings */
    int crc;                   /* CRCs in the page headers */
    int map_labels;            /* namespace_labels as MAP<string,string> */
    const char *bad_namespace; /* this text in row 37, NULL: all valid */
    const char *bad_label;     /* this label value in row 37 */
};

/* Writes a namespace_labels table: namespace first (so its first page
 * starts right after "PAR1"), then interval_start and the labels. */
static int write_ns(const char *path, const struct nsfile *o)
{
    static char ns_buf[NROWS][32], lab_buf[NROWS][64];
    static const char *ns[NROWS], *lab[NROWS], *keys[NROWS], *vals[NROWS];
    static int64_t ts[NROWS];
    static uint64_t moff[NROWS + 1];
    struct pq_column_desc cols[3];
    struct pq_column_data data[3];
    struct pq_write_options opt;

    for (int i = 0; i < NROWS; i++) {
        snprintf(ns_buf[i], sizeof ns_buf[i], "project-%d", i % 5);
        ns[i] = ns_buf[i];
        ts[i] = INT64_C(1761955200000000) + (int64_t)(i % 24) * INT64_C(3600000000);
        snprintf(lab_buf[i], sizeof lab_buf[i], "{\"team\":\"t%d\"}", i % 3);
        lab[i] = lab_buf[i];
        keys[i] = "team";
        vals[i] = i % 2 ? "red" : "blue";
        moff[i] = (uint64_t)i;
    }
    moff[NROWS] = NROWS;
    if (o->bad_namespace != NULL)
        ns[37] = o->bad_namespace;
    if (o->bad_label != NULL) {
        lab[37] = o->bad_label;
        vals[37] = o->bad_label;
    }
    memset(cols, 0, sizeof cols);
    memset(data, 0, sizeof data);
    cols[0] = (struct pq_column_desc){
        "namespace", PQ_WT_STRING, 1, 0, 0, o->dict ? PQ_DICT_ON : PQ_DICT_OFF};
    data[0].str.cstr = ns;
    cols[1] =
        (struct pq_column_desc){"interval_start", PQ_WT_TIMESTAMP_MICROS, 0, 1, 0, PQ_DICT_OFF};
    data[1].i64 = ts;
    if (o->map_labels) {
        cols[2] = (struct pq_column_desc){
            "namespace_labels", PQ_WT_MAP, 1, 0, 0, o->dict ? PQ_DICT_ON : PQ_DICT_OFF};
        data[2].map_offsets = moff;
        data[2].keys.cstr = keys;
        data[2].values.cstr = vals;
    } else {
        cols[2] = (struct pq_column_desc){
            "namespace_labels", PQ_WT_STRING, 1, 0, 0, o->dict ? PQ_DICT_ON : PQ_DICT_OFF};
        data[2].str.cstr = lab;
    }
    pq_write_options_init(&opt);
    opt.codec = PQ_WRITE_UNCOMPRESSED;
    opt.page_crc = o->crc;
    opt.dictionary = o->dict;
    {
        struct pq_schema_desc schema = {3, cols};
        return pqt_write_file(path, &schema, &opt, data, NROWS);
    }
}

/* Opens path (opt NULL: the defaults) and reads the whole table; returns
 * the status and leaves the error in *err. */
static int read_ns(const char *path, const struct pq_open_options *opt, struct ocp_error *err)
{
    struct pq_file *f = NULL;
    struct ocp_arena arena;
    struct ocp_batch b;
    int rc;

    ocp_error_clear(err);
    ocp_arena_init(&arena, 0);
    rc = pq_file_open(path, opt, &f, err);
    if (rc == OCP_OK)
        rc = pq_table_check(f, OCP_TABLE_NAMESPACE_LABELS, err);
    if (rc == OCP_OK)
        rc = pq_table_read(f, OCP_TABLE_NAMESPACE_LABELS, 0, 0, NROWS, &arena, &b, err);
    pq_file_close(f);
    ocp_arena_release(&arena);
    return rc;
}

static long find_bytes(const char *path, const char *needle, long *size)
{
    static unsigned char buf[1 << 16];
    FILE *fp = fopen(path, "rb");
    size_t n, m = strlen(needle);
    long at = -1;

    if (fp == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    *size = (long)n;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(buf + i, needle, m) == 0) {
            at = (long)i;
            break;
        }
    return at;
}

static void poke(const char *path, long off, unsigned char byte)
{
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_INT(pwrite(fd, &byte, 1, off), 1);
    close(fd);
}

/* Issue 11 item 6: CRCs are verified by default. */
static void test_crc(void)
{
    struct nsfile o = {1, 1, 0, NULL, NULL};
    struct pq_open_options opt;
    struct ocp_error err;
    char path[512];
    long size = 0, at;

    snprintf(path, sizeof path, "%s/crc.parquet", tmpdir);
    CHECK_INT(write_ns(path, &o), OCP_OK);
    CHECK_INT(read_ns(path, NULL, &err), OCP_OK);
    at = find_bytes(path, "project-3", &size);
    CHECK(at > 0);
    if (at <= 0)
        return;
    poke(path, at + 8, '7'); /* "project-7": still a valid value */
    CHECK_INT(read_ns(path, NULL, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "namespace");
    CHECK_INT(err.row_group, 0);
    CHECK(strstr(err.file, "crc.parquet") != NULL);
    CHECK(strstr(err.message, "CRC") != NULL);
    /* The switch off: the damaged byte is read as data. */
    pq_open_options_init(&opt);
    CHECK_INT(opt.check_crc, 1);
    opt.check_crc = 0;
    CHECK_INT(read_ns(path, &opt, &err), OCP_OK);

    /* A file without CRCs reads with the check on (nothing to check). */
    o.crc = 0;
    CHECK_INT(write_ns(path, &o), OCP_OK);
    CHECK_INT(read_ns(path, NULL, &err), OCP_OK);
}

/* Issue 11 item 8: invalid UTF-8 in a text column is a data error naming
 * file, row group and column, for dictionary and PLAIN pages and MAPs. */
static void test_bad_utf8(void)
{
    static const struct {
        struct nsfile o;
        const char *column;
    } cases[] = {
        {{1, 0, 0,
          "proj\xFF"
          "ect",
          NULL},
         "namespace"},
        {{0, 0, 0,
          "proj\xC3"
          "(",
          NULL},
         "namespace"},
        {{1, 0, 0, NULL, "{\"team\":\"\xED\xA0\x80\"}"}, "namespace_labels"},
        {{0, 0, 0, NULL, "{\"team\":\"\xC0\xAF\"}"}, "namespace_labels"},
        {{1, 0, 1, NULL,
          "r\xE9"
          "d"},
         "namespace_labels"},
        {{0, 0, 1, NULL,
          "r\xE9"
          "d"},
         "namespace_labels"},
    };
    struct ocp_error err;
    char path[512];

    snprintf(path, sizeof path, "%s/utf8.parquet", tmpdir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = write_ns(path, &cases[i].o);
        CHECK_INT(rc, OCP_OK);
        if (rc != OCP_OK)
            continue;
        rc = read_ns(path, NULL, &err);
        if (rc != OCP_ERR_DATA)
            fprintf(stderr, "case %zu: %s\n", i, err.message);
        CHECK_INT(rc, OCP_ERR_DATA);
        /* A MAP names its leaf, namespace_labels.key_value.key. */
        CHECK(strncmp(err.column, cases[i].column, strlen(cases[i].column)) == 0);
        CHECK_INT(err.row_group, 0);
        CHECK(strstr(err.file, "utf8.parquet") != NULL);
        CHECK(strstr(err.message, "not valid UTF-8") != NULL);
    }
    /* Valid multi-byte text passes. */
    {
        struct nsfile ok = {1, 0, 0, "caf\xC3\xA9-\xE2\x82\xAC", "{\"a\":\"\xF0\x9F\x98\x80\"}"};
        CHECK_INT(write_ns(path, &ok), OCP_OK);
        CHECK_INT(read_ns(path, NULL, &err), OCP_OK);
    }
}

/* Issue 11 item 11: an encoding id parquet.thrift does not define is a
 * damaged header (65); a defined one we do not read stays 69. */
static void test_encoding_id(void)
{
    struct nsfile o = {0, 0, 0, NULL, NULL};
    struct ocp_error err;
    unsigned char head[64];
    char path[512];
    size_t pos = 4;
    int fd, n;

    snprintf(path, sizeof path, "%s/enc.parquet", tmpdir);
    CHECK_INT(write_ns(path, &o), OCP_OK);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    n = (int)pread(fd, head, sizeof head, 0);
    close(fd);
    CHECK(n == (int)sizeof head);
    /* The first PageHeader (compact Thrift): type, two sizes, then the
     * DataPageHeader struct (field 5): num_values, encoding. */
#define SKIP_I32_FIELD()                                                                           \
    do {                                                                                           \
        CHECK_INT(head[pos] & 0x0F, 5);                                                            \
        pos++;                                                                                     \
        while (pos < sizeof head && (head[pos] & 0x80))                                            \
            pos++;                                                                                 \
        pos++;                                                                                     \
    } while (0)
    SKIP_I32_FIELD();           /* type */
    SKIP_I32_FIELD();           /* uncompressed size */
    SKIP_I32_FIELD();           /* compressed size */
    CHECK_INT(head[pos], 0x2C); /* field 5, struct */
    pos++;
    SKIP_I32_FIELD();               /* num_values */
    CHECK_INT(head[pos], 0x15);     /* field 2, i32: encoding */
    CHECK_INT(head[pos + 1], 0x00); /* PLAIN */
#undef SKIP_I32_FIELD

    poke(path, (long)pos + 1, 84); /* zigzag(42) */
    CHECK_INT(read_ns(path, NULL, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "namespace");
    CHECK(strstr(err.message, "42") != NULL);
    poke(path, (long)pos + 1, 2); /* zigzag(1): GROUP_VAR_INT, real but unread */
    CHECK_INT(read_ns(path, NULL, &err), OCP_ERR_UNSUPPORTED);
}

/* ---- table folders --------------------------------------------------- */

static int list(const char *dir, struct ocp_error *err, size_t *count)
{
    char **paths = NULL;
    int rc;

    ocp_error_clear(err);
    *count = 0;
    rc = pq_dataset_list(dir, &paths, count, err);
    pq_dataset_free(paths, *count);
    return rc;
}

/* Issue 11 item 7: every entry that cannot be opened is an error naming
 * it; links to regular files and folders are followed. */
static void test_dataset_entries(void)
{
    struct ocp_error err;
    char dir[512], sub[600], p[700], q[700];
    size_t n;

    snprintf(dir, sizeof dir, "%s/table", tmpdir);
    snprintf(sub, sizeof sub, "%s/day=1", dir);
    CHECK_INT(mkdir(dir, 0755), 0);
    CHECK_INT(mkdir(sub, 0755), 0);
    snprintf(p, sizeof p, "%s/a.parquet", sub);
    {
        struct nsfile o = {1, 0, 0, NULL, NULL};
        CHECK_INT(write_ns(p, &o), OCP_OK);
    }
    snprintf(q, sizeof q, "%s/link.parquet", dir);
    CHECK_INT(symlink(p, q), 0);
    snprintf(q, sizeof q, "%s/notes.txt", dir); /* not data: ignored */
    CHECK_INT(mkfifo(q, 0644), 0);
    CHECK_INT(list(dir, &err, &n), OCP_OK);
    CHECK_INT(n, 2);

    /* A missing folder. */
    snprintf(q, sizeof q, "%s/nope", tmpdir);
    CHECK_INT(list(q, &err, &n), OCP_ERR_NOINPUT);
    CHECK_STR(err.message, "no such table directory");

    /* Each bad entry alone, then removed. */
    {
        static const char *const names[] = {"dangling.parquet", "loop.parquet", "fifo.parquet",
                                            "zero.parquet", "day=2"};
        static const char *const says[] = {"No such file or directory",
                                           "Too many levels of symbolic links", "a FIFO",
                                           "a character device", "No such file or directory"};
        for (size_t i = 0; i < 5; i++) {
            snprintf(q, sizeof q, "%s/%s", dir, names[i]);
            if (i == 0 || i == 4)
                CHECK_INT(symlink("/nonexistent/mount/x", q), 0);
            else if (i == 1)
                CHECK_INT(symlink(q, q), 0);
            else if (i == 2)
                CHECK_INT(mkfifo(q, 0644), 0);
            else
                CHECK_INT(symlink("/dev/zero", q), 0);
            CHECK_INT(list(dir, &err, &n), OCP_ERR_NOINPUT);
            CHECK(strstr(err.file, names[i]) != NULL);
            if (strstr(err.message, says[i]) == NULL)
                fprintf(stderr, "%s: %s\n", names[i], err.message);
            CHECK(strstr(err.message, says[i]) != NULL);
            unlink(q);
        }
    }
    CHECK_INT(list(dir, &err, &n), OCP_OK);

    /* The FIFO named *.parquet given to pq_file_open directly must not
     * block the open. */
    snprintf(q, sizeof q, "%s/direct.parquet", tmpdir);
    CHECK_INT(mkfifo(q, 0644), 0);
    {
        struct pq_file *f = NULL;
        CHECK_INT(pq_file_open(q, NULL, &f, &err), OCP_ERR_NOINPUT);
        pq_file_close(f);
    }
    unlink(q);
}

/* EACCES is "Permission denied" (66), not "no such table".  root reads
 * through permissions, so the listing runs in a child inside a user
 * namespace without a mapping, where it is the overflow user. */
static void test_dataset_permission(void)
{
    char dir[512], locked[600];
    pid_t pid;
    int status = 0;

    snprintf(dir, sizeof dir, "%s/perm", tmpdir);
    snprintf(locked, sizeof locked, "%s/month=11", dir);
    CHECK_INT(mkdir(dir, 0755), 0);
    CHECK_INT(mkdir(locked, 0000), 0);
    CHECK_INT(chmod(tmpdir, 0755), 0);
    pid = fork();
    if (pid == 0) {
        struct ocp_error err;
        size_t n;
        int rc;
        if (geteuid() == 0 && unshare(CLONE_NEWUSER) != 0)
            _exit(77);
        rc = list(dir, &err, &n);
        if (rc != OCP_ERR_NOINPUT)
            _exit(1);
        if (strstr(err.file, "month=11") == NULL ||
            strstr(err.message, "Permission denied") == NULL)
            _exit(2);
        _exit(0);
    }
    CHECK(pid > 0);
    if (pid > 0 && waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
            SKIP("no user namespace for the permission case");
        else
            CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0);
    }
    chmod(locked, 0755);
    CHECK_INT(pq_errno_status(ENOENT), OCP_ERR_NOINPUT);
    CHECK_INT(pq_errno_status(EACCES), OCP_ERR_NOINPUT);
    CHECK_INT(pq_errno_status(EIO), OCP_ERR_IOERR);
    CHECK_INT(pq_errno_status(ESTALE), OCP_ERR_IOERR);
}

int main(void)
{
    if (tl_tmpdir_make(tmpdir, sizeof tmpdir, NULL, "test_pq_input") != 0)
        return 1;
    RUN(test_utf8);
    RUN(test_crc);
    RUN(test_bad_utf8);
    RUN(test_encoding_id);
    RUN(test_dataset_entries);
    RUN(test_dataset_permission);
    tl_tmpdir_remove(tmpdir);
    return TEST_SUMMARY();
}
