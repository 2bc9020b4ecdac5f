/* Hot loops of the rank filters, compiled once per SIMD target (simd.h).
 *
 * Small medians (3x3, 5x5) are selection networks on whole rows, in two
 * steps. prep sorts the k horizontal neighbours of each sample once per
 * input row (rank rows). rows then sorts, per rank, the k window rows
 * vertically, pruned to what can still matter: a matrix whose rows and then
 * columns are sorted keeps both orders, so
 *   3x3: the median is the median of the largest vertical value of rank 0,
 *        the median of rank 1 and the smallest of rank 2;
 *   5x5: 13 entries (i, j) remain, those with (i+1)(j+1) <= 13 and
 *        (5-i)(5-j) <= 13; 6 entries are known to be smaller and 6 larger,
 *        so the median is the 7th smallest of the 13, taken by merging their
 *        sorted lists (kth of A and B = max over i+j=k of min(A_i, B_j)),
 *        pruned by the order the matrix already has.
 * Two output rows share k-1 window rows, so rows works on pairs: it sorts the
 * shared rows once and inserts each row's own extra row.
 * Every step is a byte min or max, which the compiler turns into vector
 * instructions; there is no branch per pixel.
 *
 * Larger medians use Perreault and Hebert's constant-time histogram method
 * (see pp__median_hist_rows in rank_kern.h). Both give the exact median, so
 * the bytes do not depend on the method, the strip or the SIMD target.
 */
#include <string.h>

#include "rank_kern.h"

#define MIN8(a, b) ((a) < (b) ? (a) : (b))
#define MAX8(a, b) ((a) < (b) ? (b) : (a))
/* compare-exchange: afterwards a <= b */
#define CE(a, b)                                                                               \
    do {                                                                                       \
        uint8_t t_ = MIN8(a, b);                                                               \
        (b) = MAX8(a, b);                                                                      \
        (a) = t_;                                                                              \
    } while (0)

static inline uint8_t med3(uint8_t a, uint8_t b, uint8_t c)
{
    return MAX8(MIN8(a, b), MIN8(MAX8(a, b), c));
}

/* The k-sample neighbourhoods of the pixels within r of either edge, with
 * replicated columns, sorted into the k rank rows of dst (scalar: few). */
static void hsort_edges(const uint8_t *raw, uint8_t *dst, size_t w, size_t c, size_t r)
{
    size_t W = w * c, k = 2 * r + 1;
    for (size_t px = 0; px < w; px++) {
        if (px == r && w > 2 * r)
            px = w - r; /* the interior is vectorised elsewhere */
        for (size_t ch = 0; ch < c; ch++) {
            uint8_t v[5];
            for (size_t t = 0; t < k; t++) {
                ptrdiff_t q = (ptrdiff_t)(px + t) - (ptrdiff_t)r;
                q = q < 0 ? 0 : q >= (ptrdiff_t)w ? (ptrdiff_t)w - 1 : q;
                v[t] = raw[(size_t)q * c + ch];
            }
            for (size_t i = 1; i < k; i++)
                for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
                    uint8_t t = v[j];
                    v[j] = v[j - 1];
                    v[j - 1] = t;
                }
            for (size_t j = 0; j < k; j++)
                dst[j * W + px * c + ch] = v[j];
        }
    }
}

/* ------------------------------------------------------------------ */
/* 3x3                                                                 */
/* ------------------------------------------------------------------ */

static void hsort3(const uint8_t *restrict raw, uint8_t *restrict dst, size_t from, size_t to,
                   size_t c, size_t W)
{
    for (size_t x = from; x < to; x++) {
        uint8_t a = raw[x - c], b = raw[x], d = raw[x + c];
        CE(a, b);
        CE(b, d);
        CE(a, b);
        dst[x] = a;
        dst[W + x] = b;
        dst[2 * W + x] = d;
    }
}

void PP_K(pp__median3_prep)(const uint8_t *raw, uint8_t *prepared, size_t w, int c)
{
    size_t cs = (size_t)c, W = w * cs;
    if (w > 2)
        hsort3(raw, prepared, cs, W - cs, cs, W);
    hsort_edges(raw, prepared, w, cs, 1);
}

