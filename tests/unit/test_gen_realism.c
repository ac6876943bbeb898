/* test_gen_realism.c - the synthetic data has the features the job's
 * semantics must handle (issues 2 and 5): empty and NULL nodes, NULL
 * usage, every label form, malformed labels on request, every node-role
 * source, LIKE-able namespaces, pods that move and churn, shared and
 * orphaned volumes, label sets that change within a day. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/gen.h"
#include "ocpagg/text.h"
#include "testlib.h"

#define MAXT 2048
#define US_HOUR INT64_C(3600000000)

/* (a, b, day) tuples, deduplicated; small enough for linear search. */
struct tuple {
    char a[96], b[320];
    int day;
    int64_t first, last;
};
struct tuples {
    int n;
    struct tuple t[MAXT];
};

static struct tuple *tuple_get(struct tuples *s, const char *a, const char *b, int day)
{
    int i;
    for (i = 0; i < s->n; i++)
        if (s->t[i].day == day && strcmp(s->t[i].a, a) == 0 && strcmp(s->t[i].b, b) == 0)
            return &s->t[i];
    if (s->n == MAXT)
        return NULL;
    snprintf(s->t[s->n].a, sizeof s->t[0].a, "%s", a);
    snprintf(s->t[s->n].b, sizeof s->t[0].b, "%s", b);
    s->t[s->n].day = day;
    s->t[s->n].first = INT64_MAX;
    s->t[s->n].last = INT64_MIN;
    return &s->t[s->n++];
}

static void seen(struct tuples *s, const char *a, const char *b, int day, int64_t ts)
{
    struct tuple *t = tuple_get(s, a, b, day);
    if (t == NULL)
        return;
    if (ts < t->first)
        t->first = ts;
    if (ts > t->last)
        t->last = ts;
}

struct stats {
    int32_t start_day;
    long pod_rows, empty_node, null_node, null_cpu, null_mem, eff_value, eff_null;
    long json_ok, json_bad, op_text, lab_null, lab_empty, lab_braces, vm_label;
    long role_master, role_infra, role_worker, role_empty, role_null;
    long off_hour, out_of_range, over_capacity, bad_capacity, bad_rid;
    long apiserver_on_null_role;
    long sto_rows, csi_null, csi_set, sto_bad_bytes, sto_null_usage;
    long pvl_json, pvl_op, pvl_null;
    struct tuples pod_node;  /* (pod, node, day) with first/last ts */
    struct tuples pod_any;   /* (pod, "", -1) over all days */
    struct tuples ns_names;  /* (namespace, "", -1) */
    struct tuples node_role; /* (node, role or "<null>", -1) */
    struct tuples pv_pod;    /* (pv, ns/pod, day) */
    struct tuples sto_pod;   /* (ns/pod, "", -1) */
    struct tuples nl_sets;   /* (node, label text, day) */
    struct tuples nsl_sets;  /* (namespace, label text, day) */
};

