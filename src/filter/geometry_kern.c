/* Hot loops of the geometry family, compiled once per SIMD target (simd.h).
 *
 * Loops that depend on the channel count are written once as inline helpers
 * taking the count as an argument, and called with constants, so each
 * channel count gets its own fully unrolled loop. Float code rounds with the
 * 1.5*2^23 trick (round half to even, exact for |v| < 2^22) instead of
 * lrintf, so it vectorises on every target.
 *
 * Two loops the compiler cannot vectorise have explicit AVX2 code in the
 * AVX2 copy: the bilinear warp (eight pixels per step, taps loaded by
 * address) and the 2x2 mean of RGB pixels (byte shuffles). Both are the same
 * integer arithmetic as the portable loops, so the copies agree bit for bit.
 */
#include <string.h>

#include "geometry_kern.h"

#if PP_SIMD_AVX2
#include <immintrin.h>
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE uint8_t sat_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Round half to even, like cvRound on x86. */
static ALWAYS_INLINE int round_even(float v)
{
    return (int)((v + 12582912.0f) - 12582912.0f);
}

/* ------------------------------------------------------------------ */
/* Moving whole pixels                                                 */
/* ------------------------------------------------------------------ */

static ALWAYS_INLINE void reverse_c(const uint8_t *src, uint8_t *dst, size_t w, const int c)
{
    for (size_t x = 0; x < w; x++)
        for (int k = 0; k < c; k++)
            dst[x * c + k] = src[(w - 1 - x) * c + k];
}

void PP_K(pp__geo_reverse_row)(const uint8_t *src, uint8_t *dst, size_t w, int c)
{
    switch (c) {
    case 1: reverse_c(src, dst, w, 1); break;
    case 2: reverse_c(src, dst, w, 2); break;
    case 3: reverse_c(src, dst, w, 3); break;
    default: reverse_c(src, dst, w, 4); break;
    }
}

/* Tiles of 16 input rows by the m output rows: each input row gives m
 * adjacent pixels, one to each output row. Three-byte pixels are copied as
 * four bytes (the extra byte is rewritten by the next pixel; the last pixel of
 * an output row is copied exactly), so the source needs one byte of slack. */
static ALWAYS_INLINE void columns_c(const uint8_t *base, ptrdiff_t row_step, ptrdiff_t px_step,
                                    size_t n, const int c, uint8_t *const *out, size_t m)
{
    const size_t wide = c == 3 ? 4 : (size_t)c;
    size_t j = 0;
    for (; j + 16 < n; j += 16) {
        const uint8_t *r[16];
        for (int t = 0; t < 16; t++)
            r[t] = base + (ptrdiff_t)(j + t) * row_step;
        for (size_t i = 0; i < m; i++) {
            uint8_t *o = out[i] + j * c;
            ptrdiff_t off = (ptrdiff_t)i * px_step;
            for (int t = 0; t < 16; t++)
                memcpy(o + t * c, r[t] + off, wide);
        }
    }
    for (; j < n; j++) {
        const uint8_t *row = base + (ptrdiff_t)j * row_step;
        for (size_t i = 0; i < m; i++)
            memcpy(out[i] + j * c, row + (ptrdiff_t)i * px_step, (size_t)c);
    }
}

void PP_K(pp__geo_columns)(const uint8_t *base, ptrdiff_t row_step, ptrdiff_t px_step, size_t n,
                           int c, uint8_t *const *out, size_t m)
{
    switch (c) {
    case 1: columns_c(base, row_step, px_step, n, 1, out, m); break;
    case 2: columns_c(base, row_step, px_step, n, 2, out, m); break;
    case 3: columns_c(base, row_step, px_step, n, 3, out, m); break;
    default: columns_c(base, row_step, px_step, n, 4, out, m); break;
    }
}

/* ------------------------------------------------------------------ */
/* Bilinear warp                                                       */
/* ------------------------------------------------------------------ */

/* A source position is X, Y in 1/32 px: integer part s, fraction f. The
 * weights are (32-fx)(32-fy), fx(32-fy), (32-fx)fy, fx*fy (sum 1024): OpenCV's
 * 15-bit table divided by 32, which gives the same rounded result. */
