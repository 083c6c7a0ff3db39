/* SPDX-License-Identifier: MIT */
/*
 * gss_status.c - the one table from GSSAPI status to SSPI status.
 *
 * The minor code (a krb5 error code, or an errno value that krb5 passes up)
 * says more than the major code, so it decides first, and by its value, not
 * by its text. MIT's mechglue gives a mechanism's minor code to the caller
 * unchanged only the first time that value is seen; the same value coming
 * from a second mechanism (Kerberos inside SPNEGO: SPNEGO hands up the
 * Kerberos code as its own) is renumbered to an arbitrary number that only
 * gss_display_status() can take back. find_code() undoes that: the renumbered
 * code's text is produced by the Kerberos mechanism from its own saved error
 * (extended message included), so exactly one code of the table displays the
 * same text. Comparing with the bare com_err text is the last resort.
 *
 * The same code can mean different things on the two sides: a ticket that
 * cannot be decrypted is the acceptor's stale keytab, while the initiator's
 * integrity failure is a wrong password. Entries carry an acceptor variant,
 * used inside AcceptSecurityContext.
 */
#include "packages/gss_status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <com_err.h>
#include <krb5/krb5.h>

#include "packages/gss_internal.h"
#include "sspi/errors.h"

struct minor_map {
    long code;
    SECURITY_STATUS status;
    const char *hint;
    SECURITY_STATUS accept_status; /* inside AcceptSecurityContext; 0: status */
    const char *accept_hint;       /* inside AcceptSecurityContext; NULL: hint */
    int local;                     /* the failure may be a file or socket that could not be opened */
};

#define HINT_KDC_UNREACH                                                                                               \
    "no KDC answered for the realm: check its kdc lines under [realms] in krb5.conf (KRB5_CONFIG) and that the KDC "   \
    "runs and is reachable"
#define HINT_NO_FD                                                                                                     \
    "out of file descriptors: raise the limit (LimitNOFILE= in the service's systemd unit, ulimit -n) or serve fewer " \
    "connections at once"
#define HINT_KEY_CHANGED                                                                                               \
    "the keytab's key cannot decrypt the ticket: the service's key changed at the KDC, or the keytab belongs to "      \
    "another account; export the service's current keys again (kadmin ktadd -k KEYTAB SPN, or ktpass on Active "       \
    "Directory)"
#define HINT_KVNO                                                                                                      \
    "the keytab has no key with the ticket's key version (kvno): the service was rekeyed at the KDC and the keytab "   \
    "is out of date (export it again: kadmin ktadd -k KEYTAB SPN, or ktpass on Active Directory), or the client's "    \
    "ticket predates the keytab (kdestroy, then kinit)"
#define HINT_SPN_NOT_IN_KEYTAB                                                                                         \
    "the ticket's service principal is not in the keytab: add its keys (kadmin ktadd -k KEYTAB SPN), or have the "     \
    "client ask for a service principal the keytab holds (klist -k KEYTAB)"
#define HINT_NO_KEYTAB                                                                                                 \
    "the service's keytab is missing, unreadable or holds no key for it: check KRB5_KTNAME (or the keytab the "        \
    "credential names), the file's permissions, and its keys (klist -k)"
#define HINT_RCACHE_DIR                                                                                                \
    "the replay cache cannot be created: KRB5RCACHEDIR (or the credential's ReplayCache) must name an existing "       \
    "directory this process can write"
#define HINT_RCACHE_FULL "no space left on the replay cache's device: free space (or quota) where KRB5RCACHEDIR points"
#define HINT_RCACHE_IO   "the replay cache cannot be read or written: check KRB5RCACHEDIR and the file system under it"

