/*
 * aws_attr_ocp.c - the OCP side of the attribution (SEMANTICS-AWS §1.4,
 * §3, §5): the summary rows indexed by day and by node, volume and label
 * keys, the match sets every rank contributes, and the lookups of rows by
 * posting list and by longest id suffix.
 */
#include "aws/aws_attr_internal.h"
#include "ocpagg/text.h"

const char AWS_NS_WORKER[] = "Worker unallocated";
const char AWS_NS_PLATFORM[] = "Platform unallocated";
const char AWS_NS_STORAGE[] = "Storage unattributed";
const char AWS_NS_NETWORK[] = "Network unattributed";

static int is_special(const char *ns)
{
    return ns != NULL && (strcmp(ns, AWS_NS_WORKER) == 0 || strcmp(ns, AWS_NS_PLATFORM) == 0 ||
                          strcmp(ns, AWS_NS_STORAGE) == 0 || strcmp(ns, AWS_NS_NETWORK) == 0);
}

int aws_attr_grow_buf(struct ctx *x, size_t need)
{
    if (need > x->bufcap) {
        size_t nc = x->bufcap ? x->bufcap : 256;
        const struct rpt_row **nb;
        while (nc < need)
            nc *= 2;
        nb = realloc(x->buf, nc * sizeof *nb);
        if (nb == NULL)
            return OCP_ERR_OSERR;
        x->buf = nb;
        x->bufcap = nc;
    }
    return OCP_OK;
}

int aws_attr_collect(struct ctx *x, int64_t h, size_t *n)
{
    *n = 0;
    for (; h >= 0; h = x->ix.e[h].next) {
        if (aws_attr_grow_buf(x, *n + 1) != OCP_OK)
            return OCP_ERR_OSERR;
        x->buf[(*n)++] = &x->ocp->rows[x->ix.e[h].row];
    }
    return OCP_OK;
}

int64_t aws_attr_longest(struct ctx *x, char t, int32_t day, const struct idset *lens,
                         const char *rid, size_t rlen)
{
    size_t i;
    for (i = 0; i < lens->nlens; i++) {
        int64_t h;
        if (lens->lens[i] > rlen)
            continue;
        k_begin(&x->k, t, day);
        k_add(&x->k, rid + rlen - lens->lens[i], lens->lens[i]);
        h = aws_ix_find(&x->ix, &x->k);
        if (h >= 0)
            return h;
    }
    return -1;
}

/* ---- building the OCP side ---- */

static int index_labels(struct ctx *x, const char *text, int32_t day, uint32_t row,
                        struct ocp_error *err)
{
    size_t i;
    int rc;
    size_t li;
    int added;
    const struct lbl_set *ls;
    if (text == NULL)
        return OCP_OK;
    if (x->lcache.n >= x->lcap) { /* room first: every key has a value */
        size_t nc = x->lcap ? x->lcap * 2 : 64;
        struct lbl_set *nl = realloc(x->lvals, nc * sizeof *nl);
        if (nl == NULL)
            return oom(err);
        x->lvals = nl;
        x->lcap = nc;
    }
    if (aws_map_put(&x->lcache, text, strlen(text), &li, &added) != OCP_OK)
        return oom(err);
    if (added) {
        lbl_set_init(&x->lvals[li]);
        rc = lbl_parse(text, strlen(text), &x->lvals[li], err);
        if (rc != OCP_OK)
            return rc == OCP_ERR_DATA ? ocp_error_set(err, OCP_ERR_DATA, NULL, -1, "labels",
                                                      "malformed OCP label text in the summary")
                                      : oom(err);
        lbl_filter(&x->lvals[li], &x->e_lab);
    }
    ls = &x->lvals[li];
    for (i = 0; i < ls->count; i++) {
        const struct lbl_pair *pr = &ls->pairs[i];
        k_begin(&x->k, 'L', day);
        k_str(&x->k, pr->key, pr->klen);
        k_add(&x->k, pr->value, pr->vlen);
        if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
            return oom(err);
    }
    return OCP_OK;
}

/* The match sets of §1.4 that one summary row adds to (NULL: none):
 * NodeIds, PV names, CSI handles (of PVs), TagNodes, TagNamespaces. */
enum { M_NODEID, M_PV, M_HANDLE, M_TAGNODE, M_TAGNS, M_NSETS };

static void match_of_row(const struct rpt_row *r, const char *ms[M_NSETS])
{
    int pod = r->source == RPT_SOURCE_POD;
    ms[M_NODEID] = pod && nonempty(r->resource_id) ? r->resource_id : NULL;
    ms[M_PV] = !pod && nonempty(r->pv) ? r->pv : NULL;
    ms[M_HANDLE] = ms[M_PV] != NULL && nonempty(r->csi_volume_handle) ? r->csi_volume_handle : NULL;
    ms[M_TAGNODE] = pod && !is_special(r->namespace_) ? r->node : NULL;
    ms[M_TAGNS] = pod && !is_special(r->namespace_) ? r->namespace_ : NULL;
}

static int match_add_one(struct ctx *x, int set, const char *v, size_t len)
{
    size_t idx;
    switch (set) {
    case M_NODEID: return aws_set_add(&x->nodeids, v, len);
    case M_PV: return aws_set_add(&x->pvnames, v, len);
    case M_HANDLE: return aws_set_add(&x->handles, v, len);
    case M_TAGNODE: return aws_map_put(&x->tagnodes, v, len, &idx, NULL);
    default: return aws_map_put(&x->tagns, v, len, &idx, NULL);
    }
}

