#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ntlm_independent.py - sspix's NTLM against an NTLM implementation that shares no code with it.

    ntlm_independent.py --peer PATH/ntlm_peer [--server PATH/sspix-server]

Both roles, through the public SSPI API (tests/interop/ntlm_peer.c, driven over a pipe):
  - sspix's NTLM acceptor, and Debian's python3-ntlm-auth as the initiator: a pure-Python MS-NLMP
    implementation with its own NTLMv2, key derivation, RC4 sealing and signatures (MD4 from
    python3-pycryptodome where OpenSSL 3 has dropped it). The user and password come from the NTLM users
    file this script writes, as the realm's NTLM tests do;
  - sspix's NTLM initiator, and an acceptor written here from MS-NLMP on ntlm-auth's primitives (its hashes,
    RC4 and SessionSecurity); gss-ntlmssp is on neither side of the wire.

After the handshake each side seals and signs for the other (ntlm_peer.c lists the exchange):
  - ntlm-auth wrap() (signature || sealed data) -> DecryptMessage with TOKEN + DATA, then with a STREAM;
  - EncryptMessage's TOKEN || DATA -> ntlm-auth unwrap();
  - MakeSignature -> ntlm-auth's signature check; ntlm-auth's signature -> VerifySignature;
  - a sealed message with one bit flipped -> DecryptMessage says SEC_E_MESSAGE_ALTERED.
