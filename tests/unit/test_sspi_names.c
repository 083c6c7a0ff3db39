/* SPDX-License-Identifier: MIT */
/*
 * test_sspi_names.c - the names of Windows' sspi.h that ported programs use,
 * as the compiler sees them. Built three ways: ANSI, UNICODE with a 16-bit
 * wchar_t (-fshort-wchar), UNICODE with a 32-bit one; most checks are made
 * at compile time (an initialisation from a function of the wrong type is an
 * incompatible-pointer-types error, a redefinition with other tokens a
 * warning, and the build uses -Werror).
 *
 *   - <Security.h>, <security.h>, <sspi.h> and <issperr.h> together.
 *   - KERB_WRAP_NO_ENCRYPT redefined as Windows' ntsecapi.h spells it.
 *   - FreeCredentialHandle, every *_FN typedef in its A, W and generic form.
 *   - The generic names resolve to W under UNICODE and to A otherwise.
 *   - Layouts: SEC_CHANNEL_BINDINGS, SecPkgContext_Bindings, the W
 *     structures against their A twins, the identity structures.
 */
#define SECURITY_WIN32
#include <Security.h>
#include <issperr.h>
#include <security.h>
#include <sspi.h>

/* Windows' ntsecapi.h defines it too; a program that includes both (or
 * defines it itself) must get no redefinition warning. */
#define KERB_WRAP_NO_ENCRYPT 0x80000001

#include <stddef.h>

#include "common/check.h"

#define SAME_TYPE(a, b) _Static_assert(__builtin_types_compatible_p(a, b), #a " is " #b)

#ifdef UNICODE
#define GENERIC(a, w) w
#define MODE          (SSPIX_WCHAR_BYTES == 2 ? "utf16" : "utf32")
#else
#define GENERIC(a, w) a
#define MODE          "ansi"
#endif

