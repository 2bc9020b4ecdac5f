/* Distributed execution of a plan: one image, its rows split across ranks.
 *
 * Each segment's output rows are cut into contiguous blocks, block r on
 * rank r (h*r/P .. h*(r+1)/P). A rank computes its block with the ordinary
 * executor (pp__run_rows, threads included), reading its input from a local
 * buffer that holds exactly the input rows the block depends on
 * (pp__seg_source_span): for segment 0 the rank reads them itself or gets
 * them from rank 0; after a barrier it gathers them from the ranks that own
 * them. This is "one exchange of the accumulated halo, then redundant
 * computation": a block never talks to its neighbours while it computes, and
 * blocks thinner than the halo simply gather from several ranks.
 *
 * Barriers, per rank, on its own block of the barrier's input:
 *   - row-local barriers (no acc_region: output row y reads input row y):
 *     acc_new over the block, acc_rows, then acc_counts are summed over all
 *     ranks (histograms), acc_end, then acc_join rounds with the
 *     neighbouring blocks' boundary state rows until no block changes
 *     (Canny's hysteresis); the block's output rows are emitted and the next
 *     segment gathers the rows it needs from their owners.
 *   - geometry barriers (acc_region): each rank works out the input region
 *     its next rows read, gathers that region from the owners of those rows,
 *     builds an accumulator over it and emits locally.
 * The output is gathered to rank 0 in order, or written by every rank in
 * place when the sink can (MPI-IO into a PNM).
 *
 * Streaming: when ranks read their own rows, segment 0 pulls them straight
 * from the decoder, and when the output is written in parallel, the last
 * segment writes each strip as it is computed; neither is buffered, so a
 * neighbourhood-only pipeline needs memory for a few strips per rank, not
 * for its block.
 *
 * All of it is a pure function of the input, so the bytes equal a
 * single-process run whatever the rank count.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_impl.h"

/* Rows [lo, hi) of columns [x0, x1) of some format, stored contiguously. */
typedef struct rbuf {
    uint8_t *mem;
    size_t lo, hi, x0, x1;
    int c;
    size_t rb; /* (x1 - x0) * c */
} rbuf;

static inline uint8_t *rbuf_row(const rbuf *b, size_t y)
{
    return b->mem + (y - b->lo) * b->rb;
}

static int rbuf_alloc(rbuf *b, const pp__rect *r, int c, pp_err *err)
{
    memset(b, 0, sizeof *b);
    b->lo = r->y0;
    b->hi = r->y1 > r->y0 ? r->y1 : r->y0;
    b->x0 = r->x0;
    b->x1 = r->x1;
    b->c = c;
    b->rb = (r->x1 - r->x0) * (size_t)c;
    size_t rows = b->hi - b->lo;
    b->mem = pp_malloc_array(rows ? rows : 1, b->rb ? b->rb : 1, err);
    return b->mem ? 0 : PP_ENOMEM;
}

static void rbuf_free(rbuf *b)
{
    free(b->mem);
    b->mem = NULL;
}

static size_t rbuf_bytes(const rbuf *b)
{
    return (b->hi - b->lo) * b->rb;
}

/* Rows of the block rank r owns among h rows. */
static void block_of(size_t h, int r, int n, size_t *y0, size_t *y1)
{
    *y0 = h * (size_t)r / (size_t)n;
    *y1 = h * (size_t)(r + 1) / (size_t)n;
}

typedef struct drun {
    const pp_plan *p;
    const pp_comm *comm;
    const pp_exec_opts *o;
    pp_dist_stats *st;
    size_t strip;
    size_t live; /* bytes in row buffers now */
    const pp_dist_source *stream; /* segment 0 streams from this rank's decoder */
} drun;

static void track(drun *d, const rbuf *b, bool add)
{
    if (add)
        d->live += rbuf_bytes(b);
    else
        d->live -= rbuf_bytes(b);
    if (d->live > d->st->peak_bytes)
        d->st->peak_bytes = d->live;
}

/* Collective: every rank learns whether any rank failed. A rank that did not
 * fail itself reports PP_EIO "another rank failed". */
