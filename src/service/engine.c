/* SPDX-License-Identifier: MIT */
/* accept4(2) */
#define _GNU_SOURCE
#include "service/engine.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
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
/* After a graceful end (reply sent, FIN sent), how long the peer's remaining
 * input is read and dropped before the close, so that a close with unread
 * input does not turn into a reset that could destroy the reply. */
#define LINGER_MS 2000
/* Refusal log lines: a burst per window, then one summary line per window. */
#define REFUSE_WINDOW_MS 10000
#define REFUSE_BURST     5
/* Descriptors kept free below RLIMIT_NOFILE for what a handshake opens
 * (keytab, replay cache, krb5.conf, DNS, syslog): a base plus some per
 * thread, since every worker can be inside AcceptSecurityContext at once. */
#define FD_RESERVE_BASE       32
#define FD_RESERVE_PER_THREAD 8
/* Buckets of the per-address connection count. */
#define ADDR_BUCKETS 1024

enum refusal { REF_MAX_CONNECTIONS, REF_PER_ADDRESS, REF_NO_DESCRIPTORS, REF_NOMEM, REF_COUNT };
static const char *const refusal_names[REF_COUNT] = {"max_connections", "per_address_limit", "no_descriptors", "nomem"};

/* Open connections from one client address (IPv4 as ::ffff:a.b.c.d). */
struct addr_ent {
    struct addr_ent *next;
    uint8_t key[16];
    unsigned n;
};

struct worker;

/* One connection: the state machine plus its socket and events. Kept small,
 * as an idle session holds it for as long as it lasts: the write event only
 * exists while a reply waits for room in the socket, and the peer's address
 * is turned into text only for the log line. */
struct sconn {
    sspix_conn c;
    struct worker *w;
    int fd;
    bool reading, writing;
    bool in_frame;       /* a frame has begun after the handshake: the message deadline runs */
    bool draining;       /* reply sent and FIN sent: input is read and dropped until EOF */
    uint8_t family;      /* AF_INET, AF_INET6, or another (printed "unknown") */
    uint16_t port;       /* the peer's, host order */
    uint32_t frame_mark; /* messages completed when that deadline was armed */
    struct event rev, tev;
    struct event *wev; /* NULL until a send would block */
    struct timespec start;
    uint8_t addr[16]; /* the peer's address, IPv4 as ::ffff:a.b.c.d */
};

struct worker {
    sspix_engine *e;
    struct event_base *base;
    pthread_t tid;
    bool started;
    unsigned index;                            /* which of the credential's handles this worker accepts with */
    int lfd, efd;                              /* lfd: this worker's own listener (-1 with inherited ones) */
    int spare_fd;                              /* given up to accept-and-refuse when accept(2) says EMFILE */
    bool nodelay_inherited;                    /* TCP_NODELAY is set on the listeners: accepted sockets have it */
    struct event lev[SSPIX_ENGINE_MAX_LISTEN]; /* one per listener this worker accepts on */
    unsigned nlev;
    struct event nev, pause_ev, grace_ev, refuse_ev;
    bool listening, stopping;
    struct timespec emfile_logged; /* last "out of descriptors" line of this worker */
    sspix_svc_cred *cred;          /* this worker's reference to the current generation */
    struct sconn **table;          /* GetEntry: connection by socket */
    size_t table_cap, nconns;
    uint8_t rbuf[READ_CHUNK];
};

struct sspix_engine {
    struct sspix_engine_opts o;
    char addr[SSPIX_ENGINE_MAX_LISTEN * 56];
    int inherited[SSPIX_ENGINE_MAX_LISTEN]; /* listen_fds: shared by every worker, closed at free */
    unsigned ninherited;
    pthread_mutex_t lock; /* guards cred */
    sspix_svc_cred *cred;
    atomic_uint conns;
    atomic_uint max_conns; /* in force: the asked one, capped by fd_cap */
    atomic_uint max_per_addr;
    atomic_bool stopping, stop_now;
    atomic_uint running; /* workers that have not returned yet */
    unsigned fd_cap;     /* connections RLIMIT_NOFILE leaves room for (0: no cap) */
    unsigned long nofile;
    unsigned nworkers;
    struct worker *workers;
    pthread_mutex_t addr_lock;
    struct addr_ent *addrs[ADDR_BUCKETS];
    pthread_mutex_t ref_lock; /* guards the refusal window */
    bool ref_window;
    struct timespec ref_start;
    unsigned ref_logged;
    unsigned ref_suppressed[REF_COUNT];
};

