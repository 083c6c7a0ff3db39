/* accept4(2) */
#define _GNU_SOURCE
#include "service/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

/* Accepts per listener wake-up, so one busy listener cannot starve the loop. */
#define ACCEPT_BATCH 64
/* Bytes read per read(2); conn.c sizes its output bound on this. */
#define READ_CHUNK (16u * 1024u)
/* Pause after EMFILE/ENFILE before accepting again. */
#define ACCEPT_PAUSE_MS 100

struct worker;

/* One connection: the state machine plus its socket and events. */
struct sconn {
    sspix_conn c;
    struct worker *w;
    int fd;
    bool reading, writing;
    struct event rev, wev, tev;
    struct timespec start;
    char peer[56];
};

struct worker {
    sspix_engine *e;
    struct event_base *base;
    pthread_t tid;
    bool started;
    int lfd, efd;
    struct event lev, nev, pause_ev, grace_ev;
    bool listening, stopping;
    sspix_svc_cred *cred; /* this worker's reference to the current generation */
    struct sconn **table; /* GetEntry: connection by socket */
    size_t table_cap, nconns;
    uint8_t rbuf[READ_CHUNK];
};

struct sspix_engine {
    struct sspix_engine_opts o;
    char addr[80];
    pthread_mutex_t lock; /* guards cred */
    sspix_svc_cred *cred;
    atomic_uint conns;
    atomic_uint max_conns;
    atomic_bool stopping;
    unsigned nworkers;
    struct worker *workers;
};

static void logf_line(sspix_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_line(sspix_engine *e, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    e->o.log(e->o.log_arg, line);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void format_peer(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
        snprintf(buf, cap, "%s:%u", host, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        port = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
            snprintf(buf, cap, "%s:%u", host, port);
        } else {
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
            snprintf(buf, cap, "[%s]:%u", host, port);
        }
    } else {
        snprintf(buf, cap, "unknown");
    }
}

/* ---- connections ------------------------------------------------------------ */

static void ms_to_tv(unsigned ms, struct timeval *tv)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static void stop_loop_if_idle(struct worker *w)
{
    if (w->stopping && w->nconns == 0)
        event_base_loopbreak(w->base);
}

static void conn_close(struct sconn *sc)
{
    struct worker *w = sc->w;
    char line[1024];
    sspix_conn_log_line(&sc->c, sc->peer, ms_since(&sc->start), line, sizeof(line));
    w->e->o.log(w->e->o.log_arg, line);
    event_del(&sc->rev);
    event_del(&sc->wev);
    event_del(&sc->tev);
    close(sc->fd);
    if ((size_t)sc->fd < w->table_cap)
        w->table[sc->fd] = NULL;
    sspix_conn_free(&sc->c);
    free(sc);
    w->nconns--;
    atomic_fetch_sub_explicit(&w->e->conns, 1, memory_order_relaxed);
    stop_loop_if_idle(w);
}

static void want_read(struct sconn *sc, bool on)
{
    if (on && !sc->reading)
        event_add(&sc->rev, NULL);
    else if (!on && sc->reading)
        event_del(&sc->rev);
    sc->reading = on;
}

static void want_write(struct sconn *sc, bool on)
{
    if (on && !sc->writing)
        event_add(&sc->wev, NULL);
    else if (!on && sc->writing)
        event_del(&sc->wev);
    sc->writing = on;
}

/* Send what the state machine produced; then close, or wait for input. Reading
 * stops while output is pending, which bounds the buffered output. */
static void conn_flush(struct sconn *sc)
{
    size_t len;
    const uint8_t *p;
    while ((p = sspix_conn_pending(&sc->c, &len)) != NULL) {
        ssize_t n = send(sc->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            sspix_conn_sent(&sc->c, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want_read(sc, false);
            want_write(sc, true);
            return;
        }
        sspix_conn_abort(&sc->c, "io_error");
        conn_close(sc);
        return;
    }
    want_write(sc, false);
    if (sspix_conn_closing(&sc->c)) {
        conn_close(sc);
        return;
    }
    want_read(sc, true);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct sconn *sc = arg;
    (void)fd, (void)what;
    sspix_conn_abort(&sc->c, sspix_conn_in_handshake(&sc->c) ? "deadline" : "idle");
    conn_close(sc);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct sconn *sc = arg;
    (void)fd, (void)what;
    conn_flush(sc);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct sconn *sc = arg;
    struct worker *w = sc->w;
    (void)what;
    ssize_t n = recv(fd, w->rbuf, sizeof(w->rbuf), 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        sspix_conn_abort(&sc->c, errno == ECONNRESET ? "reset" : "io_error");
        conn_close(sc);
        return;
    }
    if (n == 0)
        sspix_conn_eof(&sc->c);
    else
        sspix_conn_feed(&sc->c, w->rbuf, (size_t)n);
    /* Half a frame in: the peer may be holding the rest back under Nagle until
     * we ACK (gss-client writes flags, length and token separately), so ACK
     * now instead of after the delayed-ACK timer (40 ms per message). */
    if (!sspix_conn_closing(&sc->c) && sspix_framedec_buffered(&sc->c.dec) > 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    }

    if (!sspix_conn_in_handshake(&sc->c) && !sspix_conn_closing(&sc->c)) {
        /* Echo session: the handshake deadline becomes an idle timeout,
         * restarted by every read. */
        struct timeval tv;
        ms_to_tv(sc->c.cred->limits.idle_ms, &tv);
        event_add(&sc->tev, &tv);
    }
    conn_flush(sc);
}

static int table_put(struct worker *w, struct sconn *sc)
{
    if ((size_t)sc->fd >= w->table_cap) {
        size_t cap = w->table_cap ? w->table_cap : 256;
        while (cap <= (size_t)sc->fd)
            cap *= 2;
        struct sconn **t = realloc(w->table, cap * sizeof(*t));
        if (t == NULL)
            return -1;
        memset(t + w->table_cap, 0, (cap - w->table_cap) * sizeof(*t));
        w->table = t;
        w->table_cap = cap;
    }
    w->table[sc->fd] = sc;
    return 0;
}

static void refuse(struct worker *w, int fd, const struct sockaddr_storage *ss, const char *why)
{
    char peer[56];
    format_peer(ss, peer, sizeof(peer));
    close(fd);
    logf_line(w->e, "peer=%s client=- package=%s mutual=no legs=0 outcome=%s ms=0.0", peer, w->cred->package, why);
}

static void conn_open(struct worker *w, int fd, const struct sockaddr_storage *ss)
{
    sspix_engine *e = w->e;
    unsigned max = atomic_load_explicit(&e->max_conns, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&e->conns, 1, memory_order_relaxed) >= max) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, "max_connections");
        return;
    }
    struct sconn *sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, "nomem");
        return;
    }
    sc->w = w;
    sc->fd = fd;
    clock_gettime(CLOCK_MONOTONIC, &sc->start);
    format_peer(ss, sc->peer, sizeof(sc->peer));
    if (table_put(w, sc) < 0) {
        free(sc);
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, "nomem");
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sspix_conn_init(&sc->c, w->cred);
    w->nconns++;
    event_assign(&sc->rev, w->base, fd, EV_READ | EV_PERSIST, on_read, sc);
    event_assign(&sc->wev, w->base, fd, EV_WRITE | EV_PERSIST, on_write, sc);
    evtimer_assign(&sc->tev, w->base, on_timer, sc);
    struct timeval tv;
    ms_to_tv(sc->c.cred->limits.handshake_ms, &tv);
    event_add(&sc->tev, &tv);
    want_read(sc, true);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    for (int i = 0; i < ACCEPT_BATCH && w->listening; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: stop accepting for a moment rather than spin. */
                logf_line(w->e, "accept: %s; pausing %d ms", strerror(errno), ACCEPT_PAUSE_MS);
                struct timeval tv;
                ms_to_tv(ACCEPT_PAUSE_MS, &tv);
                event_del(&w->lev);
                event_add(&w->pause_ev, &tv);
            }
            return;
        }
        conn_open(w, fd, &ss);
    }
}

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    if (w->listening)
        event_add(&w->lev, NULL);
}

