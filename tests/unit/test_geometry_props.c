/* Property tests of the geometry filters, independent of OpenCV: rotations
 * by 90 applied four times, by 180 twice and flips applied twice give the
 * input back, on every channel layout and on odd sizes, whatever the strip
 * height. Also: the moves are not identities themselves, a barrier that
 * reads an in-memory input in place gives the same bytes as one that copies
 * it, and bad rectangles and sizes fail with messages naming the image. */
#include <stdio.h>
#include <string.h>

#include "pixpipe/pipeline.h"
#include "testutil.h"

typedef struct shape {
    size_t w, h;
} shape;

static const shape shapes[] = {{37, 23}, {1, 5}, {9, 1}, {3, 3}, {131, 17}};
static const size_t strips[] = {0, 1, 7};

/* Deterministic bytes that differ between neighbours (an LCG). */
static pp_image *make_image(size_t w, size_t h, int c)
{
    pp_err err;
    pp_image *im = pp_image_new(w, h, c, &err);
    assert_non_null(im);
    uint32_t s = (uint32_t)(w * 131 + h * 7 + (size_t)c);
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = pp_image_row(im, y);
        for (size_t x = 0; x < w * (size_t)c; x++) {
            s = s * 1664525u + 1013904223u;
            row[x] = (uint8_t)(s >> 24);
        }
    }
    return im;
}

static pp_image *apply(const char *pipeline, const pp_image *in, size_t strip)
{
    pp_err err;
    pp_image *out = pp_apply_image(pipeline, in, strip, &err);
    if (!out)
        fail_msg("\"%s\" on %zux%zux%d: %s", pipeline, in->width, in->height, in->channels,
                 err.msg);
    return out;
}

/* pipeline must give the input back for every shape, layout and strip. */
static void check_identity(const char *pipeline)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int c = 1; c <= 4; c++)
            for (size_t k = 0; k < sizeof strips / sizeof strips[0]; k++) {
                pp_image *in = make_image(shapes[i].w, shapes[i].h, c);
                pp_image *out = apply(pipeline, in, strips[k]);
                if (!pp_image_equal(in, out))
                    fail_msg("\"%s\" changed a %zux%zux%d image (strip %zu)", pipeline, in->width,
                             in->height, c, strips[k]);
                pp_image_free(out);
                pp_image_free(in);
            }
}

static void test_rotate90_four_times(void **state)
{
    (void)state;
    check_identity("rotate | rotate | rotate | rotate");
    check_identity("rotate angle=-90 | rotate angle=270 | rotate angle=90 | rotate angle=-270");
}

static void test_rotate180_twice(void **state)
{
    (void)state;
    check_identity("rotate angle=180 | rotate angle=-180");
}

static void test_flips_twice(void **state)
{
    (void)state;
    check_identity("flip | flip");
    check_identity("flip axis=v | flip axis=v");
    check_identity("flip axis=both | flip axis=h | flip axis=v");
}

/* One move alone changes the image (or its shape): the checks above are not
 * vacuous. */
static void test_single_moves_change(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c++) {
        pp_image *in = make_image(37, 23, c);
        pp_image *r90 = apply("rotate", in, 0);
        assert_int_equal(r90->width, 23);
        assert_int_equal(r90->height, 37);
        assert_int_equal(r90->channels, c);
        /* clockwise: the bottom-left pixel becomes the top-left one */
        assert_memory_equal(pp_image_row(r90, 0), pp_image_row(in, 22), (size_t)c);
        static const char *const moves[] = {"rotate angle=180", "flip", "flip axis=v"};
        for (size_t m = 0; m < 3; m++) {
            pp_image *out = apply(moves[m], in, 0);
            assert_false(pp_image_equal(in, out));
            pp_image_free(out);
        }
        pp_image_free(r90);
        pp_image_free(in);
    }
}

/* A first-stage barrier borrows an input image that has slack (as
 * pp_image_new makes it) and copies one that has none: same bytes. */
static void test_borrowed_input_same_bytes(void **state)
{
    (void)state;
    static const char *const ops[] = {"rotate",          "rotate angle=180",
                                      "rotate angle=270", "flip axis=v",
                                      "flip axis=both",   "rotate angle=30",
                                      "rotate angle=-17 expand=true | flip"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int c = 1; c <= 4; c++)
            for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
                pp_image *in = make_image(shapes[i].w, shapes[i].h, c);
                assert_true(in->slack >= PP_IMAGE_SLACK);
                pp_image *borrowed = apply(ops[o], in, 7);
                in->slack = 0;
                pp_image *copied = apply(ops[o], in, 7);
                if (!pp_image_equal(borrowed, copied))
                    fail_msg("\"%s\" on %zux%zux%d: the borrowed input gives other bytes", ops[o],
                             in->width, in->height, c);
                pp_image_free(borrowed);
                pp_image_free(copied);
                pp_image_free(in);
            }
}

static void expect_error(const char *pipeline, const pp_image *in, const char *needle)
{
    pp_err err;
    pp_image *out = pp_apply_image(pipeline, in, 0, &err);
    assert_null(out);
    tu_assert_err(&err, PP_EINVAL, needle);
}

static void test_bad_rectangles_and_sizes(void **state)
{
    (void)state;
    pp_image *in = make_image(10, 8, 3);
    expect_error("crop x=10", in, "10x8");
    expect_error("crop y=3 h=6", in, "10x8");
    expect_error("crop w=11", in, "not inside");
    expect_error("resize", in, "width, height or scale");
    expect_error("resize scale=0.01", in, "10x8");
    pp_image_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate90_four_times),
        cmocka_unit_test(test_rotate180_twice),
        cmocka_unit_test(test_flips_twice),
        cmocka_unit_test(test_single_moves_change),
        cmocka_unit_test(test_borrowed_input_same_bytes),
        cmocka_unit_test(test_bad_rectangles_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
