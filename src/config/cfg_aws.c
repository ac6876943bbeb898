/*
 * cfg_aws.c - the OCP-on-AWS keys (issue 14; SEMANTICS-AWS §1.5):
 *
 *   input.tables.aws_line_items   the CUR table (default aws_line_items)
 *   aws.source_uuid               the AWS source; the AWS step runs iff set
 *   aws.bill_id                   cost_entry_bill_id (integer; default NULL)
 *   aws.markup_percent            default 0
 *   aws.enabled_tag_keys          E_aws, comma-separated ("app,team")
 *   aws.distribution              cpu (default) or memory
 *   aws.account_aliases           "account=alias_id,..." (integers)
 *   aws.output                    the OCP-on-AWS report (.parquet: Parquet,
 *                                 else CSV; default beside output.path,
 *                                 see cfg_aws_output_path)
 *
 * Lists are comma-separated text on every path (YAML and --set), so these
 * keys are plain scalars and the YAML walker needs no new shapes.  Values
 * are checked here, where the message can name the key.
 */
#include "cfg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/text.h"

void cfg_aws_init(struct cfg *c)
{
    c->aws_table = cfg_strndup("aws_line_items", 14);
    c->aws_source_uuid = NULL;
    c->aws_has_bill_id = 0;
    c->aws_bill_id = 0;
    c->aws_markup_percent = 0;
    c->aws_tag_keys = NULL;
    c->aws_distribution_memory = 0;
    c->aws_account_aliases = NULL;
    c->aws_output = NULL;
}

void cfg_aws_release(struct cfg *c)
{
    free(c->aws_table);
    free(c->aws_source_uuid);
    free(c->aws_tag_keys);
    free(c->aws_account_aliases);
    free(c->aws_output);
    c->aws_output = NULL;
    c->aws_table = c->aws_source_uuid = c->aws_tag_keys = c->aws_account_aliases = NULL;
}

#define SHOW(len) (int)((len) > 60 ? 60 : (len))

/* Checks "a,b,c" (non-empty items) or "acct=id,..." (integer ids). */
static int check_list(const char *s, size_t len, int pairs, const struct cfg_where *w,
                      struct ocp_error *err)
{
    const char *end = s + len;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item = s, *eq;
        size_t ilen = (size_t)((comma ? comma : end) - s);
        cfg_trim(&item, &ilen);
        if (ilen == 0)
            return cfg_fail(err, w, "empty item in the comma-separated list");
        if (pairs) {
            const char *v;
            size_t klen, vlen;
            int64_t id;
            eq = memchr(item, '=', ilen);
            if (eq == NULL)
                return cfg_fail(err, w, "expected account=alias_id, got '%.*s'", SHOW(ilen), item);
            klen = (size_t)(eq - item);
            v = eq + 1;
            vlen = ilen - klen - 1;
            cfg_trim(&item, &klen);
            cfg_trim(&v, &vlen);
            if (klen == 0 || cfg_parse_int64(v, vlen, &id) != 0)
                return cfg_fail(err, w, "expected account=alias_id (an integer), got '%.*s'",
                                SHOW(ilen), item);
        }
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    return OCP_OK;
}

int cfg_aws_apply(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                  const struct cfg_where *w, struct ocp_error *err)
{
    char buf[64], *end;
    uint8_t u[16];

    switch (key) {
    case CK_AWS_TABLE:
        cfg_trim(&text, &len);
        return cfg_set_string(&c->aws_table, text, len, w, err);
    case CK_AWS_SOURCE_UUID:
        cfg_trim(&text, &len);
        if (txt_parse_uuid(text, len, u) != 0)
            return cfg_fail(err, w, "expected a UUID, got '%.*s'", SHOW(len), text);
        return cfg_set_string(&c->aws_source_uuid, text, len, w, err);
    case CK_AWS_BILL_ID: {
        int64_t v;
        cfg_trim(&text, &len);
        if (cfg_parse_int64(text, len, &v) != 0)
            return cfg_fail(err, w, "expected an integer, got '%.*s'", SHOW(len), text);
        c->aws_has_bill_id = 1;
        c->aws_bill_id = v;
        return OCP_OK;
    }
    case CK_AWS_MARKUP: {
        double d;
        cfg_trim(&text, &len);
        if (len == 0 || len >= sizeof buf || strspn(text, "0123456789.eE+-") < len)
            return cfg_fail(err, w, "expected a percentage, got '%.*s'", SHOW(len), text);
        memcpy(buf, text, len);
        buf[len] = '\0';
        errno = 0;
        d = strtod(buf, &end);
        if (end != buf + len || errno == ERANGE || !isfinite(d) || fabs(d) > 1e6)
            return cfg_fail(err, w, "expected a percentage within +-1e6, got '%.*s'", SHOW(len),
                            text);
        c->aws_markup_percent = d;
        return OCP_OK;
    }
    case CK_AWS_TAG_KEYS: {
        int rc;
        cfg_trim(&text, &len);
        if ((rc = check_list(text, len, 0, w, err)) != OCP_OK)
            return rc;
        return cfg_set_string(&c->aws_tag_keys, text, len, w, err);
    }
    case CK_AWS_DISTRIBUTION:
        cfg_trim(&text, &len);
        if (len == 3 && memcmp(text, "cpu", 3) == 0)
            c->aws_distribution_memory = 0;
        else if (len == 6 && memcmp(text, "memory", 6) == 0)
            c->aws_distribution_memory = 1;
        else
            return cfg_fail(err, w, "expected cpu or memory, got '%.*s'", SHOW(len), text);
        return OCP_OK;
    case CK_AWS_ALIASES: {
        int rc;
        cfg_trim(&text, &len);
        if ((rc = check_list(text, len, 1, w, err)) != OCP_OK)
            return rc;
        return cfg_set_string(&c->aws_account_aliases, text, len, w, err);
    }
    case CK_AWS_OUTPUT:
        cfg_trim(&text, &len);
        return cfg_set_string(&c->aws_output, text, len, w, err);
    default:
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->src, -1, NULL, "key '%s': no setter",
                             w->path);
    }
}

