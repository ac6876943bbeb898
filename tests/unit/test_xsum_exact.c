/*
 * test_xsum_exact.c - the exact-sum accumulator against exact rational
 * arithmetic (GMP).
 *
 * Every double is an integer multiple of 2^-1074, so the exact sum of any
 * set of doubles is an integer S in units of 2^-1074; GMP adds them without
 * loss.  The correctly rounded double of S is found here independently of
 * xsum.h: truncate with mpz_get_d_2exp, take the next double away from
 * zero, and compare 2S with the sum of the two candidates exactly (ties go
 * to the even mantissa).  Each adversarial set is summed by xsum in many
 * orders and splits (forward, reverse, sorted both ways, random shuffles,
 * partial sums merged in random trees), and every result must equal the
 * rational one bit for bit.  The adds of a pod row's eight sums at once
 * (agg_sums.c: the job's way, with AVX-512 where the CPU has it) are
 * held to GMP too, each of the eight columns of many rows.
 */
#include <float.h>
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/agg_internal.h"
#include "engine/xsum.h"
#include "testlib.h"

/* v as an integer in units of 2^-1074 (exact for every finite double). */
static void mpz_of_double(mpz_t out, double v)
{
    int e;
    double m = frexp(fabs(v), &e); /* |v| = m * 2^e, m in [0.5, 1) */
    /* m * 2^53 is an integer below 2^53; |v| = that * 2^(e - 53). */
    mpz_set_d(out, ldexp(m, 53));
    if (e - 53 + 1074 >= 0)
        mpz_mul_2exp(out, out, (mp_bitcnt_t)(e - 53 + 1074));
    else
        mpz_fdiv_q_2exp(out, out, (mp_bitcnt_t)(-(e - 53 + 1074)));
    if (v < 0)
        mpz_neg(out, out);
}

/* The double nearest to S * 2^-1074, ties to even (S within double range). */
static double round_exact(const mpz_t s)
{
    mpz_t t, u, twice, pair;
    long e;
    double mant, lo, hi, r;
    int sign = mpz_sgn(s), c;

    if (sign == 0)
        return 0.0;
    mpz_inits(t, u, twice, pair, NULL);
    mant = mpz_get_d_2exp(&e, s); /* truncated toward zero, |mant| in [0.5,1) */
    lo = ldexp(mant, (int)(e - 1074));
    hi = nextafter(lo, sign > 0 ? INFINITY : -INFINITY);
    mpz_of_double(t, lo);
    mpz_of_double(u, hi);
    mpz_mul_2exp(twice, s, 1);
    mpz_add(pair, t, u);
    c = mpz_cmp(twice, pair);
    if (sign < 0)
        c = -c; /* compare magnitudes */
    if (c < 0)
        r = lo;
    else if (c > 0)
        r = hi;
    else {
        uint64_t bits;
        memcpy(&bits, &lo, sizeof bits);
        r = (bits & 1) ? hi : lo;
    }
    mpz_clears(t, u, twice, pair, NULL);
    return r;
}

