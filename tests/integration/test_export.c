/* SPDX-License-Identifier: MIT */
/*
 * test_export.c - ExportSecurityContext / ImportSecurityContextA across
 * processes. This process authenticates alice to host/localhost (both
 * packages), exports the server context and hands it over a Unix socket
 * (socketpair) to a second process, which imports it, decrypts the client's
 * next message and answers (export_serve.h). The second process is either
 *   - a fork() of this one, which shares the export key made at load time and
 *     needs nothing else (the "service hands contexts to forked workers"
 *     case), or
 *   - export_helper started with exec(), an unrelated process: both sides
 *     set the same random key with sspix_set_context_export_key, sent over
 *     the socket ahead of the blob.
 * The exported context is unusable here afterwards; nothing leaks (handles,
 * descriptors). Usage: test_export PATH-OF-export_helper.
 */
#define SECURITY_WIN32
#include <security.h>

#include <dirent.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "common/check.h"
#include "common/handshake.h"
#include "integration/export_serve.h"
#include "integration/export_wire.h"

static PSecurityFunctionTableA t;

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* helper NULL: the second process is a fork() that keeps this process's key. */
static void run(const char *helper, const char *pkg, const char *alice)
{
    CredHandle cc, sc;
    struct hs hs;
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);

    /* Not yet complete / bad arguments. */
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    void *token = (void *)1;
    CHECK_SEC(t->ExportSecurityContext(&hs.server, SECPKG_CONTEXT_EXPORT_TO_KERNEL, &packed, NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(t->ExportSecurityContext(&hs.server, 0, NULL, NULL), SEC_E_INVALID_PARAMETER);

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0 && helper == NULL) {
        static unsigned char blob[128 * 1024];
        uint32_t len;
        close(sv[0]);
        CHECK(wire_recv(sv[1], blob, sizeof(blob), &len) == 0);
        export_serve(t, sv[1], pkg, blob, len, alice);
        _exit(0); /* the parent's objects are the parent's to free */
    }
    if (pid == 0) {
        if (dup2(sv[1], 3) != 3)
            _exit(120);
        execl(helper, helper, pkg, alice, (char *)NULL);
        _exit(121);
    }
    close(sv[1]);

    if (helper != NULL) {
        unsigned char key[SSPIX_CONTEXT_EXPORT_KEY_BYTES];
        CHECK(getrandom(key, sizeof(key), 0) == (ssize_t)sizeof(key));
        CHECK_SEC(sspix_set_context_export_key(key, sizeof(key)), SEC_E_OK);
        CHECK(wire_send(sv[0], key, sizeof(key)) == 0);
    }
    CHECK_SEC(t->ExportSecurityContext(&hs.server, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, &token), SEC_E_OK);
    CHECK(token == NULL);
    CHECK(packed.pvBuffer != NULL && packed.cbBuffer > 100 && packed.cbBuffer < 80 * 1024);
    CHECK(wire_send(sv[0], packed.pvBuffer, packed.cbBuffer) == 0);
    CHECK_SEC(t->FreeContextBuffer(packed.pvBuffer), SEC_E_OK);
    CHECK_SEC(sspix_set_context_export_key(NULL, 0), SEC_E_OK); /* back to this process's own key */

    /* The exported context is gone here (its handle only awaits deletion). */
    unsigned char tok[128], data[64];
    SecBuffer eb[2] = {{sizeof(tok), SECBUFFER_TOKEN, tok}, {4, SECBUFFER_DATA, data}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 2, eb};
    memcpy(data, "late", 4);
    CHECK_SEC(t->EncryptMessage(&hs.server, 0, &ed, 0), SEC_E_NO_CONTEXT);
    CHECK(strstr(sspix_last_error(), "exported") != NULL);
    CHECK_SEC(t->ExportSecurityContext(&hs.server, 0, &packed, NULL), SEC_E_NO_CONTEXT);

    /* The client's next message goes to the new process. */
    const char *ping = "ping from the client";
    size_t n = strlen(ping);
    unsigned char msg[512];
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributes(&hs.client, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    memcpy(msg + sizes.cbSecurityTrailer, ping, n);
    SecBuffer cb[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, msg},
                       {(ULONG)n, SECBUFFER_DATA, msg + sizes.cbSecurityTrailer}};
    SecBufferDesc cd = {SECBUFFER_VERSION, 2, cb};
    CHECK_SEC(t->EncryptMessage(&hs.client, 0, &cd, 0), SEC_E_OK);
    CHECK_EQ_INT(cb[0].cbBuffer, sizes.cbSecurityTrailer);
    CHECK(wire_send(sv[0], msg, cb[0].cbBuffer + (uint32_t)n) == 0);

    /* ... and its answer comes back, protected with the same keys. */
    uint32_t rlen;
    unsigned char reply[1024];
    CHECK(wire_recv(sv[0], reply, sizeof(reply), &rlen) == 0);
    SecBuffer rb[2] = {{rlen, SECBUFFER_STREAM, reply}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, rb};
    ULONG qop;
    CHECK_SEC(t->DecryptMessage(&hs.client, &rd, 0, &qop), SEC_E_OK);
    char want[256];
    snprintf(want, sizeof(want), "pong: %s", ping);
    CHECK_EQ_INT(rb[1].cbBuffer, strlen(want));
    CHECK(memcmp(rb[1].pvBuffer, want, strlen(want)) == 0);

    close(sv[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);

    hs_free(t, &hs); /* the exported handle is still deleted normally */
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

int main(int argc, char **argv)
{
    char alice[300];
    CHECK(argc == 2);
    snprintf(alice, sizeof(alice), "alice@%s", need_env("SSPIX_REALM"));
    t = InitSecurityInterface();
    int fds = count_fds();
    run(argv[1], "Kerberos", alice);
    run(argv[1], "Negotiate", alice);
    run(NULL, "Kerberos", alice);
    run(NULL, "Negotiate", alice);
    CHECK_EQ_INT(count_fds(), fds);
    CHECK_DONE("integration.export");
}
