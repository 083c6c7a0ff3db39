/* SPDX-License-Identifier: MIT */
/*
 * errors.c - per-thread last-error text and SEC_* status names.
 */
#include "sspi/errors.h"
#include "sspi/export.h"
#include "sspi/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SSPIX_ERRMSG_MAX 1024
#define SSPIX_ERRLOC_MAX 96

static _Thread_local char tls_msg[SSPIX_ERRMSG_MAX];
static _Thread_local char tls_where[SSPIX_ERRLOC_MAX];
static _Thread_local const char *tls_function;
/* Whether tls_msg was written during the current API call: only then may
 * sspix_fail_more() extend it. */
static _Thread_local int tls_recorded;

_Static_assert(SSPIX_ERROR_SAVE_MAX >= SSPIX_ERRMSG_MAX + SSPIX_ERRLOC_MAX, "a saved error holds text and location");

/* Calls that release what an earlier call made: a caller typically makes
 * them between a failure and reading its message (DeleteSecurityContext, then
 * report), so when they succeed the earlier message stays. */
static int is_release(const char *function)
{
    static const char *const release[] = {"FreeCredentialsHandle", "DeleteSecurityContext"};
    for (size_t i = 0; function != NULL && i < sizeof(release) / sizeof(release[0]); i++)
        if (strcmp(function, release[i]) == 0)
            return 1;
    return 0;
}

void sspix_error_enter(const char *function)
{
    tls_function = function;
    tls_recorded = 0;
    if (!is_release(function)) {
        tls_msg[0] = '\0';
        tls_where[0] = '\0';
    }
}

const char *sspix_error_function(void)
{
    return tls_function ? tls_function : "sspix";
}

/* "dir/file.c:123" from __FILE__ and __LINE__: the last two path components
 * name a source file in this tree without the build machine's prefix. */
static void set_where(const char *file, int line)
{
    if (file == NULL) {
        tls_where[0] = '\0';
        return;
    }
    const char *base = file, *parent = file;
    for (const char *p = file; *p != '\0'; p++)
        if (*p == '/') {
            parent = base;
            base = p + 1;
        }
    snprintf(tls_where, sizeof(tls_where), "%s:%d", parent, line);
}

__attribute__((format(printf, 3, 0))) static SECURITY_STATUS vfail(SECURITY_STATUS status, int append, const char *fmt,
                                                                   va_list ap)
{
    size_t used;
    int n;
    append = append && tls_recorded && tls_msg[0] != '\0';
    tls_recorded = 1;
    if (append) {
        used = strnlen(tls_msg, sizeof(tls_msg) - 1);
        n = snprintf(tls_msg + used, sizeof(tls_msg) - used, " (");
    } else {
        used = 0;
        n = snprintf(tls_msg, sizeof(tls_msg), "%s: ", sspix_error_function());
    }
    if (n > 0 && (size_t)n < sizeof(tls_msg) - used) {
        used += (size_t)n;
        n = vsnprintf(tls_msg + used, sizeof(tls_msg) - used, fmt, ap);
        if (n > 0 && (size_t)n < sizeof(tls_msg) - used && append) {
            used += (size_t)n;
            if (used + 1 < sizeof(tls_msg)) {
                tls_msg[used] = ')';
                tls_msg[used + 1] = '\0';
            }
        }
    }
    return status;
}

SECURITY_STATUS sspix_fail_at(const char *file, int line, int append, SECURITY_STATUS status, const char *fmt, ...)
{
    va_list ap;
    /* An appended context keeps the location of the message it extends. */
    if (!(append && tls_recorded && tls_msg[0] != '\0'))
        set_where(file, line);
    va_start(ap, fmt);
    vfail(status, append, fmt, ap);
    va_end(ap);
    return status;
}

/* ---- internal errors to SEC_E_*: the one table ------------------------------------ */

struct err_row {
    int err;
    SECURITY_STATUS in, out;
    const char *in_words, *out_words;
};

