/* rpt_part.c - one rank's share of a CSV report written by several ranks.
 *
 * Rank 0 creates the report's temporary file and writes the header
 * (rpt_stream_share); every rank then opens that file and writes the text
 * of its own days at offsets that travel down the day order.  The file is
 * opened, never created, here: a rank that cannot see rank 0's file (no
 * shared file system) finds out at open and the job falls back to rank 0
 * writing every byte.  The inode number and the length (only the header)
 * are checked at open, so a rank never writes into some other file that
 * happens to have the name.
 *
 * Direct writes: on this kind of machine the page-cache copy of a
 * buffered write runs at a few hundred MB/s while the disk takes O_DIRECT
 * writes at over 1 GB/s, and a report is hundreds of MB.  O_DIRECT needs
 * the buffer, the offset and the length aligned, so each block's whole
 * pages are copied into an aligned buffer (a memcpy, far cheaper than
 * the kernel's copy) and its two partial end pages, which the
 * neighbouring days' writers share, go through the page cache.  A text
 * placed for its offset (rpt_part_pad: its whole pages on pages of
 * memory) is not copied at all: rpt_part_stream_inplace has the thread
 * write them from the caller's memory, which the caller leaves alone
 * until the thread is done (some 80 MB a day on the 16 M-row bench set
 * that were copied before, into pages of their own).
 *
 * A direct write keeps its caller waiting until the disk has the data
 * (about 0.1 s for a day of a large cluster), so a thread of the part's
 * own writes each day's text (the whole pages directly, the two end pages
 * through the page cache) while the caller finishes and encodes the next
 * day.  One job (a day, or a piece of one) is in flight at a time: the
 * next write first waits for it, and its failure (ENOSPC, EIO) is
 * reported there or at rpt_part_close, always before the report can be
 * committed.  Without
 * the thread (it could not start) the same writes happen in the caller. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT */
#endif
#include "ocpagg/mem.h"
#include "ocpagg/report.h"
#include "report/rpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Page alignment of direct writes. */
#define PART_ALIGN RPT_PART_ALIGN
/* The largest single direct write (the kernel splits it anyway). */
#define PART_PIECE ((size_t)64 << 20)
/* The least capacity of the aligned buffer. */
#define PART_BUF_MIN ((size_t)64 << 20)
/* Blocks shorter than this go through the page cache whole. */
#define PART_DIRECT_MIN ((size_t)256 << 10)

/* The writes of a part: one job (a day's text, or a piece of it) at a
 * time, written by `thread` or, without it, by the caller.  The job is
 * whole pages, copied into buf for the direct write, and the partial end
 * pages around them (head, tail), written through the page cache by the
 * same writer:
 * written by the caller they would wait for the direct write in flight
 * (an extending direct write holds the file's lock), some 40-75 ms a day. */
struct rpt_writer {
    int dfd, fd;        /* the O_DIRECT twin, and the plain fd */
    unsigned char *buf; /* the pieces' buffer (copies go to its first
                           aligned page); reused */
    size_t cap;
    const unsigned char *job; /* the job's pages, aligned: inside buf, or
                                 the caller's (rpt_part_stream_inplace) */
    size_t len;               /* the job: len bytes at job, to go at off */
    int64_t off;
    unsigned char head[PART_ALIGN], tail[PART_ALIGN];
    size_t head_len, tail_len; /* head at head_off, tail right after the pages */
    int64_t head_off, tail_off;
    int sync;     /* the job ends a day: fdatasync after it */
    int threaded; /* thread runs */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;              /* the thread should end */
    uint64_t handed, done; /* jobs handed over and finished: a job is
                              pending while done < handed (rpt_part_mark) */
    int err_no;            /* first failure's errno, 0 none */
    int direct_refused;    /* EINVAL: direct writes refused, plain ones used */
    int64_t direct_bytes;  /* written through dfd */
};

/* Writes the job; returns 0 or an errno.  A file system that refuses
 * direct writes (EINVAL) gets the rest through the page cache, and so
 * does the rest of a short direct write (the disk filling up), which then
 * says why. */
