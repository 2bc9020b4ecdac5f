/* pixpipe codecs: format sniffing, streaming decoders and encoders.
 *
 * The format is decided by magic bytes, never by a file name. A decoder hands
 * out rows top to bottom (pp_decoder_read); an encoder takes rows top to bottom
 * (pp_encoder_write). JPEG, non-interlaced PNG, TIFF and PNM stream: memory
 * grows with the width, not the height. Formats that cannot stream (WebP,
 * interlaced PNG, EXIF-rotated images) decode the whole image behind the same
 * interface.
 *
 * Untrusted input: pp_limits is checked from the header, before any pixel
 * memory is allocated. A file over a limit fails with PP_ELIMIT and a message
 * naming the limit and the value found.
 *
 * Error messages name the codec and the cause but not the file: callers add
 * the file name ("pixpipe: FILE: reason").
 *
 * Thread rules: a decoder or encoder is used by one thread at a time.
 * Different decoders and encoders are independent.
 */
#ifndef PIXPIPE_CODEC_H
#define PIXPIPE_CODEC_H

#include <stdio.h>

#include "pixpipe/image.h"

typedef enum pp_codec_id {
    PP_CODEC_UNKNOWN = 0,
    PP_CODEC_JPEG,
    PP_CODEC_PNG,
    PP_CODEC_WEBP,
    PP_CODEC_TIFF,
    PP_CODEC_PNM,
    PP_CODEC_COUNT
} pp_codec_id;

/* ---- limits for untrusted input ---- */
#define PP_DEFAULT_MAX_PIXELS 268435456ull      /* 2^28, about 268 megapixels */
#define PP_DEFAULT_MAX_BYTES 2147483648ull      /* 2 GiB of input file */
#define PP_DEFAULT_MAX_SCANS 500u               /* JPEG progressive scans */
#define PP_DEFAULT_PNG_CHUNK_MAX (16u << 20)    /* one PNG chunk */
#define PP_DEFAULT_PNG_CACHE_MAX (64u << 20)    /* all cached PNG chunks */

typedef struct pp_limits {
    uint64_t max_pixels;  /* width*height after decoding */
    uint64_t max_bytes;   /* size of the encoded input */
    unsigned max_scans;   /* JPEG scans (progressive files have many) */
    size_t png_chunk_max; /* largest single PNG chunk */
    size_t png_cache_max; /* total memory for PNG ancillary chunks */
} pp_limits;

void pp_limits_default(pp_limits *l);

/* ---- decoding ---- */
typedef struct pp_decode_opts {
    pp_limits limits;
    bool autorotate;          /* apply EXIF/TIFF orientation (default true) */
    const pp_cancel *cancel;  /* optional: stop with PP_ECANCELED when set */
} pp_decode_opts;

void pp_decode_opts_default(pp_decode_opts *o);

typedef struct pp_image_info {
    pp_codec_id codec;
    size_t width, height; /* as delivered by pp_decoder_read (after orientation) */
    int channels;         /* as delivered: 1..4 */
    int bit_depth;        /* bits per sample in the file (delivered samples are 8-bit) */
    bool progressive;     /* JPEG progressive */
    bool interlaced;      /* PNG Adam7 */
    bool lossless;        /* WebP lossless */
    bool tiled;           /* TIFF tiles (else strips) */
    int orientation;      /* EXIF/TIFF orientation tag found in the file, 1..8 */
    bool oriented;        /* orientation was applied to the delivered rows */
    bool streams;         /* rows are decoded incrementally, not all at once */
    size_t icc_len;       /* ICC profile bytes, 0 when none */
    char color[48];       /* colour model in the file, e.g. "YCbCr 4:2:0", "CMYK (Adobe)" */
} pp_image_info;

typedef struct pp_decoder pp_decoder;

/* Opens a file for decoding: reads the header only. The file is opened with
 * O_NOFOLLOW and must be a regular file. Returns NULL and fills err
 * (PP_ENOENT, PP_EFORMAT, PP_ELIMIT, PP_ECORRUPT, PP_EIO...) on failure.
 * Free with pp_decoder_free. */
pp_decoder *pp_decoder_open_file(const char *path, const pp_decode_opts *opts, pp_err *err);

