/* Unit tests for src/queue: the job state machine of the local journal,
 * through the pp_queue interface only. Times are passed in, so every
 * backoff and lease decision is checked without sleeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pixpipe/queue.h"
#include "pixpipe/store.h"
#include "testutil.h"

#define T0 1700000000000ll /* a fixed "now", in epoch ms */

typedef struct fixture {
    char *dir;
    pp_queue *q;
} fixture;

static pp_queue *open_q(const char *dir, int max_attempts, bool create)
{
    pp_queue_opts o;
    pp_queue_opts_default(&o);
    o.max_attempts = max_attempts;
    o.retry_delay_ms = 1000;
    o.retry_max_ms = 8000;
    o.create = create;
    pp_err err;
    pp_queue *q = pp_queue_open(dir, &o, &err);
    if (create && !q)
        fail_msg("pp_queue_open: %s", err.msg);
    return q;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    f->q = open_q(f->dir, 3, true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pp_queue_close(f->q);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The output is NAME/SOURCE, as watch names it; the text lives in a ring of
 * buffers long enough for the specs of one test step. */
static pp_job_spec spec(const char *source, const char *hash, const char *name)
{
    static char outs[16][64];
    static unsigned next;
    char *out = outs[next++ % 16];
    snprintf(out, sizeof outs[0], "%s/%s", name, source);
    return (pp_job_spec){source, hash, 100, name, "grayscale", "format=auto", out};
}

static int64_t enqueue1(pp_queue *q, pp_job_spec s, int64_t now, bool *created)
{
    pp_err err;
    int64_t id = 0;
    bool c = false;
    assert_int_equal(q->ops->enqueue(q, &s, 1, now, &c, &id, &err), 0);
    if (created)
        *created = c;
    return id;
}

/* Claims as worker; returns the job id, 0 when none. */
static int64_t claim(pp_queue *q, const char *worker, int64_t now, pp_job *out, int64_t *next_due)
{
    pp_err err;
    pp_job j;
    int64_t due = 0;
    int rc = q->ops->claim(q, worker, now, 30000, &j, &due, &err);
    assert_true(rc >= 0);
    if (next_due)
        *next_due = due;
    if (rc == 0)
        return 0;
    int64_t id = j.id;
    if (out)
        *out = j;
    else
        pp_job_clear(&j);
    return id;
}

typedef struct found {
    int n;
    pp_job last;
} found;

static int keep_last(const pp_job *j, void *ctx)
{
    found *f = ctx;
    f->n++;
    pp_job_clear(&f->last);
    f->last = *j;
    f->last.source = strdup(j->source);
    f->last.hash = strdup(j->hash);
    f->last.name = strdup(j->name);
    f->last.pipeline = strdup(j->pipeline);
    f->last.opts = strdup(j->opts);
    f->last.output = strdup(j->output);
    f->last.worker = j->worker ? strdup(j->worker) : NULL;
    f->last.error = j->error ? strdup(j->error) : NULL;
    f->last.quarantine = j->quarantine ? strdup(j->quarantine) : NULL;
    return 0;
}

/* The job with this id, as the queue has it now. */
static pp_job get(pp_queue *q, int64_t id)
{
    found f = {0};
    pp_job_filter flt = {id, -1, NULL, NULL, false};
    pp_err err;
    assert_int_equal(q->ops->list(q, &flt, keep_last, &f, &err), 0);
    assert_int_equal(f.n, 1);
    return f.last;
}

static pp_jstate state_of(pp_queue *q, int64_t id)
{
    pp_job j = get(q, id);
    pp_jstate s = j.state;
    pp_job_clear(&j);
    return s;
}

static void test_enqueue_dedups_identity(void **state)
{
    fixture *f = *state;
    bool c;
    int64_t a = enqueue1(f->q, spec("a.png", "h64:1", "gray"), T0, &c);
    assert_true(c);
    int64_t again = enqueue1(f->q, spec("a.png", "h64:1", "gray"), T0 + 5, &c);
    assert_false(c);
    assert_int_equal(again, a);
    /* new content, another pipeline name, another source: new jobs */
    int64_t b = enqueue1(f->q, spec("a.png", "h64:2", "gray"), T0, &c);
    assert_true(c);
    assert_int_not_equal(b, a);
    enqueue1(f->q, spec("a.png", "h64:1", "edges"), T0, &c);
    assert_true(c);
    enqueue1(f->q, spec("b.png", "h64:1", "gray"), T0, &c);
    assert_true(c);
    /* several specs in one call */
    pp_job_spec two[2] = {spec("c.png", "h64:3", "gray"), spec("a.png", "h64:1", "gray")};
    bool created[2];
    int64_t ids[2];
    pp_err err;
    assert_int_equal(f->q->ops->enqueue(f->q, two, 2, T0, created, ids, &err), 0);
    assert_true(created[0]);
    assert_false(created[1]);
    assert_int_equal(ids[1], a);
    uint64_t counts[PP_JS_COUNT];
    assert_int_equal(f->q->ops->count(f->q, counts, &err), 0);
    assert_int_equal(counts[PP_JS_QUEUED], 5);
    pp_job j = get(f->q, a);
    assert_string_equal(j.source, "a.png");
    assert_string_equal(j.hash, "h64:1");
    assert_string_equal(j.pipeline, "grayscale");
    assert_string_equal(j.output, "gray/a.png");
    assert_int_equal(j.queued_ms, T0);
    assert_int_equal(j.attempts, 0);
    assert_null(j.worker);
    pp_job_clear(&j);
}

static void test_claim_is_fifo_and_exclusive(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    pp_job j;
    assert_int_equal(claim(f->q, "w1", T0 + 10, &j, NULL), a);
    assert_int_equal(j.state, PP_JS_RUNNING);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.worker, "w1");
    assert_int_equal(j.lease_ms, T0 + 10 + 30000);
    assert_int_equal(j.started_ms, T0 + 10);
    pp_job_clear(&j);
    assert_int_equal(claim(f->q, "w2", T0 + 11, NULL, NULL), b);
    int64_t due = 0;
    assert_int_equal(claim(f->q, "w3", T0 + 12, NULL, &due), 0);
    assert_int_equal(due, -1); /* nothing waits at all */
}

/* A rewritten file's new job waits while the old content's job writes the
 * same output, and may not even be reported as due; then it runs. */
static void test_one_writer_per_output(void **state)
{
    fixture *f = *state;
    int64_t old = enqueue1(f->q, spec("a.png", "h64:1", "p"), T0, NULL);
    assert_int_equal(claim(f->q, "w1", T0 + 1, NULL, NULL), old);
    int64_t fresh = enqueue1(f->q, spec("a.png", "h64:2", "p"), T0 + 2, NULL);
    int64_t other = enqueue1(f->q, spec("b.png", "h64:1", "p"), T0 + 2, NULL);
    int64_t due = 0;
    assert_int_equal(claim(f->q, "w2", T0 + 3, NULL, &due), other);
    assert_int_equal(claim(f->q, "w3", T0 + 4, NULL, &due), 0);
    assert_int_equal(due, -1);
    pp_job_times t = {1, 2, 3, 6};
    pp_err err;
    assert_int_equal(f->q->ops->complete(f->q, old, "w1", T0 + 5, &t, NULL, &err), 0);
    assert_int_equal(claim(f->q, "w3", T0 + 6, NULL, NULL), fresh);
}

/* a.jpg and a.png both naming p/a.webp: the first queued keeps the output,
 * whatever later content either source gets. */
static void test_output_owner_is_the_first_source(void **state)
{
    fixture *f = *state;
    pp_job_spec jpg = spec("a.jpg", "h64:1", "p"), png = spec("a.png", "h64:2", "p");
    jpg.output = png.output = "p/a.webp";
    enqueue1(f->q, jpg, T0, NULL);
    enqueue1(f->q, png, T0 + 1, NULL);
    jpg.hash = "h64:3"; /* a.jpg rewritten */
    enqueue1(f->q, jpg, T0 + 2, NULL);
    pp_err err;
    char *owner = (char *)"unset";
    assert_int_equal(f->q->ops->output_owner(f->q, "p/a.webp", "a.jpg", &owner, &err), 0);
    assert_null(owner);
    assert_int_equal(f->q->ops->output_owner(f->q, "p/a.webp", "a.png", &owner, &err), 0);
    assert_non_null(owner);
    assert_string_equal(owner, "a.jpg");
    free(owner);
    assert_int_equal(f->q->ops->output_owner(f->q, "p/b.webp", "b.png", &owner, &err), 0);
    assert_null(owner);
}

/* An enqueue with an mtime remembers the hash for (source, size, mtime):
 * known_hash answers only for those, the next such enqueue replaces it, and
 * it survives a reopen. One without an mtime remembers nothing. */
static void test_remembered_hashes(void **state)
{
    fixture *f = *state;
    pp_queue *q = f->q;
    pp_err err;
    char h[PP_HASH_TEXT_MAX] = "";
    pp_job_spec s = spec("a.png", "h64:00000000000000aa", "p");
    enqueue1(q, s, T0, NULL);
    assert_int_equal(q->ops->known_hash(q, "a.png", s.size, 0, h, &err), 0);
    s.mtime_ns = 5;
    enqueue1(q, s, T0, NULL);
    assert_int_equal(q->ops->known_hash(q, "a.png", s.size, 5, h, &err), 1);
    assert_string_equal(h, "h64:00000000000000aa");
    assert_int_equal(q->ops->known_hash(q, "a.png", s.size, 6, h, &err), 0); /* touched */
    assert_int_equal(q->ops->known_hash(q, "a.png", s.size + 1, 5, h, &err), 0); /* resized */
    assert_int_equal(q->ops->known_hash(q, "b.png", s.size, 5, h, &err), 0);
    pp_job_spec t = spec("a.png", "h64:00000000000000bb", "p");
    t.mtime_ns = 7;
    enqueue1(q, t, T0 + 1, NULL);
    assert_int_equal(q->ops->known_hash(q, "a.png", s.size, 5, h, &err), 0);
    q->ops->close(q);
    f->q = q = open_q(f->dir, 3, false);
    assert_int_equal(q->ops->known_hash(q, "a.png", t.size, 7, h, &err), 1);
    assert_string_equal(h, "h64:00000000000000bb");
}

static void test_complete(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    pp_err err;
    pp_job_times t = {1000, 2000, 3000, 6500};
    /* only the holder may complete it */
    assert_int_equal(f->q->ops->complete(f->q, a, "w2", T0 + 50, &t, NULL, &err), PP_ENOENT);
    assert_int_equal(f->q->ops->complete(f->q, a, "w1", T0 + 50, &t, NULL, &err), 0);
    pp_job j = get(f->q, a);
    assert_int_equal(j.state, PP_JS_DONE);
    assert_int_equal(j.finished_ms, T0 + 50);
    assert_int_equal(j.decode_ns, 1000);
    assert_int_equal(j.filter_ns, 2000);
    assert_int_equal(j.encode_ns, 3000);
    assert_int_equal(j.total_ns, 6500);
    assert_null(j.error);
    pp_job_clear(&j);
    /* done is final: no second completion, no claim */
    assert_int_equal(f->q->ops->complete(f->q, a, "w1", T0 + 60, &t, NULL, &err), PP_ENOENT);
    assert_int_equal(claim(f->q, "w1", T0 + 70, NULL, NULL), 0);
    /* a note is kept */
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    assert_int_equal(f->q->ops->complete(f->q, b, "w1", T0, NULL, "skipped: gone", &err), 0);
    j = get(f->q, b);
    assert_string_equal(j.error, "skipped: gone");
    pp_job_clear(&j);
}

static void test_transient_failures_back_off_then_fail(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    pp_err why, err;
    pp_err_set(&why, PP_EIO, "disk hiccup");
    pp_jstate s;
    int64_t now = T0, due;
    int64_t backoff[] = {1000, 2000};
    for (int attempt = 1; attempt <= 2; attempt++) {
        assert_int_equal(claim(f->q, "w1", now, NULL, NULL), a);
        assert_int_equal(f->q->ops->fail_job(f->q, a, "w1", now, &why, &s, &err), 0);
        assert_int_equal(s, PP_JS_RETRYING);
        /* not claimable before its backoff; the claim says when */
        assert_int_equal(claim(f->q, "w1", now + backoff[attempt - 1] - 1, NULL, &due), 0);
        assert_int_equal(due, now + backoff[attempt - 1]);
        now += backoff[attempt - 1];
    }
    pp_job j;
    assert_int_equal(claim(f->q, "w1", now, &j, NULL), a);
    assert_int_equal(j.attempts, 3);
    assert_string_equal(j.error, "disk hiccup"); /* the last error stays visible */
    pp_job_clear(&j);
    assert_int_equal(f->q->ops->fail_job(f->q, a, "w1", now + 5, &why, &s, &err), 0);
    assert_int_equal(s, PP_JS_FAILED); /* max_attempts = 3 */
    j = get(f->q, a);
    assert_int_equal(j.state, PP_JS_FAILED);
    assert_int_equal(j.error_code, PP_EIO);
    assert_int_equal(j.finished_ms, now + 5);
    pp_job_clear(&j);
    assert_int_equal(claim(f->q, "w1", now + 100000, NULL, &due), 0);
    assert_int_equal(due, -1);
}

static void test_permanent_failure_is_final_at_once(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    pp_err why, err;
    pp_err_set(&why, PP_ECORRUPT, "a.png: JPEG: premature end");
    pp_jstate s;
    assert_int_equal(f->q->ops->fail_job(f->q, a, "w1", T0, &why, &s, &err), 0);
    assert_int_equal(s, PP_JS_FAILED);
    pp_job j = get(f->q, a);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.error, "a.png: JPEG: premature end");
    pp_job_clear(&j);
    /* only the holder may fail it */
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    assert_int_equal(f->q->ops->fail_job(f->q, b, "w9", T0, &why, &s, &err), PP_ENOENT);
}

