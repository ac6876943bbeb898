/*
 * pq_codec.c - page (de)compression through the Debian codec libraries
 * (snappy decoding is ours: pq_snappy.c).
 *
 * Every decompressor is bounded by the page's declared uncompressed size:
 * the output buffer is exactly that large and any stream producing more or
 * less is corrupt.  Nothing is cached between calls, so the functions are
 * reentrant; zstd and lz4-frame contexts are created per call.
 */
#include "pq_codec.h"
#include "ocpagg/parquet.h"

#include <limits.h>
#include <string.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

/* Default compression levels when the caller passes 0. */
#define PQ_GZIP_DEFAULT_LEVEL 6
#define PQ_ZSTD_DEFAULT_LEVEL 3
#define PQ_BROTLI_DEFAULT_QUALITY 5

const char *pq_codec_name(enum pq_codec codec)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PQ_CODEC_SNAPPY: return "SNAPPY";
    case PQ_CODEC_GZIP: return "GZIP";
    case PQ_CODEC_LZO: return "LZO";
    case PQ_CODEC_BROTLI: return "BROTLI";
    case PQ_CODEC_LZ4: return "LZ4";
    case PQ_CODEC_ZSTD: return "ZSTD";
    case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
    }
    return "UNKNOWN";
}

uint32_t pq_crc32(const uint8_t *data, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, data, chunk);
        data += chunk;
        len -= chunk;
    }
    return (uint32_t)c;
}

static int bad_size(struct ocp_error *err, enum pq_codec codec, size_t got, size_t want)
{
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                         "%s page decompresses to %zu bytes, header says %zu", pq_codec_name(codec),
                         got, want);
}

static int corrupt(struct ocp_error *err, enum pq_codec codec, const char *why)
{
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL, "corrupt %s page: %s",
                         pq_codec_name(codec), why);
}

/* Inflates one or more concatenated gzip (or zlib) members. */
static int gunzip(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  struct ocp_error *err)
{
    z_stream zs;
    int rc = OCP_OK, zrc;

    if (srclen > UINT_MAX || dstlen > UINT_MAX)
        return corrupt(err, PQ_CODEC_GZIP, "page larger than 4 GiB");
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "cannot start zlib inflate");
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)srclen;
    zs.next_out = dst;
    zs.avail_out = (uInt)dstlen;
    for (;;) {
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            /* Another member follows (e.g. a concatenation of gzip files). */
            if (inflateReset(&zs) != Z_OK) {
                rc = corrupt(err, PQ_CODEC_GZIP, "cannot restart inflate");
                goto cleanup;
            }
            continue;
        }
        if (zrc == Z_OK)
            continue;
        if (zrc == Z_BUF_ERROR && zs.avail_out == 0)
            rc = corrupt(err, PQ_CODEC_GZIP, "more data than the page's uncompressed size");
        else if (zrc == Z_BUF_ERROR)
            rc = corrupt(err, PQ_CODEC_GZIP, "truncated stream");
        else if (zrc == Z_MEM_ERROR)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory in zlib inflate");
        else
            rc = corrupt(err, PQ_CODEC_GZIP, zs.msg != NULL ? zs.msg : "inflate failed");
        goto cleanup;
    }
    if ((size_t)(zs.next_out - dst) != dstlen)
        rc = bad_size(err, PQ_CODEC_GZIP, (size_t)(zs.next_out - dst), dstlen);
cleanup:
    inflateEnd(&zs);
    return rc;
}

/* Hadoop's BlockCompressorStream framing: blocks of a big-endian u32
 * uncompressed size followed by one or more (big-endian u32 compressed
 * size, LZ4 block) chunks.  Returns 1 when the whole input is such framing
 * and decodes to exactly dstlen bytes. */
