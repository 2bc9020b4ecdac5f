/* Unit tests for the generic codec layer (src/codec/codec.c, exif.c) and the
 * shared decode -> encode path (pp_process_file): sniffing and names, the
 * max-bytes and max-pixels limits on every format, channel conversion, EXIF
 * orientation 1..8 (JPEG APP1 and PNG eXIf) against the EXIF definition,
 * skipping on oriented images, ICC profiles across formats, the streams flag,
 * and the API's misuse errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec_testutil.h"
#include "pixpipe/file.h"

static void test_sniff(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        pp_codec_id id;
    } cases[] = {
        {"\xFF\xD8\xFF\xE0", 4, PP_CODEC_JPEG},
        {"\xFF\xD8\xFF", 3, PP_CODEC_JPEG},
        {"\xFF\xD8", 2, PP_CODEC_UNKNOWN},
        {"\x89PNG\r\n\x1a\n\0\0", 10, PP_CODEC_PNG},
        {"\x89PNG\r\n\x1a", 7, PP_CODEC_UNKNOWN},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, PP_CODEC_WEBP},
        {"RIFF\x10\0\0\0WAVEfmt ", 16, PP_CODEC_UNKNOWN},
        {"II*\0\x08\0\0\0", 8, PP_CODEC_TIFF},
        {"MM\0*\0\0\0\x08", 8, PP_CODEC_TIFF},
        {"II+\0\x08\0\0\0", 8, PP_CODEC_TIFF},
        {"MM\0+\0\x08\0\0", 8, PP_CODEC_TIFF},
        {"II*", 3, PP_CODEC_UNKNOWN},
        {"P5\n", 3, PP_CODEC_PNM},
        {"P6 ", 3, PP_CODEC_PNM},
        {"P6#", 3, PP_CODEC_PNM},
        {"P6x", 3, PP_CODEC_UNKNOWN},
        {"P4\n", 3, PP_CODEC_UNKNOWN},
        {"P3\n", 3, PP_CODEC_UNKNOWN},
        {"GIF89a", 6, PP_CODEC_UNKNOWN},
        {"", 0, PP_CODEC_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (pp_codec_sniff((const uint8_t *)cases[i].bytes, cases[i].len) != cases[i].id)
            fail_msg("case %zu sniffed as %s, want %s", i,
                     pp_codec_name(pp_codec_sniff((const uint8_t *)cases[i].bytes, cases[i].len)),
                     pp_codec_name(cases[i].id));
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(pp_codec_from_name("JPG"), PP_CODEC_JPEG);
    assert_int_equal(pp_codec_from_name("jpeg"), PP_CODEC_JPEG);
    assert_int_equal(pp_codec_from_name("Tiff"), PP_CODEC_TIFF);
    assert_int_equal(pp_codec_from_name("pgm"), PP_CODEC_PNM);
    assert_int_equal(pp_codec_from_name("gif"), PP_CODEC_UNKNOWN);
    assert_int_equal(pp_codec_from_path("/a.b/c.WEBP"), PP_CODEC_WEBP);
    assert_int_equal(pp_codec_from_path("/a.png/noext"), PP_CODEC_UNKNOWN);
    assert_int_equal(pp_codec_from_path("x.tif"), PP_CODEC_TIFF);
    for (int id = PP_CODEC_JPEG; id < PP_CODEC_COUNT; id++) {
        assert_int_equal(pp_codec_from_name(pp_codec_name((pp_codec_id)id)), id);
        assert_int_equal(pp_codec_from_name(pp_codec_ext((pp_codec_id)id)), id);
    }
    assert_int_equal(pp_codec_available(PP_CODEC_JPEG), PP_HAVE_JPEG);
    assert_int_equal(pp_codec_available(PP_CODEC_PNG), PP_HAVE_PNG);
    assert_int_equal(pp_codec_available(PP_CODEC_WEBP), PP_HAVE_WEBP);
    assert_int_equal(pp_codec_available(PP_CODEC_TIFF), PP_HAVE_TIFF);
    assert_true(pp_codec_available(PP_CODEC_PNM));
    assert_false(pp_codec_available(PP_CODEC_UNKNOWN));
    assert_true(pp_codec_holds_icc(PP_CODEC_JPEG));
    assert_true(pp_codec_holds_icc(PP_CODEC_PNG));
    assert_true(pp_codec_holds_icc(PP_CODEC_WEBP));
    assert_true(pp_codec_holds_icc(PP_CODEC_TIFF));
    assert_false(pp_codec_holds_icc(PP_CODEC_PNM));
    assert_string_equal(pp_codec_name(PP_CODEC_UNKNOWN), "unknown");
    assert_int_equal(pp_output_codec("o.png", PP_CODEC_UNKNOWN, PP_CODEC_JPEG), PP_CODEC_PNG);
    assert_int_equal(pp_output_codec("o", PP_CODEC_UNKNOWN, PP_CODEC_JPEG), PP_CODEC_JPEG);
    assert_int_equal(pp_output_codec("o.png", PP_CODEC_TIFF, PP_CODEC_JPEG), PP_CODEC_TIFF);
}

static void test_empty_and_unknown(void **state)
{
    (void)state;
    pp_err err;
    assert_null(pp_decoder_open_mem("x", 0, NULL, &err));
    tu_assert_err(&err, PP_EFORMAT, "empty");
    assert_null(pp_decoder_open_mem("GIF89a\1\0\1\0", 10, NULL, &err));
    tu_assert_err(&err, PP_EFORMAT, "first bytes 47 49 46 38 match no format");
    char *dir = tu_mkdtemp();
    char *p = tu_path(dir, "empty.png");
    tu_write_file(p, "", 0);
    assert_null(pp_decoder_open_file(p, NULL, &err));
    tu_assert_err(&err, PP_EFORMAT, "empty file (0 bytes)");
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* One small encoded image of each format, w x h. */
static uint8_t *encode_format(pp_codec_id id, size_t w, size_t h, size_t *len)
{
    pp_image *im = ct_image_smooth(w, h, 3);
    uint8_t *f = ct_encode_ok(id, im, NULL, len);
    pp_image_free(im);
    return f;
}

