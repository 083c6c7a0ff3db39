/* SPDX-License-Identifier: MIT */
/*
 * ctx_blob.h - the packed form of an exported context
 * (ExportSecurityContext / ImportSecurityContextA) and the package operations
 * behind them.
 *
 * A blob is authenticated, not merely parsed: it ends in an
 * HMAC-SHA-384-192 (MIT krb5's RFC 8009 checksum, krb5_c_make_checksum) over
 * everything before it, under the process's export key. The key is random
 * per process, made when the library is loaded, so processes created by fork
 * share it; sspix_ctx_blob_set_key() replaces it with a caller's key for
 * unrelated processes of equal trust. A blob whose MAC does not verify is
 * refused before any byte of it is parsed or reaches GSSAPI.
 *
 * Layout, integers big-endian:
 *   "SSPIXCTX" | u32 version (3) | nonce[16] | u64 export time (Unix ns) |
 *   u32 package id | u32 role (0 client, 1 server, 2 server accepted by the
 *   native Kerberos acceptor) | i64 start | i64 expiry
 *   (Unix seconds) | u8 mech length (1..32) | mech OID | u32 token length
 *   (1..SSPIX_CTX_BLOB_MAX_TOKEN) | gss_export_sec_context's token |
 *   u16 protection state length (0..SSPIX_CTX_BLOB_MAX_PROTECT) | the state
 *   of a context whose messages rfc4121.c protects (sspix_rfc4121_export:
 *   keys and sequence numbers, which the GSSAPI token then lacks) | MAC[24]
 *
 * Role 2 (krb5_accept.h) has no GSSAPI context: its token is sspix's own,
 * u32 GSS flags | u16 length | client principal | u16 length | server
 * principal | i32 enctype | u8 length (1..32) | the SSPI session key, and
 * the protection state is required (the imported context's flags, names and
 * times are then the blob's, which its MAC vouches for).
 *
 * Each nonce is imported at most once per process (a bounded set; a blob
 * older than every nonce the set still remembers is refused as unverifiable).
 * Flags, role and lifetime of an imported context come from GSSAPI
 * (gss_inquire_context), not from the blob; NTLM never claims mutual
 * authentication; the blob's times are range-checked and only ever shorten
 * what GSSAPI reports.
 */
#ifndef SSPIX_PACKAGES_CTX_BLOB_H
#define SSPIX_PACKAGES_CTX_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "packages/package.h"

#define SSPIX_CTX_BLOB_KEY_BYTES   32u
#define SSPIX_CTX_BLOB_NONCE       16u
#define SSPIX_CTX_BLOB_MAC         24u
#define SSPIX_CTX_BLOB_MAX_TOKEN   (64u * 1024u)
#define SSPIX_CTX_BLOB_MAX_MECH    32u
#define SSPIX_CTX_BLOB_MAX_PROTECT 256u
/* Fixed part before the mech OID: magic, version, nonce, time, package, role, start, expiry, mech length. */
#define SSPIX_CTX_BLOB_FIXED (8u + 4u + SSPIX_CTX_BLOB_NONCE + 8u + 4u + 4u + 8u + 8u + 1u)
/* Smallest and largest whole blobs (with the MAC). */
#define SSPIX_CTX_BLOB_MIN (SSPIX_CTX_BLOB_FIXED + 1u + 4u + 1u + 2u + SSPIX_CTX_BLOB_MAC)
#define SSPIX_CTX_BLOB_MAX                                                                                             \
    (SSPIX_CTX_BLOB_FIXED + SSPIX_CTX_BLOB_MAX_MECH + 4u + SSPIX_CTX_BLOB_MAX_TOKEN + 2u +                             \
     SSPIX_CTX_BLOB_MAX_PROTECT + SSPIX_CTX_BLOB_MAC)

/* A decoded blob body; the pointers point into the decoded bytes. */
struct sspix_ctx_blob {
    uint8_t nonce[SSPIX_CTX_BLOB_NONCE];
    uint64_t exported_ns;
    uint32_t package;
    uint32_t role; /* 0 client, 1 server, 2 server accepted natively */
    int64_t start;
    int64_t expiry;
    const uint8_t *mech;
    uint8_t mech_len;
    const uint8_t *token;
    uint32_t token_len;
    const uint8_t *protect; /* rfc4121.c's state, or NULL with protect_len 0 */
    uint16_t protect_len;
};

/* The package operations (sspix_package_ops.export_ctx / import_ctx). */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ctx_export(void *ctx, uint8_t **blob, size_t *len);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ctx_import(const struct sspix_package *pkg, const uint8_t *blob, size_t len,
                                                  void **ctx);

/* Replaces the process's export key with key[SSPIX_CTX_BLOB_KEY_BYTES]
 * (copied), or, with key NULL and len 0, restores the key made at load time.
 * SEC_E_INVALID_PARAMETER for any other length. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ctx_blob_set_key(const void *key, size_t len);

/* Parses a body (the blob without its MAC) strictly: every field bounded,
 * nothing trailing. No MAC check, no GSSAPI: the decoder alone, for the
 * import path after the MAC and for fuzzing. SEC_E_OK or SEC_E_INVALID_TOKEN
 * with a message. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ctx_blob_decode(const uint8_t *body, size_t len, struct sspix_ctx_blob *out);

/* Appends b's body (no MAC) to w: 0 or a negative SSPIX_ERR_*. It takes
 * exactly sspix_ctx_blob_body_len(b) bytes. */
SSPIX_MUST_CHECK int sspix_ctx_blob_encode(sspix_writer *w, const struct sspix_ctx_blob *b);
size_t sspix_ctx_blob_body_len(const struct sspix_ctx_blob *b);

/* Writes the MAC of blob[0, body_len) under the current key into
 * blob[body_len, body_len + SSPIX_CTX_BLOB_MAC). Used by export, and by the
 * fuzz target to reach the decoder and GSSAPI's import with mutated bodies. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ctx_blob_seal(uint8_t *blob, size_t body_len);

/* Forgets every nonce imported so far (fuzzing only: lets one process import
 * the same mutated body repeatedly). */
void sspix_ctx_blob_forget_imports(void);

#endif
