# Peers that misbehave at the transport level, and a normal handshake
# after each: a server that accepts and never answers (ETIMEDOUT within
# the request's timeout=), one that drips a byte a second (the same), one
# that sends garbage, one that sends a record header and closes
# (ECONNRESET), a huge certificate chain (refused, agent memory bounded);
# and clients that send the in-kernel echo server garbage or half a record.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
agent_start
canary_start 4650

# timed_fail WHAT STATUS LIMIT_MS LINE: fails with STATUS within LIMIT_MS.
timed_fail() {
	local what=$1 want=$2 limit=$(scaled $3) t0 ms
	shift 3
	t0=$(date +%s%N)
	connect_fails "$what" "$want" "$@"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	say "$what: failed after $ms ms"
	[ "$ms" -le "$limit" ] || fail "$what: took $ms ms, limit $limit"
}

bg_peer 4651 $PEERS serve stall 4651
timed_fail "stalling server" -110 6000 "host=127.0.0.1 port=4651 peername=localhost timeout=3000"
canary "a stalling server"

bg_peer 4652 $PEERS serve slow 4652
timed_fail "byte-a-second server" -110 7000 "host=127.0.0.1 port=4652 peername=localhost timeout=4000"
canary "a byte-a-second server"

# Garbage: not a TLS record at all. GnuTLS calls it an unexpected packet;
# the agent refuses (EACCES), as for any peer that breaks the protocol.
bg_peer 4653 $PEERS serve garbage 4653
timed_fail "garbage server" -13 5000 "host=127.0.0.1 port=4653 peername=localhost timeout=8000"

bg_peer 4654 $PEERS serve truncated 4654
timed_fail "truncated record" -104 5000 "host=127.0.0.1 port=4654 peername=localhost timeout=8000"
canary "garbage and a truncated record"

# Huge chains: ~200 KB (over GnuTLS's handshake message limit) and ~60 KB
# (under it, far deeper than any verification limit). Refused, and the
# agent's memory stays put.
ca_pem=$(cat "$PKI/rogue-ca.pem")
for n in 500 150; do
	for ((i = 0; i < n; i++)); do printf '%s\n' "$ca_pem"; done > "$PKI/chain$n.pem"
done
ls -l "$PKI"/chain*.pem
rss0=$(agent_rss)
s_server 4655 -cert_chain "$PKI/chain500.pem"
s_server 4656 -cert_chain "$PKI/chain150.pem"
connect_fails "200 KB chain" -13 "host=127.0.0.1 port=4655 peername=localhost"
connect_fails "60 KB chain" -13 "host=127.0.0.1 port=4656 peername=localhost"
rss1=$(agent_rss)
say "agent VmRSS: $rss0 kB before the big chains, $rss1 kB after"
[ "$rss1" -le $((rss0 + 16384)) ] || fail "agent VmRSS grew from $rss0 to $rss1 kB"
canary "huge chains"

# The server role: garbage, and half a record then close, to the echo server.
port=$(echo_port) || exit 77
n=$(grep -c "role=server" "$LOGDIR/agent.log")
python3 - "$port" "$LOGDIR/agent.log" <<'PY' || fail "could not talk to the echo server"
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
g = socket.create_connection(("127.0.0.1", port))
g.sendall(bytes((i * 73 + 41) % 256 for i in range(4096)))
g.settimeout(30)
try:
    print("echo server answered garbage with", len(g.recv(100)), "bytes, then closed")
except OSError as e:
    print("echo server:", e)
# Half a ClientHello; close only once the agent has the request (closed
# before the echo server submits it, the socket is no handshake at all).
t = socket.create_connection(("127.0.0.1", port))
t.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc")

deadline = time.time() + 30
while time.time() < deadline:
    if any("peer 127.0.0.1:%d," % t.getsockname()[1] in l and "claimed" in l
           for l in open(log)):
        break
    time.sleep(0.1)
else:
    sys.exit("the agent never claimed the half-record connection")
t.close()
PY
wait_count 15 $((n + 2)) "role=server" ||
	fail "the agent did not finish both server-role handshakes"
grep "role=server" "$LOGDIR/agent.log" | tail -n 2
grep "role=server" "$LOGDIR/agent.log" | tail -n 2 | grep -q "result=0" &&
	fail "a server-role handshake with a broken client succeeded"
$PEERS pyclient "$port" "$PKI/ca.pem" || fail "echo server after broken clients"
canary "everything"
