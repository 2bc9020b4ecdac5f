/* Hot loops of the point filters, compiled once per SIMD target (simd.h).
 *
 * AVX2 lookup table: a 256-entry table is 16 rows of 16 bytes. For row k,
 * sub(v, 16k) then adds_epu8(.., 0x70) leaves bit 7 clear only where the
 * high nibble of v is k (the low nibble kept), so vpshufb of row k yields
 * t[v] exactly there and zero elsewhere; OR-ing the 16 rows gives t[v].
 *
 * AVX2 enhance: 32 bytes widened to four vectors of 8 floats, a fused
 * multiply-add, the absolute value, vcvtps2dq (round half to even, the
 * default rounding mode, as lrintf) and saturating packs: exactly the table
 * enhance builds with fmaf, fabsf and lrintf, without the 16 shuffles per
 * 32 bytes a table needs.
 *
 * AVX2 RGB->gray: 16 pixels per 128-bit lane are split into R, G and B bytes
 * with vpshufb, widened to 16-bit pairs (r,g) and (b,1), and vpmaddwd with
 * (9798, 19235) and (3735, 16384) gives the exact 15-bit fixed-point sum
 * that the scalar code computes; >> 15 and two packs give the bytes.
 */
#include "point_kern.h"

#include <math.h>

#if PP_SIMD_AVX2
#include <immintrin.h>

static void lut_avx2(const uint8_t *t, const uint8_t *src, uint8_t *dst, size_t n, size_t *done)
{
    __m256i rows[16];
    for (int k = 0; k < 16; k++)
        rows[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(t + 16 * k)));
    const __m256i bias = _mm256_set1_epi8(0x70), step = _mm256_set1_epi8(16);
    size_t x = 0;
    for (; x + 32 <= n; x += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(src + x)), acc = _mm256_setzero_si256();
        for (int k = 0; k < 16; k++) {
            __m256i idx = _mm256_adds_epu8(v, bias);
            acc = _mm256_or_si256(acc, _mm256_shuffle_epi8(rows[k], idx));
            v = _mm256_sub_epi8(v, step);
        }
        _mm256_storeu_si256((__m256i *)(dst + x), acc);
    }
    *done = x;
}

static size_t enhance_avx2(float alpha, float beta, const uint8_t *src, uint8_t *dst, size_t n)
{
    const __m256 a = _mm256_set1_ps(alpha), b = _mm256_set1_ps(beta);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    size_t x = 0;
    for (; x + 32 <= n; x += 32) {
        __m256i q[4];
        for (int k = 0; k < 4; k++) {
            __m128i bytes = _mm_loadl_epi64((const __m128i *)(src + x + 8 * k));
            __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
            f = _mm256_andnot_ps(sign, _mm256_fmadd_ps(f, a, b));
            q[k] = _mm256_cvtps_epi32(f);
        }
        /* packs work per 128-bit lane: reorder the 64-bit quarters after */
        __m256i w01 = _mm256_packs_epi32(q[0], q[1]), w23 = _mm256_packs_epi32(q[2], q[3]);
        __m256i bytes = _mm256_packus_epi16(w01, w23);
        bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(dst + x), bytes);
    }
    return x;
}

/* R, G, B bytes of 16 pixels (48 bytes) in each 128-bit lane. */
static inline void split_rgb(__m256i a, __m256i b, __m256i c, __m256i *r, __m256i *g, __m256i *bl)
{
#define Z (-1)
    const __m256i ra = _mm256_setr_epi8(0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 3, 6,
                                        9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    const __m256i rb = _mm256_setr_epi8(Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z,
                                        Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z, Z, Z);
    const __m256i rc = _mm256_setr_epi8(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7, 10, 13, Z, Z, Z,
                                        Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7, 10, 13);
    const __m256i ga = _mm256_setr_epi8(1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7,
                                        10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    const __m256i gb = _mm256_setr_epi8(Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z,
                                        Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z);
    const __m256i gc = _mm256_setr_epi8(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z,
                                        Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14);
    const __m256i ba = _mm256_setr_epi8(2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8,
                                        11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);
    const __m256i bb = _mm256_setr_epi8(Z, Z, Z, Z, Z, 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z,
                                        Z, Z, 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z);
    const __m256i bc = _mm256_setr_epi8(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z,
                                        Z, Z, Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15);
#undef Z
    *r = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ra), _mm256_shuffle_epi8(b, rb)),
                         _mm256_shuffle_epi8(c, rc));
    *g = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ga), _mm256_shuffle_epi8(b, gb)),
                         _mm256_shuffle_epi8(c, gc));
    *bl = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ba), _mm256_shuffle_epi8(b, bb)),
                          _mm256_shuffle_epi8(c, bc));
}

