/*
 * ctx.c - InitializeSecurityContext, AcceptSecurityContext and
 * DeleteSecurityContext over gss_init_sec_context / gss_accept_sec_context:
 * request and result flags, lifetimes, the handshake token checks, and the
 * client's local account for impersonation.
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
#include <profile.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"
#include "packages/gss_core.h"

/*
 * MIT reports an acceptor context's lifetime with the clock-skew allowance added
 * (endtime + clockskew - now); SSPI reports the ticket's end. The allowance
 * is read once from the krb5 profile.
 */
static pthread_once_t skew_once = PTHREAD_ONCE_INIT;
static int64_t clockskew = 300;

static void read_clockskew(void)
{
    krb5_context k;
    profile_t profile;
    int v;
    if (krb5_init_context(&k) != 0)
        return;
    if (krb5_get_profile(k, &profile) == 0) {
        if (profile_get_integer(profile, "libdefaults", "clockskew", NULL, 300, &v) == 0 && v >= 0)
            clockskew = v;
        profile_release(profile);
    }
    krb5_free_context(k);
}

void sspix_expiry_from_lifetime(OM_uint32 lifetime, int skewed, int64_t now, int64_t *unix_out, TimeStamp *ts)
{
    int64_t expiry = INT64_MAX;
    if (lifetime != GSS_C_INDEFINITE) {
        expiry = now + (int64_t)lifetime;
        if (skewed) {
            pthread_once(&skew_once, read_clockskew);
            expiry -= clockskew;
        }
    }
    if (unix_out != NULL)
        *unix_out = expiry;
    if (ts != NULL)
        sspix_unix_to_timestamp(expiry, ts);
}

OM_uint32 sspix_isc_to_gss(ULONG req)
{
    OM_uint32 f = 0;
    if (req & ISC_REQ_DELEGATE)
        f |= GSS_C_DELEG_FLAG;
    if (req & ISC_REQ_MUTUAL_AUTH)
        f |= GSS_C_MUTUAL_FLAG;
    if (req & ISC_REQ_REPLAY_DETECT)
        f |= GSS_C_REPLAY_FLAG;
    if (req & ISC_REQ_SEQUENCE_DETECT)
        f |= GSS_C_SEQUENCE_FLAG;
    if (req & ISC_REQ_CONFIDENTIALITY)
        f |= GSS_C_CONF_FLAG;
    if (req & ISC_REQ_INTEGRITY)
        f |= GSS_C_INTEG_FLAG;
    if (req & ISC_REQ_USE_DCE_STYLE)
        f |= GSS_C_DCE_STYLE;
    if (req & ISC_REQ_IDENTIFY)
        f |= GSS_C_IDENTIFY_FLAG;
    return f;
}

/* The flags GSSAPI says were negotiated, in SSPI's terms. The mutual flag is
 * only reported once the context is complete: before that it is a request,
 * not a proof. */
ULONG sspix_gss_to_attrs(OM_uint32 g, int server, int complete)
{
    ULONG a = 0;
    if (g & GSS_C_DELEG_FLAG)
        a |= server ? ASC_RET_DELEGATE : ISC_RET_DELEGATE;
    if ((g & GSS_C_MUTUAL_FLAG) && complete)
        a |= server ? ASC_RET_MUTUAL_AUTH : ISC_RET_MUTUAL_AUTH;
    if (g & GSS_C_REPLAY_FLAG)
        a |= server ? ASC_RET_REPLAY_DETECT : ISC_RET_REPLAY_DETECT;
    if (g & GSS_C_SEQUENCE_FLAG)
        a |= server ? ASC_RET_SEQUENCE_DETECT : ISC_RET_SEQUENCE_DETECT;
    if (g & GSS_C_CONF_FLAG)
        a |= server ? ASC_RET_CONFIDENTIALITY : ISC_RET_CONFIDENTIALITY;
    if (g & GSS_C_INTEG_FLAG)
        a |= server ? ASC_RET_INTEGRITY : ISC_RET_INTEGRITY;
    if (g & GSS_C_DCE_STYLE)
        a |= server ? ASC_RET_USED_DCE_STYLE : ISC_RET_USED_DCE_STYLE;
    if (g & GSS_C_IDENTIFY_FLAG)
        a |= server ? ASC_RET_IDENTIFY : ISC_RET_IDENTIFY;
    return a;
}

