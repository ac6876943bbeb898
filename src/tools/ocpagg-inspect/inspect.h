/* inspect.h - pieces of ocpagg-inspect shared by its source files. */
#ifndef OCPAGG_INSPECT_H
#define OCPAGG_INSPECT_H

#include "ocpagg/parquet.h"

/* The codec's name as parquet.thrift spells it. */

/* Formats the min (which 0) or max (1) bound of a statistics record. */
void inspect_format_bound(const struct pq_colinfo *c, const struct pq_colstats *st, int which,
                          char *buf, size_t size);

/* Prints up to nrows rows (-1: all) of the named columns (comma list,
 * NULL: every top-level column) as CSV on stdout. */
int inspect_print_rows(const struct pq_file *f, const char *columns, long long nrows,
                       struct ocp_error *err);

#endif