static void logf_line(sspix_engine *e, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_line(sspix_engine *e, int prio, const char *fmt, ...)
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

static double ms_between(const struct timespec *t0, const struct timespec *t)
{
    return (double)(t->tv_sec - t0->tv_sec) * 1e3 + (double)(t->tv_nsec - t0->tv_nsec) / 1e6;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ms_between(t0, &t);
}

static void addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
    memset(key, 0, 16);
    if (ss->ss_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    }
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
    format_peer(&ss, buf, cap);
}

/* ---- per-address counts -------------------------------------------------- */

static unsigned addr_bucket(const uint8_t key[16])
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % ADDR_BUCKETS;
}

/* Count one more connection from key: 0, REF_PER_ADDRESS or REF_NOMEM. */
static int addr_take(sspix_engine *e, const uint8_t key[16])
{
    unsigned max = atomic_load_explicit(&e->max_per_addr, memory_order_relaxed);
    struct addr_ent **head = &e->addrs[addr_bucket(key)], *a;
    int r = 0;
    pthread_mutex_lock(&e->addr_lock);
    for (a = *head; a != NULL && memcmp(a->key, key, 16) != 0; a = a->next)
        ;
    if (a != NULL && max != 0 && a->n >= max) {
        r = REF_PER_ADDRESS;
    } else if (a == NULL && (a = calloc(1, sizeof(*a))) == NULL) {
        r = REF_NOMEM;
    } else {
        if (a->n == 0) {
            memcpy(a->key, key, 16);
            a->next = *head;
            *head = a;
        }
        a->n++;
    }
    pthread_mutex_unlock(&e->addr_lock);
    return r;
}

static void addr_put(sspix_engine *e, const uint8_t key[16])
{
    struct addr_ent **pp = &e->addrs[addr_bucket(key)];
    pthread_mutex_lock(&e->addr_lock);
    while (*pp != NULL && memcmp((*pp)->key, key, 16) != 0)
        pp = &(*pp)->next;
    if (*pp != NULL && --(*pp)->n == 0) {
        struct addr_ent *a = *pp;
        *pp = a->next;
        free(a);
    }
    pthread_mutex_unlock(&e->addr_lock);
}

/* ---- refusal log lines -------------------------------------------------- */

/* The summary of the window's suppressed lines, if any; ref_lock held. */
static void refusal_flush_locked(sspix_engine *e, const struct timespec *now)
{
    unsigned total = 0;
    for (int r = 0; r < REF_COUNT; r++)
        total += e->ref_suppressed[r];
    if (total > 0)
        logf_line(e, LOG_WARNING,
                  "refused %u more connections in the last %.0f s without a line each: max_connections=%u "
                  "per_address_limit=%u no_descriptors=%u nomem=%u (limits: max-connections %u, "
                  "max-per-address %u)",
                  total, ms_between(&e->ref_start, now) / 1e3, e->ref_suppressed[REF_MAX_CONNECTIONS],
                  e->ref_suppressed[REF_PER_ADDRESS], e->ref_suppressed[REF_NO_DESCRIPTORS],
                  e->ref_suppressed[REF_NOMEM], atomic_load(&e->max_conns), atomic_load(&e->max_per_addr));
    memset(e->ref_suppressed, 0, sizeof(e->ref_suppressed));
}

static void refusal_flush(sspix_engine *e, bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&e->ref_lock);
    if (e->ref_window && (force || ms_between(&e->ref_start, &now) >= REFUSE_WINDOW_MS)) {
        refusal_flush_locked(e, &now);
        e->ref_window = false;
    }
    pthread_mutex_unlock(&e->ref_lock);
}

static void on_refuse_timer(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    refusal_flush(w->e, false);
}

