/* pixpipe job queues: how jobs travel from the watcher to the workers, and
 * the durable record of every job.
 *
 * Backends: the local journal now (SQLite in WAL mode, spec "DIR" meaning
 * DIR/journal.db); Redis Streams and RabbitMQ later, behind the same ops
 * table. The engine opens a queue by its spec (pp_queue_open) and only calls
 * through the ops, never a backend by name.
 *
 * A job is one (source item with a given content hash, named pipeline). Its
 * identity is (source, hash, name, pipeline, opts): enqueueing the same
 * identity twice keeps the first job, so the same content is never queued
 * twice for the same output. A changed file (new hash) makes new jobs.
 *
 * State machine (the queue owns it; every change is committed before the
 * call returns, so before the caller acts on it):
 *
 *      enqueue           claim                complete
 *   ---------> queued ----------> running -------------> done
 *                ^  ^                | |  fail: permanent code, or the
 *                |  | release        | |  last attempt  /  expired lease
 *                |  +--(shutdown)----+ |  on the last attempt
 *                |                     +------------------------> failed
 *                |  claim once due     | fail: transient / abandon /
 *             retrying <---------------+ expired lease (attempts left)
 *
 *  - claim increments attempts; release (a graceful stop) gives it back.
 *  - retrying jobs wait not_before = now + retry_delay * 2^(attempts-1)
 *    (capped at retry_max) before a claim may take them.
 *  - A lease (lease_ms after claim or the last renew) bounds how long a
 *    running job may go unconfirmed; requeue_expired treats a job whose
 *    lease ran out like a transient failure.
 *
 * Ownership: pp_job strings are malloc'd and owned by the pp_job; free them
 * with pp_job_clear. Callbacks get jobs valid during the call only.
 * Processes and threads: a pp_queue is one connection, used by one thread at
 * a time, and never carried across fork(); each process opens its own. Many
 * processes may use the same journal at once.
 */
#ifndef PIXPIPE_QUEUE_H
#define PIXPIPE_QUEUE_H

#include <stdint.h>

#include "pixpipe/base.h"

typedef enum pp_jstate {
    PP_JS_QUEUED = 0,
    PP_JS_RUNNING,
    PP_JS_DONE,
    PP_JS_RETRYING,
    PP_JS_FAILED,
    PP_JS_COUNT
} pp_jstate;

/* "queued", "running", "done", "retrying", "failed". */
const char *pp_jstate_name(pp_jstate s);
/* From a name; -1 when unknown. */
int pp_jstate_from_name(const char *name);

/* What a job is: everything a worker needs to run it. */
typedef struct pp_job_spec {
    const char *source;   /* source key */
    const char *hash;     /* content hash text ("h64:...") */
    uint64_t size;        /* source bytes */
    const char *name;     /* pipeline name */
    const char *pipeline; /* canonical pipeline text */
    const char *opts;     /* canonical codec options text (watch.h) */
    const char *output;   /* output key */
    int64_t mtime_ns;     /* > 0: the source's mtime when it was hashed, and the
                             queue remembers hash for (source, size, mtime_ns):
                             see known_hash. 0: nothing remembered. */
} pp_job_spec;

typedef struct pp_job {
    int64_t id;
    char *source, *hash, *name, *pipeline, *opts, *output;
    uint64_t size;
    pp_jstate state;
    int attempts;          /* claims so far, the current one included */
    char *worker;          /* who holds or last held it; NULL when never claimed */
    int64_t lease_ms;      /* running: lease expiry (wall-clock ms) */
    int64_t not_before_ms; /* retrying: earliest next claim */
    /* when it was queued, last started and finished (epoch ms; 0: not yet) */
    int64_t queued_ms, started_ms, finished_ms;
    /* where the time of a done job went (pp_process_stats) */
    uint64_t decode_ns, filter_ns, encode_ns, total_ns;
    int error_code;   /* PP_E* of the last failure, 0 when none */
    char *error;      /* last error message, or a note; NULL when none */
    char *quarantine; /* failed: quarantine key once stored, else NULL */
} pp_job;

void pp_job_clear(pp_job *j);

typedef struct pp_queue_opts {
    int max_attempts;       /* claims before a transient failure is final (>= 1) */
    int64_t retry_delay_ms; /* first backoff; doubles per attempt */
    int64_t retry_max_ms;   /* backoff cap */
    bool create;            /* create the journal when missing */
} pp_queue_opts;

void pp_queue_opts_default(pp_queue_opts *o);

/* Backoff before the next claim of a job that failed its attempts-th try. */
int64_t pp_queue_backoff_ms(const pp_queue_opts *o, int attempts);

/* Timing of a finished job (from pp_process_stats). */
typedef struct pp_job_times {
    uint64_t decode_ns, filter_ns, encode_ns, total_ns;
} pp_job_times;

