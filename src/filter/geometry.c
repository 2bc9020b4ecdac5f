/* Geometry filters: rotate, flip, resize, crop. They move every channel,
 * alpha included (no alpha passthrough).
 *
 * Streaming stages: flip h (each row mirrored), crop (rows shifted) and
 * resize, whose rows_needed maps output rows to the input rows their taps
 * read, replicated at the border. Resize prepares each input row once with
 * its horizontal pass (coefficient tables built at plan time, immutable) and
 * runs the vertical pass per output row, as OpenCV's resizeGeneric does.
 *
 * Barriers: rotations and flip v/both need rows from the far end of the
 * image, so the accumulator keeps the stage input and emit reads columns,
 * reversed rows or, for any other angle, bilinear samples. When the stage
 * input is an in-memory image (the barrier runs first), the accumulator
 * borrows it instead of copying it (acc_borrow). The accumulator
 * may hold just a region (MPI ranks gather the region acc_region names for
 * their rows); emit then addresses pixels relative to the region's corner,
 * and the warp kernel sees the region as its source, its origin shifted by
 * whole pixels, which changes no weight or rounding.
 *
 * Exactness against OpenCV 4.6 on 8-bit images:
 *   rotate by multiples of 90, flip, crop: exact moves.
 *   rotate by other angles: cv::warpAffine INTER_LINEAR, BORDER_CONSTANT,
 *     with M = getRotationMatrix2D(((w-1)/2, (h-1)/2), -angle, 1). Same
 *     double-precision inversion, coordinates in 1/1024 px rounded half to
 *     even, then 1/32 px steps and integer weights: exact.
 *   resize: cv::resize's 8-bit paths. Linear, cubic and Lanczos use 11-bit
 *     weights from the same float formulas, 32-bit horizontal sums and the
 *     same vertical rounding (for cubic, OpenCV's SIMD body rounds
 *     differently from its scalar tail; both are reproduced, by position in
 *     the row). Area with integer factors is a block mean, otherwise float
 *     cell weights in the same order. INTER_LINEAR at exactly 1/2 becomes
 *     area (OpenCV does the same), INTER_AREA up-scaling is OpenCV's
 *     area-flavoured bilinear.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filter_impl.h"
#include "geometry_kern.h"

/* cvRound for doubles with saturate_cast<int>: half to even, clamped. */
static int32_t round_sat(double v)
{
    if (!(v > INT32_MIN))
        return INT32_MIN;
    if (v >= INT32_MAX)
        return INT32_MAX;
    return (int32_t)lrint(v);
}

static size_t row_bytes(const pp_format *f)
{
    return f->width * (size_t)f->channels;
}

/* ------------------------------------------------------------------ */
/* Barrier accumulator: the whole stage input                          */
/* ------------------------------------------------------------------ */

typedef struct img_acc {
    uint8_t *px;    /* the region's first pixel */
    size_t rb;      /* bytes per row of the region */
    size_t stride;  /* bytes from one row to the next */
    bool borrowed;  /* px points into the source image (acc_borrow) */
    pp__rect r;     /* the input region held */
    pp__geo_warp k; /* warps: the kernel set up for this region */
} img_acc;

/* Pixel (x, y) of the input, which the region must hold. */
static inline const uint8_t *acc_px(const img_acc *a, size_t x, size_t y, int c)
{
    return a->px + (y - a->r.y0) * a->stride + (x - a->r.x0) * (size_t)c;
}

_Static_assert(PP_GEO_SLACK <= PP_IMAGE_SLACK, "kernels read past a borrowed image");

/* The pixels are read across rows (rotations): pp_malloc_aligned gives a
 * large accumulator transparent huge pages, so far fewer page faults when it
 * fills and TLB misses when it is read column-wise. PP_GEO_SLACK bytes
 * follow the image for the kernels' wide loads. */
static uint8_t *alloc_pixels(size_t rb, size_t rows, pp_err *err)
{
    size_t n;
    if (!pp_mul_size(rb, rows, &n) || !pp_add_size(n, PP_GEO_SLACK, &n)) {
        pp_err_set(err, PP_EOVERFLOW, "image of %zu rows of %zu bytes overflows", rows, rb);
        return NULL;
    }
    return pp_malloc_aligned(n, err);
}

static void *img_acc_new(const pp__stage *s, const pp__rect *r, pp_err *err)
{
    img_acc *a = pp_calloc(1, sizeof *a, err);
    if (!a)
        return NULL;
    a->r = *r;
    a->rb = (r->x1 - r->x0) * (size_t)s->in.channels;
    a->stride = a->rb;
    if (!(a->px = alloc_pixels(a->rb ? a->rb : 1, r->y1 > r->y0 ? r->y1 - r->y0 : 1, err))) {
        free(a);
        return NULL;
    }
    return a;
}

static void *img_acc_borrow(const pp__stage *s, const pp__rect *r, const uint8_t *px,
                            size_t stride, pp_err *err)
{
    img_acc *a = pp_calloc(1, sizeof *a, err);
    if (!a)
        return NULL;
    a->r = *r;
    a->rb = (r->x1 - r->x0) * (size_t)s->in.channels;
    a->stride = stride;
    a->borrowed = true;
    a->px = (uint8_t *)px + r->y0 * stride + r->x0 * (size_t)s->in.channels;
    return a;
}

static int img_acc_rows(const pp__stage *s, void *acc, size_t y0, size_t n,
                        const uint8_t *const *rows, pp_err *err)
{
    (void)s;
    (void)err;
    img_acc *a = acc;
    for (size_t i = 0; i < n; i++)
        memcpy(a->px + (y0 + i - a->r.y0) * a->stride, rows[i], a->rb);
    return 0;
}

static void all_columns(const pp__stage *s, size_t y0, size_t y1, pp__rect *r)
{
    r->x0 = 0;
    r->x1 = s->in.width;
    r->y0 = y0;
    r->y1 = y1;
}

