/* Hot loops of the convolve family, compiled once per SIMD target (simd.h).
 *
 * Loops run along a row over interleaved samples, so the compiler vectorises
 * them for any channel count. Small radii get loops with the tap count fixed
 * at compile time (fully unrolled, one pass over the row); larger radii add
 * four taps (or symmetric pairs) per pass over blocks of BLK samples that
 * stay in L1, each pass an out-of-line function so that it remains one plain
 * loop. Pixels whose horizontal window leaves the row (at most r on each
 * side) take a scalar path with BORDER_REFLECT_101.
 *
 * Integer loops keep 16-bit intermediates wherever the bounds stated in
 * convolve_kern.h allow, so they run on 16 lanes per AVX2 register; every
 * such sum is exact. Horizontal loops read two neighbouring 8-bit samples
 * per 16-bit load (see load2).
 */
#include <string.h>

#include "convolve_kern.h"
#include "filter_impl.h"

#define INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define BLK 1024

static inline size_t reflect(ptrdiff_t x, size_t w)
{
    return (size_t)pp__border_index(x, (ptrdiff_t)w, PP_BORDER_REFLECT101);
}

/* ------------------------------------------------------------------ */
/* Two samples per 16-bit load                                         */
/* ------------------------------------------------------------------ */

/* Horizontal loops work on pairs of neighbouring samples: one 16-bit load
 * of s[i], s[i+1] splits into both bytes with a mask and a shift, so the
 * vectorised loops need no widening shuffles (the bottleneck otherwise). */
