/* MPI determinism check: every pipeline of the golden manifests, on their
 * small inputs, through pp_plan_run_dist on all ranks, compared on rank 0
 * with the single-process result (pp_plan_run_image). Both ways of reading
 * (every rank reads its own rows; rank 0 reads and scatters) are checked.
 * The inputs are as small as 4x3 and 13x9, so with several ranks blocks are
 * much thinner than the halos.
 *
 *   mpirun -n N mpi_check MANIFEST... [--threads T]
 *
 * Prints one line per mismatch and a summary on rank 0; exits 1 on any
 * mismatch or error. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/codec.h"
#include "pixpipe/dist.h"
#include "pixpipe/pool.h"

typedef struct mem_src {
    const pp_image *im;
} mem_src;

static int mem_read(void *ctx, size_t y0, size_t n, uint8_t *const *rows, pp_err *err)
{
    (void)err;
    const pp_image *im = ((mem_src *)ctx)->im;
    for (size_t i = 0; i < n; i++)
        memcpy(rows[i], pp_image_row(im, y0 + i), im->width * (size_t)im->channels);
    return 0;
}

static int mem_open(void *ctx, pp_row_source *src, pp_err *err)
{
    (void)err;
    const pp_image *im = ((mem_src *)ctx)->im;
    *src = (pp_row_source){pp_image_format(im), true, mem_read, ctx, NULL};
    return 0;
}

static void mem_close(void *ctx)
{
    (void)ctx;
}

static int img_write(void *ctx, size_t y0, size_t n, const uint8_t *const *rows, pp_err *err)
{
    (void)err;
    pp_image *im = ctx;
    for (size_t i = 0; i < n; i++)
        memcpy(pp_image_row(im, y0 + i), rows[i], im->width * (size_t)im->channels);
    return 0;
}

/* Runs one case distributed; on rank 0 compares with ref. Returns 1 when it
 * differs or fails. */
static int check(const pp_plan *plan, const pp_image *in, const pp_image *ref, bool local,
                 pp_pool *pool, int threads, pp_err *err)
{
    pp_format of = pp_plan_output(plan);
    pp_image *out = pp_mpi_rank() == 0 ? pp_image_new(of.width, of.height, of.channels, err)
                                       : NULL;
    mem_src ms = {in};
    pp_dist_source src = {pp_image_format(in), local, mem_open, mem_close, &ms};
    pp_dist_sink sink = {false, {img_write, out, NULL}, NULL, NULL};
    pp_comm comm = pp_mpi_comm();
    pp_exec_opts eo;
    pp_exec_opts_default(&eo);
    eo.pool = pool;
    eo.threads = threads;
    eo.strip_rows = 3;
    int rc = pp_plan_run_dist(plan, &comm, &src, &sink, &eo, NULL, err);
    int bad = rc < 0;
    if (rc == 0 && out)
        bad = !pp_image_equal(out, ref);
    pp_image_free(out);
    return bad;
}

int main(int argc, char **argv)
{
    pp_err err;
    if (pp_mpi_init(&argc, &argv, true, &err) < 0) { /* --threads: serialized */
        fprintf(stderr, "mpi_check: %s\n", err.msg);
        return 1;
    }
    int threads = 1, rank = pp_mpi_rank();
    size_t cases = 0, failures = 0;
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc)
            threads = atoi(argv[a + 1]);
    pp_pool *pool = threads > 1 ? pp_pool_new(threads - 1, NULL) : NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--threads") == 0) {
            a++;
            continue;
        }
        FILE *f = fopen(argv[a], "r");
        if (!f) {
            fprintf(stderr, "mpi_check: cannot open %s\n", argv[a]);
            failures++;
            continue;
        }
        char dirbuf[1024];
        snprintf(dirbuf, sizeof dirbuf, "%s", argv[a]);
        const char *dir = dirname(dirbuf);
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#' || line[0] == '\n')
                continue;
            char *save = NULL, *fields[6];
            int n = 0;
            for (char *t = strtok_r(line, "\t\n", &save); t && n < 6; t = strtok_r(NULL, "\t\n", &save))
                fields[n++] = t;
            if (n != 6)
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, fields[1]);
            pp_image *in = pp_decode_file(path, NULL, NULL, &err);
            pp_pipeline *pipe = in ? pp_pipeline_parse(fields[5], &err) : NULL;
            pp_format fmt = in ? pp_image_format(in) : (pp_format){0, 0, 0};
            pp_plan *plan = pipe ? pp_plan_new(pipe, &fmt, &err) : NULL;
            pp_image *ref = plan && rank == 0 ? pp_plan_run_image(plan, in, NULL, &err) : NULL;
            if (!plan || (rank == 0 && !ref)) {
                fprintf(stderr, "mpi_check: %s %s: %s\n", fields[1], fields[5], err.msg);
                failures++;
            } else {
                for (int local = 1; local >= 0; local--) {
                    cases++;
                    if (check(plan, in, ref, local, pool, threads, &err)) {
                        failures++;
                        if (rank == 0)
                            printf("MISMATCH %s (%s read) %s\n", fields[1],
                                   local ? "local" : "scatter", fields[5]);
                    }
                }
            }
            pp_image_free(ref);
            pp_plan_free(plan);
            pp_pipeline_free(pipe);
            pp_image_free(in);
        }
        fclose(f);
    }
    pp_pool_free(pool);
    if (rank == 0)
        printf("mpi_check: %d ranks x %d threads: %zu cases, %zu mismatches\n", pp_mpi_size(),
               threads, cases, failures);
    pp_mpi_finalize();
    return rank == 0 && (failures || cases == 0) ? 1 : 0;
}
