/* Hot loops of the "convolve" family, compiled once per SIMD target (simd.h). */
#include "simd.h"
