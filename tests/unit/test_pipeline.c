/* Unit tests for src/pipeline: the text and JSON parsers (every error
 * message), canonical forms, plans, and properties of the executor that do
 * not depend on one filter family. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/pipeline.h"
#include "testutil.h"

/* Parses text and asserts it fails with PP_EPARSE and exactly msg. */
static void expect_error(const char *text, const char *msg)
{
    pp_err err;
    pp_pipeline *p = pp_pipeline_parse(text, &err);
    if (p) {
        pp_pipeline_free(p);
        fail_msg("\"%s\" parsed but should fail with: %s", text, msg);
    }
    assert_int_equal(err.code, PP_EPARSE);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("\"%s\":\n  got  %s\n  want %s", text, err.msg, msg);
}

static void expect_json_error(const char *json, const char *msg)
{
    pp_err err;
    pp_pipeline *p = pp_pipeline_parse_json(json, &err);
    if (p) {
        pp_pipeline_free(p);
        fail_msg("%s parsed but should fail with: %s", json, msg);
    }
    assert_int_equal(err.code, PP_EPARSE);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", json, err.msg, msg);
}

static void test_text_errors(void **state)
{
    (void)state;
    expect_error("grayscale | invrt | equalize",
                 "unknown filter \"invrt\" at column 13; did you mean \"invert\"?");
    expect_error("frobnicate", "unknown filter \"frobnicate\" at column 1 (see 'pixpipe ops')");
    expect_error("enhance alpah=2",
                 "unknown parameter \"alpah\" for enhance at column 9; did you mean \"alpha\"?");
    expect_error("enhance zzz=2", "unknown parameter \"zzz\" for enhance at column 9");
    expect_error("invert x=1", "invert takes no parameters (\"x\" at column 8)");
    expect_error("enhance alpha=500", "enhance: alpha=500 at column 15 is out of range -100..100");
    expect_error("gamma gamma=0", "gamma: gamma=0 at column 13 is out of range 0.01..100");
    expect_error("threshold mode=otsuu",
                 "threshold: mode=otsuu at column 16 is not one of binary, binary_inv, trunc, "
                 "tozero, tozero_inv, otsu; did you mean \"otsu\"?");
    expect_error("threshold mode=xyzzy",
                 "threshold: mode=xyzzy at column 16 is not one of binary, binary_inv, trunc, "
                 "tozero, tozero_inv, otsu");
    expect_error("enhance alpha=", "enhance: expected a value after \"alpha=\" at column 15");
    expect_error("enhance alpha", "enhance: expected NAME=VALUE at column 9, found \"alpha\"");
    expect_error("enhance alpha=1 alpha=2", "enhance: alpha is given twice at column 17");
    expect_error("invert || invert", "empty step at column 9: expected a filter name");
    expect_error("invert |", "empty step at column 9: expected a filter name");
    expect_error("| invert", "empty step at column 1: expected a filter name");
    expect_error("3invert", "expected a filter name at column 1, found '3'");
    expect_error("enhance alpha=abc", "enhance: alpha=abc at column 15: expected a number");
    expect_error("enhance alpha=1,2", "enhance: alpha at column 15 takes one value, not a list");
    expect_error("enhance alpha=[1", "list at column 15 is missing its closing ']'");
}

static void test_text_forms(void **state)
{
    (void)state;
    pp_err err;
    /* whitespace, list forms and booleans are flexible; the canonical form is not */
    pp_pipeline *a = pp_pipeline_parse("  grayscale|threshold   value=100 mode=tozero ", &err);
    assert_non_null(a);
    char *ca = pp_pipeline_canonical(a);
    assert_string_equal(ca, "grayscale | threshold value=100 mode=tozero maxval=255");
    free(ca);
    pp_pipeline_free(a);
    pp_pipeline *empty = pp_pipeline_parse("   ", &err);
    assert_non_null(empty);
    assert_int_equal(pp_pipeline_length(empty), 0);
    char *ce = pp_pipeline_canonical(empty);
    assert_string_equal(ce, "");
    free(ce);
    pp_pipeline_free(empty);
}

/* Text and JSON forms of the same pipeline give the same steps, the same
 * canonical text and the same plan. */
