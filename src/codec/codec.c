/* Generic codec layer: the format table, sniffing, and the decoder/encoder
 * objects that wrap a format's vtable.
 *
 * Orientation: orientation 1 streams untouched and 2 (mirror) streams with a
 * per-row flip. Every other orientation needs rows from the far end of the
 * image, so the first read decodes the whole raw image and transforms it; the
 * pixel limit was already checked against the header, so this allocation is
 * bounded. Encoders get rows converted to a channel count the format holds.
 */
#include "codec_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pixpipe/file.h"
#include "pp_config.h"

static int enc_channels_gray_rgb(int c)
{
    return c <= 2 ? 1 : 3;
}
static int enc_channels_any(int c)
{
    return c;
}
static int enc_channels_rgb_rgba(int c)
{
    return pp_channels_have_alpha(c) ? 4 : 3;
}

#if PP_HAVE_JPEG
#define JPEG_DEC pp__jpeg_dec_open
#define JPEG_ENC pp__jpeg_enc_open
#else
#define JPEG_DEC NULL
#define JPEG_ENC NULL
#endif
#if PP_HAVE_PNG
#define PNG_DEC pp__png_dec_open
#define PNG_ENC pp__png_enc_open
#else
#define PNG_DEC NULL
#define PNG_ENC NULL
#endif
#if PP_HAVE_WEBP
#define WEBP_DEC pp__webp_dec_open
#define WEBP_ENC pp__webp_enc_open
#else
#define WEBP_DEC NULL
#define WEBP_ENC NULL
#endif
#if PP_HAVE_TIFF
#define TIFF_DEC pp__tiff_dec_open
#define TIFF_ENC pp__tiff_enc_open
#else
#define TIFF_DEC NULL
#define TIFF_ENC NULL
#endif

static const pp__codec codecs[PP_CODEC_COUNT] = {
    [PP_CODEC_UNKNOWN] = {PP_CODEC_UNKNOWN, "unknown", "", NULL, NULL, NULL, false},
    [PP_CODEC_JPEG] = {PP_CODEC_JPEG, "jpeg", "jpg", JPEG_DEC, JPEG_ENC, enc_channels_gray_rgb,
                       true},
    [PP_CODEC_PNG] = {PP_CODEC_PNG, "png", "png", PNG_DEC, PNG_ENC, enc_channels_any, true},
    [PP_CODEC_WEBP] = {PP_CODEC_WEBP, "webp", "webp", WEBP_DEC, WEBP_ENC, enc_channels_rgb_rgba,
                       true},
    [PP_CODEC_TIFF] = {PP_CODEC_TIFF, "tiff", "tif", TIFF_DEC, TIFF_ENC, enc_channels_any, true},
    [PP_CODEC_PNM] = {PP_CODEC_PNM, "pnm", "ppm", pp__pnm_dec_open, pp__pnm_enc_open,
                      enc_channels_gray_rgb, false},
};

const pp__codec *pp__codec_get(pp_codec_id id)
{
    if ((int)id <= PP_CODEC_UNKNOWN || id >= PP_CODEC_COUNT)
        return NULL;
    return &codecs[id];
}

const char *pp_codec_name(pp_codec_id id)
{
    const pp__codec *c = pp__codec_get(id);
    return c ? c->name : "unknown";
}

const char *pp_codec_ext(pp_codec_id id)
{
    const pp__codec *c = pp__codec_get(id);
    return c ? c->ext : "";
}

bool pp_codec_available(pp_codec_id id)
{
    const pp__codec *c = pp__codec_get(id);
    return c && c->dec_open && c->enc_open;
}

bool pp_codec_holds_icc(pp_codec_id id)
{
    const pp__codec *c = pp__codec_get(id);
    return c && c->holds_icc;
}

