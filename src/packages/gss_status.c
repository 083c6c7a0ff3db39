/*
 * gss_status.c - the one table from GSSAPI status to SSPI status.
 *
 * Minor codes (krb5 error codes, passed through unchanged by MIT's mechglue
 * for its built-in mechanisms) are more specific than major codes, so they are
 * looked up first; the major routine error decides otherwise.
 */
#include "packages/gss_status.h"

#include <stdio.h>
#include <string.h>

#include <com_err.h>
#include <krb5/krb5.h>

#include "sspi/errors.h"

struct minor_map {
    long minor;
    SECURITY_STATUS status;
    const char *hint;
    const char *extended; /* a fragment of MIT's extended message for this code, if it has one */
};

static const struct minor_map minor_table[] = {
    {KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, SEC_E_LOGON_DENIED,
     "the user is unknown to the KDC: check the user name and realm"},
    {KRB5KDC_ERR_PREAUTH_FAILED, SEC_E_LOGON_DENIED, "wrong password"},
    {KRB5KRB_AP_ERR_BAD_INTEGRITY, SEC_E_LOGON_DENIED, "wrong password, or the key changed"},
    {KRB5KDC_ERR_CLIENT_REVOKED, SEC_E_LOGON_DENIED, "the account is disabled or locked"},
    {KRB5KDC_ERR_KEY_EXP, SEC_E_LOGON_DENIED, "the password has expired: change it with kpasswd"},
    {KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, SEC_E_TARGET_UNKNOWN,
     "the KDC does not know this service principal: check the SPN (svc/host[@REALM]) and that it is registered",
     "not found in Kerberos database"},
    {KRB5_REALM_UNKNOWN, SEC_E_NO_AUTHENTICATING_AUTHORITY, "no KDC is configured for this realm: check krb5.conf"},
    {KRB5_REALM_CANT_RESOLVE, SEC_E_NO_AUTHENTICATING_AUTHORITY, "the realm's KDC cannot be resolved: check krb5.conf"},
    {KRB5_KDC_UNREACH, SEC_E_NO_AUTHENTICATING_AUTHORITY,
     "no KDC answered: check that the KDC runs and krb5.conf points at it"},
    {KRB5_FCC_NOFILE, SEC_E_NO_CREDENTIALS, "no credential cache: run kinit"},
    {KRB5_CC_NOTFOUND, SEC_E_NO_CREDENTIALS, "no matching ticket in the credential cache: run kinit"},
    {KRB5_CC_END, SEC_E_NO_CREDENTIALS, "the credential cache is empty: run kinit"},
    {KRB5_CC_NOSUPP, SEC_E_NO_CREDENTIALS, "unsupported credential cache type: check KRB5CCNAME"},
    {KRB5_KT_NOTFOUND, SEC_E_NO_CREDENTIALS,
     "the keytab has no key for this principal: add it with kadmin ktadd, or name the right keytab",
     "No key table entry found"},
    {KRB5_KT_KVNONOTFOUND, SEC_E_WRONG_PRINCIPAL,
     "the keytab's key version does not match the ticket: re-export the keytab (kadmin ktadd)"},
    {KRB5_KT_END, SEC_E_NO_CREDENTIALS, "the keytab is empty: export the service key into it"},
    {KRB5KRB_AP_ERR_MODIFIED, SEC_E_WRONG_PRINCIPAL,
     "the ticket was not made with this service's key: the keytab is out of date or the SPN is wrong",
     "Cannot decrypt ticket"},
    {KRB5KRB_AP_WRONG_PRINC, SEC_E_WRONG_PRINCIPAL, "the ticket is for another service principal"},
    {KRB5KRB_AP_ERR_NOT_US, SEC_E_WRONG_PRINCIPAL, "the ticket is for another service principal"},
    {KRB5KRB_AP_ERR_REPEAT, SEC_E_LOGON_DENIED, "replayed authenticator: this token was already used"},
    {KRB5KRB_AP_ERR_SKEW, SEC_E_TIME_SKEW, "clocks differ too much: synchronise the clocks (NTP)"},
    {KRB5KRB_AP_ERR_TKT_EXPIRED, SEC_E_CONTEXT_EXPIRED, "the ticket has expired: run kinit again"},
    {KRB5KRB_AP_ERR_TKT_NYV, SEC_E_TIME_SKEW, "the ticket is not yet valid: check the clocks"},
    {KRB5KDC_ERR_ETYPE_NOSUPP, SEC_E_ALGORITHM_MISMATCH, "no common encryption type: check the permitted enctypes"},
    {KRB5KRB_AP_ERR_BADMATCH, SEC_E_INVALID_TOKEN, "ticket and authenticator do not match"},
    {KRB5_BAD_ENCTYPE, SEC_E_ALGORITHM_MISMATCH, "unsupported encryption type"},
    {KRB5KDC_ERR_NEVER_VALID, SEC_E_TIME_SKEW, "the requested ticket would never be valid: check the clocks"},
    {KRB5_PREAUTH_FAILED, SEC_E_LOGON_DENIED, "pre-authentication failed: wrong password?"},
    {KRB5_LIBOS_CANTREADPWD, SEC_E_NO_CREDENTIALS, "no password could be read"},
    {KRB5_CONFIG_CANTOPEN, SEC_E_NO_AUTHENTICATING_AUTHORITY, "krb5.conf cannot be read: check KRB5_CONFIG"},
};

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

