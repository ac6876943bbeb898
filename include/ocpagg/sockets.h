/*
 * sockets.h - the process's own stream sockets to this machine, as the
 * libraries it links left them.
 *
 * Open MPI's PMIx client talks to the local launcher over a loopback TCP
 * socket without TCP_NODELAY.  At MPI_Finalize it sends a few small
 * messages in a row; the second waits (Nagle's algorithm) for the
 * launcher's acknowledgement of the first, which the launcher's kernel
 * delays by 40 ms.  Every run paid those 40 ms once, whatever its size:
 * 4 % of a 3.6 M-row job.  Setting TCP_NODELAY only changes when small
 * segments leave, never what arrives.
 */
#ifndef OCPAGG_SOCKETS_H
#define OCPAGG_SOCKETS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Sets TCP_NODELAY on every connected TCP stream socket of this process
 * whose peer is a loopback address (127.0.0.0/8, ::1, or 127.x mapped
 * into IPv6); other descriptors are left alone.  Returns how many sockets
 * it set, or -1 when the process's descriptors cannot be listed (Linux
 * /proc/self/fd; errno says why).  Nothing depends on the result: a
 * socket it could not set only stays as slow as it was. */
int ocp_sock_nodelay_loopback(void);

#ifdef __cplusplus
}
#endif

#endif
