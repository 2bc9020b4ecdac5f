/* Unit tests for src/store: the content hash, the local folder source
 * (ignore rules, excludes, settling, inotify, polling) and the local sink
 * (atomic outputs, discarding and sweeping temporaries, quarantine), through
 * the pp_source and pp_sink interfaces.
 *
 * Waits are bounded (a few seconds at most) and no assertion depends on how
 * fast anything runs: settle decisions are checked by what the source saw,
 * not by the clock. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pixpipe/store.h"
#include "testutil.h"

/* A minimal valid-looking PNG signature: enough for the candidate check. */
static const uint8_t png_magic[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                      0,    0,   0,   13,  'I',  'H',  'D',  'R'};

static void write_image(const char *dir, const char *name, size_t extra)
{
    char *p = tu_path(dir, name);
    uint8_t buf[256];
    memset(buf, 7, sizeof buf);
    memcpy(buf, png_magic, sizeof png_magic);
    tu_write_file(p, buf, sizeof png_magic + (extra < sizeof buf - 16 ? extra : 0));
    free(p);
}

static void make_dir(const char *dir, const char *name)
{
    char *p = tu_path(dir, name);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

typedef struct got {
    char keys[64][128];
    int n;
} got;

static int collect(const pp_store_item *it, void *ctx)
{
    got *g = ctx;
    if (g->n < 64)
        snprintf(g->keys[g->n++], 128, "%s", it->key);
    return 0;
}

static bool has(const got *g, const char *key)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->keys[i], key) == 0)
            return true;
    return false;
}

static pp_source *open_src(const char *dir, double settle, double poll_s, const char *const *ex)
{
    pp_source_opts o = {settle, poll_s, ex};
    pp_err err;
    pp_source *s = pp_source_open(dir, &o, &err);
    if (!s)
        fail_msg("pp_source_open: %s", err.msg);
    if (s->ops->start(s, &err) < 0)
        fail_msg("start: %s", err.msg);
    return s;
}

static void pump(pp_source *s, got *g)
{
    int next;
    pp_err err;
    assert_int_equal(s->ops->pump(s, collect, g, &next, &err), 0);
}

/* Pumps until want items arrived or about 3 s passed. */
static void pump_until(pp_source *s, got *g, int want)
{
    for (int i = 0; i < 60 && g->n < want; i++) {
        struct pollfd p = {s->ops->fd(s), POLLIN, 0};
        if (p.fd >= 0)
            poll(&p, 1, 50);
        else
            usleep(50000);
        pump(s, g);
    }
}

static void test_hash64(void **state)
{
    (void)state;
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    pp_hash64 a, b;
    pp_hash64_init(&a);
    pp_hash64_update(&a, data, sizeof data);
    /* the same bytes in odd pieces give the same hash */
    pp_hash64_init(&b);
    size_t cuts[] = {1, 30, 33, 64, 200, 672};
    size_t at = 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        pp_hash64_update(&b, data + at, cuts[i]);
        at += cuts[i];
    }
    assert_int_equal(at, sizeof data);
    assert_int_equal(pp_hash64_final(&a), pp_hash64_final(&b));
    /* one flipped bit, or one byte more, changes it */
    data[500] ^= 1;
    pp_hash64_init(&b);
    pp_hash64_update(&b, data, sizeof data);
    assert_int_not_equal(pp_hash64_final(&a), pp_hash64_final(&b));
    data[500] ^= 1;
    pp_hash64_init(&b);
    pp_hash64_update(&b, data, sizeof data - 1);
    assert_int_not_equal(pp_hash64_final(&a), pp_hash64_final(&b));
    /* empty input and a zero byte differ */
    pp_hash64_init(&a);
    pp_hash64_init(&b);
    pp_hash64_update(&b, "", 1);
    assert_int_not_equal(pp_hash64_final(&a), pp_hash64_final(&b));
}

