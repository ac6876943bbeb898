/* pq_meta.c - decoding the footer (FileMetaData) and page headers from
 * the Thrift compact protocol into the reader's structures. */
#include "pq_read_internal.h"
#include "pq_thrift.h"

#include <string.h>

/* Copies a thrift string into the metadata arena as a C string. */
static const char *dup_str(struct pq_file *f, const uint8_t *p, uint32_t len)
{
    char *s = ocp_arena_alloc(&f->meta, (size_t)len + 1);
    if (s == NULL)
        return NULL;
    if (len > 0)
        memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

/* Reads a string field; on a wrong type or no memory marks the reader
 * bad.  Returns the copy or NULL. */
static const char *read_str(struct pq_tr *t, struct pq_file *f, int type)
{
    const uint8_t *p;
    uint32_t len;
    const char *s;

    if (!pq_tr_binary(t, type, &p, &len)) {
        pq_tr_fail(t, "a string field has the wrong type");
        return NULL;
    }
    s = dup_str(f, p, len);
    if (s == NULL)
        pq_tr_fail(t, "out of memory");
    return s;
}

static int read_i32(struct pq_tr *t, int type, int32_t *v)
{
    if (!pq_tr_int32(t, type, v)) {
        pq_tr_fail(t, "an integer field has the wrong type or range");
        return 0;
    }
    return 1;
}

static int read_i64(struct pq_tr *t, int type, int64_t *v)
{
    if (!pq_tr_int(t, type, v)) {
        pq_tr_fail(t, "an integer field has the wrong type");
        return 0;
    }
    return 1;
}

/* ---- list<struct> fields ------------------------------------------ */

/* The shape every list<struct> of the footer shares (the schema, the row
 * groups, a row group's column chunks, the key/value metadata): the list
 * header, elements that must be structs, a count no larger than the bytes
 * left (pq_tr_list) and INT32_MAX, then each element decoded inside its
 * struct.  alloc makes room for n elements (0: out of memory); item
 * decodes element i.  Returns the count, or -1 with the reader marked bad
 * (a type error, a second copy of the field, no memory). */
struct list_spec {
    const char *what; /* "the schema is not ..." in messages */
    uint32_t min;     /* fewest elements allowed */
    int (*alloc)(struct pq_file *f, void *ctx, uint32_t n);
    void (*item)(struct pq_tr *t, struct pq_file *f, void *ctx, uint32_t i);
};

static int64_t decode_struct_list(struct pq_tr *t, struct pq_file *f, int type, int repeated,
                                  const struct list_spec *ls, void *ctx)
{
    int elem;
    uint32_t n, i;

    if (!pq_tr_list(t, type, &elem, &n)) {
        if (!t->bad)
            pq_tr_fail(t, ls->what);
        return -1;
    }
    if (elem != PQ_TC_STRUCT || n < ls->min || n > INT32_MAX || repeated) {
        pq_tr_fail(t, ls->what);
        return -1;
    }
    if (!ls->alloc(f, ctx, n)) {
        pq_tr_fail(t, "out of memory");
        return -1;
    }
    for (i = 0; i < n && !t->bad; i++) {
        if (!pq_tr_enter(t))
            break;
        ls->item(t, f, ctx, i);
        pq_tr_leave(t);
    }
    return t->bad ? -1 : (int64_t)n;
}

/* ---- LogicalType -------------------------------------------------- */

/* The TimeUnit union; *state says whether it held a unit we know, only
 * others (a unit newer than this reader), or nothing. */
static void decode_time_unit(struct pq_tr *t, enum pq_time_unit *unit, int *state)
{
    int16_t last = 0, id;
    int type;

    while (pq_tr_field(t, &last, &id, &type)) {
        if (type == PQ_TC_STRUCT && id >= 1 && id <= 3) {
            *unit = (enum pq_time_unit)(id - 1);
            *state = PQ_UNIT_STATE_KNOWN;
        } else if (*state != PQ_UNIT_STATE_KNOWN) {
            *state = PQ_UNIT_STATE_UNKNOWN;
        }
        pq_tr_skip(t, type);
    }
}

/* Decodes the members of a TimestampType / TimeType / DecimalType /
 * IntType struct into el. */
static void decode_lt_member(struct pq_tr *t, int kind, struct pq_schema_el *el)
{
    int16_t last = 0, id;
    int type;

    while (pq_tr_field(t, &last, &id, &type)) {
        int32_t v;
        int b;
        if ((kind == PQ_LT_TIMESTAMP || kind == PQ_LT_TIME) && id == 1 &&
            (b = pq_tr_bool(t, type)) >= 0) {
            el->utc = b;
        } else if ((kind == PQ_LT_TIMESTAMP || kind == PQ_LT_TIME) && id == 2 &&
                   type == PQ_TC_STRUCT) {
            if (pq_tr_enter(t)) {
                decode_time_unit(t, &el->unit, &el->unit_state);
                pq_tr_leave(t);
            }
        } else if (kind == PQ_LT_DECIMAL && id == 1) {
            if (read_i32(t, type, &v))
                el->lt_scale = v;
        } else if (kind == PQ_LT_DECIMAL && id == 2) {
            if (read_i32(t, type, &v))
                el->lt_precision = v;
        } else if (kind == PQ_LT_INTEGER && id == 1) {
            if (read_i32(t, type, &v))
                el->int_bits = v;
        } else if (kind == PQ_LT_INTEGER && id == 2 && (b = pq_tr_bool(t, type)) >= 0) {
            el->int_signed = b;
        } else {
            pq_tr_skip(t, type);
        }
    }
}

static void decode_logical(struct pq_tr *t, struct pq_schema_el *el)
{
    int16_t last = 0, id;
    int type;

    while (pq_tr_field(t, &last, &id, &type)) {
        if (type != PQ_TC_STRUCT) {
            pq_tr_skip(t, type);
            continue;
        }
        switch (id) {
        case PQ_LT_STRING:
        case PQ_LT_MAP:
        case PQ_LT_LIST:
        case PQ_LT_ENUM:
        case PQ_LT_DECIMAL:
        case PQ_LT_DATE:
        case PQ_LT_TIME:
        case PQ_LT_TIMESTAMP:
        case PQ_LT_INTEGER:
        case PQ_LT_UNKNOWN:
        case PQ_LT_JSON:
        case PQ_LT_BSON:
        case PQ_LT_UUID:
        case PQ_LT_FLOAT16:
            el->logical = (enum pq_logical_kind)id;
            if (pq_tr_enter(t)) {
                decode_lt_member(t, id, el);
                pq_tr_leave(t);
            }
            break;
        default:
            /* A logical type newer than this reader: the physical values
             * are still readable, so it is simply not recorded. */
            pq_tr_skip(t, type);
            break;
        }
    }
}

/* ---- SchemaElement ------------------------------------------------ */

static void decode_schema_el(struct pq_tr *t, struct pq_file *f, struct pq_schema_el *el)
{
    int16_t last = 0, id;
    int type, have_name = 0;
    int32_t v;

    memset(el, 0, sizeof *el);
    el->num_children = -1;
    el->converted = PQ_CT_NONE;
    el->logical = PQ_LT_NONE;
    el->int_signed = 1;
    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(t, type, &v)) {
                if (v < 0 || v > PQ_FIXED_LEN_BYTE_ARRAY)
                    pq_tr_fail(t, "schema element has an unknown type");
                el->has_type = 1;
                el->type = (enum pq_type)v;
            }
            break;
        case 2:
            if (read_i32(t, type, &v))
                el->type_length = v;
            break;
        case 3:
            if (read_i32(t, type, &v)) {
                if (v < 0 || v > PQ_REPEATED)
                    pq_tr_fail(t, "schema element has an unknown repetition");
                el->has_repetition = 1;
                el->repetition = (enum pq_repetition)v;
            }
            break;
        case 4:
            el->name = read_str(t, f, type);
            have_name = el->name != NULL;
            break;
        case 5:
            if (read_i32(t, type, &v)) {
                if (v < 0)
                    pq_tr_fail(t, "schema element has a negative child count");
                el->num_children = v;
            }
            break;
        case 6:
            if (read_i32(t, type, &v))
                el->converted =
                    (v >= 0 && v <= PQ_CT_INTERVAL) ? (enum pq_converted_type)v : PQ_CT_NONE;
            break;
        case 7:
            if (read_i32(t, type, &v))
                el->scale = v;
            break;
        case 8:
            if (read_i32(t, type, &v))
                el->precision = v;
            break;
        case 10:
            if (type == PQ_TC_STRUCT && pq_tr_enter(t)) {
                decode_logical(t, el);
                pq_tr_leave(t);
            } else {
                pq_tr_skip(t, type);
            }
            break;
        default: pq_tr_skip(t, type); break;
        }
    }
    if (!have_name)
        pq_tr_fail(t, "schema element without a name");
}

