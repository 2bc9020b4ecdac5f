/* Running a plan: segment after segment, serially or block-parallel.
 *
 * Serial: one chain walks the segment's rows strip by strip, reading the
 * source and writing the sink directly.
 *
 * Parallel (exec opts with a pool and threads > 1): the segment's output rows
 * are cut into blocks. Every participating thread (the caller plus pool
 * workers that join through pp_pool_run) owns a chain and repeatedly claims
 * the next block, in order. Three shared structures, all under `lock`:
 *
 *   - A reorder buffer of `inflight` block slots. A block is claimed only
 *     when its slot is free, so at most `inflight` blocks exist at once;
 *     completed blocks are written to the sink in order by whichever thread
 *     finds the next one complete (one writer at a time).
 *   - For a sequential source (a decoder), a shared window of decoded rows,
 *     sized for the source rows `inflight` consecutive blocks can need, so a
 *     row is never overwritten while an unfinished block may still read it.
 *     Decoding is serial (dec_lock); chains read the window in place.
 *   - The first error: the others stop claiming, the caller reports it.
 *
 * Blocks are pure functions of the input, so the result is the same bytes
 * whichever thread computes which block.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "exec_impl.h"
#include "pixpipe/pool.h"

void pp_exec_opts_default(pp_exec_opts *o)
{
    memset(o, 0, sizeof *o);
}

typedef struct acc_sink {
    const pp__stage *st;
    void *acc;
} acc_sink;

static int acc_write(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    acc_sink *a = ctx;
    return a->st->ops->acc_rows(a->st, a->acc, y0, n, rows, err);
}

/* The input a segment's chains read: the plan's source or a barrier. */
static pp__input segment_input(const pp__seg *s, const pp_row_source *src, void *acc_in)
{
    pp__input in = {0};
    if (s->from_barrier) {
        in.ctx = acc_in;
        return in;
    }
    in.ctx = src->ctx;
    if (src->row) {
        in.row = src->row;
    } else {
        in.read = src->read;
        in.sequential = src->sequential;
    }
    return in;
}

/* ------------------------------------------------------------------ */
/* Serial                                                              */
/* ------------------------------------------------------------------ */