/* Two lanes of 48 bytes: lane 0 from p, lane 1 from p + 48. */
static inline __m256i load_lanes(const uint8_t *p)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                   _mm_loadu_si128((const __m128i *)(p + 48)), 1);
}

static inline __m256i luma16(__m256i r, __m256i g, __m256i b, bool hi)
{
    const __m256i crg = _mm256_set1_epi32(9798 | (19235 << 16));
    const __m256i cb1 = _mm256_set1_epi32(3735 | (16384 << 16));
    const __m256i one = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
    __m256i rg = hi ? _mm256_unpackhi_epi8(r, zero) : _mm256_unpacklo_epi8(r, zero);
    __m256i gg = hi ? _mm256_unpackhi_epi8(g, zero) : _mm256_unpacklo_epi8(g, zero);
    __m256i bb = hi ? _mm256_unpackhi_epi8(b, zero) : _mm256_unpacklo_epi8(b, zero);
    __m256i ones = hi ? _mm256_unpackhi_epi8(one, zero) : _mm256_unpacklo_epi8(one, zero);
    __m256i p_rg_lo = _mm256_unpacklo_epi16(rg, gg), p_rg_hi = _mm256_unpackhi_epi16(rg, gg);
    __m256i p_b1_lo = _mm256_unpacklo_epi16(bb, ones), p_b1_hi = _mm256_unpackhi_epi16(bb, ones);
    __m256i s_lo = _mm256_add_epi32(_mm256_madd_epi16(p_rg_lo, crg), _mm256_madd_epi16(p_b1_lo, cb1));
    __m256i s_hi = _mm256_add_epi32(_mm256_madd_epi16(p_rg_hi, crg), _mm256_madd_epi16(p_b1_hi, cb1));
    return _mm256_packs_epi32(_mm256_srli_epi32(s_lo, 15), _mm256_srli_epi32(s_hi, 15));
}

/* 32 RGB pixels per iteration; returns how many pixels were done. */
static size_t gray_avx2(const uint8_t *src, uint8_t *dst, size_t w)
{
    size_t x = 0;
    for (; x + 32 <= w; x += 32) {
        const uint8_t *p = src + 3 * x;
        __m256i a = load_lanes(p), b = load_lanes(p + 16), c = load_lanes(p + 32);
        __m256i r, g, bl;
        split_rgb(a, b, c, &r, &g, &bl);
        __m256i y = _mm256_packus_epi16(luma16(r, g, bl, false), luma16(r, g, bl, true));
        /* lanes hold pixels 0-15 and 16-31 */
        _mm256_storeu_si256((__m256i *)(dst + x), y);
    }
    return x;
}
#endif

void PP_K(pp__lut_rows)(const uint8_t *t, const uint8_t *src, uint8_t *dst, size_t n)
{
    size_t x = 0;
#if PP_SIMD_AVX2
    lut_avx2(t, src, dst, n, &x);
#endif
    for (; x < n; x++)
        dst[x] = t[src[x]];
}

void PP_K(pp__enhance_rows)(float alpha, float beta, const uint8_t *src, uint8_t *dst, size_t n)
{
    size_t x = 0;
#if PP_SIMD_AVX2
    x = enhance_avx2(alpha, beta, src, dst, n);
#endif
    for (; x < n; x++) {
        long r = lrintf(fabsf(fmaf((float)src[x], alpha, beta)));
        dst[x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
}

void PP_K(pp__rgb_to_gray_row)(const uint8_t *src, uint8_t *dst, size_t w, int c)
{
    if (c == 3) {
        size_t x = 0;
#if PP_SIMD_AVX2
        x = gray_avx2(src, dst, w);
#endif
        for (; x < w; x++)
            dst[x] = pp_luma(src[3 * x], src[3 * x + 1], src[3 * x + 2]);
    } else { /* RGBA -> gray+alpha */
        for (size_t x = 0; x < w; x++) {
            dst[2 * x] = pp_luma(src[4 * x], src[4 * x + 1], src[4 * x + 2]);
            dst[2 * x + 1] = src[4 * x + 3];
        }
    }
}
