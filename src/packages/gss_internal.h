/* SPDX-License-Identifier: MIT */
/*
 * gss_internal.h - what the GSSAPI-backed package modules share: the
 * mechanism OIDs and sets, and the credential and context objects behind a
 * package's void pointers. Private to src/packages/.
 */
#ifndef SSPIX_PACKAGES_GSS_INTERNAL_H
#define SSPIX_PACKAGES_GSS_INTERNAL_H

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>
#include <stdint.h>
#include <string.h>

#include "packages/gss_core.h"
#include "packages/krb5_accept.h"
#include "packages/krb5_token.h"
#include "packages/package.h"
#include "packages/rfc4121.h"

/* ---- mechanisms (static storage, mech.c) --------------------------------- */

extern gss_OID_desc sspix_oid_krb5;   /* 1.2.840.113554.1.2.2 */
extern gss_OID_desc sspix_oid_spnego; /* 1.3.6.1.5.5.2 */
extern gss_OID_desc sspix_oid_ntlm;   /* 1.3.6.1.4.1.311.2.2.10 (gss-ntlmssp) */

extern gss_OID_set_desc sspix_mechs_krb5;        /* { krb5 } */
extern gss_OID_set_desc sspix_mechs_spnego;      /* { spnego } */
extern gss_OID_set_desc sspix_mechs_spnego_krb5; /* { spnego, krb5 }: Negotiate's acceptor takes raw Kerberos */
extern gss_OID_set_desc sspix_mechs_ntlm;        /* { ntlm } */
extern gss_OID_set_desc sspix_mechs_krb5_ntlm;   /* what SPNEGO may negotiate when NTLM is allowed */

static inline int sspix_oid_is(const gss_OID a, const gss_OID_desc *b)
{
    return a != GSS_C_NO_OID && a->length == b->length && memcmp(a->elements, b->elements, b->length) == 0;
}

static inline int sspix_mech_is_ntlm(const gss_OID mech)
{
    return sspix_oid_is(mech, &sspix_oid_ntlm);
}

/* The mechanism a package asks GSSAPI for. */
gss_OID sspix_package_mech(const struct sspix_package *pkg);

/* The static OID equal to these bytes among krb5, SPNEGO and NTLM, or GSS_C_NO_OID. */
gss_OID sspix_known_mech(const uint8_t *p, size_t n);

/* ---- objects ------------------------------------------------------------- */

struct sspix_gss_cred {
    const struct sspix_package *pkg;
    gss_cred_id_t cred;
    ULONG use;
    /* Negotiate with a password: the TGT lives in this private MEMORY ccache,
     * destroyed with the credential. */
    krb5_context kctx;
    krb5_ccache mem_ccache;
    /* Acceptor with SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY: the keys copied into a
     * private MEMORY keytab (MIT frees one when its last handle closes: this
     * one, and the GSSAPI credential's own). */
    krb5_keytab mem_keytab;
    char mem_keytab_name[64];
    /* Negotiate initiator: the Kerberos credential acquired first, so that a
     * missing ticket is reported as Kerberos says it, not as "SPNEGO cannot
     * find mechanisms". Kept for the credential's lifetime. */
    gss_cred_id_t kcred;
    /* Negotiate acceptor with NTLM allowed: a second SPNEGO credential that
     * negotiates NTLM only, with gss-ntlmssp's server credential (which must
     * carry a server name to carry the users file, and so cannot share one
     * acquisition with Kerberos' nameless any-principal acceptor). */
    gss_cred_id_t ncred;
    /* NTLM: the account this credential speaks for, as DOMAIN\user (NULL for
     * gss-ntlmssp's defaults), so that no query has to ask gss-ntlmssp about
     * a nameless credential. */
    char *ntlm_name;
    /* NTLM acceptor: the users file gss-ntlmssp reads at each logon (NULL:
     * NTLM_USER_FILE or winbind), to tell a vanished file from an unknown
     * user, which gss-ntlmssp reports alike (ENOENT). */
    char *ntlm_users_file;
    /* Acceptor with SSPIX_AUTH_STORE_REPLAY_IN_PROCESS: Kerberos
     * authenticators are checked against the process's replay set
     * (replay.h) and MIT's replay cache is off ("none:"). */
    int replay_in_process;
    /* Such an acceptor's native Kerberos acceptor (krb5_accept.h), or NULL. */
    struct sspix_krb5_acceptor *native;
};

