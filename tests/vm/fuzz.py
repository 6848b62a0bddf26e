# SPDX-License-Identifier: GPL-2.0
"""VM test: netlink fuzzing of the handshake family while real handshakes
run. An admin socket sends FUZZ messages (default 100000; FUZZ=N for
a longer run): random commands, flags and versions; random, truncated,
oversized and badly nested attributes; well-formed messages with hostile
values; done for requests it never claimed (the real ones' cookies);
accept storms. Passes if every real handshake completes, the kernel
answers to the end, and (checked by the test runner and at unload) the
kernel log stays clean and no request leaks."""
import errno
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake, NLA_F_NESTED, _attr  # noqa: E402
from vmtest import Consumer, check, failures, session  # noqa: E402

COUNT = int(os.environ.get("FUZZ", "100000"))
SEED = int(os.environ.get("FUZZ_SEED", str(int(time.time()))))
ECHO = int(open("/sys/module/handshake_demo/parameters/echo_port").read())


def random_attrs(rng, depth=0):
    """Attributes of random types and sizes, some nested, some broken."""
    out = b""
    for _ in range(rng.randrange(0, 6)):
        typ = rng.randrange(0, 40)
        shape = rng.random()
        if shape < 0.15 and depth < 3:
            payload = random_attrs(rng, depth + 1)
            out += _attr(typ | NLA_F_NESTED, payload)
        elif shape < 0.25:
            # A header whose length runs past the end, or below 4.
            out += struct.pack("=HH", rng.choice([0, 1, 3, 4000, 65535]), typ)
            out += rng.randbytes(rng.randrange(0, 8))
        elif shape < 0.3:
            out += rng.randbytes(rng.randrange(1, 7))  # not even a header
        else:
            out += _attr(typ | rng.choice([0, 0, NLA_F_NESTED, 1 << 14]),
                         rng.randbytes(rng.choice([0, 1, 2, 4, 8, 12, 16, 32,
                                                   rng.randrange(0, 600)])))
    return out


def hostile_done(rng, nl, cookies):
    """A well-formed done with hostile values, often for a real request."""
    cookie = rng.choice(cookies) if cookies and rng.random() < 0.5 else rng.getrandbits(64)
    attrs = [("cookie", cookie), ("status", rng.choice([0, 1, 13, 4095, 4096, 2**31]))]
    if rng.random() < 0.8:
        attrs.append(("session", session(
            cipher=rng.choice([51, 52, 54, 0, 65535]), key=rng.randrange(0, 40),
            iv=rng.randrange(0, 16), salt=rng.randrange(0, 6),
            seq=rng.randrange(0, 10), version=rng.choice([0x303, 0x304, 0, 0xffff]),
            rx=rng.random() < 0.7)))
    return nl.spec.ops["done"], nl.spec.encode("handshake", attrs)


def send_raw(nl, family, cmd, version, flags, payload):
    body = struct.pack("=BBH", cmd, version, 0) + payload
    nl.sock.send(struct.pack("=IHHII", 16 + len(body), family, flags, 1, 0) + body)


def real_handshakes(results, stop):
    """Real connects to the demo's echo server, one after another."""
    while not stop.is_set():
        results.append(Consumer(ECHO, "timeout=60000 message=real").result(120))


def main():
    rng = random.Random(SEED)
    print("seed", SEED, "messages", COUNT)
    log = open(os.environ.get("LOGDIR", "/tmp/log") + "/fuzz-agent.log", "a")
    agent = subprocess.Popen([os.environ["HANDSHAKED"], "-c",
                              os.environ.get("PKI", "/tmp/pki") + "/agent.conf"],
                             stdout=log, stderr=log)
    fuzzer = Handshake()
    fuzzer.sock.setblocking(False)
    admin = Handshake()
    # Start from a quiet table: the agent is up and has served whatever
    # earlier tests left pending (their consumers' sockets may be gone).
    end = time.monotonic() + 120
    while True:
        with open(log.name) as f:
            ready = "info: ready" in f.read()
        if ready and not admin.do("get", dump=True)[2]:
            break
        if time.monotonic() > end:
            check("the agent is ready and the table quiet within 120 s", False)
            agent.terminate()
            agent.wait()
            sys.exit(1)
        time.sleep(0.2)
    results, stop = [], threading.Event()
    real = threading.Thread(target=real_handshakes, args=(results, stop))
    real.start()

    ops = list(fuzzer.spec.ops.values())
    sent = 0
    t0 = time.monotonic()
    cookies = []
    while sent < COUNT:
        if sent % 200 == 0:
            cookies = [r["cookie"] for r in admin.do("get", dump=True)[2]]
        r = rng.random()
        family, version = fuzzer.family, fuzzer.spec.version
        flags = 1 | rng.choice([0, 4, 4, 0x300, 0x100, rng.getrandbits(16)])
        if r < 0.35:
            cmd, payload = rng.choice(ops + [0, 99, 255]), random_attrs(rng)
            version = rng.choice([version, version, 0, 1, 255])
        elif r < 0.6:
            cmd, payload = hostile_done(rng, fuzzer, cookies)
        elif r < 0.8:
            # An accept storm on cookies nobody submitted.
            cmd = fuzzer.spec.ops["accept"]
            payload = fuzzer.spec.encode("handshake", [("cookie", rng.getrandbits(64))])
        elif r < 0.9:
            cmd = rng.choice([fuzzer.spec.ops["get"], fuzzer.spec.ops["cancel"]])
            payload = fuzzer.spec.encode("handshake", [("cookie", rng.getrandbits(64))])
        else:
            # Not our family at all, or a header that lies about its length.
            family = rng.choice([family, 16, rng.randrange(17, 0x10000)])
            cmd, payload = rng.randrange(0, 256), rng.randbytes(rng.randrange(0, 64))
        try:
            send_raw(fuzzer, family, cmd, version, flags, payload)
        except OSError:
            pass
        sent += 1
        # Drain whatever came back; a full buffer only loses our replies.
        while True:
            try:
                fuzzer.sock.recv(1 << 16)
            except (BlockingIOError, OSError):
                break
    elapsed = time.monotonic() - t0
    stop.set()
    real.join()
    err, _, _ = admin.do("stats")
    agent.terminate()
    agent.wait()
    print("sent %d messages in %.0f s; %d real handshakes meanwhile, %d failed"
          % (sent, elapsed, len(results), sum(1 for x in results if x != 0)))
    check("the kernel still answers", err == 0, err)
    check("real handshakes ran during the fuzzing", len(results) > 0)
    check("every real handshake completed", all(x == 0 for x in results), results)
    check("nothing is left live", admin.do("get", dump=True)[2] == [])
    if failures:
        sys.exit("%d checks failed" % len(failures))


main()
