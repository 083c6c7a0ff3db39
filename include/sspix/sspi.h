/* SPDX-License-Identifier: MIT */
/*
 * sspix/sspi.h - Microsoft's SSPI (sspi.h) on POSIX.
 *
 * Types, constants, structures, prototypes and the function table carry
 * Windows' names, values, member order and 32-bit sizes, so code written
 * against Windows' <sspi.h> compiles unchanged (add `pkg-config --cflags sspix`
 * and `#include <sspi.h>` or `#include <security.h>` keeps working).
 *
 * Packages: "Negotiate" (SPNEGO), "Kerberos" (krb5), over MIT krb5 GSSAPI, and
 * "NTLM" over gss-ntlmssp. NTLM inside Negotiate only when the credential
 * allows it (see SSPIX_AUTH_STORE_A in <sspix/sspix.h>). NTLM never reports
 * ISC_RET_MUTUAL_AUTH / ASC_RET_MUTUAL_AUTH.
 *
 * Message protection: Windows' layouts (EncryptMessage TOKEN = the RFC 4121
 * header with the rotated trailer, 60 bytes for aes256-cts-hmac-sha1-96;
 * NTLM TOKEN = the 16-byte signature). MessageSeqNo is ignored: the packages
 * number messages themselves. A SECBUFFER_STREAM for NTLM is sealed data
 * followed by the signature (gss_wrap's layout).
 *
 * ExportSecurityContext: the context is unusable in this process afterwards
 * (SECPKG_CONTEXT_EXPORT_DELETE_OLD semantics whatever fFlags says; delete the
 * handle as usual); the blob carries the session keys and is authenticated
 * with the process's export key: it imports once, in this process or one
 * fork()ed from it, or in a process given the same key with
 * sspix_set_context_export_key() (<sspix/sspix.h>). Impersonate/Revert:
 * the calling thread only (per-thread credentials), needs root.
 *
 * Requested flags are requests (as on Windows): ISC_REQ_* / ASC_REQ_* say
 * what the caller would like; the package may grant less (the peer did not
 * ask for it, the mechanism cannot do it: NTLM never authenticates the
 * server). A caller that relies on a property MUST check the ISC_RET_* /
 * ASC_RET_* flags returned in *pfContextAttr (or SECPKG_ATTR_FLAGS) once the
 * handshake completes, e.g. refuse a context without ASC_RET_MUTUAL_AUTH, or
 * without ASC_RET_REPLAY_DETECT / ASC_RET_SEQUENCE_DETECT when replayed or
 * reordered messages must be detected: a context lacking them is complete,
 * not failed.
 *
 * Character widths. Every A function has its W (wide) twin taking SEC_WCHAR,
 * which is wchar_t as on Windows, so TEXT("...") / L"..." literals and
 * TCHAR strings pass straight through; UNICODE selects the W forms for the
 * generic names (AcquireCredentialsHandle, SecPkgInfo, ...) as Windows'
 * headers do. The compiler decides wchar_t's width and the header follows:
 *   - -fshort-wchar (16-bit wchar_t, Windows' ABI): UTF-16. The W
 *     functions are the library's symbols of Windows' names, so
 *     dlsym(h, "AcquireCredentialsHandleW") finds them.
 *   - gcc's default (32-bit wchar_t): UTF-32. The same declarations bind to
 *     separate entry points (asm labels: AcquireCredentialsHandleW in the
 *     program is the symbol sspix_AcquireCredentialsHandleW32), and
 *     InitSecurityInterfaceW returns the table of UTF-32 functions. A
 *     program that looks functions up itself with dlsym() must, in this
 *     mode, ask for "sspix_<Name>W32" (or take the table from
 *     SECURITY_ENTRYPOINT_ANSIW, which names the right one in both modes):
 *     the symbols of Windows' names expect UTF-16.
 * Strings are converted to and from UTF-8 (the library's own encoding)
 * strictly: an unpaired surrogate, a value above U+10FFFF, or a NUL inside a
 * counted string is refused with SEC_E_INVALID_PARAMETER (string parameters)
 * or SEC_E_UNKNOWN_CREDENTIALS (SEC_WINNT_AUTH_IDENTITY fields), and a name
 * the library cannot express in the caller's width (not UTF-8) with
 * SEC_E_INTERNAL_ERROR; nothing is truncated or replaced. W results are
 * allocated like the A ones and freed with FreeContextBuffer.
 *
 * Memory ownership (as on Windows):
 *   - Everything the library returns through a pointer-to-pointer
 *     (EnumerateSecurityPackagesA, QuerySecurityPackageInfoA, the pointer
 *     members of SecPkgContext_* filled by QueryContextAttributesA, output
 *     tokens when ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY is set)
 *     belongs to the caller and is released with FreeContextBuffer().
 *   - Otherwise the caller owns every buffer it passes in; the library never
 *     keeps a pointer to a caller buffer after a call returns.
 *
 * Handles: CredHandle and CtxtHandle are opaque values. A handle that is
 * zeroed, made up, already freed, or of the other kind (a credential handle
 * passed as a context) is answered with SEC_E_INVALID_HANDLE; it is never
 * dereferenced. Freeing a handle twice returns SEC_E_INVALID_HANDLE the
 * second time.
 *
 * Threads: every function is thread-safe. Independent contexts may be used
 * from any number of threads at once, and one credential handle may be shared
 * by all of them (a server acquires its credential once). Calls on ONE context
 * from several threads are serialised by the library (a mutex per context
 * around every call that reaches its state: handshake legs, message
 * protection, attributes, export, local name): each runs whole, one after the
 * other, in the order the threads get there. So two threads may both call
 * EncryptMessage on a context: every message gets its own sequence number,
 * but which thread's message is numbered first is up to the scheduler, and
 * the peer (with sequence detection) must receive them in that order.
 * DeleteSecurityContext while another thread uses the context waits for
 * nothing and frees it when that call returns.
 *
 * Time: TimeStamp counts 100 ns intervals since 1601-01-01 in UTC. (Windows'
 * Kerberos reports expiry in local time; on POSIX services run in UTC terms,
 * so sspix always reports UTC. Convert with sspix_timestamp_to_unix().) A
 * credential or context that never expires reports 0x7FFFFFFFFFFFFFFF.
 */
#ifndef SSPIX_SSPI_H
#define SSPIX_SSPI_H

#include <sspix/wintypes.h>

/* The tables below keep the column layout of Windows' headers. */
/* clang-format off */
#include <sspix/secerr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEC_ENTRY
#define SEC_FAR
#ifdef UNICODE
#define SSPIX_WIDEN_(s) L##s
#define SEC_TEXT(s)     SSPIX_WIDEN_(s)
#else
#define SEC_TEXT(s) s
#endif

typedef char SEC_CHAR;
typedef wchar_t SEC_WCHAR;

/* The user-mode interface, whichever of SECURITY_WIN32 / SECURITY_KERNEL /
 * SECURITY_MAC the program defined. */
#ifndef ISSP_LEVEL
#define ISSP_LEVEL 32
#endif
#ifndef ISSP_MODE
#define ISSP_MODE 1
#endif

/* The width of the caller's wchar_t picks the W entry points (see above). */
#if defined(__SIZEOF_WCHAR_T__)
#define SSPIX_WCHAR_BYTES __SIZEOF_WCHAR_T__
#elif defined(__WCHAR_MAX__) && __WCHAR_MAX__ <= 0xFFFF
#define SSPIX_WCHAR_BYTES 2
#else
#define SSPIX_WCHAR_BYTES 4
#endif
#if SSPIX_WCHAR_BYTES != 2 && SSPIX_WCHAR_BYTES != 4
#error "sspix: wchar_t must be 2 bytes (-fshort-wchar, UTF-16) or 4 bytes (UTF-32)"
#endif

#define SSPIX_STR_(x) #x
#define SSPIX_STR(x)  SSPIX_STR_(x)
#ifdef __USER_LABEL_PREFIX__
#define SSPIX_LABEL_PREFIX SSPIX_STR(__USER_LABEL_PREFIX__)
#else
#define SSPIX_LABEL_PREFIX ""
#endif
#if SSPIX_WCHAR_BYTES == 2
#define SSPIX_WIDE_ENTRY(name)
#define SSPIX_WIDE_SYMBOL(name) #name
/* Windows' type for the strings of SEC_WINNT_AUTH_IDENTITY_W: in C it is
 * the same type as a 16-bit wchar_t. */
typedef unsigned short SSPIX_IDENTITY_WCHAR;
#else
#define SSPIX_WIDE_ENTRY(name)  __asm__(SSPIX_LABEL_PREFIX "sspix_" #name "32")
#define SSPIX_WIDE_SYMBOL(name) "sspix_" #name "32"
/* unsigned short cannot hold UTF-32: the identity strings are wchar_t. */
typedef SEC_WCHAR SSPIX_IDENTITY_WCHAR;
#endif

#define SEC_SUCCESS(Status) ((Status) >= 0)

#ifdef UNICODE
typedef SEC_WCHAR *SECURITY_PSTR;
typedef const SEC_WCHAR *SECURITY_PCSTR;
#else
typedef SEC_CHAR *SECURITY_PSTR;
typedef const SEC_CHAR *SECURITY_PCSTR;
#endif

/* ---- handles and time ------------------------------------------------- */

typedef struct _SecHandle {
    ULONG_PTR dwLower;
    ULONG_PTR dwUpper;
} SecHandle, *PSecHandle;

typedef SecHandle CredHandle;
typedef PSecHandle PCredHandle;
typedef SecHandle CtxtHandle;
typedef PSecHandle PCtxtHandle;