/* Whether this refusal gets its own line; otherwise it is counted. */
static bool refusal_admit(struct worker *w, enum refusal r)
{
    sspix_engine *e = w->e;
    struct timespec now;
    bool admit;
    double left = 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&e->ref_lock);
    if (!e->ref_window || ms_between(&e->ref_start, &now) >= REFUSE_WINDOW_MS) {
        refusal_flush_locked(e, &now);
        e->ref_window = true;
        e->ref_start = now;
        e->ref_logged = 0;
    }
    admit = e->ref_logged < REFUSE_BURST;
    if (admit)
        e->ref_logged++;
    else
        e->ref_suppressed[r]++;
    left = REFUSE_WINDOW_MS - ms_between(&e->ref_start, &now);
    pthread_mutex_unlock(&e->ref_lock);
    if (!admit && !evtimer_pending(&w->refuse_ev, NULL)) {
        struct timeval tv;
        unsigned ms = left > 0 ? (unsigned)left + 1 : 1;
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
        evtimer_add(&w->refuse_ev, &tv);
    }
    return admit;
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
    addr_put(w->e, sc->addr);
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
    ms_to_tv(ms, &tv);
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

static void refuse(struct worker *w, int fd, const struct sockaddr_storage *ss, enum refusal why)
{
    char peer[56];
    format_peer(ss, peer, sizeof(peer));
    /* Counted before the close, so that whoever sees the close sees it counted. */
    if (refusal_admit(w, why))
        logf_line(w->e, LOG_WARNING, "peer=%s client=- package=%s mutual=no legs=0 outcome=%s ms=0.0", peer,
                  w->cred->package, refusal_names[why]);
    close(fd);
}

static void conn_open(struct worker *w, int fd, const struct sockaddr_storage *ss)
{
    sspix_engine *e = w->e;
    uint8_t key[16];
    unsigned max = atomic_load_explicit(&e->max_conns, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&e->conns, 1, memory_order_relaxed) >= max) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, REF_MAX_CONNECTIONS);
        return;
    }
    addr_key(ss, key);
    int r = addr_take(e, key);
    if (r != 0) {
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, (enum refusal)r);
        return;
    }
    struct sconn *sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        addr_put(e, key);
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, REF_NOMEM);
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
        addr_put(e, key);
        atomic_fetch_sub_explicit(&e->conns, 1, memory_order_relaxed);
        refuse(w, fd, ss, REF_NOMEM);
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
    ms_to_tv(sc->c.cred->limits.handshake_ms, &tv);
    event_add(&sc->tev, &tv);
    want_read(sc, true);
    /* The client speaks first, and by the time a connection is taken off the
     * backlog its first bytes have usually arrived: read them now rather than
     * after another trip through epoll_wait. */
    on_read((evutil_socket_t)fd, EV_READ, sc);
}

static void listeners_watch(struct worker *w, bool on)
{
    for (unsigned i = 0; i < w->nlev; i++) {
        if (on)
            event_add(&w->lev[i], NULL);
        else
            event_del(&w->lev[i]);
    }
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
            int err = errno;
            if ((err == EMFILE || err == ENFILE) && w->spare_fd >= 0) {
                /* Give up the spare descriptor to take the connection off the
                 * backlog and refuse it: the client learns now instead of
                 * waiting for a slot that may never come. */
                close(w->spare_fd);
                sl = sizeof(ss);
                fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0)
                    refuse(w, fd, &ss, REF_NO_DESCRIPTORS);
                w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                    continue;
            }
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                /* Out of descriptors: stop accepting for a moment rather than spin. */
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (w->emfile_logged.tv_sec == 0 || ms_between(&w->emfile_logged, &now) >= REFUSE_WINDOW_MS) {
                    w->emfile_logged = now;
                    logf_line(w->e, LOG_WARNING,
                              "accept: %s (%u connections open, RLIMIT_NOFILE %lu): pausing %d ms; %s", strerror(err),
                              atomic_load(&w->e->conns), w->e->nofile, ACCEPT_PAUSE_MS,
                              err == EMFILE ? "raise the descriptor limit (ulimit -n, LimitNOFILE=) or lower "
                                              "--max-connections"
                                            : "the system is short of descriptors or memory");
                }
                struct timeval tv;
                ms_to_tv(ACCEPT_PAUSE_MS, &tv);
                listeners_watch(w, false);
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
        listeners_watch(w, true);
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
        listeners_watch(w, false);
        event_del(&w->pause_ev);
        if (w->lfd >= 0) /* inherited listeners stay open: their owner keeps them */
            close(w->lfd);
        w->lfd = -1;
        w->listening = false;
    }
    refusal_flush(w->e, true);
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