/* clang-format off */
static const struct err_row err_rows[] = {
    {SSPIX_OK, SEC_E_OK, SEC_E_OK, "success", "success"},
    {SSPIX_ERR_SHORT, SEC_E_INVALID_TOKEN, SEC_E_INTERNAL_ERROR, "truncated", "internal error: ran out of bytes"},
    {SSPIX_ERR_TOO_LONG, SEC_E_INVALID_TOKEN, SEC_E_BUFFER_TOO_SMALL, "a length over its limit",
     "longer than the output allows"},
    {SSPIX_ERR_NOMEM, SEC_E_INSUFFICIENT_MEMORY, SEC_E_INSUFFICIENT_MEMORY, "out of memory", "out of memory"},
    {SSPIX_ERR_INVALID, SEC_E_INVALID_TOKEN, SEC_E_INTERNAL_ERROR, "malformed",
     "internal error: a value that cannot be encoded"},
    {SSPIX_ERR_FULL, SEC_E_INVALID_TOKEN, SEC_E_BUFFER_TOO_SMALL, "more than the format allows",
     "the output buffer is too small"},
    {SSPIX_ERR_STATE, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "internal error: a call out of order",
     "internal error: a call out of order"},
    {SSPIX_ERR_IO, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "a system call failed", "a system call failed"},
    {SSPIX_ERR_CLOSED, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "the connection was closed",
     "the connection was closed"},
    {SSPIX_ERR_AUTH, SEC_E_LOGON_DENIED, SEC_E_LOGON_DENIED, "authentication failed", "authentication failed"},
};
/* clang-format on */

static const struct err_row *err_row(int err)
{
    for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
        if (err_rows[i].err == err)
            return &err_rows[i];
    return NULL;
}

SECURITY_STATUS sspix_status_from_err(int err, enum sspix_dir dir)
{
    const struct err_row *row = err_row(err);
    if (row == NULL)
        return SEC_E_INTERNAL_ERROR;
    return dir == SSPIX_DIR_IN ? row->in : row->out;
}

const char *sspix_err_words(int err, enum sspix_dir dir)
{
    const struct err_row *row = err_row(err);
    if (row == NULL)
        return "internal error: an unknown error code";
    return dir == SSPIX_DIR_IN ? row->in_words : row->out_words;
}

SECURITY_STATUS sspix_fail_err_at(const char *file, int line, int err, enum sspix_dir dir, const char *fmt, ...)
{
    char what[SSPIX_ERRMSG_MAX];
    va_list ap;
    SECURITY_STATUS status = err == SSPIX_OK ? SEC_E_INTERNAL_ERROR : sspix_status_from_err(err, dir);
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return sspix_fail_at(file, line, 0, status, "%s: %s", what,
                         err == SSPIX_OK ? "internal error: reported as a failure with no error code"
                                         : sspix_err_words(err, dir));
}

/* ---- saving and restoring ------------------------------------------------------------- */

/* The saved form: the text, a unit separator (0x1F), then the location. A
 * buffer too small for all of it gets the text alone, as much as fits; the
 * separator occurs in no location, so the last one splits the two. */
#define SAVE_SEP '\x1f'

void sspix_error_save(char *out, size_t cap)
{
    size_t need = strnlen(tls_msg, sizeof(tls_msg)) + 1 + strnlen(tls_where, sizeof(tls_where));
    if (need < cap)
        snprintf(out, cap, "%s%c%s", tls_msg, SAVE_SEP, tls_where);
    else if (cap > 0) /* no room for a whole location: none */
        snprintf(out, cap, "%s", tls_msg);
}

void sspix_error_restore(const char *saved)
{
    const char *sep = strrchr(saved, SAVE_SEP);
    size_t n = sep != NULL ? (size_t)(sep - saved) : strlen(saved);
    snprintf(tls_msg, sizeof(tls_msg), "%.*s", (int)(n < sizeof(tls_msg) ? n : sizeof(tls_msg) - 1), saved);
    snprintf(tls_where, sizeof(tls_where), "%s", sep != NULL ? sep + 1 : "");
    tls_recorded = 1;
}

SSPIX_EXPORT const char *sspix_last_error(void)
{
    return tls_msg;
}

