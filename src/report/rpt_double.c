/*
 * rpt_double.c - report numbers as the shortest text that reads back to
 * the same double.
 *
 * The digits come from the Schubfach method (R. Giulietti, "The Schubfach
 * way to render doubles", 2020): one 64 x 126-bit multiplication by a
 * tabulated power of ten (rpt_pow10.h, generated exactly by
 * scripts/dev/gen_pow10_table.py) gives the shortest decimal in the
 * double's rounding interval, the closest one when there are two; no
 * printf, no big numbers, no strtod.  The text is laid out the way
 * printf's "%.{P}g" lays out those digits with P = max(digits, 15), so a
 * report reads exactly as before (the shortest of %.15g, %.16g and %.17g
 * that round-trips; tests/unit/test_report.c checks the two agree).
 */
#include "ocpagg/report.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_pow10.h"

__extension__ typedef unsigned __int128 rpt_u128;

#define MASK_63 ((uint64_t)0x7fffffffffffffffull)
#define C_MIN ((uint64_t)1 << 52)
#define Q_MIN (-1074)

static inline uint64_t mul_high(uint64_t a, uint64_t b)
{
    return (uint64_t)(((rpt_u128)a * b) >> 64);
}

/* floor(q log10 2), floor(log10(3/4 2^q)), floor(e log2 10) for the
 * exponent ranges of doubles (integer forms from the paper). */
static inline int flog10pow2(int q)
{
    return (int)(((int64_t)q * 661971961083LL) >> 41);
}
static inline int flog10three_quarters_pow2(int q)
{
    return (int)(((int64_t)q * 661971961083LL - 274743187321LL) >> 41);
}
static inline int flog2pow10(int e)
{
    return (int)(((int64_t)e * 913124641741LL) >> 38);
}

/* rop(cp * g * 2^-127) with g = g1 2^63 + g0: the product rounded to odd
 * (the low bit says whether anything was dropped). */
static inline uint64_t rop(uint64_t g1, uint64_t g0, uint64_t cp)
{
    uint64_t x1 = mul_high(g0, cp);
    uint64_t y0 = g1 * cp;
    uint64_t y1 = mul_high(g1, cp);
    uint64_t z = (y0 >> 1) + x1;
    uint64_t vbp = y1 + (z >> 63);
    return vbp | (((z & MASK_63) + MASK_63) >> 63);
}

/* The shortest decimal f 10^e in the rounding interval of c 2^q. */
static void to_decimal(int q, uint64_t c, int dk, uint64_t *f, int *e)
{
    uint64_t out = c & 1, cb = c << 2, cbr = cb + 2, cbl, g1, g0, vb, vbl, vbr, s, t;
    int k, h;

    if (c != C_MIN || q == Q_MIN) {
        cbl = cb - 2;
        k = flog10pow2(q);
    } else {
        /* At a power of two the gap below is half the gap above. */
        cbl = cb - 1;
        k = flog10three_quarters_pow2(q);
    }
    h = q + flog2pow10(-k) + 2;
    g1 = rpt_g_table[k - RPT_G_K_MIN][0];
    g0 = rpt_g_table[k - RPT_G_K_MIN][1];
    vb = rop(g1, g0, cb << h);
    vbl = rop(g1, g0, cbl << h);
    vbr = rop(g1, g0, cbr << h);
    s = vb >> 2;
    if (s >= 100) {
        /* One digit fewer: s' = floor(s / 10) and its successor. */
        uint64_t sp10 = 10 * mul_high(s, (uint64_t)115292150460684698ull << 4);
        uint64_t tp10 = sp10 + 10;
        int upin = vbl + out <= sp10 << 2;
        int wpin = (tp10 << 2) + out <= vbr;
        if (upin != wpin) {
            *f = upin ? sp10 : tp10;
            *e = k;
            return;
        }
    }
    t = s + 1;
    {
        int uin = vbl + out <= s << 2;
        int win = (t << 2) + out <= vbr;
        if (uin != win) {
            *f = uin ? s : t;
            *e = k + dk;
            return;
        }
    }
    /* Both in the interval: the closer one, ties to even. */
    {
        int64_t cmp = (int64_t)(vb - ((s + t) << 1));
        *f = cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t;
        *e = k + dk;
    }
}

/* Writes digits d[0..n) with decimal exponent x (value d.ddd × 10^x) the
 * way printf's %.{prec}g would: fixed when -4 <= x < prec, scientific
 * otherwise, trailing zeros dropped (n counts none), and a NUL.  d has 40
 * readable bytes, '0' past the digits, so the fixed layouts are a few
 * copies of constant length (n <= 17, so x + 1 <= 17 digits before the
 * point and at most 16 after it), straight into out: every write stays
 * in its 32 bytes (below), and none of it is read back here (a text built
 * elsewhere and copied over whole waited for its own stores to land). */
