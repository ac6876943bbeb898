/* finish.c - finishing the days a rank owns and streaming the CSV.
 *
 * After the shuffle every rank holds all groups of its days.  The rank
 * splits them again by day over its threads, finishes each part (labels,
 * capacity, storage, unallocated, uuids, sort) and formats one text block
 * per day.  Rows sort by day first, so the report is the day blocks in
 * day order: rank 0 writes the header, then each block in turn, its own
 * from memory and the others' as they arrive, so no rank ever holds the
 * whole report. */
#include "driver/finish.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/exchange.h"

#define PIECE ((size_t)1 << 30)

struct thread_ctx {
    int nranks, nthreads, thread;
};

static int keep_thread(int32_t day, void *ctx)
{
    const struct thread_ctx *c = ctx;
    int32_t q = day / c->nranks;
    int m;
    if (day % c->nranks < 0)
        q -= 1;
    m = (int)(q % c->nthreads);
    if (m < 0)
        m += c->nthreads;
    return m == c->thread;
}

/* One day's formatted rows. */
struct day_block {
    int32_t day;
    int32_t owner;
    uint64_t size;
    struct rpt_buf text; /* only on the owner */
};

static void count_rows(const struct rpt_table *t, struct finish_result *res)
{
    size_t i;
    for (i = 0; i < t->count; i++) {
        const struct rpt_row *r = &t->rows[i];
        if (r->source == RPT_SOURCE_STORAGE)
            res->storage_rows++;
        else if (r->has_infra_cost)
            res->pod_rows++;
        else
            res->unallocated_rows++;
    }
}

/* Finishes one part and appends its day blocks. */
static int finish_part(const struct agg_partial *p,
                       const struct agg_finish_settings *fs,
                       const struct rpt_meta *meta, struct day_block **blocks,
                       size_t *nblocks, struct finish_result *res,
                       struct ocp_error *err)
{
    struct rpt_table t;
    size_t i = 0;
    int rc;

    rpt_table_init(&t);
    rc = agg_finish(p, fs, &t, err);
    if (rc == OCP_OK)
        count_rows(&t, res);
    while (rc == OCP_OK && i < t.count) {
        size_t j = i;
        struct day_block *b, *nb;
        while (j < t.count && t.rows[j].usage_day == t.rows[i].usage_day)
            j++;
        nb = realloc(*blocks, (*nblocks + 1) * sizeof *nb);
        if (nb == NULL) {
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
            break;
        }
        *blocks = nb;
        b = &nb[(*nblocks)++];
        memset(b, 0, sizeof *b);
        b->day = t.rows[i].usage_day;
        if (rpt_csv_rows(&t, meta, i, j, &b->text) != OCP_OK)
            rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        b->size = b->text.len;
        i = j;
    }
    rpt_table_release(&t);
    return rc;
}

int finish_days(const struct agg_partial *mine, const struct agg_settings *s,
                const struct agg_finish_settings *fs,
                const struct rpt_meta *meta, int nranks, int nthreads,
                struct day_block_list *out, struct finish_result *res,
                struct ocp_error *err)
{
    struct agg_partial **parts = NULL;
    struct day_block **tblocks = NULL;
    size_t *tcount = NULL;
    struct finish_result *tres = NULL;
    int t, rc = OCP_OK;
    volatile int failed = 0;

