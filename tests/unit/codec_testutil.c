/* Helpers shared by the codec unit tests. See codec_testutil.h.
 *
 * The encode/decode helpers deliberately feed and fetch rows in uneven batches
 * (1, 2, 3, 5, 8... rows) through buffers whose stride is wider than a row, so
 * every round trip also checks the row-batching and stride handling of the
 * codec layer. */
#include "codec_testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Synthetic images                                                    */
/* ------------------------------------------------------------------ */

static pp_image *new_image(size_t w, size_t h, int c)
{
    pp_err err;
    pp_image *im = pp_image_new(w, h, c, &err);
    if (!im)
        fail_msg("pp_image_new: %s", err.msg);
    return im;
}

pp_image *ct_image_random(size_t w, size_t h, int c, uint32_t seed)
{
    pp_image *im = new_image(w, h, c);
    uint32_t s = seed ? seed : 0x9e3779b9u;
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = pp_image_row(im, y);
        for (size_t i = 0; i < w * (size_t)c; i++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            row[i] = (uint8_t)(s >> 24);
        }
    }
    return im;
}

pp_image *ct_image_smooth(size_t w, size_t h, int c)
{
    pp_image *im = new_image(w, h, c);
    size_t dw = w > 1 ? w - 1 : 1, dh = h > 1 ? h - 1 : 1;
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = pp_image_row(im, y);
        for (size_t x = 0; x < w; x++) {
            uint8_t v[4];
            v[0] = (uint8_t)(30 + x * 190 / dw);
            v[1] = (uint8_t)(20 + y * 200 / dh);
            v[2] = (uint8_t)(230 - (x + y) * 200 / (dw + dh));
            v[3] = (uint8_t)(255 - x * 200 / dw);
            uint8_t *p = row + x * (size_t)c;
            switch (c) {
            case 1: p[0] = v[0]; break;
            case 2: p[0] = v[0], p[1] = v[1]; break;
            case 3: memcpy(p, v, 3); break;
            default: memcpy(p, v, 4); break;
            }
        }
    }
    return im;
}

pp_image *ct_image_blocks(size_t w, size_t h, int c, size_t block, const uint8_t *colors,
                          size_t ncolors)
{
    pp_image *im = new_image(w, h, c);
    size_t bw = (w + block - 1) / block;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            size_t k = ((y / block) * bw + x / block) % ncolors;
            memcpy(pp_image_row(im, y) + x * (size_t)c, colors + k * (size_t)c, (size_t)c);
        }
    return im;
}

/* ------------------------------------------------------------------ */
/* Comparison                                                          */
/* ------------------------------------------------------------------ */

static void assert_same_format(const pp_image *a, const pp_image *b, const char *file, int line)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        fail_msg("%s:%d: format %zux%zux%d != %zux%zux%d", file, line, a->width, a->height,
                 a->channels, b->width, b->height, b->channels);
}

void ct_assert_image_near_at(const pp_image *a, const pp_image *b, int tol, const char *file,
                             int line)
{
    assert_same_format(a, b, file, line);
    int c = a->channels;
    for (size_t y = 0; y < a->height; y++) {
        const uint8_t *ra = pp_image_row(a, y), *rb = pp_image_row(b, y);
        for (size_t i = 0; i < a->width * (size_t)c; i++) {
            int d = (int)ra[i] - (int)rb[i];
            if (d > tol || d < -tol)
                fail_msg("%s:%d: pixel (%zu,%zu) channel %d: %u vs %u (tolerance %d)", file, line,
                         i / (size_t)c, y, (int)(i % (size_t)c), ra[i], rb[i], tol);
        }
    }
}

void ct_assert_image_equal_at(const pp_image *a, const pp_image *b, const char *file, int line)
{
    ct_assert_image_near_at(a, b, 0, file, line);
}

double ct_psnr(const pp_image *a, const pp_image *b, int channels)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    double se = 0;
    size_t n = 0;
    for (size_t y = 0; y < a->height; y++)
        for (size_t x = 0; x < a->width; x++)
            for (int k = 0; k < channels; k++) {
                double d = (double)pp_image_row(a, y)[x * (size_t)a->channels + (size_t)k] -
                           (double)pp_image_row(b, y)[x * (size_t)b->channels + (size_t)k];
                se += d * d;
                n++;
            }
    if (se == 0)
        return 99.0;
    return 10.0 * log10(255.0 * 255.0 / (se / (double)n));
}

