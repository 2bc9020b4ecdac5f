/* Unit tests for the PNM codec (src/codec/pnm.c): P5/P6 round trips, maxval
 * 255, 65535 (big-endian 16-bit, rounded) and other maxvals (rescaled),
 * header comments, truncation and header errors, seeking skips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_testutil.h"

/* A PNM file: the header text followed by `n` pixel bytes. malloc'd. */
static uint8_t *pnm_file(const char *header, const uint8_t *px, size_t n, size_t *len)
{
    size_t hl = strlen(header);
    uint8_t *b = malloc(hl + n + 1);
    assert_non_null(b);
    memcpy(b, header, hl);
    if (n)
        memcpy(b + hl, px, n);
    *len = hl + n;
    return b;
}

static void test_roundtrip_gray_rgb(void **state)
{
    (void)state;
    for (int c = 1; c <= 3; c += 2) {
        pp_image *im = ct_image_random(37, 23, c, 11u + (uint32_t)c);
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_PNM, im, NULL, &len);
        const char *want = c == 1 ? "P5\n37 23\n255\n" : "P6\n37 23\n255\n";
        assert_memory_equal(f, want, strlen(want));
        assert_int_equal(len, strlen(want) + 37 * 23 * (size_t)c);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.codec, PP_CODEC_PNM);
        assert_int_equal(info.channels, c);
        assert_int_equal(info.bit_depth, 8);
        assert_true(info.streams);
        assert_int_equal(info.icc_len, 0);
        assert_string_equal(info.color, c == 1 ? "PGM maxval 255" : "PPM maxval 255");
        ct_assert_image_equal(out, im);
        pp_image_free(out);
        pp_image_free(im);
        free(f);
    }
}

/* PNM has no alpha: gray+alpha is written as P5 and RGBA as P6, the alpha
 * channel dropped (not composited), as pp_encoder_open documents. */
static void test_alpha_dropped(void **state)
{
    (void)state;
    for (int c = 2; c <= 4; c += 2) {
        pp_image *im = ct_image_random(19, 7, c, 99u);
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_PNM, im, NULL, &len);
        assert_int_equal(f[1], c == 2 ? '5' : '6');
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, c - 1);
        for (size_t y = 0; y < im->height; y++)
            for (size_t x = 0; x < im->width; x++)
                assert_memory_equal(pp_image_row(out, y) + x * (size_t)(c - 1),
                                    pp_image_row(im, y) + x * (size_t)c, (size_t)(c - 1));
        pp_image_free(out);
        pp_image_free(im);
        free(f);
    }
}

static void test_maxval_255_handwritten(void **state)
{
    (void)state;
    const uint8_t g[6] = {0, 1, 127, 128, 254, 255};
    size_t len;
    uint8_t *f = pnm_file("P5 3 2 255\n", g, sizeof g, &len);
    pp_image *im = ct_decode_ok(f, len, NULL, NULL);
    assert_int_equal(im->width, 3);
    assert_int_equal(im->height, 2);
    assert_int_equal(im->channels, 1);
    assert_memory_equal(im->data, g, sizeof g);
    pp_image_free(im);
    free(f);

    const uint8_t rgb[6] = {10, 20, 30, 40, 50, 60};
    f = pnm_file("P6\t2\t1\t255\n", rgb, sizeof rgb, &len);
    im = ct_decode_ok(f, len, NULL, NULL);
    assert_int_equal(im->channels, 3);
    assert_memory_equal(im->data, rgb, sizeof rgb);
    pp_image_free(im);
    free(f);
}

/* Every 16-bit value once: 256x256 big-endian samples, reduced to 8 bits as
 * round(v / 257). */