static inline uint16_t load2(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store2(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof v);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST(w) ((uint16_t)((w)&255))
#define SECOND(w) ((uint16_t)((w) >> 8))
#define PAIR(a, b) ((uint16_t)((a) | (b) << 8))
#else
#define FIRST(w) ((uint16_t)((w) >> 8))
#define SECOND(w) ((uint16_t)((w)&255))
#define PAIR(a, b) ((uint16_t)((a) << 8 | (b)))
#endif

/* ------------------------------------------------------------------ */
/* Gaussian, horizontal                                                */
/* ------------------------------------------------------------------ */

/* Samples 2j and 2j+1 for j < np, windows inside the row, r fixed; o[t] is
 * the offset of tap pair t, (r - t) * channels. */
INLINE void gauss_h_fixed(const uint8_t *restrict s, uint16_t *restrict d, size_t np,
                          const size_t *o, const uint16_t *k, int r)
{
    for (size_t j = 0; j < np; j++) {
        const uint8_t *q = s + 2 * j;
        uint16_t w = load2(q);
        uint16_t a = (uint16_t)(k[r] * FIRST(w)), b = (uint16_t)(k[r] * SECOND(w));
        for (int t = 0; t < r; t++) {
            uint16_t x = load2(q - o[t]), y = load2(q + o[t]);
            a = (uint16_t)(a + k[t] * (FIRST(x) + FIRST(y)));
            b = (uint16_t)(b + k[t] * (SECOND(x) + SECOND(y)));
        }
        d[2 * j] = a;
        d[2 * j + 1] = b;
    }
}

/* Adds np tap pairs to the sums of first (a) and second (b) samples. */
INLINE void gauss_h_pairs(uint16_t *restrict a, uint16_t *restrict b, const uint8_t *restrict s,
                          const size_t *o, const uint16_t *k, size_t len, int np)
{
    for (size_t j = 0; j < len; j++) {
        const uint8_t *q = s + 2 * j;
        uint16_t sa = a[j], sb = b[j];
        for (int t = 0; t < np; t++) {
            uint16_t x = load2(q - o[t]), y = load2(q + o[t]);
            sa = (uint16_t)(sa + k[t] * (FIRST(x) + FIRST(y)));
            sb = (uint16_t)(sb + k[t] * (SECOND(x) + SECOND(y)));
        }
        a[j] = sa;
        b[j] = sb;
    }
}

/* Four pairs, or one, per pass: out of line so that each pass stays one
 * simple vectorised loop. */
static NOINLINE void gauss_h_pairs4(uint16_t *restrict a, uint16_t *restrict b,
                                    const uint8_t *restrict s, const size_t *o, const uint16_t *k,
                                    size_t len)
{
    gauss_h_pairs(a, b, s, o, k, len, 4);
}

static NOINLINE void gauss_h_pairs1(uint16_t *restrict a, uint16_t *restrict b,
                                    const uint8_t *restrict s, const size_t *o, const uint16_t *k,
                                    size_t len)
{
    gauss_h_pairs(a, b, s, o, k, len, 1);
}

/* Any r: four tap pairs per pass over blocks that stay in L1. */
static void gauss_h_any(const uint8_t *s, uint16_t *d, size_t np, const size_t *o,
                        const uint16_t *k, int r)
{
    uint16_t a[BLK], b[BLK];
    for (size_t j0 = 0; j0 < np; j0 += BLK) {
        size_t len = np - j0 < BLK ? np - j0 : BLK;
        const uint8_t *q = s + 2 * j0;
        for (size_t j = 0; j < len; j++) {
            uint16_t w = load2(q + 2 * j);
            a[j] = (uint16_t)(k[r] * FIRST(w));
            b[j] = (uint16_t)(k[r] * SECOND(w));
        }
        int t = 0;
        for (; t + 4 <= r; t += 4)
            gauss_h_pairs4(a, b, q, o + t, k + t, len);
        for (; t < r; t++)
            gauss_h_pairs1(a, b, q, o + t, k + t, len);
        uint16_t *dd = d + 2 * j0;
        for (size_t j = 0; j < len; j++) {
            dd[2 * j] = a[j];
            dd[2 * j + 1] = b[j];
        }
    }
}

static void gauss_h_inner(const uint8_t *s, uint16_t *d, size_t np, const size_t *o,
                          const uint16_t *k, int r)
{
    switch (r) {
    case 1: gauss_h_fixed(s, d, np, o, k, 1); break;
    case 2: gauss_h_fixed(s, d, np, o, k, 2); break;
    case 3: gauss_h_fixed(s, d, np, o, k, 3); break;
    case 4: gauss_h_fixed(s, d, np, o, k, 4); break;
    default: gauss_h_any(s, d, np, o, k, r); break;
    }
}

/* Sample i of the row through the border (any position). */
static uint16_t gauss_h_sample(const uint8_t *s, size_t w, size_t c, const uint16_t *k, int r,
                               size_t i)
{
    ptrdiff_t x = (ptrdiff_t)(i / c);
    size_t ch = i % c;
    unsigned acc = 0;
    for (int t = 0; t <= 2 * r; t++)
        acc += k[t] * s[reflect(x + t - r, w) * c + ch];
    return (uint16_t)acc;
}

void PP_K(pp__gauss_hrow)(const uint8_t *src, size_t w, int c, const pp__gauss_kernel *g,
                          uint16_t *dst)
{
    size_t cs = (size_t)c, ru = (size_t)g->r;
    size_t x0 = ru < w ? ru : w;
    size_t x1 = w - x0 > x0 ? w - x0 : x0;
    size_t lo = x0 * cs, hi = x1 * cs, np = (hi - lo) / 2;
    for (size_t i = 0; i < lo; i++)
        dst[i] = gauss_h_sample(src, w, cs, g->k, g->r, i);
    if (np) {
        size_t o[PP_GAUSS_MAX_TAPS / 2];
        for (int t = 0; t < g->r; t++)
            o[t] = (size_t)(g->r - t) * cs;
        gauss_h_inner(src + lo, dst + lo, np, o, g->k, g->r);
    }
    for (size_t i = lo + 2 * np; i < w * cs; i++)
        dst[i] = gauss_h_sample(src, w, cs, g->k, g->r, i);
}

/* ------------------------------------------------------------------ */
/* Gaussian, vertical                                                  */
/* ------------------------------------------------------------------ */

/* Single 16-bit sum, r fixed. */
INLINE void gauss_v1_fixed(const uint16_t *const *rows, const pp__gauss_kernel *g, int r, size_t n,
                           uint8_t *restrict dst)
{
    const uint16_t *p[9];
    for (int t = 0; t <= 2 * r; t++)
        p[t] = rows[t];
    const uint16_t *k = g->k;
    for (size_t i = 0; i < n; i++) {
        uint16_t acc = (uint16_t)(k[r] * p[r][i]);
        for (int t = 0; t < r; t++)
            acc = (uint16_t)(acc + k[t] * (p[t][i] + p[2 * r - t][i]));
        dst[i] = (uint8_t)((uint16_t)(acc + 128) >> 8);
    }
}

/* Split sums over high and low bytes, r fixed. */
INLINE void gauss_v2_fixed(const uint16_t *const *rows, const pp__gauss_kernel *g, int r, size_t n,
                           uint8_t *restrict dst)
{
    const uint16_t *p[9];
    for (int t = 0; t <= 2 * r; t++)
        p[t] = rows[t];
    const uint16_t *k = g->k;
    for (size_t i = 0; i < n; i++) {
        uint16_t hc = p[r][i];
        uint16_t a = (uint16_t)(k[r] * (hc >> 8)), b = (uint16_t)(k[r] * (hc & 255));
        for (int t = 0; t < r; t++) {
            uint16_t h0 = p[t][i], h1 = p[2 * r - t][i];
            a = (uint16_t)(a + k[t] * ((h0 >> 8) + (h1 >> 8)));
            b = (uint16_t)(b + k[t] * ((h0 & 255) + (h1 & 255)));
        }
        dst[i] = (uint8_t)((uint16_t)(a + (b >> 8) + 128) >> 8);
    }
}

/* Adds pairs t .. t+np-1 of rows (from sample off) to the sums. */
INLINE void gauss_v1_pairs(uint16_t *restrict sum, const uint16_t *const *rows, int r, int t,
                           const uint16_t *k, size_t off, size_t len, int np)
{
    const uint16_t *a[4], *z[4];
    for (int j = 0; j < np; j++) {
        a[j] = rows[t + j] + off;
        z[j] = rows[2 * r - t - j] + off;
    }
    for (size_t i = 0; i < len; i++) {
        uint16_t acc = sum[i];
        for (int j = 0; j < np; j++)
            acc = (uint16_t)(acc + k[t + j] * (a[j][i] + z[j][i]));
        sum[i] = acc;
    }
}

INLINE void gauss_v2_pairs(uint16_t *restrict hi, uint16_t *restrict lo,
                           const uint16_t *const *rows, int r, int t, const uint16_t *k, size_t off,
                           size_t len, int np)
{
    const uint16_t *a[4], *z[4];
    for (int j = 0; j < np; j++) {
        a[j] = rows[t + j] + off;
        z[j] = rows[2 * r - t - j] + off;
    }
    for (size_t i = 0; i < len; i++) {
        uint16_t h = hi[i], l = lo[i];
        for (int j = 0; j < np; j++) {
            uint16_t x = a[j][i], y = z[j][i];
            h = (uint16_t)(h + k[t + j] * ((x >> 8) + (y >> 8)));
            l = (uint16_t)(l + k[t + j] * ((x & 255) + (y & 255)));
        }
        hi[i] = h;
        lo[i] = l;
    }
}

static NOINLINE void gauss_v1_pairs4(uint16_t *restrict sum, const uint16_t *const *rows, int r,
                                     int t, const uint16_t *k, size_t off, size_t len)
{
    gauss_v1_pairs(sum, rows, r, t, k, off, len, 4);
}

static NOINLINE void gauss_v1_pairs1(uint16_t *restrict sum, const uint16_t *const *rows, int r,
                                     int t, const uint16_t *k, size_t off, size_t len)
{
    gauss_v1_pairs(sum, rows, r, t, k, off, len, 1);
}

static NOINLINE void gauss_v2_pairs4(uint16_t *restrict hi, uint16_t *restrict lo,
                                     const uint16_t *const *rows, int r, int t, const uint16_t *k,
                                     size_t off, size_t len)
{
    gauss_v2_pairs(hi, lo, rows, r, t, k, off, len, 4);
}

static NOINLINE void gauss_v2_pairs1(uint16_t *restrict hi, uint16_t *restrict lo,
                                     const uint16_t *const *rows, int r, int t, const uint16_t *k,
                                     size_t off, size_t len)
{
    gauss_v2_pairs(hi, lo, rows, r, t, k, off, len, 1);
}

/* Any r: four pairs per pass over blocks, in either mode. */
static void gauss_v_any(const uint16_t *const *rows, const pp__gauss_kernel *g, size_t n,
                        uint8_t *dst)
{
    uint16_t hi[BLK], lo[BLK];
    const uint16_t *k = g->k;
    int r = g->r;
    for (size_t b = 0; b < n; b += BLK) {
        size_t len = n - b < BLK ? n - b : BLK;
        const uint16_t *mid = rows[r] + b;
        int t = 0;
        if (g->single) {
            for (size_t i = 0; i < len; i++)
                hi[i] = (uint16_t)(k[r] * mid[i]);
            for (; t + 4 <= r; t += 4)
                gauss_v1_pairs4(hi, rows, r, t, k, b, len);
            for (; t < r; t++)
                gauss_v1_pairs1(hi, rows, r, t, k, b, len);
            for (size_t i = 0; i < len; i++)
                dst[b + i] = (uint8_t)((uint16_t)(hi[i] + 128) >> 8);
        } else {
            for (size_t i = 0; i < len; i++) {
                hi[i] = (uint16_t)(k[r] * (mid[i] >> 8));
                lo[i] = (uint16_t)(k[r] * (mid[i] & 255));
            }
            for (; t + 4 <= r; t += 4)
                gauss_v2_pairs4(hi, lo, rows, r, t, k, b, len);
            for (; t < r; t++)
                gauss_v2_pairs1(hi, lo, rows, r, t, k, b, len);
            for (size_t i = 0; i < len; i++)
                dst[b + i] = (uint8_t)((uint16_t)(hi[i] + (lo[i] >> 8) + 128) >> 8);
        }
    }
}

void PP_K(pp__gauss_vrow)(const uint16_t *const *rows, const pp__gauss_kernel *g, size_t n,
                          uint8_t *dst)
{
    if (g->single) {
        switch (g->r) {
        case 0: gauss_v1_fixed(rows, g, 0, n, dst); return;
        case 1: gauss_v1_fixed(rows, g, 1, n, dst); return;
        case 2: gauss_v1_fixed(rows, g, 2, n, dst); return;
        default: break;
        }
    } else {
        switch (g->r) {
        case 0: gauss_v2_fixed(rows, g, 0, n, dst); return;
        case 1: gauss_v2_fixed(rows, g, 1, n, dst); return;
        case 2: gauss_v2_fixed(rows, g, 2, n, dst); return;
        case 3: gauss_v2_fixed(rows, g, 3, n, dst); return;
        case 4: gauss_v2_fixed(rows, g, 4, n, dst); return;
        default: break;
        }
    }
    gauss_v_any(rows, g, n, dst);
}

/* ------------------------------------------------------------------ */
/* Box                                                                 */
/* ------------------------------------------------------------------ */

/* Samples 2j and 2j+1 for j < np, windows inside the row, r fixed. */
INLINE void box_h_fixed(const uint8_t *restrict s, uint16_t *restrict d, size_t np, size_t c, int r)
{
    for (size_t j = 0; j < np; j++) {
        const uint8_t *q = s + 2 * j;
        uint16_t w = load2(q);
        uint16_t a = FIRST(w), b = SECOND(w);
        for (int t = 1; t <= r; t++) {
            uint16_t x = load2(q - (size_t)t * c), y = load2(q + (size_t)t * c);
            a = (uint16_t)(a + FIRST(x) + FIRST(y));
            b = (uint16_t)(b + SECOND(x) + SECOND(y));
        }
        d[2 * j] = a;
        d[2 * j + 1] = b;
    }
}

/* Sum of 2r+1 samples around i from the previous sum: one in, one out. */
static uint16_t box_h_slide(const uint8_t *s, size_t w, size_t c, int r, size_t i, uint16_t prev)
{
    ptrdiff_t x = (ptrdiff_t)(i / c);
    size_t ch = i % c;
    return (uint16_t)(prev + s[reflect(x + r, w) * c + ch] - s[reflect(x - r - 1, w) * c + ch]);
}

/* Sample i of the row through the border (any position). */
static uint16_t box_h_sample(const uint8_t *s, size_t w, size_t c, int r, size_t i)
{
    ptrdiff_t x = (ptrdiff_t)(i / c);
    size_t ch = i % c;
    unsigned acc = 0;
    for (int t = -r; t <= r; t++)
        acc += s[reflect(x + t, w) * c + ch];
    return (uint16_t)acc;
}

/* Pixels [x0, x1) whose windows lie inside the row, from the sums of pixel
 * x0 - 1: each channel's running sum stays in a register (c fixed). */
INLINE void box_h_run_inner(const uint8_t *restrict s, uint16_t *restrict d, size_t x0, size_t x1,
                            size_t rc, int c)
{
    uint16_t acc[4];
    for (int ch = 0; ch < c; ch++)
        acc[ch] = d[(x0 - 1) * (size_t)c + (size_t)ch];
    for (size_t x = x0; x < x1; x++) {
        for (int ch = 0; ch < c; ch++) {
            size_t i = x * (size_t)c + (size_t)ch;
            acc[ch] = (uint16_t)(acc[ch] + (s[i + rc] - s[i - rc - (size_t)c]));
            d[i] = acc[ch];
        }
    }
}

/* Large r: running sums, two samples per output whatever r. */
static void box_h_running(const uint8_t *s, size_t w, size_t c, int r, uint16_t *d)
{
    size_t ru = (size_t)r, n = w * c, rc = ru * c;
    size_t xlo = ru + 1 < w ? ru + 1 : w;
    size_t xhi = w > ru + xlo ? w - ru : xlo;
    for (size_t i = 0; i < c; i++)
        d[i] = box_h_sample(s, w, c, r, i);
    for (size_t i = c; i < xlo * c; i++)
        d[i] = box_h_slide(s, w, c, r, i, d[i - c]);
    switch (c) {
    case 1: box_h_run_inner(s, d, xlo, xhi, rc, 1); break;
    case 2: box_h_run_inner(s, d, xlo, xhi, rc, 2); break;
    case 3: box_h_run_inner(s, d, xlo, xhi, rc, 3); break;
    default: box_h_run_inner(s, d, xlo, xhi, rc, 4); break;
    }
    for (size_t i = xhi * c; i < n; i++)
        d[i] = box_h_slide(s, w, c, r, i, d[i - c]);
}

void PP_K(pp__box_hrow)(const uint8_t *src, size_t w, int c, int r, uint16_t *dst)
{
    size_t cs = (size_t)c, ru = (size_t)r;
    if (r > 3) {
        box_h_running(src, w, cs, r, dst);
        return;
    }
    size_t x0 = ru < w ? ru : w;
    size_t x1 = w - x0 > x0 ? w - x0 : x0;
    size_t lo = x0 * cs, hi = x1 * cs, np = (hi - lo) / 2;
    for (size_t i = 0; i < lo; i++)
        dst[i] = box_h_sample(src, w, cs, r, i);
    switch (r) {
    case 0: box_h_fixed(src + lo, dst + lo, np, cs, 0); break;
    case 1: box_h_fixed(src + lo, dst + lo, np, cs, 1); break;
    case 2: box_h_fixed(src + lo, dst + lo, np, cs, 2); break;
    default: box_h_fixed(src + lo, dst + lo, np, cs, 3); break;
    }
    for (size_t i = lo + 2 * np; i < w * cs; i++)
        dst[i] = box_h_sample(src, w, cs, r, i);
}

INLINE uint8_t box_q_int(uint32_t a, uint32_t dd, uint32_t ds)
{
    return (uint8_t)(((a + dd) * ds) >> 23);
}

INLINE uint8_t box_q_float(uint32_t a, float scale)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds half to even */
    float f = (float)(int32_t)a * scale;
    return (uint8_t)(int32_t)((f + magic) - magic);
}

