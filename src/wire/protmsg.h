/* SPDX-License-Identifier: MIT */
/*
 * protmsg.h - the protected message the Microsoft sample exchanges after
 * authentication:
 *
 *     u32 trailer length, little-endian | trailer | data
 *
 * trailer is EncryptMessage's SECBUFFER_TOKEN output (for Kerberos the
 * RFC 4121 wrap-token header and rotated checksum; for NTLM the 16-byte
 * signature) and data is the SECBUFFER_DATA ciphertext, running to the end of
 * the message. The message itself carries no total length; the transport
 * delimits it:
 *
 *   greet mode  the server sends exactly one protected message with no outer
 *               length and closes; the client reads to EOF and decodes what it
 *               got with sspix_protmsg_decode().
 *   echo mode   each protected message travels inside an msframe:
 *               u32 LE (4 + trailer length + data length) | protected message
 *               (sspix_protmsg_encode_framed() writes both; the receiver runs
 *               the msframe decoder, then sspix_protmsg_decode() on the body).
 *
 * No I/O, no allocation except through the caller's writer.
 */
#ifndef SSPIX_WIRE_PROTMSG_H
#define SSPIX_WIRE_PROTMSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/guard.h"

/* Size of the trailer-length field. */
#define SSPIX_PROTMSG_HDR 4

/* A decoded message: borrowed views into the decoded buffer. */
typedef struct sspix_protmsg {
    const uint8_t *trailer; /* msg + 4, even when trailer_len is 0 */
    size_t trailer_len;
    const uint8_t *data; /* msg + 4 + trailer_len, even when data_len is 0 */
    size_t data_len;
} sspix_protmsg;

/*
 * Split one complete message of len bytes at msg into trailer and data.
 * Nothing is copied: out points into msg, which MUST outlive its use.
 * (DecryptMessage works in place; a caller holding msg mutably finds the same
 * bytes at msg + 4 and msg + 4 + trailer_len.) msg may be NULL only if len is 0.
 * A zero-length trailer or data is accepted here; whether the package accepts
 * it is DecryptMessage's call. Returns:
 *   0                  *out filled in;
 *   SSPIX_ERR_SHORT    len < 4, or the trailer length runs past the end of the
 *                      message (truncated: the bytes are not there);
 *   SSPIX_ERR_TOO_LONG the trailer length exceeds max_trailer (checked first).
 * On failure *out is unchanged.
 */
SSPIX_MUST_CHECK int sspix_protmsg_decode(const void *msg, size_t len, size_t max_trailer, sspix_protmsg *out);

/*
 * Append "u32 LE trailer_len | trailer | data" to w (greet mode), all or
 * nothing. trailer / data may be NULL only if their length is 0. Returns 0,
 * SSPIX_ERR_TOO_LONG (trailer_len above UINT32_MAX, or the total does not fit
 * a size_t), SSPIX_ERR_FULL or SSPIX_ERR_NOMEM; on failure w is unchanged.
 */
SSPIX_MUST_CHECK int sspix_protmsg_encode(sspix_writer *w, const void *trailer, size_t trailer_len, const void *data,
                                          size_t data_len);

/*
 * Same, wrapped in an msframe for echo mode: "u32 LE total | u32 LE
 * trailer_len | trailer | data" with total = 4 + trailer_len + data_len.
 * Additionally SSPIX_ERR_TOO_LONG if total exceeds UINT32_MAX.
 */
SSPIX_MUST_CHECK int sspix_protmsg_encode_framed(sspix_writer *w, const void *trailer, size_t trailer_len,
                                                 const void *data, size_t data_len);

#endif /* SSPIX_WIRE_PROTMSG_H */
