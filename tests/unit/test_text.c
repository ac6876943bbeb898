/* test_text.c - LIKE, dates, timestamps, JSON quoting, SHA-1 and UUIDs. */
#include "ocpagg/text.h"

#include "testlib.h"

static int like(const char *p, const char *t)
{
    return txt_like(p, strlen(p), t, strlen(t));
}

static void test_like(void)
{
    CHECK_INT(like("%", ""), 1);
    CHECK_INT(like("%", "anything"), 1);
    CHECK_INT(like("%%", "x"), 1);
    CHECK_INT(like("", ""), 1);
    CHECK_INT(like("", "a"), 0);
    CHECK_INT(like("a", ""), 0);
    CHECK_INT(like("_", ""), 0);
    CHECK_INT(like("_", "a"), 1);
    CHECK_INT(like("_", "ab"), 0);
    CHECK_INT(like("__", "ab"), 1);
    CHECK_INT(like("openshift-%", "openshift-monitoring"), 1);
    CHECK_INT(like("openshift-%", "openshift-"), 1);
    CHECK_INT(like("openshift-%", "openshift"), 0);
    CHECK_INT(like("openshift-%", "my-openshift-x"), 0);
    CHECK_INT(like("kube_system", "kube-system"), 1);
    CHECK_INT(like("kube_system", "kubeXsystem"), 1);
    CHECK_INT(like("kube_system", "kube_system"), 1);
    CHECK_INT(like("kube_system", "kubesystem"), 0);
    CHECK_INT(like("kube_system", "kube--system"), 0);
    /* Literal characters are case-sensitive. */
    CHECK_INT(like("Kube-system", "kube-system"), 0);
    CHECK_INT(like("kube-system", "kube-system"), 1);
    CHECK_INT(like("kube-system", "kube-systemx"), 0);
    /* '_' is one code point: "é" is 2 bytes, "€" 3, U+1D11E 4. */
    CHECK_INT(like("_", "\xc3\xa9"), 1);
    CHECK_INT(like("__", "\xc3\xa9"), 0);
    CHECK_INT(like("_", "\xe2\x82\xac"), 1);
    CHECK_INT(like("_", "\xf0\x9d\x84\x9e"), 1);
    CHECK_INT(like("%___", "\xf0\x9d\x84\x9e"), 0);
    CHECK_INT(like("caf_", "caf\xc3\xa9"), 1);
    CHECK_INT(like("caf_x", "caf\xc3\xa9x"), 1);
    CHECK_INT(like("%_", "\xc3\xa9"), 1);
    CHECK_INT(like("%\xc3\xa9%", "xx\xc3\xa9yy"), 1);
    /* Backtracking: '%' must retry later positions. */
    CHECK_INT(like("%a%b%c", "xaxbxcxc"), 1);
    CHECK_INT(like("%a%b%c", "xaxbxcx"), 0);
    CHECK_INT(like("a%b", "ab"), 1);
    CHECK_INT(like("a%b", "abab"), 1);
    CHECK_INT(like("a%b", "aba"), 0);
    CHECK_INT(like("%ab", "aab"), 1);
    CHECK_INT(like("%_b", "ab"), 1);
    CHECK_INT(like("%_b", "b"), 0);
    /* A pathological case finishes quickly (no exponential blowup). */
    {
        char text[4001], pat[64];
        memset(text, 'a', 4000);
        text[4000] = '\0';
        strcpy(pat, "%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b");
        CHECK_INT(like(pat, text), 0);
    }
}

static int32_t date(const char *s)
{
    int32_t d = -999999;
    if (txt_parse_date(s, strlen(s), &d) != 0)
        return -999999;
    return d;
}

