/* The pipeline text form and the validation shared with the JSON form.
 *
 *   pipeline := step ( '|' step )*
 *   step     := NAME ( PARAM '=' VALUE )*
 *   VALUE    := number | word | list        list := [ n, n, ... ] or n,n,...
 *
 * Every error names the column (1-based) and, for names, suggests the nearest
 * registered one. Values are checked against the parameter's declared type,
 * range, choices and oddness here, so filters only see valid values.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_impl.h"

/* ------------------------------------------------------------------ */
/* Shared validation                                                   */
/* ------------------------------------------------------------------ */

static void fmt_num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
}

int pp__param_set_number(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                         double v, bool is_integer, const char *shown, const pp__where *w,
                         pp_err *err)
{
    char lo[32], hi[32];
    fmt_num(lo, sizeof lo, pd->min);
    fmt_num(hi, sizeof hi, pd->max);
    switch (pd->type) {
    case PP_PARAM_INT:
        if (!is_integer || v != floor(v))
            return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s: expected an integer", f->name,
                              pd->name, shown, w->text);
        if (v < pd->min || v > pd->max)
            return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s is out of range %s..%s", f->name,
                              pd->name, shown, w->text, lo, hi);
        if ((pd->flags & PP_PARAM_ODD) && v != 0 && (long long)v % 2 == 0)
            return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s must be odd", f->name, pd->name,
                              shown, w->text);
        break;
    case PP_PARAM_FLOAT:
        if (!isfinite(v) || v < pd->min || v > pd->max)
            return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s is out of range %s..%s", f->name,
                              pd->name, shown, w->text, lo, hi);
        break;
    case PP_PARAM_BOOL:
        if (!is_integer || (v != 0 && v != 1))
            return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s: expected true or false", f->name,
                              pd->name, shown, w->text);
        break;
    case PP_PARAM_ENUM:
        return pp__param_set_word(f, pd, dst, shown, w, err);
    case PP_PARAM_FLOATS:
        return pp__param_set_list(f, pd, dst, &v, 1, w, err);
    }
    dst->num = v;
    dst->given = true;
    return 0;
}

static void choice_list(const pp_param_def *pd, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; pd->choices[i]; i++) {
        if (i)
            strncat(buf, ", ", n - strlen(buf) - 1);
        strncat(buf, pd->choices[i], n - strlen(buf) - 1);
    }
}

int pp__param_set_word(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                       const char *word, const pp__where *w, pp_err *err)
{
    if (pd->type == PP_PARAM_BOOL) {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcmp(word, yes[i]) == 0 || strcmp(word, no[i]) == 0) {
                dst->num = strcmp(word, yes[i]) == 0;
                dst->given = true;
                return 0;
            }
        }
        return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s: expected true or false", f->name,
                          pd->name, word, w->text);
    }
    if (pd->type != PP_PARAM_ENUM)
        return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s: expected a number", f->name, pd->name,
                          word, w->text);
    for (size_t i = 0; pd->choices[i]; i++) {
        if (strcmp(word, pd->choices[i]) == 0) {
            dst->num = (double)i;
            dst->given = true;
            return 0;
        }
    }
    char list[256];
    choice_list(pd, list, sizeof list);
    const char *near = pp_suggest(word, pd->choices);
    if (near)
        return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s is not one of %s; did you mean \"%s\"?",
                          f->name, pd->name, word, w->text, list, near);
    return pp_err_set(err, PP_EPARSE, "%s: %s=%s%s is not one of %s", f->name, pd->name, word,
                      w->text, list);
}

