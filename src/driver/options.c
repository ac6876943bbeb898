/* options.c - the command line of ocpagg (see options.h). */
#include "driver/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/error.h"

const char options_usage[] =
    "Usage: mpirun -np N ocpagg [--config FILE] [options]\n"
    "\n"
    "Builds the OpenShift daily usage summary (Koku's\n"
    "reporting_ocpusagelineitem_daily_summary) from usage line items.\n"
    "\n"
    "Options (each overrides the config key named in brackets):\n"
    "  -c, --config FILE        config file (default config/ocpagg.yaml)\n"
    "  -i, --input PATH         HDF5 file or Parquet root directory [input.path]\n"
    "      --input-format F     hdf5 or parquet [input.format]\n"
    "  -o, --output PATH        report file [output.path]\n"
    "      --format F           report format: csv, parquet or postgres [output.format]\n"
    "      --start YYYY-MM-DD   first day of the run [start_date]\n"
    "      --end YYYY-MM-DD     last day of the run [end_date]\n"
    "  -t, --threads N          OpenMP threads per rank [threads]\n"
    "      --chunk-rows N       rows per chunk [chunk_rows]\n"
    "      --strict             malformed label text is an error [strict]\n"
    "      --set KEY=VALUE      override any config key, e.g. --set cluster_id=c1\n"
    "      --stall-seconds N    end the job (exit 75) when a rank shows no sign\n"
    "                           of progress for N seconds (default 0: off)\n"
    "  -q, --quiet              no progress or summary lines\n"
    "  -v, --verbose            more detail on stderr\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version\n"
    "\n"
    "Exit codes: 0 ok, 64 usage, 65 bad input data, 66 missing input,\n"
    "69 unsupported input feature, 70 internal error, 71 system error,\n"
    "73 cannot create output, 74 I/O error, 75 stopped by a signal,\n"
    "78 bad configuration.\n";

/* Appends an override of config key `key` (both strings copied); -1
 * when out of memory. */
static int add_override(struct options *o, const char *key, const char *value)
{
    char **k = realloc(o->keys, (size_t)(o->n + 1) * sizeof *k);
    char **v;
    if (k == NULL)
        return -1;
    o->keys = k;
    v = realloc(o->values, (size_t)(o->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    o->values = v;
    o->keys[o->n] = strdup(key);
    o->values[o->n] = strdup(value);
    if (o->keys[o->n] == NULL || o->values[o->n] == NULL) {
        free(o->keys[o->n]);
        free(o->values[o->n]);
        return -1;
    }
    o->n++;
    return 0;
}

void options_release(struct options *o)
{
    int i;
    for (i = 0; i < o->n; i++) {
        free(o->keys[i]);
        free(o->values[i]);
    }
    free(o->keys);
    free(o->values);
}

int options_parse(int argc, char **argv, struct options *o, char *msg, size_t msize)
{
    enum {
        OPT_FORMAT = 256,
        OPT_INPUT_FORMAT,
        OPT_START,
        OPT_END,
        OPT_CHUNK,
        OPT_STRICT,
        OPT_SET,
        OPT_STALL
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"start", required_argument, NULL, OPT_START},
        {"end", required_argument, NULL, OPT_END},
        {"threads", required_argument, NULL, 't'},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"set", required_argument, NULL, OPT_SET},
        {"stall-seconds", required_argument, NULL, OPT_STALL},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int c, bad = 0;

    memset(o, 0, sizeof *o);
    o->config = "config/ocpagg.yaml";
    opterr = 0;
    /* The leading ':' tells a missing value (':') from an unknown option. */
    while ((c = getopt_long(argc, argv, ":c:i:o:t:qvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'i': bad |= add_override(o, "input.path", optarg); break;
        case OPT_INPUT_FORMAT: bad |= add_override(o, "input.format", optarg); break;
        case 'o': bad |= add_override(o, "output.path", optarg); break;
        case OPT_FORMAT: bad |= add_override(o, "output.format", optarg); break;
        case OPT_START: bad |= add_override(o, "start_date", optarg); break;
        case OPT_END: bad |= add_override(o, "end_date", optarg); break;
        case 't': bad |= add_override(o, "threads", optarg); break;
        case OPT_CHUNK: bad |= add_override(o, "chunk_rows", optarg); break;
        case OPT_STRICT: bad |= add_override(o, "strict", "true"); break;
        case OPT_SET: {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg) {
                snprintf(msg, msize, "--set needs KEY=VALUE, got '%s'", optarg);
                ocp_error_oneline(msg);
                return OCP_ERR_USAGE;
            }
            *eq = '\0';
            bad |= add_override(o, optarg, eq + 1);
            *eq = '=';
            break;
        }
        case OPT_STALL: {
            char *end = NULL;
            o->stall_seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o->stall_seconds >= 0) ||
                o->stall_seconds > 1e6) {
                snprintf(msg, msize, "--stall-seconds needs a number of seconds, got '%s'", optarg);
                ocp_error_oneline(msg);
                return OCP_ERR_USAGE;
            }
            break;
        }
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': o->help = 1; break;
        case 'V': o->version = 1; break;
        default: {
            /* Named as typed: a long option by its word (optopt holds its
             * code, no character), a short one by its letter, which may
             * sit in a cluster such as -qx. */
            const char *typed = argv[optind - 1];
            int is_long = strncmp(typed, "--", 2) == 0;
            char name[64];
            if (is_long || optopt <= 0 || optopt > 127)
                snprintf(name, sizeof name, "%.*s", (int)strcspn(typed, "="), typed);
            else
                snprintf(name, sizeof name, "-%c", optopt);
            if (c == ':')
                snprintf(msg, msize, "option '%s' needs a value", name);
            else if (is_long && strchr(typed, '=') != NULL)
                snprintf(msg, msize, "option '%s' is unknown or takes no value", name);
            else
                snprintf(msg, msize, "option '%s' is unknown", name);
            ocp_error_oneline(msg);
            return OCP_ERR_USAGE;
        }
        }
    }
    if (optind < argc) {
        snprintf(msg, msize, "unexpected argument '%s'", argv[optind]);
        ocp_error_oneline(msg);
        return OCP_ERR_USAGE;
    }
    if (bad) {
        snprintf(msg, msize, "out of memory");
        return OCP_ERR_OSERR;
    }
    return OCP_OK;
}
