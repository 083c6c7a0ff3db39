/* SPDX-License-Identifier: MIT */
/*
 * guard.h - error propagation in one line.
 *
 * Internal functions return an int: 0 on success, a negative SSPIX_ERR_*
 * on failure (OpenSSH's sshbuf convention). GUARD() returns the failure to
 * the caller; ENSURE() turns a false condition into the given error. The
 * SSPI layer maps what reaches it to SEC_E_* in one table (sspi/status.h:
 * SEC_GUARD_IN / SEC_GUARD_OUT and sspix_status_from_err()).
 */
#ifndef SSPIX_GUARD_H
#define SSPIX_GUARD_H

/* On every internal function that returns an SSPIX_ERR_* int or a
 * SECURITY_STATUS: a failure cannot be dropped silently (a cast to void does
 * not silence gcc; a caller that truly has nothing to do with a failure says
 * so with `if (f() < 0) { ... }`). Not on the public SSPI API, whose callers
 * may ignore statuses as Windows allows. */
#define SSPIX_MUST_CHECK  __attribute__((warn_unused_result))
#define SSPIX_WARN_UNUSED SSPIX_MUST_CHECK /* older spelling */

enum sspix_err {
    SSPIX_OK = 0,
    SSPIX_ERR_SHORT = -1,    /* not enough bytes (yet): wait for more or truncated */
    SSPIX_ERR_TOO_LONG = -2, /* a length exceeds its configured limit */
    SSPIX_ERR_NOMEM = -3,    /* allocation failed */
    SSPIX_ERR_INVALID = -4,  /* malformed input */
    SSPIX_ERR_FULL = -5,     /* a fixed-size output has no room */
    SSPIX_ERR_STATE = -6,    /* call not allowed in this state */
    SSPIX_ERR_IO = -7,       /* a system call failed; errno tells */
    SSPIX_ERR_CLOSED = -8,   /* the peer closed the connection */
    SSPIX_ERR_AUTH = -9,     /* authentication failed (the SSPI status tells why) */
};

const char *sspix_err_str(int err);

#define GUARD(expr)                                                                                                    \
    do {                                                                                                               \
        int guard_rc_ = (expr);                                                                                        \
        if (guard_rc_ < 0)                                                                                             \
            return guard_rc_;                                                                                          \
    } while (0)

#define ENSURE(cond, err)                                                                                              \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            return (err);                                                                                              \
    } while (0)

#endif /* SSPIX_GUARD_H */
