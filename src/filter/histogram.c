/* Histogram filters: equalize and Otsu's threshold. Both are barriers: the
 * histogram needs every row before the first output row can be written, so
 * the accumulator keeps the stage's input (one byte per sample) and a
 * 256-bin histogram; acc_end turns the histogram into a lookup table and emit
 * serves rows from any thread.
 *
 * equalize matches cv::equalizeHist exactly: float scale 255/(total - h[min]),
 * lut[j] = round-half-even(float(cumsum) * scale); a one-value image is left
 * as it is. Colour images are equalized on luma: RGB -> YCrCb with OpenCV's
 * 14-bit integer coefficients, Y through the table, then back to RGB, like
 * cvtColor(RGB2YCrCb) -> equalizeHist(Y) -> cvtColor(YCrCb2RGB). Alpha is
 * carried through.
 *
 * otsu matches THRESH_BINARY|THRESH_OTSU: OpenCV's double-precision scan with
 * its FLT_EPSILON guards and strict '>' tie-breaking.
 *
 * Output row y reads input row y only, so an accumulator can hold any block
 * of rows; on MPI each rank keeps its own block and the histogram is summed
 * over the ranks (acc_counts) before acc_end.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filter_impl.h"

typedef struct hist_acc {
    uint64_t hist[256];
    uint8_t *pixels; /* the region's input rows from y0, width x channels each */
    size_t row_bytes;
    size_t y0;
    uint8_t lut[256];
} hist_acc;

/* BT.601 integer YCrCb as cvtColor does it for 8-bit RGB. */
static inline int descale14(int x)
{
    return (x + (1 << 13)) >> 14;
}
static inline uint8_t sat8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}
static inline int luma14(int r, int g, int b)
{
    return descale14(r * 4899 + g * 9617 + b * 1868);
}

/* Whole rows only: emit writes whole rows. */
static void *hist_acc_new(const pp__stage *s, const pp__rect *r, pp_err *err)
{
    hist_acc *a = pp_calloc(1, sizeof *a, err);
    if (!a)
        return NULL;
    a->row_bytes = s->in.width * (size_t)s->in.channels;
    a->y0 = r->y0;
    size_t bytes;
    if (!pp_mul_size(a->row_bytes, r->y1 > r->y0 ? r->y1 - r->y0 : 1, &bytes)) {
        pp_err_set(err, PP_EOVERFLOW, "equalize: image size overflows");
        free(a);
        return NULL;
    }
    a->pixels = pp_malloc_aligned(bytes, err);
    if (!a->pixels) {
        free(a);
        return NULL;
    }
    return a;
}

static uint64_t *hist_acc_counts(void *acc, size_t *n)
{
    *n = 256;
    return ((hist_acc *)acc)->hist;
}

static void hist_acc_free(void *p)
{
    hist_acc *a = p;
    if (!a)
        return;
    free(a->pixels);
    free(a);
}

static size_t hist_acc_bytes(const pp__stage *s)
{
    return sizeof(hist_acc) + s->in.width * (size_t)s->in.channels * s->in.height;
}

/* Stores rows and counts the luma (colour) or gray value of each pixel. */
static int hist_acc_rows(const pp__stage *s, void *acc, size_t y0, size_t n,
                         const uint8_t *const *rows, pp_err *err)
{
    (void)err;
    hist_acc *a = acc;
    int c = s->in.channels;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = rows[i];
        memcpy(a->pixels + (y0 + i - a->y0) * a->row_bytes, r, a->row_bytes);
        if (c <= 2) {
            for (size_t x = 0; x < s->in.width; x++)
                a->hist[r[x * (size_t)c]]++;
        } else {
            for (size_t x = 0; x < s->in.width; x++, r += c)
                a->hist[luma14(r[0], r[1], r[2])]++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Equalize                                                            */
/* ------------------------------------------------------------------ */

static int equalize_end(const pp__stage *s, void *acc, pp_err *err)
{
    (void)s;
    (void)err;
    hist_acc *a = acc;
    int i = 0;
    while (i < 255 && a->hist[i] == 0)
        i++;
    uint64_t total = 0;
    for (int j = 0; j < 256; j++)
        total += a->hist[j];
    if (a->hist[i] == total) { /* one luma value: it stays, colour still round-trips */
        for (int j = 0; j < 256; j++)
            a->lut[j] = (uint8_t)j;
        return 0;
    }
    float scale = 255.0f / (float)(total - a->hist[i]);
    uint64_t sum = 0;
    memset(a->lut, 0, sizeof a->lut);
    for (int j = i + 1; j < 256; j++) {
        sum += a->hist[j];
        long v = lrintf((float)sum * scale);
        a->lut[j] = sat8((int)v);
    }
    return 0;
}

static void equalize_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                          uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const hist_acc *a = acc;
    int c = s->in.channels;
    size_t w = s->in.width;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *src = a->pixels + (y0 + i - a->y0) * a->row_bytes;
        uint8_t *dst = out[i];
        if (c <= 2) {
            for (size_t x = 0; x < w; x++) {
                dst[x * c] = a->lut[src[x * c]];
                if (c == 2)
                    dst[x * 2 + 1] = src[x * 2 + 1];
            }
        } else {
            for (size_t x = 0; x < w; x++, src += c, dst += c) {
                int r = src[0], g = src[1], b = src[2];
                int y = luma14(r, g, b);
                int cr = sat8(descale14((r - y) * 11682 + (128 << 14)));
                int cb = sat8(descale14((b - y) * 9241 + (128 << 14)));
                int ye = a->lut[y];
                dst[0] = sat8(ye + descale14((cr - 128) * 22987));
                dst[1] = sat8(ye + descale14((cb - 128) * -5636 + (cr - 128) * -11698));
                dst[2] = sat8(ye + descale14((cb - 128) * 29049));
                if (c == 4)
                    dst[3] = src[3];
            }
        }
    }
}