static ALWAYS_INLINE void warp_px(const pp__geo_warp *wp, const uint8_t *src, int32_t X0,
                                  int32_t Y0, uint8_t *dst, size_t x, const int cn)
{
    const int sw = wp->sw, sh = wp->sh;
    const size_t st = wp->stride;
    int32_t X = (X0 + wp->adelta[x]) >> 5, Y = (Y0 + wp->bdelta[x]) >> 5;
    int sx = X >> 5, sy = Y >> 5, fx = X & 31, fy = Y & 31;
    int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy);
    int w10 = (32 - fx) * fy, w11 = fx * fy;
    uint8_t *d = dst + x * cn;
    if ((unsigned)sx < (unsigned)(sw - 1) && (unsigned)sy < (unsigned)(sh - 1)) {
        const uint8_t *p = src + (size_t)sy * st + (size_t)sx * cn;
        for (int k = 0; k < cn; k++)
            d[k] = (uint8_t)((p[k] * w00 + p[k + cn] * w01 + p[k + st] * w10 +
                              p[k + st + cn] * w11 + 512) >>
                             10);
    } else if (sx < -1 || sx >= sw || sy < -1 || sy >= sh) {
        for (int k = 0; k < cn; k++)
            d[k] = wp->cval[k];
    } else {
        /* on the edge: taps outside the image read the outside value */
        bool in_l = sx >= 0, in_r = sx + 1 < sw, in_t = sy >= 0, in_b = sy + 1 < sh;
        const uint8_t *r0 = in_t ? src + (size_t)sy * st : NULL;
        const uint8_t *r1 = in_b ? src + (size_t)(sy + 1) * st : NULL;
        for (int k = 0; k < cn; k++) {
            int c = wp->cval[k];
            int v00 = in_l && in_t ? r0[(size_t)sx * cn + k] : c;
            int v01 = in_r && in_t ? r0[(size_t)(sx + 1) * cn + k] : c;
            int v10 = in_l && in_b ? r1[(size_t)sx * cn + k] : c;
            int v11 = in_r && in_b ? r1[(size_t)(sx + 1) * cn + k] : c;
            d[k] = (uint8_t)((v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + 512) >> 10);
        }
    }
}

#if PP_SIMD_AVX2
/* Bytes p+o0..p+o0+7 and p+o1..p+o1+7 in one vector. */
static ALWAYS_INLINE __m128i load_pair(const uint8_t *p, int32_t o0, int32_t o1)
{
    __m128d v = _mm_castsi128_pd(_mm_loadl_epi64((const __m128i *)(p + o0)));
    return _mm_castpd_si128(_mm_loadh_pd(v, (const double *)(p + o1)));
}

/* Eight output pixels at once when all four taps of each are inside: the
 * integer arithmetic of warp_px, in vectors. Tap pairs (p00, p01) and (p10,
 * p11) come from one 8-byte load each per pixel; each channel's pairs are
 * shuffled into 16-bit halves and weighted with one madd per row of taps.
 * Returns false, doing nothing, when some pixel needs the scalar path. */
