/* Point filters: grayscale, invert, enhance, gamma, threshold.
 *
 * Everything but grayscale is a 256-entry lookup table applied to every
 * byte of a row; the executor restores alpha afterwards (alpha_passthrough),
 * so the table loop stays branch-free. Adjacent tables fuse into one at plan
 * time (lut_fuse), so `invert | enhance | gamma` is one pass.
 *
 * Exactness against OpenCV:
 *   grayscale  cvtColor RGB2GRAY on 8 bits, 15-bit weights:
 *              (R*9798 + G*19235 + B*3735 + 2^14) >> 15 (checked on all 2^24
 *              colours against OpenCV 4.6).
 *   enhance    convertScaleAbs: |fma(float(v), alpha, beta)| in float (OpenCV's
 *              SIMD path uses a fused multiply-add), then round half to even
 *              and saturate.
 *   threshold  cv::threshold on 8U: the threshold is floored, maxval rounded.
 *   Otsu threshold is a barrier in histogram.c (pp__push_otsu).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filter_impl.h"
#include "point_kern.h"

/* ------------------------------------------------------------------ */
/* Lookup-table stage                                                  */
/* ------------------------------------------------------------------ */

typedef struct lut {
    uint8_t t[256];
    void (*rows)(const uint8_t *t, const uint8_t *src, uint8_t *dst, size_t n);
    /* a lone enhance on AVX2: computed directly, the same bytes as t */
    void (*enhance)(float alpha, float beta, const uint8_t *src, uint8_t *dst, size_t n);
    float alpha, beta;
} lut;

static void lut_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                    uint8_t *const *out, void *scratch)
{
    (void)y0;
    (void)scratch;
    const lut *l = s->priv;
    size_t w = s->out.width * (size_t)s->out.channels;
    for (size_t i = 0; i < n; i++) {
        if (l->enhance)
            l->enhance(l->alpha, l->beta, in[i], out[i], w);
        else
            l->rows(l->t, in[i], out[i], w);
    }
}

static bool lut_fuse(pp__stage *a, const pp__stage *b)
{
    lut *la = a->priv;
    const lut *lb = b->priv;
    for (int i = 0; i < 256; i++)
        la->t[i] = lb->t[la->t[i]];
    la->enhance = NULL; /* a chain is a table */
    return true;
}

static const pp__stage_ops lut_ops = {
    .name = "lut",
    .run = lut_run,
    .fuse = lut_fuse,
    .free_priv = free,
};

static int push_lut(pp__planner *pl, const uint8_t table[256], pp_err *err)
{
    lut *l = pp_calloc(1, sizeof *l, err);
    if (!l)
        return PP_ENOMEM;
    memcpy(l->t, table, 256);
    l->rows = PP_KPICK(pp__lut_rows);
    pp__stage s = {0};
    s.ops = &lut_ops;
    s.out = *pp__planner_format(pl);
    s.alpha_passthrough = true;
    s.priv = l;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Grayscale                                                           */
/* ------------------------------------------------------------------ */

typedef struct gray_priv {
    void (*row)(const uint8_t *src, uint8_t *dst, size_t w, int c);
} gray_priv;

static void gray_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                     uint8_t *const *out, void *scratch)
{
    (void)y0;
    (void)scratch;
    const gray_priv *g = s->priv;
    for (size_t i = 0; i < n; i++)
        g->row(in[i], out[i], s->out.width, s->in.channels);
}

static const pp__stage_ops gray_ops = {.name = "rgb-to-gray", .run = gray_run, .free_priv = free};

int pp__push_to_gray(pp__planner *pl, pp_err *err)
{
    const pp_format *f = pp__planner_format(pl);
    if (f->channels <= 2)
        return 0;
    gray_priv *g = pp_malloc(sizeof *g, err);
    if (!g)
        return PP_ENOMEM;
    g->row = PP_KPICK(pp__rgb_to_gray_row);
    pp__stage s = {0};
    s.ops = &gray_ops;
    s.priv = g;
    s.out = *f;
    s.out.channels = f->channels == 4 ? 2 : 1;
    return pp__planner_push(pl, &s, err);
}

