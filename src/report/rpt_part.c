/* rpt_part.c - one rank's share of a CSV report written by several ranks.
 *
 * Rank 0 creates the report's temporary file and writes the header
 * (rpt_stream_share); every rank then opens that file and writes the text
 * of its own days at offsets that travel down the day order.  The file is
 * opened, never created, here: a rank that cannot see rank 0's file (no
 * shared file system) finds out at open and the job falls back to rank 0
 * writing every byte.  The inode number and the length (only the header)
 * are checked at open, so a rank never writes into some other file that
 * happens to have the name. */
#include "ocpagg/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rpt_part_open(struct rpt_part *p, const struct rpt_share *sh, const char *path,
                  struct ocp_error *err)
{
    struct stat st;
    const char *why = NULL;
    int e = 0;

    memset(p, 0, sizeof *p);
    p->fd = -1;
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
    while (n > 0) {
        /* Linux writes at most 0x7ffff000 bytes per call. */
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        ssize_t w = pwrite(p->fd, text, chunk, (off_t)offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            return ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s",
                                 p->tmp, strerror(e));
        }
        text += w;
        n -= (size_t)w;
        offset += w;
    }
    return OCP_OK;
}

int rpt_part_close(struct rpt_part *p, struct ocp_error *err)
{
    int rc = OCP_OK, fd = p->fd;

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
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    free(p->path);
    free(p->tmp);
    p->path = NULL;
    p->tmp = NULL;
}
