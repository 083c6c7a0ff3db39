/* SPDX-License-Identifier: MIT */
/*
 * server_checks.c - what sspix-server checks before it serves, and -t checks
 * instead of serving: the settings that would only fail later, --user (the
 * account, and the privilege drop itself, tried in a child under -t), the
 * acceptor credential, and what the serving identity must be able to read and
 * write (the krb5 configuration, the replay cache directory).
 */
#define _GNU_SOURCE /* getresuid, getresgid */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

/* ---- privilege drop (--user) ------------------------------------------------ */

/* Where MIT's replay cache writes: the directory of a file2:PATH in
 * KRB5RCACHENAME, else (the default "dfl:") KRB5RCACHEDIR, else /var/tmp. */
const char *server_rcache_dir(void)
{
    static char dir[4096];
    const char *name = getenv("KRB5RCACHENAME");
    if (name != NULL && strncmp(name, "file2:", 6) == 0 && strchr(name + 6, '/') != NULL) {
        snprintf(dir, sizeof(dir), "%s", name + 6);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        return dir;
    }
    const char *d = getenv("KRB5RCACHEDIR");
    return d && *d ? d : "/var/tmp";
}

/* False when no handshake will write a replay cache: NTLM only, or the
 * environment turns the cache off. */
static bool rcache_in_use(const sspix_svc_config *c)
{
    const char *type = getenv("KRB5RCACHETYPE"), *name = getenv("KRB5RCACHENAME");
    if (c->package != NULL && strcmp(c->package, "NTLM") == 0)
        return false;
    if (!c->replay_cache_mit)
        return false; /* the library's in-process replay set: no file */
    if (name != NULL && *name != '\0')
        return strncmp(name, "none:", 5) != 0;
    return type == NULL || strcmp(type, "none") != 0;
}

/* Can this process create a file in the replay cache directory? Every
 * Kerberos handshake does; without it each one fails after start-up. */
static int rcache_probe(const char *who, char *err, size_t errlen)
{
    char probe[4096];
    int n = snprintf(probe, sizeof(probe), "%s/.sspix-server-probe-XXXXXX", server_rcache_dir());
    int fd = n > 0 && (size_t)n < sizeof(probe) ? mkstemp(probe) : -1;
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen,
                 "the replay cache directory %s is not writable by %s (%s), so every Kerberos handshake would "
                 "fail: make it writable (mode 1777, as /var/tmp), or point KRB5RCACHEDIR at a directory %s can "
                 "write",
                 server_rcache_dir(), who, strerror(e), who);
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

/*
 * What the identity that serves (this process, or NAME after --user) must be
 * able to do, or every handshake fails after a clean start: read the krb5
 * profile (every accept reads it again) and, when Kerberos is in use, create
 * a file in the replay cache directory. Run by the start-up and by -t alike,
 * as that identity. who names it in the message.
 */
static int serving_identity_checks(const sspix_svc_config *c, const char *who, char *err, size_t errlen)
{
    if (c->package == NULL || strcmp(c->package, "NTLM") != 0) {
        const char *profile = getenv("KRB5_CONFIG");
        char files[4096];
        snprintf(files, sizeof(files), "%s", profile && *profile ? profile : "/etc/krb5.conf");
        for (char *save = NULL, *f = strtok_r(files, ":", &save); f != NULL; f = strtok_r(NULL, ":", &save)) {
            if (access(f, R_OK) < 0 && errno != ENOENT) {
                snprintf(err, errlen,
                         "the krb5 configuration %s is not readable by %s (%s): make it readable (it "
                         "holds no secrets), or point KRB5_CONFIG at a copy %s can read",
                         f, who, strerror(errno), who);
                return -1;
            }
        }
    }
    return rcache_in_use(c) ? rcache_probe(who, err, errlen) : 0;
}

