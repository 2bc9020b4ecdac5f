/* pixpipe filters: the registry of filters and their typed parameters.
 *
 * Each filter declares its kind, its parameters (type, default, range,
 * choices) and the OpenCV call it matches. Parameter values are validated by
 * the pipeline parser against these declarations, so a filter's build
 * function only ever sees values inside their declared ranges.
 *
 * The registry is a constant table: safe to read from any thread.
 */
#ifndef PIXPIPE_FILTER_H
#define PIXPIPE_FILTER_H

#include "pixpipe/image.h"

typedef enum pp_filter_kind {
    PP_KIND_POINT,         /* output pixel depends on the same input pixel */
    PP_KIND_NEIGHBOURHOOD, /* depends on a window of input pixels (a halo) */
    PP_KIND_GLOBAL,        /* depends on the whole image (a barrier) */
    PP_KIND_GEOMETRY       /* moves pixels: size or position changes */
} pp_filter_kind;

typedef enum pp_param_type {
    PP_PARAM_INT,
    PP_PARAM_FLOAT,
    PP_PARAM_BOOL,
    PP_PARAM_ENUM,  /* one of `choices`; the value is the index */
    PP_PARAM_FLOATS /* a list of numbers, e.g. a convolution kernel */
} pp_param_type;

#define PP_MAX_PARAMS 8
#define PP_MAX_LIST 1089 /* 33x33 kernel */

typedef struct pp_param_def {
    const char *name;
    pp_param_type type;
    double def;                 /* default (ENUM: index; FLOATS: unused) */
    double min, max;            /* range (FLOATS: bounds of each element) */
    const char *const *choices; /* ENUM: NULL-terminated names */
    const char *help;
    unsigned flags;             /* PP_PARAM_ODD */
} pp_param_def;

#define PP_PARAM_ODD 1u /* INT: must be odd (kernel sizes); 0 is allowed when in range (auto) */

typedef struct pp_param_value {
    double num;    /* INT, FLOAT, BOOL (0/1), ENUM (index) */
    double *list;  /* FLOATS: owned by the pipeline */
    size_t count;  /* FLOATS: number of elements */
    bool given;    /* the user set it (else the default) */
} pp_param_value;

struct pp__planner; /* internal: see src/filter/filter_impl.h */

typedef struct pp_filter_def {
    const char *name;
    pp_filter_kind kind;
    const char *help;   /* one line */
    const char *opencv; /* the OpenCV 4.x call it matches, or NULL */
    const char *colour; /* what it does with colour and alpha */
    int nparams;
    const pp_param_def *params;
    /* Adds the filter's stages to a plan (internal). */
    int (*build)(const struct pp_filter_def *def, const pp_param_value *v,
                 struct pp__planner *pl, pp_err *err);
} pp_filter_def;

size_t pp_filter_count(void);
const pp_filter_def *pp_filter_at(size_t i);

/* By exact name; NULL when unknown. */
const pp_filter_def *pp_filter_find(const char *name);

/* Index of a parameter by name, or -1. */
int pp_filter_param_index(const pp_filter_def *f, const char *name);

const char *pp_filter_kind_name(pp_filter_kind k);

/* Which copy of the hot kernels plans made now use: "avx512", "avx2" or
 * "generic" (the CPU's widest, capped by PIXPIPE_SIMD). */
const char *pp_filter_kernels(void);
const char *pp_param_type_name(pp_param_type t);

/* The registered name nearest to `name` (edit distance), or NULL when none is
 * close enough to be a plausible typo. `names` is NULL-terminated. */
const char *pp_suggest(const char *name, const char *const *names);

#endif
