/* test_pq_encoding.c - Parquet encodings against the spec's worked examples,
 * encoder/decoder round trips and corrupt streams. */
#include "parquet/pq_encoding.h"

#include "testlib.h"

#include <stdint.h>
#include <time.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, good enough for test data */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void test_bit_width(void)
{
    CHECK_INT(pq_bit_width(0), 0);
    CHECK_INT(pq_bit_width(1), 1);
    CHECK_INT(pq_bit_width(7), 3);
    CHECK_INT(pq_bit_width(8), 4);
    CHECK_INT(pq_bit_width(1023), 10);
    CHECK_INT(pq_bit_width(UINT32_MAX), 32);
}

/* Encodings.md: 0..7 at bit width 3 packs to 0x88 0xC6 0xFA. */
static void test_rle_spec_bitpacked(void)
{
    const uint8_t data[] = {0x03, 0x88, 0xC6, 0xFA};
    struct pq_rle_decoder d;
    uint32_t out[8];
    struct ocp_error err;
    CHECK_INT(pq_rle_init(&d, data, sizeof data, 3), OCP_OK);
    CHECK_INT(pq_rle_get(&d, out, 8, &err), OCP_OK);
    for (int i = 0; i < 8; i++)
        CHECK_INT(out[i], i);
    /* The stream is exhausted now. */
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);

    /* Read in pieces of 3, 3, 2 (through the group buffer). */
    pq_rle_init(&d, data, sizeof data, 3);
    CHECK_INT(pq_rle_get(&d, out, 3, &err), OCP_OK);
    CHECK_INT(pq_rle_get(&d, out + 3, 3, &err), OCP_OK);
    CHECK_INT(pq_rle_get(&d, out + 6, 2, &err), OCP_OK);
    for (int i = 0; i < 8; i++)
        CHECK_INT(out[i], i);

    /* The encoder produces exactly those bytes. */
    {
        uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        struct pq_buf b = {0};
        CHECK_INT(pq_rle_encode(&b, v, 8, 3), OCP_OK);
        CHECK_INT(b.len, 4);
        CHECK(b.len == 4 && memcmp(b.data, data, 4) == 0);
        pq_buf_release(&b);
    }
}

static void test_rle_runs(void)
{
    /* 100 x 5 at width 3 (header 200 = C8 01), 300 x 700 at width 10
     * (two value bytes, header 600 = D8 04), then 0..7 bit-packed. */
    const uint8_t w3[] = {0xC8, 0x01, 0x05, 0x03, 0x88, 0xC6, 0xFA};
    const uint8_t w10[] = {0xD8, 0x04, 0xBC, 0x02};
    uint32_t out[400];
    struct pq_rle_decoder d;
    struct ocp_error err;
    size_t ok = 0;

    pq_rle_init(&d, w3, sizeof w3, 3);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_OK);
    CHECK_INT(pq_rle_get(&d, out + 1, 104, &err), OCP_OK);
    CHECK_INT(pq_rle_get(&d, out + 105, 3, &err), OCP_OK);
    for (int i = 0; i < 100; i++)
        ok += out[i] == 5;
    CHECK_INT(ok, 100);
    for (int i = 0; i < 8; i++)
        CHECK_INT(out[100 + i], i);

    pq_rle_init(&d, w10, sizeof w10, 10);
    CHECK_INT(pq_rle_get(&d, out, 300, &err), OCP_OK);
    CHECK_INT(out[0], 700);
    CHECK_INT(out[299], 700);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);

    /* Encoder: 10 x 1 at width 1 is one RLE run: 0x14 0x01. */
    {
        uint32_t v[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        struct pq_buf b = {0};
        CHECK_INT(pq_rle_encode(&b, v, 10, 1), OCP_OK);
        CHECK_INT(b.len, 2);
        CHECK(b.len == 2 && b.data[0] == 0x14 && b.data[1] == 0x01);
        /* A value wider than the bit width is refused. */
        v[3] = 2;
        CHECK_INT(pq_rle_encode(&b, v, 10, 1), OCP_ERR_SOFTWARE);
        pq_buf_release(&b);
    }

    /* Width 0: an empty stream reads as zeros; runs carry no value bytes. */
    {
        const uint8_t z[] = {0x10};
        out[0] = out[1] = 9;
        pq_rle_init(&d, NULL, 0, 0);
        CHECK_INT(pq_rle_get(&d, out, 2, &err), OCP_OK);
        CHECK_INT(out[0], 0);
        CHECK_INT(out[1], 0);
        pq_rle_init(&d, z, 1, 0);
        CHECK_INT(pq_rle_get(&d, out, 8, &err), OCP_OK);
        CHECK_INT(out[7], 0);
    }
}

