/* SPDX-License-Identifier: MIT */
/*
 * rfc4121.h - RFC 4121 per-message tokens (wrap, unwrap, MIC, verify MIC)
 * for the AES Kerberos enctypes, on OpenSSL 3's EVP.
 *
 * An established Kerberos context, once its keys and sequence numbers are
 * taken out of GSSAPI (MIT's lucid context), is protected here:
 *
 *   aes128-cts-hmac-sha1-96 (17), aes256-cts-hmac-sha1-96 (18)
 *       keys by RFC 3961 DK with n-fold, AES-CTS + HMAC-SHA1-96 (RFC 3962)
 *   aes128-cts-hmac-sha256-128 (19), aes256-cts-hmac-sha384-192 (20)
 *       keys by the RFC 8009 KDF, AES-CTS + HMAC-SHA256-128 / SHA384-192
 *
 * The per-usage keys (Ke, Ki, Kc of KG-USAGE-{INITIATOR,ACCEPTOR}-{SEAL,SIGN})
 * are derived once, at creation; every OpenSSL context (AES-CBC, HMAC) is
 * keyed once and reused, so a message costs no allocation. AES and HMAC are
 * OpenSSL's; ciphertext stealing (Kerberos' CS3) is built here on AES-CBC,
 * over buffers that may be scattered.
 *
 * Buffers are gss_iov_buffer_desc arrays with GSSAPI's meanings, processed in
 * place as MIT's gss_wrap_iov / gss_unwrap_iov / gss_get_mic_iov /
 * gss_verify_mic_iov process them (no GSSAPI function is called):
 *   wrap      HEADER, DATA and SIGN_ONLY buffers, optional PADDING (set to 0
 *             bytes: EC is the padding), optional TRAILER. Without a TRAILER
 *             the trailer goes into the HEADER, rotated (RRC = its length,
 *             the Windows layout). conf with no DATA buffer is integrity only.
 *   unwrap    either a STREAM (the whole token; any RRC; DATA then points into
 *             it) or HEADER | DATA... | [PADDING of 0 bytes] | [TRAILER], where
 *             RRC must be exactly the trailer length without a TRAILER and 0
 *             with one.
 *   get_mic   DATA / SIGN_ONLY buffers and one MIC_TOKEN.
 *   verify    the same; the MIC_TOKEN holds the token.
 * GSS_IOV_BUFFER_FLAG_ALLOCATE is not supported (GSS_S_FAILURE). At most
 * SSPIX_RFC4121_MAX_IOV buffers.
 *
 * Results are GSSAPI major status codes, with MIT's values for the same
 * token: GSS_S_COMPLETE, GSS_S_DEFECTIVE_TOKEN (malformed), GSS_S_BAD_SIG
 * (a checksum that does not verify, the direction flag, a length MIT's
 * crypto layer refuses), GSS_S_BAD_QOP, GSS_S_FAILURE (bad call, OpenSSL
 * failure), and for a token that verified, the sequence checks of MIT's
 * g_seqstate: GSS_S_DUPLICATE_TOKEN, GSS_S_OLD_TOKEN, GSS_S_UNSEQ_TOKEN,
 * GSS_S_GAP_TOKEN (the message was still unwrapped). sspix_rfc4121_why()
 * names the cause of the last failure.
 *
 * Keys are wiped (OPENSSL_cleanse) when the context is destroyed; MACs are
 * compared in constant time (CRYPTO_memcmp).
 *
 * Thread safety: a context belongs to one thread at a time (its sequence
 * numbers and OpenSSL contexts change on every message). Distinct contexts
 * are independent.
 */
#ifndef SSPIX_PACKAGES_RFC4121_H
#define SSPIX_PACKAGES_RFC4121_H

#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include "common/buf.h"
#include "common/guard.h"

#define SSPIX_RFC4121_MAX_IOV 32

/* Token IDs and flags of RFC 4121 section 4.2. */
#define SSPIX_RFC4121_TOK_MIC               0x0404
#define SSPIX_RFC4121_TOK_WRAP              0x0504
#define SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR 0x01
#define SSPIX_RFC4121_FLAG_SEALED           0x02
#define SSPIX_RFC4121_FLAG_ACCEPTOR_SUBKEY  0x04

/* One key as MIT's lucid context gives it. */
struct sspix_rfc4121_key {
    int32_t enctype;
    const uint8_t *data; /* borrowed; copied by sspix_rfc4121_new() */
    size_t len;
};

/* What sspix_rfc4121_new() needs: the fields of gss_krb5_lucid_context_v1_t
 * (protocol 1) plus the context's GSS flags. */
struct sspix_rfc4121_params {
    int initiator;            /* this end initiated the context */
    uint64_t send_seq;        /* next sequence number to send */
    uint64_t recv_seq;        /* first sequence number expected from the peer */
    int have_acceptor_subkey; /* the acceptor asserted a subkey */
    struct sspix_rfc4121_key ctx_key;
    struct sspix_rfc4121_key acceptor_subkey; /* ignored unless have_acceptor_subkey */
    uint32_t gss_flags;                       /* GSS_C_REPLAY_FLAG / GSS_C_SEQUENCE_FLAG select the checks */
};

