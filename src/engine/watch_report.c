/* Reports for `pixpipe jobs`: the job list and the statistics, as text or
 * JSON. They read the queue through its interface only, so they work on any
 * backend. Percentiles are nearest-rank (pp_percentile, batch.h). */
#include <stdlib.h>
#include <string.h>

#include "watch_impl.h"

/* ---- list ---- */

typedef struct list_ctx {
    FILE *out;
    bool json;
    size_t n;
} list_ctx;

static void json_job(FILE *f, const pp_job *j)
{
    char t[32];
    fprintf(f, "{\"id\": %lld, \"state\": \"%s\", \"source\": ", (long long)j->id,
            pp_jstate_name(j->state));
    pp__json_string(f, j->source);
    fputs(", \"hash\": ", f);
    pp__json_string(f, j->hash);
    fprintf(f, ", \"size\": %llu, \"pipeline\": ", (unsigned long long)j->size);
    pp__json_string(f, j->name);
    fputs(", \"steps\": ", f);
    pp__json_string(f, j->pipeline);
    fputs(", \"output\": ", f);
    pp__json_string(f, j->output);
    fprintf(f, ", \"attempts\": %d, \"worker\": ", j->attempts);
    if (j->worker)
        pp__json_string(f, j->worker);
    else
        fputs("null", f);
    const struct {
        const char *k;
        int64_t v;
    } times[] = {{"queued", j->queued_ms},
                 {"started", j->started_ms},
                 {"finished", j->finished_ms},
                 {"lease_expiry", j->state == PP_JS_RUNNING ? j->lease_ms : 0},
                 {"next_attempt", j->state == PP_JS_RETRYING ? j->not_before_ms : 0}};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        fprintf(f, ", \"%s\": ", times[i].k);
        pp__iso_time(times[i].v, t);
        if (t[0])
            pp__json_string(f, t);
        else
            fputs("null", f);
    }
    fprintf(f,
            ", \"decode_ms\": %.3f, \"filter_ms\": %.3f, \"encode_ms\": %.3f, "
            "\"total_ms\": %.3f, \"error\": ",
            j->decode_ns / 1e6, j->filter_ns / 1e6, j->encode_ns / 1e6, j->total_ns / 1e6);
    if (j->error)
        pp__json_string(f, j->error);
    else
        fputs("null", f);
    fputs(", \"quarantine\": ", f);
    if (j->quarantine)
        pp__json_string(f, j->quarantine);
    else
        fputs("null", f);
    fputs("}", f);
}

static int print_job(const pp_job *j, void *arg)
{
    list_ctx *c = arg;
    if (c->json) {
        fputs(c->n ? ",\n  " : "\n  ", c->out);
        json_job(c->out, j);
    } else {
        char t[32];
        pp__iso_time(j->finished_ms ? j->finished_ms : j->queued_ms, t);
        const char *note = j->state == PP_JS_DONE      ? j->output
                           : j->state == PP_JS_RUNNING ? (j->worker ? j->worker : "")
                           : j->error                  ? j->error
                                                       : "";
        fprintf(c->out, "%6lld  %-8s %3d  %-10s %-28s %9.1f  %-24s %s\n", (long long)j->id,
                pp_jstate_name(j->state), j->attempts, j->name, j->source, j->total_ns / 1e6, t,
                note);
    }
    c->n++;
    return 0;
}

int pp_watch_list(pp_queue *q, const pp_job_filter *f, bool json, FILE *out, pp_err *err)
{
    list_ctx c = {out, json, 0};
    if (json)
        fputs("[", out);
    else
        fprintf(out, "%6s  %-8s %3s  %-10s %-28s %9s  %-24s %s\n", "ID", "STATE", "ATT", "PIPELINE",
                "SOURCE", "TOTAL_MS", "FINISHED (or QUEUED)", "OUTPUT / WORKER / ERROR");
    int rc = q->ops->list(q, f, print_job, &c, err);
    if (json)
        fputs(c.n ? "\n]\n" : "]\n", out);
    return rc;
}

/* ---- stats ---- */

enum { M_DECODE, M_FILTER, M_ENCODE, M_TOTAL, M_WAIT, M_E2E, M_COUNT };
static const char *const metric_names[M_COUNT] = {"decode",     "filter",     "encode",
                                                  "processing", "queue_wait", "end_to_end"};

typedef struct stats_ctx {
    uint64_t *v[M_COUNT]; /* nanoseconds per done job */
    size_t n, cap;
    int64_t first_start, last_finish;
} stats_ctx;

