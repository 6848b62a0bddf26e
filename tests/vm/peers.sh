# SPDX-License-Identifier: GPL-2.0
# Helpers for the t-agent-*.sh tests, sourced after lib.sh: gnutls-serv,
# background peers, connects that must succeed or fail with one status.

PEERS="python3 tests/vm/agent_peers.py"
PSK_ID=psk-test-identity
PSK_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# gnutls_serv PORT [gnutls-serv options...]: an echoing gnutls-serv (all
# addresses, many connections) with the test server certificate unless
# the options name another.
gnutls_serv() {
	local port=$1
	shift
	case " $* " in
	*" --x509certfile"*|*" --pskpasswd"*) ;;
	*) set -- --x509certfile "$PKI/server.pem" --x509keyfile "$PKI/server.key" "$@" ;;
	esac
	gnutls-serv --echo -p "$port" "$@" > "$LOGDIR/gnutls-serv.$port.log" 2>&1 < /dev/null &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 15 port_listening "$port" || fail "gnutls-serv on $port did not start"
}

# bg_peer PORT CMD...: any server in the background, waited for.
bg_peer() {
	local port=$1
	shift
	"$@" > "$LOGDIR/peer.$port.log" 2>&1 < /dev/null &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 15 port_listening "$port" || fail "peer on $port did not start: $(cat "$LOGDIR/peer.$port.log")"
}

# connect_ok WHAT LINE: a demo connect that must succeed and get a reply.
connect_ok() {
	local what=$1
	shift
	demo_connect "$*" ||
		fail "$what: status $(demo_result status); agent: $(tail -n 3 "$LOGDIR/agent.log")"
	expect_eq "$what status" "$(demo_result status)" 0
	[ -n "$(demo_result reply)" ] || fail "$what: no reply"
}

# connect_fails WHAT STATUS LINE: a demo connect that must fail with STATUS.
connect_fails() {
	local what=$1 want=$2
	shift 2
	demo_connect "$*" && fail "$what: succeeded, want status $want"
	expect_eq "$what status" "$(demo_result status)" "$want"
	say "$what: status $want as expected"
}

# psk_serial: the test PSK in the user keyring, its serial on stdout.
psk_serial() {
	printf '%s' "$PSK_KEY" | xxd -r -p | keyctl padd user "$PSK_ID" @u ||
		fail "keyctl padd failed"
}

# cert_of SERIAL: the subject and SHA-256 fingerprint of the DER
# certificate the key SERIAL holds (a peer identity from done).
cert_of() {
	keyctl pipe "$1" | openssl x509 -inform DER -noout -subject -fingerprint -sha256
}

# agent_rss: the agent's VmRSS in kB.
agent_rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$AGENT_PID/status"
}

# last_result: the result= of the agent's last "handshake" log line.
last_result() {
	sed -n 's/.*handshake cookie=.* result=\([^ ]*\).*/\1/p' "$LOGDIR/agent.log" | tail -n 1
}

echo_port() {
	local p
	p=$(cat /sys/module/handshake_demo/parameters/echo_port 2>/dev/null)
	[ -n "$p" ] && [ "$p" != 0 ] || { echo "echo server not enabled (echo_port=0)"; exit 77; }
	echo "$p"
}

# canary_start PORT / canary: a long-lived gnutls-serv, and a normal x509
# handshake with it that must succeed (the agent still serves).
CANARY_PORT=
canary_start() {
	CANARY_PORT=$1
	gnutls_serv "$CANARY_PORT"
}
canary() {
	connect_ok "normal handshake after $1" \
		"host=127.0.0.1 port=$CANARY_PORT peername=localhost message=canary"
	expect_eq "canary reply" "$(demo_result reply)" canary
}
