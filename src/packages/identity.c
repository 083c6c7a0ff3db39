/* SPDX-License-Identifier: MIT */
/*
 * identity.c - pAuthData forms of AcquireCredentialsHandle (see identity.h).
 *
 * Windows tells the extended structure from the plain one by its first two
 * 32-bit fields: Version (SEC_WINNT_AUTH_IDENTITY_VERSION) and Length
 * (sizeof the extended structure). In the plain structure those bytes are
 * the User pointer, which cannot be both values on any platform sspix runs
 * on (0x200 as the low half of a user-space pointer, with the structure's
 * size as the high half, is not an address a program can hold).
 */
#include "packages/identity.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sspi/status.h"

static int name_is(const unsigned char *p, size_t n, const char *name)
{
    size_t len = strlen(name);
    if (n != len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower(p[i]) != tolower((unsigned char)name[i]))
            return 0;
    return 1;
}

SECURITY_STATUS sspix_package_list_parse(const unsigned char *list, ULONG len, unsigned *flags)
{
    *flags = 0;
    if (len == 0)
        return SEC_E_OK;
    SEC_ENSURE(list != NULL, SEC_E_INVALID_PARAMETER, "PackageListLength is %u but PackageList is NULL", (unsigned)len);
    SEC_ENSURE(len <= SSPIX_PKGLIST_MAX, SEC_E_INVALID_PARAMETER, "PackageList is longer than %u bytes",
               SSPIX_PKGLIST_MAX);
    SEC_ENSURE(memchr(list, '\0', len) == NULL, SEC_E_INVALID_PARAMETER, "PackageListLength covers a NUL byte");
    size_t at = 0;
    while (at <= len) {
        size_t end = at;
        while (end < len && list[end] != ',')
            end++;
        size_t s = at, e = end;
        while (s < e && isspace(list[s]))
            s++;
        while (e > s && isspace(list[e - 1]))
            e--;
        int negated = s < e && list[s] == '!';
        if (negated)
            s++;
        SEC_ENSURE(s != e, SEC_E_INVALID_PARAMETER, "PackageList \"%.*s\" has an empty element", (int)len,
                   (const char *)list);
        unsigned bit;
        if (name_is(list + s, e - s, "Kerberos"))
            bit = negated ? SSPIX_PKGLIST_NO_KERBEROS : SSPIX_PKGLIST_KERBEROS;
        else if (name_is(list + s, e - s, "NTLM"))
            bit = negated ? SSPIX_PKGLIST_NO_NTLM : SSPIX_PKGLIST_NTLM;
        else if (name_is(list + s, e - s, "Negotiate") && !negated)
            bit = 0;
        else
            return sspix_fail(SEC_E_SECPKG_NOT_FOUND,
                              "PackageList names \"%.*s\": use Kerberos and NTLM, each optionally prefixed by '!'",
                              (int)(e - s), (const char *)list + s);
        *flags |= bit;
        at = end + 1;
    }
    if ((*flags & SSPIX_PKGLIST_KERBEROS && *flags & SSPIX_PKGLIST_NO_KERBEROS) ||
        (*flags & SSPIX_PKGLIST_NTLM && *flags & SSPIX_PKGLIST_NO_NTLM))
        return sspix_fail(SEC_E_INVALID_PARAMETER, "PackageList \"%.*s\" both names and excludes a package", (int)len,
                          (const char *)list);
    return SEC_E_OK;
}

