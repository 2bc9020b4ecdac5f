/* pixpipe mpi batch|apply: run under mpirun (or srun). Every rank parses the
 * same arguments; rank 0 prints progress and summaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pixpipe/dist.h"

static const char mpi_help[] =
    "Usage: mpirun -n N pixpipe mpi batch [OPTIONS] IN_DIR OUT_DIR -p [NAME=]PIPE ...\n"
    "       mpirun -n N pixpipe mpi apply [OPTIONS] -p PIPE IN OUT\n"
    "\n"
    "batch: rank 0 scans IN_DIR and hands files out on demand (largest first);\n"
    "  every rank reads and writes them directly, so IN_DIR and OUT_DIR must be\n"
    "  on a file system all ranks see. Layout, atomic outputs and the up-to-date\n"
    "  log are those of 'pixpipe batch': rerunning after a crash skips what was\n"
    "  done.\n"
    "apply: one image split into row blocks across ranks; the output is\n"
    "  bit-identical to 'pixpipe apply'. Ranks read their own rows of baseline\n"
    "  JPEG, TIFF and PNM (else rank 0 reads and scatters); a PNM output is\n"
    "  written by every rank with MPI-IO (else rank 0 gathers and encodes).\n"
    "\n"
    "  -p, --pipeline [NAME=]PIPE  pipeline(s), as for 'pixpipe batch'/'apply'\n"
    "      --threads N          threads per rank (default: SLURM_CPUS_PER_TASK,\n"
    "                           else OMP_NUM_THREADS, else 1)\n"
    "      --force              redo outputs that are up to date (batch)\n"
    "      --state DIR          batch: record every job in DIR/journal.db (the journal\n"
    "                           'pixpipe watch' keeps; see 'pixpipe jobs --state DIR');\n"
    "                           a rerun skips done jobs and retries interrupted ones\n"
    "      --quiet              no progress and no summary\n"
    "      --scatter            apply: read on rank 0 and scatter even when ranks could\n"
    "      --gather             apply: encode on rank 0 even for a PNM output\n"
    "      --no-sync            do not fsync outputs before renaming them\n"
    "  -h, --help               this help\n\n";

enum { OPT_SCATTER = OPT_CMD_BASE, OPT_GATHER, OPT_STATE };

/* Threads per rank: --threads, else SLURM_CPUS_PER_TASK, else OMP_NUM_THREADS, else 1. */
static int rank_threads(int given)
{
    if (given > 0)
        return given;
    static const char *const names[] = {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        int n = v ? atoi(v) : 0;
        if (n >= 1 && n <= 4096)
            return n;
    }
    return 1;
}

static void print_ranks(const pp_mpi_batch_result *r)
{
    double mean = 0, max = 0;
    for (int i = 0; i < r->nranks; i++) {
        double b = r->ranks[i].busy_ns / 1e9;
        mean += b / r->nranks;
        max = b > max ? b : max;
    }
    printf("rank  tasks  failed  busy s\n");
    for (int i = 0; i < r->nranks; i++)
        printf("%4d %6llu %7llu %7.2f\n", i, (unsigned long long)r->ranks[i].tasks,
               (unsigned long long)r->ranks[i].failed, r->ranks[i].busy_ns / 1e9);
    double secs = r->wall_ns / 1e9;
    printf("load imbalance (max - mean) / mean busy time: %.1f%%\n",
           mean > 0 ? 100 * (max - mean) / mean : 0.0);
    printf("throughput: %.1f tasks/s, %.1f MB/s of input over %d rank%s\n",
           secs > 0 ? (r->done + r->failed) / secs : 0.0, secs > 0 ? r->bytes_in / secs / 1e6 : 0.0,
           r->nranks, r->nranks == 1 ? "" : "s");
}

