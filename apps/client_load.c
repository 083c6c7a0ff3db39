/* SPDX-License-Identifier: MIT */
/*
 * client_load.c - the load generator; see client_load.h.
 *
 * Each thread owns one libevent base and a fixed set of slots (its share of
 * --parallel). A slot runs one connection at a time; when it finishes, the
 * slot takes the next ticket from a counter shared by all threads, so N
 * connections are spread over the threads without any other coordination.
 * A finished slot is restarted from a "kick" event, never from inside the
 * callback that finished it, so a run of connections that fail at once
 * (refused, no ticket) cannot recurse.
 */
#include "client_load.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

struct lthread;

struct lconn {
    struct lthread *th;
    int active; /* a connection is running in this slot */
    int fd;
    int addr; /* index into addrs */
    int connecting;
    struct event *rd, *wr;
    uint64_t t0, t_auth;
    unsigned long sent; /* echo messages queued */
    int held;           /* the --hold pause was taken */
    struct event *hold_ev;
    struct sspix_client_conv conv;
};

struct lstats {
    unsigned long ok, failed;
    uint32_t *auth_us, *done_us;
    size_t n, cap;
    struct client_load_reason reasons[CLIENT_LOAD_MAX_REASONS];
    unsigned n_reasons;
    unsigned long other_reasons;
};

struct lthread {
    const struct client_load_params *lp;
    struct event_base *base;
    struct event *kick;
    struct timeval tv;
    struct lconn *slots;
    unsigned nslots;
    atomic_long *tickets;
    atomic_int *preferred_addr;
    atomic_ulong *held; /* sessions that reached their --hold pause */
    struct lstats st;
    pthread_t tid;
    char err[256];
    uint8_t rbuf[65536];
};

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void advance(struct lconn *c);

