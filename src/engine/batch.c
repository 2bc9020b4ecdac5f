/* pixpipe batch: scanning into jobs, up-to-date decisions through an
 * append-only log, and running the jobs on a thread pool (see batch.h).
 *
 * The batch log, OUT_DIR/.pixpipe/batch.log, has one tab-separated line per
 * finished job: output path, input size, input mtime (ns), key. The key is a
 * 64-bit FNV-1a hash of the canonical pipeline and the output options. A job
 * appends its line (and fsyncs nothing: a lost line only means redoing a job)
 * after its output was renamed into place; on load the last line for an
 * output wins and a torn last line is ignored.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pixpipe/batch.h"
#include "pixpipe/file.h"
#include "pixpipe/scan.h"

typedef struct log_entry {
    char *out;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t key;
    size_t seq; /* line number: the last line for an output wins */
} log_entry;

struct pp_batch {
    char *in_dir, *out_dir;
    const pp_named_pipeline *pipes;
    size_t npipes;
    uint64_t *keys; /* per pipeline */
    pp_batch_opts o;
    pp_batch_job *jobs;
    size_t njobs, cap;
    /* batch log */
    char *log_path;
    log_entry *entries;
    size_t nentries;
    FILE *log;
    /* running */
    pthread_mutex_t lock;
    size_t next;        /* next job index to start (jobs are sorted) */
    size_t started;
    pp_batch_progress prog;
    uint64_t t0;
    pp_batch_progress_fn fn;
    void *fn_ctx;
    pp_pool *pool;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* What makes two outputs of the same input differ: the canonical pipeline
 * and the canonical codec options. */
static uint64_t job_key(const pp_pipeline *pipe, const pp_process_opts *o)
{
    char *canon = pp_pipeline_canonical(pipe), *opts = pp_process_opts_text(o);
    uint64_t h = 1469598103934665603ull;
    h = fnv1a(h, canon ? canon : "", canon ? strlen(canon) : 0);
    h = fnv1a(h, "|", 1);
    h = fnv1a(h, opts ? opts : "", opts ? strlen(opts) : 0);
    free(canon);
    free(opts);
    return h;
}

/* ---- batch log ---- */

static int cmp_entries(const void *a, const void *b)
{
    const log_entry *x = a, *y = b;
    int c = strcmp(x->out, y->out);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_entry_name(const void *key, const void *elem)
{
    return strcmp(key, ((const log_entry *)elem)->out);
}

/* Keeps the last line of each output; returns how many were dropped. */
static size_t dedup_log(pp_batch *b)
{
    size_t w = 0;
    for (size_t r = 0; r < b->nentries; r++) {
        if (r + 1 < b->nentries && strcmp(b->entries[r].out, b->entries[r + 1].out) == 0) {
            free(b->entries[r].out);
            continue;
        }
        b->entries[w++] = b->entries[r];
    }
    size_t dropped = b->nentries - w;
    b->nentries = w;
    return dropped;
}

/* Rewrites the log with one line per output (atomically). */
static void compact_log(const pp_batch *b)
{
    pp_outfile of;
    if (pp_outfile_open(&of, b->log_path, false, NULL) < 0)
        return;
    of.sync = false;
    for (size_t i = 0; i < b->nentries; i++) {
        const log_entry *e = &b->entries[i];
        fprintf(of.fp, "%s\t%llu\t%lld\t%016llx\n", e->out, (unsigned long long)e->size,
                (long long)e->mtime_ns, (unsigned long long)e->key);
    }
    if (pp_outfile_commit(&of, NULL) < 0)
        pp_log(PP_LOG_WARN, "%s: cannot compact the batch log", b->log_path);
}

static void load_log(pp_batch *b)
{
    FILE *f = fopen(b->log_path, "r");
    if (!f)
        return;
    char line[8192];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            break; /* torn last line */
        line[len - 1] = '\0';
        char *save = NULL;
        char *out = strtok_r(line, "\t", &save), *size = strtok_r(NULL, "\t", &save),
             *mt = strtok_r(NULL, "\t", &save), *key = strtok_r(NULL, "\t", &save);
        if (!out || !size || !mt || !key)
            continue;
        if (b->nentries == cap) {
            cap = cap ? cap * 2 : 256;
            log_entry *g = realloc(b->entries, cap * sizeof *g);
            if (!g)
                break;
            b->entries = g;
        }
        log_entry *e = &b->entries[b->nentries];
        if (!(e->out = strdup(out)))
            break;
        e->size = strtoull(size, NULL, 10);
        e->mtime_ns = strtoll(mt, NULL, 10);
        e->key = strtoull(key, NULL, 16);
        e->seq = b->nentries++;
    }
    fclose(f);
    qsort(b->entries, b->nentries, sizeof *b->entries, cmp_entries);
    size_t dropped = dedup_log(b);
    if (dropped > 1024 && dropped > b->nentries)
        compact_log(b);
}

/* True when the log's last line for this output matches the job now. */
static bool log_says_current(const pp_batch *b, const pp_batch_job *j, uint64_t key)
{
    const log_entry *e =
        bsearch(j->out, b->entries, b->nentries, sizeof *b->entries, cmp_entry_name);
    return e && e->size == j->size && e->mtime_ns == j->mtime_ns && e->key == key;
}

static void append_log(pp_batch *b, const pp_batch_job *j)
{
    if (!b->log)
        return;
    fprintf(b->log, "%s\t%llu\t%lld\t%016llx\n", j->out, (unsigned long long)j->size,
            (long long)j->mtime_ns, (unsigned long long)b->keys[j->pipe]);
    fflush(b->log);
}

/* ---- scanning ---- */

static int add_job(const pp_scan_entry *e, void *ctx)
{
    pp_batch *b = ctx;
    for (size_t p = 0; p < b->npipes; p++) {
        if (b->njobs == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 256;
            pp_batch_job *g = realloc(b->jobs, cap * sizeof *g);
            if (!g)
                return PP_ENOMEM;
            b->jobs = g;
            b->cap = cap;
        }
        pp_batch_job *j = &b->jobs[b->njobs];
        memset(j, 0, sizeof *j);
        j->in = strdup(e->path);
        j->out = pp_output_path(b->out_dir, b->pipes[p].name, e->rel, b->o.proc.format, NULL);
        if (!j->in || !j->out) {
            free(j->in);
            free(j->out);
            return PP_ENOMEM;
        }
        j->rel = j->in + (e->rel - e->path);
        j->pipe = p;
        j->size = e->size;
        j->mtime_ns = e->mtime_ns;
        b->njobs++;
    }
    return 0;
}

/* Largest inputs first: fewer stragglers at the end. Ties by path. */
static int cmp_jobs(const void *a, const void *b)
{
    const pp_batch_job *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    int c = strcmp(x->in, y->in);
    return c ? c : (x->pipe > y->pipe) - (x->pipe < y->pipe);
}

static int cmp_job_out(const void *a, const void *b)
{
    const pp_batch_job *x = *(const pp_batch_job *const *)a, *y = *(const pp_batch_job *const *)b;
    int c = strcmp(x->out, y->out);
    return c ? c : strcmp(x->in, y->in);
}

/* Two inputs that map to one output (a.jpg and a.png with --format webp)
 * would overwrite each other: the first input by name keeps the output, the
 * others fail before anything runs. */
static int fail_collisions(pp_batch *b)
{
    if (b->njobs < 2)
        return 0;
    pp_batch_job **by_out = malloc(b->njobs * sizeof *by_out);
    if (!by_out)
        return PP_ENOMEM;
    for (size_t i = 0; i < b->njobs; i++)
        by_out[i] = &b->jobs[i];
    qsort(by_out, b->njobs, sizeof *by_out, cmp_job_out);
    for (size_t i = 1, keep = 0; i < b->njobs; i++) {
        if (strcmp(by_out[i]->out, by_out[keep]->out) != 0) {
            keep = i;
            continue;
        }
        pp_batch_job *j = by_out[i];
        j->state = PP_JOB_FAILED;
        b->prog.failed++;
        pp_err_set(&j->err, PP_EINVAL,
                   "%s: its output %s is also the output of %s; rename one of them or pick "
                   "another --format",
                   j->in, j->out, by_out[keep]->in);
    }
    free(by_out);
    return 0;
}

static void mark_uptodate(pp_batch *b)
{
    for (size_t i = 0; i < b->njobs; i++) {
        pp_batch_job *j = &b->jobs[i];
        struct stat st;
        if (j->state == PP_JOB_PENDING && !b->o.force && stat(j->out, &st) == 0 &&
            log_says_current(b, j, b->keys[j->pipe])) {
            j->state = PP_JOB_UPTODATE;
            b->prog.uptodate++;
        }
    }
    b->prog.total = b->njobs - b->prog.uptodate;
}

pp_batch *pp_batch_new(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                       size_t npipes, const pp_batch_opts *o, pp_err *err)
{
    if (pp_same_file(in_dir, out_dir)) {
        pp_err_set(err, PP_EINVAL, "%s: the output folder must differ from the input folder",
                   out_dir);
        return NULL;
    }
    pp_batch *b = pp_calloc(1, sizeof *b, err);
    if (!b)
        return NULL;
    b->in_dir = strdup(in_dir);
    b->out_dir = strdup(out_dir);
    b->keys = calloc(npipes ? npipes : 1, sizeof *b->keys);
    if (asprintf(&b->log_path, "%s/.pixpipe/batch.log", out_dir) < 0)
        b->log_path = NULL;
    if (!b->in_dir || !b->out_dir || !b->keys || !b->log_path) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        goto fail;
    }
    b->pipes = pipes;
    b->npipes = npipes;
    b->o = *o;
    pthread_mutex_init(&b->lock, NULL);
    for (size_t p = 0; p < npipes; p++)
        b->keys[p] = job_key(pipes[p].pipeline, &o->proc);
    int rc = pp_scan(in_dir, out_dir, add_job, b, err);
    if (rc != 0) {
        if (rc == PP_ENOMEM)
            pp_err_set(err, PP_ENOMEM, "out of memory while scanning %s", in_dir);
        goto fail;
    }
    qsort(b->jobs, b->njobs, sizeof *b->jobs, cmp_jobs);
    if (fail_collisions(b) < 0) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        goto fail;
    }
    load_log(b);
    mark_uptodate(b);
    return b;
