/* h5_write.c - writing line-item tables in the ocpagg HDF5 layout. */
#include "ocpagg/h5.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_internal.h"
#include "h5_strpool.h"

struct h5w_col {
    int present;
    enum ocp_kind kind;
    hid_t dset;
    void *buf; /* chunk_rows values waiting to be written */
    struct h5_strpool pool;
    /* Cache of "batch dictionary id -> pool id" for the last dictionary
     * seen, so a generator that reuses one dictionary pays the hashing once
     * per distinct string, not once per row. */
    const struct ocp_strdict *map_dict;
    uint64_t map_serial;
    uint32_t *map;
};

struct h5_writer {
    hid_t fid;
    uint32_t chunk_rows;
    int table_open;
    int columns_fixed;
    int compress;
    enum ocp_table table;
    const struct ocp_tablespec *spec;
    hid_t gid;
    int64_t rows_written;
    size_t nbuf; /* rows buffered in every present column */
    struct h5w_col col[OCP_MAX_COLUMNS];
    char path[OCP_ERROR_PATH_MAX];
};

#define MAP_UNSET UINT32_MAX

int h5_writer_create(const char *path_tmp, struct h5_writer **out, struct ocp_error *err)
{
    struct h5_writer *w;
    int i;

    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, path_tmp, -1, NULL, "out of memory");
    snprintf(w->path, sizeof w->path, "%s", path_tmp);
    w->chunk_rows = H5_DEFAULT_CHUNK_ROWS;
    w->gid = -1;
    for (i = 0; i < OCP_MAX_COLUMNS; i++)
        w->col[i].dset = -1;
    w->fid = H5Fcreate(path_tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->fid < 0) {
        int rc = h5i_fail(err, OCP_ERR_CANTCREAT, path_tmp, NULL, "cannot create HDF5 file");
        free(w);
        return rc;
    }
    *out = w;
    return OCP_OK;
}

int h5_writer_set_chunk_rows(struct h5_writer *w, uint32_t rows)
{
    if (rows == 0 || rows > (1u << 24))
        return OCP_ERR_USAGE;
    w->chunk_rows = rows;
    return OCP_OK;
}

static size_t kind_size(enum ocp_kind k)
{
    return k == OCP_KIND_TIME || k == OCP_KIND_NUMBER ? 8u : 4u;
}

static void release_columns(struct h5_writer *w)
{
    int i;
    for (i = 0; i < OCP_MAX_COLUMNS; i++) {
        struct h5w_col *c = &w->col[i];
        h5i_close_id(c->dset);
        free(c->buf);
        free(c->map);
        h5_strpool_release(&c->pool);
        memset(c, 0, sizeof *c);
        c->dset = -1;
    }
    h5i_close_id(w->gid);
    w->gid = -1;
}

int h5_writer_begin_table(struct h5_writer *w, enum ocp_table table, int compress,
                          struct ocp_error *err)
{
    const struct ocp_tablespec *spec = ocp_table_spec(table);
    hid_t gcpl = -1, space = -1, attr = -1;
    int version = H5_LAYOUT_VERSION;
    int rc = OCP_OK;

    if (spec == NULL || w->table_open)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL,
                             "h5_writer_begin_table: bad table or one already open");
    if (H5Lexists(w->fid, spec->name, H5P_DEFAULT) > 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL, "table %s written twice",
                             spec->name);
    H5Eclear2(H5E_DEFAULT);
    /* Tracking link creation order lets tools list columns in schema order. */
    gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl >= 0)
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED);
    w->gid = H5Gcreate2(w->fid, spec->name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    space = H5Screate(H5S_SCALAR);
    if (w->gid >= 0 && space >= 0)
        attr = H5Acreate2(w->gid, H5I_VERSION_ATTR, H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (w->gid < 0 || attr < 0 || H5Awrite(attr, H5T_NATIVE_INT, &version) < 0)
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, NULL, "cannot create table group");
    h5i_close_id(attr);
    h5i_close_id(space);
    h5i_close_id(gcpl);
    if (rc != OCP_OK) {
        h5i_close_id(w->gid);
        w->gid = -1;
        return rc;
    }
    w->table_open = 1;
    w->columns_fixed = 0;
    w->compress = compress;
    w->table = table;
    w->spec = spec;
    w->rows_written = 0;
    w->nbuf = 0;
    return OCP_OK;
}

