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

#include "packages/krb5_token.h"
#include "packages/package.h"

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

struct gss_cred {
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
};

struct gss_ctx {
    const struct sspix_package *pkg;
    gss_ctx_id_t ctx;
    gss_name_t target;   /* initiator: the imported target name */
    gss_name_t peer;     /* acceptor: the client's name */
    gss_OID mech;        /* the mechanism that authenticated (static storage) */
    OM_uint32 gss_flags; /* as last returned by GSSAPI */
    ULONG attrs;         /* ISC_RET_* / ASC_RET_* */
    int server;
    int established;
    int exported;   /* handed to ExportSecurityContext: unusable here */
    int ntlm_cred;  /* Negotiate acceptor: accepting with gss_cred.ncred */
    int64_t start;  /* Unix seconds */
    int64_t expiry; /* Unix seconds, INT64_MAX for never */
    /* NTLM's handshake as the token checks saw it (ntlm.c): an NTLM message
     * went by, and the NegotiateFlags of the CHALLENGE sent or received. */
    int ntlm_seen;
    uint32_t ntlm_flags;
    /* Kerberos, once established: the per-message token format of the key
     * that protects messages (krb5_token.h); krb5_known is 0 until learnt. */
    int krb5_known;
    struct sspix_krb5_format krb5;
};

#endif