fail:
    pp_batch_free(b);
    return NULL;
}

/* ---- running ---- */

static void report(pp_batch *b, const pp_batch_job *j)
{
    b->prog.elapsed_ns = pp_clock_ns() - b->t0;
    if (b->fn)
        b->fn(&b->prog, j, b->fn_ctx);
}

void pp_batch_finish_job(pp_batch *b, size_t job, int rc, const pp_err *err,
                         const pp_process_stats *st)
{
    pp_batch_job *j = &b->jobs[job];
    pthread_mutex_lock(&b->lock);
    if (st)
        j->st = *st;
    if (rc == 0) {
        j->state = PP_JOB_DONE;
        b->prog.done++;
        b->prog.bytes_in += j->size;
        append_log(b, j);
    } else if (rc == PP_ECANCELED) {
        j->state = PP_JOB_CANCELED;
    } else {
        j->state = PP_JOB_FAILED;
        b->prog.failed++;
        if (err)
            j->err = *err;
    }
    if (j->state != PP_JOB_CANCELED)
        report(b, j);
    pthread_mutex_unlock(&b->lock);
}

void pp_batch_skip_job(pp_batch *b, size_t job)
{
    pthread_mutex_lock(&b->lock);
    if (b->jobs[job].state == PP_JOB_PENDING) {
        b->jobs[job].state = PP_JOB_UPTODATE;
        b->prog.uptodate++;
        b->prog.total--;
    }
    pthread_mutex_unlock(&b->lock);
}

