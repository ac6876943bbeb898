/* test_pq_codec.c - page codecs: round trips, buffers made by the libraries
 * themselves, wrong sizes, corrupt input, and the pages of the
 * parquet-testing files (walked with a tiny page-header parser). */
#include "parquet/pq_codec.h"

#include "testlib.h"

#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* Compressible text-like data with some noise. */
static uint8_t *make_data(size_t n)
{
    static const char words[] = "cpu memory pod namespace node openshift cluster ";
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (i % 97 == 0) ? (uint8_t)rnd() : (uint8_t)words[i % (sizeof words - 1)];
    return p;
}

static void test_names_crc(void)
{
    CHECK_STR(pq_codec_name(PQ_CODEC_SNAPPY), "SNAPPY");
    CHECK_STR(pq_codec_name(PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    CHECK_STR(pq_codec_name((enum pq_codec)42), "UNKNOWN");
    CHECK_INT(pq_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_INT(pq_crc32(NULL, 0), 0);
}

static void test_roundtrip(void)
{
    static const enum pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY,
                                           PQ_CODEC_GZIP,         PQ_CODEC_ZSTD,
                                           PQ_CODEC_LZ4_RAW,      PQ_CODEC_BROTLI};
    static const size_t sizes[] = {0, 1, 100, 70000};
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            uint8_t *src = make_data(n), *dst = malloc(n + 1);
            struct pq_buf b = {0};
            struct ocp_error err;
            int rc = pq_compress(codecs[c], 0, src, n, &b, &err);
            CHECK_INT(rc, OCP_OK);
            if (rc == OCP_OK) {
                CHECK_INT(pq_decompress(codecs[c], b.data, b.len, dst, n, &err), OCP_OK);
                CHECK(n == 0 || memcmp(src, dst, n) == 0);
                if (n == 70000 && codecs[c] != PQ_CODEC_UNCOMPRESSED)
                    CHECK(b.len < n / 2);
                /* One byte too small or too large is a data error. */
                if (n > 0)
                    CHECK_INT(pq_decompress(codecs[c], b.data, b.len, dst, n - 1, &err),
                              OCP_ERR_DATA);
                CHECK_INT(pq_decompress(codecs[c], b.data, b.len, dst, n + 1, &err), OCP_ERR_DATA);
                /* A second compression replaces the buffer's contents. */
                CHECK_INT(pq_compress(codecs[c], 1, src, n, &b, &err), OCP_OK);
                CHECK_INT(pq_decompress(codecs[c], b.data, b.len, dst, n, &err), OCP_OK);
                CHECK(n == 0 || memcmp(src, dst, n) == 0);
            }
            pq_buf_release(&b);
            free(src);
            free(dst);
        }
    }
    {
        struct pq_buf b = {0};
        struct ocp_error err;
        CHECK_INT(pq_compress(PQ_CODEC_LZO, 0, (const uint8_t *)"x", 1, &b, &err),
                  OCP_ERR_UNSUPPORTED);
        CHECK_INT(pq_compress(PQ_CODEC_LZ4, 0, (const uint8_t *)"x", 1, &b, &err),
                  OCP_ERR_UNSUPPORTED);
        pq_buf_release(&b);
    }
}

static void test_empty(void)
{
    struct ocp_error err;
    for (int c = 0; c <= 7; c++)
        CHECK_INT(pq_decompress((enum pq_codec)c, NULL, 0, NULL, 0, &err), OCP_OK);
    CHECK_INT(pq_decompress(PQ_CODEC_LZO, (const uint8_t *)"x", 1, NULL, 0, &err),
              OCP_ERR_UNSUPPORTED);
    /* An id parquet.thrift does not define is a damaged footer (65), not
     * a codec we lack (69). */
    CHECK_INT(pq_decompress((enum pq_codec)9, (const uint8_t *)"x", 1, NULL, 0, &err),
              OCP_ERR_DATA);
    {
        uint8_t dst[4];
        /* No input but output expected. */
        for (int c = 0; c <= 7; c++)
            if (c != PQ_CODEC_LZO)
                CHECK_INT(pq_decompress((enum pq_codec)c, NULL, 0, dst, 4, &err), OCP_ERR_DATA);
    }
}

