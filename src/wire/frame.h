/* SPDX-License-Identifier: MIT */
/*
 * frame.h - length-prefixed token framing for a byte stream: one incremental
 * decoder and one encoder, parameterised by the header layout.
 *
 *   SSPIX_FRAME_MS   u32 little-endian length, token        (msframe.h)
 *   SSPIX_FRAME_GSS  u8 flags, u32 big-endian length, token  (gssframe.h)
 *
 * Most callers use the typed wrappers in msframe.h / gssframe.h for setup and
 * encoding, and the sspix_framedec_* calls below for the stream.
 *
 * The decoder does no I/O: the caller feeds it whatever bytes arrived (any
 * split: a frame may end or start at any byte, the length itself may arrive
 * one byte at a time, and one chunk may hold several frames) and it says how
 * many it used. The declared length is checked against the configured
 * maximum the moment the last length byte arrives, before any allocation. The
 * body buffer grows with the bytes that really arrive (never past the declared
 * length), so announcing a large frame and sending little costs the sender,
 * not the receiver; it is released when the caller takes or skips the frame,
 * or resets the decoder.
 * Between frames a decoder holds no heap memory and the struct is a few dozen
 * bytes, so a server can keep one per connection.
 *
 * Thread safety: none inside; one decoder per stream, used by one thread at a
 * time.
 */
#ifndef SSPIX_WIRE_FRAME_H
#define SSPIX_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/guard.h"

enum sspix_frame_kind {
    SSPIX_FRAME_MS = 1,  /* Microsoft SSPI sample: u32 LE length */
    SSPIX_FRAME_GSS = 2, /* MIT gss-sample: u8 flags + u32 BE length */
};

/* Largest header of any kind, in bytes. */
#define SSPIX_FRAME_HDR_MAX 5

/* Decoder option: accept a frame whose length is 0 (otherwise SSPIX_ERR_INVALID). */
#define SSPIX_FRAMEDEC_ALLOW_EMPTY 0x1u

/* sspix_framedec_feed() return value: a whole frame is ready. */
#define SSPIX_FRAME_READY 1

/* Treat the fields as private; the struct is public so it can be embedded. */
typedef struct sspix_framedec {
    uint8_t *body;                    /* NULL unless a non-empty body is being received or is ready */
    uint32_t max;                     /* largest accepted body length */
    uint32_t len;                     /* body length from the header (valid once the header is complete) */
    uint32_t got;                     /* body bytes received */
    uint32_t cap;                     /* bytes allocated at body (grows with what arrived) */
    int err;                          /* the error that stopped the decoder, 0 otherwise */
    uint8_t hdr[SSPIX_FRAME_HDR_MAX]; /* header bytes received so far */
    uint8_t hdr_got;
    uint8_t flags; /* GSS header flags (0 for MS) */
    uint8_t kind;  /* enum sspix_frame_kind */
    uint8_t opts;  /* SSPIX_FRAMEDEC_* */
    uint8_t state; /* private enum in frame.c */
} sspix_framedec;

/*
 * Set up a decoder for frames of the given kind whose body is at most max
 * bytes; opts is 0 or SSPIX_FRAMEDEC_ALLOW_EMPTY. Allocates nothing. d MUST
 * NOT hold a body (a fresh struct, or one that was reset).
 */
void sspix_framedec_init(sspix_framedec *d, enum sspix_frame_kind kind, uint32_t max, unsigned opts);

/*
 * Feed n bytes of the stream (in may be NULL only if n is 0). Consumes bytes
 * up to the end of the first frame that completes and no further; *consumed
 * (never NULL) says how many, and the caller keeps in + *consumed onward for
 * the next call. Returns:
 *   SSPIX_FRAME_READY  a frame is complete: read it with sspix_framedec_frame(),
 *                      then sspix_framedec_next(), or sspix_framedec_take();
 *   0                  all n bytes consumed, the frame is not complete yet;
 *   SSPIX_ERR_TOO_LONG the declared length exceeds max (no body allocated);
 *   SSPIX_ERR_INVALID  a zero length without SSPIX_FRAMEDEC_ALLOW_EMPTY;
 *   SSPIX_ERR_NOMEM    the body could not be allocated;
 *   SSPIX_ERR_STATE    a frame is ready and was not taken yet (nothing consumed,
 *                      the frame stays ready).
 * TOO_LONG, INVALID and NOMEM are sticky: the stream cannot be resynchronised,
 * and every later feed returns the same error until sspix_framedec_reset().
 * On those errors *consumed counts the header bytes used, which is where the
 * stream went wrong.
 */
SSPIX_MUST_CHECK int sspix_framedec_feed(sspix_framedec *d, const void *in, size_t n, size_t *consumed);

/*
 * Borrow the ready frame: *data / *len (never NULL) and, if flags is not NULL,
 * the header flags (GSS; 0 for MS). *data is NULL when *len is 0. Valid until
 * sspix_framedec_next/take/reset. Returns 0, or SSPIX_ERR_STATE if no frame is
 * ready (outputs unchanged).
 */
SSPIX_MUST_CHECK int sspix_framedec_frame(const sspix_framedec *d, const uint8_t **data, size_t *len, uint8_t *flags);

/*
 * Take the ready frame's body: the caller owns *data and frees it with free()
 * (NULL when *len is 0). flags may be NULL. The decoder moves on to the next
 * frame. Returns 0, or SSPIX_ERR_STATE if no frame is ready (outputs unchanged).
 */
SSPIX_MUST_CHECK int sspix_framedec_take(sspix_framedec *d, uint8_t **data, size_t *len, uint8_t *flags);

/* Drop the ready frame (freeing its body) and wait for the next one. Does
 * nothing unless a frame is ready. */
void sspix_framedec_next(sspix_framedec *d);

/*
 * Free any body, clear a sticky error and wait for a frame header again; the
 * kind, max and options stay. Also the teardown call: after it the decoder
 * holds no memory. Safe to call more than once.
 */
void sspix_framedec_reset(sspix_framedec *d);

/*
 * Bytes of the current frame received so far, header included: 0 exactly at a
 * frame boundary. When the peer closes the stream, nonzero means it cut a
 * frame short.
 */
size_t sspix_framedec_buffered(const sspix_framedec *d);

/* Heap bytes the decoder holds right now (the body buffer), for accounting. */
size_t sspix_framedec_allocated(const sspix_framedec *d);

/* Header size of a frame kind in bytes (4 or 5), 0 for an unknown kind. */
size_t sspix_frame_header_size(enum sspix_frame_kind kind);

/*
 * Append one frame (header + token) to w, all or nothing. flags is written
 * only for SSPIX_FRAME_GSS (pass 0 for MS). token may be NULL only if len is
 * 0; empty frames are encoded (whether a protocol leg may send one is the
 * caller's call). Returns 0, SSPIX_ERR_TOO_LONG (len above UINT32_MAX),
 * SSPIX_ERR_INVALID (unknown kind), or the writer's SSPIX_ERR_FULL /
 * SSPIX_ERR_NOMEM; on failure w is unchanged.
 */
SSPIX_MUST_CHECK int sspix_frame_encode(sspix_writer *w, enum sspix_frame_kind kind, uint8_t flags, const void *token,
                                        size_t len);

#endif /* SSPIX_WIRE_FRAME_H */
