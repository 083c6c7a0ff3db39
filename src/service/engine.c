/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the service's event loops (engine.h): the worker threads and
 * their libevent bases, each connection's socket, events and timers around
 * its sspix_conn state machine, the graceful stop, the credential reload and
 * the engine's public calls. Accepting and admitting connections is admit.c,
 * the listening sockets listen.c; engine_int.h has what they share.
 */
#include "service/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

/* After a graceful end (reply sent, FIN sent), how long the peer's remaining
 * input is read and dropped before the close, so that a close with unread
 * input does not turn into a reset that could destroy the reply. */
#define LINGER_MS 2000

void sspix_svc_logf(sspix_engine *e, int prio, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    e->o.log(e->o.log_arg, prio, line);
}

/* A connection's line is INFO when it did what it came for: the session ran
 * and ended normally (the greeting or the client's goodbye, its EOF), or an
 * authenticated session was closed idle or by the stop. Everything else (a
 * handshake that failed or never finished, a refusal, a weak context, a
 * deadline, a protocol error) is WARNING. */
static int conn_priority(const sspix_conn *c)
{
    if (c->status != SEC_E_OK)
        return LOG_WARNING;
    if (c->reason == NULL)
        return LOG_INFO;
    if (c->client != NULL && (strcmp(c->reason, "idle") == 0 || strcmp(c->reason, "shutdown") == 0))
        return LOG_INFO;
    return LOG_WARNING;
}

double sspix_svc_ms_between(const struct timespec *t0, const struct timespec *t)
{
    return (double)(t->tv_sec - t0->tv_sec) * 1e3 + (double)(t->tv_nsec - t0->tv_nsec) / 1e6;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return sspix_svc_ms_between(t0, &t);
}

void sspix_svc_format_peer(const struct sockaddr_storage *ss, char *buf, size_t cap)
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

/* A connection's peer as text, from what the connection keeps of it. */
static void format_conn_peer(const struct sconn *sc, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (sc->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(sc->port);
        memcpy(&s4->sin_addr, sc->addr + 12, 4);
    } else if (sc->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(sc->port);
        memcpy(&s6->sin6_addr, sc->addr, 16);
    } else {
        ss.ss_family = AF_UNSPEC;
    }
    sspix_svc_format_peer(&ss, buf, cap);
}

/* ---- connections ------------------------------------------------------------ */

void sspix_svc_ms_to_tv(unsigned ms, struct timeval *tv)
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
    char line[1024], peer[56];
    format_conn_peer(sc, peer, sizeof(peer));
    sspix_conn_log_line(&sc->c, peer, ms_since(&sc->start), line, sizeof(line));
    w->e->o.log(w->e->o.log_arg, conn_priority(&sc->c), line);
    event_del(&sc->rev);
    if (sc->wev != NULL)
        event_free(sc->wev);
    event_del(&sc->tev);
    close(sc->fd);
    if ((size_t)sc->fd < w->table_cap)
        w->table[sc->fd] = NULL;
    sspix_svc_addr_put(w->e, sc->addr);
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

static void on_write(evutil_socket_t fd, short what, void *arg);

/* Returns false when the write event cannot be had (out of memory). */
static bool want_write(struct sconn *sc, bool on)
{
    if (on && !sc->writing) {
        if (sc->wev == NULL && (sc->wev = event_new(sc->w->base, sc->fd, EV_WRITE | EV_PERSIST, on_write, sc)) == NULL)
            return false;
        event_add(sc->wev, NULL);
    } else if (!on && sc->writing) {
        event_del(sc->wev);
    }
    sc->writing = on;
    return true;
}

static void arm_timer(struct sconn *sc, unsigned ms)
{
    struct timeval tv;
    sspix_svc_ms_to_tv(ms, &tv);
    event_add(&sc->tev, &tv);
}

/* True when nothing is in progress: past the handshake, no frame begun, no
 * output waiting. */
static bool conn_at_rest(const struct sconn *sc)
{
    size_t pending;
    sspix_conn_pending(&sc->c, &pending);
    return !sspix_conn_in_handshake(&sc->c) && !sspix_conn_closing(&sc->c) && pending == 0 &&
           sspix_framedec_buffered(&sc->c.dec) == 0;
}

/* Stopping, and this connection has nothing in progress: FIN now, read and
 * drop what the peer still sends until its EOF (or LINGER_MS), then close. */
