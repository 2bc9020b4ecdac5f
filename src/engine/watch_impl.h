/* Internals shared by the supervisor (watch.c), the worker (watch_worker.c),
 * the event log (watch_log.c), job options (watch_job.c) and the reports
 * (watch_report.c).
 *
 * Supervisor <-> worker protocol. The worker reads fd WORKER_CTL_FD and
 * writes fd WORKER_STATUS_FD, both pipes to the supervisor. Every message is
 * one short line (under PIPE_BUF, so never torn):
 *   supervisor -> worker   "w"        work was queued: try to claim now
 *                          "q"        finish the current job, then exit 0
 *   worker -> supervisor   "H"        heartbeat (every HEARTBEAT_MS)
 *                          "S <id>"   started job id (already claimed)
 *                          "F <id>"   job id failed for good: quarantine it
 *                          "E <id>"   ended job id (its outcome is recorded)
 * The queue, not the pipe, is the truth about jobs: the pipe only tells the
 * supervisor what to watch (timeouts) and when to quarantine.
 */
#ifndef PP_WATCH_IMPL_H
#define PP_WATCH_IMPL_H

#include "pixpipe/engine.h"
#include "pixpipe/queue.h"
#include "pixpipe/watch.h"

#define WORKER_CTL_FD 3
#define WORKER_STATUS_FD 4

#define HEARTBEAT_MS 1000          /* a worker beats this often */
#define HEARTBEAT_TIMEOUT_MS 15000 /* a silent worker is killed after this */
#define LEASE_MS 30000             /* a claim holds a job this long... */
#define RENEW_MS 10000             /* ...renewed this often while it runs */

/* The output key of a source key under a named pipeline: NAME/<key>, its
 * extension replaced by the output format's when one is set. malloc'd. */
char *pp__watch_output_key(const char *name, const char *key, pp_codec_id format, pp_err *err);

/* ---- the event log: one line per job event ---- */
typedef struct pp__wlog pp__wlog;

/* path NULL: stderr. Lines are written with one write() on an O_APPEND
 * descriptor, so lines of several processes never interleave. */
pp__wlog *pp__wlog_open(const char *path, pp_wlog_format fmt, pp_err *err);
void pp__wlog_close(pp__wlog *l);

typedef struct pp__wfield {
    const char *key;
    const char *str; /* when set: a string */
    double num;      /* else a number */
} pp__wfield;

/* event=... with the job's id, file, pipeline, state, attempt, worker (and
 * durations when done, the error when it has one), then the extra fields. */
void pp__wlog_job(pp__wlog *l, const char *event, const pp_job *j, const pp__wfield *extra,
                  size_t nextra);
/* A service event (no job): event=... and the fields. */
void pp__wlog_event(pp__wlog *l, const char *event, const pp__wfield *f, size_t n);

/* ---- JSON text ---- */
/* Appends s as a JSON string literal (quotes included) to f. */
void pp__json_string(FILE *f, const char *s);
/* "2024-05-01T12:00:00.123Z" for epoch milliseconds; "" for 0. */
void pp__iso_time(int64_t ms, char out[32]);

#endif