With --server, ntlm-auth also authenticates to sspix-server --package NTLM over 127.0.0.1 in the Microsoft
sample's wire format and unseals its greeting (u32 LE trailer length, EncryptMessage's TOKEN, its DATA).
Prints "N passed, N failed" and exits non-zero on any failure.
"""

import argparse
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import client_test as ct  # noqa: E402  (starts servers on free ports, stops them by PID)

DOMAIN = "SSPIXDOM"
USER = "carol"
PASSWORD = "Carol-Pa55word!"
GREETING = b"sealed by sspix, unsealed by an independent NTLM"
SIGNED = b"signed by sspix, verified by an independent NTLM"


def _md4_fallback():
    """ntlm-auth asks hashlib for MD4, which OpenSSL 3 keeps in its legacy provider."""
    try:
        hashlib.new("md4", b"")
        return
    except ValueError:
        pass
    from Cryptodome.Hash import MD4  # python3-pycryptodome
    original = hashlib.new

    def new(name, data=b"", **kw):
        if name.lower() == "md4":
            return MD4.new(data)
        return original(name, data, **kw)

    hashlib.new = new


_md4_fallback()
from ntlm_auth import compute_hash  # noqa: E402  python3-ntlm-auth
from ntlm_auth.constants import NegotiateFlags  # noqa: E402
from ntlm_auth.ntlm import NtlmContext  # noqa: E402
from ntlm_auth.rc4 import ARC4  # noqa: E402
from ntlm_auth.session_security import SessionSecurity  # noqa: E402

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok: " + what)
    else:
        failed += 1
        print("FAIL: " + what + (": " + detail if detail else ""))


class Peer:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = None

    def send(self, data):
        self.p.stdin.write(struct.pack("<I", len(data)) + data)
        self.p.stdin.flush()

    def recv(self):
        h = self.p.stdout.read(4)
        if len(h) != 4:
            raise EOFError("ntlm_peer closed its output: " + self.stderr())
        (n,) = struct.unpack("<I", h)
        return self.p.stdout.read(n)

    def stderr(self):
        if self.err is None:
            try:
                _, err = self.p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()  # our own child, by its handle
                _, err = self.p.communicate()
            self.err = err.decode(errors="replace").strip()
        return self.err

    def close(self):
        err = self.stderr()
        return self.p.returncode, err


# ---- the independent side's message protection: ntlm-auth's SessionSecurity -----------------------------------

class Protection:
    def __init__(self, sec):
        self.sec = sec

    def wrap(self, data):
        sealed, sig = self.sec.wrap(data)
        return sig + sealed

    def unwrap(self, data):
        return self.sec.unwrap(data[16:], data[:16])

    def sign(self, msg):
        return self.sec._get_signature(msg)

    def verify(self, msg, sig):
        self.sec._verify_signature(msg, sig)


# ---- an NTLM acceptor on ntlm-auth's primitives -----------------------------------------------------------------
# ntlm-auth is a client library: the acceptor's side of MS-NLMP 3.2.5 (CHALLENGE, NTLMv2 verification, session
# key) is written here from the specification with its hash, key and RC4 functions; sealing and signing are
# ntlm-auth's SessionSecurity, the same code its client uses.

def utf16(s):
    return s.encode("utf-16-le")


def av(av_id, value):
    return struct.pack("<HH", av_id, len(value)) + value


class Acceptor:
    SERVER = "PYSERVER"
    SUPPORTED = 0

    def __init__(self, users):
        self.users = users  # {(DOMAIN, user): password}
        self.flags = 0
        self.server_challenge = os.urandom(8)

    def challenge(self, negotiate):
        (client,) = struct.unpack("<I", negotiate[12:16])
        self.flags = (client & Acceptor.SUPPORTED) | NF.NTLMSSP_TARGET_TYPE_SERVER | NF.NTLMSSP_NEGOTIATE_TARGET_INFO
        name = utf16(self.SERVER)
        filetime = int((time.time() + 11644473600) * 10000000)
        info = (av(2, utf16("PYDOM")) + av(1, name) + av(3, utf16(self.SERVER.lower())) +
                av(7, struct.pack("<Q", filetime)) + av(0, b""))
        head = 56
        msg = b"NTLMSSP\0" + struct.pack("<I", 2)
        msg += struct.pack("<HHI", len(name), len(name), head)
        msg += struct.pack("<I", self.flags) + self.server_challenge + b"\0" * 8
        msg += struct.pack("<HHI", len(info), len(info), head + len(name))
        msg += b"\x0a\x00\x63\x45\x00\x00\x00\x0f"  # Version 10.0.17763, NTLMSSP revision 15
        return msg + name + info

    def authenticate(self, msg):
        def field(at):
            n, _, off = struct.unpack("<HHI", msg[at:at + 8])
            if off + n > len(msg):
                raise ValueError("AUTHENTICATE field at %d runs past the message" % at)
            return msg[off:off + n]

        nt, domain, user, key = field(20), field(28).decode("utf-16-le"), field(36).decode("utf-16-le"), field(52)
        password = self.users.get((domain.upper(), user.lower()))
        if password is None or len(nt) < 48:
            raise ValueError("unknown user %s\\%s or no NTLMv2 response" % (domain, user))
        ntowf = compute_hash._ntowfv2(user, password, domain)
        proof = hmac.new(ntowf, self.server_challenge + nt[16:], hashlib.md5).digest()
        if not hmac.compare_digest(proof, nt[:16]):
            raise ValueError("NTLMv2 response does not match: wrong password")
        base = hmac.new(ntowf, proof, hashlib.md5).digest()
        exported = ARC4(base).update(key) if self.flags & NF.NTLMSSP_NEGOTIATE_KEY_EXCH else base
        return "%s\\%s" % (domain, user), Protection(SessionSecurity(self.flags, exported, source="server"))


NF = NegotiateFlags
Acceptor.SUPPORTED = (NF.NTLMSSP_NEGOTIATE_UNICODE | NF.NTLMSSP_REQUEST_TARGET | NF.NTLMSSP_NEGOTIATE_SIGN |
                      NF.NTLMSSP_NEGOTIATE_SEAL | NF.NTLMSSP_NEGOTIATE_NTLM | NF.NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
                      NF.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NF.NTLMSSP_NEGOTIATE_VERSION |
                      NF.NTLMSSP_NEGOTIATE_128 | NF.NTLMSSP_NEGOTIATE_KEY_EXCH | NF.NTLMSSP_NEGOTIATE_56)


# ---- the exchange ---------------------------------------------------------------------------------------------

def messages(peer, prot):
    """The post-handshake exchange, in ntlm_peer.c's order, with the independent side's protection."""
    for how in ("TOKEN + DATA", "STREAM"):
        text = ("sealed by ntlm-auth, unsealed by sspix DecryptMessage(%s)" % how).encode()
        wrapped = prot.wrap(text)
        check(wrapped[:4] == b"\x01\x00\x00\x00", "ntlm-auth's wrap puts the signature (Version 1) first")
        peer.send(wrapped)
        got = peer.recv()
        check(got == text, "DecryptMessage(%s) unseals ntlm-auth's message" % how, repr(got))

    sealed = peer.recv()
    check(len(sealed) == 16 + len(GREETING), "EncryptMessage: 16-byte TOKEN and DATA in place", str(len(sealed)))
    check(sealed[:4] == b"\x01\x00\x00\x00", "EncryptMessage's TOKEN is the NTLMSSP_MESSAGE_SIGNATURE")
    try:
        plain = prot.unwrap(sealed)
        check(plain == GREETING, "ntlm-auth unseals EncryptMessage's output", repr(plain))
    except Exception as e:  # ntlm-auth raises a bare Exception on a bad signature
        check(False, "ntlm-auth unseals EncryptMessage's output", str(e))

    sig = peer.recv()
    try:
        prot.verify(SIGNED, sig)
        check(True, "ntlm-auth verifies MakeSignature's signature")
    except Exception as e:
        check(False, "ntlm-auth verifies MakeSignature's signature", str(e))

    msg = b"signed by ntlm-auth, verified by sspix"
    peer.send(msg)
    peer.send(prot.sign(msg))
    got = peer.recv()
    check(got == b"verified", "VerifySignature accepts ntlm-auth's signature", got.decode(errors="replace"))

    bad = bytearray(prot.wrap(b"this message will be altered on the way"))
    bad[20] ^= 0x01
    peer.send(bytes(bad))
    got = peer.recv().decode()
    check(got == "SEC_E_MESSAGE_ALTERED", "DecryptMessage refuses a tampered message", got)


def run_sspix_server(binary, users):
    """ntlm-auth's client authenticates to sspix's NTLM acceptor."""
    print("-- sspix acceptor, ntlm-auth initiator")
    peer = Peer([binary, "server", users])
    try:
        ctx = NtlmContext(USER, PASSWORD, domain=DOMAIN, workstation="PYCLIENT", ntlm_compatibility=3)
        peer.send(ctx.step())
        challenge = peer.recv()
        check(challenge[:8] == b"NTLMSSP\0" and challenge[8] == 2, "sspix answers with a CHALLENGE")
        peer.send(ctx.step(challenge))
        done = peer.recv().decode()
        check(done == "authenticated %s\\%s" % (DOMAIN, USER),
              "ntlm-auth authenticates as %s\\%s" % (DOMAIN, USER), done)
        messages(peer, Protection(ctx._session_security))
    except EOFError as e:
        check(False, "the exchange with ntlm_peer", str(e))
    rc, err = peer.close()
    check(rc == 0, "ntlm_peer exits 0", err)


def run_sspix_client(binary):
    """sspix's NTLM initiator authenticates to the acceptor above."""
    print("-- sspix initiator, independent acceptor")
    peer = Peer([binary, "client", DOMAIN, USER, PASSWORD])
    acceptor = Acceptor({(DOMAIN, USER): PASSWORD})
    try:
        negotiate = peer.recv()
        check(negotiate[:8] == b"NTLMSSP\0" and negotiate[8] == 1, "sspix starts with a NEGOTIATE")
        peer.send(acceptor.challenge(negotiate))
        try:
            name, prot = acceptor.authenticate(peer.recv())
        except ValueError as e:
            check(False, "the independent acceptor verifies sspix's AUTHENTICATE", str(e))
            peer.send(b"refused")
            raise EOFError(str(e))
        check(name == "%s\\%s" % (DOMAIN, USER), "the independent acceptor verifies sspix's AUTHENTICATE", name)
        peer.send(("authenticated " + name).encode())
        messages(peer, prot)
    except EOFError as e:
        check(False, "the exchange with ntlm_peer", str(e))
    rc, err = peer.close()
    check(rc == 0, "ntlm_peer exits 0", err)


