/* A watch worker process: claim a job, run it, record the outcome, repeat.
 *
 * Design. The worker is exec'd by the supervisor (never just forked), so it
 * starts with no inherited SQLite connection, threads or locks, and opens
 * its own queue, source and sink. Work is pulled: when free, the worker
 * claims the oldest ready job; when there is none, it sleeps on its control
 * pipe until the supervisor says work was queued ("w"), a retry falls due,
 * or a heartbeat is due.
 *
 * A job runs on its own thread (using a pool of threads-1 helpers for
 * strip-level parallelism), while the main thread keeps sending heartbeats
 * to the supervisor and renewing the job's lease. So a worker whose job
 * hangs still beats; the supervisor's task timeout catches that, and a
 * worker that stops beating altogether is killed as hung.
 *
 * The worker ignores SIGINT and SIGTERM: the supervisor decides when it
 * stops ("q" on the control pipe), and the kernel kills it when the
 * supervisor dies (PR_SET_PDEATHSIG, set before exec).
 *
 * Fault injection, a test aid only (docs/engine.md): PIXPIPE_FAULT holds
 * comma-separated rules, read when the worker starts:
 *   crash:NAME      raise SIGSEGV when starting a job on a file named NAME
 *   crash_after:K   raise SIGSEGV when starting the job after the K-th
 *   hang:NAME       the job on NAME sleeps (up to an hour) instead of running
 *   fail:NAME       the job on NAME fails with a transient I/O error
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "pixpipe/pool.h"
#include "pixpipe/store.h"
#include "watch_impl.h"

#define PIPE_CACHE 8
#define CLAIM_RETRY_MS 1000
#define HANG_MAX_S 3600

typedef struct fault {
    char *crash, *hang, *fail; /* file base names, or NULL */
    long crash_after;          /* < 0: off */
} fault;

typedef struct cached_pipe {
    char *text;
    pp_pipeline *p;
} cached_pipe;

typedef struct worker {
    char id[48];
    int threads;
    bool sync;
    pp_queue *q;
    pp_source *src;
    pp_sink *sink;
    pp__wlog *log;
    pp_pool *pool;
    fault f;
    long jobs_run;
    bool quit;
    uint64_t last_beat_ns;
    cached_pipe cache[PIPE_CACHE];
    size_t cache_next;
} worker;

/* ---- talking to the supervisor ---- */

static void say(worker *w, const char *msg)
{
    size_t n = strlen(msg);
    if (write(WORKER_STATUS_FD, msg, n) != (ssize_t)n && errno == EPIPE)
        _exit(0); /* the supervisor is gone: so is our reason to run */
    w->last_beat_ns = pp_clock_ns();
}

static void say_job(worker *w, char what, int64_t id)
{
    char msg[48];
    snprintf(msg, sizeof msg, "%c %lld\n", what, (long long)id);
    say(w, msg);
}

static void beat_if_due(worker *w)
{
    if (pp_clock_ns() - w->last_beat_ns >= (uint64_t)HEARTBEAT_MS * 1000000)
        say(w, "H\n");
}

