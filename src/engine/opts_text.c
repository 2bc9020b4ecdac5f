/* The canonical text of the options that change an output's bytes or
 * whether an input is accepted: the codec options of pp_process_opts, as
 * "format=auto quality=90 subsampling=420 ... max_scans=N". Part of a job's
 * identity (batch log, journal), and parsed back by workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/engine.h"

static const char *const subsamp_names[] = {"420", "422", "444"};
static const char *const tiff_names[] = {"deflate", "none", "lzw", "packbits", "jpeg"};

char *pp_process_opts_text(const pp_process_opts *o)
{
    char *t = NULL;
    const char *fmt = o->format == PP_CODEC_UNKNOWN ? "auto" : pp_codec_name(o->format);
    int n = asprintf(&t,
                     "format=%s quality=%d subsampling=%s progressive=%d png_level=%d "
                     "lossless=%d tiff=%s strip=%d autorotate=%d max_pixels=%llu "
                     "max_bytes=%llu max_scans=%u",
                     fmt, o->enc.quality, subsamp_names[o->enc.subsamp % 3], o->enc.progressive,
                     o->enc.png_level, o->enc.lossless, tiff_names[o->enc.tiff_compression % 5],
                     o->enc.strip, o->dec.autorotate, (unsigned long long)o->dec.limits.max_pixels,
                     (unsigned long long)o->dec.limits.max_bytes, o->dec.limits.max_scans);
    return n < 0 ? NULL : t;
}

static int choice(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return -1;
}

static bool number(const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (*v < '0' || *v > '9')
        return false;
    *out = strtoull(v, &end, 10);
    return *end == '\0' && *out <= max;
}

/* Applies one key=value pair; false when the key or value is unknown. */
static bool apply_pair(pp_process_opts *o, const char *k, const char *v)
{
    unsigned long long n = 0;
    int i;
    if (strcmp(k, "format") == 0) {
        o->format = strcmp(v, "auto") == 0 ? PP_CODEC_UNKNOWN : pp_codec_from_name(v);
        return o->format != PP_CODEC_UNKNOWN || strcmp(v, "auto") == 0;
    }
    if (strcmp(k, "subsampling") == 0 && (i = choice(v, subsamp_names, 3)) >= 0) {
        o->enc.subsamp = (pp_subsamp)i;
        return true;
    }
    if (strcmp(k, "tiff") == 0 && (i = choice(v, tiff_names, 5)) >= 0) {
        o->enc.tiff_compression = (pp_tiff_compression)i;
        return true;
    }
    if (!number(v, UINT64_MAX, &n))
        return false;
    if (strcmp(k, "quality") == 0 && n >= 1 && n <= 100)
        o->enc.quality = (int)n;
    else if (strcmp(k, "progressive") == 0 && n <= 1)
        o->enc.progressive = n;
    else if (strcmp(k, "png_level") == 0 && n <= 9)
        o->enc.png_level = (int)n;
    else if (strcmp(k, "lossless") == 0 && n <= 1)
        o->enc.lossless = n;
    else if (strcmp(k, "strip") == 0 && n <= 1)
        o->enc.strip = n;
    else if (strcmp(k, "autorotate") == 0 && n <= 1)
        o->dec.autorotate = n;
    else if (strcmp(k, "max_pixels") == 0 && n >= 1)
        o->dec.limits.max_pixels = n;
    else if (strcmp(k, "max_bytes") == 0 && n >= 1)
        o->dec.limits.max_bytes = n;
    else if (strcmp(k, "max_scans") == 0 && n >= 1 && n <= 1000000)
        o->dec.limits.max_scans = (unsigned)n;
    else
        return false;
    return true;
}

int pp_process_opts_parse(const char *text, pp_process_opts *o, pp_err *err)
{
    pp_process_opts_default(o);
    char *copy = pp_strdup(text, err);
    if (!copy)
        return PP_ENOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok && rc == 0; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        if (!eq || !apply_pair(o, tok, eq + 1))
            rc = pp_err_set(err, PP_EPARSE, "job options: cannot use \"%s%s%s\"", tok,
                            eq ? "=" : "", eq ? eq + 1 : "");
    }
    free(copy);
    return rc;
}
