#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark inside the VM (tools/vm-run; started by bench/run).

Runs the same TLS 1.3 handshakes (one priority string: AES-128-GCM,
X25519; the test CA's ECDSA P-256 server certificate, verified against
the name "localhost") two ways against the same bench-server:
the kernel path (handshake_demo's count= batches, served by handshaked)
and the baseline (bench-client, GnuTLS in user space). The two CPUs of
the VM play two machines: everything on the client side (handshaked, the
baseline client, the kernel's unbound work items) runs on CPU 0, the
server on CPU 1, so that neither path competes with the server for CPU
time, and the client side is what is measured. Prints the figures
as a table, each with its kernel-path/baseline ratio, and every measured
latency as a "latency PATH FIGURE NS" line for the plot.

  bench/guest.py [--smoke]

--smoke: a few handshakes of each kind, to show the harness works.
Exits non-zero if a handshake that should have succeeded failed.
"""
import atexit
import os
import resource
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "vm"))
from nlclient import Handshake  # noqa: E402

DEMO = "/sys/kernel/debug/handshake_demo"
PKI = "/tmp/pki"
LOGDIR = "/tmp/log"
PRIORITY = ("NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
            "-MAC-ALL:+AEAD:-GROUP-ALL:+GROUP-X25519")
PORT, STALL_PORT, SINK_PORT = 5443, 5444, 5445
BUILD = os.environ["BUILD"]
SERVER = BUILD + "/bench/bench-server"
CLIENT = BUILD + "/bench/bench-client"
SERVER_SIDE = ["taskset", "-c", "1"]

SMOKE = "--smoke" in sys.argv[1:]
# P1: sequential handshakes per path, in alternating rounds (drift hits
# both paths alike); P2: concurrency and handshakes per path; P3: in
# flight; P5: pending requests compared, and submits/claims timed.
P1_ROUNDS, P1_PER_ROUND = (1, 3) if SMOKE else (12, 20)
# Before each P1 handshake: the client side is idle when it starts, not
# still finishing the one before (the agent's clean-up after its done).
P1_PAUSE_MS = 10
P2_CONC, P2_ROUNDS, P2_PER_ROUND = (4, 1, 8) if SMOKE else (64, 3, 128)
P3_INFLIGHT = 20 if SMOKE else 1000
P5_PENDING = (10, 100) if SMOKE else (10, 10000)
P5_TIMED = 5 if SMOKE else 200


def die(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def log(msg):
    print("# " + msg, flush=True)


def parse_kv(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def percentile(xs, p):
    """Nearest rank, as the demo module and bench-client compute it."""
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * p // 100) - 1)]


# --- set-up ---------------------------------------------------------------

def setup():
    os.makedirs(LOGDIR, exist_ok=True)
    # The test PKI and an agent configuration trusting it (tests/vm/lib.sh),
    # with the benchmark's priority string and one worker per CPU.
    conf = PKI + "/bench.conf"
    subprocess.run(["bash", "-c", '. tests/vm/lib.sh && trap - EXIT && pki_make && '
                    'agent_conf "$0" "priority = $1"', conf, PRIORITY], check=True)
    if os.cpu_count() < 2:
        die("the benchmark needs two CPUs (client side, server side)")
    # One worker: the client side has one CPU.
    with open(conf, "a") as f:
        f.write("[global]\nworkers = 1\n")
    # This process and what it starts, but for the server, run on CPU 0;
    # so do unbound work items (the demo's batches, handshake.ko's).
    os.sched_setaffinity(0, {0})
    wq_mask = "/sys/devices/virtual/workqueue/cpumask"
    old_mask = open(wq_mask).read()
    atexit.register(lambda: open(wq_mask, "w").write(old_mask))
    with open(wq_mask, "w") as f:
        f.write("1")
    # Room for 10,000 pending requests and as many queued connections.
    limit = "/sys/module/handshake/parameters/pending_limit"
    old = open(limit).read()
    atexit.register(lambda: open(limit, "w").write(old))
    with open(limit, "w") as f:
        f.write("20000")
    with open("/proc/sys/net/core/somaxconn", "w") as f:
        f.write("65535")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return conf


def wait_for(what, cond, timeout):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            die("timed out waiting for " + what)
        time.sleep(0.1)


class Proc:
    """A background process whose output goes to a log file; it does not
    outlive the benchmark, however that ends."""

    def __init__(self, name, argv, ready=None):
        self.log = "%s/%s.log" % (LOGDIR, name)
        self.name = name
        self.proc = subprocess.Popen(argv, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        if ready:
            wait_for(name + " to be ready",
                     lambda: self.proc.poll() is None and ready in open(self.log).read()
                     or self.proc.poll() is not None, 20)
            if self.proc.poll() is not None:
                die("%s exited: %s" % (name, open(self.log).read()[-2000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def server(stall=False):
    if stall:
        return Proc("stall", SERVER_SIDE + [SERVER, "--port", str(STALL_PORT), "--stall"], "ready")
    return Proc("server", SERVER_SIDE + [SERVER, "--port", str(PORT), "--priority", PRIORITY,
                           "--cert", PKI + "/server.pem", "--key", PKI + "/server.key"],
                "ready")


def agent(conf):
    return Proc("agent", [os.environ["HANDSHAKED"], "-c", conf], "ready")


# --- the two paths ----------------------------------------------------------

def kernel_batch(count, conc, port=PORT, extra="", pause=0):
    if pause:
        extra += " pause=%d" % pause
    line = ("host=127.0.0.1 port=%d peername=localhost timeout=300000 "
            "count=%d concurrency=%d %s\n" % (port, count, conc, extra))
    try:
        with open(DEMO + "/connect", "w") as f:
            f.write(line)
    except OSError as e:
        res = parse_kv(open(DEMO + "/result").read())
        die("kernel path: %s (%s)" % (e, res))
    res = parse_kv(open(DEMO + "/result").read())
    lat = [int(l) for l in open(DEMO + "/latencies")]
    return res, lat


def baseline_batch(count, conc, port=PORT, pause=0):
    latfile = "/tmp/bench-latencies"
    out = subprocess.run([CLIENT, "--port", str(port), "--priority", PRIORITY,
                          "--ca", PKI + "/ca.pem", "--peername", "localhost",
                          "--count", str(count), "--concurrency", str(conc),
                          "--pause", str(pause), "--latencies", latfile],
                         capture_output=True, text=True)
    if out.returncode:
        die("baseline: %s%s" % (out.stdout, out.stderr))
    return parse_kv(out.stdout), [int(l) for l in open(latfile)]


def expect_all_ok(path, res, count):
    if int(res["ok"]) != count or int(res["failed"]) != 0:
        die("%s: %s of %d handshakes succeeded: %s" % (path, res["ok"], count, res))
    if path == "kernel" and (res["version"], res["cipher"]) != ("TLSv1.3", "AES-128-GCM"):
        die("kernel path negotiated %s %s" % (res["version"], res["cipher"]))


# --- P1, P2: latency and throughput -------------------------------------------

TRACE = "/sys/kernel/debug/tracing"


def trace_phases():
    """From the handshake tracepoints of the kernel path's requests: the
    median time from submit to the agent's accept, and from accept to
    the agent's done (its handshake, as the kernel sees it)."""
    ev = {}
    for line in open(TRACE + "/trace"):
        f = line.split()
        for i, w in enumerate(f):
            if w.startswith("handshake_") and w.endswith(":"):
                cookie = [x for x in f if x.startswith("cookie=")][0]
                ev.setdefault(cookie, {})[w[10:-1]] = float(f[i - 1].rstrip(":"))
    done = [e for e in ev.values() if {"submit", "accept", "done"} <= e.keys()]
    if not done:
        die("no complete request in the trace")
    return (percentile([(e["accept"] - e["submit"]) * 1e9 for e in done], 50) / 1e3,
            percentile([(e["done"] - e["accept"]) * 1e9 for e in done], 50) / 1e3)


def p1_latency():
    lat = {"kernel": [], "baseline": []}
    with open(TRACE + "/buffer_size_kb", "w") as f:
        f.write("4096")
    open(TRACE + "/trace", "w").close()
    for _ in range(P1_ROUNDS):
        with open(TRACE + "/events/handshake/enable", "w") as f:
            f.write("1")
        res, l = kernel_batch(P1_PER_ROUND, 1, pause=P1_PAUSE_MS)
        with open(TRACE + "/events/handshake/enable", "w") as f:
            f.write("0")
        expect_all_ok("kernel", res, P1_PER_ROUND)
        lat["kernel"] += l
        res, l = baseline_batch(P1_PER_ROUND, 1, pause=P1_PAUSE_MS)
        expect_all_ok("baseline", res, P1_PER_ROUND)
        lat["baseline"] += l
    for path, xs in lat.items():
        for x in xs:
            print("latency %s P1 %d" % (path, x))
    return {p: percentile(xs, 50) / 1000 for p, xs in lat.items()}, \
        {p: percentile(xs, 99) / 1000 for p, xs in lat.items()}, trace_phases()


def p2_throughput():
    done = {"kernel": 0, "baseline": 0}
    secs = {"kernel": 0.0, "baseline": 0.0}
    for _ in range(P2_ROUNDS):
        for path, run in (("kernel", kernel_batch), ("baseline", baseline_batch)):
            res, lat = run(P2_PER_ROUND, P2_CONC)
            expect_all_ok(path, res, P2_PER_ROUND)
            done[path] += P2_PER_ROUND
            secs[path] += float(res["total_us"]) / 1e6
            for x in lat:
                print("latency %s P2 %d" % (path, x))
    return {p: done[p] / secs[p] for p in done}


# --- P3: memory per handshake in flight ---------------------------------------

def rss_kib(pids):
    total = 0
    for pid in pids:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def agent_pids(parent):
    """The agent and its workers."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()[1]) == parent:
                    kids.append(int(d))
            except (OSError, IndexError):
                pass
    return [parent] + kids


def established(port):
    out = subprocess.run(["ss", "-Htn", "state", "established",
                          "( sport = :%d )" % port], capture_output=True, text=True)
    return len(out.stdout.splitlines())


def demo_counters():
    return {k: int(v) for k, v in parse_kv(open(DEMO + "/counters").read()).items()}


def demo_settled():
    c = demo_counters()
    return c["submitted"] == c["callbacks"] + c["cancelled"]


def p3_memory(agent_proc, stats):
    n = P3_INFLIGHT
    pids = agent_pids(agent_proc.proc.pid)
    before = rss_kib(pids)
    stall = server(stall=True)
    accepted = stats()["accepted"]
    kernel_batch(n, 1, port=STALL_PORT, extra="async=1")
    wait_for("the agent to claim %d requests" % n,
             lambda: stats()["accepted"] - accepted >= n, 120)
    wait_for("%d connections in flight" % n, lambda: established(STALL_PORT) >= n, 120)
    time.sleep(2)
    during = rss_kib(pids)
    stall.stop()  # every handshake in flight now fails
    wait_for("the callbacks of the stalled requests", demo_settled, 120)
    kernel = (during - before) / n

    # The baseline: bench-client with 1, then n, handshakes in flight.
    rss = {}
    for k in (1, n):
        stall = server(stall=True)
        c = subprocess.Popen([CLIENT, "--port", str(STALL_PORT), "--priority", PRIORITY,
                              "--ca", PKI + "/ca.pem", "--peername", "localhost",
                              "--count", str(k), "--concurrency", str(k),
                              "--warmup", "0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("%d baseline connections in flight" % k,
                 lambda: established(STALL_PORT) >= k, 120)
        time.sleep(2)
        rss[k] = rss_kib([c.pid])
        stall.stop()
        c.wait(60)
    baseline = (rss[n] - rss[1]) / (n - 1)
    log("P3 agent RSS %d KiB idle, %d KiB with %d in flight; baseline %d / %d KiB"
        % (before, during, n, rss[1], rss[n]))
    return {"kernel": kernel, "baseline": baseline}


# --- P5: submit and claim cost against the number pending ---------------------

def p5_costs():
    """With a listener that never claims by itself (an agent that is busy),
    fills the pending list to each size, then times P5_TIMED more submits
    (in the kernel, by the demo module) and P5_TIMED claims: in the kernel
    (the accept handler, through a kprobe and a kretprobe on it) and as
    round trips, as an agent sees them."""
    listener = Handshake()
    listener.sock.setsockopt(socket.SOL_SOCKET, 33, 1 << 29)  # SO_RCVBUFFORCE
    listener.join("tls")
    sink = socket.socket()
    sink.bind(("127.0.0.1", SINK_PORT))
    sink.listen(65535)  # connections queue here, never accepted
    def pending_cookies():
        """The pending requests, oldest first (the dump's order); the dump,
        not the events, which are only hints."""
        err, _, reqs = listener.do("get", dump=True)
        if err:
            die("P5: get dump: errno %d" % err)
        return [r["cookie"] for r in reqs if r["state"] == 1]

    def submit(count):
        res, lat = kernel_batch(count, 1, port=SINK_PORT, extra="async=1 timeout=600000")
        if int(res["ok"]) != count:
            die("P5: %s of %d submits succeeded: %s" % (res["ok"], count, res))
        return lat

    def claim_in_kernel():
        """The accept handler's durations since the trace was cleared."""
        starts, took = {}, []
        for line in open(TRACE + "/trace"):
            f = line.split()
            for i, w in enumerate(f):
                if w in ("hs_accept:", "hs_accepted:"):
                    t, pid = float(f[i - 1].rstrip(":")), f[0].rsplit("-", 1)[-1]
                    if w == "hs_accept:":
                        starts[pid] = t
                    elif pid in starts:
                        took.append((t - starts.pop(pid)) * 1e9)
        return took

    def claim(cookies):
        times = []
        for cookie in cookies:
            t = time.perf_counter_ns()
            err, ext, rep = listener.do("accept", [("cookie", cookie)])
            times.append(time.perf_counter_ns() - t)
            if err:
                die("P5: accept %d: errno %d %s" % (cookie, err, ext))
            os.close(rep[0]["sockfd"])
        return times

    # os.open: Python's append mode seeks, which this file refuses.
    fd = os.open(TRACE + "/kprobe_events", os.O_WRONLY | os.O_APPEND)
    for probe in ("p:hs_accept handshake_nl_accept_doit",
                  "r:hs_accepted handshake_nl_accept_doit"):
        os.write(fd, probe.encode() + b"\n")
    os.close(fd)
    atexit.register(lambda: open(TRACE + "/kprobe_events", "w").close())
    # Warm-up: the first submits and claims of a boot pay for cold caches.
    submit(P5_TIMED)
    claim(pending_cookies())
    cost = {}
    pending = 0
    for size in P5_PENDING:
        submit(size - pending)
        sub = submit(P5_TIMED)
        cookies = pending_cookies()[-P5_TIMED:]
        open(TRACE + "/trace", "w").close()
        with open(TRACE + "/events/kprobes/enable", "w") as f:
            f.write("1")
        rtt = claim(cookies)
        with open(TRACE + "/events/kprobes/enable", "w") as f:
            f.write("0")
        clm = claim_in_kernel()
        if len(clm) != len(cookies):
            die("P5: traced %d accepts of %d" % (len(clm), len(cookies)))
        pending = size
        cost[size] = (percentile(sub, 50) / 1000, percentile(clm, 50) / 1000,
                      percentile(rtt, 50) / 1000)
        log("P5 %d pending: submit p50 %.2f us, claim p50 %.2f us in the kernel, "
            "%.1f us round trip" % ((size,) + cost[size]))
    # Claim the rest, then let go: the kernel fails them all (claimant lost).
    claim(pending_cookies())
    listener.sock.close()
    sink.close()
    wait_for("the callbacks of the pending requests", demo_settled, 300)
    return cost


# --- main ---------------------------------------------------------------------

def main():
    conf = setup()
    srv = server()
    ag = agent(conf)
    stats_client = Handshake()

    def stats():
        err, _, rep = stats_client.do("stats")
        if err:
            die("stats: errno %d" % err)
        return rep[0]["stats"]

    # Warm-up: caches, the agent's first allocations, both paths.
    expect_all_ok("kernel", kernel_batch(4, 1)[0], 4)
    expect_all_ok("baseline", baseline_batch(4, 1)[0], 4)

    log("P1: %d sequential handshakes per path" % (P1_ROUNDS * P1_PER_ROUND))
    p50, p99, phases = p1_latency()
    log("P1 kernel path, median: submit to accept %.0f us, accept to done %.0f us"
        % phases)
    log("P2: %d handshakes per path at concurrency %d" % (P2_ROUNDS * P2_PER_ROUND, P2_CONC))
    rate = p2_throughput()
    log("P3: %d handshakes in flight" % P3_INFLIGHT)
    mem = p3_memory(ag, stats)
    ag.stop()
    srv.stop()
    log("P5: submit and claim with %d and %d requests pending" % P5_PENDING)
    cost = p5_costs()
    if not demo_settled():
        die("the demo's counters do not balance: %s" % demo_counters())

    lo, hi = P5_PENDING
    rows = [
        ("P1", "median handshake latency, sequential (us)",
         p50["kernel"], p50["baseline"], "<= 1.05"),
        ("P1", "p99 handshake latency, sequential (us)",
         p99["kernel"], p99["baseline"], ""),
        ("P2", "handshakes/s at concurrency %d" % P2_CONC,
         rate["kernel"], rate["baseline"], ">= 0.95"),
        ("P3", "memory per handshake in flight, %d in flight (KiB)" % P3_INFLIGHT,
         mem["kernel"], mem["baseline"], "kernel <= 64 KiB"),
        ("P5", "submit p50 (us), %d vs %d pending" % (hi, lo),
         cost[hi][0], cost[lo][0], "flat"),
        ("P5", "claim p50 (us), %d vs %d pending" % (hi, lo),
         cost[hi][1], cost[lo][1], "flat"),
        ("P5", "claim round trip p50 (us), %d vs %d pending" % (hi, lo),
         cost[hi][2], cost[lo][2], "flat"),
    ]
    print("%-3s %-52s %12s %12s %7s  %s" % ("", "figure", "kernel path", "baseline",
                                           "ratio", "target"))
    for fig, what, k, b, target in rows:
        # A few handshakes in flight may not move the baseline's RSS by a
        # page: no ratio then.
        ratio = "%7.2f" % (k / b) if b > 0 else "%7s" % "-"
        if fig == "P5":
            print("%-3s %-52s %12.2f %12.2f %s  %s   (columns: %d, %d pending)"
                  % (fig, what, k, b, ratio, target, hi, lo))
        else:
            print("%-3s %-52s %12.1f %12.1f %s  %s" % (fig, what, k, b, ratio, target))
    print("bench: ok")


if __name__ == "__main__":
    main()