/* Output rows [y0, y1) of a vertical flip read input rows [h-y1, h-y0). */
static void flipv_region(const pp__stage *s, size_t y0, size_t y1, pp__rect *r)
{
    all_columns(s, s->in.height - y1, s->in.height - y0, r);
}

/* Clockwise: output rows [y0, y1) are input columns [y0, y1), every row. */
static void rot90_region(const pp__stage *s, size_t y0, size_t y1, pp__rect *r)
{
    r->x0 = y0;
    r->x1 = y1;
    r->y0 = 0;
    r->y1 = s->in.height;
}

/* Counter-clockwise: output rows [y0, y1) are input columns [w-y1, w-y0). */
static void rot270_region(const pp__stage *s, size_t y0, size_t y1, pp__rect *r)
{
    r->x0 = s->in.width - y1;
    r->x1 = s->in.width - y0;
    r->y0 = 0;
    r->y1 = s->in.height;
}

static int img_acc_end(const pp__stage *s, void *acc, pp_err *err)
{
    (void)s;
    (void)acc;
    (void)err;
    return 0;
}

static size_t img_acc_bytes(const pp__stage *s)
{
    return sizeof(img_acc) + row_bytes(&s->in) * s->in.height;
}

static void img_acc_free(void *p)
{
    img_acc *a = p;
    if (!a)
        return;
    if (!a->borrowed)
        free(a->px);
    free(a);
}

/* ------------------------------------------------------------------ */
/* Orientation barriers: flip v, rotate 180 (= flip both), 90, 270      */
/* ------------------------------------------------------------------ */

typedef struct orient_priv {
    void (*reverse)(const uint8_t *src, uint8_t *dst, size_t w, int c);
    void (*columns)(const uint8_t *base, ptrdiff_t row_step, ptrdiff_t px_step, size_t n, int c,
                    uint8_t *const *out, size_t m);
} orient_priv;

static void flipv_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                       uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const img_acc *a = acc;
    for (size_t i = 0; i < n; i++)
        memcpy(out[i], acc_px(a, 0, s->in.height - 1 - y0 - i, s->in.channels), a->rb);
}

static void rot180_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                        uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const img_acc *a = acc;
    const orient_priv *p = s->priv;
    for (size_t i = 0; i < n; i++)
        p->reverse(acc_px(a, 0, s->in.height - 1 - y0 - i, s->in.channels), out[i],
                   s->in.width, s->in.channels);
}

/* Clockwise: output row r is input column r read from the bottom up. */
static void rot90_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                       uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const img_acc *a = acc;
    const orient_priv *p = s->priv;
    int c = s->in.channels;
    const uint8_t *base = acc_px(a, y0, s->in.height - 1, c);
    p->columns(base, -(ptrdiff_t)a->stride, c, s->in.height, c, out, n);
}

/* Counter-clockwise: output row r is input column w-1-r read top down. */
static void rot270_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                        uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const img_acc *a = acc;
    const orient_priv *p = s->priv;
    int c = s->in.channels;
    const uint8_t *base = acc_px(a, s->in.width - 1 - y0, 0, c);
    p->columns(base, (ptrdiff_t)a->stride, -(ptrdiff_t)c, s->in.height, c, out, n);
}

static const pp__stage_ops flipv_ops = {
    .acc_region = flipv_region,
    .name = "flip-v",
    .acc_new = img_acc_new,
    .acc_borrow = img_acc_borrow,
    .acc_rows = img_acc_rows,
    .acc_end = img_acc_end,
    .emit = flipv_emit,
    .acc_bytes = img_acc_bytes,
    .acc_free = img_acc_free,
    .free_priv = free,
};

static const pp__stage_ops rot180_ops = {
    .acc_region = flipv_region,
    .name = "rotate180",
    .acc_new = img_acc_new,
    .acc_borrow = img_acc_borrow,
    .acc_rows = img_acc_rows,
    .acc_end = img_acc_end,
    .emit = rot180_emit,
    .acc_bytes = img_acc_bytes,
    .acc_free = img_acc_free,
    .free_priv = free,
};

static const pp__stage_ops rot90_ops = {
    .acc_region = rot90_region,
    .name = "rotate90",
    .acc_new = img_acc_new,
    .acc_borrow = img_acc_borrow,
    .acc_rows = img_acc_rows,
    .acc_end = img_acc_end,
    .emit = rot90_emit,
    .acc_bytes = img_acc_bytes,
    .acc_free = img_acc_free,
    .free_priv = free,
};

static const pp__stage_ops rot270_ops = {
    .acc_region = rot270_region,
    .name = "rotate270",
    .acc_new = img_acc_new,
    .acc_borrow = img_acc_borrow,
    .acc_rows = img_acc_rows,
    .acc_end = img_acc_end,
    .emit = rot270_emit,
    .acc_bytes = img_acc_bytes,
    .acc_free = img_acc_free,
    .free_priv = free,
};

