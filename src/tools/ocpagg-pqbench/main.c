/*
 * ocpagg-pqbench - decode throughput of the Parquet reader, per column
 * kind.
 *
 *   ocpagg-pqbench [--repeat N] [--no-table] [--no-crc] PATH...
 *
 * Each PATH is a Parquet file or a dataset directory (every *.parquet
 * below it).  Every column chunk of every row group is decoded N times,
 * one chunk at a time on one thread, and the thread's CPU time is summed
 * per column kind: physical type, logical type and encoding family, such
 * as "BYTE_ARRAY STRING dict" or "INT64 TIMESTAMP(MICROS,UTC) plain".  MAP
 * columns are decoded the way the job reads them, as JSON label text with
 * pq_map_read_json, and count as one kind.  Throughput is given in MB/s of
 * uncompressed page bytes (the footer's total_uncompressed_size, page
 * headers included, so compression does not flatter or hide anything) and
 * in values/s (level entries; rows for MAPs).  Unless --no-table, each
 * pass then also reads each row group of a line-item table through
 * pq_table_read, the job's input adapter, for its rows/s.
 *
 * Exit status: 0, or the sysexits-style code of the first error.
 */
#include "ocpagg/arena.h"
#include "ocpagg/error.h"
#include "ocpagg/parquet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KINDS 64
#define KIND_NAME_MAX 80

/* Time and volume of every chunk decoded as one kind. */
struct kind {
    char name[KIND_NAME_MAX];
    long chunks;   /* column chunks decoded, repetitions included */
    double bytes;  /* uncompressed page bytes */
    double values; /* level entries, or rows for a MAP */
    double seconds;
};

struct bench {
    int repeat;
    int tables;
    int check_crc;
    struct kind kinds[MAX_KINDS];
    int nkinds;
    long files, row_groups;
    double rows;       /* rows of all files, once */
    double table_rows; /* rows read through pq_table_read */
    double table_seconds;
    double wall; /* wall-clock seconds of all passes */
    struct ocp_arena arena;
};

/* Seconds on clock c.  Chunks are timed on this thread's CPU clock: the
 * machines we run on are shared, and wall time would also count the
 * time other processes hold the core.  Reads from the page cache are
 * system time of this thread, so they are counted. */
static double clock_s(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: ocpagg-pqbench [--repeat N] [--no-table] [--no-crc] PATH...\n"
                 "  PATH        a Parquet file or a dataset directory\n"
                 "  --repeat N  decode everything N times (default 1)\n"
                 "  --no-table  skip the pq_table_read pass\n"
                 "  --no-crc    do not verify page CRCs (the job's input.verify_crc:\n"
                 "              false); by default they are checked where present\n");
}

/* The encoding family of a chunk from the encodings its footer lists. */
static const char *encoding_family(uint32_t enc)
{
    if (enc & ((1u << PQ_ENC_PLAIN_DICTIONARY) | (1u << PQ_ENC_RLE_DICTIONARY)))
        return "dict";
    if (enc & ((1u << PQ_ENC_DELTA_BINARY_PACKED) | (1u << PQ_ENC_DELTA_LENGTH_BYTE_ARRAY) |
               (1u << PQ_ENC_DELTA_BYTE_ARRAY)))
        return "delta";
    if (enc & (1u << PQ_ENC_BYTE_STREAM_SPLIT))
        return "byte-stream-split";
    return "plain";
}

/* The kind's accumulator for name, added when new; NULL when the table of
 * kinds is full (the chunk is then left out of the figures). */
static struct kind *kind_get(struct bench *b, const char *name)
{
    int i;

    for (i = 0; i < b->nkinds; i++)
        if (strcmp(b->kinds[i].name, name) == 0)
            return &b->kinds[i];
    if (b->nkinds == MAX_KINDS)
        return NULL;
    snprintf(b->kinds[b->nkinds].name, KIND_NAME_MAX, "%s", name);
    return &b->kinds[b->nkinds++];
}

/* Decodes column col of row group rg once and books it. */
static int bench_chunk(struct bench *b, const struct pq_file *f, int rg, int col,
                       struct ocp_error *err)
{
    const struct pq_colinfo *ci = pq_file_column(f, col);
    struct pq_chunkinfo info, vinfo;
    char name[KIND_NAME_MAX], logical[48];
    double t0, t1, bytes, values;
    struct kind *k;
    int rc = OCP_OK;

