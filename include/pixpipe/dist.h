/* pixpipe on MPI: a distributed batch and one image split across ranks.
 *
 * Both entry points must be called on every rank of MPI_COMM_WORLD after
 * pp_mpi_init. Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED);
 * worker threads inside a rank never do.
 */
#ifndef PIXPIPE_DIST_H
#define PIXPIPE_DIST_H

#include "pixpipe/batch.h"

/* True when this pixpipe was built with MPI. */
bool pp_mpi_available(void);

/* MPI_Init_thread at the level needed (FUNNELED). Returns 0 or PP_ENOTBUILT. */
int pp_mpi_init(int *argc, char ***argv, pp_err *err);
void pp_mpi_finalize(void);
int pp_mpi_rank(void);
int pp_mpi_size(void);

/* Per-rank figures of a distributed batch, gathered on rank 0. */
typedef struct pp_mpi_rank_stats {
    uint64_t tasks;
    uint64_t failed;
    uint64_t busy_ns; /* summed over the rank's threads */
    uint64_t bytes_in;
} pp_mpi_rank_stats;

typedef struct pp_mpi_batch_opts {
    pp_batch_opts batch;           /* threads = threads per rank */
    pp_batch_progress_fn progress; /* rank 0: called as results arrive */
    void *progress_ctx;
} pp_mpi_batch_opts;

typedef struct pp_mpi_batch_result {
    size_t total, done, failed, skipped;
    uint64_t wall_ns, bytes_in;
    int nranks;
    pp_mpi_rank_stats *ranks; /* rank 0 only: nranks entries, malloc'd; caller frees */
    pp_batch *batch;          /* rank 0 only: the jobs and their outcomes; pp_batch_free */
} pp_mpi_batch_result;

/* Rank 0 scans in_dir and hands tasks (one per file and pipeline, largest
 * first) to ranks that ask; every rank runs `threads` tasks at a time and
 * reads and writes files directly (a shared file system). Progress and the
 * per-rank summary are for rank 0 to print. Returns 0, or a status on rank 0
 * (PP_ECANCELED when interrupted). Outputs, atomic writes and the batch log
 * are those of pp_batch, so a rerun after a crash skips what was done. */
int pp_mpi_batch(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                 size_t npipes, const pp_mpi_batch_opts *o, pp_mpi_batch_result *res,
                 pp_err *err);

#endif