static size_t format_g(int negative, const char *d, int n, int x, int prec, char *out)
{
    size_t o = 0;
    int i;

    if (negative)
        out[o++] = '-';
    if (x < -4 || x >= prec) {
        int ax = x < 0 ? -x : x;
        out[o++] = d[0];
        if (n > 1) {
            out[o++] = '.';
            for (i = 1; i < n; i++)
                out[o++] = d[i];
        }
        out[o++] = 'e';
        out[o++] = x < 0 ? '-' : '+';
        if (ax >= 100)
            out[o++] = (char)('0' + ax / 100);
        out[o++] = (char)('0' + ax / 10 % 10);
        out[o++] = (char)('0' + ax % 10);
    } else if (x < 0) {
        /* 0.000ddd: -x - 1 zeros (at most 3) after the point; the copy
         * of d ends by byte 1 + 5 + 24 = 30. */
        memcpy(out + o, "0.000", 5);
        o += (size_t)(1 - x);
        memcpy(out + o, d, 24);
        o += (size_t)n;
    } else if (x + 1 >= n) {
        /* A whole number: the digits, then '0's up to x + 1 of them. */
        memcpy(out + o, d, 24);
        o += (size_t)x + 1;
    } else {
        memcpy(out + o, d, 24);
        o += (size_t)x + 1;
        out[o++] = '.';
        /* n - x - 1 digits after the point: more than 8 only when at
         * most 8 came before it (o <= 10, the copy ends by 26); 8 or
         * fewer are copied as 8 (o <= 18, ends by 26). */
        if (n - x - 1 > 8)
            memcpy(out + o, d + x + 1, 16);
        else
            memcpy(out + o, d + x + 1, 8);
        o += (size_t)(n - x - 1);
    }
    out[o] = '\0';
    return o;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the 4 digits of v < 10000 at p. */
static inline void four_digits(char *p, uint32_t v)
{
    uint32_t hi = v / 100;
    memcpy(p, digit_pairs + 2 * hi, 2);
    memcpy(p + 2, digit_pairs + 2 * (v - 100 * hi), 2);
}

/* Writes the decimal digits of f < 10^24 at d (most significant first),
 * '0's after them up to d[24); returns how many digits.  Eight digits at
 * a time in 32-bit arithmetic, into tmp from its middle backwards, then
 * one copy of constant length. */
static int write_digits(uint64_t f, char *d)
{
    char tmp[48], *end = tmp + 24, *p = end;
    uint32_t v;
    int n;

    while (f >= 100000000u) {
        uint64_t q = f / 100000000u;
        uint32_t r = (uint32_t)(f - q * 100000000u);
        p -= 8;
        four_digits(p, r / 10000);
        four_digits(p + 4, r % 10000);
        f = q;
    }
    v = (uint32_t)f;
    while (v >= 100) {
        uint32_t q = v / 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * (v - 100 * q), 2);
        v = q;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    n = (int)(end - p);
    memset(end, '0', 24);
    memcpy(d, p, 24);
    return n;
}

size_t rpt_format_double(double v, char *out)
{
    uint64_t bits, t, c, f;
    int bq, q, e, n;

    if (v == 0.0) {
        /* Negative zero prints as 0 so equal sums print equally. */
        memcpy(out, "0", 2);
        return 1;
    }
    if (!isfinite(v))
        return (size_t)snprintf(out, 32, "%g", v);
    memcpy(&bits, &v, sizeof bits);
    t = bits & (C_MIN - 1);
    bq = (int)(bits >> 52) & 0x7ff;
    if (bq != 0) {
        int mq = -Q_MIN + 1 - bq;
        c = C_MIN | t;
        if (mq > 0 && mq < 53 && ((c >> mq) << mq) == c &&
            (c >> mq) < (uint64_t)1000000000000000ull) {
            /* A whole number below 10^15: its digits as they are (15
             * digits or fewer are always the shortest). */
            f = c >> mq;
            e = 0;
        } else {
            q = -mq;
            to_decimal(q, c, 0, &f, &e);
        }
    } else {
        /* Subnormal (below 2.2e-308, never a real report value): fewer
         * than 15 significant digits, where the 15-digit rounding printf
         * gives is longer than the shortest; keep the definition. */
        int prec;
        size_t len = 0;
        for (prec = 15; prec <= 17; prec++) {
            len = (size_t)snprintf(out, 32, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
        return len;
    }
    /* f 10^e: digits of f, then the exponent of its first digit. */
    {
        char digits[40];
        memset(digits, '0', sizeof digits);
        n = write_digits(f, digits);
        while (n > 1 && digits[n - 1] == '0') {
            n--;
            e++;
        }
        return format_g((int64_t)bits<0, digits, n, e + n - 1, n> 15 ? n : 15, out);
    }
}