static void test_maxval_65535(void **state)
{
    (void)state;
    uint8_t *px = malloc(65536 * 2);
    assert_non_null(px);
    for (unsigned v = 0; v < 65536; v++) {
        px[2 * v] = (uint8_t)(v >> 8);
        px[2 * v + 1] = (uint8_t)v;
    }
    size_t len;
    uint8_t *f = pnm_file("P5\n256 256\n65535\n", px, 65536 * 2, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.bit_depth, 16);
    assert_string_equal(info.color, "PGM maxval 65535");
    for (unsigned v = 0; v < 65536; v++) {
        unsigned want = (2 * v + 257) / 514; /* round(v / 257) */
        if (im->data[v] != want)
            fail_msg("v=%u: got %u, want %u", v, im->data[v], want);
    }
    pp_image_free(im);
    free(f);

    /* P6 16-bit: byte order matters per sample. */
    const uint8_t rgb16[6] = {0x01, 0x00, 0x00, 0x01, 0xFF, 0xFF};
    f = pnm_file("P6\n1 1\n65535\n", rgb16, sizeof rgb16, &len);
    im = ct_decode_ok(f, len, NULL, NULL);
    assert_int_equal(im->data[0], 1);   /* 256 / 257 -> 1 */
    assert_int_equal(im->data[1], 0);   /* 1 / 257 -> 0 */
    assert_int_equal(im->data[2], 255); /* 65535 -> 255 */
    pp_image_free(im);
    free(f);
    free(px);
}

/* maxval 1000 (16-bit samples) and 100 (8-bit samples) are rescaled to
 * 0..255 with rounding: round(v * 255 / maxval). */
static void test_maxval_rescaled(void **state)
{
    (void)state;
    uint8_t px[1001 * 2];
    for (unsigned v = 0; v <= 1000; v++) {
        px[2 * v] = (uint8_t)(v >> 8);
        px[2 * v + 1] = (uint8_t)v;
    }
    size_t len;
    uint8_t *f = pnm_file("P5\n1001 1\n1000\n", px, sizeof px, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.bit_depth, 16);
    for (unsigned v = 0; v <= 1000; v++) {
        unsigned want = (v * 510 + 1000) / 2000;
        if (im->data[v] != want)
            fail_msg("v=%u: got %u, want %u", v, im->data[v], want);
    }
    assert_int_equal(im->data[1000], 255);
    assert_int_equal(im->data[500], 128); /* 127.5 rounds up */
    pp_image_free(im);
    free(f);

    uint8_t small[101];
    for (unsigned v = 0; v <= 100; v++)
        small[v] = (uint8_t)v;
    f = pnm_file("P5\n101 1\n100\n", small, sizeof small, &len);
    im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.bit_depth, 8);
    for (unsigned v = 0; v <= 100; v++)
        assert_int_equal(im->data[v], (v * 510 + 100) / 200);
    pp_image_free(im);
    free(f);

    /* maxval 1: a bitmap stored as bytes. Samples over maxval clamp. */
    const uint8_t bits[4] = {0, 1, 1, 7};
    f = pnm_file("P5\n4 1\n1\n", bits, sizeof bits, &len);
    im = ct_decode_ok(f, len, NULL, NULL);
    assert_int_equal(im->data[0], 0);
    assert_int_equal(im->data[1], 255);
    assert_int_equal(im->data[3], 255);
    pp_image_free(im);
    free(f);
}

static void test_header_comments(void **state)
{
    (void)state;
    const uint8_t rgb[2 * 2 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const char *headers[] = {
        "P6\n# made by hand\n2 2\n255\n",
        "P6\n#c1\n#c2\n2\n# between width and height\n2\n# before maxval\n255\n",
        "P6 2 2 255 ",
        "P6\r\n2 2\r\n255\n",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        size_t len;
        uint8_t *f = pnm_file(headers[i], rgb, sizeof rgb, &len);
        pp_image_info info;
        pp_image *im = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.width, 2);
        assert_int_equal(info.height, 2);
        assert_memory_equal(im->data, rgb, sizeof rgb);
        pp_image_free(im);
        free(f);
    }
}

static void test_truncated_is_error(void **state)
{
    (void)state;
    uint8_t px[4 * 3 * 3] = {0};
    pp_err err;
    size_t len;
    /* One byte short of 4x3 RGB. */
    uint8_t *f = pnm_file("P6\n4 3\n255\n", px, sizeof px - 1, &len);
    assert_null(pp_decoder_open_mem(f, len, NULL, &err));
    tu_assert_err(&err, PP_ECORRUPT, "truncated");
    tu_assert_err(&err, PP_ECORRUPT, "36 bytes");
    free(f);
    /* 16-bit: half the bytes. */
    f = pnm_file("P5\n4 3\n65535\n", px, 12, &len);
    assert_null(pp_decoder_open_mem(f, len, NULL, &err));
    tu_assert_err(&err, PP_ECORRUPT, "24 bytes");
    free(f);
    /* Header only. */
    f = pnm_file("P5\n4 3\n255\n", px, 0, &len);
    assert_null(pp_decoder_open_mem(f, len, NULL, &err));
    tu_assert_err(&err, PP_ECORRUPT, "truncated");
    free(f);
}