/* Resolve --user NAME before anything is acquired. Returns 0 or -1 with err. */
static int run_as_lookup(const char *name, struct run_as *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    if (name == NULL)
        return 0;
    if (geteuid() != 0) {
        snprintf(err, errlen,
                 "--user %s: dropping privileges needs root, and this process runs as uid %ld: "
                 "start it as root, or leave --user out",
                 name, (long)geteuid());
        return -1;
    }
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        snprintf(err, errlen, "--user %s: no such user%s%s", name, errno ? ": " : "", errno ? strerror(errno) : "");
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_gid == 0) {
        snprintf(err, errlen, "--user %s: uid %ld gid %ld is root: name an unprivileged account", name,
                 (long)pw->pw_uid, (long)pw->pw_gid);
        return -1;
    }
    r->name = name;
    r->uid = pw->pw_uid;
    r->gid = pw->pw_gid;
    return 0;
}

/*
 * Become r->name for good: its supplementary groups, gid, then uid (glibc's
 * wrappers change every thread of the process; this runs before the workers
 * start anyway), then prove root cannot come back. Afterwards the replay cache
 * directory must take a new file, or every handshake would fail later.
 */
int server_run_as_drop(const sspix_svc_config *c, struct run_as *r, char *err, size_t errlen)
{
    if (initgroups(r->name, r->gid) < 0) {
        snprintf(err, errlen, "initgroups(%s, %ld): %s", r->name, (long)r->gid, strerror(errno));
        return -1;
    }
    if (setgid(r->gid) < 0) {
        snprintf(err, errlen, "setgid(%ld): %s", (long)r->gid, strerror(errno));
        return -1;
    }
    if (setuid(r->uid) < 0) {
        snprintf(err, errlen, "setuid(%ld): %s", (long)r->uid, strerror(errno));
        return -1;
    }
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != r->uid || eu != r->uid || su != r->uid ||
        rg != r->gid || eg != r->gid || sg != r->gid) {
        snprintf(err, errlen, "after setuid(%ld): uids or gids are not all %s's", (long)r->uid, r->name);
        return -1;
    }
    if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
        snprintf(err, errlen, "after dropping privileges to %s, root could be regained: refusing to run", r->name);
        return -1;
    }
    r->dropped = true;
    return serving_identity_checks(c, r->name, err, errlen);
}