int sspix_gss_failed(OM_uint32 major)
{
    return GSS_ERROR(major) ||
           (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)) != 0;
}

static const struct minor_map *find_minor(OM_uint32 minor)
{
    /* krb5 error codes are negative longs stored in an OM_uint32. */
    long code = (long)(int32_t)minor;
    for (size_t i = 0; i < sizeof(minor_table) / sizeof(minor_table[0]); i++)
        if (minor_table[i].minor == code)
            return &minor_table[i];
    return NULL;
}

/*
 * Minor codes that come through a second mechanism (Kerberos inside SPNEGO)
 * are renumbered by MIT's mechglue, which offers no way back. Their text is
 * krb5's, so recognise the code by its message, on this error path only.
 */
static const struct minor_map *find_minor_by_text(OM_uint32 minor, gss_OID mech)
{
    OM_uint32 min, ctx = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    const struct minor_map *found = NULL;
    if (GSS_ERROR(gss_display_status(&min, minor, GSS_C_MECH_CODE, mech, &ctx, &text)))
        return NULL;
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)text.length, (const char *)text.value);
    gss_release_buffer(&min, &text);
    for (size_t i = 0; i < sizeof(minor_table) / sizeof(minor_table[0]) && found == NULL; i++) {
        const char *base = error_message(minor_table[i].minor);
        if ((base != NULL && strcmp(buf, base) == 0) ||
            (minor_table[i].extended != NULL && strstr(buf, minor_table[i].extended) != NULL))
            found = &minor_table[i];
    }
    return found;
}

static SECURITY_STATUS map(OM_uint32 major, OM_uint32 minor, gss_OID mech, const char **hint)
{
    *hint = NULL;
    const struct minor_map *m = find_minor(minor);
    if (m == NULL && minor != 0 && mech != GSS_C_NO_OID)
        m = find_minor_by_text(minor, mech);
    if (m != NULL) {
        *hint = m->hint;
        return m->status;
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

SECURITY_STATUS sspix_gss_status(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    const char *hint;
    return map(major, minor, mech, &hint);
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
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%.*s", used ? "; " : "", (int)text.length, (const char *)text.value);
        gss_release_buffer(&min, &text);
    } while (ctx != 0 && ++rounds < 4);
}

SECURITY_STATUS sspix_gss_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    const char *hint;
    SECURITY_STATUS st = map(major, minor, mech, &hint);
    char text[512] = "";
    if (minor != 0)
        append_status(text, sizeof(text), minor, GSS_C_MECH_CODE, mech);
    if (GSS_ROUTINE_ERROR(major) != 0 && GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE)
        append_status(text, sizeof(text), GSS_ROUTINE_ERROR(major), GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (text[0] == '\0')
        append_status(text, sizeof(text), major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    return sspix_fail(st, "%s: %s%s%s%s", what, text[0] ? text : "unspecified GSSAPI failure", hint ? " [" : "",
                      hint ? hint : "", hint ? "]" : "");
}

SECURITY_STATUS sspix_gss_message_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    OM_uint32 routine = GSS_ROUTINE_ERROR(major);
    SECURITY_STATUS st = sspix_gss_fail(what, major, minor, mech);
    if (routine == 0 && GSS_CALLING_ERROR(major) == 0 &&
        (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)))
        return sspix_fail_more(SEC_E_OUT_OF_SEQUENCE, "%s",
                               (major & GSS_S_DUPLICATE_TOKEN) ? "a replayed message"
                                                               : "a message out of order, or one was lost");
    if (routine == GSS_S_CONTEXT_EXPIRED)
        return SEC_E_CONTEXT_EXPIRED;
    if (GSS_CALLING_ERROR(major) != 0 || routine == GSS_S_NO_CONTEXT || routine == GSS_S_UNAVAILABLE)
        return st;
    return sspix_fail_more(SEC_E_MESSAGE_ALTERED, "the message was modified or is not from this context");
}