SSPIX_EXPORT const char *sspix_last_error_location(void)
{
    return tls_where;
}

SSPIX_EXPORT const char *sspix_version(void)
{
    return SSPIX_VERSION_STRING;
}

struct status_name {
    SECURITY_STATUS status;
    const char *name;
};

/* clang-format off */
#define S(x) {x, #x}
static const struct status_name status_names[] = {
    S(SEC_E_OK), S(SEC_E_INSUFFICIENT_MEMORY), S(SEC_E_INVALID_HANDLE), S(SEC_E_UNSUPPORTED_FUNCTION),
    S(SEC_E_TARGET_UNKNOWN), S(SEC_E_INTERNAL_ERROR), S(SEC_E_SECPKG_NOT_FOUND), S(SEC_E_NOT_OWNER),
    S(SEC_E_CANNOT_INSTALL), S(SEC_E_INVALID_TOKEN), S(SEC_E_CANNOT_PACK), S(SEC_E_QOP_NOT_SUPPORTED),
    S(SEC_E_NO_IMPERSONATION), S(SEC_E_LOGON_DENIED), S(SEC_E_UNKNOWN_CREDENTIALS), S(SEC_E_NO_CREDENTIALS),
    S(SEC_E_MESSAGE_ALTERED), S(SEC_E_OUT_OF_SEQUENCE), S(SEC_E_NO_AUTHENTICATING_AUTHORITY),
    S(SEC_I_CONTINUE_NEEDED), S(SEC_I_COMPLETE_NEEDED), S(SEC_I_COMPLETE_AND_CONTINUE), S(SEC_I_LOCAL_LOGON),
    S(SEC_E_BAD_PKGID), S(SEC_E_CONTEXT_EXPIRED), S(SEC_I_CONTEXT_EXPIRED), S(SEC_E_INCOMPLETE_MESSAGE),
    S(SEC_E_INCOMPLETE_CREDENTIALS), S(SEC_E_BUFFER_TOO_SMALL), S(SEC_I_INCOMPLETE_CREDENTIALS),
    S(SEC_I_RENEGOTIATE), S(SEC_E_WRONG_PRINCIPAL), S(SEC_I_NO_LSA_CONTEXT), S(SEC_E_TIME_SKEW),
    S(SEC_E_UNTRUSTED_ROOT), S(SEC_E_ILLEGAL_MESSAGE), S(SEC_E_CERT_UNKNOWN), S(SEC_E_CERT_EXPIRED),
    S(SEC_E_ENCRYPT_FAILURE), S(SEC_E_DECRYPT_FAILURE), S(SEC_E_ALGORITHM_MISMATCH),
    S(SEC_E_SECURITY_QOS_FAILED), S(SEC_E_UNFINISHED_CONTEXT_DELETED), S(SEC_E_NO_TGT_REPLY),
    S(SEC_E_NO_IP_ADDRESSES), S(SEC_E_WRONG_CREDENTIAL_HANDLE), S(SEC_E_CRYPTO_SYSTEM_INVALID),
    S(SEC_E_MAX_REFERRALS_EXCEEDED), S(SEC_E_MUST_BE_KDC), S(SEC_E_STRONG_CRYPTO_NOT_SUPPORTED),
    S(SEC_E_TOO_MANY_PRINCIPALS), S(SEC_E_NO_PA_DATA), S(SEC_E_PKINIT_NAME_MISMATCH),
    S(SEC_E_SMARTCARD_LOGON_REQUIRED), S(SEC_E_SHUTDOWN_IN_PROGRESS), S(SEC_E_KDC_INVALID_REQUEST),
    S(SEC_E_KDC_UNABLE_TO_REFER), S(SEC_E_KDC_UNKNOWN_ETYPE), S(SEC_E_UNSUPPORTED_PREAUTH),
    S(SEC_E_DELEGATION_REQUIRED), S(SEC_E_BAD_BINDINGS), S(SEC_E_MULTIPLE_ACCOUNTS), S(SEC_E_NO_KERB_KEY),
    S(SEC_E_CERT_WRONG_USAGE), S(SEC_E_DOWNGRADE_DETECTED), S(SEC_E_SMARTCARD_CERT_REVOKED),
    S(SEC_E_ISSUING_CA_UNTRUSTED), S(SEC_E_REVOCATION_OFFLINE_C), S(SEC_E_PKINIT_CLIENT_FAILURE),
    S(SEC_E_SMARTCARD_CERT_EXPIRED), S(SEC_E_NO_S4U_PROT_SUPPORT), S(SEC_E_CROSSREALM_DELEGATION_FAILURE),
    S(SEC_E_REVOCATION_OFFLINE_KDC), S(SEC_E_ISSUING_CA_UNTRUSTED_KDC), S(SEC_E_KDC_CERT_EXPIRED),
    S(SEC_E_KDC_CERT_REVOKED), S(SEC_I_SIGNATURE_NEEDED), S(SEC_E_INVALID_PARAMETER),
    S(SEC_E_DELEGATION_POLICY), S(SEC_E_POLICY_NLTM_ONLY), S(SEC_I_NO_RENEGOTIATION), S(SEC_E_NO_CONTEXT),
    S(SEC_E_PKU2U_CERT_FAILURE), S(SEC_E_MUTUAL_AUTH_FAILED), S(SEC_I_MESSAGE_FRAGMENT),
    S(SEC_E_ONLY_HTTPS_ALLOWED), S(SEC_I_CONTINUE_NEEDED_MESSAGE_OK), S(SEC_E_APPLICATION_PROTOCOL_MISMATCH),
    S(SEC_I_ASYNC_CALL_PENDING), S(SEC_E_INVALID_UPN_NAME), S(SEC_E_EXT_BUFFER_TOO_SMALL),
    S(SEC_E_INSUFFICIENT_BUFFERS),
};
/* clang-format on */
#undef S

