/* SPDX-License-Identifier: MIT */
/*
 * server.h - what sspix-server's files share: the exit codes, the program
 * name, logging (server_log.c), running as a daemon and under systemd (the
 * pid file, --daemon, readiness and socket activation: server_daemon.c), and
 * the start-up checks, the credential and the privilege drop
 * (server_checks.c). Options, the configuration, reload and signals are
 * sspix-server.c.
 */
#ifndef SSPIX_APPS_SERVER_H
#define SSPIX_APPS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <sspix/sspix.h>

#include "service/config.h"

#define EXIT_USAGE   1
#define EXIT_STARTUP 2

/* "sspix-server", in every line it writes. */
extern const char *const server_prog;

/* ---- server_log.c ---- */

/* Log to target from now on (SSPIX_SVC_LOG_SYSLOG connects to the daemon);
 * under journald, stderr lines get "<priority>" and no timestamp. */
void server_log_open(enum sspix_svc_log target);
/* Whether the log goes to syslog. */
bool server_log_to_syslog(void);
/* At exit: disconnect from the syslog daemon. */
void server_log_close(void);
/* The engine's log callback (thread-safe). */
void server_log_line(void *arg, int prio, const char *line);
/* The server's own lines: to the log, and with syslog to stderr as well. */
void server_say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- server_daemon.c ---- */

/* A state change for the service manager (NOTIFY_SOCKET); nothing without one. */
void server_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The listening sockets of socket activation into fds (at most cap). Returns
 * how many (0: none), or -1 with err. */
int server_take_listen_fds(int *fds, unsigned cap, char *err, size_t errlen);
/* Write the pid file at path, locked while this process runs. Returns 0, or
 * -1 with err. */
int server_pid_file_write(const char *path, char *err, size_t errlen);
/* Remove the pid file at path if it is still this process's. */
void server_pid_file_remove(const char *path);
/* --daemon: detach. Returns 0 in the daemon, or -1 (errno). */
int server_daemonize(void);
/* Tell a --daemon starter the start-up's exit status (0: serving). */
void server_daemon_report(int status);

/* ---- server_checks.c ---- */

struct run_as {
    const char *name; /* NULL: no --user */
    uid_t uid;
    gid_t gid;
    bool dropped;
};

/* The directory MIT's replay cache writes to. */
const char *server_rcache_dir(void);
/* --user: become r->name for good, then check what it must be able to do.
 * Returns 0, or -1 with err. */
int server_run_as_drop(const sspix_svc_config *c, struct run_as *r, char *err, size_t errlen);
/* The keytab c reads, for messages. */
const char *server_keytab_name(const sspix_svc_config *c);
/* The acceptor credential of c, one handle per worker thread. */
SECURITY_STATUS server_acquire(const sspix_svc_config *c, bool in_memory, sspix_svc_cred **out);

/* The keytab file the acceptor's keys come from when the configuration or
 * KRB5_KTNAME names one (FILE:PATH, WRFILE:PATH or an absolute path); NULL
 * otherwise (another keytab type, the default keytab, NTLM). */
const char *server_keytab_file(const sspix_svc_config *c);

/* What stat(2) says of that file, to notice a new keytab (ktadd, a copy). */
struct server_kt_stamp {
    bool valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};
void server_keytab_stamp(const sspix_svc_config *c, struct server_kt_stamp *s);
bool server_keytab_stamp_equal(const struct server_kt_stamp *a, const struct server_kt_stamp *b);
/* The start-up checks (all of them under -t): 0 with *cred and *ras set, or
 * an exit code after saying why. */
int server_preflight(const sspix_svc_config *c, bool check_only, struct run_as *ras, sspix_svc_cred **cred);

#endif /* SSPIX_APPS_SERVER_H */