static int push_orient(pp__planner *pl, const pp__stage_ops *ops, pp_err *err)
{
    orient_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->reverse = PP_KPICK(pp__geo_reverse_row);
    p->columns = PP_KPICK(pp__geo_columns);
    pp__stage s = {0};
    s.ops = ops;
    s.out = *pp__planner_format(pl);
    if (ops == &rot90_ops || ops == &rot270_ops) {
        s.out.width = pp__planner_format(pl)->height;
        s.out.height = pp__planner_format(pl)->width;
    }
    s.barrier = true;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Rotation by any angle: a bilinear warp                              */
/* ------------------------------------------------------------------ */

typedef struct warp_priv {
    pp__geo_warp k;
    double m[6];    /* inverse map: output (x, y) -> source */
    int32_t *delta; /* adelta then bdelta, dw each */
    void (*row)(const pp__geo_warp *wp, const uint8_t *src, int32_t X0, int32_t Y0, uint8_t *dst,
                size_t x0, size_t x1);
} warp_priv;

static void warp_priv_free(void *p)
{
    warp_priv *w = p;
    if (!w)
        return;
    free(w->delta);
    free(w);
}

/* Output blocks of WARP_BLOCK columns by the strip's rows read a compact
 * source area, where whole rows would walk diagonally through the image. */
#define WARP_BLOCK 256

/* Sources up to 2^18 pixels a side keep every coordinate in 1/1024 px, and
 * their sums, within 32 bits. */
#define WARP_MAX_SIDE (1 << 18)

/* Output rows by blocks of WARP_BLOCK columns. Row y starts at its source
 * origin in 1/1024 px plus half a 1/32 step (OpenCV's round_delta), taken
 * relative to the corner of the region the accumulator holds. */
static void warp_emit(const pp__stage *s, const void *acc, size_t y0, size_t n, uint8_t *const *out,
                      void *scratch)
{
    (void)scratch;
    const img_acc *a = acc;
    const warp_priv *w = s->priv;
    size_t dw = s->out.width;
    /* the region's corner in 1/1024 px: a whole-pixel shift of the origin */
    int32_t ox = (int32_t)a->r.x0 * 1024, oy = (int32_t)a->r.y0 * 1024;
    for (size_t x0 = 0; x0 < dw; x0 += WARP_BLOCK) {
        size_t x1 = dw - x0 < WARP_BLOCK ? dw : x0 + WARP_BLOCK;
        for (size_t i = 0; i < n; i++) {
            double y = (double)(y0 + i);
            int32_t X0 = round_sat((w->m[1] * y + w->m[2]) * 1024) + 16 - ox;
            int32_t Y0 = round_sat((w->m[4] * y + w->m[5]) * 1024) + 16 - oy;
            w->row(&a->k, a->px, X0, Y0, out[i], x0, x1);
        }
    }
}

/* The source pixels output rows [y0, y1) sample: the bounding box of the
 * band's corners under the inverse map, two pixels wider on every side and
 * clamped to the image. Every 2x2 neighbourhood the kernel reads inside the
 * image is then inside the region, and every pixel at the region's edge is
 * either the image's edge or two pixels away from any sample. */
static void warp_region(const pp__stage *s, size_t y0, size_t y1, pp__rect *r)
{
    const warp_priv *w = s->priv;
    double xs[2] = {0, (double)s->out.width - 1}, ys[2] = {(double)y0, (double)y1 - 1};
    double lx = 1e300, hx = -1e300, ly = 1e300, hy = -1e300;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double sx = w->m[0] * xs[i] + w->m[1] * ys[j] + w->m[2];
            double sy = w->m[3] * xs[i] + w->m[4] * ys[j] + w->m[5];
            lx = fmin(lx, sx);
            hx = fmax(hx, sx);
            ly = fmin(ly, sy);
            hy = fmax(hy, sy);
        }
    double W = (double)s->in.width, H = (double)s->in.height;
    lx = fmax(0, floor(lx) - 2), ly = fmax(0, floor(ly) - 2);
    hx = fmin(W, floor(hx) + 3), hy = fmin(H, floor(hy) + 3);
    if (lx >= W)
        lx = W - 1;
    if (ly >= H)
        ly = H - 1;
    r->x0 = (size_t)lx;
    r->y0 = (size_t)ly;
    r->x1 = hx > lx ? (size_t)hx : r->x0 + 1; /* nothing sampled: any pixel will do */
    r->y1 = hy > ly ? (size_t)hy : r->y0 + 1;
}

/* The warp kernel set up for the accumulator's region. */
static img_acc *warp_setup(const pp__stage *s, img_acc *a)
{
    if (!a)
        return NULL;
    const warp_priv *w = s->priv;
    const pp__rect *r = &a->r;
    a->k = w->k;
    a->k.sw = (int)(r->x1 - r->x0);
    a->k.sh = (int)(r->y1 - r->y0);
    a->k.stride = a->stride;
    a->k.offsets32 = a->stride * (r->y1 - r->y0) + PP_GEO_SLACK <= INT32_MAX;
    return a;
}

static void *warp_acc_new(const pp__stage *s, const pp__rect *r, pp_err *err)
{
    return warp_setup(s, img_acc_new(s, r, err));
}

static void *warp_acc_borrow(const pp__stage *s, const pp__rect *r, const uint8_t *px,
                             size_t stride, pp_err *err)
{
    return warp_setup(s, img_acc_borrow(s, r, px, stride, err));
}

static const pp__stage_ops warp_ops = {
    .name = "warp-bilinear",
    .acc_region = warp_region,
    .acc_new = warp_acc_new,
    .acc_borrow = warp_acc_borrow,
    .acc_rows = img_acc_rows,
    .acc_end = img_acc_end,
    .emit = warp_emit,
    .acc_bytes = img_acc_bytes,
    .acc_free = img_acc_free,
    .free_priv = warp_priv_free,
};

/* getRotationMatrix2D(center, -angle, 1), optionally moved so the bounding
 * box fits, then inverted the way warpAffine inverts it. */
static void rotation_map(double angle, bool expand, const pp_format *in, pp_format *out,
                         double m[6])
{
    double rad = -angle * (M_PI / 180.0);
    double al = cos(rad), be = sin(rad);
    double cx = (double)(float)((double)(in->width - 1) / 2);
    double cy = (double)(float)((double)(in->height - 1) / 2);
    double w = (double)in->width, h = (double)in->height;
    m[0] = al;
    m[1] = be;
    m[2] = (1 - al) * cx - be * cy;
    m[3] = -be;
    m[4] = al;
    m[5] = be * cx + (1 - al) * cy;
    *out = *in;
    if (expand) {
        out->width = (size_t)ceil(w * fabs(al) + h * fabs(be) - 1e-6);
        out->height = (size_t)ceil(w * fabs(be) + h * fabs(al) - 1e-6);
        m[2] += ((double)out->width - w) / 2;
        m[5] += ((double)out->height - h) / 2;
    }
    double d = m[0] * m[4] - m[1] * m[3];
    d = d != 0 ? 1. / d : 0;
    double a11 = m[4] * d, a22 = m[0] * d;
    m[0] = a11;
    m[1] *= -d;
    m[3] *= -d;
    m[4] = a22;
    double b1 = -m[0] * m[2] - m[1] * m[5];
    double b2 = -m[3] * m[2] - m[4] * m[5];
    m[2] = b1;
    m[5] = b2;
}