static uint32_t clamp_us(uint64_t us)
{
    return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void record(struct lthread *th, struct lconn *c)
{
    struct lstats *st = &th->st;
    if (c->conv.state == SSPIX_CLIENT_DONE) {
        st->ok++;
        if (st->n == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 256;
            uint32_t *a = realloc(st->auth_us, cap * sizeof(*a));
            if (a != NULL)
                st->auth_us = a;
            uint32_t *d = realloc(st->done_us, cap * sizeof(*d));
            if (d != NULL)
                st->done_us = d;
            if (a == NULL || d == NULL)
                return; /* latency of this one not kept; counts still right */
            st->cap = cap;
        }
        uint64_t now = client_now_us();
        st->auth_us[st->n] = clamp_us((c->t_auth ? c->t_auth : now) - c->t0);
        st->done_us[st->n] = clamp_us(now - c->t0);
        st->n++;
        return;
    }
    st->failed++;
    for (unsigned i = 0; i < st->n_reasons; i++) {
        struct client_load_reason *r = &st->reasons[i];
        if (r->exit_code == c->conv.exit_code && strcmp(r->reason, c->conv.reason) == 0) {
            r->count++;
            return;
        }
    }
    if (st->n_reasons == CLIENT_LOAD_MAX_REASONS) {
        st->other_reasons++;
        return;
    }
    struct client_load_reason *r = &st->reasons[st->n_reasons++];
    snprintf(r->reason, sizeof(r->reason), "%s", c->conv.reason);
    snprintf(r->example, sizeof(r->example), "%s", c->conv.message);
    r->exit_code = c->conv.exit_code;
    r->count = 1;
}

/* The connection in slot c is over: count it, release it, and have the kick
 * event start the next one. */
static void release(struct lconn *c)
{
    record(c->th, c);
    if (c->rd != NULL)
        event_free(c->rd);
    if (c->wr != NULL)
        event_free(c->wr);
    if (c->hold_ev != NULL)
        event_free(c->hold_ev);
    c->rd = c->wr = c->hold_ev = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    sspix_client_conv_free(&c->conv);
    c->active = 0;
}

static void finish(struct lconn *c)
{
    release(c);
    event_active(c->th->kick, EV_TIMEOUT, 0);
}

/* Start connecting slot c to address c->addr. Returns 0 when the connection
 * is under way (or finished, through finish()), -1 when it failed at once
 * (c->conv is marked failed; the caller finishes it). */
static int begin_connect(struct lconn *c)
{
    const struct client_addrs *addrs = c->th->lp->addrs;
    int in_progress = 0;
    c->fd = client_connect_start((const struct sockaddr *)&addrs->addr[c->addr], addrs->len[c->addr], &in_progress);
    if (c->fd < 0) {
        int e = errno;
        if ((e == ECONNREFUSED || e == ENETUNREACH || e == EADDRNOTAVAIL) && c->addr + 1 < addrs->count) {
            c->addr++;
            return begin_connect(c);
        }
        char r[96];
        snprintf(r, sizeof(r), "connect: %s", strerror(e));
        sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, r, "cannot connect: %s", strerror(e));
        return -1;
    }
    c->rd = event_new(c->th->base, c->fd, EV_READ | EV_PERSIST, on_read, c);
    c->wr = event_new(c->th->base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
    if (c->rd == NULL || c->wr == NULL) {
        sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, "event_new failed",
                               "cannot create events (out of memory)");
        return -1;
    }
    if (in_progress) {
        c->connecting = 1;
        if (event_add(c->wr, &c->th->tv) != 0) {
            sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, "event_add failed", "cannot watch the socket");
            return -1;
        }
        return 0;
    }
    atomic_store(c->th->preferred_addr, c->addr);
    advance(c);
    return 0;
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lthread *th = arg;
    (void)fd, (void)what;
    for (unsigned i = 0; i < th->nslots; i++) {
        struct lconn *c = &th->slots[i];
        while (!c->active) {
            if (atomic_fetch_sub(th->tickets, 1) <= 0)
                return;
            c->active = 1;
            c->fd = -1;
            c->rd = c->wr = c->hold_ev = NULL;
            c->connecting = 0;
            c->sent = 0;
            c->held = 0;
            c->t_auth = 0;
            c->addr = atomic_load(th->preferred_addr);
            sspix_client_conv_init(&c->conv, th->lp->conv);
            c->t0 = client_now_us();
            /* The first token before the connection: a credential failure
             * is counted without ever reaching the server. */
            if (sspix_client_conv_start(&c->conv) == SSPIX_CLIENT_FAILED || begin_connect(c) != 0) {
                /* Count it here and try the next ticket in the same slot:
                 * no recursion through finish() for instant failures. */
                release(c);
            }
        }
    }
}

static void hold_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    advance(arg);
}

/* --hold: the authenticated session idles (no read or write events) until its
 * timer fires. Returns 1 when the pause began. */
static int hold_begin(struct lconn *c)
{
    const struct client_load_params *lp = c->th->lp;
    c->held = 1;
    c->hold_ev = evtimer_new(c->th->base, hold_end, c);
    if (c->hold_ev == NULL)
        return 0;
    event_del(c->rd);
    event_del(c->wr);
    struct timeval tv = {(time_t)lp->hold, (suseconds_t)((lp->hold - (double)(time_t)lp->hold) * 1e6)};
    event_add(c->hold_ev, &tv);
    unsigned long target = lp->parallel < lp->connections ? lp->parallel : lp->connections;
    if (atomic_fetch_add(c->th->held, 1) + 1 == target) {
        printf("held:       %lu sessions authenticated and idle\n", target);
        fflush(stdout);
    }
    return 1;
}