/* Every function-pointer typedef, bound to the function it types. */
static void test_fn_typedefs(void)
{
    ENUMERATE_SECURITY_PACKAGES_FN_A f1a = EnumerateSecurityPackagesA;
    ENUMERATE_SECURITY_PACKAGES_FN_W f1w = EnumerateSecurityPackagesW;
    ENUMERATE_SECURITY_PACKAGES_FN f1 = EnumerateSecurityPackages;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_A f2a = QueryCredentialsAttributesA;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_W f2w = QueryCredentialsAttributesW;
    QUERY_CREDENTIALS_ATTRIBUTES_FN f2 = QueryCredentialsAttributes;
    ACQUIRE_CREDENTIALS_HANDLE_FN_A f3a = AcquireCredentialsHandleA;
    ACQUIRE_CREDENTIALS_HANDLE_FN_W f3w = AcquireCredentialsHandleW;
    ACQUIRE_CREDENTIALS_HANDLE_FN f3 = AcquireCredentialsHandle;
    FREE_CREDENTIALS_HANDLE_FN f4 = FreeCredentialsHandle;
    INITIALIZE_SECURITY_CONTEXT_FN_A f5a = InitializeSecurityContextA;
    INITIALIZE_SECURITY_CONTEXT_FN_W f5w = InitializeSecurityContextW;
    INITIALIZE_SECURITY_CONTEXT_FN f5 = InitializeSecurityContext;
    ACCEPT_SECURITY_CONTEXT_FN f6 = AcceptSecurityContext;
    COMPLETE_AUTH_TOKEN_FN f7 = CompleteAuthToken;
    DELETE_SECURITY_CONTEXT_FN f8 = DeleteSecurityContext;
    APPLY_CONTROL_TOKEN_FN f9 = ApplyControlToken;
    QUERY_CONTEXT_ATTRIBUTES_FN_A f10a = QueryContextAttributesA;
    QUERY_CONTEXT_ATTRIBUTES_FN_W f10w = QueryContextAttributesW;
    QUERY_CONTEXT_ATTRIBUTES_FN f10 = QueryContextAttributes;
    IMPERSONATE_SECURITY_CONTEXT_FN f11 = ImpersonateSecurityContext;
    REVERT_SECURITY_CONTEXT_FN f12 = RevertSecurityContext;
    MAKE_SIGNATURE_FN f13 = MakeSignature;
    VERIFY_SIGNATURE_FN f14 = VerifySignature;
    FREE_CONTEXT_BUFFER_FN f15 = FreeContextBuffer;
    QUERY_SECURITY_PACKAGE_INFO_FN_A f16a = QuerySecurityPackageInfoA;
    QUERY_SECURITY_PACKAGE_INFO_FN_W f16w = QuerySecurityPackageInfoW;
    QUERY_SECURITY_PACKAGE_INFO_FN f16 = QuerySecurityPackageInfo;
    EXPORT_SECURITY_CONTEXT_FN f17 = ExportSecurityContext;
    IMPORT_SECURITY_CONTEXT_FN_A f18a = ImportSecurityContextA;
    IMPORT_SECURITY_CONTEXT_FN_W f18w = ImportSecurityContextW;
    IMPORT_SECURITY_CONTEXT_FN f18 = ImportSecurityContext;
    ADD_CREDENTIALS_FN_A f19a = AddCredentialsA;
    ADD_CREDENTIALS_FN_W f19w = AddCredentialsW;
    ADD_CREDENTIALS_FN f19 = AddCredentials;
    QUERY_SECURITY_CONTEXT_TOKEN_FN f20 = QuerySecurityContextToken;
    ENCRYPT_MESSAGE_FN f21 = EncryptMessage;
    DECRYPT_MESSAGE_FN f22 = DecryptMessage;
    SET_CONTEXT_ATTRIBUTES_FN_A f23a = SetContextAttributesA;
    SET_CONTEXT_ATTRIBUTES_FN_W f23w = SetContextAttributesW;
    SET_CONTEXT_ATTRIBUTES_FN f23 = SetContextAttributes;
    SET_CREDENTIALS_ATTRIBUTES_FN_A f24a = SetCredentialsAttributesA;
    SET_CREDENTIALS_ATTRIBUTES_FN_W f24w = SetCredentialsAttributesW;
    SET_CREDENTIALS_ATTRIBUTES_FN f24 = SetCredentialsAttributes;
    CHANGE_PASSWORD_FN_A f25a = ChangeAccountPasswordA;
    CHANGE_PASSWORD_FN_W f25w = ChangeAccountPasswordW;
    CHANGE_PASSWORD_FN f25 = ChangeAccountPassword;
    QUERY_CONTEXT_ATTRIBUTES_EX_FN_A f26a = QueryContextAttributesExA;
    QUERY_CONTEXT_ATTRIBUTES_EX_FN_W f26w = QueryContextAttributesExW;
    QUERY_CONTEXT_ATTRIBUTES_EX_FN f26 = QueryContextAttributesEx;
    QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A f27a = QueryCredentialsAttributesExA;
    QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W f27w = QueryCredentialsAttributesExW;
    QUERY_CREDENTIALS_ATTRIBUTES_EX_FN f27 = QueryCredentialsAttributesEx;
    INIT_SECURITY_INTERFACE_A f28a = InitSecurityInterfaceA;
    INIT_SECURITY_INTERFACE_W f28w = InitSecurityInterfaceW;
    INIT_SECURITY_INTERFACE f28 = InitSecurityInterface;
    FREE_CREDENTIALS_HANDLE_FN f29 = FreeCredentialHandle;

    /* The generic ones are the W or A ones. */
    CHECK((void *)(uintptr_t)f3 == (void *)(uintptr_t)GENERIC(f3a, f3w));
    CHECK((void *)(uintptr_t)f5 == (void *)(uintptr_t)GENERIC(f5a, f5w));
    CHECK((void *)(uintptr_t)f28 == (void *)(uintptr_t)GENERIC(f28a, f28w));
    CHECK(f29 == f4);
    void *all[] = {(void *)(uintptr_t)f3a,  (void *)(uintptr_t)f3w,  (void *)(uintptr_t)f5a,  (void *)(uintptr_t)f5w,
                   (void *)(uintptr_t)f28a, (void *)(uintptr_t)f28w, (void *)(uintptr_t)f1a,  (void *)(uintptr_t)f1w,
                   (void *)(uintptr_t)f1,   (void *)(uintptr_t)f2a,  (void *)(uintptr_t)f2w,  (void *)(uintptr_t)f2,
                   (void *)(uintptr_t)f6,   (void *)(uintptr_t)f7,   (void *)(uintptr_t)f8,   (void *)(uintptr_t)f9,
                   (void *)(uintptr_t)f10a, (void *)(uintptr_t)f10w, (void *)(uintptr_t)f10,  (void *)(uintptr_t)f11,
                   (void *)(uintptr_t)f12,  (void *)(uintptr_t)f13,  (void *)(uintptr_t)f14,  (void *)(uintptr_t)f15,
                   (void *)(uintptr_t)f16a, (void *)(uintptr_t)f16w, (void *)(uintptr_t)f16,  (void *)(uintptr_t)f17,
                   (void *)(uintptr_t)f18a, (void *)(uintptr_t)f18w, (void *)(uintptr_t)f18,  (void *)(uintptr_t)f19a,
                   (void *)(uintptr_t)f19w, (void *)(uintptr_t)f19,  (void *)(uintptr_t)f20,  (void *)(uintptr_t)f21,
                   (void *)(uintptr_t)f22,  (void *)(uintptr_t)f23a, (void *)(uintptr_t)f23w, (void *)(uintptr_t)f23,
                   (void *)(uintptr_t)f24a, (void *)(uintptr_t)f24w, (void *)(uintptr_t)f24,  (void *)(uintptr_t)f25a,
                   (void *)(uintptr_t)f25w, (void *)(uintptr_t)f25,  (void *)(uintptr_t)f26a, (void *)(uintptr_t)f26w,
                   (void *)(uintptr_t)f26,  (void *)(uintptr_t)f27a, (void *)(uintptr_t)f27w, (void *)(uintptr_t)f27};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        CHECK(all[i] != NULL);
}

