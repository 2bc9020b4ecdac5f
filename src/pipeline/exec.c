/* The fused strip executor.
 *
 * A plan is cut into segments at barriers:
 *
 *   source -> stage -> stage -> ... -> sink        (no barrier)
 *   source -> stages -> [barrier acc] ; [barrier emit] -> stages -> sink
 *
 * A chain runs one segment over an output row range, one strip at a time,
 * pulling rows on demand (libvips regions, Halide line buffers):
 *
 *   - Each stage k has an input window: a ring of rows of its input, indexed
 *     by absolute row number (row y lives in slot y % cap). When stage k must
 *     compute output rows [p, q), it asks which input rows it needs, makes its
 *     window hold them (asking stage k-1 to compute the missing ones, in
 *     order, which recurses up to the source), builds an array of row
 *     pointers with the border applied, and runs its kernel.
 *   - A stage with `prep` stores prepared rows in its window (for example a
 *     horizontal pass), so each input row is prepared exactly once.
 *   - Windows only move forward while a chain walks down a range, so every
 *     intermediate row is computed once; a window holds at most the rows one
 *     strip of its consumer needs. Memory grows with the width, not the
 *     height.
 *   - A sequential source (a decoder) is never asked for a row twice.
 *
 * Every row is a pure function of the input rows, so the bytes produced do
 * not depend on the strip height or on where a chain's range starts.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline_impl.h"

/* ------------------------------------------------------------------ */
/* Segments                                                            */
/* ------------------------------------------------------------------ */

typedef struct seg {
    size_t first, count;           /* streaming stages [first, first+count) */
    const pp__stage *from_barrier; /* emits this segment's input; NULL: the plan's source */
    const pp__stage *to_barrier;   /* accumulates this segment's output; NULL: the sink */
    pp_format in, out;
} seg;