static int lz4_hadoop(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
    size_t ip = 0, op = 0;
    while (ip < srclen) {
        uint32_t ulen, produced = 0;
        if (srclen - ip < 4)
            return 0;
        ulen = (uint32_t)src[ip] << 24 | (uint32_t)src[ip + 1] << 16 | (uint32_t)src[ip + 2] << 8 |
               src[ip + 3];
        ip += 4;
        if (ulen > dstlen - op || ulen > INT_MAX)
            return 0;
        while (produced < ulen) {
            uint32_t clen;
            int got;
            if (srclen - ip < 4)
                return 0;
            clen = (uint32_t)src[ip] << 24 | (uint32_t)src[ip + 1] << 16 |
                   (uint32_t)src[ip + 2] << 8 | src[ip + 3];
            ip += 4;
            if (clen == 0 || clen > srclen - ip || clen > INT_MAX)
                return 0;
            got = LZ4_decompress_safe((const char *)src + ip, (char *)dst + op, (int)clen,
                                      (int)(ulen - produced));
            if (got <= 0)
                return 0;
            ip += clen;
            op += (size_t)got;
            produced += (uint32_t)got;
        }
    }
    return op == dstlen;
}

/* The LZ4 frame format (magic 0x184D2204), possibly several frames. */
static int lz4_frame(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
    LZ4F_dctx *ctx = NULL;
    size_t ip = 0, op = 0, hint = 1;
    int ok = 0;

    if (srclen < 4 || src[0] != 0x04 || src[1] != 0x22 || src[2] != 0x4d || src[3] != 0x18)
        return 0;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return 0;
    while (ip < srclen) {
        size_t in = srclen - ip, out = dstlen - op;
        hint = LZ4F_decompress(ctx, dst + op, &out, src + ip, &in, NULL);
        if (LZ4F_isError(hint))
            goto cleanup;
        if (in == 0 && out == 0)
            goto cleanup; /* no progress: output full or input stuck */
        ip += in;
        op += out;
    }
    ok = hint == 0 && op == dstlen;
cleanup:
    LZ4F_freeDecompressionContext(ctx);
    return ok;
}

static int lz4_legacy(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      struct ocp_error *err)
{
    int got;
    if (lz4_hadoop(src, srclen, dst, dstlen))
        return OCP_OK;
    if (lz4_frame(src, srclen, dst, dstlen))
        return OCP_OK;
    if (srclen > INT_MAX || dstlen > INT_MAX)
        return corrupt(err, PQ_CODEC_LZ4, "page larger than 2 GiB");
    got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)srclen, (int)dstlen);
    if (got < 0)
        return corrupt(err, PQ_CODEC_LZ4, "neither Hadoop-framed, LZ4 frame nor LZ4 block data");
    if ((size_t)got != dstlen)
        return bad_size(err, PQ_CODEC_LZ4, (size_t)got, dstlen);
    return OCP_OK;
}

int pq_decompress(enum pq_codec codec, const uint8_t *src, size_t srclen, uint8_t *dst,
                  size_t dstlen, struct ocp_error *err)
{
    uint8_t dummy[1];

    if (srclen == 0 && dstlen == 0)
        return OCP_OK;
    if (dst == NULL)
        dst = dummy; /* libraries may reject NULL even for 0 bytes */
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (srclen != dstlen)
            return bad_size(err, codec, srclen, dstlen);
        memcpy(dst, src, dstlen);
        return OCP_OK;
    case PQ_CODEC_SNAPPY: {
        size_t ulen = 0;
        switch (pq_snappy_decode(src, srclen, dst, dstlen, &ulen)) {
        case 0: return OCP_OK;
        case PQ_SNAPPY_LENGTH: return bad_size(err, codec, ulen, dstlen);
        default: return corrupt(err, codec, "malformed snappy stream");
        }
    }
    case PQ_CODEC_GZIP: return gunzip(src, srclen, dst, dstlen, err);
    case PQ_CODEC_ZSTD: {
        size_t got = ZSTD_decompress(dst, dstlen, src, srclen);
        if (ZSTD_isError(got))
            return corrupt(err, codec, ZSTD_getErrorName(got));
        if (got != dstlen)
            return bad_size(err, codec, got, dstlen);
        return OCP_OK;
    }
    case PQ_CODEC_BROTLI: {
        size_t got = dstlen;
        if (BrotliDecoderDecompress(srclen, src, &got, dst) != BROTLI_DECODER_RESULT_SUCCESS)
            return corrupt(err, codec,
                           "corrupt stream or larger than the page's uncompressed size");
        if (got != dstlen)
            return bad_size(err, codec, got, dstlen);
        return OCP_OK;
    }
    case PQ_CODEC_LZ4_RAW: {
        int got;
        if (srclen > INT_MAX || dstlen > INT_MAX)
            return corrupt(err, codec, "page larger than 2 GiB");
        got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)srclen, (int)dstlen);
        if (got < 0)
            return corrupt(err, codec, "LZ4_decompress_safe failed");
        if ((size_t)got != dstlen)
            return bad_size(err, codec, (size_t)got, dstlen);
        return OCP_OK;
    }
    case PQ_CODEC_LZ4: return lz4_legacy(src, srclen, dst, dstlen, err);
    case PQ_CODEC_LZO:
        return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                             "LZO-compressed pages are not supported");
    }
    /* parquet.thrift defines ids 0..7 only: another id is a damaged
     * footer, not a codec we lack. */
    return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                         "corrupt column metadata: compression codec id %d "
                         "does not exist",
                         (int)codec);
}