/* The generic names follow UNICODE, as Windows' headers do. */
SAME_TYPE(SecPkgInfo, GENERIC(SecPkgInfoA, SecPkgInfoW));
SAME_TYPE(PSecPkgInfo, GENERIC(PSecPkgInfoA, PSecPkgInfoW));
SAME_TYPE(SecPkgCredentials_Names, GENERIC(SecPkgCredentials_NamesA, SecPkgCredentials_NamesW));
SAME_TYPE(SecPkgContext_Names, GENERIC(SecPkgContext_NamesA, SecPkgContext_NamesW));
SAME_TYPE(SecPkgContext_NativeNames, GENERIC(SecPkgContext_NativeNamesA, SecPkgContext_NativeNamesW));
SAME_TYPE(SecPkgContext_PackageInfo, GENERIC(SecPkgContext_PackageInfoA, SecPkgContext_PackageInfoW));
SAME_TYPE(SecPkgContext_NegotiationInfo, GENERIC(SecPkgContext_NegotiationInfoA, SecPkgContext_NegotiationInfoW));
SAME_TYPE(SecPkgContext_KeyInfo, GENERIC(SecPkgContext_KeyInfoA, SecPkgContext_KeyInfoW));
SAME_TYPE(SecPkgContext_Authority, GENERIC(SecPkgContext_AuthorityA, SecPkgContext_AuthorityW));
SAME_TYPE(SecPkgContext_ProtoInfo, GENERIC(SecPkgContext_ProtoInfoA, SecPkgContext_ProtoInfoW));
SAME_TYPE(SecPkgContext_CredentialName, GENERIC(SecPkgContext_CredentialNameA, SecPkgContext_CredentialNameW));
SAME_TYPE(SEC_WINNT_AUTH_IDENTITY, GENERIC(SEC_WINNT_AUTH_IDENTITY_A, SEC_WINNT_AUTH_IDENTITY_W));
SAME_TYPE(SEC_WINNT_AUTH_IDENTITY_EX, GENERIC(SEC_WINNT_AUTH_IDENTITY_EXA, SEC_WINNT_AUTH_IDENTITY_EXW));
SAME_TYPE(SecurityFunctionTable, GENERIC(SecurityFunctionTableA, SecurityFunctionTableW));
SAME_TYPE(PSecurityFunctionTable, GENERIC(PSecurityFunctionTableA, PSecurityFunctionTableW));
SAME_TYPE(SEC_WCHAR, wchar_t);
SAME_TYPE(SECURITY_PSTR, GENERIC(SEC_CHAR, SEC_WCHAR) *);
SAME_TYPE(WCHAR, wchar_t);
SAME_TYPE(TCHAR, GENERIC(char, wchar_t));
#if SSPIX_WCHAR_BYTES == 2
/* Windows' type for the identity strings; in C a 16-bit wchar_t is it. */
SAME_TYPE(SSPIX_IDENTITY_WCHAR, unsigned short);
SAME_TYPE(wchar_t, unsigned short);
#else
SAME_TYPE(SSPIX_IDENTITY_WCHAR, wchar_t);
#endif

