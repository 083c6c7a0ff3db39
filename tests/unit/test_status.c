/* SPDX-License-Identifier: MIT */
/*
 * test_status.c - the one error model (sspi/status.h, sspi/errors.c) without
 * a KDC: every row of the SSPIX_ERR_* -> SEC_E_* table in both directions,
 * the guard macros over a real bounded reader and writer, the error frame
 * each SSPI call opens (no stale message survives into a call that
 * succeeds), and the file:line a debug build records.
 */
#include <ctype.h>
#include <string.h>

#include "common/buf.h"
#include "common/check.h"
#include "sspi/status.h"

/* ---- the table ------------------------------------------------------------------------ */

struct row {
    int err;
    SECURITY_STATUS in, out;
    const char *in_words, *out_words;
};

static const struct row rows[] = {
    {SSPIX_OK, SEC_E_OK, SEC_E_OK, "success", "success"},
    {SSPIX_ERR_SHORT, SEC_E_INVALID_TOKEN, SEC_E_INTERNAL_ERROR, "truncated", "ran out of bytes"},
    {SSPIX_ERR_TOO_LONG, SEC_E_INVALID_TOKEN, SEC_E_BUFFER_TOO_SMALL, "over its limit", "longer than the output"},
    {SSPIX_ERR_NOMEM, SEC_E_INSUFFICIENT_MEMORY, SEC_E_INSUFFICIENT_MEMORY, "out of memory", "out of memory"},
    {SSPIX_ERR_INVALID, SEC_E_INVALID_TOKEN, SEC_E_INTERNAL_ERROR, "malformed", "cannot be encoded"},
    {SSPIX_ERR_FULL, SEC_E_INVALID_TOKEN, SEC_E_BUFFER_TOO_SMALL, "more than the format allows", "too small"},
    {SSPIX_ERR_STATE, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "out of order", "out of order"},
    {SSPIX_ERR_IO, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "system call", "system call"},
    {SSPIX_ERR_CLOSED, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "closed", "closed"},
    {SSPIX_ERR_AUTH, SEC_E_LOGON_DENIED, SEC_E_LOGON_DENIED, "authentication failed", "authentication failed"},
    {-99, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "unknown error code", "unknown error code"},
    {7, SEC_E_INTERNAL_ERROR, SEC_E_INTERNAL_ERROR, "unknown error code", "unknown error code"},
};

static void test_every_row(void)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        CHECK_EQ_INT(sspix_status_from_err(r->err, SSPIX_DIR_IN), r->in);
        CHECK_EQ_INT(sspix_status_from_err(r->err, SSPIX_DIR_OUT), r->out);
        CHECK(strstr(sspix_err_words(r->err, SSPIX_DIR_IN), r->in_words) != NULL);
        CHECK(strstr(sspix_err_words(r->err, SSPIX_DIR_OUT), r->out_words) != NULL);
        if (r->err == SSPIX_OK)
            continue;
        /* sspix_fail_err records the caller's words and the table's. */
        sspix_error_enter("DecryptMessage");
        CHECK_EQ_INT(sspix_fail_err(r->err, SSPIX_DIR_IN, "the %s field", "flags"), r->in);
        CHECK_LAST_ERROR("DecryptMessage: the flags field: ");
        CHECK_LAST_ERROR(r->in_words);
        sspix_error_enter("EncryptMessage");
        CHECK_EQ_INT(sspix_fail_err(r->err, SSPIX_DIR_OUT, "the trailer"), r->out);
        CHECK_LAST_ERROR("EncryptMessage: the trailer: ");
        CHECK_LAST_ERROR(r->out_words);
    }
    /* "Failed" with no error code is the caller's bug, never a success. */
    sspix_error_enter("MakeSignature");
    CHECK_EQ_INT(sspix_fail_err(SSPIX_OK, SSPIX_DIR_OUT, "the signature"), SEC_E_INTERNAL_ERROR);
    CHECK_LAST_ERROR("the signature: internal error: reported as a failure with no error code");
}

