/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the service's event loops: non-blocking sockets on libevent, one
 * event_base per thread, each thread with its own SO_REUSEPORT listener on the
 * same address and its own connection table (the Microsoft sample's GetEntry, keyed by
 * socket). Connections are sspix_conn state machines (conn.h); the engine only
 * moves bytes, runs the timers and writes the log line.
 *
 * Lifecycle, all from one controlling thread (the server's main thread):
 *
 *     sspix_engine_create()   bind every listener (errors come back here)
 *     sspix_engine_start()    start the worker threads
 *     sspix_engine_set_cred() SIGHUP: new credential generation; connections
 *                             in flight keep the one they started with
 *     sspix_engine_stop()     SIGTERM: stop accepting; every connection
 *                             finishes what it is in the middle of (a
 *                             handshake, a frame partly read, a reply not yet
 *                             sent), then gets its reply flushed, a FIN
 *                             (shutdown(SHUT_WR)) and a close; idle ones end
 *                             at once; whatever is left after grace_ms is
 *                             closed
 *     sspix_engine_stop_now() a second SIGTERM: close everything now
 *     sspix_engine_done()     true once every worker has ended
 *     sspix_engine_wait()     join the workers (returns once all have ended)
 *
 * Descriptors: at create the connection limit is capped so that the process
 * keeps a reserve below RLIMIT_NOFILE for what the Kerberos library opens
 * during a handshake (keytab, replay cache, krb5.conf, DNS), and each worker
 * holds one spare descriptor that it gives up to accept-and-close a
 * connection when accept(2) says EMFILE, so clients are refused rather than
 * left waiting in the backlog.
 *
 * Refusals (max_connections, the per-address limit, no descriptors) get one
 * log line each up to a burst per 10 s window; beyond it they are counted
 * and reported in one summary line per window (and at stop).
 *     sspix_engine_free()
 *
 * Workers never share a connection. What they share: the current credential
 * (reference-counted, swapped under a mutex and announced through each
 * worker's eventfd), the global connection count (atomic) and the log
 * callback, which MUST be thread-safe.
 */
#ifndef SSPIX_SERVICE_ENGINE_H
#define SSPIX_SERVICE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/conn.h"

typedef struct sspix_engine sspix_engine;

struct sspix_engine_opts {
    const char *bind; /* numeric address; NULL: "::" (dual stack), else 0.0.0.0 */
    uint16_t port;
    unsigned threads;         /* >= 1 */
    unsigned max_connections; /* beyond it a new connection is closed at once (and logged) */
    unsigned max_per_address; /* open connections from one client address (0: no limit) */
    unsigned grace_ms;        /* how long stop() lets work in progress run */
    /*
     * Listening sockets handed over by the caller (socket activation): when
     * nlisten_fds > 0, bind and port are not used, every worker accepts on
     * every one of them, and the engine closes them at free (also on a failed
     * create). Each must be a bound, listening SOCK_STREAM socket; the engine
     * makes it non-blocking.
     */
    const int *listen_fds;
    unsigned nlisten_fds; /* at most SSPIX_ENGINE_MAX_LISTEN */
    /* One line per connection and per engine event, without newline, with
     * its syslog priority: LOG_INFO for a connection that succeeded,
     * LOG_WARNING for a failed or refused one and for resource trouble.
     * Called from worker threads. */
    void (*log)(void *arg, int priority, const char *line);
    void *log_arg;
};

#define SSPIX_ENGINE_MAX_LISTEN 16

/*
 * Create the engine and bind its listeners; takes a reference to cred. On
 * failure returns -1 with a message in err ("bind 127.0.0.1:2000: Address
 * already in use"). Nothing runs until sspix_engine_start().
 */
int sspix_engine_create(const struct sspix_engine_opts *o, sspix_svc_cred *cred, sspix_engine **out, char *err,
                        size_t errlen);

/* The listening address as text: "127.0.0.1:2000", "[::]:2000"; with
 * listen_fds, every socket's, comma-separated ("127.0.0.1:2000, [::1]:2000"). */
const char *sspix_engine_address(const sspix_engine *e);

/* Start the worker threads. Returns 0 or -1 (errno). */
int sspix_engine_start(sspix_engine *e);

/* Make cred (a new reference is taken) the credential of new connections. */
void sspix_engine_set_cred(sspix_engine *e, sspix_svc_cred *cred);

/* Change the connection limits (reload); max is capped as at create. */
void sspix_engine_set_max_connections(sspix_engine *e, unsigned max);
void sspix_engine_set_max_per_address(sspix_engine *e, unsigned max);

/* Begin a graceful stop. Async-signal-safe (it only writes to eventfds). */
void sspix_engine_stop(sspix_engine *e);

/* Cut the graceful stop short: close every connection now. Async-signal-safe. */
void sspix_engine_stop_now(sspix_engine *e);

/* True once every started worker has returned (the stop is complete). */
bool sspix_engine_done(const sspix_engine *e);

/* Wait for every worker to end. */
void sspix_engine_wait(sspix_engine *e);

/* Connections open right now, across all threads. */
unsigned sspix_engine_connections(const sspix_engine *e);

void sspix_engine_free(sspix_engine *e);

#endif /* SSPIX_SERVICE_ENGINE_H */