static int push_warp(pp__planner *pl, double angle, bool expand, int background, pp_err *err)
{
    const pp_format *in = pp__planner_format(pl);
    if (in->width > WARP_MAX_SIDE || in->height > WARP_MAX_SIDE)
        return pp_err_set(err, PP_EINVAL,
                          "rotate: the image is %zux%zu; angles other than multiples of 90 "
                          "take images up to %d pixels a side",
                          in->width, in->height, WARP_MAX_SIDE);
    warp_priv *w = pp_calloc(1, sizeof *w, err);
    if (!w)
        return PP_ENOMEM;
    pp__stage s = {0};
    s.ops = &warp_ops;
    s.barrier = true;
    s.priv = w;
    rotation_map(angle, expand, in, &s.out, w->m);
    size_t dw = s.out.width;
    if (!(w->delta = pp_malloc_array(dw, 2 * sizeof *w->delta, err))) {
        warp_priv_free(w);
        return PP_ENOMEM;
    }
    for (size_t x = 0; x < dw; x++) {
        w->delta[x] = round_sat(w->m[0] * (double)x * 1024);
        w->delta[dw + x] = round_sat(w->m[3] * (double)x * 1024);
    }
    /* the region's size and stride are set per accumulator (warp_acc_new) */
    w->k.cn = in->channels;
    w->k.adelta = w->delta;
    w->k.bdelta = w->delta + dw;
    for (int k = 0; k < in->channels; k++)
        w->k.cval[k] = (uint8_t)background;
    if (pp_channels_have_alpha(in->channels))
        w->k.cval[in->channels - 1] = 0;
    w->row = PP_KPICK(pp__geo_warp_row);
    return pp__planner_push(pl, &s, err);
}

static int build_rotate(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                        pp_err *err)
{
    (void)d;
    double angle = pp__pf(v, 0);
    double turn = fmod(angle, 360);
    if (turn < 0)
        turn += 360;
    if (turn == 0)
        return 0;
    if (turn == 90)
        return push_orient(pl, &rot90_ops, err);
    if (turn == 180)
        return push_orient(pl, &rot180_ops, err);
    if (turn == 270)
        return push_orient(pl, &rot270_ops, err);
    return push_warp(pl, angle, pp__pb(v, 1), pp__pi(v, 2), err);
}

/* ------------------------------------------------------------------ */
/* Flip                                                                */
/* ------------------------------------------------------------------ */

typedef struct fliph_priv {
    void (*reverse)(const uint8_t *src, uint8_t *dst, size_t w, int c);
} fliph_priv;

static void fliph_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                      uint8_t *const *out, void *scratch)
{
    (void)y0;
    (void)scratch;
    const fliph_priv *p = s->priv;
    for (size_t i = 0; i < n; i++)
        p->reverse(in[i], out[i], s->in.width, s->in.channels);
}

static const pp__stage_ops fliph_ops = {.name = "flip-h", .run = fliph_run, .free_priv = free};

enum { AXIS_H, AXIS_V, AXIS_BOTH };

static int build_flip(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl, pp_err *err)
{
    (void)d;
    int axis = pp__pi(v, 0);
    if (axis == AXIS_V)
        return push_orient(pl, &flipv_ops, err);
    if (axis == AXIS_BOTH)
        return push_orient(pl, &rot180_ops, err);
    fliph_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->reverse = PP_KPICK(pp__geo_reverse_row);
    pp__stage s = {0};
    s.ops = &fliph_ops;
    s.out = *pp__planner_format(pl);
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Crop                                                                */
/* ------------------------------------------------------------------ */

typedef struct crop_priv {
    size_t x, y;
} crop_priv;

static void crop_rows_needed(const pp__stage *s, size_t y0, size_t y1, ptrdiff_t *a, ptrdiff_t *b)
{
    const crop_priv *p = s->priv;
    *a = (ptrdiff_t)(y0 + p->y);
    *b = (ptrdiff_t)(y1 + p->y);
}

static void crop_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                     uint8_t *const *out, void *scratch)
{
    (void)y0;
    (void)scratch;
    const crop_priv *p = s->priv;
    size_t off = p->x * (size_t)s->in.channels, len = row_bytes(&s->out);
    for (size_t i = 0; i < n; i++)
        memcpy(out[i], (const uint8_t *)in[i] + off, len);
}

static const pp__stage_ops crop_ops = {
    .name = "crop", .rows_needed = crop_rows_needed, .run = crop_run, .free_priv = free};

