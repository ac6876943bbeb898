/* test_labels.c - label parsing, filtering, merging and canonical text. */
#include "ocpagg/labels.h"

#include "testlib.h"

/* Parses text and returns its canonical form in a static buffer, or
 * "ERR<code>" when parsing fails (the set must then be empty). */
static const char *canon(const char *text)
{
    static char buf[1024];
    struct lbl_set s;
    struct ocp_error err;
    int rc;

    lbl_set_init(&s);
    ocp_error_clear(&err);
    rc = lbl_parse(text, text != NULL ? strlen(text) : 0, &s, &err);
    if (rc != OCP_OK) {
        snprintf(buf, sizeof buf, "ERR%d%s", rc,
                 s.count == 0 && err.message[0] != '\0' ? "" : "!dirty");
    } else {
        size_t len = 0;
        char *c = lbl_canonical(&s, &len);
        snprintf(buf, sizeof buf, "%s", c != NULL ? c : "(oom)");
        if (c == NULL || len != strlen(c))
            snprintf(buf, sizeof buf, "(bad length)");
        free(c);
    }
    lbl_set_release(&s);
    return buf;
}

static int parse(const char *text, struct lbl_set *s)
{
    return lbl_parse(text, strlen(text), s, NULL);
}

static void test_json_forms(void)
{
    CHECK_STR(canon("{\"app\":\"web\"}"), "{\"app\":\"web\"}");
    CHECK_STR(canon("{\"tier\": \"front\", \"app\": \"web\"}"),
              "{\"app\":\"web\",\"tier\":\"front\"}");
    CHECK_STR(canon("  {\"a\":\"1\"}  "), "{\"a\":\"1\"}");
    CHECK_STR(canon("{}"), "{}");
    /* Non-string scalars become their compact JSON text. */
    CHECK_STR(canon("{\"n\":5,\"t\":true,\"f\":false,\"x\":-1.5}"),
              "{\"f\":\"false\",\"n\":\"5\",\"t\":\"true\",\"x\":\"-1.5\"}");
    /* Nested values become compact JSON text, then get quoted. */
    CHECK_STR(canon("{\"arr\": [1, \"a\"], \"obj\": {\"k\": 2}}"),
              "{\"arr\":\"[1,\\\"a\\\"]\",\"obj\":\"{\\\"k\\\":2}\"}");
    /* A null value drops the key. */
    CHECK_STR(canon("{\"a\":null,\"b\":\"x\"}"), "{\"b\":\"x\"}");
    CHECK_STR(canon("{\"a\":null}"), "{}");
    /* The last duplicate wins, also when it is null. */
    CHECK_STR(canon("{\"a\":\"1\",\"a\":\"2\"}"), "{\"a\":\"2\"}");
    CHECK_STR(canon("{\"a\":\"1\",\"b\":\"x\",\"a\":null}"), "{\"b\":\"x\"}");
    /* Escapes in the input are decoded, then re-escaped canonically. */
    CHECK_STR(canon("{\"q\\\"k\":\"v\\\\al\\n\\u0001\\/\"}"),
              "{\"q\\\"k\":\"v\\\\al\\n\\u0001/\"}");
    /* UTF-8 stays as is, also when written as \\u escapes. */
    CHECK_STR(canon("{\"caf\xc3\xa9\":\"\\u00e9\xe2\x82\xac\"}"),
              "{\"caf\xc3\xa9\":\"\xc3\xa9\xe2\x82\xac\"}");
    /* Values containing ':' and '|' in JSON are plain characters. */
    CHECK_STR(canon("{\"url\":\"http://x|y\"}"), "{\"url\":\"http://x|y\"}");
}

