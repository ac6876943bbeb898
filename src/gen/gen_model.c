/* gen_model.c - the synthetic cluster: nodes, pod slots, volumes, labels.
 *
 * Everything that repeats (names, label texts) is built once here into
 * dictionaries; the per-row code in gen_rows.c only picks ids and does
 * arithmetic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

/* Salts that keep the hashes of different decisions independent. */
enum { H_NODE = 1, H_SLOT, H_SPLIT, H_VOL, H_LABEL, H_NAME };

static const char *const platform_ns[] = {"openshift-kube-apiserver", "openshift-etcd",
                                          "openshift-monitoring", "openshift-ingress",
                                          "kube-system"};
#define N_PLATFORM_NS 5
enum { NS_APISERVER, NS_ETCD, NS_MONITORING, NS_INGRESS, NS_KUBE_SYSTEM };

static const char *const envs[3] = {"prod", "stage", "dev"};
static const char *const tiers[3] = {"web", "api", "db"};
static const char *const deploys[8] = {"web",    "api",   "frontend", "backend",
                                       "worker", "queue", "search",   "auth"};
static const char *const zones[3] = {"us-east-1a", "us-east-1b", "us-east-1c"};

/* Application namespace i: interleaves app-N with team_a / teamXa so even
 * small clusters have names for LIKE patterns with '_' and '%'. */
static uint32_t add_app_ns(struct gen_dict *d, uint32_t i)
{
    if (i == 1)
        return gen_dict_addf(d, "team_a");
    if (i == 3)
        return gen_dict_addf(d, "teamXa");
    if (i < 11)
        return gen_dict_addf(d, "app-%u", i < 1 ? 1u : i < 3 ? i : i - 1);
    return gen_dict_addf(d, "app-%u", i - 1);
}

/* Node archetypes cycle through every role source the semantics know:
 * role column set, empty, NULL, and the node label. */
static void make_node(struct gen_model *m, uint32_t i, uint32_t r_master, uint32_t r_infra,
                      uint32_t r_worker, uint32_t r_empty)
{
    struct gen_node *n = &m->nodes[i];
    uint64_t h = gen_hash(m->cfg.seed, H_NODE, i, 0);
    static const double cores[4] = {4, 8, 16, 32};
    const char *rname;
    uint32_t a = i < 8 ? i : 8 + i % 3;

    /* One node kind a line, as a table reads. */
    /* clang-format off */
    switch (a) {
    case 0: n->role = GEN_MASTER; n->role_text = r_master; break;
    case 1: n->role = GEN_INFRA; n->role_text = r_empty; break;
    case 2: n->role = GEN_WORKER; n->role_text = r_worker; break;
    case 3: n->role = GEN_WORKER; n->role_text = OCP_NULL_ID; break;
    case 4: n->role = GEN_MASTER; n->role_text = OCP_NULL_ID; break;
    case 5: n->role = GEN_INFRA; n->role_text = r_infra; break;
    case 6: n->role = GEN_WORKER; n->role_text = r_empty; break;
    case 7: n->role = GEN_WORKER; n->role_text = r_worker; break;
    case 8: n->role = GEN_WORKER; n->role_text = r_worker; break;
    case 9: n->role = GEN_WORKER; n->role_text = OCP_NULL_ID; break;
    default: n->role = GEN_WORKER; n->role_text = r_empty; break;
    }
    /* clang-format on */
    rname = n->role == GEN_MASTER ? "master" : n->role == GEN_INFRA ? "infra" : "worker";
    n->name = gen_dict_addf(&m->node, "ocp-%05llx-%s-%u",
                            (unsigned long long)(m->cfg.seed & 0xfffff), rname, i);
    n->rid = gen_dict_addf(&m->rid, "i-0%016llx", (unsigned long long)h);
    n->cores = n->role == GEN_MASTER ? 8 : cores[(h >> 8) % 4];
    n->mem = n->cores * 4.0 * 1073741824.0;
    if (m->cfg.node_memory_gib > 0) {
        /* Large-memory nodes: a whole number of GiB in [max/2, max], from
         * bits of the hash the core count does not use. */
        uint32_t hi = m->cfg.node_memory_gib, lo = hi / 2 > 0 ? hi / 2 : 1;
        n->mem = (double)(lo + (uint32_t)((h >> 24) % (hi - lo + 1))) * 1073741824.0;
    }
    n->effective = i % 3 != 2;
}

