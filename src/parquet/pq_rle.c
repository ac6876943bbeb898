/* pq_rle.c - RLE / bit-packed hybrid decoding and encoding (stub). */
#include "pq_encoding.h"

#include <stdlib.h>
#include <string.h>

int pq_bit_width(uint32_t max_value)
{
    int w = 0;
    while (max_value != 0) {
        w++;
        max_value >>= 1;
    }
    return w;
}

int pq_rle_init(struct pq_rle_decoder *d, const uint8_t *data, size_t len, int bit_width)
{
    memset(d, 0, sizeof *d);
    d->p = data;
    d->end = data + len;
    d->bit_width = bit_width;
    return (bit_width < 0 || bit_width > 32) ? OCP_ERR_DATA : OCP_OK;
}

int pq_rle_get(struct pq_rle_decoder *d, uint32_t *out, size_t n, struct ocp_error *err)
{
    (void)d; (void)out; (void)n;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_rle_get_bounded(struct pq_rle_decoder *d, uint32_t *out, size_t n, uint32_t bound, struct ocp_error *err)
{
    (void)bound;
    return pq_rle_get(d, out, n, err);
}

int pq_bitpacked_levels(const uint8_t *data, size_t len, int bit_width, size_t n, uint16_t *out, size_t *consumed, struct ocp_error *err)
{
    (void)data; (void)len; (void)bit_width; (void)n; (void)out; (void)consumed;
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "not implemented");
}

int pq_buf_reserve(struct pq_buf *b, size_t extra)
{
    (void)b; (void)extra;
    return OCP_ERR_OSERR;
}

void pq_buf_release(struct pq_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int pq_buf_append(struct pq_buf *b, const void *p, size_t n)
{
    (void)b; (void)p; (void)n;
    return OCP_ERR_OSERR;
}

int pq_rle_encode(struct pq_buf *out, const uint32_t *values, size_t n, int bit_width)
{
    (void)out; (void)values; (void)n; (void)bit_width;
    return OCP_ERR_SOFTWARE;
}
