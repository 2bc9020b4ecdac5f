/* The watch supervisor: one single-threaded loop that finds inputs, queues
 * jobs and keeps N worker processes alive.
 *
 * Design. Each turn of the loop waits (at most TICK_MS) on the source's
 * inotify descriptor and the workers' status pipes, then:
 *   1. pumps the source: complete files go to a FIFO (key, size, mtime);
 *   2. hashes and enqueues files from the FIFO for at most
 *      ENQUEUE_BUDGET_MS (one job per named pipeline; the queue ignores
 *      identities it has), then wakes idle workers. A file whose key, size
 *      and modification time the journal has seen hashed is not read again:
 *      a restart rescans every file, but reads only new or changed ones;
 *   3. reads worker messages (start, end, final failure, heartbeat);
 *   4. reaps dead workers: their jobs fail as transient errors (a crash
 *      counts as an attempt), their partial outputs are discarded, and the
 *      slot is respawned (with backoff when a worker keeps dying young);
 *   5. kills workers past --task-timeout or silent past the heartbeat
 *      timeout (step 4 then handles them);
 *   6. every EXPIRY_CHECK_MS, re-queues jobs whose lease ran out.
 * Final failures are quarantined here, one at a time, so the .error.json of
 * a source is never written by two processes at once.
 *
 * Start-up. An exclusive lock on STATE/lock makes the supervisor the only
 * one on its journal. Workers of a previous supervisor died with it
 * (PR_SET_PDEATHSIG), so every job the journal still calls running has no
 * live owner: all those leases count as expired. Then leftover temporary
 * outputs are swept, unfinished quarantines are redone, and the source
 * scans everything (files that arrived while it was down included).
 *
 * Stop. On the first SIGINT/SIGTERM the source is dropped, workers are told
 * to finish their job and exit ("q"); those still running after --grace are
 * killed and their jobs released (queued again, the attempt given back). A
 * second signal skips the grace. Then the exit status is 0.
 *
 * Workers are started with fork + exec of worker_cmd: the child gets no
 * copy of the parent's SQLite connection (which must never cross fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pixpipe/file.h"
#include "pixpipe/store.h"
#include "watch_impl.h"

#define TICK_MS 100
#define ENQUEUE_BUDGET_MS 200
#define EXPIRY_CHECK_MS 1000
#define LOCK_WAIT_MS 5000
#define RESPAWN_MAX_MS 5000
#define YOUNG_DEATH_MS 1000
#define MAX_WORKER_ARGS 40

typedef struct wslot {
    int n;       /* slot number, 1-based */
    pid_t pid;   /* 0: no process */
    int ctl;     /* write end of its control pipe, -1 when none */
    int status;  /* read end of its status pipe, -1 when none */
    char id[48]; /* worker id in the queue: w<slot>:<pid> */
    uint64_t spawned_ns, beat_ns;
    int64_t job; /* job it said it started, 0 when idle */
    uint64_t job_ns;
    char kill_reason[200]; /* why the supervisor killed it */
    bool told_quit;
    bool grace_over;     /* killed because the stop's grace period ran out */
    uint64_t respawn_ns; /* when to start a new process in this slot */
    int young_deaths;
    char buf[512];
    size_t nbuf;
} wslot;

/* A complete file waiting to be enqueued: its key (malloc'd), and the size
 * and modification time the source saw. */
typedef struct fifo_item {
    char *key;
    uint64_t size;
    int64_t mtime_ns;
} fifo_item;

typedef struct keyfifo {
    fifo_item *k;
    size_t head, tail, cap;
} keyfifo;

typedef struct sup {
    const pp_watch_opts *o;
    char *state_dir;
    int lock_fd;
    pp_queue *q;
    pp_source *src;
    pp_sink *sink;
    pp__wlog *log;
    char **pipe_text; /* canonical text per pipeline */
    char *opts_text;
    wslot *w;
    int nw;
    keyfifo fifo;
    uint64_t drain_at_ns; /* after a journal error: not before (backoff) */
    int drain_backoff_ms;
    uint64_t next_expiry_ns;
    char *argv_store[MAX_WORKER_ARGS];
    char numbuf[8][32];
} sup;

/* ---- small helpers ---- */

static uint64_t ms_to_ns(double ms)
{
    return ms <= 0 ? 0 : (uint64_t)(ms * 1e6);
}

/* A service event with up to one text field (k1) and one number (k2). */
static void log_service(sup *s, const char *event, const char *k1, const char *v1, const char *k2,
                        double v2)
{
    pp__wfield f[2];
    size_t n = 0;
    if (k1)
        f[n++] = (pp__wfield){k1, v1 ? v1 : "", 0};
    if (k2)
        f[n++] = (pp__wfield){k2, NULL, v2};
    pp__wlog_event(s->log, event, f, n);
}

