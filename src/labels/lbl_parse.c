/*
 * lbl_parse.c - label text to a label set (SEMANTICS.md "Labels").
 *
 * Two textual forms exist: a JSON object, parsed with jansson, and Koku's
 * operator text "label_app:web|label_tier:front", split by hand.  Blank
 * text and the literal `null` are the empty set.
 */
#include "ocpagg/labels.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Adds one JSON member: strings as they are, null dropped, anything else
 * as its compact JSON text (5 -> "5", true -> "true", [1] -> "[1]"). */
static int put_json_value(struct lbl_set *out, const char *key, size_t klen, json_t *value)
{
    char *text;
    int rc;

    if (json_is_null(value))
        return OCP_OK;
    if (json_is_string(value))
        return lbl_set_put(out, key, klen, json_string_value(value), json_string_length(value));
    text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text == NULL)
        return OCP_ERR_OSERR;
    rc = lbl_set_put(out, key, klen, text, strlen(text));
    free(text);
    return rc;
}

/* The JSON form.  jansson already keeps the last of duplicate keys. */
static int parse_json(const char *text, size_t len, struct lbl_set *out, struct ocp_error *err)
{
    json_error_t jerr;
    json_t *root, *value;
    const char *key;
    size_t klen;
    int rc = OCP_OK;

    root = json_loadb(text, len, 0, &jerr);
    if (root == NULL)
        return ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                             "malformed label JSON at byte %d: %s", jerr.position, jerr.text);
    if (!json_is_object(root)) {
        rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL, "label JSON is not an object");
        goto done;
    }
    json_object_keylen_foreach(root, key, klen, value)
    {
        rc = put_json_value(out, key, klen, value);
        if (rc != OCP_OK) {
            ocp_error_set(err, rc, NULL, -1, NULL, "out of memory parsing labels");
            goto done;
        }
    }
done:
    json_decref(root);
    return rc;
}

/* Koku's operator text: items split on '|', each on its first ':', a
 * leading "label_" dropped from the key, items without ':' ignored; a later
 * duplicate key wins (lbl_set_put replaces). */
static int parse_operator(const char *text, size_t len, struct lbl_set *out, struct ocp_error *err)
{
    const char *p = text, *end = text + len;

    while (p <= end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *item_end = bar != NULL ? bar : end;
        const char *colon = memchr(p, ':', (size_t)(item_end - p));

        if (colon != NULL) {
            const char *k = p;
            size_t klen = (size_t)(colon - p);
            if (klen >= 6 && memcmp(k, "label_", 6) == 0) {
                k += 6;
                klen -= 6;
            }
            if (lbl_set_put(out, k, klen, colon + 1, (size_t)(item_end - colon - 1)) != OCP_OK)
                return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL,
                                     "out of memory parsing labels");
        }
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return OCP_OK;
}

/* Is the text a complete JSON scalar other than null (a number, string,
 * true or false)?  Such text is JSON that is not an object, so malformed,
 * rather than operator text without any item.  Only text that can start a
 * JSON scalar is tried, keeping the common operator text cheap. */
static int is_json_scalar(const char *text, size_t len)
{
    json_t *v;
    char c = text[0];
    int scalar;

    if (!(c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f'))
        return 0;
    if (c != '"' && memchr(text, ':', len) != NULL)
        return 0;
    v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (v == NULL)
        return 0;
    scalar = !json_is_null(v) && !json_is_object(v) && !json_is_array(v);
    json_decref(v);
    return scalar;
}

int lbl_parse(const char *text, size_t len, struct lbl_set *out, struct ocp_error *err)
{
    int rc;

    lbl_set_clear(out);
    if (text == NULL)
        return OCP_OK;
    while (len > 0 && is_blank(text[0])) {
        text++;
        len--;
    }
    while (len > 0 && is_blank(text[len - 1]))
        len--;
    if (len == 0 || (len == 4 && memcmp(text, "null", 4) == 0))
        return OCP_OK;
    if (text[0] == '{' || text[0] == '[') {
        rc = parse_json(text, len, out, err);
    } else if (is_json_scalar(text, len)) {
        rc = ocp_error_set(err, OCP_ERR_DATA, NULL, -1, NULL,
                           "label text is a JSON scalar, not an object");
    } else {
        rc = parse_operator(text, len, out, err);
    }
    if (rc != OCP_OK)
        lbl_set_clear(out);
    return rc;
}