/* Runs the parsed batch on every rank; rank 0 prints the summary. */
static int run_mpi_batch(const char *in, const char *out, const cli_batch_args *a,
                         pp_mpi_batch_opts *mo, bool root)
{
    /* the journal decides what is done, not the batch log */
    mo->batch.force = mo->batch.force || mo->state_dir;
    mo->batch.threads = rank_threads(a->threads);
    cli_install_signals();
    mo->batch.cancel = &cli_cancel;
    cli_progress pr = {isatty(STDERR_FILENO) != 0, a->quiet, 0};
    if (root) {
        mo->progress = cli_progress_cb;
        mo->progress_ctx = &pr;
    }
    pp_err err;
    pp_mpi_batch_result res;
    int rc = pp_mpi_batch(in, out, a->pipes, a->npipes, mo, &res, &err);
    if (root && res.batch && !a->quiet) {
        pp_batch_progress p = pp_batch_state(res.batch);
        cli_progress_draw(&pr, &p, pr.tty);
        cli_batch_summary(res.batch, a->pipes, a->npipes, rc == PP_ECANCELED);
        if (res.ranks)
            print_ranks(&res);
    }
    int status = CLI_OK;
    if (rc == PP_ECANCELED)
        status = 130;
    else if (rc < 0)
        status = root ? cli_fail(&err) : pp_exit_code(rc);
    else if (res.failed)
        status = CLI_DATAERR;
    free(res.ranks);
    pp_batch_free(res.batch);
    return status;
}

static int mpi_batch(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS, CLI_ENCODE_LONGOPTS, CLI_BATCH_LONGOPTS,
        {"state", required_argument, NULL, OPT_STATE},
        {"help", no_argument, NULL, 'h'}, {0},
    };
    pp_mpi_batch_opts mo;
    memset(&mo, 0, sizeof mo);
    pp_process_opts_default(&mo.batch.proc);
    cli_batch_args a = {0};
    int status = CLI_OK, opt;
    bool root = pp_mpi_rank() == 0;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "hq:p:j:", longopts, NULL)) != -1) {
        if (cli_batch_option("mpi batch", &a, &mo.batch, opt, optarg, &status))
            continue;
        switch (opt) {
        case OPT_STATE: mo.state_dir = optarg; break;
        case 'h':
            if (root)
                printf("%s", mpi_help);
            status = -1;
            break;
        default: status = cli_usage("mpi batch", "unknown option"); break;
        }
    }
    if (status == CLI_OK)
        status = cli_batch_check("mpi batch", &a, argc - optind);
    if (status == CLI_OK && mo.state_dir && mo.batch.force)
        status = cli_usage("mpi batch", "--state keeps its own record; --force does not apply");
    if (status == CLI_OK)
        status = run_mpi_batch(argv[optind], argv[optind + 1], &a, &mo, root);
    cli_batch_args_free(&a);
    return status < 0 ? CLI_OK : status;
}

static void print_apply(const pp_mpi_apply_result *r)
{
    printf("mpi apply: %zux%zu -> %zux%zu on %d rank%s; input %s, output %s\n", r->in.width,
           r->in.height, r->out.width, r->out.height, r->nranks, r->nranks == 1 ? "" : "s",
           r->local_read ? "read by every rank (own rows)" : "read by rank 0 and scattered",
           r->parallel_write ? "written by every rank (MPI-IO)" : "gathered and encoded by rank 0");
    /* block MB: rows held whole (exchanged halos, barrier blocks); 0 when it streams */
    printf("rank   rows    block MB  peak RSS MB  read s  compute s  exchange s  write s\n");
    for (int i = 0; i < r->nranks; i++) {
        const pp_mpi_rank_report *k = &r->ranks[i];
        printf("%4d %6llu %11.1f %12.1f %7.2f %10.2f %11.2f %8.2f\n", i,
               (unsigned long long)k->rows, k->buffer_bytes / 1e6, k->peak_rss_kb / 1024.0,
               k->read_ns / 1e9, k->compute_ns / 1e9, k->exchange_ns / 1e9, k->write_ns / 1e9);
    }
    printf("wall %.2f s\n", r->wall_ns / 1e9);
}