static int agree(drun *d, int rc, pp_err *err)
{
    bool failed = rc < 0;
    pp_err tmp;
    if (d->comm->any(d->comm->ctx, &failed, &tmp) < 0)
        return rc < 0 ? rc : (err ? (*err = tmp, tmp.code) : tmp.code);
    if (failed && rc == 0)
        rc = pp_err_set(err, PP_EIO, "another MPI rank failed");
    return rc;
}

static void intersect(const pp__rect *a, size_t y0, size_t y1, size_t *lo, size_t *hi)
{
    *lo = a->y0 > y0 ? a->y0 : y0;
    *hi = a->y1 < y1 ? a->y1 : y1;
    if (*hi < *lo)
        *hi = *lo;
}

/* Moves regions between ranks: every rank owns rows [own[r].y0, own[r].y1)
 * (all columns, in `have`) and needs region need[r] (into `got`). */
static int gather(drun *d, const pp__rect *own, const pp__rect *need, const rbuf *have,
                  rbuf *got, pp_err *err)
{
    const pp_comm *c = d->comm;
    int n = c->size, me = c->rank;
    uint64_t t0 = pp_clock_ns();
    uint8_t **sbuf = calloc((size_t)n, sizeof *sbuf), **rbuf_ = calloc((size_t)n, sizeof *rbuf_);
    size_t *slen = calloc((size_t)n, sizeof *slen), *rlen = calloc((size_t)n, sizeof *rlen);
    int rc = 0;
    if (!sbuf || !rbuf_ || !slen || !rlen) {
        rc = pp_err_set(err, PP_ENOMEM, "out of memory");
        goto done;
    }
    size_t px = (size_t)have->c;
    for (int q = 0; q < n && rc == 0; q++) {
        size_t lo, hi, w = need[q].x1 - need[q].x0;
        intersect(&need[q], own[me].y0, own[me].y1, &lo, &hi); /* what q gets from me */
        slen[q] = (hi - lo) * w * px;
        if (slen[q]) {
            if (!(sbuf[q] = malloc(slen[q]))) {
                rc = pp_err_set(err, PP_ENOMEM, "out of memory");
                break;
            }
            for (size_t y = lo; y < hi; y++)
                memcpy(sbuf[q] + (y - lo) * w * px, rbuf_row(have, y) + need[q].x0 * px, w * px);
        }
        intersect(&need[me], own[q].y0, own[q].y1, &lo, &hi); /* what I get from q */
        rlen[q] = (hi - lo) * got->rb;
        rbuf_[q] = rlen[q] ? rbuf_row(got, lo) : NULL;
    }
done:
    /* every rank exchanges or none does: a rank that skipped it would leave
     * the others waiting */
    rc = agree(d, rc, err);
    if (rc == 0)
        rc = c->exchange(c->ctx, (const uint8_t *const *)sbuf, slen, rbuf_, rlen, err);
    for (int q = 0; sbuf && q < n; q++)
        free(sbuf[q]);
    free(sbuf);
    free(rbuf_);
    free(slen);
    free(rlen);
    d->st->exchange_ns += pp_clock_ns() - t0;
    return rc;
}

/* ---- reading segment 0's input ---- */

/* Rank 0 reads the image strip by strip and sends every rank the rows of
 * each strip it needs; the others receive the same chunks in the same
 * order. */
