/*
 * pq_write_meta.c - the Thrift structures of the writer's metadata: the
 * schema elements, a column chunk's ColumnMetaData, and the FileMetaData
 * footer.
 */
#include "pq_write_internal.h"

#include <string.h>

/* One SchemaElement of a leaf or flat column. */
static void schema_leaf(struct pq_tw *t, const char *name, enum pq_wtype type, int repetition,
                        int json, int utc)
{
    pq_tw_begin(t);
    switch (type) {
    case PQ_WT_BOOLEAN: pq_tw_field_i32(t, 1, PQ_BOOLEAN); break;
    case PQ_WT_INT32:
    case PQ_WT_DATE: pq_tw_field_i32(t, 1, PQ_INT32); break;
    case PQ_WT_INT64:
    case PQ_WT_TIMESTAMP_MILLIS:
    case PQ_WT_TIMESTAMP_MICROS: pq_tw_field_i32(t, 1, PQ_INT64); break;
    case PQ_WT_DOUBLE: pq_tw_field_i32(t, 1, PQ_DOUBLE); break;
    default: pq_tw_field_i32(t, 1, PQ_BYTE_ARRAY); break;
    }
    pq_tw_field_i32(t, 3, repetition);
    pq_tw_field_string(t, 4, name);
    switch (type) {
    case PQ_WT_STRING:
        pq_tw_field_i32(t, 6, json ? PQ_CT_JSON : PQ_CT_UTF8);
        pq_tw_field_struct(t, 10);
        pq_tw_field_struct(t, json ? PQ_LT_JSON : PQ_LT_STRING);
        pq_tw_end(t);
        pq_tw_end(t);
        break;
    case PQ_WT_DATE:
        pq_tw_field_i32(t, 6, PQ_CT_DATE);
        pq_tw_field_struct(t, 10);
        pq_tw_field_struct(t, PQ_LT_DATE);
        pq_tw_end(t);
        pq_tw_end(t);
        break;
    case PQ_WT_TIMESTAMP_MILLIS:
    case PQ_WT_TIMESTAMP_MICROS: {
        int micros = type == PQ_WT_TIMESTAMP_MICROS;
        /* The ConvertedType is written for local timestamps too, as the
         * legacy readers that only know ConvertedType expect. */
        pq_tw_field_i32(t, 6, micros ? PQ_CT_TIMESTAMP_MICROS : PQ_CT_TIMESTAMP_MILLIS);
        pq_tw_field_struct(t, 10);
        pq_tw_field_struct(t, PQ_LT_TIMESTAMP);
        pq_tw_field_bool(t, 1, utc);
        pq_tw_field_struct(t, 2);              /* TimeUnit */
        pq_tw_field_struct(t, micros ? 2 : 1); /* MICROS or MILLIS */
        pq_tw_end(t);
        pq_tw_end(t);
        pq_tw_end(t);
        pq_tw_end(t);
        break;
    }
    default: break;
    }
    pq_tw_end(t);
}

static void schema_map(struct pq_tw *t, const char *name, int optional)
{
    /* optional group name (MAP) { repeated group key_value {
     *   required binary key (STRING); optional binary value (STRING); } } */
    pq_tw_begin(t);
    pq_tw_field_i32(t, 3, optional ? PQ_OPTIONAL : PQ_REQUIRED);
    pq_tw_field_string(t, 4, name);
    pq_tw_field_i32(t, 5, 1);
    pq_tw_field_i32(t, 6, PQ_CT_MAP);
    pq_tw_field_struct(t, 10);
    pq_tw_field_struct(t, PQ_LT_MAP);
    pq_tw_end(t);
    pq_tw_end(t);
    pq_tw_end(t);

    pq_tw_begin(t);
    pq_tw_field_i32(t, 3, PQ_REPEATED);
    pq_tw_field_string(t, 4, "key_value");
    pq_tw_field_i32(t, 5, 2);
    pq_tw_end(t);

    schema_leaf(t, "key", PQ_WT_STRING, PQ_REQUIRED, 0, 0);
    schema_leaf(t, "value", PQ_WT_STRING, PQ_OPTIONAL, 0, 0);
}

static size_t schema_count(const struct pq_wcol *cols, size_t ncols)
{
    size_t n = 1, i;

    for (i = 0; i < ncols; i++)
        n += cols[i].type == PQ_WT_MAP ? 4 : 1;
    return n;
}

