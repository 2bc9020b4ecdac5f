/* Kernels of the rank filters (every SIMD copy; see simd.h).
 *
 * Rows are interleaved samples: w pixels of c channels, w*c bytes. Every
 * channel is filtered on its own (neighbours are c bytes apart). The window
 * border is BORDER_REPLICATE: the caller hands out-of-image rows already
 * replicated, the kernels replicate columns themselves.
 */
#ifndef PIXPIPE_RANK_KERN_H
#define PIXPIPE_RANK_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "simd.h"

/* Small medians (k = 3 or 5) in two steps. prep sorts the k horizontal
 * neighbours of every sample of one input row: the prepared row holds k rank
 * rows of w*c bytes (rank 0 = smallest). rows then selects, per output row,
 * from the prepared rows in[0..n+k-1) of its window. */
PP_KDECL(void, pp__median3_prep, (const uint8_t *raw, uint8_t *prepared, size_t w, int c));
PP_KDECL(void, pp__median3_rows,
         (const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w, int c));
PP_KDECL(void, pp__median5_prep, (const uint8_t *raw, uint8_t *prepared, size_t w, int c));
PP_KDECL(void, pp__median5_rows,
         (const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w, int c));

/* Column stripe (pixels) of the histogram median: the column histograms of a
 * stripe and its halo (544 bytes per sample column, about 512 KB in all) stay
 * in the L2 cache. */
static inline size_t pp__median_hist_stripe(size_t w, int c, int r)
{
    size_t span = ((size_t)512 << 10) / (544 * (size_t)c), halo = 2 * (size_t)r;
    size_t s = span > halo + 64 ? span - halo : 64;
    return s < w ? s : w;
}

/* Bytes of one channel's kernel histograms (rank_kern.c checks it). */
#define PP_MEDIAN_HIST_KERN 704

/* Bytes of scratch the histogram median needs (from a 64-byte aligned
 * block): kernel state for 4 channels, column histograms, a column table. */
static inline size_t pp__median_hist_scratch(size_t w, int c, int r)
{
    size_t px = pp__median_hist_stripe(w, c, r) + 2 * (size_t)r + 1;
    return 4 * PP_MEDIAN_HIST_KERN + px * (size_t)c * 544 + px * sizeof(uint32_t);
}

/* Median of a k x k window (k = 2r+1 >= 3) for n output rows, Perreault and
 * Hebert's constant-time method: per-column coarse (16-bin) and fine
 * (256-bin) histograms slide down the strip, a kernel histogram slides along
 * each row and its fine part is brought up to date only for the coarse bin
 * that holds the median. Counts are 16-bit and cumulative within each group
 * of 16 bins, so the median's bin is found by a branch-free binary search.
 * in[0..n+2r) are the window rows (columns are replicated here); scratch
 * holds pp__median_hist_scratch bytes, 64-byte aligned. */
PP_KDECL(void, pp__median_hist_rows,
         (const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w, int c, int r,
          void *scratch));

#endif
