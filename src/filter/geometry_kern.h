/* Kernels of the geometry filters (every SIMD copy; see simd.h).
 *
 * Every kernel is integer or non-contracted float arithmetic in a fixed
 * order, so the generic, AVX2 and AVX-512 copies give identical bytes. The numeric
 * schemes are OpenCV 4.6's for 8-bit images (see geometry.c).
 */
#ifndef PIXPIPE_GEOMETRY_KERN_H
#define PIXPIPE_GEOMETRY_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simd.h"

/* ---- moving whole pixels ---- */

/* dst pixel x = src pixel w-1-x (c channels). */
PP_KDECL(void, pp__geo_reverse_row, (const uint8_t *src, uint8_t *dst, size_t w, int c));

/* m output rows of n pixels each, read across input rows:
 *   out[i] pixel j = the pixel at base + j*row_step + i*px_step (bytes).
 * Rotations by 90 and 270 degrees (row_step and px_step carry the sign).
 * May read one byte past a pixel (see PP_GEO_SLACK). */
PP_KDECL(void, pp__geo_columns,
         (const uint8_t *base, ptrdiff_t row_step, ptrdiff_t px_step, size_t n, int c,
          uint8_t *const *out, size_t m));

/* ---- bilinear warp: OpenCV's 8-bit fixed point ---- */

/* Bytes the kernels may read past the end of a source image. */
#define PP_GEO_SLACK 8

typedef struct pp__geo_warp {
    int sw, sh, cn;        /* source size and channels */
    size_t stride;         /* source row bytes */
    bool offsets32;        /* every byte offset fits 32 bits (vector kernel) */
    const int32_t *adelta; /* per output x: source x step, 1/1024 px */
    const int32_t *bdelta; /* per output x: source y step, 1/1024 px */
    uint8_t cval[4];       /* outside value per channel */
} pp__geo_warp;

/* Output pixels [x0, x1) of one row. X0, Y0: the row's source origin in
 * 1/1024 px, with the rounding bias included. */
PP_KDECL(void, pp__geo_warp_row,
         (const pp__geo_warp *wp, const uint8_t *src, int32_t X0, int32_t Y0, uint8_t *dst,
          size_t x0, size_t x1));

/* ---- resize with taps (linear, cubic, Lanczos): 11-bit fixed point ---- */

typedef struct pp__geo_htab {
    size_t sw, dw;        /* source and output widths (pixels) */
    int cn, ksize;        /* channels; taps (2, 4 or 8) */
    size_t x0, x1;        /* output pixels [x0, x1) have every tap inside the row */
    const int32_t *ofs;   /* per output pixel: source pixel of tap 0 (may be < 0) */
    const int16_t *alpha; /* per output pixel: ksize weights, sum about 2048 */
} pp__geo_htab;

/* Horizontal pass: dst[x*cn+k] = sum_j src[tap j]*alpha[j], taps outside
 * the row replicate its first or last pixel. */
PP_KDECL(void, pp__geo_hresize, (const pp__geo_htab *t, const uint8_t *src, int32_t *dst));

/* Vertical passes over n values of the horizontal sums. Cubic: values
 * before split are rounded like OpenCV's SIMD body (float), the rest like its
 * scalar tail (exact integer). */
PP_KDECL(void, pp__geo_vlinear,
         (const int32_t *s0, const int32_t *s1, int b0, int b1, uint8_t *dst, size_t n));
PP_KDECL(void, pp__geo_vcubic,
         (const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n, size_t split));
PP_KDECL(void, pp__geo_vlanczos,
         (const int32_t *const *s, const int16_t *beta, uint8_t *dst, size_t n));

/* ---- resize by area ---- */

/* Integer factor 2x2: mean of each 2x2 block, dw output pixels of cn
 * channels (rounding half up; half to even for 2 channels). tmp: 2*dw*cn
 * bytes of scratch. */
PP_KDECL(void, pp__geo_area2,
         (const uint8_t *r0, const uint8_t *r1, uint8_t *dst, size_t dw, int cn, uint8_t *tmp));

/* Integer factors kx, ky: round(float(sum) * scale), half to even. */
PP_KDECL(void, pp__geo_areak,
         (const uint8_t *const *rows, int kx, int ky, float scale, uint8_t *dst, size_t dw,
          int cn));

typedef struct pp__geo_atab {
    size_t dw;
    int cn;
    const uint32_t *start; /* dw+1 entries: taps of output pixel x are [start[x], start[x+1]) */
    const uint32_t *src;   /* per tap: source pixel */
    const float *alpha;    /* per tap: weight */
} pp__geo_atab;

/* Horizontal pass of the general area resize (float sums in tap order). */
PP_KDECL(void, pp__geo_area_h, (const pp__geo_atab *t, const uint8_t *src, float *dst));

/* Vertical pass: sum_j beta[j]*rows[j][x] in order (sum is n floats of
 * scratch), rounded half to even and saturated into dst. */
PP_KDECL(void, pp__geo_area_v,
         (const float *const *rows, const float *beta, int nrows, float *sum, uint8_t *dst,
          size_t n));

#endif
