/*
 * gss_core.c - SSPI packages over MIT krb5 GSSAPI.
 *
 * Credentials are acquired once and shared by every context (measured: 1.3x
 * faster than acquiring per handshake). Negotiate is MIT's SPNEGO mechanism
 * with its negotiable set pinned to Kerberos, so a credential never drags in
 * whatever other mechanism plugins the machine has installed; NTLM
 * (gss-ntlmssp) joins it only when the caller allows it (SSPIX_AUTH_STORE_A).
 * NTLM alone is the "NTLM" package.
 *
 * MessageSeqNo is ignored by every package: Kerberos and connection-oriented
 * NTLM number their messages themselves (callers pass 0, as Microsoft's
 * GSSAPI interoperability sample does); replayed and reordered messages are
 * still detected when sequence/replay detection was negotiated.
 */
#include "packages/gss_core.h"
#include "packages/ctx_blob.h"
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
#include <stddef.h>
#include <profile.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "packages/identity.h"
#include "sspi/errors.h"

/* ---- small helpers -------------------------------------------------------- */

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/*
 * MIT reports an acceptor context's lifetime with the clock-skew allowance added
 * (endtime + clockskew - now); SSPI reports the ticket's end. The allowance
 * is read once from the krb5 profile.
 */
static pthread_once_t skew_once = PTHREAD_ONCE_INIT;
static int64_t clockskew = 300;

static void read_clockskew(void)
{
    krb5_context k;
    profile_t profile;
    int v;
    if (krb5_init_context(&k) != 0)
        return;
    if (krb5_get_profile(k, &profile) == 0) {
        if (profile_get_integer(profile, "libdefaults", "clockskew", NULL, 300, &v) == 0 && v >= 0)
            clockskew = v;
        profile_release(profile);
    }
    krb5_free_context(k);
}

static void expiry_from_lifetime(OM_uint32 lifetime, int skewed, int64_t now, int64_t *unix_out, TimeStamp *ts)
{
    int64_t expiry = INT64_MAX;
    if (lifetime != GSS_C_INDEFINITE) {
        expiry = now + (int64_t)lifetime;
        if (skewed) {
            pthread_once(&skew_once, read_clockskew);
            expiry -= clockskew;
        }
    }
    if (unix_out != NULL)
        *unix_out = expiry;
    if (ts != NULL)
        sspix_unix_to_timestamp(expiry, ts);
}

/* Display form of a name, malloc'ed; NULL on failure. */
static char *name_string(gss_name_t name)
{
    OM_uint32 major, minor;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    if (name == GSS_C_NO_NAME)
        return NULL;
    major = gss_display_name(&minor, name, &buf, NULL);
    if (GSS_ERROR(major))
        return NULL;
    char *s = dup_bytes(buf.value, buf.length);
    gss_release_buffer(&minor, &buf);
    return s;
}

/*
 * SSPI callers name services as SPNs ("host/server.example.com",
 * "host/server@REALM", "svc/host/extra"); GSSAPI callers as "svc@host".
 * A two-part SPN without realm becomes a host-based name so that krb5.conf's
 * domain_realm mapping picks the realm, as a Windows client's referral would;
 * anything else with a '/' is a Kerberos principal name.
 */
static SECURITY_STATUS import_target(const char *target, gss_name_t *out)
{
    OM_uint32 major, minor;
    size_t len = target ? strnlen(target, 1025) : 0;
    if (len == 0)
        return sspix_fail(SEC_E_TARGET_UNKNOWN, "no target name: pass the service's SPN, e.g. host/server.example.com");
    if (len > 1024)
        return sspix_fail(SEC_E_TARGET_UNKNOWN, "target name longer than 1024 bytes");

    const char *slash = strchr(target, '/');
    char buf[1030];
    gss_buffer_desc in;
    gss_OID type;
    if (slash != NULL && strchr(slash + 1, '/') == NULL && strchr(target, '@') == NULL) {
        snprintf(buf, sizeof(buf), "%.*s@%s", (int)(slash - target), target, slash + 1);
        in.value = buf;
        in.length = strlen(buf);
        type = GSS_C_NT_HOSTBASED_SERVICE;
    } else if (slash != NULL) {
        in.value = (void *)target;
        in.length = len;
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    } else if (strchr(target, '@') != NULL) {
        in.value = (void *)target;
        in.length = len;
        type = GSS_C_NT_HOSTBASED_SERVICE;
    } else {
        in.value = (void *)target;
        in.length = len;
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    }
    major = gss_import_name(&minor, &in, type, out);
    if (GSS_ERROR(major)) {
        sspix_gss_fail("target name", major, minor, &sspix_oid_krb5);
        return sspix_fail_more(SEC_E_TARGET_UNKNOWN, "target \"%s\"", target);
    }
    return SEC_E_OK;
}

static SECURITY_STATUS import_principal(const char *principal, gss_name_t *out)
{
    OM_uint32 major, minor;
    size_t len = strnlen(principal, 1025);
    if (len == 0 || len > 1024)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "principal name empty or longer than 1024 bytes");
    gss_buffer_desc in = {len, (void *)principal};
    major = gss_import_name(&minor, &in, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, out);
    if (GSS_ERROR(major)) {
        SECURITY_STATUS st = sspix_gss_fail("principal name", major, minor, &sspix_oid_krb5);
        return sspix_fail_more(st, "principal \"%s\"", principal);
    }
    return SEC_E_OK;
}

/* ---- credentials ------------------------------------------------------- */

#define SSPIX_MAX_IDENTITY_FIELD 512u

struct identity {
    char *principal; /* user@REALM */
    char *password;
};

static void identity_clear(struct identity *id)
{
    free(id->principal);
    if (id->password != NULL) {
        explicit_bzero(id->password, strlen(id->password));
        free(id->password);
    }
    id->principal = id->password = NULL;
}

/* Bounds and encoding of a caller's SEC_WINNT_AUTH_IDENTITY_A. */
static SECURITY_STATUS identity_check(const SEC_WINNT_AUTH_IDENTITY_A *a)
{
    if (a->Flags != SEC_WINNT_AUTH_IDENTITY_ANSI)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION,
                          "SEC_WINNT_AUTH_IDENTITY Flags 0x%x: only SEC_WINNT_AUTH_IDENTITY_ANSI is supported",
                          (unsigned)a->Flags);
    if (a->UserLength == 0 || a->User == NULL)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY has no user name");
    if (a->UserLength > SSPIX_MAX_IDENTITY_FIELD || a->DomainLength > SSPIX_MAX_IDENTITY_FIELD ||
        a->PasswordLength > SSPIX_MAX_IDENTITY_FIELD)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY field longer than %u bytes",
                          SSPIX_MAX_IDENTITY_FIELD);
    if ((a->DomainLength > 0 && a->Domain == NULL) || (a->PasswordLength > 0 && a->Password == NULL))
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY has a length without a buffer");
    if (memchr(a->User, '\0', a->UserLength) != NULL ||
        (a->DomainLength && memchr(a->Domain, '\0', a->DomainLength) != NULL) ||
        (a->PasswordLength && memchr(a->Password, '\0', a->PasswordLength) != NULL))
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY length covers a NUL byte");
    return SEC_E_OK;
}

