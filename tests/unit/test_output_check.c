/*
 * test_output_check.c - rpt_output_check on real files: regular files and
 * new names pass; devices (/dev/null, /dev/full, a mknod node), FIFOs,
 * sockets, symbolic links, a summary that is the report, an output that
 * is an input file or lies inside an input folder (also through symlinks,
 * "..", hard links) are OCP_ERR_CONFIG naming the key; a missing or
 * read-only folder is OCP_ERR_CANTCREAT; nothing on disk changes.  An
 * existing partitioned report folder must hold only a report's tree, and
 * a file under a derived name must begin with its mark.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "ocpagg/report.h"
#include "testlib.h"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int touch(const char *p)
{
    FILE *f = fopen(p, "w");
    if (f == NULL)
        return -1;
    fputs("x\n", f);
    return fclose(f);
}

/* Checks report (and summary) with the given inputs; returns the status
 * and leaves the message in err. */
static int check(const char *report, const char *summary, int partitioned,
                 const char *const *inputs, size_t ninputs, struct ocp_error *err)
{
    struct rpt_output_spec s;

    memset(&s, 0, sizeof s);
    s.report_path = report;
    s.report_key = "output.path";
    s.summary_path = summary;
    s.summary_key = "output.summary";
    s.partitioned = partitioned;
    s.inputs = inputs;
    s.ninputs = ninputs;
    ocp_error_clear(err);
    return rpt_output_check(&s, err);
}

static int names(const char *d)
{
    DIR *dd = opendir(d);
    struct dirent *de;
    int n = 0;
    while (dd != NULL && (de = readdir(dd)) != NULL)
        n++;
    if (dd != NULL)
        closedir(dd);
    return n;
}

#define CHECK_KEY(err, key) CHECK(strstr((err).message, "'" key "'") != NULL)