static ALWAYS_INLINE bool warp_avx2_8(const pp__geo_warp *wp, const uint8_t *src, int32_t X0,
                                      int32_t Y0, uint8_t *dst, size_t x, const int cn)
{
    const __m256i c31 = _mm256_set1_epi32(31), c32 = _mm256_set1_epi32(32);
    __m256i X =
        _mm256_srai_epi32(_mm256_add_epi32(_mm256_set1_epi32(X0),
                                           _mm256_loadu_si256((const __m256i *)(wp->adelta + x))),
                          5);
    __m256i Y =
        _mm256_srai_epi32(_mm256_add_epi32(_mm256_set1_epi32(Y0),
                                           _mm256_loadu_si256((const __m256i *)(wp->bdelta + x))),
                          5);
    __m256i sx = _mm256_srai_epi32(X, 5), sy = _mm256_srai_epi32(Y, 5);
    __m256i in =
        _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(sx, _mm256_set1_epi32(-1)),
                                          _mm256_cmpgt_epi32(_mm256_set1_epi32(wp->sw - 1), sx)),
                         _mm256_and_si256(_mm256_cmpgt_epi32(sy, _mm256_set1_epi32(-1)),
                                          _mm256_cmpgt_epi32(_mm256_set1_epi32(wp->sh - 1), sy)));
    if (_mm256_movemask_epi8(in) != -1)
        return false;
    __m256i fx = _mm256_and_si256(X, c31), fy = _mm256_and_si256(Y, c31);
    /* (32-fx, fx) in 16-bit halves, times (32-fy) or fy in both halves */
    __m256i px = _mm256_or_si256(_mm256_sub_epi32(c32, fx), _mm256_slli_epi32(fx, 16));
    __m256i fy0 = _mm256_sub_epi32(c32, fy);
    __m256i w0 = _mm256_mullo_epi16(px, _mm256_or_si256(fy0, _mm256_slli_epi32(fy0, 16)));
    __m256i w1 = _mm256_mullo_epi16(px, _mm256_or_si256(fy, _mm256_slli_epi32(fy, 16)));
    __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(sy, _mm256_set1_epi32((int)wp->stride)),
                                   _mm256_mullo_epi32(sx, _mm256_set1_epi32(cn)));
    /* 8-byte loads of the tap pairs, pixels 0,1,4,5 in a and 2,3,6,7 in b
     * so that the shuffles below put pixel i in dword lane i */
    int32_t o[8];
    _mm256_storeu_si256((__m256i *)o, off);
    const uint8_t *below = src + wp->stride;
    __m256i a0 = _mm256_set_m128i(load_pair(src, o[4], o[5]), load_pair(src, o[0], o[1]));
    __m256i b0 = _mm256_set_m128i(load_pair(src, o[6], o[7]), load_pair(src, o[2], o[3]));
    __m256i a1 = _mm256_set_m128i(load_pair(below, o[4], o[5]), load_pair(below, o[0], o[1]));
    __m256i b1 = _mm256_set_m128i(load_pair(below, o[6], o[7]), load_pair(below, o[2], o[3]));
    const __m256i round = _mm256_set1_epi32(512);
    __m256i pix = _mm256_setzero_si256();
    for (int k = 0; k < cn; k++) {
        /* dwords 0,1 of a lane from its qwords (pixels), as (p_k, p_cn+k) */
        const char z = -1, q0 = (char)k, q1 = (char)(cn + k);
        const char r0 = (char)(8 + k), r1 = (char)(8 + cn + k);
        __m256i lo = _mm256_setr_epi8(q0, z, q1, z, r0, z, r1, z, z, z, z, z, z, z, z, z, q0, z, q1,
                                      z, r0, z, r1, z, z, z, z, z, z, z, z, z);
        __m256i hi = _mm256_setr_epi8(z, z, z, z, z, z, z, z, q0, z, q1, z, r0, z, r1, z, z, z, z,
                                      z, z, z, z, z, q0, z, q1, z, r0, z, r1, z);
        __m256i t0 = _mm256_or_si256(_mm256_shuffle_epi8(a0, lo), _mm256_shuffle_epi8(b0, hi));
        __m256i t1 = _mm256_or_si256(_mm256_shuffle_epi8(a1, lo), _mm256_shuffle_epi8(b1, hi));
        __m256i v = _mm256_add_epi32(_mm256_madd_epi16(t0, w0), _mm256_madd_epi16(t1, w1));
        v = _mm256_srli_epi32(_mm256_add_epi32(v, round), 10);
        pix = _mm256_or_si256(pix, _mm256_slli_epi32(v, 8 * k));
    }
    uint8_t *d = dst + x * cn;
    if (cn == 4) {
        _mm256_storeu_si256((__m256i *)d, pix);
        return true;
    }
    const char z = -1;
    __m256i pack = cn == 3 ? _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, z, z, z, z, 0,
                                              1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, z, z, z, z)
                   : cn == 2 ? _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, z, z, z, z, z, z, z, z, 0,
                                                1, 4, 5, 8, 9, 12, 13, z, z, z, z, z, z, z, z)
                             : _mm256_setr_epi8(0, 4, 8, 12, z, z, z, z, z, z, z, z, z, z, z, z, 0,
                                                4, 8, 12, z, z, z, z, z, z, z, z, z, z, z, z);
    pix = _mm256_shuffle_epi8(pix, pack);
    uint8_t tmp[32];
    _mm256_storeu_si256((__m256i *)tmp, pix);
    memcpy(d, tmp, 4 * (size_t)cn);
    memcpy(d + 4 * cn, tmp + 16, 4 * (size_t)cn);
    return true;
}
#endif

static ALWAYS_INLINE void warp_c(const pp__geo_warp *wp, const uint8_t *src, int32_t X0, int32_t Y0,
                                 uint8_t *dst, size_t x0, size_t x1, const int cn)
{
    size_t x = x0;
#if PP_SIMD_AVX2
    if (wp->offsets32)
        for (; x + 8 <= x1; x += 8)
            if (!warp_avx2_8(wp, src, X0, Y0, dst, x, cn))
                for (size_t i = x; i < x + 8; i++)
                    warp_px(wp, src, X0, Y0, dst, i, cn);
#endif
    for (; x < x1; x++)
        warp_px(wp, src, X0, Y0, dst, x, cn);
}

