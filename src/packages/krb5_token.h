/* SPDX-License-Identifier: MIT */
/*
 * krb5_token.h - validation of Kerberos per-message tokens before GSSAPI
 * sees them.
 *
 * MIT krb5 does not reject every malformed per-message token safely: an
 * RFC 1964 token ID in a STREAM on an RFC 4121 context dereferences a key the
 * context does not have, and a MIC token shorter than its checksum, or a MIC
 * handed over as a STREAM, trips an assertion. So every token a caller passes
 * to DecryptMessage or VerifySignature is checked here first, against the
 * token format of its own context:
 *
 *   RFC 4121 (CFX: AES, Camellia)   Wrap 05 04 / MIC 04 04, a 16-byte header:
 *                                   flags, filler 0xFF, EC, RRC, SND_SEQ.
 *   RFC 1964 / RFC 4757 (DES3, RC4) Wrap 02 01 / MIC 01 01 inside the GSS
 *                                   framing 0x60 <DER length> 06 <mech OID>.
 *
 * Which one a context uses follows from the enctype of the key protecting its
 * messages (the acceptor's subkey when there is one, as MIT chooses it), and
 * with it the checksum and confounder sizes. What is checked: the token ID
 * for the context's format and the operation, the framing, filler bytes, the
 * direction flag (SentByAcceptor must name the peer's role), AcceptorSubkey
 * against what the context can have, SGN_ALG / SEAL_ALG, EC and RRC against
 * the token length, the exact MIC length, the least length of a wrap token
 * with or without confidentiality. The checksum itself stays GSSAPI's.
 *
 * Pure functions over bytes, through the bounded reader (common/buf.h); no
 * GSSAPI, no allocation, no global state: thread-safe, and testable without a
 * KDC.
 *
 * Results: 0 when the token may go to GSSAPI; SSPIX_ERR_SHORT when the bytes
 * are a prefix of a token of this context that is cut off (a STREAM that needs
 * more bytes); SSPIX_ERR_INVALID when they cannot be a token of this context
 * (modified, or from something else). On failure a reason naming the field
 * is written to why (cap bytes, always NUL-terminated; why may be NULL when
 * cap is 0).
 */
#ifndef SSPIX_PACKAGES_KRB5_TOKEN_H
#define SSPIX_PACKAGES_KRB5_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"

enum sspix_krb5_proto {
    SSPIX_KRB5_RFC1964 = 0, /* RFC 1964 framing, RFC 4757 for RC4 */
    SSPIX_KRB5_CFX = 1,     /* RFC 4121 */
};

/* Whether a CFX context's tokens are protected with the acceptor's subkey. */
enum sspix_krb5_subkey {
    SSPIX_KRB5_SUBKEY_NO = 0,    /* never: AcceptorSubkey must be clear */
    SSPIX_KRB5_SUBKEY_YES = 1,   /* always: AcceptorSubkey must be set */
    SSPIX_KRB5_SUBKEY_MAYBE = 2, /* an AP-REP was received and may have carried one */
};

/* The token format of one established context. Filled by
 * sspix_krb5_format_init(); read-only afterwards. */
struct sspix_krb5_format {
    int32_t enctype;
    enum sspix_krb5_proto proto;
    int initiator;                 /* this end initiated: the peer's tokens say SentByAcceptor */
    enum sspix_krb5_subkey subkey; /* CFX only */
    uint16_t cksum;                /* CFX: the enctype's checksum; RFC 1964: SGN_CKSUM bytes */
    uint16_t confounder;           /* CFX: the enctype's crypto header; RFC 1964: confounder bytes */
    uint16_t sgn_alg;              /* RFC 1964 only */
    uint16_t seal_alg;             /* RFC 1964 only */
    uint8_t pad_block;             /* RFC 1964: 1 (RC4) or 8 (DES3); CFX: 0 (EC is the padding) */
};

/*
 * The format of a context whose messages are protected with a key of this
 * enctype. initiator: this end initiated the context. mutual: mutual
 * authentication was negotiated, so the initiator received an AP-REP (which
 * may carry an acceptor subkey; MIT's acceptor always sends one for RFC 4121
 * enctypes and uses it from then on). Returns 0, or SSPIX_ERR_INVALID for an
 * enctype whose token format is not known here (f is then unchanged).
 */
SSPIX_MUST_CHECK int sspix_krb5_format_init(struct sspix_krb5_format *f, int32_t enctype, int initiator, int mutual);

/* The enctype's name as krb5.conf spells it, or "unknown". Static storage. */
const char *sspix_krb5_enctype_name(int32_t enctype);

/* The exact size of a MIC token of this format (with the krb5 mechanism OID
 * in RFC 1964 framing). */
size_t sspix_krb5_mic_size(const struct sspix_krb5_format *f);

/* What a wrap token that passed the checks says about itself. */
struct sspix_krb5_wrap_info {
    int sealed;     /* confidentiality: CFX Sealed flag; RFC 1964 SEAL_ALG != 0xFFFF */
    size_t ec, rrc; /* CFX only */
};

/*
 * A wrap token that is entirely in tok (DecryptMessage's SECBUFFER_STREAM).
 * SSPIX_ERR_SHORT only for a cut-off prefix of a token that would otherwise
 * pass (RFC 4121 tokens carry no length, so the least length of a token of
 * this context is the measure there; RFC 1964 framing has one). info may be
 * NULL.
 */
SSPIX_MUST_CHECK int sspix_krb5_check_wrap_stream(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len,
                                                  struct sspix_krb5_wrap_info *info, char *why, size_t cap);

/*
 * A wrap token in the Windows layout: its header (and, for RFC 4121, the
 * rotated trailer) in the SECBUFFER_TOKEN hdr, followed on the wire by body
 * bytes of data and padding in other buffers. Never SSPIX_ERR_SHORT: the
 * caller says where the token ends. info may be NULL.
 */
SSPIX_MUST_CHECK int sspix_krb5_check_wrap_split(const struct sspix_krb5_format *f, const uint8_t *hdr, size_t hdr_len,
                                                 size_t body_len, struct sspix_krb5_wrap_info *info, char *why,
                                                 size_t cap);

/* A MIC token (VerifySignature's SECBUFFER_TOKEN). Never SSPIX_ERR_SHORT: a
 * signature has one exact size. */
SSPIX_MUST_CHECK int sspix_krb5_check_mic(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len, char *why,
                                          size_t cap);

#endif /* SSPIX_PACKAGES_KRB5_TOKEN_H */
