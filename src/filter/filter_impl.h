/* Internal contract between filters and the executor: stages.
 *
 * A user-visible filter builds one or more internal stages into a plan
 * (pp__planner_push). A stage is either
 *
 *   streaming: computes output rows [y0, y0+n) from a window of input rows.
 *     It says which input rows it needs (rows_needed; default: a symmetric
 *     halo) and how rows outside the image are made (border). The executor
 *     hands `run` an array of row pointers in[0..] for input rows a, a+1, ...
 *     where a is the (possibly negative) first needed row, with every
 *     out-of-image row already replaced according to the border. Rows are
 *     raw 8-bit rows, or "prepared" rows when the stage has `prep`: the
 *     executor calls prep once per input row as it enters the stage's window
 *     (a separable filter keeps its horizontal pass there, computed once).
 *     Kernels handle the horizontal border themselves.
 *
 *   a barrier (global): consumes every input row of a region in order
 *     (acc_rows), then finishes (acc_end: a histogram becomes a LUT,
 *     hysteresis runs...), then serves output rows on demand (emit), from
 *     any thread. In one process the region is the whole input. On MPI
 *     (src/pipeline/dist.c) each rank accumulates its own block of rows;
 *     optional hooks then make the result global: acc_counts are summed
 *     over the ranks before acc_end, acc_join joins state across block
 *     edges, and acc_region says which input region a rank must gather to
 *     emit rows that read far away (rotations, vertical flips).
 *
 * Invariants:
 *   - A stage's `priv` is immutable once planned: kernels may run on several
 *     threads at once with their own scratch (scratch_bytes).
 *   - run/emit write exactly out->channels*width bytes per output row and
 *     are pure functions of the input rows: the same row gives the same bytes
 *     whatever the strip it is computed in.
 *   - No function pointer is called per pixel; kernels loop over rows.
 */
#ifndef PIXPIPE_FILTER_IMPL_H
#define PIXPIPE_FILTER_IMPL_H

#include <stddef.h>

#include "pixpipe/filter.h"

typedef enum pp_border {
    PP_BORDER_REFLECT101, /* ...dcb|abcd|cba...: OpenCV's default */
    PP_BORDER_REPLICATE,  /* ...aaa|abcd|ddd... */
    PP_BORDER_CONSTANT    /* rows of border_value */
} pp_border;

typedef struct pp__stage pp__stage;

/* A region of a stage's input: columns [x0, x1) of rows [y0, y1). */
typedef struct pp__rect {
    size_t x0, x1, y0, y1;
} pp__rect;

typedef struct pp__stage_ops {
    const char *name; /* internal stage name shown by --explain */

    /* ---- streaming stages ---- */
    /* Input rows [*a, *b) needed for output rows [y0, y1). NULL: halo. */
    void (*rows_needed)(const pp__stage *s, size_t y0, size_t y1, ptrdiff_t *a, ptrdiff_t *b);
    /* Bytes of one prepared row; NULL: rows are raw (width*channels bytes). */
    size_t (*prep_bytes)(const pp__stage *s);
    void (*prep)(const pp__stage *s, const uint8_t *raw, void *prepared);
    void (*run)(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                uint8_t *const *out, void *scratch);
    /* Per-thread scratch for a strip of `rows` output rows; NULL: none. */
    size_t (*scratch_bytes)(const pp__stage *s, size_t rows);

    /* ---- barriers ---- */
    /* An accumulator for input region r: acc_rows then receives every row of
     * r in order, rows[i] holding columns [r->x0, r->x1) of input row y0+i. */
    void *(*acc_new)(const pp__stage *s, const pp__rect *r, pp_err *err);
    int (*acc_rows)(const pp__stage *s, void *acc, size_t y0, size_t n,
                    const uint8_t *const *rows, pp_err *err);
    int (*acc_end)(const pp__stage *s, void *acc, pp_err *err);
    /* Output rows [y0, y0+n); they may only read inside the region. */
    void (*emit)(const pp__stage *s, const void *acc, size_t y0, size_t n, uint8_t *const *out,
                 void *scratch);
    /* Optional, for a barrier that only reads its input: an accumulator
     * for region r that reads the input in place, input pixel (0, 0) at px,
     * rows stride bytes apart and PP_IMAGE_SLACK readable bytes after the
     * last one, alive until acc_free. acc_rows is then never called. The
     * executor uses it when the plan's source is an in-memory image and
     * nothing runs before this stage. */
    void *(*acc_borrow)(const pp__stage *s, const pp__rect *r, const uint8_t *px, size_t stride,
                        pp_err *err);
    size_t (*acc_bytes)(const pp__stage *s); /* memory held, for --explain */
    void (*acc_free)(void *acc);
    /* Optional: the input region emit reads for output rows [y0, y1). NULL:
     * output row y reads input row y only (same size in and out). */
    void (*acc_region)(const pp__stage *s, size_t y0, size_t y1, pp__rect *r);
    /* Optional: counts that must be summed over every rank's accumulator
     * before acc_end (a histogram). Returns them and their number. */
    uint64_t *(*acc_counts)(void *acc, size_t *n);
    /* Optional, after acc_end on blocks of rows: the state of input row y
     * (state_bytes per row), and joining with the state rows just above and
     * below the block (NULL at the image edge). Returns true when anything
     * changed; repeated until no block changes (Canny's hysteresis). */
    size_t (*acc_state_bytes)(const pp__stage *s);
    const uint8_t *(*acc_state_row)(const void *acc, size_t y);
    int (*acc_join)(const pp__stage *s, void *acc, const uint8_t *above, const uint8_t *below,
                    bool *changed, pp_err *err);

    /* ---- both ---- */
    /* Merges stage b into a (a runs first). Returns true when merged. */
    bool (*fuse)(pp__stage *a, const pp__stage *b);
    void (*free_priv)(void *priv);
} pp__stage_ops;