static int build_crop(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl, pp_err *err)
{
    (void)d;
    const pp_format *f = pp__planner_format(pl);
    size_t x = (size_t)pp__pi(v, 0), y = (size_t)pp__pi(v, 1);
    size_t w = (size_t)pp__pi(v, 2), h = (size_t)pp__pi(v, 3);
    if (x >= f->width || y >= f->height || w > f->width - x || h > f->height - y)
        return pp_err_set(err, PP_EINVAL,
                          "crop: rectangle x=%zu y=%zu w=%zu h=%zu is not inside the %zux%zu "
                          "image",
                          x, y, w, h, f->width, f->height);
    if (!w)
        w = f->width - x;
    if (!h)
        h = f->height - y;
    if (w == f->width && h == f->height)
        return 0;
    crop_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->x = x;
    p->y = y;
    pp__stage s = {0};
    s.ops = &crop_ops;
    s.out = *f;
    s.out.width = w;
    s.out.height = h;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Resize with taps: linear, cubic, Lanczos (and area up-scaling)      */
/* ------------------------------------------------------------------ */

enum { INTERP_AREA, INTERP_LINEAR, INTERP_CUBIC, INTERP_LANCZOS };

typedef struct taps_priv {
    pp__geo_htab h;
    int ksize;
    size_t split;   /* cubic vertical pass: OpenCV's SIMD rounding before this value */
    int32_t *yofs;  /* per output row: source row of tap 0 (may be outside) */
    int16_t *beta;  /* per output row: ksize weights */
    int32_t *xofs;  /* storage of h.ofs */
    int16_t *alpha; /* storage of h.alpha */
    void (*hpass)(const pp__geo_htab *t, const uint8_t *src, int32_t *dst);
    void (*vlinear)(const int32_t *s0, const int32_t *s1, int b0, int b1, uint8_t *dst, size_t n);
    void (*vcubic)(const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n,
                   size_t split);
    void (*vlanczos)(const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n);
} taps_priv;

static void taps_priv_free(void *p)
{
    taps_priv *t = p;
    if (!t)
        return;
    free(t->xofs);
    free(t->alpha);
    free(t->yofs);
    free(t->beta);
    free(t);
}

static void taps_rows_needed(const pp__stage *s, size_t y0, size_t y1, ptrdiff_t *a, ptrdiff_t *b)
{
    const taps_priv *t = s->priv;
    *a = t->yofs[y0];
    *b = (ptrdiff_t)t->yofs[y1 - 1] + t->ksize;
}

static size_t taps_prep_bytes(const pp__stage *s)
{
    return row_bytes(&s->out) * sizeof(int32_t);
}

static void taps_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const taps_priv *t = s->priv;
    t->hpass(&t->h, raw, prepared);
}

static void taps_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                     uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const taps_priv *t = s->priv;
    size_t width = row_bytes(&s->out);
    ptrdiff_t a = t->yofs[y0];
    for (size_t i = 0; i < n; i++) {
        size_t y = y0 + i;
        const int32_t *rows[8];
        for (int k = 0; k < t->ksize; k++)
            rows[k] = in[t->yofs[y] - a + k];
        const int16_t *b = t->beta + y * (size_t)t->ksize;
        if (t->ksize == 2)
            t->vlinear(rows[0], rows[1], b[0], b[1], out[i], width);
        else if (t->ksize == 4)
            t->vcubic(rows, b, out[i], width, t->split);
        else
            t->vlanczos(rows, b, out[i], width);
    }
}

static const pp__stage_ops taps_ops = {
    .name = "resize-taps",
    .rows_needed = taps_rows_needed,
    .prep_bytes = taps_prep_bytes,
    .prep = taps_prep,
    .run = taps_run,
    .free_priv = taps_priv_free,
};

/* Keys' cubic with A = -0.75, in OpenCV's float evaluation order. */
static void cubic_coeffs(float x, float *c)
{
    const float A = -0.75f;
    c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
    c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
    c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = 1.f - c[0] - c[1] - c[2];
}

/* Lanczos with 4 lobes at offsets x+3-i, normalised to sum 1, evaluated as
 * OpenCV does: sin(y0 + 5*pi*i/4) from one sine and cosine pair. */
static void lanczos_coeffs(float x, float *c)
{
    static const double r = 0.70710678118654752440084436210485;
    static const double rot[8][2] = {{1, 0},  {-r, -r}, {0, 1},  {r, -r},
                                     {-1, 0}, {r, r},   {0, -1}, {-r, r}};
    double y0 = -(x + 3) * M_PI * 0.25, s0 = sin(y0), c0 = cos(y0);
    float sum = 0;
    for (int i = 0; i < 8; i++) {
        float t = x + 3 - i;
        if (fabsf(t) >= 1e-6f) {
            double y = -t * M_PI * 0.25;
            c[i] = (float)((rot[i][0] * s0 + rot[i][1] * c0) / (y * y));
        } else {
            c[i] = 1e30f;
        }
        sum += c[i];
    }
    sum = 1.f / sum;
    for (int i = 0; i < 8; i++)
        c[i] *= sum;
}

/* Source position of output index d along one axis (OpenCV's rules):
 * integer part *s and fraction. area: INTER_AREA's up-scaling variant. */
static float tap_position(size_t d, double scale, double inv, bool area, int *s)
{
    float f;
    if (!area) {
        f = (float)(((double)d + 0.5) * scale - 0.5);
        *s = (int)floorf(f);
        return f - (float)*s;
    }
    *s = (int)floor((double)d * scale);
    f = (float)((double)(d + 1) - (*s + 1) * inv);
    return f <= 0 ? 0.f : f - floorf(f);
}

static void tap_weights(int interp, float f, int ks, int16_t *w)
{
    float c[8];
    if (interp == INTERP_CUBIC)
        cubic_coeffs(f, c);
    else if (interp == INTERP_LANCZOS)
        lanczos_coeffs(f, c);
    else {
        c[0] = 1.f - f;
        c[1] = f;
    }
    for (int k = 0; k < ks; k++) {
        long v = lrintf(c[k] * 2048);
        w[k] = (int16_t)(v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : v);
    }
}

/* Horizontal table: like OpenCV, linear taps that would start left of the
 * row or end right of it are pinned to the edge pixel with weight (1, 0). */
static void taps_htable(taps_priv *t, int interp, size_t sw, double scale, double inv)
{
    int ks = t->ksize, ks2 = ks / 2;
    bool linear = interp == INTERP_LINEAR || interp == INTERP_AREA;
    size_t xmin = 0, xmax = t->h.dw;
    for (size_t dx = 0; dx < t->h.dw; dx++) {
        int sx;
        float fx = tap_position(dx, scale, inv, interp == INTERP_AREA, &sx);
        if (sx < ks2 - 1) {
            xmin = dx + 1;
            if (sx < 0 && linear)
                fx = 0, sx = 0;
        }
        if ((ptrdiff_t)sx + ks2 >= (ptrdiff_t)sw) {
            xmax = dx < xmax ? dx : xmax;
            if ((ptrdiff_t)sx >= (ptrdiff_t)sw - 1 && linear)
                fx = 0, sx = (int)sw - 1;
        }
        t->xofs[dx] = sx - ks2 + 1;
        tap_weights(interp, fx, ks, t->alpha + dx * ks);
    }
    t->h.x0 = xmin;
    t->h.x1 = xmax > xmin ? xmax : xmin;
}

