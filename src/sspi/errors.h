/* SPDX-License-Identifier: MIT */
/*
 * errors.h - the per-thread last-error message and status names.
 *
 * Every exported SSPI function names itself with sspix_error_enter() on entry;
 * a failure anywhere below records its cause with sspix_fail(), which returns
 * the status so a call site reads `return sspix_fail(SEC_E_..., "...", ...)`.
 */
#ifndef SSPIX_SSPI_ERRORS_H
#define SSPIX_SSPI_ERRORS_H

#include <sspix/sspix.h>

/* Record which API function the calling thread is in (static string, or
 * NULL) and start a new call: nothing recorded before it is extended by
 * sspix_fail_more(). */
void sspix_error_enter(const char *function);

/* The function named by the last sspix_error_enter() on this thread, or
 * "sspix"; never NULL. Lower layers use it to avoid repeating the name and to
 * tell the acceptor's errors from the initiator's. */
const char *sspix_error_function(void);

/* Set the thread's last-error text to "<function>: <message>" and return
 * status. */
SECURITY_STATUS sspix_fail(SECURITY_STATUS status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like sspix_fail, but appends " (<message>)" to the message already recorded
 * by a lower layer in this call (for context such as which handle or
 * package). With nothing recorded yet in this call it is sspix_fail. */
SECURITY_STATUS sspix_fail_more(SECURITY_STATUS status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy the thread's last-error text out, and put a copy back (for a caller
 * that tries an alternative and wants the first failure's words). */
void sspix_error_save(char *out, size_t cap);
void sspix_error_restore(const char *saved);

#endif