SSPIX_EXPORT const char *sspix_status_name(SECURITY_STATUS status)
{
    static _Thread_local char unknown[40];
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (status_names[i].status == status)
            return status_names[i].name;
    snprintf(unknown, sizeof(unknown), "%s(0x%08X)", SEC_SUCCESS(status) ? "SEC_I_UNKNOWN" : "SEC_E_UNKNOWN",
             (unsigned)status);
    return unknown;
}

/* 100 ns intervals between 1601-01-01 and 1970-01-01, and the same in seconds. */
#define FILETIME_UNIX_EPOCH   116444736000000000LL
#define FILETIME_UNIX_EPOCH_S 11644473600LL
#define FILETIME_PER_SECOND   10000000LL

/*
 * Both conversions saturate instead of overflowing: INT64_MAX ("never") maps
 * to INT64_MAX both ways, a Unix time beyond TimeStamp's range to INT64_MIN or
 * INT64_MAX, and every TimeStamp has a Unix time (the range is wider).
 */
SSPIX_EXPORT int64_t sspix_timestamp_to_unix(const TimeStamp *ts)
{
    if (ts == NULL)
        return 0;
    if (ts->QuadPart == INT64_MAX)
        return INT64_MAX;
    if (ts->QuadPart < INT64_MIN + FILETIME_UNIX_EPOCH) /* both negative: truncation agrees */
        return ts->QuadPart / FILETIME_PER_SECOND - FILETIME_UNIX_EPOCH_S;
    return (ts->QuadPart - FILETIME_UNIX_EPOCH) / FILETIME_PER_SECOND;
}

SSPIX_EXPORT void sspix_unix_to_timestamp(int64_t unix_seconds, TimeStamp *ts)
{
    if (ts == NULL)
        return;
    if (unix_seconds >= (INT64_MAX - FILETIME_UNIX_EPOCH) / FILETIME_PER_SECOND)
        ts->QuadPart = INT64_MAX;
    else if (unix_seconds < INT64_MIN / FILETIME_PER_SECOND - FILETIME_UNIX_EPOCH_S)
        ts->QuadPart = INT64_MIN;
    else
        ts->QuadPart = (unix_seconds + FILETIME_UNIX_EPOCH_S) * FILETIME_PER_SECOND;
}