static SECURITY_STATUS identity_parse(const SEC_WINNT_AUTH_IDENTITY_A *a, struct identity *id)
{
    SECURITY_STATUS st;
    if ((st = identity_check(a)) != SEC_E_OK)
        return st;

    /* DOMAIN\user and user@REALM forms; a Windows domain is a realm in
     * capitals. */
    const char *user = (const char *)a->User;
    size_t ulen = a->UserLength;
    const char *backslash = memchr(user, '\\', ulen);
    const char *dom = (const char *)a->Domain;
    size_t dlen = a->DomainLength;
    if (backslash != NULL) {
        dom = user;
        dlen = (size_t)(backslash - user);
        ulen -= dlen + 1;
        user = backslash + 1;
    }
    size_t cap = ulen + dlen + 2;
    id->principal = malloc(cap);
    if (id->principal == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    memcpy(id->principal, user, ulen);
    size_t n = ulen;
    if (dlen > 0 && memchr(user, '@', ulen) == NULL) {
        id->principal[n++] = '@';
        for (size_t i = 0; i < dlen; i++)
            id->principal[n++] = (char)toupper((unsigned char)dom[i]);
    }
    id->principal[n] = '\0';
    id->password = dup_bytes(a->Password ? (const void *)a->Password : "", a->PasswordLength);
    if (id->password == NULL) {
        identity_clear(id);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    return SEC_E_OK;
}

/* Where the default credentials would come from, for error messages. */
static void describe_defaults(int initiate, const char *store_ccache, const char *store_keytab, char *out, size_t cap)
{
    krb5_context k;
    out[0] = '\0';
    if (initiate && store_ccache) {
        snprintf(out, cap, "%s", store_ccache);
        return;
    }
    if (!initiate && store_keytab) {
        snprintf(out, cap, "%s", store_keytab);
        return;
    }
    if (krb5_init_context(&k) != 0) {
        snprintf(out, cap, "the default location (krb5 configuration unreadable: check KRB5_CONFIG)");
        return;
    }
    if (initiate) {
        const char *cc = krb5_cc_default_name(k);
        snprintf(out, cap, "%s", cc ? cc : "(default ccache)");
    } else {
        char kt[512];
        if (krb5_kt_default_name(k, kt, sizeof(kt)) == 0)
            snprintf(out, cap, "%s", kt);
    }
    krb5_free_context(k);
}

static void core_free_cred(void *p)
{
    struct gss_cred *c = p;
    OM_uint32 minor;
    if (c == NULL)
        return;
    if (c->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->cred);
    if (c->kcred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->kcred);
    if (c->ncred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->ncred);
    if (c->mem_ccache != NULL)
        krb5_cc_destroy(c->kctx, c->mem_ccache);
    if (c->mem_keytab != NULL)
        krb5_kt_close(c->kctx, c->mem_keytab);
    if (c->kctx != NULL)
        krb5_free_context(c->kctx);
    free(c->ntlm_name);
    free(c);
}

/*
 * Negotiate from a password. MIT's SPNEGO would try the password with every
 * installed mechanism and report the last one's error (a plugin's "invalid
 * name" instead of Kerberos' "wrong password"). So Kerberos alone does the
 * AS exchange (once: no second failed logon), the TGT goes into a private
 * MEMORY ccache, and the SPNEGO credential is acquired from that.
 */
static OM_uint32 acquire_negotiate_password(OM_uint32 *minor, const char *principal, gss_name_t name,
                                            gss_buffer_t password, struct gss_cred *c, gss_cred_id_t *out,
                                            OM_uint32 *lifetime)
{
    gss_cred_id_t kcred = GSS_C_NO_CREDENTIAL;
    OM_uint32 major;
    krb5_error_code code;
    krb5_principal kp = NULL;

    major = gss_acquire_cred_with_password(minor, name, password, GSS_C_INDEFINITE, &sspix_mechs_krb5, GSS_C_INITIATE,
                                           &c->kcred, NULL, lifetime);
    if (GSS_ERROR(major))
        return major;
    kcred = c->kcred;
    if ((code = krb5_init_context(&c->kctx)) != 0 ||
        (code = krb5_cc_new_unique(c->kctx, "MEMORY", NULL, &c->mem_ccache)) != 0 ||
        (code = krb5_parse_name(c->kctx, principal, &kp)) != 0 ||
        (code = krb5_cc_initialize(c->kctx, c->mem_ccache, kp)) != 0) {
        if (kp != NULL)
            krb5_free_principal(c->kctx, kp);
        *minor = (OM_uint32)code;
        return GSS_S_FAILURE;
    }
    krb5_free_principal(c->kctx, kp);
    major = gss_krb5_copy_ccache(minor, kcred, c->mem_ccache);
    if (GSS_ERROR(major))
        return major;
    char ccname[256];
    snprintf(ccname, sizeof(ccname), "MEMORY:%s", krb5_cc_get_name(c->kctx, c->mem_ccache));
    gss_key_value_element_desc el = {"ccache", ccname};
    gss_key_value_set_desc kv = {1, &el};
    return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, &sspix_mechs_spnego, GSS_C_INITIATE, &kv, out, NULL,
                                 lifetime);
}

/*
 * An acceptor's keytab, checked before GSSAPI sees it: the error names the
 * keytab and the principal, and MIT's acquire (which leaks on this path) is
 * never asked for a key that is not there.
 */
static SECURITY_STATUS check_keytab(const char *keytab_name, const char *principal)
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
 * closed in core_free_cred, after the GSSAPI credential that also holds one.
 */
static SECURITY_STATUS copy_keytab_to_memory(struct gss_cred *c, const char *keytab_name, const char *principal)
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

/* One gss_acquire_cred* call: with a password, from a store, or defaults.
 * ntlm_file (an NTLM users/credentials file) goes into the store as
 * gss-ntlmssp's "ntlmssp_keyfile"; the krb5 mechanism ignores that key. */
static OM_uint32 acquire_one(OM_uint32 *minor, gss_name_t name, gss_buffer_t password, const SSPIX_AUTH_STORE_A *store,
                             const char *ntlm_file, gss_OID_set mechs, gss_cred_usage_t usage, gss_cred_id_t *out,
                             OM_uint32 *lifetime)
{
    gss_key_value_element_desc el[5];
    OM_uint32 n = 0;
    if (password != NULL)
        return gss_acquire_cred_with_password(minor, name, password, GSS_C_INDEFINITE, mechs, usage, out, NULL,
                                              lifetime);
    if (ntlm_file)
        el[n++] = (gss_key_value_element_desc){"ntlmssp_keyfile", ntlm_file};
    if (store != NULL) {
        if (store->Keytab)
            el[n++] = (gss_key_value_element_desc){"keytab", store->Keytab};
        if (store->Ccache)
            el[n++] = (gss_key_value_element_desc){"ccache", store->Ccache};
        if (store->ClientKeytab)
            el[n++] = (gss_key_value_element_desc){"client_keytab", store->ClientKeytab};
        if (store->ReplayCache)
            el[n++] = (gss_key_value_element_desc){"rcache", store->ReplayCache};
    }
    if (n > 0) {
        gss_key_value_set_desc kv = {n, el};
        return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, mechs, usage, &kv, out, NULL, lifetime);
    }
    return gss_acquire_cred(minor, name, GSS_C_INDEFINITE, mechs, usage, out, NULL, lifetime);
}

/*
 * NTLM names. An initiator is "DOMAIN\user" (gss-ntlmssp's user-name form);
 * an acceptor is a host-based service: SSPI's "svc/host[@REALM]" becomes
 * "svc@host", and none at all "host" on this machine.
 */
static SECURITY_STATUS ntlm_import(const char *text, size_t len, gss_OID type, gss_name_t *out)
{
    OM_uint32 major, minor;
    gss_buffer_desc in = {len, (void *)text};
    major = gss_import_name(&minor, &in, type, out);
    if (GSS_ERROR(major)) {
        SECURITY_STATUS st = sspix_gss_fail("NTLM name", major, minor, &sspix_oid_ntlm);
        return sspix_fail_more(st, "name \"%.*s\"", (int)(len > 256 ? 256 : len), text);
    }
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_server_name(const char *principal, gss_name_t *out)
{
    char buf[1030];
    size_t len = principal ? strnlen(principal, 1025) : 0;
    if (len > 1024)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "principal name longer than 1024 bytes");
    const char *slash = len ? strchr(principal, '/') : NULL;
    if (slash != NULL) {
        const char *host = slash + 1;
        size_t hlen = strcspn(host, "/@");
        snprintf(buf, sizeof(buf), "%.*s@%.*s", (int)(slash - principal), principal, (int)hlen, host);
    } else {
        snprintf(buf, sizeof(buf), "%s", len ? principal : "host");
    }
    return ntlm_import(buf, strlen(buf), GSS_C_NT_HOSTBASED_SERVICE, out);
}

/*
 * An NTLM acceptor's own name: the host-based name "@", which gss-ntlmssp
 * turns into this machine's host name without an SPN. (With an SPN in the
 * CHALLENGE's target info, gss-ntlmssp's initiator compares it with the bare
 * host name it was given and refuses every server; Windows' NTLM servers do
 * not send one either.) So pszPrincipal does not name an NTLM acceptor.
 */
static SECURITY_STATUS ntlm_acceptor_name(gss_name_t *out)
{
    return ntlm_import("@", 1, GSS_C_NT_HOSTBASED_SERVICE, out);
}

/* "DOMAIN\user" from a checked identity, unless the user field already has a
 * domain; malloc'ed, NULL when out of memory. */
static char *ntlm_user_name(const SEC_WINNT_AUTH_IDENTITY_A *ident)
{
    size_t cap = (size_t)ident->UserLength + ident->DomainLength + 2;
    char *user = malloc(cap);
    if (user == NULL)
        return NULL;
    if (memchr(ident->User, '\\', ident->UserLength) || ident->DomainLength == 0)
        snprintf(user, cap, "%.*s", (int)ident->UserLength, (const char *)ident->User);
    else
        snprintf(user, cap, "%.*s\\%.*s", (int)ident->DomainLength, (const char *)ident->Domain, (int)ident->UserLength,
                 (const char *)ident->User);
    return user;
}

/* The NTLM package's credential: gss-ntlmssp alone. */
static OM_uint32 acquire_ntlm(OM_uint32 *minor, const char *principal, gss_cred_usage_t usage,
                              const SSPIX_AUTH_STORE_A *store, const SEC_WINNT_AUTH_IDENTITY_A *ident,
                              gss_cred_id_t *out, SECURITY_STATUS *st)
{
    const char *file = store ? store->NtlmUsersFile : NULL;
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 major, m2;
    *st = SEC_E_OK;

    if (usage == GSS_C_BOTH) {
        *st = sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM credentials are inbound or outbound: gss-ntlmssp has no "
                                                  "SECPKG_CRED_BOTH; acquire two");
        return GSS_S_FAILURE;
    }
    if (usage == GSS_C_ACCEPT) {
        /* The users file travels with a server credential, which needs a
         * server name; without a file gss-ntlmssp reads NTLM_USER_FILE (or
         * asks winbind) at accept time. */
        if (file != NULL && (*st = ntlm_acceptor_name(&name)) != SEC_E_OK)
            return GSS_S_FAILURE;
        major = acquire_one(minor, name, NULL, NULL, file, &sspix_mechs_ntlm, usage, out, NULL);
    } else if (ident != NULL) {
        char *user, *pw;
        if ((*st = identity_check(ident)) != SEC_E_OK)
            return GSS_S_FAILURE;
        if ((user = ntlm_user_name(ident)) == NULL) {
            *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            return GSS_S_FAILURE;
        }
        *st = ntlm_import(user, strlen(user), GSS_C_NT_USER_NAME, &name);
        free(user);
        if (*st != SEC_E_OK)
            return GSS_S_FAILURE;
        pw = dup_bytes(ident->Password ? (const void *)ident->Password : "", ident->PasswordLength);
        if (pw == NULL) {
            gss_release_name(&m2, &name);
            *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            return GSS_S_FAILURE;
        }
        gss_buffer_desc pwbuf = {strlen(pw), pw};
        major = acquire_one(minor, name, &pwbuf, NULL, NULL, &sspix_mechs_ntlm, usage, out, NULL);
        explicit_bzero(pw, pwbuf.length);
        free(pw);
    } else {
        if (principal != NULL &&
            (*st = ntlm_import(principal, strnlen(principal, 1025), GSS_C_NT_USER_NAME, &name)) != SEC_E_OK)
            return GSS_S_FAILURE;
        major = acquire_one(minor, name, NULL, NULL, file, &sspix_mechs_ntlm, usage, out, NULL);
    }
    if (GSS_ERROR(major)) {
        *st = sspix_gss_fail("acquiring NTLM credentials", major, *minor, &sspix_oid_ntlm);
        if (*st == SEC_E_INTERNAL_ERROR || *st == SEC_E_UNKNOWN_CREDENTIALS)
            *st = SEC_E_NO_CREDENTIALS;
        if (usage == GSS_C_INITIATE && ident == NULL)
            sspix_fail_more(*st,
                            "no NTLM credentials in %s: name a file of DOMAIN:user:password lines "
                            "(SSPIX_AUTH_STORE_A.NtlmUsersFile or NTLM_USER_FILE), or pass a "
                            "SEC_WINNT_AUTH_IDENTITY",
                            file ? file : "NTLM_USER_FILE");
        else if (usage == GSS_C_ACCEPT)
            sspix_fail_more(*st, "NTLM acceptor with users file %s", file ? file : "(NTLM_USER_FILE)");
    }
    gss_release_name(&m2, &name);
    return major;
}

