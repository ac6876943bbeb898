/*
 * text_sha1.c - SHA-1 (FIPS 180-4 §6.1) and name-based UUIDs (RFC 4122
 * §4.3) for text.h.  SHA-1 serves only to derive stable row ids here, not
 * for security.
 */
#include "ocpagg/text.h"

#include <stdatomic.h>
#include <stdlib.h>
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
static void sha1_block_scalar(struct sha1_ctx *c, const unsigned char *p)
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
#define SHA1_ROUND(fexpr, kconst)                                                                  \
    do {                                                                                           \
        f = (fexpr);                                                                               \
        t = rol(a, 5) + f + e + (kconst) + w[i];                                                   \
        e = d;                                                                                     \
        d = cc;                                                                                    \
        cc = rol(b, 30);                                                                           \
        b = a;                                                                                     \
        a = t;                                                                                     \
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

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/* One block with the x86 SHA extensions (the report hashes a name per
 * row for its uuid, so this is on the finish step's path).  The schedule
 * follows Intel's description of SHA1RNDS4/SHA1NEXTE/SHA1MSG1/SHA1MSG2:
 * each step does four rounds, the round function changes every five
 * steps, and the message words are extended four at a time. */
__attribute__((target("sha,sse4.1"))) static void sha1_block_ni(struct sha1_ctx *c,
                                                                const unsigned char *p)
{
    const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd, abcd_save, e0, e0_save, e1, m[4];
    int k;

    abcd = _mm_loadu_si128((const __m128i *)(const void *)c->h);
    abcd = _mm_shuffle_epi32(abcd, 0x1B);
    e0 = _mm_set_epi32((int)c->h[4], 0, 0, 0);
    abcd_save = abcd;
    e0_save = e0;
    for (k = 0; k < 4; k++)
        m[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), mask);

    /* Rounds 0-11: the first three steps have no earlier words to mix. */
    e0 = _mm_add_epi32(e0, m[0]);
    e1 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    e1 = _mm_sha1nexte_epu32(e1, m[1]);
    e0 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
    m[0] = _mm_sha1msg1_epu32(m[0], m[1]);
    e0 = _mm_sha1nexte_epu32(e0, m[2]);
    e1 = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
    m[1] = _mm_sha1msg1_epu32(m[1], m[2]);
    m[0] = _mm_xor_si128(m[0], m[2]);

    /* Rounds 12-79: step k uses word group k % 4 and function k / 5. */
#define SHA1_NI_STEP(K, ECUR, EOTHER, F)                                                           \
    do {                                                                                           \
        ECUR = _mm_sha1nexte_epu32(ECUR, m[(K) % 4]);                                              \
        EOTHER = abcd;                                                                             \
        m[((K) + 1) % 4] = _mm_sha1msg2_epu32(m[((K) + 1) % 4], m[(K) % 4]);                       \
        abcd = _mm_sha1rnds4_epu32(abcd, ECUR, F);                                                 \
        m[((K) + 3) % 4] = _mm_sha1msg1_epu32(m[((K) + 3) % 4], m[(K) % 4]);                       \
        m[((K) + 2) % 4] = _mm_xor_si128(m[((K) + 2) % 4], m[(K) % 4]);                            \
    } while (0)
    SHA1_NI_STEP(3, e1, e0, 0);
    SHA1_NI_STEP(4, e0, e1, 0);
    SHA1_NI_STEP(5, e1, e0, 1);
    SHA1_NI_STEP(6, e0, e1, 1);
    SHA1_NI_STEP(7, e1, e0, 1);
    SHA1_NI_STEP(8, e0, e1, 1);
    SHA1_NI_STEP(9, e1, e0, 1);
    SHA1_NI_STEP(10, e0, e1, 2);
    SHA1_NI_STEP(11, e1, e0, 2);
    SHA1_NI_STEP(12, e0, e1, 2);
    SHA1_NI_STEP(13, e1, e0, 2);
    SHA1_NI_STEP(14, e0, e1, 2);
    SHA1_NI_STEP(15, e1, e0, 3);
    SHA1_NI_STEP(16, e0, e1, 3);
    SHA1_NI_STEP(17, e1, e0, 3);
    SHA1_NI_STEP(18, e0, e1, 3);
    SHA1_NI_STEP(19, e1, e0, 3);
#undef SHA1_NI_STEP

    e0 = _mm_sha1nexte_epu32(e0, e0_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    abcd = _mm_shuffle_epi32(abcd, 0x1B);
    _mm_storeu_si128((__m128i *)(void *)c->h, abcd);
    c->h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int cpu_has_sha(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if (!(b & bit_SHA))
        return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    return (c & bit_SSE4_1) != 0;
}

/* Whether to use the SHA extensions.  The CPU's answer is cached;
 * threads racing here store the same value, and the atomic makes that
 * race well-defined.  OCPAGG_NO_SHA_NI forces the portable code (tests
 * run both). */
static int use_sha_ni(void)
{
    static _Atomic int use_ni = -1;
    int ni = atomic_load_explicit(&use_ni, memory_order_relaxed);
    if (ni < 0) {
        ni = cpu_has_sha() && getenv("OCPAGG_NO_SHA_NI") == NULL;
        atomic_store_explicit(&use_ni, ni, memory_order_relaxed);
    }
    return ni;
}

static void sha1_block(struct sha1_ctx *c, const unsigned char *p)
{
    if (use_sha_ni())
        sha1_block_ni(c, p);
    else
        sha1_block_scalar(c, p);
}

/* The blocks of two messages, a block of one and a block of the other
 * in turn: a block's rounds are one chain of dependent instructions,
 * and two independent chains side by side let the CPU run them at once
 * (about 22 ns a block instead of 39 here). */
__attribute__((target("sha,sse4.1"))) static void
sha1_blocks2_ni(struct sha1_ctx *a, const unsigned char *pa, size_t na, struct sha1_ctx *b,
                const unsigned char *pb, size_t nb)
{
    size_t i, both = na < nb ? na : nb;

    for (i = 0; i < both; i++) {
        sha1_block_ni(a, pa + 64 * i);
        sha1_block_ni(b, pb + 64 * i);
    }
    for (; i < na; i++)
        sha1_block_ni(a, pa + 64 * i);
    for (; i < nb; i++)
        sha1_block_ni(b, pb + 64 * i);
}

#define HAVE_SHA1_NI 1
#else
static void sha1_block(struct sha1_ctx *c, const unsigned char *p)
{
    sha1_block_scalar(c, p);
}
#endif

/* The na blocks at pa into a and the nb at pb into b. */
static void sha1_blocks2(struct sha1_ctx *a, const unsigned char *pa, size_t na, struct sha1_ctx *b,
                         const unsigned char *pb, size_t nb)
{
    size_t i;

#ifdef HAVE_SHA1_NI
    if (use_sha_ni()) {
        sha1_blocks2_ni(a, pa, na, b, pb, nb);
        return;
    }
#endif
    for (i = 0; i < na; i++)
        sha1_block_scalar(a, pa + 64 * i);
    for (i = 0; i < nb; i++)
        sha1_block_scalar(b, pb + 64 * i);
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

/* The hash value of a finished context, big-endian words. */
static void sha1_digest(const struct sha1_ctx *c, uint8_t digest[20])
{
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(c->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->h[i];
    }
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
    sha1_digest(c, digest);
}

void txt_sha1(const void *data, size_t len, uint8_t digest[20])
{
    struct sha1_ctx c;

    sha1_init(&c);
    if (len > 0)
        sha1_update(&c, data, len);
    sha1_final(&c, digest);
}

/* The UUID text of a version 5 hash value h. */
static void uuid_text(uint8_t h[20], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

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

void txt_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37])
{
    struct sha1_ctx c;
    uint8_t h[20];

    sha1_init(&c);
    sha1_update(&c, ns, 16);
    if (len > 0)
        sha1_update(&c, name, len);
    sha1_final(&c, h);
    uuid_text(h, out);
}

/* The longest name txt_uuid_v5_pair pads on its stack (longer ones are
 * hashed one after the other). */
#define PAIR_NAME_MAX 2048
/* Blocks of ns ‖ name padded (§5.1.1): the message, 0x80 and the 8-byte
 * length fit in whole blocks. */
#define PAIR_ROOM (((16 + PAIR_NAME_MAX + 8) / 64 + 1) * 64)

/* ns ‖ name padded into whole blocks at m (room for PAIR_ROOM bytes, len
 * at most PAIR_NAME_MAX); returns how many blocks. */
static size_t pad_message(unsigned char *m, const uint8_t ns[16], const void *name, size_t len)
{
    size_t n = 16 + len, blocks = (n + 8) / 64 + 1;
    uint64_t bits = (uint64_t)n * 8;

    memcpy(m, ns, 16);
    if (len > 0)
        memcpy(m + 16, name, len);
    m[n] = 0x80;
    memset(m + n + 1, 0, 64 * blocks - 8 - (n + 1));
    for (int i = 0; i < 8; i++)
        m[64 * blocks - 8 + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    return blocks;
}

void txt_uuid_v5_pair(const uint8_t ns[16], const void *name_a, size_t len_a, char out_a[37],
                      const void *name_b, size_t len_b, char out_b[37])
{
    unsigned char ma[PAIR_ROOM], mb[PAIR_ROOM];
    struct sha1_ctx a, b;
    uint8_t h[20];
    size_t na, nb;

    if (len_a > PAIR_NAME_MAX || len_b > PAIR_NAME_MAX) {
        txt_uuid_v5(ns, name_a, len_a, out_a);
        txt_uuid_v5(ns, name_b, len_b, out_b);
        return;
    }
    na = pad_message(ma, ns, name_a, len_a);
    nb = pad_message(mb, ns, name_b, len_b);
    sha1_init(&a);
    sha1_init(&b);
    sha1_blocks2(&a, ma, na, &b, mb, nb);
    sha1_digest(&a, h);
    uuid_text(h, out_a);
    sha1_digest(&b, h);
    uuid_text(h, out_b);
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