static int write_job(struct rpt_writer *w, int64_t *direct)
{
    const unsigned char *b = w->job;
    size_t n = w->len;
    int64_t off = w->off;

    while (n > 0) {
        size_t len = n < PART_PIECE ? n : PART_PIECE;
        ssize_t k;

        if (w->direct_refused)
            return rpt_write_fully(w->fd, b, n, off);
        k = pwrite(w->dfd, b, len, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EINVAL) {
            w->direct_refused = 1;
            continue;
        }
        if (k < 0)
            return errno;
        if (k == 0)
            return ENOSPC;
        *direct += k;
        b += k;
        n -= (size_t)k;
        off += k;
        if ((size_t)k < len) {
            int e = rpt_write_fully(w->fd, b, len - (size_t)k, off);
            if (e != 0)
                return e;
            b += len - (size_t)k;
            n -= len - (size_t)k;
            off += (int64_t)(len - (size_t)k);
        }
    }
    return 0;
}

/* Writes the job and, when it ends a day, syncs (the day's metadata -
 * the extents the direct writes allocated - to the disk now, while the
 * rank works on: the part's final fdatasync then has only the last day
 * left; a sync per piece of a streamed day would cost its rank a sync's
 * work some ten times a day).  Called without the lock: the caller owns
 * the job. */
static void run_job(struct rpt_writer *w, int *e, int64_t *direct)
{
    *direct = 0;
    *e = rpt_write_fully(w->fd, w->head, w->head_len, w->head_off);
    if (*e == 0)
        *e = rpt_write_fully(w->fd, w->tail, w->tail_len, w->tail_off);
    if (*e == 0)
        *e = write_job(w, direct);
    if (*e == 0 && w->sync && fdatasync(w->fd) != 0)
        *e = errno;
}

/* Keeps the first failure and counts the direct bytes (under the lock
 * when threaded). */
static void record(struct rpt_writer *w, int e, int64_t direct)
{
    if (e != 0 && w->err_no == 0)
        w->err_no = e;
    w->direct_bytes += direct;
}

