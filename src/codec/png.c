/* PNG through libspng.
 *
 * Decoding picks the narrowest libspng output format that keeps the file's
 * information: G8 for gray up to 8 bits, GA8 when gray has tRNS, RGB8 or RGBA8
 * for colour and palette (tRNS applied), and 16-bit formats reduced here to 8
 * bits with rounding. Non-interlaced files stream row by row; Adam7 files are
 * decoded whole (a pass cannot yield finished rows) behind the same interface.
 *
 * Limits: libspng's chunk size and chunk cache limits come from pp_limits;
 * the pixel limit is checked against IHDR before any image buffer exists.
 */
#include <spng.h>
#include <stdlib.h>
#include <string.h>

#include "codec_impl.h"

static int spng_code(int e)
{
    switch (e) {
    case SPNG_EMEM: return PP_ENOMEM;
    case SPNG_IO_ERROR: return PP_EIO;
    case SPNG_ECHUNK_LIMITS:
    case SPNG_EUSER_WIDTH:
    case SPNG_EUSER_HEIGHT:
    case SPNG_ECHUNK_STDLEN: return PP_ELIMIT;
    default: return PP_ECORRUPT;
    }
}

static int spng_fail(pp_err *err, int e, const char *what)
{
    if (e == SPNG_IO_EOF)
        return pp_err_set(err, PP_ECORRUPT, "PNG: truncated file (%s)", what);
    return pp_err_set(err, spng_code(e), "PNG: %s (%s)", spng_strerror(e), what);
}

typedef struct pdec {
    spng_ctx *ctx;
    int fmt;        /* SPNG_FMT_* to decode into */
    int flags;      /* SPNG_DECODE_* */
    int channels;   /* delivered channels */
    int src_chan;   /* channels in the decoded format (16-bit may carry an unused alpha) */
    bool wide;      /* decoded samples are 16-bit */
    bool interlaced;
    bool started;
    size_t width, height;
    size_t row_len; /* bytes of one decoded row */
    uint8_t *row;   /* one decoded row when it differs from the output */
    uint8_t *whole; /* interlaced: the whole decoded image */
    size_t next;    /* next row of `whole` */
} pdec;

static void pdec_destroy(void *st)
{
    pdec *p = st;
    if (!p)
        return;
    spng_ctx_free(p->ctx);
    free(p->row);
    free(p->whole);
    free(p);
}

/* Converts a decoded row (8 or 16-bit, src_chan channels) to 8-bit output. */
static void narrow_row(const pdec *p, const uint8_t *src, uint8_t *dst)
{
    size_t w = p->width;
    if (!p->wide) {
        if (p->src_chan == p->channels)
            memcpy(dst, src, w * (size_t)p->channels);
        else
            for (size_t x = 0; x < w; x++)
                memcpy(dst + x * p->channels, src + x * p->src_chan, (size_t)p->channels);
        return;
    }
    const uint16_t *s = (const uint16_t *)src;
    for (size_t x = 0; x < w; x++)
        for (int k = 0; k < p->channels; k++)
            dst[x * p->channels + k] = pp__u16_to_u8(s[x * p->src_chan + k]);
}

static int pdec_start(pdec *p, pp_err *err)
{
    if (p->started)
        return 0;
    p->started = true;
    int e;
    if (p->interlaced) {
        size_t len;
        if ((e = spng_decoded_image_size(p->ctx, p->fmt, &len)) != 0)
            return spng_fail(err, e, "image size");
        p->whole = pp_malloc(len, err);
        if (!p->whole)
            return PP_ENOMEM;
        if ((e = spng_decode_image(p->ctx, p->whole, len, p->fmt, p->flags)) != 0)
            return spng_fail(err, e, "interlaced image data");
        return 0;
    }
    if ((e = spng_decode_image(p->ctx, NULL, 0, p->fmt, p->flags | SPNG_DECODE_PROGRESSIVE)) != 0)
        return spng_fail(err, e, "image data");
    return 0;
}

