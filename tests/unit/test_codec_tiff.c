/* Unit tests for the TIFF codec (src/codec/tiff.c). Round trips through the
 * pixpipe encoder for every compression; decoding of fixtures written with
 * libtiff directly: strips and tiles (with partial edge tiles), 8 and 16-bit,
 * gray, gray+alpha, RGB, RGBA (unassociated and associated alpha),
 * min-is-white, palettes, separate planes (the whole-image fallback),
 * JPEG-compressed YCbCr, the orientation tag, skipping and ICC profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_testutil.h"

#if PP_HAVE_TIFF

static unsigned round257(unsigned v)
{
    return (2 * v + 257) / 514;
}

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static void test_roundtrip_compressions(void **state)
{
    (void)state;
    static const pp_tiff_compression comps[] = {PP_TIFF_NONE, PP_TIFF_LZW, PP_TIFF_DEFLATE,
                                                PP_TIFF_PACKBITS};
    static const char *colors[] = {"", "gray", "gray", "RGB", "RGB"};
    for (size_t k = 0; k < 4; k++)
        for (int c = 1; c <= 4; c++) {
            pp_image *src = ct_image_random(45, 31, c, (uint32_t)(k * 10 + (size_t)c));
            pp_encode_opts eo;
            pp_encode_opts_default(&eo);
            eo.tiff_compression = comps[k];
            size_t len;
            uint8_t *f = ct_encode_ok(PP_CODEC_TIFF, src, &eo, &len);
            pp_image_info info;
            pp_image *out = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.codec, PP_CODEC_TIFF);
            assert_int_equal(info.channels, c);
            assert_int_equal(info.bit_depth, 8);
            assert_false(info.tiled);
            assert_true(info.streams);
            assert_string_equal(info.color, colors[c]);
            ct_assert_image_equal(out, src);
            pp_image_free(out);
            pp_image_free(src);
            free(f);
        }
}

/* Compression actually changes the bytes written. */
static void test_compression_sizes(void **state)
{
    (void)state;
    pp_image *src = ct_image_smooth(200, 100, 3);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    size_t none, deflate;
    eo.tiff_compression = PP_TIFF_NONE;
    uint8_t *a = ct_encode_ok(PP_CODEC_TIFF, src, &eo, &none);
    eo.tiff_compression = PP_TIFF_DEFLATE;
    uint8_t *b = ct_encode_ok(PP_CODEC_TIFF, src, &eo, &deflate);
    assert_true(none > 200 * 100 * 3);
    assert_true(deflate < none / 4);
    free(a);
    free(b);
    pp_image_free(src);
}

