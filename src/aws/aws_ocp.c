/*
 * aws_ocp.c - reads the columns of an OCP daily summary report (ocpagg's
 * own Parquet output, or any table with the same column names) that the
 * attribution needs (SEMANTICS-AWS §1.4) into a struct rpt_table, so the
 * AWS step can also run after the OCP job, on its report file.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_internal.h"
#include "ocpagg/parquet.h"

enum { O_SOURCE, O_NS, O_NODE, O_RID, O_PODL, O_VOLL, O_PVC, O_PV, O_SC, O_CSI, O_NSTR };
static const char *const ostr[O_NSTR] = {
    "data_source",           "namespace",        "node",
    "resource_id",           "pod_labels",       "volume_labels",
    "persistentvolumeclaim", "persistentvolume", "storageclass",
    "csi_volume_handle"};
static const struct {
    const char *name;
    int num;
} onum[] = {
    {"pod_effective_usage_cpu_core_hours", RPT_POD_EFFECTIVE_CPU_HOURS},
    {"pod_effective_usage_memory_gigabyte_hours", RPT_POD_EFFECTIVE_MEM_GBH},
    {"node_capacity_cpu_core_hours", RPT_NODE_CAP_CPU_HOURS},
    {"node_capacity_memory_gigabyte_hours", RPT_NODE_CAP_MEM_GBH},
    {"persistentvolumeclaim_capacity_gigabyte", RPT_PVC_CAP_GB},
};
#define NONUM (int)(sizeof onum / sizeof onum[0])

static int read_file(struct pq_file *f, struct rpt_table *t, struct ocp_error *err)
{
    struct ocp_arena arena;
    int scol[O_NSTR], ncol[NONUM], dcol, ccol, rg, k, rc = OCP_OK;
    const char *path = pq_file_path(f);

    dcol = aws_pq_find_col(f, "usage_start");
    if (dcol < 0)
        return ocp_error_set(err, OCP_ERR_DATA, path, -1, "usage_start",
                             "the OCP summary has no column usage_start");
    for (k = 0; k < O_NSTR; k++) {
        scol[k] = aws_pq_find_col(f, ostr[k]);
        if (scol[k] < 0 && k <= O_RID)
            return ocp_error_set(err, OCP_ERR_DATA, path, -1, ostr[k],
                                 "the OCP summary has no column %s", ostr[k]);
    }
    for (k = 0; k < NONUM; k++)
        ncol[k] = aws_pq_find_col(f, onum[k].name);
    ccol = aws_pq_find_col(f, "cost_category_id");
    ocp_arena_init(&arena, 1 << 20);
    for (rg = 0; rg < pq_file_num_row_groups(f) && rc == OCP_OK; rg++) {
        int64_t n = pq_row_group_num_rows(f, rg), i;
        struct ocp_strcol sv[O_NSTR];
        double *nv[NONUM], *cc = NULL;
        int64_t *us;
        uint8_t *nul;
        if (n <= 0)
            continue;
        us = ocp_arena_alloc(&arena, (size_t)n * sizeof *us);
        nul = ocp_arena_alloc(&arena, (size_t)n);
        if (us == NULL || nul == NULL) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            break;
        }
        rc = aws_pq_read_times(f, rg, dcol, n, &arena, us, nul, err);
        for (k = 0; k < O_NSTR && rc == OCP_OK; k++) {
            sv[k].ids = NULL;
            if (scol[k] >= 0)
                rc = aws_pq_read_strings(f, rg, scol[k], n, &arena, &sv[k], err);
        }
        for (k = 0; k < NONUM && rc == OCP_OK; k++) {
            nv[k] = NULL;
            if (ncol[k] < 0)
                continue;
            nv[k] = ocp_arena_alloc(&arena, (size_t)n * sizeof(double));
            rc = nv[k] ? aws_pq_read_numbers(f, rg, ncol[k], n, &arena, nv[k], NAN, err)
                       : ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
        if (rc == OCP_OK && ccol >= 0) {
            cc = ocp_arena_alloc(&arena, (size_t)n * sizeof(double));
            rc = cc ? aws_pq_read_numbers(f, rg, ccol, n, &arena, cc, NAN, err)
                    : ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
        for (i = 0; i < n && rc == OCP_OK; i++) {
            struct rpt_row *r = rpt_table_add(t);
            const char *s[O_NSTR] = {0}; /* all set below; -O3 cannot tell */
            if (r == NULL) {
                rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
                break;
            }
            if (nul[i]) {
                rc = ocp_error_set(err, OCP_ERR_DATA, path, rg, "usage_start",
                                   "row %lld: NULL usage_start", (long long)i);
                break;
            }
            r->usage_day = (int32_t)(us[i] >= 0 ? us[i] / 86400000000ll
                                                : -((-us[i] + 86399999999ll) / 86400000000ll));
            for (k = 0; k < O_NSTR; k++) {
                s[k] = NULL;
                if (sv[k].ids != NULL && sv[k].ids[i] != OCP_NULL_ID) {
                    size_t l;
                    const char *p = ocp_strdict_get(sv[k].dict, sv[k].ids[i], &l);
                    s[k] = rpt_table_strdup(t, p, l);
                    if (s[k] == NULL) {
                        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
                        break;
                    }
                }
            }
            if (rc != OCP_OK)
                break;
            if (s[O_SOURCE] != NULL && strcmp(s[O_SOURCE], "Storage") == 0)
                r->source = RPT_SOURCE_STORAGE;
            else if (s[O_SOURCE] != NULL && strcmp(s[O_SOURCE], "Pod") == 0)
                r->source = RPT_SOURCE_POD;
            else {
                rc =
                    ocp_error_set(err, OCP_ERR_DATA, path, rg, "data_source",
                                  "row %lld: data_source is neither Pod nor Storage", (long long)i);
                break;
            }
            r->namespace_ = s[O_NS];
            r->node = s[O_NODE];
            r->resource_id = s[O_RID];
            r->pod_labels = s[O_PODL];
            r->volume_labels = s[O_VOLL];
            r->pvc = s[O_PVC];
            r->pv = s[O_PV];
            r->storageclass = s[O_SC];
            r->csi_volume_handle = s[O_CSI];
            for (k = 0; k < NONUM; k++)
                r->num[onum[k].num] = nv[k] ? nv[k][i] : NAN;
            if (cc != NULL && !isnan(cc[i])) {
                r->has_cost_category = 1;
                r->cost_category_id = (int64_t)cc[i];
            }
        }
        ocp_arena_reset(&arena);
    }
    ocp_arena_release(&arena);
    return rc;
}