int cfg_aws_reset(struct cfg *c, enum cfg_key key, const struct cfg_where *w, struct ocp_error *err)
{
    switch (key) {
    case CK_AWS_TABLE: return cfg_set_string(&c->aws_table, "aws_line_items", 14, w, err);
    case CK_AWS_SOURCE_UUID:
        free(c->aws_source_uuid);
        c->aws_source_uuid = NULL;
        break;
    case CK_AWS_BILL_ID:
        c->aws_has_bill_id = 0;
        c->aws_bill_id = 0;
        break;
    case CK_AWS_MARKUP: c->aws_markup_percent = 0; break;
    case CK_AWS_TAG_KEYS:
        free(c->aws_tag_keys);
        c->aws_tag_keys = NULL;
        break;
    case CK_AWS_DISTRIBUTION: c->aws_distribution_memory = 0; break;
    case CK_AWS_ALIASES:
        free(c->aws_account_aliases);
        c->aws_account_aliases = NULL;
        break;
    case CK_AWS_OUTPUT:
        free(c->aws_output);
        c->aws_output = NULL;
        break;
    default: break;
    }
    return OCP_OK;
}

int cfg_aws_validate(const struct cfg *c, struct ocp_error *err)
{
    const char *src = c->source_name ? c->source_name : "config";
    struct cfg_where w = {src, "input.tables.aws_line_items"};
    if (c->aws_source_uuid == NULL)
        return OCP_OK;
    if (c->aws_table == NULL || c->aws_table[0] == '\0')
        return cfg_fail(err, &w, "required when aws.source_uuid is set");
    /* With output.format postgres the rows go into Koku's table; a file
     * only when aws.output asks for one. */
    if (c->aws_output == NULL && c->output_path == NULL &&
        c->output_format != CFG_OUTPUT_POSTGRES) {
        w.path = "aws.output";
        return cfg_fail(err, &w, "required when output.path is not set");
    }
    if (c->input_format != CFG_INPUT_PARQUET) {
        w.path = "aws.source_uuid";
        return cfg_fail(err, &w, "the AWS step reads Parquet: needs input.format parquet");
    }
    return OCP_OK;
}

/* Splits "a,b" into n trimmed malloc'd strings.  Returns OCP_OK or
 * OCP_ERR_OSERR; *n = 0 for NULL text. */
int cfg_aws_split(const char *text, char ***items, size_t *n)
{
    const char *s = text, *end;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    if (text == NULL)
        return OCP_OK;
    end = text + strlen(text);
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s)), *item = s;
        size_t ilen = (size_t)((comma ? comma : end) - s);
        cfg_trim(&item, &ilen);
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **ni = realloc(*items, nc * sizeof *ni);
            if (ni == NULL)
                goto oom;
            *items = ni;
            cap = nc;
        }
        if (((*items)[*n] = cfg_strndup(item, ilen)) == NULL)
            goto oom;
        (*n)++;
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    return OCP_OK;
oom:
    cfg_aws_split_free(*items, *n);
    *items = NULL;
    *n = 0;
    return OCP_ERR_OSERR;
}

void cfg_aws_split_free(char **items, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

char *cfg_aws_output_path(const struct cfg *c)
{
    const char *o = c->output_path;
    size_t n;
    char *d;
    if (c->aws_output != NULL)
        return cfg_strndup(c->aws_output, strlen(c->aws_output));
    if (o == NULL)
        return NULL;
    n = strlen(o);
    /* r.csv -> r.aws.csv, r.parquet -> r.aws.parquet, else r.aws.csv */
    if (n > 4 && strcmp(o + n - 4, ".csv") == 0)
        n -= 4;
    else if (n > 8 && strcmp(o + n - 8, ".parquet") == 0)
        n -= 8;
    d = malloc(n + 16);
    if (d == NULL)
        return NULL;
    memcpy(d, o, n);
    strcpy(d + n, c->output_format == CFG_OUTPUT_PARQUET && !c->output_partitioned ? ".aws.parquet"
                                                                                   : ".aws.csv");
    return d;
}
