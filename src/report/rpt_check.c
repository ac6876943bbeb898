/* rpt_check.c - checking the output paths before the heavy work.
 *
 * A run replaces its outputs by renaming over them, so an output that is
 * not this run's own file would be destroyed: a device (-o /dev/null as
 * root would replace the system's /dev/null), a FIFO, an input file, or
 * the report itself named again as the summary.  Everything is compared
 * by device and inode where the file exists (so a symbolic link, a bind
 * mount or "dir/../dir/x" cannot hide a clash) and by the resolved name
 * (realpath of the folder + the last component) where it does not.
 *
 * Symbolic links: an output path whose last component is a symbolic link
 * is refused (the rename would replace the link, not write its target,
 * which is surprising either way); links in the folders above are
 * followed.  docs/config.md says so.
 *
 * What the user did not name is not replaced unless ocpagg wrote it: a
 * partitioned report replaces its whole folder, so an existing folder
 * must hold nothing but an earlier report's tree; a summary (or AWS
 * report) under a name derived from output.path must begin as ocpagg
 * begins such a file. */
#include "ocpagg/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif

/* One output, resolved. */
struct out_info {
    const char *path, *key;
    int exists;
    struct stat st;     /* lstat of path when it exists */
    struct stat dir_st; /* its folder */
    char *canon;        /* realpath(folder) + "/" + name (malloc) */
    char *dir_canon;    /* realpath(folder) (malloc) */
};

static const char *kind_of(mode_t m)
{
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    if (S_ISDIR(m))
        return "a folder";
    return "not a regular file";
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* An existing output the rename cannot replace: immutable or append-only
 * (chattr +i / +a; root too is refused).  Found here, the run fails in
 * seconds instead of at its very end.  Where the flags cannot be read
 * (another system, a file system without them) nothing is said. */
static int replaceable(const struct out_info *o, const char *path, int is_dir,
                       struct ocp_error *err)
{
#if defined(__linux__) && defined(FS_IOC_GETFLAGS)
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | (is_dir ? O_DIRECTORY : 0));
    int flags = 0;

    if (fd < 0)
        return OCP_OK;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
        flags = 0;
    close(fd);
    if (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))
        return ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                             "key '%s': %s is %s and cannot be replaced (chattr -%c, or name "
                             "another)",
                             o->key, o->path,
                             (flags & FS_IMMUTABLE_FL) ? "immutable" : "append-only",
                             (flags & FS_IMMUTABLE_FL) ? 'i' : 'a');
#else
    (void)o;
    (void)path;
    (void)is_dir;
    (void)err;
#endif
    return OCP_OK;
}

/* Resolves one output; fails on what it can never be. */
static int resolve(struct out_info *o, int want_dir, struct ocp_error *err)
{
    size_t n = strlen(o->path);
    char *copy, *slash, *base;
    char real[PATH_MAX];
    const char *dir;
    int rc;

    if (n == 0)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL, "key '%s': empty path", o->key);
    copy = malloc(n + 1);
    if (copy == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, o->path, -1, NULL, "out of memory");
    memcpy(copy, o->path, n + 1);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    if (lstat(copy, &o->st) == 0) {
        o->exists = 1;
        if (want_dir ? !S_ISDIR(o->st.st_mode) : !S_ISREG(o->st.st_mode)) {
            rc = ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                               "key '%s': %s is %s; it must be %s or a new name", o->key, o->path,
                               kind_of(o->st.st_mode), want_dir ? "a folder" : "a regular file");
            free(copy);
            return rc;
        }
        if ((rc = replaceable(o, copy, want_dir, err)) != OCP_OK) {
            free(copy);
            return rc;
        }
    } else if (errno != ENOENT) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                           "key '%s': cannot inspect %s: %s", o->key, o->path, strerror(errno));
        free(copy);
        return rc;
    }
    slash = strrchr(copy, '/');
    if (slash == NULL) {
        dir = ".";
        base = copy;
    } else if (slash == copy) {
        dir = "/";
        base = slash + 1;
    } else {
        *slash = '\0';
        dir = copy;
        base = slash + 1;
    }
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || base[0] == '\0') {
        rc = ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                           "key '%s': %s does not name a file", o->key, o->path);
        free(copy);
        return rc;
    }
    if (realpath(dir, real) == NULL || stat(real, &o->dir_st) != 0 || !S_ISDIR(o->dir_st.st_mode)) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                           "key '%s': the folder %s does not exist (%s)", o->key, dir,
                           strerror(errno ? errno : ENOTDIR));
        free(copy);
        return rc;
    }
    /* access() sees read-only mounts and permissions alike. */
    if (access(real, W_OK | X_OK) != 0) {
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                           "key '%s': cannot create files in %s: %s", o->key, dir, strerror(errno));
        free(copy);
        return rc;
    }
    o->dir_canon = strdup(real);
    o->canon = malloc(strlen(real) + strlen(base) + 2);
    if (o->canon == NULL || o->dir_canon == NULL) {
        free(copy);
        return ocp_error_set(err, OCP_ERR_OSERR, o->path, -1, NULL, "out of memory");
    }
    sprintf(o->canon, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    free(copy);
    return OCP_OK;
}

