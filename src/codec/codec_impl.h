/* Internal contract between the generic codec layer (codec.c) and each format.
 *
 * A format decoder fills a pp__dec from an open FILE: header facts in `info`
 * (raw, un-oriented size and the orientation tag found), an optional ICC
 * profile (malloc'd, owned by the generic layer afterwards) and a vtable that
 * delivers raw rows top to bottom. The generic layer applies orientation,
 * tracks the row position and enforces the row count.
 *
 * A format encoder receives rows already converted to a channel count it
 * accepts (pp__enc_channels), so it never converts layouts itself.
 */
#ifndef PIXPIPE_CODEC_IMPL_H
#define PIXPIPE_CODEC_IMPL_H

#include "pixpipe/codec.h"

typedef struct pp__dec_ops {
    /* Delivers the next n raw rows into dst. */
    int (*read)(void *st, uint8_t *dst, size_t stride, size_t n, pp_err *err);
    /* Skips n raw rows; NULL means read and discard. */
    int (*skip)(void *st, size_t n, pp_err *err);
    void (*destroy)(void *st);
} pp__dec_ops;

typedef struct pp__dec {
    const pp__dec_ops *ops;
    void *state;
    pp_image_info info; /* width/height/channels as the codec delivers them */
    uint8_t *icc;       /* malloc'd or NULL */
    size_t icc_len;
} pp__dec;

/* Opens a decoder on fp, whose total size is `size` bytes. fp stays owned by
 * the caller and outlives the decoder. */
typedef int (*pp__dec_open_fn)(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out,
                               pp_err *err);

typedef struct pp__enc_ops {
    int (*write)(void *st, const uint8_t *src, size_t stride, size_t n, pp_err *err);
    int (*finish)(void *st, pp_err *err);
    void (*destroy)(void *st);
} pp__enc_ops;

typedef struct pp__enc {
    const pp__enc_ops *ops;
    void *state;
} pp__enc;

/* fmt->channels is already one the format accepts. icc is NULL when it must
 * not be written. */
typedef int (*pp__enc_open_fn)(FILE *fp, const pp_format *fmt, const pp_encode_opts *o,
                               const uint8_t *icc, size_t icc_len, pp__enc *out, pp_err *err);

/* One entry per format. Functions are NULL when the codec is not built. */
typedef struct pp__codec {
    pp_codec_id id;
    const char *name;
    const char *ext;
    pp__dec_open_fn dec_open;
    pp__enc_open_fn enc_open;
    int (*enc_channels)(int channels); /* channel count written for an input count */
    bool holds_icc;
} pp__codec;

const pp__codec *pp__codec_get(pp_codec_id id);

/* Fails with PP_ELIMIT when width*height exceeds the pixel limit; the message
 * names the codec, the size found and the limit. */
int pp__check_pixels(const char *codec, uint64_t width, uint64_t height, const pp_limits *l,
                     pp_err *err);

/* Orientation (1..8) from an EXIF TIFF block (starting at "II*\0"/"MM\0*");
 * 1 when absent or malformed. Reads only inside [tiff, tiff+len). */
int pp__exif_orientation(const uint8_t *tiff, size_t len);

/* 16-bit to 8-bit with rounding: round(v / 257). */
static inline uint8_t pp__u16_to_u8(unsigned v)
{
    return (uint8_t)((v * 255u + 32895u) >> 16);
}

/* Format entry points (defined only when the codec is built). */
int pp__jpeg_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err);
int pp__jpeg_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err);
int pp__png_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err);
int pp__png_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                     size_t icc_len, pp__enc *out, pp_err *err);
int pp__webp_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err);
int pp__webp_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err);
int pp__tiff_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err);
int pp__tiff_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                      size_t icc_len, pp__enc *out, pp_err *err);
int pp__pnm_dec_open(FILE *fp, size_t size, const pp_decode_opts *o, pp__dec *out, pp_err *err);
int pp__pnm_enc_open(FILE *fp, const pp_format *fmt, const pp_encode_opts *o, const uint8_t *icc,
                     size_t icc_len, pp__enc *out, pp_err *err);

#endif
