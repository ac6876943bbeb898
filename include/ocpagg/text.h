/*
 * text.h - small text utilities shared by the modules: SQL LIKE matching,
 * date and timestamp parsing, JSON string escaping, name-based UUIDs.
 * All functions are pure and reentrant.
 */
#ifndef OCPAGG_TEXT_H
#define OCPAGG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SQL `text LIKE pattern`: '%' matches any run of bytes (also empty), '_'
 * exactly one character (one UTF-8 code point), everything else literally
 * and case-sensitively.  No escape character.  Returns 1 on a match. */
int txt_like(const char *pattern, size_t plen, const char *text, size_t tlen);

/* Parses "YYYY-MM-DD" into days since 1970-01-01.  Returns 0 on success,
 * -1 when the text is not a valid calendar date. */
int txt_parse_date(const char *s, size_t len, int32_t *days);

/* Formats days since 1970-01-01 as "YYYY-MM-DD" plus NUL (11 bytes). */
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

/* Parses a UUID in the 8-4-4-4-12 hex form into 16 bytes; -1 if invalid. */
int txt_parse_uuid(const char *s, size_t len, uint8_t out[16]);

/* SHA-1 of data[0..len) into 20 bytes. */
void txt_sha1(const void *data, size_t len, uint8_t digest[20]);

#ifdef __cplusplus
}
#endif
#endif
