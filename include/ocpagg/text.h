/*
 * text.h - small text utilities shared by the modules: SQL LIKE matching,
 * date and timestamp parsing, JSON string escaping, name-based UUIDs, the
 * hash of our own hash tables.  All functions are pure and reentrant.
 */
#ifndef OCPAGG_TEXT_H
#define OCPAGG_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SQL `text LIKE pattern`: '%' matches any run of bytes (also empty), '_'
 * exactly one character (one UTF-8 code point), everything else literally
 * and case-sensitively.  No escape character.  Returns 1 on a match. */
int txt_like(const char *pattern, size_t plen, const char *text, size_t tlen);

/* The offset of the first byte of text[0..len) that does not belong to a
 * well-formed UTF-8 character (overlong forms, surrogates and code points
 * above U+10FFFF are ill-formed), or len when the whole text is UTF-8. */
size_t txt_utf8_invalid_at(const char *text, size_t len);

/* Parses "YYYY-MM-DD" (years 0001 to 9999) into days since 1970-01-01.
 * Returns 0 on success, -1 when the text is not a valid calendar date. */
int txt_parse_date(const char *s, size_t len, int32_t *days);

/* The days a "YYYY-MM-DD" text spells, as days since 1970-01-01:
 * 0001-01-01 to 9999-12-31 (PostgreSQL has no year 0).  A report day
 * must lie between them, or two days would share one text
 * (agg_partial_add refuses rows outside). */
#define TXT_DAY_MIN (-719162)
#define TXT_DAY_MAX 2932896

/* Formats days since 1970-01-01 as "YYYY-MM-DD" plus NUL (11 bytes);
 * days outside TXT_DAY_MIN..TXT_DAY_MAX clamp to the nearer end (never
 * written into a report: the engine refuses such rows). */
void txt_format_date(int32_t days, char out[11]);

/* Days in the month that contains `days` (28..31, leap years honoured). */
int txt_days_in_month(int32_t days);

/* Parses a timestamp into microseconds since 1970-01-01 UTC.  Accepts
 * "2025-11-01 00:00:00 +0000 UTC", "2025-11-01 00:00:00" (read as UTC),
 * "2025-11-01 00:00:00.123456", ISO 8601 "2025-11-01T00:00:00Z",
 * "2025-11-01T00:00:00+02:00", "2025-11-01T00:00:00.5Z", and a bare date
 * "2025-11-01".  Surrounding blanks are ignored.  Returns 0 on success, -1
 * on anything else. */
int txt_parse_timestamp(const char *s, size_t len, int64_t *micros);

/* Appends the JSON string literal for the bytes s[0..len) (with quotes) to
 * out, which has room for `cap` bytes; returns the length the literal needs
 * (like snprintf, so a return >= cap means it was cut). Bytes >= 0x80 are
 * copied as they are; control characters become \uXXXX or short escapes. */
size_t txt_json_quote(const char *s, size_t len, char *out, size_t cap);

/* A version 5 (SHA-1, name-based) UUID of namespace `ns` (16 bytes) and
 * name[0..len), formatted lower-case with dashes plus NUL (37 bytes). */
void txt_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/* Two such UUIDs at once, the same as two txt_uuid_v5 calls: the two
 * names' hashes advance side by side, which the CPU runs faster than one
 * after the other (the report makes one per row). */
void txt_uuid_v5_pair(const uint8_t ns[16], const void *name_a, size_t len_a, char out_a[37],
                      const void *name_b, size_t len_b, char out_b[37]);

/* A fast 64-bit hash of n bytes at p for the hash tables of the string
 * pools and dictionaries (never written anywhere, so it may change from
 * one version to the next).  Multiply-xorshift mixing of 8-byte words;
 * past 16 bytes the words go round two or four independent lanes, so a
 * long key (a row's label set, a label text) is not one chain of
 * dependent multiplications: 72 bytes in 14 ns instead of 21, 200 in 24
 * instead of 48 on the project's machines. */
static inline uint64_t txt_hash_word_(uint64_t h, const unsigned char *s, uint64_t k, int r)
{
    uint64_t v;
    memcpy(&v, s, 8);
    h = (h ^ v) * k;
    return h ^ (h >> r);
}

static inline uint64_t txt_hash(const void *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
    uint64_t g = 0x6a09e667f3bcc909ull, a = 0xbb67ae8584caa73bull, b = 0x3c6ef372fe94f82bull;
    uint64_t v = 0;

    if (n >= 32) {
        do {
            h = txt_hash_word_(h, s, 0xff51afd7ed558ccdull, 32);
            g = txt_hash_word_(g, s + 8, 0xc4ceb9fe1a85ec53ull, 29);
            a = txt_hash_word_(a, s + 16, 0x94d049bb133111ebull, 31);
            b = txt_hash_word_(b, s + 24, 0xbf58476d1ce4e5b9ull, 27);
            s += 32;
            n -= 32;
        } while (n >= 32);
        h ^= a * 0x9E3779B97F4A7C15ull;
        g ^= b * 0x9E3779B97F4A7C15ull;
    }
    for (; n >= 8; s += 8, n -= 8) {
        /* Words alternate between the two lanes, the last odd one to h. */
        if (n >= 16) {
            g = txt_hash_word_(g, s + 8, 0xc4ceb9fe1a85ec53ull, 29);
            h = txt_hash_word_(h, s, 0xff51afd7ed558ccdull, 32);
            s += 8;
            n -= 8;
        } else {
            h = txt_hash_word_(h, s, 0xff51afd7ed558ccdull, 32);
        }
    }
    if (n > 0)
        memcpy(&v, s, n);
    h = (h ^ v ^ (g * 0x9E3779B97F4A7C15ull)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 32;
    return h;
}

/* Parses a UUID in the 8-4-4-4-12 hex form into 16 bytes; -1 if invalid. */
int txt_parse_uuid(const char *s, size_t len, uint8_t out[16]);

/* SHA-1 of data[0..len) into 20 bytes. */
void txt_sha1(const void *data, size_t len, uint8_t digest[20]);

#ifdef __cplusplus
}
#endif
#endif