static void run_job(pp_batch *b, size_t job, bool tail)
{
    pp_batch_job *j = &b->jobs[job];
    if (pp_canceled(b->o.cancel)) {
        j->state = PP_JOB_CANCELED;
        return;
    }
    pp_process_opts po = b->o.proc;
    po.pipeline = b->pipes[j->pipe].pipeline;
    po.make_dirs = true;
    po.cancel = b->o.cancel;
    po.pool = tail ? b->pool : NULL;
    po.threads = tail ? b->o.threads : 1;
    pp_process_stats st;
    pp_err err;
    int rc = pp_process_file(j->in, j->out, &po, &st, &err);
    pp_batch_finish_job(b, job, rc, &err, &st);
}

/* One pool task: start the next pending job. Jobs started when fewer jobs
 * wait than there are threads run in tail mode (strip-parallel). */
static void job_task(void *arg)
{
    pp_batch *b = arg;
    pthread_mutex_lock(&b->lock);
    while (b->next < b->njobs && b->jobs[b->next].state != PP_JOB_PENDING)
        b->next++;
    if (b->next >= b->njobs) {
        pthread_mutex_unlock(&b->lock);
        return;
    }
    size_t job = b->next++;
    b->started++;
    bool tail = b->prog.total - b->started + 1 < (size_t)b->o.threads;
    pthread_mutex_unlock(&b->lock);
    run_job(b, job, tail);
}

