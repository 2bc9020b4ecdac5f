/* One image across MPI ranks: the files around pp_plan_run_dist.
 *
 * Input: every rank reads the header. When the format streams with cheap
 * skipping (baseline JPEG, TIFF, PNM) every rank opens the file and reads
 * only the rows its block needs; otherwise (PNG, WebP, progressive JPEG,
 * EXIF-rotated images) rank 0 decodes and sends each rank its rows.
 * Output: rank 0 creates the temporary output file. A PNM is written in
 * parallel: rank 0 writes the header, every rank writes its rows at their
 * offset with MPI-IO; anything else is encoded by rank 0 from the blocks it
 * receives in order. Rank 0 renames the file into place once every rank
 * succeeded, or removes it.
 */
#include <fcntl.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pixpipe/dist.h"
#include "pixpipe/file.h"
#include "pixpipe/pool.h"

/* ---- input ---- */

typedef struct in_ctx {
    const char *path;
    const pp_decode_opts *dec;
    pp_codec_rows rows;
} in_ctx;

static int in_open(void *ctx, pp_row_source *src, pp_err *err)
{
    in_ctx *c = ctx;
    c->rows.path = c->path;
    c->rows.dec = pp_decoder_open_file(c->path, c->dec, err);
    if (!c->rows.dec) {
        pp_err_prefix(err, "%s", c->path);
        return err ? err->code : PP_EIO;
    }
    *src = pp_decoder_rows(&c->rows);
    return 0;
}

static void in_close(void *ctx)
{
    in_ctx *c = ctx;
    pp_decoder_free(c->rows.dec);
    c->rows.dec = NULL;
}

static bool reads_locally(const pp_image_info *i)
{
    return i->streams &&
           (i->codec == PP_CODEC_JPEG || i->codec == PP_CODEC_TIFF || i->codec == PP_CODEC_PNM);
}

/* ---- output ---- */

typedef struct out_ctx {
    pp_outfile of;        /* rank 0 */
    pp_encoder *enc;      /* rank 0, gathered output */
    pp_codec_rows rows;
    MPI_File fh;          /* parallel PNM */
    bool fh_open;
    int wb_fd;            /* parallel PNM with sync: starts writeback, or -1 */
    uint64_t header;      /* PNM header bytes */
    pp_format fmt;        /* plan output */
    int file_channels;    /* PNM holds 1 or 3 */
    uint8_t *conv;        /* rows converted to file channels */
    size_t conv_rows;
} out_ctx;

/* MPI counts are ints: rows go out in writes of at most this. */
#define MAX_WRITE_BYTES ((size_t)1 << 30)