static const struct minor_map minor_table[] = {
    {KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, SEC_E_LOGON_DENIED,
     "the user is unknown to the KDC: check the user name and realm"},
    {KRB5KDC_ERR_PREAUTH_FAILED, SEC_E_LOGON_DENIED, "wrong password"},
    {KRB5KRB_AP_ERR_BAD_INTEGRITY, SEC_E_LOGON_DENIED, "wrong password, or the key changed", 0, HINT_KEY_CHANGED},
    {KRB5KDC_ERR_CLIENT_REVOKED, SEC_E_LOGON_DENIED, "the account is disabled or locked"},
    {KRB5KDC_ERR_KEY_EXP, SEC_E_LOGON_DENIED, "the password has expired: change it with kpasswd"},
    {KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, SEC_E_TARGET_UNKNOWN,
     "the KDC does not know this service principal: check the SPN (svc/host[@REALM]) and that it is registered"},
    {KRB5_REALM_UNKNOWN, SEC_E_NO_AUTHENTICATING_AUTHORITY,
     "no KDC is configured for this realm: add it under [realms] in krb5.conf (KRB5_CONFIG)"},
    {KRB5_REALM_CANT_RESOLVE, SEC_E_NO_AUTHENTICATING_AUTHORITY,
     "the realm's KDC host name does not resolve: check its kdc lines under [realms] in krb5.conf", 0, NULL, 1},
    {KRB5_KDC_UNREACH, SEC_E_NO_AUTHENTICATING_AUTHORITY, HINT_KDC_UNREACH, 0, NULL, 1},
    {KRB5_FCC_NOFILE, SEC_E_NO_CREDENTIALS, "no credential cache: run kinit", 0, NULL, 1},
    {KRB5_FCC_PERM, SEC_E_NO_CREDENTIALS, "the credential cache is not readable: check KRB5CCNAME and its permissions",
     0, NULL, 1},
    {KRB5_CC_IO, SEC_E_NO_CREDENTIALS, "the credential cache cannot be read: check KRB5CCNAME, or run kinit again", 0,
     NULL, 1},
    {KRB5_CC_FORMAT, SEC_E_NO_CREDENTIALS, "the credential cache is damaged: run kinit again"},
    {KRB5_CC_NOTFOUND, SEC_E_NO_CREDENTIALS, "no matching ticket in the credential cache: run kinit"},
    {KRB5_CC_END, SEC_E_NO_CREDENTIALS, "the credential cache is empty: run kinit"},
    {KRB5_CC_NOSUPP, SEC_E_NO_CREDENTIALS, "unsupported credential cache type: check KRB5CCNAME"},
    {KRB5_KT_NOTFOUND, SEC_E_NO_CREDENTIALS,
     "the keytab has no key for this principal: add it with kadmin ktadd, or name the right keytab", 0, NULL, 1},
    {KRB5_KT_KVNONOTFOUND, SEC_E_LOGON_DENIED, HINT_KVNO},
    {KRB5_KT_END, SEC_E_NO_CREDENTIALS, "the keytab is empty: export the service key into it", 0, NULL, 1},
    {KRB5_KT_IOERR, SEC_E_NO_CREDENTIALS, "the keytab cannot be read: check the file and its file system", 0, NULL, 1},
    {KRB5_KT_FORMAT, SEC_E_NO_CREDENTIALS, "the file is not a keytab, or is damaged: export the keys again"},
    {KRB5_KT_UNKNOWN_TYPE, SEC_E_NO_CREDENTIALS, "unknown keytab type: name it FILE:/path"},
    {KRB5_KT_BADNAME, SEC_E_NO_CREDENTIALS, "malformed keytab name: name it FILE:/path"},
    {KRB5KRB_AP_ERR_NOKEY, SEC_E_NO_CREDENTIALS, HINT_NO_KEYTAB, 0, NULL, 1},
    {KRB5KRB_AP_ERR_BADKEYVER, SEC_E_LOGON_DENIED, HINT_KVNO},
    /* The initiator hears this from the acceptor (a KRB-ERROR): Windows' "the
     * target principal name is incorrect". The acceptor itself refuses the
     * logon. */
    {KRB5KRB_AP_ERR_MODIFIED, SEC_E_WRONG_PRINCIPAL,
     "the server cannot decrypt the ticket: its keytab is out of date, or the SPN belongs to another account",
     SEC_E_LOGON_DENIED, HINT_KEY_CHANGED},
    {KRB5KRB_AP_WRONG_PRINC, SEC_E_WRONG_PRINCIPAL, "the ticket is for another service principal", 0,
     HINT_SPN_NOT_IN_KEYTAB},
    {KRB5KRB_AP_ERR_NOT_US, SEC_E_WRONG_PRINCIPAL, "the ticket is for another service principal", 0,
     HINT_SPN_NOT_IN_KEYTAB},
    {KRB5KRB_AP_ERR_REPEAT, SEC_E_LOGON_DENIED, "replayed authenticator: this token was already used"},
    {KRB5_RC_REPLAY, SEC_E_LOGON_DENIED, "replayed authenticator: this token was already used"},
    {KRB5KRB_AP_ERR_SKEW, SEC_E_TIME_SKEW, "clocks differ too much: synchronise the clocks (NTP)"},
    {KRB5KRB_AP_ERR_TKT_EXPIRED, SEC_E_CONTEXT_EXPIRED, "the ticket has expired: run kinit again"},
    {KRB5KRB_AP_ERR_TKT_NYV, SEC_E_TIME_SKEW, "the ticket is not yet valid: check the clocks"},
    {KRB5KDC_ERR_ETYPE_NOSUPP, SEC_E_ALGORITHM_MISMATCH, "no common encryption type: check the permitted enctypes"},
    {KRB5KRB_AP_ERR_BADMATCH, SEC_E_INVALID_TOKEN, "ticket and authenticator do not match"},
    {KRB5_BAD_ENCTYPE, SEC_E_ALGORITHM_MISMATCH, "unsupported encryption type"},
    {KRB5KDC_ERR_NEVER_VALID, SEC_E_TIME_SKEW, "the requested ticket would never be valid: check the clocks"},
    {KRB5_PREAUTH_FAILED, SEC_E_LOGON_DENIED, "pre-authentication failed: wrong password?"},
    {KRB5_LIBOS_CANTREADPWD, SEC_E_NO_CREDENTIALS, "no password could be read"},
    {KRB5_CONFIG_CANTOPEN, SEC_E_NO_AUTHENTICATING_AUTHORITY, "krb5.conf cannot be read: check KRB5_CONFIG", 0, NULL,
     1},
    /* The replay cache (MIT 1.20 reports its failures as errno values; the
     * KRB5_RC_IO* codes are older replay cache types'). An acceptor without a
     * usable replay cache refuses every client, so its credential is unusable:
     * SEC_E_NO_CREDENTIALS; a full disk is an exhausted resource. */
    {KRB5_RC_IO, SEC_E_NO_CREDENTIALS, HINT_RCACHE_IO, 0, NULL, 1},
    {KRB5_RC_IO_IO, SEC_E_NO_CREDENTIALS, HINT_RCACHE_IO, 0, NULL, 1},
    {KRB5_RC_IO_UNKNOWN, SEC_E_NO_CREDENTIALS, HINT_RCACHE_IO, 0, NULL, 1},
    {KRB5_RC_IO_EOF, SEC_E_NO_CREDENTIALS, HINT_RCACHE_IO, 0, NULL, 1},
    {KRB5_RC_NOIO, SEC_E_NO_CREDENTIALS, HINT_RCACHE_IO, 0, NULL, 1},
    {KRB5_RC_PARSE, SEC_E_NO_CREDENTIALS, "malformed replay cache name: use dfl: or file2:/path"},
    {KRB5_RC_TYPE_NOTFOUND, SEC_E_NO_CREDENTIALS, "unknown replay cache type: use dfl:, file2:/path or none:"},
    {KRB5_RC_IO_PERM, SEC_E_NO_CREDENTIALS, HINT_RCACHE_DIR, 0, NULL, 1},
    {KRB5_RC_IO_SPACE, SEC_E_INSUFFICIENT_MEMORY, HINT_RCACHE_FULL},
    {KRB5_RC_MALLOC, SEC_E_INSUFFICIENT_MEMORY, "out of memory"},
    {KRB5_RC_IO_MALLOC, SEC_E_INSUFFICIENT_MEMORY, "out of memory"},
    /* errno values, as krb5 passes them up from open(2) and write(2). In an
     * acceptor the keytab's are turned into KRB5KRB_AP_ERR_NOKEY above, so
     * these name the replay cache there. */
    {ENOENT, SEC_E_NO_CREDENTIALS,
     "a file it needs does not exist: check the paths of the keytab, credential cache, NTLM users file and "
     "krb5.conf",
     0, HINT_RCACHE_DIR, 1},
    {ENOTDIR, SEC_E_NO_CREDENTIALS, "a path names a file where a directory is needed", 0, HINT_RCACHE_DIR, 1},
    {EACCES, SEC_E_NO_CREDENTIALS,
     "permission denied: check the permissions of the keytab, credential cache, NTLM users file and their "
     "directories",
     0, HINT_RCACHE_DIR, 1},
    {EPERM, SEC_E_NO_CREDENTIALS, "operation not permitted: check file ownership and permissions", 0, HINT_RCACHE_DIR,
     1},
    {EROFS, SEC_E_NO_CREDENTIALS, "the file system is read-only", 0, HINT_RCACHE_DIR, 1},
    {ENOSPC, SEC_E_INSUFFICIENT_MEMORY, "no space left on the device: free disk space", 0, HINT_RCACHE_FULL},
    {EDQUOT, SEC_E_INSUFFICIENT_MEMORY, "disk quota exceeded: free space or raise the quota", 0, HINT_RCACHE_FULL},
    {EMFILE, SEC_E_INSUFFICIENT_MEMORY, HINT_NO_FD},
    {ENFILE, SEC_E_INSUFFICIENT_MEMORY, HINT_NO_FD},
    {ENOMEM, SEC_E_INSUFFICIENT_MEMORY, "out of memory"},
};

