/* Golden tests: every filter case against references made once with OpenCV
 * (tests/golden/make_golden.py). One cmocka test per family manifest.
 *
 * For each case the pipeline runs at strip heights 1, 7, 64 and the whole
 * image; once more with the portable kernels (PIXPIPE_SIMD=generic) and
 * once with the AVX2 ones (PIXPIPE_SIMD=avx2) instead of the widest copy the
 * CPU runs (AVX-512 where it can); and on 2, 3 and 8 threads (block-parallel, small strips
 * so even tiny images are cut into many blocks). The outputs must be
 * bit-identical to each other (strip, SIMD and thread invariance) and within
 * the case's tolerance of OpenCV:
 *   max N     every sample differs by at most N
 *   agree P   at least P percent of pixels are identical
 *
 * With a manifest path argument (argv[1]) it checks that manifest alone,
 * resolving paths against the manifest's folder: the slow sample test uses
 * this with references made at test time. --quick (argv[2]) runs each case
 * only at the default strip and on 2 threads, for large images.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/codec.h"
#include "pixpipe/pipeline.h"
#include "pixpipe/pool.h"
#include "testutil.h"

#ifndef PP_SOURCE_ROOT
#define PP_SOURCE_ROOT "."
#endif

typedef struct gcase {
    char name[64], input[512], ref[512], mode[16], pipeline[1024];
    double tol;
} gcase;

static int parse_line(char *line, gcase *c)
{
    char *f[6];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(line, "\t\n", &save); t && n < 6;
         t = strtok_r(NULL, "\t\n", &save))
        f[n++] = t;
    if (n != 6)
        return -1;
    snprintf(c->name, sizeof c->name, "%s", f[0]);
    snprintf(c->input, sizeof c->input, "%s", f[1]);
    snprintf(c->ref, sizeof c->ref, "%s", f[2]);
    snprintf(c->mode, sizeof c->mode, "%s", f[3]);
    c->tol = atof(f[4]);
    snprintf(c->pipeline, sizeof c->pipeline, "%s", f[5]);
    return 0;
}

static pp_image *load(const char *dir, const char *rel)
{
    char path[2048];
    if (rel[0] == '/')
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%s/%s", dir, rel);
    pp_decode_opts o;
    pp_decode_opts_default(&o);
    o.autorotate = false;
    pp_err err;
    pp_image *im = pp_decode_file(path, &o, NULL, &err);
    if (!im)
        fail_msg("cannot load %s: %s", path, err.msg);
    return im;
}

/* Compares out with ref under the case's tolerance; prints why not. */
static bool within(const gcase *c, const pp_image *out, const pp_image *ref)
{
    if (out->width != ref->width || out->height != ref->height ||
        out->channels != ref->channels) {
        printf("  %s %s: size %zux%zux%d, reference %zux%zux%d\n", c->name, c->input,
               out->width, out->height, out->channels, ref->width, ref->height, ref->channels);
        return false;
    }
    size_t w = out->width * (size_t)out->channels, same = 0, px = out->width * out->height;
    int maxd = 0;
    size_t mx = 0, my = 0;
    for (size_t y = 0; y < out->height; y++) {
        const uint8_t *a = pp_image_row(out, y), *b = pp_image_row(ref, y);
        for (size_t x = 0; x < out->width; x++) {
            bool eq = true;
            for (int k = 0; k < out->channels; k++) {
                int d = abs(a[x * out->channels + k] - b[x * out->channels + k]);
                if (d)
                    eq = false;
                if (d > maxd) {
                    maxd = d;
                    mx = x;
                    my = y;
                }
            }
            same += eq;
        }
    }
    (void)w;
    double agree = 100.0 * (double)same / (double)px;
    bool ok = strcmp(c->mode, "max") == 0 ? maxd <= c->tol : agree >= c->tol;
    if (!ok)
        printf("  %s %s: max diff %d at (%zu,%zu), %.3f%% identical (%s %g)\n", c->name,
               c->input, maxd, mx, my, agree, c->mode, c->tol);
    return ok;
}

static pp_pool *pool; /* 8 workers, shared by every case */

typedef struct run_cfg {
    size_t strip;
    int threads;
    const char *simd; /* PIXPIPE_SIMD for this run, or NULL */
    const char *what;
} run_cfg;

