/*
 * testlib.h - the few assertion macros the unit tests use.
 *
 * Each test file calls its test functions from main() through RUN(), then
 * returns TEST_SUMMARY(), which prints "N passed, N failed" and gives the
 * exit status ctest reads.
 */
#ifndef OCPAGG_TESTLIB_H
#define OCPAGG_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
