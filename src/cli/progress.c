/* Progress display, summary and option parsing (-p NAME=PIPE, -j, --force,
 * --quiet, --no-sync) shared by `batch` and `mpi batch`. On a terminal a bar is redrawn at most ten times a second;
 * otherwise a plain line is printed at most every two seconds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void fmt_eta(char *buf, size_t n, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, n, "--");
    else if (s >= 3600)
        snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else
        snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

void cli_progress_draw(cli_progress *pr, const pp_batch_progress *p, bool final)
{
    size_t fin = p->done + p->failed;
    double secs = p->elapsed_ns / 1e9;
    /* no rates from the first instants (failures found before any job ran) */
    bool timed = secs > 0 && (p->done > 0 || secs >= 0.2);
    double rate = timed ? fin / secs : 0, mbs = timed ? p->bytes_in / secs / 1e6 : 0;
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
        fprintf(stderr, "\r\033[K[%s] %zu/%zu %3d%%  %.1f img/s  %.1f MB/s  ETA %s", bar, fin,
                p->total, pct, rate, mbs, etabuf);
        if (p->failed)
            fprintf(stderr, "  (%zu failed)", p->failed);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "batch: %zu/%zu (%d%%), %zu failed, %.1f img/s, %.1f MB/s, ETA %s\n",
                fin, p->total, pct, p->failed, rate, mbs, etabuf);
    }
    fflush(stderr);
}

void cli_progress_cb(const pp_batch_progress *p, const pp_batch_job *j, void *ctx)
{
    cli_progress *pr = ctx;
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
        cli_progress_draw(pr, p, false);
    }
}

void cli_batch_summary(pp_batch *b, const pp_named_pipeline *pipes, size_t npipes,
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

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Splits "NAME=PIPE" when what precedes '=' is made of name characters; else
 * the whole argument is an unnamed pipeline. */
static void split_named(char *arg, const char **name, const char **text)
{
    char *eq = strchr(arg, '=');
    *name = "";
    *text = arg;
    if (!eq || eq == arg)
        return;
    for (char *c = arg; c < eq; c++)
        if (!is_name_char(*c))
            return;
    *eq = '\0';
    *name = arg;
    *text = eq + 1;
}

int cli_add_pipeline(const char *cmd, char *arg, bool need_name, pp_named_pipeline *pipes,
                     size_t *n)
{
    if (*n >= CLI_MAX_PIPES)
        return cli_usage(cmd, "at most %d pipelines", CLI_MAX_PIPES);
    const char *name, *text;
    split_named(arg, &name, &text);
    /* a name is a folder under OUT_DIR, beside .pixpipe/ and _failed/ */
    if (name[0] == '.' || name[0] == '_' || (need_name && !name[0]))
        return cli_usage(cmd, "-p wants %sNAME=PIPE, NAME made of letters, digits, '-', '_' and "
                              "'.', not starting with '.' or '_'",
                         need_name ? "" : "PIPE or ");
    for (size_t i = 0; i < *n; i++)
        if (strcmp(pipes[i].name, name) == 0)
            return name[0] ? cli_usage(cmd, "pipeline name \"%s\" is given twice", name)
                           : cli_usage(cmd, "only one pipeline may be unnamed");
    int status = CLI_OK;
    pp_pipeline *p = cli_load_pipeline(text, NULL, &status);
    if (!p)
        return status;
    pipes[*n].name = name;
    pipes[(*n)++].pipeline = p;
    return CLI_OK;
}

int cli_batch_option(const char *cmd, cli_batch_args *a, pp_batch_opts *bo, int opt, char *arg,
                     int *status)
{
    pp_err err;
    unsigned long long v;
    int r = cli_codec_option(&bo->proc, opt, arg, &err);
    if (r != 0) {
        if (r < 0)
            *status = cli_usage(cmd, "%s", err.msg);
        return 1;
    }
    switch (opt) {
    case 'p': *status = cli_add_pipeline(cmd, arg, false, a->pipes, &a->npipes); return 1;
    case 'j':
        if (cli_parse_uint("--threads", arg, 1, 1024, &v, &err) < 0)
            *status = cli_usage(cmd, "%s", err.msg);
        else
            a->threads = (int)v;
        return 1;
    case OPT_FORCE: bo->force = true; return 1;
    case OPT_QUIET: a->quiet = true; return 1;
    case OPT_NO_SYNC: bo->proc.sync = false; return 1;
    default: return 0;
    }
}

int cli_batch_check(const char *cmd, const cli_batch_args *a, int nargs)
{
    if (a->npipes == 0)
        return cli_usage(cmd, "no pipeline: give -p PIPE or -p NAME=PIPE");
    if (nargs != 2)
        return cli_usage(cmd, "expected IN_DIR and OUT_DIR, got %d argument%s", nargs,
                         nargs == 1 ? "" : "s");
    return CLI_OK;
}

void cli_batch_args_free(cli_batch_args *a)
{
    for (size_t i = 0; i < a->npipes; i++)
        pp_pipeline_free((pp_pipeline *)a->pipes[i].pipeline);
    a->npipes = 0;
}
