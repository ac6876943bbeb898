/* h5_read.c - opening HDF5 line-item files and reading row ranges. */
#include "ocpagg/h5.h"
#include "ocpagg/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5_internal.h"

struct h5_file {
    hid_t fid;
    hid_t dxpl;         /* data transfer list of the row reads (caller's) */
    uint64_t file_size; /* bounds what a dataset may plausibly hold */
    char path[OCP_ERROR_PATH_MAX];
};

struct h5_col {
    int present;
    enum ocp_kind kind;
    hid_t dset;
    int64_t mul, div;        /* TIME: unit conversion to microseconds */
    struct ocp_strdict dict; /* STRING / LABELS */
    uint64_t *offsets;
    char *data;
};

struct h5_table {
    struct h5_file *f;
    enum ocp_table table;
    const struct ocp_tablespec *spec;
    hid_t gid;
    int64_t nrows;
    struct h5_col col[OCP_MAX_COLUMNS];
};

/* Deflate cannot expand data by more than about 1032:1, so a dataset that
 * claims more than this many bytes per byte of file is corrupt; the bound
 * keeps a forged length from turning into a huge allocation. */
#define H5R_MAX_RATIO 1100u

int h5_file_open(const char *path, hid_t fapl, struct h5_file **out, struct ocp_error *err)
{
    struct h5_file *f = NULL;
    struct stat st;
    H5G_info_t root;
    htri_t is;
    hsize_t size = 0;
    int rc = OCP_OK;

    *out = NULL;
    /* Failures are reported through err; HDF5's own stderr dump would only
     * duplicate them.  Setting it on every open is idempotent. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (stat(path, &st) != 0) {
        rc =
            ocp_error_set(err, OCP_ERR_NOINPUT, path, -1, NULL, "cannot open: %s", strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || access(path, R_OK) != 0) {
        rc = ocp_error_set(err, OCP_ERR_NOINPUT, path, -1, NULL, "not a readable regular file");
        goto done;
    }
    is = H5Fis_hdf5(path);
    if (is <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = ocp_error_set(err, OCP_ERR_DATA, path, -1, NULL, "not an HDF5 file");
        goto done;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        goto done;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    f->dxpl = H5P_DEFAULT;
    f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f->fid < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, path, NULL,
                      "cannot open HDF5 file (corrupt or truncated?)");
        goto done;
    }
    /* Counting the root's links reads its whole link table (for files
     * written with HDF5's default format), so damage there shows up here
     * as a corrupt file and not later as tables that seem to be missing. */
    if (H5Gget_info(f->fid, &root) < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, path, NULL,
                      "cannot read the file's tables (corrupt HDF5?)");
        goto done;
    }
    if (H5Fget_filesize(f->fid, &size) < 0)
        size = (hsize_t)st.st_size;
    f->file_size = (uint64_t)size;
    *out = f;
    f = NULL;
done:
    if (f != NULL) {
        h5i_close_id(f->fid);
        free(f);
    }
    return rc;
}

void h5_file_set_dxpl(struct h5_file *f, hid_t dxpl)
{
    f->dxpl = dxpl;
}

void h5_file_close(struct h5_file *f)
{
    if (f == NULL)
        return;
    h5i_close_id(f->fid);
    free(f);
}

int h5_table_exists(struct h5_file *f, const char *group)
{
    int r;
    if (f == NULL || group == NULL || group[0] == '\0')
        return 0;
    r = h5i_path_exists(f->fid, group);
    if (r < 0)
        H5Eclear2(H5E_DEFAULT);
    return r;
}

/* Returns the length of a 1-D dataset, or -1 (with err filled) when the
 * dataset is not 1-D. */
static int64_t dset_length(struct h5_table *t, hid_t dset, const char *name, struct ocp_error *err)
{
    hid_t space = H5Dget_space(dset);
    hsize_t dims[2] = {0, 0};
    int nd;

    if (space < 0) {
        h5i_fail(err, OCP_ERR_DATA, t->f->path, name, "cannot read shape");
        return -1;
    }
    nd = H5Sget_simple_extent_ndims(space);
    if (nd == 1)
        H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (nd != 1 || dims[0] > (hsize_t)INT64_MAX) {
        ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                      "expected a 1-D dataset, found rank %d", nd);
        return -1;
    }
    return (int64_t)dims[0];
}

