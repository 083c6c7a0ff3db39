/* SPDX-License-Identifier: MIT */
/*
 * buf.h - the one bounded reader/writer every byte from the network or a
 * caller's token passes through (after s2n_stuffer and OpenSSH's sshbuf).
 *
 * sspix_reader walks borrowed const bytes. Every read checks the bounds once,
 * returns 0 or a negative SSPIX_ERR_*, and on failure leaves the cursor where
 * it was, so a parser can report "need more" or "malformed" with nothing
 * half-consumed.
 *
 * sspix_writer appends to either a caller's fixed buffer or a growable heap
 * buffer with a hard maximum size. Every put either writes all of its bytes or
 * none: on failure the writer is unchanged. Growth is checked against the
 * maximum before anything is allocated, and size arithmetic cannot overflow.
 *
 * Both structs are public only so that callers can embed them (on the stack,
 * in a connection slot) without an allocation; treat their fields as private.
 *
 * NULL rules: the reader/writer pointer and every out-parameter MUST NOT be
 * NULL. A data pointer may be NULL only when its length is 0.
 *
 * Thread safety: none inside; a reader or writer belongs to one thread at a
 * time. Distinct objects are independent.
 */
#ifndef SSPIX_BUF_H
#define SSPIX_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"

/* ---- reader --------------------------------------------------------------- */

typedef struct sspix_reader {
    const uint8_t *data; /* borrowed; never written, never freed */
    size_t len;          /* total bytes at data */
    size_t pos;          /* bytes consumed; pos <= len always holds */
} sspix_reader;

/* Width and byte order of a length prefix, for sspix_reader_prefixed(). */
enum sspix_prefix {
    SSPIX_PREFIX_U8,
    SSPIX_PREFIX_U16BE,
    SSPIX_PREFIX_U16LE,
    SSPIX_PREFIX_U32BE,
    SSPIX_PREFIX_U32LE,
};

/*
 * Start reading len bytes at data. The bytes are borrowed: they MUST stay
 * valid and unchanged while the reader and any pointer it handed out are in
 * use. data may be NULL only if len is 0. Cannot fail.
 */
void sspix_reader_init(sspix_reader *r, const void *data, size_t len);

/* Bytes not yet consumed. */
size_t sspix_reader_left(const sspix_reader *r);

/* Bytes consumed since init. */
size_t sspix_reader_consumed(const sspix_reader *r);

/*
 * Fixed-width integers. Return 0, or SSPIX_ERR_SHORT if fewer bytes are left
 * than the integer needs (cursor and *out unchanged).
 */
SSPIX_MUST_CHECK int sspix_reader_u8(sspix_reader *r, uint8_t *out);
SSPIX_MUST_CHECK int sspix_reader_u16be(sspix_reader *r, uint16_t *out);
SSPIX_MUST_CHECK int sspix_reader_u16le(sspix_reader *r, uint16_t *out);
SSPIX_MUST_CHECK int sspix_reader_u32be(sspix_reader *r, uint32_t *out);
SSPIX_MUST_CHECK int sspix_reader_u32le(sspix_reader *r, uint32_t *out);

/*
 * Consume n bytes and set *out to borrow them (a pointer into the reader's
 * data, valid as long as that data). Returns 0 or SSPIX_ERR_SHORT. With n == 0
 * *out is the current position (NULL if the reader was given NULL).
 */
SSPIX_MUST_CHECK int sspix_reader_bytes(sspix_reader *r, size_t n, const uint8_t **out);

/* Like sspix_reader_bytes() but without consuming: the cursor never moves. */
SSPIX_MUST_CHECK int sspix_reader_peek(const sspix_reader *r, size_t n, const uint8_t **out);

/* Consume n bytes unseen. Returns 0 or SSPIX_ERR_SHORT. */
SSPIX_MUST_CHECK int sspix_reader_skip(sspix_reader *r, size_t n);

/*
 * A length-prefixed field: read a length of the given width, check it against
 * max (SSPIX_ERR_TOO_LONG) and then against the bytes left after the prefix
 * (SSPIX_ERR_SHORT), and borrow that many bytes into *out / *len. The limit
 * is checked first, so an oversized length is reported as TOO_LONG even when
 * the bytes are also missing. A prefix that is itself cut off is
 * SSPIX_ERR_SHORT; an unknown prefix value is SSPIX_ERR_INVALID. On any
 * failure nothing is consumed, prefix included, and *out / *len are unchanged.
 */
