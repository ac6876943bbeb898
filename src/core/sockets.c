/* sockets.c - TCP_NODELAY on the process's loopback TCP sockets. */
#include "ocpagg/sockets.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Whether a peer address is this machine's loopback. */
static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        const unsigned char *b = a->sin6_addr.s6_addr;
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
            return 1;
        return memcmp(b, v4mapped, sizeof v4mapped) == 0 && b[12] == 127;
    }
    return 0;
}

/* Sets TCP_NODELAY on fd when it is a TCP stream socket connected to a
 * loopback address; 1 when set. */
static int set_one(int fd)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int type = 0, one = 1;
    socklen_t tlen = sizeof type;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM)
        return 0;
    memset(&peer, 0, sizeof peer);
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 || !is_loopback(&peer))
        return 0;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

int ocp_sock_nodelay_loopback(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0, self;

    if (d == NULL)
        return -1;
    self = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        errno = 0;
        fd = strtol(e->d_name, &end, 10);
        if (errno != 0 || *end != '\0' || fd < 0 || fd > 1 << 30 || fd == self)
            continue;
        n += set_one((int)fd);
    }
    closedir(d);
    return n;
}
