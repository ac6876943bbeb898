/* rpt_part.c - one rank's share of a CSV report written by several ranks.
 *
 * Rank 0 creates the report's temporary file and writes the header
 * (rpt_stream_share); every rank then opens that file and writes the text
 * of its own days at offsets that travel down the day order.  The file is
 * opened, never created, here: a rank that cannot see rank 0's file (no
 * shared file system) finds out at open and the job falls back to rank 0
 * writing every byte.  The inode number and the length (only the header)
 * are checked at open, so a rank never writes into some other file that
 * happens to have the name.
 *
 * Direct writes: on this kind of machine the page-cache copy of a
 * buffered write runs at a few hundred MB/s while the disk takes O_DIRECT
 * writes at over 1 GB/s, and a report is hundreds of MB.  O_DIRECT needs
 * the buffer, the offset and the length aligned, so each block's whole
 * pages are staged through an aligned buffer (a memcpy, far cheaper than
 * the kernel's copy) and its two partial end pages, which the
 * neighbouring days' writers share, go through the page cache. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT */
#endif
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Page alignment of direct writes (covers 512- and 4096-byte sectors). */
#define PART_ALIGN ((size_t)4096)
/* The staging buffer: large enough that each direct write is big. */
#define PART_ABUF ((size_t)8 << 20)
/* Blocks shorter than this go through the page cache whole. */
#define PART_DIRECT_MIN ((size_t)256 << 10)

/* Opens the O_DIRECT twin of p->fd and its staging buffer; without them
 * the part writes through the page cache only (not an error). */
static void open_direct(struct rpt_part *p)
{
    void *buf = NULL;

    p->dfd = open(p->tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECT);
    if (p->dfd < 0)
        return;
    if (posix_memalign(&buf, PART_ALIGN, PART_ABUF) != 0) {
        close(p->dfd);
        p->dfd = -1;
        return;
    }
    p->abuf = buf;
}

static void close_direct(struct rpt_part *p)
{
    if (p->dfd >= 0)
        close(p->dfd);
    p->dfd = -1;
    free(p->abuf);
    p->abuf = NULL;
}

int rpt_part_open(struct rpt_part *p, const struct rpt_share *sh, const char *path,
                  struct ocp_error *err)
{
    struct stat st;
    const char *why = NULL;
    int e = 0;

    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->dfd = -1;
    p->path = strdup(path);
    p->tmp = strdup(sh->tmp);
    if (p->path == NULL || p->tmp == NULL) {
        rpt_part_release(p);
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    }
    /* O_NOFOLLOW: the name is rank 0's temporary file, never a link. */
    p->fd = open(p->tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (p->fd < 0) {
        e = errno;
        why = "cannot open";
    } else if (fstat(p->fd, &st) != 0) {
        e = errno;
        why = "cannot stat";
    } else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != sh->ino ||
               (int64_t)st.st_size != sh->offset) {
        why = "is not the report file rank 0 created";
    }
    if (why != NULL) {
        int rc = e != 0 ? ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "%s %s: %s",
                                        why, p->tmp, strerror(e))
                        : ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "%s %s",
                                        p->tmp, why);
        rpt_part_release(p);
        return rc;
    }
    /* OCPAGG_NO_DIRECT_IO: the page-cache path alone (tests, and a way
     * out should some file system misbehave). */
    if (getenv("OCPAGG_NO_DIRECT_IO") == NULL)
        open_direct(p);
    return OCP_OK;
}

/* pwrite of all n bytes at off through fd. */
static int write_all(struct rpt_part *p, int fd, const char *text, size_t n, int64_t off,
                     struct ocp_error *err)
{
    int e = rpt_write_fully(fd, text, n, off);
    if (e != 0)
        return ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s",
                             p->tmp, strerror(e));
    return OCP_OK;
}

/* The whole pages [off, off + n) (both aligned) through the staging
 * buffer.  A file system that turns direct writes down (EINVAL) gets the
 * rest through the page cache, and the part stops trying. */
static int write_direct(struct rpt_part *p, const char *text, size_t n, int64_t off,
                        struct ocp_error *err)
{
    while (n > 0) {
        size_t len = n < PART_ABUF ? n : PART_ABUF;
        ssize_t w;

        memcpy(p->abuf, text, len);
        w = pwrite(p->dfd, p->abuf, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EINVAL) {
            close_direct(p);
            return write_all(p, p->fd, text, n, off, err);
        }
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            return ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s",
                                 p->tmp, strerror(e));
        }
        p->direct_bytes += w;
        if ((size_t)w < len) {
            /* A short direct write (the disk filling up): the rest of
             * this piece through the page cache, which reports why. */
            int rc = write_all(p, p->fd, text + w, len - (size_t)w, off + w, err);
            if (rc != OCP_OK)
                return rc;
        }
        text += len;
        n -= len;
        off += (int64_t)len;
    }
    return OCP_OK;
}

int rpt_part_write(struct rpt_part *p, const unsigned char *block, size_t len,
                   int64_t offset, struct ocp_error *err)
{
    size_t n;
    int64_t rows;
    const char *text = (const char *)block;
    int rc = rpt_csv_block_text(block, len, &n, &rows, err);

    if (rc != OCP_OK) {
        ocp_error_context(err, p->path, -1, NULL);
        return rc;
    }
    if (p->fd < 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, p->path, -1, NULL,
                             "writing a closed report part");
    text += len - n;
    if (p->dfd >= 0 && n >= PART_DIRECT_MIN) {
        int64_t a0 = (offset + (int64_t)PART_ALIGN - 1) / (int64_t)PART_ALIGN *
                     (int64_t)PART_ALIGN;
        int64_t a1 = (offset + (int64_t)n) / (int64_t)PART_ALIGN * (int64_t)PART_ALIGN;
        rc = write_all(p, p->fd, text, (size_t)(a0 - offset), offset, err);
        if (rc == OCP_OK)
            rc = write_direct(p, text + (a0 - offset), (size_t)(a1 - a0), a0, err);
        if (rc == OCP_OK)
            rc = write_all(p, p->fd, text + (a1 - offset), (size_t)(offset + (int64_t)n - a1),
                           a1, err);
        return rc;
    }
    return write_all(p, p->fd, text, n, offset, err);
}

int rpt_part_close(struct rpt_part *p, struct ocp_error *err)
{
    int rc = OCP_OK, fd = p->fd;

    close_direct(p);
    p->fd = -1;
    /* Each writer syncs its own pages: on a shared file system rank 0's
     * fsync at commit does not reach another client's cache. */
    if (fd >= 0 && fdatasync(fd) != 0)
        rc = ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s",
                           p->tmp, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s",
                           p->tmp, strerror(errno));
    rpt_part_release(p);
    return rc;
}

void rpt_part_release(struct rpt_part *p)
{
    close_direct(p);
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    free(p->path);
    free(p->tmp);
    p->path = NULL;
    p->tmp = NULL;
}
