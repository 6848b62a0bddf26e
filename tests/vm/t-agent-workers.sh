# The agent with worker processes (workers = 2), socket-activated: two
# workers, each claiming on its own, worker 1 on the passed socket; 200
# concurrent connects to the demo's echo server all succeed, both workers
# serve, the supervisor reports the sums (STATUS=); a worker killed
# (SIGKILL) mid-load is started again and the other keeps serving; handshake.ko unloaded and loaded again
# under the running agent, which rejoins and serves without a restart;
# SIGTERM stops it all with status 0. A worker stopped (SIGSTOP) is killed
# and replaced once its WATCHDOG=1s stop. Then exit-idle-timeout = 2: the agent
# (one process, and with two workers) exits 0 after about 2 s idle.
. tests/vm/lib.sh
pki_make
port=$(cat /sys/module/handshake_demo/parameters/echo_port 2>/dev/null)
[ -n "$port" ] && [ "$port" != 0 ] || { echo "echo server not enabled"; exit 77; }
# 400 handshakes at once on two emulated CPUs outlast the default limit,
# which the echo server's requests get (see t-concurrent.sh).
param=/sys/module/handshake/parameters/default_timeout_ms
old_timeout=$(cat $param)
old_limit=$(cat /sys/module/handshake/parameters/pending_limit)
echo 120000 > $param
trap 'echo "$old_timeout" > $param; cleanup' EXIT

log=$LOGDIR/agent.log
conf=/tmp/workers.conf
agent_conf "$conf"
printf '[global]\nworkers = 2\n' >> "$conf"
# Started as socket activation starts it (as in t-agent-process.sh), with a
# stand-in for the service manager's notify socket.
notify_listen
NOTIFY_SOCKET=$NOTIFY python3 tests/vm/activate.py -c "$conf" -v > "$log" 2>&1 &
AGENT_PID=$!
wait_for 20 grep -q "ready: 2 workers" "$log" ||
	{ cat "$log" >&2; fail "the workers did not become ready"; }