/* Rows y-1..y+2 (rank rows lo, mid, hi at 0, W, 2W) give rows y and y+1. */
static void med3_pair(const uint8_t *restrict r0, const uint8_t *restrict r1,
                      const uint8_t *restrict r2, const uint8_t *restrict r3,
                      uint8_t *restrict o0, uint8_t *restrict o1, size_t W)
{
    const size_t M = W, H = 2 * W;
    for (size_t x = 0; x < W; x++) {
        uint8_t lo = MAX8(r1[x], r2[x]), hi = MIN8(r1[H + x], r2[H + x]);
        uint8_t s = r1[M + x], t = r2[M + x];
        CE(s, t);
        uint8_t m0 = MAX8(s, MIN8(t, r0[M + x])), m1 = MAX8(s, MIN8(t, r3[M + x]));
        o0[x] = med3(MAX8(lo, r0[x]), m0, MIN8(hi, r0[H + x]));
        o1[x] = med3(MAX8(lo, r3[x]), m1, MIN8(hi, r3[H + x]));
    }
}

static void med3_one(const uint8_t *restrict r0, const uint8_t *restrict r1,
                     const uint8_t *restrict r2, uint8_t *restrict o, size_t W)
{
    const size_t M = W, H = 2 * W;
    for (size_t x = 0; x < W; x++) {
        uint8_t lo = MAX8(MAX8(r0[x], r1[x]), r2[x]);
        uint8_t hi = MIN8(MIN8(r0[H + x], r1[H + x]), r2[H + x]);
        o[x] = med3(lo, med3(r0[M + x], r1[M + x], r2[M + x]), hi);
    }
}

void PP_K(pp__median3_rows)(const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w,
                            int c)
{
    size_t W = w * (size_t)c, i = 0;
    for (; i + 1 < n; i += 2)
        med3_pair(in[i], in[i + 1], in[i + 2], in[i + 3], out[i], out[i + 1], W);
    if (i < n)
        med3_one(in[i], in[i + 1], in[i + 2], out[i], W);
}

/* ------------------------------------------------------------------ */
/* 5x5                                                                 */
/* ------------------------------------------------------------------ */

/* Sorts five values (an optimal 9-comparator network). Outputs a caller
 * does not use are dropped by the compiler. */
#define SORT5(v0, v1, v2, v3, v4)                                                              \
    do {                                                                                       \
        CE(v0, v3);                                                                            \
        CE(v1, v4);                                                                            \
        CE(v0, v2);                                                                            \
        CE(v1, v3);                                                                            \
        CE(v0, v1);                                                                            \
        CE(v2, v4);                                                                            \
        CE(v1, v2);                                                                            \
        CE(v3, v4);                                                                            \
        CE(v2, v3);                                                                            \
    } while (0)

#define SORT4(v0, v1, v2, v3)                                                                  \
    do {                                                                                       \
        CE(v0, v1);                                                                            \
        CE(v2, v3);                                                                            \
        CE(v0, v2);                                                                            \
        CE(v1, v3);                                                                            \
        CE(v1, v2);                                                                            \
    } while (0)

static void hsort5(const uint8_t *restrict raw, uint8_t *restrict dst, size_t from, size_t to,
                   size_t c, size_t W)
{
    for (size_t x = from; x < to; x++) {
        uint8_t v0 = raw[x - 2 * c], v1 = raw[x - c], v2 = raw[x], v3 = raw[x + c],
                v4 = raw[x + 2 * c];
        SORT5(v0, v1, v2, v3, v4);
        dst[x] = v0;
        dst[W + x] = v1;
        dst[2 * W + x] = v2;
        dst[3 * W + x] = v3;
        dst[4 * W + x] = v4;
    }
}

void PP_K(pp__median5_prep)(const uint8_t *raw, uint8_t *prepared, size_t w, int c)
{
    size_t cs = (size_t)c, W = w * cs;
    if (w > 4)
        hsort5(raw, prepared, 2 * cs, W - 2 * cs, cs, W);
    hsort_edges(raw, prepared, w, cs, 2);
}

