/* SPDX-License-Identifier: MIT */
/*
 * test_impersonate.c - ImpersonateSecurityContext / RevertSecurityContext for
 * real: alice@SSPIX.TEST maps to the local account nobody (the realm's
 * auth_to_local rule); while the calling thread impersonates, files it
 * creates belong to nobody and another thread keeps running as root; Revert
 * restores root. A client with no local account, a client context, and a
 * process without the privilege get SEC_E_NO_IMPERSONATION.
 *
 * Needs root (CI runs as root). Otherwise it exits 77, which ctest reports
 * as skipped (SKIP_RETURN_CODE), never as passed.
 */
#define SECURITY_WIN32
#include <security.h>

#include <fcntl.h>
#include <linux/capability.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char dir[] = "/tmp/sspix-impersonate-XXXXXX";

/* The calling thread's ids, straight from the kernel. */
static long thread_euid(void)
{
    return syscall(SYS_geteuid);
}

static long thread_egid(void)
{
    return syscall(SYS_getegid);
}

static uid_t file_owner(const char *name, gid_t *gid)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK(stat(path, &st) == 0);
    unlink(path);
    if (gid)
        *gid = st.st_gid;
    return st.st_uid;
}

struct other {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int step;
    long euid_seen;
    uid_t file_uid;
};

static void wait_step(struct other *o, int step)
{
    pthread_mutex_lock(&o->lock);
    while (o->step < step)
        pthread_cond_wait(&o->cond, &o->lock);
    pthread_mutex_unlock(&o->lock);
}