#define SecInvalidateHandle(x) ((PSecHandle)(x))->dwLower = ((PSecHandle)(x))->dwUpper = ((ULONG_PTR)((INT_PTR)-1))
#define SecIsValidHandle(x)                                                                                            \
    ((((PSecHandle)(x))->dwLower != ((ULONG_PTR)((INT_PTR)-1))) &&                                                     \
     (((PSecHandle)(x))->dwUpper != ((ULONG_PTR)((INT_PTR)-1))))

typedef LARGE_INTEGER _SECURITY_INTEGER, SECURITY_INTEGER, *PSECURITY_INTEGER;
typedef SECURITY_INTEGER TimeStamp, *PTimeStamp;

typedef struct _SECURITY_STRING {
    USHORT Length;
    USHORT MaximumLength;
    USHORT *Buffer;
} SECURITY_STRING, *PSECURITY_STRING;

/* ---- buffers ----------------------------------------------------------- */

typedef struct _SecBuffer {
    ULONG cbBuffer;   /* size of the buffer, in bytes */
    ULONG BufferType; /* SECBUFFER_* type, possibly with SECBUFFER_ATTRMASK bits */
    void *pvBuffer;   /* pointer to the buffer */
} SecBuffer, *PSecBuffer;

typedef struct _SecBufferDesc {
    ULONG ulVersion; /* SECBUFFER_VERSION */
    ULONG cBuffers;  /* number of buffers */
    PSecBuffer pBuffers;
} SecBufferDesc, *PSecBufferDesc;

#define SECBUFFER_VERSION 0

#define SECBUFFER_EMPTY                 0
#define SECBUFFER_DATA                  1
#define SECBUFFER_TOKEN                 2
#define SECBUFFER_PKG_PARAMS            3
#define SECBUFFER_MISSING               4
#define SECBUFFER_EXTRA                 5
#define SECBUFFER_STREAM_TRAILER        6
#define SECBUFFER_STREAM_HEADER         7
#define SECBUFFER_NEGOTIATION_INFO      8
#define SECBUFFER_PADDING               9
#define SECBUFFER_STREAM                10
#define SECBUFFER_MECHLIST              11
#define SECBUFFER_MECHLIST_SIGNATURE    12
#define SECBUFFER_TARGET                13
#define SECBUFFER_CHANNEL_BINDINGS      14
#define SECBUFFER_CHANGE_PASS_RESPONSE  15
#define SECBUFFER_TARGET_HOST           16
#define SECBUFFER_ALERT                 17
#define SECBUFFER_APPLICATION_PROTOCOLS 18

#define SECBUFFER_ATTRMASK               0xF0000000u
#define SECBUFFER_READONLY               0x80000000u
#define SECBUFFER_READONLY_WITH_CHECKSUM 0x10000000u
#define SECBUFFER_RESERVED               0x60000000u

#define SECURITY_NATIVE_DREP  0x00000010
#define SECURITY_NETWORK_DREP 0x00000000

/* ---- credentials ------------------------------------------------------- */

#define SECPKG_CRED_INBOUND                0x00000001
#define SECPKG_CRED_OUTBOUND               0x00000002
#define SECPKG_CRED_BOTH                   0x00000003
#define SECPKG_CRED_DEFAULT                0x00000004
#define SECPKG_CRED_RESERVED               0xF0000000u
#define SECPKG_CRED_AUTOLOGON_RESTRICTED   0x00000010
#define SECPKG_CRED_PROCESS_POLICY_ONLY    0x00000020

#define SECPKG_CRED_ATTR_NAMES        1
#define SECPKG_CRED_ATTR_SSI_PROVIDER 2
#define SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS 3
#define SECPKG_CRED_ATTR_CERT         4

typedef struct _SecPkgCredentials_NamesA {
    SEC_CHAR *sUserName;
} SecPkgCredentials_NamesA, *PSecPkgCredentials_NamesA;

typedef struct _SecPkgCredentials_NamesW {
    SEC_WCHAR *sUserName;
} SecPkgCredentials_NamesW, *PSecPkgCredentials_NamesW;

typedef struct _SecPkgCredentials_SSIProviderA {
    SEC_CHAR *sProviderName;
    ULONG ProviderInfoLength;
    char *ProviderInfo;
} SecPkgCredentials_SSIProviderA, *PSecPkgCredentials_SSIProviderA;

typedef struct _SecPkgCredentials_SSIProviderW {
    SEC_WCHAR *sProviderName;
    ULONG ProviderInfoLength;
    char *ProviderInfo;
} SecPkgCredentials_SSIProviderW, *PSecPkgCredentials_SSIProviderW;

#define KDC_PROXY_SETTINGS_V1                 1
#define KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY   0x1

typedef struct _SecPkgCredentials_KdcProxySettingsW {
    ULONG Version;
    ULONG Flags;
    USHORT ProxyServerOffset;
    USHORT ProxyServerLength;
    USHORT ClientTlsCredOffset;
    USHORT ClientTlsCredLength;
} SecPkgCredentials_KdcProxySettingsW, *PSecPkgCredentials_KdcProxySettingsW;

typedef struct _SecPkgCredentials_Cert {
    ULONG EncodedCertSize;
    unsigned char *EncodedCert;
} SecPkgCredentials_Cert, *PSecPkgCredentials_Cert;

/* Explicit credentials for AcquireCredentialsHandleA(pAuthData). */
#define SEC_WINNT_AUTH_IDENTITY_ANSI    0x1
#define SEC_WINNT_AUTH_IDENTITY_UNICODE 0x2

typedef struct _SEC_WINNT_AUTH_IDENTITY_A {
    unsigned char *User;
    ULONG UserLength; /* characters, without the terminating NUL */
    unsigned char *Domain;
    ULONG DomainLength;
    unsigned char *Password;
    ULONG PasswordLength;
    ULONG Flags; /* SEC_WINNT_AUTH_IDENTITY_ANSI */
} SEC_WINNT_AUTH_IDENTITY_A, *PSEC_WINNT_AUTH_IDENTITY_A;

/*
 * The wide form, for AcquireCredentialsHandleW (Flags
 * SEC_WINNT_AUTH_IDENTITY_UNICODE): strings in the caller's wchar_t width,
 * lengths in wchar_t units without the terminating NUL (a UTF-16 surrogate
 * pair counts 2). The member type is Windows' unsigned short * with a 16-bit
 * wchar_t, wchar_t * otherwise. A SEC_WINNT_AUTH_IDENTITY_A (Flags
 * SEC_WINNT_AUTH_IDENTITY_ANSI) is accepted by the W function too.
 */
typedef struct _SEC_WINNT_AUTH_IDENTITY_W {
    SSPIX_IDENTITY_WCHAR *User;
    ULONG UserLength;
    SSPIX_IDENTITY_WCHAR *Domain;
    ULONG DomainLength;
    SSPIX_IDENTITY_WCHAR *Password;
    ULONG PasswordLength;
    ULONG Flags; /* SEC_WINNT_AUTH_IDENTITY_UNICODE */
} SEC_WINNT_AUTH_IDENTITY_W, *PSEC_WINNT_AUTH_IDENTITY_W;

/*
 * The extended form, recognised (as on Windows) by Version ==
 * SEC_WINNT_AUTH_IDENTITY_VERSION and Length == sizeof the structure.
 * User, Domain and Password as in SEC_WINNT_AUTH_IDENTITY_A; User may be
 * NULL with UserLength 0 for the caller's default identity (its ticket
 * cache), which HTTP clients pass to carry only a PackageList.
 * PackageList: comma-separated package names, each optionally prefixed by
 * '!' to exclude it ("Kerberos,NTLM", "!ntlm"); for Negotiate it decides
 * whether NTLM may stand in for Kerberos. NULL/0: the package's default.
 */
#define SEC_WINNT_AUTH_IDENTITY_VERSION   0x200
#define SEC_WINNT_AUTH_IDENTITY_VERSION_2 0x201

