/* Convolution filters: gaussian, box, convolve, sharpen, unsharp.
 *
 * All are streaming neighbourhood stages with OpenCV's default border,
 * BORDER_REFLECT_101, applied per channel (alpha is computed like any channel
 * and then restored by the executor: alpha_passthrough).
 *
 * Separable filters keep their horizontal pass in `prep`, so each input row
 * is filtered horizontally once, as it enters the stage's window; `run` then
 * combines 2r+1 prepared rows per output row. Nothing is carried from one
 * strip to the next: a strip's running sums start again from its own rows.
 *
 *   gaussian  OpenCV's bit-exact 8-bit path (GaussianBlur on CV_8U): kernels
 *             built as getGaussianKernel builds them (fixed binomial tables
 *             for ksize <= 9 and sigma <= 0, softdouble values otherwise),
 *             rounded to 8 fractional bits with error diffusion; the result
 *             (sum K*sum K*v + 2^15) >> 16 is evaluated exactly in 16-bit
 *             lanes (convolve_kern.h says how). Exact.
 *   box       running column sums over rows of horizontal sums (u16), the
 *             quotient computed as cv::blur does: an integer multiply-shift
 *             for areas <= 256, float round-half-even above. Exact.
 *   convolve  cv::filter2D: correlation (no flip), summed in float in
 *             row-major tap order over padded float rows made in prep.
 *             Kernels of integers over a power of two with small sums run
 *             in 16-bit integers instead (same results, exact). OpenCV fuses
 *             multiply-adds and, from 130 taps, uses a DFT, so other kernels
 *             can differ by 1 where a sum lands near .5.
 *   sharpen   the 3x3 kernel 0,-1,0,-1,5,-1,0,-1,0 in integers. Exact.
 *   unsharp   the Gaussian above, then a 64 KiB table out[src][blur] holding
 *             round_half_even(src + amount*(src - blur)) computed in double
 *             (src where |src - blur| <= threshold).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convolve_kern.h"
#include "filter_impl.h"

/* Bytes of a prepared row, a multiple of 64 so rows keep their alignment. */
static size_t round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static size_t samples(const pp__stage *s)
{
    return s->in.width * (size_t)s->in.channels;
}

/* The executor's row pointers converted into typed arrays in scratch (an
 * array of void pointers cannot be read as one of typed pointers). */
static const uint16_t **rows_u16(const void *const *in, size_t count, void *scratch)
{
    const uint16_t **p = scratch;
    for (size_t i = 0; i < count; i++)
        p[i] = in[i];
    return p;
}

static const uint8_t **rows_u8(const void *const *in, size_t count, void *scratch)
{
    const uint8_t **p = scratch;
    for (size_t i = 0; i < count; i++)
        p[i] = in[i];
    return p;
}

static const float **rows_f32(const void *const *in, size_t count, void *scratch)
{
    const float **p = scratch;
    for (size_t i = 0; i < count; i++)
        p[i] = in[i];
    return p;
}

static size_t ptrs_bytes(const pp__stage *s, size_t rows)
{
    return round64((rows + 2 * (size_t)s->halo) * sizeof(void *));
}

static pp__stage neighbourhood(pp__planner *pl, const pp__stage_ops *ops, int r, void *priv)
{
    pp__stage s = {0};
    s.ops = ops;
    s.out = *pp__planner_format(pl);
    s.halo = r;
    s.halo_x = r;
    s.border = PP_BORDER_REFLECT101;
    s.alpha_passthrough = true;
    s.priv = priv;
    return s;
}

/* ------------------------------------------------------------------ */
/* Gaussian kernels                                                    */
/* ------------------------------------------------------------------ */

/* ksize from sigma, as GaussianBlur does for 8-bit images. */
static int gauss_size(double sigma)
{
    return (int)lrint(sigma * 3 * 2 + 1) | 1;
}

/* getGaussianKernel's values for an odd n, then OpenCV's fixed-point
 * rounding to 8 fractional bits: error diffusion from the ends inwards, the
 * centre taking what is left so the taps sum to exactly 256. */
