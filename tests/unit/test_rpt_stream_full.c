/*
 * test_rpt_stream_full.c - a disk that fills up while the report is being
 * written: on a small tmpfs the test mounts, a rerun that runs out of
 * space fails with OCP_ERR_IOERR and a message naming the cause ("No space
 * left on device"), and the earlier report - CSV, single Parquet file,
 * partitioned tree - is exactly as it was, with no temporary files or
 * folders left.  Mounting needs root (or CAP_SYS_ADMIN): without it the
 * test exits 77, which ctest reports as skipped.
 */
#include <sys/mount.h>

#include "rpt_stream_util.h"

static char mnt[256];

static void check_full(enum rpt_format fmt, const char *name, const struct rpt_table *small,
                       const struct rpt_table *big)
{
    struct ocp_error err;
    char path[512];
    char *before, *after;
    int rc;

    snprintf(path, sizeof path, "%s/%s", mnt, name);
    ocp_error_clear(&err);
    /* The earlier, good report. */
    CHECK_INT(stream_days(fmt, small, path, 1, NULL, NULL, NULL, &err), OCP_OK);
    before = snapshot(path);
    CHECK(strstr(before, "missing") == NULL);
    rc = stream_days(fmt, big, path, 1, NULL, NULL, NULL, &err);
    CHECK_INT(rc, OCP_ERR_IOERR);
    CHECK(strstr(err.message, strerror(ENOSPC)) != NULL);
    fprintf(stderr, "%s: %s: %s\n", name, err.file, err.message);
    after = snapshot(path);
    CHECK_STR(after, before);
    CHECK_INT(count_names(mnt, ".tmp."), 0);
    free(before);
    free(after);
}

/* The CSV shared by ranks (rpt_part): a day's whole pages are written by
 * the part's thread while the caller goes on, so the disk filling up is
 * reported by a later rpt_part_write or by rpt_part_close - either way as
 * OCP_ERR_IOERR naming ENOSPC, before anything could be committed; the
 * stream's abort then leaves no temporary file. */
static void check_part_full(const struct rpt_table *big)
{
    struct rpt_stream *s = NULL;
    struct rpt_share sh;
    struct rpt_part part;
    struct rpt_buf block = {0};
    struct ocp_error err;
    char path[512];
    size_t from = 0;
    int64_t off;
    int rc, writes = 0, failed_at = 0;

    memset(&sh, 0, sizeof sh);
    snprintf(path, sizeof path, "%s/shared.csv", mnt);
    ocp_error_clear(&err);
    CHECK_INT(rpt_stream_open(&s, RPT_FORMAT_CSV, path, &meta, &err), OCP_OK);
    if (s == NULL)
        return;
    CHECK_INT(rpt_stream_share(s, &sh, &err), OCP_OK);
    CHECK_INT(rpt_part_open(&part, &sh, path, NULL, &err), OCP_OK);
    /* tmpfs takes O_DIRECT on this kernel: the thread writes the pages. */
    fprintf(stderr, "shared part: direct writes %s\n",
            part.dfd >= 0 ? "on (the part's thread)" : "refused (page cache)");
    off = sh.offset;
    rc = OCP_OK;
    while (rc == OCP_OK && from < big->count) {
        size_t to = from + 1, n;
        int64_t rows;
        struct rpt_table v;
        while (to < big->count && big->rows[to].usage_day == big->rows[from].usage_day)
            to++;
        v = view(big, from, to);
        block.len = 0;
        CHECK_INT(rpt_encode_block(RPT_FORMAT_CSV, &v, &meta, &block, &err), OCP_OK);
        CHECK_INT(rpt_csv_block_text((const unsigned char *)block.data, block.len, &n, &rows, &err),
                  OCP_OK);
        rc = rpt_part_write(&part, (const unsigned char *)block.data, block.len, off, &err);
        writes++;
        if (rc != OCP_OK)
            failed_at = writes;
        off += (int64_t)n;
        from = to;
    }
    if (rc == OCP_OK) {
        rc = rpt_part_close(&part, &err);
        failed_at = -1; /* at the close */
    } else {
        rpt_part_release(&part);
    }
    CHECK_INT(rc, OCP_ERR_IOERR);
    CHECK(strstr(err.message, strerror(ENOSPC)) != NULL);
    CHECK(failed_at != 0);
    fprintf(stderr, "shared part: failed at %s %d of %d: %s\n",
            failed_at < 0 ? "the close after write" : "write", failed_at < 0 ? writes : failed_at,
            writes, err.message);
    rpt_stream_abort(s);
    rpt_stream_destroy(s);
    rpt_share_release(&sh);
    rpt_buf_release(&block);
    CHECK_INT(count_names(mnt, ".tmp."), 0);
    CHECK(!exists(path));
}

static void test_full(void)
{
    struct rpt_table small, big;

    build(&small, 60, 20);
    /* Unique uuids and numbers: several MiB, more than the 1 MiB disk. */
    build(&big, 60000, 15000);
    check_full(RPT_FORMAT_PARQUET_PARTITIONED, "parts", &small, &big);
    check_full(RPT_FORMAT_PARQUET, "r.parquet", &small, &big);
    check_full(RPT_FORMAT_CSV, "r.csv", &small, &big);
    check_part_full(&big);
    rpt_table_release(&small);
    rpt_table_release(&big);
}

int main(void)
{
    const char *base = getenv("OCPAGG_BUILD");
    int status;

    snprintf(mnt, sizeof mnt, "%s/rptfull-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(mnt) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
        fprintf(stderr, "skipped: cannot mount a tmpfs at %s: %s\n", mnt, strerror(errno));
        rmdir(mnt);
        return 77;
    }
    RUN(test_full);
    if (umount2(mnt, MNT_DETACH) != 0)
        fprintf(stderr, "cannot unmount %s: %s\n", mnt, strerror(errno));
    rmdir(mnt);
    status = TEST_SUMMARY();
    return status;
}
