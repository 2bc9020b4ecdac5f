/* Distributed batch on MPI with dynamic load balancing.
 *
 * Rank 0 scans the input folder into jobs (pp_batch_new: one per file and
 * pipeline, largest first, up-to-date ones marked) and hands them out on
 * demand. Every rank, rank 0 included, runs `threads` worker threads that
 * take jobs from a rank-local queue and call pp_process_file; files are read
 * and written directly (a shared file system).
 *
 * Only each rank's main thread calls MPI (MPI_THREAD_FUNNELED). Its loop:
 *   - keeps the local queue topped up: a rank with free threads sends one
 *     REQ (free slots + finished results) to rank 0 and waits for its reply
 *     before asking again; rank 0 serves itself without messages;
 *   - rank 0 answers each REQ with up to `free` jobs, or STOP when none is
 *     left; it records every result (progress, batch log) as it arrives;
 *   - after STOP a rank drains its queue and sends FINAL (last results and
 *     its per-rank figures); rank 0 ends when every rank sent FINAL.
 * The loop sleeps up to 1 ms when nothing happens, so polling costs little.
 *
 * Messages are byte buffers: REQ/FINAL = header + results, TASKS = header +
 * jobs (index, pipeline, input and output paths).
 *
 * With a state folder rank 0 keeps the jobs in the journal `watch` uses:
 * every job is enqueued (identity: input path, "stat:<size>:<mtime ns>",
 * pipeline name, canonical pipeline and options), jobs are handed out in the
 * journal's claim order (the same largest-first order) and their outcome is
 * committed there. A rerun skips done jobs, retries what a killed run left
 * running (requeue_expired) and reports what failed before.
 */
#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pixpipe/dist.h"
#include "pixpipe/file.h"
#include "pixpipe/queue.h"

enum { TAG_REQ = 11, TAG_TASKS = 12, TAG_FINAL = 13 };

typedef struct wire_result {
    int64_t job;
    int32_t rc;
    int32_t pad;
    pp_process_stats st;
    char msg[PP_ERR_MSG_MAX];
} wire_result;

typedef struct req_head {
    int32_t free;
    int32_t nresults;
    pp_mpi_rank_stats stats; /* FINAL only */
} req_head;

typedef struct task {
    int64_t job;
    int32_t pipe;
    char *in, *out;
} task;

/* A rank's local queue, worker threads and finished results. */
typedef struct rank_ctx {
    pthread_mutex_t lock;
    pthread_cond_t work, news;
    task *queue;
    size_t qhead, qlen, qcap;
    int running;
    bool stop;
    wire_result *results;
    size_t nres, rcap;
    pp_mpi_rank_stats stats;
    const pp_named_pipeline *pipes;
    const pp_batch_opts *bo;
} rank_ctx;

static bool push_task(rank_ctx *r, const task *t)
{
    if (r->qlen == r->qcap) {
        size_t cap = r->qcap ? r->qcap * 2 : 16;
        task *g = malloc(cap * sizeof *g);
        if (!g)
            return false;
        for (size_t i = 0; i < r->qlen; i++)
            g[i] = r->queue[(r->qhead + i) % r->qcap];
        free(r->queue);
        r->queue = g;
        r->qhead = 0;
        r->qcap = cap;
    }
    r->queue[(r->qhead + r->qlen++) % r->qcap] = *t;
    pthread_cond_signal(&r->work);
    return true;
}

static void add_result(rank_ctx *r, const task *t, int rc, const pp_err *err,
                       const pp_process_stats *st)
{
    if (r->nres == r->rcap) {
        size_t cap = r->rcap ? r->rcap * 2 : 16;
        wire_result *g = realloc(r->results, cap * sizeof *g);
        if (!g)
            return; /* the job counts as lost; rank 0 reports it missing */
        r->results = g;
        r->rcap = cap;
    }
    wire_result *w = &r->results[r->nres++];
    memset(w, 0, sizeof *w);
    w->job = t->job;
    w->rc = rc;
    w->st = *st;
    if (rc < 0)
        snprintf(w->msg, sizeof w->msg, "%s", err->msg);
}

