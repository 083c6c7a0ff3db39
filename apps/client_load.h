/* SPDX-License-Identifier: MIT */
/*
 * client_load.h - sspix-client's load generator: N conversations with at most
 * P in flight, on non-blocking sockets driven by libevent, one event base per
 * thread. Every conversation runs the same state machine as a single client
 * (src/client/conv.h) and all of them share one credential handle.
 */
#ifndef SSPIX_CLIENT_LOAD_H
#define SSPIX_CLIENT_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "client/conv.h"
#include "client_net.h"

struct client_load_params {
    const struct sspix_client_params *conv; /* shared by every conversation */
    const struct client_addrs *addrs;
    unsigned long connections; /* N */
    unsigned parallel;         /* P */
    unsigned threads;
    double timeout; /* seconds, for each connect and each wait for bytes */
    /* Echo mode: each connection sends message (msg_len bytes) count times. */
    const uint8_t *msg;
    size_t msg_len;
    unsigned long count;
    /* Echo mode: once authenticated, each session idles this many seconds
     * before its messages (0: none). When every one of the first min(P, N)
     * sessions is idle, "held: N" is printed on stdout. */
    double hold;
};

struct client_load_reason {
    char reason[96];
    enum sspix_client_exit exit_code;
    unsigned long count;
    char example[1024]; /* the full message of the first occurrence */
};

#define CLIENT_LOAD_MAX_REASONS 32

struct client_load_result {
    unsigned long ok, failed;
    double seconds; /* wall time of the whole run */
    /* Latencies in microseconds of the successful connections, sorted. */
    uint32_t *auth_us; /* connect -> authenticated */
    uint32_t *done_us; /* connect -> greeting decrypted / echo session ended */
    size_t n_lat;
    struct client_load_reason reasons[CLIENT_LOAD_MAX_REASONS];
    unsigned n_reasons;
    unsigned long other_reasons; /* failures beyond CLIENT_LOAD_MAX_REASONS distinct reasons */
};

/* Run the load. Returns 0 (the run happened; see result) or -1 with a message
 * in err (could not start: threads, event base). */
int client_load_run(const struct client_load_params *lp, struct client_load_result *result, char *err, size_t errlen);

void client_load_result_free(struct client_load_result *result);

#endif /* SSPIX_CLIENT_LOAD_H */
