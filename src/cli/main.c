/* pixpipe: command dispatch. Each command lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pixpipe/filter.h"
#include "pp_config.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"info", cmd_info, "print format, size and metadata facts of images"},
    {"convert", cmd_convert, "decode an image and encode it in another format"},
    {"apply", cmd_apply, "run a filter pipeline on one image"},
    {"batch", cmd_batch, "run pipelines on every image under a folder"},
    {"mpi", cmd_mpi, "batch or one huge image across MPI ranks (run under mpirun)"},
    {"ops", cmd_ops, "list the filters and their parameters"},
    {"watch", cmd_watch, "watch a folder and run pipelines on every image that arrives"},
    {"jobs", cmd_jobs, "list the jobs of a watched folder, or their statistics"},
};

static void usage(FILE *to)
{
    fprintf(to, "Usage: pixpipe COMMAND [OPTIONS] [ARGS]\n"
                "pixpipe applies image filters to files, folders and streams of images.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nRun 'pixpipe COMMAND --help' for a command's options.\n"
                "Exit codes: 0 ok, 64 usage, 65 bad input data, 66 input missing,\n"
                "73 cannot create output, 74 I/O error.\n");
}

static void version(void)
{
    printf("pixpipe %s\ncodecs:", PP_VERSION_STRING);
    for (int id = PP_CODEC_JPEG; id < PP_CODEC_COUNT; id++)
        if (pp_codec_available((pp_codec_id)id))
            printf(" %s", pp_codec_name((pp_codec_id)id));
    printf("\nkernels: %s\n", pp_filter_kernels());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return CLI_OK;
    }
    if (strcmp(cmd, "__worker") == 0) /* hidden: how `watch` starts its workers */
        return cmd_worker(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pixpipe: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
