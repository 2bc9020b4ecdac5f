/* Unit tests for the PNG codec (src/codec/png.c). Fixtures are written with
 * libspng's encoder in SPNG_FMT_PNG layout (sub-byte samples packed here), so
 * every colour type, bit depth and Adam7 interlacing is checked against known
 * pixel values: low-depth gray is scaled by bit replication, 16-bit samples
 * become round(v / 257), palettes expand to RGB or RGBA (tRNS), and tRNS on
 * gray or RGB adds an alpha channel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_testutil.h"

#if PP_HAVE_PNG

static unsigned round257(unsigned v)
{
    return (2 * v + 257) / 514;
}

static struct spng_ihdr ihdr(uint32_t w, uint32_t h, int depth, int color, int interlace)
{
    struct spng_ihdr i = {w, h, (uint8_t)depth, (uint8_t)color, 0, 0, (uint8_t)interlace};
    return i;
}

/* Packs w samples of `depth` bits (MSB first) into a row of (w*depth+7)/8 bytes. */
static void pack_row(const uint8_t *v, size_t w, int depth, uint8_t *out)
{
    size_t bytes = (w * (size_t)depth + 7) / 8;
    memset(out, 0, bytes);
    for (size_t x = 0; x < w; x++) {
        size_t bit = x * (size_t)depth;
        out[bit / 8] |= (uint8_t)(v[x] << (8 - depth - (int)(bit % 8)));
    }
}

static void test_roundtrip_all_layouts(void **state)
{
    (void)state;
    static const char *names[] = {"", "gray", "gray+alpha", "RGB", "RGBA"};
    static const int levels[] = {0, 6, 9};
    for (int c = 1; c <= 4; c++)
        for (size_t l = 0; l < 3; l++) {
            pp_image *im = ct_image_random(33, 17, c, 7u * (uint32_t)c + (uint32_t)l);
            pp_encode_opts eo;
            pp_encode_opts_default(&eo);
            eo.png_level = levels[l];
            size_t len;
            uint8_t *f = ct_encode_ok(PP_CODEC_PNG, im, &eo, &len);
            pp_image_info info;
            pp_image *out = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.codec, PP_CODEC_PNG);
            assert_int_equal(info.channels, c);
            assert_int_equal(info.bit_depth, 8);
            assert_false(info.interlaced);
            assert_true(info.streams);
            assert_string_equal(info.color, names[c]);
            assert_int_equal(info.orientation, 1);
            ct_assert_image_equal(out, im);
            pp_image_free(out);
            pp_image_free(im);
            free(f);
        }
}

static void test_level_changes_size_and_is_checked(void **state)
{
    (void)state;
    pp_image *im = ct_image_smooth(128, 64, 3);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    size_t len0, len9;
    eo.png_level = 0;
    uint8_t *f0 = ct_encode_ok(PP_CODEC_PNG, im, &eo, &len0);
    eo.png_level = 9;
    uint8_t *f9 = ct_encode_ok(PP_CODEC_PNG, im, &eo, &len9);
    assert_true(len0 > 128 * 64 * 3); /* stored deflate blocks */
    assert_true(len9 < len0 / 4);
    eo.png_level = 10;
    pp_err err;
    size_t len;
    assert_null(ct_encode(PP_CODEC_PNG, im, &eo, NULL, 0, &len, &err));
    tu_assert_err(&err, PP_EINVAL, "compression level 10");
    free(f0);
    free(f9);
    pp_image_free(im);
}

/* Gray at 1, 2 and 4 bits: samples scale to 0..255 by bit replication
 * (v * 255 / (2^d - 1)), with a width that leaves padding bits. */
