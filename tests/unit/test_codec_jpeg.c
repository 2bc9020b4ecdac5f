/* Unit tests for the JPEG codec (src/codec/jpeg.c). Round trips through the
 * pixpipe encoder are checked by PSNR; decoding is checked against fixtures
 * written with libjpeg directly (baseline, progressive, grayscale, CMYK with
 * and without the Adobe marker, YCCK, restart markers) made of flat colour
 * blocks at quality 100, so the expected colours follow from the formulas in
 * jpeg.c's design note. Also: encoder options, skipping, the scan limit and
 * ICC profiles split over several APP2 markers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_testutil.h"

#if PP_HAVE_JPEG

/* Occurrences of marker FF <marker> in the whole file (entropy-coded data
 * stuffs FF bytes, so SOS and RSTn are only found where they are). */
static int count_marker(const uint8_t *f, size_t len, uint8_t marker)
{
    int n = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (f[i] == 0xFF && f[i + 1] == marker)
            n++;
    return n;
}

/* Number of header segments with this marker before the first scan, found by
 * walking the segment lengths (payloads may hold any bytes). */
static int count_segments(const uint8_t *f, size_t len, uint8_t marker)
{
    int n = 0;
    size_t i = 2;
    while (i + 4 <= len && f[i] == 0xFF && f[i + 1] != 0xDA) {
        if (f[i + 1] == marker)
            n++;
        i += 2 + ((size_t)f[i + 2] << 8 | f[i + 3]);
    }
    return n;
}

/* Fails unless every pixel at least `margin` pixels inside its block x block
 * cell is within tol of want(cell colour). want has 3 bytes per colour. */
static void assert_blocks(const pp_image *im, size_t block, size_t margin, const uint8_t *want,
                          size_t ncolors, int tol)
{
    size_t bw = (im->width + block - 1) / block;
    int c = im->channels;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++) {
            size_t iy = y % block, ix = x % block;
            if (iy < margin || ix < margin || iy >= block - margin || ix >= block - margin)
                continue;
            size_t k = ((y / block) * bw + x / block) % ncolors;
            for (int ch = 0; ch < c; ch++) {
                int got = pp_image_row(im, y)[x * (size_t)c + (size_t)ch];
                int exp = want[k * (size_t)c + (size_t)ch];
                if (got - exp > tol || exp - got > tol)
                    fail_msg("pixel (%zu,%zu) ch %d of block %zu: got %d, want %d +- %d", x, y, ch,
                             k, got, exp, tol);
            }
        }
}

static const uint8_t rgb_colors[] = {
    255, 0,   0,  0,  255, 0,   0,   0,   255, 255, 255, 255, 0,  0,  0,  128, 128, 128,
    200, 100, 50, 30, 160, 220, 250, 240, 10,  90,  20,  140, 10, 90, 90, 240, 128, 200,
};
#define N_RGB (sizeof rgb_colors / 3)

