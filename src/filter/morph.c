/* Morphology: erode, dilate, open, close, gradient, tophat, blackhat.
 *
 * Semantics are OpenCV's (cv::morphologyEx with getStructuringElement(shape,
 * (size, size)) and the centre anchor): BORDER_CONSTANT with
 * morphologyDefaultBorderValue(), so pixels outside the image never win (255
 * for a min, 0 for a max), and `iterations` repeats the operation. A
 * rectangle iterated n times is one pass with a (size-1)*n+1 window, which is
 * what OpenCV does too; crosses and ellipses are iterated pass by pass, each
 * pass ignoring out-of-image pixels again.
 *
 * A pass is separable into horizontal runs: the structuring element is, per
 * row offset dy, a run of half-width hw(dy) (all R for a rectangle). The
 * stage's prep works once per input row (the executor keeps prepared rows
 * in the stage's window):
 *   direct  half-widths up to 2 straight from the row, one prepared part per
 *           distinct half-width (sizes 3 and 5);
 *   grow    a window grown by doubling to each distinct half-width (a run of
 *           k pixels costs about log2(k) byte passes); rectangles and crosses;
 *   table   ellipses with many distinct half-widths keep windows of 1, 2, 4,
 *           ... pixels (a sparse table): a run of any half-width h is two
 *           overlapping windows of 2^m <= 2h+1 pixels, so memory stays at
 *           log2(size) rows per input row.
 * run then combines, per output row, the prepared rows of every dy: pairwise
 * (two output rows share all but one row), or van Herk / Gil-Werman blocks
 * (3 ops per row whatever the height) for tall rectangles.
 *
 * erode and dilate are one such stage per pass, open and close a chain of
 * them; the executor keeps each stage's rows. gradient, tophat and blackhat
 * need the source next to the morphed rows, so they are one stage whose run
 * does every pass on a band of rows in its scratch; rows of an intermediate
 * band that lie outside the image are reset to the border value of the next
 * pass, never kept as computed values.
 *
 * Channels are independent (a neighbour is c bytes away); the executor
 * restores alpha. min and max are exact, so the bytes do not depend on the
 * strip height, the algorithm chosen or the SIMD target.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_impl.h"
#include "morph_kern.h"

enum { SHAPE_RECT, SHAPE_CROSS, SHAPE_ELLIPSE };
enum { OP_ERODE, OP_DILATE, OP_OPEN, OP_CLOSE, OP_GRADIENT, OP_TOPHAT, OP_BLACKHAT };

#define MAX_SIZE 255
#define MAX_ITER 100
#define MAX_PARTS (MAX_SIZE / 2 + 1)
/* van Herk blocks keep one block of rows; above this many bytes the rows
 * are combined pairwise instead */
#define VANHERK_MAX_BYTES ((size_t)64 << 20)
/* half-widths up to this are computed straight from the raw row */
#define DIRECT_MAX 2
/* more distinct half-widths than this use the power-of-two table */
#define GROW_MAX_PARTS 4

typedef struct kfn {
    void (*shift)(uint8_t *dst, const uint8_t *src, size_t n, size_t off, bool mx);
    void (*hrun)(uint8_t *dst, const uint8_t *src, size_t w, int c, int d, bool mx);
    void (*vpair)(const uint8_t *const *r, size_t k, uint8_t *o0, uint8_t *o1, size_t n,
                  bool mx);
    void (*pair)(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n, bool mx);
    void (*acc)(uint8_t *dst, const uint8_t *a, size_t n, bool mx);
    void (*acc2)(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n, bool mx);
    void (*sub)(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n);
} kfn;

/* How a pass prepares each row (see pass_prep). */
typedef enum prep_mode {
    PREP_DIRECT, /* half-widths <= DIRECT_MAX: each part straight from the row */
    PREP_GROW,   /* a window grown to each half-width: a part per half-width */
    PREP_TABLE   /* windows of 1, 2, 4, ... pixels: any half-width is two of them */
} prep_mode;

#define NO_OFF ((size_t)-1)