static int read_scatter(drun *d, const pp_dist_source *src, const pp__rect *need, rbuf *in,
                        int rc, pp_err *err)
{
    const pp_comm *c = d->comm;
    size_t h = src->fmt.height, rb = pp__row_bytes(&src->fmt), S = d->strip;
    pp_row_source s;
    uint8_t *strip = NULL, **rows = NULL;
    bool opened = false;
    if (c->rank == 0 && rc == 0) {
        opened = (rc = src->open(src->ctx, &s, err)) == 0;
        strip = pp_malloc_array(S, rb, err);
        rows = pp_malloc_array(S, sizeof *rows, err);
        if (rc == 0 && (!strip || !rows))
            rc = PP_ENOMEM;
    }
    /* every rank (its buffer, rank 0 its source) is ready, or none starts */
    if ((rc = agree(d, rc, err)) < 0) {
        free(strip);
        free(rows);
        if (opened)
            src->close(src->ctx);
        return rc;
    }
    if (c->rank != 0) {
        for (size_t y = 0; y < h && rc == 0; y += S) {
            size_t lo, hi;
            intersect(&need[c->rank], y, y + S < h ? y + S : h, &lo, &hi);
            if (hi > lo)
                rc = c->recv(c->ctx, 0, rbuf_row(in, lo), (hi - lo) * rb, err);
        }
        return rc;
    }
    /* After a read error rank 0 keeps sending (zeros) so no rank waits for
     * ever; the caller's agreement step then fails every rank. */
    int read_rc = 0;
    for (size_t y = 0; y < h; y += S) {
        size_t m = h - y < S ? h - y : S;
        for (size_t i = 0; i < m; i++)
            rows[i] = strip + i * rb;
        uint64_t t0 = pp_clock_ns();
        if (read_rc == 0)
            read_rc = s.read(s.ctx, y, m, rows, err);
        if (read_rc < 0)
            memset(strip, 0, m * rb);
        d->st->read_ns += pp_clock_ns() - t0;
        for (int q = 0; q < c->size && rc == 0; q++) {
            size_t lo, hi;
            intersect(&need[q], y, y + m, &lo, &hi);
            if (hi == lo)
                continue;
            if (q == 0)
                memcpy(rbuf_row(in, lo), strip + (lo - y) * rb, (hi - lo) * rb);
            else
                rc = c->send(c->ctx, q, strip + (lo - y) * rb, (hi - lo) * rb, err);
        }
    }
    free(strip);
    free(rows);
    src->close(src->ctx);
    return rc < 0 ? rc : read_rc;
}

/* ---- computing a block ---- */

static const uint8_t *in_row(void *ctx, size_t y)
{
    return rbuf_row(ctx, y);
}

static uint8_t *out_row(void *ctx, size_t y)
{
    return rbuf_row(ctx, y);
}

/* Rows computed in place need nothing more; the block-parallel runner hands
 * over rows from its own buffers, which are copied. */
static int rows_in_place(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    (void)err;
    rbuf *b = ctx;
    for (size_t i = 0; i < n; i++)
        if (rows[i] != rbuf_row(b, y0 + i))
            memcpy(rbuf_row(b, y0 + i), rows[i], b->rb);
    return 0;
}

/* Computes the segment's output rows [y0, y1) from `in` into sink. */
static int compute_rows(drun *d, const pp__seg *s, const pp__input *in, const pp_row_source *seq,
                        const pp_row_sink *sink, size_t y0, size_t y1, pp_err *err)
{
    if (y1 == y0)
        return 0;
    uint64_t t0 = pp_clock_ns();
    pp_exec_stats xs;
    memset(&xs, 0, sizeof xs);
    int rc = pp__run_rows(d->p, s, in, seq, sink, d->o, d->strip, y0, y1, &xs, err);
    d->st->read_ns += xs.source_ns;
    d->st->write_ns += xs.sink_ns;
    d->st->compute_ns += pp_clock_ns() - t0 - xs.source_ns - xs.sink_ns;
    return rc;
}

static int write_parallel(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    const pp_dist_sink *out = ctx;
    return out->write_rows(out->ctx, y0, n, rows, err);
}

/* Segment s's rows [y0, y1) into `blk`, or straight to a parallel output
 * when blk is NULL; the input is `in`, or (segment 0 of a streaming run)
 * this rank's own decoder. */
static int compute_block(drun *d, const pp__seg *s, rbuf *in, bool stream_in, rbuf *blk,
                         const pp_dist_sink *out, size_t y0, size_t y1, pp_err *err)
{
    pp_row_sink to_blk = {rows_in_place, blk, out_row};
    pp_row_sink to_out = {write_parallel, (void *)out, NULL};
    const pp_row_sink *sink = blk ? &to_blk : &to_out;
    if (!stream_in) {
        pp__input input = {in_row, NULL, NULL, in, false};
        return compute_rows(d, s, &input, NULL, sink, y0, y1, err);
    }
    if (y1 == y0)
        return 0;
    pp_row_source src;
    int rc = d->stream->open(d->stream->ctx, &src, err);
    if (rc < 0)
        return rc;
    pp__input input = {NULL, NULL, src.read, src.ctx, true};
    rc = compute_rows(d, s, &input, &src, sink, y0, y1, err);
    d->stream->close(d->stream->ctx);
    return rc;
}

