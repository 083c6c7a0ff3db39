/* SPDX-License-Identifier: MIT */
/*
 * dispatch_w.c - the wide (W) SSPI functions, for the width of wchar_t this
 * file is compiled with.
 *
 * Compiled twice: as itself with the default 32-bit wchar_t, where
 * <sspix/sspi.h> binds every W name to its UTF-32 symbol
 * (sspix_AcquireCredentialsHandleW32, ...), and as dispatch_w16.c with
 * -fshort-wchar, where the same definitions are the UTF-16 functions of
 * Windows' names. Each function converts its string arguments to UTF-8 with
 * common/utf.h, calls the exported A function, and converts the strings of
 * the result back into memory FreeContextBuffer releases. Nothing here knows
 * a package: the A functions stay the only implementation.
 */
#include <stdlib.h>
#include <string.h>

#include "common/utf.h"
#include "sspi/errors.h"
#include "sspi/export.h"

_Static_assert(sizeof(SEC_WCHAR) == SSPIX_WCHAR_BYTES, "the header's width is the compiler's");

#if SSPIX_WCHAR_BYTES == 2
typedef uint16_t unit_t;
#define WIDTH                              "UTF-16"
#define wide_strnlen(s, max)               sspix_utf16_strnlen((const unit_t *)(s), max)
#define wide_to_utf8(s, n, out, len, bad)  sspix_utf16_to_utf8((const unit_t *)(s), n, out, len, bad)
#define utf8_to_wide_len(s, n, units, bad) sspix_utf8_to_utf16_len(s, n, units, bad)
#define utf8_to_wide_write(s, n, out)      sspix_utf8_to_utf16_write(s, n, (unit_t *)(out))
#else
typedef uint32_t unit_t;
#define WIDTH                              "UTF-32"
#define wide_strnlen(s, max)               sspix_utf32_strnlen((const unit_t *)(s), max)
#define wide_to_utf8(s, n, out, len, bad)  sspix_utf32_to_utf8((const unit_t *)(s), n, out, len, bad)
#define utf8_to_wide_len(s, n, units, bad) sspix_utf8_to_utf32_len(s, n, units, bad)
#define utf8_to_wide_write(s, n, out)      sspix_utf8_to_utf32_write(s, n, (unit_t *)(out))
#endif
_Static_assert(sizeof(unit_t) == sizeof(SEC_WCHAR), "one unit per wchar_t");

/* Longest string parameter (package, principal, target), in characters. */
#define MAX_PARAM_CHARS 1024u
/* Longest SEC_WINNT_AUTH_IDENTITY_W field and PackageList, in characters. */
#define MAX_IDENTITY_CHARS 512u
#define MAX_PKGLIST_CHARS  256u

/* ---- arguments in ------------------------------------------------------------------ */

/* A NUL-terminated caller string as a new UTF-8 string (*out NULL for NULL). */
static SECURITY_STATUS param_in(const SEC_WCHAR *s, const char *what, char **out)
{
    size_t bad = 0;
    *out = NULL;
    if (s == NULL)
        return SEC_E_OK;
    size_t n = wide_strnlen(s, MAX_PARAM_CHARS);
    if (n > MAX_PARAM_CHARS)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "%s is longer than %u characters (or lacks its NUL)", what,
                          MAX_PARAM_CHARS);
    int rc = wide_to_utf8(s, n, out, NULL, &bad);
    if (rc == SSPIX_UTF_NOMEM)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    if (rc != SSPIX_UTF_OK)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "%s holds %s at character %zu: it must be valid " WIDTH, what,
                          sspix_utf_err_str(rc), bad);
    return SEC_E_OK;
}

/* One counted SEC_WINNT_AUTH_IDENTITY_W field as UTF-8. A NULL field with
 * length 0 stays NULL; a non-NULL empty one becomes "". */
