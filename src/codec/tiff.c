/* TIFF through libtiff.
 *
 * Fast path (streams): contiguous 8- or 16-bit unsigned samples, gray, RGB,
 * JPEG-compressed YCbCr (libtiff converts to RGB) or 8-bit palette, in strips
 * or tiles. The decoder keeps one band in memory: one strip, or one row of
 * tiles, so memory grows with the width. Any other layout (separate planes
 * with more than one sample, 1-bit, CMYK, subsampled YCbCr without JPEG...)
 * falls back to libtiff's RGBA reader, which decodes the whole image; its
 * premultiplied colour is turned back into straight alpha, as the fast path
 * delivers it.
 *
 * libtiff's error handlers are per handle (TIFFOpenOptions, libtiff 4.5), so
 * messages land in this decoder's pp_err and nothing global is touched.
 */
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "codec_impl.h"

/* ---- FILE* client procedures ----
 * The handle remembers the furthest byte written: libtiff seeks back to patch
 * the header after writing the directory, and the encoder returns the stream
 * positioned at the end of the file (a memory stream reports its size from
 * the position). */
typedef struct tio {
    FILE *fp;
    off_t end; /* furthest offset written */
} tio;

static tmsize_t io_read(thandle_t h, void *buf, tmsize_t n)
{
    return (tmsize_t)fread(buf, 1, (size_t)n, ((tio *)h)->fp);
}
static tmsize_t io_write(thandle_t h, void *buf, tmsize_t n)
{
    tio *io = h;
    size_t done = fwrite(buf, 1, (size_t)n, io->fp);
    off_t pos = ftello(io->fp);
    if (pos > io->end)
        io->end = pos;
    return (tmsize_t)done;
}
static toff_t io_seek(thandle_t h, toff_t off, int whence)
{
    FILE *fp = ((tio *)h)->fp;
    if (fseeko(fp, (off_t)off, whence) != 0)
        return (toff_t)-1;
    return (toff_t)ftello(fp);
}
static int io_close(thandle_t h)
{
    (void)h;
    return 0;
}
static toff_t io_size(thandle_t h)
{
    FILE *fp = ((tio *)h)->fp;
    off_t cur = ftello(fp);
    fseeko(fp, 0, SEEK_END);
    off_t end = ftello(fp);
    fseeko(fp, cur, SEEK_SET);
    return (toff_t)end;
}
static int io_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}
static void io_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

typedef struct tiff_msg {
    char text[256];
    bool set;
} tiff_msg;

static int on_tiff_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    tiff_msg *m = user;
    if (!m->set) {
        vsnprintf(m->text, sizeof m->text, fmt, ap);
        m->set = true;
    }
    return 1;
}

static int on_tiff_warning(TIFF *tif, void *user, const char *module, const char *fmt,
                           va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static TIFF *open_tiff(tio *io, const char *mode, tiff_msg *msg)
{
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_tiff_error, msg);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_tiff_warning, msg);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)1 << 30);
    TIFF *t = TIFFClientOpenExt("tiff", mode, (thandle_t)io, io_read, io_write, io_seek, io_close,
                                io_size, io_map, io_unmap, opts);
    TIFFOpenOptionsFree(opts);
    return t;
}

static int tiff_fail(pp_err *err, int code, const tiff_msg *m, const char *what)
{
    if (m->set)
        return pp_err_set(err, code, "TIFF: %s: %s", what, m->text);
    return pp_err_set(err, code, "TIFF: %s", what);
}

/* ------------------------------------------------------------------ */
/* Decoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct tdec {
    TIFF *tif;
    tio io;
    tiff_msg msg;
    size_t width, height;
    int spp;          /* samples per pixel in the file */
    int channels;     /* delivered */
    int bits;         /* 8 or 16 */
    bool miniswhite;  /* invert gray */
    bool premult;     /* associated alpha: un-premultiply */
    uint16_t *cmap[3]; /* palette (owned by libtiff) */
    bool tiled;
    uint32_t band_h;  /* rows per strip or tile height */
    uint32_t tile_w;
    uint8_t *band;    /* decoded band: band_h rows x width x spp x bytes */
    uint8_t *tile;    /* one tile (tiled files) */
    size_t band_row_len;
    size_t band_y0;   /* first row held in band */
    size_t band_rows; /* rows held (0: none) */
    size_t next;
    uint8_t *whole;   /* fallback: RGBA raster of the whole image */
} tdec;