/* Layouts: W structures are their A twins with wider strings. */
#define SAME_LAYOUT(a, w, member)                                                                                      \
    _Static_assert(sizeof(a) == sizeof(w) && offsetof(a, member) == offsetof(w, member), #a " lays out as " #w)
SAME_LAYOUT(SecPkgInfoA, SecPkgInfoW, Comment);
SAME_LAYOUT(SecPkgContext_KeyInfoA, SecPkgContext_KeyInfoW, EncryptAlgorithm);
SAME_LAYOUT(SecPkgContext_NegotiationInfoA, SecPkgContext_NegotiationInfoW, NegotiationState);
SAME_LAYOUT(SecPkgContext_NativeNamesA, SecPkgContext_NativeNamesW, sServerName);
SAME_LAYOUT(SecPkgContext_CredentialNameA, SecPkgContext_CredentialNameW, sCredentialName);
SAME_LAYOUT(SecPkgContext_ProtoInfoA, SecPkgContext_ProtoInfoW, minorVersion);
SAME_LAYOUT(SEC_WINNT_AUTH_IDENTITY_A, SEC_WINNT_AUTH_IDENTITY_W, Flags);
SAME_LAYOUT(SEC_WINNT_AUTH_IDENTITY_EXA, SEC_WINNT_AUTH_IDENTITY_EXW, PackageListLength);
_Static_assert(sizeof(SecurityFunctionTableA) == sizeof(SecurityFunctionTableW) &&
                   offsetof(SecurityFunctionTableA, QueryCredentialsAttributesExA) ==
                       offsetof(SecurityFunctionTableW, QueryCredentialsAttributesExW) &&
                   offsetof(SecurityFunctionTableA, AcceptSecurityContext) ==
                       offsetof(SecurityFunctionTableW, AcceptSecurityContext),
               "the W table has the A table's slots");
SAME_LAYOUT(SecPkgCredentials_SSIProviderA, SecPkgCredentials_SSIProviderW, ProviderInfo);
_Static_assert(sizeof(SEC_CHANNEL_BINDINGS) == 32, "eight 32-bit members");
_Static_assert(offsetof(SEC_CHANNEL_BINDINGS, dwApplicationDataOffset) == 28, "Windows' order");
_Static_assert(offsetof(SecPkgContext_Bindings, Bindings) == sizeof(void *), "length, then the pointer");
_Static_assert(sizeof(SecPkgCredentials_KdcProxySettingsW) == 16, "two ULONGs, four USHORTs");
_Static_assert(offsetof(SecurityFunctionTableW, QueryCredentialsAttributesExW) == 31 * sizeof(void *),
               "31 slots after dwVersion");

static void test_values(void)
{
    CHECK_EQ_INT(KERB_WRAP_NO_ENCRYPT, 0x80000001u);
    CHECK_EQ_INT(SECQOP_WRAP_NO_ENCRYPT, 0x80000001u);
    CHECK_EQ_INT(SECQOP_WRAP_OOB_DATA, 0x40000000u);
    CHECK_EQ_INT(SECPKG_ATTR_AUTHORITY, 6);
    CHECK_EQ_INT(FACILITY_SECURITY, 9);
    CHECK_EQ_INT(SEC_E_NO_SPM, SEC_E_INTERNAL_ERROR);
    CHECK_EQ_INT(ISSP_LEVEL, 32);
    CHECK_EQ_INT(SECPKG_ATTR_PROTO_INFO, 7);
    CHECK_EQ_INT(SECPKG_ATTR_CREDENTIAL_NAME, 16);
    CHECK_EQ_INT(SECPKG_ATTR_UNIQUE_BINDINGS, 25);
    CHECK_EQ_INT(SECPKG_ATTR_ENDPOINT_BINDINGS, 26);
    CHECK_EQ_INT(SECBUFFER_CHANNEL_BINDINGS, 14);
    CHECK_EQ_INT(SEC_WINNT_AUTH_IDENTITY_ANSI, 1);
    CHECK_EQ_INT(SEC_WINNT_AUTH_IDENTITY_UNICODE, 2);
    CHECK_EQ_INT(SEC_WINNT_AUTH_IDENTITY_VERSION, 0x200);
    CHECK_STR(SECURITY_ENTRYPOINT_ANSIA, "InitSecurityInterfaceA");
    CHECK_STR(SECURITY_ENTRYPOINT_ANSIW,
              SSPIX_WCHAR_BYTES == 2 ? "InitSecurityInterfaceW" : "sspix_InitSecurityInterfaceW32");
    CHECK_STR(SECURITY_ENTRYPOINT_ANSI, GENERIC("InitSecurityInterfaceA", SECURITY_ENTRYPOINT_ANSIW));
    CHECK(sizeof(TEXT("ab")) == 3 * sizeof(TCHAR));
    CHECK(sizeof(NEGOSSP_NAME) == sizeof("Negotiate") * sizeof(NEGOSSP_NAME[0]));
    CHECK(NEGOSSP_NAME_W[0] == L'N' && MICROSOFT_KERBEROS_NAME_W[0] == L'K' && NTLMSP_NAME_W[0] == L'N');
    CHECK(SECURITY_ENTRYPOINTW[0] == (SEC_TEXT("I"))[0]);
}

/* The table of this mode, through the generic names. */
static void test_table(void)
{
    PSecurityFunctionTable t = InitSecurityInterface();
    CHECK(t != NULL);
    CHECK(t->AcquireCredentialsHandle == AcquireCredentialsHandle);
    CHECK(t->QueryContextAttributes == QueryContextAttributes);
    CHECK(t->FreeCredentialsHandle == FreeCredentialHandle);
    PSecPkgInfo info = NULL;
    CHECK_SEC(t->QuerySecurityPackageInfo((GENERIC(SEC_CHAR, SEC_WCHAR) *)TEXT("NTLM"), &info), SEC_E_OK);
    CHECK(info->Name[0] == TEXT('N') && info->Name[3] == TEXT('M') && info->Name[4] == 0);
    CHECK_SEC(t->FreeContextBuffer(info), SEC_E_OK);
}

int main(void)
{
    test_fn_typedefs();
    test_values();
    test_table();
    if (strcmp(MODE, "ansi") == 0)
        CHECK_DONE("unit.sspi_names.ansi");
    CHECK_DONE(SSPIX_WCHAR_BYTES == 2 ? "unit.sspi_names.utf16" : "unit.sspi_names.utf32");
}