static SECURITY_STATUS core_acquire(const struct sspix_package *pkg, const char *principal, ULONG use,
                                    const void *auth_data, void **out, TimeStamp *expiry)
{
    OM_uint32 major, minor, lifetime = 0;
    gss_cred_usage_t usage;
    gss_name_t name = GSS_C_NO_NAME;
    struct identity id = {0};
    SSPIX_AUTH_STORE_A store_copy;
    const SSPIX_AUTH_STORE_A *store = NULL;
    const SEC_WINNT_AUTH_IDENTITY_A *ident = NULL;
    SEC_WINNT_AUTH_IDENTITY_A ident_copy;
    unsigned pkglist = 0;
    SECURITY_STATUS st;

    switch (use & ~(ULONG)(SECPKG_CRED_AUTOLOGON_RESTRICTED | SECPKG_CRED_PROCESS_POLICY_ONLY)) {
    case SECPKG_CRED_INBOUND: usage = GSS_C_ACCEPT; break;
    case SECPKG_CRED_OUTBOUND: usage = GSS_C_INITIATE; break;
    case SECPKG_CRED_BOTH: usage = GSS_C_BOTH; break;
    default:
        return sspix_fail(SEC_E_INVALID_PARAMETER,
                          "fCredentialUse 0x%x: use SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND or SECPKG_CRED_BOTH",
                          (unsigned)use);
    }

    if (auth_data != NULL) {
        uint64_t magic;
        memcpy(&magic, auth_data, sizeof(magic));
        if (magic == SSPIX_AUTH_STORE_MAGIC || magic == SSPIX_AUTH_STORE_MAGIC_V1) {
            /* A v1 structure ends at Identity: read no further. */
            memset(&store_copy, 0, sizeof(store_copy));
            memcpy(&store_copy, auth_data,
                   magic == SSPIX_AUTH_STORE_MAGIC ? sizeof(store_copy) : offsetof(SSPIX_AUTH_STORE_A, NtlmUsersFile));
            if (store_copy.NtlmUsersFile != NULL && strnlen(store_copy.NtlmUsersFile, 4097) > 4096)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "NtlmUsersFile is longer than 4096 bytes");
            if (store_copy.Flags & ~(ULONG)(SSPIX_AUTH_STORE_ALLOW_NTLM | SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY))
                return sspix_fail(SEC_E_INVALID_PARAMETER, "unknown SSPIX_AUTH_STORE_A Flags 0x%x",
                                  (unsigned)store_copy.Flags);
            store = &store_copy;
            auth_data = store->Identity;
        }
        if ((st = sspix_identity_recognise(auth_data, &ident_copy, &ident, &pkglist)) != SEC_E_OK)
            return st;
    }

    if (ident != NULL && usage == GSS_C_ACCEPT)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "a password credential can only be used outbound: an acceptor "
                                                      "needs a keytab (or, for NTLM, a users file)");

    struct gss_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    c->use = use;

    if (pkg->id == SSPIX_PKG_NTLM) {
        major = acquire_ntlm(&minor, principal, usage, store, ident, &c->cred, &st);
        if (GSS_ERROR(major)) {
            core_free_cred(c);
            return st;
        }
        if (ident != NULL || principal != NULL) {
            c->ntlm_name = ident ? ntlm_user_name(ident) : strdup(principal);
            if (c->ntlm_name == NULL) {
                core_free_cred(c);
                return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            }
        }
        sspix_unix_to_timestamp(INT64_MAX, expiry); /* NTLM credentials do not expire */
        *out = c;
        return SEC_E_OK;
    }

    /* Negotiate may add NTLM when the caller allows it. */
    int ntlm_ok = pkg->id == SSPIX_PKG_NEGOTIATE &&
                  ((store != NULL && (store->NtlmUsersFile != NULL || (store->Flags & SSPIX_AUTH_STORE_ALLOW_NTLM))) ||
                   (pkglist & SSPIX_PKGLIST_NTLM));
    if (pkglist & SSPIX_PKGLIST_NO_NTLM)
        ntlm_ok = 0;
    const char *ntlm_file = ntlm_ok && store != NULL ? store->NtlmUsersFile : NULL;
    /* "!Kerberos": Negotiate goes straight to NTLM, which the list must allow. */
    int no_krb5 = pkg->id == SSPIX_PKG_NEGOTIATE && (pkglist & SSPIX_PKGLIST_NO_KERBEROS);
    if (no_krb5 && (!ntlm_ok || usage != GSS_C_INITIATE || ident != NULL)) {
        core_free_cred(c);
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION,
                          !ntlm_ok ? "the PackageList excludes Kerberos and does not name NTLM: Negotiate has no "
                                     "package left"
                                   : "a PackageList without Kerberos is supported for outbound credentials without "
                                     "a password only");
    }

    if (ident != NULL) {
        if ((st = identity_parse(ident, &id)) != SEC_E_OK) {
            core_free_cred(c);
            return st;
        }
        st = import_principal(id.principal, &name);
    } else if (principal != NULL) {
        st = import_principal(principal, &name);
    } else {
        st = SEC_E_OK;
    }
    if (st != SEC_E_OK) {
        identity_clear(&id);
        core_free_cred(c);
        return st;
    }

    if (usage == GSS_C_ACCEPT && (st = check_keytab(store ? store->Keytab : NULL, principal)) != SEC_E_OK) {
        gss_release_name(&minor, &name);
        core_free_cred(c);
        return st;
    }
    /* Keys read now, once; the acquisition below names the copy (errors the file). */
    const char *keytab_shown = store ? store->Keytab : NULL;
    if (usage == GSS_C_ACCEPT && store != NULL && (store->Flags & SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY)) {
        if ((st = copy_keytab_to_memory(c, store->Keytab, principal)) != SEC_E_OK) {
            gss_release_name(&minor, &name);
            core_free_cred(c);
            return st;
        }
        store_copy.Keytab = c->mem_keytab_name;
    }

    gss_OID_set mechs = pkg->id == SSPIX_PKG_KERBEROS ? &sspix_mechs_krb5
                        : usage == GSS_C_INITIATE     ? &sspix_mechs_spnego
                                                      : &sspix_mechs_spnego_krb5;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    int krb5_usable = 1;
    if (pkg->id == SSPIX_PKG_NEGOTIATE && usage == GSS_C_INITIATE && ident != NULL) {
        gss_buffer_desc pw = {strlen(id.password), id.password};
        major = acquire_negotiate_password(&minor, id.principal, name, &pw, c, &cred, &lifetime);
    } else if (pkg->id == SSPIX_PKG_NEGOTIATE && usage == GSS_C_INITIATE) {
        /* Kerberos first: its errors are the ones worth reporting, unless
         * NTLM is allowed to stand in for it (no ticket: fall back). */
        major = no_krb5 ? GSS_S_UNAVAILABLE
                        : acquire_one(&minor, name, NULL, store, NULL, &sspix_mechs_krb5, usage, &c->kcred, &lifetime);
        if (GSS_ERROR(major) && ntlm_ok) {
            krb5_usable = 0;
            lifetime = GSS_C_INDEFINITE;
            major =
                acquire_one(&minor, GSS_C_NO_NAME, NULL, NULL, ntlm_file, &sspix_mechs_ntlm, usage, &c->kcred, NULL);
            if (!GSS_ERROR(major))
                major = acquire_one(&minor, GSS_C_NO_NAME, NULL, store, ntlm_file, mechs, usage, &cred, NULL);
        } else if (!GSS_ERROR(major)) {
            OM_uint32 ignored;
            major = acquire_one(&minor, name, NULL, store, ntlm_file, mechs, usage, &cred, &ignored);
        }
    } else if (pkg->id == SSPIX_PKG_NEGOTIATE && usage != GSS_C_INITIATE && ntlm_ok) {
        major = acquire_one(&minor, name, NULL, store, NULL, mechs, usage, &cred, &lifetime);
        if (!GSS_ERROR(major)) {
            gss_name_t at = GSS_C_NO_NAME;
            if (ntlm_file != NULL && (st = ntlm_acceptor_name(&at)) != SEC_E_OK) {
                gss_release_name(&minor, &name);
                gss_release_cred(&minor, &cred);
                core_free_cred(c);
                return st;
            }
            /* SPNEGO asks every mechanism for this credential. A keytab name
             * of no known type stops krb5 at once (before it builds an
             * acceptor principal from "@" and leaks it on the way out, MIT
             * 1.20); gss-ntlmssp ignores the key. */
            gss_key_value_element_desc el[2] = {{"keytab", "SSPIX-NTLM-ONLY:"}, {"ntlmssp_keyfile", ntlm_file}};
            gss_key_value_set_desc kv = {2, el};
            if (ntlm_file != NULL)
                major = gss_acquire_cred_from(&minor, at, GSS_C_INDEFINITE, &sspix_mechs_spnego, GSS_C_ACCEPT, &kv,
                                              &c->ncred, NULL, NULL);
            else /* SSPIX_AUTH_STORE_ALLOW_NTLM: gss-ntlmssp's defaults (NTLM_USER_FILE, winbind) */
                major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &sspix_mechs_spnego, GSS_C_ACCEPT,
                                         &c->ncred, NULL, NULL);
            gss_release_name(&minor, &at);
            if (!GSS_ERROR(major))
                major = gss_set_neg_mechs(&minor, c->ncred, &sspix_mechs_ntlm);
            if (GSS_ERROR(major)) {
                gss_release_cred(&minor, &cred);
                st = sspix_gss_fail("acquiring NTLM acceptor credentials", major, minor, &sspix_oid_ntlm);
                sspix_fail_more(st, "users file %s", ntlm_file ? ntlm_file : "(NTLM_USER_FILE)");
                gss_release_name(&minor, &name);
                core_free_cred(c);
                return st;
            }
        }
    } else {
        gss_buffer_desc pw = {ident ? strlen(id.password) : 0, id.password};
        major = acquire_one(&minor, name, ident ? &pw : NULL, store, ntlm_file, mechs, usage, &cred, &lifetime);
    }

    if (GSS_ERROR(major)) {
        char where[512];
        char *who = name_string(name);
        describe_defaults(usage == GSS_C_INITIATE, store ? store->Ccache : NULL, keytab_shown, where, sizeof(where));
        st = sspix_gss_fail("acquiring credentials", major, minor, krb5_usable ? &sspix_oid_krb5 : &sspix_oid_ntlm);
        if (!krb5_usable && (st == SEC_E_INTERNAL_ERROR || st == SEC_E_UNKNOWN_CREDENTIALS))
            st = SEC_E_NO_CREDENTIALS;
        if (ident != NULL)
            sspix_fail_more(st, "password logon of %s", id.principal);
        else if (!krb5_usable)
            sspix_fail_more(st, "no Kerberos ticket in %s and no NTLM credentials in %s", where,
                            ntlm_file ? ntlm_file : "NTLM_USER_FILE");
        else if (usage == GSS_C_INITIATE)
            sspix_fail_more(st, "no usable ticket for %s in %s: run kinit", who ? who : "the default principal", where);
        else
            sspix_fail_more(st, "no usable key for %s in keytab %s: check the keytab path, permissions and SPN",
                            who ? who : "any service principal", where);
        free(who);
        gss_release_name(&minor, &name);
        identity_clear(&id);
        core_free_cred(c);
        return st;
    }
    gss_release_name(&minor, &name);
    identity_clear(&id);
    c->cred = cred;

    if (pkg->id == SSPIX_PKG_NEGOTIATE) {
        /* Kerberos only, unless NTLM is allowed; NTLM alone when there is no
         * Kerberos ticket to offer. */
        gss_OID_set neg = !ntlm_ok || usage != GSS_C_INITIATE ? &sspix_mechs_krb5
                          : krb5_usable                       ? &sspix_mechs_krb5_ntlm
                                                              : &sspix_mechs_ntlm;
        major = gss_set_neg_mechs(&minor, cred, neg);
        if (GSS_ERROR(major)) {
            core_free_cred(c);
            return sspix_gss_fail("choosing Negotiate's mechanisms", major, minor, &sspix_oid_spnego);
        }
    }

    expiry_from_lifetime(usage == GSS_C_ACCEPT ? GSS_C_INDEFINITE : lifetime, 0, (int64_t)time(NULL), NULL, expiry);
    *out = c;
    return SEC_E_OK;
}