/* ---- stop and reload ------------------------------------------------------ */

static void close_all(struct worker *w, bool only_idle, const char *reason)
{
    for (size_t fd = 0; fd < w->table_cap; fd++) {
        struct sconn *sc = w->table[fd];
        size_t pending;
        if (sc == NULL)
            continue;
        sspix_conn_pending(&sc->c, &pending);
        if (only_idle && (sspix_conn_in_handshake(&sc->c) || pending > 0))
            continue;
        sspix_conn_abort(&sc->c, reason);
        conn_close(sc);
    }
}

static void on_grace_end(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    close_all(w, false, "shutdown");
    event_base_loopbreak(w->base);
}

static void begin_stop(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    if (w->listening) {
        event_del(&w->lev);
        event_del(&w->pause_ev);
        close(w->lfd);
        w->lfd = -1;
        w->listening = false;
    }
    /* Handshakes in flight may finish; idle echo sessions end now. */
    close_all(w, true, "shutdown");
    struct timeval tv;
    ms_to_tv(w->e->o.grace_ms, &tv);
    event_add(&w->grace_ev, &tv);
    stop_loop_if_idle(w);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;
    (void)what;
    if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    sspix_engine *e = w->e;
    pthread_mutex_lock(&e->lock);
    sspix_svc_cred *old = NULL;
    if (w->cred != e->cred) {
        old = w->cred;
        w->cred = sspix_svc_cred_ref(e->cred);
    }
    pthread_mutex_unlock(&e->lock);
    sspix_svc_cred_unref(old); /* connections still holding it keep it alive */
    if (atomic_load(&e->stopping))
        begin_stop(w);
}

