/* Safe input opening and atomic output (temporary name, fsync, rename).
 *
 * An output's FILE is a stdio cookie stream over the temporary file's
 * descriptor: besides writing, it starts the disk writeback every
 * WRITEBACK_BYTES while the file is to be synced, so writing a large image
 * and the disk overlap instead of one long fsync at the end.
 *
 * A temporary name says who writes it: ".BASE.pp-HOST-PID-XXXXXX.tmp", HOST
 * the 8-hex-digit hash of the host name, PID the writer's process. Several
 * tools may write into one folder (a batch and a watch, two batches), so a
 * sweep removes only abandoned temporaries: a writer on this host that no
 * longer runs (or is a zombie), or a file nobody has written for
 * TEMP_ABANDONED_S (writers on other hosts, names without a writer). */
#include "pixpipe/file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { WRITEBACK_BYTES = 8 << 20, TEMP_ABANDONED_S = 3600 };

static int open_errno_code(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return PP_ENOENT;
    case ELOOP: return PP_ENOTFILE;
    default: return PP_EIO;
    }
}

FILE *pp_file_open_input(const char *path, size_t *size, pp_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            pp_err_set(err, PP_ENOTFILE, "is a symbolic link; inputs must be regular files");
        else
            pp_err_set(err, open_errno_code(e), "cannot open: %s", strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        pp_err_set(err, PP_EIO, "cannot stat: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        pp_err_set(err, PP_ENOTFILE, "%s; inputs must be regular files",
                   S_ISDIR(st.st_mode) ? "is a folder" : "is not a regular file");
        close(fd);
        return NULL;
    }
    /* O_NONBLOCK only guarded the open against FIFOs; reads must block. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        pp_err_set(err, PP_ENOMEM, "cannot open a stream: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (size_t)st.st_size;
    return fp;
}

char *pp_file_read_all(const char *path, size_t max_bytes, size_t *len, pp_err *err)
{
    size_t size = 0;
    FILE *fp = pp_file_open_input(path, &size, err);
    if (!fp)
        return NULL;
    char *buf = NULL;
    if (size > max_bytes) {
        pp_err_set(err, PP_ELIMIT, "file is %zu bytes, over the limit %zu", size, max_bytes);
        goto done;
    }
    buf = pp_malloc(size + 1, err);
    if (!buf)
        goto done;
    if (fread(buf, 1, size, fp) != size) {
        pp_err_set(err, PP_EIO, "short read: %s", ferror(fp) ? strerror(errno) : "file shrank");
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[size] = '\0';
    *len = size;
done:
    fclose(fp);
    return buf;
}

int pp_mkdirs(const char *dir, pp_err *err)
{
    char *p = pp_strdup(dir, err);
    if (!p)
        return PP_ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s == '/' || end) {
            char saved = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = pp_err_set(err, PP_ECREATE, "cannot create folder %s: %s", p,
                                strerror(errno));
                break;
            }
            *s = saved;
        }
        if (end)
            break;
    }
    free(p);
    return rc;
}

bool pp_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void pp_file_start_writeback(int fd, uint64_t off, uint64_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
    /* best effort: a failure here shows up at the final fsync */
    (void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)off;
    (void)len;
#endif
}

/* FNV-1a of the host name: the HOST of temporary names. */
static uint32_t host_id(void)
{
    char name[256] = "";
    (void)gethostname(name, sizeof name - 1);
    uint32_t h = 2166136261u;
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return h;
}

bool pp_is_temp_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 11 && strstr(name, ".pp-") && strcmp(name + n - 4, ".tmp") == 0;
}

/* stdio's write: all of buf, or 0 with errno on failure */
static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
    pp_outfile *o = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(o->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        done += (size_t)w;
    }
    o->unsynced += n;
    if (o->sync && o->unsynced >= WRITEBACK_BYTES) {
        pp_file_start_writeback(o->fd, 0, 0); /* pages already on disk are clean */
        o->unsynced = 0;
    }
    return (ssize_t)n;
}

static int out_seek(void *cookie, off64_t *pos, int whence)
{
    pp_outfile *o = cookie;
    off64_t r = lseek(o->fd, *pos, whence);
    if (r < 0)
        return -1;
    *pos = r;
    return 0;
}

static int out_close(void *cookie)
{
    pp_outfile *o = cookie;
    int rc = close(o->fd);
    o->fd = -1;
    return rc;
}

static FILE *out_stream(pp_outfile *o)
{
    cookie_io_functions_t io = {.write = out_write, .seek = out_seek, .close = out_close};
    FILE *fp = fopencookie(o, "wb", io);
    if (fp)
        setvbuf(fp, NULL, _IOFBF, 64 << 10); /* fewer system calls than BUFSIZ */
    return fp;
}

