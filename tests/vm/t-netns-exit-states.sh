# A network namespace dies with requests in every state: pending, claimed
# by an agent killed at that moment (its claim lost as the namespace
# goes), and just completed (callback and release possibly still in
# flight), for consumers that hold their socket and consumers that have
# released it (the request holds the last reference, and closes it before
# the namespace's TCP state is gone). Every callback runs once, nothing
# touches the namespace afterwards: on the debug kernel KASAN, lockdep and
# the kmemleak scan at the end watch that (tools/run-tests --debug-kernel).
. tests/vm/lib.sh
ns=hs-states
ip netns add $ns || fail "ip netns add"
ip -n $ns link set lo up
# The listener and the stand-in below stay HOLD seconds: the whole test
# must fit in that, however slow the kernel.
export HOLD=$(scaled 60)
ip netns exec $ns python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4521)); s.listen(16); time.sleep(int(os.environ["HOLD"]))
' &
srv=$!
wait_for 10 sh -c "ip netns exec $ns ss -Hltn 'sport = :4521' | grep -q LISTEN" ||
	fail "listener in $ns did not start"
# The agent stand-in: completes the first request (status EACCES), claims
# the second and keeps its fd, leaves the rest pending.
ip netns exec $ns python3 -c '
import errno, os, sys, time; sys.path.insert(0, "tests/vm")
from nlclient import Handshake
nl = Handshake(); nl.join("tls"); open("/tmp/joined-states", "w").close()
first = nl.wait_request(30)
nl.do("accept", [("cookie", first)])
nl.do("done", [("cookie", first), ("status", errno.EACCES)])
second = nl.wait_request(30)
err, _, rep = nl.do("accept", [("cookie", second)])
open("/tmp/claimed-states", "w").write(str(err))
time.sleep(int(os.environ["HOLD"]))
' &
agent=$!
wait_for 10 test -e /tmp/joined-states || fail "agent stand-in in $ns did not join"

read -r sub0 cb0 can0 <<EOF2
$(sed -n 's/^[a-z]*=//p' $DEMO/counters | xargs)
EOF2
n=0
for opts in "async=1" "async=1 release=1" "async=1" "async=1 release=1" "async=1" "async=1 release=1"; do
	nsenter --net=/run/netns/$ns sh -c \
		"printf 'host=127.0.0.1 port=4521 timeout=60000 $opts\n' > $DEMO/connect" ||
		fail "connect ($opts): $(demo_result status)"
	n=$((n + 1))
	[ $n -ne 1 ] || sleep 0.5 # the first is completed before the second comes
done
wait_for 10 test -e /tmp/claimed-states || fail "the stand-in claimed nothing"
expect_eq "claim of the second request" "$(cat /tmp/claimed-states)" 0
kill -9 $agent $srv
ip netns del $ns
wait $agent $srv 2>/dev/null
# The namespace is dismantled in the background; its requests end then.
wait_for 30 sh -c "[ \$(sed -n 's/^callbacks=//p' $DEMO/counters) -eq $((cb0 + n)) ]" ||
	fail "after the namespace's exit: $(xargs < $DEMO/counters), want callbacks=$((cb0 + n))"
expect_eq "submitted" "$(sed -n 's/^submitted=//p' $DEMO/counters)" $((sub0 + n))
expect_eq "cancelled" "$(sed -n 's/^cancelled=//p' $DEMO/counters)" "$can0"
