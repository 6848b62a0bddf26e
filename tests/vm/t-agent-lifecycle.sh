# The agent against peers that misbehave, and the agent itself dying:
# a peer that closes the connection mid-handshake, a peer that never
# answers while the agent is SIGKILLed (the consumer hears at once), and
# a restarted agent serving again.
. tests/vm/lib.sh
pki_make
agent_start

# A TCP peer that closes once the ClientHello came: the agent sees the
# connection reset and the consumer gets its errno. (Closing before that
# could beat the submit, which then fails with ENOTCONN.)
python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4470)); s.listen(8)
for _ in range(1):
    c, _ = s.accept(); c.recv(4096); c.close()
' &
SERVER_PIDS=$!
wait_for 10 port_listening 4470 || fail "closing peer did not start"
demo_connect "host=127.0.0.1 port=4470 peername=localhost" && fail "handshake with a closing peer succeeded"
expect_eq "peer closed" "$(demo_result status)" -104
grep -q "result=ECONNRESET" "$LOGDIR/agent.log" || fail "agent did not log ECONNRESET"

# A peer that never answers; the agent is killed mid-handshake.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4471)); s.listen(8); time.sleep(60)
' &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 port_listening 4471 || fail "silent peer did not start"
demo_connect "host=127.0.0.1 port=4471 peername=localhost timeout=30000" &
connect=$!
wait_for 10 grep -q "claimed" "$LOGDIR/agent.log" || fail "agent did not claim"
sleep 0.5
start=$(date +%s%N)
kill -KILL "$AGENT_PID"
wait "$connect" && fail "handshake with a killed agent succeeded"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "agent killed" "$(demo_result status)" -103
[ "$ms" -lt "$(scaled 1000)" ] || fail "consumer heard of the agent's death after $ms ms"
say "consumer called back $ms ms after SIGKILL"
AGENT_PID=

# A new agent serves the next request.
agent_start
s_server 4472 -tls1_3
demo_connect "host=127.0.0.1 port=4472 peername=localhost message=again" ||
	fail "restarted agent: status $(demo_result status)"
expect_eq reply "$(demo_result reply)" niaga
