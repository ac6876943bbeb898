/*
 * test_rpt_stream.c - the report stream: day blocks written through one
 * stream read back to the same rows (CSV text, Parquet values); abort and
 * every failure leave the earlier report byte for byte and no temporary
 * files or folders; stale temporaries of dead runs on this host are
 * removed, those of live runs and other hosts kept; the atomic-file helper
 * refuses to replace devices and FIFOs.  (Disk full on a small tmpfs:
 * test_rpt_stream_full.c, which needs root and is skipped without.)
 */
#include "rpt_stream_util.h"

static char dir[256];

/* Checks that the file at path is t's CSV text (header and rows), byte
 * for byte; returns the text's length. */
static size_t expect_csv(const char *path, const struct rpt_table *t)
{
    struct rpt_buf want = {0};
    size_t len = 0, n;
    char *got;

    CHECK_INT(rpt_csv_header(&want), OCP_OK);
    CHECK_INT(rpt_csv_rows(t, &meta, 0, t->count, &want), OCP_OK);
    got = slurp(path, &len);
    CHECK(got != NULL);
    CHECK_INT(len, want.len);
    CHECK(got != NULL && len == want.len && memcmp(got, want.data, len) == 0);
    n = want.len;
    free(got);
    rpt_buf_release(&want);
    return n;
}

static void test_csv_roundtrip(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char path[512], one[512];
    int64_t rows = -1, bytes = -1, files = -1;

    build(&t, 130, 40);
    snprintf(path, sizeof path, "%s/s.csv", dir);
    snprintf(one, sizeof one, "%s/one.csv", dir);
    ocp_error_clear(&err);
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 1, &rows, &bytes, &files, &err), OCP_OK);
    CHECK_INT(bytes, (int64_t)expect_csv(path, &t));
    CHECK_INT(rows, 130);
    CHECK_INT(files, 1);
    CHECK_INT(count_names(dir, ".tmp."), 0);

    /* The one-shot writer is the same bytes. */
    CHECK_INT(rpt_write_csv(&t, &meta, one, &err), OCP_OK);
    expect_csv(one, &t);

    /* Day blocks large enough to bypass the write buffer, after text
     * still in it (the header): the order stays. */
    {
        struct rpt_table big;
        build(&big, 30000, 10000); /* ~4.7 MB a day */
        CHECK_INT(stream_days(RPT_FORMAT_CSV, &big, path, 1, &rows, &bytes, &files, &err), OCP_OK);
        CHECK(expect_csv(path, &big) > ((size_t)8 << 20)); /* blocks of several MiB */
        CHECK_INT(rows, 30000);
        rpt_table_release(&big);
    }

    /* An empty report is the header alone. */
    t.count = 0;
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 1, &rows, &bytes, &files, &err), OCP_OK);
    expect_csv(path, &t);
    CHECK_INT(rows, 0);
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
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, path, 0, NULL, NULL, NULL, &err), OCP_OK);
    got = slurp(path, NULL);
    CHECK_STR(got, "old,report\n1,2\n");
    free(got);
    CHECK_INT(count_names(dir, "keep.csv"), 1);
    /* A fresh report that is aborted leaves no file at all. */
    CHECK_INT(stream_days(RPT_FORMAT_CSV, &t, fresh, 0, NULL, NULL, NULL, &err), OCP_OK);
    CHECK(!exists(fresh));
    CHECK_INT(count_names(dir, "fresh.csv"), 0);
    /* A bad block fails the write; destroy without commit aborts. */
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_write(s, junk, sizeof junk, &err), OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    /* Commit after a failed write publishes nothing. */
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_write(s, junk, sizeof junk, &err), OCP_ERR_SOFTWARE);
    CHECK_INT(rpt_stream_commit(s, &err), OCP_ERR_SOFTWARE);
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
    char host[256], path[512], dead[1024], deaddir[1024], deadpq[1024], live[1024], other[1024],
        self[1024], unrelated[1024], f[1200];
    long d1 = dead_pid(), d2 = dead_pid();

    build(&t, 10, 40);
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(path, sizeof path, "%s/st.csv", dir);
    snprintf(dead, sizeof dead, "%s.tmp.%s.%ld", path, host, d1);
    snprintf(deaddir, sizeof deaddir, "%s.tmp.%s.%ld", path, host, d2);
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

    /* A partitioned report's old tree set aside by a run that died before
     * moving the new one in: the only copy, so it goes back. */
    snprintf(path, sizeof path, "%s/lost-parts", dir);
    snprintf(deaddir, sizeof deaddir, "%s.tmp.%s.%ld.old", path, host, d2);
    CHECK_INT(mkdir(deaddir, 0777), 0);
    snprintf(f, sizeof f, "%s/source=x", deaddir);
    CHECK_INT(mkdir(f, 0777), 0);
    CHECK_INT(rpt_remove_stale_temps(path), 0);
    snprintf(f, sizeof f, "%s/source=x", path);
    CHECK(exists(f));
    CHECK(!exists(deaddir));
    /* With the report in place, the set-aside copy is stale: removed. */
    CHECK_INT(mkdir(deaddir, 0777), 0);
    CHECK_INT(rpt_remove_stale_temps(path), 1);
    CHECK(!exists(deaddir));
    CHECK(exists(f));
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