int aws_ocp_read_parquet(const char *path, struct rpt_table *t, struct ocp_error *err)
{
    char **paths = NULL;
    size_t n = 0, i;
    int rc = pq_dataset_list(path, &paths, &n, err);
    if (rc != OCP_OK)
        return rc;
    for (i = 0; i < n && rc == OCP_OK; i++) {
        struct pq_file *f = NULL;
        rc = pq_file_open(paths[i], NULL, &f, err);
        if (rc == OCP_OK)
            rc = read_file(f, t, err);
        pq_file_close(f);
    }
    pq_dataset_free(paths, n);
    return rc;
}

/* ---- the rows as bytes (for moving them between ranks) ----
 * Per row: i32 day, u8 source, 10 nullable strings (u8 flag, u32 length,
 * bytes), 5 doubles (bits), u8 has_cost_category, i64 id; little endian. */

static const int num_cols[5] = {RPT_POD_EFFECTIVE_CPU_HOURS, RPT_POD_EFFECTIVE_MEM_GBH,
                                RPT_NODE_CAP_CPU_HOURS, RPT_NODE_CAP_MEM_GBH, RPT_PVC_CAP_GB};

static int buf_add(struct rpt_buf *b, const void *p, size_t n)
{
    return rpt_buf_append(b, p, n) == 0 ? OCP_OK : OCP_ERR_OSERR;
}