workers() { pgrep -P "$AGENT_PID" | sort -n | tr '\n' ' '; }
set -- $(workers)
[ $# -eq 2 ] || fail "want 2 worker processes, have: $*"
w1=$1 w2=$2
say "agent $AGENT_PID, workers $w1 $w2"
grep -q "worker 1: ready" "$log" && grep -q "worker 2: ready" "$log" ||
	fail "a worker did not log ready"
# Worker 1 adopted the passed socket; worker 2 opened its own.
grep -q "using the passed netlink socket" "$log" ||
	{ cat "$log" >&2; fail "the passed socket was not taken"; }
passed=$(readlink /proc/$AGENT_PID/fd/3)
[ "$(readlink /proc/$w1/fd/3)" = "$passed" ] || fail "worker 1 does not have the passed socket $passed"
[ "$(readlink /proc/$w2/fd/3)" != "$passed" ] || fail "worker 2 has the passed socket too"

# connects N TAG: N concurrent connects; sets ok/bad.
connects() {
	local pids= p i
	for i in $(seq "$1"); do
		demo_connect "host=127.0.0.1 port=$port peername=localhost timeout=120000 message=$2 $i" &
		pids="$pids $!"
	done
	ok=0 bad=0
	for p in $pids; do
		if wait "$p"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
}
served() { grep -c "^info: worker $1: handshake cookie=.* result=0 " "$log"; }

connects 200 load
[ $bad -eq 0 ] || fail "$bad of 200 concurrent connects failed"
say "200 concurrent connects: all succeeded; worker 1 did $(served 1), worker 2 did $(served 2) handshakes"
[ "$(served 1)" -gt 0 ] && [ "$(served 2)" -gt 0 ] || fail "a worker served nothing"
# The supervisor speaks for the workers: READY=1 once, the sums in STATUS=.
notified() { grep -q "$1" "$LOGDIR/notify.log"; }
wait_for 5 notified "STATUS=Serving: 0 in flight, 400 done (0 failed), 2 of 2 workers" ||
	fail "no STATUS= with the sums: $(tail -n 3 "$LOGDIR/notify.log")"
expect_eq "READY=1 messages" "$(grep -c READY=1 "$LOGDIR/notify.log")" 1

# SIGKILL worker 1 while it has handshakes in flight: only those fail. Its
# successor takes the passed socket again.
claimant_lost() { "$HANDSHAKECTL" -j stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["claimant_lost"])'; }
lost_before=$(claimant_lost)
before1=$(served 1)
( connects 60 kill; echo "$ok $bad" > /tmp/kill.result ) &
load=$!
wait_for 60 sh -c "[ \$(grep -c '^info: worker 1: handshake cookie=' $log) -ge $((before1 + 5)) ]" ||
	fail "worker 1 did not take part in the load"
kill -KILL "$w1"
wait "$load"
read -r ok bad < /tmp/kill.result
lost=$(($(claimant_lost) - lost_before))
say "worker 1 killed mid-load: $ok of 60 connects succeeded, $bad failed, $lost requests claimant-lost"
grep -q "worker 1 (pid $w1) killed by signal KILL" "$log" || fail "the kill was not logged"
[ "$ok" -gt 0 ] || fail "worker 2 did not keep serving"
# Each lost request fails one connect (its client's or its echo server's).
[ "$bad" -le "$lost" ] || fail "$bad connects failed, but only $lost requests were lost"
wait_for 10 sh -c "pgrep -P $AGENT_PID | grep -vqx -e $w1 -e $w2" ||
	fail "worker 1 was not restarted: $(workers)"
set -- $(workers)
[ $# -eq 2 ] || fail "want 2 workers after the restart, have: $*"
case " $* " in *" $w2 "*) ;; *) fail "worker 2 ($w2) changed: $*" ;; esac
say "workers after the restart: $*"
[ "$(readlink /proc/$(pgrep -P $AGENT_PID | grep -vx "$w2")/fd/3)" = "$passed" ] ||
	fail "the new worker 1 does not have the passed socket"
kill -0 "$AGENT_PID" || fail "the parent died"
wait_for 10 sh -c "[ \$(grep -c 'worker 1: ready' $log) -ge 2 ]" || fail "the new worker 1 is not ready"
connects 10 after
[ $bad -eq 0 ] || fail "$bad of 10 connects after the restart failed"

# Unload and load the modules under the running agent: each worker sees
# the family go and come back (nlctrl), rejoins, and serves.
rmmod handshake_demo || fail "handshake_demo does not unload"
# The mainline-API consumer, when loaded, holds handshake.ko too.
mainline=
if [ -d /sys/module/handshake_mainline ]; then
	rmmod handshake_mainline || fail "handshake_mainline does not unload"
	mainline=1
fi
rmmod handshake || fail "handshake does not unload with the agent running"
wait_for 10 sh -c "[ \$(grep -c 'family \"handshake\" is gone' $log) -ge 2 ]" ||
	{ tail -n 20 "$log" >&2; fail "the workers did not notice the unload"; }
insmod "$BUILD/kernel/handshake.ko" default_timeout_ms="$old_timeout" pending_limit="$old_limit" ||
	fail "insmod handshake.ko"
insmod "$BUILD/kernel/handshake_demo.ko" echo_port="$port" || fail "insmod handshake_demo.ko"
[ -z "$mainline" ] || insmod "$BUILD/kernel/handshake_mainline.ko" ||
	fail "insmod handshake_mainline.ko"
wait_for 10 sh -c "[ \$(grep -c 'family \"handshake\" is back' $log) -ge 2 ]" ||
	{ tail -n 20 "$log" >&2; fail "the workers did not rejoin"; }
wait_for 10 port_listening "$port" || fail "the echo server is not back"
connects 10 reloaded
[ $bad -eq 0 ] || fail "$bad of 10 connects after the module reload failed"
s_server 4520 -tls1_3
demo_connect "host=127.0.0.1 port=4520 peername=localhost message=reloaded" ||
	fail "handshake after the module reload: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" dedaoler
