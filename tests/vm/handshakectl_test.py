# SPDX-License-Identifier: GPL-2.0
"""VM test: handshakectl against the real kernel. Requests stay pending
because a raw netlink client (tests/vm/nlclient.py) joins group "tls" and
claims nothing unless told; the demo module is the consumer, connected to
a plain TCP listener. Each check names what it proves."""
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from nlclient import Handshake  # noqa: E402
from vmtest import DEMO, Consumer, check, failures, listener, write_demo  # noqa: E402

CTL = os.environ["HANDSHAKECTL"]
LOGDIR = os.environ.get("LOGDIR", "/tmp/log")


def ctl(*args, nobody=False, prefix=()):
    """(exit code, stdout, stderr) of one handshakectl run."""
    kw = {}
    if nobody:
        kw = dict(user=65534, group=65534, extra_groups=[])
    p = subprocess.run(list(prefix) + [CTL] + list(args), capture_output=True,
                       text=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr


def ctl_json(*args):
    rc, out, err = ctl("-j", *args)
    assert rc == 0 and not err, ("handshakectl -j", args, rc, err)
    return json.loads(out)


def rows(text):
    """The rows of list's text output: header, then dicts by column."""
    lines = text.splitlines()
    head = lines[0].split()
    return head, [dict(zip(head, ln.split())) for ln in lines[1:]]


def detail(text):
    """show's text output: (first line, {field: value})."""
    lines = text.splitlines()
    fields = {}
    for ln in lines[1:]:
        k, _, v = ln.strip().partition(": ")
        fields[k] = v
    return lines[0] if lines else "", fields


def monitor_joined(group_id):
    """Some netlink socket has joined the monitor group (/proc/net/netlink
    shows the first 32 groups of each socket as a bit mask)."""
    if group_id > 32:
        time.sleep(2)
        return True
    for ln in open("/proc/net/netlink").readlines()[1:]:
        f = ln.split()
        if f[1] == "16" and int(f[3], 16) & (1 << (group_id - 1)):
            return True
    return False


def wait_until(cond, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def main():
    lst = listener()
    port = lst.getsockname()[1]
    agent = Handshake()
    agent.join("tls")
    s0 = ctl_json("stats")
    check("stats -j has every counter",
          set(s0) == {"submitted", "accepted", "succeeded", "failed",
                      "timed_out", "cancelled", "claimant_lost", "pending",
                      "pending_limit"}, s0)

    # monitor, started before any request; ready once it is in the group.
    mon_out = open(os.path.join(LOGDIR, "monitor.json"), "w+")
    mon = subprocess.Popen([CTL, "-j", "monitor"], stdout=mon_out,
                           stderr=subprocess.PIPE, text=True)
    check("monitor joins the monitor group",
          wait_until(lambda: monitor_joined(agent.groups["monitor"])))

    # Two pending requests, nobody claims them.
    a = Consumer(lst, "timeout=60000")
    ca = agent.wait_request()
    b = Consumer(lst, "timeout=60000")
    cb = agent.wait_request()

    rc, out, err = ctl("list")
    check("list: exit 0, nothing on stderr", rc == 0 and not err, (rc, err))
    head, rs = rows(out)
    check("list: header", head == ["Cookie", "State", "Role", "Auth", "Peer",
                                   "Peername", "Age", "Left", "Pid"], head)
    by = {r.get("Cookie"): r for r in rs}
    for name, c in (("A", ca), ("B", cb)):
        r = by.get(str(c), {})
        check("list: request %s listed with the event's cookie" % name, bool(r), out)
        check("list: request %s fields" % name,
              r.get("State") == "pending" and r.get("Role") == "client" and
              r.get("Auth") == "x509" and
              r.get("Peer") == "127.0.0.1:%d" % port and
              r.get("Peername") == "localhost" and r.get("Pid") == "-", r)
        check("list: request %s age and time left are durations" % name,
              all(re.fullmatch(r"\d+ms|\d+\.\ds|\d+m\d\ds", r.get(k, ""))
                  for k in ("Age", "Left")), r)

    rc, out, err = ctl("-j", "list")
    check("-j list: exit 0", rc == 0 and not err, (rc, err))
    try:
        lj = json.loads(out)
    except ValueError as e:
        lj = []
        check("-j list is JSON", False, (str(e), out))
    tool = subprocess.run([sys.executable, "-m", "json.tool"], input=out,
                          capture_output=True, text=True)
    check("-j list passes python3 -m json.tool", tool.returncode == 0, tool.stderr)
    check("-j list is an array", isinstance(lj, list), lj)
    jby = {o.get("cookie"): o for o in lj if isinstance(o, dict)}
    for name, c in (("A", ca), ("B", cb)):
        o = jby.get(c, {})
        check("-j list: request %s fields" % name,
              o.get("state") == "pending" and o.get("role") == "client" and
              o.get("auth") == "x509" and o.get("class") == "tls" and
              o.get("peer_addr") == "127.0.0.1" and o.get("peer_port") == port and
              o.get("local_addr") == "127.0.0.1" and
              isinstance(o.get("local_port"), int) and o["local_port"] > 0 and
              o.get("peername") == "localhost" and "claimant_pid" not in o, o)
        check("-j list: request %s age and time left" % name,
              0 <= o.get("age_ms", -1) < 60000 and
              0 < o.get("timeout_ms", 0) <= 60000, o)
    rc, out, err = ctl("-p", "list")
    try:
        check("-p list is the same JSON, indented",
              rc == 0 and "\n  " in out and
              {o["cookie"] for o in json.loads(out)} == set(jby), out)
    except ValueError:
        check("-p list is JSON", False, out)

    rc, out, err = ctl("show", str(ca))
    first, f = detail(out)
    check("show: exit 0", rc == 0 and not err, (rc, err))
    check("show: names the request", first == "request %d" % ca, first)
    check("show: fields",
          f.get("state") == "pending" and f.get("class") == "tls" and
          f.get("role") == "client" and f.get("auth") == "x509" and
          f.get("peer") == "127.0.0.1:%d" % port and
          f.get("local", "").startswith("127.0.0.1:") and
          f.get("peername") == "localhost" and f.get("claimant pid") == "-", f)
    rc, out, err = ctl("-j", "show", str(ca))
    try:
        o = json.loads(out)
    except ValueError:
        o = None
    check("-j show: one object for that cookie",
          rc == 0 and isinstance(o, dict) and o.get("cookie") == ca and
          o.get("state") == "pending" and o.get("peer_port") == port and
          o.get("peername") == "localhost", (rc, out))

    s1 = ctl_json("stats")
    check("stats: two more submitted, two more pending",
          s1["submitted"] - s0["submitted"] == 2 and
          s1["pending"] - s0["pending"] == 2, (s0, s1))

    # cancel A: its consumer gets ECANCELED; A is gone.
    rc, out, err = ctl("cancel", str(ca))
    check("cancel: exit 0, quiet", rc == 0 and not err and not out, (rc, out, err))
    check("cancel: the consumer gets -ECANCELED",
          a.result() == -errno.ECANCELED)
    nocookie = "handshakectl: no request with cookie %d\n" % ca
    rc, out, err = ctl("show", str(ca))
    check("show of the cancelled cookie: the message, exit 1",
          rc == 1 and err == nocookie and not out, (rc, out, err))
    rc, out, err = ctl("-j", "show", str(ca))
    check("-j show of the cancelled cookie: exit 1, nothing on stdout",
          rc == 1 and err == nocookie and not out, (rc, out, err))
    rc, out, err = ctl("cancel", str(ca))
    check("cancel of the cancelled cookie: the message, exit 1",
          rc == 1 and err == nocookie, (rc, err))
    rc, out, err = ctl("cancel", "12345")
    check("cancel of an unknown cookie: the message, exit 1",
          rc == 1 and err == "handshakectl: no request with cookie 12345\n",
          (rc, err))
    rc, out, err = ctl("-j", "list")
    check("list no longer has A, still has B",
          rc == 0 and {o["cookie"] for o in json.loads(out)} >= {cb} and
          ca not in {o["cookie"] for o in json.loads(out)}, out)
    s2 = ctl_json("stats")
    check("stats: one more cancelled, one fewer pending",
          s2["cancelled"] - s1["cancelled"] == 1 and
          s2["pending"] - s1["pending"] == -1 and
          s2["submitted"] == s1["submitted"], (s1, s2))

    # claimed: accept B; list and show say so, with our pid.
    err_, ext, reply = agent.do("accept", [("cookie", cb)])
    check("nlclient claims B", err_ == 0, (err_, ext))
    rc, out, err = ctl("list")
    r = {x.get("Cookie"): x for x in rows(out)[1]}.get(str(cb), {})
    check("list: B claimed by this pid",
          r.get("State") == "claimed" and r.get("Pid") == str(os.getpid()), out)
    o = {x["cookie"]: x for x in ctl_json("list")}.get(cb, {})
    check("-j list: B claimed, claimant_pid",
          o.get("state") == "claimed" and o.get("claimant_pid") == os.getpid(), o)
    rc, out, err = ctl("show", str(cb))
    f = detail(out)[1]
    check("show: B claimed, claimant pid",
          f.get("state") == "claimed" and f.get("claimant pid") == str(os.getpid()), f)
    err_, ext, _ = agent.do("done", [("cookie", cb), ("status", errno.EACCES)])
    if reply:
        os.close(reply[0]["sockfd"])
    check("B fails with the agent's status", err_ == 0 and b.result() == -errno.EACCES)

    # C: nobody claims it, it times out.
    c = Consumer(lst, "timeout=1500")
    cc = agent.wait_request()
    check("C times out", c.result() == -errno.ETIMEDOUT)

    s3 = ctl_json("stats")
    moved = {k: s3[k] - s0[k] for k in s3 if k != "pending_limit"}
    check("stats: what happened, counted",
          moved == {"submitted": 3, "accepted": 1, "succeeded": 0, "failed": 1,
                    "timed_out": 1, "cancelled": 1, "claimant_lost": 0,
                    "pending": 0}, moved)
    rc, out, err = ctl("stats")
    text = dict(ln.split(": ", 1) for ln in out.splitlines())
    check("stats text: the same numbers",
          rc == 0 and text == {k.replace("_", " "): str(v) for k, v in s3.items()},
          (text, s3))

    # monitor: SIGINT ends it with 0; its events, in order, per cookie.
    time.sleep(0.5)
    mon.send_signal(signal.SIGINT)
    try:
        mrc = mon.wait(10)
    except subprocess.TimeoutExpired:
        mon.kill()
        mrc = "hung"
    merr = mon.stderr.read()
    check("monitor: SIGINT ends it with 0, quiet", mrc == 0 and not merr, (mrc, merr))
    mon_out.seek(0)
    lines = mon_out.read().splitlines()
    try:
        evs = [json.loads(x) for x in lines]
    except ValueError:
        evs = []
        check("monitor -j: one JSON object per line", False, lines)
    ts = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")
    check("monitor -j: every event has an RFC 3339 timestamp",
          evs and all(ts.fullmatch(e.get("timestamp", "")) for e in evs), evs)
    seq = {}
    for e in evs:
        seq.setdefault(e.get("cookie"), []).append((e.get("event"), e.get("status")))
    check("monitor: A submitted, then cancelled (ECANCELED)",
          seq.get(ca) == [("submitted", 0), ("cancelled", errno.ECANCELED)], seq.get(ca))
    check("monitor: B submitted, accepted, failed (EACCES)",
          seq.get(cb) == [("submitted", 0), ("accepted", 0),
                          ("failed", errno.EACCES)], seq.get(cb))
    check("monitor: C submitted, then timed-out (ETIMEDOUT)",
          seq.get(cc) == [("submitted", 0), ("timed-out", errno.ETIMEDOUT)],
          seq.get(cc))
    check("monitor: nothing else", set(seq) == {ca, cb, cc}, seq)
    order = [(e.get("cookie"), e.get("event")) for e in evs]
    check("monitor: events in the order they happened",
          order.index((ca, "submitted")) < order.index((cb, "submitted")) <
          order.index((ca, "cancelled")) < order.index((cb, "accepted")) <
          order.index((cb, "failed")) < order.index((cc, "submitted")) <
          order.index((cc, "timed-out")) if len(order) == 7 else False, order)

    # Text monitor, one event pair.
    tmon = subprocess.Popen([CTL, "monitor"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_until(lambda: monitor_joined(agent.groups["monitor"]))
    # D must outlive the two valgrind runs below: a minute on a busy host.
    d = Consumer(lst, "timeout=300000")
    cd = agent.wait_request()

    # Without CAP_NET_ADMIN (D is pending, so list would have something).
    for args in (("list",), ("-j", "list"), ("show", str(cd)),
                 ("cancel", str(cd)), ("monitor",)):
        rc, out, err = ctl(*args, nobody=True)
        check("unprivileged %s: needs CAP_NET_ADMIN, exit 1" % " ".join(args),
              rc == 1 and re.fullmatch(r"handshakectl: \w+: needs CAP_NET_ADMIN\n",
                                       err) is not None, (rc, err))
    rc, out, err = ctl("stats", nobody=True)
    check("unprivileged stats: allowed by the kernel", rc == 0 and
          "submitted: " in out, (rc, err))
    check("D is still pending after the unprivileged cancel",
          cd in {o["cookie"] for o in ctl_json("list")})

    # valgrind: list (one request pending) and stats, clean.
    for args in (("list",), ("-j", "stats")):
        log = os.path.join(LOGDIR, "valgrind.%s.log" % args[-1])
        t0 = time.monotonic()
        rc, out, err = ctl(*args, prefix=("valgrind", "--error-exitcode=99",
                                          "--leak-check=full",
                                          "--errors-for-leak-kinds=definite,indirect",
                                          "--log-file=" + log))
        print("  valgrind %s: %.1f s" % (" ".join(args), time.monotonic() - t0))
        check("valgrind handshakectl %s: clean" % " ".join(args),
              rc == 0 and (str(cd) in out or "submitted" in out),
              (rc, out, open(log).read()[-3000:]))

    rc, out, err = ctl("cancel", str(cd))
    check("cancel D", rc == 0 and d.result() == -errno.ECANCELED, (rc, err))
    time.sleep(0.5)
    tmon.send_signal(signal.SIGINT)
    try:
        tout, terr = tmon.communicate(timeout=10)
        trc = tmon.returncode
    except subprocess.TimeoutExpired:
        tmon.kill()
        tout, terr, trc = "", "", "hung"
    tl = tout.splitlines()
    pre = r"\[\d{4}-\d\d-\d\dT[\d:.+-]+\] cookie %d " % cd
    check("text monitor: submitted, then cancelled with the errno name",
          trc == 0 and len(tl) == 2 and re.fullmatch(pre + "submitted", tl[0]) and
          re.fullmatch(pre + r"cancelled: ECANCELED \(Operation canceled\)", tl[1]),
          (trc, tout, terr))

    # A peer name with control bytes and a backslash (the demo splits its
    # line at spaces and tabs only): list and show print it escaped, one
    # line per request still; JSON gives it back unchanged.
    name = "evil\n\x1b[2J\\x41\x7f"
    shown = r"evil\x0a\x1b[2J\x5cx41\x7f"
    check("submit a request with an odd peer name", write_demo(
        "host=127.0.0.1 port=%d async=1 timeout=60000 peername=%s" %
        (port, name)) == 0)
    ce = agent.wait_request()
    raw = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\\]")
    rc, out, err = ctl("list")
    r = {x.get("Cookie"): x for x in rows(out)[1]}.get(str(ce), {})
    check("list: a peer name's control bytes and backslash as \\xNN",
          rc == 0 and r.get("Peername") == shown, out)
    check("list: no control byte of the name reaches the terminal",
          not raw.search(out.replace(shown, "")), out)
    rc, out, err = ctl("show", str(ce))
    check("show: the peer name escaped the same way",
          rc == 0 and detail(out)[1].get("peername") == shown and
          not raw.search(out.replace(shown, "")), out)
    rc, out, err = ctl("-j", "show", str(ce))
    try:
        o = json.loads(out)
    except ValueError:
        o = {}
    # json.loads refuses raw control bytes in a string: parsed is escaped.
    check("-j show: the peer name unchanged",
          rc == 0 and o.get("peername") == name, out)
    rc, out, err = ctl("cancel", str(ce))
    time.sleep(0.5)
    res = dict(ln.rstrip("\n").partition("=")[::2] for ln in open(DEMO + "/result"))
    check("cancel the request with the odd peer name",
          rc == 0 and res.get("cookie") == str(ce) and
          res.get("status") == str(-errno.ECANCELED), (rc, err, res))

    if failures:
        sys.exit("%d checks failed" % len(failures))
    print("all handshakectl checks passed")


main()