static int put_u64(struct rpt_buf *b, uint64_t v, size_t n)
{
    unsigned char t[8];
    size_t i;
    for (i = 0; i < n; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    return buf_add(b, t, n);
}

static int put_nstr(struct rpt_buf *b, const char *s)
{
    unsigned char f = s != NULL;
    int rc = buf_add(b, &f, 1);
    if (rc == OCP_OK && s != NULL) {
        size_t l = strlen(s);
        rc = put_u64(b, (uint64_t)l, 4);
        if (rc == OCP_OK)
            rc = buf_add(b, s, l);
    }
    return rc;
}

int aws_ocp_encode(const struct rpt_table *t, struct rpt_buf *out)
{
    size_t i;
    int rc = OCP_OK, k;
    for (i = 0; i < t->count && rc == OCP_OK; i++) {
        const struct rpt_row *r = &t->rows[i];
        const char *s[10] = {r->namespace_,        r->node, r->resource_id, r->pod_labels,
                             r->volume_labels,     r->pvc,  r->pv,          r->storageclass,
                             r->csi_volume_handle, NULL};
        unsigned char src = (unsigned char)r->source,
                      cc = (unsigned char)(r->has_cost_category != 0);
        rc = put_u64(out, (uint64_t)(uint32_t)r->usage_day, 4);
        if (rc == OCP_OK)
            rc = buf_add(out, &src, 1);
        for (k = 0; k < 9 && rc == OCP_OK; k++)
            rc = put_nstr(out, s[k]);
        for (k = 0; k < 5 && rc == OCP_OK; k++) {
            uint64_t bits;
            memcpy(&bits, &r->num[num_cols[k]], sizeof bits);
            rc = put_u64(out, bits, 8);
        }
        if (rc == OCP_OK)
            rc = buf_add(out, &cc, 1);
        if (rc == OCP_OK)
            rc = put_u64(out, (uint64_t)r->cost_category_id, 8);
    }
    return rc;
}

int aws_ocp_decode(const unsigned char *data, size_t len, struct rpt_table *t,
                   struct ocp_error *err)
{
    size_t at = 0;
    int k;
#define NEED(n)                                                                                    \
    do {                                                                                           \
        if ((n) > len - at)                                                                        \
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,                            \
                                 "corrupt OCP summary rows for the AWS step");                     \
    } while (0)
    while (at < len) {
        struct rpt_row *r = rpt_table_add(t);
        const char **s[9];
        uint64_t v;
        int i;
        if (r == NULL)
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        s[0] = &r->namespace_;
        s[1] = &r->node;
        s[2] = &r->resource_id;
        s[3] = &r->pod_labels;
        s[4] = &r->volume_labels;
        s[5] = &r->pvc;
        s[6] = &r->pv;
        s[7] = &r->storageclass;
        s[8] = &r->csi_volume_handle;
        NEED(5);
        for (v = 0, i = 3; i >= 0; i--)
            v = v << 8 | data[at + (size_t)i];
        r->usage_day = (int32_t)(uint32_t)v;
        if (data[at + 4] > 1)
            return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                 "corrupt OCP summary rows for the AWS step");
        r->source = (enum rpt_source)data[at + 4];
        at += 5;
        for (k = 0; k < 9; k++) {
            uint32_t l;
            NEED(1);
            if (data[at++] == 0) {
                *s[k] = NULL;
                continue;
            }
            NEED(4);
            l = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 | (uint32_t)data[at + 2] << 16 |
                (uint32_t)data[at + 3] << 24;
            at += 4;
            NEED(l);
            *s[k] = rpt_table_strdup(t, (const char *)data + at, l);
            if (*s[k] == NULL)
                return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            at += l;
        }
        NEED(5 * 8 + 1 + 8);
        for (k = 0; k < 5; k++) {
            double d;
            for (v = 0, i = 7; i >= 0; i--)
                v = v << 8 | data[at + (size_t)i];
            memcpy(&d, &v, sizeof d);
            r->num[num_cols[k]] = d;
            at += 8;
        }
        r->has_cost_category = data[at++] != 0;
        for (v = 0, i = 7; i >= 0; i--)
            v = v << 8 | data[at + (size_t)i];
        r->cost_category_id = (int64_t)v;
        at += 8;
    }
#undef NEED
    return OCP_OK;
}
