/* The dispatch decision for hot kernels; see simd.h. */
#include <stdlib.h>
#include <string.h>

#include "pixpipe/filter.h"
#include "simd.h"

/* What this CPU and OS can run. __builtin_cpu_supports also checks that the
 * OS saves the AVX and AVX-512 registers (XCR0). */
static pp__simd_level cpu_level(void)
{
#if PP_HAVE_AVX2_BUILD
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return PP_SIMD_GENERIC;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        return PP_SIMD_LEVEL_AVX512;
    return PP_SIMD_LEVEL_AVX2;
#else
    return PP_SIMD_GENERIC;
#endif
}

pp__simd_level pp__simd(void)
{
    pp__simd_level level = cpu_level();
    const char *cap = getenv("PIXPIPE_SIMD");
    if (cap && strcmp(cap, "generic") == 0)
        return PP_SIMD_GENERIC;
    if (cap && strcmp(cap, "avx2") == 0 && level > PP_SIMD_LEVEL_AVX2)
        return PP_SIMD_LEVEL_AVX2;
    return level;
}

bool pp__simd_avx2(void)
{
    return pp__simd() >= PP_SIMD_LEVEL_AVX2;
}

const char *pp_filter_kernels(void)
{
    static const char *const names[] = {"generic", "avx2", "avx512"};
    return names[pp__simd()];
}