struct sspix_gss_ctx {
    const struct sspix_package *pkg;
    gss_ctx_id_t ctx;
    gss_name_t target;   /* initiator: the imported target name */
    gss_OID mech;        /* the mechanism that authenticated (static storage) */
    OM_uint32 gss_flags; /* as last returned by GSSAPI */
    ULONG attrs;         /* ISC_RET_* / ASC_RET_* */
    int server;
    int established;
    int exported;   /* handed to ExportSecurityContext: unusable here */
    int ntlm_cred;  /* Negotiate acceptor: accepting with sspix_gss_cred.ncred */
    int64_t start;  /* Unix seconds */
    int64_t expiry; /* Unix seconds, INT64_MAX for never */
    /* NTLM acceptor: a copy of sspix_gss_cred.ntlm_users_file. */
    char *ntlm_users_file;
    /* Acceptor: the credential the client delegated (Kerberos: its
     * forwarded TGT), kept for the context's lifetime. */
    gss_cred_id_t deleg;
    /* Channel bindings last given (has_cb), their bytes in cb_mem. */
    int has_cb;
    struct gss_channel_bindings_struct cb;
    uint8_t *cb_mem;
    /* NTLM's handshake as the token checks saw it (ntlm.c): an NTLM message
     * went by, and the NegotiateFlags of the CHALLENGE sent or received. */
    int ntlm_seen;
    uint32_t ntlm_flags;
    /* Kerberos, once established: the per-message token format of the key
     * that protects messages (krb5_token.h); krb5_known is 0 until learnt. */
    int krb5_known;
    struct sspix_krb5_format krb5;
    /* Message protection, chosen once the mechanism is known (NULL before). */
    const struct sspix_protect_ops *protect;
    /* Kerberos with an AES key: RFC 4121 on OpenSSL once adopted
     * (protect_rfc4121.c); ctx then answers queries only. r4_declined: the
     * context stays on MIT's per-message calls. */
    struct sspix_rfc4121 *r4;
    int r4_declined;
    /* Display forms of the client's and the server's names, fetched from
     * GSSAPI on the first query that needs them (NULL before). */
    char *client_name, *server_name;
    /* Acceptor checking replays in process: the tag of the authenticator of
     * the AP-REQ seen, recorded in the replay set when the context completes. */
    int replay_in_process;
    int has_replay_tag;
    uint8_t replay_tag[16];
    /* Accepted by the native Kerberos acceptor: ctx is GSS_C_NO_CONTEXT, the
     * names are set, r4 protects messages (made from native_keys, then
     * freed, on the first message or export), and the key SSPI reports as
     * the session key (the acceptor subkey, else the subkey) is kept here. */
    int native;
    struct sspix_krb5_native_keys *native_keys;
    int32_t native_enctype;
    size_t native_key_len;
    uint8_t native_key[32];
};

/* ---- message protection: one implementation per mechanism ----------------- */

/*
 * A context's protection operations, picked when the context is established
 * (BearSSL-style: the record layer is chosen once the cipher is known). The
 * dispatcher serialises calls per context; `c` is established and not
 * exported (gss_core.c checks both). prepare, if set, runs before each call
 * and may cache what it learns in c.
 */
struct sspix_protect_ops {
    SECURITY_STATUS (*prepare)(struct sspix_gss_ctx *c);
    SECURITY_STATUS (*encrypt)(struct sspix_gss_ctx *c, ULONG qop, PSecBufferDesc msg);
    SECURITY_STATUS (*decrypt)(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop);
    SECURITY_STATUS (*sign)(struct sspix_gss_ctx *c, PSecBufferDesc msg);
    SECURITY_STATUS (*verify)(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop);
};

extern const struct sspix_protect_ops sspix_protect_krb5; /* protect_krb5.c */
extern const struct sspix_protect_ops sspix_protect_ntlm; /* protect_ntlm.c */

/* The protection for an established context's mechanism. */
const struct sspix_protect_ops *sspix_protect_for(gss_OID mech);

/* An established, not exported context with its protection chosen, or the
 * failure (SEC_E_NO_CONTEXT) with a message (gss_core.c). */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_ready(struct sspix_gss_ctx *c);

/* Kerberos: learn the per-message token format of an established context
 * (protect_krb5.c); quiet records no error. */
SECURITY_STATUS sspix_krb5_learn_format(struct sspix_gss_ctx *c, int quiet);

/* Kerberos per-message calls (protect_rfc4121.c): adopt an established AES
 * context into rfc4121.c (a no-op when it does not apply); then the GSSAPI
 * iov calls, answered by rfc4121.c for an adopted context and by MIT
 * otherwise; and a failure's status and message, with rfc4121's reason. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_krb5_adopt_rfc4121(struct sspix_gss_ctx *c);
OM_uint32 sspix_krb5_wrap_iov_length(struct sspix_gss_ctx *c, OM_uint32 *minor, int conf, gss_iov_buffer_desc *iov,
                                     size_t n);
OM_uint32 sspix_krb5_wrap_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, int conf, gss_iov_buffer_desc *iov, size_t n);
OM_uint32 sspix_krb5_unwrap_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, int *conf, gss_qop_t *qop,
                                gss_iov_buffer_desc *iov, size_t n);
OM_uint32 sspix_krb5_get_mic_iov_length(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_iov_buffer_desc *iov, size_t n);
OM_uint32 sspix_krb5_get_mic_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_iov_buffer_desc *iov, size_t n);
OM_uint32 sspix_krb5_verify_mic_iov(struct sspix_gss_ctx *c, OM_uint32 *minor, gss_qop_t *qop, gss_iov_buffer_desc *iov,
                                    size_t n);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_krb5_call_fail(struct sspix_gss_ctx *c, const char *what, OM_uint32 major,
                                                      OM_uint32 minor, int message);

/* ---- names (names.c) --------------------------------------------------------- */

