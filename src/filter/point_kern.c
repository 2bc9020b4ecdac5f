/* Hot loops of the point filters, compiled once per SIMD target (simd.h). */
#include "point_kern.h"

void PP_K(pp__lut_rows)(const uint8_t *t, const uint8_t *src, uint8_t *dst, size_t n)
{
    for (size_t x = 0; x < n; x++)
        dst[x] = t[src[x]];
}

void PP_K(pp__rgb_to_gray_row)(const uint8_t *src, uint8_t *dst, size_t w, int c)
{
    if (c == 3) {
        for (size_t x = 0; x < w; x++)
            dst[x] = pp_luma(src[3 * x], src[3 * x + 1], src[3 * x + 2]);
    } else { /* RGBA -> gray+alpha */
        for (size_t x = 0; x < w; x++) {
            dst[2 * x] = pp_luma(src[4 * x], src[4 * x + 1], src[4 * x + 2]);
            dst[2 * x + 1] = src[4 * x + 3];
        }
    }
}