/* Appends a copy of it (the key is duplicated). */
static int fifo_push(keyfifo *f, const fifo_item *it)
{
    if (f->tail == f->cap) {
        if (f->head > 0) {
            memmove(f->k, f->k + f->head, (f->tail - f->head) * sizeof *f->k);
            f->tail -= f->head;
            f->head = 0;
        } else {
            size_t cap = f->cap ? f->cap * 2 : 64;
            fifo_item *g = realloc(f->k, cap * sizeof *g);
            if (!g)
                return PP_ENOMEM;
            f->k = g;
            f->cap = cap;
        }
    }
    fifo_item *d = &f->k[f->tail];
    *d = *it;
    if (!(d->key = strdup(it->key)))
        return PP_ENOMEM;
    f->tail++;
    return 0;
}

/* The oldest item into *it (the caller frees it->key); false when empty. */
static bool fifo_pop(keyfifo *f, fifo_item *it)
{
    if (f->head == f->tail)
        return false;
    *it = f->k[f->head++];
    return true;
}

static void fifo_free(keyfifo *f)
{
    for (size_t i = f->head; i < f->tail; i++)
        free(f->k[i].key);
    free(f->k);
    memset(f, 0, sizeof *f);
}

char *pp_watch_state_dir(const char *out_dir, const char *state_dir)
{
    char *p = NULL;
    if (state_dir)
        return strdup(state_dir);
    return asprintf(&p, "%s/.pixpipe", out_dir) < 0 ? NULL : p;
}

void pp_watch_opts_default(pp_watch_opts *o)
{
    memset(o, 0, sizeof *o);
    pp_process_opts_default(&o->proc);
    o->workers = 1;
    o->threads = 1;
    o->settle_s = 2;
    o->task_timeout_s = 600;
    o->grace_s = 30;
    o->retry_delay_s = 1;
    o->max_attempts = 3;
}

/* ---- quarantine ---- */

typedef struct jobvec {
    pp_job *j;
    size_t n, cap;
} jobvec;

static int collect_job(const pp_job *j, void *ctx)
{
    jobvec *v = ctx;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        pp_job *g = realloc(v->j, cap * sizeof *g);
        if (!g)
            return PP_ENOMEM;
        v->j = g;
        v->cap = cap;
    }
    /* take a deep copy: j is only valid during the call */
    pp_job *c = &v->j[v->n];
    *c = *j;
    c->source = strdup(j->source);
    c->hash = strdup(j->hash);
    c->name = strdup(j->name);
    c->pipeline = strdup(j->pipeline);
    c->opts = strdup(j->opts);
    c->output = strdup(j->output);
    c->worker = j->worker ? strdup(j->worker) : NULL;
    c->error = j->error ? strdup(j->error) : NULL;
    c->quarantine = j->quarantine ? strdup(j->quarantine) : NULL;
    v->n++;
    return 0;
}

static void jobvec_free(jobvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        pp_job_clear(&v->j[i]);
    free(v->j);
    memset(v, 0, sizeof *v);
}

/* The .error.json of a source: its failed jobs, the latest one on top. */
static char *error_json(const jobvec *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const pp_job *last = &v->j[v->n - 1];
    char t[32];
    fputs("{\n  \"source\": ", f);
    pp__json_string(f, last->source);
    fputs(",\n  \"hash\": ", f);
    pp__json_string(f, last->hash);
    fputs(",\n  \"reason\": ", f);
    pp__json_string(f, last->error ? last->error : "");
    fprintf(f, ",\n  \"attempts\": %d", last->attempts);
    pp__iso_time(last->queued_ms, t);
    fputs(",\n  \"queued\": ", f);
    pp__json_string(f, t);
    pp__iso_time(last->started_ms, t);
    fputs(",\n  \"last_started\": ", f);
    pp__json_string(f, t);
    pp__iso_time(last->finished_ms, t);
    fputs(",\n  \"failed\": ", f);
    pp__json_string(f, t);
    pp__iso_time(pp_wall_ms(), t);
    fputs(",\n  \"quarantined\": ", f);
    pp__json_string(f, t);
    fputs(",\n  \"jobs\": [", f);
    for (size_t i = 0; i < v->n; i++) {
        const pp_job *j = &v->j[i];
        fprintf(f, "%s\n    {\"job\": %lld, \"pipeline\": ", i ? "," : "", (long long)j->id);
        pp__json_string(f, j->name);
        fputs(", \"steps\": ", f);
        pp__json_string(f, j->pipeline);
        fputs(", \"reason\": ", f);
        pp__json_string(f, j->error ? j->error : "");
        fprintf(f, ", \"error_code\": ");
        pp__json_string(f, pp_strerror(j->error_code));
        fprintf(f, ", \"attempts\": %d, \"queued\": ", j->attempts);
        pp__iso_time(j->queued_ms, t);
        pp__json_string(f, t);
        fputs(", \"last_started\": ", f);
        pp__iso_time(j->started_ms, t);
        pp__json_string(f, t);
        fputs(", \"failed\": ", f);
        pp__iso_time(j->finished_ms, t);
        pp__json_string(f, t);
        fputs("}", f);
    }
    fputs("\n  ]\n}\n", f);
    fclose(f);
    return buf;
}