/* The address a listening socket is bound to, as text ("[::1]:2000"). */
static void socket_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        snprintf(buf, cap, "fd %d", fd);
    else
        format_peer(&ss, buf, cap);
}

/* Check the sockets taken over from listen_fds: each must be a listening
 * stream socket; make them non-blocking. */
static int adopt_listeners(sspix_engine *e, char *err, size_t errlen)
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

/* ---- engine ------------------------------------------------------------------ */

static bool set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}

/* Descriptors open in this process right now. */
static unsigned long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    unsigned long n = 0;
    if (d == NULL)
        return 64; /* no /proc: a guess on the safe side */
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0; /* not the directory's own descriptor */
}

/* The limit in force for an asked max: capped by what RLIMIT_NOFILE leaves. */
static unsigned capped(const sspix_engine *e, unsigned max)
{
    return e->fd_cap != 0 && max > e->fd_cap ? e->fd_cap : max;
}

static void log_cap(sspix_engine *e, unsigned asked)
{
    if (capped(e, asked) < asked)
        logf_line(e, LOG_WARNING,
                  "max-connections %u lowered to %u: RLIMIT_NOFILE is %lu, and %u descriptors are kept for the "
                  "listeners, the keytab, the replay cache, krb5.conf and DNS (raise the limit with ulimit -n or "
                  "LimitNOFILE= to serve more)",
                  asked, e->fd_cap, e->nofile, (unsigned)(e->nofile > e->fd_cap ? e->nofile - e->fd_cap : 0));
}

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
    if (o->nlisten_fds > 0 ? adopt_listeners(e, err, errlen) < 0 : bind_all(e, err, errlen) < 0) {
        sspix_engine_free(e);
        return -1;
    }
    /* TCP_NODELAY on the listeners: accepted sockets inherit it, which saves
     * a setsockopt per connection (where a listener refuses it, each
     * connection gets it set, as before). */
    bool nodelay = true;
    for (unsigned i = 0; i < e->ninherited; i++)
        nodelay &= set_nodelay(e->inherited[i]);
    for (unsigned i = 0; e->ninherited == 0 && i < e->nworkers; i++)
        nodelay &= set_nodelay(e->workers[i].lfd);
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
                event_assign(&w->lev[l], w->base, e->inherited[l], EV_READ | EV_PERSIST, on_accept, w);
            w->nlev = e->ninherited;
        } else {
            event_assign(&w->lev[0], w->base, w->lfd, EV_READ | EV_PERSIST, on_accept, w);
            w->nlev = 1;
        }
        event_assign(&w->nev, w->base, w->efd, EV_READ | EV_PERSIST, on_notify, w);
        evtimer_assign(&w->pause_ev, w->base, on_pause_end, w);
        evtimer_assign(&w->grace_ev, w->base, on_grace_end, w);
        evtimer_assign(&w->refuse_ev, w->base, on_refuse_timer, w);
        listeners_watch(w, true);
        event_add(&w->nev, NULL);
        w->listening = true;
    }
    event_config_free(cfg);

    /* Everything the engine itself needs is open now: what is left below
     * RLIMIT_NOFILE, less the reserve, is the room for connections. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        unsigned long open_now = count_open_fds();
        unsigned long reserve = FD_RESERVE_BASE + (unsigned long)FD_RESERVE_PER_THREAD * e->nworkers;
        e->nofile = (unsigned long)rl.rlim_cur;
        if (e->nofile <= open_now + reserve) {
            snprintf(err, errlen,
                     "RLIMIT_NOFILE is %lu: with %lu descriptors open and %lu kept for the Kerberos library, "
                     "no connection would fit; raise it (ulimit -n, LimitNOFILE=)",
                     e->nofile, open_now, reserve);
            sspix_engine_free(e);
            return -1;
        }
        unsigned long room = e->nofile - open_now - reserve;
        e->fd_cap = room > UINT32_MAX ? UINT32_MAX : (unsigned)room;
    }
    atomic_store(&e->max_conns, capped(e, o->max_connections));
    log_cap(e, o->max_connections);
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
    log_cap(e, max);
    atomic_store(&e->max_conns, capped(e, max));
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
            listeners_watch(w, false);
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
    refusal_flush(e, true);
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
