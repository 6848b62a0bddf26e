# A network namespace dies with requests in it: each is failed with
# -ENETDOWN (its consumer called back once), and nothing leaks: the
# module's count of live requests is checked when it unloads (a leak
# warns, and a warning fails the run). The consumers are the demo's
# async=1 clients, which, like kernel sockets, do not keep the namespace
# alive; the processes that do (agent stand-in, listener) are gone first.
. tests/vm/lib.sh
ns=hs-exit
ip netns add $ns || fail "ip netns add"
ip -n $ns link set lo up
# The listener and the netlink listener stay HOLD seconds: the test must
# fit in that, however slow the kernel.
export HOLD=$(scaled 30)
ip netns exec $ns python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4520)); s.listen(8); time.sleep(int(os.environ["HOLD"]))
' &
srv=$!
wait_for 10 sh -c "ip netns exec $ns ss -Hltn 'sport = :4520' | grep -q LISTEN" ||
	fail "listener in $ns did not start"
ip netns exec $ns python3 -c '
import os, sys, time; sys.path.insert(0, "tests/vm")
from nlclient import Handshake
nl = Handshake(); nl.join("tls"); open("/tmp/joined-exit", "w").close()
time.sleep(int(os.environ["HOLD"]))
' &
agent=$!
wait_for 10 test -e /tmp/joined-exit || fail "netlink listener in $ns did not join"

T=/sys/kernel/debug/tracing
echo > $T/trace
echo 1 > $T/events/handshake/handshake_failed/enable
for i in 1 2 3; do
	nsenter --net=/run/netns/$ns sh -c \
		"printf 'host=127.0.0.1 port=4520 async=1 timeout=60000\n' > $DEMO/connect" ||
		fail "async connect $i: $(demo_result status)"
done
live=$("$HANDSHAKECTL" -j stats)   # the init namespace: untouched
kill $srv $agent
wait $srv $agent 2>/dev/null
ip netns del $ns
# The namespace is dismantled in the background; its requests end then.
wait_for 20 sh -c "grep -q '^status=-100$' $DEMO/result" ||
	fail "no consumer saw -ENETDOWN: $(cat $DEMO/result)"
expect_eq callbacks "$(demo_result callbacks)" 1
wait_for 10 sh -c "[ \$(grep -c 'handshake_failed:.*status=-100' $T/trace) -eq 3 ]" ||
	fail "not all three requests failed with -ENETDOWN: $(grep handshake_ $T/trace)"
echo 0 > $T/events/handshake/handshake_failed/enable
expect_eq "init namespace stats" "$("$HANDSHAKECTL" -j stats)" "$live"
