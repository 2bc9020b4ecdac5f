/* One file through decode -> encode, streamed strip by strip into an atomic
 * output file. Timing is split by stage so the journal and reports can say
 * where the time went. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pixpipe/engine.h"
#include "pixpipe/file.h"

#define STRIP_ROWS 16

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

static int stream_rows(pp_decoder *d, pp_encoder *e, const pp_process_opts *o,
                       pp_process_stats *st, const char *in, const char *out, pp_err *err)
{
    const pp_image_info *info = pp_decoder_info(d);
    size_t row = info->width * (size_t)info->channels, stride = row;
    uint8_t *buf = pp_malloc_array(stride, STRIP_ROWS, err);
    if (!buf)
        return PP_ENOMEM;
    int rc = 0;
    for (size_t y = 0; y < info->height && rc == 0; y += STRIP_ROWS) {
        size_t n = info->height - y < STRIP_ROWS ? info->height - y : STRIP_ROWS;
        if (pp_canceled(o->cancel)) {
            rc = pp_err_set(err, PP_ECANCELED, "%s: canceled", out);
            break;
        }
        uint64_t t0 = pp_clock_ns();
        rc = pp_decoder_read(d, buf, stride, n, err);
        uint64_t t1 = pp_clock_ns();
        st->decode_ns += t1 - t0;
        if (rc < 0) {
            pp_err_prefix(err, "%s", in);
            break;
        }
        rc = pp_encoder_write(e, buf, stride, n, err);
        st->encode_ns += pp_clock_ns() - t1;
        if (rc < 0)
            pp_err_prefix(err, "%s", out);
    }
    free(buf);
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
    pp_format fmt = {info->width, info->height, info->channels};
    st->in_fmt = st->out_fmt = fmt;
    st->in_codec = info->codec;
    st->out_codec = pp_output_codec(out, o->format, info->codec);
    if ((rc = pp_outfile_open(&of, out, o->make_dirs, err)) < 0) {
        pp_err_prefix(err, "%s", out);
        goto done;
    }
    of.sync = o->sync;
    size_t icc_len;
    const uint8_t *icc = pp_decoder_icc(d, &icc_len);
    uint64_t t0 = pp_clock_ns();
    e = pp_encoder_open(of.fp, st->out_codec, &fmt, &o->enc, icc, icc_len, err);
    st->encode_ns += pp_clock_ns() - t0;
    if (!e) {
        rc = err ? err->code : PP_EIO;
        pp_err_prefix(err, "%s", out);
        goto done;
    }
    if ((rc = stream_rows(d, e, o, st, in, out, err)) < 0)
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
    pp_decoder_free(d);
    struct stat sb;
    if (rc == 0 && stat(in, &sb) == 0)
        st->in_bytes = (size_t)sb.st_size;
    if (rc == 0 && stat(out, &sb) == 0)
        st->out_bytes = (size_t)sb.st_size;
    st->total_ns = pp_clock_ns() - start;
    return rc;
}