#define TABLE_SIZE (sizeof(minor_table) / sizeof(minor_table[0]))

struct major_map {
    OM_uint32 routine;
    SECURITY_STATUS status;
    const char *hint;
};

static const struct major_map major_table[] = {
    {GSS_S_BAD_MECH, SEC_E_SECPKG_NOT_FOUND, "the mechanism is not available: is the package installed?"},
    {GSS_S_BAD_NAME, SEC_E_TARGET_UNKNOWN, "the name is malformed: use svc/host[@REALM] or svc@host"},
    {GSS_S_BAD_NAMETYPE, SEC_E_TARGET_UNKNOWN, "unsupported name form"},
    {GSS_S_BAD_BINDINGS, SEC_E_BAD_BINDINGS, "channel bindings differ"},
    {GSS_S_BAD_STATUS, SEC_E_INTERNAL_ERROR, NULL},
    {GSS_S_BAD_SIG, SEC_E_MESSAGE_ALTERED, "the message or its signature was modified"},
    {GSS_S_NO_CRED, SEC_E_NO_CREDENTIALS, "no usable credentials: run kinit, or check the keytab"},
    {GSS_S_NO_CONTEXT, SEC_E_INVALID_HANDLE, NULL},
    {GSS_S_DEFECTIVE_TOKEN, SEC_E_INVALID_TOKEN, "the token is malformed or was modified"},
    {GSS_S_DEFECTIVE_CREDENTIAL, SEC_E_UNKNOWN_CREDENTIALS, "the credential is unusable"},
    {GSS_S_CREDENTIALS_EXPIRED, SEC_E_CONTEXT_EXPIRED, "the credentials have expired: run kinit again"},
    {GSS_S_CONTEXT_EXPIRED, SEC_E_CONTEXT_EXPIRED, "the security context has expired: authenticate again"},
    {GSS_S_BAD_QOP, SEC_E_QOP_NOT_SUPPORTED, "unsupported quality of protection"},
    {GSS_S_UNAUTHORIZED, SEC_E_LOGON_DENIED, NULL},
    {GSS_S_UNAVAILABLE, SEC_E_UNSUPPORTED_FUNCTION, "the package does not support this operation"},
    {GSS_S_DUPLICATE_ELEMENT, SEC_E_INTERNAL_ERROR, NULL},
    {GSS_S_NAME_NOT_MN, SEC_E_INTERNAL_ERROR, NULL},
};

