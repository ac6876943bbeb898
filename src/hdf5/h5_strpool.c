/* h5_strpool.c - string interning for the HDF5 writer's dictionaries. */
#include "h5_strpool.h"
#include "ocpagg/text.h"

#include <stdlib.h>
#include <string.h>

int h5_strpool_init(struct h5_strpool *p)
{
    memset(p, 0, sizeof *p);
    p->offcap = 1024;
    p->offsets = malloc(p->offcap * sizeof *p->offsets);
    p->hashes = malloc(p->offcap * sizeof *p->hashes);
    p->nslots = 2048;
    p->slots = calloc(p->nslots, sizeof *p->slots);
    p->datacap = 4096;
    p->data = malloc(p->datacap);
    if (p->offsets == NULL || p->hashes == NULL || p->slots == NULL || p->data == NULL) {
        h5_strpool_release(p);
        return -1;
    }
    p->offsets[0] = 0;
    return 0;
}

void h5_strpool_release(struct h5_strpool *p)
{
    free(p->offsets);
    free(p->hashes);
    free(p->slots);
    free(p->data);
    memset(p, 0, sizeof *p);
}

static int grow_slots(struct h5_strpool *p)
{
    size_t n = p->nslots * 2, i;
    uint32_t *s = calloc(n, sizeof *s);
    if (s == NULL)
        return -1;
    for (i = 0; i < p->count; i++) {
        size_t j = (size_t)p->hashes[i] & (n - 1);
        while (s[j] != 0)
            j = (j + 1) & (n - 1);
        s[j] = (uint32_t)i + 1;
    }
    free(p->slots);
    p->slots = s;
    p->nslots = n;
    return 0;
}

int h5_strpool_intern(struct h5_strpool *p, const char *s, size_t len, uint32_t *id)
{
    uint64_t h = txt_hash(s, len);
    size_t j = (size_t)h & (p->nslots - 1);
    uint64_t used = p->offsets[p->count];

    while (p->slots[j] != 0) {
        uint32_t k = p->slots[j] - 1;
        if (p->hashes[k] == h && p->offsets[k + 1] - p->offsets[k] == len &&
            memcmp(p->data + p->offsets[k], s, len) == 0) {
            *id = k;
            return 0;
        }
        j = (j + 1) & (p->nslots - 1);
    }
    if (p->count >= UINT32_MAX - 2)
        return -1;
    if ((size_t)p->count + 2 > p->offcap) {
        size_t cap = p->offcap * 2;
        uint64_t *o = realloc(p->offsets, cap * sizeof *o);
        uint64_t *hs;
        if (o == NULL)
            return -1;
        p->offsets = o;
        hs = realloc(p->hashes, cap * sizeof *hs);
        if (hs == NULL)
            return -1;
        p->hashes = hs;
        p->offcap = cap;
    }
    if (len > p->datacap - used) {
        size_t cap = p->datacap;
        char *d;
        while (len > cap - used) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        d = realloc(p->data, cap);
        if (d == NULL)
            return -1;
        p->data = d;
        p->datacap = cap;
    }
    if (len > 0)
        memcpy(p->data + used, s, len);
    p->hashes[p->count] = h;
    p->offsets[p->count + 1] = used + len;
    p->slots[j] = p->count + 1;
    *id = p->count;
    p->count++;
    /* Keep the load factor at or below one half. */
    if ((size_t)p->count * 2 > p->nslots)
        return grow_slots(p);
    return 0;
}