static SECURITY_STATUS field_in(const SSPIX_IDENTITY_WCHAR *s, ULONG n, ULONG max, const char *what, char **out,
                                ULONG *out_len)
{
    size_t bad = 0, len = 0;
    *out = NULL;
    *out_len = 0;
    if (s == NULL && n == 0)
        return SEC_E_OK;
    if (s == NULL)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY_W %sLength is %u but %s is NULL", what,
                          (unsigned)n, what);
    if (n > max)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY_W %s is longer than %u characters", what,
                          (unsigned)max);
    int rc = wide_to_utf8((const SEC_WCHAR *)s, n, out, &len, &bad);
    if (rc == SSPIX_UTF_NOMEM)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    if (rc != SSPIX_UTF_OK)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS,
                          "SEC_WINNT_AUTH_IDENTITY_W %s holds %s at character %zu: %sLength counts " WIDTH
                          " units without the terminating NUL",
                          what, sspix_utf_err_str(rc), bad, what);
    *out_len = (ULONG)len;
    return SEC_E_OK;
}

/* pAuthData converted for the A functions; everything it points to is ours. */
struct auth_in {
    SSPIX_AUTH_STORE_A store;
    SEC_WINNT_AUTH_IDENTITY_A plain;
    SEC_WINNT_AUTH_IDENTITY_EXA ex;
    char *user, *domain, *password, *pkglist;
    ULONG password_len;
};

static void auth_in_free(struct auth_in *h)
{
    if (h->password != NULL)
        explicit_bzero(h->password, h->password_len);
    free(h->user);
    free(h->domain);
    free(h->password);
    free(h->pkglist);
}

/* The three strings every identity form has; Flags must say UNICODE. */
static SECURITY_STATUS fields_in(struct auth_in *h, const SSPIX_IDENTITY_WCHAR *user, ULONG user_len,
                                 const SSPIX_IDENTITY_WCHAR *domain, ULONG domain_len,
                                 const SSPIX_IDENTITY_WCHAR *password, ULONG password_len, ULONG *ulen, ULONG *dlen)
{
    SECURITY_STATUS st;
    if ((st = field_in(user, user_len, MAX_IDENTITY_CHARS, "User", &h->user, ulen)) != SEC_E_OK ||
        (st = field_in(domain, domain_len, MAX_IDENTITY_CHARS, "Domain", &h->domain, dlen)) != SEC_E_OK ||
        (st = field_in(password, password_len, MAX_IDENTITY_CHARS, "Password", &h->password, &h->password_len)) !=
            SEC_E_OK)
        return st;
    return SEC_E_OK;
}

/*
 * An identity (plain or extended) as its A form when its Flags say
 * SEC_WINNT_AUTH_IDENTITY_UNICODE; any other structure is handed on as it
 * is, for the A function to accept (ANSI) or refuse.
 */
static SECURITY_STATUS identity_in(const void *p, struct auth_in *h, const void **out)
{
    ULONG head[2];
    SECURITY_STATUS st;
    *out = p;
    memcpy(head, p, sizeof(head));
    if (head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION && head[1] == sizeof(SEC_WINNT_AUTH_IDENTITY_EXW)) {
        SEC_WINNT_AUTH_IDENTITY_EXW w;
        memcpy(&w, p, sizeof(w));
        if (!(w.Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE))
            return SEC_E_OK;
        memset(&h->ex, 0, sizeof(h->ex));
        h->ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
        h->ex.Length = sizeof(h->ex);
        if ((st = fields_in(h, w.User, w.UserLength, w.Domain, w.DomainLength, w.Password, w.PasswordLength,
                            &h->ex.UserLength, &h->ex.DomainLength)) != SEC_E_OK ||
            (st = field_in(w.PackageList, w.PackageListLength, MAX_PKGLIST_CHARS, "PackageList", &h->pkglist,
                           &h->ex.PackageListLength)) != SEC_E_OK)
            return st;
        h->ex.User = (unsigned char *)h->user;
        h->ex.Domain = (unsigned char *)h->domain;
        h->ex.Password = (unsigned char *)h->password;
        h->ex.PasswordLength = h->password_len;
        h->ex.PackageList = (unsigned char *)h->pkglist;
        h->ex.Flags = (w.Flags & ~(ULONG)SEC_WINNT_AUTH_IDENTITY_UNICODE) | SEC_WINNT_AUTH_IDENTITY_ANSI;
        *out = &h->ex;
        return SEC_E_OK;
    }
    if (head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION || head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION_2)
        return SEC_E_OK; /* another extended form: the A function names it */
    SEC_WINNT_AUTH_IDENTITY_W w;
    memcpy(&w, p, sizeof(w));
    if (!(w.Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE))
        return SEC_E_OK;
    memset(&h->plain, 0, sizeof(h->plain));
    if ((st = fields_in(h, w.User, w.UserLength, w.Domain, w.DomainLength, w.Password, w.PasswordLength,
                        &h->plain.UserLength, &h->plain.DomainLength)) != SEC_E_OK)
        return st;
    h->plain.User = (unsigned char *)h->user;
    h->plain.Domain = (unsigned char *)h->domain;
    h->plain.Password = (unsigned char *)h->password;
    h->plain.PasswordLength = h->password_len;
    h->plain.Flags = (w.Flags & ~(ULONG)SEC_WINNT_AUTH_IDENTITY_UNICODE) | SEC_WINNT_AUTH_IDENTITY_ANSI;
    *out = &h->plain;
    return SEC_E_OK;
}