#define TOKEN_BITS (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)

int sspix_gss_failed(OM_uint32 major)
{
    return GSS_ERROR(major) || (major & TOKEN_BITS) != 0;
}

/* The first text gss_display_status gives for a minor code, or "" when the
 * mechglue does not know the value. */
static void minor_text(OM_uint32 minor, gss_OID mech, char *out, size_t cap)
{
    OM_uint32 min, ctx = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    out[0] = '\0';
    if (GSS_ERROR(gss_display_status(&min, minor, GSS_C_MECH_CODE, mech, &ctx, &text)))
        return;
    snprintf(out, cap, "%.*s", (int)text.length, (const char *)text.value);
    gss_release_buffer(&min, &text);
}

static const struct minor_map *find_code(OM_uint32 minor, gss_OID mech)
{
    /* krb5 error codes are negative 32-bit values stored in an OM_uint32. */
    long code = (long)(int32_t)minor;
    char seen[512], cand[512];
    if (minor == 0)
        return NULL;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (minor_table[i].code == code)
            return &minor_table[i];
    /* Renumbered: the table code that the mechglue displays identically. */
    minor_text(minor, mech, seen, sizeof(seen));
    if (seen[0] == '\0')
        return NULL;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        minor_text((OM_uint32)minor_table[i].code, GSS_C_NO_OID, cand, sizeof(cand));
        if (strcmp(cand, seen) == 0)
            return &minor_table[i];
    }
    /* Last resort: the code's own com_err text, alone or as krb5 extends it
     * ("<text> (filename: ...)"), for a value that another mechanism claimed
     * first (gss-ntlmssp's errno values, when SPNEGO probed it), so that the
     * mechglue displays that mechanism's text for it. */
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        const char *base = error_message(minor_table[i].code);
        size_t n = base != NULL ? strlen(base) : 0;
        if (n > 0 && strncmp(seen, base, n) == 0 && (seen[n] == '\0' || strncmp(seen + n, " (", 2) == 0))
            return &minor_table[i];
    }
    return NULL;
}

