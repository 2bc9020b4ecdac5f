/* Hot loops of the "edge" family, compiled once per SIMD target (simd.h).
 *
 * Each exported kernel switches once per row on the number of taps and
 * calls an inline body where the tap count is a constant, so the tap loops
 * unroll and the pixel loop vectorises. Sums use 16-bit lanes where the
 * Sobel kernels keep them in range (up to 5 taps: |sum| <= 16*6*255) and
 * 32-bit lanes for 7 taps, where OpenCV saturates to 16 bits or divides by
 * 16. Floats are only multiplied, added and square-rooted, never contracted,
 * so every copy gives the same bytes.
 */
#include <math.h>
#include <string.h>

#include "edge_kern.h"

/* ------------------------------------------------------------------ */
/* Shared bodies                                                       */
/* ------------------------------------------------------------------ */

static inline void vpass_body(const uint8_t *const *rows, const int16_t *cf, const int taps,
                              size_t n, int16_t *restrict dst)
{
    const uint8_t *r[PP_EDGE_MAX_TAPS];
    int16_t k[PP_EDGE_MAX_TAPS];
    for (int j = 0; j < taps; j++) {
        r[j] = rows[j];
        k[j] = cf[j];
    }
    for (size_t i = 0; i < n; i++) {
        int16_t s = 0;
        for (int j = 0; j < taps; j++)
            s = (int16_t)(s + k[j] * r[j][i]);
        dst[i] = s;
    }
}

/* Two vertical passes over the same rows (smoothing and derivative). */
static inline void vpass2_body(const uint8_t *const *rows, const int16_t *cs, const int16_t *cd,
                               const int taps, const size_t stride, size_t n, int16_t *restrict ds,
                               int16_t *restrict dd)
{
    const uint8_t *r[PP_EDGE_MAX_TAPS];
    int16_t ks[PP_EDGE_MAX_TAPS], kd[PP_EDGE_MAX_TAPS];
    for (int j = 0; j < taps; j++) {
        r[j] = rows[j];
        ks[j] = cs[j];
        kd[j] = cd[j];
    }
    for (size_t i = 0; i < n; i++) {
        int16_t s = 0, d = 0;
        for (int j = 0; j < taps; j++) {
            int16_t v = r[j][i * stride];
            s = (int16_t)(s + ks[j] * v);
            d = (int16_t)(d + kd[j] * v);
        }
        ds[i] = s;
        dd[i] = d;
    }
}

/* Horizontal sum at b (b points r pixels left of the output sample), exact
 * in 16 bits for up to 5 taps. */
static inline int hsum16(const int16_t *b, const int16_t *k, const int taps, ptrdiff_t c)
{
    int16_t s = 0;
    for (int j = 0; j < taps; j++)
        s = (int16_t)(s + k[j] * b[j * c]);
    return s;
}

static inline int hsum32(const int16_t *b, const int16_t *k, const int taps, ptrdiff_t c)
{
    int s = 0;
    for (int j = 0; j < taps; j++)
        s += k[j] * b[j * c];
    return s;
}

