/*
 * text_time.c - calendar dates and timestamps for text.h.
 *
 * Dates use the proleptic Gregorian calendar and count days from
 * 1970-01-01 (negative before it).  The conversions are Howard Hinnant's
 * days_from_civil / civil_from_days algorithms, which work on 400-year eras
 * and so need no tables and no loops.
 */
#include "ocpagg/text.h"

/* The years a "YYYY" field can spell; txt_format_date clamps to them so its
 * output always fits the 11-byte buffer. */
#define MIN_YEAR 1
#define MAX_YEAR 9999

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y))
        return 29;
    return days[m - 1];
}

/* Days since 1970-01-01 of a valid civil date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The civil date of a day count. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n, int *value)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Parses "YYYY-MM-DD" at s (at least 10 bytes available). */
static int parse_ymd(const char *s, int32_t *days)
{
    int y, m, d;

    if (digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &m) != 0 || s[7] != '-' ||
        digits(s + 8, 2, &d) != 0)
        return -1;
    if (y < MIN_YEAR || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return -1;
    *days = (int32_t)days_from_civil(y, m, d);
    return 0;
}

int txt_parse_date(const char *s, size_t len, int32_t *days)
{
    if (s == NULL || len != 10)
        return -1;
    return parse_ymd(s, days);
}

void txt_format_date(int32_t days, char out[11])
{
    int64_t lo = days_from_civil(MIN_YEAR, 1, 1);
    int64_t hi = days_from_civil(MAX_YEAR, 12, 31);
    int64_t z = days, y;
    int m, d;

    /* Out-of-range days clamp to the first / last representable date rather
     * than overflow the fixed-size buffer. */
    if (z < lo)
        z = lo;
    if (z > hi)
        z = hi;
    civil_from_days(z, &y, &m, &d);
    /* Written digit by digit: the clamped ranges fit exactly, which
     * snprintf's truncation warnings cannot see. */
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int txt_days_in_month(int32_t days)
{
    int64_t y;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    return month_days(y, m);
}

/* Parses an offset "+HH:MM", "+HHMM" or "+HH" at s[0..n) into seconds east
 * of UTC and returns the bytes used, or -1. */
static int parse_offset(const char *s, size_t n, int64_t *seconds)
{
    int hh, mm = 0, used;

    if (n < 3 || (s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &hh) != 0)
        return -1;
    used = 3;
    if (n >= 6 && s[3] == ':') {
        if (digits(s + 4, 2, &mm) != 0)
            return -1;
        used = 6;
    } else if (n >= 5 && s[3] >= '0' && s[3] <= '9') {
        if (digits(s + 3, 2, &mm) != 0)
            return -1;
        used = 5;
    }
    if (hh > 23 || mm > 59)
        return -1;
    *seconds = (int64_t)(hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
    return used;
}

/* Is s[0..n) a time-zone abbreviation such as "UTC" or "CEST" (letters)? */
static int is_zone_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return 0;
    }
    return 1;
}

static int is_utc_name(const char *s, size_t n)
{
    return n == 3 && ((s[0] == 'U' && s[1] == 'T' && s[2] == 'C') ||
                      (s[0] == 'G' && s[1] == 'M' && s[2] == 'T'));
}

/* Parses the zone part after the clock time: empty, "Z", an offset
 * optionally followed by blanks and an abbreviation (Go's
 * "+0000 UTC"), or the bare abbreviation UTC / GMT.  Leading blanks are
 * allowed.  The offset wins over the abbreviation, which Go prints only as
 * a name. */
static int parse_zone(const char *s, size_t n, int64_t *offset)
{
    size_t i = 0;
    int used;

    *offset = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n)
        return 0;
    if (n - i == 1 && s[i] == 'Z')
        return 0;
    if (s[i] != '+' && s[i] != '-')
        return is_utc_name(s + i, n - i) ? 0 : -1;
    used = parse_offset(s + i, n - i, offset);
    if (used < 0)
        return -1;
    i += (size_t)used;
    if (i == n)
        return 0;
    if (!is_blank(s[i]))
        return -1;
    while (i < n && is_blank(s[i]))
        i++;
    return is_zone_name(s + i, n - i) ? 0 : -1;
}

int txt_parse_timestamp(const char *s, size_t len, int64_t *micros)
{
    int32_t days;
    int hh, mi, ss;
    int64_t frac = 0, offset;
    size_t i;

    if (s == NULL)
        return -1;
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len < 10 || parse_ymd(s, &days) != 0)
        return -1;
    if (len == 10) {
        *micros = (int64_t)days * 86400 * 1000000;
        return 0;
    }
    if (len < 19 || (s[10] != ' ' && s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &hh) != 0 ||
        s[13] != ':' || digits(s + 14, 2, &mi) != 0 || s[16] != ':' || digits(s + 17, 2, &ss) != 0)
        return -1;
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    i = 19;
    if (i < len && s[i] == '.') {
        /* Fractional seconds: any number of digits, truncated to
         * microseconds (as a nanosecond Parquet timestamp is). */
        int64_t scale = 100000;
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return -1;
    }
    if (parse_zone(s + i, len - i, &offset) != 0)
        return -1;
    *micros = (((int64_t)days * 86400 + hh * 3600 + mi * 60 + ss) - offset) * 1000000 + frac;
    return 0;
}
