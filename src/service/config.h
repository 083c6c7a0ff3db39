/* SPDX-License-Identifier: MIT */
/*
 * config.h - sspix-server's settings: defaults, one setter shared by the
 * command line and the config file, and the config-file reader.
 *
 * Every setting has one name, used both as the long option (--max-token) and
 * as the config-file key (max-token; max_token is accepted too). The command
 * line wins: a setting marked as given on the command line is never
 * overwritten by the file, at start-up or on SIGHUP.
 *
 * Strings in the struct are owned by it (heap copies); release with
 * sspix_svc_config_free(). Not thread-safe; the server builds a config in its
 * main thread and hands the engine the values it needs.
 */
#ifndef SSPIX_SERVICE_CONFIG_H
#define SSPIX_SERVICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/conn.h"

enum sspix_svc_log { SSPIX_SVC_LOG_STDERR = 0, SSPIX_SVC_LOG_SYSLOG = 1 };

/* Setting indices, for the "given on the command line" mask. */
enum sspix_svc_key {
    SSPIX_KEY_PORT,
    SSPIX_KEY_BIND,
    SSPIX_KEY_PACKAGE,
    SSPIX_KEY_KEYTAB,
    SSPIX_KEY_SPN,
    SSPIX_KEY_MODE,
    SSPIX_KEY_PROTOCOL,
    SSPIX_KEY_THREADS,
    SSPIX_KEY_MAX_TOKEN,
    SSPIX_KEY_MAX_MESSAGE,
    SSPIX_KEY_HANDSHAKE_TIMEOUT,
    SSPIX_KEY_MAX_LEGS,
    SSPIX_KEY_MAX_CONNECTIONS,
    SSPIX_KEY_IDLE_TIMEOUT,
    SSPIX_KEY_ALLOW_NO_MUTUAL,
    SSPIX_KEY_LOG,
    SSPIX_KEY_PID_FILE,
    SSPIX_KEY_NTLM_USERS,
    SSPIX_KEY_USER,
    SSPIX_KEY_SHUTDOWN_GRACE,
    SSPIX_KEY_MESSAGE_TIMEOUT,
    SSPIX_KEY_MAX_PER_ADDRESS,
    SSPIX_KEY_ALLOW_WEAK_CONTEXT,
    SSPIX_KEY_REPLAY_CACHE,
    SSPIX_KEY_COUNT
};

typedef struct sspix_svc_config {
    uint16_t port;              /* 2000 */
    char *bind;                 /* NULL: "::" (dual stack), falling back to 0.0.0.0 */
    char *package;              /* "Negotiate", "Kerberos" or "NTLM" */
    char *keytab;               /* NULL: KRB5_KTNAME / the system default */
    char *spn;                  /* NULL: any principal in the keytab */
    enum sspix_svc_mode mode;   /* greet */
    enum sspix_svc_proto proto; /* ms (the Microsoft sample framing) or gss (MIT gss-sample) */
    unsigned threads;           /* 0: one per online CPU */
    uint32_t max_token;         /* 65536 */
    uint32_t max_message;       /* 65536 */
    unsigned handshake_timeout; /* seconds, 10 */
    uint32_t max_legs;          /* 8 */
    unsigned max_connections;   /* 10000 */
    unsigned idle_timeout;      /* seconds, 60 */
    bool allow_no_mutual;
    enum sspix_svc_log log;
    char *pid_file;
    char *ntlm_users;         /* NULL: no NTLM users file (NTLM, and NTLM inside Negotiate, not offered) */
    char *user;               /* NULL: keep running as started; else drop to this account after binding */
    unsigned shutdown_grace;  /* seconds, 5: how long SIGTERM lets work in progress finish */
    unsigned message_timeout; /* seconds, 30: a frame begun after the handshake must be complete by then */
    unsigned max_per_address; /* 1000: open connections from one client address (0: no limit) */
    bool allow_weak_context;  /* accept a context without replay/sequence detection */
    bool replay_cache_mit;    /* false (default): the library's in-process replay set; true: MIT's file cache */
    uint32_t given;           /* bit (1u << key): set on the command line */
} sspix_svc_config;

/* Defaults. Allocates nothing. */
void sspix_svc_config_init(sspix_svc_config *c);

/* Frees the strings; c is left as after init. */
void sspix_svc_config_free(sspix_svc_config *c);

/* Deep copy (for a reload that may fail). Returns 0 or SSPIX_ERR_NOMEM. */
int sspix_svc_config_copy(sspix_svc_config *dst, const sspix_svc_config *src);

/*
 * Set one setting by name ("max-token" or "max_token") from its text value.
 * from_cli marks it as given on the command line; a file value (from_cli
 * false) for a setting given on the command line is ignored (returns 0).
 * Returns 0, or -1 with a message in err ("max-token: not a number: x").
 */
int sspix_svc_config_set(sspix_svc_config *c, const char *key, const char *value, bool from_cli, char *err,
                         size_t errlen);

/*
 * Read a config file: "key = value" lines, '#' starts a comment, blank lines
 * ignored, values may be quoted with "..." ; a leading UTF-8 byte order mark
 * is skipped. A key set twice in the file, a file that is not a regular file
 * (a directory) and a read error are errors. Returns 0, or -1 with
 * "FILE:LINE: message" in err.
 */
int sspix_svc_config_load(sspix_svc_config *c, const char *path, char *err, size_t errlen);

/*
 * Make the path settings absolute against base (an absolute directory, the
 * one the server started in): keytab (a path, FILE:path or WRFILE:path; other
 * keytab types are left alone), pid-file and ntlm-users. A daemon changes
 * directory to / and re-reads these on SIGHUP. Returns 0, or -1 with err.
 */
int sspix_svc_config_absolute(sspix_svc_config *c, const char *base, char *err, size_t errlen);

/* path if absolute, else base/path (leading "./" dropped); heap, or NULL. */
char *sspix_svc_path_absolute(const char *base, const char *path);

/* The setting's name ("max-token"), or NULL for an index out of range. */
const char *sspix_svc_config_key_name(enum sspix_svc_key k);

/*
 * The setting's value as config-file text ("65536", "yes", "echo"); an unset
 * path or name is "none", an unset package "Negotiate". Returns the length
 * written (truncated to fit cap, NUL-terminated).
 */
size_t sspix_svc_config_value(const sspix_svc_config *c, enum sspix_svc_key k, char *buf, size_t cap);

/* The connection limits this config asks for. */
void sspix_svc_config_limits(const sspix_svc_config *c, struct sspix_svc_limits *out);

#endif /* SSPIX_SERVICE_CONFIG_H */
