/*
 * lbl_set.c - the sorted label set, the enabled-key list, filtering,
 * merging and the canonical text.
 *
 * Each pair owns one heap block "key\0value\0": key points at its start and
 * value into it, so a pair costs one allocation and one free.
 */
#include "ocpagg/labels.h"

#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

/* The key SEMANTICS.md enables whatever the configuration says. */
static const char ALWAYS_KEY[] = "vm_kubevirt_io_name";

/* Byte order of keys: memcmp over the common prefix, then shorter first. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of key k in s, or -(insertion point) - 1 when absent. */
static long find(const struct lbl_set *s, const char *k, size_t klen)
{
    size_t lo = 0, hi = s->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct lbl_pair *p = &s->pairs[mid];
        int c = key_cmp(p->key, p->klen, k, klen);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

/* Fills p with a fresh "key\0value\0" block; OCP_ERR_OSERR on failure. */
static int pair_make(struct lbl_pair *p, const char *k, size_t klen, const char *v, size_t vlen)
{
    char *block;

    if (klen > ((size_t)-1) / 2 - 2 || vlen > ((size_t)-1) / 2 - 2)
        return OCP_ERR_OSERR;
    block = malloc(klen + vlen + 2);
    if (block == NULL)
        return OCP_ERR_OSERR;
    if (klen > 0)
        memcpy(block, k, klen);
    block[klen] = '\0';
    if (vlen > 0)
        memcpy(block + klen + 1, v, vlen);
    block[klen + 1 + vlen] = '\0';
    p->key = block;
    p->klen = klen;
    p->value = block + klen + 1;
    p->vlen = vlen;
    return OCP_OK;
}

void lbl_set_init(struct lbl_set *s)
{
    s->pairs = NULL;
    s->count = 0;
    s->cap = 0;
}

void lbl_set_clear(struct lbl_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->pairs[i].key);
    s->count = 0;
}

void lbl_set_release(struct lbl_set *s)
{
    lbl_set_clear(s);
    free(s->pairs);
    lbl_set_init(s);
}

/* Makes room for at least `need` pairs. */
static int reserve(struct lbl_set *s, size_t need)
{
    struct lbl_pair *grown;
    size_t cap;

    if (need <= s->cap)
        return OCP_OK;
    cap = s->cap < 4 ? 4 : s->cap * 2;
    if (cap < need)
        cap = need;
    if (cap > ((size_t)-1) / sizeof *grown)
        return OCP_ERR_OSERR;
    grown = realloc(s->pairs, cap * sizeof *grown);
    if (grown == NULL)
        return OCP_ERR_OSERR;
    s->pairs = grown;
    s->cap = cap;
    return OCP_OK;
}

int lbl_set_put(struct lbl_set *s, const char *k, size_t klen, const char *v, size_t vlen)
{
    struct lbl_pair fresh;
    long at;
    size_t pos;

    /* Appending in key order (the common case when copying or parsing
     * sorted input) skips the search. */
    if (s->count > 0) {
        const struct lbl_pair *last = &s->pairs[s->count - 1];
        at = key_cmp(last->key, last->klen, k, klen) < 0 ? -(long)s->count - 1 : find(s, k, klen);
    } else {
        at = -1;
    }
    if (pair_make(&fresh, k, klen, v, vlen) != OCP_OK)
        return OCP_ERR_OSERR;
    if (at >= 0) {
        free(s->pairs[at].key);
        s->pairs[at] = fresh;
        return OCP_OK;
    }
    if (reserve(s, s->count + 1) != OCP_OK) {
        free(fresh.key);
        return OCP_ERR_OSERR;
    }
    pos = (size_t)(-at - 1);
    memmove(&s->pairs[pos + 1], &s->pairs[pos], (s->count - pos) * sizeof s->pairs[0]);
    s->pairs[pos] = fresh;
    s->count++;
    return OCP_OK;
}

const struct lbl_pair *lbl_set_get(const struct lbl_set *s, const char *k, size_t klen)
{
    long at = find(s, k, klen);

    return at >= 0 ? &s->pairs[at] : NULL;
}

int lbl_set_copy(struct lbl_set *dst, const struct lbl_set *src)
{
    if (dst == src)
        return OCP_OK;
    lbl_set_clear(dst);
    if (reserve(dst, src->count) != OCP_OK)
        return OCP_ERR_OSERR;
    for (size_t i = 0; i < src->count; i++) {
        const struct lbl_pair *p = &src->pairs[i];
        if (pair_make(&dst->pairs[i], p->key, p->klen, p->value, p->vlen) != OCP_OK) {
            lbl_set_clear(dst);
            return OCP_ERR_OSERR;
        }
        dst->count = i + 1;
    }
    return OCP_OK;
}

int lbl_merge(struct lbl_set *dst, const struct lbl_set *src)
{
    if (dst == src)
        return OCP_OK;
    for (size_t i = 0; i < src->count; i++) {
        const struct lbl_pair *p = &src->pairs[i];
        if (lbl_set_put(dst, p->key, p->klen, p->value, p->vlen) != OCP_OK)
            return OCP_ERR_OSERR;
    }
    return OCP_OK;
}

/* ---- enabled keys ---- */

