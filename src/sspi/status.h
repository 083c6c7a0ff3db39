/* SPDX-License-Identifier: MIT */
/*
 * status.h - SECURITY_STATUS in one line: guard macros, the one table from
 * internal SSPIX_ERR_* codes to SEC_E_*, and the must-check attribute.
 *
 * Usage, in a function that returns SECURITY_STATUS:
 *
 *   SSPIX_MUST_CHECK SECURITY_STATUS sspix_thing_do(...);   // in its header
 *
 *   SEC_GUARD(check_buffers(msg));          // any status but SEC_E_OK goes back
 *                                           // to the caller, message untouched
 *   SEC_ENSURE(p != NULL, SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL");
 *                                           // false: sspix_fail(status, fmt...)
 *   SEC_GUARD_IN(sspix_reader_u32le(&r, &flags), "the NTLM message's flags");
 *                                           // reading a caller's or peer's bytes
 *   SEC_GUARD_OUT(sspix_writer_put_bytes(&w, p, n), "the output token");
 *                                           // building output
 *
 * SEC_GUARD_IN / SEC_GUARD_OUT run an int expression (0 or a negative
 * SSPIX_ERR_*); on failure they record "<function>: <message>: <the table's
 * words for the error>" and return the table's SEC_E_* for that error and
 * direction. Where a return is not wanted (cleanup first), use
 * `st = sspix_fail_err(rc, SSPIX_DIR_OUT, "...")`.
 *
 * The macros declare no variables visible to the caller and evaluate each
 * argument once. They return from the enclosing function, which must return
 * SECURITY_STATUS; put them before anything that needs freeing, or use the
 * explicit forms.
 *
 * The table (sspix_status_from_err), by direction:
 *
 *   error               reading input (IN)         writing output (OUT)
 *   SSPIX_ERR_SHORT     SEC_E_INVALID_TOKEN        SEC_E_INTERNAL_ERROR
 *   SSPIX_ERR_TOO_LONG  SEC_E_INVALID_TOKEN        SEC_E_BUFFER_TOO_SMALL
 *   SSPIX_ERR_NOMEM     SEC_E_INSUFFICIENT_MEMORY  SEC_E_INSUFFICIENT_MEMORY
 *   SSPIX_ERR_INVALID   SEC_E_INVALID_TOKEN        SEC_E_INTERNAL_ERROR
 *   SSPIX_ERR_FULL      SEC_E_INVALID_TOKEN        SEC_E_BUFFER_TOO_SMALL
 *   SSPIX_ERR_STATE     SEC_E_INTERNAL_ERROR       SEC_E_INTERNAL_ERROR
 *   SSPIX_ERR_IO        SEC_E_INTERNAL_ERROR       SEC_E_INTERNAL_ERROR
 *   SSPIX_ERR_CLOSED    SEC_E_INTERNAL_ERROR       SEC_E_INTERNAL_ERROR
 *   SSPIX_ERR_AUTH      SEC_E_LOGON_DENIED         SEC_E_LOGON_DENIED
 *   SSPIX_OK            SEC_E_OK                   SEC_E_OK
 *   anything else       SEC_E_INTERNAL_ERROR       SEC_E_INTERNAL_ERROR
 *
 * Why: bytes a caller or peer handed in that are cut short, too long for
 * their field, malformed or with more items than allowed are a bad token.
 * On output, bytes we build ourselves never run short or turn out
 * malformed unless the library is wrong (internal error); an output that
 * exceeds its buffer or limit is SEC_E_BUFFER_TOO_SMALL. STATE is a call the
 * code itself made out of order, IO/CLOSED are socket-level outcomes that
 * have no SSPI meaning: all internal errors. A caller that knows better
 * maps the error itself with sspix_fail(): SEC_E_INCOMPLETE_MESSAGE for a
 * stream that may still grow; SEC_E_INTERNAL_ERROR for a writer the code
 * sized itself, which cannot fill up unless the code is wrong.
 */
#ifndef SSPIX_SSPI_STATUS_H
#define SSPIX_SSPI_STATUS_H

#include "common/guard.h"
#include "sspi/errors.h"

/* Which way the bytes went when an SSPIX_ERR_* came back. */
enum sspix_dir {
    SSPIX_DIR_IN,  /* reading a caller's or a peer's bytes */
    SSPIX_DIR_OUT, /* writing output: a token, a message, a caller's buffer */
};

/* The table above: the SEC_E_* for an internal error in that direction. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_status_from_err(int err, enum sspix_dir dir);

/* The table's words for an internal error in that direction, e.g. "truncated"
 * or "the output buffer is too small". Static storage; never NULL. */
const char *sspix_err_words(int err, enum sspix_dir dir);

/*
 * Record "<message>: <the table's words>" as sspix_fail() does and return
 * sspix_status_from_err(err, dir). err 0 (nothing failed) is a bug in the
 * caller: SEC_E_INTERNAL_ERROR.
 */
#define sspix_fail_err(err, dir, ...) sspix_fail_err_at(SSPIX_ERR_HERE, (err), (dir), __VA_ARGS__)
SECURITY_STATUS sspix_fail_err_at(const char *file, int line, int err, enum sspix_dir dir, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define SEC_GUARD(expr)                                                                                                \
    do {                                                                                                               \
        SECURITY_STATUS sec_guard_st_ = (expr);                                                                        \
        if (sec_guard_st_ != SEC_E_OK)                                                                                 \
            return sec_guard_st_;                                                                                      \
    } while (0)

#define SEC_ENSURE(cond, status, ...)                                                                                  \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            return sspix_fail((status), __VA_ARGS__);                                                                  \
    } while (0)

#define SEC_GUARD_ERR_(dir, expr, ...)                                                                                 \
    do {                                                                                                               \
        int sec_guard_rc_ = (expr);                                                                                    \
        if (sec_guard_rc_ < 0)                                                                                         \
            return sspix_fail_err(sec_guard_rc_, (dir), __VA_ARGS__);                                                  \
    } while (0)
#define SEC_GUARD_IN(expr, ...)  SEC_GUARD_ERR_(SSPIX_DIR_IN, expr, __VA_ARGS__)
#define SEC_GUARD_OUT(expr, ...) SEC_GUARD_ERR_(SSPIX_DIR_OUT, expr, __VA_ARGS__)

#endif /* SSPIX_SSPI_STATUS_H */
