/*
 * cfg_lists.c - the config's lists (enabled_tag_keys, input.optional_tables,
 * cost_categories, node_roles), grown and checked one item at a time.
 *
 * Both list forms come here item by item: the YAML walk (cfg_yaml.c) and
 * the comma-separated command-line text (cfg_keys.c), so an item is
 * accepted or refused with the same message whichever way it was given.
 */
#include "cfg_internal.h"

#include <stdlib.h>
#include <string.h>

/* Makes room for one more element in an array of n elements of size sz
 * with room for *cap (0 or less when unknown): the room doubles, so a
 * list of many keys is not copied again at every key (262 k keys took
 * minutes under ASan, whose realloc always copies).  NULL when out of
 * memory (the old array stays valid). */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz)
{
    size_t ncap;
    void *na;

    if (arr != NULL && n < *cap)
        return arr;
    if (n >= SIZE_MAX / 2 / sz - 8)
        return NULL;
    ncap = n < 4 ? 8 : 2 * n;
    na = realloc(arr, ncap * sz);
    if (na != NULL)
        *cap = ncap;
    return na;
}

int cfg_add_tag(struct cfg *c, const char *text, size_t len, const struct cfg_where *w,
                struct ocp_error *err)
{
    char **arr;
    char *d;

    if (len == 0)
        return cfg_fail(err, w, "a tag key must not be empty");
    /* Repeats are dropped by cfg_dedupe_tags once the list is complete:
     * checking each key against all before it was quadratic (minutes for
     * 262 k keys). */
    arr = grow(c->tag_keys, c->n_tag_keys, &c->tag_keys_cap, sizeof *arr);
    if (arr == NULL)
        return cfg_oom(err, w);
    c->tag_keys = arr;
    d = cfg_strndup(text, len);
    if (d == NULL)
        return cfg_oom(err, w);
    c->tag_keys[c->n_tag_keys++] = d;
    return OCP_OK;
}

/* A tag key and where it stands in the list, for sorting. */
struct tag_pos {
    const char *text;
    size_t pos;
};

static int cmp_tag_pos(const void *a, const void *b)
{
    const struct tag_pos *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int cfg_dedupe_tags(struct cfg *c, const struct cfg_where *w, struct ocp_error *err)
{
    size_t n = c->n_tag_keys, kept = 0;
    struct tag_pos *v;
    unsigned char *drop;

    if (n < 2)
        return OCP_OK;
    v = malloc(n * sizeof *v);
    drop = calloc(n, 1);
    if (v == NULL || drop == NULL) {
        free(v);
        free(drop);
        return cfg_oom(err, w);
    }
    for (size_t i = 0; i < n; i++) {
        v[i].text = c->tag_keys[i];
        v[i].pos = i;
    }
    /* Sorting by (text, position) puts every repeat right after the first
     * occurrence of its text. */
    qsort(v, n, sizeof *v, cmp_tag_pos);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i].text, v[i - 1].text) == 0)
            drop[v[i].pos] = 1;
    for (size_t i = 0; i < n; i++) {
        if (drop[i])
            free(c->tag_keys[i]);
        else
            c->tag_keys[kept++] = c->tag_keys[i];
    }
    c->n_tag_keys = kept;
    free(v);
    free(drop);
    return OCP_OK;
}

int cfg_add_optional_table(struct cfg *c, const char *text, size_t len, const struct cfg_where *w,
                           struct ocp_error *err)
{
    cfg_trim(&text, &len);
    for (int t = 0; t < OCP_TABLE_COUNT; t++) {
        const char *n = ocp_table_spec((enum ocp_table)t)->short_name;
        if (strlen(n) != len || memcmp(n, text, len) != 0)
            continue;
        if (t == OCP_TABLE_POD)
            return cfg_fail(err, w, "pod_usage is always required");
        c->optional_tables |= 1u << t;
        return OCP_OK;
    }
    return cfg_fail(err, w,
                    "expected storage_usage, node_labels or namespace_labels, "
                    "got '%.*s'",
                    (int)(len > 60 ? 60 : len), text);
}

int cfg_add_cost_category(struct cfg *c, const char *pattern, size_t plen, const char *id,
                          size_t idlen, const struct cfg_where *pattern_w,
                          const struct cfg_where *id_w, struct ocp_error *err)
{
    struct cfg_cost_category *arr;
    int64_t v;
    char *d;

    if (plen == 0)
        return cfg_fail(err, pattern_w, "a pattern must not be empty");
    if (cfg_parse_int64(id, idlen, &v) != 0)
        return cfg_fail(err, id_w, "expected an integer, got '%.*s'",
                        (int)(idlen > 60 ? 60 : idlen), id);
    arr = grow(c->cost_categories, c->n_cost_categories, &c->cost_categories_cap, sizeof *arr);
    if (arr == NULL)
        return cfg_oom(err, id_w);
    c->cost_categories = arr;
    d = cfg_strndup(pattern, plen);
    if (d == NULL)
        return cfg_oom(err, id_w);
    c->cost_categories[c->n_cost_categories].pattern = d;
    c->cost_categories[c->n_cost_categories].id = v;
    c->n_cost_categories++;
    return OCP_OK;
}

int cfg_add_node_role(struct cfg *c, const char *node, size_t nlen, const char *role, size_t rlen,
                      const struct cfg_where *w, struct ocp_error *err)
{
    static const char *const roles[] = {"master", "infra", "worker"};
    struct cfg_node_role *arr;
    const char *canon = NULL;
    char *n, *r;

    if (nlen == 0)
        return cfg_fail(err, w, "a node name must not be empty");
    for (size_t i = 0; i < 3; i++)
        if (cfg_text_is(role, rlen, roles[i]))
            canon = roles[i];
    if (canon == NULL)
        return cfg_fail(err, w, "expected master, infra or worker, got '%.*s'",
                        (int)(rlen > 60 ? 60 : rlen), role);
    for (size_t i = 0; i < c->n_node_roles; i++)
        if (strlen(c->node_roles[i].node) == nlen && memcmp(c->node_roles[i].node, node, nlen) == 0)
            return cfg_fail(err, w, "node given twice");
    arr = grow(c->node_roles, c->n_node_roles, &c->node_roles_cap, sizeof *arr);
    if (arr == NULL)
        return cfg_oom(err, w);
    c->node_roles = arr;
    n = cfg_strndup(node, nlen);
    r = cfg_strndup(canon, strlen(canon));
    if (n == NULL || r == NULL) {
        free(n);
        free(r);
        return cfg_oom(err, w);
    }
    c->node_roles[c->n_node_roles].node = n;
    c->node_roles[c->n_node_roles].role = r;
    c->n_node_roles++;
    return OCP_OK;
}
