/* Kernels of the convolve family (every SIMD copy; see simd.h).
 *
 * Samples are interleaved: a row of w pixels with c channels is n = w*c
 * samples, and the neighbour of sample i one pixel to the right is i + c.
 * Horizontal passes apply BORDER_REFLECT_101 themselves; vertical passes get
 * row pointers with the border already applied by the executor.
 *
 * Every kernel is a pure function of its input rows, and integer kernels are
 * exact, so the generic, AVX2 and AVX-512 copies give the same bytes. Float kernels
 * use separate multiplies and adds in a fixed order (no contraction).
 */
#ifndef PIXPIPE_CONVOLVE_KERN_H
#define PIXPIPE_CONVOLVE_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simd.h"

/* ---- separable Gaussian in fixed point (OpenCV's bit-exact 8-bit path) ---- */

#define PP_GAUSS_MAX_TAPS 601 /* ksize derived from sigma 100 */

/* OpenCV's kernel has 2r+1 symmetric taps K[t] with 8 fractional bits
 * summing to 256; a result is (sum_y K[y] * h + 2^15) >> 16 where
 * h = sum_x K[x]*v <= 65280. Two exact 16-bit evaluations:
 *   single  when every tap is a multiple of 16 (the 3- and 5-tap binomial
 *           tables): k = K/16, so h' = sum k*v <= 4080 and S = sum k*h' <=
 *           65280, and the result is (S + 128) >> 8.
 *   split   otherwise: k = K, and h is split into bytes: A = sum k*(h>>8),
 *           B = sum k*(h&255) (each <= 65280); the result is
 *           (A + (B >> 8) + 128) >> 8.
 * Symmetric pairs are summed first: k[t] <= 128 off the centre, so
 * k[t]*(a+b) never exceeds 16 bits either. */
typedef struct pp__gauss_kernel {
    int r;
    bool single;
    uint16_t k[PP_GAUSS_MAX_TAPS];
} pp__gauss_kernel;

/* dst[i] = sum_t k[t] * src[reflect(x + t - r)] for every sample. */
PP_KDECL(void, pp__gauss_hrow,
         (const uint8_t *src, size_t w, int c, const pp__gauss_kernel *g, uint16_t *dst));

/* One output row from rows[0..2r] of horizontal sums, n samples. */
PP_KDECL(void, pp__gauss_vrow,
         (const uint16_t *const *rows, const pp__gauss_kernel *g, size_t n, uint8_t *dst));

/* ---- box filter ---- */

/* How a box sum S of `area` samples becomes a byte, as cv::blur does it:
 * area <= 256: (S + dd) * ds >> 23 (equal to round(S / area));
 * larger: round_half_even(float(S) * scale) in float. */
typedef struct pp__box_div {
    uint32_t area, dd, ds;
    float scale;
} pp__box_div;

/* dst[i] = sum of the 2r+1 samples around i along x (reflect101): <= 65025. */
PP_KDECL(void, pp__box_hrow, (const uint8_t *src, size_t w, int c, int r, uint16_t *dst));

/* Output rows out[0..m) of a vertical box of 2r+1 rows over rows[0..m+2r),
 * with running column sums in acc (n entries), restarted for each call. */
PP_KDECL(void, pp__box_vrows,
         (const uint16_t *const *rows, int r, size_t n, size_t m, const pp__box_div *div,
          uint32_t *acc, uint8_t *const *out));

/* ---- general 2D correlation ---- */

typedef struct pp__conv_tap {
    uint32_t row; /* kernel row: index into the row pointers */
    uint32_t off; /* kernel column times channels: offset into a padded row */
    float k;      /* the coefficient */
    int16_t ki;   /* k * 2^shift, for kernels of pp__conv_row_int */
} pp__conv_tap;

/* dst = src with r pixels of reflect101 border on each side, as floats:
 * (w + 2r) * c values. */
PP_KDECL(void, pp__conv_pad_row, (const uint8_t *src, size_t w, int c, int r, float *dst));

/* Float kernels: dst[i] = saturate(round_half_even(sum over taps of
 * k * rows[row][i + off])) for i < n, summed in tap order from 0. */
PP_KDECL(void, pp__conv_row,
         (const float *const *rows, const pp__conv_tap *taps, size_t ntaps, size_t n,
          uint8_t *dst));

/* Kernels of the form ki / 2^shift (ki integers) whose sums fit 16 bits:
 * signed ones with sum |ki| <= 128 and shift <= 7, or non-negative ones with
 * sum ki <= 256 and shift <= 8 (so the rounding bias cannot overflow either).
 * On padded 8-bit rows, dst[i] = saturate(round_half_even(S / 2^shift))
 * with S = sum of ki * rows[row][i + off] in exact 16-bit arithmetic: the
 * float kernel's result, since its sums of such taps are exact too. */
PP_KDECL(void, pp__conv_row_int,
         (const uint8_t *const *rows, const pp__conv_tap *taps, size_t ntaps, int shift, bool sign,
          size_t n, uint8_t *dst));

/* ---- sharpen: 0,-1,0; -1,5,-1; 0,-1,0 in integers ---- */
PP_KDECL(void, pp__sharpen_row,
         (const uint8_t *up, const uint8_t *mid, const uint8_t *down, size_t w, int c,
          uint8_t *dst));

/* ---- two-input lookup: dst[i] = t[a[i] * 256 + b[i]] ---- */
PP_KDECL(void, pp__lut2_row,
         (const uint8_t *t, const uint8_t *a, const uint8_t *b, size_t n, uint8_t *dst));

#endif
