/* Rank filters: the median.
 *
 * median ksize=k is one streaming stage with a halo of k/2 rows and the
 * replicate border, like cv::medianBlur: the executor replicates rows above
 * and below the image, the kernels replicate columns. Every channel is
 * filtered on its own; alpha is restored by the executor.
 *
 * The kernels (rank_kern.c) compute the exact median, so the bytes cannot
 * depend on the algorithm, the strip height or the SIMD target:
 *   k = 3, 5   selection networks. prep sorts each input row's horizontal
 *              neighbourhoods once (the executor keeps the prepared rows in
 *              the stage's window); run selects vertically, two output rows
 *              at a time;
 *   k >= 7     Perreault-Hebert histograms. Column histograms are built from
 *              the window at the start of each run call and slide down the
 *              strip; nothing is carried between calls.
 */
#include <stdlib.h>

#include "filter_impl.h"
#include "rank_kern.h"

typedef struct median_priv {
    int k;
    /* k = 3, 5 */
    void (*prep)(const uint8_t *raw, uint8_t *prepared, size_t w, int c);
    void (*rows)(const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w, int c);
    /* k >= 7 */
    void (*hist)(const uint8_t *const *in, size_t n, uint8_t *const *out, size_t w, int c,
                 int r, void *scratch);
} median_priv;

/* ---- k = 3, 5: selection networks; prep sorts each row horizontally ---- */

static size_t median_net_prep_bytes(const pp__stage *s)
{
    const median_priv *m = s->priv;
    return (size_t)m->k * s->in.width * (size_t)s->in.channels;
}

static void median_net_prep(const pp__stage *s, const uint8_t *raw, void *prepared)
{
    const median_priv *m = s->priv;
    m->prep(raw, prepared, s->in.width, s->in.channels);
}

static void median_net_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                           uint8_t *const *out, void *scratch)
{
    (void)y0;
    (void)scratch;
    const median_priv *m = s->priv;
    m->rows((const uint8_t *const *)in, n, out, s->in.width, s->in.channels);
}

static const pp__stage_ops median_net_ops = {
    .name = "median-net",
    .prep_bytes = median_net_prep_bytes,
    .prep = median_net_prep,
    .run = median_net_run,
    .free_priv = free,
};

/* ---- k >= 7: histograms, built afresh for every strip ---- */

static void median_hist_run(const pp__stage *s, const void *const *in, size_t y0, size_t n,
                            uint8_t *const *out, void *scratch)
{
    (void)y0;
    const median_priv *m = s->priv;
    m->hist((const uint8_t *const *)in, n, out, s->in.width, s->in.channels, m->k / 2,
            scratch);
}

static size_t median_hist_scratch(const pp__stage *s, size_t rows)
{
    (void)rows;
    const median_priv *m = s->priv;
    return pp__median_hist_scratch(s->in.width, s->in.channels, m->k / 2);
}

static const pp__stage_ops median_hist_ops = {
    .name = "median-hist",
    .run = median_hist_run,
    .scratch_bytes = median_hist_scratch,
    .free_priv = free,
};

static int build_median(const pp_filter_def *d, const pp_param_value *v, pp__planner *pl,
                        pp_err *err)
{
    (void)d;
    median_priv *m = pp_calloc(1, sizeof *m, err);
    if (!m)
        return PP_ENOMEM;
    pp__stage s = {0};
    m->k = pp__pi(v, 0);
    if (m->k == 3) {
        m->prep = PP_KPICK(pp__median3_prep);
        m->rows = PP_KPICK(pp__median3_rows);
        s.ops = &median_net_ops;
    } else if (m->k == 5) {
        m->prep = PP_KPICK(pp__median5_prep);
        m->rows = PP_KPICK(pp__median5_rows);
        s.ops = &median_net_ops;
    } else {
        m->hist = PP_KPICK(pp__median_hist_rows);
        s.ops = &median_hist_ops;
    }
    s.out = *pp__planner_format(pl);
    s.halo = s.halo_x = m->k / 2;
    s.border = PP_BORDER_REPLICATE;
    s.alpha_passthrough = true;
    s.priv = m;
    return pp__planner_push(pl, &s, err);
}

static const pp_param_def median_params[] = {
    {.name = "ksize", .type = PP_PARAM_INT, .def = 3, .min = 3, .max = 255,
     .help = "window side (odd)", .flags = PP_PARAM_ODD},
};

const pp_filter_def pp__filters_rank[] = {
    {.name = "median", .kind = PP_KIND_NEIGHBOURHOOD,
     .help = "median of the ksize x ksize window (replicated border)",
     .opencv = "cv::medianBlur(src, dst, ksize)",
     .colour = "per channel; alpha untouched", .nparams = 1, .params = median_params,
     .build = build_median},
};

const size_t pp__filters_rank_count = sizeof pp__filters_rank / sizeof pp__filters_rank[0];
