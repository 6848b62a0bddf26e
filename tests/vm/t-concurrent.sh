# Many handshakes at once, both roles in the kernel: N demo clients
# (default 500, so 1,000 requests; CONCURRENT=N to change) connect to the demo's in-kernel
# echo server; every one must get its line back through kTLS, and the
# counters must balance afterwards with nothing left pending.
. tests/vm/lib.sh
pki_make
port=$(cat /sys/module/handshake_demo/parameters/echo_port 2>/dev/null)
[ -n "$port" ] && [ "$port" != 0 ] || { echo "echo server not enabled"; exit 77; }
n=${CONCURRENT:-500}
# Under emulation 2n handshakes on two vCPUs outlast the default limit,
# which the echo server's requests get; the clients pass their own.
param=/sys/module/handshake/parameters/default_timeout_ms
old_timeout=$(cat $param)
echo 120000 > $param
trap 'echo "$old_timeout" > $param; cleanup' EXIT
agent_start
before=$("$HANDSHAKECTL" -j stats)
pids=
for i in $(seq "$n"); do
	demo_connect "host=127.0.0.1 port=$port peername=localhost timeout=120000 message=line $i" &
	pids="$pids $!"
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
[ $bad -eq 0 ] || fail "$bad of $n concurrent connects failed"
after=$("$HANDSHAKECTL" -j stats)
python3 - "$before" "$after" "$n" <<'PY' || fail "counters do not balance"
import json, sys
b, a, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
moved = {k: a[k] - b[k] for k in a if k not in ("pending", "pending_limit")}
print("counters moved:", moved)
# Each connect is two handshakes: the client's and the echo server's.
assert moved["submitted"] == 2 * n, moved
assert moved["succeeded"] == 2 * n, moved
assert a["pending"] == 0, a
PY
say "$n concurrent connects, $((2 * n)) handshakes, all completed"
