/* SPDX-License-Identifier: MIT */
#include "service/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const key_names[SSPIX_KEY_COUNT] = {
    [SSPIX_KEY_PORT] = "port",
    [SSPIX_KEY_BIND] = "bind",
    [SSPIX_KEY_PACKAGE] = "package",
    [SSPIX_KEY_KEYTAB] = "keytab",
    [SSPIX_KEY_SPN] = "spn",
    [SSPIX_KEY_MODE] = "mode",
    [SSPIX_KEY_PROTOCOL] = "protocol",
    [SSPIX_KEY_THREADS] = "threads",
    [SSPIX_KEY_MAX_TOKEN] = "max-token",
    [SSPIX_KEY_MAX_MESSAGE] = "max-message",
    [SSPIX_KEY_HANDSHAKE_TIMEOUT] = "handshake-timeout",
    [SSPIX_KEY_MAX_LEGS] = "max-legs",
    [SSPIX_KEY_MAX_CONNECTIONS] = "max-connections",
    [SSPIX_KEY_IDLE_TIMEOUT] = "idle-timeout",
    [SSPIX_KEY_ALLOW_NO_MUTUAL] = "allow-no-mutual",
    [SSPIX_KEY_LOG] = "log",
    [SSPIX_KEY_PID_FILE] = "pid-file",
    [SSPIX_KEY_NTLM_USERS] = "ntlm-users",
    [SSPIX_KEY_USER] = "user",
    [SSPIX_KEY_SHUTDOWN_GRACE] = "shutdown-grace",
    [SSPIX_KEY_MESSAGE_TIMEOUT] = "message-timeout",
    [SSPIX_KEY_MAX_PER_ADDRESS] = "max-per-address",
    [SSPIX_KEY_ALLOW_WEAK_CONTEXT] = "allow-weak-context",
    [SSPIX_KEY_REPLAY_CACHE] = "replay-cache",
};

void sspix_svc_config_init(sspix_svc_config *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 2000;
    c->mode = SSPIX_SVC_GREET;
    c->proto = SSPIX_SVC_PROTO_MS;
    c->max_token = 65536;
    c->max_message = 65536;
    c->handshake_timeout = 10;
    c->max_legs = 8;
    c->max_connections = 10000;
    c->idle_timeout = 60;
    c->shutdown_grace = 5;
    c->message_timeout = 30;
    c->max_per_address = 1000;
    c->log = SSPIX_SVC_LOG_STDERR;
}

void sspix_svc_config_free(sspix_svc_config *c)
{
    free(c->bind);
    free(c->package);
    free(c->keytab);
    free(c->spn);
    free(c->pid_file);
    free(c->ntlm_users);
    free(c->user);
    sspix_svc_config_init(c);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src != NULL && (*dst = strdup(src)) == NULL)
        return SSPIX_ERR_NOMEM;
    return 0;
}

int sspix_svc_config_copy(sspix_svc_config *dst, const sspix_svc_config *src)
{
    *dst = *src;
    /* Nothing in dst may point at src's strings when a copy below fails and dst is freed. */
    dst->bind = dst->package = dst->keytab = dst->spn = dst->pid_file = dst->ntlm_users = dst->user = NULL;
    if (dup_opt(&dst->bind, src->bind) || dup_opt(&dst->package, src->package) || dup_opt(&dst->keytab, src->keytab) ||
        dup_opt(&dst->spn, src->spn) || dup_opt(&dst->pid_file, src->pid_file) ||
        dup_opt(&dst->ntlm_users, src->ntlm_users) || dup_opt(&dst->user, src->user)) {
        sspix_svc_config_free(dst);
        return SSPIX_ERR_NOMEM;
    }
    return 0;
}

static int find_key(const char *key)
{
    char norm[64];
    size_t n = strlen(key);
    if (n >= sizeof(norm))
        return -1;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '_' ? '-' : (char)tolower((unsigned char)key[i]);
    for (int k = 0; k < SSPIX_KEY_COUNT; k++)
        if (strcmp(norm, key_names[k]) == 0)
            return k;
    return -1;
}

static int parse_uint(const char *v, unsigned long long min, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (*v == '\0' || *v == '-' || isspace((unsigned char)*v))
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
        *out = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
        *out = false;
    else
        return -1;
    return 0;
}

