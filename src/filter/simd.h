/* Runtime dispatch for hot row kernels.
 *
 * A family keeps its hot loops in <family>_kern.c. Meson compiles every
 * *_kern.c three times on x86-64: for the baseline (PP_SIMD_AVX2=0), with
 * -mavx2 -mfma (PP_SIMD_AVX2=1), and with AVX-512 F/BW/VL/DQ/CD on 512-bit
 * vectors (PP_SIMD_AVX2=1 and PP_SIMD_AVX512=1, so explicit AVX2 code is
 * kept there). PP_K(name) gives each copy its own symbol (name_generic,
 * name_avx2, name_avx512). Plain loops are written once and the compiler
 * vectorises them for each target; FMA contraction is off in all of them, so
 * the copies give identical bytes (the golden tests check every filter).
 *
 * A stage picks its kernels when it is planned with PP_KPICK(name): the
 * widest copy the CPU (and the OS) supports, capped by PIXPIPE_SIMD=generic
 * or PIXPIPE_SIMD=avx2.
 */
#ifndef PIXPIPE_SIMD_H
#define PIXPIPE_SIMD_H

#include <stdbool.h>

#if defined(__x86_64__)
#define PP_HAVE_AVX2_BUILD 1
#else
#define PP_HAVE_AVX2_BUILD 0
#endif

#if PP_SIMD_AVX512
#define PP_K(name) name##_avx512
#elif PP_SIMD_AVX2
#define PP_K(name) name##_avx2
#else
#define PP_K(name) name##_generic
#endif

/* The kernel copies, narrowest first. */
typedef enum pp__simd_level {
    PP_SIMD_GENERIC = 0,
    PP_SIMD_LEVEL_AVX2 = 1,
    PP_SIMD_LEVEL_AVX512 = 2,
} pp__simd_level;

/* Declares every copy of a kernel: PP_KDECL(void, my_row, (const uint8_t *, ...)); */
#if PP_HAVE_AVX2_BUILD
#define PP_KDECL(ret, name, args)                                                              \
    ret name##_generic args;                                                                   \
    ret name##_avx2 args;                                                                      \
    ret name##_avx512 args
#define PP_KPICK(name)                                                                         \
    (pp__simd() == PP_SIMD_LEVEL_AVX512 ? name##_avx512                                        \
     : pp__simd() == PP_SIMD_LEVEL_AVX2 ? name##_avx2                                          \
                                        : name##_generic)
#else
#define PP_KDECL(ret, name, args) ret name##_generic args
#define PP_KPICK(name) (name##_generic)
#endif

/* The copy PP_KPICK picks now: what the CPU supports, capped by
 * PIXPIPE_SIMD (generic, avx2 or avx512) in the environment. */
pp__simd_level pp__simd(void);

/* True when the AVX2 copies, or wider ones, run. */
bool pp__simd_avx2(void);

#endif