static void test_rle_bounded(void)
{
    const uint8_t data[] = {0x03, 0x88, 0xC6, 0xFA};
    struct pq_rle_decoder d;
    uint32_t out[8];
    struct ocp_error err;
    pq_rle_init(&d, data, sizeof data, 3);
    CHECK_INT(pq_rle_get_bounded(&d, out, 8, 8, &err), OCP_OK);
    pq_rle_init(&d, data, sizeof data, 3);
    CHECK_INT(pq_rle_get_bounded(&d, out, 8, 7, &err), OCP_ERR_DATA);
    CHECK(strstr(err.message, "index 7") != NULL);
}

static void test_rle_corrupt(void)
{
    struct pq_rle_decoder d;
    uint32_t out[64];
    struct ocp_error err;
    const uint8_t cont_only[] = {0x80};
    const uint8_t too_long[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    const uint8_t short_value[] = {0x10, 0x01};             /* width 10 needs 2 bytes */
    const uint8_t wide_value[] = {0x10, 0x09};              /* 9 does not fit 3 bits */
    const uint8_t claims_more[] = {0x07, 0x88, 0xC6, 0xFA}; /* 3 groups, 1 present */
    const uint8_t huge_groups[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};

    CHECK_INT(pq_rle_init(&d, cont_only, 1, 33), OCP_ERR_DATA);
    CHECK_INT(pq_rle_init(&d, cont_only, 1, -1), OCP_ERR_DATA);

    pq_rle_init(&d, cont_only, sizeof cont_only, 3);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);
    pq_rle_init(&d, too_long, sizeof too_long, 3);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);
    pq_rle_init(&d, short_value, sizeof short_value, 10);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);
    pq_rle_init(&d, wide_value, sizeof wide_value, 3);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);
    pq_rle_init(&d, huge_groups, sizeof huge_groups, 1);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);

    /* A bit-packed run claiming more groups than the bytes left is cut to
     * the values present: the first 8 decode, the 9th is an error. */
    pq_rle_init(&d, claims_more, sizeof claims_more, 3);
    CHECK_INT(pq_rle_get(&d, out, 8, &err), OCP_OK);
    CHECK_INT(out[7], 7);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);
    pq_rle_init(&d, claims_more, sizeof claims_more, 3);
    CHECK_INT(pq_rle_get(&d, out, 9, &err), OCP_ERR_DATA);
    /* With 2 of 3 bytes left, 5 values (15 bits) are present. */
    pq_rle_init(&d, claims_more, 3, 3);
    CHECK_INT(pq_rle_get(&d, out, 5, &err), OCP_OK);
    CHECK_INT(out[4], 4);
    CHECK_INT(pq_rle_get(&d, out, 1, &err), OCP_ERR_DATA);

    /* Random garbage never reads out of bounds (ASan checks) and either
     * decodes or fails cleanly. */
    for (int t = 0; t < 2000; t++) {
        size_t len = (size_t)(rnd() % 24);
        int bw = (int)(rnd() % 33);
        uint8_t *heap = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            heap[i] = (uint8_t)rnd();
        pq_rle_init(&d, heap, len, bw);
        (void)pq_rle_get(&d, out, (size_t)(rnd() % 64), &err);
        free(heap);
    }
}

/* Encoder -> decoder for every width, with runs and noise, read in uneven
 * chunk sizes. */
