/* Kernel-level tests of fast paths that must equal a reference kernel
 * bit for bit, on inputs the golden images cannot reach.
 *
 * canny's non-maximum suppression on 16-bit magnitudes (nms16, with its
 * multiply-high sector test) against the 32-bit kernel (OpenCV's test, the
 * one the golden tests check): every gradient direction (|dx|, |dy|) up to
 * 1100 and a grid up to the 5-tap bound 24480, each sign, with neighbour
 * layouts that make each sector's choice visible (and ties, where > and >=
 * differ); then random rows with random thresholds. Every SIMD copy this
 * CPU runs is checked.
 */
#include <stdlib.h>
#include <string.h>

#include "src/filter/edge_kern.h"
#include "testutil.h"

typedef void (*nms16_fn)(const uint16_t *, const uint16_t *, const uint16_t *, const int16_t *,
                         const int16_t *, size_t, uint16_t, uint16_t, uint8_t *);

/* The copies of nms16 this CPU can run, widest last; returns how many. */
static int nms16_copies(nms16_fn *out)
{
    int n = 0;
    out[n++] = pp__canny_nms16_row_generic;
#if PP_HAVE_AVX2_BUILD
    if (pp__simd() >= PP_SIMD_LEVEL_AVX2)
        out[n++] = pp__canny_nms16_row_avx2;
    if (pp__simd() >= PP_SIMD_LEVEL_AVX512)
        out[n++] = pp__canny_nms16_row_avx512;
#endif
    return n;
}

/* Three magnitude rows (readable at -1 and w) and the gradient of the
 * middle one. */
typedef struct rows3 {
    size_t w;
    uint16_t *m16[3];
    int32_t *m32[3];
    int16_t *dx, *dy;
    uint8_t *want, *got;
} rows3;

static void rows_init(rows3 *r, size_t w)
{
    r->w = w;
    for (int k = 0; k < 3; k++) {
        r->m16[k] = calloc(w + 2, sizeof(uint16_t));
        r->m32[k] = calloc(w + 2, sizeof(int32_t));
        assert_non_null(r->m16[k]);
        assert_non_null(r->m32[k]);
        r->m16[k]++;
        r->m32[k]++;
    }
    r->dx = calloc(w, sizeof *r->dx);
    r->dy = calloc(w, sizeof *r->dy);
    r->want = malloc(w);
    r->got = malloc(w);
    assert_true(r->dx && r->dy && r->want && r->got);
}

static void rows_free(rows3 *r)
{
    for (int k = 0; k < 3; k++) {
        free(r->m16[k] - 1);
        free(r->m32[k] - 1);
    }
    free(r->dx);
    free(r->dy);
    free(r->want);
    free(r->got);
}

static void set_mag(rows3 *r, int k, ptrdiff_t x, uint16_t v)
{
    r->m16[k][x] = v;
    r->m32[k][x] = v;
}

/* Runs the 32-bit reference and every nms16 copy on the rows; fails with
 * the first pixel that differs. */
static void compare(rows3 *r, int32_t low, int32_t high, const char *what)
{
    pp__canny_nms_row_generic(r->m32[0], r->m32[1], r->m32[2], r->dx, r->dy, r->w, low, high,
                              r->want);
    uint16_t lo1 = pp__canny_thr16(low), hi1 = pp__canny_thr16(high);
    nms16_fn fn[3];
    int n = nms16_copies(fn);
    for (int c = 0; c < n; c++) {
        memset(r->got, 0xAA, r->w);
        fn[c](r->m16[0], r->m16[1], r->m16[2], r->dx, r->dy, r->w, lo1, hi1, r->got);
        for (size_t x = 0; x < r->w; x++)
            if (r->got[x] != r->want[x])
                fail_msg("%s, copy %d: pixel %zu (dx %d dy %d m %u) gives %u, reference %u", what,
                         c, x, r->dx[x], r->dy[x], r->m16[1][x], r->got[x], r->want[x]);
    }
}

/* Neighbour layouts around a pixel of magnitude m at x (x - 1 and x + 1 of
 * all three rows belong to it alone): as {l, r, ul, u, ur, dl, d, dr}
 * offsets from m. */
