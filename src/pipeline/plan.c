/* Planning: binds a parsed pipeline to an input format. Each filter's build
 * function pushes internal stages; afterwards adjacent stages that can fuse
 * (chains of lookup tables) are merged, so `invert | enhance | gamma` costs
 * one pass. The plan is immutable after this and shared by every thread. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_impl.h"

struct pp__planner {
    pp_plan *plan;
    size_t cap;
    pp_format cur;
    char label[96];
};

const pp_format *pp__planner_format(const pp__planner *pl)
{
    return &pl->cur;
}

pp__stage *pp__planner_last(pp__planner *pl)
{
    return pl->plan->nstages ? &pl->plan->stages[pl->plan->nstages - 1] : NULL;
}

const char *pp__planner_label(const pp__planner *pl)
{
    return pl->label;
}

static void stage_release(pp__stage *s)
{
    if (s->priv && s->ops && s->ops->free_priv)
        s->ops->free_priv(s->priv);
    s->priv = NULL;
}

int pp__planner_push(pp__planner *pl, const pp__stage *s, pp_err *err)
{
    pp__stage copy = *s;
    copy.in = pl->cur;
    if (pp_format_size(&copy.out, NULL, NULL, err) < 0) {
        pp_err_prefix(err, "%s", pl->label);
        stage_release(&copy);
        return err ? err->code : PP_EINVAL;
    }
    pp_plan *p = pl->plan;
    if (p->nstages == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 8;
        pp__stage *g = realloc(p->stages, cap * sizeof *g);
        if (!g) {
            stage_release(&copy);
            return pp_err_set(err, PP_ENOMEM, "out of memory");
        }
        p->stages = g;
        pl->cap = cap;
    }
    if (!copy.label[0])
        snprintf(copy.label, sizeof copy.label, "%s", pl->label);
    p->stages[p->nstages++] = copy;
    pl->cur = copy.out;
    return 0;
}

/* "name k=v ..." with only the parameters the user gave. */
static void step_label(const pp__step *s, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "%s", s->def->name);
    for (int k = 0; k < s->def->nparams && len < n; k++) {
        const pp_param_def *pd = &s->def->params[k];
        if (!s->v[k].given)
            continue;
        if (pd->type == PP_PARAM_ENUM)
            len += (size_t)snprintf(buf + len, n - len, " %s=%s", pd->name,
                                    pd->choices[(int)s->v[k].num]);
        else if (pd->type == PP_PARAM_BOOL)
            len += (size_t)snprintf(buf + len, n - len, " %s=%s", pd->name,
                                    s->v[k].num != 0 ? "true" : "false");
        else if (pd->type == PP_PARAM_FLOATS)
            len += (size_t)snprintf(buf + len, n - len, " %s=[%zu values]", pd->name,
                                    s->v[k].count);
        else
            len += (size_t)snprintf(buf + len, n - len, " %s=%g", pd->name, s->v[k].num);
    }
}

static void fuse_stages(pp_plan *p)
{
    size_t w = 0;
    for (size_t r = 0; r < p->nstages; r++) {
        pp__stage *cur = &p->stages[r];
        if (w > 0) {
            pp__stage *prev = &p->stages[w - 1];
            if (prev->ops == cur->ops && prev->ops->fuse && prev->ops->fuse(prev, cur)) {
                char joined[2 * sizeof prev->label + 4];
                snprintf(joined, sizeof joined, "%s + %s", prev->label, cur->label);
                snprintf(prev->label, sizeof prev->label, "%.*s", (int)sizeof prev->label - 1,
                         joined);
                prev->out = cur->out;
                stage_release(cur);
                continue;
            }
        }
        if (w != r)
            p->stages[w] = *cur;
        w++;
    }
    p->nstages = w;
}

pp_plan *pp_plan_new(const pp_pipeline *pipe, const pp_format *in, pp_err *err)
{
    if (pp_format_size(in, NULL, NULL, err) < 0)
        return NULL;
    pp_plan *p = pp_calloc(1, sizeof *p, err);
    if (!p)
        return NULL;
    p->in = *in;
    pp__planner pl = {p, 0, *in, ""};
    for (size_t i = 0; pipe && i < pipe->n; i++) {
        const pp__step *s = &pipe->steps[i];
        step_label(s, pl.label, sizeof pl.label);
        int rc = s->def->build(s->def, s->v, &pl, err);
        if (rc < 0) {
            if (err && strncmp(err->msg, s->def->name, strlen(s->def->name)) != 0)
                pp_err_prefix(err, "%s", s->def->name);
            pp_plan_free(p);
            return NULL;
        }
    }
    fuse_stages(p);
    p->out = pl.cur;
    return p;
}

void pp_plan_free(pp_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstages; i++)
        stage_release(&p->stages[i]);
    free(p->stages);
    free(p);
}

pp_format pp_plan_output(const pp_plan *p)
{
    return p->out;
}