/* CSV text of rows [from, to) of t without the header. */
static char *csv_of(const struct rpt_table *t, size_t from, size_t to)
{
    struct rpt_buf b = {0};
    if (rpt_csv_rows(t, &meta, from, to, &b) != OCP_OK)
        return NULL;
    rpt_buf_append_str(&b, "");
    return b.data;
}

static void test_parquet_roundtrip(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char path[512], one[512];
    char *got = malloc(1 << 21), *want, *a, *b;
    size_t at = 0, alen = 0, blen = 0;
    int64_t rows = -1, bytes = -1, files = -1;
    struct stat st;

    build(&t, 1300, 400); /* 4 days, the last short */
    snprintf(path, sizeof path, "%s/s.parquet", dir);
    snprintf(one, sizeof one, "%s/one.parquet", dir);
    ocp_error_clear(&err);
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET, &t, path, 1, &rows, &bytes, &files, &err), OCP_OK);
    CHECK_INT(rows, 1300);
    CHECK_INT(files, 1);
    CHECK(stat(path, &st) == 0 && bytes == (int64_t)st.st_size);
    CHECK_INT(print_parquet(path, got, 1 << 21, &at), 0);
    want = csv_of(&t, 0, t.count);
    CHECK(want != NULL && strcmp(got, want) == 0);
    /* The one-shot writer (one block) gives the same bytes as day blocks. */
    CHECK_INT(rpt_write_parquet(&t, &meta, one, 0, &err), OCP_OK);
    a = slurp(path, &alen);
    b = slurp(one, &blen);
    CHECK(a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0);
    CHECK_INT(count_names(dir, ".tmp."), 0);
    free(a);
    free(b);
    free(want);
    free(got);
    rpt_table_release(&t);
}

