/* The filter registry: the families' constant tables, looked up by name, and
 * the nearest-name suggestion used by error messages. */
#include <stdlib.h>
#include <string.h>

#include "filter_impl.h"

typedef struct family {
    const pp_filter_def *defs;
    const size_t *count;
} family;

static const family families[] = {
    {pp__filters_point, &pp__filters_point_count},
    {pp__filters_convolve, &pp__filters_convolve_count},
    {pp__filters_rank, &pp__filters_rank_count},
    {pp__filters_morph, &pp__filters_morph_count},
    {pp__filters_edge, &pp__filters_edge_count},
    {pp__filters_histogram, &pp__filters_histogram_count},
    {pp__filters_geometry, &pp__filters_geometry_count},
};

#define NFAMILIES (sizeof families / sizeof families[0])

size_t pp_filter_count(void)
{
    size_t n = 0;
    for (size_t f = 0; f < NFAMILIES; f++)
        n += *families[f].count;
    return n;
}

const pp_filter_def *pp_filter_at(size_t i)
{
    for (size_t f = 0; f < NFAMILIES; f++) {
        if (i < *families[f].count)
            return &families[f].defs[i];
        i -= *families[f].count;
    }
    return NULL;
}

const pp_filter_def *pp_filter_find(const char *name)
{
    for (size_t i = 0, n = pp_filter_count(); i < n; i++)
        if (strcmp(pp_filter_at(i)->name, name) == 0)
            return pp_filter_at(i);
    return NULL;
}

int pp_filter_param_index(const pp_filter_def *f, const char *name)
{
    for (int i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return i;
    return -1;
}

const char *pp_filter_kind_name(pp_filter_kind k)
{
    static const char *const names[] = {"point", "neighbourhood", "global", "geometry"};
    return (unsigned)k < 4 ? names[k] : "?";
}

const char *pp_param_type_name(pp_param_type t)
{
    static const char *const names[] = {"int", "float", "bool", "enum", "floats"};
    return (unsigned)t < 5 ? names[t] : "?";
}

/* Levenshtein distance, capped: names are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *pp_suggest(const char *name, const char *const *names)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; names[i]; i++) {
        size_t d = edit_distance(name, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    size_t len = strlen(name);
    size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return best && best_d <= allowed ? best : NULL;
}
