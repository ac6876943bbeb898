/* pq_schema.c - the schema tree: leaf columns with dotted paths, levels,
 * logical types, and MAP detection; name lookup and type names. */
#include "pq_read_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct walk {
    struct pq_file *f;
    int idx; /* next schema element */
    struct ocp_error *err;
};

static const char *join_path(struct pq_file *f, const char *parent, const char *name)
{
    size_t pl = parent ? strlen(parent) : 0, nl = strlen(name);
    char *s = ocp_arena_alloc(&f->meta, pl + nl + 2);
    if (s == NULL)
        return NULL;
    if (pl > 0) {
        memcpy(s, parent, pl);
        s[pl++] = '.';
    }
    memcpy(s + pl, name, nl + 1);
    return s;
}

/* A node is a group when it has children, or when it has no type. */
static int is_group(const struct pq_schema_el *el)
{
    if (el->num_children > 0)
        return 1;
    return !el->has_type;
}

/* Fills the logical fields of a leaf from the LogicalType or, lacking
 * one, from the converted type. */
static void set_logical(struct pq_colinfo *c, const struct pq_schema_el *el)
{
    c->converted = el->converted;
    c->logical = el->logical;
    c->time_unit = el->unit;
    c->utc = el->utc;
    c->int_bits = 0;
    c->int_signed = 1;
    c->scale = el->scale;
    c->precision = el->precision;
    if (el->logical != PQ_LT_NONE) {
        if (el->logical == PQ_LT_DECIMAL) {
            c->scale = el->lt_scale;
            c->precision = el->lt_precision;
        } else if (el->logical == PQ_LT_INTEGER) {
            c->int_bits = el->int_bits;
            c->int_signed = el->int_signed;
        }
        return;
    }
    switch (el->converted) {
    case PQ_CT_UTF8: c->logical = PQ_LT_STRING; break;
    case PQ_CT_MAP:
    case PQ_CT_MAP_KEY_VALUE: c->logical = PQ_LT_MAP; break;
    case PQ_CT_LIST: c->logical = PQ_LT_LIST; break;
    case PQ_CT_ENUM: c->logical = PQ_LT_ENUM; break;
    case PQ_CT_DECIMAL: c->logical = PQ_LT_DECIMAL; break;
    case PQ_CT_DATE: c->logical = PQ_LT_DATE; break;
    case PQ_CT_TIME_MILLIS:
    case PQ_CT_TIME_MICROS:
        c->logical = PQ_LT_TIME;
        c->time_unit = el->converted == PQ_CT_TIME_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        c->utc = 1;
        break;
    case PQ_CT_TIMESTAMP_MILLIS:
    case PQ_CT_TIMESTAMP_MICROS:
        c->logical = PQ_LT_TIMESTAMP;
        c->time_unit = el->converted == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        c->utc = 1;
        break;
    case PQ_CT_UINT_8:
    case PQ_CT_UINT_16:
    case PQ_CT_UINT_32:
    case PQ_CT_UINT_64:
        c->logical = PQ_LT_INTEGER;
        c->int_bits = 8 << (el->converted - PQ_CT_UINT_8);
        c->int_signed = 0;
        break;
    case PQ_CT_INT_8:
    case PQ_CT_INT_16:
    case PQ_CT_INT_32:
    case PQ_CT_INT_64:
        c->logical = PQ_LT_INTEGER;
        c->int_bits = 8 << (el->converted - PQ_CT_INT_8);
        c->int_signed = 1;
        break;
    case PQ_CT_JSON: c->logical = PQ_LT_JSON; break;
    case PQ_CT_BSON: c->logical = PQ_LT_BSON; break;
    default: break;
    }
}

static int is_map_annotated(const struct pq_schema_el *el)
{
    return el->converted == PQ_CT_MAP || el->converted == PQ_CT_MAP_KEY_VALUE ||
           el->logical == PQ_LT_MAP;
}

/* Whether the group at schema index g (children following it) has the
 * MAP shape: one repeated child group holding one or two leaves. */
static int map_shape(const struct pq_file *f, int g)
{
    const struct pq_schema_el *el = &f->schema[g], *kv;
    int k;

    if (!is_map_annotated(el) || el->num_children != 1 || g + 1 >= f->nschema)
        return 0;
    kv = &f->schema[g + 1];
    if (!is_group(kv) || !kv->has_repetition || kv->repetition != PQ_REPEATED ||
        kv->num_children < 1 || kv->num_children > 2 || g + 1 + kv->num_children >= f->nschema)
        return 0;
    for (k = 1; k <= kv->num_children; k++)
        if (is_group(&f->schema[g + 1 + k]))
            return 0;
    return 1;
}

