/* pixpipe pipelines: the text and JSON forms, plans and the fused strip
 * executor.
 *
 *   pp_pipeline  what the user asked for: filters with validated parameters.
 *                Independent of any image; parse once, use from any thread.
 *   pp_plan      a pipeline bound to an input format: internal stages with
 *                output formats, halos and barriers. Immutable once built;
 *                shareable between threads.
 *   pp_plan_run  streams rows from a source through every stage to a sink,
 *                strip by strip. Neighbourhood stages keep only the rows their
 *                halo needs; global stages (barriers) materialise only what
 *                they need, then rows stream again.
 *
 * Output is bit-identical whatever the strip height or thread count.
 */
#ifndef PIXPIPE_PIPELINE_H
#define PIXPIPE_PIPELINE_H

#include <stdio.h>

#include "pixpipe/filter.h"

typedef struct pp_pipeline pp_pipeline;

/* Parses the text form, e.g. "grayscale | gaussian sigma=1.4 | canny".
 * Errors name the column (1-based) and suggest the nearest name.
 * Returns NULL and fills err (PP_EPARSE) on failure. */
pp_pipeline *pp_pipeline_parse(const char *text, pp_err *err);

/* Parses the JSON form: [{"op": "gaussian", "params": {"sigma": 1.4}}, ...].
 * Errors name the step (1-based). PP_ENOTBUILT without jansson. */
pp_pipeline *pp_pipeline_parse_json(const char *json, pp_err *err);

/* Parses JSON when the text starts with '[', else the text form. */
pp_pipeline *pp_pipeline_parse_any(const char *text, pp_err *err);

void pp_pipeline_free(pp_pipeline *p);

/* Number of steps, and one step's filter and parameter values. */
size_t pp_pipeline_length(const pp_pipeline *p);
const pp_filter_def *pp_pipeline_step(const pp_pipeline *p, size_t i, const pp_param_value **v);

/* Canonical text form with every parameter spelled out (defaults included),
 * e.g. "gaussian sigma=1.4 ksize=0 | canny low=50 high=150 l2=false aperture=3".
 * Two pipelines are the same exactly when their canonical forms are equal.
 * malloc'd; never NULL unless out of memory. The empty pipeline is "". */
char *pp_pipeline_canonical(const pp_pipeline *p);

typedef struct pp_plan pp_plan;

/* Binds a pipeline (NULL: the empty one) to an input format. Fails with PP_EINVAL when a filter
 * cannot apply (e.g. crop outside the image) or PP_EOVERFLOW. */
pp_plan *pp_plan_new(const pp_pipeline *p, const pp_format *in, pp_err *err);
void pp_plan_free(pp_plan *plan);

pp_format pp_plan_output(const pp_plan *plan);

/* Writes the plan: stages, kinds, halos, barriers, estimated peak memory. */
void pp_plan_explain(const pp_plan *plan, size_t strip_rows, FILE *out);

/* Estimated peak bytes of working memory for a run (codecs excluded). */
size_t pp_plan_peak_bytes(const pp_plan *plan, size_t strip_rows);

/* ---- running ---- */

/* Where rows come from. read delivers rows [y0, y0+n) into rows[0..n).
 * sequential: y0 never goes backwards (a decoder); the executor then never
 * asks for a row twice and rows it skips are never asked for.
 * row (optional): random access to rows that stay valid for the whole run
 * (an image in memory); the executor then reads them in place, no copy. */
typedef struct pp_row_source {
    pp_format fmt;
    bool sequential;
    int (*read)(void *ctx, size_t y0, size_t n, uint8_t *const *rows, pp_err *err);
    void *ctx;
    const uint8_t *(*row)(void *ctx, size_t y);
} pp_row_source;

/* Where rows go: write is called with consecutive rows in order, top to
 * bottom. row (optional): the destination of row y, so the last stage can
 * write there directly; write is still called, with those rows. */
typedef struct pp_row_sink {
    int (*write)(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err);
    void *ctx;
    uint8_t *(*row)(void *ctx, size_t y);
} pp_row_sink;

struct pp_pool;

typedef struct pp_exec_opts {
    size_t strip_rows;       /* rows per strip; 0 picks one from the width */
    const pp_cancel *cancel; /* optional */
    struct pp_pool *pool;    /* optional: strip-level parallelism */
    int threads;             /* threads working on this image (with pool); <= 1: serial */
} pp_exec_opts;

