/* gen_rows.c - filling blocks of rows from the synthetic cluster model.
 *
 * Each row is a pure function of (seed, entity, hour), computed with a
 * couple of hashes and some arithmetic; no allocation and no string work
 * happens here. */
#include <math.h>
#include <string.h>

#include "gen_internal.h"

enum { H_MOVE = 101, H_ROW, H_STORAGE_ROW, H_NODE_CHANGE, H_NODE_ROW, H_NS_CHANGE, H_NS_ROW };

static int64_t hour_start(const struct gen_model *m, int64_t abs_hour)
{
    return (int64_t)m->cfg.start_day * OCP_US_PER_DAY + abs_hour * GEN_US_PER_HOUR;
}

/* The node a slot's pod runs on for day d: moving slots go elsewhere on
 * about one day in three. */
static uint32_t slot_node(const struct gen_model *m, uint32_t s, uint32_t d)
{
    const struct gen_slot *sl = &m->slots[s];
    uint64_t h;

    if (!sl->moves || m->nnodes == 1)
        return sl->home;
    h = gen_hash(m->cfg.seed, H_MOVE, s, d);
    if (h % 3 != 0)
        return sl->home;
    return (uint32_t)((sl->home + 1 + (h >> 8) % (m->nnodes - 1)) % m->nnodes);
}

static double greatest(double a, double b)
{
    if (isnan(a))
        return b;
    if (isnan(b))
        return a;
    return a > b ? a : b;
}

static void fill_pod(const struct gen_model *m, int64_t row, size_t n, struct gen_block *blk)
{
    struct ocp_batch *b = &blk->b;
    uint32_t S = m->nslots;
    size_t i;
    int eff = !m->cfg.omit_effective;

    b->col[POD_NAMESPACE].str.dict = &m->ns.d;
    b->col[POD_NODE].str.dict = &m->node.d;
    b->col[POD_POD].str.dict = &m->pod.d;
    b->col[POD_RESOURCE_ID].str.dict = &m->rid.d;
    b->col[POD_NODE_ROLE].str.dict = &m->role.d;
    b->col[POD_LABELS].str.dict = &m->plabel.d;
    b->col[POD_EFF_CPU].present = eff;
    b->col[POD_EFF_MEM].present = eff;
    for (i = 0; i < n; i++) {
        int64_t r = row + (int64_t)i, hi = r / S;
        uint32_t s = (uint32_t)(r % S), d = (uint32_t)(hi / 24), h = (uint32_t)(hi % 24);
        const struct gen_slot *sl = &m->slots[s];
        size_t at = (size_t)s * m->cfg.days + d;
        uint32_t ni = slot_node(m, s, d);
        const struct gen_node *node = &m->nodes[ni];
        uint64_t x = gen_hash(m->cfg.seed, H_ROW, s, (uint64_t)hi);
        uint32_t pending = (uint32_t)(x & 511);
        double fc = 0.5 + (double)((x >> 16) & 0xffff) / 65536.0;
        double fm = 0.5 + (double)((x >> 24) & 0xffff) / 65536.0;
        double use_c, use_m, req_c, req_m;
        uint32_t label = sl->label;

        blk->ts[i] = hour_start(m, hi);
        blk->ids[POD_NAMESPACE][i] = sl->ns;
        blk->ids[POD_POD][i] = sl->pod_base + m->day_gen[at] + (h >= m->day_split[at] ? 1u : 0u);
        req_c = ((x >> 46) & 1023) == 0 ? NAN : sl->req_cpu * 3600.0;
        req_m = ((x >> 46) & 1023) == 0 ? NAN : sl->req_mem * 3600.0;
        blk->num[POD_REQUEST_CPU][i] = req_c;
        blk->num[POD_REQUEST_MEM][i] = req_m;
        blk->num[POD_LIMIT_CPU][i] = sl->lim_cpu * 3600.0;
        blk->num[POD_LIMIT_MEM][i] = sl->lim_mem * 3600.0;
        if (pending <= 1) {
            /* A pod not (yet) scheduled: Koku gets rows with an empty or
             * NULL node, no usage and zero capacity. */
            blk->ids[POD_NODE][i] = pending == 0 ? m->empty_node : OCP_NULL_ID;
            blk->ids[POD_RESOURCE_ID][i] = pending == 0 ? m->empty_rid : OCP_NULL_ID;
            blk->ids[POD_NODE_ROLE][i] = OCP_NULL_ID;
            use_c = use_m = NAN;
            blk->num[POD_CAP_CPU_CORES][i] = 0;
            blk->num[POD_CAP_CPU_SEC][i] = 0;
            blk->num[POD_CAP_MEM_BYTES][i] = 0;
            blk->num[POD_CAP_MEM_SEC][i] = 0;
        } else {
            blk->ids[POD_NODE][i] = node->name;
            blk->ids[POD_RESOURCE_ID][i] = node->rid;
            blk->ids[POD_NODE_ROLE][i] = node->role_text;
            use_c = fmin(sl->use_cpu * fc, node->cores) * 3600.0;
            use_m = fmin(sl->use_mem * fm, node->mem);
            if (m->cfg.fine_usage) {
                use_m *= 3600.0;
                if (((x >> 56) & 7) == 0) {
                    use_c *= 1e-4;
                    use_m *= 1e-4;
                }
            } else {
                use_c = floor(use_c * 1024.0) / 1024.0;
                use_m = floor(use_m / 4096.0) * 4096.0 * 3600.0;
            }
            if (((x >> 32) & 127) == 0)
                use_c = NAN;
            if (((x >> 39) & 127) == 0)
                use_m = NAN;
            blk->num[POD_CAP_CPU_CORES][i] = node->cores;
            blk->num[POD_CAP_CPU_SEC][i] = node->cores * 3600.0;
            blk->num[POD_CAP_MEM_BYTES][i] = node->mem;
            blk->num[POD_CAP_MEM_SEC][i] = node->mem * 3600.0;
        }
        blk->num[POD_USAGE_CPU][i] = use_c;
        blk->num[POD_USAGE_MEM][i] = use_m;
        if (eff) {
            int has = pending > 1 && node->effective;
            blk->num[POD_EFF_CPU][i] = has ? greatest(use_c, req_c) : NAN;
            blk->num[POD_EFF_MEM][i] = has ? greatest(use_m, req_m) : NAN;
        }
        if (m->bad_count > 0 && (r == 0 || (x >> 53) % 1000 == 7))
            label = m->bad_first + (uint32_t)((x >> 60) % m->bad_count);
        blk->ids[POD_LABELS][i] = label;
    }
}

