/* Edge filters: sobel and canny.
 *
 * sobel is one streaming stage. Each output row is a vertical pass over the
 * raw input rows into a row of 16-bit sums (padded with the horizontal
 * border, REFLECT_101), then a horizontal pass that also takes the absolute
 * value and scales to 8 bits, so only that row (two and a row of floats for
 * the magnitude) is stored. The kernels are OpenCV's getSobelKernels (ksize
 * 1: a 3-tap derivative and a 1-tap smoothing), applied per channel; alpha
 * is restored by the executor.
 * mode=abs matches convertScaleAbs(Sobel(CV_16S)) exactly, saturation of
 * large 7-tap sums to 16 bits included. mode=magnitude takes the float
 * magnitude of the x and y derivatives, which OpenCV computes with a fused
 * multiply-add this code does not use: results are within 1.
 *
 * canny is two stages, like cv::Canny(gray, low, high, aperture, l2):
 *   1. a streaming stage (halo aperture/2 + 1 rows, BORDER_REPLICATE) that
 *      computes for each strip the gradient rows it needs (one extra row
 *      above and below), their magnitudes (16-bit |dx|+|dy|, or 32-bit
 *      dx^2+dy^2 for l2), non-maximum suppression with OpenCV's integer
 *      sector test (an exact 16-bit form of it for 16-bit magnitudes, see
 *      edge_kern.c) and the double threshold, and writes a
 *      1-byte map: 0 none, 1 weak (> low), 2 strong (> high). Magnitudes
 *      outside the image are 0, as in OpenCV.
 *   2. a barrier whose accumulator keeps only that map (with a 1-pixel
 *      frame of 0). acc_end grows every strong pixel through 8-connected
 *      weak ones with an explicit stack (no recursion; each pixel is pushed
 *      at most once, marked 3), then emit writes 255 where the map is >= 2.
 *      On MPI each rank keeps a block of rows; acc_join then puts the
 *      edges (3) of the neighbours' boundary rows into the frame and grows
 *      them into the block, until no block changes: the same edges as one
 *      pass over the whole map.
 * Threshold handling follows OpenCV 4.6: aperture 7 divides the thresholds
 * and the gradients by 16, low > high are swapped, l2 clamps to 32767 and
 * squares, then both are floored. Every row of the map depends only on its
 * input rows, so the output does not depend on the strip height; for MPI the
 * map is the only state a barrier would gather.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edge_kern.h"
#include "filter_impl.h"

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* OpenCV's getSobelKernels: (taps-1-order) factors [1 1] and `order`
 * factors [-1 1] convolved; ksize 1 gives 3 taps for a derivative and the
 * 1-tap kernel [1] otherwise. Returns the number of taps. */
static int sobel_kernel(int ksize, int order, int16_t *k)
{
    int taps = ksize == 1 && order > 0 ? 3 : ksize;
    k[0] = 1;
    for (int len = 1; len < taps; len++) {
        int a = len <= taps - 1 - order ? 1 : -1;
        k[len] = 0;
        for (int i = len; i >= 1; i--)
            k[i] = (int16_t)(a * k[i] + k[i - 1]);
        k[0] = (int16_t)(a * k[0]);
    }
    return taps;
}

/* Writes the r pixels of horizontal border on each side of a 16-bit row of
 * w pixels with c channels (v points at the first pixel). */
static void pad_row16(int16_t *v, size_t w, int c, int r, pp_border b)
{
    ptrdiff_t n = (ptrdiff_t)w, cs = c;
    for (ptrdiff_t i = 1; i <= r; i++) {
        ptrdiff_t li = pp__border_index(-i, n, b), ri = pp__border_index(n - 1 + i, n, b);
        for (ptrdiff_t k = 0; k < cs; k++) {
            v[-i * cs + k] = v[li * cs + k];
            v[(n - 1 + i) * cs + k] = v[ri * cs + k];
        }
    }
}

/* ------------------------------------------------------------------ */
/* Sobel                                                               */
/* ------------------------------------------------------------------ */

