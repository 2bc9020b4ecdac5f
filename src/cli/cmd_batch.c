/* pixpipe batch IN_DIR OUT_DIR -p PIPE [-p NAME=PIPE ...]: progress display,
 * failure list and summary around the batch engine (src/engine/batch.c). */
#include <ctype.h>
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

enum { OPT_FORCE = OPT_CMD_BASE, OPT_QUIET, OPT_NO_SYNC };

#define MAX_PIPES 32

typedef struct progress {
    bool tty, quiet;
    uint64_t last_ns;
    size_t jobs_per_image;
} progress;

static void fmt_eta(char *buf, size_t n, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, n, "--");
    else if (s >= 3600)
        snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else
        snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

static void draw(progress *pr, const pp_batch_progress *p, bool final)
{
    size_t fin = p->done + p->failed;
    double secs = p->elapsed_ns / 1e9;
    double rate = secs > 0 ? fin / secs : 0, mbs = secs > 0 ? p->bytes_in / secs / 1e6 : 0;
    double eta = rate > 0 ? (double)(p->total - fin) / rate : -1;
    char etabuf[32];
    fmt_eta(etabuf, sizeof etabuf, eta);
    int pct = p->total ? (int)(100.0 * (double)fin / (double)p->total) : 100;
    if (pr->tty) {
        char bar[25];
        int fill = pct * 24 / 100;
        for (int i = 0; i < 24; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[24] = '\0';
        fprintf(stderr, "\r\033[K[%s] %zu/%zu %3d%%  %.1f img/s  %.1f MB/s  ETA %s%s", bar, fin,
                p->total, pct, rate, mbs, etabuf, final ? "\n" : "");
        if (p->failed)
            fprintf(stderr, "  (%zu failed)", p->failed);
    } else {
        fprintf(stderr, "batch: %zu/%zu (%d%%), %zu failed, %.1f img/s, %.1f MB/s, ETA %s\n",
                fin, p->total, pct, p->failed, rate, mbs, etabuf);
    }
    fflush(stderr);
}

static void on_progress(const pp_batch_progress *p, const pp_batch_job *j, void *ctx)
{
    progress *pr = ctx;
    if (j && j->state == PP_JOB_FAILED) {
        if (pr->tty && !pr->quiet)
            fprintf(stderr, "\r\033[K");
        fprintf(stderr, "pixpipe: %s\n", j->err.msg);
    }
    if (pr->quiet || !j)
        return;
    uint64_t now = pp_clock_ns();
    uint64_t every = pr->tty ? 100000000ull : 2000000000ull;
    if (now - pr->last_ns >= every) {
        pr->last_ns = now;
        draw(pr, p, false);
    }
}

static void print_summary(pp_batch *b, const pp_named_pipeline *pipes, size_t npipes,
                          bool canceled)
{
    const pp_batch_job *jobs;
    size_t n = pp_batch_jobs(b, &jobs);
    pp_batch_progress p = pp_batch_state(b);
    uint64_t *lat = calloc(n ? n : 1, sizeof *lat);
    uint64_t dec = 0, fil = 0, enc = 0;
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].state != PP_JOB_DONE)
            continue;
        if (lat)
            lat[nl++] = jobs[i].st.total_ns;
        dec += jobs[i].st.decode_ns;
        fil += jobs[i].st.filter_ns;
        enc += jobs[i].st.encode_ns;
    }
    double secs = p.elapsed_ns / 1e9;
    printf("batch: %zu image%s x %zu pipeline%s: %zu done, %zu failed, %zu up to date%s\n",
           npipes ? n / npipes : 0, npipes && n / npipes == 1 ? "" : "s", npipes,
           npipes == 1 ? "" : "s", p.done, p.failed, p.uptodate, canceled ? ", INTERRUPTED" : "");
    printf("wall %.2f s, %.1f jobs/s, %.1f MB/s of input\n", secs,
           secs > 0 ? (p.done + p.failed) / secs : 0.0, secs > 0 ? p.bytes_in / secs / 1e6 : 0.0);
    if (nl && lat) {
        double p50 = pp_percentile(lat, nl, 50) / 1e6, p95 = pp_percentile(lat, nl, 95) / 1e6,
               mx = pp_percentile(lat, nl, 100) / 1e6;
        printf("latency per image: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", p50, p95, mx);
        double all = (double)(dec + fil + enc);
        if (all > 0)
            printf("time inside: decode %.0f%%, filter %.0f%%, encode %.0f%%\n", 100 * dec / all,
                   100 * fil / all, 100 * enc / all);
    }
    free(lat);
    if (p.failed) {
        printf("failed:\n");
        for (size_t i = 0; i < n; i++)
            if (jobs[i].state == PP_JOB_FAILED)
                printf("  %s%s%s\n", pipes[jobs[i].pipe].name,
                       pipes[jobs[i].pipe].name[0] ? ": " : "", jobs[i].err.msg);
    }
}