/* max_pixels is checked from the header in every format, and the message
 * names the limit, the size and the pixel count found. */
static void test_max_pixels_every_codec(void **state)
{
    (void)state;
    for (int id = PP_CODEC_JPEG; id < PP_CODEC_COUNT; id++) {
        if (!pp_codec_available((pp_codec_id)id))
            continue;
        size_t len;
        uint8_t *f = encode_format((pp_codec_id)id, 30, 20, &len);
        pp_decode_opts o = ct_dopts(true);
        o.limits.max_pixels = 599;
        pp_err err;
        assert_null(pp_decoder_open_mem(f, len, &o, &err));
        tu_assert_err(&err, PP_ELIMIT, "max-pixels");
        tu_assert_err(&err, PP_ELIMIT, "30x20 = 600 pixels");
        tu_assert_err(&err, PP_ELIMIT, "limit 599");
        o.limits.max_pixels = 600;
        pp_image *im = ct_decode_ok(f, len, &o, NULL);
        assert_int_equal(im->width, 30);
        pp_image_free(im);
        free(f);
    }
}

/* max_bytes bounds the encoded input, from memory or from a file. */
static void test_max_bytes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    for (int id = PP_CODEC_JPEG; id < PP_CODEC_COUNT; id++) {
        if (!pp_codec_available((pp_codec_id)id))
            continue;
        size_t len;
        uint8_t *f = encode_format((pp_codec_id)id, 16, 16, &len);
        pp_decode_opts o = ct_dopts(true);
        o.limits.max_bytes = len - 1;
        char want[64];
        snprintf(want, sizeof want, "input is %zu bytes", len);
        pp_err err;
        assert_null(pp_decoder_open_mem(f, len, &o, &err));
        tu_assert_err(&err, PP_ELIMIT, "max-bytes");
        tu_assert_err(&err, PP_ELIMIT, want);
        char *p = tu_path(dir, "in.bin");
        tu_write_file(p, f, len);
        assert_null(pp_decoder_open_file(p, &o, &err));
        tu_assert_err(&err, PP_ELIMIT, "max-bytes");
        o.limits.max_bytes = len;
        pp_decoder *d = pp_decoder_open_file(p, &o, &err);
        assert_non_null(d);
        assert_int_equal(pp_decoder_info(d)->codec, id);
        pp_decoder_free(d);
        free(p);
        free(f);
    }
    tu_rmtree(dir);
    free(dir);
}