static void fill_storage(const struct gen_model *m, int64_t row, size_t n, struct gen_block *blk)
{
    struct ocp_batch *b = &blk->b;
    uint32_t V = m->nvol;
    size_t i;

    b->col[STO_NAMESPACE].str.dict = &m->ns.d;
    b->col[STO_POD].str.dict = &m->pod.d;
    b->col[STO_PVC].str.dict = &m->pvc.d;
    b->col[STO_PV].str.dict = &m->pv.d;
    b->col[STO_STORAGECLASS].str.dict = &m->sc.d;
    b->col[STO_CSI_HANDLE].str.dict = &m->csi.d;
    b->col[STO_PV_LABELS].str.dict = &m->vlabel.d;
    b->col[STO_PVC_LABELS].str.dict = &m->vlabel.d;
    for (i = 0; i < n; i++) {
        int64_t r = row + (int64_t)i, hi = r / V;
        uint32_t vi = (uint32_t)(r % V);
        const struct gen_volume *v = &m->vols[vi];
        uint64_t x = gen_hash(m->cfg.seed, H_STORAGE_ROW, vi, (uint64_t)hi);
        /* Usage fills the volume slowly over a month, then starts again. */
        double fill = 0.1 + 0.8 * (double)((hi + (int64_t)vi * 37) % 720) / 720.0;
        double used = floor(v->bytes * fill / 4096.0) * 4096.0;

        blk->ts[i] = hour_start(m, hi);
        blk->ids[STO_NAMESPACE][i] = v->ns;
        blk->ids[STO_POD][i] = v->pod;
        blk->ids[STO_PVC][i] = v->pvc;
        blk->ids[STO_PV][i] = v->pv;
        blk->ids[STO_STORAGECLASS][i] = v->sc;
        blk->ids[STO_CSI_HANDLE][i] = v->csi;
        blk->num[STO_CAP_BYTES][i] = v->bytes;
        blk->num[STO_CAP_BYTE_SEC][i] = v->bytes * 3600.0;
        blk->num[STO_REQUEST_BYTE_SEC][i] = v->bytes * 3600.0;
        blk->num[STO_USAGE_BYTE_SEC][i] = (x & 127) == 0 ? NAN : used * 3600.0;
        blk->ids[STO_PV_LABELS][i] = v->pv_labels;
        blk->ids[STO_PVC_LABELS][i] = v->pvc_labels;
    }
}

