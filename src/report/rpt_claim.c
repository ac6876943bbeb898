/* rpt_claim.c - one run at a time per output on a host.
 *
 * Two runs writing one report at once would each put a complete file in
 * place, but the last rename of the report and the last rename of the
 * summary need not come from the same run: a report with another run's
 * summary.  So rank 0 claims its outputs before any heavy work, by
 * binding an abstract Unix socket whose name says which output (its
 * folder's device and inode and its name, hashed): the kernel lets one
 * process hold a name, frees it when the process ends however it ends
 * (SIGKILL too), and leaves nothing on disk.  Abstract names belong to a
 * network namespace, so runs on other hosts (or in other containers)
 * sharing the file system are not seen; docs/config.md says so. */
#include "ocpagg/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* FNV-1a, 64 bits: the output's name within its folder. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

int rpt_output_claim(const char *path, const char *key, int *fd, struct ocp_error *err)
{
    struct sockaddr_un sa;
    struct stat st;
    size_t n = strlen(path), cut;
    char *dir;
    const char *base;
    int s, len;

    *fd = -1;
    while (n > 1 && path[n - 1] == '/')
        n--;
    for (cut = n; cut > 0 && path[cut - 1] != '/'; cut--)
        ;
    base = path + cut;
    if ((dir = malloc(cut + 2)) == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    if (cut == 0)
        strcpy(dir, ".");
    else {
        memcpy(dir, path, cut);
        dir[cut] = '\0';
    }
    if (stat(dir, &st) != 0) {
        int e = errno;
        free(dir);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                             "key '%s': cannot inspect the folder of %s: %s", key, path,
                             strerror(e));
    }
    free(dir);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    /* sun_path[0] == '\0': the abstract namespace. */
    len = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "ocpagg-output/%llx/%llx/%016llx",
                   (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                   (unsigned long long)name_hash(base, n - cut));
    if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "key '%s': cannot claim %s: %s",
                             key, path, strerror(errno));
    if (bind(s, (const struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) != 0) {
        int e = errno;
        close(s);
        if (e == EADDRINUSE)
            return ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                                 "key '%s': another ocpagg run on this host is writing %s; "
                                 "run again when it has ended",
                                 key, path);
        /* Claims are a courtesy: where the kernel offers none, go on. */
        return OCP_OK;
    }
    *fd = s;
    return OCP_OK;
}

void rpt_output_unclaim(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}