/* Whether the folder with identity dir_st is canon_dir or one of its
 * ancestors (canon_dir is a resolved folder name). */
static int under(const char *canon_dir, const struct stat *dir_st)
{
    size_t n = strlen(canon_dir);
    char *p = malloc(n + 1);
    int found = 0;

    if (p == NULL)
        return 0;
    memcpy(p, canon_dir, n + 1);
    for (;;) {
        struct stat st;
        char *slash;
        if (stat(p, &st) == 0 && same_file(&st, dir_st)) {
            found = 1;
            break;
        }
        slash = strrchr(p, '/');
        if (slash == NULL || (slash == p && p[1] == '\0'))
            break;
        if (slash == p)
            p[1] = '\0';
        else
            *slash = '\0';
    }
    free(p);
    return found;
}

/* An output against one input (a file or a folder). */
static int against_input(const struct out_info *o, const char *input, int out_is_dir,
                         struct ocp_error *err)
{
    struct stat in;
    char real[PATH_MAX];

    /* A missing input is the planner's to report, not a clash. */
    if (stat(input, &in) != 0 || realpath(input, real) == NULL)
        return OCP_OK;
    if (S_ISDIR(in.st_mode)) {
        if ((o->exists && same_file(&o->st, &in)) || under(o->dir_canon, &in))
            return ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                                 "key '%s': %s is inside the input folder %s", o->key, o->path,
                                 input);
    } else if ((o->exists && same_file(&o->st, &in)) || strcmp(o->canon, real) == 0) {
        return ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                             "key '%s': %s is the input file %s", o->key, o->path, input);
    }
    /* A report folder is replaced as a whole: it must not hold an input. */
    if (out_is_dir && o->exists) {
        char *parent = strdup(real);
        int inside;
        if (parent == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, o->path, -1, NULL, "out of memory");
        inside = under(parent, &o->st);
        free(parent);
        if (inside)
            return ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                                 "key '%s': the report folder %s holds the "
                                 "input %s",
                                 o->key, o->path, input);
    }
    return OCP_OK;
}

/* More entries than any real report tree holds (sources x days): the
 * walk of a folder that is not a report ends here. */
#define TREE_MAX_ENTRIES 1000000

static int foreign(const struct out_info *o, const char *entry, const char *why,
                   struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                         "key '%s': the folder %s holds %s%s, which no partitioned report "
                         "writes; the run replaces the folder as a whole, so name a new or "
                         "empty folder, or move that away",
                         o->key, o->path, entry, why);
}

/* Checks that folder dir (level 0: the report folder) holds only what a
 * partitioned report writes: source=/year=/month=/day= folders and, in
 * the last, ocpagg_summary_*.parquet files. */
static int tree_check(const struct out_info *o, const char *dir, int level, size_t *seen,
                      struct ocp_error *err)
{
    static const char *const levels[4] = {"source=", "year=", "month=", "day="};
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = OCP_OK;

    if (d == NULL)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                             "key '%s': cannot read %s: %s", o->key, dir, strerror(errno));
    while (rc == OCP_OK && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t nl = strlen(name);
        char *child;
        struct stat st;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        child = malloc(strlen(dir) + nl + 2);
        if (child == NULL) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, o->path, -1, NULL, "out of memory");
            break;
        }
        sprintf(child, "%s/%s", dir, name);
        if (++*seen > TREE_MAX_ENTRIES)
            rc = foreign(o, child, " (and more entries than a report holds)", err);
        else if (lstat(child, &st) != 0)
            rc = ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                               "key '%s': cannot inspect %s: %s", o->key, child, strerror(errno));
        else if (level < 4) {
            if (!S_ISDIR(st.st_mode) || strncmp(name, levels[level], strlen(levels[level])) != 0)
                rc = foreign(o, child, "", err);
            else
                rc = tree_check(o, child, level + 1, seen, err);
        } else if (!S_ISREG(st.st_mode) || strncmp(name, "ocpagg_summary_", 15) != 0 || nl < 23 ||
                   strcmp(name + nl - 8, ".parquet") != 0)
            rc = foreign(o, child, "", err);
        free(child);
    }
    closedir(d);
    return rc;
}

