/* SPDX-License-Identifier: MIT */
/*
 * errors.c - per-thread last-error text and SEC_* status names.
 */
#include "sspi/errors.h"
#include "sspi/export.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SSPIX_ERRMSG_MAX 1024

static _Thread_local char tls_msg[SSPIX_ERRMSG_MAX];
static _Thread_local const char *tls_function;
/* Whether tls_msg was written during the current API call: only then may
 * sspix_fail_more() extend it (the text of an earlier call stays readable
 * through sspix_last_error() until the next failure, but is never added to). */
static _Thread_local int tls_recorded;

void sspix_error_enter(const char *function)
{
    tls_function = function;
    tls_recorded = 0;
}

const char *sspix_error_function(void)
{
    return tls_function ? tls_function : "sspix";
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

SECURITY_STATUS sspix_fail(SECURITY_STATUS status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(status, 0, fmt, ap);
    va_end(ap);
    return status;
}

SECURITY_STATUS sspix_fail_more(SECURITY_STATUS status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(status, 1, fmt, ap);
    va_end(ap);
    return status;
}

void sspix_error_save(char *out, size_t cap)
{
    if (cap > 0)
        snprintf(out, cap, "%s", tls_msg);
}

void sspix_error_restore(const char *saved)
{
    snprintf(tls_msg, sizeof(tls_msg), "%s", saved);
    tls_recorded = 1;
}

SSPIX_EXPORT const char *sspix_last_error(void)
{
    return tls_msg;
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
