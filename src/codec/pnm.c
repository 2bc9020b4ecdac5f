/* Binary PGM (P5) and PPM (P6), written by hand: no library needed.
 * Maxval up to 65535 is read (16-bit samples are big-endian and reduced to 8
 * bits with rounding; other maxvals are rescaled to 0..255). Rows are at fixed
 * offsets, so skipping is a seek. Output is always maxval 255. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec_impl.h"

typedef struct pdec {
    FILE *fp;
    size_t width, height;
    int channels;
    unsigned maxval;
    size_t sample_bytes;
    size_t row_len; /* bytes of one row in the file */
    uint8_t *row;   /* file row when it differs from the output */
} pdec;

static void pnm_destroy(void *st)
{
    pdec *p = st;
    if (!p)
        return;
    free(p->row);
    free(p);
}

static int pnm_read(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err)
{
    pdec *p = st;
    size_t w = p->width * (size_t)p->channels;
    for (size_t i = 0; i < n; i++) {
        uint8_t *out = dst + i * stride;
        uint8_t *buf = p->row ? p->row : out;
        if (fread(buf, 1, p->row_len, p->fp) != p->row_len)
            return pp_err_set(err, ferror(p->fp) ? PP_EIO : PP_ECORRUPT, "PNM: %s",
                              ferror(p->fp) ? strerror(errno) : "truncated pixel data");
        if (!p->row)
            continue;
        for (size_t x = 0; x < w; x++) {
            unsigned v = p->sample_bytes == 2 ? (unsigned)buf[2 * x] << 8 | buf[2 * x + 1] : buf[x];
            if (v > p->maxval)
                v = p->maxval;
            out[x] = (uint8_t)((v * 255u * 2u + p->maxval) / (2u * p->maxval));
        }
    }
    return 0;
}

static int pnm_skip(void *st, size_t n, pp_err *err)
{
    pdec *p = st;
    size_t bytes;
    if (!pp_mul_size(n, p->row_len, &bytes) || fseeko(p->fp, (off_t)bytes, SEEK_CUR) != 0)
        return pp_err_set(err, PP_EIO, "PNM: cannot seek: %s", strerror(errno));
    return 0;
}

static const pp__dec_ops pnm_ops = {pnm_read, pnm_skip, pnm_destroy};

/* Reads one unsigned header number, skipping whitespace and # comments. */
static int header_number(FILE *fp, unsigned long *out)
{
    int c = fgetc(fp);
    for (;;) {
        while (c != EOF && isspace(c))
            c = fgetc(fp);
        if (c != '#')
            break;
        while (c != EOF && c != '\n')
            c = fgetc(fp);
    }
    if (c == EOF || !isdigit(c))
        return -1;
    unsigned long v = 0;
    while (c != EOF && isdigit(c)) {
        if (v > 100000000ul)
            return -1;
        v = v * 10 + (unsigned long)(c - '0');
        c = fgetc(fp);
    }
    if (c == EOF || !isspace(c))
        return -1;
    *out = v;
    return 0;
}

int pp__pnm_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err)
{
    char magic[2];
    if (fread(magic, 1, 2, fp) != 2)
        return pp_err_set(err, PP_ECORRUPT, "PNM: truncated header");
    int channels = magic[1] == '5' ? 1 : 3;
    unsigned long w, h, maxval;
    if (header_number(fp, &w) < 0 || header_number(fp, &h) < 0 || header_number(fp, &maxval) < 0)
        return pp_err_set(err, PP_ECORRUPT, "PNM: malformed header");
    if (maxval == 0 || maxval > 65535)
        return pp_err_set(err, PP_ECORRUPT, "PNM: maxval %lu is outside 1..65535", maxval);
    int rc = pp__check_pixels("PNM", w, h, &o->limits, err);
    if (rc < 0)
        return rc;
    pdec *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->fp = fp;
    p->width = w;
    p->height = h;
    p->channels = channels;
    p->maxval = (unsigned)maxval;
    p->sample_bytes = maxval > 255 ? 2 : 1;
    size_t total;
    if (!pp_mul3_size(w, (size_t)channels, p->sample_bytes, &p->row_len) ||
        !pp_mul_size(p->row_len, h, &total)) {
        pnm_destroy(p);
        return pp_err_set(err, PP_EOVERFLOW, "PNM: image size overflows");
    }
    off_t pos = ftello(fp);
    if (pos < 0 || (size_t)pos > size || size - (size_t)pos < total) {
        pnm_destroy(p);
        return pp_err_set(err, PP_ECORRUPT, "PNM: truncated: header declares %zu bytes of pixels, "
                                            "file has %zu", total,
                          pos < 0 || (size_t)pos > size ? (size_t)0 : size - (size_t)pos);
    }
    if (maxval != 255) {
        p->row = pp_malloc(p->row_len, err);
        if (!p->row) {
            pnm_destroy(p);
            return PP_ENOMEM;
        }
    }
    pp_image_info *i = &out->info;
    i->width = w;
    i->height = h;
    i->channels = channels;
    i->bit_depth = maxval > 255 ? 16 : 8;
    i->orientation = 1;
    i->streams = true;
    snprintf(i->color, sizeof i->color, "%s maxval %lu", channels == 1 ? "PGM" : "PPM", maxval);
    out->ops = &pnm_ops;
    out->state = p;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

typedef struct penc {
    FILE *fp;
    size_t row_len;
} penc;

static void penc_destroy(void *st)
{
    free(st);
}

static int penc_write(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err)
{
    penc *p = st;
    for (size_t i = 0; i < n; i++)
        if (fwrite(src + i * stride, 1, p->row_len, p->fp) != p->row_len)
            return pp_err_set(err, PP_EIO, "PNM: write failed: %s", strerror(errno));
    return 0;
}

static int penc_finish(void *st, pp_err *err)
{
    penc *p = st;
    if (fflush(p->fp) != 0 || ferror(p->fp))
        return pp_err_set(err, PP_EIO, "PNM: write failed: %s", strerror(errno));
    return 0;
}

static const pp__enc_ops penc_ops = {penc_write, penc_finish, penc_destroy};

int pp__pnm_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                     size_t icc_len, pp__enc *out, pp_err *err)
{
    (void)o;
    (void)icc;
    (void)icc_len;
    penc *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return PP_ENOMEM;
    p->fp = fp;
    p->row_len = fmt->width * (size_t)fmt->channels;
    if (fprintf(fp, "P%c\n%zu %zu\n255\n", fmt->channels == 1 ? '5' : '6', fmt->width,
                fmt->height) < 0) {
        free(p);
        return pp_err_set(err, PP_EIO, "PNM: write failed: %s", strerror(errno));
    }
    out->ops = &penc_ops;
    out->state = p;
    return 0;
}