/* Creates an empty, extensible, chunked 1-D dataset. */
static hid_t create_dataset(struct h5_writer *w, hid_t loc, const char *name, hid_t ftype,
                            hsize_t chunk)
{
    hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;

    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
        (!w->compress || (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, 1) >= 0)))
        d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    h5i_close_id(dcpl);
    h5i_close_id(space);
    return d;
}

static int set_units(struct h5_writer *w, hid_t dset, const char *name, struct ocp_error *err)
{
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = -1;
    int rc = OCP_OK;

    if (type >= 0 && space >= 0 && H5Tset_size(type, 2) >= 0)
        attr = H5Acreate2(dset, "units", type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, "us") < 0)
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot write attribute \"units\"");
    h5i_close_id(attr);
    h5i_close_id(space);
    h5i_close_id(type);
    return rc;
}

/* Fixes the table's column set: one dataset per column marked present. */
static int create_columns(struct h5_writer *w, const int *present, struct ocp_error *err)
{
    int i, rc = OCP_OK;

    for (i = 0; i < w->spec->ncols && rc == OCP_OK; i++) {
        struct h5w_col *c = &w->col[i];
        const char *name = w->spec->cols[i].name;
        hid_t ftype;

        c->kind = w->spec->cols[i].kind;
        if (!present[i])
            continue;
        c->present = 1;
        ftype = c->kind == OCP_KIND_TIME     ? H5T_STD_I64LE
                : c->kind == OCP_KIND_NUMBER ? H5T_IEEE_F64LE
                                             : H5T_STD_U32LE;
        c->buf = malloc((size_t)w->chunk_rows * kind_size(c->kind));
        if (c->buf == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, w->path, -1, name, "out of memory");
        c->dset = create_dataset(w, w->gid, name, ftype, w->chunk_rows);
        if (c->dset < 0)
            return h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot create column dataset");
        if (c->kind == OCP_KIND_TIME)
            rc = set_units(w, c->dset, name, err);
        else if (c->kind == OCP_KIND_STRING || c->kind == OCP_KIND_LABELS)
            rc = h5_strpool_init(&c->pool) == 0
                     ? OCP_OK
                     : ocp_error_set(err, OCP_ERR_OSERR, w->path, -1, name, "out of memory");
    }
    w->columns_fixed = 1;
    return rc;
}