static void test_jpeg_compression_encode(void **state)
{
    (void)state;
    if (!TIFFIsCODECConfigured(COMPRESSION_JPEG))
        skip();
    for (int c = 1; c <= 3; c += 2) {
        pp_image *src = ct_image_smooth(64, 40, c);
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.tiff_compression = PP_TIFF_JPEG;
        eo.quality = 95;
        size_t len;
        uint8_t *f = ct_encode_ok(PP_CODEC_TIFF, src, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, c);
        double psnr = ct_psnr(out, src, c);
        if (psnr < 38.0)
            fail_msg("%d channels: PSNR %.2f", c, psnr);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

/* ---- fixtures ---- */

static ct_tiff_opts base_opts(uint16_t bits, uint16_t spp, uint16_t photometric)
{
    ct_tiff_opts o = {0};
    o.bits = bits;
    o.spp = spp;
    o.photometric = photometric;
    return o;
}

/* Strips of 3 rows (the last one partial) and tiles of 16x16 on a 37x21
 * image (partial tiles on the right and bottom), 8-bit, every layout. */
static void test_strips_and_tiles_8bit(void **state)
{
    (void)state;
    static const uint16_t photo[] = {0, PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISBLACK,
                                     PHOTOMETRIC_RGB, PHOTOMETRIC_RGB};
    for (int c = 1; c <= 4; c++)
        for (int tiled = 0; tiled <= 1; tiled++)
            for (int deflate = 0; deflate <= 1; deflate++) {
                pp_image *src = ct_image_random(37, 21, c, (uint32_t)(c * 4 + tiled * 2 + deflate));
                ct_tiff_opts o = base_opts(8, (uint16_t)c, photo[c]);
                if (pp_channels_have_alpha(c))
                    o.extra = EXTRASAMPLE_UNASSALPHA;
                if (tiled)
                    o.tile_w = o.tile_h = 16;
                else
                    o.rps = 3;
                if (deflate)
                    o.compression = COMPRESSION_ADOBE_DEFLATE;
                size_t len;
                uint8_t *f = ct_tiff_write(g_dir, src->data, 37, 21, &o, &len);
                pp_image_info info;
                pp_image *out = ct_decode_ok(f, len, NULL, &info);
                assert_int_equal(info.channels, c);
                assert_int_equal(info.tiled, tiled);
                assert_true(info.streams);
                ct_assert_image_equal(out, src);
                static const size_t skips[] = {1, 2, 3, 15, 16, 17, 20};
                for (size_t k = 0; k < sizeof skips / sizeof skips[0]; k++) {
                    pp_image *part = ct_decode_after_skip(f, len, NULL, skips[k]);
                    ct_assert_rows_equal(src, skips[k], part);
                    pp_image_free(part);
                }
                pp_image_free(out);
                pp_image_free(src);
                free(f);
            }
}

/* 16-bit samples become round(v / 257): every value once in gray (strips),
 * and RGB / RGBA in tiles. */
static void test_16bit(void **state)
{
    (void)state;
    uint16_t *g = malloc(65536 * 2);
    assert_non_null(g);
    for (unsigned v = 0; v < 65536; v++)
        g[v] = (uint16_t)v;
    ct_tiff_opts o = base_opts(16, 1, PHOTOMETRIC_MINISBLACK);
    o.rps = 7;
    o.compression = COMPRESSION_LZW;
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, g, 256, 256, &o, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.bit_depth, 16);
    assert_int_equal(info.channels, 1);
    for (unsigned v = 0; v < 65536; v++)
        if (im->data[v] != round257(v))
            fail_msg("v=%u: got %u want %u", v, im->data[v], round257(v));
    pp_image_free(im);
    free(f);
    free(g);

    for (int c = 3; c <= 4; c++) {
        const uint32_t w = 23, h = 19;
        size_t n = (size_t)w * h * (size_t)c;
        uint16_t *px = malloc(n * 2);
        assert_non_null(px);
        for (size_t i = 0; i < n; i++)
            px[i] = (uint16_t)(i * 40503u + 11u);
        o = base_opts(16, (uint16_t)c, PHOTOMETRIC_RGB);
        o.tile_w = 16;
        o.tile_h = 16;
        if (c == 4)
            o.extra = EXTRASAMPLE_UNASSALPHA;
        f = ct_tiff_write(g_dir, px, w, h, &o, &len);
        im = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, c);
        assert_true(info.tiled);
        for (size_t i = 0; i < n; i++)
            if (im->data[i] != round257(px[i]))
                fail_msg("sample %zu: %u -> %u", i, px[i], im->data[i]);
        pp_image_free(im);
        free(f);
        free(px);
    }
}

static void test_min_is_white(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(30, 9, 1, 8u);
    ct_tiff_opts o = base_opts(8, 1, PHOTOMETRIC_MINISWHITE);
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, src->data, 30, 9, &o, &len);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_string_equal(info.color, "gray (min-is-white)");
    for (size_t i = 0; i < 30 * 9; i++)
        assert_int_equal(out->data[i], 255 - src->data[i]);
    pp_image_free(out);
    free(f);

    /* 16-bit min-is-white inverts after the reduction. */
    uint16_t px[4] = {0, 257, 65535, 1000};
    o = base_opts(16, 1, PHOTOMETRIC_MINISWHITE);
    f = ct_tiff_write(g_dir, px, 4, 1, &o, &len);
    out = ct_decode_ok(f, len, NULL, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(out->data[i], 255 - round257(px[i]));
    pp_image_free(out);
    free(f);

    /* With alpha: only the gray sample is inverted. */
    uint8_t ga[4] = {10, 200, 250, 0};
    o = base_opts(8, 2, PHOTOMETRIC_MINISWHITE);
    o.extra = EXTRASAMPLE_UNASSALPHA;
    f = ct_tiff_write(g_dir, ga, 2, 1, &o, &len);
    out = ct_decode_ok(f, len, NULL, NULL);
    const uint8_t want[4] = {245, 200, 5, 0};
    assert_memory_equal(out->data, want, 4);
    pp_image_free(out);
    free(f);
    pp_image_free(src);
}