static void gauss_taps(int n, double sigma, uint16_t *k)
{
    static const uint16_t binomial[5][9] = {
        {256},
        {64, 128, 64},
        {16, 64, 96, 64, 16},
        {8, 28, 56, 72, 56, 28, 8},
        {4, 13, 30, 51, 60, 51, 30, 13, 4},
    };
    if (sigma <= 0 && n <= 9) {
        memcpy(k, binomial[n / 2], (size_t)n * sizeof *k);
        return;
    }
    double sx = sigma > 0 ? sigma : fma(n, 0.15, 0.35);
    double scale2 = -0.125 / (sx * sx), vals[PP_GAUSS_MAX_TAPS / 2], sum = 0;
    int half = n / 2;
    for (int i = 0, x = 1 - n; i < half; i++, x += 2) {
        vals[i] = exp((double)(x * x) * scale2);
        sum += vals[i];
    }
    double mul = 1.0 / (sum * 2 + 1), err = 0;
    int taken = 0;
    for (int i = 0; i < half; i++) {
        double adj = vals[i] * mul * 256 + err;
        long v = lrint(adj);
        err = adj - (double)v;
        k[i] = k[n - 1 - i] = (uint16_t)v;
        taken += (int)v;
    }
    k[half] = (uint16_t)(256 - 2 * taken);
}

/* Picks the 16-bit evaluation (see convolve_kern.h): one sum when every
 * tap is a multiple of 16, split sums otherwise. */
static void gauss_mode(pp__gauss_kernel *g)
{
    int n = 2 * g->r + 1;
    g->single = true;
    for (int i = 0; i < n; i++)
        g->single = g->single && g->k[i] % 16 == 0;
    if (g->single)
        for (int i = 0; i < n; i++)
            g->k[i] = (uint16_t)(g->k[i] / 16);
}

/* The kernel of `gaussian sigma ksize`. */
static void gauss_resolve(double sigma, int ksize, pp__gauss_kernel *g)
{
    if (sigma <= 0 && ksize == 0)
        sigma = 1; /* OpenCV rejects this; pixpipe means sigma 1 */
    if (ksize == 0)
        ksize = gauss_size(sigma);
    memset(g, 0, sizeof *g);
    g->r = ksize / 2;
    gauss_taps(ksize, sigma, g->k);
    gauss_mode(g);
}

/* ------------------------------------------------------------------ */
/* Gaussian stage                                                      */
/* ------------------------------------------------------------------ */

typedef struct gauss_priv {
    pp__gauss_kernel g;
    void (*hrow)(const uint8_t *src, size_t w, int c, const pp__gauss_kernel *g, uint16_t *dst);
    void (*vrow)(const uint16_t *const *rows, const pp__gauss_kernel *g, size_t n, uint8_t *dst);
} gauss_priv;

static void gauss_priv_init(gauss_priv *p, double sigma, int ksize)
{
    gauss_resolve(sigma, ksize, &p->g);
    p->hrow = PP_KPICK(pp__gauss_hrow);
    p->vrow = PP_KPICK(pp__gauss_vrow);
}

static size_t gauss_prep_bytes(const pp__stage *s)
{
    return round64(samples(s) * sizeof(uint16_t));
}

static void gauss_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const gauss_priv *p = s->priv;
    p->hrow(raw, s->in.width, s->in.channels, &p->g, prepared);
}

static void gauss_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                      uint8_t *const *out, void *scratch)
{
    (void)y0;
    const gauss_priv *p = s->priv;
    const uint16_t **rows = rows_u16(in, n + 2 * (size_t)s->halo, scratch);
    for (size_t i = 0; i < n; i++)
        p->vrow(rows + i, &p->g, samples(s), out[i]);
}

static size_t gauss_scratch(const pp__stage *s, size_t rows)
{
    return ptrs_bytes(s, rows);
}

static const pp__stage_ops gauss_ops = {
    .name = "gauss-u16",
    .prep_bytes = gauss_prep_bytes,
    .prep = gauss_prep,
    .run = gauss_run,
    .scratch_bytes = gauss_scratch,
    .free_priv = free,
};

