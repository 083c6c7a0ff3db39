/* SPDX-License-Identifier: MIT */
/*
 * keytab.c - an acceptor's keytab, checked before GSSAPI is asked for a
 * credential (so a missing or unreadable file is reported as such), and
 * copied into a private MEMORY keytab when the caller asks for the keys to
 * be read once (SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY).
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"

/*
 * An acceptor's keytab, checked before GSSAPI sees it: the error names the
 * keytab and the principal, and MIT's acquire (which leaks on this path) is
 * never asked for a key that is not there.
 */
SECURITY_STATUS sspix_check_keytab(const char *keytab_name, const char *principal)
{
    krb5_context k;
    krb5_keytab kt = NULL;
    krb5_principal want = NULL;
    krb5_kt_cursor cur;
    krb5_keytab_entry entry;
    char name[1024] = "";
    int found = 0, any = 0;
    krb5_error_code code;
    SECURITY_STATUS st = SEC_E_OK;

    if (krb5_init_context(&k) != 0)
        return SEC_E_OK; /* let GSSAPI report it */
    code = keytab_name ? krb5_kt_resolve(k, keytab_name, &kt) : krb5_kt_default(k, &kt);
    if (code == 0)
        code = krb5_kt_get_name(k, kt, name, sizeof(name));
    if (code == 0 && principal != NULL)
        code = krb5_parse_name(k, principal, &want);
    if (code == 0)
        code = krb5_kt_start_seq_get(k, kt, &cur);
    if (code != 0) {
        const char *msg = krb5_get_error_message(k, code);
        st = sspix_fail(SEC_E_NO_CREDENTIALS, "keytab %s unreadable (%s): check the path and its permissions",
                        name[0]       ? name
                        : keytab_name ? keytab_name
                                      : "(default)",
                        msg);
        krb5_free_error_message(k, msg);
        goto out;
    }
    while (!found && krb5_kt_next_entry(k, kt, &entry, &cur) == 0) {
        any = 1;
        if (want == NULL || krb5_principal_compare(k, entry.principal, want))
            found = 1;
        krb5_free_keytab_entry_contents(k, &entry);
    }
    krb5_kt_end_seq_get(k, kt, &cur);
    if (!any)
        st = sspix_fail(SEC_E_NO_CREDENTIALS,
                        "keytab %s is empty or missing: export the service key into it "
                        "(kadmin: ktadd -k FILE SPN)",
                        name);
    else if (!found) {
        char *p = NULL;
        krb5_unparse_name(k, want, &p);
        st = sspix_fail(SEC_E_NO_CREDENTIALS,
                        "keytab %s has no key for %s: add it (kadmin: ktadd -k FILE %s) or name "
                        "the right keytab",
                        name, p ? p : principal, p ? p : principal);
        krb5_free_unparsed_name(k, p);
    }
out:
    if (want != NULL)
        krb5_free_principal(k, want);
    if (kt != NULL)
        krb5_kt_close(k, kt);
    krb5_free_context(k);
    return st;
}

/*
 * SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY: read the keytab once (all of it, or the
 * entries of principal) into a MEMORY keytab private to c, and name that one
 * in c->mem_keytab_name for the acquisition. MIT's MEMORY keytabs are
 * process-global by name and live while a handle is open: c->mem_keytab is
 * closed in sspix_gss_free_cred, after the GSSAPI credential that also holds one.
 */
SECURITY_STATUS sspix_keytab_to_memory(struct sspix_gss_cred *c, const char *keytab_name, const char *principal)
{
    krb5_keytab src = NULL;
    krb5_principal want = NULL;
    krb5_kt_cursor cur;
    krb5_keytab_entry entry;
    unsigned char rnd[8];
    krb5_data rd = {0, sizeof(rnd), (char *)rnd};
    unsigned copied = 0;
    krb5_error_code code;

    if (c->kctx == NULL && (code = krb5_init_context(&c->kctx)) != 0)
        return sspix_fail(SEC_E_INTERNAL_ERROR, "krb5_init_context failed (%d): check KRB5_CONFIG", (int)code);
    /* A random name: a recycled pointer must never find a predecessor's keys. */
    if ((code = krb5_c_random_make_octets(c->kctx, &rd)) != 0)
        goto fail;
    snprintf(c->mem_keytab_name, sizeof(c->mem_keytab_name), "MEMORY:sspix-%p-%02x%02x%02x%02x%02x%02x%02x%02x",
             (void *)c, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if ((code = krb5_kt_resolve(c->kctx, c->mem_keytab_name, &c->mem_keytab)) != 0)
        goto fail;
    code = keytab_name ? krb5_kt_resolve(c->kctx, keytab_name, &src) : krb5_kt_default(c->kctx, &src);
    if (code == 0 && principal != NULL)
        code = krb5_parse_name(c->kctx, principal, &want);
    if (code == 0)
        code = krb5_kt_start_seq_get(c->kctx, src, &cur);
    if (code != 0)
        goto fail;
    while ((code = krb5_kt_next_entry(c->kctx, src, &entry, &cur)) == 0) {
        if (want == NULL || krb5_principal_compare(c->kctx, entry.principal, want)) {
            code = krb5_kt_add_entry(c->kctx, c->mem_keytab, &entry); /* copies the key */
            copied++;
        }
        krb5_free_keytab_entry_contents(c->kctx, &entry);
        if (code != 0)
            break;
    }
    krb5_kt_end_seq_get(c->kctx, src, &cur);
    if (code == KRB5_KT_END)
        code = copied > 0 ? 0 : KRB5_KT_NOTFOUND;
    if (code != 0)
        goto fail;
    if (want != NULL)
        krb5_free_principal(c->kctx, want);
    krb5_kt_close(c->kctx, src);
    return SEC_E_OK;

fail:;
    const char *msg = krb5_get_error_message(c->kctx, code);
    SECURITY_STATUS st = sspix_fail(SEC_E_NO_CREDENTIALS, "copying keytab %s into memory: %s",
                                    keytab_name ? keytab_name : "(default)", msg);
    krb5_free_error_message(c->kctx, msg);
    if (want != NULL)
        krb5_free_principal(c->kctx, want);
    if (src != NULL)
        krb5_kt_close(c->kctx, src);
    return st; /* c->mem_keytab, if resolved, goes with c */
}
