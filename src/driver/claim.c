/* claim.c - chunks handed out at run time among the ranks of one node. */
#include "driver/claim.h"

#include <stdlib.h>
#include <string.h>

#include "driver/exchange.h"

/* One local rank's list of the window. */
struct claim_list {
    size_t *idx;
    size_t n;
    int64_t rows;
    int64_t back; /* thieves' cursor: they try idx[back - 1] next */
    size_t n_own; /* idx[0 .. n_own): groups that stay on the list's rank */
};

/* A thief takes a chunk whose groups would otherwise stay where they are
 * (the victim's own day) only while at least this many other chunks of
 * the victim are still free.  Such a theft costs more than the chunk's
 * reading: the thief inserts groups the victim already holds (every row
 * group of a day names nearly every group of that day), and the exchange
 * then sends them back to be merged.  With fewer left the victim is
 * about to finish anyway, and a thief that takes the last ones ends after
 * it (seen on 3.6 M rows at 2 ranks: four chunks taken, the thief read
 * 25 ms longer than its victim and the exchange went from 2 to 36 ms). */
#define STEAL_OWN_MIN 2
/* The first such theft of a run of chunks (one table's chunks of one
 * day, which lie together in a list) costs most: the thief inserts that
 * run's groups afresh and the exchange carries them all back, some two
 * or three chunks' reading (on the month at 2 ranks, thefts took 15-62
 * chunks a run and the exchange grew from 0.05 to 0.23 s).  The later
 * chunks of the run find its groups on the thief.  So a first theft asks
 * for the victim to be this many of the thief's chunks from done: its
 * free chunks, weighed by how much slower it has been (the thief read
 * its whole list while the victim read the ones it took), so a victim
 * at the thief's pace needs six free, one a few times slower one or two
 * (first_theft_pays). */
#define STEAL_FIRST_MIN 6

struct claim_board {
    MPI_Comm node; /* the ranks sharing this machine's memory */
    MPI_Win win;
    int have_win;
    uint32_t *words; /* one per chunk: shared, or this rank's own */
    size_t nchunks;
    int nranks;     /* of comm */
    int nlocal, me; /* ranks on this node; this rank's local number */
    int *world;     /* comm rank of each local rank */
    struct claim_list *lists;
    const struct plan_chunk *chunks; /* the plan's, for the window */
    size_t front;                    /* this rank's cursor into its own list */
    uint32_t free_value, taken_value;
};

int claim_board_create(MPI_Comm comm, size_t nchunks, int steal, struct claim_board **out,
                       struct ocp_error *err)
{
    struct claim_board *b = calloc(1, sizeof *b);
    void *base = NULL;
    int rank, ok;

