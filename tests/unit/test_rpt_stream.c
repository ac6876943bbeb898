/*
 * test_rpt_stream.c - the report stream: day blocks written through one
 * stream read back to the same rows (CSV text, Parquet values); abort and
 * every failure leave the earlier report byte for byte and no temporary
 * files or folders; stale temporaries of dead runs on this host are
 * removed, those of live runs and other hosts kept; the atomic-file helper
 * refuses to replace devices and FIFOs; a disk-full partitioned rerun on a
 * small tmpfs leaves the old tree untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocpagg/arena.h"
#include "ocpagg/parquet.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"
#include "testlib.h"

static char dir[256];

static const struct rpt_meta meta = {3, "cl-1", "Cluster \"One\"",
                                     "2f1c6d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f"};

/* nrows rows, rows_per_day rows a day from 2025-11-01, in report order. */
static void build(struct rpt_table *t, int nrows, int rows_per_day)
{
    static const char *const ns[4] = {"ns-a", "ns \"quoted\", comma", "",
                                      "Worker unallocated"};
    int i, k;

    rpt_table_init(t);
    for (i = 0; i < nrows; i++) {
        struct rpt_row *r = rpt_table_add(t);
        snprintf(r->uuid, sizeof r->uuid, "00000000-0000-5000-8000-%012d", i);
        r->usage_day = 20393 + i / rows_per_day;
        r->source = i % 3 == 2 ? RPT_SOURCE_STORAGE : RPT_SOURCE_POD;
        r->namespace_ = rpt_table_strdup(t, ns[i % 4], strlen(ns[i % 4]));
        r->node = i % 5 ? rpt_table_strdup(t, "node-1", 6) : NULL;
        r->resource_id = i % 2 ? rpt_table_strdup(t, "i-0abc", 6) : NULL;
        r->pod_labels = rpt_table_strdup(t, "{\"app\":\"web\"}", 13);
        r->all_labels = i % 6 ? r->pod_labels : rpt_table_strdup(t, "{}", 2);
        r->pvc = r->source == RPT_SOURCE_STORAGE ? rpt_table_strdup(t, "pvc-1", 5) : NULL;
        r->pv = i % 4 == 1 ? rpt_table_strdup(t, "pv\nnewline", 10) : NULL;
        r->storageclass = i % 8 == 3 ? rpt_table_strdup(t, "gp3", 3) : NULL;
        r->volume_labels = i % 9 == 4 ? rpt_table_strdup(t, "{\"a\":\"\xc3\xa9\"}", 11) : NULL;
        r->csi_volume_handle = i % 7 == 0 ? rpt_table_strdup(t, "vol-1", 5) : NULL;
        for (k = 0; k < RPT_NUM_COUNT; k++)
            r->num[k] = (i + k) % 4 ? (double)i * 0.1 + k / 3.0 : NAN;
        r->num[0] = i == 3 ? -0.0 : r->num[0];
        r->num[1] = i == 5 ? 1e300 : r->num[1];
        r->has_infra_cost = i % 2;
        r->has_cost_category = i % 7 == 0;
        r->cost_category_id = i % 7 == 0 ? -(i % 10) : 0;
    }
}