/* ---- Statistics, ColumnMetaData, ColumnChunk, RowGroup ------------- */

static void decode_stats(struct pq_tr *t, struct pq_rawstats *s)
{
    int16_t last = 0, id;
    int type;
    int64_t v;

    memset(s, 0, sizeof *s);
    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1: s->has_max = pq_tr_binary(t, type, &s->max, &s->max_len); break;
        case 2: s->has_min = pq_tr_binary(t, type, &s->min, &s->min_len); break;
        case 3:
            if (pq_tr_int(t, type, &v)) {
                s->has_null_count = 1;
                s->null_count = v;
            }
            break;
        case 4:
            if (pq_tr_int(t, type, &v)) {
                s->has_distinct_count = 1;
                s->distinct_count = v;
            }
            break;
        case 5: s->has_max_value = pq_tr_binary(t, type, &s->max_value, &s->max_value_len); break;
        case 6: s->has_min_value = pq_tr_binary(t, type, &s->min_value, &s->min_value_len); break;
        default: pq_tr_skip(t, type); break;
        }
    }
}

static void decode_colmeta(struct pq_tr *t, struct pq_chunkmeta *c)
{
    int16_t last = 0, id;
    int type, elem;
    uint32_t n, i;
    int32_t v;
    unsigned seen = 0;

    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(t, type, &v)) {
                if (v < 0 || v > PQ_FIXED_LEN_BYTE_ARRAY)
                    pq_tr_fail(t, "column chunk has an unknown type");
                c->type = (enum pq_type)v;
                seen |= 1u;
            }
            break;
        case 2:
            if (pq_tr_list(t, type, &elem, &n)) {
                for (i = 0; i < n && !t->bad; i++) {
                    if (read_i32(t, elem, &v) && v >= 0 && v < 32)
                        c->encodings |= 1u << v;
                }
            }
            break;
        case 4:
            if (read_i32(t, type, &v)) {
                c->codec = (enum pq_codec)v;
                seen |= 2u;
            }
            break;
        case 5:
            if (read_i64(t, type, &c->num_values))
                seen |= 4u;
            break;
        case 6: read_i64(t, type, &c->total_uncompressed); break;
        case 7:
            if (read_i64(t, type, &c->total_compressed))
                seen |= 8u;
            break;
        case 9:
            if (read_i64(t, type, &c->data_page_offset))
                seen |= 16u;
            break;
        case 10: read_i64(t, type, &c->index_page_offset); break;
        case 11: read_i64(t, type, &c->dictionary_page_offset); break;
        case 12:
            if (type == PQ_TC_STRUCT && pq_tr_enter(t)) {
                decode_stats(t, &c->stats);
                c->has_stats = 1;
                pq_tr_leave(t);
            } else {
                pq_tr_skip(t, type);
            }
            break;
        default: pq_tr_skip(t, type); break;
        }
    }
    if (!t->bad && seen != 31u)
        pq_tr_fail(t, "column metadata lacks a required field");
    c->has_meta = 1;
}

