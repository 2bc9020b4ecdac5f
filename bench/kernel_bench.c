/* Single-thread throughput of one pipeline on an already decoded image.
 *
 *   kernel_bench IMAGE PIPELINE [REPS [THREADS [OUT]]]
 *
 * Decodes IMAGE once, plans PIPELINE, then times REPS runs of the plan on the
 * in-memory image (no codec, no file I/O) and prints the best and median run
 * in milliseconds and megapixels per second of input, the least CPU time one
 * run took (best_cpu_ms, all threads), and the best time of the same runs
 * into an output image allocated once (best_reuse_ms: the kernels without
 * the page faults of a fresh 4 KiB-paged output). This is what
 * bench/run_bench.sh compares with OpenCV's setNumThreads(1) on the same
 * decoded pixels. OUT (optional) receives the last run's result as binary
 * PGM/PPM (channels 1 or 3), so the bench can compare it with OpenCV's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pixpipe/codec.h"
#include "pixpipe/pipeline.h"
#include "pixpipe/pool.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* CPU time of the whole process (all threads): on a machine shared with other
 * work it measures the kernel's own work, where wall time also counts the
 * time slices others took. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes a 1- or 3-channel image as binary PGM/PPM. */
static int write_pnm(const char *path, const pp_image *im)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || (im->channels != 1 && im->channels != 3)) {
        fprintf(stderr, "%s: cannot write a %d-channel image there\n", path, im->channels);
        if (fp)
            fclose(fp);
        return -1;
    }
    fprintf(fp, "P%c\n%zu %zu\n255\n", im->channels == 1 ? '5' : '6', im->width, im->height);
    size_t rb = im->width * (size_t)im->channels;
    for (size_t y = 0; y < im->height; y++)
        fwrite(im->data + y * im->stride, 1, rb, fp);
    if (ferror(fp) | (fclose(fp) != 0)) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kernel_bench IMAGE PIPELINE [REPS [THREADS [OUT]]]\n");
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
    uint64_t best_cpu = UINT64_MAX;
    for (int i = 0; i < reps; i++) {
        uint64_t c0 = cpu_ns();
        uint64_t t0 = pp_clock_ns();
        pp_image *out = pp_plan_run_image(plan, in, &eo, &err);
        t[i] = pp_clock_ns() - t0;
        uint64_t c = cpu_ns() - c0;
        if (c < best_cpu)
            best_cpu = c;
        if (!out) {
            fprintf(stderr, "run: %s\n", err.msg);
            return 70;
        }
        if (i == reps - 1 && argc > 5 && write_pnm(argv[5], out) < 0)
            return 73;
        pp_image_free(out);
    }
    /* The same runs into one output image allocated (and faulted in) once:
     * what the kernels cost apart from fresh pages. */
    pp_format of = pp_plan_output(plan);
    pp_image *reuse = pp_image_new(of.width, of.height, of.channels, &err);
    if (!reuse) {
        fprintf(stderr, "output: %s\n", err.msg);
        return 71;
    }
    memset(reuse->data, 1, reuse->stride * reuse->height); /* fault every page in now */
    uint64_t best_reuse = UINT64_MAX;
    for (int i = 0; i < reps; i++) {
        uint64_t t0 = pp_clock_ns();
        if (pp_plan_run_into(plan, in, reuse, &eo, &err) < 0) {
            fprintf(stderr, "run: %s\n", err.msg);
            return 70;
        }
        uint64_t d = pp_clock_ns() - t0;
        if (d < best_reuse)
            best_reuse = d;
    }
    pp_image_free(reuse);
    qsort(t, (size_t)reps, sizeof *t, cmp_u64);
    double mpx = (double)in->width * (double)in->height / 1e6;
    printf("best_ms=%.3f median_ms=%.3f mpx_per_s=%.1f best_cpu_ms=%.3f best_reuse_ms=%.3f\n",
           t[0] / 1e6, t[reps / 2] / 1e6, mpx / (t[0] / 1e9), best_cpu / 1e6, best_reuse / 1e6);
    free(t);
    pp_pool_free(eo.pool);
    pp_plan_free(plan);
    pp_pipeline_free(pipe);
    pp_image_free(in);
    return 0;
}
