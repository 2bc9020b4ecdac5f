/* Shared pieces of the pixpipe command line: codec options understood by every
 * command that reads or writes images, error printing, signal handling. */
#ifndef PIXPIPE_CLI_H
#define PIXPIPE_CLI_H

#include <getopt.h>

#include "pixpipe/batch.h"
#include "pixpipe/engine.h"

/* Exit codes (sysexits). */
enum {
    CLI_OK = 0,
    CLI_USAGE = 64,
    CLI_DATAERR = 65,
    CLI_NOINPUT = 66,
    CLI_CANTCREAT = 73,
    CLI_IOERR = 74,
};

/* Long-only option codes for the shared codec options. */
enum {
    OPT_QUALITY = 'q',
    OPT_FORMAT = 1000,
    OPT_SUBSAMPLING,
    OPT_PROGRESSIVE,
    OPT_PNG_LEVEL,
    OPT_LOSSLESS,
    OPT_TIFF_COMPRESSION,
    OPT_STRIP,
    OPT_NO_AUTOROTATE,
    OPT_MAX_PIXELS,
    OPT_MAX_BYTES,
    OPT_MAX_SCANS,
    OPT_JSON,
    OPT_FORCE, /* batch options (CLI_BATCH_LONGOPTS) */
    OPT_QUIET,
    OPT_NO_SYNC,
    OPT_CMD_BASE = 1100, /* commands number their own options from here */
};

#define CLI_DECODE_LONGOPTS                                                                   \
    {"no-autorotate", no_argument, NULL, OPT_NO_AUTOROTATE},                                  \
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},                              \
        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},                                \
        {"max-scans", required_argument, NULL, OPT_MAX_SCANS}

#define CLI_ENCODE_LONGOPTS                                                                   \
    {"quality", required_argument, NULL, OPT_QUALITY},                                        \
        {"format", required_argument, NULL, OPT_FORMAT},                                      \
        {"subsampling", required_argument, NULL, OPT_SUBSAMPLING},                            \
        {"progressive", no_argument, NULL, OPT_PROGRESSIVE},                                  \
        {"png-level", required_argument, NULL, OPT_PNG_LEVEL},                                \
        {"lossless", no_argument, NULL, OPT_LOSSLESS},                                        \
        {"tiff-compression", required_argument, NULL, OPT_TIFF_COMPRESSION},                  \
        {"strip", no_argument, NULL, OPT_STRIP}

extern const char cli_decode_help[];
extern const char cli_encode_help[];

/* Handles one shared codec option. Returns 1 when handled, 0 when the option
 * is not a codec option, or a negative code (message in err) on a bad value. */
int cli_codec_option(pp_process_opts *o, int opt, const char *arg, pp_err *err);

/* Parses an unsigned integer in [min, max]; names the option in err. */
int cli_parse_uint(const char *name, const char *arg, unsigned long long min,
                   unsigned long long max, unsigned long long *out, pp_err *err);

/* Prints "pixpipe: MSG" for an error whose message names its file, and
 * returns the matching exit code. */
int cli_fail(const pp_err *err);

/* Prints "pixpipe CMD: MSG" and a hint to --help; returns 64. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set by SIGINT/SIGTERM once cli_install_signals has run. */
extern pp_cancel cli_cancel;
void cli_install_signals(void);

/* Parses -p TEXT or the contents of FILE (text or JSON). On failure prints
 * the error and sets *status to the exit code. */
pp_pipeline *cli_load_pipeline(const char *text, const char *file, int *status);

/* ---- batch progress (progress.c), shared by batch and mpi batch ---- */
#define CLI_MAX_PIPES 32

typedef struct cli_progress {
    bool tty, quiet;
    uint64_t last_ns;
} cli_progress;

/* pp_batch_progress_fn: failures as they happen, progress at a bounded rate. */
void cli_progress_cb(const pp_batch_progress *p, const pp_batch_job *j, void *ctx);
void cli_progress_draw(cli_progress *pr, const pp_batch_progress *p, bool final);
void cli_batch_summary(pp_batch *b, const pp_named_pipeline *pipes, size_t npipes,
                       bool canceled);
/* Parses "-p [NAME=]PIPE" (NAME required when need_name) into pipes[*n];
 * prints errors, returns an exit code. */
int cli_add_pipeline(const char *cmd, char *arg, bool need_name, pp_named_pipeline *pipes,
                     size_t *n);

/* Options shared by batch and mpi batch, besides the codec options. */
#define CLI_BATCH_LONGOPTS                                                                    \
    {"pipeline", required_argument, NULL, 'p'}, {"threads", required_argument, NULL, 'j'},    \
        {"force", no_argument, NULL, OPT_FORCE}, {"quiet", no_argument, NULL, OPT_QUIET},     \
        {"no-sync", no_argument, NULL, OPT_NO_SYNC}
typedef struct cli_batch_args {
    pp_named_pipeline pipes[CLI_MAX_PIPES]; /* owned: cli_batch_args_free */
    size_t npipes;
    int threads; /* -j, 0 when not given */
    bool quiet;
} cli_batch_args;
/* Handles a codec option or one of CLI_BATCH_LONGOPTS for command `cmd`,
 * into `a` and `bo`. Returns 1 when handled, 0 when `opt` is none of them; a
 * bad value sets *status to the usage exit code. */
int cli_batch_option(const char *cmd, cli_batch_args *a, pp_batch_opts *bo, int opt, char *arg,
                     int *status);
/* After parsing: at least one pipeline and exactly IN_DIR OUT_DIR left in
 * `nargs`. Returns CLI_OK or the usage exit code. */
int cli_batch_check(const char *cmd, const cli_batch_args *a, int nargs);
void cli_batch_args_free(cli_batch_args *a);

int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_ops(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_worker(int argc, char **argv); /* hidden: a watch worker process */
int cmd_mpi(int argc, char **argv);

#endif
