/*
 * cfg_pg.c - the output.postgres keys (output.format postgres).
 *
 * Kept apart from cfg_keys.c so the database output's keys live in one
 * place.  The conninfo is checked here as well as at connect time, so a
 * password in it is a config error (78) before any work is done.
 */
#include "cfg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocpagg/pg.h"
#include "ocpagg/text.h"

void cfg_pg_init(struct cfg *c)
{
    c->pg_conninfo = c->pg_schema = c->pg_table = NULL;
    c->pg_create_partitions = 1;
    c->pg_lock_timeout_seconds = PG_DEFAULT_LOCK_TIMEOUT;
    c->pg_report_period_auto = 0;
    c->pg_has_report_period_id = 0;
    c->pg_report_period_id = 0;
}

void cfg_pg_release(struct cfg *c)
{
    free(c->pg_conninfo);
    free(c->pg_schema);
    free(c->pg_table);
    c->pg_conninfo = c->pg_schema = c->pg_table = NULL;
}

/* The value is quoted back in messages only for keys that hold no
 * secrets; never for conninfo. */
#define SHOW(len) (int)((len) > 60 ? 60 : (len))

int cfg_pg_apply(struct cfg *c, enum cfg_key key, const char *text, size_t len,
                 const struct cfg_where *w, struct ocp_error *err)
{
    switch (key) {
    case CK_PG_CONNINFO: {
        int rc = cfg_set_string(&c->pg_conninfo, text, len, w, err);
        if (rc == OCP_OK)
            rc = pg_check_conninfo(c->pg_conninfo, err);
        if (rc != OCP_OK)
            ocp_error_context(err, w->src, -1, NULL);
        return rc;
    }
    case CK_PG_SCHEMA:
        cfg_trim(&text, &len);
        return cfg_set_string(&c->pg_schema, text, len, w, err);
    case CK_PG_TABLE: cfg_trim(&text, &len); return cfg_set_string(&c->pg_table, text, len, w, err);
    case CK_PG_CREATE_PARTITIONS:
        cfg_trim(&text, &len);
        if (cfg_parse_bool(text, len, &c->pg_create_partitions) != 0)
            return cfg_fail(err, w, "expected true or false, got '%.*s'", SHOW(len), text);
        return OCP_OK;
    case CK_PG_LOCK_TIMEOUT: {
        double d;
        cfg_trim(&text, &len);
        if (cfg_parse_double(text, len, &d) != 0)
            return cfg_fail(err, w, "expected a number of seconds, got '%.*s'", SHOW(len), text);
        if (d < 0 || d > CFG_PG_LOCK_TIMEOUT_MAX)
            return cfg_fail(err, w, "must be between 0 and %g, got %g", CFG_PG_LOCK_TIMEOUT_MAX, d);
        c->pg_lock_timeout_seconds = d;
        return OCP_OK;
    }
    case CK_PG_REPORT_PERIOD_ID: {
        int64_t v;
        cfg_trim(&text, &len);
        if (cfg_text_is(text, len, "auto")) {
            c->pg_report_period_auto = 1;
            c->pg_has_report_period_id = 0;
            return OCP_OK;
        }
        if (cfg_parse_int64(text, len, &v) != 0 || v < 1 || v > INT32_MAX)
            return cfg_fail(err, w,
                            "expected auto or an id between 1 and %d, got "
                            "'%.*s'",
                            INT32_MAX, SHOW(len), text);
        c->pg_report_period_auto = 0;
        c->pg_has_report_period_id = 1;
        c->pg_report_period_id = v;
        return OCP_OK;
    }
    default:
        return ocp_error_set(err, OCP_ERR_SOFTWARE, w->src, -1, NULL, "key '%s': no setter",
                             w->path);
    }
}

int cfg_pg_reset(struct cfg *c, enum cfg_key key, const struct cfg_where *w, struct ocp_error *err)
{
    (void)w;
    (void)err;
    switch (key) {
    case CK_PG_CONNINFO:
        free(c->pg_conninfo);
        c->pg_conninfo = NULL;
        break;
    case CK_PG_SCHEMA:
        free(c->pg_schema);
        c->pg_schema = NULL;
        break;
    case CK_PG_TABLE:
        free(c->pg_table);
        c->pg_table = NULL;
        break;
    case CK_PG_CREATE_PARTITIONS: c->pg_create_partitions = 1; break;
    case CK_PG_LOCK_TIMEOUT: c->pg_lock_timeout_seconds = PG_DEFAULT_LOCK_TIMEOUT; break;
    case CK_PG_REPORT_PERIOD_ID:
        c->pg_report_period_auto = 0;
        c->pg_has_report_period_id = 0;
        c->pg_report_period_id = 0;
        break;
    default: break; /* the section itself has no value */
    }
    return OCP_OK;
}

int cfg_pg_validate(const struct cfg *c, struct ocp_error *err)
{
    const char *src = c->source_name ? c->source_name : "config";
    struct cfg_where w = {src, ""};
    int rc;

    if (c->output_format != CFG_OUTPUT_POSTGRES)
        return OCP_OK;
    w.path = "output.postgres.schema";
    if (c->pg_schema == NULL || c->pg_schema[0] == '\0')
        return cfg_fail(err, &w,
                        "required with output.format postgres (Koku's "
                        "tenant schema, e.g. org1234567)");
    w.path = c->has_start_date ? "end_date" : "start_date";
    if (!c->has_start_date || !c->has_end_date)
        return cfg_fail(err, &w,
                        "required with output.format postgres: the run "
                        "replaces exactly this range");
    w.path = "output.postgres.lock_timeout_seconds";
    if (!(c->pg_lock_timeout_seconds >= 0 && c->pg_lock_timeout_seconds <= CFG_PG_LOCK_TIMEOUT_MAX))
        return cfg_fail(err, &w, "must be between 0 and %g", CFG_PG_LOCK_TIMEOUT_MAX);
    if ((rc = pg_check_conninfo(c->pg_conninfo, err)) != OCP_OK) {
        ocp_error_context(err, src, -1, NULL);
        return rc;
    }
    /* One report period covers one calendar month. */
    if (!c->pg_report_period_auto) {
        char s[11], e[11];
        txt_format_date(c->start_date, s);
        txt_format_date(c->end_date, e);
        w.path = "end_date";
        if (memcmp(s, e, 7) != 0)
            return cfg_fail(err, &w,
                            "%s..%s spans more than one month, but a report "
                            "period covers one; run one month at a time or "
                            "set output.postgres.report_period_id: auto",
                            s, e);
    }
    return OCP_OK;
}
