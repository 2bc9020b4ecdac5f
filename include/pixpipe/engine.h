/* pixpipe engine: processing one file, the path every front end shares.
 *
 * pp_process_file decodes IN, runs the pipeline strip by strip (decoder rows
 * feed the first stage, the last stage feeds encoder rows) and encodes to
 * an atomic temporary file beside OUT, renamed into place only on success.
 * The CLI, the batch runner, the folder watcher, MPI ranks and (later) broker
 * workers and the HTTP server all call it; none keeps its own copy.
 */
#ifndef PIXPIPE_ENGINE_H
#define PIXPIPE_ENGINE_H

#include "pixpipe/codec.h"
#include "pixpipe/pipeline.h"

typedef struct pp_process_opts {
    const pp_pipeline *pipeline; /* NULL: decode and encode only */
    size_t strip_rows;           /* 0: the executor picks */
    struct pp_pool *pool;        /* optional: strip-level parallelism for this file */
    int threads;                 /* threads on this file (with pool); <= 1: serial */
    pp_decode_opts dec;
    pp_encode_opts enc;
    pp_codec_id format;      /* output format; UNKNOWN: from OUT's extension, else IN's */
    bool make_dirs;          /* create OUT's missing parent folders */
    bool sync;               /* fsync the output before renaming (default true) */
    const pp_cancel *cancel; /* optional: stop between strips, leave nothing behind */
} pp_process_opts;

void pp_process_opts_default(pp_process_opts *o);

typedef struct pp_process_stats {
    uint64_t decode_ns; /* time inside the decoder */
    uint64_t filter_ns; /* time inside the filters */
    uint64_t encode_ns; /* time inside the encoder and the output file */
    uint64_t total_ns;
    size_t in_bytes;
    size_t out_bytes;
    pp_format in_fmt;
    pp_format out_fmt;
    pp_codec_id in_codec;
    pp_codec_id out_codec;
} pp_process_stats;

/* Processes one file. Returns 0 or a PP_E* code; err's message starts with
 * the path it concerns (IN for input problems, OUT for output problems).
 * Refuses to write over IN. stats may be NULL. Thread-safe for distinct
 * files. */
int pp_process_file(const char *in, const char *out, const pp_process_opts *o,
                    pp_process_stats *stats, pp_err *err);

/* The canonical text of the codec options in o: every field that changes
 * the output bytes or whether an input is accepted, e.g. "format=auto
 * quality=90 subsampling=420 progressive=0 png_level=6 lossless=0
 * tiff=deflate strip=0 autorotate=1 max_pixels=N max_bytes=N max_scans=N".
 * Part of a job's identity (batch log, journal). malloc'd; NULL when out of
 * memory. */
char *pp_process_opts_text(const pp_process_opts *o);

/* Parses that text into o (defaults first); PP_EPARSE on anything else. */
int pp_process_opts_parse(const char *text, pp_process_opts *o, pp_err *err);

/* Row adaptors between codecs and the executor, for drivers that run a plan
 * themselves (MPI). The struct is the adaptor's state: keep it alive while
 * the source or sink is used. Errors are prefixed with `path`. */
typedef struct pp_codec_rows {
    pp_decoder *dec;
    pp_encoder *enc;
    const char *path;
} pp_codec_rows;

/* A sequential source over c->dec: rows it is not asked for are skipped. */
pp_row_source pp_decoder_rows(pp_codec_rows *c);

/* A sink writing rows to c->enc in order. */
pp_row_sink pp_encoder_rows(pp_codec_rows *c);

/* The ICC profile to write for an output of format `out` made from d's
 * image (format `in`): d's profile, or NULL when the colour model changed
 * (an RGB profile does not describe a gray result). */
const uint8_t *pp_carried_icc(pp_decoder *d, const pp_format *in, const pp_format *out,
                              size_t *len);

/* The output format for OUT under these options, given the input's format. */
pp_codec_id pp_output_codec(const char *out, pp_codec_id requested, pp_codec_id input);

#endif