/* An existing output under a derived name: empty, or it begins with the
 * mark (ocpagg wrote it). */
static int derived_check(const struct out_info *o, const char *from, const char *mark,
                         struct ocp_error *err)
{
    size_t n = mark != NULL ? strlen(mark) : 0, got = 0;
    char head[256];
    int fd;

    if (from == NULL || n == 0 || !o->exists || o->st.st_size == 0)
        return OCP_OK;
    if (n > sizeof head)
        n = sizeof head;
    if ((fd = open(o->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return ocp_error_set(err, OCP_ERR_CANTCREAT, o->path, -1, NULL,
                             "key '%s': cannot read %s to see whether ocpagg wrote it: %s", o->key,
                             o->path, strerror(errno));
    while (got < n) {
        ssize_t r = read(fd, head + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got == n && memcmp(head, mark, n) == 0)
        return OCP_OK;
    return ocp_error_set(err, OCP_ERR_CONFIG, o->path, -1, NULL,
                         "key '%s': %s exists and ocpagg did not write it; its name comes from "
                         "'%s', so set '%s' or move the file",
                         o->key, o->path, from, o->key);
}

int rpt_output_check(const struct rpt_output_spec *spec, struct ocp_error *err)
{
    struct out_info o[2];
    size_t i, k, nout = spec->summary_path != NULL ? 2 : 1;
    int rc;

    memset(o, 0, sizeof o);
    o[0].path = spec->report_path;
    o[0].key = spec->report_key ? spec->report_key : "output.path";
    o[1].path = spec->summary_path;
    o[1].key = spec->summary_key ? spec->summary_key : "output.summary";
    if (o[0].path == NULL)
        return ocp_error_set(err, OCP_ERR_CONFIG, NULL, -1, NULL, "key '%s': no report path",
                             o[0].key);
    rc = resolve(&o[0], spec->partitioned, err);
    if (rc == OCP_OK && nout == 2)
        rc = resolve(&o[1], 0, err);
    if (rc == OCP_OK && nout == 2) {
        /* The summary must not be the report, nor inside a report folder
         * (which is replaced as a whole). */
        if ((o[0].exists && o[1].exists && same_file(&o[0].st, &o[1].st)) ||
            strcmp(o[0].canon, o[1].canon) == 0)
            rc = ocp_error_set(err, OCP_ERR_CONFIG, o[1].path, -1, NULL,
                               "key '%s': %s is also the report (%s)", o[1].key, o[1].path,
                               o[0].key);
        else if (spec->partitioned && o[0].exists && under(o[1].dir_canon, &o[0].st))
            rc = ocp_error_set(err, OCP_ERR_CONFIG, o[1].path, -1, NULL,
                               "key '%s': %s is inside the report folder (%s)", o[1].key, o[1].path,
                               o[0].key);
        else if (spec->partitioned && !o[0].exists &&
                 strncmp(o[1].canon, o[0].canon, strlen(o[0].canon)) == 0 &&
                 o[1].canon[strlen(o[0].canon)] == '/')
            rc = ocp_error_set(err, OCP_ERR_CONFIG, o[1].path, -1, NULL,
                               "key '%s': %s is inside the report folder (%s)", o[1].key, o[1].path,
                               o[0].key);
    }
    for (k = 0; rc == OCP_OK && k < nout; k++)
        for (i = 0; rc == OCP_OK && i < spec->ninputs; i++)
            if (spec->inputs[i] != NULL)
                rc = against_input(&o[k], spec->inputs[i], k == 0 && spec->partitioned, err);
    /* Last: what is already there, once the names are known to be fine. */
    if (rc == OCP_OK && spec->partitioned && o[0].exists) {
        size_t seen = 0;
        rc = tree_check(&o[0], o[0].path, 0, &seen, err);
    }
    if (rc == OCP_OK && !spec->partitioned)
        rc = derived_check(&o[0], spec->report_derived_from, spec->report_mark, err);
    if (rc == OCP_OK && nout == 2)
        rc = derived_check(&o[1], spec->summary_derived_from, spec->summary_mark, err);
    for (k = 0; k < 2; k++) {
        free(o[k].canon);
        free(o[k].dir_canon);
    }
    return rc;
}
