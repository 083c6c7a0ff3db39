/* SPDX-License-Identifier: MIT */
/*
 * floor_server - the TCP floor of one gss-sample handshake: the network work a
 * server cannot avoid, with no security package at all.
 *
 *   floor_server [-b ADDR] [-p PORT] [-r REPLY_TOKEN_BYTES] [-m MIC_TOKEN_BYTES]
 *
 * One thread, one epoll set, a non-blocking listener (accept4 with
 * SOCK_NONBLOCK, until EAGAIN). Each connection follows MIT's gss-server on the
 * wire (every frame is "u8 flags | u32 BE length | token"): it reads the
 * client's NOOP|CONTEXT_NEXT opener and its CONTEXT token, answers with one
 * CONTEXT frame whose token has REPLY_TOKEN_BYTES filler bytes (the size of a
 * real AP-REP token; default 156), then, as gss-server does after the
 * handshake, answers each DATA frame asking for a MIC with a MIC frame of
 * MIC_TOKEN_BYTES (default 28) and closes on the client's empty NOOP or on EOF.
 * Nothing is checked as a token. Prints "listening on ADDR:PORT" once ready;
 * SIGTERM or SIGINT stops it, printing its counters to stderr.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME (64u * 1024u) /* largest reply body on the command line */

enum state { S_OPENER, S_CONTEXT, S_SESSION };

struct conn {
    int fd;
    enum state st;
    size_t have;       /* bytes in buf */
    uint8_t buf[8192]; /* frames being read (a handshake token is ~1-2 KB) */
};

static volatile sig_atomic_t stop;
static unsigned long n_conns, n_handshakes, n_errors;
static uint8_t *reply, *mic;
static size_t reply_len, mic_len;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void close_conn(struct conn *c)
{
    close(c->fd); /* also leaves the epoll set */
    free(c);
}

static uint8_t *make_frame(unsigned flags, size_t body, size_t *len)
{
    uint8_t *f = malloc(FRAME_HDR + body);
    if (f == NULL)
        return NULL;
    f[0] = (uint8_t)flags;
    f[1] = (uint8_t)(body >> 24);
    f[2] = (uint8_t)(body >> 16);
    f[3] = (uint8_t)(body >> 8);
    f[4] = (uint8_t)body;
    memset(f + FRAME_HDR, 0xa5, body);
    *len = FRAME_HDR + body;
    return f;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    ssize_t w = write(fd, p, n);
    /* A reply this small always fits in an empty socket buffer. */
    return w == (ssize_t)n ? 0 : -1;
}

/* One complete frame: 0 keep going, 1 close (done), -1 error. */
static int frame(struct conn *c, unsigned flags, size_t len)
{
    switch (c->st) {
    case S_OPENER:
        if (flags != (F_NOOP | F_CONTEXT_NEXT) || len != 0)
            return -1;
        c->st = S_CONTEXT;
        return 0;
    case S_CONTEXT:
        if (!(flags & F_CONTEXT) || len == 0)
            return -1;
        if (send_all(c->fd, reply, reply_len) != 0)
            return -1;
        n_handshakes++;
        c->st = S_SESSION;
        return 0;
    case S_SESSION:
        if (flags & F_NOOP)
            return 1;
        if (!(flags & F_DATA))
            return -1;
        if (flags & F_SEND_MIC)
            return send_all(c->fd, mic, mic_len);
        return send_all(c->fd, reply, FRAME_HDR) == 0 ? 0 : -1; /* an empty reply header */
    }
    return -1;
}

/* Readable: 0 keep, -1 close. Reads straight into the connection's buffer and
 * consumes every complete frame in it. */
static int readable(struct conn *c)
{
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : (n_errors++, -1);
        if (r == 0)
            return -1; /* EOF: the client is done */
        c->have += (size_t)r;
        size_t off = 0;
        while (c->have - off >= FRAME_HDR) {
            const uint8_t *h = c->buf + off;
            size_t len = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
            if (len > sizeof(c->buf) - FRAME_HDR)
                return n_errors++, -1;
            if (c->have - off < FRAME_HDR + len)
                break;
            int f = frame(c, h[0], len);
            if (f != 0)
                return f < 0 ? (n_errors++, -1) : -1;
            off += FRAME_HDR + len;
        }
        if (off > 0) {
            memmove(c->buf, c->buf + off, c->have - off);
            c->have -= off;
        }
        if (c->have < sizeof(c->buf))
            return 0; /* level-triggered: epoll reports whatever is left */
    }
}

static size_t parse_size(const char *s, size_t max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > max) {
        fprintf(stderr, "floor_server: bad number '%s'\n", s);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    unsigned port = 0;
    size_t reply_body = 156, mic_body = 28;
    int ch;
    while ((ch = getopt(argc, argv, "b:p:r:m:")) != -1) {
        switch (ch) {
        case 'b': addr = optarg; break;
        case 'p': port = (unsigned)parse_size(optarg, 65535); break;
        case 'r': reply_body = parse_size(optarg, MAX_FRAME); break;
        case 'm': mic_body = parse_size(optarg, MAX_FRAME); break;
        default: fprintf(stderr, "usage: floor_server [-b ADDR] [-p PORT] [-r BYTES] [-m BYTES]\n"); return 2;
        }
    }
    reply = make_frame(F_CONTEXT, reply_body, &reply_len);
    mic = make_frame(F_MIC, mic_body, &mic_len);
    if (reply == NULL || mic == NULL)
        return 1;

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "floor_server: %s is not an IPv4 address\n", addr);
        return 2;
    }
    int one = 1;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, SOMAXCONN) != 0) {
        perror("floor_server: listen");
        return 1;
    }
    socklen_t sl = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);

    struct sigaction act = {.sa_handler = on_signal};
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    signal(SIGPIPE, SIG_IGN);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
        perror("floor_server: epoll");
        return 1;
    }
    printf("listening on %s:%u\n", addr, (unsigned)ntohs(sa.sin_port));
    fflush(stdout);

    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("floor_server: epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                        break; /* EAGAIN, or a transient error: epoll reports the listener again */
                    struct conn *nc = calloc(1, sizeof(*nc));
                    if (nc == NULL) {
                        close(fd);
                        n_errors++;
                        continue;
                    }
                    nc->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0) {
                        close_conn(nc);
                        n_errors++;
                        continue;
                    }
                    n_conns++;
                }
                continue;
            }
            if (readable(c) < 0)
                close_conn(c);
        }
    }
    fprintf(stderr, "floor_server: %lu connections, %lu handshakes, %lu errors\n", n_conns, n_handshakes, n_errors);
    /* Connections still open at exit are left to the kernel. */
    close(ep);
    close(lfd);
    free(reply);
    free(mic);
    return 0;
}