pp_codec_id pp_codec_from_name(const char *name)
{
    static const struct {
        const char *name;
        pp_codec_id id;
    } names[] = {
        {"jpg", PP_CODEC_JPEG},  {"jpeg", PP_CODEC_JPEG}, {"jpe", PP_CODEC_JPEG},
        {"png", PP_CODEC_PNG},   {"webp", PP_CODEC_WEBP}, {"tif", PP_CODEC_TIFF},
        {"tiff", PP_CODEC_TIFF}, {"pnm", PP_CODEC_PNM},   {"ppm", PP_CODEC_PNM},
        {"pgm", PP_CODEC_PNM},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].id;
    return PP_CODEC_UNKNOWN;
}

pp_codec_id pp_codec_from_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? pp_codec_from_name(dot + 1) : PP_CODEC_UNKNOWN;
}

static bool is_pnm_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#';
}

pp_codec_id pp_codec_sniff(const uint8_t *b, size_t n)
{
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return PP_CODEC_JPEG;
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return PP_CODEC_PNG;
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return PP_CODEC_WEBP;
    if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0 ||
                   memcmp(b, "II+\0", 4) == 0 || memcmp(b, "MM\0+", 4) == 0))
        return PP_CODEC_TIFF;
    if (n >= 3 && b[0] == 'P' && (b[1] == '5' || b[1] == '6') && is_pnm_space(b[2]))
        return PP_CODEC_PNM;
    return PP_CODEC_UNKNOWN;
}

void pp_limits_default(pp_limits *l)
{
    l->max_pixels = PP_DEFAULT_MAX_PIXELS;
    l->max_bytes = PP_DEFAULT_MAX_BYTES;
    l->max_scans = PP_DEFAULT_MAX_SCANS;
    l->png_chunk_max = PP_DEFAULT_PNG_CHUNK_MAX;
    l->png_cache_max = PP_DEFAULT_PNG_CACHE_MAX;
}

void pp_decode_opts_default(pp_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    pp_limits_default(&o->limits);
    o->autorotate = true;
}

void pp_encode_opts_default(pp_encode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->quality = 90;
    o->subsamp = PP_SUBSAMP_420;
    o->png_level = 6;
    o->tiff_compression = PP_TIFF_DEFLATE;
}