static void test_dates(void)
{
    char buf[11];

    CHECK_INT(date("1970-01-01"), 0);
    CHECK_INT(date("1970-01-02"), 1);
    CHECK_INT(date("1969-12-31"), -1);
    CHECK_INT(date("2000-03-01"), 11017);
    CHECK_INT(date("2025-11-01"), 20393);
    CHECK_INT(date("2024-02-29"), 19782);
    CHECK_INT(date("2024-03-01"), 19783);
    CHECK_INT(date("2025-02-29"), -999999);
    CHECK_INT(date("2000-02-29"), 11016);
    CHECK_INT(date("1900-02-29"), -999999);
    CHECK_INT(date("1900-01-01"), -25567);
    CHECK_INT(date("2025-13-01"), -999999);
    CHECK_INT(date("2025-00-01"), -999999);
    CHECK_INT(date("2025-04-31"), -999999);
    CHECK_INT(date("2025-04-00"), -999999);
    CHECK_INT(date("2025-4-01"), -999999);
    CHECK_INT(date("2025-04-01 "), -999999);
    CHECK_INT(date("2025/04/01"), -999999);
    CHECK_INT(date(""), -999999);
    /* The ends of what a date text spells (TXT_DAY_MIN / _MAX); PostgreSQL
     * has no year 0. */
    CHECK_INT(date("0001-01-01"), TXT_DAY_MIN);
    CHECK_INT(date("9999-12-31"), TXT_DAY_MAX);
    CHECK_INT(date("0000-12-31"), -999999);
    CHECK_INT(date("0000-01-01"), -999999);

    txt_format_date(0, buf);
    CHECK_STR(buf, "1970-01-01");
    txt_format_date(-1, buf);
    CHECK_STR(buf, "1969-12-31");
    txt_format_date(19782, buf);
    CHECK_STR(buf, "2024-02-29");
    txt_format_date(20393, buf);
    CHECK_STR(buf, "2025-11-01");
    txt_format_date(-25567, buf);
    CHECK_STR(buf, "1900-01-01");
    txt_format_date(INT32_MAX, buf);
    CHECK_STR(buf, "9999-12-31");
    txt_format_date(INT32_MIN, buf);
    CHECK_STR(buf, "0001-01-01");
    /* Round trip over a span that crosses 1900, 2000 and 2100. */
    {
        int bad = 0;
        for (int32_t d = -30000; d < 50000; d++) {
            int32_t back = 0;
            txt_format_date(d, buf);
            if (txt_parse_date(buf, 10, &back) != 0 || back != d)
                bad++;
        }
        CHECK_INT(bad, 0);
    }

    CHECK_INT(txt_days_in_month(date("2024-02-10")), 29);
    CHECK_INT(txt_days_in_month(date("2025-02-10")), 28);
    CHECK_INT(txt_days_in_month(date("2000-02-01")), 29);
    CHECK_INT(txt_days_in_month(date("1900-02-01")), 28);
    CHECK_INT(txt_days_in_month(date("2025-07-31")), 31);
    CHECK_INT(txt_days_in_month(date("2025-11-01")), 30);
    CHECK_INT(txt_days_in_month(date("1969-12-31")), 31);
}

#define TS_BAD INT64_MIN

static int64_t ts(const char *s)
{
    int64_t us = 0;
    if (txt_parse_timestamp(s, strlen(s), &us) != 0)
        return TS_BAD;
    return us;
}

static void test_timestamps(void)
{
    /* 2025-11-01 is day 20393: 20393 * 86400 = 1761955200 s. */
    const int64_t base = INT64_C(1761955200000000);
    const int64_t hour = INT64_C(3600000000);

    CHECK_INT(ts("2025-11-01 00:00:00 +0000 UTC"), base);
    CHECK_INT(ts("2025-11-01 00:00:00"), base);
    CHECK_INT(ts("2025-11-01"), base);
    CHECK_INT(ts("  2025-11-01\t"), base);
    CHECK_INT(ts("2025-11-01T00:00:00Z"), base);
    CHECK_INT(ts("2025-11-01 13:45:07"), base + 13 * hour + 45 * INT64_C(60000000) + 7000000);
    CHECK_INT(ts("2025-11-01 00:00:00.123456"), base + 123456);
    CHECK_INT(ts("2025-11-01 00:00:00.5"), base + 500000);
    CHECK_INT(ts("2025-11-01T00:00:00.5Z"), base + 500000);
    CHECK_INT(ts("2025-11-01 00:00:00.000001"), base + 1);
    CHECK_INT(ts("2025-11-01 00:00:00.123456789"), base + 123456);
    CHECK_INT(ts("2025-11-01 00:00:00.123456789 +0000 UTC"), base + 123456);
    CHECK_INT(ts("2025-11-01T00:00:00+02:00"), base - 2 * hour);
    CHECK_INT(ts("2025-11-01T00:00:00-05:30"), base + 5 * hour + 1800000000);
    CHECK_INT(ts("2025-11-01T00:00:00+0200"), base - 2 * hour);
    CHECK_INT(ts("2025-11-01T00:00:00+02"), base - 2 * hour);
    CHECK_INT(ts("2025-11-01 02:00:00 +0200 CEST"), base);
    CHECK_INT(ts("2025-11-01 00:00:00 UTC"), base);
    CHECK_INT(ts("1970-01-01T00:00:00Z"), 0);
    CHECK_INT(ts("1969-12-31 23:59:59"), -1000000);
    CHECK_INT(ts("1969-12-31 23:59:59.5"), -500000);
    CHECK_INT(ts("2024-02-29 23:59:59.999999"), INT64_C(19782) * 86400000000 + 86399999999);

    CHECK_INT(ts(""), TS_BAD);
    CHECK_INT(ts("   "), TS_BAD);
    CHECK_INT(ts("garbage"), TS_BAD);
    CHECK_INT(ts("2025-13-01"), TS_BAD);
    CHECK_INT(ts("2025-02-29 00:00:00"), TS_BAD);
    CHECK_INT(ts("2025-11-32 00:00:00"), TS_BAD);
    CHECK_INT(ts("2025-11-01 24:00:00"), TS_BAD);
    CHECK_INT(ts("2025-11-01 23:60:00"), TS_BAD);
    CHECK_INT(ts("2025-11-01 23:00:60"), TS_BAD);
    CHECK_INT(ts("2025-11-01 00:00"), TS_BAD);
    CHECK_INT(ts("2025-11-01 00:00:00."), TS_BAD);
    CHECK_INT(ts("2025-11-01 00:00:00x"), TS_BAD);
    CHECK_INT(ts("2025-11-01 00:00:00 +0000 UTC junk"), TS_BAD);
    CHECK_INT(ts("2025-11-01 00:00:00 CEST"), TS_BAD);
    CHECK_INT(ts("2025-11-01T00:00:00+25:00"), TS_BAD);
    CHECK_INT(ts("2025-11-01T00:00:00+02:60"), TS_BAD);
    CHECK_INT(ts("2025-11-01T00:00:00+2"), TS_BAD);
    CHECK_INT(ts("2025-11-01Z"), TS_BAD);
    CHECK_INT(ts("2025-11-01X00:00:00"), TS_BAD);
}

