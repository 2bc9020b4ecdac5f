/* MPI start-up and identity. A batch calls MPI from each rank's main thread
 * only (FUNNELED); one image on threads also writes strips with MPI-IO from
 * worker threads, one at a time (SERIALIZED). */
#include <mpi.h>

#include "pixpipe/dist.h"

bool pp_mpi_available(void)
{
    return true;
}

int pp_mpi_init(int *argc, char ***argv, bool serialized, pp_err *err)
{
    int want = serialized ? MPI_THREAD_SERIALIZED : MPI_THREAD_FUNNELED, provided = 0;
    if (MPI_Init_thread(argc, argv, want, &provided) != MPI_SUCCESS)
        return pp_err_set(err, PP_EIO, "MPI_Init_thread failed");
    if (provided < want) {
        MPI_Finalize();
        return pp_err_set(err, PP_EUNSUPPORTED, "this MPI grants thread level %d; pixpipe needs %s",
                          provided, serialized ? "MPI_THREAD_SERIALIZED" : "MPI_THREAD_FUNNELED");
    }
    return 0;
}

void pp_mpi_finalize(void)
{
    MPI_Finalize();
}

int pp_mpi_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int pp_mpi_size(void)
{
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}
