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
# The handshake itself failed (not the agent reading the key: EIO).
result=$(sed -n 's/.*role=client auth=psk result=\([A-Z0-9]*\) .*/\1/p' "$LOGDIR/agent.log" | tail -n 1)
say "wrong PSK: the client handshake ended with $result"
case $result in
""|0|EIO) fail "wrong PSK: client handshake result '$result': $(grep handshake "$LOGDIR/agent.log")" ;;
esac

# A proxy holds the host's first flight 5 s: the agent dies meanwhile.
bg_peer 4421 $PEERS proxy 4421 $NVME_PORT 5
claims=$(grep -c ": claimed" "$LOGDIR/agent.log")
nvme_connect "$psk" 4421 &
connect=$!
wait_count 10 $((claims + 1)) ": claimed" ||
	fail "the agent claimed nothing: connect: $(cat "$LOGDIR/nvme-connect.log"); agent: $(tail -n 5 "$LOGDIR/agent.log"); proxy: $(cat "$LOGDIR/peer.4421.log")"
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
