/* SPDX-License-Identifier: MIT */
/*
 * server_goodclient.c - the well-behaved client of the sspix-server e2e tests:
 * blocking socket, the Microsoft sample's framing, InitializeSecurityContext
 * through the SSPI table, mutual authentication required.
 *
 *   server_goodclient HOST PORT SPN PACKAGE greet
 *       prints the decrypted greeting; exit 0
 *   server_goodclient HOST PORT SPN PACKAGE echo SIZE...
 *       sends one protected message per SIZE (bytes of a pattern) and checks
 *       each echo; then an empty frame; exit 0. Exit 3 when the server closed
 *       instead of echoing (what a refused message looks like).
 *   --capture FILE (first argument) writes every byte sent to the server.
 *
 * Exit codes: 0 ok, 1 usage, 2 authentication failed, 3 the server closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sspix/sspix.h>

static PSecurityFunctionTableA t;
static FILE *capture;

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (capture)
        fwrite(p, 1, n, capture);
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = recv(fd, b, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int send_frame(int fd, const void *p, uint32_t n)
{
    uint8_t h[4];
    put_u32le(h, n);
    return send_all(fd, h, 4) || send_all(fd, p, n) ? -1 : 0;
}

static int fail(const char *what, SECURITY_STATUS st)
{
    fprintf(stderr, "goodclient: %s: %s: %s\n", what, sspix_status_name(st), sspix_last_error());
    return 2;
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--capture") == 0) {
        capture = fopen(argv[2], "wb");
        argv += 2;
        argc -= 2;
    }
    if (argc < 6) {
        fprintf(stderr, "usage: server_goodclient [--capture FILE] HOST PORT SPN PACKAGE greet|echo [SIZE...]\n");
        return 1;
    }
    const char *spn = argv[3], *package = argv[4], *mode = argv[5];
    t = InitSecurityInterfaceA();
    CredHandle cred;
    CtxtHandle ctx;
    TimeStamp ts;
    ULONG attrs = 0;
    SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                                      NULL, &cred, &ts);
    if (st != SEC_E_OK)
        return fail("AcquireCredentialsHandle", st);
    int fd = connect_to(argv[1], argv[2]);
    if (fd < 0) {
        perror("goodclient: connect");
        return 3;
    }

    uint8_t *in = NULL;
    uint32_t in_len = 0;
    int first = 1;
    for (;;) {
        SecBuffer ib = {in_len, SECBUFFER_TOKEN, in}, ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        st =
            t->InitializeSecurityContextA(&cred, first ? NULL : &ctx, (SEC_CHAR *)spn,
                                          ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
                                              ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_ALLOCATE_MEMORY,
                                          0, SECURITY_NATIVE_DREP, first ? NULL : &id, 0, &ctx, &od, &attrs, &ts);
        free(in);
        in = NULL;
        if (!SEC_SUCCESS(st))
            return fail("InitializeSecurityContext", st);
        first = 0;
        if (ob.cbBuffer > 0) {
            int r = send_frame(fd, ob.pvBuffer, ob.cbBuffer);
            t->FreeContextBuffer(ob.pvBuffer);
            if (r < 0) {
                fprintf(stderr, "goodclient: send failed\n");
                return 3;
            }
        }
        if (st != SEC_I_CONTINUE_NEEDED)
            break;
        uint8_t h[4];
        if (recv_all(fd, h, 4) < 0) {
            fprintf(stderr, "goodclient: the server closed during the handshake\n");
            return 3;
        }
        in_len = get_u32le(h);
        if (in_len == 0 || in_len > 65536 || (in = malloc(in_len)) == NULL || recv_all(fd, in, in_len) < 0) {
            fprintf(stderr, "goodclient: bad handshake frame\n");
            return 3;
        }
    }
    if (!(attrs & ISC_RET_MUTUAL_AUTH)) {
        fprintf(stderr, "goodclient: server did not prove its identity\n");
        return 2;
    }
    SecPkgContext_Sizes sizes;
    if ((st = t->QueryContextAttributesA(&ctx, SECPKG_ATTR_SIZES, &sizes)) != SEC_E_OK)
        return fail("QueryContextAttributes(SIZES)", st);

    if (strcmp(mode, "greet") == 0) {
        size_t cap = 4096, len = 0;
        uint8_t *buf = malloc(cap);
        ssize_t r;
        while (buf && (r = recv(fd, buf + len, cap - len, 0)) > 0)
            len += (size_t)r;
        if (buf == NULL || len < 4 || get_u32le(buf) > len - 4) {
            fprintf(stderr, "goodclient: no greeting (%zu bytes)\n", len);
            return 3;
        }
        uint32_t tl = get_u32le(buf);
        SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, buf + 4}, {(ULONG)(len - 4 - tl), SECBUFFER_DATA, buf + 4 + tl}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG qop;
        if ((st = t->DecryptMessage(&ctx, &d, 0, &qop)) != SEC_E_OK)
            return fail("DecryptMessage", st);
        printf("%.*s\n", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
        free(buf);
    } else {
        for (int i = 6; i < argc; i++) {
            size_t n = strtoul(argv[i], NULL, 10);
            uint8_t *msg = malloc(8 + sizes.cbSecurityTrailer + n + 1), *data;
            if (msg == NULL)
                return 1;
            data = msg + 8 + sizes.cbSecurityTrailer;
            for (size_t k = 0; k < n; k++)
                data[k] = (uint8_t)(k * 7 + (size_t)i);
            SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, msg + 8}, {(ULONG)n, SECBUFFER_DATA, data}};
            SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
            if ((st = t->EncryptMessage(&ctx, 0, &d, 0)) != SEC_E_OK)
                return fail("EncryptMessage", st);
            /* Frame: u32 total | u32 trailer length | trailer | data. */
            memmove(msg + 8 + b[0].cbBuffer, data, n);
            put_u32le(msg, (uint32_t)(4 + b[0].cbBuffer + n));
            put_u32le(msg + 4, b[0].cbBuffer);
            if (send_all(fd, msg, 8 + b[0].cbBuffer + n) < 0) {
                fprintf(stderr, "goodclient: send failed (message %d, %zu bytes)\n", i - 5, n);
                return 3;
            }
            free(msg);
            uint8_t h[4];
            if (recv_all(fd, h, 4) < 0) {
                fprintf(stderr, "goodclient: the server closed instead of echoing %zu bytes\n", n);
                return 3;
            }
            uint32_t len = get_u32le(h);
            uint8_t *reply = malloc(len ? len : 1);
            if (reply == NULL || len < 4 || recv_all(fd, reply, len) < 0 || get_u32le(reply) > len - 4) {
                fprintf(stderr, "goodclient: bad echo frame\n");
                return 3;
            }
            uint32_t tl = get_u32le(reply);
            SecBuffer e[2] = {{tl, SECBUFFER_TOKEN, reply + 4}, {len - 4 - tl, SECBUFFER_DATA, reply + 4 + tl}};
            SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
            ULONG qop;
            if ((st = t->DecryptMessage(&ctx, &ed, 0, &qop)) != SEC_E_OK)
                return fail("DecryptMessage", st);
            if (e[1].cbBuffer != n) {
                fprintf(stderr, "goodclient: echo of %zu bytes came back with %u\n", n, (unsigned)e[1].cbBuffer);
                return 3;
            }
            for (size_t k = 0; k < n; k++)
                if (((uint8_t *)e[1].pvBuffer)[k] != (uint8_t)(k * 7 + (size_t)i)) {
                    fprintf(stderr, "goodclient: echo differs at byte %zu\n", k);
                    return 3;
                }
            printf("echo %zu bytes ok\n", n);
            free(reply);
        }
        uint8_t zero[4] = {0};
        send_all(fd, zero, 4);
        char c;
        if (recv(fd, &c, 1, 0) != 0) {
            fprintf(stderr, "goodclient: the server did not close after the empty message\n");
            return 3;
        }
    }
    if (capture)
        fclose(capture);
    close(fd);
    t->DeleteSecurityContext(&ctx);
    t->FreeCredentialsHandle(&cred);
    return 0;
}