static void decode_chunk(struct pq_tr *t, struct pq_chunkmeta *c)
{
    int16_t last = 0, id;
    int type;

    memset(c, 0, sizeof *c);
    c->dictionary_page_offset = -1;
    c->index_page_offset = -1;
    while (pq_tr_field(t, &last, &id, &type)) {
        if (id == 1 && type == PQ_TC_BINARY) {
            c->has_file_path = 1;
            pq_tr_skip(t, type);
        } else if (id == 3 && type == PQ_TC_STRUCT) {
            if (pq_tr_enter(t)) {
                decode_colmeta(t, c);
                pq_tr_leave(t);
            }
        } else if (id == 8 || id == 9) {
            c->encrypted = 1;
            pq_tr_skip(t, type);
        } else {
            pq_tr_skip(t, type);
        }
    }
}

static int chunks_alloc(struct pq_file *f, void *ctx, uint32_t n)
{
    struct pq_rowgroup *rg = ctx;
    rg->cols = ocp_arena_calloc(&f->meta, n ? n : 1, sizeof *rg->cols);
    rg->ncols = (int)n;
    return rg->cols != NULL;
}

static void chunks_item(struct pq_tr *t, struct pq_file *f, void *ctx, uint32_t i)
{
    struct pq_rowgroup *rg = ctx;
    (void)f;
    decode_chunk(t, &rg->cols[i]);
}

static const struct list_spec chunk_list = {"row group columns are not a list of structs", 0,
                                            chunks_alloc, chunks_item};

