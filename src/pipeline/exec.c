/* The fused strip executor: segments, chains and windows.
 *
 * A plan is cut into segments at barriers:
 *
 *   source -> stage -> stage -> ... -> sink        (no barrier)
 *   source -> stages -> [barrier acc] ; [barrier emit] -> stages -> sink
 *
 * A chain computes output rows of one segment, strip by strip, pulling rows
 * on demand (libvips regions, Halide line buffers):
 *
 *   - Stage k has an input window: a ring of rows of its input indexed by
 *     absolute row number (row y lives in slot y % cap). To compute output
 *     rows [p, q), stage k asks which input rows it needs, makes its window
 *     hold them (asking stage k-1 for the missing ones, in order, which
 *     recurses up to the input), builds an array of row pointers with the
 *     vertical border applied, and runs its kernel.
 *   - A stage with `prep` stores prepared rows (e.g. a horizontal pass), so
 *     each input row is prepared once.
 *   - When the segment's input is random access (an image in memory, the
 *     parallel runner's shared decoder window), the first stage reads its
 *     rows in place: no window, no copy.
 *   - Windows only move forward while a chain walks down its rows, so every
 *     intermediate row is computed once per chain; a window holds at most
 *     the rows one strip of its consumer needs. Memory grows with the width,
 *     not the height.
 *
 * Every row is a pure function of the input rows, so the bytes produced do
 * not depend on the strip height, on where a chain starts, or on how many
 * chains share the work (run.c).
 */
#include <stdlib.h>
#include <string.h>

#include "exec_impl.h"

/* ------------------------------------------------------------------ */
/* Segments and geometry of windows                                    */
/* ------------------------------------------------------------------ */

