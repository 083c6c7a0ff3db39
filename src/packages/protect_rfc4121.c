/* SPDX-License-Identifier: MIT */
/*
 * protect_rfc4121.c - Kerberos per-message calls on an established context,
 * by MIT's GSSAPI or by rfc4121.c (OpenSSL), whichever the context uses.
 *
 * A Kerberos context whose messages are protected with an AES key (RFC 4121
 * tokens, not DCE style) is adopted before its first message: its keys and
 * sequence numbers come out of MIT through gss_krb5_export_lucid_sec_context,
 * which deletes the context it exports. So the context is first exported
 * (gss_export_sec_context) and imported twice: one copy goes into the lucid
 * export, the other stays as c->ctx for what only GSSAPI answers (names,
 * sizes, the session key, lifetime, ExportSecurityContext's token). From then
 * on every message of the context goes through rfc4121.c, whose tokens and
 * refusals are MIT's (tests/integration/test_rfc4121_mit.c), and the copy's
 * own sequence numbers are never used again: an exported context carries
 * rfc4121's state beside the GSSAPI token (ctx_blob.c).
 *
 * Anything else (RC4, DES3, an enctype not known here, DCE style, or MIT
 * refusing an export) stays on MIT's per-message calls.
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <string.h>

#include "packages/gss_status.h"
#include "packages/rfc4121.h"
#include "sspi/errors.h"

static void wipe_lucid(gss_krb5_lucid_context_v1_t *l)
{
    gss_krb5_lucid_key_t *keys[3] = {&l->cfx_kd.ctx_key, &l->cfx_kd.acceptor_subkey, &l->rfc1964_kd.ctx_key};
    for (int i = 0; i < 3; i++)
        if (keys[i]->data != NULL)
            explicit_bzero(keys[i]->data, keys[i]->length);
}

SECURITY_STATUS sspix_krb5_adopt_rfc4121(struct sspix_gss_ctx *c)
{
    OM_uint32 major, minor, m2;
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    gss_ctx_id_t copy = GSS_C_NO_CONTEXT;
    void *lucid = NULL;

    if (c->r4 != NULL || c->r4_declined)
        return SEC_E_OK;
    if (c->native) {
        /* Accepted natively: the keys are at hand, and there is no GSSAPI context to fall back on. */
        const char *why = NULL;
        if (c->native_keys == NULL || sspix_krb5_native_protection(c->native_keys, &c->r4, &why) != 0)
            return sspix_fail(SEC_E_INTERNAL_ERROR, "setting up the Kerberos message keys failed%s%s",
                              why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
        sspix_krb5_native_keys_free(c->native_keys);
        c->native_keys = NULL;
        return SEC_E_OK;
    }
    c->r4_declined = 1; /* unless everything below works */
    if (!c->krb5_known || c->krb5.proto != SSPIX_KRB5_CFX || !sspix_rfc4121_supported(c->krb5.enctype) ||
        (c->gss_flags & GSS_C_DCE_STYLE))
        return SEC_E_OK;
    major = gss_export_sec_context(&minor, &c->ctx, &tok);
    if (GSS_ERROR(major))
        return SEC_E_OK; /* the context is untouched: MIT keeps it */
    major = gss_import_sec_context(&minor, &tok, &c->ctx);
    if (GSS_ERROR(major)) {
        explicit_bzero(tok.value, tok.length);
        gss_release_buffer(&m2, &tok);
        c->established = 0;
        return sspix_gss_fail("taking the Kerberos keys out of GSSAPI (re-importing the context)", major, minor,
                              c->mech);
    }
    major = gss_import_sec_context(&minor, &tok, &copy);
    explicit_bzero(tok.value, tok.length);
    gss_release_buffer(&m2, &tok);
    if (GSS_ERROR(major))
        return SEC_E_OK;
    major = gss_krb5_export_lucid_sec_context(&minor, &copy, 1, &lucid);
    if (GSS_ERROR(major)) {
        if (copy != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&m2, &copy, GSS_C_NO_BUFFER);
        return SEC_E_OK;
    }
    gss_krb5_lucid_context_v1_t *l = lucid;
    if (l->version == 1 && l->protocol == 1) {
        struct sspix_rfc4121_params p = {
            .initiator = l->initiate != 0,
            .send_seq = l->send_seq,
            .recv_seq = l->recv_seq,
            .have_acceptor_subkey = l->cfx_kd.have_acceptor_subkey != 0,
            .ctx_key = {(int32_t)l->cfx_kd.ctx_key.type, l->cfx_kd.ctx_key.data, l->cfx_kd.ctx_key.length},
            .acceptor_subkey = {(int32_t)l->cfx_kd.acceptor_subkey.type, l->cfx_kd.acceptor_subkey.data,
                                l->cfx_kd.acceptor_subkey.length},
            .gss_flags = c->gss_flags,
        };
        /* The role must be the one the handshake had. */
        if (p.initiator == !c->server && sspix_rfc4121_new(&p, &c->r4, NULL) == 0)
            c->r4_declined = 0;
    }
    wipe_lucid(l);
    gss_krb5_free_lucid_sec_context(&m2, lucid);
    return SEC_E_OK;
}