    memset(out, 0, sizeof *out);
    if (nthreads < 1)
        nthreads = 1;
    parts = calloc((size_t)nthreads, sizeof *parts);
    tblocks = calloc((size_t)nthreads, sizeof *tblocks);
    tcount = calloc((size_t)nthreads, sizeof *tcount);
    tres = calloc((size_t)nthreads, sizeof *tres);
    if (parts == NULL || tblocks == NULL || tcount == NULL || tres == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto cleanup;
    }
#pragma omp parallel num_threads(nthreads)
    {
        int me = omp_get_thread_num();
        struct ocp_error local;
        int lrc = OCP_OK;
        ocp_error_clear(&local);
        if (nthreads > 1) {
            /* Each thread takes its days out of the rank's partial. */
            struct thread_ctx c = {nranks, nthreads, me};
            unsigned char *buf = NULL;
            size_t len = 0;
            lrc = agg_partial_create(s, &parts[me], &local);
            if (lrc == OCP_OK)
                lrc = agg_partial_serialize_days(mine, keep_thread, &c, &buf, &len, &local);
            if (lrc == OCP_OK)
                lrc = agg_partial_merge_serialized(parts[me], buf, len, &local);
            free(buf);
        }
        if (lrc == OCP_OK)
            lrc = finish_part(nthreads > 1 ? parts[me] : mine, fs, meta,
                              &tblocks[me], &tcount[me], &tres[me], &local);
        if (lrc != OCP_OK) {
#pragma omp critical(ocpagg_finish_error)
            if (!failed) {
                failed = 1;
                rc = lrc;
                if (err != NULL)
                    *err = local;
            }
        }
    }
    if (rc != OCP_OK)
        goto cleanup;
    for (t = 0; t < nthreads; t++) {
        res->pod_rows += tres[t].pod_rows;
        res->unallocated_rows += tres[t].unallocated_rows;
        res->storage_rows += tres[t].storage_rows;
        out->count += tcount[t];
    }
    out->blocks = calloc(out->count ? out->count : 1, sizeof *out->blocks);
    if (out->blocks == NULL) {
        rc = ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        goto cleanup;
    }
    out->count = 0;
    for (t = 0; t < nthreads; t++) {
        if (tcount[t] > 0)
            memcpy(out->blocks + out->count, tblocks[t], tcount[t] * sizeof *tblocks[t]);
        out->count += tcount[t];
        tcount[t] = 0;
    }
cleanup:
    for (t = 0; tblocks != NULL && t < nthreads; t++) {
        size_t i;
        for (i = 0; i < tcount[t]; i++)
            rpt_buf_release(&tblocks[t][i].text);
        free(tblocks[t]);
    }
    for (t = 0; parts != NULL && t < nthreads; t++)
        agg_partial_destroy(parts[t]);
    free(parts);
    free(tblocks);
    free(tcount);
    free(tres);
    return rc;
}

void day_block_list_release(struct day_block_list *l)
{
    size_t i;
    for (i = 0; i < l->count; i++)
        rpt_buf_release(&l->blocks[i].text);
    free(l->blocks);
    memset(l, 0, sizeof *l);
}

static int cmp_block(const void *a, const void *b)
{
    const struct day_block *x = a, *y = b;
    return x->day < y->day ? -1 : (x->day > y->day ? 1 : 0);
}