    /* A MAP is decoded once, from its key leaf; its value leaf's bytes
     * are booked there. */
    if (ci->shape == PQ_SHAPE_MAP_VALUE && ci->map_key >= 0)
        return OCP_OK;
    if ((rc = pq_chunk_info(f, rg, col, &info, err)) != OCP_OK)
        return rc;
    bytes = (double)info.uncompressed_size;
    if (ci->shape == PQ_SHAPE_MAP_KEY) {
        struct ocp_strcol m;
        if (ci->map_value >= 0) {
            rc = pq_chunk_info(f, rg, ci->map_value, &vinfo, err);
            if (rc != OCP_OK)
                return rc;
            bytes += (double)vinfo.uncompressed_size;
        }
        snprintf(name, sizeof name, "MAP labels -> JSON (%s)", encoding_family(info.encodings));
        t0 = now();
        rc = pq_map_read_json(f, rg, col, 0, -1, &b->arena, &m, err);
        t1 = now();
        values = (double)pq_row_group_num_rows(f, rg);
        ocp_arena_reset(&b->arena);
    }
    /* A MAP whose values are not scalars cannot become label text; its
     * key leaf is then timed like any nested column. */
    if (ci->shape != PQ_SHAPE_MAP_KEY || rc == OCP_ERR_UNSUPPORTED) {
        struct pq_colvalues v;
        pq_logical_describe(ci, logical, sizeof logical);
        bytes = (double)info.uncompressed_size;
        snprintf(name, sizeof name, "%s%s%s%s %s", ci->shape != PQ_SHAPE_FLAT ? "nested " : "",
                 pq_type_name(ci->type), logical[0] ? " " : "", logical,
                 encoding_family(info.encodings));
        t0 = now();
        rc = pq_column_read(f, rg, col, 0, -1, &b->arena, &v, err);
        t1 = now();
        values = rc == OCP_OK ? (double)v.nlevels : 0;
    }
    ocp_arena_reset(&b->arena);
    if (rc != OCP_OK)
        return rc;
    if ((k = kind_get(b, name)) != NULL) {
        k->chunks++;
        k->bytes += bytes;
        k->values += values;
        k->seconds += t1 - t0;
    }
    return OCP_OK;
}

/* Reads every row group of f as the first line-item table it fits. */
static int bench_table(struct bench *b, struct pq_file *f, struct ocp_error *err)
{
    int t, rg, rc;

    for (t = 0; t < OCP_TABLE_COUNT; t++) {
        struct ocp_error ignore;
        if (pq_table_check(f, (enum ocp_table)t, &ignore) == OCP_OK)
            break;
    }
    if (t == OCP_TABLE_COUNT)
        return OCP_OK;
    for (rg = 0; rg < pq_file_num_row_groups(f); rg++) {
        struct ocp_batch batch;
        int64_t n = pq_row_group_num_rows(f, rg);
        double t0 = now();
        rc = pq_table_read(f, (enum ocp_table)t, rg, 0, n, &b->arena, &batch, err);
        b->table_seconds += now() - t0;
        ocp_arena_reset(&b->arena);
        if (rc != OCP_OK)
            return rc;
        b->table_rows += (double)n;
    }
    return OCP_OK;
}

/* One pass over one file; pass 0 also counts files, row groups and rows. */
static int bench_file(struct bench *b, const char *path, int pass, struct ocp_error *err)
{
    struct pq_file *f = NULL;
    struct pq_open_options opt;
    int rg, col, rc;

    pq_open_options_init(&opt);
    opt.check_crc = b->check_crc;
    if ((rc = pq_file_open(path, &opt, &f, err)) != OCP_OK)
        return rc;
    if (pass == 0) {
        b->files++;
        b->row_groups += pq_file_num_row_groups(f);
        b->rows += (double)pq_file_num_rows(f);
    }
    for (rg = 0; rg < pq_file_num_row_groups(f); rg++)
        for (col = 0; col < pq_file_num_columns(f); col++)
            if ((rc = bench_chunk(b, f, rg, col, err)) != OCP_OK)
                goto done;
    if (b->tables)
        rc = bench_table(b, f, err);
done:
    pq_file_close(f);
    return rc;
}

