# SPDX-License-Identifier: GPL-2.0
"""What the Python VM tests share: named checks, and the demo module as a
consumer connected to a TCP listener that never speaks TLS (the kernel
only needs an established connection to queue a request)."""
import socket
import subprocess
import time

DEMO = "/sys/kernel/debug/handshake_demo"
failures = []


def check(what, cond, detail=""):
    """Prints one named check; a failed one is remembered in failures."""
    print("%s: %s%s" % ("ok" if cond else "FAILED", what,
                        (" (%r)" % (detail,)) if detail and not cond else ""),
          flush=True)
    if not cond:
        failures.append(what)
    return cond


class Consumer:
    """One demo client connect running in the background."""

    def __init__(self, listener, extra="", netns=None):
        """listener: a socket, or a port number; netns: connect from there."""
        port = listener if isinstance(listener, int) else listener.getsockname()[1]
        line = "host=127.0.0.1 port=%d peername=localhost %s" % (port, extra)
        # Not "ip netns exec": it mounts a new /sys, without debugfs.
        prefix = ["nsenter", "--net=/run/netns/" + netns] if netns else []
        self.proc = subprocess.Popen(
            prefix + ["sh", "-c", 'printf "%%s\\n" "%s" > %s/connect' % (line, DEMO)],
            stderr=subprocess.DEVNULL)

    def results(self, timeout=30):
        """Every key of the demo's result once this consumer has ended."""
        self.proc.wait(timeout)
        res = {}
        for line in open(DEMO + "/result"):
            k, _, v = line.rstrip("\n").partition("=")
            res[k] = v
        return res

    def result(self, timeout=30):
        """The status (0 or -errno) the consumer ended with."""
        return int(self.results(timeout)["status"])


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def session(cipher=51, key=16, iv=8, salt=4, seq=8, version=0x304, rx=True):
    """A done's session attribute: right by default, wrong where asked."""
    d = [("key", b"k" * key), ("iv", b"i" * iv), ("salt", b"s" * salt),
         ("rec-seq", b"\0" * seq)]
    s = [("tls-version", version), ("cipher", cipher), ("tx", d)]
    return s + ([("rx", d)] if rx else [])


def write_demo(line):
    """Writes one line to the demo's connect file: 0 or -errno."""
    try:
        with open(DEMO + "/connect", "w") as f:
            f.write(line + "\n")
        return 0
    except OSError as e:
        return -e.errno


def pending(nl, n, timeout=20):
    """Cookies of the pending requests (a get dump on nl), once there are
    n of them."""
    cookies = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        _, _, reqs = nl.do("get", dump=True)
        cookies = [r["cookie"] for r in reqs if r["state"] == 1]
        if len(cookies) >= n:
            return cookies
        time.sleep(0.1)
    raise TimeoutError("only %d of %d requests pending" % (len(cookies), n))