static void tdec_destroy(void *st)
{
    tdec *t = st;
    if (!t)
        return;
    if (t->tif)
        TIFFClose(t->tif);
    free(t->band);
    free(t->tile);
    free(t->whole);
    free(t);
}

static int load_strip_band(tdec *t, size_t y, pp_err *err)
{
    uint32_t strip = (uint32_t)(y / t->band_h);
    size_t y0 = (size_t)strip * t->band_h;
    size_t rows = t->height - y0 < t->band_h ? t->height - y0 : t->band_h;
    tmsize_t want = (tmsize_t)(rows * t->band_row_len);
    tmsize_t got = TIFFReadEncodedStrip(t->tif, strip, t->band, want);
    if (got < want) {
        char what[160];
        snprintf(what, sizeof what, "cannot read strip %u (rows %zu-%zu): got %lld of %lld bytes",
                 strip, y0, y0 + rows - 1, (long long)(got < 0 ? 0 : got), (long long)want);
        return tiff_fail(err, PP_ECORRUPT, &t->msg, what);
    }
    t->band_y0 = y0;
    t->band_rows = rows;
    return 0;
}

static int load_tile_band(tdec *t, size_t y, pp_err *err)
{
    size_t y0 = y / t->band_h * t->band_h;
    size_t rows = t->height - y0 < t->band_h ? t->height - y0 : t->band_h;
    size_t px = (size_t)t->spp * (size_t)(t->bits / 8);
    size_t tile_row = (size_t)t->tile_w * px;
    for (size_t x0 = 0; x0 < t->width; x0 += t->tile_w) {
        uint32_t tile = TIFFComputeTile(t->tif, (uint32_t)x0, (uint32_t)y0, 0, 0);
        if (TIFFReadEncodedTile(t->tif, tile, t->tile, (tmsize_t)(tile_row * t->band_h)) < 0)
            return tiff_fail(err, PP_ECORRUPT, &t->msg, "cannot read tile");
        size_t cols = t->width - x0 < t->tile_w ? t->width - x0 : t->tile_w;
        for (size_t r = 0; r < rows; r++)
            memcpy(t->band + r * t->band_row_len + x0 * px, t->tile + r * tile_row, cols * px);
    }
    t->band_y0 = y0;
    t->band_rows = rows;
    return 0;
}

static inline uint8_t unpremultiply(uint8_t v, uint8_t a)
{
    if (a == 0)
        return 0;
    unsigned r = ((unsigned)v * 255u + a / 2u) / a;
    return (uint8_t)(r > 255 ? 255 : r);
}

/* Converts one band row (file layout) to delivered 8-bit samples. */
static void convert_row(const tdec *t, const uint8_t *src, uint8_t *dst)
{
    size_t w = t->width;
    int c = t->channels, spp = t->spp;
    if (t->cmap[0]) {
        for (size_t x = 0; x < w; x++)
            for (int k = 0; k < 3; k++)
                dst[x * 3 + k] = (uint8_t)(t->cmap[k][src[x]] >> 8);
        return;
    }
    for (size_t x = 0; x < w; x++) {
        for (int k = 0; k < c; k++) {
            size_t i = x * (size_t)spp + (size_t)k;
            uint8_t v = t->bits == 16 ? pp__u16_to_u8(((const uint16_t *)src)[i]) : src[i];
            dst[x * c + k] = v;
        }
        if (t->miniswhite)
            for (int k = 0; k < pp_color_channels(c); k++)
                dst[x * c + k] = (uint8_t)(255 - dst[x * c + k]);
        if (t->premult && pp_channels_have_alpha(c))
            for (int k = 0; k < c - 1; k++)
                dst[x * c + k] = unpremultiply(dst[x * c + k], dst[x * c + c - 1]);
    }
}

static int tdec_read(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    tdec *t = st;
    for (size_t i = 0; i < n; i++, t->next++) {
        uint8_t *out = dst + i * stride;
        if (t->whole) {
            memcpy(out, t->whole + t->next * t->width * (size_t)t->channels,
                   t->width * (size_t)t->channels);
            continue;
        }
        if (t->band_rows == 0 || t->next < t->band_y0 || t->next >= t->band_y0 + t->band_rows) {
            int rc = t->tiled ? load_tile_band(t, t->next, err) : load_strip_band(t, t->next, err);
            if (rc < 0)
                return rc;
        }
        convert_row(t, t->band + (t->next - t->band_y0) * t->band_row_len, out);
    }
    return 0;
}

