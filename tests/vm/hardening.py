# SPDX-License-Identifier: GPL-2.0
"""VM test: the kernel review's findings, each provoked on purpose (see
docs/RELIABILITY.md): who may claim, complete and cancel; an undone claim
leaves nothing behind; the default timeout is bounded; statuses that are
the kernel's own errnos are refused; no error ack echoes session keys."""
import ctypes
import errno
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake, NLMSG_ERROR  # noqa: E402
from vmtest import Consumer, check, failures, listener, pending, session, write_demo  # noqa: E402

EVENT_CANCELLED = 6
PARAM = "/sys/module/handshake/parameters/default_timeout_ms"
KEYCTL_READ = 11
KEY_SPEC_PROCESS_KEYRING = -2
libc = ctypes.CDLL(None, use_errno=True)




def process_keyring():
    """Serials linked in this process's process keyring (none if it has none)."""
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(250, KEYCTL_READ, KEY_SPEC_PROCESS_KEYRING, buf, 4096)
    if n < 0:
        return []
    return list(struct.unpack("=%di" % (n // 4), buf.raw[:n]))


def userns_try(cookie):
    """Runs accept, done and cancel from a new user and network namespace."""
    code = r'''
import sys; sys.path.insert(0, "tests/vm")
from nlclient import Handshake
nl = Handshake()
for op, attrs in (("accept", [("cookie", %d)]),
                  ("done", [("cookie", %d), ("status", 13)]),
                  ("cancel", [("cookie", %d)]),
                  ("get", [("cookie", %d)])):
    print(op, nl.do(op, attrs)[0])
''' % (cookie, cookie, cookie, cookie)
    out = subprocess.run(["unshare", "--user", "--map-root-user", "--net",
                          "python3", "-c", code], capture_output=True,
                         text=True, timeout=30)
    return dict(l.split() for l in out.stdout.splitlines()), out.stderr




def claimed(lst):
    """A consumer's request, claimed by a fresh agent socket: (agent,
    consumer, cookie). The agent's fd for the socket is closed."""
    agent = Handshake()
    agent.join("tls")
    c = Consumer(lst, "timeout=30000")
    ck = agent.wait_request()
    _, _, rep = agent.do("accept", [("cookie", ck)])
    os.close(rep[0]["sockfd"])
    return agent, c, ck


def echoed_ack(nl, payload):
    """Sends a raw done; returns (errno, the bytes of its error ack)."""
    seq = nl._request(nl.family, nl.spec.ops["done"], nl.spec.version, payload)
    while True:
        data = nl.sock.recv(1 << 16)
        off = 0
        while off < len(data):
            length, typ, _, rseq, _ = struct.unpack_from("=IHHII", data, off)
            msg = data[off + 16:off + length]
            off += (length + 3) & ~3
            if rseq == seq and typ == NLMSG_ERROR:
                return -struct.unpack_from("=i", msg)[0], msg


def main():
    lst = listener()
    admin = Handshake()
    agent = Handshake()
    agent.join("tls")

    # 1. A container's root (CAP_NET_ADMIN over its own network namespace
    # only) may neither claim, nor complete, nor cancel; it may look.
    c = Consumer(lst, "timeout=30000")
    cookie = agent.wait_request()
    res, err = userns_try(cookie)
    for op in ("accept", "done", "cancel"):
        check("%s from a user namespace is refused with EPERM" % op,
              res.get(op) == str(errno.EPERM), (res, err))
    check("get from a user namespace is allowed (its own namespace: none)",
          res.get("get") == str(errno.ENOENT), (res, err))
    admin.do("cancel", [("cookie", cookie)])
    check("... and the request was untouched until cancelled",
          c.result() == -errno.ECANCELED)

    # 2. An accept whose reply cannot be queued is undone: no claimant
    # left in get, no consumer keyring linked into the would-be claimant.
    ring = int(subprocess.check_output(["keyctl", "newring", "hs-undo", "@u"]))
    small = Handshake()
    small.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    small.join("tls")
    consumers = [Consumer(lst, "timeout=60000 keyring=%d" % ring)
                 for _ in range(8)]
    cookies = pending(admin, 8)
    small.sock.settimeout(2)
    try:
        small.do("accept", [("cookie", cookies[0])])
        outcome = "reply"
    except socket.timeout:
        outcome = "no reply"
    except OSError as e:  # ENOBUFS: the overrun, reported once
        outcome = "no reply" if e.errno == errno.ENOBUFS else str(e)
    check("an accept into a full receive buffer is not answered",
          outcome == "no reply", outcome)
    _, _, g = admin.do("get", [("cookie", cookies[0])])
    check("... the request is pending again, with no claimant",
          g and g[0]["state"] == 1 and "claimant-pid" not in g[0], g)
    check("... and the consumer's keyring is not linked into the claimant",
          ring not in process_keyring(), process_keyring())
    small.sock.close()
    for ck in cookies:
        admin.do("cancel", [("cookie", ck)])
    for co in consumers:
        co.result()
    subprocess.run(["keyctl", "unlink", str(ring), "@u"], capture_output=True)

    # 3. The default timeout is bounded: 0 would time every request out
    # at once, and the kernel caps timeouts at 10 minutes.
    old = open(PARAM).read().strip()
    for bad in ("0", "600001", "4294967295"):
        try:
            with open(PARAM, "w") as f:
                f.write(bad)
            ok = False
        except OSError as e:
            ok = e.errno == errno.EINVAL
        check("default_timeout_ms=%s is refused" % bad,
              ok and open(PARAM).read().strip() == old)
    with open(PARAM, "w") as f:
        f.write("600000")
    check("default_timeout_ms=600000 is taken",
          open(PARAM).read().strip() == "600000")
    with open(PARAM, "w") as f:
        f.write(old)

    # 4. A done status from ERESTARTSYS (512) up is the kernel's own
    # errno, never the consumer's: refused, the consumer gets -EPROTO.
    for status, want_err, want in ((512, errno.EINVAL, -errno.EPROTO),
                                   (4095, errno.EINVAL, -errno.EPROTO),
                                   (133, 0, -133)):
        agent, c, ck = claimed(lst)
        err, ext, _ = agent.do("done", [("cookie", ck), ("status", status)])
        got = c.result()
        check("done status %d: the agent gets %d, the consumer %d" %
              (status, want_err, want), err == want_err and got == want,
              (err, ext, got))

    # 5. No error ack echoes key material, whatever the error: unknown
    # cookie, a request claimed by another socket, a malformed message.
    keys = (b"k" * 16, b"i" * 8, b"s" * 4)
    spec = agent.spec
    sess = spec.encode("handshake", [("session", session())])
    agent, c, ck = claimed(lst)
    cases = (
        ("an unknown cookie", errno.ENOENT,
         spec.encode("handshake", [("cookie", 1), ("status", 0)]) + sess),
        ("a request claimed by another socket", errno.EPERM,
         spec.encode("handshake", [("cookie", ck), ("status", 0)]) + sess),
        ("a cookie of the wrong size", errno.ERANGE,
         spec.encode("handshake", [("cookie", b"\1\2\3\4"), ("status", 0)]) + sess),
    )
    for what, want, payload in cases:
        err, ack = echoed_ack(admin, payload)
        check("done with %s fails (%d)" % (what, want), err == want
              or (want == errno.ERANGE and err == errno.EINVAL), err)
        check("... and its error ack echoes no key",
              not any(k in ack for k in keys), ack.hex())
    agent.do("done", [("cookie", ck), ("status", errno.EACCES)])
    c.result()

    # 6. A consumer cancels from its socket's sk_state_change (softirq,
    # socket spinlock held) when the peer closes; a monitor listens, so
    # the cancel's event is built there too.
    mon = Handshake()
    mon.join("monitor")
    closer = socket.socket()
    closer.bind(("127.0.0.1", 0))
    closer.listen(4)
    c = Consumer(closer, "cancel=close timeout=20000")
    conn, _ = closer.accept()
    agent.wait_request()
    time.sleep(0.3)
    conn.close()
    r = c.results()
    check("a cancel from sk_state_change (softirq) wins",
          r["status"] == str(-errno.ECANCELED) and r["cancel"] == "won" and
          r["callbacks"] == "0", r)
    events = [a.get("event") for op, a in mon.events(1) if op == "event"]
    check("... and the monitor hears of it (event cancelled)",
          EVENT_CANCELLED in events, events)
    closer.close()

    # 7. handshake_req_submit() with the socket lock held: -EDEADLK on a
    # lockdep kernel (a deadlock otherwise, so the demo will not try).
    lockdep = os.path.exists("/proc/lockdep")
    got = write_demo("host=127.0.0.1 port=%d locked=1" % lst.getsockname()[1])
    check("submit under the socket lock gets %s" %
          ("EDEADLK" if lockdep else "EOPNOTSUPP (no lockdep: not tried)"),
          got == -(errno.EDEADLK if lockdep else errno.EOPNOTSUPP), got)

    # 8. handshake_record_type() refuses a control message too short to
    # hold a record type.
    check("handshake_record_type() checks cmsg_len",
          write_demo("check=cmsg") == 0)

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