enum { SOBEL_ABS, SOBEL_MAGNITUDE };

typedef struct sobel_priv {
    bool magnitude;
    float scale;
    /* abs: the x and y kernels */
    int16_t kx[PP_EDGE_MAX_TAPS], ky[PP_EDGE_MAX_TAPS];
    int tx, ty;
    /* magnitude: first derivative and smoothing, both `taps` long */
    int16_t deriv[PP_EDGE_MAX_TAPS], smooth[PP_EDGE_MAX_TAPS];
    int taps;
    void (*vpass)(const uint8_t *const *rows, const int16_t *cf, int taps, size_t n, int16_t *dst);
    void (*vpass2)(const uint8_t *const *rows, const int16_t *cs, const int16_t *cd, int taps,
                   size_t stride, size_t n, int16_t *ds, int16_t *dd);
    void (*abs_row)(const int16_t *v, const int16_t *cf, int taps, int c, size_t n, float scale,
                    uint8_t *dst);
    void (*mag_row)(const int16_t *vs, const int16_t *vd, const int16_t *cd, const int16_t *cs,
                    int taps, int c, size_t n, float scale, float *tmp, uint8_t *dst);
} sobel_priv;

/* Horizontal border width in pixels. */
static int sobel_rx(const sobel_priv *p)
{
    return (p->magnitude ? p->taps : p->tx) / 2;
}

/* The scratch: the padded 16-bit row of the vertical pass and, for the
 * magnitude, a second one (the y derivative) and a row of floats. */
typedef struct sobel_rows {
    int16_t *va, *vb;
    float *tmp;
} sobel_rows;

static size_t sobel_layout(const pp__stage *s, void *scratch, sobel_rows *r)
{
    const sobel_priv *p = s->priv;
    size_t c = (size_t)s->in.channels, rx = (size_t)sobel_rx(p);
    size_t vb = align64((s->in.width + 2 * rx) * c * sizeof(int16_t));
    if (!p->magnitude) {
        if (r)
            r->va = (int16_t *)scratch + rx * c;
        return vb;
    }
    if (r) {
        uint8_t *b = scratch;
        r->va = (int16_t *)b + rx * c;
        r->vb = (int16_t *)(b + vb) + rx * c;
        r->tmp = (float *)(b + 2 * vb);
    }
    return 2 * vb + align64(s->in.width * c * sizeof(float));
}

static size_t sobel_scratch(const pp__stage *s, size_t rows)
{
    (void)rows;
    return sobel_layout(s, NULL, NULL);
}

static void sobel_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                      uint8_t *const *out, void *scratch)
{
    (void)y0;
    const sobel_priv *p = s->priv;
    const uint8_t *const *rows = (const uint8_t *const *)in;
    int c = s->in.channels, rx = sobel_rx(p);
    size_t w = s->in.width, ns = w * (size_t)c;
    sobel_rows r = {NULL, NULL, NULL};
    sobel_layout(s, scratch, &r);
    for (size_t i = 0; i < n; i++) {
        if (p->magnitude) {
            p->vpass2(rows + i, p->smooth, p->deriv, p->taps, 1, ns, r.va, r.vb);
            pad_row16(r.va, w, c, rx, PP_BORDER_REFLECT101);
            pad_row16(r.vb, w, c, rx, PP_BORDER_REFLECT101);
            p->mag_row(r.va, r.vb, p->deriv, p->smooth, p->taps, c, ns, p->scale, r.tmp, out[i]);
        } else {
            p->vpass(rows + i, p->ky, p->ty, ns, r.va);
            pad_row16(r.va, w, c, rx, PP_BORDER_REFLECT101);
            p->abs_row(r.va, p->kx, p->tx, c, ns, p->scale, out[i]);
        }
    }
}

static const pp__stage_ops sobel_ops = {
    .name = "sobel",
    .run = sobel_run,
    .scratch_bytes = sobel_scratch,
    .free_priv = free,
};

