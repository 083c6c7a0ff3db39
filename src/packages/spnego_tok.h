/* SPDX-License-Identifier: MIT */
/*
 * spnego_tok.h - a bounded DER reader for SPNEGO handshake tokens (RFC 4178,
 * with Microsoft's NegTokenInit2 hints), enough to name the mechanisms and to
 * find the inner mechanism token, so that the token inside SPNEGO is checked
 * as strictly as a raw one before MIT's SPNEGO and the mechanism see it.
 *
 * Accepted forms:
 *   - InitialContextToken: [APPLICATION 0] { OID 1.3.6.1.5.5.2, [0] NegTokenInit }
 *     (the initiator's first token);
 *   - a bare NegotiationToken: [0] NegTokenInit or [1] NegTokenResp (every
 *     later token, and the acceptor's replies);
 *   - another mechanism's RFC 2743 token, [APPLICATION 0] { OID, ... } with an
 *     OID that is not SPNEGO (a raw Kerberos AP-REQ given to Negotiate): only
 *     the framing and the OID are checked, the rest is that mechanism's.
 *
 * Refused: a tag in high-tag-number form, an indefinite length, a length of
 * more than 4 bytes or past its enclosing element, bytes after the outermost
 * element or after the last field of a SEQUENCE, fields of NegTokenInit /
 * NegTokenResp out of order, repeated, or of the wrong universal type, an
 * empty mechTypes, a malformed OID, and nesting deeper than the grammar has.
 * Long-form lengths that DER would write shorter are accepted: MIT and
 * Windows accept them, and nothing is ambiguous about them.
 *
 * Pure: no allocation, no I/O, no global state. Every pointer handed back
 * borrows the caller's bytes.
 */
#ifndef SSPIX_PACKAGES_SPNEGO_TOK_H
#define SSPIX_PACKAGES_SPNEGO_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"

enum sspix_spnego_kind {
    SSPIX_SPNEGO_INIT = 1, /* NegTokenInit (framed or bare) */
    SSPIX_SPNEGO_RESP = 2, /* NegTokenResp */
    SSPIX_SPNEGO_OTHER = 3 /* an RFC 2743 token of another mechanism (mech = its OID) */
};

/* negState values (RFC 4178 4.2.2). */
#define SSPIX_SPNEGO_ACCEPT_COMPLETE   0u
#define SSPIX_SPNEGO_ACCEPT_INCOMPLETE 1u
#define SSPIX_SPNEGO_REJECT            2u
#define SSPIX_SPNEGO_REQUEST_MIC       3u

struct sspix_spnego_tok {
    enum sspix_spnego_kind kind;
    /* INIT: the first (preferred) of mechTypes; RESP: supportedMech; OTHER:
     * the token's OID. Content octets of the OID, NULL when absent. */
    const uint8_t *mech;
    size_t mech_len;
    size_t mech_count;    /* INIT: entries in mechTypes */
    const uint8_t *token; /* mechToken / responseToken; NULL when absent */
    size_t token_len;
    const uint8_t *mic; /* mechListMIC; NULL when absent */
    size_t mic_len;
    int has_mic;
    int has_neg_state;
    uint32_t neg_state; /* RESP: SSPIX_SPNEGO_* when has_neg_state */
};

/* Content octets of the mechanism OIDs the packages meet. */
extern const uint8_t sspix_spnego_oid_spnego[6];  /* 1.3.6.1.5.5.2 */
extern const uint8_t sspix_spnego_oid_ntlm[10];   /* 1.3.6.1.4.1.311.2.2.10 */
extern const uint8_t sspix_spnego_oid_krb5[9];    /* 1.2.840.113554.1.2.2 */
extern const uint8_t sspix_spnego_oid_ms_krb5[9]; /* 1.2.840.48018.1.2.2 */

/* Nonzero when the OID content octets (p, n) equal oid (m bytes). */
int sspix_spnego_oid_eq(const uint8_t *p, size_t n, const uint8_t *oid, size_t m);

/*
 * Parse the n bytes at p as one of the forms above into *out. Returns 0, or
 * SSPIX_ERR_INVALID with a short reason in why (cap bytes, NUL-terminated
 * when cap > 0). p may be NULL only if n is 0; *out is unspecified on failure.
 */
SSPIX_MUST_CHECK int sspix_spnego_parse(const uint8_t *p, size_t n, struct sspix_spnego_tok *out, char *why,
                                        size_t cap);

#endif