static void test_json_equals_text(void **state)
{
    (void)state;
    static const struct {
        const char *text, *json;
    } pairs[] = {
        {"grayscale | enhance alpha=1.5 beta=-3 | threshold mode=otsu",
         "[{\"op\":\"grayscale\"},{\"op\":\"enhance\",\"params\":{\"alpha\":1.5,\"beta\":-3}},"
         "{\"op\":\"threshold\",\"params\":{\"mode\":\"otsu\"}}]"},
        {"invert | gamma gamma=2 | equalize",
         "[{\"op\":\"invert\"},{\"op\":\"gamma\",\"params\":{\"gamma\":2}},{\"op\":\"equalize\"}]"},
        {"threshold value=10 mode=binary_inv maxval=200",
         "[{\"op\":\"threshold\",\"params\":{\"maxval\":200,\"mode\":\"binary_inv\",\"value\":10}}]"},
    };
    pp_format fmt = {31, 17, 3};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        pp_err err;
        pp_pipeline *t = pp_pipeline_parse(pairs[i].text, &err);
        assert_non_null(t);
        pp_pipeline *j = pp_pipeline_parse_json(pairs[i].json, &err);
        if (!j)
            fail_msg("json %s: %s", pairs[i].json, err.msg);
        char *ct = pp_pipeline_canonical(t), *cj = pp_pipeline_canonical(j);
        assert_string_equal(ct, cj);
        /* the plans explain identically */
        char *et = NULL, *ej = NULL;
        size_t lt, lj;
        FILE *ft = open_memstream(&et, &lt), *fj = open_memstream(&ej, &lj);
        pp_plan *pt = pp_plan_new(t, &fmt, &err), *pj = pp_plan_new(j, &fmt, &err);
        assert_non_null(pt);
        assert_non_null(pj);
        pp_plan_explain(pt, 0, ft);
        pp_plan_explain(pj, 0, fj);
        fclose(ft);
        fclose(fj);
        assert_string_equal(et, ej);
        free(et);
        free(ej);
        pp_plan_free(pt);
        pp_plan_free(pj);
        free(ct);
        free(cj);
        pp_pipeline_free(t);
        pp_pipeline_free(j);
    }
    /* pp_pipeline_parse_any picks the form */
    pp_err err;
    pp_pipeline *any = pp_pipeline_parse_any("  [{\"op\":\"invert\"}]", &err);
    assert_non_null(any);
    assert_int_equal(pp_pipeline_length(any), 1);
    pp_pipeline_free(any);
}

static void test_json_errors(void **state)
{
    (void)state;
    expect_json_error("{\"op\":\"invert\"}", "JSON pipeline must be an array of steps");
    expect_json_error("[{\"op\":\"inver\"}]",
                      "unknown filter \"inver\" in step 1; did you mean \"invert\"?");
    expect_json_error("[{\"op\":\"invert\"}, 3]", "step 2 is not an object {\"op\": ...}");
    expect_json_error("[{\"params\":{}}]", "step 1 has no \"op\" string");
    expect_json_error("[{\"op\":\"enhance\",\"params\":{\"alpha\":900}}]",
                      "enhance: alpha=900 in step 1 is out of range -100..100");
    expect_json_error("[{\"op\":\"enhance\",\"params\":{\"alhpa\":1}}]",
                      "unknown parameter \"alhpa\" for enhance in step 1; did you mean \"alpha\"?");
    expect_json_error("[{\"op\":\"grayscale\",\"params\":{\"x\":1}}]",
                      "grayscale takes no parameters (\"x\" in step 1)");
    expect_json_error("[{\"op\":\"enhance\",\"parms\":{}}]",
                      "step 1: unexpected key \"parms\" (use \"params\")");
    expect_json_error("[{\"op\":\"enhance\",\"params\":[1]}]",
                      "step 1: \"params\" must be an object");
    expect_json_error("[{\"op\":\"threshold\",\"params\":{\"mode\":\"otsy\"}}]",
                      "threshold: mode=otsy in step 1 is not one of binary, binary_inv, trunc, "
                      "tozero, tozero_inv, otsu; did you mean \"otsu\"?");
    pp_err err;
    assert_null(pp_pipeline_parse_json("[{\"op\": ", &err));
    assert_int_equal(err.code, PP_EPARSE);
    assert_non_null(strstr(err.msg, "JSON pipeline:"));
    assert_non_null(strstr(err.msg, "line 1"));
}