/* Node label texts: four variants (base and a "tier" added mid-day) in the
 * node's form.  Worker archetype 3 has no role label, archetype 1 is infra
 * only through it. */
static void node_labels(struct gen_model *m, uint32_t i)
{
    struct gen_node *n = &m->nodes[i];
    const char *role = n->role == GEN_MASTER ? "master" : n->role == GEN_INFRA ? "infra" : "worker";
    size_t len;
    const char *name = ocp_strdict_get(&m->node.d, n->name, &len);
    const char *zone = zones[i % 3], *env = envs[i % 2];
    int op = i % 5 == 4, has_role = i % 8 != 3;
    int v;

    for (v = 0; v < 4; v++) {
        char tier[48] = "";
        char rl[64] = "";
        if (op) {
            if (v > 0)
                snprintf(tier, sizeof tier, "|label_tier:%s", tiers[v - 1]);
            if (has_role)
                snprintf(rl, sizeof rl, "|label_node_role_kubernetes_io:%s", role);
            n->labels[v] = gen_dict_addf(&m->nlabel,
                                         "label_environment:%s|label_kubernetes_io_hostname:%.*s%s"
                                         "|label_topology_kubernetes_io_zone:%s%s",
                                         env, (int)len, name, rl, zone, tier);
        } else {
            if (v > 0)
                snprintf(tier, sizeof tier, ",\"tier\":\"%s\"", tiers[v - 1]);
            if (has_role)
                snprintf(rl, sizeof rl, ",\"node_role_kubernetes_io\":\"%s\"", role);
            n->labels[v] =
                gen_dict_addf(&m->nlabel,
                              "{\"environment\":\"%s\",\"kubernetes_io_hostname\":\"%.*s\"%s"
                              ",\"topology_kubernetes_io_zone\":\"%s\"%s}",
                              env, (int)len, name, rl, zone, tier);
        }
    }
}

static void ns_labels(struct gen_model *m, uint32_t i, uint32_t ns_id)
{
    size_t len;
    const char *name = ocp_strdict_get(&m->ns.d, ns_id, &len);
    int platform = i < N_PLATFORM_NS, op = i % 4 == 3, v;
    const char *env = platform ? "prod" : envs[i % 3];

    for (v = 0; v < 4; v++) {
        char extra[96] = "";
        if (op) {
            if (v > 0)
                snprintf(extra, sizeof extra, "|label_tier:%s", tiers[v - 1]);
            m->ns_labels[i * 4 + (uint32_t)v] = gen_dict_addf(
                &m->nslabel, "label_environment:%s|label_kubernetes_io_metadata_name:%.*s%s%s", env,
                (int)len, name, platform ? "|label_openshift_io_cluster_monitoring:true" : "",
                extra);
        } else {
            if (v > 0)
                snprintf(extra, sizeof extra, ",\"tier\":\"%s\"", tiers[v - 1]);
            m->ns_labels[i * 4 + (uint32_t)v] = gen_dict_addf(
                &m->nslabel,
                "{\"environment\":\"%s\",\"kubernetes_io_metadata_name\":\"%.*s\"%s%s}", env,
                (int)len, name, platform ? ",\"openshift_io_cluster_monitoring\":\"true\"" : "",
                extra);
        }
    }
}

/* Pod label texts: app value x environment x tier x {JSON, operator text}. */
static uint32_t pod_label_id(const struct gen_model *m, uint32_t app, uint32_t env, uint32_t tier,
                             uint32_t op)
{
    (void)m;
    return ((app * 3 + env) * 3 + tier) * 2 + op;
}