/* pAuthData: NULL, an identity, or an SSPIX_AUTH_STORE_A (whose Identity
 * may be a wide identity). */
static SECURITY_STATUS auth_data_in(void *auth_data, struct auth_in *h, void **out)
{
    uint64_t magic;
    const void *ident;
    SECURITY_STATUS st;
    *out = auth_data;
    if (auth_data == NULL)
        return SEC_E_OK;
    memcpy(&magic, auth_data, sizeof(magic));
    if (magic == SSPIX_AUTH_STORE_MAGIC || magic == SSPIX_AUTH_STORE_MAGIC_V1) {
        /* A v1 structure ends at Identity: read no further. */
        memset(&h->store, 0, sizeof(h->store));
        memcpy(&h->store, auth_data,
               magic == SSPIX_AUTH_STORE_MAGIC ? sizeof(h->store) : offsetof(SSPIX_AUTH_STORE_A, NtlmUsersFile));
        if (h->store.Identity != NULL) {
            if ((st = identity_in(h->store.Identity, h, &ident)) != SEC_E_OK)
                return st;
            h->store.Identity = (PSEC_WINNT_AUTH_IDENTITY_A)ident;
        }
        *out = &h->store;
        return SEC_E_OK;
    }
    if ((st = identity_in(auth_data, h, &ident)) != SEC_E_OK)
        return st;
    *out = (void *)ident;
    return SEC_E_OK;
}

/* ---- results out ------------------------------------------------------------------- */

/* Characters of a library string in the caller's width. */
static SECURITY_STATUS wide_measure(const char *s, const char *what, size_t *units)
{
    size_t bad = 0;
    int rc = utf8_to_wide_len(s, strlen(s), units, &bad);
    if (rc != SSPIX_UTF_OK)
        return sspix_fail(SEC_E_INTERNAL_ERROR,
                          "the %s \"%.128s\" holds %s at byte %zu and has no " WIDTH " form: use the A function", what,
                          s, sspix_utf_err_str(rc), bad);
    return SEC_E_OK;
}

/* A library string as a new wide string freed with FreeContextBuffer; NULL
 * stays NULL. */