pp_image *ct_convert(const pp_image *im, int channels)
{
    pp_image *out = new_image(im->width, im->height, channels);
    for (size_t y = 0; y < im->height; y++)
        pp_convert_row(pp_image_row(im, y), im->channels, pp_image_row(out, y), channels,
                       im->width);
    return out;
}

/* ------------------------------------------------------------------ */
/* Encode / decode                                                     */
/* ------------------------------------------------------------------ */

#define PAD 13 /* extra bytes per row in the padded buffers */

static const size_t batches[] = {1, 2, 3, 5, 8, 13, 21};

uint8_t *ct_encode(pp_codec_id codec, const pp_image *im, const pp_encode_opts *o,
                   const uint8_t *icc, size_t icc_len, size_t *len, pp_err *err)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);
    assert_non_null(fp);
    size_t row = im->width * (size_t)im->channels, stride = row + PAD;
    uint8_t *src = malloc(stride * im->height);
    assert_non_null(src);
    for (size_t y = 0; y < im->height; y++) {
        memcpy(src + y * stride, pp_image_row(im, y), row);
        memset(src + y * stride + row, 0xA5, PAD);
    }
    pp_format fmt = pp_image_format(im);
    int rc = -1;
    pp_encoder *e = pp_encoder_open(fp, codec, &fmt, o, icc, icc_len, err);
    if (e) {
        rc = 0;
        for (size_t y = 0, b = 0; y < im->height && rc == 0; b++) {
            size_t n = batches[b % (sizeof batches / sizeof batches[0])];
            if (n > im->height - y)
                n = im->height - y;
            rc = pp_encoder_write(e, src + y * stride, stride, n, err);
            y += n;
        }
        if (rc == 0)
            rc = pp_encoder_finish(e, err);
        if (rc == 0) {
            /* pp_encoder_finish promises a flushed stream: the memstream's
             * size is only updated by a flush. */
            size_t flushed = size;
            long pos = ftell(fp);
            assert_true(pos >= 0);
            if (flushed != (size_t)pos)
                fail_msg("%s encoder: finish left %ld bytes unflushed (size %zu)",
                         pp_codec_name(codec), pos, flushed);
        }
    }
    pp_encoder_free(e);
    fclose(fp);
    free(src);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return (uint8_t *)buf;
}

uint8_t *ct_encode_ok(pp_codec_id codec, const pp_image *im, const pp_encode_opts *o, size_t *len)
{
    pp_err err;
    uint8_t *out = ct_encode(codec, im, o, NULL, 0, len, &err);
    if (!out)
        fail_msg("encode %s: %s", pp_codec_name(codec), err.msg);
    return out;
}

pp_image *ct_decode(const void *data, size_t len, const pp_decode_opts *o, pp_image_info *info,
                    pp_err *err)
{
    pp_decoder *d = pp_decoder_open_mem(data, len, o, err);
    if (!d)
        return NULL;
    const pp_image_info *i = pp_decoder_info(d);
    if (info)
        *info = *i;
    assert_true(pp_channels_valid(i->channels));
    size_t row = i->width * (size_t)i->channels, stride = row + PAD;
    uint8_t *dst = malloc(stride * i->height);
    assert_non_null(dst);
    int rc = 0;
    for (size_t y = 0, b = 0; y < i->height && rc == 0; b++) {
        size_t n = batches[(b + 3) % (sizeof batches / sizeof batches[0])];
        if (n > i->height - y)
            n = i->height - y;
        assert_int_equal(pp_decoder_row(d), y);
        rc = pp_decoder_read(d, dst + y * stride, stride, n, err);
        y += n;
    }
    pp_image *im = NULL;
    if (rc == 0) {
        im = new_image(i->width, i->height, i->channels);
        for (size_t y = 0; y < i->height; y++)
            memcpy(pp_image_row(im, y), dst + y * stride, row);
    }
    free(dst);
    pp_decoder_free(d);
    return im;
}

pp_image *ct_decode_ok(const void *data, size_t len, const pp_decode_opts *o, pp_image_info *info)
{
    pp_err err;
    pp_image *im = ct_decode(data, len, o, info, &err);
    if (!im)
        fail_msg("decode: %s", err.msg);
    return im;
}

