/* SPDX-License-Identifier: MIT */
/*
 * test_api.c - the public SSPI surface without a KDC: Windows' sizes, layouts
 * and values; the function table; package enumeration; argument checking;
 * every handle-taking function refusing invalid handles.
 */
#define SECURITY_WIN32
#include <security.h>

#include <stddef.h>
#include <sys/random.h>

#include "common/check.h"

static void check_layouts(void)
{
    /* LLP64 sizes: ULONG is 32-bit even where long is 64. */
    CHECK_EQ_INT(sizeof(ULONG), 4);
    CHECK_EQ_INT(sizeof(DWORD), 4);
    CHECK_EQ_INT(sizeof(LONG), 4);
    CHECK_EQ_INT(sizeof(SECURITY_STATUS), 4);
    CHECK_EQ_INT(sizeof(USHORT), 2);
    CHECK_EQ_INT(sizeof(WCHAR), sizeof(wchar_t));
    CHECK_EQ_INT(sizeof(ULONG_PTR), sizeof(void *));
    CHECK_EQ_INT(sizeof(SecHandle), 2 * sizeof(void *));
    CHECK_EQ_INT(sizeof(TimeStamp), 8);
    CHECK_EQ_INT(offsetof(LARGE_INTEGER, HighPart), 4);
    CHECK_EQ_INT(offsetof(SecBuffer, cbBuffer), 0);
    CHECK_EQ_INT(offsetof(SecBuffer, BufferType), 4);
    CHECK_EQ_INT(offsetof(SecBuffer, pvBuffer), 8);
    CHECK_EQ_INT(offsetof(SecBufferDesc, pBuffers), 8);
    CHECK_EQ_INT(offsetof(SecPkgInfoA, wVersion), 4);
    CHECK_EQ_INT(offsetof(SecPkgInfoA, wRPCID), 6);
    CHECK_EQ_INT(offsetof(SecPkgInfoA, cbMaxToken), 8);
    CHECK_EQ_INT(sizeof(SecPkgContext_Sizes), 16);
    CHECK_EQ_INT(sizeof(SecPkgContext_StreamSizes), 20);
    CHECK_EQ_INT(sizeof(SecPkgContext_Lifespan), 16);
    CHECK_EQ_INT(offsetof(SEC_WINNT_AUTH_IDENTITY_A, UserLength), sizeof(void *));
    /* Table members in Windows' order. */
    CHECK_EQ_INT(offsetof(SecurityFunctionTableA, EnumerateSecurityPackagesA), sizeof(void *));
    CHECK_EQ_INT(offsetof(SecurityFunctionTableA, Reserved2), 5 * sizeof(void *));
    CHECK_EQ_INT(offsetof(SecurityFunctionTableA, FreeContextBuffer), 16 * sizeof(void *));
    CHECK_EQ_INT(offsetof(SecurityFunctionTableA, EncryptMessage), 25 * sizeof(void *));
    CHECK_EQ_INT(offsetof(SecurityFunctionTableA, QueryCredentialsAttributesExA), 31 * sizeof(void *));
}