static void taps_vtable(taps_priv *t, int interp, size_t dh, double scale, double inv)
{
    int ks = t->ksize;
    for (size_t dy = 0; dy < dh; dy++) {
        int sy;
        float fy = tap_position(dy, scale, inv, interp == INTERP_AREA, &sy);
        t->yofs[dy] = sy - ks / 2 + 1;
        tap_weights(interp, fy, ks, t->beta + dy * ks);
    }
}

static int push_taps(pp__planner *pl, int interp, size_t W, size_t H, pp_err *err)
{
    const pp_format *in = pp__planner_format(pl);
    double ifx = (double)W / (double)in->width, ify = (double)H / (double)in->height;
    taps_priv *t = pp_calloc(1, sizeof *t, err);
    if (!t)
        return PP_ENOMEM;
    int ks = interp == INTERP_CUBIC ? 4 : interp == INTERP_LANCZOS ? 8 : 2;
    t->ksize = ks;
    t->xofs = pp_malloc_array(W, sizeof *t->xofs, err);
    t->alpha = pp_malloc_array(W * (size_t)ks, sizeof *t->alpha, err);
    t->yofs = pp_malloc_array(H, sizeof *t->yofs, err);
    t->beta = pp_malloc_array(H * (size_t)ks, sizeof *t->beta, err);
    if (!t->xofs || !t->alpha || !t->yofs || !t->beta) {
        taps_priv_free(t);
        return PP_ENOMEM;
    }
    t->h.sw = in->width;
    t->h.dw = W;
    t->h.cn = in->channels;
    t->h.ksize = ks;
    t->h.ofs = t->xofs;
    t->h.alpha = t->alpha;
    taps_htable(t, interp, in->width, 1. / ifx, ifx);
    taps_vtable(t, interp, H, 1. / ify, ify);
    /* OpenCV's cubic SIMD body covers whole groups of 8 values */
    t->split = W * (size_t)in->channels / 8 * 8;
    t->hpass = PP_KPICK(pp__geo_hresize);
    t->vlinear = PP_KPICK(pp__geo_vlinear);
    t->vcubic = PP_KPICK(pp__geo_vcubic);
    t->vlanczos = PP_KPICK(pp__geo_vlanczos);
    pp__stage s = {0};
    s.ops = &taps_ops;
    s.out = *in;
    s.out.width = W;
    s.out.height = H;
    s.halo = ks / 2;
    s.halo_x = ks / 2;
    s.border = PP_BORDER_REPLICATE;
    s.priv = t;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Resize by area with integer factors: block means                    */
/* ------------------------------------------------------------------ */

typedef struct areafast_priv {
    int kx, ky;
    void (*area2)(const uint8_t *r0, const uint8_t *r1, uint8_t *dst, size_t dw, int cn,
                  uint8_t *tmp);
    void (*areak)(const uint8_t *const *rows, int kx, int ky, float scale, uint8_t *dst, size_t dw,
                  int cn);
} areafast_priv;

static void areafast_rows_needed(const pp__stage *s, size_t y0, size_t y1, ptrdiff_t *a,
                                 ptrdiff_t *b)
{
    const areafast_priv *p = s->priv;
    *a = (ptrdiff_t)(y0 * (size_t)p->ky);
    *b = (ptrdiff_t)(y1 * (size_t)p->ky);
}

/* OpenCV's 2x2 path has its own rounding; other factors scale the integer
 * sum by the float 1/area. */
static void areafast_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                         uint8_t *const *out, void *scratch)
{
    (void)y0;
    const areafast_priv *p = s->priv;
    const uint8_t *const *rows = (const uint8_t *const *)in;
    float scale = 1.f / (float)(p->kx * p->ky);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *const *r = rows + i * (size_t)p->ky;
        if (p->kx == 2 && p->ky == 2)
            p->area2(r[0], r[1], out[i], s->out.width, s->out.channels, scratch);
        else
            p->areak(r, p->kx, p->ky, scale, out[i], s->out.width, s->out.channels);
    }
}

static size_t areafast_scratch_bytes(const pp__stage *s, size_t rows)
{
    (void)rows;
    return row_bytes(&s->in);
}

static const pp__stage_ops areafast_ops = {.name = "resize-area-int",
                                           .rows_needed = areafast_rows_needed,
                                           .run = areafast_run,
                                           .scratch_bytes = areafast_scratch_bytes,
                                           .free_priv = free};

