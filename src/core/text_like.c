/*
 * text_like.c - SQL LIKE matching and JSON string quoting for text.h.
 */
#include "ocpagg/text.h"

/* Length of the UTF-8 character starting at s[0] (n > 0 bytes left): the
 * lead byte plus the continuation bytes it announces, as far as they are
 * present.  An invalid lead byte counts as one character, so malformed text
 * still advances and matches deterministically. */
static size_t char_len(const unsigned char *s, size_t n)
{
    size_t want, i;

    if (s[0] < 0xC0 || s[0] > 0xF7)
        want = 1;
    else if (s[0] < 0xE0)
        want = 2;
    else if (s[0] < 0xF0)
        want = 3;
    else
        want = 4;
    for (i = 1; i < want && i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            break;
    }
    return i;
}

/*
 * The classic iterative wildcard match: walk pattern and text together;
 * on '%' remember where it was and first let it match nothing; on a
 * mismatch go back to the last '%' and let it swallow one more character.
 * Only the last '%' ever needs revisiting (an earlier one could only swallow
 * text the later one can swallow too), so the cost is O(|pattern|·|text|)
 * at worst, never exponential.  '%' advances by whole characters so the
 * text position always sits on a character boundary.
 */
int txt_like(const char *pattern, size_t plen, const char *text, size_t tlen)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *t = (const unsigned char *)text;
    size_t pi = 0, ti = 0;
    size_t star_p = (size_t)-1, star_t = 0;

    if (plen > 0 && pattern == NULL)
        return 0;
    if (tlen > 0 && text == NULL)
        return 0;
    while (ti < tlen) {
        if (pi < plen && p[pi] == '%') {
            star_p = ++pi;
            star_t = ti;
        } else if (pi < plen && p[pi] == '_') {
            pi++;
            ti += char_len(t + ti, tlen - ti);
        } else if (pi < plen && p[pi] == t[ti]) {
            pi++;
            ti++;
        } else if (star_p != (size_t)-1) {
            star_t += char_len(t + star_t, tlen - star_t);
            pi = star_p;
            ti = star_t;
        } else {
            return 0;
        }
    }
    while (pi < plen && p[pi] == '%')
        pi++;
    return pi == plen;
}

size_t txt_json_quote(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    char esc[6];
    size_t elen;

/* Appends one byte when it fits, and always counts it. */
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n < cap)                                                                               \
            out[n] = (char)(c);                                                                    \
        n++;                                                                                       \
    } while (0)

    PUT('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        elen = 0;
        switch (c) {
        /* One short escape a line, as a table reads. */
        /* clang-format off */
        case '"': esc[0] = '\\'; esc[1] = '"'; elen = 2; break;
        case '\\': esc[0] = '\\'; esc[1] = '\\'; elen = 2; break;
        case '\b': esc[0] = '\\'; esc[1] = 'b'; elen = 2; break;
        case '\f': esc[0] = '\\'; esc[1] = 'f'; elen = 2; break;
        case '\n': esc[0] = '\\'; esc[1] = 'n'; elen = 2; break;
        case '\r': esc[0] = '\\'; esc[1] = 'r'; elen = 2; break;
        case '\t': esc[0] = '\\'; esc[1] = 't'; elen = 2; break;
        /* clang-format on */
        default:
            if (c < 0x20) {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            }
            break;
        }
        if (elen == 0) {
            PUT(c);
        } else {
            for (size_t k = 0; k < elen; k++)
                PUT(esc[k]);
        }
    }
    PUT('"');
#undef PUT
    return n;
}