static int build_gaussian(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                          pp_err *err)
{
    (void)d;
    double sigma = pp__pf(v, 0);
    int ksize = pp__pi(v, 1);
    gauss_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    gauss_priv_init(p, sigma, ksize);
    pp__stage s = neighbourhood(pl, &gauss_ops, p->g.r, p);
    if (sigma <= 0 && ksize != 0 && ksize <= 9)
        snprintf(s.label, sizeof s.label, "gaussian ksize=%d binomial", ksize);
    else if (sigma <= 0 && ksize != 0)
        snprintf(s.label, sizeof s.label, "gaussian ksize=%d sigma=%g", ksize,
                 fma(ksize, 0.15, 0.35));
    else
        snprintf(s.label, sizeof s.label, "gaussian sigma=%g ksize=%d", sigma > 0 ? sigma : 1.0,
                 2 * p->g.r + 1);
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Box                                                                 */
/* ------------------------------------------------------------------ */

typedef struct box_priv {
    int r;
    pp__box_div div;
    void (*hrow)(const uint8_t *src, size_t w, int c, int r, uint16_t *dst);
    void (*vrows)(const uint16_t *const *rows, int r, size_t n, size_t m, const pp__box_div *div,
                  uint32_t *acc, uint8_t *const *out);
} box_priv;

/* cv::blur's quotient: ColumnSum<ushort, uchar> below 257 samples (its
 * divScale/divDelta pair, which equals round(S / area) for every S), and
 * ColumnSum<int, uchar> in float above. */
static pp__box_div box_div(int ksize)
{
    pp__box_div d = {0};
    d.area = (uint32_t)(ksize * ksize);
    double scalef = (double)(1u << 23) / d.area;
    d.ds = (uint32_t)floor(scalef);
    d.dd = d.area / 2;
    if (scalef - d.ds < 0.5)
        d.dd++;
    else
        d.ds++;
    if (d.area == 1) { /* no scaling at all */
        d.dd = 0;
        d.ds = 1u << 23;
    }
    d.scale = (float)(1.0 / d.area);
    return d;
}

static size_t box_prep_bytes(const pp__stage *s)
{
    return round64(samples(s) * sizeof(uint16_t));
}

static void box_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const box_priv *p = s->priv;
    p->hrow(raw, s->in.width, s->in.channels, p->r, prepared);
}

static size_t box_scratch(const pp__stage *s, size_t rows)
{
    return ptrs_bytes(s, rows) + round64(samples(s) * sizeof(uint32_t));
}

static void box_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                    uint8_t *const *out, void *scratch)
{
    (void)y0;
    const box_priv *p = s->priv;
    const uint16_t **rows = rows_u16(in, n + 2 * (size_t)s->halo, scratch);
    uint32_t *acc = (uint32_t *)((uint8_t *)scratch + ptrs_bytes(s, n));
    p->vrows(rows, p->r, samples(s), n, &p->div, acc, out);
}

static const pp__stage_ops box_ops = {
    .name = "box-sums",
    .prep_bytes = box_prep_bytes,
    .prep = box_prep,
    .run = box_run,
    .scratch_bytes = box_scratch,
    .free_priv = free,
};

static int build_box(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl, pp_err *err)
{
    (void)d;
    int ksize = pp__pi(v, 0);
    box_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->r = ksize / 2;
    p->div = box_div(ksize);
    p->hrow = PP_KPICK(pp__box_hrow);
    p->vrows = PP_KPICK(pp__box_vrows);
    pp__stage s = neighbourhood(pl, &box_ops, p->r, p);
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* General kernel                                                      */
/* ------------------------------------------------------------------ */

typedef struct conv_priv {
    int r;
    void (*pad)(const uint8_t *src, size_t w, int c, int r, float *dst);
    void (*row)(const float *const *rows, const pp__conv_tap *taps, size_t ntaps, size_t n,
                uint8_t *dst);
    void (*row_int)(const uint8_t *const *rows, const pp__conv_tap *taps, size_t ntaps, int shift,
                    bool sign, size_t n, uint8_t *dst);
    int shift; /* integer kernels: ki = k * 2^shift */
    bool sign; /* integer kernels: some ki < 0 */
    size_t ntaps;
    pp__conv_tap taps[]; /* non-zero taps in row-major order */
} conv_priv;

static size_t conv_scratch(const pp__stage *s, size_t rows)
{
    return ptrs_bytes(s, rows);
}

/* Float kernels: prepared rows are padded float rows. */
static size_t conv_prep_bytes(const pp__stage *s)
{
    const conv_priv *p = s->priv;
    return round64((s->in.width + 2 * (size_t)p->r) * (size_t)s->in.channels * sizeof(float));
}

static void conv_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const conv_priv *p = s->priv;
    p->pad(raw, s->in.width, s->in.channels, p->r, prepared);
}

static void conv_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                     uint8_t *const *out, void *scratch)
{
    (void)y0;
    const conv_priv *p = s->priv;
    const float **rows = rows_f32(in, n + 2 * (size_t)s->halo, scratch);
    for (size_t i = 0; i < n; i++)
        p->row(rows + i, p->taps, p->ntaps, samples(s), out[i]);
}

