/* Hot loops of the "rank" family, compiled once per SIMD target (simd.h). */
#include "simd.h"
