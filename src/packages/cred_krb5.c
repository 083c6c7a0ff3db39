/* SPDX-License-Identifier: MIT */
/*
 * cred_krb5.c - the Kerberos package's credentials: the krb5 mechanism
 * alone, from a ticket cache, a keytab or a password.
 */
#include "packages/cred.h"

#include <gssapi/gssapi.h>

#include <string.h>

#include "sspi/status.h"

static SECURITY_STATUS krb5_acquire(struct sspix_acquire *a, struct sspix_gss_cred *c, TimeStamp *expiry)
{
    OM_uint32 major, minor, lifetime = 0;
    SEC_GUARD(sspix_cred_prepare(a, c));
    gss_buffer_desc pw = {a->ident ? strlen(a->id.password) : 0, a->id.password};
    major = sspix_acquire_one(&minor, a->name, a->ident ? &pw : NULL, a->store, NULL, &sspix_mechs_krb5, a->usage,
                              &c->cred, &lifetime);
    if (GSS_ERROR(major))
        return sspix_cred_failed(a, major, minor, 1, NULL);
    sspix_cred_expiry(a, lifetime, expiry);
    return SEC_E_OK;
}

const struct sspix_cred_ops sspix_cred_krb5 = {
    .acquire = krb5_acquire,
    .name = sspix_cred_gss_name,
    .ticket_mechs = &sspix_mechs_krb5,
    .ticket_copyable = 1,
};
