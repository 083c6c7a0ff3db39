/* SPDX-License-Identifier: MIT */
/*
 * protect.h - the messages of an authenticated session: the SecBuffer
 * layouts for EncryptMessage, DecryptMessage, MakeSignature and
 * VerifySignature, built in one place for the server (src/service/) and the
 * client (src/client/), and called through the SSPI function table the
 * caller gives (the real library, or a test's fake).
 *
 * No I/O and no allocation: every buffer is the caller's and is worked on in
 * place. Each call returns SEC_E_OK or the status of the SSPI call, whose
 * reason the library leaves in sspix_last_error(); a length that a ULONG
 * cannot hold is SEC_E_INVALID_PARAMETER before anything is called.
 * seqno is passed to the SSPI call as MessageSeqNo (the packages ignore it:
 * Kerberos and NTLM number their messages themselves).
 *
 * Thread safety: none of its own; the calls on one context are serialised by
 * the library.
 */
#ifndef SSPIX_SESSION_PROTECT_H
#define SSPIX_SESSION_PROTECT_H

#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

/*
 * Encrypts (qop 0) or integrity-protects (SECQOP_WRAP_NO_ENCRYPT) the len
 * bytes at data in place, with the security trailer written into trailer
 * (trailer_cap bytes, cbSecurityTrailer of SECPKG_ATTR_SIZES). *trailer_len:
 * the trailer's real length, which may be less than trailer_cap (Windows'
 * rule: send what EncryptMessage returned, not cbSecurityTrailer). data may
 * be NULL only when len is 0.
 */
SECURITY_STATUS sspix_protect_seal(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG qop, ULONG seqno, uint8_t *trailer,
                                   size_t trailer_cap, size_t *trailer_len, uint8_t *data, size_t len);

/*
 * The same for a buffer laid out as trailer_cap bytes of room followed by
 * the len bytes of plaintext, made one token: on success buf[0, *token_len)
 * is the trailer followed by the protected data, the data moved down when
 * the trailer came back shorter than trailer_cap (the GSSAPI sample's wrap
 * token, whose header says where the rotated trailer is).
 */
SECURITY_STATUS sspix_protect_seal_joined(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG qop, ULONG seqno,
                                          uint8_t *buf, size_t trailer_cap, size_t len, size_t *token_len);

/*
 * Decrypts (or checks) a message sent as a trailer (trailer_len bytes) and
 * data (len bytes), in place. *plain / *plain_len: the plaintext, inside the
 * caller's data; *qop: the QOP it was protected with (SECQOP_WRAP_NO_ENCRYPT:
 * integrity only; the caller decides whether that is acceptable).
 */
SECURITY_STATUS sspix_protect_unseal(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, uint8_t *trailer,
                                     size_t trailer_len, uint8_t *data, size_t len, uint8_t **plain, size_t *plain_len,
                                     ULONG *qop);

/* The same for one token whose layout the package finds (SECBUFFER_STREAM:
 * a GSSAPI wrap token); *plain points into tok. */
SECURITY_STATUS sspix_protect_unseal_stream(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, uint8_t *tok,
                                            size_t len, uint8_t **plain, size_t *plain_len, ULONG *qop);

/* A signature (MIC) over the len bytes at data, written into mic (cap
 * bytes: cbMaxSignature); *mic_len its length. */
SECURITY_STATUS sspix_protect_sign(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, const uint8_t *data,
                                   size_t len, uint8_t *mic, size_t cap, size_t *mic_len);

/* Checks the mic_len-byte signature mic over the len bytes at data; *qop as
 * VerifySignature reports it. */
SECURITY_STATUS sspix_protect_verify(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, const uint8_t *data,
                                     size_t len, const uint8_t *mic, size_t mic_len, ULONG *qop);

#endif