/* One output row from the column sums. */
static void box_v_emit(const uint32_t *restrict acc, size_t n, const pp__box_div *div,
                       uint8_t *restrict dst)
{
    if (div->area <= 256) {
        for (size_t i = 0; i < n; i++)
            dst[i] = box_q_int(acc[i], div->dd, div->ds);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = box_q_float(acc[i], div->scale);
    }
}

/* acc += add - sub, and the output row of the new sums, in one pass. */
static void box_v_step(uint32_t *restrict acc, const uint16_t *add, const uint16_t *sub, size_t n,
                       const pp__box_div *div, uint8_t *restrict dst)
{
    if (div->area <= 256) {
        uint32_t dd = div->dd, ds = div->ds;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = acc[i] + add[i] - sub[i];
            acc[i] = a;
            dst[i] = box_q_int(a, dd, ds);
        }
    } else {
        float scale = div->scale;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = acc[i] + add[i] - sub[i];
            acc[i] = a;
            dst[i] = box_q_float(a, scale);
        }
    }
}

/* acc[i] += the sum of four rows: four rows per pass over acc, so the first
 * sums of a strip cost a quarter of the passes (what dominates large ksize). */
static NOINLINE void box_v_add4(uint32_t *restrict acc, const uint16_t *const *p, size_t n)
{
    const uint16_t *a = p[0], *b = p[1], *c = p[2], *d = p[3];
    for (size_t i = 0; i < n; i++)
        acc[i] += (uint32_t)a[i] + b[i] + c[i] + d[i];
}