/* Values from Microsoft's winerror.h / sspi.h. */
static void check_values(void)
{
    CHECK_EQ_INT(SEC_E_OK, 0);
    CHECK_EQ_INT((uint32_t)SEC_I_CONTINUE_NEEDED, 0x00090312u);
    CHECK_EQ_INT((uint32_t)SEC_I_COMPLETE_NEEDED, 0x00090313u);
    CHECK_EQ_INT((uint32_t)SEC_I_COMPLETE_AND_CONTINUE, 0x00090314u);
    CHECK_EQ_INT((uint32_t)SEC_E_INVALID_HANDLE, 0x80090301u);
    CHECK_EQ_INT((uint32_t)SEC_E_UNSUPPORTED_FUNCTION, 0x80090302u);
    CHECK_EQ_INT((uint32_t)SEC_E_TARGET_UNKNOWN, 0x80090303u);
    CHECK_EQ_INT((uint32_t)SEC_E_SECPKG_NOT_FOUND, 0x80090305u);
    CHECK_EQ_INT((uint32_t)SEC_E_INVALID_TOKEN, 0x80090308u);
    CHECK_EQ_INT((uint32_t)SEC_E_LOGON_DENIED, 0x8009030Cu);
    CHECK_EQ_INT((uint32_t)SEC_E_NO_CREDENTIALS, 0x8009030Eu);
    CHECK_EQ_INT((uint32_t)SEC_E_MESSAGE_ALTERED, 0x8009030Fu);
    CHECK_EQ_INT((uint32_t)SEC_E_OUT_OF_SEQUENCE, 0x80090310u);
    CHECK_EQ_INT((uint32_t)SEC_E_BUFFER_TOO_SMALL, 0x80090321u);
    CHECK_EQ_INT((uint32_t)SEC_E_WRONG_PRINCIPAL, 0x80090322u);
    CHECK_EQ_INT((uint32_t)SEC_E_TIME_SKEW, 0x80090324u);
    CHECK_EQ_INT((uint32_t)SEC_E_INCOMPLETE_MESSAGE, 0x80090318u);
    CHECK_EQ_INT((uint32_t)SEC_E_NO_IMPERSONATION, 0x8009030Bu);
    CHECK(SEC_SUCCESS(SEC_I_CONTINUE_NEEDED));
    CHECK(!SEC_SUCCESS(SEC_E_INVALID_HANDLE));
    CHECK_EQ_INT(ISC_REQ_MUTUAL_AUTH, 0x2);
    CHECK_EQ_INT(ISC_REQ_CONFIDENTIALITY, 0x10);
    CHECK_EQ_INT(ISC_REQ_ALLOCATE_MEMORY, 0x100);
    CHECK_EQ_INT(ISC_REQ_INTEGRITY, 0x10000);
    CHECK_EQ_INT(ISC_RET_CALL_LEVEL, 0x2000);
    CHECK_EQ_INT(ISC_RET_INTERMEDIATE_RETURN, 0x1000);
    CHECK_EQ_INT(ASC_REQ_MUTUAL_AUTH, 0x2);
    CHECK_EQ_INT(ASC_REQ_INTEGRITY, 0x20000);
    CHECK_EQ_INT(ASC_REQ_CALL_LEVEL, 0x1000);
    CHECK_EQ_INT(ASC_RET_CALL_LEVEL, 0x2000);
    CHECK_EQ_INT(ASC_RET_MUTUAL_AUTH, 0x2);
    CHECK_EQ_INT(SECBUFFER_TOKEN, 2);
    CHECK_EQ_INT(SECBUFFER_STREAM, 10);
    CHECK_EQ_INT(SECBUFFER_PADDING, 9);
    CHECK_EQ_INT(SECBUFFER_READONLY, 0x80000000u);
    CHECK_EQ_INT(SECPKG_CRED_INBOUND, 1);
    CHECK_EQ_INT(SECPKG_CRED_OUTBOUND, 2);
    CHECK_EQ_INT(SECURITY_NATIVE_DREP, 0x10);
    CHECK_EQ_INT(SECPKG_ATTR_NATIVE_NAMES, 13);
    CHECK_EQ_INT(SECPKG_ATTR_FLAGS, 14);
    CHECK_EQ_INT(KERB_WRAP_NO_ENCRYPT, 0x80000001u);
    CHECK_STR(sspix_status_name(SEC_E_LOGON_DENIED), "SEC_E_LOGON_DENIED");
    CHECK_STR(sspix_status_name(SEC_I_CONTINUE_NEEDED), "SEC_I_CONTINUE_NEEDED");
    CHECK_STR(sspix_status_name(SSPIX_SEC(0x80091234)), "SEC_E_UNKNOWN(0x80091234)");
}

