/* SPDX-License-Identifier: MIT */
/*
 * gss_core.h - the GSSAPI implementation shared by the Negotiate, Kerberos
 * and NTLM packages, as the dispatcher's packages see it: the operations
 * table and the size limits. Each package is this core plus its mechanism
 * choice; see kerberos.c, negotiate.c and ntlm.c. The modules behind it share
 * gss_internal.h.
 */
#ifndef SSPIX_PACKAGES_GSS_CORE_H
#define SSPIX_PACKAGES_GSS_CORE_H

#include <gssapi/gssapi.h>

#include "packages/package.h"

extern const struct sspix_package_ops sspix_gss_ops;

#define SSPIX_GSS_MAX_TOKEN SSPIX_MAX_HANDSHAKE_TOKEN

/* NTLM: Windows' cbMaxToken (newer releases) and the signature size. */
#define SSPIX_NTLM_MAX_TOKEN 2888u
#define SSPIX_NTLM_SIGNATURE 16u

/* Handshake tokens checked before gss_init_sec_context / gss_accept_sec_context
 * see them (tokcheck.c): NTLM messages, raw or inside SPNEGO, and SPNEGO's DER.
 * c is the context of this leg (new on the first one, `first` nonzero);
 * accept says which side. Returns SEC_E_OK or SEC_E_INVALID_TOKEN with a
 * message naming the field. Kerberos tokens are not looked at here. */
struct sspix_gss_ctx;
SECURITY_STATUS sspix_handshake_check_input(struct sspix_gss_ctx *c, int accept, int first, const uint8_t *in,
                                            size_t in_len);
/* After a successful leg: note what the output token says that a later
 * input check needs (the acceptor's CHALLENGE flags). */
void sspix_handshake_note_output(struct sspix_gss_ctx *c, const uint8_t *out, size_t out_len);

#endif
