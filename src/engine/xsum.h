/*
 * xsum.h - exact, order-independent sums of doubles.
 *
 * Floating-point addition is not associative, so summing the same values
 * in another order (another chunking, another number of ranks) can change
 * the last bits of a double sum.  We instead split each value into its
 * integer part and its fraction at a fixed 2^-64 scale and add both as
 * 128-bit integers.  Integer addition is associative and commutative, so
 * the sum is the same for any order and any split into partial sums.
 *
 * The integer part holds any double below 2^126 exactly; the fraction is
 * exact down to 2^-64, and bits below that are truncated identically for
 * every order.  The doubles summed here are seconds and byte-seconds, far
 * inside that range.
 */
#ifndef OCPAGG_XSUM_H
#define OCPAGG_XSUM_H

#include <math.h>
#include <stdint.h>

__extension__ typedef __int128 xsum_i128;
__extension__ typedef unsigned __int128 xsum_u128;

struct xsum {
    xsum_i128 whole;
    xsum_u128 frac; /* units of 2^-64; carries are folded in at the end */
};

static inline void xsum_init(struct xsum *s)
{
    s->whole = 0;
    s->frac = 0;
}

/* Adds v; NaN (our NULL) and infinities are skipped. */
static inline void xsum_add(struct xsum *s, double v)
{
    double fl, fr;

    if (!isfinite(v))
        return;
    fl = floor(v);
    fr = v - fl; /* exact: fl and v share the binade or v is integral */
    if (fabs(fl) < 0x1p62)
        s->whole += (int64_t)fl;
    else
        s->whole += (xsum_i128)fl;
    if (fr != 0.0)
        s->frac += (uint64_t)(fr * 0x1p64);
}

/* Adds another partial sum. */
static inline void xsum_merge(struct xsum *s, const struct xsum *o)
{
    s->whole += o->whole;
    s->frac += o->frac;
}

/* The sum rounded to a double; the same bits for any order of adds. */
static inline double xsum_value(const struct xsum *s)
{
    xsum_i128 whole = s->whole + (xsum_i128)(s->frac >> 64);
    uint64_t frac = (uint64_t)s->frac;
    return (double)whole + (double)frac * 0x1p-64;
}

/* The sum divided by a positive integer d, rounded once from the exact
 * quotient's leading bits (used where a sum is split over d nodes). */
static inline double xsum_value_div(const struct xsum *s, int64_t d)
{
    xsum_i128 whole = s->whole + (xsum_i128)(s->frac >> 64);
    uint64_t frac = (uint64_t)s->frac;
    xsum_i128 q, r;
    xsum_u128 rem_frac;

    if (d <= 1)
        return xsum_value(s);
    /* Floor division so the remainder is non-negative. */
    q = whole / d;
    r = whole % d;
    if (r < 0) {
        r += d;
        q -= 1;
    }
    rem_frac = (((xsum_u128)r << 64) | frac) / (xsum_u128)d;
    return (double)q + (double)(uint64_t)rem_frac * 0x1p-64;
}

#endif