/* One erode (min) or dilate (max) pass with one structuring element. */
typedef struct mpass {
    bool mx;
    bool rect;     /* every row offset has half-width R (and r == R) */
    bool vanherk;  /* rect: van Herk blocks for the vertical step */
    bool start_second; /* PREP_GROW: the padded row goes to the second work area */
    prep_mode mode;
    int r;         /* vertical radius */
    int R;         /* largest half-width */
    int nparts;    /* PREP_DIRECT, PREP_GROW: distinct half-widths, ascending */
    int part_hw[MAX_PARTS];
    size_t part_off[MAX_PARTS]; /* offset of each part in a prepared row (the
                                   widest, last part is at 0) */
    int nlevels;   /* PREP_TABLE: windows of 2^m pixels, m < nlevels */
    /* not rect: row offset dy + r reads the prepared row at off_a (and
     * off_b, the second window of PREP_TABLE, unless NO_OFF) */
    size_t off_a[MAX_SIZE], off_b[MAX_SIZE];
    size_t w, W;   /* pixels and bytes of a row */
    int c;
    size_t prep_bytes;
    kfn k;
} mpass;

static void kfn_pick(kfn *k)
{
    k->shift = PP_KPICK(pp__morph_shift);
    k->hrun = PP_KPICK(pp__morph_hrun);
    k->vpair = PP_KPICK(pp__morph_vpair);
    k->pair = PP_KPICK(pp__morph_pair);
    k->acc = PP_KPICK(pp__morph_acc);
    k->acc2 = PP_KPICK(pp__morph_acc2);
    k->sub = PP_KPICK(pp__morph_sub);
}

/* Half-width of row i of getStructuringElement(shape, (size, size)). */
static int element_hw(int shape, int size, int i)
{
    int r = size / 2, dy = i - r;
    if (shape == SHAPE_RECT)
        return r;
    if (shape == SHAPE_CROSS)
        return dy == 0 ? r : 0;
    /* OpenCV's ellipse: dx = cvRound(c * sqrt((r*r - dy*dy) / r^2)), c = r */
    double inv_r2 = r ? 1.0 / ((double)r * r) : 0;
    int dx = (int)lrint(r * sqrt((double)(r * r - dy * dy) * inv_r2));
    return dx < r ? dx : r;
}

/* PREP_GROW: two work areas, then the narrower parts; growth starts in the
 * area that makes the widest part end in the first one. */
static void layout_grow(mpass *p)
{
    size_t work = p->W + 2 * (size_t)p->R * (size_t)p->c, steps = 0, s = 1;
    for (int j = 0; j < p->nparts; j++)
        for (size_t t = 2 * (size_t)p->part_hw[j] + 1; s < t; steps++)
            s += s < t - s ? s : t - s;
    p->start_second = steps % 2 == 1;
    for (int j = 0; j < p->nparts - 1; j++)
        p->part_off[j] = 2 * work + (size_t)j * p->W;
    p->part_off[p->nparts - 1] = 0;
    p->prep_bytes = 2 * work + (size_t)(p->nparts - 1) * p->W;
}

/* PREP_TABLE: level m (a window of 2^m pixels from each padded position) at
 * m * len; half-width h is the windows at x-h and x+h-2^m+1, 2^m <= 2h+1. */
static void layout_table(mpass *p, int shape, int size)
{
    size_t c = (size_t)p->c, len = p->W + 2 * (size_t)p->R * c;
    p->nlevels = 1;
    while ((2 << (p->nlevels - 1)) <= 2 * p->R + 1)
        p->nlevels++;
    p->prep_bytes = (size_t)p->nlevels * len;
    for (int i = 0; i < size; i++) {
        int h = element_hw(shape, size, i), m = 0;
        while ((2 << m) <= 2 * h + 1)
            m++;
        size_t lev = (size_t)m * len, s = (size_t)1 << m;
        p->off_a[i] = lev + (size_t)(p->R - h) * c;
        p->off_b[i] = h ? lev + ((size_t)(p->R + h) + 1 - s) * c : NO_OFF;
    }
}

