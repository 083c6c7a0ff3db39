#include "service/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            fclose(f);
            return -1;
        }
        char *hash = strchr(line, '#');
        char *eq = strchr(line, '=');
        /* A '#' inside a quoted value is part of it. */
        if (hash != NULL && (eq == NULL || hash < eq || strchr(eq, '"') == NULL || hash < strchr(eq, '"')))
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        if (eq == NULL || eq < s) {
            snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        size_t vn = strlen(value);
        if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
            value[vn - 1] = '\0';
            value++;
        }
        if (sspix_svc_config_set(c, key, value, false, msg, sizeof(msg)) < 0) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
            fclose(f);
            return -1;
        }
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
