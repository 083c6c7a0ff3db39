/* SPDX-License-Identifier: MIT */
/*
 * client_net.h - sockets for sspix-client: name resolution, connecting with a
 * deadline, and a monotonic clock. The protocol lives in src/client/conv.h.
 */
#ifndef SSPIX_CLIENT_NET_H
#define SSPIX_CLIENT_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CLIENT_MAX_ADDRS 8

/* The server's addresses, in getaddrinfo() order. */
struct client_addrs {
    struct sockaddr_storage addr[CLIENT_MAX_ADDRS];
    socklen_t len[CLIENT_MAX_ADDRS];
    int count;
};

/* Resolve host and port (TCP). Returns 0, or -1 with a message in err. */
int client_resolve(const char *host, uint16_t port, struct client_addrs *out, char *err, size_t errlen);

/* "127.0.0.1 port 2000" / "::1 port 2000" into buf. Returns buf. */
const char *client_addr_str(const struct sockaddr *sa, char *buf, size_t size);

/* A non-blocking, close-on-exec TCP socket with a connect() to sa started.
 * Returns the fd (*in_progress set when the connect has not finished yet), or
 * -1 with errno set. */
int client_connect_start(const struct sockaddr *sa, socklen_t len, int *in_progress);

/* The outcome of a finished non-blocking connect: 0 or an errno value. */
int client_connect_result(int fd);

/* Connect to the first address that accepts within timeout seconds each.
 * Returns a non-blocking fd and sets *which to the address index, or -1 with
 * the last errno in *err_out (ETIMEDOUT for a timeout). */
int client_connect_any(const struct client_addrs *addrs, double timeout, int *which, int *err_out);

/* Monotonic time in microseconds. */
uint64_t client_now_us(void);

#endif /* SSPIX_CLIENT_NET_H */