static pp_image *test_image(size_t w, size_t h, int c, unsigned seed)
{
    pp_image *im = pp_image_new(w, h, c, NULL);
    assert_non_null(im);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w * (size_t)c; x++) {
            seed = seed * 1103515245u + 12345u;
            pp_image_row(im, y)[x] = (uint8_t)(seed >> 16);
        }
    return im;
}

/* Advances p to the next lexicographic permutation; false after the last. */
static bool next_permutation(int *p, int n)
{
    int i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (p[j] <= p[i])
        j--;
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) {
        t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
    return true;
}

/* Point filters applied one at a time equal the fused pipeline, in every
 * order of a set of lookup-table filters. */
static void test_point_filters_fuse(void **state)
{
    (void)state;
    const char *ops[] = {"invert", "enhance alpha=1.3 beta=-7", "gamma gamma=0.8",
                         "threshold value=90 mode=tozero"};
    int c_list[] = {1, 2, 3, 4};
    for (int ci = 0; ci < 4; ci++) {
        pp_image *in = test_image(37, 23, c_list[ci], 7u + (unsigned)ci);
        int p[4] = {0, 1, 2, 3};
        /* all 24 orders, in lexicographic order */
        for (bool more = true; more; more = next_permutation(p, 4)) {
            char fused[256];
            snprintf(fused, sizeof fused, "%s | %s | %s | %s", ops[p[0]], ops[p[1]], ops[p[2]],
                     ops[p[3]]);
            pp_err err;
            pp_image *one = pp_apply_image(fused, in, 0, &err);
            assert_non_null(one);
            pp_image *step = NULL;
            for (int i = 0; i < 4; i++) {
                pp_image *next = pp_apply_image(ops[p[i]], step ? step : in, 0, &err);
                assert_non_null(next);
                pp_image_free(step);
                step = next;
            }
            if (!pp_image_equal(one, step))
                fail_msg("fused \"%s\" differs from step by step (channels %d)", fused,
                         c_list[ci]);
            pp_image_free(one);
            pp_image_free(step);
        }
        pp_image_free(in);
    }
}

/* The planner fuses adjacent lookup tables into one stage. */
static void test_fusion_in_plan(void **state)
{
    (void)state;
    pp_err err;
    pp_pipeline *p = pp_pipeline_parse("invert | enhance | gamma | grayscale | invert", &err);
    assert_non_null(p);
    pp_format f = {8, 8, 3};
    pp_plan *plan = pp_plan_new(p, &f, &err);
    assert_non_null(plan);
    char *text = NULL;
    size_t len;
    FILE *fp = open_memstream(&text, &len);
    pp_plan_explain(plan, 0, fp);
    fclose(fp);
    /* lut, rgb-to-gray, lut */
    int stages = 0;
    for (char *s = text; (s = strstr(s, "\nstage ")); s++)
        stages++;
    assert_int_equal(stages, 3);
    assert_non_null(strstr(text, "invert + enhance + gamma"));
    free(text);
    pp_plan_free(plan);
    pp_pipeline_free(p);
}

/* Alpha is carried through colour filters untouched. */
static void test_alpha_untouched(void **state)
{
    (void)state;
    pp_image *in = test_image(19, 11, 4, 3);
    pp_err err;
    pp_image *out = pp_apply_image("invert | equalize | enhance alpha=2", in, 3, &err);
    assert_non_null(out);
    for (size_t y = 0; y < in->height; y++)
        for (size_t x = 0; x < in->width; x++)
            assert_int_equal(pp_image_row(out, y)[4 * x + 3], pp_image_row(in, y)[4 * x + 3]);
    pp_image_free(out);
    pp_image *ga = pp_apply_image("grayscale", in, 0, &err);
    assert_non_null(ga);
    assert_int_equal(ga->channels, 2);
    for (size_t y = 0; y < in->height; y++)
        for (size_t x = 0; x < in->width; x++)
            assert_int_equal(pp_image_row(ga, y)[2 * x + 1], pp_image_row(in, y)[4 * x + 3]);
    pp_image_free(ga);
    pp_image_free(in);
}

