/*
 * ocpgen.h - options of the ocpgen tool and its output formats.
 */
#ifndef OCPGEN_H
#define OCPGEN_H

#include <stdint.h>

#include "ocpagg/batch.h"
#include "ocpagg/error.h"
#include "ocpagg/gen.h"

struct ocpgen_options {
    struct gen_config gen;
    const char *output;
    const char *format; /* "hdf5"; further formats register in main.c */
    int no_compress;
    int quiet;
};

/* Writes the four tables into one HDF5 file: output.tmp, renamed to output
 * on success and removed on failure. */
int ocpgen_write_hdf5(const struct ocpgen_options *o,
                      int64_t rows[OCP_TABLE_COUNT], struct ocp_error *err);

#endif
