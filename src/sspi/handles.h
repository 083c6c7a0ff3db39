/* SPDX-License-Identifier: MIT */
/*
 * handles.h - the process-wide table behind CredHandle and CtxtHandle.
 *
 * A handle is (slot index + 1, generation | kind). Lookups validate all three
 * under the table lock, so zeroed, made-up, stale (freed, even if the slot was
 * reused) and foreign (credential passed as context) handles are refused
 * without dereferencing anything.
 *
 * Lifetime: sspix_handle_acquire() takes a reference that the caller returns
 * with sspix_handle_release(). sspix_handle_close() invalidates the handle at
 * once (later lookups fail) and destroys the object when the last reference
 * goes, so a DeleteSecurityContext racing another call on the same context
 * cannot free memory under it.
 */
#ifndef SSPIX_SSPI_HANDLES_H
#define SSPIX_SSPI_HANDLES_H

#include <stdint.h>
#include <sspix/sspi.h>

#include "common/guard.h"

enum sspix_handle_kind {
    SSPIX_HANDLE_CRED = 1,
    SSPIX_HANDLE_CTX = 2,
};

typedef void (*sspix_destroy_fn)(void *object);

/* Registers object; fills *out. Returns SEC_E_OK or SEC_E_INSUFFICIENT_MEMORY. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_handle_open(enum sspix_handle_kind kind, void *object, sspix_destroy_fn destroy,
                                                   SecHandle *out);

/* A reference to a live handle's object; the slot stays bound to the object
 * while any reference is held, so release needs no lookup. */
struct sspix_ref {
    void *object;
    uint32_t slot;
};

/* The object behind h with a reference held in *ref, or NULL (ref->object
 * NULL) when h is not a live handle of this kind. */
void *sspix_handle_acquire(enum sspix_handle_kind kind, const SecHandle *h, struct sspix_ref *ref);

/* Returns a reference taken by sspix_handle_acquire; no-op for an empty ref. */
void sspix_handle_release(struct sspix_ref *ref);

/* Invalidates h; the object is destroyed once no reference is held.
 * Returns SEC_E_OK or SEC_E_INVALID_HANDLE. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_handle_close(enum sspix_handle_kind kind, const SecHandle *h);

/* Number of live handles of this kind (for leak checks in tests). */
size_t sspix_handle_count(enum sspix_handle_kind kind);

#endif
