/* ppgen: writes a synthetic test image of any size, streaming.
 *
 *   ppgen [--format FMT] [--channels N] [-q QUALITY] WIDTH HEIGHT OUT
 *
 * The format comes from --format, else OUT's extension (jpg, png, tif, ppm,
 * webp). Rows are computed one strip at a time and handed to
 * pp_encoder_write, so ppgen itself needs memory for one strip only (for the
 * streaming encoders: JPEG baseline, PNG, TIFF, PNM). The pattern is smooth
 * gradients crossed with diagonal stripes, rings and a small pseudo-random
 * texture: not flat, so encoders and filters do real work, but compressible
 * enough that a 20000x20000 JPEG stays reasonable on disk. The output is a
 * pure function of the arguments.
 *
 * Output goes through pp_outfile (temporary name, rename), like pixpipe's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/codec.h"
#include "pixpipe/file.h"

#define STRIP 16

static void usage(void)
{
    fprintf(stderr, "usage: ppgen [--format FMT] [--channels 1..4] [-q QUALITY] WIDTH HEIGHT OUT\n");
}

static bool parse_size(const char *s, size_t max, size_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v == 0 || v > max)
        return false;
    *out = (size_t)v;
    return true;
}

/* xorshift-style hash of a position: the texture, identical on every run. */
static inline uint32_t hash2(uint32_t x, uint32_t y)
{
    uint32_t h = x * 0x9E3779B1u ^ (y + 0x7F4A7C15u) * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return h;
}

static void make_row(uint8_t *row, size_t w, size_t h, size_t y, int c)
{
    uint32_t gy = (uint32_t)(y * 255 / (h > 1 ? h - 1 : 1));
    for (size_t x = 0; x < w; x++) {
        uint32_t gx = (uint32_t)(x * 255 / (w > 1 ? w - 1 : 1));
        uint32_t stripes = (uint32_t)((x + y) / 24 % 2) * 40;
        long dx = (long)(x % 512) - 256, dy = (long)(y % 512) - 256;
        long r2 = dx * dx + dy * dy;
        uint32_t rings = (uint32_t)(r2 / 2048 % 2) * 30;
        uint32_t noise = hash2((uint32_t)x, (uint32_t)y) & 15;
        uint32_t v[4] = {
            (gx * 3 / 4 + stripes + noise) & 255,
            (gy * 3 / 4 + rings + noise) & 255,
            ((255 - gx) / 2 + (gy / 4) + stripes / 2 + rings / 2 + noise) & 255,
            (128 + gx / 2) & 255,
        };
        uint8_t *p = row + x * (size_t)c;
        switch (c) {
        case 1: p[0] = (uint8_t)((v[0] + v[1] + v[2]) / 3); break;
        case 2:
            p[0] = (uint8_t)((v[0] + v[1] + v[2]) / 3);
            p[1] = (uint8_t)v[3];
            break;
        default:
            for (int k = 0; k < c; k++)
                p[k] = (uint8_t)v[k];
        }
    }
}

int main(int argc, char **argv)
{
    pp_codec_id codec = PP_CODEC_UNKNOWN;
    int channels = 3;
    pp_encode_opts eo;
    pp_encode_opts_default(&eo);
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a += 2) {
        if (a + 1 >= argc) {
            usage();
            return 64;
        }
        if (strcmp(argv[a], "--format") == 0) {
            codec = pp_codec_from_name(argv[a + 1]);
            if (codec == PP_CODEC_UNKNOWN) {
                fprintf(stderr, "ppgen: unknown format %s\n", argv[a + 1]);
                return 64;
            }
        } else if (strcmp(argv[a], "--channels") == 0) {
            channels = atoi(argv[a + 1]);
            if (!pp_channels_valid(channels)) {
                usage();
                return 64;
            }
        } else if (strcmp(argv[a], "-q") == 0) {
            eo.quality = atoi(argv[a + 1]);
            if (eo.quality < 1 || eo.quality > 100) {
                usage();
                return 64;
            }
        } else {
            usage();
            return 64;
        }
    }
    size_t w, h;
    if (argc - a != 3 || !parse_size(argv[a], 1u << 20, &w) ||
        !parse_size(argv[a + 1], 1u << 20, &h)) {
        usage();
        return 64;
    }
    const char *out = argv[a + 2];
    if (codec == PP_CODEC_UNKNOWN)
        codec = pp_codec_from_path(out);
    if (codec == PP_CODEC_UNKNOWN) {
        fprintf(stderr, "ppgen: cannot tell the format of %s; give --format\n", out);
        return 64;
    }

    pp_err err;
    pp_err_clear(&err);
    pp_format fmt = {w, h, channels};
    size_t row_bytes;
    if (pp_format_size(&fmt, &row_bytes, NULL, &err) < 0) {
        fprintf(stderr, "ppgen: %s\n", err.msg);
        return 65;
    }
    uint8_t *strip = pp_malloc_array(row_bytes, STRIP, &err);
    pp_outfile of;
    pp_encoder *e = NULL;
    int rc = strip ? pp_outfile_open(&of, out, false, &err) : PP_ENOMEM;
    if (rc < 0) {
        free(strip);
        fprintf(stderr, "ppgen: %s: %s\n", out, err.msg);
        return pp_exit_code(rc);
    }
    of.sync = false;
    e = pp_encoder_open(of.fp, codec, &fmt, &eo, NULL, 0, &err);
    if (!e)
        rc = err.code;
    for (size_t y = 0; rc == 0 && y < h; y += STRIP) {
        size_t n = h - y < STRIP ? h - y : STRIP;
        for (size_t i = 0; i < n; i++)
            make_row(strip + i * row_bytes, w, h, y + i, channels);
        rc = pp_encoder_write(e, strip, row_bytes, n, &err);
    }
    if (rc == 0)
        rc = pp_encoder_finish(e, &err);
    pp_encoder_free(e);
    if (rc == 0)
        rc = pp_outfile_commit(&of, &err);
    else
        pp_outfile_abort(&of);
    free(strip);
    if (rc < 0) {
        fprintf(stderr, "ppgen: %s: %s\n", out, err.msg);
        return pp_exit_code(rc);
    }
    return 0;
}