static const char *str_at(const struct ocp_column *c, size_t r, char *buf, size_t size)
{
    size_t len;
    const char *s;
    if (c->str.ids[r] == OCP_NULL_ID)
        return NULL;
    s = ocp_strdict_get(c->str.dict, c->str.ids[r], &len);
    if (len >= size)
        len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* Counts a non-empty label text as valid JSON, malformed JSON or
 * operator text. */
static void classify_label(struct stats *st, const char *s, long *js, long *op)
{
    if (s[0] == '{') {
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        if (j != NULL && json_is_object(j))
            (*js)++;
        else
            st->json_bad++;
        json_decref(j);
    } else if (strncmp(s, "label_", 6) == 0) {
        (*op)++;
    }
}

static int day_of(const struct stats *st, int64_t ts)
{
    return (int)(ts / OCP_US_PER_DAY - st->start_day);
}

static void pod_batch(struct stats *st, const struct ocp_batch *b)
{
    size_t r;
    char ns[96], node[96], pod[96], role[32], rid[96], lab[512];

    for (r = 0; r < b->nrows; r++) {
        int64_t ts = b->col[POD_INTERVAL_START].ts[r];
        const char *n = str_at(&b->col[POD_NODE], r, node, sizeof node);
        const char *ro = str_at(&b->col[POD_NODE_ROLE], r, role, sizeof role);
        const char *l = str_at(&b->col[POD_LABELS], r, lab, sizeof lab);
        const char *id = str_at(&b->col[POD_RESOURCE_ID], r, rid, sizeof rid);
        double cores = b->col[POD_CAP_CPU_CORES].num[r];
        double mem = b->col[POD_CAP_MEM_BYTES].num[r];
        double cpu = b->col[POD_USAGE_CPU].num[r], umem = b->col[POD_USAGE_MEM].num[r];
        int day = day_of(st, ts);

        str_at(&b->col[POD_NAMESPACE], r, ns, sizeof ns);
        str_at(&b->col[POD_POD], r, pod, sizeof pod);
        st->pod_rows++;
        st->off_hour += ts % US_HOUR != 0;
        st->out_of_range += day < 0 || day >= 3;
        seen(&st->ns_names, ns, "", -1, 0);
        seen(&st->pod_any, pod, "", -1, ts);
        st->null_cpu += isnan(cpu);
        st->null_mem += isnan(umem);
        if (l != NULL && strstr(l, "vm_kubevirt_io_name") != NULL)
            st->vm_label++;
        if (l == NULL)
            st->lab_null++;
        else if (l[0] == '\0')
            st->lab_empty++;
        else if (strcmp(l, "{}") == 0)
            st->lab_braces++;
        else
            classify_label(st, l, &st->json_ok, &st->op_text);
        if (n == NULL || n[0] == '\0') {
            st->null_node += n == NULL;
            st->empty_node += n != NULL;
            continue;
        }
        seen(&st->pod_node, pod, n, day, ts);
        seen(&st->node_role, n, ro ? ro : "<null>", -1, 0);
        if (ro == NULL)
            st->role_null++;
        else if (strcmp(ro, "master") == 0)
            st->role_master++;
        else if (strcmp(ro, "infra") == 0)
            st->role_infra++;
        else if (strcmp(ro, "worker") == 0)
            st->role_worker++;
        else if (ro[0] == '\0')
            st->role_empty++;
        if (ro == NULL && strcmp(ns, "openshift-kube-apiserver") == 0)
            st->apiserver_on_null_role++;
        st->bad_rid += id == NULL || strncmp(id, "i-0", 3) != 0;
        if (b->col[POD_EFF_CPU].present) {
            if (isnan(b->col[POD_EFF_CPU].num[r]))
                st->eff_null++;
            else
                st->eff_value++;
        }
        if ((!isnan(cpu) && cpu > cores * 3600) || (!isnan(umem) && umem > mem * 3600))
            st->over_capacity++;
        if (b->col[POD_CAP_CPU_SEC].num[r] != cores * 3600 ||
            b->col[POD_CAP_MEM_SEC].num[r] != mem * 3600 || cores <= 0)
            st->bad_capacity++;
    }
}

static void storage_batch(struct stats *st, const struct ocp_batch *b)
{
    size_t r;
    char ns[96], pod[96], pv[96], key[200], lab[256];

    for (r = 0; r < b->nrows; r++) {
        int64_t ts = b->col[STO_INTERVAL_START].ts[r];
        double cap = b->col[STO_CAP_BYTES].num[r];
        double use = b->col[STO_USAGE_BYTE_SEC].num[r];
        const char *pl = str_at(&b->col[STO_PV_LABELS], r, lab, sizeof lab);

        str_at(&b->col[STO_NAMESPACE], r, ns, sizeof ns);
        str_at(&b->col[STO_POD], r, pod, sizeof pod);
        str_at(&b->col[STO_PV], r, pv, sizeof pv);
        snprintf(key, sizeof key, "%s/%s", ns, pod);
        st->sto_rows++;
        seen(&st->pv_pod, pv, pod, day_of(st, ts), ts);
        seen(&st->sto_pod, pod, "", -1, ts);
        if (b->col[STO_CSI_HANDLE].str.ids[r] == OCP_NULL_ID)
            st->csi_null++;
        else
            st->csi_set++;
        st->sto_null_usage += isnan(use);
        if (b->col[STO_CAP_BYTE_SEC].num[r] != cap * 3600 || (!isnan(use) && use > cap * 3600))
            st->sto_bad_bytes++;
        if (pl == NULL)
            st->pvl_null++;
        else if (pl[0] == '{' && strlen(pl) > 2)
            st->pvl_json++;
        else if (strncmp(pl, "label_", 6) == 0)
            st->pvl_op++;
    }
}

static void label_batch(struct stats *st, const struct ocp_batch *b, struct tuples *sets)
{
    size_t r;
    char who[96], lab[512];
    for (r = 0; r < b->nrows; r++) {
        const char *l = str_at(&b->col[2], r, lab, sizeof lab);
        str_at(&b->col[1], r, who, sizeof who);
        seen(sets, who, l ? l : "<null>", day_of(st, b->col[0].ts[r]), 0);
    }
}

static int s_begin(void *ctx, enum ocp_table t, struct ocp_error *err)
{
    (void)ctx, (void)t, (void)err;
    return OCP_OK;
}
static int s_end(void *ctx, enum ocp_table t, int64_t rows, struct ocp_error *err)
{
    (void)ctx, (void)t, (void)rows, (void)err;
    return OCP_OK;
}
static int s_write(void *ctx, const struct ocp_batch *b, struct ocp_error *err)
{
    struct stats *st = ctx;
    (void)err;
    if (b->table == OCP_TABLE_POD)
        pod_batch(st, b);
    else if (b->table == OCP_TABLE_STORAGE)
        storage_batch(st, b);
    else if (b->table == OCP_TABLE_NODE_LABELS)
        label_batch(st, b, &st->nl_sets);
    else
        label_batch(st, b, &st->nsl_sets);
    return OCP_OK;
}

static struct stats st;

static void collect(int bad_labels)
{
    struct gen_config c;
    struct gen_sink s = {&st, s_begin, s_write, s_end};
    struct ocp_error err;

    memset(&st, 0, sizeof st);
    gen_config_default(&c);
    c.nodes = 8;
    c.bad_labels = bad_labels;
    st.start_day = c.start_day;
    CHECK_INT(gen_all(&c, &s, NULL, &err), OCP_OK);
}

/* Number of (a, day) groups of a tuple set with more than one distinct b. */
static int groups_with_several(const struct tuples *s)
{
    int i, j, n = 0;
    for (i = 0; i < s->n; i++)
        for (j = 0; j < i; j++)
            if (s->t[j].day == s->t[i].day && strcmp(s->t[j].a, s->t[i].a) == 0 &&
                strcmp(s->t[j].b, s->t[i].b) != 0) {
                n++;
                break;
            }
    return n;
}

static void test_pod_rows(void)
{
    int i, j, moved = 0, starts_late = 0, stops_early = 0;

    collect(1);
    CHECK_INT(st.pod_rows, 8 * 10 * 24 * 3);
    CHECK_INT(st.off_hour, 0);
    CHECK_INT(st.out_of_range, 0);
    CHECK(st.empty_node > 0);
    CHECK(st.null_node > 0);
    CHECK(st.null_cpu > 0);
    CHECK(st.null_mem > 0);
    CHECK(st.null_cpu < st.pod_rows / 10);
    CHECK(st.eff_value > 0);
    CHECK(st.eff_null > 0);
    CHECK_INT(st.over_capacity, 0);
    CHECK_INT(st.bad_capacity, 0);
    CHECK_INT(st.bad_rid, 0);
    /* Both label forms, NULL, "" and "{}", and the malformed ones. */
    CHECK(st.json_ok > st.op_text);
    CHECK(st.op_text > 0);
    CHECK(st.lab_null > 0);
    CHECK(st.lab_empty > 0);
    CHECK(st.lab_braces > 0);
    CHECK(st.json_bad > 0);
    CHECK(st.json_bad < st.pod_rows / 100);
    CHECK(st.vm_label > 0);
    /* Every source of a node role. */
    CHECK(st.role_master > 0);
    CHECK(st.role_infra > 0);
    CHECK(st.role_worker > 0);
    CHECK(st.role_empty > 0);
    CHECK(st.role_null > 0);
    CHECK(st.apiserver_on_null_role > 0);
    /* The same pod on different nodes on different days. */
    for (i = 0; i < st.pod_node.n && !moved; i++)
        for (j = 0; j < i; j++)
            if (strcmp(st.pod_node.t[i].a, st.pod_node.t[j].a) == 0 &&
                strcmp(st.pod_node.t[i].b, st.pod_node.t[j].b) != 0) {
                moved = 1;
                break;
            }
    CHECK(moved);
    /* Pods that start after midnight or stop before the day ends. */
    for (i = 0; i < st.pod_any.n; i++) {
        int64_t first = st.pod_any.t[i].first, last = st.pod_any.t[i].last;
        starts_late += first % OCP_US_PER_DAY != 0;
        stops_early += (last + US_HOUR) % OCP_US_PER_DAY != 0;
    }
    CHECK(starts_late > 0);
    CHECK(stops_early > 0);
}

static void test_namespaces(void)
{
    int i, app_one = 0, team = 0, openshift = 0, kube = 0, app_two_digit = 0;

    collect(0);
    CHECK_INT(st.json_bad, 0); /* malformed labels only on request */
    for (i = 0; i < st.ns_names.n; i++) {
        const char *s = st.ns_names.t[i].a;
        size_t n = strlen(s);
        app_one += txt_like("app-_", 5, s, n);
        app_two_digit += txt_like("app-__", 6, s, n);
        team += txt_like("team_a", 6, s, n);
        openshift += txt_like("openshift-%", 11, s, n);
        kube += strcmp(s, "kube-system") == 0;
    }
    CHECK(app_one >= 2);
    CHECK_INT(team, 2); /* team_a and teamXa */
    CHECK(openshift >= 3);
    CHECK_INT(kube, 1);
    CHECK(app_two_digit >= 1); /* app-10 is not app-_ */
}

static void test_storage(void)
{
    int i, j, k, shared = 0, orphans = 0;

    collect(0);
    CHECK_INT(st.sto_rows, (8 + 3 + 2) * 24 * 3);
    CHECK(st.csi_null > 0);
    CHECK(st.csi_set > 0);
    CHECK(st.sto_null_usage > 0);
    CHECK_INT(st.sto_bad_bytes, 0);
    CHECK(st.pvl_json > 0);
    CHECK(st.pvl_op > 0);
    CHECK(st.pvl_null > 0);
    /* A pv whose pods ran on at least two nodes the same day. */
    for (i = 0; i < st.pv_pod.n && !shared; i++)
        for (j = 0; j < i && !shared; j++) {
            const struct tuple *a = &st.pv_pod.t[i], *b = &st.pv_pod.t[j];
            const char *na = NULL, *nb = NULL;
            if (a->day != b->day || strcmp(a->a, b->a) != 0 || strcmp(a->b, b->b) == 0)
                continue;
            for (k = 0; k < st.pod_node.n; k++) {
                const struct tuple *p = &st.pod_node.t[k];
                if (p->day != a->day)
                    continue;
                if (strcmp(p->a, a->b) == 0)
                    na = p->b;
                if (strcmp(p->a, b->b) == 0)
                    nb = p->b;
            }
            shared = na != NULL && nb != NULL && strcmp(na, nb) != 0;
        }
    CHECK(shared);
    /* PVCs of pods that never appear in pod usage. */
    for (i = 0; i < st.sto_pod.n; i++) {
        int found = 0;
        for (j = 0; j < st.pod_any.n && !found; j++)
            found = strcmp(st.pod_any.t[j].a, st.sto_pod.t[i].a) == 0;
        orphans += !found;
    }
    CHECK_INT(orphans, 2);
}

static void test_label_tables(void)
{
    int i, infra_by_label = 0;

    collect(0);
    CHECK(groups_with_several(&st.nl_sets) > 0);
    CHECK(groups_with_several(&st.nsl_sets) > 0);
    /* A node whose role column is empty but whose node label says infra. */
    for (i = 0; i < st.node_role.n; i++) {
        int j, labeled = 0;
        if (strcmp(st.node_role.t[i].b, "") != 0)
            continue;
        for (j = 0; j < st.nl_sets.n; j++)
            if (strcmp(st.nl_sets.t[j].a, st.node_role.t[i].a) == 0 &&
                (strstr(st.nl_sets.t[j].b, "\"node_role_kubernetes_io\":\"infra\"") ||
                 strstr(st.nl_sets.t[j].b, "label_node_role_kubernetes_io:infra")))
                labeled = 1;
        infra_by_label += labeled;
    }
    CHECK(infra_by_label > 0);
}

int main(void)
{
    RUN(test_pod_rows);
    RUN(test_namespaces);
    RUN(test_storage);
    RUN(test_label_tables);
    return TEST_SUMMARY();
}