void PP_K(pp__box_vrows)(const uint16_t *const *rows, int r, size_t n, size_t m,
                         const pp__box_div *div, uint32_t *acc, uint8_t *const *out)
{
    size_t k = 2 * (size_t)r + 1, t = 1;
    const uint16_t *first = rows[0];
    for (size_t i = 0; i < n; i++)
        acc[i] = first[i];
    for (; t + 4 <= k; t += 4)
        box_v_add4(acc, rows + t, n);
    for (; t < k; t++) {
        const uint16_t *p = rows[t];
        for (size_t i = 0; i < n; i++)
            acc[i] += p[i];
    }
    box_v_emit(acc, n, div, out[0]);
    for (size_t y = 1; y < m; y++)
        box_v_step(acc, rows[y + k - 1], rows[y - 1], n, div, out[y]);
}

/* ------------------------------------------------------------------ */
/* General 2D correlation                                              */
/* ------------------------------------------------------------------ */

void PP_K(pp__conv_pad_row)(const uint8_t *src, size_t w, int c, int r, float *dst)
{
    size_t cs = (size_t)c, ru = (size_t)r, n = w * cs;
    float *mid = dst + ru * cs;
    for (size_t i = 0; i < n; i++)
        mid[i] = (float)src[i];
    for (size_t t = 1; t <= ru; t++) {
        size_t lft = reflect(-(ptrdiff_t)t, w), rgt = reflect((ptrdiff_t)(w - 1 + t), w);
        for (size_t ch = 0; ch < cs; ch++) {
            mid[-(ptrdiff_t)(t * cs) + (ptrdiff_t)ch] = (float)src[lft * cs + ch];
            mid[n + (t - 1) * cs + ch] = (float)src[rgt * cs + ch];
        }
    }
}