static void *writer_main(void *arg)
{
    struct rpt_writer *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        int64_t direct = 0;
        int e;

        while (w->done == w->handed && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->done == w->handed)
            break;
        pthread_mutex_unlock(&w->lock);
        run_job(w, &e, &direct);
        pthread_mutex_lock(&w->lock);
        record(w, e, direct);
        w->done++;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Waits until the thread has finished the jobs up to number mark;
 * returns the first failure's errno. */
static int writer_wait_mark(struct rpt_writer *w, uint64_t mark)
{
    int e;

    if (!w->threaded)
        return w->err_no;
    pthread_mutex_lock(&w->lock);
    while (w->done < mark)
        pthread_cond_wait(&w->cond, &w->lock);
    e = w->err_no;
    pthread_mutex_unlock(&w->lock);
    return e;
}

/* Waits until no job is pending (handed changes on the caller's thread
 * only); returns the first failure's errno. */
static int writer_wait(struct rpt_writer *w)
{
    return writer_wait_mark(w, w->handed);
}

/* Whether the thread has no job (it would take one without waiting). */
static int writer_idle(struct rpt_writer *w)
{
    int idle;

    if (!w->threaded)
        return 1;
    pthread_mutex_lock(&w->lock);
    idle = w->done == w->handed;
    pthread_mutex_unlock(&w->lock);
    return idle;
}

/* Hands the job in buf to the thread (or writes it here). */
static void writer_submit(struct rpt_writer *w)
{
    if (!w->threaded) {
        int64_t direct;
        int e;
        run_job(w, &e, &direct);
        record(w, e, direct);
        w->handed++;
        w->done++;
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->handed++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Opens the O_DIRECT twin of p->fd and the writer; without them the part
 * writes through the page cache only (not an error). */
static void open_direct(struct rpt_part *p)
{
    struct rpt_writer *w = calloc(1, sizeof *w);

    if (w == NULL)
        return;
    w->fd = p->fd;
    w->dfd = open(p->tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECT);
    if (w->dfd < 0) {
        free(w);
        return;
    }
    p->dfd = w->dfd;
    p->writer = w;
    /* The writer holds the lent buffer until close_direct gives it back. */
    if (p->room != NULL && p->room->buf != NULL) {
        w->buf = p->room->buf;
        w->cap = p->room->cap;
        p->room->buf = NULL;
        p->room->cap = 0;
    }
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        return; /* no thread: writes happen in the caller */
    if (pthread_cond_init(&w->cond, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        return;
    }
    {
        /* The thread is started with every signal blocked (it inherits the
         * mask), so a stop signal always reaches the rank's own threads,
         * which turn it into exit 75, and never interrupts a write here. */
        sigset_t all, old;
        int started;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        started = pthread_create(&w->thread, NULL, writer_main, w) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!started) {
            pthread_cond_destroy(&w->cond);
            pthread_mutex_destroy(&w->lock);
            return;
        }
    }
    w->threaded = 1;
}

/* Ends the writer (after its job) and closes the O_DIRECT twin. */
static void close_direct(struct rpt_part *p)
{
    struct rpt_writer *w = p->writer;

    if (w != NULL) {
        if (w->threaded) {
            pthread_mutex_lock(&w->lock);
            w->stop = 1;
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->lock);
            pthread_join(w->thread, NULL);
            pthread_cond_destroy(&w->cond);
            pthread_mutex_destroy(&w->lock);
        }
        p->direct_bytes = w->direct_bytes;
        if (p->room != NULL && p->room->buf == NULL) {
            p->room->buf = w->buf;
            p->room->cap = w->cap;
        } else {
            free(w->buf);
        }
        free(w);
        p->writer = NULL;
    }
    if (p->dfd >= 0)
        close(p->dfd);
    p->dfd = -1;
}

int rpt_part_open(struct rpt_part *p, const struct rpt_share *sh, const char *path,
                  struct rpt_part_room *room, struct ocp_error *err)
{
    struct stat st;
    const char *why = NULL;
    int e = 0;

    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->dfd = -1;
    p->room = room;
    p->path = strdup(path);
    p->tmp = strdup(sh->tmp);
    if (p->path == NULL || p->tmp == NULL) {
        rpt_part_release(p);
        return ocp_error_set(err, OCP_ERR_OSERR, path, -1, NULL, "out of memory");
    }
    /* O_NOFOLLOW: the name is rank 0's temporary file, never a link. */
    p->fd = open(p->tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (p->fd < 0) {
        e = errno;
        why = "cannot open";
    } else if (fstat(p->fd, &st) != 0) {
        e = errno;
        why = "cannot stat";
    } else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != sh->ino ||
               (int64_t)st.st_size != sh->offset) {
        why = "is not the report file rank 0 created";
    }
    if (why != NULL) {
        int rc = e != 0
                     ? ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "%s %s: %s", why,
                                     p->tmp, strerror(e))
                     : ocp_error_set(err, OCP_ERR_CANTCREAT, path, -1, NULL, "%s %s", p->tmp, why);
        rpt_part_release(p);
        return rc;
    }
    /* OCPAGG_NO_DIRECT_IO: the page-cache path alone (tests, and a way
     * out should some file system misbehave). */
    if (getenv("OCPAGG_NO_DIRECT_IO") == NULL)
        open_direct(p);
    return OCP_OK;
}

/* The part's write failure with errno e, as every writing path says it. */
static int cannot_write(const struct rpt_part *p, int e, struct ocp_error *err)
{
    return ocp_error_set(err, OCP_ERR_IOERR, p->path, -1, NULL, "cannot write %s: %s", p->tmp,
                         strerror(e));
}

/* pwrite of all n bytes at off through fd. */
static int write_all(struct rpt_part *p, int fd, const char *text, size_t n, int64_t off,
                     struct ocp_error *err)
{
    int e = rpt_write_fully(fd, text, n, off);
    return e != 0 ? cannot_write(p, e, err) : OCP_OK;
}

/* Bytes from v up to the next multiple of PART_ALIGN (0 on one). */
static size_t to_page(uint64_t v)
{
    return (size_t)((PART_ALIGN - v % PART_ALIGN) % PART_ALIGN);
}

/* The first page-aligned byte of the writer's buffer (NULL: none). */
static unsigned char *aligned_start(const struct rpt_writer *w)
{
    if (w->buf == NULL)
        return NULL;
    return w->buf + to_page((uintptr_t)w->buf);
}

/* The bytes of the writer's buffer from its first aligned one on. */
static size_t aligned_room(const struct rpt_writer *w)
{
    size_t skip = (size_t)(aligned_start(w) - w->buf);
    return w->buf == NULL || w->cap < skip ? 0 : w->cap - skip;
}

/* The writer's next job, for the text's bytes [0, to) at file position
 * off: [p0, p1) are whole pages, to be written from `pages` (aligned;
 * the text's own bytes or a copy), and the partial end pages around them
 * are copied into head and tail. */
static void set_job(struct rpt_writer *w, const char *text, int64_t off, size_t p0, size_t p1,
                    size_t to, const unsigned char *pages, int sync)
{
    w->sync = sync;
    w->head_len = p0;
    w->head_off = off;
    memcpy(w->head, text, p0);
    w->job = pages;
    w->len = p1 - p0;
    w->off = off + (int64_t)p0;
    w->tail_len = to - p1;
    w->tail_off = off + (int64_t)p1;
    memcpy(w->tail, text + p1, w->tail_len);
}

/* One job for the writer: the text's bytes [0, to) (file positions off
 * .. off + to), of which [p0, p1) are whole pages for the direct write
 * and the rest (before p0, after p1: less than a page each) partial end
 * pages.  The previous job is waited for first; its failure is this
 * call's. */
static int submit(struct rpt_part *p, const char *text, int64_t off, size_t p0, size_t p1,
                  size_t to, int sync, struct ocp_error *err)
{
    struct rpt_writer *w = p->writer;
    size_t pages = p1 - p0;
    int e = writer_wait(w);

    if (e != 0)
        return cannot_write(p, e, err);
    /* Copies go to the buffer's first aligned page (a lent room's buffer
     * need not start on one). */
    if (pages > 0 && aligned_room(w) < pages) {
        void *nb = NULL;
        size_t cap = pages + pages / 4; /* days vary a little in size */
        /* Never small: pieces grow, and a buffer above malloc's mmap
         * threshold is mapped on its own (untouched pages cost nothing)
         * instead of leaving freed heap behind. */
        if (cap < PART_BUF_MIN)
            cap = PART_BUF_MIN;
        cap += to_page(cap);
        free(w->buf);
        w->buf = NULL;
        w->cap = 0;
        if (posix_memalign(&nb, PART_ALIGN, cap) != 0) /* no room: plainly */
            return write_all(p, p->fd, text, to, off, err);
        /* Huge pages: a day's copy faults in 2 MiB at a time (the finish
         * keeps this buffer, and its pages, from window to window). */
        ocp_mem_advise_huge(nb, cap);
        w->buf = nb;
        w->cap = cap;
        /* Fresh pages, all written by the copy below: faulted in at once
         * (mem.h); later days reuse them. */
        ocp_mem_populate(nb, pages);
    }
    if (pages > 0)
        memcpy(aligned_start(w), text + p0, pages);
    set_job(w, text, off, p0, p1, to, aligned_start(w), sync);
    writer_submit(w);
    return OCP_OK;
}

/* Positions in a text of `len` bytes going to offset where the file's
 * whole pages start (*first) and end (*end). */
static void page_span(int64_t offset, size_t len, size_t *first, size_t *end)
{
    *first = to_page((uint64_t)offset);
    *end = len < *first ? *first : *first + (len - *first) / PART_ALIGN * PART_ALIGN;
}

/* The smallest piece of a day handed to the writer before the day's end:
 * large direct writes, few waits. */
#define PART_PIECE_MIN ((size_t)2 << 20)

/* Whether the whole pages [first, end) of a day not yet ended go to the
 * writer now: it is free (never waiting for it: the caller goes on
 * encoding) and they make a piece worth it. */
static int piece_now(const struct rpt_part *p, size_t first, size_t end)
{
    return p->dfd >= 0 && end - first >= PART_PIECE_MIN && writer_idle(p->writer);
}

int rpt_part_stream(struct rpt_part *p, const char *text, size_t len, int64_t offset, int final,
                    size_t *taken, struct ocp_error *err)
{
    /* Text positions where the file's whole pages start and end. */
    size_t first, end;
    int rc;

    page_span(offset, len, &first, &end);
    *taken = 0;
    if (p->fd < 0)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, p->path, -1, NULL,
                             "writing a closed report part");
    if (!final) {
        if (!piece_now(p, first, end))
            return OCP_OK;
        rc = submit(p, text, offset, first, end, end, 0, err);
        if (rc == OCP_OK)
            *taken = end;
        return rc;
    }
    /* The rest: its whole pages directly when they are worth it, the
     * rest through the page cache. */
    *taken = len;
    if (p->dfd >= 0 && len >= PART_DIRECT_MIN)
        return submit(p, text, offset, first, end, len, 1, err);
    return write_all(p, p->fd, text, len, offset, err);
}

