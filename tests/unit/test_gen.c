/* test_gen.c - the synthetic data generator: closed-form row counts,
 * determinism per seed, independence from the block size, the realism
 * properties the job's tests rely on, and a round trip through HDF5. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocpagg/gen.h"
#include "ocpagg/h5.h"
#include "ocpagg/text.h"
#include "testlib.h"

/* ---- digest of a table's content (strings resolved, NULLs marked) ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static uint64_t digest_batch(uint64_t h, const struct ocp_batch *b)
{
    const struct ocp_tablespec *spec = ocp_table_spec(b->table);
    size_t r;
    int c;

    for (r = 0; r < b->nrows; r++)
        for (c = 0; c < spec->ncols; c++) {
            const struct ocp_column *col = &b->col[c];
            if (!col->present) {
                h = fnv(h, "A", 1);
            } else if (spec->cols[c].kind == OCP_KIND_TIME) {
                h = fnv(h, &col->ts[r], 8);
            } else if (spec->cols[c].kind == OCP_KIND_NUMBER) {
                double v = col->num[r];
                if (isnan(v))
                    h = fnv(h, "N", 1);
                else
                    h = fnv(h, &v, 8);
            } else if (col->str.ids[r] == OCP_NULL_ID) {
                h = fnv(h, "\0N", 2);
            } else {
                size_t len;
                const char *s = ocp_strdict_get(col->str.dict, col->str.ids[r], &len);
                h = fnv(h, &len, sizeof len);
                h = fnv(h, s, len);
            }
        }
    return h;
}

struct digest_sink {
    uint64_t h[OCP_TABLE_COUNT];
    int64_t rows[OCP_TABLE_COUNT];
    int begun, ended;
};

static int d_begin(void *ctx, enum ocp_table t, struct ocp_error *err)
{
    struct digest_sink *d = ctx;
    (void)err;
    d->h[t] = UINT64_C(1469598103934665603);
    d->begun++;
    return OCP_OK;
}

static int d_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct digest_sink *d = ctx;
    (void)err;
    d->h[b->table] = digest_batch(d->h[b->table], b);
    d->rows[b->table] += (int64_t)b->nrows;
    return OCP_OK;
}

static int d_end(void *ctx, enum ocp_table t, int64_t rows, struct ocp_error *err)
{
    struct digest_sink *d = ctx;
    (void)err;
    CHECK_INT(rows, d->rows[t]);
    d->ended++;
    return OCP_OK;
}

static void run_digest(const struct gen_config *c, struct digest_sink *d)
{
    struct gen_sink s = {d, d_begin, d_write, d_end};
    struct ocp_error err;
    int64_t rows[OCP_TABLE_COUNT];
    int t;

    memset(d, 0, sizeof *d);
    CHECK_INT(gen_all(c, &s, rows, &err), OCP_OK);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        CHECK_INT(rows[t], d->rows[t]);
}

static void test_row_counts(void)
{
    struct gen_config c;
    struct digest_sink d;

    gen_config_default(&c);
    c.nodes = 5;
    c.pods_per_node = 3;
    c.days = 2;
    c.namespaces = 7;
    run_digest(&c, &d);
    CHECK_INT(d.begun, 4);
    CHECK_INT(d.ended, 4);
    CHECK_INT(d.rows[OCP_TABLE_POD], 5 * 3 * 24 * 2);
    /* 5 stateful PVCs, 3 mounts of the shared one, 2 orphans, hourly. */
    CHECK_INT(d.rows[OCP_TABLE_STORAGE], (5 + 3 + 2) * 24 * 2);
    CHECK_INT(d.rows[OCP_TABLE_NODE_LABELS], 5 * 24 * 2);
    CHECK_INT(d.rows[OCP_TABLE_NAMESPACE_LABELS], 7 * 24 * 2);
    CHECK_INT(gen_expected_rows(&c, OCP_TABLE_STORAGE), 480);

    /* One pod per node: no stateful or shared PVCs, only the orphans. */
    c.pods_per_node = 1;
    c.days = 1;
    run_digest(&c, &d);
    CHECK_INT(d.rows[OCP_TABLE_POD], 5 * 24);
    CHECK_INT(d.rows[OCP_TABLE_STORAGE], 2 * 24);

    /* The built-in sample. */
    gen_config_default(&c);
    run_digest(&c, &d);
    CHECK_INT(d.rows[OCP_TABLE_POD], 2880);
    CHECK_INT(d.rows[OCP_TABLE_STORAGE], (4 + 3 + 2) * 72);
    CHECK_INT(d.rows[OCP_TABLE_NODE_LABELS], 288);
    CHECK_INT(d.rows[OCP_TABLE_NAMESPACE_LABELS], 18 * 72);
}