static int tdec_skip(void *st, size_t n, pp_err *err)
{
    (void)err;
    ((tdec *)st)->next += n;
    return 0;
}

static const pp__dec_ops tdec_ops = {tdec_read, tdec_skip, tdec_destroy};

/* Whole-image fallback through TIFFReadRGBAImageOriented, in file order (the
 * generic layer applies the orientation tag). */
static int read_fallback(tdec *t, int orientation, bool alpha, pp_err *err)
{
    size_t n;
    if (!pp_mul_size(t->width, t->height, &n))
        return pp_err_set(err, PP_EOVERFLOW, "TIFF: image size overflows");
    uint32_t *raster = pp_malloc_array(n, sizeof(uint32_t), err);
    if (!raster)
        return PP_ENOMEM;
    int req = (orientation - 1) % 4 + 1; /* same flip group as the file: no flipping */
    if (!TIFFReadRGBAImageOriented(t->tif, (uint32_t)t->width, (uint32_t)t->height, raster, req,
                                   0)) {
        free(raster);
        return tiff_fail(err, PP_ECORRUPT, &t->msg, "cannot decode image");
    }
    t->channels = alpha ? 4 : 3;
    t->whole = pp_malloc_array(n, (size_t)t->channels, err);
    if (!t->whole) {
        free(raster);
        return PP_ENOMEM;
    }
    /* libtiff's RGBA reader premultiplies unassociated alpha and passes
     * associated alpha through, so its colour is premultiplied either way:
     * deliver straight alpha like the streaming path does. */
    for (size_t i = 0; i < n; i++) {
        uint8_t *d = t->whole + i * (size_t)t->channels;
        d[0] = (uint8_t)TIFFGetR(raster[i]);
        d[1] = (uint8_t)TIFFGetG(raster[i]);
        d[2] = (uint8_t)TIFFGetB(raster[i]);
        if (alpha) {
            d[3] = (uint8_t)TIFFGetA(raster[i]);
            for (int k = 0; k < 3; k++)
                d[k] = unpremultiply(d[k], d[3]);
        }
    }
    free(raster);
    return 0;
}