static void conn_graceful_end(struct sconn *sc)
{
    sspix_conn_abort(&sc->c, "shutdown");
    shutdown(sc->fd, SHUT_WR);
    sc->draining = true;
    sc->in_frame = false;
    want_write(sc, false);
    want_read(sc, true);
    arm_timer(sc, LINGER_MS);
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
            if (want_write(sc, true))
                return;
            sspix_conn_abort(&sc->c, "nomem");
            conn_close(sc);
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
    if (sc->w->stopping && conn_at_rest(sc)) {
        conn_graceful_end(sc);
        return;
    }
    want_read(sc, true);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct sconn *sc = arg;
    (void)fd, (void)what;
    if (!sc->draining)
        sspix_conn_abort(&sc->c, sspix_conn_in_handshake(&sc->c) ? "deadline"
                                 : sc->in_frame                  ? "message_deadline"
                                                                 : "idle");
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
        if (!sc->draining)
            sspix_conn_abort(&sc->c, errno == ECONNRESET ? "reset" : "io_error");
        conn_close(sc);
        return;
    }
    if (sc->draining) { /* after our FIN: drop input, close at the peer's EOF */
        if (n == 0)
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
        /* After the handshake: between frames the idle timeout runs,
         * restarted when a frame is complete; once a frame has begun, the
         * message deadline runs, and bytes trickling in do not restart it. */
        if (sspix_framedec_buffered(&sc->c.dec) > 0) {
            /* A new frame (one that began after the last complete one) gets
             * its own deadline; a frame still incomplete keeps its own. */
            if (!sc->in_frame || sc->frame_mark != sc->c.messages) {
                sc->in_frame = true;
                sc->frame_mark = sc->c.messages;
                arm_timer(sc,
                          sc->c.cred->limits.message_ms ? sc->c.cred->limits.message_ms : sc->c.cred->limits.idle_ms);
            }
        } else {
            sc->in_frame = false;
            arm_timer(sc, sc->c.cred->limits.idle_ms);
        }
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

void sspix_svc_conn_open(struct worker *w, int fd, const struct sockaddr_storage *ss)
{
    sspix_engine *e = w->e;
    uint8_t key[16];
    unsigned max = atomic_load_explicit(&e->max_conns, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&e->conns, 1, memory_order_relaxed) >= max) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        sspix_svc_refuse(w, fd, ss, REF_MAX_CONNECTIONS);
        return;
    }
    sspix_svc_addr_key(ss, key);
    int r = sspix_svc_addr_take(e, key);
    if (r != 0) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        sspix_svc_refuse(w, fd, ss, (enum refusal)r);
        return;
    }
    struct sconn *sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        sspix_svc_addr_put(e, key);
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        sspix_svc_refuse(w, fd, ss, REF_NOMEM);
        return;
    }
    sc->w = w;
    sc->fd = fd;
    memcpy(sc->addr, key, 16);
    clock_gettime(CLOCK_MONOTONIC, &sc->start);
    sc->family = (uint8_t)(ss->ss_family == AF_INET || ss->ss_family == AF_INET6 ? ss->ss_family : AF_UNSPEC);
    if (ss->ss_family == AF_INET)
        sc->port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    else if (ss->ss_family == AF_INET6)
        sc->port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    if (table_put(w, sc) < 0) {
        free(sc);
        sspix_svc_addr_put(e, key);
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        sspix_svc_refuse(w, fd, ss, REF_NOMEM);
        return;
    }
    if (!w->nodelay_inherited) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    sspix_conn_init_slot(&sc->c, w->cred, w->index);
    w->nconns++;
    event_assign(&sc->rev, w->base, fd, EV_READ | EV_PERSIST, on_read, sc);
    evtimer_assign(&sc->tev, w->base, on_timer, sc);
    struct timeval tv;
    sspix_svc_ms_to_tv(sc->c.cred->limits.handshake_ms, &tv);
    event_add(&sc->tev, &tv);
    want_read(sc, true);
    /* The client speaks first, and by the time a connection is taken off the
     * backlog its first bytes have usually arrived: read them now rather than
     * after another trip through epoll_wait. */
    on_read((evutil_socket_t)fd, EV_READ, sc);
}

/* ---- stop and reload ------------------------------------------------------ */

static void close_all(struct worker *w, const char *reason)
{
    for (size_t fd = 0; fd < w->table_cap; fd++) {
        struct sconn *sc = w->table[fd];
        if (sc == NULL)
            continue;
        sspix_conn_abort(&sc->c, reason);
        conn_close(sc);
    }
}

