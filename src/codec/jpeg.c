/* JPEG through libjpeg-turbo's libjpeg API.
 *
 * Error handling: libjpeg reports fatal errors through error_exit, which
 * longjmps back to the setjmp at the top of each public entry point here
 * (open, read, skip, write, finish). The jump never leaves this file. Warnings
 * that mean the data is damaged (truncation, bad Huffman codes, lost restart
 * markers) are promoted to errors so a broken file is never half-decoded into
 * grey; harmless ones (extraneous bytes, bad ICC chunk order) are ignored.
 *
 * Limits: the pixel limit is checked after jpeg_read_header, before
 * jpeg_start_decompress allocates anything image-sized. The scan limit is
 * enforced from the progress monitor, which libjpeg calls while it absorbs
 * scans; it also bounds jpeg_start_decompress of a progressive file.
 *
 * Colour: gray and YCbCr/RGB are delivered as libjpeg converts them. CMYK and
 * YCCK are read as CMYK and converted here; a file with an Adobe APP14 marker
 * stores inverted CMYK (Photoshop's convention), so R = C*K/255 there and
 * R = (255-C)(255-K)/255 otherwise.
 */
#include "codec_impl.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct jerr_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    pp_err *err; /* where the current entry point reports */
    int code;
    unsigned max_scans;
} jerr_mgr;

static void on_error_exit(j_common_ptr c)
{
    jerr_mgr *m = (jerr_mgr *)c->err;
    char buf[JMSG_LENGTH_MAX];
    c->err->format_message(c, buf);
    int code = PP_ECORRUPT;
    switch (c->err->msg_code) {
    case JERR_OUT_OF_MEMORY: code = PP_ENOMEM; break;
    case JERR_FILE_WRITE:
    case JERR_FILE_READ: code = PP_EIO; break;
    case JERR_IMAGE_TOO_BIG: code = PP_ELIMIT; break;
    case JERR_NO_SOI: code = PP_EFORMAT; break;
    default: break;
    }
    m->code = pp_err_set(m->err, code, "JPEG: %s", buf);
    longjmp(m->jb, 1);
}

/* Warnings that mean the pixel data would be wrong. */
static bool warning_is_fatal(int msg_code)
{
    switch (msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION: return true;
    default: return false;
    }
}

static void on_emit_message(j_common_ptr c, int level)
{
    if (level < 0 && warning_is_fatal(c->err->msg_code))
        on_error_exit(c);
}

static void on_output_message(j_common_ptr c)
{
    (void)c;
}

static void jerr_init(jerr_mgr *m, pp_err *err)
{
    jpeg_std_error(&m->pub);
    m->pub.error_exit = on_error_exit;
    m->pub.emit_message = on_emit_message;
    m->pub.output_message = on_output_message;
    m->err = err;
    m->code = PP_ECORRUPT;
}