/* A pass of `size` with `merge` iterations folded in (rectangles only). */
static void pass_init(mpass *p, int shape, int size, int merge, bool mx, const pp_format *f)
{
    memset(p, 0, sizeof *p);
    p->mx = mx;
    p->c = f->channels;
    p->w = f->width;
    p->W = f->width * (size_t)f->channels;
    p->rect = shape == SHAPE_RECT || size == 1;
    kfn_pick(&p->k);
    if (p->rect) {
        p->r = p->R = size / 2 * merge;
        p->nparts = 1;
        p->part_hw[0] = p->R;
    } else {
        p->r = size / 2;
        bool seen[MAX_PARTS] = {false};
        for (int i = 0; i < size; i++)
            seen[element_hw(shape, size, i)] = true;
        for (int d = 0; d <= p->r; d++)
            if (seen[d])
                p->part_hw[p->nparts++] = d;
        p->R = p->part_hw[p->nparts - 1];
    }
    if (p->R <= DIRECT_MAX) { /* the widest part first, then the others */
        p->mode = PREP_DIRECT;
        for (int j = 0; j < p->nparts - 1; j++)
            p->part_off[j] = (size_t)(j + 1) * p->W;
        p->part_off[p->nparts - 1] = 0;
        p->prep_bytes = (size_t)p->nparts * p->W;
    } else if (p->nparts <= GROW_MAX_PARTS) {
        p->mode = PREP_GROW;
        layout_grow(p);
    } else {
        p->mode = PREP_TABLE;
        layout_table(p, shape, size);
    }
    if (!p->rect && p->mode != PREP_TABLE) {
        for (int i = 0; i < size; i++)
            for (int j = 0; j < p->nparts; j++)
                if (p->part_hw[j] == element_hw(shape, size, i)) {
                    p->off_a[i] = p->part_off[j];
                    p->off_b[i] = NO_OFF;
                }
    }
    size_t k = 2 * (size_t)p->r + 1;
    p->vanherk = p->rect && k >= 7 && k * p->W <= VANHERK_MAX_BYTES;
}

static size_t pass_scratch(const mpass *p)
{
    return p->vanherk ? (2 * (size_t)p->r + 1) * p->W : 0;
}

/* PREP_TABLE: level m+1 from level m, a window twice as wide. */
static void prep_table(const mpass *p, const uint8_t *raw, uint8_t *prep)
{
    size_t c = (size_t)p->c, pad = (size_t)p->R * c, len = p->W + 2 * pad;
    uint8_t id = p->mx ? 0 : 255;
    memset(prep, id, pad);
    memcpy(prep + pad, raw, p->W);
    memset(prep + pad + p->W, id, pad);
    for (int m = 1; m < p->nlevels; m++) {
        size_t half = (size_t)1 << (m - 1);
        p->k.shift(prep + (size_t)m * len, prep + (size_t)(m - 1) * len,
                   len - (2 * half - 1) * c, half * c, p->mx);
    }
}

/* Horizontal step: the row's min (max) over each part's half-width (or the
 * power-of-two windows of PREP_TABLE). PREP_GROW pads the row with the
 * identity, then a left-aligned window of s pixels grows, ping-ponging
 * between the two work areas, until it spans each part. */
static void pass_prep(const mpass *p, const uint8_t *raw, uint8_t *prep)
{
    if (p->mode == PREP_DIRECT) {
        for (int j = 0; j < p->nparts; j++)
            p->k.hrun(prep + p->part_off[j], raw, p->w, p->c, p->part_hw[j], p->mx);
        return;
    }
    if (p->mode == PREP_TABLE) {
        prep_table(p, raw, prep);
        return;
    }
    size_t c = (size_t)p->c, pad = (size_t)p->R * c, len = p->W + 2 * pad;
    uint8_t id = p->mx ? 0 : 255;
    uint8_t *cur = p->start_second ? prep + len : prep;
    uint8_t *other = p->start_second ? prep : prep + len;
    memset(cur, id, pad);
    memcpy(cur + pad, raw, p->W);
    memset(cur + pad + p->W, id, pad);
    size_t s = 1;
    for (int j = 0; j < p->nparts; j++) {
        size_t t = 2 * (size_t)p->part_hw[j] + 1;
        while (s < t) {
            size_t step = s < t - s ? s : t - s;
            s += step;
            p->k.shift(other, cur, len - (s - 1) * c, step * c, p->mx);
            uint8_t *swap = cur;
            cur = other;
            other = swap;
        }
        if (j < p->nparts - 1)
            memcpy(prep + p->part_off[j], cur + (size_t)(p->R - p->part_hw[j]) * c, p->W);
    }
}