/* 8-bit palettes stream through the colour map; 4-bit ones go through the
 * whole-image fallback. Both give RGB. */
static void test_palette(void **state)
{
    (void)state;
    for (uint16_t bits = 4; bits <= 8; bits += 4) {
        size_t n = (size_t)1 << bits;
        uint16_t *cmap = calloc(3 * n, sizeof *cmap);
        assert_non_null(cmap);
        for (size_t i = 0; i < n; i++) {
            cmap[i] = (uint16_t)(((i * 37) & 255) * 257);
            cmap[n + i] = (uint16_t)(((255 - i * 3) & 255) * 257);
            cmap[2 * n + i] = (uint16_t)(((i * 11 + 5) & 255) * 257);
        }
        const uint32_t w = 21, h = 7;
        size_t rb = ((size_t)w * bits + 7) / 8;
        uint8_t raw[21 * 7] = {0};
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                unsigned idx = (x * 3 + y * 5) % (unsigned)n;
                if (bits == 8)
                    raw[y * rb + x] = (uint8_t)idx;
                else
                    raw[y * rb + x / 2] |= (uint8_t)(x % 2 ? idx : idx << 4);
            }
        ct_tiff_opts o = base_opts(bits, 1, PHOTOMETRIC_PALETTE);
        o.cmap = cmap;
        o.rps = 2;
        size_t len;
        uint8_t *f = ct_tiff_write(g_dir, raw, w, h, &o, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, 3);
        assert_int_equal(info.streams, bits == 8);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                unsigned idx = (x * 3 + y * 5) % (unsigned)n;
                const uint8_t *p = pp_image_row(out, y) + x * 3;
                assert_int_equal(p[0], cmap[idx] >> 8);
                assert_int_equal(p[1], cmap[n + idx] >> 8);
                assert_int_equal(p[2], cmap[2 * n + idx] >> 8);
            }
        pp_image *part = ct_decode_after_skip(f, len, NULL, 3);
        ct_assert_rows_equal(out, 3, part);
        pp_image_free(part);
        pp_image_free(out);
        free(f);
        free(cmap);
    }
}

/* Separate planes go through libtiff's RGBA reader (whole image, no
 * streaming) and still decode exactly, with straight (unassociated) alpha. */
static void test_separate_planes(void **state)
{
    (void)state;
    for (int c = 3; c <= 4; c++) {
        pp_image *src = ct_image_random(33, 17, c, 61u + (uint32_t)c);
        if (c == 4) /* alpha values that survive premultiplication exactly */
            for (size_t i = 0; i < 33 * 17; i++)
                src->data[4 * i + 3] = i % 3 == 0 ? 255 : i % 3 == 1 ? 0 : 255;
        ct_tiff_opts o = base_opts(8, (uint16_t)c, PHOTOMETRIC_RGB);
        o.planar = PLANARCONFIG_SEPARATE;
        o.rps = 4;
        if (c == 4)
            o.extra = EXTRASAMPLE_UNASSALPHA;
        size_t len;
        uint8_t *f = ct_tiff_write(g_dir, src->data, 33, 17, &o, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, c);
        assert_false(info.streams);
        if (c == 3) {
            ct_assert_image_equal(out, src);
        } else {
            /* Opaque pixels are exact; fully transparent ones carry no colour. */
            for (size_t i = 0; i < 33 * 17; i++) {
                assert_int_equal(out->data[4 * i + 3], src->data[4 * i + 3]);
                if (src->data[4 * i + 3] == 255)
                    assert_memory_equal(out->data + 4 * i, src->data + 4 * i, 3);
            }
        }
        pp_image *part = ct_decode_after_skip(f, len, NULL, 9);
        ct_assert_rows_equal(out, 9, part);
        pp_image_free(part);
        pp_image_free(out);
        pp_image_free(src);
        free(f);
    }
}