static int gzip_compress(int level, const uint8_t *src, size_t srclen, struct pq_buf *out,
                         struct ocp_error *err)
{
    z_stream zs;
    uLong bound;
    int rc = OCP_OK;

    if (srclen > UINT_MAX / 2u)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "GZIP: page too large to compress");
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level == 0 ? PQ_GZIP_DEFAULT_LEVEL : level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "GZIP: cannot start deflate at level %d", level);
    bound = deflateBound(&zs, (uLong)srclen);
    if (pq_buf_reserve(out, (size_t)bound) != OCP_OK) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "GZIP: out of memory");
        goto cleanup;
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)srclen;
    zs.next_out = out->data;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "GZIP: deflate failed");
        goto cleanup;
    }
    out->len = (size_t)(zs.next_out - out->data);
cleanup:
    deflateEnd(&zs);
    return rc;
}

int pq_compress(enum pq_codec codec, int level, const uint8_t *src, size_t srclen,
                struct pq_buf *out, struct ocp_error *err)
{
    static const uint8_t empty[1] = {0};
    if (src == NULL)
        src = empty;
    out->len = 0;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (pq_buf_append(out, src, srclen) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        return OCP_OK;
    case PQ_CODEC_SNAPPY: {
        size_t n = snappy_max_compressed_length(srclen);
        if (pq_buf_reserve(out, n) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "SNAPPY: out of memory");
        if (snappy_compress((const char *)src, srclen, (char *)out->data, &n) != SNAPPY_OK)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "SNAPPY: compression failed");
        out->len = n;
        return OCP_OK;
    }
    case PQ_CODEC_GZIP: return gzip_compress(level, src, srclen, out, err);
    case PQ_CODEC_ZSTD: {
        size_t n = ZSTD_compressBound(srclen), got;
        if (pq_buf_reserve(out, n) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "ZSTD: out of memory");
        got = ZSTD_compress(out->data, n, src, srclen, level == 0 ? PQ_ZSTD_DEFAULT_LEVEL : level);
        if (ZSTD_isError(got))
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "ZSTD: %s",
                                 ZSTD_getErrorName(got));
        out->len = got;
        return OCP_OK;
    }
    case PQ_CODEC_LZ4_RAW: {
        int bound, got;
        if (srclen > (size_t)LZ4_MAX_INPUT_SIZE)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "LZ4_RAW: page too large to compress");
        bound = LZ4_compressBound((int)srclen);
        if (pq_buf_reserve(out, (size_t)bound) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "LZ4_RAW: out of memory");
        got = LZ4_compress_default((const char *)src, (char *)out->data, (int)srclen, bound);
        if (got <= 0)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "LZ4_RAW: compression failed");
        out->len = (size_t)got;
        return OCP_OK;
    }
    case PQ_CODEC_BROTLI: {
        size_t n = BrotliEncoderMaxCompressedSize(srclen);
        if (n == 0)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "BROTLI: page too large to compress");
        if (pq_buf_reserve(out, n) != OCP_OK)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "BROTLI: out of memory");
        if (!BrotliEncoderCompress(level == 0 ? PQ_BROTLI_DEFAULT_QUALITY : level,
                                   BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, srclen, src, &n,
                                   out->data))
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "BROTLI: compression failed");
        out->len = n;
        return OCP_OK;
    }
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZO: break;
    }
    return ocp_error_set(err, OCP_ERR_UNSUPPORTED, NULL, -1, NULL,
                         "writing %s pages is not supported", pq_codec_name(codec));
}
