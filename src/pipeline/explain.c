/* --explain and the memory estimate: what each stage keeps, what each
 * barrier holds, and the peak while segments run one after another. */
#include <stdlib.h>

#include "exec_impl.h"

size_t pp_plan_peak_bytes(const pp_plan *p, size_t strip_rows)
{
    size_t strip = pp__pick_strip(p, strip_rows), peak = 0, held = 0;
    pp__seg *segs = malloc((p->nstages + 1) * sizeof *segs);
    if (!segs)
        return 0;
    size_t nseg = pp__split_segments(p, segs);
    for (size_t i = 0; i < nseg; i++) {
        const pp__seg *s = &segs[i];
        size_t b = strip * pp__row_bytes(&s->out) + pp__chain_bytes(p, s, strip, false);
        size_t acc = s->to_barrier && s->to_barrier->ops->acc_bytes
                         ? s->to_barrier->ops->acc_bytes(s->to_barrier)
                         : 0;
        /* while a segment runs, the barrier feeding it and the one it fills are both held */
        if (held + acc + b > peak)
            peak = held + acc + b;
        held = acc;
    }
    free(segs);
    return peak;
}

static void fmt_bytes(char *buf, size_t n, size_t bytes)
{
    if (bytes >= ((size_t)10 << 20))
        snprintf(buf, n, "%zu MB", bytes >> 20);
    else if (bytes >= ((size_t)10 << 10))
        snprintf(buf, n, "%zu KB", bytes >> 10);
    else
        snprintf(buf, n, "%zu B", bytes);
}

static void explain_stage(const pp__stage *st, size_t i, size_t strip, FILE *out)
{
    char mem[32];
    if (st->barrier) {
        fmt_bytes(mem, sizeof mem, st->ops->acc_bytes ? st->ops->acc_bytes(st) : 0);
        fprintf(out, "stage %zu %-34s BARRIER  %-14s -> %zux%zu %s, holds %s\n", i + 1, st->label,
                st->ops->name, st->out.width, st->out.height, pp_channels_name(st->out.channels),
                mem);
        return;
    }
    size_t cap, nptr;
    pp__window_size(st, strip, &cap, &nptr);
    pp__seg one = {0, 1, NULL, NULL, st->in, st->out};
    pp_plan single = {st->in, st->out, 1, (pp__stage *)st};
    fmt_bytes(mem, sizeof mem, pp__chain_bytes(&single, &one, strip, false));
    fprintf(out,
            "stage %zu %-34s stream   %-14s halo %d rows x %d cols, window %zu rows, %s -> "
            "%zux%zu %s\n",
            i + 1, st->label, st->ops->name, st->halo, st->halo_x, cap, mem, st->out.width,
            st->out.height, pp_channels_name(st->out.channels));
}

void pp_plan_explain(const pp_plan *p, size_t strip_rows, FILE *out)
{
    size_t strip = pp__pick_strip(p, strip_rows);
    fprintf(out, "input   %zux%zu %s\n", p->in.width, p->in.height,
            pp_channels_name(p->in.channels));
    for (size_t i = 0; i < p->nstages; i++)
        explain_stage(&p->stages[i], i, strip, out);
    char peak[32];
    fmt_bytes(peak, sizeof peak, pp_plan_peak_bytes(p, strip_rows));
    fprintf(out,
            "output  %zux%zu %s\nstrip   %zu rows\npeak    about %s of working memory per "
            "thread (codec buffers not included)\n",
            p->out.width, p->out.height, pp_channels_name(p->out.channels), strip, peak);
}
