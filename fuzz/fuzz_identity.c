/* SPDX-License-Identifier: MIT */
/*
 * fuzz_identity.c - libFuzzer target for the pAuthData forms of
 * AcquireCredentialsHandle: sspix_package_list_parse and
 * sspix_identity_recognise (src/packages/identity.c).
 *
 * Input: byte 0 chooses.
 *   even  the rest is a PackageList, parsed as it is (arbitrary bytes)
 *   odd   the rest fills a SEC_WINNT_AUTH_IDENTITY_EXA (odd, bit 1 set: a
 *         plain SEC_WINNT_AUTH_IDENTITY_A) whose pointers point into the input:
 *           u8 version pick (0: EX, 1: EX2, 2: 0, else the next u32 as it is)
 *           u8 length pick (0: sizeof EX, else the next u32 as it is)
 *           [u32 version] [u32 length]  as picked
 *           u32 Flags
 *           4 x (u8 what, u8 length): User, Domain, Password, PackageList;
 *             what & 1: NULL pointer; what & 2: the length field says
 *             length + what (a lie, for the fields the code only copies);
 *             the bytes are taken in turn from what follows
 * Oracle: the parser agrees with a straightforward restatement of the
 * PackageList rules (status and flags); a failure leaves a message; the
 * recogniser copies the EX fields as they are, takes the caller's default
 * identity when all six are empty, refuses EX2, treats anything else as a
 * plain structure and never reads a PackageList past its length.
 *
 * `fuzz_identity -gen=DIR` writes the seed corpus and exits.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_bytes.h"
#include "packages/identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int generate(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-gen=", 5) == 0)
            exit(generate((*argv)[i] + 5));
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_identity: %s\n", what);
    abort();
}

static int is_name(const unsigned char *p, size_t n, const char *name)
{
    if (strlen(name) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower(p[i]) != tolower((unsigned char)name[i]))
            return 0;
    return 1;
}

/* The PackageList rules of identity.h, restated element by element. */
static SECURITY_STATUS reference_parse(const unsigned char *p, size_t n, unsigned *flags)
{
    *flags = 0;
    if (n == 0)
        return SEC_E_OK;
    if (p == NULL || n > SSPIX_PKGLIST_MAX || memchr(p, '\0', n) != NULL)
        return SEC_E_INVALID_PARAMETER;
    size_t start = 0;
    SECURITY_STATUS st = SEC_E_OK;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != ',')
            continue;
        size_t a = start, b = i;
        start = i + 1;
        while (a < b && isspace(p[a]))
            a++;
        while (b > a && isspace(p[b - 1]))
            b--;
        int neg = a < b && p[a] == '!';
        a += (size_t)neg;
        if (a == b)
            return SEC_E_INVALID_PARAMETER; /* the first bad element decides */
        if (is_name(p + a, b - a, "Kerberos"))
            *flags |= neg ? SSPIX_PKGLIST_NO_KERBEROS : SSPIX_PKGLIST_KERBEROS;
        else if (is_name(p + a, b - a, "NTLM"))
            *flags |= neg ? SSPIX_PKGLIST_NO_NTLM : SSPIX_PKGLIST_NTLM;
        else if (!is_name(p + a, b - a, "Negotiate") || neg)
            return SEC_E_SECPKG_NOT_FOUND;
    }
    if ((*flags & SSPIX_PKGLIST_KERBEROS && *flags & SSPIX_PKGLIST_NO_KERBEROS) ||
        (*flags & SSPIX_PKGLIST_NTLM && *flags & SSPIX_PKGLIST_NO_NTLM))
        st = SEC_E_INVALID_PARAMETER;
    return st;
}

static void list_case(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: ASan sees any read past the length. */
    unsigned char *p = size ? malloc(size) : NULL;
    if (size && p == NULL)
        abort();
    if (size)
        memcpy(p, data, size);
    unsigned flags = 0xdead, want;
    SECURITY_STATUS st = sspix_package_list_parse(p, (ULONG)size, &flags);
    SECURITY_STATUS ref = reference_parse(p, size, &want);
    if (st != ref) {
        fprintf(stderr, "status %s, the rules say %s\n", sspix_status_name(st), sspix_status_name(ref));
        fail("sspix_package_list_parse disagrees with the PackageList rules");
    }
    if (st == SEC_E_OK && flags != want)
        fail("sspix_package_list_parse set other flags than the rules say");
    if (st != SEC_E_OK && (sspix_last_error() == NULL || sspix_last_error()[0] == '\0'))
        fail("a refused PackageList left no message");
    free(p);
}

struct cursor {
    const uint8_t *p;
    size_t n;
};

