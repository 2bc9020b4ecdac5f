/* pixpipe apply -p PIPE IN OUT: run a pipeline on one image. --explain prints
 * the plan for IN without writing anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pixpipe/file.h"
#include "pixpipe/pool.h"

static const char apply_help[] =
    "Usage: pixpipe apply -p PIPELINE [OPTIONS] IN OUT\n"
    "       pixpipe apply -p PIPELINE --explain IN\n"
    "Run a filter pipeline on IN and write OUT, streaming strip by strip.\n"
    "\n"
    "  -p, --pipeline TEXT      e.g. 'grayscale | gaussian sigma=1.4 | canny low=50 high=150'\n"
    "                           or the JSON form '[{\"op\": \"gaussian\", ...}]'\n"
    "                           (see 'pixpipe ops' and docs/pipeline.md)\n"
    "      --pipeline-file F    read the pipeline (text or JSON) from file F\n"
    "      --explain            print the plan: stages, halos, barriers, memory\n"
    "      --strip-rows N       rows per strip (default: picked from the width)\n"
    "  -j, --threads N          threads (default: PIXPIPE_THREADS, SLURM_CPUS_PER_TASK,\n"
    "                           OMP_NUM_THREADS, else the online cores)\n"
    "      --no-sync            do not fsync OUT before renaming it into place\n"
    "  -h, --help               this help\n"
    "\n";

enum { OPT_PIPELINE_FILE = OPT_CMD_BASE, OPT_EXPLAIN, OPT_STRIP_ROWS };

/* Runs one file on `threads` threads: the caller plus threads-1 workers. */
static int apply_file(const char *in, const char *out, pp_process_opts *o, int threads)
{
    pp_err err;
    pp_pool *pool = NULL;
    if (threads > 1 && !(pool = pp_pool_new(threads - 1, &err)))
        return cli_fail(&err);
    o->pool = pool;
    o->threads = threads;
    int status = pp_process_file(in, out, o, NULL, &err) < 0 ? cli_fail(&err) : CLI_OK;
    pp_pool_free(pool);
    return status;
}

/* Reads -p text or --pipeline-file and parses it; prints errors itself. */
pp_pipeline *cli_load_pipeline(const char *text, const char *file, int *status)
{
    pp_err err;
    char *owned = NULL;
    if (file) {
        size_t len;
        owned = pp_file_read_all(file, (size_t)1 << 20, &len, &err);
        if (!owned) {
            pp_err_prefix(&err, "%s", file);
            *status = cli_fail(&err);
            return NULL;
        }
        text = owned;
    }
    pp_pipeline *p = pp_pipeline_parse_any(text, &err);
    free(owned);
    if (!p) {
        fprintf(stderr, "pixpipe: pipeline: %s\n", err.msg);
        *status = pp_exit_code(err.code);
    }
    return p;
}

static int explain(const pp_pipeline *pipe, const pp_process_opts *o, const char *in)
{
    pp_err err;
    pp_decoder *d = pp_decoder_open_file(in, &o->dec, &err);
    if (!d) {
        pp_err_prefix(&err, "%s", in);
        return cli_fail(&err);
    }
    const pp_image_info *i = pp_decoder_info(d);
    pp_format f = {i->width, i->height, i->channels};
    pp_decoder_free(d);
    pp_plan *plan = pp_plan_new(pipe, &f, &err);
    if (!plan) {
        pp_err_prefix(&err, "%s", in);
        return cli_fail(&err);
    }
    char *canon = pp_pipeline_canonical(pipe);
    printf("pipeline  %s\n", canon ? canon : "");
    free(canon);
    pp_plan_explain(plan, o->strip_rows, stdout);
    pp_plan_free(plan);
    return CLI_OK;
}

int cmd_apply(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS,
        CLI_ENCODE_LONGOPTS,
        {"pipeline", required_argument, NULL, 'p'},
        {"pipeline-file", required_argument, NULL, OPT_PIPELINE_FILE},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"strip-rows", required_argument, NULL, OPT_STRIP_ROWS},
        {"threads", required_argument, NULL, 'j'},
        {"no-sync", no_argument, NULL, OPT_NO_SYNC},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_process_opts o;
    pp_process_opts_default(&o);
    const char *text = NULL, *file = NULL;
    bool want_explain = false;
    int threads = 0;
    pp_err err;
    int opt;
    unsigned long long v;
    while ((opt = getopt_long(argc, argv, "hq:p:j:", longopts, NULL)) != -1) {
        int r = cli_codec_option(&o, opt, optarg, &err);
        if (r < 0)
            return cli_usage("apply", "%s", err.msg);
        if (r > 0)
            continue;
        switch (opt) {
        case 'p': text = optarg; break;
        case OPT_PIPELINE_FILE: file = optarg; break;
        case OPT_EXPLAIN: want_explain = true; break;
        case OPT_STRIP_ROWS:
            if (cli_parse_uint("--strip-rows", optarg, 1, 1u << 30, &v, &err) < 0)
                return cli_usage("apply", "%s", err.msg);
            o.strip_rows = (size_t)v;
            break;
        case 'j':
            if (cli_parse_uint("--threads", optarg, 1, 1024, &v, &err) < 0)
                return cli_usage("apply", "%s", err.msg);
            threads = (int)v;
            break;
        case OPT_NO_SYNC: o.sync = false; break;
        case 'h':
            printf("%s%s\n%s", apply_help, cli_encode_help, cli_decode_help);
            return CLI_OK;
        default: return cli_usage("apply", "unknown option");
        }
    }
    if (!text && !file)
        return cli_usage("apply", "no pipeline: give -p PIPELINE or --pipeline-file FILE");
    int nargs = argc - optind;
    if (want_explain ? nargs < 1 || nargs > 2 : nargs != 2)
        return cli_usage("apply", "expected IN and OUT, got %d argument%s", nargs,
                         nargs == 1 ? "" : "s");
    int status = CLI_OK;
    pp_pipeline *pipe = cli_load_pipeline(text, file, &status);
    if (!pipe)
        return status;
    const char *in = argv[optind];
    if (want_explain) {
        status = explain(pipe, &o, in);
        pp_pipeline_free(pipe);
        return status;
    }
    const char *out = argv[optind + 1];
    if (o.format == PP_CODEC_UNKNOWN && pp_codec_from_path(out) == PP_CODEC_UNKNOWN) {
        pp_pipeline_free(pipe);
        return cli_usage("apply",
                         "cannot tell the output format from \"%s\"; give --format or an "
                         "extension (.jpg .png .webp .tif .ppm)",
                         out);
    }
    cli_install_signals();
    o.cancel = &cli_cancel;
    o.pipeline = pipe;
    status = apply_file(in, out, &o, threads ? threads : pp_threads_from_env());
    pp_pipeline_free(pipe);
    return status;
}