/* The median of 25 from the 13 candidates: a = rank row 0 (vertical ranks 3,
 * 4), b = rank 1 (2, 3, 4), c = rank 2 (1, 2, 3), d = rank 3 (0, 1, 2), e =
 * rank 4 (0, 1). Each list is sorted, and the lists are ordered entry by
 * entry (a_i <= b_i <= c_i <= d_i <= e_i), which prunes the merges:
 * X = merge(a, b), Y = merge(d, e), then the 4th..7th smallest of X and Y
 * (Z), and the 7th smallest of Z and c. */
static inline uint8_t median13(uint8_t a3, uint8_t a4, uint8_t b2, uint8_t b3, uint8_t b4,
                               uint8_t c1, uint8_t c2, uint8_t c3, uint8_t d0, uint8_t d1,
                               uint8_t d2, uint8_t e0, uint8_t e1)
{
    uint8_t X0 = MIN8(a3, b2), X1 = MAX8(a3, MIN8(a4, b2));
    uint8_t X2 = MAX8(MAX8(a3, MIN8(a4, b3)), b2), X3 = MAX8(a4, b3), X4 = b4;
    uint8_t Y0 = d0, Y1 = MAX8(d0, MIN8(d1, e0)), Y2 = MAX8(d1, MIN8(d2, e0));
    uint8_t Y3 = MAX8(MAX8(d1, MIN8(d2, e1)), e0), Y4 = MAX8(d2, e1);
    uint8_t Z3 = MAX8(MAX8(MIN8(X0, Y3), MIN8(X1, Y2)), MAX8(MIN8(X2, Y1), MIN8(X3, Y0)));
    uint8_t Z4 = MAX8(MAX8(MIN8(X0, Y4), MIN8(X1, Y3)),
                      MAX8(MAX8(MIN8(X2, Y2), MIN8(X3, Y1)), MIN8(X4, Y0)));
    uint8_t Z5 = MAX8(MAX8(X0, MIN8(X1, Y4)),
                      MAX8(MAX8(MIN8(X2, Y3), MIN8(X3, Y2)), MAX8(MIN8(X4, Y1), Y0)));
    uint8_t Z6 = MAX8(MAX8(X1, MIN8(X2, Y4)), MAX8(MAX8(MIN8(X3, Y3), MIN8(X4, Y2)), Y1));
    return MAX8(MAX8(MIN8(Z6, c1), MIN8(Z5, c2)), MAX8(MIN8(Z4, c3), Z3));
}

/* Rank k of five values: q0..q3 sorted, e inserted. */
#define INS0(q0, e) MIN8(q0, e)
#define INS(qlo, qhi, e) MAX8(qlo, MIN8(qhi, e))
#define INS4(q3, e) MAX8(q3, e)

/* Loads rank row j of the four shared rows and sorts them. */
#define SHARED4(j, q0, q1, q2, q3)                                                             \
    uint8_t q0 = r1[(j)*W + x], q1 = r2[(j)*W + x], q2 = r3[(j)*W + x], q3 = r4[(j)*W + x];    \
    SORT4(q0, q1, q2, q3)

/* Rows y-2..y+3 (rank rows at j*W) give rows y and y+1. */
static void med5_pair(const uint8_t *restrict r0, const uint8_t *restrict r1,
                      const uint8_t *restrict r2, const uint8_t *restrict r3,
                      const uint8_t *restrict r4, const uint8_t *restrict r5,
                      uint8_t *restrict o0, uint8_t *restrict o1, size_t W)
{
    for (size_t x = 0; x < W; x++) {
        SHARED4(0, a0, a1, a2, a3);
        SHARED4(1, b0, b1, b2, b3);
        SHARED4(2, c0, c1, c2, c3);
        SHARED4(3, d0, d1, d2, d3);
        SHARED4(4, e0, e1, e2, e3);
        uint8_t ta = r0[x], tb = r0[W + x], tc = r0[2 * W + x], td = r0[3 * W + x],
                te = r0[4 * W + x];
        uint8_t ua = r5[x], ub = r5[W + x], uc = r5[2 * W + x], ud = r5[3 * W + x],
                ue = r5[4 * W + x];
        o0[x] = median13(INS(a2, a3, ta), INS4(a3, ta), INS(b1, b2, tb), INS(b2, b3, tb),
                         INS4(b3, tb), INS(c0, c1, tc), INS(c1, c2, tc), INS(c2, c3, tc),
                         INS0(d0, td), INS(d0, d1, td), INS(d1, d2, td), INS0(e0, te),
                         INS(e0, e1, te));
        o1[x] = median13(INS(a2, a3, ua), INS4(a3, ua), INS(b1, b2, ub), INS(b2, b3, ub),
                         INS4(b3, ub), INS(c0, c1, uc), INS(c1, c2, uc), INS(c2, c3, uc),
                         INS0(d0, ud), INS(d0, d1, ud), INS(d1, d2, ud), INS0(e0, ue),
                         INS(e0, e1, ue));
    }
}