/* The ignore rules and excludes, on the initial scan. */
static void test_scan_rules(void **state)
{
    (void)state;
    char *d = tu_mkdtemp();
    write_image(d, "a.png", 10);
    write_image(d, "noext", 10); /* an image by its bytes */
    write_image(d, ".hidden.png", 10);
    write_image(d, "part.png.part", 10);
    write_image(d, "up.png.tmp", 10);
    write_image(d, "backup.png~", 10);
    char *txt = tu_path(d, "notes.txt");
    tu_write_file(txt, "hello", 5);
    make_dir(d, "sub");
    make_dir(d, "sub/deeper");
    write_image(d, "sub/deeper/b.png", 20);
    make_dir(d, "out");
    write_image(d, "out/result.png", 10);
    make_dir(d, "out2");
    write_image(d, "out2/x.png", 10);
    char *outside = tu_mkdtemp();
    write_image(outside, "secret.png", 10);
    char *link = tu_path(d, "link.png"), *target = tu_path(outside, "secret.png");
    assert_int_equal(symlink(target, link), 0);
    char *dlink = tu_path(d, "linkdir");
    assert_int_equal(symlink(outside, dlink), 0);
    char *fifo = tu_path(d, "fifo.png");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    char *ex1 = tu_path(d, "out"), *ex2 = tu_path(d, "out2");
    const char *ex[] = {ex1, ex2, NULL};

    /* a long settle: nothing found by the scan is delivered yet */
    pp_source *s = open_src(d, 3600, 0, ex);
    got g = {0};
    pump(s, &g);
    assert_int_equal(g.n, 0);
    pp_source_close(s);

    /* no settle: exactly the candidates */
    s = open_src(d, 0, 0, ex);
    memset(&g, 0, sizeof g);
    pump(s, &g);
    assert_int_equal(g.n, 3);
    assert_true(has(&g, "a.png"));
    assert_true(has(&g, "noext"));
    assert_true(has(&g, "sub/deeper/b.png"));
    pp_source_close(s);

    free(ex1);
    free(ex2);
    free(fifo);
    free(dlink);
    free(link);
    free(target);
    free(txt);
    tu_rmtree(outside);
    free(outside);
    tu_rmtree(d);
    free(d);
}

/* A file found by a scan is delivered only once unchanged for settle.
 * (Polling with a long period: only the first scan finds files, and no
 * inotify event can deliver them early.) */
static void test_settle(void **state)
{
    (void)state;
    char *d = tu_mkdtemp();
    write_image(d, "growing.png", 10);
    pp_source *s = open_src(d, 0.2, 3600, NULL); /* the scan saw 26 bytes */
    write_image(d, "growing.png", 100);          /* then it grew */
    usleep(300000);
    got g = {0};
    pump(s, &g); /* settle time passed, but the file changed since: wait again */
    assert_int_equal(g.n, 0);
    usleep(300000);
    pump(s, &g); /* unchanged for settle now */
    assert_int_equal(g.n, 1);
    assert_string_equal(g.keys[0], "growing.png");
    /* delivered once */
    usleep(300000);
    pump(s, &g);
    assert_int_equal(g.n, 1);
    /* a file that vanished while settling is forgotten */
    pp_source_close(s);
    s = open_src(d, 0.2, 3600, NULL);
    char *p = tu_path(d, "growing.png");
    unlink(p);
    usleep(300000);
    memset(&g, 0, sizeof g);
    pump(s, &g);
    assert_int_equal(g.n, 0);
    int next = 0;
    pp_err err;
    assert_int_equal(s->ops->pump(s, collect, &g, &next, &err), 0);
    assert_true(next > 3000000); /* nothing pending: the next poll is far */
    free(p);
    pp_source_close(s);
    tu_rmtree(d);
    free(d);
}

/* inotify: closed-after-write and renamed-in files come at once; new
 * folders are watched; links and hidden names never come. */
static void test_inotify(void **state)
{
    (void)state;
    char *d = tu_mkdtemp(), *stage = tu_mkdtemp();
    pp_source *s = open_src(d, 3600, 0, NULL);
    assert_true(s->ops->fd(s) >= 0);
    got g = {0};
    write_image(d, "new.png", 10); /* IN_CLOSE_WRITE */
    pump_until(s, &g, 1);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.keys[0], "new.png");

    write_image(stage, "moved.png", 10);
    char *from = tu_path(stage, "moved.png"), *to = tu_path(d, "moved.png");
    assert_int_equal(rename(from, to), 0); /* IN_MOVED_TO */
    pump_until(s, &g, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.keys[1], "moved.png");

    make_dir(d, "fresh");
    pump(s, &g); /* sees the folder and watches it */
    write_image(d, "fresh/inner.png", 10);
    pump_until(s, &g, 3);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.keys[2], "fresh/inner.png");

    char *link = tu_path(d, "link.png");
    assert_int_equal(symlink(to, link), 0);
    write_image(d, ".hidden.png", 10);
    write_image(d, "x.png.part", 10);
    write_image(d, "last.png", 10); /* comes after the ignored ones */
    pump_until(s, &g, 4);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.keys[3], "last.png");
    int next = 0;
    pp_err err;
    assert_int_equal(s->ops->pump(s, collect, &g, &next, &err), 0);
    assert_int_equal(next, -1); /* nothing pending: wait for inotify */
    assert_int_equal(g.n, 4);

    free(link);
    free(from);
    free(to);
    pp_source_close(s);
    tu_rmtree(stage);
    free(stage);
    tu_rmtree(d);
    free(d);
}

