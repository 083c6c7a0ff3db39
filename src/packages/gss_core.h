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

#endif