static void test_gray_low_depths(void **state)
{
    (void)state;
    for (int d = 1; d <= 4; d *= 2) {
        for (int interlace = 0; interlace <= 1; interlace++) {
            const size_t w = 13, h = 9;
            size_t rb = (w * (size_t)d + 7) / 8;
            uint8_t raw[64 * 9], v[13];
            unsigned maxv = (1u << d) - 1;
            for (size_t y = 0; y < h; y++) {
                for (size_t x = 0; x < w; x++)
                    v[x] = (uint8_t)((x * 5 + y * 3) % (maxv + 1));
                pack_row(v, w, d, raw + y * rb);
            }
            struct spng_ihdr ih = ihdr(w, h, d, SPNG_COLOR_TYPE_GRAYSCALE, interlace);
            size_t len;
            uint8_t *f = ct_png_write(&ih, raw, rb * h, NULL, &len);
            pp_image_info info;
            pp_image *im = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.channels, 1);
            assert_int_equal(info.bit_depth, d);
            assert_int_equal(info.interlaced, interlace);
            assert_int_equal(info.streams, !interlace);
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++) {
                    unsigned s = (unsigned)((x * 5 + y * 3) % (maxv + 1));
                    assert_int_equal(pp_image_row(im, y)[x], s * 255 / maxv);
                }
            pp_image_free(im);
            free(f);
        }
    }
}

static void test_gray8(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(20, 10, 1, 42u);
    struct spng_ihdr ih = ihdr(20, 10, 8, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    size_t len;
    uint8_t *f = ct_png_write(&ih, src->data, 200, NULL, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_string_equal(info.color, "gray");
    ct_assert_image_equal(im, src);
    pp_image_free(im);
    pp_image_free(src);
    free(f);
}

/* Every 16-bit gray value once, progressive and interlaced. */
static void test_gray16_rounds(void **state)
{
    (void)state;
    uint16_t *raw = malloc(65536 * sizeof *raw);
    assert_non_null(raw);
    for (unsigned v = 0; v < 65536; v++)
        raw[v] = (uint16_t)v;
    for (int interlace = 0; interlace <= 1; interlace++) {
        struct spng_ihdr ih = ihdr(256, 256, 16, SPNG_COLOR_TYPE_GRAYSCALE, interlace);
        size_t len;
        uint8_t *f = ct_png_write(&ih, raw, 65536 * 2, NULL, &len);
        pp_image_info info;
        pp_image *im = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, 1);
        assert_int_equal(info.bit_depth, 16);
        for (unsigned v = 0; v < 65536; v++)
            if (im->data[v] != round257(v))
                fail_msg("v=%u: got %u, want %u", v, im->data[v], round257(v));
        pp_image_free(im);
        free(f);
    }
    free(raw);
}

static void test_gray_alpha_8_and_16(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(17, 9, 2, 3u);
    struct spng_ihdr ih = ihdr(17, 9, 8, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, 0);
    size_t len;
    uint8_t *f = ct_png_write(&ih, src->data, 17 * 9 * 2, NULL, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 2);
    assert_string_equal(info.color, "gray+alpha");
    ct_assert_image_equal(im, src);
    pp_image_free(im);
    free(f);

    uint16_t raw[17 * 9 * 2];
    for (size_t i = 0; i < 17 * 9 * 2; i++)
        raw[i] = (uint16_t)(i * 2521u + 77u);
    for (int interlace = 0; interlace <= 1; interlace++) {
        ih = ihdr(17, 9, 16, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, interlace);
        f = ct_png_write(&ih, raw, sizeof raw, NULL, &len);
        im = ct_decode_ok(f, len, NULL, &info);
        assert_int_equal(info.channels, 2);
        assert_int_equal(info.bit_depth, 16);
        for (size_t i = 0; i < 17 * 9 * 2; i++)
            assert_int_equal(im->data[i], round257(raw[i]));
        pp_image_free(im);
        free(f);
    }
    pp_image_free(src);
}

static void test_rgb16_rgba16(void **state)
{
    (void)state;
    for (int c = 3; c <= 4; c++)
        for (int interlace = 0; interlace <= 1; interlace++) {
            const size_t w = 21, h = 11, n = w * h * (size_t)c;
            uint16_t *raw = malloc(n * 2);
            assert_non_null(raw);
            for (size_t i = 0; i < n; i++)
                raw[i] = (uint16_t)(i * 40503u + 129u);
            struct spng_ihdr ih =
                ihdr(w, h, 16, c == 3 ? SPNG_COLOR_TYPE_TRUECOLOR : SPNG_COLOR_TYPE_TRUECOLOR_ALPHA,
                     interlace);
            size_t len;
            uint8_t *f = ct_png_write(&ih, raw, n * 2, NULL, &len);
            pp_image_info info;
            pp_image *im = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.channels, c);
            assert_int_equal(info.bit_depth, 16);
            for (size_t i = 0; i < n; i++)
                if (im->data[i] != round257(raw[i]))
                    fail_msg("sample %zu: %u -> %u, want %u", i, raw[i], im->data[i],
                             round257(raw[i]));
            pp_image_free(im);
            free(raw);
            free(f);
        }
}