static void decode_rowgroup(struct pq_tr *t, struct pq_file *f, struct pq_rowgroup *rg)
{
    int16_t last = 0, id;
    int type;
    unsigned seen = 0;

    memset(rg, 0, sizeof *rg);
    while (pq_tr_field(t, &last, &id, &type)) {
        if (id == 1) {
            if (decode_struct_list(t, f, type, (seen & 1u) != 0, &chunk_list, rg) < 0)
                break;
            seen |= 1u;
        } else if (id == 2) {
            read_i64(t, type, &rg->total_byte_size);
        } else if (id == 3) {
            if (read_i64(t, type, &rg->num_rows))
                seen |= 2u;
        } else {
            pq_tr_skip(t, type);
        }
    }
    if (!t->bad && seen != 3u)
        pq_tr_fail(t, "row group lacks its columns or row count");
}

static void decode_kv(struct pq_tr *t, struct pq_file *f, const char **key, const char **value)
{
    int16_t last = 0, id;
    int type;

    *key = NULL;
    *value = NULL;
    while (pq_tr_field(t, &last, &id, &type)) {
        if (id == 1)
            *key = read_str(t, f, type);
        else if (id == 2)
            *value = read_str(t, f, type);
        else
            pq_tr_skip(t, type);
    }
    if (*key == NULL)
        pq_tr_fail(t, "key/value metadata without a key");
}

static int schema_alloc(struct pq_file *f, void *ctx, uint32_t n)
{
    (void)ctx;
    f->schema = ocp_arena_calloc(&f->meta, n, sizeof *f->schema);
    f->nschema = (int)n;
    return f->schema != NULL;
}

static void schema_item(struct pq_tr *t, struct pq_file *f, void *ctx, uint32_t i)
{
    (void)ctx;
    decode_schema_el(t, f, &f->schema[i]);
}

static int rgs_alloc(struct pq_file *f, void *ctx, uint32_t n)
{
    (void)ctx;
    f->rgs = ocp_arena_calloc(&f->meta, n ? n : 1, sizeof *f->rgs);
    f->nrg = (int)n;
    return f->rgs != NULL;
}

static void rgs_item(struct pq_tr *t, struct pq_file *f, void *ctx, uint32_t i)
{
    (void)ctx;
    decode_rowgroup(t, f, &f->rgs[i]);
}

static int kv_alloc(struct pq_file *f, void *ctx, uint32_t n)
{
    (void)ctx;
    f->kv_keys = ocp_arena_calloc(&f->meta, n ? n : 1, sizeof(char *));
    f->kv_values = ocp_arena_calloc(&f->meta, n ? n : 1, sizeof(char *));
    return f->kv_keys != NULL && f->kv_values != NULL;
}

static void kv_item(struct pq_tr *t, struct pq_file *f, void *ctx, uint32_t i)
{
    (void)ctx;
    decode_kv(t, f, &f->kv_keys[i], &f->kv_values[i]);
}

static const struct list_spec schema_list = {"the schema is not a non-empty list of structs", 1,
                                             schema_alloc, schema_item};
static const struct list_spec rg_list = {"row groups are not a list of structs", 0, rgs_alloc,
                                         rgs_item};
static const struct list_spec kv_list = {"key/value metadata is not a list of structs", 0, kv_alloc,
                                         kv_item};

int pq_meta_decode(struct pq_file *f, const uint8_t *p, size_t len, struct ocp_error *err)
{
    struct pq_tr t;
    int16_t last = 0, id;
    int type;
    unsigned seen = 0;
    int32_t v;

    pq_tr_init(&t, p, len);
    while (pq_tr_field(&t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(&t, type, &v))
                f->version = v;
            break;
        case 2:
            if (decode_struct_list(&t, f, type, (seen & 1u) != 0, &schema_list, NULL) >= 0)
                seen |= 1u;
            break;
        case 3:
            if (read_i64(&t, type, &f->num_rows))
                seen |= 2u;
            break;
        case 4:
            if (decode_struct_list(&t, f, type, (seen & 4u) != 0, &rg_list, NULL) >= 0)
                seen |= 4u;
            break;
        case 5: {
            int64_t n = decode_struct_list(&t, f, type, f->kv_keys != NULL, &kv_list, NULL);
            f->nkv = n > 0 ? (size_t)n : 0;
            break;
        }
        case 6: f->created_by = read_str(&t, f, type); break;
        case 8:
            f->has_encryption = 1;
            pq_tr_skip(&t, type);
            break;
        default: pq_tr_skip(&t, type); break;
        }
    }
    if (!t.bad && seen != 7u)
        pq_tr_fail(&t, "the footer lacks its schema, row count or row groups");
    if (t.bad)
        return pq_fail(f, -1, -1, err, OCP_ERR_DATA, "corrupt footer: %s",
                       t.why ? t.why : "bad thrift data");
    return OCP_OK;
}