static void pod_labels(struct gen_model *m)
{
    uint32_t a, e, t;
    for (a = 0; a < m->cfg.label_cardinality; a++)
        for (e = 0; e < 3; e++)
            for (t = 0; t < 3; t++) {
                gen_dict_addf(&m->plabel,
                              "{\"app\":\"svc-%u\",\"environment\":\"%s\",\"tier\":\"%s\"}", a,
                              envs[e], tiers[t]);
                gen_dict_addf(&m->plabel, "label_app:svc-%u|label_environment:%s|label_tier:%s", a,
                              envs[e], tiers[t]);
            }
    m->plabel_empty = gen_dict_add(&m->plabel, "", 0);
    m->plabel_braces = gen_dict_add(&m->plabel, "{}", 2);
    m->bad_first = m->plabel.d.count;
    m->bad_count = 0;
    if (m->cfg.bad_labels) {
        gen_dict_addf(&m->plabel, "{\"app\":\"web\"");
        gen_dict_addf(&m->plabel, "{\"app\": web}");
        gen_dict_addf(&m->plabel, "{\"tier\":\"db\",}");
        m->bad_count = 3;
    }
}

/* The label of a slot: mostly JSON, some operator text, and a few NULL,
 * "" and "{}". */
static uint32_t slot_label(struct gen_model *m, uint64_t h, uint32_t env)
{
    uint32_t form = (uint32_t)(h % 20);
    uint32_t app = (uint32_t)((h >> 8) % m->cfg.label_cardinality);
    uint32_t tier = (uint32_t)((h >> 40) % 3);
    if (form == 0)
        return OCP_NULL_ID;
    if (form == 1)
        return m->plabel_empty;
    if (form == 2)
        return m->plabel_braces;
    return pod_label_id(m, app, env, tier, form < 8);
}

static double round_to(double v, double q)
{
    return floor(v / q) * q;
}