/* Sets up the streaming path; returns false when the layout needs the fallback. */
static bool setup_fast(tdec *t, uint16_t photometric, uint16_t compression, pp_image_info *i)
{
    uint16_t planar = PLANARCONFIG_CONTIG, fmt = SAMPLEFORMAT_UINT;
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    /* One sample per pixel is laid out the same whatever PlanarConfiguration says. */
    if ((planar != PLANARCONFIG_CONTIG && t->spp > 1) || fmt != SAMPLEFORMAT_UINT ||
        (t->bits != 8 && t->bits != 16))
        return false;
    switch (photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
        t->miniswhite = photometric == PHOTOMETRIC_MINISWHITE;
        t->channels = t->spp >= 2 ? 2 : 1;
        snprintf(i->color, sizeof i->color, "gray%s", t->miniswhite ? " (min-is-white)" : "");
        return true;
    case PHOTOMETRIC_RGB:
        if (t->spp < 3)
            return false;
        t->channels = t->spp >= 4 ? 4 : 3;
        snprintf(i->color, sizeof i->color, "RGB");
        return true;
    case PHOTOMETRIC_YCBCR:
        if (compression != COMPRESSION_JPEG || t->bits != 8 || t->spp != 3)
            return false;
        TIFFSetField(t->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        t->channels = 3;
        snprintf(i->color, sizeof i->color, "YCbCr (JPEG)");
        return true;
    case PHOTOMETRIC_PALETTE:
        if (t->bits != 8 || t->spp != 1 ||
            !TIFFGetField(t->tif, TIFFTAG_COLORMAP, &t->cmap[0], &t->cmap[1], &t->cmap[2]))
            return false;
        t->channels = 3;
        snprintf(i->color, sizeof i->color, "palette");
        return true;
    default: return false;
    }
}

static int alloc_band(tdec *t, pp_err *err)
{
    size_t bytes = (size_t)(t->bits / 8);
    if (!pp_mul3_size(t->width, (size_t)t->spp, bytes, &t->band_row_len))
        return pp_err_set(err, PP_EOVERFLOW, "TIFF: row size overflows");
    if (t->tiled) {
        uint32_t tw = 0, th = 0;
        TIFFGetField(t->tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t->tif, TIFFTAG_TILELENGTH, &th);
        if (tw == 0 || th == 0 || tw > 65536 || th > 65536)
            return pp_err_set(err, PP_ECORRUPT, "TIFF: invalid tile size %ux%u", tw, th);
        t->tile_w = tw;
        t->band_h = th;
        t->tile = pp_malloc_array((size_t)tw * (size_t)t->spp * bytes, th, err);
        if (!t->tile)
            return PP_ENOMEM;
    } else {
        uint32_t rps = 0;
        TIFFGetFieldDefaulted(t->tif, TIFFTAG_ROWSPERSTRIP, &rps);
        t->band_h = rps == 0 || rps > t->height ? (uint32_t)t->height : rps;
    }
    /* A band is at most 64 MB: larger strips go through the fallback. */
    size_t band;
    if (!pp_mul_size(t->band_row_len, t->band_h, &band) || band > ((size_t)64 << 20))
        return 1;
    t->band = pp_malloc(band, err);
    return t->band ? 0 : PP_ENOMEM;
}

static void read_extras(tdec *t)
{
    uint16_t n = 0, *types = NULL;
    if (TIFFGetField(t->tif, TIFFTAG_EXTRASAMPLES, &n, &types) && n > 0)
        t->premult = types[0] == EXTRASAMPLE_ASSOCALPHA;
}

static int read_icc(tdec *t, pp__dec *out, pp_err *err)
{
    uint32_t len = 0;
    void *data = NULL;
    if (TIFFGetField(t->tif, TIFFTAG_ICCPROFILE, &len, &data) && len > 0) {
        out->icc = pp_malloc(len, err);
        if (!out->icc)
            return PP_ENOMEM;
        memcpy(out->icc, data, len);
        out->icc_len = len;
    }
    return 0;
}

int pp__tiff_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err)
{
    (void)size;
    tdec *t = pp_calloc(1, sizeof *t, err);
    if (!t)
        return PP_ENOMEM;
    int rc;
    t->io.fp = fp;
    t->tif = open_tiff(&t->io, "rm", &t->msg);
    if (!t->tif) {
        rc = tiff_fail(err, PP_ECORRUPT, &t->msg, "cannot read header");
        goto fail;
    }
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bits = 1, photometric = PHOTOMETRIC_MINISBLACK, orient = 1, comp = 1;
    TIFFGetField(t->tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t->tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_ORIENTATION, &orient);
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_COMPRESSION, &comp);
    if (!TIFFGetField(t->tif, TIFFTAG_PHOTOMETRIC, &photometric))
        photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    if ((rc = pp__check_pixels("TIFF", w, h, &o->limits, err)) < 0)
        goto fail;
    t->width = w;
    t->height = h;
    t->spp = spp;
    t->bits = bits;
    t->tiled = TIFFIsTiled(t->tif);
    pp_image_info *i = &out->info;
    i->orientation = orient >= 1 && orient <= 8 ? orient : 1;
    read_extras(t);
    rc = setup_fast(t, photometric, comp, i) ? alloc_band(t, err) : 1;
    if (rc < 0)
        goto fail;
    if (rc == 1) {
        uint16_t nextra = 0, *types = NULL;
        bool alpha = TIFFGetField(t->tif, TIFFTAG_EXTRASAMPLES, &nextra, &types) && nextra > 0;
        snprintf(i->color, sizeof i->color, "photometric %u (converted)", photometric);
        if ((rc = read_fallback(t, i->orientation, alpha, err)) < 0)
            goto fail;
    }
    if ((rc = read_icc(t, out, err)) < 0)
        goto fail;
    i->width = w;
    i->height = h;
    i->channels = t->channels;
    i->bit_depth = bits;
    i->tiled = t->tiled;
    i->streams = t->whole == NULL;
    out->ops = &tdec_ops;
    out->state = t;
    return 0;