static void print_row(const char *name, long chunks, double bytes, double values, double seconds)
{
    double s = seconds > 0 ? seconds : 1e-12;

    printf("%-44s %7ld %10.1f %14.0f %8.3f %9.1f %9.2f\n", name, chunks, bytes / 1e6, values,
           seconds, bytes / 1e6 / s, values / 1e6 / s);
}

static void print_report(const struct bench *b)
{
    struct kind total;
    int i;

    memset(&total, 0, sizeof total);
    printf("files: %ld  row groups: %ld  rows: %.0f  passes: %d  (one "
           "thread; rates per CPU second)\n",
           b->files, b->row_groups, b->rows, b->repeat);
    printf("%-44s %7s %10s %14s %8s %9s %9s\n", "column kind", "chunks", "MB", "values", "cpu s",
           "MB/s", "Mvalues/s");
    for (i = 0; i < b->nkinds; i++) {
        const struct kind *k = &b->kinds[i];
        print_row(k->name, k->chunks, k->bytes, k->values, k->seconds);
        total.chunks += k->chunks;
        total.bytes += k->bytes;
        total.values += k->values;
        total.seconds += k->seconds;
    }
    print_row("total", total.chunks, total.bytes, total.values, total.seconds);
    if (b->tables && b->table_seconds > 0)
        printf("pq_table_read: %.0f rows in %.3f cpu s = %.2f M rows/s\n", b->table_rows,
               b->table_seconds, b->table_rows / 1e6 / b->table_seconds);
    printf("wall clock: %.3f s for all passes\n", b->wall);
}

/* Sorts kinds by name so that the table reads the same from run to run. */
static int kind_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kind *)a)->name, ((const struct kind *)b)->name);
}

int main(int argc, char **argv)
{
    struct bench *b = calloc(1, sizeof *b);
    struct ocp_error err;
    char ***lists = NULL;
    size_t *counts = NULL;
    int i, npaths = 0, pass, rc = OCP_OK;
    size_t k;

    if (b == NULL || (lists = calloc((size_t)argc, sizeof *lists)) == NULL ||
        (counts = calloc((size_t)argc, sizeof *counts)) == NULL) {
        fprintf(stderr, "ocpagg-pqbench: out of memory\n");
        free(b);
        free(lists);
        return OCP_ERR_OSERR;
    }
    b->repeat = 1;
    b->tables = 1;
    b->check_crc = 1;
    ocp_arena_init(&b->arena, 0);
    ocp_error_clear(&err);
    for (i = 1; i < argc && rc == OCP_OK; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            b->repeat = atoi(argv[++i]);
            if (b->repeat < 1) {
                usage(stderr);
                rc = OCP_ERR_USAGE;
            }
        } else if (strcmp(argv[i], "--no-crc") == 0) {
            b->check_crc = 0;
        } else if (strcmp(argv[i], "--no-table") == 0) {
            b->tables = 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            goto done;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            rc = OCP_ERR_USAGE;
        } else {
            rc = pq_dataset_list(argv[i], &lists[npaths], &counts[npaths], &err);
            npaths++;
        }
    }
    if (rc == OCP_OK && npaths == 0) {
        usage(stderr);
        rc = OCP_ERR_USAGE;
    }
    b->wall = clock_s(CLOCK_MONOTONIC);
    for (pass = 0; pass < b->repeat && rc == OCP_OK; pass++)
        for (i = 0; i < npaths && rc == OCP_OK; i++)
            for (k = 0; k < counts[i] && rc == OCP_OK; k++)
                rc = bench_file(b, lists[i][k], pass, &err);
    b->wall = clock_s(CLOCK_MONOTONIC) - b->wall;
    if (rc == OCP_OK) {
        qsort(b->kinds, (size_t)b->nkinds, sizeof b->kinds[0], kind_cmp);
        print_report(b);
    } else if (err.code != OCP_OK) {
        char msg[2048];
        ocp_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "ocpagg-pqbench: %s\n", msg);
    }
done:
    for (i = 0; i < npaths; i++)
        pq_dataset_free(lists[i], counts[i]);
    free(lists);
    free(counts);
    ocp_arena_release(&b->arena);
    free(b);
    return rc;
}
