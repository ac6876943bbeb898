/*
 * pq_codec.h - Parquet page compression codecs (internal to the Parquet
 * module), on top of the Debian libraries snappy, zlib, zstd, brotli, lz4.
 * Functions keep no state between calls (reentrant).
 */
#ifndef OCPAGG_PQ_CODEC_H
#define OCPAGG_PQ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/error.h"
#include "ocpagg/parquet.h"
#include "pq_encoding.h"
#include "pq_format.h"

/* Decompresses src into dst whose size is exactly the page's uncompressed size; any other
   decompressed size is OCP_ERR_DATA. Codecs: UNCOMPRESSED (copy), SNAPPY (our decoder,
   pq_snappy.c), GZIP (zlib inflate with 16+MAX_WBITS, several concatenated members), ZSTD, BROTLI
   (libbrotlidec), LZ4_RAW (LZ4_decompress_safe), LZ4 (deprecated id: Hadoop framing = big-endian
   u32 uncompressed len + u32 compressed len blocks, repeated; fall back to LZ4 frame format and
   then raw LZ4 block when the Hadoop framing does not fit — see parquet-testing
   hadoop_lz4_compressed*.parquet and non_hadoop_lz4_compressed.parquet). LZO ->
   OCP_ERR_UNSUPPORTED. srclen 0 with dstlen 0 is valid for every codec and must not call the
   library. */
int pq_decompress(enum pq_codec codec, const uint8_t *src, size_t srclen, uint8_t *dst,
                  size_t dstlen, struct ocp_error *err);
/* Decodes the snappy stream src into dst of exactly dstlen bytes
 * (pq_snappy.c; pq_decompress uses it for SNAPPY pages).  Returns 0,
 * PQ_SNAPPY_LENGTH when the stream declares another length (in
 * *declared), or PQ_SNAPPY_CORRUPT for any malformed stream: a bad
 * header, an element running past either end, a copy from before the
 * start, or a stream ending before dstlen bytes.  Never reads or writes
 * outside src / dst. */
#define PQ_SNAPPY_LENGTH 1
#define PQ_SNAPPY_CORRUPT 2
int pq_snappy_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     size_t *declared);
/* Compresses for the writer (SNAPPY, GZIP, ZSTD, LZ4_RAW, UNCOMPRESSED); out is a growable buffer,
 * result replaces its contents. */
/* BROTLI is accepted too; LZ4 and LZO are OCP_ERR_UNSUPPORTED.  level 0 picks the codec's default
   (gzip 6, zstd 3, brotli 5); other values go to the library (ignored by SNAPPY and LZ4_RAW). */
int pq_compress(enum pq_codec codec, int level, const uint8_t *src, size_t srclen,
                struct pq_buf *out, struct ocp_error *err);
/* pq_codec_name (the one table of codec names) is in ocpagg/parquet.h. */
uint32_t pq_crc32(const uint8_t *data, size_t len); /* zlib crc32, for page CRCs */

#endif
