/* Internal representation of parsed pipelines and plans. */
#ifndef PIXPIPE_PIPELINE_IMPL_H
#define PIXPIPE_PIPELINE_IMPL_H

#include "../filter/filter_impl.h"
#include "pixpipe/pipeline.h"

typedef struct pp__step {
    const pp_filter_def *def;
    pp_param_value v[PP_MAX_PARAMS];
} pp__step;

struct pp_pipeline {
    size_t n;
    pp__step *steps;
};

/* Where a parameter value came from, for messages: "at column 13" or "". */
typedef struct pp__where {
    char text[48];
} pp__where;

/* Validates and stores a scalar value for parameter `pd` of filter `f`. */
int pp__param_set_number(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                         double v, bool is_integer, const char *shown, const pp__where *w,
                         pp_err *err);
int pp__param_set_word(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                       const char *word, const pp__where *w, pp_err *err);
int pp__param_set_list(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                       const double *vals, size_t n, const pp__where *w, pp_err *err);

/* The error for a parameter name filter f does not have, with the nearest
 * name it does have when that looks like a typo. Returns PP_EPARSE. */
int pp__param_unknown(const pp_filter_def *f, const char *name, const pp__where *w, pp_err *err);

/* Fills defaults for parameters not given. */
void pp__step_defaults(pp__step *s);

/* Appends a step for filter f (values zeroed); returns it or NULL. */
pp__step *pp__pipeline_add(pp_pipeline *p, const pp_filter_def *f, pp_err *err);

/* NULL-terminated list of every filter name (static storage). */
const char *const *pp__filter_names(void);

/* Plans: the stages, split into segments at barriers. */
struct pp_plan {
    pp_format in, out;
    size_t nstages;
    pp__stage *stages;
};

#endif