static void test_determinism(void)
{
    struct gen_config c;
    struct digest_sink a, b;
    int t, same = 0;

    gen_config_default(&c);
    c.bad_labels = 1;
    run_digest(&c, &a);
    run_digest(&c, &b);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        CHECK(a.h[t] == b.h[t]);
    /* The block size only changes how rows are cut into batches. */
    c.block_rows = 1000;
    run_digest(&c, &b);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        CHECK(a.h[t] == b.h[t]);
    c.block_rows = 65536;
    c.seed = 2;
    run_digest(&c, &b);
    for (t = 0; t < OCP_TABLE_COUNT; t++)
        same += a.h[t] == b.h[t];
    CHECK_INT(same, 0);
    CHECK_INT(b.rows[OCP_TABLE_POD], a.rows[OCP_TABLE_POD]);
}

static void test_config_check(void)
{
    struct gen_config c;
    struct ocp_error err;
    struct digest_sink d;
    struct gen_sink s = {&d, d_begin, d_write, d_end};

    gen_config_default(&c);
    CHECK_INT(gen_config_check(&c, &err), OCP_OK);
    c.namespaces = 5;
    CHECK_INT(gen_config_check(&c, &err), OCP_ERR_USAGE);
    CHECK_INT(gen_all(&c, &s, NULL, &err), OCP_ERR_USAGE);
    gen_config_default(&c);
    c.nodes = 0;
    CHECK_INT(gen_config_check(&c, &err), OCP_ERR_USAGE);
    gen_config_default(&c);
    c.days = 0;
    CHECK_INT(gen_config_check(&c, &err), OCP_ERR_USAGE);
    gen_config_default(&c);
    c.nodes = 100000;
    c.pods_per_node = 1000;
    c.days = 31;
    CHECK_INT(gen_config_check(&c, &err), OCP_ERR_USAGE); /* > 2^31 rows */
}

/* Large-memory nodes (--node-memory-gib): every scheduled pod row carries
 * a whole number of GiB in [max/2, max], spread over that range, a day of cluster memory capacity
 * in byte-seconds passes 2^64, and the output stays a pure function of the seed. */
struct mem_sink {
    double lo, hi, whole_gib_bad;
    int64_t rows;
};

static int m_begin(void *ctx, enum ocp_table t, struct ocp_error *err)
{
    (void)ctx, (void)t, (void)err;
    return OCP_OK;
}

static int m_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct mem_sink *ms = ctx;
    size_t r;
    (void)err;
    if (b->table != OCP_TABLE_POD)
        return OCP_OK;
    for (r = 0; r < b->nrows; r++) {
        double v = b->col[POD_CAP_MEM_BYTES].num[r];
        if (v == 0)
            continue; /* an unscheduled pod's row */
        ms->rows++;
        ms->lo = fmin(ms->lo, v);
        ms->hi = fmax(ms->hi, v);
        if (v / 1073741824.0 != floor(v / 1073741824.0))
            ms->whole_gib_bad++;
        if (b->col[POD_CAP_MEM_SEC].num[r] != v * 3600.0)
            ms->whole_gib_bad++;
    }
    return OCP_OK;
}

static int m_end(void *ctx, enum ocp_table t, int64_t rows, struct ocp_error *err)
{
    (void)ctx, (void)t, (void)rows, (void)err;
    return OCP_OK;
}

static void test_node_memory(void)
{
    struct gen_config c;
    struct ocp_error err;
    struct mem_sink ms = {INFINITY, -INFINITY, 0, 0};
    struct gen_sink s = {&ms, m_begin, m_write, m_end};
    struct digest_sink a, b;

    gen_config_default(&c);
    c.nodes = 400;
    c.pods_per_node = 1;
    c.days = 1;
    c.node_memory_gib = 2048;
    CHECK_INT(gen_table(&c, OCP_TABLE_POD, &s, NULL, &err), OCP_OK);
    CHECK(ms.rows > 9000);
    CHECK(ms.lo >= 1024.0 * 1073741824.0);
    CHECK(ms.hi <= 2048.0 * 1073741824.0);
    CHECK(ms.hi - ms.lo > 900.0 * 1073741824.0); /* spread over the range */
    CHECK(ms.whole_gib_bad == 0);
    /* Even 400 nodes at the smallest size pass 2^64 byte-seconds a day. */
    CHECK(400.0 * ms.lo * 86400.0 > 18446744073709551616.0);

    run_digest(&c, &a);
    run_digest(&c, &b);
    CHECK(a.h[OCP_TABLE_POD] == b.h[OCP_TABLE_POD]);
    c.node_memory_gib = 0;
    run_digest(&c, &b);
    CHECK(a.h[OCP_TABLE_POD] != b.h[OCP_TABLE_POD]);
    c.node_memory_gib = (1u << 20) + 1;
    CHECK_INT(gen_config_check(&c, &err), OCP_ERR_USAGE);
}