    *out = NULL;
    if (b == NULL)
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    b->nchunks = nchunks;
    b->node = MPI_COMM_NULL;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &b->nranks);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &b->node);
    MPI_Comm_rank(b->node, &b->me);
    MPI_Comm_size(b->node, &b->nlocal);
    b->world = malloc((size_t)b->nlocal * sizeof *b->world);
    b->lists = calloc((size_t)b->nlocal, sizeof *b->lists);
    ok = b->world != NULL && b->lists != NULL;
    /* Every local rank must agree on whether the words are shared. */
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, b->node);
    if (!ok) {
        claim_board_destroy(b, 0);
        return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
    }
    MPI_Allgather(&rank, 1, MPI_INT, b->world, 1, MPI_INT, b->node);
    if (steal && b->nlocal > 1) {
        MPI_Aint size = b->me == 0 ? (MPI_Aint)((nchunks ? nchunks : 1) * sizeof(uint32_t)) : 0;
        MPI_Aint qsize = 0;
        int unit, made;

        /* An MPI without shared-memory windows (no osc component for
         * them, say) is no reason to stop: the ranks then keep to their
         * own lists, all of the node's ranks alike. */
        MPI_Comm_set_errhandler(b->node, MPI_ERRORS_RETURN);
        made = MPI_Win_allocate_shared(size, (int)sizeof(uint32_t), MPI_INFO_NULL, b->node, &base,
                                       &b->win) == MPI_SUCCESS;
        if (made) {
            MPI_Win_set_errhandler(b->win, MPI_ERRORS_RETURN);
            made = MPI_Win_shared_query(b->win, 0, &qsize, &unit, &base) == MPI_SUCCESS &&
                   base != NULL && qsize >= (MPI_Aint)((nchunks ? nchunks : 1) * sizeof(uint32_t));
        }
        ok = made;
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, b->node);
        if (!ok) {
            if (made)
                MPI_Win_free(&b->win);
            steal = 0;
        }
    }
    if (steal && b->nlocal > 1) {
        b->have_win = 1;
        b->words = base;
        /* Passive access for the whole run: the words are only ever
         * touched with atomic instructions, which the node's cores keep
         * coherent; the epoch makes that legal MPI. */
        MPI_Win_lock_all(MPI_MODE_NOCHECK, b->win);
        if (b->me == 0)
            memset(b->words, 0, (nchunks ? nchunks : 1) * sizeof(uint32_t));
        MPI_Win_sync(b->win);
        MPI_Barrier(b->node);
        MPI_Win_sync(b->win);
    } else {
        /* Nobody to share with: only this rank's own list is read. */
        b->nlocal = 1;
        b->me = 0;
        b->world[0] = rank;
        b->words = calloc(nchunks ? nchunks : 1, sizeof *b->words);
        if (b->words == NULL) {
            claim_board_destroy(b, 0);
            return ocp_error_set(err, OCP_ERR_OSERR, NULL, -1, NULL, "out of memory");
        }
    }
    *out = b;
    return OCP_OK;
}

void claim_board_destroy(struct claim_board *b, int collective)
{
    int k;

    if (b == NULL)
        return;
    if (b->have_win && collective) {
        MPI_Win_unlock_all(b->win);
        MPI_Win_free(&b->win);
    } else if (!b->have_win)
        free(b->words);
    if (b->lists != NULL)
        for (k = 0; k < b->nlocal; k++)
            free(b->lists[k].idx);
    if (collective && b->node != MPI_COMM_NULL)
        MPI_Comm_free(&b->node);
    free(b->lists);
    free(b->world);
    free(b);
}

/* What reading a chunk on `rank` costs the exchange: 0, its groups stay
 * (a whole day of the rank's own, or no day known); 1, they go to every
 * rank anyway (a split day); 2, they go to the day's rank. */
static int moves(const struct plan_chunk *c, const struct exchange_days *days, int rank, int nranks)
{
    if (c->day == INT32_MIN)
        return 0;
    if (exchange_day_split(days, c->day))
        return 1;
    return exchange_day_owner(c->day, nranks) == rank ? 0 : 2;
}

/* Sets l to rank's chunks of the window (owner[i] == rank), those whose
 * groups move anyway last and in chunk order within each class: the
 * thieves start from the back, where taking a chunk costs the exchange
 * nothing, or saves it a move when the thief owns the day.
 * OCP_ERR_OSERR when out of memory. */
static int list_of(struct claim_list *l, const struct plan *p, const int *owner,
                   const struct exchange_days *days, int rank, int nranks)
{
    size_t at[3] = {0, 0, 0}, i, n;

    for (i = 0; i < p->nchunks; i++)
        if (owner[i] == rank)
            at[moves(&p->chunks[i], days, rank, nranks)]++;
    n = at[0] + at[1] + at[2];
    at[2] = at[0] + at[1];
    at[1] = at[0];
    at[0] = 0;
    free(l->idx);
    l->idx = malloc((n ? n : 1) * sizeof *l->idx);
    l->n = l->rows = 0;
    l->n_own = 0;
    if (l->idx == NULL)
        return OCP_ERR_OSERR;
    for (i = 0; i < p->nchunks; i++)
        if (owner[i] == rank) {
            l->idx[at[moves(&p->chunks[i], days, rank, nranks)]++] = i;
            l->rows += p->chunks[i].nrows;
        }
    l->n = n;
    l->n_own = at[0];
    l->back = (int64_t)n;
    return OCP_OK;
}

