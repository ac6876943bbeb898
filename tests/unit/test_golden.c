/*
 * test_golden.c - a tiny dataset with a hand-computed report.
 *
 * The rows below were chosen so every output number can be worked out by
 * hand (see tests/data/golden/README.md for the arithmetic).  The test
 * aggregates them in several splits and merge orders, writes the CSV and
 * compares it byte for byte with tests/data/golden/expected.csv.
 * With `--write-h5 PATH` it instead writes the dataset as HDF5, which
 * tests/scripts/t_golden.sh runs through the real MPI job.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchbuild.h"
#include "ocpagg/agg.h"
#include "ocpagg/h5.h"
#include "ocpagg/labels.h"
#include "ocpagg/text.h"
#include "testlib.h"

#define N NAN
#define G 1073741824.0                 /* 2^30 */
#define DAY1 INT64_C(1761955200000000) /* 2025-11-01T00:00:00Z in µs */
#define HOUR INT64_C(3600000000)
#define DAY2 (DAY1 + 24 * HOUR)

enum { NPOD = 7, NSTO = 3, NNL = 4, NNSL = 1 };

static struct bb_store store;
static struct ocp_batch pods, storage, node_labels, ns_labels;

static void build(void)
{
    static const int64_t pod_ts[NPOD] = {DAY1, DAY1 + HOUR, DAY1, DAY1, DAY1, DAY2, DAY1};
    static const char *ns[NPOD] = {"web", "web", "kube-system", "web", "openshift-kube-apiserver",
                                   "web", "web"};
    static const char *node[NPOD] = {"n1", "n1", "n1", "", "m1", "n1", "n2"};
    static const char *pod[NPOD] = {"p1", "p1", "p2", "p3", "api", "p1", "p9"};
    static const char *rid[NPOD] = {"i-1", "i-1", "i-1", NULL, "i-m", "i-1", "i-2"};
    static const char *role[NPOD] = {NULL, NULL, NULL, NULL, NULL, NULL, "infra"};
    static const double usage_cpu[NPOD] = {1800, 3600, 360, 10, 720, 3600, 7200};
    static const double req_cpu[NPOD] = {3600, 3600, N, 10, 1800, 3600, 0};
    static const double lim_cpu[NPOD] = {7200, N, N, 10, N, N, N};
    static const double usage_mem[NPOD] = {G * 1800, N, N, 10, G * 360, G * 3600, G * 3600};
    static const double req_mem[NPOD] = {G * 3600, G * 3600, N, 10, G * 720, N, 0};
    static const double lim_mem[NPOD] = {G * 7200, N, N, 10, N, N, N};
    static const double eff[NPOD] = {N, N, N, N, N, N, N};
    static const double cores[NPOD] = {4, 4, 4, 0, 2, 4, 1};
    static const double core_sec[NPOD] = {14400, 14400, 14400, 0, 7200, 14400, 3600};
    static const double mem_bytes[NPOD] = {16 * G, 16 * G, 16 * G, 0, 8 * G, 16 * G, G};
    static const double mem_sec[NPOD] = {16 * G * 3600, 16 * G * 3600, 16 * G * 3600, 0,
                                         8 * G * 3600,  16 * G * 3600, G * 3600};
    static const char *labels[NPOD] = {"{\"app\":\"a\",\"x\":\"1\"}",
                                       "label_app:a",
                                       NULL,
                                       "{}",
                                       "{\"app\":\"api\"}",
                                       "{\"app\":",
                                       "{\"app\":\"b\"}"};
    static const int64_t sto_ts[NSTO] = {DAY1, DAY1, DAY1};
    static const char *sto_ns[NSTO] = {"web", "web", "db"};
    static const char *sto_pod[NSTO] = {"p1", "p9", "gone"};
    static const char *pvc[NSTO] = {"c1", "c1", "c2"};
    static const char *pv[NSTO] = {"v1", "v1", "v2"};
    static const char *sc[NSTO] = {"gp3", "gp3", "gp3"};
    static const char *csi[NSTO] = {"h1", "h1", NULL};
    static const double cap_bytes[NSTO] = {2 * G, 2 * G, G};
    static const double cap_bsec[NSTO] = {G * 1296000, G * 1296000, G * 2592000};
    static const double req_bsec[NSTO] = {G * 2592000, G * 2592000, G * 2592000};
    static const double use_bsec[NSTO] = {G * 1296000, G * 1296000, N};
    static const char *pv_labels[NSTO] = {"{\"app\":\"vol\"}", "{\"app\":\"vol\"}", NULL};
    static const char *pvc_labels[NSTO] = {"label_tier:claim", "label_tier:claim", ""};
    static const int64_t nl_ts[NNL] = {DAY1, DAY1 + HOUR, DAY1, DAY1 + 2 * HOUR};
    static const char *nl_node[NNL] = {"n1", "n1", "m1", "zz"};
    static const char *nl_labels[NNL] = {"{\"tier\":\"t0\"}", "{\"tier\":\"t1\"}",
                                         "{\"node_role_kubernetes_io\":\"infra\",\"tier\":\"m\"}",
                                         "{}"};
    static const int64_t nsl_ts[NNSL] = {DAY1};
    static const char *nsl_ns[NNSL] = {"web"};
    static const char *nsl_labels[NNSL] = {"{\"app\":\"ns-web\",\"tier\":\"ns\"}"};

    memset(&pods, 0, sizeof pods);
    pods.table = OCP_TABLE_POD;
    pods.nrows = NPOD;
    pods.col[POD_INTERVAL_START] = bb_times(&store, pod_ts, NPOD);
    pods.col[POD_NAMESPACE] = bb_strings(&store, ns, NPOD);
    pods.col[POD_NODE] = bb_strings(&store, node, NPOD);
    pods.col[POD_POD] = bb_strings(&store, pod, NPOD);
    pods.col[POD_RESOURCE_ID] = bb_strings(&store, rid, NPOD);
    pods.col[POD_NODE_ROLE] = bb_strings(&store, role, NPOD);
    pods.col[POD_USAGE_CPU] = bb_numbers(&store, usage_cpu, NPOD);
    pods.col[POD_REQUEST_CPU] = bb_numbers(&store, req_cpu, NPOD);
    pods.col[POD_LIMIT_CPU] = bb_numbers(&store, lim_cpu, NPOD);
    pods.col[POD_USAGE_MEM] = bb_numbers(&store, usage_mem, NPOD);
    pods.col[POD_REQUEST_MEM] = bb_numbers(&store, req_mem, NPOD);
    pods.col[POD_LIMIT_MEM] = bb_numbers(&store, lim_mem, NPOD);
    pods.col[POD_EFF_CPU] = bb_numbers(&store, eff, NPOD);
    pods.col[POD_EFF_MEM] = bb_numbers(&store, eff, NPOD);
    pods.col[POD_CAP_CPU_CORES] = bb_numbers(&store, cores, NPOD);
    pods.col[POD_CAP_CPU_SEC] = bb_numbers(&store, core_sec, NPOD);
    pods.col[POD_CAP_MEM_BYTES] = bb_numbers(&store, mem_bytes, NPOD);
    pods.col[POD_CAP_MEM_SEC] = bb_numbers(&store, mem_sec, NPOD);
    pods.col[POD_LABELS] = bb_strings(&store, labels, NPOD);

    memset(&storage, 0, sizeof storage);
    storage.table = OCP_TABLE_STORAGE;
    storage.nrows = NSTO;
    storage.col[STO_INTERVAL_START] = bb_times(&store, sto_ts, NSTO);
    storage.col[STO_NAMESPACE] = bb_strings(&store, sto_ns, NSTO);
    storage.col[STO_POD] = bb_strings(&store, sto_pod, NSTO);
    storage.col[STO_PVC] = bb_strings(&store, pvc, NSTO);
    storage.col[STO_PV] = bb_strings(&store, pv, NSTO);
    storage.col[STO_STORAGECLASS] = bb_strings(&store, sc, NSTO);
    storage.col[STO_CSI_HANDLE] = bb_strings(&store, csi, NSTO);
    storage.col[STO_CAP_BYTES] = bb_numbers(&store, cap_bytes, NSTO);
    storage.col[STO_CAP_BYTE_SEC] = bb_numbers(&store, cap_bsec, NSTO);
    storage.col[STO_REQUEST_BYTE_SEC] = bb_numbers(&store, req_bsec, NSTO);
    storage.col[STO_USAGE_BYTE_SEC] = bb_numbers(&store, use_bsec, NSTO);
    storage.col[STO_PV_LABELS] = bb_strings(&store, pv_labels, NSTO);
    storage.col[STO_PVC_LABELS] = bb_strings(&store, pvc_labels, NSTO);

    memset(&node_labels, 0, sizeof node_labels);
    node_labels.table = OCP_TABLE_NODE_LABELS;
    node_labels.nrows = NNL;
    node_labels.col[NL_INTERVAL_START] = bb_times(&store, nl_ts, NNL);
    node_labels.col[NL_NODE] = bb_strings(&store, nl_node, NNL);
    node_labels.col[NL_LABELS] = bb_strings(&store, nl_labels, NNL);

    memset(&ns_labels, 0, sizeof ns_labels);
    ns_labels.table = OCP_TABLE_NAMESPACE_LABELS;
    ns_labels.nrows = NNSL;
    ns_labels.col[NSL_INTERVAL_START] = bb_times(&store, nsl_ts, NNSL);
    ns_labels.col[NSL_NAMESPACE] = bb_strings(&store, nsl_ns, NNSL);
    ns_labels.col[NSL_LABELS] = bb_strings(&store, nsl_labels, NNSL);
}