static void test_malformed(void)
{
    char expect[16];

    snprintf(expect, sizeof expect, "ERR%d", OCP_ERR_DATA);
    CHECK_STR(canon("{"), expect);
    CHECK_STR(canon("[1,2]"), expect);
    CHECK_STR(canon("42"), expect);
    CHECK_STR(canon("\"text\""), expect);
    CHECK_STR(canon("true"), expect);
    CHECK_STR(canon("{\"a\":}"), expect);
    CHECK_STR(canon("{\"a\":\"b\"} trailing"), expect);
    CHECK_STR(canon("{\"a\":\"\\u0000\"}"), expect);
    CHECK_STR(canon("{\"a\":\"\xff\"}"), expect);

    /* A failed parse leaves a previously filled set empty. */
    {
        struct lbl_set s;
        lbl_set_init(&s);
        CHECK_INT(parse("a:b", &s), OCP_OK);
        CHECK_INT(s.count, 1);
        CHECK_INT(parse("{", &s), OCP_ERR_DATA);
        CHECK_INT(s.count, 0);
        lbl_set_release(&s);
    }
}

static void test_operator_text(void)
{
    CHECK_STR(canon("label_app:web|label_tier:front"), "{\"app\":\"web\",\"tier\":\"front\"}");
    CHECK_STR(canon("label_tier:front|label_app:web"), "{\"app\":\"web\",\"tier\":\"front\"}");
    /* Without the prefix the key is used as is; only a leading "label_"
     * goes, once. */
    CHECK_STR(canon("app:web|label_label_x:y|mylabel_z:1"),
              "{\"app\":\"web\",\"label_x\":\"y\",\"mylabel_z\":\"1\"}");
    /* Items without ':' and empty items are ignored. */
    CHECK_STR(canon("label_app:web|junk||label_b:c|"), "{\"app\":\"web\",\"b\":\"c\"}");
    CHECK_STR(canon("junk"), "{}");
    CHECK_STR(canon("tier"), "{}");
    /* Split on the first ':'; values keep later ones. */
    CHECK_STR(canon("label_url:http://x:8080"), "{\"url\":\"http://x:8080\"}");
    CHECK_STR(canon("label_a:"), "{\"a\":\"\"}");
    /* A later duplicate wins. */
    CHECK_STR(canon("label_a:1|label_a:2"), "{\"a\":\"2\"}");
    CHECK_STR(canon("label_a:1|a:3"), "{\"a\":\"3\"}");
    /* Quotes and backslashes are escaped in the canonical text. */
    CHECK_STR(canon("label_q:say \"hi\"\\"), "{\"q\":\"say \\\"hi\\\"\\\\\"}");
    CHECK_STR(canon("label_k:caf\xc3\xa9"), "{\"k\":\"caf\xc3\xa9\"}");
    /* Numbers with a ':' are operator text, not a JSON scalar. */
    CHECK_STR(canon("12:30"), "{\"12\":\"30\"}");
}

static void test_empty_forms(void)
{
    struct lbl_set s;

    CHECK_STR(canon(NULL), "{}");
    CHECK_STR(canon(""), "{}");
    CHECK_STR(canon("   \t\n"), "{}");
    CHECK_STR(canon("null"), "{}");
    CHECK_STR(canon(" null "), "{}");

    lbl_set_init(&s);
    CHECK_INT(lbl_parse(NULL, 0, &s, NULL), OCP_OK);
    CHECK_INT(s.count, 0);
    lbl_set_release(&s);
}

