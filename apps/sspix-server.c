/* SPDX-License-Identifier: MIT */
/*
 * sspix-server - the seed's authenticated sockets service: every client is
 * authenticated with AcceptSecurityContext (Negotiate by default, mutual
 * authentication required), then greeted or echoed with protected messages in
 * the Microsoft sample's layout. See sspix-server(8).
 *
 * This file is options, the configuration, reload, signals and the serving
 * itself; logging is server_log.c, systemd, the pid file and --daemon
 * server_daemon.c, the start-up checks and the privilege drop
 * server_checks.c. The service itself is src/service/ (engine.c, conn.c,
 * proto_ms.c).
 *
 * Exit codes: 0 ok, 1 usage or configuration error, 2 credential or start-up
 * error (bind included).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sspix/sspix.h>

#include "server.h"
#include "service/config.h"
#include "service/engine.h"

static unsigned long long monotonic_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [options]\n"
            "Authenticate every client with SSPI (Negotiate or Kerberos, mutual authentication),\n"
            "then greet it or echo its messages, protected, in the Microsoft sample's wire format.\n"
            "\n"
            "  -p, --port PORT            TCP port (2000)\n"
            "  -b, --bind ADDR            numeric address to listen on (:: and 0.0.0.0)\n"
            "  -P, --package NAME         Negotiate (default; also accepts raw Kerberos), Kerberos or NTLM\n"
            "      --ntlm-users FILE      NTLM accounts, DOMAIN:user:password lines: offers NTLM (and\n"
            "                             NTLM inside Negotiate); NTLM cannot authenticate the server,\n"
            "                             so such clients also need --allow-no-mutual\n"
            "  -k, --keytab KEYTAB        acceptor keys (default: KRB5_KTNAME or the system keytab)\n"
            "  -s, --spn SPN              accept only this principal, e.g. host/server.example.com\n"
            "                             (default: any principal in the keytab)\n"
            "  -m, --mode greet|echo      after authentication: one greeting (default), or echo\n"
            "      --protocol ms|gss-sample  wire protocol: the Microsoft sample framing (default), or\n"
            "                             MIT's gss-sample, for gss-client (--mode does not apply)\n"
            "      --threads N            event loops, one per thread (default: one per CPU)\n"
            "      --max-token BYTES      largest handshake token (65536)\n"
            "      --max-message BYTES    largest echo message (65536)\n"
            "      --handshake-timeout S  handshake deadline in seconds (10)\n"
            "      --max-legs N           handshake tokens, both directions, before refusing more (8)\n"
            "      --max-connections N    open connections; beyond it new ones are closed (10000)\n"
            "      --idle-timeout S       echo mode: close after S seconds without a message (60)\n"
            "      --message-timeout S    a message begun must be complete within S seconds (30)\n"
            "      --max-per-address N    open connections from one client address; 0: no limit (1000)\n"
            "      --shutdown-grace S     SIGTERM: seconds for work in progress to finish (5)\n"
            "      --allow-no-mutual      accept a context without mutual authentication\n"
            "      --allow-weak-context   accept a context without replay/sequence detection (echo,\n"
            "                             gss-sample) or without the protection the mode uses\n"
            "      --replay-cache memory|mit  replayed Kerberos authenticators: caught by this process's\n"
            "                             replay set (memory, default) or MIT's file cache in KRB5RCACHEDIR\n"
            "                             (mit: for several servers on one keytab, or across restarts)\n"
            "      --log stderr|syslog    where the log goes (stderr: timestamped lines, or \"<N>\" lines\n"
            "                             for journald when JOURNAL_STREAM says stderr is the journal)\n"
            "  -c, --config FILE          'key = value' lines, keys as the long options; options win\n"
            "  -t                         run every start-up check (config, credentials, --user, krb5.conf,\n"
            "                             replay cache, pid file directory) without serving; print, exit\n"
            "  -T                         print the effective configuration, one 'key value' line per\n"
            "                             setting, and exit\n"
            "      --daemon               detach once listening (the starter exits with the start-up status)\n"
            "      --pid-file FILE        write the process id here once listening (before --user), locked\n"
            "                             while it runs; a pid file locked by a running server is refused\n"
            "      --user NAME            start as root, then after reading the keys and binding, and\n"
            "                             before accepting anyone, run as NAME (its groups, gid, uid);\n"
            "                             the keytab is read once, into memory; NAME must be able to\n"
            "                             write the replay cache directory (KRB5RCACHEDIR or /var/tmp)\n"
            "  -h, --help                 this text\n"
            "  -V, --version              print the version\n"
            "\n"
            "Relative paths (-c, --keytab, --pid-file, --ntlm-users) are resolved against the directory\n"
            "the server was started in. Under systemd: readiness with sd_notify (Type=notify), and the\n"
            "sockets of a socket unit (LISTEN_FDS) are served instead of --bind/--port.\n"
            "Signals: SIGHUP reloads the config file and the credential (with --user, the keys\n"
            "loaded at start-up are kept when NAME cannot read the keytab); SIGTERM/SIGINT stop\n"
            "accepting, let handshakes and messages in flight finish and get their replies (up to\n"
            "--shutdown-grace), and exit 0; a second SIGTERM/SIGINT closes everything at once.\n"
            "Exit codes: 0 ok, 1 usage or configuration error, 2 credential or start-up error.\n",
            server_prog);
}

enum {
    OPT_PROTOCOL = 256,
    OPT_MAX_TOKEN,
    OPT_MAX_MESSAGE,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_MAX_LEGS,
    OPT_MAX_CONNECTIONS,
    OPT_IDLE_TIMEOUT,
    OPT_ALLOW_NO_MUTUAL,
    OPT_LOG,
    OPT_DAEMON,
    OPT_PID_FILE,
    OPT_NTLM_USERS,
    OPT_USER,
    OPT_SHUTDOWN_GRACE,
    OPT_MESSAGE_TIMEOUT,
    OPT_MAX_PER_ADDRESS,
    OPT_ALLOW_WEAK_CONTEXT,
    OPT_REPLAY_CACHE,
    OPT_THREADS,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, 'b'},
    {"package", required_argument, NULL, 'P'},
    {"keytab", required_argument, NULL, 'k'},
    {"spn", required_argument, NULL, 's'},
    {"mode", required_argument, NULL, 'm'},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-token", required_argument, NULL, OPT_MAX_TOKEN},
    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT},
    {"max-legs", required_argument, NULL, OPT_MAX_LEGS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"allow-no-mutual", no_argument, NULL, OPT_ALLOW_NO_MUTUAL},
    {"log", required_argument, NULL, OPT_LOG},
    {"config", required_argument, NULL, 'c'},
    {"daemon", no_argument, NULL, OPT_DAEMON},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"ntlm-users", required_argument, NULL, OPT_NTLM_USERS},
    {"user", required_argument, NULL, OPT_USER},
    {"shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE},
    {"message-timeout", required_argument, NULL, OPT_MESSAGE_TIMEOUT},
    {"max-per-address", required_argument, NULL, OPT_MAX_PER_ADDRESS},
    {"allow-weak-context", no_argument, NULL, OPT_ALLOW_WEAK_CONTEXT},
    {"replay-cache", required_argument, NULL, OPT_REPLAY_CACHE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static bool same_str(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the configuration --------------------------------------------------------- */