/* acc[i] += sum over taps j < nt of k[j] * p[j][i], in tap order. */
INLINE void conv_taps(float *restrict acc, const float *const *p, const float *k, size_t len,
                      int nt)
{
    for (size_t i = 0; i < len; i++) {
        float a = acc[i];
        for (int j = 0; j < nt; j++)
            a += k[j] * p[j][i];
        acc[i] = a;
    }
}

static NOINLINE void conv_taps4(float *restrict acc, const float *const *p, const float *k,
                                size_t len)
{
    conv_taps(acc, p, k, len, 4);
}

static NOINLINE void conv_taps1(float *restrict acc, const float *const *p, const float *k,
                                size_t len)
{
    conv_taps(acc, p, k, len, 1);
}

/* dst[i] = saturate(round_half_even(acc[i])). The clamp works on the bit
 * patterns (a non-negative float orders like its bits), which keeps the loop
 * free of float compares so that it vectorises; then the magic constant
 * 1.5 * 2^23 rounds half to even like cvRound. */
static void conv_store(const float *restrict acc, size_t len, uint8_t *restrict dst)
{
    const float magic = 12582912.0f;
    const uint32_t top = 0x437F0000u; /* 255.0f */
    for (size_t i = 0; i < len; i++) {
        uint32_t u;
        memcpy(&u, &acc[i], sizeof u);
        u = u >> 31 ? 0 : u;   /* negative (or -0): 0 */
        u = u > top ? top : u; /* above 255: 255 */
        float v;
        memcpy(&v, &u, sizeof v);
        dst[i] = (uint8_t)(int32_t)((v + magic) - magic);
    }
}