pp_image *ct_decode_after_skip(const void *data, size_t len, const pp_decode_opts *o, size_t skip)
{
    pp_err err;
    pp_decoder *d = pp_decoder_open_mem(data, len, o, &err);
    if (!d)
        fail_msg("open: %s", err.msg);
    const pp_image_info *i = pp_decoder_info(d);
    assert_true(skip < i->height);
    if (pp_decoder_skip(d, skip, &err) < 0)
        fail_msg("skip %zu: %s", skip, err.msg);
    assert_int_equal(pp_decoder_row(d), skip);
    pp_image *im = new_image(i->width, i->height - skip, i->channels);
    if (pp_decoder_read(d, im->data, im->stride, im->height, &err) < 0)
        fail_msg("read after skip: %s", err.msg);
    pp_decoder_free(d);
    return im;
}

void ct_assert_rows_equal(const pp_image *whole, size_t y0, const pp_image *part)
{
    assert_int_equal(whole->width, part->width);
    assert_int_equal(whole->channels, part->channels);
    assert_true(y0 + part->height <= whole->height);
    size_t row = whole->width * (size_t)whole->channels;
    for (size_t y = 0; y < part->height; y++)
        if (memcmp(pp_image_row(whole, y0 + y), pp_image_row(part, y), row) != 0)
            fail_msg("row %zu differs from row %zu of the full decode", y, y0 + y);
}

pp_decode_opts ct_dopts(bool autorotate)
{
    pp_decode_opts o;
    pp_decode_opts_default(&o);
    o.autorotate = autorotate;
    return o;
}

uint8_t *ct_read_file(const char *path, size_t *len)
{
    return tu_read_file(path, len);
}

/* ------------------------------------------------------------------ */
/* EXIF orientation                                                    */
/* ------------------------------------------------------------------ */

static void put16(uint8_t *p, unsigned v, bool be)
{
    if (be)
        p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
    else
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
    if (be)
        put16(p, v >> 16, true), put16(p + 2, v & 0xffff, true);
    else
        put16(p, v & 0xffff, false), put16(p + 2, v >> 16, false);
}

size_t ct_exif_block(uint8_t *buf, size_t cap, int orientation, bool be, bool app1_header)
{
    /* header(8) + count(2) + 2 entries(24) + next IFD(4) */
    size_t pre = app1_header ? 6 : 0, n = pre + 38;
    assert_true(cap >= n);
    memset(buf, 0, n);
    if (app1_header)
        memcpy(buf, "Exif\0\0", 6);
    uint8_t *t = buf + pre;
    memcpy(t, be ? "MM" : "II", 2);
    put16(t + 2, 42, be);
    put32(t + 4, 8, be);
    put16(t + 8, 2, be);
    /* An unrelated tag first (ImageDescription offset-less ASCII, count 4,
     * inline "abc\0") so the reader has to walk the IFD. */
    uint8_t *e = t + 10;
    put16(e, 0x010E, be);
    put16(e + 2, 2, be);
    put32(e + 4, 4, be);
    memcpy(e + 8, "abc", 4);
    e += 12;
    put16(e, 0x0112, be);
    put16(e + 2, 3, be);
    put32(e + 4, 1, be);
    put16(e + 8, (unsigned)orientation, be);
    put32(t + 34, 0, be);
    return n;
}

pp_image *ct_orient(const pp_image *s, int o)
{
    size_t W = s->width, H = s->height;
    bool swap = o >= 5;
    pp_image *d = new_image(swap ? H : W, swap ? W : H, s->channels);
    int c = s->channels;
    for (size_t sy = 0; sy < H; sy++)
        for (size_t sx = 0; sx < W; sx++) {
            /* Where stored pixel (sx, sy) is displayed. EXIF names where the
             * stored 0th row and 0th column go: 1 top/left, 2 top/right,
             * 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top,
             * 7 right/bottom, 8 left/bottom. */
            size_t dx, dy;
            switch (o) {
            case 2: dx = W - 1 - sx, dy = sy; break;
            case 3: dx = W - 1 - sx, dy = H - 1 - sy; break;
            case 4: dx = sx, dy = H - 1 - sy; break;
            case 5: dx = sy, dy = sx; break;
            case 6: dx = H - 1 - sy, dy = sx; break;
            case 7: dx = H - 1 - sy, dy = W - 1 - sx; break;
            case 8: dx = sy, dy = W - 1 - sx; break;
            default: dx = sx, dy = sy; break;
            }
            memcpy(pp_image_row(d, dy) + dx * (size_t)c, pp_image_row(s, sy) + sx * (size_t)c,
                   (size_t)c);
        }
    return d;
}

