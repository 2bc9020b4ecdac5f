/* Shared helpers for the cmocka unit tests: temporary folders, file checks. */
#ifndef PP_TESTUTIL_H
#define PP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pixpipe/base.h"

/* Creates a fresh temporary folder; returns its malloc'd path. */
char *tu_mkdtemp(void);

/* Removes a folder and everything under it. */
void tu_rmtree(const char *path);

/* malloc'd "dir/name". */
char *tu_path(const char *dir, const char *name);

/* Number of entries in a folder (hidden ones included, . and .. excluded). */
int tu_count_entries(const char *dir);

/* Writes bytes to a file; fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);

/* Sets a file's access and modification times to age_s seconds ago; fails
 * the test on error. */
void tu_age_file(const char *path, long age_s);

/* Reads a whole file (malloc'd); fails the test on error. */
uint8_t *tu_read_file(const char *path, size_t *len);

/* Asserts the error has code and its message contains needle. */
#define tu_assert_err(err, want_code, needle)                                              \
    do {                                                                                   \
        assert_int_equal((err)->code, (want_code));                                        \
        if (!strstr((err)->msg, (needle)))                                                 \
            fail_msg("message \"%s\" lacks \"%s\"", (err)->msg, (needle));                 \
    } while (0)

#endif