static SECURITY_STATUS wide_dup(const char *s, const char *what, SEC_WCHAR **out)
{
    size_t units;
    SECURITY_STATUS st;
    *out = NULL;
    if (s == NULL)
        return SEC_E_OK;
    if ((st = wide_measure(s, what, &units)) != SEC_E_OK)
        return st;
    SEC_WCHAR *w = malloc((units + 1) * sizeof(SEC_WCHAR));
    if (w == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    utf8_to_wide_write(s, strlen(s), w);
    *out = w;
    return SEC_E_OK;
}

/* Writes s (measured by wide_measure already) at `at`, NUL included;
 * returns the unit after the NUL. */
static SEC_WCHAR *wide_put(const char *s, SEC_WCHAR *at)
{
    size_t units = 0;
    if (utf8_to_wide_len(s, strlen(s), &units, NULL) != SSPIX_UTF_OK)
        units = 0; /* cannot happen: measured before */
    utf8_to_wide_write(s, strlen(s), at);
    return at + units + 1;
}

/* n SecPkgInfoA as one SecPkgInfoW block with its strings (one
 * FreeContextBuffer, as for the A block). */
static SECURITY_STATUS pkginfo_out(const SecPkgInfoA *a, ULONG n, SecPkgInfoW **out)
{
    size_t size = (size_t)n * sizeof(SecPkgInfoW), units;
    SECURITY_STATUS st;
    *out = NULL;
    for (ULONG i = 0; i < n; i++) {
        if ((st = wide_measure(a[i].Name, "package name", &units)) != SEC_E_OK)
            return st;
        size += (units + 1) * sizeof(SEC_WCHAR);
        if ((st = wide_measure(a[i].Comment, "package comment", &units)) != SEC_E_OK)
            return st;
        size += (units + 1) * sizeof(SEC_WCHAR);
    }
    SecPkgInfoW *w = malloc(size ? size : 1);
    if (w == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    SEC_WCHAR *strings = (SEC_WCHAR *)(void *)(w + n);
    for (ULONG i = 0; i < n; i++) {
        w[i].fCapabilities = a[i].fCapabilities;
        w[i].wVersion = a[i].wVersion;
        w[i].wRPCID = a[i].wRPCID;
        w[i].cbMaxToken = a[i].cbMaxToken;
        w[i].Name = strings;
        strings = wide_put(a[i].Name, strings);
        w[i].Comment = strings;
        strings = wide_put(a[i].Comment, strings);
    }
    *out = w;
    return SEC_E_OK;
}

/* ---- packages ---------------------------------------------------------------------- */

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesW(ULONG *pcPackages, PSecPkgInfoW *ppPackageInfo)
{
    SecPkgInfoA *a = NULL;
    SecPkgInfoW *w;
    ULONG n = 0;
    if (pcPackages == NULL || ppPackageInfo == NULL)
        return EnumerateSecurityPackagesA(pcPackages, NULL);
    SECURITY_STATUS st = EnumerateSecurityPackagesA(&n, &a);
    if (st != SEC_E_OK)
        return st;
    st = pkginfo_out(a, n, &w);
    FreeContextBuffer(a);
    if (st == SEC_E_OK) {
        *pcPackages = n;
        *ppPackageInfo = w;
    }
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(SEC_WCHAR *pszPackageName, PSecPkgInfoW *ppPackageInfo)
{
    SecPkgInfoA *a = NULL;
    char *name;
    SECURITY_STATUS st;
    sspix_error_enter("QuerySecurityPackageInfo");
    if (ppPackageInfo == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "ppPackageInfo must not be NULL");
    if ((st = param_in(pszPackageName, "pszPackageName", &name)) != SEC_E_OK)
        return st;
    st = QuerySecurityPackageInfoA(name, &a);
    free(name);
    if (st != SEC_E_OK)
        return st;
    st = pkginfo_out(a, 1, ppPackageInfo);
    FreeContextBuffer(a);
    return st;
}

/* ---- credentials ------------------------------------------------------------------- */

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(SEC_WCHAR *pszPrincipal, SEC_WCHAR *pszPackage,
                                                                 ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
                                                                 SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                                 PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    struct auth_in h = {0};
    char *principal = NULL, *package = NULL;
    void *auth = NULL;
    SECURITY_STATUS st;
    sspix_error_enter("AcquireCredentialsHandle");
    if ((st = param_in(pszPrincipal, "pszPrincipal", &principal)) == SEC_E_OK &&
        (st = param_in(pszPackage, "pszPackage", &package)) == SEC_E_OK &&
        (st = auth_data_in(pAuthData, &h, &auth)) == SEC_E_OK)
        st = AcquireCredentialsHandleA(principal, package, fCredentialUse, pvLogonId, auth, pGetKeyFn, pvGetKeyArgument,
                                       phCredential, ptsExpiry);
    auth_in_free(&h);
    free(principal);
    free(package);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AddCredentialsW(PCredHandle hCredentials, SEC_WCHAR *pszPrincipal,
                                                       SEC_WCHAR *pszPackage, ULONG fCredentialUse, void *pAuthData,
                                                       SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                       PTimeStamp ptsExpiry)
{
    struct auth_in h = {0};
    char *principal = NULL, *package = NULL;
    void *auth = NULL;
    SECURITY_STATUS st;
    sspix_error_enter("AddCredentials");
    if ((st = param_in(pszPrincipal, "pszPrincipal", &principal)) == SEC_E_OK &&
        (st = param_in(pszPackage, "pszPackage", &package)) == SEC_E_OK &&
        (st = auth_data_in(pAuthData, &h, &auth)) == SEC_E_OK)
        st = AddCredentialsA(hCredentials, principal, package, fCredentialUse, auth, pGetKeyFn, pvGetKeyArgument,
                             ptsExpiry);
    auth_in_free(&h);
    free(principal);
    free(package);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                                   void *pBuffer)
{
    if (ulAttribute != SECPKG_CRED_ATTR_NAMES || pBuffer == NULL)
        return QueryCredentialsAttributesA(phCredential, ulAttribute, pBuffer);
    SecPkgCredentials_NamesA a = {0};
    SEC_WCHAR *w;
    SECURITY_STATUS st = QueryCredentialsAttributesA(phCredential, ulAttribute, &a);
    if (st != SEC_E_OK)
        return st;
    st = wide_dup(a.sUserName, "credential's name", &w);
    FreeContextBuffer(a.sUserName);
    if (st == SEC_E_OK)
        ((SecPkgCredentials_NamesW *)pBuffer)->sUserName = w;
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExW(PCredHandle phCredential, ULONG ulAttribute,
                                                                     void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryCredentialsAttributesEx");
    if (ulAttribute == SECPKG_CRED_ATTR_NAMES && cbBuffer < sizeof(SecPkgCredentials_NamesW))
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "cbBuffer is smaller than SecPkgCredentials_NamesW");
    return QueryCredentialsAttributesW(phCredential, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    return SetCredentialsAttributesA(phCredential, ulAttribute, pBuffer, cbBuffer);
}

/* ---- contexts ---------------------------------------------------------------------- */

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(PCredHandle phCredential, PCtxtHandle phContext,
                                                                  SEC_WCHAR *pszTargetName, ULONG fContextReq,
                                                                  ULONG Reserved1, ULONG TargetDataRep,
                                                                  PSecBufferDesc pInput, ULONG Reserved2,
                                                                  PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                                  ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    char *target;
    sspix_error_enter("InitializeSecurityContext");
    SECURITY_STATUS st = param_in(pszTargetName, "pszTargetName", &target);
    if (st != SEC_E_OK)
        return st;
    st = InitializeSecurityContextA(phCredential, phContext, target, fContextReq, Reserved1, TargetDataRep, pInput,
                                    Reserved2, phNewContext, pOutput, pfContextAttr, ptsExpiry);
    free(target);
    return st;
}

/* Two strings of one attribute, converted together: both or neither. */
static SECURITY_STATUS two_out(char *a1, char *a2, const char *what1, const char *what2, SEC_WCHAR **w1, SEC_WCHAR **w2)
{
    SECURITY_STATUS st = wide_dup(a1, what1, w1);
    if (st == SEC_E_OK && (st = wide_dup(a2, what2, w2)) != SEC_E_OK) {
        free(*w1);
        *w1 = NULL;
    }
    FreeContextBuffer(a1);
    FreeContextBuffer(a2);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer)
{
    SECURITY_STATUS st;
    if (pBuffer == NULL)
        return QueryContextAttributesA(phContext, ulAttribute, NULL);
    switch (ulAttribute) {
    case SECPKG_ATTR_NAMES: {
        SecPkgContext_NamesA a = {0};
        SEC_WCHAR *w;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        st = wide_dup(a.sUserName, "client name", &w);
        FreeContextBuffer(a.sUserName);
        if (st == SEC_E_OK)
            ((SecPkgContext_NamesW *)pBuffer)->sUserName = w;
        return st;
    }
    case SECPKG_ATTR_NATIVE_NAMES: {
        SecPkgContext_NativeNamesA a = {0};
        SEC_WCHAR *client = NULL, *server = NULL;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        if ((st = two_out(a.sClientName, a.sServerName, "client name", "server name", &client, &server)) == SEC_E_OK) {
            ((SecPkgContext_NativeNamesW *)pBuffer)->sClientName = client;
            ((SecPkgContext_NativeNamesW *)pBuffer)->sServerName = server;
        }
        return st;
    }
    case SECPKG_ATTR_PACKAGE_INFO:
    case SECPKG_ATTR_NEGOTIATION_INFO: {
        SecPkgContext_NegotiationInfoA a = {0}; /* PackageInfo first in both */
        SecPkgInfoW *w;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        st = pkginfo_out(a.PackageInfo, 1, &w);
        FreeContextBuffer(a.PackageInfo);
        if (st != SEC_E_OK)
            return st;
        if (ulAttribute == SECPKG_ATTR_PACKAGE_INFO) {
            ((SecPkgContext_PackageInfoW *)pBuffer)->PackageInfo = w;
        } else {
            ((SecPkgContext_NegotiationInfoW *)pBuffer)->PackageInfo = w;
            ((SecPkgContext_NegotiationInfoW *)pBuffer)->NegotiationState = a.NegotiationState;
        }
        return SEC_E_OK;
    }
    case SECPKG_ATTR_KEY_INFO: {
        SecPkgContext_KeyInfoA a = {0};
        SEC_WCHAR *sig = NULL, *enc = NULL;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        if ((st = two_out(a.sSignatureAlgorithmName, a.sEncryptAlgorithmName, "signature algorithm name",
                          "encryption algorithm name", &sig, &enc)) == SEC_E_OK) {
            SecPkgContext_KeyInfoW *k = pBuffer;
            k->sSignatureAlgorithmName = sig;
            k->sEncryptAlgorithmName = enc;
            k->KeySize = a.KeySize;
            k->SignatureAlgorithm = a.SignatureAlgorithm;
            k->EncryptAlgorithm = a.EncryptAlgorithm;
        }
        return st;
    }
    case SECPKG_ATTR_AUTHORITY: {
        SecPkgContext_AuthorityA a = {0};
        SEC_WCHAR *w;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        st = wide_dup(a.sAuthorityName, "authority name", &w);
        FreeContextBuffer(a.sAuthorityName);
        if (st == SEC_E_OK)
            ((SecPkgContext_AuthorityW *)pBuffer)->sAuthorityName = w;
        return st;
    }
    case SECPKG_ATTR_CREDENTIAL_NAME: {
        SecPkgContext_CredentialNameA a = {0};
        SEC_WCHAR *w;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        st = wide_dup(a.sCredentialName, "credential name", &w);
        FreeContextBuffer(a.sCredentialName);
        if (st == SEC_E_OK) {
            ((SecPkgContext_CredentialNameW *)pBuffer)->CredentialType = a.CredentialType;
            ((SecPkgContext_CredentialNameW *)pBuffer)->sCredentialName = w;
        }
        return st;
    }
    case SECPKG_ATTR_PROTO_INFO: {
        SecPkgContext_ProtoInfoA a = {0};
        SEC_WCHAR *w;
        if ((st = QueryContextAttributesA(phContext, ulAttribute, &a)) != SEC_E_OK)
            return st;
        st = wide_dup(a.sProtocolName, "protocol name", &w);
        FreeContextBuffer(a.sProtocolName);
        if (st == SEC_E_OK) {
            SecPkgContext_ProtoInfoW *p = pBuffer;
            p->sProtocolName = w;
            p->majorVersion = a.majorVersion;
            p->minorVersion = a.minorVersion;
        }
        return st;
    }
    default: /* no strings: the A structure is the W structure */
        return QueryContextAttributesA(phContext, ulAttribute, pBuffer);
    }
}

/* The W structures' sizes for the attributes whose layout is known. */
static size_t attribute_size_w(ULONG attr)
{
    switch (attr) {
    case SECPKG_ATTR_SIZES: return sizeof(SecPkgContext_Sizes);
    case SECPKG_ATTR_NAMES: return sizeof(SecPkgContext_NamesW);
    case SECPKG_ATTR_LIFESPAN: return sizeof(SecPkgContext_Lifespan);
    case SECPKG_ATTR_STREAM_SIZES: return sizeof(SecPkgContext_StreamSizes);
    case SECPKG_ATTR_KEY_INFO: return sizeof(SecPkgContext_KeyInfoW);
    case SECPKG_ATTR_AUTHORITY: return sizeof(SecPkgContext_AuthorityW);
    case SECPKG_ATTR_PROTO_INFO: return sizeof(SecPkgContext_ProtoInfoW);
    case SECPKG_ATTR_SESSION_KEY: return sizeof(SecPkgContext_SessionKey);
    case SECPKG_ATTR_PACKAGE_INFO: return sizeof(SecPkgContext_PackageInfoW);
    case SECPKG_ATTR_NEGOTIATION_INFO: return sizeof(SecPkgContext_NegotiationInfoW);
    case SECPKG_ATTR_NATIVE_NAMES: return sizeof(SecPkgContext_NativeNamesW);
    case SECPKG_ATTR_FLAGS: return sizeof(SecPkgContext_Flags);
    case SECPKG_ATTR_CREDENTIAL_NAME: return sizeof(SecPkgContext_CredentialNameW);
    default: return 0;
    }
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryContextAttributesExW(PCtxtHandle phContext, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryContextAttributesEx");
    size_t need = attribute_size_w(ulAttribute);
    if (need != 0 && cbBuffer < need)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "attribute %u needs a %zu-byte buffer, cbBuffer is %u",
                          (unsigned)ulAttribute, need, (unsigned)cbBuffer);
    return QueryContextAttributesW(phContext, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                             ULONG cbBuffer)
{
    return SetContextAttributesA(phContext, ulAttribute, pBuffer, cbBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(SEC_WCHAR *pszPackage, PSecBuffer pPackedContext,
                                                              void *Token, PCtxtHandle phContext)
{
    char *package;
    sspix_error_enter("ImportSecurityContext");
    SECURITY_STATUS st = param_in(pszPackage, "pszPackage", &package);
    if (st != SEC_E_OK)
        return st;
    st = ImportSecurityContextA(package, pPackedContext, Token, phContext);
    free(package);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordW(SEC_WCHAR *pszPackageName, SEC_WCHAR *pszDomainName,
                                                              SEC_WCHAR *pszAccountName, SEC_WCHAR *pszOldPassword,
                                                              SEC_WCHAR *pszNewPassword, BOOLEAN bImpersonating,
                                                              ULONG dwReserved, PSecBufferDesc pOutput)
{
    /* Unsupported whatever the strings say: nothing of them is read. */
    (void)pszPackageName, (void)pszDomainName, (void)pszAccountName, (void)pszOldPassword, (void)pszNewPassword;
    return ChangeAccountPasswordA(NULL, NULL, NULL, NULL, NULL, bImpersonating, dwReserved, pOutput);
}

/* ---- the table --------------------------------------------------------------------- */

static const SecurityFunctionTableW function_table_w = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
    .EnumerateSecurityPackagesW = EnumerateSecurityPackagesW,
    .QueryCredentialsAttributesW = QueryCredentialsAttributesW,
    .AcquireCredentialsHandleW = AcquireCredentialsHandleW,
    .FreeCredentialsHandle = FreeCredentialsHandle,
    .Reserved2 = NULL,
    .InitializeSecurityContextW = InitializeSecurityContextW,
    .AcceptSecurityContext = AcceptSecurityContext,
    .CompleteAuthToken = CompleteAuthToken,
    .DeleteSecurityContext = DeleteSecurityContext,
    .ApplyControlToken = ApplyControlToken,
    .QueryContextAttributesW = QueryContextAttributesW,
    .ImpersonateSecurityContext = ImpersonateSecurityContext,
    .RevertSecurityContext = RevertSecurityContext,
    .MakeSignature = MakeSignature,
    .VerifySignature = VerifySignature,
    .FreeContextBuffer = FreeContextBuffer,
    .QuerySecurityPackageInfoW = QuerySecurityPackageInfoW,
    /* Windows fills these two reserved slots with the message functions. */
    .Reserved3 = (void *)EncryptMessage,
    .Reserved4 = (void *)DecryptMessage,
    .ExportSecurityContext = ExportSecurityContext,
    .ImportSecurityContextW = ImportSecurityContextW,
    .AddCredentialsW = AddCredentialsW,
    .Reserved8 = NULL,
    .QuerySecurityContextToken = QuerySecurityContextToken,
    .EncryptMessage = EncryptMessage,
    .DecryptMessage = DecryptMessage,
    .SetContextAttributesW = SetContextAttributesW,
    .SetCredentialsAttributesW = SetCredentialsAttributesW,
    .ChangeAccountPasswordW = ChangeAccountPasswordW,
    .QueryContextAttributesExW = QueryContextAttributesExW,
    .QueryCredentialsAttributesExW = QueryCredentialsAttributesExW,
};

SSPIX_EXPORT PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void)
{
    return (PSecurityFunctionTableW)&function_table_w;
}