static int match_add(struct ctx *x, const char *const ms[M_NSETS])
{
    int k;
    for (k = 0; k < M_NSETS; k++)
        if (ms[k] != NULL && match_add_one(x, k, ms[k], strlen(ms[k])) != OCP_OK)
            return OCP_ERR_OSERR;
    return OCP_OK;
}

/* Image: "AWM1", then per set (M_* order) u32 count and the members as
 * u32 length + bytes. */
int aws_match_encode(const struct rpt_table *ocp, int32_t day_first, int32_t day_last,
                     struct rpt_buf *out)
{
    struct aws_map m[M_NSETS];
    const char *prev[M_NSETS] = {NULL, NULL, NULL, NULL, NULL};
    size_t i, need = 4;
    int k, rc = OCP_OK;
    for (k = 0; k < M_NSETS; k++)
        aws_map_init(&m[k]);
    for (i = 0; i < ocp->count && rc == OCP_OK; i++) {
        const struct rpt_row *r = &ocp->rows[i];
        const char *ms[M_NSETS];
        size_t idx;
        if (r->usage_day < day_first || r->usage_day > day_last)
            continue;
        match_of_row(r, ms);
        /* Neighbouring rows mostly repeat a member (the rows are sorted):
         * a comparison is cheaper than a hash. */
        for (k = 0; k < M_NSETS && rc == OCP_OK; k++)
            if (ms[k] != NULL && (prev[k] == NULL || strcmp(prev[k], ms[k]) != 0)) {
                rc = aws_map_put(&m[k], ms[k], strlen(ms[k]), &idx, NULL);
                prev[k] = ms[k];
            }
    }
    for (k = 0; k < M_NSETS; k++) {
        need += 4;
        for (i = 0; i < m[k].n; i++)
            need += 4 + m[k].klen[i];
    }
    if (rc == OCP_OK)
        rc = rpt_buf_reserve(out, need);
    if (rc == OCP_OK) {
        unsigned char *p = (unsigned char *)out->data + out->len;
        memcpy(p, "AWM1", 4);
        p += 4;
        for (k = 0; k < M_NSETS; k++) {
            uint32_t v = (uint32_t)m[k].n;
            memcpy(p, &v, 4); /* little endian hosts, as the keys */
            p += 4;
            for (i = 0; i < m[k].n; i++) {
                v = m[k].klen[i];
                memcpy(p, &v, 4);
                memcpy(p + 4, m[k].keys[i], v);
                p += 4 + v;
            }
        }
        out->len += need;
    }
    for (k = 0; k < M_NSETS; k++)
        aws_map_release(&m[k]);
    return rc == OCP_OK ? OCP_OK : OCP_ERR_OSERR;
}

/* Adds the members of concatenated aws_match_encode images. */
int aws_attr_match_add_images(struct ctx *x, const unsigned char *d, size_t len,
                              struct ocp_error *err)
{
    size_t at = 0;
    while (at < len) {
        int k;
        if (len - at < 4 || memcmp(d + at, "AWM1", 4) != 0)
            goto bad;
        at += 4;
        for (k = 0; k < M_NSETS; k++) {
            uint32_t n, i, l;
            if (len - at < 4)
                goto bad;
            memcpy(&n, d + at, 4);
            at += 4;
            for (i = 0; i < n; i++) {
                if (len - at < 4)
                    goto bad;
                memcpy(&l, d + at, 4);
                at += 4;
                if (len - at < l)
                    goto bad;
                if (match_add_one(x, k, (const char *)d + at, l) != OCP_OK)
                    return oom(err);
                at += l;
            }
        }
    }
    return OCP_OK;
bad:
    return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL, "corrupt AWS match sets");
}

int aws_attr_build_ocp(struct ctx *x, struct ocp_error *err)
{
    size_t i;
    int rc;
    for (i = 0; i < x->ocp->count; i++) {
        const struct rpt_row *r = &x->ocp->rows[i];
        uint32_t row = (uint32_t)i;
        int pod = r->source == RPT_SOURCE_POD;
        if (r->usage_day < x->p->day_first || r->usage_day > x->p->day_last)
            continue;
        /* The match sets of §1.4, from the summary (docs/aws.md). */
        {
            const char *ms[M_NSETS];
            match_of_row(r, ms);
            if (match_add(x, ms) != OCP_OK)
                return oom(err);
        }
        if (pod && nonempty(r->resource_id)) {
            k_begin(&x->k, 'N', r->usage_day);
            k_add(&x->k, r->resource_id, strlen(r->resource_id));
            if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
                return oom(err);
        }
        if (nonempty(r->csi_volume_handle)) {
            k_begin(&x->k, 'V', r->usage_day);
            k_add(&x->k, r->csi_volume_handle, strlen(r->csi_volume_handle));
            if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
                return oom(err);
        }
        if (is_special(r->namespace_))
            continue;
        /* K4 candidates (§5.5): all of the day, per namespace, per node,
         * per label pair. */
        k_begin(&x->k, 'A', r->usage_day);
        if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
            return oom(err);
        if (r->namespace_ != NULL) {
            k_begin(&x->k, 'P', r->usage_day);
            k_add(&x->k, r->namespace_, strlen(r->namespace_));
            if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
                return oom(err);
        }
        if (r->node != NULL) {
            k_begin(&x->k, 'O', r->usage_day);
            k_add(&x->k, r->node, strlen(r->node));
            if (aws_ix_add(&x->ix, &x->k, row) != OCP_OK)
                return oom(err);
        }
        rc = index_labels(x, pod ? r->pod_labels : r->volume_labels, r->usage_day, row, err);
        if (rc != OCP_OK)
            return rc;
    }
    return OCP_OK;
}