static int build_sobel(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                       pp_err *err)
{
    (void)d;
    int dx = pp__pi(v, 0), dy = pp__pi(v, 1), ksize = pp__pi(v, 2), mode = pp__pi(v, 3);
    if (mode == SOBEL_ABS && dx == 0 && dy == 0)
        return pp_err_set(err, PP_EINVAL, "dx=0 and dy=0: at least one derivative is needed");
    sobel_priv *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->magnitude = mode == SOBEL_MAGNITUDE;
    p->scale = (float)pp__pf(v, 4);
    p->vpass = PP_KPICK(pp__edge_vpass);
    p->vpass2 = PP_KPICK(pp__edge_vpass2);
    p->abs_row = PP_KPICK(pp__sobel_abs_row);
    p->mag_row = PP_KPICK(pp__sobel_mag_row);
    int ry;
    if (p->magnitude) {
        p->taps = sobel_kernel(ksize, 1, p->deriv);
        int st = sobel_kernel(ksize, 0, p->smooth);
        if (st < p->taps) { /* ksize 1: [1] becomes [0 1 0] */
            p->smooth[1] = p->smooth[0];
            p->smooth[0] = p->smooth[2] = 0;
        }
        ry = p->taps / 2;
    } else {
        p->tx = sobel_kernel(ksize, dx, p->kx);
        p->ty = sobel_kernel(ksize, dy, p->ky);
        ry = p->ty / 2;
    }
    pp__stage s = {0};
    s.ops = &sobel_ops;
    s.out = *pp__planner_format(pl);
    s.halo = ry;
    s.halo_x = sobel_rx(p);
    s.border = PP_BORDER_REFLECT101;
    s.alpha_passthrough = true;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Canny, stage 1: gradient, non-maximum suppression, double threshold */
/* ------------------------------------------------------------------ */

typedef struct canny_priv {
    int16_t deriv[PP_EDGE_MAX_TAPS], smooth[PP_EDGE_MAX_TAPS];
    int taps;
    bool l2;
    int32_t low, high;
    uint16_t lo1, hi1; /* pp__canny_thr16(low) and (high), for nms16 */
    size_t mag_size;   /* 2: uint16_t |dx|+|dy|; 4: int32_t dx^2+dy^2 (l2) */
    void (*vpass2)(const uint8_t *const *rows, const int16_t *cs, const int16_t *cd, int taps,
                   size_t stride, size_t n, int16_t *ds, int16_t *dd);
    void (*grad)(const int16_t *vs, const int16_t *vd, const int16_t *cd, const int16_t *cs,
                 int taps, size_t w, bool l2, int16_t *dx, int16_t *dy, void *mag);
    void (*nms)(const int32_t *mp, const int32_t *ma, const int32_t *mn, const int16_t *dx,
                const int16_t *dy, size_t w, int32_t low, int32_t high, uint8_t *map);
    void (*nms16)(const uint16_t *mp, const uint16_t *ma, const uint16_t *mn, const int16_t *dx,
                  const int16_t *dy, size_t w, uint16_t lo1, uint16_t hi1, uint8_t *map);
} canny_priv;

/* The scratch of one strip: two padded vertical-pass rows, then a ring of
 * three gradient rows (dx, dy, and magnitudes of mag_size bytes readable at
 * -1 and w). */
typedef struct canny_rows {
    int16_t *vs, *vd;
    int16_t *dx[3], *dy[3];
    uint8_t *mag[3];
} canny_rows;

static size_t canny_layout(const pp__stage *s, void *scratch, canny_rows *r)
{
    const canny_priv *p = s->priv;
    size_t w = s->in.width, rx = (size_t)p->taps / 2;
    size_t vb = align64((w + 2 * rx) * sizeof(int16_t)), gb = align64(w * sizeof(int16_t));
    size_t mb = align64((w + 2) * p->mag_size);
    if (r) {
        uint8_t *b = scratch;
        r->vs = (int16_t *)b + rx;
        r->vd = (int16_t *)(b + vb) + rx;
        b += 2 * vb;
        for (int k = 0; k < 3; k++) {
            r->dx[k] = (int16_t *)(b + (size_t)k * (2 * gb + mb));
            r->dy[k] = (int16_t *)(b + (size_t)k * (2 * gb + mb) + gb);
            r->mag[k] = b + (size_t)k * (2 * gb + mb) + 2 * gb + p->mag_size;
        }
    }
    return 2 * vb + 3 * (2 * gb + mb);
}

static size_t canny_scratch(const pp__stage *s, size_t rows)
{
    (void)rows;
    return canny_layout(s, NULL, NULL);
}

/* Gradient row `y` of the image into ring slot k; rows[0] is input row
 * y - taps/2. Outside the image the magnitude is 0. */
static void canny_grad(const pp__stage *s, const canny_rows *r, int k, const uint8_t *const *rows,
                       ptrdiff_t y)
{
    const canny_priv *p = s->priv;
    size_t w = s->in.width, ms = p->mag_size;
    uint8_t *mag = r->mag[k];
    memset(mag - ms, 0, ms);
    memset(mag + w * ms, 0, ms);
    if (y < 0 || y >= (ptrdiff_t)s->in.height) {
        memset(mag, 0, w * ms);
        return;
    }
    size_t stride = (size_t)s->in.channels; /* gray+alpha: channel 0 */
    p->vpass2(rows, p->smooth, p->deriv, p->taps, stride, w, r->vs, r->vd);
    pad_row16(r->vs, w, 1, p->taps / 2, PP_BORDER_REPLICATE);
    pad_row16(r->vd, w, 1, p->taps / 2, PP_BORDER_REPLICATE);
    p->grad(r->vs, r->vd, p->deriv, p->smooth, p->taps, w, p->l2, r->dx[k], r->dy[k], mag);
}

/* Non-maximum suppression of gradient row b (a above, c below) into map. */
static void canny_nms(const canny_priv *p, const canny_rows *r, int a, int b, int c, size_t w,
                      uint8_t *map)
{
    if (p->l2)
        p->nms((const int32_t *)r->mag[a], (const int32_t *)r->mag[b], (const int32_t *)r->mag[c],
               r->dx[b], r->dy[b], w, p->low, p->high, map);
    else
        p->nms16((const uint16_t *)r->mag[a], (const uint16_t *)r->mag[b],
                 (const uint16_t *)r->mag[c], r->dx[b], r->dy[b], w, p->lo1, p->hi1, map);
}

/* in[0] is input row y0 - halo = y0 - 1 - taps/2: gradient row y0 + j
 * starts at in[j + 1]. Output row i needs gradient rows i-1, i, i+1. */
static void canny_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                      uint8_t *const *out, void *scratch)
{
    const canny_priv *p = s->priv;
    const uint8_t *const *rows = (const uint8_t *const *)in;
    canny_rows r;
    canny_layout(s, scratch, &r);
    for (ptrdiff_t j = -1; j <= (ptrdiff_t)n; j++) {
        canny_grad(s, &r, (int)((j + 1) % 3), rows + (j + 1), (ptrdiff_t)y0 + j);
        if (j < 1)
            continue;
        size_t i = (size_t)j - 1;
        canny_nms(p, &r, (int)(i % 3), (int)((i + 1) % 3), (int)((i + 2) % 3), s->in.width,
                  out[i]);
    }
}