/* ---- barriers ---- */

/* Nearest ranks before and after `me` whose blocks are not empty. */
static void neighbours(const pp__rect *own, int n, int me, int *prev, int *next)
{
    *prev = *next = -1;
    for (int q = me - 1; q >= 0 && *prev < 0; q--)
        if (own[q].y1 > own[q].y0)
            *prev = q;
    for (int q = me + 1; q < n && *next < 0; q++)
        if (own[q].y1 > own[q].y0)
            *next = q;
}

/* Canny: exchange boundary state rows with the neighbouring blocks and join
 * until no block changes. */
static int join_blocks(drun *d, const pp__stage *b, void *acc, const pp__rect *own, pp_err *err)
{
    const pp_comm *c = d->comm;
    int n = c->size, me = c->rank, prev, next;
    size_t sb = b->ops->acc_state_bytes(b);
    neighbours(own, n, me, &prev, &next);
    bool mine = own[me].y1 > own[me].y0;
    const uint8_t **sbuf = calloc((size_t)n, sizeof *sbuf);
    uint8_t **rbufs = calloc((size_t)n, sizeof *rbufs);
    size_t *slen = calloc((size_t)n, sizeof *slen), *rlen = calloc((size_t)n, sizeof *rlen);
    uint8_t *above = malloc(sb ? sb : 1), *below = malloc(sb ? sb : 1);
    int rc = (!sbuf || !rbufs || !slen || !rlen || !above || !below)
                 ? pp_err_set(err, PP_ENOMEM, "out of memory")
                 : 0;
    rc = agree(d, rc, err); /* all ranks enter the rounds, or none */
    /* Each round lets edges cross one more block edge; a block can be
     * crossed back and forth, but never more often than it has pixels. */
    for (size_t round = 0; rc == 0 && round < ((size_t)1 << 40); round++) {
        uint64_t t0 = pp_clock_ns();
        if (mine && prev >= 0) {
            sbuf[prev] = b->ops->acc_state_row(acc, own[me].y0);
            slen[prev] = sb;
            rbufs[prev] = above;
            rlen[prev] = sb;
        }
        if (mine && next >= 0) {
            sbuf[next] = b->ops->acc_state_row(acc, own[me].y1 - 1);
            slen[next] = sb;
            rbufs[next] = below;
            rlen[next] = sb;
        }
        rc = c->exchange(c->ctx, (const uint8_t *const *)sbuf, slen, rbufs, rlen, err);
        d->st->exchange_ns += pp_clock_ns() - t0;
        bool changed = false;
        if (rc == 0 && mine)
            rc = b->ops->acc_join(b, acc, prev >= 0 ? above : NULL, next >= 0 ? below : NULL,
                                  &changed, err);
        if ((rc = agree(d, rc, err)) < 0)
            break;
        if ((rc = c->any(c->ctx, &changed, err)) < 0 || !changed)
            break;
    }
    free(sbuf);
    free(rbufs);
    free(slen);
    free(rlen);
    free(above);
    free(below);
    return rc;
}

/* A row-local barrier over this rank's block `blk` of its input: returns
 * the block's output rows in `emitted`. */