static void test_rle_roundtrip(void)
{
    enum { N = 5000 };
    uint32_t *v = malloc(N * sizeof *v), *got = malloc(N * sizeof *got);
    int failures = 0;
    for (int bw = 0; bw <= 32; bw++) {
        uint32_t mask = bw == 32 ? UINT32_MAX : ((uint32_t)1 << bw) - 1u;
        for (int pattern = 0; pattern < 3; pattern++) {
            struct pq_buf b = {0};
            struct pq_rle_decoder d;
            struct ocp_error err;
            size_t n = N - (size_t)(rnd() % 20), pos = 0;
            for (size_t i = 0; i < n;) {
                size_t run = pattern == 0 ? 1 : (size_t)(rnd() % (pattern == 1 ? 12 : 300)) + 1;
                uint32_t x = (uint32_t)rnd() & mask;
                for (size_t k = 0; k < run && i < n; k++, i++)
                    v[i] = pattern == 0 ? ((uint32_t)rnd() & mask) : x;
            }
            if (pq_rle_encode(&b, v, n, bw) != OCP_OK) {
                failures++;
                continue;
            }
            pq_rle_init(&d, b.data, b.len, bw);
            while (pos < n) {
                size_t k = (size_t)(rnd() % 37) + 1;
                if (k > n - pos)
                    k = n - pos;
                if (pq_rle_get(&d, got + pos, k, &err) != OCP_OK)
                    break;
                pos += k;
            }
            if (pos != n || memcmp(v, got, n * sizeof *v) != 0) {
                fprintf(stderr, "round trip failed at width %d pattern %d\n", bw, pattern);
                failures++;
            }
            /* Decoding everything in one call gives the same. */
            pq_rle_init(&d, b.data, b.len, bw);
            if (pq_rle_get(&d, got, n, &err) != OCP_OK || memcmp(v, got, n * sizeof *v) != 0)
                failures++;
            pq_buf_release(&b);
        }
    }
    CHECK_INT(failures, 0);
    free(v);
    free(got);
}