typedef struct _SEC_WINNT_AUTH_IDENTITY_EXA {
    ULONG Version; /* SEC_WINNT_AUTH_IDENTITY_VERSION */
    ULONG Length;  /* sizeof(SEC_WINNT_AUTH_IDENTITY_EXA) */
    unsigned char *User;
    ULONG UserLength;
    unsigned char *Domain;
    ULONG DomainLength;
    unsigned char *Password;
    ULONG PasswordLength;
    ULONG Flags; /* SEC_WINNT_AUTH_IDENTITY_ANSI */
    unsigned char *PackageList;
    ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXA, *PSEC_WINNT_AUTH_IDENTITY_EXA;

typedef struct _SEC_WINNT_AUTH_IDENTITY_EXW {
    ULONG Version; /* SEC_WINNT_AUTH_IDENTITY_VERSION */
    ULONG Length;  /* sizeof(SEC_WINNT_AUTH_IDENTITY_EXW) */
    SSPIX_IDENTITY_WCHAR *User;
    ULONG UserLength;
    SSPIX_IDENTITY_WCHAR *Domain;
    ULONG DomainLength;
    SSPIX_IDENTITY_WCHAR *Password;
    ULONG PasswordLength;
    ULONG Flags; /* SEC_WINNT_AUTH_IDENTITY_UNICODE */
    SSPIX_IDENTITY_WCHAR *PackageList;
    ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXW, *PSEC_WINNT_AUTH_IDENTITY_EXW;

/* Further Flags bits of Windows' extended forms (not implemented: a
 * structure carrying them is refused). */
#define SEC_WINNT_AUTH_IDENTITY_MARSHALLED    0x4
#define SEC_WINNT_AUTH_IDENTITY_ONLY          0x8

typedef void(SEC_ENTRY *SEC_GET_KEY_FN)(void *Arg, void *Principal, ULONG KeyVer, void **Key, SECURITY_STATUS *Status);

/* ---- packages ---------------------------------------------------------- */

typedef struct _SecPkgInfoA {
    ULONG fCapabilities; /* SECPKG_FLAG_* */
    USHORT wVersion;
    USHORT wRPCID;
    ULONG cbMaxToken; /* largest token the package produces or accepts */
    SEC_CHAR *Name;
    SEC_CHAR *Comment;
} SecPkgInfoA, *PSecPkgInfoA;

typedef struct _SecPkgInfoW {
    ULONG fCapabilities;
    USHORT wVersion;
    USHORT wRPCID;
    ULONG cbMaxToken;
    SEC_WCHAR *Name;
    SEC_WCHAR *Comment;
} SecPkgInfoW, *PSecPkgInfoW;

#define SECPKG_FLAG_INTEGRITY              0x00000001
#define SECPKG_FLAG_PRIVACY                0x00000002
#define SECPKG_FLAG_TOKEN_ONLY             0x00000004
#define SECPKG_FLAG_DATAGRAM               0x00000008
#define SECPKG_FLAG_CONNECTION             0x00000010
#define SECPKG_FLAG_MULTI_REQUIRED         0x00000020
#define SECPKG_FLAG_CLIENT_ONLY            0x00000040
#define SECPKG_FLAG_EXTENDED_ERROR         0x00000080
#define SECPKG_FLAG_IMPERSONATION          0x00000100
#define SECPKG_FLAG_ACCEPT_WIN32_NAME      0x00000200
#define SECPKG_FLAG_STREAM                 0x00000400
#define SECPKG_FLAG_NEGOTIABLE             0x00000800
#define SECPKG_FLAG_GSS_COMPATIBLE         0x00001000
#define SECPKG_FLAG_LOGON                  0x00002000
#define SECPKG_FLAG_ASCII_BUFFERS          0x00004000
#define SECPKG_FLAG_FRAGMENT               0x00008000
#define SECPKG_FLAG_MUTUAL_AUTH            0x00010000
#define SECPKG_FLAG_DELEGATION             0x00020000
#define SECPKG_FLAG_READONLY_WITH_CHECKSUM 0x00040000
#define SECPKG_FLAG_RESTRICTED_TOKENS      0x00080000
#define SECPKG_FLAG_NEGO_EXTENDER          0x00100000
#define SECPKG_FLAG_NEGOTIABLE2            0x00200000
#define SECPKG_FLAG_APPCONTAINER_PASSTHROUGH 0x00400000
#define SECPKG_FLAG_APPCONTAINER_CHECKS    0x00800000
#define SECPKG_FLAG_CREDENTIAL_ISOLATION_ENABLED 0x01000000

#define SECPKG_ID_NONE 0xFFFF

/* RPC authentication service ids reported in wRPCID. */
#define RPC_C_AUTHN_GSS_NEGOTIATE 9
#define RPC_C_AUTHN_WINNT         10
#define RPC_C_AUTHN_GSS_KERBEROS  16

#define NEGOSSP_NAME_A  "Negotiate"
#define MICROSOFT_KERBEROS_NAME_A "Kerberos"
#define NTLMSP_NAME_A   "NTLM"
#define NEGOSSP_NAME_W  L"Negotiate"
#define MICROSOFT_KERBEROS_NAME_W L"Kerberos"
#define NTLMSP_NAME_W   L"NTLM"

/* ---- context requirement and return flags ------------------------------ */

#define ISC_REQ_DELEGATE               0x00000001
#define ISC_REQ_MUTUAL_AUTH            0x00000002
#define ISC_REQ_REPLAY_DETECT          0x00000004
#define ISC_REQ_SEQUENCE_DETECT        0x00000008
#define ISC_REQ_CONFIDENTIALITY        0x00000010
#define ISC_REQ_USE_SESSION_KEY        0x00000020
#define ISC_REQ_PROMPT_FOR_CREDS       0x00000040
#define ISC_REQ_USE_SUPPLIED_CREDS     0x00000080
#define ISC_REQ_ALLOCATE_MEMORY        0x00000100
#define ISC_REQ_USE_DCE_STYLE          0x00000200
#define ISC_REQ_DATAGRAM               0x00000400
#define ISC_REQ_CONNECTION             0x00000800
#define ISC_REQ_CALL_LEVEL             0x00001000
#define ISC_REQ_FRAGMENT_SUPPLIED      0x00002000
#define ISC_REQ_EXTENDED_ERROR         0x00004000
#define ISC_REQ_STREAM                 0x00008000
#define ISC_REQ_INTEGRITY              0x00010000
#define ISC_REQ_IDENTIFY               0x00020000
#define ISC_REQ_NULL_SESSION           0x00040000
#define ISC_REQ_MANUAL_CRED_VALIDATION 0x00080000
#define ISC_REQ_RESERVED1              0x00100000
#define ISC_REQ_FRAGMENT_TO_FIT        0x00200000
#define ISC_REQ_FORWARD_CREDENTIALS    0x00400000
#define ISC_REQ_NO_INTEGRITY           0x00800000
#define ISC_REQ_USE_HTTP_STYLE         0x01000000
#define ISC_REQ_UNVERIFIED_TARGET_NAME 0x20000000
#define ISC_REQ_CONFIDENTIALITY_ONLY   0x40000000

#define ISC_RET_DELEGATE               0x00000001
#define ISC_RET_MUTUAL_AUTH            0x00000002
#define ISC_RET_REPLAY_DETECT          0x00000004
#define ISC_RET_SEQUENCE_DETECT        0x00000008
#define ISC_RET_CONFIDENTIALITY        0x00000010
#define ISC_RET_USE_SESSION_KEY        0x00000020
#define ISC_RET_USED_COLLECTED_CREDS   0x00000040
#define ISC_RET_USED_SUPPLIED_CREDS    0x00000080
#define ISC_RET_ALLOCATED_MEMORY       0x00000100
#define ISC_RET_USED_DCE_STYLE         0x00000200
#define ISC_RET_DATAGRAM               0x00000400
#define ISC_RET_CONNECTION             0x00000800
#define ISC_RET_INTERMEDIATE_RETURN    0x00001000
#define ISC_RET_CALL_LEVEL             0x00002000
#define ISC_RET_EXTENDED_ERROR         0x00004000
#define ISC_RET_STREAM                 0x00008000
#define ISC_RET_INTEGRITY              0x00010000
#define ISC_RET_IDENTIFY               0x00020000
#define ISC_RET_NULL_SESSION           0x00040000
#define ISC_RET_MANUAL_CRED_VALIDATION 0x00080000
#define ISC_RET_RESERVED1              0x00100000
#define ISC_RET_FRAGMENT_ONLY          0x00200000
#define ISC_RET_FORWARD_CREDENTIALS    0x00400000
#define ISC_RET_USED_HTTP_STYLE        0x01000000
#define ISC_RET_NO_ADDITIONAL_TOKEN    0x02000000
#define ISC_RET_REAUTHENTICATION       0x08000000
#define ISC_RET_CONFIDENTIALITY_ONLY   0x40000000

#define ASC_REQ_DELEGATE               0x00000001
#define ASC_REQ_MUTUAL_AUTH            0x00000002
#define ASC_REQ_REPLAY_DETECT          0x00000004
#define ASC_REQ_SEQUENCE_DETECT        0x00000008
#define ASC_REQ_CONFIDENTIALITY        0x00000010
#define ASC_REQ_USE_SESSION_KEY        0x00000020
#define ASC_REQ_SESSION_TICKET         0x00000040
#define ASC_REQ_ALLOCATE_MEMORY        0x00000100
#define ASC_REQ_USE_DCE_STYLE          0x00000200
#define ASC_REQ_DATAGRAM               0x00000400
#define ASC_REQ_CONNECTION             0x00000800
#define ASC_REQ_CALL_LEVEL             0x00001000
#define ASC_REQ_FRAGMENT_SUPPLIED      0x00002000
#define ASC_REQ_EXTENDED_ERROR         0x00008000
#define ASC_REQ_STREAM                 0x00010000
#define ASC_REQ_INTEGRITY              0x00020000
#define ASC_REQ_LICENSING              0x00040000
#define ASC_REQ_IDENTIFY               0x00080000
#define ASC_REQ_ALLOW_NULL_SESSION     0x00100000
#define ASC_REQ_ALLOW_NON_USER_LOGONS  0x00200000
#define ASC_REQ_ALLOW_CONTEXT_REPLAY   0x00400000
#define ASC_REQ_FRAGMENT_TO_FIT        0x00800000
#define ASC_REQ_NO_TOKEN               0x01000000
#define ASC_REQ_PROXY_BINDINGS         0x04000000
#define ASC_REQ_ALLOW_MISSING_BINDINGS 0x10000000

#define ASC_RET_DELEGATE               0x00000001
#define ASC_RET_MUTUAL_AUTH            0x00000002
#define ASC_RET_REPLAY_DETECT          0x00000004
#define ASC_RET_SEQUENCE_DETECT        0x00000008
#define ASC_RET_CONFIDENTIALITY        0x00000010
#define ASC_RET_USE_SESSION_KEY        0x00000020
#define ASC_RET_SESSION_TICKET         0x00000040
#define ASC_RET_ALLOCATED_MEMORY       0x00000100
#define ASC_RET_USED_DCE_STYLE         0x00000200
#define ASC_RET_DATAGRAM               0x00000400
#define ASC_RET_CONNECTION             0x00000800
#define ASC_RET_CALL_LEVEL             0x00002000
#define ASC_RET_THIRD_LEG_FAILED       0x00004000
#define ASC_RET_EXTENDED_ERROR         0x00008000
#define ASC_RET_STREAM                 0x00010000
#define ASC_RET_INTEGRITY              0x00020000
#define ASC_RET_LICENSING              0x00040000
#define ASC_RET_IDENTIFY               0x00080000
#define ASC_RET_NULL_SESSION           0x00100000
#define ASC_RET_ALLOW_NON_USER_LOGONS  0x00200000
#define ASC_RET_ALLOW_CONTEXT_REPLAY   0x00400000
#define ASC_RET_FRAGMENT_ONLY          0x00800000
#define ASC_RET_NO_TOKEN               0x01000000
#define ASC_RET_NO_ADDITIONAL_TOKEN    0x02000000

/* ---- context attributes ------------------------------------------------ */

#define SECPKG_ATTR_SIZES            0
#define SECPKG_ATTR_NAMES            1
#define SECPKG_ATTR_LIFESPAN         2
#define SECPKG_ATTR_DCE_INFO         3
#define SECPKG_ATTR_STREAM_SIZES     4
#define SECPKG_ATTR_KEY_INFO         5
#define SECPKG_ATTR_AUTHORITY        6
#define SECPKG_ATTR_PROTO_INFO       7
#define SECPKG_ATTR_PASSWORD_EXPIRY  8
#define SECPKG_ATTR_SESSION_KEY      9
#define SECPKG_ATTR_PACKAGE_INFO     10
#define SECPKG_ATTR_USER_FLAGS       11
#define SECPKG_ATTR_NEGOTIATION_INFO 12
#define SECPKG_ATTR_NATIVE_NAMES     13
#define SECPKG_ATTR_FLAGS            14
#define SECPKG_ATTR_USE_VALIDATED    15
#define SECPKG_ATTR_CREDENTIAL_NAME  16
#define SECPKG_ATTR_TARGET_INFORMATION 17
#define SECPKG_ATTR_ACCESS_TOKEN     18
#define SECPKG_ATTR_TARGET           19
#define SECPKG_ATTR_AUTHENTICATION_ID 20
#define SECPKG_ATTR_LOGOFF_TIME      21
#define SECPKG_ATTR_NEGO_KEYS        22
#define SECPKG_ATTR_PROMPTING_NEEDED 24
#define SECPKG_ATTR_UNIQUE_BINDINGS  25
#define SECPKG_ATTR_ENDPOINT_BINDINGS 26
#define SECPKG_ATTR_CLIENT_SPECIFIED_TARGET 27
#define SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS 30
#define SECPKG_ATTR_NEGO_PKG_INFO    31
#define SECPKG_ATTR_NEGO_STATUS      32
#define SECPKG_ATTR_CONTEXT_DELETED  33

typedef struct _SecPkgContext_Sizes {
    ULONG cbMaxToken;
    ULONG cbMaxSignature;    /* size of a MakeSignature token */
    ULONG cbBlockSize;       /* message sizes should be multiples of this */
    ULONG cbSecurityTrailer; /* TOKEN buffer size EncryptMessage needs */
} SecPkgContext_Sizes, *PSecPkgContext_Sizes;

typedef struct _SecPkgContext_StreamSizes {
    ULONG cbHeader;
    ULONG cbTrailer;
    ULONG cbMaximumMessage;
    ULONG cBuffers;
    ULONG cbBlockSize;
} SecPkgContext_StreamSizes, *PSecPkgContext_StreamSizes;

typedef struct _SecPkgContext_NamesA {
    SEC_CHAR *sUserName; /* the client's name, on both sides */
} SecPkgContext_NamesA, *PSecPkgContext_NamesA;

typedef struct _SecPkgContext_NamesW {
    SEC_WCHAR *sUserName;
} SecPkgContext_NamesW, *PSecPkgContext_NamesW;

typedef struct _SecPkgContext_NativeNamesA {
    SEC_CHAR *sClientName;
    SEC_CHAR *sServerName;
} SecPkgContext_NativeNamesA, *PSecPkgContext_NativeNamesA;

typedef struct _SecPkgContext_NativeNamesW {
    SEC_WCHAR *sClientName;
    SEC_WCHAR *sServerName;
} SecPkgContext_NativeNamesW, *PSecPkgContext_NativeNamesW;

typedef struct _SecPkgContext_Lifespan {
    TimeStamp tsStart;
    TimeStamp tsExpiry;
} SecPkgContext_Lifespan, *PSecPkgContext_Lifespan;

typedef struct _SecPkgContext_PackageInfoA {
    PSecPkgInfoA PackageInfo;
} SecPkgContext_PackageInfoA, *PSecPkgContext_PackageInfoA;

typedef struct _SecPkgContext_PackageInfoW {
    PSecPkgInfoW PackageInfo;
} SecPkgContext_PackageInfoW, *PSecPkgContext_PackageInfoW;

#define SECPKG_NEGOTIATION_COMPLETE      0
#define SECPKG_NEGOTIATION_OPTIMISTIC    1
#define SECPKG_NEGOTIATION_IN_PROGRESS   2
#define SECPKG_NEGOTIATION_DIRECT        3
#define SECPKG_NEGOTIATION_TRY_MULTICRED 4

typedef struct _SecPkgContext_NegotiationInfoA {
    PSecPkgInfoA PackageInfo;
    ULONG NegotiationState; /* SECPKG_NEGOTIATION_* */
} SecPkgContext_NegotiationInfoA, *PSecPkgContext_NegotiationInfoA;

typedef struct _SecPkgContext_NegotiationInfoW {
    PSecPkgInfoW PackageInfo;
    ULONG NegotiationState;
} SecPkgContext_NegotiationInfoW, *PSecPkgContext_NegotiationInfoW;

typedef struct _SecPkgContext_SessionKey {
    ULONG SessionKeyLength;
    unsigned char *SessionKey;
} SecPkgContext_SessionKey, *PSecPkgContext_SessionKey;

typedef struct _SecPkgContext_Flags {
    ULONG Flags; /* ISC_RET_* on a client context, ASC_RET_* on a server one */
} SecPkgContext_Flags, *PSecPkgContext_Flags;

typedef struct _SecPkgContext_KeyInfoA {
    SEC_CHAR *sSignatureAlgorithmName;
    SEC_CHAR *sEncryptAlgorithmName;
    ULONG KeySize; /* bits */
    ULONG SignatureAlgorithm;
    ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoA, *PSecPkgContext_KeyInfoA;

typedef struct _SecPkgContext_KeyInfoW {
    SEC_WCHAR *sSignatureAlgorithmName;
    SEC_WCHAR *sEncryptAlgorithmName;
    ULONG KeySize;
    ULONG SignatureAlgorithm;
    ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoW, *PSecPkgContext_KeyInfoW;

/* SECPKG_ATTR_AUTHORITY: the realm (authority) that authenticated the
 * context. */
typedef struct _SecPkgContext_AuthorityA {
    SEC_CHAR *sAuthorityName;
} SecPkgContext_AuthorityA, *PSecPkgContext_AuthorityA;

typedef struct _SecPkgContext_AuthorityW {
    SEC_WCHAR *sAuthorityName;
} SecPkgContext_AuthorityW, *PSecPkgContext_AuthorityW;

/* The remaining SECPKG_ATTR_* structures of Windows' sspi.h, for programs
 * that declare them; sspix answers the attributes it implements (see
 * QueryContextAttributesA) and SEC_E_UNSUPPORTED_FUNCTION for the others. */
typedef struct _SecPkgContext_DceInfo {
    ULONG AuthzSvc;
    void *pPac;
} SecPkgContext_DceInfo, *PSecPkgContext_DceInfo;

typedef struct _SecPkgContext_ProtoInfoA {
    SEC_CHAR *sProtocolName;
    ULONG majorVersion;
    ULONG minorVersion;
} SecPkgContext_ProtoInfoA, *PSecPkgContext_ProtoInfoA;

typedef struct _SecPkgContext_ProtoInfoW {
    SEC_WCHAR *sProtocolName;
    ULONG majorVersion;
    ULONG minorVersion;
} SecPkgContext_ProtoInfoW, *PSecPkgContext_ProtoInfoW;

typedef struct _SecPkgContext_PasswordExpiry {
    TimeStamp tsPasswordExpires;
} SecPkgContext_PasswordExpiry, *PSecPkgContext_PasswordExpiry;

typedef struct _SecPkgContext_UserFlags {
    ULONG UserFlags;
} SecPkgContext_UserFlags, *PSecPkgContext_UserFlags;

typedef struct _SecPkgContext_CredentialNameA {
    ULONG CredentialType;
    SEC_CHAR *sCredentialName;
} SecPkgContext_CredentialNameA, *PSecPkgContext_CredentialNameA;

typedef struct _SecPkgContext_CredentialNameW {
    ULONG CredentialType;
    SEC_WCHAR *sCredentialName;
} SecPkgContext_CredentialNameW, *PSecPkgContext_CredentialNameW;

typedef struct _SecPkgContext_AccessToken {
    void *AccessToken;
} SecPkgContext_AccessToken, *PSecPkgContext_AccessToken;

typedef struct _SecPkgContext_TargetInformation {
    ULONG MarshalledTargetInfoLength;
    unsigned char *MarshalledTargetInfo;
} SecPkgContext_TargetInformation, *PSecPkgContext_TargetInformation;

typedef struct _SecPkgContext_AuthzID {
    ULONG AuthzIDLength;
    char *AuthzID;
} SecPkgContext_AuthzID, *PSecPkgContext_AuthzID;

typedef struct _SecPkgContext_Target {
    ULONG TargetLength;
    char *Target;
} SecPkgContext_Target, *PSecPkgContext_Target;

typedef struct _SecPkgContext_ClientSpecifiedTarget {
    SEC_WCHAR *sTargetName;
} SecPkgContext_ClientSpecifiedTarget, *PSecPkgContext_ClientSpecifiedTarget;

typedef struct _SecPkgContext_NegoKeys {
    ULONG KeyType;
    USHORT KeyLength;
    unsigned char *KeyValue;
    ULONG VerifyKeyType;
    USHORT VerifyKeyLength;
    unsigned char *VerifyKeyValue;
} SecPkgContext_NegoKeys, *PSecPkgContext_NegoKeys;

typedef enum _SECPKG_ATTR_LCT_STATUS {
    SecPkgAttrLastClientTokenYes,
    SecPkgAttrLastClientTokenNo,
    SecPkgAttrLastClientTokenMaybe
} SECPKG_ATTR_LCT_STATUS, *PSECPKG_ATTR_LCT_STATUS;

typedef struct _SecPkgContext_LastClientTokenStatus {
    SECPKG_ATTR_LCT_STATUS LastClientTokenStatus;
} SecPkgContext_LastClientTokenStatus, *PSecPkgContext_LastClientTokenStatus;

typedef struct _SecPkgContext_NegoPackageInfo {
    ULONG PackageMask;
} SecPkgContext_NegoPackageInfo, *PSecPkgContext_NegoPackageInfo;

typedef struct _SecPkgContext_NegoStatus {
    ULONG LastStatus;
} SecPkgContext_NegoStatus, *PSecPkgContext_NegoStatus;

typedef enum _SECPKG_CRED_CLASS {
    SecPkgCredClass_None = 0,
    SecPkgCredClass_Ephemeral = 10,
    SecPkgCredClass_PersistedGeneric = 20,
    SecPkgCredClass_PersistedSpecific = 30,
    SecPkgCredClass_Explicit = 40
} SECPKG_CRED_CLASS, *PSECPKG_CRED_CLASS;

typedef struct _SecPkgContext_CredInfo {
    SECPKG_CRED_CLASS CredClass;
    ULONG IsPromptingNeeded;
} SecPkgContext_CredInfo, *PSecPkgContext_CredInfo;

/*
 * Channel bindings (a SECBUFFER_CHANNEL_BINDINGS buffer's contents, and
 * SECPKG_ATTR_UNIQUE_BINDINGS / SECPKG_ATTR_ENDPOINT_BINDINGS results): the
 * structure is followed by its data; each offset counts bytes from the
 * structure's first byte. The members are 32-bit, as on Windows.
 */
typedef struct _SEC_CHANNEL_BINDINGS {
    ULONG dwInitiatorAddrType;
    ULONG cbInitiatorLength;
    ULONG dwInitiatorOffset;
    ULONG dwAcceptorAddrType;
    ULONG cbAcceptorLength;
    ULONG dwAcceptorOffset;
    ULONG cbApplicationDataLength;
    ULONG dwApplicationDataOffset;
} SEC_CHANNEL_BINDINGS, *PSEC_CHANNEL_BINDINGS;

typedef struct _SecPkgContext_Bindings {
    ULONG BindingsLength;
    SEC_CHANNEL_BINDINGS *Bindings;
} SecPkgContext_Bindings, *PSecPkgContext_Bindings;

/* Message protection quality of protection. The spellings are Windows'
 * (ntsecapi.h for KERB_WRAP_NO_ENCRYPT), token for token, so a program that
 * defines one of them itself gets no redefinition warning. */
#define SECQOP_WRAP_NO_ENCRYPT 0x80000001
#define SECQOP_WRAP_OOB_DATA   0x40000000
#ifndef KERB_WRAP_NO_ENCRYPT
#define KERB_WRAP_NO_ENCRYPT 0x80000001
#endif

/* ---- functions --------------------------------------------------------- */

/*
 * Packages. Both return one allocation (the SecPkgInfoA array and its
 * strings) for a single FreeContextBuffer(). Package names compare
 * case-insensitively, as on Windows; an unknown one is SEC_E_SECPKG_NOT_FOUND.
 */
SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(ULONG *pcPackages, PSecPkgInfoA *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(SEC_CHAR *pszPackageName, PSecPkgInfoA *ppPackageInfo);

/*
 * Credentials, acquired once and shared by any number of contexts and threads.
 *   pszPrincipal  NULL: any key in the keytab (INBOUND) / the ccache's default
 *                 principal (OUTBOUND); else an SPN or user principal.
 *   pszPackage    "Negotiate", "Kerberos" or "NTLM"; must not be NULL.
 *   pvLogonId, pvGetKeyArgument  ignored; pGetKeyFn must be NULL.
 *   pAuthData     NULL, a SEC_WINNT_AUTH_IDENTITY_A (OUTBOUND password logon;
 *                 user, domain and password are copied), or an
 *                 SSPIX_AUTH_STORE_A (<sspix/sspix.h>).
 *   phCredential  receives the handle (required). ptsExpiry may be NULL.
 * Errors are reported here, not at the first handshake: no ticket is
 * SEC_E_NO_CREDENTIALS, a wrong password SEC_E_LOGON_DENIED, a keytab without
 * the principal's key SEC_E_NO_CREDENTIALS; sspix_last_error() says which.
 * Complete contexts keep working after FreeCredentialsHandle; a handshake in
 * progress needs its credential until its last leg.
 */
SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage, ULONG fCredentialUse,
                                                    void *pvLogonId, void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                    void *pvGetKeyArgument, PCredHandle phCredential,
                                                    PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY AddCredentialsA(PCredHandle hCredentials, SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage,
                                          ULONG fCredentialUse, void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                          void *pvGetKeyArgument, PTimeStamp ptsExpiry);

/*
 * One handshake leg. First call: phContext NULL, phCredential required,
 * phNewContext receives the context (only on success or CONTINUE: a failed
 * first call, SEC_E_BUFFER_TOO_SMALL included, creates nothing to delete and
 * leaves *phNewContext unchanged). Later calls: phContext is the context,
 * phCredential may be NULL, pInput holds the peer's token in a
 * SECBUFFER_TOKEN buffer. pInput and pOutput must have ulVersion
 * SECBUFFER_VERSION, at most 16 buffers, and pBuffers when cBuffers > 0
 * (else SEC_E_INVALID_TOKEN for pInput, SEC_E_INVALID_PARAMETER for
 * pOutput); the message functions take at most 16 buffers too.
 * pOutput must hold a SECBUFFER_TOKEN buffer: with ISC_REQ_ALLOCATE_MEMORY /
 * ASC_REQ_ALLOCATE_MEMORY the library sets pvBuffer (free it with
 * FreeContextBuffer); otherwise it writes into pvBuffer, and a token larger
 * than cbBuffer is SEC_E_BUFFER_TOO_SMALL (the context cannot continue).
 * cbBuffer is set to the token's size, 0 when there is nothing to send.
 * Returns SEC_E_OK (done), SEC_I_CONTINUE_NEEDED (send the token, wait for the
 * peer's), or an error; *pfContextAttr gets the flags actually negotiated
 * (ISC_RET_* / ASC_RET_*), ISC_RET_MUTUAL_AUTH only once the server proved
 * itself (never for NTLM); fContextReq is only a request: check these. pszTargetName: "svc/host", "svc/host@REALM",
 * "svc/host/extra" or "svc@host". pfContextAttr and ptsExpiry may be NULL.
 * Reserved1, Reserved2 and TargetDataRep are ignored.
 */
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(PCredHandle phCredential, PCtxtHandle phContext,
                                                     SEC_CHAR *pszTargetName, ULONG fContextReq, ULONG Reserved1,
                                                     ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
                                                     PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                     ULONG *pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                PSecBufferDesc pInput, ULONG fContextReq, ULONG TargetDataRep,
                                                PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                ULONG *pfContextAttr, PTimeStamp ptsExpiry);
/* Kerberos, Negotiate and NTLM never ask for it; it validates its arguments
 * and returns SEC_E_OK. */
SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken);
/* Frees the context; a second call with the same handle is
 * SEC_E_INVALID_HANDLE. */
SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput);
/*
 * Attributes: SECPKG_ATTR_SIZES, STREAM_SIZES, NAMES, NATIVE_NAMES, LIFESPAN,
 * PACKAGE_INFO, NEGOTIATION_INFO, SESSION_KEY, FLAGS, KEY_INFO. pBuffer points
 * at the attribute's SecPkgContext_* struct; every pointer member the call
 * fills is the caller's, freed with FreeContextBuffer (each one separately).
 * Most attributes need a complete context (else SEC_E_NO_CONTEXT); FLAGS and
 * NEGOTIATION_INFO are available during the handshake. The Ex forms check
 * cbBuffer first (SEC_E_BUFFER_TOO_SMALL).
 */
SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesExA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                    ULONG cbBuffer);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExA(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer,
                                                        ULONG cbBuffer);
SECURITY_STATUS SEC_ENTRY SetContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                ULONG cbBuffer);
SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer,
                                                    ULONG cbBuffer);