static void test_convert_row(void **state)
{
    (void)state;
    const uint8_t rgb[9] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
    uint8_t g[3];
    pp_convert_row(rgb, 3, g, 1, 3);
    /* BT.601 with OpenCV's weights: R 0.299, G 0.587, B 0.114. */
    assert_int_equal(g[0], 76);
    assert_int_equal(g[1], 150);
    assert_int_equal(g[2], 29);
    const uint8_t gray[2] = {7, 200};
    uint8_t out[8];
    pp_convert_row(gray, 1, out, 3, 2);
    const uint8_t want3[6] = {7, 7, 7, 200, 200, 200};
    assert_memory_equal(out, want3, 6);
    pp_convert_row(gray, 1, out, 4, 2);
    const uint8_t want4[8] = {7, 7, 7, 255, 200, 200, 200, 255};
    assert_memory_equal(out, want4, 8);
    const uint8_t ga[4] = {9, 100, 250, 0};
    pp_convert_row(ga, 2, out, 4, 2);
    const uint8_t want_ga4[8] = {9, 9, 9, 100, 250, 250, 250, 0};
    assert_memory_equal(out, want_ga4, 8);
    pp_convert_row(ga, 2, out, 1, 2);
    assert_int_equal(out[0], 9);
    assert_int_equal(out[1], 250);
    const uint8_t rgba[8] = {10, 20, 30, 40, 255, 255, 255, 0};
    pp_convert_row(rgba, 4, out, 3, 2);
    const uint8_t want_rgb[6] = {10, 20, 30, 255, 255, 255};
    assert_memory_equal(out, want_rgb, 6);
    pp_convert_row(rgba, 4, out, 2, 2);
    assert_int_equal(out[1], 40);
    assert_int_equal(out[3], 0);
    assert_int_equal(out[2], 255);
    pp_convert_row(rgb, 3, out, 4, 1);
    const uint8_t want_rgba[4] = {255, 0, 0, 255};
    assert_memory_equal(out, want_rgba, 4);
}

/* ---- orientation ---- */

#if PP_HAVE_JPEG
static const uint8_t six_colors[] = {255, 0,   0,  0,  200, 0,   0,   0,   255,
                                     250, 250, 40, 20, 220, 220, 128, 128, 128};

/* A 48x32 JPEG of six 16x16 colour blocks (non-square, every corner
 * different) with an EXIF APP1 holding orientation o. */
static uint8_t *oriented_jpeg(int o, bool progressive, size_t *len)
{
    pp_image *src = ct_image_blocks(48, 32, 3, 16, six_colors, 6);
    uint8_t exif[64];
    size_t n = ct_exif_block(exif, sizeof exif, o, o % 2 == 0, true);
    ct_jpeg_opts jo = {.quality = 100,
                       .adobe = -1,
                       .progressive = progressive,
                       .h0 = 1,
                       .v0 = 1,
                       .app1 = exif,
                       .app1_len = n};
    uint8_t *f = ct_jpeg_write(src->data, 48, 32, 3, &jo, len);
    pp_image_free(src);
    return f;
}

/* For each orientation: the delivered size (swapped for 5..8), the flags,
 * the exact pixel mapping against the EXIF definition (applied here to the
 * stored image), and that the stored image is the one written. */
