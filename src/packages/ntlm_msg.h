/* SPDX-License-Identifier: MIT */
/*
 * ntlm_msg.h - validation of NTLM handshake messages (MS-NLMP 2.2.1) before
 * gss-ntlmssp parses them.
 *
 * gss-ntlmssp 1.2 is not safe on malformed input: a CHALLENGE whose target
 * type flag is set with an empty TargetName makes it write through a NULL
 * pointer, a second InitializeSecurityContext call without a token
 * dereferences NULL, an AUTHENTICATE that negotiates key exchange without a
 * 16-byte EncryptedRandomSessionKey is read past its end, and repeated
 * AV_PAIRs leak. So every NEGOTIATE, CHALLENGE and AUTHENTICATE message is
 * checked here first against the layout MS-NLMP prescribes: the signature
 * "NTLMSSP\0" and the message type, the fixed part and the Version field
 * when NTLMSSP_NEGOTIATE_VERSION says it is there, every (Len, MaxLen,
 * BufferOffset) field inside the message and past the fixed part, UTF-16
 * strings of even length, the flags a message of that type must carry, the
 * response and key lengths MS-NLMP allows, and the TargetInfo AV_PAIR lists
 * (in the CHALLENGE and inside an NTLMv2 response) well formed, without
 * repeats, with the fixed sizes of MsvAvFlags and MsvAvTimestamp, and
 * terminated by MsvAvEOL. MaxLen is not compared with Len: MS-NLMP says a
 * receiver ignores it, and only Len and BufferOffset locate the bytes.
 *
 * Pure functions over the bounded reader: no allocation, no I/O, no global
 * state; safe from any thread. Nothing here decides whether a message
 * authenticates anyone: that stays gss-ntlmssp's job.
 */
#ifndef SSPIX_PACKAGES_NTLM_MSG_H
#define SSPIX_PACKAGES_NTLM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"

/* Message types (MS-NLMP 2.2.1). */
#define SSPIX_NTLM_NEGOTIATE    1u
#define SSPIX_NTLM_CHALLENGE    2u
#define SSPIX_NTLM_AUTHENTICATE 3u

/* The NegotiateFlags bits the checks use (MS-NLMP 2.2.2.5). */
#define SSPIX_NTLMSSP_NEGOTIATE_UNICODE                  0x00000001u
#define SSPIX_NTLMSSP_NEGOTIATE_OEM                      0x00000002u
#define SSPIX_NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED      0x00001000u
#define SSPIX_NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN                 0x00010000u
#define SSPIX_NTLMSSP_TARGET_TYPE_SERVER                 0x00020000u
#define SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO              0x00800000u
#define SSPIX_NTLMSSP_NEGOTIATE_VERSION                  0x02000000u
#define SSPIX_NTLMSSP_NEGOTIATE_KEY_EXCH                 0x40000000u

/* "NTLMSSP\0": every NTLM message starts with these 8 bytes. */
#define SSPIX_NTLM_SIGNATURE_BYTES "NTLMSSP"
#define SSPIX_NTLM_SIGNATURE_LEN   8u

struct sspix_ntlm_info {
    uint32_t type;  /* SSPIX_NTLM_* */
    uint32_t flags; /* the message's NegotiateFlags */
};

/* Nonzero when the n bytes at p start with the NTLM signature. p may be NULL
 * only if n is 0. */
int sspix_ntlm_msg_is_ntlm(const uint8_t *p, size_t n);

/*
 * Check the n bytes at p as one NTLM message of type want (SSPIX_NTLM_*), or
 * of any of the three types when want is 0. For an AUTHENTICATE message,
 * chal_flags are the NegotiateFlags of the CHALLENGE this side sent (0 when
 * unknown): key exchange negotiated there requires the session key here,
 * whatever the AUTHENTICATE message itself claims.
 *
 * Returns 0 and fills *info (which may be NULL), or SSPIX_ERR_INVALID and
 * writes a short reason naming the offending field into why (cap bytes,
 * always NUL-terminated when cap > 0; why may be NULL when cap is 0). p may
 * be NULL only if n is 0.
 */
SSPIX_MUST_CHECK int sspix_ntlm_msg_check(const uint8_t *p, size_t n, uint32_t want, uint32_t chal_flags,
                                          struct sspix_ntlm_info *info, char *why, size_t cap);

#endif
