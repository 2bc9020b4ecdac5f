/* pixpipe base: status codes, the caller-provided error record, checked size
 * arithmetic, logging and the monotonic clock.
 *
 * Conventions used by every module:
 *  - Fallible functions return int: 0 on success, a negative PP_E* code on
 *    failure, and fill the pp_err passed last (which may be NULL).
 *  - Constructors return NULL on failure and fill the pp_err.
 *  - There is no process-wide error state.
 */
#ifndef PIXPIPE_BASE_H
#define PIXPIPE_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_VERSION "0.1.0"

/* Status codes. Keep pp_strerror() and pp_exit_code() in step. */
enum {
    PP_OK = 0,
    PP_EINVAL = -1,       /* invalid argument or usage */
    PP_ENOMEM = -2,       /* out of memory */
    PP_EIO = -3,          /* read or write failed */
    PP_ENOENT = -4,       /* input missing */
    PP_ECREATE = -5,      /* cannot create the output */
    PP_EFORMAT = -6,      /* not a known image format */
    PP_ECORRUPT = -7,     /* corrupt or truncated image data */
    PP_ELIMIT = -8,       /* an untrusted-input limit was hit */
    PP_EUNSUPPORTED = -9, /* valid data using a feature pixpipe lacks */
    PP_EOVERFLOW = -10,   /* a size computation overflowed */
    PP_ECANCELED = -11,   /* stopped on request (signal) */
    PP_ENOTBUILT = -12,   /* feature not compiled into this build */
    PP_EPARSE = -13,      /* pipeline or option text could not be parsed */
    PP_EINTERNAL = -14,   /* a bug: an invariant did not hold */
    PP_ENOTFILE = -15,    /* input is a folder, link, FIFO...: not a regular file */
};

#define PP_ERR_MSG_MAX 400

/* An error record. The message names the object and the cause, for example
 * "JPEG: image is 65000x65000 = 4225000000 pixels, over max-pixels 268435456". */
typedef struct pp_err {
    int code;
    char msg[PP_ERR_MSG_MAX];
} pp_err;

/* Human-readable name of a status code; never NULL, static storage. */
const char *pp_strerror(int code);

/* sysexits-style process exit code for a status code (0, 64, 65, 66, 73, 74...). */
int pp_exit_code(int code);

/* True for codes that mean "this input is bad": retrying cannot help. */
bool pp_err_is_permanent(int code);

/* Sets code and message (printf format). Returns code so callers can write
 * `return pp_err_set(err, PP_EINVAL, "...")`. err may be NULL. */
int pp_err_set(pp_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pp_err_vset(pp_err *err, int code, const char *fmt, va_list ap);

/* Prepends "prefix: " to the message already in err (used to add context). */
void pp_err_prefix(pp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to PP_OK with an empty message. err may be NULL. */
void pp_err_clear(pp_err *err);

/* ---- checked arithmetic: return false on overflow, *out untouched then ---- */
static inline bool pp_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool pp_add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
/* a*b*c with overflow check. */
static inline bool pp_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t t;
    return pp_mul_size(a, b, &t) && pp_mul_size(t, c, out);
}

/* ---- allocation: NULL (and err filled with PP_ENOMEM) on failure ---- */
void *pp_malloc(size_t n, pp_err *err);
void *pp_calloc(size_t count, size_t size, pp_err *err);
/* n*size bytes, overflow-checked. */
void *pp_malloc_array(size_t count, size_t size, pp_err *err);
/* 64-byte aligned; from 4 MB malloc's own alignment (16 bytes on x86-64) and
 * huge pages advised, so a freed buffer is reused. Free with free(). */
void *pp_malloc_aligned(size_t n, pp_err *err);
char *pp_strdup(const char *s, pp_err *err);

/* ---- logging to stderr ---- */
typedef enum { PP_LOG_ERROR = 0, PP_LOG_WARN, PP_LOG_INFO, PP_LOG_DEBUG } pp_log_level;

/* Set once at start-up, before any thread starts. */
void pp_log_set_level(pp_log_level level);
pp_log_level pp_log_get_level(void);
void pp_log(pp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- clock ---- */
/* Monotonic time in nanoseconds. */
uint64_t pp_clock_ns(void);
/* Wall-clock time in milliseconds since the epoch. */
int64_t pp_wall_ms(void);

/* ---- cancellation ---- */
/* A cancellation flag owned by the caller (usually set from a signal handler).
 * Long operations check it between strips and stop with PP_ECANCELED. */
typedef volatile int pp_cancel;

static inline bool pp_canceled(const pp_cancel *c)
{
    return c != NULL && __atomic_load_n(c, __ATOMIC_RELAXED) != 0;
}

#endif