static void test_partitioned_roundtrip(void)
{
    struct rpt_table t;
    struct ocp_error err;
    char root[512], one[512], file[1024];
    char *got = malloc(1 << 21), *want, *snap1, *snap2;
    size_t at = 0;
    int64_t rows = -1, bytes = -1, files = -1, sum = 0;
    struct stat st;
    int d;

    build(&t, 130, 40);
    snprintf(root, sizeof root, "%s/parts", dir);
    snprintf(one, sizeof one, "%s/parts-one", dir);
    ocp_error_clear(&err);
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET_PARTITIONED, &t, root, 1, &rows, &bytes, &files, &err),
              OCP_OK);
    CHECK_INT(rows, 130);
    CHECK_INT(files, 4);
    for (d = 1; d <= 4; d++) {
        snprintf(file, sizeof file,
                 "%s/source=%s/year=2025/month=11/day=%02d/"
                 "ocpagg_summary_2025-11-%02d.parquet",
                 root, meta.source_uuid, d, d);
        CHECK(stat(file, &st) == 0);
        sum += (int64_t)st.st_size;
        CHECK_INT(print_parquet(file, got, 1 << 21, &at), 0);
    }
    CHECK_INT(bytes, sum);
    want = csv_of(&t, 0, t.count);
    CHECK(want != NULL && strcmp(got, want) == 0);
    /* Same tree, same bytes through the one-shot writer. */
    CHECK_INT(rpt_write_parquet(&t, &meta, one, 1, &err), OCP_OK);
    snap1 = snapshot(root);
    snap2 = snapshot(one);
    CHECK_STR(snap1, snap2);
    free(snap1);
    free(snap2);

    /* A rerun with fewer days replaces the whole tree: day 4 is gone. */
    t.count = 80;
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET_PARTITIONED, &t, root, 1, &rows, &bytes, &files, &err),
              OCP_OK);
    CHECK_INT(files, 2);
    snprintf(file, sizeof file, "%s/source=%s/year=2025/month=11/day=03", root, meta.source_uuid);
    CHECK(!exists(file));
    snprintf(file, sizeof file,
             "%s/source=%s/year=2025/month=11/day=02/"
             "ocpagg_summary_2025-11-02.parquet",
             root, meta.source_uuid);
    CHECK(exists(file));
    CHECK_INT(count_names(dir, ".tmp."), 0);

    /* A trailing slash: the temporary tree is beside the folder. */
    snprintf(file, sizeof file, "%s/", root);
    CHECK_INT(rpt_write_parquet(&t, &meta, file, 1, &err), OCP_OK);
    CHECK_INT(count_names(root, ".tmp"), 0);
    CHECK_INT(count_names(dir, ".tmp."), 0);
    snprintf(file, sizeof file,
             "%s/source=%s/year=2025/month=11/day=02/"
             "ocpagg_summary_2025-11-02.parquet",
             root, meta.source_uuid);
    CHECK(exists(file));

    /* A leftover tree with this process's own name (a dead run that had
     * our PID) does not stop the run and does not end up in the report. */
    {
        char own[1024], junk[1200], host[256];
        gethostname(host, sizeof host);
        host[sizeof host - 1] = '\0';
        snprintf(own, sizeof own, "%s.tmp.%s.%ld", root, host, (long)getpid());
        CHECK_INT(mkdir(own, 0777), 0);
        snprintf(junk, sizeof junk, "%s/junk", own);
        CHECK_INT(spit(junk, "x"), 0);
        CHECK_INT(rpt_write_parquet(&t, &meta, root, 1, &err), OCP_OK);
        CHECK(!exists(own));
        CHECK_INT(count_names(root, "junk"), 0);
    }

    /* No rows: an empty folder, no day folders. */
    t.count = 0;
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET_PARTITIONED, &t, root, 1, &rows, &bytes, &files, &err),
              OCP_OK);
    CHECK_INT(files, 0);
    CHECK_INT(count_names(root, "source="), 0);
    t.count = 130;
    free(want);
    free(got);
    rpt_table_release(&t);
}

/* Aborts after every block, for each format: the old report is byte for
 * byte what it was, and nothing else is left. */
static void test_parquet_abort(void)
{
    struct rpt_table t, small;
    struct ocp_error err;
    char single[512], root[512], fresh[512];
    char *before, *after;

    build(&t, 130, 40);
    build(&small, 20, 10);
    snprintf(single, sizeof single, "%s/ab.parquet", dir);
    snprintf(root, sizeof root, "%s/abparts", dir);
    snprintf(fresh, sizeof fresh, "%s/abfresh", dir);
    ocp_error_clear(&err);
    CHECK_INT(rpt_write_parquet(&small, &meta, single, 0, &err), OCP_OK);
    CHECK_INT(rpt_write_parquet(&small, &meta, root, 1, &err), OCP_OK);

    before = snapshot(single);
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET, &t, single, 0, NULL, NULL, NULL, &err), OCP_OK);
    after = snapshot(single);
    CHECK_STR(after, before);
    free(before);
    free(after);

    before = snapshot(root);
    CHECK(strstr(before, "day=02") != NULL);
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET_PARTITIONED, &t, root, 0, NULL, NULL, NULL, &err),
              OCP_OK);
    after = snapshot(root);
    CHECK_STR(after, before);
    free(after);

    /* Rows out of day order fail in the middle (after day files were
     * written): the old tree stays, the new one is gone. */
    t.rows[100].usage_day = 20393;
    CHECK_INT(rpt_write_parquet(&t, &meta, root, 1, &err), OCP_ERR_SOFTWARE);
    after = snapshot(root);
    CHECK_STR(after, before);
    free(after);
    free(before);
    /* The same on a fresh path: nothing at all, no empty folders. */
    CHECK_INT(rpt_write_parquet(&t, &meta, fresh, 1, &err), OCP_ERR_SOFTWARE);
    CHECK(!exists(fresh));
    CHECK_INT(stream_days(RPT_FORMAT_PARQUET_PARTITIONED, &small, fresh, 0, NULL, NULL, NULL, &err),
              OCP_OK);
    CHECK(!exists(fresh));
    t.rows[100].usage_day = 20393 + 2;
    /* An id Parquet cannot hold: refused at encode, naming the column. */
    t.rows[7].has_cost_category = 1;
    t.rows[7].cost_category_id = (int64_t)1 << 35;
    CHECK_INT(rpt_write_parquet(&t, &meta, single, 0, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "cost_category_id");
    CHECK_INT(count_names(dir, ".tmp."), 0);
    rpt_table_release(&t);
    rpt_table_release(&small);
}