/* Buffers compressed by the libraries' own APIs, as other writers do. */
static void test_library_buffers(void)
{
    enum { N = 20000 };
    uint8_t *src = make_data(N), *dst = malloc(N), *c = malloc(2 * N + 1024);
    struct ocp_error err;
    size_t clen;

    clen = 2 * N + 1024;
    CHECK_INT(snappy_compress((const char *)src, N, (char *)c, &clen), SNAPPY_OK);
    CHECK_INT(pq_decompress(PQ_CODEC_SNAPPY, c, clen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);

    clen = ZSTD_compress(c, 2 * N + 1024, src, N, 19);
    CHECK(!ZSTD_isError(clen));
    CHECK_INT(pq_decompress(PQ_CODEC_ZSTD, c, clen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);

    clen = (size_t)LZ4_compress_default((const char *)src, (char *)c, N, 2 * N + 1024);
    CHECK(clen > 0);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4_RAW, c, clen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);
    /* The deprecated LZ4 id falls back to a raw block. */
    memset(dst, 0, N);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, c, clen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);

    clen = 2 * N + 1024;
    CHECK(BrotliEncoderCompress(9, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, N, src, &clen, c));
    CHECK_INT(pq_decompress(PQ_CODEC_BROTLI, c, clen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);

    /* zlib-wrapped deflate (not gzip) is accepted too. */
    {
        uLongf zl = 2 * N + 1024;
        CHECK_INT(compress2(c, &zl, src, N, 9), Z_OK);
        CHECK_INT(pq_decompress(PQ_CODEC_GZIP, c, zl, dst, N, &err), OCP_OK);
        CHECK(memcmp(src, dst, N) == 0);
    }
    free(src);
    free(dst);
    free(c);
}

/* Two gzip members back to back decompress to both halves. */
static void test_gzip_members(void)
{
    const char *a = "first member, ", *b = "second member";
    uint8_t out[64], want[64];
    struct pq_buf m1 = {0}, m2 = {0}, all = {0};
    struct ocp_error err;
    size_t la = strlen(a), lb = strlen(b);
    CHECK_INT(pq_compress(PQ_CODEC_GZIP, 9, (const uint8_t *)a, la, &m1, &err), OCP_OK);
    CHECK_INT(pq_compress(PQ_CODEC_GZIP, 1, (const uint8_t *)b, lb, &m2, &err), OCP_OK);
    CHECK(m1.len > 2 && m1.data[0] == 0x1f && m1.data[1] == 0x8b); /* gzip magic */
    pq_buf_append(&all, m1.data, m1.len);
    pq_buf_append(&all, m2.data, m2.len);
    memcpy(want, a, la);
    memcpy(want + la, b, lb);
    CHECK_INT(pq_decompress(PQ_CODEC_GZIP, all.data, all.len, out, la + lb, &err), OCP_OK);
    CHECK(memcmp(out, want, la + lb) == 0);
    /* The first member alone is short of the expected size. */
    CHECK_INT(pq_decompress(PQ_CODEC_GZIP, all.data, m1.len, out, la + lb, &err), OCP_ERR_DATA);
    /* A truncated second member is an error. */
    CHECK_INT(pq_decompress(PQ_CODEC_GZIP, all.data, all.len - 3, out, la + lb, &err),
              OCP_ERR_DATA);
    pq_buf_release(&m1);
    pq_buf_release(&m2);
    pq_buf_release(&all);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Hadoop framing (one block of one chunk, two blocks, one block of two
 * chunks), the LZ4 frame format, and corrupt variants. */
static void test_lz4_legacy(void)
{
    enum { N = 9000 };
    uint8_t *src = make_data(N), *dst = malloc(N), *f = malloc(4 * N);
    struct ocp_error err;
    int c1, c2;
    size_t flen;

    /* Two blocks: [N/3 bytes] [the rest]. */
    c1 = LZ4_compress_default((const char *)src, (char *)f + 8, N / 3, 2 * N);
    put_be32(f, N / 3);
    put_be32(f + 4, (uint32_t)c1);
    c2 = LZ4_compress_default((const char *)src + N / 3, (char *)f + 16 + c1, N - N / 3, 2 * N);
    put_be32(f + 8 + c1, N - N / 3);
    put_be32(f + 12 + c1, (uint32_t)c2);
    flen = (size_t)(16 + c1 + c2);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen, dst, N - 1, &err), OCP_ERR_DATA);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen - 1, dst, N, &err), OCP_ERR_DATA);

    /* One block of N bytes holding two chunks. */
    put_be32(f, N);
    c1 = LZ4_compress_default((const char *)src, (char *)f + 8, 4000, 2 * N);
    put_be32(f + 4, (uint32_t)c1);
    c2 = LZ4_compress_default((const char *)src + 4000, (char *)f + 12 + c1, N - 4000, 2 * N);
    put_be32(f + 8 + c1, (uint32_t)c2);
    flen = (size_t)(12 + c1 + c2);
    memset(dst, 0, N);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);

    /* LZ4 frame format. */
    flen = LZ4F_compressFrame(f, 4 * N, src, N, NULL);
    CHECK(!LZ4F_isError(flen));
    memset(dst, 0, N);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen, dst, N, &err), OCP_OK);
    CHECK(memcmp(src, dst, N) == 0);
    CHECK_INT(pq_decompress(PQ_CODEC_LZ4, f, flen, dst, N - 1, &err), OCP_ERR_DATA);

    free(src);
    free(dst);
    free(f);
}