/* Stores the source of (source, hash) in quarantine with every failed job's
 * story, and records where in each job. */
static int quarantine_source(sup *s, const char *source, const char *hash)
{
    pp_err err;
    jobvec v = {0};
    pp_job_filter f = {0, PP_JS_FAILED, source, hash, false};
    int rc = s->q->ops->list(s->q, &f, collect_job, &v, &err);
    char *json = rc == 0 && v.n ? error_json(&v) : NULL;
    char *path = NULL, *where = NULL;
    bool temp = false;
    if (!json)
        goto done;
    if (s->src->ops->fetch(s->src, source, &path, &temp, &err) < 0)
        path = NULL;
    if (path && access(path, F_OK) != 0) {
        free(path);
        path = NULL; /* gone: keep the story without the bytes */
    }
    rc = s->sink->ops->quarantine(s->sink, source, path, json, &where, &err);
    if (rc < 0) {
        log_service(s, "quarantine_error", "reason", err.msg, NULL, 0);
        goto done;
    }
    for (size_t i = 0; i < v.n; i++) {
        if (v.j[i].quarantine)
            continue;
        if (s->q->ops->set_quarantine(s->q, v.j[i].id, where, &err) < 0)
            log_service(s, "journal_error", "reason", err.msg, NULL, 0);
        pp__wlog_job(s->log, "quarantined", &v.j[i], &(pp__wfield){"quarantine", where, 0}, 1);
    }
done:
    if (temp && path)
        unlink(path);
    free(path);
    free(where);
    free(json);
    jobvec_free(&v);
    return rc;
}

/* Quarantines every failed job not yet quarantined (start-up, and after a
 * worker reported or caused a final failure). */
static void quarantine_pending(sup *s)
{
    pp_err err;
    jobvec v = {0};
    pp_job_filter f = {0, PP_JS_FAILED, NULL, NULL, true};
    if (s->q->ops->list(s->q, &f, collect_job, &v, &err) < 0)
        log_service(s, "journal_error", "reason", err.msg, NULL, 0);
    for (size_t i = 0; i < v.n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(v.j[k].source, v.j[i].source) && !strcmp(v.j[k].hash, v.j[i].hash);
        if (!seen)
            quarantine_source(s, v.j[i].source, v.j[i].hash);
    }
    jobvec_free(&v);
}

/* ---- jobs that lost their worker ---- */

typedef struct lost_ctx {
    sup *s;
    const char *event;
    bool any_failed;
} lost_ctx;

static int on_lost_job(const pp_job *j, void *arg)
{
    lost_ctx *c = arg;
    c->s->sink->ops->discard(c->s->sink, j->output);
    pp__wlog_job(c->s->log, c->event, j, NULL, 0);
    if (j->state == PP_JS_FAILED)
        c->any_failed = true;
    return 0;
}

static void requeue_expired(sup *s, int64_t before_ms)
{
    pp_err err;
    lost_ctx c = {s, "lease_expired", false};
    if (s->q->ops->requeue_expired(s->q, pp_wall_ms(), before_ms, on_lost_job, &c, &err) < 0)
        log_service(s, "journal_error", "reason", err.msg, NULL, 0);
    if (c.any_failed)
        quarantine_pending(s);
}

/* ---- enqueueing ---- */

static int on_item(const pp_store_item *it, void *ctx)
{
    fifo_item f = {(char *)it->key, it->size, it->mtime_ns};
    return fifo_push(&((sup *)ctx)->fifo, &f);
}

static void wake_idle(sup *s)
{
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].pid && !s->w[i].job && s->w[i].ctl >= 0 && !s->w[i].told_quit) {
            ssize_t n = write(s->w[i].ctl, "w", 1);
            (void)n; /* a full pipe already holds a wake-up */
        }
}