/* Rows y-2..y+2 give row y: the shared rows are r1..r4, r0 is inserted. */
static void med5_one(const uint8_t *restrict r0, const uint8_t *restrict r1,
                     const uint8_t *restrict r2, const uint8_t *restrict r3,
                     const uint8_t *restrict r4, uint8_t *restrict o, size_t W)
{
    for (size_t x = 0; x < W; x++) {
        SHARED4(0, a0, a1, a2, a3);
        SHARED4(1, b0, b1, b2, b3);
        SHARED4(2, c0, c1, c2, c3);
        SHARED4(3, d0, d1, d2, d3);
        SHARED4(4, e0, e1, e2, e3);
        uint8_t ta = r0[x], tb = r0[W + x], tc = r0[2 * W + x], td = r0[3 * W + x],
                te = r0[4 * W + x];
        o[x] = median13(INS(a2, a3, ta), INS4(a3, ta), INS(b1, b2, tb), INS(b2, b3, tb),
                        INS4(b3, tb), INS(c0, c1, tc), INS(c1, c2, tc), INS(c2, c3, tc),
                        INS0(d0, td), INS(d0, d1, td), INS(d1, d2, td), INS0(e0, te),
                        INS(e0, e1, te));
    }
}

void PP_K(pp__median5_rows)(const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w,
                            int c)
{
    size_t W = w * (size_t)c, i = 0;
    for (; i + 1 < n; i += 2)
        med5_pair(in[i], in[i + 1], in[i + 2], in[i + 3], in[i + 4], in[i + 5], out[i],
                  out[i + 1], W);
    if (i < n)
        med5_one(in[i], in[i + 1], in[i + 2], in[i + 3], in[i + 4], out[i], W);
}

/* ------------------------------------------------------------------ */
/* Histogram median (Perreault-Hebert)                                 */
/* ------------------------------------------------------------------ */

/* Every histogram is kept cumulative within its 16 bins: entry q counts the
 * values up to bin q of its group, in 16-bit counts (a kernel holds up to
 * 255*255 values). Adding a value adds a step of ones; the bin where the
 * running count reaches the median is a branch-free binary search. The
 * 16-lane steps use the compiler's generic vector types (plain C, lowered
 * for each target), because a scalar loop of 16 inside the sweep is not
 * vectorised. */
typedef uint16_t u16x16 __attribute__((vector_size(32)));

#define STEP(i)                                                                                \
    {0 >= i, 1 >= i, 2 >= i, 3 >= i, 4 >= i, 5 >= i, 6 >= i, 7 >= i,                          \
     8 >= i, 9 >= i, 10 >= i, 11 >= i, 12 >= i, 13 >= i, 14 >= i, 15 >= i}
static const u16x16 step_at[16] = {
    STEP(0), STEP(1), STEP(2),  STEP(3),  STEP(4),  STEP(5),  STEP(6),  STEP(7),
    STEP(8), STEP(9), STEP(10), STEP(11), STEP(12), STEP(13), STEP(14), STEP(15),
};
#undef STEP

#define NO_STAMP PTRDIFF_MIN

/* A 16-bin group gains (loses) a value in bin i. */
static inline void seg_inc(uint16_t *seg, unsigned i)
{
    u16x16 v;
    memcpy(&v, seg, sizeof v);
    v += step_at[i];
    memcpy(seg, &v, sizeof v);
}

static inline void seg_dec(uint16_t *seg, unsigned i)
{
    u16x16 v;
    memcpy(&v, seg, sizeof v);
    v -= step_at[i];
    memcpy(seg, &v, sizeof v);
}