/*
 * A credential of gss-ntlmssp's defaults speaks for whoever runs the process,
 * as Windows' default credentials speak for the logon session: HOST\user,
 * the short host name in capitals standing for the local domain.
 */
static char *process_account_name(void)
{
    char host[256] = "LOCALHOST", buf[4096];
    struct passwd pw, *found = NULL;
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "LOCALHOST");
    host[sizeof(host) - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    for (char *h = host; *h; h++)
        *h = (char)toupper((unsigned char)*h);
    char out[256 + 1 + 256];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
        snprintf(out, sizeof(out), "%s\\%.256s", host, found->pw_name);
    else
        snprintf(out, sizeof(out), "%s\\%u", host, (unsigned)geteuid());
    return strdup(out);
}

static SECURITY_STATUS core_query_cred(void *p, ULONG attr, void *buffer)
{
    struct gss_cred *c = p;
    OM_uint32 major, minor;
    gss_name_t name = GSS_C_NO_NAME;

    if (attr != SECPKG_CRED_ATTR_NAMES)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "credential attribute %u is not supported", (unsigned)attr);
    if (c->pkg->id == SSPIX_PKG_NTLM) {
        /* gss-ntlmssp's gss_inquire_cred dereferences a missing name. */
        char *s = c->ntlm_name ? strdup(c->ntlm_name) : process_account_name();
        if (s == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        ((SecPkgCredentials_NamesA *)buffer)->sUserName = s;
        return SEC_E_OK;
    }
    major = gss_inquire_cred(&minor, c->cred, &name, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the credential", major, minor, &sspix_oid_krb5);
    if (name == GSS_C_NO_NAME)
        return sspix_fail(SEC_E_NO_CREDENTIALS, "this credential accepts for any principal in its keytab and has "
                                                "no single name: pass pszPrincipal to AcquireCredentialsHandle");
    char *s = name_string(name);
    gss_release_name(&minor, &name);
    if (s == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    ((SecPkgCredentials_NamesA *)buffer)->sUserName = s;
    return SEC_E_OK;
}

/* ---- flags -------------------------------------------------------------- */

static OM_uint32 isc_to_gss(ULONG req)
{
    OM_uint32 f = 0;
    if (req & ISC_REQ_DELEGATE)
        f |= GSS_C_DELEG_FLAG;
    if (req & ISC_REQ_MUTUAL_AUTH)
        f |= GSS_C_MUTUAL_FLAG;
    if (req & ISC_REQ_REPLAY_DETECT)
        f |= GSS_C_REPLAY_FLAG;
    if (req & ISC_REQ_SEQUENCE_DETECT)
        f |= GSS_C_SEQUENCE_FLAG;
    if (req & ISC_REQ_CONFIDENTIALITY)
        f |= GSS_C_CONF_FLAG;
    if (req & ISC_REQ_INTEGRITY)
        f |= GSS_C_INTEG_FLAG;
    if (req & ISC_REQ_USE_DCE_STYLE)
        f |= GSS_C_DCE_STYLE;
    if (req & ISC_REQ_IDENTIFY)
        f |= GSS_C_IDENTIFY_FLAG;
    return f;
}

/* The flags GSSAPI says were negotiated, in SSPI's terms. The mutual flag is
 * only reported once the context is complete: before that it is a request,
 * not a proof. */
static ULONG gss_to_attrs(OM_uint32 g, int server, int complete)
{
    ULONG a = 0;
    if (g & GSS_C_DELEG_FLAG)
        a |= server ? ASC_RET_DELEGATE : ISC_RET_DELEGATE;
    if ((g & GSS_C_MUTUAL_FLAG) && complete)
        a |= server ? ASC_RET_MUTUAL_AUTH : ISC_RET_MUTUAL_AUTH;
    if (g & GSS_C_REPLAY_FLAG)
        a |= server ? ASC_RET_REPLAY_DETECT : ISC_RET_REPLAY_DETECT;
    if (g & GSS_C_SEQUENCE_FLAG)
        a |= server ? ASC_RET_SEQUENCE_DETECT : ISC_RET_SEQUENCE_DETECT;
    if (g & GSS_C_CONF_FLAG)
        a |= server ? ASC_RET_CONFIDENTIALITY : ISC_RET_CONFIDENTIALITY;
    if (g & GSS_C_INTEG_FLAG)
        a |= server ? ASC_RET_INTEGRITY : ISC_RET_INTEGRITY;
    if (g & GSS_C_DCE_STYLE)
        a |= server ? ASC_RET_USED_DCE_STYLE : ISC_RET_USED_DCE_STYLE;
    if (g & GSS_C_IDENTIFY_FLAG)
        a |= server ? ASC_RET_IDENTIFY : ISC_RET_IDENTIFY;
    return a;
}

/* ---- contexts ------------------------------------------------------------ */

static void core_delete_ctx(void *p)
{
    struct gss_ctx *c = p;
    OM_uint32 minor;
    if (c == NULL)
        return;
    if (c->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
    if (c->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->target);
    if (c->peer != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->peer);
    free(c);
}

static SECURITY_STATUS take_output(gss_buffer_t out, struct sspix_leg *leg)
{
    OM_uint32 minor;
    leg->out = NULL;
    leg->out_len = 0;
    if (out->length == 0) {
        gss_release_buffer(&minor, out);
        return SEC_E_OK;
    }
    leg->out = malloc(out->length);
    if (leg->out == NULL) {
        gss_release_buffer(&minor, out);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    memcpy(leg->out, out->value, out->length);
    leg->out_len = out->length;
    gss_release_buffer(&minor, out);
    return SEC_E_OK;
}

static SECURITY_STATUS learn_krb5_format(struct gss_ctx *c, int quiet);

/* Common end of a leg: status, attributes, expiry. */
static SECURITY_STATUS finish_leg(struct gss_ctx *c, OM_uint32 major, OM_uint32 ret_flags, OM_uint32 lifetime,
                                  gss_OID mech, struct sspix_leg *leg)
{
    int64_t now = (int64_t)time(NULL);
    if (mech != GSS_C_NO_OID)
        c->mech = mech;
    /* gss-ntlmssp's initiator claims GSS_C_MUTUAL_FLAG, but NTLM never
     * authenticates the server: nothing the server sends proves that it
     * knows a secret the client could check. Never pass that claim on as
     * ISC_RET_MUTUAL_AUTH / ASC_RET_MUTUAL_AUTH (DESIGN.md section 2). */
    if (sspix_mech_is_ntlm(c->mech) || c->pkg->id == SSPIX_PKG_NTLM)
        ret_flags &= ~(OM_uint32)GSS_C_MUTUAL_FLAG;
    c->gss_flags = ret_flags;
    if (!(major & GSS_S_CONTINUE_NEEDED)) {
        c->established = 1;
        c->start = now;
        /* Message calls check tokens against it; if GSSAPI cannot say, the
         * first of them reports why. */
        if (!sspix_mech_is_ntlm(c->mech))
            (void)learn_krb5_format(c, 1);
    }
    c->attrs = gss_to_attrs(ret_flags, c->server, c->established);
    expiry_from_lifetime(lifetime, c->server, now, &c->expiry, &leg->expiry);
    leg->attrs = c->attrs;
    return c->established ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

static SECURITY_STATUS core_init(const struct sspix_package *pkg, void *cred_p, void **ctx_p, const char *target,
                                 ULONG req, const uint8_t *in, size_t in_len, struct sspix_leg *leg)
{
    struct gss_cred *cred = cred_p;
    struct gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID actual = GSS_C_NO_OID;
    SECURITY_STATUS st;

    if (cred != NULL && !(cred->use & SECPKG_CRED_OUTBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_INBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_OUTBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        /* NTLM needs no target, but gss-ntlmssp takes host-based names only. */
        st = pkg->id == SSPIX_PKG_NTLM ? ntlm_server_name(target, &c->target) : import_target(target, &c->target);
        if (st != SEC_E_OK) {
            core_delete_ctx(c);
            return st;
        }
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The server's token is checked before GSSAPI parses it. */
    if ((st = sspix_handshake_check_input(c, 0, first, in, in_len)) != SEC_E_OK) {
        if (first)
            core_delete_ctx(c);
        return st;
    }

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    major = gss_init_sec_context(&minor, cred ? cred->cred : GSS_C_NO_CREDENTIAL, &c->ctx, c->target,
                                 sspix_package_mech(pkg), isc_to_gss(req), GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS,
                                 in_len ? &input : GSS_C_NO_BUFFER, &actual, &output, &ret_flags, &lifetime);
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        char *t = name_string(c->target);
        st = sspix_gss_fail("initiating", major, minor, sspix_package_mech(pkg));
        sspix_fail_more(st, "target %s", t ? t : target ? target : "?");
        free(t);
        if (first)
            core_delete_ctx(c);
        return st;
    }
    *ctx_p = c;
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, actual, leg);
}

static SECURITY_STATUS core_accept(const struct sspix_package *pkg, void *cred_p, void **ctx_p, ULONG req,
                                   const uint8_t *in, size_t in_len, struct sspix_leg *leg)
{
    struct gss_cred *cred = cred_p;
    struct gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID mech = GSS_C_NO_OID;
    gss_name_t src = GSS_C_NO_NAME;
    gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
    SECURITY_STATUS st;

    (void)req;
    if (in_len == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no input token: pass the client's token in a SECBUFFER_TOKEN");
    if (cred != NULL && !(cred->use & SECPKG_CRED_INBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_OUTBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_INBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        c->server = 1;
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The client's token is checked before GSSAPI parses it. */
    if ((st = sspix_handshake_check_input(c, 1, first, in, in_len)) != SEC_E_OK) {
        if (first)
            core_delete_ctx(c);
        return st;
    }

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    /* Negotiate with NTLM allowed has two acceptor credentials (see
     * gss_cred.ncred). The first token says which one the client wants: an
     * optimistic NTLM NEGOTIATE message inside SPNEGO, or anything else. If
     * that guess fails, the other credential gets the same token; the first
     * failure is the one reported. */
    int two = first && cred != NULL && cred->ncred != GSS_C_NO_CREDENTIAL;
    if (two) {
        static const uint8_t ntlm_negotiate[12] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0};
        for (size_t i = 0; i + sizeof(ntlm_negotiate) <= in_len && !c->ntlm_cred; i++)
            c->ntlm_cred = memcmp(in + i, ntlm_negotiate, sizeof(ntlm_negotiate)) == 0;
    }
    gss_cred_id_t acceptor = cred == NULL ? GSS_C_NO_CREDENTIAL : c->ntlm_cred ? cred->ncred : cred->cred;
    major = gss_accept_sec_context(&minor, &c->ctx, acceptor, &input, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &output,
                                   &ret_flags, &lifetime, &deleg);
    if (two && sspix_gss_failed(major)) {
        char saved[1024];
        OM_uint32 m2;
        SECURITY_STATUS first_st =
            sspix_gss_fail("accepting", major, minor, mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg));
        sspix_error_save(saved, sizeof(saved));
        gss_release_buffer(&m2, &output);
        if (src != GSS_C_NO_NAME)
            gss_release_name(&m2, &src);
        if (c->ctx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&m2, &c->ctx, GSS_C_NO_BUFFER);
        if (deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &deleg);
        c->ntlm_cred = !c->ntlm_cred;
        mech = GSS_C_NO_OID;
        major = gss_accept_sec_context(&minor, &c->ctx, c->ntlm_cred ? cred->ncred : cred->cred, &input,
                                       GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &output, &ret_flags, &lifetime, &deleg);
        if (sspix_gss_failed(major)) {
            gss_release_buffer(&m2, &output);
            if (src != GSS_C_NO_NAME)
                gss_release_name(&m2, &src);
            if (deleg != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&m2, &deleg);
            sspix_error_restore(saved);
            core_delete_ctx(c);
            return first_st;
        }
    }
    if (deleg != GSS_C_NO_CREDENTIAL) {
        OM_uint32 m2;
        gss_release_cred(&m2, &deleg);
    }
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        if (src != GSS_C_NO_NAME)
            gss_release_name(&m2, &src);
        st = sspix_gss_fail("accepting", major, minor, mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg));
        /* NTLM's AUTHENTICATE message failed: gss-ntlmssp says EINVAL for a
         * wrong password and "no credentials" for a user its users file lacks;
         * Windows says SEC_E_LOGON_DENIED to both (and should not tell them
         * apart). A malformed message stays SEC_E_INVALID_TOKEN. */
        if (!first && (pkg->id == SSPIX_PKG_NTLM || sspix_mech_is_ntlm(c->mech) || sspix_mech_is_ntlm(mech)) &&
            st != SEC_E_INVALID_TOKEN && st != SEC_E_INSUFFICIENT_MEMORY)
            st = sspix_fail_more(SEC_E_LOGON_DENIED, "NTLM logon failed: wrong password, or a user the users file "
                                                     "does not list");
        if (first)
            core_delete_ctx(c);
        return st;
    }
    if (src != GSS_C_NO_NAME) {
        if (c->peer != GSS_C_NO_NAME)
            gss_release_name(&minor, &c->peer);
        c->peer = src;
    }
    *ctx_p = c;
    sspix_handshake_note_output(c, output.value, output.length);
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, mech, leg);
}

static enum sspix_package_id core_negotiated(void *p, int *complete)
{
    struct gss_ctx *c = p;
    *complete = c->established;
    if (c->established && sspix_oid_is(c->mech, &sspix_oid_krb5))
        return SSPIX_PKG_KERBEROS;
    if (c->established && sspix_mech_is_ntlm(c->mech))
        return SSPIX_PKG_NTLM;
    return c->pkg->id;
}

/* ---- attributes ------------------------------------------------------------ */

static SECURITY_STATUS require_established(const struct gss_ctx *c)
{
    if (!c->established)
        return sspix_fail(SEC_E_NO_CONTEXT, "the handshake is not complete yet");
    return SEC_E_OK;
}

/* Header (with the rotated trailer, the Windows TOKEN layout) and padding of
 * an encrypted message, and the size of a MIC token. */
static SECURITY_STATUS protection_sizes(struct gss_ctx *c, ULONG *header, ULONG *padding, ULONG *mic)
{
    OM_uint32 major, minor;
    if (sspix_mech_is_ntlm(c->mech)) {
        /* Fixed by MS-NLMP: a 16-byte signature, RC4 needs no padding. */
        *header = *mic = SSPIX_NTLM_SIGNATURE;
        *padding = 0;
        return SEC_E_OK;
    }
    gss_iov_buffer_desc iov[3] = {{GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_DATA, {1, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}}};
    major = gss_wrap_iov_length(&minor, c->ctx, 1, GSS_C_QOP_DEFAULT, NULL, iov, 3);
    if (GSS_ERROR(major))
        return sspix_gss_fail("computing message sizes", major, minor, c->mech);
    *header = (ULONG)iov[0].buffer.length;
    *padding = (ULONG)iov[2].buffer.length;
    gss_iov_buffer_desc mic_iov[2] = {{GSS_IOV_BUFFER_TYPE_DATA, {1, NULL}},
                                      {GSS_IOV_BUFFER_TYPE_MIC_TOKEN, {0, NULL}}};
    major = gss_get_mic_iov_length(&minor, c->ctx, GSS_C_QOP_DEFAULT, mic_iov, 2);
    if (GSS_ERROR(major))
        return sspix_gss_fail("computing signature size", major, minor, c->mech);
    *mic = (ULONG)mic_iov[1].buffer.length;
    return SEC_E_OK;
}

static SECURITY_STATUS query_names(struct gss_ctx *c, char **client, char **server)
{
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
    /* gss-ntlmssp crashes copying an acceptor's own name that has no SPN
     * (ours never has one, see ntlm_acceptor_name): an NTLM server context
     * reports this machine's host name as its own. */
    int ntlm_acceptor = c->server && sspix_mech_is_ntlm(c->mech);
    major = gss_inquire_context(&minor, c->ctx, &src, server != NULL && !ntlm_acceptor ? &targ : NULL, NULL, NULL, NULL,
                                NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the context", major, minor, c->mech);
    *client = name_string(src);
    if (server != NULL && ntlm_acceptor) {
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        *server = dup_bytes(host, strlen(host));
    } else if (server != NULL) {
        *server = name_string(targ);
    }
    gss_release_name(&minor, &src);
    gss_release_name(&minor, &targ);
    if (*client == NULL || (server != NULL && *server == NULL)) {
        free(*client);
        if (server != NULL)
            free(*server);
        return sspix_fail(SEC_E_NO_CONTEXT, "the peer names are not known yet");
    }
    return SEC_E_OK;
}

/*
 * SECPKG_ATTR_KEY_INFO. MIT returns the session key's enctype as the last arc
 * of a second OID (1.2.840.113554.1.2.2.4.<enctype>) next to the key. The
 * algorithm numbers are Windows' (KERB_ETYPE_*, KERB_CHECKSUM_*, CALG_RC4).
 */
struct key_info_row {
    int enctype;
    ULONG key_bits, sig_alg, enc_alg;
    const char *sig_name, *enc_name;
};

static const struct key_info_row key_info_rows[] = {
    {17, 128, 15, 17, "HMAC-SHA1-96-AES128", "AES-128-CTS-HMAC-SHA1-96"},
    {18, 256, 16, 18, "HMAC-SHA1-96-AES256", "AES-256-CTS-HMAC-SHA1-96"},
    {19, 128, 19, 19, "HMAC-SHA256-128-AES128", "AES-128-CTS-HMAC-SHA256-128"},
    {20, 256, 20, 20, "HMAC-SHA384-192-AES256", "AES-256-CTS-HMAC-SHA384-192"},
    {23, 128, 0xFFFFFF76u, 23, "HMAC-MD5", "RC4-HMAC"},
};

static SECURITY_STATUS key_info_fill(SecPkgContext_KeyInfoA *k, ULONG bits, ULONG sig_alg, ULONG enc_alg,
                                     const char *sig, const char *enc)
{
    k->sSignatureAlgorithmName = dup_bytes(sig, strlen(sig));
    k->sEncryptAlgorithmName = dup_bytes(enc, strlen(enc));
    if (k->sSignatureAlgorithmName == NULL || k->sEncryptAlgorithmName == NULL) {
        free(k->sSignatureAlgorithmName);
        free(k->sEncryptAlgorithmName);
        k->sSignatureAlgorithmName = k->sEncryptAlgorithmName = NULL;
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    k->KeySize = bits;
    k->SignatureAlgorithm = sig_alg;
    k->EncryptAlgorithm = enc_alg;
    return SEC_E_OK;
}

static SECURITY_STATUS query_key_info(struct gss_ctx *c, SecPkgContext_KeyInfoA *k)
{
    static const uint8_t enctype_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    OM_uint32 major, minor;
    int enctype = -1;

    if (sspix_mech_is_ntlm(c->mech)) /* MS-NLMP sealing: RC4 with an HMAC-MD5 checksum, 128-bit keys */
        return key_info_fill(k, 128, 0xFFFFFF76u /* KERB_CHECKSUM_HMAC_MD5 */, 0x6801 /* CALG_RC4 */, "HMAC-MD5",
                             "RC4");
    major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (GSS_ERROR(major) || set == GSS_C_NO_BUFFER_SET)
        return sspix_gss_fail("reading the session key type", major, minor, c->mech);
    if (set->count >= 2 && set->elements[1].length == sizeof(enctype_oid) + 1 &&
        memcmp(set->elements[1].value, enctype_oid, sizeof(enctype_oid)) == 0)
        enctype = ((const uint8_t *)set->elements[1].value)[sizeof(enctype_oid)];
    gss_release_buffer_set(&minor, &set);
    for (size_t i = 0; i < sizeof(key_info_rows) / sizeof(key_info_rows[0]); i++)
        if (key_info_rows[i].enctype == enctype)
            return key_info_fill(k, key_info_rows[i].key_bits, key_info_rows[i].sig_alg, key_info_rows[i].enc_alg,
                                 key_info_rows[i].sig_name, key_info_rows[i].enc_name);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "the session key's encryption type (%d) has no SSPI name", enctype);
}

static SECURITY_STATUS core_query_ctx(void *p, ULONG attr, void *buffer)
{
    struct gss_ctx *c = p;
    OM_uint32 major, minor;
    SECURITY_STATUS st;

    switch (attr) {
    case SECPKG_ATTR_FLAGS: ((SecPkgContext_Flags *)buffer)->Flags = c->attrs; return SEC_E_OK;
    case SECPKG_ATTR_NAMES: {
        char *client;
        if ((st = require_established(c)) != SEC_E_OK || (st = query_names(c, &client, NULL)) != SEC_E_OK)
            return st;
        ((SecPkgContext_NamesA *)buffer)->sUserName = client;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_NATIVE_NAMES: {
        char *client, *server;
        if ((st = require_established(c)) != SEC_E_OK || (st = query_names(c, &client, &server)) != SEC_E_OK)
            return st;
        ((SecPkgContext_NativeNamesA *)buffer)->sClientName = client;
        ((SecPkgContext_NativeNamesA *)buffer)->sServerName = server;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_LIFESPAN: {
        SecPkgContext_Lifespan *l = buffer;
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        sspix_unix_to_timestamp(c->start, &l->tsStart);
        sspix_unix_to_timestamp(c->expiry, &l->tsExpiry);
        return SEC_E_OK;
    }
    case SECPKG_ATTR_SIZES: {
        SecPkgContext_Sizes *s = buffer;
        ULONG header, padding, mic;
        if ((st = require_established(c)) != SEC_E_OK ||
            (st = protection_sizes(c, &header, &padding, &mic)) != SEC_E_OK)
            return st;
        s->cbMaxToken = sspix_mech_is_ntlm(c->mech) ? SSPIX_NTLM_MAX_TOKEN : c->pkg->max_token;
        s->cbMaxSignature = mic;
        /* AES-CTS and RC4 need no padding; Windows' NTLM says 0, and
         * Kerberos callers divide by it, so Kerberos says 1. */
        s->cbBlockSize = padding > 0 ? padding : sspix_mech_is_ntlm(c->mech) ? 0 : 1;
        s->cbSecurityTrailer = header;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_STREAM_SIZES: {
        SecPkgContext_StreamSizes *s = buffer;
        ULONG header, padding, mic;
        if ((st = require_established(c)) != SEC_E_OK ||
            (st = protection_sizes(c, &header, &padding, &mic)) != SEC_E_OK)
            return st;
        if (sspix_mech_is_ntlm(c->mech)) {
            /* A SECBUFFER_STREAM for NTLM is gss_wrap's output: sealed data,
             * then the signature. */
            s->cbHeader = 0;
            s->cbTrailer = SSPIX_NTLM_SIGNATURE;
            s->cbMaximumMessage = 64u * 1024u * 1024u;
            s->cBuffers = 2;
            s->cbBlockSize = 0;
            return SEC_E_OK;
        }
        /* DecryptMessage(STREAM) takes a whole RFC 4121 wrap token: the
         * header (with the rotated trailer) before the data, padding after. */
        s->cbHeader = header;
        s->cbTrailer = padding;
        s->cbMaximumMessage = 0x7FFFFFFFu - header - padding;
        s->cBuffers = 4;
        s->cbBlockSize = padding > 0 ? padding : 1;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_KEY_INFO:
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        return query_key_info(c, buffer);
    case SECPKG_ATTR_SESSION_KEY: {
        gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
        if (GSS_ERROR(major) || set == GSS_C_NO_BUFFER_SET || set->count < 1)
            return sspix_gss_fail("reading the session key", major, minor, c->mech);
        SecPkgContext_SessionKey *k = buffer;
        k->SessionKey = malloc(set->elements[0].length ? set->elements[0].length : 1);
        if (k->SessionKey == NULL) {
            gss_release_buffer_set(&minor, &set);
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        }
        memcpy(k->SessionKey, set->elements[0].value, set->elements[0].length);
        k->SessionKeyLength = (ULONG)set->elements[0].length;
        gss_release_buffer_set(&minor, &set);
        return SEC_E_OK;
    }
    default:
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "context attribute %u is not supported by %s", (unsigned)attr,
                          c->pkg->name);
    }
}

/* ---- message protection ------------------------------------------------------ */

#define SSPIX_MAX_IOV 16

static int buffer_type(const SecBuffer *b)
{
    return (int)(b->BufferType & ~SECBUFFER_ATTRMASK);
}

/* SecBufferDesc -> GSS iov. `stream` selects STREAM handling for decrypt. */
static SECURITY_STATUS map_iov(PSecBufferDesc msg, gss_iov_buffer_desc *iov, int *map, size_t *n, int for_mic)
{
    if (msg == NULL || msg->pBuffers == NULL || msg->cBuffers == 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "no message buffers");
    if (msg->cBuffers > SSPIX_MAX_IOV)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "more than %d message buffers", SSPIX_MAX_IOV);
    *n = 0;
    for (ULONG i = 0; i < msg->cBuffers; i++) {
        SecBuffer *b = &msg->pBuffers[i];
        OM_uint32 type;
        if (b->cbBuffer > 0 && b->pvBuffer == NULL)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "buffer %u has a length but no memory", (unsigned)i);
        switch (buffer_type(b)) {
        case SECBUFFER_TOKEN: type = for_mic ? GSS_IOV_BUFFER_TYPE_MIC_TOKEN : GSS_IOV_BUFFER_TYPE_HEADER; break;
        case SECBUFFER_DATA:
            type = (b->BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM))
                       ? GSS_IOV_BUFFER_TYPE_SIGN_ONLY
                       : GSS_IOV_BUFFER_TYPE_DATA;
            if (for_mic)
                type = GSS_IOV_BUFFER_TYPE_DATA;
            if ((b->BufferType & SECBUFFER_READONLY) && !(b->BufferType & SECBUFFER_READONLY_WITH_CHECKSUM) && for_mic)
                continue; /* read-only data is not covered by the checksum */
            break;
        case SECBUFFER_PADDING:
            /* A signature covers no padding: MIT ignores it in MakeSignature
             * but refuses a non-empty one in VerifySignature. */
            if (for_mic)
                continue;
            type = GSS_IOV_BUFFER_TYPE_PADDING;
            break;
        case SECBUFFER_STREAM: type = GSS_IOV_BUFFER_TYPE_STREAM; break;
        case SECBUFFER_EMPTY: continue;
        default: continue; /* other buffer types are not the package's */
        }
        iov[*n].type = type;
        iov[*n].buffer.length = b->cbBuffer;
        iov[*n].buffer.value = b->pvBuffer;
        map[*n] = (int)i;
        (*n)++;
    }
    return SEC_E_OK;
}

/* How many iov entries of each kind a call was given, and where the last
 * of each is. */
struct iov_census {
    size_t header, mic, data, sign_only, padding, stream;
    int header_at, mic_at, padding_at, stream_at;
};

static void census(const gss_iov_buffer_desc *iov, size_t n, struct iov_census *k)
{
    memset(k, 0, sizeof(*k));
    k->header_at = k->mic_at = k->padding_at = k->stream_at = -1;
    for (size_t i = 0; i < n; i++) {
        switch (iov[i].type) {
        case GSS_IOV_BUFFER_TYPE_HEADER: k->header++, k->header_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_MIC_TOKEN: k->mic++, k->mic_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_DATA: k->data++; break;
        case GSS_IOV_BUFFER_TYPE_SIGN_ONLY: k->sign_only++; break;
        case GSS_IOV_BUFFER_TYPE_PADDING: k->padding++, k->padding_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_STREAM: k->stream++, k->stream_at = (int)i; break;
        default: break;
        }
    }
}

/* The last arc of 1.2.840.113554.1.2.2.4.<enctype>, MIT's name for the type
 * of the key GSS_C_INQ_SSPI_SESSION_KEY returns. */
static int parse_enctype_oid(const gss_buffer_desc *oid, uint32_t *enctype)
{
    static const uint8_t prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    sspix_reader r;
    const uint8_t *p;
    uint8_t b = 0x80;
    uint32_t v = 0;
    sspix_reader_init(&r, oid->value, oid->length);
    GUARD(sspix_reader_bytes(&r, sizeof(prefix), &p));
    ENSURE(memcmp(p, prefix, sizeof(prefix)) == 0, SSPIX_ERR_INVALID);
    for (int i = 0; b & 0x80; i++) {
        ENSURE(i < 4, SSPIX_ERR_INVALID);
        GUARD(sspix_reader_u8(&r, &b));
        v = v << 7 | (b & 0x7f);
    }
    ENSURE(sspix_reader_left(&r) == 0, SSPIX_ERR_INVALID);
    *enctype = v;
    return 0;
}

/*
 * The per-message token format of an established Kerberos context: RFC 4121
 * or RFC 1964 and the checksum size follow from the enctype of the key that
 * protects messages, which GSS_C_INQ_SSPI_SESSION_KEY reports (MIT: the
 * acceptor's subkey when there is one, else the session subkey; MIT picks
 * the token format from that same key). quiet: record no error, for the end
 * of a handshake that succeeded.
 */
static SECURITY_STATUS learn_krb5_format(struct gss_ctx *c, int quiet)
{
    OM_uint32 major, minor, m2;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    uint32_t enctype = 0;
    int rc = SSPIX_ERR_INVALID;

    if (c->krb5_known)
        return SEC_E_OK;
    major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (GSS_ERROR(major))
        return quiet ? SEC_E_INTERNAL_ERROR
                     : sspix_gss_fail("finding the key type of the context", major, minor, c->mech);
    if (set != GSS_C_NO_BUFFER_SET && set->count >= 1 && set->elements[0].value != NULL)
        explicit_bzero(set->elements[0].value, set->elements[0].length); /* only its type is wanted */
    if (set != GSS_C_NO_BUFFER_SET && set->count >= 2)
        rc = parse_enctype_oid(&set->elements[1], &enctype);
    gss_release_buffer_set(&m2, &set);
    if (rc < 0)
        return quiet ? SEC_E_INTERNAL_ERROR
                     : sspix_fail(SEC_E_INTERNAL_ERROR, "GSSAPI did not name the key type of the Kerberos context");
    if (sspix_krb5_format_init(&c->krb5, (int32_t)enctype, !c->server, (c->gss_flags & GSS_C_MUTUAL_FLAG) != 0) < 0)
        return quiet ? SEC_E_ALGORITHM_MISMATCH
                     : sspix_fail(SEC_E_ALGORITHM_MISMATCH,
                                  "the context's key has enctype %u, whose per-message tokens sspix cannot check: "
                                  "permit an AES enctype (permitted_enctypes in krb5.conf)",
                                  (unsigned)enctype);
    c->krb5_known = 1;
    return SEC_E_OK;
}

static SECURITY_STATUS check_ready(struct gss_ctx *c)
{
    if (c->exported)
        return sspix_fail(SEC_E_NO_CONTEXT, "the context was exported (ExportSecurityContext): use the imported "
                                            "one; this handle only needs DeleteSecurityContext");
    if (!c->established || c->ctx == GSS_C_NO_CONTEXT)
        return sspix_fail(SEC_E_NO_CONTEXT, "message protection needs a complete context");
    if (!sspix_mech_is_ntlm(c->mech))
        return learn_krb5_format(c, 0);
    return SEC_E_OK;
}

/* A token the checks refused: cut off (a STREAM to read more of), or not a
 * token of this context. (The message is prefixed with the SSPI call.) */
static SECURITY_STATUS token_fail(int rc, const char *why)
{
    if (rc == SSPIX_ERR_SHORT)
        return sspix_fail(SEC_E_INCOMPLETE_MESSAGE, "%s", why);
    return sspix_fail(SEC_E_MESSAGE_ALTERED, "the message was modified or is not from this context: %s", why);
}

static SECURITY_STATUS core_encrypt(void *p, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    struct gss_ctx *c = p;
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    SECURITY_STATUS st;
    (void)seqno;

    if ((st = check_ready(c)) != SEC_E_OK)
        return st;
    if (sspix_mech_is_ntlm(c->mech))
        return sspix_ntlm_encrypt(c->ctx, c->mech, qop, msg);
    if ((st = map_iov(msg, iov, map, &n, 0)) != SEC_E_OK)
        return st;
    if (qop & ~(ULONG)SECQOP_WRAP_NO_ENCRYPT)
        return sspix_fail(SEC_E_QOP_NOT_SUPPORTED, "QOP 0x%x: only 0 and KERB_WRAP_NO_ENCRYPT are supported",
                          (unsigned)qop);
    int conf = !(qop & SECQOP_WRAP_NO_ENCRYPT);

    gss_iov_buffer_desc sizes[SSPIX_MAX_IOV];
    memcpy(sizes, iov, n * sizeof(iov[0]));
    struct iov_census k;
    census(iov, n, &k);
    int header_at = k.header_at, padding_at = k.padding_at;
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "SECBUFFER_STREAM is for DecryptMessage");
    if (header_at < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "EncryptMessage needs a SECBUFFER_TOKEN buffer of cbSecurityTrailer "
                                               "bytes (QueryContextAttributes SECPKG_ATTR_SIZES)");
    if (k.header > 1 || k.padding > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN and at most one SECBUFFER_PADDING are "
                                                   "allowed");
    /* RFC 1964 / RFC 4757 wrap tokens end with padding after the data
     * (one byte for RC4), which has nowhere else to go: MIT cannot make the
     * unpadded tokens some Windows callers produce. */
    if (padding_at < 0 && c->krb5.proto == SSPIX_KRB5_RFC1964)
        return sspix_fail(SEC_E_INVALID_PARAMETER,
                          "this context's key is %s (RFC 4757 tokens), whose wrap tokens end with padding after the "
                          "data: pass a SECBUFFER_PADDING buffer of cbBlockSize bytes (SECPKG_ATTR_SIZES) after the "
                          "SECBUFFER_DATA and send its cbBuffer bytes after the data",
                          sspix_krb5_enctype_name(c->krb5.enctype));
    major = gss_wrap_iov_length(&minor, c->ctx, conf, GSS_C_QOP_DEFAULT, NULL, sizes, (int)n);
    if (GSS_ERROR(major))
        return sspix_gss_fail("EncryptMessage", major, minor, c->mech);
    if (sizes[header_at].buffer.length > iov[header_at].buffer.length)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %zu bytes; %zu are needed",
                          iov[header_at].buffer.length, sizes[header_at].buffer.length);
    if (padding_at >= 0) {
        if (sizes[padding_at].buffer.length > iov[padding_at].buffer.length)
            return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_PADDING buffer has %zu bytes; %zu are needed",
                              iov[padding_at].buffer.length, sizes[padding_at].buffer.length);
        iov[padding_at].buffer.length = sizes[padding_at].buffer.length;
    }
    iov[header_at].buffer.length = sizes[header_at].buffer.length;

    major = gss_wrap_iov(&minor, c->ctx, conf, GSS_C_QOP_DEFAULT, NULL, iov, (int)n);
    if (GSS_ERROR(major))
        return sspix_gss_fail("EncryptMessage", major, minor, c->mech);
    for (size_t i = 0; i < n; i++)
        msg->pBuffers[map[i]].cbBuffer = (ULONG)iov[i].buffer.length;
    return SEC_E_OK;
}

/*
 * Every wrap token is checked against the context's format before GSSAPI
 * sees it (krb5_token.c): MIT dereferences a key the context lacks when an
 * RFC 1964 token ID reaches an RFC 4121 context through a STREAM. A STREAM
 * shorter than the least token of this context is SEC_E_INCOMPLETE_MESSAGE
 * (RFC 4121 tokens carry no length; RFC 1964 framing does); a cut inside the
 * data cannot be told from a modification and is SEC_E_MESSAGE_ALTERED.
 * Layouts: STREAM with at most one DATA (it receives the plaintext, pointing
 * into the stream), or one TOKEN with DATA, SIGN_ONLY data and at most one
 * PADDING.
 */
static SECURITY_STATUS check_decrypt_layout(struct gss_ctx *c, gss_iov_buffer_desc *iov, int *map, size_t *n)
{
    struct iov_census k;
    char why[256];
    int rc;
    census(iov, *n, &k);
    if (k.stream > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_STREAM at most, not %zu", k.stream);
    if (k.stream == 1) {
        if (k.header > 0)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "a SECBUFFER_STREAM holds the whole message: pass no "
                                                       "SECBUFFER_TOKEN with it");
        if (k.data > 1)
            return sspix_fail(SEC_E_INVALID_PARAMETER,
                              "a SECBUFFER_STREAM takes at most one SECBUFFER_DATA (it receives the plaintext), "
                              "not %zu",
                              k.data);
        /* STREAM, then DATA: what MIT's STREAM unwrap takes. A caller's
         * DATA buffer ends up pointing into the stream; without one the
         * plaintext is still there, where the message was. */
        gss_iov_buffer_desc stream = iov[k.stream_at], data = {GSS_IOV_BUFFER_TYPE_DATA, {0, NULL}};
        int stream_map = map[k.stream_at], data_map = -1;
        for (size_t i = 0; i < *n; i++) {
            if (iov[i].type == GSS_IOV_BUFFER_TYPE_DATA) {
                data = iov[i];
                data_map = map[i];
            }
        }
        iov[0] = stream;
        map[0] = stream_map;
        iov[1] = data;
        map[1] = data_map;
        *n = 2;
        rc = sspix_krb5_check_wrap_stream(&c->krb5, stream.buffer.value, stream.buffer.length, NULL, why, sizeof(why));
        return rc < 0 ? token_fail(rc, why) : SEC_E_OK;
    }
    if (k.header == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no message: pass the whole of it in a SECBUFFER_STREAM, or its "
                                               "header in a SECBUFFER_TOKEN and the data in SECBUFFER_DATA");
    if (k.header > 1 || k.padding > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN and at most one SECBUFFER_PADDING are "
                                                   "allowed");
    /* What follows the header on the wire: the data to decrypt and the
     * padding (read-only SIGN_ONLY data is not part of the token). */
    size_t body = 0;
    for (size_t i = 0; i < *n; i++)
        if (iov[i].type == GSS_IOV_BUFFER_TYPE_DATA || iov[i].type == GSS_IOV_BUFFER_TYPE_PADDING)
            body += iov[i].buffer.length;
    const gss_iov_buffer_desc *h = &iov[k.header_at];
    rc = sspix_krb5_check_wrap_split(&c->krb5, h->buffer.value, h->buffer.length, body, NULL, why, sizeof(why));
    return rc < 0 ? token_fail(rc, why) : SEC_E_OK;
}

static SECURITY_STATUS core_decrypt(void *p, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    struct gss_ctx *c = p;
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    int conf = 0;
    gss_qop_t qop_state = 0;
    SECURITY_STATUS st;
    (void)seqno;

    if ((st = check_ready(c)) != SEC_E_OK)
        return st;
    if (sspix_mech_is_ntlm(c->mech))
        return sspix_ntlm_decrypt(c->ctx, c->mech, msg, qop);
    if ((st = map_iov(msg, iov, map, &n, 0)) != SEC_E_OK)
        return st;
    if ((st = check_decrypt_layout(c, iov, map, &n)) != SEC_E_OK)
        return st;
    major = gss_unwrap_iov(&minor, c->ctx, &conf, &qop_state, iov, (int)n);
    if (sspix_gss_failed(major)) {
        return sspix_gss_message_fail("DecryptMessage", major, minor, c->mech);
    }
    for (size_t i = 0; i < n; i++) {
        if (map[i] < 0)
            continue;
        SecBuffer *b = &msg->pBuffers[map[i]];
        b->cbBuffer = (ULONG)iov[i].buffer.length;
        b->pvBuffer = iov[i].buffer.value;
    }
    if (qop != NULL)
        *qop = conf ? 0 : SECQOP_WRAP_NO_ENCRYPT;
    return SEC_E_OK;
}

static SECURITY_STATUS core_sign(void *p, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    struct gss_ctx *c = p;
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    SECURITY_STATUS st;
    (void)seqno;

    if ((st = check_ready(c)) != SEC_E_OK)
        return st;
    if (qop != 0)
        return sspix_fail(SEC_E_QOP_NOT_SUPPORTED, "MakeSignature QOP must be 0");
    if (sspix_mech_is_ntlm(c->mech))
        return sspix_ntlm_sign(c->ctx, c->mech, msg);
    if ((st = map_iov(msg, iov, map, &n, 1)) != SEC_E_OK)
        return st;
    struct iov_census k;
    census(iov, n, &k);
    int tok = k.mic_at;
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "SECBUFFER_STREAM is for DecryptMessage: the signature goes "
                                                   "into a SECBUFFER_TOKEN");
    if (tok < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "MakeSignature needs a SECBUFFER_TOKEN buffer of cbMaxSignature bytes");
    if (k.mic > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN for the signature, not %zu", k.mic);
    gss_iov_buffer_desc sizes[SSPIX_MAX_IOV];
    memcpy(sizes, iov, n * sizeof(iov[0]));
    major = gss_get_mic_iov_length(&minor, c->ctx, GSS_C_QOP_DEFAULT, sizes, (int)n);
    if (GSS_ERROR(major))
        return sspix_gss_fail("MakeSignature", major, minor, c->mech);
    if (sizes[tok].buffer.length > iov[tok].buffer.length)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %zu bytes; %zu are needed",
                          iov[tok].buffer.length, sizes[tok].buffer.length);
    iov[tok].buffer.length = sizes[tok].buffer.length;
    major = gss_get_mic_iov(&minor, c->ctx, GSS_C_QOP_DEFAULT, iov, (int)n);
    if (GSS_ERROR(major))
        return sspix_gss_fail("MakeSignature", major, minor, c->mech);
    msg->pBuffers[map[tok]].cbBuffer = (ULONG)iov[tok].buffer.length;
    return SEC_E_OK;
}