static inline int sat_s16(int v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/* round_half_even(f) saturated to 0..255, for 0 <= f < 2^30: below 2^23,
 * adding 2^23 leaves no fraction bits, so the FPU's round-to-nearest-even
 * does the rounding; above, the result saturates anyway. */
static inline uint8_t round_sat_u8(float f)
{
    int i = (int)(f + 8388608.0f) - 8388608;
    return (uint8_t)(i < 255 ? i : 255);
}

/* v / 16 rounded half to even (OpenCV's cvRound of a Sobel with scale 1/16). */
static inline int div16_even(int v)
{
    int q = v >> 4, rem = v - q * 16; /* arithmetic shift: q = floor(v / 16) */
    return q + (rem + (q & 1) > 8);
}

static inline void copy_taps(const int16_t *src, int taps, int16_t *dst)
{
    for (int j = 0; j < taps; j++)
        dst[j] = src[j];
}

/* ------------------------------------------------------------------ */
/* Vertical pass                                                       */
/* ------------------------------------------------------------------ */

void PP_K(pp__edge_vpass)(const uint8_t *const *rows, const int16_t *cf, int taps, size_t n,
                          int16_t *dst)
{
    switch (taps) {
    case 1: vpass_body(rows, cf, 1, n, dst); break;
    case 3: vpass_body(rows, cf, 3, n, dst); break;
    case 5: vpass_body(rows, cf, 5, n, dst); break;
    default: vpass_body(rows, cf, 7, n, dst); break;
    }
}

static inline void vpass2_taps(const uint8_t *const *rows, const int16_t *cs, const int16_t *cd,
                               int taps, size_t stride, size_t n, int16_t *restrict ds,
                               int16_t *restrict dd)
{
    switch (taps) {
    case 3: vpass2_body(rows, cs, cd, 3, stride, n, ds, dd); break;
    case 5: vpass2_body(rows, cs, cd, 5, stride, n, ds, dd); break;
    default: vpass2_body(rows, cs, cd, 7, stride, n, ds, dd); break;
    }
}

void PP_K(pp__edge_vpass2)(const uint8_t *const *rows, const int16_t *cs, const int16_t *cd,
                           int taps, size_t stride, size_t n, int16_t *ds, int16_t *dd)
{
    if (stride == 1)
        vpass2_taps(rows, cs, cd, taps, 1, n, ds, dd);
    else
        vpass2_taps(rows, cs, cd, taps, stride, n, ds, dd);
}

/* ------------------------------------------------------------------ */
/* Sobel                                                               */
/* ------------------------------------------------------------------ */

static inline void sobel_abs_body(const int16_t *v, const int16_t *cf, const int taps, ptrdiff_t c,
                                  size_t n, float scale, uint8_t *restrict dst)
{
    int16_t k[PP_EDGE_MAX_TAPS];
    copy_taps(cf, taps, k);
    const int16_t *b = v - (ptrdiff_t)(taps / 2) * c;
    if (scale == 1.0f) {
        for (size_t i = 0; i < n; i++) {
            int s = taps == 7 ? sat_s16(hsum32(b + i, k, taps, c)) : hsum16(b + i, k, taps, c);
            int a = s < 0 ? -s : s;
            dst[i] = (uint8_t)(a < 255 ? a : 255);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            int s = taps == 7 ? sat_s16(hsum32(b + i, k, taps, c)) : hsum16(b + i, k, taps, c);
            int a = s < 0 ? -s : s;
            dst[i] = round_sat_u8((float)a * scale);
        }
    }
}

void PP_K(pp__sobel_abs_row)(const int16_t *v, const int16_t *cf, int taps, int c, size_t n,
                             float scale, uint8_t *dst)
{
    switch (taps) {
    case 1: sobel_abs_body(v, cf, 1, c, n, scale, dst); break;
    case 3: sobel_abs_body(v, cf, 3, c, n, scale, dst); break;
    case 5: sobel_abs_body(v, cf, 5, c, n, scale, dst); break;
    default: sobel_abs_body(v, cf, 7, c, n, scale, dst); break;
    }
}

/* Three loops, each vectorised: the squared magnitude, the square root
 * (kernels build with -fno-math-errno, so sqrtf becomes vsqrtps), then
 * scaling and rounding. */
static inline void sobel_mag_body(const int16_t *vs, const int16_t *vd, const int16_t *cd,
                                  const int16_t *cs, const int taps, ptrdiff_t c, size_t n,
                                  float scale, float *restrict tmp, uint8_t *restrict dst)
{
    int16_t kd[PP_EDGE_MAX_TAPS], ks[PP_EDGE_MAX_TAPS];
    copy_taps(cd, taps, kd);
    copy_taps(cs, taps, ks);
    const ptrdiff_t off = (ptrdiff_t)(taps / 2) * c;
    const int16_t *bs = vs - off, *bd = vd - off;
    for (size_t i = 0; i < n; i++) {
        float gx = (float)hsum32(bs + i, kd, taps, c);
        float gy = (float)hsum32(bd + i, ks, taps, c);
        tmp[i] = gx * gx + gy * gy;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = sqrtf(tmp[i]);
    for (size_t i = 0; i < n; i++)
        dst[i] = round_sat_u8(tmp[i] * scale);
}

void PP_K(pp__sobel_mag_row)(const int16_t *vs, const int16_t *vd, const int16_t *cd,
                             const int16_t *cs, int taps, int c, size_t n, float scale, float *tmp,
                             uint8_t *dst)
{
    switch (taps) {
    case 3: sobel_mag_body(vs, vd, cd, cs, 3, c, n, scale, tmp, dst); break;
    case 5: sobel_mag_body(vs, vd, cd, cs, 5, c, n, scale, tmp, dst); break;
    default: sobel_mag_body(vs, vd, cd, cs, 7, c, n, scale, tmp, dst); break;
    }
}

/* ------------------------------------------------------------------ */
/* Canny                                                               */
/* ------------------------------------------------------------------ */

/* mag is uint16_t (|dx|+|dy|) or int32_t (dx^2+dy^2, when l2). */
static inline void canny_grad_body(const int16_t *vs, const int16_t *vd, const int16_t *cd,
                                   const int16_t *cs, const int taps, const bool l2, size_t w,
                                   int16_t *restrict dx, int16_t *restrict dy, void *restrict mag)
{
    int16_t kd[PP_EDGE_MAX_TAPS], ks[PP_EDGE_MAX_TAPS];
    copy_taps(cd, taps, kd);
    copy_taps(cs, taps, ks);
    const int16_t *bs = vs - taps / 2, *bd = vd - taps / 2;
    uint16_t *restrict m16 = mag;
    int32_t *restrict m32 = mag;
    for (size_t x = 0; x < w; x++) {
        int gx, gy;
        if (taps == 7) {
            gx = div16_even(hsum32(bs + x, kd, taps, 1));
            gy = div16_even(hsum32(bd + x, ks, taps, 1));
        } else {
            gx = hsum16(bs + x, kd, taps, 1);
            gy = hsum16(bd + x, ks, taps, 1);
        }
        dx[x] = (int16_t)gx;
        dy[x] = (int16_t)gy;
        if (l2)
            m32[x] = gx * gx + gy * gy;
        else
            m16[x] = (uint16_t)((gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy));
    }
}

static inline void canny_grad_taps(const int16_t *vs, const int16_t *vd, const int16_t *cd,
                                   const int16_t *cs, int taps, const bool l2, size_t w,
                                   int16_t *dx, int16_t *dy, void *mag)
{
    switch (taps) {
    case 3: canny_grad_body(vs, vd, cd, cs, 3, l2, w, dx, dy, mag); break;
    case 5: canny_grad_body(vs, vd, cd, cs, 5, l2, w, dx, dy, mag); break;
    default: canny_grad_body(vs, vd, cd, cs, 7, l2, w, dx, dy, mag); break;
    }
}

void PP_K(pp__canny_grad_row)(const int16_t *vs, const int16_t *vd, const int16_t *cd,
                              const int16_t *cs, int taps, size_t w, bool l2, int16_t *dx,
                              int16_t *dy, void *mag)
{
    if (l2)
        canny_grad_taps(vs, vd, cd, cs, taps, true, w, dx, dy, mag);
    else
        canny_grad_taps(vs, vd, cd, cs, taps, false, w, dx, dy, mag);
}

/* Pixels per NMS block: a block whose magnitudes are all <= low (most of a
 * photo) is written as 0 without the sector test. */
#define NMS_BLOCK 32

/* OpenCV's sector test in 15-bit fixed point: tan(22.5 deg) = 13573 / 2^15.
 * |dx| <= 24480 here, so tg67 = |dx| * (13573 + 2^16) fits 32 bits. The
 * horizontal and vertical sectors keep a pixel that is > its first
 * neighbour and >= its second; the diagonals need > on both sides, so the
 * first pass stores for each pixel the two values it must exceed. The
 * selection loads every neighbour, so it stays branch-free. */
static inline void nms_block(const int32_t *mp, const int32_t *ma, const int32_t *mn,
                             const int16_t *dx, const int16_t *dy, size_t n, int32_t low,
                             int32_t high, uint8_t *restrict map)
{
    int32_t ta[NMS_BLOCK], tb[NMS_BLOCK];
    for (size_t x = 0; x < n; x++) {
        int32_t gx = dx[x], gy = dy[x];
        int32_t ax = gx < 0 ? -gx : gx, ay = (gy < 0 ? -gy : gy) * 32768;
        int32_t tg22 = ax * 13573, tg67 = tg22 + ax * 65536;
        bool hor = ay < tg22;
        bool ver = ay > tg67;
        bool neg = (gx ^ gy) < 0;
        int32_t l = ma[x - 1], r = ma[x + 1], u = mp[x], d = mn[x];
        int32_t ul = mp[x - 1], ur = mp[x + 1], dl = mn[x - 1], dr = mn[x + 1];
        ta[x] = hor ? l : ver ? u : neg ? ur : ul;
        tb[x] = hor ? r - 1 : ver ? d - 1 : neg ? dl : dr; /* m >= r is m > r - 1 */
    }
    for (size_t x = 0; x < n; x++) {
        int32_t m = ma[x];
        bool keep = (m > low) & (m > ta[x]) & (m > tb[x]);
        map[x] = (uint8_t)(keep ? (m > high ? 2 : 1) : 0);
    }
}

void PP_K(pp__canny_nms_row)(const int32_t *mp, const int32_t *ma, const int32_t *mn,
                             const int16_t *dx, const int16_t *dy, size_t w, int32_t low,
                             int32_t high, uint8_t *map)
{
    size_t x = 0;
    for (; x + NMS_BLOCK <= w; x += NMS_BLOCK) {
        int32_t top = 0;
        for (size_t k = 0; k < NMS_BLOCK; k++)
            top = ma[x + k] > top ? ma[x + k] : top;
        if (top <= low)
            memset(map + x, 0, NMS_BLOCK);
        else
            nms_block(mp + x, ma + x, mn + x, dx + x, dy + x, NMS_BLOCK, low, high, map + x);
    }
    if (x < w)
        nms_block(mp + x, ma + x, mn + x, dx + x, dy + x, w - x, low, high, map + x);
}

/* The same test on 16-bit magnitudes (|dx|+|dy| <= 48960 for any aperture),
 * so that every step runs on 16-bit lanes. With ax = |dx| <= 24480, ay = |dy|
 * and t = ax * 13573, let q = floor(t / 2^15) = (ax * 27146) >> 16 (a
 * multiply-high). For ax > 0, t / 2^15 is never an integer (13573 is odd and
 * ax < 2^15), so
 *   horizontal: ay * 2^15 < t            <=>  ax > 0 and ay <= q
 *   vertical:   ay * 2^15 > t + ax * 2^16 <=>  ay > 2 * ax + q  (<= 59100)
 * and both also hold for ax = 0 (neither sector: t = 0, q = 0). The
 * horizontal and vertical sectors keep m >= their second neighbour, the
 * diagonals m > it, i.e. m >= it + 1 (magnitudes are <= 48960, so + 1 does
 * not wrap). lo1 and hi1 (pp__canny_thr16) are low + 1 and high + 1 clamped
 * to 0..65535, so m > low is m >= lo1. */
static inline void nms16_block(const uint16_t *mp, const uint16_t *ma, const uint16_t *mn,
                               const int16_t *dx, const int16_t *dy, size_t n, uint16_t lo1,
                               uint16_t hi1, uint8_t *restrict map)
{
    uint16_t ta[NMS_BLOCK], tb[NMS_BLOCK];
    for (size_t x = 0; x < n; x++) {
        int16_t gx = dx[x], gy = dy[x];
        uint16_t ax = (uint16_t)(gx < 0 ? -gx : gx), ay = (uint16_t)(gy < 0 ? -gy : gy);
        uint16_t q = (uint16_t)(((uint32_t)ax * 27146u) >> 16);
        bool hor = (ax != 0) & (ay <= q);
        bool ver = ay > (uint16_t)(2 * ax + q);
        bool neg = (gx ^ gy) < 0;
        uint16_t l = ma[x - 1], r = ma[x + 1], u = mp[x], d = mn[x];
        uint16_t ul = mp[x - 1], ur = mp[x + 1], dl = mn[x - 1], dr = mn[x + 1];
        ta[x] = hor ? l : ver ? u : neg ? ur : ul;
        tb[x] = hor ? r : ver ? d : (uint16_t)((neg ? dl : dr) + 1); /* m > t is m >= t + 1 */
    }
    for (size_t x = 0; x < n; x++) {
        uint16_t m = ma[x];
        bool keep = (m >= lo1) & (m > ta[x]) & (m >= tb[x]);
        map[x] = (uint8_t)(keep ? (m >= hi1 ? 2 : 1) : 0);
    }
}

void PP_K(pp__canny_nms16_row)(const uint16_t *mp, const uint16_t *ma, const uint16_t *mn,
                               const int16_t *dx, const int16_t *dy, size_t w, uint16_t lo1,
                               uint16_t hi1, uint8_t *map)
{
    size_t x = 0;
    for (; x + NMS_BLOCK <= w; x += NMS_BLOCK) {
        uint16_t top = 0;
        for (size_t k = 0; k < NMS_BLOCK; k++)
            top = ma[x + k] > top ? ma[x + k] : top;
        if (top < lo1)
            memset(map + x, 0, NMS_BLOCK);
        else
            nms16_block(mp + x, ma + x, mn + x, dx + x, dy + x, NMS_BLOCK, lo1, hi1, map + x);
    }
    if (x < w)
        nms16_block(mp + x, ma + x, mn + x, dx + x, dy + x, w - x, lo1, hi1, map + x);
}

void PP_K(pp__canny_edges_row)(const uint8_t *map, size_t w, uint8_t *dst)
{
    for (size_t x = 0; x < w; x++)
        dst[x] = (uint8_t)(map[x] >> 1 ? 255 : 0);
}