static void test_orientation_jpeg(void **state)
{
    (void)state;
    for (int prog = 0; prog <= 1; prog++)
        for (int o = 1; o <= 8; o++) {
            size_t len;
            uint8_t *f = oriented_jpeg(o, prog, &len);
            pp_decode_opts raw_opts = ct_dopts(false);
            pp_image_info info;
            pp_image *stored = ct_decode_ok(f, len, &raw_opts, &info);
            assert_int_equal(info.orientation, o);
            assert_false(info.oriented);
            assert_int_equal(info.width, 48);
            assert_int_equal(info.height, 32);
            assert_int_equal(info.streams, !prog);
            pp_image *want_stored = ct_image_blocks(48, 32, 3, 16, six_colors, 6);
            ct_assert_image_near(stored, want_stored, 3);

            pp_image *out = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.orientation, o);
            assert_int_equal(info.oriented, o != 1);
            assert_int_equal(info.width, o >= 5 ? 32 : 48);
            assert_int_equal(info.height, o >= 5 ? 48 : 32);
            assert_int_equal(info.streams, !prog && o <= 2);
            pp_image *want = ct_orient(stored, o);
            ct_assert_image_equal(out, want);

            /* Skip then read gives the same rows as reading straight. */
            static const size_t skips[] = {1, 5, 16, 31};
            for (size_t k = 0; k < 4; k++) {
                pp_image *part = ct_decode_after_skip(f, len, NULL, skips[k]);
                ct_assert_rows_equal(out, skips[k], part);
                pp_image_free(part);
            }
            pp_image_free(want);
            pp_image_free(out);
            pp_image_free(want_stored);
            pp_image_free(stored);
            free(f);
        }
}

/* EXIF blocks that do not hold a valid orientation leave the image as
 * stored (orientation 1). */
static void test_orientation_malformed(void **state)
{
    (void)state;
    pp_image *src = ct_image_blocks(48, 32, 3, 16, six_colors, 6);
    uint8_t exif[64];
    for (int variant = 0; variant < 7; variant++) {
        size_t n = ct_exif_block(exif, sizeof exif, 6, false, true);
        switch (variant) {
        case 0: exif[6 + 22 + 8] = 0; break;           /* value 0 */
        case 1: exif[6 + 22 + 8] = 9; break;           /* value 9 */
        case 2: exif[6 + 22 + 2] = 4; break;           /* type LONG, not SHORT */
        case 3: exif[6 + 22 + 4] = 2; break;           /* count 2 */
        case 4: exif[6 + 4] = 200; break;              /* IFD offset past the end */
        case 5: n = 6 + 30; break;                     /* entry cut short */
        default: memcpy(exif, "Exif\0\0XX", 8); break; /* not a TIFF header */
        }
        ct_jpeg_opts jo = {.quality = 90, .adobe = -1, .app1 = exif, .app1_len = n};
        size_t len;
        uint8_t *f = ct_jpeg_write(src->data, 48, 32, 3, &jo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        if (info.orientation != 1)
            fail_msg("variant %d gave orientation %d", variant, info.orientation);
        assert_false(info.oriented);
        assert_int_equal(out->width, 48);
        pp_image_free(out);
        free(f);
    }
    pp_image_free(src);
}
#endif

#if PP_HAVE_PNG
/* PNG eXIf orientation on random (lossless) pixels: the mapping is exact for
 * every pixel, not just block colours. */
static void test_orientation_png_exact(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c += 3) {
        pp_image *src = ct_image_random(7, 5, c, 70u + (uint32_t)c);
        for (int o = 1; o <= 8; o++) {
            uint8_t exif[64];
            size_t n = ct_exif_block(exif, sizeof exif, o, o > 4, false);
            struct spng_exif ex = {.length = n, .data = (char *)exif};
            ct_png_opts po = {.exif = &ex};
            struct spng_ihdr ih = {
                7, 5, 8, c == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR_ALPHA,
                0, 0, 0};
            size_t len;
            uint8_t *f = ct_png_write(&ih, src->data, 35 * (size_t)c, &po, &len);
            pp_image_info info;
            pp_image *out = ct_decode_ok(f, len, NULL, &info);
            assert_int_equal(info.orientation, o);
            pp_image *want = ct_orient(src, o);
            ct_assert_image_equal(out, want);
            for (size_t skip = 1; skip < want->height; skip += 2) {
                pp_image *part = ct_decode_after_skip(f, len, NULL, skip);
                ct_assert_rows_equal(want, skip, part);
                pp_image_free(part);
            }
            pp_decode_opts raw = ct_dopts(false);
            pp_image *stored = ct_decode_ok(f, len, &raw, &info);
            assert_int_equal(info.orientation, o);
            ct_assert_image_equal(stored, src);
            pp_image_free(stored);
            pp_image_free(want);
            pp_image_free(out);
            free(f);
        }
        pp_image_free(src);
    }
}
#endif