/* The content hash of a complete file: the one the journal remembers for
 * the same key, size and modification time (a restart rescans every file
 * without reading them again), else read and hashed now; *mtime_ns then
 * gets the mtime for the journal to remember it by, or 0 when the file
 * changed size meanwhile. Returns 0, 1 when the file is gone or unreadable
 * (a later event brings it back), or a negative code for a journal error. */
static int item_hash(sup *s, const fifo_item *it, char *hash, uint64_t *size, int64_t *mtime_ns)
{
    pp_err err;
    const pp_queue_ops *q = s->q->ops;
    *mtime_ns = 0;
    if (q->known_hash && it->mtime_ns > 0) {
        int k = q->known_hash(s->q, it->key, it->size, it->mtime_ns, hash, &err);
        if (k < 0) {
            log_service(s, "journal_error", "reason", err.msg, NULL, 0);
            return k;
        }
        if (k > 0) {
            *size = it->size;
            return 0;
        }
    }
    int rc = s->src->ops->hash(s->src, it->key, hash, size, &err);
    if (rc < 0) {
        if (rc != PP_ENOENT && rc != PP_ENOTFILE)
            log_service(s, "source_error", "reason", err.msg, NULL, 0);
        return 1;
    }
    if (*size == it->size) /* else it changed meanwhile: not remembered */
        *mtime_ns = it->mtime_ns;
    return 0;
}

/* Queues a job per pipeline for one complete file. */
static int enqueue_item(sup *s, const fifo_item *it, bool *created_any)
{
    pp_err err;
    char hash[PP_HASH_TEXT_MAX];
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    const char *key = it->key;
    int rc = item_hash(s, it, hash, &size, &mtime_ns);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    size_t n = s->o->npipes;
    pp_job_spec spec[n];
    char *out[n];
    bool created[n];
    int64_t ids[n];
    memset(out, 0, sizeof out);
    for (size_t p = 0; p < n; p++) {
        out[p] = pp__watch_output_key(s->o->pipes[p].name, key, s->o->proc.format, &err);
        if (!out[p]) {
            rc = PP_ENOMEM;
            goto done;
        }
        spec[p] = (pp_job_spec){.source = key,
                                .hash = hash,
                                .size = size,
                                .name = s->o->pipes[p].name,
                                .pipeline = s->pipe_text[p],
                                .opts = s->opts_text,
                                .output = out[p],
                                .mtime_ns = mtime_ns};
    }
    int64_t now = pp_wall_ms();
    if ((rc = s->q->ops->enqueue(s->q, spec, n, now, created, ids, &err)) < 0) {
        log_service(s, "journal_error", "reason", err.msg, NULL, 0);
        goto done;
    }
    for (size_t p = 0; p < n; p++) {
        if (!created[p])
            continue;
        *created_any = true;
        pp_job j = {.id = ids[p],
                    .source = (char *)key,
                    .hash = hash,
                    .name = (char *)spec[p].name,
                    .state = PP_JS_QUEUED,
                    .queued_ms = now};
        pp__wlog_job(s->log, "queued", &j, &(pp__wfield){"hash", hash, 0}, 1);
    }
done:
    for (size_t p = 0; p < n; p++)
        free(out[p]);
    return rc;
}

/* Enqueues what the fifo holds. A journal error (busy, full, read-only)
 * keeps the file and backs off, 100 ms doubling up to 5 s, so a lasting one
 * neither spins nor floods the log. */
static int drain_fifo(sup *s)
{
    uint64_t now = pp_clock_ns();
    if (now < s->drain_at_ns)
        return 0;
    uint64_t until = now + ms_to_ns(ENQUEUE_BUDGET_MS);
    bool created = false;
    fifo_item it;
    int rc = 0;
    while (rc == 0 && pp_clock_ns() < until && fifo_pop(&s->fifo, &it)) {
        rc = enqueue_item(s, &it, &created);
        /* a journal error (busy too long): keep the file for the next turn */
        if (rc < 0 && rc != PP_ENOMEM && fifo_push(&s->fifo, &it) == 0)
            rc = 1;
        free(it.key);
    }
    if (created)
        wake_idle(s);
    if (rc == 1) {
        s->drain_backoff_ms = s->drain_backoff_ms ? 2 * s->drain_backoff_ms : 100;
        if (s->drain_backoff_ms > 5000)
            s->drain_backoff_ms = 5000;
        s->drain_at_ns = pp_clock_ns() + ms_to_ns(s->drain_backoff_ms);
    } else if (rc == 0) {
        s->drain_backoff_ms = 0;
    }
    return rc < 0 ? rc : 0;
}

