/* SPDX-License-Identifier: MIT */
/* Windows-named entry point, as Windows' own documentation spells it:
 * `#include <Security.h>` (case matters on POSIX file systems). */
#include <sspix/sspi.h>
#include <sspix/sspix.h>