/* ---- pp_process_file ---- */

static pp_process_opts popts(void)
{
    pp_process_opts o;
    pp_process_opts_default(&o);
    o.sync = false;
    return o;
}

static void assert_file_icc(const char *path, const uint8_t *icc, size_t icc_len)
{
    pp_err err;
    pp_decoder *d = pp_decoder_open_file(path, NULL, &err);
    if (!d)
        fail_msg("%s: %s", path, err.msg);
    size_t n;
    const uint8_t *got = pp_decoder_icc(d, &n);
    if (n != icc_len)
        fail_msg("%s: ICC of %zu bytes, want %zu", path, n, icc_len);
    if (icc_len)
        assert_memory_equal(got, icc, icc_len);
    else
        assert_null(got);
    assert_int_equal(pp_decoder_info(d)->icc_len, icc_len);
    pp_decoder_free(d);
}

/* An ICC profile survives JPEG -> PNG -> WebP -> TIFF -> JPEG through
 * pp_process_file; strip drops it; PNM output has none. */
static void test_icc_through_process(void **state)
{
    (void)state;
    if (!PP_HAVE_JPEG || !PP_HAVE_PNG || !PP_HAVE_WEBP || !PP_HAVE_TIFF)
        skip();
    char *dir = tu_mkdtemp();
    uint8_t icc[480];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i * 37 + 1);
    pp_image *src = ct_image_smooth(40, 24, 3);
    pp_err err;
    size_t len;
    uint8_t *f = ct_encode(PP_CODEC_JPEG, src, NULL, icc, sizeof icc, &len, &err);
    assert_non_null(f);
    char *jpg = tu_path(dir, "a.jpg");
    tu_write_file(jpg, f, len);
    free(f);
    const char *chain[] = {"b.png", "c.webp", "d.tif", "e.jpg", "f.png"};
    char *prev = jpg;
    pp_process_opts o = popts();
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        char *next = tu_path(dir, chain[i]);
        pp_process_stats st;
        if (pp_process_file(prev, next, &o, &st, &err) != 0)
            fail_msg("%s -> %s: %s", prev, next, err.msg);
        assert_int_equal(st.out_codec, pp_codec_from_path(next));
        assert_int_equal(st.in_codec, pp_codec_from_path(prev));
        assert_true(st.out_bytes > 0);
        assert_file_icc(next, icc, sizeof icc);
        if (prev != jpg)
            free(prev);
        prev = next;
    }
    /* strip */
    o.enc.strip = true;
    char *stripped = tu_path(dir, "g.png");
    assert_int_equal(pp_process_file(prev, stripped, &o, NULL, &err), 0);
    assert_file_icc(stripped, NULL, 0);
    /* PNM cannot hold one */
    o.enc.strip = false;
    char *pnm = tu_path(dir, "h.ppm");
    assert_int_equal(pp_process_file(prev, pnm, &o, NULL, &err), 0);
    assert_file_icc(pnm, NULL, 0);
    size_t plen;
    uint8_t *pdata = tu_read_file(pnm, &plen);
    assert_memory_equal(pdata, "P6\n40 24\n255\n", 13);
    assert_int_equal(plen, 13 + 40 * 24 * 3);
    free(pdata);
    free(pnm);
    free(stripped);
    free(prev);
    free(jpg);
    pp_image_free(src);
    tu_rmtree(dir);
    free(dir);
}