static int local_barrier(drun *d, const pp__stage *b, const pp__rect *own, rbuf *blk,
                         rbuf *emitted, pp_err *err)
{
    const pp_comm *c = d->comm;
    pp__rect r = own[c->rank];
    uint8_t **rows = pp_malloc_array(d->strip, sizeof *rows, err);
    void *acc = rows ? b->ops->acc_new(b, &r, err) : NULL;
    int rc = acc ? 0 : (err ? err->code : PP_ENOMEM);
    for (size_t y = r.y0; y < r.y1 && rc == 0; y += d->strip) {
        size_t m = r.y1 - y < d->strip ? r.y1 - y : d->strip;
        for (size_t i = 0; i < m; i++)
            rows[i] = rbuf_row(blk, y + i);
        rc = b->ops->acc_rows(b, acc, y, m, (const uint8_t *const *)rows, err);
    }
    /* Every rank reaches each collective step, failed or not. */
    rc = agree(d, rc, err);
    if (rc == 0 && b->ops->acc_counts) {
        size_t nc;
        uint64_t *counts = b->ops->acc_counts(acc, &nc);
        uint64_t t0 = pp_clock_ns();
        rc = c->sum(c->ctx, counts, nc, err);
        d->st->exchange_ns += pp_clock_ns() - t0;
    }
    if (rc == 0)
        rc = agree(d, b->ops->acc_end(b, acc, err), err);
    if (rc == 0 && b->ops->acc_join)
        rc = join_blocks(d, b, acc, own, err);
    pp__rect er = {0, b->out.width, r.y0, r.y1};
    if (rc == 0 && (rc = rbuf_alloc(emitted, &er, b->out.channels, err)) == 0) {
        track(d, emitted, true);
        void *scratch = NULL;
        if (b->ops->scratch_bytes &&
            !(scratch = pp_malloc_aligned(b->ops->scratch_bytes(b, d->strip), err)))
            rc = PP_ENOMEM;
        for (size_t y = r.y0; y < r.y1 && rc == 0; y += d->strip) {
            size_t m = r.y1 - y < d->strip ? r.y1 - y : d->strip;
            for (size_t i = 0; i < m; i++)
                rows[i] = rbuf_row(emitted, y + i);
            b->ops->emit(b, acc, y, m, rows, scratch);
        }
        free(scratch);
    }
    free(rows);
    if (acc)
        b->ops->acc_free(acc);
    return rc;
}

/* A geometry barrier: gathers the input region this rank's next rows read,
 * then emits rows [need.y0, need.y1) of the barrier's output into `next`. */
static int region_barrier(drun *d, const pp__stage *b, const pp__rect *own, const rbuf *blk,
                          const pp__rect *next_rows, rbuf *next, pp_err *err)
{
    const pp_comm *c = d->comm;
    int n = c->size;
    pp__rect *reg = calloc((size_t)n, sizeof *reg);
    for (int q = 0; reg && q < n; q++) {
        if (next_rows[q].y1 > next_rows[q].y0)
            b->ops->acc_region(b, next_rows[q].y0, next_rows[q].y1, &reg[q]);
        else
            reg[q] = (pp__rect){0, 0, 0, 0};
    }
    rbuf region = {0};
    int rc = reg ? rbuf_alloc(&region, &reg[c->rank], b->in.channels, err)
                 : pp_err_set(err, PP_ENOMEM, "out of memory");
    if (rc == 0)
        track(d, &region, true);
    if ((rc = agree(d, rc, err)) == 0)
        rc = gather(d, own, reg, blk, &region, err);
    void *acc = NULL;
    if (rc == 0 && next->hi > next->lo) {
        if (!(acc = b->ops->acc_new(b, &reg[c->rank], err)))
            rc = err ? err->code : PP_ENOMEM;
        uint8_t *row;
        for (size_t y = region.lo; y < region.hi && rc == 0; y++) {
            row = rbuf_row(&region, y);
            rc = b->ops->acc_rows(b, acc, y, 1, (const uint8_t *const *)&row, err);
        }
        if (rc == 0)
            rc = b->ops->acc_end(b, acc, err);
        uint8_t **rows = rc == 0 ? pp_malloc_array(d->strip, sizeof *rows, err) : NULL;
        void *scratch = NULL;
        if (rc == 0 && !rows)
            rc = PP_ENOMEM;
        if (rc == 0 && b->ops->scratch_bytes &&
            !(scratch = pp_malloc_aligned(b->ops->scratch_bytes(b, d->strip), err)))
            rc = PP_ENOMEM;
        for (size_t y = next->lo; y < next->hi && rc == 0; y += d->strip) {
            size_t m = next->hi - y < d->strip ? next->hi - y : d->strip;
            for (size_t i = 0; i < m; i++)
                rows[i] = rbuf_row(next, y + i);
            b->ops->emit(b, acc, y, m, rows, scratch);
        }
        free(scratch);
        free(rows);
    }
    if (acc)
        b->ops->acc_free(acc);
    if (region.mem)
        track(d, &region, false);
    rbuf_free(&region);
    free(reg);
    return rc;
}

