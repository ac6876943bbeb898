/* pq_dict.c - building a dictionary of strings in an arena: the entries of
 * a dictionary page in order, plus distinct strings found by hashing (for
 * PLAIN fallback pages, non-dictionary chunks and MAP label texts). */
#include "ocpagg/text.h"
#include "pq_read_internal.h"

#include <string.h>

int pq_dictbuild_init(struct pq_dictbuild *b, struct ocp_arena *arena, uint32_t cap_hint,
                      uint64_t bytes_hint)
{
    memset(b, 0, sizeof *b);
    b->arena = arena;
    b->cap = cap_hint < 16 ? 16 : cap_hint;
    b->data_cap = bytes_hint < 256 ? 256 : bytes_hint;
    b->offsets = ocp_arena_alloc(arena, ((size_t)b->cap + 1) * sizeof(uint64_t));
    b->data = ocp_arena_alloc(arena, (size_t)b->data_cap);
    if (b->offsets == NULL || b->data == NULL)
        return OCP_ERR_OSERR;
    b->offsets[0] = 0;
    return OCP_OK;
}

static int grow_entries(struct pq_dictbuild *b)
{
    uint64_t *no;
    uint32_t ncap;

    if (b->cap >= UINT32_MAX / 2)
        return OCP_ERR_DATA;
    ncap = b->cap * 2;
    no = ocp_arena_alloc(b->arena, ((size_t)ncap + 1) * sizeof(uint64_t));
    if (no == NULL)
        return OCP_ERR_OSERR;
    memcpy(no, b->offsets, ((size_t)b->count + 1) * sizeof(uint64_t));
    b->offsets = no;
    b->cap = ncap;
    return OCP_OK;
}

static int grow_data(struct pq_dictbuild *b, size_t need)
{
    uint64_t ncap = b->data_cap;
    char *nd;

    while (ncap - b->data_len < need) {
        if (ncap > ((uint64_t)1 << 40))
            return OCP_ERR_OSERR;
        ncap *= 2;
    }
    if ((uint64_t)(size_t)ncap != ncap)
        return OCP_ERR_OSERR;
    nd = ocp_arena_alloc(b->arena, (size_t)ncap);
    if (nd == NULL)
        return OCP_ERR_OSERR;
    memcpy(nd, b->data, (size_t)b->data_len);
    b->data = nd;
    b->data_cap = ncap;
    return OCP_OK;
}

int pq_dictbuild_push(struct pq_dictbuild *b, const void *s, size_t len, uint32_t *id)
{
    int rc;

    if (b->count == UINT32_MAX - 1)
        return OCP_ERR_DATA;
    if (b->count >= b->cap && (rc = grow_entries(b)) != OCP_OK)
        return rc;
    if (b->data_cap - b->data_len < len && (rc = grow_data(b, len)) != OCP_OK)
        return rc;
    if (len > 0)
        memcpy(b->data + b->data_len, s, len);
    b->data_len += len;
    *id = b->count++;
    b->offsets[b->count] = b->data_len;
    return OCP_OK;
}

/* A slot of the table is 0 when empty, else id + 1 in its low k bits
 * (nslots = 2^k; ids stay below nslots / 2) and, above them, the bits of
 * the string's 32-bit hash that the home slot does not use.  Those bits
 * let a probe pass over another string without loading its offsets and
 * bytes (two dependent cache misses in a table of 100 k pod names) while
 * a slot stays 4 bytes.  (A 64-bit slot with the whole hash, which would
 * also let the table grow without hashing the strings again, measured no
 * faster and doubles the table.) */
static inline uint32_t slot_of(uint32_t h, uint32_t mask, uint32_t id)
{
    return (h & ~mask) | (id + 1);
}

/* Inserts entry id (already stored) into the slot table. */
static void slot_insert(struct pq_dictbuild *b, uint32_t id)
{
    const uint8_t *s = (const uint8_t *)b->data + b->offsets[id];
    size_t len = (size_t)(b->offsets[id + 1] - b->offsets[id]);
    uint32_t mask = b->nslots - 1;
    uint32_t h = (uint32_t)txt_hash(s, len);
    uint32_t i = h & mask;

    while (b->slots[i] != 0)
        i = (i + 1) & mask;
    b->slots[i] = slot_of(h, mask, id);
}

/* Makes room in the slot table for one more entry (load at most 1/2, so
 * id + 1 fits below the table's bit count). */
static int ensure_slots(struct pq_dictbuild *b)
{
    uint32_t want = b->nslots ? b->nslots : 64, id;

    while ((uint64_t)(b->count + 1) * 2 > want) {
        if (want >= ((uint32_t)1 << 31))
            return OCP_ERR_OSERR;
        want *= 2;
    }
    if (want != b->nslots) {
        b->slots = ocp_arena_calloc(b->arena, want, sizeof(uint32_t));
        if (b->slots == NULL)
            return OCP_ERR_OSERR;
        b->nslots = want;
        b->hashed = 0;
    }
    for (id = b->hashed; id < b->count; id++)
        slot_insert(b, id);
    b->hashed = b->count;
    return OCP_OK;
}

int pq_dictbuild_intern(struct pq_dictbuild *b, const void *s, size_t len, uint32_t *id)
{
    uint32_t mask, i, h, e;
    int rc;

    if ((rc = ensure_slots(b)) != OCP_OK)
        return rc;
    mask = b->nslots - 1;
    h = (uint32_t)txt_hash(s, len);
    i = h & mask;
    while ((e = b->slots[i]) != 0) {
        if (((e ^ h) & ~mask) == 0) {
            uint32_t g = (e & mask) - 1;
            uint64_t off = b->offsets[g];
            if (b->offsets[g + 1] - off == len && pq_bytes_eq(b->data + off, s, len)) {
                *id = g;
                return OCP_OK;
            }
        }
        i = (i + 1) & mask;
    }
    if ((rc = pq_dictbuild_push(b, s, len, id)) != OCP_OK)
        return rc;
    b->slots[i] = slot_of(h, mask, *id);
    b->hashed = b->count;
    return OCP_OK;
}

int pq_dictbuild_finish(struct pq_dictbuild *b, struct ocp_strdict **out)
{
    struct ocp_strdict *d = ocp_arena_alloc(b->arena, sizeof *d);

    if (d == NULL)
        return OCP_ERR_OSERR;
    d->count = b->count;
    d->offsets = b->offsets;
    d->data = b->data;
    d->serial = ocp_strdict_next_serial();
    *out = d;
    return OCP_OK;
}
