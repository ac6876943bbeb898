/*
 * labels.h - label sets: parsing every label text form (SEMANTICS.md
 * "Labels"), filtering to the enabled tag keys, merging node / namespace /
 * pod sets and the canonical JSON text that is part of a group key.
 *
 * Ownership: struct lbl_set and struct lbl_keys live in caller storage
 * (*_init / *_release).  The strings inside them are owned by the set and
 * freed by it; callers read them but never free or keep them past the next
 * change to the set.  Nothing here keeps global state, so separate sets may
 * be used from separate threads.
 */
#ifndef OCPAGG_LABELS_H
#define OCPAGG_LABELS_H

#include <stddef.h>

#include "ocpagg/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One label: NUL-terminated copies of key and value with their lengths (a
 * value may hold any bytes, the lengths are authoritative). */
struct lbl_pair {
    char *key;
    size_t klen;
    char *value;
    size_t vlen;
};

/* A label set, kept sorted by key bytes (memcmp order, a prefix before the
 * longer key), keys unique. */
struct lbl_set {
    struct lbl_pair *pairs;
    size_t count, cap;
};

/* Makes an empty set. */
void lbl_set_init(struct lbl_set *s);

/* Frees everything the set holds; it must be initialised again before use. */
void lbl_set_release(struct lbl_set *s);

/* Empties the set, keeping its pair array for reuse. */
void lbl_set_clear(struct lbl_set *s);

/* Sets key k to value v (copies both), replacing an existing value.
 * Returns OCP_OK, or OCP_ERR_OSERR with the set unchanged. */
int lbl_set_put(struct lbl_set *s, const char *k, size_t klen, const char *v, size_t vlen);

/* The pair with key k, or NULL if absent. */
const struct lbl_pair *lbl_set_get(const struct lbl_set *s, const char *k, size_t klen);

/* Makes dst (initialised) an exact copy of src.  Returns OCP_OK, or
 * OCP_ERR_OSERR leaving dst empty. */
int lbl_set_copy(struct lbl_set *dst, const struct lbl_set *src);

/* Parses label text of any form in SEMANTICS.md "Labels" into out (cleared
 * first): a JSON object, Koku's operator text "label_a:b|label_c:d", or
 * NULL / empty / blank / "null" for the empty set.  Text whose first
 * non-blank byte is '{' or '[' is JSON and must be an object; other text
 * that is a complete JSON scalar (a number, a string, true, false) is
 * malformed too; everything else is operator text.  Returns OCP_OK,
 * OCP_ERR_DATA for malformed text (out left empty, err says why) or
 * OCP_ERR_OSERR. */
int lbl_parse(const char *text, size_t len, struct lbl_set *out, struct ocp_error *err);

/* The enabled tag keys: sorted, unique, each an owned NUL-terminated copy. */
struct lbl_keys {
    char **keys;
    size_t count, cap;
};

/* Makes the key list holding just "vm_kubevirt_io_name", which is always
 * enabled (lbl_keys_contains reports it even if this allocation failed). */
void lbl_keys_init(struct lbl_keys *k);

/* Adds a key (a copy); adding a present key is a no-op.  Returns OCP_OK or
 * OCP_ERR_OSERR. */
int lbl_keys_add(struct lbl_keys *k, const char *key, size_t len);

/* Adds n NUL-terminated keys at once in O((count + n) log(count + n)),
 * repeats dropped; for long lists, where n calls of lbl_keys_add would be
 * quadratic.  On failure (OCP_ERR_OSERR) the list is unchanged. */
int lbl_keys_add_many(struct lbl_keys *k, const char *const *keys, size_t n);

/* 1 if the key is enabled, else 0. */
int lbl_keys_contains(const struct lbl_keys *k, const char *key, size_t len);

/* Frees the key list. */
void lbl_keys_release(struct lbl_keys *k);

/* Drops, in place, every pair whose key is not enabled. */
void lbl_filter(struct lbl_set *s, const struct lbl_keys *enabled);

/* dst := dst ∪ src, src's value winning a shared key.  Returns OCP_OK or
 * OCP_ERR_OSERR (dst then holds a partial merge but stays valid). */
int lbl_merge(struct lbl_set *dst, const struct lbl_set *src);

/* Canonical text: compact JSON, keys sorted by bytes, UTF-8 kept as is,
 * "{}" when empty, e.g. {"app":"web","tier":"front"}.  Returns a malloc'd
 * NUL-terminated string the caller frees, its length in *len (when len is
 * non-NULL), or NULL when out of memory. */
char *lbl_canonical(const struct lbl_set *s, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
