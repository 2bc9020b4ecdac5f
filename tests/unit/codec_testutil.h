/* Helpers shared by the codec unit tests (tests/unit/test_codec_*.c):
 * synthetic images, in-memory encode/decode through the public API, image
 * comparison, and fixture writers that call libjpeg, libspng and libtiff
 * directly so the decoders are checked against files pixpipe did not write.
 *
 * Every helper fails the running cmocka test on an unexpected error, so the
 * tests themselves only assert what they are about.
 */
#ifndef PP_CODEC_TESTUTIL_H
#define PP_CODEC_TESTUTIL_H

#include <stdio.h>

#include "pixpipe/codec.h"
#include "pixpipe/engine.h"
#include "pp_config.h"
#include "testutil.h"

/* ---- synthetic images ---- */

/* Deterministic pseudo-random pixels (xorshift32 seeded with seed). */
pp_image *ct_image_random(size_t w, size_t h, int channels, uint32_t seed);

/* Smooth gradients in every channel: JPEG and lossy WebP keep these well. */
pp_image *ct_image_smooth(size_t w, size_t h, int channels);

/* An image made of flat blocks of block x block pixels; block (bx, by) has
 * the colour colors[(by * bw + bx) % ncolors] (channels bytes each). */
pp_image *ct_image_blocks(size_t w, size_t h, int channels, size_t block, const uint8_t *colors,
                          size_t ncolors);

/* ---- comparison ---- */

/* Fails the test, naming the first differing sample, unless a == b. */
#define ct_assert_image_equal(a, b) ct_assert_image_equal_at((a), (b), __FILE__, __LINE__)
void ct_assert_image_equal_at(const pp_image *a, const pp_image *b, const char *file, int line);

/* Fails unless every sample differs by at most tol. */
#define ct_assert_image_near(a, b, tol) ct_assert_image_near_at((a), (b), (tol), __FILE__, __LINE__)
void ct_assert_image_near_at(const pp_image *a, const pp_image *b, int tol, const char *file,
                             int line);

/* PSNR in dB over the first `channels` channels of both images (same size);
 * 99 when identical. */
double ct_psnr(const pp_image *a, const pp_image *b, int channels);

/* A copy of im converted to `channels` with pp_convert_row. */
pp_image *ct_convert(const pp_image *im, int channels);

/* ---- encode / decode through the public API ---- */

/* Encodes im to memory with pp_encoder_open on an open_memstream, feeding rows
 * in uneven batches from a padded buffer. Returns the malloc'd bytes, or NULL
 * with err filled (the error from open, write or finish). Also checks that
 * pp_encoder_finish flushed the stream. */
uint8_t *ct_encode(pp_codec_id codec, const pp_image *im, const pp_encode_opts *o,
                   const uint8_t *icc, size_t icc_len, size_t *len, pp_err *err);

/* Same, failing the test on error. */
uint8_t *ct_encode_ok(pp_codec_id codec, const pp_image *im, const pp_encode_opts *o, size_t *len);

/* Decodes a whole image from memory, reading rows in uneven batches into a
 * padded buffer. NULL with err filled on failure (open or read). info may be
 * NULL. */
pp_image *ct_decode(const void *data, size_t len, const pp_decode_opts *o, pp_image_info *info,
                    pp_err *err);

/* Same, failing the test on error. */
pp_image *ct_decode_ok(const void *data, size_t len, const pp_decode_opts *o, pp_image_info *info);

/* Decodes with pp_decoder_skip(skip) first, then reads the remaining rows.
 * Returns an image of height - skip rows. */
pp_image *ct_decode_after_skip(const void *data, size_t len, const pp_decode_opts *o, size_t skip);

/* Fails unless rows [y0, y0 + part->height) of whole equal part. */
void ct_assert_rows_equal(const pp_image *whole, size_t y0, const pp_image *part);

/* Default decode options with autorotate as given. */
pp_decode_opts ct_dopts(bool autorotate);

/* ---- fixture writers (libraries called directly) ---- */