/* Blocks are checked before use: truncated, padded, lying about their row
 * count or of the other format. */
static void test_bad_blocks(void)
{
    struct rpt_table t;
    struct rpt_buf block = {0};
    struct ocp_error err;
    struct rpt_stream *s = NULL;
    char path[512];
    size_t len;
    unsigned char *copy;

    build(&t, 40, 40);
    snprintf(path, sizeof path, "%s/bad.parquet", dir);
    ocp_error_clear(&err);
    CHECK_INT(rpt_encode_block(RPT_FORMAT_PARQUET, &t, &meta, &block, &err), OCP_OK);
    len = block.len;
    copy = malloc(len + 8);
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_PARQUET, path, &meta, &err), OCP_OK);
    /* Truncated anywhere. */
    CHECK_INT(rpt_stream_write(s, (const unsigned char *)block.data, len - 3, &err),
              OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    CHECK(!exists(path));
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_PARQUET, path, &meta, &err), OCP_OK);
    /* A huge row count in a small block. */
    memcpy(copy, block.data, len);
    copy[11] = 0x7f;
    CHECK_INT(rpt_stream_write(s, copy, len, &err), OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_PARQUET, path, &meta, &err), OCP_OK);
    /* Stray bytes after the rows. */
    memcpy(copy, block.data, len);
    memset(copy + len, 1, 8);
    CHECK_INT(rpt_stream_write(s, copy, len + 8, &err), OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_write(s, (const unsigned char *)block.data, len, &err), OCP_ERR_SOFTWARE);
    rpt_stream_destroy(s);
    CHECK(!exists(path));
    CHECK_INT(count_names(dir, ".tmp."), 0);
    free(copy);

    /* Every truncation and a flipped byte anywhere in a small block: an
     * error or rows, never a read outside the block (run under ASan). */
    {
        struct rpt_table few = view(&t, 0, 3);
        size_t i;
        int bad = 0, rc;
        block.len = 0;
        CHECK_INT(rpt_encode_block(RPT_FORMAT_PARQUET, &few, &meta, &block, &err), OCP_OK);
        len = block.len;
        copy = malloc(len);
        for (i = 0; i < 2 * len; i++) {
            size_t n = i < len ? i : len;
            memcpy(copy, block.data, len);
            if (i >= len)
                copy[i - len] ^= 0x5a;
            rc = rpt_stream_open(&s, RPT_FORMAT_PARQUET, path, &meta, &err);
            if (rc == OCP_OK)
                rc = rpt_stream_write(s, copy, n, &err);
            if (rc != OCP_OK && rc != OCP_ERR_SOFTWARE)
                bad++;
            /* A shortened block never passes. */
            if (i < len && rc == OCP_OK)
                bad++;
            rpt_stream_destroy(s);
        }
        CHECK_INT(bad, 0);
        CHECK(!exists(path));
        CHECK_INT(count_names(dir, ".tmp."), 0);
        free(copy);
    }
    rpt_buf_release(&block);
    rpt_table_release(&t);
}

/* A day's text handed to a part as it would be while being encoded: it
 * grows in steps, each time in a buffer at another address, and what the
 * part took is dropped from the front.  own: the rest goes through
 * rpt_part_stream_inplace from *carry (the driver's block) with own - 1
 * bytes of room before it (1: no room to place it for its offset, so the
 * part copies), else through rpt_part_stream; *handed is then the buffer
 * the rest went from.  Returns how much went before the final call. */
static size_t stream_text(struct rpt_part *part, const char *text, size_t n, int64_t off, int own,
                          struct rpt_buf *carry, const char **handed)
{
    struct ocp_error err;
    size_t made, gone = 0, taken = 0;

