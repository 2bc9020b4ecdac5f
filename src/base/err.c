/* Error records and the mapping from status codes to text and exit codes. */
#include "pixpipe/base.h"

#include <stdio.h>
#include <string.h>

const char *pp_strerror(int code)
{
    switch (code) {
    case PP_OK: return "ok";
    case PP_EINVAL: return "invalid argument";
    case PP_ENOMEM: return "out of memory";
    case PP_EIO: return "I/O error";
    case PP_ENOENT: return "input missing";
    case PP_ECREATE: return "cannot create output";
    case PP_EFORMAT: return "unknown image format";
    case PP_ECORRUPT: return "corrupt image data";
    case PP_ELIMIT: return "input limit exceeded";
    case PP_EUNSUPPORTED: return "unsupported image feature";
    case PP_EOVERFLOW: return "size overflow";
    case PP_ECANCELED: return "canceled";
    case PP_ENOTBUILT: return "not built into this pixpipe";
    case PP_EPARSE: return "parse error";
    case PP_EINTERNAL: return "internal error";
    case PP_ENOTFILE: return "not a regular file";
    default: return "unknown error";
    }
}

int pp_exit_code(int code)
{
    switch (code) {
    case PP_OK: return 0;
    case PP_EINVAL:
    case PP_EPARSE: return 64;
    case PP_EFORMAT:
    case PP_ECORRUPT:
    case PP_ELIMIT:
    case PP_EUNSUPPORTED:
    case PP_EOVERFLOW: return 65;
    case PP_ENOENT:
    case PP_ENOTFILE: return 66;
    case PP_ENOTBUILT: return 69;
    case PP_ENOMEM: return 71;
    case PP_ECREATE: return 73;
    case PP_EIO: return 74;
    case PP_ECANCELED: return 130;
    default: return 70;
    }
}

bool pp_err_is_permanent(int code)
{
    switch (code) {
    case PP_EFORMAT:
    case PP_ECORRUPT:
    case PP_ELIMIT:
    case PP_EUNSUPPORTED:
    case PP_EOVERFLOW:
    case PP_EINVAL:
    case PP_EPARSE:
    case PP_ENOTFILE:
    case PP_ENOTBUILT: return true;
    default: return false;
    }
}

int pp_err_vset(pp_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int pp_err_set(pp_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pp_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void pp_err_prefix(pp_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char joined[2 * PP_ERR_MSG_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, PP_ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = strlen(joined);
    memcpy(joined + len, ": ", 2);
    memcpy(joined + len + 2, err->msg, strlen(err->msg) + 1);
    size_t total = strlen(joined);
    if (total >= PP_ERR_MSG_MAX)
        total = PP_ERR_MSG_MAX - 1;
    memcpy(err->msg, joined, total);
    err->msg[total] = '\0';
}

void pp_err_clear(pp_err *err)
{
    if (err) {
        err->code = PP_OK;
        err->msg[0] = '\0';
    }
}