static void check_table(void)
{
    PSecurityFunctionTableA t = InitSecurityInterface();
    CHECK(t != NULL);
    CHECK(t == InitSecurityInterfaceA());
    CHECK_EQ_INT(t->dwVersion, SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5);
    CHECK(t->EnumerateSecurityPackagesA == EnumerateSecurityPackagesA);
    CHECK(t->QueryCredentialsAttributesA == QueryCredentialsAttributesA);
    CHECK(t->AcquireCredentialsHandleA == AcquireCredentialsHandleA);
    CHECK(t->FreeCredentialsHandle == FreeCredentialsHandle);
    CHECK(t->Reserved2 == NULL);
    CHECK(t->InitializeSecurityContextA == InitializeSecurityContextA);
    CHECK(t->AcceptSecurityContext == AcceptSecurityContext);
    CHECK(t->CompleteAuthToken == CompleteAuthToken);
    CHECK(t->DeleteSecurityContext == DeleteSecurityContext);
    CHECK(t->ApplyControlToken == ApplyControlToken);
    CHECK(t->QueryContextAttributesA == QueryContextAttributesA);
    CHECK(t->ImpersonateSecurityContext == ImpersonateSecurityContext);
    CHECK(t->RevertSecurityContext == RevertSecurityContext);
    CHECK(t->MakeSignature == MakeSignature);
    CHECK(t->VerifySignature == VerifySignature);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);
    CHECK(t->QuerySecurityPackageInfoA == QuerySecurityPackageInfoA);
    CHECK(t->Reserved3 == (void *)EncryptMessage);
    CHECK(t->Reserved4 == (void *)DecryptMessage);
    CHECK(t->ExportSecurityContext == ExportSecurityContext);
    CHECK(t->ImportSecurityContextA == ImportSecurityContextA);
    CHECK(t->AddCredentialsA == AddCredentialsA);
    CHECK(t->Reserved8 == NULL);
    CHECK(t->QuerySecurityContextToken == QuerySecurityContextToken);
    CHECK(t->EncryptMessage == EncryptMessage);
    CHECK(t->DecryptMessage == DecryptMessage);
    CHECK(t->SetContextAttributesA == SetContextAttributesA);
    CHECK(t->SetCredentialsAttributesA == SetCredentialsAttributesA);
    CHECK(t->ChangeAccountPasswordA == ChangeAccountPasswordA);
    CHECK(t->QueryContextAttributesExA == QueryContextAttributesExA);
    CHECK(t->QueryCredentialsAttributesExA == QueryCredentialsAttributesExA);
}

static void check_packages(void)
{
    ULONG n = 0;
    PSecPkgInfoA info = NULL;
    CHECK_SEC(EnumerateSecurityPackages(&n, &info), SEC_E_OK);
    CHECK_EQ_INT(n, 3);
    CHECK_STR(info[0].Name, "Negotiate");
    CHECK_STR(info[1].Name, "Kerberos");
    CHECK_STR(info[2].Name, "NTLM");
    CHECK_EQ_INT(info[2].wRPCID, RPC_C_AUTHN_WINNT);
    CHECK_EQ_INT(info[2].cbMaxToken, 2888);
    CHECK(!(info[2].fCapabilities & SECPKG_FLAG_MUTUAL_AUTH)); /* NTLM never authenticates the server */
    CHECK_EQ_INT(info[0].wRPCID, RPC_C_AUTHN_GSS_NEGOTIATE);
    CHECK_EQ_INT(info[1].wRPCID, RPC_C_AUTHN_GSS_KERBEROS);
    CHECK(info[1].fCapabilities & SECPKG_FLAG_MUTUAL_AUTH);
    CHECK(info[1].fCapabilities & SECPKG_FLAG_PRIVACY);
    CHECK(info[1].cbMaxToken >= 48000);
    CHECK(info[0].cbMaxToken > info[1].cbMaxToken);
    CHECK_SEC(FreeContextBuffer(info), SEC_E_OK);
    CHECK_SEC(EnumerateSecurityPackages(NULL, &info), SEC_E_INVALID_PARAMETER);

    CHECK_SEC(QuerySecurityPackageInfo((SEC_CHAR *)"kerberos", &info), SEC_E_OK);
    CHECK_STR(info->Name, "Kerberos");
    CHECK(info->Comment != NULL && info->Comment[0] != '\0');
    FreeContextBuffer(info);
    CHECK_SEC(QuerySecurityPackageInfo((SEC_CHAR *)"Schannel", &info), SEC_E_SECPKG_NOT_FOUND);
    CHECK(strstr(sspix_last_error(), "Schannel") != NULL);
    CHECK_SEC(QuerySecurityPackageInfo(NULL, &info), SEC_E_SECPKG_NOT_FOUND);
    CHECK_SEC(FreeContextBuffer(NULL), SEC_E_OK);
}