static int visit(struct walk *w, const char *ppath, const char *top, int pdef, int prep, int depth)
{
    struct pq_file *f = w->f;
    const struct pq_schema_el *el;
    int me, def, rep, i, first_leaf, is_map;
    const char *path;

    if (depth > PQ_MAX_SCHEMA_DEPTH)
        return pq_fail(f, -1, -1, w->err, OCP_ERR_DATA,
                       "corrupt schema: nested more than %d levels", PQ_MAX_SCHEMA_DEPTH);
    if (w->idx >= f->nschema)
        return pq_fail(f, -1, -1, w->err, OCP_ERR_DATA,
                       "corrupt schema: child counts exceed the element list");
    me = w->idx++;
    el = &f->schema[me];
    if (!el->has_repetition)
        return pq_fail(f, -1, -1, w->err, OCP_ERR_DATA,
                       "corrupt schema: field '%s' has no repetition type", el->name);
    def = pdef + (el->repetition != PQ_REQUIRED);
    rep = prep + (el->repetition == PQ_REPEATED);
    path = join_path(f, ppath, el->name);
    if (path == NULL)
        return pq_fail(f, -1, -1, w->err, OCP_ERR_OSERR, "out of memory");
    if (top == NULL)
        top = el->name;

    if (!is_group(el)) {
        struct pq_colinfo *c = &f->cols[f->ncols++];
        memset(c, 0, sizeof *c);
        c->path = path;
        c->name = el->name;
        c->top = top;
        c->type = el->type;
        c->type_length = el->type == PQ_FIXED_LEN_BYTE_ARRAY ? el->type_length : 0;
        c->repetition = el->repetition;
        c->max_def = def;
        c->max_rep = rep;
        c->shape = rep > 0 ? PQ_SHAPE_NESTED : PQ_SHAPE_FLAT;
        c->map_key = c->map_value = -1;
        c->map_def = -1;
        set_logical(c, el);
        /* The unit is a required field of both types: a reader that
         * guessed one would scale every value by 1000 or 10^6.  (The
         * error's context names the column.) */
        if ((el->logical == PQ_LT_TIMESTAMP || el->logical == PQ_LT_TIME) &&
            el->unit_state != PQ_UNIT_STATE_KNOWN)
            return pq_fail(f, -1, f->ncols - 1, w->err,
                           el->unit_state == PQ_UNIT_STATE_ABSENT ? OCP_ERR_DATA
                                                                  : OCP_ERR_UNSUPPORTED,
                           el->unit_state == PQ_UNIT_STATE_ABSENT
                               ? "corrupt footer: its %s type has no unit"
                               : "its %s type has a time unit this reader does not know",
                           el->logical == PQ_LT_TIMESTAMP ? "TIMESTAMP" : "TIME");
        if (el->type == PQ_FIXED_LEN_BYTE_ARRAY && el->type_length <= 0)
            return pq_fail(f, -1, -1, w->err, OCP_ERR_DATA,
                           "corrupt schema: fixed-length column '%s' has "
                           "length %d",
                           path, el->type_length);
        return OCP_OK;
    }

    is_map = rep == 0 && map_shape(f, me);
    first_leaf = f->ncols;
    for (i = 0; i < el->num_children; i++) {
        int rc = visit(w, path, top, def, rep, depth + 1);
        if (rc != OCP_OK)
            return rc;
    }
    if (is_map) {
        int nleaf = f->ncols - first_leaf, k;
        for (k = 0; k < nleaf; k++) {
            struct pq_colinfo *c = &f->cols[first_leaf + k];
            c->shape = k == 0 ? PQ_SHAPE_MAP_KEY : PQ_SHAPE_MAP_VALUE;
            c->map_path = path;
            c->map_key = first_leaf;
            c->map_value = nleaf > 1 ? first_leaf + 1 : -1;
            c->map_def = def;
        }
    }
    return OCP_OK;
}