/* ------------------------------------------------------------------ */
/* JPEG fixtures                                                       */
/* ------------------------------------------------------------------ */

#if PP_HAVE_JPEG
uint8_t *ct_jpeg_write(const uint8_t *px, size_t w, size_t h, int comps, const ct_jpeg_opts *o,
                       size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    unsigned long out_len = 0;
    c.err = jpeg_std_error(&jerr); /* errors exit: fixtures must never fail */
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &out_len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = o->in_cs     ? o->in_cs
                       : comps == 1 ? JCS_GRAYSCALE
                       : comps == 3 ? JCS_RGB
                                    : JCS_CMYK;
    jpeg_set_defaults(&c);
    if (o->jpeg_cs != JCS_UNKNOWN)
        jpeg_set_colorspace(&c, o->jpeg_cs);
    if (o->adobe >= 0)
        c.write_Adobe_marker = o->adobe ? TRUE : FALSE;
    jpeg_set_quality(&c, o->quality ? o->quality : 100, TRUE);
    if (o->h0) {
        c.comp_info[0].h_samp_factor = o->h0;
        c.comp_info[0].v_samp_factor = o->v0;
        for (int k = 1; k < c.num_components; k++)
            c.comp_info[k].h_samp_factor = c.comp_info[k].v_samp_factor = 1;
    }
    if (o->progressive)
        jpeg_simple_progression(&c);
    c.restart_interval = o->restart_interval;
    jpeg_start_compress(&c, TRUE);
    if (o->app1)
        jpeg_write_marker(&c, JPEG_APP0 + 1, o->app1, (unsigned)o->app1_len);
    if (o->icc)
        jpeg_write_icc_profile(&c, o->icc, (unsigned)o->icc_len);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = (JSAMPROW)(px + (size_t)c.next_scanline * w * (size_t)comps);
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = out_len;
    return out;
}
#endif

/* ------------------------------------------------------------------ */
/* PNG fixtures                                                        */
/* ------------------------------------------------------------------ */

#if PP_HAVE_PNG
uint8_t *ct_png_write(const struct spng_ihdr *ihdr, const void *raw, size_t raw_len,
                      const ct_png_opts *o, size_t *len)
{
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    assert_non_null(ctx);
    struct spng_ihdr h = *ihdr;
    assert_int_equal(spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1), 0);
    assert_int_equal(spng_set_ihdr(ctx, &h), 0);
    if (o && o->plte) {
        struct spng_plte p = *o->plte;
        assert_int_equal(spng_set_plte(ctx, &p), 0);
    }
    if (o && o->trns) {
        struct spng_trns t = *o->trns;
        assert_int_equal(spng_set_trns(ctx, &t), 0);
    }
    if (o && o->iccp) {
        struct spng_iccp i = *o->iccp;
        assert_int_equal(spng_set_iccp(ctx, &i), 0);
    }
    if (o && o->n_text) {
        struct spng_text *t = calloc(o->n_text, sizeof *t);
        assert_non_null(t);
        memcpy(t, o->text, o->n_text * sizeof *t);
        assert_int_equal(spng_set_text(ctx, t, o->n_text), 0);
        free(t);
    }
    if (o && o->exif) {
        struct spng_exif e = *o->exif;
        assert_int_equal(spng_set_exif(ctx, &e), 0);
    }
    int e = spng_encode_image(ctx, raw, raw_len, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    if (e)
        fail_msg("spng_encode_image: %s", spng_strerror(e));
    void *png = spng_get_png_buffer(ctx, len, &e);
    assert_int_equal(e, 0);
    assert_non_null(png);
    spng_ctx_free(ctx);
    return png;
}
#endif

/* ------------------------------------------------------------------ */
/* TIFF fixtures                                                       */
/* ------------------------------------------------------------------ */

#if PP_HAVE_TIFF
/* Copies sample s of every pixel of rows [y0, y0+n) (contiguous layout,
 * bits 8 or 16) into a plane buffer. */
static void extract_plane(const uint8_t *px, uint32_t w, uint32_t y0, uint32_t n, int spp,
                          int bytes, int s, uint8_t *dst)
{
    for (uint32_t y = 0; y < n; y++)
        for (uint32_t x = 0; x < w; x++)
            memcpy(dst + ((size_t)y * w + x) * (size_t)bytes,
                   px + (((size_t)(y0 + y) * w + x) * (size_t)spp + (size_t)s) * (size_t)bytes,
                   (size_t)bytes);
}