int write_days_csv(struct day_block_list *mine, const char *path,
                   MPI_Comm comm, struct ocp_error *err)
{
    int rank, size, r, rc = OCP_OK, write_rc = OCP_OK;
    int mycount = (int)mine->count, *counts = NULL, *displs = NULL, total = 0;
    struct day_block *all = NULL, *mine_sorted = mine->blocks;
    int64_t *pairs = NULL, *allpairs = NULL;
    size_t i, next_mine = 0;
    char *tmp = NULL;
    FILE *f = NULL;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    qsort(mine_sorted, mine->count, sizeof *mine_sorted, cmp_block);

    /* Everyone learns every block's day, owner and size (small). */
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
    pairs = malloc(((size_t)mycount * 2 + 1) * sizeof *pairs);
    if (counts == NULL || displs == NULL || pairs == NULL)
        MPI_Abort(comm, OCP_ERR_OSERR);
    for (i = 0; i < mine->count; i++) {
        pairs[2 * i] = mine_sorted[i].day;
        pairs[2 * i + 1] = (int64_t)mine_sorted[i].size;
    }
    MPI_Allgather(&mycount, 1, MPI_INT, counts, 1, MPI_INT, comm);
    for (r = 0; r < size; r++) {
        displs[r] = total * 2;
        total += counts[r];
    }
    allpairs = malloc(((size_t)total * 2 + 1) * sizeof *allpairs);
    all = calloc((size_t)total + 1, sizeof *all);
    if (allpairs == NULL || all == NULL)
        MPI_Abort(comm, OCP_ERR_OSERR);
    {
        int *c2 = malloc((size_t)size * sizeof *c2);
        if (c2 == NULL)
            MPI_Abort(comm, OCP_ERR_OSERR);
        for (r = 0; r < size; r++)
            c2[r] = counts[r] * 2;
        MPI_Allgatherv(pairs, mycount * 2, MPI_INT64_T, allpairs, c2, displs,
                       MPI_INT64_T, comm);
        free(c2);
    }
    {
        int k = 0;
        for (r = 0; r < size; r++) {
            int j;
            for (j = 0; j < counts[r]; j++, k++) {
                all[k].day = (int32_t)allpairs[displs[r] + 2 * j];
                all[k].size = (uint64_t)allpairs[displs[r] + 2 * j + 1];
                all[k].owner = r;
            }
        }
    }
    qsort(all, (size_t)total, sizeof *all, cmp_block);

    if (rank == 0) {
        struct rpt_buf head = {0};
        size_t plen = strlen(path);
        tmp = malloc(plen + 32);
        if (tmp == NULL || rpt_csv_header(&head) != OCP_OK) {
            write_rc = ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
        } else {
            snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
            f = fopen(tmp, "w");
            if (f == NULL)
                write_rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                                         "cannot create report: %s", strerror(errno));
            else if (fwrite(head.data, 1, head.len, f) != head.len)
                write_rc = OCP_ERR_IOERR;
        }
        rpt_buf_release(&head);
    }
    /* Day order: rank 0 writes its own block or receives the owner's;
     * owners send their blocks in the same (day) order. */
    for (i = 0; i < (size_t)total; i++) {
        const struct day_block *b = &all[i];
        if (b->owner == rank) {
            const struct day_block *m = &mine_sorted[next_mine++];
            if (rank == 0) {
                if (write_rc == OCP_OK && f != NULL && m->text.len > 0 &&
                    fwrite(m->text.data, 1, m->text.len, f) != m->text.len)
                    write_rc = OCP_ERR_IOERR;
            } else {
                size_t off;
                for (off = 0; off < m->text.len; off += PIECE) {
                    size_t n = m->text.len - off < PIECE ? m->text.len - off : PIECE;
                    MPI_Send(m->text.data + off, (int)n, MPI_BYTE, 0, 21, comm);
                }
            }
            continue;
        }
        if (rank == 0) {
            char *buf = malloc(b->size < PIECE ? (size_t)b->size + 1 : PIECE);
            size_t off;
            if (buf == NULL)
                MPI_Abort(comm, OCP_ERR_OSERR);
            for (off = 0; off < b->size; off += PIECE) {
                size_t n = b->size - off < PIECE ? (size_t)b->size - off : PIECE;
                MPI_Recv(buf, (int)n, MPI_BYTE, b->owner, 21, comm, MPI_STATUS_IGNORE);
                if (write_rc == OCP_OK && f != NULL && fwrite(buf, 1, n, f) != n)
                    write_rc = OCP_ERR_IOERR;
            }
            free(buf);
        }
    }
    if (rank == 0) {
        if (f != NULL) {
            if (write_rc == OCP_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
                write_rc = OCP_ERR_IOERR;
            if (fclose(f) != 0 && write_rc == OCP_OK)
                write_rc = OCP_ERR_IOERR;
        }
        if (write_rc == OCP_ERR_IOERR)
            ocp_error_set(err, OCP_ERR_IOERR, path, -1, NULL,
                          "cannot write report: %s", strerror(errno));
        if (write_rc == OCP_OK && rename(tmp, path) != 0)
            write_rc = ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL,
                                     "cannot rename report into place: %s",
                                     strerror(errno));
        if (write_rc != OCP_OK && tmp != NULL)
            unlink(tmp);
        rc = write_rc;
    }
    free(tmp);
    free(counts);
    free(displs);
    free(pairs);
    free(allpairs);
    free(all);
    return rc;
}