void pq_meta_column_chunk(struct pq_tw *t, const struct pq_leaf *l, enum pq_write_codec codec,
                          int64_t chunk_offset, int64_t dict_offset, int64_t data_offset,
                          int64_t uncompressed, int64_t compressed)
{
    int32_t enc[4];
    size_t nenc = 0, i;

    if (l->dict_pages > 0) {
        enc[nenc++] = PQ_ENC_PLAIN; /* the dictionary page */
        enc[nenc++] = PQ_ENC_RLE_DICTIONARY;
    } else if (l->used_plain || l->num_values == 0) {
        enc[nenc++] = PQ_ENC_PLAIN;
    }
    if (l->max_def > 0 || l->max_rep > 0)
        enc[nenc++] = PQ_ENC_RLE;

    pq_tw_begin(t);
    pq_tw_field_i64(t, 2, chunk_offset);
    pq_tw_field_struct(t, 3);
    pq_tw_field_i32(t, 1, l->ptype);
    pq_tw_field_list(t, 2, PQ_TT_I32, nenc);
    for (i = 0; i < nenc; i++)
        pq_tw_i32(t, enc[i]);
    pq_tw_field_list(t, 3, PQ_TT_BINARY, (size_t)l->npath);
    for (i = 0; i < (size_t)l->npath; i++)
        pq_tw_binary(t, l->path[i], strlen(l->path[i]));
    pq_tw_field_i32(t, 4, (int32_t)codec);
    pq_tw_field_i64(t, 5, l->num_values);
    pq_tw_field_i64(t, 6, uncompressed);
    pq_tw_field_i64(t, 7, compressed);
    pq_tw_field_i64(t, 9, data_offset);
    if (dict_offset >= 0)
        pq_tw_field_i64(t, 11, dict_offset);
    pq_tw_field_stats(t, 12, &l->stats);
    pq_tw_end(t);
    pq_tw_end(t);
}

int pq_meta_footer(struct pq_buf *out, const struct pq_wcol *cols, size_t ncols, size_t nleaves,
                   int version, int64_t num_rows, size_t nrow_groups,
                   const struct pq_buf *row_groups, const struct pq_kv *kv, size_t nkv)
{
    struct pq_tw t;
    size_t i;

    pq_tw_init(&t, out);
    pq_tw_begin(&t);
    pq_tw_field_i32(&t, 1, version);
    pq_tw_field_list(&t, 2, PQ_TT_STRUCT, schema_count(cols, ncols));
    pq_tw_begin(&t);
    pq_tw_field_string(&t, 4, "schema");
    pq_tw_field_i32(&t, 5, (int32_t)ncols);
    pq_tw_end(&t);
    for (i = 0; i < ncols; i++) {
        if (cols[i].type == PQ_WT_MAP)
            schema_map(&t, cols[i].name, cols[i].optional);
        else
            schema_leaf(&t, cols[i].name, cols[i].type,
                        cols[i].optional ? PQ_OPTIONAL : PQ_REQUIRED, cols[i].json, cols[i].utc);
    }
    pq_tw_field_i64(&t, 3, num_rows);
    pq_tw_field_list(&t, 4, PQ_TT_STRUCT, nrow_groups);
    pq_tw_raw(&t, row_groups->data, row_groups->len);
    if (nkv > 0) {
        pq_tw_field_list(&t, 5, PQ_TT_STRUCT, nkv);
        for (i = 0; i < nkv; i++) {
            pq_tw_begin(&t);
            pq_tw_field_string(&t, 1, kv[i].key);
            pq_tw_field_string(&t, 2, kv[i].value);
            pq_tw_end(&t);
        }
    }
    pq_tw_field_string(&t, 6, "ocpagg " OCPAGG_VERSION);
    /* Every leaf sorts by its type's order (TypeDefinedOrder), which tells
     * readers they may trust min_value / max_value. */
    pq_tw_field_list(&t, 7, PQ_TT_STRUCT, nleaves);
    for (i = 0; i < nleaves; i++) {
        pq_tw_begin(&t);
        pq_tw_field_struct(&t, 1);
        pq_tw_end(&t);
        pq_tw_end(&t);
    }
    pq_tw_end(&t);
    return t.status;
}