    ocp_error_clear(&err);
    /* With a buffer of its own, the rest stays above the part's
     * direct-write minimum (256 KiB): where the thread was still busy
     * with the day before until late in this one (a loaded machine), a
     * piece taken late would leave a rest small enough for the page
     * cache, and nothing would be written in place. */
    for (made = 0; made < n && (!own || n - made > ((size_t)1 << 20)); made += 300000) {
        char *moved = malloc(made - gone + 1);
        CHECK(moved != NULL);
        if (moved == NULL)
            return gone;
        memcpy(moved, text + gone, made - gone);
        CHECK_INT(rpt_part_stream(part, moved, made - gone, off + (int64_t)gone, 0, &taken, &err),
                  OCP_OK);
        CHECK(taken <= made - gone);
        CHECK(taken == 0 || (off + (int64_t)gone + (int64_t)taken) % 4096 == 0);
        gone += taken;
        free(moved);
    }
    if (own) {
        size_t rest = n - gone, at;
        carry->len = 0;
        /* Exactly rest + own - 1 bytes of capacity: a buffer of its own. */
        rpt_buf_release(carry);
        carry->data = malloc(rest + (size_t)own);
        CHECK(carry->data != NULL);
        if (carry->data == NULL)
            return gone;
        carry->cap = rest + (size_t)own - 1;
        at = rpt_part_pad(carry->data, off + (int64_t)gone);
        if (at > (size_t)own - 1)
            at = 0; /* no room to place it */
        memcpy(carry->data + at, text + gone, rest);
        carry->len = at + rest;
        *handed = carry->data;
        CHECK_INT(rpt_part_stream_inplace(part, carry->data + at, rest, off + (int64_t)gone, 1,
                                          &taken, &err),
                  OCP_OK);
        CHECK_INT(taken, rest);
        return gone;
    }
    CHECK_INT(rpt_part_stream(part, text + gone, n - gone, off + (int64_t)gone, 1, &taken, &err),
              OCP_OK);
    CHECK_INT(taken, n - gone);
    return gone;
}

/* The CSV shared by ranks (rpt_part): two parts on one file, as two
 * ranks, write alternate days in an order that is not the file's (the
 * second part's days first, the last day before the first), each day
 * large enough for direct writes and at an offset that is not page
 * aligned, so every day has partial end pages shared with its
 * neighbours.  The second part streams its days (rpt_part_stream) as
 * they would be encoded: pieces go to its thread before a day ends.  The
 * committed file is the one-writer text, byte for byte. */