static void test_set_ops(void)
{
    struct lbl_set s, c;
    const struct lbl_pair *p;
    char *text;
    size_t len = 0;

    lbl_set_init(&s);
    lbl_set_init(&c);
    CHECK_INT(lbl_set_put(&s, "b", 1, "2", 1), OCP_OK);
    CHECK_INT(lbl_set_put(&s, "a_b", 3, "x", 1), OCP_OK);
    CHECK_INT(lbl_set_put(&s, "a", 1, "1", 1), OCP_OK);
    CHECK_INT(lbl_set_put(&s, "Z", 1, "z", 1), OCP_OK);
    CHECK_INT(lbl_set_put(&s, "", 0, "e", 1), OCP_OK);
    CHECK_INT(s.count, 5);
    /* Byte order: "" < "Z" < "a" < "a_b" < "b". */
    text = lbl_canonical(&s, &len);
    CHECK_STR(text, "{\"\":\"e\",\"Z\":\"z\",\"a\":\"1\",\"a_b\":\"x\",\"b\":\"2\"}");
    CHECK_INT(len, 42);
    free(text);
    /* A prefix key sorts before the longer key even when the next byte is
     * low ("a" < "a\x01"), and a high byte after ASCII ("a" < "\xc3\xa9"). */
    CHECK_INT(lbl_set_put(&s, "a\x01", 2, "lo", 2), OCP_OK);
    CHECK_INT(lbl_set_put(&s, "\xc3\xa9", 2, "hi", 2), OCP_OK);
    CHECK_STR(s.pairs[2].key, "a");
    CHECK_STR(s.pairs[3].key, "a\x01");
    CHECK_STR(s.pairs[6].key, "\xc3\xa9");

    /* Replacing keeps one entry. */
    CHECK_INT(lbl_set_put(&s, "a", 1, "new", 3), OCP_OK);
    CHECK_INT(s.count, 7);
    p = lbl_set_get(&s, "a", 1);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_STR(p->value, "new");
        CHECK_INT(p->vlen, 3);
    }
    CHECK(lbl_set_get(&s, "c", 1) == NULL);
    CHECK(lbl_set_get(&s, "a_", 2) == NULL);

    CHECK_INT(lbl_set_copy(&c, &s), OCP_OK);
    CHECK_INT(c.count, 7);
    CHECK(c.pairs[0].key != s.pairs[0].key);
    lbl_set_release(&s);
    p = lbl_set_get(&c, "b", 1);
    CHECK(p != NULL && strcmp(p->value, "2") == 0);

    lbl_set_clear(&c);
    CHECK_INT(c.count, 0);
    text = lbl_canonical(&c, &len);
    CHECK_STR(text, "{}");
    CHECK_INT(len, 2);
    free(text);
    lbl_set_release(&c);
}

static void test_filter(void)
{
    struct lbl_keys k;
    struct lbl_set s;
    char *text;

    lbl_keys_init(&k);
    CHECK_INT(k.count, 1);
    CHECK_STR(k.keys[0], "vm_kubevirt_io_name");
    CHECK_INT(lbl_keys_contains(&k, "vm_kubevirt_io_name", 19), 1);
    CHECK_INT(lbl_keys_contains(&k, "app", 3), 0);
    CHECK_INT(lbl_keys_add(&k, "app", 3), OCP_OK);
    CHECK_INT(lbl_keys_add(&k, "zone", 4), OCP_OK);
    CHECK_INT(lbl_keys_add(&k, "app", 3), OCP_OK);
    CHECK_INT(lbl_keys_add(&k, "environment", 11), OCP_OK);
    CHECK_INT(k.count, 4);
    CHECK_STR(k.keys[0], "app");
    CHECK_STR(k.keys[1], "environment");
    CHECK_STR(k.keys[2], "vm_kubevirt_io_name");
    CHECK_STR(k.keys[3], "zone");
    CHECK_INT(lbl_keys_contains(&k, "ap", 2), 0);
    CHECK_INT(lbl_keys_contains(&k, "apps", 4), 0);

    lbl_set_init(&s);
    CHECK_INT(parse("{\"app\":\"web\",\"tier\":\"front\","
                    "\"vm_kubevirt_io_name\":\"vm1\",\"zone\":\"a\","
                    "\"App\":\"x\"}",
                    &s),
              OCP_OK);
    CHECK_INT(s.count, 5);
    lbl_filter(&s, &k);
    text = lbl_canonical(&s, NULL);
    CHECK_STR(text, "{\"app\":\"web\",\"vm_kubevirt_io_name\":\"vm1\",\"zone\":\"a\"}");
    free(text);

    /* With only the default key enabled, just vm_kubevirt_io_name stays. */
    lbl_keys_release(&k);
    lbl_keys_init(&k);
    CHECK_INT(parse("label_app:web|label_vm_kubevirt_io_name:v", &s), OCP_OK);
    lbl_filter(&s, &k);
    text = lbl_canonical(&s, NULL);
    CHECK_STR(text, "{\"vm_kubevirt_io_name\":\"v\"}");
    free(text);
    lbl_set_release(&s);
    lbl_keys_release(&k);
}

