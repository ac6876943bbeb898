/*
 * runtime.h - how the ocpagg process sets itself up around MPI: before
 * MPI_Init (transport choice, malloc settings) and at MPI_Finalize.
 * Nothing here changes a result; it changes how long a run takes.
 */
#ifndef OCPAGG_DRIVER_RUNTIME_H
#define OCPAGG_DRIVER_RUNTIME_H

/* Before MPI_Init, first thing in main (argv is main's): where the
 * kernel gives huge pages only on request, starts the process again with
 * glibc's malloc asking for them (runtime.c; it may not return); then
 * the shared-memory transport when every rank is on one node (unless the
 * user chose one), and malloc settings that keep freed memory for the
 * next day's finish. */
void runtime_before_init(char **argv);

/* What runtime_before_init made of malloc's pages, in words, for
 * --verbose ("huge pages asked for (GLIBC_TUNABLES ...)", or why not). */
const char *runtime_heap_note(void);

/* MPI_Finalize, without the 40 ms its last messages to the launcher
 * waited for (ocpagg/sockets.h). */
void runtime_finalize(void);

#endif
