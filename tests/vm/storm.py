# SPDX-License-Identifier: GPL-2.0
"""VM test: a fault storm. Many handshakes at once (the demo's clients and
its in-kernel echo server, so both roles) while the agent is SIGKILLed and
restarted at random, consumers cancel at random and a peer resets
connections at random. Passes if nothing is lost: every request the demo
submitted ended in exactly one callback or in a cancel that won, the
kernel's counters balance, nothing is left pending, and a normal
handshake works afterwards.

    STORM=N   connects (default 150; each to the echo server is two
              requests); STORM_SEED for a repeatable run."""
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake  # noqa: E402
from vmtest import Consumer, DEMO, check, failures, listener  # noqa: E402

N = int(os.environ.get("STORM", "150"))
SEED = int(os.environ.get("STORM_SEED", str(int(time.time()))))
AGENT = [os.environ["HANDSHAKED"], "-c", os.environ.get("PKI", "/tmp/pki") + "/agent.conf"]
ECHO = int(open("/sys/module/handshake_demo/parameters/echo_port").read())


def counters():
    return {k: int(v) for k, v in
            (l.strip().split("=") for l in open(DEMO + "/counters"))}


class Agent:
    """handshaked, killed and restarted by the storm."""

    def __init__(self):
        self.proc, self.kills = None, 0
        self.start()

    def start(self):
        """Starts the agent and waits until it says it is ready: before
        that, a submit finds nobody in the group (ESRCH)."""
        path = os.environ.get("LOGDIR", "/tmp/log") + "/storm-agent.log"
        log = open(path, "a")
        seen = log.tell()
        self.proc = subprocess.Popen(AGENT, stdout=log, stderr=log)
        end = time.monotonic() + 20
        while "ready" not in open(path).read()[seen:]:
            if time.monotonic() > end or self.proc.poll() is not None:
                sys.exit("handshaked did not become ready")
            time.sleep(0.05)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1


def resetter(lst, stop, rng, count):
    """Accepts connections and resets each after a random delay."""
    lst.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = lst.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        threading.Timer(rng.uniform(0, 1.0), conn.close).start()
        count[0] += 1


def main():
    rng = random.Random(SEED)
    print("seed", SEED, "connects", N)
    timeout_param = "/sys/module/handshake/parameters/default_timeout_ms"
    old_timeout = open(timeout_param).read().strip()
    open(timeout_param, "w").write("30000")
    before_demo = counters()
    admin = Handshake()
    before = admin.do("stats")[2][0]["stats"]

    agent = Agent()
    stop = threading.Event()
    resets = [0]
    rst = listener()
    threading.Thread(target=resetter, args=(rst, stop, rng, resets), daemon=True).start()

    consumers, kinds = [], {"echo": 0, "cancel": 0, "reset": 0}
    for _ in range(N):
        kind = rng.choices(["echo", "cancel", "reset"], [6, 2, 2])[0]
        kinds[kind] += 1
        if kind == "reset":
            consumers.append(Consumer(rst, "timeout=30000"))
        else:
            extra = "timeout=30000 message=storm"
            if kind == "cancel":
                extra = "cancel=%d %s" % (rng.randrange(0, 3000), extra)
            consumers.append(Consumer(ECHO, extra))

    # The chaos: kill the agent now and then while the connects run; the
    # first time early, while most of them still run.
    delay = rng.uniform(0.1, 0.5)
    while any(c.proc.poll() is None for c in consumers):
        time.sleep(delay)
        if any(c.proc.poll() is None for c in consumers):
            agent.kill()
            time.sleep(rng.uniform(0, 0.5))
            agent.start()
        delay = rng.uniform(0.5, 2.5)
    stop.set()
    ok = sum(c.proc.wait() == 0 for c in consumers)

    # Quiescence: the echo server's own requests end after their clients.
    end = time.monotonic() + 60
    while time.monotonic() < end:
        demo = counters()
        if admin.do("get", dump=True)[2] == [] and \
                demo["submitted"] == demo["callbacks"] + demo["cancelled"]:
            break
        time.sleep(0.5)
    demo = {k: counters()[k] - before_demo[k] for k in before_demo}
    after = admin.do("stats")[2][0]["stats"]
    moved = {k: after[k] - before[k] for k in after if k not in ("pending", "pending-limit")}
    print("connects %s: %d succeeded end to end; agent SIGKILLed %d times; "
          "%d connections reset" % (kinds, ok, agent.kills, resets[0]))
    print("demo requests:", demo)
    print("kernel counters moved:", moved, "pending now", after["pending"])

    check("every request ended in exactly one callback or a cancel that won",
          demo["submitted"] == demo["callbacks"] + demo["cancelled"], demo)
    check("the kernel's counters balance",
          moved["submitted"] == moved["succeeded"] + moved["failed"] +
          moved["timed-out"] + moved["cancelled"] + moved["claimant-lost"], moved)
    check("nothing is left pending or claimed",
          after["pending"] == 0 and admin.do("get", dump=True)[2] == [])
    check("the storm did hit: kills, cancels and resets happened",
          agent.kills > 0 and moved["claimant-lost"] + moved["cancelled"] > 0 and
          resets[0] > 0, (agent.kills, moved, resets))
    check("some handshakes got through the storm", ok > 0, ok)

    c = Consumer(ECHO, "timeout=30000 message=after the storm")
    r = c.results(60)
    check("a normal handshake works afterwards", r["status"] == "0",
          (r, agent.proc.poll()))
    agent.proc.terminate()
    agent.proc.wait()
    open(timeout_param, "w").write(old_timeout)
    if failures:
        sys.exit("%d checks failed" % len(failures))


main()