int pp__param_set_list(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                       const double *vals, size_t n, const pp__where *w, pp_err *err)
{
    if (pd->type != PP_PARAM_FLOATS) {
        if (n == 1) {
            char shown[32];
            fmt_num(shown, sizeof shown, vals[0]);
            return pp__param_set_number(f, pd, dst, vals[0], vals[0] == floor(vals[0]), shown, w,
                                        err);
        }
        return pp_err_set(err, PP_EPARSE, "%s: %s%s takes one value, not a list", f->name,
                          pd->name, w->text);
    }
    if (n == 0 || n > PP_MAX_LIST)
        return pp_err_set(err, PP_EPARSE, "%s: %s%s needs 1..%d numbers, got %zu", f->name,
                          pd->name, w->text, PP_MAX_LIST, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(vals[i]) || vals[i] < pd->min || vals[i] > pd->max)
            return pp_err_set(err, PP_EPARSE, "%s: %s%s: element %zu (%g) is out of range %g..%g",
                              f->name, pd->name, w->text, i + 1, vals[i], pd->min, pd->max);
    double *copy = pp_malloc_array(n, sizeof *copy, err);
    if (!copy)
        return PP_ENOMEM;
    memcpy(copy, vals, n * sizeof *copy);
    free(dst->list);
    dst->list = copy;
    dst->count = n;
    dst->given = true;
    return 0;
}

void pp__step_defaults(pp__step *s)
{
    for (int i = 0; i < s->def->nparams; i++)
        if (!s->v[i].given)
            s->v[i].num = s->def->params[i].def;
}

pp__step *pp__pipeline_add(pp_pipeline *p, const pp_filter_def *f, pp_err *err)
{
    pp__step *grown = realloc(p->steps, (p->n + 1) * sizeof *grown);
    if (!grown) {
        pp_err_set(err, PP_ENOMEM, "out of memory");
        return NULL;
    }
    p->steps = grown;
    pp__step *s = &p->steps[p->n++];
    memset(s, 0, sizeof *s);
    s->def = f;
    return s;
}

static const char *filter_names[128]; /* NULL-terminated */
static pthread_once_t filter_names_once = PTHREAD_ONCE_INIT;

static void fill_filter_names(void)
{
    size_t n = pp_filter_count();
    for (size_t i = 0; i < n && i < 127; i++)
        filter_names[i] = pp_filter_at(i)->name;
}

/* Built once at first use, by one thread; the registry is constant. */
const char *const *pp__filter_names(void)
{
    pthread_once(&filter_names_once, fill_filter_names);
    return filter_names;
}

void pp_pipeline_free(pp_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        for (int k = 0; k < PP_MAX_PARAMS; k++)
            free(p->steps[i].v[k].list);
    free(p->steps);
    free(p);
}

size_t pp_pipeline_length(const pp_pipeline *p)
{
    return p->n;
}

