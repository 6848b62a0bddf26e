# SPDX-License-Identifier: GPL-2.0
"""VM test: the kernel's side of the protocol, driven by a raw netlink
client standing in for the agent (tests/vm/nlclient.py), with the demo
module as the consumer. Each check names what it proves."""
import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake  # noqa: E402
from vmtest import Consumer, check, failures, listener, session  # noqa: E402

SO_COOKIE = 57


def stats(nl):
    err, _, r = nl.do("stats")
    assert not err, err
    return r[0]["stats"]


def claimed(agent, lst, extra=""):
    """A consumer whose request the agent socket has claimed."""
    c = Consumer(lst, extra)
    cookie = agent.wait_request()
    err, ext, reply = agent.do("accept", [("cookie", cookie)])
    assert not err, (err, ext)
    return c, cookie, reply[0]


def main():
    lst = listener()
    agent = Handshake()
    agent.join("tls")
    before = stats(agent)

    # accept: the reply describes the request and carries a working fd.
    c, cookie, r = claimed(agent, lst, "timeout=20000")
    check("accept reply names the request", r.get("cookie") == cookie and
          r.get("role") == 1 and r.get("auth") == 3 and
          r.get("peername") == "localhost", r)
    check("accept reply has time left", 0 < r.get("timeout-ms", 0) <= 20000, r)
    fd = r["sockfd"]
    got = struct.unpack("=Q", socket.socket(fileno=os.dup(fd)).getsockopt(
        socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    check("the installed fd is the consumer's socket (SO_COOKIE)", got == cookie)
    check("the fd is close-on-exec", os.get_inheritable(fd) is False)
    err, _, _ = agent.do("accept", [("cookie", cookie)])
    check("a second accept gets ENOENT", err == errno.ENOENT, err)
    err, _, g = agent.do("get", [("cookie", cookie)])
    check("get shows it claimed by this process",
          not err and g[0].get("state") == 2 and
          g[0].get("claimant-pid") == os.getpid(), (err, g))

    other = Handshake()
    err, ext, _ = other.do("done", [("cookie", cookie), ("status", 0)])
    check("done from another socket gets EPERM with a message",
          err == errno.EPERM and "claimed" in ext, (err, ext))
    err, ext, _ = agent.do("done", [("cookie", cookie), ("status", errno.EACCES)])
    check("done with a failure status is taken", err == 0, (err, ext))
    check("the consumer gets that status", c.result() == -errno.EACCES)
    err, ext, _ = agent.do("done", [("cookie", cookie), ("status", 0)])
    check("a late done gets ENOENT", err == errno.ENOENT and ext, (err, ext))
    os.close(fd)

    # Malformed done: EINVAL with a message naming it; the consumer fails.
    cases = [
        ("key length", session(key=32), "key length"),
        ("unknown cipher", session(cipher=99), "cipher"),
        ("missing rx", session(rx=False), "rx"),
        ("iv length", session(iv=12), "iv length"),
        ("salt for chacha", session(cipher=54, key=32, iv=12, salt=4), "salt"),
        ("tls version", session(version=0x302), "tls-version"),
        ("rec-seq length", session(seq=7), "rec-seq"),
        ("oversized key", session(key=4000), "key length"),
        ("no session", None, "session"),
    ]
    for name, sess, word in cases:
        c, cookie, r = claimed(agent, lst)
        attrs = [("cookie", cookie), ("status", 0)]
        if sess:
            attrs.append(("session", sess))
        err, ext, _ = agent.do("done", attrs)
        os.close(r["sockfd"])
        check("malformed done (%s): EINVAL naming it" % name,
              err == errno.EINVAL and word in ext, (err, ext))
        check("malformed done (%s): consumer fails with EPROTO" % name,
              c.result() == -errno.EPROTO)
    c, cookie, r = claimed(agent, lst)
    err, ext, _ = agent.do("done", [("cookie", cookie), ("status", 5000)])
    os.close(r["sockfd"])
    check("status out of range: EINVAL", err == errno.EINVAL and "errno" in ext,
          (err, ext))
    check("status out of range: consumer fails", c.result() == -errno.EPROTO)

    # Rejected by the policy before the handler: the request stays claimed.
    c, cookie, r = claimed(agent, lst, "timeout=3000")
    err, ext, _ = agent.do("done", [("cookie", cookie), ("status", b"\0\0")])
    check("a 2-byte u32: EINVAL", err == errno.EINVAL and ext, (err, ext))
    err, _, g = agent.do("get", [("cookie", cookie)])
    check("... and the request is still claimed", not err and g[0]["state"] == 2)
    err, ext = agent.raw(99, b"")
    check("an unknown command is refused", err == errno.EOPNOTSUPP, err)
    err, ext, _ = agent.do("accept")
    check("accept without cookie: EINVAL naming it", err == errno.EINVAL, (err, ext))
    err, ext = agent.raw(agent.spec.ops["accept"], b"\x05\x00\x01")
    check("a truncated attribute is refused", err == errno.EINVAL, (err, ext))
    os.close(r["sockfd"])
    check("claimed, no done: the kernel times it out", c.result() == -errno.ETIMEDOUT)

    # Unclaimed requests: operator cancel and timeout.
    c = Consumer(lst)
    cookie = agent.wait_request()
    err, _, g = agent.do("get", dump=True)
    check("the dump lists the pending request",
          not err and any(x["cookie"] == cookie and x["state"] == 1 for x in g), g)
    err, _, _ = agent.do("cancel", [("cookie", cookie)])
    check("operator cancel succeeds", err == 0, err)
    check("the consumer gets ECANCELED", c.result() == -errno.ECANCELED)
    err, _, _ = agent.do("cancel", [("cookie", cookie)])
    check("cancelling again gets ENOENT", err == errno.ENOENT, err)

    c = Consumer(lst, "timeout=1000")
    agent.wait_request()
    t0 = time.monotonic()
    check("nobody claims: the consumer gets ETIMEDOUT",
          c.result() == -errno.ETIMEDOUT)
    check("... after its 1 s limit", 0.9 < time.monotonic() - t0 < 5)

    # The claimant's netlink socket goes away: its requests fail at once.
    claimant = Handshake()
    c = Consumer(lst, "timeout=60000")
    cookie = agent.wait_request()
    err, _, r = claimant.do("accept", [("cookie", cookie)])
    os.close(r[0]["sockfd"])
    t0 = time.monotonic()
    claimant.sock.close()
    check("claimant gone: the consumer gets ECONNABORTED",
          c.result() == -errno.ECONNABORTED)
    check("... within 1 s", time.monotonic() - t0 < 1.0)

    after = stats(agent)
    moved = {k: after[k] - before.get(k, 0) for k in after
             if k not in ("pending", "pending-limit")}
    check("stats count what happened",
          moved.get("submitted") == 15 and moved.get("failed") == 11 and
          moved.get("cancelled") == 1 and moved.get("timed-out") == 2 and
          moved.get("claimant-lost") == 1 and after["pending"] == 0, moved)

    # Without CAP_NET_ADMIN: no claims, no group, but the counters.
    pid = os.fork()
    if pid == 0:
        os.setgid(65534)
        os.setuid(65534)
        nobody = Handshake()
        ok = nobody.do("accept", [("cookie", 1)])[0] == errno.EPERM
        ok &= nobody.do("done", [("cookie", 1), ("status", 1)])[0] == errno.EPERM
        ok &= nobody.do("get", dump=True)[0] == errno.EPERM
        ok &= nobody.do("cancel", [("cookie", 1)])[0] == errno.EPERM
        ok &= nobody.do("stats")[0] == 0
        for group in ("tls", "monitor"):
            try:
                nobody.join(group)
                ok = False
            except PermissionError:
                pass
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    check("an unprivileged user is denied every request command and both groups",
          status == 0)

    if failures:
        sys.exit("%d checks failed" % len(failures))


main()