static const pp__stage_ops canny_ops = {
    .name = "canny-nms",
    .run = canny_run,
    .scratch_bytes = canny_scratch,
    .free_priv = free,
};

/* ------------------------------------------------------------------ */
/* Canny, stage 2: hysteresis (a barrier)                              */
/* ------------------------------------------------------------------ */

typedef struct hyst_priv {
    void (*edges)(const uint8_t *map, size_t w, uint8_t *dst);
} hyst_priv;

typedef struct hyst_acc {
    uint8_t *map; /* (width+2) x (rows+2): input rows [y0, y1) in a frame of 0 */
    size_t stride;
    size_t y0, y1;
} hyst_acc;

/* Row y of the map (inside the frame), y in [y0 - 1, y1]. */
static inline uint8_t *map_row(const hyst_acc *a, size_t y)
{
    return a->map + (y + 1 - a->y0) * a->stride + 1;
}

/* Whole rows only: the frame stands for the image edges. */
static void *hyst_new(const pp__stage *s, const pp__rect *r, pp_err *err)
{
    hyst_acc *a = pp_calloc(1, sizeof *a, err);
    if (!a)
        return NULL;
    a->stride = s->in.width + 2;
    a->y0 = r->y0;
    a->y1 = r->y1 > r->y0 ? r->y1 : r->y0;
    /* not calloc: rows are written by hyst_rows, only the frame is zeroed */
    a->map = pp_malloc_array(a->stride, a->y1 - a->y0 + 2, err);
    if (!a->map) {
        free(a);
        return NULL;
    }
    memset(a->map, 0, a->stride);
    memset(a->map + (a->y1 - a->y0 + 1) * a->stride, 0, a->stride);
    return a;
}