/* ---- worker processes ---- */

static const char *num(sup *s, int i, long long v)
{
    snprintf(s->numbuf[i], sizeof s->numbuf[i], "%lld", v);
    return s->numbuf[i];
}

/* argv for a worker of slot n (points into s; valid until the next call). */
static char **worker_argv(sup *s, int n)
{
    const pp_watch_opts *o = s->o;
    size_t a = 0;
    for (size_t i = 0; o->worker_cmd[i] && a < 8; i++)
        s->argv_store[a++] = (char *)o->worker_cmd[i];
    const char *pairs[][2] = {
        {"--slot", num(s, 0, n)},
        {"--queue", s->state_dir},
        {"--source", o->in_dir},
        {"--sink", o->out_dir},
        {"--threads", num(s, 1, o->threads)},
        {"--max-attempts", num(s, 2, o->max_attempts)},
        {"--retry-delay-ms", num(s, 3, (long long)(o->retry_delay_s * 1000))},
        {"--log", o->log_path ? o->log_path : "-"},
        {"--log-format", o->log_format == PP_WLOG_JSON ? "json" : "logfmt"},
        {"--sync", o->proc.sync ? "1" : "0"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        s->argv_store[a++] = (char *)pairs[i][0];
        s->argv_store[a++] = (char *)pairs[i][1];
    }
    s->argv_store[a] = NULL;
    return s->argv_store;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void exec_worker(char **argv, int ctl_r, int status_w, pid_t parent)
{
    int a = fcntl(ctl_r, F_DUPFD_CLOEXEC, 10), b = fcntl(status_w, F_DUPFD_CLOEXEC, 10);
    if (a < 0 || b < 0 || dup2(a, WORKER_CTL_FD) < 0 || dup2(b, WORKER_STATUS_FD) < 0)
        _exit(127);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0); /* the supervisor died before the line above */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    _exit(127);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn(sup *s, wslot *w, pp_err *err)
{
    int ctl[2], st[2];
    if (pipe2(ctl, O_CLOEXEC) < 0)
        return pp_err_set(err, PP_EIO, "cannot make a pipe: %s", strerror(errno));
    if (pipe2(st, O_CLOEXEC) < 0) {
        close(ctl[0]);
        close(ctl[1]);
        return pp_err_set(err, PP_EIO, "cannot make a pipe: %s", strerror(errno));
    }
    char **argv = worker_argv(s, w->n);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_worker(argv, ctl[0], st[1], parent);
    close(ctl[0]);
    close(st[1]);
    if (pid < 0) {
        close(ctl[1]);
        close(st[0]);
        return pp_err_set(err, PP_EIO, "cannot start a worker: %s", strerror(errno));
    }
    fcntl(ctl[1], F_SETFL, O_NONBLOCK);
    fcntl(st[0], F_SETFL, O_NONBLOCK);
    w->pid = pid;
    w->ctl = ctl[1];
    w->status = st[0];
    snprintf(w->id, sizeof w->id, "w%d:%d", w->n, (int)pid);
    w->spawned_ns = w->beat_ns = pp_clock_ns();
    w->job = 0;
    w->kill_reason[0] = '\0';
    w->told_quit = false;
    w->grace_over = false;
    w->nbuf = 0;
    log_service(s, "worker_started", "worker", w->id, "pid", pid);
    return 0;
}

static void on_line(sup *s, wslot *w, const char *line)
{
    long long id = line[0] && line[1] == ' ' ? atoll(line + 2) : 0;
    w->beat_ns = pp_clock_ns();
    switch (line[0]) {
    case 'S':
        w->job = id;
        w->job_ns = pp_clock_ns();
        break;
    case 'E': w->job = 0; break;
    case 'F': {
        pp_err err;
        jobvec v = {0};
        pp_job_filter f = {id, PP_JS_FAILED, NULL, NULL, true};
        if (s->q->ops->list(s->q, &f, collect_job, &v, &err) == 0 && v.n)
            quarantine_source(s, v.j[0].source, v.j[0].hash);
        jobvec_free(&v);
        break;
    }
    default: break; /* 'H' and anything else: a sign of life */
    }
}

/* Reads the worker's status pipe; closes it at end of file. */
static void read_status(sup *s, wslot *w)
{
    for (int round = 0; round < 16 && w->status >= 0; round++) {
        ssize_t n = read(w->status, w->buf + w->nbuf, sizeof w->buf - 1 - w->nbuf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close_fd(&w->status);
            break;
        }
        if (n < 0)
            break;
        w->nbuf += (size_t)n;
        w->buf[w->nbuf] = '\0';
        char *start = w->buf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            on_line(s, w, start);
            start = nl + 1;
        }
        w->nbuf = strlen(start);
        memmove(w->buf, start, w->nbuf + 1);
        if (w->nbuf >= sizeof w->buf - 1)
            w->nbuf = 0; /* a line that long is not ours: drop it */
    }
}

static void describe_exit(const wslot *w, int status, char *out, size_t n)
{
    if (w->kill_reason[0])
        snprintf(out, n, "%s", w->kill_reason);
    else if (WIFSIGNALED(status))
        snprintf(out, n, "worker %s was killed by signal %d (%s)", w->id, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(out, n, "worker %s exited with status %d", w->id, WEXITSTATUS(status));
}

/* A worker process ended: settle its jobs and plan its replacement. */
static void on_exit_(sup *s, wslot *w, int status, bool stopping)
{
    read_status(s, w);
    close_fd(&w->status);
    close_fd(&w->ctl);
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && w->told_quit;
    char why_text[256];
    describe_exit(w, status, why_text, sizeof why_text);
    if (!clean) {
        pp_err why;
        pp_err_set(&why, PP_EINTERNAL, "%s", why_text);
        lost_ctx c = {s, "worker_lost", false};
        pp_err err;
        if (stopping && w->grace_over) {
            if (s->q->ops->release(s->q, 0, w->id, &err) < 0)
                log_service(s, "journal_error", "reason", err.msg, NULL, 0);
        } else if (s->q->ops->abandon(s->q, w->id, pp_wall_ms(), &why, on_lost_job, &c, &err) < 0) {
            log_service(s, "journal_error", "reason", err.msg, NULL, 0);
        }
        if (c.any_failed)
            quarantine_pending(s);
        log_service(s, "worker_died", "reason", why_text, "pid", w->pid);
    }
    uint64_t now = pp_clock_ns();
    bool young = now - w->spawned_ns < ms_to_ns(YOUNG_DEATH_MS);
    w->young_deaths = young ? w->young_deaths + 1 : 0;
    uint64_t delay = 0;
    if (w->young_deaths) {
        delay = ms_to_ns(100) << (w->young_deaths < 6 ? w->young_deaths : 6);
        if (delay > ms_to_ns(RESPAWN_MAX_MS))
            delay = ms_to_ns(RESPAWN_MAX_MS);
    }
    w->respawn_ns = now + delay;
    w->pid = 0;
    w->job = 0;
}

static wslot *slot_of(sup *s, pid_t pid)
{
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].pid == pid)
            return &s->w[i];
    return NULL;
}