static void test_shared_parts(void)
{
    struct rpt_table t;
    struct rpt_buf *blocks;
    struct rpt_stream *s = NULL;
    struct rpt_share sh;
    struct rpt_part part[2];
    struct rpt_part_room room;
    struct rpt_buf carry = {0};
    const char *handed = NULL;
    struct ocp_error err;
    char path[512];
    size_t from = 0, nd = 0, i, most = 0;
    int64_t *offs, off, rows;
    int k;

    build(&t, 6 * 8000, 8000); /* 6 days of ~3.8 MB */
    snprintf(path, sizeof path, "%s/shared.csv", dir);
    ocp_error_clear(&err);
    blocks = calloc(t.count, sizeof *blocks);
    offs = calloc(t.count + 1, sizeof *offs);
    CHECK(blocks != NULL && offs != NULL);
    if (blocks == NULL || offs == NULL)
        return;
    memset(&sh, 0, sizeof sh);
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_share(s, &sh, &err), OCP_OK);
    CHECK(sh.offset % 4096 != 0); /* the header: the days start unaligned */
    memset(&room, 0, sizeof room);
    for (k = 0; k < 2; k++)
        CHECK_INT(rpt_part_open(&part[k], &sh, path, k == 1 ? &room : NULL, &err), OCP_OK);
    fprintf(stderr, "shared parts: direct writes %s\n",
            part[0].dfd >= 0 ? "on (the parts' threads)" : "refused (page cache)");
    /* Each day's block and its offset, as the notes would carry them. */
    off = sh.offset;
    while (from < t.count) {
        size_t to = from + 1, n;
        struct rpt_table v;
        while (to < t.count && t.rows[to].usage_day == t.rows[from].usage_day)
            to++;
        v = view(&t, from, to);
        CHECK_INT(rpt_encode_block(RPT_FORMAT_CSV, &v, &meta, &blocks[nd], &err), OCP_OK);
        CHECK_INT(rpt_csv_block_text((const unsigned char *)blocks[nd].data, blocks[nd].len, &n,
                                     &rows, &err),
                  OCP_OK);
        CHECK(n >= ((size_t)256 << 10)); /* direct writes, where the file takes them */
        offs[nd++] = off;
        off += (int64_t)n;
        from = to;
    }
    CHECK_INT(nd, 6);
    /* Part 1 (days 5, 3, 1, streamed) first; then part 0 (6, 4, 2). */
    for (k = 1; k >= 0; k--)
        for (i = nd; i-- > 0;) {
            size_t n = 0;
            if ((int)(i % 2) != k)
                continue;
            if (k == 0) {
                CHECK_INT(rpt_part_write(&part[k], (const unsigned char *)blocks[i].data,
                                         blocks[i].len, offs[i], &err),
                          OCP_OK);
                continue;
            }
            CHECK_INT(rpt_csv_block_text((const unsigned char *)blocks[i].data, blocks[i].len, &n,
                                         &rows, &err),
                      OCP_OK);
            /* Day 5 plainly, day 3 in place from its own buffer with room
             * to place it, day 1 from one without that room. */
            most = stream_text(&part[k], blocks[i].data + (blocks[i].len - n), n, offs[i],
                               i == 3   ? 8192
                               : i == 1 ? 1
                                        : 0,
                               &carry, &handed);
            /* Day 3 went from the caller's buffer: once the part's thread
             * is done with it, scribbling on it cannot reach the file. */
            if (i == 3 || i == 1) {
                CHECK_INT(rpt_part_wait(&part[k], &err), OCP_OK);
                CHECK(carry.data == handed && carry.cap > 0);
                memset(carry.data, '%', carry.cap);
            }
            /* The first day streamed found the thread free: pieces went
             * ahead of the day's end. */
            if (i == nd - 1 && part[k].dfd >= 0)
                CHECK(most >= ((size_t)2 << 20));
        }
    for (k = 0; k < 2; k++)
        CHECK_INT(rpt_part_close(&part[k], &err), OCP_OK);
    /* The aligned buffer the part copied day 5 into is the room's
     * again. */
    if (part[1].direct_bytes > 0)
        CHECK(room.buf != NULL && room.cap > 0);
    rpt_part_room_release(&room);
    rpt_buf_release(&carry);
    CHECK_INT(rpt_stream_shared_end(s, off, &err), OCP_OK);
    CHECK_INT(rpt_stream_commit(s, &err), OCP_OK);
    rpt_stream_destroy(s);
    rpt_share_release(&sh);
    expect_csv(path, &t);
    CHECK_INT(count_names(dir, ".tmp."), 0);
    for (i = 0; i < nd; i++)
        rpt_buf_release(&blocks[i]);
    free(blocks);
    free(offs);
    rpt_table_release(&t);
}

/* One day of some 23 MB encoded as a CSV block (its text at day, n
 * bytes), and a report file shared for it, open as a part: the two
 * tests below write the day through the part in their own ways. */
struct day_file {
    struct rpt_table t;
    struct rpt_buf block;
    const char *day;
    size_t n;
    struct rpt_stream *s;
    struct rpt_share sh;
    struct rpt_part part;
    char path[512];
};

static void day_file_open(struct day_file *f, const char *name)
{
    struct rpt_table v;
    struct ocp_error err;
    int64_t rows;

    memset(f, 0, sizeof *f);
    build(&f->t, 48000, 48000);
    snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
    ocp_error_clear(&err);
    v = view(&f->t, 0, f->t.count);
    CHECK_INT(rpt_encode_block(RPT_FORMAT_CSV, &v, &meta, &f->block, &err), OCP_OK);
    CHECK_INT(
        rpt_csv_block_text((const unsigned char *)f->block.data, f->block.len, &f->n, &rows, &err),
        OCP_OK);
    f->day = f->block.data + (f->block.len - f->n);
    CHECK_INT(rpt_stream_open(&f->s, RPT_FORMAT_CSV, f->path, &meta, &err), OCP_OK);
    CHECK_INT(rpt_stream_share(f->s, &f->sh, &err), OCP_OK);
    CHECK(f->sh.offset % 4096 != 0);
    CHECK_INT(rpt_part_open(&f->part, &f->sh, f->path, NULL, &err), OCP_OK);
}

