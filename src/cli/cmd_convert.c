/* pixpipe convert IN OUT: decode and re-encode through pp_process_file. */
#include <stdio.h>

#include "cli.h"

static const char convert_help[] =
    "Usage: pixpipe convert [OPTIONS] IN OUT\n"
    "Decode IN and encode it to OUT. The input format is found from its bytes;\n"
    "the output format from --format, else OUT's extension. OUT is written to a\n"
    "temporary file and renamed into place, so a failed run leaves nothing.\n"
    "\n"
    "  -h, --help               this help\n"
    "\n";

int cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS,
        CLI_ENCODE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_process_opts o;
    pp_process_opts_default(&o);
    pp_err err;
    int opt;
    while ((opt = getopt_long(argc, argv, "hq:", longopts, NULL)) != -1) {
        int r = cli_codec_option(&o, opt, optarg, &err);
        if (r < 0)
            return cli_usage("convert", "%s", err.msg);
        if (r > 0)
            continue;
        if (opt == 'h') {
            printf("%s%s\n%s", convert_help, cli_encode_help, cli_decode_help);
            return CLI_OK;
        }
        return cli_usage("convert", "unknown option");
    }
    if (argc - optind != 2)
        return cli_usage("convert", "expected IN and OUT, got %d argument%s", argc - optind,
                         argc - optind == 1 ? "" : "s");
    const char *in = argv[optind], *out = argv[optind + 1];
    if (o.format == PP_CODEC_UNKNOWN && pp_codec_from_path(out) == PP_CODEC_UNKNOWN)
        return cli_usage("convert",
                         "cannot tell the output format from \"%s\"; give --format or an "
                         "extension (.jpg .png .webp .tif .ppm)",
                         out);
    cli_install_signals();
    o.cancel = &cli_cancel;
    if (pp_process_file(in, out, &o, NULL, &err) < 0)
        return cli_fail(&err);
    return CLI_OK;
}
