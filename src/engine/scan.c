/* Recursive folder scan with pixpipe's ignore rules, and output naming.
 * Directory entries are sorted so scans are deterministic. lstat is used
 * throughout: links are reported as links and never followed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pixpipe/scan.h"

bool pp_scan_ignored_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || name[0] == '.')
        return true;
    if (name[n - 1] == '~')
        return true;
    return (n > 5 && strcmp(name + n - 5, ".part") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".tmp") == 0);
}

bool pp_scan_is_candidate(const char *path, const char *name)
{
    if (pp_codec_from_path(name) != PP_CODEC_UNKNOWN)
        return true;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    uint8_t magic[16];
    ssize_t got = read(fd, magic, sizeof magic);
    close(fd);
    return got > 0 && pp_codec_sniff(magic, (size_t)got) != PP_CODEC_UNKNOWN;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct walk {
    const char *root;
    size_t root_len;
    struct stat excl;
    bool has_excl;
    pp_scan_fn fn;
    void *ctx;
} walk;

/* Names in dir, sorted; NULL-terminated, malloc'd. */
static char **list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names && (e = readdir(d))) {
        if (pp_scan_ignored_name(e->d_name))
            continue;
        if (n + 1 >= cap) {
            char **g = realloc(names, (cap *= 2) * sizeof *names);
            if (!g)
                break;
            names = g;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (!names)
        return NULL;
    qsort(names, n, sizeof *names, cmp_names);
    names[n] = NULL;
    return names;
}

static int walk_dir(walk *w, const char *dir, int depth)
{
    if (depth > 64) {
        pp_log(PP_LOG_WARN, "%s: folders nested too deep, skipped", dir);
        return 0;
    }
    char **names = list_dir(dir);
    if (!names) {
        pp_log(PP_LOG_WARN, "%s: cannot read folder: %s", dir, strerror(errno));
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; names[i] && rc == 0; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
            break;
        struct stat st;
        if (lstat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            bool excluded = w->has_excl && st.st_dev == w->excl.st_dev &&
                            st.st_ino == w->excl.st_ino;
            if (!excluded)
                rc = walk_dir(w, path, depth + 1);
        } else if (S_ISREG(st.st_mode) && pp_scan_is_candidate(path, names[i])) {
            pp_scan_entry e = {path,
                               path + w->root_len + 1,
                               (uint64_t)st.st_size,
                               (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                               (uint64_t)st.st_dev,
                               (uint64_t)st.st_ino};
            rc = w->fn(&e, w->ctx);
        }
        free(path);
    }
    for (size_t i = 0; names[i]; i++)
        free(names[i]);
    free(names);
    return rc;
}

int pp_scan(const char *root, const char *exclude, pp_scan_fn fn, void *ctx, pp_err *err)
{
    struct stat st;
    if (stat(root, &st) != 0)
        return pp_err_set(err, errno == ENOENT ? PP_ENOENT : PP_EIO, "%s: %s", root,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pp_err_set(err, PP_ENOTFILE, "%s: not a folder", root);
    walk w = {root, strlen(root), {0}, false, fn, ctx};
    while (w.root_len > 1 && root[w.root_len - 1] == '/')
        w.root_len--;
    if (exclude && stat(exclude, &w.excl) == 0)
        w.has_excl = true;
    char *r = strndup(root, w.root_len);
    if (!r)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    w.root = r;
    int rc = walk_dir(&w, r, 0);
    free(r);
    return rc;
}

char *pp_output_path(const char *out_dir, const char *name, const char *rel, pp_codec_id format,
                     pp_err *err)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    const char *dot = strrchr(base, '.');
    size_t stem = format != PP_CODEC_UNKNOWN && dot && dot != base ? (size_t)(dot - rel)
                                                                    : strlen(rel);
    char *out = NULL;
    int n;
    const char *ext = format != PP_CODEC_UNKNOWN ? pp_codec_ext(format) : NULL;
    if (name && *name)
        n = asprintf(&out, "%s/%s/%.*s%s%s", out_dir, name, (int)stem, rel, ext ? "." : "",
                     ext ? ext : "");
    else
        n = asprintf(&out, "%s/%.*s%s%s", out_dir, (int)stem, rel, ext ? "." : "", ext ? ext : "");
    if (n < 0) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        return NULL;
    }
    return out;
}
