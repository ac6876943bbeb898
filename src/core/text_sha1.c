/*
 * text_sha1.c - SHA-1 (FIPS 180-4 §6.1) and name-based UUIDs (RFC 4122
 * §4.3) for text.h.  SHA-1 serves only to derive stable row ids here, not
 * for security.
 */
#include "ocpagg/text.h"

#include <string.h>

struct sha1_ctx {
    uint32_t h[5];
    uint64_t total;        /* bytes hashed so far */
    unsigned char buf[64]; /* the partial block */
    size_t used;           /* bytes in buf */
};

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static void sha1_init(struct sha1_ctx *c)
{
    c->h[0] = 0x67452301u;
    c->h[1] = 0xEFCDAB89u;
    c->h[2] = 0x98BADCFEu;
    c->h[3] = 0x10325476u;
    c->h[4] = 0xC3D2E1F0u;
    c->total = 0;
    c->used = 0;
}

/* Processes one 64-byte block (FIPS 180-4 §6.1.2). */
static void sha1_block(struct sha1_ctx *c, const unsigned char *p)
{
    uint32_t w[80], a, b, d, e, f, k, t, cc;

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = c->h[0];
    b = c->h[1];
    cc = c->h[2];
    d = c->h[3];
    e = c->h[4];
    /* Four loops of 20 rounds, one per round function, so the compiler
     * can unroll them without a branch per round. */
#define SHA1_ROUND(fexpr, kconst)                                              \
    do {                                                                       \
        f = (fexpr);                                                           \
        t = rol(a, 5) + f + e + (kconst) + w[i];                               \
        e = d;                                                                 \
        d = cc;                                                                \
        cc = rol(b, 30);                                                       \
        b = a;                                                                 \
        a = t;                                                                 \
    } while (0)
    for (int i = 0; i < 20; i++)
        SHA1_ROUND((b & cc) | (~b & d), 0x5A827999u);
    for (int i = 20; i < 40; i++)
        SHA1_ROUND(b ^ cc ^ d, 0x6ED9EBA1u);
    for (int i = 40; i < 60; i++)
        SHA1_ROUND((b & cc) | (b & d) | (cc & d), 0x8F1BBCDCu);
    for (int i = 60; i < 80; i++)
        SHA1_ROUND(b ^ cc ^ d, 0xCA62C1D6u);
#undef SHA1_ROUND
    (void)k;
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
}

static void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;

    c->total += len;
    if (c->used > 0) {
        size_t take = 64 - c->used;
        if (take > len)
            take = len;
        memcpy(c->buf + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used < 64)
            return;
        sha1_block(c, c->buf);
        c->used = 0;
    }
    while (len >= 64) {
        sha1_block(c, p);
        p += 64;
        len -= 64;
    }
    if (len > 0)
        memcpy(c->buf, p, len);
    c->used = len;
}

/* Pads with 0x80, zeros and the 64-bit big-endian bit length (§5.1.1). */
static void sha1_final(struct sha1_ctx *c, uint8_t digest[20])
{
    uint64_t bits = c->total * 8;

    c->buf[c->used++] = 0x80;
    if (c->used > 56) {
        memset(c->buf + c->used, 0, 64 - c->used);
        sha1_block(c, c->buf);
        c->used = 0;
    }
    memset(c->buf + c->used, 0, 56 - c->used);
    for (int i = 0; i < 8; i++)
        c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_block(c, c->buf);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(c->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void txt_sha1(const void *data, size_t len, uint8_t digest[20])
{
    struct sha1_ctx c;

    sha1_init(&c);
    if (len > 0)
        sha1_update(&c, data, len);
    sha1_final(&c, digest);
}

void txt_uuid_v5(const uint8_t ns[16], const void *name, size_t len,
                 char out[37])
{
    static const char hex[] = "0123456789abcdef";
    struct sha1_ctx c;
    uint8_t h[20];
    size_t o = 0;

    sha1_init(&c);
    sha1_update(&c, ns, 16);
    if (len > 0)
        sha1_update(&c, name, len);
    sha1_final(&c, h);
    /* RFC 4122 §4.3: version 5 in the high nibble of byte 6, the variant
     * bits 10 in the top of byte 8. */
    h[6] = (uint8_t)((h[6] & 0x0F) | 0x50);
    h[8] = (uint8_t)((h[8] & 0x3F) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[h[i] >> 4];
        out[o++] = hex[h[i] & 15];
    }
    out[o] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int txt_parse_uuid(const char *s, size_t len, uint8_t out[16])
{
    uint8_t tmp[16];
    size_t i = 0;

    if (s == NULL || len != 36)
        return -1;
    for (int b = 0; b < 16; b++) {
        int hi, lo;
        if (b == 4 || b == 6 || b == 8 || b == 10) {
            if (s[i] != '-')
                return -1;
            i++;
        }
        hi = hex_value(s[i]);
        lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        tmp[b] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    memcpy(out, tmp, 16);
    return 0;
}
