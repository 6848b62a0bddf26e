#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark inside the VM (tools/vm-run; started by bench/run).

Runs the same TLS 1.3 handshakes (one priority string: AES-128-GCM,
X25519; the test CA's ECDSA P-256 server certificate, verified against
the name "localhost") three ways against the same bench-server:
the kernel path (handshake_demo's count= batches, served by handshaked),
the plain baseline (bench-client, GnuTLS in user space) and the kTLS
baseline (bench-client --ktls: the same, then kTLS TX and RX on the
socket, as the kernel path ends). The two CPUs of the VM play two
machines: everything on the client side (handshaked, the baseline
client, the kernel's unbound work items) runs on CPU 0, the server on
CPU 1, so that no path competes with the server for CPU time, and the
client side is what is measured. Prints the figures as a table, each
with the kernel path's ratio to both baselines, the spread of P1's and
P2's ratios over their rounds, the system calls and task switches per
handshake on the client side (from tracefs), and every measured latency
as a "latency PATH FIGURE NS" line for the plot.

  bench/guest.py [--smoke] [--quick]

--smoke: a few handshakes of each kind, to show the harness works.
--quick: P1, P2 and the counts only, to compare builds of the agent:
BENCH_AGENT, if set, names the agent to run instead of $HANDSHAKED.
Exits non-zero if a handshake that should have succeeded failed.
"""
import atexit
import os
import re
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
QUICK = "--quick" in sys.argv[1:]
# P1: sequential handshakes per path, in alternating rounds (drift hits
# both paths alike); P2: concurrency and handshakes per path; P3: in
# flight; P5: pending requests compared, and submits/claims timed.
P1_ROUNDS, P1_PER_ROUND = (2, 3) if SMOKE else (12, 20)
# Before each P1 handshake: the client side is idle when it starts, not
# still finishing the one before (the agent's clean-up after its done).
P1_PAUSE_MS = 10
P2_CONC, P2_ROUNDS, P2_PER_ROUND = (4, 2, 8) if SMOKE else (64, 5, 128)
# The counts: two batches of sequential handshakes per path, in P1's shape;
# the difference between them, per handshake, leaves out what does not
# grow with the count (a baseline client's start and exit).
COUNT_BATCHES = (2, 6) if SMOKE else (10, 50)
P3_INFLIGHT = 20 if SMOKE else 1000
P5_PENDING = (10, 100) if SMOKE else (10, 10000)
P5_TIMED = 5 if SMOKE else 200


# The paths, in the order each round runs them, and their names in print.
PATHS = ("kernel", "baseline", "baseline-ktls")
LABELS = {"kernel": "kernel path", "baseline": "baseline",
          "baseline-ktls": "baseline+kTLS"}


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
    return Proc("agent", [os.environ.get("BENCH_AGENT") or os.environ["HANDSHAKED"],
                          "-c", conf], "ready")


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


def baseline_batch(count, conc, port=PORT, pause=0, ktls=False, pids=None):
    """bench-client's batch; @pids, if given, gets its pid."""
    latfile = "/tmp/bench-latencies"
    proc = subprocess.Popen([CLIENT, "--port", str(port), "--priority", PRIORITY,
                             "--ca", PKI + "/ca.pem", "--peername", "localhost",
                             "--count", str(count), "--concurrency", str(conc),
                             "--pause", str(pause), "--latencies", latfile] +
                            (["--ktls"] if ktls else []),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if pids is not None:
        pids.append(proc.pid)
    out, err = proc.communicate()
    if proc.returncode:
        die("baseline%s: %s%s" % (" --ktls" if ktls else "", out, err))
    return parse_kv(out), [int(l) for l in open(latfile)]


def ktls_batch(count, conc, port=PORT, pause=0, pids=None):
    return baseline_batch(count, conc, port, pause, ktls=True, pids=pids)


BATCH = {"kernel": kernel_batch, "baseline": baseline_batch, "baseline-ktls": ktls_batch}


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
    """Medians and p99s over all rounds, the tracepoints' phases, and each
    round's medians (for the spread of the ratios)."""
    lat = {p: [] for p in PATHS}
    rounds = []
    with open(TRACE + "/buffer_size_kb", "w") as f:
        f.write("4096")
    open(TRACE + "/trace", "w").close()
    for _ in range(P1_ROUNDS):
        med = {}
        for path in PATHS:
            if path == "kernel":
                with open(TRACE + "/events/handshake/enable", "w") as f:
                    f.write("1")
            res, l = BATCH[path](P1_PER_ROUND, 1, pause=P1_PAUSE_MS)
            if path == "kernel":
                with open(TRACE + "/events/handshake/enable", "w") as f:
                    f.write("0")
            expect_all_ok(path, res, P1_PER_ROUND)
            lat[path] += l
            med[path] = percentile(l, 50) / 1000
        rounds.append(med)
    for path, xs in lat.items():
        for x in xs:
            print("latency %s P1 %d" % (path, x))
    return {p: percentile(xs, 50) / 1000 for p, xs in lat.items()}, \
        {p: percentile(xs, 99) / 1000 for p, xs in lat.items()}, trace_phases(), rounds


def p2_throughput():
    """Handshakes per second over all rounds, and each round's."""
    done = {p: 0 for p in PATHS}
    secs = {p: 0.0 for p in PATHS}
    rounds = []
    for _ in range(P2_ROUNDS):
        rate = {}
        for path in PATHS:
            res, lat = BATCH[path](P2_PER_ROUND, P2_CONC)
            expect_all_ok(path, res, P2_PER_ROUND)
            done[path] += P2_PER_ROUND
            secs[path] += float(res["total_us"]) / 1e6
            rate[path] = P2_PER_ROUND / (float(res["total_us"]) / 1e6)
            for x in lat:
                print("latency %s P2 %d" % (path, x))
        rounds.append(rate)
    return {p: done[p] / secs[p] for p in done}, rounds


def spread(rounds, base):
    """min, median and max over the rounds of kernel/@base (the median of
    an even number of rounds: the mean of the middle two)."""
    xs = sorted(r["kernel"] / r[base] for r in rounds)
    n = len(xs)
    return xs[0], (xs[(n - 1) // 2] + xs[n // 2]) / 2, xs[-1]


# --- counts: system calls and task switches per handshake --------------------

SYSCALL_TABLE = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
# "   handshaked-812     (    812) [000] .....   123.456789: sys_enter: NR 232 (...)"
TRACE_LINE = re.compile(r"^(.*)-(\d+)\s+\(\s*([-\d]+)\)\s+\[(\d+)\]\s.*?\s"
                        r"[\d.]+:\s+(\w+):\s?(.*)$")


def syscall_names():
    """Numbers to names, from the system's <asm/unistd_64.h>."""
    names = {}
    try:
        for line in open(SYSCALL_TABLE):
            f = line.split()
            if len(f) == 3 and f[0] == "#define" and f[1].startswith("__NR_"):
                names[int(f[2])] = f[1][5:]
    except OSError:
        pass
    return names


def task_kind(comm):
    """A task's name without its instance: kworker/0:1 is a kworker, and
    swapper/0 the idle task."""
    comm = comm.split("/")[0]
    return "idle" if comm == "swapper" else comm


def trace_set(name, value):
    with open(TRACE + "/" + name, "w") as f:
        f.write(value)


COUNT_EVENTS = ("raw_syscalls/sys_enter", "sched/sched_switch")


def traced(run, pids, comm, names):
    """Runs run() with the trace recording (count_costs() has set it up).
    Returns the system calls made by the client side (processes whose
    thread group is in @pids, which run() may still add to, or, where the
    trace did not learn a thread's group, whose name is @comm), by name,
    and the task switches on CPU 0, by the kinds of task switched from and
    to (task_kind())."""
    open(TRACE + "/trace", "w").close()
    trace_set("tracing_on", "1")
    try:
        run()
    finally:
        trace_set("tracing_on", "0")
    for line in open(TRACE + "/per_cpu/cpu0/stats"):
        if line.startswith("overrun:") and int(line.split()[1]):
            die("counts: the trace buffer overran (%s)" % line.strip())
    calls, switches = {}, {}
    for line in open(TRACE + "/trace"):
        m = TRACE_LINE.match(line)
        if not m:
            continue
        task, tgid, event, rest = m.group(1).strip(), m.group(3), m.group(5), m.group(6)
        if event == "sched_switch":
            f = dict(w.split("=", 1) for w in rest.split() if "=" in w)
            pair = "%s -> %s" % (task_kind(f.get("prev_comm", "?")),
                                 task_kind(f.get("next_comm", "?")))
            switches[pair] = switches.get(pair, 0) + 1
        elif event == "sys_enter":
            if not (tgid.isdigit() and int(tgid) in pids or
                    not tgid.isdigit() and task == comm):
                continue
            nr = int(rest.split()[1])
            name = names.get(nr, "NR %d" % nr)
            calls[name] = calls.get(name, 0) + 1
    return calls, switches


def count_costs(agent_proc):
    """Per handshake, on the client side, in P1's shape (sequential, each
    after the pause): the system calls by name (of the agent, or of the
    baseline client and its threads) and the task switches on CPU 0.
    The difference of two batches of different sizes, so that only what
    each handshake adds is counted.

    The tracepoints of CPU 0 are enabled once for all the batches, and
    only the recording is switched on around each: enabling a tracepoint
    patches the kernel's code on every CPU, which has stalled the emulated
    guest (a CPU that never answered the patching's IPI)."""
    names = syscall_names()
    trace_set("tracing_on", "0")
    trace_set("tracing_cpumask", "1")
    trace_set("options/record-tgid", "1")
    for ev in COUNT_EVENTS:
        trace_set("events/%s/enable" % ev, "1")
    try:
        per = count_paths(agent_proc, names)
    finally:
        for ev in COUNT_EVENTS:
            trace_set("events/%s/enable" % ev, "0")
        trace_set("options/record-tgid", "0")
        trace_set("tracing_cpumask", "%x" % ((1 << os.cpu_count()) - 1))
        trace_set("tracing_on", "1")
    return per


def count_paths(agent_proc, names):
    per = {}
    for path in PATHS:
        seen = []
        for n in COUNT_BATCHES:
            if path == "kernel":
                pids = agent_pids(agent_proc.proc.pid)
                comm = "handshaked"
                run = lambda: expect_all_ok(path, kernel_batch(n, 1, pause=P1_PAUSE_MS)[0], n)
            else:
                pids = []
                comm = "bench-client"
                run = lambda: expect_all_ok(path, BATCH[path](n, 1, pause=P1_PAUSE_MS,
                                                              pids=pids)[0], n)
            seen.append(traced(run, pids, comm, names))
        (c1, s1), (c2, s2) = seen
        n = COUNT_BATCHES[1] - COUNT_BATCHES[0]
        calls = {k: (c2.get(k, 0) - c1.get(k, 0)) / n for k in set(c1) | set(c2)}
        pairs = {k: (s2.get(k, 0) - s1.get(k, 0)) / n for k in set(s1) | set(s2)}
        per[path] = ({k: v for k, v in calls.items() if v}, sum(pairs.values()),
                     {k: v for k, v in pairs.items() if v})
    return per


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

def print_counts(per):
    """The counts table: per handshake, each path, and the kernel path
    less the kTLS baseline; then the system calls by name."""
    k, b, t = (per[p] for p in PATHS)
    print("%-3s %-52s %12s %12s %13s %12s  %s" % (
        "", "per handshake, client side (%d sequential)" % (COUNT_BATCHES[1] - COUNT_BATCHES[0]),
        LABELS["kernel"], LABELS["baseline"], LABELS["baseline-ktls"], "kernel-kTLS", "target"))
    total = {p: sum(per[p][0].values()) for p in PATHS}
    print("%-3s %-52s %12.1f %12.1f %13.1f %12.1f  %s" % (
        "C", "system calls", total["kernel"], total["baseline"], total["baseline-ktls"],
        total["kernel"] - total["baseline-ktls"], "<= 6"))
    print("%-3s %-52s %12.1f %12.1f %13.1f %12.1f  %s" % (
        "C", "task switches on CPU 0", k[1], b[1], t[1], k[1] - t[1], "<= 2"))
    for i, what in ((0, ""), (2, "switch ")):
        names = set(k[i]) | set(b[i]) | set(t[i])
        for name in sorted(names, key=lambda n: (-max(abs(per[p][i].get(n, 0))
                                                      for p in PATHS), n)):
            c = [per[p][i].get(name, 0) for p in PATHS]
            print("%-3s %-52s %12.1f %12.1f %13.1f %12.1f" % (
                "C", "  " + what + name, c[0], c[1], c[2], c[0] - c[2]))


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

    # Warm-up: caches, the agent's first allocations, every path.
    for path in PATHS:
        expect_all_ok(path, BATCH[path](4, 1)[0], 4)

    log("P1: %d sequential handshakes per path" % (P1_ROUNDS * P1_PER_ROUND))
    p50, p99, phases, p1_rounds = p1_latency()
    log("P1 kernel path, median: submit to accept %.0f us, accept to done %.0f us"
        % phases)
    log("P2: %d handshakes per path at concurrency %d" % (P2_ROUNDS * P2_PER_ROUND, P2_CONC))
    rate, p2_rounds = p2_throughput()
    log("counts: %d and %d sequential handshakes per path, traced" % COUNT_BATCHES)
    counts = count_costs(ag)
    if not QUICK:
        log("P3: %d handshakes in flight" % P3_INFLIGHT)
        mem = p3_memory(ag, stats)
    ag.stop()
    srv.stop()
    if not QUICK:
        log("P5: submit and claim with %d and %d requests pending" % P5_PENDING)
        cost = p5_costs()
    if not demo_settled():
        die("the demo's counters do not balance: %s" % demo_counters())

    lo, hi = P5_PENDING
    rows = [
        ("P1", "median handshake latency, sequential (us)",
         p50["kernel"], p50["baseline"], p50["baseline-ktls"],
         "kTLS <= 1.00, plain <= 1.03"),
        ("P1", "p99 handshake latency, sequential (us)",
         p99["kernel"], p99["baseline"], p99["baseline-ktls"], ""),
        ("P2", "handshakes/s at concurrency %d" % P2_CONC,
         rate["kernel"], rate["baseline"], rate["baseline-ktls"],
         "kTLS >= 1.00, plain >= 0.97"),
    ]
    if not QUICK:
        rows.append(("P3", "memory per handshake in flight, %d in flight (KiB)" % P3_INFLIGHT,
                     mem["kernel"], mem["baseline"], None, "kernel <= 64 KiB"))
    print("%-3s %-52s %12s %12s %13s %10s %11s  %s" % (
        "", "figure", LABELS["kernel"], LABELS["baseline"], LABELS["baseline-ktls"],
        "ratio/kTLS", "ratio/plain", "target"))
    for fig, what, k, b, t, target in rows:
        # A few handshakes in flight may not move the baseline's RSS by a
        # page: no ratio then.
        plain = "%11.2f" % (k / b) if b > 0 else "%11s" % "-"
        if t is None:
            print("%-3s %-52s %12.1f %12.1f %13s %10s %s  %s"
                  % (fig, what, k, b, "-", "-", plain, target))
        else:
            print("%-3s %-52s %12.1f %12.1f %13.1f %10.2f %s  %s"
                  % (fig, what, k, b, t, k / t, plain, target))
    for fig, what, rounds in (("P1", "median latency", p1_rounds),
                              ("P2", "handshakes/s", p2_rounds)):
        for base in ("baseline-ktls", "baseline"):
            print("%-3s %s ratio to %s over %d rounds: min %.2f, median %.2f, max %.2f"
                  % ((fig, what, LABELS[base], len(rounds)) + spread(rounds, base)))
    for what, i in () if QUICK else (("submit p50 (us)", 0),
                                     ("claim p50 in the kernel (us)", 1),
                                     ("claim round trip p50 (us)", 2)):
        ratio = "%7.2f" % (cost[hi][i] / cost[lo][i]) if cost[lo][i] > 0 else "%7s" % "-"
        print("%-3s %-52s %12.2f %12.2f %s  flat   (columns: %d, %d pending)"
              % ("P5", "%s, %d vs %d pending" % (what, hi, lo), cost[hi][i], cost[lo][i],
                 ratio, hi, lo))
    print_counts(counts)
    print("bench: ok")


if __name__ == "__main__":
    main()
