/* SPDX-License-Identifier: MIT */
/*
 * test_wide.c - the wide (W) API against the test realm, in the wchar_t
 * width this file is compiled with (built twice: -fshort-wchar for UTF-16,
 * gcc's default for UTF-32).
 *
 *   - InitSecurityInterfaceW: every slot filled, the table's functions are
 *     the width's own; the entry points' symbol names for dlsym().
 *   - EnumerateSecurityPackagesW / QuerySecurityPackageInfoW.
 *   - Kerberos and Negotiate handshakes with alice's tickets, names, package,
 *     negotiation and key info in the W structures, message protection.
 *   - Password logons with SEC_WINNT_AUTH_IDENTITY_W and _EXW for a
 *     non-ASCII principal (jürgen, password with é) on Kerberos, Negotiate
 *     and NTLM; an SSPIX_AUTH_STORE_A carrying a wide identity.
 *   - Refusals: unpaired surrogates, embedded NULs, out-of-range values,
 *     lengths without buffers, too small Ex buffers, each with its SEC_E_*
 *     and message.
 *
 * jürgen@SSPIX.TEST and his password are created by the wide.principal
 * fixture (tests/integration/wide_principal.sh).
 */
#include <dlfcn.h>
#include <locale.h>
#include <stdint.h>
#include <unistd.h>

#include <sspix/sspix.h>

#include "common/check.h"

#if SSPIX_WCHAR_BYTES == 2
#define WIDTH_NAME "UTF-16"
#else
#define WIDTH_NAME "UTF-32"
#endif

/* jürgen@SSPIX.TEST's password (tests/integration/wide_principal.sh). */
#define WIDE_USER          L"j\u00FCrgen"
#define WIDE_PASSWORD      L"p\u00E4ssw\u00F6rd-\u00E9"
#define WIDE_PASSWORD_UTF8 "p\xC3\xA4ssw\xC3\xB6rd-\xC3\xA9"
#define WIDE_USER_UTF8     "j\xC3\xBCrgen"

static PSecurityFunctionTableW t;

