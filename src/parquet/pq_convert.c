/* pq_convert.c - value conversions: INT96 and timestamp units to
 * microseconds without overflow, FLOAT16 and big-endian DECIMAL to double. */
#include "pq_read_internal.h"

#include <math.h>
#include <string.h>

/* Julian day number of 1970-01-01. */
#define JULIAN_EPOCH INT64_C(2440588)
#define US_PER_DAY INT64_C(86400000000)

int pq_int96_to_us(const uint8_t v[12], int64_t *us)
{
    uint64_t nu = 0;
    uint32_t du = 0;
    int64_t nanos, days, day_us, rest;
    int i;

    for (i = 7; i >= 0; i--)
        nu = (nu << 8) | v[i];
    for (i = 11; i >= 8; i--)
        du = (du << 8) | v[i];
    memcpy(&nanos, &nu, sizeof nanos);
    days = (int64_t)(int32_t)du - JULIAN_EPOCH;
    /* nanos may in principle lie outside one day; floor-divide it into
     * whole days and a remainder so every step below stays in range. */
    {
        int64_t nd = nanos / INT64_C(86400000000000);
        int64_t nr = nanos % INT64_C(86400000000000);
        if (nr < 0) {
            nr += INT64_C(86400000000000);
            nd -= 1;
        }
        days += nd;       /* |days| < 2^32 + 2^17: no overflow */
        rest = nr / 1000; /* 0 <= rest < US_PER_DAY */
    }
    if (days > INT64_MAX / US_PER_DAY - 1) {
        *us = INT64_MAX;
        return 1;
    }
    if (days < INT64_MIN / US_PER_DAY + 1) {
        *us = INT64_MIN + 1;
        return 1;
    }
    day_us = days * US_PER_DAY;
    *us = day_us + rest;
    return 0;
}

int pq_timestamp_to_us(int64_t v, enum pq_time_unit unit, int64_t *us)
{
    switch (unit) {
    case PQ_UNIT_MILLIS:
        if (v > INT64_MAX / 1000) {
            *us = INT64_MAX;
            return 1;
        }
        if (v < (INT64_MIN + 1) / 1000) {
            *us = INT64_MIN + 1;
            return 1;
        }
        *us = v * 1000;
        return 0;
    case PQ_UNIT_NANOS: {
        int64_t q = v / 1000, r = v % 1000;
        *us = r < 0 ? q - 1 : q;
        return 0;
    }
    default: *us = v == INT64_MIN ? INT64_MIN + 1 : v; return v == INT64_MIN;
    }
}

double pq_float16_to_double(uint16_t h)
{
    int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    double v;

    if (exp == 0)
        v = ldexp((double)frac, -24);
    else if (exp == 31)
        v = frac ? NAN : INFINITY;
    else
        v = ldexp((double)(frac | 0x400), exp - 25);
    return sign ? -v : v;
}

double pq_decimal_to_double(const uint8_t *p, size_t len, int scale)
{
    double v = 0.0;
    int neg = len > 0 && (p[0] & 0x80);
    size_t i;

    /* Two's complement: for a negative number accumulate the inverted
     * bytes (the magnitude minus one) and fix up at the end. */
    for (i = 0; i < len; i++)
        v = v * 256.0 + (double)(neg ? (uint8_t)~p[i] : p[i]);
    if (neg)
        v = -(v + 1.0);
    if (scale != 0)
        v /= pow(10.0, scale);
    return v;
}
