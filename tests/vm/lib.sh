# SPDX-License-Identifier: GPL-2.0
# Helpers for scripts that run inside tools/vm-run: test PKI, the agent,
# TLS peers and the demo module's debugfs interface. Sourced, not run.

DEMO=/sys/kernel/debug/handshake_demo
PKI=${PKI:-/tmp/pki}
LOGDIR=${LOGDIR:-/tmp/log}
mkdir -p "$LOGDIR"

# TIME_FACTOR: how many times slower than Debian's kernel this one runs
# (tools/run-tests --debug-kernel sets it for KASAN and lockdep); a test's
# timing limits and hold times are scaled by it, its assertions are not.
TIME_FACTOR=${TIME_FACTOR:-1}
scaled() { echo $(($1 * TIME_FACTOR)); }

say() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# pki_make: a throwaway CA, a server certificate for localhost/127.0.0.1,
# a client certificate, and a second CA nobody trusts (with its own
# localhost certificate). EC keys: quick to make under emulation.
pki_make() {
	[ -f "$PKI/ca.pem" ] && return 0
	mkdir -p "$PKI"
	(
		cd "$PKI" || exit 1
		ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		for ca in ca rogue-ca; do
			openssl req -x509 $ec -keyout $ca.key -out $ca.pem \
				-subj "/CN=handshake test $ca" -days 2 2>/dev/null || exit 1
		done
		mkcert() { # name cn ca san
			openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null &&
			printf 'subjectAltName=%s\n' "$4" > "$1.ext" &&
			openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
				-CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
		}
		mkcert server localhost ca "DNS:localhost,IP:127.0.0.1" &&
		mkcert client "kernel client" ca "DNS:client.test" &&
		mkcert rogue localhost rogue-ca "DNS:localhost,IP:127.0.0.1"
	) || fail "could not make the test PKI in $PKI"
}

# agent_conf FILE [LINE...]: an agent configuration trusting the test CA,
# with the test server and client certificates; LINEs go in its [tls].
agent_conf() {
	local f=$1
	shift
	{
		printf '[tls]\nca-file = %s/ca.pem\n' "$PKI"
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '[client]\ncert-file = %s/client.pem\nkey-file = %s/client.key\n' "$PKI" "$PKI"
		printf '[server]\ncert-file = %s/server.pem\nkey-file = %s/server.key\n' "$PKI" "$PKI"
	} > "$f"
}

# wait_count TIMEOUT_S N PATTERN [FILE]: wait until FILE (the agent's log
# by default) has at least N lines matching PATTERN (grep -E).
wait_count() {
	local n=$(($1 * 10)) want=$2 pattern=$3 file=${4:-$LOGDIR/agent.log}
	while [ "$(grep -cE -- "$pattern" "$file" 2>/dev/null)" -lt "$want" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# tls_stat NAME: a counter of /proc/net/tls_stat (kTLS sockets).
tls_stat() {
	awk -v n="$1" '$1 == n { print $2 }' /proc/net/tls_stat
}

# wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# agent_start [CONF]: start handshaked, wait until it says it is ready.
AGENT_PID=
agent_start() {
	local conf=${1:-$PKI/agent.conf}
	[ -f "$conf" ] || agent_conf "$conf"
	"$HANDSHAKED" -c "$conf" -v > "$LOGDIR/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for "$(scaled 10)" grep -q ready "$LOGDIR/agent.log" ||
		{ cat "$LOGDIR/agent.log" >&2; fail "handshaked did not become ready"; }
}

agent_stop() {
	[ -n "$AGENT_PID" ] || return 0
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

# port_listening PORT: something listens on TCP PORT.
port_listening() {
	ss -Hltn "sport = :$1" | grep -q LISTEN
}

# s_server PORT [openssl s_server options...]: a reversing TLS server on
# loopback with the test server certificate; started in the background.
SERVER_PIDS=
s_server() {
	local port=$1
	shift
	openssl s_server -accept "127.0.0.1:$port" -cert "$PKI/server.pem" \
		-key "$PKI/server.key" -rev -quiet -naccept 1 "$@" \
		> "$LOGDIR/s_server.$port.log" 2>&1 < /dev/null &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 10 port_listening "$port" || fail "openssl s_server on $port did not start"
}

# notify_listen: a stand-in for the service manager's notify socket at
# $NOTIFY, one line per datagram in $LOGDIR/notify.log.
NOTIFY=/tmp/notify.sock
notify_listen() {
	local sock=$NOTIFY
	rm -f "$sock"
	python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", " "), flush=True)
' "$sock" > "$LOGDIR/notify.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 10 test -S "$sock" || fail "notify listener did not start"
}

servers_stop() {
	local p
	for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	SERVER_PIDS=
}

# demo_connect LINE: one client connect through the demo module. Returns
# the write's success; the outcome is in demo_result.
demo_connect() {
	printf '%s\n' "$*" > "$DEMO/connect" 2>/dev/null
}

# demo_result KEY: one key of the last connect's result.
demo_result() {
	sed -n "s/^$1=//p" "$DEMO/result"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

cleanup() {
	servers_stop
	agent_stop
}
trap cleanup EXIT
