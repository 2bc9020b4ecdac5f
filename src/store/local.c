/* A local folder as a pp_source: scanning, inotify or polling, and settling.
 *
 * When is a file complete? The writer tells us (IN_CLOSE_WRITE: it closed a
 * file it had open for writing; IN_MOVED_TO: a rename put a finished file in
 * place), or, for what a scan finds, the file's size and modification time
 * have stayed the same for `settle` seconds. A found file is parked in the
 * pending table with the time its (size, mtime) was first seen; it is looked
 * at again when that time plus settle has passed, and delivered only when
 * nothing changed in between (any write moves mtime). An event for a pending
 * file delivers it at once and drops it from the table.
 *
 * Watching. Every folder of the tree gets an inotify watch (IN_DONT_FOLLOW,
 * IN_ONLYDIR) before the scan, so nothing created during the scan is missed.
 * A new subfolder gets watches, then a scan of its own. A lost event queue
 * (IN_Q_OVERFLOW) rescans everything. In poll mode (NFS, FUSE) there is no
 * inotify: every poll_s seconds a scan compares each file with the (size,
 * mtime) it had when last delivered (the known table) and parks new and
 * changed files in the pending table.
 *
 * Ignored, as in scan.h: hidden and temporary names, symbolic links (never
 * followed), non-regular files, files that do not look like images, and the
 * excluded subtrees (the output and state folders when they lie inside).
 *
 * Bounds: a pump reads at most MAX_READS inotify buffers and looks at each
 * pending file at most once; folders nest at most MAX_DEPTH deep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pixpipe/file.h"
#include "pixpipe/scan.h"
#include "pixpipe/store.h"

#define MAX_DEPTH 64
#define MAX_READS 64
#define HASH_CHUNK (1u << 20)
#define WATCH_MASK                                                                                 \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW |       \
     IN_EXCL_UNLINK)

/* ---- a small string-keyed hash table (open addressing) ---- */

typedef struct kslot {
    char *key; /* NULL: empty; &tomb: deleted */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t t; /* pending: when (size, mtime) was first seen; known: scan mark */
} kslot;

typedef struct keytab {
    kslot *s;
    size_t cap, live, used; /* used counts live slots and tombstones */
} keytab;

static char tomb;

static bool slot_live(const kslot *k)
{
    return k->key && k->key != &tomb;
}

static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++)
        h = (h ^ (uint8_t)*k) * 1099511628211ull;
    return h;
}

static kslot *kt_find(const keytab *t, const char *key)
{
    if (!t->cap)
        return NULL;
    for (size_t i = key_hash(key) & (t->cap - 1), n = 0; n < t->cap;
         i = (i + 1) & (t->cap - 1), n++) {
        kslot *k = &t->s[i];
        if (!k->key)
            return NULL;
        if (k->key != &tomb && strcmp(k->key, key) == 0)
            return k;
    }
    return NULL;
}

static void kt_del(keytab *t, kslot *k)
{
    free(k->key);
    k->key = &tomb;
    t->live--;
}

static int kt_grow(keytab *t)
{
    size_t cap = t->cap ? t->cap : 64;
    while (cap < 4 * (t->live + 1))
        cap *= 2;
    kslot *s = calloc(cap, sizeof *s);
    if (!s)
        return PP_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!slot_live(&t->s[i]))
            continue;
        size_t j = key_hash(t->s[i].key) & (cap - 1);
        while (s[j].key)
            j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    free(t->s);
    t->s = s;
    t->cap = cap;
    t->used = t->live;
    return 0;
}

/* The slot for key, new (key copied, fields zero) when absent; NULL: no memory. */
static kslot *kt_put(keytab *t, const char *key, bool *added)
{
    kslot *k = kt_find(t, key);
    *added = false;
    if (k)
        return k;
    if (2 * (t->used + 1) > t->cap && kt_grow(t) < 0)
        return NULL;
    size_t i = key_hash(key) & (t->cap - 1);
    while (slot_live(&t->s[i]))
        i = (i + 1) & (t->cap - 1);
    k = &t->s[i];
    if (!k->key)
        t->used++;
    memset(k, 0, sizeof *k);
    if (!(k->key = strdup(key)))
        return NULL;
    t->live++;
    *added = true;
    return k;
}

