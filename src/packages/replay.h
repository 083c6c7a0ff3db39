/* SPDX-License-Identifier: MIT */
/*
 * replay.h - an in-process replay set for Kerberos authenticators, the
 * cheap form of an acceptor's replay cache.
 *
 * A Kerberos AP-REQ carries an authenticator encrypted in the ticket's
 * session key; a replayed AP-REQ repeats its ciphertext byte for byte. The
 * set remembers a tag of each accepted authenticator's ciphertext for as long
 * as the authenticator could still pass the acceptor's clock-skew check, and
 * refuses the same ciphertext again. MIT's file replay cache does the same
 * (it also keys on a hash of the ciphertext) with a file opened, locked, read,
 * written and closed per authenticator; this one is a hash table in memory.
 *
 * Tags: the first 16 bytes of SHA-256(salt || ciphertext), with a random
 * 32-byte salt per set. The same ciphertext always gives the same tag, so a
 * replay is always caught. Two different ciphertexts give the same tag only
 * by a SHA-256 collision on 128 bits under a salt an attacker never sees: no
 * one can make an honest client's authenticator look replayed, or choose
 * ciphertexts that pile into one hash bucket.
 *
 * Lifetime of an entry: `window` seconds after it is recorded. An acceptor
 * takes an authenticator whose time is within clockskew of its own clock, so
 * one recorded at time t was made no earlier than t - clockskew and passes
 * the check until at the latest t + 2 * clockskew: the window is
 * 2 * clockskew. Times are wall-clock seconds (time(2)), the clock MIT's check
 * uses; a clock stepped back keeps entries longer, never shorter.
 *
 * Memory: 36 bytes per slot, the table grown by doubling from 4,096 slots to
 * the power of two at or above max_entries (while it grows, the old and the
 * new table are held at once); nothing is evicted early. When max_entries live
 * entries are held, recording refuses (SSPIX_ERR_FULL) until some expire:
 * protection is never dropped to make room.
 *
 * Thread safety: every function on a set may be called from any thread at
 * any time; one mutex per set. sspix_replay_record checks and inserts under
 * the mutex in one step, so of two concurrent identical authenticators
 * exactly one is recorded.
 */
#ifndef SSPIX_PACKAGES_REPLAY_H
#define SSPIX_PACKAGES_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/guard.h"

#define SSPIX_REPLAY_TAG_BYTES 16

/* The default limit of the process's set: 4,194,304 live entries (at most
 * about 144 MiB), which holds 2 * 300 s of authenticators at about 7,000 new
 * handshakes per second sustained. */
#define SSPIX_REPLAY_MAX_ENTRIES (4u * 1024u * 1024u)

/* sspix_replay_check / sspix_replay_record: the tag is held (a replay). */
#define SSPIX_REPLAY_SEEN 1

struct sspix_replay_set;

/* A new, empty set keeping entries `window` seconds (> 0) and at most
 * max_entries (1 to 2^31) of them; NULL when out of memory, no random salt
 * could be had, or an argument is out of range. Free with sspix_replay_free. */
struct sspix_replay_set *sspix_replay_new(size_t max_entries, int64_t window);
void sspix_replay_free(struct sspix_replay_set *s);

/* The tag of n bytes of authenticator ciphertext in this set: 0, or
 * SSPIX_ERR_NOMEM when OpenSSL could not compute the digest. */
SSPIX_WARN_UNUSED int sspix_replay_tag(const struct sspix_replay_set *s, const uint8_t *cipher, size_t n,
                                       uint8_t tag[SSPIX_REPLAY_TAG_BYTES]);

/* Whether a live entry holds this tag at time now: SSPIX_REPLAY_SEEN or 0.
 * Changes nothing. */
int sspix_replay_check(struct sspix_replay_set *s, const uint8_t tag[SSPIX_REPLAY_TAG_BYTES], int64_t now);

/* Records the tag at time now, in one step with the check: 0 when recorded,
 * SSPIX_REPLAY_SEEN when a live entry already holds it (nothing changes),
 * SSPIX_ERR_FULL when max_entries live entries are held, SSPIX_ERR_NOMEM
 * when the table could not grow. Entries expired at now are dropped first. */
SSPIX_WARN_UNUSED int sspix_replay_record(struct sspix_replay_set *s, const uint8_t tag[SSPIX_REPLAY_TAG_BYTES],
                                          int64_t now);

/* Live entries at time now (expired ones are dropped first). */
size_t sspix_replay_count(struct sspix_replay_set *s, int64_t now);

/* sspix_replay_find_authenticator: the token certainly carries no AP-REQ. */
#define SSPIX_REPLAY_NONE 2

/*
 * The authenticator ciphertext (EncryptedData.cipher) of the Kerberos
 * AP-REQ in a client's handshake token, wherever MIT's acceptor would find
 * one: an RFC 4121 InitialContextToken (OID krb5, Microsoft's krb5 or the
 * pre-RFC krb5 OID; TOK_ID 01 00) or a bare AP-REQ, alone or inside an SPNEGO
 * token (the mechToken of a NegTokenInit, framed or bare, or the
 * responseToken of a NegTokenResp). Returns 0 with *cipher borrowing the
 * token's bytes; SSPIX_REPLAY_NONE when the token certainly carries no AP-REQ
 * (an NTLM message, a krb5 AP-REP or KRB-ERROR, another mechanism's token,
 * SPNEGO without a mechanism token); SSPIX_ERR_INVALID when it cannot be
 * read here (malformed, or an encoding MIT might accept and this reader does
 * not): the caller must then not rely on an AP-REQ seen earlier. Pure,
 * through the bounded reader.
 */
SSPIX_WARN_UNUSED int sspix_replay_find_authenticator(const uint8_t *tok, size_t n, const uint8_t **cipher,
                                                      size_t *cipher_len);

/* One DER element of identifier `tag` (short or 1- to 4-octet definite
 * length) from r; its content becomes a reader of its own. 0, or
 * SSPIX_ERR_INVALID with r unmoved. */
SSPIX_WARN_UNUSED int sspix_der_elem(sspix_reader *r, uint8_t tag, sspix_reader *content);

#endif