static SECURITY_STATUS core_verify(void *p, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    struct gss_ctx *c = p;
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    gss_qop_t qop_state = 0;
    SECURITY_STATUS st;
    (void)seqno;

    if ((st = check_ready(c)) != SEC_E_OK)
        return st;
    if (sspix_mech_is_ntlm(c->mech))
        return sspix_ntlm_verify(c->ctx, c->mech, msg, qop);
    if ((st = map_iov(msg, iov, map, &n, 1)) != SEC_E_OK)
        return st;
    /* MIT asserts on a MIC shorter than its checksum and on a STREAM here:
     * the layout and the token are checked first. */
    struct iov_census k;
    census(iov, n, &k);
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "the signature goes in a SECBUFFER_TOKEN and the message in "
                                                   "SECBUFFER_DATA, not in a SECBUFFER_STREAM");
    if (k.mic == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no SECBUFFER_TOKEN with the signature");
    if (k.mic > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN with the signature, not %zu", k.mic);
    char why[256];
    const gss_iov_buffer_desc *m = &iov[k.mic_at];
    int rc = sspix_krb5_check_mic(&c->krb5, m->buffer.value, m->buffer.length, why, sizeof(why));
    if (rc < 0)
        return token_fail(rc, why);
    major = gss_verify_mic_iov(&minor, c->ctx, &qop_state, iov, (int)n);
    if (sspix_gss_failed(major))
        return sspix_gss_message_fail("VerifySignature", major, minor, c->mech);
    if (qop != NULL)
        *qop = 0;
    return SEC_E_OK;
}

/* ---- local account (export and import: ctx_blob.c) ------------------------------------------ */

#define SSPIX_LOCAL_NAME_MAX 256u

static SECURITY_STATUS core_local_name(void *p, char **out)
{
    struct gss_ctx *c = p;
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME;
    gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
    SECURITY_STATUS st;

    if ((st = check_ready(c)) != SEC_E_OK)
        return st;
    if (!c->server)
        return sspix_fail(SEC_E_NO_IMPERSONATION, "only a server context has a client to impersonate");
    major = gss_inquire_context(&minor, c->ctx, &src, NULL, NULL, NULL, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the client's name", major, minor, c->mech);
    major = gss_localname(&minor, src, GSS_C_NO_OID, &local);
    if (GSS_ERROR(major)) {
        char *who = name_string(src);
        gss_release_name(&minor, &src);
        sspix_fail(SEC_E_NO_IMPERSONATION,
                   "%s maps to no local account: add an auth_to_local rule for it in "
                   "krb5.conf ([realms] REALM = { auth_to_local = ... })",
                   who ? who : "the client");
        free(who);
        return SEC_E_NO_IMPERSONATION;
    }
    gss_release_name(&minor, &src);
    if (local.length == 0 || local.length > SSPIX_LOCAL_NAME_MAX || memchr(local.value, '\0', local.length) ||
        memchr(local.value, '/', local.length)) {
        gss_release_buffer(&minor, &local);
        return sspix_fail(SEC_E_NO_IMPERSONATION, "the client's local name is empty, too long or not an account name");
    }
    *out = dup_bytes(local.value, local.length);
    gss_release_buffer(&minor, &local);
    return *out ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

const struct sspix_package_ops sspix_gss_ops = {
    .acquire_cred = core_acquire,
    .free_cred = core_free_cred,
    .query_cred = core_query_cred,
    .init_ctx = core_init,
    .accept_ctx = core_accept,
    .delete_ctx = core_delete_ctx,
    .query_ctx = core_query_ctx,
    .negotiated = core_negotiated,
    .make_signature = core_sign,
    .verify_signature = core_verify,
    .encrypt = core_encrypt,
    .decrypt = core_decrypt,
    .local_name = core_local_name,
    .export_ctx = sspix_ctx_export,
    .import_ctx = sspix_ctx_import,
};