void PP_K(pp__geo_warp_row)(const pp__geo_warp *wp, const uint8_t *src, int32_t X0, int32_t Y0,
                            uint8_t *dst, size_t x0, size_t x1)
{
    switch (wp->cn) {
    case 1: warp_c(wp, src, X0, Y0, dst, x0, x1, 1); break;
    case 2: warp_c(wp, src, X0, Y0, dst, x0, x1, 2); break;
    case 3: warp_c(wp, src, X0, Y0, dst, x0, x1, 3); break;
    default: warp_c(wp, src, X0, Y0, dst, x0, x1, 4); break;
    }
}

/* ------------------------------------------------------------------ */
/* Resize with taps                                                    */
/* ------------------------------------------------------------------ */

static ALWAYS_INLINE void htaps_inside(const pp__geo_htab *t, const uint8_t *src, int32_t *dst,
                                       const int cn, const int ks)
{
    for (size_t x = t->x0; x < t->x1; x++) {
        const uint8_t *s = src + (size_t)t->ofs[x] * cn;
        const int16_t *a = t->alpha + x * ks;
        for (int k = 0; k < cn; k++) {
            int32_t acc = 0;
            for (int j = 0; j < ks; j++)
                acc += s[j * cn + k] * a[j];
            dst[x * cn + k] = acc;
        }
    }
}

/* Output pixels [x0, x1) whose taps may leave the row: replicate. */
static void htaps_edge(const pp__geo_htab *t, const uint8_t *src, int32_t *dst, size_t x0,
                       size_t x1)
{
    const int cn = t->cn, ks = t->ksize;
    const ptrdiff_t last = (ptrdiff_t)t->sw - 1;
    for (size_t x = x0; x < x1; x++) {
        const int16_t *a = t->alpha + x * ks;
        for (int k = 0; k < cn; k++) {
            int32_t acc = 0;
            for (int j = 0; j < ks; j++) {
                ptrdiff_t p = (ptrdiff_t)t->ofs[x] + j;
                p = p < 0 ? 0 : p > last ? last : p;
                acc += src[p * cn + k] * a[j];
            }
            dst[x * cn + k] = acc;
        }
    }
}

void PP_K(pp__geo_hresize)(const pp__geo_htab *t, const uint8_t *src, int32_t *dst)
{
    htaps_edge(t, src, dst, 0, t->x0);
    switch (t->ksize * 8 + t->cn) {
    case 2 * 8 + 1: htaps_inside(t, src, dst, 1, 2); break;
    case 2 * 8 + 2: htaps_inside(t, src, dst, 2, 2); break;
    case 2 * 8 + 3: htaps_inside(t, src, dst, 3, 2); break;
    case 2 * 8 + 4: htaps_inside(t, src, dst, 4, 2); break;
    case 4 * 8 + 1: htaps_inside(t, src, dst, 1, 4); break;
    case 4 * 8 + 2: htaps_inside(t, src, dst, 2, 4); break;
    case 4 * 8 + 3: htaps_inside(t, src, dst, 3, 4); break;
    case 4 * 8 + 4: htaps_inside(t, src, dst, 4, 4); break;
    case 8 * 8 + 1: htaps_inside(t, src, dst, 1, 8); break;
    case 8 * 8 + 2: htaps_inside(t, src, dst, 2, 8); break;
    case 8 * 8 + 3: htaps_inside(t, src, dst, 3, 8); break;
    default: htaps_inside(t, src, dst, 4, 8); break;
    }
    htaps_edge(t, src, dst, t->x1, t->dw);
}

/* OpenCV's 8-bit vertical linear pass (SIMD body and scalar tail alike):
 * 16-bit products of (v >> 4) and the weight, high halves summed, then a
 * rounding shift by 2. */
void PP_K(pp__geo_vlinear)(const int32_t *s0, const int32_t *s1, int b0, int b1, uint8_t *dst,
                           size_t n)
{
    for (size_t x = 0; x < n; x++) {
        int v = (((s0[x] >> 4) * b0) >> 16) + (((s1[x] >> 4) * b1) >> 16);
        dst[x] = sat_u8((v + 2) >> 2);
    }
}

/* SIMD body in float (weights scaled by 2^-22, summed last to first);
 * scalar tail exact. */