static struct spng_plte make_palette(void)
{
    struct spng_plte p = {0};
    p.n_entries = 16;
    for (uint32_t i = 0; i < 16; i++) {
        p.entries[i].red = (uint8_t)(i * 16);
        p.entries[i].green = (uint8_t)(255 - i * 11);
        p.entries[i].blue = (uint8_t)(i * 7 + 3);
    }
    return p;
}

/* Palette at 8 and 4 bits, without tRNS (RGB) and with it (RGBA; entries
 * past the tRNS list are opaque). */
static void test_palette(void **state)
{
    (void)state;
    struct spng_plte plte = make_palette();
    struct spng_trns trns = {0};
    trns.n_type3_entries = 3;
    trns.type3_alpha[0] = 0;
    trns.type3_alpha[1] = 128;
    trns.type3_alpha[2] = 254;
    for (int d = 4; d <= 8; d += 4)
        for (int with_trns = 0; with_trns <= 1; with_trns++) {
            const size_t w = 15, h = 6;
            size_t rb = (w * (size_t)d + 7) / 8;
            uint8_t raw[15 * 6], idx[15];
            for (size_t y = 0; y < h; y++) {
                for (size_t x = 0; x < w; x++)
                    idx[x] = (uint8_t)((x + y * 7) % 16);
                pack_row(idx, w, d, raw + y * rb);
            }
            struct spng_ihdr ih = ihdr(w, h, d, SPNG_COLOR_TYPE_INDEXED, 0);
            ct_png_opts po = {.plte = &plte, .trns = with_trns ? &trns : NULL};
            size_t len;
            uint8_t *f = ct_png_write(&ih, raw, rb * h, &po, &len);
            pp_image_info info;
            pp_image *im = ct_decode_ok(f, len, NULL, &info);
            int c = with_trns ? 4 : 3;
            assert_int_equal(info.channels, c);
            assert_int_equal(info.bit_depth, d);
            assert_string_equal(info.color, with_trns ? "palette with tRNS" : "palette");
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++) {
                    unsigned i = (unsigned)((x + y * 7) % 16);
                    const uint8_t *p = pp_image_row(im, y) + x * (size_t)c;
                    assert_int_equal(p[0], plte.entries[i].red);
                    assert_int_equal(p[1], plte.entries[i].green);
                    assert_int_equal(p[2], plte.entries[i].blue);
                    if (with_trns)
                        assert_int_equal(p[3], i < 3 ? trns.type3_alpha[i] : 255);
                }
            pp_image_free(im);
            free(f);
        }
}

/* tRNS on gray and RGB names one colour as transparent: an alpha channel
 * appears, 0 on that colour and 255 elsewhere. */