int pq_schema_build(struct pq_file *f, struct ocp_error *err)
{
    struct walk w;
    const struct pq_schema_el *root = &f->schema[0];
    int i, rc;

    f->cols = ocp_arena_calloc(&f->meta, (size_t)f->nschema, sizeof *f->cols);
    if (f->cols == NULL)
        return pq_fail(f, -1, -1, err, OCP_ERR_OSERR, "out of memory");
    f->ncols = 0;
    if (!is_group(root) || root->num_children < 0)
        return pq_fail(f, -1, -1, err, OCP_ERR_DATA, "corrupt schema: the root is not a group");
    w.f = f;
    w.idx = 1;
    w.err = err;
    for (i = 0; i < root->num_children; i++) {
        rc = visit(&w, NULL, NULL, 0, 0, 1);
        if (rc != OCP_OK)
            return rc;
    }
    if (w.idx != f->nschema)
        return pq_fail(f, -1, -1, err, OCP_ERR_DATA,
                       "corrupt schema: %d elements but the tree uses %d", f->nschema, w.idx);
    return OCP_OK;
}

/* ---- lookups ------------------------------------------------------- */

typedef int (*cmp_fn)(const char *, const char *);

static int find_with(const struct pq_file *f, const char *name, cmp_fn cmp)
{
    int i;

    for (i = 0; i < f->ncols; i++)
        if (cmp(f->cols[i].path, name) == 0)
            return i;
    for (i = 0; i < f->ncols; i++)
        if (f->cols[i].map_path != NULL && cmp(f->cols[i].map_path, name) == 0)
            return f->cols[i].map_key;
    for (i = 0; i < f->ncols; i++)
        if (cmp(f->cols[i].top, name) == 0)
            return i;
    return -1;
}

int pq_column_find(const struct pq_file *f, const char *name)
{
    int i;

    if (f == NULL || name == NULL)
        return -1;
    i = find_with(f, name, strcmp);
    return i >= 0 ? i : find_with(f, name, strcasecmp);
}

const char *pq_type_name(enum pq_type t)
{
    switch (t) {
    case PQ_BOOLEAN: return "BOOLEAN";
    case PQ_INT32: return "INT32";
    case PQ_INT64: return "INT64";
    case PQ_INT96: return "INT96";
    case PQ_FLOAT: return "FLOAT";
    case PQ_DOUBLE: return "DOUBLE";
    case PQ_BYTE_ARRAY: return "BYTE_ARRAY";
    case PQ_FIXED_LEN_BYTE_ARRAY: return "FIXED_LEN_BYTE_ARRAY";
    }
    return "UNKNOWN";
}

const char *pq_encoding_name(int e)
{
    switch (e) {
    case PQ_ENC_PLAIN: return "PLAIN";
    case PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PQ_ENC_RLE: return "RLE";
    case PQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    default: return "UNKNOWN";
    }
}

static const char *unit_name(enum pq_time_unit u)
{
    return u == PQ_UNIT_MILLIS ? "MILLIS" : u == PQ_UNIT_MICROS ? "MICROS" : "NANOS";
}

void pq_logical_describe(const struct pq_colinfo *c, char *buf, size_t size)
{
    if (size == 0)
        return;
    switch (c->logical) {
    case PQ_LT_STRING: snprintf(buf, size, "STRING"); break;
    case PQ_LT_MAP: snprintf(buf, size, "MAP"); break;
    case PQ_LT_LIST: snprintf(buf, size, "LIST"); break;
    case PQ_LT_ENUM: snprintf(buf, size, "ENUM"); break;
    case PQ_LT_DECIMAL: snprintf(buf, size, "DECIMAL(%d,%d)", c->precision, c->scale); break;
    case PQ_LT_DATE: snprintf(buf, size, "DATE"); break;
    case PQ_LT_TIME:
        snprintf(buf, size, "TIME(%s,%s)", unit_name(c->time_unit), c->utc ? "UTC" : "local");
        break;
    case PQ_LT_TIMESTAMP:
        snprintf(buf, size, "TIMESTAMP(%s,%s)", unit_name(c->time_unit), c->utc ? "UTC" : "local");
        break;
    case PQ_LT_INTEGER:
        snprintf(buf, size, "INT(%d,%s)", c->int_bits, c->int_signed ? "signed" : "unsigned");
        break;
    case PQ_LT_UNKNOWN: snprintf(buf, size, "NULL"); break;
    case PQ_LT_JSON: snprintf(buf, size, "JSON"); break;
    case PQ_LT_BSON: snprintf(buf, size, "BSON"); break;
    case PQ_LT_UUID: snprintf(buf, size, "UUID"); break;
    case PQ_LT_FLOAT16: snprintf(buf, size, "FLOAT16"); break;
    default: buf[0] = '\0'; break;
    }
}