/* Which jobs list returns: id 0, state < 0, source or hash NULL mean any. */
typedef struct pp_job_filter {
    int64_t id;
    int state;
    const char *source;
    const char *hash;
    bool unquarantined; /* only failed jobs not yet quarantined */
} pp_job_filter;

typedef int (*pp_job_fn)(const pp_job *j, void *ctx);

typedef struct pp_queue pp_queue;

typedef struct pp_queue_ops {
    /* Adds n jobs in one transaction. created[i] (may be NULL) tells whether
     * job i is new; ids[i] (may be NULL) receives its id either way. */
    int (*enqueue)(pp_queue *q, const pp_job_spec *specs, size_t n, int64_t now_ms, bool *created,
                   int64_t *ids, pp_err *err);
    /* Claims the oldest job that is queued, or retrying and due: it becomes
     * running, held by worker until now_ms + lease_ms. Returns 1 with *job
     * filled, 0 when none is ready (*next_due_ms: when the earliest retrying
     * job becomes due, or -1), or a negative code. */
    int (*claim)(pp_queue *q, const char *worker, int64_t now_ms, int64_t lease_ms, pp_job *job,
                 int64_t *next_due_ms, pp_err *err);
    /* Extends the lease of a job the worker holds. PP_ENOENT when it no
     * longer holds it (requeued meanwhile). */
    int (*renew)(pp_queue *q, int64_t id, const char *worker, int64_t until_ms, pp_err *err);
    /* running -> done. note (may be NULL) is kept as the job's message. */
    int (*complete)(pp_queue *q, int64_t id, const char *worker, int64_t now_ms,
                    const pp_job_times *t, const char *note, pp_err *err);
    /* running -> retrying or failed (see the state machine); *state gets the
     * new state. A permanent code fails at once. */
    int (*fail_job)(pp_queue *q, int64_t id, const char *worker, int64_t now_ms, const pp_err *why,
                    pp_jstate *state, pp_err *err);
    /* running -> queued, the attempt given back (graceful stop). id 0
     * releases every job the worker holds. Returns how many. */
    int (*release)(pp_queue *q, int64_t id, const char *worker, pp_err *err);
    /* Every job worker holds fails with `why` (the worker died or was
     * killed); fn (may be NULL) sees each afterwards. Returns how many. */
    int (*abandon)(pp_queue *q, const char *worker, int64_t now_ms, const pp_err *why, pp_job_fn fn,
                   void *ctx, pp_err *err);
    /* Every running job whose lease ends before before_ms fails as a
     * transient error ("lease expired"); fn sees each. Returns how many. */
    int (*requeue_expired)(pp_queue *q, int64_t now_ms, int64_t before_ms, pp_job_fn fn, void *ctx,
                           pp_err *err);
    /* Records where a failed job's input was quarantined. */
    int (*set_quarantine)(pp_queue *q, int64_t id, const char *where, pp_err *err);
    /* *owner (malloc'd) gets the source of the oldest job writing output
     * when that source is not `source`, else NULL: two sources that name
     * one output (a.jpg and a.png with --format webp) -- the first to
     * arrive keeps it. */
    int (*output_owner)(pp_queue *q, const char *output, const char *source, char **owner,
                        pp_err *err);
    /* Optional (NULL: nothing is remembered). The hash the last enqueue of
     * source with an mtime_ns remembered, if it was for this size and
     * modification time: 1 with hash filled (PP_HASH_TEXT_MAX bytes), else 0. */
    int (*known_hash)(pp_queue *q, const char *source, uint64_t size, int64_t mtime_ns,
                      char *hash, pp_err *err);
    /* Calls fn for each job matching f, oldest first. */
    int (*list)(pp_queue *q, const pp_job_filter *f, pp_job_fn fn, void *ctx, pp_err *err);
    /* Jobs per state into counts[PP_JS_COUNT]. */
    int (*count)(pp_queue *q, uint64_t *counts, pp_err *err);
    void (*close)(pp_queue *q);
} pp_queue_ops;

struct pp_queue {
    const pp_queue_ops *ops;
};

/* Opens a queue from its spec: a folder holding the local journal
 * (journal.db; created with o->create). PP_ENOTBUILT without SQLite;
 * PP_ENOENT when the journal is missing and !o->create. */
pp_queue *pp_queue_open(const char *spec, const pp_queue_opts *o, pp_err *err);
void pp_queue_close(pp_queue *q);

/* True when this build has the local journal (SQLite). */
bool pp_queue_available(void);

/* ---- backends (called by pp_queue_open only) ---- */
pp_queue *pp__queue_journal_open(const char *dir, const pp_queue_opts *o, pp_err *err);

#endif
