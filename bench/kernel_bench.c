/* Single-thread throughput of one pipeline on an already decoded image.
 *
 *   kernel_bench IMAGE PIPELINE [REPS [THREADS]]
 *
 * Decodes IMAGE once, plans PIPELINE, then times REPS runs of the plan on the
 * in-memory image (no codec, no file I/O) and prints the best and median run
 * in milliseconds and megapixels per second of input. This is what
 * bench/run_bench.sh compares with OpenCV's setNumThreads(1) on the same
 * decoded pixels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pixpipe/codec.h"
#include "pixpipe/pipeline.h"
#include "pixpipe/pool.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kernel_bench IMAGE PIPELINE [REPS [THREADS]]\n");
        return 64;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (reps < 1 || reps > 1000)
        reps = 5;
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    if (threads < 1 || threads > 1024)
        threads = 1;
    pp_exec_opts eo;
    pp_exec_opts_default(&eo);
    eo.threads = threads;
    eo.pool = threads > 1 ? pp_pool_new(threads - 1, NULL) : NULL;
    pp_err err;
    pp_image *in = pp_decode_file(argv[1], NULL, NULL, &err);
    if (!in) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 65;
    }
    pp_pipeline *pipe = pp_pipeline_parse_any(argv[2], &err);
    pp_format f = pp_image_format(in);
    pp_plan *plan = pipe ? pp_plan_new(pipe, &f, &err) : NULL;
    if (!plan) {
        fprintf(stderr, "pipeline: %s\n", err.msg);
        return 64;
    }
    uint64_t *t = calloc((size_t)reps, sizeof *t);
    for (int i = 0; i < reps; i++) {
        uint64_t t0 = pp_clock_ns();
        pp_image *out = pp_plan_run_image(plan, in, &eo, &err);
        t[i] = pp_clock_ns() - t0;
        if (!out) {
            fprintf(stderr, "run: %s\n", err.msg);
            return 70;
        }
        pp_image_free(out);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_u64);
    double mpx = (double)in->width * (double)in->height / 1e6;
    printf("best_ms=%.3f median_ms=%.3f mpx_per_s=%.1f\n", t[0] / 1e6, t[reps / 2] / 1e6,
           mpx / (t[0] / 1e9));
    free(t);
    pp_pool_free(eo.pool);
    pp_plan_free(plan);
    pp_pipeline_free(pipe);
    pp_image_free(in);
    return 0;
}
