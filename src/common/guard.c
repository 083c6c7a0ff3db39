/* SPDX-License-Identifier: MIT */
#include "common/guard.h"

const char *sspix_err_str(int err)
{
    switch (err) {
    case SSPIX_OK: return "success";
    case SSPIX_ERR_SHORT: return "truncated input";
    case SSPIX_ERR_TOO_LONG: return "length over the configured limit";
    case SSPIX_ERR_NOMEM: return "out of memory";
    case SSPIX_ERR_INVALID: return "malformed input";
    case SSPIX_ERR_FULL: return "output buffer full";
    case SSPIX_ERR_STATE: return "call not allowed in this state";
    case SSPIX_ERR_IO: return "system call failed";
    case SSPIX_ERR_CLOSED: return "connection closed by peer";
    case SSPIX_ERR_AUTH: return "authentication failed";
    }
    return "unknown error";
}