/* Refuses a dataset whose rows are not all stored.  HDF5 reads rows that
 * were never written as the fill value, so a small file can claim billions
 * of rows (H5Dset_extent) that would cost minutes to read and aggregate as
 * made-up data.  A dataset written completely always has its storage
 * allocated: all of it (contiguous, compact) or one chunk per chunk-sized
 * run of rows (chunked, whatever its filters or fill value).  Counting the
 * chunks walks only the chunk index, once per dataset when the table
 * opens.  `what` is "" for the column itself or names the part of it
 * (" of dictionary \"data\""); err->column names the column. */
static int check_stored(struct h5_table *t, hid_t dset, const char *col, const char *what,
                        int64_t len, struct ocp_error *err)
{
    hid_t dcpl = -1, space = -1;
    H5D_space_status_t status = H5D_SPACE_STATUS_ERROR;
    hsize_t cdim = 0, need, have = 0, i, last;
    int rc = OCP_OK;

    /* No rows need no storage (HDF5 allocates none for them). */
    if (len == 0)
        return OCP_OK;
    dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, col, "cannot read the dataset's layout");
        goto done;
    }
    if (H5Pget_layout(dcpl) != H5D_CHUNKED) {
        /* HDF5 1.10 reports a chunked dataset by its bytes, so compressed
         * or partly filled last chunks would look partial; the status is
         * used only for the other layouts. */
        if (H5Dget_space_status(dset, &status) < 0) {
            rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, col, "cannot read the dataset's storage");
        } else if (status != H5D_SPACE_STATUS_ALLOCATED) {
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, col,
                               "rows 0-%lld%s were never written (no storage allocated)",
                               (long long)len - 1, what);
        }
        goto done;
    }
    space = H5Dget_space(dset);
    if (space < 0 || H5Pget_chunk(dcpl, 1, &cdim) != 1 || cdim == 0 ||
        H5Dget_num_chunks(dset, space, &have) < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, col, "cannot read the dataset's chunk index");
        goto done;
    }
    need = (hsize_t)len / cdim + ((hsize_t)len % cdim != 0);
    if (have >= need)
        goto done;
    /* Name the first chunk that is missing: with only `have` chunks
     * stored, one of the first have + 1 is, so the search is bounded by
     * what the file holds. */
    for (i = 0; i <= have && i < need; i++) {
        hsize_t off = i * cdim, size = 0;
        haddr_t addr = HADDR_UNDEF;
        if (H5Dget_chunk_info_by_coord(dset, &off, NULL, &addr, &size) < 0) {
            rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, col,
                          "cannot read the dataset's chunk index");
            goto done;
        }
        if (addr == HADDR_UNDEF || size == 0)
            break;
    }
    if (i > have || i >= need) {
        /* The index holds chunks outside the extent: no single run to name. */
        rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, col,
                           "rows%s were never written (%llu of the %llu chunks its %lld rows "
                           "need %s stored)",
                           what, (unsigned long long)have, (unsigned long long)need, (long long)len,
                           have == 1 ? "is" : "are");
        goto done;
    }
    last = (i + 1) * cdim < (hsize_t)len ? (i + 1) * cdim - 1 : (hsize_t)len - 1;
    rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, col,
                       "rows %llu-%llu%s were never written (%llu of the %llu chunks its %lld "
                       "rows need %s stored)",
                       (unsigned long long)(i * cdim), (unsigned long long)last, what,
                       (unsigned long long)have, (unsigned long long)need, (long long)len,
                       have == 1 ? "is" : "are");
done:
    h5i_close_id(space);
    h5i_close_id(dcpl);
    return rc;
}

/* Reads an optional "units" string attribute of a TIME column and turns it
 * into a multiplier/divisor to microseconds. */