/* Reaps every child that ended (bounded by the number of slots). */
static void reap(sup *s, bool stopping)
{
    for (int i = 0; i <= s->nw; i++) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        wslot *w = slot_of(s, pid);
        if (w)
            on_exit_(s, w, status, stopping);
    }
}

static void kill_worker(sup *s, wslot *w, const char *fmt, double v)
{
    if (w->kill_reason[0])
        return;
    snprintf(w->kill_reason, sizeof w->kill_reason, fmt, w->id, v);
    kill(w->pid, SIGKILL);
    log_service(s, "worker_killed", "reason", w->kill_reason, "pid", w->pid);
}

static void check_timeouts(sup *s)
{
    uint64_t now = pp_clock_ns();
    for (int i = 0; i < s->nw; i++) {
        wslot *w = &s->w[i];
        if (!w->pid)
            continue;
        if (w->job && now - w->job_ns > ms_to_ns(s->o->task_timeout_s * 1000))
            kill_worker(s, w, "worker %s: task timed out after %.1f s", s->o->task_timeout_s);
        else if (now - w->beat_ns > ms_to_ns(HEARTBEAT_TIMEOUT_MS))
            kill_worker(s, w, "worker %s: no heartbeat for %.0f s", HEARTBEAT_TIMEOUT_MS / 1000.0);
    }
}

static void respawn_due(sup *s)
{
    uint64_t now = pp_clock_ns();
    for (int i = 0; i < s->nw; i++) {
        pp_err err;
        if (!s->w[i].pid && now >= s->w[i].respawn_ns && spawn(s, &s->w[i], &err) < 0) {
            log_service(s, "spawn_error", "reason", err.msg, NULL, 0);
            s->w[i].respawn_ns = now + ms_to_ns(RESPAWN_MAX_MS);
        }
    }
}

/* ---- the loop ---- */