/* pp_process_file streams exactly: PNG -> PNG and PNG -> TIFF reproduce the
 * pixels; the output format follows the extension unless one is requested;
 * it never writes over its input and leaves nothing behind on failure. */
static void test_process_file(void **state)
{
    (void)state;
    if (!PP_HAVE_PNG || !PP_HAVE_TIFF)
        skip();
    char *dir = tu_mkdtemp();
    pp_image *src = ct_image_random(123, 77, 4, 2024u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNG, src, NULL, &len);
    char *in = tu_path(dir, "in.png");
    tu_write_file(in, f, len);
    free(f);
    pp_process_opts o = popts();
    pp_err err;
    pp_process_stats st;
    char *out = tu_path(dir, "out.tif");
    assert_int_equal(pp_process_file(in, out, &o, &st, &err), 0);
    assert_int_equal(st.in_fmt.width, 123);
    assert_int_equal(st.out_fmt.channels, 4);
    assert_int_equal(st.in_bytes, len);
    pp_image_info info;
    pp_image *back = pp_decode_file(out, NULL, &info, &err);
    assert_non_null(back);
    assert_int_equal(info.codec, PP_CODEC_TIFF);
    ct_assert_image_equal(back, src);
    pp_image_free(back);
    free(out);

    /* A requested format wins over the extension. */
    out = tu_path(dir, "out.png");
    o.format = PP_CODEC_PNM;
    assert_int_equal(pp_process_file(in, out, &o, &st, &err), 0);
    assert_int_equal(st.out_codec, PP_CODEC_PNM);
    back = pp_decode_file(out, NULL, &info, &err);
    assert_non_null(back);
    assert_int_equal(info.codec, PP_CODEC_PNM);
    assert_int_equal(info.channels, 3);
    pp_image_free(back);
    free(out);
    o.format = PP_CODEC_UNKNOWN;

    /* Never over the input. */
    assert_int_equal(pp_process_file(in, in, &o, NULL, &err), PP_EINVAL);
    tu_assert_err(&err, PP_EINVAL, "overwrite the input");

    /* A broken input: error names the input, nothing is left behind. */
    char *bad = tu_path(dir, "bad.png");
    uint8_t *whole = tu_read_file(in, &len);
    tu_write_file(bad, whole, len / 2);
    free(whole);
    int before = tu_count_entries(dir);
    out = tu_path(dir, "never.png");
    assert_int_equal(pp_process_file(bad, out, &o, NULL, &err), PP_ECORRUPT);
    assert_non_null(strstr(err.msg, bad));
    assert_int_equal(tu_count_entries(dir), before);
    free(out);

    /* A missing input. */
    char *missing = tu_path(dir, "missing.png");
    out = tu_path(dir, "x.png");
    assert_int_equal(pp_process_file(missing, out, &o, NULL, &err), PP_ENOENT);
    free(out);
    free(missing);
    free(bad);
    free(in);
    pp_image_free(src);
    tu_rmtree(dir);
    free(dir);
}

/* The streams flag: incremental for non-interlaced PNG, baseline JPEG and
 * TIFF strips; whole-image for Adam7 PNG, progressive JPEG and WebP. Every
 * case still decodes correctly. */