/* Semi-transparent pixels through the fallback keep straight alpha: the
 * colour comes back within rounding of what was stored. */
static void test_separate_planes_partial_alpha(void **state)
{
    (void)state;
    static const uint8_t px[] = {200, 100, 50, 128, 255, 255, 255, 200,
                                 10,  20,  30, 255, 90,  180, 240, 160};
    ct_tiff_opts o = base_opts(8, 4, PHOTOMETRIC_RGB);
    o.planar = PLANARCONFIG_SEPARATE;
    o.extra = EXTRASAMPLE_UNASSALPHA;
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, px, 4, 1, &o, &len);
    pp_image *out = ct_decode_ok(f, len, NULL, NULL);
    for (int i = 0; i < 16; i++)
        if (abs((int)out->data[i] - (int)px[i]) > 1)
            fail_msg("sample %d: got %u, stored %u", i, out->data[i], px[i]);
    pp_image_free(out);
    free(f);
}

/* A single-sample image marked planar-separate has the same layout as a
 * contiguous one: it stays gray and streams. */
static void test_separate_single_sample(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(19, 12, 1, 2u);
    ct_tiff_opts o = base_opts(8, 1, PHOTOMETRIC_MINISBLACK);
    o.planar = PLANARCONFIG_SEPARATE;
    o.rps = 5;
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, src->data, 19, 12, &o, &len);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 1);
    assert_true(info.streams);
    ct_assert_image_equal(out, src);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

/* Associated (premultiplied) alpha is un-premultiplied on the fast path. */
static void test_associated_alpha(void **state)
{
    (void)state;
    static const uint8_t straight[][4] = {
        {200, 100, 50, 255}, {200, 100, 50, 200}, {250, 128, 4, 128}, {90, 180, 240, 0}};
    uint8_t px[4 * 4];
    for (int i = 0; i < 4; i++) {
        unsigned a = straight[i][3];
        for (int k = 0; k < 3; k++)
            px[4 * i + k] = (uint8_t)((straight[i][k] * a + 127) / 255);
        px[4 * i + 3] = (uint8_t)a;
    }
    ct_tiff_opts o = base_opts(8, 4, PHOTOMETRIC_RGB);
    o.extra = EXTRASAMPLE_ASSOCALPHA;
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, px, 4, 1, &o, &len);
    pp_image *out = ct_decode_ok(f, len, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(out->data[4 * i + 3], straight[i][3]);
        for (int k = 0; k < 3; k++) {
            int want = straight[i][3] ? straight[i][k] : 0;
            if (abs((int)out->data[4 * i + k] - want) > 1)
                fail_msg("pixel %d ch %d: got %u, want %d", i, k, out->data[4 * i + k], want);
        }
    }
    pp_image_free(out);
    free(f);
}

static void test_jpeg_ycbcr(void **state)
{
    (void)state;
    if (!TIFFIsCODECConfigured(COMPRESSION_JPEG))
        skip();
    pp_image *src = ct_image_smooth(64, 48, 3);
    ct_tiff_opts o = base_opts(8, 3, PHOTOMETRIC_YCBCR);
    o.ycbcr_jpeg = true;
    o.rps = 16;
    size_t len;
    uint8_t *f = ct_tiff_write(g_dir, src->data, 64, 48, &o, &len);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_string_equal(info.color, "YCbCr (JPEG)");
    assert_true(info.streams);
    assert_int_equal(info.channels, 3);
    double psnr = ct_psnr(out, src, 3);
    if (psnr < 35.0)
        fail_msg("PSNR %.2f", psnr);
    pp_image *part = ct_decode_after_skip(f, len, NULL, 20);
    ct_assert_rows_equal(out, 20, part);
    pp_image_free(part);
    pp_image_free(out);
    pp_image_free(src);
    free(f);
}

/* The orientation tag is applied, on the streaming path and through the
 * fallback, exactly as EXIF defines it; autorotate=false keeps the stored
 * layout and reports the tag. */
