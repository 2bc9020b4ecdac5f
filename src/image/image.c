/* The owned image type, size computations and channel-layout conversion. */
#include "pixpipe/image.h"

#include <stdlib.h>
#include <string.h>

const char *pp_channels_name(int channels)
{
    switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
    default: return "invalid";
    }
}

int pp_format_size(const pp_format *f, size_t *row_bytes, size_t *total, pp_err *err)
{
    if (!pp_channels_valid(f->channels))
        return pp_err_set(err, PP_EINVAL, "invalid channel count %d", f->channels);
    if (f->width == 0 || f->height == 0)
        return pp_err_set(err, PP_EINVAL, "empty image %zux%zu", f->width, f->height);
    size_t row, all;
    if (!pp_mul_size(f->width, (size_t)f->channels, &row) || !pp_mul_size(row, f->height, &all))
        return pp_err_set(err, PP_EOVERFLOW, "image %zux%zux%d overflows the address space",
                          f->width, f->height, f->channels);
    if (row_bytes)
        *row_bytes = row;
    if (total)
        *total = all;
    return 0;
}

static pp_image *image_alloc(size_t width, size_t height, int channels, bool zero, pp_err *err)
{
    pp_format f = {width, height, channels};
    size_t row, total, alloc;
    if (pp_format_size(&f, &row, &total, err) < 0)
        return NULL;
    if (!pp_add_size(total, PP_IMAGE_SLACK, &alloc)) {
        pp_err_set(err, PP_EOVERFLOW, "image %zux%zux%d overflows the address space", width,
                   height, channels);
        return NULL;
    }
    pp_image *im = pp_calloc(1, sizeof *im, err);
    if (!im)
        return NULL;
    im->data = pp_malloc_aligned(alloc, err);
    if (!im->data) {
        free(im);
        return NULL;
    }
    if (zero)
        memset(im->data, 0, total);
    im->width = width;
    im->height = height;
    im->channels = channels;
    im->stride = row;
    im->slack = PP_IMAGE_SLACK;
    return im;
}

pp_image *pp_image_new(size_t width, size_t height, int channels, pp_err *err)
{
    return image_alloc(width, height, channels, false, err);
}

pp_image *pp_image_new_zero(size_t width, size_t height, int channels, pp_err *err)
{
    return image_alloc(width, height, channels, true, err);
}

void pp_image_free(pp_image *im)
{
    if (!im)
        return;
    free(im->data);
    free(im);
}

pp_rows pp_image_rows(const pp_image *im, size_t y0, size_t count)
{
    pp_rows r = {pp_image_row(im, y0), im->stride, y0, count};
    return r;
}

bool pp_image_equal(const pp_image *a, const pp_image *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return false;
    size_t n = a->width * (size_t)a->channels;
    for (size_t y = 0; y < a->height; y++)
        if (memcmp(pp_image_row(a, y), pp_image_row(b, y), n) != 0)
            return false;
    return true;
}

void pp_convert_row(const uint8_t *src, int sc, uint8_t *dst, int dc, size_t width)
{
    if (sc == dc) {
        memcpy(dst, src, width * (size_t)sc);
        return;
    }
    bool src_alpha = pp_channels_have_alpha(sc), dst_alpha = pp_channels_have_alpha(dc);
    for (size_t x = 0; x < width; x++) {
        const uint8_t *s = src + x * (size_t)sc;
        uint8_t *d = dst + x * (size_t)dc;
        uint8_t a = src_alpha ? s[sc - 1] : 255;
        if (sc <= 2) {
            if (dc <= 2)
                d[0] = s[0];
            else
                d[0] = d[1] = d[2] = s[0];
        } else {
            if (dc <= 2)
                d[0] = pp_luma(s[0], s[1], s[2]);
            else {
                d[0] = s[0];
                d[1] = s[1];
                d[2] = s[2];
            }
        }
        if (dst_alpha)
            d[dc - 1] = a;
    }
}
