/* pixpipe jobs [OUT_DIR] [--state DIR]: the journal of a watched folder as a
 * list or as statistics (src/engine/watch_report.c). Reads only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pixpipe/watch.h"

static const char jobs_help[] =
    "Usage: pixpipe jobs [OPTIONS] [OUT_DIR]\n"
    "List the jobs of 'pixpipe watch' from its journal (OUT_DIR/.pixpipe, or --state).\n"
    "\n"
    "      --state DIR          the journal folder given to watch --state\n"
    "      --state-filter S     only jobs in state S: queued, running, done, retrying,\n"
    "                           failed\n"
    "      --source KEY         only jobs of this input (path relative to IN_DIR)\n"
    "      --stats              counts by state, throughput, latency p50/p95/max of\n"
    "                           decode, filter, encode, processing, queue wait, end to end\n"
    "      --json               JSON instead of text\n"
    "  -h, --help               this help\n\n";

enum { OPT_STATE = OPT_CMD_BASE, OPT_STATE_FILTER, OPT_SOURCE, OPT_STATS };

static int show(const char *state_dir, const pp_job_filter *f, bool stats, bool json)
{
    if (!pp_queue_available()) {
        fprintf(stderr, "pixpipe: jobs: pixpipe was built without SQLite; the job journal "
                        "needs it\n");
        return pp_exit_code(PP_ENOTBUILT);
    }
    pp_err err;
    pp_queue_opts qo;
    pp_queue_opts_default(&qo);
    pp_queue *q = pp_queue_open(state_dir, &qo, &err);
    if (!q)
        return cli_fail(&err);
    int rc =
        stats ? pp_watch_stats(q, json, stdout, &err) : pp_watch_list(q, f, json, stdout, &err);
    pp_queue_close(q);
    return rc < 0 ? cli_fail(&err) : CLI_OK;
}

int cmd_jobs(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, OPT_STATE},
        {"state-filter", required_argument, NULL, OPT_STATE_FILTER},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"stats", no_argument, NULL, OPT_STATS},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *state = NULL;
    pp_job_filter f = {0, -1, NULL, NULL, false};
    bool stats = false, json = false;
    int status = CLI_OK, opt;
    while (status == CLI_OK && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_STATE: state = optarg; break;
        case OPT_STATE_FILTER:
            if ((f.state = pp_jstate_from_name(optarg)) < 0)
                status = cli_usage("jobs",
                                   "--state-filter: \"%s\" is not one of queued, "
                                   "running, done, retrying, failed",
                                   optarg);
            break;
        case OPT_SOURCE: f.source = optarg; break;
        case OPT_STATS: stats = true; break;
        case OPT_JSON: json = true; break;
        case 'h':
            printf("%s", jobs_help);
            status = -1;
            break;
        default: status = cli_usage("jobs", "unknown option"); break;
        }
    }
    if (status == CLI_OK && argc - optind > 1)
        status = cli_usage("jobs", "expected at most one OUT_DIR");
    if (status == CLI_OK && !state && argc - optind == 0)
        status = cli_usage("jobs", "give OUT_DIR or --state DIR");
    if (status != CLI_OK)
        return status < 0 ? CLI_OK : status;
    char *dir = pp_watch_state_dir(argc - optind ? argv[optind] : NULL, state);
    if (!dir) {
        fprintf(stderr, "pixpipe: out of memory\n");
        return pp_exit_code(PP_ENOMEM);
    }
    status = show(dir, &f, stats, json);
    free(dir);
    return status;
}