/* out[i] = op of the k rows in[i..i+k-1], two outputs at a time: they share
 * k-1 rows. */
static void rows_pairwise(const mpass *p, const uint8_t *const *in, size_t k, size_t n,
                          uint8_t *const *out)
{
    size_t W = p->W, i = 0;
    bool mx = p->mx;
    if (k == 1) {
        for (; i < n; i++)
            memcpy(out[i], in[i], W);
        return;
    }
    if (k <= 5) { /* one fused pass per pair of rows */
        for (; i + 1 < n; i += 2)
            p->k.vpair(in + i, k, out[i], out[i + 1], W, mx);
    }
    for (; i + 1 < n; i += 2) {
        p->k.pair(out[i], in[i + 1], in[i + 2], W, mx); /* k >= 3 here */
        for (size_t t = 3; t < k; t++)
            p->k.acc(out[i], in[i + t], W, mx);
        p->k.pair(out[i + 1], out[i], in[i + k], W, mx);
        p->k.acc(out[i], in[i], W, mx);
    }
    if (i < n) {
        p->k.pair(out[i], in[i], in[i + 1], W, mx);
        for (size_t t = 2; t < k; t++)
            p->k.acc(out[i], in[i + t], W, mx);
    }
}

/* The same with van Herk / Gil-Werman blocks: for the outputs of a block of
 * k rows, suffixes of the block meet prefixes of the next one. scratch holds
 * k rows: k-1 suffixes and one prefix. */
static void rows_vanherk(const mpass *p, const uint8_t *const *in, size_t k, size_t n,
                         uint8_t *const *out, uint8_t *scratch)
{
    size_t W = p->W;
    bool mx = p->mx;
    uint8_t *pre = scratch + (k - 1) * W;
    for (size_t b = 0; b < n; b += k) {
        size_t cnt = n - b < k ? n - b : k;
        uint8_t *suf = scratch; /* suf + j*W: op of in[b+j .. b+k-1] */
        p->k.pair(suf + (k - 2) * W, in[b + k - 2], in[b + k - 1], W, mx);
        for (size_t j = k - 2; j-- > 0;)
            p->k.pair(suf + j * W, in[b + j], suf + (j + 1) * W, W, mx);
        memcpy(out[b], suf, W);
        for (size_t t = 1; t < cnt; t++) {
            const uint8_t *s = t == k - 1 ? in[b + k - 1] : suf + t * W;
            const uint8_t *q = in[b + k];
            if (t == 2)
                p->k.pair(pre, in[b + k], in[b + k + 1], W, mx);
            else if (t > 2)
                p->k.acc(pre, in[b + k + t - 1], W, mx);
            if (t >= 2)
                q = pre;
            p->k.pair(out[b + t], s, q, W, mx);
        }
    }
}

/* Vertical step: n output rows from prepared rows in[0..n+2r). */
static void pass_rows(const mpass *p, const uint8_t *const *in, size_t n, uint8_t *const *out,
                      void *scratch)
{
    size_t k = 2 * (size_t)p->r + 1;
    if (p->rect) {
        if (p->vanherk)
            rows_vanherk(p, in, k, n, out, scratch);
        else
            rows_pairwise(p, in, k, n, out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (p->off_b[0] == NO_OFF)
            memcpy(out[i], in[i] + p->off_a[0], p->W);
        else
            p->k.pair(out[i], in[i] + p->off_a[0], in[i] + p->off_b[0], p->W, p->mx);
        for (size_t t = 1; t < k; t++) {
            const uint8_t *row = in[i + t];
            if (p->off_b[t] == NO_OFF)
                p->k.acc(out[i], row + p->off_a[t], p->W, p->mx);
            else
                p->k.acc2(out[i], row + p->off_a[t], row + p->off_b[t], p->W, p->mx);
        }
    }
}

/* ------------------------------------------------------------------ */
/* erode / dilate stage (one pass)                                     */
/* ------------------------------------------------------------------ */

static size_t pass_stage_prep_bytes(const pp__stage *s)
{
    const mpass *p = s->priv;
    return p->prep_bytes;
}

static void pass_stage_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    pass_prep(s->priv, raw, prepared);
}

static void pass_stage_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                           uint8_t *const *out, void *scratch)
{
    (void)y0;
    pass_rows(s->priv, (const uint8_t *const *)in, n, out, scratch);
}