/* The directory the server was started in: relative paths are resolved
 * against it, at start-up and on SIGHUP (a daemon runs in /). */
static char start_dir[PATH_MAX];

/* The config a start or a reload runs with: the command line, then the file. */
static int build_config(const sspix_svc_config *cli, const char *path, sspix_svc_config *out, char *err, size_t errlen)
{
    if (sspix_svc_config_copy(out, cli) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (path != NULL && sspix_svc_config_load(out, path, err, errlen) < 0) {
        sspix_svc_config_free(out);
        return -1;
    }
    if (sspix_svc_config_absolute(out, start_dir, err, errlen) < 0) {
        sspix_svc_config_free(out);
        return -1;
    }
    if (out->package == NULL && (out->package = strdup("Negotiate")) == NULL) {
        snprintf(err, errlen, "out of memory");
        sspix_svc_config_free(out);
        return -1;
    }
    if (out->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        out->threads = n > 0 ? (unsigned)(n > 256 ? 256 : n) : 1;
    }
    return 0;
}

/* A relative value of a krb5 environment variable, made absolute for a
 * daemon; for KRB5_CONFIG every ':'-separated file. */
static void absolute_env(const char *name, bool list)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return;
    char out[8192] = "", copy[4096];
    size_t used = 0;
    bool changed = false;
    snprintf(copy, sizeof(copy), "%s", v);
    const char *prefix = "";
    char *rest = copy;
    if (!list && (strncmp(rest, "FILE:", 5) == 0 || strncmp(rest, "WRFILE:", 7) == 0)) {
        prefix = rest[0] == 'F' ? "FILE:" : "WRFILE:";
        rest += strlen(prefix);
    } else if (!list && strchr(rest, ':') != NULL) {
        return; /* another keytab type */
    }
    for (char *save = NULL, *f = list ? strtok_r(rest, ":", &save) : rest; f != NULL;
         f = list ? strtok_r(NULL, ":", &save) : NULL) {
        char *abs = f[0] == '/' ? NULL : sspix_svc_path_absolute(start_dir, f);
        changed |= abs != NULL;
        int n = snprintf(out + used, sizeof(out) - used, "%s%s", used ? ":" : prefix, abs ? abs : f);
        free(abs);
        if (n < 0 || (size_t)n >= sizeof(out) - used)
            return;
        used += (size_t)n;
    }
    if (changed)
        setenv(name, out, 1);
}