/* ------------------------------------------------------------------ */
/* Decoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct jdec {
    struct jpeg_decompress_struct cinfo;
    jerr_mgr jerr;
    struct jpeg_progress_mgr progress;
    bool cmyk;
    bool adobe;
    bool started;
    uint8_t *cmyk_row;
} jdec;

static void on_progress(j_common_ptr c)
{
    j_decompress_ptr d = (j_decompress_ptr)c;
    jerr_mgr *m = (jerr_mgr *)c->err;
    if (d->input_scan_number > 0 && (unsigned)d->input_scan_number > m->max_scans) {
        m->code = pp_err_set(m->err, PP_ELIMIT,
                             "JPEG: more than %u scans (file has at least %d), over the "
                             "max-scans limit",
                             m->max_scans, d->input_scan_number);
        longjmp(m->jb, 1);
    }
}

static void jdec_destroy(void *st)
{
    jdec *j = st;
    if (!j)
        return;
    jpeg_destroy_decompress(&j->cinfo);
    free(j->cmyk_row);
    free(j);
}

static int jdec_start(jdec *j)
{
    if (!j->started) {
        jpeg_start_decompress(&j->cinfo);
        j->started = true;
    }
    return 0;
}

static inline uint8_t mul255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)((t + (t >> 8)) >> 8);
}

static void cmyk_to_rgb(const uint8_t *s, uint8_t *d, size_t w, bool adobe)
{
    for (size_t x = 0; x < w; x++, s += 4, d += 3) {
        unsigned c = s[0], m = s[1], y = s[2], k = s[3];
        if (!adobe) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        d[0] = mul255(c, k);
        d[1] = mul255(m, k);
        d[2] = mul255(y, k);
    }
}

static int jdec_read(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    jdec *j = st;
    j->jerr.err = err;
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    jdec_start(j);
    for (size_t i = 0; i < n; i++) {
        uint8_t *row = dst + i * stride;
        JSAMPROW rp = j->cmyk ? j->cmyk_row : row;
        if (jpeg_read_scanlines(&j->cinfo, &rp, 1) != 1)
            return pp_err_set(err, PP_ECORRUPT, "JPEG: decoder returned no row");
        if (j->cmyk)
            cmyk_to_rgb(j->cmyk_row, row, j->cinfo.output_width, j->adobe);
    }
    return 0;
}

static int skip_rows(jdec *j, size_t n, pp_err *err)
{
    while (n > 0) {
        JDIMENSION step = n > 65535 ? 65535 : (JDIMENSION)n;
        JDIMENSION got = jpeg_skip_scanlines(&j->cinfo, step);
        if (got == 0)
            return pp_err_set(err, PP_ECORRUPT, "JPEG: cannot skip rows");
        n -= got;
    }
    return 0;
}

static int jdec_skip(void *st, size_t n, pp_err *err)
{
    jdec *j = st;
    j->jerr.err = err;
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    jdec_start(j);
    return skip_rows(j, n, err);
}

static const pp__dec_ops jdec_ops = {jdec_read, jdec_skip, jdec_destroy};

static const char *subsampling_name(const struct jpeg_decompress_struct *c)
{
    if (c->num_components < 3)
        return "";
    int h = c->comp_info[0].h_samp_factor / c->comp_info[1].h_samp_factor;
    int v = c->comp_info[0].v_samp_factor / c->comp_info[1].v_samp_factor;
    if (h == 1 && v == 1)
        return " 4:4:4";
    if (h == 2 && v == 1)
        return " 4:2:2";
    if (h == 2 && v == 2)
        return " 4:2:0";
    if (h == 1 && v == 2)
        return " 4:4:0";
    if (h == 4 && v == 1)
        return " 4:1:1";
    return "";
}

static int read_orientation(j_decompress_ptr c)
{
    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0)
            return pp__exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

/* Runs the libjpeg calls of open under setjmp; kept apart so the caller's
 * locals are not live across the jump. */
static int jdec_header(jdec *j, FILE *fp, const pp_decode_opts *o, pp__dec *out)
{
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    jpeg_create_decompress(&j->cinfo);
    j->progress.progress_monitor = on_progress;
    j->cinfo.progress = &j->progress;
    jpeg_stdio_src(&j->cinfo, fp);
    jpeg_save_markers(&j->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&j->cinfo, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(&j->cinfo, TRUE);
    struct jpeg_decompress_struct *c = &j->cinfo;
    int rc = pp__check_pixels("JPEG", c->image_width, c->image_height, &o->limits, j->jerr.err);
    if (rc < 0)
        return rc;
    pp_image_info *i = &out->info;
    i->width = c->image_width;
    i->height = c->image_height;
    i->bit_depth = c->data_precision;
    i->progressive = c->progressive_mode;
    i->streams = !c->progressive_mode;
    i->orientation = read_orientation(c);
    switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->out_color_space = JCS_GRAYSCALE;
        i->channels = 1;
        snprintf(i->color, sizeof i->color, "gray");
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        c->out_color_space = JCS_CMYK;
        i->channels = 3;
        j->cmyk = true;
        j->adobe = c->saw_Adobe_marker;
        snprintf(i->color, sizeof i->color, "%s%s",
                 c->jpeg_color_space == JCS_YCCK ? "YCCK" : "CMYK",
                 c->saw_Adobe_marker ? " (Adobe, inverted)" : "");
        break;
    default:
        c->out_color_space = JCS_RGB;
        i->channels = 3;
        snprintf(i->color, sizeof i->color, "%s%s",
                 c->jpeg_color_space == JCS_RGB ? "RGB" : "YCbCr", subsampling_name(c));
        break;
    }
    JOCTET *icc = NULL;
    unsigned icc_len = 0;
    if (jpeg_read_icc_profile(c, &icc, &icc_len) && icc_len > 0) {
        out->icc = icc;
        out->icc_len = icc_len;
    }
    return 0;
}

