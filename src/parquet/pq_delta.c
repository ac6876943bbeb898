/* pq_delta.c - DELTA_* encodings (stub). */
#include "pq_encoding.h"

int pq_delta_binary_decode(const uint8_t *data, size_t len, size_t n, int64_t *out, size_t *consumed, struct ocp_error *err)
{
    (void)data; (void)len; (void)n; (void)out; (void)consumed;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_delta_length_decode(const uint8_t *data, size_t len, size_t n, struct pq_bytes *out, size_t *consumed, struct ocp_error *err)
{
    (void)data; (void)len; (void)n; (void)out; (void)consumed;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_delta_byte_array_decode(const uint8_t *data, size_t len, size_t n, struct ocp_arena *arena, struct pq_bytes *out, size_t *consumed, struct ocp_error *err)
{
    (void)data; (void)len; (void)n; (void)arena; (void)out; (void)consumed;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_delta_binary_encode(struct pq_buf *out, const int64_t *values, size_t n)
{
    (void)out; (void)values; (void)n;
    return OCP_ERR_SOFTWARE;
}