static void *worker(void *arg)
{
    rank_ctx *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->qlen == 0 && !r->stop)
            pthread_cond_wait(&r->work, &r->lock);
        if (r->qlen == 0)
            break;
        task t = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qlen--;
        r->running++;
        pthread_mutex_unlock(&r->lock);
        pp_process_opts po = r->bo->proc;
        po.pipeline = r->pipes[t.pipe].pipeline;
        po.make_dirs = true;
        po.cancel = r->bo->cancel;
        pp_process_stats st;
        memset(&st, 0, sizeof st);
        pp_err err = {0, ""};
        uint64_t t0 = pp_clock_ns();
        int rc = pp_canceled(r->bo->cancel) ? PP_ECANCELED
                                             : pp_process_file(t.in, t.out, &po, &st, &err);
        uint64_t busy = pp_clock_ns() - t0;
        pthread_mutex_lock(&r->lock);
        r->running--;
        r->stats.busy_ns += busy;
        if (rc == 0) {
            r->stats.tasks++;
            r->stats.bytes_in += st.in_bytes;
        } else if (rc != PP_ECANCELED) {
            r->stats.failed++;
        }
        add_result(r, &t, rc, &err, &st);
        free(t.in);
        free(t.out);
        pthread_cond_signal(&r->news);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* ---- message packing ---- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static bool put(buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        uint8_t *g = realloc(b->p, cap);
        if (!g)
            return false;
        b->p = g;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return true;
}