static void test_streams_flag(void **state)
{
    (void)state;
    const size_t w = 640, h = 400;
    pp_image *src = ct_image_smooth(w, h, 3);
    struct {
        pp_codec_id id;
        bool progressive, lossless;
        bool streams;
    } cases[] = {
        {PP_CODEC_PNG, false, false, true},  {PP_CODEC_JPEG, false, false, true},
        {PP_CODEC_JPEG, true, false, false}, {PP_CODEC_TIFF, false, false, true},
        {PP_CODEC_WEBP, false, true, false}, {PP_CODEC_WEBP, false, false, false},
        {PP_CODEC_PNM, false, false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!pp_codec_available(cases[i].id))
            continue;
        pp_encode_opts eo;
        pp_encode_opts_default(&eo);
        eo.quality = 95;
        eo.progressive = cases[i].progressive;
        eo.lossless = cases[i].lossless;
        size_t len;
        uint8_t *f = ct_encode_ok(cases[i].id, src, &eo, &len);
        pp_image_info info;
        pp_image *out = ct_decode_ok(f, len, NULL, &info);
        if (info.streams != cases[i].streams)
            fail_msg("case %zu (%s): streams %d", i, pp_codec_name(cases[i].id), info.streams);
        bool exact = cases[i].id == PP_CODEC_PNG || cases[i].id == PP_CODEC_TIFF ||
                     cases[i].id == PP_CODEC_PNM || cases[i].lossless;
        if (exact)
            ct_assert_image_equal(out, src);
        else
            assert_true(ct_psnr(out, src, 3) > 38.0);
        pp_image_free(out);
        free(f);
    }
#if PP_HAVE_PNG
    struct spng_ihdr ih = {(uint32_t)w, (uint32_t)h, 8, SPNG_COLOR_TYPE_TRUECOLOR, 0, 0, 1};
    size_t len;
    uint8_t *f = ct_png_write(&ih, src->data, w * h * 3, NULL, &len);
    pp_image_info info;
    pp_image *out = ct_decode_ok(f, len, NULL, &info);
    assert_true(info.interlaced);
    assert_false(info.streams);
    ct_assert_image_equal(out, src);
    pp_image_free(out);
    free(f);
#endif
    pp_image_free(src);
}

/* ---- API misuse ---- */

static void test_api_errors(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(8, 6, 3, 1u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNM, src, NULL, &len);
    pp_err err;
    pp_decoder *d = pp_decoder_open_mem(f, len, NULL, &err);
    assert_non_null(d);
    uint8_t buf[8 * 3 * 7];
    assert_int_equal(pp_decoder_read(d, buf, 24, 7, &err), PP_EINVAL);
    tu_assert_err(&err, PP_EINVAL, "past the end (row 0 + 7 of 6)");
    assert_int_equal(pp_decoder_read(d, buf, 24, 6, &err), 0);
    assert_int_equal(pp_decoder_read(d, buf, 24, 1, &err), PP_EINVAL);
    assert_int_equal(pp_decoder_read(d, buf, 24, 0, &err), 0);
    pp_decoder_free(d);
    pp_decoder_free(NULL);

    /* Encoder: too many rows, finishing early, bad formats. */
    char *mem = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&mem, &size);
    assert_non_null(fp);
    pp_format fmt = {8, 6, 3};
    pp_encoder *e = pp_encoder_open(fp, PP_CODEC_PNM, &fmt, NULL, NULL, 0, &err);
    assert_non_null(e);
    assert_int_equal(pp_encoder_write(e, src->data, src->stride, 7, &err), PP_EINVAL);
    tu_assert_err(&err, PP_EINVAL, "more rows");
    assert_int_equal(pp_encoder_write(e, src->data, src->stride, 2, &err), 0);
    assert_int_equal(pp_encoder_finish(e, &err), PP_EINVAL);
    tu_assert_err(&err, PP_EINVAL, "finished after 2 of 6 rows");
    pp_encoder_free(e);
    pp_encoder_free(NULL);
    pp_format bad = {8, 6, 5};
    assert_null(pp_encoder_open(fp, PP_CODEC_PNM, &bad, NULL, NULL, 0, &err));
    tu_assert_err(&err, PP_EINVAL, "channel count 5");
    pp_format empty = {0, 6, 3};
    assert_null(pp_encoder_open(fp, PP_CODEC_PNM, &empty, NULL, NULL, 0, &err));
    assert_int_equal(err.code, PP_EINVAL);
    assert_null(pp_encoder_open(fp, PP_CODEC_UNKNOWN, &fmt, NULL, NULL, 0, &err));
    tu_assert_err(&err, PP_EINVAL, "no output format");
    fclose(fp);
    free(mem);
    free(f);
    pp_image_free(src);
}

