/* pixpipe batch: every image under a folder through one or more named
 * pipelines, on a thread pool.
 *
 * Jobs: one per (input file, pipeline). Outputs mirror the input layout under
 * OUT_DIR/NAME/ (or OUT_DIR/ for the unnamed pipeline). Largest inputs start
 * first. While more jobs wait than threads, each job runs on one thread
 * (image-level parallelism); jobs started when fewer remain may use every
 * thread (strip-level parallelism, through pp_pool_run offers that idle
 * workers take), so the last images of a batch finish sooner.
 *
 * Up to date: a job is skipped when its output exists and the batch log
 * (OUT_DIR/.pixpipe/batch.log) records that it was made from an input of the
 * same size and modification time, with the same canonical pipeline and the
 * same output options. --force redoes every job.
 *
 * Interrupted runs: outputs are renamed into place only when complete, and
 * a run starts by removing the temporary files a killed run left in
 * OUT_DIR, so two batches must not write the same OUT_DIR at once.
 *
 * Thread rules: pp_batch_run blocks the caller; the progress callback is
 * called from worker threads, one call at a time.
 */
#ifndef PIXPIPE_BATCH_H
#define PIXPIPE_BATCH_H

#include "pixpipe/engine.h"
#include "pixpipe/pool.h"

typedef struct pp_named_pipeline {
    const char *name; /* "" for the unnamed pipeline: outputs go to OUT_DIR itself */
    const pp_pipeline *pipeline;
} pp_named_pipeline;

typedef enum {
    PP_JOB_PENDING,
    PP_JOB_DONE,
    PP_JOB_FAILED,
    PP_JOB_UPTODATE,
    PP_JOB_CANCELED
} pp_job_state;

typedef struct pp_batch_job {
    char *in;           /* input path */
    char *out;          /* output path */
    const char *rel;    /* input path relative to IN_DIR (inside `in`) */
    size_t pipe;        /* index into the pipelines */
    uint64_t size;      /* input bytes */
    int64_t mtime_ns;
    pp_job_state state;
    pp_err err;         /* when FAILED */
    pp_process_stats st;/* when DONE */
} pp_batch_job;

typedef struct pp_batch_opts {
    pp_process_opts proc; /* codec options and output format; .pipeline is set per job */
    int threads;          /* >= 1 */
    bool force;           /* redo up-to-date outputs */
    const pp_cancel *cancel;
} pp_batch_opts;

typedef struct pp_batch_progress {
    size_t total;       /* jobs to run (up-to-date ones excluded) */
    size_t done, failed;
    size_t uptodate;
    uint64_t bytes_in;  /* input bytes of finished jobs */
    uint64_t elapsed_ns;
} pp_batch_progress;

typedef void (*pp_batch_progress_fn)(const pp_batch_progress *p, const pp_batch_job *finished,
                                     void *ctx);

typedef struct pp_batch pp_batch;

/* Scans in_dir and builds the jobs (marking up-to-date ones). The pipelines
 * array must outlive the batch. Fails when in_dir is missing or out_dir
 * equals in_dir. */
pp_batch *pp_batch_new(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                       size_t npipes, const pp_batch_opts *o, pp_err *err);

/* Runs every pending job. Returns 0 when all succeeded, PP_ECORRUPT-class
 * codes are per job (see jobs); returns PP_ECANCELED when interrupted. */
int pp_batch_run(pp_batch *b, pp_batch_progress_fn fn, void *ctx, pp_err *err);

/* For drivers that run the jobs themselves (MPI): prepares the state folder
 * and the batch log and starts the clock; then pp_batch_finish_job records
 * each job's outcome (rc, err, stats as pp_process_file gave them), appends
 * the log line of a done job and calls the progress function. Thread-safe. */
int pp_batch_begin(pp_batch *b, pp_batch_progress_fn fn, void *ctx, pp_err *err);
void pp_batch_finish_job(pp_batch *b, size_t job, int rc, const pp_err *err,
                         const pp_process_stats *st);

/* Marks a pending job up to date without running it, for drivers that keep
 * their own record of what was done (the MPI journal). */
void pp_batch_skip_job(pp_batch *b, size_t job);

size_t pp_batch_jobs(const pp_batch *b, const pp_batch_job **jobs);
pp_batch_progress pp_batch_state(const pp_batch *b);

void pp_batch_free(pp_batch *b);

/* Nearest-rank percentile (0..100) of n values (sorted in place). */
uint64_t pp_percentile(uint64_t *v, size_t n, double pct);

#endif