static unsigned take_u8(struct cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

static ULONG take_u32(struct cursor *c)
{
    ULONG v = 0;
    for (int i = 0; i < 4; i++)
        v |= (ULONG)take_u8(c) << (8 * i);
    return v;
}

static void ex_case(unsigned sel, const uint8_t *data, size_t size)
{
    struct cursor c = {data, size};
    unsigned vpick = take_u8(&c), lpick = take_u8(&c);
    SEC_WINNT_AUTH_IDENTITY_EXA ex;
    memset(&ex, 0, sizeof(ex));
    ex.Version = vpick == 0   ? SEC_WINNT_AUTH_IDENTITY_VERSION
                 : vpick == 1 ? SEC_WINNT_AUTH_IDENTITY_VERSION_2
                 : vpick == 2 ? 0
                              : take_u32(&c);
    ex.Length = lpick == 0 ? (ULONG)sizeof(SEC_WINNT_AUTH_IDENTITY_EXA) : take_u32(&c);
    ex.Flags = take_u32(&c);
    unsigned what[4], len[4];
    for (int i = 0; i < 4; i++) {
        what[i] = take_u8(&c);
        len[i] = take_u8(&c);
    }
    /* Each field's bytes in a buffer of their own, so ASan catches a read past them. */
    unsigned char *field[4] = {NULL, NULL, NULL, NULL};
    ULONG field_len[4];
    for (int i = 0; i < 4; i++) {
        size_t n = len[i] < c.n ? len[i] : c.n;
        field_len[i] = (ULONG)n;
        if (!(what[i] & 1)) {
            field[i] = malloc(n ? n : 1);
            if (field[i] == NULL)
                abort();
            if (n)
                memcpy(field[i], c.p, n);
        }
        c.p += n;
        c.n -= n;
    }
    ex.User = field[0];
    ex.UserLength = field_len[0] + ((what[0] & 2) ? what[0] : 0);
    ex.Domain = field[1];
    ex.DomainLength = field_len[1] + ((what[1] & 2) ? what[1] : 0);
    ex.Password = field[2];
    ex.PasswordLength = field_len[2] + ((what[2] & 2) ? what[2] : 0);
    ex.PackageList = field[3];
    /* The list is read: its length stays true when it has bytes. */
    ex.PackageListLength = field_len[3] + (field[3] == NULL && (what[3] & 2) ? what[3] : 0);

    SEC_WINNT_AUTH_IDENTITY_A plain = {(unsigned char *)"u", 1, (unsigned char *)"D",        1,
                                       (unsigned char *)"p", 1, SEC_WINNT_AUTH_IDENTITY_ANSI};
    const void *auth = (sel & 2) ? (const void *)&plain : (const void *)&ex;
    SEC_WINNT_AUTH_IDENTITY_A storage;
    memset(&storage, 0xa5, sizeof(storage));
    const SEC_WINNT_AUTH_IDENTITY_A *ident = (const void *)&storage;
    unsigned pkglist = 0xdead;
    SECURITY_STATUS st = sspix_identity_recognise(auth, &storage, &ident, &pkglist);

    ULONG head[2];
    memcpy(head, auth, sizeof(head));
    if (head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION_2) {
        if (st != SEC_E_UNSUPPORTED_FUNCTION || ident != NULL)
            fail("an EX2 structure was not refused");
    } else if (head[0] != SEC_WINNT_AUTH_IDENTITY_VERSION || head[1] != sizeof(SEC_WINNT_AUTH_IDENTITY_EXA)) {
        if (st != SEC_E_OK || ident != auth || pkglist != 0)
            fail("a plain structure was not taken as it is");
    } else {
        unsigned want;
        SECURITY_STATUS ref = reference_parse(ex.PackageList, ex.PackageListLength, &want);
        if (st != ref)
            fail("the EX PackageList status is not the parser's");
        if (st == SEC_E_OK) {
            int empty = ex.User == NULL && ex.UserLength == 0 && ex.Domain == NULL && ex.DomainLength == 0 &&
                        ex.Password == NULL && ex.PasswordLength == 0;
            if (pkglist != want)
                fail("the EX PackageList flags are not the parser's");
            if (empty && ident != NULL)
                fail("an EX without a user, domain or password is not the default identity");
            if (!empty && (ident != &storage || storage.User != ex.User || storage.UserLength != ex.UserLength ||
                           storage.Domain != ex.Domain || storage.DomainLength != ex.DomainLength ||
                           storage.Password != ex.Password || storage.PasswordLength != ex.PasswordLength ||
                           storage.Flags != ex.Flags))
                fail("the EX fields were not copied as they are");
        }
    }
    for (int i = 0; i < 4; i++)
        free(field[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        ex_case(data[0], data + 1, size - 1);
    else
        list_case(data + 1, size - 1);
    return 0;
}

/* ---- the seed corpus ------------------------------------------------------------ */

#define SEED(name, text)                                                                                               \
    {                                                                                                                  \
        name, text, sizeof(text) - 1                                                                                   \
    }

static int generate(const char *dir)
{
    static const struct {
        const char *name, *text;
        size_t len;
    } seeds[] = {
        SEED("list-kerberos-ntlm", "\0Kerberos,NTLM"),
        SEED("list-negated", "\0 !ntlm , negotiate"),
        SEED("list-empty-element", "\0Kerberos,,NTLM"),
        SEED("list-both", "\0kerberos,!KERBEROS"),
        SEED("list-unknown", "\0Kerberos,CredSSP"),
        SEED("list-nul", "\0NTLM\0"),
        SEED("list-trailing-comma", "\0NTLM,"),
        /* EX, sizeof EX, Flags ANSI, User "alice" Domain "EX" Password "pw" PackageList "!NTLM". */
        SEED("ex-full", "\x01\0\0\x01\0\0\0\0\x05\0\x02\0\x02\0\x05"
                        "aliceEXpw!NTLM"),
        /* EX with only a PackageList: the default identity. */
        SEED("ex-default-identity", "\x01\0\0\x01\0\0\0\x01\0\x01\0\x01\0\0\x08"
                                    "Kerberos"),
        /* EX with a PackageList length but no pointer. */
        SEED("ex-null-list", "\x01\0\0\x01\0\0\0\x01\0\x01\0\x01\0\x03\0"),
        SEED("ex2", "\x01\x01\0\x01\0\0\0\0\0\0\0\0\0\0\0"),
        SEED("ex-wrong-length", "\x01\0\x01\x10\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0"),
        SEED("plain", "\x03\0\0\0\0\0\0"),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct fuzz_bytes b = {0};
        fuzz_put(&b, seeds[i].text, seeds[i].len);
        rc |= fuzz_write_seed(dir, seeds[i].name, &b);
        fuzz_bytes_free(&b);
    }
    return rc;
}