/* ---- the guard macros over the bounded reader and writer --------------------------------- */

static SECURITY_STATUS read_flags(const void *p, size_t n, uint32_t *flags)
{
    sspix_reader r;
    sspix_reader_init(&r, p, n);
    SEC_GUARD_IN(sspix_reader_u32le(&r, flags), "the NTLM message's flags");
    return SEC_E_OK;
}

static SECURITY_STATUS read_name(const void *p, size_t n)
{
    sspix_reader r;
    const uint8_t *name;
    size_t len;
    sspix_reader_init(&r, p, n);
    SEC_GUARD_IN(sspix_reader_prefixed(&r, SSPIX_PREFIX_U8, 4, &name, &len), "the name");
    return SEC_E_OK;
}

static SECURITY_STATUS write_trailer(sspix_writer *w, size_t n)
{
    static const uint8_t zeros[64];
    SEC_GUARD_OUT(sspix_writer_put_bytes(w, zeros, n), "the %zu-byte trailer", n);
    return SEC_E_OK;
}

static SECURITY_STATUS take_output(sspix_writer *w)
{
    uint8_t *p;
    size_t len;
    SEC_GUARD_OUT(sspix_writer_take(w, &p, &len), "the output token");
    free(p);
    return SEC_E_OK;
}

static void test_guard_in_out(void)
{
    static const uint8_t bytes[] = {1, 2, 3, 4, 9, 'a', 'b'};
    uint32_t flags = 0;
    uint8_t small[8];
    sspix_writer w;

    sspix_error_enter("AcceptSecurityContext");
    CHECK_SEC(read_flags(bytes, 4, &flags), SEC_E_OK);
    CHECK_EQ_INT(flags, 0x04030201);
    CHECK_STR(sspix_last_error(), "");
    CHECK_SEC(read_flags(bytes, 3, &flags), SEC_E_INVALID_TOKEN);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: the NTLM message's flags: truncated");

    /* A length prefix over its limit is TOO_LONG, cut short is SHORT: both a bad token. */
    sspix_error_enter("AcceptSecurityContext");
    CHECK_SEC(read_name(bytes + 4, 3), SEC_E_INVALID_TOKEN);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: the name: a length over its limit");
    sspix_error_enter("AcceptSecurityContext");
    CHECK_SEC(read_name(bytes + 3, 3), SEC_E_INVALID_TOKEN);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: the name: truncated");

    /* Output: a full caller's buffer, or a heap writer at its maximum, is BUFFER_TOO_SMALL, not NOMEM. */
    sspix_error_enter("EncryptMessage");
    sspix_writer_init_fixed(&w, small, sizeof(small));
    CHECK_SEC(write_trailer(&w, 8), SEC_E_OK);
    CHECK_SEC(write_trailer(&w, 1), SEC_E_BUFFER_TOO_SMALL);
    CHECK_STR(sspix_last_error(), "EncryptMessage: the 1-byte trailer: the output buffer is too small");
    sspix_error_enter("EncryptMessage");
    sspix_writer_init_heap(&w, 16);
    CHECK_SEC(write_trailer(&w, 10), SEC_E_OK);
    CHECK_SEC(write_trailer(&w, 10), SEC_E_BUFFER_TOO_SMALL);
    CHECK_LAST_ERROR("the 10-byte trailer: the output buffer is too small");
    CHECK_SEC(take_output(&w), SEC_E_OK);
    sspix_writer_free(&w);

    /* A call the code itself made out of order: an internal error. */
    sspix_error_enter("InitializeSecurityContext");
    sspix_writer_init_fixed(&w, small, sizeof(small));
    CHECK_SEC(take_output(&w), SEC_E_INTERNAL_ERROR);
    CHECK_STR(sspix_last_error(), "InitializeSecurityContext: the output token: internal error: a call out of order");
}

static int guard_reached;

