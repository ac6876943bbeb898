/*
 * pq_fuzz.c - libFuzzer target for the Parquet reader: footer thrift,
 * schema, page headers, encodings, codecs, MAP assembly and the table
 * adapter.
 *
 * Each input is a whole Parquet file.  The reader only opens paths, so the
 * bytes go into a memfd (one per process, rewritten for each input) that
 * is opened again through /proc/self/fd; nothing touches the disk.  The
 * walk itself is tests/unit/pq_walk.h, shared with the regression test
 * that replays tests/data/fuzz/, so a crash found here replays there
 * exactly.  A broken promise (say, an id outside its dictionary) aborts,
 * which libFuzzer records like a crash.
 *
 * Build and run with fuzz/run.sh; see fuzz/build.sh for the flags.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pq_walk.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char mempath[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd = memfd_create("pq_fuzz", MFD_CLOEXEC);
    if (memfd < 0) {
        perror("memfd_create");
        exit(1);
    }
    snprintf(mempath, sizeof mempath, "/proc/self/fd/%d", memfd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pq_open_options opt;
    struct pqw_result res;
    size_t done = 0;
    int rc;

    if (ftruncate(memfd, 0) != 0)
        abort();
    while (done < size) {
        ssize_t n = pwrite(memfd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    pq_open_options_init(&opt);
    /* CRC checking on about half the inputs, chosen by the parity of the
     * middle byte so that the same input always takes the same path. */
    opt.check_crc = size > 0 && (data[size / 2] & 1);
    rc = pqw_walk(mempath, &opt, &res);
    if (rc == PQW_BROKEN) {
        fprintf(stderr, "pq_fuzz: broken promise: %s\n", res.why);
        abort();
    }
    return 0;
}