/* ---- output ---- */

static int write_output(drun *d, const pp_dist_sink *out, const rbuf *blk, const pp__rect *own,
                        pp_err *err)
{
    const pp_comm *c = d->comm;
    uint64_t t0 = pp_clock_ns();
    bool gathers = !out->parallel && c->rank == 0, sends = !out->parallel && c->rank != 0;
    uint8_t **rows = sends ? NULL : pp_malloc_array(d->strip, sizeof *rows, err);
    uint8_t *strip = gathers ? pp_malloc_array(d->strip, blk->rb ? blk->rb : 1, err) : NULL;
    int rc = (!sends && !rows) || (gathers && !strip) ? PP_ENOMEM : 0;
    /* every rank has its buffers, or no rank sends or waits */
    rc = agree(d, rc, err);
    if (rc == 0 && out->parallel) {
        for (size_t y = blk->lo; y < blk->hi && rc == 0; y += d->strip) {
            size_t m = blk->hi - y < d->strip ? blk->hi - y : d->strip;
            for (size_t i = 0; i < m; i++)
                rows[i] = rbuf_row(blk, y + i);
            rc = out->write_rows(out->ctx, y, m, (const uint8_t *const *)rows, err);
        }
    } else if (rc == 0 && sends) {
        for (size_t y = blk->lo; y < blk->hi && rc == 0; y += d->strip) {
            size_t m = blk->hi - y < d->strip ? blk->hi - y : d->strip;
            rc = c->send(c->ctx, 0, rbuf_row(blk, y), m * blk->rb, err);
        }
    } else if (rc == 0) {
        /* After a write error rank 0 still receives every block, so the
         * senders finish; the error is returned at the end. */
        int wrc = 0;
        for (int q = 0; q < c->size && rc == 0; q++) {
            for (size_t y = own[q].y0; y < own[q].y1 && rc == 0; y += d->strip) {
                size_t m = own[q].y1 - y < d->strip ? own[q].y1 - y : d->strip;
                if (q != 0)
                    rc = c->recv(c->ctx, q, strip, m * blk->rb, err);
                for (size_t i = 0; i < m; i++)
                    rows[i] = q == 0 ? rbuf_row(blk, y + i) : strip + i * blk->rb;
                if (rc == 0 && wrc == 0)
                    wrc = out->sink.write(out->sink.ctx, y, m, (const uint8_t *const *)rows, err);
            }
        }
        if (rc == 0)
            rc = wrc;
    }
    free(strip);
    free(rows);
    d->st->write_ns += pp_clock_ns() - t0;
    return rc;
}

/* ---- the plan ---- */

/* Every rank's block of h rows, and the input rows each block needs. */
static int plan_blocks(const drun *d, const pp__seg *s, pp__rect **own, pp__rect **need,
                       pp_err *err)
{
    int n = d->comm->size;
    *own = calloc((size_t)n, sizeof **own);
    *need = calloc((size_t)n, sizeof **need);
    if (!*own || !*need)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    for (int q = 0; q < n; q++) {
        size_t y0, y1, lo = 0, hi = 0;
        block_of(s->out.height, q, n, &y0, &y1);
        (*own)[q] = (pp__rect){0, s->out.width, y0, y1};
        if (y1 > y0)
            pp__seg_source_span(d->p, s, y0, y1, &lo, &hi);
        (*need)[q] = (pp__rect){0, s->in.width, lo, hi > lo ? hi : lo};
    }
    return 0;
}

/* Runs segment i given its input rows in `in` (consumed); leaves the next
 * segment's input in `in`, or writes the output. */