static void test_orientation_tag(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(7, 4, 3, 17u);
    for (int planar = 0; planar <= 1; planar++)
        for (uint16_t ori = 1; ori <= 8; ori++) {
            ct_tiff_opts o = base_opts(8, 3, PHOTOMETRIC_RGB);
            o.orientation = ori;
            o.planar = planar ? PLANARCONFIG_SEPARATE : 0;
            size_t len;
            uint8_t *f = ct_tiff_write(g_dir, src->data, 7, 4, &o, &len);
            pp_image_info info;
            pp_image *out = ct_decode_ok(f, len, NULL, &info);
            pp_image *want = ct_orient(src, ori);
            assert_int_equal(info.orientation, ori);
            assert_int_equal(info.oriented, ori != 1);
            ct_assert_image_equal(out, want);
            pp_decode_opts raw = ct_dopts(false);
            pp_image *stored = ct_decode_ok(f, len, &raw, &info);
            assert_int_equal(info.orientation, ori);
            assert_false(info.oriented);
            ct_assert_image_equal(stored, src);
            pp_image_free(stored);
            pp_image_free(want);
            pp_image_free(out);
            free(f);
        }
    pp_image_free(src);
}

static void test_icc(void **state)
{
    (void)state;
    uint8_t icc[600];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i ^ (i >> 3));
    pp_image *src = ct_image_random(8, 8, 3, 9u);
    pp_err err;
    size_t len;
    uint8_t *f = ct_encode(PP_CODEC_TIFF, src, NULL, icc, sizeof icc, &len, &err);
    assert_non_null(f);
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    size_t n;
    const uint8_t *got = pp_decoder_icc(d, &n);
    assert_int_equal(n, sizeof icc);
    assert_memory_equal(got, icc, sizeof icc);
    pp_decoder_free(d);
    free(f);

    ct_tiff_opts o = base_opts(8, 3, PHOTOMETRIC_RGB);
    o.icc = icc;
    o.icc_len = 300;
    f = ct_tiff_write(g_dir, src->data, 8, 8, &o, &len);
    d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    got = pp_decoder_icc(d, &n);
    assert_int_equal(n, 300);
    assert_memory_equal(got, icc, 300);
    pp_decoder_free(d);
    free(f);
    pp_image_free(src);
}

static void test_truncated(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(64, 64, 3, 3u);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.tiff_compression = PP_TIFF_NONE;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_TIFF, src, &eo, &len);
    pp_err err;
    /* The directory is written last: a cut file has no directory at all. */
    assert_null(ct_decode(f, len / 2, NULL, NULL, &err));
    assert_int_equal(err.code, PP_ECORRUPT);
    free(f);

    /* Damaged compressed strip data: the header opens, the strip read fails
     * instead of delivering garbage. */
    ct_tiff_opts o = base_opts(8, 3, PHOTOMETRIC_RGB);
    o.rps = 8;
    o.compression = COMPRESSION_ADOBE_DEFLATE;
    f = ct_tiff_write(g_dir, src->data, 64, 64, &o, &len);
    assert_true(len > 400);
    memset(f + 10, 0xFF, 200); /* strips start right after the 8-byte header */
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    uint8_t row[64 * 3];
    assert_int_equal(pp_decoder_read(d, row, 0, 1, &err), PP_ECORRUPT);
    tu_assert_err(&err, PP_ECORRUPT, "cannot read strip");
    pp_decoder_free(d);
    free(f);
    pp_image_free(src);
}

/* A hand-written little-endian TIFF directory (no pixel data needed):
 * width x height, 8-bit gray, one strip. */
static size_t tiny_tiff(uint8_t *b, uint32_t w, uint32_t h)
{
    static const uint16_t tags[][2] = {{256, 4}, {257, 4}, {258, 3}, {259, 3}, {262, 3},
                                       {273, 4}, {277, 3}, {278, 4}, {279, 4}};
    uint32_t vals[] = {w, h, 8, 1, 1, 8, 1, h, 1};
    memset(b, 0, 130);
    memcpy(b, "II*\0\x0c\0\0\0", 8); /* IFD at 12; byte 8 is the "strip" */
    uint8_t *p = b + 12;
    p[0] = 9;
    p += 2;
    for (int i = 0; i < 9; i++, p += 12) {
        p[0] = (uint8_t)tags[i][0], p[1] = (uint8_t)(tags[i][0] >> 8);
        p[2] = (uint8_t)tags[i][1];
        p[4] = 1;
        for (int k = 0; k < 4; k++)
            p[8 + k] = (uint8_t)(vals[i] >> (8 * k));
    }
    return (size_t)(p + 4 - b);
}

