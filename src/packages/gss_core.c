/* SPDX-License-Identifier: MIT */
/*
 * gss_core.c - the package operations the Negotiate, Kerberos and NTLM
 * packages share over MIT krb5 GSSAPI, and the message entry points, which
 * go through the protection chosen for each context's mechanism.
 *
 * Where the rest lives: credentials cred.c and keytab.c; the handshake
 * ctx.c (its token checks tokcheck.c); attributes attrs.c; names names.c;
 * message protection protect_krb5.c and protect_ntlm.c; export and import
 * ctx_blob.c; mechanisms mech.c.
 *
 * MessageSeqNo is ignored by every package: Kerberos and connection-oriented
 * NTLM number their messages themselves (callers pass 0, as Microsoft's
 * GSSAPI interoperability sample does); replayed and reordered messages are
 * still detected when sequence/replay detection was negotiated.
 */
#include "packages/gss_core.h"
#include "packages/ctx_blob.h"
#include "packages/gss_internal.h"

#include "sspi/status.h"

const struct sspix_protect_ops *sspix_protect_for(gss_OID mech)
{
    return sspix_mech_is_ntlm(mech) ? &sspix_protect_ntlm : &sspix_protect_krb5;
}

SECURITY_STATUS sspix_gss_ready(struct sspix_gss_ctx *c)
{
    SEC_ENSURE(!c->exported, SEC_E_NO_CONTEXT,
               "the context was exported (ExportSecurityContext): use the imported one; this handle only needs "
               "DeleteSecurityContext");
    SEC_ENSURE(c->established && (c->ctx != GSS_C_NO_CONTEXT || c->native), SEC_E_NO_CONTEXT,
               "message protection needs a complete context");
    /* Imported contexts learn their mechanism at import: choose here too. */
    if (c->protect == NULL)
        c->protect = sspix_protect_for(c->mech);
    return c->protect->prepare ? c->protect->prepare(c) : SEC_E_OK;
}

static SECURITY_STATUS core_encrypt(void *p, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    struct sspix_gss_ctx *c = p;
    (void)seqno;
    SEC_GUARD(sspix_gss_ready(c));
    return c->protect->encrypt(c, qop, msg);
}

static SECURITY_STATUS core_decrypt(void *p, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    struct sspix_gss_ctx *c = p;
    (void)seqno;
    SEC_GUARD(sspix_gss_ready(c));
    return c->protect->decrypt(c, msg, qop);
}

static SECURITY_STATUS core_sign(void *p, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    struct sspix_gss_ctx *c = p;
    (void)seqno;
    SEC_GUARD(sspix_gss_ready(c));
    SEC_ENSURE(qop == 0, SEC_E_QOP_NOT_SUPPORTED, "MakeSignature QOP must be 0");
    return c->protect->sign(c, msg);
}

static SECURITY_STATUS core_verify(void *p, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    struct sspix_gss_ctx *c = p;
    (void)seqno;
    SEC_GUARD(sspix_gss_ready(c));
    return c->protect->verify(c, msg, qop);
}

const struct sspix_package_ops sspix_gss_ops = {
    .acquire_cred = sspix_gss_acquire,
    .free_cred = sspix_gss_free_cred,
    .query_cred = sspix_gss_query_cred,
    .init_ctx = sspix_gss_init,
    .accept_ctx = sspix_gss_accept,
    .delete_ctx = sspix_gss_delete_ctx,
    .query_ctx = sspix_gss_query_ctx,
    .negotiated = sspix_gss_negotiated,
    .make_signature = core_sign,
    .verify_signature = core_verify,
    .encrypt = core_encrypt,
    .decrypt = core_decrypt,
    .local_name = sspix_gss_local_name,
    .export_ctx = sspix_ctx_export,
    .import_ctx = sspix_ctx_import,
    .delegated_cred = sspix_gss_delegated_cred,
    .copy_cred = sspix_gss_copy_cred,
};
