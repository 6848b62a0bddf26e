# The tracepoints: a successful handshake traces submit, accept and done
# for its cookie, in that order; a consumer's cancel traces cancel and a
# request nobody claims traces timeout.
. tests/vm/lib.sh
pki_make
T=/sys/kernel/debug/tracing
[ -d $T/events/handshake ] || fail "no handshake tracepoints in $T/events"
echo > $T/trace
echo 1 > $T/events/handshake/enable
agent_start
s_server 4495 -tls1_3
demo_connect "host=127.0.0.1 port=4495 peername=localhost" || fail "connect: $(demo_result status)"
ok=$(demo_result cookie)
agent_stop
# The listener and the netlink listener stay long enough for the connects
# below, however slow the kernel (TIME_FACTOR).
export HOLD=$(scaled 20) NL_HOLD=$(scaled 8)
python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4496)); s.listen(4); time.sleep(int(os.environ["HOLD"]))
' &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4496 || fail "listener did not start"
python3 -c '
import os, sys, time; sys.path.insert(0, "tests/vm")
from nlclient import Handshake
nl = Handshake(); nl.join("tls"); open("/tmp/joined", "w").close()
time.sleep(int(os.environ["NL_HOLD"]))
' &
listener=$!
wait_for 10 test -e /tmp/joined || fail "netlink listener did not join"
demo_connect "host=127.0.0.1 port=4496 cancel=200" && fail "cancelled connect succeeded"
expect_eq "cancelled connect" "$(demo_result status)" -125
cancelled=$(demo_result cookie)
demo_connect "host=127.0.0.1 port=4496 timeout=500" && fail "unclaimed connect succeeded"
expect_eq "unclaimed connect" "$(demo_result status)" -110
timedout=$(demo_result cookie)
wait $listener
echo 0 > $T/events/handshake/enable
trace=$(grep -o 'handshake_[a-z_]*: netns=[0-9]* cookie=[0-9]*' $T/trace)
echo "$trace"
events() { echo "$trace" | sed -n "s/.*\(handshake_[a-z_]*\): netns=[0-9]* cookie=$1\$/\1/p" | tr '\n' ' '; }
expect_eq "handshake $ok" "$(events "$ok")" "handshake_submit handshake_accept handshake_done "
expect_eq "cancel $cancelled" "$(events "$cancelled")" "handshake_submit handshake_cancel "
expect_eq "timeout $timedout" "$(events "$timedout")" "handshake_submit handshake_timeout "