/* Appends n values from buf at the end of a 1-D dataset. */
static int append_values(struct h5_writer *w, hid_t dset, const char *name, hid_t mtype, hsize_t at,
                         const void *buf, hsize_t n, struct ocp_error *err)
{
    hsize_t size = at + n;
    hid_t fspace = -1, mspace = -1;
    int rc = OCP_OK;

    if (n == 0)
        return OCP_OK;
    if (H5Dset_extent(dset, &size) < 0 || (fspace = H5Dget_space(dset)) < 0 ||
        (mspace = H5Screate_simple(1, &n, NULL)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &at, NULL, &n, NULL) < 0 ||
        H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot write column");
    h5i_close_id(mspace);
    h5i_close_id(fspace);
    return rc;
}

static hid_t mem_type(enum ocp_kind k)
{
    return k == OCP_KIND_TIME     ? H5T_NATIVE_INT64
           : k == OCP_KIND_NUMBER ? H5T_NATIVE_DOUBLE
                                  : H5T_NATIVE_UINT32;
}

/* Writes the buffered rows of every column. */
static int flush_rows(struct h5_writer *w, struct ocp_error *err)
{
    int i, rc = OCP_OK;
    for (i = 0; i < w->spec->ncols && rc == OCP_OK; i++) {
        struct h5w_col *c = &w->col[i];
        if (c->present)
            rc = append_values(w, c->dset, w->spec->cols[i].name, mem_type(c->kind),
                               (hsize_t)w->rows_written, c->buf, (hsize_t)w->nbuf, err);
    }
    if (rc == OCP_OK) {
        w->rows_written += (int64_t)w->nbuf;
        w->nbuf = 0;
    }
    return rc;
}

/* Points the id cache of column c at dictionary d. */
static int reset_map(struct h5w_col *c, const struct ocp_strdict *d)
{
    uint32_t *m = realloc(c->map, ((size_t)d->count + 1) * sizeof *m);
    if (m == NULL)
        return -1;
    memset(m, 0xff, ((size_t)d->count + 1) * sizeof *m);
    c->map = m;
    c->map_dict = d;
    c->map_serial = d->serial;
    return 0;
}

/* Copies rows [from, from+n) of one batch column into the chunk buffer at
 * position w->nbuf, mapping string ids to the column's pool. */
static int copy_column(struct h5_writer *w, int i, const struct ocp_column *bc, size_t from,
                       size_t n, struct ocp_error *err)
{
    struct h5w_col *c = &w->col[i];
    const char *name = w->spec->cols[i].name;
    size_t k;

    if (c->kind == OCP_KIND_TIME) {
        int64_t *dst = (int64_t *)c->buf + w->nbuf;
        if (bc->present)
            memcpy(dst, bc->ts + from, n * sizeof *dst);
        else
            for (k = 0; k < n; k++)
                dst[k] = OCP_TS_NULL;
    } else if (c->kind == OCP_KIND_NUMBER) {
        double *dst = (double *)c->buf + w->nbuf;
        if (bc->present)
            memcpy(dst, bc->num + from, n * sizeof *dst);
        else
            for (k = 0; k < n; k++)
                dst[k] = NAN;
    } else {
        uint32_t *dst = (uint32_t *)c->buf + w->nbuf;
        const struct ocp_strdict *d = bc->str.dict;
        if (!bc->present) {
            for (k = 0; k < n; k++)
                dst[k] = OCP_NULL_ID;
            return OCP_OK;
        }
        if (d == NULL)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, name,
                                 "string column without a dictionary");
        if ((c->map_dict != d || c->map_serial != d->serial) && reset_map(c, d) != 0)
            return ocp_error_set(err, OCP_ERR_OSERR, w->path, -1, name, "out of memory");
        for (k = 0; k < n; k++) {
            uint32_t id = bc->str.ids[from + k];
            if (id == OCP_NULL_ID) {
                dst[k] = OCP_NULL_ID;
                continue;
            }
            if (id >= d->count)
                return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, name,
                                     "id %u outside its dictionary of %u", id, d->count);
            if (c->map[id] == MAP_UNSET) {
                size_t len;
                const char *s = ocp_strdict_get(d, id, &len);
                if (h5_strpool_intern(&c->pool, s, len, &c->map[id]) != 0)
                    return ocp_error_set(err, OCP_ERR_OSERR, w->path, -1, name,
                                         "dictionary too large");
            }
            dst[k] = c->map[id];
        }
    }
    return OCP_OK;
}