static int push_area_fast(pp__planner *pl, int kx, int ky, pp_err *err)
{
    areafast_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->kx = kx;
    p->ky = ky;
    p->area2 = PP_KPICK(pp__geo_area2);
    p->areak = PP_KPICK(pp__geo_areak);
    pp__stage s = {0};
    s.ops = &areafast_ops;
    s.out = *pp__planner_format(pl);
    s.out.width /= (size_t)kx;
    s.out.height /= (size_t)ky;
    s.halo_x = kx / 2;
    s.halo = ky / 2;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Resize by area, general factors: float cell weights                 */
/* ------------------------------------------------------------------ */

/* One axis: the source cells each output index covers, with weights. */
typedef struct area_axis {
    uint32_t *start; /* n+1 */
    uint32_t *src;
    float *w;
    uint32_t taps;    /* entries */
    uint32_t maxtaps; /* most entries of one output index */
} area_axis;

typedef struct area_priv {
    area_axis x, y;
    pp__geo_atab tab;
    void (*hpass)(const pp__geo_atab *t, const uint8_t *src, float *dst);
    void (*vpass)(const float *const *rows, const float *beta, int nrows, float *sum, uint8_t *dst,
                  size_t n);
} area_priv;

static void area_axis_free(area_axis *a)
{
    free(a->start);
    free(a->src);
    free(a->w);
}

static void area_priv_free(void *p)
{
    area_priv *a = p;
    if (!a)
        return;
    area_axis_free(&a->x);
    area_axis_free(&a->y);
    free(a);
}

static void area_add(area_axis *a, size_t s, double w)
{
    a->src[a->taps] = (uint32_t)s;
    a->w[a->taps++] = (float)w;
}

/* OpenCV's computeResizeAreaTab: output cell d spans [d*scale, d*scale+scale)
 * of the source; partial cells at both ends, slivers under 1e-3 dropped. */
static int area_axis_init(area_axis *a, size_t ssize, size_t dsize, double scale, pp_err *err)
{
    a->start = pp_malloc_array(dsize + 1, sizeof *a->start, err);
    a->src = pp_malloc_array(ssize, 2 * sizeof *a->src, err);
    a->w = pp_malloc_array(ssize, 2 * sizeof *a->w, err);
    if (!a->start || !a->src || !a->w)
        return PP_ENOMEM;
    for (size_t d = 0; d < dsize; d++) {
        a->start[d] = a->taps;
        double f1 = (double)d * scale, f2 = f1 + scale;
        double cell = fmin(scale, (double)ssize - f1);
        ptrdiff_t s1 = (ptrdiff_t)ceil(f1), s2 = (ptrdiff_t)floor(f2);
        s2 = s2 < (ptrdiff_t)ssize - 1 ? s2 : (ptrdiff_t)ssize - 1;
        s1 = s1 < s2 ? s1 : s2;
        if ((double)s1 - f1 > 1e-3)
            area_add(a, (size_t)s1 - 1, ((double)s1 - f1) / cell);
        for (ptrdiff_t i = s1; i < s2; i++)
            area_add(a, (size_t)i, 1.0 / cell);
        if (f2 - (double)s2 > 1e-3)
            area_add(a, (size_t)s2, fmin(fmin(f2 - (double)s2, 1.), cell) / cell);
        if (a->taps - a->start[d] > a->maxtaps)
            a->maxtaps = a->taps - a->start[d];
    }
    a->start[dsize] = a->taps;
    return 0;
}

static void area_rows_needed(const pp__stage *s, size_t y0, size_t y1, ptrdiff_t *a, ptrdiff_t *b)
{
    const area_priv *p = s->priv;
    *a = p->y.src[p->y.start[y0]];
    *b = (ptrdiff_t)p->y.src[p->y.start[y1] - 1] + 1;
}

static size_t area_prep_bytes(const pp__stage *s)
{
    return row_bytes(&s->out) * sizeof(float);
}

static void area_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const area_priv *p = s->priv;
    p->hpass(&p->tab, raw, prepared);
}

/* Scratch: the row pointers of one output row, then one float row of sums
 * (pointers first: they need the stricter alignment). */
static size_t area_scratch_bytes(const pp__stage *s, size_t rows)
{
    (void)rows;
    const area_priv *p = s->priv;
    return p->y.maxtaps * sizeof(float *) + row_bytes(&s->out) * sizeof(float);
}

static void area_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                     uint8_t *const *out, void *scratch)
{
    const area_priv *p = s->priv;
    size_t width = row_bytes(&s->out);
    const float **rows = scratch;
    float *sum = (float *)(rows + p->y.maxtaps);
    uint32_t a = p->y.src[p->y.start[y0]];
    for (size_t i = 0; i < n; i++) {
        uint32_t e0 = p->y.start[y0 + i], e1 = p->y.start[y0 + i + 1];
        for (uint32_t e = e0; e < e1; e++)
            rows[e - e0] = in[p->y.src[e] - a];
        p->vpass(rows, p->y.w + e0, (int)(e1 - e0), sum, out[i], width);
    }
}

static const pp__stage_ops area_ops = {
    .name = "resize-area",
    .rows_needed = area_rows_needed,
    .prep_bytes = area_prep_bytes,
    .prep = area_prep,
    .run = area_run,
    .scratch_bytes = area_scratch_bytes,
    .free_priv = area_priv_free,
};

