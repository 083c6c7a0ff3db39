/* SPDX-License-Identifier: MIT */
/*
 * mech.c - the GSSAPI mechanisms the packages use, as static OIDs and sets.
 */
#include "packages/gss_internal.h"

#define KRB5_OID_BYTES   "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
#define SPNEGO_OID_BYTES "\x2b\x06\x01\x05\x05\x02"
#define NTLM_OID_BYTES   "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"

gss_OID_desc sspix_oid_krb5 = {9, (void *)KRB5_OID_BYTES};
gss_OID_desc sspix_oid_spnego = {6, (void *)SPNEGO_OID_BYTES};
gss_OID_desc sspix_oid_ntlm = {10, (void *)NTLM_OID_BYTES};

static gss_OID_desc krb5_only_elems[] = {{9, (void *)KRB5_OID_BYTES}};
static gss_OID_desc spnego_only_elems[] = {{6, (void *)SPNEGO_OID_BYTES}};
static gss_OID_desc spnego_krb5_elems[] = {{6, (void *)SPNEGO_OID_BYTES}, {9, (void *)KRB5_OID_BYTES}};
static gss_OID_desc ntlm_only_elems[] = {{10, (void *)NTLM_OID_BYTES}};
/* Kerberos first: SPNEGO proposes in this order. */
static gss_OID_desc krb5_ntlm_elems[] = {{9, (void *)KRB5_OID_BYTES}, {10, (void *)NTLM_OID_BYTES}};

gss_OID_set_desc sspix_mechs_krb5 = {1, krb5_only_elems};
gss_OID_set_desc sspix_mechs_spnego = {1, spnego_only_elems};
gss_OID_set_desc sspix_mechs_spnego_krb5 = {2, spnego_krb5_elems};
gss_OID_set_desc sspix_mechs_ntlm = {1, ntlm_only_elems};
gss_OID_set_desc sspix_mechs_krb5_ntlm = {2, krb5_ntlm_elems};

gss_OID sspix_package_mech(const struct sspix_package *pkg)
{
    switch (pkg->id) {
    case SSPIX_PKG_NEGOTIATE: return &sspix_oid_spnego;
    case SSPIX_PKG_NTLM: return &sspix_oid_ntlm;
    default: return &sspix_oid_krb5;
    }
}

gss_OID sspix_known_mech(const uint8_t *p, size_t n)
{
    gss_OID_desc probe = {(OM_uint32)n, (void *)p};
    if (sspix_oid_is(&probe, &sspix_oid_krb5))
        return &sspix_oid_krb5;
    if (sspix_oid_is(&probe, &sspix_oid_spnego))
        return &sspix_oid_spnego;
    if (sspix_oid_is(&probe, &sspix_oid_ntlm))
        return &sspix_oid_ntlm;
    return GSS_C_NO_OID;
}