/* Dictionary indices at width 10, mostly bit-packed: prints the rate. */
static void test_rle_speed(void)
{
    enum { N = 1 << 20, REPS = 16 };
    uint32_t *v = malloc(N * sizeof *v), *got = malloc(N * sizeof *got);
    struct pq_buf b = {0};
    struct timespec t0, t1;
    struct ocp_error err;
    double secs;
    int ok = 1;
    for (size_t i = 0; i < N; i++)
        v[i] = (uint32_t)(rnd() % 1000u);
    CHECK_INT(pq_rle_encode(&b, v, N, 10), OCP_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < REPS; r++) {
        struct pq_rle_decoder d;
        pq_rle_init(&d, b.data, b.len, 10);
        ok &= pq_rle_get_bounded(&d, got, N, 1000, &err) == OCP_OK;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(ok);
    CHECK(memcmp(v, got, N * sizeof *v) == 0);
    fprintf(stderr, "RLE width-10 bounded decode: %.0f M values/s\n",
            (double)N * REPS / secs / 1e6);
    pq_buf_release(&b);
    free(v);
    free(got);
}

/* Encodings.md: BIT_PACKED 0..7 at width 3 is 0x05 0x39 0x77. */
static void test_bitpacked_levels(void)
{
    const uint8_t data[] = {0x05, 0x39, 0x77, 0xEE};
    uint16_t out[10];
    size_t used = 0;
    struct ocp_error err;
    CHECK_INT(pq_bitpacked_levels(data, sizeof data, 3, 8, out, &used, &err), OCP_OK);
    CHECK_INT(used, 3);
    for (int i = 0; i < 8; i++)
        CHECK_INT(out[i], i);
    /* 5 values of 3 bits need 2 bytes. */
    CHECK_INT(pq_bitpacked_levels(data, sizeof data, 3, 5, out, &used, &err), OCP_OK);
    CHECK_INT(used, 2);
    CHECK_INT(out[4], 4);
    /* 1-bit levels: 0xA0 = 1,0,1,0,0,... */
    {
        const uint8_t one[] = {0xA0};
        CHECK_INT(pq_bitpacked_levels(one, 1, 1, 4, out, &used, &err), OCP_OK);
        CHECK_INT(out[0], 1);
        CHECK_INT(out[1], 0);
        CHECK_INT(out[2], 1);
        CHECK_INT(out[3], 0);
    }
    CHECK_INT(pq_bitpacked_levels(data, 3, 3, 9, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_bitpacked_levels(data, 3, 17, 1, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_bitpacked_levels(data, 0, 0, 10, out, &used, &err), OCP_OK);
    CHECK_INT(used, 0);
    CHECK_INT(out[9], 0);
}

static void test_buf(void)
{
    struct pq_buf b = {0};
    CHECK_INT(pq_buf_append(&b, "abc", 3), OCP_OK);
    CHECK_INT(pq_buf_append(&b, "de", 2), OCP_OK);
    CHECK_INT(b.len, 5);
    CHECK(memcmp(b.data, "abcde", 5) == 0);
    CHECK_INT(pq_buf_reserve(&b, SIZE_MAX), OCP_ERR_OSERR);
    pq_buf_release(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------ */

/* Encodings.md example 1 (1 2 3 4 5) with a valid block of 128 values in 4
 * miniblocks instead of the spec's illustrative block of 8. */
static void test_delta_spec_example1(void)
{
    const uint8_t data[] = {0x80, 0x01, 0x04, 0x05, 0x02, /* header */
                            0x02, 0x00, 0x00, 0x00, 0x00, /* min 1, widths */
                            0xAA};                        /* not ours */
    int64_t out[5];
    size_t used = 0;
    struct ocp_error err;
    CHECK_INT(pq_delta_binary_decode(data, sizeof data, 5, out, &used, &err), OCP_OK);
    CHECK_INT(used, 10);
    for (int i = 0; i < 5; i++)
        CHECK_INT(out[i], i + 1);
    /* The stream holds 5 values: asking for 6 is an error, 3 is fine and
     * still consumes the whole stream. */
    CHECK_INT(pq_delta_binary_decode(data, sizeof data, 6, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(data, sizeof data, 3, out, &used, &err), OCP_OK);
    CHECK_INT(used, 10);
    /* The spec's literal bytes use block size 8, which is not a multiple of
     * 128 and so is rejected. */
    {
        const uint8_t spec8[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
        CHECK_INT(pq_delta_binary_decode(spec8, sizeof spec8, 5, out, &used, &err), OCP_ERR_DATA);
    }
    /* The encoder writes exactly the bytes above. */
    {
        const int64_t v[5] = {1, 2, 3, 4, 5};
        struct pq_buf b = {0};
        CHECK_INT(pq_delta_binary_encode(&b, v, 5), OCP_OK);
        CHECK_INT(b.len, 10);
        CHECK(b.len == 10 && memcmp(b.data, data, 10) == 0);
        pq_buf_release(&b);
    }
}

/* Example 2: 7 5 3 1 2 3 4 5, deltas -2 -2 -2 1 1 1 1, min -2, width 2;
 * relative deltas 0 0 0 3 3 3 3 pack LSB first to 0xC0 0x3F, then the
 * miniblock is padded to 32 values (8 bytes). */
static void test_delta_spec_example2(void)
{
    uint8_t data[] = {0x80, 0x01, 0x04, 0x08, 0x0E, /* header, first 7 */
                      0x03, 0x02, 0x00, 0x00, 0x00, /* min -2, widths */
                      0xC0, 0x3F, 0,    0,    0,    0, 0, 0};
    const int64_t want[8] = {7, 5, 3, 1, 2, 3, 4, 5};
    int64_t out[8];
    size_t used = 0;
    struct ocp_error err;
    CHECK_INT(pq_delta_binary_decode(data, sizeof data, 8, out, &used, &err), OCP_OK);
    CHECK_INT(used, 18);
    CHECK(memcmp(out, want, sizeof want) == 0);
    {
        struct pq_buf b = {0};
        CHECK_INT(pq_delta_binary_encode(&b, want, 8), OCP_OK);
        CHECK(b.len == sizeof data && memcmp(b.data, data, sizeof data) == 0);
        pq_buf_release(&b);
    }
    /* Widths of unused miniblocks may be anything. */
    data[7] = data[8] = data[9] = 0xFF;
    CHECK_INT(pq_delta_binary_decode(data, sizeof data, 8, out, &used, &err), OCP_OK);
    CHECK(memcmp(out, want, sizeof want) == 0);
    /* An unpadded last miniblock at the end of the buffer is accepted. */
    CHECK_INT(pq_delta_binary_decode(data, 12, 8, out, &used, &err), OCP_OK);
    CHECK_INT(used, 12);
    CHECK(memcmp(out, want, sizeof want) == 0);
    /* But not when the values themselves are cut off. */
    CHECK_INT(pq_delta_binary_decode(data, 11, 8, out, &used, &err), OCP_ERR_DATA);
}

static void test_delta_corrupt(void)
{
    int64_t out[300];
    size_t used;
    struct ocp_error err;
    /* block 100; 3 miniblocks of 128; 8 miniblocks of 16; width 65 */
    const uint8_t b100[] = {0x64, 0x01, 0x02, 0x00, 0x00, 0x00};
    const uint8_t mb3[] = {0x80, 0x01, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
    const uint8_t mb16[] = {0x80, 0x01, 0x08, 0x02, 0x00, 0x00};
    const uint8_t w65[] = {0x80, 0x01, 0x04, 0x02, 0x00, 0x00, 65, 0, 0, 0};
    const uint8_t trunc_mb[] = {0x80, 0x01, 0x04, 0x21, 0x00, 0x00, 8, 0, 0, 0, 1, 2, 3};
    const uint8_t trunc_hdr[] = {0x80, 0x01, 0x04};
    const uint8_t neg_len[] = {0x80, 0x01, 0x04, 0x01, 0x01}; /* first value -1 */
    struct pq_bytes bytes[4];

    CHECK_INT(pq_delta_binary_decode(b100, sizeof b100, 2, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(mb3, sizeof mb3, 2, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(mb16, sizeof mb16, 2, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(w65, sizeof w65, 2, out, &used, &err), OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(trunc_mb, sizeof trunc_mb, 33, out, &used, &err),
              OCP_ERR_DATA);
    CHECK_INT(pq_delta_binary_decode(trunc_hdr, sizeof trunc_hdr, 0, out, &used, &err),
              OCP_ERR_DATA);
    CHECK_INT(pq_delta_length_decode(neg_len, sizeof neg_len, 1, bytes, &used, &err), OCP_ERR_DATA);

    for (int t = 0; t < 3000; t++) {
        size_t len = (size_t)(rnd() % 40);
        uint8_t *heap = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            heap[i] = (uint8_t)rnd();
        if (len > 4 && (t & 1)) { /* a valid header, random blocks */
            heap[0] = 0x80;
            heap[1] = 0x01;
            heap[2] = 0x04;
            heap[3] = (uint8_t)(rnd() % 120);
        }
        (void)pq_delta_binary_decode(heap, len, (size_t)(rnd() % 300), out, &used, &err);
        free(heap);
    }
}

static void test_delta_roundtrip(void)
{
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 127, 128, 129, 1000, 4097};
    int64_t *v = malloc(5000 * sizeof *v), *got = malloc(5000 * sizeof *got);
    int failures = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int kind = 0; kind < 5; kind++) {
            size_t n = sizes[s], used = 0;
            struct pq_buf b = {0};
            struct ocp_error err;
            int64_t t = 1700000000000000;
            for (size_t i = 0; i < n; i++) {
                switch (kind) {
                case 0: v[i] = (int64_t)rnd(); break; /* 64-bit widths */
                case 1:
                    t += 3600000000;
                    v[i] = t;
                    break; /* hourly stamps */
                case 2: v[i] = (int64_t)(rnd() % 1000) - 500; break;
                case 3: v[i] = (i & 1) ? INT64_MIN : INT64_MAX; break; /* wrapping */
                default: v[i] = 42; break;                             /* width 0 */
                }
            }
            if (pq_delta_binary_encode(&b, v, n) != OCP_OK ||
                pq_delta_binary_decode(b.data, b.len, n, got, &used, &err) != OCP_OK ||
                used != b.len || (n > 0 && memcmp(v, got, n * sizeof *v) != 0)) {
                fprintf(stderr, "delta round trip failed: n=%zu kind=%d\n", n, kind);
                failures++;
            }
            pq_buf_release(&b);
        }
    }
    CHECK_INT(failures, 0);

    /* INT32: deltas wrap in 32 bits; the decoded low 32 bits are exact and
     * no miniblock is wider than 32 bits. */
    {
        int32_t v32[200];
        struct pq_buf b = {0};
        struct ocp_error err;
        size_t used = 0, ok = 0;
        for (size_t i = 0; i < 200; i++)
            v32[i] = (i % 3 == 0) ? INT32_MIN : (i % 3 == 1) ? INT32_MAX : (int32_t)rnd();
        CHECK_INT(pq_delta_binary_encode_int32(&b, v32, 200), OCP_OK);
        CHECK_INT(pq_delta_binary_decode(b.data, b.len, 200, got, &used, &err), OCP_OK);
        CHECK_INT(used, b.len);
        for (size_t i = 0; i < 200; i++)
            ok += (int32_t)(uint32_t)(uint64_t)got[i] == v32[i];
        CHECK_INT(ok, 200);
        /* The first block's miniblock widths follow the four header
         * numbers and the block's min delta. */
        {
            size_t pos = 0;
            for (int k = 0; k < 5; k++)
                while (b.data[pos++] & 0x80u)
                    ;
            CHECK(b.data[pos] <= 32 && b.data[pos + 1] <= 32 && b.data[pos + 2] <= 32 &&
                  b.data[pos + 3] <= 32);
            CHECK(b.data[pos] >= 30); /* alternating extremes need wide deltas */
        }
        pq_buf_release(&b);
    }
    free(v);
    free(got);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY ------------------------ */

static int bytes_eq(struct pq_bytes b, const char *s)
{
    return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

/* Encodings.md: "Hello" "World" "Foobar" "ABCDEF" -> lengths 5 5 6 6 then
 * the bytes.  Lengths: header, first 5 (zigzag 10), min delta 0, width 1,
 * relative deltas 0 1 0 = 0x02 and three padding bytes. */
static void test_delta_length(void)
{
    const uint8_t lens[] = {0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01,
                            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
    uint8_t data[64];
    struct pq_bytes out[4];
    size_t used = 0;
    struct ocp_error err;
    memcpy(data, lens, sizeof lens);
    memcpy(data + sizeof lens, "HelloWorldFoobarABCDEFxyz", 25);
    CHECK_INT(pq_delta_length_decode(data, sizeof lens + 25, 4, out, &used, &err), OCP_OK);
    CHECK_INT(used, sizeof lens + 22);
    CHECK(bytes_eq(out[0], "Hello"));
    CHECK(bytes_eq(out[1], "World"));
    CHECK(bytes_eq(out[2], "Foobar"));
    CHECK(bytes_eq(out[3], "ABCDEF"));
    CHECK(out[0].ptr == data + sizeof lens); /* views, not copies */
    /* One byte short of the last string. */
    CHECK_INT(pq_delta_length_decode(data, sizeof lens + 21, 4, out, &used, &err), OCP_ERR_DATA);
    {
        const int64_t l[4] = {5, 5, 6, 6};
        struct pq_buf b = {0};
        CHECK_INT(pq_delta_binary_encode(&b, l, 4), OCP_OK);
        CHECK(b.len == sizeof lens && memcmp(b.data, lens, sizeof lens) == 0);
        pq_buf_release(&b);
    }
}

/* Builds prefix lengths, suffix lengths and suffix bytes into b. */
static void build_dba(struct pq_buf *b, const int64_t *pre, const int64_t *suf, size_t n,
                      const char *bytes)
{
    b->len = 0;
    pq_delta_binary_encode(b, pre, n);
    pq_delta_binary_encode(b, suf, n);
    pq_buf_append(b, bytes, strlen(bytes));
}

/* Encodings.md: "axis" "axle" "babble" "babyhood" -> prefixes 0 2 0 3,
 * suffix lengths 4 2 6 5, "axislebabbleyhood". */
static void test_delta_byte_array(void)
{
    const int64_t pre[4] = {0, 2, 0, 3}, suf[4] = {4, 2, 6, 5};
    struct pq_buf b = {0};
    struct ocp_arena arena;
    struct pq_bytes out[4];
    size_t used = 0;
    struct ocp_error err;
    ocp_arena_init(&arena, 0);

    build_dba(&b, pre, suf, 4, "axislebabbleyhood");
    CHECK_INT(pq_delta_byte_array_decode(b.data, b.len, 4, &arena, out, &used, &err), OCP_OK);
    CHECK_INT(used, b.len);
    CHECK(bytes_eq(out[0], "axis"));
    CHECK(bytes_eq(out[1], "axle"));
    CHECK(bytes_eq(out[2], "babble"));
    CHECK(bytes_eq(out[3], "babyhood"));

    /* A value that is only a prefix of the previous one: "abc" "ab" "". */
    {
        const int64_t p2[3] = {0, 2, 0}, s2[3] = {3, 0, 0};
        build_dba(&b, p2, s2, 3, "abc");
        CHECK_INT(pq_delta_byte_array_decode(b.data, b.len, 3, &arena, out, &used, &err), OCP_OK);
        CHECK(bytes_eq(out[0], "abc"));
        CHECK(bytes_eq(out[1], "ab"));
        CHECK_INT(out[2].len, 0);
    }
    /* A prefix longer than the previous value is corrupt. */
    {
        const int64_t p3[2] = {0, 4}, s3[2] = {3, 1};
        build_dba(&b, p3, s3, 2, "abcd");
        CHECK_INT(pq_delta_byte_array_decode(b.data, b.len, 2, &arena, out, &used, &err),
                  OCP_ERR_DATA);
        CHECK(strstr(err.message, "prefix") != NULL);
    }
    /* The first value cannot have a prefix at all. */
    {
        const int64_t p4[1] = {1}, s4[1] = {1};
        build_dba(&b, p4, s4, 1, "a");
        CHECK_INT(pq_delta_byte_array_decode(b.data, b.len, 1, &arena, out, &used, &err),
                  OCP_ERR_DATA);
    }
    /* Suffix bytes missing. */
    build_dba(&b, pre, suf, 4, "axislebabbleyhoo");
    CHECK_INT(pq_delta_byte_array_decode(b.data, b.len, 4, &arena, out, &used, &err), OCP_ERR_DATA);
    pq_buf_release(&b);
    ocp_arena_release(&arena);
}

/* ---- BYTE_STREAM_SPLIT -------------------------------------------------- */

static void test_bss(void)
{
    /* Encodings.md: AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6 */
    const uint8_t enc[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    const uint8_t want[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    uint8_t out[64];
    struct ocp_error err;
    CHECK_INT(pq_bss_decode(enc, sizeof enc, 3, 4, out, &err), OCP_OK);
    CHECK(memcmp(out, want, sizeof want) == 0);
    /* The same 12 bytes as 2 values of width 6 (a FIXED_LEN_BYTE_ARRAY),
     * 6 of width 2 (FLOAT16) and 12 of width 1. */
    CHECK_INT(pq_bss_decode(enc, 12, 2, 6, out, &err), OCP_OK);
    CHECK(out[0] == 0xAA && out[1] == 0xA3 && out[2] == 0x11 && out[5] == 0x33 && out[6] == 0x00 &&
          out[11] == 0xD6);
    CHECK_INT(pq_bss_decode(enc, 12, 6, 2, out, &err), OCP_OK);
    CHECK(out[0] == 0xAA && out[1] == 0xCC && out[2] == 0x00 && out[3] == 0x22 && out[11] == 0xD6);
    CHECK_INT(pq_bss_decode(enc, 12, 12, 1, out, &err), OCP_OK);
    CHECK(memcmp(out, enc, 12) == 0);
    /* Width 8 round trip against a hand-split buffer. */
    {
        uint64_t v[5], got[5];
        uint8_t split[40];
        for (int i = 0; i < 5; i++)
            v[i] = rnd();
        for (int i = 0; i < 5; i++)
            for (int k = 0; k < 8; k++)
                split[k * 5 + i] = ((const uint8_t *)&v[i])[k];
        CHECK_INT(pq_bss_decode(split, 40, 5, 8, (uint8_t *)got, &err), OCP_OK);
        CHECK(memcmp(v, got, sizeof v) == 0);
    }
    CHECK_INT(pq_bss_decode(enc, 11, 2, 4, out, &err), OCP_ERR_DATA); /* ragged */
    CHECK_INT(pq_bss_decode(enc, 12, 4, 4, out, &err), OCP_ERR_DATA); /* too few */
    CHECK_INT(pq_bss_decode(enc, 12, 1, 0, out, &err), OCP_ERR_DATA);
    CHECK_INT(pq_bss_decode(NULL, 0, 0, 4, out, &err), OCP_OK);
}

int main(void)
{
    RUN(test_bit_width);
    RUN(test_rle_spec_bitpacked);
    RUN(test_rle_runs);
    RUN(test_rle_bounded);
    RUN(test_rle_corrupt);
    RUN(test_rle_roundtrip);
    RUN(test_rle_speed);
    RUN(test_bitpacked_levels);
    RUN(test_buf);
    RUN(test_delta_spec_example1);
    RUN(test_delta_spec_example2);
    RUN(test_delta_corrupt);
    RUN(test_delta_roundtrip);
    RUN(test_delta_length);
    RUN(test_delta_byte_array);
    RUN(test_bss);
    return TEST_SUMMARY();
}
