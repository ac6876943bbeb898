/*
 * pq_thrift.h - a bounded reader for the Thrift compact protocol, used to
 * decode the Parquet footer and page headers (the writer has its own
 * encoder in pq_write_internal.h).
 *
 * The reader works on a (pointer, length) view and never reads past its
 * end.  Errors are sticky: the first problem (truncation, a varint too
 * long, a length beyond what remains, nesting too deep) marks the reader
 * bad, moves it to the end of its input and records why; later calls then
 * return zeros, so a decoder checks `bad` once per struct instead of after
 * every read.  Every count read from the data is capped by the bytes that
 * remain, since every element takes at least one byte.
 */
#ifndef OCPAGG_PQ_THRIFT_H
#define OCPAGG_PQ_THRIFT_H

#include <stddef.h>
#include <stdint.h>

/* Compact protocol wire types. */
enum pq_tc_type {
    PQ_TC_STOP = 0,
    PQ_TC_TRUE = 1,
    PQ_TC_FALSE = 2,
    PQ_TC_BYTE = 3,
    PQ_TC_I16 = 4,
    PQ_TC_I32 = 5,
    PQ_TC_I64 = 6,
    PQ_TC_DOUBLE = 7,
    PQ_TC_BINARY = 8,
    PQ_TC_LIST = 9,
    PQ_TC_SET = 10,
    PQ_TC_MAP = 11,
    PQ_TC_STRUCT = 12
};

#define PQ_TR_MAX_DEPTH 48

struct pq_tr {
    const uint8_t *p, *end;
    int depth;
    int bad;         /* 1 after the first error */
    int truncated;   /* the error was running out of bytes */
    const char *why; /* static text describing the first error */
};

/* Starts reading len bytes at p. */
void pq_tr_init(struct pq_tr *t, const uint8_t *p, size_t len);

/* Marks the reader bad (keeping the first reason). */
void pq_tr_fail(struct pq_tr *t, const char *why);

/* Bytes not yet consumed. */
static inline size_t pq_tr_left(const struct pq_tr *t)
{
    return (size_t)(t->end - t->p);
}

/* An unsigned varint (at most 10 bytes). */
uint64_t pq_tr_varint(struct pq_tr *t);

/* Reads the next field header of the current struct.  Returns 0 at the
 * stop byte or when bad, else 1 with the field id and wire type.  last is
 * the previous field id of this struct (start at 0). */
int pq_tr_field(struct pq_tr *t, int16_t *last, int16_t *id, int *type);

/* Reads an integer value of wire type BYTE, I16, I32 or I64 into *v.
 * Returns 1 on success; for any other type skips the value and returns 0. */
int pq_tr_int(struct pq_tr *t, int type, int64_t *v);

/* Like pq_tr_int, but also fails (returns 0, value skipped) when the value
 * does not fit an int32. */
int pq_tr_int32(struct pq_tr *t, int type, int32_t *v);

/* A field of wire type TRUE / FALSE: 1, 0; other types are skipped and
 * give -1. */
int pq_tr_bool(struct pq_tr *t, int type);

/* A BINARY value as a view into the input.  Returns 1 on success; other
 * types are skipped and give 0. */
int pq_tr_binary(struct pq_tr *t, int type, const uint8_t **p, uint32_t *len);

/* Reads a list (or set) header of a field of that type: element type and
 * count (capped by the bytes left).  Returns 1 on success; other types are
 * skipped and give 0. */
int pq_tr_list(struct pq_tr *t, int type, int *elem, uint32_t *count);

/* Enters / leaves a nested struct (depth accounting only). */
int pq_tr_enter(struct pq_tr *t);
void pq_tr_leave(struct pq_tr *t);

/* Skips one value of the given wire type (structs, lists, maps nested up
 * to the depth cap). */
void pq_tr_skip(struct pq_tr *t, int type);

/* Skips the rest of the current struct up to and including its stop. */
void pq_tr_skip_struct_rest(struct pq_tr *t);

#endif
