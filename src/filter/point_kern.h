/* Kernels of the point filters (every SIMD copy; see simd.h). */
#ifndef PIXPIPE_POINT_KERN_H
#define PIXPIPE_POINT_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "pixpipe/image.h"
#include "simd.h"

/* dst[x] = t[src[x]] for n bytes. */
PP_KDECL(void, pp__lut_rows, (const uint8_t *t, const uint8_t *src, uint8_t *dst, size_t n));

/* dst[x] = saturate(round_half_even(|fma(src[x], alpha, beta)|)) for n bytes:
 * the same bytes as the lookup table enhance builds (alpha, beta within
 * +-100 and +-255 keep every sum inside 16 bits). */
PP_KDECL(void, pp__enhance_rows,
         (float alpha, float beta, const uint8_t *src, uint8_t *dst, size_t n));

/* One row of RGB (c=3) to gray or RGBA (c=4) to gray+alpha. */
PP_KDECL(void, pp__rgb_to_gray_row, (const uint8_t *src, uint8_t *dst, size_t w, int c));

#endif
