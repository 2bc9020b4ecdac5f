/* pixpipe watch IN_DIR OUT_DIR -p NAME=PIPE ...: option parsing and signal
 * handling around the supervisor (src/engine/watch.c). The hidden
 * `pixpipe __worker` command is how the supervisor starts its workers. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pixpipe/watch.h"

static const char watch_help[] =
    "Usage: pixpipe watch [OPTIONS] IN_DIR OUT_DIR -p NAME=PIPE [-p NAME=PIPE ...]\n"
    "Watch IN_DIR (recursively) and run every named pipeline on each image that\n"
    "arrives, writing OUT_DIR/NAME/<same relative path>. Jobs are kept in a\n"
    "journal; work survives crashed workers and restarts. Stop with Ctrl-C or\n"
    "SIGTERM (a second one skips the grace period). See docs/engine.md.\n"
    "\n"
    "  -p, --pipeline NAME=PIPE named pipeline, e.g. -p edges='grayscale | canny'\n"
    "  -w, --workers N          worker processes (default: cores / threads)\n"
    "  -j, --threads M          threads per worker (default 1)\n"
    "      --state DIR          journal folder (default OUT_DIR/.pixpipe)\n"
    "      --settle S           files found by a scan are taken once unchanged for\n"
    "                           S seconds (default 2)\n"
    "      --poll S             rescan every S seconds instead of using inotify\n"
    "                           (NFS, FUSE drives)\n"
    "      --task-timeout S     kill a worker whose job runs longer (default 600)\n"
    "      --max-attempts N     tries before a job fails for good (default 3)\n"
    "      --retry-delay S      first retry backoff, doubling each time (default 1)\n"
    "      --grace S            on stop, running jobs may finish this long (default 30)\n"
    "      --log FILE           job event log (default: stderr)\n"
    "      --log-format F       logfmt or json (default logfmt)\n"
    "      --no-sync            do not fsync each output before renaming it\n"
    "  -h, --help               this help\n"
    "\n"
    "Failed inputs are copied to OUT_DIR/_failed/ with a .error.json beside them.\n"
    "'pixpipe jobs OUT_DIR' lists the jobs; '--stats' summarises them.\n\n";

enum {
    OPT_STATE = OPT_CMD_BASE,
    OPT_SETTLE,
    OPT_POLL,
    OPT_TASK_TIMEOUT,
    OPT_MAX_ATTEMPTS,
    OPT_RETRY_DELAY,
    OPT_GRACE,
    OPT_LOG,
    OPT_LOG_FORMAT,
};

static int parse_seconds(const char *name, const char *arg, double min, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v) || v < min || v > 1e6)
        return cli_usage("watch", "%s: \"%s\" is not a number of seconds in %g..1000000", name, arg,
                         min);
    *out = v;
    return CLI_OK;
}

/* Options of the watcher itself (not codec options). */
static int watch_option(pp_watch_opts *o, int opt, const char *arg, pp_named_pipeline *pipes,
                        size_t *npipes)
{
    pp_err err;
    unsigned long long v;
    switch (opt) {
    case 'p': return cli_add_pipeline("watch", (char *)arg, true, pipes, npipes);
    case 'w':
    case 'j':
    case OPT_MAX_ATTEMPTS:
        if (cli_parse_uint(opt == 'w'   ? "--workers"
                           : opt == 'j' ? "--threads"
                                        : "--max-attempts",
                           arg, 1, opt == OPT_MAX_ATTEMPTS ? 100 : 256, &v, &err) < 0)
            return cli_usage("watch", "%s", err.msg);
        *(opt == 'w' ? &o->workers : opt == 'j' ? &o->threads : &o->max_attempts) = (int)v;
        return CLI_OK;
    case OPT_STATE: o->state_dir = arg; return CLI_OK;
    case OPT_SETTLE: return parse_seconds("--settle", arg, 0, &o->settle_s);
    case OPT_POLL: return parse_seconds("--poll", arg, 0.01, &o->poll_s);
    case OPT_TASK_TIMEOUT: return parse_seconds("--task-timeout", arg, 0.1, &o->task_timeout_s);
    case OPT_RETRY_DELAY: return parse_seconds("--retry-delay", arg, 0, &o->retry_delay_s);
    case OPT_GRACE: return parse_seconds("--grace", arg, 0, &o->grace_s);
    case OPT_LOG: o->log_path = arg; return CLI_OK;
    case OPT_LOG_FORMAT:
        if (strcmp(arg, "logfmt") && strcmp(arg, "json"))
            return cli_usage("watch", "--log-format: \"%s\" is not one of logfmt, json", arg);
        o->log_format = strcmp(arg, "json") == 0 ? PP_WLOG_JSON : PP_WLOG_LOGFMT;
        return CLI_OK;
    case OPT_NO_SYNC: o->proc.sync = false; return CLI_OK;
    case 'h': printf("%s%s\n%s", watch_help, cli_encode_help, cli_decode_help); return -1;
    default: return cli_usage("watch", "unknown option");
    }
}