static void advance(struct lconn *c)
{
    const struct client_load_params *lp = c->th->lp;
    for (;;) {
        if (!c->t_auth && sspix_client_conv_authenticated(&c->conv))
            c->t_auth = client_now_us();
        if (c->conv.state == SSPIX_CLIENT_DONE || c->conv.state == SSPIX_CLIENT_FAILED) {
            finish(c);
            return;
        }
        const uint8_t *data;
        size_t len;
        sspix_client_conv_pending(&c->conv, &data, &len);
        if (len == 0 && c->conv.state == SSPIX_CLIENT_ECHO_IDLE) {
            if (lp->hold > 0 && !c->held && hold_begin(c))
                return;
            if (c->sent < lp->count) {
                c->sent++;
                sspix_client_conv_send(&c->conv, lp->msg, lp->msg_len);
            } else {
                sspix_client_conv_end(&c->conv);
            }
            continue;
        }
        while (len > 0) {
            ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
            if (n > 0) {
                sspix_client_conv_sent(&c->conv, (size_t)n);
                sspix_client_conv_pending(&c->conv, &data, &len);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            char r[96];
            snprintf(r, sizeof(r), "send: %s", strerror(errno));
            sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, r, "sending to the server failed: %s",
                                   strerror(errno));
            finish(c);
            return;
        }
        if (len > 0) {
            if (!event_pending(c->wr, EV_WRITE, NULL))
                event_add(c->wr, &c->th->tv);
        } else if (event_pending(c->wr, EV_WRITE, NULL)) {
            event_del(c->wr);
        }
        if (sspix_client_conv_wants_read(&c->conv) && !event_pending(c->rd, EV_READ, NULL))
            event_add(c->rd, &c->th->tv);
        return;
    }
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct lconn *c = arg;
    (void)fd;
    if (what & EV_TIMEOUT) {
        sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, c->connecting ? "connect: timeout" : "send: timeout",
                               "%s did not complete within %g s", c->connecting ? "connect" : "send",
                               c->th->lp->timeout);
        finish(c);
        return;
    }
    if (c->connecting) {
        int e = client_connect_result(c->fd);
        if (e != 0) {
            const struct client_addrs *addrs = c->th->lp->addrs;
            event_free(c->rd);
            event_free(c->wr);
            c->rd = c->wr = NULL;
            close(c->fd);
            c->fd = -1;
            if ((e == ECONNREFUSED || e == ENETUNREACH) && c->addr + 1 < addrs->count) {
                c->addr++;
                c->connecting = 0;
                if (begin_connect(c) != 0)
                    finish(c);
                return;
            }
            char r[96];
            snprintf(r, sizeof(r), "connect: %s", strerror(e));
            sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, r, "cannot connect: %s", strerror(e));
            finish(c);
            return;
        }
        c->connecting = 0;
        atomic_store(c->th->preferred_addr, c->addr);
        event_del(c->wr);
    }
    advance(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct lconn *c = arg;
    (void)fd;
    if (what & EV_TIMEOUT) {
        sspix_client_conv_fail(&c->conv, SSPIX_CLIENT_EXIT_CONN, "timeout", "no answer from the server within %g s %s",
                               c->th->lp->timeout, sspix_client_conv_waiting(&c->conv));
        finish(c);
        return;
    }
    ssize_t n = recv(c->fd, c->th->rbuf, sizeof(c->th->rbuf), 0);
    if (n > 0)
        sspix_client_conv_feed(&c->conv, c->th->rbuf, (size_t)n);
    else if (n == 0)
        sspix_client_conv_eof(&c->conv, 0);
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        sspix_client_conv_eof(&c->conv, errno);
    else
        return;
    advance(c);
}

