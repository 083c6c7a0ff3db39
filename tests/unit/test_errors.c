/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c - the per-thread last-error text (sspi/errors.c) and the
 * GSSAPI status table (packages/gss_status.c), without a KDC: one call's
 * words never leak into the next call's message, a lower layer that already
 * names the function is not prefixed with it twice, a code means the
 * acceptor's fault inside AcceptSecurityContext, a tampered message gets no
 * logon hint, and exhausted descriptors are named as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <krb5/krb5.h>

#include "common/check.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"

static gss_OID_desc krb5_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};

static int has(const char *needle)
{
    return strstr(sspix_last_error(), needle) != NULL;
}

static void test_more_starts_fresh_in_a_new_call(void)
{
    sspix_error_enter("AcceptSecurityContext");
    CHECK_EQ_INT(sspix_fail(SEC_E_LOGON_DENIED, "first cause"), SEC_E_LOGON_DENIED);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first cause");
    /* The same call adds context to its own message. */
    CHECK_EQ_INT(sspix_fail_more(SEC_E_LOGON_DENIED, "handle %d", 3), SEC_E_LOGON_DENIED);
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first cause (handle 3)");
    /* A new call that has recorded nothing yet: "more" is all there is. */
    sspix_error_enter("DecryptMessage");
    CHECK_EQ_INT(sspix_fail_more(SEC_E_MESSAGE_ALTERED, "the message was modified"), SEC_E_MESSAGE_ALTERED);
    CHECK_STR(sspix_last_error(), "DecryptMessage: the message was modified");
}

static void test_restore_counts_as_recorded(void)
{
    char saved[256];
    sspix_error_enter("AcceptSecurityContext");
    sspix_fail(SEC_E_NO_CREDENTIALS, "first try");
    sspix_error_save(saved, sizeof(saved));
    sspix_fail(SEC_E_INVALID_TOKEN, "second try");
    sspix_error_restore(saved);
    sspix_fail_more(SEC_E_NO_CREDENTIALS, "more");
    CHECK_STR(sspix_last_error(), "AcceptSecurityContext: first try (more)");
}

static void test_function_name(void)
{
    sspix_error_enter("InitializeSecurityContext");
    CHECK_STR(sspix_error_function(), "InitializeSecurityContext");
    sspix_error_enter(NULL);
    CHECK_STR(sspix_error_function(), "sspix");
}

/* The same krb5 code, two sides: the acceptor's keytab is stale, the
 * initiator's password is wrong. */
static void test_code_by_side(void)
{
    OM_uint32 bad_integrity = (OM_uint32)KRB5KRB_AP_ERR_BAD_INTEGRITY;
    sspix_error_enter("AcceptSecurityContext");
    CHECK_EQ_INT(sspix_gss_fail("accepting", GSS_S_FAILURE, bad_integrity, &krb5_oid), SEC_E_LOGON_DENIED);
    CHECK(has("cannot decrypt the ticket") && !has("password"));
    CHECK_EQ_INT(sspix_gss_fail("accepting", GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_MODIFIED, &krb5_oid),
                 SEC_E_LOGON_DENIED);
    CHECK_EQ_INT(sspix_gss_fail("accepting", GSS_S_FAILURE, ENOENT, &krb5_oid), SEC_E_NO_CREDENTIALS);
    CHECK(has("replay cache") && has("KRB5RCACHEDIR"));
    CHECK_EQ_INT(sspix_gss_fail("accepting", GSS_S_FAILURE, ENOSPC, &krb5_oid), SEC_E_INSUFFICIENT_MEMORY);
    sspix_error_enter("InitializeSecurityContext");
    CHECK_EQ_INT(sspix_gss_fail("initiating", GSS_S_FAILURE, bad_integrity, &krb5_oid), SEC_E_LOGON_DENIED);
    CHECK(has("wrong password"));
    CHECK_EQ_INT(sspix_gss_fail("initiating", GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_MODIFIED, &krb5_oid),
                 SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ_INT(sspix_gss_fail("initiating", GSS_S_FAILURE, (OM_uint32)KRB5_KDC_UNREACH, &krb5_oid),
                 SEC_E_NO_AUTHENTICATING_AUTHORITY);
    CHECK(has("[realms]"));
    CHECK_EQ_INT(sspix_gss_status(GSS_S_FAILURE, EMFILE, &krb5_oid), SEC_E_INSUFFICIENT_MEMORY);
}

static void test_message_texts(void)
{
    sspix_error_enter("DecryptMessage");
    CHECK_EQ_INT(
        sspix_gss_message_fail("DecryptMessage", GSS_S_BAD_SIG, (OM_uint32)KRB5KRB_AP_ERR_BAD_INTEGRITY, &krb5_oid),
        SEC_E_MESSAGE_ALTERED);
    CHECK(strncmp(sspix_last_error(), "DecryptMessage: ", 16) == 0);
    CHECK(!has("DecryptMessage: DecryptMessage") && !has("password") && !has("Success"));
    CHECK(has("modified"));
    sspix_error_enter("VerifySignature");
    CHECK_EQ_INT(sspix_gss_message_fail("VerifySignature", GSS_S_DUPLICATE_TOKEN, 0, &krb5_oid), SEC_E_OUT_OF_SEQUENCE);
    CHECK(has("replayed") && !has("VerifySignature: VerifySignature"));
}

/* With no descriptor left, a code that only says what could not be opened
 * ("Service key not available") is reported as the exhausted resource. */
static void test_out_of_descriptors(void)
{
    struct rlimit saved, low;
    int fill[1024], n = 0;
    sspix_error_enter("AcceptSecurityContext");
    CHECK_EQ_INT(sspix_gss_status(GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_NOKEY, &krb5_oid), SEC_E_NO_CREDENTIALS);
    CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    low = saved;
    low.rlim_cur = 64;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int fd; n < 1024 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        fill[n++] = fd;
    SECURITY_STATUS st = sspix_gss_fail("accepting", GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_NOKEY, &krb5_oid);
    /* A failure the peer decided is not a local resource fault. */
    SECURITY_STATUS skew = sspix_gss_status(GSS_S_FAILURE, (OM_uint32)KRB5KRB_AP_ERR_SKEW, &krb5_oid);
    while (n > 0)
        close(fill[--n]);
    CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK_EQ_INT(st, SEC_E_INSUFFICIENT_MEMORY);
    CHECK(has("out of file descriptors") && has("ulimit -n"));
    CHECK_EQ_INT(skew, SEC_E_TIME_SKEW);
}

int main(void)
{
    test_more_starts_fresh_in_a_new_call();
    test_restore_counts_as_recorded();
    test_function_name();
    test_code_by_side();
    test_message_texts();
    test_out_of_descriptors();
    CHECK_DONE("unit.errors");
}