static int wait_events(sup *s, int timeout_ms, bool with_source, bool *source_ready)
{
    struct pollfd p[s->nw + 1];
    int n = 0, src_fd = with_source ? s->src->ops->fd(s->src) : -1;
    if (src_fd >= 0)
        p[n++] = (struct pollfd){src_fd, POLLIN, 0};
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].status >= 0)
            p[n++] = (struct pollfd){s->w[i].status, POLLIN, 0};
    int r = poll(p, (nfds_t)n, timeout_ms);
    *source_ready = src_fd >= 0 && r > 0 && (p[0].revents & POLLIN);
    return r;
}

static void read_all_status(sup *s)
{
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].status >= 0)
            read_status(s, &s->w[i]);
}

static int run_loop(sup *s, pp_err *err)
{
    int next_ms = 0;
    uint64_t pump_at = 0;
    while (!pp_canceled(s->o->stop)) {
        bool drainable = s->fifo.head < s->fifo.tail && pp_clock_ns() >= s->drain_at_ns;
        int timeout = drainable ? 0 : TICK_MS;
        bool src_ready = false;
        wait_events(s, timeout, true, &src_ready);
        uint64_t now = pp_clock_ns();
        if (src_ready || now >= pump_at) {
            int rc = s->src->ops->pump(s->src, on_item, s, &next_ms, err);
            if (rc < 0)
                return rc;
            pump_at = next_ms < 0 ? UINT64_MAX : now + ms_to_ns(next_ms);
        }
        if (drain_fifo(s) == PP_ENOMEM)
            return pp_err_set(err, PP_ENOMEM, "out of memory");
        read_all_status(s);
        reap(s, false);
        check_timeouts(s);
        respawn_due(s);
        if (now >= s->next_expiry_ns) {
            requeue_expired(s, pp_wall_ms());
            s->next_expiry_ns = now + ms_to_ns(EXPIRY_CHECK_MS);
        }
    }
    return 0;
}

static int live_workers(const sup *s)
{
    int n = 0;
    for (int i = 0; i < s->nw; i++)
        n += s->w[i].pid != 0;
    return n;
}

/* Graceful stop: tell, wait up to the grace period, then kill the rest. */
static void stop_workers(sup *s)
{
    log_service(s, "stopping", NULL, NULL, "grace_s", s->o->grace_s);
    for (int i = 0; i < s->nw; i++) {
        if (s->w[i].pid && s->w[i].ctl >= 0) {
            ssize_t n = write(s->w[i].ctl, "q", 1);
            (void)n;
            s->w[i].told_quit = true;
        }
    }
    uint64_t deadline = pp_clock_ns() + ms_to_ns(s->o->grace_s * 1000);
    while (live_workers(s) && pp_clock_ns() < deadline &&
           !(s->o->stop && __atomic_load_n(s->o->stop, __ATOMIC_RELAXED) >= 2)) {
        bool unused;
        wait_events(s, TICK_MS, false, &unused);
        read_all_status(s);
        reap(s, true);
    }
    for (int i = 0; i < s->nw; i++) {
        if (s->w[i].pid) {
            s->w[i].grace_over = true;
            kill_worker(s, &s->w[i], "worker %s: still running after the %.1f s grace period",
                        s->o->grace_s);
        }
    }
    for (int i = 0; i < s->nw; i++) {
        int status;
        if (s->w[i].pid && waitpid(s->w[i].pid, &status, 0) == s->w[i].pid)
            on_exit_(s, &s->w[i], status, true);
    }
}

/* ---- start-up ---- */

static int take_lock(sup *s, pp_err *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s/lock", s->state_dir) < 0)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = 0;
    if (s->lock_fd < 0) {
        rc = pp_err_set(err, PP_ECREATE, "%s: %s", path, strerror(errno));
    } else {
        /* A supervisor killed a moment ago may still hold it for an instant. */
        int tries = LOCK_WAIT_MS / TICK_MS;
        while (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0 && --tries > 0)
            usleep(TICK_MS * 1000);
        if (tries <= 0)
            rc = pp_err_set(err, PP_EIO, "%s: another pixpipe watch uses this state folder",
                            s->state_dir);
    }
    free(path);
    return rc;
}

static int check_dirs(const pp_watch_opts *o, pp_err *err)
{
    char *in = realpath(o->in_dir, NULL), *out = realpath(o->out_dir, NULL);
    int rc = 0;
    if (!in)
        rc = pp_err_set(err, errno == ENOENT ? PP_ENOENT : PP_EIO, "%s: %s", o->in_dir,
                        strerror(errno));
    else if (out && strcmp(in, out) == 0)
        rc = pp_err_set(err, PP_EINVAL, "%s: the output folder must differ from the input folder",
                        o->out_dir);
    else if (out && strncmp(in, out, strlen(out)) == 0 && in[strlen(out)] == '/')
        rc = pp_err_set(err, PP_EINVAL,
                        "%s: the input folder must not lie inside the output folder", o->in_dir);
    free(in);
    free(out);
    return rc;
}