/* A full disk is an I/O error from write or finish, in every encoder, never
 * a silent success. */
static void test_write_errors(void **state)
{
    (void)state;
    FILE *probe = fopen("/dev/full", "wb");
    if (!probe)
        skip();
    fclose(probe);
    pp_image *src = ct_image_random(300, 200, 3, 1u);
    for (int id = PP_CODEC_JPEG; id < PP_CODEC_COUNT; id++) {
        if (!pp_codec_available((pp_codec_id)id))
            continue;
        FILE *fp = fopen("/dev/full", "wb");
        assert_non_null(fp);
        pp_format fmt = pp_image_format(src);
        pp_err err;
        int rc;
        pp_encoder *e = pp_encoder_open(fp, (pp_codec_id)id, &fmt, NULL, NULL, 0, &err);
        if (!e) {
            rc = err.code;
        } else {
            rc = pp_encoder_write(e, src->data, src->stride, src->height, &err);
            if (rc == 0)
                rc = pp_encoder_finish(e, &err);
        }
        if (rc != PP_EIO)
            fail_msg("%s on a full disk: rc %d (%s)", pp_codec_name((pp_codec_id)id), rc,
                     rc ? err.msg : "success");
        pp_encoder_free(e);
        fclose(fp);
    }
    pp_image_free(src);
}

static void test_cancel(void **state)
{
    (void)state;
    pp_image *src = ct_image_random(8, 6, 1, 1u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNM, src, NULL, &len);
    pp_cancel flag = 0;
    pp_decode_opts o = ct_dopts(true);
    o.cancel = &flag;
    pp_err err;
    pp_decoder *d = pp_decoder_open_mem(f, len, &o, &err);
    assert_non_null(d);
    uint8_t row[8];
    assert_int_equal(pp_decoder_read(d, row, 8, 1, &err), 0);
    flag = 1;
    assert_int_equal(pp_decoder_read(d, row, 8, 1, &err), PP_ECANCELED);
    assert_int_equal(pp_decoder_skip(d, 1, &err), PP_ECANCELED);
    assert_int_equal(pp_decoder_row(d), 1);
    pp_decoder_free(d);
    free(f);
    pp_image_free(src);
}

static void test_open_file_rules(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    pp_image *src = ct_image_random(4, 4, 3, 1u);
    size_t len;
    uint8_t *f = ct_encode_ok(PP_CODEC_PNM, src, NULL, &len);
    char *real = tu_path(dir, "real.ppm");
    char *link = tu_path(dir, "link.ppm");
    char *missing = tu_path(dir, "missing.ppm");
    tu_write_file(real, f, len);
    assert_int_equal(symlink(real, link), 0);
    pp_err err;
    assert_null(pp_decoder_open_file(missing, NULL, &err));
    assert_int_equal(err.code, PP_ENOENT);
    assert_null(pp_decoder_open_file(link, NULL, &err));
    assert_int_equal(err.code, PP_ENOTFILE);
    assert_null(pp_decoder_open_file(dir, NULL, &err));
    assert_int_equal(err.code, PP_ENOTFILE);
    pp_image_info info;
    pp_image *im = pp_decode_file(real, NULL, &info, &err);
    assert_non_null(im);
    ct_assert_image_equal(im, src);
    pp_image_free(im);
    free(real);
    free(link);
    free(missing);
    free(f);
    pp_image_free(src);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_empty_and_unknown),
        cmocka_unit_test(test_max_pixels_every_codec),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_convert_row),
#if PP_HAVE_JPEG
        cmocka_unit_test(test_orientation_jpeg),
        cmocka_unit_test(test_orientation_malformed),
#endif
#if PP_HAVE_PNG
        cmocka_unit_test(test_orientation_png_exact),
#endif
        cmocka_unit_test(test_icc_through_process),
        cmocka_unit_test(test_process_file),
        cmocka_unit_test(test_streams_flag),
        cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_open_file_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
