/* One file through decode -> pipeline -> encode into an atomic output file.
 * The decoder is the executor's row source and the encoder its row sink, so
 * rows stream from one to the other through every stage. Timing is split by
 * stage so the journal and reports can say where the time went. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pixpipe/engine.h"
#include "pixpipe/file.h"

void pp_process_opts_default(pp_process_opts *o)
{
    memset(o, 0, sizeof *o);
    pp_decode_opts_default(&o->dec);
    pp_encode_opts_default(&o->enc);
    o->format = PP_CODEC_UNKNOWN;
    o->sync = true;
}

pp_codec_id pp_output_codec(const char *out, pp_codec_id requested, pp_codec_id input)
{
    if (requested != PP_CODEC_UNKNOWN)
        return requested;
    pp_codec_id from_ext = pp_codec_from_path(out);
    return from_ext != PP_CODEC_UNKNOWN ? from_ext : input;
}

/* Rows arrive in order; rows the pipeline never needs (crop) are skipped. */
static int dec_read(void *ctx, size_t y0, size_t n, uint8_t *const *rows, pp_err *err)
{
    pp_codec_rows *s = ctx;
    size_t at = pp_decoder_row(s->dec);
    int rc = y0 > at ? pp_decoder_skip(s->dec, y0 - at, err) : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = pp_decoder_read(s->dec, rows[i], 0, 1, err);
    if (rc < 0 && rc != PP_ECANCELED)
        pp_err_prefix(err, "%s", s->path);
    return rc;
}

static int enc_write(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    (void)y0;
    pp_codec_rows *s = ctx;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = pp_encoder_write(s->enc, rows[i], 0, 1, err);
    if (rc < 0)
        pp_err_prefix(err, "%s", s->path);
    return rc;
}

pp_row_source pp_decoder_rows(pp_codec_rows *c)
{
    const pp_image_info *info = pp_decoder_info(c->dec);
    pp_row_source src = {{info->width, info->height, info->channels}, true, dec_read, c, NULL};
    return src;
}

pp_row_sink pp_encoder_rows(pp_codec_rows *c)
{
    pp_row_sink sink = {enc_write, c, NULL};
    return sink;
}

const uint8_t *pp_carried_icc(pp_decoder *d, const pp_format *in, const pp_format *out,
                              size_t *len)
{
    /* A profile describes the input's colour model: an RGB profile on a gray
     * result (grayscale, canny...) would be wrong, so it is dropped then. */
    if (pp_color_channels(out->channels) != pp_color_channels(in->channels)) {
        *len = 0;
        return NULL;
    }
    return pp_decoder_icc(d, len);
}

static int run_plan(pp_decoder *d, pp_encoder *e, const pp_plan *plan, const pp_process_opts *o,
                    const char *in, const char *out, pp_process_stats *st, pp_err *err)
{
    pp_codec_rows ds = {d, NULL, in}, es = {NULL, e, out};
    pp_row_source src = pp_decoder_rows(&ds);
    pp_row_sink sink = pp_encoder_rows(&es);
    pp_exec_opts eo;
    pp_exec_opts_default(&eo);
    eo.strip_rows = o->strip_rows;
    eo.cancel = o->cancel;
    eo.pool = o->pool;
    eo.threads = o->threads;
    pp_exec_stats xs;
    int rc = pp_plan_run(plan, &src, &sink, &eo, &xs, err);
    st->decode_ns += xs.source_ns;
    st->encode_ns += xs.sink_ns;
    /* With strip parallelism decoding and encoding overlap, so their sum can
     * exceed the wall time; the filter share is then what is left, or 0. */
    uint64_t codec = xs.source_ns + xs.sink_ns;
    st->filter_ns += xs.total_ns > codec ? xs.total_ns - codec : 0;
    if (rc == PP_ECANCELED)
        pp_err_set(err, PP_ECANCELED, "%s: canceled", out);
    return rc;
}

int pp_process_file(const char *in, const char *out, const pp_process_opts *o,
                    pp_process_stats *stats, pp_err *err)
{
    pp_process_stats local;
    pp_process_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    uint64_t start = pp_clock_ns();
    pp_outfile of = {0};
    pp_encoder *e = NULL;
    pp_plan *plan = NULL;
    int rc;
    if (pp_same_file(in, out))
        return pp_err_set(err, PP_EINVAL, "%s: output would overwrite the input", out);
    pp_decoder *d = pp_decoder_open_file(in, &o->dec, err);
    if (!d) {
        pp_err_prefix(err, "%s", in);
        return err ? err->code : PP_EIO;
    }
    st->decode_ns = pp_clock_ns() - start;
    const pp_image_info *info = pp_decoder_info(d);
    st->in_fmt = (pp_format){info->width, info->height, info->channels};
    st->in_codec = info->codec;
    st->out_codec = pp_output_codec(out, o->format, info->codec);
    if (!(plan = pp_plan_new(o->pipeline, &st->in_fmt, err))) {
        rc = err ? err->code : PP_EINVAL;
        pp_err_prefix(err, "%s", in);
        goto done;
    }
    st->out_fmt = pp_plan_output(plan);
    if ((rc = pp_outfile_open(&of, out, o->make_dirs, err)) < 0) {
        pp_err_prefix(err, "%s", out);
        goto done;
    }
    of.sync = o->sync;
    size_t icc_len;
    const uint8_t *icc = pp_carried_icc(d, &st->in_fmt, &st->out_fmt, &icc_len);
    uint64_t t0 = pp_clock_ns();
    e = pp_encoder_open(of.fp, st->out_codec, &st->out_fmt, &o->enc, icc, icc_len, err);
    st->encode_ns += pp_clock_ns() - t0;
    if (!e) {
        rc = err ? err->code : PP_EIO;
        pp_err_prefix(err, "%s", out);
        goto done;
    }
    if ((rc = run_plan(d, e, plan, o, in, out, st, err)) < 0)
        goto done;
    t0 = pp_clock_ns();
    if ((rc = pp_encoder_finish(e, err)) == 0)
        rc = pp_outfile_commit(&of, err);
    else
        pp_err_prefix(err, "%s", out);
    st->encode_ns += pp_clock_ns() - t0;
done:
    pp_encoder_free(e);
    pp_outfile_abort(&of);
    pp_plan_free(plan);
    pp_decoder_free(d);
    struct stat sb;
    if (rc == 0 && stat(in, &sb) == 0)
        st->in_bytes = (size_t)sb.st_size;
    if (rc == 0 && stat(out, &sb) == 0)
        st->out_bytes = (size_t)sb.st_size;
    st->total_ns = pp_clock_ns() - start;
    return rc;
}
