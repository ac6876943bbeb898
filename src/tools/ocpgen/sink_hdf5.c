/* sink_hdf5.c - the gen_sink that writes the ocpagg HDF5 layout. */
#include "ocpgen.h"

#include <stdio.h>
#include <stdlib.h>

#include "ocpagg/h5.h"

struct h5_sink_ctx {
    struct h5_writer *w;
    int compress;
};

static int s_begin(void *ctx, enum ocp_table table, struct ocp_error *err)
{
    struct h5_sink_ctx *c = ctx;
    return h5_writer_begin_table(c->w, table, c->compress, err);
}

static int s_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct h5_sink_ctx *c = ctx;
    return h5_writer_append(c->w, b, err);
}

static int s_end(void *ctx, enum ocp_table table, int64_t rows, struct ocp_error *err)
{
    struct h5_sink_ctx *c = ctx;
    (void)table;
    (void)rows;
    return h5_writer_end_table(c->w, err);
}

int ocpgen_write_hdf5(const struct ocpgen_options *o, int64_t rows[OCP_TABLE_COUNT],
                      struct ocp_error *err)
{
    struct h5_sink_ctx c = {NULL, !o->no_compress};
    struct gen_sink sink = {&c, s_begin, s_write, s_end};
    char tmp[OCP_ERROR_PATH_MAX];
    int rc, n;

    n = snprintf(tmp, sizeof tmp, "%s.tmp", o->output);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ocp_error_set(err, OCP_ERR_USAGE, o->output, -1, NULL, "output path too long");
    rc = h5_writer_create(tmp, &c.w, err);
    if (rc != OCP_OK)
        return rc;
    rc = gen_all(&o->gen, &sink, rows, err);
    if (rc == OCP_OK) {
        rc = h5_writer_close(c.w, err);
    } else {
        h5_writer_close(c.w, NULL);
    }
    if (rc == OCP_OK && rename(tmp, o->output) != 0)
        rc = ocp_error_set(err, OCP_ERR_CANTCREAT, o->output, -1, NULL,
                           "cannot rename %s into place", tmp);
    if (rc != OCP_OK)
        remove(tmp);
    return rc;
}
