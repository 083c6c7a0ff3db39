/* SPDX-License-Identifier: MIT */
/*
 * listen.c - the engine's listening sockets: one SO_REUSEPORT listener per
 * worker on --bind/--port (after a probe bind that fails if the port is
 * taken), or the listening sockets handed over by the service manager
 * (socket activation), checked and made non-blocking, and TCP_NODELAY on
 * them so that accepted sockets inherit it.
 */
#include "service/engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int make_listener(const struct addrinfo *ai, bool reuseport, char *err, size_t errlen, const char *what)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, zero = 0;
    if (fd < 0) {
        snprintf(err, errlen, "socket for %s: %s", what, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        snprintf(err, errlen, "SO_REUSEPORT on %s: %s", what, strerror(errno));
        close(fd);
        return -1;
    }
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, errlen, "bind %s: %s", what, strerror(errno));
        close(fd);
        return -1;
    }
    if (reuseport && listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "listen on %s: %s", what, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int resolve(const char *host, uint16_t port, struct addrinfo **res, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    int rc = getaddrinfo(host, ps, &hints, res);
    if (rc != 0) {
        snprintf(err, errlen, "--bind %s: %s (give a numeric IPv4 or IPv6 address)", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int sspix_svc_bind_all(sspix_engine *e, char *err, size_t errlen)
{
    const char *hosts[2] = {e->o.bind, NULL};
    if (hosts[0] == NULL) {
        hosts[0] = "::";
        hosts[1] = "0.0.0.0";
    }
    for (int h = 0; h < 2 && hosts[h] != NULL; h++) {
        struct addrinfo *ai;
        if (resolve(hosts[h], e->o.port, &ai, err, errlen) < 0)
            return -1;
        if (ai->ai_family == AF_INET6)
            snprintf(e->addr, sizeof(e->addr), "[%s]:%u", hosts[h], e->o.port);
        else
            snprintf(e->addr, sizeof(e->addr), "%s:%u", hosts[h], e->o.port);
        /* Bind once without SO_REUSEPORT first: that fails if anyone else
         * (another sspix-server included) holds the port, which the
         * SO_REUSEPORT listeners alone would silently share. */
        int probe = make_listener(ai, false, err, errlen, e->addr);
        if (probe < 0) {
            freeaddrinfo(ai);
            if (e->o.bind == NULL && h == 0 && errno == EAFNOSUPPORT)
                continue;
            return -1;
        }
        close(probe);
        for (unsigned i = 0; i < e->nworkers; i++) {
            e->workers[i].lfd = make_listener(ai, true, err, errlen, e->addr);
            if (e->workers[i].lfd < 0) {
                freeaddrinfo(ai);
                return -1;
            }
        }
        freeaddrinfo(ai);
        return 0;
    }
    return -1;
}

/* The address a listening socket is bound to, as text ("[::1]:2000"). */
static void socket_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        snprintf(buf, cap, "fd %d", fd);
    else
        sspix_svc_format_peer(&ss, buf, cap);
}

/* Check the sockets taken over from listen_fds: each must be a listening
 * stream socket; make them non-blocking. */
int sspix_svc_adopt_listeners(sspix_engine *e, char *err, size_t errlen)
{
    int rc = 0;
    if (e->o.nlisten_fds > SSPIX_ENGINE_MAX_LISTEN) {
        snprintf(err, errlen, "%u listening sockets handed over; at most %d can be served", e->o.nlisten_fds,
                 SSPIX_ENGINE_MAX_LISTEN);
        rc = -1;
    }
    e->addr[0] = '\0';
    for (unsigned i = 0; i < e->ninherited; i++) {
        int fd = e->inherited[i], type = 0, acc = 0;
        socklen_t tl = sizeof(type), al = sizeof(acc);
        char name[56];
        socket_name(fd, name, sizeof(name));
        if (rc == 0 && (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
                        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || !acc)) {
            snprintf(err, errlen,
                     "inherited descriptor %d (%s) is not a listening TCP socket: the socket unit must use "
                     "ListenStream= with Accept=no",
                     fd, name);
            rc = -1;
        }
        int fl = fcntl(fd, F_GETFL);
        if (rc == 0 && (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)) {
            snprintf(err, errlen, "inherited descriptor %d (%s): fcntl: %s", fd, name, strerror(errno));
            rc = -1;
        }
        size_t used = strlen(e->addr);
        snprintf(e->addr + used, sizeof(e->addr) - used, "%s%s", used ? ", " : "", name);
    }
    return rc;
}

bool sspix_svc_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}
