/* Unit tests for src/base: error records, checked arithmetic, atomic files. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pixpipe/file.h"
#include "testutil.h"

static void test_err_set_and_prefix(void **state)
{
    (void)state;
    pp_err e;
    assert_int_equal(pp_err_set(&e, PP_ECORRUPT, "JPEG: bad %s", "thing"), PP_ECORRUPT);
    assert_string_equal(e.msg, "JPEG: bad thing");
    pp_err_prefix(&e, "%s", "in.jpg");
    assert_string_equal(e.msg, "in.jpg: JPEG: bad thing");
    assert_int_equal(e.code, PP_ECORRUPT);
    pp_err_clear(&e);
    assert_int_equal(e.code, PP_OK);
    assert_string_equal(e.msg, "");
    /* NULL err is allowed everywhere. */
    assert_int_equal(pp_err_set(NULL, PP_EIO, "x"), PP_EIO);
}

static void test_err_prefix_truncates(void **state)
{
    (void)state;
    pp_err e;
    char big[PP_ERR_MSG_MAX * 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pp_err_set(&e, PP_EIO, "%s", big);
    assert_int_equal(strlen(e.msg), PP_ERR_MSG_MAX - 1);
    pp_err_prefix(&e, "%s", "file");
    assert_int_equal(strlen(e.msg), PP_ERR_MSG_MAX - 1);
    assert_memory_equal(e.msg, "file: aaa", 9);
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(pp_exit_code(PP_OK), 0);
    assert_int_equal(pp_exit_code(PP_EINVAL), 64);
    assert_int_equal(pp_exit_code(PP_EFORMAT), 65);
    assert_int_equal(pp_exit_code(PP_ECORRUPT), 65);
    assert_int_equal(pp_exit_code(PP_ELIMIT), 65);
    assert_int_equal(pp_exit_code(PP_ENOENT), 66);
    assert_int_equal(pp_exit_code(PP_ENOTFILE), 66);
    assert_int_equal(pp_exit_code(PP_ECREATE), 73);
    assert_int_equal(pp_exit_code(PP_EIO), 74);
    for (int c = 0; c >= PP_ENOTFILE; c--)
        assert_true(strlen(pp_strerror(c)) > 0);
    assert_true(pp_err_is_permanent(PP_ECORRUPT));
    assert_false(pp_err_is_permanent(PP_EIO));
}

static void test_checked_arithmetic(void **state)
{
    (void)state;
    size_t out = 7;
    assert_true(pp_mul_size(1000, 1000, &out));
    assert_int_equal(out, 1000000);
    assert_false(pp_mul_size(SIZE_MAX / 2 + 1, 2, &out));
    assert_false(pp_add_size(SIZE_MAX, 1, &out));
    assert_false(pp_mul3_size(1u << 24, 1u << 24, 1u << 24, &out));
    pp_err e;
    assert_null(pp_malloc_array(SIZE_MAX / 4, 8, &e));
    assert_int_equal(e.code, PP_EOVERFLOW);
}

static void test_outfile_commit(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "sub/out.bin");
    pp_outfile o;
    pp_err e;
    assert_int_equal(pp_outfile_open(&o, path, true, &e), 0);
    assert_true(pp_is_temp_name(strrchr(o.tmp, '/') + 1));
    fputs("hello", o.fp);
    assert_int_equal(pp_outfile_commit(&o, &e), 0);
    size_t n;
    uint8_t *data = tu_read_file(path, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    char *sub = tu_path(dir, "sub");
    assert_int_equal(tu_count_entries(sub), 1); /* no temporary left */
    free(sub);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_outfile_abort_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "out.bin");
    pp_outfile o;
    pp_err e;
    assert_int_equal(pp_outfile_open(&o, path, false, &e), 0);
    fputs("partial", o.fp);
    pp_outfile_abort(&o);
    assert_int_equal(tu_count_entries(dir), 0);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_outfile_missing_dir(void **state)
{
    (void)state;
    pp_outfile o;
    pp_err e;
    assert_int_equal(pp_outfile_open(&o, "/nonexistent-pp/dir/x.png", false, &e), PP_ECREATE);
    assert_null(o.fp);
}

static void test_open_input_rules(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *file = tu_path(dir, "f"), *link = tu_path(dir, "l");
    tu_write_file(file, "abc", 3);
    assert_int_equal(symlink(file, link), 0);
    size_t size;
    pp_err e;
    FILE *f = pp_file_open_input(file, &size, &e);
    assert_non_null(f);
    assert_int_equal(size, 3);
    fclose(f);
    assert_null(pp_file_open_input(link, &size, &e));
    tu_assert_err(&e, PP_ENOTFILE, "symbolic link");
    assert_null(pp_file_open_input(dir, &size, &e));
    tu_assert_err(&e, PP_ENOTFILE, "folder");
    char *missing = tu_path(dir, "missing");
    assert_null(pp_file_open_input(missing, &size, &e));
    assert_int_equal(e.code, PP_ENOENT);
    assert_true(pp_same_file(file, file));
    assert_false(pp_same_file(file, missing));
    free(missing);
    free(file);
    free(link);
    tu_rmtree(dir);
    free(dir);
}

/* A process that has exited and been reaped: its pid runs nothing. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}

/* Writes an empty file dir/name, last modified age_s ago. */
static void touch_aged(const char *dir, const char *name, long age_s)
{
    char *p = tu_path(dir, name);
    tu_write_file(p, "", 0);
    tu_age_file(p, age_s);
    free(p);
}

static bool exists(const char *dir, const char *name)
{
    char *p = tu_path(dir, name);
    bool r = access(p, F_OK) == 0;
    free(p);
    return r;
}

/* A sweep removes the temporaries of writers that are gone (on this host by
 * their pid, elsewhere by an hour without writes) and keeps those of live
 * writers: another tool may be writing into the same folder. */
static void test_sweep_keeps_live_writers(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *sub = tu_path(dir, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    char *live_path = tu_path(sub, "live.png");
    pp_outfile live;
    pp_err e;
    assert_int_equal(pp_outfile_open(&live, live_path, false, &e), 0);
    /* the real name gives this host's id: ".live.png.pp-HOST-PID-XXXXXX.tmp" */
    char host[9] = "";
    const char *at = strstr(strrchr(live.tmp, '/'), ".pp-");
    assert_non_null(at);
    memcpy(host, at + 4, 8);
    assert_int_equal(at[12], '-');
    assert_int_equal(strtol(at + 13, NULL, 10), (long)getpid());

    pid_t child = fork(); /* a writer killed mid-way: its temporary stays */
    assert_true(child >= 0);
    if (child == 0) {
        pp_outfile o;
        _exit(pp_outfile_open(&o, live_path, false, &e) == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(status, 0);
    assert_int_equal(tu_count_entries(sub), 2);

    char other[9];
    snprintf(other, sizeof other, "%08lx", strtoul(host, NULL, 16) ^ 1ul);
    char name[128];
    snprintf(name, sizeof name, ".dead.png.pp-%s-%ld-aaaaaa.tmp", host, (long)dead_pid());
    touch_aged(dir, name, 0);
    pid_t zombie = fork(); /* exited, not reaped yet: gone too */
    assert_true(zombie >= 0);
    if (zombie == 0)
        _exit(0);
    siginfo_t info;
    assert_int_equal(waitid(P_PID, (id_t)zombie, &info, WEXITED | WNOWAIT), 0);
    snprintf(name, sizeof name, ".zombie.png.pp-%s-%ld-aaaaaa.tmp", host, (long)zombie);
    touch_aged(dir, name, 0);
    snprintf(name, sizeof name, ".far.png.pp-%s-1-aaaaaa.tmp", other);
    touch_aged(dir, name, 60);
    snprintf(name, sizeof name, ".farold.png.pp-%s-1-aaaaaa.tmp", other);
    touch_aged(dir, name, 7200);
    snprintf(name, sizeof name, ".mine.png.pp-%s-%ld-aaaaaa.tmp", host, (long)getpid());
    touch_aged(dir, name, 60);
    touch_aged(dir, ".legacy.png.pp-aaaaaa.tmp", 60);
    touch_aged(dir, ".legacyold.png.pp-aaaaaa.tmp", 7200);
    touch_aged(dir, ".x.pp-y.png.pp-zz.tmp", 60);

    assert_int_equal(pp_sweep_temps(dir), 5); /* the child's, dead, zombie, farold, legacyold */
    assert_int_equal(waitpid(zombie, NULL, 0), zombie);
    assert_int_equal(tu_count_entries(sub), 1);
    assert_true(access(live.tmp, F_OK) == 0);
    snprintf(name, sizeof name, ".far.png.pp-%s-1-aaaaaa.tmp", other);
    assert_true(exists(dir, name));
    snprintf(name, sizeof name, ".mine.png.pp-%s-%ld-aaaaaa.tmp", host, (long)getpid());
    assert_true(exists(dir, name));
    assert_true(exists(dir, ".legacy.png.pp-aaaaaa.tmp"));
    assert_true(exists(dir, ".x.pp-y.png.pp-zz.tmp"));
    assert_false(exists(dir, ".legacyold.png.pp-aaaaaa.tmp"));

    fputs("still writing", live.fp);
    assert_int_equal(pp_outfile_commit(&live, &e), 0);
    assert_true(access(live_path, F_OK) == 0);
    snprintf(name, sizeof name, ".far.png.pp-%s-1-aaaaaa.tmp", other);
    assert_int_equal(pp_remove_temps(dir, "far.png"), 1); /* discard: whoever writes it */
    assert_false(exists(dir, name));
    free(live_path);
    free(sub);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_and_prefix),
        cmocka_unit_test(test_err_prefix_truncates),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_checked_arithmetic),
        cmocka_unit_test(test_outfile_commit),
        cmocka_unit_test(test_outfile_abort_leaves_nothing),
        cmocka_unit_test(test_outfile_missing_dir),
        cmocka_unit_test(test_open_input_rules),
        cmocka_unit_test(test_sweep_keeps_live_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
