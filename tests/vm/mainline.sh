# SPDX-License-Identifier: GPL-2.0
# Helpers for the t-mainline-*.sh tests, sourced after lib.sh and peers.sh:
# the debugfs interface of handshake_mainline.ko, the consumer written
# only against mainline's API (kernel/net/handshake/mainline/main.c).

HM=/sys/kernel/debug/handshake_mainline
[ -w "$HM/run" ] || fail "handshake_mainline.ko not loaded"

# hm_run LINE: one run; its outcome is in hm_result.
hm_run() {
	printf '%s\n' "$*" > "$HM/run" || fail "run refused: $*"
}

# hm_result KEY: one key of the last run's result.
hm_result() {
	sed -n "s/^$1=//p" "$HM/result"
}

# hm_counter KEY: submitted, callbacks or cancelled, over all runs.
hm_counter() {
	sed -n "s/^$1=//p" "$HM/counters"
}

# hm_ok WHAT LINE: a run whose handshake must succeed.
hm_ok() {
	local what=$1
	shift
	hm_run "$@"
	[ "$(hm_result status)" = 0 ] ||
		fail "$what: status $(hm_result status); agent: $(tail -n 3 "$LOGDIR/agent.log")"
	expect_eq "$what callbacks" "$(hm_result callbacks)" 1
}

# hm_echo WHAT WANT LINE: a run that must succeed and get WANT back.
hm_echo() {
	local what=$1 want=$2
	shift 2
	hm_ok "$what" "$@"
	expect_eq "$what io" "$(hm_result io)" 0
	expect_eq "$what reply" "$(hm_result reply)" "$want"
	say "$what: ok (records $(hm_result records))"
}

# hm_serve LINE: a server run in the background (it listens on port= and
# accepts one connection); hm_wait waits for it to end.
HM_BG=
hm_serve() {
	local port
	port=$(printf '%s\n' "$*" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
	# tls_handshake_close() raises SIGPIPE (as mainline's does) when the
	# client is gone before the module's close_notify. The time limit
	# (the module's default, unless the line sets one) also bounds the
	# wait for the client to connect: scaled, like the tests' others.
	(trap '' PIPE; printf 'timeout=%s %s\n' "$(scaled 20000)" "$*" > "$HM/run") &
	HM_BG=$!
	wait_for 15 port_listening "$port" || fail "the module does not listen on $port"
}
hm_wait() {
	wait "$HM_BG" || fail "server run refused ($?): $(cat "$HM/result")"
}

# hm_client OUT LINE CMD...: a TLS client tool that sends LINE, keeps its
# input open and runs until it exits (at most 60 s); output in OUT.
hm_client() {
	local out=$1 line=$2
	shift 2
	python3 - "$line" "$@" > "$out" 2>&1 <<'PY'
import subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
p.stdin.write((sys.argv[1] + "\n").encode())
p.stdin.flush()
try:
    out = p.communicate(timeout=60)[0]
except subprocess.TimeoutExpired:
    p.kill()
    out = p.communicate()[0]
    print("(timed out)")
sys.stdout.write(out.decode(errors="replace"))
print("exit=%d" % p.returncode)
PY
}
