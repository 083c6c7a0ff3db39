/* SPDX-License-Identifier: MIT */
/*
 * impersonate.h - switch the calling thread (and only it) to a local account
 * and back. See impersonate.c for the mechanics.
 */
#ifndef SSPIX_SSPI_IMPERSONATE_H
#define SSPIX_SSPI_IMPERSONATE_H

#include <sspix/sspi.h>

#include "common/guard.h"

/* Makes the calling thread act as local account `account`: effective and
 * file-system uid/gid and supplementary groups. A thread already
 * impersonating is reverted first. SEC_E_NO_IMPERSONATION when the account
 * does not exist or the process may not switch (not root).
 *
 * deleg (may be NULL): the client's delegated credential, which the thread
 * holds while it impersonates (see sspix_impersonate_paused_delegation);
 * owned from the call on, whatever it returns, and freed with deleg_free on
 * revert, on the next impersonation, or when the thread exits. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_impersonate_as(const char *account, void *deleg, void (*deleg_free)(void *));

/* Restores the identity the calling thread had before sspix_impersonate_as;
 * SEC_E_OK when it was not impersonating. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_impersonate_revert(void);

/*
 * While the calling thread impersonates, the library's own work (reading
 * krb5.conf, keytabs and replay caches, freeing GSSAPI objects, which may
 * need them) runs with the thread's own identity: the dispatcher pauses the
 * impersonation around every call into a package and resumes it after. A
 * no-op (no system call) for a thread that does not impersonate.
 */
struct sspix_impersonation_pause {
    void *saved;
};
void sspix_impersonate_pause(struct sspix_impersonation_pause *p);
void sspix_impersonate_resume(struct sspix_impersonation_pause *p);

/* The delegated credential of the impersonation that p paused (NULL: none,
 * or the thread was not impersonating). Valid until the thread reverts. */
void *sspix_impersonate_paused_delegation(const struct sspix_impersonation_pause *p);

/* Nonzero while the calling thread impersonates. */
int sspix_impersonating(void);

#endif