static size_t pass_stage_scratch(const pp__stage *s, size_t rows)
{
    (void)rows;
    return pass_scratch(s->priv);
}

static const pp__stage_ops erode_ops = {
    .name = "erode",
    .prep_bytes = pass_stage_prep_bytes,
    .prep = pass_stage_prep,
    .run = pass_stage_run,
    .scratch_bytes = pass_stage_scratch,
    .free_priv = free,
};

static const pp__stage_ops dilate_ops = {
    .name = "dilate",
    .prep_bytes = pass_stage_prep_bytes,
    .prep = pass_stage_prep,
    .run = pass_stage_run,
    .scratch_bytes = pass_stage_scratch,
    .free_priv = free,
};

static int push_pass(pp__planner *pl, int shape, int size, int merge, bool mx, pp_err *err)
{
    mpass *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    const pp_format *f = pp__planner_format(pl);
    pass_init(p, shape, size, merge, mx, f);
    pp__stage s = {0};
    s.ops = mx ? &dilate_ops : &erode_ops;
    s.out = *f;
    s.halo = p->r;
    s.halo_x = p->R;
    s.border = PP_BORDER_CONSTANT;
    s.border_value = mx ? 0 : 255;
    s.alpha_passthrough = true;
    s.priv = p;
    snprintf(s.label, sizeof s.label, "%.80s [%s]", pp__planner_label(pl),
             mx ? "dilate" : "erode");
    return pp__planner_push(pl, &s, err);
}