/* --fine-usage: CPU usage that is not a multiple of 1/1024 core-second,
 * nearly idle hours below one core-second, still deterministic. */
struct fine_sink {
    int64_t tiny, nondyadic, rows;
};

static int f_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct fine_sink *fs = ctx;
    size_t r;
    (void)err;
    if (b->table != OCP_TABLE_POD)
        return OCP_OK;
    for (r = 0; r < b->nrows; r++) {
        double v = b->col[POD_USAGE_CPU].num[r];
        if (isnan(v))
            continue;
        fs->rows++;
        fs->tiny += v > 0 && v < 1.0;
        fs->nondyadic += v * 1024.0 != floor(v * 1024.0);
    }
    return OCP_OK;
}

static void test_fine_usage(void)
{
    struct gen_config c;
    struct ocp_error err;
    struct fine_sink fs = {0, 0, 0};
    struct gen_sink s = {&fs, m_begin, f_write, m_end};
    struct digest_sink a, b;

    gen_config_default(&c);
    c.fine_usage = 1;
    CHECK_INT(gen_table(&c, OCP_TABLE_POD, &s, NULL, &err), OCP_OK);
    CHECK(fs.tiny > fs.rows / 20);
    CHECK(fs.nondyadic > fs.rows / 2);
    run_digest(&c, &a);
    run_digest(&c, &b);
    CHECK(a.h[OCP_TABLE_POD] == b.h[OCP_TABLE_POD]);
    /* Without it, usage stays on the 1/1024 grid. */
    memset(&fs, 0, sizeof fs);
    c.fine_usage = 0;
    CHECK_INT(gen_table(&c, OCP_TABLE_POD, &s, NULL, &err), OCP_OK);
    CHECK_INT(fs.nondyadic, 0);
}

/* The generator's output written with the HDF5 writer reads back to the
 * same content. */
static int w_begin(void *ctx, enum ocp_table t, struct ocp_error *err)
{
    return h5_writer_begin_table(ctx, t, 1, err);
}
static int w_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    return h5_writer_append(ctx, b, err);
}
static int w_end(void *ctx, enum ocp_table t, int64_t rows, struct ocp_error *err)
{
    (void)t;
    (void)rows;
    return h5_writer_end_table(ctx, err);
}

static void test_hdf5_round_trip(void)
{
    struct gen_config c;
    struct digest_sink want;
    struct h5_writer *w = NULL;
    struct h5_file *f = NULL;
    struct ocp_error err;
    char path[256];
    const char *tmp = getenv("TMPDIR");
    int t, fd;

    snprintf(path, sizeof path, "%s/test_gen.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        CHECK(0);
        return;
    }
    close(fd);
    gen_config_default(&c);
    c.bad_labels = 1;
    c.block_rows = 777;
    run_digest(&c, &want);
    CHECK_INT(h5_writer_create(path, &w, &err), OCP_OK);
    CHECK_INT(h5_writer_set_chunk_rows(w, 500), OCP_OK);
    {
        struct gen_sink s = {w, w_begin, w_write, w_end};
        CHECK_INT(gen_all(&c, &s, NULL, &err), OCP_OK);
    }
    CHECK_INT(h5_writer_close(w, &err), OCP_OK);
    CHECK_INT(h5_file_open(path, H5P_DEFAULT, &f, &err), OCP_OK);
    for (t = 0; f != NULL && t < OCP_TABLE_COUNT; t++) {
        struct h5_table *tab = NULL;
        struct ocp_arena a;
        struct ocp_batch b;
        uint64_t h = UINT64_C(1469598103934665603);
        int64_t at = 0, n;

        CHECK_INT(h5_table_open(f, (enum ocp_table)t, ocp_table_spec((enum ocp_table)t)->name, &tab,
                                &err),
                  OCP_OK);
        if (tab == NULL)
            continue;
        CHECK_INT(h5_table_num_rows(tab), want.rows[t]);
        ocp_arena_init(&a, 0);
        /* Odd-sized reads, so they straddle the 500-row chunks. */
        for (at = 0; at < h5_table_num_rows(tab); at += n) {
            n = h5_table_num_rows(tab) - at;
            if (n > 613)
                n = 613;
            if (h5_table_read(tab, at, n, &a, &b, &err) != OCP_OK) {
                CHECK(0);
                break;
            }
            h = digest_batch(h, &b);
            ocp_arena_reset(&a);
        }
        CHECK(h == want.h[t]);
        ocp_arena_release(&a);
        h5_table_close(tab);
    }
    h5_file_close(f);
    unlink(path);
}

int main(void)
{
    RUN(test_row_counts);
    RUN(test_determinism);
    RUN(test_config_check);
    RUN(test_node_memory);
    RUN(test_fine_usage);
    RUN(test_hdf5_round_trip);
    return TEST_SUMMARY();
}
