/* error.c - filling and formatting struct ocp_error. */
#include "ocpagg/error.h"

#include <stdio.h>
#include <string.h>

void ocp_error_clear(struct ocp_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof *err);
    err->row_group = -1;
}

void ocp_error_oneline(char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
        else if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static void copy_field(char *dst, size_t size, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
    ocp_error_oneline(dst);
}

int ocp_error_set(struct ocp_error *err, int code, const char *file, int64_t row_group,
                  const char *column, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->row_group = row_group;
    copy_field(err->file, sizeof err->file, file);
    copy_field(err->column, sizeof err->column, column);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    ocp_error_oneline(err->message);
    return code;
}

void ocp_error_context(struct ocp_error *err, const char *file, int64_t row_group,
                       const char *column)
{
    if (err == NULL)
        return;
    if (err->file[0] == '\0' && file != NULL)
        copy_field(err->file, sizeof err->file, file);
    if (err->row_group < 0)
        err->row_group = row_group;
    if (err->column[0] == '\0' && column != NULL)
        copy_field(err->column, sizeof err->column, column);
}

void ocp_error_format(const struct ocp_error *err, char *buf, size_t size)
{
    size_t used = 0;
    int n;

    if (size == 0)
        return;
    buf[0] = '\0';
    if (err == NULL)
        return;
    if (err->file[0] != '\0') {
        n = snprintf(buf + used, size - used, "%s: ", err->file);
        used = n < 0 ? used : used + (size_t)n;
    }
    if (err->row_group >= 0 && used < size) {
        n = snprintf(buf + used, size - used, "row group %lld: ", (long long)err->row_group);
        used = n < 0 ? used : used + (size_t)n;
    }
    if (err->column[0] != '\0' && used < size) {
        n = snprintf(buf + used, size - used, "column %s: ", err->column);
        used = n < 0 ? used : used + (size_t)n;
    }
    if (used < size)
        snprintf(buf + used, size - used, "%s", err->message);
}

const char *ocp_status_name(int code)
{
    switch (code) {
    case OCP_OK: return "ok";
    case OCP_ERR_USAGE: return "usage error";
    case OCP_ERR_DATA: return "data error";
    case OCP_ERR_NOINPUT: return "missing input";
    case OCP_ERR_SOFTWARE: return "internal error";
    case OCP_ERR_OSERR: return "system error";
    case OCP_ERR_CANTCREAT: return "cannot create output";
    case OCP_ERR_IOERR: return "I/O error";
    case OCP_ERR_CONFIG: return "config error";
    case OCP_ERR_UNSUPPORTED: return "unsupported";
    case OCP_ERR_INTERRUPTED: return "interrupted";
    default: return "error";
    }
}