/* ---- PageHeader --------------------------------------------------- */

static void decode_data_v1(struct pq_tr *t, struct pq_page_header *h)
{
    int16_t last = 0, id;
    int type;
    int32_t v;
    unsigned seen = 0;

    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(t, type, &h->num_values))
                seen |= 1u;
            break;
        case 2:
            if (read_i32(t, type, &v)) {
                h->encoding = v;
                seen |= 2u;
            }
            break;
        case 3:
            if (read_i32(t, type, &v)) {
                h->def_encoding = v;
                seen |= 4u;
            }
            break;
        case 4:
            if (read_i32(t, type, &v)) {
                h->rep_encoding = v;
                seen |= 8u;
            }
            break;
        default: pq_tr_skip(t, type); break;
        }
    }
    if (!t->bad && seen != 15u)
        pq_tr_fail(t, "data page header lacks a required field");
}

static void decode_data_v2(struct pq_tr *t, struct pq_page_header *h)
{
    int16_t last = 0, id;
    int type, b;
    int32_t v;
    unsigned seen = 0;

    h->is_compressed = 1;
    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(t, type, &h->num_values))
                seen |= 1u;
            break;
        case 2:
            if (read_i32(t, type, &h->num_nulls))
                seen |= 2u;
            break;
        case 3:
            if (read_i32(t, type, &h->num_rows))
                seen |= 4u;
            break;
        case 4:
            if (read_i32(t, type, &v)) {
                h->encoding = v;
                seen |= 8u;
            }
            break;
        case 5:
            if (read_i32(t, type, &h->def_len))
                seen |= 16u;
            break;
        case 6:
            if (read_i32(t, type, &h->rep_len))
                seen |= 32u;
            break;
        case 7:
            if ((b = pq_tr_bool(t, type)) >= 0)
                h->is_compressed = b;
            break;
        default: pq_tr_skip(t, type); break;
        }
    }
    if (!t->bad && seen != 63u)
        pq_tr_fail(t, "data page v2 header lacks a required field");
}

static void decode_dict_header(struct pq_tr *t, struct pq_page_header *h)
{
    int16_t last = 0, id;
    int type;
    int32_t v;
    unsigned seen = 0;

    while (pq_tr_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(t, type, &h->num_values))
                seen |= 1u;
            break;
        case 2:
            if (read_i32(t, type, &v)) {
                h->encoding = v;
                seen |= 2u;
            }
            break;
        default: pq_tr_skip(t, type); break;
        }
    }
    if (!t->bad && seen != 3u)
        pq_tr_fail(t, "dictionary page header lacks a required field");
}

int pq_page_header_decode(const uint8_t *p, size_t len, struct pq_page_header *h,
                          struct ocp_error *err)
{
    struct pq_tr t;
    int16_t last = 0, id;
    int type;
    int32_t v;
    unsigned seen = 0;

    memset(h, 0, sizeof *h);
    pq_tr_init(&t, p, len);
    while (pq_tr_field(&t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (read_i32(&t, type, &v)) {
                h->type = (enum pq_page_type)v;
                seen |= 1u;
            }
            break;
        case 2:
            if (read_i32(&t, type, &h->uncompressed_size))
                seen |= 2u;
            break;
        case 3:
            if (read_i32(&t, type, &h->compressed_size))
                seen |= 4u;
            break;
        case 4:
            if (read_i32(&t, type, &v)) {
                h->has_crc = 1;
                h->crc = (uint32_t)v;
            }
            break;
        case 5:
        case 7:
        case 8:
            if (type != PQ_TC_STRUCT || !pq_tr_enter(&t)) {
                pq_tr_fail(&t, "page header member is not a struct");
                break;
            }
            if (id == 5) {
                decode_data_v1(&t, h);
                h->has_data = 1;
            } else if (id == 7) {
                decode_dict_header(&t, h);
                h->has_dict = 1;
            } else {
                decode_data_v2(&t, h);
                h->has_data_v2 = 1;
            }
            pq_tr_leave(&t);
            break;
        default: pq_tr_skip(&t, type); break;
        }
    }
    if (t.bad && t.truncated)
        return 1;
    if (!t.bad && seen != 7u)
        pq_tr_fail(&t, "page header lacks its type or sizes");
    if (!t.bad && (h->uncompressed_size < 0 || h->compressed_size < 0))
        pq_tr_fail(&t, "page header has a negative size");
    if (t.bad)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL, "corrupt page header: %s", t.why);
    h->header_len = (size_t)(t.p - p);
    return OCP_OK;
}