/* -T: every setting, one "key value" line each, in the order of the options. */
static void print_config(const sspix_svc_config *c)
{
    char v[4200];
    for (int k = 0; k < SSPIX_KEY_COUNT; k++) {
        sspix_svc_config_value(c, (enum sspix_svc_key)k, v, sizeof(v));
        printf("%s %s\n", sspix_svc_config_key_name((enum sspix_svc_key)k), v);
    }
}
/*
 * SIGHUP. *running is the generation the engine serves (main holds a
 * reference). After --user dropped root the keytab normally cannot be read
 * again: then the new settings are applied around the credential loaded at
 * start-up. Returns true when the new configuration is in force.
 */
static bool reload(sspix_engine *e, const sspix_svc_config *cli, const char *path, sspix_svc_config *cur,
                   const struct run_as *ras, sspix_svc_cred **running)
{
    sspix_svc_config next;
    sspix_svc_cred *cred;
    char err[1024];
    bool kept = false;
    if (build_config(cli, path, &next, err, sizeof(err)) < 0) {
        server_say(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
        return false;
    }
    if (strcmp(next.package, "NTLM") == 0 && next.ntlm_users == NULL) {
        server_say(LOG_ERR, "reload failed, keeping the running configuration: package NTLM without ntlm-users");
        sspix_svc_config_free(&next);
        return false;
    }
    SECURITY_STATUS st = server_acquire(&next, ras->name != NULL, &cred);
    /* Without root the keys usually cannot be read again; whatever the reason,
     * the keys loaded at start-up stay, and the library says why. */
    if (st != SEC_E_OK && ras->dropped) {
        if (!same_str(next.package, cur->package) || !same_str(next.spn, cur->spn) ||
            !same_str(next.keytab, cur->keytab) || !same_str(next.ntlm_users, cur->ntlm_users)) {
            server_say(LOG_ERR,
                       "reload failed, keeping the running configuration: cannot re-read keytab %s after dropping "
                       "privileges to %s (%s), and package, spn, keytab or ntlm-users changed: restart to apply them",
                       server_keytab_name(&next), ras->name, sspix_last_error());
            sspix_svc_config_free(&next);
            return false;
        }
        server_say(LOG_WARNING,
                   "SIGHUP: cannot re-read keytab %s after dropping privileges to %s (%s); keeping the credential "
                   "loaded at start-up; restart to reload keys",
                   server_keytab_name(&next), ras->name, sspix_last_error());
        struct sspix_svc_limits lim;
        sspix_svc_config_limits(&next, &lim);
        st = sspix_svc_cred_rewrap(*running, &lim, &cred);
        kept = true;
    }
    if (st != SEC_E_OK) {
        server_say(
            LOG_ERR,
            "reload failed, keeping the running configuration: cannot acquire %s credentials for %s from %s: %s: %s",
            next.package, next.spn ? next.spn : "any principal", server_keytab_name(&next), sspix_status_name(st),
            sspix_last_error());
        sspix_svc_config_free(&next);
        return false;
    }
    if (next.port != cur->port || (next.bind == NULL) != (cur->bind == NULL) ||
        (next.bind && strcmp(next.bind, cur->bind) != 0) || next.threads != cur->threads || next.log != cur->log ||
        !same_str(next.user, cur->user) || next.shutdown_grace != cur->shutdown_grace)
        server_say(LOG_NOTICE,
                   "reload: port, bind, threads, log, user and shutdown-grace take effect only after a restart");
    sspix_engine_set_cred(e, cred);
    sspix_engine_set_max_connections(e, next.max_connections);
    sspix_engine_set_max_per_address(e, next.max_per_address);
    sspix_svc_cred_unref(*running);
    *running = cred; /* our reference; the engine holds its own */
    server_say(LOG_INFO, "reloaded: %s, mode %s, principal %s in %s%s", next.package,
               next.mode == SSPIX_SVC_ECHO ? "echo" : "greet", next.spn ? next.spn : "any", server_keytab_name(&next),
               kept ? " (keys from start-up)" : "");
    /* Keep the start-up values of what cannot change. */
    next.port = cur->port;
    next.threads = cur->threads;
    next.shutdown_grace = cur->shutdown_grace;
    next.log = cur->log;
    char *user = next.user;
    next.user = cur->user;
    cur->user = user;
    sspix_svc_config_free(cur);
    *cur = next;
    return true;
}

/*
 * Keys read into memory (see server_acquire) follow the keytab file: once a
 * second the main thread stats it, and a change that has stayed the same for
 * a whole second (so a ktadd still writing is not read half-done) is read
 * again and the new keys replace the old for new connections. A keytab that
 * cannot be read keeps the keys loaded before, with a warning.
 */
struct keytab_watch {
    struct server_kt_stamp current; /* the file as the keys in use were read */
    struct server_kt_stamp pending; /* a change seen a second ago */
    bool has_pending;
};

static void keytab_watch_reset(struct keytab_watch *w, const sspix_svc_config *cfg)
{
    server_keytab_stamp(cfg, &w->current);
    w->has_pending = false;
}

static void keytab_watch_check(struct keytab_watch *w, sspix_engine *e, const sspix_svc_config *cfg,
                               sspix_svc_cred **running)
{
    const char *path = server_keytab_file(cfg);
    struct server_kt_stamp now;
    if (path == NULL)
        return;
    server_keytab_stamp(cfg, &now);
    if (server_keytab_stamp_equal(&now, &w->current)) {
        w->has_pending = false;
        return;
    }
    if (!w->has_pending || !server_keytab_stamp_equal(&now, &w->pending)) {
        w->pending = now;
        w->has_pending = true;
        return;
    }
    w->current = now;
    w->has_pending = false;
    if (!now.valid) {
        server_say(LOG_WARNING, "keytab %s is gone: keeping the keys read before; put it back or restart", path);
        return;
    }
    sspix_svc_cred *cred;
    SECURITY_STATUS st = server_acquire(cfg, true, &cred);
    if (st != SEC_E_OK) {
        server_say(LOG_WARNING, "keytab %s changed but cannot be read (%s: %s): keeping the keys read before", path,
                   sspix_status_name(st), sspix_last_error());
        return;
    }
    sspix_engine_set_cred(e, cred);
    sspix_svc_cred_unref(*running);
    *running = cred;
    server_say(LOG_INFO, "keytab %s changed: keys read again", path);
}

/* Everything after the options; main() reports its status to a --daemon starter. */
static int serve(sspix_svc_config *cli, const char *config_path, bool check_only, bool dump_only, bool daemon_mode)
{
    sspix_svc_config cfg;
    char err[1024];
    char *abs_config = NULL;

    if (getcwd(start_dir, sizeof(start_dir)) == NULL) {
        fprintf(stderr, "%s: cannot tell the current directory (%s), against which relative paths are resolved\n",
                server_prog, strerror(errno));
        return EXIT_USAGE;
    }
    if (config_path != NULL && (config_path = abs_config = sspix_svc_path_absolute(start_dir, config_path)) == NULL) {
        fprintf(stderr, "%s: -c: out of memory\n", server_prog);
        return EXIT_USAGE;
    }
    if (build_config(cli, config_path, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", server_prog, err);
        free(abs_config);
        return EXIT_USAGE;
    }
    if (dump_only) {
        print_config(&cfg);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return 0;
    }
    server_log_open(cfg.log);
    raise_nofile();

    int lfds[SSPIX_ENGINE_MAX_LISTEN];
    int nlfds = check_only ? 0 : server_take_listen_fds(lfds, SSPIX_ENGINE_MAX_LISTEN, err, sizeof(err));
    if (nlfds < 0) {
        server_say(LOG_ERR, "%s", err);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return EXIT_STARTUP;
    }
    /* Before any credential, thread or event loop exists; every path it will
     * read is absolute by now (the krb5 variables too). */
    if (daemon_mode && !check_only) {
        absolute_env("KRB5_KTNAME", false);
        absolute_env("KRB5_CONFIG", true);
        absolute_env("KRB5RCACHEDIR", false);
        if (server_daemonize() < 0) {
            server_say(LOG_ERR, "cannot detach: %s", strerror(errno));
            for (int i = 0; i < nlfds; i++)
                close(lfds[i]);
            sspix_svc_config_free(&cfg);
            free(abs_config);
            return EXIT_STARTUP;
        }
    }

    /* Credentials once, for every connection and thread. */
    struct run_as ras;
    sspix_svc_cred *cred;
    int rc = server_preflight(&cfg, check_only, &ras, &cred);
    if (rc != 0 || check_only) {
        if (rc == 0) {
            const char *bind_text = cfg.bind ? cfg.bind : "::";
            printf("%s: configuration OK: would listen on %s%s%s:%u (%s, mode %s, %u threads, principal %s in %s)\n",
                   server_prog, strchr(bind_text, ':') ? "[" : "", bind_text, strchr(bind_text, ':') ? "]" : "",
                   cfg.port, cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads,
                   cfg.spn ? cfg.spn : "any", server_keytab_name(&cfg));
            if (ras.name != NULL)
                printf("%s: would drop privileges after binding to user %s (uid %ld, gid %ld, its groups); keytab "
                       "read once into memory; krb5 configuration readable and replay cache directory %s "
                       "writable by %s\n",
                       server_prog, ras.name, (long)ras.uid, (long)ras.gid, server_rcache_dir(), ras.name);
        }
        for (int i = 0; i < nlfds; i++)
            close(lfds[i]);
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return rc;
    }

    /* Signals are taken by sigwait() in this thread only; workers inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sspix_engine_opts eo = {
        .bind = cfg.bind,
        .port = cfg.port,
        .threads = cfg.threads,
        .max_connections = cfg.max_connections,
        .max_per_address = cfg.max_per_address,
        .grace_ms = cfg.shutdown_grace * 1000u,
        .listen_fds = lfds,
        .nlisten_fds = (unsigned)nlfds,
        .log = server_log_line,
    };
    sspix_engine *e;
    if (sspix_engine_create(&eo, cred, &e, err, sizeof(err)) < 0) {
        server_say(LOG_ERR, "cannot listen: %s", err);
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return EXIT_STARTUP;
    }
    sspix_svc_cred *running = cred; /* this function's reference; the engine holds its own */
    if (nlfds > 0)
        server_say(LOG_INFO, "socket activation: serving %d inherited socket%s (%s)%s", nlfds, nlfds == 1 ? "" : "s",
                   sspix_engine_address(e),
                   (cli->given & ((1u << SSPIX_KEY_BIND) | (1u << SSPIX_KEY_PORT))) ? "; --bind and --port are not used"
                                                                                    : "");
    rc = EXIT_STARTUP;
    if (cfg.pid_file != NULL && server_pid_file_write(cfg.pid_file, err, sizeof(err)) < 0) {
        server_say(LOG_ERR, "cannot write the pid file: %s", err);
        goto out;
    }
    /* Keys in memory, sockets bound, pid file written: nothing needs root any more. */
    if (ras.name != NULL) {
        if (server_run_as_drop(&cfg, &ras, err, sizeof(err)) < 0) {
            server_say(LOG_ERR, "cannot drop privileges to %s: %s", ras.name, err);
            goto out;
        }
        server_say(LOG_INFO, "dropped privileges to %s (uid %ld, gid %ld)", ras.name, (long)ras.uid, (long)ras.gid);
    }
    if (sspix_engine_start(e) < 0) {
        server_say(LOG_ERR, "cannot start the worker threads: %s", strerror(errno));
        goto out;
    }
    server_say(LOG_INFO, "listening on %s (%s, mode %s, %u threads, principal %s in %s)", sspix_engine_address(e),
               cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any",
               server_keytab_name(&cfg));
    server_daemon_report(0);
    server_notify("READY=1\nMAINPID=%ld\nSTATUS=listening on %s (%s, mode %s)", (long)getpid(), sspix_engine_address(e),
                  cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet");

    struct keytab_watch kw;
    keytab_watch_reset(&kw, &cfg);
    for (;;) {
        struct timespec second = {1, 0};
        int sig = sigtimedwait(&sigs, NULL, &second);
        if (sig < 0) {
            if (errno == EAGAIN)
                keytab_watch_check(&kw, e, &cfg, &running);
            continue;
        }
        if (sig == SIGHUP) {
            server_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration", monotonic_usec());
            bool ok = reload(e, cli, config_path, &cfg, &ras, &running);
            keytab_watch_reset(&kw, &cfg);
            server_notify("READY=1\nSTATUS=%s on %s (%s, mode %s)",
                          ok ? "listening" : "reload failed (see the log), still serving the previous configuration",
                          sspix_engine_address(e), cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet");
            continue;
        }
        server_say(
            LOG_NOTICE,
            "%s: stopping; handshakes and messages in flight get up to %u s to finish (send it again to stop now)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.shutdown_grace);
        break;
    }
    server_notify("STOPPING=1\nSTATUS=stopping: finishing the work in flight (up to %u s)", cfg.shutdown_grace);
    sspix_engine_stop(e);
    /* While the stop runs, a second SIGTERM/SIGINT cuts it short; SIGHUP is ignored. */
    bool cut = false;
    while (!sspix_engine_done(e)) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (!cut && (sig == SIGTERM || sig == SIGINT)) {
            server_say(LOG_NOTICE, "%s again: closing every connection now", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            sspix_engine_stop_now(e);
            cut = true;
        }
    }
    sspix_engine_wait(e);
    rc = 0;
out:
    sspix_engine_free(e);
    sspix_svc_cred_unref(running);
    /* After --user this fails unless NAME may write the pid file's directory. */
    if (cfg.pid_file != NULL)
        server_pid_file_remove(cfg.pid_file);
    if (rc == 0)
        server_say(LOG_INFO, "stopped");
    sspix_svc_config_free(&cfg);
    free(abs_config);
    return rc;
}

int main(int argc, char **argv)
{
    sspix_svc_config cli;
    const char *config_path = NULL;
    bool check_only = false, dump_only = false, daemon_mode = false;
    char err[1024];
    int opt;

    sspix_svc_config_init(&cli);
    while ((opt = getopt_long(argc, argv, "p:b:P:k:s:m:c:tThV", long_opts, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case 'p': key = "port"; break;
        case 'b': key = "bind"; break;
        case 'P': key = "package"; break;
        case 'k': key = "keytab"; break;
        case 's': key = "spn"; break;
        case 'm': key = "mode"; break;
        case OPT_THREADS: key = "threads"; break;
        case OPT_PROTOCOL: key = "protocol"; break;
        case OPT_MAX_TOKEN: key = "max-token"; break;
        case OPT_MAX_MESSAGE: key = "max-message"; break;
        case OPT_HANDSHAKE_TIMEOUT: key = "handshake-timeout"; break;
        case OPT_MAX_LEGS: key = "max-legs"; break;
        case OPT_MAX_CONNECTIONS: key = "max-connections"; break;
        case OPT_IDLE_TIMEOUT: key = "idle-timeout"; break;
        case OPT_ALLOW_NO_MUTUAL:
            key = "allow-no-mutual";
            optarg = (char *)"yes";
            break;
        case OPT_LOG: key = "log"; break;
        case OPT_PID_FILE: key = "pid-file"; break;
        case OPT_NTLM_USERS: key = "ntlm-users"; break;
        case OPT_USER: key = "user"; break;
        case OPT_SHUTDOWN_GRACE: key = "shutdown-grace"; break;
        case OPT_MESSAGE_TIMEOUT: key = "message-timeout"; break;
        case OPT_MAX_PER_ADDRESS: key = "max-per-address"; break;
        case OPT_REPLAY_CACHE: key = "replay-cache"; break;
        case OPT_ALLOW_WEAK_CONTEXT:
            key = "allow-weak-context";
            optarg = (char *)"yes";
            break;
        case 'c': config_path = optarg; break;
        case 't': check_only = true; break;
        case 'T': dump_only = true; break;
        case OPT_DAEMON: daemon_mode = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s (libsspix %s)\n", server_prog, SSPIX_VERSION_STRING, sspix_version()); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
        if (key != NULL && sspix_svc_config_set(&cli, key, optarg, true, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: --%s\n", server_prog, err);
            sspix_svc_config_free(&cli);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", server_prog, argv[optind]);
        sspix_svc_config_free(&cli);
        return EXIT_USAGE;
    }
    int rc = serve(&cli, config_path, check_only, dump_only, daemon_mode);
    server_daemon_report(rc);
    sspix_svc_config_free(&cli);
    server_log_close();
    return rc;
}