static void kt_free(keytab *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (slot_live(&t->s[i]))
            free(t->s[i].key);
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* ---- the source ---- */

typedef struct excl {
    char *rel; /* relative to the root, or NULL when outside it */
    dev_t dev;
    ino_t ino;
} excl;

typedef struct wdir {
    char *rel; /* "" for the root; NULL when the slot is unused */
    ino_t ino;
} wdir;

typedef struct local_source {
    pp_source base;
    char *root;
    double settle_s, poll_s;
    excl *ex;
    size_t nex;
    char *scan_exclude; /* one excluded path pp_scan itself skips */
    int ifd;
    wdir *wd; /* indexed by watch descriptor */
    size_t nwd;
    keytab pending, known;
    uint64_t mark; /* current scan mark (poll mode) */
    bool rescan;
    uint64_t next_scan_ns;
} local_source;

static char *join(const char *a, const char *b)
{
    char *p = NULL;
    if (!*a)
        return strdup(b);
    return asprintf(&p, "%s/%s", a, b) < 0 ? NULL : p;
}

static bool rel_excluded(const local_source *s, const char *rel)
{
    for (size_t i = 0; i < s->nex; i++) {
        const char *x = s->ex[i].rel;
        size_t n = x ? strlen(x) : 0;
        if (x && strncmp(rel, x, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
            return true;
    }
    return false;
}

static bool dir_excluded(const local_source *s, const char *rel, const struct stat *st)
{
    for (size_t i = 0; i < s->nex; i++)
        if (s->ex[i].dev == st->st_dev && s->ex[i].ino == st->st_ino)
            return true;
    return rel_excluded(s, rel);
}

/* Parks a file found by a scan until it has settled. */
static int park(local_source *s, const char *key, uint64_t size, int64_t mtime_ns)
{
    if (s->poll_s > 0) {
        kslot *k = kt_find(&s->known, key);
        if (k) {
            k->t = s->mark;
            if (k->size == size && k->mtime_ns == mtime_ns)
                return 0;
        }
    }
    bool added;
    kslot *p = kt_put(&s->pending, key, &added);
    if (!p)
        return PP_ENOMEM;
    if (added) {
        p->size = size;
        p->mtime_ns = mtime_ns;
        p->t = pp_clock_ns();
    }
    return 0;
}

typedef struct scan_ctx {
    local_source *s;
    const char *prefix; /* key prefix of the scanned folder ("" for the root) */
} scan_ctx;

static int on_scanned(const pp_scan_entry *e, void *arg)
{
    scan_ctx *c = arg;
    char *key = join(c->prefix, e->rel);
    if (!key)
        return PP_ENOMEM;
    int rc = rel_excluded(c->s, key) ? 0 : park(c->s, key, e->size, e->mtime_ns);
    free(key);
    return rc;
}

/* Scans the folder rel (and below) into the pending table. */
static int scan_tree(local_source *s, const char *rel, pp_err *err)
{
    char *path = join(s->root, rel);
    if (!path)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    scan_ctx c = {s, rel};
    int rc = pp_scan(path, s->scan_exclude, on_scanned, &c, err);
    if (rc == PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "out of memory while scanning %s", path);
    else if (rc == PP_ENOENT && *rel)
        rc = 0; /* a subfolder that went away meanwhile */
    free(path);
    return rc;
}

/* ---- inotify ---- */

static int remember_wd(local_source *s, int wd, const char *rel, ino_t ino)
{
    if ((size_t)wd >= s->nwd) {
        size_t n = s->nwd ? s->nwd : 16;
        while (n <= (size_t)wd)
            n *= 2;
        wdir *g = realloc(s->wd, n * sizeof *g);
        if (!g)
            return PP_ENOMEM;
        memset(g + s->nwd, 0, (n - s->nwd) * sizeof *g);
        s->wd = g;
        s->nwd = n;
    }
    char *copy = strdup(rel);
    if (!copy)
        return PP_ENOMEM;
    free(s->wd[wd].rel);
    s->wd[wd].rel = copy;
    s->wd[wd].ino = ino;
    return 0;
}

/* Watches the folder rel and every folder below it. */
static int watch_tree(local_source *s, const char *rel, int depth)
{
    char *path = join(s->root, rel);
    if (!path)
        return PP_ENOMEM;
    struct stat st;
    int rc = 0;
    if (depth > MAX_DEPTH || lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
        (depth > 0 && dir_excluded(s, rel, &st)))
        goto done;
    int wd = inotify_add_watch(s->ifd, path, WATCH_MASK);
    if (wd < 0) {
        pp_log(PP_LOG_WARN, "%s: cannot watch (%s)%s", path, strerror(errno),
               errno == ENOSPC ? "; raise fs.inotify.max_user_watches or use --poll" : "");
        goto done;
    }
    if ((rc = remember_wd(s, wd, rel, st.st_ino)) < 0)
        goto done;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && rc == 0 && (e = readdir(d))) {
        if (pp_scan_ignored_name(e->d_name) || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        char *child = join(rel, e->d_name);
        rc = child ? watch_tree(s, child, depth + 1) : PP_ENOMEM;
        free(child);
    }
    if (d)
        closedir(d);
done:
    free(path);
    return rc;
}

/* A file event: deliver the file now if it is a regular image file. */
static int file_ready(local_source *s, const char *key, const char *name, pp_store_item_fn fn,
                      void *ctx)
{
    char *path = join(s->root, key);
    if (!path)
        return PP_ENOMEM;
    struct stat st;
    int rc = 0;
    if (!rel_excluded(s, key) && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        pp_scan_is_candidate(path, name)) {
        kslot *p = kt_find(&s->pending, key);
        if (p)
            kt_del(&s->pending, p);
        pp_store_item it = {key, (uint64_t)st.st_size,
                            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec};
        rc = fn(&it, ctx);
    }
    free(path);
    return rc;
}

/* A folder moved away keeps its watch under a stale name: drop it unless the
 * name still leads to it (it moved inside the tree and was watched again). */
static void folder_moved(local_source *s, int wd)
{
    char *path = join(s->root, s->wd[wd].rel);
    struct stat st;
    if (!path || lstat(path, &st) != 0 || st.st_ino != s->wd[wd].ino) {
        inotify_rm_watch(s->ifd, wd);
        free(s->wd[wd].rel);
        s->wd[wd].rel = NULL;
    }
    free(path);
}

static int on_event(local_source *s, const struct inotify_event *ev, pp_store_item_fn fn, void *ctx,
                    pp_err *err)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        s->rescan = true;
        return 0;
    }
    if (ev->wd < 0 || (size_t)ev->wd >= s->nwd || !s->wd[ev->wd].rel)
        return 0;
    if (ev->mask & IN_IGNORED) {
        free(s->wd[ev->wd].rel);
        s->wd[ev->wd].rel = NULL;
        return 0;
    }
    if (ev->mask & IN_MOVE_SELF) {
        folder_moved(s, ev->wd);
        return 0;
    }
    if (!ev->len || pp_scan_ignored_name(ev->name))
        return 0;
    char *key = join(s->wd[ev->wd].rel, ev->name);
    if (!key)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    int rc = 0;
    if (ev->mask & IN_ISDIR) {
        if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && !rel_excluded(s, key)) {
            rc = watch_tree(s, key, 1);
            if (rc == 0)
                rc = scan_tree(s, key, err);
        }
    } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        rc = file_ready(s, key, ev->name, fn, ctx);
    }
    free(key);
    if (rc == PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "out of memory");
    return rc;
}

