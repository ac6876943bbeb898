/*
 * xsum.h - exact, order-independent sums of doubles.
 *
 * Floating-point addition is not associative, so summing the same values
 * in another order (another chunking, another number of ranks) can change
 * the last bits of a double sum.  We instead add every value exactly into
 * a 192-bit two's-complement fixed-point integer whose binary point sits at
 * 2^-96, and round the total to a double once, at the end.  Integer
 * addition is associative and commutative, so the sum is the same for any
 * order and any split into partial sums, and it is the *exact* sum of the
 * inputs, correctly rounded (to nearest, ties to even).
 *
 * Range and precision:
 *   - every input with magnitude in [2^-44, 2^90) is added exactly (its 53
 *     mantissa bits land between 2^-96 and 2^142); smaller inputs lose only
 *     their bits below 2^-96, truncated toward zero the same way in every
 *     order;
 *   - the sum holds any value in (-2^95, 2^95); an input of 2^90 or more,
 *     an infinity, or a sum leaving that range is reported (the add returns
 *     non-zero) and the engine turns it into a data error naming the
 *     column, never a wrong number.  2^90 byte-seconds is 1.2e27: a 10 000
 *     node cluster with 4 TiB nodes over 31 days is 1.2e23.
 *   - NaN is SQL NULL and is skipped.
 *
 * Twenty-four bytes per sum: the add is a handful of integer instructions
 * (no floating-point rounding, no branches on the data other than the
 * sign), measured in bench/ against the earlier 16-byte 64.32 form.  A
 * pod row's eight sums are added at once with AVX-512 where the CPU has
 * it (engine/agg_sums.c), to the same bits.
 */
#ifndef OCPAGG_XSUM_H
#define OCPAGG_XSUM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

__extension__ typedef unsigned __int128 xsum_u128;

struct xsum {
    uint64_t w[3]; /* little-endian limbs; value = w * 2^-96, two's complement */
};

/* Exponent field (biased) of the first double that does not fit: 2^90. */
#define XSUM_EXP_LIMIT (1023 + 90)

static inline void xsum_init(struct xsum *s)
{
    s->w[0] = s->w[1] = s->w[2] = 0;
}

/* Adds the 192-bit two's-complement a[] to s; returns 1 when the sum left
 * the range (signed overflow of the top limb), else 0. */
static inline int xsum_add_limbs(struct xsum *s, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t c0, c1, t;
    int64_t top;
    int ov;

    c0 = __builtin_add_overflow(s->w[0], a0, &s->w[0]);
    c1 = __builtin_add_overflow(s->w[1], a1, &t);
    c1 |= __builtin_add_overflow(t, c0, &s->w[1]);
    ov = __builtin_add_overflow((int64_t)s->w[2], (int64_t)a2, &top);
    ov |= __builtin_add_overflow(top, (int64_t)c1, &top);
    s->w[2] = (uint64_t)top;
    return ov;
}

/* The general add of sign * m * 2^sh units (sh may be negative: bits
 * below 2^-96 are dropped, toward zero).  Negative values and values
 * below 2^-43 take this path; the common case is inlined in xsum_add. */
static inline int xsum_add_general(struct xsum *s, uint64_t m, int sh, int negative)
{
    uint64_t lo, hi, a0, a1, a2, neg;
    unsigned k, o;
    xsum_u128 t;

    if (sh < 0) {
        if (sh <= -53)
            return 0; /* below 2^-96: truncates to zero */
        m >>= -sh;
        sh = 0;
    }
    k = (unsigned)sh >> 6;
    o = (unsigned)sh & 63u;
    t = (xsum_u128)m << o;
    lo = (uint64_t)t;
    hi = (uint64_t)(t >> 64);
    /* The shifted mantissa covers limbs k and k+1 (k <= 2, and for k == 2
     * the high word is zero because sh < 134). */
    a0 = k == 0 ? lo : 0;
    a1 = k == 0 ? hi : (k == 1 ? lo : 0);
    a2 = k == 1 ? hi : (k == 2 ? lo : 0);
    if (negative) { /* add the two's complement (~a + 1) instead */
        uint64_t c;
        neg = ~(uint64_t)0;
        a0 ^= neg;
        a1 ^= neg;
        a2 ^= neg;
        c = __builtin_add_overflow(a0, 1, &a0);
        c = __builtin_add_overflow(a1, c, &a1);
        a2 += c;
    }
    return xsum_add_limbs(s, a0, a1, a2);
}

/* Adds v.  NaN (our NULL) is skipped.  Returns 1 when v is infinite, when
 * |v| >= 2^90, or when the sum left the range (the sum is then unusable),
 * else 0. */