static int time_units(struct h5_table *t, struct h5_col *c, const char *name, struct ocp_error *err)
{
    char units[16] = "us";
    hid_t attr = -1, type = -1, mtype = -1;
    htri_t ex;
    int rc = OCP_OK;

    c->mul = 1;
    c->div = 1;
    ex = H5Aexists(c->dset, "units");
    if (ex < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, name,
                        "cannot read the column's attributes (corrupt HDF5?)");
    if (ex == 0)
        return OCP_OK;
    attr = H5Aopen(c->dset, "units", H5P_DEFAULT);
    type = attr >= 0 ? H5Aget_type(attr) : -1;
    if (type < 0 || H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) != 0 ||
        H5Tget_size(type) >= sizeof units) {
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, name,
                      "attribute \"units\" must be a short fixed-length string");
        goto done;
    }
    memset(units, 0, sizeof units);
    mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5Tget_size(type));
    if (H5Aread(attr, mtype, units) < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, name, "cannot read attribute \"units\"");
        goto done;
    }
    if (strcmp(units, "us") == 0) {
        /* the layout's own unit */
    } else if (strcmp(units, "ms") == 0) {
        c->mul = 1000;
    } else if (strcmp(units, "s") == 0) {
        c->mul = 1000000;
    } else if (strcmp(units, "ns") == 0) {
        c->div = 1000;
    } else {
        rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                           "unknown time units \"%s\" (want s, ms, us or ns)", units);
    }
done:
    h5i_close_id(mtype);
    h5i_close_id(type);
    h5i_close_id(attr);
    return rc;
}

/* Reads a whole 1-D integer dataset of a dictionary converted to mtype. */
static int read_dict_part(struct h5_table *t, hid_t gid, const char *part, const char *col,
                          hid_t mtype, size_t elem, void **buf, uint64_t *n, struct ocp_error *err)
{
    hid_t d = -1, type = -1;
    char what[64];
    int64_t len;
    int rc = OCP_OK;
    uint64_t cap = t->f->file_size * H5R_MAX_RATIO + (1u << 20);

    *buf = NULL;
    d = H5Dopen2(gid, part, H5P_DEFAULT);
    if (d < 0) {
        rc =
            h5i_fail(err, OCP_ERR_DATA, t->f->path, col,
                     part[0] == 'o' ? "dictionary lacks \"offsets\"" : "dictionary lacks \"data\"");
        goto done;
    }
    type = H5Dget_type(d);
    if (type < 0 || H5Tget_class(type) != H5T_INTEGER) {
        rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, col,
                           "dictionary \"%s\" is not an integer dataset", part);
        goto done;
    }
    len = dset_length(t, d, col, err);
    if (len < 0) {
        rc = OCP_ERR_DATA;
        goto done;
    }
    if ((uint64_t)len > cap / elem) {
        rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, col,
                           "dictionary \"%s\" claims %lld entries, more than "
                           "the file can hold",
                           part, (long long)len);
        goto done;
    }
    snprintf(what, sizeof what, " of dictionary \"%s\"", part);
    rc = check_stored(t, d, col, what, len, err);
    if (rc != OCP_OK)
        goto done;
    *buf = malloc((size_t)len * elem + 1);
    if (*buf == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, t->f->path, -1, col, "out of memory for dictionary");
        goto done;
    }
    if (len > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, col, "cannot read dictionary");
        goto done;
    }
    *n = (uint64_t)len;
done:
    if (rc != OCP_OK) {
        free(*buf);
        *buf = NULL;
    }
    h5i_close_id(type);
    h5i_close_id(d);
    return rc;
}

/* Reads and validates "<col>.dict": offsets start at 0, never decrease and
 * end at the length of data. */