static int open_parts(sup *s, pp_err *err)
{
    const pp_watch_opts *o = s->o;
    int rc = check_dirs(o, err);
    if (rc < 0)
        return rc;
    if (!(s->state_dir = pp_watch_state_dir(o->out_dir, o->state_dir)))
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    if ((rc = pp_mkdirs(s->state_dir, err)) < 0 || (rc = take_lock(s, err)) < 0)
        return rc;
    if (!(s->log = pp__wlog_open(o->log_path, o->log_format, err)))
        return err->code;
    pp_queue_opts qo;
    pp_queue_opts_default(&qo);
    qo.max_attempts = o->max_attempts;
    qo.retry_delay_ms = (int64_t)(o->retry_delay_s * 1000);
    qo.create = true;
    if (!(s->q = pp_queue_open(s->state_dir, &qo, err)) ||
        !(s->sink = pp_sink_open(o->out_dir, err)))
        return err->code;
    const char *ex[] = {o->out_dir, s->state_dir, NULL};
    pp_source_opts so = {o->settle_s, o->poll_s, ex};
    if (!(s->src = pp_source_open(o->in_dir, &so, err)))
        return err->code;
    s->pipe_text = calloc(o->npipes, sizeof *s->pipe_text);
    s->opts_text = pp_process_opts_text(&o->proc);
    if (!s->pipe_text || !s->opts_text)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    for (size_t p = 0; p < o->npipes; p++)
        if (!(s->pipe_text[p] = pp_pipeline_canonical(o->pipes[p].pipeline)))
            return pp_err_set(err, PP_ENOMEM, "out of memory");
    s->nw = o->workers;
    if (!(s->w = calloc((size_t)s->nw, sizeof *s->w)))
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    for (int i = 0; i < s->nw; i++)
        s->w[i] = (wslot){.n = i + 1, .ctl = -1, .status = -1};
    return 0;
}

/* What the previous run left: orphaned jobs, temporary files, quarantines. */
static void recover(sup *s)
{
    requeue_expired(s, INT64_MAX); /* no worker of ours runs yet: no lease is live */
    size_t swept = s->sink->ops->sweep(s->sink);
    if (swept)
        log_service(s, "swept", NULL, NULL, "temporary_files", (double)swept);
    quarantine_pending(s);
}

static void close_parts(sup *s)
{
    for (int i = 0; i < s->nw; i++) {
        close_fd(&s->w[i].ctl);
        close_fd(&s->w[i].status);
    }
    free(s->w);
    fifo_free(&s->fifo);
    if (s->pipe_text)
        for (size_t p = 0; p < s->o->npipes; p++)
            free(s->pipe_text[p]);
    free(s->pipe_text);
    free(s->opts_text);
    pp_source_close(s->src);
    pp_sink_close(s->sink);
    pp_queue_close(s->q);
    pp__wlog_close(s->log);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->state_dir);
}

static int check_opts(const pp_watch_opts *o, pp_err *err)
{
    if (!o->npipes)
        return pp_err_set(err, PP_EINVAL, "watch: no pipeline");
    for (size_t p = 0; p < o->npipes; p++)
        if (!o->pipes[p].name || !*o->pipes[p].name)
            return pp_err_set(err, PP_EINVAL, "watch: every pipeline needs a name (NAME=PIPE)");
    if (o->workers < 1 || o->threads < 1 || o->max_attempts < 1 || !o->worker_cmd ||
        !o->worker_cmd[0])
        return pp_err_set(err, PP_EINVAL, "watch: invalid options");
    return 0;
}

int pp_watch_run(const pp_watch_opts *o, pp_err *err)
{
    int rc = check_opts(o, err);
    if (rc < 0)
        return rc;
    sup s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.lock_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    if ((rc = open_parts(&s, err)) == 0) {
        recover(&s);
        rc = s.src->ops->start(s.src, err);
    }
    if (rc == 0) {
        log_service(&s, "watching", "in", o->in_dir, "workers", o->workers);
        respawn_due(&s);
        rc = run_loop(&s, err); /* returning, it stops taking jobs */
        stop_workers(&s);
        s.sink->ops->sweep(s.sink);
        log_service(&s, "stopped", NULL, NULL, NULL, 0);
    }
    close_parts(&s);
    return rc;
}