static int build_grayscale(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                           pp_err *err)
{
    (void)d;
    (void)v;
    return pp__push_to_gray(pl, err);
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

static int build_invert(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                        pp_err *err)
{
    (void)d;
    (void)v;
    uint8_t t[256];
    for (int i = 0; i < 256; i++)
        t[i] = (uint8_t)(255 - i);
    return push_lut(pl, t, err);
}

static uint8_t sat_round_even(float f)
{
    long r = lrintf(f); /* round half to even, like cvRound */
    return (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
}

static int build_enhance(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                         pp_err *err)
{
    (void)d;
    float alpha = (float)pp__pf(v, 0), beta = (float)pp__pf(v, 1);
    uint8_t t[256];
    for (int i = 0; i < 256; i++)
        t[i] = sat_round_even(fabsf(fmaf((float)i, alpha, beta)));
    int rc = push_lut(pl, t, err);
    if (rc == 0 && pp__simd_avx2()) { /* the portable copy is faster with the table */
        pp__stage *st = pp__planner_last(pl);
        lut *l = st->priv;
        l->enhance = PP_KPICK(pp__enhance_rows);
        l->alpha = alpha;
        l->beta = beta;
    }
    return rc;
}

static int build_gamma(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                       pp_err *err)
{
    (void)d;
    double inv = 1.0 / pp__pf(v, 0);
    uint8_t t[256];
    for (int i = 0; i < 256; i++)
        t[i] = (uint8_t)lround(255.0 * pow(i / 255.0, inv));
    return push_lut(pl, t, err);
}

enum { TH_BINARY, TH_BINARY_INV, TH_TRUNC, TH_TOZERO, TH_TOZERO_INV, TH_OTSU };

static int build_threshold(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                           pp_err *err)
{
    (void)d;
    int mode = pp__pi(v, 1);
    long maxval = lround(pp__pf(v, 2));
    if (mode == TH_OTSU) {
        int rc = pp__push_to_gray(pl, err);
        return rc < 0 ? rc : pp__push_otsu(pl, (uint8_t)maxval, err);
    }
    int th = (int)floor(pp__pf(v, 0));
    uint8_t t[256];
    for (int i = 0; i < 256; i++) {
        bool above = i > th;
        switch (mode) {
        case TH_BINARY: t[i] = above ? (uint8_t)maxval : 0; break;
        case TH_BINARY_INV: t[i] = above ? 0 : (uint8_t)maxval; break;
        case TH_TRUNC: t[i] = above ? (uint8_t)th : (uint8_t)i; break;
        case TH_TOZERO: t[i] = above ? (uint8_t)i : 0; break;
        default: t[i] = above ? 0 : (uint8_t)i; break;
        }
    }
    return push_lut(pl, t, err);
}

/* ------------------------------------------------------------------ */
/* Registry entries                                                    */
/* ------------------------------------------------------------------ */

static const pp_param_def enhance_params[] = {
    {.name = "alpha", .type = PP_PARAM_FLOAT, .def = 1.2, .min = -100, .max = 100,
     .help = "contrast gain"},
    {.name = "beta", .type = PP_PARAM_FLOAT, .def = 10, .min = -255, .max = 255,
     .help = "brightness offset"},
};

static const pp_param_def gamma_params[] = {
    {.name = "gamma", .type = PP_PARAM_FLOAT, .def = 2.2, .min = 0.01, .max = 100,
     .help = "out = 255*(in/255)^(1/gamma); above 1 brightens"},
};

static const char *const threshold_modes[] = {"binary", "binary_inv", "trunc", "tozero",
                                              "tozero_inv", "otsu", NULL};

static const pp_param_def threshold_params[] = {
    {.name = "value", .type = PP_PARAM_FLOAT, .def = 127, .min = 0, .max = 255,
     .help = "threshold (floored); ignored by otsu"},
    {.name = "mode", .type = PP_PARAM_ENUM, .def = 0, .choices = threshold_modes,
     .help = "binary: v>t ? max : 0; otsu picks t from the histogram"},
    {.name = "maxval", .type = PP_PARAM_FLOAT, .def = 255, .min = 0, .max = 255,
     .help = "value for pixels above the threshold (binary modes)"},
};

const pp_filter_def pp__filters_point[] = {
    {.name = "grayscale", .kind = PP_KIND_POINT,
     .help = "BT.601 luma with OpenCV's integer weights",
     .opencv = "cv::cvtColor(src, dst, COLOR_RGB2GRAY) (RGBA2GRAY keeps alpha)",
     .colour = "RGB becomes gray, RGBA becomes gray+alpha; gray input is unchanged",
     .build = build_grayscale},
    {.name = "invert", .kind = PP_KIND_POINT, .help = "255 - v on every colour channel",
     .opencv = "cv::bitwise_not", .colour = "per channel; alpha untouched",
     .build = build_invert},
    {.name = "enhance", .kind = PP_KIND_POINT, .help = "contrast and brightness: |v*alpha+beta|",
     .opencv = "cv::convertScaleAbs(src, dst, alpha, beta)",
     .colour = "per channel; alpha untouched", .nparams = 2, .params = enhance_params,
     .build = build_enhance},
    {.name = "gamma", .kind = PP_KIND_POINT, .help = "gamma correction through a lookup table",
     .opencv = NULL, .colour = "per channel; alpha untouched", .nparams = 1,
     .params = gamma_params, .build = build_gamma},
    {.name = "threshold", .kind = PP_KIND_POINT,
     .help = "fixed threshold, or Otsu's (a global stage)",
     .opencv = "cv::threshold(src, dst, value, maxval, THRESH_<MODE>); otsu: THRESH_BINARY|"
               "THRESH_OTSU",
     .colour = "fixed modes: per channel, alpha untouched; otsu converts colour to gray first",
     .nparams = 3, .params = threshold_params, .build = build_threshold},
};

const size_t pp__filters_point_count = sizeof pp__filters_point / sizeof pp__filters_point[0];
