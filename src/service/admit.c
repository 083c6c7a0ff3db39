/* SPDX-License-Identifier: MIT */
/*
 * admit.c - the engine's admission of connections: the accept loop on the
 * listeners (with its pause and its spare descriptor when accept(2) says
 * EMFILE), the per-address connection counts, the refusals and their
 * rate-limited log lines, and the descriptor reserve that caps the
 * connection limit below RLIMIT_NOFILE.
 */
/* accept4(2) */
#define _GNU_SOURCE
#include "service/engine_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

/* Accepts per listener wake-up, so one busy listener cannot starve the loop. */
#define ACCEPT_BATCH 64
/* Pause after EMFILE/ENFILE before accepting again. */
#define ACCEPT_PAUSE_MS 100
/* Refusal log lines: a burst per window, then one summary line per window. */
#define REFUSE_WINDOW_MS 10000
#define REFUSE_BURST     5
/* Descriptors kept free below RLIMIT_NOFILE for what a handshake opens
 * (keytab, replay cache, krb5.conf, DNS, syslog): a base plus some per
 * thread, since every worker can be inside AcceptSecurityContext at once. */
#define FD_RESERVE_BASE       32
#define FD_RESERVE_PER_THREAD 8

static const char *const refusal_names[REF_COUNT] = {"max_connections", "per_address_limit", "no_descriptors", "nomem"};

void sspix_svc_addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
    memset(key, 0, 16);
    if (ss->ss_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    }
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
int sspix_svc_addr_take(sspix_engine *e, const uint8_t key[16])
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

void sspix_svc_addr_put(sspix_engine *e, const uint8_t key[16])
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
        sspix_svc_logf(e, LOG_WARNING,
                       "refused %u more connections in the last %.0f s without a line each: max_connections=%u "
                       "per_address_limit=%u no_descriptors=%u nomem=%u (limits: max-connections %u, "
                       "max-per-address %u)",
                       total, sspix_svc_ms_between(&e->ref_start, now) / 1e3, e->ref_suppressed[REF_MAX_CONNECTIONS],
                       e->ref_suppressed[REF_PER_ADDRESS], e->ref_suppressed[REF_NO_DESCRIPTORS],
                       e->ref_suppressed[REF_NOMEM], atomic_load(&e->max_conns), atomic_load(&e->max_per_addr));
    memset(e->ref_suppressed, 0, sizeof(e->ref_suppressed));
}

void sspix_svc_refusal_flush(sspix_engine *e, bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&e->ref_lock);
    if (e->ref_window && (force || sspix_svc_ms_between(&e->ref_start, &now) >= REFUSE_WINDOW_MS)) {
        refusal_flush_locked(e, &now);
        e->ref_window = false;
    }
    pthread_mutex_unlock(&e->ref_lock);
}

void sspix_svc_on_refuse_timer(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    sspix_svc_refusal_flush(w->e, false);
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
    if (!e->ref_window || sspix_svc_ms_between(&e->ref_start, &now) >= REFUSE_WINDOW_MS) {
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
    left = REFUSE_WINDOW_MS - sspix_svc_ms_between(&e->ref_start, &now);
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

/* ---- admission ------------------------------------------------------------- */

void sspix_svc_refuse(struct worker *w, int fd, const struct sockaddr_storage *ss, enum refusal why)
{
    char peer[56];
    sspix_svc_format_peer(ss, peer, sizeof(peer));
    /* Counted before the close, so that whoever sees the close sees it counted. */
    if (refusal_admit(w, why))
        sspix_svc_logf(w->e, LOG_WARNING, "peer=%s client=- package=%s mutual=no legs=0 outcome=%s ms=0.0", peer,
                       w->cred->package, refusal_names[why]);
    close(fd);
}

void sspix_svc_listeners_watch(struct worker *w, bool on)
{
    for (unsigned i = 0; i < w->nlev; i++) {
        if (on)
            event_add(&w->lev[i], NULL);
        else
            event_del(&w->lev[i]);
    }
}

void sspix_svc_on_accept(evutil_socket_t lfd, short what, void *arg)
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
                    sspix_svc_refuse(w, fd, &ss, REF_NO_DESCRIPTORS);
                w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                    continue;
            }
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                /* Out of descriptors: stop accepting for a moment rather than spin. */
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (w->emfile_logged.tv_sec == 0 || sspix_svc_ms_between(&w->emfile_logged, &now) >= REFUSE_WINDOW_MS) {
                    w->emfile_logged = now;
                    sspix_svc_logf(w->e, LOG_WARNING,
                                   "accept: %s (%u connections open, RLIMIT_NOFILE %lu): pausing %d ms; %s",
                                   strerror(err), atomic_load(&w->e->conns), w->e->nofile, ACCEPT_PAUSE_MS,
                                   err == EMFILE ? "raise the descriptor limit (ulimit -n, LimitNOFILE=) or lower "
                                                   "--max-connections"
                                                 : "the system is short of descriptors or memory");
                }
                struct timeval tv;
                sspix_svc_ms_to_tv(ACCEPT_PAUSE_MS, &tv);
                sspix_svc_listeners_watch(w, false);
                event_add(&w->pause_ev, &tv);
            }
            return;
        }
        sspix_svc_conn_open(w, fd, &ss);
    }
}

void sspix_svc_on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    if (w->listening)
        sspix_svc_listeners_watch(w, true);
}

/* ---- the descriptor reserve ------------------------------------------------- */

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
unsigned sspix_svc_capped(const sspix_engine *e, unsigned max)
{
    return e->fd_cap != 0 && max > e->fd_cap ? e->fd_cap : max;
}

void sspix_svc_log_cap(sspix_engine *e, unsigned asked)
{
    if (sspix_svc_capped(e, asked) < asked)
        sspix_svc_logf(e, LOG_WARNING,
                       "max-connections %u lowered to %u: RLIMIT_NOFILE is %lu, and %u descriptors are kept for the "
                       "listeners, the keytab, the replay cache, krb5.conf and DNS (raise the limit with ulimit -n or "
                       "LimitNOFILE= to serve more)",
                       asked, e->fd_cap, e->nofile, (unsigned)(e->nofile > e->fd_cap ? e->nofile - e->fd_cap : 0));
}

int sspix_svc_fd_budget(sspix_engine *e, char *err, size_t errlen)
{
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
            return -1;
        }
        unsigned long room = e->nofile - open_now - reserve;
        e->fd_cap = room > UINT32_MAX ? UINT32_MAX : (unsigned)room;
    }
    return 0;
}
