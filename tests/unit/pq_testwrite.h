/* pq_testwrite.h - a whole Parquet file from one batch, for the unit tests
 * that build their own files with the project's writer (and then bend
 * them).  Header-only, static inline. */
#ifndef OCPAGG_PQ_TESTWRITE_H
#define OCPAGG_PQ_TESTWRITE_H

#include <stdio.h>

#include "ocpagg/pq_writer.h"

/* Writes nrows rows of data as the file at path with schema and opt
 * (create, one batch, close; the writer aborted on failure, so no
 * temporary stays).  Prints the writer's message on failure; returns its
 * status. */
static inline int pqt_write_file(const char *path, const struct pq_schema_desc *schema,
                                 const struct pq_write_options *opt,
                                 const struct pq_column_data *data, size_t nrows)
{
    struct pq_writer *w = NULL;
    struct ocp_error err;
    int rc;

    ocp_error_clear(&err);
    rc = pq_writer_create(path, schema, opt, &w, &err);
    if (rc == OCP_OK)
        rc = pq_writer_write_batch(w, data, nrows, &err);
    if (rc == OCP_OK)
        rc = pq_writer_close(w, &err);
    else
        pq_writer_abort(w);
    if (rc != OCP_OK)
        fprintf(stderr, "writer: %s\n", err.message);
    return rc;
}

#endif