typedef struct sspix_rfc4121 sspix_rfc4121;

/* Whether this module protects messages of this enctype. */
int sspix_rfc4121_supported(int32_t enctype);

/*
 * A context for p: derives every key, keys the OpenSSL contexts. Returns 0
 * and sets *out, or SSPIX_ERR_INVALID (an enctype not supported, a key of
 * the wrong length; *why says which), SSPIX_ERR_NOMEM or SSPIX_ERR_STATE
 * (OpenSSL failed). p's key bytes are copied; the caller wipes its own.
 */
SSPIX_WARN_UNUSED int sspix_rfc4121_new(const struct sspix_rfc4121_params *p, sspix_rfc4121 **out, const char **why);

/* Wipes every key and frees ctx. NULL is a no-op. */
void sspix_rfc4121_free(sspix_rfc4121 *ctx);

/* The enctype of the key this end sends with (the acceptor subkey when there is one). */
int32_t sspix_rfc4121_enctype(const sspix_rfc4121 *ctx);

/* Why the last call on ctx failed (static text), or "" after success. */
const char *sspix_rfc4121_why(const sspix_rfc4121 *ctx);

/* Sizes of the wrap token parts: header (16 + confounder when conf), trailer
 * (EC + 16 + HMAC when conf, the checksum otherwise), and of a MIC token. */
size_t sspix_rfc4121_header_len(const sspix_rfc4121 *ctx, int conf);
size_t sspix_rfc4121_trailer_len(const sspix_rfc4121 *ctx, int conf);
size_t sspix_rfc4121_mic_len(const sspix_rfc4121 *ctx);

/* As gss_wrap_iov_length: sets the lengths of HEADER, PADDING and TRAILER. */
OM_uint32 sspix_rfc4121_wrap_length(sspix_rfc4121 *ctx, int conf, gss_qop_t qop, int *conf_state,
                                    gss_iov_buffer_desc *iov, size_t n);

/* As gss_wrap_iov: HEADER (and TRAILER) must be at least as long as
 * wrap_length says; their lengths are set to what was written. */
OM_uint32 sspix_rfc4121_wrap(sspix_rfc4121 *ctx, int conf, gss_qop_t qop, int *conf_state, gss_iov_buffer_desc *iov,
                             size_t n);

/* As gss_unwrap_iov. conf_state and qop_state may be NULL. */
OM_uint32 sspix_rfc4121_unwrap(sspix_rfc4121 *ctx, int *conf_state, gss_qop_t *qop_state, gss_iov_buffer_desc *iov,
                               size_t n);

/* As gss_get_mic_iov: the MIC_TOKEN must hold mic_len bytes; its length is set. */
OM_uint32 sspix_rfc4121_get_mic(sspix_rfc4121 *ctx, gss_qop_t qop, gss_iov_buffer_desc *iov, size_t n);

/* As gss_verify_mic_iov. qop_state may be NULL. */
OM_uint32 sspix_rfc4121_verify_mic(sspix_rfc4121 *ctx, gss_qop_t *qop_state, gss_iov_buffer_desc *iov, size_t n);

/*
 * The whole state (role, keys, send sequence, receive window) for a context
 * blob, and back. export appends to w (0 or the writer's error). import reads
 * one exported state from r and creates a context (0, SSPIX_ERR_SHORT /
 * SSPIX_ERR_INVALID for bytes that are not one, or new()'s errors). The
 * exported bytes hold the keys: the caller protects and wipes them.
 */
SSPIX_WARN_UNUSED int sspix_rfc4121_export(const sspix_rfc4121 *ctx, sspix_writer *w);
SSPIX_WARN_UNUSED int sspix_rfc4121_import(sspix_reader *r, sspix_rfc4121 **out, const char **why);

/* ---- building blocks, exposed for their test vectors ---------------------- */

/* RFC 3961 n-fold of in (inlen > 0) to outlen bytes. */
void sspix_rfc4121_nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

/* The derived key of base (an AES key of enctype) for constant (usage | 0x99 /
 * 0xAA / 0x55, 5 bytes): DK of RFC 3961/3962, or the KDF of RFC 8009. out
 * gets *out_len bytes (at most 32). Returns 0 or SSPIX_ERR_INVALID /
 * SSPIX_ERR_STATE. */
SSPIX_WARN_UNUSED int sspix_rfc4121_derive(int32_t enctype, const uint8_t *base, size_t base_len,
                                           const uint8_t constant[5], uint8_t *out, size_t *out_len);

/* AES-CBC-CTS (CS3, RFC 3962) with a zero IV over len >= 16 bytes in place,
 * the bytes taken as the concatenation of nseg segments. Returns 0 or
 * SSPIX_ERR_INVALID / SSPIX_ERR_STATE. */
struct sspix_rfc4121_seg {
    uint8_t *p;
    size_t len;
};
SSPIX_WARN_UNUSED int sspix_rfc4121_cts(const uint8_t *key, size_t key_len, int encrypt, struct sspix_rfc4121_seg *segs,
                                        size_t nseg);

#endif /* SSPIX_PACKAGES_RFC4121_H */
