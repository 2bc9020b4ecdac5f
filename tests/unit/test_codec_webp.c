/* Unit tests for the WebP codec (src/codec/webp.c): lossless round trips are
 * bit-exact (gray is widened to RGB, gray+alpha to RGBA), lossy ones keep a
 * smooth image above 38 dB with exact alpha; files written by libwebp's own
 * simple API decode; the decoder is whole-image (streams = false) behind the
 * row interface; ICC profiles travel in the container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_testutil.h"

#if PP_HAVE_WEBP
#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/mux.h>

/* Gives every pixel of an RGBA or gray+alpha image a varying, non-opaque
 * alpha somewhere so the alpha channel is kept. */
static void vary_alpha(pp_image *im)
{
    int c = im->channels;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++)
            pp_image_row(im, y)[x * (size_t)c + (size_t)c - 1] = (uint8_t)((x * 7 + y * 3) % 256);
}

static void test_lossless_roundtrip(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c++) {
        pp_image *src = ct_image_random(41, 27, c, 100u + (uint32_t)c);
        if (pp_channels_have_alpha(c))
            vary_alpha(src);
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.lossless = true;
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        int oc = pp_channels_have_alpha(c) ? 4 : 3;
        assert_int_equal(info.codec, PP_CODEC_WEBP);
        assert_int_equal(info.channels, oc);
        assert_true(info.lossless);
        assert_false(info.streams);
        assert_int_equal(info.bit_depth, 8);
        assert_string_equal(info.color, oc == 4 ? "lossless RGBA" : "lossless RGB");
        /* Gray is widened exactly: R = G = B = gray, alpha kept. */
        pp_image *want = ct_convert(src, oc);
        ct_assert_image_equal(out, want);
        pp_image_free(want);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

/* Colour under fully transparent pixels survives lossless coding (exact). */
static void test_lossless_keeps_hidden_colour(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(16, 16, 4, 5u);
    for (size_t i = 0; i < 256; i++)
        src->data[4 * i + 3] = i % 2 ? 0 : 255;
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.lossless = true;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
    pp_image *out = ct_decode_ok(f, len, NULL, NULL);
    ct_assert_image_equal(out, src);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

/* An RGBA image whose alpha is all 255 is stored without alpha by libwebp and
 * comes back as RGB, with the colour exact. */
static void test_opaque_rgba_becomes_rgb(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(10, 6, 4, 8u);
    for (size_t i = 0; i < 60; i++)
        src->data[4 * i + 3] = 255;
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.lossless = true;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 3);
    pp_image *want = ct_convert(src, 3);
    ct_assert_image_equal(out, want);
    pp_image_free(want);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

static void test_lossy_roundtrip(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c++) {
        pp_image *src = ct_image_smooth(96, 64, c);
        if (pp_channels_have_alpha(c))
            vary_alpha(src);
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.quality = 95;
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        int oc = pp_channels_have_alpha(c) ? 4 : 3;
        assert_int_equal(info.channels, oc);
        assert_false(info.lossless);
        assert_false(info.streams);
        assert_string_equal(info.color, oc == 4 ? "lossy RGBA" : "lossy RGB");
        pp_image *want = ct_convert(src, oc);
        double psnr = ct_psnr(out, want, 3);
        if (psnr < 38.0)
            fail_msg("%d channels: PSNR %.2f dB", c, psnr);
        /* Alpha is coded losslessly even in a lossy file. */
        if (oc == 4)
            for (size_t i = 0; i < 96 * 64; i++)
                assert_int_equal(out->data[4 * i + 3], want->data[4 * i + 3]);
        pp_image_free(want);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

static void test_quality_and_limits(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(64, 64, 3, 31u);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    size_t lo, hi;
    eo.quality = 20;
    uint8_t *a = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &lo);
    eo.quality = 90;
    uint8_t *b = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &hi);
    assert_true(lo < hi);
    free(a);
    free(b);
    pp_err err;
    size_t len;
    eo.quality = 0;
    assert_null(ct_encode(PP_CODEC_WEBP, src, &eo, NULL, 0, &len, &err));
    tu_assert_err(&err, PP_EINVAL, "quality 0");
    pp_image_free(src);
    /* Over the format's side: refused before any pixel buffer. */
    pp_format big = {16384, 1, 3};
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);
    assert_non_null(fp);
    assert_null(pp_encoder_open(fp, PP_CODEC_WEBP, &big, NULL, NULL, 0, &err));
    tu_assert_err(&err, PP_EUNSUPPORTED, "16383");
    fclose(fp);
    free(buf);
}

