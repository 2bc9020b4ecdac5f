/* MPI start-up and identity. MPI_THREAD_FUNNELED is all pixpipe needs: only a
 * rank's main thread calls MPI; worker threads never do. */
#include <mpi.h>

#include "pixpipe/dist.h"

bool pp_mpi_available(void)
{
    return true;
}

int pp_mpi_init(int *argc, char ***argv, pp_err *err)
{
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return pp_err_set(err, PP_EIO, "MPI_Init_thread failed");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        return pp_err_set(err, PP_EUNSUPPORTED,
                          "this MPI grants thread level %d; pixpipe needs MPI_THREAD_FUNNELED",
                          provided);
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
