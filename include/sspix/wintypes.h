/* SPDX-License-Identifier: MIT */
/*
 * sspix/wintypes.h - the Win32 base types the SSPI declarations need.
 *
 * Sizes follow Windows (LLP64), not Linux (LP64): LONG, ULONG and DWORD are
 * 32-bit here even though `long` is 64-bit on Linux. Code ported from Windows
 * that declares its variables with these names therefore keeps its layout.
 *
 * If another header already provided the Win32 types (winpr, a project's own
 * compatibility header), define SSPIX_NO_WINTYPES before including any sspix
 * header and provide them yourself with the same sizes.
 */
#ifndef SSPIX_WINTYPES_H
#define SSPIX_WINTYPES_H

#include <stddef.h>
#include <stdint.h>

#ifndef SSPIX_NO_WINTYPES

typedef int BOOL;
typedef unsigned char BOOLEAN;
typedef unsigned char BYTE;
typedef unsigned char UCHAR;
typedef char CHAR;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uintptr_t ULONG_PTR;
typedef intptr_t LONG_PTR;
typedef intptr_t INT_PTR;
typedef size_t SIZE_T;
typedef wchar_t WCHAR; /* as on Windows: UTF-16 with -fshort-wchar, UTF-32 otherwise (see sspi.h) */
typedef LONG HRESULT;
typedef void VOID;
typedef void *PVOID;
typedef void *LPVOID;
typedef void *HANDLE;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef BYTE *PBYTE;
typedef BYTE *LPBYTE;
typedef ULONG *PULONG;
typedef DWORD *PDWORD;
typedef DWORD *LPDWORD;
typedef LONG *PLONG;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef char *PSTR;
typedef const char *PCSTR;

/* winnt.h's generic text type: wchar_t under UNICODE. */
#ifndef TEXT
#ifdef UNICODE
typedef WCHAR TCHAR;
#define __TEXT(quote) L##quote
#else
typedef char TCHAR;
#define __TEXT(quote) quote
#endif
#define TEXT(quote) __TEXT(quote)
typedef TCHAR *LPTSTR;
typedef const TCHAR *LPCTSTR;
typedef TCHAR *PTSTR;
typedef const TCHAR *PCTSTR;
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Windows' 64-bit integer with its 32-bit halves (little-endian layout). */
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID, *PLUID;

#endif /* SSPIX_NO_WINTYPES */

#endif /* SSPIX_WINTYPES_H */
