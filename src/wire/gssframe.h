/* SPDX-License-Identifier: MIT */
/*
 * gssframe.h - MIT gss-sample framing (krb5-gss-samples' gss-server and
 * gss-client), the reference peers for the "gss" protocol of the service.
 *
 * Each token travels as
 *
 *     u8 flags | u32 length, big-endian | length bytes of token
 *
 * Empty tokens are normal here (the client opens with NOOP|CONTEXT_NEXT and
 * an empty token, and ends with an empty NOOP), so the decoder always accepts
 * a zero length. The flags byte is passed through unchecked: which flags a
 * given step may carry is the protocol state machine's business.
 *
 * Decoding goes through the incremental decoder of frame.h; this header only
 * sets it up for this layout and encodes.
 */
#ifndef SSPIX_WIRE_GSSFRAME_H
#define SSPIX_WIRE_GSSFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/guard.h"
#include "wire/frame.h"

/* Header size in bytes. */
#define SSPIX_GSSFRAME_HDR 5

/* Token flags, as in gss-misc.h of the MIT sample. */
#define SSPIX_GSSFRAME_NOOP         0x01u
#define SSPIX_GSSFRAME_CONTEXT      0x02u
#define SSPIX_GSSFRAME_DATA         0x04u
#define SSPIX_GSSFRAME_MIC          0x08u
#define SSPIX_GSSFRAME_CONTEXT_NEXT 0x10u
#define SSPIX_GSSFRAME_WRAPPED      0x20u
#define SSPIX_GSSFRAME_ENCRYPTED    0x40u
#define SSPIX_GSSFRAME_SEND_MIC     0x80u

/*
 * Set up d to decode gss-sample frames of at most max bytes of token (empty
 * tokens accepted). Allocates nothing; same rules as sspix_framedec_init().
 * sspix_framedec_frame()/take() report the flags byte.
 */
void sspix_gssframe_decoder_init(sspix_framedec *d, uint32_t max);

/*
 * Append "flags | u32 BE len | token" to w, all or nothing. token may be NULL
 * only if len is 0. Returns 0, SSPIX_ERR_TOO_LONG (len above UINT32_MAX),
 * SSPIX_ERR_FULL or SSPIX_ERR_NOMEM; on failure w is unchanged.
 */
SSPIX_MUST_CHECK int sspix_gssframe_encode(sspix_writer *w, uint8_t flags, const void *token, size_t len);

#endif /* SSPIX_WIRE_GSSFRAME_H */
