/* Horizontal border helper shared by kernels that prefer a padded row. */
#include <string.h>

#include "filter_impl.h"

void pp__pad_row(const uint8_t *row, size_t width, int c, int r, pp_border b, uint8_t v,
                 uint8_t *dst)
{
    size_t cs = (size_t)c;
    memcpy(dst + (size_t)r * cs, row, width * cs);
    for (int i = 1; i <= r; i++) {
        uint8_t *left = dst + (size_t)(r - i) * cs;
        uint8_t *right = dst + ((size_t)r + width - 1 + (size_t)i) * cs;
        if (b == PP_BORDER_CONSTANT) {
            memset(left, v, cs);
            memset(right, v, cs);
            continue;
        }
        ptrdiff_t n = (ptrdiff_t)width;
        ptrdiff_t li = pp__border_index(-i, n, b), ri = pp__border_index(n - 1 + i, n, b);
        memcpy(left, row + (size_t)li * cs, cs);
        memcpy(right, row + (size_t)ri * cs, cs);
    }
}