/* enhance computed directly (AVX2) gives the bytes of its lookup table (the
 * portable path), for every input value and extreme parameters. */
static void test_enhance_kernel_equals_table(void **state)
{
    (void)state;
    pp_image *in = pp_image_new(256, 3, 3, NULL);
    assert_non_null(in);
    for (size_t y = 0; y < 3; y++)
        for (size_t x = 0; x < 256 * 3; x++)
            pp_image_row(in, y)[x] = (uint8_t)((x / 3 + y * 85) & 255);
    static const double ab[][2] = {{1.2, 10},   {-0.7, 30.5}, {100, 255},  {-100, -255},
                                   {0.001, 0},  {2.5, 0.5},   {-1.3, -20.25}, {0.5, -0.5},
                                   {33.3, 7.7}, {-3.14159, 128}};
    for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++) {
        char text[96];
        snprintf(text, sizeof text, "enhance alpha=%.6g beta=%.6g", ab[i][0], ab[i][1]);
        pp_err err;
        pp_image *fast = pp_apply_image(text, in, 0, &err);
        setenv("PIXPIPE_SIMD", "generic", 1);
        pp_image *table = pp_apply_image(text, in, 0, &err);
        unsetenv("PIXPIPE_SIMD");
        assert_non_null(fast);
        assert_non_null(table);
        if (!pp_image_equal(fast, table))
            fail_msg("%s: the direct kernel and the table differ", text);
        pp_image_free(fast);
        pp_image_free(table);
    }
    pp_image_free(in);
}

/* A cancel flag stops a run between strips with PP_ECANCELED. */
static void test_cancel(void **state)
{
    (void)state;
    pp_image *in = test_image(16, 64, 1, 5);
    pp_err err;
    pp_pipeline *p = pp_pipeline_parse("invert", &err);
    pp_format f = pp_image_format(in);
    pp_plan *plan = pp_plan_new(p, &f, &err);
    pp_cancel flag = 1;
    pp_exec_opts o;
    pp_exec_opts_default(&o);
    o.cancel = &flag;
    assert_null(pp_plan_run_image(plan, in, &o, &err));
    assert_int_equal(err.code, PP_ECANCELED);
    pp_plan_free(plan);
    pp_pipeline_free(p);
    pp_image_free(in);
}

/* pp_plan_run_into fills a caller's image with what pp_plan_run_image returns,
 * and refuses an image of another shape without touching it. */
static void test_run_into(void **state)
{
    (void)state;
    pp_image *in = test_image(40, 30, 3, 9);
    pp_err err;
    pp_pipeline *p = pp_pipeline_parse("gaussian sigma=1.5 | resize scale=0.5", &err);
    pp_format f = pp_image_format(in);
    pp_plan *plan = pp_plan_new(p, &f, &err);
    assert_non_null(plan);
    pp_exec_opts o;
    pp_exec_opts_default(&o);
    pp_image *fresh = pp_plan_run_image(plan, in, &o, &err);
    assert_non_null(fresh);
    pp_image *into = pp_image_new(20, 15, 3, &err);
    memset(into->data, 0xAB, into->stride * into->height);
    assert_int_equal(pp_plan_run_into(plan, in, into, &o, &err), 0);
    assert_true(pp_image_equal(fresh, into));
    pp_image *wrong = pp_image_new(20, 16, 3, &err);
    memset(wrong->data, 0xAB, wrong->stride * wrong->height);
    assert_int_equal(pp_plan_run_into(plan, in, wrong, &o, &err), PP_EINVAL);
    assert_non_null(strstr(err.msg, "20x16"));
    assert_int_equal(wrong->data[0], 0xAB);
    pp_image_free(wrong);
    pp_image_free(into);
    pp_image_free(fresh);
    pp_plan_free(plan);
    pp_pipeline_free(p);
    pp_image_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_errors),      cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_json_equals_text), cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_point_filters_fuse), cmocka_unit_test(test_fusion_in_plan),
        cmocka_unit_test(test_alpha_untouched),  cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_enhance_kernel_equals_table), cmocka_unit_test(test_run_into),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