/* Decides what runs in slot k of node n and names its pod generations. */
static void make_slot(struct gen_model *m, uint32_t s)
{
    uint32_t P = m->cfg.pods_per_node, n = s / P, k = s % P;
    uint32_t N = m->nnodes, cache_from = N - (N < 3 ? N : 3);
    struct gen_slot *sl = &m->slots[s];
    const struct gen_node *node = &m->nodes[n];
    uint64_t h = gen_hash(m->cfg.seed, H_SLOT, s, 0);
    uint32_t app_i = (uint32_t)((h >> 16) % m->napp);
    size_t nlen;
    const char *nname = ocp_strdict_get(&m->node.d, node->name, &nlen);
    uint32_t d, gens = 1, g;
    char prefix[96];
    double share_cpu = node->cores / P, share_mem = node->mem / P;

    sl->home = n;
    sl->kind = SLOT_APP;
    sl->ns = m->app_ns[app_i];
    if (k == 1) {
        sl->kind = SLOT_STATEFUL;
        if (node->role == GEN_WORKER) {
            sl->moves = 1;
            snprintf(prefix, sizeof prefix, "postgres-%u", n);
        } else {
            sl->ns = NS_MONITORING;
            snprintf(prefix, sizeof prefix, "%s-%u",
                     node->role == GEN_MASTER ? "alertmanager-main" : "prometheus-k8s", n);
        }
    } else if (k == 2 && n >= cache_from) {
        sl->kind = SLOT_CACHE;
        sl->ns = m->app_ns[0];
        snprintf(prefix, sizeof prefix, "cache-%u", n);
    } else if (node->role == GEN_MASTER) {
        static const uint32_t mns[3] = {NS_ETCD, NS_KUBE_SYSTEM, NS_APISERVER};
        sl->kind = SLOT_PLATFORM;
        sl->ns = k == 0 ? NS_APISERVER : mns[k % 3];
        snprintf(prefix, sizeof prefix, "%s-%.*s",
                 k == 0              ? "kube-apiserver"
                 : sl->ns == NS_ETCD ? "etcd"
                                     : "guard",
                 (int)nlen, nname);
        if (k >= 3)
            snprintf(prefix + strlen(prefix), sizeof prefix - strlen(prefix), "-%u", k);
    } else if (node->role == GEN_INFRA) {
        static const uint32_t ins[3] = {NS_INGRESS, NS_MONITORING, NS_KUBE_SYSTEM};
        sl->kind = SLOT_PLATFORM;
        sl->ns = ins[k % 3];
        snprintf(prefix, sizeof prefix, "%s-%06llx",
                 sl->ns == NS_INGRESS      ? "router-default"
                 : sl->ns == NS_MONITORING ? "thanos-querier"
                                           : "dns-default",
                 (unsigned long long)(h >> 40));
    } else if (k == 3) {
        sl->kind = SLOT_VM;
        snprintf(prefix, sizeof prefix, "virt-launcher-vm-%u", n);
    } else {
        sl->churns = 1;
        sl->moves = k % 7 == 5;
        snprintf(prefix, sizeof prefix, "%s-%08llx", deploys[(h >> 24) % 8],
                 (unsigned long long)(h >> 32));
    }
    if (sl->kind == SLOT_VM) {
        uint32_t op = (h >> 4) % 4 == 0;
        sl->label = gen_dict_addf(
            &m->plabel,
            op ? "label_kubevirt_io:virt-launcher|label_vm_kubevirt_io_name:vm-%u"
               : "{\"kubevirt_io\":\"virt-launcher\",\"vm_kubevirt_io_name\":\"vm-%u\"}",
            n);
    } else {
        sl->label = slot_label(m, gen_hash(m->cfg.seed, H_LABEL, s, 0), sl->ns % 3);
    }
    /* Requests take a share of the node; usage hovers around them. */
    sl->req_cpu = round_to(share_cpu * (0.25 + 0.25 * (double)((h >> 2) % 4)), 0.001);
    sl->lim_cpu = (h >> 5) % 3 == 0 ? NAN : sl->req_cpu * 2;
    sl->use_cpu = sl->req_cpu * (0.5 + 0.1 * (double)((h >> 12) % 8));
    sl->req_mem = round_to(share_mem * (0.25 + 0.25 * (double)((h >> 7) % 4)), 1048576.0);
    sl->lim_mem = (h >> 9) % 4 == 0 ? NAN : sl->req_mem * 1.5;
    sl->use_mem = sl->req_mem * (0.5 + 0.1 * (double)((h >> 48) % 8));

    /* Generations: a churning slot is replaced by a new pod at a random
     * hour on about one day in five. */
    for (d = 0; d < m->cfg.days; d++) {
        uint64_t hs = gen_hash(m->cfg.seed, H_SPLIT, s, d);
        size_t at = (size_t)s * m->cfg.days + d;
        m->day_gen[at] = gens - 1;
        m->day_split[at] = 24;
        if (sl->churns && hs % 5 == 0) {
            m->day_split[at] = (uint8_t)(1 + (hs >> 8) % 23);
            gens++;
        }
    }
    for (g = 0; g < gens; g++) {
        uint32_t id;
        if (sl->kind == SLOT_STATEFUL || sl->kind == SLOT_CACHE ||
            (sl->kind == SLOT_PLATFORM && k == 0 && node->role == GEN_MASTER))
            id = gen_dict_addf(&m->pod, "%s", prefix);
        else
            id = gen_dict_addf(&m->pod, "%s-%05llx", prefix,
                               (unsigned long long)(gen_hash(m->cfg.seed, H_NAME, s, g) & 0xfffff));
        if (g == 0)
            sl->pod_base = id;
    }
}