/* Poll mode: new and changed files come again; unchanged ones do not. */
static void test_poll(void **state)
{
    (void)state;
    char *d = tu_mkdtemp();
    write_image(d, "a.png", 10);
    pp_source *s = open_src(d, 0, 0.05, NULL);
    assert_int_equal(s->ops->fd(s), -1);
    got g = {0};
    pump_until(s, &g, 1);
    assert_int_equal(g.n, 1);
    usleep(150000);
    pump(s, &g);
    assert_int_equal(g.n, 1); /* unchanged: not again */
    write_image(d, "a.png", 50);
    write_image(d, "b.png", 10);
    pump_until(s, &g, 3);
    assert_int_equal(g.n, 3);
    assert_true(has(&g, "b.png"));
    assert_true(strcmp(g.keys[1], "a.png") == 0 || strcmp(g.keys[2], "a.png") == 0); /* again */
    pp_source_close(s);
    tu_rmtree(d);
    free(d);
}

static void test_hash_and_fetch(void **state)
{
    (void)state;
    char *d = tu_mkdtemp();
    write_image(d, "a.png", 10);
    write_image(d, "b.png", 10);
    write_image(d, "c.png", 11);
    pp_source *s = open_src(d, 3600, 0, NULL);
    char ha[PP_HASH_TEXT_MAX], hb[PP_HASH_TEXT_MAX], hc[PP_HASH_TEXT_MAX];
    uint64_t size;
    pp_err err;
    assert_int_equal(s->ops->hash(s, "a.png", ha, &size, &err), 0);
    assert_int_equal(size, 26);
    assert_int_equal(strncmp(ha, "h64:", 4), 0);
    assert_int_equal(strlen(ha), 20);
    assert_int_equal(s->ops->hash(s, "b.png", hb, &size, &err), 0);
    assert_int_equal(s->ops->hash(s, "c.png", hc, &size, &err), 0);
    assert_string_equal(ha, hb); /* same bytes */
    assert_string_not_equal(ha, hc);
    assert_int_equal(s->ops->hash(s, "missing.png", hc, &size, &err), PP_ENOENT);
    assert_int_equal(s->ops->hash(s, "../a.png", hc, &size, &err), PP_EINVAL);
    assert_int_equal(s->ops->hash(s, "/etc/passwd", hc, &size, &err), PP_EINVAL);
    assert_int_equal(s->ops->hash(s, "x/./a.png", hc, &size, &err), PP_EINVAL);
    char *path = NULL;
    bool temp = true;
    assert_int_equal(s->ops->fetch(s, "a.png", &path, &temp, &err), 0);
    assert_false(temp);
    char *want = tu_path(d, "a.png");
    assert_string_equal(path, want);
    free(want);
    free(path);
    pp_source_close(s);
    /* specs */
    pp_source_opts o = {0, 0, NULL};
    assert_null(pp_source_open("s3://bucket/in", &o, &err));
    assert_int_equal(err.code, PP_ENOTBUILT);
    char *spec = NULL;
    assert_true(asprintf(&spec, "file://%s", d) > 0);
    s = pp_source_open(spec, &o, &err);
    assert_non_null(s);
    pp_source_close(s);
    free(spec);
    char *missing = tu_path(d, "nope");
    assert_null(pp_source_open(missing, &o, &err));
    assert_int_equal(err.code, PP_ENOENT);
    free(missing);
    tu_rmtree(d);
    free(d);
}