static const pp__stage_ops conv_ops = {
    .name = "conv2d-f32",
    .prep_bytes = conv_prep_bytes,
    .prep = conv_prep,
    .run = conv_run,
    .scratch_bytes = conv_scratch,
    .free_priv = free,
};

/* Integer kernels (dyadic ones: ki / 2^shift): prepared rows are padded
 * 8-bit rows. */
static size_t conv_int_prep_bytes(const pp__stage *s)
{
    const conv_priv *p = s->priv;
    return round64((s->in.width + 2 * (size_t)p->r) * (size_t)s->in.channels);
}

static void conv_int_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const conv_priv *p = s->priv;
    pp__pad_row(raw, s->in.width, s->in.channels, p->r, PP_BORDER_REFLECT101, 0, prepared);
}

static void conv_int_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                         uint8_t *const *out, void *scratch)
{
    (void)y0;
    const conv_priv *p = s->priv;
    const uint8_t **rows = rows_u8(in, n + 2 * (size_t)s->halo, scratch);
    for (size_t i = 0; i < n; i++)
        p->row_int(rows + i, p->taps, p->ntaps, p->shift, p->sign, samples(s), out[i]);
}

static const pp__stage_ops conv_int_ops = {
    .name = "conv2d-int16",
    .prep_bytes = conv_int_prep_bytes,
    .prep = conv_int_prep,
    .run = conv_int_run,
    .scratch_bytes = conv_scratch,
    .free_priv = free,
};

/* Whether the taps are ki / 2^shift with integers ki whose sums fit 16 bits
 * (see pp__conv_row_int); fills ki, shift and sign when they are. Those
 * kernels (sharpen, emboss, binomial blurs...) take the exact and faster
 * integer path; their float sums would be exact too, so results agree. */
static bool conv_int_form(conv_priv *p)
{
    p->sign = false;
    for (size_t t = 0; t < p->ntaps; t++)
        p->sign = p->sign || p->taps[t].k < 0;
    for (int m = 0; m <= (p->sign ? 7 : 8); m++) {
        float scale = (float)(1 << m), sum = 0;
        bool whole = true;
        for (size_t t = 0; t < p->ntaps; t++) {
            float v = p->taps[t].k * scale; /* exact: a power of two */
            whole = whole && v == nearbyintf(v);
            sum += fabsf(v);
        }
        if (!whole)
            continue;
        if (sum > (p->sign ? 128 : 256))
            return false; /* a larger shift only makes the sums larger */
        for (size_t t = 0; t < p->ntaps; t++)
            p->taps[t].ki = (int16_t)(p->taps[t].k * scale);
        p->shift = m;
        return true;
    }
    return false;
}

/* The side of a square odd-sized kernel of `count` numbers, or 0. */
static int kernel_side(size_t count)
{
    for (int side = 1; (size_t)side * (size_t)side <= count; side += 2)
        if ((size_t)side * (size_t)side == count)
            return side;
    return 0;
}

/* The divisor `normalize` uses: the kernel's sum, or 1 when the sum is 0
 * (within rounding: below 1e-9 of the sum of magnitudes). */
static double kernel_divisor(const double *k, size_t count)
{
    double sum = 0, mag = 0;
    for (size_t i = 0; i < count; i++) {
        sum += k[i];
        mag += fabs(k[i]);
    }
    return fabs(sum) <= 1e-9 * mag ? 1.0 : sum;
}

static int build_convolve(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                          pp_err *err)
{
    (void)d;
    const double *k = v[0].list;
    size_t count = v[0].count;
    if (count == 0)
        return pp_err_set(err, PP_EINVAL,
                          "convolve: kernel is required, e.g. kernel=0,-1,0,-1,5,-1,0,-1,0");
    int side = kernel_side(count);
    if (side == 0)
        return pp_err_set(err, PP_EINVAL,
                          "convolve: kernel has %zu numbers; it must be square with an odd "
                          "side: 1, 9, 25, 49, ... up to 1089 (33x33)",
                          count);
    double div = pp__pb(v, 1) ? kernel_divisor(k, count) : 1.0;
    int c = pp__planner_format(pl)->channels;
    conv_priv *p = pp_malloc(sizeof *p + count * sizeof p->taps[0], err);
    if (!p)
        return PP_ENOMEM;
    p->r = side / 2;
    p->ntaps = 0;
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
            float kf = (float)(k[y * side + x] / div);
            if (kf != 0.0f)
                p->taps[p->ntaps++] = (pp__conv_tap){(uint32_t)y, (uint32_t)(x * c), kf, 0};
        }
    }
    bool integer = conv_int_form(p);
    p->pad = PP_KPICK(pp__conv_pad_row);
    p->row = PP_KPICK(pp__conv_row);
    p->row_int = PP_KPICK(pp__conv_row_int);
    pp__stage s = neighbourhood(pl, integer ? &conv_int_ops : &conv_ops, p->r, p);
    snprintf(s.label, sizeof s.label, "convolve %dx%d, %zu taps%s", side, side, p->ntaps,
             div != 1.0 ? ", normalized" : "");
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Sharpen                                                             */
/* ------------------------------------------------------------------ */