static const int layouts[][8] = {
    {+1, +1, -1, -1, -1, -1, -1, -1}, /* kept unless horizontal */
    {-1, -1, -1, +1, -1, -1, +1, -1}, /* kept unless vertical */
    {+1, +1, -1, -1, +1, +1, -1, -1}, /* kept only vertical or (ul, dr) diagonal */
    {-1, 0, -1, -1, -1, 0, 0, 0},     /* ties: kept horizontal or vertical (>=), not diagonal */
    {+1, +1, -1, -1, 0, -1, +1, 0},   /* ties on the diagonals: none kept */
};

/* Pixels at x = 4i + 1; x = 4i + 2 and 4i + 3 are its neighbours' columns,
 * so every tested pixel has neighbours of its own. */
static void sector_sweep(int amax, int fine, int step)
{
    const size_t per_row = 512;
    rows3 r;
    rows_init(&r, 4 * per_row);
    const uint16_t m = 30000;
    size_t slot = 0;
    for (int ax = 0; ax <= amax; ax += ax < fine ? 1 : step)
        for (int ay = 0; ay <= amax; ay += ay < fine ? 1 : step)
            for (int sign = 0; sign < 4; sign++)
                for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
                    size_t x = 4 * slot + 1;
                    const int *o = layouts[l];
                    r.dx[x] = (int16_t)(sign & 1 ? -ax : ax);
                    r.dy[x] = (int16_t)(sign & 2 ? -ay : ay);
                    set_mag(&r, 1, (ptrdiff_t)x, m);
                    set_mag(&r, 1, (ptrdiff_t)x - 1, (uint16_t)(m + o[0]));
                    set_mag(&r, 1, (ptrdiff_t)x + 1, (uint16_t)(m + o[1]));
                    for (int j = 0; j < 3; j++) {
                        set_mag(&r, 0, (ptrdiff_t)x - 1 + j, (uint16_t)(m + o[2 + j]));
                        set_mag(&r, 2, (ptrdiff_t)x - 1 + j, (uint16_t)(m + o[5 + j]));
                    }
                    if (++slot == per_row) {
                        compare(&r, 100, 20000, "sector sweep");
                        slot = 0;
                    }
                }
    if (slot)
        compare(&r, 100, 20000, "sector sweep");
    rows_free(&r);
}

static void test_nms16_sectors_small(void **state)
{
    (void)state;
    sector_sweep(1100, 1100, 1); /* every direction an aperture-3 gradient can take */
}

static void test_nms16_sectors_wide(void **state)
{
    (void)state;
    sector_sweep(24480, 0, 97); /* apertures 5 and 7 */
}

/* Random rows: magnitudes with many ties, any gradient, thresholds from 0
 * to beyond the largest magnitude. */
static void test_nms16_random(void **state)
{
    (void)state;
    rows3 r;
    rows_init(&r, 997);
    uint32_t s = 12345;
    for (int it = 0; it < 400; it++) {
        int32_t span = it % 2 ? 2040 : 48960;
        for (int k = 0; k < 3; k++)
            for (ptrdiff_t x = -1; x <= (ptrdiff_t)r.w; x++) {
                s = s * 1664525u + 1013904223u;
                uint32_t v = (s >> 8) % (uint32_t)(span + 1);
                set_mag(&r, k, x, (uint16_t)(it % 4 < 2 ? v : v / 64 * 64));
            }
        for (size_t x = 0; x < r.w; x++) {
            s = s * 1664525u + 1013904223u;
            r.dx[x] = (int16_t)((int32_t)((s >> 8) % (uint32_t)(span + 1)) - span / 2);
            s = s * 1664525u + 1013904223u;
            r.dy[x] = (int16_t)((int32_t)((s >> 8) % (uint32_t)(span + 1)) - span / 2);
        }
        s = s * 1664525u + 1013904223u;
        int32_t low = (int32_t)((s >> 8) % (uint32_t)(span + 100)) - 50;
        int32_t high = low + (int32_t)((s >> 20) % 400);
        compare(&r, low, high, "random rows");
    }
    rows_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nms16_sectors_small),
        cmocka_unit_test(test_nms16_sectors_wide),
        cmocka_unit_test(test_nms16_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