/*
 * Impersonation switches the CALLING THREAD's effective and filesystem
 * uid/gid and groups to the local account that krb5's auth_to_local maps the
 * client to; Revert restores them. Needs root (CAP_SETUID/CAP_SETGID);
 * unmapped clients are SEC_E_NO_IMPERSONATION. QuerySecurityContextToken has
 * no POSIX meaning and returns SEC_E_UNSUPPORTED_FUNCTION.
 */
SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token);

/*
 * Message protection (RFC 4121 tokens for Kerberos/Negotiate; Windows'
 * layouts). EncryptMessage: SECBUFFER_TOKEN (at least cbSecurityTrailer
 * bytes; its cbBuffer is set to what was written — send that many) +
 * SECBUFFER_DATA encrypted in place (+ SECBUFFER_PADDING); fQOP 0 or
 * KERB_WRAP_NO_ENCRYPT (integrity only). DecryptMessage: the same buffers, or
 * SECBUFFER_STREAM (the whole token) + an empty SECBUFFER_DATA that is set to
 * point at the plaintext inside the stream; *pfQOP (may be NULL) reports
 * KERB_WRAP_NO_ENCRYPT for an unencrypted message. A modified message is
 * SEC_E_MESSAGE_ALTERED, a replayed or reordered one SEC_E_OUT_OF_SEQUENCE.
 * MakeSignature / VerifySignature: SECBUFFER_DATA buffers + a SECBUFFER_TOKEN
 * of cbMaxSignature bytes. MessageSeqNo is ignored (the packages number
 * messages themselves); pass 0.
 */
SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage, ULONG MessageSeqNo);
SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo,
                                          ULONG *pfQOP);
SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo);
SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo,
                                         ULONG *pfQOP);

/*
 * Export serialises a complete context for ImportSecurityContextA in another
 * process; the exported context is unusable afterwards (always
 * SECPKG_CONTEXT_EXPORT_DELETE_OLD, as GSSAPI exports destructively) and
 * still needs DeleteSecurityContext. The blob holds session keys: protect it
 * in transit. pPackedContext->pvBuffer is freed with FreeContextBuffer; *pToken
 * is set to NULL (no Windows token handles).
 * Import accepts only a blob authenticated with this process's export key
 * (see sspix_set_context_export_key in <sspix/sspix.h>: by default the
 * exporting process and its fork()ed children share one; exec()ed or
 * unrelated processes must set the same key), and each blob only once per
 * process; anything else, damaged, cut or extended blobs included, is
 * SEC_E_INVALID_TOKEN before GSSAPI sees a byte of it. The imported context's
 * flags, role and lifetime are GSSAPI's, not the blob's.
 */
SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags, PSecBuffer pPackedContext,
                                                void **pToken);
SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(SEC_CHAR *pszPackage, PSecBuffer pPackedContext, void *Token,
                                                 PCtxtHandle phContext);

SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordA(SEC_CHAR *pszPackageName, SEC_CHAR *pszDomainName,
                                                 SEC_CHAR *pszAccountName, SEC_CHAR *pszOldPassword,
                                                 SEC_CHAR *pszNewPassword, BOOLEAN bImpersonating, ULONG dwReserved,
                                                 PSecBufferDesc pOutput);

/* Frees memory the library returned; NULL is accepted. */
SECURITY_STATUS SEC_ENTRY FreeContextBuffer(void *pvContextBuffer);

/*
 * The wide (W) functions: the A functions' behaviour, with SEC_WCHAR strings
 * (see "Character widths" at the top). String parameters are NUL-terminated
 * and at most 1024 characters. pAuthData of AcquireCredentialsHandleW and
 * AddCredentialsW may be a SEC_WINNT_AUTH_IDENTITY_W / _EXW (Flags
 * SEC_WINNT_AUTH_IDENTITY_UNICODE; fields at most 512 characters), the A
 * forms, or an SSPIX_AUTH_STORE_A whose Identity is either. QueryContext-
 * AttributesW fills the *W structures for NAMES, NATIVE_NAMES, PACKAGE_INFO,
 * NEGOTIATION_INFO, KEY_INFO, AUTHORITY, CREDENTIAL_NAME and PROTO_INFO (each
 * string member freed with FreeContextBuffer; a SecPkgInfoW is one block);
 * other attributes have no strings and are the A structures.
 */
SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesW(ULONG *pcPackages, PSecPkgInfoW *ppPackageInfo)
    SSPIX_WIDE_ENTRY(EnumerateSecurityPackagesW);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(SEC_WCHAR *pszPackageName, PSecPkgInfoW *ppPackageInfo)
    SSPIX_WIDE_ENTRY(QuerySecurityPackageInfoW);
SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(SEC_WCHAR *pszPrincipal, SEC_WCHAR *pszPackage,
                                                    ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
                                                    SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry)
    SSPIX_WIDE_ENTRY(AcquireCredentialsHandleW);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer)
    SSPIX_WIDE_ENTRY(QueryCredentialsAttributesW);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExW(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer,
                                                        ULONG cbBuffer)
    SSPIX_WIDE_ENTRY(QueryCredentialsAttributesExW);
SECURITY_STATUS SEC_ENTRY AddCredentialsW(PCredHandle hCredentials, SEC_WCHAR *pszPrincipal, SEC_WCHAR *pszPackage,
                                          ULONG fCredentialUse, void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                          void *pvGetKeyArgument, PTimeStamp ptsExpiry)
    SSPIX_WIDE_ENTRY(AddCredentialsW);
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(PCredHandle phCredential, PCtxtHandle phContext,
                                                     SEC_WCHAR *pszTargetName, ULONG fContextReq, ULONG Reserved1,
                                                     ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
                                                     PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                     ULONG *pfContextAttr, PTimeStamp ptsExpiry)
    SSPIX_WIDE_ENTRY(InitializeSecurityContextW);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer)
    SSPIX_WIDE_ENTRY(QueryContextAttributesW);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesExW(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                    ULONG cbBuffer)
    SSPIX_WIDE_ENTRY(QueryContextAttributesExW);
SECURITY_STATUS SEC_ENTRY SetContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                ULONG cbBuffer)
    SSPIX_WIDE_ENTRY(SetContextAttributesW);
SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer,
                                                    ULONG cbBuffer)
    SSPIX_WIDE_ENTRY(SetCredentialsAttributesW);
SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(SEC_WCHAR *pszPackage, PSecBuffer pPackedContext, void *Token,
                                                 PCtxtHandle phContext)
    SSPIX_WIDE_ENTRY(ImportSecurityContextW);
SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordW(SEC_WCHAR *pszPackageName, SEC_WCHAR *pszDomainName,
                                                 SEC_WCHAR *pszAccountName, SEC_WCHAR *pszOldPassword,
                                                 SEC_WCHAR *pszNewPassword, BOOLEAN bImpersonating, ULONG dwReserved,
                                                 PSecBufferDesc pOutput)
    SSPIX_WIDE_ENTRY(ChangeAccountPasswordW);

/* ExportSecurityContext flags. */
#define SECPKG_CONTEXT_EXPORT_RESET_NEW  0x00000001
#define SECPKG_CONTEXT_EXPORT_DELETE_OLD 0x00000002
#define SECPKG_CONTEXT_EXPORT_TO_KERNEL  0x00000004

/* ---- the function table ------------------------------------------------ */

typedef SECURITY_STATUS(SEC_ENTRY *ENUMERATE_SECURITY_PACKAGES_FN_A)(ULONG *, PSecPkgInfoA *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_FN_A)(PCredHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *ACQUIRE_CREDENTIALS_HANDLE_FN_A)(SEC_CHAR *, SEC_CHAR *, ULONG, void *, void *,
                                                                     SEC_GET_KEY_FN, void *, PCredHandle,
                                                                     PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *FREE_CREDENTIALS_HANDLE_FN)(PCredHandle);
typedef SECURITY_STATUS(SEC_ENTRY *INITIALIZE_SECURITY_CONTEXT_FN_A)(PCredHandle, PCtxtHandle, SEC_CHAR *, ULONG,
                                                                      ULONG, ULONG, PSecBufferDesc, ULONG,
                                                                      PCtxtHandle, PSecBufferDesc, ULONG *,
                                                                      PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *ACCEPT_SECURITY_CONTEXT_FN)(PCredHandle, PCtxtHandle, PSecBufferDesc, ULONG, ULONG,
                                                                PCtxtHandle, PSecBufferDesc, ULONG *, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *COMPLETE_AUTH_TOKEN_FN)(PCtxtHandle, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *DELETE_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *APPLY_CONTROL_TOKEN_FN)(PCtxtHandle, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_FN_A)(PCtxtHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *IMPERSONATE_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *REVERT_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *MAKE_SIGNATURE_FN)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *VERIFY_SIGNATURE_FN)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
typedef SECURITY_STATUS(SEC_ENTRY *FREE_CONTEXT_BUFFER_FN)(void *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_PACKAGE_INFO_FN_A)(SEC_CHAR *, PSecPkgInfoA *);
typedef SECURITY_STATUS(SEC_ENTRY *EXPORT_SECURITY_CONTEXT_FN)(PCtxtHandle, ULONG, PSecBuffer, void **);
typedef SECURITY_STATUS(SEC_ENTRY *IMPORT_SECURITY_CONTEXT_FN_A)(SEC_CHAR *, PSecBuffer, void *, PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *ADD_CREDENTIALS_FN_A)(PCredHandle, SEC_CHAR *, SEC_CHAR *, ULONG, void *,
                                                          SEC_GET_KEY_FN, void *, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_CONTEXT_TOKEN_FN)(PCtxtHandle, void **);
typedef SECURITY_STATUS(SEC_ENTRY *ENCRYPT_MESSAGE_FN)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *DECRYPT_MESSAGE_FN)(PCtxtHandle, PSecBufferDesc, ULONG, ULONG *);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CONTEXT_ATTRIBUTES_FN_A)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CREDENTIALS_ATTRIBUTES_FN_A)(PCredHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *CHANGE_PASSWORD_FN_A)(SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *, SEC_CHAR *,
                                                          BOOLEAN, ULONG, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_EX_FN_A)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A)(PCredHandle, ULONG, void *, ULONG);