static void test_header_errors(void **state)
{
    (void)state;
    struct {
        const char *text;
        int code;
        const char *needle;
    } cases[] = {
        {"P5\n4 3\n0\n", PP_ECORRUPT, "maxval 0"},
        {"P5\n4 3\n65536\n", PP_ECORRUPT, "maxval 65536"},
        {"P5\n4 x\n255\n", PP_ECORRUPT, "malformed header"},
        {"P5\n4", PP_ECORRUPT, "malformed header"},
        {"P5\n0 3\n255\n", PP_ECORRUPT, "empty image"},
        {"P6\n-4 3\n255\n", PP_ECORRUPT, "malformed header"},
        {"P6\n99999999999 3\n255\n", PP_ECORRUPT, "malformed header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t pad[64] = {0};
        uint8_t *f = pnm_file(cases[i].text, pad, sizeof pad, &len);
        pp_err err;
        pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
        if (d)
            fail_msg("case %zu (%s) opened", i, cases[i].text);
        tu_assert_err(&err, cases[i].code, cases[i].needle);
        free(f);
    }
    /* P4 (bitmap) and P3 (ASCII) are not handled: not recognised at all. */
    pp_err err;
    assert_null(pp_decoder_open_mem("P3\n1 1\n255\n0 0 0\n", 17, NULL, &err));
    tu_assert_err(&err, PP_EFORMAT, "match no format");
}

static void test_skip_seeks(void **state)
{
    (void)state;
    pp_image *im = ct_image_random(11, 40, 3, 5u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNM, im, NULL, &len);
    for (size_t skip = 1; skip < 40; skip += 13) {
        pp_image *part = ct_decode_after_skip(f, len, NULL, skip);
        ct_assert_rows_equal(im, skip, part);
        pp_image_free(part);
    }
    /* Skip in the middle of reading, and with a rescaled maxval. */
    pp_err err;
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    uint8_t row[33];
    assert_int_equal(pp_decoder_read(d, row, 33, 1, &err), 0);
    assert_memory_equal(row, pp_image_row(im, 0), 33);
    assert_int_equal(pp_decoder_skip(d, 10, &err), 0);
    assert_int_equal(pp_decoder_read(d, row, 33, 1, &err), 0);
    assert_memory_equal(row, pp_image_row(im, 11), 33);
    /* Past the end is refused, and the position is kept. */
    assert_int_equal(pp_decoder_skip(d, 100, &err), PP_EINVAL);
    tu_assert_err(&err, PP_EINVAL, "past the end");
    assert_int_equal(pp_decoder_row(d), 12);
    pp_decoder_free(d);
    pp_image_free(im);
    free(f);

    uint8_t px16[3 * 2 * 2];
    for (int i = 0; i < 6; i++)
        px16[2 * i] = (uint8_t)((i * 200) >> 8), px16[2 * i + 1] = (uint8_t)(i * 200);
    f = pnm_file("P5\n3 2\n1000\n", px16, sizeof px16, &len);
    pp_image *all = ct_decode_ok(f, len, NULL, NULL);
    pp_image *part = ct_decode_after_skip(f, len, NULL, 1);
    ct_assert_rows_equal(all, 1, part);
    assert_int_equal(part->data[0], (600 * 510 + 1000) / 2000);
    pp_image_free(all);
    pp_image_free(part);
    free(f);
}

static void test_file_roundtrip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "x.pgm");
    pp_image *im = ct_image_random(5, 4, 1, 3u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNM, im, NULL, &len);
    tu_write_file(path, f, len);
    pp_image_info info;
    pp_err err;
    pp_image *out = pp_decode_file(path, NULL, &info, &err);
    assert_non_null(out);
    assert_int_equal(info.codec, PP_CODEC_PNM);
    ct_assert_image_equal(out, im);
    pp_image_free(out);
    pp_image_free(im);
    free(f);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_gray_rgb),
        cmocka_unit_test(test_alpha_dropped),
        cmocka_unit_test(test_maxval_255_handwritten),
        cmocka_unit_test(test_maxval_65535),
        cmocka_unit_test(test_maxval_rescaled),
        cmocka_unit_test(test_header_comments),
        cmocka_unit_test(test_truncated_is_error),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_skip_seeks),
        cmocka_unit_test(test_file_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
