/*
 * xsum.h - exact, order-independent sums of doubles.
 *
 * Floating-point addition is not associative, so summing the same values
 * in another order (another chunking, another number of ranks) can change
 * the last bits of a double sum.  We instead split each value into its
 * integer part and its fraction at a fixed 2^-32 scale and add both as
 * integers.  Integer addition is associative and commutative, so the sum
 * is the same for any order and any split into partial sums.
 *
 * Sixteen bytes per sum keep a pod group (eight sums) within three cache
 * lines, which matters because the hot loop touches one group per row.
 * The fraction is exact down to 2^-32 (about 2.3e-10 of a second or a
 * byte-second); finer bits are truncated the same way in every order.  The
 * integer part holds sums below 2^63 (9.2e18 byte-seconds, about 100 TiB
 * for a whole day in one group); a sum past that sets `overflow`, which
 * the engine reports as a data error rather than a wrong number.
 */
#ifndef OCPAGG_XSUM_H
#define OCPAGG_XSUM_H

#include <math.h>
#include <stdint.h>

struct xsum {
    int64_t whole;
    uint64_t frac; /* units of 2^-32; carries are folded in at the end */
};

static inline void xsum_init(struct xsum *s)
{
    s->whole = 0;
    s->frac = 0;
}

/* Adds v; NaN (our NULL) and infinities are skipped.  Returns 1 when the
 * integer part overflowed (the sum is then unusable), else 0. */
static inline int xsum_add(struct xsum *s, double v)
{
    double fl;

    if (!isfinite(v))
        return 0;
    fl = floor(v);
    if (!(fabs(fl) < 0x1p62))
        return 1;
    /* v - fl is exact and in [0, 1); its top 32 bits go to frac. */
    s->frac += (uint64_t)(uint32_t)((v - fl) * 0x1p32);
    return __builtin_add_overflow(s->whole, (int64_t)fl, &s->whole);
}

/* Adds another partial sum; returns 1 on overflow. */
static inline int xsum_merge(struct xsum *s, const struct xsum *o)
{
    s->frac += o->frac;
    return __builtin_add_overflow(s->whole, o->whole, &s->whole);
}

/* The exact sum in units of 2^-32, as a 128-bit integer. */
__extension__ typedef __int128 xsum_i128;

static inline xsum_i128 xsum_units(const struct xsum *s)
{
    return (xsum_i128)s->whole * ((xsum_i128)1 << 32) + (xsum_i128)s->frac;
}

/* The sum rounded to a double; the same bits for any order of adds. */
static inline double xsum_value(const struct xsum *s)
{
    xsum_i128 u = xsum_units(s);
    xsum_i128 whole = u >> 32; /* floor, also for negative sums */
    uint32_t frac = (uint32_t)(u - whole * ((xsum_i128)1 << 32));
    return (double)(int64_t)whole + (double)frac * 0x1p-32;
}

/* The sum divided by a positive integer d (a sum split over d nodes). */
static inline double xsum_value_div(const struct xsum *s, int64_t d)
{
    xsum_i128 u = xsum_units(s), q, whole;
    uint32_t frac;

    if (d <= 1)
        return xsum_value(s);
    /* Floor division in 2^-32 units, then split as in xsum_value. */
    q = u / d;
    if ((u % d) < 0)
        q -= 1;
    whole = q >> 32;
    frac = (uint32_t)(q - whole * ((xsum_i128)1 << 32));
    return (double)(int64_t)whole + (double)frac * 0x1p-32;
}

#endif