/* Whether this process cannot open one more descriptor. A failure to open a
 * keytab, replay cache, credential cache or socket for that reason reaches us
 * under the code of whatever was being opened (MIT turns an acceptor's
 * unopenable keytab into "Service key not available"), so the cause is
 * checked directly instead. */
static int out_of_descriptors(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno == EMFILE || errno == ENFILE;
}

static SECURITY_STATUS map(OM_uint32 major, OM_uint32 minor, gss_OID mech, const char **hint)
{
    static const struct minor_map no_fd = {EMFILE, SEC_E_INSUFFICIENT_MEMORY, HINT_NO_FD};
    /* The acceptor variants describe the Kerberos acceptor (its keytab and
     * replay cache); an NTLM acceptor's errno values are gss-ntlmssp's. */
    int acceptor = strcmp(sspix_error_function(), "AcceptSecurityContext") == 0 && !sspix_mech_is_ntlm(mech);
    const struct minor_map *m = find_code(minor, mech);
    *hint = NULL;
    if ((m == NULL || m->local) && GSS_ERROR(major) && out_of_descriptors())
        m = &no_fd;
    if (m != NULL) {
        *hint = acceptor && m->accept_hint ? m->accept_hint : m->hint;
        return acceptor && m->accept_status ? m->accept_status : m->status;
    }
    OM_uint32 routine = GSS_ROUTINE_ERROR(major);
    for (size_t i = 0; i < sizeof(major_table) / sizeof(major_table[0]); i++) {
        if (major_table[i].routine == routine) {
            *hint = major_table[i].hint;
            return major_table[i].status;
        }
    }
    if (routine == 0 && GSS_CALLING_ERROR(major) == 0) {
        if (major & GSS_S_DUPLICATE_TOKEN) {
            *hint = "replayed token";
            return SEC_E_OUT_OF_SEQUENCE;
        }
        if (major & (GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)) {
            *hint = "token out of sequence";
            return SEC_E_OUT_OF_SEQUENCE;
        }
    }
    if (GSS_CALLING_ERROR(major) != 0)
        return SEC_E_INVALID_PARAMETER;
    return SEC_E_INTERNAL_ERROR;
}