/* A read-only view of rows [from, to) of t (encoding only reads rows). */
static struct rpt_table view(const struct rpt_table *t, size_t from, size_t to)
{
    struct rpt_table v = *t;
    v.rows = t->rows + from;
    v.count = to - from;
    v.cap = v.count;
    return v;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

static int spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Entries of folder d whose names contain s. */
static int count_names(const char *d, const char *s)
{
    DIR *dd = opendir(d);
    struct dirent *de;
    int n = 0;

    while (dd != NULL && (de = readdir(dd)) != NULL)
        if (strstr(de->d_name, s) != NULL)
            n++;
    if (dd != NULL)
        closedir(dd);
    return n;
}

/* Streams t day by day (one block per day) into path; commit or abort. */
static int stream_days(enum rpt_format fmt, const struct rpt_table *t,
                       const char *path, int commit, int64_t *rows,
                       int64_t *bytes, int64_t *files, struct ocp_error *err)
{
    struct rpt_stream *s = NULL;
    struct rpt_buf block = {0};
    size_t from = 0;
    int rc = rpt_stream_open(&s, fmt, path, &meta, err);

    while (rc == OCP_OK && from < t->count) {
        size_t to = from + 1;
        struct rpt_table v;
        while (to < t->count && t->rows[to].usage_day == t->rows[from].usage_day)
            to++;
        v = view(t, from, to);
        block.len = 0;
        rc = rpt_encode_block(fmt, &v, &meta, &block, err);
        if (rc == OCP_OK)
            rc = rpt_stream_write(s, (const unsigned char *)block.data,
                                  block.len, err);
        from = to;
    }
    if (rc == OCP_OK && commit)
        rc = rpt_stream_commit(s, err);
    else
        rpt_stream_abort(s);
    if (s != NULL)
        rpt_stream_counts(s, rows, bytes, files);
    rpt_stream_destroy(s);
    rpt_buf_release(&block);
    return rc;
}

static void test_csv_roundtrip(void)
{
    struct rpt_table t;
    struct rpt_buf want = {0};
    struct ocp_error err;
    char path[512], one[512];
    int64_t rows = -1, bytes = -1, files = -1;
    size_t len = 0;
    char *got;

    build(&t, 130, 40);
    snprintf(path, sizeof path, "%s/s.csv", dir);
    snprintf(one, sizeof one, "%s/one.csv", dir);
    ocp_error_clear(&err);
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 1, &rows, &bytes, &files,
                          &err), OCP_OK);
    CHECK_INT(rpt_csv_header(&want), OCP_OK);
    CHECK_INT(rpt_csv_rows(&t, &meta, 0, t.count, &want), OCP_OK);
    got = slurp(path, &len);
    CHECK(got != NULL);
    CHECK_INT(len, want.len);
    CHECK(got != NULL && len == want.len && memcmp(got, want.data, len) == 0);
    CHECK_INT(rows, 130);
    CHECK_INT(bytes, (int64_t)want.len);
    CHECK_INT(files, 1);
    CHECK_INT(count_names(dir, ".tmp."), 0);
    free(got);

    /* The one-shot writer is the same bytes. */
    CHECK_INT(rpt_write_csv(&t, &meta, one, &err), OCP_OK);
    got = slurp(one, &len);
    CHECK(got != NULL && len == want.len && memcmp(got, want.data, len) == 0);
    free(got);

    /* An empty report is the header alone. */
    t.count = 0;
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 1, &rows, &bytes, &files,
                          &err), OCP_OK);
    want.len = 0;
    CHECK_INT(rpt_csv_header(&want), OCP_OK);
    got = slurp(path, &len);
    CHECK(got != NULL && len == want.len && memcmp(got, want.data, len) == 0);
    CHECK_INT(rows, 0);
    free(got);
    rpt_buf_release(&want);
    rpt_table_release(&t);
}

static void test_csv_abort(void)
{
    struct rpt_table t;
    struct ocp_error err;
    struct rpt_stream *s = NULL;
    char path[512], fresh[512];
    char *got;
    static const unsigned char junk[] = "not a block";

    build(&t, 130, 40);
    snprintf(path, sizeof path, "%s/keep.csv", dir);
    snprintf(fresh, sizeof fresh, "%s/fresh.csv", dir);
    CHECK_INT(spit(path, "old,report\n1,2\n"), 0);
    ocp_error_clear(&err);
    /* Abort after every block: the old report stays, nothing else left. */
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 0, NULL, NULL, NULL, &err),
              OCP_OK);
    got = slurp(path, NULL);
    CHECK_STR(got, "old,report\n1,2\n");
    free(got);
    CHECK_INT(count_names(dir, "keep.csv"), 1);
    /* A fresh report that is aborted leaves no file at all. */
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, fresh, 0, NULL, NULL, NULL, &err),
              OCP_OK);
    CHECK(!exists(fresh));
    CHECK_INT(count_names(dir, "fresh.csv"), 0);
    /* A bad block fails the write; destroy without commit aborts. */
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_write(s, junk, sizeof junk, &err), OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    got = slurp(path, NULL);
    CHECK_STR(got, "old,report\n1,2\n");
    free(got);
    CHECK_INT(count_names(dir, ".tmp."), 0);
    rpt_table_release(&t);
}

/* A PID that is certainly not running: a child that has exited. */
static long dead_pid(void)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
    return (long)p;
}

