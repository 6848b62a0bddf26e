# SPDX-License-Identifier: GPL-2.0
"""VM test: the consumer API's promises, through the demo module's cancel=
and dup= options, with a raw netlink client as the agent: cancel before
accept, after accept and after done (its return value and exactly one
callback or none), a second submit for one socket, the pending limit, and
network namespace isolation."""
import ctypes
import errno
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake  # noqa: E402
from vmtest import Consumer, check, failures, listener  # noqa: E402

LIMIT = "/sys/module/handshake/parameters/pending_limit"


def process_keyring():
    """Serials linked in this process's keyring (keyctl(KEYCTL_READ))."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = (ctypes.c_int32 * 64)()
    n = libc.syscall(250, 11, -2, buf, ctypes.sizeof(buf))  # SYS_keyctl
    return list(buf[:max(n, 0) // 4])


def stats(nl):
    return nl.do("stats")[2][0]["stats"]


def main():
    lst = listener()
    agent = Handshake()
    agent.join("tls")
    before = stats(agent)

    # Cancel before any agent claimed it: won, no callback.
    c = Consumer(lst, "cancel=300 timeout=20000")
    cookie = agent.wait_request()
    r = c.results()
    check("cancel before accept wins", r["cancel"] == "won", r)
    check("... and the callback never runs", r["callbacks"] == "0", r)
    check("... an agent can no longer claim it",
          agent.do("accept", [("cookie", cookie)])[0] == errno.ENOENT)

    # Cancel after the claim, before done: still won; the done is too late.
    c = Consumer(lst, "cancel=1000 timeout=20000")
    cookie = agent.wait_request()
    err, _, rep = agent.do("accept", [("cookie", cookie)])
    check("claimed", err == 0, err)
    r = c.results()
    check("cancel after accept wins", r["cancel"] == "won", r)
    check("... and the callback never runs", r["callbacks"] == "0", r)
    err, _, _ = agent.do("done", [("cookie", cookie), ("status", errno.EACCES)])
    check("... the claimant's done gets ENOENT", err == errno.ENOENT, err)
    os.close(rep[0]["sockfd"])

    # Cancel after done: lost, exactly one callback with the agent's status.
    c = Consumer(lst, "cancel=3000 timeout=20000")
    cookie = agent.wait_request()
    err, _, rep = agent.do("accept", [("cookie", cookie)])
    agent.do("done", [("cookie", cookie), ("status", errno.EACCES)])
    os.close(rep[0]["sockfd"])
    r = c.results()
    check("cancel after done loses", r["cancel"] == "lost", r)
    check("... the callback ran exactly once", r["callbacks"] == "1", r)
    check("... with the agent's status", r["status"] == str(-errno.EACCES), r)

    # A second request for the same socket is refused while one is live.
    c = Consumer(lst, "dup=1 cancel=300 timeout=20000")
    agent.wait_request()
    r = c.results()
    check("a second submit for one socket gets -EBUSY",
          r["dup_status"] == str(-errno.EBUSY), r)
    check("... and the first is unharmed (cancel wins, no callback)",
          r["cancel"] == "won" and r["callbacks"] == "0", r)

    after = stats(agent)
    check("stats: four submitted, three cancelled by their consumers, one failed",
          after["submitted"] - before["submitted"] == 4 and
          after["cancelled"] - before["cancelled"] == 3 and
          after["failed"] - before["failed"] == 1 and after["pending"] == 0,
          (before, after))

    # A consumer's keyring is linked into the claimant's process keyring.
    ring = int(subprocess.run(["keyctl", "newring", "hs-test-ring", "@u"],
                              capture_output=True, text=True, check=True).stdout)
    c = Consumer(lst, "keyring=%d timeout=20000" % ring)
    cookie = agent.wait_request()
    err, _, rep = agent.do("accept", [("cookie", cookie)])
    check("accept reply names the consumer's keyring",
          not err and rep[0].get("keyring") == ring, (err, rep))
    check("... which is now in the claimant's process keyring",
          ring in process_keyring())
    agent.do("done", [("cookie", cookie), ("status", errno.EACCES)])
    os.close(rep[0]["sockfd"])
    c.result()

    # The pending limit: the third request of a limit of two is refused.
    old = open(LIMIT).read().strip()
    open(LIMIT, "w").write("2")
    try:
        held = [Consumer(lst, "timeout=20000") for _ in range(2)]
        cookies = [agent.wait_request() for _ in held]
        c = Consumer(lst, "timeout=20000")
        check("over the pending limit: -EAGAIN", c.result() == -errno.EAGAIN)
        for ck in cookies:
            agent.do("cancel", [("cookie", ck)])
        for h in held:
            check("held request cancelled by the operator",
                  h.result() == -errno.ECANCELED)
    finally:
        open(LIMIT, "w").write(old)

    # Network namespaces: B's agent neither sees nor claims A's requests,
    # and a consumer in B has no agent although A has one.
    ns = "hs-test-b"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        c = Consumer(lst, "timeout=20000")
        cookie = agent.wait_request()
        probe = subprocess.run(
            ["ip", "netns", "exec", ns, "python3", "-c", """
import errno, sys
sys.path.insert(0, "tests/vm")
from nlclient import Handshake
b = Handshake(); b.join("tls")
err, _, reqs = b.do("get", dump=True)
assert err == 0 and reqs == [], (err, reqs)
assert b.do("accept", [("cookie", %d)])[0] == errno.ENOENT
assert b.do("get", [("cookie", %d)])[0] == errno.ENOENT
assert b.do("cancel", [("cookie", %d)])[0] == errno.ENOENT
""" % (cookie, cookie, cookie)], capture_output=True, text=True)
        check("an agent in another netns neither sees nor claims the request",
              probe.returncode == 0, probe.stderr)
        err, _, g = agent.do("get", [("cookie", cookie)])
        check("... it is still pending in its own", not err and g[0]["state"] == 1)
        agent.do("cancel", [("cookie", cookie)])
        c.result()

        srv = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c", """
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4490)); s.listen(4); time.sleep(30)
"""])
        for _ in range(100):
            ss = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hltn",
                                 "sport = :4490"], capture_output=True, text=True)
            if "LISTEN" in ss.stdout:
                break
            time.sleep(0.1)
        c = Consumer(4490, "timeout=5000", netns=ns)
        r = c.results()
        check("a consumer in a netns with no agent gets -ESRCH",
              r["status"] == str(-errno.ESRCH), r)
        srv.kill()
        srv.wait()
    finally:
        subprocess.run(["ip", "netns", "del", ns])

    if failures:
        sys.exit("%d checks failed" % len(failures))


main()