/* h += add - sub over 16 bins (sub may be NULL). */
static inline void seg_slide(uint16_t *h, const uint16_t *add, const uint16_t *sub)
{
    u16x16 v, a;
    memcpy(&v, h, sizeof v);
    memcpy(&a, add, sizeof a);
    v += a;
    if (sub) {
        memcpy(&a, sub, sizeof a);
        v -= a;
    }
    memcpy(h, &v, sizeof v);
}

/* The first bin whose cumulative count, plus `below`, reaches target; the
 * last bin always does. */
static inline int first_reaching(const uint16_t *cum, unsigned below, unsigned target)
{
    unsigned t = target - below; /* >= 1 */
    int n = 0;
    n += (cum[n + 7] < t) << 3;
    n += (cum[n + 3] < t) << 2;
    n += (cum[n + 1] < t) << 1;
    n += cum[n] < t;
    return n;
}

/* Column histograms of a stripe: coarse[j*16 + v/16] for column j, and
 * fine[((v/16)*ncol + j)*16 + v%16], so that the fine bins of one coarse bin
 * lie next to each other for neighbouring columns (rows are added column by
 * column, the kernel histogram slides along a row). */
static inline uint16_t *fine_col(uint16_t *fine, size_t ncol, size_t j, unsigned v)
{
    return fine + ((size_t)(v >> 4) * ncol + j) * 16;
}

/* Column histograms of columns [0, ncol) (samples): one more row. */
static void cols_add(uint16_t *coarse, uint16_t *fine, const uint8_t *row, size_t ncol)
{
    for (size_t j = 0; j < ncol; j++) {
        unsigned v = row[j];
        seg_inc(coarse + j * 16, v >> 4);
        seg_inc(fine_col(fine, ncol, j, v), v & 15);
    }
}

/* Column histograms: row `old` leaves, row `add` enters. */
static void cols_slide(uint16_t *coarse, uint16_t *fine, const uint8_t *old, const uint8_t *add,
                       size_t ncol)
{
    for (size_t j = 0; j < ncol; j++) {
        unsigned a = add[j], o = old[j];
        seg_dec(coarse + j * 16, o >> 4);
        seg_dec(fine_col(fine, ncol, j, o), o & 15);
        seg_inc(coarse + j * 16, a >> 4);
        seg_inc(fine_col(fine, ncol, j, a), a & 15);
    }
}

typedef struct hstripe {
    const uint16_t *coarse, *fine;
    const uint32_t *cidx; /* first column of pixel x, for x from xs-r-1 */
    size_t ncol;
    ptrdiff_t w, cs, ce; /* image width; columns [cs, ce) are held */
    ptrdiff_t xs, xe;    /* output pixels of the stripe */
    int c, r;
    unsigned target; /* the median is the target-th smallest (1-based) */
} hstripe;

/* First column of pixel x (replicated border: the table maps pixels
 * xs-r-1 .. xe+r-1 to held columns). */
static inline size_t hcol(const hstripe *s, ptrdiff_t x)
{
    return s->cidx[x - s->xs + s->r + 1];
}

/* Kernel state of one channel along a row. */
typedef struct hkern {
    _Alignas(32) uint16_t coarse[16];
    _Alignas(32) uint16_t fine[16][16];
    ptrdiff_t stamp[16]; /* pixel the fine histogram of a coarse bin is at */
} hkern;
_Static_assert(sizeof(hkern) <= PP_MEDIAN_HIST_KERN && PP_MEDIAN_HIST_KERN % 64 == 0,
               "PP_MEDIAN_HIST_KERN");

/* Brings the fine histogram of coarse bin b of channel ch to pixel x:
 * caught up column by column from where it was (Perreault-Hebert), or
 * rebuilt when that would cost more. */
static void fine_update(const hstripe *s, hkern *h, int b, ptrdiff_t x, size_t ch)
{
    const uint16_t *fine = s->fine + (size_t)b * s->ncol * 16;
    uint16_t *f = h->fine[b];
    ptrdiff_t last = h->stamp[b];
    if (last == NO_STAMP || 2 * (x - last) > 2 * s->r + 1) {
        memset(f, 0, 16 * sizeof *f);
        for (ptrdiff_t t = x - s->r; t <= x + s->r; t++)
            seg_slide(f, fine + (hcol(s, t) + ch) * 16, NULL);
    } else {
        for (ptrdiff_t t = last + 1; t <= x; t++)
            seg_slide(f, fine + (hcol(s, t + s->r) + ch) * 16,
                      fine + (hcol(s, t - s->r - 1) + ch) * 16);
    }
    h->stamp[b] = x;
}

