/* rpt_file.c - whole output files written atomically, and the folder
 * helpers the report writers share (mkdir -p, rm -rf, folder fsync, stale
 * temporaries).
 *
 * Temporary names carry the host and the PID ("<path>.tmp.<host>.<pid>")
 * so that a later run can tell a crashed run's leftovers (same host, PID
 * gone) from a run that is still writing, here or on another host sharing
 * the file system. */
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void host_name(char *out, size_t size)
{
    char *p;

    if (gethostname(out, size) != 0 || out[0] == '\0')
        snprintf(out, size, "localhost");
    out[size - 1] = '\0';
    /* A '/' would put the temporary into another folder. */
    for (p = out; *p; p++)
        if (*p == '/')
            *p = '_';
}

char *rpt_temp_name(const char *path)
{
    char host[256];
    size_t n;
    char *tmp;

    size_t plen = strlen(path);

    /* "out/parts/" must give "out/parts.tmp...", beside the folder, not
     * inside it. */
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    host_name(host, sizeof host);
    n = plen + strlen(host) + 48;
    tmp = malloc(n);
    if (tmp != NULL)
        snprintf(tmp, n, "%.*s.tmp.%s.%ld", (int)plen, path, host, (long)getpid());
    return tmp;
}

/* Splits path into its folder (or ".") and last component; both malloc'ed
 * into one buffer: *dir points at its start. */
static char *split_path(const char *path, const char **dir, const char **base)
{
    size_t n = strlen(path);
    char *copy = malloc(n + 3), *slash;

    if (copy == NULL)
        return NULL;
    memcpy(copy, path, n + 1);
    /* Trailing slashes do not make another component. */
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    slash = strrchr(copy, '/');
    if (slash == NULL) {
        memmove(copy + 2, copy, n + 1);
        copy[0] = '.';
        copy[1] = '\0';
        *dir = copy;
        *base = copy + 2;
    } else if (slash == copy) {
        memmove(copy + 2, copy + 1, n);
        copy[1] = '\0';
        *dir = copy; /* "/" */
        *base = copy + 2;
    } else {
        *slash = '\0';
        *dir = copy;
        *base = slash + 1;
    }
    return copy;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 10)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Whether "rest" (what follows "<base>.tmp.") names a dead run of this
 * host: "<host>.<pid>", optionally followed by ".old" (a partitioned
 * report's previous tree set aside) or ".tmp.<pid>" (the Parquet writer's
 * own temporary of our temporary). */
static int stale_rest(const char *rest, const char *host, int *old)
{
    size_t n = strlen(rest), hn = strlen(host);
    const char *dot;
    long pid;

    *old = 0;
    if (n > 4 && strcmp(rest + n - 4, ".old") == 0) {
        n -= 4;
        *old = 1;
    } else {
        /* ".tmp.<digits>" at the end */
        size_t k = n;
        while (k > 0 && rest[k - 1] >= '0' && rest[k - 1] <= '9')
            k--;
        if (k < n && k >= 5 && memcmp(rest + k - 5, ".tmp.", 5) == 0)
            n = k - 5;
    }
    if (n <= hn + 1 || memcmp(rest, host, hn) != 0 || rest[hn] != '.')
        return 0;
    dot = rest + hn;
    if (!all_digits(dot + 1, n - hn - 1))
        return 0;
    pid = strtol(dot + 1, NULL, 10);
    if (pid <= 0 || pid > INT_MAX || pid == (long)getpid())
        return 0;
    /* EPERM: the process exists under another user; alive. */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int rpt_remove_stale_temps(const char *path)
{
    const char *dir, *base;
    char *copy = split_path(path, &dir, &base);
    char host[256], *full = NULL;
    size_t blen, flen = 0;
    struct dirent *de;
    DIR *d;
    int removed = 0;

    if (copy == NULL)
        return 0;
    host_name(host, sizeof host);
    blen = strlen(base);
    d = opendir(dir);
    while (d != NULL && (de = readdir(d)) != NULL) {
        size_t need;
        int old;
        if (strncmp(de->d_name, base, blen) != 0 || strncmp(de->d_name + blen, ".tmp.", 5) != 0 ||
            !stale_rest(de->d_name + blen + 5, host, &old))
            continue;
        need = strlen(dir) + strlen(de->d_name) + 2;
        if (need > flen) {
            char *nf = realloc(full, need);
            if (nf == NULL)
                break;
            full = nf;
            flen = need;
        }
        snprintf(full, flen, "%s/%s", dir, de->d_name);
        /* An old report tree set aside by a run that died before moving
         * its new tree in is the only copy: it goes back. */
        if (old && access(path, F_OK) != 0 && errno == ENOENT && rename(full, path) == 0)
            continue;
        if (rpt_remove_tree(full) == 0)
            removed++;
    }
    if (d != NULL)
        closedir(d);
    free(full);
    free(copy);
    return removed;
}

int rpt_mkdir_p(const char *path)
{
    size_t n = strlen(path);
    char *copy = malloc(n + 1), *p;
    int rc = 0;

    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(copy, path, n + 1);
    for (p = copy + 1; *p != '\0' && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir(copy, 0777) != 0) {
        struct stat st;
        /* EEXIST is fine only for a folder (or a link to one). */
        if (errno != EEXIST || stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (errno == EEXIST)
                errno = ENOTDIR;
            rc = -1;
        }
    }
    if (rc != 0) {
        int e = errno;
        free(copy);
        errno = e;
        return -1;
    }
    free(copy);
    return 0;
}

int rpt_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    e = errno;
    close(fd);
    /* Some file systems cannot fsync folders; nothing more to do there. */
    if (rc != 0 && (e == EINVAL || e == EROFS))
        return 0;
    errno = e;
    return rc;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* Keep going: remove as much as possible. */
    if (remove(p) != 0 && errno != ENOENT)
        return 0;
    return 0;
}