static void test_plain(void)
{
    struct ocp_error err;
    char r[512], s[512], sub[512];
    int before;

    path_of(r, sizeof r, "r.csv");
    path_of(s, sizeof s, "r.summary.json");
    before = names(dir);
    CHECK_INT(check(r, s, 0, NULL, 0, &err), OCP_OK);
    CHECK_INT(names(dir), before); /* nothing created */
    CHECK_INT(touch(r), 0);
    CHECK_INT(touch(s), 0);
    CHECK_INT(check(r, s, 0, NULL, 0, &err), OCP_OK);
    CHECK_INT(check(r, NULL, 0, NULL, 0, &err), OCP_OK);
    /* A relative name resolves against the current folder. */
    CHECK(chdir(dir) == 0);
    CHECK_INT(check("r.csv", "r.summary.json", 0, NULL, 0, &err), OCP_OK);
    CHECK_INT(check("r.csv", "./r.csv", 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    CHECK(chdir("/") == 0);
    /* A partitioned report is a folder, new or existing. */
    path_of(sub, sizeof sub, "parts");
    CHECK_INT(check(sub, s, 1, NULL, 0, &err), OCP_OK);
    CHECK_INT(mkdir(sub, 0777), 0);
    CHECK_INT(check(sub, s, 1, NULL, 0, &err), OCP_OK);
    /* ... and not a file; a file report is not a folder. */
    CHECK_INT(check(r, s, 1, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK_INT(check(sub, s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "a folder") != NULL);
    CHECK_INT(check(r, sub, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
}

static void test_special_files(void)
{
    struct ocp_error err;
    char fifo[512], node[512], sock[512], s[512];
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    path_of(s, sizeof s, "x.summary.json");
    CHECK_INT(check("/dev/null", s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "character device") != NULL);
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CHECK_INT(check("/dev/full", s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_INT(check(s, "/dev/null", 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    CHECK_INT(check("/dev/null", s, 1, NULL, 0, &err), OCP_ERR_CONFIG);

    path_of(fifo, sizeof fifo, "fifo");
    CHECK_INT(mkfifo(fifo, 0666), 0);
    CHECK_INT(check(fifo, s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "FIFO") != NULL);
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));

    path_of(node, sizeof node, "null-node");
    if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        CHECK_INT(check(node, s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
        CHECK(lstat(node, &st) == 0 && S_ISCHR(st.st_mode));
        unlink(node);
    } else {
        SKIP("mknod is not allowed here");
    }

    path_of(sock, sizeof sock, "sock");
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (fd >= 0 && strlen(sock) < sizeof sa.sun_path) {
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        CHECK_INT(check(sock, s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
        CHECK(strstr(err.message, "socket") != NULL);
        close(fd);
        unlink(sock);
    } else {
        SKIP("no unix socket");
        if (fd >= 0)
            close(fd);
    }
    unlink(fifo);
}

static void test_symlinks_and_clashes(void)
{
    struct ocp_error err;
    char r[512], s[512], slink[512], dlink[512], via[1024], hard[512], real_sub[512], dotdot[1024];

    path_of(r, sizeof r, "c.csv");
    path_of(s, sizeof s, "c.summary.json");
    path_of(slink, sizeof slink, "c-link.csv");
    path_of(dlink, sizeof dlink, "dirlink");
    path_of(hard, sizeof hard, "c-hard.json");
    path_of(real_sub, sizeof real_sub, "real");
    CHECK_INT(touch(r), 0);
    CHECK_INT(symlink(r, slink), 0);
    /* The last component a symbolic link: refused (documented). */
    CHECK_INT(check(slink, s, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "symbolic link") != NULL);
    /* The summary is the report: the same name... */
    CHECK_INT(check(r, r, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    /* ... through a symlinked folder, absent or present ... */
    CHECK_INT(mkdir(real_sub, 0777), 0);
    CHECK_INT(symlink(real_sub, dlink), 0);
    snprintf(via, sizeof via, "%s/new.csv", dlink);
    snprintf(dotdot, sizeof dotdot, "%s/../real/new.csv", real_sub);
    CHECK_INT(check(via, dotdot, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    CHECK_INT(touch(via), 0);
    CHECK_INT(check(dotdot, via, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    /* ... or a hard link of it. */
    CHECK_INT(link(r, hard), 0);
    CHECK_INT(check(r, hard, 0, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    /* A summary inside the (existing) report folder would be swapped
     * away with the old tree. */
    snprintf(via, sizeof via, "%s/s.json", real_sub);
    CHECK_INT(check(real_sub, via, 1, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    unlink(slink);
    unlink(hard);
}

static void test_inputs(void)
{
    struct ocp_error err;
    char in_dir[512], in_file[512], in_link[512], other[512], r[512], s[512], inside[600],
        deep[700], parts[512], in_in_parts[700];
    const char *inputs[3];

    path_of(in_dir, sizeof in_dir, "input");
    path_of(in_file, sizeof in_file, "data.h5");
    path_of(in_link, sizeof in_link, "data-link.h5");
    path_of(other, sizeof other, "missing-input");
    path_of(r, sizeof r, "out.csv");
    path_of(s, sizeof s, "out.summary.json");
    CHECK_INT(mkdir(in_dir, 0777), 0);
    CHECK_INT(touch(in_file), 0);
    CHECK_INT(symlink(in_file, in_link), 0);
    inputs[0] = in_dir;
    inputs[1] = in_link; /* the input named through a link */
    inputs[2] = other;   /* missing: the planner's business */
    CHECK_INT(check(r, s, 0, inputs, 3, &err), OCP_OK);
    /* The report is the input file. */
    CHECK_INT(check(in_file, s, 0, inputs, 3, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "input file") != NULL);
    /* The summary is the input file. */
    CHECK_INT(check(r, in_file, 0, inputs, 3, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    /* The report inside an input folder, new or deeper. */
    snprintf(inside, sizeof inside, "%s/r.csv", in_dir);
    CHECK_INT(check(inside, s, 0, inputs, 3, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "input folder") != NULL);
    snprintf(deep, sizeof deep, "%s/sub", in_dir);
    CHECK_INT(mkdir(deep, 0777), 0);
    snprintf(deep, sizeof deep, "%s/sub/../sub/r.parquet", in_dir);
    CHECK_INT(check(deep, s, 0, inputs, 3, &err), OCP_ERR_CONFIG);
    /* The report folder is the input folder. */
    CHECK_INT(check(in_dir, s, 1, inputs, 3, &err), OCP_ERR_CONFIG);
    /* A report folder that holds an input (it is replaced as a whole). */
    path_of(parts, sizeof parts, "parts2");
    CHECK_INT(mkdir(parts, 0777), 0);
    snprintf(in_in_parts, sizeof in_in_parts, "%s/x.h5", parts);
    CHECK_INT(touch(in_in_parts), 0);
    inputs[2] = in_in_parts;
    CHECK_INT(check(parts, s, 1, inputs, 3, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.path");
    inputs[2] = other;
    /* Without the input it still holds a file no report writes. */
    CHECK_INT(check(parts, s, 1, inputs, 3, &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "which no partitioned report writes") != NULL);
    CHECK_INT(unlink(in_in_parts), 0);
    CHECK_INT(check(parts, s, 1, inputs, 3, &err), OCP_OK);
    unlink(in_link);
}

static void test_folders(void)
{
    struct ocp_error err;
    char r[512], ro[512], rr[600];

    path_of(r, sizeof r, "no-such-folder/r.csv");
    CHECK_INT(check(r, NULL, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
    CHECK_KEY(err, "output.path");
    path_of(r, sizeof r, "x.summary.json");
    path_of(rr, sizeof rr, "no-such-folder/s.json");
    CHECK_INT(check(r, rr, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
    CHECK_KEY(err, "output.summary");
    /* Root ignores permission bits, so a read-only mount stands in for an
     * unwritable folder. */
    path_of(ro, sizeof ro, "ro");
    CHECK_INT(mkdir(ro, 0777), 0);
    if (mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") == 0) {
        snprintf(rr, sizeof rr, "%s/r.csv", ro);
        CHECK_INT(check(rr, NULL, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
        CHECK(strstr(err.message, "Read-only") != NULL);
        umount2(ro, MNT_DETACH);
    } else if (geteuid() != 0) {
        CHECK_INT(chmod(ro, 0555), 0);
        snprintf(rr, sizeof rr, "%s/r.csv", ro);
        CHECK_INT(check(rr, NULL, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
        chmod(ro, 0777);
    } else {
        SKIP("cannot mount a read-only tmpfs and root ignores permissions");
    }
}

static int write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* A partitioned report folder is replaced as a whole: only an empty
 * folder or a report's tree may be there. */
static void test_report_tree(void)
{
    struct ocp_error err;
    char top[512], p[700], s[512];
    const char *const levels[] = {"source=u", "year=2026", "month=11", "day=05"};
    size_t i;

    path_of(top, sizeof top, "tree");
    path_of(s, sizeof s, "tree.summary.json");
    CHECK_INT(mkdir(top, 0777), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_OK); /* empty */
    snprintf(p, sizeof p, "%s", top);
    for (i = 0; i < 4; i++) {
        size_t n = strlen(p);
        snprintf(p + n, sizeof p - n, "/%s", levels[i]);
        CHECK_INT(mkdir(p, 0777), 0);
    }
    strncat(p, "/ocpagg_summary_2026-11-05.parquet", sizeof p - strlen(p) - 1);
    CHECK_INT(touch(p), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_OK); /* an earlier report */
    /* Something else at each level is refused, naming it. */
    for (i = 0; i <= 4; i++) {
        char q[800];
        size_t k, n;
        snprintf(q, sizeof q, "%s", top);
        for (k = 0; k < i; k++) {
            n = strlen(q);
            snprintf(q + n, sizeof q - n, "/%s", levels[k]);
        }
        n = strlen(q);
        snprintf(q + n, sizeof q - n, "/notes.txt");
        CHECK_INT(touch(q), 0);
        CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_ERR_CONFIG);
        CHECK_KEY(err, "output.path");
        CHECK(strstr(err.message, q) != NULL);
        CHECK_INT(unlink(q), 0);
    }
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_OK);
    /* A folder named like a level but a file, a file named like a day
     * file in the wrong place, a symbolic link: refused. */
    snprintf(p, sizeof p, "%s/source=v", top);
    CHECK_INT(touch(p), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_INT(unlink(p), 0);
    snprintf(p, sizeof p, "%s/source=u/ocpagg_summary_2026-11-05.parquet", top);
    CHECK_INT(touch(p), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK_INT(unlink(p), 0);
    snprintf(p, sizeof p, "%s/source=w", top);
    CHECK_INT(symlink("/", p), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_ERR_CONFIG);
    CHECK(strstr(err.message, "source=w") != NULL);
    CHECK_INT(unlink(p), 0);
    CHECK_INT(check(top, s, 1, NULL, 0, &err), OCP_OK);
}

/* A name derived from another key: an existing file there must begin
 * with the mark; an empty file or a new name is fine; a given name is
 * not looked into. */
static void test_derived_names(void)
{
    struct ocp_error err;
    struct rpt_output_spec spec;
    char r[512], s[512];

    path_of(r, sizeof r, "d.csv");
    path_of(s, sizeof s, "d.summary.json");
    memset(&spec, 0, sizeof spec);
    spec.report_path = r;
    spec.report_key = "aws.output";
    spec.report_derived_from = "output.path";
    spec.report_mark = "uuid,report_period_id,";
    spec.summary_path = s;
    spec.summary_key = "output.summary";
    spec.summary_derived_from = "output.path";
    spec.summary_mark = RPT_SUMMARY_MARK;
    ocp_error_clear(&err);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_OK); /* new names */
    CHECK_INT(write_text(s, ""), 0);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_OK); /* empty */
    CHECK_INT(write_text(s, "{\n  \"ocpagg_version\": \"0.1.0\",\n  \"status\": \"ok\"\n}\n"), 0);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_OK); /* an earlier summary */
    CHECK_INT(write_text(s, "{\"mine\": 1}\n"), 0);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "output.summary");
    CHECK(strstr(err.message, "'output.path'") != NULL);
    CHECK_INT(write_text(s, "{"), 0); /* shorter than the mark */
    CHECK_INT(rpt_output_check(&spec, &err), OCP_ERR_CONFIG);
    spec.summary_derived_from = NULL; /* a name the user gave */
    CHECK_INT(rpt_output_check(&spec, &err), OCP_OK);
    CHECK_INT(write_text(r, "uuid,report_period_id,cluster_id\n"), 0);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_OK);
    CHECK_INT(write_text(r, "a,b\n"), 0);
    CHECK_INT(rpt_output_check(&spec, &err), OCP_ERR_CONFIG);
    CHECK_KEY(err, "aws.output");
    unlink(r);
    unlink(s);
}

/* Sets or clears FS_IMMUTABLE_FL on path; -1 where the file system or
 * the user cannot. */
static int set_immutable(const char *path, int on)
{
#if defined(__linux__) && defined(FS_IOC_SETFLAGS)
    int fd = open(path, O_RDONLY | O_NONBLOCK), flags = 0, rc = -1;
    if (fd < 0)
        return -1;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
        rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    close(fd);
    return rc;
#else
    (void)path;
    (void)on;
    return -1;
#endif
}

/* An immutable report or summary cannot be renamed over: found up front. */
static void test_immutable(void)
{
    struct ocp_error err;
    char r[512], s[512];

    path_of(r, sizeof r, "imm.csv");
    path_of(s, sizeof s, "imm.summary.json");
    CHECK_INT(touch(r), 0);
    if (set_immutable(r, 1) != 0) {
        SKIP("this file system or user cannot set the immutable flag");
        unlink(r);
        return;
    }
    CHECK_INT(check(r, s, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
    CHECK_KEY(err, "output.path");
    CHECK(strstr(err.message, "immutable") != NULL);
    CHECK_INT(check(s, r, 0, NULL, 0, &err), OCP_ERR_CANTCREAT);
    CHECK_KEY(err, "output.summary");
    CHECK_INT(set_immutable(r, 0), 0);
    CHECK_INT(check(r, s, 0, NULL, 0, &err), OCP_OK);
    unlink(r);
}

int main(void)
{
    if (tl_tmpdir_make(dir, sizeof dir, getenv("OCPAGG_BUILD"), "outcheck-XXXXXX") != 0)
        return 1;
    RUN(test_plain);
    RUN(test_special_files);
    RUN(test_symlinks_and_clashes);
    RUN(test_inputs);
    RUN(test_folders);
    RUN(test_report_tree);
    RUN(test_derived_names);
    RUN(test_immutable);
    tl_tmpdir_remove(dir);
    return TEST_SUMMARY();
}