static struct lbl_keys keys;

static struct agg_partial *new_partial(void)
{
    struct agg_partial *p = bb_partial(&keys, INT32_MIN, INT32_MAX, 1);
    CHECK(p != NULL);
    return p;
}

static const struct agg_cost_category cats[] = {
    {"openshift-%", 1}, {"kube-%", 2}, {"w_b", 3}, {"%", 0}};

/* Finishes p and writes the CSV to path. */
static int finish_to(struct agg_partial *p, const char *path)
{
    struct agg_finish_settings fs;
    struct rpt_table t;
    struct rpt_meta meta = {7, "golden", "Golden Cluster", "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11"};
    struct ocp_error err;
    int rc;

    memset(&fs, 0, sizeof fs);
    fs.cost_categories = cats;
    fs.n_cost_categories = 4;
    txt_parse_uuid(meta.source_uuid, 36, fs.source_uuid);
    rpt_table_init(&t);
    rc = agg_finish(p, &fs, &t, &err);
    if (rc == OCP_OK)
        rc = rpt_write_csv(&t, &meta, path, &err);
    if (rc != OCP_OK)
        fprintf(stderr, "finish: %s\n", err.message);
    rpt_table_release(&t);
    return rc;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static void compare_with_expected(const char *got_path)
{
    char exp_path[1024];
    const char *dir = getenv("OCPAGG_TEST_DATA");
    size_t gl = 0, el = 0;
    char *got, *exp;

    snprintf(exp_path, sizeof exp_path, "%s/golden/expected.csv", dir ? dir : "tests/data");
    got = slurp(got_path, &gl);
    exp = slurp(exp_path, &el);
    CHECK(got != NULL);
    CHECK(exp != NULL);
    if (got && exp) {
        CHECK(gl == el && memcmp(got, exp, gl) == 0);
        if (!(gl == el && memcmp(got, exp, gl) == 0))
            fprintf(stderr, "report differs: diff %s %s\n", got_path, exp_path);
    }
    free(got);
    free(exp);
}

/* Everything in one partial. */
static void test_one_partial(void)
{
    struct agg_partial *p = new_partial();
    CHECK_INT(agg_partial_add(p, &pods, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &storage, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &node_labels, NULL), OCP_OK);
    CHECK_INT(agg_partial_add(p, &ns_labels, NULL), OCP_OK);
    CHECK_INT(finish_to(p, "golden_one.csv"), OCP_OK);
    compare_with_expected("golden_one.csv");
    agg_partial_destroy(p);
}

/* Every row in its own partial, merged in reverse order, half of them
 * through the serialized form: the report must not change by a byte. */
static void test_row_per_partial(void)
{
    struct agg_partial *total = new_partial();
    const struct ocp_batch *tables[4] = {&ns_labels, &node_labels, &storage, &pods};
    int t, k = 0;

    for (t = 0; t < 4; t++) {
        size_t r = tables[t]->nrows;
        while (r-- > 0) {
            struct ocp_batch one = bb_slice(tables[t], r, r + 1);
            struct agg_partial *p = new_partial();
            CHECK_INT(agg_partial_add(p, &one, NULL), OCP_OK);
            if (k++ % 2 == 0) {
                unsigned char *buf = NULL;
                size_t len = 0;
                CHECK_INT(agg_partial_serialize(p, &buf, &len, NULL), OCP_OK);
                CHECK_INT(agg_partial_merge_serialized(total, buf, len, NULL), OCP_OK);
                free(buf);
            } else {
                CHECK_INT(agg_partial_merge(total, p, NULL), OCP_OK);
            }
            agg_partial_destroy(p);
        }
    }
    CHECK_INT(finish_to(total, "golden_split.csv"), OCP_OK);
    compare_with_expected("golden_split.csv");
    agg_partial_destroy(total);
}

/* A corrupted serialized partial is refused, not trusted. */
static void test_corrupt_serialized(void)
{
    struct agg_partial *p = new_partial(), *q = new_partial();
    unsigned char *buf = NULL;
    size_t len = 0, cut;
    CHECK_INT(agg_partial_add(p, &pods, NULL), OCP_OK);
    CHECK_INT(agg_partial_serialize(p, &buf, &len, NULL), OCP_OK);
    for (cut = 0; cut < len; cut += len / 17 + 1)
        CHECK_INT(agg_partial_merge_serialized(q, buf, cut, NULL), OCP_ERR_SOFTWARE);
    free(buf);
    agg_partial_destroy(p);
    agg_partial_destroy(q);
}

/* Strict mode turns the malformed pod label into an error naming it. */
static void test_strict(void)
{
    struct agg_settings s;
    struct agg_partial *p = NULL;
    struct ocp_error err;
    memset(&s, 0, sizeof s);
    s.start_day = INT32_MIN;
    s.end_day = INT32_MAX;
    s.enabled = &keys;
    s.strict = 1;
    CHECK_INT(agg_partial_create(&s, &p, NULL), OCP_OK);
    ocp_error_clear(&err);
    CHECK_INT(agg_partial_add(p, &pods, &err), OCP_ERR_DATA);
    CHECK_STR(err.column, "pod_labels");
    agg_partial_destroy(p);
}

static int write_h5(const char *path)
{
    struct h5_writer *w = NULL;
    struct ocp_error err;
    const struct ocp_batch *tables[4] = {&pods, &storage, &node_labels, &ns_labels};
    int t, rc;
    char tmp[1024];

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    rc = h5_writer_create(tmp, &w, &err);
    for (t = 0; rc == OCP_OK && t < 4; t++) {
        rc = h5_writer_begin_table(w, tables[t]->table, 1, &err);
        if (rc == OCP_OK)
            rc = h5_writer_append(w, tables[t], &err);
        if (rc == OCP_OK)
            rc = h5_writer_end_table(w, &err);
    }
    if (w != NULL) {
        int rc2 = h5_writer_close(w, &err);
        if (rc == OCP_OK)
            rc = rc2;
    }
    if (rc == OCP_OK && rename(tmp, path) != 0)
        rc = OCP_ERR_CANTCREAT;
    if (rc != OCP_OK)
        fprintf(stderr, "write_h5: %s\n", err.message);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;
    lbl_keys_init(&keys);
    lbl_keys_add(&keys, "app", 3);
    lbl_keys_add(&keys, "tier", 4);
    build();
    if (argc == 3 && strcmp(argv[1], "--write-h5") == 0) {
        rc = write_h5(argv[2]);
        bb_release(&store);
        lbl_keys_release(&keys);
        return rc == OCP_OK ? 0 : 1;
    }
    RUN(test_one_partial);
    RUN(test_row_per_partial);
    RUN(test_corrupt_serialized);
    RUN(test_strict);
    bb_release(&store);
    lbl_keys_release(&keys);
    return TEST_SUMMARY();
}