void PP_K(pp__conv_row)(const float *const *rows, const pp__conv_tap *taps, size_t ntaps, size_t n,
                        uint8_t *dst)
{
    float acc[BLK];
    for (size_t b = 0; b < n; b += BLK) {
        size_t len = n - b < BLK ? n - b : BLK;
        for (size_t i = 0; i < len; i++)
            acc[i] = 0.0f;
        for (size_t t = 0; t < ntaps;) {
            const float *p[4];
            float k[4];
            int nt = ntaps - t >= 4 ? 4 : 1;
            for (int j = 0; j < nt; j++) {
                p[j] = rows[taps[t + (size_t)j].row] + taps[t + (size_t)j].off + b;
                k[j] = taps[t + (size_t)j].k;
            }
            if (nt == 4)
                conv_taps4(acc, p, k, len);
            else
                conv_taps1(acc, p, k, len);
            t += (size_t)nt;
        }
        conv_store(acc, len, dst + b);
    }
}

/* Integer kernels: pairs of samples per 16-bit load, sums modulo 2^16
 * (exact, since the true sums fit 16 bits signed or unsigned). */
INLINE void conv_itaps(uint16_t *restrict a, uint16_t *restrict b, const uint8_t *const *p,
                       const uint16_t *k, size_t len, int nt)
{
    for (size_t j = 0; j < len; j++) {
        uint16_t sa = a[j], sb = b[j];
        for (int t = 0; t < nt; t++) {
            uint16_t w = load2(p[t] + 2 * j);
            sa = (uint16_t)(sa + k[t] * FIRST(w));
            sb = (uint16_t)(sb + k[t] * SECOND(w));
        }
        a[j] = sa;
        b[j] = sb;
    }
}