static long key_find(const struct lbl_keys *k, const char *key, size_t len)
{
    size_t lo = 0, hi = k->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(k->keys[mid], strlen(k->keys[mid]), key, len);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

void lbl_keys_init(struct lbl_keys *k)
{
    k->keys = NULL;
    k->count = 0;
    k->cap = 0;
    /* On failure the list stays empty; lbl_keys_contains still reports the
     * always-enabled key, so filtering stays correct. */
    (void)lbl_keys_add(k, ALWAYS_KEY, sizeof ALWAYS_KEY - 1);
}

int lbl_keys_add(struct lbl_keys *k, const char *key, size_t len)
{
    long at = key_find(k, key, len);
    size_t pos;
    char *copy;

    if (at >= 0)
        return OCP_OK;
    if (k->count == k->cap) {
        size_t cap = k->cap < 8 ? 8 : k->cap * 2;
        char **grown;
        if (cap > ((size_t)-1) / sizeof *grown)
            return OCP_ERR_OSERR;
        grown = realloc(k->keys, cap * sizeof *grown);
        if (grown == NULL)
            return OCP_ERR_OSERR;
        k->keys = grown;
        k->cap = cap;
    }
    if (len == (size_t)-1)
        return OCP_ERR_OSERR;
    copy = malloc(len + 1);
    if (copy == NULL)
        return OCP_ERR_OSERR;
    if (len > 0)
        memcpy(copy, key, len);
    copy[len] = '\0';
    pos = (size_t)(-at - 1);
    memmove(&k->keys[pos + 1], &k->keys[pos], (k->count - pos) * sizeof k->keys[0]);
    k->keys[pos] = copy;
    k->count++;
    return OCP_OK;
}

static int cmp_key_ptr(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return key_cmp(x, strlen(x), y, strlen(y));
}

int lbl_keys_add_many(struct lbl_keys *k, const char *const *keys, size_t n)
{
    size_t kept = 0;

    /* Append everything, then sort and drop repeats once: inserting one
     * by one in order moves the tail each time, quadratic for the 262 k
     * keys a generated config can hold. */
    if (n > ((size_t)-1) / sizeof *k->keys - k->count)
        return OCP_ERR_OSERR;
    if (k->count + n > k->cap) {
        size_t cap = k->count + n;
        char **grown = realloc(k->keys, cap * sizeof *grown);
        if (grown == NULL)
            return OCP_ERR_OSERR;
        k->keys = grown;
        k->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            /* Undo this call's copies: the list is as before. */
            while (i-- > 0)
                free(k->keys[k->count + i]);
            return OCP_ERR_OSERR;
        }
        memcpy(copy, keys[i], len + 1);
        k->keys[k->count + i] = copy;
    }
    k->count += n;
    qsort(k->keys, k->count, sizeof *k->keys, cmp_key_ptr);
    for (size_t i = 0; i < k->count; i++) {
        if (kept > 0 && strcmp(k->keys[kept - 1], k->keys[i]) == 0)
            free(k->keys[i]);
        else
            k->keys[kept++] = k->keys[i];
    }
    k->count = kept;
    return OCP_OK;
}

int lbl_keys_contains(const struct lbl_keys *k, const char *key, size_t len)
{
    if (len == sizeof ALWAYS_KEY - 1 && memcmp(key, ALWAYS_KEY, len) == 0)
        return 1;
    return key_find(k, key, len) >= 0;
}

void lbl_keys_release(struct lbl_keys *k)
{
    for (size_t i = 0; i < k->count; i++)
        free(k->keys[i]);
    free(k->keys);
    k->keys = NULL;
    k->count = 0;
    k->cap = 0;
}

void lbl_filter(struct lbl_set *s, const struct lbl_keys *enabled)
{
    size_t kept = 0;

    for (size_t i = 0; i < s->count; i++) {
        struct lbl_pair *p = &s->pairs[i];
        if (lbl_keys_contains(enabled, p->key, p->klen))
            s->pairs[kept++] = *p;
        else
            free(p->key);
    }
    s->count = kept;
}

/* ---- canonical text ---- */

char *lbl_canonical(const struct lbl_set *s, size_t *len)
{
    size_t need = 2, n = 0;
    char *out;

    /* First pass measures, second writes: the quoting makes the length
     * data-dependent and a second walk is cheaper than regrowing. */
    for (size_t i = 0; i < s->count; i++) {
        const struct lbl_pair *p = &s->pairs[i];
        need += txt_json_quote(p->key, p->klen, NULL, 0) + 1 +
                txt_json_quote(p->value, p->vlen, NULL, 0) + (i > 0);
    }
    out = malloc(need + 1);
    if (out == NULL)
        return NULL;
    out[n++] = '{';
    for (size_t i = 0; i < s->count; i++) {
        const struct lbl_pair *p = &s->pairs[i];
        if (i > 0)
            out[n++] = ',';
        n += txt_json_quote(p->key, p->klen, out + n, need - n);
        out[n++] = ':';
        n += txt_json_quote(p->value, p->vlen, out + n, need - n);
    }
    out[n++] = '}';
    out[n] = '\0';
    if (len != NULL)
        *len = n;
    return out;
}
