/* SPDX-License-Identifier: MIT */
/*
 * package.h - the provider interface between the SSPI dispatcher and a
 * security package (BearSSL-style vtable: one struct of function pointers per
 * implementation, the object passed first).
 *
 * The dispatcher owns handles, SecBuffer plumbing for the handshake, output
 * allocation (ISC/ASC_REQ_ALLOCATE_MEMORY) and SecPkgInfo copies. A package
 * sees plain bytes for handshake tokens, and the caller's SecBufferDesc for
 * message protection, where the layout is the package's business.
 *
 * Every function that fails records its cause with sspix_fail() (see
 * sspi/errors.h) and returns the SEC_E_* status.
 */
#ifndef SSPIX_PACKAGES_PACKAGE_H
#define SSPIX_PACKAGES_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

/* Most bytes one handshake token may have; larger input is refused before
 * anything is copied (Windows' Kerberos maximum is 48,000; AD deployments
 * raise MaxTokenSize to 65,535 at most). */
#define SSPIX_MAX_HANDSHAKE_TOKEN (256u * 1024u)

enum sspix_package_id { SSPIX_PKG_NEGOTIATE = 0, SSPIX_PKG_KERBEROS = 1, SSPIX_PKG_NTLM = 2, SSPIX_PKG_COUNT };

struct sspix_package;
/* A package's own credential acquisition (packages/cred.h): opaque here. */
struct sspix_cred_ops;

/* One handshake leg's output: a malloc'ed token (NULL/0 when none), the
 * package-independent attribute flags, and the expiry. */
struct sspix_leg {
    uint8_t *out;
    size_t out_len;
    ULONG attrs;
    TimeStamp expiry;
};

/* Channel bindings from the caller's SECBUFFER_CHANNEL_BINDINGS (Windows'
 * SEC_CHANNEL_BINDINGS: a header of types, lengths and offsets, then the
 * bytes), as the dispatcher checked them: every range lies inside the
 * buffer. The pointers borrow the caller's buffer for the call only. */
struct sspix_bindings {
    ULONG initiator_type;
    const uint8_t *initiator;
    size_t initiator_len;
    ULONG acceptor_type;
    const uint8_t *acceptor;
    size_t acceptor_len;
    const uint8_t *app;
    size_t app_len;
};

/* clang-format 14 splits function-pointer members; keep this one by hand. */
/* clang-format off */
struct sspix_package_ops {
    /* principal: NULL or the caller's pszPrincipal. auth_data: NULL,
     * SEC_WINNT_AUTH_IDENTITY_A or SSPIX_AUTH_STORE_A. */
    SECURITY_STATUS (*acquire_cred)(const struct sspix_package *pkg, const char *principal, ULONG use,
                                    const void *auth_data, void **cred, TimeStamp *expiry);
    void (*free_cred)(void *cred);
    SECURITY_STATUS (*query_cred)(void *cred, ULONG attr, void *buffer);

    /* One leg. *ctx is NULL on the first call and set by the package; on
     * failure of the first call the package leaves it NULL (nothing to free).
     * cb: the leg's channel bindings, or NULL when the caller gave none (the
     * package keeps the last ones given for the legs that follow). */
    SECURITY_STATUS (*init_ctx)(const struct sspix_package *pkg, void *cred, void **ctx, const char *target,
                                ULONG req, const uint8_t *in, size_t in_len, const struct sspix_bindings *cb,
                                struct sspix_leg *leg);
    SECURITY_STATUS (*accept_ctx)(const struct sspix_package *pkg, void *cred, void **ctx, ULONG req,
                                  const uint8_t *in, size_t in_len, const struct sspix_bindings *cb,
                                  struct sspix_leg *leg);
    void (*delete_ctx)(void *ctx);

    /* Attributes other than PACKAGE_INFO / NEGOTIATION_INFO (the dispatcher's). */
    SECURITY_STATUS (*query_ctx)(void *ctx, ULONG attr, void *buffer);
    /* The package that actually authenticated (Kerberos inside Negotiate), and
     * whether the handshake is complete. */
    enum sspix_package_id (*negotiated)(void *ctx, int *complete);

    SECURITY_STATUS (*make_signature)(void *ctx, ULONG qop, PSecBufferDesc msg, ULONG seqno);
    SECURITY_STATUS (*verify_signature)(void *ctx, PSecBufferDesc msg, ULONG seqno, ULONG *qop);
    SECURITY_STATUS (*encrypt)(void *ctx, ULONG qop, PSecBufferDesc msg, ULONG seqno);
    SECURITY_STATUS (*decrypt)(void *ctx, PSecBufferDesc msg, ULONG seqno, ULONG *qop);

    /* The local account of a server context's client (malloc'ed). */
    SECURITY_STATUS (*local_name)(void *ctx, char **name);
    /* Serialises a complete context into a malloc'ed blob; the context is
     * unusable afterwards (GSSAPI exports destructively) but must still be
     * deleted with delete_ctx. */
    SECURITY_STATUS (*export_ctx)(void *ctx, uint8_t **blob, size_t *len);
    /* Rebuilds a context from export_ctx's blob, which comes from a caller
     * and is validated (bounds, versions) before use. */
    SECURITY_STATUS (*import_ctx)(const struct sspix_package *pkg, const uint8_t *blob, size_t len, void **ctx);

    /* Delegation. A complete server context's delegated credential as a new
     * outbound credential of pkg (NULL: the context's own package), which
     * the caller frees with pkg's free_cred; SEC_E_NO_CREDENTIALS when the
     * client delegated none. copy_cred: a new outbound credential of pkg
     * with the tickets of cred, one that delegated_cred made for Kerberos. */
    SECURITY_STATUS (*delegated_cred)(void *ctx, const struct sspix_package *pkg, void **cred, TimeStamp *expiry);
    SECURITY_STATUS (*copy_cred)(const struct sspix_package *pkg, void *cred, void **out, TimeStamp *expiry);
};
/* clang-format on */

struct sspix_package {
    enum sspix_package_id id;
    const char *name;
    const char *comment;
    ULONG capabilities; /* SECPKG_FLAG_* */
    USHORT version;
    USHORT rpcid;
    ULONG max_token;
    const struct sspix_package_ops *ops;
    const struct sspix_cred_ops *cred; /* how ops->acquire_cred acquires for this package */
};

/* The registry: packages in EnumerateSecurityPackages order. Immutable. */
const struct sspix_package *sspix_package_by_id(enum sspix_package_id id);
/* Case-insensitive, as Windows; NULL when unknown. */
const struct sspix_package *sspix_package_by_name(const char *name);

extern const struct sspix_package sspix_package_negotiate;
extern const struct sspix_package sspix_package_kerberos;
extern const struct sspix_package sspix_package_ntlm;

#endif
