/* Hot loops of the "morph" family, compiled once per SIMD target (simd.h). */
#include "simd.h"
