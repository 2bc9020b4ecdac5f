/* pixpipe image model.
 *
 * Samples are 8-bit, interleaved, with 1 (gray), 2 (gray+alpha), 3 (RGB) or
 * 4 (RGBA) channels. A row holds width*channels bytes; rows are `stride` bytes
 * apart (stride >= width*channels). Every size computation is overflow-checked.
 *
 * A pp_rows is a non-owning view of consecutive rows: the unit that codecs hand
 * out and take in, and that the strip executor works on.
 */
#ifndef PIXPIPE_IMAGE_H
#define PIXPIPE_IMAGE_H

#include "pixpipe/base.h"

/* Width, height and channel count: what a stage or codec produces. */
typedef struct pp_format {
    size_t width;
    size_t height;
    int channels;
} pp_format;

/* Bytes pp_image_new leaves readable after an image's last row, so kernels
 * may read an in-memory image in place with wide loads. */
#define PP_IMAGE_SLACK 64

/* An owned image. data is aligned as pp_malloc_aligned aligns (64 bytes
 * under 4 MB, 16 above); rows are stride bytes apart.
 * slack: readable bytes after the last row (PP_IMAGE_SLACK from
 * pp_image_new; 0 for an image whose memory comes from elsewhere). */
typedef struct pp_image {
    size_t width;
    size_t height;
    int channels;
    size_t stride;
    uint8_t *data;
    size_t slack;
} pp_image;

/* A view of rows [y0, y0+count) of some image: row y0 starts at data. */
typedef struct pp_rows {
    uint8_t *data;
    size_t stride;
    size_t y0;
    size_t count;
} pp_rows;

/* True when channels is 1..4. */
static inline bool pp_channels_valid(int channels)
{
    return channels >= 1 && channels <= 4;
}

/* True when the channel layout has an alpha channel (2 or 4 channels). */
static inline bool pp_channels_have_alpha(int channels)
{
    return channels == 2 || channels == 4;
}

/* Colour channels, alpha excluded. */
static inline int pp_color_channels(int channels)
{
    return pp_channels_have_alpha(channels) ? channels - 1 : channels;
}

/* Short layout name: "gray", "gray+alpha", "RGB", "RGBA". */
const char *pp_channels_name(int channels);

/* Bytes in one packed row (width*channels) into *row_bytes, and the bytes of
 * the whole packed image (row_bytes*height) into *total (either may be NULL).
 * Fails with PP_EOVERFLOW or PP_EINVAL. */
int pp_format_size(const pp_format *f, size_t *row_bytes, size_t *total, pp_err *err);

/* New image with uninitialised pixels, stride = width*channels.
 * Returns NULL and fills err on failure. Free with pp_image_free. */
pp_image *pp_image_new(size_t width, size_t height, int channels, pp_err *err);

/* New image filled with zeros. */
pp_image *pp_image_new_zero(size_t width, size_t height, int channels, pp_err *err);

/* Frees the image and its pixels. NULL is a no-op. */
void pp_image_free(pp_image *im);

/* Pointer to the first byte of row y (no bounds check beyond an assert). */
static inline uint8_t *pp_image_row(const pp_image *im, size_t y)
{
    return im->data + y * im->stride;
}

/* The format of an image. */
static inline pp_format pp_image_format(const pp_image *im)
{
    pp_format f = {im->width, im->height, im->channels};
    return f;
}

/* A view of rows [y0, y0+count) of im. The caller keeps count within height. */
pp_rows pp_image_rows(const pp_image *im, size_t y0, size_t count);

/* True when both images have the same format and identical pixels. */
bool pp_image_equal(const pp_image *a, const pp_image *b);

/* BT.601 luma as OpenCV's cvtColor(RGB2GRAY) computes it for 8-bit samples. */
static inline uint8_t pp_luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 9798u + g * 19235u + b * 3735u + 16384u) >> 15);
}

/* Copies a row from src_channels layout to dst_channels layout:
 * gray -> RGB replicates, RGB -> gray uses BT.601 like OpenCV's cvtColor,
 * alpha is dropped or set to 255 as needed. */
void pp_convert_row(const uint8_t *src, int src_channels, uint8_t *dst, int dst_channels,
                    size_t width);

#endif