/* Header + the rank's finished results (taken out of the context). */
static bool pack_results(rank_ctx *r, buf *b, int32_t free_slots)
{
    req_head h;
    memset(&h, 0, sizeof h);
    pthread_mutex_lock(&r->lock);
    h.free = free_slots;
    h.nresults = (int32_t)r->nres;
    h.stats = r->stats;
    bool ok = put(b, &h, sizeof h) && put(b, r->results, r->nres * sizeof *r->results);
    r->nres = 0;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static int recv_bytes(int src, int tag, buf *b, int *from)
{
    MPI_Status s;
    MPI_Probe(src, tag, MPI_COMM_WORLD, &s);
    int n;
    MPI_Get_count(&s, MPI_BYTE, &n);
    b->len = 0;
    if ((size_t)n > b->cap) {
        uint8_t *g = realloc(b->p, (size_t)n);
        if (!g)
            return PP_ENOMEM;
        b->p = g;
        b->cap = (size_t)n;
    }
    MPI_Recv(b->p, n, MPI_BYTE, s.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    b->len = (size_t)n;
    if (from)
        *from = s.MPI_SOURCE;
    return 0;
}

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* ---- rank 0 ---- */

typedef struct id_index {
    int64_t id;
    size_t job;
} id_index;

typedef struct master {
    pp_batch *b;
    const pp_batch_job *jobs;
    size_t njobs, next, outstanding;
    int nranks, finals;
    pp_mpi_rank_stats *ranks;
    /* journal mode */
    pp_queue *q;
    int64_t *qid;        /* per job */
    id_index *by_id;     /* sorted by id */
} master;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

/* Next job to hand out, or -1: the next pending one, or the journal's next
 * claim. */
static int64_t next_job(master *m, const pp_cancel *cancel)
{
    if (pp_canceled(cancel))
        return -1;
    /* ends: every claim takes a job out of the waiting ones, so the claims
     * run out; jobs of other runs in the journal are held and released at
     * the end, and a pre-failed one (an output collision) fails for good */
    while (m->q) {
        pp_job job;
        int64_t due;
        pp_err e;
        memset(&job, 0, sizeof job);
        int64_t now = pp_wall_ms();
        if (m->q->ops->claim(m->q, "mpi", now, (int64_t)24 * 3600 * 1000, &job, &due, &e) != 1)
            return -1;
        id_index key = {job.id, 0};
        const id_index *hit = bsearch(&key, m->by_id, m->njobs, sizeof *m->by_id, cmp_id);
        pp_job_clear(&job);
        if (!hit) /* not this run's */
            continue;
        const pp_batch_job *bj = &m->jobs[hit->job];
        if (bj->state == PP_JOB_FAILED) { /* failed before the start (an output collision) */
            pp_jstate state;
            m->q->ops->fail_job(m->q, key.id, "mpi", now, &bj->err, &state, &e);
            continue;
        }
        m->outstanding++;
        return (int64_t)hit->job;
    }
    if (m->q)
        return -1;
    while (m->next < m->njobs && m->jobs[m->next].state != PP_JOB_PENDING)
        m->next++;
    if (m->next >= m->njobs)
        return -1;
    m->outstanding++;
    return (int64_t)m->next++;
}

/* Records a job's outcome (in the journal first, when there is one). A job
 * the journal puts back to retrying stays pending here and is claimed again. */
static void finish(master *m, size_t job, int rc, const pp_err *e, const pp_process_stats *st)
{
    m->outstanding--;
    if (m->q) {
        pp_err qe;
        int64_t now = pp_wall_ms(), id = m->qid[job];
        if (rc == 0) {
            pp_job_times t = {st->decode_ns, st->filter_ns, st->encode_ns, st->total_ns};
            m->q->ops->complete(m->q, id, "mpi", now, &t, NULL, &qe);
        } else if (rc == PP_ECANCELED) {
            m->q->ops->release(m->q, id, "mpi", &qe);
        } else {
            pp_jstate state = PP_JS_FAILED;
            m->q->ops->fail_job(m->q, id, "mpi", now, e, &state, &qe);
            if (state == PP_JS_RETRYING)
                return;
        }
    }
    pp_batch_finish_job(m->b, job, rc, e, st);
}

static void take_results(master *m, const uint8_t *p, size_t len)
{
    const req_head *h = (const req_head *)p;
    const wire_result *w = (const wire_result *)(p + sizeof *h);
    for (int32_t i = 0; i < h->nresults && sizeof *h + (size_t)(i + 1) * sizeof *w <= len; i++) {
        pp_err e = {w[i].rc, ""};
        snprintf(e.msg, sizeof e.msg, "%s", w[i].msg);
        finish(m, (size_t)w[i].job, w[i].rc, &e, &w[i].st);
    }
}

static bool pack_task(buf *b, const master *m, int64_t job)
{
    const pp_batch_job *j = &m->jobs[job];
    int32_t pipe = (int32_t)j->pipe;
    uint32_t li = (uint32_t)strlen(j->in) + 1, lo = (uint32_t)strlen(j->out) + 1;
    return put(b, &job, sizeof job) && put(b, &pipe, sizeof pipe) && put(b, &li, sizeof li) &&
           put(b, &lo, sizeof lo) && put(b, j->in, li) && put(b, j->out, lo);
}

/* Answers one REQ or FINAL from another rank. */
static void serve(master *m, const pp_cancel *cancel, buf *in, buf *out)
{
    MPI_Status s;
    int flag;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_FINAL, MPI_COMM_WORLD, &flag, &s);
    if (flag) {
        int from;
        if (recv_bytes(s.MPI_SOURCE, TAG_FINAL, in, &from) == 0 && in->len >= sizeof(req_head)) {
            take_results(m, in->p, in->len);
            m->ranks[from] = ((const req_head *)in->p)->stats;
        }
        m->finals++;
        return;
    }
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, MPI_COMM_WORLD, &flag, &s);
    if (!flag)
        return;
    int from;
    if (recv_bytes(s.MPI_SOURCE, TAG_REQ, in, &from) < 0 || in->len < sizeof(req_head))
        return;
    take_results(m, in->p, in->len);
    int32_t want = ((const req_head *)in->p)->free, n = 0, stop = 0;
    out->len = 0;
    int32_t head[2] = {0, 0};
    put(out, head, sizeof head);
    for (; n < want; n++) {
        int64_t j = next_job(m, cancel);
        if (j < 0) {
            stop = 1;
            break;
        }
        pack_task(out, m, j);
    }
    memcpy(out->p, &n, sizeof n);
    memcpy(out->p + sizeof n, &stop, sizeof stop);
    MPI_Send(out->p, (int)out->len, MPI_BYTE, from, TAG_TASKS, MPI_COMM_WORLD);
}

