/* pixpipe thread pool: one set of pthreads for both kinds of parallelism.
 *
 *   image level  pp_pool_submit: a batch queues one task per image.
 *   strip level  pp_pool_run: the caller runs fn itself and offers k-1 more
 *                calls of fn to the pool; idle workers take them. When the
 *                caller's own call returns, offers no worker has started are
 *                taken back, so a caller never waits for a busy pool: it only
 *                waits for helpers that actually joined.
 *
 * Because offers queue behind earlier tasks, a batch's images start first and
 * idle workers join the last images only when no image is left to start.
 *
 * Ownership: a task's arg belongs to the submitter; the pool never frees it.
 * Thread rules: every function may be called from any thread, including
 * from inside a task (pp_pool_run from a worker never deadlocks: the worker
 * runs the work itself).
 */
#ifndef PIXPIPE_POOL_H
#define PIXPIPE_POOL_H

#include "pixpipe/base.h"

typedef struct pp_pool pp_pool;
typedef void (*pp_task_fn)(void *arg);

/* Starts `threads` workers (>= 1). NULL and err on failure. */
pp_pool *pp_pool_new(int threads, pp_err *err);

/* Waits for every queued and running task, then joins the workers. */
void pp_pool_free(pp_pool *pool);

int pp_pool_threads(const pp_pool *pool);

/* Queues fn(arg) at the end of the FIFO queue. */
int pp_pool_submit(pp_pool *pool, pp_task_fn fn, void *arg, pp_err *err);

/* Waits until the queue is empty and no task runs. */
void pp_pool_wait_idle(pp_pool *pool);

/* Runs fn(arg) on the calling thread and on up to k-1 pool workers at once;
 * returns when every started call has returned. fn must be safe to call
 * concurrently and must return once there is no work left for it. */
void pp_pool_run(pp_pool *pool, pp_task_fn fn, void *arg, int k);

/* Thread count from the environment: PIXPIPE_THREADS, else
 * SLURM_CPUS_PER_TASK, else OMP_NUM_THREADS, else the online cores. */
int pp_threads_from_env(void);

#endif
