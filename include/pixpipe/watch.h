/* pixpipe watch: a folder watched by a supervisor, jobs in a durable queue,
 * worker processes that pull them (docs/engine.md has the whole story).
 *
 *   supervisor  pp_watch_run: finds complete input files (pp_source), hashes
 *               them, enqueues one job per (file content, named pipeline)
 *               (pp_queue), starts N worker processes, watches their
 *               heartbeats, kills hung ones, re-queues the jobs of dead ones,
 *               quarantines what finally fails (pp_sink) and stops cleanly.
 *   worker      pp_watch_worker_main: a separate process (the supervisor
 *               execs worker_cmd) that claims a job, runs pp_process_file on
 *               M threads, records the outcome, and asks for the next one.
 *
 * Both only talk to the store and the queue through their interfaces.
 *
 * Thread and process rules: pp_watch_run blocks its caller until *stop is
 * set (1: graceful stop, >= 2: stop now) or a fatal error; it forks and
 * waits for children, so call it from a single-threaded process.
 */
#ifndef PIXPIPE_WATCH_H
#define PIXPIPE_WATCH_H

#include <stdio.h>

#include "pixpipe/batch.h"
#include "pixpipe/queue.h"

typedef enum { PP_WLOG_LOGFMT = 0, PP_WLOG_JSON } pp_wlog_format;

typedef struct pp_watch_opts {
    const char *in_dir;
    const char *out_dir;
    const char *state_dir;          /* NULL: OUT_DIR/.pixpipe */
    const pp_named_pipeline *pipes; /* each with a non-empty name */
    size_t npipes;
    pp_process_opts proc;  /* codec options; pipeline, pool, threads, cancel unused */
    int workers;           /* worker processes, >= 1 */
    int threads;           /* threads per worker, >= 1 */
    double settle_s;       /* default 2 */
    double poll_s;         /* > 0: poll instead of inotify */
    double task_timeout_s; /* a job running longer is killed; default 600 */
    double grace_s;        /* on stop, running jobs may finish this long; default 30 */
    double retry_delay_s;  /* first retry backoff, doubling; default 1 */
    int max_attempts;      /* default 3 */
    const char *log_path;  /* NULL: stderr */
    pp_wlog_format log_format;
    const pp_cancel *stop;
    /* argv prefix that starts a worker process, NULL-terminated, e.g.
     * {"/proc/self/exe", "__worker", NULL}; the supervisor appends the
     * arguments pp_watch_worker_main reads. */
    const char *const *worker_cmd;
} pp_watch_opts;

void pp_watch_opts_default(pp_watch_opts *o);

/* Runs the supervisor until stopped. Returns 0 after a clean stop, or a
 * PP_E* code when it cannot start or the journal fails. */
int pp_watch_run(const pp_watch_opts *o, pp_err *err);

/* A worker process's main: argv[0] is ignored, the rest is what
 * pp_watch_run appended. Returns the process exit status. */
int pp_watch_worker_main(int argc, char **argv);

/* The state folder for an output folder: OUT_DIR/.pixpipe (malloc'd). */
char *pp_watch_state_dir(const char *out_dir, const char *state_dir);

/* ---- pixpipe jobs ---- */

/* Prints the jobs matching f: a table, or with json a JSON array. */
int pp_watch_list(pp_queue *q, const pp_job_filter *f, bool json, FILE *out, pp_err *err);

/* Prints counts by state, throughput and latency percentiles (decode,
 * filter, encode, processing, queue wait, end to end); or a JSON object. */
int pp_watch_stats(pp_queue *q, bool json, FILE *out, pp_err *err);

#endif