/* Moves rank 0's own finished results into the batch. */
static void own_results(master *m, rank_ctx *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->nres;
    wire_result *w = r->results;
    r->results = NULL;
    r->nres = r->rcap = 0;
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        pp_err e = {w[i].rc, ""};
        snprintf(e.msg, sizeof e.msg, "%s", w[i].msg);
        finish(m, (size_t)w[i].job, w[i].rc, &e, &w[i].st);
    }
    free(w);
}

static void fill_own_queue(master *m, rank_ctx *r, int threads, const pp_cancel *cancel)
{
    pthread_mutex_lock(&r->lock);
    while (!r->stop && (int)r->qlen + r->running < threads) {
        int64_t j = next_job(m, cancel);
        if (j < 0) {
            r->stop = true;
            pthread_cond_broadcast(&r->work);
            break;
        }
        task t = {j, (int32_t)m->jobs[j].pipe, strdup(m->jobs[j].in), strdup(m->jobs[j].out)};
        if (!t.in || !t.out || !push_task(r, &t)) {
            free(t.in);
            free(t.out);
            m->outstanding--;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
}

static void run_master(master *m, rank_ctx *r, int threads, const pp_cancel *cancel)
{
    buf in = {0}, out = {0};
    for (;;) {
        serve(m, cancel, &in, &out);
        fill_own_queue(m, r, threads, cancel);
        own_results(m, r);
        pthread_mutex_lock(&r->lock);
        bool own_idle = r->stop && r->qlen == 0 && r->running == 0 && r->nres == 0;
        pthread_mutex_unlock(&r->lock);
        if (own_idle && m->finals == m->nranks - 1 && m->outstanding == 0)
            break;
        nap();
    }
    free(in.p);
    free(out.p);
}

/* ---- other ranks ---- */

static void unpack_tasks(rank_ctx *r, const buf *b, bool *stop)
{
    if (b->len < 2 * sizeof(int32_t))
        return;
    int32_t n, st;
    memcpy(&n, b->p, sizeof n);
    memcpy(&st, b->p + sizeof n, sizeof st);
    size_t at = 2 * sizeof(int32_t);
    pthread_mutex_lock(&r->lock);
    for (int32_t i = 0; i < n; i++) {
        task t;
        uint32_t li, lo;
        memcpy(&t.job, b->p + at, sizeof t.job);
        memcpy(&t.pipe, b->p + at + 8, sizeof t.pipe);
        memcpy(&li, b->p + at + 12, sizeof li);
        memcpy(&lo, b->p + at + 16, sizeof lo);
        at += 20;
        t.in = strndup((const char *)b->p + at, li);
        t.out = strndup((const char *)b->p + at + li, lo);
        at += li + lo;
        if (t.in && t.out)
            push_task(r, &t);
    }
    if (st) {
        r->stop = true;
        pthread_cond_broadcast(&r->work);
    }
    *stop = st != 0;
    pthread_mutex_unlock(&r->lock);
}

static void run_worker_rank(rank_ctx *r, int threads)
{
    buf msg = {0};
    bool waiting = false, stopped = false;
    for (;;) {
        if (waiting) {
            int flag;
            MPI_Iprobe(0, TAG_TASKS, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (flag && recv_bytes(0, TAG_TASKS, &msg, NULL) == 0) {
                unpack_tasks(r, &msg, &stopped);
                waiting = false;
            }
        }
        pthread_mutex_lock(&r->lock);
        int free_slots = threads - (int)r->qlen - r->running;
        bool drained = r->qlen == 0 && r->running == 0;
        pthread_mutex_unlock(&r->lock);
        if (stopped && drained)
            break;
        if (!waiting && !stopped && free_slots > 0) {
            msg.len = 0;
            if (pack_results(r, &msg, free_slots)) {
                MPI_Send(msg.p, (int)msg.len, MPI_BYTE, 0, TAG_REQ, MPI_COMM_WORLD);
                waiting = true;
            }
        }
        nap();
    }
    msg.len = 0;
    pack_results(r, &msg, 0);
    MPI_Send(msg.p, (int)msg.len, MPI_BYTE, 0, TAG_FINAL, MPI_COMM_WORLD);
    free(msg.p);
}

/* ---- the journal ---- */

typedef struct journal_seed {
    master *m;
} journal_seed;

/* A job the journal already knew: done ones are skipped, ones that failed
 * before are reported as failed again. */
static int note_known(const pp_job *j, void *ctx)
{
    master *m = ctx;
    id_index key = {j->id, 0};
    const id_index *hit = bsearch(&key, m->by_id, m->njobs, sizeof *m->by_id, cmp_id);
    if (!hit || m->jobs[hit->job].state != PP_JOB_PENDING) /* e.g. a collision, counted */
        return 0;
    if (j->state == PP_JS_DONE) {
        pp_batch_skip_job(m->b, hit->job);
    } else if (j->state == PP_JS_FAILED) {
        pp_err e = {j->error_code ? j->error_code : PP_ECORRUPT, ""};
        snprintf(e.msg, sizeof e.msg, "%s", j->error ? j->error : "failed in an earlier run");
        pp_batch_finish_job(m->b, hit->job, e.code, &e, NULL);
    }
    return 0;
}

/* Opens the journal, re-queues what a killed run left running, enqueues
 * every job and learns what was done before. */
static int open_journal(master *m, const pp_named_pipeline *pipes, const pp_batch_opts *bo,
                        const char *dir, pp_err *err)
{
    pp_queue_opts qo;
    pp_queue_opts_default(&qo);
    qo.create = true;
    qo.retry_delay_ms = 0;
    int rc = pp_mkdirs(dir, err);
    if (rc < 0 || !(m->q = pp_queue_open(dir, &qo, err)))
        return rc < 0 ? rc : (err ? err->code : PP_EIO);
    int64_t now = pp_wall_ms();
    if ((rc = m->q->ops->requeue_expired(m->q, now, INT64_MAX, NULL, NULL, err)) < 0)
        return rc;
    size_t n = m->njobs;
    pp_job_spec *specs = calloc(n ? n : 1, sizeof *specs);
    char **strs = calloc(n ? 3 * n : 1, sizeof *strs);
    char *opts = pp_process_opts_text(&bo->proc);
    m->qid = calloc(n ? n : 1, sizeof *m->qid);
    m->by_id = calloc(n ? n : 1, sizeof *m->by_id);
    bool *created = calloc(n ? n : 1, sizeof *created);
    rc = specs && strs && opts && m->qid && m->by_id && created ? 0 : PP_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const pp_batch_job *j = &m->jobs[i];
        char *hash = NULL, *canon = pp_pipeline_canonical(pipes[j->pipe].pipeline);
        if (asprintf(&hash, "stat:%llu:%lld", (unsigned long long)j->size,
                     (long long)j->mtime_ns) < 0)
            hash = NULL;
        strs[3 * i] = hash;
        strs[3 * i + 1] = canon;
        if (!hash || !canon) {
            rc = PP_ENOMEM;
            break;
        }
        specs[i] = (pp_job_spec){j->in, hash, j->size, pipes[j->pipe].name[0] ? pipes[j->pipe].name
                                                                              : "-",
                                 canon, opts, j->out};
    }
    if (rc == 0)
        rc = m->q->ops->enqueue(m->q, specs, n, now, created, m->qid, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        m->by_id[i] = (id_index){m->qid[i], i};
    if (rc == 0) {
        qsort(m->by_id, n, sizeof *m->by_id, cmp_id);
        pp_job_filter f = {0, -1, NULL, NULL, false};
        rc = m->q->ops->list(m->q, &f, note_known, m, err);
    }
    if (rc == PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "out of memory");
    for (size_t i = 0; strs && i < 3 * n; i++)
        free(strs[i]);
    free(strs);
    free(specs);
    free(opts);
    free(created);
    return rc;
}

/* ---- entry ---- */

static void ctx_init(rank_ctx *r, const pp_named_pipeline *pipes, const pp_batch_opts *bo)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->work, NULL);
    pthread_cond_init(&r->news, NULL);
    r->pipes = pipes;
    r->bo = bo;
}

static void ctx_free(rank_ctx *r)
{
    for (size_t i = 0; i < r->qlen; i++) {
        free(r->queue[(r->qhead + i) % r->qcap].in);
        free(r->queue[(r->qhead + i) % r->qcap].out);
    }
    free(r->queue);
    free(r->results);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->news);
}

