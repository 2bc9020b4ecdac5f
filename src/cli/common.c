/* Shared codec options, number parsing, error output and signal handling. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

pp_cancel cli_cancel;

const char cli_decode_help[] =
    "Input options:\n"
    "      --no-autorotate      keep the stored orientation (default: apply EXIF/TIFF)\n"
    "      --max-pixels N       refuse images over N pixels (default 268435456)\n"
    "      --max-bytes N        refuse input files over N bytes (default 2147483648)\n"
    "      --max-scans N        refuse JPEGs with more than N scans (default 500)\n";

const char cli_encode_help[] =
    "Output options:\n"
    "      --format FMT         jpeg, png, webp, tiff or pnm (default: from the output\n"
    "                           name's extension, else the input's format)\n"
    "  -q, --quality N          JPEG and WebP quality 1..100 (default 90)\n"
    "      --subsampling S      JPEG chroma subsampling 444, 422 or 420 (default 420)\n"
    "      --progressive        progressive JPEG (holds the whole image in memory)\n"
    "      --png-level N        PNG compression level 0..9 (default 6)\n"
    "      --lossless           lossless WebP\n"
    "      --tiff-compression C deflate, lzw, packbits, jpeg or none (default deflate)\n"
    "      --strip              drop the ICC profile too (other metadata is always dropped)\n";

int cli_parse_uint(const char *name, const char *arg, unsigned long long min,
                   unsigned long long max, unsigned long long *out, pp_err *err)
{
    char *end;
    errno = 0;
    if (arg[0] == '-')
        return pp_err_set(err, PP_EINVAL, "%s: \"%s\" is not a number in %llu..%llu", name, arg,
                          min, max);
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        return pp_err_set(err, PP_EINVAL, "%s: \"%s\" is not a number in %llu..%llu", name, arg,
                          min, max);
    *out = v;
    return 0;
}

static int parse_choice(const char *name, const char *arg, const char *const *choices, int n,
                        pp_err *err)
{
    for (int i = 0; i < n; i++)
        if (strcmp(arg, choices[i]) == 0)
            return i;
    char list[200] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return pp_err_set(err, PP_EINVAL, "%s: \"%s\" is not one of %s", name, arg, list);
}

int cli_codec_option(pp_process_opts *o, int opt, const char *arg, pp_err *err)
{
    unsigned long long v;
    int rc = 0;
    switch (opt) {
    case OPT_QUALITY:
        if ((rc = cli_parse_uint("--quality", arg, 1, 100, &v, err)) == 0)
            o->enc.quality = (int)v;
        break;
    case OPT_FORMAT:
        o->format = pp_codec_from_name(arg);
        if (o->format == PP_CODEC_UNKNOWN)
            rc = pp_err_set(err, PP_EINVAL,
                            "--format: \"%s\" is not one of jpeg, png, webp, tiff, pnm", arg);
        break;
    case OPT_SUBSAMPLING: {
        static const char *const s[] = {"420", "422", "444"};
        int i = parse_choice("--subsampling", arg, s, 3, err);
        if (i < 0)
            rc = i;
        else
            o->enc.subsamp = (pp_subsamp)i;
        break;
    }
    case OPT_PROGRESSIVE: o->enc.progressive = true; break;
    case OPT_PNG_LEVEL:
        if ((rc = cli_parse_uint("--png-level", arg, 0, 9, &v, err)) == 0)
            o->enc.png_level = (int)v;
        break;
    case OPT_LOSSLESS: o->enc.lossless = true; break;
    case OPT_TIFF_COMPRESSION: {
        static const char *const s[] = {"deflate", "none", "lzw", "packbits", "jpeg"};
        int i = parse_choice("--tiff-compression", arg, s, 5, err);
        if (i < 0)
            rc = i;
        else
            o->enc.tiff_compression = (pp_tiff_compression)i;
        break;
    }
    case OPT_STRIP: o->enc.strip = true; break;
    case OPT_NO_AUTOROTATE: o->dec.autorotate = false; break;
    case OPT_MAX_PIXELS:
        if ((rc = cli_parse_uint("--max-pixels", arg, 1, UINT64_MAX, &v, err)) == 0)
            o->dec.limits.max_pixels = v;
        break;
    case OPT_MAX_BYTES:
        if ((rc = cli_parse_uint("--max-bytes", arg, 1, UINT64_MAX, &v, err)) == 0)
            o->dec.limits.max_bytes = v;
        break;
    case OPT_MAX_SCANS:
        if ((rc = cli_parse_uint("--max-scans", arg, 1, 1000000, &v, err)) == 0)
            o->dec.limits.max_scans = (unsigned)v;
        break;
    default: return 0;
    }
    return rc < 0 ? rc : 1;
}

int cli_fail(const pp_err *err)
{
    fprintf(stderr, "pixpipe: %s\n", err->msg[0] ? err->msg : pp_strerror(err->code));
    return pp_exit_code(err->code);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pixpipe %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'pixpipe %s --help'.\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

static void on_signal(int sig)
{
    (void)sig;
    __atomic_add_fetch(&cli_cancel, 1, __ATOMIC_RELAXED); /* watch counts them */
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