static int pdec_read(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    pdec *p = st;
    int rc = pdec_start(p, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint8_t *out = dst + i * stride;
        if (p->whole) {
            narrow_row(p, p->whole + p->next++ * p->row_len, out);
            continue;
        }
        uint8_t *buf = p->row ? p->row : out;
        int e = spng_decode_row(p->ctx, buf, p->row_len);
        if (e != 0 && e != SPNG_EOI)
            return spng_fail(err, e, "image data");
        if (p->row)
            narrow_row(p, p->row, out);
    }
    return 0;
}

static const pp__dec_ops pdec_ops = {pdec_read, NULL, pdec_destroy};

/* Chooses the decode format from the header; fills channels and names. */
static void choose_format(pdec *p, const struct spng_ihdr *h, bool trns, pp_image_info *i)
{
    p->flags = trns ? SPNG_DECODE_TRNS : 0;
    p->wide = h->bit_depth == 16;
    switch (h->color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
        snprintf(i->color, sizeof i->color, "gray%s", trns ? " with tRNS" : "");
        p->channels = trns ? 2 : 1;
        if (p->wide) {
            p->fmt = SPNG_FMT_GA16;
            p->src_chan = 2;
        } else {
            p->fmt = trns ? SPNG_FMT_GA8 : SPNG_FMT_G8;
            p->src_chan = p->channels;
        }
        break;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
        snprintf(i->color, sizeof i->color, "gray+alpha");
        p->channels = p->src_chan = 2;
        p->fmt = SPNG_FMT_PNG;
        p->flags = 0;
        break;
    case SPNG_COLOR_TYPE_INDEXED:
        snprintf(i->color, sizeof i->color, "palette%s", trns ? " with tRNS" : "");
        p->channels = p->src_chan = trns ? 4 : 3;
        p->fmt = trns ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
        p->wide = false;
        break;
    case SPNG_COLOR_TYPE_TRUECOLOR:
        snprintf(i->color, sizeof i->color, "RGB%s", trns ? " with tRNS" : "");
        p->channels = p->src_chan = trns ? 4 : 3;
        if (p->wide)
            p->fmt = trns ? SPNG_FMT_RGBA16 : SPNG_FMT_PNG;
        else
            p->fmt = trns ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
        break;
    default: /* truecolor + alpha */
        snprintf(i->color, sizeof i->color, "RGBA");
        p->channels = p->src_chan = 4;
        p->fmt = p->wide ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8;
        break;
    }
}

static int read_metadata(pdec *p, pp__dec *out, pp_err *err)
{
    struct spng_iccp iccp;
    int e = spng_get_iccp(p->ctx, &iccp);
    if (e == 0 && iccp.profile_len > 0) {
        out->icc = pp_malloc(iccp.profile_len, err);
        if (!out->icc)
            return PP_ENOMEM;
        memcpy(out->icc, iccp.profile, iccp.profile_len);
        out->icc_len = iccp.profile_len;
    } else if (e != 0 && e != SPNG_ECHUNKAVAIL) {
        return spng_fail(err, e, "iCCP chunk");
    }
    struct spng_exif exif;
    out->info.orientation = 1;
    if (spng_get_exif(p->ctx, &exif) == 0)
        out->info.orientation = pp__exif_orientation((const uint8_t *)exif.data, exif.length);
    return 0;
}