/* Random bytes and damaged streams fail cleanly (ASan watches the reads). */
static void test_corrupt(void)
{
    static const enum pq_codec codecs[] = {PQ_CODEC_SNAPPY,  PQ_CODEC_GZIP, PQ_CODEC_ZSTD,
                                           PQ_CODEC_LZ4_RAW, PQ_CODEC_LZ4,  PQ_CODEC_BROTLI};
    enum { N = 4000 };
    uint8_t *src = make_data(N), *dst = malloc(N);
    struct ocp_error err;
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
        struct pq_buf b = {0};
        int failures_ok = 1;
        if (codecs[c] != PQ_CODEC_LZ4) {
            CHECK_INT(pq_compress(codecs[c], 0, src, N, &b, &err), OCP_OK);
            /* Truncations are always detected. */
            CHECK_INT(pq_decompress(codecs[c], b.data, b.len / 2, dst, N, &err), OCP_ERR_DATA);
            /* Flipped bytes either fail or (rarely) still decode to N bytes. */
            for (int t = 0; t < 50; t++) {
                uint8_t *copy = malloc(b.len);
                int rc;
                memcpy(copy, b.data, b.len);
                copy[rnd() % b.len] ^= (uint8_t)(1u + rnd() % 255u);
                rc = pq_decompress(codecs[c], copy, b.len, dst, N, &err);
                failures_ok &= rc == OCP_OK || rc == OCP_ERR_DATA;
                free(copy);
            }
        }
        for (int t = 0; t < 50; t++) {
            size_t len = 1 + (size_t)(rnd() % 64);
            uint8_t *junk = malloc(len);
            int rc;
            for (size_t i = 0; i < len; i++)
                junk[i] = (uint8_t)rnd();
            rc = pq_decompress(codecs[c], junk, len, dst, (size_t)(rnd() % N), &err);
            failures_ok &= rc == OCP_OK || rc == OCP_ERR_DATA;
            free(junk);
        }
        CHECK(failures_ok);
        pq_buf_release(&b);
    }
    free(src);
    free(dst);
}

/* ---- pages of parquet-testing files ----------------------------------- */

/* Our snappy decoder (pq_snappy.c) against libsnappy: the same verdict
 * and the same bytes on streams libsnappy made from data of the shapes a
 * page has (random, text, doubles with repeating high bytes, runs), and on
 * those streams with flipped bits or cut short; every buffer exact-sized,
 * so the sanitizers catch a read or write past either end. */
static void test_snappy_vs_library(void)
{
    int it, disagree = 0, differ = 0, valid = 0, invalid = 0;

    for (it = 0; it < 20000; it++) {
        size_t n = (size_t)(rnd() % (it % 200 == 0 ? 200000 : 2000)), i, cl, ulen = 0, ol;
        int kind = (int)(rnd() % 5), lib_ok, our_ok;
        uint8_t *src = malloc(n ? n : 1), *c, *o1, *o2;
        size_t olen;

        for (i = 0; i < n; i++) {
            switch (kind) {
            case 0: src[i] = (uint8_t)rnd(); break;
            case 1: src[i] = (uint8_t) "cpu memory pod "[rnd() % 15]; break;
            case 2: /* doubles of one magnitude: bytes repeat 8 back */
                src[i] = i >= 8 && i % 8 >= 5 ? src[i - 8] : (uint8_t)rnd();
                break;
            case 3: src[i] = (uint8_t)((i / 7) % 3); break;
            default: src[i] = rnd() % 16 == 0 ? (uint8_t)rnd() : (i ? src[i - 1] : 0); break;
            }
        }
        cl = snappy_max_compressed_length(n);
        c = malloc(cl ? cl : 1);
        CHECK(snappy_compress((const char *)src, n, (char *)c, &cl) == SNAPPY_OK);
        if (it % 3 != 0 && cl > 0) {
            int k, flips = 1 + (int)(rnd() % 4);
            for (k = 0; k < flips; k++)
                c[rnd() % cl] ^= (uint8_t)(1u << (rnd() % 8));
            if (rnd() % 4 == 0)
                cl = (size_t)(rnd() % cl);
        }
        olen = snappy_uncompressed_length((const char *)c, cl, &ulen) == SNAPPY_OK &&
                       ulen <= 4 * n + 64
                   ? ulen
                   : n;
        o1 = malloc(olen ? olen : 1);
        o2 = malloc(olen ? olen : 1);
        ol = olen;
        lib_ok = snappy_uncompressed_length((const char *)c, cl, &ulen) == SNAPPY_OK &&
                 ulen == olen &&
                 snappy_uncompress((const char *)c, cl, (char *)o1, &ol) == SNAPPY_OK && ol == olen;
        our_ok = pq_snappy_decode(c, cl, o2, olen, &ulen) == 0;
        disagree += lib_ok != our_ok;
        if (lib_ok && our_ok)
            differ += memcmp(o1, o2, olen) != 0;
        if (it % 3 == 0) /* untouched: the original bytes */
            differ += !our_ok || olen != n || memcmp(o2, src, n) != 0;
        valid += our_ok;
        invalid += !our_ok;
        free(src);
        free(c);
        free(o1);
        free(o2);
    }
    CHECK_INT(disagree, 0);
    CHECK_INT(differ, 0);
    CHECK(valid > 7000 && invalid > 3000); /* both verdicts were exercised */
}