/* Splits the plan into segments; returns how many (<= nstages + 1). */
static size_t split_segments(const pp_plan *p, seg *segs)
{
    size_t n = 0, start = 0;
    const pp__stage *from = NULL;
    pp_format in = p->in;
    for (size_t i = 0; i <= p->nstages; i++) {
        bool end = i == p->nstages;
        if (!end && !p->stages[i].barrier)
            continue;
        seg *s = &segs[n++];
        s->first = start;
        s->count = i - start;
        s->from_barrier = from;
        s->to_barrier = end ? NULL : &p->stages[i];
        s->in = in;
        s->out = s->count ? p->stages[i - 1].out : in;
        if (!end) {
            from = &p->stages[i];
            in = p->stages[i].out;
        }
        start = i + 1;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Windows                                                             */
/* ------------------------------------------------------------------ */

typedef struct ring {
    uint8_t *mem;
    size_t cap;       /* rows */
    size_t row_bytes; /* bytes per slot */
    size_t lo, hi;    /* rows [lo, hi) are present */
} ring;

static inline uint8_t *ring_row(const ring *r, size_t y)
{
    return r->mem + (y % r->cap) * r->row_bytes;
}

typedef struct link {
    const pp__stage *st; /* the stage this window feeds */
    ring win;            /* raw or prepared input rows */
    ring alpha;          /* alpha lane of input rows (alpha passthrough) */
    bool keep_alpha;
    uint8_t *raw;        /* strip of raw rows when the stage preps */
    size_t raw_bytes;
    void *const_row;     /* CONSTANT border row, in window format */
    const void **in;     /* row pointers handed to run() */
    uint8_t **dst;       /* row pointers of one produced strip */
    void *scratch;
} link;

typedef struct chain {
    const seg *s;
    const pp__stage *stages; /* plan stages; segment stage j is stages[s->first + j] */
    size_t strip;
    link *links;
    /* input */
    const pp_row_source *src; /* when the segment starts at the plan's source */
    const void *acc_in;       /* when it starts at a barrier */
    void *emit_scratch;
    uint64_t source_ns;
} chain;

static void needed(const pp__stage *st, size_t y0, size_t y1, ptrdiff_t *a, ptrdiff_t *b)
{
    if (st->ops->rows_needed) {
        st->ops->rows_needed(st, y0, y1, a, b);
    } else {
        *a = (ptrdiff_t)y0 - st->halo;
        *b = (ptrdiff_t)y1 + st->halo;
    }
}

/* The in-image rows [lo, hi) that input rows [a, b) map to. */
static void mapped_span(const pp__stage *st, ptrdiff_t a, ptrdiff_t b, size_t *lo, size_t *hi)
{
    ptrdiff_t h = (ptrdiff_t)st->in.height, mn = h, mx = -1;
    if (st->border == PP_BORDER_CONSTANT) {
        mn = a < 0 ? 0 : a;
        mx = (b > h ? h : b) - 1;
    } else if (a >= 0 && b <= h) {
        mn = a;
        mx = b - 1;
    } else {
        for (ptrdiff_t y = a; y < b; y++) {
            ptrdiff_t m = pp__border_index(y, h, st->border);
            mn = m < mn ? m : mn;
            mx = m > mx ? m : mx;
        }
    }
    if (mx < mn) { /* constant border entirely outside: nothing needed */
        *lo = *hi = 0;
        return;
    }
    *lo = (size_t)mn;
    *hi = (size_t)mx + 1;
}

/* Largest window span and pointer count any strip of up to `strip` output
 * rows can need. Intermediate strips start at any row, so stages with their
 * own row mapping are scanned at every start row. */
static void window_size(const pp__stage *st, size_t strip, size_t *cap, size_t *nptr)
{
    if (!st->ops->rows_needed) {
        size_t span = strip + 2 * (size_t)st->halo;
        *nptr = span;
        *cap = span < st->in.height ? span : st->in.height;
        return;
    }
    size_t h = st->out.height, best = 1, bestp = 1;
    for (size_t y0 = 0; y0 < h; y0++) {
        size_t y1 = y0 + strip < h ? y0 + strip : h;
        ptrdiff_t a, b;
        size_t lo, hi;
        needed(st, y0, y1, &a, &b);
        mapped_span(st, a, b, &lo, &hi);
        if (hi - lo > best)
            best = hi - lo;
        if ((size_t)(b - a) > bestp)
            bestp = (size_t)(b - a);
    }
    *cap = best;
    *nptr = bestp;
}

static size_t raw_row_bytes(const pp_format *f)
{
    return f->width * (size_t)f->channels;
}

static size_t win_row_bytes(const pp__stage *st)
{
    return st->ops->prep_bytes ? st->ops->prep_bytes(st) : raw_row_bytes(&st->in);
}

static void link_free(link *l)
{
    free(l->win.mem);
    free(l->alpha.mem);
    free(l->raw);
    free(l->const_row);
    free(l->in);
    free(l->dst);
    free(l->scratch);
}

static int link_init(link *l, const pp__stage *st, size_t strip, pp_err *err)
{
    memset(l, 0, sizeof *l);
    l->st = st;
    size_t cap, nptr;
    window_size(st, strip, &cap, &nptr);
    size_t rb = win_row_bytes(st), raw = raw_row_bytes(&st->in);
    l->win.cap = cap;
    l->win.row_bytes = rb;
    l->win.mem = pp_malloc_array(cap, rb, err);
    l->in = pp_malloc_array(nptr, sizeof *l->in, err);
    l->dst = pp_malloc_array(strip, sizeof *l->dst, err);
    if (!l->win.mem || !l->in || !l->dst)
        return PP_ENOMEM;
    l->keep_alpha = st->alpha_passthrough && pp_channels_have_alpha(st->in.channels);
    if (l->keep_alpha) {
        l->alpha.cap = cap;
        l->alpha.row_bytes = st->in.width;
        if (!(l->alpha.mem = pp_malloc_array(cap, st->in.width, err)))
            return PP_ENOMEM;
    }
    if (st->ops->prep) {
        l->raw_bytes = raw;
        if (!(l->raw = pp_malloc_array(strip, raw, err)))
            return PP_ENOMEM;
    }
    if (st->border == PP_BORDER_CONSTANT) {
        uint8_t *row = pp_malloc(raw, err);
        if (!row)
            return PP_ENOMEM;
        memset(row, st->border_value, raw);
        if (st->ops->prep) {
            l->const_row = pp_malloc(rb, err);
            if (l->const_row)
                st->ops->prep(st, row, l->const_row);
            free(row);
            if (!l->const_row)
                return PP_ENOMEM;
        } else {
            l->const_row = row;
        }
    }
    if (st->ops->scratch_bytes) {
        size_t n = st->ops->scratch_bytes(st, strip);
        if (n && !(l->scratch = pp_malloc_aligned(n, err)))
            return PP_ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Pulling rows                                                        */
/* ------------------------------------------------------------------ */

static int run_stage(chain *c, size_t j, size_t p, size_t m, uint8_t *const *dst, pp_err *err);

/* Reads rows [p, p+m) of the segment's input into dst. */
static int read_input(chain *c, size_t p, size_t m, uint8_t *const *dst, pp_err *err)
{
    const seg *s = c->s;
    if (s->from_barrier) {
        s->from_barrier->ops->emit(s->from_barrier, c->acc_in, p, m, dst, c->emit_scratch);
        return 0;
    }
    uint64_t t0 = pp_clock_ns();
    int rc = c->src->read(c->src->ctx, p, m, dst, err);
    c->source_ns += pp_clock_ns() - t0;
    return rc;
}

/* Computes rows [p, p+m) of stage k's input (from the source or stage k-1)
 * into its window, preparing them and keeping their alpha as needed. */
static int fill(chain *c, size_t k, size_t p, size_t m, pp_err *err)
{
    link *l = &c->links[k];
    const pp__stage *st = l->st;
    for (size_t i = 0; i < m; i++)
        l->dst[i] = l->raw ? l->raw + i * l->raw_bytes : ring_row(&l->win, p + i);
    int rc = k == 0 ? read_input(c, p, m, l->dst, err) : run_stage(c, k - 1, p, m, l->dst, err);
    if (rc < 0)
        return rc;
    if (l->keep_alpha) {
        int ch = st->in.channels;
        for (size_t i = 0; i < m; i++) {
            const uint8_t *src = l->dst[i] + ch - 1;
            uint8_t *a = ring_row(&l->alpha, p + i);
            for (size_t x = 0; x < st->in.width; x++)
                a[x] = src[x * (size_t)ch];
        }
    }
    if (l->raw)
        for (size_t i = 0; i < m; i++)
            st->ops->prep(st, l->dst[i], ring_row(&l->win, p + i));
    return 0;
}

/* Makes stage k's window hold input rows [lo, hi). */
static int ensure(chain *c, size_t k, size_t lo, size_t hi, pp_err *err)
{
    ring *w = &c->links[k].win;
    if (lo < w->lo || lo > w->hi) {
        if (k == 0 && !c->s->from_barrier && c->src->sequential && lo < w->hi)
            return pp_err_set(err, PP_EINTERNAL,
                              "executor: row %zu was evicted from a sequential source", lo);
        w->lo = w->hi = lo;
    }
    while (w->hi < hi) {
        size_t p = w->hi, m = hi - p < c->strip ? hi - p : c->strip;
        if (p + m - w->lo > w->cap)
            w->lo = p + m - w->cap;
        if (w->lo > lo)
            return pp_err_set(err, PP_EINTERNAL, "executor: window of %zu rows too small",
                              w->cap);
        int rc = fill(c, k, p, m, err);
        if (rc < 0)
            return rc;
        w->hi = p + m;
    }
    return 0;
}

/* Segment stage j computes its output rows [p, p+m) into dst. */
static int run_stage(chain *c, size_t j, size_t p, size_t m, uint8_t *const *dst, pp_err *err)
{
    link *l = &c->links[j];
    const pp__stage *st = l->st;
    ptrdiff_t a, b;
    size_t lo, hi;
    needed(st, p, p + m, &a, &b);
    mapped_span(st, a, b, &lo, &hi);
    if (hi > lo) {
        int rc = ensure(c, j, lo, hi, err);
        if (rc < 0)
            return rc;
    }
    ptrdiff_t h = (ptrdiff_t)st->in.height;
    for (ptrdiff_t y = a; y < b; y++) {
        if (st->border == PP_BORDER_CONSTANT && (y < 0 || y >= h))
            l->in[y - a] = l->const_row;
        else
            l->in[y - a] = ring_row(&l->win, (size_t)pp__border_index(y, h, st->border));
    }
    st->ops->run(st, l->in, p, m, dst, l->scratch);
    if (l->keep_alpha) {
        int ch = st->out.channels;
        for (size_t i = 0; i < m; i++) {
            const uint8_t *a8 = ring_row(&l->alpha, p + i);
            uint8_t *o = dst[i] + ch - 1;
            for (size_t x = 0; x < st->out.width; x++)
                o[x * (size_t)ch] = a8[x];
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Chains                                                              */
/* ------------------------------------------------------------------ */

static void chain_free(chain *c)
{
    if (!c->links)
        return;
    for (size_t j = 0; j < c->s->count; j++)
        link_free(&c->links[j]);
    free(c->links);
    free(c->emit_scratch);
    c->links = NULL;
}

static int chain_init(chain *c, const pp_plan *p, const seg *s, size_t strip, pp_err *err)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->stages = p->stages;
    c->strip = strip;
    c->links = pp_calloc(s->count ? s->count : 1, sizeof *c->links, err);
    if (!c->links)
        return PP_ENOMEM;
    for (size_t j = 0; j < s->count; j++) {
        int rc = link_init(&c->links[j], &p->stages[s->first + j], strip, err);
        if (rc < 0) {
            chain_free(c);
            return rc;
        }
    }
    const pp__stage *b = s->from_barrier;
    if (b && b->ops->scratch_bytes) {
        size_t n = b->ops->scratch_bytes(b, strip);
        if (n && !(c->emit_scratch = pp_malloc_aligned(n, err))) {
            chain_free(c);
            return PP_ENOMEM;
        }
    }
    return 0;
}

/* Computes the segment's output rows [p, p+m) into dst. */
static int chain_rows(chain *c, size_t p, size_t m, uint8_t *const *dst, pp_err *err)
{
    if (c->s->count == 0)
        return read_input(c, p, m, dst, err);
    return run_stage(c, c->s->count - 1, p, m, dst, err);
}

/* ------------------------------------------------------------------ */
/* Running a plan                                                      */
/* ------------------------------------------------------------------ */

void pp_exec_opts_default(pp_exec_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* Default strip height: about 256 KB of the widest row, 8..128 rows. */
static size_t pick_strip(const pp_plan *p, size_t requested)
{
    if (requested)
        return requested;
    size_t widest = raw_row_bytes(&p->in);
    for (size_t i = 0; i < p->nstages; i++)
        if (raw_row_bytes(&p->stages[i].out) > widest)
            widest = raw_row_bytes(&p->stages[i].out);
    size_t s = ((size_t)256 << 10) / (widest ? widest : 1);
    return s < 8 ? 8 : s > 128 ? 128 : s;
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

/* Runs one segment over all its output rows into sink. */
static int run_segment(const pp_plan *p, const seg *s, const pp_row_source *src,
                       const void *acc_in, const pp_row_sink *sink, const pp_exec_opts *o,
                       size_t strip, pp_exec_stats *st, pp_err *err)
{
    chain c;
    int rc = chain_init(&c, p, s, strip, err);
    if (rc < 0)
        return rc;
    c.src = src;
    c.acc_in = acc_in;
    size_t rb = raw_row_bytes(&s->out);
    uint8_t *buf = pp_malloc_array(strip, rb, err);
    uint8_t **rows = pp_malloc_array(strip, sizeof *rows, err);
    if (!buf || !rows) {
        rc = PP_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < strip; i++)
        rows[i] = buf + i * rb;
    for (size_t y = 0; y < s->out.height; y += strip) {
        if (pp_canceled(o->cancel)) {
            rc = pp_err_set(err, PP_ECANCELED, "canceled");
            break;
        }
        size_t m = s->out.height - y < strip ? s->out.height - y : strip;
        if ((rc = chain_rows(&c, y, m, rows, err)) < 0)
            break;
        uint64_t t0 = pp_clock_ns();
        rc = sink->write(sink->ctx, y, m, (const uint8_t *const *)rows, err);
        if (!s->to_barrier)
            st->sink_ns += pp_clock_ns() - t0;
        if (rc < 0)
            break;
    }
done:
    st->source_ns += c.source_ns;
    free(buf);
    free(rows);
    chain_free(&c);
    return rc;
}

int pp_plan_run(const pp_plan *p, const pp_row_source *src, const pp_row_sink *sink,
                const pp_exec_opts *opts, pp_exec_stats *stats, pp_err *err)
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
    seg *segs = pp_malloc_array(p->nstages + 1, sizeof *segs, err);
    if (!segs)
        return PP_ENOMEM;
    size_t nseg = split_segments(p, segs), strip = pick_strip(p, opts->strip_rows);
    void *acc_prev = NULL;
    int rc = 0;
    for (size_t i = 0; i < nseg && rc == 0; i++) {
        const seg *s = &segs[i];
        acc_sink as = {s->to_barrier, NULL};
        pp_row_sink bsink = {acc_write, &as};
        if (s->to_barrier && !(as.acc = s->to_barrier->ops->acc_new(s->to_barrier, err))) {
            rc = err ? err->code : PP_ENOMEM;
            break;
        }
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

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

static int image_read(void *ctx, size_t y0, size_t n, uint8_t *const *rows, pp_err *err)
{
    (void)err;
    const pp_image *im = ctx;
    for (size_t i = 0; i < n; i++)
        memcpy(rows[i], pp_image_row(im, y0 + i), im->width * (size_t)im->channels);
    return 0;
}

static int image_write(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    (void)err;
    pp_image *im = ctx;
    for (size_t i = 0; i < n; i++)
        memcpy(pp_image_row(im, y0 + i), rows[i], im->width * (size_t)im->channels);
    return 0;
}

pp_image *pp_plan_run_image(const pp_plan *p, const pp_image *in, const pp_exec_opts *o,
                            pp_err *err)
{
    pp_image *out = pp_image_new(p->out.width, p->out.height, p->out.channels, err);
    if (!out)
        return NULL;
    pp_row_source src = {pp_image_format(in), false, image_read, (void *)in};
    pp_row_sink sink = {image_write, out};
    if (pp_plan_run(p, &src, &sink, o, NULL, err) < 0) {
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

/* ------------------------------------------------------------------ */
/* Explain                                                             */
/* ------------------------------------------------------------------ */

static size_t link_bytes(const pp__stage *st, size_t strip)
{
    size_t cap, nptr;
    window_size(st, strip, &cap, &nptr);
    size_t b = cap * win_row_bytes(st) + nptr * sizeof(void *);
    if (st->alpha_passthrough && pp_channels_have_alpha(st->in.channels))
        b += cap * st->in.width;
    if (st->ops->prep)
        b += strip * raw_row_bytes(&st->in);
    if (st->ops->scratch_bytes)
        b += st->ops->scratch_bytes(st, strip);
    return b;
}

size_t pp_plan_peak_bytes(const pp_plan *p, size_t strip_rows)
{
    size_t strip = pick_strip(p, strip_rows), peak = 0, held = 0;
    seg *segs = malloc((p->nstages + 1) * sizeof *segs);
    if (!segs)
        return 0;
    size_t nseg = split_segments(p, segs);
    for (size_t i = 0; i < nseg; i++) {
        const seg *s = &segs[i];
        size_t b = strip * raw_row_bytes(&s->out);
        for (size_t j = 0; j < s->count; j++)
            b += link_bytes(&p->stages[s->first + j], strip);
        size_t acc = s->to_barrier && s->to_barrier->ops->acc_bytes
                         ? s->to_barrier->ops->acc_bytes(s->to_barrier)
                         : 0;
        /* while a segment runs, the barrier feeding it and the one it fills are both held */
        if (held + acc + b > peak)
            peak = held + acc + b;
        held = acc;
    }
    free(segs);
    return peak;
}

static void fmt_bytes(char *buf, size_t n, size_t bytes)
{
    if (bytes >= ((size_t)10 << 20))
        snprintf(buf, n, "%zu MB", bytes >> 20);
    else if (bytes >= ((size_t)10 << 10))
        snprintf(buf, n, "%zu KB", bytes >> 10);
    else
        snprintf(buf, n, "%zu B", bytes);
}

void pp_plan_explain(const pp_plan *p, size_t strip_rows, FILE *out)
{
    size_t strip = pick_strip(p, strip_rows);
    fprintf(out, "input   %zux%zu %s\n", p->in.width, p->in.height,
            pp_channels_name(p->in.channels));
    for (size_t i = 0; i < p->nstages; i++) {
        const pp__stage *st = &p->stages[i];
        char mem[32];
        if (st->barrier) {
            fmt_bytes(mem, sizeof mem, st->ops->acc_bytes ? st->ops->acc_bytes(st) : 0);
            fprintf(out, "stage %zu %-34s BARRIER  %-14s -> %zux%zu %s, holds %s\n", i + 1,
                    st->label, st->ops->name, st->out.width, st->out.height,
                    pp_channels_name(st->out.channels), mem);
        } else {
            size_t cap, nptr;
            window_size(st, strip, &cap, &nptr);
            fmt_bytes(mem, sizeof mem, link_bytes(st, strip));
            fprintf(out,
                    "stage %zu %-34s stream   %-14s halo %d rows x %d cols, window %zu rows, "
                    "%s -> %zux%zu %s\n",
                    i + 1, st->label, st->ops->name, st->halo, st->halo_x, cap, mem,
                    st->out.width, st->out.height, pp_channels_name(st->out.channels));
        }
    }
    char peak[32];
    fmt_bytes(peak, sizeof peak, pp_plan_peak_bytes(p, strip_rows));
    fprintf(out, "output  %zux%zu %s\nstrip   %zu rows\npeak    about %s of working memory "
                 "(codec buffers not included)\n",
            p->out.width, p->out.height, pp_channels_name(p->out.channels), strip, peak);
}