static void test_release_gives_the_attempt_back(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    int64_t c = enqueue1(f->q, spec("c.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    claim(f->q, "w2", T0, NULL, NULL);
    claim(f->q, "w2", T0, NULL, NULL);
    pp_err err;
    assert_int_equal(f->q->ops->release(f->q, a, "w2", &err), PP_ENOENT);
    assert_int_equal(f->q->ops->release(f->q, a, "w1", &err), 1);
    pp_job j = get(f->q, a);
    assert_int_equal(j.state, PP_JS_QUEUED);
    assert_int_equal(j.attempts, 0);
    pp_job_clear(&j);
    /* id 0: every job of the worker */
    assert_int_equal(f->q->ops->release(f->q, 0, "w2", &err), 2);
    assert_int_equal(state_of(f->q, b), PP_JS_QUEUED);
    assert_int_equal(state_of(f->q, c), PP_JS_QUEUED);
    assert_int_equal(claim(f->q, "w3", T0, NULL, NULL), a);
}

typedef struct seen {
    int n;
    pp_jstate states[8];
} seen;

static int note_state(const pp_job *j, void *ctx)
{
    seen *s = ctx;
    s->states[s->n++ % 8] = j->state;
    return 0;
}

static void test_abandon_fails_the_dead_workers_jobs(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    claim(f->q, "w2", T0, NULL, NULL);
    pp_err why, err;
    pp_err_set(&why, PP_EINTERNAL, "worker w1 was killed by signal 9");
    seen s = {0};
    assert_int_equal(f->q->ops->abandon(f->q, "w1", T0 + 1, &why, note_state, &s, &err), 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.states[0], PP_JS_RETRYING); /* a crash costs an attempt */
    assert_int_equal(state_of(f->q, a), PP_JS_RETRYING);
    assert_int_equal(state_of(f->q, b), PP_JS_RUNNING);
    /* the last attempt: a death makes it final */
    int64_t now = T0 + 1;
    for (int attempt = 2; attempt <= 3; attempt++) {
        now += 10000;
        assert_int_equal(claim(f->q, "w3", now, NULL, NULL), a);
        assert_int_equal(f->q->ops->abandon(f->q, "w3", now, &why, NULL, NULL, &err), 1);
    }
    assert_int_equal(state_of(f->q, a), PP_JS_FAILED);
    assert_int_equal(f->q->ops->abandon(f->q, "nobody", now, &why, NULL, NULL, &err), 0);
}

static void test_leases_expire_and_renew(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    int64_t b = enqueue1(f->q, spec("b.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);        /* lease until T0 + 30000 */
    claim(f->q, "w2", T0 + 5000, NULL, NULL); /* until T0 + 35000 */
    pp_err err;
    assert_int_equal(f->q->ops->renew(f->q, a, "w1", T0 + 60000, &err), 0);
    assert_int_equal(f->q->ops->renew(f->q, a, "w2", T0 + 60000, &err), PP_ENOENT);
    seen s = {0};
    assert_int_equal(f->q->ops->requeue_expired(f->q, T0 + 40000, T0 + 40000, note_state, &s, &err),
                     1);
    assert_int_equal(state_of(f->q, b), PP_JS_RETRYING);
    assert_int_equal(state_of(f->q, a), PP_JS_RUNNING);
    pp_job j = get(f->q, b);
    assert_non_null(strstr(j.error, "lease expired"));
    pp_job_clear(&j);
    /* the old holder lost it */
    assert_int_equal(f->q->ops->renew(f->q, b, "w2", T0 + 70000, &err), PP_ENOENT);
    assert_int_equal(f->q->ops->complete(f->q, b, "w2", T0 + 70000, NULL, NULL, &err), PP_ENOENT);
    /* start-up: every lease counts as expired */
    assert_int_equal(f->q->ops->requeue_expired(f->q, T0 + 1, INT64_MAX, NULL, NULL, &err), 1);
    assert_int_equal(state_of(f->q, a), PP_JS_RETRYING);
}

static int count_cb(const pp_job *j, void *ctx)
{
    (void)j;
    (*(int *)ctx)++;
    return 0;
}

static int list_n(pp_queue *q, pp_job_filter flt)
{
    int n = 0;
    pp_err err;
    assert_int_equal(q->ops->list(q, &flt, count_cb, &n, &err), 0);
    return n;
}

static void test_list_filters_and_quarantine(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h1", "p"), T0, NULL);
    enqueue1(f->q, spec("a.png", "h1", "q"), T0, NULL);
    enqueue1(f->q, spec("a.png", "h2", "p"), T0, NULL);
    enqueue1(f->q, spec("b.png", "h1", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    pp_err why, err;
    pp_err_set(&why, PP_EFORMAT, "not an image");
    pp_jstate s;
    assert_int_equal(f->q->ops->fail_job(f->q, a, "w1", T0, &why, &s, &err), 0);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, -1, NULL, NULL, false}), 4);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, -1, "a.png", NULL, false}), 3);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, -1, "a.png", "h1", false}), 2);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, PP_JS_QUEUED, NULL, NULL, false}), 3);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, PP_JS_FAILED, NULL, NULL, true}), 1);
    assert_int_equal(list_n(f->q, (pp_job_filter){a, -1, NULL, NULL, false}), 1);
    assert_int_equal(f->q->ops->set_quarantine(f->q, a, "_failed/a.png", &err), 0);
    assert_int_equal(list_n(f->q, (pp_job_filter){0, PP_JS_FAILED, NULL, NULL, true}), 0);
    pp_job j = get(f->q, a);
    assert_string_equal(j.quarantine, "_failed/a.png");
    pp_job_clear(&j);
    uint64_t counts[PP_JS_COUNT];
    assert_int_equal(f->q->ops->count(f->q, counts, &err), 0);
    assert_int_equal(counts[PP_JS_QUEUED], 3);
    assert_int_equal(counts[PP_JS_FAILED], 1);
    assert_int_equal(counts[PP_JS_RUNNING] + counts[PP_JS_DONE] + counts[PP_JS_RETRYING], 0);
}