/* n erode (dilate) passes: one merged pass for a rectangle. */
static int push_passes(pp__planner *pl, int shape, int size, int n, bool mx, pp_err *err)
{
    if (shape == SHAPE_RECT)
        return push_pass(pl, shape, size, n, mx, err);
    for (int i = 0; i < n; i++) {
        int rc = push_pass(pl, shape, size, 1, mx, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* gradient / tophat / blackhat stage (every pass inside)              */
/* ------------------------------------------------------------------ */

typedef struct mex {
    int op;
    mpass ero, dil;
    int npass; /* passes per erode or dilate chain */
    int halo;
    kfn k;
} mex;

/* The scratch of one strip, carved from one block. */
typedef struct mex_bufs {
    const uint8_t **src;         /* band source rows, border rows swapped */
    uint8_t **prep, **a, **b, **c;
    const uint8_t *id0, *id255;  /* identity rows of max and min */
    void *vh;                    /* van Herk rows */
} mex_bufs;

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static size_t mex_scratch(const pp__stage *s, size_t rows)
{
    const mex *m = s->priv;
    size_t band = rows + 2 * (size_t)m->halo, W = align64(m->ero.W);
    size_t ptrs = align64(5 * band * sizeof(void *));
    size_t vh = pass_scratch(&m->ero);
    return ptrs + band * align64(m->ero.prep_bytes) + 3 * band * W + 2 * W + vh;
}

static void mex_carve(const mex *m, size_t band, uint8_t *base, mex_bufs *b)
{
    size_t W = align64(m->ero.W), pb = align64(m->ero.prep_bytes);
    void **ptr = (void **)base;
    b->src = (const uint8_t **)ptr;
    b->prep = (uint8_t **)ptr + band;
    b->a = b->prep + band;
    b->b = b->a + band;
    b->c = b->b + band;
    uint8_t *p = base + align64(5 * band * sizeof(void *));
    for (size_t i = 0; i < band; i++, p += pb)
        b->prep[i] = p;
    for (size_t i = 0; i < band; i++, p += 3 * W) {
        b->a[i] = p;
        b->b[i] = p + W;
        b->c[i] = p + 2 * W;
    }
    memset(p, 0, m->ero.W);
    memset(p + W, 255, m->ero.W);
    b->id0 = p;
    b->id255 = p + W;
    b->vh = p + 2 * W;
}

/* Runs nseq passes (seq[k]: dilate when true) on the band src[0..rows),
 * whose first row is image row ya, alternating between buffers x and y.
 * Returns the rows of the result; rows outside the image of every
 * intermediate band are reset to the identity of the pass that reads them. */
static const uint8_t *const *mex_chain(const mex *m, const bool *seq, int nseq,
                                       const uint8_t *const *src, ptrdiff_t ya, size_t rows,
                                       size_t h, uint8_t **x, uint8_t **y, const mex_bufs *b)
{
    const uint8_t *const *cur = src;
    uint8_t **dst = x;
    for (int k = 0; k < nseq; k++) {
        const mpass *p = seq[k] ? &m->dil : &m->ero;
        for (size_t i = 0; i < rows; i++)
            pass_prep(p, cur[i], b->prep[i]);
        rows -= 2 * (size_t)p->r;
        ya += p->r;
        pass_rows(p, (const uint8_t *const *)b->prep, rows, dst, b->vh);
        if (k + 1 < nseq) {
            uint8_t id = seq[k + 1] ? 0 : 255;
            for (size_t i = 0; i < rows; i++)
                if (ya + (ptrdiff_t)i < 0 || ya + (ptrdiff_t)i >= (ptrdiff_t)h)
                    memset(dst[i], id, p->W);
        }
        cur = (const uint8_t *const *)dst;
        dst = dst == x ? y : x;
    }
    return cur;
}

/* Band source rows with rows outside the image replaced by `id`. */
static const uint8_t *const *mex_source(const mex_bufs *b, const void *const *in, ptrdiff_t ya,
                                        size_t rows, size_t h, const uint8_t *id)
{
    for (size_t i = 0; i < rows; i++) {
        ptrdiff_t y = ya + (ptrdiff_t)i;
        b->src[i] = y < 0 || y >= (ptrdiff_t)h ? id : in[i];
    }
    return b->src;
}

static void mex_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                    uint8_t *const *out, void *scratch)
{
    const mex *m = s->priv;
    size_t rows = n + 2 * (size_t)m->halo, h = s->in.height, W = m->ero.W;
    ptrdiff_t ya = (ptrdiff_t)y0 - m->halo;
    mex_bufs b;
    mex_carve(m, rows, scratch, &b);
    bool seq[2 * MAX_ITER];
    const uint8_t *const *src;
    const uint8_t *const *res;
    switch (m->op) {
    case OP_GRADIENT: {
        for (int k = 0; k < m->npass; k++)
            seq[k] = true;
        src = mex_source(&b, in, ya, rows, h, b.id0);
        const uint8_t *const *dil = mex_chain(m, seq, m->npass, src, ya, rows, h, b.a, b.b, &b);
        uint8_t **free_buf = (const uint8_t *const *)b.a == dil ? b.b : b.a;
        for (int k = 0; k < m->npass; k++)
            seq[k] = false;
        src = mex_source(&b, in, ya, rows, h, b.id255);
        res = mex_chain(m, seq, m->npass, src, ya, rows, h, b.c, free_buf, &b);
        for (size_t i = 0; i < n; i++)
            m->k.sub(out[i], dil[i], res[i], W);
        break;
    }
    case OP_TOPHAT:
    case OP_BLACKHAT: {
        bool first = m->op == OP_BLACKHAT; /* blackhat dilates first (close) */
        for (int k = 0; k < 2 * m->npass; k++)
            seq[k] = k < m->npass ? first : !first;
        src = mex_source(&b, in, ya, rows, h, first ? b.id0 : b.id255);
        res = mex_chain(m, seq, 2 * m->npass, src, ya, rows, h, b.a, b.b, &b);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *orig = in[(size_t)m->halo + i];
            if (first)
                m->k.sub(out[i], res[i], orig, W);
            else
                m->k.sub(out[i], orig, res[i], W);
        }
        break;
    }
    }
}

static const pp__stage_ops mex_ops = {
    .name = "morph-ex",
    .run = mex_run,
    .scratch_bytes = mex_scratch,
    .free_priv = free,
};

static int push_mex(pp__planner *pl, int op, int shape, int size, int iters, pp_err *err)
{
    mex *m = pp_malloc(sizeof *m, err);
    if (!m)
        return PP_ENOMEM;
    const pp_format *f = pp__planner_format(pl);
    int merge = shape == SHAPE_RECT ? iters : 1;
    m->op = op;
    m->npass = shape == SHAPE_RECT ? 1 : iters;
    pass_init(&m->ero, shape, size, merge, false, f);
    pass_init(&m->dil, shape, size, merge, true, f);
    int reach = m->npass * m->ero.r; /* rows one chain reaches */
    m->halo = op == OP_GRADIENT ? reach : 2 * reach;
    kfn_pick(&m->k);
    pp__stage s = {0};
    s.ops = &mex_ops;
    s.out = *f;
    s.halo = m->halo;
    s.halo_x = op == OP_GRADIENT ? m->npass * m->ero.R : 2 * m->npass * m->ero.R;
    s.border = PP_BORDER_CONSTANT; /* rows outside the image are swapped in run */
    s.alpha_passthrough = true;
    s.priv = m;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Filters                                                             */
/* ------------------------------------------------------------------ */

static int build_morph(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                       pp_err *err)
{
    int op = (int)(d - pp__filters_morph);
    int shape = pp__pi(v, 0), size = pp__pi(v, 1), n = pp__pi(v, 2);
    if (op >= OP_GRADIENT)
        return push_mex(pl, op, shape, size, n, err);
    if (size == 1) /* a 1x1 element changes nothing (OpenCV copies) */
        return 0;
    bool dilate_first = op == OP_DILATE || op == OP_CLOSE;
    int rc = push_passes(pl, shape, size, n, dilate_first, err);
    if (rc < 0 || op <= OP_DILATE)
        return rc;
    return push_passes(pl, shape, size, n, !dilate_first, err);
}

static const char *const shapes[] = {"rect", "cross", "ellipse", NULL};

static const pp_param_def morph_params[] = {
    {.name = "shape", .type = PP_PARAM_ENUM, .def = SHAPE_RECT, .choices = shapes,
     .help = "structuring element, as cv::getStructuringElement makes it"},
    {.name = "size", .type = PP_PARAM_INT, .def = 3, .min = 1, .max = MAX_SIZE,
     .help = "element side (odd), anchored at its centre", .flags = PP_PARAM_ODD},
    {.name = "iterations", .type = PP_PARAM_INT, .def = 1, .min = 1, .max = MAX_ITER,
     .help = "times the erosion/dilation is applied"},
};

#define MORPH_COLOUR "per channel; alpha untouched"
#define MORPH_DEF(nm, helptext, cv)                                                            \
    {.name = nm, .kind = PP_KIND_NEIGHBOURHOOD, .help = helptext, .opencv = cv,                \
     .colour = MORPH_COLOUR, .nparams = 3, .params = morph_params, .build = build_morph}

/* Order matches OP_*: build_morph takes the operation from the entry's index. */
const pp_filter_def pp__filters_morph[] = {
    MORPH_DEF("erode", "minimum over the structuring element",
              "cv::erode(src, dst, getStructuringElement(shape, Size(size, size)), "
              "Point(-1, -1), iterations)"),
    MORPH_DEF("dilate", "maximum over the structuring element",
              "cv::dilate(src, dst, getStructuringElement(shape, Size(size, size)), "
              "Point(-1, -1), iterations)"),
    MORPH_DEF("open", "erode then dilate: removes bright specks",
              "cv::morphologyEx(src, dst, MORPH_OPEN, getStructuringElement(shape, "
              "Size(size, size)), Point(-1, -1), iterations)"),
    MORPH_DEF("close", "dilate then erode: fills dark specks",
              "cv::morphologyEx(src, dst, MORPH_CLOSE, getStructuringElement(shape, "
              "Size(size, size)), Point(-1, -1), iterations)"),
    MORPH_DEF("gradient", "dilation minus erosion: outlines",
              "cv::morphologyEx(src, dst, MORPH_GRADIENT, getStructuringElement(shape, "
              "Size(size, size)), Point(-1, -1), iterations)"),
    MORPH_DEF("tophat", "source minus its opening: small bright details",
              "cv::morphologyEx(src, dst, MORPH_TOPHAT, getStructuringElement(shape, "
              "Size(size, size)), Point(-1, -1), iterations)"),
    MORPH_DEF("blackhat", "closing minus the source: small dark details",
              "cv::morphologyEx(src, dst, MORPH_BLACKHAT, getStructuringElement(shape, "
              "Size(size, size)), Point(-1, -1), iterations)"),
};

const size_t pp__filters_morph_count = sizeof pp__filters_morph / sizeof pp__filters_morph[0];