/* Splits "NAME=PIPE" when what precedes '=' is a bare name; else unnamed. */
static void split_named(char *arg, const char **name, const char **text)
{
    char *eq = strchr(arg, '=');
    *name = "";
    *text = arg;
    if (!eq || eq == arg)
        return;
    for (char *c = arg; c < eq; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return;
    *eq = '\0';
    *name = arg;
    *text = eq + 1;
}

static int add_pipeline(char *arg, pp_named_pipeline *pipes, size_t *n)
{
    if (*n >= MAX_PIPES)
        return cli_usage("batch", "at most %d pipelines", MAX_PIPES);
    const char *name, *text;
    split_named(arg, &name, &text);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(pipes[i].name, name) == 0)
            return name[0] ? cli_usage("batch", "pipeline name \"%s\" is given twice", name)
                           : cli_usage("batch", "only one pipeline may be unnamed");
    int status = CLI_OK;
    pp_pipeline *p = cli_load_pipeline(text, NULL, &status);
    if (!p)
        return status;
    pipes[*n].name = name;
    pipes[(*n)++].pipeline = p;
    return CLI_OK;
}

static int run_batch(const char *in, const char *out, const pp_named_pipeline *pipes, size_t n,
                     pp_batch_opts *bo, bool quiet)
{
    pp_err err;
    pp_batch *b = pp_batch_new(in, out, pipes, n, bo, &err);
    if (!b)
        return cli_fail(&err);
    progress pr = {isatty(STDERR_FILENO) != 0, quiet, 0, n};
    int rc = pp_batch_run(b, on_progress, &pr, &err);
    pp_batch_progress p = pp_batch_state(b);
    if (!quiet) {
        draw(&pr, &p, pr.tty);
        print_summary(b, pipes, n, rc == PP_ECANCELED);
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
        CLI_DECODE_LONGOPTS,
        CLI_ENCODE_LONGOPTS,
        {"pipeline", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 'j'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"no-sync", no_argument, NULL, OPT_NO_SYNC},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    pp_process_opts_default(&bo.proc);
    pp_named_pipeline pipes[MAX_PIPES];
    size_t npipes = 0;
    bool quiet = false;
    int status = CLI_OK, opt;
    pp_err err;
    unsigned long long v;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "hq:p:j:", longopts, NULL)) != -1) {
        int r = cli_codec_option(&bo.proc, opt, optarg, &err);
        if (r < 0) {
            status = cli_usage("batch", "%s", err.msg);
            break;
        }
        if (r > 0)
            continue;
        switch (opt) {
        case 'p': status = add_pipeline(optarg, pipes, &npipes); break;
        case 'j':
            if (cli_parse_uint("--threads", optarg, 1, 1024, &v, &err) < 0)
                status = cli_usage("batch", "%s", err.msg);
            bo.threads = (int)v;
            break;
        case OPT_FORCE: bo.force = true; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_NO_SYNC: bo.proc.sync = false; break;
        case 'h':
            printf("%s%s\n%s", batch_help, cli_encode_help, cli_decode_help);
            status = -1;
            break;
        default: status = cli_usage("batch", "unknown option"); break;
        }
    }
    if (status == CLI_OK && npipes == 0)
        status = cli_usage("batch", "no pipeline: give -p PIPE or -p NAME=PIPE");
    if (status == CLI_OK && argc - optind != 2)
        status = cli_usage("batch", "expected IN_DIR and OUT_DIR, got %d argument%s",
                           argc - optind, argc - optind == 1 ? "" : "s");
    if (status == CLI_OK) {
        if (!bo.threads)
            bo.threads = pp_threads_from_env();
        cli_install_signals();
        bo.cancel = &cli_cancel;
        status = run_batch(argv[optind], argv[optind + 1], pipes, npipes, &bo, quiet);
    }
    for (size_t i = 0; i < npipes; i++)
        pp_pipeline_free((pp_pipeline *)pipes[i].pipeline);
    return status < 0 ? CLI_OK : status;
}