int pp__png_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err)
{
    (void)size;
    pdec *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    int rc = PP_ENOMEM, e;
    p->ctx = spng_ctx_new(0);
    if (!p->ctx)
        goto fail;
    spng_set_chunk_limits(p->ctx, o->limits.png_chunk_max, o->limits.png_cache_max);
    spng_set_crc_action(p->ctx, SPNG_CRC_ERROR, SPNG_CRC_DISCARD);
    if ((e = spng_set_png_file(p->ctx, fp)) != 0) {
        rc = spng_fail(err, e, "open");
        goto fail;
    }
    struct spng_ihdr h;
    if ((e = spng_get_ihdr(p->ctx, &h)) != 0) {
        rc = spng_fail(err, e, "IHDR");
        goto fail;
    }
    if ((rc = pp__check_pixels("PNG", h.width, h.height, &o->limits, err)) < 0)
        goto fail;
    struct spng_trns trns;
    e = spng_get_trns(p->ctx, &trns);
    if (e != 0 && e != SPNG_ECHUNKAVAIL) {
        rc = spng_fail(err, e, "chunks before IDAT");
        goto fail;
    }
    pp_image_info *i = &out->info;
    choose_format(p, &h, e == 0, i);
    p->width = h.width;
    p->height = h.height;
    p->interlaced = h.interlace_method == SPNG_INTERLACE_ADAM7;
    size_t bytes = p->wide ? 2 : 1;
    if (!pp_mul3_size(p->width, (size_t)p->src_chan, bytes, &p->row_len)) {
        rc = pp_err_set(err, PP_EOVERFLOW, "PNG: row size overflows");
        goto fail;
    }
    if (p->wide || p->src_chan != p->channels) {
        p->row = pp_malloc(p->row_len, err);
        if (!p->row)
            goto fail;
    }
    if ((rc = read_metadata(p, out, err)) < 0)
        goto fail;
    i->width = h.width;
    i->height = h.height;
    i->channels = p->channels;
    i->bit_depth = h.bit_depth;
    i->interlaced = p->interlaced;
    i->streams = !p->interlaced;
    out->ops = &pdec_ops;
    out->state = p;
    return 0;
fail:
    if (rc == PP_ENOMEM && err && err->code != PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "PNG: out of memory");
    free(out->icc);
    out->icc = NULL;
    out->icc_len = 0;
    pdec_destroy(p);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct penc {
    spng_ctx *ctx;
    size_t row_len;
    bool finished;
} penc;

static void penc_destroy(void *st)
{
    penc *p = st;
    if (!p)
        return;
    spng_ctx_free(p->ctx);
    free(p);
}

static int penc_write(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    penc *p = st;
    for (size_t i = 0; i < n; i++) {
        int e = spng_encode_row(p->ctx, src + i * stride, p->row_len);
        if (e != 0 && e != SPNG_EOI)
            return spng_fail(err, e, "encode row");
    }
    return 0;
}

static int penc_finish(void *st, pp_err *err)
{
    (void)st;
    (void)err;
    /* SPNG_ENCODE_FINALIZE wrote IEND with the last row. */
    return 0;
}

static const pp__enc_ops penc_ops = {penc_write, penc_finish, penc_destroy};

int pp__png_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                     size_t icc_len, pp__enc *out, pp_err *err)
{
    if (fmt->width > 0x7fffffff || fmt->height > 0x7fffffff)
        return pp_err_set(err, PP_EUNSUPPORTED, "PNG: %zux%zu is too large for the format",
                          fmt->width, fmt->height);
    if (o->png_level < 0 || o->png_level > 9)
        return pp_err_set(err, PP_EINVAL, "PNG: compression level %d is outside 0..9",
                          o->png_level);
    static const uint8_t color_type[5] = {0, SPNG_COLOR_TYPE_GRAYSCALE,
                                          SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                          SPNG_COLOR_TYPE_TRUECOLOR,
                                          SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    penc *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    int rc = PP_ENOMEM, e;
    p->row_len = fmt->width * (size_t)fmt->channels;
    p->ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!p->ctx)
        goto fail;
    struct spng_ihdr h = {(uint32_t)fmt->width, (uint32_t)fmt->height, 8,
                          color_type[fmt->channels], 0, 0, 0};
    if ((e = spng_set_png_file(p->ctx, fp)) != 0 || (e = spng_set_ihdr(p->ctx, &h)) != 0 ||
        (e = spng_set_option(p->ctx, SPNG_IMG_COMPRESSION_LEVEL, o->png_level)) != 0) {
        rc = spng_fail(err, e, "encoder set-up");
        goto fail;
    }
    if (icc) {
        struct spng_iccp iccp = {.profile_len = icc_len, .profile = (char *)icc};
        memcpy(iccp.profile_name, "ICC profile", 12);
        if ((e = spng_set_iccp(p->ctx, &iccp)) != 0) {
            rc = spng_fail(err, e, "iCCP");
            goto fail;
        }
    }
    e = spng_encode_image(p->ctx, NULL, 0, SPNG_FMT_PNG,
                          SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
    if (e != 0) {
        rc = spng_fail(err, e, "encoder start");
        goto fail;
    }
    out->ops = &penc_ops;
    out->state = p;
    return 0;
fail:
    penc_destroy(p);
    return rc;
}