static void test_json_quote(void)
{
    char buf[64];
    size_t n;

    n = txt_json_quote("web", 3, buf, sizeof buf);
    CHECK_INT(n, 5);
    buf[n] = '\0';
    CHECK_STR(buf, "\"web\"");

    n = txt_json_quote("a\"b\\c", 5, buf, sizeof buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"a\\\"b\\\\c\"");

    n = txt_json_quote("\n\t\r\b\f\x01\x1f/", 8, buf, sizeof buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"\\n\\t\\r\\b\\f\\u0001\\u001f/\"");

    n = txt_json_quote("\0", 1, buf, sizeof buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"\\u0000\"");

    n = txt_json_quote("caf\xc3\xa9", 5, buf, sizeof buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"caf\xc3\xa9\"");

    n = txt_json_quote("", 0, buf, sizeof buf);
    buf[n] = '\0';
    CHECK_STR(buf, "\"\"");

    /* Measuring with no room, and a cut buffer never overflows. */
    CHECK_INT(txt_json_quote("a\"b", 3, NULL, 0), 6);
    memset(buf, 'X', sizeof buf);
    CHECK_INT(txt_json_quote("abcdef", 6, buf, 4), 8);
    CHECK(memcmp(buf, "\"abcX", 5) == 0);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1(void)
{
    uint8_t d[20];
    char h[41];

    txt_sha1("abc", 3, d);
    hex(d, 20, h);
    CHECK_STR(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    txt_sha1("", 0, d);
    hex(d, 20, h);
    CHECK_STR(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    /* FIPS 180 two-block vector (56 bytes forces a second padding block). */
    {
        const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        txt_sha1(m, strlen(m), d);
        hex(d, 20, h);
        CHECK_STR(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }
    /* One million 'a' (FIPS 180 long vector). */
    {
        char *m = malloc(1000000);
        CHECK(m != NULL);
        if (m != NULL) {
            memset(m, 'a', 1000000);
            txt_sha1(m, 1000000, d);
            hex(d, 20, h);
            CHECK_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
            free(m);
        }
    }
}

static void test_uuid(void)
{
    uint8_t ns[16], back[16];
    char out[37];
    const char *dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

    CHECK_INT(txt_parse_uuid(dns, strlen(dns), ns), 0);
    CHECK_INT(ns[0], 0x6b);
    CHECK_INT(ns[15], 0xc8);
    txt_uuid_v5(ns, "python.org", 10, out);
    CHECK_STR(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");

    CHECK_INT(txt_parse_uuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", 36, back), 0);
    CHECK(memcmp(back, ns, 16) == 0);
    CHECK_INT(txt_parse_uuid("6ba7b8109dad11d180b400c04fd430c8", 32, back), -1);
    CHECK_INT(txt_parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430cg", 36, back), -1);
    CHECK_INT(txt_parse_uuid("6ba7b810-9dad-11d1-80b4+00c04fd430c8", 36, back), -1);
    CHECK_INT(txt_parse_uuid("", 0, back), -1);
}

/* Two uuids at once (txt_uuid_v5_pair) against Python's uuid.uuid5 for
 * names whose message ends on either side of the block boundaries
 * (ns + name = 55, 56, 63, 64, 119, 120 bytes), past the pair's stack
 * room (2048) and of unequal block counts in both places; then against
 * txt_uuid_v5 for every length up to 2100 beside a varying partner. */
static void test_uuid_pair(void)
{
    static const struct {
        size_t n;
        const char *uuid;
    } known[] = {{0, "4ebd0208-8328-5d69-8c44-ec50939c0967"},
                 {39, "dfc95543-8c92-5f9b-869e-18bc0c24103f"},
                 {40, "c5900737-f37f-5b2a-a382-e6ea41be21ff"},
                 {47, "c3749a0a-8393-5817-b1e0-a67a5f889eb7"},
                 {48, "7e0c8c66-a916-5e3b-800f-7a4146cac2c2"},
                 {103, "842ed32f-5a87-5346-af36-68f902305560"},
                 {104, "8b108754-b7b1-5099-bc4d-79b2d4269f6e"},
                 {207, "3b91ff73-674d-5f70-9617-27ff647e8332"},
                 {300, "09542efa-8a22-5873-9fa8-a7e55e971ad4"},
                 {2048, "f652df18-ffd6-5709-9ac1-1a98e221f678"},
                 {2049, "ba4c4c93-9a0b-56c0-8f7a-f8232a9371e6"}};
    const size_t nk = sizeof known / sizeof known[0];
    const char *dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    uint8_t ns[16];
    char name[2200], other[2200], a[37], b[37], want[37];
    size_t i, j, mismatches = 0;

    CHECK_INT(txt_parse_uuid(dns, strlen(dns), ns), 0);
    /* Python: ''.join(chr(ord('a') + (i * 7) % 26) for i in range(n)) */
    for (i = 0; i < sizeof name; i++)
        name[i] = (char)('a' + (i * 7) % 26);
    for (i = 0; i < nk; i++)
        for (j = 0; j < nk; j++) {
            txt_uuid_v5_pair(ns, name, known[i].n, a, name, known[j].n, b);
            CHECK_STR(a, known[i].uuid);
            CHECK_STR(b, known[j].uuid);
        }
    for (i = 0; i < sizeof other; i++)
        other[i] = (char)(i * 131 + 17);
    for (i = 0; i <= 2100; i++) {
        size_t partner = (i * 37) % 2101;
        txt_uuid_v5_pair(ns, other, i, a, name, partner, b);
        txt_uuid_v5(ns, other, i, want);
        mismatches += strcmp(a, want) != 0;
        txt_uuid_v5(ns, name, partner, want);
        mismatches += strcmp(b, want) != 0;
    }
    CHECK_INT(mismatches, 0);
}

/* txt_hash: every byte of keys of every length up to 300 (all the lanes
 * and tails) changes the hash, and keys that differ in one byte spread
 * evenly over the low bits the tables index with. */
static void test_hash(void)
{
    unsigned char key[300];
    size_t n, i, missed = 0, worst = 0;
    static unsigned buckets[256];
    uint64_t h;

    for (i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 37 + 11);
    for (n = 1; n <= sizeof key; n++) {
        h = txt_hash(key, n);
        for (i = 0; i < n; i++) {
            key[i] ^= 0x40;
            missed += txt_hash(key, n) == h;
            key[i] ^= 0x40;
        }
    }
    CHECK_INT(missed, 0);
    /* Lengths differ too: a key and the same key with a zero byte more. */
    memset(key, 0, sizeof key);
    for (n = 0; n < 40; n++)
        missed += txt_hash(key, n) == txt_hash(key, n + 1);
    CHECK_INT(missed, 0);
    /* 64 k keys of 72 bytes (a row's label set) counting up in one word:
     * 256 buckets by the low 8 bits, 256 each if even; allow twice that. */
    memset(key, 'a', 72);
    for (i = 0; i < 65536; i++) {
        memcpy(key + 40, &i, sizeof i);
        buckets[txt_hash(key, 72) & 255]++;
    }
    for (i = 0; i < 256; i++)
        if (buckets[i] > worst)
            worst = buckets[i];
    CHECK(worst < 512);
}

int main(void)
{
    RUN(test_like);
    RUN(test_dates);
    RUN(test_timestamps);
    RUN(test_json_quote);
    RUN(test_sha1);
    RUN(test_uuid);
    RUN(test_uuid_pair);
    RUN(test_hash);
    return TEST_SUMMARY();
}