/* Same, from memory. data must stay valid until pp_decoder_free. */
pp_decoder *pp_decoder_open_mem(const void *data, size_t len, const pp_decode_opts *opts,
                                pp_err *err);

/* Header facts. Valid until pp_decoder_free. */
const pp_image_info *pp_decoder_info(const pp_decoder *d);

/* The ICC profile (owned by the decoder) or NULL with *len = 0. */
const uint8_t *pp_decoder_icc(const pp_decoder *d, size_t *len);

/* Index of the next row pp_decoder_read will deliver. */
size_t pp_decoder_row(const pp_decoder *d);

/* Decodes the next nrows rows into dst (rows stride bytes apart, each
 * width*channels bytes). nrows must not run past the height. */
int pp_decoder_read(pp_decoder *d, uint8_t *dst, size_t stride, size_t nrows, pp_err *err);

/* Skips nrows rows without delivering them (cheap for JPEG, PNM, TIFF). */
int pp_decoder_skip(pp_decoder *d, size_t nrows, pp_err *err);

/* Frees the decoder and closes what it opened. NULL is a no-op. */
void pp_decoder_free(pp_decoder *d);

/* Convenience: decodes a whole file. info may be NULL. Free with pp_image_free. */
pp_image *pp_decode_file(const char *path, const pp_decode_opts *opts, pp_image_info *info,
                         pp_err *err);

/* ---- encoding ---- */
typedef enum { PP_SUBSAMP_420 = 0, PP_SUBSAMP_422, PP_SUBSAMP_444 } pp_subsamp;

typedef enum {
    PP_TIFF_DEFLATE = 0,
    PP_TIFF_NONE,
    PP_TIFF_LZW,
    PP_TIFF_PACKBITS,
    PP_TIFF_JPEG
} pp_tiff_compression;

typedef struct pp_encode_opts {
    int quality;          /* JPEG and lossy WebP, 1..100 (default 90) */
    pp_subsamp subsamp;   /* JPEG chroma subsampling (default 4:2:0) */
    bool progressive;     /* JPEG progressive (needs the whole image in memory) */
    int png_level;        /* PNG deflate level 0..9 (default 6) */
    bool lossless;        /* WebP lossless */
    pp_tiff_compression tiff_compression;
    bool strip;           /* drop the ICC profile too */
} pp_encode_opts;

void pp_encode_opts_default(pp_encode_opts *o);

typedef struct pp_encoder pp_encoder;

/* Starts encoding an image of format fmt to fp (not closed by the encoder).
 * icc may be NULL; it is written when the format can hold one and !opts->strip.
 * Channels the format cannot hold are converted: alpha is dropped for JPEG
 * and PNM, gray is widened for WebP. Free with pp_encoder_free. */
pp_encoder *pp_encoder_open(FILE *fp, pp_codec_id codec, const pp_format *fmt,
                            const pp_encode_opts *opts, const uint8_t *icc, size_t icc_len,
                            pp_err *err);

/* Encodes the next nrows rows from src (rows stride bytes apart). */
int pp_encoder_write(pp_encoder *e, const uint8_t *src, size_t stride, size_t nrows,
                     pp_err *err);

/* Completes the file after the last row and flushes fp. */
int pp_encoder_finish(pp_encoder *e, pp_err *err);

void pp_encoder_free(pp_encoder *e);

/* ---- formats ---- */
/* Identifies a format from the first bytes (16 are enough). */
pp_codec_id pp_codec_sniff(const uint8_t *buf, size_t len);

/* "jpeg", "png", "webp", "tiff", "pnm". */
const char *pp_codec_name(pp_codec_id id);

/* Canonical file extension without the dot: "jpg", "png", "webp", "tif", "ppm". */
const char *pp_codec_ext(pp_codec_id id);

/* From a name or extension ("jpg", "JPEG", "tif", "pgm"...); UNKNOWN if none. */
pp_codec_id pp_codec_from_name(const char *name);

/* From a path's extension; UNKNOWN if none matches. */
pp_codec_id pp_codec_from_path(const char *path);

/* True when this build has the codec. */
bool pp_codec_available(pp_codec_id id);

/* True when the format can carry an ICC profile. */
bool pp_codec_holds_icc(pp_codec_id id);

#endif
