/* Built without MPI: every entry point says so. */
#include "pixpipe/dist.h"

bool pp_mpi_available(void)
{
    return false;
}

int pp_mpi_init(int *argc, char ***argv, bool serialized, pp_err *err)
{
    (void)argc;
    (void)argv;
    (void)serialized;
    return pp_err_set(err, PP_ENOTBUILT, "this pixpipe was built without MPI");
}

void pp_mpi_finalize(void)
{
}

int pp_mpi_rank(void)
{
    return 0;
}

int pp_mpi_size(void)
{
    return 1;
}

int pp_mpi_batch(const char *in_dir, const char *out_dir, const pp_named_pipeline *pipes,
                 size_t npipes, const pp_mpi_batch_opts *o, pp_mpi_batch_result *res,
                 pp_err *err)
{
    (void)in_dir;
    (void)out_dir;
    (void)pipes;
    (void)npipes;
    (void)o;
    (void)res;
    return pp_err_set(err, PP_ENOTBUILT, "this pixpipe was built without MPI");
}

int pp_mpi_apply(const char *in, const char *out, const pp_mpi_apply_opts *o,
                 pp_mpi_apply_result *res, pp_err *err)
{
    (void)in;
    (void)out;
    (void)o;
    (void)res;
    return pp_err_set(err, PP_ENOTBUILT, "this pixpipe was built without MPI");
}