/* Absurd dimensions stop at the pixel limit, before anything image-sized. */
static void test_absurd_dimensions(void **state)
{
    (void)state;
    uint8_t b[160];
    pp_err err;
    size_t n = tiny_tiff(b, 1, 1);
    pp_image *im = ct_decode_ok(b, n, NULL, NULL);
    assert_int_equal(im->data[0], 0);
    pp_image_free(im);
    n = tiny_tiff(b, 100000, 100000);
    assert_null(pp_decoder_open_mem(b, n, NULL, &err));
    tu_assert_err(&err, PP_ELIMIT, "100000x100000 = 10000000000 pixels, over the max-pixels");
    n = tiny_tiff(b, 0xFFFFFFFFu, 3);
    assert_null(pp_decoder_open_mem(b, n, NULL, &err));
    tu_assert_err(&err, PP_ELIMIT, "4294967295x3 = 12884901885 pixels");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_compressions),
        cmocka_unit_test(test_compression_sizes),
        cmocka_unit_test(test_jpeg_compression_encode),
        cmocka_unit_test(test_strips_and_tiles_8bit),
        cmocka_unit_test(test_16bit),
        cmocka_unit_test(test_min_is_white),
        cmocka_unit_test(test_palette),
        cmocka_unit_test(test_separate_planes),
        cmocka_unit_test(test_separate_planes_partial_alpha),
        cmocka_unit_test(test_separate_single_sample),
        cmocka_unit_test(test_associated_alpha),
        cmocka_unit_test(test_jpeg_ycbcr),
        cmocka_unit_test(test_orientation_tag),
        cmocka_unit_test(test_icc),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_absurd_dimensions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

#else
/* A hand-written little-endian TIFF directory (no pixel data needed):
 * width x height, 8-bit gray, one strip. */
static size_t tiny_tiff(uint8_t *b, uint32_t w, uint32_t h)
{
    static const uint16_t tags[][2] = {{256, 4}, {257, 4}, {258, 3}, {259, 3}, {262, 3},
                                       {273, 4}, {277, 3}, {278, 4}, {279, 4}};
    uint32_t vals[] = {w, h, 8, 1, 1, 8, 1, h, 1};
    memset(b, 0, 130);
    memcpy(b, "II*\0\x0c\0\0\0", 8); /* IFD at 12; byte 8 is the "strip" */
    uint8_t *p = b + 12;
    p[0] = 9;
    p += 2;
    for (int i = 0; i < 9; i++, p += 12) {
        p[0] = (uint8_t)tags[i][0], p[1] = (uint8_t)(tags[i][0] >> 8);
        p[2] = (uint8_t)tags[i][1];
        p[4] = 1;
        for (int k = 0; k < 4; k++)
            p[8 + k] = (uint8_t)(vals[i] >> (8 * k));
    }
    return (size_t)(p + 4 - b);
}

/* Absurd dimensions stop at the pixel limit, before anything image-sized. */
static void test_absurd_dimensions(void **state)
{
    (void)state;
    uint8_t b[160];
    pp_err err;
    size_t n = tiny_tiff(b, 1, 1);
    pp_image *im = ct_decode_ok(b, n, NULL, NULL);
    assert_int_equal(im->data[0], 0);
    pp_image_free(im);
    n = tiny_tiff(b, 100000, 100000);
    assert_null(pp_decoder_open_mem(b, n, NULL, &err));
    tu_assert_err(&err, PP_ELIMIT, "100000x100000 = 10000000000 pixels, over the max-pixels");
    n = tiny_tiff(b, 0xFFFFFFFFu, 3);
    assert_null(pp_decoder_open_mem(b, n, NULL, &err));
    tu_assert_err(&err, PP_ELIMIT, "4294967295x3 = 12884901885 pixels");
}

int main(void)
{
    return 77; /* skipped: TIFF support not built */
}
#endif
