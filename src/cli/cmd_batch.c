/* pixpipe batch IN_DIR OUT_DIR -p PIPE [-p NAME=PIPE ...]: progress display,
 * failure list and summary around the batch engine (src/engine/batch.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pixpipe/batch.h"

static const char batch_help[] =
    "Usage: pixpipe batch [OPTIONS] IN_DIR OUT_DIR -p PIPE [-p NAME=PIPE ...]\n"
    "Run pipelines on every image under IN_DIR (recursively) and mirror the\n"
    "layout under OUT_DIR: the unnamed pipeline writes OUT_DIR/<path>, a named\n"
    "one OUT_DIR/NAME/<path>. Outputs keep the input's format unless --format.\n"
    "Outputs already up to date (same input size and time, same pipeline and\n"
    "options, recorded in OUT_DIR/.pixpipe/batch.log) are skipped.\n"
    "\n"
    "  -p, --pipeline [NAME=]PIPE  a pipeline, e.g. -p edges='grayscale|canny'\n"
    "  -j, --threads N          threads (default: PIXPIPE_THREADS, SLURM_CPUS_PER_TASK,\n"
    "                           OMP_NUM_THREADS, else the online cores)\n"
    "      --force              redo outputs that are up to date\n"
    "      --quiet              no progress and no summary (failures are still listed)\n"
    "      --no-sync            do not fsync each output before renaming it\n"
    "  -h, --help               this help\n"
    "\n"
    "Exit status: 0 all done, 65 some image failed, 130 interrupted.\n\n";

static int run_batch(const char *in, const char *out, const pp_named_pipeline *pipes, size_t n,
                     pp_batch_opts *bo, bool quiet)
{
    pp_err err;
    pp_batch *b = pp_batch_new(in, out, pipes, n, bo, &err);
    if (!b)
        return cli_fail(&err);
    cli_progress pr = {isatty(STDERR_FILENO) != 0, quiet, 0};
    int rc = pp_batch_run(b, cli_progress_cb, &pr, &err);
    pp_batch_progress p = pp_batch_state(b);
    if (!quiet) {
        cli_progress_draw(&pr, &p, pr.tty);
        cli_batch_summary(b, pipes, n, rc == PP_ECANCELED);
    }
    int status = CLI_OK;
    if (rc == PP_ECANCELED)
        status = 130;
    else if (rc < 0)
        status = cli_fail(&err);
    else if (p.failed)
        status = CLI_DATAERR;
    pp_batch_free(b);
    return status;
}

int cmd_batch(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS, CLI_ENCODE_LONGOPTS, CLI_BATCH_LONGOPTS,
        {"help", no_argument, NULL, 'h'}, {0},
    };
    pp_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    pp_process_opts_default(&bo.proc);
    cli_batch_args a = {0};
    int status = CLI_OK, opt;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "hq:p:j:", longopts, NULL)) != -1) {
        if (cli_batch_option("batch", &a, &bo, opt, optarg, &status))
            continue;
        if (opt == 'h') {
            printf("%s%s\n%s", batch_help, cli_encode_help, cli_decode_help);
            status = -1;
        } else {
            status = cli_usage("batch", "unknown option");
        }
    }
    if (status == CLI_OK)
        status = cli_batch_check("batch", &a, argc - optind);
    if (status == CLI_OK) {
        bo.threads = a.threads ? a.threads : pp_threads_from_env();
        cli_install_signals();
        bo.cancel = &cli_cancel;
        status = run_batch(argv[optind], argv[optind + 1], a.pipes, a.npipes, &bo, a.quiet);
    }
    cli_batch_args_free(&a);
    return status < 0 ? CLI_OK : status;
}
