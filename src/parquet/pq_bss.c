/* pq_bss.c - BYTE_STREAM_SPLIT decoding (stub). */
#include "pq_encoding.h"

int pq_bss_decode(const uint8_t *data, size_t len, size_t n, size_t width, uint8_t *out, struct ocp_error *err)
{
    (void)data; (void)len; (void)n; (void)width; (void)out;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}
