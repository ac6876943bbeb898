/* pq_codec.c - page compression codecs (stub). */
#include "pq_codec.h"

#include <zlib.h>

int pq_decompress(enum pq_codec codec, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, struct ocp_error *err)
{
    (void)codec; (void)src; (void)srclen; (void)dst; (void)dstlen;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_compress(enum pq_codec codec, int level, const uint8_t *src, size_t srclen, struct pq_buf *out, struct ocp_error *err)
{
    (void)codec; (void)level; (void)src; (void)srclen; (void)out;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

const char *pq_codec_name(enum pq_codec codec)
{
    (void)codec;
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