int h5_writer_append(struct h5_writer *w, const struct ocp_batch *b, struct ocp_error *err)
{
    size_t done = 0;
    int i, rc = OCP_OK;

    if (!w->table_open || b->table != w->table)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL,
                             "batch does not belong to the open table");
    if (!w->columns_fixed) {
        int present[OCP_MAX_COLUMNS] = {0};
        for (i = 0; i < w->spec->ncols; i++)
            present[i] = b->col[i].present != 0;
        rc = create_columns(w, present, err);
        if (rc != OCP_OK)
            return rc;
    }
    for (i = 0; i < w->spec->ncols; i++)
        if (b->col[i].present && !w->col[i].present)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, w->spec->cols[i].name,
                                 "column absent from the table's first batch");
    while (done < b->nrows) {
        size_t n = b->nrows - done;
        if (n > w->chunk_rows - w->nbuf)
            n = w->chunk_rows - w->nbuf;
        for (i = 0; i < w->spec->ncols && rc == OCP_OK; i++)
            if (w->col[i].present)
                rc = copy_column(w, i, &b->col[i], done, n, err);
        if (rc != OCP_OK)
            return rc;
        w->nbuf += n;
        done += n;
        if (w->nbuf == w->chunk_rows) {
            rc = flush_rows(w, err);
            if (rc != OCP_OK)
                return rc;
        }
    }
    return OCP_OK;
}

/* Writes the pool of a string column as "<col>.dict/{offsets,data}". */
static int write_dict(struct h5_writer *w, int i, struct ocp_error *err)
{
    struct h5w_col *c = &w->col[i];
    const char *name = w->spec->cols[i].name;
    char gname[160];
    hid_t g = -1, d = -1;
    int rc = OCP_OK;

    if (h5i_dict_name(name, gname, sizeof gname) != 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, name, "column name too long");
    g = H5Gcreate2(w->gid, gname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot create dictionary group");
        goto done;
    }
    d = create_dataset(w, g, "offsets", H5T_STD_U64LE, 65536);
    if (d < 0) {
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot create dictionary offsets");
        goto done;
    }
    rc = append_values(w, d, name, H5T_NATIVE_UINT64, 0, c->pool.offsets,
                       (hsize_t)c->pool.count + 1, err);
    h5i_close_id(d);
    d = -1;
    if (rc != OCP_OK)
        goto done;
    d = create_dataset(w, g, "data", H5T_STD_U8LE, 1u << 20);
    if (d < 0) {
        rc = h5i_fail(err, OCP_ERR_IOERR, w->path, name, "cannot create dictionary data");
        goto done;
    }
    rc = append_values(w, d, name, H5T_NATIVE_UINT8, 0, c->pool.data,
                       (hsize_t)c->pool.offsets[c->pool.count], err);
done:
    h5i_close_id(d);
    h5i_close_id(g);
    return rc;
}

int h5_writer_end_table(struct h5_writer *w, struct ocp_error *err)
{
    int i, rc = OCP_OK;

    if (!w->table_open)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->path, -1, NULL,
                             "h5_writer_end_table without a table");
    if (!w->columns_fixed) {
        /* No rows at all: an empty table still has every column. */
        int present[OCP_MAX_COLUMNS];
        for (i = 0; i < OCP_MAX_COLUMNS; i++)
            present[i] = 1;
        rc = create_columns(w, present, err);
    }
    if (rc == OCP_OK)
        rc = flush_rows(w, err);
    for (i = 0; i < w->spec->ncols && rc == OCP_OK; i++)
        if (w->col[i].present &&
            (w->col[i].kind == OCP_KIND_STRING || w->col[i].kind == OCP_KIND_LABELS))
            rc = write_dict(w, i, err);
    release_columns(w);
    w->table_open = 0;
    return rc;
}

int h5_writer_close(struct h5_writer *w, struct ocp_error *err)
{
    int rc = OCP_OK;

    if (w == NULL)
        return OCP_OK;
    if (w->table_open)
        rc = h5_writer_end_table(w, err);
    release_columns(w);
    if (w->fid >= 0) {
        if (rc == OCP_OK && H5Fflush(w->fid, H5F_SCOPE_LOCAL) < 0)
            rc = h5i_fail(err, OCP_ERR_IOERR, w->path, NULL, "cannot flush HDF5 file");
        if (H5Fclose(w->fid) < 0 && rc == OCP_OK)
            rc = h5i_fail(err, OCP_ERR_IOERR, w->path, NULL, "cannot close HDF5 file");
    }
    free(w);
    return rc;
}
