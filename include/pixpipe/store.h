/* pixpipe stores: where input bytes come from (a source) and where output
 * bytes go (a sink), behind two small interfaces.
 *
 * Backends: a local folder now ("DIR" or "file://DIR"); S3-compatible
 * buckets later, behind the same structs. The engine opens a store by its
 * spec (pp_source_open, pp_sink_open) and only ever calls through the ops
 * tables below, never a backend by name.
 *
 * Keys: an item is named by a key, its path relative to the store's root
 * with '/' separators ("sub/a.png"). Keys never start with '/' and never
 * contain "." or ".." components.
 *
 * Sources.
 *  - pump delivers the items that are complete: for a local folder, the
 *    initial recursive scan, then inotify (IN_CLOSE_WRITE, IN_MOVED_TO, new
 *    subfolders) or periodic rescans (poll mode). Files found by a scan are
 *    delivered only once their size and modification time have stayed the
 *    same for `settle` seconds. The ignore rules are scan.h's: hidden and
 *    temporary names, symbolic links (never followed), non-regular files,
 *    files that do not look like images, and excluded subtrees.
 *  - The same key may be delivered more than once (a file rewritten, a
 *    rescan after an inotify overflow): consumers deduplicate by content
 *    hash (pp_source_ops.hash).
 *  - fetch gives a local file with the item's bytes for pp_process_file
 *    (the file itself for a local folder; a downloaded copy for a bucket).
 *
 * Sinks.
 *  - prepare gives the local path to write an output key to; the writer
 *    writes it atomically (pp_process_file does), then calls commit, which
 *    publishes it (nothing more for a local folder; an upload for a bucket).
 *  - discard removes what an interrupted writer of that key left behind.
 *  - sweep removes the temporary files their writers abandoned (for a local
 *    folder, pp_sweep_temps's rule); live writers of other tools writing
 *    into the same folder keep theirs.
 *  - quarantine stores a failed input under _failed/<key> with
 *    <key>.error.json beside it, both written atomically.
 *
 * Ownership: strings returned by the ops are malloc'd and owned by the
 * caller. A pp_source or pp_sink belongs to one thread at a time; each
 * process opens its own (they hold no shared state besides the files).
 */
#ifndef PIXPIPE_STORE_H
#define PIXPIPE_STORE_H

#include <stdint.h>

#include "pixpipe/base.h"

/* ---- content hashing ----
 * "h64": a 64-bit non-cryptographic hash of the bytes (four multiply-rotate
 * lanes over 8-byte words, the tail, the length, and a final avalanche).
 * It tells an edited file from the old one; it is not meant to resist a
 * deliberate collision. Written as "h64:<16 hex digits>". */
typedef struct pp_hash64 {
    uint64_t lane[4];
    uint64_t total;
    uint8_t buf[32];
    size_t nbuf;
} pp_hash64;

void pp_hash64_init(pp_hash64 *h);
void pp_hash64_update(pp_hash64 *h, const void *data, size_t len);
uint64_t pp_hash64_final(const pp_hash64 *h);

#define PP_HASH_TEXT_MAX 32 /* "h64:" + 16 hex digits + NUL, with room to spare */

/* ---- items ---- */
typedef struct pp_store_item {
    const char *key; /* valid during the callback only */
    uint64_t size;
    int64_t mtime_ns;
} pp_store_item;

/* Called for each item that became complete. Return 0 to go on. */
typedef int (*pp_store_item_fn)(const pp_store_item *item, void *ctx);

/* ---- sources ---- */
typedef struct pp_source_opts {
    double settle_s;            /* scan-found files wait until unchanged this long */
    double poll_s;              /* > 0: rescan every poll_s seconds instead of inotify */
    const char *const *exclude; /* NULL-terminated folders never scanned (may be NULL) */
} pp_source_opts;

typedef struct pp_source pp_source;

typedef struct pp_source_ops {
    /* Starts watching, then scans the whole source once (what the scan finds
     * settles before pump delivers it). */
    int (*start)(pp_source *s, pp_err *err);
    /* A file descriptor that becomes readable when pump has work (inotify),
     * or -1 when there is none (poll mode): then call pump by time. */
    int (*fd)(const pp_source *s);
    /* Handles what happened since the last call without blocking long
     * (bounded by the number of events and pending files) and calls fn for
     * each item now complete. *next_ms receives how many milliseconds the
     * caller may wait before the next call when fd stays quiet (-1: until
     * fd is readable). Returns fn's non-zero value when fn stops it. */
    int (*pump)(pp_source *s, pp_store_item_fn fn, void *ctx, int *next_ms, pp_err *err);
    /* Content hash of the item's current bytes, "h64:<hex>", into out
     * (PP_HASH_TEXT_MAX bytes). *size receives the bytes hashed. */
    int (*hash)(pp_source *s, const char *key, char *out, uint64_t *size, pp_err *err);
    /* A local path holding the item's bytes (*path malloc'd). *temp tells
     * whether the caller must unlink it when done. */
    int (*fetch)(pp_source *s, const char *key, char **path, bool *temp, pp_err *err);
    void (*close)(pp_source *s);
} pp_source_ops;

struct pp_source {
    const pp_source_ops *ops;
};

/* Opens a source from its spec: a folder path (or "file://PATH"). The
 * folder must exist. Free with pp_source_close. */
pp_source *pp_source_open(const char *spec, const pp_source_opts *o, pp_err *err);
void pp_source_close(pp_source *s);

/* ---- sinks ---- */
typedef struct pp_sink pp_sink;

typedef struct pp_sink_ops {
    /* Local path to write key to (*path malloc'd); missing folders are made. */
    int (*prepare)(pp_sink *s, const char *key, char **path, pp_err *err);
    /* Publishes what was written at path (from prepare) under key. */
    int (*commit)(pp_sink *s, const char *key, const char *path, pp_err *err);
    /* Removes partial output an interrupted writer of key left behind. */
    void (*discard)(pp_sink *s, const char *key);
    /* Removes the abandoned temporary outputs; returns how many. */
    size_t (*sweep)(pp_sink *s);
    /* Copies the file at src_path to _failed/<key> (skipped when src_path is
     * NULL) and writes error_json to _failed/<key>.error.json. *where
     * receives the quarantine key ("_failed/<key>"), malloc'd. */
    int (*quarantine)(pp_sink *s, const char *key, const char *src_path, const char *error_json,
                      char **where, pp_err *err);
    void (*close)(pp_sink *s);
} pp_sink_ops;

struct pp_sink {
    const pp_sink_ops *ops;
};

/* Folder names a sink reserves at its root. */
#define PP_SINK_FAILED_DIR "_failed"

/* Opens a sink from its spec: a folder path (created when missing). */
pp_sink *pp_sink_open(const char *spec, pp_err *err);
void pp_sink_close(pp_sink *s);

/* ---- backends (called by pp_source_open / pp_sink_open only) ---- */
/* True for a well-formed key: relative, no empty, "." or ".." component. */
bool pp__store_key_safe(const char *key);
pp_source *pp__source_local_open(const char *dir, const pp_source_opts *o, pp_err *err);
pp_sink *pp__sink_local_open(const char *dir, pp_err *err);

#endif
