# SPDX-License-Identifier: MIT
"""deb_e2e - build the Debian packages, unpack them into a throwaway root, run the unpacked
sspix-server against the test realm and authenticate the unpacked sspix-client to it.

    deb_e2e.py SOURCE_DIR WORK_DIR

Runs `make deb` (dpkg-buildpackage without the test suite, then lintian: about a minute on two
cores); ctest label deb (ctest -L deb). Skips (77) when SSPIX_TEST_DEB=0, or when the packaging tools
are missing and cannot be installed (not root); as root, make deb installs them (scripts/deps.sh).
Everything it starts is stopped by PID (lib_server). Network: 127.0.0.1 only.
"""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from lib_server import Failure, Server, check  # noqa: E402

PACKAGES = ("libsspix0", "libsspix-dev", "sspix-server", "sspix-client")

# Files each package must hold (paths relative to the root; the multiarch directory is a glob).
EXPECTED = {
    "libsspix0": ["usr/lib/*/libsspix.so.0", "usr/share/doc/libsspix0/copyright"],
    "libsspix-dev": ["usr/include/sspix/sspi.h", "usr/include/sspix/compat/security.h", "usr/lib/*/libsspix.so",
                     "usr/lib/*/pkgconfig/sspix.pc", "usr/lib/*/cmake/sspix/sspixConfig.cmake"],
    "sspix-server": ["usr/sbin/sspix-server", "etc/sspix/sspix-server.conf", "lib/systemd/system/sspix-server.service",
                     "lib/systemd/system/sspix-server.socket", "usr/lib/sysusers.d/sspix-server.conf",
                     "usr/lib/tmpfiles.d/sspix-server.conf", "usr/share/man/man8/sspix-server.8.gz"],
    "sspix-client": ["usr/bin/sspix-client", "usr/share/man/man1/sspix-client.1.gz"],
}


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def main():
    if os.environ.get("SSPIX_TEST_DEB") == "0":
        print("SKIP: SSPIX_TEST_DEB=0")
        return 77
    tools = ("dpkg-buildpackage", "dh", "lintian")
    if os.geteuid() != 0 and not all(shutil.which(t) for t in tools):
        print("SKIP: needs %s (Debian packages dpkg-dev, debhelper, lintian), and is not root to install them"
              % ", ".join(tools))
        return 77
    src, work = sys.argv[1], os.path.abspath(sys.argv[2])
    debdir = os.path.join(work, "deb")
    root = os.path.join(work, "root")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(work, exist_ok=True)

    # A fresh make, not a sub-make of `make check` (whose jobserver descriptors ctest does not pass on).
    clean_env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = run(["make", "-C", src, "deb", "DEB_DIR=" + debdir], env=clean_env)
    check(r.returncode == 0, "make deb failed:\n" + r.stdout[-6000:])
    for pkg in PACKAGES:
        debs = glob.glob(os.path.join(debdir, pkg + "_*.deb"))
        check(len(debs) == 1, "expected one %s package in %s, found %r" % (pkg, debdir, debs))
        c = run(["dpkg", "-c", debs[0]])
        listing = c.stdout
        check(c.returncode == 0 and listing, "dpkg -c %s failed: %s" % (debs[0], listing))
        r = run(["dpkg", "-x", debs[0], root])
        check(r.returncode == 0, "dpkg -x %s: %s" % (debs[0], r.stdout))
        for want in EXPECTED[pkg]:
            check(glob.glob(os.path.join(root, want)), "%s does not ship %s:\n%s" % (pkg, want, listing))
        check(" ./usr/lib/debug" not in listing and "/usr/share/doc/sspix/" not in listing,
              "%s ships debug files or the generic doc folder:\n%s" % (pkg, listing))

    # What the maintainer scripts do on installation (systemd-sysusers, systemd-tmpfiles), applied
    # to the throwaway root: the _sspix account and its private replay cache directory.
    if shutil.which("systemd-sysusers") and shutil.which("systemd-tmpfiles"):
        r = run(["systemd-sysusers", "--root=" + root, os.path.join(root, "usr/lib/sysusers.d/sspix-server.conf")])
        check(r.returncode == 0, "systemd-sysusers: " + r.stdout)
        with open(os.path.join(root, "etc/passwd")) as f:
            entry = [l for l in f if l.startswith("_sspix:")]
        check(len(entry) == 1 and entry[0].rstrip().endswith(":/var/lib/sspix:/usr/sbin/nologin"),
              "no _sspix system account with home /var/lib/sspix and no shell: %r" % entry)
        uid = int(entry[0].split(":")[2])
        r = run(["systemd-tmpfiles", "--root=" + root, "--create", os.path.join(root, "usr/lib/tmpfiles.d/sspix-server.conf")])
        check(r.returncode == 0, "systemd-tmpfiles: " + r.stdout)
        st = os.stat(os.path.join(root, "var/lib/sspix"))
        check(st.st_uid == uid and (st.st_mode & 0o777) == 0o700,
              "/var/lib/sspix is uid %d mode %o, not _sspix's (uid %d) 0700" % (st.st_uid, st.st_mode & 0o777, uid))

    # Installed to a system prefix: no RUNPATH in the programs, so the unpacked root's library
    # directory is given to the loader.
    for prog in ("usr/sbin/sspix-server", "usr/bin/sspix-client"):
        r = run(["readelf", "-d", os.path.join(root, prog)])
        check(r.returncode == 0, "readelf %s: %s" % (prog, r.stdout))
        check("RUNPATH" not in r.stdout and "RPATH" not in r.stdout, "%s carries a RUNPATH:\n%s" % (prog, r.stdout))
    libdir = os.path.dirname(glob.glob(os.path.join(root, "usr/lib/*/libsspix.so.0"))[0])
    os.environ["LD_LIBRARY_PATH"] = libdir
    server_bin = os.path.join(root, "usr/sbin/sspix-server")
    client_bin = os.path.join(root, "usr/bin/sspix-client")
    r = run([server_bin, "--version"])
    check(r.returncode == 0, "unpacked sspix-server --version: %s" % r.stdout)

    # libsspix-dev: the Windows-style example builds with pkg-config alone, and with CMake's
    # find_package(sspix) and sspix::sspix, against the unpacked root; both authenticate.
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "sspix"], env=env)
    check(flags.returncode == 0, "pkg-config sspix: " + flags.stdout)
    demo = os.path.join(work, "sspi_demo")
    r = run(["cc", "-std=c11", "-Wall", "-Werror", os.path.join(src, "examples/sspi_demo.c"), "-o", demo]
            + flags.stdout.split())
    check(r.returncode == 0, "the example does not build with pkg-config's %r:\n%s" % (flags.stdout, r.stdout))
    r = run([demo, "Negotiate", "host/localhost"], timeout=60)
    check(r.returncode == 0, "the example built with pkg-config failed:\n" + r.stdout)
    proj = os.path.join(work, "cmake-consumer")
    shutil.rmtree(proj, ignore_errors=True)
    os.makedirs(proj)
    with open(os.path.join(proj, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.16)\nproject(consumer C)\nfind_package(sspix 0.1 REQUIRED)\n"
                "add_executable(sspi_demo %s/examples/sspi_demo.c)\n"
                "target_link_libraries(sspi_demo PRIVATE sspix::sspix)\n" % src)
    r = run(["cmake", "-S", proj, "-B", os.path.join(proj, "b"), "-DCMAKE_PREFIX_PATH=" + os.path.join(root, "usr")])
    check(r.returncode == 0, "find_package(sspix) against the unpacked root:\n" + r.stdout)
    r = run(["cmake", "--build", os.path.join(proj, "b")])
    check(r.returncode == 0, "building with sspix::sspix:\n" + r.stdout)
    r = run([os.path.join(proj, "b", "sspi_demo"), "Kerberos", "ADSockAuth/localhost/sspix"], timeout=60)
    check(r.returncode == 0, "the example built with sspix::sspix failed:\n" + r.stdout)

    # The packaged configuration file as shipped (everything commented: the defaults), echo mode.
    conf = os.path.join(root, "etc/sspix/sspix-server.conf")
    srv = Server(server_bin, "--config", conf, "--mode", "echo")
    srv.start()
    try:
        r = run([client_bin, "127.0.0.1", "--port", str(srv.port), "--spn", "host/localhost", "--mode", "echo",
                 "--message", "hello from the package"], timeout=60)
        check(r.returncode == 0, "unpacked sspix-client failed (%d):\n%s\nserver log:\n%s" %
              (r.returncode, r.stdout, srv.log()))
        check("hello from the package" in r.stdout, "no echo in the client's output:\n" + r.stdout)
        line = srv.wait_log(lambda l: "outcome=SEC_E_OK" in l, what="an outcome=SEC_E_OK line")
        check("client=alice@SSPIX.TEST" in line and "messages=1" in line, "the server's line does not name alice: " + line)
    finally:
        srv.stop()
    print("deploy.deb: 4 packages built, lintian clean; from the unpacked root: pkg-config and find_package builds, "
          "server and client authenticated")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print("FAIL:", e)
        sys.exit(1)
