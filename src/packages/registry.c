/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the packages this build offers, in a fixed, immutable table.
 */
#include <strings.h>

#include "packages/package.h"

static const struct sspix_package *const registry[SSPIX_PKG_COUNT] = {
    [SSPIX_PKG_NEGOTIATE] = &sspix_package_negotiate,
    [SSPIX_PKG_KERBEROS] = &sspix_package_kerberos,
    [SSPIX_PKG_NTLM] = &sspix_package_ntlm,
};

const struct sspix_package *sspix_package_by_id(enum sspix_package_id id)
{
    if ((unsigned)id >= SSPIX_PKG_COUNT)
        return NULL;
    return registry[id];
}

const struct sspix_package *sspix_package_by_name(const char *name)
{
    if (name == NULL)
        return NULL;
    for (unsigned i = 0; i < SSPIX_PKG_COUNT; i++)
        if (strcasecmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
