/* Runtime dispatch for hot row kernels.
 *
 * A family keeps its hot loops in <family>_kern.c. Meson compiles every
 * *_kern.c twice: once for the baseline x86-64 (PP_SIMD_AVX2=0) and once
 * with -mavx2 -mfma (PP_SIMD_AVX2=1). PP_K(name) gives each copy its own
 * symbol (name_generic / name_avx2). Plain loops are written once and the
 * compiler vectorises them for each target; FMA contraction is off in both,
 * so the two copies give identical bytes (tests/unit/test_simd.c checks).
 *
 * A stage picks its kernels when it is planned with PP_KPICK(name): the AVX2
 * copy when the CPU has AVX2 and FMA, unless PIXPIPE_SIMD=generic.
 */
#ifndef PIXPIPE_SIMD_H
#define PIXPIPE_SIMD_H

#include <stdbool.h>

#if defined(__x86_64__)
#define PP_HAVE_AVX2_BUILD 1
#else
#define PP_HAVE_AVX2_BUILD 0
#endif

#if PP_SIMD_AVX2
#define PP_K(name) name##_avx2
#else
#define PP_K(name) name##_generic
#endif

/* Declares both copies of a kernel: PP_KDECL(void, my_row, (const uint8_t *, ...)); */
#if PP_HAVE_AVX2_BUILD
#define PP_KDECL(ret, name, args)                                                              \
    ret name##_generic args;                                                                   \
    ret name##_avx2 args
#define PP_KPICK(name) (pp__simd_avx2() ? name##_avx2 : name##_generic)
#else
#define PP_KDECL(ret, name, args) ret name##_generic args
#define PP_KPICK(name) (name##_generic)
#endif

/* True when the AVX2 copies should run: CPU support and no
 * PIXPIPE_SIMD=generic in the environment. */
bool pp__simd_avx2(void);

/* "avx2" or "generic": what PP_KPICK picks now. */
const char *pp__simd_name(void);

#endif