static void test_survives_reopen(void **state)
{
    fixture *f = *state;
    int64_t a = enqueue1(f->q, spec("a.png", "h", "p"), T0, NULL);
    claim(f->q, "w1", T0, NULL, NULL);
    pp_queue_close(f->q);
    f->q = open_q(f->dir, 3, false); /* an existing journal opens without create */
    assert_non_null(f->q);
    pp_job j = get(f->q, a);
    assert_int_equal(j.state, PP_JS_RUNNING);
    assert_string_equal(j.worker, "w1");
    pp_job_clear(&j);
    /* a missing journal is not created unless asked */
    char *empty = tu_mkdtemp();
    pp_queue_opts o;
    pp_queue_opts_default(&o);
    pp_err err;
    assert_null(pp_queue_open(empty, &o, &err));
    assert_int_equal(err.code, PP_ENOENT);
    tu_rmtree(empty);
    free(empty);
    /* other schemes are later backends */
    assert_null(pp_queue_open("redis://127.0.0.1:6379/jobs", &o, &err));
    assert_int_equal(err.code, PP_ENOTBUILT);
    /* a journal of another schema version is refused, even when opening
     * with create: SQLite keeps user_version big-endian at byte 60 */
    pp_queue_close(f->q);
    char path[512];
    snprintf(path, sizeof path, "%s/journal.db", f->dir);
    FILE *db = fopen(path, "r+b");
    assert_non_null(db);
    static const unsigned char v2[4] = {0, 0, 0, 2};
    assert_int_equal(fseek(db, 60, SEEK_SET), 0);
    assert_int_equal(fwrite(v2, 1, 4, db), 4);
    assert_int_equal(fclose(db), 0);
    pp_queue_opts_default(&o);
    o.create = true;
    f->q = pp_queue_open(f->dir, &o, &err);
    assert_null(f->q);
    assert_int_equal(err.code, PP_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "version 2"));
}

