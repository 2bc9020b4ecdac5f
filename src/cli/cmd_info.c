/* pixpipe info FILE...: header facts, one line per file or JSON. Only headers
 * are read, so this is fast even for huge or progressive files. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pp_config.h"
#if PP_HAVE_JSON
#include <jansson.h>
#endif

static const char info_help[] =
    "Usage: pixpipe info [OPTIONS] FILE...\n"
    "Print each image's format, size, channels, bit depth, progressive or\n"
    "interlaced, orientation and whether it holds an ICC profile.\n"
    "\n"
    "      --json               one JSON array with an object per file\n"
    "  -h, --help               this help\n"
    "\n";

static void print_line(const char *path, const pp_image_info *i)
{
    const char *layout = i->progressive ? "progressive" : i->interlaced ? "interlaced" : "";
    printf("%s: %s, %zux%zu, %d channel%s (%s), %d-bit, %s%s%s", path, pp_codec_name(i->codec),
           i->width, i->height, i->channels, i->channels > 1 ? "s" : "",
           pp_channels_name(i->channels), i->bit_depth, i->color, layout[0] ? ", " : "", layout);
    if (i->orientation != 1)
        printf(", orientation %d%s", i->orientation, i->oriented ? " (applied)" : "");
    else
        printf(", orientation 1");
    if (i->icc_len)
        printf(", ICC profile (%zu bytes)\n", i->icc_len);
    else
        printf(", no ICC profile\n");
}

#if PP_HAVE_JSON
static json_t *info_json(const char *path, const pp_image_info *i)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:i, s:s, s:i, s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:b, "
                     "s:b, s:I}",
                     "file", path, "format", pp_codec_name(i->codec), "width",
                     (json_int_t)i->width, "height", (json_int_t)i->height, "channels",
                     i->channels, "layout", pp_channels_name(i->channels), "bit_depth",
                     i->bit_depth, "color", i->color, "progressive", i->progressive,
                     "interlaced", i->interlaced, "lossless", i->lossless, "tiled", i->tiled,
                     "streams", i->streams, "orientation", i->orientation, "oriented",
                     i->oriented, "icc", i->icc_len > 0, "icc_bytes", (json_int_t)i->icc_len);
}
#endif

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS,
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_process_opts o;
    pp_process_opts_default(&o);
    bool json = false;
    pp_err err;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = cli_codec_option(&o, opt, optarg, &err);
        if (r < 0)
            return cli_usage("info", "%s", err.msg);
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_JSON: json = true; break;
        case 'h': printf("%s%s", info_help, cli_decode_help); return CLI_OK;
        default: return cli_usage("info", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage("info", "no files given");
#if !PP_HAVE_JSON
    if (json) {
        pp_err_set(&err, PP_ENOTBUILT, "info --json: this pixpipe was built without jansson");
        return cli_fail(&err);
    }
#else
    json_t *all = json ? json_array() : NULL;
#endif
    int status = CLI_OK;
    for (int a = optind; a < argc; a++) {
        const char *path = argv[a];
        pp_decoder *d = pp_decoder_open_file(path, &o.dec, &err);
        if (!d) {
            pp_err_prefix(&err, "%s", path);
            int code = cli_fail(&err);
            if (status == CLI_OK)
                status = code;
#if PP_HAVE_JSON
            if (json)
                json_array_append_new(all, json_pack("{s:s, s:s}", "file", path, "error",
                                                     err.msg));
#endif
            continue;
        }
#if PP_HAVE_JSON
        if (json)
            json_array_append_new(all, info_json(path, pp_decoder_info(d)));
        else
#endif
            print_line(path, pp_decoder_info(d));
        pp_decoder_free(d);
    }
#if PP_HAVE_JSON
    if (json) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(all);
    }
#endif
    return status;
}