const pp_filter_def *pp_pipeline_step(const pp_pipeline *p, size_t i, const pp_param_value **v)
{
    if (v)
        *v = p->steps[i].v;
    return p->steps[i].def;
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                      */
/* ------------------------------------------------------------------ */

typedef struct strbuf {
    char *s;
    size_t len, cap;
    bool failed;
} strbuf;

static void sb_add(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *g = realloc(b->s, cap);
        if (!g) {
            b->failed = true;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_value(strbuf *b, const pp_param_def *pd, const pp_param_value *v)
{
    switch (pd->type) {
    case PP_PARAM_BOOL: sb_add(b, "%s", v->num != 0 ? "true" : "false"); break;
    case PP_PARAM_ENUM: sb_add(b, "%s", pd->choices[(int)v->num]); break;
    case PP_PARAM_FLOATS:
        for (size_t i = 0; i < v->count; i++)
            sb_add(b, "%s%.15g", i ? "," : "", v->list[i]);
        break;
    default: sb_add(b, "%.15g", v->num); break;
    }
}

char *pp_pipeline_canonical(const pp_pipeline *p)
{
    strbuf b = {0};
    sb_add(&b, "%s", "");
    for (size_t i = 0; i < p->n; i++) {
        const pp__step *s = &p->steps[i];
        sb_add(&b, "%s%s", i ? " | " : "", s->def->name);
        for (int k = 0; k < s->def->nparams; k++) {
            const pp_param_def *pd = &s->def->params[k];
            if (pd->type == PP_PARAM_FLOATS && s->v[k].count == 0)
                continue;
            sb_add(&b, " %s=", pd->name);
            sb_value(&b, pd, &s->v[k]);
        }
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ------------------------------------------------------------------ */
/* Text form                                                           */
/* ------------------------------------------------------------------ */

typedef struct lexer {
    const char *text;
    size_t pos;
} lexer;

static void skip_space(lexer *lx)
{
    while (lx->text[lx->pos] && isspace((unsigned char)lx->text[lx->pos]))
        lx->pos++;
}

static bool is_name_start(int c)
{
    return isalpha(c) || c == '_';
}

static bool is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

static size_t read_name(lexer *lx, char *out, size_t cap)
{
    size_t n = 0;
    while (is_name_char((unsigned char)lx->text[lx->pos])) {
        if (n + 1 < cap)
            out[n++] = lx->text[lx->pos];
        lx->pos++;
    }
    out[n] = '\0';
    return n;
}

static void where_at(pp__where *w, size_t pos)
{
    snprintf(w->text, sizeof w->text, " at column %zu", pos + 1);
}

/* Parses "1.5", "-3", "1e3" fully; false when not a whole number token. */
static bool parse_number(const char *s, double *v, bool *is_int)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(*v))
        return false;
    *is_int = strpbrk(s, ".eEnN") == NULL;
    return true;
}

/* Reads a raw value token: up to whitespace or '|', or a bracketed list. */
static int read_value(lexer *lx, char *out, size_t cap, pp_err *err)
{
    size_t n = 0, start = lx->pos;
    bool bracket = lx->text[lx->pos] == '[';
    while (lx->text[lx->pos]) {
        char c = lx->text[lx->pos];
        if (!bracket && (isspace((unsigned char)c) || c == '|'))
            break;
        if (n + 1 >= cap)
            return pp_err_set(err, PP_EPARSE, "value at column %zu is too long", start + 1);
        out[n++] = c;
        lx->pos++;
        if (bracket && c == ']')
            break;
    }
    out[n] = '\0';
    if (bracket && (n < 2 || out[n - 1] != ']'))
        return pp_err_set(err, PP_EPARSE, "list at column %zu is missing its closing ']'",
                          start + 1);
    return 0;
}

/* Splits "a,b,c" or "[a, b; c]" into numbers. */
static int parse_list(const char *tok, double *vals, size_t *n, const pp__where *w, pp_err *err)
{
    char buf[16384];
    snprintf(buf, sizeof buf, "%s", tok[0] == '[' ? tok + 1 : tok);
    size_t len = strlen(buf);
    if (tok[0] == '[' && len > 0)
        buf[len - 1] = '\0';
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ;\t\n", &save); t;
         t = strtok_r(NULL, ", ;\t\n", &save)) {
        bool is_int;
        if (*n >= PP_MAX_LIST)
            return pp_err_set(err, PP_EPARSE, "list%s has more than %d numbers", w->text,
                              PP_MAX_LIST);
        if (!parse_number(t, &vals[*n], &is_int))
            return pp_err_set(err, PP_EPARSE, "\"%s\"%s is not a number", t, w->text);
        (*n)++;
    }
    return 0;
}

int pp__param_unknown(const pp_filter_def *f, const char *name, const pp__where *w, pp_err *err)
{
    if (f->nparams == 0)
        return pp_err_set(err, PP_EPARSE, "%s takes no parameters (\"%s\"%s)", f->name, name,
                          w->text);
    const char *names[PP_MAX_PARAMS + 1];
    for (int i = 0; i < f->nparams; i++)
        names[i] = f->params[i].name;
    names[f->nparams] = NULL;
    const char *near = pp_suggest(name, names);
    if (near)
        return pp_err_set(err, PP_EPARSE, "unknown parameter \"%s\" for %s%s; did you mean \"%s\"?",
                          name, f->name, w->text, near);
    return pp_err_set(err, PP_EPARSE, "unknown parameter \"%s\" for %s%s", name, f->name,
                      w->text);
}

static int parse_param(lexer *lx, const pp_filter_def *f, pp__step *step, pp_err *err)
{
    size_t start = lx->pos;
    pp__where w;
    where_at(&w, start);
    char name[64];
    read_name(lx, name, sizeof name);
    if (lx->text[lx->pos] != '=')
        return pp_err_set(err, PP_EPARSE, "%s: expected NAME=VALUE at column %zu, found \"%s\"",
                          f->name, start + 1, name[0] ? name : lx->text + lx->pos);
    int k = pp_filter_param_index(f, name);
    if (k < 0)
        return pp__param_unknown(f, name, &w, err);
    if (step->v[k].given)
        return pp_err_set(err, PP_EPARSE, "%s: %s is given twice%s", f->name, name, w.text);
    lx->pos++; /* '=' */
    size_t vpos = lx->pos;
    where_at(&w, vpos);
    char tok[16384];
    int rc = read_value(lx, tok, sizeof tok, err);
    if (rc < 0)
        return rc;
    if (!tok[0])
        return pp_err_set(err, PP_EPARSE, "%s: expected a value after \"%s=\" at column %zu",
                          f->name, name, vpos + 1);
    const pp_param_def *pd = &f->params[k];
    double v;
    bool is_int;
    if (pd->type == PP_PARAM_FLOATS || strchr(tok, ',') || tok[0] == '[') {
        size_t n;
        double *buf = pp_malloc_array(PP_MAX_LIST, sizeof(double), err);
        if (!buf)
            return PP_ENOMEM;
        rc = parse_list(tok, buf, &n, &w, err);
        if (rc == 0)
            rc = pp__param_set_list(f, pd, &step->v[k], buf, n, &w, err);
        free(buf);
        return rc;
    }
    if (parse_number(tok, &v, &is_int) && pd->type != PP_PARAM_ENUM)
        return pp__param_set_number(f, pd, &step->v[k], v, is_int, tok, &w, err);
    return pp__param_set_word(f, pd, &step->v[k], tok, &w, err);
}

static int parse_step(lexer *lx, pp_pipeline *p, pp_err *err)
{
    skip_space(lx);
    size_t start = lx->pos;
    char c = lx->text[lx->pos];
    if (!is_name_start((unsigned char)c)) {
        if (c == '\0' || c == '|')
            return pp_err_set(err, PP_EPARSE, "empty step at column %zu: expected a filter name",
                              start + 1);
        return pp_err_set(err, PP_EPARSE, "expected a filter name at column %zu, found '%c'",
                          start + 1, c);
    }
    char name[64];
    read_name(lx, name, sizeof name);
    const pp_filter_def *f = pp_filter_find(name);
    if (!f) {
        const char *near = pp_suggest(name, pp__filter_names());
        if (near)
            return pp_err_set(err, PP_EPARSE,
                              "unknown filter \"%s\" at column %zu; did you mean \"%s\"?", name,
                              start + 1, near);
        return pp_err_set(err, PP_EPARSE,
                          "unknown filter \"%s\" at column %zu (see 'pixpipe ops')", name,
                          start + 1);
    }
    pp__step *step = pp__pipeline_add(p, f, err);
    if (!step)
        return PP_ENOMEM;
    for (;;) {
        skip_space(lx);
        c = lx->text[lx->pos];
        if (c == '\0' || c == '|')
            break;
        int rc = parse_param(lx, f, step, err);
        if (rc < 0)
            return rc;
    }
    pp__step_defaults(step);
    return 0;
}

pp_pipeline *pp_pipeline_parse(const char *text, pp_err *err)
{
    pp_pipeline *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return NULL;
    lexer lx = {text, 0};
    skip_space(&lx);
    if (!text[lx.pos]) /* the empty pipeline: decode and encode only */
        return p;
    for (;;) {
        if (parse_step(&lx, p, err) < 0) {
            pp_pipeline_free(p);
            return NULL;
        }
        if (text[lx.pos] == '\0')
            break;
        lx.pos++; /* '|' */
    }
    return p;
}

pp_pipeline *pp_pipeline_parse_any(const char *text, pp_err *err)
{
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    return *s == '[' ? pp_pipeline_parse_json(text, err) : pp_pipeline_parse(text, err);
}