/* Files written by libwebp's simple API, lossy and lossless, with and
 * without alpha. */
static void test_libwebp_fixtures(void **state)
{
    (void)state;
    pp_image *rgb = ct_image_random(23, 19, 3, 12u);
    pp_image *rgba = ct_image_random(23, 19, 4, 13u);
    vary_alpha(rgba);
    uint8_t *f;
    size_t len;
    pp_image_info info;

    len = WebPEncodeLosslessRGB(rgb->data, 23, 19, (int)rgb->stride, &f);
    assert_true(len > 0);
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_true(info.lossless);
    ct_assert_image_equal(out, rgb);
    pp_image_free(out);
    WebPFree(f);

    len = WebPEncodeLosslessRGBA(rgba->data, 23, 19, (int)rgba->stride, &f);
    assert_true(len > 0);
    out = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 4);
    /* The simple lossless API may change colour under alpha 0 (not exact). */
    for (size_t i = 0; i < 23 * 19; i++) {
        assert_int_equal(out->data[4 * i + 3], rgba->data[4 * i + 3]);
        if (rgba->data[4 * i + 3])
            assert_memory_equal(out->data + 4 * i, rgba->data + 4 * i, 3);
    }
    pp_image_free(out);
    WebPFree(f);

    pp_image *smooth = ct_image_smooth(64, 48, 3);
    len = WebPEncodeRGB(smooth->data, 64, 48, (int)smooth->stride, 95.0f, &f);
    assert_true(len > 0);
    out = ct_decode_ok(f, len, NULL, &info);
    assert_false(info.lossless);
    assert_int_equal(info.channels, 3);
    assert_true(ct_psnr(out, smooth, 3) > 38.0);
    pp_image_free(out);
    WebPFree(f);

    pp_image *smooth4 = ct_image_smooth(64, 48, 4);
    len = WebPEncodeRGBA(smooth4->data, 64, 48, (int)smooth4->stride, 95.0f, &f);
    assert_true(len > 0);
    out = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 4);
    assert_true(ct_psnr(out, smooth4, 3) > 38.0);
    pp_image_free(out);
    WebPFree(f);

    pp_image_free(smooth4);
    pp_image_free(smooth);
    pp_image_free(rgba);
    pp_image_free(rgb);
}

static void test_skip(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(30, 40, 4, 44u);
    vary_alpha(src);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.lossless = true;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
    for (size_t skip = 1; skip < 40; skip += 9) {
        pp_image *part = ct_decode_after_skip(f, len, NULL, skip);
        ct_assert_rows_equal(src, skip, part);
        pp_image_free(part);
    }
    pp_image_free(src);
    free(f);
}

static void test_icc(void **state)
{
    (void)state;
    uint8_t icc[512];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(255 - i * 3);
    for (int lossless = 0; lossless <= 1; lossless++) {
        pp_image *src = ct_image_smooth(20, 20, 4);
        vary_alpha(src);
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.lossless = lossless;
        pp_err err;
        size_t len;
        uint8_t *f = ct_encode(PP_CODEC_WEBP, src, &eo, icc, sizeof icc, &len, &err);
        assert_non_null(f);
        assert_memory_equal(f + 12, "VP8X", 4);
        pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
        assert_non_null(d);
        size_t n;
        const uint8_t *got = pp_decoder_icc(d, &n);
        assert_int_equal(n, sizeof icc);
        assert_memory_equal(got, icc, sizeof icc);
        assert_int_equal(pp_decoder_info(d)->lossless, lossless);
        assert_int_equal(pp_decoder_info(d)->channels, 4);
        pp_decoder_free(d);
        if (lossless) {
            pp_image *out = ct_decode_ok(f, len, NULL, NULL);
            ct_assert_image_equal(out, src);
            pp_image_free(out);
        }
        free(f);
        pp_image_free(src);
    }
}

