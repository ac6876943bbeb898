/*
 * testlib.h - the few assertion macros the unit tests use.
 *
 * Each test file calls its test functions from main() through RUN(), then
 * returns TEST_SUMMARY(), which prints "N passed, N failed" and gives the
 * exit status ctest reads.  Tests that write files make their scratch
 * directory with tl_tmpdir_make() first and drop it with tl_tmpdir_remove()
 * last.
 */
#ifndef OCPAGG_TESTLIB_H
#define OCPAGG_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tl_passed, tl_failed, tl_skipped;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            tl_passed++;                                                                           \
        } else {                                                                                   \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long tl_a = (long long)(a), tl_b = (long long)(b);                                    \
        if (tl_a == tl_b) {                                                                        \
            tl_passed++;                                                                           \
        } else {                                                                                   \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, tl_a,    \
                    tl_b);                                                                         \
        }                                                                                          \
    } while (0)

#define CHECK_DBL(a, b, tol)                                                                       \
    do {                                                                                           \
        double tl_a = (double)(a), tl_b = (double)(b);                                             \
        if (fabs(tl_a - tl_b) <= (tol)) {                                                          \
            tl_passed++;                                                                           \
        } else {                                                                                   \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s == %.17g, expected %.17g\n", __FILE__, __LINE__, #a, tl_a,  \
                    tl_b);                                                                         \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *tl_a = (a), *tl_b = (b);                                                       \
        if (tl_a != NULL && tl_b != NULL && strcmp(tl_a, tl_b) == 0) {                             \
            tl_passed++;                                                                           \
        } else {                                                                                   \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,      \
                    tl_a ? tl_a : "(null)", tl_b ? tl_b : "(null)");                               \
        }                                                                                          \
    } while (0)

#define SKIP(why)                                                                                  \
    do {                                                                                           \
        tl_skipped++;                                                                              \
        fprintf(stderr, "skipped: %s\n", why);                                                     \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        fprintf(stderr, "-- %s\n", #fn);                                                           \
        fn();                                                                                      \
    } while (0)

/* Exit status for ctest: 1 on a failure; 77 (SKIP_RETURN_CODE) when any
 * part was skipped for a missing input or tool, so a skip never reads as a
 * pass; else 0. */
#define TEST_SUMMARY()                                                                             \
    (printf("%d passed, %d failed, %d skipped\n", tl_passed, tl_failed, tl_skipped),               \
     tl_failed != 0    ? 1                                                                         \
     : tl_skipped != 0 ? 77                                                                        \
                       : 0)

/* Makes the test's scratch directory `base`/`name` in `dir`; `base` NULL
 * or "" means /tmp.  A name ending in "XXXXXX" is made unique by
 * mkdtemp(); any other gets "_<pid>" appended and is made by mkdir().
 * Either way the directory is 0700.  Says why and returns -1 when it
 * cannot. */
static inline int tl_tmpdir_make(char *dir, size_t size, const char *base, const char *name)
{
    size_t len = strlen(name);
    int unique = len >= 6 && strcmp(name + len - 6, "XXXXXX") == 0;
    int n;

    if (base == NULL || *base == '\0')
        base = "/tmp";
    if (unique)
        n = snprintf(dir, size, "%s/%s", base, name);
    else
        n = snprintf(dir, size, "%s/%s_%ld", base, name, (long)getpid());
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "scratch directory name too long: %s/%s\n", base, name);
        return -1;
    }
    if (unique ? mkdtemp(dir) == NULL : mkdir(dir, 0700) != 0) {
        perror(dir);
        return -1;
    }
    return 0;
}

/* Removes the scratch directory and all the test left in it (rm -rf). */
static inline void tl_tmpdir_remove(const char *dir)
{
    char cmd[1100];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof cmd || system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