/* Several processes, each with its own connection, claim from one journal:
 * every job is claimed exactly once. */
static void test_processes_never_claim_twice(void **state)
{
    fixture *f = *state;
    enum { JOBS = 120, PROCS = 4 };
    for (int i = 0; i < JOBS; i++) {
        char name[32];
        snprintf(name, sizeof name, "img%d.png", i);
        enqueue1(f->q, spec(name, "h", "p"), T0, NULL);
    }
    pp_queue_close(f->q); /* never carry a connection across fork */
    f->q = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kids[PROCS];
    for (int k = 0; k < PROCS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(fds[0]);
            pp_queue *q = open_q(f->dir, 3, false);
            char worker[16];
            snprintf(worker, sizeof worker, "w%d", k);
            int status = q ? 0 : 1;
            for (int n = 0; q && n < JOBS; n++) {
                pp_job j;
                pp_err err;
                int rc = q->ops->claim(q, worker, T0, 30000, &j, NULL, &err);
                if (rc <= 0) {
                    status = rc < 0;
                    break;
                }
                if (q->ops->complete(q, j.id, worker, T0, NULL, NULL, &err) < 0)
                    status = 1;
                if (write(fds[1], &j.id, sizeof j.id) != sizeof j.id)
                    status = 1;
                pp_job_clear(&j);
            }
            pp_queue_close(q);
            _exit(status);
        }
    }
    close(fds[1]);
    int hits[JOBS + 1] = {0};
    int64_t id;
    int total = 0;
    while (read(fds[0], &id, sizeof id) == sizeof id) {
        assert_true(id >= 1 && id <= JOBS);
        hits[id]++;
        total++;
    }
    close(fds[0]);
    for (int k = 0; k < PROCS; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(total, JOBS);
    for (int i = 1; i <= JOBS; i++)
        assert_int_equal(hits[i], 1);
    f->q = open_q(f->dir, 3, false);
    uint64_t counts[PP_JS_COUNT];
    pp_err err;
    assert_int_equal(f->q->ops->count(f->q, counts, &err), 0);
    assert_int_equal(counts[PP_JS_DONE], JOBS);
}

