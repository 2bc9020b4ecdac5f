/* The dispatch decision for hot kernels; see simd.h. */
#include <stdlib.h>
#include <string.h>

#include "simd.h"

bool pp__simd_avx2(void)
{
#if PP_HAVE_AVX2_BUILD
    const char *force = getenv("PIXPIPE_SIMD");
    if (force && strcmp(force, "generic") == 0)
        return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const char *pp__simd_name(void)
{
    return pp__simd_avx2() ? "avx2" : "generic";
}