static int run_seg(drun *d, const pp__seg *segs, size_t nseg, size_t i, rbuf *in,
                   const pp_dist_sink *out, pp_err *err)
{
    const pp_comm *c = d->comm;
    const pp__seg *s = &segs[i];
    pp__rect *own = NULL, *need = NULL, *own2 = NULL, *need2 = NULL;
    rbuf blk = {0}, emitted = {0}, next = {0};
    bool stream_in = i == 0 && d->stream, stream_out = !s->to_barrier && out->parallel;
    int rc = plan_blocks(d, s, &own, &need, err);
    const pp__rect *mine = rc == 0 ? &own[c->rank] : NULL;
    if (rc == 0 && !stream_out && (rc = rbuf_alloc(&blk, mine, s->out.channels, err)) == 0)
        track(d, &blk, true);
    if (rc == 0)
        rc = compute_block(d, s, in, stream_in, stream_out ? NULL : &blk, out, mine->y0,
                           mine->y1, err);
    if (in->mem)
        track(d, in, false);
    rbuf_free(in);
    if ((rc = agree(d, rc, err)) < 0)
        goto done;
    if (!s->to_barrier) {
        d->st->rows = mine->y1 - mine->y0;
        if (!stream_out)
            rc = agree(d, write_output(d, out, &blk, own, err), err);
        goto done;
    }
    const pp__stage *b = s->to_barrier;
    (void)nseg;
    rc = plan_blocks(d, &segs[i + 1], &own2, &need2, err);
    if (rc == 0 && (rc = rbuf_alloc(&next, &need2[c->rank], b->out.channels, err)) == 0)
        track(d, &next, true);
    if ((rc = agree(d, rc, err)) < 0)
        goto done;
    if (b->ops->acc_region) {
        rc = region_barrier(d, b, own, &blk, need2, &next, err);
    } else {
        rc = agree(d, local_barrier(d, b, own, &blk, &emitted, err), err);
        if (rc == 0)
            rc = gather(d, own, need2, &emitted, &next, err);
    }
    rc = agree(d, rc, err);
    if (rc == 0) {
        *in = next;
        next.mem = NULL;
    }
done:
    if (emitted.mem)
        track(d, &emitted, false);
    if (blk.mem)
        track(d, &blk, false);
    if (next.mem)
        track(d, &next, false);
    rbuf_free(&emitted);
    rbuf_free(&blk);
    rbuf_free(&next);
    free(own);
    free(need);
    free(own2);
    free(need2);
    return rc;
}

int pp_plan_run_dist(const pp_plan *p, const pp_comm *comm, const pp_dist_source *src,
                     const pp_dist_sink *out, const pp_exec_opts *opts, pp_dist_stats *stats,
                     pp_err *err)
{
    pp_exec_opts defaults;
    if (!opts) {
        pp_exec_opts_default(&defaults);
        opts = &defaults;
    }
    pp_dist_stats local;
    drun d = {p, comm, opts, stats ? stats : &local, pp__pick_strip(p, opts->strip_rows), 0};
    memset(d.st, 0, sizeof *d.st);
    uint64_t t0 = pp_clock_ns();
    if (src->fmt.width != p->in.width || src->fmt.height != p->in.height ||
        src->fmt.channels != p->in.channels)
        return pp_err_set(err, PP_EINVAL, "source format does not match the plan");
    pp__seg *segs = pp_malloc_array(p->nstages + 1, sizeof *segs, err);
    if (!segs)
        return PP_ENOMEM;
    size_t nseg = pp__split_segments(p, segs);
    pp__rect *own = NULL, *need = NULL;
    rbuf in = {0};
    int rc = plan_blocks(&d, &segs[0], &own, &need, err);
    if (src->local) {
        d.stream = src; /* segment 0 reads as it computes */
    } else {
        if (rc == 0 && (rc = rbuf_alloc(&in, &need[comm->rank], p->in.channels, err)) == 0)
            track(&d, &in, true);
        rc = read_scatter(&d, src, need, &in, rc, err);
    }
    rc = agree(&d, rc, err);
    for (size_t i = 0; i < nseg && rc == 0; i++)
        rc = run_seg(&d, segs, nseg, i, &in, out, err);
    rbuf_free(&in);
    free(own);
    free(need);
    free(segs);
    d.st->total_ns = pp_clock_ns() - t0;
    return rc;
}
