/* pixpipe file helpers: safe input opening and atomic output files.
 *
 * Inputs are opened with O_NOFOLLOW and must be regular files.
 * Outputs are written to a hidden temporary name in the destination folder
 * (".NAME.pp-XXXXXX.tmp"), flushed, synced, then renamed over NAME, so a
 * reader never sees a partial file and a failed run leaves nothing behind.
 */
#ifndef PIXPIPE_FILE_H
#define PIXPIPE_FILE_H

#include <stdio.h>

#include "pixpipe/base.h"

/* Opens path for reading. Fails with PP_ENOENT when missing, PP_ENOTFILE
 * when it is a symbolic link, a folder or another non-regular file, PP_EIO
 * on other errors. *size receives the file size. Close with fclose. */
FILE *pp_file_open_input(const char *path, size_t *size, pp_err *err);

/* Reads a whole regular file into a malloc'd buffer (NUL-terminated for
 * convenience; *len excludes the NUL). Refuses files over max_bytes. */
char *pp_file_read_all(const char *path, size_t max_bytes, size_t *len, pp_err *err);

/* Creates dir and its missing parents (mode 0755). */
int pp_mkdirs(const char *dir, pp_err *err);

/* True when both paths exist and name the same file (device and inode). */
bool pp_same_file(const char *a, const char *b);

/* Starts writing bytes [off, off + len) of fd to disk without waiting (len 0:
 * to the end of the file), so a large output is mostly on disk by the time it
 * is synced, and its dirty pages do not pile up in memory (Linux
 * sync_file_range; elsewhere nothing). */
void pp_file_start_writeback(int fd, uint64_t off, uint64_t len);

typedef struct pp_outfile {
    char *path; /* final name */
    char *tmp;  /* temporary name while open */
    FILE *fp;   /* write here */
    bool sync;  /* fsync the file before renaming (default true) */
    int fd;     /* under fp */
    uint64_t unsynced; /* bytes written since writeback was last started */
} pp_outfile;

/* Creates the temporary file for path. With make_dirs, missing parent folders
 * are created. Fails with PP_ECREATE. On success write to o->fp, then call
 * pp_outfile_commit or pp_outfile_abort exactly once. While the file is to be
 * synced, every few MB written are handed to the disk at once
 * (pp_file_start_writeback), so the final fsync waits only for the tail.
 * fp refers to o: do not move or copy o while it is open. */
int pp_outfile_open(pp_outfile *o, const char *path, bool make_dirs, pp_err *err);

/* Flushes, syncs, closes and renames the temporary file to its final name.
 * On failure the temporary file is removed. Frees the names either way. */
int pp_outfile_commit(pp_outfile *o, pp_err *err);

/* Closes and removes the temporary file. Safe on a zeroed pp_outfile. */
void pp_outfile_abort(pp_outfile *o);

/* True when a file name is one pixpipe uses for temporary output. */
bool pp_is_temp_name(const char *name);

/* Removes the temporary files pp_outfile makes for `base` in folder dir
 * (".BASE.pp-HOST-PID-XXXXXX.tmp"), whoever writes them: for a caller that
 * knows their writer is gone. Returns how many were removed. */
size_t pp_remove_temps(const char *dir, const char *base);

/* Removes the abandoned pixpipe temporary files under root (links not
 * followed): what a killed run left behind. A temporary is abandoned when
 * its writer, named in it, was a process on this host that no longer runs,
 * or when nothing has written it for an hour (a writer on another host, or
 * a name from a pixpipe that did not name writers). Temporaries of live
 * writers, such as another batch or a watch writing into the same folder,
 * are left alone. Returns how many were removed. */
size_t pp_sweep_temps(const char *root);

#endif