int rpt_remove_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    return lstat(path, &st) == 0 ? -1 : 0;
}

/* ---- rpt_atomic ---------------------------------------------------- */

static int parent_of(const char *path, char **out)
{
    const char *dir, *base;
    char *copy = split_path(path, &dir, &base);

    if (copy == NULL)
        return -1;
    if (dir != copy)
        memmove(copy, dir, strlen(dir) + 1);
    *out = copy;
    return 0;
}

int rpt_atomic_open(struct rpt_atomic *a, const char *path, struct ocp_error *err)
{
    struct stat st;

    memset(a, 0, sizeof *a);
    a->fd = -1;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                             "is not a regular file; not replacing it");
    a->path = strdup(path);
    a->tmp = rpt_temp_name(path);
    if (a->path == NULL || a->tmp == NULL) {
        rpt_atomic_abort(a);
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    }
    rpt_remove_stale_temps(path);
    a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (a->fd < 0) {
        int e = errno;
        rpt_atomic_abort(a);
        return ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "cannot create %s: %s", path,
                             strerror(e));
    }
    return OCP_OK;
}

int rpt_write_fully(int fd, const void *data, size_t n, int64_t off)
{
    const char *p = data;

    while (n > 0) {
        /* Linux writes at most 0x7ffff000 bytes per call. */
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        ssize_t w = off < 0 ? write(fd, p, chunk) : pwrite(fd, p, chunk, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        p += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
    return 0;
}

int rpt_atomic_write(struct rpt_atomic *a, const void *data, size_t len, struct ocp_error *err)
{
    int e;

    if (a->tmp == NULL || a->fd < 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, a->path, -1, NULL, "writing a closed file");
    e = rpt_write_fully(a->fd, data, len, -1);
    if (e != 0)
        return ocp_error_set(err, OCP_ERR_IOERR, a->path, -1, NULL, "cannot write %s: %s", a->tmp,
                             strerror(e));
    a->bytes += (int64_t)len;
    return OCP_OK;
}

static void atomic_release(struct rpt_atomic *a)
{
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->fd = -1;
}

int rpt_atomic_commit(struct rpt_atomic *a, struct ocp_error *err)
{
    struct stat st;
    char *dir = NULL;
    int fd = a->fd, rc = OCP_OK;

    a->fd = -1;
    if (a->tmp == NULL || fd < 0) {
        rpt_atomic_abort(a);
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "committing a file that is not open");
    }
    if (fsync(fd) != 0)
        rc = ocp_error_set(err, OCP_ERR_IOERR, a->path, -1, NULL, "cannot write %s: %s", a->tmp,
                           strerror(errno));
    if (close(fd) != 0 && rc == OCP_OK)
        rc = ocp_error_set(err, OCP_ERR_IOERR, a->path, -1, NULL, "cannot write %s: %s", a->tmp,
                           strerror(errno));
    /* Checked again: the path may have become something else meanwhile. */
    if (rc == OCP_OK && lstat(a->path, &st) == 0 && !S_ISREG(st.st_mode))
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, a->path, -1, NULL,
                           "is not a regular file; not replacing it");
    if (rc == OCP_OK && rename(a->tmp, a->path) != 0)
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, a->path, -1, NULL,
                           "cannot rename %s into place: %s", a->tmp, strerror(errno));
    if (rc != OCP_OK) {
        unlink(a->tmp);
        atomic_release(a);
        return rc;
    }
    /* The rename is durable only once the folder is synced. */
    if (parent_of(a->path, &dir) != 0)
        rc = ocp_error_set(err, OCP_ERR_OSERR, a->path, -1, NULL, "out of memory");
    else if (rpt_fsync_dir(dir) != 0)
        rc = ocp_error_set(err, OCP_ERR_IOERR, a->path, -1, NULL, "cannot sync the folder %s: %s",
                           dir, strerror(errno));
    free(dir);
    atomic_release(a);
    return rc;
}

void rpt_atomic_abort(struct rpt_atomic *a)
{
    /* A zeroed struct has fd 0 but no temporary: nothing of ours is open. */
    if (a->tmp != NULL && a->fd >= 0)
        close(a->fd);
    if (a->tmp != NULL)
        unlink(a->tmp);
    atomic_release(a);
}

int rpt_atomic_write_file(const char *path, const void *data, size_t len, struct ocp_error *err)
{
    struct rpt_atomic a;
    int rc = rpt_atomic_open(&a, path, err);

    if (rc != OCP_OK)
        return rc;
    rc = rpt_atomic_write(&a, data, len, err);
    if (rc != OCP_OK) {
        rpt_atomic_abort(&a);
        return rc;
    }
    return rpt_atomic_commit(&a, err);
}
