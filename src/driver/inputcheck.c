/* inputcheck.c - every rank must read the same input files.
 *
 * Across hosts each rank opens the input through its own mount of the
 * shared storage; a stale client cache, a half-copied file or a path that
 * points to a local disk on one node would make that rank read different
 * rows and the report silently wrong.  So right after the plan every rank
 * fingerprints each input file (its size and a SHA-1 of its first 4 KiB
 * and last 64 KiB: the HDF5 superblock, the Parquet magic and footer with
 * its row-group statistics) and compares with rank 0's. */
#include "driver/driver.h"
#include "driver/transport.h"
#include "ocpagg/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES 4096
#define TAIL_BYTES 65536

/* One file's fingerprint as it travels: size, errno of a failed open or
 * read (0 if none) and the digest. */
struct fingerprint {
    uint64_t size;
    int32_t errnum;
    uint8_t sha[20];
};

static void fingerprint_file(const char *path, unsigned char *buf, struct fingerprint *fp)
{
    struct stat st;
    size_t head, tail, got = 0;
    int fd;

    memset(fp, 0, sizeof *fp);
    fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        fp->errnum = errno;
        if (fd >= 0)
            close(fd);
        return;
    }
    fp->size = (uint64_t)st.st_size;
    head = fp->size < HEAD_BYTES ? (size_t)fp->size : HEAD_BYTES;
    tail = fp->size - head < TAIL_BYTES ? (size_t)(fp->size - head) : TAIL_BYTES;
    if ((head > 0 && pread(fd, buf, head, 0) != (ssize_t)head) ||
        (tail > 0 && pread(fd, buf + head, tail, (off_t)(fp->size - tail)) != (ssize_t)tail))
        fp->errnum = errno ? errno : EIO;
    else
        got = head + tail;
    close(fd);
    txt_sha1(buf, got, fp->sha);
}

int input_check(struct tp *tp, const struct plan *p, int rank, int rc, struct ocp_error *err)
{
    unsigned char *buf = NULL;
    unsigned char *scratch = malloc(HEAD_BYTES + TAIL_BYTES);
    size_t len = 0, i;
    struct fingerprint mine;

    if (scratch == NULL && rc == OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");

    if (rank == 0 && rc == OCP_OK) {
        len = p->nfiles * sizeof mine;
        buf = malloc(len ? len : 1);
        if (buf == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        for (i = 0; buf != NULL && i < p->nfiles; i++) {
            (void)tp_poll(tp); /* heartbeats for the watchdog */
            fingerprint_file(p->files[i], scratch, &mine);
            memcpy(buf + i * sizeof mine, &mine, sizeof mine);
        }
    }
    /* Every rank takes part in the broadcast, whatever its own status. */
    {
        int brc = tp_bcast(tp, &buf, &len, rc, 0, err);
        if (rc == OCP_OK)
            rc = brc;
    }
    if (rc == OCP_OK && rank != 0 && len != p->nfiles * sizeof mine)
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                           "rank 0 fingerprinted %zu input file(s), the plan has %zu",
                           len / sizeof mine, p->nfiles);
    for (i = 0; rc == OCP_OK && rank != 0 && i < p->nfiles; i++) {
        struct fingerprint root;
        memcpy(&root, buf + i * sizeof root, sizeof root);
        if (root.errnum != 0)
            continue;      /* rank 0 reads it in the plan; its own error comes there */
        (void)tp_poll(tp); /* heartbeats for the watchdog */
        fingerprint_file(p->files[i], scratch, &mine);
        if (mine.errnum != 0)
            rc = ocp_error_set(err, OCP_ERR_NOINPUT, p->files[i], -1, NULL,
                               "rank 0 can read this input file but this rank "
                               "cannot (%s); every rank must see the same input "
                               "(put it on storage all nodes share)",
                               strerror(mine.errnum));
        else if (mine.size != root.size)
            rc = ocp_error_set(err, OCP_ERR_DATA, p->files[i], -1, NULL,
                               "this rank sees %llu bytes, rank 0 sees %llu; every "
                               "rank must see the same input files (shared storage, "
                               "no per-node copies)",
                               (unsigned long long)mine.size, (unsigned long long)root.size);
        else if (memcmp(mine.sha, root.sha, sizeof mine.sha) != 0)
            rc = ocp_error_set(err, OCP_ERR_DATA, p->files[i], -1, NULL,
                               "same size as on rank 0 but its header or footer "
                               "differs; every rank must see the same input files "
                               "(shared storage, no per-node copies)");
    }
    free(buf);
    free(scratch);
    return rc;
}
