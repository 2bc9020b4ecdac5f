/* pp_comm over MPI_COMM_WORLD. Messages larger than MPI's int counts are cut
 * into chunks of at most 1 GiB; chunks between two ranks are matched in
 * order (MPI does not let messages of one tag overtake each other). Only
 * the calling rank's main thread uses it. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/dist.h"

#define CHUNK ((size_t)1 << 30)

enum { TAG_EXCHANGE = 21, TAG_P2P = 22 };

static int mpi_fail(pp_err *err, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return pp_err_set(err, PP_EIO, "MPI %s failed: %.*s", what, len, msg);
}

static int mpi_sum(void *ctx, uint64_t *v, size_t n, pp_err *err)
{
    (void)ctx;
    for (size_t i = 0; i < n; i += INT_MAX / 8) {
        size_t m = n - i < INT_MAX / 8 ? n - i : INT_MAX / 8;
        int rc = MPI_Allreduce(MPI_IN_PLACE, v + i, (int)m, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "Allreduce");
    }
    return 0;
}

static int mpi_any(void *ctx, bool *flag, pp_err *err)
{
    (void)ctx;
    int f = *flag;
    int rc = MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, rc, "Allreduce");
    *flag = f != 0;
    return 0;
}

static size_t chunks(size_t len)
{
    return (len + CHUNK - 1) / CHUNK;
}

static int mpi_exchange(void *ctx, const uint8_t *const *send, const size_t *slen,
                        uint8_t *const *recv, const size_t *rlen, pp_err *err)
{
    (void)ctx;
    int n, me;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    size_t nreq = 0;
    for (int q = 0; q < n; q++)
        if (q != me)
            nreq += chunks(slen[q]) + chunks(rlen[q]);
    MPI_Request *req = calloc(nreq ? nreq : 1, sizeof *req);
    if (!req)
        return pp_err_set(err, PP_ENOMEM, "out of memory");
    if (rlen[me])
        memcpy(recv[me], send[me], rlen[me] < slen[me] ? rlen[me] : slen[me]);
    size_t k = 0;
    for (int q = 0; q < n; q++)
        for (size_t off = 0; q != me && off < rlen[q]; off += CHUNK)
            MPI_Irecv(recv[q] + off, (int)(rlen[q] - off < CHUNK ? rlen[q] - off : CHUNK),
                      MPI_BYTE, q, TAG_EXCHANGE, MPI_COMM_WORLD, &req[k++]);
    for (int q = 0; q < n; q++)
        for (size_t off = 0; q != me && off < slen[q]; off += CHUNK)
            MPI_Isend(send[q] + off, (int)(slen[q] - off < CHUNK ? slen[q] - off : CHUNK),
                      MPI_BYTE, q, TAG_EXCHANGE, MPI_COMM_WORLD, &req[k++]);
    int rc = MPI_Waitall((int)k, req, MPI_STATUSES_IGNORE);
    free(req);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "exchange");
}

static int mpi_send(void *ctx, int to, const void *buf, size_t len, pp_err *err)
{
    (void)ctx;
    const uint8_t *p = buf;
    for (size_t off = 0; off < len; off += CHUNK) {
        int rc = MPI_Send(p + off, (int)(len - off < CHUNK ? len - off : CHUNK), MPI_BYTE, to,
                          TAG_P2P, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "Send");
    }
    return 0;
}

static int mpi_recv(void *ctx, int from, void *buf, size_t len, pp_err *err)
{
    (void)ctx;
    uint8_t *p = buf;
    for (size_t off = 0; off < len; off += CHUNK) {
        int rc = MPI_Recv(p + off, (int)(len - off < CHUNK ? len - off : CHUNK), MPI_BYTE, from,
                          TAG_P2P, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "Recv");
    }
    return 0;
}

pp_comm pp_mpi_comm(void)
{
    pp_comm c;
    memset(&c, 0, sizeof c);
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    c.sum = mpi_sum;
    c.any = mpi_any;
    c.exchange = mpi_exchange;
    c.send = mpi_send;
    c.recv = mpi_recv;
    return c;
}
