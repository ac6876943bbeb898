/*
 * test_pq_strings.c - the reader's string interning (pq_dict.c and the
 * successor guesses of pq_strcache_intern in pq_cache.c) against a naive
 * first-seen list: ids in first-seen order through table growth, probe
 * collisions in small tables, strings differing only in length, entries
 * pushed without a lookup and found later, guesses one byte off, and
 * pod-like sequences whose successor chain is broken (a string gone, a
 * new one in its place, one new in between) and restored.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/arena.h"
#include "parquet/pq_read_internal.h"
#include "testlib.h"

/* The naive reference: strings in first-seen order, found by a linear
 * search (small n only). */
struct naive {
    char **s;
    size_t *len;
    uint32_t n, cap;
};

/* The id of s in nv, appending it when new. */
static uint32_t naive_id(struct naive *nv, const char *s, size_t len)
{
    uint32_t i;

    for (i = 0; i < nv->n; i++)
        if (nv->len[i] == len && memcmp(nv->s[i], s, len) == 0)
            return i;
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 64;
        nv->s = realloc(nv->s, nv->cap * sizeof *nv->s);
        nv->len = realloc(nv->len, nv->cap * sizeof *nv->len);
        if (nv->s == NULL || nv->len == NULL)
            abort();
    }
    nv->s[nv->n] = malloc(len + 1);
    if (nv->s[nv->n] == NULL)
        abort();
    memcpy(nv->s[nv->n], s, len);
    nv->len[nv->n] = len;
    return nv->n++;
}

static void naive_free(struct naive *nv)
{
    uint32_t i;

    for (i = 0; i < nv->n; i++)
        free(nv->s[i]);
    free(nv->s);
    free(nv->len);
    memset(nv, 0, sizeof *nv);
}

/* Whether entry id of b holds s[0..len). */
static int db_holds(const struct pq_dictbuild *b, uint32_t id, const char *s, size_t len)
{
    return id < b->count && b->offsets[id + 1] - b->offsets[id] == len &&
           memcmp(b->data + b->offsets[id], s, len) == 0;
}

/* A new string cache as pq_cache.c starts one. */
static struct pq_strcache *sc_new(void)
{
    struct pq_strcache *sc = calloc(1, sizeof *sc);

    if (sc == NULL)
        abort();
    ocp_arena_init(&sc->arena, 0);
    sc->last = UINT32_MAX;
    if (pq_dictbuild_init(&sc->db, &sc->arena, 16, 256) != OCP_OK)
        abort();
    return sc;
}

static void sc_free(struct pq_strcache *sc)
{
    ocp_arena_release(&sc->arena);
    free(sc->next);
    free(sc->remap);
    free(sc);
}

/* Ids of thousands of strings through several table growths (the table
 * starts at 64 slots), each looked up again after every growth. */
static void test_growth(void)
{
    struct ocp_arena a;
    struct pq_dictbuild b;
    struct naive nv = {0};
    char buf[64];
    uint32_t i, j, id;

    ocp_arena_init(&a, 0);
    CHECK_INT(pq_dictbuild_init(&b, &a, 16, 256), OCP_OK);
    for (i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "pod-%u-%x", i % 1700, i * 2654435761u % 3);
        CHECK_INT(pq_dictbuild_intern(&b, buf, (size_t)n, &id), OCP_OK);
        CHECK_INT(id, naive_id(&nv, buf, (size_t)n));
        CHECK(db_holds(&b, id, buf, (size_t)n));
    }
    CHECK_INT(b.count, nv.n);
    CHECK(b.nslots >= 2 * b.count);
    for (j = 0; j < nv.n; j++) {
        CHECK_INT(pq_dictbuild_intern(&b, nv.s[j], nv.len[j], &id), OCP_OK);
        CHECK_INT(id, j);
    }
    CHECK_INT(b.count, nv.n);
    naive_free(&nv);
    ocp_arena_release(&a);
}

/* Strings that differ only in length (prefixes of one another, the empty
 * one, lengths around the 4- and 8-byte compares) are all distinct. */
