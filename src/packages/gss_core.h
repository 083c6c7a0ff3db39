/*
 * gss_core.h - the GSSAPI implementation shared by the Negotiate, Kerberos
 * and NTLM packages. Each package is this core plus its mechanism choice; see
 * kerberos.c, negotiate.c and ntlm.c for the package descriptions.
 */
#ifndef SSPIX_PACKAGES_GSS_CORE_H
#define SSPIX_PACKAGES_GSS_CORE_H

#include <gssapi/gssapi.h>

#include "packages/package.h"

extern const struct sspix_package_ops sspix_gss_ops;

/* Most bytes one handshake token may have; larger input is refused before
 * anything is copied (Windows' Kerberos maximum is 48,000; AD deployments
 * raise MaxTokenSize to 65,535 at most). */
#define SSPIX_GSS_MAX_TOKEN (256u * 1024u)

/* NTLM: Windows' cbMaxToken (newer releases) and the signature size. */
#define SSPIX_NTLM_MAX_TOKEN 2888u
#define SSPIX_NTLM_SIGNATURE 16u

/* NTLM message protection in Windows' layout over gss-ntlmssp's contiguous
 * gss_wrap/gss_get_mic (ntlm.c). ctx is an established context whose
 * mechanism is NTLM (directly, or inside SPNEGO). */
SECURITY_STATUS sspix_ntlm_encrypt(gss_ctx_id_t ctx, gss_OID mech, ULONG qop, PSecBufferDesc msg);
SECURITY_STATUS sspix_ntlm_decrypt(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop);
SECURITY_STATUS sspix_ntlm_sign(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg);
SECURITY_STATUS sspix_ntlm_verify(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop);

/* Handshake tokens checked before gss_init_sec_context / gss_accept_sec_context
 * see them (ntlm.c): NTLM messages, raw or inside SPNEGO, and SPNEGO's DER.
 * c is the context of this leg (new on the first one, `first` nonzero);
 * accept says which side. Returns SEC_E_OK or SEC_E_INVALID_TOKEN with a
 * message naming the field. Kerberos tokens are not looked at here. */
struct gss_ctx;
SECURITY_STATUS sspix_handshake_check_input(struct gss_ctx *c, int accept, int first, const uint8_t *in, size_t in_len);
/* After a successful leg: note what the output token says that a later
 * input check needs (the acceptor's CHALLENGE flags). */
void sspix_handshake_note_output(struct gss_ctx *c, const uint8_t *out, size_t out_len);

#endif