int pp_batch_begin(pp_batch *b, pp_batch_progress_fn fn, void *ctx, pp_err *err)
{
    b->fn = fn;
    b->fn_ctx = ctx;
    b->t0 = pp_clock_ns();
    for (size_t i = 0; i < b->njobs; i++) /* failed before the start: collisions */
        if (b->jobs[i].state == PP_JOB_FAILED)
            report(b, &b->jobs[i]);
    char *state_dir = NULL;
    if (asprintf(&state_dir, "%s/.pixpipe", b->out_dir) < 0)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    int rc = pp_mkdirs(state_dir, err);
    free(state_dir);
    if (rc < 0)
        return rc;
    size_t swept = pp_sweep_temps(b->out_dir);
    if (swept)
        pp_log(PP_LOG_INFO, "%s: removed %zu temporary file%s of an interrupted run", b->out_dir,
               swept, swept == 1 ? "" : "s");
    b->log = fopen(b->log_path, "a");
    if (!b->log)
        pp_log(PP_LOG_WARN, "%s: cannot open the batch log (%s); re-runs will redo everything",
               b->log_path, strerror(errno));
    return 0;
}

int pp_batch_run(pp_batch *b, pp_batch_progress_fn fn, void *ctx, pp_err *err)
{
    int rc = pp_batch_begin(b, fn, ctx, err);
    if (rc < 0)
        return rc;
    b->pool = pp_pool_new(b->o.threads, err);
    if (!b->pool)
        return err ? err->code : PP_ENOMEM;
    for (size_t i = 0; i < b->prog.total && rc == 0; i++)
        rc = pp_pool_submit(b->pool, job_task, b, err);
    pp_pool_wait_idle(b->pool);
    pp_pool_free(b->pool);
    b->pool = NULL;
    pthread_mutex_lock(&b->lock);
    report(b, NULL);
    pthread_mutex_unlock(&b->lock);
    if (rc == 0 && pp_canceled(b->o.cancel))
        rc = pp_err_set(err, PP_ECANCELED, "interrupted");
    return rc;
}

size_t pp_batch_jobs(const pp_batch *b, const pp_batch_job **jobs)
{
    *jobs = b->jobs;
    return b->njobs;
}

pp_batch_progress pp_batch_state(const pp_batch *b)
{
    pp_batch_progress p = b->prog;
    if (b->t0)
        p.elapsed_ns = pp_clock_ns() - b->t0;
    return p;
}

void pp_batch_free(pp_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->njobs; i++) {
        free(b->jobs[i].in);
        free(b->jobs[i].out);
    }
    for (size_t i = 0; i < b->nentries; i++)
        free(b->entries[i].out);
    if (b->log)
        fclose(b->log);
    free(b->entries);
    free(b->jobs);
    free(b->keys);
    free(b->log_path);
    free(b->in_dir);
    free(b->out_dir);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t pp_percentile(uint64_t *v, size_t n, double pct)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}