static void set_step(struct other *o, int step)
{
    pthread_mutex_lock(&o->lock);
    o->step = step;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

/* Another thread: looks at itself while the main thread impersonates. */
static void *other_thread(void *arg)
{
    struct other *o = arg;
    wait_step(o, 1);
    o->euid_seen = thread_euid();
    o->file_uid = file_owner("other", NULL);
    set_step(o, 2);
    return NULL;
}

static void authenticate(CredHandle *cc, CredHandle *sc, struct hs *hs, void *client_auth)
{
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, client_auth, NULL,
                                          NULL, cc, NULL),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, sc,
                                          NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, cc, sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, hs), SEC_E_OK);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr,
                "integration.impersonate: SKIPPED: switching a thread to another account needs root "
                "(this run has euid %u)\n",
                (unsigned)geteuid());
        return 77;
    }
    t = InitSecurityInterface();
    CHECK(t != NULL);
    struct passwd *nobody = getpwnam("nobody");
    CHECK(nobody != NULL);
    const uid_t nobody_uid = nobody->pw_uid;
    const gid_t nobody_gid = nobody->pw_gid;
    CHECK(mkdtemp(dir) != NULL);
    CHECK(chmod(dir, 0777) == 0);

    const gid_t root_egid = (gid_t)thread_egid();
    gid_t root_groups[256];
    int root_ngroups = getgroups(256, root_groups);
    CHECK(root_ngroups >= 0);

    CredHandle cc, sc;
    struct hs hs;
    authenticate(&cc, &sc, &hs, NULL);

    /* The local account: alice -> nobody; a client context has no client. */
    char *local = NULL;
    CHECK_SEC(sspix_query_local_name(&hs.server, &local), SEC_E_OK);
    CHECK_STR(local, "nobody");
    CHECK_SEC(t->FreeContextBuffer(local), SEC_E_OK);
    CHECK_SEC(sspix_query_local_name(&hs.client, &local), SEC_E_NO_IMPERSONATION);
    CHECK(local == NULL);
    CHECK_SEC(t->ImpersonateSecurityContext(&hs.client), SEC_E_NO_IMPERSONATION);
    CHECK_EQ_INT(thread_euid(), 0);

    struct other o = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1, (uid_t)-1};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, other_thread, &o) == 0);

    CHECK_SEC(t->ImpersonateSecurityContext(&hs.server), SEC_E_OK);
    CHECK_EQ_INT(thread_euid(), nobody_uid);
    CHECK_EQ_INT(thread_egid(), nobody_gid);
    CHECK_EQ_INT(syscall(SYS_getuid), 0); /* real id kept: the way back */
    gid_t g[64];
    int ng = getgroups(64, g);
    CHECK(ng >= 1);
    for (int i = 0; i < ng; i++)
        CHECK(g[i] == nobody_gid || getgrgid(g[i]) != NULL);
    gid_t fgid;
    CHECK_EQ_INT(file_owner("mine", &fgid), nobody_uid); /* the file-system ids switched too */
    CHECK_EQ_INT(fgid, nobody_gid);
    /* The library still works for an impersonating thread (it reads
     * krb5.conf, 0600 root's, with the thread's own identity) and hands the
     * thread back as the client. */
    SecPkgContext_NamesA names;
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(strncmp(names.sUserName, "alice@", 6) == 0);
    t->FreeContextBuffer(names.sUserName);
    CHECK_EQ_INT(thread_euid(), nobody_uid);
    CHECK_EQ_INT(file_owner("still", NULL), nobody_uid);
    /* nobody cannot write where root can */
    CHECK(open("/etc/sspix-impersonation-probe", O_CREAT | O_WRONLY, 0600) < 0);

    set_step(&o, 1); /* the other thread looks at itself now */
    wait_step(&o, 2);
    CHECK_EQ_INT(o.euid_seen, 0);
    CHECK_EQ_INT(o.file_uid, 0);
    CHECK_EQ_INT(thread_euid(), nobody_uid); /* and this thread is still nobody */
    pthread_join(th, NULL);

    /* Impersonating again replaces the impersonation; one Revert undoes it. */
    CHECK_SEC(t->ImpersonateSecurityContext(&hs.server), SEC_E_OK);
    CHECK_EQ_INT(thread_euid(), nobody_uid);
    CHECK_SEC(t->RevertSecurityContext(&hs.server), SEC_E_OK);
    CHECK_EQ_INT(thread_euid(), 0);
    CHECK_EQ_INT(thread_egid(), root_egid);
    CHECK_EQ_INT(getgroups(64, g), root_ngroups);
    CHECK_EQ_INT(file_owner("after", NULL), 0);
    CHECK_SEC(t->RevertSecurityContext(&hs.server), SEC_E_OK); /* not impersonating: nothing to do */

    /* A deleted context cannot leave the thread as the client. */
    CHECK_SEC(t->ImpersonateSecurityContext(&hs.server), SEC_E_OK);
    CtxtHandle stale = hs.server;
    hs_free(t, &hs);
    CHECK_EQ_INT(thread_euid(), nobody_uid);
    CHECK_SEC(t->RevertSecurityContext(&stale), SEC_E_INVALID_HANDLE);
    CHECK_EQ_INT(thread_euid(), 0);
    CHECK(strstr(sspix_last_error(), "restored") != NULL);
    CHECK_SEC(t->ImpersonateSecurityContext(&stale), SEC_E_INVALID_HANDLE);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);

    /* bob maps (DEFAULT rule) to the account "bob", which this machine lacks. */
    if (getpwnam("bob") == NULL) {
        const char *pw = need_env("SSPIX_BOB_PASSWORD");
        const char *realm = need_env("SSPIX_REALM");
        SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"bob",      3,
                                        (unsigned char *)realm,      (ULONG)strlen(realm),
                                        (unsigned char *)pw,         (ULONG)strlen(pw),
                                        SEC_WINNT_AUTH_IDENTITY_ANSI};
        authenticate(&cc, &sc, &hs, &id);
        CHECK_SEC(t->ImpersonateSecurityContext(&hs.server), SEC_E_NO_IMPERSONATION);
        CHECK(strstr(sspix_last_error(), "bob") != NULL);
        CHECK_EQ_INT(thread_euid(), 0);
        hs_free(t, &hs);
        t->FreeCredentialsHandle(&cc);
        t->FreeCredentialsHandle(&sc);
    }

    /* Without the privilege: a clear error, and the identity is unchanged. */
    authenticate(&cc, &sc, &hs, NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* The child keeps uid 0 (so it can still read the realm's 0600
         * files) but loses CAP_SETUID and CAP_SETGID: no privilege to switch. */
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) != 0)
            _exit(2);
        d[0].effective &= ~((1u << CAP_SETUID) | (1u << CAP_SETGID));
        d[0].permitted &= ~((1u << CAP_SETUID) | (1u << CAP_SETGID));
        if (syscall(SYS_capset, &h, d) != 0)
            _exit(2);
        SECURITY_STATUS st = t->ImpersonateSecurityContext(&hs.server);
        if (st != SEC_E_NO_IMPERSONATION || strstr(sspix_last_error(), "root") == NULL) {
            fprintf(stderr, "unprivileged impersonation: %s: %s\n", sspix_status_name(st), sspix_last_error());
            _exit(3);
        }
        gid_t cg[64];
        _exit(syscall(SYS_geteuid) == 0 && syscall(SYS_getegid) == root_egid && getgroups(64, cg) == root_ngroups ? 0
                                                                                                                  : 4);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    rmdir(dir);
    CHECK_DONE("integration.impersonate");
}