/* The exact sum of v[0..n) rounded once. */
static double exact_sum(const double *v, size_t n)
{
    mpz_t s, x;
    size_t i;
    double r;
    mpz_inits(s, x, NULL);
    for (i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        mpz_of_double(x, v[i]);
        mpz_add(s, s, x);
    }
    r = round_exact(s);
    mpz_clears(s, x, NULL);
    return r;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double unit(void)
{
    return (double)(rnd() >> 11) * 0x1p-53;
}

static int cmp_up(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static int cmp_down(const void *a, const void *b)
{
    return cmp_up(b, a);
}

static double xsum_of(const double *v, size_t n)
{
    struct xsum s;
    size_t i;
    int bad = 0;
    xsum_init(&s);
    for (i = 0; i < n; i++)
        bad |= xsum_add(&s, v[i]);
    CHECK_INT(bad, 0);
    return xsum_value(&s);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Partial sums of random slices, each summed backwards, merged in a
 * random order. */
static double xsum_tree(const double *v, size_t n)
{
    struct xsum parts[16];
    size_t cut[17], i;
    int k, np = 1 + (int)(rnd() % 16), bad = 0, left;

    cut[0] = 0;
    for (k = 1; k < np; k++)
        cut[k] = n ? (size_t)(rnd() % (n + 1)) : 0;
    cut[np] = n;
    qsort(cut + 1, (size_t)(np - 1), sizeof cut[0], cmp_size);
    for (k = 0; k < np; k++) {
        xsum_init(&parts[k]);
        /* Each slice summed backwards, for another order still. */
        for (i = cut[k + 1]; i > cut[k]; i--)
            bad |= xsum_add(&parts[k], v[i - 1]);
    }
    /* Merge random pairs until one is left. */
    for (left = np; left > 1; left--) {
        int a = (int)(rnd() % (unsigned)left), b = (int)(rnd() % (unsigned)(left - 1));
        if (b >= a)
            b++;
        bad |= xsum_merge(&parts[a], &parts[b]);
        parts[b] = parts[left - 1];
        if (a == left - 1)
            a = b;
    }
    CHECK_INT(bad, 0);
    return xsum_value(&parts[0]);
}

static void shuffle(double *v, size_t n)
{
    size_t i;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)(rnd() % i);
        double t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static long sets_checked;

/* Every order and split of v must give the correctly rounded exact sum. */
static void check_set(const char *name, double *v, size_t n)
{
    double want = exact_sum(v, n), got;
    int k, fails = 0;

    for (k = 0; k < 12; k++) {
        switch (k) {
        case 0: break;
        case 1: {
            size_t i;
            for (i = 0; i < n / 2; i++) {
                double t = v[i];
                v[i] = v[n - 1 - i];
                v[n - 1 - i] = t;
            }
        } break;
        case 2: qsort(v, n, sizeof *v, cmp_up); break;
        case 3: qsort(v, n, sizeof *v, cmp_down); break;
        default: shuffle(v, n); break;
        }
        got = k % 2 ? xsum_tree(v, n) : xsum_of(v, n);
        if (memcmp(&got, &want, sizeof got) != 0 && fails++ == 0)
            fprintf(stderr, "%s: order %d: xsum %a, exact %a (n=%zu)\n", name, k, got, want, n);
    }
    CHECK_INT(fails, 0);
    sets_checked++;
}

static double sign(void)
{
    return (rnd() & 1) ? -1.0 : 1.0;
}

/* Log-uniform magnitude in [10^lo, 10^hi). */
static double mag(double lo, double hi)
{
    return pow(10.0, lo + (hi - lo) * unit());
}

int main(void)
{
    enum { MAXN = 5000 };
    double *v = malloc(MAXN * sizeof *v);
    size_t n, i;
    int rep;

    if (v == NULL)
        return 1;

    fprintf(stderr, "-- mixed magnitudes 1e-6 .. 1e20, both signs\n");
    for (rep = 0; rep < 300; rep++) {
        n = 1 + (size_t)(rnd() % 2000);
        for (i = 0; i < n; i++)
            v[i] = sign() * mag(-6, 20);
        check_set("mixed", v, n);
    }

    fprintf(stderr, "-- many tiny values next to huge ones that cancel\n");
    for (rep = 0; rep < 100; rep++) {
        double big = mag(15, 26);
        n = 0;
        v[n++] = big;
        v[n++] = -big;
        v[n++] = big * 0.75;
        while (n < 3000)
            v[n++] = mag(-6, -2) * ((rnd() % 8) ? 1.0 : -1.0);
        v[n++] = -big * 0.75;
        check_set("tiny+huge", v, n);
    }

    fprintf(stderr, "-- values that cancel only in their fractions\n");
    for (rep = 0; rep < 200; rep++) {
        n = 0;
        while (n + 2 <= 2000) {
            double a = mag(0, 18), f = unit();
            v[n++] = a + f;                       /* rounds: fraction partly lost */
            v[n++] = -(a + f) + unit() * 0x1p-30; /* near-cancelling partner */
        }
        check_set("fraction-cancel", v, n);
    }

    fprintf(stderr, "-- exact halfway cases (ties to even) and sticky bits\n");
    {
        double t1[] = {0x1p53, 1.0};             /* 2^53+1: tie, down to even */
        double t2[] = {0x1p53, 3.0};             /* 2^53+3: tie, up to even */
        double t3[] = {0x1p53, 1.0, 0x1p-40};    /* above the tie: up */
        double t4[] = {0x1p53, 1.0, -0x1p-40};   /* below the tie: down */
        double t5[] = {-0x1p53, -1.0};           /* negative tie */
        double t6[] = {0x1p89, 0x1p36, 0x1p-44}; /* 2^89 + half ulp + sticky */
        double t7[] = {0x1p89, 0x1p36};          /* 2^89 + exact half ulp */
        double t8[] = {0x1.fffffffffffffp89, 0x1.fffffffffffffp89, -0x1p-44};
        double t9[] = {1e-6, 1e20, -1e20};
        double t10[] = {0.1, 0.2, -0.3};
        double *sets[] = {t1, t2, t3, t4, t5, t6, t7, t8, t9, t10};
        size_t lens[] = {2, 2, 3, 3, 2, 3, 2, 3, 3, 3};
        for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            memcpy(v, sets[i], lens[i] * sizeof *v);
            check_set("tie", v, lens[i]);
        }
        CHECK(xsum_of(t1, 2) == 0x1p53);
        CHECK(xsum_of(t2, 2) == 0x1p53 + 4.0);
        CHECK(xsum_of(t3, 3) == 0x1p53 + 2.0);
        CHECK(xsum_of(t4, 3) == 0x1p53);
        CHECK(xsum_of(t9, 3) == 1e-6);
        /* 0.1 + 0.2 - 0.3 is exactly 2^-55 (Python fractions agree), not
         * the 5.55e-17 (2^-54) that double additions give. */
        CHECK(xsum_of(t10, 3) == 0x1p-55);
    }

    fprintf(stderr, "-- random ties built from 53-bit mantissas\n");
    for (rep = 0; rep < 500; rep++) {
        int e = (int)(rnd() % 120) - 40; /* top bit between 2^-40 and 2^80 */
        double a = ldexp((double)((rnd() >> 11) | (1ull << 52)), e - 52);
        double half = ldexp(1.0, e - 53); /* half an ulp of a */
        n = 0;
        v[n++] = a;
        v[n++] = half * (double)(1 + 2 * (rnd() % 3)); /* odd multiples of the half ulp */
        if (rnd() & 1) {                               /* a sticky bit, kept at or above 2^-96 */
            int se = e - 53 - 1 - (int)(rnd() % 30);
            v[n++] = (rnd() & 1 ? 1 : -1) * ldexp(1.0, se < -96 ? -96 : se);
        }
        check_set("random-tie", v, n);
    }

    fprintf(stderr, "-- byte-seconds of large clusters (sums past 2^64)\n");
    for (rep = 0; rep < 50; rep++) {
        n = 4000;
        for (i = 0; i < n; i++)
            v[i] = floor(mag(9, 13)) * 3600.0 + unit(); /* GiB..TiB nodes for an hour */
        check_set("cluster", v, n);
    }

    fprintf(stderr, "-- negative sums and the edges of the range\n");
    for (rep = 0; rep < 100; rep++) {
        n = 1 + (size_t)(rnd() % 30);
        for (i = 0; i < n; i++)
            v[i] = -ldexp(unit() + 0.5, 80 + (int)(rnd() % 9)); /* up to 2^89 */
        check_set("neg-large", v, n);
    }

    fprintf(stderr, "-- inputs of every magnitude in [2^-44, 2^90)\n");
    for (rep = 0; rep < 300; rep++) {
        n = 1 + (size_t)(rnd() % 500);
        for (i = 0; i < n; i++)
            v[i] = sign() * ldexp(unit() + 0.5, -44 + (int)(rnd() % 134));
        for (i = 0; i < n; i++)
            if (fabs(v[i]) >= 0x1p90)
                v[i] = copysign(0x1.fffffffffffffp89, v[i]);
        check_set("all-magnitudes", v, n);
    }

    fprintf(stderr, "-- NULL (NaN) is skipped\n");
    {
        double t[] = {1.5, NAN, 2.25, NAN};
        memcpy(v, t, sizeof t);
        check_set("nan", v, 4);
        CHECK(xsum_of(t, 4) == 3.75);
    }

    /* Below 2^-96 bits are truncated toward zero, the same in any order:
     * tiny values alone contribute nothing, so the result is the exact
     * sum of the rest. */
    fprintf(stderr, "-- values below 2^-96 lose only those bits\n");
    {
        struct xsum a, b;
        xsum_init(&a);
        xsum_init(&b);
        for (i = 0; i < 1000; i++)
            xsum_add(&a, 0x1p-100);
        CHECK(xsum_value(&a) == 0.0);
        xsum_add(&b, 1.0);
        xsum_add(&b, 0x1.8p-96); /* 2^-96 + 2^-97: keeps the 2^-96 bit */
        xsum_add(&b, -1.0);
        CHECK(xsum_value(&b) == 0x1p-96);
        xsum_init(&b);
        xsum_add(&b, -0x1.8p-96);
        CHECK(xsum_value(&b) == -0x1p-96); /* toward zero, symmetric */
    }

    fprintf(stderr, "-- a pod row's eight sums at once (agg_pod_sums_add)\n");
    {
        enum { ROWS = 4000 };
        long pod_sets = 0;
        double *col = malloc((size_t)ROWS * PS_COUNT * sizeof *col);
        int way, k;
        if (col == NULL)
            return 1;
        for (rep = 0; rep < 40; rep++) {
            for (i = 0; i < (size_t)ROWS * PS_COUNT; i++) {
                unsigned r = (unsigned)(rnd() % 100);
                k = (int)(i % PS_COUNT);
                /* Mostly CPU seconds or memory byte-seconds of the size a
                 * row carries, some NULL, zero, negative, or of any
                 * magnitude in [2^-44, 2^top): top grows with rep, so
                 * that the early sets' sums stay small enough for an
                 * error in a small value to show in the rounded sum. */
                if (r < 5)
                    col[i] = NAN;
                else if (r < 8)
                    col[i] = (rnd() & 1) ? 0.0 : -0.0;
                else if (r < 13)
                    col[i] = k < 4 ? -mag(-3, 5) : -floor(mag(6, 12)) * 3600.0;
                else if (r < 20)
                    col[i] = ldexp(unit() + 0.5, -44 + (int)(rnd() % (unsigned)(48 + 2 * rep)));
                else
                    col[i] = k < 4 ? mag(-3, 5) : floor(mag(6, 12)) * 3600.0 + unit();
            }
            /* The dispatching add (the job's), then the vector one. */
            for (way = 0; way < 2; way++) {
                struct pod_val pv;
                double one[ROWS];
                int bad = 0;
                if (way == 1 && !agg_pod_sums_vector_ok())
                    break;
                memset(&pv, 0, sizeof pv);
                for (i = 0; i < ROWS; i++) {
                    const double *x = col + i * PS_COUNT;
                    bad |= way == 0 ? agg_pod_sums_add(&pv, x[0], x[1], x[2], x[3], x[4], x[5],
                                                       x[6], x[7])
                                    : agg_pod_sums_add_vector(&pv, x);
                }
                CHECK_INT(bad, 0);
                for (k = 0; k < PS_COUNT; k++) {
                    struct xsum got = pod_sum(&pv, k);
                    double g = xsum_value(&got), want;
                    for (i = 0; i < ROWS; i++)
                        one[i] = col[i * PS_COUNT + (size_t)k];
                    want = exact_sum(one, ROWS);
                    if (memcmp(&g, &want, sizeof g) != 0)
                        fprintf(stderr, "pod sums way %d, sum %d: %a, exact %a\n", way, k, g, want);
                    CHECK(memcmp(&g, &want, sizeof g) == 0);
                }
                pod_sets += PS_COUNT;
            }
        }
        free(col);
        fprintf(stderr, "%ld sums of %d rows added a row at a time agree with GMP\n", pod_sets,
                (int)ROWS);
        CHECK(pod_sets >= 40 * PS_COUNT);
    }

    fprintf(stderr, "%ld value sets, each in 12 orders and splits, agree with GMP\n", sets_checked);
    free(v);
    return TEST_SUMMARY();
}
