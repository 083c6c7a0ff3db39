/* SPDX-License-Identifier: MIT */
/*
 * handles.c - slot table with generations and reference counts.
 *
 * One mutex guards the table. Every operation holds it for a handful of
 * instructions (no package call runs under it), which measured far below the
 * cost of a handshake; a sharded table is the next step if that changes.
 */
#include "sspi/handles.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

#define KIND_BITS 2u
#define KIND_MASK ((ULONG_PTR)((1u << KIND_BITS) - 1u))
#define MAX_SLOTS (1u << 24)

struct slot {
    void *object; /* NULL when the slot is free */
    sspix_destroy_fn destroy;
    ULONG_PTR tag;      /* generation << KIND_BITS | kind; 0 when closed */
    uint32_t refs;      /* references held by callers in flight */
    uint32_t next_free; /* free-list link (index + 1), 0 ends */
    enum sspix_handle_kind kind;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static uint32_t nslots;
static uint32_t free_head; /* index + 1 of the first free slot, 0 if none */
static ULONG_PTR generation;
static size_t live[3];

static ULONG_PTR next_tag(enum sspix_handle_kind kind)
{
    if (generation == 0) {
        /* Random start: handles from another process or run do not match. */
        ULONG_PTR seed = 0;
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
            seed = (ULONG_PTR)(uintptr_t)&seed ^ (ULONG_PTR)0x9E3779B97F4A7C15ull;
        generation = seed >> KIND_BITS;
    }
    generation = (generation + 1) & (~(ULONG_PTR)0 >> KIND_BITS);
    if (generation == 0)
        generation = 1;
    return (generation << KIND_BITS) | (ULONG_PTR)kind;
}

static int grow(void)
{
    uint32_t n = nslots ? nslots * 2 : 64;
    if (n > MAX_SLOTS || n <= nslots)
        return -1;
    struct slot *s = realloc(slots, (size_t)n * sizeof(*s));
    if (s == NULL)
        return -1;
    for (uint32_t i = nslots; i < n; i++) {
        s[i] = (struct slot){0};
        s[i].next_free = (i + 1 < n) ? i + 2 : free_head;
    }
    free_head = nslots + 1;
    slots = s;
    nslots = n;
    return 0;
}

SECURITY_STATUS sspix_handle_open(enum sspix_handle_kind kind, void *object, sspix_destroy_fn destroy, SecHandle *out)
{
    pthread_mutex_lock(&table_lock);
    if (free_head == 0 && grow() != 0) {
        pthread_mutex_unlock(&table_lock);
        return SEC_E_INSUFFICIENT_MEMORY;
    }
    uint32_t idx = free_head - 1;
    struct slot *s = &slots[idx];
    free_head = s->next_free;
    s->object = object;
    s->destroy = destroy;
    s->kind = kind;
    s->refs = 0;
    s->next_free = 0;
    s->tag = next_tag(kind);
    out->dwLower = (ULONG_PTR)idx + 1;
    out->dwUpper = s->tag;
    live[kind]++;
    pthread_mutex_unlock(&table_lock);
    return SEC_E_OK;
}

/* Caller holds the lock. */
static struct slot *find(enum sspix_handle_kind kind, const SecHandle *h)
{
    if (h == NULL || h->dwLower == 0 || h->dwLower > nslots)
        return NULL;
    struct slot *s = &slots[h->dwLower - 1];
    if (s->object == NULL || s->tag == 0 || s->tag != h->dwUpper || (h->dwUpper & KIND_MASK) != (ULONG_PTR)kind)
        return NULL;
    return s;
}

static void free_slot(struct slot *s)
{
    s->object = NULL;
    s->destroy = NULL;
    s->tag = 0;
    s->next_free = free_head;
    free_head = (uint32_t)(s - slots) + 1;
}

void *sspix_handle_acquire(enum sspix_handle_kind kind, const SecHandle *h, struct sspix_ref *ref)
{
    ref->object = NULL;
    ref->slot = 0;
    pthread_mutex_lock(&table_lock);
    struct slot *s = find(kind, h);
    if (s != NULL) {
        s->refs++;
        ref->object = s->object;
        ref->slot = (uint32_t)(s - slots);
    }
    pthread_mutex_unlock(&table_lock);
    return ref->object;
}

void sspix_handle_release(struct sspix_ref *ref)
{
    void *dead = NULL;
    sspix_destroy_fn destroy = NULL;
    if (ref == NULL || ref->object == NULL)
        return;
    pthread_mutex_lock(&table_lock);
    struct slot *s = &slots[ref->slot];
    s->refs--;
    if (s->tag == 0 && s->refs == 0) {
        dead = s->object;
        destroy = s->destroy;
        free_slot(s);
    }
    pthread_mutex_unlock(&table_lock);
    ref->object = NULL;
    if (dead != NULL && destroy != NULL)
        destroy(dead);
}

SECURITY_STATUS sspix_handle_close(enum sspix_handle_kind kind, const SecHandle *h)
{
    void *dead = NULL;
    sspix_destroy_fn destroy = NULL;
    pthread_mutex_lock(&table_lock);
    struct slot *s = find(kind, h);
    if (s == NULL) {
        pthread_mutex_unlock(&table_lock);
        return SEC_E_INVALID_HANDLE;
    }
    s->tag = 0;
    live[kind]--;
    if (s->refs == 0) {
        dead = s->object;
        destroy = s->destroy;
        free_slot(s);
    }
    pthread_mutex_unlock(&table_lock);
    if (dead != NULL && destroy != NULL)
        destroy(dead);
    return SEC_E_OK;
}

size_t sspix_handle_count(enum sspix_handle_kind kind)
{
    pthread_mutex_lock(&table_lock);
    size_t n = live[kind];
    pthread_mutex_unlock(&table_lock);
    return n;
}