int pp__check_pixels(const char *codec, uint64_t w, uint64_t h, const pp_limits *l, pp_err *err)
{
    if (w == 0 || h == 0)
        return pp_err_set(err, PP_ECORRUPT, "%s: header declares an empty image (%llux%llu)", codec,
                          (unsigned long long)w, (unsigned long long)h);
    uint64_t px;
    if (__builtin_mul_overflow(w, h, &px))
        return pp_err_set(err, PP_ELIMIT,
                          "%s: image is %llux%llu, a pixel count past 2^64, over the max-pixels "
                          "limit %llu",
                          codec, (unsigned long long)w, (unsigned long long)h,
                          (unsigned long long)l->max_pixels);
    if (px > l->max_pixels)
        return pp_err_set(err, PP_ELIMIT,
                          "%s: image is %llux%llu = %llu pixels, over the max-pixels limit %llu",
                          codec, (unsigned long long)w, (unsigned long long)h,
                          (unsigned long long)px, (unsigned long long)l->max_pixels);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Decoder                                                             */
/* ------------------------------------------------------------------ */

struct pp_decoder {
    pp__dec raw;
    pp_image_info info; /* as delivered */
    FILE *fp;
    size_t next_row;
    pp_image *whole; /* oriented image, when orientation needs it */
    const pp_cancel *cancel;
};

static void mirror_row(uint8_t *row, size_t width, int c)
{
    for (size_t a = 0, b = width - 1; a < b; a++, b--)
        for (int k = 0; k < c; k++) {
            uint8_t t = row[a * c + k];
            row[a * c + k] = row[b * c + k];
            row[b * c + k] = t;
        }
}

/* Source coordinates of output pixel (x, y) for EXIF orientation o, where the
 * raw image is rw x rh. */
static void orient_src(int o, size_t x, size_t y, size_t rw, size_t rh, size_t *sx, size_t *sy)
{
    switch (o) {
    case 2: *sx = rw - 1 - x; *sy = y; break;
    case 3: *sx = rw - 1 - x; *sy = rh - 1 - y; break;
    case 4: *sx = x; *sy = rh - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = rh - 1 - x; break;
    case 7: *sx = rw - 1 - y; *sy = rh - 1 - x; break;
    case 8: *sx = rw - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

static bool orientation_streams(int o)
{
    return o == 1 || o == 2;
}

/* Decodes the whole raw image and applies the orientation into d->whole. */
static int materialize_oriented(pp_decoder *d, pp_err *err)
{
    const pp_image_info *ri = &d->raw.info;
    int rc = PP_OK;
    pp_image *raw = pp_image_new(ri->width, ri->height, ri->channels, err);
    pp_image *out = NULL;
    if (!raw)
        return err ? err->code : PP_ENOMEM;
    rc = d->raw.ops->read(d->raw.state, raw->data, raw->stride, raw->height, err);
    if (rc < 0)
        goto done;
    out = pp_image_new(d->info.width, d->info.height, d->info.channels, err);
    if (!out) {
        rc = err ? err->code : PP_ENOMEM;
        goto done;
    }
    int c = out->channels;
    for (size_t y = 0; y < out->height; y++) {
        uint8_t *dst = pp_image_row(out, y);
        for (size_t x = 0; x < out->width; x++) {
            size_t sx, sy;
            orient_src(d->info.orientation, x, y, raw->width, raw->height, &sx, &sy);
            memcpy(dst + x * c, pp_image_row(raw, sy) + sx * c, (size_t)c);
        }
    }
    d->whole = out;
    out = NULL;
done:
    pp_image_free(raw);
    pp_image_free(out);
    return rc;
}

static pp_decoder *decoder_open(FILE *fp, size_t size, const pp_decode_opts *opts, pp_err *err)
{
    pp_decode_opts defaults;
    if (!opts) {
        pp_decode_opts_default(&defaults);
        opts = &defaults;
    }
    if (size == 0) {
        pp_err_set(err, PP_EFORMAT, "empty file (0 bytes)");
        return NULL;
    }
    if (size > opts->limits.max_bytes) {
        pp_err_set(err, PP_ELIMIT, "input is %zu bytes, over the max-bytes limit %llu", size,
                   (unsigned long long)opts->limits.max_bytes);
        return NULL;
    }
    uint8_t magic[16];
    size_t got = fread(magic, 1, sizeof magic, fp);
    if (got == 0 && ferror(fp)) {
        pp_err_set(err, PP_EIO, "read failed: %s", strerror(errno));
        return NULL;
    }
    if (fseek(fp, 0, SEEK_SET) != 0) {
        pp_err_set(err, PP_EIO, "cannot seek: %s", strerror(errno));
        return NULL;
    }
    pp_codec_id id = pp_codec_sniff(magic, got);
    if (id == PP_CODEC_UNKNOWN) {
        pp_err_set(err, PP_EFORMAT,
                   "not a supported image: first bytes %02x %02x %02x %02x match no format "
                   "(JPEG, PNG, WebP, TIFF, PNM)",
                   got > 0 ? magic[0] : 0, got > 1 ? magic[1] : 0, got > 2 ? magic[2] : 0,
                   got > 3 ? magic[3] : 0);
        return NULL;
    }
    const pp__codec *c = pp__codec_get(id);
    if (!c->dec_open) {
        pp_err_set(err, PP_ENOTBUILT, "%s support is not built into this pixpipe", c->name);
        return NULL;
    }
    pp_decoder *d = pp_calloc(1, sizeof *d, err);
    if (!d)
        return NULL;
    if (c->dec_open(fp, size, opts, &d->raw, err) < 0) {
        free(d);
        return NULL;
    }
    d->raw.info.codec = id;
    d->raw.info.icc_len = d->raw.icc_len;
    if (d->raw.info.orientation < 1 || d->raw.info.orientation > 8)
        d->raw.info.orientation = 1;
    d->info = d->raw.info;
    d->cancel = opts->cancel;
    int o = d->info.orientation;
    if (opts->autorotate && o != 1) {
        d->info.oriented = true;
        if (o >= 5) {
            d->info.width = d->raw.info.height;
            d->info.height = d->raw.info.width;
        }
        if (!orientation_streams(o))
            d->info.streams = false;
    }
    return d;
}

static void stream_close(FILE *fp)
{
    if (fp)
        fclose(fp);
}

pp_decoder *pp_decoder_open_file(const char *path, const pp_decode_opts *opts, pp_err *err)
{
    size_t size = 0;
    FILE *fp = pp_file_open_input(path, &size, err);
    if (!fp)
        return NULL;
    pp_decoder *d = decoder_open(fp, size, opts, err);
    if (!d) {
        stream_close(fp);
        return NULL;
    }
    d->fp = fp;
    return d;
}

pp_decoder *pp_decoder_open_mem(const void *data, size_t len, const pp_decode_opts *opts,
                                pp_err *err)
{
    if (len == 0) {
        pp_err_set(err, PP_EFORMAT, "empty file (0 bytes)");
        return NULL;
    }
    FILE *fp = fmemopen((void *)data, len, "rb");
    if (!fp) {
        pp_err_set(err, PP_ENOMEM, "cannot open a memory stream: %s", strerror(errno));
        return NULL;
    }
    pp_decoder *d = decoder_open(fp, len, opts, err);
    if (!d) {
        fclose(fp);
        return NULL;
    }
    d->fp = fp;
    return d;
}

const pp_image_info *pp_decoder_info(const pp_decoder *d)
{
    return &d->info;
}

const uint8_t *pp_decoder_icc(const pp_decoder *d, size_t *len)
{
    *len = d->raw.icc_len;
    return d->raw.icc;
}

size_t pp_decoder_row(const pp_decoder *d)
{
    return d->next_row;
}

static int check_rows(const pp_decoder *d, size_t n, pp_err *err)
{
    if (n > d->info.height - d->next_row)
        return pp_err_set(err, PP_EINVAL, "%s: asked for rows past the end (row %zu + %zu of %zu)",
                          pp_codec_name(d->info.codec), d->next_row, n, d->info.height);
    if (pp_canceled(d->cancel))
        return pp_err_set(err, PP_ECANCELED, "canceled");
    return 0;
}

int pp_decoder_read(pp_decoder *d, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    int rc = check_rows(d, n, err);
    if (rc < 0 || n == 0)
        return rc;
    if (d->info.oriented && !orientation_streams(d->info.orientation) && !d->whole) {
        rc = materialize_oriented(d, err);
        if (rc < 0)
            return rc;
    }
    size_t row_bytes = d->info.width * (size_t)d->info.channels;
    if (d->whole) {
        for (size_t i = 0; i < n; i++)
            memcpy(dst + i * stride, pp_image_row(d->whole, d->next_row + i), row_bytes);
    } else {
        rc = d->raw.ops->read(d->raw.state, dst, stride, n, err);
        if (rc < 0)
            return rc;
        if (d->info.oriented && d->info.orientation == 2)
            for (size_t i = 0; i < n; i++)
                mirror_row(dst + i * stride, d->info.width, d->info.channels);
    }
    d->next_row += n;
    return 0;
}

int pp_decoder_skip(pp_decoder *d, size_t n, pp_err *err)
{
    int rc = check_rows(d, n, err);
    if (rc < 0 || n == 0)
        return rc;
    bool direct = !d->info.oriented || orientation_streams(d->info.orientation);
    if (direct && !d->whole && d->raw.ops->skip) {
        rc = d->raw.ops->skip(d->raw.state, n, err);
        if (rc == 0)
            d->next_row += n;
        return rc;
    }
    if (!direct || d->whole) {
        if (!d->whole && (rc = materialize_oriented(d, err)) < 0)
            return rc;
        d->next_row += n;
        return 0;
    }
    uint8_t *row = pp_malloc(d->info.width * (size_t)d->info.channels, err);
    if (!row)
        return PP_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = d->raw.ops->read(d->raw.state, row, 0, 1, err);
    free(row);
    if (rc == 0)
        d->next_row += n;
    return rc;
}

void pp_decoder_free(pp_decoder *d)
{
    if (!d)
        return;
    if (d->raw.ops && d->raw.ops->destroy)
        d->raw.ops->destroy(d->raw.state);
    free(d->raw.icc);
    pp_image_free(d->whole);
    stream_close(d->fp);
    free(d);
}

pp_image *pp_decode_file(const char *path, const pp_decode_opts *opts, pp_image_info *info,
                         pp_err *err)
{
    pp_decoder *d = pp_decoder_open_file(path, opts, err);
    if (!d)
        return NULL;
    const pp_image_info *i = pp_decoder_info(d);
    pp_image *im = pp_image_new(i->width, i->height, i->channels, err);
    if (im && pp_decoder_read(d, im->data, im->stride, im->height, err) < 0) {
        pp_image_free(im);
        im = NULL;
    }
    if (im && info)
        *info = *i;
    pp_decoder_free(d);
    return im;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

struct pp_encoder {
    pp__enc impl;
    pp_format in;     /* what the caller sends */
    int out_channels; /* what the format gets */
    size_t rows_done;
    uint8_t *conv;    /* one converted row when channels differ */
    const char *name;
};

pp_encoder *pp_encoder_open(FILE *fp, pp_codec_id codec, const pp_format *fmt,
                            const pp_encode_opts *opts, const uint8_t *icc, size_t icc_len,
                            pp_err *err)
{
    pp_encode_opts defaults;
    if (!opts) {
        pp_encode_opts_default(&defaults);
        opts = &defaults;
    }
    const pp__codec *c = pp__codec_get(codec);
    if (!c) {
        pp_err_set(err, PP_EINVAL, "no output format given");
        return NULL;
    }
    if (!c->enc_open) {
        pp_err_set(err, PP_ENOTBUILT, "%s support is not built into this pixpipe", c->name);
        return NULL;
    }
    size_t row;
    if (pp_format_size(fmt, &row, NULL, err) < 0)
        return NULL;
    pp_encoder *e = pp_calloc(1, sizeof *e, err);
    if (!e)
        return NULL;
    e->in = *fmt;
    e->name = c->name;
    e->out_channels = c->enc_channels(fmt->channels);
    if (e->out_channels != fmt->channels) {
        e->conv = pp_malloc_array(fmt->width, (size_t)e->out_channels, err);
        if (!e->conv)
            goto fail;
    }
    pp_format ofmt = {fmt->width, fmt->height, e->out_channels};
    bool keep_icc = icc && icc_len > 0 && !opts->strip && c->holds_icc;
    if (c->enc_open(fp, &ofmt, opts, keep_icc ? icc : NULL, keep_icc ? icc_len : 0, &e->impl,
                    err) < 0)
        goto fail;
    return e;
fail:
    free(e->conv);
    free(e);
    return NULL;
}

int pp_encoder_write(pp_encoder *e, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    if (n > e->in.height - e->rows_done)
        return pp_err_set(err, PP_EINVAL, "%s: more rows written than the image height %zu",
                          e->name, e->in.height);
    int rc = 0;
    if (!e->conv) {
        rc = e->impl.ops->write(e->impl.state, src, stride, n, err);
    } else {
        for (size_t i = 0; i < n && rc == 0; i++) {
            pp_convert_row(src + i * stride, e->in.channels, e->conv, e->out_channels,
                           e->in.width);
            rc = e->impl.ops->write(e->impl.state, e->conv, 0, 1, err);
        }
    }
    if (rc == 0)
        e->rows_done += n;
    return rc;
}

int pp_encoder_finish(pp_encoder *e, pp_err *err)
{
    if (e->rows_done != e->in.height)
        return pp_err_set(err, PP_EINVAL, "%s: finished after %zu of %zu rows", e->name,
                          e->rows_done, e->in.height);
    return e->impl.ops->finish(e->impl.state, err);
}

void pp_encoder_free(pp_encoder *e)
{
    if (!e)
        return;
    if (e->impl.ops && e->impl.ops->destroy)
        e->impl.ops->destroy(e->impl.state);
    free(e->conv);
    free(e);
}
