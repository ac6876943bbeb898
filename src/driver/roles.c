/* roles.c - node roles across windows of days; see roles.h. */
#include "driver/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One node as one window saw it. */
struct sighting {
    char *name;
    size_t name_len;
    char *role; /* largest node_role in the window, or NULL */
    size_t role_len;
    int apiserver, infra_label;
    char *given; /* the role its days got in that window */
    size_t window;
};

struct roles_log {
    struct sighting *s;
    size_t n, cap;
};

struct roles_log *roles_log_create(void)
{
    return calloc(1, sizeof(struct roles_log));
}

void roles_log_destroy(struct roles_log *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++) {
        free(l->s[i].name);
        free(l->s[i].role);
        free(l->s[i].given);
    }
    free(l->s);
    free(l);
}

static char *copy(const char *s, size_t len)
{
    char *c = malloc(len + 1);
    if (c != NULL) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

struct window_ctx {
    struct roles_log *l;
    const struct agg_finish_settings *s;
    size_t window;
};

static int log_node(const char *name, size_t len, const struct agg_node_info *info, void *ctx)
{
    struct window_ctx *w = ctx;
    struct roles_log *l = w->l;
    struct sighting *x;
    char *nm;
    const char *given;

    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        struct sighting *ns = realloc(l->s, nc * sizeof *ns);
        if (ns == NULL)
            return OCP_ERR_OSERR;
        l->s = ns;
        l->cap = nc;
    }
    x = &l->s[l->n];
    memset(x, 0, sizeof *x);
    nm = copy(name, len);
    if (nm == NULL)
        return OCP_ERR_OSERR;
    given = agg_node_role(w->s, nm, info);
    x->name = nm;
    x->name_len = len;
    x->role = info->role != NULL ? copy(info->role, info->role_len) : NULL;
    x->role_len = info->role_len;
    x->apiserver = info->apiserver;
    x->infra_label = info->infra_label;
    x->given = copy(given, strlen(given));
    x->window = w->window;
    l->n++;
    if ((info->role != NULL && x->role == NULL) || x->given == NULL)
        return OCP_ERR_OSERR;
    return 0;
}

int roles_log_window(struct roles_log *l, const struct agg_partial *p,
                     const struct agg_finish_settings *s, size_t window)
{
    struct window_ctx w;

    w.l = l;
    w.s = s;
    w.window = window;
    return agg_partial_nodes(p, log_node, &w) != 0 ? OCP_ERR_OSERR : OCP_OK;
}

/* Byte order, shorter first on a tie (pool_cmp's order, which picks the
 * largest node_role). */
static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : (la > lb ? 1 : 0);
}

static int cmp_sighting(const void *a, const void *b)
{
    const struct sighting *x = a, *y = b;
    return bytes_cmp(x->name, x->name_len, y->name, y->name_len);
}

int roles_log_differs(const struct roles_log *l, const struct agg_finish_settings *s, char *msg,
                      size_t msg_size)
{
    size_t i, j;

    if (l == NULL || l->n == 0)
        return 0;
    qsort(l->s, l->n, sizeof *l->s, cmp_sighting);
    for (i = 0; i < l->n; i = j) {
        struct agg_node_info run;
        const char *role;

        /* The run's view of the node: every window's facts merged as the
         * partials would merge them. */
        memset(&run, 0, sizeof run);
        for (j = i; j < l->n && cmp_sighting(&l->s[i], &l->s[j]) == 0; j++) {
            const struct sighting *x = &l->s[j];
            if (x->role != NULL &&
                (run.role == NULL || bytes_cmp(x->role, x->role_len, run.role, run.role_len) > 0)) {
                run.role = x->role;
                run.role_len = x->role_len;
            }
            run.apiserver |= x->apiserver;
            run.infra_label |= x->infra_label;
        }
        role = agg_node_role(s, l->s[i].name, &run);
        for (j = i; j < l->n && cmp_sighting(&l->s[i], &l->s[j]) == 0; j++)
            if (strcmp(l->s[j].given, role) != 0) {
                snprintf(msg, msg_size, "node %s is %s in window %zu but %s over the whole run",
                         l->s[j].name, l->s[j].given, l->s[j].window + 1, role);
                return 1;
            }
    }
    return 0;
}
