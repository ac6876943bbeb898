/*
 * test_pod_sums.c - a pod row's eight sums added with AVX-512
 * (agg_sums.c) give the same limbs and the same overflow answer as the
 * plain xsum_add of each (whose exactness test_xsum_exact checks against
 * GMP): from zero and from crafted states (limbs all ones, so carries run
 * through all three; a top limb next to the range's end, so the add
 * overflows), for values of every kind the adds meet (usage and request
 * sizes of CPU seconds and memory byte-seconds, zero and -0, NULL (NaN),
 * negative, below 2^-43, subnormal, powers of two up to 2^89, 2^90 and
 * infinities).  Skipped (77) where the CPU has no AVX-512.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/agg_internal.h"
#include "testlib.h"

static uint64_t state = 0x243F6A8885A308D3ull;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* One value for sum k: mostly the sizes the adds meet, the rest of every
 * other kind (in thousandths: 1 at 2^90 or infinite, 14 of 2^80-2^89,
 * which reach the range's end in a few dozen adds). */
static double value(int k)
{
    unsigned r = (unsigned)(rnd() % 1000);

    if (r < 10)
        return 0.0;
    if (r < 15)
        return -0.0;
    if (r < 40)
        return NAN;
    if (r < 60)
        return -unit() * 3600.0;
    if (r < 80)
        return ldexp(unit(), -44 - (int)(rnd() % 40)); /* below 2^-43 */
    if (r < 90)
        return 4.9e-324 * (double)(1 + rnd() % 1000); /* subnormal */
    if (r < 120)
        return ldexp(1.0, (int)(rnd() % 90) - 43); /* 2^-43 .. 2^46 */
    if (r < 125)
        return ldexp(1.0, 89);
    if (r < 126)
        return rnd() % 2 ? INFINITY : ldexp(1.0, 90) * (1 + unit());
    if (r < 140)
        return ldexp(1.0 + unit(), 80 + (int)(rnd() % 10));
    /* CPU seconds in the first four sums, memory byte-seconds after. */
    if (k < 4)
        return unit() * 3600.0 * (double)(1 + rnd() % 64);
    return unit() * 3600.0 * ldexp(1.0, 20 + (int)(rnd() % 22));
}

/* A starting state: zero, random limbs, all-ones limbs, or a top limb
 * near either end of the range. */
static void start(struct pod_val *v)
{
    int j, k;
    memset(v, 0, sizeof *v);
    switch (rnd() % 5) {
    case 0: return;
    case 1:
        for (j = 0; j < 3; j++)
            for (k = 0; k < PS_COUNT; k++)
                v->w[j][k] = rnd();
        return;
    case 2:
        for (k = 0; k < PS_COUNT; k++) {
            v->w[0][k] = UINT64_MAX - rnd() % 4096;
            v->w[1][k] = UINT64_MAX;
            v->w[2][k] = rnd() % 2 ? UINT64_MAX : 0;
        }
        return;
    case 3:
        for (k = 0; k < PS_COUNT; k++) {
            v->w[0][k] = rnd();
            v->w[1][k] = UINT64_MAX - rnd() % 3;
            v->w[2][k] = (uint64_t)INT64_MAX - rnd() % 64;
        }
        return;
    default:
        for (k = 0; k < PS_COUNT; k++) {
            v->w[0][k] = rnd();
            v->w[1][k] = rnd();
            v->w[2][k] = (uint64_t)INT64_MIN + rnd() % 64;
        }
        return;
    }
}

int main(void)
{
    struct pod_val a, b;
    double x[PS_COUNT];
    long rows = 0, overflows = 0, slow_lanes = 0;
    int run, step, k;

    if (!agg_pod_sums_vector_ok()) {
        SKIP("this CPU has no AVX-512 (or OCPAGG_NO_AVX512 is set)");
        return TEST_SUMMARY();
    }
    for (run = 0; run < 20000; run++) {
        start(&a);
        b = a;
        for (step = 0; step < 64; step++) {
            int oa, ob;
            for (k = 0; k < PS_COUNT; k++) {
                x[k] = value(k);
                slow_lanes += !(x[k] > 0 && x[k] >= 0x1p-43 && x[k] < 0x1p90) && x[k] != 0;
            }
            oa = agg_pod_sums_add_plain(&a, x);
            ob = agg_pod_sums_add_vector(&b, x);
            rows++;
            CHECK_INT(ob != 0, oa != 0);
            if (oa != 0 || ob != 0) {
                /* The sum is unusable after an overflow (the job stops
                 * with an error): only the answer must agree. */
                overflows++;
                break;
            }
            if (memcmp(a.w, b.w, sizeof a.w) != 0) {
                fprintf(stderr, "run %d step %d: limbs differ\n", run, step);
                CHECK(0);
                return TEST_SUMMARY();
            }
        }
    }
    /* The dispatching entry point gives the plain bits too. */
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (step = 0; step < 100000; step++) {
        for (k = 0; k < PS_COUNT; k++)
            x[k] = unit() * 3600.0 * (k < 4 ? 8.0 : 68719476736.0);
        CHECK_INT(agg_pod_sums_add_plain(&a, x), 0);
        CHECK_INT(agg_pod_sums_add(&b, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]), 0);
    }
    CHECK(memcmp(a.w, b.w, sizeof a.w) == 0);
    /* Merging limb by limb is the merge of each sum. */
    {
        struct pod_val m = a;
        struct xsum s[PS_COUNT];
        for (k = 0; k < PS_COUNT; k++) {
            s[k] = pod_sum(&a, k);
            CHECK_INT(xsum_merge(&s[k], &s[k]), 0);
        }
        CHECK_INT(agg_pod_sums_merge(&m, &a), 0);
        for (k = 0; k < PS_COUNT; k++) {
            struct xsum t = pod_sum(&m, k);
            CHECK(memcmp(&t, &s[k], sizeof t) == 0);
        }
    }
    fprintf(stderr, "%ld rows (%ld lanes the plain way), %ld overflows: same bits\n", rows,
            slow_lanes, overflows);
    CHECK(overflows > 1000);
    CHECK(rows > 500000);
    CHECK(slow_lanes > 100000);
    return TEST_SUMMARY();
}