static void test_sink(void **state)
{
    (void)state;
    char *d = tu_mkdtemp(), *src = tu_mkdtemp();
    char *root = tu_path(d, "out");
    pp_err err;
    pp_sink *k = pp_sink_open(root, &err);
    assert_non_null(k);
    struct stat st;
    assert_int_equal(stat(root, &st), 0); /* created */

    char *path = NULL;
    assert_int_equal(k->ops->prepare(k, "gray/sub/a.png", &path, &err), 0);
    char *want = tu_path(root, "gray/sub/a.png");
    assert_string_equal(path, want);
    char *dir = tu_path(root, "gray/sub");
    assert_int_equal(stat(dir, &st), 0); /* its folder exists */
    assert_int_equal(k->ops->commit(k, "gray/sub/a.png", path, &err), PP_EIO); /* not written */
    tu_write_file(path, "x", 1);
    assert_int_equal(k->ops->commit(k, "gray/sub/a.png", path, &err), 0);
    free(path);
    path = NULL;
    assert_int_equal(k->ops->prepare(k, "../escape.png", &path, &err), PP_EINVAL);
    assert_null(path);

    /* discard removes only that output's temporaries */
    char *t1 = tu_path(dir, ".a.png.pp-ABC123.tmp"), *t2 = tu_path(dir, ".b.png.pp-XYZ789.tmp");
    tu_write_file(t1, "x", 1);
    tu_write_file(t2, "x", 1);
    k->ops->discard(k, "gray/sub/a.png");
    assert_int_not_equal(access(t1, F_OK), 0);
    assert_int_equal(access(t2, F_OK), 0);
    assert_int_equal(access(want, F_OK), 0); /* the finished output stays */
    /* sweep removes the abandoned temporaries under the root: these names
     * carry no writer, so abandoned means unwritten for an hour */
    char *t3 = tu_path(root, ".c.png.pp-QWE456.tmp"), *t4 = tu_path(root, ".d.png.pp-RTY789.tmp");
    tu_write_file(t3, "x", 1);
    tu_write_file(t4, "x", 1);
    tu_age_file(t2, 7200);
    tu_age_file(t3, 7200);
    assert_int_equal(k->ops->sweep(k), 2);
    assert_int_equal(access(t4, F_OK), 0); /* written a moment ago: maybe live */
    assert_int_not_equal(access(t2, F_OK), 0);
    assert_int_not_equal(access(t3, F_OK), 0);
    assert_int_equal(access(want, F_OK), 0);

    /* quarantine: a copy and its story */
    char *in = tu_path(src, "bad.jpg");
    tu_write_file(in, "not really a jpeg", 17);
    char *where = NULL;
    assert_int_equal(
        k->ops->quarantine(k, "sub/bad.jpg", in, "{\"reason\": \"x\"}\n", &where, &err), 0);
    assert_string_equal(where, "_failed/sub/bad.jpg");
    char *copy = tu_path(root, "_failed/sub/bad.jpg"),
         *json = tu_path(root, "_failed/sub/bad.jpg.error.json");
    size_t len;
    uint8_t *bytes = tu_read_file(copy, &len);
    assert_int_equal(len, 17);
    assert_memory_equal(bytes, "not really a jpeg", 17);
    free(bytes);
    bytes = tu_read_file(json, &len);
    assert_memory_equal(bytes, "{\"reason\": \"x\"}\n", len);
    free(bytes);
    free(where);
    /* without the source bytes, the story alone */
    assert_int_equal(k->ops->quarantine(k, "gone.png", NULL, "{}\n", &where, &err), 0);
    char *gone = tu_path(root, "_failed/gone.png"),
         *gone_json = tu_path(root, "_failed/gone.png.error.json");
    assert_int_not_equal(access(gone, F_OK), 0);
    assert_int_equal(access(gone_json, F_OK), 0);
    assert_int_equal(k->ops->sweep(k), 0); /* quarantine leaves no temporaries */
    free(where);
    pp_sink_close(k);

    free(gone);
    free(gone_json);
    free(copy);
    free(json);
    free(in);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(dir);
    free(want);
    free(path);
    free(root);
    tu_rmtree(src);
    free(src);
    tu_rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash64), cmocka_unit_test(test_scan_rules),
        cmocka_unit_test(test_settle), cmocka_unit_test(test_inotify),
        cmocka_unit_test(test_poll),   cmocka_unit_test(test_hash_and_fetch),
        cmocka_unit_test(test_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
