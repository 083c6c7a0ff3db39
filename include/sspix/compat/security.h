/* SPDX-License-Identifier: MIT */
/*
 * Windows-named entry point: `#include <security.h>` in ported code.
 * On Windows one of SECURITY_WIN32 / SECURITY_KERNEL / SECURITY_MAC selects
 * the flavour; sspix has only the user-mode one, whatever is defined.
 */
#include <sspix/sspi.h>
#include <sspix/sspix.h>
