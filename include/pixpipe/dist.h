/* pixpipe on MPI: a distributed batch and one image split across ranks.
 *
 * Both entry points must be called on every rank of MPI_COMM_WORLD after
 * pp_mpi_init. MPI calls are never concurrent within a rank: a batch makes
 * them on the main thread only (MPI_THREAD_FUNNELED); one image with threads
 * may write its output strips with MPI-IO from whichever worker thread
 * finished them, one at a time (MPI_THREAD_SERIALIZED).
 */
#ifndef PIXPIPE_DIST_H
#define PIXPIPE_DIST_H

#include "pixpipe/batch.h"

/* True when this pixpipe was built with MPI. */
bool pp_mpi_available(void);

/* MPI_Init_thread at MPI_THREAD_SERIALIZED when `serialized` (pp_mpi_apply
 * with threads), else MPI_THREAD_FUNNELED. Returns 0, PP_EUNSUPPORTED when
 * MPI grants less, or PP_ENOTBUILT. */
int pp_mpi_init(int *argc, char ***argv, bool serialized, pp_err *err);
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
    const char *state_dir;         /* journal (as watch's) for checkpoint and restart; NULL: none */
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
 * are those of pp_batch, so a rerun after a crash skips what was done.
 * With state_dir, rank 0 instead records every job in the journal watch
 * uses (queue.h): jobs are claimed from it, done ones are never redone, and
 * jobs a killed run left running are retried. */
int pp_mpi_batch(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                 size_t npipes, const pp_mpi_batch_opts *o, pp_mpi_batch_result *res,
                 pp_err *err);

/* The pipeline's message-passing interface (pp_comm, pipeline.h) over
 * MPI_COMM_WORLD; MPI must be initialised. */
pp_comm pp_mpi_comm(void);

/* ---- one image across ranks ---- */

typedef struct pp_mpi_apply_opts {
    pp_process_opts proc; /* pipeline, codec options, format; threads = threads per rank */
    bool force_scatter;   /* read on rank 0 and scatter even when ranks could read */
    bool force_gather;    /* encode on rank 0 even for PNM output */
} pp_mpi_apply_opts;

typedef struct pp_mpi_rank_report {
    uint64_t rows;          /* output rows this rank computed */
    uint64_t buffer_bytes;  /* its largest set of whole-block row buffers (0: it streamed) */
    uint64_t peak_rss_kb;   /* its peak resident memory */
    uint64_t read_ns, compute_ns, exchange_ns, write_ns, total_ns;
} pp_mpi_rank_report;

typedef struct pp_mpi_apply_result {
    int nranks;
    bool local_read;        /* every rank read its own rows */
    bool parallel_write;    /* every rank wrote its rows (MPI-IO) */
    pp_format in, out;
    uint64_t wall_ns;
    pp_mpi_rank_report *ranks; /* rank 0: nranks entries, malloc'd; caller frees */
} pp_mpi_apply_result;

/* Splits one image into row blocks across ranks and writes OUT (atomically:
 * a temporary file renamed by rank 0). The bytes equal `pixpipe apply`.
 * Collective; the return value and err are meaningful on every rank. */
int pp_mpi_apply(const char *in, const char *out, const pp_mpi_apply_opts *o,
                 pp_mpi_apply_result *res, pp_err *err);

#endif
