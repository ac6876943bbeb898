/*
 * options.h - the command line of ocpagg: which config file, the config
 * keys the options override, and the switches that are no config key.
 *
 * Ownership: options_parse fills a struct options that options_release
 * frees; config points into argv.
 */
#ifndef OCPAGG_DRIVER_OPTIONS_H
#define OCPAGG_DRIVER_OPTIONS_H

#include <stddef.h>

struct options {
    const char *config;    /* the config file's path */
    char **keys, **values; /* config keys overridden, in order, and values */
    int n;
    int quiet, verbose, help, version;
    double stall_seconds; /* --stall-seconds, 0: off */
};

/* The --help text, with the exit codes. */
extern const char options_usage[];

/* Reads argv into *o (emptied first).  OCP_OK; OCP_ERR_USAGE with a
 * one-line message in msg for an unknown option, a missing value or an
 * extra argument; OCP_ERR_OSERR when out of memory.  *o is to be released
 * whatever the result. */
int options_parse(int argc, char **argv, struct options *o, char *msg, size_t msize);

/* Frees what options_parse copied. */
void options_release(struct options *o);

#endif