static void test_lengths(void)
{
    static const char base[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct ocp_arena a;
    struct pq_dictbuild b;
    struct pq_strcache *sc = sc_new();
    uint32_t id, k, round;

    ocp_arena_init(&a, 0);
    CHECK_INT(pq_dictbuild_init(&b, &a, 16, 256), OCP_OK);
    for (round = 0; round < 3; round++)
        for (k = 0; k < sizeof base; k++) {
            CHECK_INT(pq_dictbuild_intern(&b, base, k, &id), OCP_OK);
            CHECK_INT(id, k);
            /* In the cache, the guess after each prefix is the next
             * longer one: every round but the first finds it so, and the
             * first must not take a prefix for its extension. */
            CHECK_INT(pq_strcache_intern(sc, base, k, &id), OCP_OK);
            CHECK_INT(id, k);
        }
    /* The reverse order: the guesses are all wrong by one byte. */
    for (k = sizeof base; k-- > 0;) {
        CHECK_INT(pq_strcache_intern(sc, base, k, &id), OCP_OK);
        CHECK_INT(id, k);
    }
    CHECK_INT(b.count, sizeof base);
    CHECK_INT(sc->db.count, sizeof base);
    sc_free(sc);
    ocp_arena_release(&a);
}

/* Entries pushed without a lookup (a dictionary page) are found by later
 * lookups, also when the table must grow at the first lookup. */
static void test_push_then_intern(void)
{
    struct ocp_arena a;
    struct pq_dictbuild b;
    char buf[32];
    uint32_t i, id;
    int n;

    ocp_arena_init(&a, 0);
    CHECK_INT(pq_dictbuild_init(&b, &a, 16, 256), OCP_OK);
    for (i = 0; i < 300; i++) {
        n = snprintf(buf, sizeof buf, "node-%u", i);
        CHECK_INT(pq_dictbuild_push(&b, buf, (size_t)n, &id), OCP_OK);
        CHECK_INT(id, i);
    }
    CHECK_INT(b.nslots, 0);
    for (i = 300; i-- > 0;) {
        n = snprintf(buf, sizeof buf, "node-%u", i);
        CHECK_INT(pq_dictbuild_intern(&b, buf, (size_t)n, &id), OCP_OK);
        CHECK_INT(id, i);
    }
    /* More pushed after the table exists, then looked up with new ones
     * across another growth. */
    for (i = 300; i < 400; i++) {
        n = snprintf(buf, sizeof buf, "node-%u", i);
        CHECK_INT(pq_dictbuild_push(&b, buf, (size_t)n, &id), OCP_OK);
        CHECK_INT(id, i);
    }
    for (i = 0; i < 1200; i++) {
        n = snprintf(buf, sizeof buf, "node-%u", i);
        CHECK_INT(pq_dictbuild_intern(&b, buf, (size_t)n, &id), OCP_OK);
        CHECK_INT(id, i);
    }
    CHECK_INT(b.count, 1200);
    ocp_arena_release(&a);
}

/* Interns sequence names[0..n) of ids into sc, checking each against
 * the naive list. */
static void run_seq(struct pq_strcache *sc, struct naive *nv, char **names, uint32_t n)
{
    uint32_t i, id;

    for (i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        CHECK_INT(pq_strcache_intern(sc, names[i], len, &id), OCP_OK);
        CHECK_INT(id, naive_id(nv, names[i], len));
        CHECK(db_holds(&sc->db, id, names[i], len));
    }
}

/* The successor guesses on a pod-like sequence: A B C D E, then B
 * replaced by new X (the guess after X is C), then B back (the chain
 * restored), then C gone, then Y new between D and E. */
static void test_chain(void)
{
    struct pq_strcache *sc = sc_new();
    struct naive nv = {0};
    char *h1[] = {"A", "B", "C", "D", "E"};
    char *h2[] = {"A", "X", "C", "D", "E"};
    char *h3[] = {"A", "B", "C", "D", "E"};
    char *h4[] = {"A", "B", "D", "E"};
    char *h5[] = {"A", "B", "D", "Y", "E"};
    uint32_t x, c;

    run_seq(sc, &nv, h1, 5);
    run_seq(sc, &nv, h2, 2);
    x = naive_id(&nv, "X", 1);
    c = naive_id(&nv, "C", 1);
    /* Before C comes: the new string's successor is guessed as the one
     * after the string it replaced. */
    CHECK(x < sc->next_cap);
    CHECK_INT(sc->next[x], c);
    run_seq(sc, &nv, h2 + 2, 3);
    run_seq(sc, &nv, h3, 5);
    CHECK_INT(sc->next[naive_id(&nv, "A", 1)], naive_id(&nv, "B", 1));
    run_seq(sc, &nv, h4, 4);
    run_seq(sc, &nv, h5, 5);
    CHECK_INT(sc->next[naive_id(&nv, "Y", 1)], naive_id(&nv, "E", 1));
    run_seq(sc, &nv, h1, 5);
    CHECK_INT(sc->db.count, 7);
    naive_free(&nv);
    sc_free(sc);
}

/* Hours of pods with churn (replaced, gone, back, new in between),
 * checked against the naive list. */
static void test_churn(void)
{
    struct pq_strcache *sc = sc_new();
    struct naive nv = {0};
    enum { PODS = 600, HOURS = 30 };
    char *cur[PODS];
    char *seq[PODS * 2];
    uint32_t hour, i, n, fresh = 0;
    uint64_t r = 88172645463325252ull;

    for (i = 0; i < PODS; i++) {
        cur[i] = malloc(32);
        if (cur[i] == NULL)
            abort();
        snprintf(cur[i], 32, "app-%u-%08x", i, fresh++);
    }
    for (hour = 0; hour < HOURS; hour++) {
        n = 0;
        for (i = 0; i < PODS; i++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            switch (r % 20) {
            case 0: /* replaced for good */ snprintf(cur[i], 32, "app-%u-%08x", i, fresh++); break;
            case 1: /* absent this hour */ continue;
            case 2: /* one extra new pod before it, this hour only */
                seq[n] = malloc(32);
                if (seq[n] == NULL)
                    abort();
                snprintf(seq[n], 32, "job-%u", fresh++);
                n++;
                break;
            default: break;
            }
            seq[n++] = cur[i];
        }
        run_seq(sc, &nv, seq, n);
        for (i = 0; i < n; i++)
            if (seq[i][0] == 'j')
                free(seq[i]);
    }
    CHECK_INT(sc->db.count, nv.n);
    for (i = 0; i < PODS; i++)
        free(cur[i]);
    naive_free(&nv);
    sc_free(sc);
}

/* The successor guess against a string of the same length differing in
 * one byte, at every position of lengths 1 to 40 (the word compares of
 * 8 to 32 bytes overlap differently for each length). */
static void test_one_byte_off(void)
{
    struct pq_strcache *sc = sc_new();
    struct naive nv = {0};
    char a[41], b[41];
    size_t n, p;
    uint32_t id, z, ia, ib;

    for (n = 1; n <= 40; n++)
        for (p = 0; p < n; p++) {
            size_t k;
            for (k = 0; k < n; k++)
                a[k] = (char)('a' + (k * 7 + n) % 26);
            memcpy(b, a, n);
            b[p] = (char)(b[p] ^ 0x20);
            /* "Z" then a: next[Z] = a, so b after "Z" is compared with
             * a first. */
            CHECK_INT(pq_strcache_intern(sc, "Z", 1, &z), OCP_OK);
            CHECK_INT(z, naive_id(&nv, "Z", 1));
            CHECK_INT(pq_strcache_intern(sc, a, n, &ia), OCP_OK);
            CHECK_INT(ia, naive_id(&nv, a, n));
            CHECK_INT(pq_strcache_intern(sc, "Z", 1, &id), OCP_OK);
            CHECK_INT(id, z);
            CHECK_INT(pq_strcache_intern(sc, b, n, &ib), OCP_OK);
            CHECK_INT(ib, naive_id(&nv, b, n));
            CHECK(ia != ib);
            /* And the guess right: a after "Z" again. */
            CHECK_INT(pq_strcache_intern(sc, "Z", 1, &id), OCP_OK);
            CHECK_INT(pq_strcache_intern(sc, a, n, &id), OCP_OK);
            CHECK_INT(id, ia);
        }
    CHECK_INT(sc->db.count, nv.n);
    naive_free(&nv);
    sc_free(sc);
}

int main(void)
{
    RUN(test_growth);
    RUN(test_lengths);
    RUN(test_one_byte_off);
    RUN(test_push_then_intern);
    RUN(test_chain);
    RUN(test_churn);
    return TEST_SUMMARY();
}
