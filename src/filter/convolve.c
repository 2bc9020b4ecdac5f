/* Filter family "convolve": being written (see src/filter/filter_impl.h). */
#include "filter_impl.h"

const pp_filter_def pp__filters_convolve[1] = {{0}};
const size_t pp__filters_convolve_count = 0;