static int read_events(local_source *s, pp_store_item_fn fn, void *ctx, pp_err *err)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (int round = 0; round < MAX_READS; round++) {
        ssize_t n = read(s->ifd, buf, sizeof buf);
        if (n <= 0)
            return n < 0 && errno != EAGAIN && errno != EINTR
                       ? pp_err_set(err, PP_EIO, "%s: inotify: %s", s->root, strerror(errno))
                       : 0;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            int rc = on_event(s, ev, fn, ctx, err);
            if (rc != 0)
                return rc;
            p += sizeof *ev + ev->len;
        }
    }
    return 0;
}

/* ---- settling ---- */

/* Looks at each pending file whose settle time has come: delivers it when
 * unchanged, restarts its clock when changed, forgets it when gone. */
static int settle_pass(local_source *s, uint64_t now, pp_store_item_fn fn, void *ctx)
{
    uint64_t settle_ns = (uint64_t)(s->settle_s * 1e9);
    for (size_t i = 0; i < s->pending.cap; i++) {
        kslot *p = &s->pending.s[i];
        if (!slot_live(p) || now - p->t < settle_ns)
            continue;
        char *path = join(s->root, p->key);
        struct stat st;
        bool there = path && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!there) {
            kt_del(&s->pending, p);
            continue;
        }
        int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        if ((uint64_t)st.st_size != p->size || mt != p->mtime_ns) {
            p->size = (uint64_t)st.st_size;
            p->mtime_ns = mt;
            p->t = now;
            continue;
        }
        if (s->poll_s > 0) {
            bool added;
            kslot *k = kt_put(&s->known, p->key, &added);
            if (!k)
                return PP_ENOMEM;
            k->size = p->size;
            k->mtime_ns = p->mtime_ns;
            k->t = s->mark;
        }
        pp_store_item it = {p->key, p->size, p->mtime_ns};
        int rc = fn(&it, ctx);
        kt_del(&s->pending, p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Milliseconds until the next pending file or poll scan is due; -1: none. */
static int next_due_ms(const local_source *s, uint64_t now)
{
    uint64_t settle_ns = (uint64_t)(s->settle_s * 1e9), best = UINT64_MAX;
    for (size_t i = 0; i < s->pending.cap; i++) {
        const kslot *p = &s->pending.s[i];
        if (!slot_live(p))
            continue;
        uint64_t due = p->t + settle_ns;
        best = due < best ? due : best;
    }
    if (s->poll_s > 0 && s->next_scan_ns < best)
        best = s->next_scan_ns;
    if (best == UINT64_MAX)
        return -1;
    uint64_t ms = best > now ? (best - now + 999999) / 1000000 : 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Poll mode: forgets known files the last scan did not see. */
static void prune_known(local_source *s)
{
    for (size_t i = 0; i < s->known.cap; i++)
        if (slot_live(&s->known.s[i]) && s->known.s[i].t != s->mark)
            kt_del(&s->known, &s->known.s[i]);
}

static int poll_scan(local_source *s, uint64_t now, pp_err *err)
{
    s->mark++;
    int rc = scan_tree(s, "", err);
    if (rc == 0)
        prune_known(s);
    s->next_scan_ns = now + (uint64_t)(s->poll_s * 1e9);
    return rc;
}

/* ---- ops ---- */

static int l_start(pp_source *src, pp_err *err)
{
    local_source *s = (local_source *)src;
    if (s->poll_s <= 0) {
        s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->ifd < 0)
            return pp_err_set(err, PP_EIO, "%s: inotify: %s; use --poll", s->root, strerror(errno));
        int rc = watch_tree(s, "", 0);
        if (rc < 0)
            return pp_err_set(err, rc, "%s: cannot watch the folder tree", s->root);
        return scan_tree(s, "", err);
    }
    return poll_scan(s, pp_clock_ns(), err);
}

static int l_fd(const pp_source *src)
{
    return ((const local_source *)src)->ifd;
}

static int l_pump(pp_source *src, pp_store_item_fn fn, void *ctx, int *next_ms, pp_err *err)
{
    local_source *s = (local_source *)src;
    int rc = 0;
    if (s->ifd >= 0)
        rc = read_events(s, fn, ctx, err);
    if (rc == 0 && s->rescan) {
        s->rescan = false;
        pp_log(PP_LOG_WARN, "%s: inotify lost events; rescanning", s->root);
        rc = watch_tree(s, "", 0);
        if (rc == 0)
            rc = scan_tree(s, "", err);
    }
    uint64_t now = pp_clock_ns();
    if (rc == 0 && s->poll_s > 0 && now >= s->next_scan_ns)
        rc = poll_scan(s, now, err);
    if (rc == 0)
        rc = settle_pass(s, pp_clock_ns(), fn, ctx);
    if (rc == PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "out of memory");
    *next_ms = next_due_ms(s, pp_clock_ns());
    return rc;
}

static int open_input(local_source *s, const char *key, char **path, pp_err *err)
{
    if (!pp__store_key_safe(key))
        return pp_err_set(err, PP_EINVAL, "%s: not a valid key", key);
    if (!(*path = join(s->root, key)))
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    return 0;
}

static int l_hash(pp_source *src, const char *key, char *out, uint64_t *size, pp_err *err)
{
    local_source *s = (local_source *)src;
    char *path = NULL;
    int rc = open_input(s, key, &path, err);
    if (rc < 0)
        return rc;
    size_t fsize = 0;
    uint8_t *buf = NULL;
    FILE *fp = pp_file_open_input(path, &fsize, err);
    if (!fp) {
        pp_err_prefix(err, "%s", path);
        rc = err ? err->code : PP_EIO;
        goto done;
    }
    if (!(buf = pp_malloc(HASH_CHUNK, err))) {
        rc = PP_ENOMEM;
        goto done;
    }
    pp_hash64 h;
    pp_hash64_init(&h);
    size_t n;
    while ((n = fread(buf, 1, HASH_CHUNK, fp)) > 0)
        pp_hash64_update(&h, buf, n);
    if (ferror(fp)) {
        rc = pp_err_set(err, PP_EIO, "%s: read failed: %s", path, strerror(errno));
        goto done;
    }
    snprintf(out, PP_HASH_TEXT_MAX, "h64:%016llx", (unsigned long long)pp_hash64_final(&h));
    *size = h.total;
done:
    if (fp)
        fclose(fp);
    free(buf);
    free(path);
    return rc;
}

static int l_fetch(pp_source *src, const char *key, char **path, bool *temp, pp_err *err)
{
    *temp = false;
    return open_input((local_source *)src, key, path, err);
}

static void l_close(pp_source *src)
{
    local_source *s = (local_source *)src;
    if (s->ifd >= 0)
        close(s->ifd);
    for (size_t i = 0; i < s->nwd; i++)
        free(s->wd[i].rel);
    for (size_t i = 0; i < s->nex; i++)
        free(s->ex[i].rel);
    kt_free(&s->pending);
    kt_free(&s->known);
    free(s->wd);
    free(s->ex);
    free(s->scan_exclude);
    free(s->root);
    free(s);
}

static const pp_source_ops local_ops = {
    .start = l_start,
    .fd = l_fd,
    .pump = l_pump,
    .hash = l_hash,
    .fetch = l_fetch,
    .close = l_close,
};

/* Records each exclude that exists: its identity, and its path relative to
 * the root when it lies inside it. */
static int add_excludes(local_source *s, const char *const *ex, pp_err *err)
{
    char *root_real = realpath(s->root, NULL);
    size_t n = 0, rl = root_real ? strlen(root_real) : 0;
    while (ex && ex[n])
        n++;
    s->ex = calloc(n ? n : 1, sizeof *s->ex);
    if (!s->ex || !root_real) {
        free(root_real);
        return pp_err_set(err, root_real ? PP_ENOMEM : PP_EIO, "%s: %s", s->root,
                          root_real ? "out of memory" : strerror(errno));
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *real = realpath(ex[i], NULL);
        if (!real || stat(real, &st) != 0) {
            free(real);
            continue;
        }
        excl *e = &s->ex[s->nex++];
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        if (strncmp(real, root_real, rl) == 0 && real[rl] == '/') {
            e->rel = strdup(real + rl + 1);
            if (!s->scan_exclude)
                s->scan_exclude = strdup(ex[i]);
        }
        free(real);
    }
    free(root_real);
    return 0;
}

pp_source *pp__source_local_open(const char *dir, const pp_source_opts *o, pp_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        pp_err_set(err, errno == ENOENT ? PP_ENOENT : PP_EIO, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        pp_err_set(err, PP_ENOTFILE, "%s: not a folder", dir);
        return NULL;
    }
    local_source *s = pp_calloc(1, sizeof *s, err);
    if (!s)
        return NULL;
    s->base.ops = &local_ops;
    s->ifd = -1;
    s->settle_s = o->settle_s > 0 ? o->settle_s : 0;
    s->poll_s = o->poll_s > 0 ? o->poll_s : 0;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!(s->root = strndup(dir, n))) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        l_close(&s->base);
        return NULL;
    }
    if (add_excludes(s, o->exclude, err) < 0) {
        l_close(&s->base);
        return NULL;
    }
    return &s->base;
}