static int default_workers(int threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cores > 0 ? cores / threads : 1;
    return n < 1 ? 1 : (int)n;
}

static int run_watch(pp_watch_opts *o)
{
    if (!pp_queue_available()) {
        fprintf(stderr, "pixpipe: watch: pixpipe was built without SQLite; the job journal "
                        "needs it\n");
        return pp_exit_code(PP_ENOTBUILT);
    }
    static const char *const worker_cmd[] = {"/proc/self/exe", "__worker", NULL};
    o->worker_cmd = worker_cmd;
    if (!o->workers)
        o->workers = default_workers(o->threads);
    cli_install_signals();
    o->stop = &cli_cancel;
    pp_err err;
    return pp_watch_run(o, &err) < 0 ? cli_fail(&err) : CLI_OK;
}

int cmd_watch(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS,
        CLI_ENCODE_LONGOPTS,
        {"pipeline", required_argument, NULL, 'p'},
        {"workers", required_argument, NULL, 'w'},
        {"threads", required_argument, NULL, 'j'},
        {"state", required_argument, NULL, OPT_STATE},
        {"settle", required_argument, NULL, OPT_SETTLE},
        {"poll", required_argument, NULL, OPT_POLL},
        {"task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"no-sync", no_argument, NULL, OPT_NO_SYNC},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_watch_opts o;
    pp_watch_opts_default(&o);
    o.workers = 0;
    pp_named_pipeline pipes[CLI_MAX_PIPES];
    size_t npipes = 0;
    int status = CLI_OK, opt;
    pp_err err;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "hq:p:w:j:", longopts, NULL)) != -1) {
        int r = cli_codec_option(&o.proc, opt, optarg, &err);
        if (r < 0)
            status = cli_usage("watch", "%s", err.msg);
        else if (r == 0)
            status = watch_option(&o, opt, optarg, pipes, &npipes);
    }
    if (status == CLI_OK && npipes == 0)
        status = cli_usage("watch", "no pipeline: give -p NAME=PIPE");
    if (status == CLI_OK && argc - optind != 2)
        status = cli_usage("watch", "expected IN_DIR and OUT_DIR, got %d argument%s", argc - optind,
                           argc - optind == 1 ? "" : "s");
    if (status == CLI_OK) {
        o.in_dir = argv[optind];
        o.out_dir = argv[optind + 1];
        o.pipes = pipes;
        o.npipes = npipes;
        status = run_watch(&o);
    }
    for (size_t i = 0; i < npipes; i++)
        pp_pipeline_free((pp_pipeline *)pipes[i].pipeline);
    return status < 0 ? CLI_OK : status;
}

int cmd_worker(int argc, char **argv)
{
    return pp_watch_worker_main(argc, argv);
}
