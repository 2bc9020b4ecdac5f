/* The queue front: opening a backend by its spec, state names, backoff and
 * the pp_job helpers shared by every backend. */
#include <stdlib.h>
#include <string.h>

#include "pixpipe/queue.h"
#include "pp_config.h"

static const char *const state_names[PP_JS_COUNT] = {"queued", "running", "done", "retrying",
                                                     "failed"};

const char *pp_jstate_name(pp_jstate s)
{
    return (unsigned)s < PP_JS_COUNT ? state_names[s] : "unknown";
}

int pp_jstate_from_name(const char *name)
{
    for (int i = 0; i < PP_JS_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

void pp_job_clear(pp_job *j)
{
    if (!j)
        return;
    free(j->source);
    free(j->hash);
    free(j->name);
    free(j->pipeline);
    free(j->opts);
    free(j->output);
    free(j->worker);
    free(j->error);
    free(j->quarantine);
    memset(j, 0, sizeof *j);
}

void pp_queue_opts_default(pp_queue_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_attempts = 3;
    o->retry_delay_ms = 1000;
    o->retry_max_ms = 300000;
}

int64_t pp_queue_backoff_ms(const pp_queue_opts *o, int attempts)
{
    int64_t d = o->retry_delay_ms > 0 ? o->retry_delay_ms : 0;
    for (int i = 1; i < attempts && d < o->retry_max_ms; i++)
        d *= 2;
    return d < o->retry_max_ms ? d : o->retry_max_ms;
}

bool pp_queue_available(void)
{
    return PP_HAVE_SQLITE != 0;
}

pp_queue *pp_queue_open(const char *spec, const pp_queue_opts *o, pp_err *err)
{
    if (strstr(spec, "://")) {
        pp_err_set(err, PP_ENOTBUILT, "%s: no queue backend for this scheme in this pixpipe", spec);
        return NULL;
    }
#if PP_HAVE_SQLITE
    return pp__queue_journal_open(spec, o, err);
#else
    (void)o;
    pp_err_set(err, PP_ENOTBUILT, "%s: pixpipe was built without SQLite: no journal", spec);
    return NULL;
#endif
}

void pp_queue_close(pp_queue *q)
{
    if (q)
        q->ops->close(q);
}
