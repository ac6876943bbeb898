/* test_sockets.c - ocp_sock_nodelay_loopback: TCP_NODELAY on connected
 * loopback TCP sockets (IPv4 and, where the machine has it, IPv6), and
 * on nothing else: a listening socket, a UNIX stream socket, a UDP
 * socket keep their settings. */
#include "ocpagg/sockets.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int nodelay_of(int fd)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) != 0)
        return -1;
    return v != 0;
}

/* A listening socket on the loopback address of family fam, a client
 * connected to it and the accepted server end; 0 when the family is
 * missing here (no IPv6). */
static int tcp_pair(int fam, int *lis, int *cli, int *srv)
{
    struct sockaddr_storage ss;
    socklen_t len;

    memset(&ss, 0, sizeof ss);
    *lis = socket(fam, SOCK_STREAM, 0);
    if (*lis < 0)
        return 0;
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(*lis, (struct sockaddr *)&ss, len) != 0 || listen(*lis, 1) != 0 ||
        getsockname(*lis, (struct sockaddr *)&ss, &len) != 0) {
        close(*lis);
        return 0;
    }
    *cli = socket(fam, SOCK_STREAM, 0);
    if (*cli < 0 || connect(*cli, (struct sockaddr *)&ss, len) != 0) {
        close(*lis);
        if (*cli >= 0)
            close(*cli);
        return 0;
    }
    *srv = accept(*lis, NULL, NULL);
    return *srv >= 0;
}

static void test_loopback(void)
{
    int lis, cli, srv, lis6 = -1, cli6 = -1, srv6 = -1, un[2], udp, n, have6, base;

    /* Loopback sockets the test inherited (a CI agent's, say) count too. */
    base = ocp_sock_nodelay_loopback();
    CHECK(base >= 0);
    CHECK(tcp_pair(AF_INET, &lis, &cli, &srv));
    have6 = tcp_pair(AF_INET6, &lis6, &cli6, &srv6);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, un) == 0);
    udp = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(udp >= 0);
    /* All start with Nagle on, as the PMIx client's socket does. */
    CHECK_INT(nodelay_of(cli), 0);
    CHECK_INT(nodelay_of(srv), 0);
    CHECK_INT(nodelay_of(lis), 0);

    n = ocp_sock_nodelay_loopback();
    /* Both connected ends (and both IPv6 ends), nothing more. */
    CHECK_INT(n, base + (have6 ? 4 : 2));
    CHECK_INT(nodelay_of(cli), 1);
    CHECK_INT(nodelay_of(srv), 1);
    CHECK_INT(nodelay_of(lis), 0);
    if (have6) {
        CHECK_INT(nodelay_of(cli6), 1);
        CHECK_INT(nodelay_of(srv6), 1);
        CHECK_INT(nodelay_of(lis6), 0);
    }
    /* Not TCP: TCP_NODELAY does not apply, and was not set. */
    CHECK_INT(nodelay_of(un[0]), -1);
    CHECK_INT(nodelay_of(udp), -1);

    /* Data still flows both ways afterwards. */
    CHECK(write(cli, "ping", 4) == 4);
    {
        char b[4];
        CHECK(read(srv, b, 4) == 4 && memcmp(b, "ping", 4) == 0);
    }
    /* Once set, a second call finds them again (idempotent). */
    CHECK_INT(ocp_sock_nodelay_loopback(), base + (have6 ? 4 : 2));

    close(cli);
    close(srv);
    close(lis);
    if (have6) {
        close(cli6);
        close(srv6);
        close(lis6);
    }
    close(un[0]);
    close(un[1]);
    close(udp);
}

static void test_none(void)
{
    /* The process's descriptors can be listed: a count, not -1. */
    CHECK(ocp_sock_nodelay_loopback() >= 0);
}

int main(void)
{
    RUN(test_none);
    RUN(test_loopback);
    return TEST_SUMMARY();
}