typedef struct pp_exec_stats {
    uint64_t source_ns; /* inside source reads (decoding) */
    uint64_t sink_ns;   /* inside sink writes (encoding) */
    uint64_t total_ns;
} pp_exec_stats;

void pp_exec_opts_default(pp_exec_opts *o);

/* Runs the plan. src->fmt must equal the plan's input format. stats may be
 * NULL. */
int pp_plan_run(const pp_plan *plan, const pp_row_source *src, const pp_row_sink *sink,
                const pp_exec_opts *o, pp_exec_stats *stats, pp_err *err);

/* ---- distributed runs (MPI: src/dist implements pp_comm) ---- */

/* What pp_plan_run_dist needs from a message-passing layer. Every function
 * is collective over all ranks unless marked point to point. */
typedef struct pp_comm {
    int rank, size;
    void *ctx;
    /* Sums n counts elementwise over all ranks, in place. */
    int (*sum)(void *ctx, uint64_t *v, size_t n, pp_err *err);
    /* *flag becomes true on every rank when it is true on any. */
    int (*any)(void *ctx, bool *flag, pp_err *err);
    /* All to all: send[r] (slen[r] bytes) goes to rank r; recv[r] gets
     * rlen[r] bytes from rank r (sizes are known on both sides). */
    int (*exchange)(void *ctx, const uint8_t *const *send, const size_t *slen,
                    uint8_t *const *recv, const size_t *rlen, pp_err *err);
    /* Point to point. */
    int (*send)(void *ctx, int to, const void *buf, size_t len, pp_err *err);
    int (*recv)(void *ctx, int from, void *buf, size_t len, pp_err *err);
} pp_comm;

/* The image a distributed run reads. local: every rank opens it and reads
 * only the rows its block needs (skipping is cheap: baseline JPEG, TIFF,
 * PNM); otherwise rank 0 reads it all and sends each rank its rows. open
 * gives a sequential row source; close ends it. */
typedef struct pp_dist_source {
    pp_format fmt;
    bool local;
    int (*open)(void *ctx, pp_row_source *src, pp_err *err);
    void (*close)(void *ctx);
    void *ctx;
} pp_dist_source;

/* Where the output goes. parallel: every rank writes its own rows
 * (write_rows at any y, e.g. MPI-IO into a PNM); otherwise rank 0 receives
 * every block in order and writes them through `sink`. */
typedef struct pp_dist_sink {
    bool parallel;
    pp_row_sink sink; /* rank 0, when not parallel */
    int (*write_rows)(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err);
    void *ctx;
} pp_dist_sink;

typedef struct pp_dist_stats {
    uint64_t read_ns, compute_ns, exchange_ns, write_ns, total_ns;
    size_t rows;        /* output rows of the last segment this rank computed */
    size_t peak_bytes;  /* largest working set of row buffers on this rank */
} pp_dist_stats;

/* Runs the plan with each segment's output rows split into contiguous
 * blocks, one per rank; every rank computes its block (on o->threads threads
 * with o->pool). Rows a block needs from other ranks' blocks arrive by one
 * exchange per segment (halos, however thin the blocks); histogram barriers
 * sum their counts, Canny's hysteresis joins edges across block edges until
 * nothing changes, and geometry barriers gather the input region their rows
 * read. The result is bit-identical to pp_plan_run. Collective. */
int pp_plan_run_dist(const pp_plan *plan, const pp_comm *comm, const pp_dist_source *src,
                     const pp_dist_sink *out, const pp_exec_opts *o, pp_dist_stats *stats,
                     pp_err *err);

/* Convenience for tests and small images: runs on an in-memory image and
 * returns a new image (free with pp_image_free). */
pp_image *pp_plan_run_image(const pp_plan *plan, const pp_image *in, const pp_exec_opts *o,
                            pp_err *err);

/* The same into `out`, an image the caller allocated with the plan's output
 * format (pp_plan_output); its rows are overwritten. */
int pp_plan_run_into(const pp_plan *plan, const pp_image *in, pp_image *out,
                     const pp_exec_opts *o, pp_err *err);

/* Parse + plan + run on an image in one call. */
pp_image *pp_apply_image(const char *pipeline_text, const pp_image *in, size_t strip_rows,
                         pp_err *err);

#endif