uint8_t *ct_tiff_write(const char *dir, const void *pxv, uint32_t w, uint32_t h,
                       const ct_tiff_opts *o, size_t *len)
{
    const uint8_t *px = pxv;
    char *path = tu_path(dir, "fixture.tif");
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    uint16_t planar = o->planar ? o->planar : PLANARCONFIG_CONTIG;
    uint16_t comp = o->ycbcr_jpeg ? COMPRESSION_JPEG : o->compression ? o->compression : 1;
    assert_true(TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w));
    assert_true(TIFFSetField(t, TIFFTAG_IMAGELENGTH, h));
    assert_true(TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, o->bits));
    assert_true(TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, o->spp));
    assert_true(TIFFSetField(t, TIFFTAG_PLANARCONFIG, planar));
    assert_true(TIFFSetField(t, TIFFTAG_COMPRESSION, comp));
    assert_true(
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, o->ycbcr_jpeg ? PHOTOMETRIC_YCBCR : o->photometric));
    if (o->ycbcr_jpeg) {
        assert_true(TIFFSetField(t, TIFFTAG_JPEGQUALITY, 95));
        assert_true(TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB));
    }
    if (o->orientation)
        assert_true(TIFFSetField(t, TIFFTAG_ORIENTATION, o->orientation));
    if (o->extra) {
        uint16_t ex = o->extra;
        assert_true(TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &ex));
    }
    if (o->cmap) {
        size_t n = (size_t)1 << o->bits;
        assert_true(TIFFSetField(t, TIFFTAG_COLORMAP, o->cmap, o->cmap + n, o->cmap + 2 * n));
    }
    if (o->icc)
        assert_true(TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)o->icc_len, o->icc));
    size_t row_bytes = ((size_t)w * o->spp * o->bits + 7) / 8;
    int bytes = o->bits >= 8 ? o->bits / 8 : 0;
    int planes = planar == PLANARCONFIG_SEPARATE ? o->spp : 1;
    if (o->tile_w) {
        assert_true(TIFFSetField(t, TIFFTAG_TILEWIDTH, o->tile_w));
        assert_true(TIFFSetField(t, TIFFTAG_TILELENGTH, o->tile_h));
        assert_true(bytes > 0 && planes == 1);
        size_t px_bytes = (size_t)o->spp * (size_t)bytes;
        size_t tsize = (size_t)TIFFTileSize(t);
        uint8_t *tile = malloc(tsize);
        assert_non_null(tile);
        for (uint32_t ty = 0; ty < h; ty += o->tile_h)
            for (uint32_t tx = 0; tx < w; tx += o->tile_w) {
                memset(tile, 0, tsize);
                for (uint32_t r = 0; r < o->tile_h && ty + r < h; r++) {
                    uint32_t cols = w - tx < o->tile_w ? w - tx : o->tile_w;
                    memcpy(tile + (size_t)r * o->tile_w * px_bytes,
                           px + (size_t)(ty + r) * row_bytes + (size_t)tx * px_bytes,
                           cols * px_bytes);
                }
                uint32_t idx = TIFFComputeTile(t, tx, ty, 0, 0);
                assert_true(TIFFWriteEncodedTile(t, idx, tile, (tmsize_t)tsize) >= 0);
            }
        free(tile);
    } else {
        uint32_t rps = o->rps ? o->rps : h;
        assert_true(TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps));
        uint32_t nstrips = (h + rps - 1) / rps;
        size_t plane_row = planes > 1 ? (size_t)w * (size_t)bytes : row_bytes;
        uint8_t *buf = malloc(plane_row * rps);
        assert_non_null(buf);
        for (int p = 0; p < planes; p++)
            for (uint32_t s = 0; s < nstrips; s++) {
                uint32_t y0 = s * rps, n = h - y0 < rps ? h - y0 : rps;
                if (planes > 1)
                    extract_plane(px, w, y0, n, o->spp, bytes, p, buf);
                else
                    memcpy(buf, px + (size_t)y0 * row_bytes, n * row_bytes);
                assert_true(TIFFWriteEncodedStrip(t, (uint32_t)p * nstrips + s, buf,
                                                  (tmsize_t)(n * plane_row)) >= 0);
            }
        free(buf);
    }
    assert_true(TIFFWriteDirectory(t));
    TIFFClose(t);
    uint8_t *data = tu_read_file(path, len);
    unlink(path);
    free(path);
    return data;
}
#endif
