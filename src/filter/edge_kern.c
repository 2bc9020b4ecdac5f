/* Hot loops of the "edge" family, compiled once per SIMD target (simd.h). */
#include "simd.h"