def run(binary, tmp):
    users = os.path.join(tmp, "ntlm-users")
    with open(users, "w") as f:
        f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    os.chmod(users, 0o600)
    run_sspix_server(binary, users)
    run_sspix_client(binary)


def recv_exact(sock, n):
    b = b""
    while len(b) < n:
        chunk = sock.recv(n - len(b))
        if not chunk:
            raise EOFError("sspix-server closed the connection after %d of %d bytes" % (len(b), n))
        b += chunk
    return b


def greet(server, tmp):
    users = os.path.join(tmp, "ntlm-users")
    args = argparse.Namespace(server=server)
    srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users, "--allow-no-mutual"], "ntlm-indep", tmp)
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
            ctx = NtlmContext(USER, PASSWORD, domain=DOMAIN, workstation="PYCLIENT", ntlm_compatibility=3)
            tok = ctx.step()
            sock.sendall(struct.pack("<I", len(tok)) + tok)
            (n,) = struct.unpack("<I", recv_exact(sock, 4))
            tok = ctx.step(recv_exact(sock, n))
            sock.sendall(struct.pack("<I", len(tok)) + tok)
            (n,) = struct.unpack("<I", recv_exact(sock, 4))
            trailer = recv_exact(sock, n)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        check(len(trailer) == 16 and trailer[:4] == b"\x01\x00\x00\x00",
              "sspix-server's greeting trailer is the 16-byte NTLMSSP_MESSAGE_SIGNATURE", trailer.hex())
        try:
            text = ctx._session_security.unwrap(data, trailer).decode(errors="replace")
            check(("Hello %s\\%s" % (DOMAIN, USER)) in text, "ntlm-auth unseals sspix-server's greeting", text)
        except Exception as e:  # ntlm-auth raises a bare Exception on a bad signature
            check(False, "ntlm-auth unseals sspix-server's greeting", str(e))
    except (EOFError, OSError) as e:
        check(False, "the exchange with sspix-server", str(e) + "\n" + srv.log())
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True)
    ap.add_argument("--server")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sspix-ntlm-indep-") as tmp:
        run(args.peer, tmp)
        if args.server:
            greet(args.server, tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
