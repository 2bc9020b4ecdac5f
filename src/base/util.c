/* Allocation wrappers that report through pp_err, logging and clocks. */
#include "pixpipe/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

void *pp_malloc(size_t n, pp_err *err)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        pp_err_set(err, PP_ENOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *pp_calloc(size_t count, size_t size, pp_err *err)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        pp_err_set(err, PP_ENOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *pp_malloc_array(size_t count, size_t size, pp_err *err)
{
    size_t n;
    if (!pp_mul_size(count, size, &n)) {
        pp_err_set(err, PP_EOVERFLOW, "allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    return pp_malloc(n, err);
}

/* Buffers of several megabytes (whole images, accumulators) are advised as
 * transparent huge pages on their 2 MB-aligned interior: filling a fresh
 * 36 MB image then takes a few dozen page faults instead of about nine
 * thousand. They come from plain malloc (16-byte aligned): a buffer of the
 * size just freed is then reused from the heap without new page faults or
 * zeroing (glibc raises its mmap threshold to the size of a freed mapped
 * block). An aligned allocation would not be: memalign asks for more than
 * the size it then keeps, so the block freed never fits the next request
 * and the heap grows instead. Smaller buffers are 64-byte aligned. */
#define HUGE_PAGE ((size_t)2 << 20)

void *pp_malloc_aligned(size_t n, pp_err *err)
{
    size_t rounded;
    if (!pp_add_size(n, 63, &rounded)) {
        pp_err_set(err, PP_EOVERFLOW, "aligned allocation of %zu bytes overflows", n);
        return NULL;
    }
    rounded &= ~(size_t)63;
    bool large = rounded >= 2 * HUGE_PAGE;
    void *p = large ? malloc(rounded) : aligned_alloc(64, rounded ? rounded : 64);
    if (!p) {
        pp_err_set(err, PP_ENOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    if (large) {
        uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        uintptr_t e = ((uintptr_t)p + rounded) & ~(uintptr_t)(HUGE_PAGE - 1);
        if (e > a)
            madvise((void *)a, e - a, MADV_HUGEPAGE); /* advice only: failure changes nothing */
    }
#endif
    return p;
}

char *pp_strdup(const char *s, pp_err *err)
{
    size_t n = strlen(s) + 1;
    char *p = pp_malloc(n, err);
    if (p)
        memcpy(p, s, n);
    return p;
}

static pp_log_level log_level = PP_LOG_WARN;

void pp_log_set_level(pp_log_level level)
{
    log_level = level;
}

pp_log_level pp_log_get_level(void)
{
    return log_level;
}

void pp_log(pp_log_level level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line keeps lines from different threads whole. */
    fprintf(stderr, "pixpipe: %s: %s\n", names[level], line);
}

uint64_t pp_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t pp_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
