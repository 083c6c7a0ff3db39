/* SPDX-License-Identifier: MIT */
/*
 * impersonate.c - ImpersonateSecurityContext's identity switch, per thread.
 *
 * Linux keeps credentials per thread; glibc's setresuid() & co. broadcast the
 * change to every thread of the process (POSIX semantics), which is exactly
 * what impersonation must not do. So the raw system calls are used: only the
 * calling thread changes. The order is supplementary groups, gid, uid (the
 * gid and groups can only be changed while the thread is still privileged),
 * and the reverse on revert. Only the effective (and with it the filesystem)
 * ids change; the real and saved ids stay root's, which is what makes the
 * way back possible. The file-system ids follow the effective ids in the
 * kernel; they are set explicitly as well so that a caller that changed them
 * before gets a consistent state.
 *
 * The saved identity lives in thread-specific data; a thread that exits while
 * impersonating takes its credentials with it, and the destructor frees the
 * saved state.
 */
#include "sspi/impersonate.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sspi/errors.h"

#define MAX_GROUPS 65536

struct saved_identity {
    uid_t euid; /* the thread's own identity, to return to */
    gid_t egid;
    int ngroups;
    gid_t *groups;
    uid_t tuid; /* the client's, to resume after a pause */
    gid_t tgid;
    int tngroups;
    gid_t *tgroups;
    void *deleg; /* the client's delegated credential, or NULL */
    void (*deleg_free)(void *);
};

static pthread_key_t saved_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void saved_free(void *p)
{
    struct saved_identity *s = p;
    if (s != NULL) {
        if (s->deleg != NULL)
            s->deleg_free(s->deleg);
        free(s->groups);
        free(s->tgroups);
        free(s);
    }
}

static void make_key(void)
{
    key_ok = pthread_key_create(&saved_key, saved_free) == 0;
}

static long sys_setgroups(int n, const gid_t *g)
{
    return syscall(SYS_setgroups, (size_t)n, g);
}

static long sys_setresgid(gid_t r, gid_t e, gid_t s)
{
    return syscall(SYS_setresgid, r, e, s);
}

static long sys_setresuid(uid_t r, uid_t e, uid_t s)
{
    return syscall(SYS_setresuid, r, e, s);
}

/* Back to the saved identity, undoing the first `steps` of the three
 * switches (3: all); returns 0 or -1 with errno. */
static int restore(const struct saved_identity *s, int steps)
{
    if (steps >= 3) {
        if (sys_setresuid((uid_t)-1, s->euid, (uid_t)-1) != 0)
            return -1;
        syscall(SYS_setfsuid, s->euid);
    }
    if (steps >= 2) {
        if (sys_setresgid((gid_t)-1, s->egid, (gid_t)-1) != 0)
            return -1;
        syscall(SYS_setfsgid, s->egid);
    }
    if (steps >= 1 && sys_setgroups(s->ngroups, s->groups) != 0)
        return -1;
    return 0;
}

void sspix_impersonate_pause(struct sspix_impersonation_pause *p)
{
    p->saved = NULL;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return;
    struct saved_identity *s = pthread_getspecific(saved_key);
    if (s == NULL)
        return;
    if (restore(s, 3) != 0)
        abort();                          /* cannot tell which identity this thread now has: stop rather than guess */
    pthread_setspecific(saved_key, NULL); /* a nested call sees no impersonation */
    p->saved = s;
}

void sspix_impersonate_resume(struct sspix_impersonation_pause *p)
{
    struct saved_identity *s = p->saved;
    if (s == NULL)
        return;
    /* Failing here would leave the thread with the service's identity while
     * its caller believes it acts for the client: never continue. */
    if (sys_setgroups(s->tngroups, s->tgroups) != 0 || sys_setresgid((gid_t)-1, s->tgid, (gid_t)-1) != 0 ||
        sys_setresuid((uid_t)-1, s->tuid, (uid_t)-1) != 0)
        abort();
    syscall(SYS_setfsgid, s->tgid);
    syscall(SYS_setfsuid, s->tuid);
    if (pthread_setspecific(saved_key, s) != 0)
        abort();
    p->saved = NULL;
}

void *sspix_impersonate_paused_delegation(const struct sspix_impersonation_pause *p)
{
    const struct saved_identity *s = p->saved;
    return s != NULL ? s->deleg : NULL;
}

int sspix_impersonating(void)
{
    pthread_once(&key_once, make_key);
    return key_ok && pthread_getspecific(saved_key) != NULL;
}

SECURITY_STATUS sspix_impersonate_revert(void)
{
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return SEC_E_OK;
    struct saved_identity *s = pthread_getspecific(saved_key);
    if (s == NULL)
        return SEC_E_OK; /* not impersonating: nothing to undo */
    if (restore(s, 3) != 0) {
        int e = errno;
        return sspix_fail(SEC_E_INTERNAL_ERROR, "could not restore the thread's identity (uid %u): %s",
                          (unsigned)s->euid, strerror(e));
    }
    pthread_setspecific(saved_key, NULL);
    saved_free(s);
    return SEC_E_OK;
}