static void test_corrupt(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(32, 32, 3, 1u);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.lossless = true;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_WEBP, src, &eo, &len);
    pp_err err;
    assert_null(pp_decoder_open_mem(f, len / 2, NULL, &err));
    assert_int_equal(err.code, PP_ECORRUPT);
    assert_null(pp_decoder_open_mem(f, 20, NULL, &err));
    assert_int_equal(err.code, PP_ECORRUPT);
    free(f);
    pp_image_free(src);
}

/* Animated WebP is refused as unsupported, not decoded as its first frame. */
static void test_animated_refused(void **state)
{
    (void)state;
    WebPAnimEncoderOptions ao;
    assert_true(WebPAnimEncoderOptionsInit(&ao));
    WebPAnimEncoder *enc = WebPAnimEncoderNew(8, 8, &ao);
    assert_non_null(enc);
    WebPConfig cfg;
    assert_true(WebPConfigInit(&cfg));
    cfg.lossless = 1;
    for (int frame = 0; frame < 2; frame++) {
        pp_image *im = ct_image_random(8, 8, 4, 1u + (uint32_t)frame);
        WebPPicture pic;
        assert_true(WebPPictureInit(&pic));
        pic.use_argb = 1;
        pic.width = pic.height = 8;
        assert_true(WebPPictureImportRGBA(&pic, im->data, (int)im->stride));
        assert_true(WebPAnimEncoderAdd(enc, &pic, frame * 100, &cfg));
        WebPPictureFree(&pic);
        pp_image_free(im);
    }
    assert_true(WebPAnimEncoderAdd(enc, NULL, 200, NULL));
    WebPData data;
    WebPDataInit(&data);
    assert_true(WebPAnimEncoderAssemble(enc, &data));
    WebPAnimEncoderDelete(enc);
    pp_err err;
    assert_null(pp_decoder_open_mem(data.bytes, data.size, NULL, &err));
    tu_assert_err(&err, PP_EUNSUPPORTED, "animated");
    WebPDataClear(&data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossless_roundtrip),
        cmocka_unit_test(test_lossless_keeps_hidden_colour),
        cmocka_unit_test(test_opaque_rgba_becomes_rgb),
        cmocka_unit_test(test_lossy_roundtrip),
        cmocka_unit_test(test_quality_and_limits),
        cmocka_unit_test(test_libwebp_fixtures),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_icc),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_animated_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
/* Animated WebP is refused as unsupported, not decoded as its first frame. */
static void test_animated_refused(void **state)
{
    (void)state;
    WebPAnimEncoderOptions ao;
    assert_true(WebPAnimEncoderOptionsInit(&ao));
    WebPAnimEncoder *enc = WebPAnimEncoderNew(8, 8, &ao);
    assert_non_null(enc);
    WebPConfig cfg;
    assert_true(WebPConfigInit(&cfg));
    cfg.lossless = 1;
    for (int frame = 0; frame < 2; frame++) {
        pp_image *im = ct_image_random(8, 8, 4, 1u + (uint32_t)frame);
        WebPPicture pic;
        assert_true(WebPPictureInit(&pic));
        pic.use_argb = 1;
        pic.width = pic.height = 8;
        assert_true(WebPPictureImportRGBA(&pic, im->data, (int)im->stride));
        assert_true(WebPAnimEncoderAdd(enc, &pic, frame * 100, &cfg));
        WebPPictureFree(&pic);
        pp_image_free(im);
    }
    assert_true(WebPAnimEncoderAdd(enc, NULL, 200, NULL));
    WebPData data;
    WebPDataInit(&data);
    assert_true(WebPAnimEncoderAssemble(enc, &data));
    WebPAnimEncoderDelete(enc);
    pp_err err;
    assert_null(pp_decoder_open_mem(data.bytes, data.size, NULL, &err));
    tu_assert_err(&err, PP_EUNSUPPORTED, "animated");
    WebPDataClear(&data);
}

int main(void)
{
    return 77; /* skipped: WebP support not built */
}
#endif
