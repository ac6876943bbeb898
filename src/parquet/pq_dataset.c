/* pq_dataset.c - listing the Parquet files of a table directory (Koku's
 * layout: any depth, hive key=value folders). */
#include "ocpagg/parquet.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Symbolic links could loop; no real layout is this deep. */
#define MAX_DEPTH 32

struct plist {
    char **v;
    size_t n, cap;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int push(struct plist *l, const char *path)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            return OCP_ERR_OSERR;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n] = strdup(path);
    if (l->v[l->n] == NULL)
        return OCP_ERR_OSERR;
    l->n++;
    return OCP_OK;
}

int pq_errno_status(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case EACCES:
    case EPERM:
    case ELOOP:
    case ENAMETOOLONG: return OCP_ERR_NOINPUT;
    default:
        /* EIO, ESTALE, ENXIO (a vanished mount) and the rest: reading
         * failed, which retrying later may cure. */
        return OCP_ERR_IOERR;
    }
}

static const char *kind_word(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* Every entry is looked at through stat(), so a link to a regular file or
 * to a folder counts as what it points to.  An entry stat() cannot
 * follow (a dangling link, a link loop, a vanished mount, no permission)
 * is an error naming it rather than being skipped: skipping would drop
 * its rows from the report without a word.  A *.parquet entry that is
 * neither a folder nor a regular file (FIFO, device, socket) is an error
 * too; other names that are not regular files are not data and are
 * ignored. */
static int walk(const char *dir, int depth, struct plist *l, struct ocp_error *err)
{
    DIR *d;
    struct dirent *e;
    int rc = OCP_OK;

    if (depth > MAX_DEPTH)
        return ocp_error_set(err, OCP_ERR_DATA, dir, -1, NULL,
                             "directories nested more than %d deep", MAX_DEPTH);
    d = opendir(dir);
    if (d == NULL) {
        int e0 = errno;
        return ocp_error_set(err, pq_errno_status(e0), dir, -1, NULL, "cannot open directory: %s",
                             strerror(e0));
    }
    for (;;) {
        struct stat st;
        char *path;
        size_t len;
        int parquet;

        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                int e0 = errno;
                rc = ocp_error_set(err, pq_errno_status(e0), dir, -1, NULL,
                                   "cannot list directory: %s", strerror(e0));
            }
            break;
        }
        /* Hidden files, Spark's _SUCCESS / _temporary and checksums. */
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || ends_with(e->d_name, ".crc"))
            continue;
        parquet = ends_with(e->d_name, ".parquet");
        len = strlen(dir) + strlen(e->d_name) + 2;
        path = malloc(len);
        if (path == NULL) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, dir, -1, NULL, "out of memory");
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) {
            int e0 = errno;
            rc = ocp_error_set(err, pq_errno_status(e0), path, -1, NULL,
                               "cannot read this entry of the table "
                               "directory: %s",
                               strerror(e0));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(path, depth + 1, l, err);
        } else if (parquet && !S_ISREG(st.st_mode)) {
            rc = ocp_error_set(err, OCP_ERR_NOINPUT, path, -1, NULL,
                               "%s, not a regular Parquet file", kind_word(st.st_mode));
        } else if (parquet) {
            if (push(l, path) != OCP_OK)
                rc = ocp_error_set(err, OCP_ERR_OSERR, dir, -1, NULL, "out of memory");
        }
        free(path);
        if (rc != OCP_OK)
            break;
    }
    closedir(d);
    return rc;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pq_dataset_list(const char *dir, char ***paths, size_t *count, struct ocp_error *err)
{
    struct plist l = {0};
    struct stat st;
    int rc;

    *paths = NULL;
    *count = 0;
    if (stat(dir, &st) != 0) {
        int e0 = errno;
        if (e0 == ENOENT || e0 == ENOTDIR)
            return ocp_error_set(err, OCP_ERR_NOINPUT, dir, -1, NULL, "no such table directory");
        return ocp_error_set(err, pq_errno_status(e0), dir, -1, NULL,
                             "cannot read the table directory: %s", strerror(e0));
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return ocp_error_set(err, OCP_ERR_NOINPUT, dir, -1, NULL,
                             "%s, not a Parquet file or a directory", kind_word(st.st_mode));
    if (S_ISREG(st.st_mode)) {
        rc = push(&l, dir);
        if (rc != OCP_OK)
            rc = ocp_error_set(err, rc, dir, -1, NULL, "out of memory");
    } else {
        rc = walk(dir, 0, &l, err);
    }
    if (rc != OCP_OK) {
        pq_dataset_free(l.v, l.n);
        return rc;
    }
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, cmp_path);
    *paths = l.v;
    *count = l.n;
    return OCP_OK;
}

void pq_dataset_free(char **paths, size_t count)
{
    size_t i;

    if (paths == NULL)
        return;
    for (i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}