/* Label variant of an entity for an hour: the base set until a random
 * hour of the day, then a set with a "tier" that depends on the day. */
static uint32_t variant(const struct gen_model *m, int salt, uint32_t e, uint32_t d, uint32_t h)
{
    uint64_t c = gen_hash(m->cfg.seed, (uint64_t)salt, e, d);
    uint32_t change = 1 + (uint32_t)(c % 23);
    return h < change ? 0 : 1 + (e + d) % 3;
}

static void fill_node_labels(const struct gen_model *m, int64_t row, size_t n,
                             struct gen_block *blk)
{
    uint32_t N = m->nnodes;
    size_t i;

    blk->b.col[NL_NODE].str.dict = &m->node.d;
    blk->b.col[NL_LABELS].str.dict = &m->nlabel.d;
    for (i = 0; i < n; i++) {
        int64_t r = row + (int64_t)i, hi = r / N;
        uint32_t ni = (uint32_t)(r % N), d = (uint32_t)(hi / 24), h = (uint32_t)(hi % 24);
        uint64_t x = gen_hash(m->cfg.seed, H_NODE_ROW, ni, (uint64_t)hi);
        uint32_t label = m->nodes[ni].labels[variant(m, H_NODE_CHANGE, ni, d, h)];

        if (x % 200 == 0)
            label = OCP_NULL_ID;
        else if (x % 200 == 1)
            label = m->nlabel_empty;
        blk->ts[i] = hour_start(m, hi);
        blk->ids[NL_NODE][i] = m->nodes[ni].name;
        blk->ids[NL_LABELS][i] = label;
    }
}

static void fill_ns_labels(const struct gen_model *m, int64_t row, size_t n, struct gen_block *blk)
{
    uint32_t NS = m->nns;
    size_t i;

    blk->b.col[NSL_NAMESPACE].str.dict = &m->ns.d;
    blk->b.col[NSL_LABELS].str.dict = &m->nslabel.d;
    for (i = 0; i < n; i++) {
        int64_t r = row + (int64_t)i, hi = r / NS;
        uint32_t e = (uint32_t)(r % NS), d = (uint32_t)(hi / 24), h = (uint32_t)(hi % 24);
        uint64_t x = gen_hash(m->cfg.seed, H_NS_ROW, e, (uint64_t)hi);
        uint32_t label = m->ns_labels[e * 4 + variant(m, H_NS_CHANGE, e, d, h)];

        if (x % 150 == 0)
            label = OCP_NULL_ID;
        else if (x % 150 == 1)
            label = m->nslabel_empty;
        else if (x % 150 == 2)
            label = m->nslabel_braces;
        blk->ts[i] = hour_start(m, hi);
        blk->ids[NSL_NAMESPACE][i] = e;
        blk->ids[NSL_LABELS][i] = label;
    }
}

void gen_fill(const struct gen_model *m, enum ocp_table table, int64_t row, size_t n,
              struct gen_block *blk)
{
    blk->b.nrows = n;
    switch (table) {
    case OCP_TABLE_POD: fill_pod(m, row, n, blk); break;
    case OCP_TABLE_STORAGE: fill_storage(m, row, n, blk); break;
    case OCP_TABLE_NODE_LABELS: fill_node_labels(m, row, n, blk); break;
    case OCP_TABLE_NAMESPACE_LABELS: fill_ns_labels(m, row, n, blk); break;
    default: blk->b.nrows = 0; break;
    }
}