static void add_volume(struct gen_model *m, uint32_t slot, uint32_t ns, uint32_t pod, uint32_t pvc,
                       uint32_t i, int shared)
{
    struct gen_volume *v = &m->vols[m->nvol++];
    uint64_t h = gen_hash(m->cfg.seed, H_VOL, i, 0);
    static const double sizes[4] = {10, 20, 50, 100};
    uint32_t form = (uint32_t)(h % 5);

    v->slot = slot;
    v->ns = ns;
    v->pod = pod;
    v->pvc = pvc;
    v->bytes = sizes[(h >> 8) % 4] * 1073741824.0;
    if (shared) {
        v->pv = m->vols[m->nvol - 2].pv; /* same volume as the previous mount */
        v->sc = m->vols[m->nvol - 2].sc;
        v->csi = m->vols[m->nvol - 2].csi;
        v->bytes = m->vols[m->nvol - 2].bytes;
    } else {
        v->pv = gen_dict_addf(&m->pv, "pvc-%08llx-%04llx-%04llx", (unsigned long long)(h >> 32),
                              (unsigned long long)((h >> 16) & 0xffff),
                              (unsigned long long)(h & 0xffff));
        /* Even volumes are CSI (gp3-csi with a handle), odd ones in-tree. */
        if (i % 2 == 0) {
            v->sc = 0;
            v->csi = gen_dict_addf(&m->csi, "vol-0%016llx", (unsigned long long)gen_mix(h));
        } else {
            v->sc = 1;
            v->csi = OCP_NULL_ID;
        }
    }
    v->pv_labels = form == 0 ? OCP_NULL_ID : form == 4 ? 2 : (uint32_t)(form % 2);
    v->pvc_labels = form == 1 ? OCP_NULL_ID : form == 3 ? 3 : 4 + (uint32_t)(form % 2);
}

static void volumes(struct gen_model *m)
{
    uint32_t P = m->cfg.pods_per_node, N = m->nnodes, n, i = 0;
    uint32_t cache_from = N - (N < 3 ? N : 3), shared_pvc = OCP_NULL_ID;
    uint32_t first_shared = 1;

    gen_dict_addf(&m->sc, "gp3-csi");
    gen_dict_addf(&m->sc, "standard");
    gen_dict_addf(&m->sc, "efs-sc");
    /* pv/pvc label texts: JSON and operator text, plus "" and "{}". */
    gen_dict_addf(&m->vlabel, "{\"app\":\"db\",\"environment\":\"prod\"}");
    gen_dict_addf(&m->vlabel, "label_app:db|label_environment:prod");
    gen_dict_addf(&m->vlabel, "{}");
    gen_dict_add(&m->vlabel, "", 0);
    gen_dict_addf(&m->vlabel, "{\"tier\":\"db\",\"app\":\"storage\"}");
    gen_dict_addf(&m->vlabel, "label_tier:db|label_app:storage");
    if (P >= 2)
        for (n = 0; n < N; n++) {
            const struct gen_slot *sl = &m->slots[n * P + 1];
            size_t len;
            const char *pod = ocp_strdict_get(&m->pod.d, sl->pod_base, &len);
            add_volume(m, n * P + 1, sl->ns, sl->pod_base,
                       gen_dict_addf(&m->pvc, "data-%.*s", (int)len, pod), i++, 0);
        }
    if (P >= 3) {
        shared_pvc = gen_dict_addf(&m->pvc, "shared-cache");
        for (n = cache_from; n < N; n++) {
            const struct gen_slot *sl = &m->slots[n * P + 2];
            add_volume(m, n * P + 2, sl->ns, sl->pod_base, shared_pvc, i++, !first_shared);
            if (first_shared) {
                struct gen_volume *v = &m->vols[m->nvol - 1];
                /* The shared volume is an RWX file system. */
                v->sc = 2;
                v->csi =
                    gen_dict_addf(&m->csi, "fs-0%08llx::fsap-0%08llx",
                                  (unsigned long long)(v->pv * 2654435761u), (unsigned long long)i);
            }
            first_shared = 0;
        }
    }
    /* Two PVCs left behind by jobs whose pods never appear in pod usage. */
    for (n = 0; n < 2; n++) {
        uint32_t ns = m->app_ns[(n + 1) % m->napp];
        add_volume(m, UINT32_MAX, ns, gen_dict_addf(&m->pod, "backup-job-%u", n),
                   gen_dict_addf(&m->pvc, "backup-%u", n), i++, 0);
    }
}