/* Closes the part, commits the file and checks it is the day's text. */
static void day_file_close(struct day_file *f)
{
    struct ocp_error err;

    ocp_error_clear(&err);
    CHECK_INT(rpt_part_close(&f->part, &err), OCP_OK);
    CHECK_INT(rpt_stream_shared_end(f->s, f->sh.offset + (int64_t)f->n, &err), OCP_OK);
    CHECK_INT(rpt_stream_commit(f->s, &err), OCP_OK);
    rpt_stream_destroy(f->s);
    rpt_share_release(&f->sh);
    expect_csv(f->path, &f->t);
    rpt_buf_release(&f->block);
    rpt_table_release(&f->t);
}

/* Counts a text buffer's before_move calls, then waits as the driver's
 * hook does. */
static int moves_seen;
static void count_move(void *ctx)
{
    moves_seen++;
    rpt_part_wait_cb(ctx);
}

/* A day written in place (rpt_part_stream_inplace), as the driver streams
 * one: its text placed for an offset off any page boundary
 * (rpt_part_pad), appended a slice at a time, each slice's whole pages
 * handed to the part's thread straight from the buffer, the rest at the
 * end.  The pieces after the first start on page boundaries of the file
 * and of memory; the buffer grows once on its way (before_move waits for
 * the thread first); the file is the one-writer text and every whole
 * page went directly. */
static void test_part_inplace(void)
{
    struct day_file f;
    struct rpt_buf text = {0};
    struct ocp_error err;
    size_t gone = 0, pos, taken, slice = (size_t)3 << 20, at;
    int64_t off;
    int pieces = 0;

    ocp_error_clear(&err);
    day_file_open(&f, "inplace.csv");
    off = f.sh.offset;
    CHECK(f.n > 3 * slice);
    CHECK(rpt_part_inplace_ok(&f.part) == (f.part.dfd >= 0 && f.part.writer != NULL));
    /* Room for a third of the day: it must grow while pieces are out. */
    CHECK_INT(rpt_buf_reserve(&text, f.n / 3), 0);
    text.before_move = count_move;
    text.move_ctx = &f.part;
    moves_seen = 0;
    pos = rpt_part_pad(text.data, off);
    CHECK(pos < RPT_PART_ALIGN);
    CHECK(((uintptr_t)text.data + pos + (size_t)((4096 - off % 4096) % 4096)) % 4096 == 0);
    text.len = pos;
    for (at = 0; at < f.n; at += slice) {
        size_t n = f.n - at < slice ? f.n - at : slice;
        CHECK_INT(rpt_buf_append(&text, f.day + at, n), 0);
        if (at + n == f.n)
            break;
        CHECK_INT(rpt_part_stream_inplace(&f.part, text.data + pos, text.len - pos,
                                          off + (int64_t)gone, 0, &taken, &err),
                  OCP_OK);
        if (taken > 0) {
            pieces++;
            CHECK((off + (int64_t)(gone + taken)) % 4096 == 0);
            /* In place, until a move (the heap's) put the text off its
             * placing: the rest is then copied, as unplaced text is. */
            CHECK(rpt_part_inplace_ok(&f.part) == 0 || moves_seen > 0 ||
                  ((uintptr_t)text.data + pos + taken) % 4096 == 0);
        }
        pos += taken;
        gone += taken;
    }
    CHECK_INT(rpt_part_stream_inplace(&f.part, text.data + pos, text.len - pos, off + (int64_t)gone,
                                      1, &taken, &err),
              OCP_OK);
    CHECK_INT(taken, text.len - pos);
    CHECK_INT(rpt_part_wait(&f.part, &err), OCP_OK);
    if (rpt_part_inplace_ok(&f.part)) {
        CHECK(pieces >= 1);
        CHECK(moves_seen >= 1);
    }
    day_file_close(&f);
    /* Every whole page of the day went directly (none copied through the
     * page cache): the count comes from the part's thread. */
    if (f.part.direct_bytes > 0)
        CHECK(f.part.direct_bytes >= (int64_t)(f.n - 2 * 4096));
    text.before_move = NULL;
    rpt_buf_release(&text);
}