static inline int xsum_add(struct xsum *s, double v)
{
    uint64_t bits, m, lo, hi, c;
    unsigned e, sh;
    int64_t top;
    xsum_u128 t;

    memcpy(&bits, &v, sizeof bits);
    e = (unsigned)(bits >> 52) & 0x7ffu;
    if (__builtin_expect(e >= XSUM_EXP_LIMIT, 0))
        return e == 0x7ffu && (bits & 0xfffffffffffffull) != 0 ? 0 : 1;
    m = (bits & 0xfffffffffffffull) | (1ull << 52);
    /* value = m * 2^(e - 1075); in units of 2^-96 that is m << (e - 979). */
    if (__builtin_expect(e < 980 || (int64_t)bits < 0, 0)) {
        if ((bits << 1) == 0)
            return 0; /* +0 and -0 */
        if (e == 0)   /* subnormal: far below 2^-96 */
            return 0;
        return xsum_add_general(s, m, (int)e - 979, (int64_t)bits < 0);
    }
    /* A positive value in [2^-43, 2^90): m << sh with 1 <= sh <= 133. */
    sh = e - 979;
    t = (xsum_u128)m << (sh & 63u);
    lo = (uint64_t)t;
    hi = (uint64_t)(t >> 64);
    switch (sh >> 6) {
    case 0:
        c = __builtin_add_overflow(s->w[0], lo, &s->w[0]);
        c = __builtin_add_overflow(s->w[1], hi + c, &s->w[1]);
        break;
    case 1:
        c = __builtin_add_overflow(s->w[1], lo, &s->w[1]);
        c += hi;
        break;
    default: c = lo; break;
    }
    if (__builtin_add_overflow((int64_t)s->w[2], (int64_t)c, &top))
        return 1;
    s->w[2] = (uint64_t)top;
    return 0;
}

/* Adds another partial sum; returns 1 when the sum left the range. */
static inline int xsum_merge(struct xsum *s, const struct xsum *o)
{
    return xsum_add_limbs(s, o->w[0], o->w[1], o->w[2]);
}

/* The sum rounded once to the nearest double (ties to even); the same bits
 * for any order of adds. */
static inline double xsum_value(const struct xsum *s)
{
    uint64_t w0 = s->w[0], w1 = s->w[1], w2 = s->w[2], m, rest;
    int neg = (int64_t)w2 < 0, p, lsb;
    unsigned rbit;
    double d;

    if (neg) { /* magnitude = -w; -2^191 cannot occur (range is 2^95 * 2^96) */
        uint64_t c;
        w0 = ~w0;
        w1 = ~w1;
        w2 = ~w2;
        c = __builtin_add_overflow(w0, 1, &w0);
        c = __builtin_add_overflow(w1, c, &w1);
        w2 += c;
    }
    /* p = index of the highest set bit of the 192-bit magnitude. */
    if (w2 != 0)
        p = 128 + 63 - __builtin_clzll(w2);
    else if (w1 != 0)
        p = 64 + 63 - __builtin_clzll(w1);
    else if (w0 != 0)
        p = 63 - __builtin_clzll(w0);
    else
        return 0.0;
    if (p <= 52) {
        d = (double)w0 * 0x1p-96; /* exact: fewer than 54 bits, normal */
        return neg ? -d : d;
    }
    /* The 53 bits [p-52, p] form the mantissa; bit p-53 rounds; any bit
     * below it is sticky. */
    lsb = p - 52;
    {
        uint64_t lim[3] = {w0, w1, w2};
        int q = lsb >> 6, r = lsb & 63, i;
        xsum_u128 win = lim[q];
        if (q + 1 < 3)
            win |= (xsum_u128)lim[q + 1] << 64;
        m = (uint64_t)(win >> r) & ((1ull << 53) - 1);
        /* Rounding bit at lsb-1 and the sticky bits below it. */
        {
            int rb = lsb - 1, rq = rb >> 6, rr = rb & 63;
            rbit = (unsigned)(lim[rq] >> rr) & 1u;
            rest = lim[rq] & ((1ull << rr) - 1);
            for (i = 0; i < rq; i++)
                rest |= lim[i];
        }
    }
    if (rbit && (rest != 0 || (m & 1))) {
        m++;
        if (m == 1ull << 53) {
            m >>= 1;
            lsb++;
        }
    }
    /* m * 2^(lsb - 96) with m in [2^52, 2^53): the double's fields
     * directly (it is normal: |sum| >= 2^-96), no ldexp call.  The
     * exponent field is lsb - 96 + 52 + 1023; the sign goes in as well. */
    {
        uint64_t bits = ((uint64_t)(lsb - 96 + 52 + 1023) << 52) | (m & ((1ull << 52) - 1)) |
                        ((uint64_t)neg << 63);
        memcpy(&d, &bits, sizeof d);
    }
    return d;
}

#endif