static void join_workers(rank_ctx *r, pthread_t *th, int n)
{
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static int start_workers(rank_ctx *r, pthread_t *th, int n, pp_err *err)
{
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, worker, r) != 0) {
            join_workers(r, th, i);
            return pp_err_set(err, PP_ENOMEM, "cannot start worker thread %d", i + 1);
        }
    return 0;
}

int pp_mpi_batch(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                 size_t npipes, const pp_mpi_batch_opts *o, pp_mpi_batch_result *res,
                 pp_err *err)
{
    int rank = pp_mpi_rank(), nranks = pp_mpi_size();
    int threads = o->batch.threads > 0 ? o->batch.threads : 1;
    memset(res, 0, sizeof *res);
    res->nranks = nranks;
    /* Rank 0 scans; every rank learns whether it may start. */
    pp_batch *b = NULL;
    int ok = 1;
    if (rank == 0) {
        b = pp_batch_new(in_dir, out_dir, pipes, npipes, &o->batch, err);
        ok = b && pp_batch_begin(b, o->progress, o->progress_ctx, err) == 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok) {
        pp_batch_free(b);
        return rank == 0 ? (err && err->code ? err->code : PP_EIO) : PP_EIO;
    }
    rank_ctx r;
    ctx_init(&r, pipes, &o->batch);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    pp_mpi_rank_stats *ranks = rank == 0 ? calloc((size_t)nranks, sizeof *ranks) : NULL;
    int rc = th && (rank != 0 || ranks) ? start_workers(&r, th, threads, err)
                                        : pp_err_set(err, PP_ENOMEM, "out of memory");
    /* every rank runs its loop or none does: a missing rank would hang the others */
    int started = rc == 0, all_started = 0;
    MPI_Allreduce(&started, &all_started, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc == 0 && !all_started) {
        join_workers(&r, th, threads);
        rc = pp_err_set(err, PP_EIO, "another rank could not start its threads");
    }
    uint64_t t0 = pp_clock_ns();
    if (rc == 0) {
        if (rank == 0) {
            master m = {b, NULL, 0, 0, 0, nranks, 0, ranks, NULL, NULL, NULL};
            ranks = NULL; /* res->ranks owns it */
            m.njobs = pp_batch_jobs(b, &m.jobs);
            if (o->state_dir && open_journal(&m, pipes, &o->batch, o->state_dir, err) < 0) {
                rc = err ? err->code : PP_EIO;
                /* the other ranks are waiting for work: tell them there is none */
                m.next = m.njobs;
                pp_queue_close(m.q);
                m.q = NULL;
            }
            run_master(&m, &r, threads, o->batch.cancel);
            join_workers(&r, th, threads);
            if (m.q) { /* give back jobs of other runs that the claims held */
                pp_err qe;
                m.q->ops->release(m.q, 0, "mpi", &qe);
            }
            pp_queue_close(m.q);
            free(m.qid);
            free(m.by_id);
            m.ranks[0] = r.stats;
            res->ranks = m.ranks;
            pp_batch_progress p = pp_batch_state(b);
            res->total = p.total;
            res->done = p.done;
            res->failed = p.failed;
            res->skipped = p.uptodate;
            res->bytes_in = p.bytes_in;
        } else {
            run_worker_rank(&r, threads);
            join_workers(&r, th, threads);
        }
    }
    res->wall_ns = pp_clock_ns() - t0;
    free(ranks);
    free(th);
    ctx_free(&r);
    if (rank == 0 && rc == 0 && pp_canceled(o->batch.cancel))
        rc = pp_err_set(err, PP_ECANCELED, "interrupted");
    if (rank == 0)
        res->batch = b;
    return rc;
}