static void test_trns_gray_rgb(void **state)
{
    (void)state;
    uint8_t g[4 * 2] = {10, 50, 50, 200, 50, 0, 255, 49};
    struct spng_trns t = {0};
    t.gray = 50;
    struct spng_ihdr ih = ihdr(4, 2, 8, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    ct_png_opts po = {.trns = &t};
    size_t len;
    uint8_t *f = ct_png_write(&ih, g, sizeof g, &po, &len);
    pp_image_info info;
    pp_image *im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 2);
    assert_string_equal(info.color, "gray with tRNS");
    for (int i = 0; i < 8; i++) {
        assert_int_equal(im->data[2 * i], g[i]);
        assert_int_equal(im->data[2 * i + 1], g[i] == 50 ? 0 : 255);
    }
    pp_image_free(im);
    free(f);

    uint8_t rgb[3 * 3] = {1, 2, 3, 9, 9, 9, 1, 2, 4};
    memset(&t, 0, sizeof t);
    t.red = 1, t.green = 2, t.blue = 3;
    ih = ihdr(3, 1, 8, SPNG_COLOR_TYPE_TRUECOLOR, 0);
    f = ct_png_write(&ih, rgb, sizeof rgb, &po, &len);
    im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 4);
    assert_string_equal(info.color, "RGB with tRNS");
    const uint8_t want[12] = {1, 2, 3, 0, 9, 9, 9, 255, 1, 2, 4, 255};
    assert_memory_equal(im->data, want, 12);
    pp_image_free(im);
    free(f);

    /* 16-bit gray with tRNS: the match is on the 16-bit value (1000 and
     * 1001 both round to 4, only 1000 is transparent). */
    uint16_t g16[3] = {1000, 1001, 65535};
    memset(&t, 0, sizeof t);
    t.gray = 1000;
    ih = ihdr(3, 1, 16, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    f = ct_png_write(&ih, g16, sizeof g16, &po, &len);
    im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 2);
    const uint8_t want_g16[6] = {4, 0, 4, 255, 255, 255};
    assert_memory_equal(im->data, want_g16, 6);
    pp_image_free(im);
    free(f);

    /* 2-bit gray with tRNS: unpacked and scaled, sample 1 transparent. */
    uint8_t g2 = 0x1B; /* samples 0 1 2 3 */
    memset(&t, 0, sizeof t);
    t.gray = 1;
    ih = ihdr(4, 1, 2, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    f = ct_png_write(&ih, &g2, 1, &po, &len);
    im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 2);
    const uint8_t want_g2[8] = {0, 255, 85, 0, 170, 255, 255, 255};
    assert_memory_equal(im->data, want_g2, 8);
    pp_image_free(im);
    free(f);

    /* 16-bit RGB with tRNS: compared at 16 bits, then rounded. */
    uint16_t rgb16[2 * 3] = {1000, 2000, 3000, 1000, 2000, 3001};
    memset(&t, 0, sizeof t);
    t.red = 1000, t.green = 2000, t.blue = 3000;
    ih = ihdr(2, 1, 16, SPNG_COLOR_TYPE_TRUECOLOR, 0);
    f = ct_png_write(&ih, rgb16, sizeof rgb16, &po, &len);
    im = ct_decode_ok(f, len, NULL, &info);
    assert_int_equal(info.channels, 4);
    const uint8_t want16[8] = {4, 8, 12, 0, 4, 8, 12, 255};
    assert_memory_equal(im->data, want16, 8);
    pp_image_free(im);
    free(f);
}

/* Adam7: decoded whole behind the row interface; rows and skips are exact. */
static void test_adam7(void **state)
{
    (void)state;
    static const int colors[] = {0, 0, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, SPNG_COLOR_TYPE_TRUECOLOR,
                                 SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    for (int c = 1; c <= 4; c++) {
        /* Sizes that leave some passes empty or partial. */
        static const size_t sizes[][2] = {{1, 1}, {3, 2}, {13, 11}, {64, 33}};
        for (size_t s = 0; s < 4; s++) {
            size_t w = sizes[s][0], h = sizes[s][1];
            pp_image *src = ct_image_random(w, h, c, (uint32_t)(c * 100 + s));
            struct spng_ihdr ih = ihdr((uint32_t)w, (uint32_t)h, 8, colors[c], 1);
            size_t len;
            uint8_t *f = ct_png_write(&ih, src->data, w * h * (size_t)c, NULL, &len);
            pp_image_info info;
            pp_image *im = ct_decode_ok(f, len, NULL, &info);
            assert_true(info.interlaced);
            assert_false(info.streams);
            ct_assert_image_equal(im, src);
            if (h > 1) {
                pp_image *part = ct_decode_after_skip(f, len, NULL, h / 2);
                ct_assert_rows_equal(src, h / 2, part);
                pp_image_free(part);
            }
            pp_image_free(im);
            pp_image_free(src);
            free(f);
        }
    }
}

static void test_skip_rows(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(40, 50, 3, 8u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNG, src, NULL, &len);
    for (size_t skip = 1; skip < 50; skip += 16) {
        pp_image *part = ct_decode_after_skip(f, len, NULL, skip);
        ct_assert_rows_equal(src, skip, part);
        pp_image_free(part);
    }
    free(f);
    pp_image_free(src);
}

static void test_icc_roundtrip(void **state)
{
    (void)state;
    uint8_t icc[700];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i * 31 + 7);
    pp_image *src = ct_image_random(9, 9, 4, 1u);
    pp_err err;
    size_t len;
    uint8_t *f = ct_encode(PP_CODEC_PNG, src, NULL, icc, sizeof icc, &len, &err);
    assert_non_null(f);
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    size_t n;
    const uint8_t *got = pp_decoder_icc(d, &n);
    assert_int_equal(n, sizeof icc);
    assert_memory_equal(got, icc, sizeof icc);
    assert_int_equal(pp_decoder_info(d)->icc_len, sizeof icc);
    pp_decoder_free(d);
    free(f);
    /* strip drops it */
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.strip = true;
    f = ct_encode(PP_CODEC_PNG, src, &eo, icc, sizeof icc, &len, &err);
    assert_non_null(f);
    d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    assert_null(pp_decoder_icc(d, &n));
    assert_int_equal(n, 0);
    pp_decoder_free(d);
    free(f);
    pp_image_free(src);
}

