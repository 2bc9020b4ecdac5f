/* Hot loops of the "geometry" family, compiled once per SIMD target (simd.h). */
#include "simd.h"
