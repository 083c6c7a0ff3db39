/* SPDX-License-Identifier: MIT */
/*
 * errors.h - the per-thread last-error message and status names.
 *
 * Every exported SSPI function names itself with sspix_error_enter() on entry,
 * which also clears what an earlier call recorded: sspix_last_error()
 * describes the thread's most recent call (releasing handles aside, below).
 * A failure anywhere below records its cause with sspix_fail(), which returns
 * the status so a call site reads `return sspix_fail(SEC_E_..., "...", ...)`;
 * sspi/status.h has the guard macros built on it. In builds without NDEBUG
 * the record also keeps the file:line that raised it
 * (sspix_last_error_location()).
 */
#ifndef SSPIX_SSPI_ERRORS_H
#define SSPIX_SSPI_ERRORS_H

#include <sspix/sspix.h>

/* Record which API function the calling thread is in (static string, or
 * NULL) and start a new call: the thread's last error becomes "" (and its
 * location too), so a call that succeeds leaves no stale message behind.
 * FreeCredentialsHandle and DeleteSecurityContext are the exception: callers
 * release handles between a failure and reading its message, so these two
 * keep the earlier message unless they fail themselves. Nothing recorded
 * before the call is ever extended by sspix_fail_more(). */
void sspix_error_enter(const char *function);

/* The function named by the last sspix_error_enter() on this thread, or
 * "sspix"; never NULL. Lower layers use it to avoid repeating the name and to
 * tell the acceptor's errors from the initiator's. */
const char *sspix_error_function(void);

/* Where a failure is raised: __FILE__, __LINE__ in builds without NDEBUG,
 * nothing (NULL, 0) in release builds. */
#ifdef NDEBUG
#define SSPIX_ERR_HERE NULL, 0
#else
#define SSPIX_ERR_HERE __FILE__, __LINE__
#endif

/*
 * sspix_fail(status, fmt, ...): set the thread's last-error text to
 * "<function>: <message>", its location to the call site, and return status.
 * The macro evaluates status once and makes the returned value visible to
 * static analysis (a statement expression), so `return sspix_fail(...)` is
 * known never to return SEC_E_OK for a failing status.
 */
#define sspix_fail(status, ...)                                                                                        \
    __extension__({                                                                                                    \
        SECURITY_STATUS sspix_fail_st_ = (status);                                                                     \
        (void)sspix_fail_at(SSPIX_ERR_HERE, 0, sspix_fail_st_, __VA_ARGS__);                                           \
        sspix_fail_st_;                                                                                                \
    })

/* sspix_fail_more(status, fmt, ...): like sspix_fail, but appends
 * " (<message>)" to the message already recorded by a lower layer in this
 * call (for context such as which handle or package), keeping that message's
 * location. With nothing recorded yet in this call it is sspix_fail. */
#define sspix_fail_more(status, ...)                                                                                   \
    __extension__({                                                                                                    \
        SECURITY_STATUS sspix_fail_st_ = (status);                                                                     \
        (void)sspix_fail_at(SSPIX_ERR_HERE, 1, sspix_fail_st_, __VA_ARGS__);                                           \
        sspix_fail_st_;                                                                                                \
    })

/* What the two macros call: file NULL records no location; append selects
 * sspix_fail_more's behaviour. Returns status. */
SECURITY_STATUS sspix_fail_at(const char *file, int line, int append, SECURITY_STATUS status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Copy the thread's last error (text and location) out, and put it back (for
 * a caller that tries an alternative and wants the first failure's words).
 * The saved form is opaque: give it only to sspix_error_restore(). A cap of
 * SSPIX_ERROR_SAVE_MAX keeps everything; a smaller one loses the location
 * first, then the end of the text. */
#define SSPIX_ERROR_SAVE_MAX 1120
void sspix_error_save(char *out, size_t cap);
void sspix_error_restore(const char *saved);

#endif
