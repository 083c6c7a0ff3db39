/* SPDX-License-Identifier: MIT */
/* Windows-named entry point: `#include <sspi.h>` in ported code. */
#include <sspix/sspi.h>
#include <sspix/sspix.h>
