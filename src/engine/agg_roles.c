/* agg_roles.c - a node's role: the one rule (SEMANTICS.md "Node role"),
 * and what a partial knows of each node for it. */
#include "engine/agg_internal.h"

#include <string.h>

const char *agg_node_role(const struct agg_finish_settings *s, const char *name,
                          const struct agg_node_info *info)
{
    size_t i;

    for (i = 0; i < s->n_node_roles; i++)
        if (strcmp(s->node_roles[i].node, name) == 0)
            return s->node_roles[i].role;
    if (info != NULL) {
        if (info->role != NULL)
            return info->role;
        if (info->apiserver)
            return "master";
        if (info->infra_label)
            return "infra";
    }
    return "worker";
}

int agg_partial_nodes(const struct agg_partial *p,
                      int (*fn)(const char *name, size_t len, const struct agg_node_info *info,
                                void *ctx),
                      void *ctx)
{
    size_t e;

    for (e = 0; e < p->nodes.count; e++) {
        const struct node_key *k = hmap_entry(&p->nodes, e);
        const struct node_val *v = hmap_value(&p->nodes, e);
        struct agg_node_info info;
        int rc;

        agg_node_info_of(p, v, &info);
        rc = fn(pool_str(&p->pool, k->node), pool_len(&p->pool, k->node), &info, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}
