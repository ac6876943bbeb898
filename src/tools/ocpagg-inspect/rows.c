/* rows.c - ocpagg-inspect: value formatting and the CSV row printer. */
#include "inspect.h"
#include "ocpagg/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest "%.Ng" that reads back as the same double. */
static void fmt_double(double d, char *buf, size_t size)
{
    int prec;

    if (isnan(d)) {
        snprintf(buf, size, "NaN");
        return;
    }
    for (prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

static void fmt_time_us(int64_t us, char *buf, size_t size)
{
    int64_t days = us / OCP_US_PER_DAY, rest = us % OCP_US_PER_DAY;
    char date[11];

    if (rest < 0) {
        rest += OCP_US_PER_DAY;
        days--;
    }
    /* Outside years 1..9999 a date would not read back; show the count. */
    if (days < -719162 || days > 2932896) {
        snprintf(buf, size, "%lldus", (long long)us);
        return;
    }
    txt_format_date((int32_t)days, date);
    if (rest % 1000000 == 0)
        snprintf(buf, size, "%s %02d:%02d:%02d", date, (int)(rest / 3600000000LL),
                 (int)(rest / 60000000LL % 60), (int)(rest / 1000000 % 60));
    else
        snprintf(buf, size, "%s %02d:%02d:%02d.%06d", date, (int)(rest / 3600000000LL),
                 (int)(rest / 60000000LL % 60), (int)(rest / 1000000 % 60), (int)(rest % 1000000));
}

static void fmt_hex(const uint8_t *p, size_t n, char *buf, size_t size)
{
    size_t i, o = 0;
    if (size < 3) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    buf[o++] = '0';
    buf[o++] = 'x';
    for (i = 0; i < n && o + 3 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%02x", p[i]);
    buf[o] = '\0';
}

static int is_text(const struct pq_colinfo *c, const uint8_t *p, size_t n)
{
    size_t i;
    if (c->logical == PQ_LT_STRING || c->logical == PQ_LT_ENUM || c->logical == PQ_LT_JSON)
        return 1;
    for (i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
    return 1;
}

/* Formats one fixed-width value (slot bytes p) of column c. */
static void fmt_fixed(const struct pq_colinfo *c, const uint8_t *p, char *buf, size_t size)
{
    switch (c->type) {
    case PQ_BOOLEAN: snprintf(buf, size, "%s", p[0] ? "true" : "false"); break;
    case PQ_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        if (c->logical == PQ_LT_DATE) {
            char d[11];
            txt_format_date(v, d);
            snprintf(buf, size, "%s", d);
        } else if (c->logical == PQ_LT_DECIMAL) {
            fmt_double(v / pow(10.0, c->scale), buf, size);
        } else if (c->logical == PQ_LT_INTEGER && !c->int_signed) {
            snprintf(buf, size, "%u", (unsigned)v);
        } else {
            snprintf(buf, size, "%d", (int)v);
        }
        break;
    }
    case PQ_INT64: {
        int64_t v, us;
        memcpy(&v, p, 8);
        if (c->logical == PQ_LT_TIMESTAMP) {
            pq_timestamp_to_us(v, c->time_unit, &us);
            fmt_time_us(us, buf, size);
        } else if (c->logical == PQ_LT_DECIMAL) {
            fmt_double((double)v / pow(10.0, c->scale), buf, size);
        } else if (c->logical == PQ_LT_INTEGER && !c->int_signed) {
            snprintf(buf, size, "%llu", (unsigned long long)v);
        } else {
            snprintf(buf, size, "%lld", (long long)v);
        }
        break;
    }
    case PQ_INT96: {
        int64_t us;
        pq_int96_to_us(p, &us);
        fmt_time_us(us, buf, size);
        break;
    }
    case PQ_FLOAT: {
        float v;
        int prec;
        memcpy(&v, p, 4);
        if (isnan(v)) {
            snprintf(buf, size, "NaN");
            break;
        }
        for (prec = 6; prec <= 9; prec++) {
            snprintf(buf, size, "%.*g", prec, (double)v);
            if (strtof(buf, NULL) == v)
                break;
        }
        break;
    }
    case PQ_DOUBLE: {
        double v;
        memcpy(&v, p, 8);
        fmt_double(v, buf, size);
        break;
    }
    case PQ_FIXED_LEN_BYTE_ARRAY: {
        size_t w = (size_t)c->type_length;
        if (c->logical == PQ_LT_FLOAT16 && w == 2)
            fmt_double(pq_float16_to_double((uint16_t)(p[0] | p[1] << 8)), buf, size);
        else if (c->logical == PQ_LT_DECIMAL)
            fmt_double(pq_decimal_to_double(p, w, c->scale), buf, size);
        else
            fmt_hex(p, w, buf, size);
        break;
    }
    default: snprintf(buf, size, "?"); break;
    }
}

void inspect_format_bound(const struct pq_colinfo *c, const struct pq_colstats *st, int which,
                          char *buf, size_t size)
{
    int has = which ? st->has_max : st->has_min;
    const uint8_t *p = which ? st->max : st->min;
    size_t n = which ? st->max_len : st->min_len;

    if (!has) {
        snprintf(buf, size, "-");
        return;
    }
    if (c->type == PQ_BYTE_ARRAY && c->logical != PQ_LT_DECIMAL) {
        if (is_text(c, p, n))
            snprintf(buf, size, "\"%.*s\"%s", (int)(n > 40 ? 40 : n), (const char *)p,
                     n > 40 ? "..." : "");
        else
            fmt_hex(p, n, buf, size);
        return;
    }
    if (c->type == PQ_BYTE_ARRAY) {
        fmt_double(pq_decimal_to_double(p, n, c->scale), buf, size);
        return;
    }
    {
        uint8_t slot[16] = {0};
        size_t w = c->type == PQ_FIXED_LEN_BYTE_ARRAY           ? (size_t)c->type_length
                   : c->type == PQ_BOOLEAN                      ? 1
                   : c->type == PQ_INT32 || c->type == PQ_FLOAT ? 4
                   : c->type == PQ_INT96                        ? 12
                                                                : 8;
        if (n != w || w > sizeof slot) {
            fmt_hex(p, n, buf, size);
            return;
        }
        memcpy(slot, p, w);
        fmt_fixed(c, slot, buf, size);
    }
}

/* Writes one CSV field, quoted when needed. */
static void csv_field(const char *s, size_t n)
{
    size_t i;
    int quote = 0;

    for (i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = 1;
    if (!quote) {
        fwrite(s, 1, n, stdout);
        return;
    }
    putchar('"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            putchar('"');
        putchar(s[i]);
    }
    putchar('"');
}

/* The value of entry e of a read leaf, as text. */
static void fmt_entry(const struct pq_colinfo *c, const struct pq_colvalues *v, int64_t e,
                      char *buf, size_t size, const char **text, size_t *len)
{
    if (c->type == PQ_BYTE_ARRAY) {
        size_t n;
        const char *s = ocp_strdict_get(v->dict, v->ids[e], &n);
        if (c->logical == PQ_LT_DECIMAL) {
            fmt_double(pq_decimal_to_double((const uint8_t *)s, n, c->scale), buf, size);
        } else if (is_text(c, (const uint8_t *)s, n)) {
            *text = s;
            *len = n;
            return;
        } else {
            fmt_hex((const uint8_t *)s, n, buf, size);
        }
    } else {
        size_t w = c->type == PQ_FIXED_LEN_BYTE_ARRAY           ? (size_t)c->type_length
                   : c->type == PQ_BOOLEAN                      ? 1
                   : c->type == PQ_INT32 || c->type == PQ_FLOAT ? 4
                   : c->type == PQ_INT96                        ? 12
                                                                : 8;
        fmt_fixed(c, (const uint8_t *)v->values + (size_t)e * w, buf, size);
    }
    *text = buf;
    *len = strlen(buf);
}

/* One output column: a flat leaf, a MAP, or a nested leaf. */
struct outcol {
    int leaf;
    int map;
    const char *name;
};

static int pick_columns(const struct pq_file *f, const char *list, struct outcol **cols, int *ncols,
                        struct ocp_error *err)
{
    int n = pq_file_num_columns(f), i, k = 0;
    struct outcol *v = calloc((size_t)n + 1, sizeof *v);

    if (v == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    if (list == NULL) {
        for (i = 0; i < n; i++) {
            const struct pq_colinfo *c = pq_file_column(f, i);
            if (c->shape == PQ_SHAPE_MAP_VALUE)
                continue;
            v[k].leaf = i;
            v[k].map = c->shape == PQ_SHAPE_MAP_KEY;
            v[k].name = v[k].map ? c->map_path : c->path;
            k++;
        }
    } else {
        char *copy = strdup(list), *save = NULL, *tok;
        if (copy == NULL) {
            free(v);
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
        for (tok = strtok_r(copy, ",", &save); tok && k < n; tok = strtok_r(NULL, ",", &save)) {
            int idx = pq_column_find(f, tok);
            const struct pq_colinfo *c;
            if (idx < 0) {
                int rc =
                    ocp_error_set(err, OCP_ERR_USAGE, pq_file_path(f), -1, tok, "no such column");
                free(copy);
                free(v);
                return rc;
            }
            c = pq_file_column(f, idx);
            v[k].leaf = idx;
            v[k].map = c->shape == PQ_SHAPE_MAP_KEY || c->shape == PQ_SHAPE_MAP_VALUE;
            v[k].name = v[k].map ? c->map_path : c->path;
            k++;
        }
        free(copy);
    }
    *cols = v;
    *ncols = k;
    return OCP_OK;
}

int inspect_print_rows(const struct pq_file *f, const char *columns, long long nrows,
                       struct ocp_error *err)
{
    struct outcol *oc = NULL;
    struct ocp_arena arena;
    int nc = 0, j, r, rc;
    long long printed = 0;
    char buf[256];

    if ((rc = pick_columns(f, columns, &oc, &nc, err)) != OCP_OK)
        return rc;
    ocp_arena_init(&arena, 0);
    for (j = 0; j < nc; j++) {
        if (j)
            putchar(',');
        csv_field(oc[j].name, strlen(oc[j].name));
    }
    putchar('\n');
    for (r = 0; r < pq_file_num_row_groups(f) && rc == OCP_OK && (nrows < 0 || printed < nrows);
         r++) {
        int64_t n = pq_row_group_num_rows(f, r), i;
        struct pq_colvalues *vals = calloc((size_t)nc + 1, sizeof *vals);
        struct ocp_strcol *maps = calloc((size_t)nc + 1, sizeof *maps);
        int64_t **starts = calloc((size_t)nc + 1, sizeof *starts);

        if (nrows >= 0 && n > nrows - printed)
            n = nrows - printed;
        if (vals == NULL || maps == NULL || starts == NULL)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        for (j = 0; j < nc && rc == OCP_OK; j++) {
            const struct pq_colinfo *c = pq_file_column(f, oc[j].leaf);
            if (oc[j].map) {
                rc = pq_map_read_json(f, r, oc[j].leaf, 0, n, &arena, &maps[j], err);
            } else {
                rc = pq_column_read(f, r, oc[j].leaf, 0, n, &arena, &vals[j], err);
                if (rc == OCP_OK && c->max_rep > 0) {
                    /* Entry index where each row starts, plus the end. */
                    int64_t e, k = 0;
                    starts[j] = ocp_arena_alloc(&arena, (size_t)(n + 1) * 8);
                    if (starts[j] == NULL) {
                        rc = OCP_ERR_OSERR;
                        break;
                    }
                    for (e = 0; e < vals[j].nlevels; e++)
                        if (vals[j].rep[e] == 0 && k <= n)
                            starts[j][k++] = e;
                    while (k <= n)
                        starts[j][k++] = vals[j].nlevels;
                }
            }
        }
        for (i = 0; i < n && rc == OCP_OK; i++) {
            for (j = 0; j < nc; j++) {
                const struct pq_colinfo *c = pq_file_column(f, oc[j].leaf);
                const char *t;
                size_t len;
                if (j)
                    putchar(',');
                if (oc[j].map) {
                    if (maps[j].ids[i] != OCP_NULL_ID) {
                        t = ocp_strdict_get(maps[j].dict, maps[j].ids[i], &len);
                        csv_field(t, len);
                    }
                } else if (c->max_rep > 0) {
                    /* Nested leaf: its defined values in the row. */
                    int64_t e;
                    int first = 1;
                    putchar('"');
                    putchar('[');
                    for (e = starts[j][i]; e < starts[j][i + 1]; e++) {
                        if (vals[j].def && vals[j].def[e] != c->max_def)
                            continue;
                        fmt_entry(c, &vals[j], e, buf, sizeof buf, &t, &len);
                        if (!first)
                            putchar(' ');
                        first = 0;
                        for (size_t q = 0; q < len; q++) {
                            if (t[q] == '"')
                                putchar('"');
                            putchar(t[q]);
                        }
                    }
                    putchar(']');
                    putchar('"');
                } else if (!vals[j].def || vals[j].def[i] == c->max_def) {
                    fmt_entry(c, &vals[j], i, buf, sizeof buf, &t, &len);
                    csv_field(t, len);
                }
            }
            putchar('\n');
        }
        printed += n;
        free(vals);
        free(maps);
        free(starts);
        ocp_arena_reset(&arena);
    }
    ocp_arena_release(&arena);
    free(oc);
    return rc;
}