static int add_done(const pp_job *j, void *arg)
{
    stats_ctx *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        for (int m = 0; m < M_COUNT; m++) {
            uint64_t *g = realloc(c->v[m], cap * sizeof *g);
            if (!g)
                return PP_ENOMEM;
            c->v[m] = g;
        }
        c->cap = cap;
    }
    int64_t wait = j->started_ms > j->queued_ms ? j->started_ms - j->queued_ms : 0;
    int64_t e2e = j->finished_ms > j->queued_ms ? j->finished_ms - j->queued_ms : 0;
    c->v[M_DECODE][c->n] = j->decode_ns;
    c->v[M_FILTER][c->n] = j->filter_ns;
    c->v[M_ENCODE][c->n] = j->encode_ns;
    c->v[M_TOTAL][c->n] = j->total_ns;
    c->v[M_WAIT][c->n] = (uint64_t)wait * 1000000u;
    c->v[M_E2E][c->n] = (uint64_t)e2e * 1000000u;
    c->n++;
    if (j->started_ms && (!c->first_start || j->started_ms < c->first_start))
        c->first_start = j->started_ms;
    if (j->finished_ms > c->last_finish)
        c->last_finish = j->finished_ms;
    return 0;
}

static void print_stats(FILE *out, const uint64_t *counts, stats_ctx *c, bool json)
{
    uint64_t all = 0;
    for (int i = 0; i < PP_JS_COUNT; i++)
        all += counts[i];
    double window = c->last_finish > c->first_start ? (c->last_finish - c->first_start) / 1e3 : 0;
    double rate = window > 0 ? c->n / window : 0;
    double pct[M_COUNT][3];
    for (int m = 0; m < M_COUNT; m++) {
        pct[m][0] = pp_percentile(c->v[m], c->n, 50) / 1e6;
        pct[m][1] = pp_percentile(c->v[m], c->n, 95) / 1e6;
        pct[m][2] = pp_percentile(c->v[m], c->n, 100) / 1e6;
    }
    if (json) {
        fprintf(out, "{\n  \"jobs\": %llu,\n  \"states\": {", (unsigned long long)all);
        for (int i = 0; i < PP_JS_COUNT; i++)
            fprintf(out, "%s\"%s\": %llu", i ? ", " : "", pp_jstate_name((pp_jstate)i),
                    (unsigned long long)counts[i]);
        fprintf(out,
                "},\n  \"throughput_jobs_per_s\": %.3f,\n  \"window_s\": %.3f,\n"
                "  \"latency_ms\": {",
                rate, window);
        for (int m = 0; m < M_COUNT; m++)
            fprintf(out, "%s\n    \"%s\": {\"p50\": %.3f, \"p95\": %.3f, \"max\": %.3f}",
                    m ? "," : "", metric_names[m], pct[m][0], pct[m][1], pct[m][2]);
        fputs("\n  }\n}\n", out);
        return;
    }
    fprintf(out, "jobs: %llu", (unsigned long long)all);
    for (int i = 0; i < PP_JS_COUNT; i++)
        fprintf(out, "%s%s %llu", i ? ", " : " (", pp_jstate_name((pp_jstate)i),
                (unsigned long long)counts[i]);
    fprintf(out, ")\n");
    fprintf(out, "throughput: %.1f jobs/s (%zu done in %.2f s, first start to last finish)\n", rate,
            c->n, window);
    fprintf(out, "latency of done jobs (ms)   p50       p95       max\n");
    for (int m = 0; m < M_COUNT; m++)
        fprintf(out, "  %-24s %9.2f %9.2f %9.2f\n", metric_names[m], pct[m][0], pct[m][1],
                pct[m][2]);
}

int pp_watch_stats(pp_queue *q, bool json, FILE *out, pp_err *err)
{
    uint64_t counts[PP_JS_COUNT];
    int rc = q->ops->count(q, counts, err);
    if (rc < 0)
        return rc;
    stats_ctx c;
    memset(&c, 0, sizeof c);
    pp_job_filter f = {0, PP_JS_DONE, NULL, NULL, false};
    rc = q->ops->list(q, &f, add_done, &c, err);
    if (rc == PP_ENOMEM)
        pp_err_set(err, PP_ENOMEM, "out of memory");
    if (rc == 0)
        print_stats(out, counts, &c, json);
    for (int m = 0; m < M_COUNT; m++)
        free(c.v[m]);
    return rc;
}