static void check_arguments(void)
{
    CredHandle cred;
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, NULL,
                                       NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(
        AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NoSuch", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cred, NULL),
        SEC_E_SECPKG_NOT_FOUND);
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", 0x40, NULL, NULL, NULL, NULL, &cred, NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK(strstr(sspix_last_error(), "SECPKG_CRED_INBOUND") != NULL);

    /* Explicit identities are checked before anything is sent anywhere. */
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"bob",         3, NULL, 0, (unsigned char *)"pw", 2,
                                    SEC_WINNT_AUTH_IDENTITY_UNICODE};
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred,
                                       NULL),
              SEC_E_UNSUPPORTED_FUNCTION);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    id.UserLength = 100000;
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred,
                                       NULL),
              SEC_E_UNKNOWN_CREDENTIALS);
    id.UserLength = 0;
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred,
                                       NULL),
              SEC_E_UNKNOWN_CREDENTIALS);
    id.UserLength = 3;
    id.Password = NULL;
    CHECK_SEC(AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred,
                                       NULL),
              SEC_E_UNKNOWN_CREDENTIALS);
    id.Password = (unsigned char *)"pw";
    CHECK_SEC(
        AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &cred, NULL),
        SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_SEC(ImportSecurityContextA((SEC_CHAR *)"Kerberos", NULL, NULL, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(ChangeAccountPasswordA(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL), SEC_E_UNSUPPORTED_FUNCTION);
}

/* Every function that takes a handle refuses one that is not live. */
static void check_bad_handles(const SecHandle *h)
{
    SecHandle copy = *h;
    PSecHandle p = &copy;
    SecPkgContext_Sizes sizes;
    SecBuffer b = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    ULONG attrs, qop;
    void *tok;
    CtxtHandle out;
    CHECK_SEC(FreeCredentialsHandle(p), SEC_E_INVALID_HANDLE);
    CHECK_SEC(QueryCredentialsAttributesA(p, SECPKG_CRED_ATTR_NAMES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_SEC(QueryCredentialsAttributesExA(p, SECPKG_CRED_ATTR_NAMES, &sizes, sizeof(sizes)), SEC_E_INVALID_HANDLE);
    CHECK_SEC(SetCredentialsAttributesA(p, 1, NULL, 0), SEC_E_INVALID_HANDLE);
    CHECK_SEC(AddCredentialsA(p, NULL, NULL, 0, NULL, NULL, NULL, NULL), SEC_E_INVALID_HANDLE);
    CHECK_SEC(
        InitializeSecurityContextA(p, NULL, (SEC_CHAR *)"host/localhost", 0, 0, 0, NULL, 0, &out, &d, &attrs, NULL),
        SEC_E_INVALID_HANDLE);
    CHECK_SEC(
        InitializeSecurityContextA(NULL, p, (SEC_CHAR *)"host/localhost", 0, 0, 0, NULL, 0, &out, &d, &attrs, NULL),
        SEC_E_INVALID_HANDLE);
    CHECK_SEC(AcceptSecurityContext(p, NULL, &d, 0, 0, &out, &d, &attrs, NULL), SEC_E_INVALID_HANDLE);
    CHECK_SEC(AcceptSecurityContext(NULL, p, &d, 0, 0, &out, &d, &attrs, NULL), SEC_E_INVALID_HANDLE);
    CHECK_SEC(CompleteAuthToken(p, &d), SEC_E_INVALID_HANDLE);
    CHECK_SEC(DeleteSecurityContext(p), SEC_E_INVALID_HANDLE);
    CHECK_SEC(ApplyControlToken(p, &d), SEC_E_INVALID_HANDLE);
    CHECK_SEC(QueryContextAttributesA(p, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_SEC(QueryContextAttributesExA(p, SECPKG_ATTR_SIZES, &sizes, sizeof(sizes)), SEC_E_INVALID_HANDLE);
    CHECK_SEC(SetContextAttributesA(p, 1, NULL, 0), SEC_E_INVALID_HANDLE);
    CHECK_SEC(ImpersonateSecurityContext(p), SEC_E_INVALID_HANDLE);
    CHECK_SEC(RevertSecurityContext(p), SEC_E_INVALID_HANDLE);
    CHECK_SEC(QuerySecurityContextToken(p, &tok), SEC_E_INVALID_HANDLE);
    CHECK_SEC(MakeSignature(p, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_SEC(VerifySignature(p, &d, 0, &qop), SEC_E_INVALID_HANDLE);
    CHECK_SEC(EncryptMessage(p, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_SEC(DecryptMessage(p, &d, 0, &qop), SEC_E_INVALID_HANDLE);
    CHECK_SEC(ExportSecurityContext(p, 0, &b, &tok), SEC_E_INVALID_HANDLE);
}

/* TimeStamp <-> Unix seconds saturate at both ends instead of overflowing
 * (UBSan aborts this program on a signed overflow). */
static void check_time_extremes(void)
{
    TimeStamp ts;
    const int64_t epoch_s = 11644473600LL; /* 1601-01-01 to 1970-01-01 */
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = 116444736000000000LL}), 0);
    sspix_unix_to_timestamp(1700000000, &ts);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&ts), 1700000000);
    sspix_unix_to_timestamp(-epoch_s, &ts);
    CHECK_EQ_INT(ts.QuadPart, 0);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&ts), -epoch_s);

    sspix_unix_to_timestamp(INT64_MAX, &ts);
    CHECK_EQ_INT(ts.QuadPart, INT64_MAX);
    sspix_unix_to_timestamp(INT64_MAX - 1, &ts);
    CHECK_EQ_INT(ts.QuadPart, INT64_MAX);
    sspix_unix_to_timestamp(INT64_MIN, &ts);
    CHECK_EQ_INT(ts.QuadPart, INT64_MIN);
    sspix_unix_to_timestamp(INT64_MIN + 1, &ts);
    CHECK_EQ_INT(ts.QuadPart, INT64_MIN);
    sspix_unix_to_timestamp(INT64_MIN / 10000000 - epoch_s - 1, &ts);
    CHECK_EQ_INT(ts.QuadPart, INT64_MIN);
    /* The last representable second on each side converts exactly. */
    sspix_unix_to_timestamp(INT64_MIN / 10000000 - epoch_s, &ts);
    CHECK_EQ_INT(ts.QuadPart, (INT64_MIN / 10000000) * 10000000);
    sspix_unix_to_timestamp(INT64_MAX / 10000000 - epoch_s - 1, &ts);
    CHECK_EQ_INT(ts.QuadPart, (INT64_MAX / 10000000 - 1) * 10000000);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&ts), INT64_MAX / 10000000 - epoch_s - 1);

    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = INT64_MAX}), INT64_MAX);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = INT64_MAX - 1}),
                 (INT64_MAX - 1) / 10000000 - epoch_s);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = INT64_MIN}), INT64_MIN / 10000000 - epoch_s);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = INT64_MIN + 1}), INT64_MIN / 10000000 - epoch_s);
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = 0}), -epoch_s);
    CHECK_EQ_INT(sspix_timestamp_to_unix(NULL), 0);
    sspix_unix_to_timestamp(0, NULL); /* no-op */
}

int main(void)
{
    check_layouts();
    check_values();
    check_table();
    check_packages();
    check_arguments();

    SecHandle zero = {0, 0}, ones = {(ULONG_PTR)-1, (ULONG_PTR)-1};
    check_bad_handles(&zero);
    check_bad_handles(&ones);
    for (int i = 0; i < 200; i++) {
        SecHandle r;
        CHECK(getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r));
        if (i % 2)
            r.dwLower &= 0xff; /* an index that exists, a generation that does not */
        check_bad_handles(&r);
    }
    CHECK_SEC(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);
    CHECK_SEC(FreeCredentialsHandle(NULL), SEC_E_INVALID_HANDLE);

    check_time_extremes();
    CHECK_DONE("unit.api");
}