static int pnm_write_rows(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    out_ctx *o = ctx;
    size_t rb = o->fmt.width * (size_t)o->file_channels;
    if (n > o->conv_rows) {
        uint8_t *g = realloc(o->conv, n * rb);
        if (!g)
            return pp_err_set(err, PP_ENOMEM, "out of memory");
        o->conv = g;
        o->conv_rows = n;
    }
    for (size_t i = 0; i < n; i++)
        pp_convert_row(rows[i], o->fmt.channels, o->conv + i * rb, o->file_channels,
                       o->fmt.width);
    MPI_Offset off = (MPI_Offset)(o->header + (uint64_t)y0 * rb);
    if (rb > MAX_WRITE_BYTES)
        return pp_err_set(err, PP_ELIMIT, "a row of %zu bytes is too wide for MPI-IO", rb);
    size_t per = MAX_WRITE_BYTES / rb;
    for (size_t i = 0; i < n; i += per) {
        size_t k = n - i < per ? n - i : per;
        if (MPI_File_write_at(o->fh, off + (MPI_Offset)(i * rb), o->conv + i * rb, (int)(k * rb),
                              MPI_BYTE, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return pp_err_set(err, PP_EIO, "MPI-IO write failed");
    }
    if (o->wb_fd >= 0)
        pp_file_start_writeback(o->wb_fd, (uint64_t)off, n * rb);
    return 0;
}

/* Rank 0 creates the temporary file (and the encoder, or the PNM header);
 * with a parallel PNM every rank then opens it with MPI-IO. Collective. */
static int out_begin(out_ctx *o, const char *path, bool parallel, pp_codec_id codec,
                     const pp_process_opts *po, const uint8_t *icc, size_t icc_len, pp_err *err)
{
    int rank = pp_mpi_rank(), rc = 0;
    char tmp[4096] = "";
    if (rank == 0) {
        rc = pp_outfile_open(&o->of, path, po->make_dirs, err);
        if (rc < 0)
            pp_err_prefix(err, "%s", path);
        o->of.sync = po->sync;
        if (rc == 0 && parallel) {
            o->file_channels = o->fmt.channels <= 2 ? 1 : 3;
            int n = fprintf(o->of.fp, "P%c\n%zu %zu\n255\n", o->file_channels == 1 ? '5' : '6',
                            o->fmt.width, o->fmt.height);
            o->header = n > 0 ? (uint64_t)n : 0;
            if (n < 0 || fflush(o->of.fp) != 0)
                rc = pp_err_set(err, PP_EIO, "%s: cannot write the header", path);
            snprintf(tmp, sizeof tmp, "%s", o->of.tmp);
        } else if (rc == 0) {
            o->enc = pp_encoder_open(o->of.fp, codec, &o->fmt, &po->enc, icc, icc_len, err);
            if (!o->enc) {
                rc = err ? err->code : PP_EIO;
                pp_err_prefix(err, "%s", path);
            }
            o->rows = (pp_codec_rows){NULL, o->enc, path};
        }
    }
    int ok = rc == 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok)
        return rank == 0 ? rc : pp_err_set(err, PP_EIO, "rank 0 could not create %s", path);
    if (!parallel)
        return 0;
    uint64_t hdr[2] = {o->header, (uint64_t)o->file_channels};
    MPI_Bcast(tmp, (int)sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(hdr, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    o->header = hdr[0];
    o->file_channels = (int)hdr[1];
    int mrc = MPI_File_open(MPI_COMM_WORLD, tmp, MPI_MODE_WRONLY, MPI_INFO_NULL, &o->fh);
    o->fh_open = mrc == MPI_SUCCESS;
    /* the disk writes overlap the computation instead of all waiting for
     * the final fsync (MPI-IO has no such hint) */
    if (o->fh_open && po->sync)
        o->wb_fd = open(tmp, O_WRONLY | O_CLOEXEC);
    int all = o->fh_open;
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return all ? 0 : pp_err_set(err, PP_EIO, "%s: MPI-IO cannot open the output", path);
}

/* Closes everything; rank 0 renames the file when every rank succeeded. */
static int out_end(out_ctx *o, int rc, pp_err *err)
{
    if (o->fh_open)
        MPI_File_close(&o->fh);
    if (o->wb_fd >= 0)
        close(o->wb_fd);
    int ok = rc == 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (pp_mpi_rank() == 0) {
        if (ok && o->enc)
            ok = pp_encoder_finish(o->enc, err) == 0;
        if (ok)
            ok = pp_outfile_commit(&o->of, err) == 0;
        pp_encoder_free(o->enc);
        pp_outfile_abort(&o->of);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(o->conv);
    if (!ok && rc == 0)
        rc = pp_mpi_rank() == 0 ? (err ? err->code : PP_EIO)
                                : pp_err_set(err, PP_EIO, "rank 0 could not finish the output");
    return rc;
}

/* ---- figures ---- */

static void gather_reports(const pp_dist_stats *st, pp_mpi_apply_result *res)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    pp_mpi_rank_report mine = {st->rows, st->peak_bytes, (uint64_t)ru.ru_maxrss, st->read_ns,
                               st->compute_ns, st->exchange_ns, st->write_ns, st->total_ns};
    int n = pp_mpi_size();
    pp_mpi_rank_report *all = pp_mpi_rank() == 0 ? calloc((size_t)n, sizeof *all) : NULL;
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    res->ranks = all;
}

/* Header of the input on every rank; the plan for it. */
static pp_plan *plan_input(const char *in, const pp_mpi_apply_opts *o, pp_image_info *info,
                           pp_err *err)
{
    pp_decoder *d = pp_decoder_open_file(in, &o->proc.dec, err);
    if (!d) {
        pp_err_prefix(err, "%s", in);
        return NULL;
    }
    *info = *pp_decoder_info(d);
    pp_decoder_free(d);
    pp_format f = {info->width, info->height, info->channels};
    pp_plan *plan = pp_plan_new(o->proc.pipeline, &f, err);
    if (!plan)
        pp_err_prefix(err, "%s", in);
    return plan;
}

static const uint8_t *input_icc(const char *in, const pp_mpi_apply_opts *o, const pp_format *f,
                                const pp_format *out, size_t *len, pp_decoder **keep)
{
    *keep = pp_decoder_open_file(in, &o->proc.dec, NULL);
    *len = 0;
    return *keep ? pp_carried_icc(*keep, f, out, len) : NULL;
}

int pp_mpi_apply(const char *in, const char *out, const pp_mpi_apply_opts *o,
                 pp_mpi_apply_result *res, pp_err *err)
{
    memset(res, 0, sizeof *res);
    res->nranks = pp_mpi_size();
    uint64_t t0 = pp_clock_ns();
    pp_image_info info;
    memset(&info, 0, sizeof info);
    pp_plan *plan = NULL;
    int rc = pp_same_file(in, out)
                 ? pp_err_set(err, PP_EINVAL, "%s: output would overwrite the input", out)
                 : 0;
    if (rc == 0 && !(plan = plan_input(in, o, &info, err)))
        rc = err ? err->code : PP_EINVAL;
    int ok = rc == 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!ok) {
        pp_plan_free(plan);
        return rc < 0 ? rc : pp_err_set(err, PP_EIO, "another rank could not read %s", in);
    }
    res->in = (pp_format){info.width, info.height, info.channels};
    res->out = pp_plan_output(plan);
    pp_codec_id codec = pp_output_codec(out, o->proc.format, info.codec);
    res->local_read = reads_locally(&info) && !o->force_scatter;
    res->parallel_write = codec == PP_CODEC_PNM && !o->force_gather;

    out_ctx oc;
    memset(&oc, 0, sizeof oc);
    oc.wb_fd = -1;
    oc.fmt = res->out;
    pp_decoder *icc_owner = NULL;
    size_t icc_len = 0;
    const uint8_t *icc = pp_mpi_rank() == 0 && !res->parallel_write
                             ? input_icc(in, o, &res->in, &res->out, &icc_len, &icc_owner)
                             : NULL;
    rc = out_begin(&oc, out, res->parallel_write, codec, &o->proc, icc, icc_len, err);
    if (rc == 0) {
        in_ctx ic = {in, &o->proc.dec, {NULL, NULL, in}};
        pp_dist_source src = {res->in, res->local_read, in_open, in_close, &ic};
        pp_dist_sink sink = {res->parallel_write, pp_encoder_rows(&oc.rows), pnm_write_rows, &oc};
        pp_comm comm = pp_mpi_comm();
        int threads = o->proc.threads > 1 ? o->proc.threads : 1;
        pp_exec_opts eo;
        pp_exec_opts_default(&eo);
        eo.strip_rows = o->proc.strip_rows;
        eo.cancel = o->proc.cancel;
        eo.threads = threads;
        eo.pool = threads > 1 ? pp_pool_new(threads - 1, NULL) : NULL;
        pp_dist_stats st;
        rc = pp_plan_run_dist(plan, &comm, &src, &sink, &eo, &st, err);
        pp_pool_free(eo.pool);
        gather_reports(&st, res);
    }
    rc = out_end(&oc, rc, err);
    pp_decoder_free(icc_owner);
    pp_plan_free(plan);
    res->wall_ns = pp_clock_ns() - t0;
    return rc;
}