void PP_K(pp__geo_vcubic)(const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n,
                          size_t split)
{
    const float sc = 1.f / (2048 * 2048);
    const float f0 = beta[0] * sc, f1 = beta[1] * sc, f2 = beta[2] * sc, f3 = beta[3] * sc;
    const int32_t *s0 = s[0], *s1 = s[1], *s2 = s[2], *s3 = s[3];
    for (size_t x = 0; x < split; x++) {
        float v = (float)s0[x] * f0 + ((float)s1[x] * f1 + ((float)s2[x] * f2 + (float)s3[x] * f3));
        dst[x] = sat_u8(round_even(v));
    }
    for (size_t x = split; x < n; x++)
        dst[x] = sat_u8(
            (s0[x] * beta[0] + s1[x] * beta[1] + s2[x] * beta[2] + s3[x] * beta[3] + (1 << 21)) >>
            22);
}

/* Each product fits 32 bits but an adversarial sum may not: it wraps, as
 * OpenCV's int sum does, without undefined behaviour. */
void PP_K(pp__geo_vlanczos)(const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        uint32_t acc = 1u << 21;
        for (int j = 0; j < 8; j++)
            acc += (uint32_t)(s[j][x] * beta[j]);
        dst[x] = sat_u8((int32_t)acc >> 22);
    }
}

/* ------------------------------------------------------------------ */
/* Resize by area                                                      */
/* ------------------------------------------------------------------ */

/* (a+b+c+d+2) >> 2 from byte averages (pavgb): avg(avg(a,b), avg(c,d)) is
 * one too high exactly when a pair sum was odd and the two averages differ
 * in parity. */
static ALWAYS_INLINE uint8_t mean4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t x = (uint8_t)((a + b + 1) >> 1), y = (uint8_t)((c + d + 1) >> 1);
    uint8_t odd = (uint8_t)(((a ^ b) | (c ^ d)) & (x ^ y) & 1);
    return (uint8_t)(((x + y + 1) >> 1) - odd);
}

/* Rounding as OpenCV's 2x2 paths: half up (SIMD body, 1, 3 or 4 channels);
 * half to even for 2 channels, which take its scalar float path. */
static ALWAYS_INLINE void area2_c(const uint8_t *r0, const uint8_t *r1, uint8_t *dst, size_t dw,
                                  const int cn)
{
    for (size_t x = 0; x < dw; x++)
        for (int k = 0; k < cn; k++) {
            size_t i = 2 * x * cn + k;
            if (cn == 2) {
                int s = r0[i] + r0[i + cn] + r1[i] + r1[i + cn];
                dst[x * cn + k] = (uint8_t)((s + 1 + ((s >> 2) & 1)) >> 2);
            } else {
                dst[x * cn + k] = mean4(r0[i], r0[i + cn], r1[i], r1[i + cn]);
            }
        }
}

#if PP_SIMD_AVX2
/* Eight RGB output pixels: each 128-bit lane takes 4 pixel pairs (24 bytes)
 * from two overlapping loads and shuffles out the first and the second pixel
 * of every pair; mean4 then works bytewise. Stores 28 bytes: the last 4 are
 * rewritten by the next group. */
static ALWAYS_INLINE void area2_rgb8_avx2(const uint8_t *r0, const uint8_t *r1, uint8_t *d)
{
    const char z = -1;
    const __m256i ea = _mm256_setr_epi8(0, 1, 2, 6, 7, 8, 12, 13, 14, z, z, z, z, z, z, z, 0, 1, 2,
                                        6, 7, 8, 12, 13, 14, z, z, z, z, z, z, z);
    const __m256i eb = _mm256_setr_epi8(z, z, z, z, z, z, z, z, z, 10, 11, 12, z, z, z, z, z, z, z,
                                        z, z, z, z, z, z, 10, 11, 12, z, z, z, z);
    const __m256i oa = _mm256_setr_epi8(3, 4, 5, 9, 10, 11, 15, z, z, z, z, z, z, z, z, z, 3, 4, 5,
                                        9, 10, 11, 15, z, z, z, z, z, z, z, z, z);
    const __m256i ob = _mm256_setr_epi8(z, z, z, z, z, z, z, 8, 9, 13, 14, 15, z, z, z, z, z, z, z,
                                        z, z, z, z, 8, 9, 13, 14, 15, z, z, z, z);
    __m256i v[4]; /* first and second pixels of row 0, then of row 1 */
    for (int r = 0; r < 2; r++) {
        const uint8_t *p = r ? r1 : r0;
        __m256i a =
            _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                    _mm_loadu_si128((const __m128i *)(p + 24)), 1);
        __m256i b = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p + 8))),
            _mm_loadu_si128((const __m128i *)(p + 32)), 1);
        v[2 * r] = _mm256_or_si256(_mm256_shuffle_epi8(a, ea), _mm256_shuffle_epi8(b, eb));
        v[2 * r + 1] = _mm256_or_si256(_mm256_shuffle_epi8(a, oa), _mm256_shuffle_epi8(b, ob));
    }
    __m256i x = _mm256_avg_epu8(v[0], v[1]), y = _mm256_avg_epu8(v[2], v[3]);
    __m256i odd = _mm256_and_si256(_mm256_and_si256(_mm256_or_si256(_mm256_xor_si256(v[0], v[1]),
                                                                    _mm256_xor_si256(v[2], v[3])),
                                                    _mm256_xor_si256(x, y)),
                                   _mm256_set1_epi8(1));
    __m256i m = _mm256_sub_epi8(_mm256_avg_epu8(x, y), odd);
    _mm_storeu_si128((__m128i *)d, _mm256_castsi256_si128(m));
    _mm_storeu_si128((__m128i *)(d + 12), _mm256_extracti128_si256(m, 1));
}
#endif