int rpt_part_inplace_ok(const struct rpt_part *p)
{
    return p->fd >= 0 && p->dfd >= 0 && p->writer != NULL;
}

size_t rpt_part_pad(const void *mem, int64_t offset)
{
    return to_page((uintptr_t)mem + to_page((uint64_t)offset));
}

int rpt_part_stream_inplace(struct rpt_part *p, const char *text, size_t len, int64_t offset,
                            int final, size_t *taken, struct ocp_error *err)
{
    struct rpt_writer *w = p->writer;
    size_t first, end;
    int e;

    page_span(offset, len, &first, &end);
    if (!rpt_part_inplace_ok(p) || to_page((uintptr_t)(text + first)) != 0)
        return rpt_part_stream(p, text, len, offset, final, taken, err);
    *taken = 0;
    if (!final) {
        if (!piece_now(p, first, end))
            return OCP_OK;
    } else if (len < PART_DIRECT_MIN) {
        *taken = len;
        return write_all(p, p->fd, text, len, offset, err);
    }
    if ((e = writer_wait(w)) != 0)
        return cannot_write(p, e, err);
    set_job(w, text, offset, first, end, final ? len : end, (const unsigned char *)text + first,
            final);
    writer_submit(w);
    *taken = final ? len : end;
    return OCP_OK;
}