static void test_stale_temps(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char host[256], path[512], dead[700], deaddir[700], deadpq[700],
        live[700], other[700], self[700], unrelated[700], f[800];
    long d1 = dead_pid(), d2 = dead_pid();

    build(&t, 10, 40);
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(path, sizeof path, "%s/st.csv", dir);
    snprintf(dead, sizeof dead, "%s.tmp.%s.%ld", path, host, d1);
    snprintf(deaddir, sizeof deaddir, "%s.tmp.%s.%ld.old", path, host, d2);
    snprintf(deadpq, sizeof deadpq, "%s.tmp.%s.%ld.tmp.%ld", path, host, d1, d1);
    snprintf(live, sizeof live, "%s.tmp.%s.%ld", path, host, (long)getppid());
    snprintf(other, sizeof other, "%s.tmp.%s-other.%ld", path, host, d1);
    snprintf(self, sizeof self, "%s.tmp.%s.%ld", path, host, (long)getpid() + 0);
    snprintf(unrelated, sizeof unrelated, "%s/st.csvx.tmp.%s.%ld", dir, host, d1);
    CHECK_INT(spit(dead, "x"), 0);
    CHECK_INT(mkdir(deaddir, 0777), 0);
    snprintf(f, sizeof f, "%s/source=x", deaddir);
    CHECK_INT(mkdir(f, 0777), 0);
    CHECK_INT(spit(deadpq, "x"), 0);
    CHECK_INT(spit(live, "x"), 0);
    CHECK_INT(spit(other, "x"), 0);
    CHECK_INT(spit(unrelated, "x"), 0);
    (void)self;
    ocp_error_clear(&err);
    CHECK_INT(rpt_write_csv(&t, &meta, path, &err), OCP_OK);
    CHECK(!exists(dead));
    CHECK(!exists(deaddir));
    CHECK(!exists(deadpq));
    CHECK(exists(live));
    CHECK(exists(other));
    CHECK(exists(unrelated));
    CHECK(exists(path));
    unlink(live);
    unlink(other);
    unlink(unrelated);
    rpt_table_release(&t);
}

/* The atomic helper never replaces what is not a regular file. */
static void test_atomic_refuses(void)
{
    struct ocp_error err;
    struct rpt_atomic a;
    char fifo[512], link[512], ok[512], sub[512];
    struct stat st;
    char *got;

    ocp_error_clear(&err);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(ok, sizeof ok, "%s/ok.json", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK_INT(mkfifo(fifo, 0666), 0);
    CHECK_INT(rpt_atomic_write_file(fifo, "{}", 2, &err), OCP_ERR_CANTCREAT);
    CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_INT(rpt_atomic_write_file("/dev/null", "{}", 2, &err), OCP_ERR_CANTCREAT);
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CHECK_INT(mkdir(sub, 0777), 0);
    CHECK_INT(rpt_atomic_write_file(sub, "{}", 2, &err), OCP_ERR_CANTCREAT);
    CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_INT(spit(ok, "old"), 0);
    CHECK_INT(symlink(ok, link), 0);
    CHECK_INT(rpt_atomic_write_file(link, "{}", 2, &err), OCP_ERR_CANTCREAT);
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_INT(rpt_atomic_write_file(ok, "{\"a\": 1}\n", 9, &err), OCP_OK);
    got = slurp(ok, NULL);
    CHECK_STR(got, "{\"a\": 1}\n");
    free(got);
    /* A folder that does not exist: cannot create. */
    snprintf(sub, sizeof sub, "%s/nope/x.json", dir);
    CHECK_INT(rpt_atomic_open(&a, sub, &err), OCP_ERR_CANTCREAT);
    CHECK(strstr(err.message, "No such file") != NULL);
    rpt_atomic_abort(&a); /* safe after a failed open */
    CHECK_INT(count_names(dir, ".tmp."), 0);
    unlink(fifo);
    unlink(link);
}

int main(void)
{
    const char *base = getenv("OCPAGG_BUILD");
    char cmd[600];

    snprintf(dir, sizeof dir, "%s/rptstream-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_csv_roundtrip);
    RUN(test_csv_abort);
    RUN(test_stale_temps);
    RUN(test_atomic_refuses);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return TEST_SUMMARY();
}
