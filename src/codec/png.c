/* PNG through libspng.
 *
 * Decoding picks the narrowest libspng output format that keeps the file's
 * information: G8 for gray up to 8 bits, GA8 when gray has tRNS, RGB8 or RGBA8
 * for colour and palette (tRNS applied), and 16-bit formats reduced here to 8
 * bits with rounding. Non-interlaced files stream row by row; Adam7 files are
 * decoded whole (a pass cannot yield finished rows) behind the same interface.
 *
 * Limits: the pixel limit is checked against IHDR before any image buffer
 * exists. png_chunk_max bounds every chunk before the image data: its length
 * in the file is checked here by walking the chunk headers (libspng itself
 * only bounds the inflated size of compressed chunks, and stores a long tEXt
 * under the cache limit), and the inflated size of iCCP/zTXt/iTXt is bounded
 * by libspng's chunk limit. png_cache_max bounds all stored chunks together.
 * Both failures name the limit.
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

/* libspng's SPNG_ECHUNK_LIMITS does not say which limit: name both. */
static int limits_fail(pp_err *err, const pp_limits *l, size_t chunk_max, const char *what)
{
    return pp_err_set(err, PP_ELIMIT,
                      "PNG: metadata chunks (%s) are over the png-chunk-max limit %zu "
                      "(one chunk, inflated) or the png-cache-max limit %zu (all chunks)",
                      what, chunk_max, l->png_cache_max);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks the chunk headers before the first IDAT and refuses any chunk longer
 * than png_chunk_max. Only seeks: nothing is allocated. Structural problems
 * (truncation, bad lengths) are left for libspng to report. Leaves fp at 0. */
static int check_chunk_lengths(FILE *fp, size_t size, size_t chunk_max, const char *limit,
                               pp_err *err)
{
    int rc = 0;
    uint64_t pos = 8; /* after the signature */
    uint8_t h[8];
    while (pos + 12 <= size) {
        if (fseeko(fp, (off_t)pos, SEEK_SET) != 0 || fread(h, 1, 8, fp) != 8)
            break;
        uint32_t len = be32(h);
        if (memcmp(h + 4, "IDAT", 4) == 0 || memcmp(h + 4, "IEND", 4) == 0)
            break;
        if (len > chunk_max) {
            char name[5];
            for (int k = 0; k < 4; k++)
                name[k] =
                    (h[4 + k] >= 'A' && h[4 + k] <= 'Z') || (h[4 + k] >= 'a' && h[4 + k] <= 'z')
                        ? (char)h[4 + k]
                        : '?';
            name[4] = '\0';
            rc = pp_err_set(err, PP_ELIMIT, "PNG: %s chunk is %u bytes, over the %s limit %zu",
                            name, len, limit, chunk_max);
            break;
        }
        pos += 12 + (uint64_t)len;
    }
    if (fseeko(fp, 0, SEEK_SET) != 0 && rc == 0)
        rc = pp_err_set(err, PP_EIO, "PNG: cannot seek");
    return rc;
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
    pp_limits limits;
    size_t chunk_max; /* png_chunk_max as given to libspng */
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

/* The CRC of the last IDAT chunk is only checked when the chunk header after
 * it is read, so the decoder reads on through IEND once the image data is
 * done: a damaged end of the pixel data, or a file cut after it, is an error
 * rather than a silent success. */
static int read_end(pdec *p, pp_err *err)
{
    int e = spng_decode_chunks(p->ctx);
    if (e == SPNG_ECHUNK_LIMITS)
        return limits_fail(err, &p->limits, p->chunk_max, "after IDAT");
    if (e != 0)
        return spng_fail(err, e, "after the image data");
    return 0;
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
        return read_end(p, err);
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
        if (e == SPNG_EOI && (rc = read_end(p, err)) < 0)
            return rc;
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
    pdec *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    int rc = PP_ENOMEM, e;
    /* libspng refuses a chunk limit above the cache limit (or 2^31-1) and
     * would then keep its own unbounded defaults: clamp instead. */
    size_t chunk_max = o->limits.png_chunk_max;
    if (chunk_max > o->limits.png_cache_max)
        chunk_max = o->limits.png_cache_max;
    if (chunk_max > 0x7fffffff)
        chunk_max = 0x7fffffff;
    p->ctx = spng_ctx_new(0);
    if (!p->ctx)
        goto fail;
    if (spng_set_chunk_limits(p->ctx, chunk_max, o->limits.png_cache_max) != 0) {
        rc = pp_err_set(err, PP_EINVAL, "PNG: invalid chunk limits %zu/%zu", chunk_max,
                        o->limits.png_cache_max);
        goto fail;
    }
    spng_set_crc_action(p->ctx, SPNG_CRC_ERROR, SPNG_CRC_DISCARD);
    const char *limit = chunk_max < o->limits.png_chunk_max ? "png-cache-max" : "png-chunk-max";
    if ((rc = check_chunk_lengths(fp, size, chunk_max, limit, err)) < 0)
        goto fail;
    p->limits = o->limits;
    p->chunk_max = chunk_max;
    rc = PP_ENOMEM;
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
    if (e == SPNG_ECHUNK_LIMITS) {
        rc = limits_fail(err, &o->limits, chunk_max, "before IDAT");
        goto fail;
    }
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
    FILE *fp;
    size_t row_len;
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
    penc *p = st;
    /* SPNG_ENCODE_FINALIZE wrote IEND with the last row; the caller is
     * promised a flushed stream. */
    if (fflush(p->fp) != 0 || ferror(p->fp))
        return pp_err_set(err, PP_EIO, "PNG: write failed");
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
    p->fp = fp;
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