int pp_outfile_open(pp_outfile *o, const char *path, bool make_dirs, pp_err *err)
{
    memset(o, 0, sizeof *o);
    o->sync = true;
    o->fd = -1;
    int rc = PP_ENOMEM;
    char *d1 = pp_strdup(path, err), *d2 = pp_strdup(path, err);
    if (!d1 || !d2)
        goto fail;
    const char *dir = dirname(d1), *base = basename(d2);
    if (make_dirs && (rc = pp_mkdirs(dir, err)) < 0)
        goto fail;
    size_t n = strlen(dir) + strlen(base) + 64;
    o->tmp = pp_malloc(n, err);
    o->path = pp_strdup(path, err);
    if (!o->tmp || !o->path)
        goto fail;
    snprintf(o->tmp, n, "%s/.%s.pp-%08" PRIx32 "-%ld-XXXXXX.tmp", dir, base, host_id(),
             (long)getpid());
    o->fd = mkostemps(o->tmp, 4, O_CLOEXEC);
    if (o->fd < 0) {
        rc = pp_err_set(err, PP_ECREATE, "cannot create output in %s: %s", dir, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        goto fail;
    }
    fchmod(o->fd, 0644);
    o->fp = out_stream(o);
    if (!o->fp) {
        rc = pp_err_set(err, PP_ENOMEM, "cannot open a stream: %s", strerror(errno));
        close(o->fd);
        goto fail;
    }
    free(d1);
    free(d2);
    return 0;
fail:
    free(d1);
    free(d2);
    pp_outfile_abort(o);
    return rc;
}

int pp_outfile_commit(pp_outfile *o, pp_err *err)
{
    int rc = 0;
    if (fflush(o->fp) != 0 || ferror(o->fp))
        rc = pp_err_set(err, PP_EIO, "cannot write %s: %s", o->path, strerror(errno));
    else if (o->sync && fsync(o->fd) != 0)
        rc = pp_err_set(err, PP_EIO, "cannot sync %s: %s", o->path, strerror(errno));
    if (fclose(o->fp) != 0 && rc == 0)
        rc = pp_err_set(err, PP_EIO, "cannot close %s: %s", o->path, strerror(errno));
    o->fp = NULL;
    if (rc == 0 && rename(o->tmp, o->path) != 0)
        rc = pp_err_set(err, PP_ECREATE, "cannot rename to %s: %s", o->path, strerror(errno));
    if (rc == 0) {
        free(o->tmp);
        o->tmp = NULL;
    }
    pp_outfile_abort(o);
    return rc;
}

void pp_outfile_abort(pp_outfile *o)
{
    if (o->fp)
        fclose(o->fp);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

/* The HOST and PID a temporary name carries after its last ".pp-"; false
 * for names without them (made by pixpipe before names said who writes). */
static bool temp_writer(const char *name, uint32_t *host, long *pid)
{
    const char *p = NULL;
    for (const char *q = strstr(name, ".pp-"); q; q = strstr(q + 1, ".pp-"))
        p = q;
    if (!p || !isxdigit((unsigned char)p[4]))
        return false;
    char *end;
    unsigned long h = strtoul(p + 4, &end, 16);
    if (end != p + 12 || *end != '-' || !isdigit((unsigned char)end[1]))
        return false;
    long v = strtol(end + 1, &end, 10);
    if (*end != '-' || v <= 0)
        return false;
    *host = (uint32_t)h;
    *pid = v;
    return true;
}

/* Whether process pid runs no more on this host: gone, or a zombie (killed,
 * not yet reaped: an orphan waits for init to reap it). */
static bool process_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* "pid (comm) S ...", comm may hold ')' */
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Whether nobody writes the temporary `name` at `path` any more; here is
 * this host's id. */
static bool temp_abandoned(const char *path, const char *name, uint32_t here, time_t now)
{
    uint32_t host;
    long pid;
    if (temp_writer(name, &host, &pid) && host == here && process_gone(pid))
        return true;
    struct stat st;
    return lstat(path, &st) == 0 && now - st.st_mtime >= TEMP_ABANDONED_S;
}

/* Removes dir's temporaries for base (every base when NULL); with
 * abandoned_only, those whose writer is gone. */
static size_t remove_temps(const char *dir, const char *base, bool abandoned_only)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0, blen = base ? strlen(base) : 0;
    uint32_t here = abandoned_only ? host_id() : 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!pp_is_temp_name(n))
            continue;
        if (base && (strncmp(n + 1, base, blen) != 0 || strncmp(n + 1 + blen, ".pp-", 4) != 0))
            continue;
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, n) >= 0 && (!abandoned_only || temp_abandoned(p, n, here, now)) &&
            unlink(p) == 0)
            removed++;
        free(p);
    }
    closedir(d);
    return removed;
}

size_t pp_remove_temps(const char *dir, const char *base)
{
    return remove_temps(dir, base, false);
}

#define SWEEP_MAX_DEPTH 64

static size_t sweep_dir(const char *dir, int depth)
{
    if (depth > SWEEP_MAX_DEPTH)
        return 0;
    size_t removed = remove_temps(dir, NULL, true);
    DIR *d = opendir(dir);
    if (!d)
        return removed;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = NULL;
        struct stat st;
        if (asprintf(&p, "%s/%s", dir, e->d_name) >= 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            removed += sweep_dir(p, depth + 1);
        free(p);
    }
    closedir(d);
    return removed;
}

size_t pp_sweep_temps(const char *root)
{
    return sweep_dir(root, 0);
}