struct pp__stage {
    const pp__stage_ops *ops;
    pp_format in, out;
    int halo;               /* input rows above and below each output row */
    int halo_x;             /* columns left and right (informative) */
    pp_border border;
    uint8_t border_value;   /* PP_BORDER_CONSTANT */
    bool barrier;
    bool alpha_passthrough; /* executor restores input alpha into the output */
    void *priv;
    char label[96];         /* e.g. "gaussian sigma=3 ksize=19" */
};

typedef struct pp__planner pp__planner;

/* The format the next stage receives. */
const pp_format *pp__planner_format(const pp__planner *pl);

/* Appends a copy of *s; s->in is set by the planner, s->out must be filled
 * (it becomes the next stage's input). On failure s->priv is freed. */
int pp__planner_push(pp__planner *pl, const pp__stage *s, pp_err *err);

/* The stage pushed last (to refine its priv right after pushing). */
pp__stage *pp__planner_last(pp__planner *pl);

/* The label of the filter being built ("gaussian sigma=3"), for stage labels. */
const char *pp__planner_label(const pp__planner *pl);

/* ---- helpers for kernels ---- */

/* Maps an out-of-range index into [0, n) for REFLECT101 or REPLICATE.
 * n >= 1. REFLECT101 with n == 1 gives 0. */
static inline ptrdiff_t pp__border_index(ptrdiff_t i, ptrdiff_t n, pp_border b)
{
    if (i >= 0 && i < n)
        return i;
    if (n == 1)
        return 0;
    if (b == PP_BORDER_REPLICATE)
        return i < 0 ? 0 : n - 1;
    /* reflect101, repeated for indices far outside (tiny images) */
    ptrdiff_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* Copies row (width px, c channels) into dst with r pixels of horizontal
 * border on each side: dst must hold (width+2r)*c bytes. CONSTANT fills v. */
void pp__pad_row(const uint8_t *row, size_t width, int c, int r, pp_border b, uint8_t v,
                 uint8_t *dst);

/* Registry tables of each filter family (src/filter/<family>.c). */
#define PP__FAMILY(name)                                                                       \
    extern const pp_filter_def pp__filters_##name[];                                           \
    extern const size_t pp__filters_##name##_count
PP__FAMILY(point);
PP__FAMILY(histogram);
PP__FAMILY(convolve);
PP__FAMILY(rank);
PP__FAMILY(morph);
PP__FAMILY(edge);
PP__FAMILY(geometry);

/* Shared building blocks other families reuse. */
/* A grayscale stage (BT.601, OpenCV's integer weights) when the current
 * format has colour; nothing otherwise. */
int pp__push_to_gray(pp__planner *pl, pp_err *err);

/* Otsu's threshold as a barrier on gray input (histogram.c). */
int pp__push_otsu(pp__planner *pl, uint8_t maxval, pp_err *err);

/* Parameter access: value i as int / double / bool. */
static inline int pp__pi(const pp_param_value *v, int i)
{
    return (int)v[i].num;
}
static inline double pp__pf(const pp_param_value *v, int i)
{
    return v[i].num;
}
static inline bool pp__pb(const pp_param_value *v, int i)
{
    return v[i].num != 0;
}

#endif
