/*
 * engine.h - the service's event loops: non-blocking sockets on libevent, one
 * event_base per thread, each thread with its own SO_REUSEPORT listener on the
 * same address and its own connection table (the seed's GetEntry, keyed by
 * socket). Connections are sspix_conn state machines (conn.h); the engine only
 * moves bytes, runs the timers and writes the log line.
 *
 * Lifecycle, all from one controlling thread (the server's main thread):
 *
 *     sspix_engine_create()   bind every listener (errors come back here)
 *     sspix_engine_start()    start the worker threads
 *     sspix_engine_set_cred() SIGHUP: new credential generation; connections
 *                             in flight keep the one they started with
 *     sspix_engine_stop()     SIGTERM: stop accepting, let handshakes finish
 *                             for up to grace_ms, then close the rest
 *     sspix_engine_wait()     join the workers (returns once all have ended)
 *     sspix_engine_free()
 *
 * Workers never share a connection. What they share: the current credential
 * (reference-counted, swapped under a mutex and announced through each
 * worker's eventfd), the global connection count (atomic) and the log
 * callback, which MUST be thread-safe.
 */
#ifndef SSPIX_SERVICE_ENGINE_H
#define SSPIX_SERVICE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "service/conn.h"

typedef struct sspix_engine sspix_engine;

struct sspix_engine_opts {
    const char *bind; /* numeric address; NULL: "::" (dual stack), else 0.0.0.0 */
    uint16_t port;
    unsigned threads;         /* >= 1 */
    unsigned max_connections; /* beyond it a new connection is closed at once (and logged) */
    unsigned grace_ms;        /* how long stop() lets handshakes in flight run */
    /* One line per connection, without newline; called from worker threads. */
    void (*log)(void *arg, const char *line);
    void *log_arg;
};

/*
 * Create the engine and bind its listeners; takes a reference to cred. On
 * failure returns -1 with a message in err ("bind 127.0.0.1:2000: Address
 * already in use"). Nothing runs until sspix_engine_start().
 */
int sspix_engine_create(const struct sspix_engine_opts *o, sspix_svc_cred *cred, sspix_engine **out, char *err,
                        size_t errlen);

/* The listening address as text: "127.0.0.1:2000", "[::]:2000". */
const char *sspix_engine_address(const sspix_engine *e);

/* Start the worker threads. Returns 0 or -1 (errno). */
int sspix_engine_start(sspix_engine *e);

/* Make cred (a new reference is taken) the credential of new connections. */
void sspix_engine_set_cred(sspix_engine *e, sspix_svc_cred *cred);

/* Change the connection limit (reload). */
void sspix_engine_set_max_connections(sspix_engine *e, unsigned max);

/* Begin a graceful stop. Async-signal-safe (it only writes to eventfds). */
void sspix_engine_stop(sspix_engine *e);

/* Wait for every worker to end. */
void sspix_engine_wait(sspix_engine *e);

/* Connections open right now, across all threads. */
unsigned sspix_engine_connections(const sspix_engine *e);

void sspix_engine_free(sspix_engine *e);

#endif /* SSPIX_SERVICE_ENGINE_H */