/* ---- the per-message calls --------------------------------------------------- */

OM_uint32 sspix_krb5_wrap_iov_length(struct sspix_gss_ctx *c, OM_uint32 *minor, int conf, gss_iov_buffer_desc *iov,
                                     size_t n)
{
    *minor = 0;
    if (c->r4 != NULL)
        return sspix_rfc4121_wrap_length(c->r4, conf, GSS_C_QOP_DEFAULT, NULL, iov, n);
    return gss_wrap_iov_length(minor, c->ctx, conf, GSS_C_QOP_DEFAULT, NULL, iov, (int)n);
}

OM_uint32 sspix_krb5_wrap_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, int conf, gss_iov_buffer_desc *iov, size_t n)
{
    *minor = 0;
    if (c->r4 != NULL)
        return sspix_rfc4121_wrap(c->r4, conf, GSS_C_QOP_DEFAULT, NULL, iov, n);
    return gss_wrap_iov(minor, c->ctx, conf, GSS_C_QOP_DEFAULT, NULL, iov, (int)n);
}

OM_uint32 sspix_krb5_unwrap_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, int *conf, gss_qop_t *qop,
                                gss_iov_buffer_desc *iov, size_t n)
{
    *minor = 0;
    if (c->r4 != NULL)
        return sspix_rfc4121_unwrap(c->r4, conf, qop, iov, n);
    return gss_unwrap_iov(minor, c->ctx, conf, qop, iov, (int)n);
}

OM_uint32 sspix_krb5_get_mic_iov_length(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_iov_buffer_desc *iov, size_t n)
{
    *minor = 0;
    if (c->r4 != NULL) {
        for (size_t i = 0; i < n; i++)
            if (GSS_IOV_BUFFER_TYPE(iov[i].type) == GSS_IOV_BUFFER_TYPE_MIC_TOKEN)
                iov[i].buffer.length = sspix_rfc4121_mic_len(c->r4);
        return GSS_S_COMPLETE;
    }
    return gss_get_mic_iov_length(minor, c->ctx, GSS_C_QOP_DEFAULT, iov, (int)n);
}

OM_uint32 sspix_krb5_get_mic_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_iov_buffer_desc *iov, size_t n)
{
    *minor = 0;
    if (c->r4 != NULL)
        return sspix_rfc4121_get_mic(c->r4, GSS_C_QOP_DEFAULT, iov, n);
    return gss_get_mic_iov(minor, c->ctx, GSS_C_QOP_DEFAULT, iov, (int)n);
}

OM_uint32 sspix_krb5_verify_mic_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_qop_t *qop, gss_iov_buffer_desc *iov,
                                    size_t n)
{
    *minor = 0;
    if (c->r4 != NULL)
        return sspix_rfc4121_verify_mic(c->r4, qop, iov, n);
    return gss_verify_mic_iov(minor, c->ctx, qop, iov, (int)n);
}

SECURITY_STATUS sspix_krb5_call_fail(struct sspix_gss_ctx *c, const char *what, OM_uint32 major, OM_uint32 minor,
                                     int message)
{
    SECURITY_STATUS st =
        message ? sspix_gss_message_fail(what, major, minor, c->mech) : sspix_gss_fail(what, major, minor, c->mech);
    if (c->r4 != NULL && sspix_rfc4121_why(c->r4)[0] != '\0')
        st = sspix_fail_more(st, "%s", sspix_rfc4121_why(c->r4));
    return st;
}
