/* h5_common.c - error reporting and small helpers for the HDF5 module. */
#include "h5_internal.h"

#include <stdio.h>
#include <string.h>

/* Collects the innermost HDF5 error description.  Walking upwards visits
 * the innermost (first pushed) record first; that one says what actually
 * went wrong ("truncated file: eof = ..."), the outer ones only repeat
 * which API call failed. */
struct first_msg {
    char text[256];
};

static herr_t take_first(unsigned n, const H5E_error2_t *e, void *data)
{
    struct first_msg *m = data;
    if (n == 0 && e != NULL && e->desc != NULL)
        snprintf(m->text, sizeof m->text, "%s", e->desc);
    return 0;
}

int h5i_fail(struct ocp_error *err, int code, const char *file, const char *column,
             const char *what)
{
    struct first_msg m;

    m.text[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, &m);
    H5Eclear2(H5E_DEFAULT);
    if (m.text[0] != '\0')
        return ocp_error_set(err, code, file, -1, column, "%s (HDF5: %s)", what, m.text);
    return ocp_error_set(err, code, file, -1, column, "%s", what);
}

int h5i_dict_name(const char *col, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", col, H5I_DICT_SUFFIX);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* H5Lexists fails, rather than answering 0, when a group on the way to the
 * last name is missing or is not a group, which would make an absent table
 * look like a corrupt file; so each prefix is looked up on its own, and a
 * failure means the file itself could not be read. */
int h5i_path_exists(hid_t loc, const char *path)
{
    char buf[1024];
    size_t len = strlen(path), i;
    htri_t r = 0;

    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        hid_t obj;
        if (i < len && (buf[i] != '/' || buf[i - 1] == '/'))
            continue;
        buf[i] = '\0';
        r = H5Lexists(loc, buf, H5P_DEFAULT);
        if (r > 0 && i < len) {
            /* A dataset (or datatype) has no members: the path is absent. */
            obj = H5Oopen(loc, buf, H5P_DEFAULT);
            if (obj < 0)
                r = -1;
            else if (H5Iget_type(obj) != H5I_GROUP)
                r = 0;
            h5i_close_id(obj);
        }
        if (i < len)
            buf[i] = '/';
        if (r <= 0)
            break;
    }
    if (r < 0)
        return -1;
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

void h5i_close_id(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}
