/*
 * pg_bench.c - the write phase of the PostgreSQL output on a real report
 * (built and run by bench/pg.sh).
 *
 *   pg_bench REPORT.csv CONNINFO START END [DUMP.csv]
 *
 * Reads the CSV report of a run, turns each day into the block
 * pg_encode_block would send (the 37 columns, all_labels {} for NULL),
 * then times the database write phase twice: into the fresh table and as
 * a rerun (which also deletes the first run's rows), each as pre-flight
 * + partitions + begin (lock, DELETE, COPY) + blocks + commit.  DUMP
 * receives the same 37-column text, for psql \copy.  Also times
 * pg_encode_block on synthetic rows (the part the ranks do in parallel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocpagg/pg.h"
#include "ocpagg/report.h"
#include "ocpagg/text.h"
#include "test_pg_rows.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct day_block {
    char day[11];
    struct rpt_buf text;
    long rows;
};

static int add(struct rpt_buf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 20;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* One CSV line of the report (38 columns) as the 37-column COPY line. */
static int convert(const char *line, size_t len, struct rpt_buf *out, char day[11])
{
    size_t i = 0;
    int col = 0;
    while (i <= len) {
        size_t start = i;
        int quoted = i < len && line[i] == '"';
        if (quoted) {
            i++;
            while (i < len) {
                if (line[i] == '"' && i + 1 < len && line[i + 1] == '"')
                    i += 2;
                else if (line[i] == '"')
                    break;
                else
                    i++;
            }
            i++;
        } else {
            while (i < len && line[i] != ',')
                i++;
        }
        if (col == 5 && i - start == 10)
            memcpy(day, line + start, 10), day[10] = '\0';
        if (col != 36) { /* csi_volume_handle */
            if (col > 0 && add(out, ",", 1) != 0)
                return -1;
            if (col == 29 && i == start) { /* all_labels NULL */
                if (add(out, "\"{}\"", 4) != 0)
                    return -1;
            } else if (add(out, line + start, i - start) != 0) {
                return -1;
            }
        }
        col++;
        i++; /* the comma */
    }
    if (col != 38)
        return -2;
    return add(out, "\n", 1);
}

static int run(const struct pg_options *o, struct day_block *days, int ndays, long rows,
               const char *label)
{
    struct pg_target tg;
    struct pg_partition_result pr;
    struct pg_writer *w;
    struct ocp_error err;
    int64_t deleted, copied;
    double t0 = now(), t1, t2, t3;

    if (pg_preflight(o, &tg, stderr, &err) != OCP_OK ||
        pg_prepare_partitions(o, &pr, &err) != OCP_OK)
        goto fail;
    t1 = now();
    if (pg_writer_begin(&w, o, &tg.periods, &err) != OCP_OK)
        goto fail;
    t2 = now();
    for (int d = 0; d < ndays; d++)
        if (pg_writer_write(w, (unsigned char *)days[d].text.data, days[d].text.len, &err) !=
            OCP_OK)
            goto fail;
    if (pg_writer_commit(w, rows, &err) != OCP_OK)
        goto fail;
    t3 = now();
    pg_writer_counts(w, &deleted, &copied);
    pg_writer_destroy(w);
    printf("%-7s rows %ld  deleted %lld  copied %lld  pre-flight+partitions "
           "%.3f s  begin(lock+DELETE) %.3f s  COPY+commit %.3f s  write "
           "phase %.3f s  %.0f rows/s\n",
           label, rows, (long long)deleted, (long long)copied, t1 - t0, t2 - t1, t3 - t2, t3 - t1,
           (double)rows / (t3 - t1));
    return 0;
fail:
    fprintf(stderr, "pg_bench: %s\n", err.message);
    return 1;
}

static void bench_encode(void)
{
    struct rpt_table t;
    struct rpt_buf b = {0};
    struct rpt_meta m = {1, TP_CLUSTER, TP_ALIAS, TP_SOURCE};
    struct ocp_error err;
    double t0;
    rpt_table_init(&t);
    tp_build(&t, tp_day("2025-11-01"), tp_day("2025-11-30"), 4000, 1);
    t0 = now();
    if (pg_encode_block(&t, &m, NULL, &b, &err) != OCP_OK) {
        fprintf(stderr, "pg_bench: encode: %s\n", err.message);
        exit(1);
    }
    {
        double s = now() - t0;
        printf("encode  rows %zu  %.3f s  %.0f rows/s  %.0f MB/s (one thread, "
               "pg_encode_block)\n",
               t.count, s, (double)t.count / s, (double)b.len / 1e6 / s);
    }
    b.len = 0;
    t0 = now();
    if (rpt_csv_rows(&t, &m, 0, t.count, &b) != OCP_OK)
        exit(1);
    {
        double s = now() - t0;
        printf("csv     rows %zu  %.3f s  %.0f rows/s  %.0f MB/s (one thread, "
               "rpt_csv_rows, for comparison)\n",
               t.count, s, (double)t.count / s, (double)b.len / 1e6 / s);
    }
    rpt_buf_release(&b);
    rpt_table_release(&t);
}

int main(int argc, char **argv)
{
    static const int64_t ids[] = {1, 2};
    struct day_block *days = NULL;
    int ndays = 0;
    long rows = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *f;
    struct pg_options o;

    if (argc < 5) {
        fprintf(stderr, "usage: pg_bench REPORT.csv CONNINFO START END [DUMP]\n");
        return 64;
    }
    f = fopen(argv[1], "r");
    if (f == NULL || getline(&line, &cap, f) < 0) {
        perror(argv[1]);
        return 66;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        char day[11] = "";
        struct rpt_buf tmp = {0};
        if (line[n - 1] == '\n')
            n--;
        if (convert(line, (size_t)n, &tmp, day) != 0) {
            fprintf(stderr, "pg_bench: bad line %ld\n", rows + 2);
            return 65;
        }
        if (ndays == 0 || strcmp(days[ndays - 1].day, day) != 0) {
            days = realloc(days, sizeof *days * (size_t)(ndays + 1));
            memset(&days[ndays], 0, sizeof *days);
            memcpy(days[ndays].day, day, 11);
            ndays++;
        }
        add(&days[ndays - 1].text, tmp.data, tmp.len);
        days[ndays - 1].rows++;
        rpt_buf_release(&tmp);
        rows++;
    }
    fclose(f);
    if (argc > 5) {
        FILE *d = fopen(argv[5], "w");
        for (int i = 0; d && i < ndays; i++)
            fwrite(days[i].text.data, 1, days[i].text.len, d);
        if (d == NULL || fclose(d) != 0) {
            perror(argv[5]);
            return 73;
        }
    }
    memset(&o, 0, sizeof o);
    o.conninfo = argv[2];
    o.schema = "org1234567";
    o.create_partitions = 1;
    o.lock_timeout_seconds = 60;
    o.report_period_id = 1;
    o.cluster_id = TP_CLUSTER;
    o.cluster_alias = TP_ALIAS;
    o.source_uuid = TP_SOURCE;
    o.start_date = tp_day(argv[3]);
    o.end_date = tp_day(argv[4]);
    o.cost_category_ids = ids;
    o.n_cost_category_ids = 2;
    bench_encode();
    if (run(&o, days, ndays, rows, "fresh") != 0 || run(&o, days, ndays, rows, "rerun") != 0)
        return 74;
    return 0;
}
