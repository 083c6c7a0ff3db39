/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bytes.h - what the realm-backed fuzz targets (fuzz_conn, fuzz_client_conv)
 * share to play the other side of a conversation: a growable byte buffer, the
 * two wire framings written and read back, and seed files for their -gen= mode.
 *
 * The harness's own framing code is deliberately not the project's (src/wire):
 * a bug there must not be able to hide itself from the target that tests it.
 * Allocation failure aborts (a harness has no better answer).
 */
#ifndef SSPIX_FUZZ_BYTES_H
#define SSPIX_FUZZ_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_bytes {
    uint8_t *p;
    size_t len, cap;
    size_t off; /* fuzz_next_frame: what was read */
};

/* Append n bytes (src may be NULL when n is 0). */
void fuzz_put(struct fuzz_bytes *b, const void *src, size_t n);
void fuzz_put_u32le(struct fuzz_bytes *b, uint32_t v);
uint32_t fuzz_get_u32le(const uint8_t *p);

/* One frame: ms "u32 LE length | body", gss "flags | u32 BE length | body". */
void fuzz_put_frame(struct fuzz_bytes *b, int gss, uint8_t flags, const void *body, size_t len);

/* The next complete frame at b->off (moved past it): 1, or 0 when none is complete. */
int fuzz_next_frame(struct fuzz_bytes *b, int gss, uint8_t *flags, const uint8_t **body, size_t *len);

/* A record of the targets' record streams: "op | u16 LE length | [fix[2]] | payload";
 * fix (two bytes "index, xor") is there only for the ops has_fix() names. */
struct fuzz_record {
    unsigned op;
    uint8_t fix[2];
    const uint8_t *payload; /* into the input */
    size_t len;             /* cut to what the input holds */
};
void fuzz_put_record(struct fuzz_bytes *b, uint8_t op, const uint8_t *fix, const char *payload);

/* The next record of the *n bytes at *p (both moved past it): 1, or 0 at the end. */
int fuzz_next_record(const uint8_t **p, size_t *n, int (*has_fix)(unsigned op), struct fuzz_record *rec);

/* Write b to DIR/name; 0, or 1 with a message on stderr. */
int fuzz_write_seed(const char *dir, const char *name, const struct fuzz_bytes *b);

void fuzz_bytes_free(struct fuzz_bytes *b);

#endif /* SSPIX_FUZZ_BYTES_H */
