/*
 * agg_add_internal.h - what the add's files share (internal to
 * src/engine): agg_add.c (the dispatcher, the maps' preparation and the
 * pod rows) and agg_add_tables.c (node and namespace label rows, storage
 * rows).  The per-row string and label lookups are static inline because
 * the pod loop needs them inlined.
 */
#ifndef OCPAGG_AGG_ADD_INTERNAL_H
#define OCPAGG_AGG_ADD_INTERNAL_H

#include "engine/agg_internal.h"

/* The pool id of string id `id` of a column (NULL for NULL or absent);
 * a new string is interned (intern_failed on failure). */
static inline uint32_t pool_id_of(struct agg_partial *p, struct dict_map *m,
                                  const struct ocp_column *c, uint32_t id)
{
    uint32_t pid;
    size_t len;
    const char *s;

    if (id == OCP_NULL_ID || id >= m->count)
        return POOL_NULL;
    pid = m->ids[id];
    if (pid != DICT_UNMAPPED)
        return pid;
    s = ocp_strdict_get(c->str.dict, id, &len);
    pid = pool_intern(&p->pool, s, len);
    if (pid == POOL_NULL) {
        /* Out of memory or a full pool: the batch fails when its loop
         * ends (intern_failed), so this row's NULL never reaches a
         * report; the id stays unmapped. */
        p->intern_failed = 1;
        return POOL_NULL;
    }
    m->ids[id] = pid;
    return pid;
}

/* The pool id of row r's string (POOL_NULL for NULL or absent). */
static inline uint32_t str_at(struct agg_partial *p, struct dict_map *m, const struct ocp_column *c,
                              size_t r)
{
    if (!c->present || c->str.ids == NULL)
        return POOL_NULL;
    return pool_id_of(p, m, c, c->str.ids[r]);
}

/* The canonical label id of row r's label text; counts bad texts. */
static inline int label_at(struct agg_partial *p, struct dict_map *m, const struct ocp_column *c,
                           size_t r, const char *column, uint32_t *canon, uint8_t *flags,
                           struct ocp_error *err)
{
    uint32_t id, pid;
    size_t len;
    const char *s;
    int rc;

    *flags = 0;
    if (!c->present || c->str.ids == NULL || (id = c->str.ids[r]) == OCP_NULL_ID ||
        id >= m->count) {
        return agg_resolve_label(p, "", 0, canon, flags, err);
    }
    pid = m->ids[id];
    if (pid == DICT_UNMAPPED) {
        s = ocp_strdict_get(c->str.dict, id, &len);
        rc = agg_resolve_label(p, s, len, &pid, flags, err);
        if (rc != OCP_OK)
            return rc;
        /* Keep the flags with the id: the top bits are free because pool
         * ids stay far below 2^29. */
        m->ids[id] = pid | ((uint32_t)*flags << 29);
        pid = m->ids[id];
    }
    *canon = pid & 0x1fffffffu;
    *flags = (uint8_t)(pid >> 29);
    if (*flags & LBL_BAD) {
        p->stats.bad_label_rows++;
        if (p->settings.strict) {
            s = ocp_strdict_get(c->str.dict, id, &len);
            return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, column, "malformed label text '%.*s'",
                                 (int)(len > 80 ? 80 : len), s);
        }
    }
    return OCP_OK;
}

/* Why row r of a batch could not be added: the first numeric column
 * holding an infinity or a value of 2^90 or more, else a sum that left
 * the exact range.  Names the column, the day and the node or namespace.
 * Cold: runs once, when the job is failing anyway (agg_add.c). */
int agg_add_range_error(const struct agg_partial *p, const struct ocp_batch *b, size_t r,
                        int32_t day, uint32_t ns, uint32_t node, struct ocp_error *err);

/* A row whose interval_start (ts, microseconds) lies on a day no date
 * text spells (before 0001-01-01 or after 9999-12-31; agg_add.c). */
int agg_add_day_error(int64_t ts, struct ocp_error *err);

/* A batch without its interval_start column (agg_add.c). */
int agg_add_no_interval(struct ocp_error *err);

/* Node or namespace label rows: keep the latest set per (day, id) in
 * table; id_col and labels_col are the batch's columns, labels_name the
 * labels column's name for errors, is_node marks nodes with
 * infrastructure labels (agg_add_tables.c). */
int agg_add_label_rows(struct agg_partial *p, const struct ocp_batch *b, struct hmap *table,
                       int id_col, int labels_col, const char *labels_name, int is_node,
                       struct ocp_error *err);

/* Storage rows: summed exactly per (day, namespace, pod, claim, volume,
 * storage class, CSI handle, volume and claim labels)
 * (agg_add_tables.c). */
int agg_add_storage(struct agg_partial *p, const struct ocp_batch *b, struct ocp_error *err);

#endif