/* n printable bytes and a NUL (libspng's text writer uses strlen). */
static char *text_bytes(size_t n)
{
    char *t = malloc(n + 1);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = (char)('a' + (i * 7919) % 26);
    t[n] = '\0';
    return t;
}

static uint8_t *png_with_texts(size_t text_len, uint32_t n_text, size_t *len)
{
    uint8_t px[16] = {0};
    struct spng_ihdr ih = ihdr(4, 4, 8, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    char *body = text_bytes(text_len);
    struct spng_text t[4];
    assert_true(n_text <= 4);
    for (uint32_t i = 0; i < n_text; i++) {
        memset(&t[i], 0, sizeof t[i]);
        snprintf(t[i].keyword, sizeof t[i].keyword, "Comment%u", i);
        t[i].type = SPNG_TEXT;
        t[i].length = text_len;
        t[i].text = body;
    }
    ct_png_opts po = {.text = t, .n_text = n_text};
    uint8_t *f = ct_png_write(&ih, px, sizeof px, &po, len);
    free(body);
    return f;
}

/* A metadata chunk over png_chunk_max, or chunks over png_cache_max, fail
 * with PP_ELIMIT naming the limit; under the limits the same files decode. */
static void test_chunk_limits(void **state)
{
    (void)state;
    pp_decode_opts o = ct_dopts(true);
    pp_err err;
    size_t len;

    /* One 5000-byte tEXt chunk, limit 1000. */
    uint8_t *f = png_with_texts(5000, 1, &len);
    o.limits.png_chunk_max = 1000;
    assert_null(pp_decoder_open_mem(f, len, &o, &err));
    tu_assert_err(&err, PP_ELIMIT, "png-chunk-max");
    tu_assert_err(&err, PP_ELIMIT, "tEXt");
    tu_assert_err(&err, PP_ELIMIT, "1000");
    o.limits.png_chunk_max = 6000;
    pp_image *im = ct_decode_ok(f, len, &o, NULL);
    pp_image_free(im);
    free(f);

    /* Three 3000-byte texts: each under the chunk limit, together over the
     * cache limit. */
    f = png_with_texts(3000, 3, &len);
    o.limits.png_chunk_max = 4000;
    o.limits.png_cache_max = 8000;
    assert_null(pp_decoder_open_mem(f, len, &o, &err));
    tu_assert_err(&err, PP_ELIMIT, "png-cache-max");
    o.limits.png_cache_max = 20000;
    im = ct_decode_ok(f, len, &o, NULL);
    pp_image_free(im);
    free(f);

    /* A compressed iCCP chunk that is small in the file but inflates to
     * 100000 bytes: the inflated size counts against png_chunk_max. */
    uint8_t px[16] = {0};
    struct spng_ihdr ih = ihdr(4, 4, 8, SPNG_COLOR_TYPE_GRAYSCALE, 0);
    char *profile = text_bytes(100000);
    struct spng_iccp iccp = {.profile_name = "big", .profile_len = 100000, .profile = profile};
    ct_png_opts po = {.iccp = &iccp};
    f = ct_png_write(&ih, px, sizeof px, &po, &len);
    assert_true(len < 5000);
    pp_limits_default(&o.limits);
    o.limits.png_chunk_max = 50000;
    assert_null(pp_decoder_open_mem(f, len, &o, &err));
    tu_assert_err(&err, PP_ELIMIT, "png-chunk-max");
    o.limits.png_chunk_max = 200000;
    pp_decoder *d = pp_decoder_open_mem(f, len, &o, &err);
    assert_non_null(d);
    size_t n;
    const uint8_t *got = pp_decoder_icc(d, &n);
    assert_int_equal(n, 100000);
    assert_memory_equal(got, profile, 100000);
    pp_decoder_free(d);
    free(f);
    free(profile);

    /* A chunk limit above the cache limit is not silently ignored. */
    f = png_with_texts(5000, 1, &len);
    o.limits.png_chunk_max = 1000000;
    o.limits.png_cache_max = 2000;
    assert_null(pp_decoder_open_mem(f, len, &o, &err));
    tu_assert_err(&err, PP_ELIMIT, "png-cache-max");
    free(f);
}

static void test_truncated_and_bad_crc(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(64, 64, 3, 77u);
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    eo.png_level = 0;
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNG, src, &eo, &len);
    pp_err err;
    /* Cut in the middle of the image data: the header opens, rows fail. */
    pp_image *im = ct_decode(f, len / 2, NULL, NULL, &err);
    assert_null(im);
    assert_int_equal(err.code, PP_ECORRUPT);
    assert_non_null(strstr(err.msg, "PNG"));
    /* Flip a byte inside IDAT: the CRC check catches it. */
    f[len / 2] ^= 0x55;
    im = ct_decode(f, len, NULL, NULL, &err);
    assert_null(im);
    assert_int_equal(err.code, PP_ECORRUPT);
    f[len / 2] ^= 0x55;
    /* The last IDAT's CRC (just before the 12-byte IEND) is checked too,
     * streaming and interlaced; so is a file cut right after the data. */
    im = ct_decode_ok(f, len, NULL, NULL);
    pp_image_free(im);
    f[len - 13] ^= 0x01;
    im = ct_decode(f, len, NULL, NULL, &err);
    assert_null(im);
    tu_assert_err(&err, PP_ECORRUPT, "checksum");
    f[len - 13] ^= 0x01;
    im = ct_decode(f, len - 12, NULL, NULL, &err);
    assert_null(im);
    tu_assert_err(&err, PP_ECORRUPT, "truncated");
    free(f);

    struct spng_ihdr ih = ihdr(64, 64, 8, SPNG_COLOR_TYPE_TRUECOLOR, 1);
    f = ct_png_write(&ih, src->data, 64 * 64 * 3, NULL, &len);
    f[len - 13] ^= 0x01;
    im = ct_decode(f, len, NULL, NULL, &err);
    assert_null(im);
    tu_assert_err(&err, PP_ECORRUPT, "checksum");
    free(f);
    pp_image_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_layouts),
        cmocka_unit_test(test_level_changes_size_and_is_checked),
        cmocka_unit_test(test_gray_low_depths),
        cmocka_unit_test(test_gray8),
        cmocka_unit_test(test_gray16_rounds),
        cmocka_unit_test(test_gray_alpha_8_and_16),
        cmocka_unit_test(test_rgb16_rgba16),
        cmocka_unit_test(test_palette),
        cmocka_unit_test(test_trns_gray_rgb),
        cmocka_unit_test(test_adam7),
        cmocka_unit_test(test_skip_rows),
        cmocka_unit_test(test_icc_roundtrip),
        cmocka_unit_test(test_chunk_limits),
        cmocka_unit_test(test_truncated_and_bad_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
int main(void)
{
    return 77; /* skipped: PNG support not built */
}
#endif
