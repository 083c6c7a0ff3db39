/* SPDX-License-Identifier: MIT */
/*
 * client_net.c - sockets for sspix-client; see client_net.h.
 */
#include "client_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int client_resolve(const char *host, uint16_t port, struct client_addrs *out, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char service[8];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    out->count = 0;
    for (struct addrinfo *ai = res; ai != NULL && out->count < CLIENT_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(out->addr[0]))
            continue;
        memcpy(&out->addr[out->count], ai->ai_addr, ai->ai_addrlen);
        out->len[out->count] = ai->ai_addrlen;
        out->count++;
    }
    freeaddrinfo(res);
    if (out->count == 0) {
        snprintf(err, errlen, "cannot resolve %s: no usable address", host);
        return -1;
    }
    return 0;
}

const char *client_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(buf, size, "%s port %u", host, port);
    return buf;
}

int client_connect_start(const struct sockaddr *sa, socklen_t len, int *in_progress)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -1;
    int one = 1;
    /* Handshake legs are small request/response messages: no Nagle delay. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *in_progress = 0;
    if (connect(fd, sa, len) != 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        *in_progress = 1;
    }
    return fd;
}

int client_connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return errno;
    return err;
}

int client_connect_any(const struct client_addrs *addrs, double timeout, int *which, int *err_out)
{
    int last = ECONNREFUSED;
    for (int i = 0; i < addrs->count; i++) {
        int in_progress = 0;
        int fd = client_connect_start((const struct sockaddr *)&addrs->addr[i], addrs->len[i], &in_progress);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (in_progress) {
            struct pollfd p = {fd, POLLOUT, 0};
            int rc;
            do
                rc = poll(&p, 1, (int)(timeout * 1000.0));
            while (rc < 0 && errno == EINTR);
            if (rc <= 0) {
                last = rc == 0 ? ETIMEDOUT : errno;
                close(fd);
                continue;
            }
            int e = client_connect_result(fd);
            if (e != 0) {
                last = e;
                close(fd);
                continue;
            }
        }
        *which = i;
        return fd;
    }
    *err_out = last;
    return -1;
}

uint64_t client_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