static void test_merge(void)
{
    struct lbl_set node, ns, pod, m;
    char *text;

    lbl_set_init(&node);
    lbl_set_init(&ns);
    lbl_set_init(&pod);
    lbl_set_init(&m);
    CHECK_INT(parse("{\"app\":\"node\",\"zone\":\"z1\",\"env\":\"n\"}", &node), OCP_OK);
    CHECK_INT(parse("label_env:prod|label_team:t", &ns), OCP_OK);
    CHECK_INT(parse("{\"app\":\"pod\",\"team\":\"p\"}", &pod), OCP_OK);
    /* node ∪ namespace ∪ pod, a later set winning a shared key. */
    CHECK_INT(lbl_merge(&m, &node), OCP_OK);
    CHECK_INT(lbl_merge(&m, &ns), OCP_OK);
    CHECK_INT(lbl_merge(&m, &pod), OCP_OK);
    text = lbl_canonical(&m, NULL);
    CHECK_STR(text, "{\"app\":\"pod\",\"env\":\"prod\",\"team\":\"p\","
                    "\"zone\":\"z1\"}");
    free(text);
    /* Inputs are unchanged. */
    text = lbl_canonical(&node, NULL);
    CHECK_STR(text, "{\"app\":\"node\",\"env\":\"n\",\"zone\":\"z1\"}");
    free(text);
    /* Merging an empty set or itself changes nothing. */
    lbl_set_clear(&pod);
    CHECK_INT(lbl_merge(&m, &pod), OCP_OK);
    CHECK_INT(lbl_merge(&m, &m), OCP_OK);
    CHECK_INT(m.count, 4);
    lbl_set_release(&node);
    lbl_set_release(&ns);
    lbl_set_release(&pod);
    lbl_set_release(&m);
}

/* Issue 11 item 11: 262 144 keys at once (the driver's path) are sorted
 * and deduplicated in O(n log n); one by one this took minutes. */
static void test_keys_many(void)
{
    enum { N = 262144 };
    static char buf[N][12];
    static const char *keys[N + 2];
    struct lbl_keys k;

    for (size_t i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "k%zu", (i * 7919) % N);
        keys[i] = buf[i];
    }
    keys[N] = "k5";                      /* a repeat */
    keys[N + 1] = "vm_kubevirt_io_name"; /* the always-kept key again */
    lbl_keys_init(&k);
    CHECK_INT(lbl_keys_add(&k, "app", 3), OCP_OK);
    CHECK_INT(lbl_keys_add_many(&k, keys, N + 2), OCP_OK);
    CHECK_INT(k.count, N + 2); /* the N keys, app, vm_kubevirt_io_name */
    for (size_t i = 1; i < k.count; i++)
        if (strcmp(k.keys[i - 1], k.keys[i]) >= 0) {
            CHECK(0 && "keys not sorted and unique");
            break;
        }
    CHECK_INT(lbl_keys_contains(&k, "k0", 2), 1);
    CHECK_INT(lbl_keys_contains(&k, "k262143", 7), 1);
    CHECK_INT(lbl_keys_contains(&k, "k262144", 7), 0);
    CHECK_INT(lbl_keys_contains(&k, "app", 3), 1);
    /* Adding none changes nothing; adding more keeps the order. */
    CHECK_INT(lbl_keys_add_many(&k, keys, 0), OCP_OK);
    CHECK_INT(k.count, N + 2);
    CHECK_INT(lbl_keys_add(&k, "zzz", 3), OCP_OK);
    CHECK_STR(k.keys[k.count - 1], "zzz");
    lbl_keys_release(&k);
}

int main(void)
{
    RUN(test_json_forms);
    RUN(test_malformed);
    RUN(test_operator_text);
    RUN(test_empty_forms);
    RUN(test_set_ops);
    RUN(test_filter);
    RUN(test_keys_many);
    RUN(test_merge);
    return TEST_SUMMARY();
}