typedef struct sharpen_priv {
    void (*row)(const uint8_t *up, const uint8_t *mid, const uint8_t *down, size_t w, int c,
                uint8_t *dst);
} sharpen_priv;

static void sharpen_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                        uint8_t *const *out, void *scratch)
{
    (void)y0;
    const sharpen_priv *p = s->priv;
    const uint8_t **rows = rows_u8(in, n + 2, scratch);
    for (size_t i = 0; i < n; i++)
        p->row(rows[i], rows[i + 1], rows[i + 2], s->in.width, s->in.channels, out[i]);
}

static size_t sharpen_scratch(const pp__stage *s, size_t rows)
{
    return ptrs_bytes(s, rows);
}

static const pp__stage_ops sharpen_ops = {
    .name = "sharpen-3x3",
    .run = sharpen_run,
    .scratch_bytes = sharpen_scratch,
    .free_priv = free,
};

static int build_sharpen(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                         pp_err *err)
{
    (void)d;
    (void)v;
    sharpen_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->row = PP_KPICK(pp__sharpen_row);
    pp__stage s = neighbourhood(pl, &sharpen_ops, 1, p);
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Unsharp mask                                                        */
/* ------------------------------------------------------------------ */

/* A prepared row is the Gaussian's horizontal pass (u16) followed by the
 * raw row, which the output needs for the centre row. */
typedef struct unsharp_priv {
    gauss_priv blur;
    void (*lut2)(const uint8_t *t, const uint8_t *a, const uint8_t *b, size_t n, uint8_t *dst);
    uint8_t t[256 * 256]; /* t[src * 256 + blur] */
} unsharp_priv;

static void unsharp_table(double amount, int threshold, uint8_t *t)
{
    for (int s = 0; s < 256; s++) {
        for (int b = 0; b < 256; b++) {
            double diff = (double)(s - b), v = s;
            if (fabs(diff) > threshold)
                v = (double)s + amount * diff;
            v = nearbyint(v); /* half to even, like numpy's rint */
            t[s * 256 + b] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

static size_t unsharp_hbytes(const pp__stage *s)
{
    return round64(samples(s) * sizeof(uint16_t));
}

static size_t unsharp_prep_bytes(const pp__stage *s)
{
    return unsharp_hbytes(s) + round64(samples(s));
}

static void unsharp_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const unsharp_priv *p = s->priv;
    p->blur.hrow(raw, s->in.width, s->in.channels, &p->blur.g, prepared);
    memcpy((uint8_t *)prepared + unsharp_hbytes(s), raw, samples(s));
}

static size_t unsharp_scratch(const pp__stage *s, size_t rows)
{
    return ptrs_bytes(s, rows) + round64(samples(s));
}

static void unsharp_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                        uint8_t *const *out, void *scratch)
{
    (void)y0;
    const unsharp_priv *p = s->priv;
    int r = p->blur.g.r;
    const uint16_t **rows = rows_u16(in, n + 2 * (size_t)r, scratch);
    uint8_t *blur = (uint8_t *)scratch + ptrs_bytes(s, n);
    size_t ns = samples(s), hb = unsharp_hbytes(s);
    for (size_t i = 0; i < n; i++) {
        p->blur.vrow(rows + i, &p->blur.g, ns, blur);
        const uint8_t *src = (const uint8_t *)rows[i + (size_t)r] + hb;
        p->lut2(p->t, src, blur, ns, out[i]);
    }
}

static const pp__stage_ops unsharp_ops = {
    .name = "unsharp",
    .prep_bytes = unsharp_prep_bytes,
    .prep = unsharp_prep,
    .run = unsharp_run,
    .scratch_bytes = unsharp_scratch,
    .free_priv = free,
};

static int build_unsharp(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                         pp_err *err)
{
    (void)d;
    unsharp_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    gauss_priv_init(&p->blur, pp__pf(v, 0), 0);
    p->lut2 = PP_KPICK(pp__lut2_row);
    unsharp_table(pp__pf(v, 1), pp__pi(v, 2), p->t);
    pp__stage s = neighbourhood(pl, &unsharp_ops, p->blur.g.r, p);
    snprintf(s.label, sizeof s.label, "unsharp sigma=%g ksize=%d", pp__pf(v, 0),
             2 * p->blur.g.r + 1);
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Registry entries                                                    */
/* ------------------------------------------------------------------ */

/* clang-format off */
static const pp_param_def gaussian_params[] = {
    {.name = "sigma", .type = PP_PARAM_FLOAT, .def = 0, .min = 0, .max = 100,
     .help = "standard deviation; 0 derives it from ksize (both 0: sigma 1)"},
    {.name = "ksize", .type = PP_PARAM_INT, .def = 0, .min = 0, .max = 255, .flags = PP_PARAM_ODD,
     .help = "kernel size, odd; 0 derives it from sigma (6*sigma+1)"},
};

static const pp_param_def box_params[] = {
    {.name = "ksize", .type = PP_PARAM_INT, .def = 3, .min = 1, .max = 255, .flags = PP_PARAM_ODD,
     .help = "side of the square window, odd"},
};

static const pp_param_def convolve_params[] = {
    {.name = "kernel", .type = PP_PARAM_FLOATS, .min = -1e4, .max = 1e4,
     .help = "square odd-sized kernel, row by row: 1, 9, 25, ... 1089 numbers"},
    {.name = "normalize", .type = PP_PARAM_BOOL, .def = 0,
     .help = "divide the kernel by its sum (unless the sum is 0)"},
};

static const pp_param_def unsharp_params[] = {
    {.name = "sigma", .type = PP_PARAM_FLOAT, .def = 1, .min = 0.1, .max = 100,
     .help = "standard deviation of the Gaussian blur"},
    {.name = "amount", .type = PP_PARAM_FLOAT, .def = 1, .min = 0, .max = 10,
     .help = "strength: out = src + amount*(src - blur)"},
    {.name = "threshold", .type = PP_PARAM_INT, .def = 0, .min = 0, .max = 255,
     .help = "leave samples with |src - blur| <= threshold unchanged"},
};

#define PER_CHANNEL "per channel, border reflect101; alpha untouched"

const pp_filter_def pp__filters_convolve[] = {
    {.name = "gaussian", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "Gaussian blur (separable, fixed point, bit-exact with OpenCV)",
     .opencv = "cv::GaussianBlur(src, dst, Size(ksize, ksize), sigma) (ksize 0 and sigma 0: "
               "sigma 1)",
     .colour = PER_CHANNEL, .nparams = 2, .params = gaussian_params, .build = build_gaussian},
    {.name = "box", .kind = PP_KIND_NEIGHBOURHOOD, .help = "mean of a ksize x ksize window",
     .opencv = "cv::blur(src, dst, Size(ksize, ksize))", .colour = PER_CHANNEL, .nparams = 1,
     .params = box_params, .build = build_box},
    {.name = "convolve", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "correlation with a square kernel given row by row",
     .opencv = "cv::filter2D(src, dst, -1, kernel) (normalize: kernel / sum(kernel))",
     .colour = PER_CHANNEL, .nparams = 2, .params = convolve_params, .build = build_convolve},
    {.name = "sharpen", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "3x3 sharpening kernel 0,-1,0,-1,5,-1,0,-1,0",
     .opencv = "cv::filter2D(src, dst, -1, kernel 0,-1,0,-1,5,-1,0,-1,0)",
     .colour = PER_CHANNEL, .build = build_sharpen},
    {.name = "unsharp", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "unsharp mask: src + amount*(src - gaussian(src)) where |src - blur| > threshold",
     .opencv = NULL, .colour = PER_CHANNEL, .nparams = 3, .params = unsharp_params,
     .build = build_unsharp},
};
/* clang-format on */

const size_t pp__filters_convolve_count =
    sizeof pp__filters_convolve / sizeof pp__filters_convolve[0];