static NOINLINE void conv_itaps4(uint16_t *restrict a, uint16_t *restrict b,
                                 const uint8_t *const *p, const uint16_t *k, size_t len)
{
    conv_itaps(a, b, p, k, len, 4);
}

static NOINLINE void conv_itaps1(uint16_t *restrict a, uint16_t *restrict b,
                                 const uint8_t *const *p, const uint16_t *k, size_t len)
{
    conv_itaps(a, b, p, k, len, 1);
}

/* S / 2^shift rounded half to even and saturated, for signed sums:
 * (S + 2^(shift-1) - 1 + (S >> shift & 1)) >> shift (odd is 0 and bias 0
 * for shift 0). Masking the shift (at most 7 here) tells the compiler it
 * stays small, so the loop keeps 16-bit lanes. */
static inline uint16_t conv_iround_signed(uint16_t acc, int m, int16_t bias, int16_t odd)
{
    int16_t s = (int16_t)acc;
    int16_t q = (int16_t)((int16_t)(s + bias + ((s >> m) & odd)) >> m);
    q = q < 0 ? 0 : q;
    q = q > 255 ? 255 : q;
    return (uint16_t)q;
}

static NOINLINE void conv_ifinish_signed(const uint16_t *restrict a, const uint16_t *restrict b,
                                         size_t len, int shift, uint8_t *restrict dst)
{
    const int m = shift & 7;
    const int16_t bias = (int16_t)(m ? (1 << (m - 1)) - 1 : 0), odd = (int16_t)(m ? 1 : 0);
    for (size_t j = 0; j < len; j++)
        store2(dst + 2 * j, PAIR(conv_iround_signed(a[j], m, bias, odd),
                                 conv_iround_signed(b[j], m, bias, odd)));
}

static NOINLINE void conv_ifinish_unsigned(const uint16_t *restrict a, const uint16_t *restrict b,
                                           size_t len, int shift, uint8_t *restrict dst)
{
    const int m = shift & 15;
    const uint16_t bias = (uint16_t)(m ? (1u << (m - 1)) - 1 : 0), odd = (uint16_t)(m ? 1 : 0);
    for (size_t j = 0; j < len; j++) {
        uint16_t qa = (uint16_t)((uint16_t)(a[j] + bias + ((a[j] >> m) & odd)) >> m);
        uint16_t qb = (uint16_t)((uint16_t)(b[j] + bias + ((b[j] >> m) & odd)) >> m);
        qa = qa > 255 ? 255 : qa;
        qb = qb > 255 ? 255 : qb;
        store2(dst + 2 * j, PAIR(qa, qb));
    }
}

