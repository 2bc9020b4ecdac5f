/* Internal interface between the parts of the executor:
 *   exec.c     segments, chains, windows: computing rows of one segment
 *   run.c      running a plan: serial, or block-parallel on a thread pool
 *   explain.c  --explain and memory estimates
 */
#ifndef PIXPIPE_EXEC_IMPL_H
#define PIXPIPE_EXEC_IMPL_H

#include "pipeline_impl.h"

/* A segment: the streaming stages between two barriers. */
typedef struct pp__seg {
    size_t first, count;           /* streaming stages [first, first+count) */
    const pp__stage *from_barrier; /* emits this segment's input; NULL: the plan's source */
    const pp__stage *to_barrier;   /* accumulates this segment's output; NULL: the sink */
    pp_format in, out;
} pp__seg;

/* Splits the plan into segments (at most nstages + 1); returns how many. */
size_t pp__split_segments(const pp_plan *p, pp__seg *segs);

/* Strip height: requested, or about 256 KB of the widest row, 8..128 rows. */
size_t pp__pick_strip(const pp_plan *p, size_t requested);

/* Largest window (rows) and row-pointer count a stage needs for strips of
 * up to `strip` output rows starting anywhere. */
void pp__window_size(const pp__stage *st, size_t strip, size_t *cap, size_t *nptr);

/* Rows of the segment's input that output rows [y0, y1) depend on. */
void pp__seg_source_span(const pp_plan *p, const pp__seg *s, size_t y0, size_t y1, size_t *lo,
                         size_t *hi);

/* Bytes of one raw row of a format. */
static inline size_t pp__row_bytes(const pp_format *f)
{
    return f->width * (size_t)f->channels;
}

/* Where a chain reads the segment's input rows. Exactly one mode:
 *   row (+ optional want): random access in place (an image in memory, the
 *       parallel runner's shared decoder window); want makes rows [lo, hi)
 *       valid before row() is used;
 *   read: copies rows; sequential sources never go backwards. */
typedef struct pp__input {
    const uint8_t *(*row)(void *ctx, size_t y);
    int (*want)(void *ctx, size_t lo, size_t hi, pp_err *err);
    int (*read)(void *ctx, size_t y0, size_t n, uint8_t *const *rows, pp_err *err);
    void *ctx;
    bool sequential;
} pp__input;

typedef struct pp__chain pp__chain;

/* A chain computes output rows of one segment; it owns its windows and
 * scratch and is used by one thread at a time. */
pp__chain *pp__chain_new(const pp_plan *p, const pp__seg *s, const pp__input *in, size_t strip,
                         pp_err *err);
void pp__chain_free(pp__chain *c);

/* Computes the segment's output rows [y0, y0+n) (n <= strip) into dst. */
int pp__chain_rows(pp__chain *c, size_t y0, size_t n, uint8_t *const *dst, pp_err *err);

/* Time this chain spent in input reads (decoding, for a decoder source). */
uint64_t pp__chain_input_ns(const pp__chain *c);

/* Computes the segment's output rows [y_begin, y_end) into sink, serially or
 * (pool and threads in o) block-parallel. src is the sequential source a
 * parallel run shares between threads when `in` reads from it. */
int pp__run_rows(const pp_plan *p, const pp__seg *s, const pp__input *in,
                 const pp_row_source *src, const pp_row_sink *sink, const pp_exec_opts *o,
                 size_t strip, size_t y_begin, size_t y_end, pp_exec_stats *st, pp_err *err);

/* Bytes a chain of this segment allocates (windows, pointers, scratch). */
size_t pp__chain_bytes(const pp_plan *p, const pp__seg *s, size_t strip, bool direct_input);

#endif
