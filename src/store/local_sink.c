/* A local folder as a pp_sink.
 *
 * Outputs are written in place by pp_process_file, which already writes a
 * hidden temporary file beside the output and renames it (file.h), so
 * prepare only names the path and makes its folder, and commit only checks
 * the result is there. What a killed writer leaves is its temporary file:
 * discard removes those of one output, sweep the abandoned ones of the
 * whole tree (pp_sweep_temps).
 *
 * Quarantine copies go through the same temporary-file-and-rename path, so
 * _failed/ never holds a partial copy either.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pixpipe/file.h"
#include "pixpipe/store.h"


typedef struct local_sink {
    pp_sink base;
    char *root;
} local_sink;

static char *sink_path(const local_sink *s, const char *key, pp_err *err)
{
    char *p = NULL;
    if (!pp__store_key_safe(key)) {
        pp_err_set(err, PP_EINVAL, "%s: not a valid output key", key);
        return NULL;
    }
    if (asprintf(&p, "%s/%s", s->root, key) < 0) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        return NULL;
    }
    return p;
}

static int make_parent(const char *path, pp_err *err)
{
    char *d = pp_strdup(path, err);
    if (!d)
        return PP_ENOMEM;
    int rc = pp_mkdirs(dirname(d), err);
    free(d);
    return rc;
}

static int k_prepare(pp_sink *sink, const char *key, char **path, pp_err *err)
{
    local_sink *s = (local_sink *)sink;
    if (!(*path = sink_path(s, key, err)))
        return err ? err->code : PP_EINVAL;
    int rc = make_parent(*path, err);
    if (rc < 0) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

static int k_commit(pp_sink *sink, const char *key, const char *path, pp_err *err)
{
    (void)sink;
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return pp_err_set(err, PP_EIO, "%s: output %s is missing after writing", path, key);
    return 0;
}

static void k_discard(pp_sink *sink, const char *key)
{
    char *path = sink_path((local_sink *)sink, key, NULL);
    char *d = path ? strdup(path) : NULL, *b = path ? strdup(path) : NULL;
    if (d && b)
        pp_remove_temps(dirname(d), basename(b));
    free(d);
    free(b);
    free(path);
}

static size_t k_sweep(pp_sink *sink)
{
    return pp_sweep_temps(((local_sink *)sink)->root);
}

/* Copies src to dst atomically. */
static int copy_file(const char *src, const char *dst, pp_err *err)
{
    size_t size;
    FILE *in = pp_file_open_input(src, &size, err);
    if (!in) {
        pp_err_prefix(err, "%s", src);
        return err ? err->code : PP_EIO;
    }
    pp_outfile of;
    int rc = pp_outfile_open(&of, dst, true, err);
    if (rc == 0) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0 && rc == 0)
            if (fwrite(buf, 1, n, of.fp) != n)
                rc = pp_err_set(err, PP_EIO, "%s: write failed: %s", dst, strerror(errno));
        if (rc == 0 && ferror(in))
            rc = pp_err_set(err, PP_EIO, "%s: read failed: %s", src, strerror(errno));
        if (rc == 0)
            rc = pp_outfile_commit(&of, err);
        pp_outfile_abort(&of);
    }
    fclose(in);
    return rc;
}

static int write_text(const char *path, const char *text, pp_err *err)
{
    pp_outfile of;
    int rc = pp_outfile_open(&of, path, true, err);
    if (rc < 0)
        return rc;
    if (fputs(text, of.fp) < 0)
        rc = pp_err_set(err, PP_EIO, "%s: write failed: %s", path, strerror(errno));
    if (rc == 0)
        rc = pp_outfile_commit(&of, err);
    pp_outfile_abort(&of);
    return rc;
}

static int k_quarantine(pp_sink *sink, const char *key, const char *src_path,
                        const char *error_json, char **where, pp_err *err)
{
    local_sink *s = (local_sink *)sink;
    char *qkey = NULL, *dst = NULL, *json = NULL;
    int rc = PP_ENOMEM;
    *where = NULL;
    if (asprintf(&qkey, "%s/%s", PP_SINK_FAILED_DIR, key) < 0) {
        qkey = NULL;
        pp_err_set(err, rc, "out of memory");
        goto done;
    }
    if (!(dst = sink_path(s, qkey, err)) || asprintf(&json, "%s.error.json", dst) < 0) {
        json = NULL;
        rc = err && err->code ? err->code : PP_ENOMEM;
        goto done;
    }
    rc = src_path ? copy_file(src_path, dst, err) : 0;
    if (rc == 0)
        rc = write_text(json, error_json, err);
    if (rc == 0) {
        *where = qkey;
        qkey = NULL;
    }
done:
    free(qkey);
    free(dst);
    free(json);
    return rc;
}

static void k_close(pp_sink *sink)
{
    local_sink *s = (local_sink *)sink;
    free(s->root);
    free(s);
}

static const pp_sink_ops local_sink_ops = {
    .prepare = k_prepare,
    .commit = k_commit,
    .discard = k_discard,
    .sweep = k_sweep,
    .quarantine = k_quarantine,
    .close = k_close,
};

pp_sink *pp__sink_local_open(const char *dir, pp_err *err)
{
    if (pp_mkdirs(dir, err) < 0)
        return NULL;
    local_sink *s = pp_calloc(1, sizeof *s, err);
    if (!s)
        return NULL;
    s->base.ops = &local_sink_ops;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!(s->root = strndup(dir, n))) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        free(s);
        return NULL;
    }
    return &s->base;
}
