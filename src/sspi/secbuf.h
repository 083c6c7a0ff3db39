/* SPDX-License-Identifier: MIT */
/*
 * secbuf.h - the caller's SecBufferDesc as the dispatcher reads it: the
 * descriptor checked before any SecBuffer in it is touched, the handshake's
 * input token and channel bindings found and bounded, and its output token
 * handed back (into the caller's memory or a new allocation).
 *
 * Every function that fails records its cause with sspix_fail().
 */
#ifndef SSPIX_SSPI_SECBUF_H
#define SSPIX_SSPI_SECBUF_H

#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

#include "common/guard.h"

#include "packages/package.h"

/* Most buffers one SecBufferDesc may list (the message functions' limit). */
#define SSPIX_MAX_BUFFERS 16u

/*
 * A caller's SecBufferDesc, checked before any SecBuffer in it is read: a
 * count no larger than SSPIX_MAX_BUFFERS (the array itself cannot be
 * bounds-checked, only the count), an array when the count says there is one,
 * and for the handshake calls (which Windows marshals to its security service
 * and checks) the version SECBUFFER_VERSION. NULL is accepted: each caller
 * decides whether the descriptor may be absent. status: what a bad
 * descriptor is answered with.
 */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_secbuf_check_desc(const SecBufferDesc *d, const char *name,
                                                         SECURITY_STATUS status, int version);

/* The first buffer of type (attribute bits ignored), or NULL. desc has passed
 * sspix_secbuf_check_desc() or is NULL. */
SecBuffer *sspix_secbuf_find(PSecBufferDesc desc, ULONG type);

/* The input's SECBUFFER_TOKEN (NULL/0 when none or empty), at most
 * SSPIX_MAX_HANDSHAKE_TOKEN bytes; borrows the caller's memory. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_secbuf_input_token(PSecBufferDesc in, const uint8_t **p, size_t *len);

/*
 * The input's SECBUFFER_CHANNEL_BINDINGS, if any: Windows' SEC_CHANNEL_BINDINGS
 * header (address types, and the length and offset of each part, offsets
 * from the start of the structure) followed by the parts, parsed into *cb.
 * *out is cb, or NULL when there is none (no such buffer, or an empty one).
 */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_secbuf_input_bindings(PSecBufferDesc in, struct sspix_bindings *cb,
                                                             const struct sspix_bindings **out);

/* Before the package runs: a caller-supplied output buffer must exist. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_secbuf_check_output(PSecBufferDesc out, int allocate);

/* Hands the leg's token to the caller (out passed check_output); consumes
 * leg->out either way. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_secbuf_emit_output(PSecBufferDesc out, int allocate, struct sspix_leg *leg);

#endif
