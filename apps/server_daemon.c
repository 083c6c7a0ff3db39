/* SPDX-License-Identifier: MIT */
/*
 * server_daemon.c - sspix-server as a service: systemd readiness
 * notifications (sd_notify) and socket activation (sd_listen_fds), the pid
 * file (written without following or overwriting anything, and locked while
 * the server runs), and --daemon (detach, and report the start-up's status
 * to the starter).
 */
#define _GNU_SOURCE /* mkostemp, pipe2 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#ifdef SSPIX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* ---- systemd: readiness and socket activation ------------------------------ */

/* A state change for the service manager (NOTIFY_SOCKET); nothing without one. */
void server_notify(const char *fmt, ...)
{
#ifdef SSPIX_HAVE_SYSTEMD
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int rc = sd_notify(0, msg);
    if (rc < 0) {
        static bool told;
        if (!told)
            server_say(LOG_WARNING, "cannot notify the service manager through NOTIFY_SOCKET: %s", strerror(-rc));
        told = true;
    }
#else
    (void)fmt;
#endif
}

/* Listening sockets passed by the service manager (LISTEN_FDS, LISTEN_PID);
 * the variables are removed so that nothing started later inherits them.
 * Returns how many (0: none, bind --bind/--port), or -1 with err. */
int server_take_listen_fds(int *fds, unsigned cap, char *err, size_t errlen)
{
#ifdef SSPIX_HAVE_SYSTEMD
    int n = sd_listen_fds(1);
    if (n < 0) {
        snprintf(err, errlen, "socket activation: LISTEN_FDS: %s", strerror(-n));
        return -1;
    }
    if ((unsigned)n > cap) {
        snprintf(err, errlen,
                 "socket activation: %d sockets passed; at most %u can be served: list fewer in the "
                 "socket unit",
                 n, cap);
        for (int i = 0; i < n; i++)
            close(SD_LISTEN_FDS_START + i);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (sd_is_socket(SD_LISTEN_FDS_START + i, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            snprintf(err, errlen,
                     "socket activation: descriptor %d is not a listening stream socket: the socket unit must "
                     "use ListenStream= (and Accept=no)",
                     SD_LISTEN_FDS_START + i);
            for (int j = 0; j < n; j++)
                close(SD_LISTEN_FDS_START + j);
            return -1;
        }
        fds[i] = SD_LISTEN_FDS_START + i;
    }
    return n;
#else
    (void)fds, (void)cap;
    const char *pid = getenv("LISTEN_PID");
    if (pid != NULL && atol(pid) == (long)getpid() && getenv("LISTEN_FDS") != NULL) {
        snprintf(err, errlen,
                 "socket activation: this sspix-server was built without libsystemd: start it "
                 "without the socket unit, or rebuild with libsystemd-dev installed");
        return -1;
    }
    return 0;
#endif
}

/* ---- the pid file ---------------------------------------------------------------- */

/* The pid file this process wrote; its descriptor holds a write lock on it
 * for the process's lifetime, which is how another start tells a live pid
 * file from a stale one. */
static int pid_fd = -1;

/* Is the file at path locked by a live process? Sets *holder to its pid. */
static int pid_file_holder(const char *path, long *holder, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    *holder = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path,
                 errno == ELOOP ? "is a symbolic link: refusing to follow it; remove it" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file: remove it or choose another --pid-file", path);
        close(fd);
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &fl) < 0) {
        snprintf(err, errlen, "%s: cannot test its lock: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    if (fl.l_type != F_UNLCK)
        *holder = fl.l_pid > 0 ? (long)fl.l_pid : -1;
    return 0;
}

/*
 * Write the pid file without following or overwriting anything: the pid goes
 * into a new file (O_CREAT|O_EXCL, so never through a symbolic link), which
 * is locked and then hard-linked into place, which fails if the name exists.
 * An existing one that a live server holds locked is refused; one that
 * nobody holds (stale, left by a crash) is replaced.
 */
int server_pid_file_write(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 8], buf[32];
    int n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(err, errlen, "%s: name too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (fchmod(fd, 0644) < 0 || fcntl(fd, F_SETLK, &fl) < 0 || write(fd, buf, (size_t)n) != n) {
        snprintf(err, errlen, "cannot write the pid to a new file beside %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    for (int attempt = 0;; attempt++) {
        if (link(tmp, path) == 0)
            break;
        long holder;
        if (errno != EEXIST || attempt == 3) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        } else if (pid_file_holder(path, &holder, err, errlen) < 0) {
            /* err says why */
        } else if (holder != 0) {
            snprintf(err, errlen,
                     "%s is held by a running sspix-server (pid %ld): stop it first, or give this one its own "
                     "--pid-file",
                     path, holder);
        } else if (unlink(path) == 0 || errno == ENOENT) {
            continue; /* stale: nobody holds it */
        } else {
            snprintf(err, errlen, "%s is stale but cannot be removed: %s", path, strerror(errno));
        }
        close(fd);
        unlink(tmp);
        return -1;
    }
    unlink(tmp);
    pid_fd = fd;
    return 0;
}

/* At exit: remove the pid file if it is still ours (the same inode). */
void server_pid_file_remove(const char *path)
{
    struct stat mine, there;
    if (pid_fd < 0)
        return;
    if (fstat(pid_fd, &mine) == 0 && lstat(path, &there) == 0 && mine.st_dev == there.st_dev &&
        mine.st_ino == there.st_ino && unlink(path) < 0)
        server_say(LOG_WARNING, "cannot remove the pid file %s: %s (a new start replaces it: nothing holds it now)",
                   path, strerror(errno));
    close(pid_fd);
    pid_fd = -1;
}

/* ---- --daemon ---------------------------------------------------------------------- */

/* The daemon's end of the pipe its starter waits on: one byte, the start-up's
 * exit status (0 once it serves). */
static int ready_fd = -1;

/*
 * Detach before anything else is set up (no threads, no event loops, no
 * credential yet): fork, setsid, fork again, chdir /. The starter waits until
 * the daemon reports its start-up and exits with that status, so that a
 * failed start fails the command that started it; until then the daemon's
 * errors go to the starter's stderr.
 */
int server_daemonize(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        unsigned char status = EXIT_STARTUP;
        ssize_t n;
        close(p[1]);
        while ((n = read(p[0], &status, 1)) < 0 && errno == EINTR)
            ;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        _exit(n == 1 ? status : EXIT_STARTUP);
    }
    close(p[0]);
    ready_fd = p[1];
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0)
        return -1;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

/* Tell the starter how the start-up ended; once serving with --log syslog,
 * stderr goes to /dev/null as well. */
void server_daemon_report(int status)
{
    if (ready_fd < 0)
        return;
    unsigned char b = (unsigned char)status;
    ssize_t w = write(ready_fd, &b, 1);
    (void)w;
    close(ready_fd);
    ready_fd = -1;
    if (status == 0 && server_log_to_syslog()) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
}