void gen_model_release(struct gen_model *m)
{
    struct gen_dict *d[] = {&m->ns, &m->node, &m->pod, &m->rid,    &m->role,   &m->plabel, &m->pvc,
                            &m->pv, &m->sc,   &m->csi, &m->vlabel, &m->nlabel, &m->nslabel};
    size_t i;
    for (i = 0; i < sizeof d / sizeof d[0]; i++)
        gen_dict_release(d[i]);
    free(m->nodes);
    free(m->slots);
    free(m->vols);
    free(m->ns_labels);
    free(m->app_ns);
    free(m->day_gen);
    free(m->day_split);
    memset(m, 0, sizeof *m);
}

int gen_model_init(struct gen_model *m, const struct gen_config *cfg, struct ocp_error *err)
{
    struct gen_dict *d[] = {&m->ns, &m->node, &m->pod, &m->rid,    &m->role,   &m->plabel, &m->pvc,
                            &m->pv, &m->sc,   &m->csi, &m->vlabel, &m->nlabel, &m->nslabel};
    uint32_t r_master, r_infra, r_worker, r_empty, i;
    size_t k, slots_days;
    int rc;

    memset(m, 0, sizeof *m);
    rc = gen_config_check(cfg, err);
    if (rc != OCP_OK)
        return rc;
    m->cfg = *cfg;
    m->nnodes = cfg->nodes;
    m->nslots = cfg->nodes * cfg->pods_per_node;
    m->nns = cfg->namespaces;
    m->napp = cfg->namespaces - N_PLATFORM_NS;
    slots_days = (size_t)m->nslots * cfg->days;
    for (k = 0; k < sizeof d / sizeof d[0]; k++)
        gen_dict_init(d[k]);
    m->nodes = calloc(m->nnodes, sizeof *m->nodes);
    m->slots = calloc(m->nslots, sizeof *m->slots);
    m->vols = calloc((size_t)m->nnodes * 2 + 2, sizeof *m->vols);
    m->ns_labels = calloc((size_t)m->nns * 4, sizeof *m->ns_labels);
    m->app_ns = calloc(m->napp, sizeof *m->app_ns);
    m->day_gen = calloc(slots_days, sizeof *m->day_gen);
    m->day_split = calloc(slots_days, 1);
    if (m->nodes == NULL || m->slots == NULL || m->vols == NULL || m->ns_labels == NULL ||
        m->app_ns == NULL || m->day_gen == NULL || m->day_split == NULL)
        goto oom;

    for (i = 0; i < N_PLATFORM_NS; i++)
        gen_dict_addf(&m->ns, "%s", platform_ns[i]);
    for (i = 0; i < m->napp; i++)
        m->app_ns[i] = add_app_ns(&m->ns, i);
    for (i = 0; i < m->nns; i++)
        ns_labels(m, i, i);
    m->nslabel_empty = gen_dict_add(&m->nslabel, "", 0);
    m->nslabel_braces = gen_dict_add(&m->nslabel, "{}", 2);

    r_master = gen_dict_addf(&m->role, "master");
    r_infra = gen_dict_addf(&m->role, "infra");
    r_worker = gen_dict_addf(&m->role, "worker");
    r_empty = gen_dict_add(&m->role, "", 0);
    for (i = 0; i < m->nnodes; i++)
        make_node(m, i, r_master, r_infra, r_worker, r_empty);
    m->empty_node = gen_dict_add(&m->node, "", 0);
    m->empty_rid = gen_dict_add(&m->rid, "", 0);
    for (i = 0; i < m->nnodes; i++)
        node_labels(m, i);
    m->nlabel_empty = gen_dict_add(&m->nlabel, "", 0);

    pod_labels(m);
    for (i = 0; i < m->nslots; i++)
        make_slot(m, i);
    volumes(m);

    for (k = 0; k < sizeof d / sizeof d[0]; k++) {
        if (d[k]->oom)
            goto oom;
        gen_dict_seal(d[k]);
    }
    return OCP_OK;
oom:
    gen_model_release(m);
    return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                         "out of memory building the synthetic cluster");
}