static void *thread_main(void *arg)
{
    struct lthread *th = arg;
    event_active(th->kick, EV_TIMEOUT, 0);
    if (event_base_dispatch(th->base) < 0)
        snprintf(th->err, sizeof(th->err), "event_base_dispatch failed");
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void merge(struct client_load_result *res, struct lstats *st)
{
    res->ok += st->ok;
    res->failed += st->failed;
    if (st->n > 0) {
        memcpy(res->auth_us + res->n_lat, st->auth_us, st->n * sizeof(uint32_t));
        memcpy(res->done_us + res->n_lat, st->done_us, st->n * sizeof(uint32_t));
        res->n_lat += st->n;
    }
    res->other_reasons += st->other_reasons;
    for (unsigned i = 0; i < st->n_reasons; i++) {
        struct client_load_reason *r = &st->reasons[i];
        unsigned j;
        for (j = 0; j < res->n_reasons; j++)
            if (res->reasons[j].exit_code == r->exit_code && strcmp(res->reasons[j].reason, r->reason) == 0)
                break;
        if (j < res->n_reasons)
            res->reasons[j].count += r->count;
        else if (res->n_reasons < CLIENT_LOAD_MAX_REASONS)
            res->reasons[res->n_reasons++] = *r;
        else
            res->other_reasons += r->count;
    }
}

int client_load_run(const struct client_load_params *lp, struct client_load_result *res, char *err, size_t errlen)
{
    unsigned nthreads = lp->threads ? lp->threads : 1;
    if (nthreads > lp->parallel)
        nthreads = lp->parallel;
    atomic_long tickets = (long)lp->connections;
    atomic_int preferred = 0;
    atomic_ulong held = 0;
    struct lthread **ths = calloc(nthreads, sizeof(*ths));
    int rc = -1;
    unsigned started = 0;

    memset(res, 0, sizeof(*res));
    if (ths == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        struct lthread *th = calloc(1, sizeof(*th));
        ths[i] = th;
        if (th == NULL)
            goto out;
        th->lp = lp;
        th->tickets = &tickets;
        th->preferred_addr = &preferred;
        th->held = &held;
        th->tv.tv_sec = (time_t)lp->timeout;
        th->tv.tv_usec = (suseconds_t)((lp->timeout - (double)th->tv.tv_sec) * 1e6);
        th->nslots = lp->parallel / nthreads + (i < lp->parallel % nthreads ? 1 : 0);
        th->slots = calloc(th->nslots, sizeof(*th->slots));
        th->base = event_base_new();
        if (th->slots == NULL || th->base == NULL)
            goto out;
        th->kick = event_new(th->base, -1, 0, kick_cb, th);
        if (th->kick == NULL)
            goto out;
        for (unsigned k = 0; k < th->nslots; k++) {
            th->slots[k].th = th;
            th->slots[k].fd = -1;
        }
    }

    uint64_t t0 = client_now_us();
    for (; started < nthreads; started++) {
        if (pthread_create(&ths[started]->tid, NULL, thread_main, ths[started]) != 0) {
            snprintf(err, errlen, "cannot start thread %u: %s", started, strerror(errno));
            /* The threads already started finish the run alone. */
            break;
        }
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(ths[i]->tid, NULL);
    res->seconds = (double)(client_now_us() - t0) / 1e6;
    if (started == 0)
        goto out;

    size_t total = 0;
    for (unsigned i = 0; i < nthreads; i++)
        total += ths[i]->st.n;
    res->auth_us = malloc((total ? total : 1) * sizeof(uint32_t));
    res->done_us = malloc((total ? total : 1) * sizeof(uint32_t));
    if (res->auth_us == NULL || res->done_us == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (unsigned i = 0; i < nthreads; i++)
        merge(res, &ths[i]->st);
    qsort(res->auth_us, res->n_lat, sizeof(uint32_t), cmp_u32);
    qsort(res->done_us, res->n_lat, sizeof(uint32_t), cmp_u32);
    rc = 0;
    for (unsigned i = 0; i < started; i++)
        if (ths[i]->err[0]) {
            snprintf(err, errlen, "%s", ths[i]->err);
            rc = -1;
        }
out:
    if (rc != 0 && err[0] == '\0')
        snprintf(err, errlen, "cannot set up the load generator (out of memory)");
    for (unsigned i = 0; i < nthreads; i++) {
        struct lthread *th = ths[i];
        if (th == NULL)
            continue;
        free(th->st.auth_us);
        free(th->st.done_us);
        free(th->slots);
        if (th->kick != NULL)
            event_free(th->kick);
        if (th->base != NULL)
            event_base_free(th->base);
        free(th);
    }
    free(ths);
    return rc;
}

void client_load_result_free(struct client_load_result *res)
{
    free(res->auth_us);
    free(res->done_us);
    res->auth_us = res->done_us = NULL;
}