SECURITY_STATUS sspix_identity_recognise(const void *auth_data, SEC_WINNT_AUTH_IDENTITY_A *storage,
                                         const SEC_WINNT_AUTH_IDENTITY_A **ident, unsigned *pkglist)
{
    ULONG head[2];
    *ident = NULL;
    *pkglist = 0;
    if (auth_data == NULL)
        return SEC_E_OK;
    memcpy(head, auth_data, sizeof(head));
    SEC_ENSURE(head[0] != SEC_WINNT_AUTH_IDENTITY_VERSION_2, SEC_E_UNSUPPORTED_FUNCTION,
               "SEC_WINNT_AUTH_IDENTITY_EX2 is not supported: pass a SEC_WINNT_AUTH_IDENTITY_EXA or "
               "SEC_WINNT_AUTH_IDENTITY_A");
    if (head[0] != SEC_WINNT_AUTH_IDENTITY_VERSION || head[1] != sizeof(SEC_WINNT_AUTH_IDENTITY_EXA)) {
        *ident = auth_data;
        return SEC_E_OK;
    }
    SEC_WINNT_AUTH_IDENTITY_EXA ex;
    memcpy(&ex, auth_data, sizeof(ex));
    SEC_GUARD(sspix_package_list_parse(ex.PackageList, ex.PackageListLength, pkglist));
    if (ex.User == NULL && ex.UserLength == 0 && ex.Domain == NULL && ex.DomainLength == 0 && ex.Password == NULL &&
        ex.PasswordLength == 0)
        return SEC_E_OK; /* the caller's default identity, with a PackageList */
    storage->User = ex.User;
    storage->UserLength = ex.UserLength;
    storage->Domain = ex.Domain;
    storage->DomainLength = ex.DomainLength;
    storage->Password = ex.Password;
    storage->PasswordLength = ex.PasswordLength;
    storage->Flags = ex.Flags;
    *ident = storage;
    return SEC_E_OK;
}

static char *identity_dup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void sspix_identity_clear(struct sspix_identity *id)
{
    free(id->principal);
    if (id->password != NULL) {
        explicit_bzero(id->password, strlen(id->password));
        free(id->password);
    }
    id->principal = id->password = NULL;
}

/* Bounds and encoding of a caller's SEC_WINNT_AUTH_IDENTITY_A. */
SECURITY_STATUS sspix_identity_check(const SEC_WINNT_AUTH_IDENTITY_A *a)
{
    SEC_ENSURE(a->Flags == SEC_WINNT_AUTH_IDENTITY_ANSI, SEC_E_UNSUPPORTED_FUNCTION,
               "SEC_WINNT_AUTH_IDENTITY Flags 0x%x: only SEC_WINNT_AUTH_IDENTITY_ANSI is supported",
               (unsigned)a->Flags);
    SEC_ENSURE(a->UserLength > 0 && a->User != NULL, SEC_E_UNKNOWN_CREDENTIALS,
               "SEC_WINNT_AUTH_IDENTITY has no user name");
    SEC_ENSURE(a->UserLength <= SSPIX_MAX_IDENTITY_FIELD && a->DomainLength <= SSPIX_MAX_IDENTITY_FIELD &&
                   a->PasswordLength <= SSPIX_MAX_IDENTITY_FIELD,
               SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY field longer than %u bytes",
               SSPIX_MAX_IDENTITY_FIELD);
    SEC_ENSURE((a->DomainLength == 0 || a->Domain != NULL) && (a->PasswordLength == 0 || a->Password != NULL),
               SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY has a length without a buffer");
    SEC_ENSURE(memchr(a->User, '\0', a->UserLength) == NULL &&
                   (a->DomainLength == 0 || memchr(a->Domain, '\0', a->DomainLength) == NULL) &&
                   (a->PasswordLength == 0 || memchr(a->Password, '\0', a->PasswordLength) == NULL),
               SEC_E_UNKNOWN_CREDENTIALS, "SEC_WINNT_AUTH_IDENTITY length covers a NUL byte");
    return SEC_E_OK;
}

SECURITY_STATUS sspix_identity_parse(const SEC_WINNT_AUTH_IDENTITY_A *a, struct sspix_identity *id)
{
    SEC_GUARD(sspix_identity_check(a));

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
    id->password = identity_dup(a->Password ? (const void *)a->Password : "", a->PasswordLength);
    if (id->password == NULL) {
        sspix_identity_clear(id);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    return SEC_E_OK;
}
