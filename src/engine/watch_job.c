/* A watch job's output key. Its codec options travel as the canonical text
 * of pp_process_opts_text (engine.h): part of the job's identity, so
 * changing an option makes new jobs, and a worker rebuilds pp_process_opts
 * from the text alone, whatever its own process was started with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/scan.h"
#include "watch_impl.h"

char *pp__watch_output_key(const char *name, const char *key, pp_codec_id format, pp_err *err)
{
    /* pp_output_path under "." names the output exactly as batch does. */
    char *p = pp_output_path(".", name, key, format, err);
    if (!p)
        return NULL;
    memmove(p, p + 2, strlen(p + 2) + 1);
    return p;
}