fail:
    free(out->icc);
    out->icc = NULL;
    out->icc_len = 0;
    tdec_destroy(t);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct tenc {
    TIFF *tif;
    tiff_msg msg;
    tio io;
    uint32_t row;
    size_t row_len;
    uint8_t *scratch; /* TIFFWriteScanline may modify its input */
} tenc;

static void tenc_destroy(void *st)
{
    tenc *t = st;
    if (!t)
        return;
    if (t->tif)
        TIFFCleanup(t->tif);
    free(t->scratch);
    free(t);
}

static int tenc_write(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    tenc *t = st;
    for (size_t i = 0; i < n; i++, t->row++) {
        memcpy(t->scratch, src + i * stride, t->row_len);
        if (TIFFWriteScanline(t->tif, t->scratch, t->row, 0) < 0)
            return tiff_fail(err, PP_EIO, &t->msg, "cannot write row");
    }
    return 0;
}

static int tenc_finish(void *st, pp_err *err)
{
    tenc *t = st;
    int ok = TIFFWriteDirectory(t->tif) && TIFFFlush(t->tif);
    if (ok)
        ok = fseeko(t->io.fp, t->io.end, SEEK_SET) == 0;
    if (!ok || fflush(t->io.fp) != 0 || ferror(t->io.fp))
        return tiff_fail(err, PP_EIO, &t->msg, "cannot finish file");
    return 0;
}

static const pp__enc_ops tenc_ops = {tenc_write, tenc_finish, tenc_destroy};

static uint16_t tiff_compression_tag(pp_tiff_compression c)
{
    switch (c) {
    case PP_TIFF_NONE: return COMPRESSION_NONE;
    case PP_TIFF_LZW: return COMPRESSION_LZW;
    case PP_TIFF_PACKBITS: return COMPRESSION_PACKBITS;
    case PP_TIFF_JPEG: return COMPRESSION_JPEG;
    default: return COMPRESSION_ADOBE_DEFLATE;
    }
}

static int set_tags(tenc *t, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                    size_t icc_len)
{
    TIFF *tif = t->tif;
    uint16_t comp = tiff_compression_tag(o->tiff_compression);
    bool rgb = fmt->channels >= 3;
    int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)fmt->width) &&
             TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)fmt->height) &&
             TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)fmt->channels) &&
             TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8) &&
             TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
             TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
                          rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
             TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
             TIFFSetField(tif, TIFFTAG_COMPRESSION, comp);
    if (ok && pp_channels_have_alpha(fmt->channels)) {
        uint16_t extra = EXTRASAMPLE_UNASSALPHA;
        ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
    if (ok && (comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_LZW))
        ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    if (ok && comp == COMPRESSION_JPEG)
        ok = TIFFSetField(tif, TIFFTAG_JPEGQUALITY, o->quality);
    if (ok && icc)
        ok = TIFFSetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)icc_len, icc);
    if (ok) {
        /* Strips of about 64 KB; JPEG needs a multiple of 16 rows. */
        uint32_t rps = (uint32_t)((65536 + t->row_len - 1) / t->row_len);
        rps = (rps + 15) / 16 * 16;
        ok = TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
    }
    return ok ? 0 : -1;
}

int pp__tiff_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err)
{
    if (fmt->width > 0xffffffffu || fmt->height > 0xffffffffu)
        return pp_err_set(err, PP_EUNSUPPORTED, "TIFF: %zux%zu is too large", fmt->width,
                          fmt->height);
    tenc *t = pp_calloc(1, sizeof *t, err);
    if (!t)
        return PP_ENOMEM;
    int rc = PP_ENOMEM;
    t->io.fp = fp;
    t->io.end = ftello(fp);
    t->row_len = fmt->width * (size_t)fmt->channels;
    t->scratch = pp_malloc(t->row_len, err);
    if (!t->scratch)
        goto fail;
    t->tif = open_tiff(&t->io, "w", &t->msg);
    if (!t->tif) {
        rc = tiff_fail(err, PP_ECREATE, &t->msg, "cannot start file");
        goto fail;
    }
    if (set_tags(t, fmt, o, icc, icc_len) < 0) {
        rc = tiff_fail(err, PP_EINVAL, &t->msg, "cannot set tags");
        goto fail;
    }
    out->ops = &tenc_ops;
    out->state = t;
    return 0;
fail:
    tenc_destroy(t);
    return rc;
}