SECURITY_STATUS sspix_impersonate_as(const char *account, void *deleg, void (*deleg_free)(void *))
{
    struct passwd pw, *pwp = NULL;
    char *buf = NULL;
    long bufsize = sysconf(_SC_GETPW_R_SIZE_MAX);
    gid_t *groups = NULL;
    struct saved_identity *s = NULL;
    SECURITY_STATUS st;
    int rc, ngroups;

    pthread_once(&key_once, make_key);
    /* Impersonating again replaces the current impersonation, as on Windows. */
    st = key_ok ? sspix_impersonate_revert()
                : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "no thread-specific storage for the saved identity");
    if (st != SEC_E_OK) {
        if (deleg != NULL)
            deleg_free(deleg);
        return st;
    }

    if (bufsize < 1024 || bufsize > 1 << 20)
        bufsize = 16384;
    for (;;) {
        buf = malloc((size_t)bufsize);
        if (buf == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        rc = getpwnam_r(account, &pw, buf, (size_t)bufsize, &pwp);
        if (rc != ERANGE || bufsize >= 1 << 20)
            break;
        free(buf);
        bufsize *= 4;
    }
    if (pwp == NULL) {
        st = sspix_fail(SEC_E_NO_IMPERSONATION, "the client maps to local account \"%s\", which does not exist%s%s",
                        account, rc ? ": " : "", rc ? strerror(rc) : "");
        goto out;
    }

    /* The account's groups, as login would set them. */
    ngroups = 64;
    for (;;) {
        gid_t *g = realloc(groups, (size_t)ngroups * sizeof(gid_t));
        if (g == NULL) {
            st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            goto out;
        }
        groups = g;
        int n = ngroups;
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0) {
            ngroups = n;
            break;
        }
        if (n <= ngroups || n > MAX_GROUPS) {
            st = sspix_fail(SEC_E_NO_IMPERSONATION, "cannot list the groups of \"%s\"", account);
            goto out;
        }
        ngroups = n;
    }

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        goto out;
    }
    s->deleg = deleg;
    s->deleg_free = deleg_free;
    deleg = NULL;
    /* getresuid/getgroups are plain system calls: they read this thread's ids. */
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (syscall(SYS_getresuid, &ru, &eu, &su) != 0 || syscall(SYS_getresgid, &rg, &eg, &sg) != 0) {
        st = sspix_fail(SEC_E_INTERNAL_ERROR, "cannot read the thread's identity: %s", strerror(errno));
        goto out;
    }
    s->euid = eu;
    s->egid = eg;
    s->ngroups = getgroups(0, NULL);
    if (s->ngroups < 0 || s->ngroups > MAX_GROUPS) {
        st = sspix_fail(SEC_E_INTERNAL_ERROR, "cannot read the thread's groups");
        goto out;
    }
    s->groups = malloc(((size_t)s->ngroups + 1) * sizeof(gid_t));
    if (s->groups == NULL) {
        st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        goto out;
    }
    if (s->ngroups > 0 && getgroups(s->ngroups, s->groups) != s->ngroups) {
        st = sspix_fail(SEC_E_INTERNAL_ERROR, "the thread's groups changed while being read");
        goto out;
    }

    int done = 0;
    if (sys_setgroups(ngroups, groups) == 0 && ++done && sys_setresgid((gid_t)-1, pw.pw_gid, (gid_t)-1) == 0 &&
        ++done && sys_setresuid((uid_t)-1, pw.pw_uid, (uid_t)-1) == 0)
        done = 3;
    if (done < 3) {
        int e = errno;
        if (restore(s, done) != 0)
            abort(); /* half-switched and unable to return: never run on with a mixed identity */
        st = sspix_fail(SEC_E_NO_IMPERSONATION, "cannot switch this thread to \"%s\" (uid %u): %s%s", account,
                        (unsigned)pw.pw_uid, strerror(e),
                        e == EPERM ? " (impersonation needs root, or CAP_SETUID and CAP_SETGID)" : "");
        goto out;
    }
    syscall(SYS_setfsgid, pw.pw_gid);
    syscall(SYS_setfsuid, pw.pw_uid);
    s->tuid = pw.pw_uid;
    s->tgid = pw.pw_gid;
    s->tngroups = ngroups;
    s->tgroups = groups;
    groups = NULL;
    if (pthread_setspecific(saved_key, s) != 0) {
        if (restore(s, 3) != 0)
            abort();
        st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "cannot save the thread's identity");
        goto out;
    }
    s = NULL;
    st = SEC_E_OK;
out:
    if (deleg != NULL)
        deleg_free(deleg);
    saved_free(s);
    free(groups);
    free(buf);
    return st;
}