SSPIX_MUST_CHECK int sspix_reader_prefixed(sspix_reader *r, enum sspix_prefix prefix, size_t max, const uint8_t **out,
                                           size_t *len);

/* ---- writer --------------------------------------------------------------- */

typedef struct sspix_writer {
    uint8_t *data; /* fixed: the caller's buffer; heap: owned, NULL until the first write */
    size_t len;    /* bytes written */
    size_t cap;    /* bytes available at data */
    size_t max;    /* hard limit on len; fixed: equals cap */
    int heap;      /* nonzero when data is ours to grow and free */
} sspix_writer;

/*
 * Write into the caller's buffer buf of cap bytes. The writer never allocates
 * and never frees buf; the caller MUST keep buf valid while the writer is in
 * use. buf may be NULL only if cap is 0. A put that does not fit fails with
 * SSPIX_ERR_FULL.
 */
void sspix_writer_init_fixed(sspix_writer *w, void *buf, size_t cap);

/*
 * Write into a heap buffer that grows on demand up to max bytes in total. No
 * allocation happens here; the first write allocates. A put that would take
 * the length over max fails with SSPIX_ERR_FULL before any allocation; a
 * failed allocation is SSPIX_ERR_NOMEM. Release with sspix_writer_free() or
 * take the bytes with sspix_writer_take().
 */
void sspix_writer_init_heap(sspix_writer *w, size_t max);

/* Bytes written so far, and where they are (NULL if nothing was allocated).
 * The pointer is invalidated by the next put/reserve on a heap writer. */
size_t sspix_writer_len(const sspix_writer *w);
const uint8_t *sspix_writer_data(const sspix_writer *w);

/* Bytes that can still be written before the maximum (not the allocation). */
size_t sspix_writer_room(const sspix_writer *w);

/*
 * Append fixed-width integers or bytes. Return 0, SSPIX_ERR_FULL (the maximum
 * would be exceeded) or SSPIX_ERR_NOMEM; on failure nothing was written.
 * sspix_writer_put_bytes(): p may be NULL only if n is 0; p MUST NOT point
 * into the writer's own heap buffer (growth may move it).
 */
SSPIX_MUST_CHECK int sspix_writer_put_u8(sspix_writer *w, uint8_t v);
SSPIX_MUST_CHECK int sspix_writer_put_u16be(sspix_writer *w, uint16_t v);
SSPIX_MUST_CHECK int sspix_writer_put_u16le(sspix_writer *w, uint16_t v);
SSPIX_MUST_CHECK int sspix_writer_put_u32be(sspix_writer *w, uint32_t v);
SSPIX_MUST_CHECK int sspix_writer_put_u32le(sspix_writer *w, uint32_t v);
SSPIX_MUST_CHECK int sspix_writer_put_bytes(sspix_writer *w, const void *p, size_t n);

/*
 * Append n bytes the caller fills in itself (e.g. in-place encryption):
 * *out points at them. Their content is unspecified until written; the
 * caller MUST fill all n before the bytes leave the writer. *out stays valid
 * only until the next put/reserve/take/reset/free. Same errors as the puts.
 */
SSPIX_MUST_CHECK int sspix_writer_reserve(sspix_writer *w, size_t n, uint8_t **out);

/*
 * Heap writer only: hand the written bytes to the caller, who frees them with
 * free(). *out may be NULL when *len is 0. The writer is then empty and can be
 * written again (same maximum). A fixed writer returns SSPIX_ERR_STATE and
 * leaves *out / *len unchanged.
 */
SSPIX_MUST_CHECK int sspix_writer_take(sspix_writer *w, uint8_t **out, size_t *len);

/* Forget what was written; a heap writer keeps its allocation for reuse. */
void sspix_writer_reset(sspix_writer *w);

/*
 * Heap writer: free the buffer; the writer is left empty and usable, as after
 * init. Fixed writer: same as reset (the caller's buffer is not ours).
 * Safe to call more than once.
 */
void sspix_writer_free(sspix_writer *w);

#endif /* SSPIX_BUF_H */