#if PP_HAVE_JPEG
#include <jpeglib.h>

typedef struct ct_jpeg_opts {
    int quality;               /* 0: 100 */
    J_COLOR_SPACE in_cs;       /* JCS_GRAYSCALE, JCS_RGB or JCS_CMYK (from components if 0) */
    J_COLOR_SPACE jpeg_cs;     /* jpeg_set_colorspace target; JCS_UNKNOWN: library default */
    int adobe;                 /* -1: library default, 0: no Adobe marker, 1: write it */
    bool progressive;          /* jpeg_simple_progression */
    unsigned restart_interval; /* MCUs between RSTn markers; 0: none */
    int h0, v0;                /* sampling of component 0 (others 1x1); 0: keep default */
    const uint8_t *app1;       /* raw APP1 payload (e.g. "Exif\0\0" + TIFF block) */
    size_t app1_len;
    const uint8_t *icc;
    size_t icc_len;
} ct_jpeg_opts;

/* Writes px (w*h*comps interleaved samples) as JPEG; malloc'd result. */
uint8_t *ct_jpeg_write(const uint8_t *px, size_t w, size_t h, int comps, const ct_jpeg_opts *o,
                       size_t *len);
#endif

#if PP_HAVE_PNG
#include <spng.h>

typedef struct ct_png_opts {
    const struct spng_plte *plte;
    const struct spng_trns *trns;
    const struct spng_iccp *iccp;
    const struct spng_text *text; /* n_text entries */
    uint32_t n_text;
    const struct spng_exif *exif;
} ct_png_opts;

/* Encodes raw rows in libspng's SPNG_FMT_PNG layout (packed sub-byte samples,
 * host-endian 16-bit) under ihdr; o may be NULL. malloc'd result. */
uint8_t *ct_png_write(const struct spng_ihdr *ihdr, const void *raw, size_t raw_len,
                      const ct_png_opts *o, size_t *len);
#endif

#if PP_HAVE_TIFF
#include <tiffio.h>

typedef struct ct_tiff_opts {
    uint16_t bits;           /* 1, 4, 8, 16 */
    uint16_t spp;            /* samples per pixel */
    uint16_t photometric;    /* PHOTOMETRIC_* */
    uint16_t planar;         /* PLANARCONFIG_*; 0: contiguous */
    uint16_t compression;    /* COMPRESSION_*; 0: none */
    uint16_t orientation;    /* 0: tag absent */
    uint16_t extra;          /* EXTRASAMPLE_* for the last sample when spp is 2 or 4; 0: none */
    uint32_t rps;            /* rows per strip (0: whole image in one strip) */
    uint32_t tile_w, tile_h; /* tiled when nonzero */
    const uint16_t *cmap;    /* palette: 3 * 2^bits entries, red then green then blue */
    const uint8_t *icc;
    size_t icc_len;
    bool ycbcr_jpeg; /* JPEG compression, photometric YCbCr, RGB input */
} ct_tiff_opts;

/* Writes a TIFF into dir (a scratch file) from px: rows of w*spp samples,
 * contiguous, 8-bit bytes, 16-bit host-endian, or packed rows for bits < 8.
 * Returns the file's bytes (malloc'd). */
uint8_t *ct_tiff_write(const char *dir, const void *px, uint32_t w, uint32_t h,
                       const ct_tiff_opts *o, size_t *len);
#endif

/* EXIF TIFF block (little- or big-endian) holding only IFD0 with Orientation
 * = o. Writes at most cap bytes into buf and returns the length used. With
 * app1_header, the block is prefixed with "Exif\0\0" (the JPEG APP1 form). */
size_t ct_exif_block(uint8_t *buf, size_t cap, int orientation, bool big_endian, bool app1_header);

/* The EXIF orientation transform written from its definition (where stored
 * row 0 and column 0 end up), independent of the codec's own code. */
pp_image *ct_orient(const pp_image *stored, int orientation);

/* Reads a whole file; fails the test on error. */
uint8_t *ct_read_file(const char *path, size_t *len);

#endif