static void on_grace_end(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    close_all(w, "shutdown");
    event_base_loopbreak(w->base);
}

/*
 * Stop: no more accepts. Handshakes, frames partly read and replies not yet
 * sent carry on (conn_flush ends each gracefully once it is at rest); input
 * that arrived but was not read yet is read now, as its frame is in flight
 * too. Connections at rest end gracefully now.
 */
static void begin_stop(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    if (w->listening) {
        sspix_svc_listeners_watch(w, false);
        event_del(&w->pause_ev);
        if (w->lfd >= 0) /* inherited listeners stay open: their owner keeps them */
            close(w->lfd);
        w->lfd = -1;
        w->listening = false;
    }
    sspix_svc_refusal_flush(w->e, true);
    for (size_t fd = 0; fd < w->table_cap; fd++) {
        struct sconn *sc = w->table[fd];
        if (sc == NULL || sc->draining || sspix_conn_in_handshake(&sc->c))
            continue;
        size_t pending;
        sspix_conn_pending(&sc->c, &pending);
        if (pending > 0)
            continue; /* conn_flush ends it once the reply is out */
        if (sc->reading)
            on_read((evutil_socket_t)fd, EV_READ, sc); /* may close or end it */
        sc = w->table[fd];
        if (sc != NULL && !sc->draining && conn_at_rest(sc))
            conn_graceful_end(sc);
    }
    struct timeval tv;
    sspix_svc_ms_to_tv(w->e->o.grace_ms, &tv);
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
    if (atomic_load(&e->stop_now))
        on_grace_end(-1, 0, w);
}

static void notify_all(sspix_engine *e)
{
    uint64_t one = 1;
    for (unsigned i = 0; i < e->nworkers; i++)
        if (e->workers[i].efd >= 0 && write(e->workers[i].efd, &one, sizeof(one)) < 0) {
            /* the counter cannot overflow in practice; nothing else can fail */
        }
}

/* ---- engine ------------------------------------------------------------------ */

int sspix_engine_create(const struct sspix_engine_opts *o, sspix_svc_cred *cred, sspix_engine **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    sspix_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        for (unsigned i = 0; i < o->nlisten_fds; i++)
            close(o->listen_fds[i]);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->o = *o;
    /* Owned from here on: sspix_engine_free closes them. */
    for (unsigned i = 0; i < o->nlisten_fds; i++) {
        if (i < SSPIX_ENGINE_MAX_LISTEN)
            e->inherited[e->ninherited++] = o->listen_fds[i];
        else
            close(o->listen_fds[i]);
    }
    e->nworkers = o->threads ? o->threads : 1;
    pthread_mutex_init(&e->lock, NULL);
    e->cred = sspix_svc_cred_ref(cred);
    atomic_init(&e->conns, 0);
    atomic_init(&e->max_conns, o->max_connections);
    atomic_init(&e->max_per_addr, o->max_per_address);
    atomic_init(&e->stopping, false);
    atomic_init(&e->stop_now, false);
    atomic_init(&e->running, 0);
    pthread_mutex_init(&e->addr_lock, NULL);
    pthread_mutex_init(&e->ref_lock, NULL);
    e->workers = calloc(e->nworkers, sizeof(*e->workers));
    if (e->workers == NULL) {
        snprintf(err, errlen, "out of memory");
        sspix_engine_free(e);
        return -1;
    }
    for (unsigned i = 0; i < e->nworkers; i++) {
        e->workers[i].lfd = e->workers[i].efd = e->workers[i].spare_fd = -1;
        e->workers[i].e = e;
        e->workers[i].index = i;
    }
    if (o->nlisten_fds > 0 ? sspix_svc_adopt_listeners(e, err, errlen) < 0 : sspix_svc_bind_all(e, err, errlen) < 0) {
        sspix_engine_free(e);
        return -1;
    }
    /* TCP_NODELAY on the listeners: accepted sockets inherit it, which saves
     * a setsockopt per connection (where a listener refuses it, each
     * connection gets it set, as before). */
    bool nodelay = true;
    for (unsigned i = 0; i < e->ninherited; i++)
        nodelay &= sspix_svc_set_nodelay(e->inherited[i]);
    for (unsigned i = 0; e->ninherited == 0 && i < e->nworkers; i++)
        nodelay &= sspix_svc_set_nodelay(e->workers[i].lfd);
    for (unsigned i = 0; i < e->nworkers; i++)
        e->workers[i].nodelay_inherited = nodelay;
    struct event_config *cfg = event_config_new();
    if (cfg != NULL)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK); /* one thread per base; no locks needed */
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct worker *w = &e->workers[i];
        w->base = cfg ? event_base_new_with_config(cfg) : NULL;
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (w->base == NULL || w->efd < 0 || w->spare_fd < 0) {
            snprintf(err, errlen, "event loop setup: %s", strerror(errno ? errno : ENOMEM));
            if (cfg)
                event_config_free(cfg);
            sspix_engine_free(e);
            return -1;
        }
        w->cred = sspix_svc_cred_ref(cred);
        if (e->ninherited > 0) {
            for (unsigned l = 0; l < e->ninherited; l++)
                event_assign(&w->lev[l], w->base, e->inherited[l], EV_READ | EV_PERSIST, sspix_svc_on_accept, w);
            w->nlev = e->ninherited;
        } else {
            event_assign(&w->lev[0], w->base, w->lfd, EV_READ | EV_PERSIST, sspix_svc_on_accept, w);
            w->nlev = 1;
        }
        event_assign(&w->nev, w->base, w->efd, EV_READ | EV_PERSIST, on_notify, w);
        evtimer_assign(&w->pause_ev, w->base, sspix_svc_on_pause_end, w);
        evtimer_assign(&w->grace_ev, w->base, on_grace_end, w);
        evtimer_assign(&w->refuse_ev, w->base, sspix_svc_on_refuse_timer, w);
        sspix_svc_listeners_watch(w, true);
        event_add(&w->nev, NULL);
        w->listening = true;
    }
    event_config_free(cfg);

    /* Everything the engine itself needs is open now: what is left below
     * RLIMIT_NOFILE, less the reserve, is the room for connections. */
    if (sspix_svc_fd_budget(e, err, errlen) < 0) {
        sspix_engine_free(e);
        return -1;
    }
    atomic_store(&e->max_conns, sspix_svc_capped(e, o->max_connections));
    sspix_svc_log_cap(e, o->max_connections);
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
    atomic_fetch_sub(&w->e->running, 1);
    return NULL;
}

