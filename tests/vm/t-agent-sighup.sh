# SIGHUP with handshakes in flight: six connects go through a proxy that
# holds each server's first flight for a few seconds; while all six are
# claimed, the agent reloads a configuration that trusts only another CA.
# The six finish with the credentials they started with (all succeed), a
# new handshake uses the new ones (refused), and after a reload back a
# normal handshake succeeds again. A reload that cannot load every file
# (a half-written certificate, an unreadable key) keeps the working set.
. tests/vm/lib.sh
. tests/vm/peers.sh
pki_make
conf=/tmp/sighup.conf
agent_conf $conf
agent_start $conf
gnutls_serv 4660
# gnutls-serv takes one handshake at a time (the six wait 6 holds at most)
# and gives up on a client after a while: the hold grows at most 3 times
# on a slow kernel (at 40 s gnutls-serv reset the connections).
hold=$((4 * (TIME_FACTOR < 3 ? TIME_FACTOR : 3)))
bg_peer 4661 $PEERS proxy 4661 4660 "$hold"

n=6
pids=
for i in $(seq $n); do
	demo_connect "host=127.0.0.1 port=4661 peername=localhost timeout=$(scaled 60000) message=inflight $i" &
	pids="$pids $!"
done
wait_count 30 $n ': claimed' ||
	fail "the agent did not claim $n requests: $(grep -c ': claimed' "$LOGDIR/agent.log")"
grep -q "result=" "$LOGDIR/agent.log" && fail "a handshake ended before the reload; the proxy did not hold it"
"$HANDSHAKECTL" list > "$LOGDIR/list.txt" 2>&1
cat "$LOGDIR/list.txt"

sed -i "s|$PKI/ca.pem|$PKI/rogue-ca.pem|" $conf
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "reloaded" "$LOGDIR/agent.log" || fail "no reload: $(tail -n 3 "$LOGDIR/agent.log")"
# A second reload while they are still in flight.
kill -HUP "$AGENT_PID"
wait_count 10 2 "reloaded" || fail "no second reload"
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
[ $bad -eq 0 ] || fail "$bad of $n in-flight handshakes failed across SIGHUP: $(grep result= "$LOGDIR/agent.log")"
ok=$(sed -n '/reloaded/,$p' "$LOGDIR/agent.log" | grep -c "result=0")
[ "$ok" -eq $n ] || fail "$ok handshakes succeeded after the reload, want $n"
kill -0 "$AGENT_PID" || fail "the agent died"

# New handshakes get the new trust (only the rogue CA): refused.
connect_fails "after the reload, the old CA" -13 "host=127.0.0.1 port=4660 peername=localhost"
sed -i "s|$PKI/rogue-ca.pem|$PKI/ca.pem|" $conf
kill -HUP "$AGENT_PID"
wait_count 10 3 "reloaded" || fail "no third reload"
connect_ok "after reloading back" "host=127.0.0.1 port=4660 peername=localhost message=back"
expect_eq "reply after reloading back" "$(demo_result reply)" back

# A reload that cannot load every file keeps the working set: a client
# certificate half-written, then a key that cannot be read. The server
# here requires a client certificate: the old one must still be presented.
gnutls_serv 4662 --require-client-cert --x509cafile "$PKI/ca.pem"
head -c 300 "$PKI/client.pem" > /tmp/half.pem
sed -i "s|$PKI/client.pem|/tmp/half.pem|" $conf
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "not reloaded, keeping the old configuration: /tmp/half.pem" "$LOGDIR/agent.log" ||
	fail "a half-written certificate was not refused: $(tail -n 3 "$LOGDIR/agent.log")"
connect_ok "after a refused reload (half-written certificate)" \
	"host=127.0.0.1 port=4662 peername=localhost message=kept"
sed -i "s|/tmp/half.pem|$PKI/client.pem|; s|$PKI/client.key|/tmp/no-such.key|" $conf
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "not reloaded, keeping the old configuration: /tmp/no-such.key" "$LOGDIR/agent.log" ||
	fail "an unreadable key was not refused: $(tail -n 3 "$LOGDIR/agent.log")"
connect_ok "after a refused reload (unreadable key)" \
	"host=127.0.0.1 port=4662 peername=localhost message=kept"