/* One output row across the stripe, every channel in the same pass. */
static void hist_sweep(const hstripe *s, hkern *kern, uint8_t *out)
{
    size_t c = (size_t)s->c;
    for (size_t ch = 0; ch < c; ch++) {
        hkern *h = &kern[ch];
        memset(h->coarse, 0, sizeof h->coarse);
        for (int q = 0; q < 16; q++)
            h->stamp[q] = NO_STAMP;
        for (ptrdiff_t t = s->xs - s->r; t <= s->xs + s->r; t++)
            seg_slide(h->coarse, s->coarse + (hcol(s, t) + ch) * 16, NULL);
    }
    for (ptrdiff_t x = s->xs; x < s->xe; x++) {
        const uint16_t *add = s->coarse + hcol(s, x + s->r) * 16;
        const uint16_t *sub = s->coarse + hcol(s, x - s->r - 1) * 16;
        for (size_t ch = 0; ch < c; ch++) {
            hkern *h = &kern[ch];
            if (x > s->xs)
                seg_slide(h->coarse, add + ch * 16, sub + ch * 16);
            int b = first_reaching(h->coarse, 0, s->target);
            unsigned below = b ? h->coarse[b - 1] : 0;
            fine_update(s, h, b, x, ch);
            int v = first_reaching(h->fine[b], below, s->target);
            out[(size_t)x * c + ch] = (uint8_t)(b * 16 + v);
        }
    }
}

static void hist_stripe(hstripe *s, const uint8_t *const *in, size_t n, uint8_t *const *out,
                        void *scratch)
{
    size_t c = (size_t)s->c, ncol = (size_t)(s->ce - s->cs) * c, k = 2 * (size_t)s->r + 1;
    size_t off = (size_t)s->cs * c;
    hkern *kern = scratch;
    uint16_t *coarse = (uint16_t *)(void *)((uint8_t *)scratch + 4 * PP_MEDIAN_HIST_KERN);
    uint16_t *fine = coarse + ncol * 16;
    uint32_t *cidx = (uint32_t *)(void *)(fine + ncol * 256);
    for (ptrdiff_t x = s->xs - s->r - 1; x < s->xe + s->r; x++) {
        ptrdiff_t q = x < 0 ? 0 : x >= s->w ? s->w - 1 : x;
        cidx[x - s->xs + s->r + 1] = (uint32_t)((size_t)(q - s->cs) * c);
    }
    memset(coarse, 0, ncol * (16 + 256) * sizeof *coarse);
    for (size_t t = 0; t < k; t++)
        cols_add(coarse, fine, in[t] + off, ncol);
    s->coarse = coarse;
    s->fine = fine;
    s->cidx = cidx;
    s->ncol = ncol;
    for (size_t i = 0; i < n; i++) {
        if (i)
            cols_slide(coarse, fine, in[i - 1] + off, in[i - 1 + k] + off, ncol);
        hist_sweep(s, kern, out[i]);
    }
}

void PP_K(pp__median_hist_rows)(const uint8_t *const *in, size_t n, uint8_t *const *out,
                                size_t w, int c, int r, void *scratch)
{
    size_t stripe = pp__median_hist_stripe(w, c, r), k = 2 * (size_t)r + 1;
    hstripe s = {.w = (ptrdiff_t)w, .c = c, .r = r, .target = (unsigned)((k * k + 1) / 2)};
    for (size_t xs = 0; xs < w; xs += stripe) {
        size_t xe = xs + stripe < w ? xs + stripe : w;
        s.xs = (ptrdiff_t)xs;
        s.xe = (ptrdiff_t)xe;
        s.cs = xs > (size_t)r ? (ptrdiff_t)(xs - (size_t)r) : 0;
        s.ce = xe + (size_t)r < w ? (ptrdiff_t)(xe + (size_t)r) : (ptrdiff_t)w;
        hist_stripe(&s, in, n, out, scratch);
    }
}