typedef SECURITY_STATUS(SEC_ENTRY *ENUMERATE_SECURITY_PACKAGES_FN_W)(ULONG *, PSecPkgInfoW *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_FN_W)(PCredHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *ACQUIRE_CREDENTIALS_HANDLE_FN_W)(SEC_WCHAR *, SEC_WCHAR *, ULONG, void *, void *,
                                                                     SEC_GET_KEY_FN, void *, PCredHandle,
                                                                     PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *INITIALIZE_SECURITY_CONTEXT_FN_W)(PCredHandle, PCtxtHandle, SEC_WCHAR *, ULONG,
                                                                      ULONG, ULONG, PSecBufferDesc, ULONG,
                                                                      PCtxtHandle, PSecBufferDesc, ULONG *,
                                                                      PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_FN_W)(PCtxtHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_PACKAGE_INFO_FN_W)(SEC_WCHAR *, PSecPkgInfoW *);
typedef SECURITY_STATUS(SEC_ENTRY *IMPORT_SECURITY_CONTEXT_FN_W)(SEC_WCHAR *, PSecBuffer, void *, PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *ADD_CREDENTIALS_FN_W)(PCredHandle, SEC_WCHAR *, SEC_WCHAR *, ULONG, void *,
                                                          SEC_GET_KEY_FN, void *, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CONTEXT_ATTRIBUTES_FN_W)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CREDENTIALS_ATTRIBUTES_FN_W)(PCredHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *CHANGE_PASSWORD_FN_W)(SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *,
                                                          SEC_WCHAR *, BOOLEAN, ULONG, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_EX_FN_W)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W)(PCredHandle, ULONG, void *, ULONG);

#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION   1
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_2 2
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_3 3
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4 4
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5 5

/* Member names and order are Windows'. The Reserved members are NULL, as on
 * Windows; every function member is non-NULL. */
typedef struct _SECURITY_FUNCTION_TABLE_A {
    ULONG dwVersion;
    ENUMERATE_SECURITY_PACKAGES_FN_A EnumerateSecurityPackagesA;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_A QueryCredentialsAttributesA;
    ACQUIRE_CREDENTIALS_HANDLE_FN_A AcquireCredentialsHandleA;
    FREE_CREDENTIALS_HANDLE_FN FreeCredentialsHandle;
    void *Reserved2;
    INITIALIZE_SECURITY_CONTEXT_FN_A InitializeSecurityContextA;
    ACCEPT_SECURITY_CONTEXT_FN AcceptSecurityContext;
    COMPLETE_AUTH_TOKEN_FN CompleteAuthToken;
    DELETE_SECURITY_CONTEXT_FN DeleteSecurityContext;
    APPLY_CONTROL_TOKEN_FN ApplyControlToken;
    QUERY_CONTEXT_ATTRIBUTES_FN_A QueryContextAttributesA;
    IMPERSONATE_SECURITY_CONTEXT_FN ImpersonateSecurityContext;
    REVERT_SECURITY_CONTEXT_FN RevertSecurityContext;
    MAKE_SIGNATURE_FN MakeSignature;
    VERIFY_SIGNATURE_FN VerifySignature;
    FREE_CONTEXT_BUFFER_FN FreeContextBuffer;
    QUERY_SECURITY_PACKAGE_INFO_FN_A QuerySecurityPackageInfoA;
    void *Reserved3;
    void *Reserved4;
    EXPORT_SECURITY_CONTEXT_FN ExportSecurityContext;
    IMPORT_SECURITY_CONTEXT_FN_A ImportSecurityContextA;
    ADD_CREDENTIALS_FN_A AddCredentialsA;
    void *Reserved8;
    QUERY_SECURITY_CONTEXT_TOKEN_FN QuerySecurityContextToken;
    ENCRYPT_MESSAGE_FN EncryptMessage;
    DECRYPT_MESSAGE_FN DecryptMessage;
    SET_CONTEXT_ATTRIBUTES_FN_A SetContextAttributesA;
    SET_CREDENTIALS_ATTRIBUTES_FN_A SetCredentialsAttributesA;
    CHANGE_PASSWORD_FN_A ChangeAccountPasswordA;
    QUERY_CONTEXT_ATTRIBUTES_EX_FN_A QueryContextAttributesExA;
    QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A QueryCredentialsAttributesExA;
} SecurityFunctionTableA, *PSecurityFunctionTableA;

typedef PSecurityFunctionTableA(SEC_ENTRY *INIT_SECURITY_INTERFACE_A)(void);

/* The wide table: the A table's member order, with the W functions of the
 * caller's width in the string-bearing slots. */
typedef struct _SECURITY_FUNCTION_TABLE_W {
    ULONG dwVersion;
    ENUMERATE_SECURITY_PACKAGES_FN_W EnumerateSecurityPackagesW;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_W QueryCredentialsAttributesW;
    ACQUIRE_CREDENTIALS_HANDLE_FN_W AcquireCredentialsHandleW;
    FREE_CREDENTIALS_HANDLE_FN FreeCredentialsHandle;
    void *Reserved2;
    INITIALIZE_SECURITY_CONTEXT_FN_W InitializeSecurityContextW;
    ACCEPT_SECURITY_CONTEXT_FN AcceptSecurityContext;
    COMPLETE_AUTH_TOKEN_FN CompleteAuthToken;
    DELETE_SECURITY_CONTEXT_FN DeleteSecurityContext;
    APPLY_CONTROL_TOKEN_FN ApplyControlToken;
    QUERY_CONTEXT_ATTRIBUTES_FN_W QueryContextAttributesW;
    IMPERSONATE_SECURITY_CONTEXT_FN ImpersonateSecurityContext;
    REVERT_SECURITY_CONTEXT_FN RevertSecurityContext;
    MAKE_SIGNATURE_FN MakeSignature;
    VERIFY_SIGNATURE_FN VerifySignature;
    FREE_CONTEXT_BUFFER_FN FreeContextBuffer;
    QUERY_SECURITY_PACKAGE_INFO_FN_W QuerySecurityPackageInfoW;
    void *Reserved3;
    void *Reserved4;
    EXPORT_SECURITY_CONTEXT_FN ExportSecurityContext;
    IMPORT_SECURITY_CONTEXT_FN_W ImportSecurityContextW;
    ADD_CREDENTIALS_FN_W AddCredentialsW;
    void *Reserved8;
    QUERY_SECURITY_CONTEXT_TOKEN_FN QuerySecurityContextToken;
    ENCRYPT_MESSAGE_FN EncryptMessage;
    DECRYPT_MESSAGE_FN DecryptMessage;
    SET_CONTEXT_ATTRIBUTES_FN_W SetContextAttributesW;
    SET_CREDENTIALS_ATTRIBUTES_FN_W SetCredentialsAttributesW;
    CHANGE_PASSWORD_FN_W ChangeAccountPasswordW;
    QUERY_CONTEXT_ATTRIBUTES_EX_FN_W QueryContextAttributesExW;
    QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W QueryCredentialsAttributesExW;
} SecurityFunctionTableW, *PSecurityFunctionTableW;

typedef PSecurityFunctionTableW(SEC_ENTRY *INIT_SECURITY_INTERFACE_W)(void);

/* dlsym() names of the table functions. The W one names the entry point of
 * the caller's wchar_t width ("sspix_InitSecurityInterfaceW32" with a
 * 32-bit wchar_t); SECURITY_ENTRYPOINTW is SEC_TEXT-wide, as on Windows. */
#define SECURITY_ENTRYPOINT_ANSIA "InitSecurityInterfaceA"
#define SECURITY_ENTRYPOINT_ANSIW SSPIX_WIDE_SYMBOL(InitSecurityInterfaceW)
#define SECURITY_ENTRYPOINTA      "InitSecurityInterfaceA"
#define SECURITY_ENTRYPOINTW      SEC_TEXT("InitSecurityInterfaceW")
#define SECURITY_ENTRYPOINT16     "INITSECURITYINTERFACEA"

/* Returns the process-wide function table (static storage, never freed). */
PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void);
/* The same for the W functions of the caller's width. */
PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void) SSPIX_WIDE_ENTRY(InitSecurityInterfaceW);

/* ---- generic names: W under UNICODE, A otherwise (as Windows' headers) ---- */