static int set_str(char **dst, const char *v)
{
    char *s = strdup(v);
    if (s == NULL)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

int sspix_svc_config_set(sspix_svc_config *c, const char *key, const char *value, bool from_cli, char *err,
                         size_t errlen)
{
    int k = find_key(key);
    unsigned long long x = 0;
    if (k < 0) {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return -1;
    }
    if (!from_cli && (c->given & (1u << k)))
        return 0; /* the command line wins */
    if (value == NULL)
        value = "";
    const char *why = NULL;
    switch ((enum sspix_svc_key)k) {
    case SSPIX_KEY_PORT:
        if (parse_uint(value, 1, 65535, &x) < 0)
            why = "expected a port number 1-65535";
        else
            c->port = (uint16_t)x;
        break;
    case SSPIX_KEY_BIND:
        if (*value == '\0' || set_str(&c->bind, value) < 0)
            why = "expected an IP address";
        break;
    case SSPIX_KEY_PACKAGE:
        if (strcasecmp(value, "Negotiate") == 0)
            value = "Negotiate";
        else if (strcasecmp(value, "Kerberos") == 0)
            value = "Kerberos";
        else if (strcasecmp(value, "NTLM") == 0)
            value = "NTLM";
        else
            why = "expected Negotiate, Kerberos or NTLM";
        if (why == NULL && set_str(&c->package, value) < 0)
            why = "out of memory";
        break;
    case SSPIX_KEY_KEYTAB:
        if (*value == '\0' || set_str(&c->keytab, value) < 0)
            why = "expected a keytab name (FILE:/path or a path)";
        break;
    case SSPIX_KEY_SPN:
        if (*value == '\0' || set_str(&c->spn, value) < 0)
            why = "expected a service principal name such as host/server.example.com";
        break;
    case SSPIX_KEY_MODE:
        if (strcmp(value, "greet") == 0)
            c->mode = SSPIX_SVC_GREET;
        else if (strcmp(value, "echo") == 0)
            c->mode = SSPIX_SVC_ECHO;
        else
            why = "expected greet or echo";
        break;
    case SSPIX_KEY_PROTOCOL:
        if (strcmp(value, "ms") == 0 || strcmp(value, "ms-sample") == 0)
            c->proto = SSPIX_SVC_PROTO_MS;
        else if (strcmp(value, "gss-sample") == 0 || strcmp(value, "gss") == 0)
            c->proto = SSPIX_SVC_PROTO_GSS;
        else
            why = "expected ms or gss-sample";
        break;
    case SSPIX_KEY_THREADS:
        if (parse_uint(value, 0, 256, &x) < 0)
            why = "expected a number of threads 0-256 (0: one per CPU)";
        else
            c->threads = (unsigned)x;
        break;
    case SSPIX_KEY_MAX_TOKEN:
        if (parse_uint(value, 64, 16u << 20, &x) < 0)
            why = "expected a size in bytes, 64-16777216";
        else
            c->max_token = (uint32_t)x;
        break;
    case SSPIX_KEY_MAX_MESSAGE:
        if (parse_uint(value, 0, 16u << 20, &x) < 0)
            why = "expected a size in bytes, 0-16777216";
        else
            c->max_message = (uint32_t)x;
        break;
    case SSPIX_KEY_HANDSHAKE_TIMEOUT:
        if (parse_uint(value, 1, 3600, &x) < 0)
            why = "expected seconds, 1-3600";
        else
            c->handshake_timeout = (unsigned)x;
        break;
    case SSPIX_KEY_MAX_LEGS:
        if (parse_uint(value, 1, 64, &x) < 0)
            why = "expected a number of legs, 1-64";
        else
            c->max_legs = (uint32_t)x;
        break;
    case SSPIX_KEY_MAX_CONNECTIONS:
        if (parse_uint(value, 1, 10000000, &x) < 0)
            why = "expected a number of connections, 1-10000000";
        else
            c->max_connections = (unsigned)x;
        break;
    case SSPIX_KEY_IDLE_TIMEOUT:
        if (parse_uint(value, 1, 86400, &x) < 0)
            why = "expected seconds, 1-86400";
        else
            c->idle_timeout = (unsigned)x;
        break;
    case SSPIX_KEY_ALLOW_NO_MUTUAL:
        if (*value == '\0' && from_cli)
            c->allow_no_mutual = true;
        else if (parse_bool(value, &c->allow_no_mutual) < 0)
            why = "expected yes or no";
        break;
    case SSPIX_KEY_LOG:
        if (strcmp(value, "stderr") == 0)
            c->log = SSPIX_SVC_LOG_STDERR;
        else if (strcmp(value, "syslog") == 0)
            c->log = SSPIX_SVC_LOG_SYSLOG;
        else
            why = "expected stderr or syslog";
        break;
    case SSPIX_KEY_PID_FILE:
        if (*value == '\0' || set_str(&c->pid_file, value) < 0)
            why = "expected a file name";
        break;
    case SSPIX_KEY_NTLM_USERS:
        if (*value == '\0' || set_str(&c->ntlm_users, value) < 0)
            why = "expected a file of DOMAIN:user:password lines";
        break;
    case SSPIX_KEY_USER:
        if (*value == '\0' || set_str(&c->user, value) < 0)
            why = "expected a user name";
        break;
    case SSPIX_KEY_SHUTDOWN_GRACE:
        if (parse_uint(value, 0, 3600, &x) < 0)
            why = "expected seconds, 0-3600";
        else
            c->shutdown_grace = (unsigned)x;
        break;
    case SSPIX_KEY_MESSAGE_TIMEOUT:
        if (parse_uint(value, 1, 3600, &x) < 0)
            why = "expected seconds, 1-3600";
        else
            c->message_timeout = (unsigned)x;
        break;
    case SSPIX_KEY_MAX_PER_ADDRESS:
        if (parse_uint(value, 0, 10000000, &x) < 0)
            why = "expected a number of connections, 0-10000000 (0: no limit)";
        else
            c->max_per_address = (unsigned)x;
        break;
    case SSPIX_KEY_ALLOW_WEAK_CONTEXT:
        if (*value == '\0' && from_cli)
            c->allow_weak_context = true;
        else if (parse_bool(value, &c->allow_weak_context) < 0)
            why = "expected yes or no";
        break;
    case SSPIX_KEY_REPLAY_CACHE:
        if (strcmp(value, "memory") == 0)
            c->replay_cache_mit = false;
        else if (strcmp(value, "mit") == 0)
            c->replay_cache_mit = true;
        else
            why = "expected memory (this process's replay set) or mit (MIT's file replay cache)";
        break;
    case SSPIX_KEY_COUNT: break;
    }
    if (why != NULL) {
        snprintf(err, errlen, "%s: '%s': %s", key_names[k], value, why);
        return -1;
    }
    if (from_cli)
        c->given |= 1u << k;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int sspix_svc_config_load(sspix_svc_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[4096], msg[512];
    unsigned lineno = 0;
    unsigned first_line[SSPIX_KEY_COUNT] = {0}; /* where each key was set in this file (0: not yet) */
    struct stat st;
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* fopen(3) opens a directory for reading, and reading it gives no line:
     * it would be an empty configuration. */
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        bool dir = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
        snprintf(err, errlen, "%s: not a regular file%s: give the configuration file itself", path,
                 dir ? " (a directory)" : "");
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            fclose(f);
            return -1;
        }
        char *start = line;
        /* A UTF-8 byte order mark, as some editors write it, is not part of the first key. */
        if (lineno == 1 && memcmp(start, "\xef\xbb\xbf", 3) == 0)
            start += 3;
        /* A '#' before the '=' starts a comment; after it, one outside a quoted value does. */
        char *eq = strchr(start, '=');
        char *hash = strchr(start, '#');
        if (hash != NULL && (eq == NULL || hash < eq)) {
            *hash = '\0';
            eq = NULL;
        }
        char *s = trim(start);
        if (*s == '\0')
            continue;
        if (eq == NULL || eq < s) {
            snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char *key = trim(s), *value = eq + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        if (*value == '"') {
            /* The closing quote is the first one that only blanks or a comment follow, so a value may
             * hold quotes itself ("a"b" is a"b). */
            char *close = value, *rest = NULL;
            while ((close = strchr(close + 1, '"')) != NULL) {
                for (rest = close + 1; isspace((unsigned char)*rest); rest++)
                    ;
                if (*rest == '\0' || *rest == '#')
                    break;
            }
            if (close == NULL) {
                snprintf(err, errlen,
                         "%s:%u: %s: a quoted value ends at its closing quote; only a # comment may "
                         "follow it",
                         path, lineno, key);
                fclose(f);
                return -1;
            }
            *close = '\0';
            value++;
        } else {
            char *h = strchr(value, '#');
            if (h != NULL)
                *h = '\0';
            value = trim(value);
        }
        int k = find_key(key);
        if (k >= 0 && first_line[k] != 0) {
            snprintf(err, errlen, "%s:%u: %s is set twice (first on line %u): keep one of them", path, lineno,
                     key_names[k], first_line[k]);
            fclose(f);
            return -1;
        }
        if (sspix_svc_config_set(c, key, value, false, msg, sizeof(msg)) < 0) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
            fclose(f);
            return -1;
        }
        first_line[k] = lineno; /* k >= 0: an unknown key failed above */
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s:%u: read error: %s", path, lineno + 1, strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

void sspix_svc_config_limits(const sspix_svc_config *c, struct sspix_svc_limits *out)
{
    out->max_token = c->max_token;
    out->max_message = c->max_message;
    out->max_legs = c->max_legs;
    out->allow_no_mutual = c->allow_no_mutual;
    out->mode = c->mode;
    out->proto = c->proto;
    out->handshake_ms = c->handshake_timeout * 1000u;
    out->idle_ms = c->idle_timeout * 1000u;
    out->message_ms = c->message_timeout * 1000u;
    out->allow_weak_context = c->allow_weak_context;
}

/* base + "/" + path, or NULL (out of memory, or longer than PATH_MAX). */
static char *join_path(const char *base, const char *path)
{
    size_t nb = strlen(base), np = strlen(path);
    bool slash = !(nb > 0 && base[nb - 1] == '/');
    if (nb + slash + np >= PATH_MAX)
        return NULL;
    char *out = malloc(nb + slash + np + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, base, nb);
    if (slash)
        out[nb] = '/';
    memcpy(out + nb + slash, path, np + 1);
    return out;
}

char *sspix_svc_path_absolute(const char *base, const char *path)
{
    if (path == NULL || base == NULL || base[0] != '/')
        return NULL;
    if (path[0] == '/')
        return strdup(path);
    const char *p = path;
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    return join_path(base, p);
}

/* A keytab name: a path, or TYPE:RESIDUAL, where FILE: and WRFILE: hold a path. */
static char *keytab_absolute(const char *base, const char *name)
{
    const char *colon = strchr(name, ':');
    if (colon == NULL || memchr(name, '/', (size_t)(colon - name)) != NULL)
        return sspix_svc_path_absolute(base, name);
    size_t tn = (size_t)(colon - name) + 1;
    if (!(tn == 5 && strncmp(name, "FILE:", 5) == 0) && !(tn == 7 && strncmp(name, "WRFILE:", 7) == 0))
        return strdup(name); /* MEMORY:, KEYRING:, ...: not a path */
    if (colon[1] == '/')
        return strdup(name);
    char *rel = sspix_svc_path_absolute(base, colon + 1);
    if (rel == NULL)
        return NULL;
    size_t nr = strlen(rel);
    char *out = malloc(tn + nr + 1);
    if (out != NULL) {
        memcpy(out, name, tn);
        memcpy(out + tn, rel, nr + 1);
    }
    free(rel);
    return out;
}

int sspix_svc_config_absolute(sspix_svc_config *c, const char *base, char *err, size_t errlen)
{
    struct {
        char **v;
        enum sspix_svc_key k;
    } paths[] = {
        {&c->keytab, SSPIX_KEY_KEYTAB}, {&c->pid_file, SSPIX_KEY_PID_FILE}, {&c->ntlm_users, SSPIX_KEY_NTLM_USERS}};
    if (base == NULL || base[0] != '/') {
        snprintf(err, errlen, "cannot resolve relative paths: the start-up directory is unknown; give absolute paths");
        return -1;
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (*paths[i].v == NULL)
            continue;
        char *abs = paths[i].k == SSPIX_KEY_KEYTAB ? keytab_absolute(base, *paths[i].v)
                                                   : sspix_svc_path_absolute(base, *paths[i].v);
        if (abs == NULL) {
            snprintf(err, errlen, "%s: '%s': cannot make it absolute against %s (too long, or out of memory)",
                     key_names[paths[i].k], *paths[i].v, base);
            return -1;
        }
        free(*paths[i].v);
        *paths[i].v = abs;
    }
    return 0;
}

const char *sspix_svc_config_key_name(enum sspix_svc_key k)
{
    return (unsigned)k < SSPIX_KEY_COUNT ? key_names[k] : NULL;
}

static const char *or_none(const char *s)
{
    return s != NULL ? s : "none";
}

size_t sspix_svc_config_value(const sspix_svc_config *c, enum sspix_svc_key k, char *buf, size_t cap)
{
    int n = 0;
    if (cap == 0)
        return 0;
    switch (k) {
    case SSPIX_KEY_PORT: n = snprintf(buf, cap, "%u", (unsigned)c->port); break;
    case SSPIX_KEY_BIND: n = snprintf(buf, cap, "%s", c->bind ? c->bind : "none"); break;
    case SSPIX_KEY_PACKAGE: n = snprintf(buf, cap, "%s", c->package ? c->package : "Negotiate"); break;
    case SSPIX_KEY_KEYTAB: n = snprintf(buf, cap, "%s", or_none(c->keytab)); break;
    case SSPIX_KEY_SPN: n = snprintf(buf, cap, "%s", or_none(c->spn)); break;
    case SSPIX_KEY_MODE: n = snprintf(buf, cap, "%s", c->mode == SSPIX_SVC_ECHO ? "echo" : "greet"); break;
    case SSPIX_KEY_PROTOCOL: n = snprintf(buf, cap, "%s", c->proto == SSPIX_SVC_PROTO_GSS ? "gss-sample" : "ms"); break;
    case SSPIX_KEY_THREADS: n = snprintf(buf, cap, "%u", c->threads); break;
    case SSPIX_KEY_MAX_TOKEN: n = snprintf(buf, cap, "%u", (unsigned)c->max_token); break;
    case SSPIX_KEY_MAX_MESSAGE: n = snprintf(buf, cap, "%u", (unsigned)c->max_message); break;
    case SSPIX_KEY_HANDSHAKE_TIMEOUT: n = snprintf(buf, cap, "%u", c->handshake_timeout); break;
    case SSPIX_KEY_MAX_LEGS: n = snprintf(buf, cap, "%u", (unsigned)c->max_legs); break;
    case SSPIX_KEY_MAX_CONNECTIONS: n = snprintf(buf, cap, "%u", c->max_connections); break;
    case SSPIX_KEY_IDLE_TIMEOUT: n = snprintf(buf, cap, "%u", c->idle_timeout); break;
    case SSPIX_KEY_ALLOW_NO_MUTUAL: n = snprintf(buf, cap, "%s", c->allow_no_mutual ? "yes" : "no"); break;
    case SSPIX_KEY_LOG: n = snprintf(buf, cap, "%s", c->log == SSPIX_SVC_LOG_SYSLOG ? "syslog" : "stderr"); break;
    case SSPIX_KEY_PID_FILE: n = snprintf(buf, cap, "%s", or_none(c->pid_file)); break;
    case SSPIX_KEY_NTLM_USERS: n = snprintf(buf, cap, "%s", or_none(c->ntlm_users)); break;
    case SSPIX_KEY_USER: n = snprintf(buf, cap, "%s", or_none(c->user)); break;
    case SSPIX_KEY_SHUTDOWN_GRACE: n = snprintf(buf, cap, "%u", c->shutdown_grace); break;
    case SSPIX_KEY_MESSAGE_TIMEOUT: n = snprintf(buf, cap, "%u", c->message_timeout); break;
    case SSPIX_KEY_MAX_PER_ADDRESS: n = snprintf(buf, cap, "%u", c->max_per_address); break;
    case SSPIX_KEY_ALLOW_WEAK_CONTEXT: n = snprintf(buf, cap, "%s", c->allow_weak_context ? "yes" : "no"); break;
    case SSPIX_KEY_REPLAY_CACHE: n = snprintf(buf, cap, "%s", c->replay_cache_mit ? "mit" : "memory"); break;
    case SSPIX_KEY_COUNT:
    default: buf[0] = '\0'; break;
    }
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
