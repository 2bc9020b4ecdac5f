/* Hot loops of the morphology filters, compiled once per SIMD target
 * (simd.h). Plain byte loops that the compiler vectorises; min and max are
 * exact, so every copy gives the same bytes. */
#include <string.h>

#include "morph_kern.h"

#define MIN8(a, b) ((a) < (b) ? (a) : (b))
#define MAX8(a, b) ((a) < (b) ? (b) : (a))

void PP_K(pp__morph_shift)(uint8_t *restrict dst, const uint8_t *restrict src, size_t n,
                          size_t off, bool mx)
{
    const uint8_t *restrict ahead = src + off;
    if (mx)
        for (size_t x = 0; x < n; x++)
            dst[x] = MAX8(src[x], ahead[x]);
    else
        for (size_t x = 0; x < n; x++)
            dst[x] = MIN8(src[x], ahead[x]);
}

/* Interior of the direct horizontal window: bytes [from, to) of the row. */
static void hrun1_min(uint8_t *restrict dst, const uint8_t *restrict src, size_t from, size_t to,
                      size_t c)
{
    for (size_t x = from; x < to; x++)
        dst[x] = MIN8(MIN8(src[x - c], src[x]), src[x + c]);
}

static void hrun1_max(uint8_t *restrict dst, const uint8_t *restrict src, size_t from, size_t to,
                      size_t c)
{
    for (size_t x = from; x < to; x++)
        dst[x] = MAX8(MAX8(src[x - c], src[x]), src[x + c]);
}

static void hrun2_min(uint8_t *restrict dst, const uint8_t *restrict src, size_t from, size_t to,
                      size_t c)
{
    for (size_t x = from; x < to; x++)
        dst[x] = MIN8(MIN8(MIN8(src[x - 2 * c], src[x - c]), MIN8(src[x], src[x + c])),
                      src[x + 2 * c]);
}

static void hrun2_max(uint8_t *restrict dst, const uint8_t *restrict src, size_t from, size_t to,
                      size_t c)
{
    for (size_t x = from; x < to; x++)
        dst[x] = MAX8(MAX8(MAX8(src[x - 2 * c], src[x - c]), MAX8(src[x], src[x + c])),
                      src[x + 2 * c]);
}

void PP_K(pp__morph_hrun)(uint8_t *restrict dst, const uint8_t *restrict src, size_t w, int c,
                          int d, bool mx)
{
    size_t cs = (size_t)c, W = w * cs, ds = (size_t)d;
    if (d == 0) {
        memcpy(dst, src, W);
        return;
    }
    if (w > 2 * ds) { /* the interior: every neighbour is inside the row */
        if (d == 1)
            (mx ? hrun1_max : hrun1_min)(dst, src, cs, W - cs, cs);
        else
            (mx ? hrun2_max : hrun2_min)(dst, src, 2 * cs, W - 2 * cs, cs);
    }
    /* the pixels within d of an edge: neighbours outside the row are ignored */
    for (size_t px = 0; px < w; px++) {
        if (px == ds && w > 2 * ds)
            px = w - ds;
        size_t a = px > ds ? px - ds : 0, b = px + ds < w ? px + ds : w - 1;
        for (size_t ch = 0; ch < cs; ch++) {
            uint8_t v = src[a * cs + ch];
            for (size_t q = a + 1; q <= b; q++)
                v = mx ? MAX8(v, src[q * cs + ch]) : MIN8(v, src[q * cs + ch]);
            dst[px * cs + ch] = v;
        }
    }
}

/* Two output rows of a 3-row window from rows r0..r3 (they share r1, r2). */
static void v3_min(const uint8_t *restrict r0, const uint8_t *restrict r1,
                   const uint8_t *restrict r2, const uint8_t *restrict r3,
                   uint8_t *restrict o0, uint8_t *restrict o1, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        uint8_t m = MIN8(r1[x], r2[x]);
        o0[x] = MIN8(m, r0[x]);
        o1[x] = MIN8(m, r3[x]);
    }
}

static void v3_max(const uint8_t *restrict r0, const uint8_t *restrict r1,
                   const uint8_t *restrict r2, const uint8_t *restrict r3,
                   uint8_t *restrict o0, uint8_t *restrict o1, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        uint8_t m = MAX8(r1[x], r2[x]);
        o0[x] = MAX8(m, r0[x]);
        o1[x] = MAX8(m, r3[x]);
    }
}

/* The same for a 5-row window from rows r[0..6). */
static void v5_min(const uint8_t *restrict r0, const uint8_t *restrict r1,
                   const uint8_t *restrict r2, const uint8_t *restrict r3,
                   const uint8_t *restrict r4, const uint8_t *restrict r5,
                   uint8_t *restrict o0, uint8_t *restrict o1, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        uint8_t m = MIN8(MIN8(r1[x], r2[x]), MIN8(r3[x], r4[x]));
        o0[x] = MIN8(m, r0[x]);
        o1[x] = MIN8(m, r5[x]);
    }
}

static void v5_max(const uint8_t *restrict r0, const uint8_t *restrict r1,
                   const uint8_t *restrict r2, const uint8_t *restrict r3,
                   const uint8_t *restrict r4, const uint8_t *restrict r5,
                   uint8_t *restrict o0, uint8_t *restrict o1, size_t n)
{
    for (size_t x = 0; x < n; x++) {
        uint8_t m = MAX8(MAX8(r1[x], r2[x]), MAX8(r3[x], r4[x]));
        o0[x] = MAX8(m, r0[x]);
        o1[x] = MAX8(m, r5[x]);
    }
}

void PP_K(pp__morph_vpair)(const uint8_t *const *r, size_t k, uint8_t *o0, uint8_t *o1,
                           size_t n, bool mx)
{
    if (k == 3)
        (mx ? v3_max : v3_min)(r[0], r[1], r[2], r[3], o0, o1, n);
    else
        (mx ? v5_max : v5_min)(r[0], r[1], r[2], r[3], r[4], r[5], o0, o1, n);
}

void PP_K(pp__morph_pair)(uint8_t *restrict dst, const uint8_t *restrict a,
                         const uint8_t *restrict b, size_t n, bool mx)
{
    if (mx)
        for (size_t x = 0; x < n; x++)
            dst[x] = MAX8(a[x], b[x]);
    else
        for (size_t x = 0; x < n; x++)
            dst[x] = MIN8(a[x], b[x]);
}

void PP_K(pp__morph_acc)(uint8_t *restrict dst, const uint8_t *restrict a, size_t n, bool mx)
{
    if (mx)
        for (size_t x = 0; x < n; x++)
            dst[x] = MAX8(dst[x], a[x]);
    else
        for (size_t x = 0; x < n; x++)
            dst[x] = MIN8(dst[x], a[x]);
}

void PP_K(pp__morph_acc2)(uint8_t *restrict dst, const uint8_t *restrict a,
                         const uint8_t *restrict b, size_t n, bool mx)
{
    if (mx)
        for (size_t x = 0; x < n; x++)
            dst[x] = MAX8(dst[x], MAX8(a[x], b[x]));
    else
        for (size_t x = 0; x < n; x++)
            dst[x] = MIN8(dst[x], MIN8(a[x], b[x]));
}

void PP_K(pp__morph_sub)(uint8_t *restrict dst, const uint8_t *restrict a,
                        const uint8_t *restrict b, size_t n)
{
    for (size_t x = 0; x < n; x++)
        dst[x] = (uint8_t)(a[x] > b[x] ? a[x] - b[x] : 0);
}