void sspix_gss_delete_ctx(void *p)
{
    struct gss_ctx *c = p;
    OM_uint32 minor;
    if (c == NULL)
        return;
    if (c->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
    if (c->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->target);
    if (c->peer != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->peer);
    free(c);
}

static SECURITY_STATUS take_output(gss_buffer_t out, struct sspix_leg *leg)
{
    OM_uint32 minor;
    leg->out = NULL;
    leg->out_len = 0;
    if (out->length == 0) {
        gss_release_buffer(&minor, out);
        return SEC_E_OK;
    }
    leg->out = malloc(out->length);
    if (leg->out == NULL) {
        gss_release_buffer(&minor, out);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    memcpy(leg->out, out->value, out->length);
    leg->out_len = out->length;
    gss_release_buffer(&minor, out);
    return SEC_E_OK;
}

/* Common end of a leg: status, attributes, expiry. */
static SECURITY_STATUS finish_leg(struct gss_ctx *c, OM_uint32 major, OM_uint32 ret_flags, OM_uint32 lifetime,
                                  gss_OID mech, struct sspix_leg *leg)
{
    int64_t now = (int64_t)time(NULL);
    if (mech != GSS_C_NO_OID)
        c->mech = mech;
    /* gss-ntlmssp's initiator claims GSS_C_MUTUAL_FLAG, but NTLM never
     * authenticates the server: nothing the server sends proves that it
     * knows a secret the client could check. Never pass that claim on as
     * ISC_RET_MUTUAL_AUTH / ASC_RET_MUTUAL_AUTH (DESIGN.md section 2). */
    if (sspix_mech_is_ntlm(c->mech) || c->pkg->id == SSPIX_PKG_NTLM)
        ret_flags &= ~(OM_uint32)GSS_C_MUTUAL_FLAG;
    c->gss_flags = ret_flags;
    if (!(major & GSS_S_CONTINUE_NEEDED)) {
        c->established = 1;
        c->start = now;
        /* Message calls check tokens against it; if GSSAPI cannot say, the
         * first of them reports why. */
        c->protect = sspix_protect_for(c->mech);
        if (c->protect == &sspix_protect_krb5)
            (void)sspix_krb5_learn_format(c, 1);
    }
    c->attrs = sspix_gss_to_attrs(ret_flags, c->server, c->established);
    sspix_expiry_from_lifetime(lifetime, c->server, now, &c->expiry, &leg->expiry);
    leg->attrs = c->attrs;
    return c->established ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

SECURITY_STATUS sspix_gss_init(const struct sspix_package *pkg, void *cred_p, void **ctx_p, const char *target,
                               ULONG req, const uint8_t *in, size_t in_len, struct sspix_leg *leg)
{
    struct gss_cred *cred = cred_p;
    struct gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID actual = GSS_C_NO_OID;
    SECURITY_STATUS st;

    if (cred != NULL && !(cred->use & SECPKG_CRED_OUTBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_INBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_OUTBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        /* NTLM needs no target, but gss-ntlmssp takes host-based names only. */
        st = pkg->id == SSPIX_PKG_NTLM ? sspix_ntlm_server_name(target, &c->target)
                                       : sspix_import_target(target, &c->target);
        if (st != SEC_E_OK) {
            sspix_gss_delete_ctx(c);
            return st;
        }
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The server's token is checked before GSSAPI parses it. */
    if ((st = sspix_handshake_check_input(c, 0, first, in, in_len)) != SEC_E_OK) {
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    major = gss_init_sec_context(&minor, cred ? cred->cred : GSS_C_NO_CREDENTIAL, &c->ctx, c->target,
                                 sspix_package_mech(pkg), sspix_isc_to_gss(req), GSS_C_INDEFINITE,
                                 GSS_C_NO_CHANNEL_BINDINGS, in_len ? &input : GSS_C_NO_BUFFER, &actual, &output,
                                 &ret_flags, &lifetime);
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        char *t = sspix_name_string(c->target);
        st = sspix_gss_fail("initiating", major, minor, sspix_package_mech(pkg));
        sspix_fail_more(st, "target %s", t ? t : target ? target : "?");
        free(t);
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }
    *ctx_p = c;
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, actual, leg);
}

SECURITY_STATUS sspix_gss_accept(const struct sspix_package *pkg, void *cred_p, void **ctx_p, ULONG req,
                                 const uint8_t *in, size_t in_len, struct sspix_leg *leg)
{
    struct gss_cred *cred = cred_p;
    struct gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID mech = GSS_C_NO_OID;
    gss_name_t src = GSS_C_NO_NAME;
    gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
    SECURITY_STATUS st;

    (void)req;
    if (in_len == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no input token: pass the client's token in a SECBUFFER_TOKEN");
    if (cred != NULL && !(cred->use & SECPKG_CRED_INBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_OUTBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_INBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        c->server = 1;
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The client's token is checked before GSSAPI parses it. */
    if ((st = sspix_handshake_check_input(c, 1, first, in, in_len)) != SEC_E_OK) {
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    /* Negotiate with NTLM allowed has two acceptor credentials (see
     * gss_cred.ncred). The first token says which one the client wants: an
     * optimistic NTLM NEGOTIATE message inside SPNEGO, or anything else. If
     * that guess fails, the other credential gets the same token; the first
     * failure is the one reported. */
    int two = first && cred != NULL && cred->ncred != GSS_C_NO_CREDENTIAL;
    if (two) {
        static const uint8_t ntlm_negotiate[12] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0};
        for (size_t i = 0; i + sizeof(ntlm_negotiate) <= in_len && !c->ntlm_cred; i++)
            c->ntlm_cred = memcmp(in + i, ntlm_negotiate, sizeof(ntlm_negotiate)) == 0;
    }
    gss_cred_id_t acceptor = cred == NULL ? GSS_C_NO_CREDENTIAL : c->ntlm_cred ? cred->ncred : cred->cred;
    major = gss_accept_sec_context(&minor, &c->ctx, acceptor, &input, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &output,
                                   &ret_flags, &lifetime, &deleg);
    if (two && sspix_gss_failed(major)) {
        char saved[1024];
        OM_uint32 m2;
        SECURITY_STATUS first_st =
            sspix_gss_fail("accepting", major, minor, mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg));
        sspix_error_save(saved, sizeof(saved));
        gss_release_buffer(&m2, &output);
        if (src != GSS_C_NO_NAME)
            gss_release_name(&m2, &src);
        if (c->ctx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&m2, &c->ctx, GSS_C_NO_BUFFER);
        if (deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &deleg);
        c->ntlm_cred = !c->ntlm_cred;
        mech = GSS_C_NO_OID;
        major = gss_accept_sec_context(&minor, &c->ctx, c->ntlm_cred ? cred->ncred : cred->cred, &input,
                                       GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &output, &ret_flags, &lifetime, &deleg);
        if (sspix_gss_failed(major)) {
            gss_release_buffer(&m2, &output);
            if (src != GSS_C_NO_NAME)
                gss_release_name(&m2, &src);
            if (deleg != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&m2, &deleg);
            sspix_error_restore(saved);
            sspix_gss_delete_ctx(c);
            return first_st;
        }
    }
    if (deleg != GSS_C_NO_CREDENTIAL) {
        OM_uint32 m2;
        gss_release_cred(&m2, &deleg);
    }
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        if (src != GSS_C_NO_NAME)
            gss_release_name(&m2, &src);
        st = sspix_gss_fail("accepting", major, minor, mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg));
        /* NTLM's AUTHENTICATE message failed: gss-ntlmssp says EINVAL for a
         * wrong password and "no credentials" for a user its users file lacks;
         * Windows says SEC_E_LOGON_DENIED to both (and should not tell them
         * apart). A malformed message stays SEC_E_INVALID_TOKEN. */
        if (!first && (pkg->id == SSPIX_PKG_NTLM || sspix_mech_is_ntlm(c->mech) || sspix_mech_is_ntlm(mech)) &&
            st != SEC_E_INVALID_TOKEN && st != SEC_E_INSUFFICIENT_MEMORY)
            st = sspix_fail_more(SEC_E_LOGON_DENIED, "NTLM logon failed: wrong password, or a user the users file "
                                                     "does not list");
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }
    if (src != GSS_C_NO_NAME) {
        if (c->peer != GSS_C_NO_NAME)
            gss_release_name(&minor, &c->peer);
        c->peer = src;
    }
    *ctx_p = c;
    sspix_handshake_note_output(c, output.value, output.length);
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, mech, leg);
}

enum sspix_package_id sspix_gss_negotiated(void *p, int *complete)
{
    struct gss_ctx *c = p;
    *complete = c->established;
    if (c->established && sspix_oid_is(c->mech, &sspix_oid_krb5))
        return SSPIX_PKG_KERBEROS;
    if (c->established && sspix_mech_is_ntlm(c->mech))
        return SSPIX_PKG_NTLM;
    return c->pkg->id;
}

#define SSPIX_LOCAL_NAME_MAX 256u

SECURITY_STATUS sspix_gss_local_name(void *p, char **out)
{
    struct gss_ctx *c = p;
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME;
    gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
    SECURITY_STATUS st;

    if ((st = sspix_gss_ready(c)) != SEC_E_OK)
        return st;
    if (!c->server)
        return sspix_fail(SEC_E_NO_IMPERSONATION, "only a server context has a client to impersonate");
    major = gss_inquire_context(&minor, c->ctx, &src, NULL, NULL, NULL, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the client's name", major, minor, c->mech);
    major = gss_localname(&minor, src, GSS_C_NO_OID, &local);
    if (GSS_ERROR(major)) {
        char *who = sspix_name_string(src);
        gss_release_name(&minor, &src);
        sspix_fail(SEC_E_NO_IMPERSONATION,
                   "%s maps to no local account: add an auth_to_local rule for it in "
                   "krb5.conf ([realms] REALM = { auth_to_local = ... })",
                   who ? who : "the client");
        free(who);
        return SEC_E_NO_IMPERSONATION;
    }
    gss_release_name(&minor, &src);
    if (local.length == 0 || local.length > SSPIX_LOCAL_NAME_MAX || memchr(local.value, '\0', local.length) ||
        memchr(local.value, '/', local.length)) {
        gss_release_buffer(&minor, &local);
        return sspix_fail(SEC_E_NO_IMPERSONATION, "the client's local name is empty, too long or not an account name");
    }
    *out = sspix_dup_bytes(local.value, local.length);
    gss_release_buffer(&minor, &local);
    return *out ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}