say "module reloaded under the agent: served without a restart"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
expect_eq "exit status after SIGTERM" $? 0
AGENT_PID=
pgrep -f "$HANDSHAKED" > /dev/null && fail "workers left behind: $(pgrep -af "$HANDSHAKED")"

# A hung worker (stopped: alive, but its loop still) sends no WATCHDOG=1:
# the supervisor kills it after WATCHDOG_USEC (the service's WatchdogSec=,
# here set as the service manager would) and starts another, while the
# other worker serves what comes meanwhile.
agent_conf /tmp/hang.conf
printf '[global]\nworkers = 2\n' >> /tmp/hang.conf
wd=$(scaled 4)
log=$LOGDIR/hang.log
WATCHDOG_USEC=$((wd * 1000000)) sh -c "WATCHDOG_PID=\$\$ exec $HANDSHAKED -c /tmp/hang.conf -v" > "$log" 2>&1 &
AGENT_PID=$!
wait_for 20 grep -q "ready: 2 workers" "$log" ||
	{ cat "$log" >&2; fail "the workers did not become ready"; }
set -- $(workers)
w1=$1 w2=$2
# Never leave it stopped: its successor, or the cleanup, must not wait on it.
trap 'kill -CONT "$w1" 2>/dev/null; echo "$old_timeout" > $param; cleanup' EXIT
kill -STOP "$w1"
connects 10 hung
[ $bad -eq 0 ] || fail "$bad of 10 connects failed with worker 1 stopped"
wait_for $((wd * 3)) grep -q "worker 1 (pid $w1) sent no WATCHDOG=1 for" "$log" ||
	{ tail -n 20 "$log" >&2; fail "the stopped worker 1 was not found out in $((wd * 3)) s"; }
wait_for 10 grep -q "worker 1 (pid $w1) killed by signal KILL" "$log" ||
	fail "the stopped worker 1 was not killed"
wait_for 10 sh -c "[ \$(grep -c 'worker 1: ready' $log) -ge 2 ]" || fail "no new worker 1"
# Only the silent one: worker 2 kept pinging and kept its pid.
grep -q "worker 2 (pid $w2) sent no WATCHDOG=1" "$log" && fail "worker 2 was found silent too"
kill -0 "$w2" || fail "worker 2 ($w2) is gone"
case " $(workers) " in *" $w2 "*) ;; *) fail "worker 2 ($w2) changed: $(workers)" ;; esac
connects 10 unhung
[ $bad -eq 0 ] || fail "$bad of 10 connects failed after worker 1's restart"
say "a stopped worker: killed after $(grep -o 'sent no WATCHDOG=1 for [0-9]* s' "$log") (WATCHDOG_USEC $wd s), restarted; the other served meanwhile"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
expect_eq "exit status after SIGTERM" $? 0
AGENT_PID=

# exit-idle-timeout = 2: a clean exit once nothing happened for 2 s.
idle_run() { # WORKERS
	agent_conf /tmp/idle.conf
	printf '[global]\nworkers = %s\nexit-idle-timeout = 2\n' "$1" >> /tmp/idle.conf
	local t0 t1 rc
	t0=$(date +%s%N)
	timeout 30 "$HANDSHAKED" -c /tmp/idle.conf > "$LOGDIR/idle.log" 2>&1
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	say "workers = $1, exit-idle-timeout = 2: exit status $rc after $ms ms"
	expect_eq "exit status when idle (workers = $1)" $rc 0
	[ $ms -ge 2000 ] && [ $ms -lt "$(scaled 8000)" ] || { cat "$LOGDIR/idle.log" >&2; fail "exited after $ms ms"; }
	grep -q "idle for 2 s: exiting" "$LOGDIR/idle.log" || fail "no idle exit logged"
}
idle_run 1
idle_run 2
grep -q "every worker exited idle: exiting" "$LOGDIR/idle.log" || fail "the parent did not log the idle exit"