/* Two texts written in turn, as the driver's streamed days alternate
 * between two buffers: the day's first half from one, the second half
 * from the other.  Once the first's mark is reached (rpt_part_wait_mark)
 * its memory is the caller's again and is overwritten while the second
 * may still be in flight; the file is still the day.  Marks grow with
 * every write handed over, and the thread is idle after a wait. */
static void test_part_marks(void)
{
    struct day_file f;
    struct rpt_buf a = {0}, b = {0};
    struct ocp_error err;
    size_t half, pa, pb, taken;
    int64_t off;
    uint64_t ma, mb;

    ocp_error_clear(&err);
    day_file_open(&f, "marks.csv");
    off = f.sh.offset;
    half = f.n / 2;
    CHECK(half > ((size_t)1 << 20));
    CHECK_INT(rpt_buf_reserve(&a, half + 2 * RPT_PART_ALIGN), 0);
    CHECK_INT(rpt_buf_reserve(&b, f.n - half + 2 * RPT_PART_ALIGN), 0);
    pa = rpt_part_pad(a.data, off);
    memcpy(a.data + pa, f.day, half);
    CHECK_INT(rpt_part_stream_inplace(&f.part, a.data + pa, half, off, 1, &taken, &err), OCP_OK);
    CHECK_INT(taken, half);
    ma = rpt_part_mark(&f.part);
    pb = rpt_part_pad(b.data, off + (int64_t)half);
    memcpy(b.data + pb, f.day + half, f.n - half);
    CHECK_INT(rpt_part_stream_inplace(&f.part, b.data + pb, f.n - half, off + (int64_t)half, 1,
                                      &taken, &err),
              OCP_OK);
    CHECK_INT(taken, f.n - half);
    mb = rpt_part_mark(&f.part);
    if (rpt_part_inplace_ok(&f.part)) {
        CHECK(ma >= 1);
        CHECK(mb == ma + 1);
    } else {
        CHECK(ma == 0 && mb == 0); /* written before the calls returned */
    }
    CHECK_INT(rpt_part_wait_mark(&f.part, ma, &err), OCP_OK);
    memset(a.data, '#', a.cap);
    CHECK_INT(rpt_part_wait_mark(&f.part, mb, &err), OCP_OK);
    CHECK(rpt_part_idle(&f.part));
    memset(b.data, '#', b.cap);
    day_file_close(&f);
    rpt_buf_release(&a);
    rpt_buf_release(&b);
}

/* A text not placed for its offset (one byte off) is still written
 * right: rpt_part_stream_inplace copies it as rpt_part_stream does. */
static void test_part_inplace_unplaced(void)
{
    struct day_file f;
    struct rpt_buf text = {0};
    struct ocp_error err;
    size_t pos, taken;

    ocp_error_clear(&err);
    day_file_open(&f, "unplaced.csv");
    CHECK_INT(rpt_buf_reserve(&text, f.n + 2 * RPT_PART_ALIGN), 0);
    pos = (rpt_part_pad(text.data, f.sh.offset) + 1) % RPT_PART_ALIGN;
    memcpy(text.data + pos, f.day, f.n);
    text.len = pos + f.n;
    CHECK_INT(rpt_part_stream_inplace(&f.part, text.data + pos, f.n, f.sh.offset, 1, &taken, &err),
              OCP_OK);
    CHECK_INT(taken, f.n);
    /* The copy went to the part's own buffer: this one is free at once. */
    memset(text.data, '%', text.cap);
    day_file_close(&f);
    rpt_buf_release(&text);
}

int main(void)
{
    if (tl_tmpdir_make(dir, sizeof dir, getenv("OCPAGG_BUILD"), "rptstream-XXXXXX") != 0)
        return 1;
    RUN(test_csv_roundtrip);
    RUN(test_csv_abort);
    RUN(test_stale_temps);
    RUN(test_atomic_refuses);
    RUN(test_parquet_roundtrip);
    RUN(test_partitioned_roundtrip);
    RUN(test_parquet_abort);
    RUN(test_bad_blocks);
    RUN(test_shared_parts);
    RUN(test_part_inplace);
    RUN(test_part_inplace_unplaced);
    RUN(test_part_marks);
    tl_tmpdir_remove(dir);
    return TEST_SUMMARY();
}