static void hyst_free(void *p)
{
    hyst_acc *a = p;
    if (!a)
        return;
    free(a->map);
    free(a);
}

static size_t hyst_bytes(const pp__stage *s)
{
    return sizeof(hyst_acc) + (s->in.width + 2) * (s->in.height + 2);
}

static size_t hyst_state_bytes(const pp__stage *s)
{
    return s->in.width;
}

static const uint8_t *hyst_state_row(const void *acc, size_t y)
{
    return map_row(acc, y);
}

static int hyst_rows(const pp__stage *s, void *acc, size_t y0, size_t n, const uint8_t *const *rows,
                     pp_err *err)
{
    (void)err;
    hyst_acc *a = acc;
    for (size_t i = 0; i < n; i++) {
        uint8_t *row = map_row(a, y0 + i);
        row[-1] = row[s->in.width] = 0;
        memcpy(row, rows[i], s->in.width);
    }
    return 0;
}

typedef struct edge_stack {
    uint8_t **v;
    size_t n, cap;
} edge_stack;

/* Room for 8 more entries. */
static int stack_reserve(edge_stack *st, pp_err *err)
{
    if (st->n + 8 <= st->cap)
        return 0;
    size_t cap = st->cap ? st->cap * 2 : 4096;
    uint8_t **v = realloc(st->v, cap * sizeof *v);
    if (!v)
        return pp_err_set(err, PP_ENOMEM, "canny: out of memory for the hysteresis stack");
    st->v = v;
    st->cap = cap;
    return 0;
}

/* Marks everything 8-connected to the strong pixel p through weak or strong
 * pixels as an edge (3). The frame of 0 stops the walk at the image edge. */
static int grow_edge(edge_stack *st, uint8_t *p, ptrdiff_t stride, pp_err *err)
{
    const ptrdiff_t nb[8] = {-stride - 1, -stride,    -stride + 1, -1,
                             1,           stride - 1, stride,      stride + 1};
    *p = 3;
    st->v[st->n++] = p;
    while (st->n) {
        uint8_t *q = st->v[--st->n];
        int rc = stack_reserve(st, err);
        if (rc < 0)
            return rc;
        for (int k = 0; k < 8; k++) {
            uint8_t *o = q + nb[k];
            if (*o == 1 || *o == 2) {
                *o = 3;
                st->v[st->n++] = o;
            }
        }
    }
    return 0;
}

static int hyst_end(const pp__stage *s, void *acc, pp_err *err)
{
    hyst_acc *a = acc;
    size_t w = s->in.width;
    edge_stack st = {0};
    int rc = stack_reserve(&st, err);
    for (size_t y = a->y0; y < a->y1 && rc == 0; y++) {
        uint8_t *row = map_row(a, y), *end = row + w;
        for (uint8_t *p = memchr(row, 2, w); p && rc == 0;
             p = memchr(p + 1, 2, (size_t)(end - p - 1)))
            rc = grow_edge(&st, p, (ptrdiff_t)a->stride, err);
    }
    free(st.v);
    return rc;
}

/* Grows the edges of a neighbour's boundary row `frame` (copied into the
 * frame row next to `edge`, the block's own boundary row) into the block. */