static int mpi_apply(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_DECODE_LONGOPTS,
        CLI_ENCODE_LONGOPTS,
        {"pipeline", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"scatter", no_argument, NULL, OPT_SCATTER},
        {"gather", no_argument, NULL, OPT_GATHER},
        {"no-sync", no_argument, NULL, OPT_NO_SYNC},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    pp_mpi_apply_opts mo;
    memset(&mo, 0, sizeof mo);
    pp_process_opts_default(&mo.proc);
    const char *text = NULL;
    bool quiet = false, root = pp_mpi_rank() == 0;
    int status = CLI_OK, opt, threads = 0;
    pp_err err;
    unsigned long long v;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "hq:p:j:", longopts, NULL)) != -1) {
        int r = cli_codec_option(&mo.proc, opt, optarg, &err);
        if (r != 0) {
            if (r < 0)
                status = cli_usage("mpi apply", "%s", err.msg);
            continue;
        }
        switch (opt) {
        case 'p': text = optarg; break;
        case 'j':
            if (cli_parse_uint("--threads", optarg, 1, 1024, &v, &err) < 0)
                status = cli_usage("mpi apply", "%s", err.msg);
            else
                threads = (int)v;
            break;
        case OPT_QUIET: quiet = true; break;
        case OPT_SCATTER: mo.force_scatter = true; break;
        case OPT_GATHER: mo.force_gather = true; break;
        case OPT_NO_SYNC: mo.proc.sync = false; break;
        case 'h':
            if (root)
                printf("%s", mpi_help);
            status = -1;
            break;
        default: status = cli_usage("mpi apply", "unknown option"); break;
        }
    }
    if (status == CLI_OK && !text)
        status = cli_usage("mpi apply", "no pipeline: give -p PIPE");
    if (status == CLI_OK && argc - optind != 2)
        status = cli_usage("mpi apply", "expected IN and OUT");
    const char *out = status == CLI_OK ? argv[optind + 1] : NULL;
    if (status == CLI_OK && mo.proc.format == PP_CODEC_UNKNOWN &&
        pp_codec_from_path(out) == PP_CODEC_UNKNOWN)
        status = cli_usage("mpi apply", "cannot tell the output format from \"%s\"", out);
    pp_pipeline *pipe = status == CLI_OK ? cli_load_pipeline(text, NULL, &status) : NULL;
    if (pipe) {
        mo.proc.pipeline = pipe;
        mo.proc.threads = rank_threads(threads);
        cli_install_signals();
        mo.proc.cancel = &cli_cancel;
        pp_mpi_apply_result res;
        int rc = pp_mpi_apply(argv[optind], out, &mo, &res, &err);
        if (root && !quiet && res.ranks)
            print_apply(&res);
        if (rc < 0)
            status = root ? cli_fail(&err) : pp_exit_code(rc);
        free(res.ranks);
        pp_pipeline_free(pipe);
    }
    return status < 0 ? CLI_OK : status;
}

int cmd_mpi(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s", mpi_help);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("%s", mpi_help);
        return CLI_OK;
    }
    pp_err err;
    /* apply may write strips from worker threads (serialized) */
    if (pp_mpi_init(&argc, &argv, strcmp(argv[1], "apply") == 0, &err) < 0) {
        fprintf(stderr, "pixpipe mpi: %s\n", err.msg);
        return pp_exit_code(err.code);
    }
    int status;
    if (strcmp(argv[1], "batch") == 0)
        status = mpi_batch(argc - 1, argv + 1);
    else if (strcmp(argv[1], "apply") == 0)
        status = mpi_apply(argc - 1, argv + 1);
    else
        status = cli_usage("mpi", "unknown subcommand \"%s\" (batch, apply)", argv[1]);
    pp_mpi_finalize();
    return status;
}
