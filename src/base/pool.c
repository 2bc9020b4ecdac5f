/* Thread pool: a FIFO of tasks served by a fixed set of pthreads.
 *
 * Queue ownership (curl's THRDPOOL-AND-QUEUE model): a task node is owned by
 * the queue from submit until a worker dequeues it; from then on the worker
 * owns it and frees it after the call. pp_pool_run's offers carry a pointer
 * to the caller's stack-allocated `offer` record; the caller removes its
 * unstarted offers from the queue under the lock, then waits for `running`
 * to reach zero before its record goes out of scope, so no worker ever
 * touches a dead record.
 */
#include "pixpipe/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct offer {
    pp_task_fn fn;
    void *arg;
    int running; /* offers taken by workers and not yet returned */
    pthread_cond_t done;
} offer;

typedef struct task {
    struct task *next;
    pp_task_fn fn;
    void *arg;
    offer *of; /* non-NULL for pp_pool_run offers */
} task;

struct pp_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a task was queued, or shutdown */
    pthread_cond_t idle;  /* the pool became idle */
    task *head, *tail;
    int busy;             /* tasks being run */
    bool stop;
    int nthreads;
    pthread_t *threads;
};

static void run_task(pp_pool *p, task *t)
{
    t->fn(t->arg);
    pthread_mutex_lock(&p->lock);
    if (t->of && --t->of->running == 0)
        pthread_cond_broadcast(&t->of->done);
    p->busy--;
    if (p->busy == 0 && !p->head)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->lock);
    free(t);
}

static void *worker(void *arg)
{
    pp_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (!p->head && p->stop)
            break;
        task *t = p->head;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        p->busy++;
        if (t->of)
            t->of->running++;
        pthread_mutex_unlock(&p->lock);
        run_task(p, t);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

pp_pool *pp_pool_new(int threads, pp_err *err)
{
    if (threads < 1)
        threads = 1;
    pp_pool *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return NULL;
    p->threads = pp_calloc((size_t)threads, sizeof *p->threads, err);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->idle, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            pp_err_set(err, PP_ENOMEM, "cannot start thread %d of %d", i + 1, threads);
            p->nthreads = i;
            pp_pool_free(p);
            return NULL;
        }
    }
    p->nthreads = threads;
    return p;
}

void pp_pool_free(pp_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    free(p->threads);
    free(p);
}

int pp_pool_threads(const pp_pool *p)
{
    return p->nthreads;
}

static void enqueue(pp_pool *p, task *t)
{
    t->next = NULL;
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    pthread_cond_signal(&p->work);
}

int pp_pool_submit(pp_pool *p, pp_task_fn fn, void *arg, pp_err *err)
{
    task *t = pp_calloc(1, sizeof *t, err);
    if (!t)
        return PP_ENOMEM;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_lock(&p->lock);
    enqueue(p, t);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void pp_pool_wait_idle(pp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->head || p->busy)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

/* Removes the unstarted tasks of offer `of` from the queue. */
static void take_back(pp_pool *p, offer *of)
{
    task **pp = &p->head, *prev = NULL;
    while (*pp) {
        task *t = *pp;
        if (t->of == of) {
            *pp = t->next;
            free(t);
        } else {
            prev = t;
            pp = &t->next;
        }
    }
    p->tail = prev;
    if (!p->head && p->busy == 0)
        pthread_cond_broadcast(&p->idle);
}

void pp_pool_run(pp_pool *p, pp_task_fn fn, void *arg, int k)
{
    if (!p || k <= 1) {
        fn(arg);
        return;
    }
    offer of = {fn, arg, 0, PTHREAD_COND_INITIALIZER};
    pthread_mutex_lock(&p->lock);
    for (int i = 1; i < k; i++) {
        task *t = calloc(1, sizeof *t);
        if (!t)
            break; /* fewer helpers is still correct */
        t->fn = fn;
        t->arg = arg;
        t->of = &of;
        enqueue(p, t);
    }
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    fn(arg);
    pthread_mutex_lock(&p->lock);
    take_back(p, &of);
    while (of.running > 0)
        pthread_cond_wait(&of.done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&of.done);
}

static int env_threads(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= 1 && n <= 4096 ? (int)n : 0;
}

int pp_threads_from_env(void)
{
    static const char *const names[] = {"PIXPIPE_THREADS", "SLURM_CPUS_PER_TASK",
                                        "OMP_NUM_THREADS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int n = env_threads(names[i]);
        if (n)
            return n;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 1 ? (int)cores : 1;
}