static int join_side(hyst_acc *a, size_t w, uint8_t *frame, const uint8_t *theirs,
                     uint8_t *edge, edge_stack *st, bool *changed, pp_err *err)
{
    for (size_t x = 0; x < w; x++)
        frame[x] = theirs[x] == 3 ? 3 : 0;
    int rc = 0;
    for (size_t x = 0; x < w && rc == 0; x++) {
        if (edge[x] != 1 && edge[x] != 2)
            continue;
        bool touch = frame[x] == 3 || (x > 0 && frame[x - 1] == 3) ||
                     (x + 1 < w && frame[x + 1] == 3);
        if (touch) {
            rc = grow_edge(st, edge + x, (ptrdiff_t)a->stride, err);
            *changed = true;
        }
    }
    memset(frame, 0, w);
    return rc;
}

static int hyst_join(const pp__stage *s, void *acc, const uint8_t *above, const uint8_t *below,
                     bool *changed, pp_err *err)
{
    hyst_acc *a = acc;
    size_t w = s->in.width;
    *changed = false;
    if (a->y1 == a->y0)
        return 0;
    edge_stack st = {0};
    int rc = stack_reserve(&st, err);
    if (rc == 0 && above)
        rc = join_side(a, w, map_row(a, a->y0 - 1), above, map_row(a, a->y0), &st, changed, err);
    if (rc == 0 && below)
        rc = join_side(a, w, map_row(a, a->y1), below, map_row(a, a->y1 - 1), &st, changed, err);
    free(st.v);
    return rc;
}

static void hyst_emit(const pp__stage *s, const void *acc, size_t y0, size_t n, uint8_t *const *out,
                      void *scratch)
{
    (void)scratch;
    const hyst_acc *a = acc;
    const hyst_priv *p = s->priv;
    for (size_t i = 0; i < n; i++)
        p->edges(map_row(a, y0 + i), s->in.width, out[i]);
}

static const pp__stage_ops hyst_ops = {
    .name = "canny-hysteresis",
    .acc_new = hyst_new,
    .acc_rows = hyst_rows,
    .acc_end = hyst_end,
    .emit = hyst_emit,
    .acc_bytes = hyst_bytes,
    .acc_free = hyst_free,
    .acc_state_bytes = hyst_state_bytes,
    .acc_state_row = hyst_state_row,
    .acc_join = hyst_join,
    .free_priv = free,
};