static void test_roundtrip_layouts(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c++) {
        pp_image *src = ct_image_smooth(96, 64, c);
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.quality = 95;
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_JPEG, src, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        int oc = c <= 2 ? 1 : 3;
        assert_int_equal(info.codec, PP_CODEC_JPEG);
        assert_int_equal(info.channels, oc);
        assert_int_equal(info.bit_depth, 8);
        assert_int_equal(info.width, 96);
        assert_int_equal(info.height, 64);
        assert_false(info.progressive);
        assert_true(info.streams);
        assert_string_equal(info.color, oc == 1 ? "gray" : "YCbCr 4:2:0");
        /* Alpha is dropped, not composited: compare with the colour channels. */
        pp_image *want = ct_convert(src, oc);
        double psnr = ct_psnr(out, want, oc);
        if (psnr < 38.0)
            fail_msg("%d channels: PSNR %.2f dB", c, psnr);
        pp_image_free(want);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

static void test_quality(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(64, 64, 3, 21u);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    size_t len[3];
    static const int q[3] = {20, 60, 95};
    double psnr[3];
    for (int i = 0; i < 3; i++) {
        eo.quality = q[i];
        uint8_t *f = ct_encode_ok(PP_CODEC_JPEG, src, &eo, &len[i]);
        pp_image *out = ct_decode_ok(f, len[i], NULL, NULL);
        psnr[i] = ct_psnr(out, src, 3);
        pp_image_free(out);
        free(f);
    }
    assert_true(len[0] < len[1]);
    assert_true(len[1] < len[2]);
    assert_true(psnr[0] < psnr[1]);
    assert_true(psnr[1] < psnr[2]);
    pp_err err;
    size_t n;
    eo.quality = 0;
    assert_null(ct_encode(PP_CODEC_JPEG, src, &eo, NULL, 0, &n, &err));
    tu_assert_err(&err, PP_EINVAL, "quality 0 is outside 1..100");
    eo.quality = 101;
    assert_null(ct_encode(PP_CODEC_JPEG, src, &eo, NULL, 0, &n, &err));
    tu_assert_err(&err, PP_EINVAL, "quality 101");
    pp_image_free(src);
}

static void test_subsampling(void **state)
{
    (void)state;
    static const struct {
        pp_subsamp s;
        const char *name;
    } cases[] = {{PP_SUBSAMP_444, "YCbCr 4:4:4"},
                 {PP_SUBSAMP_422, "YCbCr 4:2:2"},
                 {PP_SUBSAMP_420, "YCbCr 4:2:0"}};
    pp_image *noisy = ct_image_random(64, 48, 3, 4u);
    pp_image *blocks = ct_image_blocks(64, 48, 3, 8, rgb_colors, N_RGB);
    size_t prev_len = 0;
    for (size_t i = 0; i < 3; i++) {
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.quality = 95;
        eo.subsamp = cases[i].s;
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_JPEG, noisy, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_string_equal(info.color, cases[i].name);
        /* Less chroma, smaller file. */
        if (i > 0)
            assert_true(len < prev_len);
        prev_len = len;
        pp_image_free(out);
        free(f);
        /* Full-resolution chroma keeps 8x8 colour blocks apart. */
        if (cases[i].s == PP_SUBSAMP_444) {
            f = ct_encode_ok(PP_CODEC_JPEG, blocks, &eo, &len);
            out = ct_decode_ok(f, len, NULL, NULL);
            assert_blocks(out, 8, 1, rgb_colors, N_RGB, 6);
            pp_image_free(out);
            free(f);
        }
    }
    pp_image_free(noisy);
    pp_image_free(blocks);
}

static void test_progressive_encode(void **state)
{
    (void)state;
    pp_image *src = ct_image_smooth(80, 56, 3);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.quality = 95;
    eo.progressive = true;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_JPEG, src, &eo, &len);
    assert_int_equal(count_segments(f, len, 0xC2), 1); /* SOF2 */
    assert_true(count_marker(f, len, 0xDA) > 1);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_true(info.progressive);
    assert_false(info.streams);
    assert_true(ct_psnr(out, src, 3) > 38.0);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

/* ---- fixtures written with libjpeg ---- */

static uint8_t *rgb_fixture(const ct_jpeg_opts *o, size_t *len, pp_image **src_out)
{
    pp_image *src = ct_image_blocks(80, 48, 3, 16, rgb_colors, N_RGB);
    uint8_t *f = ct_jpeg_write(src->data, src->width, src->height, 3, o, len);
    *src_out = src;
    return f;
}

static void test_fixture_baseline_progressive(void **state)
{
    (void)state;
    for (int prog = 0; prog <= 1; prog++) {
        ct_jpeg_opts o = {.quality = 100, .adobe = -1, .progressive = prog};
        pp_image *src;
        size_t len;
        uint8_t *f = rgb_fixture(&o, &len, &src);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, 3);
        assert_int_equal(info.progressive, prog);
        assert_int_equal(info.streams, !prog);
        assert_string_equal(info.color, "YCbCr 4:2:0");
        assert_blocks(out, 16, 2, rgb_colors, N_RGB, 3);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

/* The colour description names the sampling found in the file, and RGB
 * stored without the YCbCr transform decodes as such. */
static void test_fixture_sampling_names(void **state)
{
    (void)state;
    static const struct {
        int h0, v0;
        J_COLOR_SPACE cs;
        const char *name;
    } cases[] = {
        {1, 1, JCS_UNKNOWN, "YCbCr 4:4:4"}, {2, 1, JCS_UNKNOWN, "YCbCr 4:2:2"},
        {2, 2, JCS_UNKNOWN, "YCbCr 4:2:0"}, {1, 2, JCS_UNKNOWN, "YCbCr 4:4:0"},
        {4, 1, JCS_UNKNOWN, "YCbCr 4:1:1"}, {1, 1, JCS_RGB, "RGB 4:4:4"},
    };
    pp_image *src = ct_image_blocks(64, 32, 3, 16, rgb_colors, N_RGB);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_jpeg_opts o = {.quality = 100,
                          .adobe = -1,
                          .jpeg_cs = cases[i].cs,
                          .h0 = cases[i].h0,
                          .v0 = cases[i].v0};
        size_t len;
        uint8_t *f = ct_jpeg_write(src->data, 64, 32, 3, &o, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_string_equal(info.color, cases[i].name);
        assert_blocks(out, 16, 4, rgb_colors, N_RGB, cases[i].cs == JCS_RGB ? 1 : 3);
        pp_image_free(out);
        free(f);
    }
    pp_image_free(src);
}

static void test_fixture_gray(void **state)
{
    (void)state;
    static const uint8_t g[] = {0, 255, 17, 128, 200, 64, 99, 250};
    pp_image *src = ct_image_blocks(40, 24, 1, 8, g, sizeof g);
    for (int prog = 0; prog <= 1; prog++) {
        ct_jpeg_opts o = {.quality = 100, .adobe = -1, .progressive = prog};
        size_t len;
        uint8_t *f = ct_jpeg_write(src->data, 40, 24, 1, &o, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, 1);
        assert_string_equal(info.color, "gray");
        /* Flat 8x8 blocks at quality 100 keep their exact value. */
        ct_assert_image_near(out, src, 1);
        pp_image_free(out);
        free(f);
    }
    pp_image_free(src);
}

static const uint8_t cmyk_colors[] = {
    0,   0,   0,   0,  255, 0,  0,  0,   0,   255, 0,   0,   0,  0,   255, 0,   0,   0, 0,   255,
    100, 150, 200, 50, 30,  60, 90, 120, 255, 255, 255, 255, 10, 200, 60,  180, 250, 5, 128, 30,
};
#define N_CMYK (sizeof cmyk_colors / 4)

static uint8_t mul_div255(unsigned a, unsigned b)
{
    return (uint8_t)((a * b + 127) / 255);
}

/* Expected RGB per CMYK colour: normal CMYK R = (255-C)(255-K)/255, Adobe
 * (inverted) R = C*K/255. */
static void cmyk_expected(bool adobe, uint8_t *rgb)
{
    for (size_t i = 0; i < N_CMYK; i++) {
        const uint8_t *p = cmyk_colors + 4 * i;
        for (int k = 0; k < 3; k++)
            rgb[3 * i + (size_t)k] =
                adobe ? mul_div255(p[k], p[3]) : mul_div255(255u - p[k], 255u - p[3]);
    }
}

static void check_cmyk(J_COLOR_SPACE jcs, int adobe, bool expect_inverted, const char *color,
                       int tol)
{
    pp_image *src = ct_image_blocks(80, 32, 4, 16, cmyk_colors, N_CMYK);
    ct_jpeg_opts o = {.quality = 100, .in_cs = JCS_CMYK, .jpeg_cs = jcs, .adobe = adobe};
    size_t len;
    uint8_t *f = ct_jpeg_write(src->data, 80, 32, 4, &o, &len);
    /* The Adobe APP14 marker is there exactly when asked for. */
    bool has_adobe = false;
    for (size_t i = 0; i + 9 < len; i++)
        if (f[i] == 0xFF && f[i + 1] == 0xEE && memcmp(f + i + 4, "Adobe", 5) == 0)
            has_adobe = true;
    assert_int_equal(has_adobe, expect_inverted);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 3);
    assert_string_equal(info.color, color);
    uint8_t want[N_CMYK * 3];
    cmyk_expected(expect_inverted, want);
    assert_blocks(out, 16, 2, want, N_CMYK, tol);
    /* Skipping works on the CMYK path too. */
    pp_image *part = ct_decode_after_skip(f, len, NULL, 17);
    ct_assert_rows_equal(out, 17, part);
    pp_image_free(part);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

static void test_fixture_cmyk_plain(void **state)
{
    (void)state;
    check_cmyk(JCS_CMYK, 0, false, "CMYK", 3);
}

static void test_fixture_cmyk_adobe(void **state)
{
    (void)state;
    check_cmyk(JCS_CMYK, 1, true, "CMYK (Adobe, inverted)", 3);
}

static void test_fixture_ycck(void **state)
{
    (void)state;
    /* YCCK always carries the Adobe marker (its transform flag says YCCK). */
    check_cmyk(JCS_YCCK, -1, true, "YCCK (Adobe, inverted)", 4);
}

static void test_fixture_restart_markers(void **state)
{
    (void)state;
    ct_jpeg_opts plain = {.quality = 100, .adobe = -1};
    ct_jpeg_opts rst = {.quality = 100, .adobe = -1, .restart_interval = 1};
    pp_image *src;
    size_t len_plain, len_rst;
    uint8_t *f_plain = rgb_fixture(&plain, &len_plain, &src);
    pp_image_free(src);
    uint8_t *f_rst = rgb_fixture(&rst, &len_rst, &src);
    /* 80x48 at 4:2:0 is 5x3 MCUs: a marker between each pair. */
    assert_int_equal(count_segments(f_rst, len_rst, 0xDD), 1); /* DRI */
    int rst_markers = 0;
    for (uint8_t m = 0xD0; m <= 0xD7; m++)
        rst_markers += count_marker(f_rst, len_rst, m);
    assert_int_equal(rst_markers, 14);
    assert_int_equal(count_marker(f_plain, len_plain, 0xD0), 0);
    /* Restart markers change the entropy coding, never the pixels. */
    pp_image *a = ct_decode_ok(f_plain, len_plain, NULL, NULL);
    pp_image *b = ct_decode_ok(f_rst, len_rst, NULL, NULL);
    ct_assert_image_equal(a, b);
    assert_blocks(b, 16, 2, rgb_colors, N_RGB, 3);
    pp_image *part = ct_decode_after_skip(f_rst, len_rst, NULL, 20);
    ct_assert_rows_equal(b, 20, part);
    pp_image_free(part);
    pp_image_free(a);
    pp_image_free(b);
    pp_image_free(src);
    free(f_plain);
    free(f_rst);
}

/* pp_decoder_skip then read gives the rows a straight read gives, for every
 * sampling, baseline and progressive, at any skip count. */
static void test_skip(void **state)
{
    (void)state;
    pp_image *src = ct_image_smooth(72, 90, 3);
    static const int hv[][2] = {{1, 1}, {2, 1}, {2, 2}};
    for (int prog = 0; prog <= 1; prog++)
        for (size_t s = 0; s < 3; s++) {
            ct_jpeg_opts o = {
                .quality = 90, .adobe = -1, .progressive = prog, .h0 = hv[s][0], .v0 = hv[s][1]};
            size_t len;
            uint8_t *f = ct_jpeg_write(src->data, 72, 90, 3, &o, &len);
            pp_image *all = ct_decode_ok(f, len, NULL, NULL);
            static const size_t skips[] = {1, 7, 8, 15, 16, 17, 33, 89};
            for (size_t k = 0; k < sizeof skips / sizeof skips[0]; k++) {
                pp_image *part = ct_decode_after_skip(f, len, NULL, skips[k]);
                ct_assert_rows_equal(all, skips[k], part);
                pp_image_free(part);
            }
            /* Read some, skip some, read the rest. */
            pp_err err;
            pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
            assert_non_null(d);
            pp_image *buf = ct_image_random(72, 90, 3, 1u);
            assert_int_equal(pp_decoder_read(d, buf->data, buf->stride, 5, &err), 0);
            assert_int_equal(pp_decoder_skip(d, 30, &err), 0);
            assert_int_equal(pp_decoder_read(d, pp_image_row(buf, 35), buf->stride, 55, &err), 0);
            assert_memory_equal(buf->data, all->data, 5 * buf->stride);
            assert_memory_equal(pp_image_row(buf, 35), pp_image_row(all, 35), 55 * buf->stride);
            pp_decoder_free(d);
            pp_image_free(buf);
            pp_image_free(all);
            free(f);
        }
    pp_image_free(src);
}

/* A progressive file with more scans than max_scans fails with PP_ELIMIT
 * naming the limit; at the file's scan count it decodes. */
static void test_max_scans(void **state)
{
    (void)state;
    ct_jpeg_opts o = {.quality = 90, .adobe = -1, .progressive = true};
    pp_image *src;
    size_t len;
    uint8_t *f = rgb_fixture(&o, &len, &src);
    int scans = count_marker(f, len, 0xDA);
    assert_int_equal(scans, 10); /* jpeg_simple_progression for YCbCr */
    pp_decode_opts d = ct_dopts(true);
    d.limits.max_scans = 3;
    pp_err err;
    pp_image *out = ct_decode(f, len, &d, NULL, &err);
    assert_null(out);
    tu_assert_err(&err, PP_ELIMIT, "max-scans");
    tu_assert_err(&err, PP_ELIMIT, "more than 3 scans");
    tu_assert_err(&err, PP_ELIMIT, "at least 4");
    /* The limit also stops a skip (which starts the decompressor). */
    pp_decoder *dec = pp_decoder_open_mem(f, len, &d, &err);
    assert_non_null(dec);
    assert_int_equal(pp_decoder_skip(dec, 4, &err), PP_ELIMIT);
    tu_assert_err(&err, PP_ELIMIT, "max-scans");
    pp_decoder_free(dec);
    d.limits.max_scans = (unsigned)scans;
    out = ct_decode_ok(f, len, &d, NULL);
    assert_blocks(out, 16, 2, rgb_colors, N_RGB, 4);
    pp_image_free(out);
    /* Baseline: one scan, passes max_scans 1. */
    free(f);
    pp_image_free(src);
    o.progressive = false;
    f = rgb_fixture(&o, &len, &src);
    d.limits.max_scans = 1;
    out = ct_decode_ok(f, len, &d, NULL);
    pp_image_free(out);
    free(f);
    pp_image_free(src);
}

/* ICC profiles over 65519 bytes are split across several APP2 markers; they
 * come back whole, both from pixpipe's encoder and from libjpeg's writer. */
static void test_icc_multi_marker(void **state)
{
    (void)state;
    size_t icc_len = 150000;
    uint8_t *icc = malloc(icc_len);
    assert_non_null(icc);
    for (size_t i = 0; i < icc_len; i++)
        icc[i] = (uint8_t)(i * 131 + (i >> 9));
    pp_image *src = ct_image_smooth(32, 16, 3);
    pp_err err;
    size_t len;
    uint8_t *f = ct_encode(PP_CODEC_JPEG, src, NULL, icc, icc_len, &len, &err);
    assert_non_null(f);
    assert_int_equal(count_segments(f, len, 0xE2), 3);
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    size_t n;
    const uint8_t *got = pp_decoder_icc(d, &n);
    assert_int_equal(n, icc_len);
    assert_memory_equal(got, icc, icc_len);
    assert_int_equal(pp_decoder_info(d)->icc_len, icc_len);
    pp_decoder_free(d);
    free(f);

    ct_jpeg_opts o = {.quality = 80, .adobe = -1, .icc = icc, .icc_len = 500};
    f = ct_jpeg_write(src->data, 32, 16, 3, &o, &len);
    d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    got = pp_decoder_icc(d, &n);
    assert_int_equal(n, 500);
    assert_memory_equal(got, icc, 500);
    pp_decoder_free(d);
    free(f);
    free(icc);
    pp_image_free(src);
}

static void test_corrupt(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(64, 64, 3, 5u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_JPEG, src, NULL, &len);
    pp_err err;
    /* Cut in the entropy-coded data: the header opens, the rows fail rather
     * than coming back grey. */
    pp_image *out = ct_decode(f, len / 2, NULL, NULL, &err);
    assert_null(out);
    assert_int_equal(err.code, PP_ECORRUPT);
    assert_non_null(strstr(err.msg, "JPEG: "));
    /* Cut inside the header. */
    assert_null(pp_decoder_open_mem(f, 40, NULL, &err));
    assert_int_equal(err.code, PP_ECORRUPT);
    /* SOI then nothing useful. */
    const uint8_t junk[] = {0xFF, 0xD8, 0xFF, 0x00, 0x12, 0x34, 0x56, 0x78};
    assert_null(pp_decoder_open_mem(junk, sizeof junk, NULL, &err));
    assert_int_equal(err.code, PP_ECORRUPT);
    free(f);
    pp_image_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_layouts),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_subsampling),
        cmocka_unit_test(test_progressive_encode),
        cmocka_unit_test(test_fixture_baseline_progressive),
        cmocka_unit_test(test_fixture_sampling_names),
        cmocka_unit_test(test_fixture_gray),
        cmocka_unit_test(test_fixture_cmyk_plain),
        cmocka_unit_test(test_fixture_cmyk_adobe),
        cmocka_unit_test(test_fixture_ycck),
        cmocka_unit_test(test_fixture_restart_markers),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_max_scans),
        cmocka_unit_test(test_icc_multi_marker),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
int main(void)
{
    return 77; /* skipped: JPEG support not built */
}
#endif