static size_t wlen(const SEC_WCHAR *s)
{
    size_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

static int weq(const SEC_WCHAR *a, const SEC_WCHAR *b)
{
    if (a == NULL || b == NULL)
        return 0;
    size_t n = wlen(a);
    return n == wlen(b) && memcmp(a, b, n * sizeof(SEC_WCHAR)) == 0;
}

/* For failure messages: ASCII as is, anything else as \u escapes. */
static const char *show(const SEC_WCHAR *s)
{
    static char buf[512];
    size_t o = 0;
    if (s == NULL)
        return "(null)";
    for (size_t i = 0; s[i] != 0 && o + 12 < sizeof(buf); i++) {
        unsigned long c = (unsigned long)s[i];
        if (c >= 0x20 && c < 0x7F)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\u%04lX", c);
    }
    buf[o] = '\0';
    return buf;
}

#define CHECK_WSTR(a, b)                                                                                               \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (!weq((a), (b))) {                                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (", __FILE__, __LINE__, #a, #b);                            \
            fprintf(stderr, "\"%s\" != ", show(a));                                                                    \
            fprintf(stderr, "\"%s\")\n", show(b));                                                                     \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_ERR(expr, expected, needle)                                                                              \
    do {                                                                                                               \
        CHECK_SEC((expr), (expected));                                                                                 \
        if (strstr(sspix_last_error(), (needle)) == NULL) {                                                            \
            fprintf(stderr, "%s:%d: last error lacks \"%s\": %s\n", __FILE__, __LINE__, (needle), sspix_last_error()); \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* ---- the table and the symbols ------------------------------------------------------ */

static void test_table(void)
{
    t = InitSecurityInterfaceW();
    CHECK(t != NULL);
    CHECK_EQ_INT(t->dwVersion, SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5);
    /* Every member but the three unused reserved ones is set. */
    void *const *slot = (void *const *)(const void *)&t->EnumerateSecurityPackagesW;
    size_t slots = (sizeof(*t) - offsetof(SecurityFunctionTableW, EnumerateSecurityPackagesW)) / sizeof(void *);
    CHECK_EQ_INT(slots, 31);
    for (size_t i = 0; i < slots; i++) {
        const void *p = slot[i];
        int reserved = &slot[i] == (void *const *)(const void *)&t->Reserved2 ||
                       &slot[i] == (void *const *)(const void *)&t->Reserved8;
        CHECK(reserved ? p == NULL : p != NULL);
    }
    /* The table's W functions are the ones this width calls directly. */
    CHECK(t->AcquireCredentialsHandleW == AcquireCredentialsHandleW);
    CHECK(t->InitializeSecurityContextW == InitializeSecurityContextW);
    CHECK(t->QueryContextAttributesW == QueryContextAttributesW);
    CHECK(t->QueryContextAttributesExW == QueryContextAttributesExW);
    CHECK(t->EnumerateSecurityPackagesW == EnumerateSecurityPackagesW);
    CHECK(t->QuerySecurityPackageInfoW == QuerySecurityPackageInfoW);
    CHECK(t->ImportSecurityContextW == ImportSecurityContextW);
    CHECK(t->AcceptSecurityContext == AcceptSecurityContext);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);

    /* dlsym() by name: the Windows names are the UTF-16 functions, the
     * sspix_*W32 names the UTF-32 ones; SECURITY_ENTRYPOINT_ANSIW names the
     * table of this width. */
    void *h = dlopen("libsspix.so.0", RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL);
    INIT_SECURITY_INTERFACE_W init = (INIT_SECURITY_INTERFACE_W)(uintptr_t)dlsym(h, SECURITY_ENTRYPOINT_ANSIW);
    CHECK(init != NULL && init() == t);
    void *w16 = dlsym(h, "AcquireCredentialsHandleW"), *w32 = dlsym(h, "sspix_AcquireCredentialsHandleW32");
    CHECK(w16 != NULL && w32 != NULL && w16 != w32);
    CHECK((uintptr_t)(SSPIX_WCHAR_BYTES == 2 ? w16 : w32) == (uintptr_t)&AcquireCredentialsHandleW);
    PSecurityFunctionTableW other = ((INIT_SECURITY_INTERFACE_W)(uintptr_t)dlsym(
        h, SSPIX_WCHAR_BYTES == 2 ? "sspix_InitSecurityInterfaceW32" : "InitSecurityInterfaceW"))();
    CHECK(other != NULL && other != t &&
          (uintptr_t)other->AcquireCredentialsHandleW == (uintptr_t)(SSPIX_WCHAR_BYTES == 2 ? w32 : w16));
    dlclose(h);
}

/* ---- packages ----------------------------------------------------------------------- */

static void test_packages(void)
{
    ULONG n = 0;
    PSecPkgInfoW pkgs = NULL, one = NULL;
    CHECK_SEC(t->EnumerateSecurityPackagesW(&n, &pkgs), SEC_E_OK);
    CHECK_EQ_INT(n, 3);
    int seen = 0;
    for (ULONG i = 0; i < n; i++) {
        CHECK(pkgs[i].Comment != NULL && wlen(pkgs[i].Comment) > 0);
        seen |= weq(pkgs[i].Name, NEGOSSP_NAME_W)              ? 1
                : weq(pkgs[i].Name, MICROSOFT_KERBEROS_NAME_W) ? 2
                : weq(pkgs[i].Name, NTLMSP_NAME_W)             ? 4
                                                               : 8;
    }
    CHECK_EQ_INT(seen, 7);
    /* The W block says what the A block says. */
    PSecPkgInfoA apkgs = NULL;
    ULONG an = 0;
    CHECK_SEC(EnumerateSecurityPackagesA(&an, &apkgs), SEC_E_OK);
    CHECK_EQ_INT(an, n);
    for (ULONG i = 0; i < n; i++) {
        CHECK_EQ_INT(pkgs[i].fCapabilities, apkgs[i].fCapabilities);
        CHECK_EQ_INT(pkgs[i].cbMaxToken, apkgs[i].cbMaxToken);
        CHECK_EQ_INT(pkgs[i].wRPCID, apkgs[i].wRPCID);
        CHECK_EQ_INT(wlen(pkgs[i].Comment), strlen(apkgs[i].Comment)); /* ASCII comments */
    }
    FreeContextBuffer(apkgs);
    CHECK_SEC(FreeContextBuffer(pkgs), SEC_E_OK);

    CHECK_SEC(t->QuerySecurityPackageInfoW((SEC_WCHAR *)L"kerberos", &one), SEC_E_OK);
    CHECK_WSTR(one->Name, L"Kerberos");
    CHECK_EQ_INT(one->wRPCID, RPC_C_AUTHN_GSS_KERBEROS);
    FreeContextBuffer(one);
    CHECK_ERR(t->QuerySecurityPackageInfoW((SEC_WCHAR *)L"N\u00E9gotiate", &one), SEC_E_SECPKG_NOT_FOUND,
              "N\xC3\xA9gotiate");
    CHECK_ERR(t->QuerySecurityPackageInfoW(NULL, &one), SEC_E_SECPKG_NOT_FOUND, "(null)");
    CHECK_ERR(t->QuerySecurityPackageInfoW((SEC_WCHAR *)L"NTLM", NULL), SEC_E_INVALID_PARAMETER, "ppPackageInfo");
    CHECK_ERR(t->EnumerateSecurityPackagesW(&n, NULL), SEC_E_INVALID_PARAMETER, "ppPackageInfo");

    /* Strings the caller's width cannot mean. */
    SEC_WCHAR lone[] = {'N', 'T', (SEC_WCHAR)0xD800, 'M', 0};
    CHECK_ERR(t->QuerySecurityPackageInfoW(lone, &one), SEC_E_INVALID_PARAMETER, "unpaired surrogate");
    CHECK(strstr(sspix_last_error(), "pszPackageName") != NULL && strstr(sspix_last_error(), "character 2") != NULL);
#if SSPIX_WCHAR_BYTES == 4
    SEC_WCHAR big[] = {'N', (SEC_WCHAR)0x110000, 0};
    CHECK_ERR(t->QuerySecurityPackageInfoW(big, &one), SEC_E_INVALID_PARAMETER, "U+10FFFF");
#endif
    static SEC_WCHAR longname[1100];
    for (size_t i = 0; i < 1099; i++)
        longname[i] = 'a';
    CHECK_ERR(t->QuerySecurityPackageInfoW(longname, &one), SEC_E_INVALID_PARAMETER, "longer than 1024");
}

/* ---- handshakes ------------------------------------------------------------------------ */

struct whs {
    CtxtHandle client, server;
    int have_client, have_server;
    ULONG client_attrs, server_attrs;
};

static SECURITY_STATUS run(CredHandle *cc, CredHandle *sc, const SEC_WCHAR *target, struct whs *hs)
{
    static unsigned char c2s[65536], s2c[65536];
    ULONG c2s_len = 0, s2c_len = 0;
    int cdone = 0, sdone = 0;
    ULONG isc = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                ISC_REQ_SEQUENCE_DETECT;
    ULONG asc = ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
                ASC_REQ_SEQUENCE_DETECT;
    memset(hs, 0, sizeof(*hs));
    for (int round = 0; round < 10 && !(cdone && sdone); round++) {
        if (!cdone) {
            SecBuffer ib = {s2c_len, SECBUFFER_TOKEN, s2c}, ob = {sizeof(c2s), SECBUFFER_TOKEN, c2s};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
            SECURITY_STATUS st = t->InitializeSecurityContextW(
                cc, hs->have_client ? &hs->client : NULL, (SEC_WCHAR *)target, isc, 0, SECURITY_NATIVE_DREP,
                hs->have_client ? &in : NULL, 0, &hs->client, &out, &hs->client_attrs, NULL);
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_client = 1;
            cdone = st == SEC_E_OK;
            c2s_len = ob.cbBuffer;
            s2c_len = 0;
        }
        if (c2s_len > 0) {
            SecBuffer ib = {c2s_len, SECBUFFER_TOKEN, c2s}, ob = {sizeof(s2c), SECBUFFER_TOKEN, s2c};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
            SECURITY_STATUS st =
                t->AcceptSecurityContext(sc, hs->have_server ? &hs->server : NULL, &in, asc, SECURITY_NATIVE_DREP,
                                         &hs->server, &out, &hs->server_attrs, NULL);
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_server = 1;
            sdone = st == SEC_E_OK;
            s2c_len = ob.cbBuffer;
            c2s_len = 0;
            if (s2c_len == 0 && !cdone && sdone)
                break;
        }
    }
    return cdone && sdone ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

static void hs_free(struct whs *hs)
{
    if (hs->have_client)
        CHECK_SEC(t->DeleteSecurityContext(&hs->client), SEC_E_OK);
    if (hs->have_server)
        CHECK_SEC(t->DeleteSecurityContext(&hs->server), SEC_E_OK);
}

/* One message each way through the table's message functions. */
static void check_protection(struct whs *hs)
{
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributesW(&hs->client, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    unsigned char trailer[256], data[32];
    memcpy(data, "wide greeting", 14);
    CHECK(sizes.cbSecurityTrailer <= sizeof(trailer));
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {14, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(&hs->client, 0, &d, 0), SEC_E_OK);
    ULONG qop = 1;
    CHECK_SEC(t->DecryptMessage(&hs->server, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(b[1].pvBuffer, "wide greeting", 14) == 0);
}

/* Names, package and key info in the W structures, checked against the A
 * answers where the library speaks ASCII, and against want_client. */
static void check_names(struct whs *hs, const SEC_WCHAR *want_client, const SEC_WCHAR *want_server,
                        const SEC_WCHAR *want_pkg)
{
    SecPkgContext_NamesW names = {0};
    SecPkgContext_NativeNamesW native = {0};
    SecPkgContext_PackageInfoW pi = {0};
    SecPkgContext_NegotiationInfoW ni = {0};
    SecPkgContext_KeyInfoW ki = {0};
    SecPkgContext_KeyInfoA ka = {0};

    CHECK_SEC(t->QueryContextAttributesW(&hs->server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_WSTR(names.sUserName, want_client);
    FreeContextBuffer(names.sUserName);
    CHECK_SEC(t->QueryContextAttributesW(&hs->client, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_WSTR(names.sUserName, want_client);
    FreeContextBuffer(names.sUserName);

    CHECK_SEC(t->QueryContextAttributesW(&hs->client, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK_WSTR(native.sClientName, want_client);
    if (want_server != NULL)
        CHECK_WSTR(native.sServerName, want_server);
    FreeContextBuffer(native.sClientName);
    FreeContextBuffer(native.sServerName);

    CHECK_SEC(t->QueryContextAttributesW(&hs->server, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    CHECK_WSTR(pi.PackageInfo->Name, want_pkg);
    FreeContextBuffer(pi.PackageInfo);
    CHECK_SEC(t->QueryContextAttributesExW(&hs->client, SECPKG_ATTR_NEGOTIATION_INFO, &ni, sizeof(ni)), SEC_E_OK);
    CHECK_WSTR(ni.PackageInfo->Name, want_pkg);
    CHECK_EQ_INT(ni.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    FreeContextBuffer(ni.PackageInfo);

    CHECK_SEC(t->QueryContextAttributesW(&hs->client, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
    CHECK_SEC(QueryContextAttributesA(&hs->client, SECPKG_ATTR_KEY_INFO, &ka), SEC_E_OK);
    CHECK_EQ_INT(wlen(ki.sEncryptAlgorithmName), strlen(ka.sEncryptAlgorithmName));
    CHECK_EQ_INT(wlen(ki.sSignatureAlgorithmName), strlen(ka.sSignatureAlgorithmName));
    for (size_t i = 0; ka.sEncryptAlgorithmName[i]; i++)
        CHECK(ki.sEncryptAlgorithmName[i] == (SEC_WCHAR)ka.sEncryptAlgorithmName[i]);
    CHECK_EQ_INT(ki.KeySize, ka.KeySize);
    CHECK_EQ_INT(ki.EncryptAlgorithm, ka.EncryptAlgorithm);
    CHECK_EQ_INT(ki.SignatureAlgorithm, ka.SignatureAlgorithm);
    FreeContextBuffer(ki.sEncryptAlgorithmName);
    FreeContextBuffer(ki.sSignatureAlgorithmName);
    FreeContextBuffer(ka.sEncryptAlgorithmName);
    FreeContextBuffer(ka.sSignatureAlgorithmName);

    SecPkgContext_AuthorityW au = {0};
    CHECK_SEC(t->QueryContextAttributesExW(&hs->server, SECPKG_ATTR_AUTHORITY, &au, sizeof(au)), SEC_E_OK);
    CHECK_WSTR(au.sAuthorityName, L"SSPIX.TEST");
    FreeContextBuffer(au.sAuthorityName);

    /* Attributes without strings pass through; Ex checks the W size. */
    SecPkgContext_Flags fl;
    CHECK_SEC(t->QueryContextAttributesW(&hs->server, SECPKG_ATTR_FLAGS, &fl), SEC_E_OK);
    CHECK_EQ_INT(fl.Flags, hs->server_attrs);
    CHECK_ERR(t->QueryContextAttributesExW(&hs->server, SECPKG_ATTR_NAMES, &names, sizeof(names) - 1),
              SEC_E_BUFFER_TOO_SMALL, "needs a");
    CHECK_ERR(t->QueryContextAttributesW(&hs->server, SECPKG_ATTR_NAMES, NULL), SEC_E_INVALID_PARAMETER, "pBuffer");
    CtxtHandle bogus = {12345, 67890};
    CHECK_SEC(t->QueryContextAttributesW(&bogus, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
}

static void server_cred(const SEC_WCHAR *pkg, CredHandle *sc, void *auth)
{
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_INBOUND, NULL, auth, NULL, NULL, sc, NULL),
        SEC_E_OK);
}

/* alice's tickets from the ccache; a W target name. */
static void test_default_credentials(const SEC_WCHAR *pkg)
{
    CredHandle cc, sc;
    struct whs hs;
    SecPkgCredentials_NamesW cn = {0};
    TimeStamp expiry;
    server_cred(pkg, &sc, NULL);
    CHECK_SEC(t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc,
                                           &expiry),
              SEC_E_OK);
    CHECK_SEC(t->QueryCredentialsAttributesW(&cc, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK_WSTR(cn.sUserName, L"alice@SSPIX.TEST");
    FreeContextBuffer(cn.sUserName);
    CHECK_SEC(t->QueryCredentialsAttributesExW(&cc, SECPKG_CRED_ATTR_NAMES, &cn, sizeof(cn)), SEC_E_OK);
    CHECK_WSTR(cn.sUserName, L"alice@SSPIX.TEST");
    FreeContextBuffer(cn.sUserName);
    CHECK_ERR(t->QueryCredentialsAttributesExW(&cc, SECPKG_CRED_ATTR_NAMES, &cn, 1), SEC_E_BUFFER_TOO_SMALL,
              "SecPkgCredentials_NamesW");

    CHECK_SEC(run(&cc, &sc, L"host/localhost", &hs), SEC_E_OK);
    CHECK(hs.client_attrs & ISC_RET_MUTUAL_AUTH);
    check_names(&hs, L"alice@SSPIX.TEST", L"host/localhost@SSPIX.TEST", L"Kerberos");
    check_protection(&hs);
    hs_free(&hs);

    /* A target the caller's width cannot express is refused before the
     * package sees it; a valid non-ASCII one reaches the KDC. */
    SEC_WCHAR bad[] = {'h', 'o', 's', 't', '/', (SEC_WCHAR)0xDC01, 0};
    CtxtHandle ctx;
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    CHECK_ERR(
        t->InitializeSecurityContextW(&cc, NULL, bad, ISC_REQ_ALLOCATE_MEMORY, 0, 0, NULL, 0, &ctx, &out, &attrs, NULL),
        SEC_E_INVALID_PARAMETER, "pszTargetName holds an unpaired surrogate at character 5");
    CHECK_SEC(t->InitializeSecurityContextW(&cc, NULL, (SEC_WCHAR *)L"host/n\u00F6where", ISC_REQ_ALLOCATE_MEMORY, 0, 0,
                                            NULL, 0, &ctx, &out, &attrs, NULL),
              SEC_E_TARGET_UNKNOWN);
    CHECK(strstr(sspix_last_error(), "n\xC3\xB6where") != NULL);

    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

static SEC_WINNT_AUTH_IDENTITY_W wide_identity(const SEC_WCHAR *user, const SEC_WCHAR *domain,
                                               const SEC_WCHAR *password)
{
    SEC_WINNT_AUTH_IDENTITY_W id = {(SSPIX_IDENTITY_WCHAR *)user,     (ULONG)wlen(user),
                                    (SSPIX_IDENTITY_WCHAR *)domain,   domain ? (ULONG)wlen(domain) : 0,
                                    (SSPIX_IDENTITY_WCHAR *)password, (ULONG)wlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_UNICODE};
    return id;
}

/* jürgen logs on with his password: the identity is read in this width. */
static void test_password_logon(const SEC_WCHAR *pkg)
{
    CredHandle cc, sc;
    struct whs hs;
    SEC_WINNT_AUTH_IDENTITY_W id = wide_identity(WIDE_USER, L"SSPIX.TEST", WIDE_PASSWORD);
    server_cred(pkg, &sc, NULL);
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(run(&cc, &sc, L"host/localhost", &hs), SEC_E_OK);
    check_names(&hs, WIDE_USER L"@SSPIX.TEST", L"host/localhost@SSPIX.TEST", L"Kerberos");
    check_protection(&hs);
    hs_free(&hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);

    /* The extended form with a PackageList, and user@REALM in User. */
    SEC_WINNT_AUTH_IDENTITY_EXW ex = {SEC_WINNT_AUTH_IDENTITY_VERSION,
                                      sizeof(ex),
                                      (SSPIX_IDENTITY_WCHAR *)WIDE_USER L"@SSPIX.TEST",
                                      (ULONG)wlen(WIDE_USER L"@SSPIX.TEST"),
                                      NULL,
                                      0,
                                      (SSPIX_IDENTITY_WCHAR *)WIDE_PASSWORD,
                                      (ULONG)wlen(WIDE_PASSWORD),
                                      SEC_WINNT_AUTH_IDENTITY_UNICODE,
                                      (SSPIX_IDENTITY_WCHAR *)L"Kerberos, !NTLM",
                                      (ULONG)wlen(L"Kerberos, !NTLM")};
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(run(&cc, &sc, L"host/localhost", &hs), SEC_E_OK);
    check_names(&hs, WIDE_USER L"@SSPIX.TEST", NULL, L"Kerberos");
    hs_free(&hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    ex.PackageList = (SSPIX_IDENTITY_WCHAR *)L"Kerberos,Bogus\u00E9";
    ex.PackageListLength = (ULONG)wlen(L"Kerberos,Bogus\u00E9");
    CHECK_ERR(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL, &cc, NULL),
        SEC_E_SECPKG_NOT_FOUND, "Bogus\xC3\xA9");

    /* The wrong password (one character off, beyond ASCII) is denied. */
    SEC_WINNT_AUTH_IDENTITY_W wrong = wide_identity(WIDE_USER, L"SSPIX.TEST", L"p\u00E4ssw\u00F6rd-\u00E8");
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &wrong, NULL, NULL, &cc, NULL),
        SEC_E_LOGON_DENIED);

    /* An SSPIX_AUTH_STORE_A whose Identity is the wide structure. */
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Identity = (PSEC_WINNT_AUTH_IDENTITY_A)(void *)&id};
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &store, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(run(&cc, &sc, L"host/localhost", &hs), SEC_E_OK);
    check_names(&hs, WIDE_USER L"@SSPIX.TEST", NULL, L"Kerberos");
    hs_free(&hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);

    /* The A identity is still accepted by the W function (its Flags say
     * ANSI), with the same UTF-8 user. */
    SEC_WINNT_AUTH_IDENTITY_A aid = {
        (unsigned char *)WIDE_USER_UTF8,     (ULONG)strlen(WIDE_USER_UTF8),     (unsigned char *)"SSPIX.TEST", 10,
        (unsigned char *)WIDE_PASSWORD_UTF8, (ULONG)strlen(WIDE_PASSWORD_UTF8), SEC_WINNT_AUTH_IDENTITY_ANSI};
    CHECK_SEC(
        t->AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &aid, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* Identity fields the width cannot mean are refused, naming the field. */
static void test_identity_refusals(void)
{
    CredHandle cc;
    SEC_WCHAR user_nul[] = {'j', 0, 'x', 0};
    SEC_WCHAR pw_lone[] = {'p', (SEC_WCHAR)0xD801, 'w', 0};
    SEC_WINNT_AUTH_IDENTITY_W id = wide_identity(L"alice", L"SSPIX.TEST", L"x");

    id.User = (SSPIX_IDENTITY_WCHAR *)user_nul;
    id.UserLength = 3;
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_UNKNOWN_CREDENTIALS, "User holds a NUL inside the string's length at character 1");
    id = wide_identity(L"alice", L"SSPIX.TEST", pw_lone);
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_UNKNOWN_CREDENTIALS, "Password holds an unpaired surrogate");
    id = wide_identity(L"alice", L"SSPIX.TEST", L"x");
    id.Domain = NULL;
    id.DomainLength = 4;
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_UNKNOWN_CREDENTIALS, "DomainLength is 4 but Domain is NULL");
    static SEC_WCHAR longuser[600];
    for (size_t i = 0; i < 599; i++)
        longuser[i] = 'u';
    id = wide_identity(longuser, NULL, L"x");
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_UNKNOWN_CREDENTIALS, "longer than 512 characters");
#if SSPIX_WCHAR_BYTES == 4
    SEC_WCHAR big[] = {'a', (SEC_WCHAR)0x7FFFFFFF, 0};
    id = wide_identity(big, NULL, L"x");
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_UNKNOWN_CREDENTIALS, "U+10FFFF");
#endif
    /* Lengths count the width's units: the emoji is a surrogate pair (2) in
     * UTF-16 and one unit in UTF-32, and the whole name reaches the KDC. */
    id = wide_identity(L"\U0001F600x", L"SSPIX.TEST", L"x");
    CHECK_EQ_INT(id.UserLength, SSPIX_WCHAR_BYTES == 2 ? 3 : 2);
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_LOGON_DENIED, "\xF0\x9F\x98\x80x@SSPIX.TEST");
    id.UserLength = 1; /* half a pair in UTF-16, the emoji alone in UTF-32 */
    if (SSPIX_WCHAR_BYTES == 2)
        CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                            &cc, NULL),
                  SEC_E_UNKNOWN_CREDENTIALS, "User holds an unpaired surrogate at character 0");
    else
        CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                            &cc, NULL),
                  SEC_E_LOGON_DENIED, "'\xF0\x9F\x98\x80@SSPIX.TEST'");

    /* A password credential stays outbound-only, whatever the width (and a refused call writes no handle). */
    memset(&cc, 0, sizeof(cc));
    id = wide_identity(L"alice", L"SSPIX.TEST", L"x");
    CHECK_ERR(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &cc,
                                        NULL),
              SEC_E_UNSUPPORTED_FUNCTION, "outbound");
    /* Unsupported entry points answer as their A forms. */
    CHECK_ERR(ChangeAccountPasswordW((SEC_WCHAR *)L"Kerberos", NULL, (SEC_WCHAR *)L"alice", (SEC_WCHAR *)L"a",
                                     (SEC_WCHAR *)L"b", 0, 0, NULL),
              SEC_E_UNSUPPORTED_FUNCTION, "kpasswd");
    CHECK_SEC(AddCredentialsW(&cc, NULL, (SEC_WCHAR *)L"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL),
              SEC_E_INVALID_HANDLE);
    CHECK_SEC(SetContextAttributesW(NULL, 0, NULL, 0), SEC_E_INVALID_HANDLE);
    CHECK_SEC(SetCredentialsAttributesW(NULL, 0, NULL, 0), SEC_E_INVALID_HANDLE);
    SecBuffer packed = {4, SECBUFFER_EMPTY, (void *)"junk"};
    CtxtHandle ctx;
    CHECK_SEC(ImportSecurityContextW((SEC_WCHAR *)L"Kerberos", &packed, NULL, &ctx), SEC_E_INVALID_TOKEN);
    CHECK_ERR(ImportSecurityContextW((SEC_WCHAR *)L"Nope", &packed, NULL, &ctx), SEC_E_SECPKG_NOT_FOUND, "Nope");
}

/* NTLM: a users file with the non-ASCII account, the client logs on with a
 * wide identity; gss-ntlmssp derives the NT hash from the UTF-16 password.
 * gss-ntlmssp compares user names in the locale's encoding
 * (libunistring's ulc_casecmp): a service with non-ASCII NTLM users runs
 * with a UTF-8 LC_CTYPE, as this test does. */
static void test_ntlm(void)
{
    CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
    char users[] = "/tmp/sspix-wide-ntlm-XXXXXX";
    const char *line = "SSPIXDOM:" WIDE_USER_UTF8 ":" WIDE_PASSWORD_UTF8 "\n";
    int fd = mkstemp(users);
    CHECK(fd >= 0);
    CHECK(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    close(fd);

    CredHandle cc, sc;
    struct whs hs;
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users};
    server_cred(L"NTLM", &sc, &store);
    SEC_WINNT_AUTH_IDENTITY_W id = wide_identity(WIDE_USER, L"SSPIXDOM", WIDE_PASSWORD);
    CHECK_SEC(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)NTLMSP_NAME_W, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                        &cc, NULL),
              SEC_E_OK);
    SecPkgCredentials_NamesW cn = {0};
    CHECK_SEC(QueryCredentialsAttributesW(&cc, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK_WSTR(cn.sUserName, L"SSPIXDOM\\" WIDE_USER);
    FreeContextBuffer(cn.sUserName);
    CHECK_SEC(run(&cc, &sc, L"host/localhost", &hs), SEC_E_OK);
    CHECK(!(hs.client_attrs & ISC_RET_MUTUAL_AUTH));
    SecPkgContext_NamesW names = {0};
    CHECK_SEC(QueryContextAttributesW(&hs.server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL);
    /* gss-ntlmssp names the client DOMAIN\user. */
    CHECK_WSTR(names.sUserName, L"SSPIXDOM\\" WIDE_USER);
    FreeContextBuffer(names.sUserName);
    SecPkgContext_AuthorityW au = {0};
    CHECK_SEC(QueryContextAttributesW(&hs.server, SECPKG_ATTR_AUTHORITY, &au), SEC_E_OK);
    CHECK_WSTR(au.sAuthorityName, L"SSPIXDOM");
    FreeContextBuffer(au.sAuthorityName);
    SecPkgContext_PackageInfoW pi = {0};
    CHECK_SEC(QueryContextAttributesW(&hs.server, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    CHECK_WSTR(pi.PackageInfo->Name, NTLMSP_NAME_W);
    FreeContextBuffer(pi.PackageInfo);
    check_protection(&hs);
    hs_free(&hs);
    CHECK_SEC(FreeCredentialsHandle(&cc), SEC_E_OK);

    /* The wrong password fails at the server. */
    SEC_WINNT_AUTH_IDENTITY_W wrong = wide_identity(WIDE_USER, L"SSPIXDOM", L"p\u00E4ssw\u00F6rd-e");
    CHECK_SEC(AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)L"NTLM", SECPKG_CRED_OUTBOUND, NULL, &wrong, NULL, NULL, &cc,
                                        NULL),
              SEC_E_OK);
    CHECK(!SEC_SUCCESS(run(&cc, &sc, L"host/localhost", &hs)));
    hs_free(&hs);
    CHECK_SEC(FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(FreeCredentialsHandle(&sc), SEC_E_OK);
    unlink(users);
}

int main(void)
{
    need_env("KRB5CCNAME");
    test_table();
    test_packages();
    test_default_credentials(L"Kerberos");
    test_default_credentials(L"Negotiate");
    test_password_logon(L"Kerberos");
    test_password_logon(L"Negotiate");
    test_identity_refusals();
    test_ntlm();
    CHECK_DONE("integration.wide." WIDTH_NAME);
}
