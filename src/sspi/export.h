/* SPDX-License-Identifier: MIT */
/* export.h - marks the library's public symbols (everything else is hidden;
 * libsspix.map lists the same names for the linker). */
#ifndef SSPIX_SSPI_EXPORT_H
#define SSPIX_SSPI_EXPORT_H
#define SSPIX_EXPORT __attribute__((visibility("default")))
#endif