static int run_serial(const pp_plan *p, const pp__seg *s, const pp__input *in,
                      const pp_row_sink *sink, const pp_exec_opts *o, size_t strip,
                      size_t y_begin, size_t y_end, pp_exec_stats *st, pp_err *err)
{
    pp__chain *c = pp__chain_new(p, s, in, strip, err);
    if (!c)
        return err ? err->code : PP_ENOMEM;
    size_t rb = pp__row_bytes(&s->out);
    uint8_t *buf = sink->row ? NULL : pp_malloc_array(strip, rb, err);
    uint8_t **rows = pp_malloc_array(strip, sizeof *rows, err);
    int rc = 0;
    if ((!sink->row && !buf) || !rows) {
        rc = PP_ENOMEM;
        goto done;
    }
    for (size_t y = y_begin; y < y_end; y += strip) {
        if (pp_canceled(o->cancel)) {
            rc = pp_err_set(err, PP_ECANCELED, "canceled");
            break;
        }
        size_t m = y_end - y < strip ? y_end - y : strip;
        for (size_t i = 0; i < m; i++)
            rows[i] = sink->row ? sink->row(sink->ctx, y + i) : buf + i * rb;
        if ((rc = pp__chain_rows(c, y, m, rows, err)) < 0)
            break;
        uint64_t t0 = pp_clock_ns();
        rc = sink->write(sink->ctx, y, m, (const uint8_t *const *)rows, err);
        if (!s->to_barrier)
            st->sink_ns += pp_clock_ns() - t0;
        if (rc < 0)
            break;
    }
done:
    st->source_ns += pp__chain_input_ns(c);
    free(buf);
    free(rows);
    pp__chain_free(c);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Parallel                                                            */
/* ------------------------------------------------------------------ */

typedef struct par {
    const pp_plan *plan;
    const pp__seg *s;
    const pp_row_sink *sink;
    const pp_exec_opts *o;
    size_t strip, block, nblocks, inflight;
    size_t y_begin, y_end; /* output rows this run computes */
    size_t out_row_bytes;
    pp__input chain_input; /* what chains read */

    /* shared window over a sequential source */
    const pp_row_source *seq;
    uint8_t *win;
    size_t win_cap, win_row_bytes;
    size_t frontier; /* rows [0, frontier) were decoded or skipped */
    uint8_t **dec_rows;
    pthread_mutex_t dec_lock;
    uint64_t source_ns;

    /* scheduling, all under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t next_claim, next_write;
    uint8_t *slots;    /* inflight x block x out_row_bytes */
    bool *complete;    /* per slot */
    bool writing;
    bool failed;
    pp_err err;
    uint64_t sink_ns;
    uint64_t chain_input_ns;
} par;

static size_t block_start(const par *r, size_t b)
{
    return r->y_begin + b * r->block;
}

/* End of block b-1, i.e. where block b starts, clamped to the range. */
static size_t block_end(const par *r, size_t b)
{
    size_t y1 = block_start(r, b);
    return y1 < r->y_end ? y1 : r->y_end;
}

/* Source rows `inflight` consecutive blocks can span, at worst: with this
 * many slots, decoding a row needed by a claimable block never overwrites a
 * row an unfinished block still reads. */
static size_t window_rows(const par *r)
{
    size_t best = 1;
    for (size_t i = 0; i < r->nblocks; i++) {
        size_t last = i + r->inflight < r->nblocks ? i + r->inflight : r->nblocks;
        size_t lo, hi;
        pp__seg_source_span(r->plan, r->s, block_start(r, i), block_end(r, last), &lo, &hi);
        if (hi > lo && hi - lo > best)
            best = hi - lo;
    }
    return best;
}

/* First source row any unfinished block can need: rows below it may be
 * skipped (crop, resize). */
static size_t needed_from(par *r)
{
    pthread_mutex_lock(&r->lock);
    size_t b = r->next_write;
    pthread_mutex_unlock(&r->lock);
    if (b >= r->nblocks)
        return r->frontier;
    size_t lo, hi;
    pp__seg_source_span(r->plan, r->s, block_start(r, b), block_end(r, b + 1), &lo, &hi);
    return lo;
}

static int win_want(void *ctx, size_t lo, size_t hi, pp_err *err)
{
    par *r = ctx;
    (void)lo;
    int rc = 0;
    pthread_mutex_lock(&r->dec_lock);
    if (r->frontier < hi) {
        size_t from = needed_from(r);
        if (from > r->frontier)
            r->frontier = from; /* the source skips rows nobody needs */
    }
    while (r->frontier < hi && rc == 0) {
        size_t y = r->frontier, m = hi - y < r->strip ? hi - y : r->strip;
        size_t wrap = r->win_cap - y % r->win_cap;
        if (m > wrap)
            m = wrap;
        for (size_t i = 0; i < m; i++)
            r->dec_rows[i] = r->win + ((y + i) % r->win_cap) * r->win_row_bytes;
        uint64_t t0 = pp_clock_ns();
        rc = r->seq->read(r->seq->ctx, y, m, r->dec_rows, err);
        r->source_ns += pp_clock_ns() - t0;
        if (rc == 0)
            r->frontier = y + m;
    }
    pthread_mutex_unlock(&r->dec_lock);
    return rc;
}

static const uint8_t *win_row(void *ctx, size_t y)
{
    par *r = ctx;
    return r->win + (y % r->win_cap) * r->win_row_bytes;
}

static void record_error(par *r, const pp_err *e)
{
    pthread_mutex_lock(&r->lock);
    if (!r->failed) {
        r->failed = true;
        r->err = *e;
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static uint8_t *slot_row(const par *r, size_t block, size_t i)
{
    return r->slots + ((block % r->inflight) * r->block + i) * r->out_row_bytes;
}

/* Computes block b into its slot. */
static int compute_block(par *r, pp__chain *c, size_t b, uint8_t **rows, pp_err *err)
{
    size_t y0 = block_start(r, b), y1 = block_end(r, b + 1);
    for (size_t y = y0; y < y1; y += r->strip) {
        if (pp_canceled(r->o->cancel))
            return pp_err_set(err, PP_ECANCELED, "canceled");
        size_t m = y1 - y < r->strip ? y1 - y : r->strip;
        for (size_t i = 0; i < m; i++)
            rows[i] = slot_row(r, b, y - y0 + i);
        int rc = pp__chain_rows(c, y, m, rows, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Writes completed blocks in order; called with lock held, returns with it. */
static void write_ready(par *r, uint8_t **rows)
{
    if (r->writing)
        return;
    r->writing = true;
    while (!r->failed && r->next_write < r->nblocks && r->complete[r->next_write % r->inflight]) {
        size_t b = r->next_write, y0 = block_start(r, b), n = block_end(r, b + 1) - y0;
        pthread_mutex_unlock(&r->lock);
        for (size_t i = 0; i < n; i++)
            rows[i] = slot_row(r, b, i);
        pp_err e;
        uint64_t t0 = pp_clock_ns();
        int rc = r->sink->write(r->sink->ctx, y0, n, (const uint8_t *const *)rows, &e);
        uint64_t dt = pp_clock_ns() - t0;
        pthread_mutex_lock(&r->lock);
        r->sink_ns += dt;
        if (rc < 0 && !r->failed) {
            r->failed = true;
            r->err = e;
        }
        r->complete[b % r->inflight] = false;
        r->next_write++;
        pthread_cond_broadcast(&r->cond);
    }
    r->writing = false;
}

static void par_worker(void *arg)
{
    par *r = arg;
    pp_err e;
    pp__chain *c = pp__chain_new(r->plan, r->s, &r->chain_input, r->strip, &e);
    uint8_t **rows = pp_malloc_array(r->block, sizeof *rows, &e);
    if (!c || !rows) {
        record_error(r, &e);
        goto done;
    }
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->failed && r->next_claim < r->nblocks &&
               r->next_claim - r->next_write >= r->inflight)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->failed || r->next_claim >= r->nblocks)
            break;
        size_t b = r->next_claim++;
        pthread_mutex_unlock(&r->lock);
        int rc = compute_block(r, c, b, rows, &e);
        pthread_mutex_lock(&r->lock);
        if (rc < 0) {
            if (!r->failed) {
                r->failed = true;
                r->err = e;
            }
            pthread_cond_broadcast(&r->cond);
            break;
        }
        r->complete[b % r->inflight] = true;
        write_ready(r, rows);
    }
    r->chain_input_ns += pp__chain_input_ns(c);
    pthread_mutex_unlock(&r->lock);
done:
    free(rows);
    pp__chain_free(c);
}

/* Block height: at least four blocks per thread, a multiple of the strip. */
static size_t pick_block(size_t h, size_t strip, int threads)
{
    size_t b = h / (4 * (size_t)threads);
    if (b > 8 * strip)
        b = 8 * strip;
    b = (b + strip - 1) / strip * strip;
    return b < strip ? strip : b;
}

static int run_parallel(const pp_plan *p, const pp__seg *s, const pp__input *in,
                        const pp_row_source *src, const pp_row_sink *sink, const pp_exec_opts *o,
                        size_t strip, size_t y_begin, size_t y_end, pp_exec_stats *st,
                        pp_err *err)
{
    par r;
    memset(&r, 0, sizeof r);
    r.plan = p;
    r.s = s;
    r.sink = sink;
    r.o = o;
    r.strip = strip;
    r.y_begin = y_begin;
    r.y_end = y_end;
    r.block = pick_block(y_end - y_begin, strip, o->threads);
    r.nblocks = (y_end - y_begin + r.block - 1) / r.block;
    r.inflight = 2 * (size_t)o->threads;
    r.out_row_bytes = pp__row_bytes(&s->out);
    r.chain_input = *in;
    int rc = 0;
    pthread_mutex_init(&r.lock, NULL);
    pthread_mutex_init(&r.dec_lock, NULL);
    pthread_cond_init(&r.cond, NULL);
    r.slots = pp_malloc_array(r.inflight * r.block, r.out_row_bytes, err);
    r.complete = pp_calloc(r.inflight, sizeof *r.complete, err);
    if (!r.slots || !r.complete) {
        rc = PP_ENOMEM;
        goto done;
    }
    if (in->read && !s->from_barrier) { /* sequential source: a shared window */
        r.seq = src;
        r.win_row_bytes = pp__row_bytes(&s->in);
        r.win_cap = window_rows(&r);
        r.win = pp_malloc_array(r.win_cap, r.win_row_bytes, err);
        r.dec_rows = pp_malloc_array(strip, sizeof *r.dec_rows, err);
        if (!r.win || !r.dec_rows) {
            rc = PP_ENOMEM;
            goto done;
        }
        r.chain_input = (pp__input){win_row, win_want, NULL, &r, false};
    }
    pp_pool_run(o->pool, par_worker, &r, o->threads);
    if (r.failed) {
        if (err)
            *err = r.err;
        rc = r.err.code < 0 ? r.err.code : PP_EINTERNAL;
    }
    st->source_ns += r.source_ns + r.chain_input_ns;
    st->sink_ns += s->to_barrier ? 0 : r.sink_ns;
done:
    free(r.slots);
    free(r.complete);
    free(r.win);
    free(r.dec_rows);
    pthread_mutex_destroy(&r.lock);
    pthread_mutex_destroy(&r.dec_lock);
    pthread_cond_destroy(&r.cond);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Plans                                                               */
/* ------------------------------------------------------------------ */

int pp__run_rows(const pp_plan *p, const pp__seg *s, const pp__input *in,
                 const pp_row_source *src, const pp_row_sink *sink, const pp_exec_opts *o,
                 size_t strip, size_t y_begin, size_t y_end, pp_exec_stats *st, pp_err *err)
{
    bool parallel = o->pool && o->threads > 1 && y_end - y_begin > strip;
    if (parallel)
        return run_parallel(p, s, in, src, sink, o, strip, y_begin, y_end, st, err);
    return run_serial(p, s, in, sink, o, strip, y_begin, y_end, st, err);
}

static int run_segment(const pp_plan *p, const pp__seg *s, const pp_row_source *src,
                       void *acc_in, const pp_row_sink *sink, const pp_exec_opts *o,
                       size_t strip, pp_exec_stats *st, pp_err *err)
{
    pp__input in = segment_input(s, src, acc_in);
    return pp__run_rows(p, s, &in, src, sink, o, strip, 0, s->out.height, st, err);
}

/* The accumulator of segment s's barrier: one that reads the source image
 * in place when s is the first segment and has no streaming stages (image:
 * the source, when it is an in-memory image with slack), else a new one that
 * the segment's rows fill. *filled says which. */
static void *segment_acc(const pp__seg *s, const pp_image *image, const pp__rect *whole,
                         bool *filled, pp_err *err)
{
    const pp__stage *b = s->to_barrier;
    *filled = image && !s->from_barrier && s->count == 0 && b->ops->acc_borrow &&
              image->slack >= PP_IMAGE_SLACK;
    if (*filled)
        return b->ops->acc_borrow(b, whole, image->data, image->stride, err);
    return b->ops->acc_new(b, whole, err);
}

/* pp_plan_run; image: the source as an in-memory image, or NULL. */
static int run_plan(const pp_plan *p, const pp_row_source *src, const pp_image *image,
                    const pp_row_sink *sink, const pp_exec_opts *opts, pp_exec_stats *stats,
                    pp_err *err)
{
    pp_exec_opts defaults;
    if (!opts) {
        pp_exec_opts_default(&defaults);
        opts = &defaults;
    }
    pp_exec_stats local;
    pp_exec_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    uint64_t t0 = pp_clock_ns();
    if (src->fmt.width != p->in.width || src->fmt.height != p->in.height ||
        src->fmt.channels != p->in.channels)
        return pp_err_set(err, PP_EINVAL, "source format does not match the plan");
    pp__seg *segs = pp_malloc_array(p->nstages + 1, sizeof *segs, err);
    if (!segs)
        return PP_ENOMEM;
    size_t nseg = pp__split_segments(p, segs), strip = pp__pick_strip(p, opts->strip_rows);
    void *acc_prev = NULL;
    int rc = 0;
    for (size_t i = 0; i < nseg && rc == 0; i++) {
        const pp__seg *s = &segs[i];
        acc_sink as = {s->to_barrier, NULL};
        pp_row_sink bsink = {acc_write, &as, NULL};
        pp__rect whole = {0, s->out.width, 0, s->out.height};
        bool filled = false;
        if (s->to_barrier && !(as.acc = segment_acc(s, image, &whole, &filled, err)))
            rc = err ? err->code : PP_ENOMEM;
        else if (!filled)
            rc = run_segment(p, s, src, acc_prev, s->to_barrier ? &bsink : sink, opts, strip, st,
                             err);
        if (rc == 0 && s->to_barrier)
            rc = s->to_barrier->ops->acc_end(s->to_barrier, as.acc, err);
        if (acc_prev)
            s->from_barrier->ops->acc_free(acc_prev);
        acc_prev = as.acc;
        if (rc < 0 && acc_prev) {
            s->to_barrier->ops->acc_free(acc_prev);
            acc_prev = NULL;
        }
    }
    free(segs);
    st->total_ns = pp_clock_ns() - t0;
    return rc;
}

int pp_plan_run(const pp_plan *p, const pp_row_source *src, const pp_row_sink *sink,
                const pp_exec_opts *opts, pp_exec_stats *stats, pp_err *err)
{
    return run_plan(p, src, NULL, sink, opts, stats, err);
}

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

static const uint8_t *image_row(void *ctx, size_t y)
{
    return pp_image_row(ctx, y);
}

static uint8_t *image_out_row(void *ctx, size_t y)
{
    return pp_image_row(ctx, y);
}

/* Rows computed in place need nothing more; rows from the parallel
 * runner's block slots are copied. */
static int image_written(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    (void)err;
    pp_image *im = ctx;
    for (size_t i = 0; i < n; i++)
        if (rows[i] != pp_image_row(im, y0 + i))
            memcpy(pp_image_row(im, y0 + i), rows[i], im->width * (size_t)im->channels);
    return 0;
}

int pp_plan_run_into(const pp_plan *p, const pp_image *in, pp_image *out, const pp_exec_opts *o,
                     pp_err *err)
{
    if (out->width != p->out.width || out->height != p->out.height ||
        out->channels != p->out.channels)
        return pp_err_set(err, PP_EINVAL, "output image is %zux%zu x%d, the plan makes %zux%zu x%d",
                          out->width, out->height, out->channels, p->out.width, p->out.height,
                          p->out.channels);
    pp_row_source src = {pp_image_format(in), false, NULL, (void *)in, image_row};
    pp_row_sink sink = {image_written, out, image_out_row};
    return run_plan(p, &src, in, &sink, o, NULL, err);
}

pp_image *pp_plan_run_image(const pp_plan *p, const pp_image *in, const pp_exec_opts *o,
                            pp_err *err)
{
    pp_image *out = pp_image_new(p->out.width, p->out.height, p->out.channels, err);
    if (out && pp_plan_run_into(p, in, out, o, err) < 0) {
        pp_image_free(out);
        return NULL;
    }
    return out;
}

pp_image *pp_apply_image(const char *text, const pp_image *in, size_t strip_rows, pp_err *err)
{
    pp_pipeline *pipe = pp_pipeline_parse_any(text, err);
    if (!pipe)
        return NULL;
    pp_format f = pp_image_format(in);
    pp_plan *plan = pp_plan_new(pipe, &f, err);
    pp_image *out = NULL;
    if (plan) {
        pp_exec_opts o;
        pp_exec_opts_default(&o);
        o.strip_rows = strip_rows;
        out = pp_plan_run_image(plan, in, &o, err);
    }
    pp_plan_free(plan);
    pp_pipeline_free(pipe);
    return out;
}