size_t pp__split_segments(const pp_plan *p, pp__seg *segs)
{
    size_t n = 0, start = 0;
    const pp__stage *from = NULL;
    pp_format in = p->in;
    for (size_t i = 0; i <= p->nstages; i++) {
        bool end = i == p->nstages;
        if (!end && !p->stages[i].barrier)
            continue;
        pp__seg *s = &segs[n++];
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

size_t pp__pick_strip(const pp_plan *p, size_t requested)
{
    if (requested)
        return requested;
    size_t widest = pp__row_bytes(&p->in);
    for (size_t i = 0; i < p->nstages; i++)
        if (pp__row_bytes(&p->stages[i].out) > widest)
            widest = pp__row_bytes(&p->stages[i].out);
    size_t s = ((size_t)256 << 10) / (widest ? widest : 1);
    return s < 8 ? 8 : s > 128 ? 128 : s;
}

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
    if (mx < mn) { /* constant border entirely outside: no input row needed */
        *lo = *hi = 0;
        return;
    }
    *lo = (size_t)mn;
    *hi = (size_t)mx + 1;
}

void pp__window_size(const pp__stage *st, size_t strip, size_t *cap, size_t *nptr)
{
    if (!st->ops->rows_needed) {
        size_t span = strip + 2 * (size_t)st->halo;
        *nptr = span;
        *cap = span < st->in.height ? span : st->in.height;
        return;
    }
    /* Stages with their own row mapping: intermediate strips start at any
     * row, so every start row is checked. */
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

void pp__seg_source_span(const pp_plan *p, const pp__seg *s, size_t y0, size_t y1, size_t *lo,
                         size_t *hi)
{
    size_t a = y0, b = y1;
    for (size_t j = s->count; j-- > 0;) {
        const pp__stage *st = &p->stages[s->first + j];
        ptrdiff_t na, nb;
        needed(st, a, b, &na, &nb);
        mapped_span(st, na, nb, &a, &b);
        if (b <= a)
            break;
    }
    *lo = a;
    *hi = b;
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
    bool direct;         /* raw input rows are read in place (random-access input) */
    ring win;            /* raw or prepared input rows (unused when direct without prep) */
    ring alpha;          /* alpha lane of input rows (alpha passthrough, not direct) */
    bool keep_alpha;
    uint8_t *raw;        /* one strip of raw rows when the stage preps a copied input */
    size_t raw_bytes;
    void *const_row;     /* CONSTANT border row, in window format */
    const void **in;     /* row pointers handed to run() */
    uint8_t **dst;       /* row pointers of one produced strip */
    void *scratch;
} link;

struct pp__chain {
    const pp__seg *s;
    size_t strip;
    link *links;
    pp__input input;
    void *emit_scratch;
    uint64_t input_ns;
};

static size_t win_row_bytes(const pp__stage *st)
{
    return st->ops->prep_bytes ? st->ops->prep_bytes(st) : pp__row_bytes(&st->in);
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

static int link_const_row(link *l, const pp__stage *st, pp_err *err)
{
    size_t raw = pp__row_bytes(&st->in);
    uint8_t *row = pp_malloc(raw, err);
    if (!row)
        return PP_ENOMEM;
    memset(row, st->border_value, raw);
    if (!st->ops->prep) {
        l->const_row = row;
        return 0;
    }
    l->const_row = pp_malloc(win_row_bytes(st), err);
    if (l->const_row)
        st->ops->prep(st, row, l->const_row);
    free(row);
    return l->const_row ? 0 : PP_ENOMEM;
}

static int link_init(link *l, const pp__stage *st, bool direct, size_t strip, pp_err *err)
{
    memset(l, 0, sizeof *l);
    l->st = st;
    l->direct = direct;
    size_t cap, nptr;
    pp__window_size(st, strip, &cap, &nptr);
    l->in = pp_malloc_array(nptr, sizeof *l->in, err);
    l->dst = pp_malloc_array(strip, sizeof *l->dst, err);
    if (!l->in || !l->dst)
        return PP_ENOMEM;
    if (!direct || st->ops->prep) {
        l->win.cap = cap;
        l->win.row_bytes = win_row_bytes(st);
        if (!(l->win.mem = pp_malloc_array(cap, l->win.row_bytes, err)))
            return PP_ENOMEM;
    }
    l->keep_alpha = st->alpha_passthrough && pp_channels_have_alpha(st->in.channels);
    if (l->keep_alpha && !direct) {
        l->alpha.cap = cap;
        l->alpha.row_bytes = st->in.width;
        if (!(l->alpha.mem = pp_malloc_array(cap, st->in.width, err)))
            return PP_ENOMEM;
    }
    if (st->ops->prep && !direct) {
        l->raw_bytes = pp__row_bytes(&st->in);
        if (!(l->raw = pp_malloc_array(strip, l->raw_bytes, err)))
            return PP_ENOMEM;
    }
    if (st->border == PP_BORDER_CONSTANT && link_const_row(l, st, err) < 0)
        return PP_ENOMEM;
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

static int run_stage(pp__chain *c, size_t j, size_t p, size_t m, uint8_t *const *dst,
                     pp_err *err);

/* Copies rows [p, p+m) of the segment's input into dst (copying inputs). */
static int read_input(pp__chain *c, size_t p, size_t m, uint8_t *const *dst, pp_err *err)
{
    const pp__stage *b = c->s->from_barrier;
    if (b) {
        b->ops->emit(b, c->input.ctx, p, m, dst, c->emit_scratch);
        return 0;
    }
    uint64_t t0 = pp_clock_ns();
    int rc = c->input.read(c->input.ctx, p, m, dst, err);
    c->input_ns += pp_clock_ns() - t0;
    return rc;
}

/* Computes rows [p, p+m) of stage k's input into its window, preparing them
 * and keeping their alpha as needed. */
static int fill(pp__chain *c, size_t k, size_t p, size_t m, pp_err *err)
{
    link *l = &c->links[k];
    const pp__stage *st = l->st;
    if (l->direct) { /* prep straight from the input rows */
        for (size_t i = 0; i < m; i++)
            st->ops->prep(st, c->input.row(c->input.ctx, p + i), ring_row(&l->win, p + i));
        return 0;
    }
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
static int ensure(pp__chain *c, size_t k, size_t lo, size_t hi, pp_err *err)
{
    ring *w = &c->links[k].win;
    if (lo < w->lo || lo > w->hi) {
        if (k == 0 && c->input.sequential && lo < w->hi)
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

/* Row y (in-image) of stage j's input, as handed to its kernel. */
static inline const void *input_row(pp__chain *c, const link *l, size_t y)
{
    if (l->direct && !l->st->ops->prep)
        return c->input.row(c->input.ctx, y);
    return ring_row(&l->win, y);
}

static void restore_alpha(pp__chain *c, const link *l, size_t p, size_t m, uint8_t *const *dst)
{
    const pp__stage *st = l->st;
    int ch = st->out.channels, ich = st->in.channels;
    for (size_t i = 0; i < m; i++) {
        uint8_t *o = dst[i] + ch - 1;
        if (l->direct) {
            const uint8_t *src = c->input.row(c->input.ctx, p + i) + ich - 1;
            for (size_t x = 0; x < st->out.width; x++)
                o[x * (size_t)ch] = src[x * (size_t)ich];
        } else {
            const uint8_t *a8 = ring_row(&l->alpha, p + i);
            for (size_t x = 0; x < st->out.width; x++)
                o[x * (size_t)ch] = a8[x];
        }
    }
}

/* Segment stage j computes its output rows [p, p+m) into dst. */
static int run_stage(pp__chain *c, size_t j, size_t p, size_t m, uint8_t *const *dst,
                     pp_err *err)
{
    link *l = &c->links[j];
    const pp__stage *st = l->st;
    ptrdiff_t a, b;
    size_t lo, hi;
    needed(st, p, p + m, &a, &b);
    mapped_span(st, a, b, &lo, &hi);
    if (hi > lo) {
        int rc = 0;
        if (l->direct && c->input.want)
            rc = c->input.want(c->input.ctx, lo, hi, err);
        if (rc == 0 && (!l->direct || st->ops->prep))
            rc = ensure(c, j, lo, hi, err);
        if (rc < 0)
            return rc;
    }
    ptrdiff_t h = (ptrdiff_t)st->in.height;
    for (ptrdiff_t y = a; y < b; y++) {
        if (st->border == PP_BORDER_CONSTANT && (y < 0 || y >= h))
            l->in[y - a] = l->const_row;
        else
            l->in[y - a] = input_row(c, l, (size_t)pp__border_index(y, h, st->border));
    }
    st->ops->run(st, l->in, p, m, dst, l->scratch);
    if (l->keep_alpha)
        restore_alpha(c, l, p, m, dst);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Chains                                                              */
/* ------------------------------------------------------------------ */

void pp__chain_free(pp__chain *c)
{
    if (!c)
        return;
    if (c->links)
        for (size_t j = 0; j < c->s->count; j++)
            link_free(&c->links[j]);
    free(c->links);
    free(c->emit_scratch);
    free(c);
}

pp__chain *pp__chain_new(const pp_plan *p, const pp__seg *s, const pp__input *in, size_t strip,
                         pp_err *err)
{
    pp__chain *c = pp_calloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    c->s = s;
    c->strip = strip;
    c->input = *in;
    c->links = pp_calloc(s->count ? s->count : 1, sizeof *c->links, err);
    if (!c->links)
        goto fail;
    for (size_t j = 0; j < s->count; j++) {
        bool direct = j == 0 && in->row != NULL;
        if (link_init(&c->links[j], &p->stages[s->first + j], direct, strip, err) < 0)
            goto fail;
    }
    const pp__stage *b = s->from_barrier;
    if (b && b->ops->scratch_bytes) {
        size_t n = b->ops->scratch_bytes(b, strip);
        if (n && !(c->emit_scratch = pp_malloc_aligned(n, err)))
            goto fail;
    }
    return c;
fail:
    pp__chain_free(c);
    return NULL;
}

int pp__chain_rows(pp__chain *c, size_t y0, size_t n, uint8_t *const *dst, pp_err *err)
{
    if (c->s->count > 0)
        return run_stage(c, c->s->count - 1, y0, n, dst, err);
    if (c->input.row) { /* no stage: the input rows themselves */
        int rc = c->input.want ? c->input.want(c->input.ctx, y0, y0 + n, err) : 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            memcpy(dst[i], c->input.row(c->input.ctx, y0 + i), pp__row_bytes(&c->s->out));
        return rc;
    }
    return read_input(c, y0, n, dst, err);
}

uint64_t pp__chain_input_ns(const pp__chain *c)
{
    return c->input_ns;
}

size_t pp__chain_bytes(const pp_plan *p, const pp__seg *s, size_t strip, bool direct_input)
{
    size_t total = 0;
    for (size_t j = 0; j < s->count; j++) {
        const pp__stage *st = &p->stages[s->first + j];
        bool direct = j == 0 && direct_input;
        size_t cap, nptr;
        pp__window_size(st, strip, &cap, &nptr);
        total += nptr * sizeof(void *) + strip * sizeof(void *);
        if (!direct || st->ops->prep)
            total += cap * win_row_bytes(st);
        if (st->alpha_passthrough && pp_channels_have_alpha(st->in.channels) && !direct)
            total += cap * st->in.width;
        if (st->ops->prep && !direct)
            total += strip * pp__row_bytes(&st->in);
        if (st->ops->scratch_bytes)
            total += st->ops->scratch_bytes(st, strip);
    }
    return total;
}