/* n bytes as a NUL-terminated malloc'ed string; NULL when out of memory. */
char *sspix_dup_bytes(const void *p, size_t n);
/* Display form of a name, malloc'ed; NULL on failure or GSS_C_NO_NAME. */
char *sspix_name_string(gss_name_t name);
/* pszTargetName (SPN or service@host) as a GSSAPI name. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_import_target(const char *target, gss_name_t *out);
/* A Kerberos principal name. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_import_principal(const char *principal, gss_name_t *out);
/* gss-ntlmssp names: a user or host-based name, an SPN as a host-based
 * server name, the acceptor's own name, and "DOMAIN\\user" of an identity. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ntlm_import(const char *text, size_t len, gss_OID type, gss_name_t *out);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ntlm_server_name(const char *principal, gss_name_t *out);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_ntlm_acceptor_name(gss_name_t *out);
char *sspix_ntlm_user_name(const SEC_WINNT_AUTH_IDENTITY_A *ident);

/* ---- credentials (cred.c, keytab.c) -------------------------------------------- */

SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_acquire(const struct sspix_package *pkg, const char *principal, ULONG use,
                                                   const void *auth_data, void **cred, TimeStamp *expiry);
void sspix_gss_free_cred(void *cred);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_query_cred(void *cred, ULONG attr, void *buffer);
/* Where default credentials would come from, for error messages. */
void sspix_describe_defaults(int initiate, const char *store_ccache, const char *store_keytab, char *out, size_t cap);
/* One gss_acquire_cred(_from|_with_password) with the store's locations. */
OM_uint32 sspix_acquire_one(OM_uint32 *minor, gss_name_t name, gss_buffer_t password, const SSPIX_AUTH_STORE_A *store,
                            const char *ntlm_file, gss_OID_set mechs, gss_cred_usage_t usage, gss_cred_id_t *out,
                            OM_uint32 *lifetime);
/* The keytab an acceptor will use exists, is readable and (with a principal)
 * holds its keys; and a private MEMORY copy of it (sspix_gss_cred.mem_keytab). */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_check_keytab(const char *keytab_name, const char *principal);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_keytab_to_memory(struct sspix_gss_cred *c, const char *keytab_name,
                                                        const char *principal);

/* Delegation: an outbound credential of pkg from the Kerberos tickets of
 * src (copied into a MEMORY ccache the new credential owns), the delegated
 * credential of a server context, and a copy of a credential made so. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_cred_from_tickets(const struct sspix_package *pkg, gss_cred_id_t src,
                                                             void **out, TimeStamp *expiry);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_delegated_cred(void *ctx, const struct sspix_package *pkg, void **cred,
                                                          TimeStamp *expiry);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_copy_cred(const struct sspix_package *pkg, void *cred, void **out,
                                                     TimeStamp *expiry);

/* ---- contexts (ctx.c, attrs.c) --------------------------------------------------- */

SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_init(const struct sspix_package *pkg, void *cred, void **ctx,
                                                const char *target, ULONG req, const uint8_t *in, size_t in_len,
                                                const struct sspix_bindings *cb, struct sspix_leg *leg);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_accept(const struct sspix_package *pkg, void *cred, void **ctx, ULONG req,
                                                  const uint8_t *in, size_t in_len, const struct sspix_bindings *cb,
                                                  struct sspix_leg *leg);
void sspix_gss_delete_ctx(void *ctx);
enum sspix_package_id sspix_gss_negotiated(void *ctx, int *complete);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_local_name(void *ctx, char **name);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_query_ctx(void *ctx, ULONG attr, void *buffer);
/* GSS flags <-> ISC_REQ/ISC_RET/ASC_RET flags. */
OM_uint32 sspix_isc_to_gss(ULONG req);
ULONG sspix_gss_to_attrs(OM_uint32 gss_flags, int server, int complete);
/* Lifetime in seconds from now as Unix seconds and a TimeStamp; skewed: an
 * acceptor's lifetime, from which MIT's clock-skew allowance is taken off. */
void sspix_expiry_from_lifetime(OM_uint32 lifetime, int skewed, int64_t now, int64_t *unix_out, TimeStamp *ts);

#endif
