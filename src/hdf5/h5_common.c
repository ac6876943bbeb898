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