static int read_dict(struct h5_table *t, struct h5_col *c, const char *name, struct ocp_error *err)
{
    char gname[160];
    hid_t g = -1;
    void *offs = NULL, *data = NULL;
    uint64_t noff = 0, ndata = 0, i;
    htri_t ex;
    int rc;

    if (h5i_dict_name(name, gname, sizeof gname) != 0)
        return ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name, "column name too long");
    ex = H5Lexists(t->gid, gname, H5P_DEFAULT);
    if (ex < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, name,
                        "cannot look up the column's dictionary group (corrupt HDF5?)");
    if (ex == 0)
        return ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                             "string column lacks its dictionary group %s", gname);
    g = H5Gopen2(t->gid, gname, H5P_DEFAULT);
    if (g < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, name, "cannot open dictionary group");
    rc = read_dict_part(t, g, "offsets", name, H5T_NATIVE_UINT64, 8, &offs, &noff, err);
    if (rc == OCP_OK)
        rc = read_dict_part(t, g, "data", name, H5T_NATIVE_UINT8, 1, &data, &ndata, err);
    if (rc != OCP_OK)
        goto done;
    c->offsets = offs;
    c->data = data;
    offs = data = NULL;
    c->data[ndata] = '\0';
    if (noff == 0 || noff - 1 >= (uint64_t)OCP_NULL_ID || c->offsets[0] != 0 ||
        c->offsets[noff - 1] != ndata) {
        rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                           "dictionary offsets do not frame its data");
        goto done;
    }
    for (i = 1; i < noff; i++) {
        if (c->offsets[i] < c->offsets[i - 1]) {
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                               "dictionary offsets decrease at entry %llu", (unsigned long long)i);
            goto done;
        }
    }
    /* Text must be UTF-8, as in Parquet (txt_utf8_invalid_at); each
     * dictionary entry is checked once, when the table opens. */
    for (i = 0; i + 1 < noff; i++) {
        size_t len = (size_t)(c->offsets[i + 1] - c->offsets[i]);
        size_t bad = txt_utf8_invalid_at(c->data + c->offsets[i], len);
        if (bad < len) {
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                               "dictionary entry %llu is not valid UTF-8 "
                               "(byte 0x%02X at offset %zu)",
                               (unsigned long long)i,
                               (unsigned)(unsigned char)c->data[c->offsets[i] + bad], bad);
            goto done;
        }
    }
    c->dict.count = (uint32_t)(noff - 1);
    c->dict.offsets = c->offsets;
    c->dict.data = c->data;
    c->dict.serial = ocp_strdict_next_serial();
done:
    free(offs);
    free(data);
    h5i_close_id(g);
    return rc;
}

static const char *class_name(H5T_class_t cls)
{
    switch (cls) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_ARRAY: return "array";
    default: return "unsupported";
    }
}

/* Checks that a column's stored type can be read as its kind. */
static int check_type(struct h5_table *t, struct h5_col *c, const char *name, struct ocp_error *err)
{
    hid_t type = H5Dget_type(c->dset);
    H5T_class_t cls;
    int rc = OCP_OK;

    if (type < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, name, "cannot read column type");
    cls = H5Tget_class(type);
    switch (c->kind) {
    case OCP_KIND_TIME:
        if (cls != H5T_INTEGER)
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                               "expected integer timestamps, found %s", class_name(cls));
        break;
    case OCP_KIND_NUMBER:
        if (cls != H5T_INTEGER && cls != H5T_FLOAT)
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                               "expected a number, found %s", class_name(cls));
        break;
    case OCP_KIND_STRING:
    case OCP_KIND_LABELS:
        if (cls != H5T_INTEGER || H5Tget_sign(type) != H5T_SGN_NONE || H5Tget_size(type) > 4)
            rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                               "expected uint32 dictionary codes, found %s",
                               cls == H5T_INTEGER ? "another integer type" : class_name(cls));
        break;
    }
    H5Tclose(type);
    return rc;
}

/* Checks the layout version attribute when the group has one; files made
 * by other tools may omit it and are read as version 1. */
static int check_version(struct h5_table *t, const char *group, struct ocp_error *err)
{
    hid_t attr;
    int version = 0;
    int rc = OCP_OK;
    htri_t ex = H5Aexists(t->gid, H5I_VERSION_ATTR);

    if (ex < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, NULL,
                        "cannot read the table group's attributes (corrupt HDF5?)");
    if (ex == 0)
        return OCP_OK;
    attr = H5Aopen(t->gid, H5I_VERSION_ATTR, H5P_DEFAULT);
    if (attr < 0 || H5Aread(attr, H5T_NATIVE_INT, &version) < 0)
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, NULL, "cannot read " H5I_VERSION_ATTR);
    else if (version != H5_LAYOUT_VERSION)
        rc = ocp_error_set(err, OCP_ERR_UNSUPPORTED, t->f->path, -1, NULL,
                           "table %s has layout version %d, this build reads %d", group, version,
                           H5_LAYOUT_VERSION);
    h5i_close_id(attr);
    return rc;
}