int pp__jpeg_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err)
{
    (void)size;
    jdec *j = pp_calloc(1, sizeof *j, err);
    if (!j)
        return PP_ENOMEM;
    jerr_init(&j->jerr, err);
    j->cinfo.err = &j->jerr.pub;
    j->jerr.max_scans = o->limits.max_scans;
    int rc = jdec_header(j, fp, o, out);
    if (rc == 0 && j->cmyk) {
        j->cmyk_row = pp_malloc_array(j->cinfo.image_width, 4, err);
        if (!j->cmyk_row)
            rc = PP_ENOMEM;
    }
    if (rc < 0) {
        free(out->icc);
        out->icc = NULL;
        out->icc_len = 0;
        jdec_destroy(j);
        return rc;
    }
    out->ops = &jdec_ops;
    out->state = j;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct jenc {
    struct jpeg_compress_struct cinfo;
    jerr_mgr jerr;
    FILE *fp;
} jenc;

static void jenc_destroy(void *st)
{
    jenc *j = st;
    if (!j)
        return;
    jpeg_destroy_compress(&j->cinfo);
    free(j);
}

static int jenc_write(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    jenc *j = st;
    j->jerr.err = err;
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    for (size_t i = 0; i < n; i++) {
        JSAMPROW rp = (JSAMPROW)(src + i * stride);
        jpeg_write_scanlines(&j->cinfo, &rp, 1);
    }
    return 0;
}

static int jenc_finish(void *st, pp_err *err)
{
    jenc *j = st;
    j->jerr.err = err;
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    jpeg_finish_compress(&j->cinfo);
    if (fflush(j->fp) != 0 || ferror(j->fp))
        return pp_err_set(err, PP_EIO, "JPEG: write failed");
    return 0;
}

static const pp__enc_ops jenc_ops = {jenc_write, jenc_finish, jenc_destroy};

static int jenc_start(jenc *j, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len)
{
    if (setjmp(j->jerr.jb))
        return j->jerr.code;
    jpeg_create_compress(&j->cinfo);
    struct jpeg_compress_struct *c = &j->cinfo;
    jpeg_stdio_dest(c, j->fp);
    c->image_width = (JDIMENSION)fmt->width;
    c->image_height = (JDIMENSION)fmt->height;
    c->input_components = fmt->channels;
    c->in_color_space = fmt->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, o->quality, TRUE);
    if (fmt->channels == 3) {
        static const int hv[3][2] = {{2, 2}, {2, 1}, {1, 1}};
        c->comp_info[0].h_samp_factor = hv[o->subsamp][0];
        c->comp_info[0].v_samp_factor = hv[o->subsamp][1];
        for (int k = 1; k < 3; k++)
            c->comp_info[k].h_samp_factor = c->comp_info[k].v_samp_factor = 1;
    }
    if (o->progressive)
        jpeg_simple_progression(c);
    jpeg_start_compress(c, TRUE);
    if (icc)
        jpeg_write_icc_profile(c, icc, (unsigned)icc_len);
    return 0;
}

int pp__jpeg_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err)
{
    if (fmt->width > JPEG_MAX_DIMENSION || fmt->height > JPEG_MAX_DIMENSION)
        return pp_err_set(err, PP_EUNSUPPORTED, "JPEG: %zux%zu is over the format's %ld-pixel side",
                          fmt->width, fmt->height, (long)JPEG_MAX_DIMENSION);
    if (o->quality < 1 || o->quality > 100)
        return pp_err_set(err, PP_EINVAL, "JPEG: quality %d is outside 1..100", o->quality);
    jenc *j = pp_calloc(1, sizeof *j, err);
    if (!j)
        return PP_ENOMEM;
    j->fp = fp;
    jerr_init(&j->jerr, err);
    j->cinfo.err = &j->jerr.pub;
    int rc = jenc_start(j, fmt, o, icc, icc_len);
    if (rc < 0) {
        jenc_destroy(j);
        return rc;
    }
    out->ops = &jenc_ops;
    out->state = j;
    return 0;
}