int sspix_engine_start(sspix_engine *e)
{
    for (unsigned i = 0; i < e->nworkers; i++) {
        atomic_fetch_add(&e->running, 1);
        int rc = pthread_create(&e->workers[i].tid, NULL, worker_main, &e->workers[i]);
        if (rc != 0) {
            atomic_fetch_sub(&e->running, 1);
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
    sspix_svc_log_cap(e, max);
    atomic_store(&e->max_conns, sspix_svc_capped(e, max));
}

void sspix_engine_set_max_per_address(sspix_engine *e, unsigned max)
{
    atomic_store(&e->max_per_addr, max);
}

void sspix_engine_stop(sspix_engine *e)
{
    atomic_store(&e->stopping, true);
    notify_all(e);
}

void sspix_engine_stop_now(sspix_engine *e)
{
    atomic_store(&e->stopping, true);
    atomic_store(&e->stop_now, true);
    notify_all(e);
}

bool sspix_engine_done(const sspix_engine *e)
{
    return atomic_load(&((sspix_engine *)e)->running) == 0;
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
            close_all(w, "shutdown");
            sspix_svc_listeners_watch(w, false);
            event_del(&w->nev);
            event_del(&w->pause_ev);
            event_del(&w->grace_ev);
            event_del(&w->refuse_ev);
            event_base_free(w->base);
        }
        if (w->lfd >= 0)
            close(w->lfd);
        if (w->efd >= 0)
            close(w->efd);
        if (w->spare_fd >= 0)
            close(w->spare_fd);
        free(w->table);
        sspix_svc_cred_unref(w->cred);
    }
    sspix_svc_refusal_flush(e, true);
    for (unsigned l = 0; l < e->ninherited; l++)
        close(e->inherited[l]);
    free(e->workers);
    for (unsigned b = 0; b < ADDR_BUCKETS; b++)
        while (e->addrs[b] != NULL) {
            struct addr_ent *a = e->addrs[b];
            e->addrs[b] = a->next;
            free(a);
        }
    sspix_svc_cred_unref(e->cred);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->addr_lock);
    pthread_mutex_destroy(&e->ref_lock);
    free(e);
}