/* OpenCV 4.6's threshold handling, in this order. */
static void canny_thresholds(double lo, double hi, int aperture, bool l2, canny_priv *p)
{
    if (aperture == 7) {
        lo /= 16.0;
        hi /= 16.0;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (l2) {
        lo = fmin(32767.0, lo);
        hi = fmin(32767.0, hi);
        if (lo > 0)
            lo *= lo;
        if (hi > 0)
            hi *= hi;
    }
    p->low = (int32_t)floor(lo);
    p->high = (int32_t)floor(hi);
    p->lo1 = pp__canny_thr16(p->low);
    p->hi1 = pp__canny_thr16(p->high);
}

static int push_canny_nms(pp__planner *pl, const pp_param_value *v, pp_err *err)
{
    canny_priv *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    int aperture = pp__pi(v, 3);
    p->l2 = pp__pb(v, 2);
    p->taps = sobel_kernel(aperture, 1, p->deriv);
    sobel_kernel(aperture, 0, p->smooth);
    canny_thresholds(pp__pf(v, 0), pp__pf(v, 1), aperture, p->l2, p);
    p->vpass2 = PP_KPICK(pp__edge_vpass2);
    p->grad = PP_KPICK(pp__canny_grad_row);
    p->nms = PP_KPICK(pp__canny_nms_row);
    p->nms16 = PP_KPICK(pp__canny_nms16_row);
    p->mag_size = p->l2 ? sizeof(int32_t) : sizeof(uint16_t);
    pp__stage s = {0};
    s.ops = &canny_ops;
    s.out = *pp__planner_format(pl);
    s.out.channels = 1;
    s.halo = aperture / 2 + 1;
    s.halo_x = aperture / 2 + 1;
    s.border = PP_BORDER_REPLICATE;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

static int push_hysteresis(pp__planner *pl, pp_err *err)
{
    hyst_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->edges = PP_KPICK(pp__canny_edges_row);
    pp__stage s = {0};
    s.ops = &hyst_ops;
    s.out = *pp__planner_format(pl);
    s.barrier = true;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

static int build_canny(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                       pp_err *err)
{
    (void)d;
    int rc = pp__push_to_gray(pl, err);
    if (rc == 0)
        rc = push_canny_nms(pl, v, err);
    if (rc == 0)
        rc = push_hysteresis(pl, err);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Registry entries                                                    */
/* ------------------------------------------------------------------ */

/* clang-format off */
static const char *const sobel_modes[] = {"abs", "magnitude", NULL};

static const pp_param_def sobel_params[] = {
    {.name = "dx", .type = PP_PARAM_INT, .def = 1, .min = 0, .max = 2,
     .help = "order of the x derivative (abs mode)"},
    {.name = "dy", .type = PP_PARAM_INT, .def = 0, .min = 0, .max = 2,
     .help = "order of the y derivative (abs mode); dx and dy cannot both be 0"},
    {.name = "ksize", .type = PP_PARAM_INT, .def = 3, .min = 1, .max = 7, .flags = PP_PARAM_ODD,
     .help = "aperture 1, 3, 5 or 7; 1 is the 3x1 or 1x3 kernel without smoothing"},
    {.name = "mode", .type = PP_PARAM_ENUM, .def = SOBEL_ABS, .choices = sobel_modes,
     .help = "abs: |derivative|; magnitude: sqrt(gx^2 + gy^2), ignores dx and dy"},
    {.name = "scale", .type = PP_PARAM_FLOAT, .def = 1, .min = 0.001, .max = 1000,
     .help = "multiplies the result before rounding and saturating to 0..255"},
};

static const pp_param_def canny_params[] = {
    {.name = "low", .type = PP_PARAM_FLOAT, .def = 50, .min = 0, .max = 10000,
     .help = "weak-edge threshold (swapped with high when larger)"},
    {.name = "high", .type = PP_PARAM_FLOAT, .def = 150, .min = 0, .max = 10000,
     .help = "strong-edge threshold: edges start above it"},
    {.name = "l2", .type = PP_PARAM_BOOL, .def = 0, .min = 0, .max = 1,
     .help = "true: sqrt(gx^2 + gy^2) gradient norm; false: |gx| + |gy|"},
    {.name = "aperture", .type = PP_PARAM_INT, .def = 3, .min = 3, .max = 7,
     .flags = PP_PARAM_ODD, .help = "Sobel aperture: 3, 5 or 7"},
};

const pp_filter_def pp__filters_edge[] = {
    {.name = "sobel", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "Sobel derivative |d| scaled to 8 bits, or the gradient magnitude "
             "(mode=magnitude ignores dx and dy)",
     .opencv = "abs: cv::convertScaleAbs(cv::Sobel(src, CV_16S, dx, dy, ksize), dst, scale); "
               "magnitude: cv::convertScaleAbs(cv::magnitude(Sobel(src, CV_32F, 1, 0, ksize), "
               "Sobel(src, CV_32F, 0, 1, ksize)), dst, scale)",
     .colour = "per channel, like cv::Sobel on a colour image; alpha untouched",
     .nparams = 5, .params = sobel_params, .build = build_sobel},
    {.name = "canny", .kind = PP_KIND_GLOBAL,
     .help = "Canny edge map: 255 on edges, 0 elsewhere (hysteresis is a global stage)",
     .opencv = "cv::Canny(gray, edges, low, high, aperture, l2)",
     .colour = "colour is converted to gray first; alpha is dropped: the output is one channel",
     .nparams = 4, .params = canny_params, .build = build_canny},
};

/* clang-format on */

const size_t pp__filters_edge_count = sizeof pp__filters_edge / sizeof pp__filters_edge[0];
