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

static void check_full(enum rpt_format fmt, const char *name,
                       const struct rpt_table *small,
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

static void test_full(void)
{
    struct rpt_table small, big;

    build(&small, 60, 20);
    /* Unique uuids and numbers: several MiB, more than the 1 MiB disk. */
    build(&big, 60000, 15000);
    check_full(RPT_FORMAT_PARQUET_PARTITIONED, "parts", &small, &big);
    check_full(RPT_FORMAT_PARQUET, "r.parquet", &small, &big);
    check_full(RPT_FORMAT_CSV, "r.csv", &small, &big);
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
        fprintf(stderr, "skipped: cannot mount a tmpfs at %s: %s\n", mnt,
                strerror(errno));
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
