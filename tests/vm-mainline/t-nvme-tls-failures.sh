# NVMe/TCP with TLS, what goes wrong: with no agent running the connect
# fails at once (mainline's kernel refuses a request nobody listens for);
# with the wrong PSK it fails and no namespace appears; with the agent
# killed mid-handshake it fails within the consumers' own time limit (10 s:
# mainline's kernel does not notice the agent's death); a new agent then
# serves a connect that succeeds.
. tests/vm/lib.sh
. tests/vm/peers.sh
. tests/vm-mainline/nvme.sh
trap nvme_cleanup EXIT
pki_make
nvme_target
psk=$(nvme_psk)

# timed_connect_fails WHAT LIMIT_S KEY [PORT]
timed_connect_fails() {
	local what=$1 limit=$2 t0 s
	shift 2
	t0=$(date +%s)
	nvme_connect "$@" && fail "$what: the connect succeeded"
	s=$(($(date +%s) - t0))
	say "$what: failed after $s s: $(head -c 200 "$LOGDIR/nvme-connect.log")"
	[ "$s" -le "$limit" ] || fail "$what: took $s s, limit $limit"
	[ ! -b /dev/nvme0n1 ] || fail "$what: a namespace appeared"
}

timed_connect_fails "no agent" 5 "$psk"

agent_start
# Same identity, another secret: a key of the test's own keyring.
head -c 32 /dev/urandom > /tmp/nvme-wrong.bin
wrong=$(keyctl padd psk "NVMe0R01 $HOSTNQN $SUBNQN" @u < /tmp/nvme-wrong.bin) ||
	fail "cannot add the wrong PSK"
timed_connect_fails "wrong PSK" 30 "$wrong"
grep -q "role=client auth=psk result=[A-Z]" "$LOGDIR/agent.log" ||
	fail "wrong PSK: the agent logged no failed client handshake: $(grep handshake "$LOGDIR/agent.log")"

# A proxy holds the host's first flight 5 s: the agent dies meanwhile.
bg_peer 4421 $PEERS proxy 4421 $NVME_PORT 5
nvme_connect "$psk" 4421 &
connect=$!
wait_for 10 grep -q "role=client\|request .*: claimed" "$LOGDIR/agent.log" ||
	fail "the agent claimed nothing"
sleep 1
t0=$(date +%s)
kill -KILL "$AGENT_PID"
AGENT_PID=
wait "$connect" && fail "agent killed: the connect succeeded"
s=$(($(date +%s) - t0))
say "agent killed mid-handshake: the connect failed $s s later"
[ "$s" -le 40 ] || fail "agent killed: the connect took $s s"
[ ! -b /dev/nvme0n1 ] || fail "agent killed: a namespace appeared"

agent_start
nvme_connect "$psk" || fail "after a new agent: $(cat "$LOGDIR/nvme-connect.log")"
wait_for 20 test -b /dev/nvme0n1 || fail "after a new agent: no /dev/nvme0n1"
