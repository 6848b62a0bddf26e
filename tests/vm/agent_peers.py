# SPDX-License-Identifier: GPL-2.0
"""Peers for the t-agent-*.sh tests (runs inside the VM).

  agent_peers.py echo [--expect-fail] [--want REGEX] -- CMD...
      Run a TLS client tool (openssl s_client, gnutls-cli) talking to the
      demo's echo server: write one line, wait for it to come back, close
      stdin. Exit 0 if the line came back (and REGEX matched the tool's
      output); with --expect-fail, exit 0 only if it did not.
  agent_peers.py pyclient PORT CA [--cert F --key F] [--expect-fail]
      The same with Python's ssl module, TLS 1.3, verifying "localhost".
  agent_peers.py serve MODE PORT [N]
      A misbehaving TCP server on 127.0.0.1:PORT for N (default 1)
      connections. MODE: stall (accept, never answer), garbage (random
      bytes, then silence), truncated (a TLS record header announcing
      16 KB, 10 bytes of it after the ClientHello, then close), slow (one byte a second of a
      plausible ServerHello), alert-unknown-psk (read the ClientHello,
      answer with a fatal unknown_psk_identity alert, as an OpenSSL-based
      TLS 1.2 server whose PSK callback finds nothing does).
  agent_peers.py proxy PORT TARGET DELAY_S
      A TCP proxy 127.0.0.1:PORT -> 127.0.0.1:TARGET that holds each
      connection's first server-to-client bytes for DELAY_S seconds: keeps
      handshakes in flight for as long as a test needs.
  agent_peers.py mkcert-expired PKI
      PKI/expired.{pem,key}: localhost/127.0.0.1 signed by PKI/ca, valid
      from 10 days ago until yesterday.
  agent_peers.py mkcrl PKI
      PKI/revoked.{pem,key}: localhost/127.0.0.1 signed by PKI/ca, and
      PKI/crl.pem: a CRL of PKI/ca that revokes it.
"""
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import threading
import time


def echo_tool(argv):
    expect_fail = False
    want = None
    while argv and argv[0] != "--":
        if argv[0] == "--expect-fail":
            expect_fail = True
            argv = argv[1:]
        elif argv[0] == "--want":
            want = argv[1]
            argv = argv[2:]
        else:
            sys.exit("echo: unknown option " + argv[0])
    cmd = argv[1:]
    line = "echo-%d-%d" % (os.getpid(), int(time.time() * 1000))
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    p.stdin.write((line + "\n").encode())
    p.stdin.flush()
    out = b""
    echoed = False
    deadline = time.time() + 30
    # The line is in the output twice only if the tool echoes its input;
    # neither does. Look for it as a line of its own.
    while time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], deadline - time.time())
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
        if re.search(rb"(^|\n)" + line.encode() + rb"\r?\n", out):
            echoed = True
            break
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.stdin = None
    try:
        rest, _ = p.communicate(timeout=15)
        out += rest or b""
    except subprocess.TimeoutExpired:
        p.kill()
        out += p.communicate()[0] or b""
    text = out.decode(errors="replace")
    if expect_fail:
        if echoed:
            print(text)
            sys.exit("the line came back though the handshake should fail")
        print("refused as expected (%s exited %d)" % (cmd[0], p.returncode))
        return
    if not echoed:
        print(text[-3000:])
        sys.exit("the line did not come back")
    if want and not re.search(want, text):
        print(text[-3000:])
        sys.exit("output does not match /%s/" % want)
    print("echoed through %s%s" % (cmd[0], (", matched /%s/" % want) if want else ""))


def pyclient(argv):
    port, ca = int(argv[0]), argv[1]
    cert = key = None
    expect_fail = "--expect-fail" in argv
    if "--cert" in argv:
        cert = argv[argv.index("--cert") + 1]
        key = argv[argv.index("--key") + 1]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if cert:
        ctx.load_cert_chain(cert, key)
    msg = b"python %d\n" % os.getpid()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    chunk = tls.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed by the server")
                    got += chunk
                if got != msg:
                    sys.exit("echo mismatch: %r" % got)
                info = (tls.version(), tls.cipher()[0])
    except (OSError, ssl.SSLError) as e:
        if expect_fail:
            print("refused as expected:", e)
            return
        sys.exit("python client failed: %r" % e)
    if expect_fail:
        sys.exit("handshake succeeded though it should fail")
    print("python echo ok:", *info)


def serve(argv):
    mode, port = argv[0], int(argv[1])
    n = int(argv[2]) if len(argv) > 2 else 1
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    held = []
    for _ in range(n):
        c, _ = s.accept()
        held.append(c)
        if mode == "stall":
            continue
        if mode == "garbage":
            rnd = bytes((i * 73 + 41) % 256 for i in range(4096))
            c.sendall(rnd)
        elif mode == "truncated":
            c.recv(65536)  # the ClientHello: the handshake is under way
            c.sendall(b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 9)
            c.close()
        elif mode == "alert-unknown-psk":
            c.recv(65536)  # the ClientHello
            c.sendall(b"\x15\x03\x03\x00\x02\x02\x73")
        elif mode == "slow":
            def drip(c=c):
                data = b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" + b"\x11" * 110
                try:
                    for b in data:
                        c.send(bytes([b]))
                        time.sleep(1)
                except OSError:
                    pass
            threading.Thread(target=drip, daemon=True).start()
        else:
            sys.exit("serve: unknown mode " + mode)
    time.sleep(120)


def proxy(argv):
    port, target, delay = int(argv[0]), int(argv[1]), float(argv[2])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)

    def pump(a, b, hold):
        first = True
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                if first and hold:
                    time.sleep(delay)
                first = False
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_WR if x is b else socket.SHUT_RD)
            except OSError:
                pass

    while True:
        c, _ = s.accept()
        u = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, True), daemon=True).start()


def _leaf(pki, name, days_from, days_to):
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_cert = x509.load_pem_x509_certificate(open(pki + "/ca.pem", "rb").read())
    ca_key = serialization.load_pem_private_key(open(pki + "/ca.key", "rb").read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    open("%s/%s.pem" % (pki, name), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open("%s/%s.key" % (pki, name), "wb").write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert, ca_cert, ca_key


def mkcert_expired(argv):
    _leaf(argv[0], "expired", -10, -1)


def mkcrl(argv):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    pki = argv[0]
    cert, ca_cert, ca_key = _leaf(pki, "revoked", -1, 2)
    now = datetime.datetime.now(datetime.timezone.utc)
    revoked = (x509.RevokedCertificateBuilder()
               .serial_number(cert.serial_number)
               .revocation_date(now - datetime.timedelta(hours=1))
               .build())
    crl = (x509.CertificateRevocationListBuilder()
           .issuer_name(ca_cert.subject)
           .last_update(now - datetime.timedelta(hours=1))
           .next_update(now + datetime.timedelta(days=2))
           .add_revoked_certificate(revoked)
           .sign(ca_key, hashes.SHA256()))
    open(pki + "/crl.pem", "wb").write(crl.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    cmds = {"echo": echo_tool, "pyclient": pyclient, "serve": serve,
            "proxy": proxy, "mkcert-expired": mkcert_expired,
            "mkcrl": mkcrl}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
