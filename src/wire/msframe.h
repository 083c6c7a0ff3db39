/* SPDX-License-Identifier: MIT */
/*
 * msframe.h - Microsoft SSPI sockets sample framing.
 *
 * Each token travels as
 *
 *     u32 length, little-endian | length bytes of token
 *
 * Handshake legs never send an empty token (the sample simply sends nothing),
 * so a handshake decoder rejects a zero length; the echo mode uses an empty
 * message as "end of session", so its decoder allows one. The sample itself
 * trusts the length and overflows its buffer; here every length is bounded by
 * the decoder's maximum before anything is allocated.
 *
 * Decoding goes through the incremental decoder of frame.h; this header only
 * sets it up for this layout and encodes.
 */
#ifndef SSPIX_WIRE_MSFRAME_H
#define SSPIX_WIRE_MSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/guard.h"
#include "wire/frame.h"

/* Header size in bytes. */
#define SSPIX_MSFRAME_HDR 4

/*
 * Set up d to decode MS frames of at most max bytes of token; allow_empty
 * accepts zero-length frames (echo mode) instead of failing with
 * SSPIX_ERR_INVALID (handshake). Allocates nothing; same rules as
 * sspix_framedec_init().
 */
void sspix_msframe_decoder_init(sspix_framedec *d, uint32_t max, bool allow_empty);

/*
 * Append "u32 LE len | token" to w, all or nothing. token may be NULL only if
 * len is 0. Returns 0, SSPIX_ERR_TOO_LONG (len above UINT32_MAX),
 * SSPIX_ERR_FULL or SSPIX_ERR_NOMEM; on failure w is unchanged.
 */
SSPIX_MUST_CHECK int sspix_msframe_encode(sspix_writer *w, const void *token, size_t len);

#endif /* SSPIX_WIRE_MSFRAME_H */