/* Hand-made streams for the elements libsnappy seldom writes: copies
 * with 4-byte offsets, overlapping copies (offset below length), long
 * literals with 1-4 length bytes, and the ways a stream can lie. */
static void test_snappy_elements(void)
{
    uint8_t out[300], big[70000];
    size_t d;
    /* "abcd" then a 4-byte-offset copy of 10 from 4 back, then a
     * 2-byte-offset copy of 3 from 1 back (the last "b" repeats). */
    static const uint8_t s1[] = {17, 3 << 2, 'a', 'b', 'c',          'd', (9 << 2) | 3,
                                 4,  0,      0,   0,   (2 << 2) | 2, 1,   0};
    static const uint8_t s_zero_off[] = {5, 0 << 2, 'a', (3 << 2) | 2, 0, 0};
    static const uint8_t s_far_off[] = {5, 0 << 2, 'a', (3 << 2) | 2, 2, 0};
    static const uint8_t s_long_len[] = {4, (60 << 2), 3, 'a', 'b', 'c', 'd'};
    static const uint8_t s_short[] = {5, 3 << 2, 'a', 'b', 'c', 'd'};
    static const uint8_t s_varint[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    size_t i;

    CHECK_INT(pq_snappy_decode(s1, sizeof s1, out, 17, &d), 0);
    CHECK(memcmp(out, "abcdabcdabcdabbbb", 17) == 0);
    CHECK_INT(pq_snappy_decode(s1, sizeof s1, out, 16, &d), PQ_SNAPPY_LENGTH);
    CHECK_INT((int)d, 17);
    CHECK_INT(pq_snappy_decode(s_zero_off, sizeof s_zero_off, out, 5, &d), PQ_SNAPPY_CORRUPT);
    CHECK_INT(pq_snappy_decode(s_far_off, sizeof s_far_off, out, 5, &d), PQ_SNAPPY_CORRUPT);
    CHECK_INT(pq_snappy_decode(s_long_len, sizeof s_long_len, out, 4, &d), 0);
    CHECK(memcmp(out, "abcd", 4) == 0);
    CHECK_INT(pq_snappy_decode(s_short, sizeof s_short, out, 5, &d), PQ_SNAPPY_CORRUPT);
    CHECK_INT(pq_snappy_decode(s_varint, sizeof s_varint, out, 5, &d), PQ_SNAPPY_CORRUPT);
    CHECK_INT(pq_snappy_decode(s_varint, 0, out, 0, &d), PQ_SNAPPY_CORRUPT);
    /* A literal with a 2-byte length (61: 300 bytes) and a 4-byte one
     * (63: 70000 bytes), in the fast loop's reach and past it. */
    {
        uint8_t *s = malloc(70010);
        size_t k = 0;
        s[k++] = 0xf0;
        s[k++] = 0xa2;
        s[k++] = 0x04; /* varint 70000 */
        s[k++] = 63 << 2;
        s[k++] = (70000 - 1) & 0xff;
        s[k++] = ((70000 - 1) >> 8) & 0xff;
        s[k++] = ((70000 - 1) >> 16) & 0xff;
        s[k++] = 0;
        for (i = 0; i < 70000; i++)
            s[k++] = (uint8_t)(i * 7);
        CHECK_INT(pq_snappy_decode(s, k, big, sizeof big, &d), 0);
        for (i = 0; i < 70000; i += 997)
            CHECK_INT(big[i], (uint8_t)(i * 7));
        CHECK_INT(pq_snappy_decode(s, k - 1, big, sizeof big, &d), PQ_SNAPPY_CORRUPT);
        s[0] = 0xac;
        s[1] = 0x02; /* varint 300 */
        s[2] = 61 << 2;
        s[3] = (300 - 1) & 0xff;
        s[4] = (300 - 1) >> 8;
        CHECK_INT(pq_snappy_decode(s, 5 + 300, out, 300, &d), 0);
        CHECK_INT(out[299], (uint8_t)((299 - 3) * 7)); /* s[5 + j] held byte j - 3 */
        free(s);
    }
    /* Overlapping copies of every offset below 16 in the fast loop: a
     * 1-byte literal seed then copies of 64 from offset k. */
    for (i = 1; i < 16; i++) {
        uint8_t s[200], ref[300];
        size_t k = 0, j, total = 16 + 4 * 64;
        s[k++] = (uint8_t)(total | 0x80);
        s[k++] = (uint8_t)(total >> 7);
        s[k++] = 15 << 2;
        for (j = 0; j < 16; j++)
            s[k++] = (uint8_t)(j + 1);
        for (j = 0; j < 4; j++) {
            s[k++] = (63 << 2) | 2;
            s[k++] = (uint8_t)i;
            s[k++] = 0;
        }
        for (j = 0; j < 120; j++) /* room past the end of the stream */
            s[k + j] = 0;
        for (j = 0; j < 16; j++)
            ref[j] = (uint8_t)(j + 1);
        for (j = 16; j < total; j++)
            ref[j] = ref[j - i];
        CHECK_INT(pq_snappy_decode(s, k, out, total, &d), 0);
        CHECK(memcmp(out, ref, total) == 0);
    }
}

/* ---- snappy streams written element by element ------------------------ */

/* A snappy stream built by hand: the body's elements, then the header
 * (the declared length) in front. */
struct sw {
    uint8_t b[1024];
    size_t n, out; /* body bytes, bytes the body decodes to */
};

static void sw_byte(struct sw *w, unsigned v)
{
    if (w->n < sizeof w->b)
        w->b[w->n++] = (uint8_t)v;
}

/* A literal; nb 0 puts the length in the tag (up to 60), 1-4 in nb
 * following bytes (any length that fits, minimal or not). */
static void sw_literal(struct sw *w, const uint8_t *p, size_t len, int nb)
{
    size_t i;
    if (nb == 0) {
        sw_byte(w, (unsigned)(len - 1) << 2);
    } else {
        sw_byte(w, (unsigned)(59 + nb) << 2);
        for (i = 0; i < (size_t)nb; i++)
            sw_byte(w, (unsigned)((len - 1) >> (8 * i)) & 0xff);
    }
    for (i = 0; i < len; i++)
        sw_byte(w, p[i]);
    w->out += len;
}

/* A copy with a 1- (len 4-11, off below 2048), 2- or 4-byte offset. */
static void sw_copy(struct sw *w, size_t off, size_t len, int nb)
{
    int i;
    if (nb == 1) {
        sw_byte(w, (unsigned)(((off >> 8) << 5) | ((len - 4) << 2) | 1));
        sw_byte(w, (unsigned)off & 0xff);
    } else {
        sw_byte(w, (unsigned)(((len - 1) << 2) | (nb == 2 ? 2 : 3)));
        for (i = 0; i < nb; i++)
            sw_byte(w, (unsigned)(off >> (8 * i)) & 0xff);
    }
    w->out += len;
}

/* The whole stream with the header declaring decl: into c, its length. */
static size_t sw_stream(const struct sw *w, size_t decl, uint8_t *c)
{
    size_t k = 0;
    do {
        c[k++] = (uint8_t)((decl & 0x7f) | (decl > 0x7f ? 0x80 : 0));
        decl >>= 7;
    } while (decl);
    memcpy(c + k, w->b, w->n);
    return k + w->n;
}

/* Our decoder and libsnappy on stream c0 into exactly dstlen bytes, every
 * buffer exact-sized (the sanitizers see a byte past either end): 1 when
 * both decode it to the same bytes, 0 when both reject it, -1 when they
 * disagree. */
static int snappy_check(const uint8_t *c0, size_t cl, size_t dstlen)
{
    uint8_t *c = malloc(cl ? cl : 1), *o1 = malloc(dstlen ? dstlen : 1),
            *o2 = malloc(dstlen ? dstlen : 1);
    size_t ulen = 0, ol = dstlen, d;
    int lib_ok, our_ok, r;

    if (cl)
        memcpy(c, c0, cl);
    lib_ok = snappy_uncompressed_length((const char *)c, cl, &ulen) == SNAPPY_OK &&
             ulen == dstlen &&
             snappy_uncompress((const char *)c, cl, (char *)o1, &ol) == SNAPPY_OK && ol == dstlen;
    our_ok = pq_snappy_decode(c, cl, o2, dstlen, &d) == 0;
    r = lib_ok != our_ok ? -1 : !our_ok ? 0 : memcmp(o1, o2, dstlen) == 0 ? 1 : -1;
    free(c);
    free(o1);
    free(o2);
    return r;
}

/* After the element under test, output of tail bytes left as a literal
 * (as many input bytes as output) or as 1-byte copies with 4-byte
 * offsets (5 input bytes each): so the element meets the fast loop's
 * 64-byte output and 66-byte input limits from either side, or reaches
 * the end of the buffer (tail 0). */
static void sw_tail(struct sw *w, size_t tail, int kind)
{
    uint8_t lit[128];
    size_t i;
    if (tail == 0)
        return;
    if (kind == 0) {
        for (i = 0; i < tail; i++)
            lit[i] = (uint8_t)(0xa0 + i);
        sw_literal(w, lit, tail, tail > 60);
    } else {
        for (i = 0; i < tail; i++)
            sw_copy(w, 1 + i % 3, 1, 4);
    }
}

/* The tails each element is tried with; len the element's output. */
static size_t tails(size_t len, size_t *t)
{
    static const size_t fixed[] = {0,  1,  2,  3,  7,  8,  15, 16, 17,
                                   31, 32, 33, 62, 63, 64, 65, 66, 70};
    size_t k = 0, i;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        t[k++] = fixed[i];
    if (len <= 64) {
        t[k++] = 64 - len; /* the element's block ends at the buffer's end */
        if (len < 64)
            t[k++] = 64 - len - 1;
        t[k++] = 64 - len + 1;
    }
    return k;
}

/* Copies of every offset 1-20 and length 4-64 (the overlapping ones are
 * patterns; offsets 1-15 take overlap_copy's period paths) with 1-, 2-
 * and 4-byte offsets, at every distance from the buffer ends around the
 * fast loop's limits; each also cut short at several points, declared
 * too short (the copy runs past dst), and with its offset 0, one past
 * the bytes written, or exactly all of them. */
static void test_snappy_copies(void)
{
    uint8_t seed[64], c[1100];
    size_t off, len, t[32], nt, ti, total, cl, i;
    int form, kind, bad = 0, n = 0, cuts = 0;

    for (i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)(rnd() | 1);
    for (off = 1; off <= 20; off++) {
        for (len = 4; len <= 64; len++) {
            nt = tails(len, t);
            for (form = 1; form <= 4; form *= 2) {
                if (form == 1 && len > 11)
                    continue;
                for (ti = 0; ti < nt; ti++) {
                    for (kind = 0; kind < 2; kind++) {
                        struct sw w = {{0}, 0, 0};
                        size_t sl = off + (size_t)(rnd() % 3); /* the seed */
                        sw_literal(&w, seed, sl, 0);
                        sw_copy(&w, off, len, form);
                        sw_tail(&w, t[ti], kind);
                        total = w.out;
                        cl = sw_stream(&w, total, c);
                        bad += snappy_check(c, cl, total) != 1;
                        n++;
                        if (n % 7 == 0) { /* cut short anywhere */
                            size_t k = (size_t)(rnd() % cl);
                            bad += snappy_check(c, k, total) != 0;
                            cuts++;
                        }
                        if (t[ti] == 0) /* declared 1-3 bytes short */
                            for (i = 1; i <= 3; i++) {
                                cl = sw_stream(&w, total - i, c);
                                bad += snappy_check(c, cl, total - i) != 0;
                            }
                    }
                }
            }
        }
    }
    /* The offset against the bytes written so far (sl of them). */
    for (len = 1; len <= 64; len++) {
        nt = tails(len, t);
        for (ti = 0; ti < nt; ti++) {
            size_t sl = 1 + (size_t)(rnd() % 40), k;
            for (k = 0; k < 3; k++) {
                static const int want[3] = {0, 0, 1};
                size_t o = k == 0 ? 0 : k == 1 ? sl + 1 : sl;
                struct sw w = {{0}, 0, 0};
                sw_literal(&w, seed, sl, 0);
                sw_copy(&w, o, len, len >= 4 && len <= 11 ? 1 : 2);
                sw_tail(&w, t[ti], (int)(ti & 1));
                cl = sw_stream(&w, w.out, c);
                bad += snappy_check(c, cl, w.out) != want[k];
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK(n > 10000 && cuts > 1000);
}

/* Literals of every length with the length in the tag or in 1-4 bytes,
 * after 0-100 bytes of output and before every tail; each also cut short
 * by one byte and at a random point (an element running past the
 * input's end). */
static void test_snappy_literals(void)
{
    static const size_t lens[] = {61, 62, 63, 64, 65, 66, 100, 127, 128, 255, 256, 257, 300};
    static const size_t before[] = {0, 1, 5, 64, 100};
    uint8_t lit[300], c[1100];
    size_t len, t[32], nt, ti, bi, cl, i;
    int nb, bad = 0, n = 0;

    for (i = 0; i < sizeof lit; i++)
        lit[i] = (uint8_t)rnd();
    for (i = 0; i < 60 + sizeof lens / sizeof lens[0]; i++) {
        len = i < 60 ? i + 1 : lens[i - 60];
        nt = tails(len, t);
        for (nb = len <= 60 ? 0 : 1; nb <= 4; nb++) {
            if (nb == 1 && len > 256)
                continue;
            for (bi = 0; bi < sizeof before / sizeof before[0]; bi++) {
                for (ti = 0; ti < nt; ti++) {
                    struct sw w = {{0}, 0, 0};
                    if (before[bi])
                        sw_literal(&w, lit + 7, before[bi], before[bi] > 60);
                    sw_literal(&w, lit, len, nb);
                    sw_tail(&w, t[ti], (int)(ti & 1));
                    cl = sw_stream(&w, w.out, c);
                    bad += snappy_check(c, cl, w.out) != 1;
                    bad += snappy_check(c, cl - 1, w.out) != 0;
                    bad += snappy_check(c, (size_t)(rnd() % cl), w.out) != 0;
                    n++;
                }
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK(n > 10000);
}

struct tr {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t tr_varint(struct tr *t)
{
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        if (t->p >= t->end) {
            t->bad = 1;
            return 0;
        }
        v |= (uint64_t)(*t->p & 0x7f) << s;
        if ((*t->p++ & 0x80) == 0)
            return v;
    }
    t->bad = 1;
    return 0;
}

static int64_t tr_int(struct tr *t)
{
    uint64_t u = tr_varint(t);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void tr_skip(struct tr *t, int type, int depth);

/* Reads a struct's fields; calls back with (field id, type) and skips the
 * fields the callback leaves alone (it returns 0). */
static void tr_struct(struct tr *t, int depth, int (*field)(struct tr *, int id, int type, void *),
                      void *ctx)
{
    int last = 0;
    while (!t->bad && t->p < t->end && depth < 16) {
        uint8_t h = *t->p++;
        int type = h & 0x0f, id;
        if (type == 0)
            return;
        id = (h >> 4) ? last + (h >> 4) : (int)tr_int(t);
        last = id;
        if (field == NULL || !field(t, id, type, ctx))
            tr_skip(t, type, depth + 1);
    }
    t->bad = 1;
}

static void tr_skip(struct tr *t, int type, int depth)
{
    switch (type) {
    case 1:
    case 2: return;
    case 3:
        if (t->p < t->end)
            t->p++;
        else
            t->bad = 1;
        return;
    case 4:
    case 5:
    case 6: (void)tr_varint(t); return;
    case 7:
        if (t->end - t->p >= 8)
            t->p += 8;
        else
            t->bad = 1;
        return;
    case 8: {
        uint64_t n = tr_varint(t);
        if (n <= (uint64_t)(t->end - t->p))
            t->p += n;
        else
            t->bad = 1;
        return;
    }
    case 9:
    case 10: {
        uint8_t h;
        uint64_t n;
        if (t->p >= t->end) {
            t->bad = 1;
            return;
        }
        h = *t->p++;
        n = (h >> 4) == 15 ? tr_varint(t) : (uint64_t)(h >> 4);
        for (uint64_t i = 0; i < n && !t->bad; i++)
            tr_skip(t, h & 0x0f, depth + 1);
        return;
    }
    case 12: tr_struct(t, depth, NULL, NULL); return;
    default: t->bad = 1; return;
    }
}

struct page_hdr {
    int64_t type, usize, csize, def_len, rep_len;
    int v2_compressed;
};

static int v2_field(struct tr *t, int id, int type, void *ctx)
{
    struct page_hdr *h = ctx;
    if (id == 5 && type == 5) {
        h->def_len = tr_int(t);
        return 1;
    }
    if (id == 6 && type == 5) {
        h->rep_len = tr_int(t);
        return 1;
    }
    if (id == 7 && (type == 1 || type == 2)) {
        h->v2_compressed = type == 1;
        return 1;
    }
    return 0;
}

static int page_field(struct tr *t, int id, int type, void *ctx)
{
    struct page_hdr *h = ctx;
    if (type == 5 && id >= 1 && id <= 3) {
        int64_t v = tr_int(t);
        if (id == 1)
            h->type = v;
        else if (id == 2)
            h->usize = v;
        else
            h->csize = v;
        return 1;
    }
    if (id == 8 && type == 12) {
        tr_struct(t, 1, v2_field, h);
        return 1;
    }
    return 0;
}

/* Decompresses every page before the footer; returns the page count or
 * -1 on the first failure. */
static int walk_file(const char *name, enum pq_codec codec)
{
    char path[2048];
    const char *shared = getenv("OCPAGG_TEST_DATA");
    FILE *fp;
    uint8_t *buf;
    long size;
    size_t off = 4, end;
    int pages = 0;
    uint32_t footer;

    snprintf(path, sizeof path, "%s/parquet-testing/data/%s", shared ? shared : "tests/data", name);
    fp = fopen(path, "rb");
    if (fp == NULL)
        return -2;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)size);
    if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        free(buf);
        return -1;
    }
    fclose(fp);
    memcpy(&footer, buf + size - 8, 4);
    end = (size_t)size - 8 - footer;
    while (off < end) {
        struct tr t = {buf + off, buf + end, 0};
        struct page_hdr h = {-1, -1, -1, 0, 0, 1};
        struct ocp_error err;
        size_t hlen, skip = 0;
        uint8_t *out;
        int rc;
        tr_struct(&t, 0, page_field, &h);
        /* Column or offset indexes after the pages end the walk. */
        if (t.bad || h.type < 0 || h.usize < 0 || h.csize < 0)
            break;
        hlen = (size_t)(t.p - (buf + off));
        if ((size_t)h.csize > end - off - hlen) {
            pages = -1;
            break;
        }
        if (h.type == 3) /* v2: levels are stored uncompressed first */
            skip = (size_t)(h.def_len + h.rep_len);
        out = malloc((size_t)h.usize + 1);
        if (h.type == 3 && !h.v2_compressed)
            rc = pq_decompress(PQ_CODEC_UNCOMPRESSED, buf + off + hlen + skip,
                               (size_t)h.csize - skip, out, (size_t)h.usize - skip, &err);
        else
            rc = pq_decompress(codec, buf + off + hlen + skip, (size_t)h.csize - skip, out,
                               (size_t)h.usize - skip, &err);
        free(out);
        if (rc != OCP_OK) {
            fprintf(stderr, "%s: page at %zu: %s\n", name, off, err.message);
            pages = -1;
            break;
        }
        pages++;
        off += hlen + (size_t)h.csize;
    }
    free(buf);
    return pages;
}

static void test_parquet_testing_pages(void)
{
    static const struct {
        const char *name;
        enum pq_codec codec;
    } files[] = {
        {"hadoop_lz4_compressed.parquet", PQ_CODEC_LZ4},
        {"hadoop_lz4_compressed_larger.parquet", PQ_CODEC_LZ4},
        {"non_hadoop_lz4_compressed.parquet", PQ_CODEC_LZ4},
        {"lz4_raw_compressed.parquet", PQ_CODEC_LZ4_RAW},
        {"lz4_raw_compressed_larger.parquet", PQ_CODEC_LZ4_RAW},
        {"datapage_v2.snappy.parquet", PQ_CODEC_SNAPPY},
        {"byte_stream_split.zstd.parquet", PQ_CODEC_ZSTD},
        {"byte_stream_split_extended.gzip.parquet", PQ_CODEC_GZIP},
        {"delta_length_byte_array.parquet", PQ_CODEC_ZSTD},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int pages = walk_file(files[i].name, files[i].codec);
        if (pages == -2) {
            SKIP(files[i].name);
            continue;
        }
        fprintf(stderr, "%s: %d pages\n", files[i].name, pages);
        CHECK(pages > 0);
    }
}

int main(void)
{
    RUN(test_names_crc);
    RUN(test_roundtrip);
    RUN(test_empty);
    RUN(test_library_buffers);
    RUN(test_gzip_members);
    RUN(test_lz4_legacy);
    RUN(test_corrupt);
    RUN(test_snappy_vs_library);
    RUN(test_snappy_elements);
    RUN(test_snappy_copies);
    RUN(test_snappy_literals);
    RUN(test_parquet_testing_pages);
    return TEST_SUMMARY();
}