static int push_area(pp__planner *pl, size_t W, size_t H, double sx, double sy, pp_err *err)
{
    const pp_format *in = pp__planner_format(pl);
    area_priv *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    if (area_axis_init(&p->x, in->width, W, sx, err) < 0 ||
        area_axis_init(&p->y, in->height, H, sy, err) < 0) {
        area_priv_free(p);
        return PP_ENOMEM;
    }
    p->tab.dw = W;
    p->tab.cn = in->channels;
    p->tab.start = p->x.start;
    p->tab.src = p->x.src;
    p->tab.alpha = p->x.w;
    p->hpass = PP_KPICK(pp__geo_area_h);
    p->vpass = PP_KPICK(pp__geo_area_v);
    pp__stage s = {0};
    s.ops = &area_ops;
    s.out = *in;
    s.out.width = W;
    s.out.height = H;
    s.halo = (int)(p->y.maxtaps / 2);
    s.halo_x = (int)(p->x.maxtaps / 2);
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Resize: sizes and the choice of path                                */
/* ------------------------------------------------------------------ */

#define RESIZE_MAX_SIDE ((size_t)1 << 24)

/* Output size from width, height and scale; derived sides round to nearest. */
static int resize_size(const pp_param_value *v, const pp_format *f, size_t *W, size_t *H,
                       pp_err *err)
{
    double w = pp__pi(v, 0), h = pp__pi(v, 1), scale = pp__pf(v, 2);
    double fw = (double)f->width, fh = (double)f->height;
    if (w == 0 && h == 0 && scale == 0)
        return pp_err_set(err, PP_EINVAL, "resize: give width, height or scale");
    if (w == 0 && h == 0) {
        w = round(fw * scale);
        h = round(fh * scale);
    } else if (w == 0) {
        w = round(fw * h / fh);
    } else if (h == 0) {
        h = round(fh * w / fw);
    }
    if (w < 1 || h < 1)
        return pp_err_set(err, PP_EINVAL,
                          "resize: the %zux%zu image would become %.0fx%.0f, an empty image",
                          f->width, f->height, w, h);
    if (w > (double)RESIZE_MAX_SIDE || h > (double)RESIZE_MAX_SIDE)
        return pp_err_set(err, PP_EINVAL,
                          "resize: the %zux%zu image would become %.0fx%.0f, over %zu pixels "
                          "a side",
                          f->width, f->height, w, h, RESIZE_MAX_SIDE);
    *W = (size_t)w;
    *H = (size_t)h;
    return 0;
}

/* The same dispatch as cv::resize / hal::resize for 8-bit images. */
static int build_resize(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                        pp_err *err)
{
    (void)d;
    const pp_format *in = pp__planner_format(pl);
    size_t W = 0, H = 0;
    int rc = resize_size(v, in, &W, &H, err);
    if (rc < 0)
        return rc;
    if (W == in->width && H == in->height)
        return 0;
    int interp = pp__pi(v, 3);
    double sx = 1. / ((double)W / (double)in->width), sy = 1. / ((double)H / (double)in->height);
    int isx = round_sat(sx), isy = round_sat(sy);
    bool whole = fabs(sx - isx) < DBL_EPSILON && fabs(sy - isy) < DBL_EPSILON;
    if (interp == INTERP_LINEAR && whole && isx == 2 && isy == 2)
        interp = INTERP_AREA;
    if (interp == INTERP_AREA && sx >= 1 && sy >= 1)
        return whole ? push_area_fast(pl, isx, isy, err) : push_area(pl, W, H, sx, sy, err);
    return push_taps(pl, interp, W, H, err);
}

/* ------------------------------------------------------------------ */
/* Registry entries                                                    */
/* ------------------------------------------------------------------ */

static const pp_param_def rotate_params[] = {
    {.name = "angle",
     .type = PP_PARAM_FLOAT,
     .def = 90,
     .min = -360,
     .max = 360,
     .help = "degrees, clockwise; multiples of 90 are exact moves"},
    {.name = "expand",
     .type = PP_PARAM_BOOL,
     .def = 0,
     .help = "other angles: grow the output to the rotated image's bounding box"},
    {.name = "background",
     .type = PP_PARAM_INT,
     .def = 0,
     .min = 0,
     .max = 255,
     .help = "colour outside the source (alpha there is 0)"},
};

static const char *const flip_axes[] = {"h", "v", "both", NULL};

static const pp_param_def flip_params[] = {
    {.name = "axis",
     .type = PP_PARAM_ENUM,
     .def = AXIS_H,
     .choices = flip_axes,
     .help = "h mirrors left-right, v top-bottom, both rotates by 180"},
};

static const char *const resize_interps[] = {"area", "linear", "cubic", "lanczos", NULL};

static const pp_param_def resize_params[] = {
    {.name = "width",
     .type = PP_PARAM_INT,
     .def = 0,
     .min = 0,
     .max = 65535,
     .help = "output width; 0: from height keeping the aspect ratio"},
    {.name = "height",
     .type = PP_PARAM_INT,
     .def = 0,
     .min = 0,
     .max = 65535,
     .help = "output height; 0: from width keeping the aspect ratio"},
    {.name = "scale",
     .type = PP_PARAM_FLOAT,
     .def = 0,
     .min = 0,
     .max = 100,
     .help = "factor for both sides when width and height are 0"},
    {.name = "interp",
     .type = PP_PARAM_ENUM,
     .def = INTERP_AREA,
     .choices = resize_interps,
     .help = "area (best for shrinking), linear, cubic or lanczos (4 lobes)"},
};

static const pp_param_def crop_params[] = {
    {.name = "x", .type = PP_PARAM_INT, .def = 0, .min = 0, .max = 65535, .help = "left column"},
    {.name = "y", .type = PP_PARAM_INT, .def = 0, .min = 0, .max = 65535, .help = "top row"},
    {.name = "w",
     .type = PP_PARAM_INT,
     .def = 0,
     .min = 0,
     .max = 65535,
     .help = "width; 0: to the right edge"},
    {.name = "h",
     .type = PP_PARAM_INT,
     .def = 0,
     .min = 0,
     .max = 65535,
     .help = "height; 0: to the bottom edge"},
};

const pp_filter_def pp__filters_geometry[] = {
    {.name = "rotate",
     .kind = PP_KIND_GEOMETRY,
     .help = "rotate clockwise by any angle (multiples of 90 exactly)",
     .opencv = "90/180/270: cv::rotate(src, dst, ROTATE_90_CLOCKWISE / ROTATE_180 / "
               "ROTATE_90_COUNTERCLOCKWISE); others: cv::warpAffine(src, dst, "
               "getRotationMatrix2D(((w-1)/2, (h-1)/2), -angle, 1), size, INTER_LINEAR, "
               "BORDER_CONSTANT, background)",
     .colour = "every channel moves; outside the source colour is background, alpha 0",
     .nparams = 3,
     .params = rotate_params,
     .build = build_rotate},
    {.name = "flip",
     .kind = PP_KIND_GEOMETRY,
     .help = "mirror horizontally, vertically or both",
     .opencv = "cv::flip(src, dst, 1 / 0 / -1) for h / v / both",
     .colour = "every channel moves, alpha included",
     .nparams = 1,
     .params = flip_params,
     .build = build_flip},
    {.name = "resize",
     .kind = PP_KIND_GEOMETRY,
     .help = "scale to a size or by a factor (area, linear, cubic, lanczos)",
     .opencv = "cv::resize(src, dst, Size(W, H), 0, 0, INTER_AREA / INTER_LINEAR / "
               "INTER_CUBIC / INTER_LANCZOS4)",
     .colour = "every channel resampled alike, alpha included (not premultiplied)",
     .nparams = 4,
     .params = resize_params,
     .build = build_resize},
    {.name = "crop",
     .kind = PP_KIND_GEOMETRY,
     .help = "cut out a rectangle",
     .opencv = "src(cv::Rect(x, y, w, h))",
     .colour = "every channel kept, alpha included",
     .nparams = 4,
     .params = crop_params,
     .build = build_crop},
};

const size_t pp__filters_geometry_count =
    sizeof pp__filters_geometry / sizeof pp__filters_geometry[0];
