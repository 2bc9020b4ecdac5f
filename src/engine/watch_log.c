/* The watcher's event log: one line per job event, as logfmt
 * (key=value, values quoted when they hold spaces, quotes or '=') or as
 * JSON lines. Supervisor and workers each open the log themselves; a line
 * is built in memory and written with a single write() on an O_APPEND
 * descriptor, so lines from different processes never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watch_impl.h"

#define LINE_MAX_BYTES 4096

struct pp__wlog {
    int fd;
    bool own;
    pp_wlog_format fmt;
};

pp__wlog *pp__wlog_open(const char *path, pp_wlog_format fmt, pp_err *err)
{
    pp__wlog *l = pp_calloc(1, sizeof *l, err);
    if (!l)
        return NULL;
    l->fmt = fmt;
    l->fd = STDERR_FILENO;
    if (path && strcmp(path, "-") != 0) {
        l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            pp_err_set(err, PP_ECREATE, "%s: cannot open the log: %s", path, strerror(errno));
            free(l);
            return NULL;
        }
        l->own = true;
    }
    return l;
}

void pp__wlog_close(pp__wlog *l)
{
    if (!l)
        return;
    if (l->own)
        close(l->fd);
    free(l);
}

void pp__iso_time(int64_t ms, char out[32])
{
    if (ms <= 0) {
        out[0] = '\0';
        return;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* ---- a bounded line buffer ---- */

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t n;
    pp_wlog_format fmt;
    bool first;
} line;

static void put(line *ln, const char *s, size_t len)
{
    size_t room = sizeof ln->buf - 2 - ln->n; /* keep room for "}\n" */
    if (len > room)
        len = room;
    memcpy(ln->buf + ln->n, s, len);
    ln->n += len;
}

static void puts_(line *ln, const char *s)
{
    put(ln, s, strlen(s));
}

static void put_json_str(line *ln, const char *s)
{
    puts_(ln, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(ln, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(ln, esc);
        } else {
            put(ln, (const char *)&c, 1);
        }
    }
    puts_(ln, "\"");
}

static void put_logfmt_str(line *ln, const char *s)
{
    bool quote = !*s || strpbrk(s, " \t\"=\\") != NULL;
    for (const char *p = s; *p && !quote; p++)
        quote = (unsigned char)*p < 0x20;
    if (!quote) {
        puts_(ln, s);
        return;
    }
    puts_(ln, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(ln, esc, 2);
        } else if (c == '\n') {
            puts_(ln, "\\n");
        } else if (c >= 0x20) {
            put(ln, (const char *)&c, 1);
        }
    }
    puts_(ln, "\"");
}

static void field_key(line *ln, const char *key)
{
    if (ln->fmt == PP_WLOG_JSON) {
        puts_(ln, ln->first ? "{" : ",");
        put_json_str(ln, key);
        puts_(ln, ":");
    } else {
        if (!ln->first)
            puts_(ln, " ");
        puts_(ln, key);
        puts_(ln, "=");
    }
    ln->first = false;
}

static void field_str(line *ln, const char *key, const char *v)
{
    field_key(ln, key);
    if (ln->fmt == PP_WLOG_JSON)
        put_json_str(ln, v ? v : "");
    else
        put_logfmt_str(ln, v ? v : "");
}

static void field_num(line *ln, const char *key, double v)
{
    char num[48];
    if (v == (double)(int64_t)v)
        snprintf(num, sizeof num, "%lld", (long long)v);
    else
        snprintf(num, sizeof num, "%.3f", v);
    field_key(ln, key);
    puts_(ln, num);
}

static void begin(line *ln, pp_wlog_format fmt, const char *event)
{
    ln->n = 0;
    ln->fmt = fmt;
    ln->first = true;
    char ts[32];
    pp__iso_time(pp_wall_ms(), ts);
    field_str(ln, "ts", ts);
    field_str(ln, "event", event);
}

static void extras(line *ln, const pp__wfield *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].str)
            field_str(ln, f[i].key, f[i].str);
        else
            field_num(ln, f[i].key, f[i].num);
    }
}

static void finish(pp__wlog *l, line *ln)
{
    if (ln->fmt == PP_WLOG_JSON)
        ln->buf[ln->n++] = '}';
    ln->buf[ln->n++] = '\n';
    ssize_t w = write(l->fd, ln->buf, ln->n);
    (void)w; /* a log that cannot be written must not stop the work */
}

void pp__wlog_job(pp__wlog *l, const char *event, const pp_job *j, const pp__wfield *extra,
                  size_t nextra)
{
    if (!l)
        return;
    line ln;
    begin(&ln, l->fmt, event);
    field_num(&ln, "job", (double)j->id);
    field_str(&ln, "file", j->source);
    field_str(&ln, "pipeline", j->name);
    field_str(&ln, "state", pp_jstate_name(j->state));
    field_num(&ln, "attempt", j->attempts);
    if (j->worker)
        field_str(&ln, "worker", j->worker);
    if (j->state == PP_JS_DONE && j->total_ns) {
        field_num(&ln, "decode_ms", (double)(j->decode_ns / 1000) / 1000.0);
        field_num(&ln, "filter_ms", (double)(j->filter_ns / 1000) / 1000.0);
        field_num(&ln, "encode_ms", (double)(j->encode_ns / 1000) / 1000.0);
        field_num(&ln, "total_ms", (double)(j->total_ns / 1000) / 1000.0);
    }
    if (j->error) /* a running job's message is from its previous attempt */
        field_str(&ln,
                  j->state == PP_JS_DONE      ? "note"
                  : j->state == PP_JS_RUNNING ? "last_error"
                                              : "error",
                  j->error);
    extras(&ln, extra, nextra);
    finish(l, &ln);
}

void pp__wlog_event(pp__wlog *l, const char *event, const pp__wfield *f, size_t n)
{
    if (!l)
        return;
    line ln;
    begin(&ln, l->fmt, event);
    extras(&ln, f, n);
    finish(l, &ln);
}

void pp__json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}
