/*
 * pq_bss.c - BYTE_STREAM_SPLIT decoding: byte k of every value sits in
 * stream k, and the streams are concatenated.
 */
#include "pq_encoding.h"

#include <string.h>

/* Gathers n values of a width known at compile time, so the inner loop is
 * unrolled. */
static inline void gather_w(const uint8_t *data, size_t stride, size_t n, uint8_t *out,
                            const size_t width)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < width; k++)
            out[i * width + k] = data[k * stride + i];
}

int pq_bss_decode(const uint8_t *data, size_t len, size_t n, size_t width, uint8_t *out,
                  struct ocp_error *err)
{
    size_t stride;

    if (width == 0)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL, "BYTE_STREAM_SPLIT: value width 0");
    /* The streams end with the page, so their length is the page's value
     * count; a caller asking for fewer values reads a prefix of each. */
    if (len % width != 0)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "BYTE_STREAM_SPLIT: %zu bytes is not a multiple of the %zu-byte width",
                             len, width);
    stride = len / width;
    if (stride < n)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "BYTE_STREAM_SPLIT: %zu bytes hold %zu values, %zu expected", len,
                             stride, n);
    switch (width) {
    case 1: memcpy(out, data, n); break;
    case 2: gather_w(data, stride, n, out, 2); break;
    case 4: gather_w(data, stride, n, out, 4); break;
    case 8: gather_w(data, stride, n, out, 8); break;
    default:
        /* Wide fixed-length values: stream by stream is kinder to caches. */
        for (size_t k = 0; k < width; k++) {
            const uint8_t *s = data + k * stride;
            for (size_t i = 0; i < n; i++)
                out[i * width + k] = s[i];
        }
        break;
    }
    return OCP_OK;
}