int claim_board_window(struct claim_board *b, const struct plan *p, const struct plan_window *w,
                       const struct exchange_days *days, unsigned sweep)
{
    int *owner = NULL, k, rc;

    /* One share-out for all local ranks: it is the same on every rank. */
    if (plan_share(p, b->nranks, w, days, &owner) != OCP_OK)
        return OCP_ERR_OSERR;
    for (k = 0, rc = OCP_OK; k < b->nlocal && rc == OCP_OK; k++)
        rc = list_of(&b->lists[k], p, owner, days, b->world[k], b->nranks);
    free(owner);
    b->chunks = p->chunks;
    b->front = 0;
    /* Each chunk lies in one window and is taken once per sweep, so at
     * the start of sweep s every word of this window's chunks reads s. */
    b->free_value = sweep;
    b->taken_value = sweep + 1;
    return rc;
}

static int take(struct claim_board *b, size_t chunk)
{
    uint32_t expect = b->free_value;
    return __atomic_compare_exchange_n(&b->words[chunk], &expect, b->taken_value, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* How many of v's chunks before idx[j] are still free, counting from j
 * down and stopping at `most` (a snapshot: their owner may be taking
 * them meanwhile). */
static size_t free_before(const struct claim_board *b, const struct claim_list *v, size_t j,
                          size_t most)
{
    size_t found = 0;

    while (j-- > 0 && found < most)
        found += __atomic_load_n(&b->words[v->idx[j]], __ATOMIC_RELAXED) == b->free_value;
    return found;
}

/* Whether taking v's idx[j], the first theft of its run, pays: the
 * victim's free chunks before j, times the thief's chunks read (its own
 * list, own_n) over the victim's (those it took from the front), reach
 * STEAL_FIRST_MIN. */
static int first_theft_pays(const struct claim_board *b, const struct claim_list *v, size_t j,
                            size_t own_n)
{
    size_t nfree = free_before(b, v, j, SIZE_MAX), done = j - nfree;

    return nfree * own_n >= (size_t)STEAL_FIRST_MIN * (done > 0 ? done : 1);
}

/* Whether v's idx[j] starts a run from the back: the chunk after it in
 * the list (taken already, by a thief) is of another table or day. */
static int first_of_run(const struct claim_board *b, const struct claim_list *v, size_t j)
{
    const struct plan_chunk *c = &b->chunks[v->idx[j]], *n;

    if (j + 1 >= v->n)
        return 1;
    n = &b->chunks[v->idx[j + 1]];
    return n->table != c->table || n->day != c->day;
}

int claim_next(struct claim_board *b, size_t *chunk, int *stolen)
{
    const struct claim_list *own = &b->lists[b->me];
    int k;

    for (;;) {
        size_t i = __atomic_fetch_add(&b->front, 1, __ATOMIC_RELAXED);
        if (i >= own->n)
            break;
        /* Lost only to a thief, who came from the back: go on. */
        if (take(b, own->idx[i])) {
            *chunk = own->idx[i];
            *stolen = 0;
            return 1;
        }
    }
    for (k = 1; k < b->nlocal; k++) {
        struct claim_list *v = &b->lists[(b->me + k) % b->nlocal];
        for (;;) {
            int64_t j = __atomic_sub_fetch(&v->back, 1, __ATOMIC_RELAXED);
            if (j < 0)
                break;
            /* The victim's own day, nearly done: leave the rest to it
             * (it reads them from the front; the chunks below are its
             * own day's too). */
            if ((size_t)j < v->n_own &&
                (first_of_run(b, v, (size_t)j)
                     ? !first_theft_pays(b, v, (size_t)j, own->n)
                     : free_before(b, v, (size_t)j, STEAL_OWN_MIN) < STEAL_OWN_MIN))
                break;
            /* Lost to its owner or to another rank's thief: the
             * chunks below may still be free. */
            if (take(b, v->idx[j])) {
                *chunk = v->idx[j];
                *stolen = 1;
                return 1;
            }
        }
    }
    return 0;
}

int64_t claim_own_rows(const struct claim_board *b)
{
    return b->lists[b->me].rows;
}

int claim_any(const struct claim_board *b)
{
    int k;
    for (k = 0; k < b->nlocal; k++)
        if (b->lists[k].n > 0)
            return 1;
    return 0;
}