static int open_column(struct h5_table *t, int i, struct ocp_error *err)
{
    const struct ocp_colspec *cs = &t->spec->cols[i];
    struct h5_col *c = &t->col[i];
    htri_t ex;
    int64_t len;
    int rc;

    c->kind = cs->kind;
    ex = H5Lexists(t->gid, cs->name, H5P_DEFAULT);
    /* A failed lookup is a damaged group, not an absent optional column. */
    if (ex < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, cs->name,
                        "cannot look up the column (corrupt HDF5?)");
    if (ex == 0) {
        if (cs->required)
            return ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, cs->name,
                                 "required column missing from %s", t->spec->name);
        return OCP_OK;
    }
    c->dset = H5Dopen2(t->gid, cs->name, H5P_DEFAULT);
    if (c->dset < 0)
        return h5i_fail(err, OCP_ERR_DATA, t->f->path, cs->name, "cannot open column dataset");
    c->present = 1;
    rc = check_type(t, c, cs->name, err);
    if (rc != OCP_OK)
        return rc;
    len = dset_length(t, c->dset, cs->name, err);
    if (len < 0)
        return OCP_ERR_DATA;
    if (t->nrows < 0) {
        t->nrows = len;
    } else if (len != t->nrows) {
        return ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, cs->name,
                             "column has %lld rows, earlier columns %lld", (long long)len,
                             (long long)t->nrows);
    }
    rc = check_stored(t, c->dset, cs->name, "", len, err);
    if (rc != OCP_OK)
        return rc;
    if (c->kind == OCP_KIND_TIME)
        return time_units(t, c, cs->name, err);
    if (c->kind == OCP_KIND_STRING || c->kind == OCP_KIND_LABELS)
        return read_dict(t, c, cs->name, err);
    return OCP_OK;
}

int h5_table_open(struct h5_file *f, enum ocp_table table, const char *group, struct h5_table **out,
                  struct ocp_error *err)
{
    struct h5_table *t = NULL;
    const struct ocp_tablespec *spec = ocp_table_spec(table);
    int rc = OCP_OK, i, found;

    *out = NULL;
    if (spec == NULL || group == NULL)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, f->path, -1, NULL, "h5_table_open: bad table");
    /* Only a table that is definitely absent is "missing" (66); a lookup
     * that fails means the file's link tables are damaged. */
    found = h5i_path_exists(f->fid, group);
    if (found < 0) {
        char what[300];
        snprintf(what, sizeof what,
                 "cannot read the file's tables (corrupt HDF5?) looking up \"%.200s\"", group);
        return h5i_fail(err, OCP_ERR_DATA, f->path, NULL, what);
    }
    if (found == 0)
        return ocp_error_set(err, OCP_ERR_NOINPUT, f->path, -1, NULL, "no table group \"%s\"",
                             group);
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, f->path, -1, NULL, "out of memory");
    t->f = f;
    t->table = table;
    t->spec = spec;
    t->nrows = -1;
    for (i = 0; i < OCP_MAX_COLUMNS; i++)
        t->col[i].dset = -1;
    t->gid = H5Gopen2(f->fid, group, H5P_DEFAULT);
    if (t->gid < 0) {
        rc = h5i_fail(err, OCP_ERR_DATA, f->path, NULL, "cannot open table group");
        goto done;
    }
    rc = check_version(t, group, err);
    for (i = 0; rc == OCP_OK && i < spec->ncols; i++)
        rc = open_column(t, i, err);
    if (t->nrows < 0)
        t->nrows = 0;
done:
    if (rc != OCP_OK) {
        h5_table_close(t);
        return rc;
    }
    *out = t;
    return OCP_OK;
}

int64_t h5_table_num_rows(const struct h5_table *t)
{
    return t->nrows;
}