static const pp__stage_ops equalize_ops = {
    .name = "equalize",
    .acc_new = hist_acc_new,
    .acc_rows = hist_acc_rows,
    .acc_end = equalize_end,
    .emit = equalize_emit,
    .acc_bytes = hist_acc_bytes,
    .acc_free = hist_acc_free,
    .acc_counts = hist_acc_counts,
};

static int build_equalize(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                          pp_err *err)
{
    (void)d;
    (void)v;
    pp__stage s = {0};
    s.ops = &equalize_ops;
    s.out = *pp__planner_format(pl);
    s.barrier = true;
    return pp__planner_push(pl, &s, err);
}

/* ------------------------------------------------------------------ */
/* Otsu                                                                */
/* ------------------------------------------------------------------ */

typedef struct otsu_priv {
    uint8_t maxval;
} otsu_priv;

/* OpenCV's getThreshVal_Otsu scan, operation for operation. */
static int otsu_threshold(const uint64_t *h)
{
    uint64_t total = 0;
    for (int i = 0; i < 256; i++)
        total += h[i];
    double mu = 0, scale = 1.0 / (double)total;
    for (int i = 0; i < 256; i++)
        mu += i * (double)h[i];
    mu *= scale;
    double mu1 = 0, q1 = 0, max_sigma = 0;
    int max_val = 0;
    for (int i = 0; i < 256; i++) {
        double p_i = (double)h[i] * scale;
        mu1 *= q1;
        q1 += p_i;
        double q2 = 1. - q1;
        if (fmin(q1, q2) < FLT_EPSILON || fmax(q1, q2) > 1. - FLT_EPSILON)
            continue;
        mu1 = (mu1 + i * p_i) / q1;
        double mu2 = (mu - q1 * mu1) / q2;
        double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
        if (sigma > max_sigma) {
            max_sigma = sigma;
            max_val = i;
        }
    }
    return max_val;
}

static int otsu_end(const pp__stage *s, void *acc, pp_err *err)
{
    (void)err;
    hist_acc *a = acc;
    int t = otsu_threshold(a->hist);
    uint8_t maxval = ((const otsu_priv *)s->priv)->maxval;
    for (int i = 0; i < 256; i++)
        a->lut[i] = i > t ? maxval : 0;
    return 0;
}

static void otsu_emit(const pp__stage *s, const void *acc, size_t y0, size_t n,
                      uint8_t *const *out, void *scratch)
{
    (void)scratch;
    const hist_acc *a = acc;
    int c = s->in.channels; /* 1 or 2: colour was converted to gray first */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *src = a->pixels + (y0 + i - a->y0) * a->row_bytes;
        uint8_t *dst = out[i];
        for (size_t x = 0; x < s->in.width; x++) {
            dst[x * c] = a->lut[src[x * c]];
            if (c == 2)
                dst[x * 2 + 1] = src[x * 2 + 1];
        }
    }
}

static const pp__stage_ops otsu_ops = {
    .name = "otsu",
    .acc_new = hist_acc_new,
    .acc_rows = hist_acc_rows,
    .acc_end = otsu_end,
    .emit = otsu_emit,
    .acc_bytes = hist_acc_bytes,
    .acc_free = hist_acc_free,
    .acc_counts = hist_acc_counts,
    .free_priv = free,
};

int pp__push_otsu(pp__planner *pl, uint8_t maxval, pp_err *err)
{
    otsu_priv *p = pp_malloc(sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->maxval = maxval;
    pp__stage s = {0};
    s.ops = &otsu_ops;
    s.out = *pp__planner_format(pl);
    s.barrier = true;
    s.priv = p;
    return pp__planner_push(pl, &s, err);
}

const pp_filter_def pp__filters_histogram[] = {
    {.name = "equalize", .kind = PP_KIND_GLOBAL, .help = "histogram equalization",
     .opencv = "cv::equalizeHist (gray); colour: equalizeHist on Y of COLOR_RGB2YCrCb, then "
               "COLOR_YCrCb2RGB",
     .colour = "colour is equalized on luma (YCrCb), hue kept; alpha untouched",
     .build = build_equalize},
};

const size_t pp__filters_histogram_count =
    sizeof pp__filters_histogram / sizeof pp__filters_histogram[0];