static void notify_all(sspix_engine *e)
{
    uint64_t one = 1;
    for (unsigned i = 0; i < e->nworkers; i++)
        if (e->workers[i].efd >= 0 && write(e->workers[i].efd, &one, sizeof(one)) < 0) {
            /* the counter cannot overflow in practice; nothing else can fail */
        }
}

/* ---- listeners --------------------------------------------------------------- */

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

static int bind_all(sspix_engine *e, char *err, size_t errlen)
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

/* ---- engine ------------------------------------------------------------------ */

int sspix_engine_create(const struct sspix_engine_opts *o, sspix_svc_cred *cred, sspix_engine **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    sspix_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->o = *o;
    e->nworkers = o->threads ? o->threads : 1;
    pthread_mutex_init(&e->lock, NULL);
    e->cred = sspix_svc_cred_ref(cred);
    atomic_init(&e->conns, 0);
    atomic_init(&e->max_conns, o->max_connections);
    atomic_init(&e->stopping, false);
    e->workers = calloc(e->nworkers, sizeof(*e->workers));
    if (e->workers == NULL) {
        snprintf(err, errlen, "out of memory");
        sspix_engine_free(e);
        return -1;
    }
    for (unsigned i = 0; i < e->nworkers; i++) {
        e->workers[i].lfd = e->workers[i].efd = -1;
        e->workers[i].e = e;
    }
    if (bind_all(e, err, errlen) < 0) {
        sspix_engine_free(e);
        return -1;
    }
    struct event_config *cfg = event_config_new();
    if (cfg != NULL)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK); /* one thread per base; no locks needed */
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct worker *w = &e->workers[i];
        w->base = cfg ? event_base_new_with_config(cfg) : NULL;
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->base == NULL || w->efd < 0) {
            snprintf(err, errlen, "event loop setup: %s", strerror(errno ? errno : ENOMEM));
            if (cfg)
                event_config_free(cfg);
            sspix_engine_free(e);
            return -1;
        }
        w->cred = sspix_svc_cred_ref(cred);
        event_assign(&w->lev, w->base, w->lfd, EV_READ | EV_PERSIST, on_accept, w);
        event_assign(&w->nev, w->base, w->efd, EV_READ | EV_PERSIST, on_notify, w);
        evtimer_assign(&w->pause_ev, w->base, on_pause_end, w);
        evtimer_assign(&w->grace_ev, w->base, on_grace_end, w);
        event_add(&w->lev, NULL);
        event_add(&w->nev, NULL);
        w->listening = true;
    }
    event_config_free(cfg);
    *out = e;
    return 0;
}

const char *sspix_engine_address(const sspix_engine *e)
{
    return e->addr;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

int sspix_engine_start(sspix_engine *e)
{
    for (unsigned i = 0; i < e->nworkers; i++) {
        int rc = pthread_create(&e->workers[i].tid, NULL, worker_main, &e->workers[i]);
        if (rc != 0) {
            errno = rc;
            return -1;
        }
        e->workers[i].started = true;
    }
    return 0;
}

void sspix_engine_set_cred(sspix_engine *e, sspix_svc_cred *cred)
{
    pthread_mutex_lock(&e->lock);
    sspix_svc_cred *old = e->cred;
    e->cred = sspix_svc_cred_ref(cred);
    pthread_mutex_unlock(&e->lock);
    sspix_svc_cred_unref(old);
    notify_all(e);
}

void sspix_engine_set_max_connections(sspix_engine *e, unsigned max)
{
    atomic_store(&e->max_conns, max);
}

void sspix_engine_stop(sspix_engine *e)
{
    atomic_store(&e->stopping, true);
    notify_all(e);
}

void sspix_engine_wait(sspix_engine *e)
{
    for (unsigned i = 0; i < e->nworkers; i++)
        if (e->workers[i].started) {
            pthread_join(e->workers[i].tid, NULL);
            e->workers[i].started = false;
        }
}

unsigned sspix_engine_connections(const sspix_engine *e)
{
    return atomic_load(&((sspix_engine *)e)->conns);
}

void sspix_engine_free(sspix_engine *e)
{
    if (e == NULL)
        return;
    sspix_engine_wait(e);
    for (unsigned i = 0; e->workers && i < e->nworkers; i++) {
        struct worker *w = &e->workers[i];
        if (w->base != NULL) {
            close_all(w, false, "shutdown");
            event_del(&w->lev);
            event_del(&w->nev);
            event_del(&w->pause_ev);
            event_del(&w->grace_ev);
            event_base_free(w->base);
        }
        if (w->lfd >= 0)
            close(w->lfd);
        if (w->efd >= 0)
            close(w->efd);
        free(w->table);
        sspix_svc_cred_unref(w->cred);
    }
    free(e->workers);
    sspix_svc_cred_unref(e->cred);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