/* Three channels do not vectorise as above. AVX2: shuffles, 8 pixels at a
 * time. Otherwise: means at every byte offset first (contiguous), then every
 * other pixel of them. */
static void area2_c3(const uint8_t *r0, const uint8_t *r1, uint8_t *dst, size_t dw, uint8_t *tmp)
{
#if PP_SIMD_AVX2
    (void)tmp;
    size_t x = 0;
    for (; x + 9 <= dw; x += 8)
        area2_rgb8_avx2(r0 + 6 * x, r1 + 6 * x, dst + 3 * x);
    area2_c(r0 + 6 * x, r1 + 6 * x, dst + 3 * x, dw - x, 3);
#else
    size_t n = 6 * dw - 3;
    for (size_t i = 0; i < n; i++)
        tmp[i] = mean4(r0[i], r0[i + 3], r1[i], r1[i + 3]);
    for (size_t x = 0; x + 1 < dw; x++)
        memcpy(dst + 3 * x, tmp + 6 * x, 4); /* the 4th byte is rewritten next */
    memcpy(dst + 3 * (dw - 1), tmp + 6 * (dw - 1), 3);
#endif
}

void PP_K(pp__geo_area2)(const uint8_t *r0, const uint8_t *r1, uint8_t *dst, size_t dw, int cn,
                         uint8_t *tmp)
{
    switch (cn) {
    case 1: area2_c(r0, r1, dst, dw, 1); break;
    case 2: area2_c(r0, r1, dst, dw, 2); break;
    case 3: area2_c3(r0, r1, dst, dw, tmp); break;
    default: area2_c(r0, r1, dst, dw, 4); break;
    }
}

void PP_K(pp__geo_areak)(const uint8_t *const *rows, int kx, int ky, float scale, uint8_t *dst,
                         size_t dw, int cn)
{
    for (size_t x = 0; x < dw; x++)
        for (int k = 0; k < cn; k++) {
            int s = 0;
            for (int r = 0; r < ky; r++)
                for (int i = 0; i < kx; i++)
                    s += rows[r][(x * kx + i) * cn + k];
            dst[x * cn + k] = sat_u8(round_even((float)s * scale));
        }
}

void PP_K(pp__geo_area_h)(const pp__geo_atab *t, const uint8_t *src, float *dst)
{
    const int cn = t->cn;
    for (size_t x = 0; x < t->dw; x++)
        for (int k = 0; k < cn; k++) {
            float acc = 0;
            for (uint32_t e = t->start[x]; e < t->start[x + 1]; e++)
                acc += src[(size_t)t->src[e] * cn + k] * t->alpha[e];
            dst[x * cn + k] = acc;
        }
}

void PP_K(pp__geo_area_v)(const float *const *rows, const float *beta, int nrows, float *sum,
                          uint8_t *dst, size_t n)
{
    const float b0 = beta[0];
    const float *r0 = rows[0];
    for (size_t x = 0; x < n; x++)
        sum[x] = b0 * r0[x];
    for (int j = 1; j < nrows; j++) {
        const float b = beta[j];
        const float *r = rows[j];
        for (size_t x = 0; x < n; x++)
            sum[x] += b * r[x];
    }
    for (size_t x = 0; x < n; x++)
        dst[x] = sat_u8(round_even(sum[x]));
}