/* Reads what the supervisor sent; waits up to timeout_ms for it. */
static void listen_ctl(worker *w, int timeout_ms)
{
    struct pollfd p = {WORKER_CTL_FD, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return;
    char buf[64];
    ssize_t n = read(WORKER_CTL_FD, buf, sizeof buf);
    if (n <= 0) {
        w->quit = true; /* EOF: the supervisor closed our pipe */
        return;
    }
    if (memchr(buf, 'q', (size_t)n))
        w->quit = true;
}

/* ---- faults (test aid) ---- */

static void parse_faults(fault *f)
{
    f->crash_after = -1;
    const char *env = getenv("PIXPIPE_FAULT");
    if (!env || !*env)
        return;
    pp_log(PP_LOG_WARN, "PIXPIPE_FAULT=%s: fault injection (a test aid) is on", env);
    char *copy = strdup(env), *save = NULL;
    for (char *r = copy ? strtok_r(copy, ",", &save) : NULL; r; r = strtok_r(NULL, ",", &save)) {
        char *arg = strchr(r, ':');
        if (!arg)
            continue;
        *arg++ = '\0';
        if (strcmp(r, "crash") == 0)
            f->crash = strdup(arg);
        else if (strcmp(r, "hang") == 0)
            f->hang = strdup(arg);
        else if (strcmp(r, "fail") == 0)
            f->fail = strdup(arg);
        else if (strcmp(r, "crash_after") == 0)
            f->crash_after = strtol(arg, NULL, 10);
    }
    free(copy);
}

static bool names_file(const char *name, const char *key)
{
    const char *base = strrchr(key, '/');
    return name && strcmp(name, base ? base + 1 : key) == 0;
}

static void crash(void)
{
    prctl(PR_SET_DUMPABLE, 0); /* no core file */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    _exit(139);
}

/* ---- running one job ---- */

/* One job on its thread: everything that reads the input (the hash check,
 * the fetch, the processing) runs there, so the worker's main thread keeps
 * beating and renewing the lease however slow the storage is. */
typedef struct run {
    struct worker *w;
    const pp_job *job;
    char *in, *out;  /* malloc'd by fetch and prepare */
    bool temp;       /* in is a fetched copy to unlink */
    const char *note; /* set when the job was skipped (superseded) */
    bool processed;  /* pp_process_file ran: commit or discard its output */
    pp_process_opts po;
    bool hang;
    pp_process_stats st;
    pp_err err;
    int rc;
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} run;

static bool superseded(worker *w, const pp_job *job, const char **note, pp_err *err);
static int prepare_run(worker *w, const pp_job *job, run *r, pp_err *err);

static int run_job_steps(run *r)
{
    if (superseded(r->w, r->job, &r->note, &r->err) || r->err.code)
        return r->err.code;
    if (prepare_run(r->w, r->job, r, &r->err) < 0)
        return r->err.code;
    if (r->hang) {
        for (int i = 0; i < HANG_MAX_S; i++)
            sleep(1);
    }
    r->processed = true;
    return pp_process_file(r->in, r->out, &r->po, &r->st, &r->err);
}

static void *run_thread(void *arg)
{
    run *r = arg;
    r->rc = run_job_steps(r);
    pthread_mutex_lock(&r->lock);
    r->done = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Waits for the job thread, beating and renewing the lease meanwhile. */
static void supervise_run(worker *w, run *r, const pp_job *job)
{
    uint64_t last_renew = pp_clock_ns();
    pthread_mutex_lock(&r->lock);
    while (!r->done) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        if (r->done)
            break;
        pthread_mutex_unlock(&r->lock);
        beat_if_due(w);
        listen_ctl(w, 0);
        if (pp_clock_ns() - last_renew >= (uint64_t)RENEW_MS * 1000000) {
            pp_err e;
            if (w->q->ops->renew(w->q, job->id, w->id, pp_wall_ms() + LEASE_MS, &e) < 0)
                pp_log(PP_LOG_WARN, "job %lld: %s", (long long)job->id, e.msg);
            last_renew = pp_clock_ns();
        }
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
}

/* Runs pp_process_file on a thread of its own; fills r. */
static void process(worker *w, run *r, const pp_job *job)
{
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_t t;
    if (pthread_create(&t, NULL, run_thread, r) != 0) {
        r->rc = pp_err_set(&r->err, PP_ENOMEM, "cannot start a thread: %s", strerror(errno));
    } else {
        supervise_run(w, r, job);
        pthread_join(t, NULL);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
}

static const pp_pipeline *pipeline_for(worker *w, const char *text, pp_err *err)
{
    for (size_t i = 0; i < PIPE_CACHE; i++)
        if (w->cache[i].text && strcmp(w->cache[i].text, text) == 0)
            return w->cache[i].p;
    pp_pipeline *p = pp_pipeline_parse(text, err);
    char *copy = p ? strdup(text) : NULL;
    if (!copy) {
        pp_pipeline_free(p);
        if (p)
            pp_err_set(err, PP_ENOMEM, "out of memory");
        return NULL;
    }
    cached_pipe *c = &w->cache[w->cache_next++ % PIPE_CACHE];
    free(c->text);
    pp_pipeline_free(c->p);
    c->text = copy;
    c->p = p;
    return p;
}

/* Records the outcome (committed before anything else happens) and logs it. */
static void record(worker *w, pp_job *job, int rc, const pp_err *why, const pp_process_stats *st,
                   const char *note)
{
    pp_err e;
    int64_t now = pp_wall_ms();
    if (rc == 0) {
        pp_job_times t = {0};
        if (st)
            t = (pp_job_times){st->decode_ns, st->filter_ns, st->encode_ns, st->total_ns};
        if (w->q->ops->complete(w->q, job->id, w->id, now, &t, note, &e) < 0) {
            pp__wlog_job(w->log, "lost", job, &(pp__wfield){"reason", e.msg, 0}, 1);
            return;
        }
        job->state = PP_JS_DONE;
        job->decode_ns = t.decode_ns;
        job->filter_ns = t.filter_ns;
        job->encode_ns = t.encode_ns;
        job->total_ns = t.total_ns;
        free(job->error);
        job->error = note ? strdup(note) : NULL;
        pp__wlog_job(w->log, note ? "skipped" : "done", job, NULL, 0);
        return;
    }
    pp_jstate s;
    if (w->q->ops->fail_job(w->q, job->id, w->id, now, why, &s, &e) < 0) {
        pp__wlog_job(w->log, "lost", job, &(pp__wfield){"reason", e.msg, 0}, 1);
        return;
    }
    job->state = s;
    free(job->error);
    job->error = strdup(why->msg);
    pp__wlog_job(w->log, pp_jstate_name(s), job, NULL, 0);
    if (s == PP_JS_FAILED)
        say_job(w, 'F', job->id);
}

/* The source changed or vanished since the job was queued: nothing to do
 * (a newer job, if any, handles the new content). */
static bool superseded(worker *w, const pp_job *job, const char **note, pp_err *err)
{
    char hash[PP_HASH_TEXT_MAX];
    uint64_t size;
    pp_err e;
    int rc = w->src->ops->hash(w->src, job->source, hash, &size, &e);
    if (rc == PP_ENOENT) {
        *note = "skipped: the source file is gone";
        return true;
    }
    if (rc < 0) {
        *err = e;
        return false;
    }
    if (strcmp(hash, job->hash) != 0) {
        *note = "skipped: the source changed after this job was queued";
        return true;
    }
    return false;
}

static int prepare_run(worker *w, const pp_job *job, run *r, pp_err *err)
{
    int rc = w->src->ops->fetch(w->src, job->source, &r->in, &r->temp, err);
    if (rc == 0)
        rc = w->sink->ops->prepare(w->sink, job->output, &r->out, err);
    if (rc == 0)
        rc = pp_process_opts_parse(job->opts, &r->po, err);
    const pp_pipeline *p = rc == 0 ? pipeline_for(w, job->pipeline, err) : NULL;
    if (rc == 0 && !p)
        rc = err->code ? err->code : PP_EPARSE;
    r->po.pipeline = p;
    r->po.pool = w->pool;
    r->po.threads = w->threads;
    r->po.make_dirs = false; /* the sink's prepare made the folders */
    r->po.sync = w->sync;
    return rc;
}

/* Fails (permanently) a job whose output an older job of another source
 * writes: with --format, a.jpg and a.png both name NAME/a.webp, and the
 * first to arrive keeps it instead of the two overwriting each other. */
static int owned_elsewhere(worker *w, const pp_job *job, pp_err *err)
{
    char *owner = NULL;
    int rc = w->q->ops->output_owner(w->q, job->output, job->source, &owner, err);
    if (rc == 0 && owner)
        rc = pp_err_set(err, PP_EINVAL,
                        "%s: its output %s is already the output of %s (the first to arrive "
                        "keeps it; rename one of them)",
                        job->source, job->output, owner);
    free(owner);
    return rc;
}

static void run_job(worker *w, pp_job *job)
{
    say_job(w, 'S', job->id);
    pp__wlog_job(w->log, "started", job, NULL, 0);
    if (names_file(w->f.crash, job->source) ||
        (w->f.crash_after >= 0 && w->jobs_run >= w->f.crash_after))
        crash();
    w->jobs_run++;
    run r;
    memset(&r, 0, sizeof r);
    r.w = w;
    r.job = job;
    if (names_file(w->f.fail, job->source)) {
        pp_err_set(&r.err, PP_EIO, "%s: injected transient failure (PIXPIPE_FAULT)",
                   job->source);
        record(w, job, PP_EIO, &r.err, NULL, NULL);
    } else if (owned_elsewhere(w, job, &r.err) < 0) {
        record(w, job, r.err.code, &r.err, NULL, NULL);
    } else {
        r.hang = names_file(w->f.hang, job->source);
        process(w, &r, job);
        if (r.processed && r.rc == 0)
            r.rc = w->sink->ops->commit(w->sink, job->output, r.out, &r.err);
        if (r.processed && r.rc < 0)
            w->sink->ops->discard(w->sink, job->output);
        record(w, job, r.rc, &r.err, r.processed ? &r.st : NULL, r.note);
    }
    if (r.temp && r.in)
        unlink(r.in);
    free(r.in);
    free(r.out);
    say_job(w, 'E', job->id);
}

/* ---- the loop ---- */

static void work(worker *w)
{
    while (!w->quit) {
        listen_ctl(w, 0);
        if (w->quit)
            break;
        beat_if_due(w);
        pp_job job;
        int64_t next_due = -1;
        pp_err err;
        int rc = w->q->ops->claim(w->q, w->id, pp_wall_ms(), LEASE_MS, &job, &next_due, &err);
        if (rc > 0) {
            run_job(w, &job);
            pp_job_clear(&job);
            continue;
        }
        int wait_ms = HEARTBEAT_MS;
        if (rc < 0) {
            pp_log(PP_LOG_WARN, "worker %s: %s", w->id, err.msg);
            wait_ms = CLAIM_RETRY_MS;
        } else if (next_due >= 0) {
            int64_t until = next_due - pp_wall_ms();
            wait_ms = until < 0 ? 0 : until < wait_ms ? (int)until : wait_ms;
        }
        listen_ctl(w, wait_ms);
    }
}

typedef struct wargs {
    const char *queue, *source, *sink, *log;
    int slot, threads, max_attempts;
    long long retry_delay_ms;
    pp_wlog_format fmt;
    bool sync;
} wargs;

static int parse_args(int argc, char **argv, wargs *a)
{
    memset(a, 0, sizeof *a);
    a->threads = 1;
    a->max_attempts = 3;
    a->retry_delay_ms = 1000;
    a->sync = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--queue"))
            a->queue = v;
        else if (!strcmp(k, "--source"))
            a->source = v;
        else if (!strcmp(k, "--sink"))
            a->sink = v;
        else if (!strcmp(k, "--log"))
            a->log = v;
        else if (!strcmp(k, "--log-format"))
            a->fmt = strcmp(v, "json") == 0 ? PP_WLOG_JSON : PP_WLOG_LOGFMT;
        else if (!strcmp(k, "--slot"))
            a->slot = atoi(v);
        else if (!strcmp(k, "--threads"))
            a->threads = atoi(v);
        else if (!strcmp(k, "--max-attempts"))
            a->max_attempts = atoi(v);
        else if (!strcmp(k, "--retry-delay-ms"))
            a->retry_delay_ms = atoll(v);
        else if (!strcmp(k, "--sync"))
            a->sync = atoi(v) != 0;
        else
            return -1;
    }
    return a->queue && a->source && a->sink && a->threads >= 1 ? 0 : -1;
}

static int open_worker(worker *w, const wargs *a, pp_err *err)
{
    snprintf(w->id, sizeof w->id, "w%d:%d", a->slot, (int)getpid());
    w->threads = a->threads;
    w->sync = a->sync;
    w->last_beat_ns = pp_clock_ns();
    parse_faults(&w->f);
    pp_queue_opts qo;
    pp_queue_opts_default(&qo);
    qo.max_attempts = a->max_attempts;
    qo.retry_delay_ms = a->retry_delay_ms;
    pp_source_opts so = {0};
    if (!(w->q = pp_queue_open(a->queue, &qo, err)) ||
        !(w->src = pp_source_open(a->source, &so, err)) ||
        !(w->sink = pp_sink_open(a->sink, err)) || !(w->log = pp__wlog_open(a->log, a->fmt, err)))
        return err->code;
    if (a->threads > 1 && !(w->pool = pp_pool_new(a->threads - 1, err)))
        return err->code;
    return 0;
}

static void close_worker(worker *w)
{
    pp_pool_free(w->pool);
    pp__wlog_close(w->log);
    pp_sink_close(w->sink);
    pp_source_close(w->src);
    pp_queue_close(w->q);
    for (size_t i = 0; i < PIPE_CACHE; i++) {
        free(w->cache[i].text);
        pp_pipeline_free(w->cache[i].p);
    }
    free(w->f.crash);
    free(w->f.hang);
    free(w->f.fail);
}

int pp_watch_worker_main(int argc, char **argv)
{
    wargs a;
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "pixpipe: this command is started by 'pixpipe watch', not by hand\n");
        return 64;
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    worker w;
    memset(&w, 0, sizeof w);
    pp_err err;
    int status = 0;
    if (open_worker(&w, &a, &err) < 0) {
        fprintf(stderr, "pixpipe: worker: %s\n", err.msg);
        status = pp_exit_code(err.code);
    } else {
        say(&w, "H\n");
        work(&w);
    }
    close_worker(&w);
    return status;
}