int sspix_gss_minor_is(OM_uint32 minor, gss_OID mech, long code)
{
    char seen[512];
    const char *base = error_message(code);
    size_t n = base != NULL ? strlen(base) : 0;
    if (minor == 0)
        return 0;
    if ((long)(int32_t)minor == code)
        return 1;
    /* Renumbered by the mechglue: the same text. */
    minor_text(minor, mech, seen, sizeof(seen));
    return n > 0 && strncmp(seen, base, n) == 0 && (seen[n] == '\0' || strncmp(seen + n, " (", 2) == 0);
}

int sspix_gss_minor_is_local(OM_uint32 minor, gss_OID mech)
{
    const struct minor_map *m = find_code(minor, mech);
    return m != NULL && m->local;
}

SECURITY_STATUS sspix_gss_status(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    const char *hint;
    return map(major, minor, mech, &hint);
}

/* Texts that describe no failure: a renumbered code whose original was 0
 * displays as one of these, and saying it helps no one. */
static int says_nothing(const char *s, size_t n)
{
    static const char *const empty[] = {"Success", "Unknown error", "The routine completed successfully"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        if (n == strlen(empty[i]) && memcmp(s, empty[i], n) == 0)
            return 1;
    return n == 0;
}

/* Appends gss_display_status text of one kind to out. */
static void append_status(char *out, size_t cap, OM_uint32 code, int type, gss_OID mech)
{
    OM_uint32 ctx = 0, min;
    int rounds = 0;
    do {
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&min, code, type, mech, &ctx, &text)))
            break;
        if (!says_nothing(text.value, text.length)) {
            size_t used = strlen(out);
            snprintf(out + used, cap - used, "%s%.*s", used ? "; " : "", (int)text.length, (const char *)text.value);
        }
        gss_release_buffer(&min, &text);
    } while (ctx != 0 && ++rounds < 4);
}

/* Records "<what>: <gss text> [<hint>]" (without "<what>: " when it only
 * repeats the API function's name, which sspix_fail puts first). */
static SECURITY_STATUS record(SECURITY_STATUS st, const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech,
                              const char *hint)
{
    char text[512] = "";
    if (minor != 0)
        append_status(text, sizeof(text), minor, GSS_C_MECH_CODE, mech);
    if (GSS_ROUTINE_ERROR(major) != 0 && GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE)
        append_status(text, sizeof(text), GSS_ROUTINE_ERROR(major), GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (text[0] == '\0')
        append_status(text, sizeof(text), major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    int repeat = what == NULL || strcmp(what, sspix_error_function()) == 0;
    return sspix_fail(st, "%s%s%s%s%s%s", repeat ? "" : what, repeat ? "" : ": ",
                      text[0] ? text : "unspecified GSSAPI failure", hint ? " [" : "", hint ? hint : "",
                      hint ? "]" : "");
}

SECURITY_STATUS sspix_gss_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    const char *hint;
    SECURITY_STATUS st = map(major, minor, mech, &hint);
    return record(st, what, major, minor, mech, hint);
}

SECURITY_STATUS sspix_gss_message_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    OM_uint32 routine = GSS_ROUTINE_ERROR(major);
    const char *hint;
    SECURITY_STATUS st;
    /* The minor code's hints are about logons (a checksum failure's krb5 code
     * is also a wrong password's): a message is judged by what happened to it. */
    if (routine == 0 && GSS_CALLING_ERROR(major) == 0 && (major & GSS_S_DUPLICATE_TOKEN)) {
        st = SEC_E_OUT_OF_SEQUENCE;
        hint = "a replayed message";
    } else if (routine == 0 && GSS_CALLING_ERROR(major) == 0 && (major & TOKEN_BITS)) {
        st = SEC_E_OUT_OF_SEQUENCE;
        hint = "a message out of order, or one was lost";
    } else if (routine == GSS_S_CONTEXT_EXPIRED) {
        st = SEC_E_CONTEXT_EXPIRED;
        hint = "the security context has expired: authenticate again";
    } else if (GSS_CALLING_ERROR(major) != 0 || routine == GSS_S_NO_CONTEXT || routine == GSS_S_UNAVAILABLE) {
        st = map(major, 0, GSS_C_NO_OID, &hint);
    } else {
        st = SEC_E_MESSAGE_ALTERED;
        hint = "the message was modified or is not from this context";
    }
    return record(st, what, major, minor, mech, hint);
}