static void test_backoff_and_names(void **state)
{
    (void)state;
    pp_queue_opts o;
    pp_queue_opts_default(&o);
    assert_int_equal(o.max_attempts, 3);
    o.retry_delay_ms = 500;
    o.retry_max_ms = 3000;
    assert_int_equal(pp_queue_backoff_ms(&o, 1), 500);
    assert_int_equal(pp_queue_backoff_ms(&o, 2), 1000);
    assert_int_equal(pp_queue_backoff_ms(&o, 3), 2000);
    assert_int_equal(pp_queue_backoff_ms(&o, 4), 3000);
    assert_int_equal(pp_queue_backoff_ms(&o, 60), 3000);
    for (int s = 0; s < PP_JS_COUNT; s++)
        assert_int_equal(pp_jstate_from_name(pp_jstate_name((pp_jstate)s)), s);
    assert_int_equal(pp_jstate_from_name("sleeping"), -1);
    assert_true(pp_queue_available());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_dedups_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_is_fifo_and_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remembered_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_writer_per_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_owner_is_the_first_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient_failures_back_off_then_fail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permanent_failure_is_final_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_gives_the_attempt_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandon_fails_the_dead_workers_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leases_expire_and_renew, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_quarantine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processes_never_claim_twice, setup, teardown),
        cmocka_unit_test(test_backoff_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
