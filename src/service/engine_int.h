/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h - what the engine's files share (engine.c: connections, stop,
 * reload and the public calls; admit.c: accepting and admitting connections,
 * refusals and the descriptor reserve; listen.c: the listening sockets): the
 * engine, worker and connection structures and the calls between the files.
 * Private to src/service/; the public interface is engine.h.
 */
#ifndef SSPIX_SERVICE_ENGINE_INT_H
#define SSPIX_SERVICE_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "service/engine.h"

/* Bytes read per read(2); conn.c sizes its output bound on this. */
#define READ_CHUNK (16u * 1024u)
/* Buckets of the per-address connection count. */
#define ADDR_BUCKETS 1024

enum refusal { REF_MAX_CONNECTIONS, REF_PER_ADDRESS, REF_NO_DESCRIPTORS, REF_NOMEM, REF_COUNT };

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

/* ---- engine.c ---- */

/* One engine log line, formatted, at priority prio. */
void sspix_svc_logf(sspix_engine *e, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Milliseconds from t0 to t. */
double sspix_svc_ms_between(const struct timespec *t0, const struct timespec *t);
void sspix_svc_ms_to_tv(unsigned ms, struct timeval *tv);
/* A socket address as text: "127.0.0.1:2000", "[::1]:2000" or "unknown". */
void sspix_svc_format_peer(const struct sockaddr_storage *ss, char *buf, size_t cap);
/* A socket accepted on w: admit it (or refuse it) and start its connection. */
void sspix_svc_conn_open(struct worker *w, int fd, const struct sockaddr_storage *ss);

/* ---- admit.c ---- */

/* The per-address key of a socket address (IPv4 as ::ffff:a.b.c.d). */
void sspix_svc_addr_key(const struct sockaddr_storage *ss, uint8_t key[16]);
/* Per-address counts: take one (0, REF_PER_ADDRESS or REF_NOMEM) or put one back. */
int sspix_svc_addr_take(sspix_engine *e, const uint8_t key[16]);
void sspix_svc_addr_put(sspix_engine *e, const uint8_t key[16]);
/* Log (within the refusal-line budget) and close a connection refused for why. */
void sspix_svc_refuse(struct worker *w, int fd, const struct sockaddr_storage *ss, enum refusal why);
/* The summary line of the refusal window, when it is over or force is set. */
void sspix_svc_refusal_flush(sspix_engine *e, bool force);
/* Worker timers and events: the refusal window's end, a listener readable,
 * the end of an accept pause. */
void sspix_svc_on_refuse_timer(evutil_socket_t fd, short what, void *arg);
void sspix_svc_on_accept(evutil_socket_t lfd, short what, void *arg);
void sspix_svc_on_pause_end(evutil_socket_t fd, short what, void *arg);
/* Watch (on) or stop watching w's listeners. */
void sspix_svc_listeners_watch(struct worker *w, bool on);
/* Set e->nofile and e->fd_cap from RLIMIT_NOFILE and the descriptors open
 * now. Returns 0, or -1 with err when no connection would fit. */
int sspix_svc_fd_budget(sspix_engine *e, char *err, size_t errlen);
/* The connection limit in force for an asked max, and the warning when the
 * cap lowers it. */
unsigned sspix_svc_capped(const sspix_engine *e, unsigned max);
void sspix_svc_log_cap(sspix_engine *e, unsigned asked);

/* ---- listen.c ---- */

/* Bind one listener per worker (SO_REUSEPORT) on --bind/--port, e->addr set.
 * Returns 0, or -1 with err. */
int sspix_svc_bind_all(sspix_engine *e, char *err, size_t errlen);
/* Check and set up the inherited listeners (listen_fds), e->addr set.
 * Returns 0, or -1 with err. */
int sspix_svc_adopt_listeners(sspix_engine *e, char *err, size_t errlen);
/* TCP_NODELAY on fd; false when it is refused. */
bool sspix_svc_set_nodelay(int fd);

#endif /* SSPIX_SERVICE_ENGINE_INT_H */
