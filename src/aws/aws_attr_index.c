/*
 * aws_attr_index.c - the attribution's index (key -> OCP rows) and id sets
 * (ids with their distinct lengths, for suffix tests).
 */
#include "aws/aws_attr_internal.h"
/* ---- an index: key -> list of OCP row numbers ---- */

int aws_ix_add(struct index *ix, const struct key *k, uint32_t row)
{
    size_t idx;
    int added;
    if (k->bad || aws_map_put(&ix->m, k->b.data, k->b.len, &idx, &added) != OCP_OK)
        return OCP_ERR_OSERR;
    if (added) {
        if (idx >= ix->hcap) {
            size_t nc = ix->hcap ? ix->hcap * 2 : 64;
            int64_t *nh = realloc(ix->head, nc * sizeof *nh);
            if (nh == NULL)
                return OCP_ERR_OSERR;
            ix->head = nh;
            ix->hcap = nc;
        }
        ix->head[idx] = -1;
    }
    if (ix->n == ix->cap) {
        size_t nc = ix->cap ? ix->cap * 2 : 256;
        struct post *ne = realloc(ix->e, nc * sizeof *ne);
        if (ne == NULL)
            return OCP_ERR_OSERR;
        ix->e = ne;
        ix->cap = nc;
    }
    ix->e[ix->n].row = row;
    ix->e[ix->n].next = ix->head[idx];
    ix->head[idx] = (int64_t)ix->n++;
    return OCP_OK;
}

int64_t aws_ix_find(const struct index *ix, const struct key *k)
{
    long i = k->bad ? -1 : aws_map_find(&ix->m, k->b.data, k->b.len);
    return i < 0 ? -1 : ix->head[i];
}

void aws_ix_release(struct index *ix)
{
    aws_map_release(&ix->m);
    free(ix->head);
    free(ix->e);
}

/* ---- a set of ids with the distinct lengths, for suffix tests ---- */

int aws_set_add(struct idset *s, const char *id, size_t len)
{
    size_t idx, i;
    int added;
    if (aws_map_put(&s->m, id, len, &idx, &added) != OCP_OK)
        return OCP_ERR_OSERR;
    for (i = 0; i < s->nlens; i++)
        if (s->lens[i] == len)
            return OCP_OK;
    {
        size_t *nl = realloc(s->lens, (s->nlens + 1) * sizeof *nl);
        if (nl == NULL)
            return OCP_ERR_OSERR;
        s->lens = nl;
        i = s->nlens++;
        while (i > 0 && s->lens[i - 1] < len) {
            s->lens[i] = s->lens[i - 1];
            i--;
        }
        s->lens[i] = len;
    }
    return OCP_OK;
}

int aws_set_suffix(const struct idset *s, const char *rid, size_t rlen)
{
    size_t i;
    for (i = 0; i < s->nlens; i++)
        if (s->lens[i] <= rlen && aws_map_find(&s->m, rid + rlen - s->lens[i], s->lens[i]) >= 0)
            return 1;
    return 0;
}

void aws_set_release(struct idset *s)
{
    aws_map_release(&s->m);
    free(s->lens);
}