/* -t: try the drop and its checks in a child; the parent keeps its privileges. */
static int run_as_check(const sspix_svc_config *c, const struct run_as *r)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        server_say(LOG_ERR, "--user %s: cannot fork to check it: %s", r->name, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char err[1024];
        struct run_as child = *r;
        if (server_run_as_drop(c, &child, err, sizeof(err)) < 0) {
            server_say(LOG_ERR, "--user %s would fail: %s", r->name, err);
            _exit(EXIT_STARTUP);
        }
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

/* ---- the credential and the start-up checks ------------------------------------ */

const char *server_keytab_name(const sspix_svc_config *c)
{
    if (c->keytab)
        return c->keytab;
    const char *env = getenv("KRB5_KTNAME");
    return env && *env ? env : "the default keytab";
}

const char *server_keytab_file(const sspix_svc_config *c)
{
    if (c->package != NULL && strcmp(c->package, "NTLM") == 0)
        return NULL;
    const char *name = c->keytab;
    if (name == NULL || *name == '\0')
        name = getenv("KRB5_KTNAME");
    if (name == NULL || *name == '\0')
        return NULL;
    if (strncmp(name, "FILE:", 5) == 0)
        return name + 5;
    if (strncmp(name, "WRFILE:", 7) == 0)
        return name + 7;
    return name[0] == '/' ? name : NULL; /* another type (MEMORY:, KEYRING:, ...) or a relative name */
}

void server_keytab_stamp(const sspix_svc_config *c, struct server_kt_stamp *s)
{
    const char *path = server_keytab_file(c);
    struct stat st;
    memset(s, 0, sizeof(*s));
    if (path == NULL || stat(path, &st) < 0)
        return;
    s->valid = true;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
}

bool server_keytab_stamp_equal(const struct server_kt_stamp *a, const struct server_kt_stamp *b)
{
    return a->valid == b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The keys are read once, into memory: with --user (NAME cannot read the
 * keytab), and whenever the keytab is a named file, which the main loop
 * watches for changes (MIT would otherwise open, lock, read and close it on
 * every accept). Replays are caught by the library's in-process set unless
 * the configuration asks for MIT's file cache (replay-cache = mit). */
SECURITY_STATUS server_acquire(const sspix_svc_config *c, bool in_memory, sspix_svc_cred **out)
{
    struct sspix_svc_limits lim;
    sspix_svc_config_limits(c, &lim);
    in_memory = in_memory || server_keytab_file(c) != NULL;
    ULONG flags = (in_memory ? SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY : 0) |
                  (c->replay_cache_mit || (c->package != NULL && strcmp(c->package, "NTLM") == 0)
                       ? 0
                       : SSPIX_AUTH_STORE_REPLAY_IN_PROCESS);
    SECURITY_STATUS st = sspix_svc_cred_acquire_flags(c->package, c->spn, c->keytab, c->ntlm_users, flags, &lim, out);
    /* One handle per worker thread: the acceptor locks its credential for
     * the whole of each accept, so threads sharing one would take turns. */
    if (st == SEC_E_OK)
        sspix_svc_cred_replicate(*out, c->threads);
    return st;
}

/*
 * The checks a start runs before it binds, and -t runs instead of serving:
 * the settings that only fail later, --user, the credential, and what the
 * serving identity must be able to read and write. Returns 0 (*cred set), or
 * an exit code after saying why.
 */
int server_preflight(const sspix_svc_config *c, bool check_only, struct run_as *ras, sspix_svc_cred **cred)
{
    char err[1024];
    *cred = NULL;
    if (strcmp(c->package, "NTLM") == 0 && c->ntlm_users == NULL) {
        server_say(LOG_ERR, "--package NTLM without --ntlm-users: no NTLM logon could succeed; give the users file "
                            "(DOMAIN:user:password lines), or choose Negotiate or Kerberos");
        return EXIT_USAGE;
    }
    if (c->bind != NULL) {
        unsigned char a[16];
        if (inet_pton(AF_INET, c->bind, a) != 1 && inet_pton(AF_INET6, c->bind, a) != 1) {
            server_say(LOG_ERR, "--bind %s: not a numeric IPv4 or IPv6 address", c->bind);
            return EXIT_USAGE;
        }
    }
    if (c->pid_file != NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", c->pid_file);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash != NULL)
            *slash = '\0';
        if (access(dir, W_OK | X_OK) < 0) {
            server_say(LOG_ERR, "--pid-file %s: cannot create files in %s: %s", c->pid_file, dir, strerror(errno));
            return EXIT_STARTUP;
        }
    }
    if (run_as_lookup(c->user, ras, err, sizeof(err)) < 0) {
        server_say(LOG_ERR, "%s", err);
        return EXIT_USAGE;
    }
    /* Without --user this process serves as it is: its krb5.conf and replay
     * cache checks come first (reading the keys needs krb5.conf); with
     * --user the drop runs them as NAME (under -t in a child). */
    if (ras->name == NULL) {
        struct passwd *pw = getpwuid(geteuid());
        char who[128];
        snprintf(who, sizeof(who), "%s (uid %ld)", pw ? pw->pw_name : "this user", (long)geteuid());
        if (serving_identity_checks(c, who, err, sizeof(err)) < 0) {
            server_say(LOG_ERR, "%s", err);
            return EXIT_STARTUP;
        }
    }
    SECURITY_STATUS st = server_acquire(c, ras->name != NULL, cred);
    if (st != SEC_E_OK) {
        server_say(LOG_ERR, "cannot acquire %s acceptor credentials for %s from %s: %s: %s", c->package,
                   c->spn ? c->spn : "any principal", server_keytab_name(c), sspix_status_name(st), sspix_last_error());
        *cred = NULL;
        return EXIT_STARTUP;
    }
    if (ras->name != NULL && check_only && run_as_check(c, ras) < 0) {
        sspix_svc_cred_unref(*cred);
        *cred = NULL;
        return EXIT_STARTUP;
    }
    return 0;
}
