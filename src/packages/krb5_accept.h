/* SPDX-License-Identifier: MIT */
/*
 * krb5_accept.h - the native Kerberos acceptor: an RFC 4121 initial context
 * token accepted on libkrb5's own calls (krb5_rd_req, krb5_mk_rep) on one
 * long-lived krb5_context per credential, without MIT's GSSAPI layer.
 *
 * Why: per handshake, MIT's gss_accept_sec_context makes a krb5_context (and
 * MIT's name and lucid-context calls around it make more), goes through the
 * mechglue, and leaves the keys inside a context from which sspix takes them
 * out again (export, import, lucid export) for its own message protection.
 * Here the keys go straight to rfc4121.c and the names are read once.
 *
 * What it takes: exactly what an ordinary RFC 4121 initiator sends (MIT,
 * Heimdal, Windows SSPI without delegation), raw or as SPNEGO's optimistic
 * token (see sspix_krb5_native_accept): an InitialContextToken with the
 * krb5 OID 1.2.840.113554.1.2.2 and TOK_ID 01 00 around an AP-REQ whose
 * authenticator checksum is the 24-byte 0x8003 form (no delegated
 * credential, no extension), not DCE style, not user-to-user, with an AES
 * session or sub key (enctypes 17-20). Everything else is declined, and so is
 * every token libkrb5 refuses: the caller then gives the same token to MIT's
 * gss_accept_sec_context, which accepts it or reports why not in MIT's own
 * words. Declining is always safe because credentials that use this acceptor
 * keep replays out of MIT's replay cache (SSPIX_AUTH_STORE_REPLAY_IN_PROCESS:
 * the caller checks and records the authenticator itself), so a token seen
 * here and then by MIT is seen once by each, and never recorded twice.
 *
 * What a context accepted here has is what MIT's acceptor gives the same
 * token (tests/integration/test_krb5_native.c compares both on the same
 * tokens): the flags of the checksum (masked as MIT masks them) plus
 * GSS_C_TRANS_FLAG, and GSS_C_PROT_READY_FLAG with mutual authentication; an
 * AP-REP with a fresh acceptor subkey and sequence number when mutual
 * authentication was asked for; MIT's expiry (the ticket's end time); the
 * client and server principals as krb5_unparse_name writes them.
 *
 * Thread safety: an acceptor may be used from any thread; one mutex per
 * acceptor serialises its krb5_context (MIT holds its credential's lock for
 * the whole gss_accept_sec_context in the same way).
 */
#ifndef SSPIX_PACKAGES_KRB5_ACCEPT_H
#define SSPIX_PACKAGES_KRB5_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"
#include "packages/rfc4121.h"

struct sspix_krb5_acceptor;

/* The keys and sequence numbers of an accepted context, for rfc4121.c; made
 * into its context on the first message (sspix_krb5_native_protection), as
 * MIT's contexts are adopted on theirs, so that a connection that sends none
 * derives no per-message key. */
struct sspix_krb5_native_keys {
    uint32_t gss_flags;
    uint64_t send_seq, recv_seq;
    int have_acceptor_subkey;
    int32_t enctype[2]; /* [0] the initiator's subkey (or the session key), [1] the acceptor subkey */
    size_t len[2];
    uint8_t key[2][32];
};

/* rfc4121.c's context for k (sspix_rfc4121_new's result and *why). */
SSPIX_WARN_UNUSED int sspix_krb5_native_protection(const struct sspix_krb5_native_keys *k, sspix_rfc4121 **out,
                                                   const char **why);

/* What one accepted token gives; the caller owns every pointer. */
struct sspix_krb5_accepted {
    uint32_t gss_flags;    /* GSS_C_* as MIT's acceptor reports them */
    int64_t endtime;       /* the ticket's end, Unix seconds */
    char *client, *server; /* principals, krb5_unparse_name form (malloc) */
    uint8_t *out;          /* the AP-REP token (malloc), NULL without mutual authentication */
    size_t out_len;
    struct sspix_krb5_native_keys *keys; /* message protection's keys (malloc) */
};

/*
 * An acceptor for keytab (a krb5 keytab name; NULL: the default keytab, as
 * KRB5_KTNAME says) and principal (NULL: any principal in the keytab, as
 * MIT's nameless acceptor credential). NULL when it cannot be made (the
 * caller then accepts with GSSAPI alone) or when SSPIX_KRB5_ACCEPTOR=gssapi
 * is set in the environment (the operator's way back to MIT's acceptor).
 */
struct sspix_krb5_acceptor *sspix_krb5_acceptor_new(const char *keytab, const char *principal);
void sspix_krb5_acceptor_free(struct sspix_krb5_acceptor *a);

/*
 * Accepts the client's first token. 1: accepted, *out filled (free it with
 * sspix_krb5_accepted_clear); 0: declined (see above), *out untouched, nothing
 * to free. Never records an error message: a declined token's errors are
 * GSSAPI's to report.
 *
 * spnego (a Negotiate acceptor): also a framed SPNEGO NegTokenInit whose
 * first mechanism is Kerberos (1.2.840.113554.1.2.2, or Microsoft's
 * 1.2.840.48018.1.2.2) with an optimistic mechToken of the kind above and no
 * mechListMIC: the exchange MIT's SPNEGO acceptor completes in one step. The
 * reply is then MIT's for it, NegTokenResp { accept-completed, supportedMech
 * as the initiator spelled it, the AP-REP }, and the flags lose
 * GSS_C_PROT_READY_FLAG as MIT's SPNEGO reports them. Any other SPNEGO token
 * is declined (MIT negotiates, asks for or checks mechListMICs).
 */
int sspix_krb5_native_accept(struct sspix_krb5_acceptor *a, const uint8_t *tok, size_t len, int spnego,
                             struct sspix_krb5_accepted *out);

/* Frees what *r holds and wipes its keys; r is then empty. */
void sspix_krb5_accepted_clear(struct sspix_krb5_accepted *r);
void sspix_krb5_native_keys_free(struct sspix_krb5_native_keys *k);

/* The AP-REQ inside an InitialContextToken with the standard krb5 OID and
 * TOK_ID 01 00 (exactly: nothing after it): 0 and *ap_req / *ap_req_len, or
 * SSPIX_ERR_INVALID. Exposed for the fuzz target and the unit test. */
SSPIX_WARN_UNUSED int sspix_krb5_initial_token(const uint8_t *tok, size_t len, const uint8_t **ap_req,
                                               size_t *ap_req_len);

#endif /* SSPIX_PACKAGES_KRB5_ACCEPT_H */
