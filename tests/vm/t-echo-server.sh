# The demo's in-kernel echo server (server role, x509): a Python TLS
# client verifies it against the test CA, gets its bytes echoed through
# kTLS, and its close_notify answered with close_notify.
. tests/vm/lib.sh
pki_make
[ -e /sys/module/handshake_demo/parameters/echo_port ] || fail "demo module not loaded"
port=$(cat /sys/module/handshake_demo/parameters/echo_port)
[ "$port" != 0 ] || { echo "echo server not enabled (echo_port=0)"; exit 77; }
agent_start
python3 - "$port" "$PKI/ca.pem" <<'PY' || fail "echo client failed"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        for msg in (b"ping\n", b"x" * 20000):
            tls.sendall(msg)
            got = b""
            while len(got) < len(msg):
                chunk = tls.recv(65536)
                if not chunk:
                    sys.exit("echo server closed early")
                got += chunk
            if got != msg:
                sys.exit("echo mismatch: %r" % got[:40])
        tls.unwrap()  # sends close_notify, waits for the server's
print("echo ok, version", tls.version())
PY
