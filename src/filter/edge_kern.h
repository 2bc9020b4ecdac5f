/* Kernels of the edge filters (every SIMD copy; see simd.h).
 *
 * Rows of 16-bit samples come from a vertical pass and carry `taps/2` pixels
 * of horizontal border on each side (index 0 is the first pixel of the
 * image), so horizontal passes read v[i - r*c .. i + r*c] without checks.
 * Kernels are Sobel kernels of 1, 3, 5 or 7 taps: every sum below fits the
 * stated type, so 16-bit arithmetic is exact where it is used.
 */
#ifndef PIXPIPE_EDGE_KERN_H
#define PIXPIPE_EDGE_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simd.h"

#define PP_EDGE_MAX_TAPS 7

/* dst[i] = sum_k cf[k] * rows[k][i] for i < n (|sum| <= 64*255). */
PP_KDECL(void, pp__edge_vpass,
         (const uint8_t *const *rows, const int16_t *cf, int taps, size_t n, int16_t *dst));

/* Both vertical passes of a gradient over the same rows, reading every
 * stride-th byte (2: the gray of gray+alpha): ds with the smoothing kernel
 * cs, dd with the derivative kernel cd (3, 5 or 7 taps). */
PP_KDECL(void, pp__edge_vpass2,
         (const uint8_t *const *rows, const int16_t *cs, const int16_t *cd, int taps, size_t stride,
          size_t n, int16_t *ds, int16_t *dd));

/* One row of the abs Sobel: s = saturate_s16(sum_k cf[k]*v[i + (k-r)*c]),
 * dst[i] = saturate_u8(round_half_even(|s| * scale)) for the n = width*c
 * samples of c interleaved channels. */
PP_KDECL(void, pp__sobel_abs_row,
         (const int16_t *v, const int16_t *cf, int taps, int c, size_t n, float scale,
          uint8_t *dst));

/* One row of the Sobel magnitude: gx = H(cd) on vs (vertically smoothed),
 * gy = H(cs) on vd (vertically differentiated), in float
 * dst[i] = saturate_u8(round_half_even(sqrt(gx^2 + gy^2) * scale)); tmp holds
 * n floats. */
PP_KDECL(void, pp__sobel_mag_row,
         (const int16_t *vs, const int16_t *vd, const int16_t *cd, const int16_t *cs, int taps,
          int c, size_t n, float scale, float *tmp, uint8_t *dst));

/* Canny's gradient for one gray row of w pixels: dx = H(cd) on vs,
 * dy = H(cs) on vd; with 7 taps both are divided by 16 and rounded half to
 * even (OpenCV's Sobel scale 1/16). mag (uint16_t) = |dx|+|dy| <= 48960, or
 * when l2 mag (int32_t) = dx^2+dy^2. */
PP_KDECL(void, pp__canny_grad_row,
         (const int16_t *vs, const int16_t *vd, const int16_t *cd, const int16_t *cs, int taps,
          size_t w, bool l2, int16_t *dx, int16_t *dy, void *mag));

/* Non-maximum suppression and double threshold of one row: mp, ma, mn are
 * the magnitudes of the rows above, at and below (readable at -1 and w).
 * map[x] = 0 (suppressed or <= low), 1 (weak) or 2 (> high). */
PP_KDECL(void, pp__canny_nms_row,
         (const int32_t *mp, const int32_t *ma, const int32_t *mn, const int16_t *dx,
          const int16_t *dy, size_t w, int32_t low, int32_t high, uint8_t *map));

/* The same on 16-bit |dx|+|dy| magnitudes, with lo1 and hi1 from
 * pp__canny_thr16(low) and pp__canny_thr16(high): identical maps. */
PP_KDECL(void, pp__canny_nms16_row,
         (const uint16_t *mp, const uint16_t *ma, const uint16_t *mn, const int16_t *dx,
          const int16_t *dy, size_t w, uint16_t lo1, uint16_t hi1, uint8_t *map));

/* A threshold t for nms16: m > t is m >= the result, t + 1 clamped to
 * 0..65535 (every 16-bit m is > a negative t; none is > 65535). */
static inline uint16_t pp__canny_thr16(int32_t t)
{
    return (uint16_t)(t < 0 ? 0 : t >= 65535 ? 65535 : t + 1);
}

/* dst[x] = 255 where map[x] >= 2 (an edge after hysteresis), else 0. */
PP_KDECL(void, pp__canny_edges_row, (const uint8_t *map, size_t w, uint8_t *dst));

#endif