#ifdef UNICODE
#define SecPkgInfo                          SecPkgInfoW
#define PSecPkgInfo                         PSecPkgInfoW
#define SecPkgCredentials_Names             SecPkgCredentials_NamesW
#define PSecPkgCredentials_Names            PSecPkgCredentials_NamesW
#define SecPkgCredentials_SSIProvider       SecPkgCredentials_SSIProviderW
#define PSecPkgCredentials_SSIProvider      PSecPkgCredentials_SSIProviderW
#define SecPkgContext_Names                 SecPkgContext_NamesW
#define PSecPkgContext_Names                PSecPkgContext_NamesW
#define SecPkgContext_NativeNames           SecPkgContext_NativeNamesW
#define PSecPkgContext_NativeNames          PSecPkgContext_NativeNamesW
#define SecPkgContext_PackageInfo           SecPkgContext_PackageInfoW
#define PSecPkgContext_PackageInfo          PSecPkgContext_PackageInfoW
#define SecPkgContext_NegotiationInfo       SecPkgContext_NegotiationInfoW
#define PSecPkgContext_NegotiationInfo      PSecPkgContext_NegotiationInfoW
#define SecPkgContext_KeyInfo               SecPkgContext_KeyInfoW
#define PSecPkgContext_KeyInfo              PSecPkgContext_KeyInfoW
#define SecPkgContext_Authority             SecPkgContext_AuthorityW
#define PSecPkgContext_Authority            PSecPkgContext_AuthorityW
#define SecPkgContext_ProtoInfo             SecPkgContext_ProtoInfoW
#define PSecPkgContext_ProtoInfo            PSecPkgContext_ProtoInfoW
#define SecPkgContext_CredentialName        SecPkgContext_CredentialNameW
#define PSecPkgContext_CredentialName       PSecPkgContext_CredentialNameW
#define SecurityFunctionTable               SecurityFunctionTableW
#define PSecurityFunctionTable              PSecurityFunctionTableW
#define INIT_SECURITY_INTERFACE             INIT_SECURITY_INTERFACE_W
#define NEGOSSP_NAME                        NEGOSSP_NAME_W
#define MICROSOFT_KERBEROS_NAME             MICROSOFT_KERBEROS_NAME_W
#define NTLMSP_NAME                         NTLMSP_NAME_W
#define SECURITY_ENTRYPOINT                 SECURITY_ENTRYPOINTW
#define SECURITY_ENTRYPOINT_ANSI            SECURITY_ENTRYPOINT_ANSIW
#define ENUMERATE_SECURITY_PACKAGES_FN      ENUMERATE_SECURITY_PACKAGES_FN_W
#define QUERY_CREDENTIALS_ATTRIBUTES_FN     QUERY_CREDENTIALS_ATTRIBUTES_FN_W
#define ACQUIRE_CREDENTIALS_HANDLE_FN       ACQUIRE_CREDENTIALS_HANDLE_FN_W
#define INITIALIZE_SECURITY_CONTEXT_FN      INITIALIZE_SECURITY_CONTEXT_FN_W
#define QUERY_CONTEXT_ATTRIBUTES_FN         QUERY_CONTEXT_ATTRIBUTES_FN_W
#define QUERY_SECURITY_PACKAGE_INFO_FN      QUERY_SECURITY_PACKAGE_INFO_FN_W
#define IMPORT_SECURITY_CONTEXT_FN          IMPORT_SECURITY_CONTEXT_FN_W
#define ADD_CREDENTIALS_FN                  ADD_CREDENTIALS_FN_W
#define SET_CONTEXT_ATTRIBUTES_FN           SET_CONTEXT_ATTRIBUTES_FN_W
#define SET_CREDENTIALS_ATTRIBUTES_FN       SET_CREDENTIALS_ATTRIBUTES_FN_W
#define CHANGE_PASSWORD_FN                  CHANGE_PASSWORD_FN_W
#define QUERY_CONTEXT_ATTRIBUTES_EX_FN      QUERY_CONTEXT_ATTRIBUTES_EX_FN_W
#define QUERY_CREDENTIALS_ATTRIBUTES_EX_FN  QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_W
#define EnumerateSecurityPackages           EnumerateSecurityPackagesW
#define QuerySecurityPackageInfo            QuerySecurityPackageInfoW
#define AcquireCredentialsHandle            AcquireCredentialsHandleW
#define QueryCredentialsAttributes          QueryCredentialsAttributesW
#define QueryCredentialsAttributesEx        QueryCredentialsAttributesExW
#define AddCredentials                      AddCredentialsW
#define InitializeSecurityContext           InitializeSecurityContextW
#define QueryContextAttributes              QueryContextAttributesW
#define QueryContextAttributesEx            QueryContextAttributesExW
#define SetContextAttributes                SetContextAttributesW
#define SetCredentialsAttributes            SetCredentialsAttributesW
#define ImportSecurityContext               ImportSecurityContextW
#define ChangeAccountPassword               ChangeAccountPasswordW
#define InitSecurityInterface               InitSecurityInterfaceW
#define SEC_WINNT_AUTH_IDENTITY             SEC_WINNT_AUTH_IDENTITY_W
#define PSEC_WINNT_AUTH_IDENTITY            PSEC_WINNT_AUTH_IDENTITY_W
#define SEC_WINNT_AUTH_IDENTITY_EX          SEC_WINNT_AUTH_IDENTITY_EXW
#define PSEC_WINNT_AUTH_IDENTITY_EX         PSEC_WINNT_AUTH_IDENTITY_EXW
#else
#define SecPkgInfo                          SecPkgInfoA
#define PSecPkgInfo                         PSecPkgInfoA
#define SecPkgCredentials_Names             SecPkgCredentials_NamesA
#define PSecPkgCredentials_Names            PSecPkgCredentials_NamesA
#define SecPkgCredentials_SSIProvider       SecPkgCredentials_SSIProviderA
#define PSecPkgCredentials_SSIProvider      PSecPkgCredentials_SSIProviderA
#define SecPkgContext_Names                 SecPkgContext_NamesA
#define PSecPkgContext_Names                PSecPkgContext_NamesA
#define SecPkgContext_NativeNames           SecPkgContext_NativeNamesA
#define PSecPkgContext_NativeNames          PSecPkgContext_NativeNamesA
#define SecPkgContext_PackageInfo           SecPkgContext_PackageInfoA
#define PSecPkgContext_PackageInfo          PSecPkgContext_PackageInfoA
#define SecPkgContext_NegotiationInfo       SecPkgContext_NegotiationInfoA
#define PSecPkgContext_NegotiationInfo      PSecPkgContext_NegotiationInfoA
#define SecPkgContext_KeyInfo               SecPkgContext_KeyInfoA
#define PSecPkgContext_KeyInfo              PSecPkgContext_KeyInfoA
#define SecPkgContext_Authority             SecPkgContext_AuthorityA
#define PSecPkgContext_Authority            PSecPkgContext_AuthorityA
#define SecPkgContext_ProtoInfo             SecPkgContext_ProtoInfoA
#define PSecPkgContext_ProtoInfo            PSecPkgContext_ProtoInfoA
#define SecPkgContext_CredentialName        SecPkgContext_CredentialNameA
#define PSecPkgContext_CredentialName       PSecPkgContext_CredentialNameA
#define SecurityFunctionTable               SecurityFunctionTableA
#define PSecurityFunctionTable              PSecurityFunctionTableA
#define INIT_SECURITY_INTERFACE             INIT_SECURITY_INTERFACE_A
#define NEGOSSP_NAME                        NEGOSSP_NAME_A
#define MICROSOFT_KERBEROS_NAME             MICROSOFT_KERBEROS_NAME_A
#define NTLMSP_NAME                         NTLMSP_NAME_A
#define SECURITY_ENTRYPOINT                 SECURITY_ENTRYPOINTA
#define SECURITY_ENTRYPOINT_ANSI            SECURITY_ENTRYPOINT_ANSIA
#define ENUMERATE_SECURITY_PACKAGES_FN      ENUMERATE_SECURITY_PACKAGES_FN_A
#define QUERY_CREDENTIALS_ATTRIBUTES_FN     QUERY_CREDENTIALS_ATTRIBUTES_FN_A
#define ACQUIRE_CREDENTIALS_HANDLE_FN       ACQUIRE_CREDENTIALS_HANDLE_FN_A
#define INITIALIZE_SECURITY_CONTEXT_FN      INITIALIZE_SECURITY_CONTEXT_FN_A
#define QUERY_CONTEXT_ATTRIBUTES_FN         QUERY_CONTEXT_ATTRIBUTES_FN_A
#define QUERY_SECURITY_PACKAGE_INFO_FN      QUERY_SECURITY_PACKAGE_INFO_FN_A
#define IMPORT_SECURITY_CONTEXT_FN          IMPORT_SECURITY_CONTEXT_FN_A
#define ADD_CREDENTIALS_FN                  ADD_CREDENTIALS_FN_A
#define SET_CONTEXT_ATTRIBUTES_FN           SET_CONTEXT_ATTRIBUTES_FN_A
#define SET_CREDENTIALS_ATTRIBUTES_FN       SET_CREDENTIALS_ATTRIBUTES_FN_A
#define CHANGE_PASSWORD_FN                  CHANGE_PASSWORD_FN_A
#define QUERY_CONTEXT_ATTRIBUTES_EX_FN      QUERY_CONTEXT_ATTRIBUTES_EX_FN_A
#define QUERY_CREDENTIALS_ATTRIBUTES_EX_FN  QUERY_CREDENTIALS_ATTRIBUTES_EX_FN_A
#define EnumerateSecurityPackages           EnumerateSecurityPackagesA
#define QuerySecurityPackageInfo            QuerySecurityPackageInfoA
#define AcquireCredentialsHandle            AcquireCredentialsHandleA
#define QueryCredentialsAttributes          QueryCredentialsAttributesA
#define QueryCredentialsAttributesEx        QueryCredentialsAttributesExA
#define AddCredentials                      AddCredentialsA
#define InitializeSecurityContext           InitializeSecurityContextA
#define QueryContextAttributes              QueryContextAttributesA
#define QueryContextAttributesEx            QueryContextAttributesExA
#define SetContextAttributes                SetContextAttributesA
#define SetCredentialsAttributes            SetCredentialsAttributesA
#define ImportSecurityContext               ImportSecurityContextA
#define ChangeAccountPassword               ChangeAccountPasswordA
#define InitSecurityInterface               InitSecurityInterfaceA
#define SEC_WINNT_AUTH_IDENTITY             SEC_WINNT_AUTH_IDENTITY_A
#define PSEC_WINNT_AUTH_IDENTITY            PSEC_WINNT_AUTH_IDENTITY_A
#define SEC_WINNT_AUTH_IDENTITY_EX          SEC_WINNT_AUTH_IDENTITY_EXA
#define PSEC_WINNT_AUTH_IDENTITY_EX         PSEC_WINNT_AUTH_IDENTITY_EXA
#endif

/* Windows' sspi.h spells the credential-freeing function both ways. */
#define FreeCredentialHandle FreeCredentialsHandle

#ifdef __cplusplus
}
#endif

/* clang-format on */
#endif /* SSPIX_SSPI_H */