static const run_cfg runs[] = {
    {1, 1, NULL, "strip height 1"},
    {7, 1, NULL, "strip height 7"},
    {64, 1, NULL, "strip height 64"},
    {0, 1, NULL, "the default strip"},
    {100000, 1, NULL, "one strip"},
    {0, 1, "generic", "the generic kernels"},
    {0, 1, "avx2", "the AVX2 kernels"},
    {1, 2, NULL, "2 threads"},
    {7, 3, NULL, "3 threads"},
    {1, 8, NULL, "8 threads"},
    {3, 8, "generic", "8 threads, generic kernels"},
};

static size_t nruns = sizeof runs / sizeof runs[0];

static const run_cfg quick_runs[] = {
    {0, 1, NULL, "the default strip"},
    {0, 2, NULL, "2 threads"},
};

static const run_cfg *active_runs = runs;

static pp_image *run_one(const char *text, const pp_image *in, const run_cfg *r, pp_err *err)
{
    if (r->simd)
        setenv("PIXPIPE_SIMD", r->simd, 1);
    pp_pipeline *pipe = pp_pipeline_parse_any(text, err);
    pp_format f = pp_image_format(in);
    pp_plan *plan = pipe ? pp_plan_new(pipe, &f, err) : NULL;
    pp_image *out = NULL;
    if (plan) {
        pp_exec_opts o;
        pp_exec_opts_default(&o);
        o.strip_rows = r->strip;
        o.threads = r->threads;
        o.pool = r->threads > 1 ? pool : NULL;
        out = pp_plan_run_image(plan, in, &o, err);
    }
    pp_plan_free(plan);
    pp_pipeline_free(pipe);
    if (r->simd)
        unsetenv("PIXPIPE_SIMD");
    return out;
}

/* Runs one case in every configuration; returns true when it holds. */
static bool check_case(const char *dir, const gcase *c)
{
    pp_image *in = load(dir, c->input), *ref = load(dir, c->ref);
    pp_image *first = NULL;
    bool ok = true;
    for (size_t i = 0; i < nruns; i++) {
        pp_err err;
        pp_image *out = run_one(c->pipeline, in, &active_runs[i], &err);
        if (!out) {
            printf("  %s %s: pipeline \"%s\" failed (%s): %s\n", c->name, c->input,
                   c->pipeline, active_runs[i].what, err.msg);
            ok = false;
            break;
        }
        if (!first) {
            first = out;
            ok = within(c, out, ref);
            continue;
        }
        if (!pp_image_equal(first, out)) {
            printf("  %s %s: %s changes the output\n", c->name, c->input, active_runs[i].what);
            ok = false;
        }
        pp_image_free(out);
    }
    pp_image_free(first);
    pp_image_free(in);
    pp_image_free(ref);
    return ok;
}

static void run_manifest(void **state)
{
    const char *path = *state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int cases = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        gcase c;
        if (parse_line(line, &c) < 0)
            fail_msg("malformed line in %s", path);
        cases++;
        if (!check_case(dir, &c))
            failed++;
    }
    fclose(f);
    printf("%s: %d cases, %d failed\n", path, cases, failed);
    assert_true(cases > 0);
    assert_int_equal(failed, 0);
}

int main(int argc, char **argv)
{
    static char paths[64][1024];
    struct CMUnitTest tests[64];
    size_t n = 0;
    if (argc > 2 && strcmp(argv[2], "--quick") == 0) {
        active_runs = quick_runs;
        nruns = sizeof quick_runs / sizeof quick_runs[0];
    }
    if (argc > 1) {
        snprintf(paths[0], sizeof paths[0], "%s", argv[1]);
        tests[n++] = (struct CMUnitTest){argv[1], run_manifest, NULL, NULL, paths[0]};
    } else {
        const char *gdir = PP_SOURCE_ROOT "/tests/golden";
        DIR *d = opendir(gdir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) && n < 64) {
            size_t len = strlen(e->d_name);
            if (len < 10 || strcmp(e->d_name + len - 9, ".manifest") != 0)
                continue;
            snprintf(paths[n], sizeof paths[n], "%s/%s", gdir, e->d_name);
            tests[n] = (struct CMUnitTest){paths[n], run_manifest, NULL, NULL, paths[n]};
            n++;
        }
        closedir(d);
    }
    if (n == 0) {
        fprintf(stderr, "no manifests found\n");
        return 1;
    }
    pool = pp_pool_new(8, NULL);
    if (!pool)
        return 1;
    int rc = _cmocka_run_group_tests("golden", tests, n, NULL, NULL);
    pp_pool_free(pool);
    return rc;
}
