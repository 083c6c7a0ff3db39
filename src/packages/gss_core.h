/*
 * gss_core.h - the GSSAPI implementation shared by the Negotiate and Kerberos
 * packages. Each package is this core plus its mechanism choice; see
 * kerberos.c and negotiate.c for the vtables.
 */
#ifndef SSPIX_PACKAGES_GSS_CORE_H
#define SSPIX_PACKAGES_GSS_CORE_H

#include "packages/package.h"

extern const struct sspix_package_ops sspix_gss_ops;

/* Most bytes one handshake token may have; larger input is refused before
 * anything is copied (Windows' Kerberos maximum is 48,000; AD deployments
 * raise MaxTokenSize to 65,535 at most). */
#define SSPIX_GSS_MAX_TOKEN (256u * 1024u)

#endif
