/* mem_probe.c - how fast this machine faults memory in: fresh, and again
 * after the process freed as much and stayed idle a while (bench/README,
 * session 18).  On a VM whose kernel reports free pages to the host, the
 * pages freed more than the reporting delay (2 s) ago come back from the
 * host as slowly as fresh ones.  Usage: mem_probe [MiB] (default 512). */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Maps n bytes (2 MiB pages when huge), writes a byte a page, unmaps;
 * the seconds the writes took, or -1. */
static double touch(size_t n, int huge)
{
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    double t;
    size_t i;

    if (p == MAP_FAILED)
        return -1;
    if (huge)
        madvise(p, n, MADV_HUGEPAGE);
    t = now();
    for (i = 0; i < n; i += 4096)
        p[i] = 1;
    t = now() - t;
    munmap(p, n);
    return t;
}

int main(int argc, char **argv)
{
    static const double idle[] = {0, 0.5, 1, 2, 3, 5, 8};
    size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 512) << 20;
    size_t k;
    int huge;

    if (n == 0)
        return 64;
    for (huge = 1; huge >= 0; huge--) {
        printf("%s pages, %zu MiB\n", huge ? "2 MiB" : "4 KiB", n >> 20);
        for (k = 0; k < sizeof idle / sizeof idle[0]; k++) {
            double t;
            if (touch(n, huge) < 0) /* fills the free lists with just-freed pages */
                return 71;
            usleep((useconds_t)(idle[k] * 1e6));
            t = touch(n, huge);
            printf("  after %.1f s idle: %.2f GB/s\n", idle[k], t > 0 ? (double)n / t / 1e9 : 0.0);
        }
    }
    return 0;
}