int rpt_part_wait(struct rpt_part *p, struct ocp_error *err)
{
    int e = p->writer != NULL ? writer_wait(p->writer) : 0;
    return e != 0 ? cannot_write(p, e, err) : OCP_OK;
}

uint64_t rpt_part_mark(const struct rpt_part *p)
{
    /* handed changes on the caller's thread only: no lock. */
    return p->writer != NULL ? p->writer->handed : 0;
}

int rpt_part_wait_mark(struct rpt_part *p, uint64_t mark, struct ocp_error *err)
{
    int e = p->writer != NULL ? writer_wait_mark(p->writer, mark) : 0;
    return e != 0 ? cannot_write(p, e, err) : OCP_OK;
}

int rpt_part_idle(const struct rpt_part *p)
{
    return p->writer == NULL || writer_idle(p->writer);
}

void rpt_part_wait_cb(void *ctx)
{
    struct rpt_part *p = ctx;
    if (p->writer != NULL)
        (void)writer_wait(p->writer);
}

int rpt_part_write(struct rpt_part *p, const unsigned char *block, size_t len, int64_t offset,
                   struct ocp_error *err)
{
    size_t n, taken;
    int64_t rows;
    int rc = rpt_csv_block_text(block, len, &n, &rows, err);

    if (rc != OCP_OK) {
        ocp_error_context(err, p->path, -1, NULL);
        return rc;
    }
    return rpt_part_stream(p, (const char *)block + (len - n), n, offset, 1, &taken, err);
}

int rpt_part_close(struct rpt_part *p, struct ocp_error *err)
{
    int rc = OCP_OK, fd = p->fd, e = 0;

    /* The last day's direct writes first: their failure is the part's. */
    if (p->writer != NULL)
        e = writer_wait(p->writer);
    close_direct(p);
    p->fd = -1;
    if (e != 0)
        rc = cannot_write(p, e, err);
    /* Each writer syncs its own pages: on a shared file system rank 0's
     * fsync at commit does not reach another client's cache. */
    if (rc == OCP_OK && fd >= 0 && fdatasync(fd) != 0)
        rc = cannot_write(p, errno, err);
    if (fd >= 0 && close(fd) != 0 && rc == OCP_OK)
        rc = cannot_write(p, errno, err);
    rpt_part_release(p);
    return rc;
}

void rpt_part_release(struct rpt_part *p)
{
    close_direct(p);
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    free(p->path);
    free(p->tmp);
    p->path = NULL;
    p->tmp = NULL;
}

void rpt_part_room_release(struct rpt_part_room *room)
{
    free(room->buf);
    room->buf = NULL;
    room->cap = 0;
}
