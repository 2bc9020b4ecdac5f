/* Kernels of the morphology filters (every SIMD copy; see simd.h).
 *
 * Every kernel is a byte-wise min (erode) or max (dilate, mx = true) over
 * whole rows, so rows of interleaved channels need no special case: a
 * horizontal neighbour is simply c bytes away.
 */
#ifndef PIXPIPE_MORPH_KERN_H
#define PIXPIPE_MORPH_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simd.h"

/* dst[x] = op(src[x], src[x + off]) for x in [0, n): src holds n + off bytes
 * and does not overlap dst. Growing a window of s pixels by off = s*c bytes
 * doubles it. */
PP_KDECL(void, pp__morph_shift,
         (uint8_t *dst, const uint8_t *src, size_t n, size_t off, bool mx));

/* Direct horizontal window of half-width d (0..2) over a row of w pixels of
 * c channels: dst[x] = op of src over pixels x-d..x+d that exist (outside
 * the row, pixels are ignored, like the identity border). */
PP_KDECL(void, pp__morph_hrun, (uint8_t *dst, const uint8_t *src, size_t w, int c, int d, bool mx));

/* Two vertically adjacent output rows of a k-row window (k = 3 or 5) from
 * rows r[0..k+1): o0 from r[0..k), o1 from r[1..k+1), in one pass. */
PP_KDECL(void, pp__morph_vpair,
         (const uint8_t *const *r, size_t k, uint8_t *o0, uint8_t *o1, size_t n, bool mx));

/* dst[x] = op(a[x], b[x]) for x in [0, n); dst, a and b do not overlap. */
PP_KDECL(void, pp__morph_pair,
         (uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n, bool mx));

/* dst[x] = op(dst[x], a[x]) for x in [0, n); dst and a do not overlap. */
PP_KDECL(void, pp__morph_acc, (uint8_t *dst, const uint8_t *a, size_t n, bool mx));

/* dst[x] = op(dst[x], op(a[x], b[x])) for x in [0, n); no overlap with dst. */
PP_KDECL(void, pp__morph_acc2,
         (uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n, bool mx));

/* dst[x] = saturate(a[x] - b[x]) for x in [0, n); no overlap. */
PP_KDECL(void, pp__morph_sub, (uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n));

#endif
