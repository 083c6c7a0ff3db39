/* SPDX-License-Identifier: MIT */
/*
 * server_log.c - sspix-server's log: timestamped lines on stderr, or
 * "<priority>" lines when stderr is journald's stream, or with --log syslog
 * one datagram per line to the syslog daemon over a socket that stays
 * connected; the engine's connection lines and the server's own lines.
 */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

const char *const server_prog = "sspix-server";

static enum sspix_svc_log log_target = SSPIX_SVC_LOG_STDERR;
/* stderr is a journald stream: lines carry "<priority>" and no timestamp. */
static bool log_journal;

/* JOURNAL_STREAM names the device and inode of the stream systemd connected
 * to journald; it counts only while stderr is still that stream. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const char *priority_name(int prio)
{
    switch (prio) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT: return "critical";
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

/* One line on stderr, in one write(2) so that lines from different threads
 * never interleave: "<4>text" under journald, else
 * "2026-01-31T12:00:00.123Z sspix-server: warning: text" (RFC 3339, UTC). */
static void stderr_line(int prio, const char *line)
{
    char buf[1300];
    int n;
    if (log_journal) {
        n = snprintf(buf, sizeof(buf), "<%d>%s\n", prio, line);
    } else {
        struct timespec ts;
        struct tm tm;
        char when[32] = "";
        clock_gettime(CLOCK_REALTIME, &ts);
        if (gmtime_r(&ts.tv_sec, &tm) != NULL)
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s: %s: %s\n", when, ts.tv_nsec / 1000000L, server_prog,
                     priority_name(prio), line);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

/*
 * --log syslog: one datagram per line on a socket to the syslog daemon
 * (/dev/log, journald's or rsyslog's) that stays connected, in the format
 * syslog(3) writes ("<PRI>Mmm dd hh:mm:ss sspix-server[PID]: text"). syslog(3)
 * costs a getpid(2) per line and, whenever the socket is not there, a
 * socket(2), connect(2) and close(2) per line; here a missing socket is
 * looked for again at most once a second, and a daemon that went away
 * (restarted) is reconnected to at once. Lines are dropped while there is no
 * daemon, as syslog(3) drops them.
 */
static int syslog_fd = -1;
static int syslog_type = SOCK_DGRAM;  /* SOCK_STREAM when the daemon listens on a stream socket */
static pid_t syslog_pid;              /* this process's pid (reset in a forked child) */
static struct timespec syslog_missed; /* last failed connect (0: none) */
static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;

static void syslog_forked(void)
{
    syslog_pid = getpid();
}

/* Connect to the daemon unless that failed less than a second ago; lock held. */
static void syslog_connect_locked(bool now)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (!now && syslog_missed.tv_sec != 0 && t.tv_sec - syslog_missed.tv_sec < 1)
        return;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", _PATH_LOG);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = socket(AF_UNIX, syslog_type | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            syslog_fd = fd;
            syslog_missed.tv_sec = 0;
            return;
        }
        int err = errno;
        close(fd);
        if (err != EPROTOTYPE)
            break;
        syslog_type = syslog_type == SOCK_DGRAM ? SOCK_STREAM : SOCK_DGRAM;
    }
    syslog_missed = t;
    if (syslog_missed.tv_sec == 0)
        syslog_missed.tv_sec = 1;
}

static void syslog_open(void)
{
    pthread_mutex_lock(&syslog_lock);
    if (syslog_pid == 0) {
        syslog_pid = getpid();
        pthread_atfork(NULL, NULL, syslog_forked);
    }
    if (syslog_fd < 0)
        syslog_connect_locked(true);
    pthread_mutex_unlock(&syslog_lock);
}

static void syslog_close(void)
{
    pthread_mutex_lock(&syslog_lock);
    if (syslog_fd >= 0)
        close(syslog_fd);
    syslog_fd = -1;
    pthread_mutex_unlock(&syslog_lock);
}

static void syslog_line(int prio, const char *line)
{
    char buf[1300], when[32] = "";
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (localtime_r(&ts.tv_sec, &tm) != NULL)
        strftime(when, sizeof(when), "%h %e %T", &tm);
    int n = snprintf(buf, sizeof(buf), "<%d>%s %s[%ld]: %s", LOG_MAKEPRI(LOG_DAEMON, prio & LOG_PRIMASK), when,
                     server_prog, (long)syslog_pid, line);
    if (n < 0)
        return;
    size_t len = (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n;
    pthread_mutex_lock(&syslog_lock);
    if (syslog_fd < 0)
        syslog_connect_locked(false);
    /* A stream socket needs a terminator between messages; a datagram is one. */
    size_t out = len + (syslog_type == SOCK_STREAM ? 1 : 0);
    for (int attempt = 0; syslog_fd >= 0 && attempt < 2; attempt++) {
        if (send(syslog_fd, buf, out, MSG_NOSIGNAL) >= 0)
            break;
        if (errno == EINTR)
            continue;
        /* The daemon went away or restarted: connect again, send once more. */
        close(syslog_fd);
        syslog_fd = -1;
        if (attempt == 0)
            syslog_connect_locked(true);
    }
    pthread_mutex_unlock(&syslog_lock);
}

/* The engine's lines: per connection, refusals, resource trouble. */
void server_log_line(void *arg, int prio, const char *line)
{
    (void)arg;
    if (log_target == SSPIX_SVC_LOG_SYSLOG) {
        syslog_line(prio, line);
        return;
    }
    stderr_line(prio, line);
}

/* The server's own lines (start-up, reload, stop): to the log, and with
 * --log syslog to stderr as well, so that whoever starts it sees them. */
void server_say(int prio, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_line(prio, line);
    stderr_line(prio, line);
}

void server_log_open(enum sspix_svc_log target)
{
    log_target = target;
    log_journal = stderr_is_journal();
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_open();
}

bool server_log_to_syslog(void)
{
    return log_target == SSPIX_SVC_LOG_SYSLOG;
}

void server_log_close(void)
{
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_close();
}
