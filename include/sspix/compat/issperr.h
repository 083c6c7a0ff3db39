/* SPDX-License-Identifier: MIT */
/*
 * Windows-named entry point for the SSPI status codes (`#include
 * <issperr.h>`): the SEC_E_* / SEC_I_* values of <sspix/secerr.h>, and the
 * facility and severity names Windows' issperr.h defines with them (left as
 * they are when another header defined them first).
 */
#include <sspix/secerr.h>

#ifndef FACILITY_SECURITY
#define FACILITY_SECURITY 0x9
#endif
#ifndef FACILITY_NULL
#define FACILITY_NULL 0
#endif
#ifndef STATUS_SEVERITY_SUCCESS
#define STATUS_SEVERITY_SUCCESS 0x0
#endif
#ifndef STATUS_SEVERITY_COERROR
#define STATUS_SEVERITY_COERROR 0x2
#endif