static SECURITY_STATUS guarded(SECURITY_STATUS inner)
{
    guard_reached = 0;
    SEC_GUARD(inner);
    guard_reached = 1;
    return SEC_E_OK;
}

static SECURITY_STATUS ensured(const void *p)
{
    SEC_ENSURE(p != NULL, SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL (%d)", 42);
    return SEC_E_OK;
}

static void test_guard_and_ensure(void)
{
    sspix_error_enter("QueryContextAttributes");
    CHECK_SEC(guarded(SEC_E_OK), SEC_E_OK);
    CHECK(guard_reached);
    /* Any status but SEC_E_OK goes back as it is, SEC_I_* included; the message is not touched. */
    sspix_fail(SEC_E_NO_CONTEXT, "the lower layer's words");
    CHECK_SEC(guarded(SEC_E_NO_CONTEXT), SEC_E_NO_CONTEXT);
    CHECK(!guard_reached);
    CHECK_SEC(guarded(SEC_I_CONTINUE_NEEDED), SEC_I_CONTINUE_NEEDED);
    CHECK(!guard_reached);
    CHECK_STR(sspix_last_error(), "QueryContextAttributes: the lower layer's words");

    sspix_error_enter("QueryContextAttributes");
    CHECK_SEC(ensured(&guard_reached), SEC_E_OK);
    CHECK_STR(sspix_last_error(), "");
    CHECK_SEC(ensured(NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STR(sspix_last_error(), "QueryContextAttributes: pBuffer must not be NULL (42)");
}

/* ---- the error frame of each call -------------------------------------------------------- */

static void test_each_call_starts_afresh(void)
{
    PSecPkgInfoA info = NULL;
    CHECK_SEC(QuerySecurityPackageInfoA((SEC_CHAR *)"NoSuchPackage", &info), SEC_E_SECPKG_NOT_FOUND);
    CHECK_LAST_ERROR("QuerySecurityPackageInfo: no security package named \"NoSuchPackage\"");
    /* Freeing a buffer between the failure and reading it keeps the message. */
    CHECK_SEC(FreeContextBuffer(NULL), SEC_E_OK);
    CHECK_LAST_ERROR("no security package named");
    /* The next call succeeds: nothing of the earlier failure is left. */
    CHECK_SEC(QuerySecurityPackageInfoA((SEC_CHAR *)"Kerberos", &info), SEC_E_OK);
    CHECK_STR(sspix_last_error(), "");
    CHECK_STR(sspix_last_error_location(), "");
    CHECK(FreeContextBuffer(info) == SEC_E_OK);

    /* The same through a handle check. */
    CtxtHandle stale = {0x1234, 0x5678};
    SecPkgContext_Sizes sizes;
    CHECK_SEC(QueryContextAttributesA(&stale, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_LAST_ERROR("QueryContextAttributes: ");
    ULONG n = 0;
    CHECK_SEC(EnumerateSecurityPackagesA(&n, &info), SEC_E_OK);
    CHECK_STR(sspix_last_error(), "");
    CHECK(n > 0);
    CHECK(FreeContextBuffer(info) == SEC_E_OK);

    /* Releasing handles between a failure and reading its message: a release
     * that succeeds keeps it (as the dispatcher enters them), one that fails
     * says why it failed. */
    CHECK_SEC(QuerySecurityPackageInfoA((SEC_CHAR *)"NoSuchPackage", &info), SEC_E_SECPKG_NOT_FOUND);
    sspix_error_enter("DeleteSecurityContext");
    sspix_error_enter("FreeCredentialsHandle");
    CHECK_LAST_ERROR("QuerySecurityPackageInfo: no security package named");
    /* ... but its frame is its own: nothing is appended to the earlier text. */
    sspix_fail_more(SEC_E_INVALID_HANDLE, "not a live credential handle");
    CHECK_STR(sspix_last_error(), "FreeCredentialsHandle: not a live credential handle");
    CredHandle stale_cred = {0x1234, 0x5678};
    CHECK_SEC(FreeCredentialsHandle(&stale_cred), SEC_E_INVALID_HANDLE);
    CHECK_LAST_ERROR("FreeCredentialsHandle: not a live credential handle");
    CHECK_SEC(DeleteSecurityContext(&stale), SEC_E_INVALID_HANDLE);
    CHECK_LAST_ERROR("DeleteSecurityContext: ");
}

/* ---- file:line --------------------------------------------------------------------------- */

/* "<prefix>...c:<digits>", e.g. prefix "sspi/" for "sspi/dispatch.c:123" */
static int is_location(const char *loc, const char *prefix)
{
    const char *colon = strrchr(loc, ':');
    if (strncmp(loc, prefix, strlen(prefix)) != 0 || colon == NULL || colon - loc < 3 || colon[-2] != '.' ||
        colon[-1] != 'c' || colon[1] == '\0')
        return 0;
    for (const char *p = colon + 1; *p != '\0'; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static void test_location(void)
{
    char want[64], saved[SSPIX_ERROR_SAVE_MAX];
    PSecPkgInfoA info = NULL;

    sspix_error_enter("AcceptSecurityContext");
    CHECK_STR(sspix_last_error_location(), "");
    int line = __LINE__ + 1;
    sspix_fail(SEC_E_LOGON_DENIED, "first cause");
    snprintf(want, sizeof(want), "unit/test_status.c:%d", line);
#ifdef NDEBUG
    CHECK_STR(sspix_last_error_location(), "");
    (void)want;
#else
    CHECK_STR(sspix_last_error_location(), want);
#endif
    /* Context added on the way up keeps the origin. */
    sspix_fail_more(SEC_E_LOGON_DENIED, "handle 3");
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first cause (handle 3)");
#ifndef NDEBUG
    CHECK_STR(sspix_last_error_location(), want);
#endif
    /* Saved and restored around an alternative that failed elsewhere. */
    sspix_error_save(saved, sizeof(saved));
    sspix_fail(SEC_E_INVALID_TOKEN, "second try");
#ifndef NDEBUG
    CHECK(strcmp(sspix_last_error_location(), want) != 0);
#endif
    sspix_error_restore(saved);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first cause (handle 3)");
#ifndef NDEBUG
    CHECK_STR(sspix_last_error_location(), want);
#endif
    /* A buffer with room for the text but not the location keeps the text. */
    char small[48];
    sspix_error_save(small, sizeof(small));
    sspix_fail(SEC_E_INVALID_TOKEN, "third try");
    sspix_error_restore(small);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first cause (handle 3)");
#ifndef NDEBUG
    CHECK_STR(sspix_last_error_location(), "");
#endif
    /* Text that did not come from sspix_error_save carries no location. */
    sspix_error_restore("AcceptSecurityContext: words only");
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: words only");
    CHECK_STR(sspix_last_error_location(), "");

    /* Through the API: the library's own source file (the dispatcher's) and line. */
    CHECK_SEC(QuerySecurityPackageInfoA((SEC_CHAR *)"NoSuchPackage", &info), SEC_E_SECPKG_NOT_FOUND);
#ifdef NDEBUG
    CHECK_STR(sspix_last_error_location(), "");
    CHECK(!is_location(sspix_last_error_location(), "sspi/"));
#else
    CHECK(is_location(sspix_last_error_location(), "sspi/"));
#endif
    /* A table-mapped error records where it was mapped. */
    sspix_error_enter("DecryptMessage");
    line = __LINE__ + 1;
    sspix_fail_err(SSPIX_ERR_SHORT, SSPIX_DIR_IN, "the header");
    snprintf(want, sizeof(want), "unit/test_status.c:%d", line);
#ifndef NDEBUG
    CHECK_STR(sspix_last_error_location(), want);
    CHECK(is_location(want, "unit/test_status.c"));
#endif
}

int main(void)
{
    test_every_row();
    test_guard_in_out();
    test_guard_and_ensure();
    test_each_call_starts_afresh();
    test_location();
    CHECK_DONE("unit.status");
}