/* Reads rows [start, start+n) of one dataset into buf as mtype. */
static int read_range(struct h5_table *t, hid_t dset, const char *name, hid_t mtype, int64_t start,
                      int64_t n, void *buf, struct ocp_error *err)
{
    hid_t fspace = -1, mspace = -1;
    hsize_t off = (hsize_t)start, cnt = (hsize_t)n;
    int rc = OCP_OK;

    if (n == 0)
        return OCP_OK;
    fspace = H5Dget_space(dset);
    mspace = H5Screate_simple(1, &cnt, NULL);
    if (fspace < 0 || mspace < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0 ||
        H5Dread(dset, mtype, mspace, fspace, t->f->dxpl, buf) < 0)
        rc = h5i_fail(err, OCP_ERR_DATA, t->f->path, name, "cannot read column data");
    h5i_close_id(mspace);
    h5i_close_id(fspace);
    return rc;
}

static int convert_time(struct h5_table *t, struct h5_col *c, const char *name, int64_t *v,
                        size_t n, struct ocp_error *err)
{
    size_t i;
    if (c->mul == 1 && c->div == 1)
        return OCP_OK;
    for (i = 0; i < n; i++) {
        if (v[i] == OCP_TS_NULL)
            continue;
        if (c->div != 1) {
            /* Floor division keeps instants before 1970 in the right
             * microsecond. */
            int64_t q = v[i] / c->div;
            if (v[i] % c->div < 0)
                q--;
            v[i] = q;
        } else if (v[i] > INT64_MAX / c->mul || v[i] < -(INT64_MAX / c->mul)) {
            return ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                                 "timestamp %lld out of range", (long long)v[i]);
        } else {
            v[i] *= c->mul;
        }
    }
    return OCP_OK;
}

int h5_table_read(struct h5_table *t, int64_t start, int64_t nrows, struct ocp_arena *arena,
                  struct ocp_batch *out, struct ocp_error *err)
{
    int i, rc = OCP_OK;
    size_t n, k;

    memset(out, 0, sizeof *out);
    out->table = t->table;
    if (start < 0 || nrows < 0 || start > t->nrows || nrows > t->nrows - start)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, t->f->path, -1, NULL,
                             "rows [%lld, +%lld) outside the %lld rows of %s", (long long)start,
                             (long long)nrows, (long long)t->nrows, t->spec->name);
    n = (size_t)nrows;
    out->nrows = n;
    for (i = 0; i < t->spec->ncols && rc == OCP_OK; i++) {
        struct h5_col *c = &t->col[i];
        const char *name = t->spec->cols[i].name;
        struct ocp_column *oc = &out->col[i];
        void *buf;

        if (!c->present)
            continue;
        buf = ocp_arena_alloc(
            arena, n * (c->kind == OCP_KIND_TIME || c->kind == OCP_KIND_NUMBER ? 8u : 4u));
        if (buf == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, t->f->path, -1, name,
                                 "out of memory for %zu rows", n);
        oc->present = 1;
        switch (c->kind) {
        case OCP_KIND_TIME:
            rc = read_range(t, c->dset, name, H5T_NATIVE_INT64, start, nrows, buf, err);
            if (rc == OCP_OK)
                rc = convert_time(t, c, name, buf, n, err);
            oc->ts = buf;
            break;
        case OCP_KIND_NUMBER:
            rc = read_range(t, c->dset, name, H5T_NATIVE_DOUBLE, start, nrows, buf, err);
            oc->num = buf;
            break;
        case OCP_KIND_STRING:
        case OCP_KIND_LABELS: {
            uint32_t *ids = buf;
            rc = read_range(t, c->dset, name, H5T_NATIVE_UINT32, start, nrows, buf, err);
            for (k = 0; rc == OCP_OK && k < n; k++) {
                if (ids[k] >= c->dict.count && ids[k] != OCP_NULL_ID)
                    rc = ocp_error_set(err, OCP_ERR_DATA, t->f->path, -1, name,
                                       "row %lld: code %u outside a dictionary "
                                       "of %u strings",
                                       (long long)(start + (int64_t)k), ids[k], c->dict.count);
            }
            oc->str.ids = ids;
            oc->str.dict = &c->dict;
            break;
        }
        }
    }
    return rc;
}

void h5_table_close(struct h5_table *t)
{
    int i;
    if (t == NULL)
        return;
    for (i = 0; i < OCP_MAX_COLUMNS; i++) {
        h5i_close_id(t->col[i].dset);
        free(t->col[i].offsets);
        free(t->col[i].data);
    }
    h5i_close_id(t->gid);
    free(t);
}
