/*
 * h5_internal.h - helpers shared by the HDF5 reader and writer.
 */
#ifndef OCPAGG_H5_INTERNAL_H
#define OCPAGG_H5_INTERNAL_H

#include <hdf5.h>

#include "ocpagg/error.h"

/* Name of the attribute holding the layout version on a table group. */
#define H5I_VERSION_ATTR "ocpagg_layout_version"
/* Suffix of the group that holds a string column's dictionary. */
#define H5I_DICT_SUFFIX ".dict"

/* Records an error whose message is `what` followed by the innermost
 * message on HDF5's default error stack (when there is one), then clears
 * that stack.  Returns code. */
int h5i_fail(struct ocp_error *err, int code, const char *file, const char *column,
             const char *what);

/* Builds "<col>.dict" into out (size bytes); returns -1 when it does not
 * fit. */
int h5i_dict_name(const char *col, char *out, size_t size);

/* Looks up `path` (one name or several joined by '/') below loc: 1 when
 * it exists, 0 when it definitely does not, -1 when HDF5 cannot tell (a
 * link table it cannot read: a corrupt file).  On -1 HDF5's error stack is
 * left for h5i_fail to report; otherwise it is cleared. */
int h5i_path_exists(hid_t loc, const char *path);

/* Closes an HDF5 identifier of any kind when it is valid (>= 0). */
void h5i_close_id(hid_t id);

#endif
