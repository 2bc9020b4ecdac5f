/* WebP through libwebp. WebP cannot hand out finished rows in order cheaply,
 * so the decoder reads the file (bounded by max-bytes), checks the pixel
 * limit from the bitstream header, decodes the whole image once, and then
 * serves rows; the encoder collects rows and encodes at finish. ICC profiles
 * travel through the demux/mux containers. */
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "codec_impl.h"

#define WEBP_MAX_SIDE 16383

typedef struct wdec {
    uint8_t *pixels;
    size_t stride;
    size_t next;
    size_t row_len;
} wdec;

static void wdec_destroy(void *st)
{
    wdec *w = st;
    if (!w)
        return;
    WebPFree(w->pixels);
    free(w);
}

static int wdec_read(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    (void)err;
    wdec *w = st;
    for (size_t i = 0; i < n; i++, w->next++)
        memcpy(dst + i * stride, w->pixels + w->next * w->stride, w->row_len);
    return 0;
}

static int wdec_skip(void *st, size_t n, pp_err *err)
{
    (void)err;
    ((wdec *)st)->next += n;
    return 0;
}

static const pp__dec_ops wdec_ops = {wdec_read, wdec_skip, wdec_destroy};

static int read_icc(const uint8_t *data, size_t size, pp__dec *out, pp_err *err)
{
    WebPData wd = {data, size};
    WebPDemuxer *dmx = WebPDemux(&wd);
    if (!dmx)
        return 0;
    int rc = 0;
    WebPChunkIterator it;
    if ((WebPDemuxGetI(dmx, WEBP_FF_FORMAT_FLAGS) & ICCP_FLAG) &&
        WebPDemuxGetChunk(dmx, "ICCP", 1, &it)) {
        out->icc = pp_malloc(it.chunk.size, err);
        if (out->icc) {
            memcpy(out->icc, it.chunk.bytes, it.chunk.size);
            out->icc_len = it.chunk.size;
        } else {
            rc = PP_ENOMEM;
        }
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(dmx);
    return rc;
}

int pp__webp_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err)
{
    uint8_t *data = pp_malloc(size, err);
    wdec *w = NULL;
    int rc = PP_ENOMEM;
    if (!data)
        return PP_ENOMEM;
    if (fread(data, 1, size, fp) != size) {
        rc = pp_err_set(err, PP_EIO, "WebP: short read");
        goto done;
    }
    WebPBitstreamFeatures f;
    VP8StatusCode s = WebPGetFeatures(data, size, &f);
    if (s != VP8_STATUS_OK) {
        rc = pp_err_set(err, PP_ECORRUPT, "WebP: %s header", s == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated" : "invalid");
        goto done;
    }
    if (f.has_animation) {
        rc = pp_err_set(err, PP_EUNSUPPORTED, "WebP: animated files are not supported");
        goto done;
    }
    if ((rc = pp__check_pixels("WebP", (uint64_t)f.width, (uint64_t)f.height, &o->limits, err)) <
        0)
        goto done;
    w = pp_calloc(1, sizeof *w, err);
    if (!w) {
        rc = PP_ENOMEM;
        goto done;
    }
    int c = f.has_alpha ? 4 : 3;
    int wi, hi;
    w->pixels = f.has_alpha ? WebPDecodeRGBA(data, size, &wi, &hi) : WebPDecodeRGB(data, size, &wi, &hi);
    if (!w->pixels) {
        rc = pp_err_set(err, PP_ECORRUPT, "WebP: corrupt or truncated image data");
        goto done;
    }
    w->row_len = w->stride = (size_t)wi * (size_t)c;
    if ((rc = read_icc(data, size, out, err)) < 0)
        goto done;
    pp_image_info *i = &out->info;
    i->width = (size_t)wi;
    i->height = (size_t)hi;
    i->channels = c;
    i->bit_depth = 8;
    i->lossless = f.format == 2;
    i->orientation = 1;
    snprintf(i->color, sizeof i->color, "%s%s", f.format == 2 ? "lossless " : "lossy ",
             f.has_alpha ? "RGBA" : "RGB");
    out->ops = &wdec_ops;
    out->state = w;
    w = NULL;
    rc = 0;
done:
    wdec_destroy(w);
    free(data);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct wenc {
    FILE *fp;
    pp_format fmt;
    pp_encode_opts opts;
    uint8_t *pixels;
    size_t row_len;
    size_t rows;
    uint8_t *icc;
    size_t icc_len;
} wenc;

static void wenc_destroy(void *st)
{
    wenc *w = st;
    if (!w)
        return;
    free(w->pixels);
    free(w->icc);
    free(w);
}

static int wenc_write(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    (void)err;
    wenc *w = st;
    for (size_t i = 0; i < n; i++, w->rows++)
        memcpy(w->pixels + w->rows * w->row_len, src + i * stride, w->row_len);
    return 0;
}

static int write_all(FILE *fp, const uint8_t *p, size_t n, pp_err *err)
{
    if (fwrite(p, 1, n, fp) != n || fflush(fp) != 0)
        return pp_err_set(err, PP_EIO, "WebP: write failed");
    return 0;
}

/* Wraps a bare bitstream into a container with an ICCP chunk. */
static int write_with_icc(wenc *w, const uint8_t *bits, size_t n, pp_err *err)
{
    WebPMux *mux = WebPMuxNew();
    WebPData img = {bits, n}, icc = {w->icc, w->icc_len}, assembled = {NULL, 0};
    int rc;
    if (!mux)
        return pp_err_set(err, PP_ENOMEM, "WebP: out of memory");
    if (WebPMuxSetImage(mux, &img, 0) != WEBP_MUX_OK ||
        WebPMuxSetChunk(mux, "ICCP", &icc, 0) != WEBP_MUX_OK ||
        WebPMuxAssemble(mux, &assembled) != WEBP_MUX_OK)
        rc = pp_err_set(err, PP_EINTERNAL, "WebP: cannot assemble the container");
    else
        rc = write_all(w->fp, assembled.bytes, assembled.size, err);
    WebPDataClear(&assembled);
    WebPMuxDelete(mux);
    return rc;
}

static int wenc_finish(void *st, pp_err *err)
{
    wenc *w = st;
    WebPConfig cfg;
    WebPPicture pic;
    WebPMemoryWriter mw;
    int rc = 0;
    if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
        return pp_err_set(err, PP_EINTERNAL, "WebP: library version mismatch");
    cfg.lossless = w->opts.lossless;
    cfg.quality = w->opts.lossless ? 75.0f : (float)w->opts.quality;
    cfg.method = 4;
    cfg.exact = 1; /* keep RGB under transparent pixels */
    pic.use_argb = w->opts.lossless;
    pic.width = (int)w->fmt.width;
    pic.height = (int)w->fmt.height;
    WebPMemoryWriterInit(&mw);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &mw;
    int ok = w->fmt.channels == 4 ? WebPPictureImportRGBA(&pic, w->pixels, (int)w->row_len)
                                  : WebPPictureImportRGB(&pic, w->pixels, (int)w->row_len);
    if (!ok)
        rc = pp_err_set(err, PP_ENOMEM, "WebP: out of memory importing the image");
    else if (!WebPEncode(&cfg, &pic))
        rc = pp_err_set(err, PP_EINTERNAL, "WebP: encoding failed (error %d)", pic.error_code);
    else if (w->icc)
        rc = write_with_icc(w, mw.mem, mw.size, err);
    else
        rc = write_all(w->fp, mw.mem, mw.size, err);
    WebPPictureFree(&pic);
    WebPMemoryWriterClear(&mw);
    return rc;
}

static const pp__enc_ops wenc_ops = {wenc_write, wenc_finish, wenc_destroy};

int pp__webp_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err)
{
    if (fmt->width > WEBP_MAX_SIDE || fmt->height > WEBP_MAX_SIDE)
        return pp_err_set(err, PP_EUNSUPPORTED, "WebP: %zux%zu is over the format's %d-pixel side",
                          fmt->width, fmt->height, WEBP_MAX_SIDE);
    if (o->quality < 1 || o->quality > 100)
        return pp_err_set(err, PP_EINVAL, "WebP: quality %d is outside 1..100", o->quality);
    wenc *w = pp_calloc(1, sizeof *w, err);
    if (!w)
        return PP_ENOMEM;
    w->fp = fp;
    w->fmt = *fmt;
    w->opts = *o;
    w->row_len = fmt->width * (size_t)fmt->channels;
    w->pixels = pp_malloc_array(w->row_len, fmt->height, err);
    if (!w->pixels)
        goto fail;
    if (icc) {
        w->icc = pp_malloc(icc_len, err);
        if (!w->icc)
            goto fail;
        memcpy(w->icc, icc, icc_len);
        w->icc_len = icc_len;
    }
    out->ops = &wenc_ops;
    out->state = w;
    return 0;
fail:
    wenc_destroy(w);
    return err ? err->code : PP_ENOMEM;
}
