/*
 * nodelay.c - an LD_PRELOAD shim for bench/compare-kannel: it sets
 * TCP_NODELAY on every TCP socket the program creates or accepts, so that
 * Kannel's bearerbox and smsbox send each PDU at once instead of waiting,
 * under Nagle's algorithm, for the peer's delayed ACK. Only the benchmark
 * uses it (the "Kannel, TCP_NODELAY forced" row); raia sets TCP_NODELAY
 * itself.
 *
 * Built by bench/compare-kannel:
 *   gcc -O2 -shared -fPIC -o nodelay.so nodelay.c -ldl
 * With NODELAY_SHIM_LOG set, each socket it changed is written to stderr,
 * to check the shim is really in force.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static void nodelay(int fd, const char *how)
{
    int one = 1, type = 0;
    socklen_t len = sizeof type;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
        return;
    struct sockaddr_storage sa;
    len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
        (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
        return;
    int rc = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (getenv("NODELAY_SHIM_LOG"))
        fprintf(stderr, "nodelay shim: %s fd %d TCP_NODELAY %s\n", how, fd,
                rc == 0 ? "on" : "failed");
}

int socket(int domain, int type, int protocol)
{
    static int (*real)(int, int, int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "socket");
    int fd = real(domain, type, protocol);
    if (domain == AF_INET || domain == AF_INET6)
        nodelay(fd, "socket");
    return fd;
}

/* __SOCKADDR_ARG: the address type glibc declares accept() with under _GNU_SOURCE. */
int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
    static int (*real)(int, __SOCKADDR_ARG, socklen_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "accept");
    int c = real(fd, addr, len);
    nodelay(c, "accept");
    return c;
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
    static int (*real)(int, __SOCKADDR_ARG, socklen_t *, int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "accept4");
    int c = real(fd, addr, len, flags);
    nodelay(c, "accept4");
    return c;
}
