/* SPDX-License-Identifier: MIT */
/*
 * gss_status.h - GSSAPI major/minor status -> SEC_E_* in one table, with the
 * GSSAPI text and a hint at the fix recorded as the thread's last error.
 */
#ifndef SSPIX_PACKAGES_GSS_STATUS_H
#define SSPIX_PACKAGES_GSS_STATUS_H

#include <gssapi/gssapi.h>

#include <sspix/sspi.h>

#include "common/guard.h"

/* The SEC_E_* status for a failed GSSAPI call (major has a routine error or a
 * token supplementary bit such as GSS_S_DUPLICATE_TOKEN). The minor code
 * decides first, by value, after undoing the mechglue's renumbering of codes
 * that came through SPNEGO; inside AcceptSecurityContext (see
 * sspix_error_function) acceptor meanings apply (an undecryptable ticket is a
 * stale keytab, not a wrong password; an errno value is the replay cache).
 * A failure that may come from a file or socket not opened while the process
 * has no descriptor left gives SEC_E_INSUFFICIENT_MEMORY. Thread-safe. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_gss_status(OM_uint32 major, OM_uint32 minor, gss_OID mech);

/* Maps, records "<what>: <gss text> [<hint>]" as the last error, returns the
 * status. mech may be GSS_C_NO_OID. "<what>: " is left out when what is the
 * API function's own name, which the message already starts with. */
SECURITY_STATUS sspix_gss_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech);

/* For a failed unwrap / verify_mic: records the GSSAPI text like
 * sspix_gss_fail, but maps by what happened to the message rather than by
 * minor code, and with a hint of its own (a checksum failure's krb5 code would
 * otherwise read as a wrong password): replayed, old, out-of-order or missing
 * tokens give SEC_E_OUT_OF_SEQUENCE; an expired context SEC_E_CONTEXT_EXPIRED;
 * a bad or malformed token (any other failure) SEC_E_MESSAGE_ALTERED. */
SECURITY_STATUS sspix_gss_message_fail(const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech);

/* True when the minor code is this com_err / errno code, after undoing the
 * mechglue's renumbering. */
int sspix_gss_minor_is(OM_uint32 minor, gss_OID mech, long code);

/* True when the minor code is a system error from a file or socket that
 * could not be opened (ENOENT, EACCES, ...), as the table marks them. */
int sspix_gss_minor_is_local(OM_uint32 minor, gss_OID mech);

/* True when major is a failure, counting the token supplementary bits that
 * GSS_ERROR() ignores (replayed, old, out-of-order or missing tokens). */
int sspix_gss_failed(OM_uint32 major);

#endif
