/*
 * pq_encoding.h - Parquet value and level encodings (internal to the
 * Parquet module): the RLE / bit-packed hybrid, the deprecated BIT_PACKED
 * levels, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT decoders, and the encoders the writer needs.
 *
 * Every decoder reads from a (pointer, length) view and never reads past
 * its end; counts and lengths read from the data are checked against what
 * remains.  Failures return OCP_ERR_DATA (OCP_ERR_OSERR when memory runs
 * out) and describe themselves in the optional struct ocp_error.
 *
 * Leniencies and conventions, matching what common readers accept:
 *  - RLE hybrid: a bit-packed run claiming more groups than bytes remain is
 *    cut to the values whose bits are present; asking for more is
 *    OCP_ERR_DATA.  At bit width 0 an exhausted stream reads as zeros.
 *  - DELTA_*: the stream's value count must be >= n; the first n values are
 *    returned and *consumed points past the whole stream.  A last miniblock
 *    that stops right after its values at the end of the buffer is accepted.
 *    Lengths and prefix lengths are the low 32 bits as int32, >= 0.
 *  - DELTA_BYTE_ARRAY: values that are just a prefix of the previous value
 *    or just a suffix are views (into the previous value or data); others
 *    are copied to the arena (at most 2 GiB per call).
 *  - BYTE_STREAM_SPLIT: the stream length is len / width (len must be a
 *    multiple of width, at least n * width); the first n values come out.
 *
 * Ownership: struct pq_rle_decoder is caller storage without resources
 * (no release needed).  struct pq_buf is caller storage owning a malloc
 * buffer: start it zeroed, free it with pq_buf_release.
 */
#ifndef OCPAGG_PQ_ENCODING_H
#define OCPAGG_PQ_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/arena.h"
#include "ocpagg/error.h"

/* RLE / bit-packed hybrid (levels, dictionary indices, booleans), without the 4-byte length prefix.
 */
struct pq_rle_decoder {
    const uint8_t *p, *end;
    int bit_width;
    uint32_t rle_left;
    uint32_t rle_value;
    uint32_t packed_left; /* + whatever state you need */
    uint32_t buf[8];
    int buf_pos, buf_len;
};
/* Starts decoding len bytes of hybrid data whose values are bit_width bits
 * wide; OCP_ERR_DATA when bit_width is outside 0..32. */
int pq_rle_init(struct pq_rle_decoder *d, const uint8_t *data, size_t len,
                int bit_width); /* bit_width 0..32 */
/* Decodes exactly n values into out; OCP_ERR_DATA if the stream ends early or is corrupt. Must be
   FAST: unpack 8 values per group with specialised routines per bit width, memset-like fill for RLE
   runs. */
int pq_rle_get(struct pq_rle_decoder *d, uint32_t *out, size_t n, struct ocp_error *err);
/* Same but also checks every value < bound (for dictionary indices): OCP_ERR_DATA otherwise. */
int pq_rle_get_bounded(struct pq_rle_decoder *d, uint32_t *out, size_t n, uint32_t bound,
                       struct ocp_error *err);
/* Deprecated BIT_PACKED levels (MSB-first bit order, no header), n values of bit_width bits. */
int pq_bitpacked_levels(const uint8_t *data, size_t len, int bit_width, size_t n, uint16_t *out,
                        size_t *consumed, struct ocp_error *err);
int pq_bit_width(uint32_t max_value); /* bits needed, 0 for 0 */
/* DELTA_BINARY_PACKED: decodes n values (int32 columns decode through int64 and must wrap like the
 * spec: use unsigned arithmetic). */
int pq_delta_binary_decode(const uint8_t *data, size_t len, size_t n, int64_t *out,
                           size_t *consumed, struct ocp_error *err);
/* Byte-array views used by the string decoders. */
struct pq_bytes {
    const uint8_t *ptr;
    uint32_t len;
};
/* DELTA_LENGTH_BYTE_ARRAY: views into data. */
int pq_delta_length_decode(const uint8_t *data, size_t len, size_t n, struct pq_bytes *out,
                           size_t *consumed, struct ocp_error *err);
/* DELTA_BYTE_ARRAY: reconstructed strings are written into storage allocated from arena
 * (include/ocpagg/arena.h). */
int pq_delta_byte_array_decode(const uint8_t *data, size_t len, size_t n, struct ocp_arena *arena,
                               struct pq_bytes *out, size_t *consumed, struct ocp_error *err);
/* BYTE_STREAM_SPLIT: n values of `width` bytes each (4, 8, 2 for FLOAT16, any FLBA width) into out
 * (n*width bytes, little-endian values). */
int pq_bss_decode(const uint8_t *data, size_t len, size_t n, size_t width, uint8_t *out,
                  struct ocp_error *err);
/* Encoders for the writer: */
struct pq_buf {
    uint8_t *data;
    size_t len, cap;
}; /* growable malloc buffer */
/* Makes room for extra more bytes; OCP_ERR_OSERR when memory runs out. */
int pq_buf_reserve(struct pq_buf *b, size_t extra);
void pq_buf_release(struct pq_buf *b);
/* Appends n bytes from p; OCP_ERR_OSERR when memory runs out. */
int pq_buf_append(struct pq_buf *b, const void *p, size_t n);
/* Appends v as an unsigned LEB128 varint into room the caller reserved
 * (10 bytes at most): the run headers of the hybrid encoder and the
 * header fields of DELTA_BINARY_PACKED. */
static inline void pq_buf_put_uleb(struct pq_buf *b, uint64_t v)
{
    do {
        uint8_t byte = (uint8_t)(v & 0x7fu);
        v >>= 7;
        if (v != 0)
            byte |= 0x80u;
        b->data[b->len++] = byte;
    } while (v != 0);
}
int pq_rle_encode(struct pq_buf *out, const uint32_t *values, size_t n,
                  int bit_width); /* hybrid, no length prefix: RLE runs for repeats >= 8, bit-packed
                                     groups otherwise */
/* Appends DELTA_BINARY_PACKED data (block 128, 4 miniblocks of 32). */
int pq_delta_binary_encode(struct pq_buf *out, const int64_t *values, size_t n);
/* The same for INT32 columns: deltas wrap in 32 bits so no miniblock is
 * wider than 32 bits (the spec forbids wider ones for INT32). */
int pq_delta_binary_encode_int32(struct pq_buf *out, const int32_t *values, size_t n);

#endif