void PP_K(pp__conv_row_int)(const uint8_t *const *rows, const pp__conv_tap *taps, size_t ntaps,
                            int shift, bool sign, size_t n, uint8_t *dst)
{
    uint16_t a[BLK], b[BLK];
    size_t np = (n + 1) / 2; /* an odd last sample is computed with a zero partner */
    for (size_t j0 = 0; j0 < np; j0 += BLK) {
        size_t len = np - j0 < BLK ? np - j0 : BLK;
        bool tail = 2 * (j0 + len) > n;
        size_t full = tail ? len - 1 : len;
        for (size_t j = 0; j < len; j++)
            a[j] = b[j] = 0;
        for (size_t t = 0; t < ntaps;) {
            const uint8_t *p[4];
            uint16_t k[4];
            int nt = ntaps - t >= 4 ? 4 : 1;
            for (int j = 0; j < nt; j++) {
                p[j] = rows[taps[t + (size_t)j].row] + taps[t + (size_t)j].off + 2 * j0;
                k[j] = (uint16_t)taps[t + (size_t)j].ki;
            }
            if (nt == 4)
                conv_itaps4(a, b, p, k, full);
            else
                conv_itaps1(a, b, p, k, full);
            for (int j = 0; tail && j < nt; j++)
                a[full] = (uint16_t)(a[full] + k[j] * p[j][2 * full]);
            t += (size_t)nt;
        }
        uint8_t pair[2], *o = dst + 2 * j0;
        if (sign)
            conv_ifinish_signed(a, b, full, shift, o);
        else
            conv_ifinish_unsigned(a, b, full, shift, o);
        if (tail) {
            if (sign)
                conv_ifinish_signed(a + full, b + full, 1, shift, pair);
            else
                conv_ifinish_unsigned(a + full, b + full, 1, shift, pair);
            o[2 * full] = pair[0];
        }
    }
}

/* ------------------------------------------------------------------ */
/* Sharpen                                                             */
/* ------------------------------------------------------------------ */

static inline uint8_t sat_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void sharpen_edge(const uint8_t *u, const uint8_t *m, const uint8_t *d, size_t w, size_t c,
                         size_t x, uint8_t *dst)
{
    size_t l = reflect((ptrdiff_t)x - 1, w) * c, r = reflect((ptrdiff_t)x + 1, w) * c;
    for (size_t ch = 0; ch < c; ch++) {
        size_t i = x * c + ch;
        dst[i] = sat_u8(5 * m[i] - m[l + ch] - m[r + ch] - u[i] - d[i]);
    }
}

/* 5*m - (l + r + u + d), clamped: -1020..1275 fits 16 bits, so the loop
 * runs on 16-bit lanes. */
static inline uint16_t sharpen1(uint16_t m, uint16_t l, uint16_t r, uint16_t u, uint16_t d)
{
    int16_t v = (int16_t)(5 * m - (l + r + u + d));
    v = v < 0 ? 0 : v;
    v = v > 255 ? 255 : v;
    return (uint16_t)v;
}

void PP_K(pp__sharpen_row)(const uint8_t *up, const uint8_t *mid, const uint8_t *down, size_t w,
                           int c, uint8_t *dst)
{
    size_t cs = (size_t)c;
    sharpen_edge(up, mid, down, w, cs, 0, dst);
    if (w < 2)
        return;
    size_t lo = cs, hi = (w - 1) * cs, np = (hi - lo) / 2;
    const uint8_t *restrict u = up + lo, *restrict m = mid + lo, *restrict d = down + lo;
    uint8_t *restrict o = dst + lo;
    for (size_t j = 0; j < np; j++) {
        size_t i = 2 * j;
        uint16_t wm = load2(m + i), wl = load2(m + i - cs), wr = load2(m + i + cs);
        uint16_t wu = load2(u + i), wd = load2(d + i);
        uint16_t a = sharpen1(FIRST(wm), FIRST(wl), FIRST(wr), FIRST(wu), FIRST(wd));
        uint16_t b = sharpen1(SECOND(wm), SECOND(wl), SECOND(wr), SECOND(wu), SECOND(wd));
        store2(o + i, PAIR(a, b));
    }
    if ((hi - lo) % 2) {
        size_t i = hi - 1;
        dst[i] = (uint8_t)sharpen1(mid[i], mid[i - cs], mid[i + cs], up[i], down[i]);
    }
    sharpen_edge(up, mid, down, w, cs, w - 1, dst);
}

/* ------------------------------------------------------------------ */
/* Two-input table                                                     */
/* ------------------------------------------------------------------ */

void PP_K(pp__lut2_row)(const uint8_t *t, const uint8_t *a, const uint8_t *b, size_t n,
                        uint8_t *dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = t[(size_t)a[i] << 8 | b[i]];
}
