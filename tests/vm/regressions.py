# SPDX-License-Identifier: GPL-2.0
"""VM test: the bug classes mainline net/handshake had to fix after it was
merged, each provoked on purpose: an accept whose reply cannot be
delivered (the fd must be released once, not installed, not put twice),
a consumer that drops its socket between queueing and accept, a cancel
called twice, the sign of the status, and a kTLS install that fails
because the peer has gone. Netns drain is tests/vm/t-netns-exit.sh."""
import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake  # noqa: E402
from vmtest import Consumer, DEMO, check, failures, listener, pending, session, write_demo  # noqa: E402

SO_COOKIE = 57


def cookie_of(fd):
    s = socket.socket(fileno=os.dup(fd))
    try:
        return struct.unpack("=Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    finally:
        s.close()






def result():
    return dict(l.rstrip("\n").partition("=")[::2] for l in open(DEMO + "/result"))


def main():
    lst = listener()
    port = lst.getsockname()[1]
    admin = Handshake()

    # 1. The accept reply cannot be queued (the claimant's receive buffer
    # is full of request events): the claim is undone, the reserved fd is
    # released exactly once and no fd is installed.
    small = Handshake()
    small.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    small.join("tls")
    consumers = [Consumer(lst, "timeout=60000") for _ in range(8)]
    cookies = pending(admin, 8)
    fds = sorted(os.listdir("/proc/self/fd"))
    small.sock.settimeout(2)
    outcome = "reply"
    try:
        small.do("accept", [("cookie", cookies[0])])
    except socket.timeout:
        outcome = "no reply"
    except OSError as e:
        outcome = "error %d" % e.errno
    check("an accept into a full receive buffer gets no reply", outcome != "reply",
          outcome)
    check("... and leaves no fd behind", sorted(os.listdir("/proc/self/fd")) == fds)
    err, _, g = admin.do("get", [("cookie", cookies[0])])
    check("... the request is pending again", not err and g[0]["state"] == 1, g)
    err, _, rep = admin.do("accept", [("cookie", cookies[0])])
    check("... and another agent claims it with a working fd",
          not err and cookie_of(rep[0]["sockfd"]) == cookies[0], err)
    admin.do("done", [("cookie", cookies[0]), ("status", errno.EACCES)])
    os.close(rep[0]["sockfd"])
    small.sock.close()
    for c in cookies[1:]:
        admin.do("cancel", [("cookie", c)])
    for c in consumers:
        c.result()

    agent = Handshake()
    agent.join("tls")

    # 2. The consumer drops its socket between queueing and accept: the
    # request's own reference keeps it alive for the agent.
    check("async submit with the consumer's reference dropped",
          write_demo("host=127.0.0.1 port=%d async=1 release=1 timeout=30000" % port) == 0)
    cookie = agent.wait_request()
    err, _, rep = agent.do("accept", [("cookie", cookie)])
    check("accept after the consumer let go gets the live socket",
          not err and cookie_of(rep[0]["sockfd"]) == cookie, err)
    err, _, _ = agent.do("done", [("cookie", cookie), ("status", errno.EACCES)])
    os.close(rep[0]["sockfd"])
    time.sleep(0.5)
    r = result()
    check("... and its done reaches the consumer once, with the sign right",
          err == 0 and r["cookie"] == str(cookie) and
          r["status"] == str(-errno.EACCES) and r["callbacks"] == "1", r)

    # ... and the same, cancelled by the operator before anyone claimed it.
    write_demo("host=127.0.0.1 port=%d async=1 release=1 timeout=30000" % port)
    cookie = agent.wait_request()
    check("operator cancel of a request whose consumer let go",
          agent.do("cancel", [("cookie", cookie)])[0] == 0)
    time.sleep(0.5)
    check("... ends it with -ECANCELED", result()["status"] == str(-errno.ECANCELED))

    # 3. Cancel twice: the second must lose.
    c = Consumer(lst, "cancel=200 timeout=20000")
    agent.wait_request()
    r = c.results()
    check("a second cancel of the same request loses", r["cancel"] == "won", r)

    # 4. kTLS cannot be installed (the peer closed the connection before
    # done): the agent hears why, the consumer gets the error, once.
    fresh = listener()  # its only connection is this consumer's
    c = Consumer(fresh, "timeout=20000")
    cookie = agent.wait_request()
    peer, _ = fresh.accept()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # a reset: the consumer's socket is closed
    time.sleep(0.3)
    err, _, rep = agent.do("accept", [("cookie", cookie)])
    os.close(rep[0]["sockfd"])
    err, ext, _ = agent.do("done", [("cookie", cookie), ("status", 0),
                                    ("session", session())])
    check("done on a socket kTLS cannot take: an error naming the install",
          err != 0 and "kTLS" in ext, (err, ext))
    r = c.results()
    check("... and the consumer gets that error, once",
          r["status"] == str(-err) and r["callbacks"] == "1", (err, r))

    if failures:
        sys.exit("%d checks failed" % len(failures))


main()
