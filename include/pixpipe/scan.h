/* pixpipe folder scanning and output naming, shared by batch, watch and MPI.
 *
 * A scan walks a folder recursively and reports every regular file that may
 * be an image. Ignored: hidden names (".*"), temporary names ("*.part",
 * "*.tmp", "*~"), symbolic links (never followed), anything that is not a
 * regular file, and an excluded subtree (the output folder when it lies
 * inside the input folder).
 */
#ifndef PIXPIPE_SCAN_H
#define PIXPIPE_SCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "pixpipe/codec.h"

typedef struct pp_scan_entry {
    const char *path; /* full path (valid during the callback) */
    const char *rel;  /* path relative to the scanned root */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t dev, ino;
} pp_scan_entry;

/* Returns 0 to continue, non-zero to stop the scan (returned by pp_scan). */
typedef int (*pp_scan_fn)(const pp_scan_entry *e, void *ctx);

/* Walks root recursively in name order. exclude (may be NULL) is a folder
 * whose subtree is skipped. Unreadable subfolders are skipped with a
 * warning. Fails with PP_ENOENT / PP_ENOTFILE when root is missing or not a
 * folder. */
int pp_scan(const char *root, const char *exclude, pp_scan_fn fn, void *ctx, pp_err *err);

/* True for names a scan and the folder watcher ignore. */
bool pp_scan_ignored_name(const char *name);

/* True when the file looks like an image: a known extension, or magic bytes
 * of a supported format. */
bool pp_scan_is_candidate(const char *path, const char *name);

/* OUT_DIR[/name]/rel, with rel's extension replaced by the format's when
 * `format` is not UNKNOWN. malloc'd. */
char *pp_output_path(const char *out_dir, const char *name, const char *rel, pp_codec_id format,
                     pp_err *err);

#endif
