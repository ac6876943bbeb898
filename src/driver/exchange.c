/* exchange.c - moving byte buffers between ranks.
 *
 * Open MPI 4.1 counts are int, so every buffer travels as its 64-bit
 * length followed by pieces of at most 1 GiB. */
#include "driver/exchange.h"

#include <stdlib.h>

#define PIECE ((size_t)1 << 30)

static int send_bytes(const unsigned char *buf, size_t len, int to, int tag,
                      MPI_Comm comm)
{
    uint64_t l = len;
    size_t off;
    if (MPI_Send(&l, 1, MPI_UINT64_T, to, tag, comm) != MPI_SUCCESS)
        return -1;
    for (off = 0; off < len; off += PIECE) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        if (MPI_Send(buf + off, (int)n, MPI_BYTE, to, tag, comm) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int recv_bytes(unsigned char **buf, size_t *len, int from, int tag,
                      MPI_Comm comm)
{
    uint64_t l;
    size_t off;
    unsigned char *b;
    if (MPI_Recv(&l, 1, MPI_UINT64_T, from, tag, comm, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS)
        return -1;
    b = malloc(l ? (size_t)l : 1);
    if (b == NULL)
        return -1;
    for (off = 0; off < l; off += PIECE) {
        size_t n = (size_t)l - off < PIECE ? (size_t)l - off : PIECE;
        if (MPI_Recv(b + off, (int)n, MPI_BYTE, from, tag, comm,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            free(b);
            return -1;
        }
    }
    *buf = b;
    *len = (size_t)l;
    return 0;
}

int exchange_bcast(unsigned char **buf, size_t *len, int root, MPI_Comm comm)
{
    int rank;
    uint64_t l;
    size_t off;

    MPI_Comm_rank(comm, &rank);
    l = rank == root ? *len : 0;
    if (MPI_Bcast(&l, 1, MPI_UINT64_T, root, comm) != MPI_SUCCESS)
        return -1;
    if (rank != root) {
        *buf = malloc(l ? (size_t)l : 1);
        if (*buf == NULL)
            return -1;
        *len = (size_t)l;
    }
    for (off = 0; off < l; off += PIECE) {
        size_t n = (size_t)l - off < PIECE ? (size_t)l - off : PIECE;
        if (MPI_Bcast(*buf + off, (int)n, MPI_BYTE, root, comm) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

int exchange_reduce(struct agg_partial *mine, MPI_Comm comm,
                    struct ocp_error *err)
{
    int rank, size, step, rc = OCP_OK;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* Binomial tree: at step s, ranks with bit s set send to rank - s and
     * drop out; the others receive from rank + s.  log2(size) rounds, and
     * every message holds groups, not input rows. */
    for (step = 1; step < size; step <<= 1) {
        if (rank & step) {
            unsigned char *buf = NULL;
            size_t len = 0;
            rc = agg_partial_serialize(mine, &buf, &len, err);
            if (rc != OCP_OK)
                return rc;
            if (send_bytes(buf, len, rank - step, 7, comm) != 0)
                rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                   "sending the partial to rank %d failed",
                                   rank - step);
            free(buf);
            return rc;
        }
        if (rank + step < size) {
            unsigned char *buf = NULL;
            size_t len = 0;
            if (recv_bytes(&buf, &len, rank + step, 7, comm) != 0)
                return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                                     "receiving the partial of rank %d failed",
                                     rank + step);
            rc = agg_partial_merge_serialized(mine, buf, len, err);
            free(buf);
            if (rc != OCP_OK)
                return rc;
        }
    }
    return rc;
}

int exchange_day_owner(int32_t day, int nranks)
{
    int m = (int)(day % nranks);
    return m < 0 ? m + nranks : m;
}

struct owner_ctx {
    int rank, nranks;
};

static int keep_owned(int32_t day, void *ctx)
{
    const struct owner_ctx *c = ctx;
    return exchange_day_owner(day, c->nranks) == c->rank;
}

void exchange_count_owned(const struct agg_partial *p, int rank, int nranks,
                          int64_t *pod_groups, int64_t *storage_groups)
{
    struct owner_ctx ctx;
    ctx.rank = rank;
    ctx.nranks = nranks;
    agg_partial_count_days(p, keep_owned, &ctx, pod_groups, storage_groups);
}

/* Sends `len` bytes to `to` while receiving from `from`, in pieces. */
static int swap_bytes(const unsigned char *sbuf, size_t slen, int to,
                      unsigned char **rbuf, size_t *rlen, int from,
                      MPI_Comm comm)
{
    uint64_t sl = slen, rl = 0;
    size_t off;
    unsigned char *b;

    if (MPI_Sendrecv(&sl, 1, MPI_UINT64_T, to, 11, &rl, 1, MPI_UINT64_T, from,
                     11, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return -1;
    b = malloc(rl ? (size_t)rl : 1);
    if (b == NULL)
        return -1;
    for (off = 0; off < (size_t)(sl > rl ? sl : rl); off += PIECE) {
        size_t sn = off < slen ? (slen - off < PIECE ? slen - off : PIECE) : 0;
        size_t rn = off < (size_t)rl ? ((size_t)rl - off < PIECE ? (size_t)rl - off : PIECE) : 0;
        if (MPI_Sendrecv(sn ? sbuf + off : NULL, (int)sn, MPI_BYTE, to, 12,
                         rn ? b + off : NULL, (int)rn, MPI_BYTE, from, 12, comm,
                         MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            free(b);
            return -1;
        }
    }
    *rbuf = b;
    *rlen = (size_t)rl;
    return 0;
}

int exchange_shuffle_by_day(struct agg_partial *mine, MPI_Comm comm,
                            struct ocp_error *err)
{
    struct owner_ctx ctx;
    int rank, size, k, rc = OCP_OK;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    ctx.nranks = size;
    /* Round k: send to rank + k, receive from rank - k; every pair meets
     * once and each message holds only groups of the receiver's days.
     * What arrives is merged into `mine`, whose groups of other ranks'
     * days stay behind unused: the finish step asks only for its own. */
    for (k = 1; k < size && rc == OCP_OK; k++) {
        int to = (rank + k) % size, from = (rank - k + size) % size;
        unsigned char *sbuf = NULL, *rbuf = NULL;
        size_t slen = 0, rlen = 0;

        ctx.rank = to;
        rc = agg_partial_serialize_days(mine, keep_owned, &ctx, &sbuf, &slen, err);
        if (rc != OCP_OK)
            break;
        if (swap_bytes(sbuf, slen, to, &rbuf, &rlen, from, comm) != 0)
            rc = ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                               "exchanging partials with ranks %d and %d failed",
                               to, from);
        else
            rc = agg_partial_merge_serialized(mine, rbuf, rlen, err);
        free(sbuf);
        free(rbuf);
    }
    return rc;
}
